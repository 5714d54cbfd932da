//! Job queues against the sandbox's real Redis and real BullMQ traffic (tests/sandbox/
//! bullmq: a scheduler feeding order-sync, prints and labels; a worker consuming them),
//! with the real binary: counts as BullMQ itself reports them, a stopped worker, failed
//! jobs and their retry, Redis's eviction policy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::*;

/// The queues' traffic is shared: one test at a time steers it.
static TRAFFIC: Mutex<()> = Mutex::new(());

const QUEUES: [&str; 3] = ["labels", "order-sync", "prints"];
/// What the sandbox's worker fails jobs with (tests/sandbox/bullmq/traffic.js).
const REASONS: [&str; 3] = [
    "printer offline: no answer from 10.0.4.21",
    "carrier API 503 Service Unavailable",
    "order 4471 not found in the shop",
];

fn hold() -> std::sync::MutexGuard<'static, ()> {
    TRAFFIC.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sets (or clears) a control file of a traffic container.
fn control(env: &str, service: &str, file: &str, on: bool) {
    let script = if on {
        format!("touch /tmp/control/{file}")
    } else {
        format!("rm -f /tmp/control/{file}")
    };
    ok_stdout(Command::new("docker").args([
        "exec",
        &format!("acme-{env}_{service}_1"),
        "sh",
        "-c",
        &script,
    ]));
}

/// Clears every control file of an environment's traffic when dropped.
struct Traffic(&'static str);
impl Drop for Traffic {
    fn drop(&mut self) {
        for service in ["scheduler", "worker"] {
            let _ = run(Command::new("docker").args([
                "exec",
                &format!("acme-{}_{service}_1", self.0),
                "sh",
                "-c",
                "rm -f /tmp/control/*",
            ]));
        }
    }
}

/// BullMQ's own `Queue.getJobCounts()` (and `isPaused()`) for `queue`.
fn bullmq_counts(env: &str, queue: &str) -> serde_json::Value {
    let out = ok_stdout(Command::new("docker").args([
        "exec",
        "-e",
        "ROLE=counts",
        "-e",
        &format!("QUEUES={queue}"),
        &format!("acme-{env}_worker_1"),
        "node",
        "/app/traffic.js",
    ]));
    let all: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    all[queue].clone()
}

/// `pilothouse status --json`'s counts for `queue`, named as BullMQ names them.
fn console_counts(sb: &Sandbox, env: &str, queue: &str) -> serde_json::Value {
    let (_, out) = status(&sb.config, &["--env", env, "--json"]);
    let reports: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let q = reports[0]["queues"]["queues"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["name"] == queue))
        .cloned()
        .unwrap_or_else(|| panic!("no {queue} in status --json: {out}"));
    let mut counts = serde_json::Map::new();
    for key in [
        "active",
        "completed",
        "delayed",
        "failed",
        "prioritized",
        "waiting",
        "waiting-children",
        "paused",
    ] {
        counts.insert(key.into(), q[key].clone());
    }
    serde_json::Value::Object(counts)
}

/// Asks BullMQ, then the console, then BullMQ again until both BullMQ readings agree
/// (nothing moved in between), and then the console's must be the same.
fn counts_agree(sb: &Sandbox, env: &str, queue: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let before = bullmq_counts(env, queue);
        let console = console_counts(sb, env, queue);
        let after = bullmq_counts(env, queue);
        if before == after {
            assert_eq!(
                console, before,
                "the console's counts of {queue} against BullMQ's"
            );
            return before;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{queue}'s counts never held still: {before} then {after}"
        );
    }
}

fn n(v: &serde_json::Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// A queue's row in the jobs view, cut in its columns where the header's names start
/// (the 15-minute sparkline of waiting jobs, shown on a wide terminal, left out).
fn queue_cells(screen: &str, queue: &str) -> Option<Vec<String>> {
    const NAMES: [&str; 14] = [
        "QUEUE", "WAITING", "ACTIVE", "DELAYED", "PRIOR", "FAILED", "DONE", "OK/M", "FAIL/M",
        "TREND", "WAIT 15m", "OLDEST", "WKRS", "STATUS",
    ];
    let header = screen
        .lines()
        .find(|l| l.contains("QUEUE") && l.contains("WAITING"))?;
    let at = |name: &str| {
        let byte = header
            .find(&format!("{name} "))
            .or_else(|| header.find(name))?;
        Some(header[..byte].chars().count())
    };
    let starts: Vec<(&str, usize)> = NAMES
        .iter()
        .filter_map(|n| at(n).map(|i| (*n, i)))
        .collect();
    let row: Vec<char> = row_of(screen, queue)?.chars().collect();
    let cells = starts
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| *n != "WAIT 15m")
        .map(|(k, (_, from))| {
            let to = starts.get(k + 1).map_or(row.len(), |(_, i)| *i);
            row[(*from).min(row.len())..to.min(row.len())]
                .iter()
                .collect::<String>()
                .trim_matches(|c: char| c == '│' || c.is_whitespace())
                .to_string()
        });
    Some(cells.collect())
}

/// The console with the jobs view open and every queue read.
fn jobs_console(sb: &Sandbox, name: &str, dir: &std::path::Path, env_tab: bool) -> Tmux {
    let t = action_console(sb, name, dir, "");
    if env_tab {
        t.keys(&["Tab"]);
        t.wait_for("PRODUCTION · PROTECTED ENVIRONMENT");
    }
    t.keys(&["b"]);
    // The first reading: the view's first read (its limit is a first reading's).
    t.wait_until(Duration::from_secs(30), "the three queues read", |s| {
        s.contains("job queues") && QUEUES.iter().all(|q| queue_cells(s, q).is_some())
    });
    t
}

#[test]
fn a_stopped_worker_shows_waiting_no_worker_within_10s_and_restarting_its_service_clears_it() {
    let sb = sandbox();
    let _traffic = hold();
    let _restore = Traffic("staging");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = jobs_console(&sb, "jobs-worker", dir.path(), false);
    t.wait_until(Duration::from_secs(15), "labels consumed", |s| {
        queue_cells(s, "labels").is_some_and(|c| c.last().is_some_and(|x| x == "ok"))
    });
    control("staging", "worker", "stop-labels", true);
    let stopped = Instant::now();
    let screen = t.wait_until(
        Duration::from_secs(10),
        "labels: waiting, no worker, pointing at its consumer",
        |s| {
            row_of(s, "labels").is_some_and(|r| r.contains("no worker → worker"))
                && s.contains("queues: labels no worker")
                && s.contains("labels:")
                && s.contains("waiting, no worker (consumer: worker)")
        },
    );
    eprintln!(
        "no worker shown {:?} after the worker stopped",
        stopped.elapsed()
    );
    let cells = queue_cells(&screen, "labels").unwrap_or_default();
    assert_eq!(
        cells.get(11).map(String::as_str),
        Some("0"),
        "workers: {screen}"
    );
    // `status --json` says so too, and exits 1.
    let (code, out) = status(&sb.config, &["--env", "staging", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("waiting, no worker (consumer: worker)"),
        "{out}"
    );
    // The usual fix, from the view: restart the queue's consumer (labels is the first
    // row, selected).
    t.keys(&["R"]);
    preview(
        &t,
        "confirm: restart worker on staging",
        &["restart -t 10 'worker'"],
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(45), "labels consumed again", |s| {
        s.contains("done       restart worker")
            && queue_cells(s, "labels").is_some_and(|c| {
                c.last().is_some_and(|x| x == "ok") && c.get(11).is_some_and(|w| w != "0")
            })
            && !s.contains("no worker")
    });
    // The timeline tells it in order: the stall, the restart that fixed it, its end.
    t.keys(&["t"]);
    t.wait_until(
        Duration::from_secs(3),
        "the stall and its fix in the timeline",
        |s| {
            // Each the first of its kind after the one before (earlier runs on this
            // host left restarts of their own in its audit trail).
            let lines: Vec<&str> = s.lines().collect();
            let after = |from: Option<usize>, f: &dyn Fn(&str) -> bool| {
                let from = from? + 1;
                Some(from + lines.get(from..)?.iter().position(|l| f(l))?)
            };
            let stall = after(Some(0), &|l| {
                l.contains(" console ") && l.contains("no worker") && !l.contains("over:")
            });
            let fix = after(stall, &|l| {
                l.contains(" audit ") && l.contains("restart by ")
            });
            after(fix, &|l| l.contains("over:") && l.contains("no worker")).is_some()
        },
    );
}

#[test]
fn counts_agree_with_bullmq_failed_jobs_show_their_reasons_retry_puts_them_back_and_clean_removes_old_ones()
 {
    let sb = sandbox();
    let _traffic = hold();
    let _restore = Traffic("staging");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = jobs_console(&sb, "jobs-retry", dir.path(), false);
    // prints is the third row.
    t.keys(&["Down", "Down"]);
    t.wait_until(
        Duration::from_secs(20),
        "prints' failed jobs with a reason",
        |s| {
            s.contains("failed jobs · prints")
                && s.lines()
                    .any(|l| l.contains("prints-job") && REASONS.iter().any(|r| l.contains(r)))
        },
    );
    // Nothing added, prints not consumed: its counts hold still.
    control("staging", "scheduler", "stop-producing", true);
    control("staging", "worker", "stop-prints", true);
    t.wait_until(Duration::from_secs(15), "prints without a worker", |s| {
        queue_cells(s, "prints").is_some_and(|c| c.get(11).is_some_and(|w| w == "0"))
    });
    let before = counts_agree(&sb, "staging", "prints");
    let failed = n(&before, "failed");
    assert!(failed > 0, "no failed prints jobs to retry: {before}");
    t.keys(&["M-t"]);
    preview(
        &t,
        "confirm: retry the failed jobs of queue prints on staging",
        &[
            "retry the failed jobs of queue prints (bullmq in worker)",
            "-T 'worker' node -e",
            "medium: every failed job runs again",
            "retryJobs",
        ],
    );
    assert_eq!(
        bullmq_counts("staging", "prints"),
        before,
        "it ran before confirmation"
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(45), "the retry done", |s| {
        s.contains("done       retry the failed jobs of queue prints")
    });
    let after = counts_agree(&sb, "staging", "prints");
    assert_eq!(n(&after, "failed"), 0, "{after}");
    assert_eq!(
        n(&after, "waiting") + n(&after, "prioritized"),
        n(&before, "waiting") + n(&before, "prioritized") + failed,
        "every failed job back to waiting: {before} -> {after}"
    );
    // The view follows: no failed job left, the waiting count BullMQ gives.
    let waiting = n(&after, "waiting").to_string();
    t.wait_until(
        Duration::from_secs(15),
        "prints' row and list after the retry",
        |s| {
            queue_cells(s, "prints")
                .is_some_and(|c| c.get(1) == Some(&waiting) && c.get(5).is_some_and(|f| f == "0"))
                && s.contains("no failed jobs")
        },
    );
    // Audited on the host like every action.
    let audit = host_audit(&sb, "staging");
    let last = audit.last().cloned().unwrap_or_default();
    assert_eq!(last["action"], "retry the failed jobs of queue", "{last}");
    assert_eq!(last["result"], "succeeded", "{last}");
    clean_completed_prints(&sb, &t, &after);
}

/// Clean, asked an age of 1 s, removes every completed job of prints (none completes any
/// more) through the real bullmq, and touches nothing waiting.
fn clean_completed_prints(sb: &Sandbox, t: &Tmux, before: &serde_json::Value) {
    assert!(
        n(before, "completed") > 0,
        "no completed prints jobs: {before}"
    );
    t.keys(&["M-k"]);
    t.wait_for("age: 1d█");
    t.keys(&["BSpace", "BSpace", "1", "s", "Enter"]);
    preview(
        t,
        "confirm: remove old completed and failed jobs of queue prints on staging",
        &[
            "remove old completed and failed jobs of queue prints older than 1s (bullmq in worker)",
            "high: the removed jobs and their results are gone",
            "q.clean(",
        ],
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(45), "the clean done", |s| {
        s.contains("done       remove old completed and failed jobs of queue prints")
    });
    let after = counts_agree(sb, "staging", "prints");
    assert_eq!(n(&after, "completed"), 0, "{before} -> {after}");
    assert_eq!(
        n(&after, "waiting"),
        n(before, "waiting"),
        "{before} -> {after}"
    );
    t.wait_until(
        Duration::from_secs(15),
        "prints' row after the clean",
        |s| queue_cells(s, "prints").is_some_and(|c| c.get(6).is_some_and(|d| d == "0")),
    );
}

#[test]
fn an_evicting_policy_shows_the_redis_alert_and_noeviction_clears_it() {
    let sb = sandbox();
    let _production = PRODUCTION.lock().unwrap_or_else(|p| p.into_inner());
    /// Production Redis's `maxmemory-policy` set to `policy`.
    fn set_policy(policy: &str) -> std::process::Output {
        // Production's Redis wants its password (REDIS_PASSWORD, in its environment).
        run(Command::new("docker").args([
            "exec",
            "acme-production_redis_1",
            "sh",
            "-c",
            "REDISCLI_AUTH=\"$REDIS_PASSWORD\" redis-cli -p 28379 config set maxmemory-policy \"$1\"",
            "sh",
            policy,
        ]))
    }
    struct Policy;
    impl Drop for Policy {
        fn drop(&mut self) {
            let _ = set_policy("noeviction");
        }
    }
    let _restore = Policy;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = jobs_console(&sb, "jobs-evict", dir.path(), true);
    t.wait_until(Duration::from_secs(15), "Redis read, noeviction", |s| {
        s.contains("policy noeviction") && s.contains("queues ok")
    });
    let set = set_policy("allkeys-lru");
    assert!(set.status.success(), "{set:?}");
    t.wait_until(Duration::from_secs(15), "the eviction alert", |s| {
        s.contains("queues: Redis evicts (allkeys-lru)")
            && s.contains("policy allkeys-lru")
            && s.contains("Redis maxmemory-policy is allkeys-lru, not noeviction")
    });
    let (code, out) = status(&sb.config, &["--env", "production", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let reports: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        reports[0]["queues"]["redis"]["maxmemory_policy"], "allkeys-lru",
        "{out}"
    );
    assert_eq!(reports[0]["queues"]["ok"], false, "{out}");
    drop(_restore);
    t.wait_until(Duration::from_secs(15), "the alert gone", |s| {
        s.contains("policy noeviction") && s.contains("queues ok") && !s.contains("evicts")
    });
}

/// Production's Redis and its queues: one test at a time.
static PRODUCTION: Mutex<()> = Mutex::new(());

#[test]
fn pausing_a_protected_environment_s_queue_needs_its_name_and_reaches_bullmq() {
    let sb = sandbox();
    let _production = PRODUCTION.lock().unwrap_or_else(|p| p.into_inner());
    struct Resume;
    impl Drop for Resume {
        fn drop(&mut self) {
            // Resume through BullMQ itself whatever happened.
            // (With production's Redis password; never waiting more than 10 s.)
            let script = "setTimeout(()=>process.exit(1),10000);const {Queue}=require('bullmq');const q=new Queue('labels',{connection:{host:'127.0.0.1',port:28379,password:process.env.REDIS_PASSWORD}});q.resume().then(()=>process.exit(0))";
            let _ = run(Command::new("docker").args([
                "exec",
                "acme-production_worker_1",
                "node",
                "-e",
                script,
            ]));
        }
    }
    let _resume = Resume;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = jobs_console(&sb, "jobs-pause", dir.path(), true);
    // labels is the first row.
    t.keys(&["M-q"]);
    preview(
        &t,
        "confirm: pause queue labels on production",
        &[
            "pause queue labels (bullmq in worker)",
            "type production and press enter",
        ],
    );
    // y is only a letter typed here.
    t.keys(&["y", "BSpace"]);
    assert_eq!(bullmq_counts("production", "labels")["paused"], false);
    confirm_production(&t, "pause queue labels", "paused");
    assert_eq!(bullmq_counts("production", "labels")["paused"], true);
    // The same key resumes a paused queue.
    t.keys(&["M-q"]);
    preview(
        &t,
        "confirm: resume queue labels on production",
        &["type production"],
    );
    confirm_production(&t, "resume queue labels", "ok");
    assert_eq!(bullmq_counts("production", "labels")["paused"], false);
}

/// Types production's name to confirm, then waits for the item `title` done and the
/// labels row's status `status`.
fn confirm_production(t: &Tmux, title: &str, status: &str) {
    for c in "production".chars() {
        t.keys(&[&c.to_string()]);
    }
    t.keys(&["Enter"]);
    t.wait_until(Duration::from_secs(45), title, |s| {
        s.contains(&format!("done       {title}"))
            && queue_cells(s, "labels").is_some_and(|c| c.last().is_some_and(|x| x == status))
    });
}

#[test]
fn redis_through_an_ssh_forward_reads_the_same_and_redis_stopped_is_stale_then_read_again() {
    let sb = sandbox();
    let _production = PRODUCTION.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // via = "tcp": the production Redis's loopback port, forwarded over SSH.
    let config = edited_config(&sb, dir.path(), |text| {
        text.replace(
            "[environments.production.queues]\nservice = \"redis\"\nport = 28379",
            "[environments.production.queues]\nvia = \"tcp\"\naddress = \"127.0.0.1:28379\"",
        )
    });
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    assert!(
        text.contains("address = \"127.0.0.1:28379\""),
        "the edit did not apply"
    );
    let (_, out) = status(&config, &["--env", "production", "--json"]);
    let reports: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(queue_names(&reports[0]["queues"]), QUEUES, "{out}");
    assert_eq!(reports[0]["queues"]["redis"]["role"], "master", "{out}");
    // The console on the exec way in: Redis stopped is an error and stale, never ok.
    struct Start;
    impl Drop for Start {
        fn drop(&mut self) {
            let _ = run(Command::new("docker").args(["start", "acme-production_redis_1"]));
        }
    }
    let t = jobs_console(&sb, "jobs-redis-down", dir.path(), true);
    let _start = Start;
    ok_stdout(Command::new("docker").args(["stop", "-t", "1", "acme-production_redis_1"]));
    t.wait_until(Duration::from_secs(20), "the queues stale", |s| {
        s.contains("cannot read the queues") && s.contains("STALE") && !s.contains("queues ok")
    });
    ok_stdout(Command::new("docker").args(["start", "acme-production_redis_1"]));
    // The monitor's back-off reaches 15 s at most.
    t.wait_until(Duration::from_secs(60), "the queues read again", |s| {
        !s.contains("cannot read the queues")
            && !s.contains("STALE")
            && QUEUES.iter().all(|q| queue_cells(s, q).is_some())
    });
}

/// The queue names in a `status --json` queues section.
fn queue_names(queues: &serde_json::Value) -> Vec<String> {
    queues["queues"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .filter_map(|q| q["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `pilothouse status --env production --json` with `config`, this machine's environment
/// given `env`: the exit code, the queues section, the whole output.
fn production_queues(
    config: &std::path::Path,
    env: &[(&str, &str)],
) -> (Option<i32>, serde_json::Value, String) {
    let out = run(pilothouse()
        .envs(env.iter().copied())
        .args(["status", "--env", "production", "--json", "--config"])
        .arg(config));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let reports: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (out.status.code(), reports[0]["queues"].clone(), text)
}

#[test]
fn a_redis_that_wants_a_password_is_read_with_it_and_a_missing_or_wrong_one_is_said_plainly() {
    let sb = sandbox();
    let _production = PRODUCTION.lock().unwrap_or_else(|p| p.into_inner());
    let env_file = std::fs::read_to_string(sb.state.join("opt/production/.env")).unwrap();
    let password = env_file
        .lines()
        .find_map(|l| l.strip_prefix("REDIS_PASSWORD="))
        .expect("production's env file has REDIS_PASSWORD")
        .to_string();
    assert!(password.len() >= 16, "{password:?}");
    // Production's Redis refuses a client without it (so the rest proves something).
    let bare = run(Command::new("docker").args([
        "exec",
        "acme-production_redis_1",
        "redis-cli",
        "-p",
        "28379",
        "llen",
        "bull:prints:wait",
    ]));
    assert!(
        String::from_utf8_lossy(&bare.stdout).contains("NOAUTH"),
        "{bare:?}"
    );
    // The generated config reads it from the env file: the queues are read.
    let (_, queues, out) = production_queues(&sb.config, &[]);
    assert_eq!(queues["error"], serde_json::Value::Null, "{out}");
    assert_eq!(queue_names(&queues), QUEUES, "{out}");
    assert!(!out.contains(&password), "the password in status: {out}");
    // Without it: the refusal and what to do, never a reading.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let line = "password = { env_file = \"REDIS_PASSWORD\" }\n";
    let none = edited_config(&sb, dir.path(), |t| t.replacen(line, "", 1));
    let (code, queues, out) = production_queues(&none, &[]);
    assert_eq!(code, Some(1), "{out}");
    let error = queues["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("NOAUTH") && error.contains("set queues.password"),
        "{out}"
    );
    assert_eq!(queues["queues"], serde_json::json!([]), "{out}");
    // A wrong one, from this machine's environment: refused, named by where it came from,
    // and not printed.
    let wrong = "not-the-redis-password-0451";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let local = edited_config(&sb, dir.path(), |t| {
        t.replacen(
            line,
            "password = { local_env = \"PH_TEST_REDIS_PASSWORD\" }\n",
            1,
        )
    });
    let (code, queues, out) = production_queues(&local, &[("PH_TEST_REDIS_PASSWORD", wrong)]);
    assert_eq!(code, Some(1), "{out}");
    let error = queues["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("Redis refused the password ($PH_TEST_REDIS_PASSWORD here)")
            && error.contains("WRONGPASS"),
        "{out}"
    );
    assert!(!out.contains(wrong) && !out.contains(&password), "{out}");
    // The right one from there reads as the env file's did.
    let (_, queues, out) = production_queues(&local, &[("PH_TEST_REDIS_PASSWORD", &password)]);
    assert_eq!(queues["error"], serde_json::Value::Null, "{out}");
    assert_eq!(queue_names(&queues), QUEUES, "{out}");
    assert!(!out.contains(&password), "the password in status: {out}");
}

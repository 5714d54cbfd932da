//! The fault suite: the real binary against the real sandbox host while its parts
//! misbehave. Each case asserts that the console keeps running, shows the fault
//! truthfully (DISCONNECTED, STALE, an error in the right panel), recovers without a
//! restart when the fault ends, and loses nothing (the host's audit trail only grows,
//! the env file is unchanged, no host lock is left); the one that stops it (SIGTERM)
//! asserts the terminal restored and no ssh process left. The cases run one after another
//! (they share the host); the suite prints one line per case and a total.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// What must never be lost, read before and after a case.
#[derive(Clone)]
struct Ledger {
    audit: String,
    env_file: String,
    lock: bool,
}

impl Ledger {
    fn read(sb: &Sandbox) -> Ledger {
        let opt = sb.state.join("opt/staging");
        Ledger {
            audit: std::fs::read_to_string(opt.join(".pilothouse/audit.jsonl")).unwrap_or_default(),
            env_file: std::fs::read_to_string(opt.join(".env")).unwrap_or_default(),
            lock: lock_dir(sb, "staging").exists(),
        }
    }

    /// What was lost between `self` and `after`, if anything.
    fn lost(&self, after: &Ledger) -> Option<String> {
        if !after.audit.starts_with(&self.audit) {
            return Some("audit records lost or rewritten".into());
        }
        if after.env_file != self.env_file {
            return Some("the env file changed".into());
        }
        if after.lock && !self.lock {
            return Some("a host lock was left behind".into());
        }
        None
    }
}

struct Outcome {
    name: &'static str,
    survived: Result<(), String>,
    lost: Option<String>,
    took: Duration,
}

fn attempt(sb: &Sandbox, name: &'static str, case: impl FnOnce(&Sandbox)) -> Outcome {
    let before = Ledger::read(sb);
    let started = Instant::now();
    let survived =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(sb))).map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_else(|| "panicked".into())
        });
    let lost = before.lost(&Ledger::read(sb));
    Outcome {
        name,
        survived,
        lost,
        took: started.elapsed(),
    }
}

// ---- the faults' tools ----------------------------------------------------------------

fn connected(t: &Tmux, what: &str) {
    t.wait_until(Duration::from_secs(20), what, |s| {
        s.contains("· connected")
            && !s.contains("DISCONNECTED")
            && row_of(s, "gateway").is_some_and(|r| r.contains(" healthy "))
    });
}

fn stale_shown(t: &Tmux) {
    t.wait_until(
        Duration::from_secs(8),
        "DISCONNECTED and STALE, no row healthy",
        |s| {
            s.contains("DISCONNECTED")
                && s.contains("STALE")
                && row_of(s, "gateway").is_some_and(|r| !r.contains("healthy"))
        },
    );
}

/// The gateway writes a line to its log.
fn say(text: &str) {
    ok_stdout(Command::new("docker").args([
        "exec",
        "acme-staging_gateway_1",
        "sh",
        "-c",
        &format!("echo '{text}' > /proc/1/fd/1"),
    ]));
}

fn compose(sb: &Sandbox, args: &[&str]) {
    let dir = sb.state.join("opt/staging");
    ok_stdout(
        Command::new("docker-compose")
            .current_dir(&dir)
            .args(["-p", "acme-staging", "-f", "docker-compose.yml"])
            .args(args),
    );
}

fn pg_ctl(sb: &Sandbox, env: &str, args: &[&str]) {
    let data = sb.state.join(format!("pg/{env}"));
    let log = sb.state.join(format!("logs/postgres-{env}.log"));
    let mut cmd = Command::new("runuser");
    cmd.args([
        "-u",
        "postgres",
        "--",
        "/usr/lib/postgresql/15/bin/pg_ctl",
        "-D",
    ])
    .arg(&data)
    .arg("-l")
    .arg(&log)
    .args(args);
    ok_stdout(&mut cmd);
}

// ---- the cases ------------------------------------------------------------------------

fn ssh_master_killed(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("fault-master", &console_with(&sb.config, dir.path()));
    connected(&t, "first connection");
    ok_stdout(
        Command::new("pkill")
            .arg("-KILL")
            .arg("-f")
            .arg(format!("ssh .*{}", dir.path().display())),
    );
    stale_shown(&t);
    connected(&t, "reconnected by itself");
}

fn sshd_restarted_while_idle(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let sshd = SecondSshd::start(sb, dir.path(), 2231);
    let config = sshd.config(sb, dir.path());
    let t = Tmux::start("fault-sshd-idle", &console_with(&config, dir.path()));
    connected(&t, "first connection");
    sshd.kill();
    stale_shown(&t);
    t.wait_until(
        Duration::from_secs(15),
        "the refused retry explained",
        |s| s.contains("connection refused"),
    );
    sshd.resume();
    connected(&t, "reconnected once sshd is back");
}

fn sshd_restarted_while_following_logs(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let sshd = SecondSshd::start(sb, dir.path(), 2232);
    let config = sshd.config(sb, dir.path());
    let t = Tmux::start("fault-sshd-logs", &console_with(&config, dir.path()));
    connected(&t, "first connection");
    select(&t, "gateway");
    t.keys(&["l"]);
    t.wait_for("logs · gateway");
    let id = std::process::id();
    let (before, during) = (format!("FAULT-before-{id}"), format!("FAULT-during-{id}"));
    say(&before);
    t.wait_for(&before);
    sshd.kill();
    t.wait_for("DISCONNECTED");
    say(&during);
    sshd.resume();
    // The line written while the connection was down arrives; none is shown twice.
    let screen = t.wait_until(Duration::from_secs(25), "the line from the outage", |s| {
        s.contains(&during) && !s.contains("DISCONNECTED")
    });
    assert_eq!(screen.matches(&before).count(), 1, "shown twice:\n{screen}");
    assert_eq!(screen.matches(&during).count(), 1, "shown twice:\n{screen}");
}

fn handshake_hangs(sb: &Sandbox) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(6).collect();
        std::thread::sleep(Duration::from_secs(40));
        drop(conns);
    });
    let dir = tempfile::tempdir().unwrap();
    let config = edited_config(sb, dir.path(), |t| {
        t.replacen("port = 2222", &format!("port = {port}"), 1)
            .replacen("connect_timeout = \"10s\"", "connect_timeout = \"2s\"", 1)
    });
    let t = Tmux::start("fault-hang", &console_with(&config, dir.path()));
    t.wait_for("connecting… (attempt 1)");
    // The other environment answers keys while this one hangs.
    t.keys(&["Tab"]);
    t.wait_for("PRODUCTION · PROTECTED ENVIRONMENT");
    t.keys(&["BTab"]);
    let screen = t.wait_until(Duration::from_secs(15), "timed out, said so", |s| {
        // ssh's own connect timeout (the banner never came), or ours over the handshake.
        s.contains("DISCONNECTED") && (s.contains("timed out") || s.contains("no answer within"))
    });
    assert!(
        row_of(&screen, "gateway").is_none(),
        "rows without a connection:\n{screen}"
    );
}

fn host_key_changed(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let known_hosts = dir.path().join("known_hosts");
    // Another host's key under this host's name: what a replaced (or spoofed) host shows.
    let other = dir.path().join("other_key");
    ok_stdout(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&other),
    );
    let pubkey = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let key = pubkey
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let forged = format!("[127.0.0.1]:2222 {key}\n");
    std::fs::write(&known_hosts, &forged).unwrap();
    let config = edited_config(sb, dir.path(), |t| {
        t.replace(
            &sb.known_hosts().display().to_string(),
            &known_hosts.display().to_string(),
        )
    });
    let t = Tmux::start("fault-hostkey", &console_with(&config, dir.path()));
    let screen = t.wait_until(Duration::from_secs(20), "the changed key refused", |s| {
        s.contains("DISCONNECTED") && s.to_lowercase().contains("changed")
    });
    assert!(
        row_of(&screen, "gateway").is_none(),
        "rows from a host with a changed key:\n{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(&known_hosts).unwrap(),
        forged,
        "known_hosts was edited"
    );
    // The operator fixes known_hosts: the console connects on its own next try.
    std::fs::copy(sb.known_hosts(), &known_hosts).unwrap();
    t.wait_until(Duration::from_secs(40), "connected after the fix", |s| {
        s.contains("· connected") && row_of(s, "gateway").is_some()
    });
}

fn postgres_stopped_and_started(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("fault-pg", &console_with(&sb.config, dir.path()));
    connected(&t, "first connection");
    t.keys(&["p"]);
    t.wait_until(Duration::from_secs(15), "a pool reading", |s| {
        s.contains(" usable · ")
    });
    pg_ctl(sb, "staging", &["-m", "fast", "-w", "stop"]);
    let restarted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.wait_until(
            Duration::from_secs(20),
            "the pool's error shown, stale",
            |s| s.contains("cannot read the pool") && s.contains("STALE"),
        );
    }));
    pg_ctl(sb, "staging", &["-w", "-t", "30", "start"]);
    if let Err(p) = restarted {
        std::panic::resume_unwind(p);
    }
    t.wait_until(Duration::from_secs(30), "the pool read again", |s| {
        s.contains(" usable · ") && !s.contains("cannot read the pool") && !s.contains("STALE")
    });
}

fn crash_looping_service(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("fault-crash", &console_with(&sb.config, dir.path()));
    connected(&t, "first connection");
    let crash = || {
        ok_stdout(Command::new("docker").args([
            "exec",
            "acme-staging_slicer_1",
            "touch",
            "/tmp/control/crash",
        ]))
    };
    crash();
    let recreate = || compose(sb, &["up", "-d", "--force-recreate", "slicer"]);
    let seen = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.wait_until(
            Duration::from_secs(30),
            "the loop shown, restarts counted",
            |s| {
                row_of(s, "slicer").is_some_and(|r| {
                    !r.contains(" healthy ")
                        && (r.contains("restarting")
                            || r.contains("exited")
                            || r.contains("starting"))
                }) && row_of(s, "gateway").is_some_and(|r| r.contains(" healthy "))
            },
        );
    }));
    recreate();
    if let Err(p) = seen {
        std::panic::resume_unwind(p);
    }
    t.wait_until(Duration::from_secs(40), "slicer healthy again", |s| {
        row_of(s, "slicer").is_some_and(|r| r.contains(" healthy "))
    });
}

fn container_recreated_under_its_name(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("fault-recreate", &console_with(&sb.config, dir.path()));
    connected(&t, "first connection");
    ok_stdout(Command::new("docker").args(["rm", "-f", "acme-staging_web_1"]));
    t.wait_until(
        Duration::from_secs(10),
        "web gone from the running rows",
        |s| row_of(s, "web").is_none_or(|r| !r.contains(" healthy ")),
    );
    compose(sb, &["up", "-d", "web"]);
    t.wait_until(Duration::from_secs(40), "the new web healthy", |s| {
        row_of(s, "web").is_some_and(|r| r.contains(" healthy "))
    });
}

fn console_terminated_mid_watch(sb: &Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("fault-term", &console_with(&sb.config, dir.path()));
    connected(&t, "first connection");
    let masters = || {
        let out = run(Command::new("pgrep")
            .arg("-f")
            .arg(format!("ssh .*{}", dir.path().display())));
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert!(masters() > 0, "no ssh master to watch");
    ok_stdout(Command::new("kill").args(["-TERM", &console_pid(&t)]));
    // Stopped cleanly: its exit status printed on the main screen, the cursor shown, and
    // no ssh process of its own left.
    t.wait_for("EXIT=");
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(t.format("#{cursor_flag}"), "1", "the cursor left hidden");
    eventually(Duration::from_secs(5), "ssh processes gone", || {
        (masters() == 0).then_some(()).ok_or("still there".into())
    });
}

/// The sandbox's registry, stopped for a case and started again however it ends.
struct RegistryDown<'a> {
    sb: &'a Sandbox,
}

impl<'a> RegistryDown<'a> {
    fn stop(sb: &'a Sandbox) -> RegistryDown<'a> {
        let pid = std::fs::read_to_string(sb.state.join("run/registry.pid")).unwrap();
        ok_stdout(Command::new("kill").arg(pid.trim()));
        eventually(Duration::from_secs(10), "the registry down", || {
            match std::net::TcpStream::connect(("127.0.0.1", 5000)) {
                Ok(_) => Err("still answering".into()),
                Err(_) => Ok(()),
            }
        });
        RegistryDown { sb }
    }
}

impl Drop for RegistryDown<'_> {
    #[allow(
        clippy::zombie_processes,
        reason = "the registry outlives the test, as tests/sandbox/up leaves it"
    )]
    fn drop(&mut self) {
        let log = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.sb.state.join("logs/registry.log"))
            .unwrap();
        let child = Command::new("setsid")
            .args(["docker-registry", "serve"])
            .arg(self.sb.state.join("registry/config.yml"))
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        // `tests/sandbox/down` stops it by this file.
        std::fs::write(
            self.sb.state.join("run/registry.pid"),
            child.id().to_string(),
        )
        .unwrap();
        eventually(Duration::from_secs(15), "the registry back", || {
            std::net::TcpStream::connect(("127.0.0.1", 5000))
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    }
}

fn registry_down_during_a_deploy(sb: &Sandbox) {
    let image = |c: &str| {
        ok_stdout(Command::new("docker").args(["inspect", "-f", "{{.Image}}", c]))
            .trim()
            .to_string()
    };
    let before = image("acme-staging_web_1");
    let dir = tempfile::tempdir().unwrap();
    let t = action_console(sb, "fault-registry", dir.path(), "");
    select(&t, "web");
    // The picker lists the registry's tags: it is read while the registry is up.
    t.keys(&["M-d"]);
    t.wait_for(": pick a tag");
    t.keys(&["v", "2", "Enter"]);
    preview(&t, "confirm: deploy web on staging", &["changes"]);
    let down = RegistryDown::stop(sb);
    t.keys(&["y"]);
    let screen = t.wait_until(Duration::from_secs(90), "the deploy ended", |s| {
        ["FAILED", "ROLLED BACK", "done       deploy web", "UNKNOWN"]
            .iter()
            .any(|x| s.contains(x))
    });
    assert!(
        screen.contains("FAILED") && !screen.contains("ROLLED BACK"),
        "{screen}"
    );
    assert!(
        screen.contains("pull the new images"),
        "the failed step not named:\n{screen}"
    );
    drop(down);
    assert_eq!(image("acme-staging_web_1"), before, "web changed");
    let record = local_audit(dir.path()).last().cloned().unwrap_or_default();
    assert_eq!(record["result"], "failed", "{record}");
}

/// `chattr +i` on a file for a case, taken off however it ends.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: PathBuf) -> Immutable {
        ok_stdout(Command::new("chattr").arg("+i").arg(&path));
        Immutable(path)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).output();
    }
}

fn unwritable_host_audit_file(sb: &Sandbox) {
    let file = sb.state.join("opt/staging/.pilothouse/audit.jsonl");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .unwrap();
    std::io::Write::flush(&mut f).unwrap();
    let records = || host_audit(sb, "staging").len();
    let before = records();
    let dir = tempfile::tempdir().unwrap();
    let t = action_console(sb, "fault-audit", dir.path(), "");
    let locked = Immutable::set(file);
    select(&t, "uptime-kuma");
    t.keys(&["R"]);
    preview(&t, "confirm: restart uptime-kuma on staging", &["restart"]);
    t.keys(&["y"]);
    // The restart itself happens; the operator is told the host's trail missed it.
    t.wait_until(
        Duration::from_secs(60),
        "done, the missing record said",
        |s| {
            s.contains("done       restart uptime-kuma") && s.contains("audit file was not written")
        },
    );
    assert_eq!(records(), before, "written through chattr +i?");
    let local = local_audit(dir.path());
    assert!(
        local.last().is_some_and(|r| r["action"] == "restart"),
        "the local trail has no record"
    );
    // Writable again: the next connection writes the kept record.
    drop(locked);
    t.keys(&["r"]);
    eventually(
        Duration::from_secs(20),
        "the kept record on the host",
        || {
            (records() == before + 1)
                .then_some(())
                .ok_or(format!("{} records", records()))
        },
    );
}

#[test]
fn faults_the_console_survives_and_loses_nothing() {
    let sb = sandbox();
    type Case = (&'static str, fn(&Sandbox));
    let cases: &[Case] = &[
        ("ssh master killed while idle", ssh_master_killed),
        (
            "sshd killed and restarted while idle",
            sshd_restarted_while_idle,
        ),
        (
            "sshd killed and restarted while following logs",
            sshd_restarted_while_following_logs,
        ),
        ("a handshake that hangs", handshake_hangs),
        (
            "the registry down during a deploy's pull",
            registry_down_during_a_deploy,
        ),
        ("a host key that changed", host_key_changed),
        ("a crash-looping service", crash_looping_service),
        (
            "a container removed and recreated under its name",
            container_recreated_under_its_name,
        ),
        (
            "PostgreSQL stopped and started",
            postgres_stopped_and_started,
        ),
        ("an unwritable host audit file", unwritable_host_audit_file),
        (
            "the console sent SIGTERM while watching",
            console_terminated_mid_watch,
        ),
    ];
    let outcomes: Vec<Outcome> = cases
        .iter()
        .map(|(name, f)| attempt(&sb, name, f))
        .collect();
    let mut table = String::from("\nfaults:\n");
    for o in &outcomes {
        let verdict = match (&o.survived, &o.lost) {
            (Ok(()), None) => "survived".to_string(),
            (Err(e), _) => format!("FAILED: {}", e.lines().next().unwrap_or_default()),
            (Ok(()), Some(l)) => format!("DATA LOST: {l}"),
        };
        table.push_str(&format!(
            "  {:<52} {:>5.1}s  {verdict}\n",
            o.name,
            o.took.as_secs_f64()
        ));
    }
    let survived = outcomes.iter().filter(|o| o.survived.is_ok()).count();
    let lost = outcomes.iter().filter(|o| o.lost.is_some()).count();
    table.push_str(&format!(
        "faults: {} tried, {survived} survived, {lost} data lost\n",
        outcomes.len()
    ));
    eprintln!("{table}");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::write(dir.join("faults.txt"), &table);
    assert!(survived == outcomes.len() && lost == 0, "{table}");
}

//! The action queue against the real sandbox host: the real binary in tmux, confirming
//! with keys, and docker / psql / the host's files on the side to see what it did.
//!
//! Tests that act on the same environment take its lock here first, so that two of
//! them never hold the host lock at once (which is the very thing the lock refuses).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use crate::support::*;

static STAGING_ENV: Mutex<()> = Mutex::new(());
static PRODUCTION_ENV: Mutex<()> = Mutex::new(());

fn hold(m: &'static Mutex<()>) -> std::sync::MutexGuard<'static, ()> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_restart_changes_the_start_time_and_is_audited_locally_and_on_the_host() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let before = started_at("acme-staging_web_1");
    let host_before = host_audit(&sb, "staging").len();
    let t = action_console(&sb, "act-restart", dir.path(), "");
    select(&t, "web");
    t.keys(&["R"]);
    preview(
        &t,
        "confirm: restart web on staging",
        &["restart -t 10 'web'"],
    );
    assert_eq!(
        started_at("acme-staging_web_1"),
        before,
        "it ran before confirmation"
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(30), "the restart done", |s| {
        s.contains("done       restart web")
    });
    assert_ne!(
        started_at("acme-staging_web_1"),
        before,
        "the container was not restarted"
    );
    let local = local_audit(dir.path());
    let record = local.last().cloned().unwrap_or_default();
    assert_eq!(record["result"], "succeeded", "{local:?}");
    assert_eq!(record["environment"], "staging");
    assert_eq!(record["targets"][0], "web");
    assert_eq!(record["exit_codes"][0], 0);
    let host = host_audit(&sb, "staging");
    assert_eq!(host.len(), host_before + 1, "one record more on the host");
    assert_eq!(host.last().cloned().unwrap_or_default(), record);
    // Written ahead: a `started` record of the same item before its end, on the host
    // and here, with the commands that were about to run.
    for (place, all) in [
        ("host", host_audit_all(&sb, "staging")),
        ("local", local_audit_all(dir.path())),
    ] {
        let at = all
            .iter()
            .rposition(|r| r["result"] == "started" && r["item"] == record["item"])
            .unwrap_or_else(|| panic!("no started record on the {place}: {all:?}"));
        assert_eq!(
            all.len(),
            at + 2,
            "the end follows its start on the {place}"
        );
        assert_eq!(all[at]["action"], "restart");
        assert!(
            all[at]["commands"][0]
                .as_str()
                .is_some_and(|c| c.contains("restart -t 10 'web'")),
            "{place}: {}",
            all[at]
        );
    }
    assert!(
        !lock_dir(&sb, "staging").exists(),
        "the lock was not released"
    );
    // The audit view reads the host's records, newest first.
    t.keys(&["A"]);
    let screen = t.wait_until(Duration::from_secs(10), "the audit view", |s| {
        s.contains("audit (the host's records") && s.contains("SUCCEEDED")
    });
    let newest = screen
        .lines()
        .skip_while(|l| !l.contains("WHEN"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        newest.contains("restart") && newest.contains("web"),
        "{screen}"
    );
    // `pilothouse audit` prints the same records, newest first.
    let out = pilothouse()
        .args(["audit", "--env", "staging", "--json", "--config"])
        .arg(&sb.config)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let first: serde_json::Value = text
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    assert_eq!(first["action"], "restart", "{text}");
    assert_eq!(first["targets"], "web", "{text}");
    assert_eq!(first["result"], "succeeded", "{text}");
    // One line per item: a start and its end are one record; a start with no end is
    // one of its own (a killed console's).
    let all = host_audit_all(&sb, "staging");
    let all = &all[all.len().saturating_sub(500)..];
    let ended = |item: &serde_json::Value| {
        all.iter()
            .any(|r| r["item"] == *item && r["result"] != "started")
    };
    let records = all
        .iter()
        .filter(|r| r["result"] != "started" || !ended(&r["item"]))
        .count();
    assert_eq!(text.lines().count(), records, "{text}");
}

#[test]
fn production_needs_its_name_typed_and_a_wrong_name_runs_nothing() {
    let sb = sandbox();
    let _env = hold(&PRODUCTION_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let before = started_at("acme-production_web_1");
    let t = action_console(&sb, "act-typed", dir.path(), "");
    t.keys(&["Tab"]);
    t.wait_for("PRODUCTION · PROTECTED ENVIRONMENT");
    select(&t, "web");
    t.keys(&["R"]);
    t.wait_for("type production and press enter");
    // y confirms nothing here; a wrong name neither.
    t.keys(&["y", "BSpace", "s", "t", "a", "g", "i", "n", "g", "Enter"]);
    t.wait_for("the name typed does not match: nothing runs");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        started_at("acme-production_web_1"),
        before,
        "a wrong name ran it"
    );
    assert!(local_audit(dir.path()).is_empty());
    t.keys(&["p", "r", "o", "d", "u", "c", "t", "i", "o", "n", "Enter"]);
    t.wait_until(Duration::from_secs(30), "the restart done", |s| {
        s.contains("done       restart web")
    });
    assert_ne!(started_at("acme-production_web_1"), before);
    // A shell is an action like any other: production asks for its name.
    t.keys(&["e"]);
    preview(
        &t,
        "confirm: shell acme-production_web_1 on production",
        &["type production and press enter", "docker exec -it '"],
    );
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "the preview closed", |s| {
        !s.contains("type production and press enter") && row_of(s, "web").is_some()
    });
}

#[test]
fn a_held_lock_refuses_a_second_console_shows_the_holder_and_can_be_broken() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Another console's lock, as a console writes it.
    let lock = lock_dir(&sb, "staging");
    std::fs::create_dir_all(&lock).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        lock.join("owner.json"),
        r#"{"operator":"ana@laptop","action":"restart gateway","pid":4242,"console":"4242-1","since":1795300000}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let _unlock = Unlock(lock.clone());
    // Its console last touched it 5 minutes ago: it stopped answering.
    ok_stdout(
        Command::new("touch")
            .args(["-d", "-5 min"])
            .arg(lock.join("owner.json")),
    );
    let before = started_at("acme-staging_web_1");
    let t = action_console(&sb, "act-lock", dir.path(), "");
    // Shown on connect, before any action runs into it.
    t.wait_until(Duration::from_secs(15), "the lock in the header", |s| {
        s.contains("LOCKED by ana@laptop (restart gateway); its console stopped answering 5m ago")
    });
    select(&t, "web");
    t.keys(&["R"]);
    // The preview already knows: its lock check fails, so it asks twice.
    preview(
        &t,
        "confirm: restart web on staging",
        &["✗ host lock             held by ana@laptop (restart gateway)"],
    );
    t.keys(&["y"]);
    t.wait_for("confirm once more");
    t.keys(&["y"]);
    let screen = t.wait_until(Duration::from_secs(15), "refused with the holder", |s| {
        s.contains("FAILED") && s.contains("host LOCKED by ana@laptop")
    });
    assert!(
        screen.contains("restart gateway"),
        "the holder's action: {screen}"
    );
    assert_eq!(
        started_at("acme-staging_web_1"),
        before,
        "it ran despite the lock"
    );
    assert!(
        lock.join("owner.json").exists(),
        "someone else's lock was touched"
    );
    // Refused is a record too, here and on the host.
    for (place, records) in [
        ("host", host_audit(&sb, "staging")),
        ("local", local_audit(dir.path())),
    ] {
        let last = records.last().cloned().unwrap_or_default();
        assert_eq!(last["result"], "refused", "{place}: {records:?}");
        assert_eq!(last["targets"][0], "web", "{place}: {last}");
        assert!(
            last["error"]
                .as_str()
                .is_some_and(|e| e.contains("locked by another console: ana@laptop")),
            "{place}: {last}"
        );
    }
    // Breaking it is an action of its own, confirmed like any other.
    t.keys(&["M-l"]);
    preview(
        &t,
        "confirm: break the host lock on staging",
        &["✗ host lock"],
    );
    // The failed check asks for a second confirmation.
    t.keys(&["y"]);
    t.wait_for("confirm once more");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(15), "the lock broken", |s| {
        s.contains("done       break the host lock")
    });
    assert!(!lock.exists(), "the lock is still there");
}

#[test]
fn killing_the_connection_mid_restart_ends_the_item_unknown_and_keeps_the_lock() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lock = lock_dir(&sb, "staging");
    let _ = std::fs::remove_dir_all(&lock);
    let _unlock = Unlock(lock.clone());
    let t = action_console(&sb, "act-unknown", dir.path(), "");
    // The backend group: three services, the gateway draining for 8 s when stopped, so
    // the restart is still running when the connection is killed however fast the
    // machine (without it, a quiet machine restarted all three in 2 s, before the kill).
    slow_stop("acme-staging_gateway_1");
    t.keys(&["B"]);
    t.wait_for("confirm: restart gateway, order-service, print-service on staging");
    let confirmed = pilothouse_core::time::unix_now();
    t.keys(&["y"]);
    // Compose has started restarting on the host: the engine has sent a container of
    // the group its stop signal (compose prints a container's line only once it is
    // back, which on a loaded machine can be many seconds later).
    t.wait_until(Duration::from_secs(15), "the step running", |s| {
        s.contains("step 1/1")
    });
    engine_sent_a_stop(
        "acme-staging",
        &["gateway", "order-service", "print-service"],
        confirmed,
    );
    // This console's ssh masters are the only processes with its TMPDIR in their args.
    run(Command::new("pkill")
        .arg("-KILL")
        .arg("-f")
        .arg(format!("ssh .*{}", dir.path().display())));
    let screen = t.wait_until(Duration::from_secs(20), "the item unknown", |s| {
        s.contains("UNKNOWN")
    });
    assert!(screen.contains("outcome unknown"), "{screen}");
    assert!(!screen.contains("done       restart"), "{screen}");
    let record = local_audit(dir.path()).last().cloned().unwrap_or_default();
    assert_eq!(record["result"], "unknown", "audited so");
    // The lock stays, with its owner, for whoever looks next.
    let owner = std::fs::read_to_string(lock.join("owner.json")).unwrap_or_default();
    assert!(
        owner.contains("restart gateway, order-service, print-service"),
        "{owner}"
    );
    // After the reconnect the console shows it as held: its own leftover, no item of
    // its own running.
    t.wait_until(
        Duration::from_secs(30),
        "the leftover lock in the header",
        |s| {
            s.contains("· connected")
                && s.contains("LOCKED by")
                && s.contains("LOCKED by this console (restart gateway, order-service, print-service) after an unknown outcome")
        },
    );
    // The host's audit has the truth as soon as the host answers again.
    eventually(
        Duration::from_secs(15),
        "the unknown outcome on the host",
        || {
            let host = host_audit(&sb, "staging");
            host.iter()
                .any(|r| {
                    r["result"] == "unknown"
                        && r["targets"].to_string().contains("print-service")
                        && r["operator"] == record["operator"]
                })
                .then_some(())
                .ok_or(format!("{host:?}"))
        },
    );
    // Its own leftover lock is released with one confirmation.
    t.keys(&["M-l"]);
    preview(
        &t,
        "confirm: break the host lock on staging",
        &[
            "✓ host lock",
            "held by this console since an item ended unknown",
        ],
    );
    t.keys(&["y"]);
    let screen = t.wait_until(Duration::from_secs(15), "the lock released", |s| {
        s.contains("done       break the host lock") || s.contains("confirm once more")
    });
    assert!(!screen.contains("confirm once more"), "{screen}");
    assert!(!lock.exists(), "the lock is still there");
    // The services come back by themselves; wait so later tests find them healthy.
    engine_started_again(
        "acme-staging",
        &["gateway", "order-service", "print-service"],
        confirmed,
    );
    eventually(Duration::from_secs(60), "the backend healthy again", || {
        let out = ok_stdout(Command::new("docker").args([
            "ps",
            "--filter",
            "label=com.docker.compose.project=acme-staging",
            "--filter",
            "health=healthy",
            "-q",
        ]));
        (out.lines().count() == STAGING.len())
            .then_some(())
            .ok_or(format!("{} healthy", out.lines().count()))
    });
}

#[test]
fn migrate_really_changes_the_sandbox_database_and_the_status_check_reads_it() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    sb.psql("staging", "DROP TABLE IF EXISTS demo_migrations");
    // The migration records the version of the image gateway runs, whatever that is now.
    let env = ok_stdout(Command::new("docker").args([
        "inspect",
        "-f",
        "{{range .Config.Env}}{{println .}}{{end}}",
        "acme-staging_gateway_1",
    ]));
    let version = env
        .lines()
        .find_map(|l| l.strip_prefix("DEMO_VERSION="))
        .unwrap_or_else(|| panic!("gateway has no DEMO_VERSION: {env}"))
        .to_string();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = action_console(&sb, "act-migrate", dir.path(), "");
    t.keys(&["M"]);
    // The command wraps in the dialog; its end is what the config says.
    preview(
        &t,
        "confirm: migrate gateway on staging",
        &["'gateway' 'demo-service' 'migrate'"],
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(30), "the migration done", |s| {
        s.contains("done       migrate gateway")
    });
    assert_eq!(
        sb.psql(
            "staging",
            "SELECT string_agg(version, ',') FROM demo_migrations"
        ),
        version
    );
    // This console's timeline has it at once, as the host's audit trail tells it.
    t.keys(&["t"]);
    t.wait_until(
        Duration::from_secs(3),
        "the migration in the timeline",
        |s| {
            s.lines().any(|l| {
                l.contains(" audit ")
                    && l.contains("gateway")
                    && l.contains("migrate by ")
                    && l.contains(": succeeded")
            })
        },
    );
    t.keys(&["t"]);
    t.wait_for("sort:");
    t.keys(&["W"]);
    t.wait_for("confirm: migration status gateway on staging");
    t.keys(&["y"]);
    let screen = t.wait_until(Duration::from_secs(30), "the status read", |s| {
        s.contains("done       migration status")
    });
    assert!(screen.contains(&format!("applied: {version}")), "{screen}");
}

#[test]
fn pgadmin_start_and_stop_really_start_and_stop_its_container() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let running = || {
        ok_stdout(Command::new("docker").args([
            "ps",
            "-q",
            "--filter",
            "label=com.docker.compose.project=acme-staging",
            "--filter",
            "label=com.docker.compose.service=pgadmin",
        ]))
        .trim()
        .to_string()
    };
    assert!(running().is_empty(), "pgAdmin is already running");
    struct Remove<'a>(&'a Path);
    impl Drop for Remove<'_> {
        fn drop(&mut self) {
            let _ = Command::new("docker-compose")
                .current_dir(self.0)
                .args([
                    "-p",
                    "acme-staging",
                    "-f",
                    "docker-compose.pgadmin.yml",
                    "rm",
                    "-s",
                    "-f",
                    "pgadmin",
                ])
                .output();
        }
    }
    let project = sb.state.join("opt/staging");
    let _remove = Remove(&project);
    let t = action_console(&sb, "act-pgadmin", dir.path(), "");
    t.keys(&["P"]);
    preview(
        &t,
        "confirm: pgAdmin start on staging",
        &["database connections"],
    );
    t.keys(&["y"]);
    // Staging's pools leave little room: the check may fail and ask again.
    if t.screen().contains("confirm once more") {
        t.keys(&["y"]);
    }
    t.wait_until(Duration::from_secs(60), "pgAdmin started", |s| {
        s.contains("done       pgAdmin start")
    });
    assert!(!running().is_empty(), "no pgAdmin container");
    t.wait_until(Duration::from_secs(15), "pgadmin on the table", |s| {
        row_of(s, "pgadmin").is_some_and(|r| r.contains("running"))
    });
    // Its forward opened by itself: the header names it, the list (F) has its URL,
    // and it answers here.
    t.wait_until(Duration::from_secs(15), "pgAdmin's forward open", |s| {
        s.contains("fwd pgadmin http://")
    });
    t.keys(&["F"]);
    let screen = t.wait_until(Duration::from_secs(5), "the list", |s| {
        s.lines()
            .any(|l| l.contains("▶ pgadmin") && l.contains("http://127.0.0.1:"))
    });
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "the list closed", |s| {
        !s.contains("port forwards of staging")
    });
    let line = screen
        .lines()
        .find(|l| l.contains("▶ pgadmin"))
        .unwrap_or_default();
    let url = url_after(line, "→ ");
    eventually(
        Duration::from_secs(10),
        "pgAdmin through its forward",
        || answers(&format!("{url}health/ready")),
    );
    t.keys(&["P"]);
    t.wait_for("confirm: pgAdmin stop on staging");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(60), "pgAdmin stopped", |s| {
        s.contains("done       pgAdmin stop")
    });
    assert!(running().is_empty(), "pgAdmin still runs");
    // ... and closed with it: the port is not listening any more.
    t.wait_until(
        Duration::from_secs(10),
        "the forward gone from the header",
        |s| !s.contains("fwd pgadmin"),
    );
    eventually(Duration::from_secs(5), "the local port closed", || {
        refused(&url)
    });
}

/// The URL that follows `after` on the screen (up to the next space).
fn url_after(screen: &str, after: &str) -> String {
    screen
        .lines()
        .find_map(|l| l.split_once(after).map(|(_, rest)| rest))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no URL after {after:?}:\n{screen}"))
        .to_string()
}

/// Ok when `url` answers 2xx here.
fn answers(url: &str) -> Result<(), String> {
    let out = run(Command::new("curl").args(["-fsS", "-m", "3", "-o", "/dev/null", url]));
    out.status
        .success()
        .then_some(())
        .ok_or_else(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Ok when nothing listens at `url`'s port any more.
fn refused(url: &str) -> Result<(), String> {
    // curl's exit 7: it could not connect at all.
    let out = run(Command::new("curl").args(["-sS", "-m", "3", "-o", "/dev/null", url]));
    (out.status.code() == Some(7))
        .then_some(())
        .ok_or(format!("still answers: {:?}", out.status.code()))
}

#[test]
fn a_forward_opens_on_a_local_port_answers_and_is_gone_after_it_is_closed() {
    let sb = sandbox();
    // The header it reads names the forward after the lock, if one is held: another
    // test's lock on staging (a long `LOCKED by …` text) would push it off the line.
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = action_console(&sb, "forwards", dir.path(), "");
    t.keys(&["F"]);
    t.wait_until(Duration::from_secs(5), "the list", |s| {
        s.contains("port forwards of staging") && s.contains("gateway") && s.contains("closed")
    });
    t.keys(&["Down", "Enter"]);
    let screen = t.wait_until(Duration::from_secs(15), "gateway's forward open", |s| {
        s.lines()
            .any(|l| l.contains("▶ gateway") && l.contains("http://127.0.0.1:"))
    });
    let line = screen
        .lines()
        .find(|l| l.contains("▶ gateway"))
        .unwrap_or_default();
    let url = url_after(line, "→ ");
    assert_ne!(
        url, "http://127.0.0.1:18080/",
        "a port of its own, not the service's"
    );
    // The gateway answers through it, its build included.
    answers(&format!("{url}health")).unwrap_or_else(|e| panic!("{url}: {e}"));
    // It stays open with the list closed (the header names it), and closes from it.
    t.keys(&["Escape"]);
    t.wait_until(
        Duration::from_secs(5),
        "the list closed, the header naming it",
        |s| !s.contains("port forwards of staging") && s.contains("fwd gateway http://"),
    );
    // A reconnect (a new ssh master) opens it again on the same port.
    t.keys(&["r"]);
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let log = dir.path().join("pilothouse/pilothouse.log");
    eventually(
        Duration::from_secs(20),
        "opened again after the reconnect",
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.contains(&format!("forward gateway open again on 127.0.0.1:{port}"))
                .then_some(())
                .ok_or(text)
        },
    );
    answers(&format!("{url}health")).unwrap_or_else(|e| panic!("{url}: {e}"));
    t.keys(&["F"]);
    t.wait_for("port forwards of staging");
    t.keys(&["Down", "Enter"]);
    t.wait_until(Duration::from_secs(10), "closed", |s| {
        s.lines()
            .any(|l| l.contains("▶ gateway") && l.contains("closed"))
    });
    refused(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
}

#[test]
fn a_hostile_service_name_is_refused_before_anything_runs() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = format!("acme-hostile-{}", std::process::id());
    let marker = dir.path().join("pwned");
    let hostile = format!("web;touch {}", marker.display());
    let name = format!("{project}_hostile_1");
    let _ = run(Command::new("docker").args(["rm", "-f", &name]));
    ok_stdout(Command::new("docker").args([
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "host",
        "--label",
        &format!("com.docker.compose.project={project}"),
        "--label",
        &format!("com.docker.compose.service={hostile}"),
        "-e",
        "PORT=18983",
        "-e",
        "DATABASE_POOL_SIZE=0",
        "127.0.0.1:5000/acme/web:v1",
    ]));
    let _c = Container(name);
    // Only the hostile project: not the container outside compose either (R acts on
    // the selected row, the first).
    let config = edited_config(&sb, dir.path(), |text| {
        text.replacen(
            "project_name = \"acme-staging\"",
            &format!("project_name = \"{project}\""),
            1,
        )
        .replacen(
            "[environments.staging.containers]\nmatch = [\"acme-legacy\"]\n",
            "",
            1,
        )
    });
    let t = Tmux::start(
        "act-hostile",
        &format!(
            "env XDG_STATE_HOME={} {}",
            dir.path().display(),
            console_with(&config, dir.path())
        ),
    );
    t.wait_until(Duration::from_secs(15), "the hostile row", |s| {
        s.contains("· connected") && s.contains("│web;touch")
    });
    t.keys(&["R"]);
    // The whole message, not a frame caught half drawn.
    let screen = t.wait_until(Duration::from_secs(15), "the refusal", |s| {
        s.contains("refused: invalid service name") && s.contains("nothing queued")
    });
    assert!(!screen.contains("confirm:"), "{screen}");
    std::thread::sleep(Duration::from_secs(1));
    assert!(!marker.exists(), "the name was run as a command");
    assert!(local_audit(dir.path()).is_empty());
}

#[test]
fn read_only_mode_queues_nothing() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = action_console(&sb, "act-ro", dir.path(), "--read-only");
    select(&t, "web");
    t.keys(&["R"]);
    let screen = t.wait_for("read-only (--read-only): restart is not queued");
    assert!(!screen.contains("confirm:"), "{screen}");
    t.keys(&["e"]);
    let screen = t.wait_for("read-only (--read-only): shell is not queued");
    assert!(!screen.contains("confirm:"), "{screen}");
    t.keys(&["P", "M"]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!t.screen().contains("confirm:"));
    assert!(local_audit(dir.path()).is_empty());
}

/// Presses down in the pool view until the session `pid` is the selected one.
fn select_session(t: &Tmux, pid: &str) {
    let selected = format!("selected {pid} ");
    for _ in 0..40 {
        if t.screen().contains(&selected) {
            return;
        }
        t.keys(&["Down"]);
        std::thread::sleep(Duration::from_millis(150));
    }
    t.wait_for(&selected);
}

#[test]
fn a_database_session_is_terminated_from_the_pool_view() {
    let sb = sandbox();
    use std::io::Write;
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A client that leaves its transaction open, as a leaking pool does.
    let mut victim = KillOnDrop(
        Command::new("psql")
            .env("PGPASSWORD", sb.pg_password("staging"))
            .env("PGAPPNAME", "pilothouse-test-victim")
            .args([
                "-X",
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                "5433",
                "-U",
                "acme",
                "-d",
                "acme",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("psql: {e}")),
    );
    if let Some(stdin) = victim.0.stdin.as_mut() {
        stdin
            .write_all(b"BEGIN;\nSELECT 1;\n")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let find = "SELECT pid FROM pg_stat_activity WHERE application_name = 'pilothouse-test-victim' \
                AND state = 'idle in transaction'";
    let mut pid = String::new();
    eventually(
        Duration::from_secs(10),
        "the victim idle in its transaction",
        || {
            pid = sb.psql("staging", find);
            (!pid.is_empty()).then_some(()).ok_or("not yet".into())
        },
    );
    let t = action_console(&sb, "act-terminate", dir.path(), "");
    t.keys(&["p"]);
    t.wait_until(
        Duration::from_secs(15),
        "the victim in the pool view",
        |s| s.contains("staging · database pool") && s.contains("pilothouse-test-victim"),
    );
    select_session(&t, &pid);
    t.keys(&["T"]);
    preview(
        &t,
        &format!("confirm: terminate a database session session {pid}"),
        &[
            "sql> SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
            &format!("WHERE pid = {pid} AND"),
            "needs no free slot",
        ],
    );
    assert_eq!(sb.psql("staging", find), pid, "it ran before confirmation");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(20), "the terminate done", |s| {
        s.contains("done       terminate a database session") && s.contains("terminated")
    });
    eventually(Duration::from_secs(5), "the session gone", || {
        let left = sb.psql(
            "staging",
            &format!("SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"),
        );
        (left == "0").then_some(()).ok_or(format!("{left} left"))
    });
    let record = local_audit(dir.path()).last().cloned().unwrap_or_default();
    assert_eq!(record["action"], "terminate a database session", "{record}");
    assert_eq!(record["result"], "succeeded", "{record}");
    assert!(
        record["commands"][0]
            .as_str()
            .is_some_and(|c| c.contains(&format!(
                "pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = {pid}"
            ))),
        "{record}"
    );
}

#[test]
fn restart_from_the_pool_view_reclaims_a_leaking_service_s_connections() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let container = "acme-staging_order-service_1";
    let _unleak = Unleak(container);
    let pids = || {
        sb.psql(
            "staging",
            "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity \
             WHERE application_name = 'order-service'",
        )
    };
    ok_stdout(Command::new("docker").args([
        "exec",
        container,
        "sh",
        "-c",
        "echo 2 > /tmp/control/leak",
    ]));
    let mut leaking = String::new();
    eventually(Duration::from_secs(10), "order-service holding 5", || {
        leaking = pids();
        let n = leaking.split(',').filter(|p| !p.is_empty()).count();
        (n == 5).then_some(()).ok_or(format!("{n} held"))
    });
    let before = started_at(container);
    let t = action_console(&sb, "act-reclaim", dir.path(), "");
    t.keys(&["p"]);
    t.wait_until(Duration::from_secs(15), "order-service over budget", |s| {
        s.contains("staging · database pool") && s.contains("OVER by 2")
    });
    // Nothing selected: R restarts the services over their budget.
    t.keys(&["R"]);
    preview(
        &t,
        "confirm: restart order-service on staging",
        &["holds 5 (pool size 3); the restart closes them"],
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(60), "the restart done", |s| {
        s.contains("done       restart order-service")
    });
    assert_ne!(started_at(container), before, "not restarted");
    ok_stdout(Command::new("docker").args(["exec", container, "rm", "-f", "/tmp/control/leak"]));
    // Every connection it held before, the leaked ones with them, is closed.
    let old: Vec<String> = leaking.split(',').map(str::to_string).collect();
    eventually(Duration::from_secs(10), "the old connections gone", || {
        let now = pids();
        let kept: Vec<&str> = now
            .split(',')
            .filter(|p| old.iter().any(|o| o == p))
            .collect();
        kept.is_empty()
            .then_some(())
            .ok_or(format!("still held: {kept:?}"))
    });
    // And the service is back to its pool size (healthy for the tests after).
    eventually(Duration::from_secs(60), "order-service back to 3", || {
        let n = pids().split(',').filter(|p| !p.is_empty()).count();
        (n == 3).then_some(()).ok_or(format!("{n} held"))
    });
}

#[test]
fn an_incident_snapshot_has_the_table_pool_logs_and_audit_and_no_secret() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let secrets = sb.env_secrets("staging");
    // A service that logs its secrets, as services do.
    let leak = format!(
        "booting with DATABASE_URL=postgresql://acme:{}@127.0.0.1:5432/acme jwt={} admin={}",
        secrets[0], secrets[1], secrets[2]
    );
    ok_stdout(Command::new("docker").args([
        "exec",
        "acme-staging_gateway_1",
        "sh",
        "-c",
        &format!("echo '{leak}' > /proc/1/fd/1"),
    ]));
    let t = action_console(&sb, "act-snapshot", dir.path(), "");
    t.keys(&["p"]);
    t.wait_until(Duration::from_secs(15), "a pool reading", |s| {
        s.contains(" usable · ")
    });
    t.keys(&["I"]);
    let screen = t.wait_until(Duration::from_secs(40), "the snapshot written", |s| {
        s.contains("incident snapshot written to") || s.contains("NOT written")
    });
    assert!(!screen.contains("NOT written"), "{screen}");
    let file = find_file(dir.path(), "pilothouse-incident-staging-")
        .unwrap_or_else(|| panic!("no snapshot file under {}", dir.path().display()));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    for part in [
        "# Incident snapshot: staging",
        "## Containers",
        "| gateway | acme-staging_gateway_1 |",
        "## Database connection pool",
        "| gateway | gateway |",
        "## Logs: the last 200 lines",
        "### gateway",
        "### web",
        "booting with DATABASE_URL=postgresql://acme:****@127.0.0.1:5432/acme jwt=**** admin=****",
        "## The host's audit records",
    ] {
        assert!(text.contains(part), "{part:?} missing from:\n{text}");
    }
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret in the snapshot");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode.ok(), Some(0o600), "the snapshot is readable by others");
}

/// The first file under `dir` (recursively) whose name starts with `prefix`.
fn find_file(dir: &Path, prefix: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(f) = find_file(&path, prefix) {
                return Some(f);
            }
        } else if entry.file_name().to_string_lossy().starts_with(prefix) {
            return Some(path);
        }
    }
    None
}

// ---- Signals ----

/// The terminal is as it was before the console: main screen, cursor shown, no mouse
/// reporting; and nothing the console started is left: no ssh process and no file in
/// its private TMPDIR.
fn left_clean(t: &Tmux, tmp: &Path) {
    eventually(
        Duration::from_secs(10),
        "ssh processes and temp files gone",
        || left_behind(tmp),
    );
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left on");
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor left hidden");
    assert_eq!(
        t.format("#{mouse_any_flag}"),
        "0",
        "mouse reporting left on"
    );
}

#[test]
fn sigint_ends_the_console_as_sigterm_does_restoring_the_terminal_and_closing_ssh() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = action_console(&sb, "sigint", dir.path(), "");
    assert_eq!(t.format("#{mouse_any_flag}"), "1", "mouse was never on");
    run(Command::new("kill").args(["-INT", &console_pid(&t)]));
    let screen = t.wait_until(Duration::from_secs(10), "the console gone", |s| {
        s.contains("EXIT=")
    });
    assert!(screen.contains("EXIT=0"), "{screen}");
    left_clean(&t, dir.path());
}

#[test]
fn sigterm_mid_restart_lets_the_step_finish_audits_it_on_the_host_and_frees_the_lock() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lock = lock_dir(&sb, "staging");
    let _ = std::fs::remove_dir_all(&lock);
    let _unlock = Unlock(lock.clone());
    let before = started_at("acme-staging_web_1");
    let host_before = host_audit(&sb, "staging").len();
    let t = action_console(&sb, "sigterm", dir.path(), "");
    select(&t, "web");
    t.keys(&["R"]);
    t.wait_for("confirm: restart web on staging");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(15), "the restart running", |s| {
        s.contains("step 1/1")
    });
    run(Command::new("kill").args(["-TERM", &console_pid(&t)]));
    let screen = t.wait_until(Duration::from_secs(40), "the console gone", |s| {
        s.contains("EXIT=")
    });
    assert!(screen.contains("EXIT=0"), "{screen}");
    // The restart went on and ended, and both audits say how, and that it was stopped.
    assert_ne!(
        started_at("acme-staging_web_1"),
        before,
        "web was not restarted"
    );
    let host = host_audit(&sb, "staging");
    assert_eq!(host.len(), host_before + 1, "{host:?}");
    let record = host.last().cloned().unwrap_or_default();
    assert_eq!(record["action"], "restart", "{record}");
    assert_eq!(record["targets"][0], "web", "{record}");
    assert_eq!(record["result"], "succeeded", "{record}");
    assert_eq!(record["interrupted"], true, "{record}");
    let local = local_audit(dir.path()).last().cloned().unwrap_or_default();
    assert_eq!(local["interrupted"], true, "{local}");
    assert!(!lock.exists(), "the lock was left behind");
    left_clean(&t, dir.path());
}

/// Types `text` into the console, a key at a time (a space is `Space`).
fn type_text(t: &Tmux, text: &str) {
    for c in text.chars() {
        let key = if c == ' ' {
            "Space".to_string()
        } else {
            c.to_string()
        };
        t.keys(&[&key]);
    }
}

#[test]
fn a_maintenance_lock_taken_in_one_console_shows_in_another_and_stops_its_actions() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let lock = lock_dir(&sb, "staging");
    let _unlock = Unlock(lock.clone());
    let (dir_a, dir_b) = (
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
    );
    let a = action_console(&sb, "maint-a", dir_a.path(), "");
    let b = action_console(&sb, "maint-b", dir_b.path(), "");
    let message = "DB maintenance until 14:00, Sam";
    a.keys(&["L"]);
    a.wait_for("maintenance lock on staging");
    type_text(&a, message);
    a.keys(&["Enter"]);
    preview(
        &a,
        "confirm: maintenance lock on staging",
        &[
            "take the host lock for maintenance",
            "no action runs on this host",
        ],
    );
    a.keys(&["y"]);
    a.wait_until(Duration::from_secs(30), "the lock taken", |s| {
        s.contains("done       maintenance lock")
    });
    let owner = std::fs::read_to_string(lock.join("owner.json")).unwrap_or_default();
    assert!(owner.contains(message), "{owner}");
    // The other console shows it with its message (the lock is read every 5 s).
    b.wait_until(
        Duration::from_secs(15),
        "the maintenance in B's header",
        |s| s.contains(&format!("MAINTENANCE: {message}")),
    );
    // ... and the taking console too: it is nobody's action.
    a.wait_for(&format!("MAINTENANCE: {message}"));
    // B's actions see it in their preview, and nothing runs.
    let before = started_at("acme-staging_web_1");
    select(&b, "web");
    b.keys(&["R"]);
    preview(&b, "confirm: restart web on staging", &[message]);
    b.keys(&["y"]);
    b.wait_for("confirm once more");
    b.keys(&["y"]);
    b.wait_until(Duration::from_secs(15), "refused", |s| s.contains("FAILED"));
    assert_eq!(
        started_at("acme-staging_web_1"),
        before,
        "it ran despite maintenance"
    );
    // The same key releases it, confirmed like any action.
    a.keys(&["L"]);
    preview(
        &a,
        "confirm: end the maintenance lock on staging",
        &["rm -rf"],
    );
    a.keys(&["y"]);
    a.wait_until(Duration::from_secs(30), "released", |s| {
        s.contains("done       end the maintenance lock")
    });
    assert!(!lock.exists(), "the lock is still there");
    b.wait_until(Duration::from_secs(15), "B sees it gone", |s| {
        !s.contains("MAINTENANCE:")
    });
    let audit = host_audit(&sb, "staging");
    assert!(
        audit.iter().any(|r| r["action"] == "maintenance lock"),
        "{audit:?}"
    );
}

#[test]
fn a_team_action_refuses_hostile_values_and_runs_a_valid_one_through_the_queue_with_audit() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let host_before = host_audit(&sb, "staging").len();
    let before = container_id("acme-staging_web_1");
    let t = action_console(&sb, "team-action", dir.path(), "");
    t.keys(&["x"]);
    t.wait_until(Duration::from_secs(5), "the menu", |s| {
        s.contains("actions on staging") && s.contains("recreate service") && s.contains("ops note")
    });
    // The action's key picks it; a hostile service name is refused as it is given.
    t.keys(&["r"]);
    t.wait_for("recreate service on staging");
    type_text(&t, "web;touch /tmp/pwned");
    t.keys(&["Enter"]);
    t.wait_for("is not a service name");
    // Something that looks like a service but is not one of the project's.
    for _ in 0.."web;touch /tmp/pwned".len() {
        t.keys(&["BSpace"]);
    }
    type_text(&t, "webx");
    t.keys(&["Enter"]);
    t.wait_for("is not a service of this environment");
    t.keys(&["BSpace"]);
    t.keys(&["Enter"]);
    preview(
        &t,
        "confirm: recreate service web on staging",
        &[
            "recreate service: docker-compose -p acme-staging -f docker-compose.yml up -d --no-deps --force-recreate 'web'",
            "a fresh container for one service",
        ],
    );
    assert_eq!(
        container_id("acme-staging_web_1"),
        before,
        "it ran before confirmation"
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(60), "the action done", |s| {
        s.contains("done       recreate service web")
    });
    assert_ne!(container_id("acme-staging_web_1"), before, "not recreated");
    let host = host_audit(&sb, "staging");
    assert_eq!(host.len(), host_before + 1, "one record more on the host");
    let record = host.last().cloned().unwrap_or_default();
    assert_eq!(record["action"], "recreate service", "{record}");
    assert_eq!(record["targets"][0], "web", "{record}");
    assert_eq!(record["result"], "succeeded", "{record}");
    // A text parameter: shell syntax does not match its pattern and is refused.
    t.keys(&["x", "n"]);
    t.wait_for("ops note on staging");
    type_text(&t, "$(touch /tmp/pwned)");
    t.keys(&["Enter"]);
    t.wait_for("it must match");
    // esc goes back to the list, a second esc closes the menu.
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "the list again", |s| {
        s.contains("actions on staging") && !s.contains("ops note on staging")
    });
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "the menu closed", |s| {
        !s.contains("actions on staging")
    });
    assert!(!Path::new("/tmp/pwned").exists(), "a hostile value ran");
    assert_eq!(host_audit(&sb, "staging").len(), host_before + 1);
}

fn container_id(name: &str) -> String {
    ok_stdout(Command::new("docker").args(["inspect", "-f", "{{.Id}}", name]))
        .trim()
        .to_string()
}

#[test]
fn a_container_outside_compose_is_listed_its_logs_follow_and_it_restarts_and_deploys_through_the_queue()
 {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Whatever a failed run left: the sandbox's container on v1 again.
    let makefile_dir = sb.state.join("opt/staging/legacy");
    struct BackToV1(std::path::PathBuf);
    impl Drop for BackToV1 {
        fn drop(&mut self) {
            let _ = Command::new("make")
                .args(["-s", "-C"])
                .arg(&self.0)
                .args(["run", "TAG=v1"])
                .output();
        }
    }
    let _v1 = BackToV1(makefile_dir);
    let t = action_console(&sb, "outside", dir.path(), "");
    t.wait_until(
        Duration::from_secs(15),
        "the outside container's row",
        |s| {
            row_of(s, "acme-legacy")
                .is_some_and(|r| r.contains("running") && r.contains("acme/order-service:v1"))
        },
    );
    // status --json lists it with the project's containers.
    let (_, out) = status(&sb.config, &["--env", "staging", "--json"]);
    assert!(out.contains("\"acme-legacy\""), "{out}");
    // Its logs follow in the pane, like a service's.
    // f follows the selected row's logs in the pane; the table keeps the keys.
    select(&t, "acme-legacy");
    t.keys(&["f"]);
    // The table never shows request lines: these are the pane's.
    t.wait_until(Duration::from_secs(15), "its log lines", |s| {
        s.lines().filter(|l| l.contains("GET /")).count() >= 2
    });
    // Restart through the queue: docker itself, not compose.
    let before = started_at("acme-legacy");
    t.keys(&["R"]);
    preview(
        &t,
        "confirm: restart acme-legacy on staging",
        &["docker restart -t 10 'acme-legacy'", "(outside compose)"],
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(30), "the restart done", |s| {
        s.contains("done       restart acme-legacy")
    });
    assert_ne!(started_at("acme-legacy"), before, "not restarted");
    // A compose deploy refuses it; its deploy is the team's action with a tag.
    t.keys(&["M-d"]);
    t.wait_for("pick a tag");
    type_text(&t, "v2");
    t.keys(&["Enter"]);
    t.wait_for("runs outside the compose project");
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "the picker closed", |s| {
        !s.contains("pick a tag")
    });
    t.keys(&["x", "d"]);
    t.wait_for("deploy legacy on staging");
    type_text(&t, "v2");
    t.keys(&["Enter"]);
    preview(
        &t,
        "confirm: deploy legacy on staging",
        &["make -C legacy deploy TAG='v2'"],
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(60), "the legacy deploy done", |s| {
        s.contains("done       deploy legacy")
    });
    // The recreated container (same name, new id) is followed on its new image.
    t.wait_until(Duration::from_secs(15), "the row on v2", |s| {
        row_of(s, "acme-legacy")
            .is_some_and(|r| r.contains("acme/order-service:v2") && r.contains("running"))
    });
    let audit = host_audit(&sb, "staging");
    assert!(
        audit
            .iter()
            .any(|r| r["action"] == "deploy legacy" && r["result"] == "succeeded"),
        "{audit:?}"
    );
}

#[test]
fn an_item_cancelled_while_queued_is_audited_here_and_on_the_host() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let before = started_at("acme-staging_web_1");
    let t = action_console(&sb, "act-cancel", dir.path(), "");
    // The backend group first (three restarts, seconds), then web queued behind it
    // and cancelled there.
    select(&t, "web");
    t.keys(&["B"]);
    t.wait_for("confirm: restart gateway, order-service, print-service on staging");
    t.keys(&["y"]);
    t.keys(&["R"]);
    t.wait_for("confirm: restart web on staging");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(5), "web queued", |s| {
        s.contains("queued     restart web")
    });
    t.keys(&["C"]);
    t.wait_until(
        Duration::from_secs(60),
        "the group done, web cancelled",
        |s| s.contains("done       restart gateway") && s.contains("cancelled  restart web"),
    );
    assert_eq!(
        started_at("acme-staging_web_1"),
        before,
        "web was restarted"
    );
    let find = |records: Vec<serde_json::Value>| {
        records
            .into_iter()
            .rfind(|r| r["result"] == "cancelled")
            .unwrap_or_default()
    };
    eventually(
        Duration::from_secs(10),
        "the cancelled item on the host",
        || {
            let r = find(host_audit(&sb, "staging"));
            (r["targets"][0] == "web")
                .then_some(())
                .ok_or(format!("{r}"))
        },
    );
    let local = find(local_audit(dir.path()));
    assert_eq!(local["targets"][0], "web", "{local}");
    assert!(
        local["error"]
            .as_str()
            .is_some_and(|e| e.contains("cancelled before it ran")),
        "{local}"
    );
}

/// An image with the demo service and nothing else: no shell at all.
fn image_without_a_shell() -> &'static str {
    let image = "pilothouse-test/no-shell:1";
    let dockerfile = "FROM 127.0.0.1:5000/acme/web:v1 AS full\n\
                      FROM scratch\n\
                      COPY --from=full /usr/local/bin/demo-service /usr/local/bin/demo-service\n\
                      COPY --from=full /lib /lib\n\
                      COPY --from=full /lib64 /lib64\n\
                      COPY --from=full /tmp /tmp\n\
                      ENTRYPOINT [\"/usr/local/bin/demo-service\"]\n";
    let mut build = Command::new("docker")
        .args(["build", "-q", "-t", image, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    build
        .stdin
        .take()
        .unwrap()
        .write_all(dockerfile.as_bytes())
        .unwrap();
    let out = build.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    image
}

#[test]
fn e_opens_a_shell_in_the_container_comes_back_to_the_table_and_is_audited_never_what_was_typed() {
    let sb = sandbox();
    let _env = hold(&STAGING_ENV);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A container of a project of this test's own whose image has no shell.
    let project = format!("acme-noshell-{}", std::process::id());
    let bare = service_container_of(&project, "bare", (1, 18995), image_without_a_shell(), &[]);
    let name = bare.0.clone();
    let bare_dir = dir.path().join("bare");
    std::fs::create_dir_all(&bare_dir).unwrap();
    let config = edited_config(&sb, dir.path(), |text| {
        let t = env_t_over_ssh(&sb, &project)
            .replace(&format!("/opt/{project}"), &bare_dir.display().to_string());
        format!("{text}\n{t}")
    });
    let host_before = host_audit_all(&sb, "staging").len();
    let t = action_console_on(&config, "act-shell", dir.path(), "");
    select(&t, "web");
    t.keys(&["e"]);
    preview(
        &t,
        "confirm: shell acme-staging_web_1 on staging",
        &["docker exec -it '", "command -v bash", "acme/web:v"],
    );
    t.keys(&["y"]);
    t.wait_for("pilothouse: shell in acme-staging_web_1 on staging");
    t.keys(&["echo $((6*7))", "Enter"]);
    t.wait_until(Duration::from_secs(10), "the shell's answer", |s| {
        s.lines().any(|l| l.trim() == "42")
    });
    t.keys(&["exit", "Enter"]);
    // Back in the console as it was: the table (filtered to web), connected, and the
    // item done with the shell's exit code.
    let screen = t.wait_until(Duration::from_secs(10), "the console back", |s| {
        s.contains("· connected")
            && row_of(s, "web").is_some()
            && s.contains("done       shell acme-staging_web_1")
    });
    assert!(!screen.contains("pilothouse: shell in"), "{screen}");
    let all = host_audit_all(&sb, "staging");
    let mine: Vec<&serde_json::Value> = all[host_before..]
        .iter()
        .filter(|r| r["action"] == "shell")
        .collect();
    assert_eq!(mine.len(), 2, "started and ended: {all:?}");
    let (start, end) = (mine[0], mine[1]);
    assert_eq!(start["result"], "started");
    assert_eq!(end["result"], "succeeded", "{end}");
    assert_eq!(start["item"], end["item"]);
    assert_eq!(end["targets"], serde_json::json!(["acme-staging_web_1"]));
    assert_eq!(end["exit_codes"], serde_json::json!([0, 0]), "{end}");
    assert!(end["operator"].as_str().is_some_and(|o| !o.is_empty()));
    assert!(end["time"].as_i64() >= start["time"].as_i64());
    let trail =
        std::fs::read_to_string(sb.state.join("opt/staging/.pilothouse/audit.jsonl")).unwrap();
    assert!(!trail.contains("6*7"), "what was typed is never recorded");

    // The container without a shell: the check says so, and the console stays.
    t.keys(&["BTab"]);
    t.wait_until(Duration::from_secs(15), "env t's table", |s| {
        row_of(s, "bare").is_some() && s.contains("· connected")
    });
    t.keys(&["e"]);
    preview(
        &t,
        &format!("confirm: shell {name} on t"),
        &["docker exec -it '"],
    );
    t.keys(&["y"]);
    let screen = t.wait_until(Duration::from_secs(15), "the shell refused", |s| {
        s.contains("no shell: the image has no sh") && s.contains("FAILED")
    });
    assert!(!screen.contains("pilothouse: shell in"), "{screen}");
    assert!(row_of(&screen, "bare").is_some(), "{screen}");
}

//! Health endpoints and the database connection pool, against the real sandbox host:
//! the real binary over SSH, real demo services, real PostgreSQL.
//!
//! Tests that change what the production database holds (a leak, filling it) take
//! [`PRODUCTION_DB`] so they never see each other's connections.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

static PRODUCTION_DB: Mutex<()> = Mutex::new(());

fn production_db() -> std::sync::MutexGuard<'static, ()> {
    PRODUCTION_DB.lock().unwrap_or_else(|e| e.into_inner())
}

/// `status --json` for one environment.
fn status_json(config: &Path, env: &str) -> (Option<i32>, Value) {
    let (code, out) = status(config, &["--json", "--env", env]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let one = match v {
        Value::Array(mut a) => a.remove(0),
        other => other,
    };
    (code, one)
}

/// The console on the sandbox config, with its state (log file) in `dir`.
fn console(sb: &Sandbox, name: &str, dir: &Path, extra_env: &str) -> Tmux {
    Tmux::start(
        name,
        &format!(
            "env TERM=xterm-256color XDG_STATE_HOME={} PILOTHOUSE_LOG=debug {extra_env} {} --config {}",
            dir.display(),
            env!("CARGO_BIN_EXE_pilothouse"),
            sb.config.display()
        ),
    )
}

/// The budget bar line of `service` in the pool view.
fn budget_line<'a>(screen: &'a str, service: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.starts_with(&format!("│{service} ")) && l.contains('/'))
}

#[test]
fn each_service_s_connections_appear_under_its_name_and_the_total_matches_pg_stat_activity() {
    let sb = sandbox();
    // status --json: each pool under its application_name, and the totals.
    eventually(
        Duration::from_secs(30),
        "status --json agrees with pg_stat_activity",
        || {
            let (_, v) = status_json(&sb.config, "staging");
            let pool = &v["pool"];
            for svc in STAGING_POOLS {
                let n = &pool["by_application"][*svc];
                if n != 3 {
                    return Err(format!("{svc}: {n} connections in {pool}"));
                }
                let row = pool["services"]
                    .as_array()
                    .and_then(|a| a.iter().find(|s| s["service"] == *svc))
                    .cloned()
                    .unwrap_or_default();
                if row["connections"] != 3 || row["budget"] != 3 || row["over_budget"] != false {
                    return Err(format!("{svc}: {row}"));
                }
            }
            // Read right after: the same connections, less status's own, plus psql's.
            // Other tests' consoles may hold a pilothouse session of their own too.
            let others = sb.psql(
                "staging",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pilothouse'",
            );
            let others = others.parse::<u64>().unwrap_or(0);
            if pool["by_application"]["pilothouse"].as_u64() != Some(others + 1) {
                return Err(format!(
                    "its own connection is not counted ({others} other pilothouse sessions): {pool}"
                ));
            }
            let clients = sb.psql(
                "staging",
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
            );
            let all = sb.psql("staging", "SELECT count(*) FROM pg_stat_activity");
            let used = pool["used"].as_u64().unwrap_or(0);
            let background = pool["background"].as_u64().unwrap_or(0);
            let (clients, all) = (
                clients.parse::<u64>().unwrap_or(0),
                all.parse::<u64>().unwrap_or(0),
            );
            if used != clients || used + background != all {
                return Err(format!(
                    "console: {used} clients + {background} background; psql: {clients} clients, {all} in all"
                ));
            }
            if pool["max_connections"] != 25 || pool["reserved"] != 3 || pool["headroom"] != 22 {
                return Err(format!("settings: {pool}"));
            }
            Ok(())
        },
    );
    // The console's pool view: every service's bar with 3 of 3.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = console(&sb, "pool-view", dir.path(), "");
    t.wait_for("· connected");
    t.keys(&["p"]);
    let screen = t.wait_until(Duration::from_secs(15), "every pool at 3/3", |s| {
        STAGING_POOLS
            .iter()
            .all(|svc| budget_line(s, svc).is_some_and(|l| l.contains(" 3/3")))
    });
    // Other tests' consoles may be connected too; each counts as a pilothouse session.
    assert!(
        screen.contains("pilothouse (this console) 1") || screen.contains("(this console and "),
        "{screen}"
    );
    assert!(screen.contains("of 22 usable"), "{screen}");
}

#[test]
fn a_leaking_service_shows_over_budget_within_5s() {
    let sb = sandbox();
    let _db = production_db();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = console(&sb, "leak", dir.path(), "");
    t.wait_for("· connected");
    t.keys(&["Tab", "p"]);
    t.wait_until(Duration::from_secs(15), "order-service at 3/3", |s| {
        s.contains("production · database pool")
            && budget_line(s, "order-service").is_some_and(|l| l.contains(" 3/3"))
    });
    let container = "acme-production_order-service_1";
    let exec = |cmd: &str| {
        ok_stdout(Command::new("docker").args(["exec", container, "sh", "-c", cmd]));
    };
    let _unleak = Unleak(container);
    exec("echo 2 > /tmp/control/leak");
    let leaked = Instant::now();
    let screen = t.wait_until(Duration::from_secs(5), "order-service over budget", |s| {
        budget_line(s, "order-service")
            .is_some_and(|l| l.contains("5/3") && l.contains("OVER by 2"))
    });
    let took = leaked.elapsed();
    assert!(took <= Duration::from_secs(5), "took {took:?}");
    assert!(
        screen.contains("longest idle in transaction") && screen.contains("idle in transaction"),
        "{screen}"
    );
    // And status --json flags it. Its exit code says whether everything runs as it
    // should: over budget alone is no failure. A container's health check can miss
    // once on a loaded machine, and that rightly fails the status, so the code is read
    // from a reading in which every container is ok.
    let mut reading = (None, serde_json::Value::Null);
    eventually(
        Duration::from_secs(30),
        "a status reading with every container ok",
        || {
            reading = status_json(&sb.config, "production");
            let containers = &reading.1["containers"];
            containers
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(|c| c["ok"] == true))
                .then_some(())
                .ok_or_else(|| format!("not every container ok: {containers}"))
        },
    );
    let (code, v) = reading;
    let row = v["pool"]["services"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["service"] == "order-service"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["connections"], 5, "{row}");
    assert_eq!(row["over_budget"], true, "{row}");
    assert_eq!(
        code,
        Some(0),
        "over budget alone is not a failing status: {v}"
    );
    exec("rm -f /tmp/control/leak");
    t.wait_until(Duration::from_secs(10), "order-service back to 3/3", |s| {
        budget_line(s, "order-service").is_some_and(|l| l.contains(" 3/3"))
    });
}

/// Idle superuser sessions on production's database (through its unix socket) that
/// hold it at a count while the test looks, and end when dropped.
struct Fillers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    keeper: Option<std::thread::JoinHandle<Vec<KillOnDrop>>>,
}

impl Drop for Fillers {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // The keeper hands its sessions back; dropping them ends them.
        drop(self.keeper.take().map(std::thread::JoinHandle::join));
    }
}

/// Client backends on the production database other than this count's own (only
/// those `filter` keeps); `u64::MAX` when it is too full to count.
fn production_sessions(sock: &Path, filter: &str) -> u64 {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-At", "-h"])
        .arg(sock)
        .args(["-p", "5434", "-U", "postgres", "-d", "postgres", "-c"])
        .arg(format!(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() {filter}"
        ));
    let out = run(&mut cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The count needs a slot of its own: when the services' pools take the last ones
    // at the same moment, "too many clients" means the database is full, which is
    // at least any total asked.
    if !out.status.success() && stderr.contains("too many clients") {
        return u64::MAX;
    }
    assert!(out.status.success(), "counting sessions failed: {stderr}");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<u64>()
        .unwrap_or(0)
}

fn filler(sock: &Path) -> KillOnDrop {
    let child = Command::new("psql")
        .env("PGAPPNAME", "pilothouse-test-fill")
        .args(["-X", "-q", "-h"])
        .arg(sock)
        .args(["-p", "5434", "-U", "postgres", "-d", "postgres"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("psql: {e}"));
    KillOnDrop(child)
}

/// Tops the sessions up to `total` once every filler so far has connected; whether
/// the count holds now.
fn top_up(sock: &Path, total: u64, fillers: &mut Vec<KillOnDrop>) -> Result<(), String> {
    let n = production_sessions(sock, "");
    if n >= total {
        return Ok(());
    }
    // A filler refused a slot has exited: it no longer counts as on its way.
    fillers.retain_mut(|f| matches!(f.0.try_wait(), Ok(None)));
    let ours = production_sessions(sock, "AND application_name = 'pilothouse-test-fill'");
    if ours >= fillers.len() as u64 {
        fillers.extend((n..total).map(|_| filler(sock)));
    }
    Err(format!("{n} of {total}"))
}

/// Fills the production database to `total` client backends and keeps it there until
/// dropped. Other sessions come and go (another test's console or status read): one
/// that leaves after the count was reached must not take it below `total` while the
/// test looks at the console (seen: 23 counted, then 22 on screen for good).
fn fill_production_to(sb: &Sandbox, total: u64) -> Fillers {
    let sock = sb.state.join("pg/production-sock");
    let mut fillers = Vec::new();
    eventually(Duration::from_secs(15), "the database filled", || {
        top_up(&sock, total, &mut fillers)
    });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let keeper = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = top_up(&sock, total, &mut fillers);
            std::thread::sleep(Duration::from_millis(300));
        }
        fillers
    });
    Fillers {
        stop,
        keeper: Some(keeper),
    }
}

#[test]
fn filling_the_database_to_23_of_25_shows_the_warning_and_fails_status() {
    let sb = sandbox();
    let _db = production_db();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = console(&sb, "fill", dir.path(), "");
    t.wait_for("· connected");
    t.keys(&["Tab", "p"]);
    t.wait_until(Duration::from_secs(15), "a first reading", |s| {
        s.contains("production · database pool") && s.contains(" usable · ")
    });
    assert!(
        !t.screen().contains("connection slot"),
        "banner before filling"
    );
    let fillers = fill_production_to(&sb, 23);
    // 23 or more (another test's status may hold one more for a moment).
    let screen = t.wait_until(Duration::from_secs(10), "the warning banner at 23", |s| {
        s.contains("0 connection slots free")
            && s.contains("remaining connection slots are reserved")
            && ["23", "24", "25"]
                .iter()
                .any(|n| s.contains(&format!("in use {n} of 22 usable")))
    });
    // The tab carries it too, with a symbol as well as a colour.
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains("production ▲ !")),
        "{screen}"
    );
    // status: the pool is unhealthy, exit code 1. It cannot even connect as acme now,
    // which is an error in the pool summary, never a healthy one.
    let (code, v) = status_json(&sb.config, "production");
    assert_eq!(code, Some(1), "{v}");
    assert_ne!(v["pool"]["ok"], true, "{v}");
    drop(fillers);
    t.wait_until(Duration::from_secs(15), "the banner gone", |s| {
        !s.contains("connection slots free") && s.contains(" usable · ")
    });
    // The timeline has the pool at none free and back, as this console saw it.
    t.keys(&["t"]);
    t.wait_until(Duration::from_secs(3), "the pool in the timeline", |s| {
        let at = |f: &dyn Fn(&str) -> bool| s.lines().position(f);
        let none = at(&|l| {
            l.contains("the database") && l.contains("no free connections") && !l.contains("over:")
        });
        let back = at(&|l| l.contains("the database") && l.contains("over: no free connections"));
        none.is_some() && back > none
    });
}

#[test]
fn a_wrong_password_shows_an_auth_error_in_the_panel_while_the_table_keeps_updating() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = format!("acme-dbauth-{}", std::process::id());
    let config = edited_config(&sb, dir.path(), |text| {
        text.replacen(
            "url = { env_file = \"DATABASE_URL\" }",
            "url = { local_env = \"PILOTHOUSE_TEST_DB_URL\" }",
            1,
        )
        .replacen(
            "project_name = \"acme-staging\"",
            &format!("project_name = \"{project}\""),
            1,
        )
    });
    let wrong = "Wr0ngPassw0rdForTest";
    let noisy = noisy_container(&project, 1, 18981, "v1");
    let t = Tmux::start(
        "dbauth",
        &format!(
            "env TERM=xterm-256color XDG_STATE_HOME={} PILOTHOUSE_TEST_DB_URL=postgresql://acme:{wrong}@127.0.0.1:5433/acme {}",
            dir.path().display(),
            console_with(&config, dir.path())
        ),
    );
    t.wait_until(Duration::from_secs(15), "the noisy row", |s| {
        row_of(s, "noisy").is_some_and(|r| r.contains("running"))
    });
    t.keys(&["p"]);
    let screen = t.wait_until(Duration::from_secs(15), "the auth error", |s| {
        s.contains("cannot read the pool") && s.contains("password authentication failed")
    });
    assert!(!screen.contains(wrong), "{screen}");
    assert!(screen.contains("db: error"), "{screen}");
    // The rest of the console carries on: the table still follows the host.
    t.keys(&["p"]);
    ok_stdout(Command::new("docker").args(["stop", "-t", "1", &noisy.0]));
    t.wait_until(Duration::from_secs(5), "the stop on the table", |s| {
        row_of(s, "noisy").is_some_and(|r| r.contains("exited"))
    });
    assert!(t.screen().contains("· connected"));
    let log =
        std::fs::read_to_string(dir.path().join("pilothouse/pilothouse.log")).unwrap_or_default();
    assert!(!log.contains(wrong), "the wrong password is in the log");
}

#[test]
fn the_database_password_is_never_on_screen_in_the_log_or_in_status_json() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let passwords = [sb.pg_password("staging"), sb.pg_password("production")];
    let t = console(&sb, "secrets", dir.path(), "");
    t.wait_for("· connected");
    let mut screens = Vec::new();
    for keys in [&["p"][..], &["h"], &["v"], &["Tab", "p"], &["h"]] {
        t.keys(keys);
        std::thread::sleep(Duration::from_millis(1500));
        screens.push(t.screen());
    }
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    let log = std::fs::read_to_string(dir.path().join("pilothouse/pilothouse.log"))
        .unwrap_or_else(|e| panic!("the console's log: {e}"));
    assert!(log.lines().count() > 3, "the log has little in it:\n{log}");
    let (_, status_out) = status(&sb.config, &["--json"]);
    let (_, status_text) = status(&sb.config, &[]);
    assert!(status_out.contains("\"pool\""), "{status_out}");
    for pw in &passwords {
        assert!(
            pw.len() >= 16,
            "a sandbox password is short: the test would prove little"
        );
        for s in &screens {
            assert!(!s.contains(pw.as_str()), "password on screen:\n{s}");
        }
        assert!(!log.contains(pw.as_str()), "password in the log file");
        assert!(
            !status_out.contains(pw.as_str()),
            "password in status --json"
        );
        assert!(!status_text.contains(pw.as_str()), "password in status");
    }
    assert!(
        screens[0].contains("staging · database pool"),
        "{}",
        screens[0]
    );
}

#[test]
fn an_unhealthy_service_shows_down_with_its_http_status_and_builds_show_per_service() {
    let sb = sandbox();
    // Every sandbox endpoint reports the build of the image its container runs.
    let (_, v) = status_json(&sb.config, "staging");
    let containers = v["containers"].as_array().cloned().unwrap_or_default();
    let health = v["health"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        health.len(),
        STAGING.len(),
        "every service but redis, and the https endpoint edge: {v}"
    );
    for h in &health {
        let svc = h["service"].as_str().unwrap_or_default();
        let image = containers
            .iter()
            .find(|c| c["service"] == svc)
            .and_then(|c| c["image"].as_str())
            .unwrap_or_default();
        let tag = image.rsplit(':').next().unwrap_or_default();
        assert_eq!(h["up"], true, "{h}");
        assert_eq!(h["http_status"], 200, "{h}");
        if APP_IMAGES.contains(&svc) {
            assert_eq!(h["build"]["version"], tag, "{svc}: {h}");
        }
        assert!(
            h["build"]["commit"].as_str().is_some_and(|c| c.len() == 7),
            "{h}"
        );
        assert!(h["latency_ms"].as_u64().is_some(), "{h}");
    }

    // A service of its own, made unhealthy.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = format!("acme-health-{}", std::process::id());
    let port = 18982;
    let noisy = noisy_container(&project, 1, port, "v2");
    let config = dir.path().join("health.toml");
    std::fs::write(
        &config,
        format!(
            "{env}\
             [environments.t.health]\ninterval = \"1s\"\n\
             [[environments.t.health.endpoints]]\nname = \"noisy\"\nurl = \"http://127.0.0.1:{port}/health\"\n\
             [[environments.t.health.endpoints]]\nname = \"noisy-direct\"\nurl = \"http://127.0.0.1:{port}/health\"\n\
             via = \"local\"\nrequire = \"5d6e7f8\"\n\
             [[environments.t.health.endpoints]]\nname = \"noisy-v1\"\nurl = \"http://127.0.0.1:{port}/health\"\n\
             require = '\"version\":\"v1\"'\n",
            env = env_t_over_ssh(&sb, &project),
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = Tmux::start("health", &console_with(&config, dir.path()));
    t.wait_for("· connected");
    t.keys(&["h"]);
    let row = |s: &str, name: &str| {
        s.lines()
            .find(|l| l.starts_with(&format!("│{name} ")))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let endpoint = |s: &str| row(s, "noisy");
    // The whole first reading: each endpoint is read on its own, so one capture may
    // show some rows before the others.
    let screen = t.wait_until(
        Duration::from_secs(10),
        "noisy up with its build, noisy-direct up, noisy-v1 down",
        |s| {
            let l = endpoint(s);
            let (direct, v1) = (row(s, "noisy-direct"), row(s, "noisy-v1"));
            l.contains("● up")
                && l.contains("200")
                && l.contains("v2")
                && l.contains("102")
                && l.contains("5d6e7f8")
                && direct.contains("● up")
                && v1.contains("✗ DOWN")
                && s.contains("1 endpoint DOWN")
        },
    );
    // From this machine too, with a keyword that is there; and one that is not.
    let direct = row(&screen, "noisy-direct");
    assert!(
        direct.contains("● up") && direct.contains("200"),
        "{screen}"
    );
    let v1 = row(&screen, "noisy-v1");
    assert!(
        v1.contains("✗ DOWN") && v1.contains("required keyword missing"),
        "{screen}"
    );
    assert!(screen.contains("1 endpoint DOWN"), "{screen}");
    ok_stdout(Command::new("docker").args(["exec", &noisy.0, "touch", "/tmp/control/unhealthy"]));
    // Each endpoint is read on its own: the whole condition, all three down.
    let screen = t.wait_until(
        Duration::from_secs(5),
        "noisy down with 503, all three",
        |s| {
            let l = endpoint(s);
            l.contains("✗ DOWN") && l.contains("503") && s.contains("3 endpoints DOWN")
        },
    );
    assert!(
        screen.lines().next().is_some_and(|l| l.contains(" t !")),
        "tab: {screen}"
    );
    // The header's incident line: since when (the first alert, noisy-v1's from the
    // first reading), and that nobody changed anything before it.
    let incident = screen
        .lines()
        .find(|l| l.starts_with(" since "))
        .unwrap_or_else(|| panic!("no incident line:\n{screen}"));
    assert!(
        incident.contains("health endpoint noisy-v1 failing")
            && incident.contains("no change seen before it"),
        "{screen}"
    );
    let (code, v) = status_json(&config, "t");
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["health"][0]["up"], false, "{v}");
    assert_eq!(v["health"][0]["http_status"], 503, "{v}");
    ok_stdout(Command::new("docker").args(["exec", &noisy.0, "rm", "/tmp/control/unhealthy"]));
    t.wait_until(Duration::from_secs(5), "noisy up again", |s| {
        endpoint(s).contains("● up")
    });
}

#[test]
fn database_tls_require_and_verify_full_work_and_an_untrusted_certificate_is_explained() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ca = sb.state.join("tls/ca.crt");
    let with = |name: &str, tls: &str| {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
        edited_config(&sb, &sub, |text| {
            text.replacen("tunnel = true\n", &format!("tunnel = true\n{tls}\n"), 1)
        })
    };
    let verify_full = with(
        "verify-full",
        &format!("sslmode = \"verify-full\"\nca_file = \"{}\"", ca.display()),
    );
    for config in [&verify_full, &with("require", "sslmode = \"require\"")] {
        let (_, v) = status_json(config, "staging");
        assert_eq!(v["pool"]["ok"], true, "{}: {v}", config.display());
        assert!(v["pool"]["used"].as_u64().is_some_and(|n| n > 10), "{v}");
    }
    let (code, v) = status_json(&with("untrusted", "sslmode = \"verify-full\""), "staging");
    let error = v["pool"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("UnknownIssuer") && error.contains("set ca_file"),
        "{v}"
    );
    assert_eq!(code, Some(1), "an unreadable pool is not healthy: {v}");

    // The console on verify-full really talks TLS, and shows the https endpoint's
    // certificate with its issuer and the days it has left.
    let t = Tmux::start(
        "db-tls",
        &format!(
            "env XDG_STATE_HOME={} {}",
            dir.path().display(),
            console_with(&verify_full, dir.path())
        ),
    );
    t.wait_for("· connected");
    t.keys(&["p"]);
    t.wait_until(Duration::from_secs(15), "a pool reading", |s| {
        s.contains(" usable · ")
    });
    let ssl = sb.psql(
        "staging",
        "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
         WHERE application_name = 'pilothouse' AND ssl",
    );
    assert_ne!(ssl, "0", "no pilothouse session uses TLS");
    t.keys(&["h"]);
    // The first reading waits for the endpoints' forwards, set up one after the other;
    // on the loaded CI machine (load 12 on 2 cores) that took longer than 10 s.
    let screen = t.wait_until(Duration::from_secs(30), "the edge endpoint", |s| {
        s.lines()
            .any(|l| l.starts_with("│edge ") && l.contains("● up"))
    });
    let edge = screen
        .lines()
        .find(|l| l.starts_with("│edge "))
        .unwrap_or_default();
    assert!(
        edge.contains("~ 9d pilothouse sandbox CA") || edge.contains("~ 10d pilothouse sandbox CA"),
        "a certificate valid for 10 days warns: {edge}"
    );
}

#[test]
fn the_team_s_checks_show_pass_and_fail_in_the_health_view_the_header_and_status() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let staging = sb.state.join("opt/staging");
    // Checks are arrays of tables: appended after the rest of the file.
    let config = edited_config(&sb, dir.path(), |text| {
        format!(
            "{text}
[[environments.staging.checks]]
name = \"project files fresh\"
newest_file_in = \"{}\"
max_age = \"26h\"
interval = \"5s\"
timeout = \"3s\"

[[environments.staging.checks]]
name = \"nightly backup\"
command = \"ls /var/backups/acme/*.sql.gz\"
interval = \"5s\"
timeout = \"3s\"

[[environments.staging.checks]]
name = \"redis ping\"
command = \"redis-cli -p 18379 ping\"
service = \"redis\"
output_matches = \"^PONG$\"
interval = \"5s\"
timeout = \"3s\"
",
            staging.display()
        )
    });
    let t = Tmux::start("checks", &console_with(&config, dir.path()));
    t.wait_until(Duration::from_secs(15), "connected", |s| {
        s.contains("· connected")
    });
    t.keys(&["h"]);
    let screen = t.wait_until(Duration::from_secs(20), "the three checks judged", |s| {
        let row = |n: &str| {
            s.lines()
                .find(|l| l.contains(&format!("│{n} ")))
                .unwrap_or("")
        };
        row("project files fresh").contains("✓ pass")
            && row("nightly backup").contains("✗ FAIL")
            && row("redis ping").contains("✓ pass")
            && s.contains("1 check FAILING")
    });
    let failing = screen
        .lines()
        .find(|l| l.contains("│nightly backup "))
        .unwrap_or_default();
    assert!(
        failing.contains("exit 2") || failing.contains("exit 1"),
        "{failing}"
    );
    assert!(screen.contains("newest file"), "{screen}");
    // status --json: the same judgement, and exit 1.
    let (code, out) = status(&config, &["--env", "staging", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let oks: Vec<(String, bool)> = checks_in(&out)
        .into_iter()
        .map(|(name, ok, _)| (name, ok))
        .collect();
    assert_eq!(
        oks,
        [
            // The quick-start config's own two, then the three appended here.
            ("redis answers".to_string(), true),
            ("no incident switch".to_string(), true),
            ("project files fresh".to_string(), true),
            ("nightly backup".to_string(), false),
            ("redis ping".to_string(), true)
        ],
        "{out}"
    );
}

/// The checks of `status --json`'s first environment: name, passed, the whole report.
fn checks_in(out: &str) -> Vec<(String, bool, String)> {
    let v: serde_json::Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v[0]["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or("").to_string(),
                        c["ok"] == true,
                        c.to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The engine's FailingStreak of a container, as `docker inspect` says it now.
fn failing_streak(name: &str) -> u64 {
    ok_stdout(Command::new("docker").args([
        "inspect",
        "-f",
        "{{.State.Health.FailingStreak}}",
        name,
    ]))
    .trim()
    .parse()
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Seconds since midnight UTC of the first `HH:MM:SS` in `line`.
fn clock_of(line: &str) -> Option<i64> {
    let re = regex::Regex::new(r"(\d\d):(\d\d):(\d\d)").ok()?;
    let c = re.captures(line)?;
    let n = |i: usize| c[i].parse::<i64>().ok();
    Some(n(1)? * 3600 + n(2)? * 60 + n(3)?)
}

#[test]
fn an_unhealthy_container_s_streak_and_last_checks_are_the_engine_s_current_ones() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = format!("acme-streak-{}", std::process::id());
    // Checked every second, unhealthy at the first failure: no health_status event
    // follows the first, while the engine's streak goes on growing.
    let container = service_container(
        &project,
        "failing",
        1,
        18983,
        "v1",
        &[
            "--health-cmd",
            "echo failing on purpose; exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ],
    );
    let name = container.0.clone();

    let config = dir.path().join("streak.toml");
    std::fs::write(
        &config,
        format!(
            "{}[environments.t.health]\ninterval = \"2s\"\n",
            env_t_over_ssh(&sb, &project)
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = Tmux::start("streak", &console_with(&config, dir.path()));
    // First reading: the engine has said unhealthy once.
    t.wait_until(Duration::from_secs(30), "failing unhealthy", |s| {
        row_of(s, "failing").is_some_and(|r| r.contains("unhealthy ("))
    });
    let streak_on = |s: &str| -> Option<u64> {
        let r = row_of(s, "failing")?;
        let i = r.find("unhealthy (")? + "unhealthy (".len();
        r[i..].split(')').next()?.parse().ok()
    };
    // The streak shown follows the engine's (checked every second, read again every
    // two): it passes 8 and stays within a few checks of `docker inspect`.
    let screen = t.wait_until(Duration::from_secs(15), "the streak past 8", |s| {
        streak_on(s).is_some_and(|n| n >= 8)
    });
    let shown = streak_on(&screen).unwrap_or(0);
    let engine = failing_streak(&name);
    assert!(
        engine >= shown && engine - shown <= 4,
        "shown {shown}, docker inspect {engine}: {screen}"
    );
    // The detail pane's newest check is seconds old, not the one from the first read.
    let screen = t.wait_until(
        Duration::from_secs(10),
        "a fresh check in the details",
        |s| {
            s.lines()
                .find(|l| l.contains("✗ exit 1"))
                .and_then(clock_of)
                .is_some_and(|at| {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64)
                        .rem_euclid(86_400);
                    (now - at).rem_euclid(86_400) <= 5
                })
        },
    );
    assert!(screen.contains("failing on purpose"), "{screen}");
}

#[test]
fn the_quick_start_config_s_checks_pass_and_one_fails_while_its_switch_is_set() {
    let sb = sandbox();
    let checks = |config: &Path| -> (Option<i32>, Vec<(String, bool, String)>, String) {
        let (code, out) = status(config, &["--env", "staging", "--json"]);
        (code, checks_in(&out), out)
    };
    let (code, list, out) = checks(&sb.config);
    assert_eq!(code, Some(0), "{out}");
    let names: Vec<(&str, bool)> = list.iter().map(|(n, ok, _)| (n.as_str(), *ok)).collect();
    assert_eq!(
        names,
        [("redis answers", true), ("no incident switch", true)],
        "{out}"
    );
    // The same config with a switch of this test's own (the shared one would fail
    // every other test's status): set, the check fails and says why.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let own = format!("switches/check-fails-{}", std::process::id());
    let config = edited_config(&sb, dir.path(), |t| t.replace("switches/check-fails", &own));
    let switch = sb.state.join("opt/staging").join(&own);
    std::fs::create_dir_all(switch.parent().unwrap()).unwrap();
    std::fs::write(&switch, "set by a test\n").unwrap();
    struct Unset(std::path::PathBuf);
    impl Drop for Unset {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let unset = Unset(switch);
    let (code, list, out) = checks(&config);
    assert_eq!(code, Some(1), "{out}");
    let failing = list
        .iter()
        .find(|(n, _, _)| n == "no incident switch")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(!failing.1, "{out}");
    assert!(
        failing
            .2
            .contains(&format!("the sandbox switch {own} is set")),
        "{out}"
    );
    drop(unset);
    let (code, _, out) = checks(&config);
    assert_eq!(code, Some(0), "{out}");
}

/// A webhook receiver on this machine's loopback: every POST's body, answered 200.
struct Hook {
    port: u16,
    bodies: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Hook {
    fn start() -> Hook {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut length = 0usize;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line.trim() != "" {
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
                let _ = reader.get_mut().write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        });
        Hook { port, bodies }
    }

    fn count(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }
}

/// The part of `row` under `header`'s column (as wide as `width`), by character.
fn cell(screen: &str, header: &str, row: &str, width: usize) -> String {
    let head = screen
        .lines()
        .find(|l| l.contains(header))
        .unwrap_or_default();
    let Some(at) = head.find(header).map(|b| head[..b].chars().count()) else {
        return String::new();
    };
    row.chars().skip(at).take(width).collect()
}

#[test]
fn a_busy_container_climbs_its_sparkline_and_a_new_alert_rings_once_and_posts_one_webhook() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = format!("acme-notify-{}", std::process::id());
    let port = 18984;
    let noisy = checked_container(&project, "noisy", port);
    let hook = Hook::start();
    let config = dir.path().join("notify.toml");
    // Only the container's health may alert here (not an error burst of its log).
    let env = env_t_over_ssh(&sb, &project)
        .replace(
            &format!("/opt/{project}"),
            &dir.path().display().to_string(),
        )
        .replacen(
            "[environments.t]\n",
            "[environments.t]\nerror_bursts = false\n",
            1,
        );
    std::fs::write(
        &config,
        format!(
            "{env}\n[notify]\nwebhook = \"http://127.0.0.1:{}/hook\"\n",
            hook.port
        ),
    )
    .unwrap();
    let t = Tmux::start_sized(
        "notify",
        &format!(
            "env XDG_STATE_HOME={} {}",
            dir.path().display(),
            console_with(&config, dir.path())
        ),
        220,
    );
    let output = dir.path().join("terminal-output");
    t.record_output(&output);
    let bells = || {
        std::fs::read(&output)
            .unwrap_or_default()
            .iter()
            .filter(|b| **b == 7)
            .count()
    };
    let noisy_row = |s: &str| row_of(s, "noisy").map(str::to_string).unwrap_or_default();
    let cpu_cell = |s: &str| cell(s, "CPU 15m", &noisy_row(s), 10);
    // A first reading with its history: idle, low bars only.
    let screen = t.wait_until(
        Duration::from_secs(30),
        "noisy healthy with a CPU history",
        |s| {
            s.contains("· connected")
                && noisy_row(s).contains("healthy")
                && cpu_cell(s).contains('▁')
        },
    );
    let connected = std::time::Instant::now();
    assert!(
        cpu_cell(&screen).trim().chars().all(|c| c == '▁'),
        "idle: {}\n{screen}",
        cpu_cell(&screen)
    );
    // Held busy: its newest bar rises, and the detail pane's chart says the peak.
    ok_stdout(Command::new("docker").args(["exec", &noisy.0, "touch", "/tmp/control/busy"]));
    t.wait_until(Duration::from_secs(10), "the newest CPU bar risen", |s| {
        cpu_cell(s)
            .trim_end()
            .chars()
            .last()
            .is_some_and(|c| c != '▁')
    });
    t.keys(&["d"]);
    let screen = t.wait_until(Duration::from_secs(10), "the detail pane's chart", |s| {
        s.contains("cpu 15m") && s.contains("mem 15m") && s.contains("(15 min)")
    });
    let chart = screen
        .lines()
        .find(|l| l.contains("cpu 15m"))
        .unwrap_or_default();
    let max: f64 = chart
        .split("max ")
        .nth(1)
        .and_then(|r| r.split('%').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(max >= 14.0, "a core held busy: {chart}");
    ok_stdout(Command::new("docker").args(["exec", &noisy.0, "rm", "/tmp/control/busy"]));

    // Alerts found in the console's first ten seconds are what the operator opened it
    // on; this one must come after them.
    if let Some(left) = Duration::from_secs(11).checked_sub(connected.elapsed()) {
        std::thread::sleep(left);
    }
    assert_eq!((bells(), hook.count()), (0, 0), "nothing told yet");
    ok_stdout(Command::new("docker").args(["exec", &noisy.0, "touch", "/tmp/control/unhealthy"]));
    t.wait_until(Duration::from_secs(15), "noisy unhealthy", |s| {
        noisy_row(s).contains("unhealthy")
    });
    eventually(
        Duration::from_secs(10),
        "one bell and one webhook",
        || match (bells(), hook.count()) {
            (1, 1) => Ok(()),
            other => Err(format!("bells and posts: {other:?}")),
        },
    );
    let body = hook.bodies.lock().unwrap()[0].clone();
    assert!(
        body.contains("\"text\":\"pilothouse: t: noisy unhealthy")
            && body.contains("\"environment\":\"t\""),
        "{body}"
    );
    // It flaps: healthy, then unhealthy again within five minutes. Told once.
    ok_stdout(Command::new("docker").args(["exec", &noisy.0, "rm", "/tmp/control/unhealthy"]));
    t.wait_until(Duration::from_secs(15), "noisy healthy again", |s| {
        let r = noisy_row(s);
        r.contains("healthy") && !r.contains("unhealthy")
    });
    ok_stdout(Command::new("docker").args(["exec", &noisy.0, "touch", "/tmp/control/unhealthy"]));
    t.wait_until(Duration::from_secs(15), "noisy unhealthy again", |s| {
        noisy_row(s).contains("unhealthy")
    });
    let log = dir.path().join("pilothouse/pilothouse.log");
    eventually(Duration::from_secs(10), "the repeat held", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("notice held for container:") && text.contains("noisy unhealthy") {
            Ok(())
        } else {
            Err(text)
        }
    });
    assert_eq!(
        (bells(), hook.count()),
        (1, 1),
        "a flapping service is told once"
    );
}

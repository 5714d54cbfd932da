//! Against the real sandbox host from `tests/sandbox/up`: real sshd, Docker engine,
//! registry and PostgreSQL. `tests/run` brings the host up and runs these.
//!
//! These tests never skip: if the sandbox host is not up they fail, saying how to start it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

// ---------------------------------------------------------------------------------------
// check-config

#[test]
fn check_config_accepts_the_generated_config() {
    let sb = sandbox();
    let out = ok_stdout(
        pilothouse()
            .arg("check-config")
            .arg("--config")
            .arg(&sb.config),
    );
    assert!(out.contains("ok, 3 environments"), "{out}");
    assert!(
        out.contains("swarm     stacks acme (stack file /")
            && out.contains("/swarm/opt/acme/docker-stack.yml"),
        "{out}"
    );
    assert!(out.contains("production [protected]"), "{out}");
    assert!(
        out.contains("root@127.0.0.1:2222 (host keys: strict"),
        "{out}"
    );
}

#[test]
fn check_config_rejects_broken_variants_of_the_generated_config() {
    let sb = sandbox();
    let good = std::fs::read_to_string(&sb.config).unwrap_or_else(|e| panic!("{e}"));
    // (what to break, replace this, with that, the key the error must name)
    let variants: &[(&str, &str, &str, &str)] = &[
        (
            "typo in a key",
            "protected = true",
            "protect = true",
            "environments.production.protect",
        ),
        (
            "port as a string",
            "port = 2222",
            "port = \"2222\"",
            "environments.staging.ssh.port",
        ),
        (
            "port out of range",
            "port = 2222",
            "port = 99999",
            "environments.staging.ssh.port",
        ),
        (
            "unknown host-key policy",
            "host_key_policy = \"strict\"",
            "host_key_policy = \"trust-me\"",
            "environments.staging.ssh.host_key_policy",
        ),
        (
            "timeout without unit",
            "connect_timeout = \"10s\"",
            "connect_timeout = \"10\"",
            "environments.staging.ssh.connect_timeout",
        ),
        (
            "relative project dir",
            "project_dir = \"/",
            "project_dir = \"",
            "environments.staging.compose.project_dir",
        ),
        (
            "injection in project name",
            "project_name = \"acme-staging\"",
            "project_name = \"acme;reboot\"",
            "environments.staging.compose.project_name",
        ),
        (
            "injection in compose command",
            "command = \"docker-compose\"",
            "command = \"docker-compose `reboot`\"",
            "environments.staging.compose.command",
        ),
        (
            "compose files not a list",
            "files = [\"docker-compose.yml\"]",
            "files = \"docker-compose.yml\"",
            "environments.staging.compose.files",
        ),
        (
            "env file outside the project",
            "env_file = \".env\"",
            "env_file = \"../.env\"",
            "environments.staging.compose.env_file",
        ),
        (
            "missing destination",
            "destination = \"127.0.0.1\"\n",
            "",
            "environments.staging.ssh.destination",
        ),
        (
            "bool as a string",
            "read_only = false",
            "read_only = \"no\"",
            "environments.staging.read_only",
        ),
        (
            "unknown table",
            "[environments.staging.compose]",
            "[environments.staging.compse]",
            "environments.staging.compse",
        ),
    ];
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for (i, (what, from, to, key)) in variants.iter().enumerate() {
        assert!(good.contains(from), "generated config has no {from:?}");
        let path = dir.path().join(format!("broken-{i}.toml"));
        std::fs::write(&path, good.replacen(from, to, 1)).unwrap_or_else(|e| panic!("{e}"));
        let out = run(pilothouse().arg("check-config").arg("--config").arg(&path));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let located = stderr.starts_with(&format!("pilothouse: {}:", path.display()))
            && stderr.contains(&format!(": key `{key}`: "))
            && stderr.lines().count() == 1;
        if out.status.code() != Some(2) || !located {
            failures.push(format!("{what}: exit {:?}: {stderr}", out.status.code()));
        }
    }
    assert!(variants.len() >= 10);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// ssh

#[test]
fn ssh_with_strict_host_key_checking_reaches_the_host() {
    let sb = sandbox();
    let out = ok_stdout(
        Command::new("ssh")
            .args(sb.ssh_args(&sb.known_hosts()))
            .arg("echo reached $(id -un)"),
    );
    assert_eq!(out.trim(), "reached root");
}

#[test]
fn ssh_refuses_a_host_whose_key_is_unknown() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = dir.path().join("known_hosts");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
    let out = run(Command::new("ssh").args(sb.ssh_args(&empty)).arg("true"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Host key verification failed"), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// Docker over the forwarded socket

#[test]
fn docker_socket_forwarded_over_ssh_lists_every_container_healthy() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sock = dir.path().join("docker.sock");
    let mut args = sb.ssh_args(&sb.known_hosts());
    let dest = args.pop().unwrap_or_default();
    let forward = Command::new("ssh")
        .args(&args)
        .args(["-N", "-o", "ExitOnForwardFailure=yes", "-L"])
        .arg(format!("{}:/var/run/docker.sock", sock.display()))
        .arg(dest)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ssh -L: {e}"));
    let _forward = KillOnDrop(forward);
    eventually(Duration::from_secs(10), "forwarded socket", || {
        sock.exists().then_some(()).ok_or("not there yet".into())
    });
    let host = format!("unix://{}", sock.display());
    // Every container healthy in one listing read through the forward. A health check
    // the engine missed while the machine was busy (another test's log flood) makes a
    // container unhealthy for a few seconds, so the listing is read until it is whole.
    eventually(Duration::from_secs(60), "every container healthy", || {
        let listing = ok_stdout(Command::new("docker").args([
            "-H",
            &host,
            "ps",
            "--format",
            "{{.Label \"com.docker.compose.project\"}} {{.Label \"com.docker.compose.service\"}} {{.Status}}",
        ]));
        let missing = not_healthy(&listing);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("not listed as healthy: {missing:?}\n{listing}"))
        }
    });
}

/// The compose services `listing` (project, service, status per line) does not show healthy.
fn not_healthy(listing: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for (project, services) in [("acme-staging", STAGING), ("acme-production", PRODUCTION)] {
        for svc in services {
            let healthy = listing
                .lines()
                .any(|l| l.starts_with(&format!("{project} {svc} ")) && l.ends_with("(healthy)"));
            if !healthy {
                missing.push(format!("{project}/{svc}"));
            }
        }
    }
    missing
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

fn pool_counts(sb: &Sandbox, env: &str) -> String {
    sb.psql(
        env,
        "SELECT application_name, count(*) FROM pg_stat_activity \
         WHERE datname = 'acme' AND application_name <> 'psql' \
         GROUP BY 1 ORDER BY 1; SHOW max_connections;",
    )
}

#[test]
fn pg_stat_activity_shows_each_service_with_its_pool_size() {
    let sb = sandbox();
    for (env, pools) in [("staging", STAGING_POOLS), ("production", PRODUCTION_POOLS)] {
        let out = pool_counts(&sb, env);
        for svc in pools {
            assert!(
                out.lines().any(|l| l == format!("{svc}|3")),
                "{env}: no {svc}|3 in\n{out}"
            );
        }
        assert_eq!(
            out.lines().last(),
            Some("25"),
            "{env}: max_connections\n{out}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Registry and images

#[test]
fn every_tag_is_in_the_registry_and_pulls() {
    let _sb = sandbox();
    for image in APP_IMAGES {
        for tag in TAGS {
            let reference = format!("127.0.0.1:5000/acme/{image}:{tag}");
            ok_stdout(Command::new("docker").args(["pull", "-q", &reference]));
        }
    }
    // A real pull: drop the local tag, pull it back from the registry.
    let reference = "127.0.0.1:5000/acme/web:broken";
    ok_stdout(Command::new("docker").args(["rmi", reference]));
    let out = ok_stdout(Command::new("docker").args(["pull", reference]));
    assert!(
        out.contains("Downloaded newer image") || out.contains("Image is up to date"),
        "{out}"
    );
    // The tags are different builds.
    let ids: Vec<String> = TAGS
        .iter()
        .map(|t| {
            ok_stdout(Command::new("docker").args([
                "image",
                "inspect",
                "-f",
                "{{.Id}}",
                &format!("127.0.0.1:5000/acme/web:{t}"),
            ]))
        })
        .collect();
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
}

fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut body = String::new();
    s.read_to_string(&mut body).map_err(|e| e.to_string())?;
    let code = body
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or(format!("no status in {body:?}"))?;
    Ok((code, body))
}

#[test]
fn demo_service_reports_its_build_and_the_broken_tag_is_never_healthy() {
    let _sb = sandbox();
    let _v2 = demo_container("pilothouse-test-v2", "v2", 18990);
    let _broken = demo_container("pilothouse-test-broken", "broken", 18991);
    eventually(Duration::from_secs(10), "v2 /health", || {
        let (code, body) = http_get(18990, "/health")?;
        (code == 200
            && body.contains("\"status\":\"ok\"")
            && body.contains("\"version\":\"v2\"")
            && body.contains("\"build\":{\"number\":\"102\",\"commit\":\"5d6e7f8\""))
        .then_some(())
        .ok_or(body)
    });
    eventually(Duration::from_secs(10), "broken /health", || {
        let (code, body) = http_get(18991, "/health/ready")?;
        (code == 503 && body.contains("\"version\":\"broken\""))
            .then_some(())
            .ok_or(body)
    });
}

#[test]
fn demo_service_misbehaves_on_request() {
    let _sb = sandbox();
    let name = "pilothouse-test-misbehave";
    let _c = demo_container(name, "v1", 18992);
    eventually(Duration::from_secs(10), "healthy first", || {
        let (code, body) = http_get(18992, "/health")?;
        (code == 200).then_some(()).ok_or(body)
    });
    let exec = |cmd: &str| ok_stdout(Command::new("docker").args(["exec", name, "sh", "-c", cmd]));
    exec("touch /tmp/control/unhealthy");
    eventually(Duration::from_secs(5), "unhealthy on request", || {
        let (code, body) = http_get(18992, "/health")?;
        (code == 503).then_some(()).ok_or(body)
    });
    exec("rm /tmp/control/unhealthy; touch /tmp/control/escapes");
    eventually(
        Duration::from_secs(5),
        "escape sequences in the logs",
        || {
            let out = run(Command::new("docker").args(["logs", name]));
            let raw = out.stdout;
            // The service writes raw invalid UTF-8; Docker's json-file driver hands it back
            // as U+FFFD, so either may arrive.
            let invalid = raw.windows(2).any(|w| w == b"\xff\xfe")
                || raw.windows(6).any(|w| w == "\u{fffd}\u{fffd}".as_bytes());
            let osc = raw.windows(4).any(|w| w == b"\x1b]0;");
            let c1 = raw.windows(2).any(|w| w == b"\xc2\x9b");
            (osc && c1 && invalid)
                .then_some(())
                .ok_or("no OSC / C1 / invalid UTF-8 yet".into())
        },
    );
    exec("rm /tmp/control/escapes; touch /tmp/control/crash");
    eventually(Duration::from_secs(5), "crash on request", || {
        let state = ok_stdout(Command::new("docker").args([
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            name,
        ]));
        (state.trim() == "exited 1").then_some(()).ok_or(state)
    });
}

#[test]
fn demo_service_leaks_connections_on_request() {
    let sb = sandbox();
    // On production's cluster: staging's 22 usable slots are nearly all spoken for by its
    // pools, pgAdmin and the other tests, as they would be on a real staging database.
    let name = "pilothouse-test-leak";
    let url = format!(
        "postgresql://acme:{}@127.0.0.1:5434/acme",
        sb.pg_password("production")
    );
    let _c = demo_container_with(
        name,
        "v1",
        18994,
        &[("DATABASE_URL", url), ("DATABASE_POOL_SIZE", "1".into())],
    );
    let count = |extra: &str| {
        sb.psql(
            "production",
            &format!(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}' {extra}"
            ),
        )
    };
    eventually(Duration::from_secs(10), "pool of 1", || {
        let n = count("");
        (n == "1").then_some(()).ok_or(n)
    });
    ok_stdout(Command::new("docker").args([
        "exec",
        name,
        "sh",
        "-c",
        "echo 2 > /tmp/control/leak",
    ]));
    eventually(
        Duration::from_secs(10),
        "2 leaked, one idle in transaction",
        || {
            let (all, idle_tx) = (count(""), count("AND state = 'idle in transaction'"));
            (all == "3" && idle_tx == "1")
                .then_some(())
                .ok_or(format!("{all} connections, {idle_tx} idle in transaction"))
        },
    );
}

#[test]
fn pgadmin_stand_in_holds_connections_only_while_it_runs() {
    let sb = sandbox();
    let dir = sb.state.join("opt/staging");
    let compose = |args: &[&str]| {
        ok_stdout(
            Command::new("docker-compose")
                .current_dir(&dir)
                .args([
                    "-f",
                    "docker-compose.yml",
                    "-f",
                    "docker-compose.pgadmin.yml",
                ])
                .args(args),
        )
    };
    let pgadmin_connections = || {
        sb.psql(
            "staging",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgadmin'",
        )
    };
    compose(&["up", "-d", "pgadmin"]);
    eventually(
        Duration::from_secs(20),
        "pgadmin holds 4 connections",
        || {
            let n = pgadmin_connections();
            (n == "4").then_some(()).ok_or(n)
        },
    );
    compose(&["rm", "-s", "-f", "pgadmin"]);
    eventually(
        Duration::from_secs(20),
        "pgadmin's connections are gone",
        || {
            let n = pgadmin_connections();
            (n == "0").then_some(()).ok_or(n)
        },
    );
}

#[test]
fn console_opens_on_the_sandbox_switches_envs_and_q_restores_the_terminal() {
    let sb = sandbox();
    let t = Tmux::start("open", &console_command(&sb, ""));
    let screen = t.wait_for("· connected");
    assert!(
        screen.contains("staging") && screen.contains("production"),
        "{screen}"
    );
    assert!(screen.contains("root@127.0.0.1:2222"), "{screen}");
    assert!(!screen.contains("PROTECTED"), "{screen}");
    assert_eq!(t.format("#{alternate_on}"), "1");
    // Filter down to one service, then clear it.
    t.wait_until(Duration::from_secs(10), "rows", |s| {
        row_of(s, "shipping-service").is_some()
    });
    t.keys(&["/", "s", "h", "i", "p", "Enter"]);
    let screen = t.wait_for("filter: ship (1 of");
    assert!(
        row_of(&screen, "shipping-service").is_some() && row_of(&screen, "gateway").is_none(),
        "{screen}"
    );
    t.keys(&["/", "Escape"]);
    t.wait_until(Duration::from_secs(5), "filter cleared", |s| {
        row_of(s, "gateway").is_some()
    });
    t.keys(&["Tab"]);
    t.wait_for("PRODUCTION · PROTECTED ENVIRONMENT");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left on");
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor left hidden");
}

#[test]
fn in_a_real_terminal_clicks_switch_tabs_pick_rows_and_open_help_and_no_mouse_leaves_it_alone() {
    let sb = sandbox();
    let t = Tmux::start("mouse", &console_command(&sb, ""));
    t.wait_until(Duration::from_secs(15), "the table", |s| {
        s.contains("· connected") && row_of(s, "web").is_some()
    });
    // The console asked the terminal for the mouse (every event, SGR reports), as tmux
    // records it.
    assert_eq!(t.format("#{mouse_sgr_flag}"), "1");
    assert_eq!(t.format("#{mouse_any_flag}"), "1");
    let screen = t.screen();
    let at = |s: &str, text: &str| {
        position_of(s, text).unwrap_or_else(|| panic!("{text:?} not on screen:\n{s}"))
    };
    let (col, row) = at(&screen, "production");
    t.click(col + 2, row);
    let screen = t.wait_for("PRODUCTION · PROTECTED ENVIRONMENT");
    let (col, row) = at(&screen, "staging");
    t.click(col + 2, row);
    t.wait_until(Duration::from_secs(5), "staging again", |s| {
        !s.contains("PRODUCTION · PROTECTED") && row_of(s, "web").is_some()
    });
    // Into the log pane, until its own hints are on the last line: the frame is whole.
    // (Its title alone can be on screen while the last line still shows the table's
    // hints; an escape sent then could be read together with the click after it.)
    let logs_of = |service: &str| {
        t.keys(&["l"]);
        let title = format!(" logs · {service} ");
        t.wait_until(Duration::from_secs(5), &title, |s| {
            s.contains(&title) && s.lines().last().is_some_and(|l| l.contains("esc back"))
        });
    };
    // Back from the log pane to the table, and nothing else: an escape read together
    // with a mouse report that follows it would spoil the report.
    let back_to_table = || {
        t.keys(&["Escape"]);
        t.wait_until(Duration::from_secs(5), "the table's hints", |s| {
            s.lines().last().is_some_and(|l| l.contains("help"))
        })
    };
    // A click on web's row selects it: the log key then follows web. Its row is read
    // off two captures that agree: one capture can be a frame half written (the
    // production table's rows sit lower, under its banner).
    let row = std::cell::Cell::new(None);
    t.wait_until(Duration::from_secs(5), "web's row settled", |s| {
        let now = position_of(s, "│web ").map(|(_, r)| r);
        now.is_some() && row.replace(now) == now && !s.contains("PRODUCTION")
    });
    let row = row.get().unwrap_or_default();
    t.click(3, row);
    logs_of("web");
    back_to_table();
    // A notch of the wheel over the table moves the selection one row down.
    t.wheel_down(3, row);
    logs_of("uptime-kuma");
    // The status bar's help hint is a button.
    let screen = back_to_table();
    let last = screen.lines().count() - 1;
    let hints = screen.lines().last().unwrap_or_default();
    let col = hints[..hints.find("help").unwrap_or(0)].chars().count();
    t.click(col, last);
    t.wait_for(" help · ");
    // Apart: an escape with a key right behind it reads as alt plus that key.
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "help closed", |s| {
        !s.contains(" help · ")
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    assert_eq!(
        t.format("#{mouse_sgr_flag}"),
        "0",
        "mouse reporting left on"
    );
    assert_eq!(
        t.format("#{mouse_any_flag}"),
        "0",
        "mouse reporting left on"
    );

    // --no-mouse: the terminal is never asked for clicks, so they stay the terminal's.
    let t = Tmux::start(
        "no-mouse",
        &format!("{} --no-mouse", console_command(&sb, "")),
    );
    t.wait_for("· connected");
    assert_eq!(t.format("#{mouse_sgr_flag}"), "0");
    assert_eq!(t.format("#{mouse_any_flag}"), "0");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn a_panic_restores_the_terminal_and_reports() {
    let sb = sandbox();
    let t = Tmux::start(
        "panic",
        &console_command(
            &sb,
            "PILOTHOUSE_TEST_PANIC_AFTER_FIRST_FRAME=1 RUST_BACKTRACE=0",
        ),
    );
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=101"), "{screen}");
    assert!(
        screen.contains("test panic after the first frame"),
        "{screen}"
    );
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left on");
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor left hidden");
}

#[test]
fn a_panic_while_connected_leaves_no_ssh_process_or_temp_file() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = Tmux::start(
        "panic-live",
        &format!(
            "env XDG_STATE_HOME={d} PILOTHOUSE_TEST_PANIC_AFTER_FIRST_FRAME=connected RUST_BACKTRACE=0 {}",
            console_with(&sb.config, dir.path()),
            d = dir.path().display()
        ),
    );
    let screen = t.wait_until(Duration::from_secs(30), "the panic", |s| {
        s.contains("EXIT=")
    });
    assert!(screen.contains("EXIT=101"), "{screen}");
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left on");
    assert_eq!(
        t.format("#{mouse_any_flag}"),
        "0",
        "mouse reporting left on"
    );
    eventually(Duration::from_secs(5), "ssh and temp files gone", || {
        left_behind(dir.path())
    });
}

// ---------------------------------------------------------------------------------------

#[test]
fn a_big_paste_into_the_filter_is_one_event_and_no_key_after_it_waits() {
    let sb = sandbox();
    let t = Tmux::start("paste", &console_command(&sb, ""));
    t.wait_until(Duration::from_secs(15), "connected with rows", |s| {
        s.contains("· connected") && row_of(s, "gateway").is_some()
    });
    // A 20 KB bracketed paste: one event, cut to what the field holds, at once.
    t.keys(&["/"]);
    t.wait_for("filter: ");
    let start = Instant::now();
    t.paste(&"gateway".repeat(3000));
    let screen = t.wait_until(Duration::from_secs(3), "the pasted filter", |s| {
        s.contains("filter: gatewaygateway") && row_of(s, "gateway").is_none()
    });
    assert!(start.elapsed() < Duration::from_secs(3), "{screen}");
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(3), "the filter closed", |s| {
        !s.contains("filter: ") && row_of(s, "gateway").is_some()
    });
    // 3000 characters typed as keys (a terminal without bracketed paste) and an Esc in
    // the same burst: every one is read, the Esc last, and nothing waits for a key.
    t.keys(&["/"]);
    t.wait_for("filter: ");
    t.raw_input(&format!("{}\x1b", "x".repeat(3000)));
    t.wait_until(
        Duration::from_secs(5),
        "the Esc after the burst handled",
        |s| !s.contains("filter: ") && row_of(s, "gateway").is_some(),
    );
}

#[test]
fn every_staging_container_appears_with_its_health_within_10s() {
    let sb = sandbox();
    let start = Instant::now();
    // Wide enough for the whole header even when the host's disk is nearly full (a
    // narrower one leaves the Docker version out first).
    let t = Tmux::start_sized("table", &console_command(&sb, ""), 220);
    t.wait_until(
        Duration::from_secs(10),
        "every staging service healthy",
        |screen| {
            STAGING.iter().all(|svc| {
                row_of(screen, svc)
                    .is_some_and(|r| r.contains(" running ") && r.contains(" healthy "))
            })
        },
    );
    let screen = t.screen();
    assert!(screen.contains("connected"), "{screen}");
    assert!(screen.contains("Docker 20.10"), "{screen}");
    // CPU and memory arrive on their own cadence (2 s by default); a rate needs two
    // readings, and on a loaded CI machine (the swarm's tests run alongside) the first
    // ones can take a while: a first reading, so its limit is long.
    t.wait_until(Duration::from_secs(20), "CPU and memory for gateway", |s| {
        // `0.1%` and `12M` (no limit set: no denominator).
        row_of(s, "gateway").is_some_and(|r| {
            r.contains('%')
                && r.split_whitespace().any(|w| {
                    w.strip_suffix(['K', 'M', 'G'])
                        .is_some_and(|n| n.parse::<f64>().is_ok())
                })
        })
    });
    eprintln!("first complete table after {:?}", start.elapsed());
}

#[test]
fn a_container_going_unhealthy_and_stopping_shows_within_2s() {
    let sb = sandbox();
    // A throwaway container in the staging project, so the real services stay healthy
    // for the tests running alongside.
    let name = "pilothouse-test-probe";
    let _ = run(Command::new("docker").args(["rm", "-f", name]));
    ok_stdout(Command::new("docker").args([
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "host",
        "--label",
        "com.docker.compose.project=acme-staging",
        "--label",
        "com.docker.compose.service=zz-probe",
        "-e",
        "PORT=18996",
        "-e",
        "SERVICE_NAME=zz-probe",
        "--health-cmd",
        "wget -q -O /dev/null http://127.0.0.1:18996/health",
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        "127.0.0.1:5000/acme/web:v1",
    ]));
    let _probe = Container(name.to_string());
    let t = Tmux::start("probe", &console_command(&sb, ""));
    t.wait_until(Duration::from_secs(15), "probe healthy", |s| {
        row_of(s, "zz-probe").is_some_and(|r| r.contains(" healthy "))
    });
    let touched = now_ns();
    ok_stdout(Command::new("docker").args(["exec", name, "touch", "/tmp/control/unhealthy"]));
    t.wait_until(Duration::from_secs(5), "probe unhealthy", |s| {
        row_of(s, "zz-probe").is_some_and(|r| r.contains(" unhealthy"))
    });
    let shown = now_ns();
    t.wait_for("1 unhealthy");
    // The timeline has it at the engine's time: after the switch, and no later than the
    // table showed it.
    let lines = timeline_json(&sb, "staging");
    let two = 2_000_000_000;
    let at = lines.iter().find_map(|l| {
        let t = pilothouse_core::time::rfc3339_nanos(l["time"].as_str()?)?;
        (l["kind"] == "health"
            && l["subject"] == "zz-probe"
            && l["summary"] == "unhealthy"
            && t >= touched - two)
            .then_some(t)
    });
    assert!(
        at.is_some_and(|t| t <= shown + two),
        "no unhealthy zz-probe between {touched} and {shown}: {lines:?}"
    );
    // Its failing checks, with their output, in the detail pane.
    for _ in 0..20 {
        t.keys(&["j"]);
    }
    t.wait_until(
        Duration::from_secs(5),
        "failing check output in the detail pane",
        |s| {
            s.contains("zz-probe · pilothouse-test-probe")
                && s.contains("✗ exit 1")
                && s.contains("503")
        },
    );
    ok_stdout(Command::new("docker").args(["stop", "-t", "1", name]));
    let stopped = Instant::now();
    t.wait_until(Duration::from_secs(2), "probe exited within 2 s", |s| {
        row_of(s, "zz-probe").is_some_and(|r| r.contains(" exited (0) "))
    });
    eprintln!(
        "exited shown {:?} after docker stop returned",
        stopped.elapsed()
    );
    drop(_probe);
    t.wait_until(Duration::from_secs(5), "probe row removed", |s| {
        row_of(s, "zz-probe").is_none()
    });
}

#[test]
fn killing_the_ssh_session_shows_disconnected_within_5s_then_reconnects() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = Tmux::start("kill-ssh", &console_with(&sb.config, tmp.path()));
    t.wait_until(Duration::from_secs(15), "connected with rows", |s| {
        s.contains("connected") && row_of(s, "gateway").is_some()
    });
    // This console's ssh masters are the only processes with its TMPDIR in their args.
    ok_stdout(
        Command::new("pkill")
            .arg("-f")
            .arg(format!("ssh .*{}", tmp.path().display())),
    );
    let killed = Instant::now();
    // The whole frame, not the first capture that has the header: a capture can catch
    // a frame half written (the header new, the rows below not yet).
    t.wait_until(
        Duration::from_secs(5),
        "DISCONNECTED and STALE, no row claiming health, within 5 s",
        |s| {
            s.contains("DISCONNECTED since")
                && s.contains("STALE")
                && row_of(s, "gateway").is_some_and(|r| !r.contains("healthy"))
        },
    );
    eprintln!(
        "DISCONNECTED shown {:?} after the ssh session was killed",
        killed.elapsed()
    );
    t.wait_until(Duration::from_secs(10), "reconnected", |s| {
        !s.contains("DISCONNECTED") && row_of(s, "gateway").is_some_and(|r| r.contains(" healthy "))
    });
    // The forwarded sockets live in this console's private directories only.
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    assert!(
        ssh_masters_of(tmp.path()).is_empty(),
        "ssh left running after q"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind after quit: {left:?}");
}

#[test]
fn sshd_going_away_shows_disconnected_and_the_console_recovers_when_it_returns() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sshd = SecondSshd::start(&sb, dir.path(), 2223);
    let config = sshd.config(&sb, dir.path());
    let t = Tmux::start("sshd-down", &console_with(&config, dir.path()));
    t.wait_until(Duration::from_secs(15), "connected", |s| {
        s.contains("127.0.0.1:2223 · connected") && row_of(s, "gateway").is_some()
    });
    sshd.kill();
    let stopped = Instant::now();
    t.wait_until(Duration::from_secs(5), "DISCONNECTED within 5 s", |s| {
        s.contains("DISCONNECTED")
    });
    eprintln!(
        "DISCONNECTED shown {:?} after sshd stopped",
        stopped.elapsed()
    );
    t.wait_until(
        Duration::from_secs(10),
        "the refused retry is explained",
        |s| s.contains("connection refused"),
    );
    sshd.resume();
    t.wait_until(
        Duration::from_secs(20),
        "reconnected once sshd is back",
        |s| {
            s.contains("127.0.0.1:2223 · connected")
                && row_of(s, "gateway").is_some_and(|r| r.contains(" healthy "))
        },
    );
}

#[test]
fn an_unknown_host_key_is_refused_with_a_clear_message() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = dir.path().join("known_hosts");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
    let config = edited_config(&sb, dir.path(), |t| {
        t.replace(
            &sb.known_hosts().display().to_string(),
            &empty.display().to_string(),
        )
    });
    let t = Tmux::start("hostkey", &console_with(&config, dir.path()));
    let screen = t.wait_for("not in known_hosts");
    assert!(screen.contains("[127.0.0.1]:2222"), "{screen}");
    assert!(screen.contains("refusing to connect"), "{screen}");
    assert!(
        screen.contains("Verify the fingerprint"),
        "no advice on screen:\n{screen}"
    );
    assert!(
        row_of(&screen, "gateway").is_none(),
        "rows shown without a connection:\n{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(&empty).unwrap_or_default(),
        "",
        "strict mode added a key"
    );
}

// ---------------------------------------------------------------------------------------

#[test]
fn status_json_agrees_with_docker_ps() {
    let sb = sandbox();
    let (_, json) = status(&sb.config, &["--json"]);
    let reports: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let reports = reports.as_array().cloned().unwrap_or_default();
    assert_eq!(reports.len(), 3, "{json}");
    // The swarm environment's report is checked in sandbox_swarm.rs.
    for r in reports.into_iter().filter(|r| r["engine"] == "compose") {
        let project = r["project"].as_str().unwrap_or_default().to_string();
        assert_eq!(r["reachable"], true, "{r}");
        let mut from_status: Vec<String> = r["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c["name"].as_str().unwrap_or(""),
                    c["state"].as_str().unwrap_or("")
                )
            })
            .collect();
        let ps = ok_stdout(Command::new("docker").args([
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
            "--format",
            "{{.Names}} {{.State}}",
        ]));
        let mut from_ps: Vec<String> = ps.lines().map(str::to_string).collect();
        // Staging also watches the container outside compose ([containers]).
        if project == "acme-staging" {
            let outside = ok_stdout(Command::new("docker").args([
                "ps",
                "-a",
                "--filter",
                "name=^/acme-legacy$",
                "--format",
                "{{.Names}} {{.State}}",
            ]));
            assert_eq!(outside.lines().count(), 1, "{outside}");
            from_ps.extend(outside.lines().map(str::to_string));
        }
        from_status.sort();
        from_ps.sort();
        // A throwaway probe of another test may come or go between the two looks.
        from_status.retain(|l| !l.starts_with("pilothouse-test-"));
        from_ps.retain(|l| !l.starts_with("pilothouse-test-"));
        assert_eq!(from_status, from_ps, "{project}");
    }
}

#[test]
fn status_exit_codes_follow_what_is_running() {
    let sb = sandbox();
    let (code, text) = status(&sb.config, &["--env", "production"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("production (root@127.0.0.1:2222, project acme-production)"),
        "{text}"
    );
    // An exited container in the project makes it 1.
    let name = "pilothouse-test-status-exited";
    let _ = run(Command::new("docker").args(["rm", "-f", name]));
    ok_stdout(Command::new("docker").args([
        "create",
        "--name",
        name,
        "--network",
        "host",
        "--label",
        "com.docker.compose.project=acme-production",
        "--label",
        "com.docker.compose.service=zz-exited",
        "127.0.0.1:5000/acme/web:v1",
    ]));
    let probe = Container(name.to_string());
    let (code, text) = status(&sb.config, &["--env", "production"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("zz-exited") && l.contains("created") && l.ends_with("<-")),
        "{text}"
    );
    drop(probe);
    // An unreachable host makes it 3.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let closed = closed_port();
    let config = edited_config(&sb, dir.path(), |t| {
        t.replace("port = 2222", &format!("port = {closed}"))
    });
    let (code, json) = status(&config, &["--json"]);
    assert_eq!(code, Some(3), "{json}");
    assert!(
        json.contains("\"reachable\": false") && json.contains("connection refused"),
        "{json}"
    );
}

#[test]
fn a_docker_socket_that_is_missing_or_refuses_its_user_is_named_in_the_host_s_words() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = edited_config(&sb, dir.path(), |t| {
        t.replace(
            "docker_socket = \"/var/run/docker.sock\"",
            "docker_socket = \"/nonexistent/docker.sock\"",
        )
    });
    let (code, text) = status(&missing, &["--env", "production"]);
    assert_eq!(code, Some(3), "{text}");
    assert!(
        text.contains("the host was reached over SSH, but its Docker socket /nonexistent/docker.sock cannot be used: No such file or directory"),
        "{text}"
    );
    assert!(!text.contains("hyper"), "{text}");
    // The console says the same where the table would be, never "not been reached".
    let t = Tmux::start("nosocket", &console_with(&missing, dir.path()));
    let screen = t.wait_until(Duration::from_secs(30), "the socket named on screen", |s| {
        s.contains("No such file or directory") && s.contains("DISCONNECTED")
    });
    assert!(!screen.contains("has not been reached"), "{screen}");
    assert!(screen.contains("/nonexistent/docker.sock"), "{screen}");
    drop(t);
    // A login that is not in the docker group.
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let guest = edited_config(&sb, other.path(), |t| {
        t.replace("user = \"root\"", "user = \"pilothouse-guest\"")
    });
    let (code, text) = status(&guest, &["--env", "production"]);
    assert_eq!(code, Some(3), "{text}");
    assert!(
        text.contains("its Docker socket /var/run/docker.sock cannot be used: Permission denied (user pilothouse-guest is not in its group docker)"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// The local engine

#[test]
fn a_local_engine_environment_needs_no_ssh() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("local.toml");
    std::fs::write(
        &config,
        format!(
            "[environments.here]\nreach = \"local\"\n[environments.here.compose]\nproject_dir = \"{}\"\nproject_name = \"acme-production\"\n",
            sb.state.join("opt/production").display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = status(&config, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("here (local (/var/run/docker.sock), project acme-production)"),
        "{text}"
    );
    for svc in PRODUCTION {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{svc} "))),
            "{svc}: {text}"
        );
    }
}

#[test]
fn without_any_config_the_console_watches_every_local_compose_project() {
    let _sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = Tmux::start(
        "noconfig",
        &format!(
            "cd {d} && env -u PILOTHOUSE_CONFIG TERM=xterm-256color XDG_CONFIG_HOME={d} {}",
            env!("CARGO_BIN_EXE_pilothouse"),
            d = dir.path().display()
        ),
    );
    let screen = t.wait_until(Duration::from_secs(10), "both projects' rows", |s| {
        row_of(s, "acme-staging/gateway").is_some()
            && row_of(s, "acme-production/gateway").is_some()
    });
    assert!(
        screen.contains("local (/var/run/docker.sock) · connected"),
        "{screen}"
    );
    assert!(screen.contains("all compose projects"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn a_host_that_never_answers_times_out_and_the_console_stays_responsive() {
    let sb = sandbox();
    // A loopback port that accepts TCP and then says nothing: ssh's handshake hangs.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(4) {
            conns.push(c);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = edited_config(&sb, dir.path(), |t| {
        t.replacen("port = 2222", &format!("port = {port}"), 1)
            .replacen("connect_timeout = \"10s\"", "connect_timeout = \"2s\"", 1)
    });
    let t = Tmux::start("silent", &console_with(&config, dir.path()));
    t.wait_for("connecting… (attempt 1)");
    // Keys still work while the connection hangs.
    t.keys(&["Tab"]);
    t.wait_for("PRODUCTION · PROTECTED ENVIRONMENT");
    t.keys(&["BTab"]);
    let start = Instant::now();
    let screen = t.wait_until(Duration::from_secs(15), "timed out", |s| {
        s.contains("DISCONNECTED")
    });
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "took {:?}",
        start.elapsed()
    );
    assert!(screen.contains(&format!("127.0.0.1:{port}")), "{screen}");
    drop(held);
}

/// The ssh processes whose arguments name `dir` (a console's private TMPDIR).
fn ssh_masters_of(dir: &Path) -> Vec<String> {
    let out = run(Command::new("pgrep")
        .arg("-a")
        .arg("-f")
        .arg(format!("ssh .*{}", dir.display())));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn closing_the_terminal_closes_the_ssh_sessions_too() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The console is not the one the closed terminal sends its SIGHUP to (the shell
    // that started it is): it notices the terminal is gone by itself. The inner shell
    // ignores the hang-up to write down how the console ended.
    let exit = tmp.path().join("exit");
    let t = Tmux::start(
        "hangup",
        &format!(
            "sh -c 'trap \"\" HUP; {}; echo $? > {}'",
            console_with(&sb.config, tmp.path()),
            exit.display()
        ),
    );
    // "· connected" is the live header; "not connected" is shown before any attempt.
    t.wait_until(Duration::from_secs(15), "connected", |s| {
        s.contains("· connected") && row_of(s, "gateway").is_some()
    });
    assert!(
        !ssh_masters_of(tmp.path()).is_empty(),
        "no ssh master to watch"
    );
    // Killing the tmux server hangs up the console's terminal. The console gives its
    // connections 2 s to close and then stops what is left: 10 s covers that on a
    // machine loaded by the swarm's tests.
    drop(t);
    eventually(
        Duration::from_secs(10),
        "ssh masters gone after a hangup",
        || {
            let left = ssh_masters_of(tmp.path());
            left.is_empty().then_some(()).ok_or(format!("{left:?}"))
        },
    );
    // A closed terminal is a stop like any other, not a failure to draw.
    eventually(
        Duration::from_secs(10),
        "the console ended",
        || match std::fs::read_to_string(&exit) {
            Ok(code) if code.trim() == "0" => Ok(()),
            Ok(code) => panic!("the console ended with {code} after its terminal closed"),
            Err(e) => Err(e.to_string()),
        },
    );
}

// ---- Streaming logs ----

/// A one-service compose project of its own (so log tests never disturb staging), with
/// a config for it: the demo service as `noisy`, on the sandbox host over SSH.
struct LogProject {
    _dir: tempfile::TempDir,
    config: PathBuf,
    project: String,
    container: Container,
    saved: PathBuf,
}

fn log_project(sb: &Sandbox, tag: &str, port: u16) -> LogProject {
    let project = format!("acme-logs-{tag}-{}", std::process::id());
    let container = noisy_container(&project, 1, port, "v1");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let saved = dir.path().join("saved");
    let config = dir.path().join("logs.toml");
    std::fs::write(
        &config,
        format!(
            "[logs]\nbuffer_lines = 2000\nsave_dir = \"{saved}\"\n{env}",
            saved = saved.display(),
            env = env_t_over_ssh(sb, &project),
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    LogProject {
        _dir: dir,
        config,
        project,
        container,
        saved,
    }
}

impl LogProject {
    fn exec(&self, cmd: &str) {
        ok_stdout(Command::new("docker").args(["exec", &self.container.0, "sh", "-c", cmd]));
    }

    /// Writes a line to the container's stdout as if the service had, and returns once
    /// the engine has it (`docker logs` shows it): what a test then asks the console
    /// for is there to be read.
    fn say(&self, line: &str) {
        self.exec(&format!("echo '{line}' > /proc/1/fd/1"));
        eventually(
            Duration::from_secs(10),
            "the line in the engine's log",
            || {
                let out =
                    run(Command::new("docker").args(["logs", "--tail", "500", &self.container.0]));
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|l| l.ends_with(line))
                    .then_some(())
                    .ok_or_else(|| format!("docker logs has no line ending {line:?} yet"))
            },
        );
    }

    fn logs(&self, args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
        self.command("logs", args)
    }

    fn command(&self, command: &str, args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
        let out = run(pilothouse()
            .arg("--config")
            .arg(&self.config)
            .arg(command)
            .args(args)
            .stdin(Stdio::null()));
        (
            out.status.code(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The console on this project, with the log pane open on `noisy`.
    fn console_following(&self, name: &str) -> Tmux {
        let t = Tmux::start(name, &console_with(&self.config, self._dir.path()));
        t.wait_until(Duration::from_secs(15), "the noisy row", |s| {
            row_of(s, "noisy").is_some()
        });
        t.keys(&["l"]);
        t.wait_for("logs · noisy");
        t
    }

    fn escapes_logged(&self) {
        self.exec("touch /tmp/control/escapes");
        eventually(Duration::from_secs(10), "escape sequences logged", || {
            let raw = run(Command::new("docker").args(["logs", &self.container.0])).stdout;
            raw.windows(4)
                .any(|w| w == b"\x1b]0;")
                .then_some(())
                .ok_or("not yet".into())
        });
        self.exec("rm /tmp/control/escapes");
    }
}

/// A directory of the test's on the host, removed when the test ends.
struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn timeline_command_lists_what_was_done_from_outside_and_by_a_deploy() {
    let sb = sandbox();
    let p = log_project(&sb, "timeline", 18978);
    let noisy = &p.container.0;
    let before_restart = now_ns();
    ok_stdout(Command::new("docker").args(["restart", "-t", "1", noisy]));
    let after_restart = now_ns();
    ok_stdout(Command::new("docker").args(["kill", noisy]));
    let after_kill = now_ns();
    ok_stdout(Command::new("docker").args(["start", noisy]));

    let (code, out, err) = p.command("timeline", &["--env", "t", "--since", "10m", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let text = String::from_utf8_lossy(&out);
    let lines = json_lines(&text);
    let two = 2_000_000_000;
    let (restart, restarted) = timeline_entry(&lines, "restart", "noisy", before_restart - two)
        .unwrap_or_else(|| panic!("no restart of noisy in:\n{text}"));
    assert!(
        restarted <= after_restart + two,
        "the restart is at {}, done before {after_restart}: {restart}",
        restart["time"]
    );
    assert_eq!(
        (&restart["env"], &restart["source"], &restart["container"]),
        (
            &serde_json::json!("t"),
            &serde_json::json!("engine"),
            &serde_json::json!(noisy)
        ),
        "{restart}"
    );
    let (kill, killed) = timeline_entry(&lines, "kill", "noisy", restarted)
        .unwrap_or_else(|| panic!("no kill of noisy after its restart in:\n{text}"));
    assert_eq!(kill["summary"], "sent signal 9 (SIGKILL)", "{kill}");
    let (die, died) = timeline_entry(&lines, "die", "noisy", killed)
        .unwrap_or_else(|| panic!("no exit of noisy after its kill in:\n{text}"));
    assert_eq!(
        (&die["exit_code"], &die["summary"]),
        (
            &serde_json::json!("137"),
            &serde_json::json!("exited with code 137")
        ),
        "{die}"
    );
    assert!(
        died >= after_restart - two && died <= after_kill + two,
        "the kill's exit at {} is not within 2 s of the kill: {die}",
        die["time"]
    );
    // Oldest first, one line per fact.
    let times: Vec<&str> = lines.iter().filter_map(|l| l["time"].as_str()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "not oldest first:\n{text}"
    );

    // The host's audit trail and the env file's backups, written as a deploy would
    // leave them (the project's directory on the host is this machine's).
    let dir = RemoveDir(PathBuf::from(format!("/opt/{}", p.project)));
    std::fs::create_dir_all(dir.0.join(".pilothouse")).unwrap();
    let deployed = now_ns() / 1_000_000_000 - 60;
    std::fs::write(
        dir.0.join(".pilothouse/audit.jsonl"),
        format!(
            "{{\"time\":{deployed},\"operator\":\"ops@laptop\",\"environment\":\"t\",\"action\":\"deploy\",\"targets\":[\"noisy\"],\"exit_codes\":[0],\"result\":\"succeeded\",\"duration_ms\":2000}}\n"
        ),
    )
    .unwrap();
    let stamp = pilothouse_core::time::rfc3339_utc((deployed - 1) * 1_000_000_000);
    let stamp: String = stamp[..19]
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    std::fs::write(
        dir.0.join(format!(".env.pilothouse-{stamp}Z")),
        "SECRET_KEY=hunter2-never-shown\nNOISY_IMAGE_TAG=v1\n",
    )
    .unwrap();
    std::fs::write(
        dir.0.join(".env"),
        "SECRET_KEY=hunter2-never-shown\nNOISY_IMAGE_TAG=v2\n",
    )
    .unwrap();
    let (code, out, err) = p.command("timeline", &["--env", "t", "--since", "10m", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let text = String::from_utf8_lossy(&out);
    assert!(
        !text.contains("hunter2"),
        "an env file's other values: {text}"
    );
    let lines = json_lines(&text);
    let at = |l: &serde_json::Value| {
        pilothouse_core::time::rfc3339_nanos(l["time"].as_str().unwrap_or_default()).unwrap_or(0)
            / 1_000_000_000
    };
    let deploy = lines
        .iter()
        .find(|l| l["source"] == "audit")
        .unwrap_or_else(|| panic!("no audit entry in:\n{text}"));
    assert_eq!(
        (
            &deploy["kind"],
            &deploy["subject"],
            &deploy["summary"],
            &deploy["operator"]
        ),
        (
            &serde_json::json!("action"),
            &serde_json::json!("noisy"),
            &serde_json::json!("deploy by ops@laptop: succeeded"),
            &serde_json::json!("ops@laptop")
        ),
        "{deploy}"
    );
    assert!(
        (at(deploy) - (deployed - 2)).abs() <= 1,
        "the deploy's start: {deploy}"
    );
    let tag = lines
        .iter()
        .find(|l| l["source"] == "env-file")
        .unwrap_or_else(|| panic!("no env-file entry in:\n{text}"));
    assert_eq!(
        (
            &tag["kind"],
            &tag["subject"],
            &tag["old_tag"],
            &tag["new_tag"]
        ),
        (
            &serde_json::json!("tag_change"),
            &serde_json::json!("noisy"),
            &serde_json::json!("v1"),
            &serde_json::json!("v2")
        ),
        "{tag}"
    );
    assert_eq!(at(tag), deployed - 1, "{tag}");

    // The table: the same entries, times in this machine's zone with its offset.
    let out = run(pilothouse()
        .env("TZ", "Asia/Kolkata")
        .arg("--config")
        .arg(&p.config)
        .args([
            "timeline",
            "--env",
            "t",
            "--since",
            "10m",
            "--service",
            "noisy",
        ])
        .stdin(Stdio::null()));
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{table}");
    assert!(table.starts_with("TIME "), "{table}");
    let row = table
        .lines()
        .find(|l| l.ends_with("exited with code 137"))
        .unwrap_or_else(|| panic!("no exit in the table:\n{table}"));
    assert!(
        row.contains(" +05:30  engine ") && row.contains(" noisy "),
        "{row}"
    );
}

#[test]
fn the_console_s_timeline_shows_an_outside_kill_at_once_its_logs_around_it_an_error_burst_and_keeps_them()
 {
    let sb = sandbox();
    let p = log_project(&sb, "timeline-tui", 18977);
    // Each container's lines read for error bursts every 5 s (a minute by default).
    let config = std::fs::read_to_string(&p.config).unwrap_or_default();
    let config = config.replacen(
        "[environments.t]\n",
        "[environments.t]\nerror_bursts_interval = \"5s\"\n",
        1,
    );
    assert!(config.contains("error_bursts_interval"), "{config}");
    std::fs::write(&p.config, config).unwrap_or_else(|e| panic!("{e}"));
    let state = p._dir.path().join("state");
    let console = format!(
        "env XDG_STATE_HOME={} {}",
        state.display(),
        console_with(&p.config, p._dir.path())
    );
    let t = Tmux::start("timeline-1", &console);
    t.wait_until(Duration::from_secs(15), "the noisy row", |s| {
        row_of(s, "noisy").is_some()
    });
    // The log pane follows noisy (the table keeps the keys), as an operator's would when
    // the incident begins.
    t.keys(&["f"]);
    t.wait_until(Duration::from_secs(5), "the pane following", |s| {
        s.contains("logs · noisy · tail") && s.contains(" following ")
    });
    t.keys(&["t"]);
    t.wait_until(Duration::from_secs(15), "the host's history read", |s| {
        s.contains("timeline: all services") && !s.contains("reading")
    });
    p.say("MARKER-just-before-the-kill");
    ok_stdout(Command::new("docker").args(["kill", &p.container.0]));
    // The engine's events reach the view as they happen (the table's own stream).
    t.wait_until(Duration::from_secs(3), "the kill in the timeline", |s| {
        let at = |what: &str| {
            s.lines()
                .position(|l| l.contains(" +00:00") && l.contains("engine") && l.contains(what))
        };
        at("sent signal 9 (SIGKILL)").is_some_and(|k| at("exited with code 137") > Some(k))
    });
    // enter on its exit (the newest is highlighted): the service's lines from 30 s
    // before it to 30 s after, read with the engine's since and until.
    t.keys(&["Enter"]);
    t.wait_until(Duration::from_secs(5), "the logs around the kill", |s| {
        s.contains("logs · noisy · ")
            && s.contains("±30s")
            && s.contains("esc: back to the timeline")
            && s.contains("MARKER-just-before-the-kill")
    });
    ok_stdout(Command::new("docker").args(["start", &p.container.0]));
    // esc: back to the timeline, the pane following again.
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(3), "the timeline again", |s| {
        s.contains("timeline: all services") && s.contains("exited with code 137")
    });
    t.keys(&["t"]);
    t.wait_until(Duration::from_secs(5), "the pane following again", |s| {
        s.contains("logs · noisy · tail") && s.contains(" following ")
    });
    // A burst of error lines, far above what noisy writes (one line in twenty): the
    // timeline has it, and it is the incident now (the limit: the 5 s between reads
    // and 10 s).
    p.exec("for i in $(seq 80); do echo \"ERROR payment failed $i\"; done > /proc/1/fd/1");
    t.keys(&["t"]);
    t.wait_until(Duration::from_secs(15), "the burst", |s| {
        let burst =
            |l: &&str| l.contains("noisy: ") && l.contains(" error lines in the last minute (");
        s.lines().any(|l| l.contains(" console ") && burst(&l))
            && s.lines().any(|l| l.contains(" since ") && burst(&l))
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    let kept = std::fs::read_dir(state.join("pilothouse/timeline"))
        .unwrap_or_else(|e| panic!("no timeline store: {e}"))
        .filter_map(Result::ok)
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect::<String>();
    assert!(
        kept.contains("\"kind\":\"kill\"") && kept.contains("\"kind\":\"error_burst\""),
        "the store: {kept}"
    );

    // A second console opens on the same entries.
    let t = Tmux::start("timeline-2", &console);
    t.wait_until(Duration::from_secs(15), "the noisy row", |s| {
        row_of(s, "noisy").is_some()
    });
    t.keys(&["t"]);
    t.wait_until(
        Duration::from_secs(15),
        "the kill and the burst, kept",
        |s| {
            s.contains("sent signal 9 (SIGKILL)")
                && s.contains("exited with code 137")
                && s.contains("error lines in the last minute")
        },
    );
}

#[test]
fn logs_command_prints_sanitized_lines_like_compose_logs() {
    let sb = sandbox();
    let p = log_project(&sb, "cli", 18981);
    p.escapes_logged();
    p.say("MARKER-cli-plain");
    p.say(r#"{"level":"warn","msg":"MARKER-json","context":"Test","traceId":"abc12","ms":7}"#);
    let (code, out, err) = p.logs(&["--env", "t", "noisy"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains(&0x1b), "an ESC byte reached stdout");
    let text = String::from_utf8(out).unwrap_or_else(|e| panic!("not UTF-8: {e}"));
    assert!(
        !text.chars().any(|c| ('\u{80}'..'\u{a0}').contains(&c)),
        "a C1 control reached stdout"
    );
    assert!(text.contains('\u{fffd}'), "invalid UTF-8 shows as U+FFFD");
    assert!(text.contains("noisy | "), "service prefix: {text}");
    assert!(
        text.lines().any(|l| l.ends_with("MARKER-cli-plain")),
        "{text}"
    );
    // JSON lines are rendered `LEVEL message key=value`.
    assert!(
        text.lines()
            .any(|l| l.ends_with("| WARN MARKER-json context=Test trace=abc12 ms=7")),
        "{text}"
    );

    let (code, out, err) = p.logs(&[
        "--env",
        "t",
        "--tail",
        "50",
        "--grep",
        "marker-CLI",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let text = String::from_utf8_lossy(&out);
    let lines = json_lines(&text);
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(lines[0]["service"], "noisy");
    assert_eq!(lines[0]["stream"], "stdout");
    assert_eq!(lines[0]["message"], "MARKER-cli-plain");

    // A one-megabyte line arrives whole (Docker splits it into 16 KiB entries). It is
    // written by a container of its own: the demo service's own lines would land in the
    // middle of it on a shared stdout.
    let big = Container(format!("{}_bigline_1", p.project));
    let _ = run(Command::new("docker").args(["rm", "-f", &big.0]));
    ok_stdout(Command::new("docker").args([
        "run",
        "-d",
        "--name",
        &big.0,
        "--network",
        "none",
        "--label",
        &format!("com.docker.compose.project={}", p.project),
        "--label",
        "com.docker.compose.service=bigline",
        "--entrypoint",
        "sh",
        "127.0.0.1:5000/acme/web:v1",
        "-c",
        "head -c 1048576 /dev/zero | tr '\\0' y; echo; sleep 600",
    ]));
    eventually(Duration::from_secs(15), "a 1 MiB line", || {
        let (code, out, err) = p.logs(&["--env", "t", "bigline"]);
        if code != Some(0) {
            return Err(err);
        }
        let longest = out
            .split(|b| *b == b'\n')
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        (longest >= 1 << 20)
            .then_some(())
            .ok_or(format!("longest line {longest} bytes"))
    });

    let (code, _, err) = p.logs(&["--env", "t", "nosuch"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("no service \"nosuch\"") && err.contains("noisy"),
        "{err}"
    );
    let (code, _, err) = p.logs(&["--env", "t", "--grep", "a(b"]);
    assert_eq!(code, Some(1), "{err}");
}

#[test]
fn log_pane_follows_survives_escapes_restarts_and_floods_and_saves() {
    let sb = sandbox();
    let p = log_project(&sb, "pane", 18982);
    let t = p.console_following("logs");

    // New lines appear within a second.
    p.say("MARKER-live-1");
    let said = Instant::now();
    t.wait_until(Duration::from_secs(5), "the new line", |s| {
        s.contains("MARKER-live-1")
    });
    assert!(
        said.elapsed() < Duration::from_secs(1),
        "took {:?}",
        said.elapsed()
    );

    // Escape sequences in the stream leave the rest of the screen alone.
    let before = t.screen();
    let header: Vec<&str> = before.lines().take(3).collect();
    let title = t.format("#{pane_title}");
    p.escapes_logged();
    p.say("MARKER-after-escapes");
    let after = t.wait_for("MARKER-after-escapes");
    // Numbers (the heartbeat's latency) move on their own; the text must not.
    let shape = |lines: &[&str]| -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let mut out = String::new();
                for c in l.chars() {
                    if !c.is_ascii_digit() {
                        out.push(c);
                    } else if !out.ends_with('#') {
                        out.push('#');
                    }
                }
                out
            })
            .collect()
    };
    let after_header: Vec<&str> = after.lines().take(3).collect();
    assert_eq!(shape(&after_header[..2]), shape(&header[..2]), "{after}");
    assert_eq!(t.format("#{pane_title}"), title, "the window title changed");
    assert!(row_of(&after, "noisy").is_some(), "{after}");

    // Across a restart: a separator, then the new container's lines.
    ok_stdout(Command::new("docker").args(["restart", "-t", "1", &p.container.0]));
    t.wait_until(Duration::from_secs(15), "the restart separator", |s| {
        s.contains("restarted ──")
    });
    p.say("MARKER-after-restart");
    t.wait_for("MARKER-after-restart");

    // Save writes the lines, with no escape sequence.
    t.keys(&["S"]);
    let screen = t.wait_for("saved to ");
    assert!(screen.contains(&p.saved.display().to_string()), "{screen}");
    let file = std::fs::read_dir(&p.saved)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .next()
        .unwrap_or_else(|| panic!("no saved file"));
    let saved = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(!saved.contains(&0x1b), "an ESC byte in the saved file");
    let saved = String::from_utf8_lossy(&saved);
    assert!(saved.contains("MARKER-live-1") && saved.contains("MARKER-after-restart"));

    // A flood: the ring stays bounded (dropped lines counted) and keys still answer.
    p.exec("touch /tmp/control/flood");
    // Until 200 000 lines went through: kept + dropped, from the pane's title.
    let received = |s: &str| -> u64 {
        let title = s.lines().find(|l| l.contains("logs · noisy")).unwrap_or("");
        let words: Vec<&str> = title.split_whitespace().collect();
        // `2,000 lines` and `978,000 dropped`: the numbers before those words.
        words
            .windows(2)
            .filter(|w| w[1] == "lines" || w[1] == "dropped")
            .filter_map(|w| w[0].replace(',', "").parse::<u64>().ok())
            .sum()
    };
    t.wait_until(Duration::from_secs(60), "200 000 lines", |s| {
        received(s) >= 200_000
    });
    let pid = ok_stdout(Command::new("pgrep").args([
        "-n",
        "-f",
        &format!("pilothouse --config {}", p.config.display()),
    ]));
    for round in 0..5 {
        let want_times = round % 2 == 0;
        t.keys(&["t"]);
        let pressed = Instant::now();
        t.wait_until(Duration::from_secs(2), "timestamps toggled", |s| {
            // `│HH:MM:SS.mmm │ …` inside the log pane's border.
            let shows = s.lines().any(|l| {
                l.strip_prefix('│')
                    .map(str::as_bytes)
                    .is_some_and(|r| r.len() > 13 && r[2] == b':' && r[5] == b':' && r[8] == b'.')
            });
            shows == want_times
        });
        assert!(
            pressed.elapsed() < Duration::from_secs(1),
            "key took {:?}",
            pressed.elapsed()
        );
    }
    let rss_kib: u64 = std::fs::read_to_string(format!("/proc/{}/status", pid.trim()))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    p.exec("rm /tmp/control/flood");
    assert!(
        rss_kib > 0 && rss_kib < 150 * 1024,
        "RSS {rss_kib} KiB during the flood"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn log_pane_moves_to_the_new_container_of_a_recreated_service_and_says_so() {
    let sb = sandbox();
    let p = log_project(&sb, "recreate", 18983);
    let t = p.console_following("recreate");
    p.say("MARKER-old-container");
    t.wait_for("MARKER-old-container");

    // What a deploy does: a new container for the service starts, the old one goes.
    let new = noisy_container(&p.project, 2, 18984, "v2");

    t.wait_until(
        Duration::from_secs(15),
        "the new-container separator",
        |s| s.contains("(127.0.0.1:5000/acme/web:v2) started ──"),
    );
    ok_stdout(Command::new("docker").args(["rm", "-f", &p.container.0]));
    t.wait_until(Duration::from_secs(15), "the removal separator", |s| {
        s.contains("removed ──")
    });
    ok_stdout(Command::new("docker").args([
        "exec",
        &new.0,
        "sh",
        "-c",
        "echo MARKER-new-container > /proc/1/fd/1",
    ]));
    let screen = t.wait_for("MARKER-new-container");
    // The old container's lines are still there, above the separators.
    assert!(screen.contains("MARKER-old-container"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn a_declared_service_without_a_container_is_a_missing_row_counted_and_fails_status() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = format!("acme-missing-{}", std::process::id());
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "version: \"2.4\"\nservices:\n  noisy:\n    image: 127.0.0.1:5000/acme/web:v1\n    network_mode: host\n  spare:\n    image: 127.0.0.1:5000/acme/web:v1\n    network_mode: host\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("missing.toml");
    std::fs::write(
        &config,
        format!(
            "[environments.t]\n[environments.t.ssh]\ndestination = \"127.0.0.1\"\nuser = \"root\"\nport = 2222\n\
             identity_file = \"{key}\"\nknown_hosts_file = \"{known}\"\n\
             [environments.t.compose]\nproject_dir = \"{dir}\"\nproject_name = \"{project}\"\ncommand = \"docker-compose\"\n\
             [environments.t.deploy]\norder = [[\"noisy\"], [\"ghost\"]]\n",
            key = sb.state.join("ssh/id_ed25519").display(),
            known = sb.state.join("ssh/known_hosts").display(),
            dir = dir.path().display(),
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let noisy = noisy_container(&project, 1, 18979, "v1");
    let t = Tmux::start("missing", &console_with(&config, dir.path()));
    // `spare` is declared and has no container; `ghost` is only in the deploy order.
    let screen = t.wait_until(Duration::from_secs(30), "the missing rows", |s| {
        row_of(s, "spare").is_some_and(|r| r.contains("missing"))
            && row_of(s, "ghost").is_some_and(|r| r.contains("not in the compose files"))
            && s.contains("1/2 running · 1 MISSING")
    });
    assert!(
        row_of(&screen, "noisy").is_some_and(|r| r.contains("running")),
        "{screen}"
    );
    let (code, text) = status(&config, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("MISSING: declared, no container"), "{text}");
    assert!(
        text.contains(
            "warning: the deploy order names ghost, which the compose files do not declare"
        ),
        "{text}"
    );
    // A file only Compose can read in full (a merge key under `services`) is left to
    // `config --services`: its service is declared too.
    std::fs::write(
        dir.path().join("docker-compose.more.yml"),
        "version: \"2.4\"\nx-more: &more\n  extra:\n    image: 127.0.0.1:5000/acme/web:v1\n    network_mode: host\nservices:\n  <<: *more\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let more = dir.path().join("more.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_else(|e| panic!("{e}"));
    let text = text.replace(
        "command = \"docker-compose\"\n",
        "command = \"docker-compose\"\nfiles = [\"docker-compose.yml\", \"docker-compose.more.yml\"]\n",
    );
    std::fs::write(&more, text).unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = status(&more, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("extra") && l.contains("MISSING")),
        "{text}"
    );
    // Its container removed, a running service becomes a missing row at once.
    drop(noisy);
    t.wait_until(Duration::from_secs(5), "noisy missing", |s| {
        row_of(s, "noisy").is_some_and(|r| r.contains("missing"))
            && s.contains("0/2 running · 2 MISSING")
    });
}

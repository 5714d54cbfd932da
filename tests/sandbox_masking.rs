//! Secrets masked wherever host text is shown or written (issue "Reliability and
//! security in figures", item 1), against the real sandbox host: a service of the
//! staging project logs its env file's secrets and DATABASE_URL, and each output of
//! the real binary is read for them: the log pane, its search, a saved log, `pilothouse
//! logs` (text and JSON), an action's step output, the audit trail and view, `status
//! --json`, the snapshot and the console's own log. Then the two ways to see them
//! anyway, each recorded in the audit trail: the console's confirmed toggle and
//! `pilothouse logs --no-mask`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::*;

const GATEWAY: &str = "acme-staging_gateway_1";

/// The gateway writes a line with every secret in it, as services do at boot.
fn leak(secrets: &[String], marker: &str) {
    let line = format!(
        "{marker} connecting to postgresql://acme:{}@127.0.0.1:5432/acme jwt={} admin={}",
        secrets[0], secrets[1], secrets[2]
    );
    ok_stdout(Command::new("docker").args([
        "exec",
        GATEWAY,
        "sh",
        "-c",
        &format!("echo '{line}' > /proc/1/fd/1"),
    ]));
}

/// The masked form of [`leak`]'s line.
fn masked(marker: &str) -> String {
    format!("{marker} connecting to postgresql://acme:****@127.0.0.1:5432/acme jwt=**** admin=****")
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "a secret in {what}:\n{text}");
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn logs_cmd(config: &Path, args: &[&str]) -> String {
    ok_stdout(
        pilothouse()
            .args(["logs", "--config"])
            .arg(config)
            .args(["--env", "staging"])
            .args(args),
    )
}

#[test]
fn a_secret_a_service_logs_is_masked_everywhere_and_shown_only_when_asked_and_audited() {
    let sb = sandbox();
    let secrets = sb.env_secrets("staging");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let saved = dir.path().join("saved");
    // Migration status as `env` in the gateway's container: step output with every
    // variable the service has, secrets included.
    let config = edited_config(&sb, dir.path(), |c| {
        format!(
            "[logs]\nsave_dir = \"{}\"\n\n{}",
            saved.display(),
            c.replace(
                "status_command = \"demo-service migrate-status\"",
                "status_command = \"env\""
            )
        )
    });
    let run_id = std::process::id();
    let before = format!("MASK-before-{run_id}");
    leak(&secrets, &before);

    let t = action_console_on(&config, "masking", dir.path(), "");
    select(&t, "gateway");
    t.keys(&["l"]);
    t.wait_for("logs · gateway");
    let live = format!("MASK-live-{run_id}");
    leak(&secrets, &live);
    let screen = t.wait_for(&masked(&live));
    assert_clean("the log pane", &screen, &secrets);

    // Search finds the line, still masked.
    let mut keys = vec!["/"];
    keys.extend(live.split("").filter(|k| !k.is_empty()));
    keys.push("Enter");
    t.keys(&keys);
    let screen = t.wait_until(Duration::from_secs(5), "the search's match", |s| {
        s.contains(&format!("/{live}/ 1 match"))
    });
    assert!(screen.contains(&masked(&live)), "{screen}");
    assert_clean("search results", &screen, &secrets);

    // A saved log.
    t.keys(&["S"]);
    t.wait_for("saved to ");
    let saved_text: String = files_under(&saved)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    assert!(saved_text.contains(&masked(&live)), "{saved_text}");
    assert_clean("the saved log", &saved_text, &secrets);

    // An action's step output: the gateway's whole environment.
    // The first esc ends the search, the second gives the keyboard back to the table.
    t.keys(&["Escape", "Escape"]);
    t.wait_until(Duration::from_secs(5), "the table's keys", |s| {
        !s.contains("esc back  / search")
    });
    t.keys(&["W"]);
    t.wait_for("confirm: migration status gateway on staging");
    t.keys(&["y"]);
    let screen = t.wait_until(Duration::from_secs(30), "the environment printed", |s| {
        s.contains("done       migration status") && s.contains("JWT_SECRET=****")
    });
    assert_clean("step output", &screen, &secrets);

    // The incident snapshot.
    t.keys(&["I"]);
    let screen = t.wait_until(Duration::from_secs(40), "the snapshot written", |s| {
        s.contains("incident snapshot written to") || s.contains("NOT written")
    });
    assert!(!screen.contains("NOT written"), "{screen}");

    // A record another tool wrote into the host's audit trail, a secret in its error:
    // the audit view, `pilothouse audit` and `status --json` show it masked.
    let forged = serde_json::json!({
        "time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        "operator": "cron@host", "environment": "staging", "action": "backup",
        "targets": [], "commands": ["pg_dump"], "exit_codes": [1], "result": "failed",
        "error": format!("pg_dump: password {} rejected", secrets[0]), "duration_ms": 5
    });
    let audit_path = sb.state.join("opt/staging/.pilothouse/audit.jsonl");
    let mut trail = std::fs::read_to_string(&audit_path).unwrap_or_default();
    trail.push_str(&format!("{forged}\n"));
    std::fs::write(&audit_path, trail).unwrap_or_else(|e| panic!("{e}"));
    t.keys(&["A"]);
    let screen = t.wait_until(Duration::from_secs(15), "the forged record", |s| {
        s.contains("pg_dump: password **** rejected")
    });
    assert_clean("the audit view", &screen, &secrets);
    t.keys(&["Escape"]);
    let audit_out = ok_stdout(
        pilothouse()
            .args(["audit", "--config"])
            .arg(&config)
            .args(["--env", "staging"]),
    );
    assert!(audit_out.contains("password **** rejected"), "{audit_out}");
    assert_clean("pilothouse audit", &audit_out, &secrets);
    let (_, json) = status(&config, &["--json"]);
    assert!(json.contains("pg_dump: password **** rejected"), "{json}");
    assert_clean("status --json", &json, &secrets);

    // `pilothouse logs`, text and JSON.
    let text = logs_cmd(&config, &["gateway", "--tail", "200"]);
    assert!(text.contains(&masked(&live)), "{text}");
    assert_clean("pilothouse logs", &text, &secrets);
    let json = logs_cmd(&config, &["gateway", "--tail", "200", "--json"]);
    assert!(json.contains(&masked(&live)), "{json}");
    assert_clean("pilothouse logs --json", &json, &secrets);

    // The console's confirmed toggle: lines read from then on are shown as written,
    // the header says so, and the trail records it (locally and on the host).
    t.keys(&["M-v"]);
    t.wait_for("confirm: show secrets unmasked on staging");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(15), "the toggle done", |s| {
        s.contains("SECRETS SHOWN") && s.contains("done       show secrets unmasked")
    });
    t.keys(&["Q", "l"]);
    // The search above left the pane where its match was (paused): back to following.
    t.keys(&["G"]);
    t.wait_until(Duration::from_secs(5), "the pane following", |s| {
        s.contains("logs · gateway") && !s.contains("PAUSED")
    });
    let shown = format!("MASK-shown-{run_id}");
    leak(&secrets, &shown);
    let screen = t.wait_for(&shown);
    assert!(
        screen.contains(&secrets[1]),
        "not shown after the toggle:\n{screen}"
    );
    let reveal = |records: Vec<serde_json::Value>| {
        records
            .iter()
            .any(|r| r["action"] == "show secrets unmasked" && r["environment"] == "staging")
    };
    assert!(
        reveal(local_audit(dir.path())),
        "no local audit record of the toggle"
    );
    assert!(
        reveal(host_audit(&sb, "staging")),
        "no host audit record of the toggle"
    );

    // Everything the console wrote: the snapshot, saved logs, its own log and audit.
    let mut snapshot_seen = false;
    for f in files_under(dir.path()) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let name = f.display().to_string();
        if name.contains("pilothouse-incident-staging-") {
            snapshot_seen = true;
            assert!(text.contains(&masked(&live)), "{text}");
        }
        if name.ends_with("pilothouse.toml") {
            continue;
        }
        assert_clean(&name, &text, &secrets);
    }
    assert!(snapshot_seen, "no snapshot under {}", dir.path().display());

    // `--no-mask` shows them, and leaves a record on the host first.
    let out = run(pilothouse().args(["logs", "--config"]).arg(&config).args([
        "--env",
        "staging",
        "gateway",
        "--tail",
        "200",
        "--no-mask",
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&secrets[1]),
        "--no-mask did not show it:\n{text}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recorded in the audit trail"),
        "{out:?}"
    );
    let host = host_audit(&sb, "staging");
    assert!(
        host.iter().any(|r| r["action"] == "show secrets unmasked"
            && r["commands"][0] == "pilothouse logs --no-mask"),
        "no host audit record of --no-mask"
    );
}

//! A person tries the console on the sandbox before running the suite, as the README's
//! quick start invites: deploys `v2` to staging, starts pgAdmin and leaves it running,
//! runs a migration, and kills a console while it holds the host lock. `tests/run` runs
//! this first (it is ignored otherwise), then `tests/sandbox/up --reset`, then the whole
//! suite, which must pass after it.
//!
//! The console runs with the person's own config and state dirs (`XDG_CONFIG_HOME`,
//! `XDG_STATE_HOME`, which `tests/run` points at a home holding a theme and a keymap of
//! the person's): that keymap files the filter under `f` and quits with `x`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::process::Command;
use std::time::Duration;

use crate::support::*;

fn person_dir(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: this test plays a person's session and is run by tests/run")
    })
}

fn confirm_until(t: &Tmux, limit: Duration, done: &str) {
    t.wait_until(Duration::from_secs(15), "the confirmation", |s| {
        s.contains("confirm:")
    });
    t.keys(&["y"]);
    let screen = t.wait_until(limit, done, |s| {
        s.contains(done) || s.contains("confirm once more") || s.contains("FAILED")
    });
    if screen.contains("confirm once more") {
        t.keys(&["y"]);
        t.wait_until(limit, done, |s| s.contains(done) || s.contains("FAILED"));
    }
    assert!(t.screen().contains(done), "{}", t.screen());
}

#[test]
#[ignore = "run by tests/run before the suite: it leaves the sandbox changed on purpose"]
fn a_person_changes_the_sandbox_in_the_console_before_the_suite() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = Tmux::start(
        "person",
        &format!(
            "env TERM=xterm-256color XDG_CONFIG_HOME={} XDG_STATE_HOME={} TMPDIR={} {} --config {}",
            person_dir("XDG_CONFIG_HOME"),
            person_dir("XDG_STATE_HOME"),
            tmp.path().display(),
            env!("CARGO_BIN_EXE_pilothouse"),
            sb.config.display()
        ),
    );
    t.wait_until(Duration::from_secs(30), "connected with rows", |s| {
        s.contains("· connected") && row_of(s, "gateway").is_some()
    });
    // The person's keymap: the filter is on `f`.
    t.keys(&["f", "g", "a", "t", "e", "w", "a", "y", "Enter"]);
    t.wait_until(Duration::from_secs(5), "gateway selected", |s| {
        s.contains("filter: ") && s.contains("(1 of")
    });
    t.keys(&["M-d"]);
    t.wait_for(": pick a tag");
    t.keys(&["v", "2", "Enter"]);
    confirm_until(&t, Duration::from_secs(150), "done       deploy gateway");
    t.keys(&["P"]);
    confirm_until(&t, Duration::from_secs(60), "done       pgAdmin start");
    t.keys(&["M"]);
    confirm_until(&t, Duration::from_secs(60), "done       migrate gateway");
    // A restart of the backend group, and the console killed while it holds the lock.
    t.keys(&["B"]);
    t.wait_for("confirm: restart gateway, order-service, print-service on staging");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(15), "the restart running", |s| {
        s.contains("step 1/1")
    });
    let pid = console_pid(&t);
    run(Command::new("kill").args(["-KILL", &pid]));
    // Its ssh masters go with the connection when the sandbox goes down; end them now.
    run(Command::new("pkill")
        .arg("-KILL")
        .arg("-f")
        .arg(format!("ssh .*{}", tmp.path().display())));
    eventually(Duration::from_secs(10), "the console gone", || {
        let alive = run(Command::new("kill").args(["-0", &pid]))
            .status
            .success();
        if alive {
            Err(format!("pid {pid} still runs"))
        } else {
            Ok(())
        }
    });
    assert!(
        lock_dir(&sb, "staging").join("owner.json").exists(),
        "the killed console's lock is not on the host"
    );
    let gateway = ok_stdout(Command::new("docker").args([
        "inspect",
        "-f",
        "{{.Config.Image}}",
        "acme-staging_gateway_1",
    ]));
    assert!(gateway.trim().ends_with(":v2"), "gateway runs {gateway}");
}

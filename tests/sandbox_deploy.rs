//! Deploy and rollback against the real sandbox host and its registry: the real binary
//! in tmux, docker and the host's files on the side to see what it did. Every test
//! puts staging back on v1 when it ends, however it ends.

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
use std::time::Duration;

use crate::support::*;

static STAGING_ENV: Mutex<()> = Mutex::new(());

fn hold() -> std::sync::MutexGuard<'static, ()> {
    STAGING_ENV.lock().unwrap_or_else(|e| e.into_inner())
}

fn staging_dir(sb: &Sandbox) -> std::path::PathBuf {
    sb.state.join("opt/staging")
}

/// The image ID a container runs.
fn running_image(container: &str) -> String {
    ok_stdout(Command::new("docker").args(["inspect", "-f", "{{.Image}}", container]))
        .trim()
        .to_string()
}

/// The image ID a reference names on the host.
fn image_id(reference: &str) -> String {
    ok_stdout(Command::new("docker").args(["image", "inspect", "-f", "{{.Id}}", reference]))
        .trim()
        .to_string()
}

fn env_value(sb: &Sandbox, var: &str) -> String {
    std::fs::read_to_string(staging_dir(sb).join(".env"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{var}=")).map(str::to_string))
        .unwrap_or_default()
}

/// Puts these staging services back on v1 (the env file and the containers), as an
/// operator would by hand, and waits until they are healthy.
struct BackToV1<'a> {
    sb: &'a Sandbox,
    services: &'static [&'static str],
}

impl Drop for BackToV1<'_> {
    fn drop(&mut self) {
        self.restore();
    }
}

impl BackToV1<'_> {
    /// Also run first: a test starts from v1 whatever an earlier run left.
    fn restore(&self) {
        let dir = staging_dir(self.sb);
        let mut script = String::from("set -e; cd \"$1\"; ");
        for s in self.services {
            let var = format!("{}_IMAGE_TAG", s.to_uppercase().replace('-', "_"));
            script.push_str(&format!("sed -i 's/^{var}=.*/{var}=v1/' .env; "));
        }
        script.push_str("docker-compose -p acme-staging -f docker-compose.yml up -d --no-deps");
        for s in self.services {
            script.push(' ');
            script.push_str(s);
        }
        let _ = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg("sh")
            .arg(&dir)
            .output();
        let _ = std::fs::remove_dir_all(lock_dir(self.sb, "staging"));
        eventually(
            Duration::from_secs(90),
            "staging healthy on v1 again",
            || {
                for s in self.services {
                    let c = format!("acme-staging_{s}_1");
                    let state = ok_stdout(Command::new("docker").args([
                        "inspect",
                        "-f",
                        "{{.Config.Image}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
                        &c,
                    ]));
                    if !state.contains(":v1 healthy") {
                        return Err(format!("{c}: {state}"));
                    }
                }
                Ok(())
            },
        );
    }
}

/// Puts `services` on v1 now and again when the guard goes.
fn on_v1<'a>(sb: &'a Sandbox, services: &'static [&'static str]) -> BackToV1<'a> {
    let back = BackToV1 { sb, services };
    back.restore();
    back
}

/// Opens the deploy picker on the marked services (or the selected one), types `tag`
/// and enters it; waits for the preview.
fn deploy(t: &Tmux, key: &str, tag: &str, title: &str) {
    t.keys(&[key]);
    t.wait_for(": pick a tag");
    // The picker's list highlights its first row; typing filters it to the tag.
    let mut keys: Vec<&str> = tag.split("").filter(|k| !k.is_empty()).collect();
    keys.push("Enter");
    t.keys(&keys);
    preview(t, title, &["changes"]);
}

/// Marks each service (filtering the table down to it, then clearing the filter).
fn mark(t: &Tmux, services: &[&str]) {
    for s in services {
        select(t, s);
        t.keys(&["Space"]);
        t.keys(&["/", "Escape"]);
        t.wait_until(Duration::from_secs(5), "the filter cleared", |x| {
            !x.contains("filter: ")
        });
    }
}

#[test]
fn deploy_v2_over_v1_in_order_then_roll_back_to_v1() {
    let sb = sandbox();
    let _env = hold();
    let _back = on_v1(&sb, &["slicer", "gateway", "web"]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let v1 = image_id("127.0.0.1:5000/acme/web:v1");
    assert_eq!(
        running_image("acme-staging_web_1"),
        v1,
        "staging starts on v1"
    );
    let host_before = host_audit(&sb, "staging").len();
    let t = action_console(&sb, "deploy-v2", dir.path(), "");
    mark(&t, &["slicer", "gateway", "web"]);
    deploy(
        &t,
        "M-d",
        "v2",
        "confirm: deploy gateway, slicer, web on staging",
    );
    let screen = t.screen();
    assert!(
        screen.contains("gateway v1 → v2") && screen.contains("web v1 → v2"),
        "{screen}"
    );
    assert_eq!(
        running_image("acme-staging_web_1"),
        v1,
        "it ran before confirmation"
    );
    let confirmed = now_ns();
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(150), "the deploy done", |s| {
        s.contains("done       deploy gateway, slicer, web")
            || s.contains("FAILED")
            || s.contains("ROLLED BACK")
    });
    let screen = t.screen();
    assert!(screen.contains("done       deploy"), "{screen}");
    for s in ["slicer", "gateway", "web"] {
        let c = format!("acme-staging_{s}_1");
        assert_eq!(
            running_image(&c),
            image_id(&format!("127.0.0.1:5000/acme/{s}:v2")),
            "{s} does not run v2"
        );
        assert_eq!(
            image_id(&format!("127.0.0.1:5000/acme/{s}:rollback")),
            image_id(&format!("127.0.0.1:5000/acme/{s}:v1")),
            "{s}:rollback is not v1"
        );
        let var = format!("{}_IMAGE_TAG", s.to_uppercase());
        assert_eq!(env_value(&sb, &var), "v2", "{var} in the env file");
    }
    // The other values of the env file are untouched, and a backup was kept.
    assert!(env_value(&sb, "DATABASE_URL").starts_with("postgresql://acme:"));
    assert_eq!(env_value(&sb, "ORDER_SERVICE_IMAGE_TAG"), "v1");
    let backups = std::fs::read_dir(staging_dir(&sb))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(".env.pilothouse-2")
                })
                .count()
        })
        .unwrap_or(0);
    assert!(backups >= 1, "no timestamped backup of the env file");
    // Group by group in the configured order: slicer, then gateway, then web.
    let started = |s: &str| started_at(&format!("acme-staging_{s}_1"));
    assert!(
        started("slicer") < started("gateway") && started("gateway") < started("web"),
        "slicer {} gateway {} web {}",
        started("slicer"),
        started("gateway"),
        started("web")
    );
    let host = host_audit(&sb, "staging");
    assert_eq!(host.len(), host_before + 1);
    let record = host.last().cloned().unwrap_or_default();
    assert_eq!(record["action"], "deploy", "{record}");
    assert_eq!(record["result"], "succeeded", "{record}");
    assert!(
        !lock_dir(&sb, "staging").exists(),
        "the lock was not released"
    );
    // The timeline has the deploy at its start (within 2 s of the confirmation), by its
    // operator, and the tag each service's env line changed to.
    let lines = timeline_json(&sb, "staging");
    let two = 2_000_000_000;
    let at = |l: &serde_json::Value| {
        l["time"]
            .as_str()
            .and_then(pilothouse_core::time::rfc3339_nanos)
            .unwrap_or(0)
    };
    let deployed = lines
        .iter()
        .find(|l| {
            l["kind"] == "action"
                && l["action"] == "deploy"
                && l["subject"].as_str().is_some_and(|s| s.contains("web"))
                && at(l) >= confirmed - two
        })
        .unwrap_or_else(|| panic!("no deploy in the timeline: {lines:?}"));
    assert!(at(deployed) <= confirmed + two, "{deployed}");
    assert_eq!(deployed["operator"], record["operator"], "{deployed}");
    assert_eq!(deployed["source"], "audit", "{deployed}");
    for s in ["slicer", "gateway", "web"] {
        let (tag, _) = timeline_entry(&lines, "tag_change", s, confirmed - two)
            .unwrap_or_else(|| panic!("no tag change of {s}: {lines:?}"));
        assert_eq!(tag["summary"], "tag v1 → v2", "{tag}");
    }

    // Manual rollback to v1, behind the same gate.
    deploy(
        &t,
        "M-r",
        "v1",
        "confirm: roll back gateway, slicer, web on staging",
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(150), "the rollback done", |s| {
        s.contains("done       roll back gateway, slicer, web")
    });
    for s in ["slicer", "gateway", "web"] {
        assert_eq!(
            running_image(&format!("acme-staging_{s}_1")),
            image_id(&format!("127.0.0.1:5000/acme/{s}:v1")),
            "{s} is not back on v1"
        );
    }
    assert_eq!(env_value(&sb, "WEB_IMAGE_TAG"), "v1");

    // That rollback tagged v2 `:rollback`; going back to those images writes the tag
    // that names them (v2) into the env file, not the word `rollback`.
    t.keys(&["M-r"]);
    t.wait_for("the images the last deploy replaced (v2)");
    t.keys(&["Enter"]);
    preview(
        &t,
        "confirm: roll back gateway, slicer, web on staging",
        &["changes"],
    );
    let screen = t.screen();
    assert!(
        screen.contains("web v1 → v2")
            && screen.contains("check that v2 still names the :rollback images"),
        "{screen}"
    );
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(150), "the second rollback done", |s| {
        s.matches("done       roll back gateway, slicer, web")
            .count()
            == 2
            || s.contains("FAILED")
    });
    for s in ["slicer", "gateway", "web"] {
        assert_eq!(
            running_image(&format!("acme-staging_{s}_1")),
            image_id(&format!("127.0.0.1:5000/acme/{s}:v2")),
            "{s} is not on the :rollback images (v2)"
        );
        let var = format!("{}_IMAGE_TAG", s.to_uppercase());
        assert_eq!(env_value(&sb, &var), "v2", "{var} in the env file");
    }
}

#[test]
fn cancelling_a_deploy_after_it_changed_the_host_rolls_it_back() {
    let sb = sandbox();
    let _env = hold();
    let _back = on_v1(&sb, &["web"]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = action_console(&sb, "deploy-cancel", dir.path(), "");
    select(&t, "web");
    deploy(&t, "M-d", "v2", "confirm: deploy web on staging");
    t.keys(&["y"]);
    // The env file is written and web recreated on v2 by the time the gate runs.
    t.wait_until(Duration::from_secs(60), "the health gate running", |s| {
        s.contains(": wait until web are healthy") || s.contains("done       deploy web")
    });
    t.keys(&["C"]);
    let screen = t.wait_until(Duration::from_secs(150), "the deploy ended", |s| {
        [
            "ROLLED BACK deploy web",
            "done       deploy web",
            "cancelled  deploy web",
            "FAILED",
        ]
        .iter()
        .any(|x| s.contains(x))
    });
    assert!(screen.contains("ROLLED BACK deploy web"), "{screen}");
    assert!(
        screen.contains("cancelled by the operator before step"),
        "the reason: {screen}"
    );
    assert_eq!(
        running_image("acme-staging_web_1"),
        image_id("127.0.0.1:5000/acme/web:v1"),
        "web is not back on v1"
    );
    assert_eq!(env_value(&sb, "WEB_IMAGE_TAG"), "v1", "the tag restored");
    let record = local_audit(dir.path()).last().cloned().unwrap_or_default();
    assert_eq!(record["result"], "rolled_back", "{record}");
    assert!(
        !lock_dir(&sb, "staging").exists(),
        "the lock was not released"
    );
}

#[test]
fn a_broken_tag_fails_the_health_gate_and_is_rolled_back_automatically() {
    let sb = sandbox();
    let _env = hold();
    let _back = on_v1(&sb, &["web"]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A loopback webhook that records what it is told.
    let hook = Webhook::start();
    let config = edited_config(&sb, dir.path(), |text| {
        text.replace(
            "[environments.staging.deploy]\n",
            &format!(
                "[environments.staging.deploy]\nwebhook = \"http://127.0.0.1:{}/hooks/s3cr3t-token\"\n",
                hook.port
            ),
        )
    });
    let t = action_console_on(&config, "deploy-broken", dir.path(), "");
    select(&t, "web");
    deploy(&t, "M-d", "v2", "confirm: deploy web on staging");
    t.keys(&["y"]);
    t.wait_until(Duration::from_secs(120), "v2 deployed", |s| {
        s.contains("done       deploy web")
    });
    let v2 = image_id("127.0.0.1:5000/acme/web:v2");
    deploy(&t, "M-d", "broken", "confirm: deploy web on staging");
    t.keys(&["y"]);
    let screen = t.wait_until(Duration::from_secs(150), "rolled back", |s| {
        s.contains("ROLLED BACK deploy web") || s.contains("FAILED")
    });
    assert!(screen.contains("ROLLED BACK deploy web"), "{screen}");
    assert!(
        screen.contains("failed the health gate: web: unhealthy"),
        "the reason: {screen}"
    );
    assert!(
        screen.contains("503 Service Unavailable"),
        "the health output: {screen}"
    );
    assert!(
        screen.contains("web: healthy"),
        "the rollback's own gate: {screen}"
    );
    assert_eq!(running_image("acme-staging_web_1"), v2, "v2 runs again");
    let health = ok_stdout(Command::new("docker").args([
        "inspect",
        "-f",
        "{{.State.Health.Status}}",
        "acme-staging_web_1",
    ]));
    assert_eq!(health.trim(), "healthy");
    assert_eq!(env_value(&sb, "WEB_IMAGE_TAG"), "v2", "the tag restored");
    let record = local_audit(dir.path()).last().cloned().unwrap_or_default();
    assert_eq!(record["result"], "rolled_back", "{record}");
    // The webhook was told of both, the second with its reason and its tags.
    let told = hook.bodies();
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(told[0]["result"], "succeeded", "{}", told[0]);
    assert_eq!(told[1]["result"], "rolled_back", "{}", told[1]);
    assert_eq!(told[1]["changes"][0]["to"], "broken", "{}", told[1]);
    // One line a chat webhook (Slack's `text`) shows as it is.
    assert!(
        told[1]["text"]
            .as_str()
            .is_some_and(|t| t
                .starts_with("pilothouse: staging: deploy web rolled_back (web v2 → broken) by ")),
        "{}",
        told[1]
    );
    assert!(
        told[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("health gate")),
        "{}",
        told[1]
    );
    let screen = t.wait_for("webhook told (HTTP 200)");
    assert!(
        !screen.contains("s3cr3t-token"),
        "the webhook's URL is never shown"
    );
}

/// A loopback HTTP listener that answers 200 and keeps each request's JSON body.
struct Webhook {
    port: u16,
    bodies: std::sync::Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Webhook {
    fn start() -> Webhook {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let bodies = std::sync::Arc::new(Mutex::new(Vec::new()));
        let keep = bodies.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut raw = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then Content-Length bytes of body.
                let body = loop {
                    let Ok(n) = conn.read(&mut buf) else {
                        break None;
                    };
                    if n == 0 {
                        break None;
                    }
                    raw.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&raw).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if raw.len() >= end + 4 + len {
                            break Some(raw[end + 4..end + 4 + len].to_vec());
                        }
                    }
                };
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                if let Some(b) = body
                    && let Ok(v) = serde_json::from_slice(&b)
                    && let Ok(mut all) = keep.lock()
                {
                    all.push(v);
                }
            }
        });
        Webhook { port, bodies }
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

#[test]
fn production_needs_its_name_and_an_invalid_tag_is_refused_before_anything_runs() {
    let sb = sandbox();
    let _env = hold();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = action_console(&sb, "deploy-prod", dir.path(), "");
    t.keys(&["Tab"]);
    t.wait_until(Duration::from_secs(15), "production connected", |s| {
        s.contains("PRODUCTION") && s.contains("· connected")
    });
    select(&t, "web");
    let before = running_image("acme-production_web_1");
    // Not a tag: refused in the picker, nothing planned.
    t.keys(&["M-d"]);
    t.wait_for(": pick a tag");
    t.keys(&["-", "v", "2", "Enter"]);
    t.wait_for("is not an image tag");
    t.keys(&["Escape"]);
    // The picker closed before the next alt key: an escape and an alt key's escape
    // read together (ESC ESC d) would be one alt key, and the escape lost.
    t.wait_until(Duration::from_secs(5), "the picker closed", |s| {
        !s.contains(": pick a tag")
    });
    // A real one on production: its name must be typed; a wrong one runs nothing.
    deploy(&t, "M-d", "v2", "confirm: deploy web on production");
    t.wait_for("type production and press enter");
    t.keys(&["y", "Enter"]);
    t.wait_for("the name typed does not match");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(running_image("acme-production_web_1"), before, "it ran");
    assert_eq!(
        std::fs::read_to_string(sb.state.join("opt/production/.env"))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("WEB_IMAGE_TAG="))
            .unwrap_or_default(),
        "WEB_IMAGE_TAG=v1"
    );
}

#[test]
fn killing_the_connection_mid_deploy_ends_unknown_with_the_lock_kept_and_shown() {
    let sb = sandbox();
    let _env = hold();
    let _back = on_v1(&sb, &["web"]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = action_console(&sb, "deploy-unknown", dir.path(), "");
    select(&t, "web");
    deploy(&t, "M-d", "v2", "confirm: deploy web on staging");
    t.keys(&["y"]);
    // In the health gate: the new container is starting.
    t.wait_until(Duration::from_secs(60), "the gate watching", |s| {
        s.contains("step 5/7")
    });
    run(Command::new("pkill")
        .arg("-KILL")
        .arg("-f")
        .arg(format!("ssh .*{}", dir.path().display())));
    let screen = t.wait_until(Duration::from_secs(30), "the item unknown", |s| {
        s.contains("UNKNOWN")
    });
    assert!(screen.contains("outcome unknown"), "{screen}");
    assert!(
        !screen.contains("ROLLED BACK"),
        "no rollback on an unknown: {screen}"
    );
    let record = local_audit(dir.path()).last().cloned().unwrap_or_default();
    assert_eq!(record["result"], "unknown");
    let lock = lock_dir(&sb, "staging");
    let owner = std::fs::read_to_string(lock.join("owner.json")).unwrap_or_default();
    assert!(owner.contains("deploy web"), "{owner}");
    t.wait_until(Duration::from_secs(40), "the lock's owner shown", |s| {
        s.contains("· connected") && s.contains("LOCKED by") && s.contains("(deploy web)")
    });
}

#[test]
fn a_failing_pre_deploy_hook_stops_the_deploy_with_the_host_unchanged() {
    let sb = sandbox();
    let _env = hold();
    let _back = on_v1(&sb, &["web"]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let seen = dir.path().join("hook-saw");
    // The hook records the facts it was given, then refuses.
    let config = edited_config(&sb, dir.path(), |text| {
        text.replace(
            "[environments.staging.deploy]\n",
            &format!(
                "[environments.staging.deploy]\npre_deploy = 'echo \"$PILOTHOUSE_ENV $PILOTHOUSE_ACTION $PILOTHOUSE_SERVICES $PILOTHOUSE_OLD_TAGS $PILOTHOUSE_NEW_TAG\" > {}; echo \"backup is 30h old\" >&2; exit 3'\npost_deploy = 'touch {}.post'\n",
                seen.display(),
                seen.display()
            ),
        )
    });
    let env_before = std::fs::read_to_string(staging_dir(&sb).join(".env")).unwrap_or_default();
    let image_before = running_image("acme-staging_web_1");
    let t = action_console_on(&config, "deploy-hook", dir.path(), "");
    select(&t, "web");
    deploy(&t, "M-d", "v2", "confirm: deploy web on staging");
    // Both hooks are steps of the preview: the first and the last.
    let screen = t.screen();
    assert!(
        screen.contains("pre_deploy hook") && screen.contains("PILOTHOUSE_NEW_TAG='v2'"),
        "{screen}"
    );
    t.keys(&["y"]);
    let screen = t.wait_until(
        Duration::from_secs(60),
        "the deploy failed at the hook",
        |s| s.contains("FAILED") && s.contains("deploy web"),
    );
    assert!(
        screen.contains("backup is 30h old") || screen.contains("exit 3"),
        "{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap_or_default().trim(),
        "staging deploy web web=v1 v2",
        "the hook's variables"
    );
    // Nothing changed: the env file, the container, no rollback, no post hook.
    assert_eq!(
        std::fs::read_to_string(staging_dir(&sb).join(".env")).unwrap_or_default(),
        env_before
    );
    assert_eq!(running_image("acme-staging_web_1"), image_before);
    assert!(!screen.contains("rolled back"), "{screen}");
    assert!(
        !dir.path().join("hook-saw.post").exists(),
        "the post hook ran"
    );
    let local = local_audit(dir.path());
    let record = local.last().cloned().unwrap_or_default();
    assert_eq!(record["result"], "failed", "{local:?}");
}

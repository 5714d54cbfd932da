//! Swarm actions through the queue, on the sandbox's real two-node swarm, with the
//! real binary in tmux: a deploy through the engine's rolling update (and its
//! rollback when the image is broken), a rollback to the previous spec, scale, forced
//! restart, drain and activate, a protected environment, a held lock and a connection
//! lost mid-update. Each result is checked with the docker CLI on the manager.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::process::Command;
use std::sync::MutexGuard;
use std::time::Duration;

use crate::support::swarm::*;
use crate::support::*;

const APP: &str = "127.0.0.1:5000/acme/app";

/// Back to the app on v1 at 2 replicas and both nodes active, however a test ended.
const BACK_TO_THE_STACK: &str = "$D node ls -q | xargs $D node update --availability active >/dev/null; \
     $D service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}} {{.Spec.Mode.Replicated.Replicas}}' acme_app | grep -q '^127.0.0.1:5000/acme/app:v1 2$' \
     || $D service update --detach --image 127.0.0.1:5000/acme/app:v1 --replicas 2 acme_app >/dev/null;";

/// The images of the app's running tasks, as `docker service ps` says, sorted.
fn running_images(sb: &Sandbox) -> Vec<String> {
    let ps = on_manager(
        sb,
        "service ps acme_app --filter desired-state=running --format '{{.Image}} {{.CurrentState}}'",
    );
    let mut v: Vec<String> = ps
        .lines()
        .map(|l| {
            let mut w = l.split_whitespace();
            format!("{} {}", w.next().unwrap_or(""), w.next().unwrap_or(""))
        })
        .collect();
    v.sort();
    v
}

/// For each running task of the app: the image ID its container runs, read from the
/// engine of the node it runs on, against the ID that node has for `tag`.
fn task_images_are(sb: &Sandbox, tag: &str) -> Result<(), String> {
    let ids = on_manager(
        sb,
        "service ps -q --no-trunc --filter desired-state=running acme_app",
    );
    if ids.lines().count() == 0 {
        return Err("no running task".into());
    }
    for id in ids.lines() {
        let info = on_manager(
            sb,
            &format!(
                "inspect --format '{{{{.NodeID}}}} {{{{.Status.ContainerStatus.ContainerID}}}}' {}",
                id.trim()
            ),
        );
        let mut w = info.split_whitespace();
        let (node, container) = (w.next().unwrap_or(""), w.next().unwrap_or(""));
        let host = on_manager(
            sb,
            &format!("node inspect --format '{{{{.Description.Hostname}}}}' {node}"),
        );
        let sock = if host.trim() == "swarm-worker-1" {
            "worker.sock"
        } else {
            "manager.sock"
        };
        let on_node = |args: &[&str]| {
            ok_stdout(
                Command::new("docker")
                    .arg("-H")
                    .arg(format!(
                        "unix://{}",
                        sb.state.join("swarm").join(sock).display()
                    ))
                    .args(args),
            )
            .trim()
            .to_string()
        };
        let runs = on_node(&["inspect", "--format", "{{.Image}}", container]);
        let want = on_node(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            &format!("{APP}:{tag}"),
        ]);
        if runs != want {
            return Err(format!(
                "task {id} on {} runs {runs}, {tag} is {want}",
                host.trim()
            ));
        }
    }
    Ok(())
}

/// The host lock of the swarm environment, in its stack file's directory.
fn lock_of(sb: &Sandbox) -> std::path::PathBuf {
    sb.state.join("swarm/opt/acme/.pilothouse/lock")
}

/// A test's hold on the swarm: its turn, the stack put back and no lock left when it
/// ends, however it ends; the stack converged when it begins.
struct Scene<'a> {
    _unlock: Unlock,
    _restore: Restore<'a>,
    _turn: MutexGuard<'static, ()>,
}

impl<'a> Scene<'a> {
    fn set(sb: &'a Sandbox) -> Scene<'a> {
        let turn = turn();
        let restore = Restore {
            sb,
            command: BACK_TO_THE_STACK.into(),
        };
        // A lock an interrupted run left behind is not this test's business.
        let _ = std::fs::remove_dir_all(lock_of(sb));
        let unlock = Unlock(lock_of(sb));
        converged(sb);
        Scene {
            _unlock: unlock,
            _restore: restore,
            _turn: turn,
        }
    }
}

/// The manager's audit records of how items ended (each item's `started` record, written
/// ahead of it, left out).
fn swarm_audit(sb: &Sandbox) -> Vec<serde_json::Value> {
    std::fs::read_to_string(sb.state.join("swarm/opt/acme/.pilothouse/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["result"] != "started")
        .collect()
}

/// The picker: `key`, then `typed` and enter, then the preview titled `title`.
fn pick(t: &Tmux, key: &str, typed: &str, title: &str, parts: &[&str]) {
    t.keys(&[key]);
    t.wait_until(Duration::from_secs(10), "the picker", |s| {
        s.contains(": pick a tag") || s.contains(" scale on ")
    });
    let mut keys: Vec<&str> = typed.split("").filter(|k| !k.is_empty()).collect();
    keys.push("Enter");
    t.keys(&keys);
    preview(t, title, parts);
}

/// Waits for queue item `n` to end; its line in the queue pane (`#2   done       deploy
/// acme_app …`).
fn ended(t: &Tmux, n: u32, limit: Duration) -> String {
    let item = format!("#{n} ");
    let line = |s: &str| -> Option<String> {
        s.lines()
            .find(|l| l.trim_start_matches('│').starts_with(&item))
            .map(str::to_string)
    };
    let screen = t.wait_until(limit, &format!("item {n} ended"), |s| {
        line(s).is_some_and(|l| {
            ["done ", "ROLLED BACK", "FAILED", "UNKNOWN", "cancelled"]
                .iter()
                .any(|end| l.contains(end))
        })
    });
    line(&screen).unwrap_or(screen)
}

#[test]
fn deploying_broken_rolls_back_v2_lands_on_every_task_and_rollback_returns_to_v1() {
    let sb = sandbox();
    let _scene = Scene::set(&sb);
    assert_eq!(running_images(&sb).len(), 2);
    task_images_are(&sb, "v1").unwrap();
    let audited = swarm_audit(&sb).len();
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-deploy", dir.path());
    // The engine's rolling update is the gate; a broken image fails it and the engine
    // (failure_action: rollback) puts v1 back.
    pick(
        &t,
        "M-d",
        "broken",
        "confirm: deploy acme_app on swarm",
        &["service update --detach --with-registry-auth", "app:broken"],
    );
    t.keys(&["y"]);
    // The update's own pace: a task at a time, each watched 15 s.
    let screen = ended(&t, 1, Duration::from_secs(200));
    assert!(screen.contains("ROLLED BACK deploy acme_app"), "{screen}");
    // The queue pane (open since the confirmation) says why, in the engine's words.
    let screen = t.wait_for("rolled the update back");
    assert!(!screen.contains("done       deploy"), "{screen}");
    eventually(Duration::from_secs(10), "v1 on both tasks", || {
        let got = running_images(&sb);
        (got == [format!("{APP}:v1 Running"), format!("{APP}:v1 Running")])
            .then_some(())
            .ok_or(format!("{got:?}"))
    });
    task_images_are(&sb, "v1").unwrap();

    pick(
        &t,
        "M-d",
        "v2",
        "confirm: deploy acme_app on swarm",
        &["app:v1 → 127.0.0.1:5000/acme/app:v2"],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 2, Duration::from_secs(200));
    assert!(screen.contains("done       deploy acme_app"), "{screen}");
    assert_eq!(
        running_images(&sb),
        [format!("{APP}:v2 Running"), format!("{APP}:v2 Running")]
    );
    task_images_are(&sb, "v2").unwrap();
    let audit = swarm_audit(&sb);
    let results: Vec<&str> = audit[audited..]
        .iter()
        .map(|r| r["result"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(results, ["rolled_back", "succeeded"], "{audit:?}");
    assert!(
        audit.last().unwrap()["commands"]
            .to_string()
            .contains("--image '127.0.0.1:5000/acme/app:v2' 'acme_app'"),
        "{:?}",
        audit.last()
    );

    // Back to the previous spec, behind the same gate.
    pick(
        &t,
        "M-r",
        "",
        "confirm: roll back acme_app on swarm",
        &["service rollback --detach 'acme_app'"],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 3, Duration::from_secs(200));
    assert!(screen.contains("done       roll back acme_app"), "{screen}");
    assert_eq!(
        running_images(&sb),
        [format!("{APP}:v1 Running"), format!("{APP}:v1 Running")]
    );
    task_images_are(&sb, "v1").unwrap();
    // status --json: the newest action from the manager's audit trail, no lock held.
    let (_, json) = status(&sb.config, &["--env", "swarm", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["last_action"]["action"], "roll back", "{json}");
    assert_eq!(v[0]["last_action"]["result"], "succeeded", "{json}");
    assert!(v[0].get("lock").is_none(), "{json}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn scale_restart_drain_and_activate_each_end_as_the_preview_said() {
    let sb = sandbox();
    let _scene = Scene::set(&sb);
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-scale-act", dir.path());
    pick(
        &t,
        "S",
        "3",
        "confirm: scale acme_app on swarm",
        &[
            "acme_app 2 replicas → 3 replicas",
            "service scale --detach 'acme_app=3'",
        ],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 1, Duration::from_secs(90));
    assert!(screen.contains("done       scale acme_app"), "{screen}");
    assert!(replicas_cli(&sb).contains(&"acme_app 3/3".to_string()));
    pick(
        &t,
        "S",
        "2",
        "confirm: scale acme_app on swarm",
        &["acme_app 3 replicas → 2 replicas"],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 2, Duration::from_secs(60));
    assert!(screen.contains("done       scale acme_app"), "{screen}");
    assert!(replicas_cli(&sb).contains(&"acme_app 2/2".to_string()));

    // Restart: every task replaced, one at a time.
    let before = on_manager(&sb, "service ps -q --filter desired-state=running acme_app");
    t.keys(&["R"]);
    preview(
        &t,
        "confirm: restart acme_app on swarm",
        &["service update --detach --force 'acme_app'"],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 3, Duration::from_secs(200));
    assert!(screen.contains("done       restart acme_app"), "{screen}");
    let after = on_manager(&sb, "service ps -q --filter desired-state=running acme_app");
    assert_eq!(after.lines().count(), 2, "{after}");
    for id in after.lines() {
        assert!(!before.contains(id), "task {id} was not replaced");
    }

    // Drain the worker: the preview lists what moves; it ends with nothing on it.
    t.keys(&["n"]);
    t.wait_until(Duration::from_secs(5), "the nodes view", |s| {
        s.contains("swarm-worker-1") && s.contains("AVAILABILITY")
    });
    t.keys(&["Down", "M-x"]);
    preview(
        &t,
        "confirm: drain node swarm-worker-1 on swarm",
        &[
            "node update --availability drain",
            "on swarm-worker-1 → moves",
        ],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 4, Duration::from_secs(120));
    assert!(screen.contains("done       drain node"), "{screen}");
    let nodes = on_manager(&sb, "node ls --format '{{.Hostname}} {{.Availability}}'");
    assert!(nodes.contains("swarm-worker-1 Drain"), "{nodes}");
    let on_worker = on_manager(
        &sb,
        "node ps swarm-worker-1 --filter desired-state=running -q",
    );
    assert_eq!(on_worker.trim(), "", "tasks left on the drained worker");
    assert_eq!(
        replicas_cli(&sb),
        ["acme_app 2/2", "acme_redis 1/1", "acme_worker 1/1"]
    );
    t.keys(&["M-u"]);
    preview(
        &t,
        "confirm: activate node swarm-worker-1 on swarm",
        &["node update --availability active"],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 5, Duration::from_secs(60));
    assert!(screen.contains("done       activate node"), "{screen}");
    let nodes = on_manager(&sb, "node ls --format '{{.Hostname}} {{.Availability}}'");
    assert!(nodes.contains("swarm-worker-1 Active"), "{nodes}");
    // Pause: nothing new is scheduled there, nothing moves; then active again.
    let before = on_manager(
        &sb,
        "node ps swarm-worker-1 --filter desired-state=running -q",
    );
    t.keys(&["M-p"]);
    preview(
        &t,
        "confirm: pause node swarm-worker-1 on swarm",
        &["node update --availability pause"],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 6, Duration::from_secs(60));
    assert!(screen.contains("done       pause node"), "{screen}");
    let nodes = on_manager(&sb, "node ls --format '{{.Hostname}} {{.Availability}}'");
    assert!(nodes.contains("swarm-worker-1 Pause"), "{nodes}");
    let after = on_manager(
        &sb,
        "node ps swarm-worker-1 --filter desired-state=running -q",
    );
    assert_eq!(before, after, "a pause moved tasks");
    t.keys(&["M-u"]);
    preview(
        &t,
        "confirm: activate node swarm-worker-1 on swarm",
        &["node update --availability active"],
    );
    t.keys(&["y"]);
    let screen = ended(&t, 7, Duration::from_secs(60));
    assert!(screen.contains("done       activate node"), "{screen}");
    let nodes = on_manager(&sb, "node ls --format '{{.Hostname}} {{.Availability}}'");
    assert!(nodes.contains("swarm-worker-1 Active"), "{nodes}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn protected_swarm_needs_its_name_a_held_lock_refuses_and_a_lost_connection_ends_unknown() {
    let sb = sandbox();
    let _scene = Scene::set(&sb);
    let dir = tempfile::tempdir().unwrap();
    let config = edited_config(&sb, dir.path(), |c| {
        c.replace(
            "[environments.swarm]\nengine = \"swarm\"\n",
            "[environments.swarm]\nengine = \"swarm\"\nprotected = true\n",
        )
    });
    let t = swarm_console_on(&config, "swarm-protected", dir.path());
    pick(
        &t,
        "S",
        "2",
        "confirm: scale acme_app on swarm",
        &["type swarm and press enter"],
    );
    // y alone confirms nothing on a protected environment: it is only typed.
    t.keys(&["y"]);
    t.wait_for("press enter to confirm, esc to cancel: y▏");
    t.keys(&["BSpace", "s", "w", "a", "r", "m", "Enter"]);
    let screen = ended(&t, 1, Duration::from_secs(60));
    assert!(screen.contains("done       scale acme_app"), "{screen}");

    // Someone else holds the lock on the manager: refused, nothing runs.
    let lock = lock_of(&sb);
    std::fs::create_dir_all(&lock).unwrap();
    std::fs::write(
        lock.join("owner.json"),
        r#"{"operator":"ana@laptop","action":"drain node x","pid":4242,"console":"4242-1","since":1795300000}"#,
    )
    .unwrap();
    let unlock = Unlock(lock.clone());
    // A restart is `service update --force`: it counts up the spec's ForceUpdate and
    // stamps UpdatedAt. (The running tasks are no measure: the engine replaces a task
    // whose health check misses, and on a loaded machine one can.)
    let spec = "service inspect -f '{{.Spec.TaskTemplate.ForceUpdate}} {{.UpdatedAt}}' acme_app";
    let before = on_manager(&sb, spec);
    // Read with the host's resources, so it shows before an action runs into it.
    t.wait_until(Duration::from_secs(20), "the lock in the header", |s| {
        s.contains("LOCKED by ana@laptop (drain node x)")
    });
    t.keys(&["R"]);
    preview(
        &t,
        "confirm: restart acme_app on swarm",
        &["held by ana@laptop"],
    );
    t.keys(&["s", "w", "a", "r", "m", "Enter"]);
    t.wait_for("confirm once more");
    t.keys(&["s", "w", "a", "r", "m", "Enter"]);
    let screen = t.wait_until(Duration::from_secs(15), "refused", |s| {
        s.contains("FAILED") && s.contains("host LOCKED by ana@laptop")
    });
    assert!(screen.contains("drain node x"), "{screen}");
    let after = on_manager(&sb, spec);
    assert_eq!(before, after, "it ran despite the lock");
    drop(unlock);
    t.wait_until(
        Duration::from_secs(20),
        "the lock gone from the header",
        |s| !s.contains("LOCKED by"),
    );

    // The connection goes while the engine is updating: the outcome is unknown and
    // the lock stays with its owner.
    t.keys(&["R"]);
    preview(
        &t,
        "confirm: restart acme_app on swarm",
        &["update --detach --force"],
    );
    t.keys(&["s", "w", "a", "r", "m", "Enter"]);
    t.wait_until(Duration::from_secs(30), "the gate waiting", |s| {
        s.contains("step 2/2") && s.contains("update updating")
    });
    run(Command::new("pkill")
        .arg("-KILL")
        .arg("-f")
        .arg(format!("ssh .*{}", dir.path().display())));
    let screen = t.wait_until(Duration::from_secs(30), "the item unknown", |s| {
        s.contains("UNKNOWN")
    });
    assert!(screen.contains("outcome unknown"), "{screen}");
    let owner = std::fs::read_to_string(lock.join("owner.json")).unwrap_or_default();
    assert!(owner.contains("restart acme_app"), "the lock: {owner}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    drop(Unlock(lock));
    converged(&sb);
}

/// Puts the stack file back as the sandbox wrote it and deploys it again, however the
/// test ended.
struct PutBack<'a> {
    sb: &'a Sandbox,
    path: std::path::PathBuf,
    text: String,
}

impl Drop for PutBack<'_> {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.text);
        let sock = self.sb.state.join("swarm/manager.sock");
        let dir = self.path.parent().unwrap_or(&self.path);
        let _ = on_host(&format!(
            "cd {} && docker -H unix://{} stack deploy --resolve-image never -c docker-stack.yml acme >/dev/null",
            dir.display(),
            sock.display()
        ));
    }
}

#[test]
fn a_stack_deploy_previews_the_file_s_changes_and_ends_with_them_running() {
    let sb = sandbox();
    let _scene = Scene::set(&sb);
    let path = sb.state.join("swarm/opt/acme/docker-stack.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let _put_back = PutBack {
        sb: &sb,
        path: path.clone(),
        text: text.clone(),
    };
    // The team edits the file: the worker's default tag to v2, the app to 3 replicas.
    let edited = text
        .replace(
            "acme/worker:${WORKER_TAG:-v1}",
            "acme/worker:${WORKER_TAG:-v2}",
        )
        .replace("      replicas: 2\n", "      replicas: 3\n");
    assert_ne!(edited, text);
    std::fs::write(&path, edited).unwrap();
    let audited = swarm_audit(&sb).len();
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-stack", dir.path());
    t.keys(&["M-s"]);
    preview(
        &t,
        "confirm: stack deploy acme on swarm",
        &[
            "acme_app 2 replicas → 3 replicas",
            "stack deploy -c",
            "--resolve-image never 'acme'",
        ],
    );
    // Nothing changed before the confirmation.
    assert!(replicas_cli(&sb).contains(&"acme_app 2/2".to_string()));
    t.keys(&["y"]);
    let line = ended(&t, 1, Duration::from_secs(120));
    assert!(line.contains("done       stack deploy acme"), "{line}");
    let got = replicas_cli(&sb);
    assert_eq!(got, ["acme_app 3/3", "acme_redis 1/1", "acme_worker 1/1"]);
    let ps = on_manager(
        &sb,
        "service ps acme_worker --filter desired-state=running --format '{{.Image}} {{.CurrentState}}'",
    );
    assert!(
        ps.lines().count() == 1 && ps.starts_with("127.0.0.1:5000/acme/worker:v2 Running"),
        "{ps}"
    );
    let audit = swarm_audit(&sb);
    let last = audit.last().unwrap();
    assert_eq!(audit.len(), audited + 1);
    assert_eq!(last["action"], "stack deploy", "{last}");
    assert_eq!(last["result"], "succeeded", "{last}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

//! The sandbox's two-node Docker Swarm (tests/sandbox/swarm.sh), checked with the docker
//! CLI the way an operator would, over the sandbox's sshd: the nodes, the stack, its
//! tasks spread over both nodes, the secrets and the teardown's promises.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::swarm::*;
use crate::support::*;

/// The logs of the app's running tasks, task by task: `docker service logs SERVICE`
/// waits forever once the service has a task that never got a container (a rejected
/// one, as another test here makes), so the service as a whole is never asked.
fn running_task_logs(sb: &Sandbox, flags: &str) -> String {
    let ids = on_manager(
        sb,
        "service ps -q --no-trunc --filter desired-state=running acme_app",
    );
    ids.lines()
        .map(|id| on_manager(sb, &format!("service logs {flags} {} 2>&1", id.trim())))
        .collect()
}

#[test]
fn the_swarm_has_a_leader_and_a_worker_each_with_its_own_hostname() {
    let sb = sandbox();
    let _turn = turn();
    let nodes = on_manager(
        &sb,
        "node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'",
    );
    let mut lines: Vec<&str> = nodes.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "swarm-manager-1 Ready Active Leader",
            "swarm-worker-1 Ready Active "
        ],
        "{nodes}"
    );
}

#[test]
fn the_stack_runs_every_service_at_its_replicas_with_the_app_on_both_nodes() {
    let sb = sandbox();
    let _turn = turn();
    // First reading: the sandbox may have just deployed it.
    eventually(Duration::from_secs(60), "the stack converged", || {
        let ls = on_manager(
            &sb,
            "service ls --filter label=com.docker.stack.namespace=acme --format '{{.Name}} {{.Replicas}}'",
        );
        let mut got: Vec<&str> = ls.lines().collect();
        got.sort_unstable();
        (got == ["acme_app 2/2", "acme_redis 1/1", "acme_worker 1/1"])
            .then_some(())
            .ok_or(ls.clone())
    });
    let tasks = on_manager(
        &sb,
        "service ps acme_app --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
    );
    let mut nodes: Vec<&str> = tasks
        .lines()
        .filter(|l| l.contains("Running"))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    nodes.sort_unstable();
    assert_eq!(nodes, ["swarm-manager-1", "swarm-worker-1"], "{tasks}");
    // The stack file is where the manager's host keeps it, with the update policy a
    // real one has.
    let file = std::fs::read_to_string(sb.state.join("swarm/opt/acme/docker-stack.yml")).unwrap();
    for needle in [
        "failure_action: rollback",
        "order: start-first",
        "replicas: 2",
    ] {
        assert!(file.contains(needle), "{needle} not in the stack file");
    }
    let update = on_manager(
        &sb,
        "service inspect acme_app --format '{{.Spec.UpdateConfig.FailureAction}} {{.Spec.UpdateConfig.Order}} {{.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}'",
    );
    assert!(update.starts_with("rollback start-first"), "{update}");
}

#[test]
fn the_app_reads_its_secrets_and_no_value_is_ever_logged() {
    let sb = sandbox();
    let _turn = turn();
    let names = on_manager(&sb, "secret ls --format '{{.Name}}'");
    let mut names: Vec<&str> = names.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["api_token", "db_password"]);
    eventually(
        Duration::from_secs(30),
        "both tasks read the secrets",
        || {
            let logs = running_task_logs(&sb, "--raw");
            let read = logs
                .lines()
                .filter(|l| l.contains("read 2 secrets from /run/secrets: api_token, db_password"))
                .count();
            (read >= 2)
                .then_some(())
                .ok_or(format!("{read} tasks so far"))
        },
    );
    let logs = running_task_logs(&sb, "");
    for name in ["db_password", "api_token"] {
        let value =
            std::fs::read_to_string(sb.state.join(format!("secrets/swarm-{name}"))).unwrap();
        assert!(value.len() >= 16, "the secret {name} is a real one");
        assert!(
            !logs.contains(value.trim()),
            "{name}'s value is in the app's logs"
        );
    }
}

/// The console's read of the manager (on the manager's socket) agrees with what
/// `docker service ls`, `docker service ps` and `docker node ls` say over sshd.
#[test]
fn the_swarm_read_agrees_with_the_docker_cli() {
    let sb = sandbox();
    let _turn = turn();
    // Two reads a moment apart agree only on a settled swarm (not mid-update).
    converged(&sb);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sock = sb.state.join("swarm/manager.sock");
    let state = rt.block_on(async {
        let docker = bollard::Docker::connect_with_unix(
            &sock.display().to_string(),
            30,
            bollard::API_DEFAULT_VERSION,
        )
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
        pilothouse_backend::read_swarm(&docker, &["acme".to_string()])
            .await
            .unwrap()
    });
    let cli = on_manager(
        &sb,
        "service ls --filter label=com.docker.stack.namespace=acme --format '{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}}'",
    );
    let mut cli: Vec<String> = cli.lines().map(str::to_string).collect();
    cli.sort();
    let ours: Vec<String> = state
        .services
        .iter()
        .map(|s| {
            format!(
                "{} {} {}/{} {}",
                s.name, s.mode, s.running, s.desired, s.image
            )
        })
        .collect();
    assert_eq!(ours, cli);
    assert!(
        state
            .services
            .iter()
            .all(|s| s.stack == "acme" && s.running == s.desired)
    );
    let nodes = on_manager(
        &sb,
        "node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'",
    );
    let mut nodes: Vec<String> = nodes
        .lines()
        .map(|l| l.to_lowercase().trim().to_string())
        .collect();
    nodes.sort();
    let ours: Vec<String> = state
        .nodes
        .iter()
        .map(|n| {
            format!(
                "{} {} {} {}",
                n.hostname, n.status, n.availability, n.manager_status
            )
            .trim()
            .to_string()
        })
        .collect();
    assert_eq!(ours, nodes);
    // Every running task, as `docker service ps` counts them, on the node it names.
    let ps = on_manager(
        &sb,
        "service ps acme_app acme_worker acme_redis --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
    );
    let running_cli = ps.lines().filter(|l| l.contains("Running")).count();
    let running_ours = state
        .tasks
        .iter()
        .filter(|t| t.desired_state == "running" && t.state == "running")
        .count();
    assert_eq!(running_ours, running_cli, "{ps}");
    let hosts: std::collections::HashSet<&str> = state
        .tasks
        .iter()
        .filter(|t| t.state == "running")
        .filter_map(|t| state.nodes.iter().find(|n| n.id == t.node_id))
        .map(|n| n.hostname.as_str())
        .collect();
    assert_eq!(hosts.len(), 2, "tasks run on both nodes");
}

/// The replicas cell of `service`'s row on screen (`2/2`), if the row is there.
fn replicas_on_screen(screen: &str, service: &str) -> Option<String> {
    let row = row_of(screen, service)?;
    row.split_whitespace()
        .find(|w| w.contains('/') && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
}

#[test]
fn the_console_shows_services_tasks_nodes_and_secret_names_as_the_manager_does() {
    let sb = sandbox();
    let _turn = turn();
    converged(&sb);
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-views", dir.path());
    // The selected service's tasks: one per slot, on the nodes `service ps` names (the
    // stack converged, and this test holds the swarm's turn: they stay as read).
    let ps = on_manager(
        &sb,
        "service ps acme_app --filter desired-state=running --format '{{.Name}} {{.Node}}'",
    );
    let tasks: Vec<(String, String)> = ps
        .lines()
        .map(|line| {
            let (name, node) = line.split_once(' ').unwrap();
            (
                name.rsplit('.').next().unwrap().to_string(),
                node.to_string(),
            )
        })
        .collect();
    let task_shown = |s: &str, slot: &str, node: &str| {
        s.lines().any(|l| {
            l.contains(node) && l.contains("running") && l.trim_start_matches('│').starts_with(slot)
        })
    };
    // Services: every one with its replicas as `docker service ls` says, and the first
    // one's tasks read.
    let screen = t.wait_until(
        Duration::from_secs(10),
        "every service at 2/2 1/1 1/1, and acme_app's tasks",
        |s| {
            replicas_on_screen(s, "acme_app").as_deref() == Some("2/2")
                && replicas_on_screen(s, "acme_worker").as_deref() == Some("1/1")
                && replicas_on_screen(s, "acme_redis").as_deref() == Some("1/1")
                && tasks.iter().all(|(slot, node)| task_shown(s, slot, node))
        },
    );
    // A service whose last update rolled back is an alert until the next update.
    let rolled_back = rolled_back(&sb, "acme_app acme_worker acme_redis");
    assert!(
        screen.contains(&format!("{}/3 services converged", 3 - rolled_back)),
        "{screen}"
    );
    assert!(screen.contains("2/2 nodes ready"), "{screen}");
    assert!(screen.contains("127.0.0.1:5000/acme/app:v1"), "{screen}");
    assert_eq!(tasks.len(), 2, "{ps}");
    // Nodes.
    t.keys(&["n"]);
    // The nodes view itself: the task list before it names the nodes too.
    let nodes = t.wait_until(Duration::from_secs(10), "the nodes view", |s| {
        s.contains("AVAILABILITY") && s.contains("swarm-worker-1") && s.contains("swarm-manager-1")
    });
    for (host, role, manager) in [
        ("swarm-manager-1", "manager", "leader"),
        ("swarm-worker-1", "worker", ""),
    ] {
        let row = nodes
            .lines()
            .find(|l| l.contains(host))
            .unwrap_or_else(|| panic!("{host} not shown:\n{nodes}"));
        for word in [role, "active", "ready", manager] {
            assert!(row.contains(word), "{host}: {word} missing in {row}");
        }
    }
    // Secrets by name, with the service that uses them; never a value.
    t.keys(&["c"]);
    let secrets = t.wait_for("db_password");
    assert!(secrets.contains("api_token"), "{secrets}");
    let row = secrets.lines().find(|l| l.contains("db_password")).unwrap();
    assert!(row.contains("acme_app"), "{row}");
    let (code, json) = status(&sb.config, &["--env", "swarm", "--json"]);
    // Exit 1 only for an update that rolled back (another test's), else 0.
    assert_eq!(code, Some(i32::from(rolled_back > 0)), "{json}");
    for name in ["db_password", "api_token"] {
        let value =
            std::fs::read_to_string(sb.state.join(format!("secrets/swarm-{name}"))).unwrap();
        for (what, text) in [
            ("screen", &nodes),
            ("secrets", &secrets),
            ("status", &json),
            ("services", &screen),
        ] {
            assert!(!text.contains(value.trim()), "{name}'s value on the {what}");
        }
    }
    // status --json: the same services, replicas, nodes as the CLI.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let report = &v[0];
    assert_eq!(report["engine"], "swarm", "{json}");
    let mut ours: Vec<String> = report["swarm"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}/{}",
                s["name"].as_str().unwrap(),
                s["running"],
                s["desired"]
            )
        })
        .collect();
    ours.sort();
    assert_eq!(ours, replicas_cli(&sb));
    let nodes: Vec<&str> = report["swarm"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["swarm-manager-1", "swarm-worker-1"]);
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn scaling_from_outside_shows_within_two_seconds_of_the_engine_converging() {
    let sb = sandbox();
    let _turn = turn();
    converged(&sb);
    let _restore = Restore {
        sb: &sb,
        command: "$D service scale --detach acme_worker=1".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-scale", dir.path());
    t.wait_until(Duration::from_secs(10), "acme_worker at 1/1", |s| {
        replicas_on_screen(s, "acme_worker").as_deref() == Some("1/1")
    });
    on_manager(&sb, "service scale --detach acme_worker=2");
    // The moment the engine says it converged, then at most 2 s to the screen.
    eventually(
        Duration::from_secs(60),
        "acme_worker 2/2 by the CLI",
        || {
            replicas_cli(&sb)
                .contains(&"acme_worker 2/2".to_string())
                .then_some(())
                .ok_or(format!("{:?}", replicas_cli(&sb)))
        },
    );
    let seen = Instant::now();
    t.wait_until(Duration::from_secs(2), "acme_worker at 2/2", |s| {
        replicas_on_screen(s, "acme_worker").as_deref() == Some("2/2")
    });
    eprintln!(
        "scale shown {} ms after the CLI saw it",
        seen.elapsed().as_millis()
    );
    on_manager(&sb, "service scale --detach acme_worker=1");
    t.wait_until(Duration::from_secs(30), "acme_worker back at 1/1", |s| {
        replicas_on_screen(s, "acme_worker").as_deref() == Some("1/1")
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn an_update_to_an_image_that_does_not_exist_shows_the_rejected_tasks_and_the_error() {
    let sb = sandbox();
    let _turn = turn();
    converged(&sb);
    let _restore = Restore {
        sb: &sb,
        command: "$D service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' acme_app | grep -q nosuchtag && $D service update --detach --image 127.0.0.1:5000/acme/app:v1 acme_app".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-rejected", dir.path());
    on_manager(
        &sb,
        "service update --detach --image 127.0.0.1:5000/acme/app:nosuchtag acme_app",
    );
    eventually(
        Duration::from_secs(60),
        "a rejected task by the CLI",
        || {
            let ps = on_manager(
                &sb,
                "service ps acme_app --no-trunc --format '{{.CurrentState}} {{.Error}}'",
            );
            ps.lines()
                .any(|l| l.starts_with("Rejected") && l.contains("nosuchtag"))
                .then_some(())
                .ok_or(ps)
        },
    );
    let seen = Instant::now();
    let screen = t.wait_until(
        Duration::from_secs(5),
        "the rejected task and its error",
        |s| {
            s.lines()
                .any(|l| l.contains("rejected") && l.contains("nosuchtag"))
        },
    );
    eprintln!(
        "rejected shown {} ms after the CLI saw it",
        seen.elapsed().as_millis()
    );
    assert!(screen.contains("acme_app"), "{screen}");
    // The update rolls back (failure_action: rollback) or pauses: either is an alert.
    t.wait_until(
        Duration::from_secs(60),
        "the update's end as an alert",
        |s| row_of(s, "acme_app").is_some_and(|r| r.contains("rollback") || r.contains("paused")),
    );
    // The header says since when, and the change before it: the image someone set.
    t.wait_until(Duration::from_secs(5), "the incident's line", |s| {
        s.lines().any(|l| {
            l.contains(" since ")
                && l.contains("app")
                && l.contains("acme_app image v1 → nosuchtag")
        })
    });
    // The timeline has the update, its state changes and the rejected tasks with the
    // engine's error, from the manager's events and task history.
    t.keys(&["t"]);
    t.wait_until(Duration::from_secs(5), "the swarm's timeline", |s| {
        s.contains("image v1 → nosuchtag")
            && s.contains("update state")
            && s.lines().any(|l| {
                l.contains("swarm")
                    && l.contains("rejected (nosuchtag)")
                    && l.contains("No such image")
            })
    });
    t.keys(&["t"]);
    // The old tasks kept running on their nodes the whole time (start-first).
    let ps = on_manager(
        &sb,
        "service ps acme_app --filter desired-state=running --format '{{.Image}} {{.CurrentState}}'",
    );
    assert_eq!(
        ps.lines()
            .filter(|l| l.contains(":v1") && l.contains("Running"))
            .count(),
        2,
        "{ps}"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    drop(_restore);
    converged(&sb);
}

/// The app's tasks run on both nodes again (a forced update reschedules them; the
/// scheduler spreads, but ties can land both on one node).
fn spread_app(sb: &Sandbox) {
    for _ in 0..5 {
        let nodes = on_manager(
            sb,
            "service ps acme_app --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
        );
        let mut on: Vec<&str> = nodes
            .lines()
            .filter(|l| l.contains("Running"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        on.sort_unstable();
        on.dedup();
        if on.len() == 2 {
            return;
        }
        on_manager(sb, "service update --quiet --force acme_app");
    }
    panic!("the app's tasks do not spread over both nodes");
}

#[test]
fn the_app_logs_show_lines_from_tasks_on_both_nodes_tagged_with_node_and_slot() {
    let sb = sandbox();
    let _turn = turn();
    converged(&sb);
    spread_app(&sb);
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-logs", dir.path());
    select(&t, "acme_app");
    t.keys(&["l"]);
    let screen = t.wait_until(Duration::from_secs(15), "lines from both nodes", |s| {
        s.contains("logs · acme_app")
            && s.lines()
                .any(|l| l.starts_with("│app.") && l.contains("@swarm-manager-1 "))
            && s.lines()
                .any(|l| l.starts_with("│app.") && l.contains("@swarm-worker-1 "))
    });
    // Each line is tagged with the task it came from: the slot and node of one of the
    // service's tasks, running or not (the logs keep an earlier task's lines, a third
    // slot's while another test had it scaled to 3).
    let tasks = on_manager(&sb, "service ps acme_app --format '{{.Name}}@{{.Node}}'");
    let tasks: Vec<String> = tasks
        .lines()
        .map(|l| l.trim().trim_start_matches("acme_").to_string())
        .collect();
    for line in screen.lines().filter(|l| l.contains("@swarm-")) {
        let label = line
            .trim_start_matches('│')
            .split_whitespace()
            .next()
            .unwrap();
        // The node's name may be cut to the pane's label column.
        assert!(
            label.contains('@') && tasks.iter().any(|t| t.starts_with(label)),
            "{label} in {line}: not one of the tasks {tasks:?}"
        );
    }
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    // The same from the command line, merged in time order.
    let out = ok_stdout(
        pilothouse()
            .args(["logs", "--env", "swarm", "--tail", "20", "app", "--config"])
            .arg(&sb.config),
    );
    for node in ["@swarm-manager-1", "@swarm-worker-1"] {
        assert!(out.lines().any(|l| l.contains(node)), "{node}:\n{out}");
    }
}

#[test]
fn the_worker_engine_stopping_shows_the_node_down_its_tasks_moved_and_back() {
    let sb = sandbox();
    let _turn = turn();
    converged(&sb);
    spread_app(&sb);
    let engine = |action: &str| {
        ok_stdout(
            Command::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/sandbox/swarm-engine"
            ))
            .args([action, "worker"]),
        )
    };
    struct Restart<'a>(&'a dyn Fn(&str) -> String);
    impl Drop for Restart<'_> {
        fn drop(&mut self) {
            (self.0)("start");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-node-down", dir.path());
    t.keys(&["n"]);
    t.wait_until(Duration::from_secs(10), "both nodes ready", |s| {
        s.lines()
            .filter(|l| l.contains("swarm-") && l.contains(" ready "))
            .count()
            == 2
    });
    let _restart = Restart(&engine);
    engine("stop");
    eventually(
        Duration::from_secs(60),
        "the worker down by the CLI",
        || {
            let ls = on_manager(&sb, "node ls --format '{{.Hostname}} {{.Status}}'");
            ls.contains("swarm-worker-1 Down").then_some(()).ok_or(ls)
        },
    );
    let screen = t.wait_until(Duration::from_secs(5), "the worker down, in alert", |s| {
        s.lines()
            .any(|l| l.contains("swarm-worker-1") && l.contains(" down "))
            && s.contains("1/2 nodes ready")
    });
    assert!(
        screen.contains("swarm !"),
        "the tab says it needs attention:\n{screen}"
    );
    // Its tasks move to the manager: the app runs 2/2 there.
    t.keys(&["Escape"]);
    eventually(
        Duration::from_secs(90),
        "the app running on the manager only",
        || {
            let ps = on_manager(
                &sb,
                "service ps acme_app --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
            );
            (ps.lines()
                .filter(|l| l.starts_with("swarm-manager-1 Running"))
                .count()
                == 2)
                .then_some(())
                .ok_or(ps)
        },
    );
    t.wait_until(
        Duration::from_secs(5),
        "the app back at 2/2, on the manager",
        |s| {
            replicas_on_screen(s, "acme_app").as_deref() == Some("2/2")
                && s.lines()
                    .filter(|l| l.contains("swarm-manager-1") && l.contains("running"))
                    .count()
                    >= 2
        },
    );
    drop(_restart);
    eventually(
        Duration::from_secs(60),
        "the worker ready by the CLI",
        || {
            let ls = on_manager(&sb, "node ls --format '{{.Hostname}} {{.Status}}'");
            ls.contains("swarm-worker-1 Ready").then_some(()).ok_or(ls)
        },
    );
    t.keys(&["n"]);
    t.wait_until(Duration::from_secs(5), "both nodes ready again", |s| {
        s.contains("2/2 nodes ready")
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    // The timeline tells the node's fall and return, from the manager's events.
    let out = ok_stdout(
        pilothouse()
            .arg("--config")
            .arg(&sb.config)
            .args(["timeline", "--env", "swarm", "--since", "10m"]),
    );
    let node = |what: &str| {
        out.lines()
            .any(|l| l.contains("swarm-worker-1") && l.contains(what))
    };
    assert!(
        node("node state ready → down") && node("node state down → ready"),
        "{out}"
    );
    converged(&sb);
    spread_app(&sb);
}

#[test]
fn a_service_whose_logs_cannot_be_read_back_says_so_in_the_pane() {
    let sb = sandbox();
    let _turn = turn();
    converged(&sb);
    let _restore = Restore {
        sb: &sb,
        command: "$D service rm acme_silent >/dev/null 2>&1; true".into(),
    };
    // A service of the stack whose log driver keeps nothing to read back.
    on_manager(
        &sb,
        "service create --quiet --name acme_silent --label com.docker.stack.namespace=acme --log-driver none --network host --entrypoint sleep 127.0.0.1:5000/acme/redis:7 3600",
    );
    let dir = tempfile::tempdir().unwrap();
    let t = swarm_console(&sb, "swarm-silent", dir.path());
    t.wait_until(Duration::from_secs(30), "acme_silent running", |s| {
        replicas_on_screen(s, "acme_silent").as_deref() == Some("1/1")
    });
    select(&t, "acme_silent");
    t.keys(&["l"]);
    let screen = t.wait_until(Duration::from_secs(15), "the note that says why", |s| {
        s.contains("logs · acme_silent")
            && s.contains("no logs: acme_silent logs with the none driver")
    });
    assert!(screen.contains("none driver"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn health_endpoints_and_the_database_pool_work_on_a_swarm_environment() {
    let sb = sandbox();
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    // The swarm environment with an https endpoint on the host and the staging
    // database, its URL from this machine's environment (a swarm has no env file).
    let config = edited_config(&sb, dir.path(), |t| {
        format!(
            "{t}\n[[environments.swarm.health.endpoints]]\nname = \"edge\"\nurl = \"https://127.0.0.1:18443/health\"\nca_file = \"{}\"\n\n[environments.swarm.database]\nurl = {{ local_env = \"PILOTHOUSE_SWARM_DB\" }}\ntunnel = true\ninterval = \"2s\"\n\n[environments.swarm.database.pools]\napp = {{ size = 3 }}\n",
            sb.state.join("tls/ca.crt").display()
        )
    });
    let url_file = dir.path().join("db-url");
    std::fs::write(
        &url_file,
        format!(
            "postgresql://acme:{}@127.0.0.1:5433/acme",
            sb.pg_password("staging").trim()
        ),
    )
    .unwrap();
    let t = Tmux::start(
        "swarm-health-pool",
        &format!(
            "PILOTHOUSE_SWARM_DB=$(cat {}) {} --env swarm",
            url_file.display(),
            console_with(&config, dir.path())
        ),
    );
    t.wait_until(Duration::from_secs(30), "the services", |s| {
        s.contains("acme_app")
    });
    t.keys(&["h"]);
    t.wait_until(Duration::from_secs(15), "the endpoint up", |s| {
        s.lines().any(|l| l.contains("edge") && l.contains("200"))
    });
    t.keys(&["p"]);
    let screen = t.wait_until(Duration::from_secs(15), "the pool read", |s| {
        s.contains("swarm · database pool") && s.lines().any(|l| l.contains("app"))
    });
    let pw = sb.pg_password("staging");
    assert!(!screen.contains(pw.trim()), "the password on screen");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

/// The stack deployed again from its file, as the sandbox deploys it, and converged.
const REDEPLOY: &str = "cd \"$(dirname \"$STACK_FILE\")\" && $D stack deploy --resolve-image never -c docker-stack.yml acme";

#[test]
fn a_service_removed_from_outside_is_a_red_missing_row_an_alert_and_exit_1() {
    let sb = sandbox();
    let _turn = turn();
    converged(&sb);
    let dir = tempfile::tempdir().unwrap();
    // The console without the stack file: what it saw since it connected is what it
    // misses. status with it: the stack file says what is declared.
    let no_file = edited_config(&sb, dir.path(), |t| {
        t.lines()
            .filter(|l| !l.starts_with("stack_file = "))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let t = swarm_console_on(&no_file, "swarm-missing", dir.path());
    // The others converged, but for one whose last update rolled back (an alert until
    // its next update): the worker's removal takes one from the count.
    let all = 3 - rolled_back(&sb, "acme_app acme_worker acme_redis");
    let others = 2 - rolled_back(&sb, "acme_app acme_redis");
    t.wait_for(&format!("{all}/3 services converged"));
    let stack_file = sb.state.join("swarm/opt/acme/docker-stack.yml");
    let _restore = Restore {
        sb: &sb,
        command: REDEPLOY
            .replace("$STACK_FILE", &stack_file.display().to_string())
            .into(),
    };
    on_manager(&sb, "service rm acme_worker");
    let screen = t.wait_until(Duration::from_secs(10), "acme_worker missing", |s| {
        s.lines().any(|l| {
            l.contains("acme_worker") && l.contains("missing") && l.contains("removed since")
        }) && s.contains("1 MISSING")
    });
    assert!(
        screen.contains(&format!("{others}/3 services converged")),
        "{screen}"
    );
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains(" swarm !")),
        "the tab is in alert: {screen}"
    );
    // status: declared by the stack file, missing, exit 1.
    let (code, json) = status(&sb.config, &["--env", "swarm", "--json"]);
    assert_eq!(code, Some(1), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v[0]["swarm"]["missing"],
        serde_json::json!(["acme_worker"]),
        "{json}"
    );
    let (code, text) = status(&sb.config, &["--env", "swarm"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("acme_worker") && text.contains("MISSING: declared in the stack file"),
        "{text}"
    );
    drop(_restore);
    converged(&sb);
    // The stack deploy that brought the worker back updated the others too, which ends
    // a rolled-back service's alert: counted again.
    let all = 3 - rolled_back(&sb, "acme_app acme_worker acme_redis");
    t.wait_until(Duration::from_secs(10), "acme_worker back", |s| {
        !s.contains("MISSING") && s.contains(&format!("{all}/3 services converged"))
    });
}

#[test]
fn a_watched_stack_with_no_services_is_an_alert_not_an_empty_table() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let ghost = edited_config(&sb, dir.path(), |t| {
        t.replace("stacks = [\"acme\"]", "stacks = [\"ghost\"]")
            .lines()
            .filter(|l| !l.starts_with("stack_file = "))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let (code, text) = status(&ghost, &["--env", "swarm"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("stack ghost: no services  <-"), "{text}");
    let t = Tmux::start(
        "swarm-ghost",
        &format!("{} --env swarm", console_with(&ghost, dir.path())),
    );
    let screen = t.wait_until(Duration::from_secs(30), "the empty stack", |s| {
        s.contains("stack ghost has no services") && s.contains("1 stack EMPTY")
    });
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains(" swarm !")),
        "{screen}"
    );
}

#[test]
fn status_lists_only_the_watched_stacks_secrets() {
    let sb = sandbox();
    let _turn = turn();
    let _gone = Restore {
        sb: &sb,
        command: "$D secret rm billing_db_password".into(),
    };
    on_host(&format!(
        "printf hush | docker -H unix://{} secret create --label com.docker.stack.namespace=billing billing_db_password -",
        sb.state.join("swarm/manager.sock").display()
    ));
    let (_, json) = status(&sb.config, &["--env", "swarm", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut names: Vec<&str> = v[0]["swarm"]["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["api_token", "db_password"], "{json}");
    assert!(
        on_manager(&sb, "secret ls --format '{{.Name}}'").contains("billing_db_password"),
        "the other stack's secret is there"
    );
}

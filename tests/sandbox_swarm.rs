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

mod support;

use std::process::Command;
use std::time::Duration;

use support::*;

/// `docker …` against the manager, run on the host through the sandbox's sshd.
fn on_manager(sb: &Sandbox, args: &str) -> String {
    let sock = sb.state.join("swarm/manager.sock");
    ok_stdout(Command::new("ssh").args([
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        &format!(
            "UserKnownHostsFile={}",
            sb.state.join("ssh/known_hosts").display()
        ),
        "-i",
        &sb.state.join("ssh/id_ed25519").display().to_string(),
        "-p",
        "2222",
        "root@127.0.0.1",
        &format!("docker -H unix://{} {args}", sock.display()),
    ]))
}

#[test]
fn the_swarm_has_a_leader_and_a_worker_each_with_its_own_hostname() {
    let sb = sandbox();
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
    let names = on_manager(&sb, "secret ls --format '{{.Name}}'");
    let mut names: Vec<&str> = names.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["api_token", "db_password"]);
    eventually(
        Duration::from_secs(30),
        "both tasks read the secrets",
        || {
            let logs = on_manager(&sb, "service logs --raw acme_app 2>&1");
            let read = logs
                .lines()
                .filter(|l| l.contains("read 2 secrets from /run/secrets: api_token, db_password"))
                .count();
            (read >= 2)
                .then_some(())
                .ok_or(format!("{read} tasks so far"))
        },
    );
    let logs = on_manager(&sb, "service logs acme_app 2>&1");
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
        pilothouse::backend::read_swarm(&docker, &["acme".to_string()])
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
            .all(|s| s.stack == "acme" && !s.alert())
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

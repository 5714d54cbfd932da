//! The sandbox swarm seen from the manager with the docker CLI. The sandbox host is this
//! machine, so the CLI reads the manager's socket directly: a poll through the sandbox's
//! sshd cost a new SSH handshake every 200 ms while a test waited for the swarm.

use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::*;

/// Tests that change the swarm (scale, update, drain) and tests that compare readings
/// with the CLI take turns: one at a time in a test binary.
static SWARM: Mutex<()> = Mutex::new(());

pub fn turn() -> MutexGuard<'static, ()> {
    SWARM
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `docker …` against the manager (`args` as a shell would split them).
pub fn on_manager(sb: &Sandbox, args: &str) -> String {
    let sock = sb.state.join("swarm/manager.sock");
    ok_stdout(
        Command::new("sh")
            .arg("-c")
            .arg(format!("docker -H unix://{} {args}", sock.display())),
    )
}

/// The stack as `docker service ls` lists it: `name running/desired` per service.
pub fn replicas_cli(sb: &Sandbox) -> Vec<String> {
    let ls = on_manager(
        sb,
        "service ls --filter label=com.docker.stack.namespace=acme --format '{{.Name}} {{.Replicas}}'",
    );
    let mut got: Vec<String> = ls.lines().map(str::to_string).collect();
    got.sort();
    got
}

/// How many of `services` (space-separated, as `service inspect` takes them) last
/// ended an update by rolling back: the console shows each as an alert (not converged)
/// until its next update, which is whichever test ran before.
pub fn rolled_back(sb: &Sandbox, services: &str) -> usize {
    on_manager(
        sb,
        &format!(
            "service inspect {services} --format '{{{{if .UpdateStatus}}}}{{{{.UpdateStatus.State}}}}{{{{end}}}}'"
        ),
    )
    .lines()
    .filter(|l| l.trim() == "rollback_completed")
    .count()
}

/// Every service at its replicas and no update under way (one rolled back before is
/// over: the engine keeps saying `rollback_completed` until the next update).
pub fn converged(sb: &Sandbox) {
    eventually(Duration::from_secs(120), "the stack converged", || {
        let got = replicas_cli(sb);
        let updates = on_manager(
            sb,
            "service inspect acme_app acme_worker acme_redis --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'",
        );
        let settled = updates
            .lines()
            .all(|l| matches!(l.trim(), "" | "completed" | "rollback_completed"));
        (got == ["acme_app 2/2", "acme_redis 1/1", "acme_worker 1/1"] && settled)
            .then_some(())
            .ok_or(format!("{got:?} {updates}"))
    });
}

/// The nodes the app's running tasks are on, sorted.
pub fn app_nodes(sb: &Sandbox) -> Vec<String> {
    let tasks = on_manager(
        sb,
        "service ps acme_app --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
    );
    let mut nodes: Vec<String> = tasks
        .lines()
        .filter(|l| l.contains("Running"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    nodes.sort_unstable();
    nodes
}

/// The app's two tasks one on each node again, as the stack first placed them: a node
/// that was down got no task back by itself (the swarm does not rebalance), so the app
/// is updated with `--force`, which places its tasks afresh. Stop-first for that one
/// update: the stack's start-first starts the second task's successor while the task
/// still runs, a tie between the nodes that the scheduler may break either way (both
/// tasks ended on the worker in rehearsal 53); stopped first, the successor goes to the
/// node with fewer. The order is put back after (the tasks stay as they are).
pub fn app_spread(sb: &Sandbox) {
    let both = ["swarm-manager-1", "swarm-worker-1"];
    if app_nodes(sb) == both {
        return;
    }
    // Attached: each command returns once the update has converged.
    on_manager(
        sb,
        "service update --force --detach=false --quiet --update-order stop-first acme_app",
    );
    on_manager(
        sb,
        "service update --detach=false --quiet --update-order start-first acme_app",
    );
    converged(sb);
    eventually(Duration::from_secs(90), "the app on both nodes", || {
        let nodes = app_nodes(sb);
        (nodes == both).then_some(()).ok_or(format!("{nodes:?}"))
    });
}

/// Puts a service back as the stack file has it, whatever a test did to it: a shell
/// command run on the host, `$D` standing for `docker -H` the manager.
pub struct Restore<'a> {
    pub sb: &'a Sandbox,
    pub command: std::borrow::Cow<'static, str>,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let sock = self.sb.state.join("swarm/manager.sock");
        let script = format!("D='docker -H unix://{}'; {}", sock.display(), self.command);
        let _ = on_host(&script);
    }
}

/// A shell script run on the host (this machine); whether it succeeded.
pub fn on_host(script: &str) -> bool {
    run(Command::new("sh").arg("-c").arg(script))
        .status
        .success()
}

/// The console on the sandbox config's swarm environment, once it shows the services.
pub fn swarm_console(sb: &Sandbox, name: &str, dir: &Path) -> Tmux {
    swarm_console_on(&sb.config, name, dir)
}

/// The same on another config (an edited copy).
pub fn swarm_console_on(config: &Path, name: &str, dir: &Path) -> Tmux {
    let t = Tmux::start(name, &format!("{} --env swarm", console_with(config, dir)));
    // First reading: connecting and reading the manager.
    t.wait_until(Duration::from_secs(30), "the services", |s| {
        s.contains("acme_app") && s.contains("tasks of acme_app")
    });
    t
}

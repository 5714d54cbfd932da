//! The steps of one item: shell steps streamed, database steps on the pool monitor,
//! the health gate and smoke check, and the automatic rollback.

use std::collections::HashSet;
use std::sync::Mutex;

use tokio::sync::{mpsc, watch};

use crate::connection::remote::Remote;
use crate::runner::links::{DbLink, Links, grace_over, is_cancelled};
use pilothouse_core::model::job::{JobEvent, Outcome, STEP_GRACE};
use pilothouse_core::ops::Job;

use pilothouse_core::time::unix_now;

/// Which steps of an item run: the plan's own, or its automatic rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Plan,
    Rollback,
}

/// How one step ended.
pub(super) enum StepResult {
    Done,
    /// Done, with the exit code of what ran (an interactive shell's own, which does
    /// not fail the item).
    Ended {
        code: i32,
    },
    Failed {
        code: i32,
        why: String,
    },
    /// The transport failed: it may or may not have happened.
    Unknown(String),
}

/// What the steps of one item run with.
pub(super) struct StepContext<'a> {
    pub(super) job: &'a Job,
    pub(super) remote: &'a Remote,
    pub(super) links: &'a Links,
    pub(super) events: &'a mpsc::Sender<JobEvent>,
    pub(super) cancelled: &'a Mutex<HashSet<u64>>,
    /// True once the console is stopping.
    pub(super) stop: &'a watch::Receiver<bool>,
    /// How the console's interactive runs ended (see [`ShellEnd`]).
    pub(super) shell_ends: &'a tokio::sync::Mutex<mpsc::UnboundedReceiver<ShellEnd>>,
}

/// How an interactive step the console ran on its terminal ended: its item, and the
/// exit code (None: killed by a signal, or it did not start, with why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellEnd {
    pub id: u64,
    pub code: Option<i32>,
    pub error: Option<String>,
}

impl StepContext<'_> {
    /// Runs the plan's undo steps after `why`; the item's end.
    pub(super) async fn roll_back(
        &self,
        undo: &pilothouse_core::ops::Undo,
        why: Option<String>,
        codes: &mut Vec<Option<i32>>,
    ) -> (Outcome, Option<String>) {
        let why = why.unwrap_or_default();
        self.output(format!("── rolling back: {why}")).await;
        let (undone, _, undo_error) = self.run_steps(&undo.steps, Phase::Rollback, codes).await;
        match undone {
            Outcome::Succeeded => (Outcome::RolledBack, Some(format!("ROLLED BACK: {why}"))),
            Outcome::Unknown => (
                Outcome::Unknown,
                Some(format!(
                    "{why}; then the rollback's outcome is unknown: {}",
                    undo_error.unwrap_or_default()
                )),
            ),
            _ => (
                Outcome::Failed,
                Some(format!(
                    "{why}; the rollback failed too: {}",
                    undo_error.unwrap_or_default()
                )),
            ),
        }
    }

    /// Runs `steps` (the plan's, or its rollback's, numbered after the plan's),
    /// stopping at the first that does not succeed: the outcome, the index of the step
    /// that failed (or, when cancelled, of the first step not run), and why. Only the
    /// plan's own steps can be cancelled or stopped, never its rollback.
    pub(super) async fn run_steps(
        &self,
        steps: &[pilothouse_core::ops::Step],
        phase: Phase,
        codes: &mut Vec<Option<i32>>,
    ) -> (Outcome, Option<usize>, Option<String>) {
        let id = self.job.id;
        let offset = match phase {
            Phase::Plan => 0,
            Phase::Rollback => self.job.plan.steps.len(),
        };
        let total =
            self.job.plan.steps.len() + self.job.plan.undo.as_ref().map_or(0, |u| u.steps.len());
        for (i, step) in steps.iter().enumerate() {
            let index = offset + i;
            if phase == Phase::Plan && (is_cancelled(self.cancelled, id) || *self.stop.borrow()) {
                let who = if *self.stop.borrow() {
                    "interrupted: the console was stopped"
                } else {
                    "cancelled by the operator"
                };
                return (
                    Outcome::Cancelled,
                    Some(index),
                    Some(format!(
                        "{who} before step {} of {}",
                        index + 1,
                        steps.len()
                    )),
                );
            }
            let _ = self.events.send(JobEvent::Step { id, index }).await;
            // A console stopping gives the step running a bounded time to finish.
            let result = tokio::select! {
                r = self.exec(step) => r,
                () = grace_over(self.stop.clone()) => StepResult::Unknown(format!(
                    "the console was stopped and the step did not finish within {} s; it may still be running on the host",
                    STEP_GRACE.as_secs()
                )),
            };
            let code = match &result {
                StepResult::Done => Some(0),
                StepResult::Ended { code } => Some(*code),
                StepResult::Failed { code, .. } => Some(*code),
                StepResult::Unknown(_) => None,
            };
            codes.push(code);
            let _ = self
                .events
                .send(JobEvent::StepDone { id, index, code })
                .await;
            let n = match phase {
                Phase::Plan => steps.len(),
                Phase::Rollback => total,
            };
            match result {
                StepResult::Done | StepResult::Ended { .. } => {}
                StepResult::Failed { why, .. } => {
                    return (
                        Outcome::Failed,
                        Some(index),
                        Some(format!("step {} of {n} ({}) {why}", index + 1, step.label)),
                    );
                }
                StepResult::Unknown(why) => {
                    return (
                        Outcome::Unknown,
                        Some(index),
                        Some(format!(
                            "step {} of {n} ({}): outcome unknown: {why}",
                            index + 1,
                            step.label
                        )),
                    );
                }
            }
        }
        (Outcome::Succeeded, None, None)
    }

    pub(super) async fn output(&self, line: String) {
        let _ = self
            .events
            .send(JobEvent::Output {
                id: self.job.id,
                line,
            })
            .await;
    }

    /// Runs `work` with a channel whose lines become the item's output as they come.
    async fn streamed<F, Fut, T>(&self, work: F) -> T
    where
        F: FnOnce(mpsc::Sender<String>) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let (tx, mut rx) = mpsc::channel::<String>(64);
        let forward = async {
            while let Some(line) = rx.recv().await {
                self.output(line).await;
            }
        };
        // The sender moves into `work` and is dropped when it ends, ending `forward`.
        let (out, ()) = tokio::join!(work(tx), forward);
        out
    }

    /// The deploy's health gate: every target running and healthy within the limit.
    pub(super) async fn wait_healthy(
        &self,
        services: &[(String, String)],
        timeout_secs: u64,
    ) -> StepResult {
        let Some(docker) = self.links.docker.borrow().clone() else {
            return StepResult::Unknown("not connected to the engine".into());
        };
        let gate = self
            .streamed(|tx| async move {
                crate::engine::compose::gate::wait_healthy(
                    &docker,
                    &self.job.project,
                    services,
                    std::time::Duration::from_secs(timeout_secs),
                    &tx,
                )
                .await
            })
            .await;
        match gate {
            crate::engine::gate::Gate::Healthy => StepResult::Done,
            crate::engine::gate::Gate::Failed(why) => {
                self.output(format!("health gate failed: {why}")).await;
                StepResult::Failed {
                    code: 1,
                    why: format!("failed the health gate: {why}"),
                }
            }
            crate::engine::gate::Gate::Lost(why) => StepResult::Unknown(why),
        }
    }

    /// The deploy's smoke check: the targets' configured health endpoints answer.
    pub(super) async fn smoke(&self, services: &[String]) -> StepResult {
        let endpoints: Vec<pilothouse_core::config::Endpoint> = self
            .links
            .endpoints
            .iter()
            .filter(|e| services.iter().any(|s| s == e.service_name()))
            .cloned()
            .collect();
        let answers =
            crate::monitor::health::check_endpoints(self.remote, &endpoints, unix_now()).await;
        let mut down = Vec::new();
        for a in &answers {
            let line = match (&a.error, a.http_status) {
                (None, Some(code)) => format!("{}: up (HTTP {code})", a.name),
                (Some(e), _) => format!("{}: DOWN: {e}", a.name),
                (None, None) => format!("{}: DOWN", a.name),
            };
            self.output(line.clone()).await;
            if !a.up {
                down.push(line);
            }
        }
        if down.is_empty() {
            StepResult::Done
        } else {
            StepResult::Failed {
                code: 1,
                why: format!("failed the smoke check: {}", down.join("; ")),
            }
        }
    }

    pub(super) async fn exec(&self, step: &pilothouse_core::ops::Step) -> StepResult {
        use pilothouse_core::ops::Exec;
        match &step.exec {
            Exec::Shell => self.shell(&step.command).await,
            Exec::Interactive => self.interactive(&step.command).await,
            Exec::Reveal => {
                pilothouse_core::mask::reveal(true);
                self.output(
                    "secrets are shown unmasked in this console from now until it quits; lines already read stay masked".into(),
                )
                .await;
                StepResult::Done
            }
            Exec::Terminate { pid, backend_start } => {
                match terminate_step(*pid, *backend_start, &self.links.db).await {
                    Ok(line) => {
                        self.output(line).await;
                        StepResult::Done
                    }
                    Err(f) if f.maybe_ran => StepResult::Unknown(f.message),
                    Err(f) => {
                        self.output(f.message.clone()).await;
                        StepResult::Failed {
                            code: 1,
                            why: f.message,
                        }
                    }
                }
            }
            Exec::WaitHealthy {
                services,
                timeout_secs,
            } => self.wait_healthy(services, *timeout_secs).await,
            Exec::Smoke { services } => self.smoke(services).await,
            Exec::SwarmConverge {
                service,
                image,
                old_update,
                rollback,
                timeout_secs,
            } => {
                let want = crate::engine::swarm::gate::Want::Service {
                    name: service,
                    image: image.as_deref(),
                    old_update: old_update.as_deref(),
                    rollback: *rollback,
                };
                self.swarm_wait(&want, *timeout_secs).await
            }
            Exec::SwarmRestore {
                service,
                image,
                timeout_secs,
            } => {
                self.swarm_restore(step, service, image, *timeout_secs)
                    .await
            }
            Exec::SwarmNode {
                node_id,
                availability,
                timeout_secs,
            } => {
                let want = crate::engine::swarm::gate::Want::Node {
                    id: node_id,
                    availability,
                };
                self.swarm_wait(&want, *timeout_secs).await
            }
        }
    }

    /// `command` on the operator's terminal: the console is asked to step aside and run
    /// it through this connection (a channel of its own with a terminal); how it ended
    /// comes back from the console. What is typed and shown never passes through here.
    async fn interactive(&self, command: &str) -> StepResult {
        let id = self.job.id;
        let argv = interactive_argv(self.remote, command);
        let mut ends = self.shell_ends.lock().await;
        // An end left from an earlier item (its console answer came late) is not this one's.
        while ends.try_recv().is_ok() {}
        if self
            .events
            .send(JobEvent::Interactive { id, argv })
            .await
            .is_err()
        {
            return StepResult::Unknown("the console is gone".into());
        }
        let end = loop {
            match ends.recv().await {
                Some(end) if end.id == id => break end,
                Some(_) => continue,
                None => return StepResult::Unknown("the console is gone".into()),
            }
        };
        let over_ssh = self.remote.is_ssh();
        match (end.code, end.error) {
            (_, Some(why)) => StepResult::Failed { code: 1, why },
            (Some(255), None) if over_ssh => StepResult::Unknown(
                "ssh ended with 255: the connection dropped (or the shell's last command exited 255)"
                    .into(),
            ),
            (Some(code), None) => {
                self.output(format!("the shell ended (exit {code})")).await;
                StepResult::Ended { code }
            }
            (None, None) => {
                self.output("the shell was ended by a signal".into()).await;
                StepResult::Ended { code: -1 }
            }
        }
    }

    /// A shell step on the host, its output streamed into the item.
    async fn shell(&self, command: &str) -> StepResult {
        match shell_step(self.job.id, command, self.remote, self.events).await {
            Ok(Some(0)) => StepResult::Done,
            Ok(Some(255)) | Ok(None) => {
                StepResult::Unknown("the SSH connection failed (exit 255)".into())
            }
            Err(e) => StepResult::Unknown(e),
            Ok(Some(code)) => StepResult::Failed {
                code,
                why: format!("exited with {code}"),
            },
        }
    }

    /// A swarm gate, its standings streamed into the item.
    async fn swarm_wait(
        &self,
        want: &crate::engine::swarm::gate::Want<'_>,
        timeout_secs: u64,
    ) -> StepResult {
        use crate::engine::gate::Gate;
        let Some(docker) = self.links.docker.borrow().clone() else {
            return StepResult::Unknown("not connected to the engine".into());
        };
        let limit = std::time::Duration::from_secs(timeout_secs);
        let gate = self
            .streamed(|tx| async move {
                crate::engine::swarm::gate::wait(&docker, want, limit, &tx).await
            })
            .await;
        match gate {
            Gate::Healthy => StepResult::Done,
            Gate::Failed(why) => StepResult::Failed {
                code: 1,
                why: format!("failed the gate: {why}"),
            },
            Gate::Lost(why) => StepResult::Unknown(why),
        }
    }

    /// After a failed update: the engine's own rollback when it began one, else the
    /// step's `docker service rollback`; then the gate on the previous image.
    async fn swarm_restore(
        &self,
        step: &pilothouse_core::ops::Step,
        service: &str,
        image: &str,
        timeout_secs: u64,
    ) -> StepResult {
        use crate::engine::swarm::gate::Want;
        let Some(docker) = self.links.docker.borrow().clone() else {
            return StepResult::Unknown("not connected to the engine".into());
        };
        let state = match crate::engine::swarm::gate::read(&docker).await {
            Ok(s) => s,
            Err(e) => return StepResult::Unknown(e),
        };
        let Some(svc) = state.services.iter().find(|s| s.name == service) else {
            return StepResult::Failed {
                code: 1,
                why: format!("{service} is gone from the swarm"),
            };
        };
        let old_update = if svc.update_state.starts_with("rollback") {
            self.output(format!(
                "the engine is rolling {service} back by itself ({}): not running the command",
                svc.update_state
            ))
            .await;
            None
        } else if svc.image == image {
            self.output(format!("{service}'s spec still runs {image}"))
                .await;
            None
        } else {
            match self.shell(&step.command).await {
                StepResult::Done => {}
                other => return other,
            }
            Some(svc.update_started.clone())
        };
        // The command run here is `docker service rollback`.
        let want = Want::Service {
            name: service,
            image: Some(image),
            old_update: old_update.as_deref(),
            rollback: true,
        };
        self.swarm_wait(&want, timeout_secs).await
    }
}

/// Runs a shell step with its output streamed into the item: the exit code, None or
/// 255 when the transport failed.
pub(super) async fn shell_step(
    id: u64,
    command: &str,
    remote: &Remote,
    events: &mpsc::Sender<JobEvent>,
) -> Result<Option<i32>, String> {
    let (tx, mut rx) = mpsc::channel::<String>(256);
    let forward = async {
        while let Some(line) = rx.recv().await {
            let _ = events.send(JobEvent::Output { id, line }).await;
        }
    };
    // Braced, so the output of every command in it is caught, not only the last's.
    let script = format!("{{ {command}\n}} 2>&1");
    let (result, ()) = tokio::join!(remote.sh_streaming(&script, tx), forward);
    result
}

/// Has the pool monitor terminate a session on its connection.
pub(super) async fn terminate_step(
    pid: i32,
    backend_start: i64,
    db: &DbLink,
) -> Result<String, crate::monitor::db::DbFailure> {
    use crate::monitor::db::DbFailure;
    let not_sent = |message: &str| DbFailure {
        maybe_ran: false,
        message: message.to_string(),
    };
    let Some(monitor) = db.borrow().clone() else {
        return Err(not_sent(
            "no database monitor on this connection (is [database] configured?): nothing ran",
        ));
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    let request = crate::monitor::db::DbRequest {
        pid,
        backend_start,
        reply,
    };
    if monitor.send(request).await.is_err() {
        return Err(not_sent(
            "the database monitor stopped (connection lost): nothing ran",
        ));
    }
    match tokio::time::timeout(std::time::Duration::from_secs(30), answer).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) | Err(_) => Err(DbFailure {
            maybe_ran: true,
            message: "the database monitor went away before it answered".into(),
        }),
    }
}

/// What runs `command` on the host with the operator's terminal: a new channel of the
/// connection's ssh master with a terminal of its own (`-t`: the window's size goes
/// with it and follows it), or `sh -c` here for `reach = "local"`. With `-F /dev/null`
/// and no master left, ssh fails at once on the host name `none` instead of dialling
/// anywhere by the user's own config.
pub(crate) fn interactive_argv(remote: &Remote, command: &str) -> Vec<String> {
    match remote {
        Remote::Ssh { session, .. } => {
            let mut argv: Vec<String> = ["ssh", "-F", "/dev/null", "-S"]
                .into_iter()
                .map(String::from)
                .collect();
            argv.push(session.control_socket().to_string_lossy().into_owned());
            for a in [
                "-o",
                "ControlMaster=no",
                "-o",
                "BatchMode=yes",
                "-t",
                "none",
            ] {
                argv.push(a.to_string());
            }
            argv.push(command.to_string());
            argv
        }
        Remote::Local { .. } => vec!["sh".into(), "-c".into(), command.to_string()],
    }
}

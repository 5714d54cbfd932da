//! The swarm actions' gates: read the manager every second until the change has
//! converged (the engine's own rolling update completed, every desired task running
//! and healthy on the wanted spec), the engine paused or rolled it back, or the time
//! is up. A task on a worker sends the manager no event, so it reads rather than
//! waits for events; each reading is the three requests the services view makes.

use std::time::Duration;

use bollard::Docker;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::gate::{Gate, last_lines, tail_options};
use pilothouse_core::model::swarm::{Convergence, SwarmState, SwarmTask, short_name};

/// Between readings.
const EVERY: Duration = Duration::from_secs(1);
/// One reading may take this long.
const READ_LIMIT: Duration = Duration::from_secs(10);
/// Readings that fail in a row before the engine counts as lost.
const FAILED_READS: u32 = 3;

/// What is being waited for.
pub enum Want<'a> {
    Service {
        name: &'a str,
        image: Option<&'a str>,
        old_update: Option<&'a str>,
        /// The change is itself a rollback: its rollback states are its progress.
        rollback: bool,
    },
    Node {
        id: &'a str,
        availability: &'a str,
    },
}

impl Want<'_> {
    fn judge(&self, state: &SwarmState) -> Convergence {
        match self {
            Want::Service {
                name,
                image,
                old_update,
                rollback,
            } => state.convergence(name, *image, *old_update, *rollback),
            Want::Node { id, availability } => state.node_settled(id, availability),
        }
    }
}

/// One reading of every stack on the manager.
pub async fn read(docker: &Docker) -> Result<SwarmState, String> {
    match tokio::time::timeout(READ_LIMIT, crate::engine::swarm::read_swarm(docker, &[])).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "the manager did not answer within {} s",
            READ_LIMIT.as_secs()
        )),
    }
}

/// Waits for `want`, reporting each new standing on `out`.
pub async fn wait(
    docker: &Docker,
    want: &Want<'_>,
    timeout: Duration,
    out: &mpsc::Sender<String>,
) -> Gate {
    let deadline = Instant::now() + timeout;
    let mut failures = 0;
    let mut last = String::new();
    loop {
        match read(docker).await {
            Err(e) => {
                failures += 1;
                if failures >= FAILED_READS {
                    return Gate::Lost(format!("cannot read the swarm any more: {e}"));
                }
            }
            Ok(state) => {
                failures = 0;
                let standing = want.judge(&state);
                let (text, end) = match &standing {
                    Convergence::Done(t) => (t.clone(), Some(Gate::Healthy)),
                    Convergence::Failed(t) => (t.clone(), Some(Gate::Failed(t.clone()))),
                    Convergence::Waiting(t) => (t.clone(), None),
                };
                if text != last {
                    let _ = out.send(pilothouse_core::text::clean(&text, 300)).await;
                    last = text;
                }
                if let Some(end) = end {
                    if let (Gate::Failed(_), Want::Service { name, .. }) = (&end, want) {
                        explain(docker, &state, name, out).await;
                    }
                    return end;
                }
                if Instant::now() >= deadline {
                    if let Want::Service { name, .. } = want {
                        explain(docker, &state, name, out).await;
                    }
                    return Gate::Failed(format!(
                        "not converged within {} s: {last}",
                        timeout.as_secs()
                    ));
                }
            }
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// The service's newest task errors, and the last log lines of the newest task that
/// failed, so the operator sees why without leaving the queue.
async fn explain(docker: &Docker, state: &SwarmState, service: &str, out: &mpsc::Sender<String>) {
    let Some(svc) = state.services.iter().find(|s| s.name == service) else {
        return;
    };
    let mut troubled: Vec<&SwarmTask> = state
        .tasks
        .iter()
        .filter(|t| t.service_id == svc.id && (!t.error.is_empty() || t.state == "failed"))
        .collect();
    troubled.sort_by_key(|t| std::cmp::Reverse(t.since));
    for t in troubled.iter().take(3) {
        let _ = out
            .send(pilothouse_core::text::clean(
                &format!(
                    "task {}.{} on {}: {} {}",
                    short_name(svc),
                    t.slot.map_or_else(|| "-".to_string(), |s| s.to_string()),
                    state.hostname(&t.node_id),
                    t.state,
                    if t.error.is_empty() {
                        &t.message
                    } else {
                        &t.error
                    }
                ),
                300,
            ))
            .await;
    }
    // A task that never got a container (rejected) has no logs; asking would wait.
    if let Some(t) = troubled.iter().find(|t| t.state == "failed") {
        let _ = out.send("── its last log lines:".to_string()).await;
        for line in task_tail(docker, &t.id, 10).await {
            let _ = out.send(format!("   {line}")).await;
        }
    }
}

/// The last `lines` of a task's logs (sanitized, credentials masked), within 3 s.
async fn task_tail(docker: &Docker, id: &str, lines: usize) -> Vec<String> {
    let stream = docker.task_logs(id, Some(tail_options(lines)));
    tokio::time::timeout(Duration::from_secs(3), last_lines(stream, lines))
        .await
        .unwrap_or_default()
}

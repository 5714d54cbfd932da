//! The runner of one environment: confirmed items, one at a time, in order. For each:
//! take the host lock (state-changing plans), run the steps with their output streamed
//! back, release the lock, and append the audit record locally and on the host.
//!
//! A step whose SSH transport fails (the connection went, or ssh's own exit code 255)
//! ends the item as unknown, never as succeeded; the lock then stays, with its owner.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use pilothouse_core::model::job::{JobEvent, Outcome};
use pilothouse_core::ops::Job;

pub mod links;
pub mod lock;
mod steps;

use crate::audit::{AuditRecord, HostAuditBacklog, notify_webhook};
use links::{Links, is_cancelled};
use lock::{heartbeat, lock_or_refuse, release_lock};
pub use steps::ShellEnd;
use steps::{Phase, StepContext};

/// The runner's handle: jobs in, cancellations.
#[derive(Clone)]
pub struct RunnerHandle {
    pub jobs: mpsc::UnboundedSender<Job>,
    pub cancelled: Arc<Mutex<HashSet<u64>>>,
    /// The console is stopping: nothing more starts, the running item stops at its
    /// next step boundary, and its current step gets `STEP_GRACE`.
    pub interrupted: watch::Sender<bool>,
    /// How the interactive step the console ran on its terminal ended.
    pub shell_ended: mpsc::UnboundedSender<ShellEnd>,
}

/// Starts the runner of an environment; `events` gets what happens.
pub fn spawn(
    links: Links,
    events: mpsc::Sender<JobEvent>,
) -> (RunnerHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let cancelled = Arc::new(Mutex::new(HashSet::new()));
    let (interrupted, stop) = watch::channel(false);
    let (shell_ended, shell_ends) = mpsc::unbounded_channel();
    let handle = RunnerHandle {
        jobs: tx,
        cancelled: cancelled.clone(),
        interrupted,
        shell_ended,
    };
    let shell_ends = tokio::sync::Mutex::new(shell_ends);
    let task = tokio::spawn(run(rx, links, events, cancelled, (stop, shell_ends)));
    (handle, task)
}

impl RunnerHandle {
    pub fn submit(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    pub fn cancel(&self, id: u64) {
        if let Ok(mut s) = self.cancelled.lock() {
            s.insert(id);
        }
    }

    /// The console is stopping (see [`RunnerHandle::interrupted`]).
    pub fn interrupt(&self) {
        self.interrupted.send_replace(true);
    }
}

async fn run(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    links: Links,
    events: mpsc::Sender<JobEvent>,
    cancelled: Arc<Mutex<HashSet<u64>>>,
    (stop, shell_ends): (
        watch::Receiver<bool>,
        tokio::sync::Mutex<mpsc::UnboundedReceiver<ShellEnd>>,
    ),
) {
    let mut backlog = HostAuditBacklog::default();
    let mut remote_watch = links.remote.clone();
    loop {
        let next = tokio::select! {
            j = jobs.recv() => j.map(Some),
            // A new connection: the audit lines the host missed go first.
            Ok(()) = remote_watch.changed() => Some(None),
        };
        let job = match next {
            Some(Some(j)) => j,
            Some(None) => {
                let current = remote_watch.borrow_and_update().clone();
                if let Some(r) = current {
                    let _ = backlog.flush(&r).await;
                }
                continue;
            }
            None => return,
        };
        let stopping = *stop.borrow();
        if is_cancelled(&cancelled, job.id) || stopping {
            // Confirmed, then cancelled before it ran: a record too.
            let action = job.plan.kind.name();
            let why = if stopping {
                "not run: the console was stopped before it started"
            } else {
                "cancelled before it ran: nothing ran"
            };
            let record = AuditRecord {
                error: Some(why),
                ..crate::audit::record_of(&job, &action, "cancelled")
            };
            let current = links.remote.borrow().clone();
            crate::audit::write_both(&mut backlog, current.as_ref(), &job, &events, record.line())
                .await;
            if stopping {
                let _ = events
                    .send(JobEvent::Finished {
                        id: job.id,
                        outcome: Outcome::Cancelled,
                        error: Some("not run: the console was stopped before it started".into()),
                    })
                    .await;
            }
            continue;
        }
        let current = links.remote.borrow().clone();
        let (outcome, error) = match current {
            None => (
                Outcome::Failed,
                Some("not connected to the host: nothing ran".to_string()),
            ),
            Some(r) => {
                let ctx = StepContext {
                    job: &job,
                    remote: &r,
                    links: &links,
                    events: &events,
                    cancelled: &cancelled,
                    stop: &stop,
                    shell_ends: &shell_ends,
                };
                run_one(&ctx, &mut backlog).await
            }
        };
        if events
            .send(JobEvent::Finished {
                id: job.id,
                outcome,
                error,
            })
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Runs one job; its outcome and, when it did not succeed, why.
async fn run_one(
    ctx: &StepContext<'_>,
    backlog: &mut HostAuditBacklog,
) -> (Outcome, Option<String>) {
    let (job, remote, events) = (ctx.job, ctx.remote, ctx.events);
    let started = Instant::now();
    let id = job.id;
    let _ = events.send(JobEvent::Started { id }).await;
    // Breaking the lock is the one change made without taking it.
    // Showing secrets changes nothing on the host either. A shell takes no lock: it
    // may stay open for an hour, and another console's deploy must not wait on it.
    let locks = job.plan.changes_state()
        && !matches!(
            job.plan.kind,
            pilothouse_core::ops::OpKind::BreakLock
                | pilothouse_core::ops::OpKind::RevealSecrets
                | pilothouse_core::ops::OpKind::Shell(_)
                | pilothouse_core::ops::OpKind::Maintenance { .. }
                | pilothouse_core::ops::OpKind::MaintenanceEnd
        );
    if locks && let Err(refused) = lock_or_refuse(job, remote, events).await {
        // Refused (another console holds the lock) or the lock not taken: nothing ran,
        // and the trail says so.
        let action = job.plan.kind.name();
        let record = AuditRecord {
            error: refused.1.as_deref(),
            ..crate::audit::record_of(job, &action, "refused")
        };
        crate::audit::write_both(backlog, Some(remote), job, events, record.line()).await;
        return refused;
    }
    // While it holds the lock, the console says it is alive (the owner file's time).
    let _heartbeat = locks.then(|| heartbeat(job, remote));
    // Written ahead, before anything changes: a console that dies mid-item (killed,
    // out of memory, the power gone) leaves "started" behind, never nothing.
    let action = job.plan.kind.name();
    if job.plan.changes_state() {
        let started = crate::audit::record_of(job, &action, "started");
        crate::audit::write_both(backlog, Some(remote), job, events, started.line()).await;
    }
    let mut codes: Vec<Option<i32>> = Vec::new();
    let (mut outcome, failed_at, mut error) = ctx
        .run_steps(&job.plan.steps, Phase::Plan, &mut codes)
        .await;
    if let Some(undo) = &job.plan.undo
        && began_changing(outcome, failed_at, undo)
    {
        (outcome, error) = ctx.roll_back(undo, error, &mut codes).await;
    }
    let interrupted = *ctx.stop.borrow();
    // An unknown outcome keeps the lock: whoever looks next sees who held it.
    if locks && outcome != Outcome::Unknown {
        let _ = release_lock(job, remote).await;
    }
    let action = job.plan.kind.name();
    let record = AuditRecord {
        exit_codes: &codes,
        error: error.as_deref(),
        duration_ms: started.elapsed().as_millis(),
        interrupted,
        ..crate::audit::record_of(job, &action, outcome.as_str())
    };
    // Written now when the host answers; else as soon as it does again. An unknown
    // outcome from a lost connection waits for the next one (this one is gone).
    let lost = outcome == Outcome::Unknown && !interrupted;
    let host = (!lost).then_some(remote);
    crate::audit::write_both(backlog, host, job, events, record.line()).await;
    if let Some(url) = &ctx.links.webhook
        && matches!(
            job.plan.kind,
            pilothouse_core::ops::OpKind::Deploy { .. }
                | pilothouse_core::ops::OpKind::Rollback { .. }
                | pilothouse_core::ops::OpKind::Custom(_)
        )
    {
        notify_webhook(url, &record, job, events).await;
    }
    (outcome, error)
}

/// Whether the automatic rollback runs: a step failed after the plan began to change
/// things, or the operator cancelled it after that (a deploy stopped halfway would
/// leave the env file and some containers on the new tag with no health gate passed).
fn began_changing(
    outcome: Outcome,
    failed_at: Option<usize>,
    undo: &pilothouse_core::ops::Undo,
) -> bool {
    match (outcome, failed_at) {
        (Outcome::Failed, Some(at)) => at >= undo.from_step && at < undo.until,
        (Outcome::Cancelled, Some(first_not_run)) => first_not_run > undo.first_change,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_first_update_is_not_undone_but_a_cancel_after_it_is() {
        // A swarm deploy: [update, gate]; the update changes the service once it ran.
        let swarm = pilothouse_core::ops::Undo {
            from_step: 1,
            first_change: 0,
            until: usize::MAX,
            steps: Vec::new(),
        };
        assert!(!began_changing(Outcome::Failed, Some(0), &swarm));
        assert!(began_changing(Outcome::Failed, Some(1), &swarm));
        assert!(began_changing(Outcome::Cancelled, Some(1), &swarm));
        assert!(!began_changing(Outcome::Cancelled, Some(0), &swarm));
        // A compose deploy: the env file's write (step 2) is the first change.
        let compose = pilothouse_core::ops::Undo {
            from_step: 2,
            first_change: 2,
            until: 6,
            steps: Vec::new(),
        };
        // A post-deploy hook (step 6 on) failing undoes nothing.
        assert!(began_changing(Outcome::Failed, Some(5), &compose));
        assert!(!began_changing(Outcome::Failed, Some(6), &compose));
        assert!(!began_changing(Outcome::Cancelled, Some(2), &compose));
        assert!(began_changing(Outcome::Cancelled, Some(3), &compose));
        assert!(!began_changing(Outcome::Unknown, Some(3), &compose));
    }
}

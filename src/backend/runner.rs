//! The runner of one environment: confirmed items, one at a time, in order. For each:
//! take the host lock (state-changing plans), run the steps with their output streamed
//! back, release the lock, and append the audit record locally and on the host.
//!
//! A step whose SSH transport fails (the connection went, or ssh's own exit code 255)
//! ends the item as unknown, never as succeeded; the lock then stays, with its owner.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::remote::{Remote, quote};
use crate::ops::{audit_file, lock_dir};

pub use crate::model::job::{AuditEntry, JobEvent, Outcome, Owner, STEP_GRACE, parse_audit};
pub use crate::ops::Job;

/// The audit record of one item, a JSON line locally and on the host.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    pub time: i64,
    pub operator: &'a str,
    pub environment: &'a str,
    pub action: &'a str,
    pub targets: &'a [String],
    pub commands: Vec<&'a str>,
    pub exit_codes: &'a [Option<i32>],
    pub result: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    pub duration_ms: u128,
    /// The console was stopped (a signal, or quit confirmed) while the item ran.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

/// How often a console that holds the host lock says it is still there.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// The runner's handle: jobs in, cancellations.
#[derive(Clone)]
pub struct RunnerHandle {
    pub jobs: mpsc::UnboundedSender<Job>,
    pub cancelled: Arc<Mutex<HashSet<u64>>>,
    /// The console is stopping: nothing more starts, the running item stops at its
    /// next step boundary, and its current step gets [`STEP_GRACE`].
    pub interrupted: watch::Sender<bool>,
}

/// Where database steps go: the pool monitor of the current connection, if any.
pub type DbLink = watch::Receiver<Option<mpsc::Sender<super::db::DbRequest>>>;

/// What the runner reaches the environment through; each link is None while there is
/// no connection.
pub struct Links {
    pub remote: watch::Receiver<Option<Remote>>,
    pub db: DbLink,
    pub docker: watch::Receiver<Option<bollard::Docker>>,
    /// The environment's health endpoints, for the deploy's smoke check.
    pub endpoints: Vec<crate::config::Endpoint>,
    /// Told how each deploy and rollback ended.
    pub webhook: Option<crate::config::HttpUrl>,
}

/// Starts the runner of an environment; `events` gets what happens.
pub fn spawn(
    links: Links,
    events: mpsc::Sender<JobEvent>,
) -> (RunnerHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let cancelled = Arc::new(Mutex::new(HashSet::new()));
    let (interrupted, stop) = watch::channel(false);
    let handle = RunnerHandle {
        jobs: tx,
        cancelled: cancelled.clone(),
        interrupted,
    };
    let task = tokio::spawn(run(rx, links, events, cancelled, stop));
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

/// Resolves [`STEP_GRACE`] after the console began to stop; never before.
async fn grace_over(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(STEP_GRACE).await;
}

/// Audit lines the host has not got yet (its connection was gone when the item
/// ended), written as soon as it answers again.
#[derive(Default)]
struct HostAuditBacklog(Vec<(String, String)>);

impl HostAuditBacklog {
    async fn write(&mut self, remote: &Remote, project_dir: &str, line: String) {
        self.0.push((project_dir.to_string(), line));
        self.flush(remote).await;
    }

    async fn flush(&mut self, remote: &Remote) {
        while let Some((dir, line)) = self.0.first().cloned() {
            match append_host_audit(remote, &dir, &line).await {
                Ok(()) => {
                    self.0.remove(0);
                }
                Err(e) => {
                    log::warn!(
                        "the host's audit file was not written (kept for the next connection): {e}"
                    );
                    return;
                }
            }
        }
    }
}

async fn append_host_audit(remote: &Remote, project_dir: &str, line: &str) -> Result<(), String> {
    let script = format!(
        "mkdir -p {dir} && printf '%s\\n' {line} >> {file}",
        dir = quote(&format!(
            "{}/.pilothouse",
            project_dir.trim_end_matches('/')
        )),
        line = quote(line),
        file = quote(&audit_file(project_dir)),
    );
    match remote.sh(&script, std::time::Duration::from_secs(10)).await {
        Ok(out) if out.status == Some(0) => Ok(()),
        Ok(out) => Err(format!("exit {:?}", out.status)),
        Err(e) => Err(e),
    }
}

fn is_cancelled(set: &Mutex<HashSet<u64>>, id: u64) -> bool {
    set.lock().map(|s| s.contains(&id)).unwrap_or(false)
}

async fn run(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    links: Links,
    events: mpsc::Sender<JobEvent>,
    cancelled: Arc<Mutex<HashSet<u64>>>,
    stop: watch::Receiver<bool>,
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
                    backlog.flush(&r).await;
                }
                continue;
            }
            None => return,
        };
        let stopping = *stop.borrow();
        if is_cancelled(&cancelled, job.id) || stopping {
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
    let locks = job.plan.changes_state() && job.plan.kind != crate::ops::OpKind::BreakLock;
    if locks && let Err(refused) = lock_or_refuse(job, remote, events).await {
        return refused;
    }
    // While it holds the lock, the console says it is alive (the owner file's time).
    let _heartbeat = locks.then(|| heartbeat(job, remote));
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
    let record = AuditRecord {
        time: unix_now(),
        operator: &job.owner.operator,
        environment: &job.env_name,
        action: job.plan.kind.label(),
        targets: &job.plan.targets,
        commands: job.plan.steps.iter().map(|s| s.command.as_str()).collect(),
        exit_codes: &codes,
        result: outcome,
        error: error.as_deref(),
        duration_ms: started.elapsed().as_millis(),
        interrupted,
    };
    let line = serde_json::to_string(&record).unwrap_or_default();
    append_local_audit(&line);
    // Written now when the host answers; else as soon as it does again. An unknown
    // outcome from a lost connection waits for the next one (this one is gone).
    let lost = outcome == Outcome::Unknown && !interrupted;
    if lost {
        backlog.0.push((job.project_dir.clone(), line));
    } else {
        backlog.write(remote, &job.project_dir, line).await;
    }
    if let Some(url) = &ctx.links.webhook
        && matches!(
            job.plan.kind,
            crate::ops::OpKind::Deploy { .. } | crate::ops::OpKind::Rollback { .. }
        )
    {
        notify_webhook(url, &record, job, events).await;
    }
    (outcome, error)
}

/// Whether the automatic rollback runs: a step failed after the plan began to change
/// things, or the operator cancelled it after that (a deploy stopped halfway would
/// leave the env file and some containers on the new tag with no health gate passed).
fn began_changing(outcome: Outcome, failed_at: Option<usize>, undo: &crate::ops::Undo) -> bool {
    match (outcome, failed_at) {
        (Outcome::Failed, Some(at)) => at >= undo.from_step,
        (Outcome::Cancelled, Some(first_not_run)) => first_not_run > undo.from_step,
        _ => false,
    }
}

/// Takes the host lock; Err with the item's end when it cannot.
async fn lock_or_refuse(
    job: &Job,
    remote: &Remote,
    events: &mpsc::Sender<JobEvent>,
) -> Result<(), (Outcome, Option<String>)> {
    match take_lock(job, remote).await {
        Ok(None) => Ok(()),
        Ok(Some(owner)) => {
            let _ = events
                .send(JobEvent::LockHeld {
                    id: job.id,
                    owner: crate::model::job::LockOwner::from_json(&owner),
                })
                .await;
            Err((
                Outcome::Failed,
                Some(format!(
                    "the host is locked by another console: {}; nothing ran",
                    crate::model::job::LockOwner::from_json(&owner)
                )),
            ))
        }
        Err(e) => Err((
            Outcome::Failed,
            Some(format!("could not take the host lock: {e}; nothing ran")),
        )),
    }
}

/// Touches the lock's owner file every [`HEARTBEAT_EVERY`] until dropped, so another
/// console can tell a lock held by a live console from one left by a stopped one.
fn heartbeat(job: &Job, remote: &Remote) -> AbortOnDrop {
    let remote = remote.clone();
    let file = format!("{}/owner.json", lock_dir(&job.project_dir));
    AbortOnDrop(tokio::spawn(async move {
        let script = format!("touch -c {}", quote(&file));
        loop {
            tokio::time::sleep(HEARTBEAT_EVERY).await;
            if let Err(e) = remote.sh(&script, std::time::Duration::from_secs(10)).await {
                log::debug!("lock heartbeat: {e}");
            }
        }
    }))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn notify_webhook(
    url: &crate::config::HttpUrl,
    record: &AuditRecord<'_>,
    job: &Job,
    events: &mpsc::Sender<JobEvent>,
) {
    let mut body = serde_json::to_value(record).unwrap_or_default();
    body["changes"] = job
        .plan
        .changes
        .iter()
        .map(|(s, from, to)| serde_json::json!({"service": s, "from": from, "to": to}))
        .collect();
    let line = match super::webhook::notify(url, &body).await {
        Ok(status) => format!("webhook told (HTTP {status})"),
        Err(e) => {
            log::warn!("the deploy webhook was not told: {e}");
            format!("webhook NOT told: {e}")
        }
    };
    let _ = events.send(JobEvent::Output { id: job.id, line }).await;
}

/// Which steps of an item run: the plan's own, or its automatic rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Plan,
    Rollback,
}

/// How one step ended.
enum StepResult {
    Done,
    Failed {
        code: i32,
        why: String,
    },
    /// The transport failed: it may or may not have happened.
    Unknown(String),
}

/// What the steps of one item run with.
struct StepContext<'a> {
    job: &'a Job,
    remote: &'a Remote,
    links: &'a Links,
    events: &'a mpsc::Sender<JobEvent>,
    cancelled: &'a Mutex<HashSet<u64>>,
    /// True once the console is stopping.
    stop: &'a watch::Receiver<bool>,
}

impl StepContext<'_> {
    /// Runs the plan's undo steps after `why`; the item's end.
    async fn roll_back(
        &self,
        undo: &crate::ops::Undo,
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
    async fn run_steps(
        &self,
        steps: &[crate::ops::Step],
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
                StepResult::Done => {}
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

    async fn output(&self, line: String) {
        let _ = self
            .events
            .send(JobEvent::Output {
                id: self.job.id,
                line,
            })
            .await;
    }

    /// The deploy's health gate: every target running and healthy within the limit.
    async fn wait_healthy(&self, services: &[(String, String)], timeout_secs: u64) -> StepResult {
        let Some(docker) = self.links.docker.borrow().clone() else {
            return StepResult::Unknown("not connected to the engine".into());
        };
        let (tx, mut rx) = mpsc::channel::<String>(64);
        let forward = async {
            while let Some(line) = rx.recv().await {
                self.output(line).await;
            }
        };
        let wait = async {
            let gate = super::gate::wait_healthy(
                &docker,
                &self.job.project,
                services,
                std::time::Duration::from_secs(timeout_secs),
                &tx,
            )
            .await;
            drop(tx);
            gate
        };
        let (gate, ()) = tokio::join!(wait, forward);
        match gate {
            super::gate::Gate::Healthy => StepResult::Done,
            super::gate::Gate::Failed(why) => {
                self.output(format!("health gate failed: {why}")).await;
                StepResult::Failed {
                    code: 1,
                    why: format!("failed the health gate: {why}"),
                }
            }
            super::gate::Gate::Lost(why) => StepResult::Unknown(why),
        }
    }

    /// The deploy's smoke check: the targets' configured health endpoints answer.
    async fn smoke(&self, services: &[String]) -> StepResult {
        let endpoints: Vec<crate::config::Endpoint> = self
            .links
            .endpoints
            .iter()
            .filter(|e| services.iter().any(|s| s == e.service_name()))
            .cloned()
            .collect();
        let answers = super::health::check_all(self.remote, &endpoints, unix_now()).await;
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

    async fn exec(&self, step: &crate::ops::Step) -> StepResult {
        use crate::ops::Exec;
        match &step.exec {
            Exec::Shell => {
                match shell_step(self.job.id, &step.command, self.remote, self.events).await {
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
        }
    }
}

/// Runs a shell step with its output streamed into the item: the exit code, None or
/// 255 when the transport failed.
async fn shell_step(
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
async fn terminate_step(
    pid: i32,
    backend_start: i64,
    db: &DbLink,
) -> Result<String, super::db::DbFailure> {
    use super::db::DbFailure;
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
    let request = super::db::DbRequest {
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

use crate::time::unix_now;

/// Takes the lock: None when taken, Some(owner) when someone else holds it.
async fn take_lock(job: &Job, remote: &Remote) -> Result<Option<String>, String> {
    let owner = serde_json::json!({
        "operator": job.owner.operator,
        "action": job.plan.title(),
        "pid": job.owner.pid,
        "console": job.owner.console,
        "since": unix_now(),
    })
    .to_string();
    let dir = lock_dir(&job.project_dir);
    // mkdir is atomic: exactly one console creates the directory.
    let script = format!(
        "mkdir -p {parent} && if mkdir {dir} 2>/dev/null; then printf '%s' {owner} > {dir}/owner.json && echo TAKEN; else echo HELD; cat {dir}/owner.json 2>/dev/null; fi",
        parent = quote(&format!(
            "{}/.pilothouse",
            job.project_dir.trim_end_matches('/')
        )),
        dir = quote(&dir),
        owner = quote(&owner),
    );
    let out = remote
        .sh(&script, std::time::Duration::from_secs(15))
        .await
        .map_err(|e| format!("{e} (the lock may have been taken by this console)"))?;
    if out.status == Some(255) {
        return Err(
            "the SSH connection failed (the lock may have been taken by this console)".into(),
        );
    }
    lock_answer(&out, "TAKEN")
}

/// A lock script's answer: `free` (the lock is free, or now ours) on its first line,
/// or HELD and the owner file (sanitized).
fn lock_answer(out: &super::remote::ScriptOutput, free: &str) -> Result<Option<String>, String> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    match lines.next() {
        Some(first) if first == free => Ok(None),
        Some("HELD") => Ok(Some(crate::logs::sanitize::clean_str(
            lines.collect::<Vec<_>>().join(" ").as_bytes(),
        ))),
        _ => Err(format!(
            "unexpected answer: {}",
            crate::logs::sanitize::clean_str(&out.stderr)
        )),
    }
}

/// Reads the lock: None when it is free, else its owner file (sanitized; empty when
/// the directory has none).
pub async fn read_lock(remote: &Remote, project_dir: &str) -> Result<Option<String>, String> {
    let dir = lock_dir(project_dir);
    // The owner file's age, by the host's own clock: how long its console has been
    // quiet (a console holding the lock touches it every HEARTBEAT_EVERY).
    let script = format!(
        "if [ -d {dir} ]; then echo HELD; f={dir}/owner.json; if [ -f \"$f\" ]; then echo \"quiet=$(( $(date +%s) - $(stat -c %Y \"$f\") ))\"; head -c 4096 \"$f\"; fi; else echo FREE; fi",
        dir = quote(&dir),
    );
    let out = remote
        .sh(&script, std::time::Duration::from_secs(15))
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let quiet = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("quiet="))
        .and_then(|n| n.trim().parse::<i64>().ok());
    let owner = lock_answer(&out, "FREE")?;
    Ok(owner.map(|o| with_quiet(&o, quiet)))
}

/// The owner JSON (after its `quiet=N` line) with `quiet_secs` added.
fn with_quiet(answer: &str, quiet: Option<i64>) -> String {
    let json = match answer.split_once(' ') {
        Some((first, rest)) if first.starts_with("quiet=") => rest,
        _ => answer,
    };
    match (serde_json::from_str::<serde_json::Value>(json), quiet) {
        (Ok(mut v), Some(q)) if v.is_object() => {
            v["quiet_secs"] = serde_json::json!(q);
            v.to_string()
        }
        _ => json.to_string(),
    }
}

/// Releases the lock if it is still this console's.
async fn release_lock(job: &Job, remote: &Remote) -> Result<(), String> {
    let dir = lock_dir(&job.project_dir);
    let script = format!(
        "grep -qF {token} {dir}/owner.json 2>/dev/null && rm -rf {dir}",
        token = quote(&job.owner.console),
        dir = quote(&dir),
    );
    remote
        .sh(&script, std::time::Duration::from_secs(15))
        .await
        .map(|_| ())
}

/// Appends to `$XDG_STATE_HOME/pilothouse/audit.jsonl` (0600).
fn append_local_audit(line: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = crate::config::state_dir();
    let _ = std::fs::create_dir_all(&dir);
    match std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(dir.join("audit.jsonl"))
    {
        Ok(mut f) => {
            let _ = writeln!(f, "{line}");
        }
        Err(e) => log::warn!("the local audit file was not written: {e}"),
    }
}

/// Reads the newest records of the host's audit file.
pub async fn read_audit(remote: &Remote, project_dir: &str) -> Result<Vec<AuditEntry>, String> {
    let script = format!(
        "f={}; if [ -f \"$f\" ]; then tail -n 500 \"$f\"; fi",
        quote(&audit_file(project_dir))
    );
    let out = remote
        .sh(&script, std::time::Duration::from_secs(15))
        .await?;
    if out.status != Some(0) {
        return Err(format!(
            "reading the audit file failed: {}",
            crate::logs::sanitize::clean_str(&out.stderr)
        ));
    }
    Ok(parse_audit(&String::from_utf8_lossy(&out.stdout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_lines_parse_newest_first_and_junk_is_skipped() {
        let text = "{\"time\":1,\"operator\":\"a@b\",\"environment\":\"staging\",\"action\":\"restart\",\"targets\":[\"web\"],\"exit_codes\":[0],\"result\":\"succeeded\",\"duration_ms\":12}\nnot json\n{\"time\":2,\"operator\":\"c@d\\u001b]0;x\",\"action\":\"stop\",\"targets\":[],\"exit_codes\":[null],\"result\":\"unknown\"}\n";
        let a = parse_audit(text);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].time, a[0].exit_codes.as_str()), (2, "?"));
        assert!(!a[0].operator.contains('\u{1b}'));
        assert_eq!(
            (a[1].targets.as_str(), a[1].exit_codes.as_str()),
            ("web", "0")
        );
    }
}

//! The actor of one environment: it owns the environment's connection (SSH session,
//! forwarded Docker socket, bollard client), starts the engine watch and the monitors on
//! it, runs confirmed items through the runner, and speaks to the UI only in
//! [`BackendEvent`]s. It reconnects with a backoff when the connection is lost.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::audit::snapshot;
use crate::connection::{forwards, link, remote};
use crate::engine::compose::declared;
use crate::engine::swarm::stack_file;
use crate::engine::{self, docker, logs};
use crate::monitor::pace::Pace;
use crate::monitor::{checks, counters, db, health, queues, tags};
use crate::report::{Outcome, Reporter};
use crate::runner;
use pilothouse_core::config::{Environment, Watched};
use pilothouse_core::model::event::BackendEvent;
use pilothouse_core::model::timeline::TimelineEvent;

/// How often the engine is pinged over SSH: the latency shown, and how a silently dead
/// connection is noticed (a ping that gets no answer in [`PING_LIMIT`] drops it).
pub const HEARTBEAT: Duration = Duration::from_secs(2);
pub const PING_LIMIT: Duration = Duration::from_millis(2500);
/// How often while the environment is not on screen (a row of the fleet, a tab not
/// shown): a lost connection is then noticed within this and [`PING_LIMIT`], if ssh's own
/// keepalive has not noticed first; coming on screen pings at once.
pub const BACKGROUND_HEARTBEAT: Duration = Duration::from_secs(10);
/// The longest a change may take to read (a container inspected, a swarm's services,
/// tasks and nodes listed): beyond it the engine is taken as gone.
pub const CHANGE_LIMIT: Duration = Duration::from_secs(10);
/// Reconnect backoff: 1 s doubling to 30 s.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What the UI can ask of an environment's actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvCommand {
    /// Drop any connection and connect now, without waiting for the backoff.
    ReconnectNow,
    /// Follow these logs (or none) from now on.
    Logs(Option<pilothouse_core::model::requests::LogRequest>),
    /// Run a confirmed item (after the ones before it).
    Run(Box<pilothouse_core::ops::Job>),
    /// Cancel an item: skipped if it has not started, stopped before its next step if
    /// it has.
    Cancel(u64),
    /// The console is stopping: start nothing more, stop the running item at its next
    /// step boundary (its current step gets a bounded time), audit it, release the lock.
    Interrupt,
    /// The interactive step of item `id` (a shell) ended on the console's terminal:
    /// its exit code (None: killed by a signal, or it did not start, with why).
    ShellEnded {
        id: u64,
        code: Option<i32>,
        error: Option<String>,
    },
    /// Whether the environment is on screen: usage is read at `stats_interval` when it
    /// is, at `background_stats_interval` when not.
    OnScreen(bool),
    /// Read the host's audit records.
    ReadAudit,
    /// Read the tags these repositories have on the host and in the registry.
    ReadTags(Vec<String>),
    /// Read a swarm's stack file (its path, the stack it is deployed as).
    ReadStackFile { path: String, stack: String },
    /// Write an incident snapshot (with the host's logs and audit when connected).
    Snapshot(Box<pilothouse_core::model::requests::SnapshotRequest>),
    /// The queue whose failed jobs the queues view lists (None: the view is closed).
    QueueFocus(Option<String>),
    /// The container whose details (health checks) are on screen (None: none is).
    DetailFocus(Option<String>),
    /// Open or close a port forward.
    Forward(forwards::ForwardCommand),
    /// Close the connection (removing the forwarded socket) and stop.
    Shutdown,
}

/// The UI's handle on an environment's actor.
#[derive(Debug)]
pub struct EnvHandle {
    /// Unbounded: commands come from keys, and the UI never waits.
    pub commands: mpsc::UnboundedSender<EnvCommand>,
    pub task: JoinHandle<()>,
}

/// Starts the actor for environment number `index`; its events arrive on `events`
/// tagged with that index.
pub fn spawn(
    index: usize,
    env: Environment,
    watched: Watched,
    events: mpsc::Sender<(usize, BackendEvent)>,
) -> EnvHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(actor(index, env, watched, events, rx));
    EnvHandle { commands: tx, task }
}

/// A runner's event with the secrets in its text masked (step output, the error).
fn masked_job_event(
    ev: pilothouse_core::model::job::JobEvent,
) -> pilothouse_core::model::job::JobEvent {
    use pilothouse_core::model::job::JobEvent;
    match ev {
        JobEvent::Output { id, line } => JobEvent::Output {
            id,
            line: pilothouse_core::mask::string(&line),
        },
        JobEvent::Finished { id, outcome, error } => JobEvent::Finished {
            id,
            outcome,
            error: error.map(|e| pilothouse_core::mask::string(&e)),
        },
        other => other,
    }
}

async fn actor(
    index: usize,
    env: Environment,
    watched: Watched,
    events: mpsc::Sender<(usize, BackendEvent)>,
    mut commands: mpsc::UnboundedReceiver<EnvCommand>,
) {
    let events_for_logs = events.clone();
    let report = Reporter { index, events };
    let mut followers = logs::Followers::new(logs::LogSink::Console {
        env: index,
        events: events_for_logs.clone(),
    });
    if env.error_bursts {
        let every = env.error_bursts_interval.0;
        followers = followers.watch_errors(index, events_for_logs, every);
    }
    // The action runner outlives connections: it learns the current one through
    // `remote`, and an item whose connection goes mid-step ends as unknown.
    let (remote_tx, remote_rx) = tokio::sync::watch::channel(None);
    let (job_tx, mut job_rx) = mpsc::channel(256);
    let (db_tx, db_rx) = tokio::sync::watch::channel(None);
    let (docker_tx, docker_rx) = tokio::sync::watch::channel(None);
    let focus = Focus {
        queue: tokio::sync::watch::channel(None).0,
        details: tokio::sync::watch::channel(None).0,
        on_screen: tokio::sync::watch::channel(true).0,
    };
    let links = runner::links::Links {
        remote: remote_rx,
        db: db_rx,
        docker: docker_rx,
        endpoints: env.health.endpoints.clone(),
        webhook: env.deploy.webhook.clone(),
    };
    let (runner, runner_task) = runner::spawn(links, job_tx);
    let _runner_task = AbortOnDrop(runner_task);
    let (forwards_tx, _forwards_task) = spawn_forwards(&env, remote_tx.subscribe(), &report);
    let forward = report.clone();
    let _job_events = AbortOnDrop(tokio::spawn(async move {
        while let Some(ev) = job_rx.recv().await {
            if !forward.send(BackendEvent::Job(masked_job_event(ev))).await {
                return;
            }
        }
    }));
    let mut backoff = BACKOFF_FIRST;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        if !report.send(BackendEvent::Connecting { attempt }).await {
            return;
        }
        let started = Instant::now();
        let mut io = Io {
            report: &report,
            forwards: &forwards_tx,
            commands: &mut commands,
            followers: &mut followers,
            runner: &runner,
            remote: &remote_tx,
            db: &db_tx,
            docker: &docker_tx,
            focus: &focus,
        };
        let error = match connection(&env, &watched, &mut io).await {
            Outcome::Shutdown => return,
            Outcome::Lost(e) => e,
        };
        log::warn!("{}: connection lost: {error}", env.describe());
        // A connection that held for a while starts the backoff afresh.
        if started.elapsed() > BACKOFF_MAX {
            backoff = BACKOFF_FIRST;
        }
        if !report
            .send(BackendEvent::Disconnected {
                error,
                retry_in: backoff,
            })
            .await
        {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => backoff = (backoff * 2).min(BACKOFF_MAX),
            cmd = commands.recv() => {
                let here = Here { env: &env, report: &report, runner: &runner, forwards: &forwards_tx, focus: &focus, remote: None, docker: None };
                match dispatch(cmd, &here, &mut followers) {
                    Next::Reconnect => backoff = BACKOFF_FIRST,
                    Next::Shutdown => return,
                    Next::Continue | Next::LogsChanged | Next::OnScreen(_) => {}
                }
            }
        }
    }
}

/// What a connection talks through: the UI both ways, and the log followers.
struct Io<'a> {
    report: &'a Reporter,
    forwards: &'a mpsc::UnboundedSender<forwards::ForwardCommand>,
    commands: &'a mut mpsc::UnboundedReceiver<EnvCommand>,
    followers: &'a mut logs::Followers,
    runner: &'a runner::RunnerHandle,
    /// Tells the runner which connection to use (None: there is none).
    remote: &'a tokio::sync::watch::Sender<Option<remote::Remote>>,
    /// Tells the runner where database steps go (None: no pool monitor now).
    db: &'a tokio::sync::watch::Sender<Option<mpsc::Sender<db::DbRequest>>>,
    /// Tells the runner which engine client to use (the deploy's health gate).
    docker: &'a tokio::sync::watch::Sender<Option<bollard::Docker>>,
    /// What the console looks at.
    focus: &'a Focus,
}

/// What the console looks at, kept across connections: the queue whose failed jobs the
/// queue monitor lists, and the container whose health checks the detail pane shows
/// (re-read at the usage interval: the engine sends no event per check).
struct Focus {
    queue: tokio::sync::watch::Sender<Option<String>>,
    details: tokio::sync::watch::Sender<Option<String>>,
    /// Whether the environment is on screen (kept across connections: a new one starts
    /// at the pace the last was told).
    on_screen: tokio::sync::watch::Sender<bool>,
}

/// One connection, from connect to loss (or shutdown).
async fn connection(env: &Environment, watched: &Watched, io: &mut Io<'_>) -> Outcome {
    // Connecting can take up to the connect timeout; commands still get an answer.
    let open = link::Link::open(env);
    tokio::pin!(open);
    let tunnel = loop {
        tokio::select! {
            t = &mut open => break t,
            cmd = io.commands.recv() => {
                let here = Here { env, report: io.report, runner: io.runner, forwards: io.forwards, focus: io.focus, remote: None, docker: None };
                match dispatch(cmd, &here, io.followers) {
                    Next::Reconnect => return Outcome::Lost("reconnecting (requested)".into()),
                    Next::Shutdown => return Outcome::Shutdown,
                    Next::Continue | Next::LogsChanged | Next::OnScreen(_) => {}
                }
            }
        }
    };
    let tunnel = match tunnel {
        Ok(t) => t,
        Err(e) => return Outcome::Lost(e),
    };
    io.remote.send_replace(Some(tunnel.remote()));
    let outcome = watch(&tunnel, env, watched, io).await;
    io.remote.send_replace(None);
    io.db.send_replace(None);
    io.docker.send_replace(None);
    io.followers.stop_all();
    tunnel.close().await;
    outcome
}

async fn watch(
    tunnel: &link::Link,
    env: &Environment,
    watched: &Watched,
    io: &mut Io<'_>,
) -> Outcome {
    let every = env.stats_interval.0;
    let report = io.report;
    let cadence = counters::Cadence {
        every,
        background: env.background_stats_interval.0.max(every),
    };
    let connected =
        engine::Connected::connect(tunnel.docker_socket(), tunnel.remote(), watched, cadence).await;
    let (mut engine, version) = match connected {
        Ok(e) => e,
        Err(e) => {
            let remote = tunnel.remote();
            let said = docker::explain_socket(&remote, env.docker_socket.as_str(), &e).await;
            return Outcome::Lost(said);
        }
    };
    io.docker.send_replace(Some(engine.docker().clone()));
    engine.set_on_screen(*io.focus.on_screen.borrow());
    engine.watch_details(io.focus.details.subscribe());
    let docker_root = match engine.begin(version, report).await {
        Ok(root) => root,
        Err(end) => return end,
    };
    // Health and the database pool run beside the container watch, on their own
    // cadence; their failures are theirs and never end the connection.
    let focus = io.focus.queue.subscribe();
    let docker = engine.docker().clone();
    let pace = Pace::new(io.focus.on_screen.subscribe(), env.background_interval.0);
    let (_monitors, db_requests) =
        start_monitors(tunnel, env, (docker_root, docker, focus, pace), report);
    io.db.send_replace(db_requests);
    if let Err(end) = engine.settle(report, io.followers).await {
        return end;
    }
    let _timeline = read_timeline(engine.docker(), tunnel.remote(), env, report);
    // One timer for the heartbeat and the usage batches, so that both land together and
    // the screen is redrawn once for them, not twice.
    let mut beat = Beat::new(*io.focus.on_screen.borrow(), every, cadence.background);
    let mut tick = beat.timer();
    let slack = Duration::from_millis(100);
    let mut last_ping: Option<Instant> = None;
    let mut last_flush = Instant::now();
    loop {
        let event = tokio::select! {
            _ = tick.tick() => {
                if last_ping.is_none_or(|t| t.elapsed() + slack >= beat.period()) {
                    last_ping = Some(Instant::now());
                    match engine.ping(PING_LIMIT).await {
                        Ok(rtt) => {
                            if !report.send(BackendEvent::Latency(rtt)).await {
                                return Outcome::Shutdown;
                            }
                        }
                        Err(e) => return Outcome::Lost(e),
                    }
                }
                if last_flush.elapsed() + slack < every {
                    continue;
                }
                let usage = engine.take_usage();
                if usage.is_empty() {
                    continue;
                }
                last_flush = Instant::now();
                BackendEvent::Stats(usage)
            },
            change = engine.next_change() => match change {
                // Bounded: a read that hangs (an engine frozen mid-read) would hold the
                // loop, and with it the heartbeat that would have seen it.
                Ok(()) => match tokio::time::timeout(CHANGE_LIMIT, changed(&mut engine, report, io.followers)).await {
                    Ok(Ok(Some(event))) => event,
                    Ok(Ok(None)) => continue,
                    Ok(Err(end)) => return end,
                    Err(_) => {
                        return Outcome::Lost(format!(
                            "the engine did not answer a read within {} s",
                            CHANGE_LIMIT.as_secs()
                        ));
                    }
                },
                Err(e) => return Outcome::Lost(e),
            },
            cmd = io.commands.recv() => {
                let here = Here { env, report, runner: io.runner, forwards: io.forwards, focus: io.focus, remote: Some(tunnel.remote()), docker: Some(engine.docker()) };
                match dispatch(cmd, &here, io.followers) {
                    Next::Continue => {}
                    // A new request: every known container is followed as it asks.
                    Next::LogsChanged => engine.follow_requested(io.followers),
                    Next::OnScreen(on) => {
                        engine.set_on_screen(on);
                        // On screen: a ping at once (the new timer's first tick).
                        if beat.show(on) {
                            tick = beat.timer();
                            last_ping = last_ping.filter(|_| !on);
                        }
                    }
                    Next::Reconnect => return Outcome::Lost("reconnecting (requested)".into()),
                    Next::Shutdown => return Outcome::Shutdown,
                }
                continue;
            }
        };
        if !report.send(event).await {
            return Outcome::Shutdown;
        }
    }
}

/// The connection loop's timer and the heartbeat, on screen or off.
struct Beat {
    on_screen: bool,
    /// The usage interval on screen and off it.
    every: Duration,
    background: Duration,
}

impl Beat {
    fn new(on_screen: bool, every: Duration, background: Duration) -> Beat {
        Beat {
            on_screen,
            every,
            background,
        }
    }

    /// On screen or off; whether that changed.
    fn show(&mut self, on: bool) -> bool {
        std::mem::replace(&mut self.on_screen, on) != on
    }

    /// How often the engine is pinged.
    fn period(&self) -> Duration {
        if self.on_screen {
            HEARTBEAT
        } else {
            BACKGROUND_HEARTBEAT
        }
    }

    /// One timer for the heartbeat and the usage batches.
    fn timer(&self) -> tokio::time::Interval {
        let usage = if self.on_screen {
            self.every
        } else {
            self.background
        };
        let mut tick = tokio::time::interval(usage.min(self.period()));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    }
}

/// What the change just read means: its timeline entry first (an engine event), then
/// what the console is told, or the connection's end.
async fn changed(
    engine: &mut engine::Connected,
    report: &Reporter,
    followers: &mut logs::Followers,
) -> Result<Option<BackendEvent>, Outcome> {
    if let Some(entry) = engine.timeline_entry()
        && !report
            .send(BackendEvent::Timeline(TimelineEvent::Happened(entry)))
            .await
    {
        return Err(Outcome::Shutdown);
    }
    let told = engine.on_change(followers).await;
    for entry in engine.take_timeline() {
        if !report
            .send(BackendEvent::Timeline(TimelineEvent::Happened(entry)))
            .await
        {
            return Err(Outcome::Shutdown);
        }
    }
    told
}

/// Where a command is carried out: the environment, the way back to the console, the
/// runner, and the connection's remote shell and engine when there is one.
struct Here<'a> {
    env: &'a Environment,
    report: &'a Reporter,
    runner: &'a runner::RunnerHandle,
    forwards: &'a mpsc::UnboundedSender<forwards::ForwardCommand>,
    focus: &'a Focus,
    remote: Option<remote::Remote>,
    docker: Option<&'a bollard::Docker>,
}

/// What the actor does after a command.
enum Next {
    Continue,
    /// The log request changed (the caller follows what it now asks for).
    LogsChanged,
    /// The environment came on screen or left it.
    OnScreen(bool),
    Reconnect,
    Shutdown,
}

/// The one place a command from the console is carried out, connected or not.
fn dispatch(cmd: Option<EnvCommand>, here: &Here<'_>, followers: &mut logs::Followers) -> Next {
    match cmd {
        Some(EnvCommand::ReconnectNow) => return Next::Reconnect,
        Some(EnvCommand::OnScreen(on)) => {
            here.focus.on_screen.send_replace(on);
            return Next::OnScreen(on);
        }
        Some(EnvCommand::QueueFocus(q)) => {
            here.focus.queue.send_replace(q);
        }
        Some(EnvCommand::DetailFocus(id)) => {
            here.focus.details.send_replace(id);
        }
        Some(EnvCommand::Forward(cmd)) => {
            let _ = here.forwards.send(cmd);
        }
        Some(EnvCommand::Logs(req)) => {
            followers.set_request(req);
            return Next::LogsChanged;
        }
        Some(EnvCommand::Run(job)) => here.runner.submit(*job),
        Some(EnvCommand::Cancel(id)) => here.runner.cancel(id),
        Some(EnvCommand::Interrupt) => here.runner.interrupt(),
        Some(EnvCommand::ShellEnded { id, code, error }) => {
            let end = crate::runner::ShellEnd { id, code, error };
            let _ = here.runner.shell_ended.send(end);
        }
        Some(EnvCommand::ReadAudit) => read_audit(here.remote.clone(), here.env, here.report),
        Some(EnvCommand::ReadTags(repos)) => read_tags(here.remote.clone(), repos, here.report),
        Some(EnvCommand::ReadStackFile { path, stack }) => {
            read_stack_file(here.remote.clone(), path, stack, here.report);
        }
        Some(EnvCommand::Snapshot(req)) => {
            write_snapshot(*req, here.remote.clone(), here.docker.cloned(), here.report)
        }
        Some(EnvCommand::Shutdown) | None => return Next::Shutdown,
    }
    Next::Continue
}

/// Starts the environment's forwards task; its events go to the console.
fn spawn_forwards(
    env: &Environment,
    remote: tokio::sync::watch::Receiver<Option<remote::Remote>>,
    report: &Reporter,
) -> (
    mpsc::UnboundedSender<forwards::ForwardCommand>,
    (AbortOnDrop, AbortOnDrop),
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = mpsc::channel(64);
    let task = tokio::spawn(forwards::run(env.forwards.clone(), remote, rx, ev_tx));
    let report = report.clone();
    let relay = tokio::spawn(async move {
        while let Some(ev) = ev_rx.recv().await {
            if !report.send(BackendEvent::Forward(ev)).await {
                return;
            }
        }
    });
    (tx, (AbortOnDrop(task), AbortOnDrop(relay)))
}

/// Aborts the task when dropped: the monitors end with their connection.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How far back the timeline is read at connect: what the console keeps.
const TIMELINE_BACK_SECS: i64 = 7 * 86_400;

/// Reads the timeline once per connection, after the table is painted: what the
/// engine still knows, the audit trail, the env file's backups.
fn read_timeline(
    docker: &bollard::Docker,
    remote: remote::Remote,
    env: &Environment,
    report: &Reporter,
) -> AbortOnDrop {
    let (docker, env, forward) = (docker.clone(), env.clone(), report.clone());
    AbortOnDrop(tokio::spawn(async move {
        let since = pilothouse_core::model::timeline::Bound::Ago(TIMELINE_BACK_SECS);
        let ev =
            match crate::monitor::timeline::read_with(&docker, &remote, &env, since, None).await {
                Ok(read) => TimelineEvent::Read {
                    entries: read.entries,
                    clock_offset: read.clock_offset,
                    missing: read.missing,
                },
                Err(e) => TimelineEvent::Failed(e),
            };
        let _ = forward.send(BackendEvent::Timeline(ev)).await;
    }))
}

/// Reads once per connection which services the project declares (a compose
/// project's files, `engine/compose/declared.rs`; a swarm's stack file): one of them
/// with nothing running is missing.
fn start_declared(
    env: &Environment,
    remote: &remote::Remote,
    report: &Reporter,
) -> Option<AbortOnDrop> {
    let (remote, forward) = (remote.clone(), report.clone());
    if let Some(c) = env
        .compose()
        .filter(|c| pilothouse_core::ops::declared_services_command(c).is_some())
    {
        let c = c.clone();
        return Some(AbortOnDrop(tokio::spawn(async move {
            match declared::declared_services(&remote, &c).await {
                Some(Ok(list)) => {
                    let _ = forward.send(BackendEvent::Declared(list)).await;
                }
                Some(Err(e)) => log::warn!("the compose files' services could not be read: {e}"),
                None => {}
            }
        })));
    }
    env.swarm()?.stack_file.as_ref()?;
    let env = env.clone();
    Some(AbortOnDrop(tokio::spawn(async move {
        match stack_file_services(&remote, &env).await {
            Some(Ok(list)) => {
                let _ = forward.send(BackendEvent::Declared(list)).await;
            }
            Some(Err(e)) => log::warn!("the stack file's services could not be read: {e}"),
            None => {}
        }
    })))
}

/// Starts the health, checks, queue, declared-services and database monitors of a
/// connection.
fn start_monitors(
    tunnel: &link::Link,
    env: &Environment,
    (docker_root, docker, queue_focus, pace): (
        Option<String>,
        bollard::Docker,
        tokio::sync::watch::Receiver<Option<String>>,
        Pace,
    ),
    report: &Reporter,
) -> (Vec<AbortOnDrop>, Option<mpsc::Sender<db::DbRequest>>) {
    let remote = tunnel.remote();
    let mut db_requests = None;
    let mut tasks = Vec::new();
    if !env.checks.is_empty() {
        tasks.extend(start_checks(env, &remote, report, pace.clone()));
    }
    if let Some(settings) = &env.queues {
        tasks.extend(start_queue_monitor(
            settings,
            env,
            (&remote, docker),
            (queue_focus, pace.clone()),
            report,
        ));
    }
    tasks.extend(start_declared(env, &remote, report));
    let (health_tx, mut health_rx) = mpsc::channel(8);
    tasks.push(AbortOnDrop(tokio::spawn(health::watch(
        env.health.clone(),
        remote.clone(),
        docker_root,
        env.docker_socket.clone(),
        health_tx,
        pace.clone(),
    ))));
    let forward = report.clone();
    tasks.push(AbortOnDrop(tokio::spawn(async move {
        while let Some(ev) = health_rx.recv().await {
            if !forward.send(BackendEvent::Health(ev)).await {
                return;
            }
        }
    })));
    // The host lock is read on connect and then with the host's resources, so another
    // console's lock shows before an action runs into it.
    let lock_remote = remote.clone();
    let dir = env.host_dir().to_string();
    let every = env.health.host_interval.0;
    let forward = report.clone();
    let mut lock_pace = pace.clone();
    tasks.push(AbortOnDrop(tokio::spawn(async move {
        let mut last = None;
        loop {
            lock_pace.next(every, last).await;
            last = Some(tokio::time::Instant::now());
            match runner::lock::read_lock(&lock_remote, &dir).await {
                Ok(lock) => {
                    let lock = lock.map(|o| pilothouse_core::model::job::LockOwner::from_json(&o));
                    if !forward.send(BackendEvent::Lock(lock)).await {
                        return;
                    }
                }
                Err(e) => log::debug!("the host lock could not be read: {e}"),
            }
        }
    })));
    // The env file's secrets, learnt once per connection for masking (pilothouse_core::mask).
    let (secrets_remote, secrets_env) = (remote.clone(), env.clone());
    tasks.push(AbortOnDrop(tokio::spawn(async move {
        if let Err(e) = snapshot::learn_secrets(&secrets_remote, &secrets_env).await {
            log::warn!(
                "the env file's secrets are not known ({e}): only URL passwords and the containers' secret variables are masked"
            );
        }
    })));
    if let Some(db) = &env.database {
        let (pool_tx, mut pool_rx) = mpsc::channel(8);
        // A swarm environment has no env file (its URL comes from this machine).
        let env_file = env
            .compose()
            .map(|c| c.project_dir.join(&c.env_file))
            .unwrap_or_default();
        let (request_tx, request_rx) = mpsc::channel(4);
        db_requests = Some(request_tx);
        tasks.push(AbortOnDrop(tokio::spawn(db::watch(
            db.clone(),
            remote,
            env_file,
            pool_tx,
            (request_rx, pace),
        ))));
        let forward = report.clone();
        tasks.push(AbortOnDrop(tokio::spawn(async move {
            while let Some(ev) = pool_rx.recv().await {
                if !forward.send(BackendEvent::Pool(ev)).await {
                    return;
                }
            }
        })));
    }
    (tasks, db_requests)
}

/// The team's checks and their forwarder.
fn start_checks(
    env: &Environment,
    remote: &remote::Remote,
    report: &Reporter,
    pace: Pace,
) -> Vec<AbortOnDrop> {
    let place = checks::CheckPlace::of(env);
    let (tx, mut rx) = mpsc::channel(8);
    let runner = AbortOnDrop(tokio::spawn(checks::watch(
        env.checks.clone(),
        remote.clone(),
        place,
        (tx, pace),
    )));
    let forward = report.clone();
    let forwarder = AbortOnDrop(tokio::spawn(async move {
        while let Some(r) = rx.recv().await {
            let ev = pilothouse_core::model::health::HealthEvent::Check(Box::new(r));
            if !forward.send(BackendEvent::Health(ev)).await {
                return;
            }
        }
    }));
    vec![runner, forwarder]
}

/// The queue monitor and its forwarder.
fn start_queue_monitor(
    settings: &pilothouse_core::config::queues::QueueSettings,
    env: &Environment,
    (remote, docker): (&remote::Remote, bollard::Docker),
    (queue_focus, pace): (tokio::sync::watch::Receiver<Option<String>>, Pace),
    report: &Reporter,
) -> Vec<AbortOnDrop> {
    let target = queues::QueueTarget {
        docker: Some(docker),
        remote: remote.clone(),
        project: env
            .compose()
            .and_then(|c| c.effective_project_name())
            .map(|p| p.to_string()),
        env_file: env
            .compose()
            .map(|c| c.project_dir.join(&c.env_file))
            .unwrap_or_default(),
    };
    let (tx, mut rx) = mpsc::channel(4);
    let monitor = AbortOnDrop(tokio::spawn(queues::watch(
        settings.clone(),
        target,
        tx,
        (queue_focus, pace),
    )));
    let forward = report.clone();
    let forwarder = AbortOnDrop(tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if !forward.send(BackendEvent::Queues(ev)).await {
                return;
            }
        }
    }));
    vec![monitor, forwarder]
}

/// Reads the tags of `repos` in a task of its own; the answer comes as an event.
fn read_tags(remote: Option<remote::Remote>, repos: Vec<String>, report: &Reporter) {
    let report = report.clone();
    tokio::spawn(async move {
        let result = match remote {
            Some(r) => tags::read(&r, &repos).await,
            None => Err("not connected to the host".into()),
        };
        let _ = report.send(BackendEvent::Tags(result)).await;
    });
}

/// Reads a stack file on the host in a task of its own; it comes back as an event.
fn read_stack_file(remote: Option<remote::Remote>, path: String, stack: String, report: &Reporter) {
    let report = report.clone();
    tokio::spawn(async move {
        let result = match remote {
            None => Err("not connected to the host".to_string()),
            Some(r) => stack_file_of(&r, &path, &stack).await,
        };
        let _ = report.send(BackendEvent::StackFile(result)).await;
    });
}

/// The stack file at `path` on the host, read for `stack`.
pub async fn stack_file_of(
    remote: &remote::Remote,
    path: &str,
    stack: &str,
) -> Result<pilothouse_core::model::swarm::StackFile, String> {
    let script = format!("cat -- {}", pilothouse_core::shell::quote(path));
    let out = remote.poll(&script, Duration::from_secs(15)).await?;
    if out.status != Some(0) {
        return Err(pilothouse_core::text::clean(
            &format!(
                "cannot read {path}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            300,
        ));
    }
    stack_file::parse(&String::from_utf8_lossy(&out.stdout), stack, path)
}

/// The services a swarm environment's stack file declares (`STACK_service`), when it
/// has one for exactly one watched stack: a service it names that the manager lacks
/// is missing.
pub async fn stack_file_services(
    remote: &remote::Remote,
    env: &Environment,
) -> Option<Result<Vec<String>, String>> {
    let sw = env.swarm()?;
    let (Some(path), [stack]) = (sw.stack_file.as_ref(), sw.stacks.as_slice()) else {
        return None;
    };
    let file = stack_file_of(remote, path.as_str(), stack.as_str()).await;
    Some(file.map(|f| f.services.into_iter().map(|s| s.name).collect()))
}

/// Writes an incident snapshot in a task of its own; the path comes as an event.
fn write_snapshot(
    req: pilothouse_core::model::requests::SnapshotRequest,
    remote: Option<remote::Remote>,
    docker: Option<bollard::Docker>,
    report: &Reporter,
) {
    let report = report.clone();
    tokio::spawn(async move {
        let result = snapshot::write(req, remote, docker)
            .await
            .map(|p| p.display().to_string());
        let _ = report.send(BackendEvent::SnapshotWritten(result)).await;
    });
}

/// Reads the host's audit records in a task of its own; the answer comes as an event.
fn read_audit(remote: Option<remote::Remote>, env: &Environment, report: &Reporter) {
    let report = report.clone();
    let dir = env.host_dir().to_string();
    tokio::spawn(async move {
        let result = match remote {
            Some(r) => crate::audit::read_audit(&r, &dir).await,
            None => Err("not connected to the host".into()),
        };
        let _ = report.send(BackendEvent::Audit(result)).await;
    });
}

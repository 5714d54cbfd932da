//! I/O. One actor per environment owns its SSH session, forwarded Docker socket and
//! bollard client, and speaks to the UI only in [`BackendEvent`]s. Nothing here knows
//! about ratatui or crossterm.

pub mod docker;
pub mod link;
pub mod model;
pub mod ssh;
pub mod stats;

use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::Environment;
use model::{ContainerInfo, RunState, Usage};

/// How often the engine is pinged over SSH: the latency shown, and how a silently dead
/// connection is noticed (a ping that gets no answer in [`PING_LIMIT`] drops it).
pub const HEARTBEAT: Duration = Duration::from_secs(2);
pub const PING_LIMIT: Duration = Duration::from_millis(2500);
/// Reconnect backoff: 1 s doubling to 30 s.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What an environment's actor reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendEvent {
    /// Connecting (the first time, or again after a loss).
    Connecting { attempt: u32 },
    /// SSH is up, the Docker socket is forwarded and the engine answered.
    Connected { docker_version: String },
    /// The full list of the project's containers, fresh after every (re)connect.
    Snapshot(Vec<ContainerInfo>),
    /// A container was created or changed.
    Container(Box<ContainerInfo>),
    /// A container is gone.
    Removed { id: String },
    /// Round trip of the last heartbeat.
    Latency(Duration),
    /// The newest CPU and memory samples since the last batch, by container id; at most
    /// one batch per stats interval.
    Stats(Vec<(String, Usage)>),
    /// The connection is lost or could not be made; another attempt follows.
    Disconnected { error: String, retry_in: Duration },
}

/// What the UI can ask of an environment's actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvCommand {
    /// Drop any connection and connect now, without waiting for the backoff.
    ReconnectNow,
    /// Close the connection (removing the forwarded socket) and stop.
    Shutdown,
}

/// The UI's handle on an environment's actor.
#[derive(Debug)]
pub struct EnvHandle {
    pub commands: mpsc::Sender<EnvCommand>,
    pub task: JoinHandle<()>,
}

/// Starts the actor for environment number `index`; its events arrive on `events`
/// tagged with that index.
pub fn spawn(
    index: usize,
    env: Environment,
    project: String,
    events: mpsc::Sender<(usize, BackendEvent)>,
) -> EnvHandle {
    let (tx, rx) = mpsc::channel(8);
    let task = tokio::spawn(actor(index, env, project, events, rx));
    EnvHandle { commands: tx, task }
}

enum Outcome {
    Shutdown,
    Lost(String),
}

/// Sends an environment's events to the UI, tagged with its index.
struct Reporter {
    index: usize,
    events: mpsc::Sender<(usize, BackendEvent)>,
}

impl Reporter {
    /// False when the UI is gone (the actor then stops).
    async fn send(&self, ev: BackendEvent) -> bool {
        self.events.send((self.index, ev)).await.is_ok()
    }
}

async fn actor(
    index: usize,
    env: Environment,
    project: String,
    events: mpsc::Sender<(usize, BackendEvent)>,
    mut commands: mpsc::Receiver<EnvCommand>,
) {
    let report = Reporter { index, events };
    let mut backoff = BACKOFF_FIRST;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        if !report.send(BackendEvent::Connecting { attempt }).await {
            return;
        }
        let started = Instant::now();
        let error = match connection(&env, &project, &report, &mut commands).await {
            Outcome::Shutdown => return,
            Outcome::Lost(e) => e,
        };
        log::warn!("{}: connection lost: {error}", link::describe(&env));
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
            cmd = commands.recv() => match cmd {
                Some(EnvCommand::ReconnectNow) => backoff = BACKOFF_FIRST,
                Some(EnvCommand::Shutdown) | None => return,
            },
        }
    }
}

/// One connection, from connect to loss (or shutdown).
async fn connection(
    env: &Environment,
    project: &str,
    report: &Reporter,
    commands: &mut mpsc::Receiver<EnvCommand>,
) -> Outcome {
    // Connecting can take up to the connect timeout; commands still get an answer.
    let tunnel = tokio::select! {
        t = link::Link::open(env) => t,
        cmd = commands.recv() => return match cmd {
            Some(EnvCommand::ReconnectNow) => Outcome::Lost("reconnecting (requested)".into()),
            _ => Outcome::Shutdown,
        },
    };
    let tunnel = match tunnel {
        Ok(t) => t,
        Err(e) => return Outcome::Lost(e),
    };
    let outcome = watch(&tunnel, project, env.stats_interval.0, report, commands).await;
    tunnel.close().await;
    outcome
}

async fn watch(
    tunnel: &link::Link,
    project: &str,
    every: Duration,
    report: &Reporter,
    commands: &mut mpsc::Receiver<EnvCommand>,
) -> Outcome {
    let (docker, docker_version) = match docker::connect(tunnel.docker_socket()).await {
        Ok(d) => d,
        Err(e) => return Outcome::Lost(e),
    };
    // The daemon's clock is read alongside the listing, and events are subscribed from
    // two seconds before it, so nothing that happens between the list and the
    // subscription is missed. A replayed event only re-inspects a container.
    let (since, listed) =
        tokio::join!(docker::daemon_time(&docker), docker::list(&docker, project));
    let (since, listed) = match (since, listed) {
        (Ok(t), Ok(l)) => (t - 2, l),
        (Err(e), _) | (_, Err(e)) => return Outcome::Lost(e),
    };
    let mut events = Box::pin(docker::events(&docker, project, since));
    // First paint from the list alone (one request); the inspected rows replace it.
    let first: Vec<ContainerInfo> = listed
        .iter()
        .map(|c| docker::listed_info(c, project))
        .collect();
    if !report
        .send(BackendEvent::Connected { docker_version })
        .await
        || !report.send(BackendEvent::Snapshot(first)).await
    {
        return Outcome::Shutdown;
    }
    let containers = match docker::inspect_all(&docker, &listed, project).await {
        Ok(c) => c,
        Err(e) => return Outcome::Lost(e),
    };
    if !report
        .send(BackendEvent::Snapshot(containers.clone()))
        .await
    {
        return Outcome::Shutdown;
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (stats_tx, mut stats_rx) = mpsc::channel(64);
    let mut streams = stats::StatsStreams::new(docker.clone(), every, stats_tx);
    for c in &containers {
        streams.set_running(&c.id, c.run_state == RunState::Running);
    }
    let mut pending: Vec<(String, Usage)> = Vec::new();
    let mut flush = tokio::time::interval(every);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            Some(sample) = stats_rx.recv() => {
                match pending.iter_mut().find(|(id, _)| *id == sample.0) {
                    Some(p) => *p = sample,
                    None => pending.push(sample),
                }
                continue;
            },
            _ = flush.tick() => {
                if pending.is_empty() {
                    continue;
                }
                BackendEvent::Stats(std::mem::take(&mut pending))
            },
            ev = events.next() => match ev {
                Some(Ok(ev)) => match docker::event_target(&ev) {
                    Some((id, true)) => {
                        streams.set_running(&id, false);
                        BackendEvent::Removed { id }
                    }
                    Some((id, false)) => match docker::inspect(&docker, &id, project).await {
                        Ok(Some(info)) => {
                            streams.set_running(&id, info.run_state == RunState::Running);
                            BackendEvent::Container(Box::new(info))
                        }
                        Ok(None) => {
                            streams.set_running(&id, false);
                            BackendEvent::Removed { id }
                        }
                        Err(e) => return Outcome::Lost(e),
                    },
                    None => continue,
                },
                Some(Err(e)) => return Outcome::Lost(format!("docker events: {e}")),
                None => return Outcome::Lost("docker events stream ended".into()),
            },
            _ = heartbeat.tick() => match docker::ping(&docker, PING_LIMIT).await {
                Ok(rtt) => BackendEvent::Latency(rtt),
                Err(e) => return Outcome::Lost(e),
            },
            cmd = commands.recv() => match cmd {
                Some(EnvCommand::ReconnectNow) => return Outcome::Lost("reconnecting (requested)".into()),
                Some(EnvCommand::Shutdown) | None => return Outcome::Shutdown,
            },
        };
        if !report.send(event).await {
            return Outcome::Shutdown;
        }
    }
}

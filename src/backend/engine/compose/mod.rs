//! A compose project as an engine: its containers carry the compose labels; one listing
//! at (re)connect, then the engine's events stream drives every change; the running
//! containers' usage comes from their cgroup counters, read in one batch per interval
//! (`backend/counters.rs`).

pub mod declared;
pub mod gate;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::pin::Pin;

use bollard::models::{ContainerSummary, EventMessage};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

use crate::connection::remote::Remote;
use crate::engine::logs::{Followable, Followers};
use crate::monitor::counters::{Cadence, Counters};
use crate::{
    engine::docker,
    report::{Outcome, Reporter},
};
use pilothouse_core::model::container::{ContainerInfo, Health, RunState, Usage};
use pilothouse_core::model::event::BackendEvent;

/// How far before the daemon's clock reading the events are replayed from.
const CLOCK_MARGIN_SECS: i64 = 5;

type Events = Pin<Box<dyn Stream<Item = Result<EventMessage, bollard::errors::Error>> + Send>>;

/// A raw change: an engine event, or a batch of usage readings.
pub enum Raw {
    Event(Box<EventMessage>),
    Usage(Vec<(String, Usage)>),
}

/// One connection's view of a compose project.
pub struct Compose {
    docker: bollard::Docker,
    project: String,
    /// The containers outside the project watched too.
    extra: Option<pilothouse_core::config::containers::ContainersSettings>,
    /// The host, for the counters' poll shell.
    remote: Remote,
    cadence: Cadence,
    /// Whether the environment is on screen (its usage is then read at `every`).
    on_screen: bool,
    /// The containers as first listed, until [`Compose::settle`] inspects them.
    listed: Vec<ContainerSummary>,
    events: Option<Events>,
    usage_tx: mpsc::Sender<Vec<(String, Usage)>>,
    usage_rx: mpsc::Receiver<Vec<(String, Usage)>>,
    /// Usage samples not yet handed to the console, the newest per container.
    pending: Vec<(String, Usage)>,
    watched: Option<Watched>,
    /// The container whose details the console shows (None: none).
    details: Option<tokio::sync::watch::Receiver<Option<String>>>,
    /// When the shown container's details were last read again.
    details_read: Option<tokio::time::Instant>,
}

/// At most this many containers are re-inspected for their health per usage interval.
const HEALTH_REREAD_MAX: usize = 8;

/// How often the details on screen of a container whose health does not move (healthy)
/// are read again: its newest checks are at most this old, at one inspect per period.
const DETAILS_REREAD: std::time::Duration = std::time::Duration::from_secs(10);

impl Compose {
    pub async fn connect(
        socket: &Path,
        remote: Remote,
        project: &str,
        extra: Option<pilothouse_core::config::containers::ContainersSettings>,
        cadence: Cadence,
    ) -> Result<(Compose, String), String> {
        let (docker, version) = docker::connect_engine(socket).await?;
        let (usage_tx, usage_rx) = mpsc::channel(4);
        let c = Compose {
            docker,
            project: project.to_string(),
            extra,
            remote,
            cadence,
            on_screen: true,
            listed: Vec::new(),
            events: None,
            usage_tx,
            usage_rx,
            pending: Vec::new(),
            watched: None,
            details: None,
            details_read: None,
        };
        Ok((c, version))
    }

    pub fn docker(&self) -> &bollard::Docker {
        &self.docker
    }

    /// The project's containers as first listed (painted at once, before anything is
    /// inspected), and the daemon's clock read alongside: events are subscribed from a
    /// few seconds before it, so nothing that happens between the list and the
    /// subscription is missed (a replayed event only re-inspects a container). The
    /// first paint does not wait for the clock (`docker info` is one of the engine's
    /// slower calls).
    pub async fn begin(
        &mut self,
        version: String,
        report: &Reporter,
    ) -> Result<Option<String>, Outcome> {
        let clock = docker::daemon_time(&self.docker);
        let list = list_all(
            self.docker.clone(),
            self.project.clone(),
            self.extra.clone(),
        );
        tokio::pin!(clock, list);
        let mut time = None;
        let listed = loop {
            tokio::select! {
                t = &mut clock, if time.is_none() => time = Some(t),
                l = &mut list => break l,
            }
        };
        let listed = listed.map_err(Outcome::Lost)?;
        let first: Vec<ContainerInfo> = listed
            .iter()
            .map(|c| docker::listed_info(c, &self.project))
            .collect();
        if !report
            .send(BackendEvent::Connected {
                docker_version: version,
            })
            .await
            || !report.send(BackendEvent::Snapshot(first)).await
        {
            return Err(Outcome::Shutdown);
        }
        let time = match time {
            Some(t) => t,
            None => clock.await,
        };
        let (t, root) = time.map_err(Outcome::Lost)?;
        self.listed = listed;
        let since = t - CLOCK_MARGIN_SECS;
        let mut streams: Vec<Events> =
            vec![Box::pin(docker::events(&self.docker, &self.project, since))];
        if let Some(extra) = &self.extra {
            streams.extend(docker::events_extra(&self.docker, extra, since));
        }
        self.events = Some(if streams.len() == 1 {
            streams.remove(0)
        } else {
            Box::pin(futures::stream::select_all(streams))
        });
        Ok(root)
    }

    pub async fn settle(
        &mut self,
        report: &Reporter,
        followers: &mut Followers,
    ) -> Result<(), Outcome> {
        let listed = std::mem::take(&mut self.listed);
        let containers = docker::inspect_all(&self.docker, &listed, &self.project)
            .await
            .map_err(Outcome::Lost)?;
        if !report
            .send(BackendEvent::Snapshot(containers.clone()))
            .await
        {
            return Err(Outcome::Shutdown);
        }
        let counters = Counters::start(
            self.remote.clone(),
            self.docker.clone(),
            self.cadence,
            self.usage_tx.clone(),
        );
        counters.set_on_screen(self.on_screen);
        self.watched = Some(Watched::new(counters, &containers, &self.docker, followers));
        Ok(())
    }

    pub async fn next_change(&mut self) -> Result<Raw, String> {
        let Some(events) = self.events.as_mut() else {
            return Err("the engine's events were never subscribed".into());
        };
        tokio::select! {
            Some(batch) = self.usage_rx.recv() => Ok(Raw::Usage(batch)),
            ev = events.next() => match ev {
                Some(Ok(ev)) => Ok(Raw::Event(Box::new(ev))),
                Some(Err(e)) => Err(format!("docker events: {e}")),
                None => Err("docker events stream ended".into()),
            },
        }
    }

    pub async fn on_change(
        &mut self,
        raw: Raw,
        followers: &mut Followers,
    ) -> Result<Option<BackendEvent>, Outcome> {
        match raw {
            Raw::Usage(batch) => {
                for (id, usage) in batch {
                    match self.pending.iter_mut().find(|(p, _)| *p == id) {
                        Some(p) => p.1 = usage,
                        None => self.pending.push((id, usage)),
                    }
                }
                self.reread_health().await
            }
            Raw::Event(ev) => match self.watched.as_mut() {
                Some(w) => {
                    w.on_event(&ev, &self.docker, &self.project, followers)
                        .await
                }
                None => Ok(None),
            },
        }
    }

    /// Where the console says which container's details it shows.
    pub fn watch_details(&mut self, details: tokio::sync::watch::Receiver<Option<String>>) {
        self.details = Some(details);
    }

    /// The engine sends an event when a container's health status changes, not on each
    /// check: the failing streak of an unhealthy (or starting) container and the checks
    /// of the one whose details are shown move without one. They are inspected again at
    /// the usage interval (a few at most), so what is shown is the engine's current word.
    async fn reread_health(&mut self) -> Result<Option<BackendEvent>, Outcome> {
        let Some(w) = self.watched.as_mut() else {
            return Ok(None);
        };
        // The shown container's: once a newer check than the one read exists, and at
        // most every DETAILS_REREAD (a 30 s check is read every 30 s, a 2 s one every 10).
        let due = self
            .details_read
            .is_none_or(|t| t.elapsed() >= DETAILS_REREAD);
        let now = pilothouse_core::time::unix_now();
        let shown = self
            .details
            .as_ref()
            .and_then(|d| d.borrow().clone())
            .filter(|id| {
                due && w.known.contains_key(id) && w.next_check.get(id).is_some_and(|at| now >= *at)
            });
        if shown.is_some() {
            self.details_read = Some(tokio::time::Instant::now());
        }
        let mut ids: Vec<String> = shown.into_iter().collect();
        for id in &w.moving {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids.truncate(HEALTH_REREAD_MAX);
        let mut fresh = Vec::new();
        for id in ids {
            let info = docker::inspect(&self.docker, &id, &self.project)
                .await
                .map_err(Outcome::Lost)?;
            if let Some(info) = info {
                w.note_health(&info);
                fresh.push(info);
            }
        }
        Ok((!fresh.is_empty()).then_some(BackendEvent::Reinspected(fresh)))
    }

    pub fn follow_requested(&self, followers: &mut Followers) {
        if let Some(w) = &self.watched {
            for f in w.known.values() {
                followers.ensure(&self.docker, f);
            }
        }
    }

    pub fn take_usage(&mut self) -> Vec<(String, Usage)> {
        std::mem::take(&mut self.pending)
    }

    /// On screen, usage is read at the configured interval; off screen, at the slower
    /// background one.
    pub fn set_on_screen(&mut self, on: bool) {
        self.on_screen = on;
        if let Some(w) = &self.watched {
            w.counters.set_on_screen(on);
        }
    }
}

/// What one connection's watch knows of the project's containers.
struct Watched {
    counters: Counters,
    known: HashMap<String, Followable>,
    /// Containers created since the connection and not started yet: their first start
    /// is a new container, even when their log stream (followed from the create) has
    /// already delivered lines by the time the start event is handled.
    never_started: HashSet<String>,
    /// Containers whose health moves without events: unhealthy or starting.
    moving: HashSet<String>,
    /// When each container's next health check result is due (Unix seconds).
    next_check: HashMap<String, i64>,
}

impl Watched {
    /// Watches `containers`: their usage while they run, their logs as requested.
    fn new(
        counters: Counters,
        containers: &[ContainerInfo],
        docker: &bollard::Docker,
        followers: &mut Followers,
    ) -> Self {
        let mut w = Watched {
            counters,
            known: HashMap::new(),
            never_started: HashSet::new(),
            moving: HashSet::new(),
            next_check: HashMap::new(),
        };
        for c in containers {
            w.note_health(c);
            w.counters.set_running(&c.id, running_pid(c));
            let f = followable(c);
            followers.ensure(docker, &f);
            w.known.insert(c.id.clone(), f);
        }
        w
    }

    /// Whether `c`'s health moves between events (its streak, its checks).
    fn note_health(&mut self, c: &ContainerInfo) {
        if matches!(c.health, Health::Unhealthy | Health::Starting) {
            self.moving.insert(c.id.clone());
        } else {
            self.moving.remove(&c.id);
        }
        match c.details.next_check() {
            Some(at) => self.next_check.insert(c.id.clone(), at),
            None => self.next_check.remove(&c.id),
        };
    }

    /// One engine event: what to tell the console (None: nothing), or the connection's
    /// end.
    async fn on_event(
        &mut self,
        ev: &EventMessage,
        docker: &bollard::Docker,
        project: &str,
        followers: &mut Followers,
    ) -> Result<Option<BackendEvent>, Outcome> {
        let ts = ev.time_nano.unwrap_or(0);
        let action = ev.action.clone().unwrap_or_default();
        let Some((id, gone)) = docker::event_target(ev) else {
            return Ok(None);
        };
        // Counted by tests/bench/soak against the engine's own `docker events`.
        log::debug!(
            "engine event {project} {action} {}",
            pilothouse_core::text::before(&id, 12)
        );
        let info = if gone {
            None
        } else {
            // None: gone before it could be inspected (rm -f sends die and destroy at
            // once): the destroy event will find it forgotten, so the separator is
            // written here.
            docker::inspect(docker, &id, project)
                .await
                .map_err(Outcome::Lost)?
        };
        let Some(info) = info else {
            self.counters.set_running(&id, None);
            self.never_started.remove(&id);
            self.moving.remove(&id);
            self.next_check.remove(&id);
            followers.forget(&id);
            if let Some(f) = self.known.remove(&id) {
                let note = format!("container {} removed", short(&id));
                followers.note(&id, &f.service, ts, note).await;
            }
            return Ok(Some(BackendEvent::Removed { id }));
        };
        self.counters.set_running(&id, running_pid(&info));
        self.note_health(&info);
        let first_start = match action.as_str() {
            "create" => {
                self.never_started.insert(id.clone());
                false
            }
            "start" => self.never_started.remove(&id),
            _ => false,
        };
        log_notes(followers, &self.known, &info, &action, first_start, ts).await;
        let f = followable(&info);
        if action == "start" {
            followers.restarted(docker, &f);
        } else {
            followers.ensure(docker, &f);
        }
        self.known.insert(id, f);
        Ok(Some(BackendEvent::Container(Box::new(info))))
    }
}

fn followable(c: &ContainerInfo) -> Followable {
    Followable {
        id: c.id.clone(),
        service: c.service.clone(),
        label: c.service.clone(),
        running: c.run_state == RunState::Running,
        task: false,
    }
}

/// The PID of a running container's main process.
fn running_pid(c: &ContainerInfo) -> Option<u32> {
    (c.run_state == RunState::Running)
        .then_some(c.details.pid)
        .flatten()
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Separator lines in the log pane when a followed service's container restarts, is
/// replaced by a new one (a deploy) or stops. `first_start`: the container was created
/// while connected and this is its first start.
async fn log_notes(
    followers: &Followers,
    known: &HashMap<String, Followable>,
    info: &ContainerInfo,
    action: &str,
    first_start: bool,
    ts: i64,
) {
    let text = match action {
        "start" if !first_start && followers.knows(&info.id) => {
            format!("container {} restarted", short(&info.id))
        }
        "start"
            if known
                .values()
                .any(|k| k.service == info.service && k.id != info.id) =>
        {
            format!("new container {} ({}) started", short(&info.id), info.image)
        }
        "die" => format!(
            "container {} stopped: {}",
            short(&info.id),
            info.run_state.label()
        ),
        _ => return,
    };
    followers.note(&info.id, &info.service, ts, text).await;
}

/// The project's containers and those outside it that `[containers]` matches.
async fn list_all(
    docker: bollard::Docker,
    project: String,
    extra: Option<pilothouse_core::config::containers::ContainersSettings>,
) -> Result<Vec<ContainerSummary>, String> {
    let mut listed = docker::list(&docker, &project).await?;
    if let Some(extra) = &extra {
        for c in docker::list_extra(&docker, extra).await? {
            if !listed.iter().any(|l| l.id == c.id) {
                listed.push(c);
            }
        }
    }
    Ok(listed)
}

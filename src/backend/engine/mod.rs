//! The engine boundary: what an environment's containers, or a swarm's services and
//! tasks, are watched and followed through. The actor (`actor.rs`) only talks to a
//! [`Connected`] engine: it connects it, lets it paint the first listing, has it read
//! its raw changes one at a time and make sense of them, asks it for a heartbeat and
//! for the usage batch, and tells it when the log request changed. What an engine is
//! made of stays inside its folder.
//!
//! There are two engines, each whole in its folder (listing, events, logs, gates, the
//! stack file): a compose project ([`compose`]) and the stacks of a Docker Swarm read
//! from a manager ([`swarm`]), each reached over SSH or locally (`connection/link.rs`
//! decides how; the engine does not care). What they share: the engine's API
//! ([`docker`]), log streams ([`logs`]) and how a gate ends ([`gate`]). The plans their
//! actions run are built in the core's `ops` (pure data, shown before they run).

pub mod compose;
pub mod docker;
pub mod gate;
pub mod history;
pub mod logs;
pub mod swarm;

use std::path::Path;
use std::time::Duration;

use crate::connection::remote::Remote;
use crate::engine::logs::Followers;
use crate::monitor::counters::Cadence;
use crate::report::{Outcome, Reporter};
use pilothouse_core::config::Watched;
use pilothouse_core::model::container::Usage;
use pilothouse_core::model::event::BackendEvent;

/// A connected engine. One lives per connection, never in a collection: the variants'
/// sizes do not matter. Each holds the raw change it has read and not yet made sense
/// of ([`Connected::next_change`], then [`Connected::on_change`]), so a change can only go
/// back to the engine that read it.
#[allow(clippy::large_enum_variant)]
pub enum Connected {
    Compose(compose::Compose, Option<compose::Raw>),
    Swarm(swarm::Swarm, Option<swarm::Raw>),
}

impl Connected {
    /// Connects to the engine behind `socket` (a forwarded or local unix socket) for
    /// `project`; also returns the engine's version text.
    pub async fn connect(
        socket: &Path,
        remote: Remote,
        watched: &Watched,
        cadence: Cadence,
    ) -> Result<(Connected, String), String> {
        match watched {
            Watched::Compose { project, extra } => {
                let (c, version) =
                    compose::Compose::connect(socket, remote, project, extra.clone(), cadence)
                        .await?;
                Ok((Connected::Compose(c, None), version))
            }
            Watched::Swarm(stacks) => {
                let (s, version) = swarm::Swarm::connect(socket, stacks).await?;
                Ok((Connected::Swarm(s, None), version))
            }
        }
    }

    /// The engine client the runner's health gate and the snapshot use.
    pub fn docker(&self) -> &bollard::Docker {
        match self {
            Connected::Compose(c, _) => c.docker(),
            Connected::Swarm(s, _) => s.docker(),
        }
    }

    /// Paints the first listing (`Connected`, then a first `Snapshot`) and subscribes to
    /// changes; returns the engine's data root (for the disk check).
    pub async fn begin(
        &mut self,
        version: String,
        report: &Reporter,
    ) -> Result<Option<String>, Outcome> {
        match self {
            Connected::Compose(c, _) => c.begin(version, report).await,
            Connected::Swarm(s, _) => s.begin(version, report).await,
        }
    }

    /// Completes the first listing (every container inspected) and starts following
    /// what runs: usage while it runs, logs as requested.
    pub async fn settle(
        &mut self,
        report: &Reporter,
        followers: &mut Followers,
    ) -> Result<(), Outcome> {
        match self {
            Connected::Compose(c, _) => c.settle(report, followers).await,
            // Everything was read at the start; logs follow as asked for.
            Connected::Swarm(s, _) => {
                s.follow_requested(followers);
                Ok(())
            }
        }
    }

    /// Reads the next raw change (an engine event or a usage sample) and keeps it for
    /// [`Connected::on_change`]; the connection's end as an error. Cancel-safe: a read
    /// that is dropped keeps nothing.
    pub async fn next_change(&mut self) -> Result<(), String> {
        match self {
            Connected::Compose(c, pending) => *pending = Some(c.next_change().await?),
            Connected::Swarm(s, pending) => *pending = Some(s.next_change().await?),
        }
        Ok(())
    }

    /// The timeline's entry for the change just read: an engine event of a compose
    /// project's container, or a swarm manager's service or node event.
    pub fn timeline_entry(&self) -> Option<pilothouse_core::model::timeline::Entry> {
        match self {
            Connected::Compose(_, Some(compose::Raw::Event(ev))) => history::event_entry(ev),
            Connected::Swarm(s, Some(swarm::Raw::Event(ev))) => s.event_entry(ev),
            _ => None,
        }
    }

    /// Entries the last change's read found (a swarm's failed tasks), once each.
    pub fn take_timeline(&mut self) -> Vec<pilothouse_core::model::timeline::Entry> {
        match self {
            Connected::Swarm(s, _) => s.take_timeline(),
            Connected::Compose(..) => Vec::new(),
        }
    }

    /// What a change means for the console (None: nothing to tell), or the
    /// connection's end.
    pub async fn on_change(
        &mut self,
        followers: &mut Followers,
    ) -> Result<Option<BackendEvent>, Outcome> {
        match self {
            Connected::Compose(c, pending) => match pending.take() {
                Some(raw) => c.on_change(raw, followers).await,
                None => Ok(None),
            },
            Connected::Swarm(s, pending) => match pending.take() {
                Some(raw) => s.on_change(raw, followers).await,
                None => Ok(None),
            },
        }
    }

    /// Where the console says which container's details it shows (a compose project's
    /// containers have health checks; a swarm's tasks are shown from their own reads).
    pub fn watch_details(&mut self, details: tokio::sync::watch::Receiver<Option<String>>) {
        if let Connected::Compose(c, _) = self {
            c.watch_details(details);
        }
    }

    /// The log request changed: follow every known container as it now asks.
    pub fn follow_requested(&self, followers: &mut Followers) {
        match self {
            Connected::Compose(c, _) => c.follow_requested(followers),
            Connected::Swarm(s, _) => s.follow_requested(followers),
        }
    }

    /// The usage gathered since the last call (empty: nothing new).
    pub fn take_usage(&mut self) -> Vec<(String, Usage)> {
        match self {
            Connected::Compose(c, _) => c.take_usage(),
            Connected::Swarm(_, _) => Vec::new(),
        }
    }

    /// Whether the environment is on screen (usage is read less often when not).
    pub fn set_on_screen(&mut self, on: bool) {
        match self {
            Connected::Compose(c, _) => c.set_on_screen(on),
            Connected::Swarm(s, _) => s.set_on_screen(on),
        }
    }

    /// A round trip to the engine, failing after `limit`. (`&mut`: an engine holds a
    /// stream that is `Send` but not `Sync`.)
    pub async fn ping(&mut self, limit: Duration) -> Result<Duration, String> {
        crate::engine::docker::ping(self.docker(), limit).await
    }
}

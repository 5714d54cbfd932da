//! The engine boundary: what an environment's containers (or, later, services and
//! tasks) are watched and followed through. The actor (`actor.rs`) only talks to
//! an [`Engine`]: it connects it, lets it paint the first listing, hands it the engine's
//! raw changes one at a time, asks it for a heartbeat and for the usage batch, and tells
//! it when the log request changed. What an engine is made of stays inside its file.
//!
//! There are two engines: a compose project ([`compose`]) and the stacks of a Docker
//! Swarm read from a manager ([`swarm`]), each reached over SSH or locally
//! (`connection/link.rs` decides how; the engine does not care). The plans an engine's actions run are built
//! in `ops/` (pure data, shown before they run), next to the compose planner.

pub mod compose;
pub mod docker;
pub mod gate;
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

/// Something from the engine that the actor must pass back to [`Engine::on_change`].
pub enum Change {
    Compose(compose::Raw),
    Swarm(swarm::Raw),
}

/// A connected engine. One lives per connection, never in a collection: the variants'
/// sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum Engine {
    Compose(compose::Compose),
    Swarm(swarm::Swarm),
}

impl Engine {
    /// Connects to the engine behind `socket` (a forwarded or local unix socket) for
    /// `project`; also returns the engine's version text.
    pub async fn connect(
        socket: &Path,
        remote: Remote,
        watched: &Watched,
        cadence: Cadence,
    ) -> Result<(Engine, String), String> {
        match watched {
            Watched::Compose { project, extra } => {
                let (c, version) =
                    compose::Compose::connect(socket, remote, project, extra.clone(), cadence)
                        .await?;
                Ok((Engine::Compose(c), version))
            }
            Watched::Swarm(stacks) => {
                let (s, version) = swarm::Swarm::connect(socket, stacks).await?;
                Ok((Engine::Swarm(s), version))
            }
        }
    }

    /// The engine client the runner's health gate and the snapshot use.
    pub fn docker(&self) -> &bollard::Docker {
        match self {
            Engine::Compose(c) => c.docker(),
            Engine::Swarm(s) => s.docker(),
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
            Engine::Compose(c) => c.begin(version, report).await,
            Engine::Swarm(s) => s.begin(version, report).await,
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
            Engine::Compose(c) => c.settle(report, followers).await,
            // Everything was read at the start; logs follow as asked for.
            Engine::Swarm(s) => {
                s.follow_requested(followers);
                Ok(())
            }
        }
    }

    /// The next raw change (an engine event or a usage sample); the connection's end
    /// as an error.
    pub async fn next_change(&mut self) -> Result<Change, String> {
        match self {
            Engine::Compose(c) => c.next_change().await.map(Change::Compose),
            Engine::Swarm(s) => s.next_change().await.map(Change::Swarm),
        }
    }

    /// What a change means for the console (None: nothing to tell), or the
    /// connection's end.
    pub async fn on_change(
        &mut self,
        change: Change,
        followers: &mut Followers,
    ) -> Result<Option<BackendEvent>, Outcome> {
        match (self, change) {
            (Engine::Compose(c), Change::Compose(raw)) => c.on_change(raw, followers).await,
            (Engine::Swarm(s), Change::Swarm(raw)) => s.on_change(raw, followers).await,
            // A change is handed back to the engine that made it.
            _ => Ok(None),
        }
    }

    /// Where the console says which container's details it shows (a compose project's
    /// containers have health checks; a swarm's tasks are shown from their own reads).
    pub fn watch_details(&mut self, details: tokio::sync::watch::Receiver<Option<String>>) {
        if let Engine::Compose(c) = self {
            c.watch_details(details);
        }
    }

    /// The log request changed: follow every known container as it now asks.
    pub fn follow_requested(&self, followers: &mut Followers) {
        match self {
            Engine::Compose(c) => c.follow_requested(followers),
            Engine::Swarm(s) => s.follow_requested(followers),
        }
    }

    /// The usage gathered since the last call (empty: nothing new).
    pub fn take_usage(&mut self) -> Vec<(String, Usage)> {
        match self {
            Engine::Compose(c) => c.take_usage(),
            Engine::Swarm(_) => Vec::new(),
        }
    }

    /// Whether the environment is on screen (usage is read less often when not).
    pub fn set_on_screen(&mut self, on: bool) {
        match self {
            Engine::Compose(c) => c.set_on_screen(on),
            Engine::Swarm(s) => s.set_on_screen(on),
        }
    }

    /// A round trip to the engine, failing after `limit`. (`&mut`: an engine holds a
    /// stream that is `Send` but not `Sync`.)
    pub async fn ping(&mut self, limit: Duration) -> Result<Duration, String> {
        crate::engine::docker::ping(self.docker(), limit).await
    }
}

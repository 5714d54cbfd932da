//! How an environment's Docker engine is reached: over SSH (the socket forwarded into a
//! private directory) or, for `reach = "local"`, directly.

use std::path::{Path, PathBuf};

use crate::connection::ssh;
use pilothouse_core::config::Environment;

/// An open way to the engine.
pub enum Link {
    Ssh(ssh::Tunnel),
    /// The engine's socket, and the host (this machine) with its poll shell.
    Local(PathBuf, crate::connection::remote::Remote),
}

/// At most this many connections start at once, so fifty hosts do not stampede the
/// local ssh-agent (and sshd's `MaxStartups` on a shared jump host).
pub const STARTING_AT_ONCE: usize = 8;

/// A start holds its place at most this long: a host that does not answer holds back
/// no other for longer.
pub const START_HOLD: std::time::Duration = std::time::Duration::from_secs(2);

static STARTING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(STARTING_AT_ONCE);

impl Link {
    /// Opens the way to the environment's engine: one of [`STARTING_AT_ONCE`] starts
    /// at a time, each holding its place until it is up or [`START_HOLD`] has passed.
    pub async fn open(env: &Environment) -> Result<Link, String> {
        let place = STARTING.acquire().await.ok();
        let open = Link::open_now(env);
        tokio::pin!(open);
        tokio::select! {
            done = &mut open => return done,
            () = tokio::time::sleep(START_HOLD) => {}
        }
        drop(place);
        open.await
    }

    async fn open_now(env: &Environment) -> Result<Link, String> {
        match (env.over_ssh(), &env.ssh) {
            (true, Some(settings)) => ssh::connect(settings, env.docker_socket.as_str())
                .await
                .map(Link::Ssh),
            (true, None) => Err("no ssh settings for this environment".into()),
            (false, _) => {
                let socket = PathBuf::from(env.docker_socket.as_str());
                if socket.exists() {
                    Ok(Link::Local(
                        socket,
                        crate::connection::remote::Remote::local(),
                    ))
                } else {
                    Err(format!("no Docker socket at {}", socket.display()))
                }
            }
        }
    }

    /// The unix socket bollard talks to.
    pub fn docker_socket(&self) -> &Path {
        match self {
            Link::Ssh(t) => &t.docker_socket,
            Link::Local(p, _) => p,
        }
    }

    /// The host, for running scripts and reaching addresses as the host would.
    pub fn remote(&self) -> crate::connection::remote::Remote {
        match self {
            Link::Ssh(t) => crate::connection::remote::Remote::from_tunnel(t),
            Link::Local(_, remote) => remote.clone(),
        }
    }

    /// Closes an SSH session cleanly (removing the forwarded socket).
    pub async fn close(self) {
        match self {
            Link::Ssh(t) => t.close().await,
            Link::Local(_, remote) => remote.stop_polls().await,
        }
    }
}

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

impl Link {
    /// Opens the way to the environment's engine.
    pub async fn open(env: &Environment) -> Result<Link, String> {
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

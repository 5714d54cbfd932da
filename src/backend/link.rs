//! How an environment's Docker engine is reached: over SSH (the socket forwarded into a
//! private directory) or, for `engine = "local"`, directly.

use std::path::{Path, PathBuf};

use super::ssh;
use crate::config::{Engine, Environment};

/// An open way to the engine.
pub enum Link {
    Ssh(ssh::Tunnel),
    Local(PathBuf),
}

impl Link {
    /// Opens the way to the environment's engine.
    pub async fn open(env: &Environment) -> Result<Link, String> {
        match (env.engine, &env.ssh) {
            (Engine::Ssh, Some(settings)) => ssh::connect(settings, env.docker_socket.as_str())
                .await
                .map(Link::Ssh),
            (Engine::Ssh, None) => Err("no ssh settings for this environment".into()),
            (Engine::Local, _) => {
                let socket = PathBuf::from(env.docker_socket.as_str());
                if socket.exists() {
                    Ok(Link::Local(socket))
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
            Link::Local(p) => p,
        }
    }

    /// The host, for running scripts and reaching addresses as the host would.
    pub fn remote(&self) -> super::remote::Remote {
        match self {
            Link::Ssh(t) => super::remote::Remote::from_tunnel(t),
            Link::Local(_) => super::remote::Remote::Local,
        }
    }

    /// Closes an SSH session cleanly (removing the forwarded socket).
    pub async fn close(self) {
        if let Link::Ssh(t) = self {
            t.close().await;
        }
    }
}

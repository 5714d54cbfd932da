//! Everything the console knows. Mutated only by [`crate::update::update`].

use crate::action::Mode;
use crate::config::{Config, Environment};

/// The console's whole state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub envs: Vec<EnvState>,
    /// Index into `envs` of the environment on screen.
    pub selected: usize,
    /// `--read-only`: no action is queued on any environment.
    pub read_only: bool,
    pub quit: bool,
}

/// One environment as the console sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvState {
    pub name: String,
    pub protected: bool,
    pub read_only: bool,
    /// `user@host:port`, as ssh will be asked to reach it.
    pub target: String,
    pub project_name: String,
    pub project_dir: String,
    pub compose_command: String,
    pub connection: Connection,
}

/// Whether the console has a live view of the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// No connection has been attempted: nothing about the host is known.
    NotConnected,
}

impl State {
    pub fn from_config(config: &Config, read_only: bool) -> Self {
        let envs = config
            .environments
            .iter()
            .map(|(name, env)| EnvState::from_config(name.as_str(), env))
            .collect();
        State {
            envs,
            selected: 0,
            read_only,
            quit: false,
        }
    }

    /// The input mode, derived from what is on screen.
    pub fn mode(&self) -> Mode {
        Mode::Normal
    }

    pub fn current(&self) -> Option<&EnvState> {
        self.envs.get(self.selected)
    }

    /// Selects an environment by name; false if there is none by that name.
    pub fn select_env(&mut self, name: &str) -> bool {
        match self.envs.iter().position(|e| e.name == name) {
            Some(i) => {
                self.selected = i;
                true
            }
            None => false,
        }
    }
}

impl EnvState {
    pub fn from_config(name: &str, env: &Environment) -> Self {
        let ssh = &env.ssh;
        let mut target = String::new();
        if let Some(u) = &ssh.user {
            target.push_str(u.as_str());
            target.push('@');
        }
        target.push_str(ssh.destination.as_str());
        if let Some(p) = ssh.port {
            target.push_str(&format!(":{p}"));
        }
        EnvState {
            name: name.to_string(),
            protected: env.protected,
            read_only: env.read_only,
            target,
            project_name: env
                .compose
                .effective_project_name()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "(unnamed)".into()),
            project_dir: env.compose.project_dir.to_string(),
            compose_command: env.compose.command.to_string(),
            connection: Connection::NotConnected,
        }
    }
}

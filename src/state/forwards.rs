//! Port forwards as the console shows them, and their list (opened with a key).

use pilothouse_core::config::forwards::{ForwardSettings, Scheme};
use pilothouse_core::model::forwards::ForwardState;

/// One configured forward and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardView {
    pub name: String,
    /// `host:port` on the far side.
    pub remote: String,
    pub scheme: Scheme,
    /// Follows pgAdmin started and stopped through the queue.
    pub pgadmin: bool,
    pub state: ForwardState,
}

impl ForwardView {
    pub fn from_config(f: &ForwardSettings) -> ForwardView {
        let host = &f.remote.host;
        let remote = if host.contains(':') {
            format!("[{host}]:{}", f.remote.port)
        } else {
            format!("{host}:{}", f.remote.port)
        };
        ForwardView {
            name: f.name.as_str().to_string(),
            remote,
            scheme: f.scheme,
            pgadmin: f.pgadmin,
            state: ForwardState::Closed,
        }
    }

    /// The local URL while it is open.
    pub fn url(&self) -> Option<String> {
        let ForwardState::Open { local } = &self.state else {
            return None;
        };
        Some(match self.scheme {
            Scheme::Http => format!("http://{local}/"),
            Scheme::Https => format!("https://{local}/"),
            Scheme::None => local.clone(),
        })
    }

    /// Wanted open: open, opening, or waiting for the connection.
    pub fn is_on(&self) -> bool {
        matches!(
            self.state,
            ForwardState::Open { .. } | ForwardState::Opening | ForwardState::Waiting
        )
    }
}

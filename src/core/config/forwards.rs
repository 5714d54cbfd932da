//! `[[environments.X.forwards]]`: ports on the far side of SSH (pgAdmin, Grafana,
//! Dozzle, Uptime Kuma bound to the host's loopback) brought to this machine's loopback
//! on demand.
//!
//! ```toml
//! [[environments.staging.forwards]]
//! name = "grafana"
//! remote = "127.0.0.1:3000"
//! local_port = 13000
//! ```

use serde::Deserialize;

use super::checks::CheckName;
use super::values::RemoteAddress;

/// One forward.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardSettings {
    pub name: CheckName,
    /// `host:port` as the remote host sees it.
    pub remote: RemoteAddress,
    /// The port on this machine's 127.0.0.1; none: a free one, picked when it opens.
    pub local_port: Option<u16>,
    /// How its local URL is shown: `http` (default), `https`, or `none` (just
    /// `127.0.0.1:PORT`, for a database or anything not on the web).
    #[serde(default)]
    pub scheme: Scheme,
    /// Opened by itself when pgAdmin starts through the queue, closed when it stops.
    #[serde(default)]
    pub pgadmin: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    #[default]
    Http,
    Https,
    None,
}

/// What is wrong with an environment's forwards together: key and message.
pub fn check_all(forwards: &[ForwardSettings]) -> Option<(&'static str, String)> {
    for (i, f) in forwards.iter().enumerate() {
        let earlier = &forwards[..i];
        let name = f.name.as_str();
        if earlier.iter().any(|g| g.name == f.name) {
            return Some(("forwards", format!("two forwards are named {name:?}")));
        }
        if let Some(p) = f.local_port {
            if p < 1024 {
                return Some((
                    "forwards",
                    format!("forward {name:?}: local_port {p} needs root here; use 1024 or above"),
                ));
            }
            if earlier.iter().any(|g| g.local_port == Some(p)) {
                return Some((
                    "forwards",
                    format!("forward {name:?}: local_port {p} is another forward's"),
                ));
            }
        }
    }
    None
}

//! `[notify]`: how the console tells an operator who is looking elsewhere that a new
//! alert started (the terminal's bell, a desktop notification through the terminal, a
//! webhook), and how it keeps from paging anyone twice for the same trouble.

use serde::Deserialize;

use super::monitoring::HttpUrl;
use super::values::ConfigDuration;

/// The `[notify]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// The terminal's bell when an alert starts.
    #[serde(default = "yes")]
    pub bell: bool,
    /// A desktop notification through the terminal (OSC 9 and OSC 777, passed through
    /// tmux when the console runs inside it); a terminal without them ignores them.
    #[serde(default = "yes")]
    pub desktop: bool,
    /// Read-only environments' alerts too (off: they are watched, nobody is paged).
    #[serde(default)]
    pub read_only: bool,
    /// Told of every new alert: a JSON POST in the deploy webhook's format, with a
    /// Slack-compatible `text`.
    #[serde(default)]
    pub webhook: Option<HttpUrl>,
    /// After a deploy or rollback ends, its environment's new alerts are not sent to the
    /// webhook for this long (a planned restart pages nobody; the bell still rings).
    #[serde(default = "default_quiet")]
    pub quiet_after_deploy: ConfigDuration,
    /// At most one notification per alert in this long (a flapping service is one).
    #[serde(default = "default_every")]
    pub every: ConfigDuration,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            bell: true,
            desktop: true,
            read_only: false,
            webhook: None,
            quiet_after_deploy: default_quiet(),
            every: default_every(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_quiet() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(120))
}

fn default_every() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(300))
}

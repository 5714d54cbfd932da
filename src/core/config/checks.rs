//! `[[environments.X.checks]]`: the team's own read-only checks ("is last night's backup
//! there", "is the certbot timer alive", `pg_isready`), run on the host (or in a
//! service's container) on their own interval, with a timeout.
//!
//! ```toml
//! [[environments.staging.checks]]
//! name = "backup"
//! newest_file_in = "/var/backups/db"
//! max_age = "26h"
//!
//! [[environments.staging.checks]]
//! name = "certbot timer"
//! command = "systemctl is-active certbot.timer"
//! output_matches = "^active$"
//! ```

use std::time::Duration;

use serde::Deserialize;

use super::deploy::HookCommand;
use super::values::{ConfigDuration, RemotePath, ServiceName};

/// One check. Exactly one of `command` and `newest_file_in`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSettings {
    pub name: CheckName,
    /// Run by `sh -c` on the host in the project directory (or in `service`'s
    /// container); passing is exit 0 (and `output_matches`, when set). Checks are
    /// read-only by contract: nothing here may change the host.
    pub command: Option<HookCommand>,
    /// Run `command` in this service's running container (`docker exec`, the container
    /// found by its compose labels).
    pub service: Option<ServiceName>,
    /// A regular expression the output must match (multi-line mode).
    pub output_matches: Option<OutputPattern>,
    /// Passing: the newest file directly in this directory is younger than `max_age`.
    pub newest_file_in: Option<RemotePath>,
    pub max_age: Option<ConfigDuration>,
    #[serde(default = "default_interval")]
    pub interval: ConfigDuration,
    #[serde(default = "default_timeout")]
    pub timeout: ConfigDuration,
}

fn default_interval() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(60))
}

fn default_timeout() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(10))
}

impl CheckSettings {
    /// What is wrong with the check taken as a whole: key and message.
    pub fn check(&self) -> Option<(&'static str, String)> {
        let name = self.name.as_str();
        match (&self.command, &self.newest_file_in) {
            (None, None) | (Some(_), Some(_)) => Some((
                "checks",
                format!("check {name:?}: give exactly one of command and newest_file_in"),
            )),
            (None, Some(_)) if self.max_age.is_none() => Some((
                "checks",
                format!("check {name:?}: newest_file_in needs max_age"),
            )),
            (None, Some(_)) if self.service.is_some() || self.output_matches.is_some() => Some((
                "checks",
                format!(
                    "check {name:?}: service and output_matches go with command, not newest_file_in"
                ),
            )),
            _ if self.timeout.0 >= self.interval.0 => Some((
                "checks",
                format!("check {name:?}: its timeout must be shorter than its interval"),
            )),
            _ => None,
        }
    }
}

/// A check's name: printable, 1 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckName(String);

impl CheckName {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() || s.chars().count() > 40 || s.chars().any(char::is_control) {
            return Err(format!(
                "invalid check name {s:?}: 1 to 40 printable characters"
            ));
        }
        Ok(CheckName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for CheckName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        CheckName::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A valid regular expression (multi-line mode).
#[derive(Debug, Clone)]
pub struct OutputPattern(pub regex::Regex);

impl<'de> Deserialize<'de> for OutputPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        regex::RegexBuilder::new(&raw)
            .multi_line(true)
            .size_limit(1 << 20)
            .build()
            .map(OutputPattern)
            .map_err(|e| serde::de::Error::custom(format!("invalid regular expression: {e}")))
    }
}

//! What the actions need from the config: groups of services, how migrations run, and
//! pgAdmin's auto-stop.
//!
//! ```toml
//! [environments.staging.groups]
//! backend = ["gateway", "order-service"]
//! [environments.staging.migrate]
//! service = "gateway"
//! command = "npx prisma migrate deploy"
//! ```

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, de};

use super::values::{ConfigDuration, ServiceName};

/// How migrations run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateSettings {
    /// The service whose image holds the migrations.
    pub service: ServiceName,
    #[serde(default = "default_migrate_command")]
    pub command: CommandWords,
    /// The read-only check, e.g. `npx prisma migrate status`.
    #[serde(default = "default_status_command")]
    pub status_command: CommandWords,
    /// `run` (default): `<compose> run --rm <service> <command>`, a fresh container;
    /// `exec`: `<compose> exec -T <service> <command>` in the running one (Compose v1
    /// cannot `run` a service with `network_mode: host`).
    #[serde(default)]
    pub runner: MigrateRunner,
    /// Stopped before a migration marked breaking, started again after it.
    #[serde(default)]
    pub stop_before_breaking: Vec<ServiceName>,
}

fn default_migrate_command() -> CommandWords {
    CommandWords::parse("npx prisma migrate deploy").unwrap_or_else(|e| unreachable!("{e}"))
}

fn default_status_command() -> CommandWords {
    CommandWords::parse("npx prisma migrate status").unwrap_or_else(|e| unreachable!("{e}"))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrateRunner {
    #[default]
    Run,
    Exec,
}

/// pgAdmin, when the compose project has a file for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgAdminSettings {
    /// Stop it by itself this long after it was started (a countdown shows).
    pub auto_stop: Option<ConfigDuration>,
}

/// Named groups of services, e.g. `backend` (the ones with database pools).
pub type Groups = IndexMap<String, Vec<ServiceName>>;

/// A command as words, each of `[A-Za-z0-9/._=:@,+-]`; every word is quoted when used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandWords(Vec<String>);

impl CommandWords {
    pub fn parse(s: &str) -> Result<Self, String> {
        let words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        let ok = !words.is_empty()
            && words.iter().all(|w| {
                w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/._=:@,+-".contains(c))
            });
        if ok {
            Ok(CommandWords(words))
        } else {
            Err(format!(
                "invalid command {s:?}: words of letters, digits and / . _ = : @ , + - only"
            ))
        }
    }

    pub fn words(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for CommandWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl<'de> Deserialize<'de> for CommandWords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        CommandWords::parse(&raw).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_words_refuse_shell_syntax() {
        assert!(
            CommandWords::parse("npx prisma migrate deploy --schema=./prisma/schema.prisma")
                .is_ok()
        );
        for bad in ["a; b", "$(x)", "`id`", "a|b", "a > f", "it's", "a&&b", ""] {
            assert!(CommandWords::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}

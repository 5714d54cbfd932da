//! The `queues` table of an environment: how to reach its Redis, which BullMQ queues to
//! watch, who consumes them, and when to raise an alert.
//!
//! ```toml
//! [environments.staging.queues]
//! via = "exec"                 # redis-cli in the Redis service's container (default)
//! service = "redis"
//! port = 6379
//! prefix = "bull"
//! consumers = { prints = "print-worker" }
//! password = { env_file = "REDIS_PASSWORD" }   # when Redis wants AUTH
//! ```

use std::fmt;
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, de};

use super::deploy::EnvVarName;
use super::monitoring::UrlSource;
use super::values::{ConfigDuration, ServiceName, UserName, string_newtype};

/// BullMQ on Redis, watched and acted on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    /// `exec` (default): `redis-cli` in the Redis service's container, through the
    /// engine. `tcp`: `address`, reached through the SSH connection.
    #[serde(default)]
    pub via: RedisVia,
    /// The compose service Redis runs as (`exec`).
    #[serde(default = "default_service")]
    pub service: ServiceName,
    /// The port Redis listens on inside its container (`exec`).
    #[serde(default = "default_port")]
    pub port: u16,
    /// `host:port` as the host sees it (`tcp`), e.g. `127.0.0.1:6379`.
    pub address: Option<RemoteAddress>,
    /// BullMQ's key prefix.
    #[serde(default = "default_prefix")]
    pub prefix: KeyPrefix,
    /// The queues to watch; empty (default): every queue found by SCAN.
    #[serde(default)]
    pub names: Vec<QueueName>,
    /// Which service consumes which queue: a stalled queue points at it, and its
    /// restart is the queue's first fix.
    #[serde(default)]
    pub consumers: IndexMap<QueueName, ServiceName>,
    /// How often the queues and Redis are read.
    #[serde(default = "default_interval")]
    pub interval: ConfigDuration,
    /// A waiting job older than this is an alert.
    #[serde(default = "default_oldest")]
    pub oldest_waiting: ConfigDuration,
    /// Failures per minute above which a queue is an alert.
    #[serde(default = "default_failures")]
    pub failures_per_minute: u32,
    /// Redis memory use, in percent of `maxmemory`, that is an alert.
    #[serde(default = "default_memory")]
    pub memory_percent: u8,
    /// The service whose container runs the actions' BullMQ runner (it needs node and
    /// the `bullmq` package); default: the queue's consumer.
    pub runner_service: Option<ServiceName>,
    /// The variable in the runner's container that holds the Redis URL.
    #[serde(default = "default_url_variable")]
    pub redis_url_variable: EnvVarName,
    /// Completed and failed jobs older than this are what "clean" offers to remove (the
    /// operator can change it each time).
    #[serde(default = "default_clean_age")]
    pub clean_older_than: ConfigDuration,
    /// Where Redis's password is read, for a Redis that wants `AUTH`:
    /// `{ env_file = "REDIS_PASSWORD" }` (the project's env file on the host) or
    /// `{ local_env = "NAME" }` (this machine). None: no `AUTH` is sent.
    pub password: Option<UrlSource>,
    /// The ACL user to authenticate as (with `password`); none: Redis's default user.
    pub user: Option<UserName>,
}

impl QueueSettings {
    /// What is wrong with the table taken as a whole, if anything: key and message.
    pub fn check(&self) -> Option<(&'static str, String)> {
        match (self.via, &self.address) {
            (RedisVia::Tcp, None) => Some((
                "queues.address",
                "via = \"tcp\" needs address = \"host:port\"".into(),
            )),
            (RedisVia::Exec, Some(_)) => Some((
                "queues.address",
                "address is for via = \"tcp\"; exec reaches Redis inside its container".into(),
            )),
            _ if !(1..=100).contains(&self.memory_percent) => Some((
                "queues.memory_percent",
                format!("{} is not a percentage (1..=100)", self.memory_percent),
            )),
            _ if self.interval.0 < Duration::from_millis(500) => Some((
                "queues.interval",
                "reading Redis more often than every 0.5 s costs it for nothing".into(),
            )),
            _ if self.user.is_some() && self.password.is_none() => Some((
                "queues.user",
                "user needs password = { env_file = \"NAME\" } or { local_env = \"NAME\" }".into(),
            )),
            _ => None,
        }
    }
}

fn default_service() -> ServiceName {
    ServiceName::parse("redis").unwrap_or_else(|e| unreachable!("{e}"))
}

fn default_port() -> u16 {
    6379
}

fn default_prefix() -> KeyPrefix {
    KeyPrefix("bull".into())
}

fn default_interval() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(5))
}

fn default_oldest() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(300))
}

fn default_failures() -> u32 {
    10
}

fn default_memory() -> u8 {
    90
}

fn default_url_variable() -> EnvVarName {
    EnvVarName("REDIS_URL".into())
}

fn default_clean_age() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(24 * 3600))
}

/// How Redis is reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedisVia {
    #[default]
    Exec,
    Tcp,
}

/// Redis's `host:port` on the far side of SSH.
use super::values::RemoteAddress;

/// A BullMQ key prefix: what comes before `:<queue>:` in every key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPrefix(String);

/// A BullMQ queue name. BullMQ refuses `:` in names; pilothouse also keeps them to
/// characters that need no quoting anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueName(String);

/// Letters, digits and `_.-{}@`, 1 to 100 characters: what a queue name or a prefix may
/// hold here.
pub fn queue_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '{' | '}' | '@'))
}

impl QueueName {
    pub fn parse(s: &str) -> Result<Self, String> {
        if queue_name_ok(s) {
            Ok(QueueName(s.to_string()))
        } else {
            Err(format!(
                "invalid queue name {s:?}: 1 to 100 letters, digits and '_', '-', '.', '{{', '}}', '@'"
            ))
        }
    }
}

impl KeyPrefix {
    pub fn parse(s: &str) -> Result<Self, String> {
        if queue_name_ok(s) {
            Ok(KeyPrefix(s.to_string()))
        } else {
            Err(format!(
                "invalid key prefix {s:?}: 1 to 100 letters, digits and '_', '-', '.', '{{', '}}', '@'"
            ))
        }
    }
}

string_newtype!(QueueName, QueueName::parse);
string_newtype!(KeyPrefix, KeyPrefix::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_are_validated() {
        assert!(QueueName::parse("order-sync").is_ok());
        assert!(QueueName::parse("a:b").is_err());
        assert!(QueueName::parse("x; rm -rf /").is_err());
        assert!(QueueName::parse("").is_err());
        assert!(KeyPrefix::parse("{bull}").is_ok());
        assert_eq!(
            RemoteAddress::parse("127.0.0.1:6379").map(|a| (a.host, a.port)),
            Ok(("127.0.0.1".to_string(), 6379))
        );
        assert!(RemoteAddress::parse("redis").is_err());
        assert!(RemoteAddress::parse("a b:1").is_err());
        assert!(RemoteAddress::parse("h:0").is_err());
    }
}

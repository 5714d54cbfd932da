//! The `health` and `database` tables of an environment: HTTP health endpoints, host
//! thresholds, and the database whose connection pool is watched.
//!
//! ```toml
//! [environments.staging.health]
//! interval = "5s"
//! [[environments.staging.health.endpoints]]
//! name = "gateway"
//! url = "http://127.0.0.1:3000/health"
//!
//! [environments.staging.database]
//! url = { env_file = "DATABASE_URL" }
//! [environments.staging.database.pools]
//! gateway = { size = 3 }
//! ```

use std::fmt;
use std::time::Duration;

use crate::text::{after, before};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, de};

use super::values::{ConfigDuration, LocalPath, ServiceName};

/// Health endpoints and the host checks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSettings {
    /// How often every endpoint is asked.
    #[serde(default = "default_health_interval")]
    pub interval: ConfigDuration,
    /// How often disk, memory and load are read on the host.
    #[serde(default = "default_host_interval")]
    pub host_interval: ConfigDuration,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            interval: default_health_interval(),
            host_interval: default_host_interval(),
            endpoints: Vec::new(),
        }
    }
}

fn default_health_interval() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(5))
}

fn default_host_interval() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(10))
}

/// One HTTP health endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// What the operator calls it; also the service it belongs to unless `service` says.
    pub name: String,
    pub url: HttpUrl,
    /// The compose service this endpoint reports on (for the "what is deployed" view).
    pub service: Option<ServiceName>,
    /// The HTTP status that means up.
    #[serde(default = "default_expect_status")]
    pub expect_status: u16,
    /// A keyword the body must contain to count as up.
    pub require: Option<String>,
    /// JSON fields to show (dotted paths, e.g. `build.commit`); by default the
    /// well-known ones (status, database, version, build, uptime).
    #[serde(default)]
    pub fields: Vec<String>,
    /// `host` (default): the request goes from the host, through the SSH connection, so
    /// loopback-only endpoints work. `local`: from this machine.
    #[serde(default)]
    pub via: Via,
    #[serde(default = "default_endpoint_timeout")]
    pub timeout: ConfigDuration,
    /// For https: the CA certificate (PEM) to trust instead of the system's roots.
    pub ca_file: Option<LocalPath>,
}

impl Endpoint {
    /// The service this endpoint belongs to.
    pub fn service_name(&self) -> &str {
        self.service.as_ref().map_or(&self.name, |s| s.as_str())
    }
}

fn default_expect_status() -> u16 {
    200
}

fn default_endpoint_timeout() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(5))
}

/// Where a request starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    #[default]
    Host,
    Local,
}

/// An `http://` or `https://` URL without credentials: `scheme://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
    raw: String,
}

impl HttpUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (tls, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else {
            // Not echoed: it may carry credentials.
            return Err("a health URL starts with http:// or https://".into());
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if after(rest, i).starts_with('/') => {
                (before(rest, i), after(rest, i).to_string())
            }
            Some(i) => (before(rest, i), format!("/{}", after(rest, i))),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(
                "a health URL must not carry credentials (user:password@); they would be shown"
                    .into(),
            );
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                let port = p
                    .parse::<u16>()
                    .map_err(|_| format!("{s:?}: the port {p:?} is not a number"))?;
                (h, port)
            }
            _ => (authority, if tls { 443 } else { 80 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        if !host_ok {
            return Err(format!("{s:?}: {host:?} is not a host name or address"));
        }
        if path.chars().any(|c| c.is_control() || c == ' ') {
            return Err(format!("{s:?}: the path has spaces or control characters"));
        }
        Ok(HttpUrl {
            tls,
            host: host.to_string(),
            port,
            path,
            raw: s.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        HttpUrl::parse(&raw).map_err(de::Error::custom)
    }
}

/// The database whose connections the services' pools share.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Where the connection URL comes from. It is never shown or logged.
    #[serde(default)]
    pub url: UrlSource,
    /// true (default): connect through an SSH local forward via the host; false: directly
    /// from this machine.
    #[serde(default = "yes")]
    pub tunnel: bool,
    /// TLS: `disable`, `require` (encrypted, the certificate not checked) or
    /// `verify-full` (checked against `ca_file`, and the host name too).
    #[serde(default)]
    pub sslmode: SslMode,
    /// The CA certificate (PEM) for `verify-full`, e.g. a managed database's CA.
    pub ca_file: Option<LocalPath>,
    /// How often the pool is read.
    #[serde(default = "default_db_interval")]
    pub interval: ConfigDuration,
    /// Slots the budget keeps free beyond the reserved ones (the staging guide's
    /// "headroom").
    #[serde(default = "default_headroom")]
    pub headroom: u32,
    /// Connections pgAdmin is expected to hold while it runs.
    #[serde(default = "default_pgadmin_connections")]
    pub pgadmin_connections: u32,
    /// Each service that holds a pool: its size (DATABASE_POOL_SIZE) and the
    /// application_name its connections carry (default: the service name).
    #[serde(default)]
    pub pools: IndexMap<ServiceName, PoolBudget>,
}

fn yes() -> bool {
    true
}

fn default_db_interval() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(2))
}

fn default_headroom() -> u32 {
    2
}

fn default_pgadmin_connections() -> u32 {
    5
}

/// One service's share of the connections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolBudget {
    pub size: u32,
    pub application_name: Option<String>,
}

/// Where the database URL is read from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UrlSource {
    /// A variable in the compose project's env file on the host, read over SSH.
    EnvFile(EnvVarName),
    /// A variable in this machine's environment.
    LocalEnv(EnvVarName),
}

impl UrlSource {
    /// Whether the URL is read from the compose project's env file.
    pub fn reads_env_file(&self) -> bool {
        matches!(self, UrlSource::EnvFile(_))
    }
}

impl Default for UrlSource {
    fn default() -> Self {
        UrlSource::EnvFile(EnvVarName("DATABASE_URL".into()))
    }
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::EnvFile(v) => write!(f, "{v} in the env file"),
            UrlSource::LocalEnv(v) => write!(f, "${v} here"),
        }
    }
}

/// TLS towards the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    #[default]
    Disable,
    Require,
    VerifyFull,
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Require => "require",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

/// An environment variable's name: `[A-Za-z_][A-Za-z0-9_]*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVarName(String);

impl EnvVarName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && s.len() <= 128;
        if ok {
            Ok(EnvVarName(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not an environment variable name (letters, digits and _, not starting with a digit)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvVarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EnvVarName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        EnvVarName::parse(&raw).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_default_ports_and_paths() {
        let u = HttpUrl::parse("http://127.0.0.1:18080/health").expect("valid");
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (false, "127.0.0.1", 18080, "/health")
        );
        let u = HttpUrl::parse("https://api.example.com").expect("valid");
        assert_eq!((u.tls, u.port, u.path.as_str()), (true, 443, "/"));
        let u = HttpUrl::parse("http://[::1]:8080/h?x=1").expect("valid");
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 8080, "/h?x=1")
        );
        let u = HttpUrl::parse("http://h?probe=1").expect("valid");
        assert_eq!(u.path, "/?probe=1");
    }

    #[test]
    fn urls_with_credentials_or_junk_are_refused() {
        for bad in [
            "ftp://x/",
            "http://user:pw@host/health",
            "http://host:port/",
            "http://ho st/",
            "http://host/a b",
            "http:///x",
            "http://$(reboot)/",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn env_var_names() {
        assert!(EnvVarName::parse("DATABASE_URL").is_ok());
        assert!(EnvVarName::parse("_X1").is_ok());
        for bad in ["", "1X", "A-B", "A B", "A$(x)"] {
            assert!(EnvVarName::parse(bad).is_err(), "{bad} accepted");
        }
    }
}

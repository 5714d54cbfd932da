//! Validated value types used by the config structs.
//!
//! Validation happens while deserializing, so a bad value is reported with the position
//! and key of the value itself. Everything that may later be interpolated into a remote
//! shell command is restricted here to a safe character set; quoting at the point of use
//! is the second line of defence, not the only one.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, de};

/// Implements `Deserialize` for a newtype around `String` through a `parse` function.
macro_rules! string_newtype {
    ($name:ident, $parse:path) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $parse(&raw).map_err(de::Error::custom)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

pub(crate) use string_newtype;

/// A name of at most `max` characters whose first character passes `first` and every
/// character passes `rest`.
fn name_shaped(s: &str, max: usize, first: fn(char) -> bool, rest: fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().count() <= max && s.starts_with(first) && s.chars().all(rest)
}

fn lower_or_digit(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn lower_digit_dash_underscore(c: char) -> bool {
    lower_or_digit(c) || c == '-' || c == '_'
}

fn alnum_dot_dash_underscore(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

fn printable_no_space(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic())
}

/// An environment's name: `[a-z0-9][a-z0-9_-]*`, at most 32 characters. It is typed to
/// confirm actions on protected environments and appears in file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvName(String);

/// An environment's or a group's name as given, or why it is not one.
fn lower_name(s: &str, what: &str) -> Result<String, String> {
    if name_shaped(s, 32, lower_or_digit, lower_digit_dash_underscore) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "invalid {what} name {s:?}: use lowercase letters, digits, '-' and '_' (at most 32, starting with a letter or digit)"
        ))
    }
}

impl EnvName {
    pub fn parse(s: &str) -> Result<Self, String> {
        lower_name(s, "environment").map(EnvName)
    }
}
string_newtype!(EnvName, EnvName::parse);

/// A fleet group's name (`client-a`, `eu`): the same shape as an environment's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(s: &str) -> Result<Self, String> {
        lower_name(s, "group").map(GroupName)
    }
}
string_newtype!(GroupName, GroupName::parse);

/// Where ssh connects: a host name, an address or an `~/.ssh/config` alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshDestination(String);

impl SshDestination {
    pub fn parse(s: &str) -> Result<Self, String> {
        if !printable_no_space(s) || s.starts_with('-') || s.contains('@') {
            return Err(format!(
                "invalid ssh destination {s:?}: a host name, address or ~/.ssh/config alias without spaces, '@' (use `user`) or a leading '-'"
            ));
        }
        Ok(SshDestination(s.to_string()))
    }
}
string_newtype!(SshDestination, SshDestination::parse);

/// A login or project-ish name: `[A-Za-z0-9_][A-Za-z0-9_.-]*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let first = |c: char| c != '-' && alnum_dot_dash_underscore(c);
        if name_shaped(s, 64, first, alnum_dot_dash_underscore) {
            Ok(UserName(s.to_string()))
        } else {
            Err(format!(
                "invalid user name {s:?}: letters, digits, '_', '.' and '-' only"
            ))
        }
    }
}
string_newtype!(UserName, UserName::parse);

/// A compose service name: `[A-Za-z0-9][A-Za-z0-9_.-]*`, as Compose allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceName(String);

impl ServiceName {
    pub fn parse(s: &str) -> Result<Self, String> {
        if name_shaped(
            s,
            128,
            |c| c.is_ascii_alphanumeric(),
            alnum_dot_dash_underscore,
        ) {
            Ok(ServiceName(s.to_string()))
        } else {
            Err(format!(
                "invalid service name {s:?}: letters, digits, '_', '.' and '-', starting with a letter or digit"
            ))
        }
    }
}
string_newtype!(ServiceName, ServiceName::parse);

/// A compose project name, as Compose itself requires: `[a-z0-9][a-z0-9_-]*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(s: &str) -> Result<Self, String> {
        if name_shaped(s, 255, lower_or_digit, lower_digit_dash_underscore) {
            Ok(ProjectName(s.to_string()))
        } else {
            Err(format!(
                "invalid compose project name {s:?}: lowercase letters, digits, '-' and '_', starting with a letter or digit"
            ))
        }
    }

    /// The name Compose derives from a project directory when none is given.
    pub fn from_dir(dir: &RemotePath) -> Option<Self> {
        let base = dir.0.trim_end_matches('/').rsplit('/').next()?;
        let name: String = base
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
            .collect();
        let name = name.trim_start_matches(['-', '_']).to_string();
        ProjectName::parse(&name).ok()
    }
}
string_newtype!(ProjectName, ProjectName::parse);

/// A Docker stack name (`docker stack deploy … NAME`): letters, digits, `_`, `.`, `-`,
/// starting with a letter or digit, at most 63 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackName(String);

impl StackName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let first = |c: char| c.is_ascii_alphanumeric();
        let rest = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        if name_shaped(s, 63, first, rest) {
            Ok(StackName(s.to_string()))
        } else {
            Err(format!(
                "invalid stack name {s:?}: letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63"
            ))
        }
    }
}
string_newtype!(StackName, StackName::parse);

/// Characters allowed in paths and file names that reach a remote shell.
fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | '@' | ':' | '~')
}

/// An absolute path on the remote host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePath(String);

impl RemotePath {
    pub fn parse(s: &str) -> Result<Self, String> {
        if !s.starts_with('/') {
            return Err(format!("{s:?} is not an absolute path"));
        }
        if !s.chars().all(path_char) || s.split('/').any(|part| part == "..") {
            return Err(format!(
                "invalid path {s:?}: letters, digits and / . _ - + @ : ~ only, no '..'"
            ));
        }
        Ok(RemotePath(s.to_string()))
    }

    /// `self/name`.
    pub fn join(&self, name: &RelativeFile) -> String {
        format!("{}/{}", self.0.trim_end_matches('/'), name.0)
    }

    /// The directory this path is in (`/` for a file at the root).
    pub fn parent(&self) -> RemotePath {
        let trimmed = self.0.trim_end_matches('/');
        match trimmed.rsplit_once('/') {
            Some(("", _)) | None => RemotePath("/".to_string()),
            Some((dir, _)) => RemotePath(dir.to_string()),
        }
    }
}
string_newtype!(RemotePath, RemotePath::parse);

/// A file name relative to the compose project directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelativeFile(String);

impl RelativeFile {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.starts_with('/') || s.starts_with('-') {
            return Err(format!(
                "invalid file name {s:?}: a path relative to the project directory"
            ));
        }
        if !s.chars().all(path_char) || s.split('/').any(|part| part == "..") {
            return Err(format!(
                "invalid file name {s:?}: letters, digits and / . _ - + @ : ~ only, no '..'"
            ));
        }
        Ok(RelativeFile(s.to_string()))
    }
}
string_newtype!(RelativeFile, RelativeFile::parse);

/// The command that runs Compose on the host, e.g. `docker compose` or `docker-compose`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeCommand(Vec<String>);

impl ComposeCommand {
    pub fn parse(s: &str) -> Result<Self, String> {
        let words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        let ok = !words.is_empty()
            && words.iter().all(|w| {
                !w.starts_with('-') || w.len() > 1 && w.chars().all(|c| path_char(c) || c == '=')
            })
            && words
                .iter()
                .all(|w| w.chars().all(|c| path_char(c) || c == '='));
        if ok {
            Ok(ComposeCommand(words))
        } else {
            Err(format!(
                "invalid compose command {s:?}: words of letters, digits and / . _ - = only, e.g. \"docker compose\""
            ))
        }
    }

    pub fn words(&self) -> &[String] {
        &self.0
    }
}

impl Default for ComposeCommand {
    fn default() -> Self {
        ComposeCommand(vec!["docker".into(), "compose".into()])
    }
}

impl<'de> Deserialize<'de> for ComposeCommand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        ComposeCommand::parse(&raw).map_err(de::Error::custom)
    }
}

impl fmt::Display for ComposeCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// A local path; a leading `~/` is expanded to the operator's home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(PathBuf);

impl LocalPath {
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LocalPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        if raw.is_empty() || raw.chars().any(char::is_control) {
            return Err(de::Error::custom(format!("invalid path {raw:?}")));
        }
        Ok(LocalPath(expand_home(&raw)))
    }
}

/// A file ssh is given (an identity, a known_hosts file): a [`LocalPath`] that also has
/// no whitespace (ssh splits `-o UserKnownHostsFile=` values on it) and no part starting
/// with `-` (nothing that reads as an option, such as `-oProxyCommand=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshFile(PathBuf);

impl SshFile {
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl<'de> Deserialize<'de> for SshFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let option_like = raw.split('/').any(|part| part.starts_with('-'));
        if raw.is_empty() || raw.chars().any(|c| c.is_control() || c.is_whitespace()) || option_like
        {
            return Err(de::Error::custom(format!(
                "invalid file for ssh {raw:?}: no spaces, and no part of the path may start with '-'"
            )));
        }
        Ok(SshFile(expand_home(&raw)))
    }
}

/// Expands a leading `~/` with `$HOME`.
pub fn expand_home(raw: &str) -> PathBuf {
    match (raw.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(raw),
    }
}

/// A duration written as `500ms`, `10s`, `2m` or `1h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDuration(pub Duration);

impl ConfigDuration {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("invalid duration {s:?}: write it like \"500ms\", \"10s\", \"2m\" or \"1h\"")
        };
        let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, unit) = s.split_at(split);
        let n: u64 = num.parse().map_err(|_| bad())?;
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            _ => return Err(bad()),
        };
        if d.is_zero() {
            return Err(format!("invalid duration {s:?}: must be more than zero"));
        }
        Ok(ConfigDuration(d))
    }
}

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        ConfigDuration::parse(&raw).map_err(de::Error::custom)
    }
}

impl fmt::Display for ConfigDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if !ms.is_multiple_of(1000) {
            write!(f, "{ms}ms")
        } else {
            write!(f, "{}s", ms / 1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert!(EnvName::parse("staging").is_ok());
        assert!(EnvName::parse("prod-eu_2").is_ok());
        for bad in ["", "Staging", "-x", "a b", "a;b", "$(x)", &"a".repeat(33)] {
            assert!(EnvName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn remote_paths_refuse_shell_metacharacters() {
        assert!(RemotePath::parse("/opt/acme").is_ok());
        for bad in [
            "opt/acme",
            "/opt/acme;rm -rf /",
            "/opt/$(id)",
            "/opt/`id`",
            "/opt/a b",
            "/opt/'x'",
            "/opt/\"x\"",
            "/opt/a\nb",
            "/opt/../etc",
        ] {
            assert!(RemotePath::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn service_names_refuse_shell_metacharacters() {
        assert!(ServiceName::parse("order-service").is_ok());
        assert!(ServiceName::parse("web.1_a").is_ok());
        for bad in [
            "", "-x", "a;b", "$(id)", "`id`", "a b", "a'b", "a\nb", "a|b",
        ] {
            assert!(ServiceName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn relative_files() {
        assert!(RelativeFile::parse("docker-compose.yml").is_ok());
        assert!(RelativeFile::parse("compose/prod.yml").is_ok());
        for bad in ["/etc/passwd", "../x.yml", "-f", "a;b", "", "a b"] {
            assert!(RelativeFile::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn compose_commands() {
        assert_eq!(
            ComposeCommand::parse("docker compose").map(|c| c.words().len()),
            Ok(2)
        );
        assert!(ComposeCommand::parse("docker-compose").is_ok());
        for bad in ["", "docker compose; id", "docker $(id)", "docker|sh", "- x"] {
            assert!(ComposeCommand::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(
            ConfigDuration::parse("10s").map(|d| d.0),
            Ok(Duration::from_secs(10))
        );
        assert_eq!(
            ConfigDuration::parse("250ms").map(|d| d.0),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(
            ConfigDuration::parse("2m").map(|d| d.0),
            Ok(Duration::from_secs(120))
        );
        for bad in ["10", "s", "-1s", "1.5s", "0s", "10 s", "1d"] {
            assert!(ConfigDuration::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            ConfigDuration(Duration::from_millis(1500)).to_string(),
            "1500ms"
        );
        assert_eq!(ConfigDuration(Duration::from_secs(10)).to_string(), "10s");
    }

    #[test]
    fn project_name_from_dir() {
        let dir = RemotePath::parse("/opt/Acme.Shop").map_err(|e| e.to_string());
        let name = dir.ok().and_then(|d| ProjectName::from_dir(&d));
        assert_eq!(name.map(|n| n.to_string()), Some("acmeshop".to_string()));
    }
}

/// `host:port` on the far side of SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAddress {
    pub host: String,
    pub port: u16,
}

impl RemoteAddress {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid address {s:?}: expected host:port");
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port.parse().map_err(|_| bad())?;
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        if !host_ok || port == 0 {
            return Err(bad());
        }
        Ok(RemoteAddress {
            host: host.to_string(),
            port,
        })
    }
}

impl<'de> Deserialize<'de> for RemoteAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RemoteAddress::parse(&String::deserialize(d)?).map_err(de::Error::custom)
    }
}

//! `[environments.X.containers]`: containers outside the compose project that the
//! environment watches too (a product run as one `docker run` container by a Makefile),
//! by exact name or by label.
//!
//! ```toml
//! [environments.staging.containers]
//! match = ["acme-legacy"]
//! label = "com.acme.role=app"
//! ```

use serde::{Deserialize, Deserializer, de};

/// What else is watched. Names are exact (Docker's events filter matches names exactly,
/// so a container recreated under the same name is followed); a label is `key` or
/// `key=value`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainersSettings {
    #[serde(default, rename = "match")]
    pub names: Vec<ContainerName>,
    pub label: Option<LabelFilter>,
}

impl ContainersSettings {
    pub fn check(&self) -> Option<(&'static str, String)> {
        if self.names.is_empty() && self.label.is_none() {
            return Some((
                "containers",
                "give match (container names) or label, or leave the table out".into(),
            ));
        }
        None
    }
}

/// A container name as Docker allows it: `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 128.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerName(String);

impl ContainerName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = s.len() <= 128
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if ok {
            Ok(ContainerName(s.to_string()))
        } else {
            Err(format!(
                "invalid container name {s:?}: [A-Za-z0-9][A-Za-z0-9_.-], at most 128"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ContainerName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ContainerName::parse(&String::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// A label filter, `key` or `key=value`: printable, no spaces or quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFilter(String);

impl LabelFilter {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 256
            && !s.starts_with('=')
            && s.chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\'));
        if ok {
            Ok(LabelFilter(s.to_string()))
        } else {
            Err(format!(
                "invalid label {s:?}: key or key=value, no spaces or quotes"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a container's labels satisfy it.
    pub fn matches(&self, labels: &std::collections::HashMap<String, String>) -> bool {
        match self.0.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
            None => labels.contains_key(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for LabelFilter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LabelFilter::parse(&String::deserialize(d)?).map_err(de::Error::custom)
    }
}

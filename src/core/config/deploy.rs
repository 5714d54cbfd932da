//! How an environment is deployed: the order of its services, the health gate, the
//! smoke command, and where each service's image tag lives in the env file.
//!
//! ```toml
//! [environments.staging.deploy]
//! order = [["redis"], ["gateway", "order-service"], ["web"]]
//! health_timeout = "120s"
//! smoke_command = "curl -fsS http://127.0.0.1:8080/health"
//! tag_vars = { web = "FRONTEND_TAG" }   # default: WEB_IMAGE_TAG
//! ```

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, de};

use super::actions::CommandWords;
use super::values::{ConfigDuration, ServiceName};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySettings {
    /// Services in groups, deployed group by group in this order (e.g. redis, then the
    /// logging stack, then the backend services together, then web). The container
    /// table uses the same order; services not listed come after, by name.
    #[serde(default)]
    pub order: Vec<Vec<ServiceName>>,
    /// How long every target has to become healthy after `up` before the deploy is
    /// rolled back.
    #[serde(default = "default_health_timeout")]
    pub health_timeout: ConfigDuration,
    /// Run on the host in the project directory after the health gate; a non-zero
    /// exit rolls the deploy back.
    pub smoke_command: Option<CommandWords>,
    /// The env-file variable that holds a service's image tag, where it is not
    /// `<SERVICE>_IMAGE_TAG` (upper case, `-` and `.` as `_`).
    #[serde(default)]
    pub tag_vars: IndexMap<ServiceName, EnvVarName>,
    /// Remove dangling images after a deploy that passed its gate (`:rollback` images
    /// are tagged, so never dangling).
    #[serde(default = "default_prune")]
    pub prune: bool,
    /// Told of each deploy's and rollback's outcome: a JSON POST from this machine.
    /// The URL (which may hold a token) is never shown.
    pub webhook: Option<super::monitoring::HttpUrl>,
    /// Run by `sh -c` on the host in the project directory before anything changes: a
    /// non-zero exit stops the deploy (or rollback) with nothing changed. The deploy's
    /// facts are in its environment (see [`HOOK_VARIABLES`]).
    pub pre_deploy: Option<HookCommand>,
    /// The same after the health gate and the smoke checks: a non-zero exit fails the
    /// item but rolls nothing back (the new version runs, healthy).
    pub post_deploy: Option<HookCommand>,
}

/// The variables a deploy hook gets.
pub const HOOK_VARIABLES: [&str; 6] = [
    "PILOTHOUSE_ENV",
    "PILOTHOUSE_ACTION",
    "PILOTHOUSE_SERVICES",
    "PILOTHOUSE_OLD_TAGS",
    "PILOTHOUSE_NEW_TAG",
    "PILOTHOUSE_OPERATOR",
];

/// A hook's shell command: one line of at most 4000 characters, from the config (never
/// from the host), run with `sh -c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCommand(String);

impl HookCommand {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("a hook command is empty".into());
        }
        if s.chars().count() > 4000 || s.chars().any(|c| c.is_control() && c != '\t') {
            return Err("a hook command is one line of at most 4000 characters".into());
        }
        Ok(HookCommand(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for HookCommand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        HookCommand::parse(&String::deserialize(d)?).map_err(de::Error::custom)
    }
}

impl Default for DeploySettings {
    fn default() -> Self {
        DeploySettings {
            order: Vec::new(),
            health_timeout: default_health_timeout(),
            smoke_command: None,
            tag_vars: IndexMap::new(),
            prune: default_prune(),
            webhook: None,
            pre_deploy: None,
            post_deploy: None,
        }
    }
}

fn default_health_timeout() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(120))
}

fn default_prune() -> bool {
    true
}

impl DeploySettings {
    /// Service names in deployment order, groups flattened.
    pub fn flat_order(&self) -> Vec<String> {
        self.order.iter().flatten().map(|s| s.to_string()).collect()
    }

    /// The env-file variable of a service's image tag.
    pub fn tag_var(&self, service: &str) -> String {
        self.tag_vars
            .iter()
            .find(|(s, _)| s.as_str() == service)
            .map(|(_, v)| v.0.clone())
            .unwrap_or_else(|| {
                let mut v: String = service
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_uppercase()
                        } else {
                            '_'
                        }
                    })
                    .collect();
                v.push_str("_IMAGE_TAG");
                v
            })
    }

    /// `targets` in groups, in deployment order: each configured group's targets, then
    /// the targets no group names (together, last).
    pub fn groups_of(&self, targets: &[String]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = self
            .order
            .iter()
            .map(|g| {
                g.iter()
                    .map(|s| s.to_string())
                    .filter(|s| targets.contains(s))
                    .collect::<Vec<_>>()
            })
            .filter(|g| !g.is_empty())
            .collect();
        let named: Vec<String> = self.flat_order();
        let rest: Vec<String> = targets
            .iter()
            .filter(|t| !named.contains(t))
            .cloned()
            .collect();
        if !rest.is_empty() {
            out.push(rest);
        }
        out
    }
}

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, at most 128.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVarName(pub String);

impl EnvVarName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(EnvVarName(s.to_string()))
        } else {
            Err(format!(
                "invalid variable name {s:?}: letters, digits and '_', not starting with a digit"
            ))
        }
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
    fn tag_variables_default_to_the_service_name_and_can_be_named() {
        let d: DeploySettings =
            toml::from_str("tag_vars = { web = \"FRONTEND_TAG\" }").expect("parse");
        assert_eq!(d.tag_var("order-service"), "ORDER_SERVICE_IMAGE_TAG");
        assert_eq!(d.tag_var("web"), "FRONTEND_TAG");
        assert_eq!(d.health_timeout.0.as_secs(), 120);
        assert!(toml::from_str::<DeploySettings>("tag_vars = { web = \"A-B\" }").is_err());
        assert!(toml::from_str::<DeploySettings>("tag_vars = { web = \"1A\" }").is_err());
    }

    #[test]
    fn targets_are_grouped_in_the_configured_order_and_the_rest_come_last() {
        let d: DeploySettings =
            toml::from_str("order = [[\"redis\"], [\"gateway\", \"order-service\"], [\"web\"]]")
                .expect("parse");
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            d.groups_of(&t(&["web", "dozzle", "order-service", "gateway"])),
            vec![
                t(&["gateway", "order-service"]),
                t(&["web"]),
                t(&["dozzle"])
            ]
        );
    }
}

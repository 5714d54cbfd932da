//! `[[environments.X.actions]]`: the team's own actions ("purge the CDN", "prune
//! images", the Makefile's deploy), each a command template with typed parameters. They
//! run only through the queue: previewed with the exact command, confirmed, under the
//! host lock, audited.
//!
//! ```toml
//! [[environments.staging.actions]]
//! name = "purge cdn"
//! key = "p"
//! description = "purge one path from the CDN cache"
//! risk = "low"
//! command = "curl -fsS -X POST https://cdn.example/purge --data-urlencode path={{path}}"
//! params = [{ name = "path", type = "text", pattern = "/[A-Za-z0-9/_.-]*" }]
//! ```
//!
//! `{{name}}` is replaced by the parameter's value, shell-quoted; every other character
//! of the command is the team's own shell text.

use serde::Deserialize;

use super::checks::CheckName;
use super::deploy::HookCommand;

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSettings {
    pub name: CheckName,
    /// Picks the action at once in the actions menu.
    pub key: Option<MenuKey>,
    /// Run by `sh -c` on the host, in the project directory when there is one.
    pub command: HookCommand,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub risk: RiskLevel,
    #[serde(default)]
    pub params: Vec<ParamSettings>,
}

/// How bad it is if an action goes wrong, as the team says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    Low,
    #[default]
    Medium,
    High,
}

/// One typed parameter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSettings {
    pub name: ParamName,
    #[serde(rename = "type")]
    pub kind: ParamKind,
    /// A `text` value must match this whole (a `service` or `tag` may have one too).
    pub pattern: Option<ValuePattern>,
}

/// What a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// A service of the environment's project, picked from a list.
    Service,
    /// An image tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
    Tag,
    /// Free text matching `pattern`.
    Text,
}

impl ParamKind {
    pub fn word(self) -> &'static str {
        match self {
            ParamKind::Service => "service",
            ParamKind::Tag => "tag",
            ParamKind::Text => "text",
        }
    }
}

/// A parameter's name: `[a-z][a-z0-9_]{0,31}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamName(String);

impl ParamName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = s.len() <= 32
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(ParamName(s.to_string()))
        } else {
            Err(format!(
                "invalid parameter name {s:?}: [a-z][a-z0-9_], at most 32"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ParamName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ParamName::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A key in the actions menu: one printable character other than space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuKey(pub char);

impl<'de> Deserialize<'de> for MenuKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && !c.is_whitespace() => Ok(MenuKey(c)),
            _ => Err(serde::de::Error::custom(format!(
                "invalid menu key {s:?}: one printable character"
            ))),
        }
    }
}

/// A regular expression a whole value must match; kept as written (for the plan,
/// which compiles it again) and compiled (to refuse a bad one when the file loads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuePattern(pub String);

impl<'de> Deserialize<'de> for ValuePattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        whole_match(&raw)
            .map(|_| ValuePattern(raw))
            .map_err(|e| serde::de::Error::custom(format!("invalid pattern: {e}")))
    }
}

/// `pattern` compiled to match a whole value.
pub fn whole_match(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| e.to_string())
}

/// A command template cut into its text and its `{{name}}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Param(&'a str),
}

/// The pieces of `template`. `{{name}}` is a placeholder only when `name` could be a
/// parameter's name, so Docker's own templates (`--format '{{.Names}}'`) stay text.
pub fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut text_from = 0;
    let mut at = 0;
    while let Some(open) = template.get(at..).and_then(|r| r.find("{{")) {
        let start = at + open;
        let inner_from = start + 2;
        let Some(close) = template.get(inner_from..).and_then(|r| r.find("}}")) else {
            break;
        };
        let inner = template.get(inner_from..inner_from + close).unwrap_or("");
        at = inner_from + close + 2;
        if ParamName::parse(inner.trim()).is_err() {
            continue;
        }
        if start > text_from {
            out.push(Piece::Text(template.get(text_from..start).unwrap_or("")));
        }
        out.push(Piece::Param(inner.trim()));
        text_from = at;
    }
    if let Some(rest) = template.get(text_from..).filter(|r| !r.is_empty()) {
        out.push(Piece::Text(rest));
    }
    out
}

impl ActionSettings {
    /// What is wrong with the action taken as a whole: key and message.
    pub fn check(&self) -> Option<(&'static str, String)> {
        let name = self.name.as_str();
        let problem = |m: String| Some(("actions", format!("action {name:?}: {m}")));
        let pieces = pieces(self.command.as_str());
        let used: Vec<&str> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Param(n) => Some(*n),
                Piece::Text(_) => None,
            })
            .collect();
        for u in &used {
            if !self.params.iter().any(|p| p.name.as_str() == *u) {
                return problem(format!("{{{{{u}}}}} names no parameter"));
            }
        }
        for (i, p) in self.params.iter().enumerate() {
            let n = p.name.as_str();
            if !used.contains(&n) {
                return problem(format!("parameter {n:?} is not used in the command"));
            }
            if self.params[..i].iter().any(|q| q.name == p.name) {
                return problem(format!("parameter {n:?} is given twice"));
            }
            if p.kind == ParamKind::Text && p.pattern.is_none() {
                return problem(format!(
                    "text parameter {n:?} needs a pattern its values must match"
                ));
            }
        }
        None
    }
}

/// What is wrong with an environment's actions together: two with one name or key.
pub fn check_all(actions: &[ActionSettings]) -> Option<(&'static str, String)> {
    for (i, a) in actions.iter().enumerate() {
        if let Some(problem) = a.check() {
            return Some(problem);
        }
        let earlier = &actions[..i];
        if earlier.iter().any(|b| b.name == a.name) {
            return Some((
                "actions",
                format!("two actions are named {:?}", a.name.as_str()),
            ));
        }
        if let Some(k) = a.key
            && earlier.iter().any(|b| b.key == Some(k))
        {
            return Some(("actions", format!("two actions have the key {:?}", k.0)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_cut_into_text_and_placeholders() {
        assert_eq!(
            pieces("make deploy TAG={{tag}} && echo {{ x }}"),
            vec![
                Piece::Text("make deploy TAG="),
                Piece::Param("tag"),
                Piece::Text(" && echo "),
                Piece::Param("x"),
            ]
        );
        assert_eq!(
            pieces("echo ${HOME} {x} {{tag"),
            vec![Piece::Text("echo ${HOME} {x} {{tag")]
        );
        assert_eq!(
            pieces("docker ps --format '{{.Names}}' -f name={{service}}"),
            vec![
                Piece::Text("docker ps --format '{{.Names}}' -f name="),
                Piece::Param("service"),
            ]
        );
    }

    #[test]
    fn patterns_match_whole_values() {
        let re = whole_match("[a-z]+").expect("a valid pattern");
        assert!(re.is_match("abc"));
        assert!(!re.is_match("abc; rm -rf /"));
        assert!(!re.is_match("x\nabc"));
    }
}

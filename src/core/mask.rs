//! Secrets masked wherever host text is shown or written: the log pane (and so search
//! and saved logs), `pilothouse logs`, step output, the audit trail, `status --json`,
//! the snapshot and the console's own log.
//!
//! What is a secret: the value of every variable whose name looks like one (PASSWORD,
//! SECRET, TOKEN, KEY, DATABASE_URL…; see [`secret_name`]) in the compose env file and
//! in the containers' environments, the password of every URL found there, and every
//! `user:password@` in the text itself. Values under 6 characters, all-digit values and
//! common words are left alone ([`worth_masking`]), so logs stay readable.
//!
//! The values are learnt as the backend reads them and kept for the process's life in
//! one registry (a secret of one environment is masked in all of them). A leaf: no I/O,
//! no other module of the crate but `text`.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

/// What a secret becomes.
pub const MASK: &str = "****";

/// Shorter values are not masked.
pub const MIN_LEN: usize = 6;

/// At most this many values are kept (the oldest stay; a runaway source cannot grow
/// the registry without bound).
const MAX_VALUES: usize = 4096;

/// Parts of a variable's name that make its value a secret.
const SECRET_PARTS: [&str; 13] = [
    "PASSWORD",
    "PASSWD",
    "PASS",
    "SECRET",
    "TOKEN",
    "KEY",
    "PRIVATE",
    "CREDENTIAL",
    "AUTH",
    "SALT",
    "DSN",
    "DATABASE_URL",
    "COOKIE",
];

/// Values that are words of ordinary log text: masking them would hide more than it
/// protects (`POSTGRES_PASSWORD=postgres` on a staging host).
const COMMON: [&str; 32] = [
    "true",
    "false",
    "enabled",
    "disabled",
    "production",
    "staging",
    "development",
    "testing",
    "localhost",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "mongodb",
    "default",
    "public",
    "private",
    "secret",
    "password",
    "changeme",
    "example",
    "bearer",
    "basic",
    "sha256",
    "sha512",
    "hs256",
    "rs256",
    "utf-8",
    "latest",
    "undefined",
    "disable",
];

/// Whether a variable of this name holds a secret.
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_PARTS.iter().any(|p| upper.contains(p))
}

/// Whether `value` is long and particular enough to mask.
pub fn worth_masking(value: &str) -> bool {
    value.chars().count() >= MIN_LEN
        && !value.chars().all(|c| c.is_ascii_digit())
        && !COMMON.iter().any(|w| w.eq_ignore_ascii_case(value))
}

/// The password of `scheme://user:password@host…`, if `value` is such a URL.
pub fn url_password(value: &str) -> Option<&str> {
    let rest = crate::text::after(value, value.find("://")? + 3);
    let authority = rest.split('/').next().unwrap_or(rest);
    let at = authority.rfind('@')?;
    let userinfo = crate::text::before(authority, at);
    let (_, pw) = userinfo.split_once(':')?;
    (!pw.is_empty()).then_some(pw)
}

/// The secrets of one `NAME=value`: the value when the name looks secret (only its
/// password when it is a URL with one), and any URL's password.
pub fn secrets_of(name: &str, value: &str) -> Vec<String> {
    let mut out = Vec::new();
    match url_password(value) {
        Some(pw) => out.push(pw.to_string()),
        None if secret_name(name) => out.push(value.to_string()),
        None => {}
    }
    out.retain(|v| worth_masking(v));
    out
}

/// The secrets of an env file's text (`NAME=value` lines, `export`, quotes, comments).
pub fn secrets_in(env_text: &str) -> Vec<String> {
    env_text
        .lines()
        .filter_map(env_line)
        .flat_map(|(n, v)| secrets_of(n, &v))
        .collect()
}

/// The secrets of a container's environment (`NAME=value` entries, as the engine
/// reports them: no quoting).
pub fn secrets_of_env<'a>(entries: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    entries
        .into_iter()
        .filter_map(|kv| kv.split_once('='))
        .flat_map(|(n, v)| secrets_of(n, v))
        .collect()
}

/// `NAME=value` of one env-file line, its quotes taken off; None for comments and junk.
pub fn env_line(line: &str) -> Option<(&str, String)> {
    let line = line.trim();
    // `export NAME=…` (any whitespace after it); `exporter=1` is a variable of its own.
    let line = match line.strip_prefix("export") {
        Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim_start(),
        _ => line,
    };
    if line.starts_with('#') {
        return None;
    }
    let (name, value) = line.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let value = value.trim();
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    let value = if quoted {
        crate::text::between(value, 1, value.len() - 1)
    } else {
        // An unquoted value ends at a comment.
        value.split(" #").next().unwrap_or(value).trim()
    };
    (!value.is_empty()).then(|| (name, value.to_string()))
}

/// A set of secret values and the matcher that finds them (longest first).
#[derive(Default)]
pub struct Secrets {
    values: Vec<String>,
    matcher: Option<AhoCorasick>,
}

impl Secrets {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut s = Secrets::default();
        s.add(values);
        s
    }

    /// Adds the values worth masking; true when one was new.
    fn add(&mut self, values: impl IntoIterator<Item = String>) -> bool {
        let mut added = false;
        for v in values {
            if worth_masking(&v) && !self.values.contains(&v) && self.values.len() < MAX_VALUES {
                self.values.push(v);
                added = true;
            }
        }
        if added {
            self.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&self.values)
                .ok();
        }
        added
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn knows(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value)
    }

    /// `text` with every known value and every `user:password@` masked; borrowed
    /// when nothing was.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        if let Some(m) = &self.matcher
            && m.is_match(text)
        {
            out = Cow::Owned(m.replace_all(text, &vec![MASK; self.values.len()]));
        }
        // Credentials in the text itself (a URL the service built and logged).
        if out.contains('@') && out.contains(':') {
            let masked = crate::text::mask_credentials(&out);
            if masked != *out {
                out = Cow::Owned(masked);
            }
        }
        out
    }
}

static REGISTRY: LazyLock<RwLock<Arc<Secrets>>> = LazyLock::new(RwLock::default);
static REVEALED: AtomicBool = AtomicBool::new(false);

/// Adds secret values (those worth masking) to the process's registry.
pub fn learn(values: impl IntoIterator<Item = String>) {
    let values: Vec<String> = values.into_iter().filter(|v| worth_masking(v)).collect();
    let current = known();
    if values.iter().all(|v| current.knows(v)) {
        return;
    }
    if let Ok(mut guard) = REGISTRY.write() {
        let mut next = Secrets {
            values: guard.values.clone(),
            matcher: None,
        };
        if next.add(values) {
            *guard = Arc::new(next);
        }
    }
}

/// The registry as it is now.
pub fn known() -> Arc<Secrets> {
    REGISTRY.read().map(|g| Arc::clone(&*g)).unwrap_or_default()
}

/// Shows secrets unmasked from now on (`--no-mask`, or the console's confirmed
/// toggle), or masks them again.
pub fn reveal(on: bool) {
    REVEALED.store(on, Ordering::SeqCst);
}

pub fn revealed() -> bool {
    REVEALED.load(Ordering::Relaxed)
}

/// `text` masked with the registry (unless revealed).
pub fn text(text: &str) -> Cow<'_, str> {
    if revealed() {
        Cow::Borrowed(text)
    } else {
        known().mask(text)
    }
}

/// [`text`], owned.
pub fn string(s: &str) -> String {
    text(s).into_owned()
}

/// Every string in a JSON value masked (keys are the program's own).
pub fn json(value: &mut serde_json::Value) {
    if revealed() {
        return;
    }
    json_with(value, &known());
}

/// Every string in a JSON value masked with `secrets`, whatever [`revealed`] says (for
/// what is written down: the audit trail, snapshots).
pub fn json_with(value: &mut serde_json::Value, secrets: &Secrets) {
    mask_json(value, secrets);
}

fn mask_json(value: &mut serde_json::Value, secrets: &Secrets) {
    match value {
        serde_json::Value::String(s) => {
            if let Cow::Owned(m) = secrets.mask(s) {
                *s = m;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| mask_json(v, secrets)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| mask_json(v, secrets)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_secrets_follow_the_rule() {
        let env = "# comment\nCOMPOSE_PROJECT_NAME=acme-staging\nDATABASE_URL=postgresql://acme:s3cr3t-pw@db:5432/acme\nexport\tJWT_SECRET=\"abcdef123456\"\nAPI_KEY='k-999'\nWEB_TAG=v1\nPOSTGRES_PASSWORD=postgres\nTOKEN_TTL=3600000\nREDIS_URL=redis://:other-pw@cache:6379/0\n";
        let mut got = secrets_in(env);
        got.sort();
        // k-999 is under 6 characters, postgres a common word, 3600000 a number.
        assert_eq!(got, vec!["abcdef123456", "other-pw", "s3cr3t-pw"]);
    }

    #[test]
    fn known_values_and_url_passwords_are_masked_and_the_rest_kept() {
        let s = Secrets::new(secrets_in(
            "DATABASE_URL=postgresql://acme:s3cr3t-pw@db:5432/acme\nJWT_SECRET=abcdef123456\n",
        ));
        let line = "connecting to postgresql://acme:s3cr3t-pw@db:5432/acme with jwt=abcdef123456, pw s3cr3t-pw, other mysql://u:zzzzzz@h/d";
        let masked = s.mask(line);
        for secret in ["s3cr3t-pw", "abcdef123456", "zzzzzz"] {
            assert!(!masked.contains(secret), "{secret} left in: {masked}");
        }
        assert_eq!(
            masked,
            "connecting to postgresql://acme:****@db:5432/acme with jwt=****, pw ****, other mysql://u:****@h/d"
        );
        assert!(matches!(s.mask("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        let s = Secrets::new(["abcdefgh".to_string(), "abcdefgh-longer".to_string()]);
        assert_eq!(s.mask("x abcdefgh-longer y abcdefgh"), "x **** y ****");
    }

    #[test]
    fn json_strings_are_masked_in_place() {
        let s = Secrets::new(["tok-123456".to_string()]);
        let mut v = serde_json::json!({"a": ["x tok-123456", 3], "b": {"c": "tok-123456"}});
        mask_json(&mut v, &s);
        assert_eq!(v.to_string(), r#"{"a":["x ****",3],"b":{"c":"****"}}"#);
    }

    #[test]
    fn container_environments_give_their_secrets() {
        let got = secrets_of_env(["PATH=/usr/bin", "SESSION_KEY=q1w2e3r4t5", "PORT=8080"]);
        assert_eq!(got, vec!["q1w2e3r4t5"]);
    }
}

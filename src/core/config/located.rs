//! Errors that name file, line, column and key, and what finds them: reading a
//! config file within bounds, deserializing TOML with the key path of what went wrong,
//! and the nearest spelling of a misspelt key.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a config could not be used. All of them exit with code 2.
#[derive(Debug)]
pub enum ConfigError {
    /// No config file in any of the places searched.
    NotFound { searched: Vec<PathBuf> },
    /// The file was named (by `--config` or `$PILOTHOUSE_CONFIG`) but cannot be read.
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not a valid config.
    Invalid(Box<Invalid>),
    /// A name asked for (a theme, a keymap) that does not exist; the message says
    /// which do.
    Unknown(String),
}

/// A config error located in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted key path, e.g. `environments.staging.ssh.port`; empty for syntax errors.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotFound { searched } => {
                write!(f, "no config file found; looked in: ")?;
                for (i, p) in searched.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}", p.display())?;
                }
                write!(
                    f,
                    " (pass --config PATH, or run `pilothouse init` to write an annotated starter)"
                )
            }
            ConfigError::Unreadable { path, error } => {
                write!(f, "{}: cannot read config: {error}", path.display())
            }
            ConfigError::Invalid(i) => fmt::Display::fmt(i, f),
            ConfigError::Unknown(m) => f.write_str(m),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::text::escaped(&self.path.display().to_string());
        write!(f, "{path}:{}:{}: ", self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "key `{}`: ", crate::text::escaped(&self.key))?;
        }
        f.write_str(&crate::text::escaped(&self.message))
    }
}

impl std::error::Error for ConfigError {}
/// The most a config file may hold; a larger one (or `/dev/zero`) is refused.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads a config file of at most [`MAX_CONFIG_BYTES`], as UTF-8; a longer file, or
/// bytes that are not UTF-8, are one error naming where.
pub fn read_bounded(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let unreadable = |error| ConfigError::Unreadable {
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::Unknown(format!(
            "{}: not a config file: longer than {} KiB",
            path.display(),
            MAX_CONFIG_BYTES / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..good]);
        let (line, column) = line_col(&text, good);
        ConfigError::Unknown(format!(
            "{}:{line}:{column}: not UTF-8 text (a config file is UTF-8)",
            path.display()
        ))
    })
}

/// Deserializes any TOML document into `T`, turning errors into [`Invalid`].
pub fn from_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ConfigError> {
    let de = match toml::de::Deserializer::parse(text) {
        Ok(de) => de,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return Err(toml_error(path, text, "", &e, at));
        }
    };
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let at = e.inner().span().map_or(0, |s| s.start);
        toml_error(path, text, &key, e.inner(), at)
    })
}

/// A TOML or serde error located at `offset` in `text` (the error's own span, moved to
/// the file it came from).
pub(crate) fn toml_error(
    path: &Path,
    text: &str,
    key_path: &str,
    e: &toml::de::Error,
    offset: usize,
) -> ConfigError {
    let key_path = if key_path == "." { "" } else { key_path };
    // A value may be echoed in serde's message: its password never is.
    let message = crate::text::mask_credentials(e.message().trim());
    if let Some(m) = literal_url_message(key_path, &message) {
        return invalid_at(path, text, offset, key_path, m);
    }
    if message.starts_with("duplicate key") && key_path.is_empty() {
        let key = key_at(text, offset);
        return invalid_at(path, text, offset, &key, format!("duplicate key `{key}`"));
    }
    // serde names the offending field only in the message; make sure the key path ends
    // with it (path_to_error includes an unknown field but not a missing one).
    let join = |field: &str| {
        if key_path.is_empty() {
            field.to_string()
        } else if key_path == field || key_path.ends_with(&format!(".{field}")) {
            key_path.to_string()
        } else {
            format!("{key_path}.{field}")
        }
    };
    let (key, message) = if let Some(field) = quoted_after(&message, "unknown field `") {
        let hint = match suggestion(&field, &message) {
            Some(s) => format!("did you mean `{s}`?"),
            None => match message.split_once("expected ") {
                Some((_, expected)) => format!("expected {expected}"),
                None => "no such key here".to_string(),
            },
        };
        (join(&field), format!("unknown key `{field}`; {hint}"))
    } else if let Some(field) = quoted_after(&message, "missing field `") {
        (join(&field), format!("required key `{field}` is missing"))
    } else {
        (key_path.to_string(), message)
    };
    invalid_at(path, text, offset, &key, key_message(message))
}

/// A database URL written into the config as a string: refused, never echoed, with the
/// two ways that keep its password out of the file.
fn literal_url_message(key_path: &str, message: &str) -> Option<String> {
    (key_path.ends_with("database.url") && message.contains("unknown variant")).then(|| {
        "a database URL written here would put its password in the config file, so it is refused (not shown); \
         use url = { env_file = \"DATABASE_URL\" } (read from the env file on the host) or \
         url = { local_env = \"NAME\" } (this machine's environment)"
            .to_string()
    })
}

/// The key that starts at `offset` (a bare or quoted key, up to `=`, `.` or a space).
fn key_at(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or("");
    let rest = rest.trim_start_matches('"');
    let key: String = rest
        .chars()
        .take_while(|c| !matches!(c, '=' | '"' | '\n' | ']') && !c.is_whitespace())
        .take(64)
        .collect();
    // Inside a table, the key is named by its whole path.
    let before = text.get(..offset).unwrap_or("");
    let table = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    let key = match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key,
    };
    crate::text::mask_credentials(&key)
}

fn key_message(m: String) -> String {
    m.replace("invalid type: ", "wrong type: ")
}

pub(crate) fn invalid_at(
    path: &Path,
    text: &str,
    offset: usize,
    key: &str,
    message: String,
) -> ConfigError {
    let (line, column) = line_col(text, offset);
    ConfigError::Invalid(Box::new(Invalid {
        path: path.to_path_buf(),
        line,
        column,
        key: key.to_string(),
        message,
    }))
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.split_once(prefix)?.1;
    Some(rest.split_once('`')?.0.to_string())
}

/// The expected field closest to a misspelt one, if it is close enough to be a typo.
fn suggestion(field: &str, message: &str) -> Option<String> {
    let expected = message.split_once("expected ")?.1;
    closest(field, expected.split('`').skip(1).step_by(2))
}

/// The candidate nearest to a misspelt `word`, if one is near enough to be meant.
pub fn closest<S: AsRef<str>>(word: &str, candidates: impl Iterator<Item = S>) -> Option<String> {
    candidates
        .map(|cand| (edit_distance(word, cand.as_ref()), cand))
        .filter(|(d, cand)| *d <= 2.max(cand.as_ref().len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_ref().to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

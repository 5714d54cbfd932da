//! Where a config comes from: the main file, then every `*.toml` in the `config.d/`
//! directory beside it (in name order), so a team can keep one file per host; and the
//! main file's `[defaults]`, laid under every environment (an environment's own key
//! wins; a table is merged key by key; a list is replaced whole).
//!
//! Every file is parsed on its own, its spans moved to a place of their own in one run
//! of offsets (file after file), so an error found after merging (a wrong value that
//! came from `[defaults]`, a missing key in a `config.d` file) still names the file,
//! line and column it came from.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::located::{ConfigError, invalid_at, line_col, read_bounded, toml_error};

/// The directory beside the main config whose `*.toml` files are merged into it.
pub const CONFIG_D: &str = "config.d";

/// At most this many files are read from `config.d`.
pub const MAX_FILES: usize = 1000;

/// One file of the config and where its offsets start in the run of all of them.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
    base: usize,
}

/// The files a config is read from, the main one first.
#[derive(Debug, Clone)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    /// One file, as written (no `config.d`).
    pub fn one(path: &Path, text: &str) -> Sources {
        let mut s = Sources { files: Vec::new() };
        s.push(path.to_path_buf(), text.to_string());
        s
    }

    /// The main file and every `*.toml` in the `config.d` beside it.
    pub fn read(main: &Path) -> Result<Sources, ConfigError> {
        let mut s = Sources::one(main, &read_bounded(main)?);
        for path in config_d_files(main)? {
            let text = read_bounded(&path)?;
            s.push(path, text);
        }
        Ok(s)
    }

    fn push(&mut self, path: PathBuf, text: String) {
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        self.files.push(Source { path, text, base });
    }

    pub fn main(&self) -> &Source {
        &self.files[0]
    }

    /// The file an offset in the run falls in, and the offset within it.
    pub fn at(&self, offset: usize) -> (&Source, usize) {
        let file = self
            .files
            .iter()
            .rev()
            .find(|f| f.base <= offset)
            .unwrap_or(&self.files[0]);
        (file, offset - file.base)
    }

    /// `file:line` of an offset in the run, for a message naming another place.
    pub fn place(&self, offset: usize) -> String {
        let (file, local) = self.at(offset);
        let (line, _) = line_col(&file.text, local);
        format!("{}:{line}", file.path.display())
    }

    /// A located error at an offset in the run.
    pub fn invalid(&self, offset: usize, key: &str, message: String) -> ConfigError {
        let (file, local) = self.at(offset);
        invalid_at(&file.path, &file.text, local, key, message)
    }

    /// The first place (an offset in the run) where one of `needles` is written, tried
    /// in order, each in every file; 0 when none is.
    pub fn find(&self, needles: &[&str]) -> usize {
        needles
            .iter()
            .find_map(|n| {
                self.files
                    .iter()
                    .find_map(|f| f.text.find(n).map(|at| f.base + at))
            })
            .unwrap_or(0)
    }

    /// Every file parsed, merged and read as `T` (the whole config).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let mut tables = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let table = DeTable::parse(&f.text).map_err(|e| {
                let at = e.span().map_or(0, |s| s.start);
                toml_error(&f.path, &f.text, "", &e, at)
            })?;
            tables.push(moved(table, f.base));
        }
        let merged = self.merge(tables)?;
        let end = self.files.last().map_or(0, |f| f.base + f.text.len());
        let de = toml::de::Deserializer::from(Spanned::new(0..end, merged.root));
        serde_path_to_error::deserialize(de).map_err(|e| {
            let mut at = e.inner().span().map_or(0, |s| s.start);
            let mut key = e.path().to_string();
            let env = key.split('.').nth(1).unwrap_or("");
            let in_defaults = merged.defaults.as_ref().is_some_and(|d| d.contains(&at));
            if in_defaults && e.inner().message().starts_with("missing field") {
                // A table the defaults began lacks a key: the environment's to say.
                if let Some((_, own)) = merged.envs.iter().find(|(n, _)| n == env) {
                    at = *own;
                }
            } else if in_defaults {
                key = from_defaults(&key);
            }
            let (file, local) = self.at(at);
            toml_error(&file.path, &file.text, &key, e.inner(), local)
        })
    }

    /// The main file's table with every file's environments in it (each with the
    /// defaults under it), and the span of `[defaults]` when there is one.
    fn merge<'i>(&self, tables: Vec<Spanned<DeTable<'i>>>) -> Result<Merged<'i>, ConfigError> {
        let mut tables = tables.into_iter().map(Spanned::into_inner);
        let mut root = tables.next().unwrap_or_default();
        let defaults = take(&mut root, "defaults");
        let defaults_span = defaults
            .as_ref()
            .map(|(k, v)| k.span().start..extent(v).max(k.span().end));
        let defaults = match defaults {
            Some((k, v)) => match v.into_inner() {
                DeValue::Table(t) => Some(t),
                _ => {
                    return Err(self.invalid(
                        k.span().start,
                        "defaults",
                        "[defaults] is a table of environment keys".into(),
                    ));
                }
            },
            None => None,
        };
        let (envs_key, mut envs) = match take(&mut root, "environments") {
            Some((k, v)) => match v.into_inner() {
                DeValue::Table(t) => (Some(k), t),
                other => {
                    // Not a table: left for serde to name.
                    let span = k.span();
                    root.insert(k, Spanned::new(span, other));
                    return Ok(Merged {
                        root,
                        defaults: defaults_span,
                        envs: Vec::new(),
                    });
                }
            },
            None => (None, DeTable::new()),
        };
        for table in tables {
            self.add_file(table, &mut envs)?;
        }
        if let Some(d) = &defaults {
            for (_, env) in envs.iter_mut() {
                if let DeValue::Table(t) = env.get_mut() {
                    lay_under(t, d);
                }
            }
        }
        let names = envs
            .keys()
            .map(|k| (k.get_ref().to_string(), k.span().start))
            .collect();
        let key = envs_key.unwrap_or_else(|| Spanned::new(0..0, "environments".into()));
        let span = key.span();
        root.insert(key, Spanned::new(span, DeValue::Table(envs)));
        Ok(Merged {
            root,
            defaults: defaults_span,
            envs: names,
        })
    }

    /// A `config.d` file's environments added to the others; anything else in it, or a
    /// name already defined, is a located error.
    fn add_file<'i>(&self, table: DeTable<'i>, envs: &mut DeTable<'i>) -> Result<(), ConfigError> {
        for (key, value) in table {
            let span = key.span();
            if key.get_ref() != "environments" {
                let main = self.main().path.display();
                return Err(self.invalid(
                    span.start,
                    key.get_ref(),
                    format!(
                        "a file in {CONFIG_D} holds [environments.NAME] tables only; `{}` belongs in {main}",
                        key.get_ref()
                    ),
                ));
            }
            let DeValue::Table(more) = value.into_inner() else {
                return Err(self.invalid(
                    span.start,
                    "environments",
                    "environments is a table of [environments.NAME] tables".into(),
                ));
            };
            for (name, env) in more {
                if let Some((first, _)) = envs.iter().find(|(k, _)| k.get_ref() == name.get_ref()) {
                    let message = format!(
                        "environment `{}` is defined twice: here and at {}",
                        name.get_ref(),
                        self.place(first.span().start)
                    );
                    let key = format!("environments.{}", name.get_ref());
                    return Err(self.invalid(name.span().start, &key, message));
                }
                envs.insert(name, env);
            }
        }
        Ok(())
    }
}

/// Every file's tables in one: the main file's, its environments joined by every
/// other file's, each with the defaults under it.
struct Merged<'i> {
    root: DeTable<'i>,
    /// Where `[defaults]` is written, from its header to its last value.
    defaults: Option<std::ops::Range<usize>>,
    /// Each environment's name and where it is written.
    envs: Vec<(String, usize)>,
}

/// The end of the last thing written in a value (a table's span may be its header).
fn extent(value: &Spanned<DeValue<'_>>) -> usize {
    let inner = match value.get_ref() {
        DeValue::Table(t) => t
            .iter()
            .map(|(k, v)| extent(v).max(k.span().end))
            .max()
            .unwrap_or(0),
        DeValue::Array(a) => a.iter().map(extent).max().unwrap_or(0),
        _ => 0,
    };
    inner.max(value.span().end)
}

/// The `*.toml` files of the `config.d` beside `main`, by name; none when there is no
/// such directory. Names starting with a dot (editors' temporary files) are skipped.
fn config_d_files(main: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let dir = main.parent().unwrap_or(Path::new(".")).join(CONFIG_D);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(ConfigError::Unreadable { path: dir, error }),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
            !name.starts_with('.') && name.ends_with(".toml") && p.is_file()
        })
        .collect();
    if files.len() > MAX_FILES {
        return Err(ConfigError::Unknown(format!(
            "{}: more than {MAX_FILES} files; not a config directory",
            dir.display()
        )));
    }
    files.sort();
    Ok(files)
}

/// The key path of an error in a value that came from `[defaults]`:
/// `environments.NAME.ssh.port` is `defaults.ssh.port`.
fn from_defaults(key: &str) -> String {
    let mut parts = key.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("environments"), Some(_), Some(rest)) => format!("defaults.{rest}"),
        _ => key.to_string(),
    }
}

/// Removes `name` from a table, with its key.
fn take<'i>(
    table: &mut DeTable<'i>,
    name: &str,
) -> Option<(Spanned<toml::de::DeString<'i>>, Spanned<DeValue<'i>>)> {
    let key = table.keys().find(|k| k.get_ref() == name)?.clone();
    table.remove_entry(&key)
}

/// `defaults` laid under `env`: what `env` does not say is taken from it; a table both
/// have is merged the same way.
fn lay_under<'i>(env: &mut DeTable<'i>, defaults: &DeTable<'i>) {
    for (key, value) in defaults {
        let own = env.iter_mut().find(|(k, _)| k.get_ref() == key.get_ref());
        match own {
            None => {
                env.insert(key.clone(), value.clone());
            }
            Some((_, mine)) => {
                if let (DeValue::Table(mine), DeValue::Table(theirs)) =
                    (mine.get_mut(), value.get_ref())
                {
                    lay_under(mine, theirs);
                }
            }
        }
    }
}

/// A parsed file's spans moved by `by`, to its place in the run of all files.
fn moved(table: Spanned<DeTable<'_>>, by: usize) -> Spanned<DeTable<'_>> {
    let span = table.span();
    let shift = |s: std::ops::Range<usize>| s.start + by..s.end + by;
    Spanned::new(shift(span), moved_table(table.into_inner(), by))
}

fn moved_table(table: DeTable<'_>, by: usize) -> DeTable<'_> {
    let mut out = DeTable::new();
    for (k, v) in table {
        let ks = k.span();
        out.insert(
            Spanned::new(ks.start + by..ks.end + by, k.into_inner()),
            moved_value(v, by),
        );
    }
    out
}

fn moved_value(value: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let s = value.span();
    let inner = match value.into_inner() {
        DeValue::Table(t) => DeValue::Table(moved_table(t, by)),
        DeValue::Array(a) => {
            let mut out = DeArray::new();
            for item in a.iter() {
                out.push(moved_value(item.clone(), by));
            }
            DeValue::Array(out)
        }
        other => other,
    };
    Spanned::new(s.start + by..s.end + by, inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, parse_sources};

    const MAIN: &str = r#"[defaults]
group = "fleet"
stats_interval = "5s"
[defaults.ssh]
user = "deploy"
port = 2222
[defaults.compose]
project_dir = "/opt/app"

[environments.a]
[environments.a.ssh]
destination = "a.example"
"#;

    fn host(name: &str, extra: &str) -> String {
        format!(
            "[environments.{name}]\n{extra}[environments.{name}.ssh]\ndestination = \"{name}.example\"\n"
        )
    }

    fn sources(files: &[(&str, &str)]) -> Sources {
        let mut s = Sources::one(Path::new("/etc/ph/config.toml"), MAIN);
        for (name, text) in files {
            s.push(
                PathBuf::from(format!("/etc/ph/config.d/{name}")),
                text.to_string(),
            );
        }
        s
    }

    fn loaded(files: &[(&str, &str)]) -> Result<Config, String> {
        parse_sources(&sources(files)).map_err(|e| e.to_string())
    }

    #[test]
    fn config_d_environments_follow_the_main_file_s_with_the_defaults_under_each() {
        let c = loaded(&[
            ("b.toml", &host("b", "stats_interval = \"1s\"\n")),
            ("c.toml", &host("c", "group = \"eu\"\n")),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = c.environments.keys().map(|k| k.to_string()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let b = &c.environments[1];
        assert_eq!(b.stats_interval.to_string(), "1s", "its own key wins");
        assert_eq!(
            b.group.as_ref().map(|g| g.to_string()).as_deref(),
            Some("fleet")
        );
        let ssh = b.ssh.as_ref().unwrap_or_else(|| panic!("no ssh"));
        assert_eq!(ssh.destination.as_str(), "b.example");
        assert_eq!(
            ssh.user.as_ref().map(|u| u.as_str()),
            Some("deploy"),
            "a table merged key by key"
        );
        assert_eq!(ssh.port, Some(2222));
        assert_eq!(
            c.environments[2]
                .group
                .as_ref()
                .map(|g| g.to_string())
                .as_deref(),
            Some("eu")
        );
        assert_eq!(c.environments[0].stats_interval.to_string(), "5s");
    }

    #[test]
    fn a_name_defined_twice_names_both_files_and_lines() {
        let e = loaded(&[
            ("b.toml", &host("b", "")),
            ("x.toml", &format!("# again\n{}", host("a", ""))),
        ])
        .err()
        .unwrap_or_default();
        assert_eq!(
            e,
            "/etc/ph/config.d/x.toml:2:15: key `environments.a`: environment `a` is defined twice: here and at /etc/ph/config.toml:10"
        );
    }

    #[test]
    fn an_error_is_located_in_the_file_it_came_from() {
        let e = loaded(&[("b.toml", &host("b", "protected = \"yes\"\n"))])
            .err()
            .unwrap_or_default();
        assert!(
            e.starts_with("/etc/ph/config.d/b.toml:2:13: key `environments.b.protected`"),
            "{e}"
        );
        let e = loaded(&[("b.toml", "[environments.b]\n")])
            .err()
            .unwrap_or_default();
        assert!(e.starts_with("/etc/ph/config.d/b.toml:"), "{e}");
        assert!(e.contains("environments.b.ssh"), "{e}");
    }

    #[test]
    fn a_wrong_default_is_located_in_the_defaults() {
        let mut s = Sources::one(
            Path::new("/etc/ph/config.toml"),
            &MAIN.replace("port = 2222", "port = \"ssh\""),
        );
        s.push(PathBuf::from("/etc/ph/config.d/b.toml"), host("b", ""));
        let e = parse_sources(&s)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("/etc/ph/config.toml:6:8: key `defaults.ssh.port`"),
            "{e}"
        );
    }

    #[test]
    fn a_config_d_file_holds_environments_only() {
        let e = loaded(&[("b.toml", "[logs]\ntail = 5\n")])
            .err()
            .unwrap_or_default();
        assert_eq!(
            e,
            "/etc/ph/config.d/b.toml:1:2: key `logs`: a file in config.d holds [environments.NAME] tables only; `logs` belongs in /etc/ph/config.toml"
        );
    }

    #[test]
    fn the_directory_s_toml_files_are_read_in_name_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let main = dir.path().join("config.toml");
        let d = dir.path().join(CONFIG_D);
        std::fs::create_dir(&d).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&main, MAIN).unwrap_or_else(|e| panic!("{e}"));
        for (name, text) in [
            ("z.toml", host("z", "")),
            ("m.toml", host("m", "")),
            (".#m.toml", "junk".into()),
            ("notes.txt", "junk".into()),
        ] {
            std::fs::write(d.join(name), text).unwrap_or_else(|e| panic!("{e}"));
        }
        let s = Sources::read(&main).unwrap_or_else(|e| panic!("{e}"));
        let c = parse_sources(&s).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = c.environments.keys().map(|k| k.to_string()).collect();
        assert_eq!(names, ["a", "m", "z"]);
    }
}

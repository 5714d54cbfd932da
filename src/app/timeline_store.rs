//! The timeline's store: what the engine reported and the console saw, kept per
//! environment in the operator's state dir (`timeline/NAME@HOST-PROJECT.jsonl`, one JSON entry per
//! line, appended as they come), so that the next console opens on the last hours and
//! not the last seconds. At start it is read whole (at most 50 000 entries of the last
//! week) and rewritten when it holds more than that; a torn last line (a console killed
//! mid-write) or a line that does not parse is skipped and counted.

use std::io::Write;
use std::path::{Path, PathBuf};

use pilothouse_core::model::timeline::Entry;

use crate::state::timeline::{MAX_AGE_SECS, MAX_ENTRIES};

/// The store's file under `state_dir` for an environment: by its name, host and
/// project, so that two configs' `staging`s on other hosts keep apart.
pub fn path(state_dir: &Path, name: &str, target: &str, project: &str) -> PathBuf {
    let safe: String = format!("{name}@{target}-{project}")
        .chars()
        .take(200)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_@.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join("timeline").join(format!("{safe}.jsonl"))
}

/// What a store held.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Oldest first, within the bounds.
    pub entries: Vec<Entry>,
    /// Lines that did not parse.
    pub skipped: usize,
}

/// Reads the store (none yet: nothing), keeping what is within the bounds as of
/// `now_ns`; rewrites it when it held more.
pub fn load(path: &Path, now_ns: i64) -> Result<Loaded, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut loaded = Loaded::default();
    let mut lines = 0usize;
    for line in text.lines() {
        lines += 1;
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => loaded.entries.push(e),
            Err(_) => loaded.skipped += 1,
        }
    }
    let oldest = now_ns - MAX_AGE_SECS * 1_000_000_000;
    loaded.entries.retain(|e| e.time >= oldest);
    loaded.entries.sort();
    let over = loaded.entries.len().saturating_sub(MAX_ENTRIES);
    loaded.entries.drain(..over);
    if lines > loaded.entries.len() {
        rewrite(path, &loaded.entries)?;
    }
    Ok(loaded)
}

/// Adds entries at the end of the store (its directory and file private to the user).
pub fn append(path: &Path, entries: &[Entry]) -> Result<(), String> {
    let say = |e: std::io::Error| format!("{}: {e}", path.display());
    let text = lines(entries);
    let mut file = private_file(path, false).map_err(say)?;
    file.write_all(text.as_bytes()).map_err(say)
}

/// Replaces the store's contents, atomically (a new file renamed over it).
fn rewrite(path: &Path, entries: &[Entry]) -> Result<(), String> {
    let say = |e: std::io::Error| format!("{}: {e}", path.display());
    let new = path.with_extension("jsonl.new");
    let mut file = private_file(&new, true).map_err(say)?;
    file.write_all(lines(entries).as_bytes()).map_err(say)?;
    file.sync_all().map_err(say)?;
    std::fs::rename(&new, path).map_err(say)
}

fn lines(entries: &[Entry]) -> String {
    entries
        .iter()
        .filter_map(|e| serde_json::to_string(e).ok())
        .map(|l| l + "\n")
        .collect()
}

fn private_file(path: &Path, truncate: bool) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(!truncate)
        .write(true)
        .truncate(truncate)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilothouse_core::model::timeline::{Kind, Source};

    const S: i64 = 1_000_000_000;

    #[test]
    fn what_was_kept_comes_back_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = path(dir.path(), "stag/ing", "ops@host:22", "acme");
        assert!(
            p.ends_with("timeline/stag_ing@ops@host_22-acme.jsonl"),
            "{}",
            p.display()
        );
        let e = |t: i64| {
            Entry::new(
                t * S,
                Source::Console,
                Kind::Connection,
                "the connection",
                "lost".into(),
            )
        };
        append(&p, &[e(10), e(20)]).expect("append");
        append(&p, &[e(30)]).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| f.write_all(b"{\"time\":4"))
            .expect("torn line");
        let loaded = load(&p, 40 * S).expect("load");
        assert_eq!(loaded.entries, [e(10), e(20), e(30)]);
        assert_eq!(loaded.skipped, 1);
        // Rewritten without the torn line: a second load skips nothing.
        assert_eq!(load(&p, 40 * S).expect("load").skipped, 0);
        // A week later, all of it is too old.
        assert!(
            load(&p, (7 * 86_400 + 31) * S)
                .expect("load")
                .entries
                .is_empty()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn an_unreadable_store_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = path(dir.path(), "x", "local", "acme");
        std::fs::create_dir_all(&p).expect("a directory where the file goes");
        let err = load(&p, 0).expect_err("a directory is no store");
        assert!(err.contains("x@local-acme.jsonl"), "{err}");
        assert!(append(&p, &[]).is_err());
    }
}

//! Writing shown log lines to a file (the only I/O under `logs`, run off the event
//! loop). The lines are sanitized already: no escape sequence reaches the file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `lines` to a new file `name` in `dir` (created 0700 if missing; the file is
/// 0600: logs can hold personal data). Never overwrites.
pub fn save(dir: &Path, name: &str, lines: &[String]) -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for l in lines {
        writeln!(w, "{l}").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    w.flush()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_lines_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let target = dir.path().join("sub");
        let lines = vec!["one".to_string(), "two".to_string()];
        let p = save(&target, "x.log", &lines).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&p).unwrap_or_default(),
            "one\ntwo\n"
        );
        assert!(save(&target, "x.log", &lines).is_err());
    }
}

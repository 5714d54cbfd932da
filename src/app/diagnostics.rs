//! The console's own diagnostics: `log` records go to tui-logger's buffer (for the
//! diagnostics pane) and to a log file in the state dir, never to the terminal.
//!
//! tui-logger's `init_logger` starts a thread that wakes every 10 ms to move records
//! into its buffer; at idle that thread was most of the console's CPU. Records go in
//! through `tui_logger::Drain` instead, and the event loop moves them on its own tick
//! ([`move_records`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use log::{LevelFilter, Log, Metadata, Record};

/// The log file is moved to `pilothouse.log.1` when it passes this size.
const ROTATE_BYTES: u64 = 5 << 20;

struct ConsoleLogger {
    level: LevelFilter,
    file: Option<Mutex<std::fs::File>>,
}

impl Log for ConsoleLogger {
    /// Other crates log at most warnings, whatever the level: bollard's debug records
    /// carry whole `docker inspect` answers, environment values (DATABASE_URL) included.
    fn enabled(&self, metadata: &Metadata) -> bool {
        let cap = if metadata.target().starts_with("pilothouse") {
            self.level
        } else {
            self.level.min(LevelFilter::Warn)
        };
        metadata.level() <= cap
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            // Masked even while the console shows secrets: this is written to a file.
            let text = pilothouse_core::mask::known()
                .mask(&pilothouse_core::logs::sanitize::clean_str(
                    record.args().to_string().as_bytes(),
                ))
                .into_owned();
            tui_logger::Drain::new().log(
                &Record::builder()
                    .args(format_args!("{text}"))
                    .level(record.level())
                    .target(record.target())
                    .module_path(record.module_path())
                    .file(record.file())
                    .line(record.line())
                    .build(),
            );
            if let Some(f) = &self.file
                && let Ok(mut f) = f.lock()
            {
                // To the millisecond: what happened within one second is in order.
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
                let _ = writeln!(
                    f,
                    "{} {:<5} {}: {text}",
                    pilothouse_core::logs::line::clock(now),
                    record.level(),
                    record.target()
                );
            }
        }
    }

    fn flush(&self) {}
}

/// Installs the logger; records at `level` and above are kept. The file is
/// `pilothouse.log` in `dir` (the state dir); without it, records only go to the pane.
pub fn init(level: LevelFilter, dir: &Path) -> Result<Option<PathBuf>, log::SetLoggerError> {
    let path = dir.join("pilothouse.log");
    let file = open_log(dir, &path);
    let opened = file.as_ref().map(|_| path.clone());
    log::set_boxed_logger(Box::new(ConsoleLogger {
        level,
        file: file.map(Mutex::new),
    }))?;
    log::set_max_level(level);
    Ok(opened)
}

fn open_log(dir: &Path, path: &Path) -> Option<std::fs::File> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .ok()?;
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let _ = std::fs::rename(path, path.with_extension("log.1"));
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .ok()
}

/// Moves new records into tui-logger's buffer; called from the event loop's tick.
pub fn move_records() {
    tui_logger::move_events();
}

//! The console's own diagnostics: `log` records go to tui-logger's buffer (for the
//! diagnostics pane), never to the terminal.
//!
//! tui-logger's `init_logger` starts a thread that wakes every 10 ms to move records
//! into its buffer; at idle that thread was most of the console's CPU. Records go in
//! through `tui_logger::Drain` instead, and the event loop moves them on its own tick
//! ([`move_records`]).

use log::{LevelFilter, Log, Metadata, Record};

struct ConsoleLogger {
    level: LevelFilter,
}

impl Log for ConsoleLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            tui_logger::Drain::new().log(record);
        }
    }

    fn flush(&self) {}
}

/// Installs the logger; records at `level` and above are kept.
pub fn init(level: LevelFilter) -> Result<(), log::SetLoggerError> {
    log::set_boxed_logger(Box::new(ConsoleLogger { level }))?;
    log::set_max_level(level);
    Ok(())
}

/// Moves new records into tui-logger's buffer; called from the event loop's tick.
pub fn move_records() {
    tui_logger::move_events();
}

//! Log lines: sanitizing raw container output, reading levels and JSON, the bounded
//! store behind the log pane, and search. Pure data and logic: no I/O, no drawing.

pub mod line;
pub mod sanitize;
pub mod save;
pub mod search;
pub mod store;
pub mod structured;

pub use line::{LineKind, LogBatch, LogLine};
pub use sanitize::{CleanText, Sanitizer, Sgr, SgrColor};
pub use search::Query;
pub use store::LogStore;
pub use structured::Level;

//! pilothouse-core: what the console knows, with no I/O runtime and no terminal.
//!
//! - [`model`]: what a host is and what happened on it (containers, services, health,
//!   the pool, queues, jobs and their audit records, the events the backend sends);
//! - [`config`]: the console's configuration, parsed and validated;
//! - [`ops`]: plans, the typed steps of every action, built without any I/O;
//! - [`logs`]: log lines, their store, search and structured fields;
//! - [`mask`], [`text`], [`time`], [`shell`]: the leaves (secrets masked, terminal-safe
//!   text, clocks and ages, shell quoting).
//!
//! Nothing here depends on tokio, ratatui, crossterm, bollard or openssh (Cargo says so:
//! they are not in this crate's dependencies).

pub mod config;
pub mod logs;
pub mod mask;
pub mod model;
pub mod ops;
pub mod shell;
pub mod text;
pub mod time;

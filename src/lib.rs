//! pilothouse: a full-screen terminal operations console for docker-compose stacks on
//! hosts reached over SSH.
//!
//! The binary is a thin shell around this library so that tests reach everything.

pub mod action;
pub mod alt_keys;
pub mod app;
pub mod audit_command;
pub mod backend;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod keymap;
pub mod layout;
pub mod logs;
pub mod logs_command;
pub mod mask;
pub mod model;
pub mod ops;
pub mod shell;
pub mod snapshot;
pub mod state;
pub mod status;
pub mod text;
pub mod theme;
pub mod time;
pub mod ui;
pub mod update;

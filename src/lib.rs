//! pilothouse: a full-screen terminal operations console for docker-compose stacks on
//! hosts reached over SSH. The binary is a thin shell around this library so that tests
//! reach everything.
//!
//! This crate is the console, bottom to top (Elm-style: `update` returns effects and
//! `ui::draw` reads the state); what it knows comes from `pilothouse-core` (model,
//! config, plans) and every piece of I/O from `pilothouse-backend`:
//! - [`input`]: actions, key bindings and their parsing;
//! - [`state`]: everything on screen, built from the backends' events;
//! - [`update`]: a message (key, mouse, backend event, tick) in, state changed and
//!   effects out; it never does I/O;
//! - [`ui`]: draws the state (ratatui), with the theme and the layout;
//! - [`app`]: the event loop that runs the effects, the CLI and its commands (`status`,
//!   `logs`, `audit`), the console's own diagnostics.

pub mod app;
pub mod input;
pub mod state;
pub mod ui;
pub mod update;

//! The tests that need no host, in one binary (one link instead of ten): the real
//! binary against config files (`cli`), update() driven by the messages the backend
//! sends (`flow`, `log_pane`, `queue`, `deploy`, `mouse`), drawing (`render`,
//! `monitoring`), what Cargo cannot say about the layers (`layers`), and hostile input
//! as properties (`properties`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found; a scenario may be told in more than 100 lines"
)]

mod common;

mod cli;
mod deploy;
mod flow;
mod layers;
mod log_pane;
mod monitoring;
mod mouse;
mod properties;
mod queue;
mod render;

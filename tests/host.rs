//! The tests against the real sandbox host that `tests/sandbox/up` starts (sshd, Docker
//! engines, a registry, PostgreSQL, Redis and BullMQ), in one binary: each module was
//! its own binary once, and `support::turns` keeps them from overlapping as they never
//! did (a module's tests side by side; the swarm's lane beside the compose host's; the
//! fault suite and the person's session alone). `sandbox_person` is ignored: `tests/run`
//! runs it first, on purpose, with `--ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found; a scenario may be told in more than 100 lines"
)]

mod support;

mod faults;
mod sandbox;
mod sandbox_actions;
mod sandbox_deploy;
mod sandbox_fleet;
mod sandbox_health;
mod sandbox_masking;
mod sandbox_person;
mod sandbox_queues;
mod sandbox_swarm;
mod sandbox_swarm_actions;
mod sandbox_usage;

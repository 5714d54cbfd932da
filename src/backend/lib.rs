//! pilothouse-backend: every piece of the console's I/O. One actor per environment owns
//! its connection and speaks to the UI only in the core's model types
//! ([`BackendEvent`](pilothouse_core::model::event::BackendEvent)); nothing here knows
//! about ratatui or crossterm (Cargo says so: they are not among its dependencies).
//!
//! Its rooms:
//! - `connection`: the system ssh (master, forwards), the remote and poll shells, TLS and
//!   a small HTTP client;
//! - `engine`: a compose project and a Docker Swarm, each whole (listing, events, logs,
//!   gates, the stack file), behind one connected engine;
//! - `monitor`: health endpoints and the host, the team's checks, usage counters, the
//!   database pool, the job queues on Redis, image tags;
//! - `runner`: confirmed items, one at a time, under the host lock;
//! - `audit`: the audit trail (locally and on the host), its webhook, incident snapshots.
//!
//! The modules are private; what the console may use is the list below.

mod actor;
mod audit;
mod connection;
mod engine;
mod monitor;
mod report;
mod runner;

pub use actor::{EnvCommand, EnvHandle, spawn, stack_file_services};
pub use audit::snapshot::learn_secrets;
pub use audit::webhook::notify;
pub use audit::{read_audit, read_audit_in, record_reveal};
pub use connection::forwards::ForwardCommand;
pub use connection::http::parse_http_response;
pub use connection::link::{Link, STARTING_AT_ONCE};
pub use connection::remote::Remote;
pub use connection::ssh::sweep_connections;
pub use engine::compose::declared::declared_services;
pub use engine::docker::{connect_engine, explain_socket, read_containers};
pub use engine::logs::{LogSink, LogSource, follow_logs};
pub use engine::swarm::{read_swarm, read_swarm_with_secrets, swarm_task_streams};
pub use monitor::checks::{CheckPlace, run_check};
pub use monitor::db::{connect_db, read_db_url};
pub use monitor::health::{
    check_endpoints, parse_df, parse_docker_df, parse_loadavg, parse_meminfo,
};
pub use monitor::queues::{QueueTarget, read_queues_once};
pub use monitor::redis::{parse_redis_cli, redis_cli_line, redis_unquote};
pub use monitor::timeline::{TimelineRead, read_timeline};

pub use runner::lock::read_lock;

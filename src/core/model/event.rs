//! What an environment's actor tells the console.

use std::time::Duration;

use crate::model::container::{ContainerInfo, Usage};

/// What an environment's actor reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendEvent {
    /// Connecting (the first time, or again after a loss).
    Connecting { attempt: u32 },
    /// SSH is up, the Docker socket is forwarded and the engine answered.
    Connected { docker_version: String },
    /// The full list of the project's containers, fresh after every (re)connect.
    Snapshot(Vec<ContainerInfo>),
    /// A container was created or changed.
    Container(Box<ContainerInfo>),
    /// Containers inspected again for their health (unhealthy or starting ones, the one
    /// whose details are shown): replace the known ones, never add.
    Reinspected(Vec<ContainerInfo>),
    /// A container is gone.
    Removed { id: String },
    /// A swarm's services, tasks, nodes and secrets as just read (whenever they changed).
    Swarm(Box<crate::model::swarm::SwarmState>),
    /// Round trip of the last heartbeat.
    Latency(Duration),
    /// The newest CPU and memory samples since the last batch, by container id; at most
    /// one batch per stats interval.
    Stats(Vec<(String, Usage)>),
    /// The connection is lost or could not be made; another attempt follows.
    Disconnected { error: String, retry_in: Duration },
    /// Lines for the log pane.
    Logs(crate::logs::LogBatch),
    /// A service's container wrote error-level lines (for error bursts): how many in
    /// each 10 s of the host's clock (Unix seconds at its start), and the host time
    /// (ns) of the oldest line of the batch, error or not: the first batch of a stream
    /// tells from when its counts run.
    ErrorLines {
        service: String,
        errors: Vec<(i64, u32)>,
        oldest: i64,
    },
    /// The database's connections, or why they cannot be read.
    Pool(crate::model::pool::PoolEvent),
    /// Health endpoints or host resources.
    Health(crate::model::health::HealthEvent),
    /// An item of the action queue moved on.
    Job(crate::model::job::JobEvent),
    /// A port forward opened, closed, or failed.
    Forward(crate::model::forwards::ForwardEvent),
    /// The host's audit records, newest first, or why they could not be read.
    Audit(Result<Vec<crate::model::job::AuditEntry>, String>),
    /// The host lock as last read: its owner file (JSON, sanitized) or None when free.
    Lock(Option<crate::model::job::LockOwner>),
    /// The services the project's compose files declare, read once per connection.
    Declared(Vec<String>),
    /// The tags a deploy can pick, and a note when the registry was not read; or why
    /// none could be read.
    Tags(Result<crate::model::requests::Tags, String>),
    /// A swarm's stack file as read for a stack deploy's preview, or why not.
    StackFile(Result<crate::model::swarm::StackFile, String>),
    /// BullMQ queues and their Redis, or why they cannot be read.
    Queues(crate::model::queues::QueuesEvent),
    /// An incident snapshot was written (its path), or why not.
    SnapshotWritten(Result<String, String>),
    /// The timeline: what the host still knew when the console connected, or what the
    /// engine just reported.
    Timeline(crate::model::timeline::TimelineEvent),
}

//! What a Docker Swarm environment is made of, as the console sees it: services, their
//! tasks and the nodes they run on. Every string in it was sanitized on arrival; secret
//! values are never read at all (the engine does not give them).

/// One service of a stack.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmService {
    pub id: String,
    /// The full name (`acme_app`).
    pub name: String,
    /// The stack it belongs to (`com.docker.stack.namespace`); empty when none.
    pub stack: String,
    /// `replicated` or `global`.
    pub mode: String,
    pub running: u64,
    pub desired: u64,
    pub image: String,
    /// `updating`, `paused`, `completed`, `rollback_started`, … ; empty when the
    /// service was never updated.
    pub update_state: String,
    pub update_message: String,
    /// Unix seconds.
    pub created: Option<i64>,
}

impl SwarmService {
    /// Below its desired replicas, or an update that stopped or rolled back.
    pub fn alert(&self) -> bool {
        self.running < self.desired
            || matches!(
                self.update_state.as_str(),
                "paused" | "rollback_started" | "rollback_paused" | "rollback_completed"
            )
    }
}

/// One task (a slot's container, or a replaced one in its history).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmTask {
    pub id: String,
    pub service_id: String,
    /// None for a global service's task.
    pub slot: Option<i64>,
    pub node_id: String,
    pub desired_state: String,
    pub state: String,
    /// Unix seconds of the state.
    pub since: Option<i64>,
    /// The engine's error text (`No such image: …`); empty when none.
    pub error: String,
}

/// One node of the swarm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmNode {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, …
    pub status: String,
    /// `leader`, `reachable`, `unreachable`; empty for a worker.
    pub manager_status: String,
    pub engine_version: String,
}

/// Everything read from a manager at one time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmState {
    pub services: Vec<SwarmService>,
    pub tasks: Vec<SwarmTask>,
    pub nodes: Vec<SwarmNode>,
}

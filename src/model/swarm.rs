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
    /// Published ports, `8080:80/tcp` each.
    pub ports: Vec<String>,
    /// The secrets and configs the service's tasks get (names only).
    pub secrets: Vec<String>,
    pub configs: Vec<String>,
    /// The log driver its tasks use (empty: each node's default).
    pub log_driver: String,
}

impl SwarmService {
    /// Whether the engine can give its tasks' logs back (`json-file`, `local`,
    /// `journald`, or the node's default); `none`, `syslog`, `gelf`… cannot.
    pub fn logs_readable(&self) -> bool {
        matches!(
            self.log_driver.as_str(),
            "" | "json-file" | "local" | "journald"
        )
    }
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

/// The service name without its stack prefix (`acme_app` → `app`): what pool budgets
/// and health endpoints name, and what log lines are labelled with.
pub fn short_name(service: &SwarmService) -> &str {
    if service.stack.is_empty() {
        return &service.name;
    }
    service
        .name
        .strip_prefix(&service.stack)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(&service.name)
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
    /// The engine's message for the state (`started`, `preparing`, …).
    pub message: String,
    /// The image the task runs (`repo:tag`, digest dropped).
    pub image: String,
}

impl SwarmTask {
    /// Whether this is the slot's current task (one the engine wants running), as
    /// opposed to history (replaced, rejected, shut down).
    pub fn is_current(&self) -> bool {
        self.desired_state == "running" || self.desired_state == "ready"
    }

    /// A task the engine wants running that does not run: pending, preparing, starting,
    /// or failed and not yet replaced.
    pub fn is_settling(&self) -> bool {
        self.is_current() && self.state != "running"
    }
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

impl SwarmNode {
    /// Down, or a manager that is not reachable.
    pub fn alert(&self) -> bool {
        self.status != "ready" || self.manager_status == "unreachable"
    }
}

/// A secret or a config of the swarm: its name and who uses it, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmSecret {
    pub name: String,
    /// `secret` or `config`.
    pub kind: String,
    /// Unix seconds.
    pub created: Option<i64>,
    /// The watched services that use it.
    pub services: Vec<String>,
}

/// Everything read from a manager at one time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmState {
    pub services: Vec<SwarmService>,
    pub tasks: Vec<SwarmTask>,
    pub nodes: Vec<SwarmNode>,
    /// Secrets and configs, by name (read when they change, not with every read).
    pub secrets: Vec<SwarmSecret>,
}

impl SwarmState {
    /// Nothing is on its way: every service has its desired replicas running, no
    /// update is in progress and no current task is still starting.
    pub fn converged(&self) -> bool {
        self.services.iter().all(|s| {
            s.running == s.desired
                && !matches!(s.update_state.as_str(), "updating" | "rollback_started")
        }) && !self.tasks.iter().any(SwarmTask::is_settling)
    }

    /// The service's tasks, current ones first by slot, then history newest first.
    pub fn tasks_of(&self, service_id: &str) -> Vec<&SwarmTask> {
        let mut tasks: Vec<&SwarmTask> = self
            .tasks
            .iter()
            .filter(|t| t.service_id == service_id)
            .collect();
        // A replicated service's history is per slot; a global one's per node.
        let group = |t: &SwarmTask| match t.slot {
            Some(slot) => (slot, String::new()),
            None => (0, t.node_id.clone()),
        };
        tasks.sort_by(|a, b| {
            group(a)
                .cmp(&group(b))
                .then(b.is_current().cmp(&a.is_current()))
                .then(b.since.cmp(&a.since))
        });
        tasks
    }

    /// A node's hostname (its id when unknown).
    pub fn hostname<'a>(&'a self, node_id: &'a str) -> &'a str {
        self.nodes
            .iter()
            .find(|n| n.id == node_id)
            .map_or(node_id, |n| n.hostname.as_str())
    }

    /// Tasks running on a node.
    pub fn running_on(&self, node_id: &str) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.node_id == node_id && t.state == "running" && t.is_current())
            .count()
    }

    /// What needs attention: services and nodes in alert.
    pub fn alerts(&self) -> usize {
        self.services.iter().filter(|s| s.alert()).count()
            + self.nodes.iter().filter(|n| n.alert()).count()
    }
}

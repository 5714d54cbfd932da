//! `pilothouse status` for a swarm environment: its services with their tasks, its
//! nodes, and its secrets and configs by name (never a value: the engine has none to
//! give).

use serde::Serialize;

use pilothouse_core::model::swarm::{SwarmNode, SwarmService, SwarmState, SwarmTask};

/// What a swarm looked like.
#[derive(Debug, Serialize)]
pub struct SwarmReport {
    /// The stacks watched; empty: every stack.
    pub stacks: Vec<String>,
    pub services: Vec<ServiceReport>,
    pub nodes: Vec<NodeReport>,
    pub secrets: Vec<SecretReport>,
    /// Services the stack file names that the manager does not have.
    pub missing: Vec<String>,
    /// Watched stacks with no service at all.
    pub empty_stacks: Vec<String>,
    /// Why the stack file could not be read (its services are then not compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_file_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ServiceReport {
    pub name: String,
    pub stack: String,
    pub mode: String,
    pub running: u64,
    pub desired: u64,
    pub image: String,
    /// Empty when the service was never updated.
    pub update_state: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub update_message: String,
    pub ports: Vec<String>,
    /// At its desired replicas, no update stopped or rolled back.
    pub ok: bool,
    /// Current tasks first by slot, then the replaced ones (history).
    pub tasks: Vec<TaskReport>,
}

#[derive(Debug, Serialize)]
pub struct TaskReport {
    pub slot: Option<i64>,
    pub node: String,
    pub desired_state: String,
    pub state: String,
    /// Unix seconds of the state.
    pub since: Option<i64>,
    pub image: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// False: history (a replaced, rejected or shut-down task).
    pub current: bool,
}

#[derive(Debug, Serialize)]
pub struct NodeReport {
    pub hostname: String,
    pub role: String,
    pub availability: String,
    pub status: String,
    pub manager_status: String,
    pub engine_version: String,
    pub tasks_running: usize,
    /// Ready, and reachable when a manager.
    pub ok: bool,
}

#[derive(Debug, Serialize)]
pub struct SecretReport {
    pub name: String,
    /// `secret` or `config`.
    pub kind: String,
    pub created: Option<i64>,
    pub services: Vec<String>,
}

impl SwarmReport {
    /// The report of reading `s`, with the stack file's services when it was read.
    pub fn new(
        stacks: Vec<String>,
        s: &SwarmState,
        declared: Option<Result<Vec<String>, String>>,
    ) -> SwarmReport {
        let (declared, stack_file_error) = match declared {
            Some(Ok(d)) => (d, None),
            Some(Err(e)) => (Vec::new(), Some(e)),
            None => (Vec::new(), None),
        };
        SwarmReport {
            missing: s
                .missing(&declared, &[])
                .into_iter()
                .map(|m| m.name)
                .collect(),
            empty_stacks: s.empty_stacks(&stacks),
            stack_file_error,
            stacks,
            services: s.services.iter().map(|svc| service(svc, s)).collect(),
            nodes: s.nodes.iter().map(|n| node(n, s)).collect(),
            secrets: s
                .secrets
                .iter()
                .map(|x| SecretReport {
                    name: x.name.clone(),
                    kind: x.kind.clone(),
                    created: x.created,
                    services: x.services.clone(),
                })
                .collect(),
        }
    }

    /// Something needs attention: a service short or its update stopped, a node down.
    pub fn problem(&self) -> bool {
        self.services.iter().any(|s| !s.ok)
            || self.nodes.iter().any(|n| !n.ok)
            || !self.missing.is_empty()
            || !self.empty_stacks.is_empty()
    }

    /// The plain-text table, like `docker service ls`, `service ps` and `node ls`.
    pub fn render(&self, out: &mut String) {
        let w = self
            .services
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(0)
            .max(7);
        let wi = self
            .services
            .iter()
            .map(|s| s.image.len())
            .max()
            .unwrap_or(0)
            .max(5);
        out.push_str(&format!(
            "  {:<w$}  {:<10}  {:<8}  {:<wi$}  UPDATE\n",
            "SERVICE", "MODE", "REPLICAS", "IMAGE"
        ));
        for s in &self.services {
            let update = match (s.update_state.as_str(), s.update_message.as_str()) {
                (state, "") => state.to_string(),
                (state, m) => format!("{state}: {m}"),
            };
            let mark = if s.ok { "" } else { "  <-" };
            let replicas = format!("{}/{}", s.running, s.desired);
            out.push_str(&format!(
                "  {:<w$}  {:<10}  {replicas:<8}  {:<wi$}  {update}{mark}\n",
                s.name, s.mode, s.image
            ));
            for t in s.tasks.iter().filter(|t| t.current || !t.error.is_empty()) {
                let slot = t
                    .slot
                    .map_or_else(|| "global".to_string(), |n| n.to_string());
                let prefix = if t.current { "" } else { "\\_ " };
                out.push_str(&format!(
                    "    {prefix}{slot:<6}  {:<20}  {:<8} -> {:<10}  {}\n",
                    t.node, t.desired_state, t.state, t.error
                ));
            }
        }
        for m in &self.missing {
            out.push_str(&format!(
                "  {m:<w$}  MISSING: declared in the stack file, no such service  <-\n"
            ));
        }
        for st in &self.empty_stacks {
            out.push_str(&format!("  stack {st}: no services  <-\n"));
        }
        if let Some(e) = &self.stack_file_error {
            out.push_str(&format!("  warning: {e}\n"));
        }
        out.push_str(
            "  NODE                  ROLE      AVAILABILITY  STATUS  MANAGER      TASKS\n",
        );
        for n in &self.nodes {
            let mark = if n.ok { "" } else { "  <-" };
            out.push_str(&format!(
                "  {:<20}  {:<8}  {:<12}  {:<6}  {:<11}  {}{mark}\n",
                n.hostname, n.role, n.availability, n.status, n.manager_status, n.tasks_running
            ));
        }
        if !self.secrets.is_empty() {
            let names: Vec<String> = self
                .secrets
                .iter()
                .map(|x| format!("{} ({})", x.name, x.kind))
                .collect();
            out.push_str(&format!("  secrets and configs: {}\n", names.join(", ")));
        }
    }
}

fn service(svc: &SwarmService, s: &SwarmState) -> ServiceReport {
    ServiceReport {
        name: svc.name.clone(),
        stack: svc.stack.clone(),
        mode: svc.mode.clone(),
        running: svc.running,
        desired: svc.desired,
        image: svc.image.clone(),
        update_state: svc.update_state.clone(),
        update_message: svc.update_message.clone(),
        ports: svc.ports.clone(),
        ok: !svc.alert(),
        tasks: s
            .tasks_of(&svc.id)
            .into_iter()
            .map(|t| task(t, s))
            .collect(),
    }
}

fn task(t: &SwarmTask, s: &SwarmState) -> TaskReport {
    TaskReport {
        slot: t.slot,
        node: s.hostname(&t.node_id).to_string(),
        desired_state: t.desired_state.clone(),
        state: t.state.clone(),
        since: t.since,
        image: t.image.clone(),
        error: t.error.clone(),
        current: t.is_current(),
    }
}

fn node(n: &SwarmNode, s: &SwarmState) -> NodeReport {
    NodeReport {
        hostname: n.hostname.clone(),
        role: n.role.clone(),
        availability: n.availability.clone(),
        status: n.status.clone(),
        manager_status: n.manager_status.clone(),
        engine_version: n.engine_version.clone(),
        tasks_running: s.running_on(&n.id),
        ok: !n.alert(),
    }
}

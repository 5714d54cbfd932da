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
    /// When the engine began the last update (its own text; empty when never).
    pub update_started: String,
    /// Unix seconds.
    pub created: Option<i64>,
    /// Published ports, `8080:80/tcp` each.
    pub ports: Vec<String>,
    /// The secrets and configs the service's tasks get (names only).
    pub secrets: Vec<String>,
    pub configs: Vec<String>,
    /// The log driver its tasks use (empty: each node's default).
    pub log_driver: String,
    /// The image its tasks ran before the current one, from the task history (what
    /// `docker service rollback` most likely goes back to); empty when none is known.
    pub previous_image: String,
    /// The spec's force-update counter (`docker service update --force` raises it).
    pub force_update: u64,
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
    /// The same to the nanosecond, as the engine gave it (the timeline orders by it).
    pub since_ns: Option<i64>,
    /// The engine's error text (`No such image: …`); empty when none.
    pub error: String,
    /// The engine's message for the state (`started`, `preparing`, …).
    pub message: String,
    /// The image the task runs (`repo:tag`, digest dropped).
    pub image: String,
    /// The force-update counter of the spec the task was made from.
    pub force_update: u64,
    /// The container on its node (empty until the engine made one).
    pub container_id: String,
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

    /// Where a change to `service` stands: converged when no update is on its way,
    /// every desired task runs (on a node that is up, healthy: a swarm task with a
    /// health check is `starting` until it passes) from the service's current spec,
    /// and, with `image`, that spec runs `image`. With `old_update` (a change that
    /// starts an update), the update status that started then is the one before this
    /// change (the engine has not begun it yet), and a paused update fails at once;
    /// with `image`, so does an update the engine rolled back.
    pub fn convergence(
        &self,
        service: &str,
        image: Option<&str>,
        old_update: Option<&str>,
        rollback: bool,
    ) -> Convergence {
        let Some(svc) = self.services.iter().find(|s| s.name == service) else {
            return Convergence::Failed(format!("{service} is gone from the swarm"));
        };
        let why = if svc.update_message.is_empty() {
            String::new()
        } else {
            format!(": {}", svc.update_message)
        };
        let state = svc.update_state.as_str();
        if let Some(want) = image
            && svc.image != want
        {
            return Convergence::Failed(if state.starts_with("rollback") {
                format!("the engine rolled the update back to {}{why}", svc.image)
            } else {
                format!("its spec now runs {}, not {want}", svc.image)
            });
        }
        if old_update.is_some_and(|old| old == svc.update_started) {
            return Convergence::Waiting("the engine has not begun the update yet".into());
        }
        if old_update.is_some() && matches!(state, "paused" | "rollback_paused") {
            return Convergence::Failed(format!("the engine paused the update{why}"));
        }
        // An update the engine rolled back (a restart's new tasks failed): the tasks it
        // had not reached yet still run the spec before it, which would count as done.
        if old_update.is_some() && !rollback && state.starts_with("rollback") {
            return Convergence::Failed(format!("the engine rolled the update back{why}"));
        }
        let up = |node: &str| {
            self.nodes
                .iter()
                .any(|n| n.id == node && n.status == "ready")
        };
        let current = |t: &&&SwarmTask| t.image == svc.image && t.force_update == svc.force_update;
        let tasks: Vec<&SwarmTask> = self
            .tasks
            .iter()
            .filter(|t| t.service_id == svc.id && t.is_current())
            .collect();
        let fresh = tasks
            .iter()
            .filter(current)
            .filter(|t| t.state == "running" && up(&t.node_id))
            .count() as u64;
        let old = tasks.len() - tasks.iter().filter(current).count();
        // Restoring after the engine's own rollback, which it paused (a start-first
        // rollback can count a task it replaced itself as a failure): what matters is
        // that every task runs the image again, even with a surplus not yet removed.
        if state == "rollback_paused" && old_update.is_none() && image.is_some() {
            return if old == 0 && fresh >= svc.desired {
                Convergence::Done(format!(
                    "{fresh} tasks running on {} (the engine paused its rollback{why})",
                    svc.image
                ))
            } else {
                Convergence::Failed(format!("the engine paused its rollback{why}"))
            };
        }
        if matches!(state, "updating" | "rollback_started") {
            return Convergence::Waiting(format!(
                "update {state}: {fresh}/{} tasks running on the new spec",
                svc.desired
            ));
        }
        // Tasks told to stop (scaled away, replaced) that still run on a node that is up.
        let stopping = self
            .tasks
            .iter()
            .filter(|t| {
                t.service_id == svc.id && !t.is_current() && t.state == "running" && up(&t.node_id)
            })
            .count();
        if fresh == svc.desired && old == 0 && stopping == 0 {
            return Convergence::Done(format!(
                "{fresh}/{} tasks running on {}",
                svc.desired, svc.image
            ));
        }
        let mut waiting = format!("{fresh}/{} tasks running on the current spec", svc.desired);
        if old > 0 {
            waiting.push_str(&format!(", {old} still on the old one"));
        }
        if stopping > 0 {
            waiting.push_str(&format!(", {stopping} still stopping"));
        }
        Convergence::Waiting(waiting)
    }

    /// Where a node's availability change stands: the node has it and, when drained,
    /// none of the watched tasks runs on it and every service has its replicas.
    pub fn node_settled(&self, node_id: &str, availability: &str) -> Convergence {
        let Some(node) = self.nodes.iter().find(|n| n.id == node_id) else {
            return Convergence::Failed("the node left the swarm".into());
        };
        if node.availability != availability {
            return Convergence::Waiting(format!(
                "{} is still {}",
                node.hostname, node.availability
            ));
        }
        let left = self.running_on(node_id);
        if availability == "drain" && left > 0 {
            return Convergence::Waiting(format!("{left} tasks still on {}", node.hostname));
        }
        let short: Vec<&str> = self
            .services
            .iter()
            .filter(|s| s.running < s.desired)
            .map(|s| s.name.as_str())
            .collect();
        if availability == "drain" && !short.is_empty() {
            return Convergence::Waiting(format!("short of replicas: {}", short.join(", ")));
        }
        Convergence::Done(format!("{} is {availability}", node.hostname))
    }

    /// What needs attention: services and nodes in alert.
    pub fn alerts(&self) -> usize {
        self.services.iter().filter(|s| s.alert()).count()
            + self.nodes.iter().filter(|n| n.alert()).count()
    }
}

/// A service the environment should have that the manager does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingService {
    pub name: String,
    /// True: the stack file names it; false: it was seen since the console connected.
    pub declared: bool,
}

impl MissingService {
    /// Why it is missing, for its row.
    pub fn why(&self) -> &'static str {
        if self.declared {
            "declared in the stack file, no such service"
        } else {
            "removed since the console connected"
        }
    }
}

impl SwarmState {
    /// The services of `declared` (the stack file's) and of `seen` (every reading since
    /// the console connected) that this reading does not have, each once, sorted.
    pub fn missing(&self, declared: &[String], seen: &[String]) -> Vec<MissingService> {
        let have = |n: &String| self.services.iter().any(|s| s.name == *n);
        let mut out: Vec<MissingService> = declared
            .iter()
            .filter(|n| !have(n))
            .map(|n| MissingService {
                name: n.clone(),
                declared: true,
            })
            .collect();
        for n in seen {
            if !have(n) && !out.iter().any(|m| m.name == *n) {
                out.push(MissingService {
                    name: n.clone(),
                    declared: false,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The watched stacks (none named: every stack, and so none to miss) that have no
    /// service at all.
    pub fn empty_stacks(&self, stacks: &[String]) -> Vec<String> {
        stacks
            .iter()
            .filter(|st| !self.services.iter().any(|s| s.stack == **st))
            .cloned()
            .collect()
    }
}

/// Where a swarm change stands (see [`SwarmState::convergence`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Convergence {
    Done(String),
    Waiting(String),
    Failed(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "reg/acme/app:v1";
    const V2: &str = "reg/acme/app:v2";

    #[test]
    fn declared_and_seen_services_that_are_gone_are_missing_and_an_empty_stack_is_named() {
        let state = SwarmState {
            services: vec![SwarmService {
                name: "acme_app".into(),
                stack: "acme".into(),
                ..SwarmService::default()
            }],
            ..SwarmState::default()
        };
        let declared = ["acme_app".to_string(), "acme_redis".to_string()];
        let seen = [
            "acme_app".to_string(),
            "acme_redis".to_string(),
            "acme_cron".to_string(),
        ];
        let missing = state.missing(&declared, &seen);
        let got: Vec<(&str, bool)> = missing
            .iter()
            .map(|m| (m.name.as_str(), m.declared))
            .collect();
        assert_eq!(got, [("acme_cron", false), ("acme_redis", true)]);
        assert_eq!(
            state.empty_stacks(&["acme".into(), "billing".into()]),
            ["billing"]
        );
        assert!(state.empty_stacks(&[]).is_empty());
    }

    fn task(id: &str, image: &str, state: &str, node: &str) -> SwarmTask {
        SwarmTask {
            id: id.into(),
            service_id: "s1".into(),
            slot: Some(1),
            node_id: node.into(),
            desired_state: "running".into(),
            state: state.into(),
            image: image.into(),
            ..SwarmTask::default()
        }
    }

    fn swarm(update: &str, image: &str, tasks: Vec<SwarmTask>) -> SwarmState {
        SwarmState {
            services: vec![SwarmService {
                id: "s1".into(),
                name: "acme_app".into(),
                mode: "replicated".into(),
                desired: 2,
                image: image.into(),
                update_state: update.into(),
                update_started: "T2".into(),
                update_message: "update rolled back due to failure".into(),
                ..SwarmService::default()
            }],
            tasks,
            nodes: ["n1", "n2"]
                .map(|id| SwarmNode {
                    id: id.into(),
                    status: "ready".into(),
                    availability: "active".into(),
                    ..SwarmNode::default()
                })
                .to_vec(),
            secrets: Vec::new(),
        }
    }

    #[test]
    fn an_update_converges_only_with_every_task_on_the_new_spec_and_the_update_completed() {
        let on =
            |a: &str, b: &str| vec![task("a", a, "running", "n1"), task("b", b, "running", "n2")];
        let done = |s: &SwarmState| s.convergence("acme_app", Some(V2), Some("T1"), false);
        assert!(matches!(
            done(&swarm("updating", V2, on(V2, V1))),
            Convergence::Waiting(_)
        ));
        assert!(matches!(
            done(&swarm("completed", V2, on(V2, V1))),
            Convergence::Waiting(_)
        ));
        assert!(matches!(
            done(&swarm("completed", V2, on(V2, V2))),
            Convergence::Done(_)
        ));
        // A task starting (its health check not passed yet) is not running.
        let starting = vec![
            task("a", V2, "running", "n1"),
            task("b", V2, "starting", "n2"),
        ];
        assert!(matches!(
            done(&swarm("completed", V2, starting)),
            Convergence::Waiting(_)
        ));
        // The status read before the engine began this update says nothing about it.
        let stale = swarm("paused", V2, on(V1, V1));
        assert!(matches!(
            stale.convergence("acme_app", Some(V2), Some("T2"), false),
            Convergence::Waiting(_)
        ));
    }

    #[test]
    fn a_paused_or_rolled_back_update_fails_at_once_with_the_engine_s_reason() {
        let tasks = vec![
            task("a", V1, "running", "n1"),
            task("b", V1, "running", "n2"),
        ];
        match swarm("rollback_started", V1, tasks.clone()).convergence(
            "acme_app",
            Some(V2),
            Some("T1"),
            false,
        ) {
            Convergence::Failed(why) => {
                assert!(
                    why.contains("rolled the update back") && why.contains("due to failure"),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            swarm("paused", V2, tasks.clone()).convergence("acme_app", Some(V2), Some("T1"), false),
            Convergence::Failed(_)
        ));
        // A restart (the image stays) the engine rolled back: the task it had not
        // reached and the one it put back run the spec from before, which is no restart.
        match swarm("rollback_completed", V1, tasks.clone()).convergence(
            "acme_app",
            Some(V1),
            Some("T1"),
            false,
        ) {
            Convergence::Failed(why) => assert!(why.contains("rolled the update back"), "{why}"),
            other => panic!("{other:?}"),
        }
        // `docker service rollback` asked for it: that is the change, done.
        assert!(matches!(
            swarm("rollback_completed", V1, tasks.clone()).convergence(
                "acme_app",
                None,
                Some("T1"),
                true
            ),
            Convergence::Done(_)
        ));
        // Restoring v1 after the engine rolled back: done once both run v1 again,
        // even when the engine paused its rollback with a surplus task.
        assert!(matches!(
            swarm("rollback_completed", V1, tasks.clone()).convergence(
                "acme_app",
                Some(V1),
                None,
                false
            ),
            Convergence::Done(_)
        ));
        let mut surplus = tasks.clone();
        surplus.push(task("c", V1, "running", "n1"));
        assert!(matches!(
            swarm("rollback_paused", V1, surplus).convergence("acme_app", Some(V1), None, false),
            Convergence::Done(_)
        ));
        let mut short = tasks;
        short[1].state = "failed".into();
        assert!(matches!(
            swarm("rollback_paused", V1, short).convergence("acme_app", Some(V1), None, false),
            Convergence::Failed(_)
        ));
    }

    #[test]
    fn a_drained_node_is_settled_when_its_tasks_run_elsewhere() {
        let mut s = swarm(
            "",
            V1,
            vec![
                task("a", V1, "running", "n1"),
                task("b", V1, "running", "n2"),
            ],
        );
        s.services[0].running = 2;
        s.nodes[1].availability = "drain".into();
        assert!(matches!(
            s.node_settled("n2", "drain"),
            Convergence::Waiting(_)
        ));
        s.tasks[1].node_id = "n1".into();
        assert!(matches!(
            s.node_settled("n2", "drain"),
            Convergence::Done(_)
        ));
        assert!(matches!(
            s.node_settled("n2", "active"),
            Convergence::Waiting(_)
        ));
    }
}

/// A stack file as `docker stack deploy` would read it, for the preview of what a
/// deploy of it changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackFile {
    /// The stack it is deployed as.
    pub stack: String,
    /// Its path on the manager's host.
    pub path: String,
    pub services: Vec<StackFileService>,
}

/// One service of a stack file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackFileService {
    /// The full name it runs under (`STACK_service`).
    pub name: String,
    /// The image, variables replaced by their defaults.
    pub image: String,
    /// `deploy.replicas` (None: a global service, or 1 by default).
    pub replicas: Option<u64>,
    /// `deploy.mode: global`.
    pub global: bool,
    /// Variables without a default in the image: the shell that runs the deploy
    /// decides them, so the preview cannot.
    pub unknown: Vec<String>,
}

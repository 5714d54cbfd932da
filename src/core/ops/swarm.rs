//! The swarm engine's plans: service update (deploy a tag), rollback, scale, forced
//! restart and node availability, each as exact `docker` commands run on the manager,
//! followed by a gate that watches the swarm until the change has converged.
//!
//! Every name that goes into a command is checked against what the console read from
//! the manager (a service of a watched stack, a node of the swarm) and against the
//! shape Docker allows, then quoted.

use crate::model::swarm::{StackFile, SwarmService, SwarmState};
use crate::ops::image::image_ref;
use crate::ops::plan::{Exec, OpKind, Plan, ROLLBACK_TAG, Refused, Step, Undo, valid_tag};
use crate::shell::quote;
use crate::text::clean;

/// The Docker socket the CLI uses when `-H` is not given.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// What a swarm plan is built from.
pub struct Swarm<'a> {
    /// The last reading of the manager.
    pub state: &'a SwarmState,
    /// The manager's Docker socket, as the environment names it.
    pub socket: &'a str,
    /// Whether updates resolve the image's digest (else `--no-resolve-image`).
    pub resolve_image: bool,
    /// How long a gate waits for the swarm to converge.
    pub timeout_secs: u64,
    /// The stack file on the manager's host, when configured.
    pub stack_file: Option<&'a str>,
}

/// Node availabilities, as `docker node update --availability` takes them.
pub const AVAILABILITIES: [&str; 3] = ["active", "pause", "drain"];

fn shell(label: String, command: String) -> Step {
    Step {
        label,
        command,
        exec: Exec::Shell,
    }
}

impl Swarm<'_> {
    /// `docker` (with `-H unix://SOCKET` when the socket is not the default one).
    fn docker(&self) -> String {
        if self.socket == DEFAULT_SOCKET {
            "docker".into()
        } else {
            format!("docker -H {}", quote(&format!("unix://{}", self.socket)))
        }
    }

    /// The services named, each a service of a watched stack as last read.
    fn services(&self, targets: &[String]) -> Result<Vec<&SwarmService>, Refused> {
        if targets.is_empty() {
            return Err(Refused("no service selected".into()));
        }
        targets
            .iter()
            .map(|t| {
                crate::config::ServiceName::parse(t).map_err(|e| Refused(clean(&e, 120)))?;
                self.state
                    .services
                    .iter()
                    .find(|s| s.name == *t)
                    .ok_or_else(|| {
                        Refused(format!(
                            "{:?} is not a service of the watched stacks",
                            clean(t, 40)
                        ))
                    })
            })
            .collect()
    }

    /// The gate after a change to `svc`: converged on `image` (None: whatever its spec
    /// says); `updates`: the change starts a rolling update (all but scale); `rollback`:
    /// the change is `docker service rollback`.
    fn converge(
        &self,
        svc: &SwarmService,
        image: Option<&str>,
        updates: bool,
        rollback: bool,
    ) -> Step {
        let what = match image {
            Some(i) => format!("every task on {i}"),
            None => "every task on its spec".into(),
        };
        Step {
            label: format!(
                "wait until {} has converged (at most {} s)",
                svc.name, self.timeout_secs
            ),
            command: format!(
                "watch {} until its update is completed and its desired tasks run, healthy, with {what}; fail at once on paused or rollback_started",
                svc.name
            ),
            exec: Exec::SwarmConverge {
                service: svc.name.clone(),
                image: image.map(str::to_string),
                old_update: updates.then(|| svc.update_started.clone()),
                rollback,
                timeout_secs: self.timeout_secs,
            },
        }
    }

    /// The plan for `kind` on `targets` (service names; a node's hostname for node
    /// availability).
    pub fn plan(&self, kind: OpKind, targets: Vec<String>) -> Result<Plan, Refused> {
        let mut changes = Vec::new();
        let mut undo = None;
        let steps = match &kind {
            OpKind::Restart => self.restart(&targets)?,
            OpKind::Scale { replicas } => self.scale(&targets, *replicas, &mut changes)?,
            OpKind::Deploy { tag, migrate, .. } => {
                if *migrate {
                    return Err(Refused(
                        "migrations are not run on a swarm environment (see the README)".into(),
                    ));
                }
                let (steps, u) = self.deploy(&targets, tag, &mut changes)?;
                undo = Some(u);
                steps
            }
            OpKind::Rollback { to, .. } if to == ROLLBACK_TAG => {
                self.roll_back(&targets, &mut changes)?
            }
            OpKind::Rollback { to, .. } => {
                let (steps, u) = self.deploy(&targets, to, &mut changes)?;
                undo = Some(u);
                steps
            }
            OpKind::NodeAvailability { to } => self.node(&targets, to, &mut changes)?,
            OpKind::StackDeploy(file) => self.stack_deploy(file, &mut changes)?,
            OpKind::BreakLock => return Err(Refused("break-lock is planned by its own".into())),
            OpKind::RevealSecrets => return Ok(crate::ops::plan::reveal_plan()),
            OpKind::Shell(target) => return crate::ops::shell_in::shell_plan(target),
            other => {
                return Err(Refused(format!(
                    "{} is a compose project's action; a swarm environment does not have it",
                    other.label()
                )));
            }
        };
        Ok(Plan {
            kind,
            targets,
            steps,
            changes,
            undo,
        })
    }

    /// `docker service update --force`: every task replaced, one by one as the
    /// service's update config says.
    fn restart(&self, targets: &[String]) -> Result<Vec<Step>, Refused> {
        let services = self.services(targets)?;
        let mut steps = Vec::new();
        for s in &services {
            steps.push(shell(
                format!("restart {} (replace every task)", s.name),
                format!(
                    "{} service update --detach --force {}",
                    self.docker(),
                    quote(&s.name)
                ),
            ));
        }
        steps.extend(
            services
                .iter()
                .map(|s| self.converge(s, Some(&s.image), true, false)),
        );
        Ok(steps)
    }

    fn scale(
        &self,
        targets: &[String],
        replicas: u64,
        changes: &mut Vec<(String, String, String)>,
    ) -> Result<Vec<Step>, Refused> {
        let services = self.services(targets)?;
        if replicas > 1000 {
            return Err(Refused(format!("{replicas} replicas is more than 1000")));
        }
        let mut steps = Vec::new();
        for s in &services {
            if s.mode != "replicated" {
                return Err(Refused(format!(
                    "{} is a global service (a task per node): it cannot be scaled",
                    s.name
                )));
            }
            changes.push((
                s.name.clone(),
                format!("{} replicas", s.desired),
                format!("{replicas} replicas"),
            ));
            steps.push(shell(
                format!("scale {} to {replicas}", s.name),
                format!(
                    "{} service scale --detach {}",
                    self.docker(),
                    quote(&format!("{}={replicas}", s.name))
                ),
            ));
        }
        steps.extend(
            services
                .iter()
                .map(|s| self.converge(s, None, false, false)),
        );
        Ok(steps)
    }

    /// A new image for each target through the engine's rolling update, gated; when a
    /// gate fails the undo makes sure the previous image runs again (the engine's own
    /// rollback when its failure action did it, else `docker service rollback`).
    fn deploy(
        &self,
        targets: &[String],
        tag: &str,
        changes: &mut Vec<(String, String, String)>,
    ) -> Result<(Vec<Step>, Undo), Refused> {
        valid_tag(tag)?;
        let services = self.services(targets)?;
        let mut steps = Vec::new();
        let mut gates = Vec::new();
        let mut restore = Vec::new();
        for s in &services {
            let Some(current) = image_ref(&s.image) else {
                return Err(Refused(format!(
                    "{} runs {:?}, which is not an image reference",
                    s.name,
                    clean(&s.image, 60)
                )));
            };
            let new = format!("{}:{tag}", current.repo);
            if new == s.image {
                return Err(Refused(format!(
                    "{} already runs {new}: nothing would change (R replaces its tasks)",
                    s.name
                )));
            }
            changes.push((s.name.clone(), s.image.clone(), new.clone()));
            let resolve = if self.resolve_image {
                ""
            } else {
                " --no-resolve-image"
            };
            steps.push(shell(
                format!("update {} to {new}", s.name),
                format!(
                    "{} service update --detach --with-registry-auth{resolve} --image {} {}",
                    self.docker(),
                    quote(&new),
                    quote(&s.name)
                ),
            ));
            gates.push(self.converge(s, Some(&new), true, false));
            restore.push(Step {
                label: format!(
                    "make sure {} runs {} again (the engine's own rollback, else this command)",
                    s.name, s.image
                ),
                command: format!(
                    "{} service rollback --detach {}",
                    self.docker(),
                    quote(&s.name)
                ),
                exec: Exec::SwarmRestore {
                    service: s.name.clone(),
                    image: s.image.clone(),
                    timeout_secs: self.timeout_secs,
                },
            });
        }
        steps.extend(gates);
        // A failed first command changed nothing (the engine refused it): nothing to
        // undo; from the second on, an earlier target may have changed; a cancel once
        // the first ran leaves an update going with no gate: undone.
        Ok((
            steps,
            Undo {
                from_step: 1,
                first_change: 0,
                until: usize::MAX,
                steps: restore,
            },
        ))
    }

    /// `docker service rollback`: back to the previous spec, gated on its image.
    fn roll_back(
        &self,
        targets: &[String],
        changes: &mut Vec<(String, String, String)>,
    ) -> Result<Vec<Step>, Refused> {
        let services = self.services(targets)?;
        let mut steps = Vec::new();
        let mut gates = Vec::new();
        for s in &services {
            let before = if s.previous_image.is_empty() {
                "its previous spec".to_string()
            } else {
                format!("its previous spec ({} last ran)", s.previous_image)
            };
            changes.push((s.name.clone(), s.image.clone(), before));
            steps.push(shell(
                format!("roll {} back to its previous spec", s.name),
                format!(
                    "{} service rollback --detach {}",
                    self.docker(),
                    quote(&s.name)
                ),
            ));
            gates.push(self.converge(s, None, true, true));
        }
        steps.extend(gates);
        Ok(steps)
    }

    /// `docker stack deploy` of the configured stack file, gated on every service whose
    /// image or replicas it changes; the changes are the diff between the file (its
    /// variables at their defaults) and what runs.
    fn stack_deploy(
        &self,
        file: &StackFile,
        changes: &mut Vec<(String, String, String)>,
    ) -> Result<Vec<Step>, Refused> {
        let configured = self
            .stack_file
            .ok_or_else(|| Refused("no stack_file in the [swarm] table".into()))?;
        if file.path != configured {
            return Err(Refused(
                "the file read is not the configured stack file".into(),
            ));
        }
        crate::config::StackName::parse(&file.stack).map_err(|e| Refused(clean(&e, 120)))?;
        let dir = configured.rsplit_once('/').map_or(".", |(d, _)| d);
        let dir = if dir.is_empty() { "/" } else { dir };
        let resolve = if self.resolve_image {
            ""
        } else {
            " --resolve-image never"
        };
        let mut steps = vec![shell(
            format!("deploy the stack file {configured} as {}", file.stack),
            format!(
                "cd {} && {} stack deploy -c {} --with-registry-auth{resolve} {}",
                quote(dir),
                self.docker(),
                quote(configured),
                quote(&file.stack)
            ),
        )];
        for f in &file.services {
            let unknown = if f.unknown.is_empty() {
                String::new()
            } else {
                format!(" (${{{}}} from the host's shell)", f.unknown.join("}, ${"))
            };
            let Some(now) = self.state.services.iter().find(|s| s.name == f.name) else {
                changes.push((
                    f.name.clone(),
                    "not running".into(),
                    format!("new: {}{unknown}", f.image),
                ));
                steps.push(self.converge(
                    &SwarmService {
                        name: f.name.clone(),
                        ..SwarmService::default()
                    },
                    None,
                    false,
                    false,
                ));
                continue;
            };
            let image = f.unknown.is_empty() && f.image != now.image;
            let replicas = !f.global && f.replicas.is_some_and(|r| r != now.desired);
            if image {
                changes.push((f.name.clone(), now.image.clone(), f.image.clone()));
            } else if !f.unknown.is_empty() {
                changes.push((
                    f.name.clone(),
                    now.image.clone(),
                    format!("{}{unknown}", f.image),
                ));
            }
            if replicas {
                changes.push((
                    f.name.clone(),
                    format!("{} replicas", now.desired),
                    format!("{} replicas", f.replicas.unwrap_or(1)),
                ));
            }
            if image || replicas || !f.unknown.is_empty() {
                steps.push(self.converge(now, image.then_some(f.image.as_str()), image, false));
            }
        }
        for s in &self.state.services {
            if s.stack == file.stack && !file.services.iter().any(|f| f.name == s.name) {
                changes.push((
                    s.name.clone(),
                    "running".into(),
                    "not in the file: left running (no --prune)".into(),
                ));
            }
        }
        if changes.is_empty() {
            changes.push((
                file.stack.clone(),
                "no image or replica changes".into(),
                "the file's other settings apply as written".into(),
            ));
        }
        Ok(steps)
    }

    /// `docker node update --availability`, gated on the node's tasks having moved.
    fn node(
        &self,
        targets: &[String],
        to: &str,
        changes: &mut Vec<(String, String, String)>,
    ) -> Result<Vec<Step>, Refused> {
        let [name] = targets else {
            return Err(Refused("select one node in the nodes view (n)".into()));
        };
        if !AVAILABILITIES.contains(&to) {
            return Err(Refused(format!(
                "{:?} is not a node availability",
                clean(to, 20)
            )));
        }
        let node = self
            .state
            .nodes
            .iter()
            .find(|n| n.hostname == *name)
            .ok_or_else(|| Refused(format!("{:?} is not a node of this swarm", clean(name, 60))))?;
        if crate::config::ServiceName::parse(&node.id).is_err() {
            return Err(Refused("the node's id is not an id".into()));
        }
        changes.push((
            node.hostname.clone(),
            node.availability.clone(),
            to.to_string(),
        ));
        let moving = self.state.running_on(&node.id);
        if to == "drain" {
            for t in self
                .state
                .tasks
                .iter()
                .filter(|t| t.node_id == node.id && t.is_current() && t.state == "running")
            {
                let service = self
                    .state
                    .services
                    .iter()
                    .find(|s| s.id == t.service_id)
                    .map_or("?", |s| s.name.as_str());
                let task = match t.slot {
                    Some(n) => format!("{service}.{n}"),
                    None => service.to_string(),
                };
                changes.push((task, format!("on {}", node.hostname), "moves".into()));
            }
        }
        let gate = match to {
            "drain" => format!(
                "watch the swarm until no task runs on {} and every service has its replicas ({moving} to move)",
                node.hostname
            ),
            _ => format!("watch the swarm until {} is {to}", node.hostname),
        };
        Ok(vec![
            shell(
                format!("set {} to {to}", node.hostname),
                // The id, not the hostname: two nodes may share a hostname.
                format!(
                    "{} node update --availability {to} {}",
                    self.docker(),
                    quote(&node.id)
                ),
            ),
            Step {
                label: format!(
                    "wait until {} is {to}{} (at most {} s)",
                    node.hostname,
                    if to == "drain" {
                        " and its tasks run elsewhere"
                    } else {
                        ""
                    },
                    self.timeout_secs
                ),
                command: gate,
                exec: Exec::SwarmNode {
                    node_id: node.id.clone(),
                    availability: to.to_string(),
                    timeout_secs: self.timeout_secs,
                },
            },
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::swarm::{SwarmNode, SwarmTask};

    fn state() -> SwarmState {
        SwarmState {
            services: vec![SwarmService {
                id: "s1".into(),
                name: "acme_app".into(),
                stack: "acme".into(),
                mode: "replicated".into(),
                running: 2,
                desired: 2,
                image: "127.0.0.1:5000/acme/app:v1".into(),
                previous_image: "127.0.0.1:5000/acme/app:v0".into(),
                ..SwarmService::default()
            }],
            tasks: vec![SwarmTask {
                id: "t1".into(),
                service_id: "s1".into(),
                slot: Some(1),
                node_id: "n2".into(),
                desired_state: "running".into(),
                state: "running".into(),
                ..SwarmTask::default()
            }],
            nodes: vec![SwarmNode {
                id: "n2".into(),
                hostname: "worker-1".into(),
                availability: "active".into(),
                status: "ready".into(),
                ..SwarmNode::default()
            }],
            secrets: Vec::new(),
        }
    }

    fn planner(s: &SwarmState) -> Swarm<'_> {
        Swarm {
            state: s,
            socket: "/run/m.sock",
            resolve_image: false,
            timeout_secs: 90,
            stack_file: Some("/opt/acme/docker-stack.yml"),
        }
    }

    #[test]
    fn a_deploy_updates_the_image_then_waits_and_can_restore_the_old_one() {
        let s = state();
        let kind = OpKind::Deploy {
            tag: "v2".into(),
            migrate: false,
            breaking: false,
        };
        let plan = planner(&s).plan(kind, vec!["acme_app".into()]).unwrap();
        assert_eq!(
            plan.steps[0].command,
            "docker -H 'unix:///run/m.sock' service update --detach --with-registry-auth --no-resolve-image --image '127.0.0.1:5000/acme/app:v2' 'acme_app'"
        );
        assert!(
            matches!(&plan.steps[1].exec, Exec::SwarmConverge { image: Some(i), .. } if i.ends_with(":v2"))
        );
        let undo = plan.undo.unwrap();
        assert_eq!(undo.from_step, 1);
        assert!(
            matches!(&undo.steps[0].exec, Exec::SwarmRestore { image, .. } if image.ends_with(":v1"))
        );
        assert_eq!(
            plan.changes,
            vec![(
                "acme_app".into(),
                "127.0.0.1:5000/acme/app:v1".into(),
                "127.0.0.1:5000/acme/app:v2".into()
            )]
        );
    }

    #[test]
    fn scaling_up_is_low_risk_and_down_or_to_zero_is_not() {
        use crate::ops::Risk;
        let s = state();
        let p = planner(&s);
        let desired = s.services[0].desired;
        let up = p
            .plan(
                OpKind::Scale {
                    replicas: desired + 2,
                },
                vec!["acme_app".into()],
            )
            .unwrap();
        assert_eq!(up.risk(), Risk::Low);
        assert!(
            up.risk_text().starts_with("low: more tasks start"),
            "{}",
            up.risk_text()
        );
        assert!(!up.risk_text().contains("briefly unavailable"));
        let down = p
            .plan(
                OpKind::Scale {
                    replicas: desired - 1,
                },
                vec!["acme_app".into()],
            )
            .unwrap();
        assert_eq!(down.risk(), Risk::Medium);
        assert!(
            down.risk_text().contains("tasks removed stop"),
            "{}",
            down.risk_text()
        );
        let zero = p
            .plan(OpKind::Scale { replicas: 0 }, vec!["acme_app".into()])
            .unwrap();
        assert_eq!(zero.risk(), Risk::High);
    }

    #[test]
    fn scale_restart_rollback_and_drain_are_exact_commands() {
        let s = state();
        let p = planner(&s);
        let scale = p
            .plan(OpKind::Scale { replicas: 3 }, vec!["acme_app".into()])
            .unwrap();
        assert!(
            scale.steps[0]
                .command
                .ends_with("service scale --detach 'acme_app=3'")
        );
        let restart = p.plan(OpKind::Restart, vec!["acme_app".into()]).unwrap();
        assert!(
            restart.steps[0]
                .command
                .ends_with("service update --detach --force 'acme_app'")
        );
        let back = p
            .plan(
                OpKind::Rollback {
                    to: ROLLBACK_TAG.into(),
                    known_as: None,
                },
                vec!["acme_app".into()],
            )
            .unwrap();
        assert!(
            back.steps[0]
                .command
                .ends_with("service rollback --detach 'acme_app'")
        );
        assert!(matches!(
            &back.steps[1].exec,
            Exec::SwarmConverge {
                image: None,
                old_update: Some(_),
                ..
            }
        ));
        assert!(
            back.changes[0].2.contains("app:v0 last ran"),
            "{:?}",
            back.changes
        );
        let drain = p
            .plan(
                OpKind::NodeAvailability { to: "drain".into() },
                vec!["worker-1".into()],
            )
            .unwrap();
        assert!(
            drain.steps[0]
                .command
                .ends_with("node update --availability drain 'n2'")
        );
        assert!(drain.steps[1].command.contains("(1 to move)"));
    }

    #[test]
    fn a_stack_deploy_previews_what_the_file_changes_and_gates_on_those_services() {
        let s = state();
        let file = StackFile {
            stack: "acme".into(),
            path: "/opt/acme/docker-stack.yml".into(),
            services: vec![crate::model::swarm::StackFileService {
                name: "acme_app".into(),
                image: "127.0.0.1:5000/acme/app:v2".into(),
                replicas: Some(3),
                ..Default::default()
            }],
        };
        let plan = planner(&s)
            .plan(
                OpKind::StackDeploy(Box::new(file.clone())),
                vec!["acme".into()],
            )
            .unwrap();
        assert_eq!(
            plan.steps[0].command,
            "cd '/opt/acme' && docker -H 'unix:///run/m.sock' stack deploy -c '/opt/acme/docker-stack.yml' --with-registry-auth --resolve-image never 'acme'"
        );
        assert_eq!(plan.changes.len(), 2, "{:?}", plan.changes);
        assert!(plan.changes[1].2 == "3 replicas");
        assert!(
            matches!(&plan.steps[1].exec, Exec::SwarmConverge { image: Some(i), .. } if i.ends_with(":v2"))
        );
        let mut other = file;
        other.path = "/etc/passwd".into();
        assert!(
            planner(&s)
                .plan(OpKind::StackDeploy(Box::new(other)), vec![])
                .is_err()
        );
    }

    #[test]
    fn hostile_or_unknown_values_are_refused_before_a_plan_exists() {
        let s = state();
        let p = planner(&s);
        for bad in ["acme_app;id", "$(reboot)", "acme_app other", "acme_web", ""] {
            assert!(
                p.plan(OpKind::Restart, vec![bad.into()]).is_err(),
                "{bad:?}"
            );
        }
        for tag in ["v2;id", "$(x)", "v 2", "-v2"] {
            let kind = OpKind::Deploy {
                tag: tag.into(),
                migrate: false,
                breaking: false,
            };
            assert!(p.plan(kind, vec!["acme_app".into()]).is_err(), "{tag:?}");
        }
        for node in ["worker-1;id", "manager-9", "$(x)"] {
            let kind = OpKind::NodeAvailability { to: "drain".into() };
            assert!(p.plan(kind, vec![node.into()]).is_err(), "{node:?}");
        }
        let kind = OpKind::NodeAvailability {
            to: "drain;id".into(),
        };
        assert!(p.plan(kind, vec!["worker-1".into()]).is_err());
        assert!(p.plan(OpKind::Stop, vec!["acme_app".into()]).is_err());
        let kind = OpKind::Migrate { breaking: false };
        assert!(p.plan(kind, vec![]).is_err());
    }
}

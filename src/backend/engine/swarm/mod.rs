//! A Docker Swarm as an engine, read from its manager: services (with their running and
//! desired task counts), tasks, nodes, secrets and configs, for the stacks watched.
//!
//! Driven by the manager's events (service, node, secret, config): an event schedules a
//! re-read a moment later, and while anything is on its way (an update rolling, a task
//! starting, replicas short) the state is re-read twice a second on screen (every second
//! off it) for a while after the last event, so a convergence shows when it happens
//! (within 2 s of the engine's, with room for a read that is slow under load). Without
//! events it is re-read every few seconds (a task that dies on a worker sends the
//! manager no event), more slowly when the environment is not on screen. Secrets and configs are read only
//! at the start and when one of their events arrives.

pub mod gate;
pub mod history;
pub mod stack_file;

use std::collections::HashMap;
use std::pin::Pin;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{EventMessage, Node, Service, Task};
use bollard::query_parameters::{
    EventsOptions, ListConfigsOptions, ListNodesOptions, ListSecretsOptions, ListServicesOptions,
    ListTasksOptions,
};
use futures::{Stream, StreamExt};
use tokio::time::Instant;

use crate::engine::docker;
use crate::engine::logs::{Followable, Followers};
use crate::report::{Outcome, Reporter};
use pilothouse_core::model::container::parse_docker_time;
use pilothouse_core::model::event::BackendEvent;
use pilothouse_core::model::swarm::{SwarmNode, SwarmSecret, SwarmService, SwarmState, SwarmTask};
use pilothouse_core::text::clean;

/// How long after an event the state is read (events come in bursts).
const AFTER_EVENT: Duration = Duration::from_millis(150);
/// While something is on its way, how often the state is read on screen and off it…
const SETTLING_ON_SCREEN: Duration = Duration::from_millis(500);
const SETTLING_OFF_SCREEN: Duration = Duration::from_secs(1);
/// …and for how long after the last event.
const SETTLING_FOR: Duration = Duration::from_secs(60);
/// With nothing happening: every this often on screen, and off screen.
const SWEEP_ON_SCREEN: Duration = Duration::from_secs(5);
const SWEEP_OFF_SCREEN: Duration = Duration::from_secs(30);

type Events = Pin<Box<dyn Stream<Item = Result<EventMessage, bollard::errors::Error>> + Send>>;

/// A raw change: an event of the manager, or a read that is due.
pub enum Raw {
    Event(Box<EventMessage>),
    ReadDue,
}

/// One connection's view of a swarm.
pub struct Swarm {
    docker: Docker,
    stacks: Vec<String>,
    events: Option<Events>,
    /// What the console was last told.
    last: Option<SwarmState>,
    last_read: Instant,
    /// A read asked for by an event.
    due: Option<Instant>,
    /// Reads stay frequent until then, while something is on its way.
    settling_until: Option<Instant>,
    secrets_due: bool,
    on_screen: bool,
    /// The failed tasks told to the timeline.
    told: history::Told,
    /// Timeline entries a read found, for the actor to send.
    timeline: Vec<pilothouse_core::model::timeline::Entry>,
}

impl Swarm {
    pub async fn connect(
        socket: &std::path::Path,
        stacks: &[String],
    ) -> Result<(Swarm, String), String> {
        let (docker, version) = docker::connect_engine(socket).await?;
        let s = Swarm {
            docker,
            stacks: stacks.to_vec(),
            events: None,
            last: None,
            last_read: Instant::now(),
            due: None,
            settling_until: None,
            secrets_due: true,
            on_screen: true,
            told: history::Told::default(),
            timeline: Vec::new(),
        };
        Ok((s, version))
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The first reading (after `Connected`), and the events subscribed from a few
    /// seconds before the manager's clock, so nothing between them is missed.
    pub async fn begin(
        &mut self,
        version: String,
        report: &Reporter,
    ) -> Result<Option<String>, Outcome> {
        let (t, root) = docker::daemon_time(&self.docker)
            .await
            .map_err(Outcome::Lost)?;
        self.events = Some(Box::pin(events(&self.docker, t - 5)));
        let state = self.read_all().await.map_err(Outcome::Lost)?;
        if !report
            .send(BackendEvent::Connected {
                docker_version: version,
            })
            .await
            || !report
                .send(BackendEvent::Swarm(Box::new(state.clone())))
                .await
        {
            return Err(Outcome::Shutdown);
        }
        if !state.converged() {
            self.settling_until = Some(Instant::now() + SETTLING_FOR);
        }
        self.told.new_failures(&state, true);
        self.last = Some(state);
        Ok(root)
    }

    /// When the next read is due.
    fn next_read(&self) -> Instant {
        if let Some(due) = self.due {
            return due;
        }
        let settling = self.settling_until.is_some_and(|u| Instant::now() < u);
        let every = match (settling, self.on_screen) {
            (true, true) => SETTLING_ON_SCREEN,
            (true, false) => SETTLING_OFF_SCREEN,
            (false, true) => SWEEP_ON_SCREEN,
            (false, false) => SWEEP_OFF_SCREEN,
        };
        self.last_read + every
    }

    pub async fn next_change(&mut self) -> Result<Raw, String> {
        let at = self.next_read();
        let Some(events) = self.events.as_mut() else {
            return Err("the manager's events were never subscribed".into());
        };
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => Ok(Raw::Event(Box::new(ev))),
                Some(Err(e)) => Err(format!("docker events: {e}")),
                None => Err("docker events stream ended".into()),
            },
            _ = tokio::time::sleep_until(at) => Ok(Raw::ReadDue),
        }
    }

    pub async fn on_change(
        &mut self,
        raw: Raw,
        followers: &mut Followers,
    ) -> Result<Option<BackendEvent>, Outcome> {
        match raw {
            Raw::Event(ev) => {
                let kind = ev.typ.map(|t| t.to_string()).unwrap_or_default();
                if kind == "secret" || kind == "config" {
                    self.secrets_due = true;
                }
                let now = Instant::now();
                self.due.get_or_insert(now + AFTER_EVENT);
                self.settling_until = Some(now + SETTLING_FOR);
                Ok(None)
            }
            Raw::ReadDue => {
                let state = self.read_all().await.map_err(Outcome::Lost)?;
                if state.converged() && self.due.is_none() {
                    // Settled: back to the sweep until the next event.
                    self.settling_until = None;
                }
                self.due = None;
                let failures = self.told.new_failures(&state, false);
                self.timeline.extend(failures);
                if self.last.as_ref() == Some(&state) {
                    return Ok(None);
                }
                self.last = Some(state.clone());
                // A task that started since is followed as the log request asks.
                self.follow_requested(followers);
                Ok(Some(BackendEvent::Swarm(Box::new(state))))
            }
        }
    }

    pub fn set_on_screen(&mut self, on: bool) {
        self.on_screen = on;
    }

    /// A manager event as the timeline's entry (a watched service's or a node's).
    pub fn event_entry(
        &self,
        ev: &EventMessage,
    ) -> Option<pilothouse_core::model::timeline::Entry> {
        history::event_entry(ev, &self.stacks)
    }

    /// The entries the last reads found (tasks that failed), once each.
    pub fn take_timeline(&mut self) -> Vec<pilothouse_core::model::timeline::Entry> {
        std::mem::take(&mut self.timeline)
    }

    /// Follows the logs of every running task the request wants, through the manager
    /// (`/tasks/{id}/logs`: never the service's own endpoint, which waits forever once
    /// the service has a task that never got a container, such as a rejected one).
    pub fn follow_requested(&self, followers: &mut Followers) {
        let Some(state) = &self.last else {
            return;
        };
        for f in swarm_task_streams(state) {
            followers.ensure(&self.docker, &f);
        }
        for svc in state.services.iter().filter(|s| !s.logs_readable()) {
            let text = format!(
                "no logs: {} logs with the {} driver, which the engine cannot read back (json-file, local and journald can)",
                svc.name, svc.log_driver
            );
            followers.explain(&format!("driver:{}", svc.id), &svc.name, text);
        }
    }

    /// Services, tasks and nodes; secrets and configs when they may have changed (else
    /// the last ones).
    async fn read_all(&mut self) -> Result<SwarmState, String> {
        self.last_read = Instant::now();
        let mut state = read_swarm(&self.docker, &self.stacks).await?;
        if self.secrets_due {
            state.secrets = read_secrets(&self.docker, &self.stacks, &state.services).await?;
            self.secrets_due = false;
        } else if let Some(last) = &self.last {
            state.secrets = with_users(last.secrets.clone(), &state.services);
        }
        Ok(state)
    }
}

/// Services, tasks, nodes, secrets and configs, read once (`pilothouse status`).
pub async fn read_swarm_with_secrets(
    docker: &Docker,
    stacks: &[String],
) -> Result<SwarmState, String> {
    let mut state = read_swarm(docker, stacks).await?;
    state.secrets = read_secrets(docker, stacks, &state.services).await?;
    Ok(state)
}

/// The running tasks as log streams: asked for by service name, labelled
/// `service.slot@node` (`service@node` for a global service's task) without the stack
/// prefix.
pub fn swarm_task_streams(state: &SwarmState) -> Vec<Followable> {
    let mut out = Vec::new();
    for svc in &state.services {
        let short = pilothouse_core::model::swarm::short_name(svc);
        if !svc.logs_readable() {
            continue;
        }
        for t in state.tasks_of(&svc.id) {
            if !(t.is_current() && t.state == "running") {
                continue;
            }
            let node = state.hostname(&t.node_id);
            let label = match t.slot {
                Some(slot) => format!("{short}.{slot}@{node}"),
                None => format!("{short}@{node}"),
            };
            out.push(Followable {
                id: t.id.clone(),
                service: svc.name.clone(),
                label,
                running: true,
                task: true,
            });
        }
    }
    out
}

/// The manager's service, node, secret and config events from `since`.
fn events(
    docker: &Docker,
    since: i64,
) -> impl Stream<Item = Result<EventMessage, bollard::errors::Error>> + use<> {
    let mut filters = HashMap::new();
    filters.insert(
        "type".to_string(),
        ["service", "node", "secret", "config"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    docker.events(Some(EventsOptions {
        since: Some(since.to_string()),
        until: None,
        filters: Some(filters),
    }))
}

/// The watched stacks' secrets and configs (names and dates only: the engine never
/// gives a value), with the watched services that use each. Another stack's are not
/// the environment's: they are left out unless a watched service uses them.
async fn read_secrets(
    docker: &Docker,
    stacks: &[String],
    services: &[SwarmService],
) -> Result<Vec<SwarmSecret>, String> {
    let secrets = docker
        .list_secrets(None::<ListSecretsOptions>)
        .await
        .map_err(|e| format!("docker secret ls: {e}"))?;
    let configs = docker
        .list_configs(None::<ListConfigsOptions>)
        .await
        .map_err(|e| format!("docker config ls: {e}"))?;
    let stack_of = |labels: Option<&HashMap<String, String>>| {
        labels
            .and_then(|l| l.get(STACK_LABEL))
            .cloned()
            .unwrap_or_default()
    };
    let found = secrets
        .iter()
        .map(|s| {
            let spec = s.spec.as_ref();
            let secret = SwarmSecret {
                name: text(spec.and_then(|x| x.name.as_deref())),
                kind: "secret".into(),
                created: s.created_at.as_deref().and_then(parse_docker_time),
                services: Vec::new(),
            };
            (secret, stack_of(spec.and_then(|x| x.labels.as_ref())))
        })
        .chain(configs.iter().map(|c| {
            let spec = c.spec.as_ref();
            let config = SwarmSecret {
                name: text(spec.and_then(|x| x.name.as_deref())),
                kind: "config".into(),
                created: c.created_at.as_deref().and_then(parse_docker_time),
                services: Vec::new(),
            };
            (config, stack_of(spec.and_then(|x| x.labels.as_ref())))
        }))
        .collect();
    Ok(watched_secrets(found, stacks, services))
}

/// Of (secret or config, the stack that made it), those of a watched stack or used by a
/// watched service, sorted, with their users filled in.
fn watched_secrets(
    found: Vec<(SwarmSecret, String)>,
    stacks: &[String],
    services: &[SwarmService],
) -> Vec<SwarmSecret> {
    let (secrets, owners): (Vec<SwarmSecret>, Vec<String>) = found.into_iter().unzip();
    let mut out: Vec<SwarmSecret> = with_users(secrets, services)
        .into_iter()
        .zip(owners)
        .filter(|(s, stack)| stacks.contains(stack) || !s.services.is_empty())
        .map(|(s, _)| s)
        .collect();
    out.sort_by(|a, b| a.kind.cmp(&b.kind).reverse().then(a.name.cmp(&b.name)));
    out
}

/// `secrets` with the services that use each filled in again.
fn with_users(mut secrets: Vec<SwarmSecret>, services: &[SwarmService]) -> Vec<SwarmSecret> {
    for s in &mut secrets {
        let uses = |svc: &&SwarmService| match s.kind.as_str() {
            "secret" => svc.secrets.contains(&s.name),
            _ => svc.configs.contains(&s.name),
        };
        s.services = services
            .iter()
            .filter(uses)
            .map(|svc| svc.name.clone())
            .collect();
    }
    secrets
}

/// Longest text kept from any one field the manager sends.
const MAX_FIELD: usize = 400;
const STACK_LABEL: &str = "com.docker.stack.namespace";

/// The services, tasks and nodes of `stacks` (every stack when empty), in three
/// requests.
pub async fn read_swarm(docker: &Docker, stacks: &[String]) -> Result<SwarmState, String> {
    let mut filters = HashMap::new();
    filters.insert(
        "label".to_string(),
        if stacks.is_empty() {
            vec![STACK_LABEL.to_string()]
        } else {
            stacks
                .iter()
                .map(|s| format!("{STACK_LABEL}={s}"))
                .collect()
        },
    );
    let services = docker
        .list_services(Some(ListServicesOptions {
            filters: Some(filters),
            status: Some(true),
        }))
        .await
        .map_err(|e| format!("docker service ls: {e}"))?;
    let ids: Vec<String> = services.iter().filter_map(|s| s.id.clone()).collect();
    let tasks = if ids.is_empty() {
        Vec::new()
    } else {
        let mut filters = HashMap::new();
        filters.insert("service".to_string(), ids);
        docker
            .list_tasks(Some(ListTasksOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(|e| format!("docker service ps: {e}"))?
    };
    let nodes = docker
        .list_nodes(None::<ListNodesOptions>)
        .await
        .map_err(|e| format!("docker node ls: {e}"))?;
    let mut state = SwarmState {
        services: services.iter().map(service).collect(),
        tasks: tasks.iter().map(task).collect(),
        nodes: nodes.iter().map(node).collect(),
        secrets: Vec::new(),
    };
    // Running is what runs on a node that is up: the engine's own count keeps a task on
    // a node that went down as running (`docker service ls` then says 3/2).
    let down: Vec<&str> = state
        .nodes
        .iter()
        .filter(|n| n.status != "ready")
        .map(|n| n.id.as_str())
        .collect();
    for svc in &mut state.services {
        // The API's PreviousSpec is not in the client's model: the image the service's
        // tasks ran before, from their history, stands for it (shown, never gated on).
        svc.previous_image = state
            .tasks
            .iter()
            .filter(|t| t.service_id == svc.id && !t.is_current() && t.image != svc.image)
            .max_by_key(|t| t.since)
            .map(|t| t.image.clone())
            .unwrap_or_default();
        svc.running = state
            .tasks
            .iter()
            .filter(|t| {
                t.service_id == svc.id
                    && t.is_current()
                    && t.state == "running"
                    && !down.contains(&t.node_id.as_str())
            })
            .count() as u64;
    }
    state.services.sort_by(|a, b| a.name.cmp(&b.name));
    state.nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    Ok(state)
}

fn text(s: Option<&str>) -> String {
    clean(s.unwrap_or_default(), MAX_FIELD)
}

fn service(s: &Service) -> SwarmService {
    let spec = s.spec.clone().unwrap_or_default();
    let status = s.service_status.clone().unwrap_or_default();
    let update = s.update_status.clone().unwrap_or_default();
    let mode = match spec.mode.as_ref() {
        Some(m) if m.global.is_some() => "global",
        _ => "replicated",
    };
    let log_driver = text(
        spec.task_template
            .as_ref()
            .and_then(|t| t.log_driver.as_ref())
            .and_then(|d| d.name.as_deref()),
    );
    let container = spec
        .task_template
        .clone()
        .and_then(|t| t.container_spec)
        .unwrap_or_default();
    // The environment's secret values are only learnt for masking, never kept here.
    if let Some(env) = &container.env {
        pilothouse_core::mask::learn(pilothouse_core::mask::secrets_of_env(
            env.iter().map(String::as_str),
        ));
    }
    let image = container.image.clone().unwrap_or_default();
    let names = |v: Vec<Option<String>>| -> Vec<String> {
        v.into_iter().map(|n| text(n.as_deref())).collect()
    };
    let secrets = names(
        container
            .secrets
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.secret_name)
            .collect(),
    );
    let configs = names(
        container
            .configs
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.config_name)
            .collect(),
    );
    let ports = s
        .endpoint
        .as_ref()
        .and_then(|e| e.ports.as_ref())
        .map(|ports| {
            ports
                .iter()
                .map(|p| {
                    let proto = p.protocol.map(|x| x.to_string()).unwrap_or_default();
                    format!(
                        "{}:{}/{proto}",
                        p.published_port.unwrap_or(0),
                        p.target_port.unwrap_or(0)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // The engine pins the digest it resolved: `repo:tag@sha256:…` shows as `repo:tag`.
    let image = image.split('@').next().unwrap_or_default();
    SwarmService {
        id: text(s.id.as_deref()),
        name: text(spec.name.as_deref()),
        stack: text(
            spec.labels
                .as_ref()
                .and_then(|l| l.get(STACK_LABEL))
                .map(String::as_str),
        ),
        mode: mode.to_string(),
        running: status.running_tasks.unwrap_or(0),
        desired: status.desired_tasks.unwrap_or(0),
        image: text(Some(image)),
        update_state: update.state.map(|s| s.to_string()).unwrap_or_default(),
        update_message: text(update.message.as_deref()),
        update_started: text(update.started_at.as_deref()),
        created: s.created_at.as_deref().and_then(parse_docker_time),
        ports,
        secrets,
        configs,
        log_driver,
        previous_image: String::new(),
        force_update: spec
            .task_template
            .as_ref()
            .and_then(|t| t.force_update)
            .unwrap_or(0),
    }
}

fn task(t: &Task) -> SwarmTask {
    let status = t.status.clone().unwrap_or_default();
    SwarmTask {
        id: text(t.id.as_deref()),
        service_id: text(t.service_id.as_deref()),
        slot: t.slot,
        node_id: text(t.node_id.as_deref()),
        desired_state: t.desired_state.map(|s| s.to_string()).unwrap_or_default(),
        state: status.state.map(|s| s.to_string()).unwrap_or_default(),
        since: status.timestamp.as_deref().and_then(parse_docker_time),
        since_ns: status
            .timestamp
            .as_deref()
            .and_then(pilothouse_core::time::rfc3339_nanos),
        error: text(status.err.as_deref()),
        message: text(status.message.as_deref()),
        image: text(
            t.spec
                .as_ref()
                .and_then(|s| s.container_spec.as_ref())
                .and_then(|c| c.image.as_deref())
                .and_then(|i| i.split('@').next()),
        ),
        force_update: t.spec.as_ref().and_then(|s| s.force_update).unwrap_or(0),
        container_id: text(
            status
                .container_status
                .as_ref()
                .and_then(|c| c.container_id.as_deref()),
        ),
    }
}

fn node(n: &Node) -> SwarmNode {
    let spec = n.spec.clone().unwrap_or_default();
    let description = n.description.clone().unwrap_or_default();
    let manager = n.manager_status.clone();
    SwarmNode {
        id: text(n.id.as_deref()),
        hostname: text(description.hostname.as_deref()),
        role: spec.role.map(|r| r.to_string()).unwrap_or_default(),
        availability: spec.availability.map(|a| a.to_string()).unwrap_or_default(),
        status: n
            .status
            .as_ref()
            .and_then(|s| s.state)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        manager_status: match manager {
            Some(m) if m.leader == Some(true) => "leader".to_string(),
            Some(m) => m.reachability.map(|r| r.to_string()).unwrap_or_default(),
            None => String::new(),
        },
        engine_version: text(
            description
                .engine
                .as_ref()
                .and_then(|e| e.engine_version.as_deref()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_watched_stacks_secrets_and_those_their_services_use_are_listed() {
        let secret = |name: &str| SwarmSecret {
            name: name.into(),
            kind: "secret".into(),
            created: None,
            services: Vec::new(),
        };
        let app = SwarmService {
            name: "acme_app".into(),
            secrets: vec!["shared_key".into()],
            ..SwarmService::default()
        };
        let found = vec![
            (secret("acme_db_password"), "acme".to_string()),
            (secret("billing_db_password"), "billing".to_string()),
            (secret("shared_key"), String::new()),
            (secret("loose"), String::new()),
        ];
        let listed: Vec<String> = watched_secrets(found, &["acme".into()], &[app])
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(listed, ["acme_db_password", "shared_key"]);
    }
}

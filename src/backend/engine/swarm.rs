//! A Docker Swarm as an engine, read from its manager: services (with their running and
//! desired task counts), tasks and nodes, for the stacks watched. This is the read side
//! the swarm views are built on; the watch (events, re-reads) comes with them.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{Node, Service, Task};
use bollard::query_parameters::{ListNodesOptions, ListServicesOptions, ListTasksOptions};

use crate::model::container::{clean, parse_docker_time};
use crate::model::swarm::{SwarmNode, SwarmService, SwarmState, SwarmTask};

/// Longest text kept from any one field the manager sends.
const MAX_FIELD: usize = 400;
const STACK_LABEL: &str = "com.docker.stack.namespace";

/// The services, tasks and nodes of `stacks` (every stack when empty), in three
/// requests.
pub async fn read(docker: &Docker, stacks: &[String]) -> Result<SwarmState, String> {
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
    };
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
    let image = spec
        .task_template
        .and_then(|t| t.container_spec)
        .and_then(|c| c.image)
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
        created: s.created_at.as_deref().and_then(parse_docker_time),
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
        error: text(status.err.as_deref()),
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

//! The deploy's health gate: watches the engine's events until every target's newest
//! container runs the wanted image and is healthy. It looks again at each event (and
//! once at the start), so it ends as soon as the answer is known; it never sleeps.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::EventsOptions;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::gate::{Gate, last_lines, tail_options};
use pilothouse_core::model::container::{ContainerInfo, Health, RunState};

/// Where one target stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Standing {
    Ready(String),
    Waiting(String),
    Bad(String),
}

/// What a service's newest container says, against the image it must run.
fn standing(c: Option<&ContainerInfo>, image: &str) -> Standing {
    let Some(c) = c else {
        return Standing::Waiting("no container yet".into());
    };
    if c.image != image {
        return Standing::Waiting(format!("still runs {}", c.image));
    }
    match (&c.run_state, c.health) {
        (RunState::Running, Health::Healthy) => Standing::Ready("healthy".into()),
        (RunState::Running, Health::None) => Standing::Ready("running (no health check)".into()),
        (RunState::Running, Health::Starting) => Standing::Waiting("health: starting".into()),
        (RunState::Running, Health::Unhealthy) => Standing::Bad("unhealthy".into()),
        (RunState::Created, _) => Standing::Waiting("created".into()),
        (state, _) => Standing::Bad(state.label()),
    }
}

/// The newest container of `service` in the project, inspected.
async fn newest(
    docker: &Docker,
    project: &str,
    service: &str,
) -> Result<Option<ContainerInfo>, String> {
    let listed = crate::engine::docker::list(docker, project).await?;
    let id = listed
        .iter()
        .filter(|c| {
            c.labels
                .as_ref()
                .and_then(|l| l.get("com.docker.compose.service"))
                .is_some_and(|s| s == service)
        })
        .max_by_key(|c| c.created.unwrap_or(0))
        .and_then(|c| c.id.clone());
    match id {
        Some(id) => crate::engine::docker::inspect(docker, &id, project).await,
        None => Ok(None),
    }
}

/// The last lines of a container's log, made safe to show.
async fn tail(docker: &Docker, id: &str, lines: usize) -> Vec<String> {
    last_lines(docker.logs(id, Some(tail_options(lines))), lines).await
}

/// Waits until every (service, image) is ready, reporting each change on `out`.
pub async fn wait_healthy(
    docker: &Docker,
    project: &str,
    want: &[(String, String)],
    timeout: Duration,
    out: &mpsc::Sender<String>,
) -> Gate {
    let deadline = Instant::now() + timeout;
    // Subscribed before the first look, so that nothing between the two is missed.
    let mut filters = HashMap::new();
    filters.insert("type".to_string(), vec!["container".to_string()]);
    filters.insert(
        "label".to_string(),
        vec![format!("com.docker.compose.project={project}")],
    );
    let mut events = docker.events(Some(EventsOptions {
        since: None,
        until: None,
        filters: Some(filters),
    }));
    let mut said: HashMap<String, String> = HashMap::new();
    loop {
        let mut waiting: Option<(String, String)> = None;
        for (service, image) in want {
            let c = match newest(docker, project, service).await {
                Ok(c) => c,
                Err(e) => return Gate::Lost(e),
            };
            let s = standing(c.as_ref(), image);
            let text = match &s {
                Standing::Ready(t) | Standing::Waiting(t) | Standing::Bad(t) => t.clone(),
            };
            if said.get(service) != Some(&text) {
                let _ = out.send(format!("{service}: {text}")).await;
                said.insert(service.clone(), text.clone());
            }
            match s {
                Standing::Ready(_) => {}
                Standing::Waiting(t) => {
                    waiting.get_or_insert((service.clone(), t));
                }
                Standing::Bad(t) => {
                    return Gate::Failed(evidence(docker, c.as_ref(), service, &t, out).await);
                }
            }
        }
        let Some((service, state)) = waiting else {
            return Gate::Healthy;
        };
        match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return Gate::Lost(format!("docker events: {e}")),
            Ok(None) => return Gate::Lost("the engine's event stream ended".into()),
            Err(_) => {
                let c = newest(docker, project, &service).await.ok().flatten();
                let why = format!("not healthy within {} s ({state})", timeout.as_secs());
                return Gate::Failed(evidence(docker, c.as_ref(), &service, &why, out).await);
            }
        }
    }
}

/// Why a service failed the gate: its state, its last health-check output, and (into
/// the item's output) its last log lines.
async fn evidence(
    docker: &Docker,
    c: Option<&ContainerInfo>,
    service: &str,
    state: &str,
    out: &mpsc::Sender<String>,
) -> String {
    let Some(c) = c else {
        return format!("{service}: {state}");
    };
    let check = c
        .details
        .health_log
        .last()
        .map(|h| {
            format!(
                "; last health check exited {}: {}",
                h.exit_code,
                h.output.trim()
            )
        })
        .unwrap_or_default();
    let _ = out
        .send(format!("── the last log lines of {service} ({}):", c.name))
        .await;
    for line in tail(docker, &c.id, 20).await {
        let _ = out.send(format!("   {line}")).await;
    }
    pilothouse_core::text::clean(&format!("{service}: {state}{check}"), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(image: &str, run_state: RunState, health: Health) -> ContainerInfo {
        ContainerInfo {
            id: "c1".into(),
            name: "acme_web_1".into(),
            service: "web".into(),
            image: image.into(),
            run_state,
            health,
            failing_streak: 0,
            started_at: None,
            finished_at: None,
            restart_count: 0,
            ports: Vec::new(),
            details: Default::default(),
            inspected: true,
            outside: false,
        }
    }

    #[test]
    fn only_the_wanted_image_running_and_healthy_passes() {
        let want = "reg/acme/web:v2";
        let s = |image, r, h| standing(Some(&container(image, r, h)), want);
        assert!(matches!(
            s(want, RunState::Running, Health::Healthy),
            Standing::Ready(_)
        ));
        assert!(matches!(
            s(want, RunState::Running, Health::None),
            Standing::Ready(_)
        ));
        assert!(matches!(
            s("reg/acme/web:v1", RunState::Running, Health::Healthy),
            Standing::Waiting(_)
        ));
        assert!(matches!(
            s(want, RunState::Running, Health::Starting),
            Standing::Waiting(_)
        ));
        assert!(matches!(
            s(want, RunState::Running, Health::Unhealthy),
            Standing::Bad(_)
        ));
        assert!(matches!(
            s(want, RunState::Exited { code: 1 }, Health::None),
            Standing::Bad(_)
        ));
        assert!(matches!(
            s(want, RunState::Restarting, Health::None),
            Standing::Bad(_)
        ));
        assert!(matches!(standing(None, want), Standing::Waiting(_)));
    }
}

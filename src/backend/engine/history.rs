//! What the engine remembers of a compose project, for the timeline: the events it
//! still keeps (replayed between two times of its own clock; the stream ends at the
//! second) and, for what is older than those, each container's own record (its
//! creation, last start, last stop, out-of-memory, failing health streak).

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::{EventsOptions, InspectContainerOptions};
use futures::StreamExt;

use pilothouse_core::model::timeline::{
    ContainerRecord, EngineEvent, Entry, engine_entry, record_entries,
};
use pilothouse_core::text::clean;
use pilothouse_core::time::rfc3339_nanos;

const PROJECT_LABEL: &str = "com.docker.compose.project";
const SERVICE_LABEL: &str = "com.docker.compose.service";

/// How long a replay may take: the engine sends what it keeps at once.
const REPLAY_LIMIT: Duration = Duration::from_secs(20);

/// The container events the timeline tells (the table's list, less the ones that say
/// nothing an operator asks about here).
const TOLD: &[&str] = &[
    "create",
    "start",
    "restart",
    "die",
    "kill",
    "oom",
    "health_status",
    "destroy",
];

/// The engine's events of the project's containers and the pulls of their images,
/// between `since` and `until` (Unix nanoseconds of the engine's clock; `until` must
/// not be after its now, or the replay waits for it).
pub async fn replay(
    docker: &Docker,
    project: &str,
    images: &[String],
    since: i64,
    until: i64,
) -> Result<Vec<Entry>, String> {
    let mut containers = HashMap::new();
    containers.insert("type".to_string(), vec!["container".to_string()]);
    let label = if project.is_empty() {
        PROJECT_LABEL.to_string()
    } else {
        format!("{PROJECT_LABEL}={project}")
    };
    containers.insert("label".to_string(), vec![label]);
    containers.insert(
        "event".to_string(),
        TOLD.iter().map(|s| s.to_string()).collect(),
    );
    let mut pulls = HashMap::new();
    pulls.insert("type".to_string(), vec!["image".to_string()]);
    pulls.insert("event".to_string(), vec!["pull".to_string()]);
    let mut out = Vec::new();
    for filters in [containers, pulls] {
        for ev in kept_events(docker, filters, since, until).await? {
            out.extend(event_entry(&ev).filter(|e| {
                e.kind != pilothouse_core::model::timeline::Kind::Pull
                    || pulled_here(&e.subject, images)
            }));
        }
    }
    Ok(out)
}

/// The events the engine still keeps that `filters` pick, between two times of its
/// clock (Unix nanoseconds).
pub async fn kept_events(
    docker: &Docker,
    filters: HashMap<String, Vec<String>>,
    since: i64,
    until: i64,
) -> Result<Vec<EventMessage>, String> {
    let stream = docker.events(Some(EventsOptions {
        since: Some(engine_time(since)),
        until: Some(engine_time(until)),
        filters: Some(filters),
    }));
    let events: Vec<_> = tokio::time::timeout(REPLAY_LIMIT, stream.collect::<Vec<_>>())
        .await
        .map_err(|_| "the engine's events did not end in time".to_string())?;
    events
        .into_iter()
        .map(|ev| ev.map_err(|e| format!("docker events: {e}")))
        .collect()
}

/// `secs.nanos`, as the engine takes a time with its fraction.
fn engine_time(ns: i64) -> String {
    format!(
        "{}.{:09}",
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000)
    )
}

/// A pulled image is one of the project's when its repository is one its containers
/// run (any tag: a deploy pulls the new one).
fn pulled_here(image: &str, images: &[String]) -> bool {
    let repo = |i: &str| -> String {
        let name = i.split('@').next().unwrap_or(i);
        match name.rsplit_once(':') {
            Some((r, tag)) if !tag.contains('/') => r.to_string(),
            _ => name.to_string(),
        }
    };
    let wanted = repo(image);
    images.iter().any(|i| repo(i) == wanted)
}

/// One event as the timeline's entry (its strings sanitized); None for one the timeline
/// does not tell.
pub fn event_entry(ev: &EventMessage) -> Option<Entry> {
    let attrs = ev.actor.as_ref()?.attributes.clone().unwrap_or_default();
    let get = |k: &str| attrs.get(k).map(|v| clean(v, 200));
    let kind = match ev.typ {
        Some(EventMessageTypeEnum::IMAGE) => "image",
        _ => "container",
    };
    let id = ev.actor.as_ref()?.id.clone().unwrap_or_default();
    let image = get("image").unwrap_or_default();
    let container = get("name").unwrap_or_default();
    let subject = if kind == "image" {
        get("name").unwrap_or_else(|| clean(&id, 200))
    } else {
        get(SERVICE_LABEL).unwrap_or_else(|| container.clone())
    };
    let action = clean(ev.action.as_deref().unwrap_or_default(), 200);
    let exit_code = get("exitCode");
    let signal = get("signal");
    let time = ev
        .time_nano
        .or_else(|| ev.time.map(|t| t.saturating_mul(1_000_000_000)))?;
    engine_entry(&EngineEvent {
        time,
        kind,
        action: &action,
        subject: &subject,
        container: &container,
        image: &image,
        exit_code: exit_code.as_deref(),
        signal: signal.as_deref(),
    })
}

/// What the engine still knows of each of the project's containers, eight inspected at
/// a time (over SSH each is a round trip).
pub async fn records(docker: &Docker, ids: Vec<String>) -> Result<Vec<Entry>, String> {
    let inspected: Vec<Result<ContainerInspectResponse, bollard::errors::Error>> =
        futures::stream::iter(ids)
            .map(|id| async move {
                docker
                    .inspect_container(&id, None::<InspectContainerOptions>)
                    .await
            })
            .buffer_unordered(8)
            .collect()
            .await;
    let mut out = Vec::new();
    for r in inspected {
        match r {
            Ok(r) => out.extend(record_entries(&record(&r))),
            // Gone between the list and the inspect: its destroy event tells the rest.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => return Err(format!("docker inspect: {e}")),
        }
    }
    Ok(out)
}

fn record(r: &ContainerInspectResponse) -> ContainerRecord {
    let time = |s: Option<&String>| s.and_then(|s| rfc3339_nanos(s)).filter(|t| *t > 0);
    let state = r.state.clone().unwrap_or_default();
    let config = r.config.clone().unwrap_or_default();
    let labels = config.labels.unwrap_or_default();
    let container = clean(
        r.name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/'),
        200,
    );
    let health_log = state
        .health
        .and_then(|h| h.log)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|h| {
            let start = time(h.start.as_ref())?;
            let output =
                pilothouse_core::mask::string(h.output.as_deref().unwrap_or_default().trim());
            Some((start, h.exit_code.unwrap_or(-1), clean(&output, 200)))
        })
        .collect();
    ContainerRecord {
        subject: labels
            .get(SERVICE_LABEL)
            .map_or_else(|| container.clone(), |s| clean(s, 200)),
        container,
        image: clean(config.image.as_deref().unwrap_or_default(), 200),
        created: time(r.created.as_ref()),
        started: time(state.started_at.as_ref()),
        finished: time(state.finished_at.as_ref()),
        running: state.running.unwrap_or(false),
        exit_code: state.exit_code.unwrap_or(0),
        oom_killed: state.oom_killed.unwrap_or(false),
        restart_count: r
            .restart_count
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        health_log,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_is_the_project_s_when_it_is_one_of_its_repositories() {
        let images = ["127.0.0.1:5000/acme/web:v1".to_string()];
        assert!(pulled_here("127.0.0.1:5000/acme/web:v2", &images));
        assert!(!pulled_here("127.0.0.1:5000/acme/api:v1", &images));
        assert!(!pulled_here("127.0.0.1:5000/acme/web-admin:v1", &images));
        assert_eq!(engine_time(1_500_000_000), "1.500000000");
    }
}

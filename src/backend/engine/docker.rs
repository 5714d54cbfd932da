//! The Docker side of a connection: bollard over the forwarded socket. Watches, doesn't
//! poll: one list at (re)connect, then Docker's events stream drives every change.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummary,
    ContainerSummaryStateEnum, EventMessage, HealthStatusEnum,
};
use bollard::query_parameters::{EventsOptions, InspectContainerOptions, ListContainersOptions};
use bollard::{API_DEFAULT_VERSION, Docker};
use futures::{Stream, StreamExt};

use pilothouse_core::model::container::{
    ContainerDetails, ContainerInfo, Health, HealthCheckRun, RunState, parse_docker_time,
};
use pilothouse_core::text::clean;

/// Longest text kept from any one field the host sends.
const MAX_FIELD: usize = 400;

const PROJECT_LABEL: &str = "com.docker.compose.project";
const SERVICE_LABEL: &str = "com.docker.compose.service";

/// The label filter for a project; an empty name means every compose project.
fn project_filter(project: &str) -> String {
    if project.is_empty() {
        PROJECT_LABEL.to_string()
    } else {
        format!("{PROJECT_LABEL}={project}")
    }
}

/// Whether a container with `labels` is outside the compose project `project` (every
/// project, when empty).
fn is_outside(labels: &HashMap<String, String>, project: &str) -> bool {
    match labels.get(PROJECT_LABEL) {
        None => true,
        Some(p) => !project.is_empty() && p != project,
    }
}

/// The containers outside the project that `extra` names or labels, as listed: one
/// request for the names (Docker's name filter, checked again here for an exact
/// match), one for the label.
pub async fn list_extra(
    docker: &Docker,
    extra: &pilothouse_core::config::containers::ContainersSettings,
) -> Result<Vec<ContainerSummary>, String> {
    let mut out: Vec<ContainerSummary> = Vec::new();
    let names: Vec<&str> = extra.names.iter().map(|n| n.as_str()).collect();
    let mut asks = Vec::new();
    if !names.is_empty() {
        let exact = names
            .iter()
            .map(|n| format!("^/{}$", n.replace('.', "\\.")))
            .collect::<Vec<_>>();
        asks.push(("name", exact));
    }
    if let Some(label) = &extra.label {
        asks.push(("label", vec![label.as_str().to_string()]));
    }
    for (key, values) in asks {
        let filters = HashMap::from([(key.to_string(), values)]);
        let listed = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .map_err(|e| format!("docker ps: {e}"))?;
        for c in listed {
            let name = c
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map_or("", |n| n.trim_start_matches('/'));
            let wanted = key == "label" || names.contains(&name);
            if wanted && !out.iter().any(|o| o.id == c.id) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// An engine events stream, boxed.
pub type EventStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<EventMessage, bollard::errors::Error>> + Send>>;

/// The events of the containers outside the project that `extra` matches: one stream
/// for the names (the engine matches them exactly, so a container recreated under its
/// name is followed), one for the label.
pub fn events_extra(
    docker: &Docker,
    extra: &pilothouse_core::config::containers::ContainersSettings,
    since: i64,
) -> Vec<EventStream> {
    let mut asks = Vec::new();
    if !extra.names.is_empty() {
        let names = extra.names.iter().map(|n| n.as_str().to_string()).collect();
        asks.push(("container", names));
    }
    if let Some(label) = &extra.label {
        asks.push(("label", vec![label.as_str().to_string()]));
    }
    asks.into_iter()
        .map(|(key, values)| {
            let mut filters = HashMap::new();
            filters.insert("type".to_string(), vec!["container".to_string()]);
            filters.insert(key.to_string(), values);
            filters.insert(
                "event".to_string(),
                WATCHED_EVENTS.iter().map(|s| s.to_string()).collect(),
            );
            let stream = docker.events(Some(EventsOptions {
                since: Some(since.to_string()),
                until: None,
                filters: Some(filters),
            }));
            Box::pin(stream) as EventStream
        })
        .collect()
}

/// Every container of the project and those outside it that `extra` matches.
pub async fn read_containers(
    docker: &Docker,
    project: &str,
    extra: Option<&pilothouse_core::config::containers::ContainersSettings>,
) -> Result<Vec<ContainerInfo>, String> {
    let mut listed = list(docker, project).await?;
    if let Some(extra) = extra {
        for c in list_extra(docker, extra).await? {
            if !listed.iter().any(|l| l.id == c.id) {
                listed.push(c);
            }
        }
    }
    inspect_all(docker, &listed, project).await
}

/// The container events that change what the table shows. Health checks' own
/// `exec_*` events are deliberately not subscribed to: they fire every few seconds per
/// container and change nothing (their result arrives as `health_status`).
const WATCHED_EVENTS: &[&str] = &[
    "create",
    "start",
    "restart",
    "die",
    "stop",
    "kill",
    "oom",
    "pause",
    "unpause",
    "rename",
    "update",
    "health_status",
    "destroy",
];

/// A bollard client on the forwarded socket, with the version negotiated down to what
/// the host's engine speaks.
pub async fn connect_engine(socket: &Path) -> Result<(Docker, String), String> {
    let path = socket.to_string_lossy();
    let docker = Docker::connect_with_unix(&path, 30, API_DEFAULT_VERSION)
        .map_err(|e| format!("docker: {e}"))?
        .negotiate_version()
        .await
        .map_err(|e| format!("docker over ssh: {e}"))?;
    let v = docker
        .version()
        .await
        .map_err(|e| format!("docker version: {e}"))?;
    let version = format!(
        "{} (API {})",
        v.version.unwrap_or_else(|| "?".into()),
        v.api_version.unwrap_or_else(|| "?".into())
    );
    Ok((docker, version))
}

/// What is wrong with the host's Docker socket `host_socket`, in the host's words, when
/// the engine behind it did not answer with `error`: the host itself was reached (the
/// question went through its shell), so the message says so and names the socket. When
/// the socket looks usable, `error` as it was.
pub async fn explain_socket(
    remote: &crate::connection::remote::Remote,
    host_socket: &str,
    error: &str,
) -> String {
    let said = match remote
        .poll(&socket_probe(host_socket), Duration::from_secs(5))
        .await
    {
        Ok(out) => clean(String::from_utf8_lossy(&out.stdout).trim(), 200),
        Err(_) => return error.to_string(),
    };
    if said.is_empty() || said == "ok" {
        return error.to_string();
    }
    let how = if remote.is_ssh() {
        "over SSH"
    } else {
        "locally"
    };
    format!(
        "the host was reached {how}, but its Docker socket {host_socket} cannot be used: {said}"
    )
}

/// A shell test of a socket path that prints `ok`, or what is wrong in the words the
/// system uses for it (and, when it is not accessible, who is asking and the socket's
/// group).
fn socket_probe(host_socket: &str) -> String {
    format!(
        "s={}; if [ ! -e \"$s\" ]; then echo 'No such file or directory'; \
         elif [ ! -S \"$s\" ]; then echo 'Not a socket'; \
         elif [ ! -r \"$s\" ] || [ ! -w \"$s\" ]; then echo \"Permission denied (user $(id -un) is not in its group $(stat -c %G \"$s\" 2>/dev/null))\"; \
         else echo ok; fi",
        pilothouse_core::shell::quote(host_socket)
    )
}

/// The daemon's own clock, as Unix seconds (events `since` must use its clock, not ours),
/// and its data root (for the disk check).
pub async fn daemon_time(docker: &Docker) -> Result<(i64, Option<String>), String> {
    let info = docker
        .info()
        .await
        .map_err(|e| format!("docker info: {e}"))?;
    let time = info
        .system_time
        .as_deref()
        .and_then(parse_docker_time)
        .ok_or_else(|| "docker info: no system time".to_string())?;
    let root = info
        .docker_root_dir
        .filter(|r| r.starts_with('/') && !r.contains(|c: char| c.is_control()));
    Ok((time, root))
}

/// The daemon's own clock to the nanosecond (a replay of its events up to it ends at
/// once, and misses nothing of the second it is in).
pub async fn daemon_now_ns(docker: &Docker) -> Result<i64, String> {
    let info = docker
        .info()
        .await
        .map_err(|e| format!("docker info: {e}"))?;
    info.system_time
        .as_deref()
        .and_then(pilothouse_core::time::rfc3339_nanos)
        .ok_or_else(|| "docker info: no system time".to_string())
}

/// The events stream for the project's containers, replayed from `since` (daemon time).
pub fn events(
    docker: &Docker,
    project: &str,
    since: i64,
) -> impl Stream<Item = Result<EventMessage, bollard::errors::Error>> + use<> {
    let mut filters = HashMap::new();
    filters.insert("type".to_string(), vec!["container".to_string()]);
    filters.insert("label".to_string(), vec![project_filter(project)]);
    filters.insert(
        "event".to_string(),
        WATCHED_EVENTS.iter().map(|s| s.to_string()).collect(),
    );
    docker.events(Some(EventsOptions {
        since: Some(since.to_string()),
        until: None,
        filters: Some(filters),
    }))
}

/// The project's containers as `docker ps -a` lists them: one request.
pub async fn list(docker: &Docker, project: &str) -> Result<Vec<ContainerSummary>, String> {
    let mut filters = HashMap::new();
    filters.insert("label".to_string(), vec![project_filter(project)]);
    docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(|e| format!("docker ps: {e}"))
}

/// What the list alone says about a container: enough for a first, truthful row
/// (state, health, exit code); the rest waits for [`inspect`].
pub fn listed_info(c: &ContainerSummary, project: &str) -> ContainerInfo {
    let labels = c.labels.clone().unwrap_or_default();
    let name = clean(
        c.names
            .as_ref()
            .and_then(|n| n.first())
            .map_or("", |n| n.trim_start_matches('/')),
        MAX_FIELD,
    );
    let status = c.status.as_deref().unwrap_or_default();
    // "Exited (137) 5 minutes ago", "Restarting (1) 2 seconds ago"
    let code = status
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(n, _)| n.parse::<i64>().ok())
        .unwrap_or(0);
    let run_state = match c.state {
        Some(ContainerSummaryStateEnum::RUNNING) => RunState::Running,
        Some(ContainerSummaryStateEnum::RESTARTING) => RunState::Restarting,
        Some(ContainerSummaryStateEnum::PAUSED) => RunState::Paused,
        Some(ContainerSummaryStateEnum::CREATED) => RunState::Created,
        Some(ContainerSummaryStateEnum::REMOVING) => RunState::Removing,
        Some(ContainerSummaryStateEnum::DEAD) => RunState::Dead,
        _ => RunState::Exited { code },
    };
    let checked = matches!(run_state, RunState::Running | RunState::Paused);
    let health = if !checked {
        Health::None
    } else if status.contains("(healthy)") {
        Health::Healthy
    } else if status.contains("(unhealthy)") {
        Health::Unhealthy
    } else if status.contains("(health: starting)") {
        Health::Starting
    } else {
        Health::None
    };
    let mut service = labels
        .get(SERVICE_LABEL)
        .map(|s| clean(s, MAX_FIELD))
        .unwrap_or_else(|| name.clone());
    if let (true, Some(owner)) = (project.is_empty(), labels.get(PROJECT_LABEL)) {
        service = format!("{}/{service}", clean(owner, MAX_FIELD));
    }
    let outside = is_outside(&labels, project);
    if outside {
        service.clone_from(&name);
    }
    ContainerInfo {
        id: clean(c.id.as_deref().unwrap_or_default(), 80),
        name,
        service,
        image: clean(c.image.as_deref().unwrap_or_default(), MAX_FIELD),
        run_state,
        health,
        failing_streak: 0,
        started_at: None,
        finished_at: None,
        restart_count: 0,
        ports: Vec::new(),
        details: ContainerDetails::default(),
        inspected: false,
        outside,
    }
}

/// Inspects the listed containers, eight at a time: over SSH each is a round trip, and
/// thirty in a row are what an operator would wait for.
pub async fn inspect_all(
    docker: &Docker,
    listed: &[ContainerSummary],
    project: &str,
) -> Result<Vec<ContainerInfo>, String> {
    let ids: Vec<String> = listed.iter().filter_map(|c| c.id.clone()).collect();
    let inspected: Vec<Result<Option<ContainerInfo>, String>> = futures::stream::iter(ids)
        .map(|id| async move { inspect(docker, &id, project).await })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut out = Vec::with_capacity(inspected.len());
    for r in inspected {
        // A container can vanish between list and inspect; that is not an error.
        if let Some(info) = r? {
            out.push(info);
        }
    }
    Ok(out)
}

/// One container, or None if it no longer exists. When watching every project
/// (`project` empty) the service is named `project/service`, so that two projects'
/// `gateway`s can be told apart.
pub async fn inspect(
    docker: &Docker,
    id: &str,
    project: &str,
) -> Result<Option<ContainerInfo>, String> {
    match docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
    {
        Ok(r) => {
            let owner = r
                .config
                .as_ref()
                .and_then(|c| c.labels.as_ref())
                .and_then(|l| l.get(PROJECT_LABEL))
                .map(|p| clean(p, MAX_FIELD));
            let outside = r
                .config
                .as_ref()
                .and_then(|c| c.labels.as_ref())
                .is_none_or(|l| is_outside(l, project));
            let mut info = container_info(r);
            if outside {
                info.outside = true;
                info.service.clone_from(&info.name);
            } else if let (true, Some(owner)) = (project.is_empty(), owner) {
                info.service = format!("{owner}/{}", info.service);
            }
            Ok(Some(info))
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(format!("docker inspect: {e}")),
    }
}

/// The id an event is about and whether the container is gone.
pub fn event_target(ev: &EventMessage) -> Option<(String, bool)> {
    let id = ev.actor.as_ref()?.id.clone()?;
    let gone = ev.action.as_deref() == Some("destroy");
    Some((id, gone))
}

/// Round trip to the engine over SSH.
pub async fn ping(docker: &Docker, limit: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    match tokio::time::timeout(limit, docker.ping()).await {
        Ok(Ok(_)) => Ok(start.elapsed()),
        Ok(Err(e)) => Err(format!("docker ping: {e}")),
        Err(_) => Err(format!(
            "no answer from Docker over SSH within {}s",
            limit.as_secs()
        )),
    }
}

fn container_info(r: ContainerInspectResponse) -> ContainerInfo {
    let config = r.config.clone().unwrap_or_default();
    let labels = config.labels.clone().unwrap_or_default();
    let name = clean(
        r.name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/'),
        MAX_FIELD,
    );
    let state = r.state.clone().unwrap_or_default();
    let exit_code = state.exit_code.unwrap_or(0);
    let run_state = match state.status {
        Some(ContainerStateStatusEnum::RUNNING) => RunState::Running,
        Some(ContainerStateStatusEnum::RESTARTING) => RunState::Restarting,
        Some(ContainerStateStatusEnum::PAUSED) => RunState::Paused,
        Some(ContainerStateStatusEnum::CREATED) => RunState::Created,
        Some(ContainerStateStatusEnum::REMOVING) => RunState::Removing,
        Some(ContainerStateStatusEnum::DEAD) => RunState::Dead,
        _ => RunState::Exited { code: exit_code },
    };
    let health = state.health.clone().unwrap_or_default();
    // Docker keeps the last health status of a stopped container; it means nothing
    // once the process is gone, so it is not reported.
    let checked = matches!(run_state, RunState::Running | RunState::Paused);
    let health_state = match health.status.filter(|_| checked) {
        Some(HealthStatusEnum::HEALTHY) => Health::Healthy,
        Some(HealthStatusEnum::UNHEALTHY) => Health::Unhealthy,
        Some(HealthStatusEnum::STARTING) => Health::Starting,
        _ => Health::None,
    };
    let mut ports: Vec<String> = r
        .network_settings
        .clone()
        .and_then(|n| n.ports)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|(port, bindings)| {
            bindings
                .unwrap_or_default()
                .into_iter()
                .map(move |b| {
                    clean(
                        &format!(
                            "{}:{}->{port}",
                            b.host_ip.unwrap_or_default(),
                            b.host_port.unwrap_or_default()
                        ),
                        MAX_FIELD,
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    ports.sort();
    let service = labels
        .get(SERVICE_LABEL)
        .map(|s| clean(s, MAX_FIELD))
        .unwrap_or_else(|| name.clone());
    ContainerInfo {
        id: clean(r.id.as_deref().unwrap_or_default(), 80),
        service,
        name,
        image: clean(config.image.as_deref().unwrap_or_default(), MAX_FIELD),
        run_state,
        health: health_state,
        failing_streak: health
            .failing_streak
            .filter(|_| checked)
            .unwrap_or(0)
            .clamp(0, i64::from(u32::MAX)) as u32,
        started_at: state.started_at.as_deref().and_then(parse_docker_time),
        finished_at: state.finished_at.as_deref().and_then(parse_docker_time),
        restart_count: r.restart_count.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32,
        ports,
        details: details(&r, labels, health.log.unwrap_or_default()),
        inspected: true,
        outside: false,
    }
}

fn details(
    r: &ContainerInspectResponse,
    labels: HashMap<String, String>,
    log: Vec<bollard::models::HealthcheckResult>,
) -> ContainerDetails {
    let config = r.config.clone().unwrap_or_default();
    let mut command: Vec<String> = r.path.iter().cloned().collect();
    command.extend(r.args.clone().unwrap_or_default());
    // Names only. A secret's value is learnt for masking (pilothouse_core::mask) and otherwise
    // dropped here, never stored anywhere.
    if let Some(env) = &config.env {
        pilothouse_core::mask::learn(pilothouse_core::mask::secrets_of_env(
            env.iter().map(String::as_str),
        ));
    }
    let mut env_names: Vec<String> = config
        .env
        .unwrap_or_default()
        .iter()
        .map(|kv| clean(kv.split_once('=').map_or(kv.as_str(), |(k, _)| k), 120))
        .collect();
    env_names.sort();
    let mounts = r
        .mounts
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            clean(
                &format!(
                    "{} {} -> {} ({})",
                    m.typ.map(|t| t.to_string()).unwrap_or_default(),
                    m.source.or(m.name).unwrap_or_default(),
                    m.destination.unwrap_or_default(),
                    if m.rw.unwrap_or(true) { "rw" } else { "ro" }
                ),
                MAX_FIELD,
            )
        })
        .collect();
    let log_config = r
        .host_config
        .clone()
        .and_then(|h| h.log_config)
        .unwrap_or_default();
    let mut log_options: Vec<(String, String)> = log_config
        .config
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (clean(&k, 80), clean(&v, 200)))
        .collect();
    log_options.sort();
    let mut labels: Vec<(String, String)> = labels
        .into_iter()
        .map(|(k, v)| (clean(&k, 200), clean(&v, MAX_FIELD)))
        .collect();
    labels.sort();
    // Docker's default interval when a check has none of its own.
    let checked = config
        .healthcheck
        .as_ref()
        .and_then(|h| h.test.as_ref())
        .is_some_and(|t| t.first().is_some_and(|w| w != "NONE"));
    let interval = config
        .healthcheck
        .as_ref()
        .and_then(|h| h.interval)
        .filter(|n| *n > 0)
        .map_or(30, |n| (n / 1_000_000_000).max(1) as u64);
    ContainerDetails {
        health_interval_secs: if checked { interval } else { 0 },
        image_id: clean(r.image.as_deref().unwrap_or_default(), 100),
        pid: r
            .state
            .as_ref()
            .and_then(|s| s.pid)
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p > 0),
        created: r.created.as_deref().and_then(parse_docker_time),
        command: clean(
            &pilothouse_core::mask::string(&command.join(" ")),
            MAX_FIELD,
        ),
        health_log: log
            .into_iter()
            .map(|h| HealthCheckRun {
                ended: h.end.as_deref().and_then(parse_docker_time),
                exit_code: h.exit_code.unwrap_or(-1),
                output: clean(
                    &pilothouse_core::mask::string(h.output.as_deref().unwrap_or_default().trim()),
                    MAX_FIELD,
                ),
            })
            .collect(),
        env_names,
        mounts,
        log_driver: clean(log_config.typ.as_deref().unwrap_or_default(), 80),
        log_options,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerConfig, ContainerState, HealthcheckResult};

    fn hostile() -> ContainerInspectResponse {
        let mut labels = HashMap::new();
        labels.insert(SERVICE_LABEL.to_string(), "web\x1b]0;pwned\x07".to_string());
        labels.insert("note".to_string(), "\x1b[2Jcleared".to_string());
        ContainerInspectResponse {
            id: Some("abc".into()),
            name: Some("/acme_web_1".into()),
            config: Some(ContainerConfig {
                image: Some("127.0.0.1:5000/acme/web:v2".into()),
                env: Some(vec![
                    "DATABASE_URL=postgresql://acme:s3cret-pw@db:5432/acme".into(),
                    "JWT_SECRET=hunter2".into(),
                    "EMPTY=".into(),
                ]),
                labels: Some(labels),
                ..Default::default()
            }),
            state: Some(ContainerState {
                status: Some(ContainerStateStatusEnum::EXITED),
                exit_code: Some(137),
                health: Some(bollard::models::Health {
                    status: Some(HealthStatusEnum::UNHEALTHY),
                    failing_streak: Some(4),
                    log: Some(vec![HealthcheckResult {
                        exit_code: Some(1),
                        output: Some("boom\x1b[31m red\x07\n".into()),
                        ..Default::default()
                    }]),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn env_values_never_enter_the_model() {
        let info = container_info(hostile());
        assert_eq!(
            info.details.env_names,
            ["DATABASE_URL", "EMPTY", "JWT_SECRET"]
        );
        let everything = format!("{info:?}");
        assert!(!everything.contains("s3cret-pw") && !everything.contains("hunter2"));
    }

    #[test]
    fn host_text_is_sanitized_on_arrival() {
        let info = container_info(hostile());
        let everything = format!("{info:?}");
        assert!(
            !everything.contains('\x1b') && !everything.contains('\x07'),
            "{everything}"
        );
        assert!(info.service.starts_with("web"));
        assert_eq!(
            info.details.health_log[0].output,
            "boom\u{fffd}[31m red\u{fffd}"
        );
    }

    #[test]
    fn the_list_alone_gives_a_truthful_first_row() {
        let mut labels = HashMap::new();
        labels.insert(SERVICE_LABEL.to_string(), "web".to_string());
        labels.insert(PROJECT_LABEL.to_string(), "acme".to_string());
        let entry = |state, status: &str| ContainerSummary {
            id: Some("abc".into()),
            names: Some(vec!["/acme_web_1".into()]),
            image: Some("127.0.0.1:5000/acme/web:v2".into()),
            labels: Some(labels.clone()),
            state: Some(state),
            status: Some(status.into()),
            ..Default::default()
        };
        let up = listed_info(
            &entry(
                ContainerSummaryStateEnum::RUNNING,
                "Up 3 minutes (unhealthy)",
            ),
            "acme",
        );
        assert_eq!(
            (up.run_state.clone(), up.health),
            (RunState::Running, Health::Unhealthy)
        );
        assert!(
            !up.inspected,
            "uptime and restarts are not known from the list"
        );
        assert_eq!(up.service, "web");
        let down = listed_info(
            &entry(
                ContainerSummaryStateEnum::EXITED,
                "Exited (137) 5 seconds ago",
            ),
            "",
        );
        assert_eq!(
            (down.run_state, down.health),
            (RunState::Exited { code: 137 }, Health::None)
        );
        assert_eq!(down.service, "acme/web");
        let starting = listed_info(
            &entry(
                ContainerSummaryStateEnum::RUNNING,
                "Up 1 second (health: starting)",
            ),
            "acme",
        );
        assert_eq!(starting.health, Health::Starting);
    }

    #[test]
    fn a_stopped_container_claims_no_health() {
        let info = container_info(hostile());
        assert_eq!(info.run_state, RunState::Exited { code: 137 });
        assert_eq!(info.health, Health::None);
        assert_eq!(info.failing_streak, 0);
    }
}

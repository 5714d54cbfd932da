//! Fixtures shared by the flow and render tests: a State built from the example config
//! and driven by the same messages the backend sends.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use pilothouse::action::Msg;
use pilothouse::backend::BackendEvent;
use pilothouse::backend::model::{
    ContainerDetails, ContainerInfo, Health, HealthCheckRun, RunState,
};
use pilothouse::config;
use pilothouse::state::State;
use pilothouse::update::update;

/// 2026-11-22T02:00:00Z
pub const NOW: i64 = 1_795_312_800;

pub fn example_state() -> State {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pilothouse.example.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let config = config::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    State::from_config(&config, false)
}

pub fn container(service: &str, run_state: RunState, health: Health) -> ContainerInfo {
    ContainerInfo {
        id: format!("id-{service}"),
        name: format!("acme_{service}_1"),
        service: service.to_string(),
        image: format!("registry.example.com/acme/{service}:v2"),
        run_state,
        health,
        failing_streak: if health == Health::Unhealthy { 3 } else { 0 },
        started_at: Some(NOW - 3 * 3600),
        finished_at: Some(NOW - 40),
        restart_count: 0,
        ports: Vec::new(),
        details: ContainerDetails {
            image_id: "sha256:0123456789abcdef0123456789abcdef".into(),
            created: Some(NOW - 86_400),
            command: format!("/usr/local/bin/{service}"),
            health_log: (0..5)
                .map(|i| HealthCheckRun {
                    ended: Some(NOW - 10 + i),
                    exit_code: if health == Health::Unhealthy && i >= 2 {
                        1
                    } else {
                        0
                    },
                    output: if health == Health::Unhealthy && i >= 2 {
                        "wget: server returned error: HTTP/1.1 503 Service Unavailable".into()
                    } else {
                        String::new()
                    },
                })
                .collect(),
            env_names: vec!["DATABASE_URL".into(), "NODE_ENV".into(), "PORT".into()],
            mounts: Vec::new(),
            log_driver: "json-file".into(),
            log_options: if service == "slicer" {
                Vec::new()
            } else {
                vec![("max-size".into(), "10m".into())]
            },
            labels: vec![("com.docker.compose.service".into(), service.into())],
        },
        inspected: true,
    }
}

pub fn send(state: &mut State, env: usize, event: BackendEvent) {
    update(
        state,
        Msg::Backend {
            env,
            event,
            now: NOW,
        },
    );
}

/// Staging connected, with one unhealthy, one exited and one restarting container.
pub fn staging_live() -> State {
    let mut s = example_state();
    send(&mut s, 0, BackendEvent::Connecting { attempt: 1 });
    send(
        &mut s,
        0,
        BackendEvent::Connected {
            docker_version: "20.10.24 (API 1.41)".into(),
        },
    );
    send(
        &mut s,
        0,
        BackendEvent::Snapshot(vec![
            container("web", RunState::Running, Health::Healthy),
            container("gateway", RunState::Running, Health::Healthy),
            container("order-service", RunState::Running, Health::Unhealthy),
            container("slicer", RunState::Exited { code: 137 }, Health::None),
            container("redis", RunState::Restarting, Health::None),
        ]),
    );
    send(&mut s, 0, BackendEvent::Latency(Duration::from_millis(23)));
    s
}

/// The same, after the connection dropped.
pub fn staging_lost() -> State {
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Disconnected {
            error: "docker events stream ended".into(),
            retry_in: Duration::from_secs(4),
        },
    );
    s
}

/// A batch of plain lines for the pane of environment 0, in its current generation.
pub fn log_batch(state: &State, service: &str, lines: &[(i64, &str)]) -> BackendEvent {
    use pilothouse::logs::{CleanText, LogBatch, LogLine};
    BackendEvent::Logs(LogBatch {
        generation: state.envs[0].logs.generation,
        container: format!("id-{service}"),
        service: service.into(),
        lines: lines
            .iter()
            .map(|(ts, text)| {
                LogLine::from_clean(
                    *ts,
                    false,
                    CleanText {
                        text: (*text).into(),
                        spans: Vec::new(),
                    },
                )
            })
            .collect(),
    })
}

/// Presses an action.
pub fn press(
    state: &mut State,
    action: pilothouse::action::Action,
) -> Vec<pilothouse::action::Effect> {
    update(state, Msg::Action(action))
}

//! Fixtures shared by the flow and render tests: a State built from the example config
//! and driven by the same messages the backend sends.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use pilothouse::input::action::Msg;
use pilothouse::input::keymap::Keymap;
use pilothouse::state::State;
use pilothouse::ui;
use pilothouse::ui::theme::Theme;
use pilothouse::update::update;
use pilothouse_core::config;
use pilothouse_core::model::container::{
    ContainerDetails, ContainerInfo, Health, HealthCheckRun, RunState,
};
use pilothouse_core::model::event::BackendEvent;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

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
            pid: None,
            created: Some(NOW - 86_400),
            command: format!("/usr/local/bin/{service}"),
            health_interval_secs: 2,
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
        outside: false,
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
    // This project runs every service it declares: the example config's deploy order
    // names more services than these five, which would show as missing rows.
    let running = ["web", "gateway", "order-service", "slicer", "redis"];
    s.envs[0]
        .deploy_order
        .retain(|n| running.contains(&n.as_str()));
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
    use pilothouse_core::logs::{CleanText, LogBatch, LogLine};
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
    action: pilothouse::input::action::Action,
) -> Vec<pilothouse::input::action::Effect> {
    update(state, Msg::Action(action))
}

/// A pool reading like a busy staging database: every budgeted service at its pool
/// size, `extra` more connections from `extra_app` (one of them idle in a transaction),
/// and the console's own.
pub fn pool_sample(extra_app: &str, extra: i32) -> pilothouse_core::model::pool::PoolSample {
    use pilothouse_core::model::pool::{DbSession, PoolSample, SessionState};
    let session = |pid: i32, app: &str, state: SessionState| DbSession {
        pid,
        application_name: app.into(),
        user: "acme".into(),
        state,
        waiting: false,
        xact_ms: state.in_transaction().then_some(95_000),
        state_ms: Some(if state.in_transaction() {
            90_000
        } else {
            4_000
        }),
        blocked_by: Vec::new(),
        backend_start: 1_763_800_000_000_000 + i64::from(pid),
    };
    let mut sessions = vec![session(100, "pilothouse", SessionState::Active)];
    let mut pid = 200;
    for app in [
        "gateway",
        "order-service",
        "print-service",
        "shipping-service",
    ] {
        for _ in 0..3 {
            sessions.push(session(pid, app, SessionState::Idle));
            pid += 1;
        }
    }
    for i in 0..extra {
        let state = if i == 0 {
            SessionState::IdleInTransaction
        } else {
            SessionState::Idle
        };
        sessions.push(session(pid, extra_app, state));
        pid += 1;
    }
    PoolSample {
        at: NOW,
        max_connections: 25,
        superuser_reserved: 3,
        reserved: 0,
        sessions,
        background: 5,
        own_pid: 100,
    }
}

/// Health answers: gateway up with its build, web down with 503.
pub fn endpoints() -> Vec<pilothouse_core::model::health::EndpointStatus> {
    use pilothouse_core::model::health::{EndpointStatus, HealthInfo};
    let info = HealthInfo {
        status: Some("ok".into()),
        database: Some("connected".into()),
        version: Some("v2".into()),
        build_number: Some("102".into()),
        build_commit: Some("5d6e7f8".into()),
        build_date: Some("2026-11-15T14:30:00Z".into()),
        uptime_s: Some(7200),
        fields: Vec::new(),
    };
    vec![
        EndpointStatus {
            name: "gateway".into(),
            service: "gateway".into(),
            url: "http://127.0.0.1:3000/health".into(),
            up: true,
            http_status: Some(200),
            latency_ms: Some(4),
            error: None,
            info: info.clone(),
            cert: None,
            checked_at: NOW,
        },
        EndpointStatus {
            name: "web".into(),
            service: "web".into(),
            url: "https://staging.example.com/api/health".into(),
            up: false,
            http_status: Some(503),
            latency_ms: Some(12),
            error: Some("HTTP 503 (expected 200)".into()),
            info: HealthInfo {
                status: Some("error".into()),
                ..info
            },
            cert: Some(pilothouse_core::model::health::CertInfo {
                not_after: NOW + 10 * 86_400 + 60,
                issuer: "Example CA".into(),
                subject: "staging.example.com".into(),
            }),
            checked_at: NOW,
        },
    ]
}

/// The whole screen drawn from `state` at `width` x `height`.
pub fn render(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    render_with(state, width, height, &theme)
}

/// The same in another theme.
pub fn render_with(state: &State, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
    let keymap = Keymap::default_keymap().unwrap_or_else(|e| panic!("{e}"));
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|f| ui::draw(f, state, theme, &keymap))
        .unwrap_or_else(|e| panic!("{e}"));
    terminal
}

/// The cells of the first occurrence of `text` on screen.
pub fn find(buf: &Buffer, text: &str) -> Option<(u16, u16)> {
    (0..buf.area.height).find_map(|y| {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        line.find(text)
            .map(|i| (line[..i].chars().count() as u16, y))
    })
}

/// The foreground colour where `text` first starts.
pub fn fg_at(buf: &Buffer, text: &str) -> Color {
    let (x, y) = find(buf, text).unwrap_or_else(|| panic!("{text:?} not on screen"));
    buf[(x, y)].fg
}

/// The screen as text, one line per row.
pub fn screen_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A queues reading: order-sync consumed, prints waiting with no worker, Redis evicting.
pub fn jobs_reading() -> pilothouse_core::model::event::BackendEvent {
    use pilothouse_core::model::queues::*;
    let queue = |name: &str, waiting: u64, workers: u32| QueueReading {
        name: name.into(),
        counts: Counts {
            waiting,
            active: u64::from(workers),
            delayed: 3,
            prioritized: 0,
            failed: 7,
            completed: 980,
            waiting_children: 0,
        },
        paused: false,
        oldest_waiting_ms: (waiting > 0).then_some(95_000),
        workers,
        completed_since: Some(5),
        failed_since: Some(1),
    };
    pilothouse_core::model::event::BackendEvent::Queues(QueuesEvent::Reading(Box::new(
        QueuesReading {
            redis: RedisInfo {
                version: "7.0.15".into(),
                used_memory: 8 << 20,
                maxmemory: 64 << 20,
                policy: "allkeys-lru".into(),
                evicted_keys: 12,
                connected_clients: 9,
                ops_per_sec: 40,
                role: "master".into(),
                replication: "0 replicas".into(),
            },
            queues: vec![queue("order-sync", 0, 1), queue("prints", 14, 0)],
            failed: Some((
                "order-sync".into(),
                vec![FailedJob {
                    id: "608".into(),
                    name: "order-sync-job".into(),
                    attempts: 2,
                    reason: "carrier API 503 Service Unavailable".into(),
                    at_ms: Some(NOW * 1000 - 30_000),
                }],
            )),
        },
    )))
}

/// A fleet of `n` environments (hosts `h00`…; every fifth in group `client-a`, every
/// seventh protected), all connected with three healthy containers, but: `h03` has an
/// unhealthy one, `h07` an exited one, `h11` and `h12` are unreachable, `h05` is locked by
/// someone else, `h09` is still connecting.
pub fn fleet_state(n: usize) -> State {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("[environments.h{i:02}]\n"));
        if i % 5 == 0 {
            text.push_str("group = \"client-a\"\n");
        }
        if i % 7 == 6 {
            text.push_str("protected = true\n");
        }
        text.push_str(&format!(
            "[environments.h{i:02}.ssh]\ndestination = \"h{i:02}.example\"\n[environments.h{i:02}.compose]\nproject_dir = \"/opt/acme\"\n"
        ));
    }
    let config = config::parse(&text, Path::new("fleet.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut s = State::from_config(&config, false);
    update(&mut s, Msg::Tick { now: NOW });
    for i in 0..n {
        let name = format!("h{i:02}");
        send(&mut s, i, BackendEvent::Connecting { attempt: 1 });
        if name == "h09" {
            continue;
        }
        if name == "h11" || name == "h12" {
            send(
                &mut s,
                i,
                BackendEvent::Disconnected {
                    error: "ssh: connect to host: Connection timed out".into(),
                    retry_in: Duration::from_secs(8),
                },
            );
            continue;
        }
        send(
            &mut s,
            i,
            BackendEvent::Connected {
                docker_version: "27.5.1".into(),
            },
        );
        let third = match name.as_str() {
            "h03" => container("worker", RunState::Running, Health::Unhealthy),
            "h07" => container("worker", RunState::Exited { code: 1 }, Health::None),
            _ => container("worker", RunState::Running, Health::Healthy),
        };
        send(
            &mut s,
            i,
            BackendEvent::Snapshot(vec![
                container("web", RunState::Running, Health::Healthy),
                container("gateway", RunState::Running, Health::Healthy),
                third,
            ]),
        );
        if name == "h05" {
            send(
                &mut s,
                i,
                BackendEvent::Lock(Some(pilothouse_core::model::job::LockOwner {
                    operator: "ana@laptop".into(),
                    action: "deploy".into(),
                    console: Some("other".into()),
                    since: Some(NOW - 120),
                    quiet_secs: Some(1),
                    maintenance: None,
                })),
            );
        }
    }
    s
}

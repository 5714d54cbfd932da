//! Frame time: how long `ui::draw` takes for a full frame, at common terminal sizes.
//!
//! Run with `cargo bench --bench frame` (release profile). Prints one line per size.
//! Not a test: nothing here asserts a number; `tests/bench/run` records the figures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use pilothouse::input::keymap::Keymap;
use pilothouse::state::State;
use pilothouse::ui::{self, theme::Theme};
use pilothouse_core::config;
use ratatui::{Terminal, backend::TestBackend};

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pilothouse.example.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let config = config::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    let mut state = State::from_config(&config, false);
    state.selected = 1; // production: the banner is drawn too
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_keymap().unwrap_or_else(|e| panic!("{e}"));
    measure("table", &state, &theme, &keymap);
    // The log pane of a flood: a full buffer of 20 000 lines, wrapped, with a search.
    state.selected = 0;
    let mut state = with_log_pane(state);
    measure("log pane", &state, &theme, &keymap);
    state.envs[0].logs.wrap = false;
    measure("log pane, no wrap", &state, &theme, &keymap);
    // The pool view of a busy database: 90 sessions, ten minutes of history.
    let state = with_pool(State::from_config(&config, false));
    measure("pool view", &state, &theme, &keymap);
}

fn with_pool(mut state: State) -> State {
    use pilothouse::input::action::Msg;
    use pilothouse_core::model::event::BackendEvent;
    use pilothouse_core::model::pool::{DbSession, PoolEvent, PoolSample, SessionState};
    let now = 1_795_312_800;
    let mut send = |event: BackendEvent, at: i64| {
        pilothouse::update::update(
            &mut state,
            Msg::Backend {
                env: 0,
                event,
                now: at,
            },
        );
    };
    send(BackendEvent::Connecting { attempt: 1 }, now);
    send(
        BackendEvent::Connected {
            docker_version: "20.10".into(),
        },
        now,
    );
    let apps = [
        "gateway",
        "order-service",
        "print-service",
        "shipping-service",
        "gridflock",
    ];
    for tick in 0..300 {
        let sessions = (0..90)
            .map(|i| DbSession {
                pid: 1000 + i,
                application_name: apps[i as usize % apps.len()].into(),
                user: "acme".into(),
                state: if i % 7 == 0 {
                    SessionState::IdleInTransaction
                } else {
                    SessionState::Idle
                },
                waiting: i % 31 == 0,
                xact_ms: Some(1000 * i as u64),
                state_ms: Some(500 * i as u64),
                blocked_by: if i % 31 == 0 { vec![1001] } else { Vec::new() },
                backend_start: 1_763_800_000_000_000 + i64::from(i),
            })
            .collect();
        let sample = PoolSample {
            at: now,
            max_connections: 100,
            superuser_reserved: 3,
            reserved: 0,
            sessions,
            background: 5,
            own_pid: 1000,
        };
        let at = now - 600 + 2 * tick;
        send(BackendEvent::Pool(PoolEvent::Sample(Box::new(sample))), at);
    }
    pilothouse::update::update(
        &mut state,
        Msg::Action(pilothouse::input::action::Action::PoolView),
    );
    state
}

fn with_log_pane(mut state: State) -> State {
    use pilothouse::input::action::{Action, Msg};
    use pilothouse::update::update;
    use pilothouse_core::logs::{LogBatch, LogLine, Sanitizer};
    use pilothouse_core::model::container::{ContainerDetails, ContainerInfo, Health, RunState};
    use pilothouse_core::model::event::BackendEvent;
    let row = ContainerInfo {
        id: "id-web".into(),
        name: "acme_web_1".into(),
        service: "web".into(),
        image: "web:v2".into(),
        run_state: RunState::Running,
        health: Health::Healthy,
        failing_streak: 0,
        started_at: Some(0),
        finished_at: None,
        restart_count: 0,
        ports: Vec::new(),
        details: ContainerDetails::default(),
        inspected: true,
        outside: false,
    };
    let ev = |event| Msg::Backend {
        env: 0,
        event,
        now: 0,
    };
    update(&mut state, ev(BackendEvent::Snapshot(vec![row])));
    update(&mut state, Msg::Action(Action::Logs));
    let mut san = Sanitizer::new(true);
    let lines: Vec<LogLine> = (0..20_000)
        .map(|i| {
            san.feed(
                format!(
                    "2026-11-22T03:21:18.320Z INFO  [\x1b[33mFlood\x1b[0m] flood line {i} {}",
                    "x".repeat(150)
                )
                .as_bytes(),
            );
            LogLine::from_clean(i, false, san.finish_line())
        })
        .collect();
    let generation = state.envs[0].logs.generation;
    update(
        &mut state,
        ev(BackendEvent::Logs(LogBatch {
            generation,
            container: "id-web".into(),
            service: "web".into(),
            lines,
        })),
    );
    state.envs[0].logs.timestamps = true;
    let mut q = state.envs[0].logs.store.query().clone();
    q.set_pattern("line 1999").unwrap_or_else(|e| panic!("{e}"));
    state.envs[0].logs.store.set_query(q);
    state
}

fn measure(what: &str, state: &State, theme: &Theme, keymap: &Keymap) {
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
        let frames = 5_000;
        let mut samples: Vec<Duration> = Vec::with_capacity(frames);
        for _ in 0..frames {
            let start = Instant::now();
            terminal
                .draw(|f| ui::draw(f, black_box(state), theme, keymap))
                .unwrap_or_else(|e| panic!("{e}"));
            samples.push(start.elapsed());
        }
        samples.sort();
        let mean = samples.iter().sum::<Duration>() / frames as u32;
        let p99 = samples[frames * 99 / 100];
        println!(
            "frame {what} {w}x{h}: mean {:.1} µs, p99 {:.1} µs ({frames} frames)",
            mean.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6
        );
    }
}

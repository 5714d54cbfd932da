//! Frame time: how long `ui::draw` takes for a full frame, at common terminal sizes.
//!
//! Run with `cargo bench --bench frame` (release profile). Prints one line per size.
//! Not a test: nothing here asserts a number; `tests/bench/run` records the figures.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use pilothouse::{config, keymap::Keymap, state::State, theme::Theme, ui};
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
}

fn with_log_pane(mut state: State) -> State {
    use pilothouse::action::{Action, Msg};
    use pilothouse::backend::BackendEvent;
    use pilothouse::backend::model::{ContainerDetails, ContainerInfo, Health, RunState};
    use pilothouse::logs::{LogBatch, LogLine, Sanitizer};
    use pilothouse::update::update;
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

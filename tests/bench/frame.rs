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
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
        let frames = 5_000;
        let mut samples: Vec<Duration> = Vec::with_capacity(frames);
        for _ in 0..frames {
            let start = Instant::now();
            terminal
                .draw(|f| ui::draw(f, black_box(&state), &theme, &keymap))
                .unwrap_or_else(|e| panic!("{e}"));
            samples.push(start.elapsed());
        }
        samples.sort();
        let mean = samples.iter().sum::<Duration>() / frames as u32;
        let p99 = samples[frames * 99 / 100];
        println!(
            "frame {w}x{h}: mean {:.1} µs, p99 {:.1} µs ({frames} frames)",
            mean.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6
        );
    }
}

//! The screen, drawn from a fixture State into a TestBackend. Snapshots are reviewed like
//! code; the cells that carry meaning (the protected banner) are asserted explicitly.

use std::path::Path;

use pilothouse::action::{Action, Msg};
use pilothouse::config;
use pilothouse::keymap::Keymap;
use pilothouse::state::State;
use pilothouse::theme::Theme;
use pilothouse::ui;
use pilothouse::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn example_state() -> State {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pilothouse.example.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let config = config::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    State::from_config(&config, false)
}

fn render(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_keymap().unwrap_or_else(|e| panic!("{e}"));
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|f| ui::draw(f, state, &theme, &keymap))
        .unwrap_or_else(|e| panic!("{e}"));
    terminal
}

fn row_text(t: &Terminal<TestBackend>, y: u16) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

#[test]
fn staging_shows_configuration_and_says_it_is_not_connected() {
    let t = render(&example_state(), 80, 24);
    insta::assert_snapshot!(t.backend());
    let screen: String = (0..24).map(|y| row_text(&t, y)).collect();
    assert!(screen.contains("not connected"));
    assert!(!screen.contains("PROTECTED"), "staging is not protected");
}

#[test]
fn production_has_a_red_banner_with_its_name() {
    let mut state = example_state();
    update(&mut state, Msg::Action(Action::NextEnv));
    let t = render(&state, 80, 24);
    insta::assert_snapshot!(t.backend());
    let banner = row_text(&t, 1);
    assert!(
        banner.contains("PRODUCTION · PROTECTED ENVIRONMENT"),
        "{banner}"
    );
    let buf = t.backend().buffer();
    for x in 0..80 {
        assert_eq!(buf[(x, 1)].bg, Color::Red, "banner cell {x} is not red");
    }
}

#[test]
fn read_only_is_shown_in_the_status_bar() {
    let mut state = example_state();
    state.read_only = true;
    let t = render(&state, 80, 24);
    assert!(row_text(&t, 23).contains("READ-ONLY"));
}

#[test]
fn status_bar_hints_come_from_the_keymap() {
    let t = render(&example_state(), 80, 24);
    let bar = row_text(&t, 23);
    assert!(bar.contains("tab next env"), "{bar}");
    assert!(bar.contains("q quit"), "{bar}");
    let custom = Keymap::parse(
        "[normal]\n\"x\" = \"quit\"\n\"n\" = \"next-env\"\n",
        Path::new("custom.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
    t.draw(|f| ui::draw(f, &example_state(), &theme, &custom))
        .unwrap_or_else(|e| panic!("{e}"));
    let bar = row_text(&t, 23);
    assert!(
        bar.contains("x quit") && bar.contains("n next env"),
        "{bar}"
    );
    assert!(!bar.contains("q quit"), "{bar}");
}

#[test]
fn tiny_terminals_do_not_panic() {
    let state = example_state();
    for (w, h) in [(1, 1), (10, 3), (40, 10), (80, 2), (300, 100)] {
        render(&state, w, h);
    }
}

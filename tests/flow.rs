//! update() flows: messages in, State out. No terminal, no runtime.

use std::path::Path;

use pilothouse::action::{Action, Msg};
use pilothouse::config;
use pilothouse::state::State;
use pilothouse::update::update;

fn state() -> State {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pilothouse.example.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    State::from_config(
        &config::parse(&text, &path).unwrap_or_else(|e| panic!("{e}")),
        false,
    )
}

#[test]
fn env_switching_wraps_both_ways() {
    let mut s = state();
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("staging"));
    update(&mut s, Msg::Action(Action::NextEnv));
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("production"));
    update(&mut s, Msg::Action(Action::NextEnv));
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("staging"));
    update(&mut s, Msg::Action(Action::PrevEnv));
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("production"));
}

#[test]
fn quit_sets_quit_and_nothing_else() {
    let mut s = state();
    let before = s.clone();
    let effects = update(&mut s, Msg::Action(Action::Quit));
    assert!(s.quit);
    assert!(effects.is_empty());
    s.quit = false;
    assert_eq!(s, before);
}

#[test]
fn select_env_by_name() {
    let mut s = state();
    assert!(s.select_env("production"));
    assert!(s.current().is_some_and(|e| e.protected));
    assert!(!s.select_env("nope"));
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("production"));
}

//! The mouse: where the drawing puts a tab, a row or a hint is where a click on it
//! lands. Each click is found on the rendered screen, then sent through the event
//! loop's translation and update().

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use crate::common::*;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use pilothouse::app::mouse_msgs;
use pilothouse::input::action::{Action, Msg};
use pilothouse::input::keymap::Keymap;
use pilothouse::state::{State, View};
use pilothouse::ui::theme::Theme;
use pilothouse::update::update;

const W: u16 = 120;
const H: u16 = 30;

fn sized(mut s: State) -> State {
    let _ = update(&mut s, Msg::Resize { rows: H, cols: W });
    s
}

/// Sends a mouse event at the first place `text` is drawn.
fn mouse_on(state: &mut State, text: &str, kind: MouseEventKind) {
    let t = render(state, W, H);
    let (column, row) =
        find(t.backend().buffer(), text).unwrap_or_else(|| panic!("{text:?} not on screen"));
    mouse_at(state, column, row, kind);
}

fn mouse_at(state: &mut State, column: u16, row: u16, kind: MouseEventKind) {
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_keymap().unwrap_or_else(|e| panic!("{e}"));
    let ev = MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    for msg in mouse_msgs(state, &theme, &keymap, &ev) {
        let _ = update(state, msg);
    }
}

const CLICK: MouseEventKind = MouseEventKind::Down(MouseButton::Left);

#[test]
fn a_click_on_a_tab_shows_that_environment() {
    let mut s = sized(staging_live());
    mouse_on(&mut s, "production ▲", CLICK);
    assert_eq!(s.selected, 1);
    mouse_on(&mut s, "staging", CLICK);
    assert_eq!(s.selected, 0);
}

#[test]
fn a_click_on_a_row_selects_that_container() {
    let mut s = sized(staging_live());
    mouse_on(&mut s, "│redis", CLICK);
    let selected = s.envs[0].selected_container().map(|c| c.service.clone());
    assert_eq!(selected.as_deref(), Some("redis"));
    mouse_on(&mut s, "│gateway", CLICK);
    let selected = s.envs[0].selected_container().map(|c| c.service.clone());
    assert_eq!(selected.as_deref(), Some("gateway"));
}

#[test]
fn a_click_on_a_hint_is_its_key() {
    let mut s = sized(staging_live());
    mouse_on(&mut s, " h health ", CLICK);
    assert_eq!(s.view, View::Health);
    mouse_on(&mut s, "? help", CLICK);
    assert!(s.help.is_some());
}

#[test]
fn the_wheel_moves_the_table_and_scrolls_the_help() {
    let mut s = sized(staging_live());
    let before = s.envs[0].selected_row;
    mouse_on(&mut s, "│web", MouseEventKind::ScrollDown);
    assert_eq!(s.envs[0].selected_row, before + 1);
    let _ = update(&mut s, Msg::Action(Action::Help));
    mouse_at(&mut s, 10, 10, MouseEventKind::ScrollDown);
    assert_eq!(s.help_scroll, 3);
}

#[test]
fn clicks_do_nothing_under_a_preview() {
    let mut s = sized(staging_live());
    let _ = update(&mut s, Msg::Action(Action::Restart));
    assert!(
        s.envs[0].queue.pending().is_some(),
        "no preview to test under"
    );
    mouse_at(&mut s, 30, 0, CLICK);
    assert_eq!(
        s.selected, 0,
        "a tab click switched environments under a preview"
    );
    assert!(s.envs[0].queue.pending().is_some());
}

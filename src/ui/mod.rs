//! Drawing. `draw` reads State and never mutates it or does I/O.

mod containers;
mod detail;
mod env_header;
mod header;
mod status_bar;
mod text;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use crate::keymap::Keymap;
use crate::state::State;
use crate::theme::Theme;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, keymap: &Keymap) {
    let area = frame.area();
    let protected = state.current().is_some_and(|e| e.protected);
    // The reason for a lost connection wraps onto as many lines as it needs (up to 4):
    // its "what to do" part is at the end.
    let error_lines = state
        .current()
        .and_then(env_header::error_line)
        .map_or(0, |e| {
            (e.chars().count() + 1)
                .div_ceil(usize::from(area.width.max(1)))
                .min(4)
        });
    let header_lines = 1 + error_lines as u16;
    let [tabs, banner, env_line, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(protected)),
        Constraint::Length(header_lines),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw_tabs(frame, tabs, state, theme);
    if let Some(env) = state.current() {
        if env.protected {
            header::draw_protected_banner(frame, banner, env, theme);
        }
        env_header::draw(frame, env_line, env, state.now, theme);
        // The detail pane takes the lower part when there is room for both.
        let detail_h = if body.height >= 20 && env.selected_container().is_some() {
            (body.height / 2).min(16)
        } else {
            0
        };
        let [table, detail_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(detail_h)]).areas(body);
        containers::draw(frame, table, env, state.now, theme);
        if detail_h > 0 {
            detail::draw(frame, detail_area, env, state.now, theme);
        }
    }
    status_bar::draw(frame, status, state, theme, keymap);
}

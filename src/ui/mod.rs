//! Drawing. `draw` reads State and never mutates it or does I/O.

mod audit;
mod containers;
mod deployed;
mod detail;
mod diagnostics;
mod env_header;
mod header;
mod health;
mod logs;
mod picker;
mod pool;
mod queue;
mod status_bar;
mod text;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use crate::action::Mode;
use crate::keymap::Keymap;
use crate::state::{State, View};
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
        let diag_h = if state.diagnostics {
            (body.height / 3).max(3).min(body.height)
        } else {
            0
        };
        let [body, diag_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(diag_h)]).areas(body);
        if diag_h > 0 {
            diagnostics::draw(frame, diag_area, theme);
        }
        // The other views keep the queue pane, when open, along their bottom: an action
        // started from them (terminate in the pool view) is followed there.
        let (view_area, queue_area) = if state.view != View::Containers && env.queue.open {
            let queue_h = (body.height / 3).clamp(6.min(body.height), 14);
            let [v, q] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(queue_h)]).areas(body);
            (v, Some(q))
        } else {
            (body, None)
        };
        match state.view {
            View::Containers => draw_containers(frame, body, state, env, theme),
            View::Health => health::draw(frame, view_area, env, state.now, theme),
            View::Pool => pool::draw(frame, view_area, env, state.now, theme),
            View::Audit => audit::draw(frame, view_area, env, state.now, theme),
            View::Deployed => deployed::draw(frame, view_area, state, theme),
        }
        if let Some(q) = queue_area {
            queue::draw_pane(frame, q, env, state.now, theme);
        }
        // An action's preview goes over whatever the body shows.
        if let Some(item) = env.queue.pending() {
            queue::draw_preview(frame, body, env, item, theme);
        } else if let Some(p) = &env.picker {
            picker::draw(frame, body, env, p, theme);
        }
    }
    status_bar::draw(frame, status, state, theme, keymap);
}

/// The frame of a pane about one environment: a protected environment's border in its
/// colour, the title in the error colour when what the pane shows is stale.
fn env_block<'a>(
    env: &crate::state::EnvState,
    title: &str,
    theme: &Theme,
    stale: bool,
) -> ratatui::widgets::Block<'a> {
    use ratatui::style::Style;
    let c = &theme.colors;
    ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::ALL)
        .border_style(Style::new().fg(if env.protected {
            c.protected.0
        } else {
            c.muted.0
        }))
        .title(ratatui::text::Span::styled(
            title.to_string(),
            Style::new().fg(if stale { c.error.0 } else { c.accent.0 }),
        ))
}

/// The container table with the queue, log or detail pane below it.
fn draw_containers(
    frame: &mut Frame,
    body: ratatui::layout::Rect,
    state: &State,
    env: &crate::state::EnvState,
    theme: &Theme,
) {
    // The lower pane shows the logs or the details of the selected container: half
    // the body for logs (all of it zoomed), the details when there is room for both.
    let queue_open = env.queue.open;
    let logs_open = env.logs.open && !queue_open;
    let lower_h = if queue_open {
        let table_h = (env.visible().len() as u16 + 3).min(body.height / 2);
        body.height - table_h
    } else if logs_open && env.logs.zoomed {
        body.height
    } else if logs_open {
        // The table keeps its rows (borders and header included) up to half the body.
        let table_h = (env.visible().len() as u16 + 3).min(body.height / 2);
        body.height - table_h
    } else if body.height >= 20 && env.selected_container().is_some() {
        (body.height / 2).min(16)
    } else {
        0
    };
    let [table, lower] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(lower_h)]).areas(body);
    if table.height > 0 {
        containers::draw(frame, table, env, state.now, theme);
    }
    if queue_open && lower_h > 0 {
        queue::draw_pane(frame, lower, env, state.now, theme);
    } else if logs_open && lower_h > 0 {
        let focused = state.mode() == Mode::Logs || state.mode() == Mode::Search;
        logs::draw(frame, lower, env, state.log_tail, focused, theme);
    } else if lower_h > 0 {
        detail::draw(frame, lower, env, state.now, theme);
    }
}

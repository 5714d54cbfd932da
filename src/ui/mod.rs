//! Drawing. `draw` reads State and never mutates it or does I/O.

mod action_queue;
mod audit;
mod containers;
mod deployed;
mod detail;
mod diagnostics;
mod env_header;
mod fleet;
mod forwards;
mod header;
mod health;
mod help;
mod jobs;
pub mod layout;
mod logs;
mod menu;
mod pane;
mod picker;
mod pool;
mod spark;
mod status_bar;
mod swarm;
mod text;
pub mod theme;
mod timeline;

use ratatui::Frame;

use crate::input::action::Mode;
use crate::input::keymap::Keymap;
use crate::state::{Overlay, State, View};
use crate::ui::theme::Theme;

pub use status_bar::hint_at;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, keymap: &Keymap) {
    let area = frame.area();
    let a = crate::ui::layout::areas(state, area);
    header::draw_tabs(frame, a.tabs, state, theme);
    if state.view == View::Fleet {
        let table = crate::state::fleet::table(state);
        fleet::draw_summary(frame, a.env_line, (state, &table.summary), theme);
        fleet::draw(frame, a.body, (state, &table.rows), theme);
        if a.diagnostics.height > 0 {
            diagnostics::draw(frame, a.diagnostics, theme);
        }
    } else if let Some(env) = state.current() {
        if env.protected {
            header::draw_protected_banner(frame, a.banner, env, theme);
        }
        env_header::draw(frame, a.env_line, env, state.now, theme);
        if a.incident.height > 0 {
            env_header::draw_incident(frame, a.incident, env, (state.now, &state.zone), theme);
        }
        if a.diagnostics.height > 0 {
            diagnostics::draw(frame, a.diagnostics, theme);
        }
        let body = a.body;
        // The other views keep the queue pane, when open, along their bottom: an action
        // started from them (terminate in the pool view) is followed there.
        let (view_area, queue_area) = crate::ui::layout::view_split(state, env, body);
        match state.view {
            // A zoomed queue pane covers the whole body.
            _ if view_area.height == 0 => {}
            View::Containers => draw_containers(frame, body, state, env, theme),
            View::Nodes => swarm::draw_nodes(frame, view_area, env, theme),
            View::Secrets => swarm::draw_secrets(frame, view_area, env, state.now, theme),
            View::Health => health::draw(frame, view_area, env, state.now, theme),
            View::Pool => pool::draw(frame, view_area, env, state.now, theme),
            View::Jobs => jobs::draw(frame, view_area, env, state.now, theme),
            View::Audit => audit::draw(frame, view_area, env, state.now, theme),
            View::Timeline => {
                timeline::draw(frame, view_area, env, state.now, &state.zone, theme);
            }
            View::Deployed => deployed::draw(frame, view_area, state, theme),
            View::Fleet => {}
        }
        if let Some(q) = queue_area {
            action_queue::draw_pane(frame, q, env, state.now, theme);
        }
        // An action's preview goes over whatever the body shows.
        if let Some(item) = env.queue.pending() {
            action_queue::draw_preview(frame, body, env, item, theme);
        } else if let Some(overlay) = &env.overlay {
            match overlay {
                Overlay::Picker(p) => picker::draw(frame, body, env, p, theme),
                Overlay::Menu(m) => menu::draw(frame, body, env, m, theme),
                Overlay::Forwards { cursor } => forwards::draw(frame, body, env, *cursor, theme),
                Overlay::CleanPrompt(p) => jobs::draw_clean_prompt(frame, body, env, p, theme),
            }
        }
    }
    status_bar::draw_messages(frame, a.messages, state, theme);
    status_bar::draw(frame, a.status, state, theme, keymap);
    if let Some(mode) = state.help {
        let team: Vec<(Option<char>, String)> = state
            .current()
            .map(|e| {
                e.actions
                    .iter()
                    .map(|a| (a.key.map(|k| k.0), a.name.as_str().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        help::draw(frame, area, mode, state.help_scroll, keymap, theme, &team);
    }
}

/// The container table with the queue, log or detail pane below it.
fn draw_containers(
    frame: &mut Frame,
    body: ratatui::layout::Rect,
    state: &State,
    env: &crate::state::EnvState,
    theme: &Theme,
) {
    use crate::ui::layout::Lower;
    let (table, lower) = crate::ui::layout::containers_split(state, env, body);
    let swarm = env.swarm.is_some();
    if table.height > 0 && swarm {
        swarm::draw_services_table(frame, table, env, state.now, theme);
    } else if table.height > 0 {
        containers::draw(frame, table, env, state.now, theme);
    }
    match lower {
        Some((r, Lower::Queue)) => action_queue::draw_pane(frame, r, env, state.now, theme),
        Some((r, Lower::Logs)) => {
            let focused = state.mode() == Mode::Logs || state.mode() == Mode::Search;
            // A moment of the timeline, in the operator's zone.
            let around = env.logs.around.as_ref().map(|a| {
                let ns = 1_000_000_000;
                crate::state::clock::local_time(a.at * ns, state.now * ns, &state.zone)
            });
            logs::draw(frame, r, env, (state.log_tail, around), focused, theme);
        }
        Some((r, Lower::Details)) if swarm => {
            swarm::draw_tasks_pane(frame, r, env, state.now, theme)
        }
        Some((r, Lower::Details)) => detail::draw(frame, r, env, state.now, theme),
        None => {}
    }
}

//! The fleet view's keys: its cursor and filter, opening an environment, and the ways
//! back to the fleet from one.

use crate::input::action::{Action, Effect};
use crate::state::fleet::{self, Row};
use crate::state::{State, View};

/// A key the fleet takes: all of them while it is on screen (but quitting, help and the
/// diagnostics), and, from an environment, `O` and `esc` on its table.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    if state.view != View::Fleet {
        return away(state, action);
    }
    let rows = fleet::rows(state);
    let last = rows.len().saturating_sub(1);
    let f = &mut state.fleet;
    match action {
        Action::Up => f.cursor = f.cursor.saturating_sub(1).min(last),
        Action::Down => f.cursor = (f.cursor + 1).min(last),
        Action::Filter => f.filter_editing = true,
        Action::FilterDone => f.filter_editing = false,
        Action::FilterClear => {
            f.filter.clear();
            f.filter_editing = false;
            f.cursor = 0;
        }
        Action::FilterBackspace => {
            f.filter.pop();
            f.cursor = 0;
        }
        Action::Logs => match rows.get(f.cursor.min(last)) {
            Some(Row::Env(e)) => open(state, e.env),
            // A group's row narrows the fleet to it.
            Some(Row::Group(g)) => {
                f.filter = g.name.clone();
                f.cursor = 0;
            }
            None => {}
        },
        Action::Reconnect => {
            if let Some(Row::Env(e)) = rows.get(f.cursor.min(last)) {
                return Some(vec![Effect::Reconnect { env: e.env }]);
            }
        }
        Action::FleetView => open(state, state.selected),
        Action::NextEnv | Action::PrevEnv => {
            let n = state.envs.len().max(1);
            let by = if action == Action::NextEnv { 1 } else { n - 1 };
            open(state, (state.selected + by) % n);
        }
        Action::Quit | Action::Help | Action::Diagnostics => return None,
        _ => {}
    }
    Some(Vec::new())
}

/// From an environment: `O` opens the fleet on its row; `esc` on its table goes back
/// to the fleet when the operator came from it (or the fleet is the first screen).
fn away(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let back = action == Action::ContainersView
        && state.view == View::Containers
        && (state.fleet.entered || state.envs.len() > fleet::FIRST_SCREEN_ABOVE);
    if action != Action::FleetView && !back {
        return None;
    }
    state.view = View::Fleet;
    for e in &mut state.envs {
        e.logs.focused = false;
    }
    let here = state.selected;
    state.fleet.cursor = fleet::rows(state)
        .iter()
        .position(|r| matches!(r, Row::Env(e) if e.env == here))
        .unwrap_or(0);
    Some(Vec::new())
}

/// Environment `env`'s usual views, its table first.
pub fn open(state: &mut State, env: usize) {
    if env < state.envs.len() {
        state.selected = env;
        state.view = View::Containers;
        state.fleet.entered = true;
        state.fleet.filter_editing = false;
    }
}

/// A character typed into the fleet's filter box.
pub fn input(state: &mut State, c: char) -> bool {
    let f = &mut state.fleet;
    if state.view != View::Fleet || !f.filter_editing {
        return false;
    }
    if !c.is_control() && f.filter.chars().count() < crate::state::MAX_FIELD {
        f.filter.push(c);
        f.cursor = 0;
    }
    true
}

//! The log pane's part of update(): its keys, its lines arriving, and keeping the
//! backend's follow request in step with what the pane shows.

use crate::input::action::{Action, Effect};
use crate::state::logs::Requested;
use crate::state::{EnvState, LogTarget, LogWindow, State};
use pilothouse_core::logs::{Level, LogBatch, Query};

/// Context choices, cycled by one key.
const CONTEXTS: [usize; 4] = [0, 1, 3, 5];

/// Handles a log-pane action; None if `action` is not one.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let page = usize::from(state.rows / 2).max(1);
    let now = state.now;
    let selected = state.selected;
    let dir = state.save_dir.clone();
    // The log and detail panes live below the container table.
    if matches!(action, Action::Logs | Action::Details) {
        state.view = crate::state::View::Containers;
        if let Some(e) = state.envs.get_mut(state.selected) {
            e.queue.open = false;
        }
    }
    let e = state.envs.get_mut(selected)?;
    let pane = &mut e.logs;
    match action {
        Action::Logs => {
            pane.open = true;
            pane.focused = true;
        }
        Action::Details => {
            pane.open = false;
            pane.focused = false;
            pane.zoomed = false;
        }
        Action::LogsBack if pane.around.is_some() => {
            back_from_around(pane);
            state.view = crate::state::View::Timeline;
        }
        Action::LogsBack => {
            pane.focused = false;
            pane.zoomed = false;
            // A swarm's pane below the table is its tasks: esc gives it back.
            if e.swarm.is_some() {
                pane.open = false;
            }
        }
        Action::Mark => {
            if let Some(service) = e.selected_service_name()
                && !e.marked.remove(&service)
            {
                e.marked.insert(service);
            }
        }
        Action::FollowSelected | Action::FollowMarked | Action::FollowAll => {
            pane.around = None;
            pane.target = match action {
                Action::FollowMarked if !e.marked.is_empty() => LogTarget::Marked,
                Action::FollowMarked => {
                    pane.message = Some("no services marked".into());
                    pane.target
                }
                Action::FollowAll => LogTarget::All,
                _ => LogTarget::Selected,
            };
            pane.open = true;
        }
        Action::ScrollUp => scroll_by(pane, 1, true),
        Action::ScrollDown => scroll_by(pane, 1, false),
        Action::PageUp => scroll_by(pane, page, true),
        Action::PageDown => scroll_by(pane, page, false),
        Action::Top => pane.scroll = pane.store.view_len().saturating_sub(1),
        Action::Bottom => {
            pane.scroll = 0;
            pane.cursor = None;
        }
        Action::Search => {
            pane.search_input = Some(pane.store.query().pattern().to_string());
        }
        Action::SearchCancel => pane.search_input = None,
        Action::SearchBackspace => {
            if let Some(s) = &mut pane.search_input {
                s.pop();
            }
        }
        Action::SearchDone => search_done(pane),
        Action::NextMatch | Action::PrevMatch => next_match(pane, action == Action::NextMatch),
        Action::FilterMatches
        | Action::InvertMatches
        | Action::CycleContext
        | Action::CycleLevel
        | Action::ToggleRaw => change_query(pane, action),
        Action::ToggleTimestamps => pane.timestamps = !pane.timestamps,
        Action::ToggleWrap => pane.wrap = !pane.wrap,
        Action::WindowTail
        | Action::Window1m
        | Action::Window5m
        | Action::Window15m
        | Action::Window1h
        | Action::WindowAll => set_window(pane, action),
        Action::Zoom => {
            pane.open = true;
            pane.zoomed = !pane.zoomed;
        }
        Action::SaveLogs => {
            let env_name = e.name.clone();
            return Some(save_logs(&mut e.logs, &env_name, selected, dir, now));
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// The pane back to what it followed before the timeline took it.
fn back_from_around(pane: &mut crate::state::LogPane) {
    if let Some(a) = pane.around.take() {
        pane.open = a.before.open;
        pane.focused = a.before.focused;
        pane.target = a.before.target;
        pane.window = a.before.window;
    }
}

/// A window key: where the lines start (a timeline's moment is left).
fn set_window(pane: &mut crate::state::LogPane, action: Action) {
    pane.around = None;
    pane.window = match action {
        Action::Window1m => LogWindow::Last(60),
        Action::Window5m => LogWindow::Last(300),
        Action::Window15m => LogWindow::Last(900),
        Action::Window1h => LogWindow::Last(3600),
        Action::WindowAll => LogWindow::All,
        _ => LogWindow::Tail,
    };
}

/// Enter in the search box: the pattern becomes the query, and the newest match at or
/// above the view is shown.
fn search_done(pane: &mut crate::state::LogPane) {
    let text = pane.search_input.take().unwrap_or_default();
    let mut q = pane.store.query().clone();
    match q.set_pattern(&text) {
        Ok(()) => {
            pane.message = None;
            pane.store.set_query(q);
            pane.cursor = None;
            let last = pane.store.view_len().saturating_sub(1);
            let from = last.saturating_sub(pane.scroll);
            jump_to(pane, pane.store.find_match(from, false));
        }
        Err(err) => pane.message = Some(format!("search: {err}")),
    }
}

/// The next (newer) or previous (older) match from the cursor, or from the view.
fn next_match(pane: &mut crate::state::LogPane, forward: bool) {
    let last = pane.store.view_len().saturating_sub(1);
    let from = match pane.cursor {
        Some(c) if forward => c + 1,
        Some(c) => c.saturating_sub(1),
        None => last.saturating_sub(pane.scroll),
    };
    if !forward && pane.cursor == Some(0) {
        return;
    }
    match pane.store.find_match(from, forward) {
        Some(i) => jump_to(pane, Some(i)),
        None => {
            pane.message = Some(if pane.store.query().searching() {
                format!("no {} match", if forward { "newer" } else { "older" })
            } else {
                "no search (press the search key)".into()
            })
        }
    }
}

/// The keys that change what the pane shows of its lines: filter, invert, context,
/// level, raw.
fn change_query(pane: &mut crate::state::LogPane, action: Action) {
    let mut q: Query = pane.store.query().clone();
    match action {
        Action::FilterMatches => q.filter = !q.filter,
        Action::InvertMatches => {
            q.invert = !q.invert;
            q.filter = true;
        }
        Action::CycleContext => {
            let i = CONTEXTS.iter().position(|c| *c == q.context).unwrap_or(0);
            q.context = CONTEXTS[(i + 1) % CONTEXTS.len()];
        }
        Action::CycleLevel => {
            q.min_level = match q.min_level {
                Level::Unknown => Level::Debug,
                Level::Trace | Level::Debug => Level::Info,
                Level::Info => Level::Warn,
                Level::Warn => Level::Error,
                Level::Error | Level::Fatal => Level::Unknown,
            }
        }
        _ => {
            pane.raw = !pane.raw;
            q.raw = pane.raw;
        }
    }
    pane.store.set_query(q);
    pane.cursor = None;
    pane.scroll = pane.scroll.min(pane.store.view_len().saturating_sub(1));
}

/// Saves what the pane shows to a file named after the environment, the services and
/// the time.
fn save_logs(
    pane: &mut crate::state::LogPane,
    env_name: &str,
    env: usize,
    dir: std::path::PathBuf,
    now: i64,
) -> Vec<Effect> {
    let lines = pane.store.export(true, pane.raw);
    if lines.is_empty() {
        pane.message = Some("nothing to save".into());
        return Vec::new();
    }
    let what = match &pane.requested {
        Some(r) if r.services.len() == 1 => r.services[0].clone(),
        Some(r) if !r.services.is_empty() => "marked".into(),
        _ => "all".into(),
    };
    let name = format!(
        "{}-{}-{}.log",
        safe_name(env_name),
        safe_name(&what),
        stamp(now)
    );
    pane.message = Some("saving…".into());
    vec![Effect::SaveLogs {
        env,
        dir,
        name,
        lines,
    }]
}

fn scroll_by(pane: &mut crate::state::LogPane, n: usize, up: bool) {
    let max = pane.store.view_len().saturating_sub(1);
    pane.scroll = if up {
        (pane.scroll + n).min(max)
    } else {
        pane.scroll.saturating_sub(n)
    };
}

/// Scrolls so that view line `i` is on screen, a few lines above the bottom edge.
fn jump_to(pane: &mut crate::state::LogPane, i: Option<usize>) {
    let Some(i) = i else { return };
    pane.cursor = Some(i);
    let last = pane.store.view_len().saturating_sub(1);
    pane.scroll = (last - i.min(last)).saturating_sub(3);
}

/// File names from environment and service names: letters, digits, `-`, `_`, `.`.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `20261122-100000` (UTC) of Unix seconds.
fn stamp(now: i64) -> String {
    let clock = pilothouse_core::logs::line::clock(now.saturating_mul(1_000_000_000));
    let days = now.div_euclid(86_400);
    let (y, m, d) = pilothouse_core::time::civil(days);
    format!(
        "{y:04}{m:02}{d:02}-{}",
        pilothouse_core::text::before(&clock, 8).replace(':', "")
    )
}

/// Lines arrived for an environment's pane.
pub fn lines(e: &mut EnvState, batch: LogBatch) -> bool {
    let pane = &mut e.logs;
    if batch.generation != pane.generation || pane.requested.is_none() {
        return false;
    }
    let added = pane.store.push(batch);
    if pane.scroll > 0 {
        // Scrolled up: what is on screen stays put.
        pane.scroll += added;
    }
    added > 0
}

/// What the pane of environment `index` should follow now, given the selection.
fn wanted(state: &State, index: usize) -> Option<Requested> {
    let e = state.envs.get(index)?;
    if index != state.selected || !e.logs.open {
        return None;
    }
    if let Some(a) = &e.logs.around {
        return Some(Requested {
            services: a.services.clone(),
            window: LogWindow::Around(a.at),
        });
    }
    let services = match e.logs.target {
        LogTarget::Selected => vec![e.selected_service_name()?],
        LogTarget::Marked => e.marked.iter().cloned().collect(),
        LogTarget::All => Vec::new(),
    };
    Some(Requested {
        services,
        window: e.logs.window,
    })
}

/// Keeps every environment's follow request in step with its pane: a new request
/// (and an empty pane) when the followed set or the window changed, none for a pane
/// that is closed or not on screen.
pub fn reconcile(state: &mut State) -> Vec<Effect> {
    let mut effects = Vec::new();
    for i in 0..state.envs.len() {
        let want = wanted(state, i);
        let (tail, colours, now) = (state.log_tail, state.keep_colours, state.now);
        let pane = &mut state.envs[i].logs;
        if pane.requested == want {
            continue;
        }
        pane.generation += 1;
        pane.requested = want;
        pane.store.clear();
        pane.scroll = 0;
        pane.cursor = None;
        effects.push(Effect::FollowLogs {
            env: i,
            request: pane.request(now, tail, colours),
        });
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stamps_are_utc_dates() {
        assert_eq!(stamp(1_795_341_600), "20261122-100000");
        assert_eq!(safe_name("a/b c"), "a_b_c");
    }
}

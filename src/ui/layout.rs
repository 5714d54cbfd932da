//! Where things are on screen: computed from State alone, used by `ui` to draw and by
//! the event loop to find what a mouse click or wheel was over.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::state::alert::Alert;
use crate::state::{EnvState, State, View};

/// The screen's parts, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub tabs: Rect,
    /// The protected environment's banner (empty when not protected).
    pub banner: Rect,
    pub env_line: Rect,
    /// The incident's line: since when something is wrong, and the change before it
    /// (empty when all is well or the data is not live).
    pub incident: Rect,
    /// What the view draws in (the diagnostics pane excluded).
    pub body: Rect,
    pub diagnostics: Rect,
    /// A line per message (why an action queued nothing, where a snapshot went) above
    /// the status bar, so the key hints keep their line.
    pub messages: Rect,
    pub status: Rect,
}

/// The lines a message takes at `width` columns (it wraps, up to 3).
pub fn message_height(text: &str, width: u16) -> u16 {
    ((text.chars().count() + 1).div_ceil(usize::from(width.max(1)))).clamp(1, 3) as u16
}

/// The messages shown above the status bar: why the last action key queued nothing
/// (until the next one), and a notice such as a snapshot's path.
pub fn messages(state: &State) -> Vec<(String, bool)> {
    let mode = state.mode();
    let Some(e) = state.current() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if mode == crate::input::action::Mode::Normal
        && let Some(m) = &e.queue.message
    {
        out.push((m.clone(), true));
    }
    if matches!(
        mode,
        crate::input::action::Mode::Normal | crate::input::action::Mode::Logs
    ) && let Some(n) = &e.notice
    {
        out.push((n.clone(), false));
    }
    out
}

/// Splits the terminal for the environment on screen.
pub fn areas(state: &State, area: Rect) -> Areas {
    // The fleet view has the fleet's line where an environment has its header.
    let env = state
        .current()
        .filter(|_| state.view != crate::state::View::Fleet);
    let protected = env.is_some_and(|e| e.protected);
    // The reason for a lost connection wraps onto as many lines as it needs (up to 4):
    // its "what to do" part is at the end.
    let error_lines = env.and_then(error_line).map_or(0, |e| {
        (e.chars().count() + 1)
            .div_ceil(usize::from(area.width.max(1)))
            .min(4)
    });
    let message_lines: u16 = messages(state)
        .iter()
        .map(|(text, _)| message_height(text, area.width))
        .sum();
    let incident = env.is_some_and(|e| e.is_live() && e.timeline.incident.is_some());
    let [tabs, banner, env_line, incident, body, messages, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(protected)),
        Constraint::Length(1 + error_lines as u16),
        Constraint::Length(u16::from(incident)),
        Constraint::Min(0),
        Constraint::Length(message_lines),
        Constraint::Length(1),
    ])
    .areas(area);
    let diag_h = if state.diagnostics {
        (body.height / 3).max(3).min(body.height)
    } else {
        0
    };
    let [body, diagnostics] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(diag_h)]).areas(body);
    Areas {
        tabs,
        banner,
        env_line,
        incident,
        body,
        diagnostics,
        messages,
        status,
    }
}

/// The last error, on its own line while the environment is not connected: the reason
/// is what an operator needs first and must not be cut off by the counts.
pub fn error_line(env: &EnvState) -> Option<&str> {
    if env.is_live() {
        return None;
    }
    env.link.last_error.as_deref()
}

/// What the lower pane of the container view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lower {
    Queue,
    Logs,
    Details,
}

/// The container view's table and lower pane (None when there is no room for one).
pub fn containers_split(
    state: &State,
    env: &EnvState,
    body: Rect,
) -> (Rect, Option<(Rect, Lower)>) {
    // The lower pane shows the logs or the details of the selected container: half
    // the body for logs or the queue (all of it zoomed), the details when there is room for both.
    let queue_open = env.queue.open;
    let logs_open = env.logs.open && !queue_open;
    let table_rows = (env.row_count() as u16)
        .saturating_add(3)
        .min(body.height / 2);
    let (lower_h, kind) = if queue_open && env.queue.zoomed {
        (body.height, Lower::Queue)
    } else if queue_open {
        (body.height - table_rows, Lower::Queue)
    } else if logs_open && env.logs.zoomed {
        (body.height, Lower::Logs)
    } else if logs_open {
        // The table keeps its rows (borders and header included) up to half the body.
        (body.height - table_rows, Lower::Logs)
    } else if body.height >= 20
        && (env.selected_container().is_some() || env.selected_service().is_some())
    {
        ((body.height / 2).min(16), Lower::Details)
    } else {
        (0, Lower::Details)
    };
    // The operator's grow and shrink keys move the border between the table and the
    // pane; each keeps at least three rows (a zoomed pane keeps everything).
    let zoomed = (logs_open && env.logs.zoomed) || (queue_open && env.queue.zoomed);
    let lower_h = if lower_h > 0 && !zoomed && body.height >= 6 {
        let moved = i32::from(lower_h) + i32::from(state.pane_shift);
        moved.clamp(3, i32::from(body.height) - 3) as u16
    } else {
        lower_h
    };
    let [table, lower] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(lower_h)]).areas(body);
    (table, (lower_h > 0).then_some((lower, kind)))
}

/// The queue pane along the bottom of the other views, when open.
pub fn view_split(state: &State, env: &EnvState, body: Rect) -> (Rect, Option<Rect>) {
    if state.view != View::Containers && env.queue.open && env.queue.zoomed {
        (Rect::new(body.x, body.y, body.width, 0), Some(body))
    } else if state.view != View::Containers && env.queue.open {
        let queue_h = (body.height / 3).clamp(6.min(body.height), 14);
        let [v, q] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(queue_h)]).areas(body);
        (v, Some(q))
    } else {
        (body, None)
    }
}

/// The brand at the left of the tab row.
pub const BRAND: &str = " pilothouse ";

/// A tab's text: the name, ▲ when protected, and a symbol when something needs
/// attention (so the meaning survives without colour).
pub fn tab_label(env: &EnvState, now: i64) -> String {
    let mark = match env.alert(now) {
        Alert::Ok => "",
        Alert::Warn => " ~",
        Alert::Bad => " !",
    };
    if env.protected {
        format!(" {} ▲{mark} ", env.name)
    } else {
        format!(" {}{mark} ", env.name)
    }
}

/// The tabs the tab row has room for in `width` columns, in configuration order, and
/// how many are left out: all when they fit; else the one on screen, then the
/// alerting ones (the worst first), as many as fit.
pub fn visible_tabs(state: &State, width: u16) -> (Vec<usize>, usize) {
    let wide = |i: usize| 1 + tab_label(&state.envs[i], state.now).chars().count();
    let all: usize = (0..state.envs.len()).map(wide).sum();
    let room = usize::from(width).saturating_sub(BRAND.chars().count());
    if all <= room {
        return ((0..state.envs.len()).collect(), 0);
    }
    // Room for ` +NN more (O)`.
    let room = room.saturating_sub(14);
    let mut order: Vec<usize> = (0..state.envs.len())
        .filter(|&i| i != state.selected && state.envs[i].alert(state.now) != Alert::Ok)
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(state.envs[i].alert(state.now)));
    let mut shown = Vec::new();
    let mut used = 0;
    let first = (state.selected < state.envs.len()).then_some(state.selected);
    for i in first.into_iter().chain(order) {
        if used + wide(i) > room {
            continue;
        }
        used += wide(i);
        shown.push(i);
    }
    shown.sort_unstable();
    let hidden = state.envs.len() - shown.len();
    (shown, hidden)
}

/// The environment whose tab is at column `col` of the tab row.
pub fn tab_at(state: &State, col: u16) -> Option<usize> {
    let mut x = BRAND.chars().count();
    let (shown, _) = visible_tabs(state, state.cols);
    for i in shown {
        let env = &state.envs[i];
        // One space between tabs.
        x += 1;
        let w = tab_label(env, state.now).chars().count();
        if (x..x + w).contains(&usize::from(col)) {
            return Some(i);
        }
        x += w;
    }
    None
}

/// The index (into `visible()`) of the table row at screen row `row`, if any.
pub fn table_row_at(env: &EnvState, table: Rect, row: u16) -> Option<usize> {
    // Border and header above the rows, border below.
    let first = table.y + 2;
    let shown = table.height.saturating_sub(3);
    if row < first || row >= first + shown || shown == 0 {
        return None;
    }
    // The table scrolls just enough to keep the selected row on screen.
    let offset = (env.selected_row + 1).saturating_sub(usize::from(shown));
    let i = offset + usize::from(row - first);
    (i < env.visible().len()).then_some(i)
}

/// Whether `(col, row)` is inside `r`.
pub fn contains(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height
}

//! The status bar: key hints generated from the active keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::input::action::Action;
use crate::input::keymap::Keymap;
use crate::state::{State, View};
use crate::ui::theme::Theme;

use crate::input::action::Mode;

/// The actions hinted in each mode, in order.
fn hinted(mode: Mode, view: View) -> &'static [Action] {
    match mode {
        Mode::Normal if view == View::Pool => &[
            Action::Down,
            Action::TerminateSession,
            Action::Restart,
            Action::RestartGroup,
            Action::PoolView,
            Action::Help,
            Action::Quit,
        ],
        Mode::Normal if view == View::Jobs => &[
            Action::Down,
            Action::Restart,
            Action::PauseQueue,
            Action::RetryFailed,
            Action::CleanQueue,
            Action::JobsView,
            Action::Help,
            Action::Quit,
        ],
        Mode::Normal if view == View::Fleet => &[
            Action::Down,
            Action::Logs,
            Action::Filter,
            Action::Reconnect,
            Action::FleetView,
            Action::Help,
            Action::Quit,
        ],
        Mode::Normal if view == View::Timeline => &[
            Action::Down,
            Action::Logs,
            Action::TimelineScope,
            Action::TimelineKinds,
            Action::TimelineView,
            Action::Help,
            Action::Quit,
        ],
        Mode::Normal => &[
            Action::NextEnv,
            Action::Filter,
            Action::Logs,
            Action::HealthView,
            Action::PoolView,
            Action::DeployedView,
            Action::Help,
            Action::Quit,
        ],
        Mode::Filter => &[Action::FilterDone, Action::FilterClear],
        Mode::Logs => &[
            Action::LogsBack,
            Action::Search,
            Action::NextMatch,
            Action::FilterMatches,
            Action::CycleLevel,
            Action::FollowAll,
            Action::ToggleWrap,
            Action::ToggleTimestamps,
            Action::SaveLogs,
            Action::Zoom,
        ],
        Mode::Search => &[Action::SearchDone, Action::SearchCancel],
        Mode::Confirm => &[Action::Confirm, Action::CancelAction, Action::ScrollDown],
        Mode::ConfirmTyped => &[
            Action::ConfirmTyped,
            Action::CancelAction,
            Action::ScrollDown,
        ],
        Mode::Help => &[Action::Help, Action::ScrollDown, Action::Quit],
        Mode::TagInput => &[],
    }
}

/// The tag-input mode serves the deploy and rollback picker, the scale and maintenance
/// prompts and the menus: each is hinted with its own keys, and enter says what it does.
fn tag_input_hints(state: &State) -> Vec<(Action, &'static str)> {
    use crate::state::picker::PickerKind;
    let Some(env) = state.current() else {
        return vec![(Action::TagCancel, "cancel")];
    };
    let mut out = Vec::new();
    match env.picker().map(|p| p.kind) {
        Some(PickerKind::Scale | PickerKind::Maintenance) => {
            out.push((Action::TagDone, "preview"));
        }
        Some(kind) => {
            out.push((Action::TagDone, "use tag"));
            out.push((Action::Down, Action::Down.describe()));
            out.push((Action::CycleTargets, "targets"));
            let migrations =
                kind == PickerKind::Deploy && env.migrate.is_some() && env.swarm.is_none();
            if migrations {
                out.push((Action::ToggleMigrations, "migrations"));
            }
        }
        None if env.clean_prompt().is_some() => out.push((Action::TagDone, "preview")),
        None => {
            out.push((Action::TagDone, "pick"));
            out.push((Action::Down, Action::Down.describe()));
        }
    }
    out.push((Action::TagCancel, "cancel"));
    out
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, keymap: &Keymap) {
    let base = Style::new()
        .fg(theme.colors.status_bar.0)
        .bg(theme.colors.status_bar_bg.0);
    let spans: Vec<Span> = items(state, theme, keymap)
        .into_iter()
        .map(|(span, _)| span)
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

/// The messages, a line each above the status bar (layout::messages): a warning for why
/// an action queued nothing, the accent for a notice.
pub fn draw_messages(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let c = &theme.colors;
    let mut y = area.y;
    for (text, warning) in crate::ui::layout::messages(state) {
        let h = crate::ui::layout::message_height(&text, area.width)
            .min(area.bottom().saturating_sub(y));
        if h == 0 {
            break;
        }
        let style = if warning {
            Style::new().fg(c.protected_text.0).bg(c.warning.0)
        } else {
            Style::new().fg(c.status_bar_bg.0).bg(c.accent.0)
        }
        .add_modifier(Modifier::BOLD);
        let rect = Rect::new(area.x, y, area.width, h);
        frame.render_widget(
            Paragraph::new(format!(" {text}"))
                .style(style)
                .wrap(ratatui::widgets::Wrap { trim: false }),
            rect,
        );
        y += h;
    }
}

/// The hint under column `col` of the status bar: a click on it is its key.
pub fn hint_at(state: &State, theme: &Theme, keymap: &Keymap, col: u16) -> Option<Action> {
    let mut x = 0usize;
    for (span, action) in items(state, theme, keymap) {
        let w = span.width();
        if (x..x + w).contains(&usize::from(col)) {
            return action;
        }
        x += w;
    }
    None
}

/// The bar's pieces left to right, each hint with its action.
fn items(state: &State, theme: &Theme, keymap: &Keymap) -> Vec<(Span<'static>, Option<Action>)> {
    let c = &theme.colors;
    let base = Style::new().fg(c.status_bar.0).bg(c.status_bar_bg.0);
    let mut spans = Vec::new();
    if state.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            Style::new()
                .fg(c.protected_text.0)
                .bg(c.warning.0)
                .add_modifier(Modifier::BOLD),
        ));
    }
    let mode = state.mode();
    let mut out: Vec<(Span<'static>, Option<Action>)> =
        spans.into_iter().map(|s| (s, None)).collect();
    let hints: Vec<(Action, &str)> = if mode == Mode::TagInput {
        tag_input_hints(state)
    } else {
        hinted(mode, state.view)
            .iter()
            .map(|&a| match a {
                // In the fleet, enter opens the environment; O goes back to it.
                Action::Logs if state.view == View::Fleet => (a, "open"),
                Action::FleetView if state.view == View::Fleet => (a, "back"),
                _ => (a, a.describe()),
            })
            .collect()
    };
    for (action, label) in hints {
        if let Some(key) = keymap.keys_for(mode, action).first() {
            out.push((
                Span::styled(format!(" {key}"), base.add_modifier(Modifier::BOLD)),
                Some(action),
            ));
            out.push((Span::styled(format!(" {label} "), base), Some(action)));
        }
    }
    out
}

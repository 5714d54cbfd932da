//! The timeline view: what changed on the environment and when, oldest first, the
//! newest at the bottom; times in the operator's zone with its offset.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::state::EnvState;
use crate::state::clock::local_time;
use crate::state::timeline::{ReadStatus, is_change};
use crate::ui::text::host_text;
use crate::ui::theme::Theme;
use pilothouse_core::model::timeline::{Entry, Kind};

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    now: i64,
    zone: &jiff::tz::TimeZone,
    theme: &Theme,
) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let t = &env.timeline;
    let services = env.timeline_services();
    let shown: Vec<&Entry> = t.shown(&services).collect();
    let title = format!(
        " {} · timeline: {}, {} ({} of {}) ",
        env.name,
        t.scope.label(),
        t.kinds.label(),
        shown.len(),
        t.entries.len()
    );
    let block = super::pane::env_block(env, &title, theme, false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let note = status_note(env);
    let [note_area, table_area] = ratatui::layout::Layout::vertical([
        Constraint::Length(u16::from(!note.is_empty())),
        Constraint::Min(0),
    ])
    .areas(inner);
    if !note.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(note, Style::new().fg(c.warning.0))),
            note_area,
        );
    }
    if shown.is_empty() {
        let text = match t.status {
            ReadStatus::Reading => "reading what changed on the host…",
            _ => {
                "nothing here yet: the engine's events, the audit trail and the env file's backups show up as they happen"
            }
        };
        frame.render_widget(Paragraph::new(Line::styled(text, muted)), table_area);
        return;
    }
    let now_ns = now.saturating_mul(1_000_000_000);
    let times: Vec<String> = shown
        .iter()
        .map(|e| local_time(e.time, now_ns, zone))
        .collect();
    let time_width = times.iter().map(|t| t.chars().count()).max().unwrap_or(4);
    let header =
        Row::new(["TIME", "SOURCE", "SUBJECT", "WHAT"]).style(muted.add_modifier(Modifier::BOLD));
    let style_of = |e: &Entry| match e.kind {
        Kind::Die | Kind::Kill | Kind::Oom | Kind::TaskFailed => Style::new().fg(c.error.0),
        Kind::Health if e.summary != "healthy" => Style::new().fg(c.warning.0),
        k if is_change(k) => Style::new().fg(c.text.0).add_modifier(Modifier::BOLD),
        _ => Style::new().fg(c.text.0),
    };
    // The change before the incident's first alert is marked: what to look at first.
    let marked = t.incident.as_ref().and_then(|i| i.change.as_ref());
    let rows = shown.iter().zip(times).map(|(e, time)| {
        let what = if marked == Some(*e) {
            Cell::from(Line::from(vec![
                Span::styled(format!("◆ {}", host_text(&e.summary)), style_of(e)),
                Span::styled(
                    "  ◀ the last change before the first alert",
                    Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
                ),
            ]))
        } else {
            Cell::from(host_text(&e.summary)).style(style_of(e))
        };
        Row::new(vec![
            Cell::from(time).style(muted),
            Cell::from(e.source.name()).style(muted),
            Cell::from(host_text(&e.subject)),
            what,
        ])
    });
    let widths = [
        Constraint::Length(u16::try_from(time_width).unwrap_or(26)),
        Constraint::Length(8),
        Constraint::Length(18),
        Constraint::Min(10),
    ];
    let mut table_state =
        TableState::default().with_selected(shown.len().checked_sub(1 + t.cursor_from_end));
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    frame.render_stateful_widget(table, table_area, &mut table_state);
}

/// What the view says above its entries: the host's part still being read or not
/// read, and the store's trouble; empty when all is well.
fn status_note(env: &EnvState) -> String {
    let t = &env.timeline;
    let mut parts = Vec::new();
    match &t.status {
        ReadStatus::Reading => parts.push("reading the host's history…".to_string()),
        ReadStatus::Failed(why) => parts.push(format!("the host's history NOT read: {why}")),
        ReadStatus::Read { missing } if !missing.is_empty() => {
            parts.push(format!("not read: {}", missing.join("; ")));
        }
        ReadStatus::Read { .. } => {}
    }
    if let Some(why) = &t.store_error {
        parts.push(format!("store: {why}"));
    }
    host_text(&parts.join(" · "))
}

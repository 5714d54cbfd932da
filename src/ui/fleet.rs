//! The fleet view: one row per environment, worst first, a roll-up row per group, and
//! the fleet in one line above it. Columns leave as the terminal narrows, the least
//! needed first: an alert is never cut off for a count that says all is well.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::text::host_text;
use crate::state::State;
use crate::state::alert::Alert;
use crate::state::fleet::{self, EnvRow, GroupRow, Standing, Summary};
use crate::ui::theme::Theme;
use pilothouse_core::time::age;

/// The fleet in a line: `50 environments · 2 FAILING · 1 UNREACHABLE · 47 ok`, and the
/// filter while one is set.
pub fn draw_summary(frame: &mut Frame, area: Rect, (state, s): (&State, &Summary), theme: &Theme) {
    let c = &theme.colors;
    let bad = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let warn = Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD);
    let muted = Style::new().fg(c.muted.0);
    let mut spans = vec![Span::styled(
        format!(" {} environments", s.total),
        Style::new().fg(c.text.0),
    )];
    let mut add = |n: usize, what: &str, style: Style| {
        if n > 0 {
            spans.push(Span::styled(" · ", muted));
            spans.push(Span::styled(format!("{n} {what}"), style));
        }
    };
    add(s.failing, "FAILING", bad);
    add(s.unreachable, "UNREACHABLE", bad);
    add(s.warning, "warning", warn);
    add(s.connecting, "connecting", warn);
    add(s.ok, "ok", Style::new().fg(c.ok.0));
    let f = &state.fleet;
    if f.filter_editing || !f.filter.is_empty() {
        let cursor = if f.filter_editing { "▏" } else { "" };
        spans.push(Span::styled("   filter: ", muted));
        spans.push(Span::styled(
            format!("{}{cursor}", host_text(&f.filter)),
            Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A column of the table: its heading, its width, and from how many columns of
/// terminal it is shown.
struct Column {
    title: &'static str,
    width: Constraint,
    from: u16,
}

const COLUMNS: [Column; 9] = [
    Column {
        title: "ENVIRONMENT",
        width: Constraint::Length(12),
        from: 0,
    },
    Column {
        title: "STATUS",
        width: Constraint::Length(11),
        from: 0,
    },
    Column {
        title: "ALERTS",
        width: Constraint::Fill(2),
        from: 0,
    },
    Column {
        title: "RUNNING",
        width: Constraint::Length(7),
        from: 0,
    },
    Column {
        title: "HEALTHY",
        width: Constraint::Length(7),
        from: 110,
    },
    Column {
        title: "POOL",
        width: Constraint::Length(7),
        from: 110,
    },
    Column {
        title: "LAST CHANGE",
        width: Constraint::Fill(2),
        from: 110,
    },
    Column {
        title: "LOCK",
        width: Constraint::Length(18),
        from: 160,
    },
    Column {
        title: "LINK",
        width: Constraint::Length(10),
        from: 0,
    },
];

pub fn draw(frame: &mut Frame, area: Rect, (state, rows): (&State, &[fleet::Row]), theme: &Theme) {
    let c = &theme.colors;
    let shown: Vec<&Column> = COLUMNS
        .iter()
        .filter(|col| area.width >= col.from)
        .collect();
    // The names' own width (an indent and a mark included), from 12 to 36 columns.
    let names = rows
        .iter()
        .map(|r| match r {
            fleet::Row::Group(g) => g.name.chars().count() + 7,
            fleet::Row::Env(e) => e.name.chars().count() + 4,
        })
        .max()
        .unwrap_or(0)
        .clamp(12, 36) as u16;
    let header = Row::new(shown.iter().map(|col| col.title))
        .style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let lines = rows.iter().map(|r| match r {
        fleet::Row::Group(g) => group_row(g, &shown, theme),
        fleet::Row::Env(e) => env_row(e, &shown, state.now, theme),
    });
    let title = if rows.is_empty() && !state.fleet.filter.is_empty() {
        " fleet: nothing matches the filter (esc clears it) ".to_string()
    } else {
        " fleet · worst first · enter opens · / filters ".to_string()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(c.muted.0))
        .title(Span::styled(title, Style::new().fg(c.accent.0)));
    let widths = shown.iter().map(|col| match col.title {
        "ENVIRONMENT" => Constraint::Length(names),
        _ => col.width,
    });
    let table = Table::new(lines, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let cursor = state.fleet.cursor.min(rows.len().saturating_sub(1));
    let mut ts = TableState::default().with_selected((!rows.is_empty()).then_some(cursor));
    frame.render_stateful_widget(table, area, &mut ts);
}

fn standing_style(s: Standing, theme: &Theme) -> Style {
    let c = &theme.colors;
    match s.alert() {
        Alert::Bad => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        Alert::Warn => Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        Alert::Ok => Style::new().fg(c.ok.0),
    }
}

fn group_row<'a>(g: &GroupRow, shown: &[&Column], theme: &Theme) -> Row<'a> {
    let c = &theme.colors;
    let mut parts = Vec::new();
    for (n, what) in [
        (g.failing, "failing"),
        (g.unreachable, "unreachable"),
        (g.warning, "warning"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let alerts = if parts.is_empty() {
        "all ok".to_string()
    } else {
        parts.join(", ")
    };
    let cells = shown.iter().map(|col| match col.title {
        "ENVIRONMENT" => Cell::from(format!("▾ {} ({})", g.name, g.total))
            .style(Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD)),
        "STATUS" => Cell::from(g.worst.word()).style(standing_style(g.worst, theme)),
        "ALERTS" => Cell::from(alerts.clone()).style(Style::new().fg(c.muted.0)),
        _ => Cell::from(""),
    });
    Row::new(cells.collect::<Vec<_>>())
}

fn env_row<'a>(e: &EnvRow, shown: &[&Column], now: i64, theme: &Theme) -> Row<'a> {
    let c = &theme.colors;
    let plain = if e.stale {
        Style::new().fg(c.muted.0).add_modifier(Modifier::DIM)
    } else {
        Style::new().fg(c.text.0)
    };
    let muted = Style::new().fg(c.muted.0);
    let indent = if e.group.is_some() { "  " } else { "" };
    let mark = if e.protected { " ▲" } else { "" };
    let pair = |p: Option<(u64, u64)>| p.map_or("-".to_string(), |(a, b)| format!("{a}/{b}"));
    let cells = shown.iter().map(|col| match col.title {
        "ENVIRONMENT" => Cell::from(format!("{indent}{}{mark}", e.name)).style(plain),
        "STATUS" => Cell::from(e.standing.word()).style(standing_style(e.standing, theme)),
        "ALERTS" => alerts_cell(e, theme),
        "RUNNING" => {
            let short = e.running.is_some_and(|(a, b)| a < b);
            let style = if short && !e.stale {
                Style::new().fg(c.error.0)
            } else {
                plain
            };
            Cell::from(pair(e.running)).style(style)
        }
        "HEALTHY" => Cell::from(pair(e.healthy.map(|(a, b)| (a as u64, b as u64)))).style(plain),
        "POOL" => Cell::from(e.pool_free.map_or("-".into(), |f| format!("{f} free"))).style(
            match e.pool_free {
                Some(f) if f <= 0 => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
                Some(f) if f <= crate::state::pool::WARN_FREE => Style::new().fg(c.warning.0),
                _ => plain,
            },
        ),
        "LAST CHANGE" => Cell::from(e.change.as_ref().map_or(String::new(), |(t, what)| {
            format!("{} ago {}", age((now - t).max(0)), host_text(what))
        }))
        .style(muted),
        "LOCK" => Cell::from(e.lock.as_deref().map(host_text).unwrap_or_default())
            .style(Style::new().fg(c.warning.0)),
        _ => link_cell(e, now, theme),
    });
    Row::new(cells.collect::<Vec<_>>())
}

fn alerts_cell<'a>(e: &EnvRow, theme: &Theme) -> Cell<'a> {
    let c = &theme.colors;
    let spans: Vec<Span> = e
        .problems
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let style = match p.alert {
                Alert::Bad => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
                Alert::Warn => Style::new().fg(c.warning.0),
                Alert::Ok => Style::new().fg(c.muted.0),
            };
            let sep = if i > 0 { ", " } else { "" };
            [Span::raw(sep), Span::styled(host_text(&p.text), style)]
        })
        .collect();
    Cell::from(Line::from(spans))
}

fn link_cell<'a>(e: &EnvRow, now: i64, theme: &Theme) -> Cell<'a> {
    let c = &theme.colors;
    let (word, since) = e.link;
    let text = match since {
        Some(t) => format!("{word} {}", age((now - t).max(0))),
        None => word.to_string(),
    };
    let style = match word {
        "up" => Style::new().fg(c.ok.0),
        "DOWN" => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        _ => Style::new().fg(c.warning.0),
    };
    Cell::from(text).style(style)
}

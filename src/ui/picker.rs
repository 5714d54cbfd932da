//! The deploy / rollback tag picker, over the middle of the body.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::state::EnvState;
use crate::state::picker::{PickerKind, TagPicker};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, p: &TagPicker, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bold = Style::new().fg(c.text.0).add_modifier(Modifier::BOLD);
    let border = if env.protected {
        c.protected.0
    } else {
        c.accent.0
    };
    let verb = match p.kind {
        PickerKind::Deploy => "deploy to",
        PickerKind::Rollback => "roll back on",
        PickerKind::Scale | PickerKind::Maintenance => {
            return draw_scale(frame, area, env, p, theme, border);
        }
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("targets ({})  ", p.scope), muted),
            Span::raw(
                p.current
                    .iter()
                    .map(|(s, t)| format!("{s} {t}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]),
        Line::styled(
            "               tab: the selected or marked ones, each group, all",
            muted,
        ),
    ];
    if p.kind == PickerKind::Deploy && env.migrate.is_some() {
        lines.push(Line::from(vec![
            Span::styled("migrations   ", muted),
            Span::raw(match (p.migrate, p.breaking) {
                (false, _) => "no",
                (true, false) => "yes: run before the new containers start",
                (true, true) => {
                    "yes, BREAKING: stop_before_breaking stops first, the new containers start after"
                }
            }),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("tag          ", muted),
        Span::styled(format!("{}▏", p.text), bold),
    ]));
    if let Some(m) = &p.message {
        lines.push(Line::styled(
            m.clone(),
            Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::raw(""));
    match &p.tags {
        None => lines.push(Line::styled(
            "reading the tags on the host and in the registry…",
            muted,
        )),
        Some(Err(e)) => lines.push(Line::styled(
            format!("the tags could not be read: {e} (a tag can still be typed)"),
            Style::new().fg(c.error.0),
        )),
        Some(Ok(_)) => {}
    }
    if let Some(n) = p.note() {
        lines.push(Line::styled(n.to_string(), muted));
    }
    let room = usize::from(area.height.saturating_sub(lines.len() as u16 + 4)).max(1);
    lines.extend(tag_rows(p, room, theme));
    let title = format!(" {verb} {}: pick a tag ", env.name);
    popup(frame, area, lines, &title, border);
}

/// The scale picker: the service, its replicas now, the number typed.
fn draw_scale(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    p: &TagPicker,
    theme: &Theme,
    border: ratatui::style::Color,
) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bold = Style::new().fg(c.text.0).add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = p
        .current
        .iter()
        .map(|(s, n)| {
            Line::from(vec![
                Span::styled("service      ", muted),
                Span::raw(format!("{s} (now {n} replicas)")),
            ])
        })
        .collect();
    let maintenance = p.kind == PickerKind::Maintenance;
    if maintenance {
        lines.push(Line::styled(
            "The host lock, taken with a message: every console shows it, and no action runs on this host until it is released (L again).",
            muted,
        ));
    }
    lines.push(Line::from(vec![
        Span::styled(
            if maintenance {
                "message      "
            } else {
                "replicas     "
            },
            muted,
        ),
        Span::styled(format!("{}▏", p.text), bold),
    ]));
    if let Some(m) = &p.message {
        lines.push(Line::styled(
            m.clone(),
            Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::styled(
        if maintenance {
            "e.g. \"DB maintenance until 14:00 — Sam\"; enter for the preview, esc to cancel"
        } else {
            "type a number, enter for the preview, esc to cancel"
        },
        muted,
    ));
    popup(
        frame,
        area,
        lines,
        &if maintenance {
            format!(" maintenance lock on {} ", env.name)
        } else {
            format!(" scale on {} ", env.name)
        },
        border,
    );
}

/// A list row's style: bold and reversed when highlighted.
pub(super) fn row_style(selected: bool, theme: &Theme) -> Style {
    let plain = Style::new().fg(theme.colors.text.0);
    if selected {
        plain.add_modifier(Modifier::BOLD | Modifier::REVERSED)
    } else {
        plain
    }
}

/// The widest of `texts`, in characters.
pub(super) fn widest<'a>(texts: impl Iterator<Item = &'a str>) -> usize {
    texts.map(|t| t.chars().count()).max().unwrap_or(0)
}

/// A bordered box in the middle of `area`.
pub(super) fn popup(
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line>,
    title: &str,
    border: ratatui::style::Color,
) {
    let w = area.width.saturating_sub(8).min(110);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(border).add_modifier(Modifier::BOLD))
        .title(Span::styled(
            title.to_string(),
            Style::new().fg(border).add_modifier(Modifier::BOLD),
        ));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The tags that match what is typed, as many as fit around the highlighted one.
fn tag_rows(p: &TagPicker, room: usize, theme: &Theme) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bold = Style::new().fg(c.text.0).add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    let rows = p.rows();
    let first = p.cursor.unwrap_or(0).saturating_sub(room.saturating_sub(1));
    for (i, (tag, created, place)) in rows.iter().enumerate().skip(first).take(room) {
        let selected = Some(i) == p.cursor;
        let style = if selected {
            bold.add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(c.text.0)
        };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, style),
            Span::styled(format!("{tag:<24}"), style),
            Span::styled(format!(" {created:<32}"), muted),
            Span::styled(format!(" {place}"), muted),
        ]));
    }
    if rows.is_empty() && p.tags.is_some() {
        lines.push(Line::styled(
            "no tag matches: enter uses the tag as typed",
            muted,
        ));
    }
    lines
}

//! The audit view: the host's records of every confirmed action, everyone's, newest
//! first, as read from the project directory's audit file.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::text::stamp;
use crate::state::EnvState;
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let title = format!(
        " {} · audit (the host's records, everyone's, newest first) ",
        env.name
    );
    let block = super::pane::env_block(env, &title, theme, false);
    let records = match &env.audit {
        None => {
            frame.render_widget(
                Paragraph::new(Line::styled("reading the host's audit file…", muted)).block(block),
                area,
            );
            return;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("✗ the audit file could not be read: {e}"),
                    Style::new().fg(c.error.0),
                ))
                .block(block),
                area,
            );
            return;
        }
        Some(Ok(r)) => r,
    };
    if records.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no confirmed action on this host yet", muted))
                .block(block),
            area,
        );
        return;
    }
    let header = Row::new([
        "WHEN", "OPERATOR", "ACTION", "TARGETS", "RESULT", "TOOK", "EXIT", "ERROR",
    ])
    .style(muted.add_modifier(Modifier::BOLD));
    let rows = records.iter().map(|r| {
        let style = match r.result.as_str() {
            "succeeded" => Style::new().fg(c.ok.0),
            "failed" | "unknown" => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
            "refused" | "running" | "rolled_back" => Style::new().fg(c.warning.0),
            _ => Style::new().fg(c.text.0),
        };
        Row::new(vec![
            Cell::from(stamp(r.time, now)),
            Cell::from(r.operator.clone()),
            Cell::from(r.action.clone()),
            Cell::from(r.targets.clone()),
            Cell::from(r.result.to_uppercase()).style(style),
            Cell::from(format!("{:.1}s", r.duration_ms as f64 / 1000.0)),
            Cell::from(r.exit_codes.clone()),
            Cell::from(r.error.clone()),
        ])
    });
    let widths = [
        Constraint::Length(17),
        Constraint::Length(20),
        Constraint::Length(18),
        Constraint::Length(30),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

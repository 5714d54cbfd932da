//! The container table of the environment on screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::text::age;
use crate::model::container::{ContainerInfo, Health, RunState, Usage};
use crate::state::{Alert, EnvState, LinkStatus, health_alert, state_alert};
use crate::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let live = env.is_live();
    let visible = env.visible();
    let mut title = format!(
        " {} · {} · sort: {}",
        env.name,
        env.project_name,
        env.sort.label()
    );
    if !env.filter.is_empty() || env.filter_editing {
        let cursor = if env.filter_editing { "▏" } else { "" };
        title.push_str(&format!(
            " · filter: {}{cursor} ({} of {})",
            env.filter,
            visible.len(),
            env.containers.len()
        ));
    }
    if !live {
        title.push_str(" · STALE: not connected");
    }
    title.push(' ');
    let block = super::env_block(env, &title, theme, !live);
    if env.containers.is_empty() && env.missing().is_empty() {
        let text = match env.link.status {
            LinkStatus::Connected => {
                format!("no containers in compose project {}", env.project_name)
            }
            LinkStatus::NotStarted => "not connected yet".to_string(),
            LinkStatus::Connecting if env.link.down_since.is_none() => "connecting…".to_string(),
            _ => "no data: the host has not been reached".to_string(),
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(text, Style::new().fg(c.muted.0)))).block(block),
            area,
        );
        return;
    }
    let header = Row::new([
        "SERVICE",
        "CONTAINER",
        "IMAGE",
        "STATE",
        "HEALTH",
        "UP",
        "RST",
        "CPU",
        "MEM",
        "PORTS",
    ])
    .style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let needle = env.filter.to_lowercase();
    let missing: Vec<crate::state::Missing> = env
        .missing()
        .into_iter()
        .filter(|m| needle.is_empty() || m.service.to_lowercase().contains(&needle))
        .collect();
    let rows = visible
        .iter()
        .map(|k| row(k, env.usage.get(&k.id).filter(|_| live), live, now, theme))
        .chain(missing.iter().map(|m| missing_row(m, theme)));
    // Service and image are sized to their content so a tag is never cut off; the
    // container name, derived from the two, takes what is left.
    let fit = |len: usize, header: usize| Constraint::Length(len.max(header).min(40) as u16);
    let service_w = visible
        .iter()
        .map(|k| k.service.chars().count())
        .chain(missing.iter().map(|m| m.service.chars().count()))
        .max()
        .unwrap_or(0);
    let image_w = visible
        .iter()
        .map(|k| short_image(&k.image).chars().count())
        .max()
        .unwrap_or(0);
    let widths = [
        fit(service_w, 7),
        Constraint::Fill(1),
        fit(image_w, 5),
        Constraint::Length(12),
        Constraint::Length(14),
        Constraint::Length(5),
        Constraint::Length(3),
        Constraint::Length(6),
        Constraint::Length(11),
        // Under host networking nothing is published: no room is spent on an empty column.
        if env.containers.iter().any(|k| !k.ports.is_empty()) {
            Constraint::Min(5)
        } else {
            Constraint::Length(0)
        },
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut ts = TableState::default().with_selected(Some(env.selected_row));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// A declared service with no container: no container, no state but `missing`.
fn missing_row<'a>(m: &crate::state::Missing, theme: &Theme) -> Row<'a> {
    let c = &theme.colors;
    let (state, why, alert) = if m.in_compose_files {
        ("missing", "no container", Alert::Bad)
    } else {
        (
            "unknown",
            "deploy order names it; not in the compose files",
            Alert::Warn,
        )
    };
    let style = alert_style(alert, theme);
    Row::new([
        Cell::from(m.service.clone()).style(Style::new().fg(c.text.0)),
        Cell::from(why).style(Style::new().fg(c.muted.0)),
        Cell::from("—").style(Style::new().fg(c.muted.0)),
        Cell::from(state).style(style),
        Cell::from("—").style(Style::new().fg(c.muted.0)),
    ])
}

fn row<'a>(
    k: &'a ContainerInfo,
    usage: Option<&Usage>,
    live: bool,
    now: i64,
    theme: &Theme,
) -> Row<'a> {
    let c = &theme.colors;
    let text = Style::new().fg(c.text.0);
    let (state_style, health_style) = if live {
        // Colours follow the same judgement as the tab alert (state::*_alert).
        let state_style = alert_style(state_alert(&k.run_state), theme);
        let health_style = match k.health {
            Health::None => Style::new().fg(c.muted.0),
            h => alert_style(health_alert(h), theme),
        };
        (state_style, health_style)
    } else {
        let stale = Style::new().fg(c.muted.0).add_modifier(Modifier::DIM);
        (stale, stale)
    };
    // Stale rows never claim a health: the host is not being watched.
    let health = if !live {
        "unknown".to_string()
    } else if k.health == Health::Unhealthy && k.failing_streak > 0 {
        format!("unhealthy ({})", k.failing_streak)
    } else {
        k.health.label().to_string()
    };
    let up = if k.inspected {
        match k.run_state {
            RunState::Running | RunState::Paused => k.started_at.map(|t| age(now - t)),
            _ => k.finished_at.map(|t| format!("↓{}", age(now - t))),
        }
        .unwrap_or_default()
    } else {
        "…".to_string()
    };
    let row_style = if live {
        text
    } else {
        Style::new().fg(c.muted.0).add_modifier(Modifier::DIM)
    };
    Row::new(vec![
        Cell::from(k.service.as_str()),
        Cell::from(k.name.as_str()),
        Cell::from(short_image(&k.image)),
        Cell::from(Span::styled(k.run_state.label(), state_style)),
        Cell::from(Span::styled(health, health_style)),
        Cell::from(up),
        Cell::from(if k.inspected {
            k.restart_count.to_string()
        } else {
            "…".into()
        }),
        Cell::from(
            usage
                .map(|u| format!("{:.1}%", f64::from(u.cpu_centipercent) / 100.0))
                .unwrap_or_default(),
        ),
        Cell::from(
            usage
                .map(|u| format!("{}/{}", bytes(u.mem_used), bytes(u.mem_limit)))
                .unwrap_or_default(),
        ),
        Cell::from(k.ports.join(",")),
    ])
    .style(row_style)
}

/// The style of a cell that carries an alert.
pub(super) fn alert_style(a: Alert, theme: &Theme) -> Style {
    let c = &theme.colors;
    match a {
        Alert::Ok => Style::new().fg(c.ok.0),
        Alert::Warn => Style::new().fg(c.warning.0),
        Alert::Bad => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
    }
}

/// `512K`, `45M`, `1.9G`: short enough for a table cell.
pub(super) fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K * K {
        format!("{:.0}K", f / K)
    } else if f < K * K * K {
        format!("{:.0}M", f / K / K)
    } else {
        format!("{:.1}G", f / K / K / K)
    }
}

/// The image's last path segment and tag (`127.0.0.1:5000/acme/web:v2` -> `web:v2`):
/// the tag is what an operator scans this column for, so it must never be cut off.
/// The detail pane shows the image whole.
fn short_image(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_image() {
        assert_eq!(super::short_image("127.0.0.1:5000/acme/web:v2"), "web:v2");
        assert_eq!(super::short_image("ghcr.io/acme/web:v2"), "web:v2");
        assert_eq!(super::short_image("web"), "web");
        assert_eq!(super::short_image("redis:7"), "redis:7");
        assert_eq!(super::bytes(512 * 1024), "512K");
        assert_eq!(super::bytes(45 * 1024 * 1024), "45M");
        assert_eq!(super::bytes(2040 * 1024 * 1024), "2.0G");
    }
}

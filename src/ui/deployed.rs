//! What is deployed: each service's image tag, image ID and build (from its /health),
//! every environment side by side, so staging and production can be compared at a
//! glance.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use crate::state::State;
use crate::ui::theme::Theme;

/// What one environment runs for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub tag: String,
    pub image_id: String,
    pub build: String,
}

/// The service's deployment in environment `env`, if it runs there.
pub fn deployed(state: &State, env: usize, service: &str) -> Option<Deployed> {
    let e = state.envs.get(env)?;
    let c = e.containers.iter().find(|c| c.service == service)?;
    let tag = c
        .image
        .rsplit('/')
        .next()
        .and_then(|last| last.split_once(':').map(|(_, t)| t.to_string()))
        .unwrap_or_else(|| "latest".into());
    let image_id = c
        .details
        .image_id
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect();
    let build = e
        .health
        .endpoints
        .iter()
        .find(|h| h.service == service)
        .map(|h| {
            let i = &h.info;
            [
                i.build_number.as_deref().map(|n| format!("#{n}")),
                i.build_commit.clone(),
                i.build_date
                    .as_deref()
                    .map(|d| d.chars().take(10).collect()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
        })
        .unwrap_or_default();
    Some(Deployed {
        tag,
        image_id,
        build,
    })
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let c = &theme.colors;
    let mut services: Vec<String> = Vec::new();
    for e in &state.envs {
        for k in &e.containers {
            if !services.contains(&k.service) {
                services.push(k.service.clone());
            }
        }
    }
    let stale: Vec<bool> = state.envs.iter().map(|e| !e.is_live()).collect();
    let mut header = vec![Cell::from("SERVICE")];
    for (i, e) in state.envs.iter().enumerate() {
        let label = if stale[i] {
            format!("{} (STALE)", e.name.to_uppercase())
        } else {
            e.name.to_uppercase()
        };
        header.push(Cell::from(label));
    }
    let header = Row::new(header).style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let rows = services.iter().map(|s| {
        let all: Vec<Option<Deployed>> = (0..state.envs.len())
            .map(|i| deployed(state, i, s))
            .collect();
        let tags: Vec<&str> = all.iter().flatten().map(|d| d.tag.as_str()).collect();
        let differs = tags.windows(2).any(|w| w[0] != w[1]);
        let mut cells = vec![Cell::from(s.clone())];
        for (i, d) in all.iter().enumerate() {
            let text = match d {
                Some(d) => format!("{:<8} {:<12} {}", d.tag, d.image_id, d.build),
                None => "-".to_string(),
            };
            let style = if stale[i] {
                Style::new().fg(c.muted.0)
            } else if differs {
                Style::new().fg(c.warning.0)
            } else {
                Style::new().fg(c.text.0)
            };
            cells.push(Cell::from(text).style(style));
        }
        Row::new(cells)
    });
    let n = state.envs.len().max(1) as u16;
    let mut widths = vec![Constraint::Length(20)];
    widths.extend((0..n).map(|_| Constraint::Ratio(1, u32::from(n))));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(c.muted.0))
        .title(Span::styled(
            " what is deployed · tag, image ID, build (#number commit date from /health) · differences in colour ",
            Style::new().fg(c.accent.0),
        ));
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

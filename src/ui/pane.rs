//! What every pane about one environment is drawn in.

use crate::ui::theme::Theme;

/// The frame of a pane about one environment: a protected environment's border in its
/// colour, the title in the error colour when what the pane shows is stale.
pub fn env_block<'a>(
    env: &crate::state::EnvState,
    title: &str,
    theme: &Theme,
    stale: bool,
) -> ratatui::widgets::Block<'a> {
    use ratatui::style::Style;
    let c = &theme.colors;
    ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::ALL)
        .border_style(
            Style::new().fg(theme
                .env_colour(&env.name, env.protected)
                .unwrap_or(c.muted.0)),
        )
        .title(ratatui::text::Span::styled(
            title.to_string(),
            Style::new().fg(if stale { c.error.0 } else { c.accent.0 }),
        ))
}

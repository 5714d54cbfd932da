//! The environment tabs and the banner of a protected environment.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::state::alert::Alert;
use crate::state::{EnvState, State};
use crate::ui::theme::Theme;

pub fn draw_tabs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let c = &theme.colors;
    let mut spans = vec![Span::styled(
        crate::ui::layout::BRAND,
        Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD),
    )];
    let (shown, hidden) = crate::ui::layout::visible_tabs(state, area.width);
    for i in shown {
        let env = &state.envs[i];
        // A symbol as well as a colour, so the meaning survives without colour.
        let alert = env.alert(state.now);
        let text = crate::ui::layout::tab_label(env, state.now);
        let alert_style = match alert {
            Alert::Ok => None,
            Alert::Warn => Some(Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD)),
            Alert::Bad => Some(Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)),
        };
        // An environment's own colour (configured, or red when protected) marks it.
        let own = theme.env_colour(&env.name, env.protected);
        let style = if i == state.selected {
            let (fg, bg) = match own {
                Some(colour) => (c.protected_text.0, colour),
                None => (c.tab_active.0, c.tab_active_bg.0),
            };
            Style::new().fg(fg).bg(bg).add_modifier(Modifier::BOLD)
        } else if let Some(s) = alert_style {
            s
        } else if let Some(colour) = own {
            Style::new().fg(colour)
        } else {
            Style::new().fg(c.text.0)
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(text, style));
    }
    if hidden > 0 {
        spans.push(Span::styled(
            format!(" +{hidden} more (O)"),
            Style::new().fg(c.muted.0),
        ));
    }
    if state.secrets_shown() {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            " SECRETS SHOWN ",
            Style::new()
                .fg(c.protected_text.0)
                .bg(c.error.0)
                .add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw_protected_banner(frame: &mut Frame, area: Rect, env: &EnvState, theme: &Theme) {
    let c = &theme.colors;
    let text = format!(
        " ▲ {} · PROTECTED ENVIRONMENT · actions need its name typed to confirm",
        env.name.to_uppercase()
    );
    let style = Style::new()
        .fg(c.protected_text.0)
        .bg(theme
            .env_colour(&env.name, env.protected)
            .unwrap_or(c.protected.0))
        .add_modifier(Modifier::BOLD);
    frame.render_widget(Paragraph::new(text).style(style), area);
}

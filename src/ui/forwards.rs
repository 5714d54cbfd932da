//! The port forwards' list, over the middle of the body: each forward, where it goes,
//! its local URL while open.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::state::EnvState;
use crate::ui::theme::Theme;
use pilothouse_core::model::forwards::ForwardState;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, cursor: usize, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let name_w = super::picker::widest(env.forwards.iter().map(|f| f.name.as_str()));
    let remote_w = super::picker::widest(env.forwards.iter().map(|f| f.remote.as_str()));
    let mut lines = vec![Line::styled(
        "Ports on the far side of SSH, on this machine's loopback while open.",
        muted,
    )];
    for (i, f) in env.forwards.iter().enumerate() {
        let selected = i == cursor;
        let style = super::picker::row_style(selected, theme);
        let (what, what_style) = match &f.state {
            ForwardState::Open { .. } => (
                f.url().unwrap_or_default(),
                Style::new().fg(c.ok.0).add_modifier(Modifier::BOLD),
            ),
            ForwardState::Opening => ("opening…".to_string(), muted),
            ForwardState::Waiting => (
                "waiting for the connection (opens again when it is back)".to_string(),
                Style::new().fg(c.warning.0),
            ),
            ForwardState::Closed => ("closed".to_string(), muted),
            ForwardState::Failed(e) => (format!("FAILED: {e}"), Style::new().fg(c.error.0)),
        };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, style),
            Span::styled(format!("{:<name_w$}", f.name), style),
            Span::styled(format!("  {:<remote_w$} → ", f.remote), muted),
            Span::styled(what, what_style),
            Span::styled(if f.pgadmin { "  (follows pgAdmin)" } else { "" }, muted),
        ]));
    }
    lines.push(Line::styled(
        "enter opens or closes the highlighted one · c copies its URL · esc closes",
        muted,
    ));
    let title = format!(" port forwards of {} ", env.name);
    let border = if env.protected {
        c.protected.0
    } else {
        c.accent.0
    };
    super::picker::popup(frame, area, lines, &title, border);
}

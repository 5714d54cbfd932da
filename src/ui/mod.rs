//! Drawing. `draw` reads State and never mutates it or does I/O.

mod header;
mod status_bar;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::keymap::Keymap;
use crate::state::{Connection, EnvState, State};
use crate::theme::Theme;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, keymap: &Keymap) {
    let area = frame.area();
    let protected = state.current().is_some_and(|e| e.protected);
    let [tabs, banner, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(protected)),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw_tabs(frame, tabs, state, theme);
    if let Some(env) = state.current().filter(|e| e.protected) {
        header::draw_protected_banner(frame, banner, env, theme);
    }
    if let Some(env) = state.current() {
        draw_env(frame, body, env, theme);
    }
    status_bar::draw(frame, status, state, theme, keymap);
}

fn draw_env(frame: &mut Frame, area: Rect, env: &EnvState, theme: &Theme) {
    let c = &theme.colors;
    let label = |s: &'static str| Span::styled(format!("{s:<10}"), Style::new().fg(c.muted.0));
    let value = |s: String| Span::styled(s, Style::new().fg(c.text.0));
    let (conn_text, conn_style) = match env.connection {
        Connection::NotConnected => (
            "not connected: this build shows configuration only, no live status",
            Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        ),
    };
    let lines = vec![
        Line::from(vec![label("host"), value(env.target.clone())]),
        Line::from(vec![
            label("project"),
            value(format!("{} in {}", env.project_name, env.project_dir)),
        ]),
        Line::from(vec![label("compose"), value(env.compose_command.clone())]),
        Line::from(vec![
            label("mode"),
            value(
                if env.read_only {
                    "read-only"
                } else {
                    "actions allowed"
                }
                .into(),
            ),
        ]),
        Line::default(),
        Line::from(Span::styled(conn_text, conn_style)),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(if env.protected {
            c.protected.0
        } else {
            c.muted.0
        }))
        .title(Span::styled(
            format!(" {} ", env.name),
            Style::new().fg(c.accent.0),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

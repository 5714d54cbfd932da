//! The team's actions menu, over the middle of the body: the list of actions, then the
//! prompt for each parameter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::state::EnvState;
use crate::state::custom::{ActionMenu, ParamForm};
use crate::ui::theme::Theme;
use pilothouse_core::config::custom::{ActionSettings, ParamKind, RiskLevel};

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, menu: &ActionMenu, theme: &Theme) {
    let c = &theme.colors;
    let border = if env.protected {
        c.protected.0
    } else {
        c.accent.0
    };
    let (mut lines, title) = match &menu.form {
        None => (list(env, menu, theme), format!(" actions on {} ", env.name)),
        Some(form) => match env.actions.get(form.action) {
            Some(action) => (
                params(env, action, form, area, theme),
                format!(" {} on {} ", action.name.as_str(), env.name),
            ),
            None => (Vec::new(), String::new()),
        },
    };
    if let Some(m) = &menu.message {
        lines.push(Line::styled(
            pilothouse_core::text::clean(m, 300),
            Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        ));
    }
    super::picker::popup(frame, area, lines, &title, border);
}

/// Every action: its key, name, risk and description; the highlighted one reversed.
fn list(env: &EnvState, menu: &ActionMenu, theme: &Theme) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let width = super::picker::widest(env.actions.iter().map(|a| a.name.as_str()));
    let mut lines = vec![Line::styled(
        "Each runs through the queue: previewed with its exact command, confirmed, audited.",
        muted,
    )];
    for (i, a) in env.actions.iter().enumerate() {
        let selected = i == menu.cursor;
        let style = super::picker::row_style(selected, theme);
        let risk = match a.risk {
            RiskLevel::Low => ("low ", Style::new().fg(c.ok.0)),
            RiskLevel::Medium => ("med ", Style::new().fg(c.warning.0)),
            RiskLevel::High => ("HIGH", Style::new().fg(c.error.0)),
        };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, style),
            Span::styled(
                a.key.map_or("   ".to_string(), |k| format!("{}  ", k.0)),
                Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(
                    "{:<width$}",
                    pilothouse_core::text::clean(a.name.as_str(), 40)
                ),
                style,
            ),
            Span::styled(format!("  {}  ", risk.0), risk.1),
            Span::styled(pilothouse_core::text::clean(&a.description, 200), muted),
        ]));
    }
    lines.push(Line::styled(
        "up/down and enter, or an action's key; esc closes",
        muted,
    ));
    lines
}

/// The parameters given so far, the one being typed and, for a service, the choices.
fn params(
    env: &EnvState,
    action: &ActionSettings,
    form: &ParamForm,
    area: Rect,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bold = Style::new().fg(c.text.0).add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled(
        format!(
            "command  {}",
            pilothouse_core::text::clean(action.command.as_str(), 300)
        ),
        muted,
    )];
    for (p, v) in action.params.iter().zip(&form.values) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12} ", p.name.as_str()), muted),
            Span::raw(pilothouse_core::text::clean(v, 200)),
        ]));
    }
    let Some(p) = action.params.get(form.values.len()) else {
        return lines;
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<12} ", p.name.as_str()), muted),
        Span::styled(
            format!("{}▏", pilothouse_core::text::clean(&form.text, 200)),
            bold,
        ),
    ]));
    let hint = match (p.kind, &p.pattern) {
        (ParamKind::Service, _) => "a service: pick one (up/down) or type its name".to_string(),
        (ParamKind::Tag, _) => "an image tag".to_string(),
        (ParamKind::Text, Some(pattern)) => {
            format!(
                "text matching {}",
                pilothouse_core::text::clean(&pattern.0, 120)
            )
        }
        (ParamKind::Text, None) => "text".to_string(),
    };
    lines.push(Line::styled(
        format!("{hint}; enter takes it, esc goes back to the list"),
        muted,
    ));
    let services = env.param_services();
    let choices = form.choices(action, &services);
    let room = usize::from(area.height.saturating_sub(lines.len() as u16 + 5)).max(1);
    let first = form
        .cursor
        .unwrap_or(0)
        .saturating_sub(room.saturating_sub(1));
    for (i, s) in choices.iter().enumerate().skip(first).take(room) {
        let selected = Some(i) == form.cursor;
        let style = super::picker::row_style(selected, theme);
        lines.push(Line::styled(
            format!("{}{s}", if selected { "▶ " } else { "  " }),
            style,
        ));
    }
    lines
}

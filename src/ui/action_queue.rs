//! The action queue on screen: the preview of a pending item (environment, targets, the
//! exact commands, preflight checks, risk, how to confirm), and the queue pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};

use crate::state::action_queue::ItemStatus;
use crate::state::{EnvState, QueueItem};
use crate::ui::theme::Theme;
use pilothouse_core::ops::Risk;
use pilothouse_core::time::age;

/// The preview, over the middle of `area`.
pub fn draw_preview(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    item: &QueueItem,
    theme: &Theme,
) {
    // How to confirm comes first: it must be on screen however small the terminal;
    // those lines stay put, the rest scrolls when it does not fit.
    let mut lines = confirm_lines(env, theme);
    let pinned = lines.len();
    lines.push(Line::raw(""));
    lines.extend(what_lines(env, item, theme));
    lines.extend(step_lines(env, item, theme));
    lines.extend(check_lines(item, theme));
    show_preview(frame, area, env, item, (lines, pinned), theme);
}

/// How to confirm (and why the last try did not).
fn confirm_lines(env: &EnvState, theme: &Theme) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let bold = Style::new().fg(c.text.0).add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(m) = &env.queue.message {
        lines.push(Line::styled(
            m.clone(),
            Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        ));
    }
    if env.protected {
        lines.push(Line::from(vec![
            Span::raw("type "),
            Span::styled(env.name.clone(), bold),
            Span::raw(" and press enter to confirm, esc to cancel: "),
            Span::styled(format!("{}▏", env.queue.typed), bold),
        ]));
    } else {
        lines.push(Line::from(vec![
            Span::styled("y", bold),
            Span::raw(" confirm · "),
            Span::styled("n", bold),
            Span::raw(" / "),
            Span::styled("esc", bold),
            Span::raw(" cancel"),
        ]));
    }
    lines
}

/// Where, what, to whom, and what changes.
fn what_lines(env: &EnvState, item: &QueueItem, theme: &Theme) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bold = Style::new().fg(c.text.0).add_modifier(Modifier::BOLD);
    let env_style = if env.protected {
        Style::new()
            .fg(c.protected_text.0)
            .bg(c.protected.0)
            .add_modifier(Modifier::BOLD)
    } else {
        bold
    };
    let mut lines: Vec<Line> = Vec::new();
    lines.extend(vec![
        Line::from(vec![
            Span::styled("environment  ", muted),
            Span::styled(
                format!(
                    " {}{} ",
                    env.name.to_uppercase(),
                    if env.protected { " · PROTECTED" } else { "" }
                ),
                env_style,
            ),
            Span::styled(format!("  {} · {}", env.target, env.project_dir), muted),
        ]),
        Line::from(vec![
            Span::styled("action       ", muted),
            Span::styled(item.plan.kind.name(), bold),
        ]),
        Line::from(vec![
            Span::styled("targets      ", muted),
            Span::raw(if item.plan.targets.is_empty() {
                "-".to_string()
            } else {
                item.plan.targets.join(", ")
            }),
        ]),
    ]);
    if !item.plan.changes.is_empty() {
        let changes: Vec<String> = item
            .plan
            .changes
            .iter()
            .map(|(s, from, to)| format!("{s} {from} → {to}"))
            .collect();
        lines.push(Line::from(vec![
            Span::styled("changes      ", muted),
            Span::styled(changes.join(", "), bold),
        ]));
    }
    if let Some(u) = &item.plan.undo {
        lines.push(Line::styled(
            format!(
                "             if a step from {} on fails: automatic rollback ({} steps: the previous tags and images, the same health gate)",
                u.from_step + 1,
                u.steps.len()
            ),
            muted,
        ));
    }
    lines
}

/// The exact steps, as they will run.
fn step_lines(env: &EnvState, item: &QueueItem, theme: &Theme) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let mut lines: Vec<Line> = Vec::new();
    lines.extend(vec![
        Line::raw(""),
        Line::styled(
            format!(
                "steps ({}), run as written ($ host shell, sql> database, docker> engine API, http> endpoint):",
                item.plan.steps.len()
            ),
            muted,
        ),
    ]);
    for (i, s) in item.plan.steps.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!(" {}. ", i + 1), muted),
            Span::raw(s.label.clone()),
        ]));
        let prompt = match s.exec {
            pilothouse_core::ops::Exec::Shell | pilothouse_core::ops::Exec::Interactive => "$",
            pilothouse_core::ops::Exec::Terminate { .. } => "sql>",
            pilothouse_core::ops::Exec::WaitHealthy { .. }
            | pilothouse_core::ops::Exec::SwarmConverge { .. }
            | pilothouse_core::ops::Exec::SwarmNode { .. } => "docker>",
            pilothouse_core::ops::Exec::SwarmRestore { .. } => "$",
            pilothouse_core::ops::Exec::Smoke { .. } => "http>",
            pilothouse_core::ops::Exec::Reveal => "console>",
        };
        lines.push(Line::styled(
            format!("    {prompt} {}", s.command),
            Style::new().fg(c.accent.0),
        ));
    }
    if item.plan.kind == pilothouse_core::ops::OpKind::PgAdminStart
        && let Some(secs) = env.pgadmin_auto_stop
    {
        lines.push(Line::styled(
            format!(
                "    then stops it by itself after {} (auto_stop; the countdown shows in the header)",
                age(secs)
            ),
            Style::new().fg(c.accent.0),
        ));
    }
    if item.plan.changes_state() {
        lines.push(Line::styled(
            "    (the host lock is taken first and released after; the run is audited)",
            muted,
        ));
    }
    lines
}

/// The preflight checks and the risk.
fn check_lines(item: &QueueItem, theme: &Theme) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::raw(""));
    lines.push(Line::styled("preflight:", muted));
    for check in &item.checks {
        let (mark, style) = match check.ok {
            Some(true) => ("✓", Style::new().fg(c.ok.0)),
            Some(false) => ("✗", Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)),
            None => ("?", muted),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} {:<22}", check.what), style),
            Span::raw(check.detail.clone()),
        ]));
    }
    let risk = item.plan.risk();
    let risk_style = match risk {
        Risk::High => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        Risk::Medium => Style::new().fg(c.warning.0),
        _ => Style::new().fg(c.ok.0),
    };
    lines.push(Line::from(vec![
        Span::styled("risk         ", muted),
        Span::styled(item.plan.risk_text(), risk_style),
    ]));
    lines
}

/// The dialog: centred, its pinned lines on top, the rest scrolled.
fn show_preview(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    item: &QueueItem,
    (mut lines, pinned): (Vec<Line<'static>>, usize),
    theme: &Theme,
) {
    let c = &theme.colors;
    let width = area.width.saturating_sub(4).clamp(20, 120);
    // Long commands wrap (at words): count the rows they take as drawn.
    let inner = width.saturating_sub(2).max(1);
    let rows_of = |l: &[Line<'_>]| {
        Paragraph::new(l.to_vec())
            .wrap(Wrap { trim: false })
            .line_count(inner)
    };
    let rows = rows_of(&lines);
    let height = (rows as u16).saturating_add(2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width: width.min(area.width),
        height,
    };
    let border = if env.protected {
        c.protected.0
    } else {
        c.accent.0
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(border).add_modifier(Modifier::BOLD))
        .title(Span::styled(
            format!(" confirm: {} on {} ", item.plan.title(), env.name),
            Style::new().fg(border).add_modifier(Modifier::BOLD),
        ));
    frame.render_widget(Clear, rect);
    let inner_area = block.inner(rect);
    frame.render_widget(block, rect);
    let body = lines.split_off(pinned);
    let top_rows = rows_of(&lines);
    let [top, rest] = ratatui::layout::Layout::vertical([
        Constraint::Length(top_rows as u16),
        Constraint::Min(0),
    ])
    .areas(inner_area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
    // Scrolled by the arrows; the last line says when more is below.
    let body_rows = rows.saturating_sub(top_rows);
    let max_scroll = body_rows.saturating_sub(usize::from(rest.height)) as u16;
    let scroll = env.queue.preview_scroll.min(max_scroll);
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rest,
    );
    if scroll < max_scroll && rest.height > 0 {
        let more = Rect {
            y: rest.y + rest.height - 1,
            height: 1,
            ..rest
        };
        frame.render_widget(Clear, more);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    "  ↓ {} more lines (scroll with the arrows)",
                    max_scroll - scroll
                ),
                Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
            )),
            more,
        );
    }
}

/// One item of the queue pane: number, state, what, progress, time, why it ended.
fn item_line(i: &QueueItem, now: i64, theme: &Theme) -> Line<'static> {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let style = match i.status {
        ItemStatus::Succeeded => Style::new().fg(c.ok.0),
        ItemStatus::Failed | ItemStatus::Unknown => {
            Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)
        }
        ItemStatus::RolledBack => Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        ItemStatus::Running => Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD),
        _ => Style::new().fg(c.text.0),
    };
    let own = i.plan.steps.len();
    let undo = i.plan.undo.as_ref().map_or(0, |u| u.steps.len());
    let progress = if i.status == ItemStatus::Running && !i.stepping {
        " taking the host lock".to_string()
    } else if i.status == ItemStatus::Running && i.step >= own {
        format!(" ROLLING BACK step {}/{undo}", i.step - own + 1)
    } else if i.status == ItemStatus::Running {
        format!(" step {}/{own}", i.step + 1)
    } else {
        String::new()
    };
    let cancel = if i.cancel_requested && !i.status.is_final() {
        " (cancel asked: stops before the next step)"
    } else {
        ""
    };
    Line::from(vec![
        Span::styled(format!("#{:<3} {:<10}", i.id, i.status.label()), style),
        Span::raw(format!(" {}{progress}{cancel}", i.plan.title())),
        Span::styled(format!("  {}", age(i.elapsed(now))), muted),
        Span::styled(
            i.error
                .as_ref()
                .map(|e| format!("  {e}"))
                .unwrap_or_default(),
            style,
        ),
    ])
}

/// The queue pane: every item with its state and time, the newest one's progress and
/// output.
pub fn draw_pane(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let mut title = format!(" {} · action queue ", env.name);
    if let Some(h) = &env.queue.lock_holder {
        title.push_str(&format!("· host {} ", super::text::lock_text(h, now)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(muted)
        .title(Span::styled(title, Style::new().fg(c.accent.0)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown: Vec<&QueueItem> = env
        .queue
        .items
        .iter()
        .filter(|i| i.status != ItemStatus::Pending)
        .collect();
    if shown.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "nothing queued yet: R restart, X stop, U start, M migrate, P pgAdmin (each asks first)",
                muted,
            )),
            inner,
        );
        return;
    }
    let list_h = (shown.len() as u16).min(inner.height / 2).max(1);
    let [list, gauge, out] = Layout::vertical([
        Constraint::Length(list_h),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let newest = shown.last().copied();
    let skip = shown.len().saturating_sub(usize::from(list_h));
    let lines: Vec<Line> = shown
        .iter()
        .skip(skip)
        .map(|i| item_line(i, now, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    let Some(item) = newest else { return };
    let n = item.plan.steps.len().max(1);
    let ratio = item.steps_done as f64 / n as f64;
    let gauge_style = match item.status {
        ItemStatus::Failed | ItemStatus::Unknown => Style::new().fg(c.error.0),
        ItemStatus::RolledBack => Style::new().fg(c.warning.0),
        ItemStatus::Succeeded => Style::new().fg(c.ok.0),
        _ => Style::new().fg(c.accent.0),
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(gauge_style)
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!(
                "#{} {} · {}/{} steps · {}",
                item.id,
                item.status.label(),
                item.steps_done.min(n),
                n,
                age(item.elapsed(now))
            )),
        gauge,
    );
    let tail = usize::from(out.height);
    let start = item.log.len().saturating_sub(tail);
    let out_lines: Vec<Line> = item.log[start..]
        .iter()
        .map(|l| Line::raw(l.clone()))
        .collect();
    frame.render_widget(Paragraph::new(out_lines), out);
}

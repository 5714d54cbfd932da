//! The detail pane: everything about the selected container that does not fit a row.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::text::stamp;
use crate::state::EnvState;
use crate::ui::theme::Theme;
use pilothouse_core::model::container::{ContainerInfo, Usage, UsageSource};
use pilothouse_core::time::age;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let Some(k) = env.selected_container() else {
        return;
    };
    let stale = if env.is_live() { "" } else { " · STALE" };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(c.muted.0))
        .title(Span::styled(
            format!(" {} · {}{stale} ", k.service, k.name),
            Style::new().fg(if env.is_live() { c.accent.0 } else { c.error.0 }),
        ));
    let mut body = Style::new().fg(c.text.0);
    if !env.is_live() {
        body = body.add_modifier(Modifier::DIM);
    }
    frame.render_widget(
        Paragraph::new({
            let mut all = lines(k, env.usage.get(&k.id), now, theme);
            if env.is_live()
                && let Some(h) = env.history.get(&k.id)
            {
                // After the image and the command: how it has been doing.
                let width = usize::from(area.width.saturating_sub(2));
                let rest = all.split_off(all.len().min(2));
                all.extend(usage_chart(h, width, now, theme));
                all.extend(rest);
            }
            all
        })
        .style(body)
        .block(block)
        .wrap(Wrap { trim: false }),
        area,
    );
}

fn lines<'a>(
    k: &'a ContainerInfo,
    usage: Option<&Usage>,
    now: i64,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let c = &theme.colors;
    let d = &k.details;
    let label = |s: &'static str| Span::styled(format!("{s:<8} "), Style::new().fg(c.muted.0));
    let mut out = Vec::new();
    if !k.inspected {
        out.push(Line::from(Span::styled(
            "loading details…",
            Style::new().fg(c.muted.0),
        )));
        return out;
    }
    let created = d
        .created
        .map(|t| format!(" · created {} ({} ago)", stamp(t, now), age(now - t)))
        .unwrap_or_default();
    out.push(Line::from(vec![
        label("image"),
        Span::raw(format!("{} · {}{created}", k.image, short_id(&d.image_id))),
    ]));
    out.push(Line::from(vec![
        label("command"),
        Span::raw(d.command.as_str()),
    ]));
    if k.outside {
        out.push(Line::from(vec![
            label("outside"),
            Span::styled(
                "not in the compose project ([containers]): restart, stop and start use docker itself; deploy with a team action (x)",
                Style::new().fg(c.muted.0),
            ),
        ]));
    }
    if usage.is_some_and(|u| u.source == UsageSource::Engine) {
        out.push(Line::from(vec![
            label("usage"),
            Span::styled(
                "from the engine's stats: this container's cgroup counters cannot be read",
                Style::new().fg(c.warning.0),
            ),
        ]));
    }
    if d.health_log.is_empty() {
        out.push(Line::from(vec![
            label("health"),
            Span::styled("no health check", Style::new().fg(c.muted.0)),
        ]));
    }
    // Newest first: the run an operator wants is the last one.
    for (i, run) in d.health_log.iter().rev().take(5).enumerate() {
        let (mark, style) = if run.exit_code == 0 {
            ("✓", Style::new().fg(c.ok.0))
        } else {
            ("✗", Style::new().fg(c.error.0).add_modifier(Modifier::BOLD))
        };
        let when = run.ended.map(|t| stamp(t, now)).unwrap_or_default();
        out.push(Line::from(vec![
            if i == 0 { label("health") } else { label("") },
            Span::styled(format!("{mark} exit {} {when} ", run.exit_code), style),
            Span::raw(run.output.as_str()),
        ]));
    }
    out.push(Line::from(vec![
        label("env"),
        Span::raw(if d.env_names.is_empty() {
            "none".to_string()
        } else {
            d.env_names.join(" ")
        }),
        Span::styled("  (names only)", Style::new().fg(c.muted.0)),
    ]));
    out.push(Line::from(vec![
        label("mounts"),
        Span::raw(if d.mounts.is_empty() {
            "none".to_string()
        } else {
            d.mounts.join(", ")
        }),
    ]));
    let opts: Vec<String> = d
        .log_options
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut logs = vec![
        label("logs"),
        Span::raw(format!("{} {}", d.log_driver, opts.join(" "))),
    ];
    if d.lacks_log_rotation() {
        logs.push(Span::styled(
            "  ⚠ no max-size: this log grows until the disk is full",
            Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
        ));
    }
    out.push(Line::from(logs));
    let labels: Vec<String> = d.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    out.push(Line::from(vec![
        label("labels"),
        Span::raw(labels.join("  ")),
    ]));
    out
}

/// CPU and memory over the last 15 minutes: a sparkline each with the lowest, the
/// highest and the newest reading.
fn usage_chart<'a>(
    h: &crate::state::history::UsageHistory,
    width: usize,
    now: i64,
    theme: &Theme,
) -> Vec<Line<'a>> {
    use super::spark;
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    // The label, the bars, and `min 0.0% · max 12.3% · now 3.2%` after them.
    let bars = width.saturating_sub(9 + 44).clamp(10, 90);
    let mem = |kib: u32| super::containers::bytes(u64::from(kib) * 1024);
    let line = |name: &'static str, chart: String, said: String| {
        Line::from(vec![
            Span::styled(format!("{name:<8} "), muted),
            Span::styled(chart, Style::new().fg(c.accent.0)),
            Span::styled(format!("  {said}"), muted),
        ])
    };
    let cpu_window = h.cpu.window(now);
    let mem_window = h.mem_kib.window(now);
    let summary = |s: Option<(u32, u32, u32)>, f: &dyn Fn(u32) -> String| match s {
        Some((lo, hi, newest)) => {
            format!("min {} · max {} · now {} (15 min)", f(lo), f(hi), f(newest))
        }
        None => "nothing read in 15 min".to_string(),
    };
    vec![
        line(
            "cpu 15m",
            spark::cpu(&cpu_window, bars),
            summary(h.cpu.summary(now), &spark::percent),
        ),
        line(
            "mem 15m",
            spark::memory(&mem_window, bars),
            summary(h.mem_kib.summary(now), &mem),
        ),
    ]
}

/// `sha256:0123456789ab…` -> `0123456789ab`.
fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

//! The job queues view: BullMQ's queues (counts, throughput, oldest waiting job,
//! workers), the selected queue's failed jobs, and Redis itself.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::containers::{alert_style, bytes};
use super::text::clock;
use crate::state::EnvState;
use crate::state::alert::Alert;
use crate::state::jobs::{QueueRow, QueuesState};
use crate::ui::theme::Theme;
use pilothouse_core::time::age;

use super::spark::BARS;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let muted = Style::new().fg(theme.colors.muted.0);
    let Some(jobs) = &env.jobs else {
        let block = super::pane::env_block(env, " job queues · not configured ", theme, false);
        let text = vec![
            Line::from("No job queues are configured for this environment."),
            Line::styled(
                "Add [environments.NAME.queues] to the config (see assets/pilothouse.example.toml).",
                muted,
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let stale = !env.is_live() || jobs.is_stale(now);
    let mut title = format!(" {} · job queues · {}", env.name, jobs.via);
    if stale {
        match jobs.at {
            Some(at) => title.push_str(&format!(" · STALE: last reading {} ago", age(now - at))),
            None => title.push_str(" · no reading yet"),
        }
    }
    title.push(' ');
    let outer = super::pane::env_block(env, &title, theme, stale);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);

    let problems = jobs.problems(now);
    let top = u16::from(jobs.error.is_some()) * 2 + problems.len().min(6) as u16;
    let failed_h = (inner.height / 3).max(4);
    let [top_area, table_area, failed_area, redis_area] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Min(3),
        Constraint::Length(failed_h),
        Constraint::Length(3),
    ])
    .areas(inner);
    draw_problems(frame, top_area, jobs, &problems, theme);
    if jobs.at.is_none() {
        if jobs.error.is_none() {
            frame.render_widget(
                Paragraph::new(Line::styled("reading the queues…", muted)),
                table_area,
            );
        }
        return;
    }
    draw_table(frame, table_area, jobs, now, stale, theme);
    draw_failed(frame, failed_area, jobs, theme);
    draw_redis(frame, redis_area, jobs, stale, theme);
}

fn draw_problems(
    frame: &mut Frame,
    area: Rect,
    jobs: &QueuesState,
    problems: &[crate::state::jobs::Problem],
    theme: &Theme,
) {
    let c = &theme.colors;
    let mut lines = Vec::new();
    if let Some((err, at)) = &jobs.error {
        lines.push(Line::from(vec![
            Span::styled(
                "✗ cannot read the queues: ",
                Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
            ),
            Span::styled(err.clone(), Style::new().fg(c.error.0)),
            Span::styled(format!(" ({})", clock(*at)), Style::new().fg(c.muted.0)),
        ]));
    }
    for p in problems.iter().take(6) {
        let (mark, style) = if p.alert() == Alert::Bad {
            (
                "✗ ",
                Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
            )
        } else {
            (
                "⚠ ",
                Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
            )
        };
        lines.push(Line::from(vec![
            Span::styled(mark, style),
            Span::styled(p.text(), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

/// Completions per reading as a line of bars, newest on the right; failures instead
/// while the queue is failing (the alert's trend).
fn sparkline(row: &QueueRow, width: usize, failures: bool) -> String {
    let values: Vec<u64> = row
        .history
        .iter()
        .rev()
        .take(width)
        .map(|(_, done, failed)| if failures { *failed } else { *done })
        .collect();
    if values.is_empty() {
        return "-".into();
    }
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .rev()
        .map(|v| BARS[((v * 7) / max) as usize])
        .collect()
}

/// The waiting jobs' sparkline's width (90 s a bar).
const WAIT: u16 = 10;

/// Jobs waiting over the last 15 minutes, from none to the most seen (90 s a bar).
fn waiting_line(row: &QueueRow, now: i64) -> String {
    let cols = super::spark::squeeze(&row.waiting.window(now), usize::from(WAIT));
    let max = cols.iter().flatten().copied().max().unwrap_or(0).max(1);
    super::spark::bars(&cols, 0, max)
}

/// What the row's last column says: the worst of what the alerts say of its queue
/// (paused, no worker, failing, falling behind), else ok.
fn status(jobs: &QueuesState, row: &QueueRow, now: i64) -> (String, Alert) {
    let q = &row.reading;
    if q.paused {
        return ("paused".into(), Alert::Warn);
    }
    if q.counts.waiting > 0 && q.workers == 0 {
        let to = jobs
            .consumer_of(&q.name)
            .map(|s| format!(" → {s}"))
            .unwrap_or_default();
        return (format!("no worker{to}"), Alert::Bad);
    }
    if let Some(n) = failing(jobs, row, now) {
        return (format!("failing {n}/min"), Alert::Warn);
    }
    match q.oldest_waiting_ms {
        Some(ms) if ms > jobs.thresholds.oldest_waiting_ms => {
            ("falling behind".into(), Alert::Warn)
        }
        _ => ("ok".into(), Alert::Ok),
    }
}

/// Failures in the last minute when above the alert's threshold.
fn failing(jobs: &QueuesState, row: &QueueRow, now: i64) -> Option<u64> {
    let (_, failed) = row.per_minute(now);
    (failed > jobs.thresholds.failures_per_minute).then_some(failed)
}

fn draw_table(
    frame: &mut Frame,
    area: Rect,
    jobs: &QueuesState,
    now: i64,
    stale: bool,
    theme: &Theme,
) {
    let c = &theme.colors;
    let name_width = jobs
        .queues
        .iter()
        .map(|q| q.reading.name.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40) as u16;
    // The waiting jobs' 15 minutes, when the status keeps 30 columns beside them.
    let fixed = name_width + 67 + 13;
    let waits = area.width >= fixed + WAIT + 1 + 30;
    let mut names = vec![
        "QUEUE", "WAITING", "ACTIVE", "DELAYED", "PRIOR", "FAILED", "DONE", "OK/M", "FAIL/M",
        "TREND", "WAIT 15m", "OLDEST", "WKRS", "STATUS",
    ];
    if !waits {
        names.remove(10);
    }
    let header = Row::new(names).style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let rows = jobs.queues.iter().enumerate().map(|(i, row)| {
        let q = &row.reading;
        let (ok, failed) = row.per_minute(now);
        let (text, alert) = status(jobs, row, now);
        let failing = failing(jobs, row, now).is_some();
        let status_style = if stale {
            Style::new().fg(c.muted.0)
        } else {
            alert_style(alert, theme)
        };
        let n = |v: u64| Cell::from(v.to_string());
        let mut cells = vec![
            Cell::from(q.name.clone()),
            n(q.counts.waiting),
            n(q.counts.active),
            n(q.counts.delayed),
            n(q.counts.prioritized),
            n(q.counts.failed),
            n(q.counts.completed),
            n(ok),
            n(failed),
            if failing && !stale {
                Cell::from(Span::styled(
                    sparkline(row, 8, true),
                    Style::new().fg(c.error.0),
                ))
            } else {
                Cell::from(sparkline(row, 8, false))
            },
            Cell::from(Span::styled(
                waiting_line(row, now),
                Style::new().fg(c.accent.0),
            )),
            Cell::from(
                q.oldest_waiting_ms
                    .map(|ms| age(i64::try_from(ms / 1000).unwrap_or(i64::MAX)))
                    .unwrap_or_else(|| "-".into()),
            ),
            n(u64::from(q.workers)),
            Cell::from(Span::styled(
                if stale {
                    format!("{text} (stale)")
                } else {
                    text
                },
                status_style,
            )),
        ];
        if !waits {
            cells.remove(10);
        }
        let mut r = Row::new(cells);
        if i == jobs.selected {
            r = r.style(Style::new().add_modifier(Modifier::REVERSED));
        }
        if stale {
            r = r.style(Style::new().fg(c.muted.0));
        }
        r
    });
    let mut widths = vec![
        Constraint::Length(name_width),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(WAIT),
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Fill(1),
    ];
    if !waits {
        widths.remove(10);
    }
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, area);
}

fn draw_failed(frame: &mut Frame, area: Rect, jobs: &QueuesState, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let selected = jobs.selected_name().unwrap_or("");
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(muted)
        .title(format!(
            " failed jobs · {selected} · newest first · alt-t retry them, alt-k clean old ones "
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = match &jobs.failed {
        Some((q, list)) if q == selected && !list.is_empty() => list
            .iter()
            .map(|j| {
                Line::from(vec![
                    Span::styled(
                        j.at_ms
                            .map(|ms| clock(ms / 1000))
                            .unwrap_or_else(|| "?".into()),
                        muted,
                    ),
                    Span::raw(format!("  #{} {} ", j.id, j.name)),
                    Span::styled(format!("attempts {} ", j.attempts), muted),
                    Span::styled(j.reason.clone(), Style::new().fg(c.error.0)),
                ])
            })
            .collect(),
        Some((q, _)) if q == selected => vec![Line::styled("no failed jobs", muted)],
        _ => vec![Line::styled("reading the failed jobs…", muted)],
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_redis(frame: &mut Frame, area: Rect, jobs: &QueuesState, stale: bool, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(muted)
        .title(" redis ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(r) = &jobs.redis else {
        return;
    };
    let value = if stale {
        muted
    } else {
        Style::new().fg(c.text.0).add_modifier(Modifier::BOLD)
    };
    let policy_style = if r.evicting_policy() && !stale {
        Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)
    } else {
        value
    };
    let memory = match (r.maxmemory, r.memory_percent()) {
        (0, _) | (_, None) => format!("{} (no maxmemory)", bytes(r.used_memory)),
        (max, Some(p)) => format!("{} / {} ({p}%)", bytes(r.used_memory), bytes(max)),
    };
    let line = Line::from(vec![
        Span::raw("memory "),
        Span::styled(memory, value),
        Span::raw(" · policy "),
        Span::styled(r.policy.clone(), policy_style),
        Span::raw(" · evicted "),
        Span::styled(r.evicted_keys.to_string(), value),
        Span::raw(" · clients "),
        Span::styled(r.connected_clients.to_string(), value),
        Span::raw(" · "),
        Span::styled(format!("{} ops/s", r.ops_per_sec), value),
        Span::raw(" · "),
        Span::styled(format!("{}, {}", r.role, r.replication), value),
        Span::styled(format!(" · Redis {}", r.version), muted),
    ]);
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), inner);
}

/// The age asked before a queue's clean, over the middle of the body.
pub fn draw_clean_prompt(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    p: &crate::state::jobs::CleanPrompt,
    theme: &Theme,
) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bold = Style::new().fg(c.text.0).add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::styled(
            format!(
                "Remove the completed and failed jobs of queue {} older than:",
                p.queue
            ),
            bold,
        ),
        Line::from(vec![
            Span::styled("  age: ", muted),
            Span::styled(format!("{}█", p.text), bold),
        ]),
    ];
    if let Some(why) = &p.message {
        lines.push(Line::styled(why.clone(), Style::new().fg(c.error.0)));
    }
    lines.push(Line::styled(
        "like 30m, 6h or 7d · enter: preview it · esc: cancel",
        muted,
    ));
    let border = if env.protected {
        c.protected.0
    } else {
        c.accent.0
    };
    let title = format!(" clean queue {} on {} ", p.queue, env.name);
    super::picker::popup(frame, area, lines, &title, border);
}

//! The database connection-pool view: used against headroom, per-service budget bars,
//! ten minutes of history, the breakdowns, and a banner when slots run out.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, Wrap};

use super::containers::alert_style;
use super::text::clock;
use crate::state::EnvState;
use crate::state::alert::Alert;
use crate::state::pool::{PoolState, WARN_FREE};
use crate::ui::theme::Theme;
use pilothouse_core::model::pool::APPLICATION_NAME;
use pilothouse_core::time::age;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let Some(pool) = &env.pool else {
        let block = super::pane::env_block(env, " database pool · not configured ", theme, false);
        let text = vec![
            Line::from("No database is configured for this environment."),
            Line::styled(
                "Add [environments.NAME.database] to the config (see assets/pilothouse.example.toml).",
                muted,
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let stale = !env.is_live() || pool.is_stale(now);
    let mut title = format!(
        " {} · database pool · URL from {} · {}",
        env.name,
        pool.source,
        if pool.tunnel {
            "through the SSH connection"
        } else {
            "direct"
        }
    );
    if stale {
        match &pool.sample {
            Some(s) => title.push_str(&format!(" · STALE: last reading {} ago", age(now - s.at))),
            None => title.push_str(" · no reading yet"),
        }
    }
    title.push(' ');
    let outer = super::pane::env_block(env, &title, theme, stale);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);

    let banner = pool.low() && !stale;
    let error_h = u16::from(pool.error.is_some()) * 2;
    let [err_area, banner_area, summary, gauge, spark, rest] = Layout::vertical([
        Constraint::Length(error_h),
        Constraint::Length(u16::from(banner)),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(inner);

    if let Some((err, at)) = &pool.error {
        let line = Line::from(vec![
            Span::styled(
                "✗ cannot read the pool: ",
                Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
            ),
            Span::styled(err.clone(), Style::new().fg(c.error.0)),
            Span::styled(format!(" ({})", clock(*at)), muted),
        ]);
        frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), err_area);
    }
    if banner {
        let free = pool.free().unwrap_or(0);
        let text = format!(
            " ⚠ {} connection slot{} free (warning at {WARN_FREE}): the next ones fail with \"remaining connection slots are reserved\" ",
            free.max(0),
            if free == 1 { "" } else { "s" }
        );
        let style = Style::new()
            .fg(c.protected_text.0)
            .bg(if free <= 0 { c.error.0 } else { c.warning.0 })
            .add_modifier(Modifier::BOLD);
        frame.render_widget(Paragraph::new(text).style(style), banner_area);
    }
    let Some(sample) = &pool.sample else {
        if pool.error.is_none() {
            frame.render_widget(
                Paragraph::new(Line::styled("connecting to the database…", muted)),
                summary,
            );
        }
        return;
    };
    draw_summary(frame, (summary, gauge), pool, sample, stale, theme);
    draw_history(frame, spark, pool, stale, theme);

    draw_panels(frame, rest, env, pool, stale, theme);
}

/// In use of usable, what is free (never a negative count), and the gauge.
fn draw_summary(
    frame: &mut Frame,
    (summary, gauge): (Rect, Rect),
    pool: &PoolState,
    sample: &pilothouse_core::model::pool::PoolSample,
    stale: bool,
    theme: &Theme,
) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let used = pool.used().unwrap_or(0);
    let slots = pool.slots().unwrap_or(0);
    let free = pool.free().unwrap_or(0);
    let value_style = if stale {
        muted
    } else {
        Style::new().fg(c.text.0).add_modifier(Modifier::BOLD)
    };
    let free_alert = if stale {
        Alert::Ok
    } else if free <= 0 {
        Alert::Bad
    } else if free <= WARN_FREE {
        Alert::Warn
    } else {
        Alert::Ok
    };
    let reserved = if sample.reserved > 0 {
        format!(" − {} reserved", sample.reserved)
    } else {
        String::new()
    };
    let lines = vec![
        Line::from(vec![
            Span::raw("in use "),
            Span::styled(format!("{used}"), value_style),
            Span::raw(" of "),
            Span::styled(format!("{slots}"), value_style),
            Span::raw(" usable · "),
            Span::styled(
                // More in use than usable: superusers hold reserved slots. Nothing is
                // free; say where the extra ones are, never a negative count.
                if free < 0 {
                    format!("0 free, {} in superuser-reserved slots", -free)
                } else {
                    format!("{free} free")
                },
                if stale {
                    muted
                } else {
                    alert_style(free_alert, theme)
                },
            ),
            Span::styled(
                format!(
                    "   (max_connections {} − {} superuser-reserved{reserved})",
                    sample.max_connections, sample.superuser_reserved
                ),
                muted,
            ),
        ]),
        Line::styled(
            format!(
                "client backends; {} background processes take no slot · this console: {}",
                sample.background,
                pool.own()
                    .map_or("not seen".to_string(), |(pid, st)| format!(
                        "pid {pid} ({}, counted)",
                        st.label()
                    ))
            ),
            muted,
        ),
    ];
    frame.render_widget(Paragraph::new(lines), summary);
    let ratio = if slots == 0 {
        1.0
    } else {
        (f64::from(used) / f64::from(slots)).min(1.0)
    };
    let gauge_style = if stale {
        muted
    } else {
        alert_style(free_alert, theme)
    };
    // The figure beside the bar, not printed across it (where half of it took the bar's
    // colour and half the background's).
    let label = format!(" {used}/{slots}");
    let label_w = (label.chars().count() as u16).min(gauge.width / 2);
    let [bar, figure] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(label_w)]).areas(gauge);
    let filled = ((ratio.clamp(0.0, 1.0) * f64::from(bar.width)).round() as usize)
        .min(usize::from(bar.width));
    let empty = usize::from(bar.width) - filled;
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("█".repeat(filled), gauge_style),
            Span::styled("░".repeat(empty), Style::new().fg(theme.colors.muted.0)),
        ])),
        bar,
    );
    frame.render_widget(Paragraph::new(label).style(value_style), figure);
}

/// The budgets beside (or above) the breakdown, the sessions below.
fn draw_panels(
    frame: &mut Frame,
    rest: Rect,
    env: &EnvState,
    pool: &PoolState,
    stale: bool,
    theme: &Theme,
) {
    let budget_h = pool.budgets.len().max(1) as u16 + 5;
    let breakdown_h = pool.waiting().len() as u16 + 7;
    let wide = rest.width >= 100;
    let panels_h = if wide {
        budget_h.max(breakdown_h)
    } else {
        budget_h + breakdown_h
    };
    let [panels, sessions] =
        Layout::vertical([Constraint::Length(panels_h), Constraint::Min(0)]).areas(rest);
    let [left, right] = if wide {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(panels)
    } else {
        Layout::vertical([Constraint::Length(budget_h), Constraint::Min(0)]).areas(panels)
    };
    draw_budget(frame, left, env, pool, stale, theme);
    draw_breakdown(frame, right, pool, theme);
    if sessions.height > 2 {
        draw_sessions(frame, sessions, pool, stale, theme);
    }
}

/// Every client backend, the ones that need a look first: waiting on a lock, idle in
/// a transaction, active; then by age.
fn draw_sessions(frame: &mut Frame, area: Rect, pool: &PoolState, stale: bool, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let Some(sample) = &pool.sample else { return };
    let list = pool.sessions_in_order();
    let rank = crate::state::pool::attention;
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(muted)
        .title(Span::styled(
            match pool.selected_session() {
                Some(s) => format!(" sessions ({}) · selected {} ", list.len(), s.pid),
                None => format!(" sessions ({}) ", list.len()),
            },
            Style::new().fg(c.accent.0),
        ));
    let header = Row::new([
        "PID",
        "APPLICATION",
        "USER",
        "STATE",
        "IN STATE",
        "TRANSACTION",
        "BLOCKED BY",
    ])
    .style(muted.add_modifier(Modifier::BOLD));
    let rows = list.iter().map(|s| {
        let style = if stale {
            muted
        } else if rank(s) == 0 {
            alert_style(Alert::Bad, theme)
        } else if rank(s) == 1 {
            alert_style(Alert::Warn, theme)
        } else {
            Style::new().fg(c.text.0)
        };
        let ms = |v: Option<u64>| v.map_or("-".to_string(), |m| age((m / 1000) as i64));
        let app = if s.pid == sample.own_pid {
            format!("{} (this console)", s.application_name)
        } else {
            s.application_name.clone()
        };
        let state = if s.waiting {
            format!("{} (waiting on a lock)", s.state.label())
        } else {
            s.state.label().to_string()
        };
        let by: Vec<String> = s.blocked_by.iter().map(|p| p.to_string()).collect();
        Row::new(vec![
            Cell::from(s.pid.to_string()),
            Cell::from(app),
            Cell::from(s.user.clone()),
            Cell::from(state),
            Cell::from(ms(s.state_ms)),
            Cell::from(ms(s.xact_ms)),
            Cell::from(by.join(", ")),
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(8),
        Constraint::Length(30),
        Constraint::Length(12),
        Constraint::Length(36),
        Constraint::Length(9),
        Constraint::Length(12),
        Constraint::Min(10),
    ];
    // The selected row is reversed; the table scrolls to keep it in view.
    let mut table_state = ratatui::widgets::TableState::default()
        .with_selected(list.iter().position(|s| pool.cursor == Some(s.pid)));
    frame.render_stateful_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .highlight_symbol("▶ ")
            .highlight_spacing(ratatui::widgets::HighlightSpacing::Always),
        area,
        &mut table_state,
    );
}

/// `history` (time, in use) in `width` columns over [`HISTORY_SECS`] up to its newest
/// reading: each column the highest reading in its time (0, drawn blank, for none).
fn over_time(history: &std::collections::VecDeque<(i64, u32)>, width: usize) -> Vec<u64> {
    let mut cols = vec![0u64; width];
    let (Some((end, _)), Ok(w)) = (history.back(), i64::try_from(width)) else {
        return cols;
    };
    let span = crate::state::pool::HISTORY_SECS;
    for (t, n) in history {
        let from_start = t - (end - span);
        if from_start < 0 || w == 0 {
            continue;
        }
        let col = usize::try_from((from_start * w / (span + 1)).min(w - 1)).unwrap_or(0);
        if let Some(c) = cols.get_mut(col) {
            *c = (*c).max(u64::from(*n));
        }
    }
    cols
}

fn draw_history(frame: &mut Frame, area: Rect, pool: &PoolState, stale: bool, theme: &Theme) {
    let c = &theme.colors;
    let [label, spark] =
        Layout::horizontal([Constraint::Length(14), Constraint::Min(0)]).areas(area);
    let peak = pool.history.iter().map(|(_, n)| *n).max().unwrap_or(0);
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled("last 15 min", Style::new().fg(c.muted.0)),
            Line::styled(format!("peak {peak}"), Style::new().fg(c.muted.0)),
        ]),
        label,
    );
    // The last 15 minutes up to the newest reading in the columns there are, each the
    // most in use in its part of that time.
    let width = usize::from(spark.width);
    let data = over_time(&pool.history, width);
    let max = u64::from(pool.slots().unwrap_or(1)).max(1);
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .max(max)
            .style(Style::new().fg(if stale { c.muted.0 } else { c.accent.0 })),
        spark,
    );
}

fn draw_budget(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    pool: &PoolState,
    stale: bool,
    theme: &Theme,
) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let block = section(" services: connections / pool size ", theme);
    let rows = pool.budget_rows();
    let mut lines = Vec::new();
    if rows.is_empty() {
        lines.push(Line::styled(
            "no pools configured ([…database.pools]: service = { size = N })",
            muted,
        ));
    }
    let name_w = rows
        .iter()
        .map(|r| r.service.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let bar_max = rows
        .iter()
        .map(|r| r.actual.max(r.budget))
        .max()
        .unwrap_or(1)
        .max(1) as usize;
    let bar_w = usize::from(area.width)
        .saturating_sub(name_w + 22)
        .clamp(4, 30);
    for r in &rows {
        let scale = |n: u32| (n as usize * bar_w).div_ceil(bar_max);
        let filled = scale(r.actual.min(r.budget));
        let over = scale(r.actual).saturating_sub(filled);
        let empty = scale(r.budget).saturating_sub(filled);
        let style = if stale {
            muted
        } else if r.over {
            alert_style(Alert::Bad, theme)
        } else {
            Style::new().fg(c.ok.0)
        };
        let mut spans = vec![
            Span::raw(format!("{:<name_w$} ", truncate(&r.service, name_w))),
            Span::styled("█".repeat(filled), style),
            Span::styled("█".repeat(over), alert_style(Alert::Bad, theme)),
            Span::styled("░".repeat(empty), muted),
            Span::styled(format!(" {}/{}", r.actual, r.budget), style),
        ];
        if r.over && !stale {
            spans.push(Span::styled(
                format!(" OVER by {}", r.actual - r.budget),
                alert_style(Alert::Bad, theme),
            ));
        }
        if r.application_name != r.service {
            spans.push(Span::styled(format!(" ({})", r.application_name), muted));
        }
        lines.push(Line::from(spans));
    }
    let pgadmin = env.pgadmin_running();
    let sum = pool.budget_sum(pgadmin);
    let slots = pool.slots().unwrap_or(0);
    let room = slots.saturating_sub(pool.keep_free);
    let pools: u32 = pool.budgets.iter().map(|b| b.size).sum();
    let pg = if pgadmin {
        format!(" + pgAdmin {} (running)", pool.pgadmin_connections)
    } else {
        " (pgAdmin not running)".to_string()
    };
    let verdict = if sum > room {
        Span::styled(
            format!("  OVER by {}", sum - room),
            alert_style(Alert::Bad, theme),
        )
    } else {
        Span::styled(format!("  {} spare", room - sum), Style::new().fg(c.ok.0))
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw(format!(
            "budget: pools {pools} + console 1{pg} = {sum} of {room}"
        )),
        verdict,
    ]));
    lines.push(Line::styled(
        format!(
            "({slots} usable − {} kept free; fair share per service: ({slots} − {}) / {} = {})",
            pool.keep_free,
            pool.keep_free,
            pool.budgets.len(),
            pool.fair_share().map_or("-".to_string(), |f| f.to_string())
        ),
        muted,
    ));
    let others = pool.unbudgeted();
    if !others.is_empty() {
        let list: Vec<String> = others.iter().map(|(a, n)| format!("{a} {n}")).collect();
        lines.push(Line::styled(
            format!("not in the budget: {}", list.join(", ")),
            muted,
        ));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_breakdown(frame: &mut Frame, area: Rect, pool: &PoolState, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let block = section(" who holds them ", theme);
    let join = |b: Vec<(String, u32)>| {
        b.iter()
            .map(|(k, n)| {
                if k == APPLICATION_NAME && *n == 1 {
                    format!("{k} (this console) 1")
                } else if k == APPLICATION_NAME {
                    format!("{k} {n} (this console and {} other)", n - 1)
                } else {
                    format!("{k} {n}")
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled("by application  ", muted),
            Span::raw(join(pool.by_application())),
        ]),
        Line::from(vec![
            Span::styled("by user         ", muted),
            Span::raw(join(pool.by_user())),
        ]),
        Line::from(vec![
            Span::styled("by state        ", muted),
            Span::raw(join(pool.by_state())),
        ]),
    ];
    let longest = |l: Option<(u64, i32, String)>| {
        l.map_or("-".to_string(), |(ms, pid, app)| {
            format!("{} (pid {pid}, {app})", age((ms / 1000) as i64))
        })
    };
    lines.push(Line::from(vec![
        Span::styled("longest transaction          ", muted),
        Span::raw(longest(pool.longest_transaction())),
    ]));
    let idle_tx = pool.longest_idle_in_transaction();
    let idle_style = match &idle_tx {
        Some((ms, _, _)) if *ms >= 60_000 => alert_style(Alert::Bad, theme),
        Some((ms, _, _)) if *ms >= 10_000 => alert_style(Alert::Warn, theme),
        _ => Style::new().fg(c.text.0),
    };
    lines.push(Line::from(vec![
        Span::styled("longest idle in transaction  ", muted),
        Span::styled(longest(idle_tx), idle_style),
    ]));
    let waiting = pool.waiting();
    if waiting.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("lock waits  ", muted),
            Span::raw("none"),
        ]));
    } else {
        lines.push(Line::styled(
            format!("lock waits: {}", waiting.len()),
            alert_style(Alert::Warn, theme),
        ));
        for (pid, app, by) in waiting {
            let by: Vec<String> = by.iter().map(|(p, a)| format!("{p} ({a})")).collect();
            let by = if by.is_empty() {
                "-".to_string()
            } else {
                by.join(", ")
            };
            lines.push(Line::raw(format!("  pid {pid} ({app}) blocked by {by}")));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A titled section inside the pool view: a rule above, the title on it.
fn section<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    let c = &theme.colors;
    Block::default()
        .borders(Borders::TOP)
        .border_style(Style::new().fg(c.muted.0))
        .title(Span::styled(title, Style::new().fg(c.accent.0)))
}

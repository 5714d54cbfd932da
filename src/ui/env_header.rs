//! The environment's one-line header: host, connection, counts, Docker version.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::text::stamp;
use crate::state::{EnvState, LinkStatus};
use crate::ui::theme::Theme;
use pilothouse_core::time::age;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bad = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let warn = Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD);
    let sep = || Span::styled(" · ", muted);
    let mut spans = vec![Span::styled(
        format!(" {}", env.target),
        Style::new().fg(c.text.0),
    )];
    spans.push(sep());
    link_spans(&mut spans, env, now, theme);
    // Another console's (or operator's) lock: before anyone presses an action key.
    if env.is_live()
        && let Some(h) = &env.queue.lock_holder
    {
        spans.push(sep());
        spans.push(Span::styled(
            format!(
                "{}{}{}",
                if h.maintenance.is_some() {
                    ""
                } else {
                    "LOCKED by "
                },
                h.describe(),
                h.since
                    .map(|s| format!(" · for {}", age(now - s)))
                    .unwrap_or_default(),
            ),
            bad,
        ));
    }
    count_spans(&mut spans, env, theme);
    if env.is_live() {
        health_summary(&mut spans, env, now, theme);
    }
    if let Some(at) = env.queue.pgadmin_stop_at {
        spans.push(sep());
        spans.push(Span::styled(
            format!("pgAdmin stops in {}", age((at - now).max(0))),
            warn,
        ));
    }
    // Open forwards with their local URL (the first; the list (F) has them all).
    let open: Vec<String> = env
        .forwards
        .iter()
        .filter_map(|f| f.url().map(|u| format!("{} {u}", f.name)))
        .collect();
    if let Some(first) = open.first() {
        spans.push(sep());
        let more = if open.len() > 1 {
            format!(" (+{} more)", open.len() - 1)
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("fwd {first}{more}"),
            Style::new().fg(c.accent.0),
        ));
    }
    if let Some(v) = &env.docker_version {
        spans.push(sep());
        spans.push(Span::styled(format!("Docker {v}"), muted));
    }
    let [first, rest] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), first);
    if let Some(error) = crate::ui::layout::error_line(env) {
        let line = Line::from(Span::styled(
            format!(" {error}"),
            Style::new().fg(c.error.0),
        ));
        frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), rest);
    }
}

/// The connection: connected with its latency, connecting, or since when it is down
/// and when the next attempt comes.
fn link_spans(spans: &mut Vec<Span<'static>>, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let bad = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let warn = Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD);
    let ok = Style::new().fg(c.ok.0);
    let link = &env.link;
    match (link.status, link.down_since) {
        (LinkStatus::Connected, _) => {
            let ms = env
                .latency
                .map(|d| format!(" {} ms", d.as_millis()))
                .unwrap_or_default();
            spans.push(Span::styled(format!("connected{ms}"), ok));
        }
        (LinkStatus::NotStarted, _) => spans.push(Span::styled("not connected", warn)),
        (LinkStatus::Connecting, None) => {
            spans.push(Span::styled(
                format!("connecting… (attempt {})", link.attempt),
                warn,
            ));
        }
        (_, down_since) => {
            let since = down_since.unwrap_or(now);
            spans.push(Span::styled(
                format!(
                    "DISCONNECTED since {} ({} ago)",
                    stamp(since, now),
                    age(now - since)
                ),
                bad,
            ));
            let next = match (link.status, link.retry_at) {
                (LinkStatus::Connecting, _) => format!("; reconnecting (attempt {})", link.attempt),
                (_, Some(at)) => format!("; retry in {}", age(at - now)),
                _ => String::new(),
            };
            spans.push(Span::styled(next, Style::new().fg(c.error.0)));
        }
    }
}

/// Running of all that should run, missing services, unhealthy and restarting ones.
fn count_spans(spans: &mut Vec<Span<'static>>, env: &EnvState, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bad = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let warn = Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD);
    let sep = || Span::styled(" · ", muted);
    if let Some(view) = &env.swarm {
        swarm_counts(spans, view, env.is_live(), theme);
        return;
    }
    if env.is_live() || !env.containers.is_empty() {
        let n = env.counts();
        spans.push(sep());
        let stale = if env.is_live() { "" } else { " (stale)" };
        spans.push(Span::styled(
            format!("{}/{} running{stale}", n.running, n.total),
            Style::new().fg(c.text.0),
        ));
        if n.missing > 0 {
            spans.push(sep());
            spans.push(Span::styled(format!("{} MISSING", n.missing), bad));
        }
        if env.is_live() {
            spans.push(sep());
            spans.push(Span::styled(
                format!("{} unhealthy", n.unhealthy),
                if n.unhealthy > 0 { bad } else { muted },
            ));
            spans.push(sep());
            spans.push(Span::styled(
                format!("{} restarting", n.restarting),
                if n.restarting > 0 { warn } else { muted },
            ));
        }
    }
}

/// A swarm: services at their replicas, tasks running of desired, nodes ready; what is
/// short in the alert colour.
fn swarm_counts(
    spans: &mut Vec<Span<'static>>,
    view: &crate::state::swarm::SwarmView,
    live: bool,
    theme: &Theme,
) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bad = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let Some(n) = view.counts() else {
        return;
    };
    let stale = if live { "" } else { " (stale)" };
    let style = |ok: bool| {
        if ok || !live {
            Style::new().fg(c.text.0)
        } else {
            bad
        }
    };
    spans.push(Span::styled(" · ", muted));
    spans.push(Span::styled(
        format!("{}/{} services converged{stale}", n.converged, n.services),
        style(n.converged == n.services),
    ));
    if n.missing > 0 {
        spans.push(Span::styled(" · ", muted));
        spans.push(Span::styled(format!("{} MISSING", n.missing), style(false)));
    }
    if n.empty_stacks > 0 {
        spans.push(Span::styled(" · ", muted));
        spans.push(Span::styled(
            format!("{} stack EMPTY", n.empty_stacks),
            style(false),
        ));
    }
    spans.push(Span::styled(" · ", muted));
    spans.push(Span::styled(
        format!("{}/{} tasks running", n.running, n.desired),
        style(n.running >= n.desired),
    ));
    spans.push(Span::styled(" · ", muted));
    spans.push(Span::styled(
        format!("{}/{} nodes ready", n.nodes_ready, n.nodes),
        style(n.nodes_ready == n.nodes),
    ));
}

/// Endpoints, the pool and the disks, each one short item, only when it has something
/// to say or is configured.
fn health_summary(spans: &mut Vec<Span<'static>>, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let sep = || Span::styled(" · ", Style::new().fg(c.muted.0));
    let h = &env.health;
    if !h.names.is_empty() && !h.endpoints_stale(now) {
        let down = h.down();
        spans.push(sep());
        spans.push(if down > 0 {
            Span::styled(
                format!("{down} endpoint{} DOWN", if down == 1 { "" } else { "s" }),
                Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
            )
        } else {
            Span::styled(format!("{} endpoints up", h.endpoints.len()), muted)
        });
    }
    let failing = h.failing_checks(now);
    if failing > 0 {
        spans.push(sep());
        spans.push(Span::styled(
            format!(
                "{failing} check{} FAILING",
                if failing == 1 { "" } else { "s" }
            ),
            Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(p) = &env.pool {
        spans.push(sep());
        let a = env.pool_alert(now);
        let style = match a {
            crate::state::alert::Alert::Ok => muted,
            crate::state::alert::Alert::Warn => {
                Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD)
            }
            crate::state::alert::Alert::Bad => {
                Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)
            }
        };
        let text = match (&p.error, p.used(), p.slots()) {
            (Some(_), _, _) => "db: error".to_string(),
            (None, Some(u), Some(s)) if !p.is_stale(now) => {
                format!("db {u}/{s} ({} free)", p.free().unwrap_or(0).max(0))
            }
            _ => "db: no reading".to_string(),
        };
        spans.push(Span::styled(text, style));
    }
    if let Some(r) = &h.host
        && !h.host_stale(now)
    {
        for d in &r.disks {
            let pct = d.used_pct();
            let a = crate::state::health::disk_alert(pct);
            if a != crate::state::alert::Alert::Ok {
                spans.push(sep());
                let color = if a == crate::state::alert::Alert::Bad {
                    c.error.0
                } else {
                    c.warning.0
                };
                spans.push(Span::styled(
                    format!("disk {} {pct}%", d.path),
                    Style::new().fg(color).add_modifier(Modifier::BOLD),
                ));
            }
        }
    }
    // After the disks: an item only once Redis was read or failed.
    if let Some(j) = env
        .jobs
        .as_ref()
        .filter(|j| j.at.is_some() || j.error.is_some())
    {
        spans.push(sep());
        let a = j.alert(now);
        let style = match a {
            crate::state::alert::Alert::Ok => muted,
            crate::state::alert::Alert::Warn => {
                Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD)
            }
            crate::state::alert::Alert::Bad => {
                Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)
            }
        };
        let problems = j.problems(now);
        let text = match problems.first() {
            _ if j.error.is_some() => "queues: cannot read Redis".to_string(),
            _ if j.is_stale(now) => "queues: no reading".to_string(),
            Some(p) if problems.len() == 1 => format!("queues: {}", p.short()),
            Some(p) => format!("queues: {} (+{} more)", p.short(), problems.len() - 1),
            None => format!("{} queues ok", j.queues.len()),
        };
        spans.push(Span::styled(text, style));
    }
}

/// The incident in one line: `since 14:02 gateway unhealthy · 13:58 deploy gateway
/// v1 → v2 by ops@laptop` (the newest change someone made before the first alert).
pub fn draw_incident(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    (now, zone): (i64, &jiff::tz::TimeZone),
    theme: &Theme,
) {
    let Some(incident) = &env.timeline.incident else {
        return;
    };
    let c = &theme.colors;
    let ns = 1_000_000_000;
    let at = |t: i64| crate::state::clock::local_time(t, now * ns, zone);
    let shown = super::text::host_text;
    let mut spans = vec![
        Span::styled(" since ", Style::new().fg(c.muted.0)),
        Span::styled(
            format!("{} {}", at(incident.since), shown(&incident.first)),
            Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        ),
        Span::styled(" · ", Style::new().fg(c.muted.0)),
    ];
    match &incident.change {
        Some(change) => spans.push(Span::styled(
            format!(
                "{} {}",
                at(change.time),
                shown(&env.timeline.describe_change(change))
            ),
            Style::new().fg(c.warning.0),
        )),
        None => spans.push(Span::styled(
            "no change seen before it",
            Style::new().fg(c.muted.0),
        )),
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

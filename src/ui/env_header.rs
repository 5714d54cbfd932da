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
    let mut items = Items::default();
    items.add(
        Rank::Always,
        Span::styled(env.target.clone(), Style::new().fg(c.text.0)),
    );
    link_spans(&mut items, env, now, theme);
    // Another console's (or operator's) lock: before anyone presses an action key.
    if env.is_live()
        && let Some(h) = &env.queue.lock_holder
    {
        items.add(
            Rank::Always,
            Span::styled(
                super::text::lock_text(h, now),
                Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
            ),
        );
    }
    count_spans(&mut items, env, theme);
    if env.is_live() {
        health_summary(&mut items, env, now, theme);
    }
    extras(&mut items, env, now, theme);
    let [first, rest] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(items.line(first.width as usize, theme)),
        first,
    );
    if let Some(error) = crate::ui::layout::error_line(env) {
        let line = Line::from(Span::styled(
            format!(" {error}"),
            Style::new().fg(c.error.0),
        ));
        frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), rest);
    }
}

/// How much an item of the header matters when the line is too narrow for all of
/// them: the least first leave (from the end), so an alert is never pushed off the
/// screen by a count that says all is well.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Rank {
    /// Counts and versions that say nothing is wrong.
    Quiet,
    /// What is worth knowing but not wrong: running counts, a forward's URL.
    Info,
    Warn,
    Alert,
    /// The host, its connection and a lock: never left out.
    Always,
}

impl Rank {
    /// An alert's rank: what is not wrong is quiet.
    fn of(alert: crate::state::alert::Alert) -> Rank {
        match alert {
            crate::state::alert::Alert::Ok => Rank::Quiet,
            crate::state::alert::Alert::Warn => Rank::Warn,
            crate::state::alert::Alert::Bad => Rank::Alert,
        }
    }
}

/// The header's items in the order they are read, each with its rank.
#[derive(Default)]
struct Items(Vec<(Rank, Vec<Span<'static>>)>);

impl Items {
    fn add(&mut self, rank: Rank, span: Span<'static>) {
        self.0.push((rank, vec![span]));
    }

    /// More of the last item (a disconnection's next attempt).
    fn append(&mut self, span: Span<'static>) {
        if let Some((_, spans)) = self.0.last_mut() {
            spans.push(span);
        }
    }

    /// The line in `width` columns: every item in order when they fit; else the
    /// lowest-ranked ones, the last first, leave (a shorter one may then come back
    /// into the room a longer one left) and `+N more` says how many did.
    fn line(self, width: usize, theme: &Theme) -> Line<'static> {
        const SEP: &str = " · ";
        const SEP_WIDTH: usize = 3;
        let muted = Style::new().fg(theme.colors.muted.0);
        let wide = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
        let mut kept: Vec<bool> = vec![true; self.0.len()];
        let total = |kept: &[bool]| {
            let n = kept.iter().filter(|k| **k).count();
            let dropped = kept.len() - n;
            let items: usize = (self.0.iter().zip(kept))
                .filter(|(_, k)| **k)
                .map(|((_, s), _)| wide(s))
                .sum();
            let more = if dropped > 0 {
                SEP_WIDTH + format!("+{dropped} more").len()
            } else {
                0
            };
            1 + items + SEP_WIDTH * n.saturating_sub(1) + more
        };
        let mut order: Vec<usize> = (0..self.0.len()).collect();
        // Lowest rank first; among equals, the last first.
        order.sort_by_key(|&i| (self.0[i].0, std::cmp::Reverse(i)));
        for &i in &order {
            if total(&kept) <= width || self.0[i].0 == Rank::Always {
                break;
            }
            kept[i] = false;
        }
        // Room left by a long item that went: a shorter one of those that went may
        // come back, the highest first.
        let gone: Vec<usize> = order.iter().rev().copied().filter(|&i| !kept[i]).collect();
        for i in gone {
            kept[i] = true;
            kept[i] = total(&kept) <= width;
        }
        let dropped = kept.iter().filter(|k| !**k).count();
        let mut spans = vec![Span::raw(" ")];
        for ((_, item), _) in self.0.into_iter().zip(&kept).filter(|(_, k)| **k) {
            if spans.len() > 1 {
                spans.push(Span::styled(SEP, muted));
            }
            spans.extend(item);
        }
        if dropped > 0 {
            spans.push(Span::styled(SEP, muted));
            spans.push(Span::styled(format!("+{dropped} more"), muted));
        }
        Line::from(spans)
    }
}

/// pgAdmin's stop, the open forwards and the engine's version.
fn extras(items: &mut Items, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    if let Some(at) = env.queue.pgadmin_stop_at {
        items.add(
            Rank::Warn,
            Span::styled(
                format!("pgAdmin stops in {}", age((at - now).max(0))),
                Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
            ),
        );
    }
    // Open forwards with their local URL (the first; the list (F) has them all).
    let open: Vec<String> = env
        .forwards
        .iter()
        .filter_map(|f| f.url().map(|u| format!("{} {u}", f.name)))
        .collect();
    if let Some(first) = open.first() {
        let more = if open.len() > 1 {
            format!(" (+{} more)", open.len() - 1)
        } else {
            String::new()
        };
        items.add(
            Rank::Info,
            Span::styled(format!("fwd {first}{more}"), Style::new().fg(c.accent.0)),
        );
    }
    if let Some(v) = &env.docker_version {
        items.add(
            Rank::Quiet,
            Span::styled(format!("Docker {v}"), Style::new().fg(c.muted.0)),
        );
    }
}

/// The connection: connected with its latency, connecting, or since when it is down
/// and when the next attempt comes.
fn link_spans(items: &mut Items, env: &EnvState, now: i64, theme: &Theme) {
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
            items.add(Rank::Always, Span::styled(format!("connected{ms}"), ok));
        }
        (LinkStatus::NotStarted, _) => {
            items.add(Rank::Always, Span::styled("not connected", warn));
        }
        (LinkStatus::Connecting, None) => {
            items.add(
                Rank::Always,
                Span::styled(format!("connecting… (attempt {})", link.attempt), warn),
            );
        }
        (_, down_since) => {
            let since = down_since.unwrap_or(now);
            items.add(
                Rank::Always,
                Span::styled(
                    format!(
                        "DISCONNECTED since {} ({} ago)",
                        stamp(since, now),
                        age(now - since)
                    ),
                    bad,
                ),
            );
            let next = match (link.status, link.retry_at) {
                (LinkStatus::Connecting, _) => format!("; reconnecting (attempt {})", link.attempt),
                (_, Some(at)) => format!("; retry in {}", age(at - now)),
                _ => String::new(),
            };
            items.append(Span::styled(next, Style::new().fg(c.error.0)));
        }
    }
}

/// Running of all that should run, missing services, unhealthy and restarting ones.
fn count_spans(items: &mut Items, env: &EnvState, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let bad = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let warn = Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD);
    if let Some(view) = &env.swarm {
        swarm_counts(items, view, env.is_live(), theme);
        return;
    }
    if env.is_live() || !env.containers.is_empty() {
        let n = env.counts();
        let stale = if env.is_live() { "" } else { " (stale)" };
        items.add(
            Rank::Info,
            Span::styled(
                format!("{}/{} running{stale}", n.running, n.total),
                Style::new().fg(c.text.0),
            ),
        );
        if n.missing > 0 {
            items.add(
                Rank::Alert,
                Span::styled(format!("{} MISSING", n.missing), bad),
            );
        }
        if env.is_live() {
            let (rank, style) = if n.unhealthy > 0 {
                (Rank::Alert, bad)
            } else {
                (Rank::Quiet, muted)
            };
            items.add(
                rank,
                Span::styled(format!("{} unhealthy", n.unhealthy), style),
            );
            let (rank, style) = if n.restarting > 0 {
                (Rank::Warn, warn)
            } else {
                (Rank::Quiet, muted)
            };
            items.add(
                rank,
                Span::styled(format!("{} restarting", n.restarting), style),
            );
        }
    }
}

/// A swarm: services at their replicas, tasks running of desired, nodes ready; what is
/// short in the alert colour.
fn swarm_counts(
    items: &mut Items,
    view: &crate::state::swarm::SwarmView,
    live: bool,
    theme: &Theme,
) {
    let c = &theme.colors;
    let bad = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let Some(n) = view.counts() else {
        return;
    };
    let stale = if live { "" } else { " (stale)" };
    let mut add = |ok: bool, text: String| {
        let (rank, style) = if ok || !live {
            (Rank::Info, Style::new().fg(c.text.0))
        } else {
            (Rank::Alert, bad)
        };
        items.add(rank, Span::styled(text, style));
    };
    add(
        n.converged == n.services,
        format!("{}/{} services converged{stale}", n.converged, n.services),
    );
    if n.missing > 0 {
        add(false, format!("{} MISSING", n.missing));
    }
    if n.empty_stacks > 0 {
        add(false, format!("{} stack EMPTY", n.empty_stacks));
    }
    add(
        n.running >= n.desired,
        format!("{}/{} tasks running", n.running, n.desired),
    );
    add(
        n.nodes_ready == n.nodes,
        format!("{}/{} nodes ready", n.nodes_ready, n.nodes),
    );
}

/// Endpoints, the pool and the disks, each one short item, only when it has something
/// to say or is configured.
fn health_summary(items: &mut Items, env: &EnvState, now: i64, theme: &Theme) {
    use crate::state::alert::Alert;
    let c = &theme.colors;
    let styled = |text: String, a: Alert| {
        let style = match a {
            Alert::Ok => Style::new().fg(c.muted.0),
            Alert::Warn => Style::new().fg(c.warning.0).add_modifier(Modifier::BOLD),
            Alert::Bad => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        };
        (Rank::of(a), Span::styled(text, style))
    };
    let mut add = |(rank, span)| items.add(rank, span);
    let h = &env.health;
    if !h.names.is_empty() && !h.endpoints_stale(now) {
        let down = h.down();
        add(if down > 0 {
            let s = if down == 1 { "" } else { "s" };
            styled(format!("{down} endpoint{s} DOWN"), Alert::Bad)
        } else {
            styled(format!("{} endpoints up", h.endpoints.len()), Alert::Ok)
        });
    }
    let failing = h.failing_checks(now);
    if failing > 0 {
        let s = if failing == 1 { "" } else { "s" };
        add(styled(format!("{failing} check{s} FAILING"), Alert::Bad));
    }
    if let Some(p) = &env.pool {
        let text = match (&p.error, p.used(), p.slots()) {
            (Some(_), _, _) => "db: error".to_string(),
            (None, Some(u), Some(s)) if !p.is_stale(now) => {
                format!("db {u}/{s} ({} free)", p.free().unwrap_or(0).max(0))
            }
            _ => "db: no reading".to_string(),
        };
        add(styled(text, env.pool_alert(now)));
    }
    if let Some(r) = &h.host
        && !h.host_stale(now)
    {
        // One item per filesystem: the docker root on /'s disk is the same alarm.
        for (i, d) in r.disks.iter().enumerate() {
            if r.disks[..i].iter().any(|e| e.same_filesystem(d)) {
                continue;
            }
            let pct = d.used_pct();
            let a = crate::state::health::disk_alert(pct);
            if a != Alert::Ok {
                add(styled(format!("disk {} {pct}%", d.path), a));
            }
        }
    }
    // After the disks: an item only once Redis was read or failed.
    if let Some(j) = env
        .jobs
        .as_ref()
        .filter(|j| j.at.is_some() || j.error.is_some())
    {
        let problems = j.problems(now);
        let text = match problems.first() {
            _ if j.error.is_some() => "queues: cannot read Redis".to_string(),
            _ if j.is_stale(now) => "queues: no reading".to_string(),
            Some(p) if problems.len() == 1 => format!("queues: {}", p.short()),
            Some(p) => format!("queues: {} (+{} more)", p.short(), problems.len() - 1),
            None => format!("{} queues ok", j.queues.len()),
        };
        add(styled(text, j.alert(now)));
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

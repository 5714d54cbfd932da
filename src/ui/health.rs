//! The health view: each HTTP endpoint (up or down, status, latency, what its JSON says,
//! the certificate), then the host's disks, memory, load and Docker disk usage.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::containers::{alert_style, bytes};
use crate::state::EnvState;
use crate::state::alert::Alert;
use crate::state::health::{DISK_CRITICAL, DISK_WARN, cert_alert, disk_alert};
use crate::ui::theme::Theme;
use pilothouse_core::model::health::EndpointStatus;
use pilothouse_core::time::age;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let host_h = 11.min(area.height / 2).max(3);
    let checks = env.health.check_names.len() as u16;
    let checks_h = if checks > 0 {
        (checks + 3).min(area.height / 3)
    } else {
        0
    };
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(checks_h),
        Constraint::Length(host_h),
    ])
    .areas(area);
    draw_endpoints(frame, top, env, now, theme);
    if checks_h > 0 {
        draw_checks(frame, middle, env, now, theme);
    }
    draw_host(frame, bottom, env, now, theme);
}

/// The team's checks: each one's last result, what it said, how long it took, when.
fn draw_checks(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let live = env.is_live();
    let block = super::pane::env_block(env, &format!(" {} · checks ", env.name), theme, !live);
    let header = Row::new(["CHECK", "RESULT", "TOOK", "WHEN", "SAID"])
        .style(muted.add_modifier(Modifier::BOLD));
    let rows = env.health.check_names.iter().map(|(name, _)| {
        let fresh = env.health.check(name, now).filter(|_| live);
        let (result, alert) = match fresh {
            Some(r) if r.ok => ("✓ pass", Alert::Ok),
            Some(_) => ("✗ FAIL", Alert::Bad),
            None if env.health.checks.iter().any(|r| &r.name == name) => ("stale", Alert::Warn),
            None => ("…", Alert::Warn),
        };
        let last = env.health.checks.iter().find(|r| &r.name == name);
        Row::new([
            Cell::from(name.clone()),
            Cell::from(Span::styled(result, alert_style(alert, theme))),
            Cell::from(
                last.map(|r| format!("{} ms", r.duration_ms))
                    .unwrap_or_default(),
            ),
            Cell::from(
                last.map(|r| format!("{} ago", age(now - r.at)))
                    .unwrap_or_default(),
            ),
            Cell::from(last.map(|r| r.detail.clone()).unwrap_or_default()),
        ])
    });
    let widths = [
        Constraint::Length(
            env.health
                .check_names
                .iter()
                .map(|(n, _)| n.chars().count())
                .max()
                .unwrap_or(5)
                .max(5) as u16,
        ),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Fill(1),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(1),
        area,
    );
}

fn stale_label(env: &EnvState, stale: bool) -> &'static str {
    if !env.is_live() {
        " · STALE: not connected"
    } else if stale {
        " · STALE: no recent answer"
    } else {
        ""
    }
}

fn draw_endpoints(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let h = &env.health;
    let stale = !env.is_live() || h.endpoints_stale(now);
    let title = format!(
        " {} · health endpoints{} ",
        env.name,
        stale_label(env, stale && !h.names.is_empty())
    );
    let block = super::pane::env_block(env, &title, theme, stale && !h.names.is_empty());
    if h.names.is_empty() {
        let text = vec![
            Line::raw("No health endpoints are configured for this environment."),
            Line::styled(
                "Add [[environments.NAME.health.endpoints]] with name and url (see assets/pilothouse.example.toml).",
                muted,
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    if h.endpoints.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no answer yet", muted)).block(block),
            area,
        );
        return;
    }
    let header = Row::new(
        [
            "ENDPOINT", "STATE", "HTTP", "LATENCY", "STATUS", "DATABASE", "VERSION", "BUILD",
            "COMMIT", "UPTIME", "TLS", "DETAIL",
        ]
        .map(|t| Cell::from(t).style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD))),
    );
    let rows = h
        .endpoints
        .iter()
        .map(|e| endpoint_row(e, stale, now, theme));
    let widths = [
        Constraint::Length(18),
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(28),
        Constraint::Min(10),
    ];
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn endpoint_row<'a>(e: &EndpointStatus, stale: bool, now: i64, theme: &Theme) -> Row<'a> {
    let c = &theme.colors;
    let dash = || "-".to_string();
    let (state, style) = match (stale, e.up) {
        (true, _) => ("? stale".to_string(), Style::new().fg(c.muted.0)),
        (false, true) => ("● up".to_string(), alert_style(Alert::Ok, theme)),
        (false, false) => ("✗ DOWN".to_string(), alert_style(Alert::Bad, theme)),
    };
    let i = &e.info;
    let tls = match &e.cert {
        Some(cert) => {
            let days = cert.days_left(now);
            let a = cert_alert(days);
            let mark = match a {
                Alert::Ok => "",
                Alert::Warn => "~ ",
                Alert::Bad => "! ",
            };
            Cell::from(format!("{mark}{days}d {}", cert.issuer)).style(alert_style(a, theme))
        }
        None => Cell::from("-"),
    };
    let mut detail: Vec<String> = i.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let Some(err) = &e.error {
        detail.insert(0, err.clone());
    }
    let text = Style::new().fg(if stale { c.muted.0 } else { c.text.0 });
    Row::new(vec![
        Cell::from(e.name.clone()).style(text),
        Cell::from(state).style(style),
        Cell::from(e.http_status.map_or_else(dash, |s| s.to_string())).style(style),
        Cell::from(e.latency_ms.map_or_else(dash, |ms| format!("{ms} ms"))).style(text),
        Cell::from(i.status.clone().unwrap_or_else(dash)).style(text),
        Cell::from(i.database.clone().unwrap_or_else(dash)).style(text),
        Cell::from(i.version.clone().unwrap_or_else(dash)).style(text),
        Cell::from(i.build_number.clone().unwrap_or_else(dash)).style(text),
        Cell::from(i.build_commit.clone().unwrap_or_else(dash)).style(text),
        Cell::from(i.uptime_s.map_or_else(dash, |u| age(u as i64))).style(text),
        tls,
        Cell::from(detail.join(" · ")).style(if e.up { text } else { style }),
    ])
}

/// The host's disks and memory, each against its thresholds.
fn resource_lines(
    r: &pilothouse_core::model::health::HostReport,
    stale: bool,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let muted = Style::new().fg(theme.colors.muted.0);
    let value = |a: Alert| if stale { muted } else { alert_style(a, theme) };
    let mut lines = Vec::new();
    for d in &r.disks {
        let pct = d.used_pct();
        let a = disk_alert(pct);
        let word = match a {
            Alert::Ok => "",
            Alert::Warn => "  WARNING",
            Alert::Bad => "  CRITICAL: \"no space left on device\" is next",
        };
        let label = if d.path == "/" {
            "disk /".to_string()
        } else {
            format!("docker root {}", d.path)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<28}"), muted),
            Span::styled(format!("{pct:>3}% used"), value(a)),
            Span::raw(format!(
                "  {} free of {} (on {}; warn {DISK_WARN}%, critical {DISK_CRITICAL}%)",
                bytes(d.avail_kb * 1024),
                bytes(d.size_kb * 1024),
                d.mount
            )),
            Span::styled(word, value(a)),
        ]));
    }
    if r.mem_total_kb > 0 {
        let used = r.mem_total_kb.saturating_sub(r.mem_available_kb);
        let pct = used * 100 / r.mem_total_kb;
        let a = if pct >= 95 {
            Alert::Bad
        } else if pct >= 85 {
            Alert::Warn
        } else {
            Alert::Ok
        };
        let load = r.load.map(|l| format!("{}.{:02}", l / 100, l % 100));
        lines.push(Line::from(vec![
            Span::styled(format!("{:<28}", "memory"), muted),
            Span::styled(format!("{pct:>3}% used"), value(a)),
            Span::raw(format!(
                "  {} of {} · load {} {} {} on {} CPUs",
                bytes(used * 1024),
                bytes(r.mem_total_kb * 1024),
                load[0],
                load[1],
                load[2],
                r.cpus
            )),
        ]));
    }
    lines
}

fn draw_host(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let muted = Style::new().fg(c.muted.0);
    let h = &env.health;
    let stale = !env.is_live() || h.host_stale(now);
    let title = format!(" host{} ", stale_label(env, stale && h.host.is_some()));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(muted)
        .title(Span::styled(
            title,
            Style::new().fg(if stale && h.host.is_some() {
                c.error.0
            } else {
                c.accent.0
            }),
        ));
    let Some(r) = &h.host else {
        frame.render_widget(
            Paragraph::new(Line::styled("no reading yet", muted)).block(block),
            area,
        );
        return;
    };
    let value = |a: Alert| if stale { muted } else { alert_style(a, theme) };
    let mut lines = Vec::new();
    if let Some(err) = &r.error {
        lines.push(Line::styled(
            format!("✗ {err}"),
            alert_style(Alert::Bad, theme),
        ));
    }
    lines.extend(resource_lines(r, stale, theme));
    if let Some(dd) = &h.docker_disk {
        let parts: Vec<String> = dd
            .rows
            .iter()
            .map(|row| {
                format!(
                    "{} {} ({} active) {}, reclaimable {}",
                    row.kind, row.total, row.active, row.size, row.reclaimable
                )
            })
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<28}", "docker disk"), muted),
            Span::raw(parts.join(" · ")),
        ]));
    }
    let unrotated: Vec<&str> = env
        .containers
        .iter()
        .filter(|k| k.inspected && k.details.lacks_log_rotation())
        .map(|k| k.service.as_str())
        .collect();
    if !unrotated.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<28}", "logs without rotation"), muted),
            Span::styled(
                format!(
                    "{} (json-file without max-size grows until the disk is full)",
                    unrotated.join(", ")
                ),
                value(Alert::Warn),
            ),
        ]));
    }
    if !stale {
        let width = usize::from(area.width.saturating_sub(2));
        lines.extend(host_history(h, width, now, theme));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The host's load and memory over the last 15 minutes, with their range.
fn host_history(
    h: &crate::state::HealthState,
    width: usize,
    now: i64,
    theme: &Theme,
) -> Vec<Line<'static>> {
    use super::spark;
    let muted = Style::new().fg(theme.colors.muted.0);
    let accent = Style::new().fg(theme.colors.accent.0);
    let bars = width.saturating_sub(28 + 44).clamp(10, 90);
    let load = |l: u32| format!("{}.{:02}", l / 100, l % 100);
    let mem = |kib: u32| bytes(u64::from(kib) * 1024);
    let line =
        |name: &str, chart: String, summary: Option<(u32, u32, u32)>, f: &dyn Fn(u32) -> String| {
            let said = summary.map_or_else(String::new, |(lo, hi, newest)| {
                format!("  min {} · max {} · now {}", f(lo), f(hi), f(newest))
            });
            Line::from(vec![
                Span::styled(format!("{name:<28}"), muted),
                Span::styled(chart, accent),
                Span::styled(said, muted),
            ])
        };
    let load_window = h.load_history.window(now);
    let load_cols = spark::squeeze(&load_window, bars);
    let load_max = load_cols
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(100);
    vec![
        line(
            "load (1 min) · last 15 min",
            spark::bars(&load_cols, 0, load_max),
            h.load_history.summary(now),
            &load,
        ),
        line(
            "memory used · last 15 min",
            spark::memory(&h.mem_history.window(now), bars),
            h.mem_history.summary(now),
            &mem,
        ),
    ]
}

//! The container table of the environment on screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::state::alert::Alert;
use crate::state::history::UsageHistory;
use crate::state::{EnvState, LinkStatus, health_alert, state_alert};
use crate::ui::theme::Theme;
use pilothouse_core::model::container::{ContainerInfo, Health, RunState, Usage};
use pilothouse_core::time::age;

pub fn draw(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let c = &theme.colors;
    let live = env.is_live();
    let visible = env.visible();
    let mut title = format!(
        " {} · {} · sort: {}",
        env.name,
        env.project_name,
        env.sort.label()
    );
    if !env.filter.is_empty() || env.filter_editing {
        let cursor = if env.filter_editing { "▏" } else { "" };
        title.push_str(&format!(
            " · filter: {}{cursor} ({} of {})",
            env.filter,
            visible.len(),
            env.containers.len()
        ));
    }
    if !live {
        title.push_str(" · STALE: not connected");
    }
    title.push(' ');
    let block = super::pane::env_block(env, &title, theme, !live);
    if env.containers.is_empty() && env.missing().is_empty() {
        let text = match env.link.status {
            LinkStatus::Connected => {
                format!("no containers in compose project {}", env.project_name)
            }
            LinkStatus::NotStarted => "not connected yet".to_string(),
            LinkStatus::Connecting if env.link.down_since.is_none() => "connecting…".to_string(),
            // The last error says how far the connection got (the host, its socket).
            _ => match &env.link.last_error {
                Some(e) => format!("no data: {e}"),
                None => "no data: the host has not been reached".to_string(),
            },
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(text, Style::new().fg(c.muted.0)))).block(block),
            area,
        );
        return;
    }
    let needle = env.filter.to_lowercase();
    let missing: Vec<crate::state::Missing> = env
        .missing()
        .into_iter()
        .filter(|m| needle.is_empty() || m.service.to_lowercase().contains(&needle))
        .collect();
    let widths = column_widths(env, &visible, &missing, live, area.width.saturating_sub(2));
    // The sparklines are two more columns, there only when they fit.
    let sparks = widths.len() == 12;
    let mut names = vec![
        "SERVICE",
        "CONTAINER",
        "IMAGE",
        "STATE",
        "HEALTH",
        "UP",
        "RST",
        "CPU",
        "MEM",
    ];
    if sparks {
        names.extend(["CPU 15m", "MEM 15m"]);
    }
    // Under host networking nothing is published: no empty column is announced.
    names.push(if env.containers.iter().any(|k| !k.ports.is_empty()) {
        "PORTS"
    } else {
        ""
    });
    let header = Row::new(names).style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let rows = visible
        .iter()
        .map(|k| {
            let usage = env.usage.get(&k.id).filter(|_| live);
            let history = env.history.get(&k.id).filter(|_| sparks);
            row(k, (usage, history, sparks), live, now, theme)
        })
        .chain(missing.iter().map(|m| missing_row(m, theme)));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut ts = TableState::default().with_selected(Some(env.selected_row));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// Every column sized to its content, the image reference (tag included) kept whole;
/// the container name (derived from project and service, so the column an operator
/// needs least) takes what is left, up to its own length, and gives way first; spare
/// room goes to the last column (ports), not to the names.
fn column_widths(
    env: &EnvState,
    visible: &[&ContainerInfo],
    missing: &[crate::state::Missing],
    live: bool,
    inner: u16,
) -> Vec<Constraint> {
    let longest = |it: &mut dyn Iterator<Item = usize>, header: usize| {
        it.max().unwrap_or(0).max(header).min(60) as u16
    };
    let service = longest(
        &mut visible
            .iter()
            .map(|k| k.service.chars().count())
            .chain(missing.iter().map(|m| m.service.chars().count())),
        7,
    );
    let image = longest(
        &mut visible
            .iter()
            .map(|k| display_image(&k.image).chars().count()),
        5,
    );
    let state = longest(
        &mut visible
            .iter()
            .map(|k| k.run_state.label().chars().count())
            .chain(missing.iter().map(|_| "missing".len())),
        5,
    );
    let health = longest(
        &mut visible.iter().map(|k| health_text(k, live).chars().count()),
        6,
    );
    // `512M/1.0G` with a limit, `512M` without.
    let limited = env.usage.values().any(|u| u.mem_limit > 0);
    let mem = if limited { 9 } else { 5 };
    // UP, RST, CPU, MEM: on a terminal too narrow for everything they give way (the
    // detail pane still has them), restarts first, after the container name.
    // [UP, RST, CPU, MEM], dropped in the order RST, UP, CPU, MEM.
    let mut small = [5u16, 3, 6, mem];
    let spacing = 9;
    let used =
        |small: &[u16; 4]| service + image + state + health + small.iter().sum::<u16>() + spacing;
    for i in [1, 0, 2, 3] {
        if used(&small) <= inner {
            break;
        }
        small[i] = 0;
    }
    let [up, rst, cpu, mem] = small;
    // A missing service's row says why in this column.
    let name = longest(
        &mut visible
            .iter()
            .map(|k| k.name.chars().count())
            .chain(missing.iter().map(|m| missing_why(m).chars().count())),
        9,
    );
    let room = inner.saturating_sub(used(&small));
    // The 15-minute sparklines (and their spacing) only when there is a history to
    // show and the names keep their whole length too.
    let sparks = live && !env.history.is_empty() && room >= name + 2 * (SPARK + 1);
    let room = room.saturating_sub(if sparks { 2 * (SPARK + 1) } else { 0 });
    // A name cut to a few letters says nothing: under 6 columns it is left out.
    let container = if room >= 6 { name.min(room) } else { 0 };
    let mut widths = vec![
        Constraint::Length(service),
        Constraint::Length(container),
        Constraint::Length(image),
        Constraint::Length(state),
        Constraint::Length(health),
        Constraint::Length(up),
        Constraint::Length(rst),
        Constraint::Length(cpu),
        Constraint::Length(mem),
    ];
    if sparks {
        widths.extend([Constraint::Length(SPARK), Constraint::Length(SPARK)]);
    }
    widths.push(Constraint::Fill(1));
    widths
}

/// The width of each sparkline column (15 minutes: 90 s a bar).
const SPARK: u16 = 10;

/// The health cell: stale rows never claim one (the host is not being watched).
fn health_text(k: &ContainerInfo, live: bool) -> String {
    if !live {
        "unknown".to_string()
    } else if k.health == Health::Unhealthy && k.failing_streak > 0 {
        format!("unhealthy ({})", k.failing_streak)
    } else {
        k.health.label().to_string()
    }
}

/// Why a service has no row of its own, in its container column.
fn missing_why(m: &crate::state::Missing) -> &'static str {
    if m.in_compose_files {
        "no container"
    } else {
        "deploy order names it; not in the compose files"
    }
}

/// A declared service with no container: no container, no state but `missing`.
fn missing_row<'a>(m: &crate::state::Missing, theme: &Theme) -> Row<'a> {
    let c = &theme.colors;
    let why = missing_why(m);
    let (state, alert) = if m.in_compose_files {
        ("missing", Alert::Bad)
    } else {
        ("unknown", Alert::Warn)
    };
    let style = alert_style(alert, theme);
    Row::new([
        Cell::from(m.service.clone()).style(Style::new().fg(c.text.0)),
        Cell::from(why).style(Style::new().fg(c.muted.0)),
        Cell::from("—").style(Style::new().fg(c.muted.0)),
        Cell::from(state).style(style),
        Cell::from("—").style(Style::new().fg(c.muted.0)),
    ])
}

fn row<'a>(
    k: &'a ContainerInfo,
    (usage, history, sparks): (Option<&Usage>, Option<&UsageHistory>, bool),
    live: bool,
    now: i64,
    theme: &Theme,
) -> Row<'a> {
    let c = &theme.colors;
    let text = Style::new().fg(c.text.0);
    let (state_style, health_style) = if live {
        // Colours follow the same judgement as the tab alert (state::*_alert).
        let state_style = alert_style(state_alert(&k.run_state), theme);
        let health_style = match k.health {
            Health::None => Style::new().fg(c.muted.0),
            h => alert_style(health_alert(h), theme),
        };
        (state_style, health_style)
    } else {
        let stale = Style::new().fg(c.muted.0).add_modifier(Modifier::DIM);
        (stale, stale)
    };
    let health = health_text(k, live);
    let up = if k.inspected {
        match k.run_state {
            RunState::Running | RunState::Paused => k.started_at.map(|t| age(now - t)),
            _ => k.finished_at.map(|t| format!("↓{}", age(now - t))),
        }
        .unwrap_or_default()
    } else {
        "…".to_string()
    };
    let row_style = if live {
        text
    } else {
        Style::new().fg(c.muted.0).add_modifier(Modifier::DIM)
    };
    let mut cells = vec![
        Cell::from(k.service.as_str()),
        Cell::from(k.name.as_str()),
        Cell::from(display_image(&k.image)),
        Cell::from(Span::styled(k.run_state.label(), state_style)),
        Cell::from(Span::styled(health, health_style)),
        Cell::from(up),
        Cell::from(if k.inspected {
            k.restart_count.to_string()
        } else {
            "…".into()
        }),
        Cell::from(
            usage
                .map(|u| format!("{:.1}%", f64::from(u.cpu_centipercent) / 100.0))
                .unwrap_or_default(),
        ),
        Cell::from(
            usage
                .map(|u| {
                    // The limit only when there is one: without, the host's memory is
                    // no limit worth a denominator.
                    if u.mem_limit > 0 {
                        format!("{}/{}", bytes(u.mem_used), bytes(u.mem_limit))
                    } else {
                        bytes(u.mem_used)
                    }
                })
                .unwrap_or_default(),
        ),
    ];
    if sparks {
        let spark = Style::new().fg(c.accent.0);
        let width = usize::from(SPARK);
        let (cpu, mem) = history.map_or_else(Default::default, |h| {
            (
                super::spark::cpu(&h.cpu.window(now), width),
                super::spark::memory(&h.mem_kib.window(now), width),
            )
        });
        cells.push(Cell::from(cpu).style(spark));
        cells.push(Cell::from(mem).style(spark));
    }
    cells.push(Cell::from(k.ports.join(",")));
    Row::new(cells).style(row_style)
}

/// The style of a cell that carries an alert.
pub(super) fn alert_style(a: Alert, theme: &Theme) -> Style {
    let c = &theme.colors;
    match a {
        Alert::Ok => Style::new().fg(c.ok.0),
        Alert::Warn => Style::new().fg(c.warning.0),
        Alert::Bad => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
    }
}

/// `512K`, `45M`, `1.9G`: short enough for a table cell.
pub(super) fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K * K {
        format!("{:.0}K", f / K)
    } else if f < K * K * K {
        format!("{:.0}M", f / K / K)
    } else {
        format!("{:.1}G", f / K / K / K)
    }
}

/// The image reference without its registry host (`127.0.0.1:5000/acme/web:v2` ->
/// `acme/web:v2`): the namespace and the tag are what an operator reads, so they are
/// never cut off. The first path part is a registry host when it has a `.` or a `:` or
/// is `localhost`, as Docker decides. The detail pane shows the image whole.
pub(super) fn display_image(image: &str) -> &str {
    match image.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            rest
        }
        _ => image,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn display_image_drops_only_the_registry_host() {
        use super::display_image;
        assert_eq!(display_image("127.0.0.1:5000/acme/web:v2"), "acme/web:v2");
        assert_eq!(display_image("ghcr.io/acme/web:v2"), "acme/web:v2");
        assert_eq!(display_image("localhost/web:v2"), "web:v2");
        assert_eq!(display_image("acme/web:v2"), "acme/web:v2");
        assert_eq!(display_image("web"), "web");
        assert_eq!(display_image("redis:7"), "redis:7");
        assert_eq!(super::bytes(512 * 1024), "512K");
        assert_eq!(super::bytes(45 * 1024 * 1024), "45M");
        assert_eq!(super::bytes(2040 * 1024 * 1024), "2.0G");
    }
}

//! A swarm environment: its services (the table), the selected service's tasks like
//! `docker service ps` (the lower pane), its nodes and its secrets and configs (views of
//! their own). Stale data is drawn dimmed with STALE in the title, never as healthy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::text::stamp;
use crate::state::swarm::SwarmView;
use crate::state::{EnvState, LinkStatus};
use crate::ui::theme::Theme;
use pilothouse_core::model::swarm::{SwarmService, SwarmState, SwarmTask};
use pilothouse_core::time::age;

/// The services table (the container table's place on a swarm).
pub fn draw_services_table(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    if let Some((view, _)) = reading(frame, area, env, " services ", theme) {
        draw_services(frame, area, env, view, now, theme);
    }
}

/// The selected service's tasks (the detail pane's place on a swarm).
pub fn draw_tasks_pane(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let Some(s) = env.swarm.as_ref().and_then(|v| v.state.as_ref()) else {
        return;
    };
    if let Some(service) = env.selected_service() {
        draw_tasks(frame, area, env, s, service, now, theme);
    }
}

/// The reading to draw, or a paragraph saying why there is none (then None).
fn reading<'a>(
    frame: &mut Frame,
    area: Rect,
    env: &'a EnvState,
    title: &str,
    theme: &Theme,
) -> Option<(&'a SwarmView, &'a SwarmState)> {
    let muted = Style::new().fg(theme.colors.muted.0);
    let Some(view) = &env.swarm else {
        let text = "this is a compose environment: nodes, services and secrets are a swarm's";
        frame.render_widget(
            Paragraph::new(Span::styled(text, muted))
                .block(super::pane::env_block(env, title, theme, false)),
            area,
        );
        return None;
    };
    match &view.state {
        Some(s) => Some((view, s)),
        None => {
            let text = match (env.link.status, &env.link.last_error) {
                (LinkStatus::NotStarted, _) => "not connected yet".to_string(),
                (LinkStatus::Connecting, _) if env.link.down_since.is_none() => {
                    "connecting…".to_string()
                }
                (LinkStatus::Connected, _) => "reading the swarm…".to_string(),
                // The last error says how far the connection got.
                (_, Some(e)) => format!("no data: {e}"),
                (_, None) => "no data: the manager has not been reached".to_string(),
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, muted)).block(super::pane::env_block(
                    env,
                    title,
                    theme,
                    !env.is_live(),
                )),
                area,
            );
            None
        }
    }
}

fn title(env: &EnvState, what: &str, view: &SwarmView) -> String {
    let stacks = if view.stacks.is_empty() {
        "every stack".to_string()
    } else {
        format!("stack {}", view.stacks.join(", "))
    };
    let mut t = format!(" {} · {what} · {stacks}", env.name);
    if !env.filter.is_empty() || env.filter_editing {
        let cursor = if env.filter_editing { "▏" } else { "" };
        let total = view.state.as_ref().map_or(0, |s| s.services.len());
        t.push_str(&format!(
            " · filter: {}{cursor} ({} of {total})",
            env.filter,
            view.visible(&env.filter).len()
        ));
    }
    if !env.is_live() {
        t.push_str(" · STALE: not connected");
    }
    t.push(' ');
    t
}

fn draw_services(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    view: &SwarmView,
    now: i64,
    theme: &Theme,
) {
    let c = &theme.colors;
    let live = env.is_live();
    let services = view.visible(&env.filter);
    let block = super::pane::env_block(env, &title(env, "services", view), theme, !live);
    let missing = if env.filter.is_empty() {
        view.missing()
    } else {
        Vec::new()
    };
    if services.is_empty() && missing.is_empty() {
        let empty = view.empty_stacks();
        let (text, style) = if !env.filter.is_empty() {
            ("no service matches the filter".to_string(), c.muted.0)
        } else if !empty.is_empty() {
            (
                format!(
                    "stack {} has no services: removed, or never deployed",
                    empty.join(", ")
                ),
                c.error.0,
            )
        } else {
            ("no services in the stacks watched".to_string(), c.muted.0)
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, Style::new().fg(style))).block(block),
            area,
        );
        return;
    }
    let header = Row::new([
        "SERVICE", "MODE", "REPLICAS", "IMAGE", "UPDATE", "PORTS", "AGE",
    ])
    .style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let name_w = services
        .iter()
        .map(|s| s.name.chars().count())
        .chain(missing.iter().map(|m| m.name.chars().count()))
        .max()
        .unwrap_or(0);
    let image_w = services
        .iter()
        .map(|s| s.image.chars().count())
        .max()
        .unwrap_or(0);
    let fit = |len: usize, header: usize| Constraint::Length(len.max(header).min(40) as u16);
    let widths = [
        fit(name_w, 7),
        Constraint::Length(10),
        Constraint::Length(8),
        fit(image_w, 5),
        Constraint::Fill(1),
        Constraint::Length(14),
        Constraint::Length(5),
    ];
    let gone = Style::new().fg(c.error.0).add_modifier(Modifier::BOLD);
    let rows = services
        .iter()
        .map(|s| service_row(s, live, now, theme))
        .chain(missing.iter().map(|m| {
            Row::new([
                Cell::from(m.name.clone()).style(gone),
                Cell::from("missing").style(gone),
                Cell::from("-").style(gone),
                Cell::from(""),
                Cell::from(m.why()).style(gone),
            ])
        }));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut ts = TableState::default().with_selected(Some(env.selected_row));
    frame.render_stateful_widget(table, area, &mut ts);
}

fn service_row<'a>(s: &SwarmService, live: bool, now: i64, theme: &Theme) -> Row<'a> {
    let c = &theme.colors;
    let stale = Style::new().fg(c.muted.0).add_modifier(Modifier::DIM);
    let plain = if live {
        Style::new().fg(c.text.0)
    } else {
        stale
    };
    let short = s.running < s.desired;
    let replicas_style = match (live, short) {
        (false, _) => stale,
        (true, true) => Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        (true, false) => Style::new().fg(c.ok.0),
    };
    let update_style = match s.update_state.as_str() {
        _ if !live => stale,
        "paused" | "rollback_started" | "rollback_paused" | "rollback_completed" => {
            Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)
        }
        "updating" => Style::new().fg(c.warning.0),
        _ => Style::new().fg(c.muted.0),
    };
    let update = match (s.update_state.as_str(), s.update_message.as_str()) {
        ("", _) => String::new(),
        (state, "") => state.to_string(),
        (state, message) => format!("{state}: {message}"),
    };
    let replicas = if live {
        format!("{}/{}", s.running, s.desired)
    } else {
        format!("{}/{}?", s.running, s.desired)
    };
    Row::new([
        Cell::from(s.name.clone()).style(plain),
        Cell::from(s.mode.clone()).style(plain),
        Cell::from(replicas).style(replicas_style),
        Cell::from(s.image.clone()).style(plain),
        Cell::from(update).style(update_style),
        Cell::from(s.ports.join(" ")).style(plain),
        Cell::from(s.created.map(|t| age(now - t)).unwrap_or_default()).style(plain),
    ])
}

fn draw_tasks(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    s: &SwarmState,
    service: &SwarmService,
    now: i64,
    theme: &Theme,
) {
    let c = &theme.colors;
    let live = env.is_live();
    let stale_note = if live { "" } else { " · STALE" };
    let title = format!(" tasks of {}{stale_note} ", service.name);
    let block = super::pane::env_block(env, &title, theme, !live);
    let header = Row::new(["SLOT", "NODE", "DESIRED", "CURRENT", "IMAGE", "ERROR"])
        .style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let mut rows = Vec::new();
    let mut last_group: Option<(Option<i64>, String)> = None;
    let tasks = s.tasks_of(&service.id);
    let image_w = tasks
        .iter()
        .map(|t| t.image.chars().count())
        .max()
        .unwrap_or(0);
    let node_w = tasks
        .iter()
        .map(|t| s.hostname(&t.node_id).chars().count())
        .max()
        .unwrap_or(0);
    for t in tasks {
        let group = (
            t.slot,
            if t.slot.is_some() {
                String::new()
            } else {
                t.node_id.clone()
            },
        );
        // The slot's history is folded under its current task (` \_` like service ps).
        let history = last_group.as_ref() == Some(&group);
        last_group = Some(group);
        rows.push(task_row(t, s, history, live, now, theme));
    }
    let fit = |len: usize, header: usize| Constraint::Length(len.max(header).min(40) as u16);
    let widths = [
        Constraint::Length(7),
        fit(node_w, 4),
        Constraint::Length(9),
        Constraint::Length(22),
        fit(image_w, 5),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
}

fn task_row<'a>(
    t: &SwarmTask,
    s: &SwarmState,
    history: bool,
    live: bool,
    now: i64,
    theme: &Theme,
) -> Row<'a> {
    let c = &theme.colors;
    let stale = Style::new().fg(c.muted.0).add_modifier(Modifier::DIM);
    let plain = if live {
        Style::new().fg(c.text.0)
    } else {
        stale
    };
    let muted = if live {
        Style::new().fg(c.muted.0)
    } else {
        stale
    };
    let state_style = match t.state.as_str() {
        _ if !live => stale,
        _ if history => muted,
        "running" => Style::new().fg(c.ok.0),
        "failed" | "rejected" | "orphaned" => {
            Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)
        }
        _ => Style::new().fg(c.warning.0),
    };
    let slot = match (history, t.slot) {
        (true, _) => " \\_".to_string(),
        (false, Some(n)) => n.to_string(),
        (false, None) => "global".to_string(),
    };
    let current = match t.since {
        Some(at) => format!("{} {} ago", t.state, age(now - at)),
        None => t.state.clone(),
    };
    let error = if t.error.is_empty() && t.state != "running" {
        t.message.clone()
    } else {
        t.error.clone()
    };
    Row::new([
        Cell::from(slot).style(muted),
        Cell::from(s.hostname(&t.node_id).to_string()).style(if history { muted } else { plain }),
        Cell::from(t.desired_state.clone()).style(muted),
        Cell::from(current).style(state_style),
        Cell::from(t.image.clone()).style(if history { muted } else { plain }),
        Cell::from(error).style(if live {
            Style::new().fg(c.error.0)
        } else {
            stale
        }),
    ])
}

/// The nodes of the swarm: role, availability, status, manager status, engine, tasks.
pub fn draw_nodes(frame: &mut Frame, area: Rect, env: &EnvState, theme: &Theme) {
    let Some((view, s)) = reading(frame, area, env, " nodes ", theme) else {
        return;
    };
    let c = &theme.colors;
    let live = env.is_live();
    let stale = Style::new().fg(c.muted.0).add_modifier(Modifier::DIM);
    let plain = if live {
        Style::new().fg(c.text.0)
    } else {
        stale
    };
    let header = Row::new([
        "HOSTNAME",
        "ROLE",
        "AVAILABILITY",
        "STATUS",
        "MANAGER",
        "ENGINE",
        "TASKS",
    ])
    .style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let rows = s.nodes.iter().map(|n| {
        let alert = if live {
            Style::new().fg(c.error.0).add_modifier(Modifier::BOLD)
        } else {
            stale
        };
        let good = if live { Style::new().fg(c.ok.0) } else { stale };
        let availability = if n.availability == "active" || !live {
            plain
        } else {
            Style::new().fg(c.warning.0)
        };
        Row::new([
            Cell::from(n.hostname.clone()).style(plain),
            Cell::from(n.role.clone()).style(plain),
            Cell::from(n.availability.clone()).style(availability),
            Cell::from(n.status.clone()).style(if n.status == "ready" { good } else { alert }),
            Cell::from(n.manager_status.clone()).style(if n.manager_status == "unreachable" {
                alert
            } else {
                plain
            }),
            Cell::from(n.engine_version.clone()).style(plain),
            Cell::from(s.running_on(&n.id).to_string()).style(plain),
        ])
    });
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(11),
        Constraint::Length(16),
        Constraint::Length(5),
    ];
    let block = super::pane::env_block(env, &title(env, "nodes", view), theme, !live);
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut ts = TableState::default().with_selected(Some(view.node_row));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// Secrets and configs by name, when they were created and who uses them; their values
/// are never read (the engine does not give them).
pub fn draw_secrets(frame: &mut Frame, area: Rect, env: &EnvState, now: i64, theme: &Theme) {
    let Some((view, s)) = reading(frame, area, env, " secrets and configs ", theme) else {
        return;
    };
    let c = &theme.colors;
    let live = env.is_live();
    let plain = if live {
        Style::new().fg(c.text.0)
    } else {
        Style::new().fg(c.muted.0).add_modifier(Modifier::DIM)
    };
    let block = super::pane::env_block(
        env,
        &title(env, "secrets and configs (names only)", view),
        theme,
        !live,
    );
    if s.secrets.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                "no secrets or configs",
                Style::new().fg(c.muted.0),
            )))
            .block(block),
            area,
        );
        return;
    }
    let header = Row::new(["NAME", "KIND", "CREATED", "USED BY"])
        .style(Style::new().fg(c.muted.0).add_modifier(Modifier::BOLD));
    let rows = s.secrets.iter().map(|x| {
        Row::new([
            Cell::from(x.name.clone()).style(plain),
            Cell::from(x.kind.clone()).style(plain),
            Cell::from(x.created.map(|t| stamp(t, now)).unwrap_or_default()).style(plain),
            Cell::from(x.services.join(", ")).style(plain),
        ])
    });
    let widths = [
        Constraint::Length(30),
        Constraint::Length(7),
        Constraint::Length(16),
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

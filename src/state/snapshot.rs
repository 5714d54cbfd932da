//! Incident snapshots: what the console knows about an environment, as markdown, for
//! attaching to an incident. This part is pure (from State); the backend adds the last
//! log lines of every service and the host's audit records, masks secrets and writes
//! the file.

use std::fmt::Write as _;

use crate::state::EnvState;
use pilothouse_core::time::utc;

/// The part of a snapshot the console already holds: connection, containers, health,
/// the database pool and the queue. Stale readings are labelled so.
pub fn summary(env: &EnvState, now: i64) -> String {
    let mut out = String::new();
    let live = env.is_live();
    let _ = writeln!(out, "# Incident snapshot: {} · {}\n", env.name, utc(now));
    let _ = writeln!(
        out,
        "- host: {} · project {}{}",
        env.target,
        env.project_name,
        if env.protected { " · PROTECTED" } else { "" }
    );
    let _ = writeln!(
        out,
        "- connection: {}{}",
        match env.link.status {
            crate::state::LinkStatus::Connected => "connected",
            crate::state::LinkStatus::Connecting => "connecting",
            crate::state::LinkStatus::Disconnected => "DISCONNECTED",
            crate::state::LinkStatus::NotStarted => "not connected yet",
        },
        env.link
            .last_error
            .as_ref()
            .map(|e| format!(" · last error: {e}"))
            .unwrap_or_default()
    );
    if !live {
        let _ = writeln!(
            out,
            "- **STALE**: not connected; everything below is the last reading, not the present"
        );
    }
    match &env.swarm {
        Some(view) => swarm(&mut out, view, now),
        None => containers(&mut out, env, now),
    }
    health(&mut out, env, now);
    pool(&mut out, env, now);
    queue(&mut out, env, now);
    timeline(&mut out, env, now);
    out
}

/// The last hour of the timeline, oldest first, on the host's clock in UTC.
fn timeline(out: &mut String, env: &EnvState, now: i64) {
    let _ = writeln!(out, "\n## What changed in the last hour (the timeline)\n");
    if let Some(i) = &env.timeline.incident {
        let change = i.change.as_ref().map_or_else(
            || "none seen".to_string(),
            |c| {
                format!(
                    "{} {}",
                    pilothouse_core::time::rfc3339_utc(c.time),
                    cell(&env.timeline.describe_change(c))
                )
            },
        );
        let _ = writeln!(
            out,
            "- **incident** since {} {} · the last change before it: {change}\n",
            pilothouse_core::time::rfc3339_utc(i.since),
            cell(&i.first),
        );
    }
    let since = (now - 3_600).saturating_mul(1_000_000_000) + env.timeline.clock_offset;
    let last: Vec<_> = env
        .timeline
        .entries
        .iter()
        .filter(|e| e.time >= since)
        .collect();
    if last.is_empty() {
        let _ = writeln!(out, "nothing recorded");
        return;
    }
    for e in last {
        let _ = writeln!(
            out,
            "- {} · {} · {} · {}",
            pilothouse_core::time::rfc3339_utc(e.time),
            e.source.name(),
            cell(&e.subject),
            cell(&e.summary)
        );
    }
}

fn containers(out: &mut String, env: &EnvState, now: i64) {
    let _ = writeln!(out, "\n## Containers\n");
    if env.containers.is_empty() {
        let _ = writeln!(out, "none seen");
        return;
    }
    let _ = writeln!(
        out,
        "| service | container | image | state | health | restarts | since |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let mut rows: Vec<_> = env.containers.iter().collect();
    rows.sort_by(|a, b| a.service.cmp(&b.service).then(a.name.cmp(&b.name)));
    for c in rows {
        let since = match c.run_state {
            pilothouse_core::model::container::RunState::Running => c.started_at,
            _ => c.finished_at,
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.service),
            cell(&c.name),
            cell(&c.image),
            c.run_state.label(),
            c.health.label(),
            c.restart_count,
            since.map_or("?".into(), |t| format!("{} ({}s ago)", utc(t), now - t))
        );
    }
}

/// A swarm's services, each with its tasks (like `docker service ps`), and its nodes.
fn swarm(out: &mut String, view: &crate::state::swarm::SwarmView, now: i64) {
    let Some(s) = &view.state else {
        let _ = writeln!(out, "\n## Services\n\nnone read");
        return;
    };
    let _ = writeln!(out, "\n## Services\n");
    let _ = writeln!(out, "| service | mode | replicas | image | update |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for svc in &s.services {
        let _ = writeln!(
            out,
            "| {} | {} | {}/{} | {} | {} {} |",
            cell(&svc.name),
            svc.mode,
            svc.running,
            svc.desired,
            cell(&svc.image),
            cell(&svc.update_state),
            cell(&svc.update_message)
        );
    }
    let _ = writeln!(out, "\n## Tasks\n");
    let _ = writeln!(
        out,
        "| task | node | desired | state | since | image | error |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for svc in &s.services {
        for t in s.tasks_of(&svc.id) {
            let _ = writeln!(
                out,
                "| {}.{} | {} | {} | {} | {} | {} | {} |",
                cell(pilothouse_core::model::swarm::short_name(svc)),
                t.slot.map_or_else(|| "-".to_string(), |n| n.to_string()),
                cell(s.hostname(&t.node_id)),
                t.desired_state,
                t.state,
                t.since
                    .map_or("?".into(), |x| format!("{} ({}s ago)", utc(x), now - x)),
                cell(&t.image),
                cell(&t.error)
            );
        }
    }
    let _ = writeln!(out, "\n## Nodes\n");
    let _ = writeln!(
        out,
        "| node | role | availability | status | manager | engine | tasks |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for n in &s.nodes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&n.hostname),
            n.role,
            n.availability,
            n.status,
            n.manager_status,
            cell(&n.engine_version),
            s.running_on(&n.id)
        );
    }
}

fn health(out: &mut String, env: &EnvState, now: i64) {
    let h = &env.health;
    if h.names.is_empty() && h.host.is_none() {
        return;
    }
    let _ = writeln!(out, "\n## Health\n");
    if h.endpoints_stale(now) && !h.names.is_empty() {
        let _ = writeln!(out, "**STALE**: no recent answer from the endpoints\n");
    }
    for e in &h.endpoints {
        let _ = writeln!(
            out,
            "- {} ({}): {} · HTTP {} · {} ms{} · checked {}",
            cell(&e.name),
            cell(&e.url),
            if e.up { "up" } else { "DOWN" },
            e.http_status.map_or("-".into(), |s| s.to_string()),
            e.latency_ms.map_or("-".into(), |l| l.to_string()),
            e.error
                .as_ref()
                .map(|x| format!(" · {}", cell(x)))
                .unwrap_or_default(),
            utc(e.checked_at)
        );
    }
    if let Some(host) = &h.host {
        let _ = writeln!(
            out,
            "- host at {}{}: load {:.2} {:.2} {:.2} on {} cpus · memory {} of {} MiB available",
            utc(host.at),
            if h.host_stale(now) { " (STALE)" } else { "" },
            f64::from(host.load[0]) / 100.0,
            f64::from(host.load[1]) / 100.0,
            f64::from(host.load[2]) / 100.0,
            host.cpus,
            host.mem_available_kb / 1024,
            host.mem_total_kb / 1024
        );
        for d in &host.disks {
            let _ = writeln!(
                out,
                "- disk {} ({}): {} of {} MiB used, {} MiB free",
                cell(&d.path),
                cell(&d.mount),
                d.used_kb / 1024,
                d.size_kb / 1024,
                d.avail_kb / 1024
            );
        }
        if let Some(e) = &host.error {
            let _ = writeln!(out, "- host reading error: {}", cell(e));
        }
    }
}

fn pool(out: &mut String, env: &EnvState, now: i64) {
    let Some(p) = &env.pool else { return };
    let _ = writeln!(out, "\n## Database connection pool\n");
    if let Some((e, at)) = &p.error {
        let _ = writeln!(out, "- last error ({}): {}", utc(*at), cell(e));
    }
    let Some(sample) = &p.sample else {
        let _ = writeln!(out, "no reading");
        return;
    };
    let _ = writeln!(
        out,
        "- read {}{}: {} used of {} usable ({} free), max_connections {}",
        utc(sample.at),
        if p.is_stale(now) { " (STALE)" } else { "" },
        p.used().unwrap_or(0),
        p.slots().unwrap_or(0),
        p.free().unwrap_or(0),
        sample.max_connections
    );
    let _ = writeln!(
        out,
        "\n| service | application_name | connections | budget |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    for r in p.budget_rows() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}{} |",
            cell(&r.service),
            cell(&r.application_name),
            r.actual,
            r.budget,
            if r.over { " OVER" } else { "" }
        );
    }
    for (name, n) in p.unbudgeted() {
        let _ = writeln!(out, "| (no budget) | {} | {} | - |", cell(&name), n);
    }
    let by_state: Vec<String> = p
        .by_state()
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let _ = writeln!(out, "\n- by state: {}", by_state.join(", "));
    if let Some((ms, pid, app)) = p.longest_transaction() {
        let _ = writeln!(
            out,
            "- longest transaction: pid {pid} ({}) {} s",
            cell(&app),
            ms / 1000
        );
    }
    for (pid, app, by) in p.waiting() {
        let by: Vec<String> = by
            .iter()
            .map(|(p, a)| format!("{p} ({})", cell(a)))
            .collect();
        let _ = writeln!(
            out,
            "- pid {pid} ({}) waits on {}",
            cell(&app),
            by.join(", ")
        );
    }
}

fn queue(out: &mut String, env: &EnvState, now: i64) {
    let _ = writeln!(out, "\n## This console's queue\n");
    if env.queue.items.is_empty() {
        let _ = writeln!(out, "nothing queued in this session");
        return;
    }
    for item in env.queue.items.iter().rev().take(20) {
        let _ = writeln!(
            out,
            "- #{} {} · {} · {} s{}",
            item.id,
            cell(&item.plan.title()),
            item.status.label(),
            item.elapsed(now),
            item.error
                .as_ref()
                .map(|e| format!(" · {}", cell(e)))
                .unwrap_or_default()
        );
    }
}

/// Text for a markdown table cell or list item: one line, no `|`.
fn cell(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace('|', "\\|")
}

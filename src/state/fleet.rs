//! The fleet view: every environment in one table, worst first, with a roll-up row per
//! group. Everything here is read from the environments' own state; nothing is asked
//! of a host for it.

use super::alert::Alert;
pub use super::fleet_nav::{FIRST_SCREEN_ABOVE, FleetState};
use super::{EnvState, LinkStatus, State};
use pilothouse_core::model::container::{Health, RunState};

/// How an environment stands, worst first: what is known broken, then what cannot be
/// seen, then warnings, then what is still coming up, then nothing to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Ok,
    Connecting,
    Warning,
    Unreachable,
    Failing,
}

impl Standing {
    pub fn word(self) -> &'static str {
        match self {
            Standing::Failing => "FAILING",
            Standing::Unreachable => "UNREACHABLE",
            Standing::Warning => "warning",
            Standing::Connecting => "connecting",
            Standing::Ok => "ok",
        }
    }

    pub fn alert(self) -> Alert {
        match self {
            Standing::Failing | Standing::Unreachable => Alert::Bad,
            Standing::Warning | Standing::Connecting => Alert::Warn,
            Standing::Ok => Alert::Ok,
        }
    }
}

/// One thing wrong, a few words, and how bad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub text: String,
    pub alert: Alert,
}

/// One environment's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRow {
    /// Index into `State::envs`.
    pub env: usize,
    pub name: String,
    pub group: Option<String>,
    pub protected: bool,
    pub standing: Standing,
    /// Worst first.
    pub problems: Vec<Problem>,
    /// Containers (tasks on a swarm) running, and how many should.
    pub running: Option<(u64, u64)>,
    /// Containers with a health check that passes, of those with one.
    pub healthy: Option<(usize, usize)>,
    /// The database pool's free slots (None: no pool, or no fresh reading).
    pub pool_free: Option<i64>,
    /// The newest change someone made: when (Unix seconds) and what.
    pub change: Option<(i64, String)>,
    /// Who holds the host lock (another console, or maintenance).
    pub lock: Option<String>,
    /// The connection: its state in a word and since when (Unix seconds).
    pub link: (&'static str, Option<i64>),
    /// The stats are older than the connection (shown stale).
    pub stale: bool,
}

/// A group's roll-up: how many of its environments stand how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub name: String,
    pub worst: Standing,
    /// Environments in the group, and how many of them stand at each standing.
    pub total: usize,
    pub failing: usize,
    pub unreachable: usize,
    pub warning: usize,
}

/// A row of the fleet table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Group(GroupRow),
    Env(EnvRow),
}

impl Row {
    pub fn standing(&self) -> Standing {
        match self {
            Row::Group(g) => g.worst,
            Row::Env(e) => e.standing,
        }
    }
}

/// The fleet in a line: how many environments stand how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub failing: usize,
    pub unreachable: usize,
    pub warning: usize,
    pub connecting: usize,
    pub ok: usize,
}

/// Every environment's row, unfiltered, in configuration order.
pub fn env_rows(state: &State) -> Vec<EnvRow> {
    state
        .envs
        .iter()
        .enumerate()
        .map(|(i, e)| env_row(i, e, state.now))
        .collect()
}

/// How many environments stand how.
pub fn summary(rows: &[EnvRow]) -> Summary {
    let mut s = Summary {
        total: rows.len(),
        ..Summary::default()
    };
    for r in rows {
        match r.standing {
            Standing::Failing => s.failing += 1,
            Standing::Unreachable => s.unreachable += 1,
            Standing::Warning => s.warning += 1,
            Standing::Connecting => s.connecting += 1,
            Standing::Ok => s.ok += 1,
        }
    }
    s
}

/// What the fleet view shows: how every environment stands, and the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Of every environment, whatever the filter.
    pub summary: Summary,
    pub rows: Vec<Row>,
}

/// The fleet view's summary and rows, each environment's row computed once.
pub fn table(state: &State) -> Table {
    let all = env_rows(state);
    Table {
        summary: summary(&all),
        rows: arrange(all, &state.fleet.filter),
    }
}

/// The rows the fleet view shows: the filter applied, worst first; a group's
/// environments under its roll-up row, the group placed by its worst.
pub fn rows(state: &State) -> Vec<Row> {
    arrange(env_rows(state), &state.fleet.filter)
}

fn arrange(all: Vec<EnvRow>, filter: &str) -> Vec<Row> {
    let filter = filter.to_lowercase();
    let mut envs: Vec<EnvRow> = all
        .into_iter()
        .filter(|r| filter.is_empty() || r.matches(&filter))
        .collect();
    envs.sort_by(worst_first);
    // Blocks: a group (its roll-up and members) or one environment without a group.
    let mut blocks: Vec<Vec<Row>> = Vec::new();
    let mut group_of: Vec<(String, usize)> = Vec::new();
    for r in envs {
        let Some(g) = r.group.clone() else {
            blocks.push(vec![Row::Env(r)]);
            continue;
        };
        match group_of.iter().find(|(name, _)| *name == g) {
            Some((_, b)) => blocks[*b].push(Row::Env(r)),
            None => {
                group_of.push((g, blocks.len()));
                blocks.push(vec![Row::Env(r)]);
            }
        }
    }
    for (name, b) in group_of {
        let members: Vec<&EnvRow> = blocks[b]
            .iter()
            .filter_map(|r| match r {
                Row::Env(e) => Some(e),
                Row::Group(_) => None,
            })
            .collect();
        let count = |s: Standing| members.iter().filter(|m| m.standing == s).count();
        let roll = GroupRow {
            worst: members
                .iter()
                .map(|m| m.standing)
                .max()
                .unwrap_or(Standing::Ok),
            total: members.len(),
            failing: count(Standing::Failing),
            unreachable: count(Standing::Unreachable),
            warning: count(Standing::Warning),
            name,
        };
        blocks[b].insert(0, Row::Group(roll));
    }
    // Already worst first by their first member; a stable sort keeps that.
    blocks.sort_by_key(|b| std::cmp::Reverse(b.first().map_or(Standing::Ok, Row::standing)));
    blocks.into_iter().flatten().collect()
}

/// Worst standing first, then more problems, then the name.
fn worst_first(a: &EnvRow, b: &EnvRow) -> std::cmp::Ordering {
    b.standing
        .cmp(&a.standing)
        .then(b.problems.len().cmp(&a.problems.len()))
        .then(a.name.cmp(&b.name))
}

impl EnvRow {
    /// Whether the (lowercased) filter is in its name, group or one of its problems.
    pub fn matches(&self, filter: &str) -> bool {
        self.name.to_lowercase().contains(filter)
            || self
                .group
                .as_ref()
                .is_some_and(|g| g.to_lowercase().contains(filter))
            || self.standing.word().to_lowercase().contains(filter)
            || self
                .problems
                .iter()
                .any(|p| p.text.to_lowercase().contains(filter))
    }
}

/// One environment's row as of `now`.
pub fn env_row(index: usize, e: &EnvState, now: i64) -> EnvRow {
    let live = e.is_live();
    let mut problems = Vec::new();
    let link = match e.link.status {
        LinkStatus::Connected => ("up", e.link.up_since),
        LinkStatus::Connecting if e.link.down_since.is_none() => ("connecting", None),
        LinkStatus::NotStarted => ("waiting", None),
        _ => ("DOWN", e.link.down_since),
    };
    if link.0 == "DOWN" {
        // Why, in its own words (the status says it is unreachable).
        let why = e.link.last_error.as_deref().unwrap_or("no connection");
        problems.push(Problem {
            text: why.lines().next().unwrap_or(why).to_string(),
            alert: Alert::Bad,
        });
    }
    if live {
        live_problems(e, now, &mut problems);
    }
    if let Some(h) = &e.queue.lock_holder
        && !h.ours
    {
        problems.push(Problem {
            text: if h.maintenance.is_some() {
                "maintenance".into()
            } else {
                "lock held".into()
            },
            alert: Alert::Warn,
        });
    }
    problems.sort_by_key(|p| std::cmp::Reverse(p.alert));
    let standing = standing(e, &problems);
    EnvRow {
        env: index,
        name: e.name.clone(),
        group: e.group.clone(),
        protected: e.protected,
        standing,
        running: running(e),
        healthy: healthy(e),
        pool_free: e
            .pool
            .as_ref()
            .filter(|p| live && p.error.is_none() && !p.is_stale(now))
            .and_then(|p| p.free()),
        change: e
            .timeline
            .change_before(i64::MAX)
            .map(|c| (c.time / 1_000_000_000, e.timeline.describe_change(c))),
        lock: e
            .queue
            .lock_holder
            .as_ref()
            .filter(|h| !h.ours)
            .map(|h| h.describe()),
        link,
        stale: !live && !e.containers.is_empty(),
        problems,
    }
}

fn standing(e: &EnvState, problems: &[Problem]) -> Standing {
    match e.link.status {
        LinkStatus::Connected => {}
        LinkStatus::Connecting | LinkStatus::Disconnected if e.link.down_since.is_some() => {
            return Standing::Unreachable;
        }
        LinkStatus::Disconnected => return Standing::Unreachable,
        LinkStatus::Connecting | LinkStatus::NotStarted => return Standing::Connecting,
    }
    match problems.iter().map(|p| p.alert).max() {
        Some(Alert::Bad) => Standing::Failing,
        Some(Alert::Warn) => Standing::Warning,
        _ => Standing::Ok,
    }
}

/// What a live environment has wrong: containers, its swarm, checks and endpoints, the
/// pool, the queues, the disks.
fn live_problems(e: &EnvState, now: i64, out: &mut Vec<Problem>) {
    let mut add = |n: usize, what: &str, alert: Alert| {
        if n > 0 {
            out.push(Problem {
                text: format!("{n} {what}"),
                alert,
            });
        }
    };
    let n = e.counts();
    add(n.unhealthy, "unhealthy", Alert::Bad);
    let exited = e
        .containers
        .iter()
        .filter(|c| {
            matches!(c.run_state, RunState::Exited { code } if code != 0)
                || c.run_state == RunState::Dead
        })
        .count();
    add(exited, "exited", Alert::Bad);
    add(n.missing, "missing", Alert::Bad);
    add(n.restarting, "restarting", Alert::Warn);
    if let Some(s) = e.swarm.as_ref().and_then(|v| v.counts()) {
        add(s.missing, "missing", Alert::Bad);
        add(s.nodes - s.nodes_ready, "node down", Alert::Bad);
        add(
            s.services - s.missing - s.converged,
            "not converged",
            Alert::Bad,
        );
    }
    let h = &e.health;
    add(h.failing_checks(now), "check failing", Alert::Bad);
    if !h.names.is_empty() && !h.endpoints_stale(now) {
        add(h.down(), "endpoint down", Alert::Bad);
    }
    match (e.pool_alert(now), e.pool.as_ref().and_then(|p| p.free())) {
        (Alert::Bad, _) => add(1, "pool: none free", Alert::Bad),
        (Alert::Warn, Some(f)) if e.pool.as_ref().is_some_and(|p| p.error.is_none()) => {
            out.push(Problem {
                text: format!("pool low ({f} free)"),
                alert: Alert::Warn,
            });
        }
        (Alert::Warn, _) => add(1, "pool unread", Alert::Warn),
        _ => {}
    }
    if let Some(j) = &e.jobs {
        for p in j.problems(now) {
            out.push(Problem {
                text: p.short(),
                alert: p.alert(),
            });
        }
    }
    if let Some(r) = e.health.host.as_ref().filter(|_| !e.health.host_stale(now)) {
        for d in &r.disks {
            let a = super::health::disk_alert(d.used_pct());
            if a != Alert::Ok && !out.iter().any(|p| p.text.starts_with("disk")) {
                out.push(Problem {
                    text: format!("disk {}%", d.used_pct()),
                    alert: a,
                });
            }
        }
    }
}

/// Containers running of all that should (tasks running of desired on a swarm).
fn running(e: &EnvState) -> Option<(u64, u64)> {
    if let Some(v) = &e.swarm {
        return v.counts().map(|s| (s.running, s.desired));
    }
    if !e.listed && e.containers.is_empty() {
        return None;
    }
    let n = e.counts();
    Some((n.running as u64, n.total as u64))
}

/// Containers whose health check passes, of those that have one.
fn healthy(e: &EnvState) -> Option<(usize, usize)> {
    let checked: Vec<_> = e
        .containers
        .iter()
        .filter(|c| c.health != Health::None)
        .collect();
    if checked.is_empty() {
        return None;
    }
    let ok = checked
        .iter()
        .filter(|c| c.health == Health::Healthy)
        .count();
    Some((ok, checked.len()))
}

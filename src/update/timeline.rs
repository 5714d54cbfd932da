//! What the console sees while it runs, for the timeline: each alert of a health
//! endpoint, a team's check, the database pool or a queue is noted when it starts and
//! when it ends (not while it lasts). A container's or a swarm's trouble is the
//! engine's to tell; it is followed here only to know the incident: since when
//! something has been wrong, and the change someone made before that. Nothing is
//! judged while the connection is down: stale readings neither start nor end an alert.

use std::collections::BTreeMap;

use pilothouse_core::model::timeline::Kind;

use crate::input::action::{Action, Effect};
use crate::state::jobs::Problem;
use crate::state::logs::{Around, Before};
use crate::state::timeline::Trouble;
use crate::state::{EnvState, LinkStatus, State, View};
use pilothouse_core::model::container::{Health, RunState};
use pilothouse_core::model::timeline::Entry;

/// The pool's warning: this many free connections or fewer.
const LOW_FREE: i64 = 3;

/// An alert found in the readings now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub subject: String,
    pub text: String,
    /// Noted in the timeline by this console (else the engine tells it).
    pub noted: bool,
}

impl Found {
    /// `web: unhealthy`: the subject, then what is wrong (once, when the text names it).
    pub fn summary(&self) -> String {
        if self.text.starts_with(&self.subject) || self.subject.is_empty() {
            self.text.clone()
        } else {
            format!("{}: {}", self.subject, self.text)
        }
    }
}

fn found(kind: Kind, subject: &str, text: String, noted: bool) -> Found {
    Found {
        kind,
        subject: subject.to_string(),
        text,
        noted,
    }
}

/// The alerts now, by a key that stays the same while each lasts.
pub fn alerts(e: &EnvState, now: i64) -> BTreeMap<String, Found> {
    let mut out = BTreeMap::new();
    readings(e, now, &mut out);
    containers(e, &mut out);
    swarm(e, &mut out);
    let key = |service: &str| format!("errors:{service}");
    let was = |service: &str| e.timeline.alerts.contains_key(&key(service));
    for b in e.errors.bursts(now, was) {
        let f = found(Kind::ErrorBurst, &b.service, b.text(), true);
        out.insert(key(&b.service), f);
    }
    out
}

/// Health endpoints, checks, the pool and the queues: this console's to note.
fn readings(e: &EnvState, now: i64, out: &mut BTreeMap<String, Found>) {
    for ep in e.health.endpoints.iter().filter(|ep| !ep.up) {
        let why = ep
            .error
            .clone()
            .or_else(|| ep.http_status.map(|s| format!("HTTP {s}")))
            .unwrap_or_else(|| "down".into());
        let subject = if ep.service.is_empty() {
            &ep.name
        } else {
            &ep.service
        };
        let text = format!("health endpoint {} failing: {why}", ep.name);
        out.insert(
            format!("endpoint:{}", ep.name),
            found(Kind::Check, subject, text, true),
        );
    }
    for c in e.health.checks.iter().filter(|c| !c.ok) {
        let text = format!("check {} failing: {}", c.name, c.detail);
        out.insert(
            format!("check:{}", c.name),
            found(Kind::Check, &c.name, text, true),
        );
    }
    if let Some(free) = e.pool.as_ref().and_then(|p| p.free()) {
        let db = "the database";
        if free <= 0 {
            let text = "no free connections".to_string();
            out.insert("pool:none".into(), found(Kind::Pool, db, text, true));
        }
        if free <= LOW_FREE {
            let text = format!("{LOW_FREE} or fewer free connections");
            out.insert("pool:low".into(), found(Kind::Pool, db, text, true));
        }
    }
    for p in e.jobs.as_ref().map(|j| j.problems(now)).unwrap_or_default() {
        let (key, subject) = match &p {
            Problem::NoWorker { queue, .. } => (format!("queue:no-worker:{queue}"), queue.clone()),
            Problem::OldWaiting { queue, .. } => (format!("queue:old:{queue}"), queue.clone()),
            Problem::Failing { queue, .. } => (format!("queue:failing:{queue}"), queue.clone()),
            Problem::EvictingPolicy { .. } => ("redis:evicting".into(), "redis".into()),
            Problem::NearMaxMemory { .. } => ("redis:memory".into(), "redis".into()),
        };
        out.insert(key, found(Kind::Queue, &subject, p.text(), true));
    }
}

/// Containers unhealthy, exited with an error, dead or restarting, and services with
/// no container: the engine's to tell.
fn containers(e: &EnvState, out: &mut BTreeMap<String, Found>) {
    for c in &e.containers {
        let (kind, what) = match (&c.run_state, c.health) {
            (RunState::Exited { code }, _) if *code != 0 => (Kind::Die, format!("exited ({code})")),
            (RunState::Dead, _) => (Kind::Die, "dead".to_string()),
            (RunState::Restarting, _) => (Kind::Restart, "restarting".to_string()),
            (_, Health::Unhealthy) => (Kind::Health, "unhealthy".to_string()),
            _ => continue,
        };
        let text = format!("{} {what}", c.service);
        out.insert(
            format!("container:{}:{what}", c.name),
            found(kind, &c.service, text, false),
        );
    }
    for m in e.missing().iter().filter(|m| m.in_compose_files) {
        let text = format!("{} missing", m.service);
        out.insert(
            format!("missing:{}", m.service),
            found(Kind::Destroy, &m.service, text, false),
        );
    }
}

/// A swarm's services short of their replicas or with an update stopped, and nodes
/// that are not ready.
fn swarm(e: &EnvState, out: &mut BTreeMap<String, Found>) {
    let Some(state) = e.swarm.as_ref().and_then(|v| v.state.as_ref()) else {
        return;
    };
    for s in state.services.iter().filter(|s| s.alert()) {
        let short = pilothouse_core::model::swarm::short_name(s);
        let (kind, text) = if s.running < s.desired {
            let text = format!("{short} {}/{} running", s.running, s.desired);
            (Kind::TaskFailed, text)
        } else {
            (
                Kind::UpdateState,
                format!("{short} update {}", s.update_state),
            )
        };
        out.insert(
            format!("service:{}:{kind:?}", s.name),
            found(kind, &s.name, text, false),
        );
    }
    for n in state.nodes.iter().filter(|n| n.status != "ready") {
        let text = format!("node {} {}", n.hostname, n.status);
        out.insert(
            format!("node:{}", n.hostname),
            found(Kind::Node, &n.hostname, text, false),
        );
    }
}

/// When the engine's entries say a trouble about `subject` of `kind` began: the newest
/// such entry among the last few thousand, unless a recovery came after it (then this
/// trouble's own entry has not come yet).
fn engine_date(entries: &[Entry], kind: Kind, subject: &str) -> Option<i64> {
    let engines = entries.iter().rev().take(5_000).filter(|x| {
        x.subject == subject && x.source != pilothouse_core::model::timeline::Source::Console
    });
    for x in engines {
        let (trouble, recovery) = match kind {
            Kind::Health => (
                x.kind == Kind::Health && x.summary.contains("unhealthy"),
                (x.kind == Kind::Health && x.summary == "healthy") || x.kind == Kind::Start,
            ),
            Kind::Die => (
                matches!(x.kind, Kind::Die | Kind::Kill | Kind::Oom),
                x.kind == Kind::Start,
            ),
            Kind::Restart => (matches!(x.kind, Kind::Die | Kind::Oom), false),
            // An update rolled back or paused. Any other state it went into, or a new
            // image someone set, began another update: this trouble's own entry has
            // not come yet (an older rollback is not when this one began).
            Kind::UpdateState => {
                let state = new_update_state(x);
                let bad = state.is_some_and(|s| s.starts_with("rollback") || s == "paused");
                let new_image = x.kind == Kind::ServiceUpdate && x.summary.starts_with("image ");
                (bad, !bad && (state.is_some() || new_image))
            }
            Kind::Node => {
                let state = x.kind == Kind::Node && x.summary.starts_with("node state");
                let ready = x.summary.contains("→ ready");
                (state && !ready, state && ready)
            }
            k => (x.kind == k, false),
        };
        if trouble {
            return Some(x.time);
        }
        if recovery {
            return None;
        }
    }
    None
}

/// The update state a service's entry says it went into (`rollback_started`), if it
/// says one: `… update state updating → rollback_started` or, read from the service
/// itself, `an update began (its state now: paused…)`.
fn new_update_state(x: &Entry) -> Option<&str> {
    if !matches!(x.kind, Kind::UpdateState | Kind::ServiceUpdate) {
        return None;
    }
    let after = match x.summary.split_once("its state now: ") {
        Some((_, a)) => a,
        None => {
            x.summary
                .split_once("update state ")?
                .1
                .rsplit_once("→ ")?
                .1
        }
    };
    after
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .filter(|s| !s.is_empty())
}

/// Notes the alerts that started and ended since the last look, and what the incident
/// is now.
/// The alerts that started with this reading, by key (for the notices).
pub fn note(e: &mut EnvState, now: i64) -> Vec<(String, Found)> {
    let mut started = Vec::new();
    if e.link.status != LinkStatus::Connected {
        return started;
    }
    let now_alerts = alerts(e, now);
    let now_ns = now.saturating_mul(1_000_000_000);
    let host_now = now_ns + e.timeline.clock_offset;
    let before = std::mem::take(&mut e.timeline.alerts);
    for t in before.iter().filter(|(k, _)| !now_alerts.contains_key(*k)) {
        if t.1.noted {
            let text = format!("over: {}", t.1.text);
            e.timeline.saw(t.1.kind, &t.1.subject, text, now_ns);
        }
    }
    let mut kept = BTreeMap::new();
    for (key, f) in now_alerts {
        let mut t = match before.get(&key) {
            Some(t) => t.clone(),
            None => {
                if f.noted {
                    e.timeline.saw(f.kind, &f.subject, f.text.clone(), now_ns);
                }
                started.push((key.clone(), f.clone()));
                e.timeline.next_seq += 1;
                Trouble {
                    seq: e.timeline.next_seq,
                    kind: f.kind,
                    subject: f.subject,
                    text: f.text,
                    since: host_now,
                    dated: f.noted,
                    noted: f.noted,
                }
            }
        };
        // The engine's entry may come after the reading (or with the first read of the
        // host's history): it dates the trouble when it does.
        // Its time, not when this console first saw it (whole seconds of its clock, and
        // possibly after a read that came before the event).
        if !t.dated
            && let Some(at) = engine_date(&e.timeline.entries, t.kind, &t.subject)
        {
            t.since = at;
            t.dated = true;
        }
        kept.insert(key, t);
    }
    e.timeline.alerts = kept;
    e.timeline.incident = e.timeline.find_incident();
    started
}

/// `enter` in the timeline view: the log pane shows the highlighted entry's services
/// from [`crate::state::logs::AROUND_SECS`] before it to as long after (the engine's `since` and `until`);
/// esc in the pane gives it back as it was, following again.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    if action != Action::Logs || state.view != View::Timeline {
        return None;
    }
    let e = state.envs.get_mut(state.selected)?;
    let services = e.timeline_services();
    let entry = {
        let shown: Vec<&Entry> = e.timeline.shown(&services).collect();
        shown
            .len()
            .checked_sub(1 + e.timeline.cursor_from_end)
            .and_then(|i| shown.get(i))
            .map(|x| (*x).clone())
    };
    let Some(entry) = entry else {
        e.notice = Some("no entry to show the logs around".into());
        return Some(Vec::new());
    };
    let known = e.known_services();
    let wanted: Vec<String> = entry
        .subject
        .split(", ")
        .filter(|s| known.iter().any(|k| k == s))
        .map(str::to_string)
        .collect();
    if wanted.is_empty() {
        e.notice = Some(format!(
            "{} is not one of the environment's services: no logs around this entry",
            pilothouse_core::text::clean(&entry.subject, 80)
        ));
        return Some(Vec::new());
    }
    let pane = &mut e.logs;
    let before = pane.around.take().map_or(
        Before {
            open: pane.open,
            focused: pane.focused,
            target: pane.target,
            window: pane.window,
        },
        |a| a.before,
    );
    pane.around = Some(Around {
        services: wanted,
        at: entry.time.div_euclid(1_000_000_000),
        before,
    });
    pane.open = true;
    pane.focused = true;
    e.notice = None;
    state.view = View::Containers;
    Some(Vec::new())
}

/// An item of this console's queue ended: its entry as the host's audit trail will
/// tell it (the same action, operator, result and start), so the timeline and the
/// incident's "change before" have it at once rather than at the next connection.
pub fn item_ended(
    e: &mut EnvState,
    id: u64,
    outcome: pilothouse_core::model::job::Outcome,
    now: i64,
) {
    let Some(i) = e.queue.get(id) else {
        return;
    };
    let started = i.started.unwrap_or(now);
    let record = pilothouse_core::model::job::AuditEntry {
        time: now,
        operator: e.operator.clone(),
        environment: e.name.clone(),
        action: i.plan.kind.name(),
        targets: i.plan.targets.join(", "),
        result: outcome.as_str().to_string(),
        duration_ms: u64::try_from(now - started).unwrap_or(0) * 1000,
        exit_codes: String::new(),
        error: i.error.clone().unwrap_or_default(),
        console: String::new(),
    };
    let deployed = matches!(
        i.plan.kind,
        pilothouse_core::ops::OpKind::Deploy { .. } | pilothouse_core::ops::OpKind::Rollback { .. }
    )
    .then(|| format!("{}: {}", i.plan.title(), outcome.as_str()));
    let entry = pilothouse_core::model::timeline::audit_entry(&record);
    e.timeline.did(entry, now.saturating_mul(1_000_000_000));
    if let Some(summary) = deployed {
        let name = e.name.clone();
        e.notify.deploy_ended(&name, &summary, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilothouse_core::model::timeline::Source;

    fn swarm(at: i64, kind: Kind, summary: &str) -> Entry {
        Entry::new(
            at * 1_000_000_000,
            Source::Swarm,
            kind,
            "acme_app",
            summary.into(),
        )
    }

    #[test]
    fn an_update_rolled_back_is_dated_by_its_own_rollback_not_an_older_one() {
        let mut entries = vec![
            swarm(
                100,
                Kind::UpdateState,
                "update state updating → rollback_started",
            ),
            swarm(
                101,
                Kind::UpdateState,
                "update state rollback_started → rollback_completed",
            ),
            swarm(
                2000,
                Kind::ServiceUpdate,
                "image v1 → nosuchtag, update state rollback_completed → updating",
            ),
        ];
        // The new update's rollback has not been told yet: not dated (by the old one).
        assert_eq!(engine_date(&entries, Kind::UpdateState, "acme_app"), None);
        entries.push(swarm(
            2010,
            Kind::UpdateState,
            "image nosuchtag → v1, update state updating → rollback_started",
        ));
        assert_eq!(
            engine_date(&entries, Kind::UpdateState, "acme_app"),
            Some(2010 * 1_000_000_000)
        );
        // A state change out of a rollback is not a rollback, whatever it came from.
        entries.push(swarm(
            3000,
            Kind::UpdateState,
            "update state rollback_completed → updating",
        ));
        assert_eq!(engine_date(&entries, Kind::UpdateState, "acme_app"), None);
        // Read from the service itself.
        entries.push(swarm(
            3001,
            Kind::UpdateState,
            "an update began (its state now: paused: task failed)",
        ));
        assert_eq!(
            engine_date(&entries, Kind::UpdateState, "acme_app"),
            Some(3001 * 1_000_000_000)
        );
    }
}

//! What the console sees while it runs, for the timeline: each alert of a health
//! endpoint, a team's check, the database pool or a queue is noted when it starts and
//! when it ends (not while it lasts). Nothing is judged while the connection is down:
//! stale readings neither start nor end an alert.

use std::collections::BTreeMap;

use pilothouse_core::model::timeline::Kind;

use crate::state::jobs::Problem;
use crate::state::{EnvState, LinkStatus};

/// The pool's warning: this many free connections or fewer.
const LOW_FREE: i64 = 3;

/// The alerts now, by a key that stays the same while each lasts: its kind, subject
/// and what it is, in words.
pub fn alerts(e: &EnvState, now: i64) -> BTreeMap<String, (Kind, String, String)> {
    let mut out = BTreeMap::new();
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
        out.insert(
            format!("endpoint:{}", ep.name),
            (
                Kind::Check,
                subject.clone(),
                format!("health endpoint {} failing: {why}", ep.name),
            ),
        );
    }
    for c in e.health.checks.iter().filter(|c| !c.ok) {
        out.insert(
            format!("check:{}", c.name),
            (
                Kind::Check,
                c.name.clone(),
                format!("check {} failing: {}", c.name, c.detail),
            ),
        );
    }
    if let Some(free) = e.pool.as_ref().and_then(|p| p.free()) {
        let db = "the database".to_string();
        if free <= 0 {
            out.insert(
                "pool:none".into(),
                (Kind::Pool, db.clone(), "no free connections".into()),
            );
        }
        if free <= LOW_FREE {
            let text = format!("{LOW_FREE} or fewer free connections");
            out.insert("pool:low".into(), (Kind::Pool, db, text));
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
        out.insert(key, (Kind::Queue, subject, p.text()));
    }
    out
}

/// Notes the alerts that started and ended since the last look.
pub fn note(e: &mut EnvState, now: i64) {
    if e.link.status != LinkStatus::Connected {
        return;
    }
    let now_alerts = alerts(e, now);
    let now_ns = now.saturating_mul(1_000_000_000);
    let before = std::mem::take(&mut e.timeline.alerts);
    for (key, (kind, subject, text)) in &before {
        if !now_alerts.contains_key(key) {
            e.timeline
                .saw(*kind, subject, format!("over: {text}"), now_ns);
        }
    }
    for (key, (kind, subject, text)) in &now_alerts {
        if !before.contains_key(key) {
            e.timeline.saw(*kind, subject, text.clone(), now_ns);
        }
    }
    e.timeline.alerts = now_alerts;
}

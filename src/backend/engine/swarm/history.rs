//! What a swarm tells the timeline: the manager's service and node events (live, and
//! replayed from what it keeps), the tasks it rejected or that failed (their history
//! is kept per slot), and each service's last update.

use std::collections::{BTreeMap, HashMap, HashSet};

use bollard::Docker;
use bollard::models::{EventMessage, EventMessageTypeEnum};

use crate::engine::history::kept_events;
use pilothouse_core::model::swarm::{SwarmState, short_name};
use pilothouse_core::model::timeline::{Entry, SwarmEvent, swarm_entry, task_entry, update_entry};
use pilothouse_core::text::clean;
use pilothouse_core::time::rfc3339_nanos;

/// Whether a service of this name is one of the watched stacks' (all when none named).
fn watched(name: &str, stacks: &[String]) -> bool {
    stacks.is_empty()
        || stacks.iter().any(|s| {
            name.strip_prefix(s.as_str())
                .is_some_and(|r| r.starts_with('_'))
        })
}

/// One manager event as the timeline's entry: a watched service's, or any node's.
pub fn event_entry(ev: &EventMessage, stacks: &[String]) -> Option<Entry> {
    let typ = match ev.typ {
        Some(EventMessageTypeEnum::SERVICE) => "service",
        Some(EventMessageTypeEnum::NODE) => "node",
        _ => return None,
    };
    let actor = ev.actor.as_ref()?;
    let attrs: BTreeMap<String, String> = actor
        .attributes
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (clean(&k, 100), clean(&v, 200)))
        .collect();
    let name = attrs.get("name").cloned().unwrap_or_default();
    if typ == "service" && !watched(&name, stacks) {
        return None;
    }
    let time = ev
        .time_nano
        .or_else(|| ev.time.map(|t| t.saturating_mul(1_000_000_000)))?;
    let action = clean(ev.action.as_deref().unwrap_or_default(), 100);
    swarm_entry(&SwarmEvent {
        time,
        typ,
        action: &action,
        name: &name,
        attrs: &attrs,
    })
}

/// The rejected and failed tasks a read holds, labelled `app.2@worker`.
pub fn task_entries(state: &SwarmState) -> Vec<Entry> {
    let mut out = Vec::new();
    for svc in &state.services {
        for t in state.tasks_of(&svc.id) {
            let Some(at) = t
                .since_ns
                .or(t.since.map(|s| s.saturating_mul(1_000_000_000)))
            else {
                continue;
            };
            let node = state.hostname(&t.node_id);
            let short = short_name(svc);
            let label = match t.slot {
                Some(slot) => format!("{short}.{slot}@{node}"),
                None => format!("{short}@{node}"),
            };
            out.extend(task_entry(t, &svc.name, &label, at));
        }
    }
    out
}

/// Each service's last update, as the manager keeps it.
pub fn update_entries(state: &SwarmState) -> Vec<Entry> {
    state
        .services
        .iter()
        .filter_map(|s| update_entry(s, rfc3339_nanos(&s.update_started)?))
        .collect()
}

/// The watched services' and the nodes' events the manager still keeps, between two
/// times of its clock (Unix nanoseconds).
pub async fn replay(
    docker: &Docker,
    stacks: &[String],
    since: i64,
    until: i64,
) -> Result<Vec<Entry>, String> {
    let mut filters = HashMap::new();
    filters.insert(
        "type".to_string(),
        vec!["service".to_string(), "node".to_string()],
    );
    let events = kept_events(docker, filters, since, until).await?;
    Ok(events
        .iter()
        .filter_map(|ev| event_entry(ev, stacks))
        .collect())
}

/// The failed tasks already told, so each is told once: a read holds a task's history
/// for as long as the manager keeps it.
#[derive(Debug, Default)]
pub struct Told(HashSet<String>);

impl Told {
    /// The failed tasks of `state` not told before (none the first time: the timeline's
    /// read at connect tells those); what is told is what the read still holds.
    pub fn new_failures(&mut self, state: &SwarmState, first: bool) -> Vec<Entry> {
        let entries = task_entries(state);
        let task = |e: &Entry| e.fields.get("task").cloned().unwrap_or_default();
        let fresh: Vec<Entry> = entries
            .iter()
            .filter(|e| !first && !self.0.contains(&task(e)))
            .cloned()
            .collect();
        self.0 = entries.iter().map(task).collect();
        fresh
    }
}

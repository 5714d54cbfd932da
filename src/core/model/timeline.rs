//! The incident timeline: what changed on an environment and when, from every source
//! the console reads (the engine's events and what it still knows, the host's audit
//! trail, the env file's backups, what a console saw while it ran), on one time axis.
//!
//! Sources overlap (a container's start is both an engine event and its `StartedAt`),
//! so [`merge`] sorts and de-duplicates: any interleaving of the same entries gives the
//! same list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The Docker engine (a compose project's containers and images).
    Engine,
    /// A Docker Swarm (services, update states, tasks, nodes).
    Swarm,
    /// The host's audit trail: every action from every console.
    Audit,
    /// The env file's backups: which tag changed from what to what.
    EnvFile,
    /// What a console saw while it ran (checks, the pool, queues, error bursts, its
    /// connection).
    Console,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Engine => "engine",
            Source::Swarm => "swarm",
            Source::Audit => "audit",
            Source::EnvFile => "env-file",
            Source::Console => "console",
        }
    }
}

/// What happened, in kinds a filter can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Create,
    Start,
    /// A container stopped (its exit code in the fields).
    Die,
    Kill,
    Oom,
    Restart,
    /// A health status change (healthy, unhealthy, starting).
    Health,
    Pull,
    Destroy,
    ServiceCreate,
    ServiceUpdate,
    ServiceRemove,
    /// A swarm service's update state (updating, paused, rollback_started, ...).
    UpdateState,
    /// A swarm task rejected or failed, with the engine's error.
    TaskFailed,
    /// A swarm node down, ready, or its availability changed.
    Node,
    /// An action from the audit trail (deploy, restart, migrate, rollback, ...).
    Action,
    /// An env file's image tag changed.
    TagChange,
    /// A health endpoint or a team's check failing or recovering.
    Check,
    /// The pool crossing a threshold (3 free, 0 free) or back.
    Pool,
    /// A queue alert starting or ending.
    Queue,
    /// A service's error-level lines well above its own recent rate.
    ErrorBurst,
    /// The console's connection lost or back.
    Connection,
}

impl Kind {
    pub const ALL: [Kind; 22] = [
        Kind::Create,
        Kind::Start,
        Kind::Die,
        Kind::Kill,
        Kind::Oom,
        Kind::Restart,
        Kind::Health,
        Kind::Pull,
        Kind::Destroy,
        Kind::ServiceCreate,
        Kind::ServiceUpdate,
        Kind::ServiceRemove,
        Kind::UpdateState,
        Kind::TaskFailed,
        Kind::Node,
        Kind::Action,
        Kind::TagChange,
        Kind::Check,
        Kind::Pool,
        Kind::Queue,
        Kind::ErrorBurst,
        Kind::Connection,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Start => "start",
            Kind::Die => "die",
            Kind::Kill => "kill",
            Kind::Oom => "oom",
            Kind::Restart => "restart",
            Kind::Health => "health",
            Kind::Pull => "pull",
            Kind::Destroy => "destroy",
            Kind::ServiceCreate => "service_create",
            Kind::ServiceUpdate => "service_update",
            Kind::ServiceRemove => "service_remove",
            Kind::UpdateState => "update_state",
            Kind::TaskFailed => "task_failed",
            Kind::Node => "node",
            Kind::Action => "action",
            Kind::TagChange => "tag_change",
            Kind::Check => "check",
            Kind::Pool => "pool",
            Kind::Queue => "queue",
            Kind::ErrorBurst => "error_burst",
            Kind::Connection => "connection",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// When, in Unix nanoseconds of the host's clock.
    pub time: i64,
    pub source: Source,
    pub kind: Kind,
    /// The service, task, node, queue or `database` it happened to.
    pub subject: String,
    /// What happened, in plain words.
    pub summary: String,
    /// The source's own fields (an exit code, an image, an operator, old and new tags).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl Entry {
    pub fn new(time: i64, source: Source, kind: Kind, subject: &str, summary: String) -> Entry {
        Entry {
            time,
            source,
            kind,
            subject: subject.to_string(),
            summary,
            fields: BTreeMap::new(),
        }
    }

    /// With one of the source's own fields.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Entry {
        self.fields.insert(name.to_string(), value.into());
        self
    }

    /// What makes two entries the same fact when they are within a second of each
    /// other (an engine event and the engine's own record of it, read at connect; the
    /// same audit record read by two consoles). Two kills a moment apart with other
    /// signals are two facts.
    fn fact(&self) -> (Source, Kind, &str, &str) {
        (self.source, self.kind, &self.subject, &self.summary)
    }
}

const NS_PER_SEC: i64 = 1_000_000_000;

/// One ordered, de-duplicated list, oldest first, whatever the order of `entries`,
/// and merging it again changes nothing. Entries of the same fact (source, kind,
/// subject) within a second of the first of them are one: the first, with the fields
/// the others add.
pub fn merge(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort();
    entries.dedup();
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        let group = out
            .iter_mut()
            .rev()
            .take_while(|k| e.time - k.time <= NS_PER_SEC)
            .find(|k| k.fact() == e.fact());
        match group {
            Some(first) => {
                for (name, value) in e.fields {
                    first.fields.entry(name).or_insert(value);
                }
            }
            None => out.push(e),
        }
    }
    out
}

/// What the backend tells the console about its timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineEvent {
    /// Read at connect: the engine's kept events and records, the audit trail, the env
    /// file's backups (merged), the host's clock less this machine's (ns), and the
    /// sources that could not be read.
    Read {
        entries: Vec<Entry>,
        clock_offset: i64,
        missing: Vec<String>,
    },
    /// Reading failed as a whole.
    Failed(String),
    /// The engine just reported it.
    Happened(Entry),
}

/// An edge of the window a timeline is read for: so long before the host's now, or an
/// instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Seconds before now.
    Ago(i64),
    /// Unix nanoseconds.
    At(i64),
}

impl Bound {
    /// The edge in Unix nanoseconds, given the host's now.
    pub fn resolve(self, now: i64) -> i64 {
        match self {
            Bound::Ago(secs) => now.saturating_sub(secs.saturating_mul(NS_PER_SEC)),
            Bound::At(ns) => ns,
        }
    }
}

/// One event from the engine's stream, as the backend read it (every string already
/// sanitized).
#[derive(Debug, Clone, Default)]
pub struct EngineEvent<'a> {
    /// Unix nanoseconds, the engine's clock.
    pub time: i64,
    /// `container` or `image`.
    pub kind: &'a str,
    /// `start`, `die`, `health_status: unhealthy`, `pull`, ...
    pub action: &'a str,
    /// The compose service (else the container's name), or the image.
    pub subject: &'a str,
    pub container: &'a str,
    pub image: &'a str,
    /// `die`: the exit code; `kill`: the signal.
    pub exit_code: Option<&'a str>,
    pub signal: Option<&'a str>,
}

/// The timeline's line for an engine event, or None for one that changes nothing an
/// operator asks about (pause, rename, a health check's own exec).
pub fn engine_entry(ev: &EngineEvent) -> Option<Entry> {
    let (kind, summary) = match (ev.kind, ev.action) {
        ("image", "pull") => (Kind::Pull, format!("image {} pulled", ev.subject)),
        ("image", _) => return None,
        (_, "create") => (Kind::Create, format!("created from {}", ev.image)),
        (_, "start") => (Kind::Start, "started".to_string()),
        (_, "die") => (
            Kind::Die,
            format!("exited with code {}", ev.exit_code.unwrap_or("?")),
        ),
        (_, "kill") => (
            Kind::Kill,
            format!("sent signal {}", signal_name(ev.signal.unwrap_or("?"))),
        ),
        (_, "oom") => (Kind::Oom, "out of memory: the kernel killed it".to_string()),
        (_, "restart") => (Kind::Restart, "restarted".to_string()),
        (_, "destroy") => (Kind::Destroy, "removed".to_string()),
        (_, a) => {
            let status = a.strip_prefix("health_status: ")?;
            (Kind::Health, status.to_string())
        }
    };
    let mut e = Entry::new(ev.time, Source::Engine, kind, ev.subject, summary);
    if !ev.container.is_empty() {
        e = e.with("container", ev.container);
    }
    if let Some(code) = ev.exit_code.filter(|_| kind == Kind::Die) {
        e = e.with("exit_code", code);
    }
    if let Some(sig) = ev.signal.filter(|_| kind == Kind::Kill) {
        e = e.with("signal", sig);
    }
    Some(e)
}

/// `9` → `9 (SIGKILL)`: the signals an operator meets.
fn signal_name(signal: &str) -> String {
    let name = match signal {
        "1" => "SIGHUP",
        "2" => "SIGINT",
        "9" => "SIGKILL",
        "15" => "SIGTERM",
        _ => return signal.to_string(),
    };
    format!("{signal} ({name})")
}

/// What the engine still knows of a container (its inspect), for the time before the
/// events it keeps: every time in Unix nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct ContainerRecord {
    pub subject: String,
    pub container: String,
    pub image: String,
    pub created: Option<i64>,
    pub started: Option<i64>,
    /// Set once it stopped (the engine keeps the last stop while it runs again).
    pub finished: Option<i64>,
    pub running: bool,
    pub exit_code: i64,
    pub oom_killed: bool,
    pub restart_count: u32,
    /// The engine's last health checks, oldest first: (start, exit code, output).
    pub health_log: Vec<(i64, i64, String)>,
}

/// The timeline's lines for what the engine still knows of a container: its creation,
/// its last start, its last stop (with the exit code, and out-of-memory), and the first
/// failed health check of a failing streak it is still in.
pub fn record_entries(r: &ContainerRecord) -> Vec<Entry> {
    let at = |time: i64, kind: Kind, summary: String| {
        Entry::new(time, Source::Engine, kind, &r.subject, summary).with("container", &r.container)
    };
    let mut out = Vec::new();
    if let Some(t) = r.created {
        out.push(at(t, Kind::Create, format!("created from {}", r.image)));
    }
    if let Some(t) = r.started {
        let mut e = at(t, Kind::Start, "started".into());
        if r.restart_count > 0 {
            e = e.with("restart_count", r.restart_count.to_string());
        }
        out.push(e);
    }
    let stopped = r
        .finished
        .filter(|f| !r.running && r.started.is_none_or(|s| *f >= s));
    if let Some(t) = stopped {
        out.push(
            at(t, Kind::Die, format!("exited with code {}", r.exit_code))
                .with("exit_code", r.exit_code.to_string()),
        );
        if r.oom_killed {
            out.push(at(
                t,
                Kind::Oom,
                "out of memory: the kernel killed it".into(),
            ));
        }
    }
    let failing = r
        .health_log
        .iter()
        .rev()
        .take_while(|(_, code, _)| *code != 0);
    if let Some((t, code, output)) = failing.last().filter(|_| r.running) {
        out.push(
            at(*t, Kind::Health, format!("health check failing: {output}"))
                .with("exit_code", code.to_string()),
        );
    }
    out
}

/// The timeline's line for an audit record (the host's trail: every console's
/// actions). Its time is when the item started.
pub fn audit_entry(a: &crate::model::job::AuditEntry) -> Entry {
    let ended_ns = a.time.saturating_mul(NS_PER_SEC);
    let started = ended_ns.saturating_sub(i64::try_from(a.duration_ms).unwrap_or(0) * 1_000_000);
    let subject = if a.targets.is_empty() {
        a.environment.as_str()
    } else {
        a.targets.as_str()
    };
    let mut summary = format!("{} by {}: {}", a.action, a.operator, a.result);
    if !a.error.is_empty() {
        summary = format!("{summary} ({})", a.error);
    }
    Entry::new(started, Source::Audit, Kind::Action, subject, summary)
        .with("action", &a.action)
        .with("operator", &a.operator)
        .with("result", &a.result)
}

/// A swarm manager's service or node event, as the engine sends it.
#[derive(Debug, Clone)]
pub struct SwarmEvent<'a> {
    /// Unix nanoseconds.
    pub time: i64,
    /// `service` or `node`.
    pub typ: &'a str,
    /// `create`, `update`, `remove`.
    pub action: &'a str,
    /// The service's or the node's name.
    pub name: &'a str,
    /// What changed (`image.old`/`image.new`, `replicas.*`, `updatestate.*`,
    /// `state.*`, `availability.*`, `leader.*`, `reachability.*`), sanitized.
    pub attrs: &'a BTreeMap<String, String>,
}

/// The tag of an image reference (`registry:5000/acme/app:v2@sha256:…` → `v2`).
fn tag_of(image: &str) -> &str {
    let name = image.split('@').next().unwrap_or(image);
    match name.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') => tag,
        _ => name,
    }
}

/// One swarm event as the timeline's entry; None for one that says nothing an
/// operator asks about (a node's heartbeat update, a secret).
pub fn swarm_entry(ev: &SwarmEvent) -> Option<Entry> {
    let get = |k: &str| ev.attrs.get(k).map(String::as_str);
    let change = |what: &str, k: &str, show: &dyn Fn(&str) -> String| {
        let new = get(&format!("{k}.new"))?;
        Some(match get(&format!("{k}.old")) {
            Some(old) => format!("{what} {} → {}", show(old), show(new)),
            None => format!("{what} {}", show(new)),
        })
    };
    let plain = |s: &str| s.to_lowercase();
    let (kind, summary) = match (ev.typ, ev.action) {
        ("service", "create") => (Kind::ServiceCreate, "service created".to_string()),
        ("service", "remove") => (Kind::ServiceRemove, "service removed".to_string()),
        ("service", "update") => {
            let state = change("update state", "updatestate", &plain);
            let parts: Vec<String> = [
                change("image", "image", &|s: &str| tag_of(s).to_string()),
                change("replicas", "replicas", &|s: &str| s.to_string()),
                state.clone(),
            ]
            .into_iter()
            .flatten()
            .collect();
            // A spec someone changed is a change; the engine rolling it back or pausing
            // it (the spec back, the state new) is what followed.
            let engine_did = get("updatestate.new").is_some_and(|s| {
                let s = s.to_lowercase();
                s.starts_with("rollback") || s == "paused"
            });
            let spec = get("image.new").is_some() || get("replicas.new").is_some();
            let kind = if engine_did || (state.is_some() && !spec) {
                Kind::UpdateState
            } else {
                Kind::ServiceUpdate
            };
            let summary = if parts.is_empty() {
                "service updated".to_string()
            } else {
                parts.join(", ")
            };
            (kind, summary)
        }
        ("node", _) => {
            let parts: Vec<String> = [
                change("state", "state", &plain),
                change("availability", "availability", &plain),
                change("leader", "leader", &plain),
                change("reachability", "reachability", &plain),
            ]
            .into_iter()
            .flatten()
            .collect();
            if parts.is_empty() {
                return None;
            }
            (Kind::Node, format!("node {}", parts.join(", ")))
        }
        _ => return None,
    };
    Some(Entry::new(ev.time, Source::Swarm, kind, ev.name, summary))
}

/// A swarm task the engine rejected or that failed, with the engine's error: what a
/// rolling update to a broken image leaves behind. `at` is the task's state time (Unix
/// nanoseconds); None for a task that did not fail.
pub fn task_entry(
    task: &crate::model::swarm::SwarmTask,
    service: &str,
    label: &str,
    at: i64,
) -> Option<Entry> {
    if !matches!(task.state.as_str(), "failed" | "rejected") {
        return None;
    }
    let why = if task.error.is_empty() {
        &task.message
    } else {
        &task.error
    };
    let summary = format!(
        "task {label} {} ({}): {why}",
        task.state,
        tag_of(&task.image)
    );
    Some(Entry::new(at, Source::Swarm, Kind::TaskFailed, service, summary).with("task", &task.id))
}

/// What a swarm service still tells of its last update (the manager keeps one): when
/// it began, and its state and message now. None when it never had one.
pub fn update_entry(s: &crate::model::swarm::SwarmService, started: i64) -> Option<Entry> {
    if s.update_state.is_empty() {
        return None;
    }
    let mut summary = format!("an update began (its state now: {}", s.update_state);
    if !s.update_message.is_empty() {
        summary = format!("{summary}: {}", s.update_message);
    }
    summary.push(')');
    Some(Entry::new(
        started,
        Source::Swarm,
        Kind::UpdateState,
        &s.name,
        summary,
    ))
}

/// The tag changes an env file's backups tell: `backups` are (when, tags before that
/// change) oldest first, `current` the file's tags now; `service_of` names the service
/// of a tag variable. Each backup was taken just before a write, so the tags after
/// it are the next backup's, or the file's for the newest.
pub fn tag_changes(
    backups: &[Backup],
    current: &[(String, String)],
    service_of: impl Fn(&str) -> String,
) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, (time, before)) in backups.iter().enumerate() {
        let after = backups
            .get(i + 1)
            .map_or(current, |(_, tags)| tags.as_slice());
        for (var, old) in before {
            let Some((_, new)) = after.iter().find(|(v, _)| v == var) else {
                continue;
            };
            if new != old {
                let service = service_of(var);
                out.push(
                    Entry::new(
                        *time,
                        Source::EnvFile,
                        Kind::TagChange,
                        &service,
                        format!("tag {old} → {new}"),
                    )
                    .with("variable", var)
                    .with("old_tag", old)
                    .with("new_tag", new),
                );
            }
        }
    }
    out
}

/// An env file's tag variables and their values.
pub type Tags = Vec<(String, String)>;
/// A backup of the env file: when it was taken, and its tags then.
pub type Backup = (i64, Tags);

/// The marker line before each file's tags in [`parse_env_tags`]' input.
pub const ENV_MARK: &str = "== ";

/// Reads what the env-file script printed: for each backup, `== 20261207T045300Z`
/// (its name's stamp) then its tag lines; last `== current` and the file's own. Tags
/// are `NAME=value` lines; values are cleaned and masked like any host text.
pub fn parse_env_tags(text: &str) -> (Vec<Backup>, Tags) {
    let secrets = crate::mask::known();
    let mut backups: Vec<Backup> = Vec::new();
    let mut current: Tags = Vec::new();
    // Which list the lines go to: a backup's (its index), the file's, or none (a
    // stamp that does not parse).
    let mut into: Option<Option<usize>> = None;
    for line in text.lines() {
        if let Some(mark) = line.strip_prefix(ENV_MARK) {
            into = if mark == "current" {
                Some(None)
            } else {
                backup_stamp(mark).map(|t| {
                    backups.push((t, Vec::new()));
                    Some(backups.len() - 1)
                })
            };
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let tag = (
            name.to_string(),
            crate::text::clean(&secrets.mask(value), 128),
        );
        match into {
            Some(Some(i)) => backups[i].1.push(tag),
            Some(None) => current.push(tag),
            None => {}
        }
    }
    backups.sort_by_key(|(t, _)| *t);
    (backups, current)
}

/// `20261207T045300Z` (a backup's name) as Unix nanoseconds.
fn backup_stamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<String> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| String::from_utf8_lossy(part).into_owned())
    };
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?
    );
    crate::time::rfc3339_nanos(&iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = NS_PER_SEC;

    fn swarm(typ: &str, action: &str, name: &str, attrs: &[(&str, &str)]) -> Option<Entry> {
        let attrs: BTreeMap<String, String> = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        swarm_entry(&SwarmEvent {
            time: 5 * S,
            typ,
            action,
            name,
            attrs: &attrs,
        })
    }

    #[test]
    fn swarm_events_say_what_changed_in_plain_words() {
        let e = swarm(
            "service",
            "update",
            "acme_app",
            &[
                ("image.old", "reg:5000/acme/app:v1@sha256:aa"),
                ("image.new", "reg:5000/acme/app:v2@sha256:bb"),
            ],
        )
        .unwrap();
        assert_eq!(
            (e.kind, e.summary.as_str()),
            (Kind::ServiceUpdate, "image v1 → v2")
        );
        assert_eq!((e.source, e.subject.as_str()), (Source::Swarm, "acme_app"));
        let e = swarm(
            "service",
            "update",
            "acme_app",
            &[
                ("updatestate.old", "UPDATING"),
                ("updatestate.new", "ROLLBACK_STARTED"),
            ],
        )
        .unwrap();
        assert_eq!(
            (e.kind, e.summary.as_str()),
            (
                Kind::UpdateState,
                "update state updating → rollback_started"
            )
        );
        // The engine putting the spec back is not a change someone made.
        let e = swarm(
            "service",
            "update",
            "acme_app",
            &[
                ("image.old", "reg/acme/app:nosuchtag"),
                ("image.new", "reg/acme/app:v1"),
                ("updatestate.new", "ROLLBACK_STARTED"),
            ],
        )
        .unwrap();
        assert_eq!(e.kind, Kind::UpdateState, "{e:?}");
        let e = swarm("service", "update", "acme_app", &[]).unwrap();
        assert_eq!(e.summary, "service updated");
        let e = swarm(
            "node",
            "update",
            "worker",
            &[("state.old", "ready"), ("state.new", "down")],
        )
        .unwrap();
        assert_eq!(
            (e.kind, e.summary.as_str()),
            (Kind::Node, "node state ready → down")
        );
        assert!(
            swarm("node", "update", "worker", &[]).is_none(),
            "a heartbeat says nothing"
        );
        assert!(swarm("secret", "create", "s", &[]).is_none());
    }

    #[test]
    fn a_rejected_task_is_told_with_the_engine_s_error_and_a_running_one_is_not() {
        let mut t = crate::model::swarm::SwarmTask {
            id: "t1".into(),
            state: "rejected".into(),
            error: "No such image: reg/acme/app:broken".into(),
            image: "reg/acme/app:broken".into(),
            ..Default::default()
        };
        let e = task_entry(&t, "acme_app", "app.1@worker", 7 * S).unwrap();
        assert_eq!(e.time, 7 * S);
        assert_eq!(
            e.summary,
            "task app.1@worker rejected (broken): No such image: reg/acme/app:broken"
        );
        assert_eq!(e.fields.get("task").map(String::as_str), Some("t1"));
        t.state = "running".into();
        assert!(task_entry(&t, "acme_app", "app.1@worker", 7 * S).is_none());
    }

    #[test]
    fn an_event_and_the_engine_s_record_of_it_are_one_entry_with_both_fields() {
        let record = Entry::new(10 * S, Source::Engine, Kind::Die, "web", "exited".into())
            .with("exit_code", "137");
        let event = Entry::new(
            10 * S + S / 2,
            Source::Engine,
            Kind::Die,
            "web",
            "exited".into(),
        )
        .with("exit_code", "1")
        .with("container", "acme-web-1");
        let other = Entry::new(
            10 * S + S / 4,
            Source::Engine,
            Kind::Die,
            "api",
            "exited".into(),
        );
        let another = Entry::new(
            10 * S + S / 3,
            Source::Engine,
            Kind::Die,
            "web",
            "other".into(),
        );
        let merged = merge(vec![event, other.clone(), record, another.clone()]);
        assert_eq!(merged.len(), 3, "{merged:?}");
        assert_eq!(merged[0].subject, "web");
        assert_eq!(merged[0].time, 10 * S);
        assert_eq!(merged[0].fields["exit_code"], "137");
        assert_eq!(merged[0].fields["container"], "acme-web-1");
        assert_eq!(merged[1], other);
        assert_eq!(merged[2], another);
    }

    #[test]
    fn the_same_fact_more_than_a_second_apart_is_two_entries() {
        let at = |t| Entry::new(t, Source::Engine, Kind::Restart, "web", "restarted".into());
        let merged = merge(vec![
            at(5 * S),
            at(3 * S),
            at(3 * S + S / 2),
            at(4 * S + S / 2),
        ]);
        let times: Vec<i64> = merged.iter().map(|e| e.time).collect();
        assert_eq!(times, [3 * S, 4 * S + S / 2]);
    }

    #[test]
    fn kinds_are_named_as_they_parse() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).expect("json"),
                format!("\"{}\"", k.name())
            );
        }
        assert_eq!(Kind::parse("nope"), None);
    }

    #[test]
    fn env_file_backups_tell_which_tag_changed_from_what_to_what_and_when() {
        let text = "== 20261207T045300Z\nWEB_IMAGE_TAG=v1\nAPI_IMAGE_TAG=v1\n\
                    == junk\nWEB_IMAGE_TAG=x\n\
                    == 20261207T050000Z\nWEB_IMAGE_TAG=v2\nAPI_IMAGE_TAG=\"v1\"\n\
                    == current\nWEB_IMAGE_TAG=v1\nAPI_IMAGE_TAG=v1\nEVIL_IMAGE_TAG=x\x1b[31m\nnot a line\n";
        let (backups, current) = parse_env_tags(text);
        assert_eq!(backups.len(), 2);
        assert!(!current[2].1.contains('\u{1b}'), "escapes are cleaned");
        let changes = tag_changes(&backups, &current, |v| {
            v.trim_end_matches("_IMAGE_TAG").to_lowercase()
        });
        let seen: Vec<(i64, &str, &str)> = changes
            .iter()
            .map(|e| (e.time / S, e.subject.as_str(), e.summary.as_str()))
            .collect();
        let first = crate::time::rfc3339_nanos("2026-12-07T04:53:00Z").expect("time") / S;
        assert_eq!(
            seen,
            [
                (first, "web", "tag v1 → v2"),
                (first + 420, "web", "tag v2 → v1")
            ]
        );
    }

    #[test]
    fn engine_events_read_as_plain_words_and_noise_is_left_out() {
        let ev = |action, exit_code, signal| EngineEvent {
            time: 5,
            kind: "container",
            action,
            subject: "web",
            container: "acme-web-1",
            image: "r/acme/web:v2",
            exit_code,
            signal,
        };
        let line = |e: EngineEvent| engine_entry(&e).map(|e| (e.kind, e.summary));
        assert_eq!(
            line(ev("die", Some("137"), None)),
            Some((Kind::Die, "exited with code 137".into()))
        );
        assert_eq!(
            line(ev("kill", None, Some("9"))),
            Some((Kind::Kill, "sent signal 9 (SIGKILL)".into()))
        );
        assert_eq!(
            line(ev("health_status: unhealthy", None, None)),
            Some((Kind::Health, "unhealthy".into()))
        );
        assert_eq!(line(ev("pause", None, None)), None);
        assert_eq!(line(ev("exec_start: sh -c true", None, None)), None);
    }

    #[test]
    fn a_container_s_record_gives_its_last_start_stop_and_failing_streak() {
        let r = ContainerRecord {
            subject: "web".into(),
            container: "acme-web-1".into(),
            image: "r/acme/web:v1".into(),
            created: Some(S),
            started: Some(10 * S),
            finished: Some(20 * S),
            running: false,
            exit_code: 137,
            oom_killed: true,
            restart_count: 2,
            health_log: vec![(12 * S, 0, "ok".into()), (14 * S, 1, "503".into())],
        };
        let kinds: Vec<(Kind, i64)> = record_entries(&r)
            .iter()
            .map(|e| (e.kind, e.time / S))
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::Create, 1),
                (Kind::Start, 10),
                (Kind::Die, 20),
                (Kind::Oom, 20)
            ]
        );
        let running = ContainerRecord {
            running: true,
            started: Some(30 * S),
            oom_killed: false,
            health_log: vec![
                (32 * S, 0, "ok".into()),
                (34 * S, 1, "503".into()),
                (36 * S, 1, "503".into()),
            ],
            ..r
        };
        let e = record_entries(&running);
        let kinds: Vec<(Kind, i64)> = e.iter().map(|e| (e.kind, e.time / S)).collect();
        assert_eq!(
            kinds,
            [(Kind::Create, 1), (Kind::Start, 30), (Kind::Health, 34)]
        );
        assert_eq!(e[1].fields["restart_count"], "2");
        assert_eq!(e[2].summary, "health check failing: 503");
    }
}

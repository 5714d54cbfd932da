//! An environment's timeline as the console holds it: what was read from the host at
//! connect, what the engine reported since, and what this console saw (its connection
//! lost and back), merged on the host's clock; and the timeline view's place in it.

use pilothouse_core::model::timeline::{Entry, Kind, Source, TimelineEvent, merge};

/// At most this many entries are held (the store keeps as many).
pub const MAX_ENTRIES: usize = 50_000;
/// And none older than a week.
pub const MAX_AGE_SECS: i64 = 7 * 86_400;

const NS: i64 = 1_000_000_000;

/// Whose entries the view shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    #[default]
    All,
    /// The service selected in the table.
    Selected,
    /// The services marked in the table.
    Marked,
}

impl Scope {
    pub fn next(self) -> Scope {
        match self {
            Scope::All => Scope::Selected,
            Scope::Selected => Scope::Marked,
            Scope::Marked => Scope::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::All => "all services",
            Scope::Selected => "the selected service",
            Scope::Marked => "the marked services",
        }
    }
}

/// Which kinds the view shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kinds {
    #[default]
    All,
    /// Deploys, restarts, config and tag changes, starts: what someone or something
    /// changed.
    Changes,
    /// Exits, kills, out-of-memory, health, failed tasks, nodes, checks, the pool,
    /// queues, error bursts, the connection: what went wrong (or right again).
    Trouble,
}

impl Kinds {
    pub fn next(self) -> Kinds {
        match self {
            Kinds::All => Kinds::Changes,
            Kinds::Changes => Kinds::Trouble,
            Kinds::Trouble => Kinds::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kinds::All => "every kind",
            Kinds::Changes => "changes",
            Kinds::Trouble => "trouble",
        }
    }

    pub fn shows(self, kind: Kind) -> bool {
        match self {
            Kinds::All => true,
            Kinds::Changes => is_change(kind),
            Kinds::Trouble => !is_change(kind),
        }
    }
}

/// A change someone or something made (as opposed to trouble that followed): one
/// someone made, or a container created, started, removed, an image pulled.
pub fn is_change(kind: Kind) -> bool {
    is_made_change_kind(kind)
        || matches!(
            kind,
            Kind::Create | Kind::Start | Kind::Pull | Kind::Destroy | Kind::UpdateState
        )
}

fn is_made_change_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Restart
            | Kind::ServiceCreate
            | Kind::ServiceUpdate
            | Kind::ServiceRemove
            | Kind::Action
            | Kind::TagChange
    )
}

/// Audit actions that change nothing on the host.
const READ_ONLY_ACTIONS: [&str; 2] = ["migration status", "show secrets unmasked"];

/// A change someone made (a deploy or another action that changes the host, a
/// restart, a tag or config change, a swarm update): what "the newest change" and
/// "the change before the first alert" are.
pub fn is_made_change(e: &Entry) -> bool {
    let action = e.fields.get("action").map_or("", String::as_str);
    let read_only = e.kind == Kind::Action && READ_ONLY_ACTIONS.contains(&action);
    is_made_change_kind(e.kind) && !read_only
}

/// How the host's part of the timeline stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReadStatus {
    /// Not read yet this connection.
    #[default]
    Reading,
    /// Read; the sources that could not be.
    Read {
        missing: Vec<String>,
    },
    Failed(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineState {
    /// Oldest first, merged.
    pub entries: Vec<Entry>,
    pub status: ReadStatus,
    /// The host's clock less this console's, in nanoseconds (from the last read): what
    /// this console saw is put on the host's clock with it.
    pub clock_offset: i64,
    /// What the engine reported and this console saw that the store has not got yet.
    pub unsaved: Vec<Entry>,
    pub scope: Scope,
    pub kinds: Kinds,
    /// The highlighted entry, counted from the newest shown (0: the newest).
    pub cursor_from_end: usize,
    /// Why the store (what earlier consoles kept) could not be read or written.
    pub store_error: Option<String>,
    /// The alerts this console saw start and not yet end, by a key that stays the
    /// same while each lasts.
    pub alerts: std::collections::BTreeMap<String, Trouble>,
    /// The alerts now as one incident; None when nothing is wrong.
    pub incident: Option<Incident>,
    /// The next alert's [`Trouble::seq`].
    pub next_seq: u64,
}

/// An alert this console saw start and not yet end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub kind: Kind,
    /// The service, check, queue, node or the database it is about.
    pub subject: String,
    /// What it is, in words (`gateway unhealthy`).
    pub text: String,
    /// When it began on the host's clock (nanoseconds): the engine's own entry when
    /// there is one, else when this console first saw it.
    pub since: i64,
    /// Whether `since` is the engine's.
    pub dated: bool,
    /// Whether its start and end are this console's entries (a container's are the
    /// engine's, which tells them itself).
    pub noted: bool,
    /// The order this console saw the alerts start in: of two in the same second (its
    /// clock's resolution), the one seen first was first.
    pub seq: u64,
}

/// The alerts now, as one incident: since when, the first of them, and the newest
/// change someone made before it (what the operator asks about first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// The first alert's start, on the host's clock (nanoseconds).
    pub since: i64,
    /// The first alert, in words.
    pub first: String,
    /// The change before it: a deploy's audit entry rather than the tag change it made.
    pub change: Option<Entry>,
}

/// How long a deploy's own writes may follow its start (its tag changes are told with
/// it, not as changes of their own).
const ACTION_SPAN_SECS: i64 = 600;

impl TimelineState {
    /// Entries kept from before (the store), as the console starts.
    pub fn restore(&mut self, entries: Vec<Entry>, now_ns: i64) {
        self.entries.extend(entries);
        self.settle(now_ns);
    }

    /// A reading or an event from the backend; `now_ns` is this console's clock.
    pub fn apply(&mut self, ev: TimelineEvent, now_ns: i64) {
        match ev {
            TimelineEvent::Read {
                entries,
                clock_offset,
                missing,
            } => {
                self.set_clock_offset(clock_offset);
                self.entries.extend(entries);
                self.status = ReadStatus::Read { missing };
            }
            TimelineEvent::Failed(why) => self.status = ReadStatus::Failed(why),
            TimelineEvent::Happened(entry) => {
                self.unsaved.push(entry.clone());
                self.add(entry, now_ns);
                return;
            }
        }
        self.settle(now_ns);
    }

    /// The host's clock less this console's, newly measured. The alerts dated by this
    /// console's clock before it move with it: one seen before the read and one after
    /// stay in the order they were seen whatever the host's clock says.
    fn set_clock_offset(&mut self, offset: i64) {
        let moved = offset - self.clock_offset;
        self.clock_offset = offset;
        for t in self.alerts.values_mut().filter(|t| t.noted || !t.dated) {
            t.since = t.since.saturating_add(moved);
        }
        if self.incident.is_some() {
            self.incident = self.find_incident();
        }
    }

    /// The first of the alerts now and the change before it.
    pub fn find_incident(&self) -> Option<Incident> {
        let first = self.alerts.values().min_by_key(|a| (a.since, a.seq))?;
        Some(Incident {
            since: first.since,
            first: first.text.clone(),
            change: self.change_before(first.since).cloned(),
        })
    }

    /// Something this console saw (at `now_ns` on its clock), told on the host's.
    pub fn saw(&mut self, kind: Kind, subject: &str, summary: String, now_ns: i64) {
        let entry = Entry::new(
            now_ns + self.clock_offset,
            Source::Console,
            kind,
            subject,
            summary,
        );
        self.unsaved.push(entry.clone());
        self.add(entry, now_ns);
    }

    /// Something this console did (an item of its queue ended), as the host's audit
    /// trail tells it: kept, and shown at once.
    pub fn did(&mut self, entry: Entry, now_ns: i64) {
        self.unsaved.push(entry.clone());
        self.add(entry, now_ns);
    }

    /// One new entry, merged with only the entries it could be the same fact as (those
    /// from two seconds before it on): an engine event costs the tail, not a sort of
    /// all 50 000. The held entries are already merged, so this is what merging them
    /// all again would give.
    fn add(&mut self, entry: Entry, now_ns: i64) {
        let cut = self
            .entries
            .partition_point(|e| e.time < entry.time - 2 * NS);
        let mut tail = self.entries.split_off(cut);
        tail.push(entry);
        self.entries.extend(merge(tail));
        self.bound(now_ns);
    }

    /// Merged, and within the bounds.
    fn settle(&mut self, now_ns: i64) {
        self.entries = merge(std::mem::take(&mut self.entries));
        self.bound(now_ns);
    }

    /// None older than a week, none beyond the newest 50 000 (the entries are sorted).
    fn bound(&mut self, now_ns: i64) {
        let oldest = now_ns + self.clock_offset - MAX_AGE_SECS * NS;
        let old = self.entries.partition_point(|e| e.time < oldest);
        let over = (self.entries.len() - old).saturating_sub(MAX_ENTRIES);
        self.entries.drain(..old + over);
    }

    /// The entries the view shows, oldest first, for the services `scope` picks.
    pub fn shown<'a>(&'a self, services: &'a [String]) -> impl Iterator<Item = &'a Entry> + 'a {
        let scope = self.scope;
        self.entries.iter().filter(move |e| {
            self.kinds.shows(e.kind) && (scope == Scope::All || services.contains(&e.subject))
        })
    }

    /// Moves the highlight (negative: older).
    pub fn move_cursor(&mut self, by: i32, shown: usize) {
        let back = i64::try_from(self.cursor_from_end).unwrap_or(i64::MAX);
        let to = back.saturating_sub(i64::from(by)).max(0);
        self.cursor_from_end = usize::try_from(to)
            .unwrap_or(0)
            .min(shown.saturating_sub(1));
    }

    /// The newest change (deploy, restart, tag or config change) at or before `time`;
    /// a tag change a deploy made is that deploy's entry.
    pub fn change_before(&self, time: i64) -> Option<&Entry> {
        let end = self.entries.partition_point(|e| e.time <= time);
        let change = self.entries[..end]
            .iter()
            .rev()
            .find(|e| is_made_change(e))?;
        if change.kind == Kind::TagChange
            && let Some(action) = self.action_of(change)
        {
            return Some(action);
        }
        Some(change)
    }

    /// The action (from the audit trail) that made a tag change: the newest one on its
    /// service that began at most [`ACTION_SPAN_SECS`] before it.
    fn action_of(&self, change: &Entry) -> Option<&Entry> {
        let end = self.entries.partition_point(|e| e.time <= change.time);
        self.entries[..end]
            .iter()
            .rev()
            .take_while(|e| e.time >= change.time - ACTION_SPAN_SECS * NS)
            .find(|e| e.kind == Kind::Action && names(&e.subject).any(|s| s == change.subject))
    }

    /// A change in one line: `deploy gateway v1 → v2 by ops@laptop`.
    pub fn describe_change(&self, change: &Entry) -> String {
        let field = |k: &str| change.fields.get(k).map_or("", String::as_str);
        if change.kind != Kind::Action || field("action").is_empty() {
            return format!("{} {}", change.subject, change.summary);
        }
        let tags: Vec<String> = self
            .entries
            .iter()
            .skip(self.entries.partition_point(|e| e.time < change.time))
            .take_while(|e| e.time <= change.time + ACTION_SPAN_SECS * NS)
            .filter(|e| e.kind == Kind::TagChange && names(&change.subject).any(|s| s == e.subject))
            .map(|e| {
                let tag = e.summary.strip_prefix("tag ").unwrap_or(&e.summary);
                if change.subject == e.subject {
                    tag.to_string()
                } else {
                    format!("{} {tag}", e.subject)
                }
            })
            .collect();
        let mut out = format!("{} {}", field("action"), change.subject);
        if !tags.is_empty() {
            out = format!("{out} {}", tags.join(", "));
        }
        out = format!("{out} by {}", field("operator"));
        match field("result") {
            "succeeded" | "" => out,
            result => format!("{out} ({result})"),
        }
    }
}

/// The services an audit entry's subject names (`gateway, web`).
fn names(subject: &str) -> impl Iterator<Item = &str> {
    subject.split(", ").map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(t: i64, kind: Kind, subject: &str) -> Entry {
        Entry::new(t * NS, Source::Engine, kind, subject, format!("{kind:?}"))
    }

    #[test]
    fn a_read_puts_what_this_console_saw_on_the_host_s_clock() {
        let mut t = TimelineState::default();
        t.apply(
            TimelineEvent::Read {
                entries: vec![entry(100, Kind::Start, "web")],
                clock_offset: 5 * NS,
                missing: vec![],
            },
            100 * NS,
        );
        t.saw(Kind::Connection, "the connection", "lost".into(), 101 * NS);
        let times: Vec<i64> = t.entries.iter().map(|e| e.time / NS).collect();
        assert_eq!(times, [100, 106]);
        assert_eq!(
            t.unsaved.len(),
            1,
            "only what this console saw is to be stored"
        );
        assert_eq!(t.status, ReadStatus::Read { missing: vec![] });
    }

    #[test]
    fn the_view_filters_by_service_and_kind_and_the_newest_change_is_found() {
        let mut t = TimelineState::default();
        t.restore(
            vec![
                entry(1, Kind::Restart, "web"),
                entry(2, Kind::Die, "api"),
                entry(3, Kind::Die, "web"),
            ],
            4 * NS,
        );
        let web = vec!["web".to_string()];
        assert_eq!(t.shown(&web).count(), 3, "scope all shows every service");
        t.scope = Scope::Selected;
        assert_eq!(t.shown(&web).count(), 2);
        t.kinds = Kinds::Trouble;
        assert_eq!(t.shown(&web).count(), 1);
        assert_eq!(t.change_before(3 * NS).map(|e| e.time / NS), Some(1));
        assert_eq!(t.change_before(0), None);
    }

    #[test]
    fn an_entry_added_alone_gives_what_merging_everything_again_gives() {
        let mut t = TimelineState::default();
        let mut all = Vec::new();
        for (i, kind) in [Kind::Die, Kind::Start, Kind::Die, Kind::Restart]
            .into_iter()
            .enumerate()
        {
            for back in [0, 1] {
                let at = i64::try_from(i).unwrap_or(0) * NS / 2 + back * NS / 3;
                let e = Entry {
                    time: 1_000 * NS + at,
                    ..entry(0, kind, "web")
                };
                all.push(e.clone());
                t.apply(TimelineEvent::Happened(e), 2_000 * NS);
            }
        }
        assert_eq!(t.entries, merge(all));
        assert!(t.entries.len() < 8, "some were one fact: {:?}", t.entries);
    }

    #[test]
    fn entries_older_than_a_week_are_let_go() {
        let mut t = TimelineState::default();
        let now = 10 * 86_400 * NS;
        t.restore(
            vec![
                entry(1, Kind::Die, "web"),
                entry(9 * 86_400, Kind::Die, "web"),
            ],
            now,
        );
        assert_eq!(t.entries.len(), 1);
    }

    fn trouble(t: &mut TimelineState, key: &str, since: i64, noted: bool) {
        t.next_seq += 1;
        let trouble = Trouble {
            kind: Kind::Check,
            subject: key.into(),
            text: format!("{key} failing"),
            since,
            dated: true,
            noted,
            seq: t.next_seq,
        };
        t.alerts.insert(key.into(), trouble);
        t.incident = t.find_incident();
    }

    #[test]
    fn alerts_seen_before_the_clock_is_known_keep_their_order_after() {
        let mut t = TimelineState::default();
        // Seen at 100 on this console's clock, before the host's is known; the engine
        // dated another at 50 on the host's.
        trouble(&mut t, "first", 100 * NS, true);
        trouble(&mut t, "engine's", 50 * NS, false);
        let read = TimelineEvent::Read {
            entries: vec![],
            clock_offset: -3 * NS,
            missing: vec![],
        };
        t.apply(read, 101 * NS);
        // Seen a second later, on the host's clock now (3 s behind this one).
        let seen = 101 * NS + t.clock_offset;
        trouble(&mut t, "second", seen, true);
        assert_eq!(t.alerts["first"].since, 97 * NS);
        assert_eq!(t.alerts["engine's"].since, 50 * NS, "the engine's own time");
        t.alerts.remove("engine's");
        let incident = t.find_incident().map(|i| (i.first, i.since));
        assert_eq!(incident, Some(("first failing".into(), 97 * NS)));
    }
}

//! The database connection pool as the console sees it: the latest reading, its
//! history, the configured budget, and everything derived from them.

use std::collections::{BTreeMap, VecDeque};

use pilothouse_core::config::DatabaseSettings;
use pilothouse_core::model::pool::{APPLICATION_NAME, DbSession, PoolSample, SessionState};

/// How much history the sparkline keeps.
pub const HISTORY_SECS: i64 = 900;
/// At this many free slots or fewer, the warning banner shows.
pub const WARN_FREE: i64 = 3;

/// One service's pool in the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub service: String,
    pub application_name: String,
    pub size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolState {
    /// Unix seconds between readings, for staleness.
    pub interval_secs: i64,
    pub sample: Option<PoolSample>,
    /// The last failure, and when (Unix seconds); cleared by the next good reading.
    pub error: Option<(String, i64)>,
    /// (Unix seconds, connections in use), oldest first, at most [`HISTORY_SECS`].
    pub history: VecDeque<(i64, u32)>,
    pub budgets: Vec<Budget>,
    /// Slots the budget formula keeps free beyond the reserved ones.
    pub keep_free: u32,
    pub pgadmin_connections: u32,
    /// Where the URL comes from, for the panel (never the URL itself).
    pub source: String,
    /// Reached through the SSH connection (else directly).
    pub tunnel: bool,
    /// The session selected in the pool view, by pid (rows move as sessions change).
    pub cursor: Option<i32>,
}

/// A per-service row of the budget view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRow {
    pub service: String,
    pub application_name: String,
    pub actual: u32,
    pub budget: u32,
    pub over: bool,
}

/// A session waiting on a lock: (pid, application, blocked by (pid, application)).
pub type Waiting = (i32, String, Vec<(i32, String)>);

/// Counts by some key, largest first.
pub type Breakdown = Vec<(String, u32)>;

/// How much a session needs a look: 0 waiting on or holding up a lock, 1 idle in a
/// transaction, 2 active, 3 the rest.
pub fn attention(s: &DbSession) -> u8 {
    if s.waiting || !s.blocked_by.is_empty() {
        0
    } else if s.state.in_transaction() {
        1
    } else if s.state == SessionState::Active {
        2
    } else {
        3
    }
}

impl PoolState {
    pub fn from_config(db: &DatabaseSettings) -> PoolState {
        PoolState {
            interval_secs: db.interval.0.as_secs().max(1) as i64,
            sample: None,
            error: None,
            history: VecDeque::new(),
            budgets: db
                .pools
                .iter()
                .map(|(service, b)| Budget {
                    service: service.to_string(),
                    application_name: b
                        .application_name
                        .clone()
                        .unwrap_or_else(|| service.to_string()),
                    size: b.size,
                })
                .collect(),
            keep_free: db.headroom,
            pgadmin_connections: db.pgadmin_connections,
            source: db.url.to_string(),
            tunnel: db.tunnel,
            cursor: None,
        }
    }

    /// Takes a new reading.
    pub fn record(&mut self, sample: PoolSample) {
        let at = sample.at;
        self.history.push_back((at, sample.sessions.len() as u32));
        while self
            .history
            .front()
            .is_some_and(|(t, _)| at - t > HISTORY_SECS)
        {
            self.history.pop_front();
        }
        self.sample = Some(sample);
        self.error = None;
    }

    /// True when the reading is older than three intervals (or there is none).
    pub fn is_stale(&self, now: i64) -> bool {
        self.sample
            .as_ref()
            .is_none_or(|s| now - s.at > 3 * self.interval_secs + 2)
    }

    pub fn used(&self) -> Option<u32> {
        self.sample.as_ref().map(|s| s.sessions.len() as u32)
    }

    /// Slots ordinary users can have: max − superuser_reserved − reserved.
    pub fn slots(&self) -> Option<u32> {
        self.sample.as_ref().map(|s| {
            s.max_connections
                .saturating_sub(s.superuser_reserved)
                .saturating_sub(s.reserved)
        })
    }

    /// Slots still free for ordinary users; negative when superusers use reserved ones.
    pub fn free(&self) -> Option<i64> {
        Some(i64::from(self.slots()?) - i64::from(self.used()?))
    }

    /// The warning: 3 or fewer slots free.
    pub fn low(&self) -> bool {
        self.free().is_some_and(|f| f <= WARN_FREE)
    }

    /// Sessions by application_name (the console's own shown as such).
    pub fn by_application(&self) -> Breakdown {
        self.breakdown(|s| {
            if s.application_name.is_empty() {
                "(none)".to_string()
            } else {
                s.application_name.clone()
            }
        })
    }

    pub fn by_user(&self) -> Breakdown {
        self.breakdown(|s| s.user.clone())
    }

    /// By state, with "waiting" (on a lock) counted on its own.
    pub fn by_state(&self) -> Breakdown {
        self.breakdown(|s| {
            if s.waiting {
                "waiting".to_string()
            } else {
                s.state.label().to_string()
            }
        })
    }

    fn breakdown(&self, key: impl Fn(&DbSession) -> String) -> Breakdown {
        let mut m: BTreeMap<String, u32> = BTreeMap::new();
        if let Some(s) = &self.sample {
            for session in &s.sessions {
                *m.entry(key(session)).or_default() += 1;
            }
        }
        let mut v: Breakdown = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// The longest open transaction: (ms, pid, application).
    pub fn longest_transaction(&self) -> Option<(u64, i32, String)> {
        self.longest(|s| s.xact_ms)
    }

    /// The longest "idle in transaction": (ms, pid, application).
    pub fn longest_idle_in_transaction(&self) -> Option<(u64, i32, String)> {
        self.longest(|s| s.state.in_transaction().then_some(s.state_ms).flatten())
    }

    fn longest(&self, ms: impl Fn(&DbSession) -> Option<u64>) -> Option<(u64, i32, String)> {
        self.sample.as_ref().and_then(|s| {
            s.sessions
                .iter()
                .filter(|x| x.pid != s.own_pid)
                .filter_map(|x| ms(x).map(|m| (m, x.pid, x.application_name.clone())))
                .max_by_key(|(m, _, _)| *m)
        })
    }

    /// Sessions waiting on a lock, and who blocks them.
    pub fn waiting(&self) -> Vec<Waiting> {
        let Some(s) = &self.sample else {
            return Vec::new();
        };
        let app = |pid: i32| {
            s.sessions
                .iter()
                .find(|x| x.pid == pid)
                .map_or_else(|| "?".to_string(), |x| x.application_name.clone())
        };
        s.sessions
            .iter()
            .filter(|x| x.waiting || !x.blocked_by.is_empty())
            .map(|x| {
                (
                    x.pid,
                    x.application_name.clone(),
                    x.blocked_by.iter().map(|b| (*b, app(*b))).collect(),
                )
            })
            .collect()
    }

    /// Each configured service's connections against its pool size.
    pub fn budget_rows(&self) -> Vec<BudgetRow> {
        let apps = self.by_application();
        self.budgets
            .iter()
            .map(|b| {
                let actual = apps
                    .iter()
                    .find(|(a, _)| *a == b.application_name)
                    .map_or(0, |(_, n)| *n);
                BudgetRow {
                    service: b.service.clone(),
                    application_name: b.application_name.clone(),
                    actual,
                    budget: b.size,
                    over: actual > b.size,
                }
            })
            .collect()
    }

    /// What the budget adds up to: every pool, the console's own connection, and
    /// pgAdmin's expected use while it runs.
    pub fn budget_sum(&self, pgadmin_running: bool) -> u32 {
        let pools: u32 = self.budgets.iter().map(|b| b.size).sum();
        pools
            + 1
            + if pgadmin_running {
                self.pgadmin_connections
            } else {
                0
            }
    }

    /// The staging guide's formula: (max − reserved − headroom) / services.
    pub fn fair_share(&self) -> Option<u32> {
        let slots = self.slots()?;
        let n = self.budgets.len() as u32;
        (n > 0).then(|| slots.saturating_sub(self.keep_free) / n)
    }

    /// Connections whose application_name no budget claims (psql, pgAdmin, ...), the
    /// console's own excluded.
    pub fn unbudgeted(&self) -> Breakdown {
        self.by_application()
            .into_iter()
            .filter(|(a, _)| {
                a != APPLICATION_NAME && !self.budgets.iter().any(|b| b.application_name == *a)
            })
            .collect()
    }

    /// Every client backend in the order the pool view lists them: the ones that need a
    /// look first (waiting on a lock or blocking, idle in a transaction, active), then
    /// the longest in their state.
    pub fn sessions_in_order(&self) -> Vec<&DbSession> {
        let Some(sample) = &self.sample else {
            return Vec::new();
        };
        let mut list: Vec<&DbSession> = sample.sessions.iter().collect();
        list.sort_by(|a, b| {
            attention(a)
                .cmp(&attention(b))
                .then_with(|| b.state_ms.cmp(&a.state_ms))
                .then_with(|| a.pid.cmp(&b.pid))
        });
        list
    }

    /// The selected session, if it is still there.
    pub fn selected_session(&self) -> Option<&DbSession> {
        let pid = self.cursor?;
        self.sample.as_ref()?.sessions.iter().find(|s| s.pid == pid)
    }

    /// Moves the selection `by` rows in the view's order (from the top when nothing
    /// is selected).
    pub fn move_cursor(&mut self, by: i32) {
        let list: Vec<i32> = self.sessions_in_order().iter().map(|s| s.pid).collect();
        if list.is_empty() {
            self.cursor = None;
            return;
        }
        let at = self
            .cursor
            .and_then(|pid| list.iter().position(|p| *p == pid));
        let next = match at {
            None => 0,
            Some(i) => (i as i64 + i64::from(by)).clamp(0, list.len() as i64 - 1) as usize,
        };
        self.cursor = list.get(next).copied();
    }

    /// The service whose pool a session belongs to, by its application_name: a budget's
    /// name, else a service of the same name among `services`.
    pub fn service_of(&self, session: &DbSession, services: &[String]) -> Option<String> {
        self.budgets
            .iter()
            .find(|b| b.application_name == session.application_name)
            .map(|b| b.service.clone())
            .or_else(|| {
                services
                    .iter()
                    .find(|s| **s == session.application_name)
                    .cloned()
            })
    }

    /// How many client sessions an application holds now.
    pub fn held_by(&self, application_name: &str) -> u32 {
        self.sample.as_ref().map_or(0, |s| {
            s.sessions
                .iter()
                .filter(|x| x.application_name == application_name)
                .count() as u32
        })
    }

    /// The console's own connection: pid and state.
    pub fn own(&self) -> Option<(i32, SessionState)> {
        let s = self.sample.as_ref()?;
        s.sessions
            .iter()
            .find(|x| x.pid == s.own_pid)
            .map(|x| (x.pid, x.state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(pid: i32, app: &str, state: SessionState) -> DbSession {
        DbSession {
            pid,
            application_name: app.into(),
            user: "acme".into(),
            state,
            waiting: false,
            xact_ms: None,
            state_ms: Some(1000),
            blocked_by: vec![],
            backend_start: 1_700_000_000_000_000 + i64::from(pid),
        }
    }

    fn pool(sessions: Vec<DbSession>) -> PoolState {
        PoolState {
            interval_secs: 2,
            sample: Some(PoolSample {
                at: 100,
                max_connections: 25,
                superuser_reserved: 3,
                reserved: 0,
                sessions,
                background: 5,
                own_pid: 1,
            }),
            error: None,
            history: VecDeque::new(),
            budgets: vec![
                Budget {
                    service: "gateway".into(),
                    application_name: "gateway".into(),
                    size: 3,
                },
                Budget {
                    service: "order-service".into(),
                    application_name: "order-service".into(),
                    size: 3,
                },
            ],
            keep_free: 2,
            pgadmin_connections: 5,
            source: "DATABASE_URL".into(),
            tunnel: true,
            cursor: None,
        }
    }

    #[test]
    fn headroom_free_and_budget_follow_the_readings() {
        let mut s = vec![session(1, APPLICATION_NAME, SessionState::Active)];
        for pid in 2..=6 {
            s.push(session(pid, "gateway", SessionState::Idle));
        }
        s.push(session(7, "order-service", SessionState::IdleInTransaction));
        s.push(session(8, "psql", SessionState::Idle));
        let p = pool(s);
        assert_eq!(
            (p.used(), p.slots(), p.free()),
            (Some(8), Some(22), Some(14))
        );
        assert!(!p.low());
        let rows = p.budget_rows();
        assert_eq!((rows[0].actual, rows[0].over), (5, true));
        assert_eq!((rows[1].actual, rows[1].over), (1, false));
        assert_eq!(p.budget_sum(false), 7);
        assert_eq!(p.budget_sum(true), 12);
        assert_eq!(p.fair_share(), Some(10));
        assert_eq!(p.unbudgeted(), vec![("psql".to_string(), 1)]);
        assert_eq!(p.by_application()[0], ("gateway".to_string(), 5));
        assert_eq!(p.longest_idle_in_transaction().map(|l| l.1), Some(7));
        assert_eq!(p.own().map(|o| o.0), Some(1));
    }

    #[test]
    fn three_free_slots_warn_and_superusers_can_push_free_below_zero() {
        let p = pool(
            (1..=19)
                .map(|i| session(i, "x", SessionState::Idle))
                .collect(),
        );
        assert_eq!(p.free(), Some(3));
        assert!(p.low());
        let p = pool(
            (1..=23)
                .map(|i| session(i, "x", SessionState::Idle))
                .collect(),
        );
        assert_eq!(p.free(), Some(-1));
    }

    #[test]
    fn the_cursor_follows_the_view_order_and_maps_sessions_to_services() {
        let mut waiting = session(9, "order-service", SessionState::Active);
        waiting.waiting = true;
        let mut p = pool(vec![
            session(2, "gateway", SessionState::Idle),
            session(3, "order-service", SessionState::IdleInTransaction),
            waiting,
            session(4, "psql", SessionState::Active),
        ]);
        let order: Vec<i32> = p.sessions_in_order().iter().map(|s| s.pid).collect();
        assert_eq!(order, vec![9, 3, 4, 2]);
        assert_eq!(p.selected_session(), None);
        p.move_cursor(1);
        assert_eq!(p.cursor, Some(9), "the first move selects the top row");
        p.move_cursor(2);
        assert_eq!(p.cursor, Some(4));
        p.move_cursor(5);
        assert_eq!(p.cursor, Some(2), "clamped at the bottom");
        p.move_cursor(-10);
        assert_eq!(p.cursor, Some(9), "clamped at the top");
        let services = vec!["gateway".to_string(), "web".to_string()];
        let s3 = p.sessions_in_order()[1].clone();
        assert_eq!(
            p.service_of(&s3, &services).as_deref(),
            Some("order-service")
        );
        let psql = session(4, "psql", SessionState::Active);
        assert_eq!(p.service_of(&psql, &services), None);
        assert_eq!(p.held_by("order-service"), 2);
    }

    #[test]
    fn history_keeps_fifteen_minutes() {
        let mut p = pool(vec![]);
        for t in 0..500 {
            let mut s = p.sample.clone().expect("sample");
            s.at = t * 2;
            p.record(s);
        }
        let first = p.history.front().map(|h| h.0);
        assert_eq!(first, Some(998 - HISTORY_SECS));
        assert!(p.is_stale(998 + 9));
        assert!(!p.is_stale(998 + 2));
    }
}

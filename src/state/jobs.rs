//! What the console knows about an environment's BullMQ queues and their Redis: the
//! last reading, a few minutes of completions and failures per queue, the selection in
//! the queues view, and the alerts the header and `status --json` show.

use std::collections::VecDeque;

use crate::state::alert::Alert;
use pilothouse_core::config::queues::{QueueSettings, RedisVia};
use pilothouse_core::model::queues::{FailedJob, QueueReading, QueuesReading, RedisInfo};

/// Readings kept per queue for its sparkline.
pub const HISTORY: usize = 60;

/// One queue: its last reading and its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub reading: QueueReading,
    /// (console time in s, completed, failed) since the reading before.
    pub history: VecDeque<(i64, u64, u64)>,
    /// Jobs waiting, last 15 minutes.
    pub waiting: crate::state::history::Series,
}

impl QueueRow {
    /// Jobs completed and failed in the last minute (what the readings saw of it).
    pub fn per_minute(&self, now: i64) -> (u64, u64) {
        self.history
            .iter()
            .filter(|(at, _, _)| now - at < 60)
            .fold((0, 0), |(c, f), (_, dc, df)| (c + dc, f + df))
    }
}

/// The alert thresholds, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub oldest_waiting_ms: u64,
    pub failures_per_minute: u64,
    pub memory_percent: u64,
}

/// Something an operator should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Waiting jobs, no worker connected: points at the consumer when known.
    NoWorker {
        queue: String,
        waiting: u64,
        service: Option<String>,
    },
    /// The oldest waiting job is older than the threshold.
    OldWaiting { queue: String, age_ms: u64 },
    /// Failures in the last minute above the threshold.
    Failing { queue: String, per_minute: u64 },
    /// `maxmemory-policy` lets Redis delete BullMQ's keys.
    EvictingPolicy { policy: String, evicted: u64 },
    /// Memory use near `maxmemory`.
    NearMaxMemory { percent: u64 },
}

impl Problem {
    /// Bad or a warning.
    pub fn alert(&self) -> Alert {
        match self {
            Problem::NoWorker { .. } => Alert::Bad,
            Problem::EvictingPolicy { evicted, .. } if *evicted > 0 => Alert::Bad,
            _ => Alert::Warn,
        }
    }

    /// One line for the header, the view and `status --json`.
    pub fn text(&self) -> String {
        match self {
            Problem::NoWorker {
                queue,
                waiting,
                service,
            } => format!(
                "{queue}: {waiting} waiting, no worker{}",
                service
                    .as_ref()
                    .map(|s| format!(" (consumer: {s})"))
                    .unwrap_or_default()
            ),
            Problem::OldWaiting { queue, age_ms } => format!(
                "{queue}: oldest waiting job {}",
                pilothouse_core::time::age(i64::try_from(age_ms / 1000).unwrap_or(i64::MAX))
            ),
            Problem::Failing { queue, per_minute } => {
                format!("{queue}: {per_minute} failed in the last minute")
            }
            Problem::EvictingPolicy { policy, evicted } => format!(
                "Redis maxmemory-policy is {policy}, not noeviction: it may delete BullMQ's keys ({evicted} evicted)"
            ),
            Problem::NearMaxMemory { percent } => {
                format!("Redis memory at {percent}% of maxmemory")
            }
        }
    }

    /// A few words for the header line.
    pub fn short(&self) -> String {
        match self {
            Problem::NoWorker { queue, .. } => format!("{queue} no worker"),
            Problem::OldWaiting { queue, age_ms } => format!(
                "{queue} waiting {}",
                pilothouse_core::time::age(i64::try_from(age_ms / 1000).unwrap_or(i64::MAX))
            ),
            Problem::Failing { queue, per_minute } => format!("{queue} {per_minute} failed/min"),
            Problem::EvictingPolicy { policy, .. } => format!("Redis evicts ({policy})"),
            Problem::NearMaxMemory { percent } => format!("Redis memory {percent}%"),
        }
    }
}

/// The age asked before removing a queue's old jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPrompt {
    /// The queue to clean.
    pub queue: String,
    /// The age typed (prefilled with the config's `clean_older_than`).
    pub text: String,
    /// Why the last enter was refused.
    pub message: Option<String>,
}

/// An age as the clean prompt takes it: a whole number and `s`, `m`, `h` or `d`, more
/// than zero; in seconds.
pub fn parse_age(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || format!("{t:?} is not an age: write it like 30m, 6h or 7d");
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit) {
        Some(0) => Err("the age must be more than zero".into()),
        Some(secs) if secs <= 3650 * 86_400 => Ok(secs),
        _ => Err(format!("{t:?} is more than ten years")),
    }
}

/// The queues of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuesState {
    /// How Redis is reached, for the view's title.
    pub via: String,
    pub prefix: String,
    /// queue → its consumer service.
    pub consumers: Vec<(String, String)>,
    /// The service that runs the BullMQ runner for every queue (else the consumer).
    pub runner_service: Option<String>,
    /// The variable with the Redis URL in the runner's container.
    pub url_variable: String,
    /// What "clean" removes: jobs older than this many seconds.
    pub clean_older_than: u64,
    pub thresholds: Thresholds,
    /// Seconds between readings.
    pub interval: i64,
    pub redis: Option<RedisInfo>,
    pub queues: Vec<QueueRow>,
    /// The selected queue's failed jobs (the queue they are of).
    pub failed: Option<(String, Vec<FailedJob>)>,
    /// When the last reading arrived (console clock).
    pub at: Option<i64>,
    /// The last error and when.
    pub error: Option<(String, i64)>,
    /// The selected row of the view.
    pub selected: usize,
}

impl QueuesState {
    pub fn from_config(q: &QueueSettings) -> Self {
        let via = match (q.via, &q.address) {
            (RedisVia::Tcp, Some(a)) => format!("{}:{} through SSH", a.host, a.port),
            _ => format!("redis-cli in {}'s container", q.service),
        };
        QueuesState {
            via,
            prefix: q.prefix.to_string(),
            consumers: q
                .consumers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            runner_service: q.runner_service.as_ref().map(|s| s.to_string()),
            url_variable: q.redis_url_variable.0.clone(),
            clean_older_than: q.clean_older_than.0.as_secs(),
            thresholds: Thresholds {
                oldest_waiting_ms: u64::try_from(q.oldest_waiting.0.as_millis())
                    .unwrap_or(u64::MAX),
                failures_per_minute: u64::from(q.failures_per_minute),
                memory_percent: u64::from(q.memory_percent),
            },
            interval: i64::try_from(q.interval.0.as_secs()).unwrap_or(5).max(1),
            redis: None,
            queues: Vec::new(),
            failed: None,
            at: None,
            error: None,
            selected: 0,
        }
    }

    /// A new reading, arrived at `now`.
    pub fn record(&mut self, r: QueuesReading, now: i64) {
        let keep = self.selected_name().map(str::to_string);
        let mut rows = Vec::with_capacity(r.queues.len());
        for q in r.queues {
            let before = self
                .queues
                .iter()
                .position(|row| row.reading.name == q.name);
            let (mut history, mut waiting) = before
                .map(|i| {
                    let row = &mut self.queues[i];
                    (
                        std::mem::take(&mut row.history),
                        std::mem::take(&mut row.waiting),
                    )
                })
                .unwrap_or_default();
            let now_waiting = u32::try_from(q.counts.waiting).unwrap_or(u32::MAX);
            waiting.record(now_waiting, now);
            if let (Some(c), Some(f)) = (q.completed_since, q.failed_since) {
                history.push_back((now, c, f));
                while history.len() > HISTORY {
                    history.pop_front();
                }
            }
            rows.push(QueueRow {
                reading: q,
                history,
                waiting,
            });
        }
        self.queues = rows;
        self.redis = Some(r.redis);
        if r.failed.is_some() {
            self.failed = r.failed;
        }
        self.at = Some(now);
        self.error = None;
        if let Some(name) = keep
            && let Some(i) = self.queues.iter().position(|q| q.reading.name == name)
        {
            self.selected = i;
        }
        self.selected = self.selected.min(self.queues.len().saturating_sub(1));
    }

    pub fn failed_to_read(&mut self, error: String, now: i64) {
        self.error = Some((error, now));
    }

    /// No reading for three intervals, or the last attempt failed.
    pub fn is_stale(&self, now: i64) -> bool {
        self.error.is_some() || self.at.is_none_or(|at| now - at > 3 * self.interval + 2)
    }

    pub fn selected_name(&self) -> Option<&str> {
        self.queues
            .get(self.selected)
            .map(|q| q.reading.name.as_str())
    }

    pub fn move_cursor(&mut self, by: i32) {
        self.selected = self
            .selected
            .saturating_add_signed(by as isize)
            .min(self.queues.len().saturating_sub(1));
    }

    /// The service that consumes `queue`, when the config says.
    pub fn consumer_of(&self, queue: &str) -> Option<&str> {
        self.consumers
            .iter()
            .find(|(q, _)| q == queue)
            .map(|(_, s)| s.as_str())
    }

    /// The service whose container runs the BullMQ runner for `queue`.
    pub fn runner_for(&self, queue: &str) -> Option<&str> {
        self.runner_service
            .as_deref()
            .or_else(|| self.consumer_of(queue))
    }

    /// What is wrong now, worst first. Nothing while the data is stale: old numbers
    /// raise no alarm of their own (the staleness itself is shown).
    pub fn problems(&self, now: i64) -> Vec<Problem> {
        if self.is_stale(now) {
            return Vec::new();
        }
        let t = self.thresholds;
        let mut out = Vec::new();
        for row in &self.queues {
            let q = &row.reading;
            let name = q.name.clone();
            if q.counts.waiting > 0 && q.workers == 0 && !q.paused {
                out.push(Problem::NoWorker {
                    queue: name.clone(),
                    waiting: q.counts.waiting,
                    service: self.consumer_of(&q.name).map(str::to_string),
                });
            }
            if let Some(age) = q.oldest_waiting_ms
                && age > t.oldest_waiting_ms
                && !q.paused
            {
                out.push(Problem::OldWaiting {
                    queue: name.clone(),
                    age_ms: age,
                });
            }
            let (_, failed) = row.per_minute(now);
            if failed > t.failures_per_minute {
                out.push(Problem::Failing {
                    queue: name,
                    per_minute: failed,
                });
            }
        }
        if let Some(r) = &self.redis {
            if r.evicting_policy() {
                out.push(Problem::EvictingPolicy {
                    policy: r.policy.clone(),
                    evicted: r.evicted_keys,
                });
            }
            if let Some(p) = r.memory_percent()
                && p >= t.memory_percent
            {
                out.push(Problem::NearMaxMemory { percent: p });
            }
        }
        out.sort_by_key(|p| std::cmp::Reverse(p.alert()));
        out
    }

    /// The worst of the problems; a warning when Redis cannot be read.
    pub fn alert(&self, now: i64) -> Alert {
        if self.error.is_some() {
            return Alert::Warn;
        }
        self.problems(now)
            .iter()
            .map(Problem::alert)
            .max()
            .unwrap_or(Alert::Ok)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clean_prompt_takes_whole_ages_in_s_m_h_d() {
        assert_eq!(parse_age("30m"), Ok(1800));
        assert_eq!(parse_age(" 7d "), Ok(7 * 86_400));
        assert_eq!(parse_age("45s"), Ok(45));
        for bad in [
            "",
            "6",
            "h",
            "6x",
            "-1h",
            "1.5h",
            "0m",
            "99999999999999999999d",
            "4000d",
        ] {
            assert!(parse_age(bad).is_err(), "{bad:?}");
        }
        assert_eq!(pilothouse_core::time::exact_age(86_400), "1d");
        assert_eq!(pilothouse_core::time::exact_age(5400), "90m");
        assert_eq!(pilothouse_core::time::exact_age(61), "61s");
    }

    use super::*;
    use pilothouse_core::model::queues::Counts;

    fn state() -> QueuesState {
        let settings: QueueSettings = toml::from_str(
            "consumers = { prints = \"worker\" }\noldest_waiting = \"60s\"\nfailures_per_minute = 3",
        )
        .expect("queue settings");
        QueuesState::from_config(&settings)
    }

    fn queue(name: &str, waiting: u64, workers: u32) -> QueueReading {
        QueueReading {
            name: name.into(),
            counts: Counts {
                waiting,
                ..Counts::default()
            },
            paused: false,
            oldest_waiting_ms: (waiting > 0).then_some(1000),
            workers,
            completed_since: Some(5),
            failed_since: Some(2),
        }
    }

    fn reading(queues: Vec<QueueReading>, policy: &str) -> QueuesReading {
        QueuesReading {
            redis: RedisInfo {
                policy: policy.into(),
                ..RedisInfo::default()
            },
            queues,
            failed: None,
        }
    }

    #[test]
    fn a_queue_with_waiting_jobs_and_no_worker_points_at_its_consumer() {
        let mut s = state();
        s.record(
            reading(
                vec![queue("prints", 4, 0), queue("labels", 2, 1)],
                "noeviction",
            ),
            100,
        );
        let p = s.problems(100);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(
            p[0].text(),
            "prints: 4 waiting, no worker (consumer: worker)"
        );
        assert_eq!(s.alert(100), Alert::Bad);
        // Stale: no alarm from old numbers, but a warning that Redis cannot be read.
        s.failed_to_read("no answer".into(), 101);
        assert!(s.problems(101).is_empty());
        assert_eq!(s.alert(101), Alert::Warn);
    }

    #[test]
    fn failures_per_minute_and_the_eviction_policy_alert() {
        let mut s = state();
        for t in 0..3 {
            s.record(
                reading(vec![queue("labels", 0, 1)], "allkeys-lru"),
                100 + t * 5,
            );
        }
        let texts: Vec<String> = s.problems(110).iter().map(Problem::text).collect();
        assert!(
            texts
                .iter()
                .any(|t| t == "labels: 6 failed in the last minute"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.contains("allkeys-lru")), "{texts:?}");
        assert_eq!(s.queues[0].per_minute(200), (0, 0));
    }

    #[test]
    fn the_selection_follows_its_queue_across_readings() {
        let mut s = state();
        s.record(
            reading(vec![queue("a", 0, 1), queue("b", 0, 1)], "noeviction"),
            1,
        );
        s.move_cursor(1);
        assert_eq!(s.selected_name(), Some("b"));
        s.record(
            reading(
                vec![queue("0", 0, 1), queue("a", 0, 1), queue("b", 0, 1)],
                "noeviction",
            ),
            2,
        );
        assert_eq!(s.selected_name(), Some("b"));
    }
}

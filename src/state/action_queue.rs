//! The action queue of one environment: items from pending (the preview, awaiting
//! confirmation) to an end (succeeded, failed, cancelled, unknown).

use pilothouse_core::ops::Plan;

/// Lines of output kept per item (the newest).
pub const LOG_LINES: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// Shown in the preview, waiting for confirmation.
    Pending,
    /// Confirmed, waiting for the runner.
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The connection went while it ran: it may or may not have happened.
    Unknown,
    /// A deploy failed its gate and was rolled back: the previous images run.
    RolledBack,
}

impl ItemStatus {
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Queued => "queued",
            ItemStatus::Running => "running",
            ItemStatus::Succeeded => "done",
            ItemStatus::Failed => "FAILED",
            ItemStatus::Cancelled => "cancelled",
            ItemStatus::Unknown => "UNKNOWN",
            ItemStatus::RolledBack => "ROLLED BACK",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemStatus::Succeeded
                | ItemStatus::Failed
                | ItemStatus::Cancelled
                | ItemStatus::Unknown
                | ItemStatus::RolledBack
        )
    }
}

/// One preflight check and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    /// None: cannot be known before it runs (checked then).
    pub ok: Option<bool>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub id: u64,
    pub plan: Plan,
    pub status: ItemStatus,
    pub checks: Vec<Check>,
    /// Unix seconds.
    pub created: i64,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    /// The step running (or that ended it), 0-based.
    pub step: usize,
    /// A step has started (before that, the host lock is being taken).
    pub stepping: bool,
    pub steps_done: usize,
    pub exit_codes: Vec<Option<i32>>,
    pub log: Vec<String>,
    pub error: Option<String>,
    /// Cancelling was asked for while it ran; it stops before its next step.
    pub cancel_requested: bool,
}

impl QueueItem {
    /// Seconds it has taken (so far).
    pub fn elapsed(&self, now: i64) -> i64 {
        match (self.started, self.finished) {
            (Some(s), Some(f)) => f - s,
            (Some(s), None) => now - s,
            // Ended before it started (cancelled while pending or queued): the clock
            // stopped then.
            (None, Some(f)) => f - self.created,
            (None, None) => now - self.created,
        }
    }

    pub fn push_log(&mut self, line: String) {
        self.log.push(line);
        if self.log.len() > LOG_LINES {
            let extra = self.log.len() - LOG_LINES;
            self.log.drain(..extra);
        }
    }

    /// Preflight checks that failed.
    pub fn failed_checks(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| c.ok == Some(false)).collect()
    }
}

/// Who holds the host's lock, as its owner file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub owner: String,
    pub action: String,
    /// Unix seconds.
    pub since: Option<i64>,
    /// It is this console's own (left after an item whose outcome is unknown).
    pub ours: bool,
    /// Seconds since its console last said it was alive (the owner file's age on the
    /// host); None when not known.
    pub quiet_secs: Option<i64>,
    /// A maintenance lock's message.
    pub maintenance: Option<String>,
}

use pilothouse_core::model::job::LOCK_QUIET_SECS;

impl LockHolder {
    /// Who holds it, as the header and the preview say: the owner, its action, and
    /// whether its console stopped answering.
    pub fn describe(&self) -> String {
        if let Some(m) = &self.maintenance {
            return format!("MAINTENANCE: {m} ({})", self.owner);
        }
        let mut s = if self.ours {
            format!("this console ({}) after an unknown outcome", self.action)
        } else {
            format!("{} ({})", self.owner, self.action)
        };
        if !self.ours
            && let Some(q) = self.quiet_secs.filter(|q| *q >= LOCK_QUIET_SECS)
        {
            s.push_str(&format!(
                "; its console stopped answering {} ago: it may be stale ({}: {})",
                pilothouse_core::time::age(q),
                if self.action.is_empty() {
                    "its action"
                } else {
                    &self.action
                },
                pilothouse_core::model::job::NO_END
            ));
        }
        s
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    pub items: Vec<QueueItem>,
    pub next_id: u64,
    /// The queue pane is shown.
    pub open: bool,
    /// The queue pane fills the body (the zoom key while it is open).
    pub zoomed: bool,
    /// What has been typed to confirm a protected environment.
    pub typed: String,
    /// Failed preflight checks were shown once; the next confirmation overrides them.
    pub override_armed: bool,
    /// How far the pending item's preview is scrolled (in rows).
    pub preview_scroll: u16,
    /// The last lock holder reported by the host (another console or operator).
    pub lock_holder: Option<LockHolder>,
    /// Why the last action key queued nothing (read-only, refused plan).
    pub message: Option<String>,
    /// When pgAdmin stops by itself (Unix seconds): set when a start with auto-stop
    /// succeeds, cleared when it stops.
    pub pgadmin_stop_at: Option<i64>,
}

impl Queue {
    pub fn pending(&self) -> Option<&QueueItem> {
        self.items.iter().find(|i| i.status == ItemStatus::Pending)
    }

    pub fn pending_mut(&mut self) -> Option<&mut QueueItem> {
        self.items
            .iter_mut()
            .find(|i| i.status == ItemStatus::Pending)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut QueueItem> {
        self.items.iter_mut().find(|i| i.id == id)
    }

    pub fn get(&self, id: u64) -> Option<&QueueItem> {
        self.items.iter().find(|i| i.id == id)
    }
}

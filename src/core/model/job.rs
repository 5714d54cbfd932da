//! Action items as they cross the actor boundary: who runs them, how they went, and
//! the audit records they leave.

use std::fmt::Write as _;

use serde::Serialize;

/// Who runs an item, as the lock and the audit record say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// `user@machine`.
    pub operator: String,
    pub pid: u32,
    /// A per-console token, so a console releases only its own lock.
    pub console: String,
}

impl Owner {
    pub fn of_this_console() -> Owner {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(user_from_passwd)
            .unwrap_or_else(|| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "unknown-host".into());
        let clean = |s: &str| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .take(64)
                .collect::<String>()
        };
        let pid = std::process::id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Owner {
            operator: format!("{}@{}", clean(&user), clean(&host)),
            pid,
            console: format!("{pid}-{nanos}"),
        }
    }
}

/// The login name of this process's user, from /proc and /etc/passwd.
fn user_from_passwd() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

/// The host lock's owner file as read: who holds the lock, for what, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOwner {
    /// `user@machine`, or what the file held when it is not an owner file.
    pub operator: String,
    pub action: String,
    /// The console's token, so a console knows its own lock.
    pub console: Option<String>,
    /// Unix seconds.
    pub since: Option<i64>,
    /// Seconds since its console last touched it, by the host's clock.
    pub quiet_secs: Option<i64>,
    /// A maintenance lock's message (it has no console to answer for it).
    pub maintenance: Option<String>,
}

impl LockOwner {
    /// Reads an owner file (JSON, already sanitized); anything else is named as it is.
    pub fn from_json(owner: &str) -> LockOwner {
        let v: serde_json::Value = serde_json::from_str(owner).unwrap_or_default();
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        LockOwner {
            operator: text("operator").unwrap_or_else(|| {
                if owner.is_empty() {
                    "unknown (no owner file)".into()
                } else {
                    crate::text::clean(owner, 80)
                }
            }),
            action: text("action").unwrap_or_default(),
            console: text("console"),
            since: v.get("since").and_then(|x| x.as_i64()),
            quiet_secs: v.get("quiet_secs").and_then(|x| x.as_i64()),
            maintenance: text("maintenance").map(|m| crate::text::clean(&m, 200)),
        }
    }
}

impl std::fmt::Display for LockOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.action.is_empty() {
            f.write_str(&self.operator)
        } else {
            write!(f, "{} ({})", self.operator, self.action)
        }
    }
}

/// How an item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Failed,
    Cancelled,
    Unknown,
    /// It failed, and its automatic rollback put back what ran before.
    #[serde(rename = "rolled_back")]
    RolledBack,
}

impl Outcome {
    /// As the audit trail writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Unknown => "unknown",
            Outcome::RolledBack => "rolled_back",
        }
    }
}

/// What the runner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    Started {
        id: u64,
    },
    Step {
        id: u64,
        index: usize,
    },
    Output {
        id: u64,
        line: String,
    },
    StepDone {
        id: u64,
        index: usize,
        code: Option<i32>,
    },
    /// The item's shell may take the terminal now: the console steps aside, runs
    /// `argv` on this machine with the terminal, and tells the runner how it ended
    /// (the exit code; None: killed, or it did not start, with why).
    Interactive {
        id: u64,
        argv: Vec<String>,
    },
    /// Someone else holds the host lock; nothing ran.
    LockHeld {
        id: u64,
        owner: LockOwner,
    },
    Finished {
        id: u64,
        outcome: Outcome,
        error: Option<String>,
    },
}

/// How long the step running when the console is stopped may take to finish; then its
/// outcome is recorded as unknown and the console exits.
pub const STEP_GRACE: std::time::Duration = std::time::Duration::from_secs(20);
/// One record of the host's audit file, as the audit view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub time: i64,
    pub operator: String,
    pub environment: String,
    pub action: String,
    pub targets: String,
    pub result: String,
    pub duration_ms: u64,
    pub exit_codes: String,
    pub error: String,
    /// The console that ran it (its token; empty in records from before it was kept).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub console: String,
}

/// What the trail says of an item that was started and never ended: nobody saw how it
/// ended.
pub const NO_END: &str = "outcome unknown: the console stopped";

/// Items started by the console that holds `lock` and still answers are running:
/// their end is still to come.
pub fn mark_running(records: &mut [AuditEntry], lock: &LockOwner) {
    let answers = lock.quiet_secs.is_none_or(|q| q < LOCK_QUIET_SECS);
    let Some(console) = lock.console.as_deref().filter(|_| answers) else {
        return;
    };
    for r in records
        .iter_mut()
        .filter(|r| r.console == console && r.error.starts_with(NO_END))
    {
        r.result = "running".into();
        r.error = format!("running now (console {console} holds the host lock)");
    }
}

/// A lock whose console has not touched it for this long has stopped answering.
pub const LOCK_QUIET_SECS: i64 = 90;

/// Parses audit JSON lines, newest first; lines that are not records are skipped.
pub fn parse_audit(text: &str) -> Vec<AuditEntry> {
    // Masked before it is cut, so no part of a secret is left at the cut.
    let secrets = crate::mask::known();
    let clean = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => crate::text::clean(&secrets.mask(s), 200),
        serde_json::Value::Null => String::new(),
        other => crate::text::clean(&secrets.mask(&other.to_string()), 200),
    };
    let values: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.is_object())
        .collect();
    // An item that changes the host writes `started` first and its end after, with the
    // same key: the end stands for both; a start with no end is an unknown outcome.
    let ended: std::collections::HashSet<&str> = values
        .iter()
        .filter(|v| v["result"] != "started")
        .filter_map(|v| v["item"].as_str())
        .collect();
    let mut out: Vec<AuditEntry> = values
        .iter()
        .filter(|v| {
            v["result"] != "started" || v["item"].as_str().is_none_or(|i| !ended.contains(i))
        })
        .map(|v| {
            let mut e = AuditEntry {
                time: v["time"].as_i64().unwrap_or(0),
                operator: clean(&v["operator"]),
                environment: clean(&v["environment"]),
                action: clean(&v["action"]),
                targets: v["targets"]
                    .as_array()
                    .map(|a| a.iter().map(clean).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                result: clean(&v["result"]),
                duration_ms: v["duration_ms"].as_u64().unwrap_or(0),
                exit_codes: v["exit_codes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|c| c.as_i64().map_or("?".to_string(), |n| n.to_string()))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default(),
                error: clean(&v["error"]),
                console: clean(&v["console"]),
            };
            if e.result == "started" {
                e.result = "unknown".into();
                e.error = format!(
                    "{NO_END} (console {} of {}, pid {}): started, never ended",
                    e.console,
                    e.operator,
                    v["pid"].as_u64().unwrap_or(0)
                );
            }
            e
        })
        .collect();
    // Newest first: by time, and within one second the later line first (the sort is
    // stable, so the file's order is turned round before it).
    out.reverse();
    out.sort_by_key(|r| std::cmp::Reverse(r.time));
    out
}

/// A table for people, newest first.
pub fn as_table(records: &[AuditEntry]) -> String {
    if records.is_empty() {
        return "no audit records on this host yet\n".into();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<21} {:<24} {:<11} {:<20} {:<24} {:<11} {:>8}  EXIT",
        "TIME", "OPERATOR", "ENV", "ACTION", "TARGETS", "RESULT", "TOOK"
    );
    for r in records {
        let _ = writeln!(
            out,
            "{:<21} {:<24} {:<11} {:<20} {:<24} {:<11} {:>7.1}s  {}{}",
            crate::time::utc(r.time),
            r.operator,
            r.environment,
            r.action,
            r.targets,
            r.result,
            r.duration_ms as f64 / 1000.0,
            r.exit_codes,
            if r.error.is_empty() {
                String::new()
            } else {
                format!("  {}", r.error)
            }
        );
    }
    out
}

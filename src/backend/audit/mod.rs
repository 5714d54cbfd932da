//! The audit trail: a JSON line per item, locally and on the host (kept for later when
//! the host cannot be reached), and the webhook that announces it.

pub mod snapshot;
pub mod webhook;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::connection::remote::Remote;
use crate::runner::lock::read_lock;
use pilothouse_core::model::job::{AuditEntry, JobEvent, parse_audit};
use pilothouse_core::ops::{Job, audit_file};
use pilothouse_core::shell::quote;
use pilothouse_core::time::unix_now;

/// The audit record of one item, a JSON line locally and on the host. An item that
/// changes the host has two: `started` before its first step, and its end with the
/// same `item`; a started one with no end is an outcome nobody saw.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    pub time: i64,
    pub operator: &'a str,
    pub environment: &'a str,
    pub action: &'a str,
    pub targets: &'a [String],
    pub commands: Vec<&'a str>,
    pub exit_codes: &'a [Option<i32>],
    /// An outcome, or `started`, `refused`.
    pub result: &'a str,
    /// The item's key (`console-id`), shared by its started and end records.
    pub item: String,
    /// The console that ran it: its token and process.
    pub console: &'a str,
    pub pid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    pub duration_ms: u128,
    /// The console was stopped (a signal, or quit confirmed) while the item ran.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

/// Audit lines the host has not got yet (its connection was gone when the item
/// ended), written as soon as it answers again.
#[derive(Default)]
pub(super) struct HostAuditBacklog(pub(super) Vec<(String, String)>);

impl HostAuditBacklog {
    /// Err (the line kept for later) when the host's file was not written.
    pub(crate) async fn write(
        &mut self,
        remote: &Remote,
        project_dir: &str,
        line: String,
    ) -> Result<(), String> {
        self.0.push((project_dir.to_string(), line));
        self.flush(remote).await
    }

    pub(crate) async fn flush(&mut self, remote: &Remote) -> Result<(), String> {
        while let Some((dir, line)) = self.0.first().cloned() {
            match append_host_audit(remote, &dir, &line).await {
                Ok(()) => {
                    self.0.remove(0);
                }
                Err(e) => {
                    log::warn!(
                        "the host's audit file was not written (kept for the next connection): {e}"
                    );
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// Records that secrets were shown unmasked (`pilothouse logs --no-mask`): a record
/// in the local trail and the host's, like an action's.
/// Err when the host's trail was not written (the local one was).
pub async fn record_reveal(
    remote: &Remote,
    project_dir: &str,
    environment: &str,
    how: &str,
) -> Result<(), String> {
    let owner = pilothouse_core::model::job::Owner::of_this_console();
    let record = AuditRecord {
        time: pilothouse_core::time::unix_now(),
        operator: &owner.operator,
        environment,
        action: pilothouse_core::ops::OpKind::RevealSecrets.label(),
        targets: &[],
        commands: vec![how],
        exit_codes: &[Some(0)],
        result: "succeeded",
        item: format!("{}-reveal", owner.console),
        console: &owner.console,
        pid: owner.pid,
        error: None,
        duration_ms: 0,
        interrupted: false,
    };
    let line = serde_json::to_string(&record).unwrap_or_default();
    let local = append_local_audit(&line);
    append_host_audit(remote, project_dir, &line).await?;
    local.map_err(|e| format!("the local audit file was not written: {e}"))
}

pub(crate) async fn append_host_audit(
    remote: &Remote,
    project_dir: &str,
    line: &str,
) -> Result<(), String> {
    let script = format!(
        "mkdir -p {dir} && printf '%s\\n' {line} >> {file}",
        dir = quote(&format!(
            "{}/.pilothouse",
            project_dir.trim_end_matches('/')
        )),
        line = quote(line),
        file = quote(&audit_file(project_dir)),
    );
    match remote.sh(&script, std::time::Duration::from_secs(10)).await {
        Ok(out) if out.status == Some(0) => Ok(()),
        Ok(out) => Err(format!(
            "exit {:?}: {}",
            out.status,
            pilothouse_core::logs::sanitize::clean_str(&out.stderr).trim()
        )),
        Err(e) => Err(e),
    }
}

pub(crate) async fn notify_webhook(
    url: &pilothouse_core::config::HttpUrl,
    record: &AuditRecord<'_>,
    job: &Job,
    events: &mpsc::Sender<JobEvent>,
) {
    let mut body = serde_json::to_value(record).unwrap_or_default();
    body["changes"] = job
        .plan
        .changes
        .iter()
        .map(|(s, from, to)| serde_json::json!({"service": s, "from": from, "to": to}))
        .collect();
    body["text"] = webhook_text(record, &job.plan.changes).into();
    let line = match crate::audit::webhook::notify(url, &body).await {
        Ok(status) => format!("webhook told (HTTP {status})"),
        Err(e) => {
            log::warn!("the deploy webhook was not told: {e}");
            format!("webhook NOT told: {e}")
        }
    };
    let _ = events.send(JobEvent::Output { id: job.id, line }).await;
}

/// The record in one line for a chat webhook's `text` (Slack, Mattermost, Discord's
/// Slack-compatible one): `pilothouse: staging: deploy web rolled_back (web v2 → broken)
/// by ops@laptop: health gate …`. Masked, and nothing a terminal or a chat client would
/// act on (controls and bidi overrides replaced), at most 300 characters.
fn webhook_text(record: &AuditRecord<'_>, changes: &[(String, String, String)]) -> String {
    let mut said = format!(
        "{}: {} {} {}",
        record.environment,
        record.action,
        record.targets.join(", "),
        record.result
    );
    if !changes.is_empty() {
        let tags: Vec<String> = changes
            .iter()
            .map(|(s, from, to)| format!("{s} {from} → {to}"))
            .collect();
        said.push_str(&format!(" ({})", tags.join(", ")));
    }
    said.push_str(&format!(" by {}", record.operator));
    if let Some(e) = record.error {
        said.push_str(&format!(": {e}"));
    }
    let masked = pilothouse_core::mask::string(&pilothouse_core::text::mask_credentials(&said));
    format!("pilothouse: {}", pilothouse_core::text::clean(&masked, 300))
}

/// Appends to `$XDG_STATE_HOME/pilothouse/audit.jsonl` (0600).
pub(crate) fn append_local_audit(line: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = pilothouse_core::config::state_dir();
    let _ = std::fs::create_dir_all(&dir);
    match std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(dir.join("audit.jsonl"))
    {
        Ok(mut f) => writeln!(f, "{line}").map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
    .inspect_err(|e| log::warn!("the local audit file was not written: {e}"))
}

impl AuditRecord<'_> {
    /// The JSON line, masked (the trail is masked even while a console shows secrets).
    pub fn line(&self) -> String {
        match serde_json::to_value(self) {
            Ok(mut v) => {
                pilothouse_core::mask::json_with(&mut v, &pilothouse_core::mask::known());
                v.to_string()
            }
            Err(_) => String::new(),
        }
    }
}

/// A record of `job` with its plan's commands, no exit code yet.
pub(crate) fn record_of<'a>(job: &'a Job, action: &'a str, result: &'a str) -> AuditRecord<'a> {
    AuditRecord {
        time: unix_now(),
        operator: &job.owner.operator,
        environment: &job.env_name,
        action,
        targets: &job.plan.targets,
        commands: job.plan.steps.iter().map(|s| s.command.as_str()).collect(),
        exit_codes: &[],
        result,
        item: format!("{}-{}", job.owner.console, job.id),
        console: &job.owner.console,
        pid: job.owner.pid,
        error: None,
        duration_ms: 0,
        interrupted: false,
    }
}

/// Writes `line` to the local trail and the host's (kept for the next connection when
/// the host's is not written: `later` keeps it without trying, for a connection that
/// is gone); what was not written is told in the item.
pub(crate) async fn write_both(
    backlog: &mut HostAuditBacklog,
    remote: Option<&Remote>,
    job: &Job,
    events: &mpsc::Sender<JobEvent>,
    line: String,
) {
    let tell = |line: String| events.send(JobEvent::Output { id: job.id, line });
    if let Err(e) = append_local_audit(&line) {
        let _ = tell(format!("the local audit file was not written: {e}")).await;
    }
    let Some(remote) = remote else {
        backlog.0.push((job.project_dir.clone(), line));
        return;
    };
    if let Err(e) = backlog.write(remote, &job.project_dir, line).await {
        let _ = tell(format!(
            "the host's audit file was not written ({e}); the record is kept and written on the next connection or item"
        ))
        .await;
    }
}

/// Reads the newest records of the host's audit file; an item started by a console
/// that still holds the host lock and answers is running, not unknown.
pub async fn read_audit(remote: &Remote, project_dir: &str) -> Result<Vec<AuditEntry>, String> {
    read_audit_in(remote, project_dir, false).await
}

/// The same, read in the connection's long-lived poll shell (`polled`: no new SSH
/// session; what a console reads at every connection) or in a shell of its own.
pub async fn read_audit_in(
    remote: &Remote,
    project_dir: &str,
    polled: bool,
) -> Result<Vec<AuditEntry>, String> {
    let mut records = read_records(remote, project_dir, polled).await?;
    let lock = read_lock(remote, project_dir).await.ok().flatten();
    if let Some(owner) = lock.map(|o| pilothouse_core::model::job::LockOwner::from_json(&o))
        && !gone_from_here(&owner)
    {
        pilothouse_core::model::job::mark_running(&mut records, &owner);
    }
    Ok(records)
}

/// The lock's console ran on this machine and is no longer running (its heartbeat may
/// still look fresh for a minute): what it started has no end to come.
fn gone_from_here(owner: &pilothouse_core::model::job::LockOwner) -> bool {
    let here = pilothouse_core::model::job::Owner::of_this_console().operator;
    let same_machine =
        owner.operator.rsplit_once('@').map(|(_, h)| h) == here.rsplit_once('@').map(|(_, h)| h);
    let pid = owner
        .console
        .as_deref()
        .and_then(|c| c.split_once('-'))
        .and_then(|(p, _)| p.parse::<u32>().ok());
    same_machine && pid.is_some_and(|p| !crate::connection::ssh::is_pilothouse(p))
}

async fn read_records(
    remote: &Remote,
    project_dir: &str,
    polled: bool,
) -> Result<Vec<AuditEntry>, String> {
    let script = format!(
        "f={}; if [ -f \"$f\" ]; then tail -n 500 \"$f\"; fi",
        quote(&audit_file(project_dir))
    );
    let limit = std::time::Duration::from_secs(15);
    let out = if polled {
        remote.poll(&script, limit).await?
    } else {
        remote.sh(&script, limit).await?
    };
    if out.status != Some(0) {
        return Err(format!(
            "reading the audit file failed: {}",
            pilothouse_core::logs::sanitize::clean_str(&out.stderr)
        ));
    }
    Ok(parse_audit(&String::from_utf8_lossy(&out.stdout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_two_records_in_one_second_the_later_line_is_the_newer() {
        let line = |action: &str| {
            format!(
                "{{\"time\":7,\"operator\":\"a@b\",\"action\":\"{action}\",\"targets\":[],\"result\":\"succeeded\"}}\n"
            )
        };
        let text = format!("{}{}{}", line("first"), line("second"), line("third"));
        let actions: Vec<String> = parse_audit(&text).into_iter().map(|a| a.action).collect();
        assert_eq!(actions, ["third", "second", "first"]);
    }

    #[test]
    fn a_start_with_its_end_is_one_record_and_a_start_alone_is_an_unknown_outcome() {
        let line = |item: &str, result: &str, time: i64| {
            format!(
                "{{\"time\":{time},\"operator\":\"ops@laptop\",\"action\":\"deploy\",\"targets\":[\"web\"],\"result\":\"{result}\",\"item\":\"{item}\",\"console\":\"c1\",\"pid\":42}}\n"
            )
        };
        let text = format!(
            "{}{}{}",
            line("c1-1", "started", 10),
            line("c1-1", "succeeded", 20),
            line("c1-2", "started", 30)
        );
        let records = parse_audit(&text);
        let seen: Vec<(&str, i64)> = records
            .iter()
            .map(|r| (r.result.as_str(), r.time))
            .collect();
        assert_eq!(seen, [("unknown", 30), ("succeeded", 20)]);
        assert!(
            records[0].error.starts_with(
                "outcome unknown: the console stopped (console c1 of ops@laptop, pid 42)"
            ),
            "{}",
            records[0].error
        );
        // Its console still holds the lock and answers: running, not unknown.
        let mut live = records.clone();
        let lock = pilothouse_core::model::job::LockOwner::from_json(
            "{\"operator\":\"ops@laptop\",\"console\":\"c1\",\"quiet_secs\":5}",
        );
        pilothouse_core::model::job::mark_running(&mut live, &lock);
        assert_eq!(live[0].result, "running");
        let quiet = pilothouse_core::model::job::LockOwner::from_json(
            "{\"operator\":\"ops@laptop\",\"console\":\"c1\",\"quiet_secs\":600}",
        );
        let mut stale = records.clone();
        pilothouse_core::model::job::mark_running(&mut stale, &quiet);
        assert_eq!(stale[0].result, "unknown");
    }

    #[test]
    fn the_webhook_s_text_is_one_clean_masked_line_with_the_tags() {
        let targets = ["web".to_string()];
        let record = AuditRecord {
            time: 1,
            operator: "ops@laptop",
            environment: "staging",
            action: "deploy",
            targets: &targets,
            commands: vec![],
            exit_codes: &[],
            result: "rolled_back",
            item: "c1-1".into(),
            console: "c1",
            pid: 42,
            error: Some("health gate: web unhealthy\u{1b}[2J via postgres://u:hunter2@db/x"),
            duration_ms: 5,
            interrupted: false,
        };
        let changes = [("web".to_string(), "v2".to_string(), "broken".to_string())];
        let text = webhook_text(&record, &changes);
        assert!(
            text.starts_with(
                "pilothouse: staging: deploy web rolled_back (web v2 → broken) by ops@laptop: health gate: web unhealthy"
            ),
            "{text}"
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains("hunter2"),
            "{text}"
        );
    }

    #[test]
    fn audit_lines_parse_newest_first_and_junk_is_skipped() {
        let text = "{\"time\":1,\"operator\":\"a@b\",\"environment\":\"staging\",\"action\":\"restart\",\"targets\":[\"web\"],\"exit_codes\":[0],\"result\":\"succeeded\",\"duration_ms\":12}\nnot json\n{\"time\":2,\"operator\":\"c@d\\u001b]0;x\",\"action\":\"stop\",\"targets\":[],\"exit_codes\":[null],\"result\":\"unknown\"}\n";
        let a = parse_audit(text);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].time, a[0].exit_codes.as_str()), (2, "?"));
        assert!(!a[0].operator.contains('\u{1b}'));
        assert_eq!(
            (a[1].targets.as_str(), a[1].exit_codes.as_str()),
            ("web", "0")
        );
    }
}

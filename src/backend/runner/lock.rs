//! The host lock: taken before a state-changing item runs, kept alive by a heartbeat,
//! released when it ends (unless its outcome is unknown).

use tokio::sync::mpsc;

use crate::connection::remote::Remote;
use crate::runner::links::AbortOnDrop;
use pilothouse_core::model::job::{JobEvent, Outcome};
use pilothouse_core::ops::Job;

use pilothouse_core::ops::lock_dir;
use pilothouse_core::shell::quote;
use pilothouse_core::time::unix_now;

/// How often a console that holds the host lock says it is still there.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// Takes the host lock; Err with the item's end when it cannot.
pub(super) async fn lock_or_refuse(
    job: &Job,
    remote: &Remote,
    events: &mpsc::Sender<JobEvent>,
) -> Result<(), (Outcome, Option<String>)> {
    match take_lock(job, remote).await {
        Ok(None) => Ok(()),
        Ok(Some(owner)) => {
            let _ = events
                .send(JobEvent::LockHeld {
                    id: job.id,
                    owner: pilothouse_core::model::job::LockOwner::from_json(&owner),
                })
                .await;
            Err((
                Outcome::Failed,
                Some(format!(
                    "the host is locked by another console: {}; nothing ran",
                    pilothouse_core::model::job::LockOwner::from_json(&owner)
                )),
            ))
        }
        Err(e) => Err((
            Outcome::Failed,
            Some(format!("could not take the host lock: {e}; nothing ran")),
        )),
    }
}

/// Touches the lock's owner file every [`HEARTBEAT_EVERY`] until dropped, so another
/// console can tell a lock held by a live console from one left by a stopped one.
pub(super) fn heartbeat(job: &Job, remote: &Remote) -> AbortOnDrop {
    let remote = remote.clone();
    let file = format!("{}/owner.json", lock_dir(&job.project_dir));
    AbortOnDrop(tokio::spawn(async move {
        let script = format!("touch -c {}", quote(&file));
        loop {
            tokio::time::sleep(HEARTBEAT_EVERY).await;
            if let Err(e) = remote
                .poll(&script, std::time::Duration::from_secs(10))
                .await
            {
                log::debug!("lock heartbeat: {e}");
            }
        }
    }))
}

/// Takes the lock: None when taken, Some(owner) when someone else holds it.
pub(super) async fn take_lock(job: &Job, remote: &Remote) -> Result<Option<String>, String> {
    let owner = serde_json::json!({
        "operator": job.owner.operator,
        "action": job.plan.title(),
        "pid": job.owner.pid,
        "console": job.owner.console,
        "since": unix_now(),
    })
    .to_string();
    let dir = lock_dir(&job.project_dir);
    // mkdir is atomic: exactly one console creates the directory.
    let script = format!(
        "mkdir -p {parent} && if mkdir {dir} 2>/dev/null; then if printf '%s' {owner} > {dir}/owner.json; then echo TAKEN; else rm -rf {dir}; exit 1; fi; else echo HELD; cat {dir}/owner.json 2>/dev/null; fi",
        parent = quote(&format!(
            "{}/.pilothouse",
            job.project_dir.trim_end_matches('/')
        )),
        dir = quote(&dir),
        owner = quote(&owner),
    );
    let out = remote
        .sh(&script, std::time::Duration::from_secs(15))
        .await
        .map_err(|e| format!("{e} (the lock may have been taken by this console)"))?;
    if out.status == Some(255) {
        return Err(
            "the SSH connection failed (the lock may have been taken by this console)".into(),
        );
    }
    lock_answer(&out, "TAKEN")
}

/// A lock script's answer: `free` (the lock is free, or now ours) on its first line,
/// or HELD and the owner file (sanitized).
pub(super) fn lock_answer(
    out: &crate::connection::poll_shell::ScriptOutput,
    free: &str,
) -> Result<Option<String>, String> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    match lines.next() {
        Some(first) if first == free => Ok(None),
        Some("HELD") => Ok(Some(pilothouse_core::logs::sanitize::clean_str(
            lines.collect::<Vec<_>>().join(" ").as_bytes(),
        ))),
        _ => Err(format!(
            "unexpected answer: {}",
            pilothouse_core::logs::sanitize::clean_str(&out.stderr)
        )),
    }
}

/// Reads the lock: None when it is free, else its owner file (sanitized; empty when
/// the directory has none).
pub async fn read_lock(remote: &Remote, project_dir: &str) -> Result<Option<String>, String> {
    let dir = lock_dir(project_dir);
    // The owner file's age, by the host's own clock: how long its console has been
    // quiet (a console holding the lock touches it every HEARTBEAT_EVERY).
    let script = format!(
        "if [ -d {dir} ]; then echo HELD; f={dir}/owner.json; if [ -f \"$f\" ]; then echo \"quiet=$(( $(date +%s) - $(stat -c %Y \"$f\") ))\"; head -c 4096 \"$f\"; fi; else echo FREE; fi",
        dir = quote(&dir),
    );
    let out = remote
        .poll(&script, std::time::Duration::from_secs(15))
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let quiet = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("quiet="))
        .and_then(|n| n.trim().parse::<i64>().ok());
    let owner = lock_answer(&out, "FREE")?;
    Ok(owner.map(|o| with_quiet(&o, quiet)))
}

/// The owner JSON (after its `quiet=N` line) with `quiet_secs` added.
pub(super) fn with_quiet(answer: &str, quiet: Option<i64>) -> String {
    let json = match answer.split_once(' ') {
        Some((first, rest)) if first.starts_with("quiet=") => rest,
        _ => answer,
    };
    match (serde_json::from_str::<serde_json::Value>(json), quiet) {
        (Ok(mut v), Some(q)) if v.is_object() => {
            v["quiet_secs"] = serde_json::json!(q);
            v.to_string()
        }
        _ => json.to_string(),
    }
}

/// Releases the lock if it is still this console's.
pub(super) async fn release_lock(job: &Job, remote: &Remote) -> Result<(), String> {
    let dir = lock_dir(&job.project_dir);
    let script = format!(
        "grep -qF {token} {dir}/owner.json 2>/dev/null && rm -rf {dir}",
        token = quote(&job.owner.console),
        dir = quote(&dir),
    );
    remote
        .sh(&script, std::time::Duration::from_secs(15))
        .await
        .map(|_| ())
}

//! Writing an incident snapshot: the console's summary, the last log lines of every
//! service and the host's audit records, with every secret masked, to a private file.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;
use tokio::sync::mpsc;

use crate::audit::read_audit;
use crate::connection::remote::Remote;
use crate::engine::logs::{LogSink, follow_logs};
use pilothouse_core::logs::LogBatch;
use pilothouse_core::model::requests::LogStart;
use pilothouse_core::shell::quote;

/// Lines of each service's log in a snapshot.
pub const LOG_LINES: u32 = 200;
/// Audit records in a snapshot.
const AUDIT_RECORDS: usize = 50;
/// How long the host may take for all of it.
const LIMIT: Duration = Duration::from_secs(30);

use pilothouse_core::model::requests::SnapshotRequest;

/// The summary with its connection line corrected: written while no connection was
/// there, whatever the screen believed, and everything in it marked as the last reading.
fn connection_lost(summary: &str) -> String {
    const LIVE: &str = "- connection: connected";
    match summary.find(LIVE) {
        Some(at) => {
            let end = pilothouse_core::text::after(summary, at)
                .find('\n')
                .map_or(summary.len(), |n| at + n);
            format!(
                "{}- connection: DISCONNECTED (lost while the snapshot was taken; reconnecting)\n\
                 - **STALE**: not connected; everything below is the last reading, not the present{}",
                pilothouse_core::text::before(summary, at),
                pilothouse_core::text::after(summary, end)
            )
        }
        None => summary.to_string(),
    }
}

/// Writes the snapshot; the path, or why not. Without a connection (`remote` or
/// `docker` None) it is written from the summary alone and says what is missing.
pub async fn write(
    req: SnapshotRequest,
    remote: Option<Remote>,
    docker: Option<Docker>,
) -> Result<PathBuf, String> {
    let mut text = req.summary.clone();
    match (&remote, &docker) {
        (Some(remote), Some(docker)) => {
            match read_secrets(remote, &req.project_dir, &req.env_file).await {
                Ok(s) => pilothouse_core::mask::learn(s),
                // Said first, so whoever attaches the file checks it.
                Err(e) => {
                    text = format!(
                        "> **CHECK BEFORE SHARING**: the env file was not read ({e}); only URL passwords are masked below.\n\n{text}"
                    );
                }
            }
            let logs = tokio::time::timeout(LIMIT, last_lines(docker, &req.containers)).await;
            match logs {
                Ok(section) => text.push_str(&section),
                Err(_) => text.push_str("\n## Logs\n\nnot read: the host took too long\n"),
            }
            audit(&mut text, remote, &req.project_dir).await;
        }
        _ => {
            // The screen may not have learned yet that the connection went (a reconnect
            // under way): the file never says connected when nothing could be read.
            text = connection_lost(&text);
            text.push_str(
                "\n## Logs and audit\n\nnot read: no connection to the host when the snapshot was taken\n",
            );
        }
    }
    // Masked even when this console shows secrets (`--no-mask`): a snapshot is shared.
    let mut text = pilothouse_core::mask::known().mask(&text).into_owned();
    // `save` ends every line it is given with a newline.
    text.truncate(text.trim_end_matches('\n').len());
    let dir = req.dir.clone();
    let name = req.file_name.clone();
    // A new file readable by its owner only, as saved logs are.
    tokio::task::spawn_blocking(move || pilothouse_core::logs::save::save(&dir, &name, &[text]))
        .await
        .map_err(|e| format!("writing the snapshot: {e}"))?
}

async fn last_lines(docker: &Docker, containers: &[(String, String)]) -> String {
    let mut out = format!("\n## Logs: the last {LOG_LINES} lines of every container (sanitized)\n");
    for (service, id) in containers {
        let (tx, mut rx) = mpsc::channel::<LogBatch>(64);
        let task = tokio::spawn(follow_logs(
            docker.clone(),
            crate::engine::logs::LogSource::Container(id.clone()),
            service.clone(),
            0,
            LogStart::Tail(LOG_LINES),
            None,
            false,
            false,
            Default::default(),
            LogSink::Plain(tx),
        ));
        let mut lines = Vec::new();
        while let Some(batch) = rx.recv().await {
            for l in batch.lines {
                lines.push(format!(
                    "{} {}",
                    pilothouse_core::time::utc(l.ts.div_euclid(1_000_000_000)),
                    l.shown(false)
                ));
            }
        }
        let _ = task.await;
        let _ = writeln!(
            out,
            "\n### {service} ({})\n\n```text",
            id.get(..12).unwrap_or(id)
        );
        for l in lines.iter().rev().take(LOG_LINES as usize).rev() {
            // A fence inside a line would end the block early.
            let _ = writeln!(out, "{}", l.replace("```", "'''"));
        }
        let _ = writeln!(out, "```");
    }
    out
}

async fn audit(out: &mut String, remote: &Remote, project_dir: &str) {
    let _ = writeln!(out, "\n## The host's audit records (newest first)\n");
    match read_audit(remote, project_dir).await {
        Ok(records) if records.is_empty() => {
            let _ = writeln!(out, "none");
        }
        Ok(records) => {
            let shown: Vec<_> = records.into_iter().take(AUDIT_RECORDS).collect();
            let _ = write!(
                out,
                "```text\n{}```\n",
                pilothouse_core::model::job::as_table(&shown)
            );
        }
        Err(e) => {
            let _ = writeln!(out, "not read: {e}");
        }
    }
}

/// The values in the env file that are secrets: those of variables named like one
/// (PASSWORD, SECRET, TOKEN, KEY...), and the password of any URL.
pub async fn read_secrets(
    remote: &Remote,
    project_dir: &str,
    env_file: &str,
) -> Result<Vec<String>, String> {
    // The env file's path is relative to the project directory, as compose reads it.
    let script = format!(
        "cd {} 2>/dev/null && cat {} 2>/dev/null",
        quote(project_dir),
        quote(env_file)
    );
    // In the connection's poll shell: no ssh process, session or shell of its own.
    let out = remote.poll(&script, Duration::from_secs(10)).await?;
    if out.status != Some(0) {
        return Err(format!("{env_file} in {project_dir} could not be read"));
    }
    Ok(pilothouse_core::mask::secrets_in(&String::from_utf8_lossy(
        &out.stdout,
    )))
}

/// Learns a compose environment's env-file secrets for masking ([`pilothouse_core::mask`]); Err
/// says why they could not be read (a swarm environment has no env file: Ok).
pub async fn learn_secrets(
    remote: &Remote,
    env: &pilothouse_core::config::Environment,
) -> Result<(), String> {
    let Some(c) = env.compose() else {
        return Ok(());
    };
    let file = c.project_dir.join(&c.env_file);
    read_secrets(remote, ".", &file)
        .await
        .map(pilothouse_core::mask::learn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_written_without_a_connection_never_says_connected() {
        let summary =
            "# Incident snapshot\n\n- host: h\n- connection: connected\n\n## Containers\n";
        let text = connection_lost(summary);
        assert!(!text.contains("connection: connected"), "{text}");
        assert!(text.contains("- connection: DISCONNECTED"), "{text}");
        assert!(text.contains("**STALE**"), "{text}");
        assert!(text.ends_with("\n\n## Containers\n"), "{text}");
        let stale = "- connection: DISCONNECTED\n";
        assert_eq!(connection_lost(stale), stale);
    }
}

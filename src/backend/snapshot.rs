//! Writing an incident snapshot: the console's summary, the last log lines of every
//! service and the host's audit records, with every secret masked, to a private file.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use bollard::Docker;
use regex::Regex;
use tokio::sync::mpsc;

use super::logs::{LogSink, LogStart, follow};
use super::remote::{Remote, quote};
use super::runner::read_audit;
use crate::logs::LogBatch;

/// Lines of each service's log in a snapshot.
pub const LOG_LINES: u32 = 200;
/// Audit records in a snapshot.
const AUDIT_RECORDS: usize = 50;
/// How long the host may take for all of it.
const LIMIT: Duration = Duration::from_secs(30);

pub use crate::model::requests::SnapshotRequest;

/// The summary with its connection line corrected: written while no connection was
/// there, whatever the screen believed, and everything in it marked as the last reading.
fn connection_lost(summary: &str) -> String {
    const LIVE: &str = "- connection: connected";
    match summary.find(LIVE) {
        Some(at) => {
            let end = crate::text::after(summary, at)
                .find('\n')
                .map_or(summary.len(), |n| at + n);
            format!(
                "{}- connection: DISCONNECTED (lost while the snapshot was taken; reconnecting)\n\
                 - **STALE**: not connected; everything below is the last reading, not the present{}",
                crate::text::before(summary, at),
                crate::text::after(summary, end)
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
    let mut secrets = Vec::new();
    let mut text = req.summary.clone();
    match (&remote, &docker) {
        (Some(remote), Some(docker)) => {
            match read_secrets(remote, &req.project_dir, &req.env_file).await {
                Ok(s) => secrets = s,
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
    let mut text = mask(&text, &secrets);
    // `save` ends every line it is given with a newline.
    text.truncate(text.trim_end_matches('\n').len());
    let dir = req.dir.clone();
    let name = req.file_name.clone();
    // A new file readable by its owner only, as saved logs are.
    tokio::task::spawn_blocking(move || crate::logs::save::save(&dir, &name, &[text]))
        .await
        .map_err(|e| format!("writing the snapshot: {e}"))?
}

async fn last_lines(docker: &Docker, containers: &[(String, String)]) -> String {
    let mut out = format!("\n## Logs: the last {LOG_LINES} lines of every container (sanitized)\n");
    for (service, id) in containers {
        let (tx, mut rx) = mpsc::channel::<LogBatch>(64);
        let task = tokio::spawn(follow(
            docker.clone(),
            super::logs::Source::Container(id.clone()),
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
                    crate::time::utc(l.ts.div_euclid(1_000_000_000)),
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
            let _ = write!(out, "```text\n{}```\n", crate::model::job::as_table(&shown));
        }
        Err(e) => {
            let _ = writeln!(out, "not read: {e}");
        }
    }
}

/// The values in the env file that are secrets: those of variables named like one
/// (PASSWORD, SECRET, TOKEN, KEY...), and the password of any URL.
async fn read_secrets(
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
    let out = remote.sh(&script, Duration::from_secs(10)).await?;
    if out.status != Some(0) {
        return Err(format!("{env_file} in {project_dir} could not be read"));
    }
    Ok(secrets_in(&String::from_utf8_lossy(&out.stdout)))
}

/// See [`read_secrets`].
pub fn secrets_in(env_text: &str) -> Vec<String> {
    const NAMES: [&str; 11] = [
        "PASSWORD",
        "PASSWD",
        "PASS",
        "SECRET",
        "TOKEN",
        "KEY",
        "PRIVATE",
        "CREDENTIAL",
        "AUTH",
        "SALT",
        "DSN",
    ];
    let mut out = Vec::new();
    for line in env_text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let Some(value) = super::db::env_value(line, name.trim()) else {
            continue;
        };
        let upper = name.to_ascii_uppercase();
        if NAMES.iter().any(|n| upper.contains(n)) && value.len() >= 4 {
            out.push(value.clone());
        }
        if let Some(c) = URL_PASSWORD.as_ref().and_then(|r| r.captures(&value))
            && let Some(pw) = c.get(2)
            && pw.as_str().len() >= 3
        {
            out.push(pw.as_str().to_string());
        }
    }
    out
}

/// `scheme://user:password@`.
static URL_PASSWORD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):([^@\s]+)@").ok());

/// `text` with every secret value, and every URL password, replaced by `****`.
pub fn mask(text: &str, secrets: &[String]) -> String {
    let mut out = match URL_PASSWORD.as_ref() {
        Some(r) => r.replace_all(text, "$1:****@").into_owned(),
        None => text.to_string(),
    };
    let mut secrets: Vec<&String> = secrets.iter().collect();
    // Longest first, so that a secret containing another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets {
        out = out.replace(s.as_str(), "****");
    }
    out
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

    #[test]
    fn secrets_of_the_env_file_and_url_passwords_are_masked() {
        let env = "# comment\nCOMPOSE_PROJECT_NAME=acme-staging\nDATABASE_URL=postgresql://acme:s3cr3t-pw@db:5432/acme\nexport JWT_SECRET=\"abcdef123456\"\nAPI_KEY='k-999'\nWEB_TAG=v1\n";
        let secrets = secrets_in(env);
        let text = "connecting to postgresql://acme:s3cr3t-pw@db:5432/acme\njwt abcdef123456 key k-999 project acme-staging tag v1\nredis://:other-pw@cache:6379";
        let masked = mask(text, &secrets);
        for s in ["s3cr3t-pw", "abcdef123456", "k-999", "other-pw"] {
            assert!(!masked.contains(s), "{s} left in: {masked}");
        }
        assert!(
            masked.contains("postgresql://acme:****@db:5432/acme"),
            "{masked}"
        );
        assert!(masked.contains("project acme-staging tag v1"), "{masked}");
    }
}

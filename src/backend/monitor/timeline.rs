//! An environment's timeline, read once: what the engine remembers (its kept events,
//! each container's record), the host's audit trail and the env file's backups, merged
//! on the host's clock. A source that cannot be read is named, and the rest is shown.

use std::time::Duration;

use crate::connection::link::Link;
use crate::connection::remote::Remote;
use crate::engine::{docker, history, swarm};
use pilothouse_core::config::{Environment, Watched};
use pilothouse_core::model::timeline::{
    Bound, ENV_MARK, Entry, audit_entry, merge, parse_env_tags, tag_changes,
};
use pilothouse_core::shell::quote;

/// How many of the env file's backups are read (the newest): one per deploy.
const BACKUPS_READ: usize = 50;

/// A timeline as read.
#[derive(Debug, Default)]
pub struct TimelineRead {
    /// Oldest first, merged.
    pub entries: Vec<Entry>,
    /// The host's clock less this machine's (nanoseconds), measured across one request
    /// to the engine (off by at most half its round trip): how long the read took, or
    /// waited to be handed on, is not in it.
    pub clock_offset: i64,
    /// The sources that could not be read, and why.
    pub missing: Vec<String>,
}

/// Reads the environment's timeline between `since` and `until` (default: now).
pub async fn read_timeline(
    link: &Link,
    env: &Environment,
    since: Bound,
    until: Option<Bound>,
) -> Result<TimelineRead, String> {
    let (client, _) = docker::connect_engine(link.docker_socket()).await?;
    read_with(&client, &link.remote(), env, since, until).await
}

/// The same through an engine client and a host already connected (the console's).
pub async fn read_with(
    client: &bollard::Docker,
    remote: &Remote,
    env: &Environment,
    since: Bound,
    until: Option<Bound>,
) -> Result<TimelineRead, String> {
    let asked = pilothouse_core::time::unix_now_ns();
    let now = docker::daemon_now_ns(client).await?;
    let answered = pilothouse_core::time::unix_now_ns();
    let from = since.resolve(now);
    let to = until.map_or(now, |u| u.resolve(now)).min(now);
    let mut read = TimelineRead {
        clock_offset: now - (asked / 2 + answered / 2),
        ..TimelineRead::default()
    };
    let mut entries = Vec::new();
    let mut services = Vec::new();
    match env.watched() {
        Watched::Compose { project, .. } => {
            match engine_history(client, &project, from, to).await {
                Ok((e, s)) => {
                    entries.extend(e);
                    services = s;
                }
                Err(e) => read.missing.push(format!("the engine's history: {e}")),
            }
        }
        Watched::Swarm(stacks) => match swarm_history(client, &stacks, from, to).await {
            Ok(e) => entries.extend(e),
            Err(e) => read.missing.push(format!("the swarm's history: {e}")),
        },
    }
    match crate::audit::read_audit_in(remote, env.host_dir().as_str(), true).await {
        Ok(records) => entries.extend(records.iter().map(audit_entry)),
        Err(e) => read.missing.push(format!("the audit trail: {e}")),
    }
    if env.compose().is_some() {
        match env_file_changes(remote, env, &services).await {
            Ok(e) => entries.extend(e),
            Err(e) => read.missing.push(format!("the env file's backups: {e}")),
        }
    }
    entries.retain(|e| e.time >= from && e.time <= to);
    read.entries = merge(entries);
    Ok(read)
}

/// The engine's kept events and each container's record, and the project's services.
async fn engine_history(
    client: &bollard::Docker,
    project: &str,
    from: i64,
    to: i64,
) -> Result<(Vec<Entry>, Vec<String>), String> {
    let listed = docker::list(client, project).await?;
    let images: Vec<String> = listed.iter().filter_map(|c| c.image.clone()).collect();
    let mut services: Vec<String> = listed
        .iter()
        .map(|c| docker::listed_info(c, project).service)
        .collect();
    services.sort();
    services.dedup();
    let ids = listed.iter().filter_map(|c| c.id.clone()).collect();
    let mut entries = history::replay(client, project, &images, from, to).await?;
    entries.extend(history::records(client, ids).await?);
    Ok((entries, services))
}

/// The manager's kept service and node events, the tasks it still keeps that were
/// rejected or failed, and each service's last update.
async fn swarm_history(
    client: &bollard::Docker,
    stacks: &[String],
    from: i64,
    to: i64,
) -> Result<Vec<Entry>, String> {
    let mut entries = swarm::history::replay(client, stacks, from, to).await?;
    let state = swarm::read_swarm(client, stacks).await?;
    entries.extend(swarm::history::task_entries(&state));
    entries.extend(swarm::history::update_entries(&state));
    Ok(entries)
}

/// The tag changes the env file's newest backups tell. Only the services' tag
/// variables are read from the files (their other lines are never sent).
async fn env_file_changes(
    remote: &Remote,
    env: &Environment,
    services: &[String],
) -> Result<Vec<Entry>, String> {
    let Some(compose) = env.compose() else {
        return Ok(Vec::new());
    };
    let mut vars: Vec<String> = services.iter().map(|s| env.deploy.tag_var(s)).collect();
    vars.sort();
    vars.dedup();
    if vars.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("^({})=", vars.join("|"));
    let script = format!(
        "cd {dir} 2>/dev/null || exit 0; f={file}; set -- \"$f\".pilothouse-2*; \
         [ -e \"$1\" ] || set --; [ $# -gt {BACKUPS_READ} ] && shift $(($# - {BACKUPS_READ})); \
         for b in \"$@\"; do printf '{ENV_MARK}%s\\n' \"${{b##*.pilothouse-}}\"; grep -E {pattern} \"$b\"; done; \
         printf '{ENV_MARK}current\\n'; grep -E {pattern} \"$f\"; exit 0",
        dir = quote(compose.project_dir.as_str()),
        file = quote(compose.env_file.as_str()),
        pattern = quote(&pattern),
    );
    let out = remote.poll(&script, Duration::from_secs(15)).await?;
    if out.status != Some(0) {
        return Err(pilothouse_core::logs::sanitize::clean_str(&out.stderr));
    }
    let (backups, current) = parse_env_tags(&String::from_utf8_lossy(&out.stdout));
    let service_of = |var: &str| {
        services
            .iter()
            .find(|s| env.deploy.tag_var(s) == var)
            .cloned()
            .unwrap_or_else(|| var.to_string())
    };
    Ok(tag_changes(&backups, &current, service_of))
}

//! The database monitor: one long-lived connection (application_name `pilothouse`)
//! that reads `pg_stat_activity` and the connection settings every few seconds.
//!
//! The URL (with its password) is read from the host's env file or a local variable,
//! used to connect, and kept nowhere else: it is never reported, logged or shown, and
//! every error that leaves here has the password masked as a second line of defence.

use std::str::FromStr;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::connection::remote::{Endpoint, Remote};
use crate::monitor::db_error::db_error;
use pilothouse_core::config::{DatabaseSettings, SslMode, UrlSource};
use pilothouse_core::shell::quote;

use pilothouse_core::model::pool::{
    APPLICATION_NAME, DbSession, PoolEvent, PoolSample, RawSession,
};
const CONNECT_LIMIT: Duration = Duration::from_secs(10);
const QUERY_LIMIT: Duration = Duration::from_secs(10);

/// Reads the URL from where the config says.
pub async fn read_db_url(
    source: &UrlSource,
    remote: &Remote,
    env_file: &str,
) -> Result<String, String> {
    read_secret("database URL", source, remote, env_file).await
}

/// Reads a secret (`what`: "database URL", "Redis password") from where the config says:
/// this machine's environment, or one line of the env file on the host. An error names
/// where it looked, never the value.
pub async fn read_secret(
    what: &str,
    source: &UrlSource,
    remote: &Remote,
    env_file: &str,
) -> Result<String, String> {
    let label = format!("{what} ({source})");
    let failed = |label: &str, why: &str| format!("{label}: {why}");
    let var = match source {
        UrlSource::LocalEnv(var) => {
            return std::env::var(var.as_str())
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| failed(&label, "not set"));
        }
        UrlSource::EnvFile(var) => var.as_str().to_string(),
    };
    // Only the one line leaves the host; the variable name is [A-Za-z0-9_].
    let script = format!(
        "grep -E '^[[:space:]]*(export[[:space:]]+)?{var}=' {} | tail -n 1",
        quote(env_file)
    );
    let out = match remote.poll(&script, QUERY_LIMIT).await {
        Ok(o) => o,
        Err(e) => return Err(failed(&label, &e)),
    };
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    match env_value(&line, &var) {
        Some(v) => Ok(v),
        None if !out.stderr.is_empty() => Err(failed(&label, &format!("cannot read {env_file}"))),
        None => Err(failed(&label, &format!("not set in {env_file}"))),
    }
}

/// The value of `VAR=value` (optionally `export`ed, optionally quoted) in an env line,
/// read as [`pilothouse_core::mask::env_line`] reads every env file line.
pub fn env_value(line: &str, var: &str) -> Option<String> {
    pilothouse_core::mask::env_line(line)
        .filter(|(name, _)| *name == var)
        .map(|(_, value)| value)
}

/// Replaces every occurrence of the password in `text`.
pub fn mask(text: &str, password: Option<&str>) -> String {
    match password {
        Some(p) if p.len() >= 3 => text.replace(p, "****"),
        _ => text.to_string(),
    }
}

/// A connected monitor: the client, and the password for masking errors.
pub struct Monitor {
    client: tokio_postgres::Client,
    password: Option<String>,
    _connection: AbortOnDrop,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The way to the database, kept across reconnects so that every attempt does not add
/// another forward to the SSH connection.
pub type Route = Option<((String, u16), Endpoint)>;

/// Connects with the URL, through the host when `tunnel` is set (reusing the forward in
/// `route` when it still leads to the URL's host and port).
pub async fn connect_db(
    url: &str,
    settings: &DatabaseSettings,
    remote: &Remote,
    route: &mut Route,
) -> Result<Monitor, String> {
    // tokio-postgres's parse errors can quote the offending text: none of it is passed on.
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|_| "the database URL is not a valid PostgreSQL URL".to_string())?;
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    pilothouse_core::mask::learn(password.clone());
    let masked = |e: String| mask(&e, password.as_deref());
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => return Err("the database URL names no TCP host".into()),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    config.application_name(APPLICATION_NAME);
    let endpoint = if settings.tunnel {
        match route {
            Some((to, e)) if *to == (host.clone(), port) => e.clone(),
            _ => {
                let e = remote
                    .reach(&host, port)
                    .await
                    .map_err(|e| masked(format!("tunnel to the database: {e}")))?;
                *route = Some(((host.clone(), port), e.clone()));
                e
            }
        }
    } else {
        Endpoint::Tcp {
            host: host.clone(),
            port,
        }
    };
    let stream = endpoint.connect(CONNECT_LIMIT).await.map_err(&masked)?;
    let handshake = async {
        match settings.sslmode {
            SslMode::Disable => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                plain(config.clone(), stream)
                    .await
                    .map(|(c, t)| (c, AbortOnDrop(t)))
            }
            mode => crate::monitor::db_tls::connect(
                config.clone(),
                stream,
                host.clone(),
                mode,
                settings.ca_file.as_ref().map(|p| p.path().to_path_buf()),
            )
            .await
            .map(|(c, t)| (c, AbortOnDrop(t))),
        }
    };
    let (client, connection) = match tokio::time::timeout(CONNECT_LIMIT, handshake).await {
        Ok(r) => r.map_err(&masked)?,
        Err(_) => {
            return Err(format!(
                "the database did not answer within {} s (timeout)",
                CONNECT_LIMIT.as_secs()
            ));
        }
    };
    Ok(Monitor {
        client,
        password,
        _connection: connection,
    })
}

/// Connects without TLS; the task drives the connection.
async fn plain(
    config: tokio_postgres::Config,
    stream: crate::connection::remote::AnyStream,
) -> Result<crate::monitor::db_tls::Connected, String> {
    let (client, connection) = config
        .connect_raw(stream, tokio_postgres::NoTls)
        .await
        .map_err(|e| db_error(&e))?;
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, task))
}

/// No parameters (typed: an untyped `&[]` can make the futures not `Send`).
const NO_PARAMS: &[&(dyn tokio_postgres::types::ToSql + Sync)] = &[];

const SETTINGS_SQL: &str = "SELECT current_setting('max_connections')::int4, \
     current_setting('superuser_reserved_connections')::int4, \
     coalesce(current_setting('reserved_connections', true), '0')::int4, \
     pg_backend_pid(), \
     extract(epoch FROM now())::int8";

const ACTIVITY_SQL: &str = "SELECT pid, coalesce(application_name, '')::text, \
     coalesce(usename::text, ''), coalesce(state, '')::text, \
     coalesce(wait_event_type = 'Lock', false), \
     (extract(epoch FROM now() - xact_start) * 1000)::int8, \
     (extract(epoch FROM now() - state_change) * 1000)::int8, \
     pg_blocking_pids(pid), \
     backend_type = 'client backend', \
     (extract(epoch FROM backend_start) * 1000000)::int8 \
     FROM pg_stat_activity";

use pilothouse_core::ops::terminate_sql;

/// A statement the action runner has the monitor run on its connection: at the
/// moment it matters most (every slot taken) a new connection would be refused.
#[derive(Debug)]
pub struct DbRequest {
    pub pid: i32,
    pub backend_start: i64,
    pub reply: tokio::sync::oneshot::Sender<Result<String, DbFailure>>,
}

/// Why a database step did not succeed, and whether it may have happened anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbFailure {
    /// The statement was sent and no answer came: it may or may not have run.
    pub maybe_ran: bool,
    pub message: String,
}

impl Monitor {
    /// One reading; an error means the connection is no good any more.
    pub async fn sample(&self) -> Result<PoolSample, String> {
        match tokio::time::timeout(QUERY_LIMIT, self.read()).await {
            Ok(r) => r.map_err(|e| mask(&e, self.password.as_deref())),
            Err(_) => Err(format!(
                "the database did not answer within {} s (timeout)",
                QUERY_LIMIT.as_secs()
            )),
        }
    }

    /// Terminates one session with [`terminate_sql`]; what happened, in words.
    pub async fn terminate(&self, pid: i32, backend_start: i64) -> Result<String, DbFailure> {
        let sql = terminate_sql(pid, backend_start);
        let answer = tokio::time::timeout(QUERY_LIMIT, self.client.query(&sql, NO_PARAMS)).await;
        let masked = |e: String| mask(&e, self.password.as_deref());
        match answer {
            Err(_) => Err(DbFailure {
                maybe_ran: true,
                message: format!(
                    "the database did not answer within {} s",
                    QUERY_LIMIT.as_secs()
                ),
            }),
            Ok(Err(e)) => Err(DbFailure {
                // An error from the server means it refused; a closed connection
                // means the answer was lost.
                maybe_ran: e.as_db_error().is_none(),
                message: masked(db_error(&e)),
            }),
            Ok(Ok(rows)) => match rows.first().map(|r| r.try_get::<_, bool>(0)) {
                None => Ok(format!(
                    "session {pid} had already ended: nothing to terminate"
                )),
                Some(Ok(true)) => Ok(format!("session {pid} terminated")),
                Some(Ok(false)) => Err(DbFailure {
                    maybe_ran: false,
                    message: format!("the server did not terminate session {pid}"),
                }),
                Some(Err(e)) => Err(DbFailure {
                    maybe_ran: true,
                    message: e.to_string(),
                }),
            },
        }
    }

    async fn read(&self) -> Result<PoolSample, String> {
        let s = self
            .client
            .query_one(SETTINGS_SQL, NO_PARAMS)
            .await
            .map_err(|e| db_error(&e))?;
        let rows = self
            .client
            .query(ACTIVITY_SQL, NO_PARAMS)
            .await
            .map_err(|e| db_error(&e))?;
        to_sample(&s, rows)
    }
}

/// A sample from the settings row and the `pg_stat_activity` rows.
fn to_sample(
    s: &tokio_postgres::Row,
    rows: Vec<tokio_postgres::Row>,
) -> Result<PoolSample, String> {
    {
        let mut sessions = Vec::new();
        let mut background = 0;
        for r in rows {
            if !r.try_get::<_, bool>(8).unwrap_or(false) {
                background += 1;
                continue;
            }
            sessions.push(DbSession::from_row(RawSession {
                pid: r.try_get(0).unwrap_or(0),
                application_name: r.try_get::<_, String>(1).unwrap_or_default(),
                user: r.try_get::<_, String>(2).unwrap_or_default(),
                state: r.try_get::<_, String>(3).unwrap_or_default(),
                waiting: r.try_get(4).unwrap_or(false),
                xact_ms: r.try_get::<_, Option<i64>>(5).ok().flatten(),
                state_ms: r.try_get::<_, Option<i64>>(6).ok().flatten(),
                blocked_by: r.try_get::<_, Vec<i32>>(7).unwrap_or_default(),
                backend_start: r.try_get::<_, Option<i64>>(9).ok().flatten(),
            }));
        }
        sessions.sort_by_key(|s| s.pid);
        let count = |i: usize| s.try_get::<_, i32>(i).map(|v| v.max(0) as u32);
        Ok::<_, String>(PoolSample {
            at: s.try_get::<_, i64>(4).unwrap_or(0),
            max_connections: count(0).map_err(|e| e.to_string())?,
            superuser_reserved: count(1).map_err(|e| e.to_string())?,
            reserved: count(2).map_err(|e| e.to_string())?,
            sessions,
            background,
            own_pid: s.try_get(3).unwrap_or(0),
        })
    }
}

/// Reads the URL, connects, and reports a sample every `settings.interval` until the
/// receiver is gone; between samples it serves the runner's `requests` on the same
/// connection. Failures are reported and retried at the same cadence; they never
/// end the environment's connection.
pub async fn watch(
    settings: DatabaseSettings,
    remote: Remote,
    env_file: String,
    out: mpsc::Sender<PoolEvent>,
    (mut requests, mut pace): (mpsc::Receiver<DbRequest>, super::pace::Pace),
) {
    let mut last = None;
    let mut monitor: Option<Monitor> = None;
    let mut route: Route = None;
    let mut failures = 0u32;
    let mut skip = 0u32;
    loop {
        tokio::select! {
            () = pace.next(settings.interval.0, last) => last = Some(tokio::time::Instant::now()),
            Some(req) = requests.recv() => {
                let answer = match &monitor {
                    Some(m) => m.terminate(req.pid, req.backend_start).await,
                    None => Err(DbFailure {
                        maybe_ran: false,
                        message: "the console has no connection to the database now".into(),
                    }),
                };
                let _ = req.reply.send(answer);
                continue;
            }
        }
        if monitor.is_none() {
            // After repeated failures, try less often (every 15th tick at most): a wrong
            // password retried every 2 s fills the server's log.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let attempt = async {
                let url = read_db_url(&settings.url, &remote, &env_file).await?;
                connect_db(&url, &settings, &remote, &mut route).await
            };
            match attempt.await {
                Ok(m) => monitor = Some(m),
                Err(e) => {
                    failures += 1;
                    skip = failures.saturating_sub(2).min(14);
                    if out.send(PoolEvent::Failed(e)).await.is_err() {
                        return;
                    }
                    continue;
                }
            }
        }
        let Some(m) = &monitor else { continue };
        let ev = match m.sample().await {
            Ok(s) => {
                failures = 0;
                PoolEvent::Sample(Box::new(s))
            }
            Err(e) => {
                monitor = None;
                failures += 1;
                PoolEvent::Failed(e)
            }
        };
        if out.send(ev).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilothouse_core::model::pool::SessionState;

    #[test]
    fn env_values_are_read_like_compose_reads_them() {
        let v = |l: &str| env_value(l, "DATABASE_URL");
        assert_eq!(
            v("DATABASE_URL=postgres://a:b@h/d\n").as_deref(),
            Some("postgres://a:b@h/d")
        );
        assert_eq!(v("export DATABASE_URL=\"x y\"").as_deref(), Some("x y"));
        assert_eq!(v("  DATABASE_URL='q'").as_deref(), Some("q"));
        assert_eq!(v("DATABASE_URL=u # comment").as_deref(), Some("u"));
        assert_eq!(v("DATABASE_URL="), None);
        assert_eq!(v("DATABASE_URL_OLD=x"), None);
        assert_eq!(v("export\tDATABASE_URL=t").as_deref(), Some("t"));
        assert_eq!(v("exportDATABASE_URL=x"), None);
        assert_eq!(v(""), None);
    }

    #[test]
    fn the_password_is_masked_wherever_it_appears() {
        let text = "connect postgres://acme:S3cretPw@h/db failed: S3cretPw";
        let m = mask(text, Some("S3cretPw"));
        assert!(!m.contains("S3cretPw"), "{m}");
        assert_eq!(m.matches("****").count(), 2);
        assert_eq!(mask("x", None), "x");
    }

    #[test]
    fn states_parse() {
        assert_eq!(
            SessionState::parse("idle in transaction"),
            SessionState::IdleInTransaction
        );
        assert!(SessionState::parse("idle in transaction (aborted)").in_transaction());
        assert_eq!(SessionState::parse(""), SessionState::Unknown);
    }
}

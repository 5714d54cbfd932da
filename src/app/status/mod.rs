//! `pilothouse status`: one look at every environment, no TUI, for scripts and cron.
//!
//! Exit codes: 0 every container is running and every health check healthy; 1 any is
//! not; 2 a config error; 3 a host could not be reached.

pub mod swarm;

use serde::Serialize;

use crate::state::{EnvState, PoolState};
use pilothouse_backend::Link;
use pilothouse_core::config::{Config, Environment};
use pilothouse_core::model::container::{ContainerInfo, Health, RunState};
use pilothouse_core::model::health::EndpointStatus;

pub const EXIT_OK: u8 = 0;
pub const EXIT_PROBLEM: u8 = 1;
pub const EXIT_UNREACHABLE: u8 = 3;

/// What one environment looked like.
#[derive(Debug, Serialize)]
pub struct EnvReport {
    pub environment: String,
    pub host: String,
    /// `compose` or `swarm`.
    pub engine: &'static str,
    /// The compose project, or the swarm stacks watched.
    pub project: String,
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
    pub containers: Vec<ContainerReport>,
    /// The configured health endpoints, in config order.
    pub health: Vec<EndpointReport>,
    /// The database's connections; absent when no database is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolReport>,
    /// The team's checks, each run once; empty when none are configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckReport>,
    /// BullMQ's queues and their Redis; absent when no queues are configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queues: Option<QueuesReport>,
    /// Services the project declares (compose files, deploy order) with no container.
    pub missing: Vec<MissingReport>,
    /// A swarm environment's services, tasks, nodes and secrets (absent for compose).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swarm: Option<swarm::SwarmReport>,
    /// Who holds the host lock, and for what (an action running now, or one whose
    /// outcome was unknown); absent when nobody does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<LockReport>,
    /// The newest action in the host's audit trail (compose or swarm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_action: Option<ActionReport>,
    /// The newest change someone made in the last week, from the timeline (a deploy,
    /// a restart, a tag change, a swarm update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change: Option<ChangeReport>,
}

/// One timeline entry, as `pilothouse timeline --json` writes it (less the source's
/// own fields).
#[derive(Debug, Serialize)]
pub struct ChangeReport {
    /// RFC 3339, UTC.
    pub time: String,
    pub source: &'static str,
    pub kind: &'static str,
    pub subject: String,
    pub summary: String,
}

impl EnvReport {
    /// The report before anything is read: unreachable, empty.
    fn unread(name: &str, env: &Environment) -> Self {
        let view = EnvState::from_config(name, env, 100);
        EnvReport {
            environment: name.to_string(),
            host: view.target,
            engine: env.engine().name(),
            project: view.project_name.clone(),
            reachable: false,
            error: None,
            docker_version: None,
            containers: Vec::new(),
            health: Vec::new(),
            pool: None,
            checks: Vec::new(),
            queues: None,
            missing: Vec::new(),
            swarm: None,
            lock: None,
            last_action: None,
            last_change: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LockReport {
    pub operator: String,
    pub action: String,
    /// Unix seconds.
    pub since: Option<i64>,
    /// Seconds since its console last said it is alive.
    pub quiet_secs: Option<i64>,
    /// A maintenance lock's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ActionReport {
    /// Unix seconds.
    pub time: i64,
    pub operator: String,
    pub action: String,
    pub targets: String,
    /// `succeeded`, `failed`, `rolled_back`, `unknown`, `cancelled`.
    pub result: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct MissingReport {
    pub service: String,
    /// False: only the deploy order names it, not the compose files on the host.
    pub in_compose_files: bool,
}

#[derive(Debug, Serialize)]
pub struct EndpointReport {
    pub name: String,
    pub service: String,
    pub url: String,
    pub up: bool,
    pub http_status: Option<u16>,
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub status: Option<String>,
    pub database: Option<String>,
    pub build: BuildReport,
    pub uptime_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
}

#[derive(Debug, Serialize)]
pub struct BuildReport {
    pub version: Option<String>,
    pub number: Option<String>,
    pub commit: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TlsReport {
    pub days_left: i64,
    pub not_after: i64,
    pub issuer: String,
}

/// The pool summary. Never carries the URL or its password.
#[derive(Debug, Default, Serialize)]
pub struct PoolReport {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub used: Option<u32>,
    pub max_connections: Option<u32>,
    /// superuser_reserved_connections + reserved_connections.
    pub reserved: Option<u32>,
    /// What ordinary users can have: max − reserved.
    pub headroom: Option<u32>,
    pub free: Option<i64>,
    /// Background processes `pg_stat_activity` lists that take no slot; `used` plus
    /// these is what `SELECT count(*) FROM pg_stat_activity` says.
    pub background: Option<u32>,
    pub by_application: indexmap::IndexMap<String, u32>,
    pub services: Vec<ServicePoolReport>,
    /// Pools + the console + pgAdmin's expected use while it runs.
    pub budget_total: u32,
    pub over_budget: bool,
}

/// The queues in one reading. Failures per minute need two readings a minute apart,
/// so the console shows them and this report does not.
#[derive(Debug, Default, Serialize)]
pub struct QueuesReport {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each problem, as the console's header says it.
    pub alerts: Vec<String>,
    pub queues: Vec<QueueReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisReport>,
}

/// One check's run.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub duration_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct QueueReport {
    pub name: String,
    /// As BullMQ's `Queue.getJobCounts()` names them.
    pub waiting: u64,
    pub active: u64,
    pub delayed: u64,
    pub prioritized: u64,
    pub failed: u64,
    pub completed: u64,
    #[serde(rename = "waiting-children")]
    pub waiting_children: u64,
    pub paused: bool,
    pub workers: u32,
    pub oldest_waiting_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RedisReport {
    pub version: String,
    pub used_memory: u64,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub evicted_keys: u64,
    pub connected_clients: u64,
    pub ops_per_sec: u64,
    pub role: String,
    pub replication: String,
}

#[derive(Debug, Serialize)]
pub struct ServicePoolReport {
    pub service: String,
    pub application_name: String,
    pub connections: u32,
    pub budget: u32,
    pub over_budget: bool,
}

#[derive(Debug, Serialize)]
pub struct ContainerReport {
    pub service: String,
    pub name: String,
    pub image: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    pub health: &'static str,
    pub failing_streak: u32,
    pub restart_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    pub ok: bool,
}

/// Whether a container is as it should be: running, and healthy if it has a check.
pub fn container_ok(c: &ContainerInfo) -> bool {
    c.run_state == RunState::Running && matches!(c.health, Health::Healthy | Health::None)
}

fn report(c: &ContainerInfo) -> ContainerReport {
    let (state, exit_code) = match c.run_state {
        RunState::Running => ("running", None),
        RunState::Exited { code } => ("exited", Some(code)),
        RunState::Restarting => ("restarting", None),
        RunState::Paused => ("paused", None),
        RunState::Created => ("created", None),
        RunState::Removing => ("removing", None),
        RunState::Dead => ("dead", None),
    };
    ContainerReport {
        service: c.service.clone(),
        name: c.name.clone(),
        image: c.image.clone(),
        state,
        exit_code,
        health: c.health.label(),
        failing_streak: c.failing_streak,
        restart_count: c.restart_count,
        started_at: c.started_at,
        ok: container_ok(c),
    }
}

/// Connects to one environment, lists its project and disconnects.
pub async fn look(name: &str, env: &Environment) -> EnvReport {
    let mut out = EnvReport::unread(name, env);
    let tunnel = match Link::open(env).await {
        Ok(t) => t,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    let remote = tunnel.remote();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let health = pilothouse_backend::check_endpoints(&remote, &env.health.endpoints, now);
    let pool = async {
        let db = env.database.as_ref()?;
        let env_file = env
            .compose()
            .map(|c| c.project_dir.join(&c.env_file))
            .unwrap_or_default();
        let sample = async {
            let url = pilothouse_backend::read_db_url(&db.url, &remote, &env_file).await?;
            pilothouse_backend::connect_db(&url, db, &remote, &mut None)
                .await?
                .sample()
                .await
        };
        Some((db, sample.await))
    };
    let queues = read_queues(env, &remote, tunnel.docker_socket(), now);
    let checks = run_checks(env, &remote);
    let containers = async {
        match read_engine(env, tunnel.docker_socket(), &remote).await {
            Err(e) => {
                Err(
                    pilothouse_backend::explain_socket(&remote, env.docker_socket.as_str(), &e)
                        .await,
                )
            }
            other => other,
        }
    };
    let declared = async {
        pilothouse_backend::declared_services(&remote, env.compose()?)
            .await?
            .ok()
    };
    let week = pilothouse_core::model::timeline::Bound::Ago(7 * 86_400);
    let reads = async {
        tokio::join!(
            containers,
            health,
            pool,
            queues,
            checks,
            declared,
            actions(&remote, env),
            pilothouse_backend::learn_secrets(&remote, env),
            pilothouse_backend::read_timeline(&tunnel, env, week, None)
        )
    };
    let Ok((result, health, pool, queues, checks, declared, (lock, last), _, timeline)) =
        tokio::time::timeout(LOOK_LIMIT, reads).await
    else {
        tunnel.close().await;
        out.error = Some(format!(
            "connected, but its readings did not come within {} s",
            LOOK_LIMIT.as_secs()
        ));
        return out;
    };
    out.last_change = timeline.ok().and_then(|t| last_change(&t.entries));
    out.queues = queues;
    out.checks = checks;
    out.lock = lock;
    out.last_action = last;
    tunnel.close().await;
    let pgadmin_running = fill_engine(&mut out, env, result, declared);
    out.health = health.iter().map(endpoint_report).collect();
    out.pool = pool.map(|(db, sample)| pool_report(db, sample, pgadmin_running));
    out
}

/// The engine's version, the containers and a swarm's report, or why not.
type EngineRead = Result<(String, Vec<ContainerInfo>, Option<swarm::SwarmReport>), String>;

/// What the engine said, into the report; whether pgAdmin's container runs (its
/// connections then count against the pool).
fn fill_engine(
    out: &mut EnvReport,
    env: &Environment,
    result: EngineRead,
    declared: Option<Vec<String>>,
) -> bool {
    let mut pgadmin_running = false;
    match result {
        Ok((version, list, swarm)) => {
            out.reachable = true;
            out.docker_version = Some(version);
            out.swarm = swarm;
            pgadmin_running = list
                .iter()
                .any(|c| c.service == "pgadmin" && c.run_state == RunState::Running);
            out.containers = list.iter().map(report).collect();
            if env
                .compose()
                .and_then(pilothouse_core::ops::declared_services_command)
                .is_some()
            {
                out.missing = crate::state::missing_services(
                    &env.deploy.flat_order(),
                    declared.as_deref(),
                    list.iter().map(|c| c.service.as_str()),
                )
                .into_iter()
                .map(|m| MissingReport {
                    service: m.service,
                    in_compose_files: m.in_compose_files,
                })
                .collect();
            }
        }
        Err(e) => out.error = Some(e),
    }
    pgadmin_running
}

/// The newest change someone made, masked.
fn last_change(entries: &[pilothouse_core::model::timeline::Entry]) -> Option<ChangeReport> {
    let e = entries
        .iter()
        .rev()
        .find(|e| crate::state::timeline::is_made_change(e))?;
    Some(ChangeReport {
        time: pilothouse_core::time::rfc3339_utc(e.time),
        source: e.source.name(),
        kind: e.kind.name(),
        subject: pilothouse_core::mask::string(&e.subject),
        summary: pilothouse_core::mask::string(&e.summary),
    })
}

/// Every configured check, once, one after the other (as the console runs them).
async fn run_checks(env: &Environment, remote: &pilothouse_backend::Remote) -> Vec<CheckReport> {
    let place = pilothouse_backend::CheckPlace::of(env);
    let mut out = Vec::new();
    for c in &env.checks {
        let r = pilothouse_backend::run_check(c, remote, &place).await;
        out.push(CheckReport {
            name: r.name,
            ok: r.ok,
            detail: r.detail,
            duration_ms: r.duration_ms,
        });
    }
    out
}

/// One reading of the queues, when configured.
async fn read_queues(
    env: &Environment,
    remote: &pilothouse_backend::Remote,
    socket: &std::path::Path,
    now: i64,
) -> Option<QueuesReport> {
    let settings = env.queues.as_ref()?;
    let docker = pilothouse_backend::connect_engine(socket)
        .await
        .ok()
        .map(|(d, _)| d);
    let target = pilothouse_backend::QueueTarget {
        docker,
        remote: remote.clone(),
        project: env
            .compose()
            .and_then(|c| c.effective_project_name())
            .map(|p| p.to_string()),
        env_file: env
            .compose()
            .map(|c| c.project_dir.join(&c.env_file))
            .unwrap_or_default(),
    };
    let read = pilothouse_backend::read_queues_once(settings, &target).await;
    Some(queues_report(settings, read, now))
}

/// The queues as the console would show them after one reading.
fn queues_report(
    settings: &pilothouse_core::config::queues::QueueSettings,
    read: Result<pilothouse_core::model::queues::QueuesReading, String>,
    now: i64,
) -> QueuesReport {
    let mut state = crate::state::jobs::QueuesState::from_config(settings);
    match read {
        Err(e) => QueuesReport {
            ok: false,
            error: Some(pilothouse_core::mask::string(&e)),
            ..QueuesReport::default()
        },
        Ok(r) => {
            state.record(r, now);
            let alerts: Vec<String> = state.problems(now).iter().map(|p| p.text()).collect();
            QueuesReport {
                ok: alerts.is_empty(),
                error: None,
                alerts,
                queues: state
                    .queues
                    .iter()
                    .map(|row| {
                        let q = &row.reading;
                        QueueReport {
                            name: q.name.clone(),
                            waiting: q.counts.waiting,
                            active: q.counts.active,
                            delayed: q.counts.delayed,
                            prioritized: q.counts.prioritized,
                            failed: q.counts.failed,
                            completed: q.counts.completed,
                            waiting_children: q.counts.waiting_children,
                            paused: q.paused,
                            workers: q.workers,
                            oldest_waiting_ms: q.oldest_waiting_ms,
                            consumer: state.consumer_of(&q.name).map(str::to_string),
                        }
                    })
                    .collect(),
                redis: state.redis.as_ref().map(|r| RedisReport {
                    version: r.version.clone(),
                    used_memory: r.used_memory,
                    maxmemory: r.maxmemory,
                    maxmemory_policy: r.policy.clone(),
                    evicted_keys: r.evicted_keys,
                    connected_clients: r.connected_clients,
                    ops_per_sec: r.ops_per_sec,
                    role: r.role.clone(),
                    replication: r.replication.clone(),
                }),
            }
        }
    }
}

/// The host lock's holder and the newest record of the host's audit trail.
async fn actions(
    remote: &pilothouse_backend::Remote,
    env: &Environment,
) -> (Option<LockReport>, Option<ActionReport>) {
    let dir = env.host_dir();
    let (lock, audit) = tokio::join!(
        pilothouse_backend::read_lock(remote, dir.as_str()),
        // In the look's poll shell: no ssh session of its own.
        pilothouse_backend::read_audit_in(remote, dir.as_str(), true)
    );
    let lock = lock.ok().flatten().map(|o| {
        let o = pilothouse_core::model::job::LockOwner::from_json(&o);
        LockReport {
            operator: o.operator,
            action: o.action,
            since: o.since,
            quiet_secs: o.quiet_secs,
            maintenance: o.maintenance,
        }
    });
    let last = audit
        .ok()
        .and_then(|a| a.into_iter().next())
        .map(|a| ActionReport {
            time: a.time,
            operator: a.operator,
            action: a.action,
            targets: a.targets,
            result: a.result,
            error: pilothouse_core::text::mask_credentials(&a.error),
        });
    (lock, last)
}

/// The engine's version and what it runs: the compose project's containers (in the
/// console's default order), or the swarm's services, tasks, nodes and secrets.
async fn read_engine(
    env: &Environment,
    socket: &std::path::Path,
    remote: &pilothouse_backend::Remote,
) -> EngineRead {
    let (client, version) = pilothouse_backend::connect_engine(socket).await?;
    let (project, extra) = match env.watched() {
        pilothouse_core::config::Watched::Compose { project, extra } => (project, extra),
        pilothouse_core::config::Watched::Swarm(stacks) => {
            let (read, declared) = tokio::join!(
                pilothouse_backend::read_swarm_with_secrets(&client, &stacks),
                pilothouse_backend::stack_file_services(remote, env)
            );
            let report = swarm::SwarmReport::new(stacks, &read?, declared);
            return Ok((version, Vec::new(), Some(report)));
        }
    };
    let mut list = pilothouse_backend::read_containers(&client, &project, extra.as_ref()).await?;
    // The console's default order: deployment order, then by service.
    crate::state::sort_containers(
        &mut list,
        crate::state::SortKey::Service,
        &env.deploy.flat_order(),
        &Default::default(),
    );
    Ok((version, list, None))
}

fn endpoint_report(e: &EndpointStatus) -> EndpointReport {
    let i = &e.info;
    EndpointReport {
        name: e.name.clone(),
        service: e.service.clone(),
        url: e.url.clone(),
        up: e.up,
        http_status: e.http_status,
        latency_ms: e.latency_ms,
        error: e.error.clone(),
        status: i.status.clone(),
        database: i.database.clone(),
        build: BuildReport {
            version: i.version.clone(),
            number: i.build_number.clone(),
            commit: i.build_commit.clone(),
            date: i.build_date.clone(),
        },
        uptime_s: i.uptime_s,
        tls: e.cert.as_ref().map(|c| TlsReport {
            days_left: c.days_left(e.checked_at),
            not_after: c.not_after,
            issuer: c.issuer.clone(),
        }),
    }
}

fn pool_report(
    db: &pilothouse_core::config::DatabaseSettings,
    sample: Result<pilothouse_core::model::pool::PoolSample, String>,
    pgadmin_running: bool,
) -> PoolReport {
    let mut pool = PoolState::from_config(db);
    let sample = match sample {
        Ok(s) => s,
        Err(e) => {
            return PoolReport {
                error: Some(e),
                ..PoolReport::default()
            };
        }
    };
    let (max, reserved, background) = (
        sample.max_connections,
        sample.superuser_reserved + sample.reserved,
        sample.background,
    );
    pool.record(sample);
    let services: Vec<ServicePoolReport> = pool
        .budget_rows()
        .into_iter()
        .map(|r| ServicePoolReport {
            service: r.service,
            application_name: r.application_name,
            connections: r.actual,
            budget: r.budget,
            over_budget: r.over,
        })
        .collect();
    let budget_total = pool.budget_sum(pgadmin_running);
    let room = pool.slots().unwrap_or(0).saturating_sub(pool.keep_free);
    PoolReport {
        ok: !pool.low(),
        error: None,
        used: pool.used(),
        max_connections: Some(max),
        reserved: Some(reserved),
        headroom: pool.slots(),
        free: pool.free(),
        background: Some(background),
        by_application: pool.by_application().into_iter().collect(),
        services,
        budget_total,
        over_budget: budget_total > room,
    }
}

/// Once connected (within its `connect_timeout`), the most one environment's readings
/// may take: one host that does not answer never holds the others' report back longer.
pub const LOOK_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// At most this many environments are looked at at once (as many as connections start
/// at once).
static AT_ONCE: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(pilothouse_backend::STARTING_AT_ONCE);

/// Looks at the chosen environments side by side (the connections start as many at
/// once as the backend allows), each within its time limits; worst first.
pub async fn look_all(config: &Config, only: Option<&str>) -> Vec<EnvReport> {
    let looks = config
        .environments
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
        .map(|(name, env)| async move {
            // The whole look holds a place, not only its start: fifty hosts' readings at
            // once would swamp the machine they are read from.
            let _place = AT_ONCE.acquire().await.ok();
            look(name.as_str(), env).await
        });
    let mut reports = futures::future::join_all(looks).await;
    // Known broken first, then what could not be read, then the rest (as configured).
    reports.sort_by_key(|r| std::cmp::Reverse(standing(r)));
    reports
}

/// How one report stands: 0 ok, 1 unreachable, 2 a problem (the fleet view's order).
fn standing(r: &EnvReport) -> u8 {
    if !r.reachable {
        1
    } else if has_problem(r) {
        2
    } else {
        0
    }
}

fn has_problem(r: &EnvReport) -> bool {
    r.containers.iter().any(|c| !c.ok)
        || r.missing.iter().any(|m| m.in_compose_files)
        || r.health.iter().any(|h| !h.up)
        || r.pool.as_ref().is_some_and(|p| !p.ok)
        || r.queues.as_ref().is_some_and(|q| !q.ok)
        || r.checks.iter().any(|c| !c.ok)
        || r.swarm.as_ref().is_some_and(|s| s.problem())
}

/// The exit code for a set of reports: the worst of them.
pub fn exit_code(reports: &[EnvReport]) -> u8 {
    if reports.iter().any(|r| !r.reachable) {
        EXIT_UNREACHABLE
    } else if reports.iter().any(has_problem) {
        EXIT_PROBLEM
    } else {
        EXIT_OK
    }
}

/// The fleet in a few lines, before the details: a count, then one line for each
/// environment that is not ok (worst first), with what is wrong.
pub fn render_summary(reports: &[EnvReport]) -> String {
    let count = |n: u8| reports.iter().filter(|r| standing(r) == n).count();
    let mut out = format!(
        "fleet: {} environments · {} failing · {} unreachable · {} ok\n",
        reports.len(),
        count(2),
        count(1),
        count(0)
    );
    for r in reports.iter().filter(|r| standing(r) > 0) {
        let why = match &r.error {
            Some(e) if !r.reachable => e.clone(),
            _ => problems(r).join(", "),
        };
        let word = if r.reachable {
            "FAILING"
        } else {
            "UNREACHABLE"
        };
        out.push_str(&format!("  {word:<11}  {}  {why}\n", r.environment));
    }
    out.push('\n');
    out
}

/// What is wrong with a reachable environment, in a few words each.
fn problems(r: &EnvReport) -> Vec<String> {
    let counts = [
        (
            r.containers.iter().filter(|c| !c.ok).count(),
            "containers not ok",
        ),
        (
            r.missing.iter().filter(|m| m.in_compose_files).count(),
            "missing",
        ),
        (r.health.iter().filter(|h| !h.up).count(), "endpoints down"),
        (r.checks.iter().filter(|c| !c.ok).count(), "checks failing"),
    ];
    let flags = [
        (r.pool.as_ref().is_some_and(|p| !p.ok), "the pool"),
        (r.queues.as_ref().is_some_and(|q| !q.ok), "the queues"),
        (r.swarm.as_ref().is_some_and(|s| s.problem()), "the swarm"),
    ];
    let mut out: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    out.extend(
        flags
            .iter()
            .filter(|(bad, _)| *bad)
            .map(|(_, what)| format!("{what} not ok")),
    );
    out
}

/// The plain-text table.
pub fn render_text(reports: &[EnvReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let head = match (&r.error, &r.docker_version) {
            (Some(e), _) => format!("UNREACHABLE: {e}"),
            (None, Some(v)) => format!("Docker {v}"),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "{} ({}, {} {}): {head}\n",
            r.environment,
            r.host,
            if r.engine == "swarm" {
                "swarm"
            } else {
                "project"
            },
            r.project
        ));
        if !r.reachable {
            continue;
        }
        if let Some(s) = &r.swarm {
            s.render(&mut out);
            render_health(&mut out, r);
            continue;
        }
        if r.containers.is_empty() {
            out.push_str("  no containers\n");
        }
        let w = |f: fn(&ContainerReport) -> usize| r.containers.iter().map(f).max().unwrap_or(0);
        let (ws, wn, wi) = (
            w(|c| c.service.len()).max(7),
            w(|c| c.name.len()).max(9),
            w(|c| c.image.len()).max(5),
        );
        if !r.containers.is_empty() {
            out.push_str(&format!(
                "  {:<ws$}  {:<wn$}  {:<wi$}  {:<12}  {:<13}  RESTARTS\n",
                "SERVICE", "CONTAINER", "IMAGE", "STATE", "HEALTH"
            ));
        }
        for c in &r.containers {
            let state = match c.exit_code {
                Some(code) => format!("{} ({code})", c.state),
                None => c.state.to_string(),
            };
            let health = if c.failing_streak > 0 {
                format!("{} ({})", c.health, c.failing_streak)
            } else {
                c.health.to_string()
            };
            let mark = if c.ok { "" } else { "  <-" };
            out.push_str(&format!(
                "  {:<ws$}  {:<wn$}  {:<wi$}  {state:<12}  {health:<13}  {}{mark}\n",
                c.service, c.name, c.image, c.restart_count
            ));
        }
        for m in &r.missing {
            if m.in_compose_files {
                out.push_str(&format!(
                    "  {:<ws$}  MISSING: declared, no container  <-\n",
                    m.service
                ));
            } else {
                out.push_str(&format!(
                    "  warning: the deploy order names {}, which the compose files do not declare\n",
                    m.service
                ));
            }
        }
        render_health(&mut out, r);
    }
    out
}

fn render_health(out: &mut String, r: &EnvReport) {
    if !r.health.is_empty() {
        let wn = r
            .health
            .iter()
            .map(|h| h.name.len())
            .max()
            .unwrap_or(0)
            .max(8);
        out.push_str(&format!(
            "  {:<wn$}  {:<5}  {:<4}  {:>7}  BUILD\n",
            "ENDPOINT", "STATE", "HTTP", "LATENCY"
        ));
        for h in &r.health {
            let build = [&h.build.version, &h.build.number, &h.build.commit]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            let detail = match (&h.error, h.up) {
                (Some(e), false) => format!("  <- {e}"),
                (None, false) => "  <-".to_string(),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {:<wn$}  {:<5}  {:<4}  {:>7}  {build}{detail}\n",
                h.name,
                if h.up { "up" } else { "DOWN" },
                h.http_status.map_or("-".to_string(), |s| s.to_string()),
                h.latency_ms
                    .map_or("-".to_string(), |ms| format!("{ms} ms")),
            ));
        }
    }
    for c in &r.checks {
        out.push_str(&format!(
            "  check {}: {} ({} ms){}\n",
            c.name,
            if c.ok { "pass" } else { "FAIL" },
            c.duration_ms,
            if c.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", c.detail)
            }
        ));
    }
    if let Some(q) = &r.queues {
        match &q.error {
            Some(e) => out.push_str(&format!("  queues: ERROR: {e}\n")),
            None => {
                let counts: Vec<String> = q
                    .queues
                    .iter()
                    .map(|x| {
                        format!(
                            "{} {} waiting {} failed {} worker{}",
                            x.name,
                            x.waiting,
                            x.failed,
                            x.workers,
                            if x.workers == 1 { "" } else { "s" }
                        )
                    })
                    .collect();
                out.push_str(&format!("  queues: {}\n", counts.join(", ")));
                for a in &q.alerts {
                    out.push_str(&format!("  queues: <- {a}\n"));
                }
            }
        }
    }
    if let Some(p) = &r.pool {
        match (&p.error, p.used, p.headroom) {
            (Some(e), _, _) => out.push_str(&format!("  database pool: ERROR: {e}\n")),
            (None, Some(used), Some(headroom)) => {
                let over: Vec<String> = p
                    .services
                    .iter()
                    .filter(|s| s.over_budget)
                    .map(|s| format!("{} {}/{}", s.service, s.connections, s.budget))
                    .collect();
                out.push_str(&format!(
                    "  database pool: {used} of {headroom} usable in use, {} free{}{}\n",
                    p.free.unwrap_or(0).max(0),
                    if p.ok { "" } else { "  <- 3 or fewer free" },
                    if over.is_empty() {
                        String::new()
                    } else {
                        format!("; over budget: {}", over.join(", "))
                    }
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(reachable: bool, ok: &[bool]) -> EnvReport {
        EnvReport {
            environment: "e".into(),
            host: "h".into(),
            engine: "compose",
            project: "p".into(),
            reachable,
            swarm: None,
            lock: None,
            last_action: None,
            last_change: None,
            error: None,
            docker_version: None,
            health: Vec::new(),
            pool: None,
            checks: Vec::new(),
            queues: None,
            missing: Vec::new(),
            containers: ok
                .iter()
                .map(|&ok| ContainerReport {
                    service: "s".into(),
                    name: "n".into(),
                    image: "i".into(),
                    state: "running",
                    exit_code: None,
                    health: "healthy",
                    failing_streak: 0,
                    restart_count: 0,
                    started_at: None,
                    ok,
                })
                .collect(),
        }
    }

    #[test]
    fn unreachable_beats_a_problem_beats_ok() {
        assert_eq!(exit_code(&[env(true, &[true, true])]), EXIT_OK);
        assert_eq!(exit_code(&[env(true, &[true, false])]), EXIT_PROBLEM);
        assert_eq!(
            exit_code(&[env(true, &[false]), env(false, &[])]),
            EXIT_UNREACHABLE
        );
        assert_eq!(exit_code(&[]), EXIT_OK);
    }

    #[test]
    fn a_container_without_a_health_check_is_ok_when_running() {
        let mut c = pilothouse_core::model::container::ContainerInfo {
            id: String::new(),
            name: String::new(),
            service: String::new(),
            image: String::new(),
            run_state: RunState::Running,
            health: Health::None,
            failing_streak: 0,
            started_at: None,
            finished_at: None,
            restart_count: 0,
            ports: Vec::new(),
            details: Default::default(),
            inspected: true,
            outside: false,
        };
        assert!(container_ok(&c));
        c.health = Health::Starting;
        assert!(!container_ok(&c));
        c.health = Health::Healthy;
        c.run_state = RunState::Exited { code: 0 };
        assert!(!container_ok(&c));
    }
}

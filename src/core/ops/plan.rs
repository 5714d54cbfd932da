//! Operations: what an action does, as a plan of typed steps that can be shown as the
//! exact commands before anything runs. Pure: building a plan does no I/O.
//!
//! Every value that goes into a remote command is validated here (a service must exist
//! in the compose project as the console sees it; everything else comes from the config,
//! which validated it) and shell-quoted with [`quote`] when the command is written.

use std::fmt;

/// The tag that means "the images the last deploy replaced": every deploy tags the
/// running images with it before pulling; a rollback to it starts them again.
pub const ROLLBACK_TAG: &str = "rollback";

/// What an operation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpKind {
    Restart,
    Stop,
    Start,
    /// Run the migrations; `breaking` stops `stop_before_breaking` first.
    Migrate {
        breaking: bool,
    },
    /// The read-only migration status check.
    MigrationStatus,
    PgAdminStart,
    PgAdminStop,
    /// Remove a lock nobody holds any more.
    BreakLock,
    /// Take the host lock with a message ("DB maintenance until 14:00 — Sam"): every
    /// console shows it and no action runs until it is released.
    Maintenance {
        message: String,
        operator: String,
        /// Unix seconds, when planned.
        since: i64,
    },
    /// Release a maintenance lock.
    MaintenanceEnd,
    /// New images for the targets, behind the health gate, rolled back automatically
    /// when the gate fails.
    Deploy {
        tag: String,
        /// Run the migrations between the pull and the new containers.
        migrate: bool,
        /// The migrations are breaking: `stop_before_breaking` stops first.
        breaking: bool,
    },
    /// Back to an earlier tag (behind the same gate), or with `to` = `rollback` to the
    /// images the last deploy tagged `:rollback`.
    Rollback {
        to: String,
        /// With `to` = `rollback`: the tag that names those images on the host too
        /// (`v1`), which the env file then gets; None writes `rollback` itself.
        known_as: Option<String>,
    },
    /// A swarm's whole stack file deployed (`docker stack deploy`), as read for the
    /// preview.
    StackDeploy(Box<crate::model::swarm::StackFile>),
    /// A swarm service to this many replicas.
    Scale {
        replicas: u64,
    },
    /// A swarm node to `active`, `pause` or `drain`.
    NodeAvailability {
        to: String,
    },
    /// Show secrets unmasked in this console until it quits (an audited choice; the
    /// host is not touched).
    RevealSecrets,
    /// A BullMQ queue operation, run through the real `bullmq` library in a service's
    /// container ([`queue_runner`]); the target is the queue.
    Queue {
        op: QueueOp,
        /// BullMQ's key prefix.
        prefix: String,
        /// The service whose container has node and `bullmq`.
        runner: String,
        /// The variable in that container that holds the Redis URL.
        url_variable: String,
    },
    /// One of the team's own actions (`[[environments.X.actions]]`) with its values.
    Custom(Box<CustomOp>),
    /// An interactive shell in one running container, on this terminal (what is typed
    /// in it is never recorded).
    Shell(Box<crate::ops::shell_target::ShellTarget>),
    /// End one database session (its transaction is rolled back, its slot freed).
    Terminate {
        pid: i32,
        /// Microseconds since the epoch: a later session with the same pid is spared.
        backend_start: i64,
    },
}

impl OpKind {
    /// Why this action does not exist on `engine`, if it does not: the engine's
    /// capabilities decide, not which engine it is.
    pub fn refusal_on(&self, engine: crate::config::Engine) -> Option<String> {
        let label = self.label();
        match self {
            OpKind::Scale { .. } | OpKind::NodeAvailability { .. } | OpKind::StackDeploy(_)
                if !engine.schedules_replicas() =>
            {
                Some(format!(
                    "{label} is a swarm action; this environment is a compose project"
                ))
            }
            OpKind::Stop | OpKind::Start if !engine.runs_compose_files() => Some(format!(
                "swarm environment: {label} is a compose action; scale the service instead (S)"
            )),
            OpKind::Migrate { .. }
            | OpKind::MigrationStatus
            | OpKind::PgAdminStart
            | OpKind::PgAdminStop
                if !engine.runs_compose_files() =>
            {
                Some(format!(
                    "swarm environment: {label} runs through a compose file and is not built for a swarm (see the README)"
                ))
            }
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            OpKind::Restart => "restart",
            OpKind::Stop => "stop",
            OpKind::Start => "start",
            OpKind::Migrate { breaking: false } => "migrate",
            OpKind::Migrate { breaking: true } => "migrate (breaking)",
            OpKind::MigrationStatus => "migration status",
            OpKind::PgAdminStart => "pgAdmin start",
            OpKind::PgAdminStop => "pgAdmin stop",
            OpKind::BreakLock => "break the host lock",
            OpKind::Maintenance { .. } => "maintenance lock",
            OpKind::MaintenanceEnd => "end the maintenance lock",
            OpKind::RevealSecrets => "show secrets unmasked",
            OpKind::Terminate { .. } => "terminate a database session",
            OpKind::Shell(_) => "shell",
            OpKind::Deploy { migrate: false, .. } => "deploy",
            OpKind::Deploy {
                migrate: true,
                breaking: false,
                ..
            } => "deploy with migrations",
            OpKind::Deploy {
                migrate: true,
                breaking: true,
                ..
            } => "deploy with breaking migrations",
            OpKind::Rollback { .. } => "roll back",
            OpKind::Scale { .. } => "scale",
            OpKind::StackDeploy(_) => "stack deploy",
            OpKind::NodeAvailability { to } => match to.as_str() {
                "drain" => "drain node",
                "pause" => "pause node",
                _ => "activate node",
            },
            OpKind::Queue { op, .. } => op.label(),
            OpKind::Custom(_) => "action",
        }
    }

    /// What the queue, the preview and the audit call it: the label, or a team
    /// action's own name.
    pub fn name(&self) -> String {
        match self {
            OpKind::Custom(c) => c.name.clone(),
            other => other.label().to_string(),
        }
    }

    /// The risk as the preview says it: what this kind of action puts at stake.
    pub fn risk_text(&self) -> String {
        let text = match self {
            OpKind::Custom(c) if !c.description.is_empty() => {
                return format!("{}: {}", c.risk.describe_level(), c.description);
            }
            OpKind::Queue { op, .. } => match op {
                QueueOp::Resume => "low: the queue's workers take jobs again",
                QueueOp::Pause => {
                    "medium: no worker takes a job from the queue until it is resumed"
                }
                QueueOp::RetryFailed => "medium: every failed job runs again",
                QueueOp::Clean { .. } => "high: the removed jobs and their results are gone",
            },
            OpKind::Maintenance { .. } => {
                "medium: no action runs on this host, from any console, until it is released"
            }
            OpKind::Shell(_) => {
                "medium: what is typed in the shell can change the container; it is not recorded"
            }
            other => other.risk().describe(),
        };
        text.to_string()
    }

    /// How bad it is if this goes wrong, for the preview.
    pub fn risk(&self) -> Risk {
        match self {
            OpKind::MigrationStatus => Risk::ReadOnly,
            OpKind::PgAdminStart | OpKind::PgAdminStop | OpKind::Start => Risk::Low,
            OpKind::RevealSecrets | OpKind::MaintenanceEnd => Risk::Low,
            OpKind::Maintenance { .. } => Risk::Medium,
            OpKind::Custom(c) => c.risk,
            OpKind::Queue { op, .. } => match op {
                QueueOp::Resume => Risk::Low,
                QueueOp::Pause | QueueOp::RetryFailed => Risk::Medium,
                QueueOp::Clean { .. } => Risk::High,
            },
            OpKind::Restart | OpKind::Terminate { .. } | OpKind::Shell(_) => Risk::Medium,
            OpKind::Scale { replicas: 0 } => Risk::High,
            OpKind::Scale { .. } => Risk::Medium,
            OpKind::NodeAvailability { to } if to == "drain" => Risk::High,
            OpKind::NodeAvailability { to } if to == "pause" => Risk::Medium,
            OpKind::NodeAvailability { .. } => Risk::Low,
            OpKind::Stop
            | OpKind::BreakLock
            | OpKind::Deploy { .. }
            | OpKind::Rollback { .. }
            | OpKind::StackDeploy(_) => Risk::High,
            OpKind::Migrate { breaking } => {
                if *breaking {
                    Risk::High
                } else {
                    Risk::Medium
                }
            }
        }
    }
}

/// The longest maintenance message.
pub const MAINTENANCE_MESSAGE_MAX: usize = 120;

/// A maintenance message as it may be written: printable, one line, not empty.
pub fn valid_maintenance_message(m: &str) -> Result<(), Refused> {
    if m.trim().is_empty() {
        return Err(Refused(
            "type what the maintenance is (and until when, and who)".into(),
        ));
    }
    if m.chars().count() > MAINTENANCE_MESSAGE_MAX || m.chars().any(char::is_control) {
        return Err(Refused(format!(
            "a maintenance message is one line of at most {MAINTENANCE_MESSAGE_MAX} characters"
        )));
    }
    Ok(())
}

/// The steps that take or release a maintenance lock in `dir`'s `.pilothouse/lock`:
/// the lock directory is made atomically (refused when anyone holds it) with an owner
/// file that says maintenance; the release removes it only when it is one.
pub fn maintenance_steps(dir: &str, kind: &OpKind) -> Result<Vec<Step>, Refused> {
    let lock = lock_dir(dir);
    let parent = format!("{}/.pilothouse", dir.trim_end_matches('/'));
    let (label, command) = match kind {
        OpKind::Maintenance {
            message,
            operator,
            since,
        } => {
            valid_maintenance_message(message)?;
            let owner = serde_json::json!({
                "operator": operator,
                "action": "maintenance",
                "maintenance": message,
                "console": "maintenance",
                "since": since,
            })
            .to_string();
            (
                "take the host lock for maintenance".to_string(),
                format!(
                    "mkdir -p {p} && if mkdir {d} 2>/dev/null; then printf '%s' {o} > {d}/owner.json || {{ rm -rf {d}; exit 1; }}; else echo \"the host lock is held: $(head -c 300 {d}/owner.json 2>/dev/null)\" >&2; exit 1; fi",
                    p = crate::shell::quote(&parent),
                    d = crate::shell::quote(&lock),
                    o = crate::shell::quote(&owner),
                ),
            )
        }
        OpKind::MaintenanceEnd => (
            "release the maintenance lock".to_string(),
            format!(
                "if grep -qF '\"maintenance\":' {d}/owner.json 2>/dev/null; then rm -rf {d}; else echo 'the host lock is not a maintenance lock (or is free): nothing removed' >&2; exit 1; fi",
                d = crate::shell::quote(&lock),
            ),
        ),
        _ => return Err(Refused("not a maintenance action".into())),
    };
    Ok(vec![Step {
        label,
        command,
        exec: Exec::Shell,
    }])
}

/// What a queue action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOp {
    Pause,
    Resume,
    /// Every failed job back to waiting (BullMQ's `retryJobs`).
    RetryFailed,
    /// Completed and failed jobs older than this many seconds removed (`clean`).
    Clean {
        older_than_secs: u64,
    },
}

impl QueueOp {
    pub fn label(&self) -> &'static str {
        match self {
            QueueOp::Pause => "pause queue",
            QueueOp::Resume => "resume queue",
            QueueOp::RetryFailed => "retry the failed jobs of queue",
            QueueOp::Clean { .. } => "remove old completed and failed jobs of queue",
        }
    }

    /// The runner's first argument.
    fn word(&self) -> &'static str {
        match self {
            QueueOp::Pause => "pause",
            QueueOp::Resume => "resume",
            QueueOp::RetryFailed => "retry",
            QueueOp::Clean { .. } => "clean",
        }
    }
}

/// The BullMQ runner: a short script node runs in the runner service's container with
/// the real `bullmq` package the service already has. It is shown whole in the
/// preview. Arguments: the operation, the key prefix, the queue, the variable with the
/// Redis URL, the age in ms (clean). It prints the queue's counts after the operation.
pub const QUEUE_RUNNER: &str = r#"const [op, prefix, name, urlVar, age] = process.argv.slice(-5);
const { Queue } = require("bullmq");
const u = new URL(process.env[urlVar] || "redis://127.0.0.1:6379");
const connection = { host: u.hostname, port: Number(u.port || 6379),
  username: decodeURIComponent(u.username) || undefined,
  password: decodeURIComponent(u.password) || undefined,
  db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest: 1 };
const q = new Queue(name, { prefix, connection });
(async () => {
  if (op === "pause") await q.pause();
  else if (op === "resume") await q.resume();
  else if (op === "retry") await q.retryJobs({ state: "failed", count: 1000 });
  else if (op === "clean") {
    const c = await q.clean(Number(age), 100000, "completed");
    const f = await q.clean(Number(age), 100000, "failed");
    console.log(`removed ${c.length} completed and ${f.length} failed jobs`);
  } else throw new Error(`unknown operation ${op}`);
  console.log(`${op} ${name}: done; now ${JSON.stringify(await q.getJobCounts())}`);
  await q.close();
})().catch((e) => { console.error(e.message); process.exit(1); });"#;

/// The step that runs `op` on `queue` through [`QUEUE_RUNNER`]: `compose` is the
/// project's `cd DIR && COMPOSE -p … -f …`. Every value is validated by the caller and
/// quoted here.
pub fn queue_step(compose: &str, kind: &OpKind, queue: &str) -> Result<Step, Refused> {
    let OpKind::Queue {
        op,
        prefix,
        runner,
        url_variable,
    } = kind
    else {
        return Err(Refused("not a queue action".into()));
    };
    let ok = crate::config::queues::queue_name_ok;
    if !ok(queue) || !ok(prefix) {
        return Err(Refused(format!(
            "{:?} is not a queue name this console acts on",
            crate::text::clean(queue, 40)
        )));
    }
    crate::config::ServiceName::parse(runner).map_err(|e| Refused(crate::text::clean(&e, 120)))?;
    crate::config::EnvVarName::parse(url_variable)
        .map_err(|e| Refused(crate::text::clean(&e, 120)))?;
    let age_ms = match op {
        QueueOp::Clean { older_than_secs } => older_than_secs.saturating_mul(1000),
        _ => 0,
    };
    let args = [
        op.word().to_string(),
        prefix.clone(),
        queue.to_string(),
        url_variable.clone(),
        age_ms.to_string(),
    ];
    let older = match op {
        QueueOp::Clean { older_than_secs } => {
            format!(" older than {}", crate::time::exact_age(*older_than_secs))
        }
        _ => String::new(),
    };
    Ok(Step {
        label: format!("{} {queue}{older} (bullmq in {runner})", op.label()),
        command: format!(
            "{compose} exec -T {} node -e {} -- {}",
            crate::shell::quote(runner),
            crate::shell::quote(QUEUE_RUNNER),
            crate::shell::quote_all(&args)
        ),
        exec: Exec::Shell,
    })
}

/// A team action as confirmed: the template and every parameter with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomOp {
    pub name: String,
    pub template: String,
    pub description: String,
    pub risk: Risk,
    pub params: Vec<CustomParam>,
}

/// A parameter of a team action and the value given for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomParam {
    pub name: String,
    pub kind: crate::config::custom::ParamKind,
    /// The pattern a value must match whole (required for text).
    pub pattern: Option<String>,
    pub value: String,
}

/// The longest value a text parameter takes.
pub const PARAM_VALUE_MAX: usize = 200;

/// Whether `value` may be given for `p` (services are checked against the project by
/// the caller); Err says why not in words for the operator.
pub fn valid_param(p: &CustomParam, value: &str) -> Result<(), Refused> {
    use crate::config::custom::ParamKind;
    let shown = crate::text::clean(value, 40);
    if value.is_empty() {
        return Err(Refused(format!("give a value for {}", p.name)));
    }
    if value.chars().count() > PARAM_VALUE_MAX || value.chars().any(char::is_control) {
        return Err(Refused(format!(
            "{}: one line of at most {PARAM_VALUE_MAX} characters",
            p.name
        )));
    }
    match p.kind {
        ParamKind::Tag => valid_tag(value)?,
        ParamKind::Service => {
            crate::config::ServiceName::parse(value)
                .map_err(|_| Refused(format!("{shown:?} is not a service name")))?;
        }
        ParamKind::Text => {}
    }
    if let Some(pattern) = &p.pattern {
        let re = crate::config::custom::whole_match(pattern)
            .map_err(|e| Refused(format!("{}: its pattern: {e}", p.name)))?;
        if !re.is_match(value) {
            return Err(Refused(format!(
                "{shown:?} is not a value for {} (it must match {pattern})",
                p.name
            )));
        }
    }
    Ok(())
}

/// The step of a team action, run by `sh -c` in `dir` (the home directory when
/// empty): every parameter validated and substituted shell-quoted; `vars` are
/// `PILOTHOUSE_*` facts given to it as environment variables.
pub fn custom_step(dir: &str, op: &CustomOp, vars: &[(&str, &str)]) -> Result<Step, Refused> {
    use crate::config::custom::{Piece, pieces};
    for p in &op.params {
        valid_param(p, &p.value)?;
    }
    let mut command = String::new();
    for piece in pieces(&op.template) {
        match piece {
            Piece::Text(t) => command.push_str(t),
            Piece::Param(n) => {
                let p = op
                    .params
                    .iter()
                    .find(|p| p.name == n)
                    .ok_or_else(|| Refused(format!("{}: no parameter {n}", op.name)))?;
                command.push_str(&crate::shell::quote(&p.value));
            }
        }
    }
    let env: Vec<String> = vars
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::shell::quote(v)))
        .collect();
    let cd = if dir.is_empty() {
        String::new()
    } else {
        format!("cd {} && ", crate::shell::quote(dir))
    };
    Ok(Step {
        // The command as the team wrote it with the values in, easier to read than the
        // same quoted once more for `sh -c` below.
        label: format!("{}: {command}", op.name),
        command: format!(
            "{cd}env {} sh -c {}",
            env.join(" "),
            crate::shell::quote(&command)
        ),
        exec: Exec::Shell,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    ReadOnly,
    Low,
    Medium,
    High,
}

impl Risk {
    /// The level alone, for a description given with it.
    pub fn describe_level(self) -> &'static str {
        match self {
            Risk::ReadOnly => "read-only",
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Risk::ReadOnly => "read-only: changes nothing",
            Risk::Low => "low",
            Risk::Medium => "medium: the targets are briefly unavailable",
            Risk::High => "high: the targets stay down or the data changes",
        }
    }
}

/// Where a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exec {
    /// `command` in a shell on the host.
    Shell,
    /// `command` is [`terminate_sql`] for this session, run on the
    /// pool monitor's own database connection.
    Terminate { pid: i32, backend_start: i64 },
    /// Watches the engine's events until every service's newest container is running
    /// `image` and healthy; fails at once when one turns unhealthy or exits, and at the
    /// timeout.
    WaitHealthy {
        /// (service, the image reference it must run).
        services: Vec<(String, String)>,
        timeout_secs: u64,
    },
    /// Asks the configured health endpoints of these services; any not up fails it.
    Smoke { services: Vec<String> },
    /// Reads the swarm until the service has converged (see
    /// [`crate::model::swarm::SwarmState::convergence`]); fails at once when the engine
    /// pauses or rolls back the update, and at the timeout.
    SwarmConverge {
        service: String,
        /// The image its spec and tasks must run (None: whatever the spec says).
        image: Option<String>,
        /// For a change that starts an update: the update status's start as read when
        /// the plan was made (a status that started then is the one before it).
        old_update: Option<String>,
        /// The change is itself a rollback (`docker service rollback`): its rollback
        /// states are its progress, not the engine undoing it.
        rollback: bool,
        timeout_secs: u64,
    },
    /// After a failed update: when the engine rolled back by itself, waits for that;
    /// else runs `command` (`docker service rollback`); either way until `image` runs
    /// again on every task.
    SwarmRestore {
        service: String,
        image: String,
        timeout_secs: u64,
    },
    /// In the console itself: secrets are shown unmasked from now until it quits.
    Reveal,
    /// `command` on the operator's terminal (the console steps aside until it ends):
    /// nothing of what is typed or shown passes through the console.
    Interactive,
    /// Reads the swarm until the node has `availability` and, drained, its tasks run
    /// elsewhere.
    SwarmNode {
        node_id: String,
        availability: String,
        timeout_secs: u64,
    },
}

/// The steps that undo a plan when one of its steps from `from_step` on fails, or it
/// is cancelled after step `first_change` ran (a deploy's automatic rollback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undo {
    pub from_step: usize,
    /// The first step that changes something when it succeeds. Usually `from_step`; a
    /// swarm deploy's first `service update` changes nothing when it fails (the engine
    /// refused it) but the service once it succeeds.
    pub first_change: usize,
    /// Steps from this one on are after the change was made good (a post-deploy hook):
    /// their failure fails the item but undoes nothing.
    pub until: usize,
    pub steps: Vec<Step>,
}

/// One step: a shell command run on the host in the project directory, or a statement
/// run on the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What it does, for people.
    pub label: String,
    /// The exact command or statement, every value quoted.
    pub command: String,
    pub exec: Exec,
}

/// An operation and its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub kind: OpKind,
    pub targets: Vec<String>,
    pub steps: Vec<Step>,
    /// (service, from, to): what a deploy or rollback changes, for the preview.
    pub changes: Vec<(String, String, String)>,
    pub undo: Option<Undo>,
}

impl Plan {
    /// `restart gateway, order-service`
    pub fn title(&self) -> String {
        if self.targets.is_empty() {
            self.kind.name()
        } else {
            format!("{} {}", self.kind.name(), self.targets.join(", "))
        }
    }

    /// How bad it is if this goes wrong: the kind's risk, except that scaling every
    /// target up (from the replicas its change says it has) only starts tasks.
    pub fn risk(&self) -> Risk {
        if self.scales_up_only() {
            Risk::Low
        } else {
            self.kind.risk()
        }
    }

    /// The risk as the preview says it.
    pub fn risk_text(&self) -> String {
        if self.scales_up_only() {
            return "low: more tasks start; the running ones are not touched".into();
        }
        match self.kind {
            OpKind::Scale { replicas: 0 } => {
                "high: every task stops; the service serves nothing until scaled up".into()
            }
            OpKind::Scale { .. } => {
                "medium: the tasks removed stop, and the work they were doing ends".into()
            }
            _ => self.kind.risk_text(),
        }
    }

    fn scales_up_only(&self) -> bool {
        let OpKind::Scale { replicas } = self.kind else {
            return false;
        };
        let count = |s: &str| s.strip_suffix(" replicas")?.parse::<u64>().ok();
        !self.changes.is_empty()
            && self
                .changes
                .iter()
                .all(|(_, from, _)| count(from).is_some_and(|n| n <= replicas))
    }

    /// Whether it changes anything (and so needs the lock and an audit record).
    pub fn changes_state(&self) -> bool {
        self.kind.risk() != Risk::ReadOnly
    }

    /// Step `index`, counting the undo steps after the plan's own.
    pub fn step_at(&self, index: usize) -> Option<&Step> {
        self.steps.get(index).or_else(|| {
            self.undo
                .as_ref()
                .and_then(|u| u.steps.get(index - self.steps.len()))
        })
    }
}

/// The plan that shows secrets unmasked in this console (the same on every kind of
/// environment): one step, in the console, nothing on the host.
pub fn reveal_plan() -> Plan {
    Plan {
        kind: OpKind::RevealSecrets,
        targets: Vec::new(),
        steps: vec![Step {
            label: "show secrets unmasked in this console until it quits (lines read from now on: log pane, saved logs, step output)".into(),
            command: "(in this console; nothing runs on the host)".into(),
            exec: Exec::Reveal,
        }],
        changes: Vec::new(),
        undo: None,
    }
}

/// Why a plan cannot be made; nothing has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The statement that terminates one session: that pid only while it is still the
/// backend that started at `backend_start` (µs since the epoch), so a pid the server
/// has since reused is left alone. Both values are integers, written as such.
pub fn terminate_sql(pid: i32, backend_start: i64) -> String {
    format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = {pid} \
         AND (extract(epoch FROM backend_start) * 1000000)::int8 = {backend_start}"
    )
}

/// An image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn valid_tag(tag: &str) -> Result<(), Refused> {
    let ok = tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Refused(format!(
            "{:?} is not an image tag ([A-Za-z0-9_][A-Za-z0-9_.-], at most 128)",
            crate::text::clean(tag, 40)
        )))
    }
}

/// A confirmed item for the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: u64,
    pub env_name: String,
    /// The compose project (for the health gate's container lookup).
    pub project: String,
    pub project_dir: String,
    pub plan: Plan,
    pub owner: crate::model::job::Owner,
}

/// The lock directory in the project directory.
pub fn lock_dir(project_dir: &str) -> String {
    format!("{}/.pilothouse/lock", project_dir.trim_end_matches('/'))
}

/// The host's audit file in the project directory.
pub fn audit_file(project_dir: &str) -> String {
    format!(
        "{}/.pilothouse/audit.jsonl",
        project_dir.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_validated() {
        for ok in ["v1", "v2.0.1", "2026-11-22_build-7", "_x"] {
            assert!(valid_tag(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-v1",
            ".v1",
            "v1;id",
            "v1 v2",
            "$(x)",
            "`x`",
            "v'1",
            "a\nb",
            &"x".repeat(129),
        ] {
            assert!(valid_tag(bad).is_err(), "{bad:?}");
        }
    }

    fn custom(
        kind: crate::config::custom::ParamKind,
        pattern: Option<&str>,
        value: &str,
    ) -> CustomOp {
        CustomOp {
            name: "note".into(),
            template: "echo {{v}} >> notes".into(),
            description: String::new(),
            risk: Risk::Low,
            params: vec![CustomParam {
                name: "v".into(),
                kind,
                pattern: pattern.map(str::to_string),
                value: value.into(),
            }],
        }
    }

    #[test]
    fn a_team_action_s_values_are_validated_by_type_and_quoted_as_one_word() {
        use crate::config::custom::ParamKind;
        let op = custom(ParamKind::Text, Some("[a-z' ]+"), "it's ok");
        let ok =
            custom_step("/srv/app", &op, &[("PILOTHOUSE_ENV", "staging")]).expect("a valid value");
        let inner = "echo 'it'\\''s ok' >> notes";
        assert_eq!(ok.label, format!("note: {inner}"));
        assert_eq!(
            ok.command,
            format!(
                "cd '/srv/app' && env PILOTHOUSE_ENV='staging' sh -c {}",
                crate::shell::quote(inner)
            )
        );
        for (kind, pattern, value) in [
            (ParamKind::Text, Some("[a-z]+"), "abc; id"),
            (ParamKind::Text, Some("[a-z]+"), ""),
            (ParamKind::Text, Some(".*"), "a\nb"),
            (ParamKind::Tag, None, "v1;id"),
            (ParamKind::Service, None, "web$(id)"),
            (ParamKind::Service, Some("web|api"), "worker"),
        ] {
            assert!(
                custom_step("/srv/app", &custom(kind, pattern, value), &[]).is_err(),
                "{kind:?} {value:?}"
            );
        }
    }
}

//! Operations: what an action does, as a plan of typed steps that can be shown as the
//! exact commands before anything runs. Pure: building a plan does no I/O.
//!
//! Every value that goes into a remote command is validated here (a service must exist
//! in the compose project as the console sees it; everything else comes from the config,
//! which validated it) and shell-quoted with [`quote`] when the command is written.

mod deploy;

use std::fmt;

use crate::shell::quote;

pub use deploy::{ImageRef, image_ref};

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
    /// End one database session (its transaction is rolled back, its slot freed).
    Terminate {
        pid: i32,
        /// Microseconds since the epoch: a later session with the same pid is spared.
        backend_start: i64,
    },
}

impl OpKind {
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
            OpKind::Terminate { .. } => "terminate a database session",
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
        }
    }

    /// How bad it is if this goes wrong, for the preview.
    pub fn risk(&self) -> Risk {
        match self {
            OpKind::MigrationStatus => Risk::ReadOnly,
            OpKind::PgAdminStart | OpKind::PgAdminStop | OpKind::Start => Risk::Low,
            OpKind::Restart | OpKind::Terminate { .. } => Risk::Medium,
            OpKind::Stop | OpKind::BreakLock | OpKind::Deploy { .. } | OpKind::Rollback { .. } => {
                Risk::High
            }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    ReadOnly,
    Low,
    Medium,
    High,
}

impl Risk {
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
}

/// The steps that undo a plan when one of its steps from `from_step` on fails, or it
/// is cancelled after that step ran (a deploy's automatic rollback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undo {
    pub from_step: usize,
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
            self.kind.label().to_string()
        } else {
            format!("{} {}", self.kind.label(), self.targets.join(", "))
        }
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

/// Why a plan cannot be made; nothing has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a plan is built from: the environment's compose settings and the services the
/// console has seen in the project.
pub struct Project<'a> {
    pub dir: &'a str,
    pub name: &'a str,
    pub compose: &'a [String],
    pub files: &'a [String],
    pub pgadmin_file: Option<&'a str>,
    pub known_services: &'a [String],
    pub migrate: Option<&'a crate::config::MigrateSettings>,
    pub deploy: &'a crate::config::DeploySettings,
    /// The env file, relative to `dir`.
    pub env_file: &'a str,
    /// (service, the image reference its container runs).
    pub images: &'a [(String, String)],
    /// Services with a configured health endpoint (the deploy's smoke check).
    pub endpoint_services: &'a [String],
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

/// The read-only command that lists the services the project's compose files declare
/// (`config --services`); None when the environment watches every project.
pub fn declared_services_command(c: &crate::config::ComposeSettings) -> Option<String> {
    if c.project_dir.as_str() == "/" {
        return None;
    }
    let name = c.effective_project_name()?;
    let files: Vec<&str> = c.files.iter().map(|f| f.as_str()).collect();
    Some(format!(
        "cd {} && {} config --services",
        quote(c.project_dir.as_str()),
        crate::shell::compose_words(c.command.words(), name.as_str(), &files)
    ))
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

impl Project<'_> {
    /// `cd DIR && COMPOSE -p NAME -f F1 [-f F2 ...]`
    fn compose(&self, extra_file: Option<&str>) -> String {
        format!(
            "cd {} && {}",
            quote(self.dir),
            self.compose_words(extra_file)
        )
    }

    /// `COMPOSE -p NAME -f F1 [-f F2 ...]`, for use in the project directory.
    fn compose_words(&self, extra_file: Option<&str>) -> String {
        let files: Vec<&str> = self
            .files
            .iter()
            .map(String::as_str)
            .chain(extra_file)
            .collect();
        crate::shell::compose_words(self.compose, self.name, &files)
    }

    /// Every target must be a service of the project, as the console sees it.
    fn check_services(&self, targets: &[String]) -> Result<(), Refused> {
        if targets.is_empty() {
            return Err(Refused("no service selected".into()));
        }
        for t in targets {
            // A name Compose would not allow came from somewhere hostile (a label).
            if let Err(e) = crate::config::ServiceName::parse(t) {
                return Err(Refused(crate::text::clean(&e, 120)));
            }
            if !self.known_services.contains(t) {
                return Err(Refused(format!(
                    "{:?} is not a service of compose project {}",
                    crate::text::clean(t, 40),
                    self.name
                )));
            }
        }
        Ok(())
    }

    fn quoted(targets: &[String]) -> String {
        targets
            .iter()
            .map(|t| quote(t))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The plan for `kind` on `targets`.
    pub fn plan(&self, kind: OpKind, targets: Vec<String>) -> Result<Plan, Refused> {
        let step = |label: String, command: String| Step {
            label,
            command,
            exec: Exec::Shell,
        };
        let steps = match &kind {
            OpKind::Restart | OpKind::Stop | OpKind::Start => {
                self.check_services(&targets)?;
                let verb = match kind {
                    OpKind::Restart => "restart -t 10",
                    OpKind::Stop => "stop -t 10",
                    _ => "start",
                };
                vec![step(
                    format!("{} {}", kind.label(), targets.join(", ")),
                    format!("{} {verb} {}", self.compose(None), Self::quoted(&targets)),
                )]
            }
            OpKind::Migrate { breaking } => self.migration_steps(*breaking, &[])?,
            OpKind::MigrationStatus => {
                let m = self
                    .migrate
                    .ok_or_else(|| Refused("no [migrate] settings for this environment".into()))?;
                self.check_services(&[m.service.to_string()])?;
                vec![step(
                    format!("migration status in {}", m.service),
                    self.migrate_command(m, &m.status_command),
                )]
            }
            OpKind::PgAdminStart | OpKind::PgAdminStop => {
                let file = self.pgadmin_file.ok_or_else(|| {
                    Refused("no pgadmin_file in this environment's compose settings".into())
                })?;
                // Only pgAdmin's file: `down` or `rm` with the project's files as well
                // would act on the whole stack.
                let base = format!(
                    "cd {} && {}",
                    quote(self.dir),
                    crate::shell::compose_words(self.compose, self.name, &[file])
                );
                if kind == OpKind::PgAdminStart {
                    vec![step(
                        "start pgAdmin".into(),
                        format!("{base} up -d pgadmin"),
                    )]
                } else {
                    vec![step(
                        "stop and remove pgAdmin".into(),
                        format!("{base} rm -s -f pgadmin"),
                    )]
                }
            }
            OpKind::BreakLock => vec![step(
                "remove the host lock".into(),
                format!("rm -rf {}", quote(&lock_dir(self.dir))),
            )],
            OpKind::Deploy {
                tag,
                migrate,
                breaking,
            } => {
                let migrations = migrate.then_some(*breaking);
                return self.deploy_plan(kind.clone(), targets, tag, migrations);
            }
            OpKind::Rollback { to, .. } => {
                return self.deploy_plan(kind.clone(), targets, to, None);
            }
            OpKind::Terminate { pid, backend_start } => {
                if *pid <= 0 || *backend_start <= 0 {
                    return Err(Refused("no session selected".into()));
                }
                vec![Step {
                    label: format!("terminate session {pid}"),
                    command: terminate_sql(*pid, *backend_start),
                    exec: Exec::Terminate {
                        pid: *pid,
                        backend_start: *backend_start,
                    },
                }]
            }
        };
        Ok(Plan {
            kind,
            targets,
            steps,
            changes: Vec::new(),
            undo: None,
        })
    }

    /// The migrations, breaking ones between stopping `stop_before_breaking` and
    /// starting them again (except those in `started_later`, which a deploy starts on
    /// their new image).
    fn migration_steps(
        &self,
        breaking: bool,
        started_later: &[String],
    ) -> Result<Vec<Step>, Refused> {
        let step = |label: String, command: String| Step {
            label,
            command,
            exec: Exec::Shell,
        };
        let m = self
            .migrate
            .ok_or_else(|| Refused("no [migrate] settings for this environment".into()))?;
        let service = m.service.to_string();
        self.check_services(std::slice::from_ref(&service))?;
        let stop: Vec<String> = if breaking {
            m.stop_before_breaking
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            Vec::new()
        };
        if !stop.is_empty() {
            self.check_services(&stop)?;
        }
        if m.runner == crate::config::MigrateRunner::Exec && stop.contains(&service) {
            return Err(Refused(format!(
                "a breaking migration stops {service}, and runner = \"exec\" needs it running; use runner = \"run\" or another service"
            )));
        }
        let mut steps = Vec::new();
        if !stop.is_empty() {
            steps.push(step(
                format!("stop {} for the breaking migration", stop.join(", ")),
                format!("{} stop -t 10 {}", self.compose(None), Self::quoted(&stop)),
            ));
        }
        steps.push(step(
            format!("run the migrations in {service}"),
            self.migrate_command(m, &m.command),
        ));
        let restart: Vec<String> = stop
            .into_iter()
            .filter(|s| !started_later.contains(s))
            .collect();
        if !restart.is_empty() {
            steps.push(step(
                format!("start {} again", restart.join(", ")),
                format!("{} start {}", self.compose(None), Self::quoted(&restart)),
            ));
        }
        Ok(steps)
    }

    fn migrate_command(
        &self,
        m: &crate::config::MigrateSettings,
        command: &crate::config::CommandWords,
    ) -> String {
        let how = match m.runner {
            crate::config::MigrateRunner::Run => "run --rm -T",
            crate::config::MigrateRunner::Exec => "exec -T",
        };
        format!(
            "{} {how} {} {}",
            self.compose(None),
            quote(m.service.as_str()),
            crate::shell::quote_all(command.words())
        )
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

    fn project<'a>(known: &'a [String], compose: &'a [String], files: &'a [String]) -> Project<'a> {
        Project {
            dir: "/opt/acme",
            name: "acme",
            compose,
            files,
            pgadmin_file: Some("docker-compose.pgadmin.yml"),
            known_services: known,
            migrate: None,
            deploy: Box::leak(Box::default()),
            env_file: ".env",
            images: &[],
            endpoint_services: &[],
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_restart_is_one_quoted_compose_command() {
        let (k, c, f) = (
            strings(&["gateway", "web"]),
            strings(&["docker", "compose"]),
            strings(&["docker-compose.yml"]),
        );
        let p = project(&k, &c, &f)
            .plan(OpKind::Restart, strings(&["gateway", "web"]))
            .expect("plan");
        assert_eq!(
            p.steps[0].command,
            "cd '/opt/acme' && 'docker' 'compose' -p 'acme' -f 'docker-compose.yml' restart -t 10 'gateway' 'web'"
        );
        assert_eq!(p.title(), "restart gateway, web");
    }

    #[test]
    fn unknown_services_and_injection_attempts_are_refused_before_anything_runs() {
        let (k, c, f) = (
            strings(&["gateway"]),
            strings(&["docker-compose"]),
            strings(&["docker-compose.yml"]),
        );
        let pr = project(&k, &c, &f);
        for bad in [
            "web",
            "gateway; rm -rf /",
            "$(reboot)",
            "`id`",
            "gateway'",
            "a\nb",
            "\"x\"",
        ] {
            let r = pr.plan(OpKind::Restart, vec![bad.to_string()]);
            assert!(r.is_err(), "{bad:?} planned");
        }
        assert!(pr.plan(OpKind::Restart, vec![]).is_err());
    }

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

    #[test]
    fn pgadmin_commands_name_only_its_own_file() {
        let (k, c, f) = (
            strings(&[]),
            strings(&["docker-compose"]),
            strings(&["docker-compose.yml"]),
        );
        let p = project(&k, &c, &f)
            .plan(OpKind::PgAdminStop, vec![])
            .expect("plan");
        assert_eq!(
            p.steps[0].command,
            "cd '/opt/acme' && 'docker-compose' -p 'acme' -f 'docker-compose.pgadmin.yml' rm -s -f pgadmin"
        );
    }
}

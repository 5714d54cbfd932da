//! The compose engine's plans: restart, stop, start, migrate, pgAdmin, break-lock
//! (here) and deploy/rollback (`deploy.rs`), each as exact `docker compose` commands run
//! in the project directory on the host. A second engine's planner (Docker Swarm) is a
//! module beside this one, built from the same step types.

mod deploy;

use crate::ops::plan::{
    Exec, OpKind, Plan, Refused, Step, custom_step, lock_dir, maintenance_steps, queue_step,
    reveal_plan, terminate_sql,
};
use crate::shell::quote;

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
    /// The environment's name and the operator, for the deploy hooks' variables.
    pub env_name: &'a str,
    pub operator: &'a str,
    /// Containers outside the project (`[containers]`), by name: restarted, stopped
    /// and started with `docker` itself; never deployed by compose.
    pub outside: &'a [String],
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

    /// Restart, stop or start: `compose restart|stop|start` for the project's services,
    /// `docker restart|stop|start` for the containers outside it.
    fn lifecycle_steps(&self, kind: &OpKind, targets: &[String]) -> Vec<Step> {
        let verb = match kind {
            OpKind::Restart => "restart -t 10",
            OpKind::Stop => "stop -t 10",
            _ => "start",
        };
        let (outside, inside): (Vec<String>, Vec<String>) = targets
            .iter()
            .cloned()
            .partition(|t| self.outside.contains(t));
        let mut steps = Vec::new();
        if !inside.is_empty() {
            steps.push(Step {
                label: format!("{} {}", kind.label(), inside.join(", ")),
                command: format!("{} {verb} {}", self.compose(None), Self::quoted(&inside)),
                exec: Exec::Shell,
            });
        }
        if !outside.is_empty() {
            steps.push(Step {
                label: format!("{} {} (outside compose)", kind.label(), outside.join(", ")),
                command: format!("docker {verb} {}", Self::quoted(&outside)),
                exec: Exec::Shell,
            });
        }
        steps
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
        if matches!(kind, OpKind::Deploy { .. } | OpKind::Rollback { .. })
            && let Some(t) = targets.iter().find(|t| self.outside.contains(t))
        {
            return Err(Refused(format!(
                "{} runs outside the compose project: deploy it with the team's own action (x)",
                crate::text::clean(t, 60)
            )));
        }
        let steps = match &kind {
            OpKind::Restart | OpKind::Stop | OpKind::Start => {
                self.check_services(&targets)?;
                self.lifecycle_steps(&kind, &targets)
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
            OpKind::PgAdminStart | OpKind::PgAdminStop => self.pgadmin_steps(&kind)?,
            OpKind::RevealSecrets => return Ok(reveal_plan()),
            OpKind::Shell(target) => return crate::ops::shell_in::shell_plan(target),
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
            OpKind::Scale { .. } | OpKind::NodeAvailability { .. } | OpKind::StackDeploy(_) => {
                return Err(Refused(format!(
                    "{} is a swarm action; this environment is a compose project",
                    kind.label()
                )));
            }
            OpKind::Maintenance { .. } | OpKind::MaintenanceEnd => {
                maintenance_steps(self.dir, &kind)?
            }
            OpKind::Custom(op) => {
                let services: Vec<String> = op
                    .params
                    .iter()
                    .filter(|p| p.kind == crate::config::custom::ParamKind::Service)
                    .map(|p| p.value.clone())
                    .collect();
                if !services.is_empty() {
                    self.check_services(&services)?;
                }
                let vars = [
                    ("PILOTHOUSE_ENV", self.env_name),
                    ("PILOTHOUSE_OPERATOR", self.operator),
                ];
                vec![custom_step(self.dir, op, &vars)?]
            }
            OpKind::Queue { runner, .. } => {
                let queue = targets
                    .first()
                    .ok_or_else(|| Refused("no queue selected".into()))?;
                self.check_services(std::slice::from_ref(runner))?;
                vec![queue_step(&self.compose(None), &kind, queue)?]
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

    /// pgAdmin started, or stopped and removed, through its own compose file only.
    fn pgadmin_steps(&self, kind: &OpKind) -> Result<Vec<Step>, Refused> {
        let file = self.pgadmin_file.ok_or_else(|| {
            Refused("no pgadmin_file in this environment's compose settings".into())
        })?;
        // Only pgAdmin's file: `down` or `rm` with the project's files as well would act
        // on the whole stack.
        let base = format!(
            "cd {} && {}",
            quote(self.dir),
            crate::shell::compose_words(self.compose, self.name, &[file])
        );
        let (label, verb) = if *kind == OpKind::PgAdminStart {
            ("start pgAdmin", "up -d pgadmin")
        } else {
            ("stop and remove pgAdmin", "rm -s -f pgadmin")
        };
        Ok(vec![Step {
            label: label.into(),
            command: format!("{base} {verb}"),
            exec: Exec::Shell,
        }])
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

/// A project for the plan tests: `/opt/acme`, staging, default deploy settings, no
/// pgAdmin file, migrations, images or endpoints; a test sets the rest with `..`.
#[cfg(test)]
fn test_project<'a>(
    known: &'a [String],
    compose: &'a [String],
    files: &'a [String],
) -> Project<'a> {
    Project {
        dir: "/opt/acme",
        name: "acme",
        compose,
        files,
        pgadmin_file: None,
        known_services: known,
        outside: &[],
        migrate: None,
        deploy: Box::leak(Box::default()),
        env_file: ".env",
        images: &[],
        endpoint_services: &[],
        env_name: "staging",
        operator: "sam@laptop",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project<'a>(known: &'a [String], compose: &'a [String], files: &'a [String]) -> Project<'a> {
        Project {
            pgadmin_file: Some("docker-compose.pgadmin.yml"),
            ..super::test_project(known, compose, files)
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

    #[test]
    fn containers_outside_compose_are_stopped_by_docker_and_never_deployed_by_compose() {
        let known = strings(&["gateway", "acme-legacy"]);
        let outside = strings(&["acme-legacy"]);
        let (compose, files) = (
            strings(&["docker", "compose"]),
            strings(&["docker-compose.yml"]),
        );
        let mut p = project(&known, &compose, &files);
        p.outside = &outside;
        let plan = p
            .plan(OpKind::Stop, strings(&["gateway", "acme-legacy"]))
            .expect("a plan");
        let commands: Vec<&str> = plan.steps.iter().map(|s| s.command.as_str()).collect();
        assert_eq!(
            commands,
            [
                "cd '/opt/acme' && 'docker' 'compose' -p 'acme' -f 'docker-compose.yml' stop -t 10 'gateway'",
                "docker stop -t 10 'acme-legacy'",
            ]
        );
        let refused = p.plan(
            OpKind::Deploy {
                tag: "v2".into(),
                migrate: false,
                breaking: false,
            },
            strings(&["acme-legacy"]),
        );
        assert!(
            refused.is_err_and(|r| r.0.contains("outside the compose project")),
            "a compose deploy of a container outside compose"
        );
    }
}

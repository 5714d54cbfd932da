//! Deploy and rollback plans: the safe order, as exact steps, with the automatic
//! rollback that runs when the health gate (or anything after the env file changed)
//! fails.

use super::Project;
use crate::ops::image::ImageRef;
use crate::ops::image::image_ref;
use crate::ops::plan::{Exec, OpKind, Plan, Refused, Step, Undo, valid_tag};
use crate::shell::quote;
use crate::text::clean;

fn shell(label: String, command: String) -> Step {
    Step {
        label,
        command,
        exec: Exec::Shell,
    }
}

/// The health gate: every (service, image) running that image and healthy.
fn wait_step(want: &[(String, String)], timeout_secs: u64) -> Step {
    let names: Vec<&str> = want.iter().map(|(s, _)| s.as_str()).collect();
    let images: Vec<&str> = want.iter().map(|(_, i)| i.as_str()).collect();
    Step {
        label: format!(
            "wait until {} are healthy (at most {timeout_s} s)",
            names.join(", "),
            timeout_s = timeout_secs
        ),
        command: format!(
            "watch the engine's events until {} run {} and are healthy; fail at once on unhealthy or exited",
            names.join(", "),
            images.join(", ")
        ),
        exec: Exec::WaitHealthy {
            services: want.to_vec(),
            timeout_secs,
        },
    }
}

/// A step that changes nothing unless `t` still names the very images `:rollback`
/// does: what the picker read may be old by the time the rollback runs.
fn still_names_rollback(current: &[(String, ImageRef)], t: &str) -> Step {
    let rollback = crate::ops::plan::ROLLBACK_TAG;
    let checks: Vec<String> = current
        .iter()
        .map(|(_, r)| {
            let (rb, named) = (
                quote(&format!("{}:{rollback}", r.repo)),
                quote(&format!("{}:{t}", r.repo)),
            );
            format!(
                "{{ [ \"$(docker image inspect -f '{{{{.Id}}}}' {rb})\" = \"$(docker image inspect -f '{{{{.Id}}}}' {named})\" ] || {{ echo {why}; exit 1; }}; }}",
                why = quote(&format!(
                    "{named} and {rb} are not the same image any more: nothing changed",
                    named = format_args!("{}:{t}", r.repo),
                    rb = format_args!("{}:{rollback}", r.repo),
                )),
            )
        })
        .collect();
    shell(
        format!("check that {t} still names the :rollback images"),
        checks.join(" && "),
    )
}

impl Project<'_> {
    /// A deploy of `tag` (or a rollback to it: `rollback` means the images the last
    /// deploy tagged `:rollback`, which are local and are not pulled or re-tagged),
    /// with the migrations when `migrations` is Some(breaking).
    pub(super) fn deploy_plan(
        &self,
        kind: OpKind,
        targets: Vec<String>,
        tag: &str,
        migrations: Option<bool>,
    ) -> Result<Plan, Refused> {
        self.check_services(&targets)?;
        valid_tag(tag)?;
        let rollback = crate::ops::plan::ROLLBACK_TAG;
        let to_rollback_images = matches!(&kind, OpKind::Rollback { to, .. } if to == rollback);
        if tag == rollback && !to_rollback_images {
            return Err(Refused(format!(
                "`{rollback}` names the images the last deploy replaced: use the rollback action to go back to them"
            )));
        }
        // The tag the env file and the containers get: for the `:rollback` images, the
        // tag that names them too when the host said which.
        let known_as = match &kind {
            OpKind::Rollback {
                known_as: Some(t), ..
            } if to_rollback_images => {
                valid_tag(t)?;
                Some(t.as_str())
            }
            _ => None,
        };
        let tag = known_as.unwrap_or(tag);
        let current = self.current_images(&targets)?;
        let cd = format!("cd {}", quote(self.dir));
        let compose = self.compose_words(None);
        let mut steps = Vec::new();
        // The team's own check first: it fails before anything is looked at or changed.
        if let Some(hook) = &self.deploy.pre_deploy {
            steps.push(self.hook_step("pre_deploy", hook.as_str(), &kind, &current, tag));
        }
        if let Some(t) = known_as {
            steps.push(still_names_rollback(&current, t));
        }
        let groups = self.deploy.groups_of(&targets);
        let timeout = self.deploy.health_timeout.0.as_secs();
        if !to_rollback_images {
            steps.push(self.record_step(&current));
        }
        let new_tags: Vec<(String, String)> = targets
            .iter()
            .map(|t| (t.clone(), tag.to_string()))
            .collect();
        // Pulled before anything changes (the new tags given to compose for this command
        // only): a registry that is down or a tag that is missing fails the deploy with the
        // env file and the containers as they were.
        if !to_rollback_images {
            steps.push(shell(
                "pull the new images".into(),
                format!(
                    "{cd} && {} {compose} pull {}",
                    self.tag_assignments(&new_tags),
                    Self::quoted(&targets)
                ),
            ));
        }
        let env_step = steps.len();
        steps.push(shell(
            format!("write the new tags into {}", self.env_file),
            self.env_write(&new_tags),
        ));
        // Before the new containers start; a breaking one with the API stopped.
        if let Some(breaking) = migrations {
            steps.extend(self.migration_steps(breaking, &targets)?);
        }
        steps.extend(self.up_steps(&groups, ""));
        let want: Vec<(String, String)> = current
            .iter()
            .map(|(s, r)| (s.clone(), format!("{}:{tag}", r.repo)))
            .collect();
        steps.push(wait_step(&want, timeout));
        steps.extend(self.after_gate_steps(&targets));
        let until = steps.len();
        if let Some(hook) = &self.deploy.post_deploy {
            steps.push(self.hook_step("post_deploy", hook.as_str(), &kind, &current, tag));
        }
        // The env file's write either happens whole or changes nothing: undone when a
        // later step fails (up to the post-deploy hook), or when the operator cancels
        // after it.
        let undo = (!to_rollback_images).then(|| Undo {
            from_step: env_step + 1,
            first_change: env_step,
            until,
            steps: self.undo_steps(&current, &groups, timeout),
        });
        let changes = current
            .iter()
            .map(|(s, r)| (s.clone(), r.tag.clone(), tag.to_string()))
            .collect();
        Ok(Plan {
            kind,
            targets,
            steps,
            changes,
            undo,
        })
    }

    /// A deploy hook: `sh -c HOOK` in the project directory with the deploy's facts as
    /// variables, every value quoted.
    fn hook_step(
        &self,
        which: &str,
        hook: &str,
        kind: &OpKind,
        current: &[(String, ImageRef)],
        tag: &str,
    ) -> Step {
        let services: Vec<&str> = current.iter().map(|(s, _)| s.as_str()).collect();
        let old: Vec<String> = current
            .iter()
            .map(|(s, r)| format!("{s}={}", r.tag))
            .collect();
        let action = if matches!(kind, OpKind::Rollback { .. }) {
            "rollback"
        } else {
            "deploy"
        };
        let values = [
            self.env_name.to_string(),
            action.to_string(),
            services.join(" "),
            old.join(" "),
            tag.to_string(),
            self.operator.to_string(),
        ];
        let vars: Vec<String> = crate::config::deploy::HOOK_VARIABLES
            .iter()
            .zip(values)
            .map(|(name, value)| format!("{name}={}", quote(&value)))
            .collect();
        shell(
            format!("{which} hook"),
            format!(
                "cd {} && env {} sh -c {}",
                quote(self.dir),
                vars.join(" "),
                quote(hook)
            ),
        )
    }

    /// Each target's running image, as a tagged reference.
    fn current_images(&self, targets: &[String]) -> Result<Vec<(String, ImageRef)>, Refused> {
        let mut current: Vec<(String, ImageRef)> = Vec::new();
        for t in targets {
            let image = self
                .images
                .iter()
                .find(|(s, _)| s == t)
                .map(|(_, i)| i.as_str())
                .ok_or_else(|| {
                    Refused(format!(
                        "{t} has no container: nothing to deploy over or roll back to"
                    ))
                })?;
            let r = image_ref(image).ok_or_else(|| {
                Refused(format!(
                    "{t} runs {:?}, which is not a tagged image reference",
                    clean(image, 80)
                ))
            })?;
            current.push((t.clone(), r));
        }
        Ok(current)
    }

    /// `up -d --no-deps`, group by group in the configured order.
    fn up_steps(&self, groups: &[Vec<String>], what: &str) -> Vec<Step> {
        let (cd, compose) = (format!("cd {}", quote(self.dir)), self.compose_words(None));
        groups
            .iter()
            .map(|g| {
                shell(
                    format!("start {}{what}", g.join(", ")),
                    format!("{cd} && {compose} up -d --no-deps {}", Self::quoted(g)),
                )
            })
            .collect()
    }

    /// Records the image each target runs and tags it `:rollback`.
    fn record_step(&self, current: &[(String, ImageRef)]) -> Step {
        let compose = self.compose_words(None);
        let parts: Vec<String> = current
            .iter()
            .map(|(s, r)| {
                format!(
                    "id=$(docker inspect -f '{{{{.Image}}}}' \"$({compose} ps -q {svc})\") && echo {runs} \"$id\" && docker tag \"$id\" {rb}",
                    svc = quote(s),
                    runs = quote(&format!("{s} runs")),
                    rb = quote(&format!("{}:rollback", r.repo)),
                )
            })
            .collect();
        shell(
            "record the running image IDs and tag them :rollback".into(),
            format!("cd {} && {}", quote(self.dir), parts.join(" && ")),
        )
    }

    /// What runs once the gate passed: the smoke checks, and the prune when asked for.
    fn after_gate_steps(&self, targets: &[String]) -> Vec<Step> {
        let mut steps = Vec::new();
        let smoke: Vec<String> = targets
            .iter()
            .filter(|t| self.endpoint_services.contains(t))
            .cloned()
            .collect();
        if !smoke.is_empty() {
            steps.push(Step {
                label: "smoke check: the health endpoints".into(),
                command: format!(
                    "GET the configured health endpoints of {}",
                    smoke.join(", ")
                ),
                exec: Exec::Smoke { services: smoke },
            });
        }
        if let Some(cmd) = &self.deploy.smoke_command {
            steps.push(shell(
                "smoke command".into(),
                format!(
                    "cd {} && {}",
                    quote(self.dir),
                    crate::shell::quote_all(cmd.words())
                ),
            ));
        }
        if self.deploy.prune {
            steps.push(shell(
                "remove dangling images (tagged ones, :rollback among them, stay)".into(),
                "docker image prune -f".into(),
            ));
        }
        steps
    }

    /// The automatic rollback: the previous tags name the previous images again, the
    /// env file gets them back, and the same gate checks they run.
    fn undo_steps(
        &self,
        current: &[(String, ImageRef)],
        groups: &[Vec<String>],
        timeout: u64,
    ) -> Vec<Step> {
        let mut u = Vec::new();
        // The previous tag names the previous image again, whatever the registry
        // did with it meanwhile.
        let retag: Vec<String> = current
            .iter()
            .map(|(_, r)| {
                format!(
                    "docker tag {} {}",
                    quote(&format!("{}:rollback", r.repo)),
                    quote(&format!("{}:{}", r.repo, r.tag))
                )
            })
            .collect();
        u.push(shell(
            "point the previous tags at the :rollback images".into(),
            retag.join(" && "),
        ));
        let old_tags: Vec<(String, String)> = current
            .iter()
            .map(|(s, r)| (s.clone(), r.tag.clone()))
            .collect();
        u.push(shell(
            format!("write the previous tags back into {}", self.env_file),
            self.env_write(&old_tags),
        ));
        u.extend(self.up_steps(groups, " on the previous images"));
        let back: Vec<(String, String)> = current
            .iter()
            .map(|(s, r)| (s.clone(), format!("{}:{}", r.repo, r.tag)))
            .collect();
        u.push(wait_step(&back, timeout));
        u
    }

    /// `WEB_IMAGE_TAG='v2' …`: the new tags as variables for one compose command (they
    /// override the env file's).
    fn tag_assignments(&self, tags: &[(String, String)]) -> String {
        tags.iter()
            .map(|(s, t)| format!("{}={}", self.deploy.tag_var(s), quote(t)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Sets each service's tag variable in the env file, atomically (a temporary file
    /// renamed over it, its mode kept), after a timestamped backup; refuses, changing
    /// nothing, when a variable is missing. Other lines are untouched and nothing of
    /// the file is printed. When any part fails (a full filesystem), the backup and the
    /// temporary file are removed: a failure leaves the directory as it was.
    fn env_write(&self, tags: &[(String, String)]) -> String {
        let vars: Vec<(String, &str)> = tags
            .iter()
            .map(|(s, t)| (self.deploy.tag_var(s), t.as_str()))
            .collect();
        let names: Vec<String> = vars.iter().map(|(v, _)| quote(v)).collect();
        let seds: Vec<String> = vars
            .iter()
            .map(|(v, t)| format!("-e {}", quote(&format!("s/^{v}=.*/{v}={t}/"))))
            .collect();
        format!(
            "cd {dir} && f={file} && for v in {names}; do grep -q \"^$v=\" \"$f\" || {{ echo \"$f has no $v= line: nothing changed\"; exit 1; }}; done && b=\"$f.pilothouse-$(date -u +%Y%m%dT%H%M%SZ)\" && n=\"$f.pilothouse-new\" && {{ cp -p \"$f\" \"$b\" && cp -p \"$f\" \"$n\" && sed {seds} \"$f\" > \"$n\" && mv -f \"$n\" \"$f\" || {{ rm -f \"$b\" \"$n\"; echo \"$f was not written: it is unchanged\"; exit 1; }}; }}",
            dir = quote(self.dir),
            file = quote(self.env_file),
            names = names.join(" "),
            seds = seds.join(" "),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeploySettings;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn breaking_migrations_stop_the_api_first_and_the_deploy_starts_it_on_its_new_image() {
        let deploy: DeploySettings =
            toml::from_str("order = [[\"gateway\", \"order-service\"]]").expect("deploy");
        let migrate: crate::config::MigrateSettings = toml::from_str(
            "service = \"gateway\"\ncommand = \"migrate up\"\nstop_before_breaking = [\"order-service\"]",
        )
        .expect("migrate");
        let known = strings(&["gateway", "order-service"]);
        let compose = strings(&["docker-compose"]);
        let files = strings(&["docker-compose.yml"]);
        let images = vec![
            ("gateway".to_string(), "r/acme/gateway:v1".to_string()),
            (
                "order-service".to_string(),
                "r/acme/order-service:v1".to_string(),
            ),
        ];
        let p = Project {
            migrate: Some(&migrate),
            deploy: &deploy,
            images: &images,
            ..super::super::test_project(&known, &compose, &files)
        };
        let kind = OpKind::Deploy {
            tag: "v2".into(),
            migrate: true,
            breaking: true,
        };
        let labels = |targets: &[&str]| -> Vec<String> {
            p.plan(kind.clone(), strings(targets))
                .expect("plan")
                .steps
                .iter()
                .map(|s| s.label.clone())
                .collect()
        };
        let both = labels(&["gateway", "order-service"]);
        assert_eq!(
            both[1..6].to_vec(),
            vec![
                "pull the new images",
                "write the new tags into .env",
                "stop order-service for the breaking migration",
                "run the migrations in gateway",
                "start gateway, order-service",
            ],
            "{both:?}"
        );
        // Not a target: started again on its old image after the migrations.
        let gateway_only = labels(&["gateway"]);
        assert!(
            gateway_only.contains(&"start order-service again".to_string()),
            "{gateway_only:?}"
        );
    }

    #[test]
    #[allow(
        clippy::too_many_lines,
        reason = "one deploy and its rollbacks, told in order"
    )]
    fn a_deploy_follows_the_safe_order_and_its_undo_restores_the_previous_tags() {
        let deploy: DeploySettings =
            toml::from_str("order = [[\"redis\"], [\"gateway\"], [\"web\"]]").expect("deploy");
        let known = strings(&["redis", "gateway", "web"]);
        let compose = strings(&["docker-compose"]);
        let files = strings(&["docker-compose.yml"]);
        let images = vec![
            ("web".to_string(), "reg:5000/acme/web:v1".to_string()),
            (
                "gateway".to_string(),
                "reg:5000/acme/gateway:v1".to_string(),
            ),
        ];
        let endpoints = strings(&["gateway"]);
        let p = Project {
            deploy: &deploy,
            images: &images,
            endpoint_services: &endpoints,
            ..super::super::test_project(&known, &compose, &files)
        };
        let plan = p
            .plan(
                OpKind::Deploy {
                    tag: "v2".into(),
                    migrate: false,
                    breaking: false,
                },
                strings(&["web", "gateway"]),
            )
            .expect("plan");
        let labels: Vec<&str> = plan.steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                "record the running image IDs and tag them :rollback",
                "pull the new images",
                "write the new tags into .env",
                "start gateway",
                "start web",
                "wait until web, gateway are healthy (at most 120 s)",
                "smoke check: the health endpoints",
                "remove dangling images (tagged ones, :rollback among them, stay)",
            ]
        );
        assert!(
            plan.steps[0]
                .command
                .contains("docker tag \"$id\" 'reg:5000/acme/gateway:rollback'")
        );
        assert!(
            plan.steps[1].command.contains(
                "WEB_IMAGE_TAG='v2' GATEWAY_IMAGE_TAG='v2' 'docker-compose' -p 'acme' -f 'docker-compose.yml' pull 'web' 'gateway'"
            ),
            "{}",
            plan.steps[1].command
        );
        assert!(
            plan.steps[2]
                .command
                .contains("-e 's/^GATEWAY_IMAGE_TAG=.*/GATEWAY_IMAGE_TAG=v2/'")
        );
        assert_eq!(
            plan.changes[1],
            ("gateway".to_string(), "v1".to_string(), "v2".to_string())
        );
        let undo = plan.undo.clone().expect("undo");
        assert_eq!(
            (undo.from_step, undo.first_change),
            (3, 2),
            "after the env file's write (a failed write changes nothing), or a cancel after it"
        );
        assert!(
            undo.steps[0]
                .command
                .contains("docker tag 'reg:5000/acme/web:rollback' 'reg:5000/acme/web:v1'")
        );
        assert!(
            undo.steps[1]
                .command
                .contains("-e 's/^WEB_IMAGE_TAG=.*/WEB_IMAGE_TAG=v1/'")
        );
        assert_eq!(
            plan.step_at(8).map(|s| s.label.as_str()),
            Some(undo.steps[0].label.as_str())
        );
        // Back to the :rollback images: nothing is re-tagged or pulled, and no undo.
        let back = p
            .plan(
                OpKind::Rollback {
                    to: "rollback".into(),
                    known_as: None,
                },
                strings(&["web"]),
            )
            .expect("plan");
        assert!(back.undo.is_none());
        assert!(
            !back
                .steps
                .iter()
                .any(|s| s.command.contains(" pull ") || s.command.contains("docker tag"))
        );
        assert!(back.steps[0].command.contains("WEB_IMAGE_TAG=rollback/"));
        // When the host said v0 names those images too, the env file gets v0, after a
        // check (at run time) that it still does.
        let named = p
            .plan(
                OpKind::Rollback {
                    to: "rollback".into(),
                    known_as: Some("v0".into()),
                },
                strings(&["web"]),
            )
            .expect("plan");
        assert_eq!(
            named.steps[0].label,
            "check that v0 still names the :rollback images"
        );
        assert!(
            named.steps[0].command.contains(
                "[ \"$(docker image inspect -f '{{.Id}}' 'reg:5000/acme/web:rollback')\" = \"$(docker image inspect -f '{{.Id}}' 'reg:5000/acme/web:v0')\" ] || { echo"
            ),
            "{}",
            named.steps[0].command
        );
        assert!(
            named.steps[1]
                .command
                .contains("-e 's/^WEB_IMAGE_TAG=.*/WEB_IMAGE_TAG=v0/'")
        );
        assert!(named.steps.iter().all(|s| !s.command.contains(" pull ")));
        assert_eq!(
            named.changes,
            vec![("web".into(), "v1".into(), "v0".into())]
        );
        // `rollback` is the rollback action's, never a tag to deploy: a deploy of it
        // would re-tag the running images over the previous ones.
        assert!(
            p.plan(
                OpKind::Deploy {
                    tag: "rollback".into(),
                    migrate: false,
                    breaking: false,
                },
                strings(&["web"])
            )
            .is_err_and(|r| r.0.contains("use the rollback action"))
        );
        // A tag that is not one is refused before anything exists to run.
        assert!(
            p.plan(
                OpKind::Deploy {
                    tag: "v2;id".into(),
                    migrate: false,
                    breaking: false,
                },
                strings(&["web"])
            )
            .is_err()
        );
    }

    #[test]
    fn deploy_hooks_come_first_and_last_with_the_deploy_s_facts_and_the_last_undoes_nothing() {
        let deploy: DeploySettings = toml::from_str(
            "pre_deploy = \"test -n \\\"$(ls /backups)\\\"\"\npost_deploy = \"curl -fsS -X POST https://cdn.example/purge\"",
        )
        .expect("deploy");
        let known = strings(&["web"]);
        let compose = strings(&["docker-compose"]);
        let files = strings(&["docker-compose.yml"]);
        let images = vec![("web".to_string(), "reg:5000/acme/web:v1".to_string())];
        let p = Project {
            deploy: &deploy,
            images: &images,
            operator: "sam o'brien@laptop",
            ..super::super::test_project(&known, &compose, &files)
        };
        let kind = OpKind::Deploy {
            tag: "v2".into(),
            migrate: false,
            breaking: false,
        };
        let plan = p.plan(kind, strings(&["web"])).expect("plan");
        let first = &plan.steps[0];
        assert_eq!(first.label, "pre_deploy hook");
        assert_eq!(
            first.command,
            "cd '/opt/acme' && env PILOTHOUSE_ENV='staging' PILOTHOUSE_ACTION='deploy' PILOTHOUSE_SERVICES='web' PILOTHOUSE_OLD_TAGS='web=v1' PILOTHOUSE_NEW_TAG='v2' PILOTHOUSE_OPERATOR='sam o'\\''brien@laptop' sh -c 'test -n \"$(ls /backups)\"'"
        );
        let last = plan.steps.len() - 1;
        assert_eq!(plan.steps[last].label, "post_deploy hook");
        let undo = plan.undo.expect("undo");
        // The pre hook fails before the env file (step 3) changes; the post hook's
        // failure undoes nothing.
        assert_eq!(undo.first_change, 3);
        assert_eq!(undo.until, last);
    }
}

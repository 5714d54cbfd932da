//! The action queue in update(): action keys make a pending item with its plan and
//! preflight checks; confirmation queues it (an effect for the runner); the runner's
//! events move it to its end.

use crate::action::{Action, Effect};
use crate::backend::runner::{Job, JobEvent, Outcome};
use crate::ops::{OpKind, Project};
use crate::state::queue::{Check, ItemStatus, LockHolder, QueueItem};
use crate::state::{EnvState, State};

/// Handles a queue action; None if `action` is not one.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let now = state.now;
    let env_index = state.selected;
    let global_read_only = state.read_only;
    let owner = state.owner.clone();
    let e = state.envs.get_mut(env_index)?;
    let kind = match action {
        Action::Restart | Action::RestartGroup => OpKind::Restart,
        Action::Stop => OpKind::Stop,
        Action::Start => OpKind::Start,
        Action::Migrate => OpKind::Migrate { breaking: false },
        Action::MigrateBreaking => OpKind::Migrate { breaking: true },
        Action::MigrationStatus => OpKind::MigrationStatus,
        Action::PgAdmin if e.pgadmin_running() => OpKind::PgAdminStop,
        Action::PgAdmin => OpKind::PgAdminStart,
        Action::BreakLock => OpKind::BreakLock,
        Action::Confirm => return Some(confirm(e, env_index, owner)),
        Action::ConfirmTyped => {
            if e.queue.typed == e.name {
                return Some(confirm(e, env_index, owner));
            }
            e.queue.typed.clear();
            e.queue.message =
                Some("the name typed does not match: nothing runs. Type it again, or esc".into());
            return Some(Vec::new());
        }
        Action::ConfirmBackspace => {
            e.queue.typed.pop();
            return Some(Vec::new());
        }
        Action::CancelAction => {
            if let Some(item) = e.queue.pending_mut() {
                item.status = ItemStatus::Cancelled;
                item.finished = Some(now);
                item.error = Some("cancelled before it was confirmed: nothing ran".into());
            }
            e.queue.typed.clear();
            e.queue.override_armed = false;
            e.queue.message = None;
            return Some(Vec::new());
        }
        Action::QueueView => {
            e.queue.open = !e.queue.open;
            return Some(Vec::new());
        }
        Action::CancelItem => return Some(cancel_newest(e, env_index, now)),
        _ => return None,
    };
    if global_read_only || e.read_only {
        e.queue.message = Some(format!(
            "read-only{}: {} is not queued",
            if global_read_only {
                " (--read-only)"
            } else {
                ""
            },
            kind.label()
        ));
        return Some(Vec::new());
    }
    if e.queue.pending().is_some() {
        return Some(Vec::new());
    }
    let targets = targets(e, action, &kind);
    let known = known_services(e);
    match project(e, &known).plan(kind, targets) {
        Err(refused) => {
            e.queue.message = Some(format!("refused: {refused}; nothing queued"));
        }
        Ok(plan) => {
            let checks = preflight(e, &plan.kind);
            e.queue.next_id += 1;
            let id = e.queue.next_id;
            e.queue
                .items
                .push(new_item(id, plan, ItemStatus::Pending, checks, now));
            e.queue.typed.clear();
            e.queue.override_armed = false;
            e.queue.message = None;
        }
    }
    Some(Vec::new())
}

/// The services of the project as the console sees them: what targets may name.
fn known_services(e: &EnvState) -> Vec<String> {
    e.containers.iter().map(|c| c.service.clone()).collect()
}

/// What plans for this environment are built from.
fn project<'a>(e: &'a EnvState, known: &'a [String]) -> Project<'a> {
    Project {
        dir: &e.project_dir,
        name: &e.project_name,
        compose: &e.compose_words,
        files: &e.compose_files,
        pgadmin_file: e.pgadmin_file.as_deref(),
        known_services: known,
        migrate: e.migrate.as_ref(),
    }
}

fn new_item(
    id: u64,
    plan: crate::ops::Plan,
    status: ItemStatus,
    checks: Vec<Check>,
    now: i64,
) -> QueueItem {
    QueueItem {
        id,
        plan,
        status,
        checks,
        created: now,
        started: None,
        finished: None,
        step: 0,
        stepping: false,
        steps_done: 0,
        exit_codes: Vec::new(),
        log: Vec::new(),
        error: None,
        cancel_requested: false,
    }
}

/// What an action acts on: the marked services, else the selected one; a group's
/// services; nothing for pgAdmin and the lock.
fn targets(e: &EnvState, action: Action, kind: &OpKind) -> Vec<String> {
    match kind {
        OpKind::Restart | OpKind::Stop | OpKind::Start => {
            if action == Action::RestartGroup {
                return e.groups.first().map(|(_, s)| s.clone()).unwrap_or_default();
            }
            if !e.marked.is_empty() {
                return e.marked.iter().cloned().collect();
            }
            e.selected_container()
                .map(|c| vec![c.service.clone()])
                .unwrap_or_default()
        }
        OpKind::Migrate { .. } | OpKind::MigrationStatus => e
            .migrate
            .as_ref()
            .map(|m| vec![m.service.to_string()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// What can be known before it runs.
fn preflight(e: &EnvState, kind: &OpKind) -> Vec<Check> {
    let mut checks = vec![Check {
        what: "connected".into(),
        ok: Some(e.is_live()),
        detail: if e.is_live() {
            "the host answers".into()
        } else {
            "not connected: it would fail".into()
        },
    }];
    checks.push(match &e.queue.lock_holder {
        Some(h) => Check {
            what: "host lock".into(),
            ok: Some(false),
            detail: format!("held by {} ({})", h.owner, h.action),
        },
        None => Check {
            what: "host lock".into(),
            ok: None,
            detail: "taken when it runs".into(),
        },
    });
    checks.push(Check {
        what: "targets exist".into(),
        ok: Some(true),
        detail: "every target is a service of the project".into(),
    });
    if let Some(r) = &e.health.host
        && let Some(root) = r.disks.first()
    {
        let pct = root.used_pct();
        checks.push(Check {
            what: "disk space".into(),
            ok: Some(pct < crate::state::health::DISK_CRITICAL),
            detail: format!("{} is {pct}% used", root.path),
        });
    }
    if let Some(p) = &e.pool {
        let free = p.free();
        let need = if *kind == OpKind::PgAdminStart {
            i64::from(p.pgadmin_connections)
        } else {
            0
        };
        // Only what opens connections can run out of them; stopping or restarting
        // (which reclaims leaked ones) is the cure, not the risk.
        checks.push(Check {
            what: "database connections".into(),
            ok: free.map(|f| need == 0 || f - need > crate::state::pool::WARN_FREE),
            detail: match free {
                Some(f) if need > 0 => {
                    format!("{f} free; pgAdmin needs up to {need}, leaving {}", f - need)
                }
                Some(f) => format!("{f} free"),
                None => "no reading".into(),
            },
        });
    }
    checks
}

fn confirm(e: &mut EnvState, env: usize, owner: crate::backend::runner::Owner) -> Vec<Effect> {
    let armed = e.queue.override_armed;
    let name = e.name.clone();
    let dir = e.project_dir.clone();
    let Some(item) = e.queue.pending_mut() else {
        return Vec::new();
    };
    if !item.failed_checks().is_empty() && !armed {
        e.queue.override_armed = true;
        e.queue.typed.clear();
        e.queue.message =
            Some("preflight checks failed (✗ above): confirm once more to run it anyway".into());
        return Vec::new();
    }
    item.status = ItemStatus::Queued;
    let job = Job {
        id: item.id,
        env_name: name,
        project_dir: dir,
        plan: item.plan.clone(),
        owner,
    };
    e.queue.typed.clear();
    e.queue.override_armed = false;
    e.queue.message = None;
    e.queue.open = true;
    vec![Effect::Run {
        env,
        job: Box::new(job),
    }]
}

fn cancel_newest(e: &mut EnvState, env: usize, now: i64) -> Vec<Effect> {
    let Some(item) = e
        .queue
        .items
        .iter_mut()
        .rev()
        .find(|i| matches!(i.status, ItemStatus::Queued | ItemStatus::Running))
    else {
        return Vec::new();
    };
    if item.status == ItemStatus::Queued {
        item.status = ItemStatus::Cancelled;
        item.finished = Some(now);
        item.error = Some("cancelled while queued: nothing ran".into());
    } else {
        item.cancel_requested = true;
    }
    vec![Effect::Cancel { env, id: item.id }]
}

/// pgAdmin's auto-stop: when its time comes, the stop runs as part of the start the
/// operator confirmed (the preview said so), through the runner like any item.
pub fn tick(state: &mut State, now: i64) -> Vec<Effect> {
    let owner = state.owner.clone();
    let mut effects = Vec::new();
    for (index, e) in state.envs.iter_mut().enumerate() {
        let Some(at) = e.queue.pgadmin_stop_at else {
            continue;
        };
        if now < at {
            continue;
        }
        e.queue.pgadmin_stop_at = None;
        if !e.pgadmin_running() || e.queue.items.iter().any(|i| !i.status.is_final()) {
            continue;
        }
        let known = known_services(e);
        let Ok(mut plan) = project(e, &known).plan(OpKind::PgAdminStop, Vec::new()) else {
            continue;
        };
        plan.targets = vec!["auto-stop".into()];
        e.queue.next_id += 1;
        let id = e.queue.next_id;
        e.queue.items.push(new_item(
            id,
            plan.clone(),
            ItemStatus::Queued,
            Vec::new(),
            now,
        ));
        e.queue.open = true;
        effects.push(Effect::Run {
            env: index,
            job: Box::new(Job {
                id,
                env_name: e.name.clone(),
                project_dir: e.project_dir.clone(),
                plan,
                owner: owner.clone(),
            }),
        });
    }
    effects
}

/// Applies what the runner reports.
pub fn apply(e: &mut EnvState, ev: JobEvent, now: i64) {
    match ev {
        JobEvent::Started { id } => {
            if let Some(i) = e.queue.get_mut(id) {
                i.status = ItemStatus::Running;
                i.started = Some(now);
            }
        }
        JobEvent::Step { id, index } => {
            if let Some(i) = e.queue.get_mut(id) {
                i.step = index;
                i.stepping = true;
                let n = i.plan.steps.len();
                let label = i
                    .plan
                    .steps
                    .get(index)
                    .map(|s| s.label.clone())
                    .unwrap_or_default();
                i.push_log(format!("── step {} of {n}: {label}", index + 1));
            }
        }
        JobEvent::Output { id, line } => {
            if let Some(i) = e.queue.get_mut(id) {
                i.push_log(line);
            }
        }
        JobEvent::StepDone { id, index, code } => {
            if let Some(i) = e.queue.get_mut(id) {
                i.exit_codes.push(code);
                i.steps_done = index + 1;
            }
        }
        JobEvent::LockHeld { owner, .. } => {
            e.queue.lock_holder = Some(parse_holder(&owner));
        }
        JobEvent::Finished { id, outcome, error } => {
            // It took the lock, so whoever held it before does not any more.
            if outcome == Outcome::Succeeded {
                e.queue.lock_holder = None;
            }
            let auto_stop = e.pgadmin_auto_stop;
            if let Some(i) = e.queue.get_mut(id) {
                if outcome == Outcome::Succeeded {
                    match i.plan.kind {
                        OpKind::PgAdminStart => {
                            e.queue.pgadmin_stop_at = auto_stop.map(|s| now + s);
                        }
                        OpKind::PgAdminStop => e.queue.pgadmin_stop_at = None,
                        _ => {}
                    }
                }
                let Some(i) = e.queue.get_mut(id) else {
                    return;
                };
                i.status = match outcome {
                    Outcome::Succeeded => ItemStatus::Succeeded,
                    Outcome::Failed => ItemStatus::Failed,
                    Outcome::Cancelled => ItemStatus::Cancelled,
                    Outcome::Unknown => ItemStatus::Unknown,
                };
                i.finished = Some(now);
                i.error = error;
            }
        }
    }
}

/// The owner file's JSON as the operator needs it.
fn parse_holder(owner: &str) -> LockHolder {
    let v: serde_json::Value = serde_json::from_str(owner).unwrap_or_default();
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    LockHolder {
        owner: text("operator").unwrap_or_else(|| {
            if owner.is_empty() {
                "unknown (no owner file)".into()
            } else {
                crate::backend::model::clean(owner, 80)
            }
        }),
        action: text("action").unwrap_or_default(),
        since: v.get("since").and_then(|x| x.as_i64()),
    }
}

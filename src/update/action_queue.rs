//! The action queue in update(): action keys make a pending item with its plan and
//! preflight checks; confirmation queues it (an effect for the runner); the runner's
//! events move it to its end.

use crate::input::action::{Action, Effect};
use crate::state::action_queue::{Check, ItemStatus, LockHolder, QueueItem};
use crate::state::{EnvState, State};
use pilothouse_core::model::job::{JobEvent, LockOwner, Outcome};
use pilothouse_core::ops::Job;
use pilothouse_core::ops::{OpKind, Project};

/// Handles a queue action; None if `action` is not one.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let now = state.now;
    let env_index = state.selected;
    let global_read_only = state.read_only;
    let owner = state.owner.clone();
    let pool_view = state.view == crate::state::View::Pool;
    let nodes_view = state.view == crate::state::View::Nodes;
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
        Action::RevealSecrets => OpKind::RevealSecrets,
        Action::DrainNode => OpKind::NodeAvailability { to: "drain".into() },
        Action::PauseNode => OpKind::NodeAvailability { to: "pause".into() },
        Action::ActivateNode => OpKind::NodeAvailability {
            to: "active".into(),
        },
        Action::TerminateSession => {
            let (pid, backend_start) = e
                .pool
                .as_ref()
                .and_then(|p| p.selected_session())
                .map_or((0, 0), |s| (s.pid, s.backend_start));
            OpKind::Terminate { pid, backend_start }
        }
        // A protected environment is confirmed by its typed name only, whatever a
        // keymap binds.
        Action::Confirm if e.protected => return Some(Vec::new()),
        Action::Confirm => return Some(confirm(e, env_index, owner)),
        Action::ConfirmTyped => return Some(confirm_typed(e, env_index, owner)),
        Action::ConfirmBackspace => {
            e.queue.typed.pop();
            return Some(Vec::new());
        }
        // The preview scrolls (the drawing clamps it to what there is).
        Action::ScrollUp | Action::PageUp | Action::ScrollDown | Action::PageDown
            if e.queue.pending().is_some() =>
        {
            let by = if matches!(action, Action::PageUp | Action::PageDown) {
                10
            } else {
                1
            };
            e.queue.preview_scroll = if matches!(action, Action::ScrollUp | Action::PageUp) {
                e.queue.preview_scroll.saturating_sub(by)
            } else {
                e.queue.preview_scroll.saturating_add(by).min(500)
            };
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
            e.queue.zoomed = false;
            return Some(Vec::new());
        }
        // With the queue pane open, the zoom key zooms it (and not the hidden logs).
        Action::Zoom if e.queue.open => {
            e.queue.zoomed = !e.queue.zoomed;
            return Some(Vec::new());
        }
        Action::CancelItem => return Some(cancel_newest(e, env_index, now)),
        Action::StackDeploy => return Some(ask_stack_file(e, env_index, global_read_only)),
        Action::Shell => {
            shell(e, global_read_only, now);
            return Some(Vec::new());
        }
        _ => return None,
    };
    if refuse_read_only(e, global_read_only, &kind) || e.queue.pending().is_some() {
        return Some(Vec::new());
    }
    let known = e.known_services();
    let chosen = match swarm_targets(e, &kind, nodes_view) {
        Some(t) => t,
        None => targets(e, action, &kind, pool_view, &known),
    };
    match chosen {
        Ok(t) => {
            let _ = propose(e, kind, t, now);
        }
        Err(why) => e.queue.message = Some(format!("refused: {why}; nothing queued")),
    }
    Some(Vec::new())
}

/// The typed confirmation of a protected environment: its name, or nothing runs.
fn confirm_typed(
    e: &mut EnvState,
    env: usize,
    owner: pilothouse_core::model::job::Owner,
) -> Vec<Effect> {
    if e.queue.typed == e.name {
        return confirm(e, env, owner);
    }
    e.queue.typed.clear();
    e.queue.message =
        Some("the name typed does not match: nothing runs. Type it again, or esc".into());
    Vec::new()
}

/// The pending item for `kind`, unless the environment refuses it or one is pending.
pub fn proposed(
    e: &mut EnvState,
    kind: OpKind,
    targets: Vec<String>,
    global_read_only: bool,
    now: i64,
) {
    if refuse_read_only(e, global_read_only, &kind) || e.queue.pending().is_some() {
        return;
    }
    let _ = propose(e, kind, targets, now);
}

/// True (with the message set) when the environment or the console is read-only, or
/// when the action is a compose project's and the environment is a swarm.
pub fn refuse_read_only(e: &mut EnvState, global_read_only: bool, kind: &OpKind) -> bool {
    if let Some(why) = kind.refusal_on(e.engine) {
        e.queue.message = Some(format!("{why}; nothing queued"));
        return true;
    }
    // Showing secrets changes nothing on the host: read-only does not forbid it.
    if !(global_read_only || e.read_only) || *kind == OpKind::RevealSecrets {
        return false;
    }
    e.queue.message = Some(format!(
        "read-only{}: {} is not queued",
        if global_read_only {
            " (--read-only)"
        } else {
            ""
        },
        kind.name()
    ));
    true
}

/// `e`: a shell in the selected container, previewed like any action.
fn shell(e: &mut EnvState, global_read_only: bool, now: i64) {
    if !e.shell {
        e.queue.message =
            Some("shell = false for this environment: no shell is opened here".into());
        return;
    }
    match shell_target(e) {
        Ok(target) => {
            let name = target.name.clone();
            let kind = OpKind::Shell(Box::new(target));
            proposed(e, kind, vec![name], global_read_only, now);
        }
        Err(why) => e.queue.message = Some(format!("refused: {why}; nothing queued")),
    }
}

/// The container a shell opens in: the selected one, running, as last read live.
fn shell_target(e: &EnvState) -> Result<pilothouse_core::ops::ShellTarget, String> {
    if e.swarm.is_some() {
        return swarm_shell_target(e);
    }
    let c = e.selected_container().ok_or("no container selected")?;
    if !e.is_live() {
        return Err(format!(
            "not connected: whether {} runs is not known",
            c.name
        ));
    }
    if c.run_state != pilothouse_core::model::container::RunState::Running {
        return Err(format!(
            "{} is {}: a shell needs it running",
            c.name,
            c.run_state.label()
        ));
    }
    Ok(pilothouse_core::ops::ShellTarget {
        id: c.id.clone(),
        name: c.name.clone(),
        image: c.image.clone(),
        socket: e.docker_socket.clone(),
        command: e.shell_command.clone(),
        node: None,
    })
}

/// A swarm: the selected service's running task with the lowest slot (the check step
/// says so when it runs on a node this connection's engine is not).
fn swarm_shell_target(e: &EnvState) -> Result<pilothouse_core::ops::ShellTarget, String> {
    let view = e.swarm.as_ref().ok_or("not a swarm")?;
    let service = e.selected_service().ok_or("no service selected")?;
    let state = view
        .state
        .as_ref()
        .ok_or("the swarm has not been read yet")?;
    if !e.is_live() {
        return Err("not connected: whether its tasks run is not known".into());
    }
    let task = state
        .tasks_of(&service.id)
        .into_iter()
        .filter(|t| t.state == "running" && !t.container_id.is_empty())
        .min_by_key(|t| t.slot)
        .ok_or_else(|| format!("{} has no running task", service.name))?;
    let name = match task.slot {
        Some(slot) => format!("{}.{slot}", service.name),
        None => format!("{}.{}", service.name, state.hostname(&task.node_id)),
    };
    Ok(pilothouse_core::ops::ShellTarget {
        id: task.container_id.clone(),
        name,
        image: task.image.clone(),
        socket: view.socket.clone(),
        command: e.shell_command.clone(),
        node: Some(state.hostname(&task.node_id).to_string()),
    })
}

/// The runner asks for the terminal for item `id`'s shell: the loop steps aside.
pub fn interactive(e: &mut EnvState, env: usize, id: u64, argv: Vec<String>) -> Vec<Effect> {
    let Some(item) = e.queue.get_mut(id) else {
        return Vec::new();
    };
    let target = item.plan.targets.join(", ");
    item.push_log(format!("── the shell in {target} has the terminal"));
    let title = format!(
        "shell in {target} on {}; exit the shell to come back to the console",
        e.name
    );
    vec![Effect::Interactive {
        env,
        id,
        argv,
        title,
    }]
}

/// A stack deploy begins with reading the stack file (for the preview's diff).
fn ask_stack_file(e: &mut EnvState, env: usize, global_read_only: bool) -> Vec<Effect> {
    let kind = OpKind::StackDeploy(Box::default());
    if refuse_read_only(e, global_read_only, &kind) || e.queue.pending().is_some() {
        return Vec::new();
    }
    let Some(view) = &e.swarm else {
        return Vec::new();
    };
    let (Some(path), [stack]) = (view.stack_file.clone(), view.stacks.as_slice()) else {
        e.queue.message = Some(
            "a stack deploy needs [swarm] stack_file and exactly one stack in stacks; nothing queued"
                .into(),
        );
        return Vec::new();
    };
    e.queue.message = Some(format!("reading {path} for the preview…"));
    vec![Effect::ReadStackFile {
        env,
        path,
        stack: stack.clone(),
    }]
}

/// The stack file arrived: its deploy becomes the pending item (the preview).
pub fn stack_file_read(
    e: &mut EnvState,
    result: Result<pilothouse_core::model::swarm::StackFile, String>,
    now: i64,
) {
    if e.queue.pending().is_some() {
        return;
    }
    match result {
        Ok(file) => {
            let stack = file.stack.clone();
            let _ = propose(e, OpKind::StackDeploy(Box::new(file)), vec![stack], now);
        }
        Err(why) => e.queue.message = Some(format!("refused: {why}; nothing queued")),
    }
}

/// Plans `kind` on `targets` and adds it as the pending item (the preview), with its
/// preflight checks; Err with the reason (also in the queue's message) when refused.
pub fn propose(
    e: &mut EnvState,
    kind: OpKind,
    targets: Vec<String>,
    now: i64,
) -> Result<(), String> {
    let known = e.known_services();
    let images = images(e);
    let on_swarm = !matches!(
        kind,
        OpKind::BreakLock
            | OpKind::Terminate { .. }
            | OpKind::Maintenance { .. }
            | OpKind::MaintenanceEnd
            | OpKind::Custom(_)
    );
    let empty = pilothouse_core::model::swarm::SwarmState::default();
    let planned = match &e.swarm {
        Some(view) if on_swarm => pilothouse_core::ops::Swarm {
            state: view.state.as_ref().unwrap_or(&empty),
            socket: &view.socket,
            resolve_image: view.resolve_image,
            stack_file: view.stack_file.as_deref(),
            timeout_secs: e.deploy.health_timeout.0.as_secs(),
        }
        .plan(kind, targets),
        _ => {
            let outside = e.outside_names();
            project(e, &known, &images, &outside).plan(kind, targets)
        }
    };
    match planned {
        Err(refused) => {
            let why = format!("refused: {refused}; nothing queued");
            e.queue.message = Some(why.clone());
            Err(why)
        }
        Ok(plan) => {
            let mut checks = super::preflight::preflight(e, &plan.kind, now);
            checks.extend(super::preflight::database_checks(e, &plan, now));
            e.queue.next_id += 1;
            let id = e.queue.next_id;
            e.queue
                .items
                .push(new_item(id, plan, ItemStatus::Pending, checks, now));
            e.queue.typed.clear();
            e.queue.override_armed = false;
            e.queue.preview_scroll = 0;
            e.queue.message = None;
            Ok(())
        }
    }
}

/// (service, image reference) of the project's containers, the running one first
/// when a service has several.
pub fn images(e: &EnvState) -> Vec<(String, String)> {
    if let Some(v) = &e.swarm {
        return v
            .visible("")
            .iter()
            .map(|s| (s.name.clone(), s.image.clone()))
            .collect();
    }
    let mut v: Vec<&pilothouse_core::model::container::ContainerInfo> =
        e.containers.iter().collect();
    v.sort_by_key(|c| c.run_state != pilothouse_core::model::container::RunState::Running);
    let mut out: Vec<(String, String)> = Vec::new();
    for c in v {
        if !out.iter().any(|(s, _)| *s == c.service) {
            out.push((c.service.clone(), c.image.clone()));
        }
    }
    out
}

/// What plans for this environment are built from.
fn project<'a>(
    e: &'a EnvState,
    known: &'a [String],
    images: &'a [(String, String)],
    outside: &'a [String],
) -> Project<'a> {
    Project {
        outside,
        dir: &e.project_dir,
        name: &e.project_name,
        compose: &e.compose_words,
        files: &e.compose_files,
        pgadmin_file: e.pgadmin_file.as_deref(),
        known_services: known,
        migrate: e.migrate.as_ref(),
        deploy: &e.deploy,
        env_file: &e.env_file,
        images,
        endpoint_services: &e.endpoint_services,
        env_name: &e.name,
        operator: &e.operator,
    }
}

fn new_item(
    id: u64,
    plan: pilothouse_core::ops::Plan,
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
/// services; in the pool view, the service of the selected session (else the services
/// over their budget); the selected session; nothing for pgAdmin and the lock.
fn targets(
    e: &EnvState,
    action: Action,
    kind: &OpKind,
    pool_view: bool,
    known: &[String],
) -> Result<Vec<String>, String> {
    Ok(match kind {
        OpKind::Restart if action == Action::Restart && pool_view => {
            return reclaim_targets(e, known);
        }
        OpKind::Restart | OpKind::Stop | OpKind::Start => {
            if action == Action::RestartGroup {
                return Ok(e.groups.first().map(|(_, s)| s.clone()).unwrap_or_default());
            }
            if !e.marked.is_empty() {
                return Ok(e.marked.iter().cloned().collect());
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
        OpKind::Terminate { .. } => {
            let pool = e
                .pool
                .as_ref()
                .ok_or("no [database] for this environment")?;
            let s = pool
                .selected_session()
                .ok_or("select a session in the pool view first (p, then up/down)")?;
            if pool.sample.as_ref().is_some_and(|x| x.own_pid == s.pid) {
                return Err(format!(
                    "session {} is this console's own connection",
                    s.pid
                ));
            }
            vec![format!(
                "session {} ({}, user {}, {})",
                s.pid,
                if s.application_name.is_empty() {
                    "no application_name"
                } else {
                    &s.application_name
                },
                s.user,
                s.state.label()
            )]
        }
        _ => Vec::new(),
    })
}

/// A swarm action's target: the selected service, or the node selected in the nodes
/// view; None for actions whose targets are found as on a compose project.
fn swarm_targets(
    e: &EnvState,
    kind: &OpKind,
    nodes_view: bool,
) -> Option<Result<Vec<String>, String>> {
    e.swarm.as_ref()?;
    match kind {
        OpKind::Restart | OpKind::Scale { .. } => Some(
            e.selected_service()
                .map(|s| vec![s.name.clone()])
                .ok_or_else(|| "select a service first".to_string()),
        ),
        OpKind::NodeAvailability { .. } => Some(
            e.swarm
                .as_ref()
                .and_then(|v| v.selected_node())
                .filter(|_| nodes_view)
                .map(|n| vec![n.hostname.clone()])
                .ok_or_else(|| "open the nodes view (n) and select a node first".to_string()),
        ),
        _ => None,
    }
}

/// Restart-to-reclaim from the pool view: the service that owns the selected session,
/// or with none selected, every service over its budget.
fn reclaim_targets(e: &EnvState, known: &[String]) -> Result<Vec<String>, String> {
    let pool = e
        .pool
        .as_ref()
        .ok_or("no [database] for this environment")?;
    if let Some(s) = pool.selected_session() {
        return pool
            .service_of(s, known)
            .map(|svc| vec![svc])
            .ok_or_else(|| {
                format!(
                    "session {} ({}) belongs to no service of the project; terminate it instead",
                    s.pid,
                    if s.application_name.is_empty() {
                        "no application_name"
                    } else {
                        &s.application_name
                    }
                )
            });
    }
    let over: Vec<String> = pool
        .budget_rows()
        .into_iter()
        .filter(|r| r.over)
        .map(|r| r.service)
        .collect();
    if over.is_empty() {
        return Err("no session selected and no service over its budget".into());
    }
    Ok(over)
}

fn confirm(e: &mut EnvState, env: usize, owner: pilothouse_core::model::job::Owner) -> Vec<Effect> {
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
        project: e.project_name.clone(),
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
        let known = e.known_services();
        let Ok(mut plan) = project(e, &known, &[], &[]).plan(OpKind::PgAdminStop, Vec::new())
        else {
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
                project: e.project_name.clone(),
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
                    .step_at(index)
                    .map(|s| s.label.clone())
                    .unwrap_or_default();
                if index < n {
                    i.push_log(format!("── step {} of {n}: {label}", index + 1));
                } else {
                    let m = i.plan.undo.as_ref().map_or(0, |u| u.steps.len());
                    i.push_log(format!(
                        "── rollback step {} of {m}: {label}",
                        index - n + 1
                    ));
                }
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
        // The event loop takes it (update::interactive) before it comes here.
        JobEvent::Interactive { .. } => {}
        JobEvent::LockHeld { owner, .. } => {
            e.queue.lock_holder = Some(holder(owner));
        }
        JobEvent::Finished { id, outcome, error } => {
            // It took the lock, so whoever held it before does not any more.
            if outcome == Outcome::Succeeded {
                e.queue.lock_holder = None;
            }
            let auto_stop = e.pgadmin_auto_stop;
            let kind = e.queue.get_mut(id).map(|i| i.plan.kind.clone());
            if outcome == Outcome::Succeeded {
                // pgAdmin's forwards follow it.
                match kind {
                    Some(OpKind::PgAdminStart) => {
                        e.queue.pgadmin_stop_at = auto_stop.map(|s| now + s);
                        super::forwards::pgadmin(e, true);
                    }
                    Some(OpKind::PgAdminStop) => {
                        e.queue.pgadmin_stop_at = None;
                        super::forwards::pgadmin(e, false);
                    }
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
                Outcome::RolledBack => ItemStatus::RolledBack,
            };
            i.finished = Some(now);
            i.error = error;
            super::timeline::item_ended(e, id, outcome, now);
        }
    }
}

/// The host lock as last read: another console's lock is shown (and fails the lock
/// check of the next preview). This console's own is shown only as the leftover of an
/// item that ended unknown (the one way it keeps its lock): while an item runs the
/// lock is its doing, and a reading taken just before a release is stale.
pub fn lock_seen(e: &mut EnvState, owner: Option<LockOwner>, own_console: &str) {
    let running = e
        .queue
        .items
        .iter()
        .any(|i| i.status == ItemStatus::Running);
    let left_over = e
        .queue
        .items
        .iter()
        .filter(|i| i.status.is_final() && i.started.is_some())
        .max_by_key(|i| i.finished)
        .is_some_and(|i| i.status == ItemStatus::Unknown);
    e.queue.lock_holder = owner.and_then(|o| {
        let ours = o.console.as_deref() == Some(own_console);
        (!ours || (!running && left_over)).then(|| LockHolder { ours, ..holder(o) })
    });
}

/// The lock's owner as the operator needs it.
fn holder(o: LockOwner) -> LockHolder {
    LockHolder {
        ours: false,
        quiet_secs: o.quiet_secs,
        owner: o.operator,
        action: o.action,
        since: o.since,
        maintenance: o.maintenance,
    }
}

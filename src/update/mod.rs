//! The only code that mutates [`State`]. No I/O, no awaits: it returns [`Effect`]s.

mod action_queue;
mod custom;
mod deploy;
mod fleet;
mod forwards;
mod jobs;
mod logs;
mod preflight;
mod timeline;

use crate::input::action::{Action, Effect, Mode, Msg};
use crate::state::{
    EnvState, LinkStatus, MAX_FIELD, Overlay, SortKey, State, View, sort_containers,
};
use pilothouse_core::model::container::RunState;
use pilothouse_core::model::event::BackendEvent;
use pilothouse_core::model::health::HealthEvent;
use pilothouse_core::model::job::JobEvent;
use pilothouse_core::model::pool::PoolEvent;
use pilothouse_core::model::queues::QueuesEvent;
use pilothouse_core::model::timeline::Kind;

use crate::state::timeline::ReadStatus;

/// Nanoseconds in a second: the timeline's times are Unix nanoseconds.
const NS: i64 = 1_000_000_000;

/// Applies one message to the state. Returns the I/O to perform.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut effects = apply_msg(state, msg);
    effects.extend(logs::reconcile(state));
    effects
}

fn apply_msg(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(action) => {
            // The last snapshot's notice stays until the next key.
            if let Some(e) = state.envs.get_mut(state.selected)
                && e.notice.as_ref().is_some_and(|n| !n.starts_with("writing"))
            {
                e.notice = None;
            }
            return dispatch(state, action);
        }
        Msg::Stop => return stop(state),
        Msg::Resize { rows, cols } => {
            state.rows = rows;
            state.cols = cols;
        }
        // Clicks count only where the keys they stand for would: not under the help
        // overlay, a preview or the picker.
        Msg::SelectEnv(i) => {
            if matches!(state.mode(), Mode::Normal | Mode::Logs) && i < state.envs.len() {
                state.selected = i;
                if state.view == View::Fleet {
                    fleet::open(state, i);
                }
            }
        }
        Msg::SelectRow(i) => {
            let pool_view = state.view != View::Containers;
            if state.mode() == Mode::Normal
                && !pool_view
                && let Some(e) = state.envs.get_mut(state.selected)
                && i < e.row_count()
            {
                e.selected_row = i;
            }
        }
        Msg::Saved { env, result } => {
            if let Some(e) = state.envs.get_mut(env) {
                e.logs.message = Some(match result {
                    Ok(path) => format!("saved to {path}"),
                    Err(err) => format!("not saved: {err}"),
                });
            }
        }
        Msg::TimelineNotKept { env, error } => {
            if let Some(e) = state.envs.get_mut(env) {
                e.timeline.store_error = Some(error);
            }
        }
        Msg::Input(c) => return input(state, c),
        Msg::Paste(text) => {
            // Only into a text box; control characters (a pasted newline among them)
            // never act, and a huge paste is cut to what a field holds.
            if state.mode().takes_text() {
                for c in text.chars().filter(|c| !c.is_control()).take(MAX_FIELD) {
                    let _ = input(state, c);
                }
            }
        }
        // Ages show seconds only under a minute: the clock moves every second only while
        // something on screen shows seconds, else once a minute (each move is a redraw).
        Msg::Tick { now } => {
            if now.div_euclid(60) != state.now.div_euclid(60) || state.shows_seconds() {
                state.now = now;
            }
            return action_queue::tick(state, now);
        }
        Msg::Backend { env, event, now } => return backend(state, env, event, now),
    }
    Vec::new()
}

/// What environment `env` reported: applied to its state, then the effects it asks
/// for (a shell's terminal, forwards, notices, the timeline kept).
fn backend(state: &mut State, env: usize, event: BackendEvent, now: i64) -> Vec<Effect> {
    state.now = now;
    let own = &state.owner.console;
    let Some(e) = state.envs.get_mut(env) else {
        return Vec::new();
    };
    let alerts_may_move = matches!(
        event,
        BackendEvent::Health(_)
            | BackendEvent::Pool(_)
            | BackendEvent::Queues(_)
            | BackendEvent::Snapshot(_)
            | BackendEvent::Container(_)
            | BackendEvent::Reinspected(_)
            | BackendEvent::Removed { .. }
            | BackendEvent::Swarm(_)
            | BackendEvent::Timeline(_)
            | BackendEvent::ErrorLines { .. }
            // Periodic: a burst ends as time passes.
            | BackendEvent::Stats(_)
    );
    let mut effects = Vec::new();
    match event {
        BackendEvent::Job(JobEvent::Interactive { id, argv }) => {
            effects.extend(action_queue::interactive(e, env, id, argv));
        }
        BackendEvent::Lock(owner) => action_queue::lock_seen(e, owner, own),
        BackendEvent::Tags(result) => deploy::tags_read(e, result),
        BackendEvent::StackFile(result) => action_queue::stack_file_read(e, result, now),
        BackendEvent::Forward(ev) => forwards::seen(e, ev),
        event => apply(e, event, now),
    }
    if alerts_may_move {
        for (key, found) in timeline::note(e, now) {
            let summary = found.summary();
            e.notify.started(&e.name, &key, &summary, now);
        }
    }
    effects.extend(forwards::take_requests(e, env));
    effects.extend(
        e.notify
            .outbox
            .drain(..)
            .map(|n| Effect::Notify(Box::new(n))),
    );
    if !e.timeline.unsaved.is_empty() {
        let entries = std::mem::take(&mut e.timeline.unsaved);
        let key = [e.name.clone(), e.target.clone(), e.project_name.clone()];
        effects.push(Effect::KeepTimeline { env, key, entries });
    }
    effects
}

/// A part of update() that handles keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    /// The help overlay.
    Help,
    /// The fleet view (all of its keys), and the keys that go to it.
    Fleet,
    /// The team's actions menu (and the key that opens it).
    Menu,
    /// The port forwards' list (and the key that opens it).
    Forwards,
    /// The deploy/rollback tag picker (and the keys that open it).
    Picker,
    /// The prompt open over the view (`state::Overlay`): its own handler, by its kind.
    Overlay,
    /// The jobs view's actions on the selected queue.
    Jobs,
    /// The timeline view's `enter`: the logs around the highlighted entry.
    Timeline,
    /// The action queue: the keys that queue an action, the preview's keys.
    Queue,
    /// The log pane and its search.
    Logs,
    /// The table, the views, and what every mode has (quit).
    Table,
}

/// Which handlers a key may reach in a mode, in the order they are offered it: the
/// mode decides. A mode with a dialog of its own offers the key to that dialog, then
/// only to what every mode has.
fn handlers(mode: Mode) -> &'static [Handler] {
    use Handler::*;
    match mode {
        Mode::Help => &[Help],
        Mode::TagInput => &[Overlay, Table],
        Mode::Confirm | Mode::ConfirmTyped => &[Queue, Table],
        Mode::Search => &[Logs, Table],
        Mode::Filter => &[Fleet, Table],
        Mode::Normal | Mode::Logs => &[
            Help, Fleet, Forwards, Menu, Picker, Jobs, Queue, Timeline, Logs, Table,
        ],
    }
}

/// A key for the open overlay goes to that overlay's handler.
fn overlay_act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    match state.current().and_then(|e| e.overlay.as_ref())? {
        Overlay::Forwards { .. } => forwards::act(state, action),
        Overlay::Menu(_) => custom::act(state, action),
        Overlay::CleanPrompt(_) => jobs::clean_act(state, action),
        Overlay::Picker(_) => deploy::act(state, action),
    }
}

/// An action goes to the handlers its mode names, the first that takes it.
fn dispatch(state: &mut State, action: Action) -> Vec<Effect> {
    for handler in handlers(state.mode()) {
        let taken = match handler {
            Handler::Help => help(state, action).then(Vec::new),
            Handler::Fleet => fleet::act(state, action),
            Handler::Forwards => forwards::act(state, action),
            Handler::Menu => custom::act(state, action),
            Handler::Picker => deploy::act(state, action),
            Handler::Overlay => overlay_act(state, action),
            Handler::Jobs => jobs::act(state, action),
            Handler::Queue => action_queue::act(state, action),
            Handler::Timeline => timeline::act(state, action),
            Handler::Logs => logs::act(state, action),
            Handler::Table => Some(act(state, action)),
        };
        if let Some(effects) = taken {
            return effects;
        }
    }
    Vec::new()
}

/// A character typed into the text box that has the keyboard.
fn input(state: &mut State, c: char) -> Vec<Effect> {
    if fleet::input(state, c) {
        return Vec::new();
    }
    if state.mode() == crate::input::action::Mode::TagInput {
        let now = state.now;
        if let Some(e) = state.envs.get_mut(state.selected) {
            match &e.overlay {
                Some(Overlay::Forwards { .. }) => return forwards::input(e, c),
                Some(Overlay::CleanPrompt(_)) => jobs::clean_input(e, c),
                Some(Overlay::Menu(_)) => custom::input(e, c, now),
                Some(Overlay::Picker(_)) => deploy::input(e, c),
                None => {}
            }
        }
    } else if state.mode() == crate::input::action::Mode::ConfirmTyped {
        if let Some(e) = state.envs.get_mut(state.selected)
            && !c.is_control()
            && e.queue.typed.chars().count() < 64
        {
            e.queue.typed.push(c);
        }
    } else if let Some(e) = state.envs.get_mut(state.selected)
        && let Some(text) = &mut e.logs.search_input
        && !c.is_control()
    {
        if text.chars().count() < MAX_FIELD {
            text.push(c);
        }
    } else if let Some(e) = state.envs.get_mut(state.selected)
        && e.filter_editing
        && !c.is_control()
        && e.filter.chars().count() < MAX_FIELD
    {
        let keep = e.selected_container().map(|c| c.id.clone());
        e.filter.push(c);
        reselect(e, keep);
    }
    Vec::new()
}

/// The help overlay's keys; true when `action` was one of them.
fn help(state: &mut State, action: Action) -> bool {
    match (state.help, action) {
        (None, Action::Help) => {
            state.help = Some(state.mode());
            state.help_scroll = 0;
        }
        (Some(_), Action::Help) => state.help = None,
        (Some(_), Action::ScrollUp | Action::PageUp) => {
            let by = if action == Action::PageUp { 10 } else { 1 };
            state.help_scroll = state.help_scroll.saturating_sub(by);
        }
        (Some(_), Action::ScrollDown | Action::PageDown) => {
            let by = if action == Action::PageDown { 10 } else { 1 };
            state.help_scroll = state.help_scroll.saturating_add(by).min(200);
        }
        (Some(_), Action::Quit) => {
            state.help = None;
            let _ = quit(state);
        }
        // Nothing else reaches the screen under the overlay.
        (Some(_), _) => {}
        (None, _) => return false,
    }
    true
}

/// Quitting: at once when nothing runs; while an item runs, the first press says what
/// a second one does, and the second stops the console as a signal would.
fn quit(state: &mut State) -> Vec<Effect> {
    if !state.in_flight() || state.stopping_since.is_some() {
        state.quit = true;
        return Vec::new();
    }
    if !state.quit_armed {
        state.quit_armed = true;
        let grace = pilothouse_core::model::job::STEP_GRACE.as_secs();
        for e in &mut state.envs {
            e.queue.message = Some(format!(
                "an action is running: quit again to stop it at its next step (the running step gets up to {grace} s), audit it and exit"
            ));
        }
        return Vec::new();
    }
    stop(state)
}

/// Stopping the console (a signal, or quit confirmed): queued items are dropped,
/// running ones are told to stop at their next step; the loop exits once none runs.
/// Asked again while stopping, it exits now.
fn stop(state: &mut State) -> Vec<Effect> {
    if !state.in_flight() || state.stopping_since.is_some() {
        state.quit = true;
        return Vec::new();
    }
    state.stopping_since = Some(state.now);
    let now = state.now;
    let grace = pilothouse_core::model::job::STEP_GRACE.as_secs();
    let mut effects = Vec::new();
    for (i, e) in state.envs.iter_mut().enumerate() {
        let mut busy = false;
        for item in &mut e.queue.items {
            match item.status {
                crate::state::ItemStatus::Queued => {
                    item.status = crate::state::ItemStatus::Cancelled;
                    item.finished = Some(now);
                    item.error = Some("not run: the console was stopped before it started".into());
                }
                crate::state::ItemStatus::Running => busy = true,
                _ => {}
            }
        }
        e.queue.message = Some(format!(
            "stopping: the running step may take up to {grace} s to finish; then the audit, the lock, and exit"
        ));
        if busy {
            effects.push(Effect::Interrupt { env: i });
        }
    }
    effects
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let n = state.envs.len();
    match action {
        Action::Quit => return quit(state),
        Action::NextEnv if n > 0 => state.selected = (state.selected + 1) % n,
        Action::PrevEnv if n > 0 => state.selected = (state.selected + n - 1) % n,
        // In the pool view the arrows select a session; elsewhere a container.
        Action::Up | Action::Down => move_selection(state, action),
        Action::CycleSort => {
            if let Some(e) = state.envs.get_mut(state.selected) {
                let keep = e.selected_container().map(|c| c.id.clone());
                e.sort = e.sort.next();
                sort(e);
                reselect(e, keep);
            }
        }
        Action::Filter | Action::FilterDone | Action::FilterClear | Action::FilterBackspace => {
            if let Some(e) = state.envs.get_mut(state.selected) {
                let keep = e.selected_container().map(|c| c.id.clone());
                match action {
                    Action::Filter => e.filter_editing = true,
                    Action::FilterDone => e.filter_editing = false,
                    Action::FilterClear => {
                        e.filter.clear();
                        e.filter_editing = false;
                    }
                    _ => {
                        e.filter.pop();
                    }
                }
                reselect(e, keep);
            }
        }
        Action::Reconnect if n > 0 => {
            return vec![Effect::Reconnect {
                env: state.selected,
            }];
        }
        Action::Diagnostics => state.diagnostics = !state.diagnostics,
        Action::HealthView
        | Action::PoolView
        | Action::JobsView
        | Action::DeployedView
        | Action::NodesView
        | Action::SecretsView
        | Action::AuditView
        | Action::TimelineView
        | Action::ContainersView => {
            let view = match action {
                Action::HealthView => View::Health,
                Action::PoolView => View::Pool,
                Action::JobsView => View::Jobs,
                Action::DeployedView => View::Deployed,
                Action::NodesView => View::Nodes,
                Action::SecretsView => View::Secrets,
                Action::AuditView => View::Audit,
                Action::TimelineView => View::Timeline,
                _ => View::Containers,
            };
            // The same key again goes back to the table.
            state.view = if state.view == view {
                View::Containers
            } else {
                view
            };
            if state.view != View::Containers {
                for e in &mut state.envs {
                    e.logs.focused = false;
                }
            }
            // The audit records are read afresh each time the view opens.
            if state.view == View::Audit {
                return vec![Effect::ReadAudit {
                    env: state.selected,
                }];
            }
        }
        Action::TimelineScope | Action::TimelineKinds if state.view == View::Timeline => {
            if let Some(e) = state.envs.get_mut(state.selected) {
                let t = &mut e.timeline;
                if action == Action::TimelineScope {
                    t.scope = t.scope.next();
                } else {
                    t.kinds = t.kinds.next();
                }
                t.cursor_from_end = 0;
            }
        }
        Action::Snapshot => return snapshot(state),
        Action::GrowPane => state.pane_shift = state.pane_shift.saturating_add(2).min(60),
        Action::ShrinkPane => state.pane_shift = state.pane_shift.saturating_sub(2).max(-60),
        // The log pane's actions are handled in `logs`.
        _ => {}
    }
    Vec::new()
}

/// Asks for an incident snapshot of the environment on screen.
fn snapshot(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let dir = state.save_dir.clone();
    let Some(e) = state.envs.get_mut(state.selected) else {
        return Vec::new();
    };
    let mut containers: Vec<(String, String)> = e
        .containers
        .iter()
        .map(|c| (c.service.clone(), c.id.clone()))
        .collect();
    containers.sort();
    let (y, m, d) = pilothouse_core::time::civil(now.div_euclid(86_400));
    let t = now.rem_euclid(86_400);
    let file_name = format!(
        "pilothouse-incident-{}-{y:04}{m:02}{d:02}-{:02}{:02}{:02}Z.md",
        e.name,
        t / 3600,
        t % 3600 / 60,
        t % 60
    );
    e.notice = Some("writing an incident snapshot...".into());
    vec![Effect::Snapshot {
        env: state.selected,
        request: Box::new(pilothouse_core::model::requests::SnapshotRequest {
            summary: crate::state::snapshot::summary(e, now),
            containers,
            dir,
            file_name,
            project_dir: e.project_dir.clone(),
            env_file: e.env_file.clone(),
        }),
    }]
}

/// The arrows: a queue in the jobs view, a node in the nodes view, a session in the
/// pool view, else a container.
fn move_selection(state: &mut State, action: Action) {
    let pool_view = state.view == View::Pool;
    let nodes_view = state.view == View::Nodes;
    let jobs_view = state.view == View::Jobs;
    let timeline_view = state.view == View::Timeline;
    if let Some(e) = state.envs.get_mut(state.selected) {
        let by = if action == Action::Up { -1 } else { 1 };
        if timeline_view {
            let services = e.timeline_services();
            let shown = e.timeline.shown(&services).count();
            e.timeline.move_cursor(by, shown);
            return;
        }
        if jobs_view && let Some(j) = &mut e.jobs {
            j.move_cursor(by);
            return;
        }
        if nodes_view && let Some(v) = &mut e.swarm {
            let by: isize = if action == Action::Up { -1 } else { 1 };
            let n = v.state.as_ref().map_or(0, |s| s.nodes.len());
            v.node_row = v
                .node_row
                .saturating_add_signed(by)
                .min(n.saturating_sub(1));
            return;
        }
        match &mut e.pool {
            Some(p) if pool_view => p.move_cursor(by),
            _ if action == Action::Up => {
                e.selected_row = e.selected_row.saturating_sub(1);
            }
            _ => {
                e.selected_row = (e.selected_row + 1).min(e.row_count().saturating_sub(1));
            }
        }
    }
}

fn pool_event(e: &mut EnvState, ev: PoolEvent, now: i64) {
    if let Some(p) = &mut e.pool {
        match ev {
            PoolEvent::Sample(mut sample) => {
                // Ages are measured on the console's clock, not the server's.
                sample.at = now;
                p.record(*sample);
            }
            PoolEvent::Failed(err) => p.error = Some((err, now)),
        }
    }
}

/// The containers' list changed: the selection stays on the container it was on.
fn containers_changed(e: &mut EnvState, event: BackendEvent) {
    let keep = e.selected_container().map(|c| c.id.clone());
    match event {
        BackendEvent::Snapshot(list) => {
            // After a (re)connect the state is listed afresh, never assumed.
            e.containers = list;
            e.listed = true;
        }
        BackendEvent::Container(info) => match e.containers.iter_mut().find(|c| c.id == info.id) {
            Some(c) => *c = *info,
            None => e.containers.push(*info),
        },
        // Read again for their health: only the ones still known are replaced.
        BackendEvent::Reinspected(list) => {
            for info in list {
                if let Some(c) = e.containers.iter_mut().find(|c| c.id == info.id) {
                    *c = info;
                }
            }
        }
        BackendEvent::Removed { id } => e.containers.retain(|c| c.id != id),
        _ => return,
    }
    prune_usage(e);
    sort(e);
    reselect(e, keep);
}

fn apply(e: &mut EnvState, event: BackendEvent, now: i64) {
    let link = &mut e.link;
    match event {
        BackendEvent::Connecting { attempt } => {
            link.status = LinkStatus::Connecting;
            link.attempt = attempt;
            link.retry_at = None;
            // What is missing is judged from this connection's readings only.
            e.listed = false;
            e.declared = None;
        }
        ev @ (BackendEvent::Connected { .. } | BackendEvent::Disconnected { .. }) => {
            link_moved(e, ev, now);
        }
        // A swarm's stack file: its services, kept across connections.
        BackendEvent::Declared(list) if e.swarm.is_some() => {
            if let Some(v) = &mut e.swarm {
                v.declared = list;
            }
        }
        BackendEvent::Declared(list) => e.declared = Some(list),
        ev @ (BackendEvent::Snapshot(_)
        | BackendEvent::Container(_)
        | BackendEvent::Reinspected(_)
        | BackendEvent::Removed { .. }) => containers_changed(e, ev),
        BackendEvent::Swarm(reading) => swarm_read(e, *reading),
        BackendEvent::Latency(d) => e.latency = Some(d),
        BackendEvent::Logs(batch) => {
            logs::lines(e, batch);
        }
        BackendEvent::ErrorLines {
            service,
            mut errors,
            oldest,
        } => {
            // The host's clock to this machine's, as everything else is judged by.
            let offset = e.timeline.clock_offset.div_euclid(NS);
            for (at, _) in &mut errors {
                *at -= offset;
            }
            let oldest = oldest.div_euclid(NS) - offset;
            e.errors.record(&service, &errors, oldest, now);
        }
        BackendEvent::Pool(ev) => pool_event(e, ev, now),
        BackendEvent::Queues(ev) => {
            if let Some(j) = &mut e.jobs {
                match ev {
                    QueuesEvent::Reading(r) => j.record(*r, now),
                    QueuesEvent::Failed(err) => j.failed_to_read(err, now),
                }
            }
        }
        BackendEvent::Health(HealthEvent::Endpoints(list)) => e.health.endpoints = list,
        BackendEvent::Health(HealthEvent::Check(r)) => e.health.record_check(*r),
        BackendEvent::Job(ev) => action_queue::apply(e, ev, now),
        BackendEvent::Audit(records) => e.audit = Some(records),
        BackendEvent::Timeline(ev) => e.timeline.apply(ev, now.saturating_mul(NS)),
        BackendEvent::SnapshotWritten(result) => {
            e.notice = Some(match result {
                Ok(path) => format!("incident snapshot written to {path}"),
                Err(why) => format!("incident snapshot NOT written: {why}"),
            });
        }
        // Handled in apply_msg.
        BackendEvent::Lock(_)
        | BackendEvent::Tags(_)
        | BackendEvent::StackFile(_)
        | BackendEvent::Forward(_) => {}
        BackendEvent::Health(HealthEvent::Host(report)) => {
            if let Some(d) = &report.docker {
                e.health.docker_disk = Some(d.clone());
            }
            if report.error.is_none() || report.mem_total_kb > 0 {
                e.health.load_history.record(report.load[0], now);
                let used = report.mem_total_kb.saturating_sub(report.mem_available_kb);
                let used = u32::try_from(used).unwrap_or(u32::MAX);
                e.health.mem_history.record(used, now);
            }
            e.health.host = Some(*report);
        }
        BackendEvent::Stats(samples) => {
            for (id, usage) in samples {
                if e.containers
                    .iter()
                    .any(|c| c.id == id && c.run_state == RunState::Running)
                {
                    let h = e.history.entry(id.clone()).or_default();
                    h.cpu.record(usage.cpu_centipercent, now);
                    let kib = u32::try_from(usage.mem_used / 1024).unwrap_or(u32::MAX);
                    h.mem_kib.record(kib, now);
                    e.usage.insert(id, usage);
                }
            }
            // Only the containers there are keep a history.
            let containers = &e.containers;
            e.history
                .retain(|id, _| containers.iter().any(|c| &c.id == id));
            // Sorted by CPU or memory: new samples can reorder the rows.
            if matches!(e.sort, SortKey::Cpu | SortKey::Memory) {
                let keep = e.selected_container().map(|c| c.id.clone());
                sort(e);
                reselect(e, keep);
            }
        }
    }
}

/// The connection came up or went down: the timeline notes a loss and a return.
fn link_moved(e: &mut EnvState, event: BackendEvent, now: i64) {
    let link = &mut e.link;
    match event {
        BackendEvent::Connected { docker_version } => {
            if let Some(down) = link.down_since {
                let back = format!("back after {}", pilothouse_core::time::age(now - down));
                e.timeline.saw(
                    Kind::Connection,
                    "the connection",
                    back,
                    now.saturating_mul(NS),
                );
            }
            e.timeline.status = ReadStatus::Reading;
            e.notify.connected(now);
            link.status = LinkStatus::Connected;
            link.up_since = Some(now);
            link.down_since = None;
            link.last_error = None;
            link.retry_at = None;
            e.docker_version = Some(docker_version);
        }
        BackendEvent::Disconnected { error, retry_in } => {
            if link.status == LinkStatus::Connected {
                let lost = format!("lost: {error}");
                e.timeline.saw(
                    Kind::Connection,
                    "the connection",
                    lost,
                    now.saturating_mul(NS),
                );
            }
            link.status = LinkStatus::Disconnected;
            link.down_since.get_or_insert(now);
            link.up_since = None;
            link.last_error = Some(error);
            link.retry_at = Some(now + i64::try_from(retry_in.as_secs()).unwrap_or(i64::MAX / 2));
            e.latency = None;
        }
        _ => {}
    }
}

/// CPU and memory are only kept for containers that are running now.
fn prune_usage(e: &mut EnvState) {
    let running: Vec<&str> = e
        .containers
        .iter()
        .filter(|c| c.run_state == RunState::Running)
        .map(|c| c.id.as_str())
        .collect();
    e.usage.retain(|id, _| running.contains(&id.as_str()));
}

/// Puts the containers in the environment's sort order.
fn sort(e: &mut EnvState) {
    sort_containers(&mut e.containers, e.sort, &e.deploy_order, &e.usage);
}

/// Keeps the same container selected when rows move or the filter changes; clamps
/// otherwise.
/// A new reading of a swarm: the selected service stays selected.
fn swarm_read(e: &mut EnvState, reading: pilothouse_core::model::swarm::SwarmState) {
    let keep = e.selected_service().map(|s| s.id.clone());
    if let Some(v) = &mut e.swarm {
        v.record(reading);
    }
    e.listed = true;
    if let Some(id) = keep {
        let rows = e.swarm.as_ref().map(|v| v.visible(&e.filter));
        if let Some(i) = rows.and_then(|r| r.iter().position(|s| s.id == id)) {
            e.selected_row = i;
        }
    }
    let n = e.row_count();
    e.selected_row = e.selected_row.min(n.saturating_sub(1));
}

fn reselect(e: &mut EnvState, keep: Option<String>) {
    let visible: Vec<String> = e.visible().iter().map(|c| c.id.clone()).collect();
    if let Some(i) = keep.and_then(|id| visible.iter().position(|v| *v == id)) {
        e.selected_row = i;
    }
    e.selected_row = e.selected_row.min(visible.len().saturating_sub(1));
}

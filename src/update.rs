//! The only code that mutates [`State`]. No I/O, no awaits: it returns [`Effect`]s.

use crate::action::{Action, Effect, Msg};
use crate::backend::BackendEvent;
use crate::backend::model::{ContainerInfo, RunState};
use crate::state::{EnvState, LinkStatus, State};

/// Applies one message to the state. Returns the I/O to perform.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(action) => return act(state, action),
        Msg::Resize => {}
        Msg::Tick { now } => state.now = now,
        Msg::Backend { env, event, now } => {
            state.now = now;
            if let Some(e) = state.envs.get_mut(env) {
                apply(e, event, now);
            }
        }
    }
    Vec::new()
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let n = state.envs.len();
    match action {
        Action::Quit => state.quit = true,
        Action::NextEnv if n > 0 => state.selected = (state.selected + 1) % n,
        Action::PrevEnv if n > 0 => state.selected = (state.selected + n - 1) % n,
        Action::Up => {
            if let Some(e) = state.envs.get_mut(state.selected) {
                e.selected_row = e.selected_row.saturating_sub(1);
            }
        }
        Action::Down => {
            if let Some(e) = state.envs.get_mut(state.selected) {
                e.selected_row = (e.selected_row + 1).min(e.containers.len().saturating_sub(1));
            }
        }
        Action::Reconnect if n > 0 => {
            return vec![Effect::Reconnect {
                env: state.selected,
            }];
        }
        Action::NextEnv | Action::PrevEnv | Action::Reconnect => {}
    }
    Vec::new()
}

fn apply(e: &mut EnvState, event: BackendEvent, now: i64) {
    let link = &mut e.link;
    match event {
        BackendEvent::Connecting { attempt } => {
            link.status = LinkStatus::Connecting;
            link.attempt = attempt;
            link.retry_at = None;
        }
        BackendEvent::Connected { docker_version } => {
            link.status = LinkStatus::Connected;
            link.up_since = Some(now);
            link.down_since = None;
            link.last_error = None;
            link.retry_at = None;
            e.docker_version = Some(docker_version);
        }
        BackendEvent::Snapshot(mut list) => {
            // After a (re)connect the state is listed afresh, never assumed.
            sort(&mut list);
            let keep = e.selected_container().map(|c| c.id.clone());
            e.containers = list;
            prune_usage(e);
            reselect(e, keep);
        }
        BackendEvent::Container(info) => {
            let keep = e.selected_container().map(|c| c.id.clone());
            match e.containers.iter_mut().find(|c| c.id == info.id) {
                Some(c) => *c = *info,
                None => e.containers.push(*info),
            }
            sort(&mut e.containers);
            prune_usage(e);
            reselect(e, keep);
        }
        BackendEvent::Removed { id } => {
            let keep = e.selected_container().map(|c| c.id.clone());
            e.containers.retain(|c| c.id != id);
            prune_usage(e);
            reselect(e, keep);
        }
        BackendEvent::Latency(d) => e.latency = Some(d),
        BackendEvent::Stats(samples) => {
            for (id, usage) in samples {
                if e.containers
                    .iter()
                    .any(|c| c.id == id && c.run_state == RunState::Running)
                {
                    e.usage.insert(id, usage);
                }
            }
        }
        BackendEvent::Disconnected { error, retry_in } => {
            link.status = LinkStatus::Disconnected;
            link.down_since.get_or_insert(now);
            link.up_since = None;
            link.last_error = Some(error);
            link.retry_at = Some(now + i64::try_from(retry_in.as_secs()).unwrap_or(i64::MAX / 2));
            e.latency = None;
        }
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

/// Display order: by service, then container name.
fn sort(list: &mut [ContainerInfo]) {
    list.sort_by(|a, b| a.service.cmp(&b.service).then_with(|| a.name.cmp(&b.name)));
}

/// Keeps the same container selected when rows move; clamps otherwise.
fn reselect(e: &mut EnvState, keep: Option<String>) {
    if let Some(i) = keep.and_then(|id| e.containers.iter().position(|c| c.id == id)) {
        e.selected_row = i;
    }
    e.selected_row = e.selected_row.min(e.containers.len().saturating_sub(1));
}

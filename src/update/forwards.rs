//! Port forwards in update(): `F` opens their list; enter opens or closes the
//! highlighted one, `c` copies its local URL; pgAdmin's forward follows pgAdmin
//! started and stopped through the queue.

use crate::input::action::{Action, Effect};
use crate::state::{EnvState, Overlay, State};
use pilothouse_core::model::forwards::{ForwardEvent, ForwardState};

/// Handles the list's keys and the key that opens it; None if `action` is not one.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let env = state.selected;
    let e = state.envs.get_mut(env)?;
    let Some(cursor) = e.forward_cursor() else {
        if action != Action::Forwards {
            return None;
        }
        if e.forwards.is_empty() {
            e.queue.message = Some(format!(
                "{} has no port forwards ([[environments.{}.forwards]] in the config)",
                e.name, e.name
            ));
        } else if e.queue.pending().is_none() {
            e.queue.message = None;
            e.overlay = Some(Overlay::Forwards { cursor: 0 });
        }
        return Some(Vec::new());
    };
    match action {
        Action::TagCancel | Action::Forwards => e.overlay = None,
        Action::Up => {
            e.overlay = Some(Overlay::Forwards {
                cursor: cursor.saturating_sub(1),
            })
        }
        Action::Down => {
            e.overlay = Some(Overlay::Forwards {
                cursor: (cursor + 1).min(e.forwards.len().saturating_sub(1)),
            });
        }
        Action::TagDone => {
            if let Some(f) = e.forwards.get(cursor) {
                let open = !f.is_on();
                let name = f.name.clone();
                return Some(vec![Effect::Forward { env, name, open }]);
            }
        }
        // Every other key does nothing while the list is open.
        _ => {}
    }
    Some(Vec::new())
}

/// A character typed while the list is open: `c` copies the highlighted forward's URL.
pub fn input(e: &mut EnvState, c: char) -> Vec<Effect> {
    let Some(cursor) = e.forward_cursor() else {
        return Vec::new();
    };
    let url = e.forwards.get(cursor).and_then(|f| f.url());
    match (c, url) {
        ('c', Some(text)) => {
            e.queue.message = Some(format!("copied {text} (to the terminal's clipboard)"));
            vec![Effect::Copy { text }]
        }
        ('c', None) => {
            e.queue.message = Some("not open: nothing to copy".into());
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A forward's new state from the actor.
pub fn seen(e: &mut EnvState, ev: ForwardEvent) {
    if let Some(f) = e.forwards.iter_mut().find(|f| f.name == ev.name) {
        f.state = match ev.state {
            ForwardState::Failed(why) => {
                ForwardState::Failed(pilothouse_core::text::clean(&why, 300))
            }
            other => other,
        };
    }
}

/// pgAdmin started (true) or stopped through the queue: its forwards follow.
pub fn pgadmin(e: &mut EnvState, started: bool) {
    let names: Vec<String> = e
        .forwards
        .iter()
        .filter(|f| f.pgadmin && f.is_on() != started)
        .map(|f| f.name.clone())
        .collect();
    e.forward_requests
        .extend(names.into_iter().map(|n| (n, started)));
}

/// What update() asked of the forwards, as effects.
pub fn take_requests(e: &mut EnvState, env: usize) -> Vec<Effect> {
    e.forward_requests
        .drain(..)
        .map(|(name, open)| Effect::Forward { env, name, open })
        .collect()
}

//! The only code that mutates [`State`]. No I/O, no awaits: it returns [`Effect`]s.

use crate::action::{Action, Effect, Msg};
use crate::state::State;

/// Applies one message to the state. Returns the I/O to perform.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(Action::Quit) => state.quit = true,
        Msg::Action(Action::NextEnv) => {
            if !state.envs.is_empty() {
                state.selected = (state.selected + 1) % state.envs.len();
            }
        }
        Msg::Action(Action::PrevEnv) => {
            if !state.envs.is_empty() {
                state.selected = (state.selected + state.envs.len() - 1) % state.envs.len();
            }
        }
        Msg::Resize => {}
    }
    Vec::new()
}

//! What keys mean ([`Action`]), everything `update()` consumes ([`Msg`]), and the I/O it
//! asks for ([`Effect`]).

use serde::Deserialize;

use crate::backend::BackendEvent;

/// The input mode, derived from State; each has its own keymap section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Normal,
}

/// Something a key can mean. Names in keymap files are kebab-case (`next-env`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Quit,
    NextEnv,
    PrevEnv,
    Up,
    Down,
    Reconnect,
}

impl Action {
    /// A short description for hints and help.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::NextEnv => "next env",
            Action::PrevEnv => "previous env",
            Action::Up => "up",
            Action::Down => "down",
            Action::Reconnect => "reconnect",
        }
    }
}

/// Everything that can change State. `now` is wall-clock Unix seconds, stamped by the
/// event loop, so that update() never reads a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Action(Action),
    /// The terminal was resized; nothing changes but the next frame.
    Resize,
    /// A second passed (ages and "since" texts move on).
    Tick {
        now: i64,
    },
    /// Environment number `env` reported something.
    Backend {
        env: usize,
        event: BackendEvent,
        now: i64,
    },
}

/// I/O that update() asks the event loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Drop environment number `env`'s connection and connect again now.
    Reconnect { env: usize },
}

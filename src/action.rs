//! What keys mean ([`Action`]), everything `update()` consumes ([`Msg`]), and the I/O it
//! asks for ([`Effect`]).

use serde::Deserialize;

use crate::backend::BackendEvent;

/// The input mode, derived from State; each has its own keymap section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Normal,
    /// Typing into the filter box.
    Filter,
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
    /// Order the table by the next column.
    CycleSort,
    /// Open the filter box.
    Filter,
    /// Keep the filter and leave the box.
    FilterDone,
    /// Clear the filter and leave the box.
    FilterClear,
    FilterBackspace,
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
            Action::CycleSort => "sort",
            Action::Filter => "filter",
            Action::FilterDone => "keep filter",
            Action::FilterClear => "clear filter",
            Action::FilterBackspace => "delete",
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
    /// A character typed into a text box (the filter).
    Input(char),
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

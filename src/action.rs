//! What keys mean ([`Action`]), everything `update()` consumes ([`Msg`]), and the I/O it
//! asks for ([`Effect`]).

use serde::Deserialize;

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
}

impl Action {
    /// A short description for hints and help.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::NextEnv => "next env",
            Action::PrevEnv => "previous env",
        }
    }
}

/// Everything that can change State.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Action(Action),
    /// The terminal was resized; nothing changes but the next frame.
    Resize,
}

/// I/O that update() asks the event loop to do. None exist yet: the backend actors
/// arrive with live status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {}

//! Where the operator is in the fleet view: its cursor and filter. (What its rows say
//! is in `fleet`, read from the environments.)

/// More environments than this and the console opens on the fleet view.
pub const FIRST_SCREEN_ABOVE: usize = 6;

/// The fleet view's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetState {
    /// Index into the rows shown (groups' and environments').
    pub cursor: usize,
    /// Rows shown only when a name, group or alert contains this (case-insensitive).
    pub filter: String,
    /// The filter box has the keyboard.
    pub filter_editing: bool,
    /// The operator came to the environment on screen from the fleet: `esc` goes back.
    pub entered: bool,
}

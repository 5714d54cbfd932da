//! Port forwards (`[[environments.X.forwards]]`) as the console sees them.

/// Where one forward stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardState {
    /// Being set up (or set up again after a reconnect).
    Opening,
    /// Open: this machine's address that reaches it (`127.0.0.1:PORT`).
    Open { local: String },
    /// Wanted open, but there is no connection: it opens again when there is.
    Waiting,
    /// Not open.
    Closed,
    /// Could not be opened (or closed); why.
    Failed(String),
}

/// A forward's state, from the environment's actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardEvent {
    pub name: String,
    pub state: ForwardState,
}

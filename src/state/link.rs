//! The state of an environment's connection, as the console reports it.

/// Where the connection stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkStatus {
    /// No attempt made yet.
    #[default]
    NotStarted,
    Connecting,
    Connected,
    Disconnected,
}

/// The connection and its history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub status: LinkStatus,
    /// Which attempt is under way (1 for the first).
    pub attempt: u32,
    /// Unix seconds since the environment has been without a live connection, kept
    /// across failed attempts; None while connected (and before the first loss).
    pub down_since: Option<i64>,
    /// Unix seconds since the current connection has been up.
    pub up_since: Option<i64>,
    /// The last error, one line.
    pub last_error: Option<String>,
    /// When the next attempt starts (Unix seconds), while disconnected.
    pub retry_at: Option<i64>,
}

//! The database's connections as read by the pool monitor.

/// The application_name of the console's own connection.
pub const APPLICATION_NAME: &str = "pilothouse";

/// One reading of the database's connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSample {
    /// Unix seconds when it was read.
    pub at: i64,
    pub max_connections: u32,
    pub superuser_reserved: u32,
    /// `reserved_connections` (PostgreSQL 16+), else 0.
    pub reserved: u32,
    /// Client backends: what takes connection slots.
    pub sessions: Vec<DbSession>,
    /// Background processes (checkpointer, autovacuum, ...) that `pg_stat_activity`
    /// lists but that take no connection slot.
    pub background: u32,
    /// The pid of the console's own connection.
    pub own_pid: i32,
}

/// One client backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSession {
    pub pid: i32,
    pub application_name: String,
    pub user: String,
    pub state: SessionState,
    /// Waiting on a lock (`wait_event_type = 'Lock'`).
    pub waiting: bool,
    /// How long its transaction has been open, in ms.
    pub xact_ms: Option<u64>,
    /// How long it has been in its current state, in ms.
    pub state_ms: Option<u64>,
    /// Who blocks it (`pg_blocking_pids`).
    pub blocked_by: Vec<i32>,
    /// When the backend started, in microseconds since the epoch: with the pid, what
    /// names this session and no later one that reuses its pid.
    pub backend_start: i64,
}

/// One `pg_stat_activity` row as the server sent it, before anything is trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawSession {
    pub pid: i32,
    pub application_name: String,
    pub user: String,
    pub state: String,
    pub waiting: bool,
    pub xact_ms: Option<i64>,
    pub state_ms: Option<i64>,
    pub blocked_by: Vec<i32>,
    pub backend_start: Option<i64>,
}

impl DbSession {
    /// A row made safe to show: names cleaned of control and bidi characters and cut
    /// to 64, a state this console does not know is `Unknown`, negative ages are 0.
    pub fn from_row(raw: RawSession) -> DbSession {
        let ms = |v: Option<i64>| v.map(|v| v.max(0) as u64);
        DbSession {
            pid: raw.pid,
            application_name: crate::text::clean(&raw.application_name, 64),
            user: crate::text::clean(&raw.user, 64),
            state: SessionState::parse(&raw.state),
            waiting: raw.waiting,
            xact_ms: ms(raw.xact_ms),
            state_ms: ms(raw.state_ms),
            blocked_by: raw.blocked_by,
            backend_start: raw.backend_start.unwrap_or(0),
        }
    }
}

/// `pg_stat_activity.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SessionState {
    Active,
    Idle,
    IdleInTransaction,
    IdleInTransactionAborted,
    FastpathCall,
    Disabled,
    Unknown,
}

impl SessionState {
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => SessionState::Active,
            "idle" => SessionState::Idle,
            "idle in transaction" => SessionState::IdleInTransaction,
            "idle in transaction (aborted)" => SessionState::IdleInTransactionAborted,
            "fastpath function call" => SessionState::FastpathCall,
            "disabled" => SessionState::Disabled,
            _ => SessionState::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SessionState::Active => "active",
            SessionState::Idle => "idle",
            SessionState::IdleInTransaction => "idle in transaction",
            SessionState::IdleInTransactionAborted => "idle in transaction (aborted)",
            SessionState::FastpathCall => "fastpath",
            SessionState::Disabled => "disabled",
            SessionState::Unknown => "unknown",
        }
    }

    pub fn in_transaction(self) -> bool {
        matches!(
            self,
            SessionState::IdleInTransaction | SessionState::IdleInTransactionAborted
        )
    }
}

/// What the monitor reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolEvent {
    Sample(Box<PoolSample>),
    /// Connecting or reading failed; the reason is for the panel (password masked).
    Failed(String),
}

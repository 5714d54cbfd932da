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
    /// The log pane has the keyboard.
    Logs,
    /// Typing into the log search box.
    Search,
    /// The preview of an action on an ordinary environment awaits y or n.
    Confirm,
    /// The preview of an action on a protected environment awaits its typed name.
    ConfirmTyped,
    /// The deploy or rollback tag picker: a tag typed or picked.
    TagInput,
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
    /// Show the log pane (following the selected service) and give it the keyboard.
    Logs,
    /// Show the detail pane instead of the log pane.
    Details,
    /// Mark or unmark the selected service (for following a set).
    Mark,
    /// Follow the selected service / the marked ones / every service.
    FollowSelected,
    FollowMarked,
    FollowAll,
    /// Give the keyboard back to the table.
    LogsBack,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    Top,
    /// Back to the newest line and follow.
    Bottom,
    /// Open the log search box.
    Search,
    SearchDone,
    SearchCancel,
    SearchBackspace,
    NextMatch,
    PrevMatch,
    /// Show only matching lines (or all).
    FilterMatches,
    /// In filter mode, show only the lines that do not match.
    InvertMatches,
    /// Context lines around matches: 0, 1, 3, 5.
    CycleContext,
    /// Lowest level shown: all, debug, info, warn, error.
    CycleLevel,
    ToggleTimestamps,
    ToggleWrap,
    /// JSON lines as written rather than rendered.
    ToggleRaw,
    /// Where the lines start: the last N lines, 1m, 5m, 15m, 1h, everything.
    WindowTail,
    Window1m,
    Window5m,
    Window15m,
    Window1h,
    WindowAll,
    /// Write the shown lines to a file.
    SaveLogs,
    /// The log pane takes the whole screen (or not).
    Zoom,
    /// Show or hide the console's own diagnostics.
    Diagnostics,
    /// Show health endpoints and host resources (or go back to the table).
    HealthView,
    /// Show the database connection pool (or go back to the table).
    PoolView,
    /// Show what is deployed, environments side by side (or go back to the table).
    DeployedView,
    /// Back to the container table.
    ContainersView,
    /// Actions: each opens a preview in the queue; nothing runs unconfirmed.
    Restart,
    RestartGroup,
    Stop,
    Start,
    Migrate,
    MigrateBreaking,
    MigrationStatus,
    /// Start pgAdmin, or stop it when it runs.
    #[serde(rename = "pgadmin")]
    PgAdmin,
    BreakLock,
    /// In the pool view: end the selected database session.
    TerminateSession,
    /// Deploy a tag to the marked services, else the selected one (opens the picker).
    Deploy,
    /// Roll the marked or selected services back (opens the picker).
    Rollback,
    /// In the picker: use the highlighted (or typed) tag.
    TagDone,
    TagCancel,
    TagBackspace,
    /// In the picker: the targets become the next of selected/marked, each group, all.
    CycleTargets,
    /// In the picker: run the migrations too (or not).
    ToggleMigrations,
    /// Confirm the previewed action (y), or cancel it (n, esc).
    Confirm,
    CancelAction,
    /// On a protected environment: enter after typing its name.
    ConfirmTyped,
    ConfirmBackspace,
    /// Show or hide the queue pane.
    QueueView,
    /// Cancel the newest queued or running item.
    CancelItem,
    /// Show the host's audit records (or go back to the table).
    AuditView,
}

impl Action {
    /// A short description for hints and help.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Restart => "restart",
            Action::RestartGroup => "restart group",
            Action::Stop => "stop",
            Action::Start => "start",
            Action::Migrate => "migrate",
            Action::MigrateBreaking => "migrate (breaking)",
            Action::MigrationStatus => "migration status",
            Action::PgAdmin => "pgAdmin",
            Action::BreakLock => "break lock",
            Action::TerminateSession => "terminate session",
            Action::Deploy => "deploy",
            Action::Rollback => "rollback",
            Action::TagDone => "use tag",
            Action::TagCancel => "cancel",
            Action::TagBackspace => "delete",
            Action::CycleTargets => "targets",
            Action::ToggleMigrations => "migrations",
            Action::Confirm => "confirm",
            Action::CancelAction => "cancel",
            Action::ConfirmTyped => "confirm",
            Action::ConfirmBackspace => "delete",
            Action::QueueView => "queue",
            Action::CancelItem => "cancel item",
            Action::AuditView => "audit",
            Action::HealthView => "health",
            Action::PoolView => "db pool",
            Action::DeployedView => "deployed",
            Action::ContainersView => "containers",
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
            Action::Logs => "logs",
            Action::Details => "details",
            Action::Mark => "mark",
            Action::FollowSelected => "follow selected",
            Action::FollowMarked => "follow marked",
            Action::FollowAll => "follow all",
            Action::LogsBack => "back",
            Action::ScrollUp => "up",
            Action::ScrollDown => "scroll",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Search => "search",
            Action::SearchDone => "search",
            Action::SearchCancel => "cancel",
            Action::SearchBackspace => "delete",
            Action::NextMatch => "next",
            Action::PrevMatch => "previous",
            Action::FilterMatches => "filter",
            Action::InvertMatches => "invert",
            Action::CycleContext => "context",
            Action::CycleLevel => "level",
            Action::ToggleTimestamps => "times",
            Action::ToggleWrap => "wrap",
            Action::ToggleRaw => "raw json",
            Action::WindowTail => "tail",
            Action::Window1m => "1m",
            Action::Window5m => "5m",
            Action::Window15m => "15m",
            Action::Window1h => "1h",
            Action::WindowAll => "all",
            Action::SaveLogs => "save",
            Action::Zoom => "zoom",
            Action::Diagnostics => "diagnostics",
        }
    }
}

/// Everything that can change State. `now` is wall-clock Unix seconds, stamped by the
/// event loop, so that update() never reads a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Action(Action),
    /// The terminal's size (at start and on every resize).
    Resize {
        rows: u16,
    },
    /// A character typed into a text box (the filter, the log search).
    Input(char),
    /// Saving logs of environment `env` ended: the path written, or why not.
    Saved {
        env: usize,
        result: Result<String, String>,
    },
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
    /// Run a confirmed item in environment `env`.
    Run {
        env: usize,
        job: Box<crate::backend::runner::Job>,
    },
    /// Cancel item `id` of environment `env` (queued: skipped; running: stopped before
    /// its next step).
    Cancel { env: usize, id: u64 },
    /// Read environment `env`'s audit records from its host.
    ReadAudit { env: usize },
    /// Read the tags these repositories have on environment `env`'s host and registry.
    ReadTags { env: usize, repos: Vec<String> },
    /// Follow these logs in environment `env` (None: stop following).
    FollowLogs {
        env: usize,
        request: Option<crate::backend::logs::LogRequest>,
    },
    /// Write lines to a new file `name` in `dir`.
    SaveLogs {
        env: usize,
        dir: std::path::PathBuf,
        name: String,
        lines: Vec<String>,
    },
}

//! What keys mean ([`Action`]), everything `update()` consumes ([`Msg`]), and the I/O it
//! asks for ([`Effect`]).

use serde::Deserialize;

use pilothouse_core::model::event::BackendEvent;

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
    /// The help overlay is open.
    Help,
}

/// The table's actions, in the help overlay's order.
const NORMAL_ACTIONS: &[Action] = {
    use Action::*;
    &[
        Help,
        Quit,
        NextEnv,
        PrevEnv,
        Up,
        Down,
        CycleSort,
        Filter,
        Logs,
        Details,
        Mark,
        FollowSelected,
        FollowMarked,
        FollowAll,
        Zoom,
        GrowPane,
        ShrinkPane,
        ContainersView,
        HealthView,
        PoolView,
        JobsView,
        DeployedView,
        NodesView,
        SecretsView,
        QueueView,
        AuditView,
        TimelineView,
        TimelineScope,
        TimelineKinds,
        FleetView,
        Diagnostics,
        Reconnect,
        Snapshot,
        Restart,
        Shell,
        RestartGroup,
        Stop,
        Start,
        Migrate,
        MigrateBreaking,
        MigrationStatus,
        PgAdmin,
        TerminateSession,
        Deploy,
        Rollback,
        Scale,
        StackDeploy,
        DrainNode,
        PauseNode,
        ActivateNode,
        PauseQueue,
        RetryFailed,
        CleanQueue,
        CancelItem,
        BreakLock,
        Maintenance,
        Actions,
        Forwards,
        RevealSecrets,
    ]
};

/// The log pane's actions, in the help overlay's order.
const LOGS_ACTIONS: &[Action] = {
    use Action::*;
    &[
        Help,
        LogsBack,
        Quit,
        NextEnv,
        PrevEnv,
        ScrollUp,
        ScrollDown,
        PageUp,
        PageDown,
        Top,
        Bottom,
        Search,
        NextMatch,
        PrevMatch,
        FilterMatches,
        InvertMatches,
        CycleContext,
        CycleLevel,
        ToggleTimestamps,
        ToggleWrap,
        ToggleRaw,
        WindowTail,
        Window1m,
        Window5m,
        Window15m,
        Window1h,
        WindowAll,
        SaveLogs,
        Zoom,
        GrowPane,
        ShrinkPane,
        Mark,
        FollowSelected,
        FollowMarked,
        FollowAll,
        Details,
        Diagnostics,
        Snapshot,
    ]
};

impl Mode {
    pub const ALL: [Mode; 8] = [
        Mode::Normal,
        Mode::Filter,
        Mode::Logs,
        Mode::Search,
        Mode::Confirm,
        Mode::ConfirmTyped,
        Mode::TagInput,
        Mode::Help,
    ];

    /// The mode's table in keymap files.
    pub fn section(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Filter => "filter",
            Mode::Logs => "logs",
            Mode::Search => "search",
            Mode::Confirm => "confirm",
            Mode::ConfirmTyped => "confirm-typed",
            Mode::TagInput => "tag-input",
            Mode::Help => "help",
        }
    }

    /// What the mode is, for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Mode::Normal => "the container table and views",
            Mode::Filter => "typing a filter",
            Mode::Logs => "the log pane",
            Mode::Search => "typing a log search",
            Mode::Confirm => "an action's preview",
            Mode::ConfirmTyped => "a protected environment's preview (type its name)",
            Mode::TagInput => "the tag picker or the actions menu",
            Mode::Help => "this help",
        }
    }

    /// Whether printable keys are typed into a box here (so they cannot be bound bare).
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Mode::Filter | Mode::Search | Mode::ConfirmTyped | Mode::TagInput
        )
    }

    /// The action that leaves the mode: a keymap must keep a key for it.
    pub fn way_out(self) -> &'static [Action] {
        match self {
            Mode::Normal => &[Action::Quit],
            Mode::Filter => &[Action::FilterDone, Action::FilterClear],
            Mode::Logs => &[Action::LogsBack],
            Mode::Search => &[Action::SearchDone, Action::SearchCancel],
            Mode::Confirm | Mode::ConfirmTyped => &[Action::CancelAction],
            Mode::TagInput => &[Action::TagCancel],
            Mode::Help => &[Action::Help],
        }
    }

    /// The actions that mean something in this mode, in the help overlay's order; a
    /// keymap may bind only these here.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Mode::Normal => NORMAL_ACTIONS,
            Mode::Filter => &[FilterDone, FilterClear, FilterBackspace, Quit],
            Mode::Logs => LOGS_ACTIONS,
            Mode::Search => &[SearchDone, SearchCancel, SearchBackspace, Quit],
            Mode::Confirm => &[
                Confirm,
                CancelAction,
                ScrollUp,
                ScrollDown,
                PageUp,
                PageDown,
                Quit,
            ],
            Mode::ConfirmTyped => &[
                ConfirmTyped,
                CancelAction,
                ConfirmBackspace,
                ScrollUp,
                ScrollDown,
                PageUp,
                PageDown,
                Quit,
            ],
            Mode::TagInput => &[
                TagDone,
                TagCancel,
                TagBackspace,
                Up,
                Down,
                CycleTargets,
                ToggleMigrations,
                Quit,
            ],
            Mode::Help => &[Help, ScrollUp, ScrollDown, PageUp, PageDown, Quit],
        }
    }
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
    /// Show BullMQ's job queues and their Redis (or go back to the table).
    JobsView,
    /// Show what is deployed, environments side by side (or go back to the table).
    DeployedView,
    /// A swarm's nodes (or back to the table).
    NodesView,
    /// A swarm's secrets and configs, by name (or back to the table).
    SecretsView,
    /// Back to the container table.
    ContainersView,
    /// Actions: each opens a preview in the queue; nothing runs unconfirmed.
    Restart,
    /// A shell in the selected container, on this terminal (previewed and audited).
    Shell,
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
    /// Take the host lock for maintenance with a message, or release it when held.
    Maintenance,
    /// The team's own actions (`[[environments.X.actions]]`): opens their menu.
    Actions,
    /// The port forwards (`[[environments.X.forwards]]`): opens their list.
    Forwards,
    /// Show secrets unmasked in this console until it quits (previewed, confirmed,
    /// audited).
    RevealSecrets,
    /// In the pool view: end the selected database session.
    TerminateSession,
    /// In the jobs view: pause the selected queue, or resume it when paused.
    PauseQueue,
    /// In the jobs view: put the selected queue's failed jobs back to waiting.
    RetryFailed,
    /// In the jobs view: remove the selected queue's old completed and failed jobs.
    CleanQueue,
    /// Deploy a tag to the marked services, else the selected one (opens the picker).
    Deploy,
    /// Roll the marked or selected services back (opens the picker).
    Rollback,
    /// A swarm: the selected service to a number of replicas (typed in the picker).
    Scale,
    /// A swarm: `docker stack deploy` of the configured stack file (its diff previewed).
    StackDeploy,
    /// A swarm, in the nodes view: the selected node to drain, pause or active.
    DrainNode,
    PauseNode,
    ActivateNode,
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
    /// Show what changed and when (or go back to the table).
    TimelineView,
    /// In the timeline: whose entries (all services, the selected one, the marked ones).
    TimelineScope,
    /// In the timeline: which kinds (all, changes, trouble).
    TimelineKinds,
    /// Every environment, worst first (or back to the one on screen).
    FleetView,
    /// Open or close the help overlay.
    Help,
    /// Write an incident snapshot of the environment to a file.
    Snapshot,
    /// Give the lower pane (logs, details) more or fewer rows.
    GrowPane,
    ShrinkPane,
}

impl Action {
    /// Whether the action changes something on a host (it opens a preview, and may not
    /// sit on a bare ctrl chord that tmux, screen or a shell would take first).
    pub fn changes_state(self) -> bool {
        matches!(
            self,
            Action::Restart
                | Action::Shell
                | Action::RestartGroup
                | Action::Stop
                | Action::Start
                | Action::Migrate
                | Action::MigrateBreaking
                | Action::PgAdmin
                | Action::BreakLock
                | Action::Maintenance
                | Action::Actions
                | Action::RevealSecrets
                | Action::TerminateSession
                | Action::PauseQueue
                | Action::RetryFailed
                | Action::CleanQueue
                | Action::Deploy
                | Action::Rollback
                | Action::Scale
                | Action::StackDeploy
                | Action::DrainNode
                | Action::PauseNode
                | Action::ActivateNode
                | Action::CancelItem
                | Action::Confirm
                | Action::ConfirmTyped
        )
    }

    /// A short description for hints and help.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Help => "help",
            Action::Snapshot => "incident snapshot",
            Action::GrowPane => "grow pane",
            Action::ShrinkPane => "shrink pane",
            Action::Restart => "restart",
            Action::Shell => "shell in the container",
            Action::RestartGroup => "restart group",
            Action::Stop => "stop",
            Action::Start => "start",
            Action::Migrate => "migrate",
            Action::MigrateBreaking => "migrate (breaking)",
            Action::MigrationStatus => "migration status",
            Action::PgAdmin => "pgAdmin",
            Action::BreakLock => "break lock",
            Action::Maintenance => "maintenance lock",
            Action::Actions => "team actions",
            Action::Forwards => "port forwards",
            Action::RevealSecrets => "show secrets unmasked",
            Action::TerminateSession => "terminate session",
            Action::PauseQueue => "pause/resume queue",
            Action::RetryFailed => "retry failed jobs",
            Action::CleanQueue => "clean old jobs",
            Action::Deploy => "deploy",
            Action::Rollback => "rollback",
            Action::Scale => "scale (swarm)",
            Action::StackDeploy => "stack deploy (swarm)",
            Action::DrainNode => "drain node (swarm)",
            Action::PauseNode => "pause node (swarm)",
            Action::ActivateNode => "activate node (swarm)",
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
            Action::TimelineView => "timeline",
            Action::FleetView => "fleet",
            Action::TimelineScope => "whose",
            Action::TimelineKinds => "kinds",
            Action::HealthView => "health",
            Action::PoolView => "db pool",
            Action::JobsView => "job queues",
            Action::DeployedView => "deployed",
            Action::NodesView => "nodes",
            Action::SecretsView => "secrets",
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
        cols: u16,
    },
    /// A click on an environment's tab.
    SelectEnv(usize),
    /// A click on a row of the container table (an index into the rows shown).
    SelectRow(usize),
    /// A character typed into a text box (the filter, the log search).
    Input(char),
    /// Text pasted (bracketed paste): into the text box that has the keyboard, never
    /// read as keys.
    Paste(String),
    /// Environment `env`'s timeline store could not be written (why).
    TimelineNotKept {
        env: usize,
        error: String,
    },
    /// Saving logs of environment `env` ended: the path written, or why not.
    Saved {
        env: usize,
        result: Result<String, String>,
    },
    /// A second passed (ages and "since" texts move on).
    Tick {
        now: i64,
    },
    /// A signal asked the console to stop (SIGINT, SIGTERM, SIGHUP): at once when
    /// nothing runs, else after the running item's current step.
    Stop,
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
        job: Box<pilothouse_core::ops::Job>,
    },
    /// Cancel item `id` of environment `env` (queued: skipped; running: stopped before
    /// its next step).
    Cancel { env: usize, id: u64 },
    /// The console is stopping: environment `env`'s runner starts nothing more and
    /// stops its running item at the next step boundary.
    Interrupt { env: usize },
    /// Read environment `env`'s audit records from its host.
    ReadAudit { env: usize },
    /// Read the tags these repositories have on environment `env`'s host and registry.
    ReadTags { env: usize, repos: Vec<String> },
    /// Read the stack file `path` of environment `env`'s swarm (deployed as `stack`)
    /// for a stack deploy's preview.
    ReadStackFile {
        env: usize,
        path: String,
        stack: String,
    },
    /// Follow these logs in environment `env` (None: stop following).
    FollowLogs {
        env: usize,
        request: Option<pilothouse_core::model::requests::LogRequest>,
    },
    /// Write an incident snapshot of environment `env`.
    Snapshot {
        env: usize,
        request: Box<pilothouse_core::model::requests::SnapshotRequest>,
    },
    /// Open (`open`) or close environment `env`'s forward `name`.
    Forward {
        env: usize,
        name: String,
        open: bool,
    },
    /// Put `text` on the terminal's clipboard (OSC 52).
    Copy { text: String },
    /// Step aside from the terminal and run `argv` on it (item `id`'s shell in
    /// environment `env`), then come back and tell the runner how it ended.
    Interactive {
        env: usize,
        id: u64,
        argv: Vec<String>,
        /// What the terminal shows above the shell (`shell in web-1 on staging`).
        title: String,
    },
    /// Tell the operator a new alert started: the bell, a desktop notification
    /// through the terminal, a webhook (each as configured and not rate-limited).
    Notify(Box<crate::state::notify::Notice>),
    /// Keep these timeline entries of environment `env` in its store (what the engine
    /// reported and this console saw, so the next console shows them too).
    KeepTimeline {
        env: usize,
        /// The environment's name, host and project: which store.
        key: [String; 3],
        entries: Vec<pilothouse_core::model::timeline::Entry>,
    },
    /// Write lines to a new file `name` in `dir`.
    SaveLogs {
        env: usize,
        dir: std::path::PathBuf,
        name: String,
        lines: Vec<String>,
    },
}

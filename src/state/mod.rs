//! Everything the console knows. Mutated only by [`crate::update::update`].

pub mod action_queue;
pub mod alert;
pub mod clock;
pub mod custom;
pub mod errors;
pub mod fleet;
pub mod fleet_nav;
pub mod forwards;
pub mod health;
pub mod history;
pub mod jobs;
mod link;
pub mod logs;
pub mod notify;
pub mod picker;
pub mod pool;
pub mod snapshot;
pub mod swarm;
pub mod timeline;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

pub use action_queue::{ItemStatus, Queue, QueueItem};
use alert::Alert;
pub use health::HealthState;
pub use link::{Link, LinkStatus};
pub use logs::{LogPane, LogTarget, LogWindow};
pub use pool::PoolState;

use crate::input::action::Mode;
use pilothouse_core::config::{Config, Environment};
use pilothouse_core::model::container::{ContainerInfo, Health, RunState, Usage};

/// The most characters a text field (a filter, a search) takes.
pub const MAX_FIELD: usize = 256;

/// What an environment without a project name (the no-config fallback) watches.
pub const ALL_PROJECTS: &str = "all compose projects";

/// The console's whole state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub envs: Vec<EnvState>,
    /// Index into `envs` of the environment on screen.
    pub selected: usize,
    /// `--read-only`: no action is queued on any environment.
    pub read_only: bool,
    pub quit: bool,
    /// Quit was pressed once while an action ran: the next press stops it.
    pub quit_armed: bool,
    /// The console is stopping (Unix seconds since): nothing new starts, the running
    /// item stops at its next step boundary, then the console exits.
    pub stopping_since: Option<i64>,
    /// Wall-clock Unix seconds, as of the last message; what ages are computed against.
    pub now: i64,
    /// Terminal height, for paging.
    pub rows: u16,
    /// The console's own diagnostics are shown.
    pub diagnostics: bool,
    /// Lines each container's log starts with.
    pub log_tail: u32,
    /// Colours in log lines are drawn (else stripped).
    pub keep_colours: bool,
    /// Where saved logs go.
    pub save_dir: PathBuf,
    /// What the body shows below the environment header.
    pub view: View,
    /// Who this console is, for the host lock and the audit records.
    pub owner: pilothouse_core::model::job::Owner,
    /// The help overlay is open, showing the keys of this mode.
    pub help: Option<Mode>,
    pub help_scroll: u16,
    /// Rows the operator moved from the table to the lower pane (negative: back).
    pub pane_shift: i16,
    /// Terminal width, for mouse hits.
    pub cols: u16,
    /// The operator's time zone: the timeline's times are shown in it (UTC until the
    /// console reads the system's).
    pub zone: jiff::tz::TimeZone,
    /// The fleet view's cursor and filter.
    pub fleet: fleet_nav::FleetState,
}

/// What the body of the screen shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// The container table (and the log or detail pane).
    #[default]
    Containers,
    /// Health endpoints and host resources.
    Health,
    /// The database connection pool.
    Pool,
    /// BullMQ's job queues and their Redis.
    Jobs,
    /// What is deployed: each service's build, environments side by side.
    Deployed,
    /// The host's audit records, everyone's, newest first.
    Audit,
    /// What changed and when, oldest first.
    Timeline,
    /// A swarm's nodes.
    Nodes,
    /// A swarm's secrets and configs (names only).
    Secrets,
    /// Every environment, worst first (the first screen of a config with many).
    Fleet,
}

/// One environment as the console sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvState {
    pub name: String,
    /// Its group in the fleet view.
    pub group: Option<String>,
    pub protected: bool,
    pub read_only: bool,
    /// What runs on the host (a compose project or a swarm): what its actions can be.
    pub engine: pilothouse_core::config::Engine,
    /// `user@host:port` as ssh will be asked to reach it, or `local (socket)`.
    pub target: String,
    pub project_name: String,
    pub project_dir: String,
    pub compose_command: String,
    /// A swarm environment's services, tasks and nodes (None: a compose environment).
    pub swarm: Option<swarm::SwarmView>,
    pub link: Link,
    /// The project's containers, in display order. Only as fresh as `link` says.
    pub containers: Vec<ContainerInfo>,
    /// Index into [`EnvState::visible`] of the selected row.
    pub selected_row: usize,
    pub sort: SortKey,
    /// Service names in deployment order (groups flattened); the default sort follows it.
    pub deploy_order: Vec<String>,
    /// The services the project's compose files declare, as read on the host this
    /// connection (None: not read).
    pub declared: Option<Vec<String>>,
    /// The container list of this connection has arrived (until then nothing is
    /// missing, only unknown).
    pub listed: bool,
    /// Rows shown only when they contain this (case-insensitive); empty shows all.
    pub filter: String,
    /// The filter box has the keyboard.
    pub filter_editing: bool,
    pub docker_version: Option<String>,
    pub latency: Option<Duration>,
    /// CPU and memory of running containers, by container id.
    pub usage: BTreeMap<String, Usage>,
    /// The same over the last 15 minutes, by container id.
    pub history: BTreeMap<String, history::UsageHistory>,
    /// Services marked for following their logs together.
    pub marked: BTreeSet<String>,
    pub logs: LogPane,
    pub health: HealthState,
    /// None when no database is configured.
    pub pool: Option<PoolState>,
    /// BullMQ's queues and their Redis; None when not configured.
    pub jobs: Option<jobs::QueuesState>,
    pub queue: Queue,
    /// The prompt over the view that has the keyboard, if one is open (one at a time).
    pub overlay: Option<Overlay>,
    /// The team's actions, as configured.
    pub actions: Vec<pilothouse_core::config::custom::ActionSettings>,
    /// The configured port forwards and where each stands.
    pub forwards: Vec<forwards::ForwardView>,
    /// Forwards to open (true) or close, asked by update() and sent as effects.
    pub forward_requests: Vec<(String, bool)>,
    /// What the last incident snapshot became (its path, or why it was not written).
    pub notice: Option<String>,
    /// The host's audit records as last read (None: not read yet).
    pub audit: Option<Result<Vec<pilothouse_core::model::job::AuditEntry>, String>>,
    /// What changed and when: read from the host, reported since, seen by this console.
    pub timeline: timeline::TimelineState,
    /// Each service's error-level log lines lately, for the timeline's error bursts.
    pub errors: errors::ErrorRates,
    /// What plans are built from.
    pub compose_words: Vec<String>,
    pub compose_files: Vec<String>,
    pub pgadmin_file: Option<String>,
    /// pgAdmin stops by itself this many seconds after it was started.
    pub pgadmin_auto_stop: Option<i64>,
    pub migrate: Option<pilothouse_core::config::MigrateSettings>,
    pub groups: Vec<(String, Vec<String>)>,
    pub deploy: pilothouse_core::config::DeploySettings,
    /// The env file, relative to the project directory.
    pub env_file: String,
    /// Services with a configured health endpoint.
    pub endpoint_services: Vec<String>,
    /// Who this console acts for (`user@machine`), for the deploy hooks' variables.
    pub operator: String,
    /// `e` may open a shell in a container here (`shell = false`: it is refused).
    pub shell: bool,
    /// The shell it runs (`shell_command`, as words); None: bash, else sh.
    pub shell_command: Option<Vec<String>>,
    /// The Docker socket on the host, as the environment names it.
    pub docker_socket: String,
    /// What is told to an operator looking elsewhere, and what was told when.
    pub notify: notify::NotifyState,
}

/// What the container table is ordered by; one key cycles through them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// In deployment order when one is configured, else by service name.
    #[default]
    Service,
    /// What needs attention first.
    Attention,
    /// Most restarts first.
    Restarts,
    /// Busiest first.
    Cpu,
    /// Largest first.
    Memory,
    /// Most recently (re)started or stopped first.
    Uptime,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            SortKey::Service => SortKey::Attention,
            SortKey::Attention => SortKey::Restarts,
            SortKey::Restarts => SortKey::Cpu,
            SortKey::Cpu => SortKey::Memory,
            SortKey::Memory => SortKey::Uptime,
            SortKey::Uptime => SortKey::Service,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Service => "service",
            SortKey::Attention => "attention",
            SortKey::Restarts => "restarts",
            SortKey::Cpu => "cpu",
            SortKey::Memory => "memory",
            SortKey::Uptime => "recent",
        }
    }
}

/// The prompt open over an environment's view: it has the keyboard (typed text and
/// enter go to it), `update` sends keys to it and `ui` draws it, each by this one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The deploy or rollback tag picker.
    Picker(picker::TagPicker),
    /// The team's actions menu.
    Menu(custom::ActionMenu),
    /// The port forwards' list, with its highlighted row.
    Forwards { cursor: usize },
    /// The age asked before a queue's clean (the jobs view's clean key).
    CleanPrompt(jobs::CleanPrompt),
}

/// The open overlay, as each of its kinds.
impl EnvState {
    pub fn picker(&self) -> Option<&picker::TagPicker> {
        match &self.overlay {
            Some(Overlay::Picker(p)) => Some(p),
            _ => None,
        }
    }

    pub fn picker_mut(&mut self) -> Option<&mut picker::TagPicker> {
        match &mut self.overlay {
            Some(Overlay::Picker(p)) => Some(p),
            _ => None,
        }
    }

    pub fn menu(&self) -> Option<&custom::ActionMenu> {
        match &self.overlay {
            Some(Overlay::Menu(m)) => Some(m),
            _ => None,
        }
    }

    pub fn menu_mut(&mut self) -> Option<&mut custom::ActionMenu> {
        match &mut self.overlay {
            Some(Overlay::Menu(m)) => Some(m),
            _ => None,
        }
    }

    pub fn forward_cursor(&self) -> Option<usize> {
        match self.overlay {
            Some(Overlay::Forwards { cursor }) => Some(cursor),
            _ => None,
        }
    }

    pub fn clean_prompt(&self) -> Option<&jobs::CleanPrompt> {
        match &self.overlay {
            Some(Overlay::CleanPrompt(p)) => Some(p),
            _ => None,
        }
    }

    pub fn clean_prompt_mut(&mut self) -> Option<&mut jobs::CleanPrompt> {
        match &mut self.overlay {
            Some(Overlay::CleanPrompt(p)) => Some(p),
            _ => None,
        }
    }
}

/// What the team's actions may name.
impl EnvState {
    /// The services actions may name: a swarm's, else the project's containers'.
    pub fn known_services(&self) -> Vec<String> {
        if let Some(v) = &self.swarm {
            return v.visible("").iter().map(|s| s.name.clone()).collect();
        }
        self.containers.iter().map(|c| c.service.clone()).collect()
    }

    /// The containers outside the compose project (`[containers]`), by name.
    pub fn outside_names(&self) -> Vec<String> {
        self.containers
            .iter()
            .filter(|c| c.outside)
            .map(|c| c.service.clone())
            .collect()
    }

    /// The services a service parameter offers: each once, in order.
    pub fn param_services(&self) -> Vec<String> {
        let mut all = self.known_services();
        all.sort();
        all.dedup();
        all
    }
}

/// Counts for the header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Containers plus missing services: what should be running.
    pub total: usize,
    pub running: usize,
    pub unhealthy: usize,
    pub restarting: usize,
    pub missing: usize,
}

/// The services of `deploy_order` and `declared` (the compose files' list, when read)
/// that no container belongs to, in that order.
pub fn missing_services<'a>(
    deploy_order: &[String],
    declared: Option<&[String]>,
    containers: impl Iterator<Item = &'a str> + Clone,
) -> Vec<Missing> {
    let mut names: Vec<&String> = deploy_order.iter().collect();
    for d in declared.into_iter().flatten() {
        if !names.contains(&d) {
            names.push(d);
        }
    }
    names
        .into_iter()
        .filter(|n| !containers.clone().any(|c| c == n.as_str()))
        .map(|n| Missing {
            service: n.clone(),
            in_compose_files: declared.is_none_or(|d| d.contains(n)),
        })
        .collect()
}

/// A service the project declares (compose files or deploy order) with no container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub service: String,
    /// False: only the deploy order names it; the compose files on the host do not
    /// (a typo in the config, or a service that was removed).
    pub in_compose_files: bool,
}

impl State {
    /// Secrets are shown unmasked (the confirmed item that does so ran in some
    /// environment); until the console quits.
    pub fn secrets_shown(&self) -> bool {
        self.envs.iter().any(|e| {
            e.queue.items.iter().any(|i| {
                i.plan.kind == pilothouse_core::ops::OpKind::RevealSecrets
                    && i.status == crate::state::action_queue::ItemStatus::Succeeded
            })
        })
    }

    /// An item is queued or running in some environment.
    pub fn in_flight(&self) -> bool {
        self.envs.iter().any(|e| {
            e.queue.items.iter().any(|i| {
                matches!(
                    i.status,
                    crate::state::action_queue::ItemStatus::Queued
                        | crate::state::action_queue::ItemStatus::Running
                )
            })
        })
    }

    /// The console has stopped what it can and may exit: quit, or stopping with no
    /// item left in flight, or stopping for longer than `limit` seconds.
    pub fn may_exit(&self, now: i64, limit: i64) -> bool {
        self.quit
            || self
                .stopping_since
                .is_some_and(|t| !self.in_flight() || now - t > limit)
    }

    pub fn from_config(config: &Config, read_only: bool) -> Self {
        let envs = config
            .environments
            .iter()
            .map(|(name, env)| {
                let mut e =
                    EnvState::from_config(name.as_str(), env, config.logs.buffer_lines as usize);
                e.logs.store.set_total(config.logs.buffer_total as usize);
                e.notify = notify::NotifyState::new(&config.notify, e.read_only || read_only);
                e
            })
            .collect();
        let many = config.environments.len() > fleet_nav::FIRST_SCREEN_ABOVE;
        State {
            envs,
            selected: 0,
            read_only,
            quit: false,
            quit_armed: false,
            stopping_since: None,
            now: 0,
            rows: 24,
            diagnostics: false,
            log_tail: config.logs.tail,
            keep_colours: config.logs.colours == pilothouse_core::config::ColourPolicy::Keep,
            save_dir: config.logs.save_dir(),
            view: if many { View::Fleet } else { View::Containers },
            owner: pilothouse_core::model::job::Owner {
                operator: "unknown@unknown".into(),
                pid: 0,
                console: "0".into(),
            },
            help: None,
            help_scroll: 0,
            pane_shift: 0,
            cols: 80,
            zone: jiff::tz::TimeZone::UTC,
            fleet: fleet_nav::FleetState::default(),
        }
    }

    /// The input mode, derived from what is on screen.
    pub fn mode(&self) -> Mode {
        if self.help.is_some() {
            return Mode::Help;
        }
        if self.view == View::Fleet {
            return if self.fleet.filter_editing {
                Mode::Filter
            } else {
                Mode::Normal
            };
        }
        match self.current() {
            Some(e) if e.queue.pending().is_some() && e.protected => Mode::ConfirmTyped,
            Some(e) if e.queue.pending().is_some() => Mode::Confirm,
            Some(e) if e.overlay.is_some() => Mode::TagInput,
            Some(e) if e.filter_editing => Mode::Filter,
            Some(e) if e.logs.open && e.logs.search_input.is_some() => Mode::Search,
            Some(e) if e.logs.open && e.logs.focused => Mode::Logs,
            _ => Mode::Normal,
        }
    }

    /// Whether anything on screen counts seconds: a lost connection ("5s ago", "retry
    /// in 3s") or a container that started or stopped less than a minute ago.
    pub fn shows_seconds(&self) -> bool {
        let Some(env) = self.current() else {
            return false;
        };
        if env.link.down_since.is_some() || env.link.status != LinkStatus::Connected {
            return true;
        }
        if env.queue.pgadmin_stop_at.is_some() {
            return true;
        }
        env.containers.iter().any(|c| {
            let t = match c.run_state {
                RunState::Running | RunState::Paused => c.started_at,
                _ => c.finished_at,
            };
            t.is_some_and(|t| self.now - t < 60)
        })
    }

    pub fn current(&self) -> Option<&EnvState> {
        self.envs.get(self.selected)
    }

    /// The environment and queue whose failed jobs the jobs view lists, while it is open.
    pub fn queue_focus(&self) -> Option<(usize, String)> {
        if self.view != View::Jobs {
            return None;
        }
        let q = self.current()?.jobs.as_ref()?.selected_name()?;
        Some((self.selected, q.to_string()))
    }

    /// The environment and container whose details (health checks and streak) are on
    /// screen: its actor re-reads them while they are.
    pub fn detail_focus(&self) -> Option<(usize, String)> {
        if self.view != View::Containers || self.help.is_some() {
            return None;
        }
        let e = self.current()?;
        if e.swarm.is_some() || e.queue.open || e.logs.open {
            return None;
        }
        let c = e.selected_container()?;
        (c.health != pilothouse_core::model::container::Health::None)
            .then(|| (self.selected, c.id.clone()))
    }

    /// Selects an environment by name; false if there is none by that name.
    pub fn select_env(&mut self, name: &str) -> bool {
        match self.envs.iter().position(|e| e.name == name) {
            Some(i) => {
                self.selected = i;
                true
            }
            None => false,
        }
    }
}

/// What the environment's header names: the compose project, or the swarm's stacks.
fn project_label(env: &Environment, compose: &pilothouse_core::config::ComposeSettings) -> String {
    match env.swarm() {
        Some(sw) if sw.stacks.is_empty() => "every stack".to_string(),
        Some(sw) => sw
            .stacks
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        None => compose
            .effective_project_name()
            .map(|p| p.to_string())
            .unwrap_or_else(|| ALL_PROJECTS.to_string()),
    }
}

/// The health view's state before any reading: the endpoints' and checks' names.
fn health_state(env: &Environment) -> HealthState {
    HealthState {
        names: env
            .health
            .endpoints
            .iter()
            .map(|e| e.name.clone())
            .collect(),
        interval_secs: env.health.interval.0.as_secs().max(1) as i64,
        host_interval_secs: env.health.host_interval.0.as_secs().max(1) as i64,
        // A result stays fresh for three intervals and its timeout.
        check_names: env
            .checks
            .iter()
            .map(|c| {
                let fresh = 3 * c.interval.0.as_secs() + c.timeout.0.as_secs() + 5;
                (c.name.as_str().to_string(), fresh as i64)
            })
            .collect(),
        ..HealthState::default()
    }
}

impl EnvState {
    pub fn from_config(name: &str, env: &Environment, buffer_lines: usize) -> Self {
        let target = env.describe();
        let default_compose;
        let compose = match env.compose() {
            Some(c) => c,
            None => {
                default_compose = pilothouse_core::config::ComposeSettings::none();
                &default_compose
            }
        };
        EnvState {
            name: name.to_string(),
            group: env.group.as_ref().map(|g| g.to_string()),
            protected: env.protected,
            read_only: env.read_only,
            engine: env.engine(),
            target,
            project_name: project_label(env, compose),
            project_dir: env.host_dir().to_string(),
            compose_command: compose.command.to_string(),
            swarm: env
                .swarm()
                .map(|sw| swarm::SwarmView::new(sw, env.docker_socket.as_str())),
            link: Link::default(),
            containers: Vec::new(),
            selected_row: 0,
            sort: SortKey::Service,
            deploy_order: env.deploy.flat_order(),
            declared: None,
            listed: false,
            filter: String::new(),
            filter_editing: false,
            docker_version: None,
            latency: None,
            usage: BTreeMap::new(),
            history: BTreeMap::new(),
            marked: BTreeSet::new(),
            logs: LogPane::new(buffer_lines),
            health: health_state(env),
            pool: env.database.as_ref().map(PoolState::from_config),
            jobs: env.queues.as_ref().map(jobs::QueuesState::from_config),
            queue: Queue::default(),
            overlay: None,
            actions: env.actions.clone(),
            forwards: env
                .forwards
                .iter()
                .map(forwards::ForwardView::from_config)
                .collect(),
            forward_requests: Vec::new(),
            audit: None,
            timeline: timeline::TimelineState::default(),
            errors: errors::ErrorRates::default(),
            notice: None,
            compose_words: compose.command.words().to_vec(),
            compose_files: compose.files.iter().map(|f| f.to_string()).collect(),
            pgadmin_file: compose.pgadmin_file.as_ref().map(|f| f.to_string()),
            pgadmin_auto_stop: env.pgadmin.auto_stop.map(|d| d.0.as_secs() as i64),
            migrate: env.migrate.clone(),
            groups: env
                .groups
                .iter()
                .map(|(g, s)| (g.clone(), s.iter().map(|x| x.to_string()).collect()))
                .collect(),
            deploy: env.deploy.clone(),
            env_file: compose.env_file.to_string(),
            endpoint_services: env
                .health
                .endpoints
                .iter()
                .map(|e| e.service_name().to_string())
                .collect(),
            operator: String::new(),
            shell: env.shell,
            shell_command: env.shell_command.as_ref().map(|c| c.words().to_vec()),
            docker_socket: env.docker_socket.to_string(),
            notify: notify::NotifyState::default(),
        }
    }

    /// True when the rows reflect the host right now. When false, every row is stale:
    /// shown dimmed, with health unknown, never as healthy.
    pub fn is_live(&self) -> bool {
        self.link.status == LinkStatus::Connected
    }

    /// Declared services without any container (running or not), once this
    /// connection's list is in; in deployment order, then the compose files' order.
    pub fn missing(&self) -> Vec<Missing> {
        if !self.listed || !self.is_live() || self.project_name == ALL_PROJECTS {
            return Vec::new();
        }
        missing_services(
            &self.deploy_order,
            self.declared.as_deref(),
            self.containers.iter().map(|c| c.service.as_str()),
        )
    }

    pub fn counts(&self) -> Counts {
        // A deploy-order name the compose files lack is a warning about the config,
        // not a service that should run.
        let missing = self.missing().iter().filter(|m| m.in_compose_files).count();
        let mut c = Counts {
            total: self.containers.len() + missing,
            missing,
            ..Counts::default()
        };
        for k in &self.containers {
            match k.run_state {
                RunState::Running => c.running += 1,
                RunState::Restarting => c.restarting += 1,
                _ => {}
            }
            if k.health == Health::Unhealthy {
                c.unhealthy += 1;
            }
        }
        c
    }

    /// What the tab colour says about this environment: the connection, then the
    /// worst of containers, health endpoints, disks and the connection pool.
    pub fn alert(&self, now: i64) -> Alert {
        match self.link.status {
            LinkStatus::Disconnected => return Alert::Bad,
            LinkStatus::Connecting if self.link.down_since.is_some() => return Alert::Bad,
            LinkStatus::Connecting | LinkStatus::NotStarted => return Alert::Warn,
            LinkStatus::Connected => {}
        }
        let containers = self
            .containers
            .iter()
            .map(container_alert)
            .max()
            .unwrap_or(Alert::Ok);
        // A service short of its replicas, an update stopped or rolled back, a node down.
        // A declared or seen service gone, a watched stack empty.
        let swarm = match self.swarm.as_ref() {
            Some(v) if v.state.as_ref().is_some_and(|s| s.alerts() > 0) => Alert::Bad,
            Some(v) if v.something_gone() => Alert::Bad,
            _ => Alert::Ok,
        };
        let containers = containers.max(swarm);
        containers
            .max(self.health.alert(now))
            .max(self.pool_alert(now))
            .max(self.jobs.as_ref().map_or(Alert::Ok, |j| j.alert(now)))
    }

    /// The pool: critical with no free slot, a warning at 3 or fewer or when it cannot
    /// be read.
    pub fn pool_alert(&self, now: i64) -> Alert {
        let Some(p) = &self.pool else {
            return Alert::Ok;
        };
        if p.error.is_some() {
            return Alert::Warn;
        }
        if p.is_stale(now) {
            return Alert::Ok;
        }
        match p.free() {
            Some(f) if f <= 0 => Alert::Bad,
            Some(f) if f <= pool::WARN_FREE => Alert::Warn,
            _ => Alert::Ok,
        }
    }

    /// Whether pgAdmin's container is running (its connections then count).
    pub fn pgadmin_running(&self) -> bool {
        self.containers
            .iter()
            .any(|c| c.service == "pgadmin" && c.run_state == RunState::Running)
    }

    /// The rows on screen: the containers (kept in sort order) that match the filter.
    pub fn visible(&self) -> Vec<&ContainerInfo> {
        let needle = self.filter.to_lowercase();
        self.containers
            .iter()
            .filter(|c| needle.is_empty() || matches_filter(c, &needle))
            .collect()
    }

    pub fn selected_container(&self) -> Option<&ContainerInfo> {
        self.visible().get(self.selected_row).copied()
    }

    /// How many rows the table has: containers, or a swarm's services.
    pub fn row_count(&self) -> usize {
        match &self.swarm {
            Some(v) => v.visible(&self.filter).len(),
            None => self.visible().len(),
        }
    }

    /// The service of the selected row: a compose service, or a swarm service.
    /// The services the timeline view's scope picks (all: none named).
    pub fn timeline_services(&self) -> Vec<String> {
        match self.timeline.scope {
            timeline::Scope::All => Vec::new(),
            timeline::Scope::Selected => self.selected_service_name().into_iter().collect(),
            timeline::Scope::Marked => self.marked.iter().cloned().collect(),
        }
    }

    pub fn selected_service_name(&self) -> Option<String> {
        match &self.swarm {
            Some(_) => self.selected_service().map(|s| s.name.clone()),
            None => self.selected_container().map(|c| c.service.clone()),
        }
    }

    /// A swarm environment's selected service.
    pub fn selected_service(&self) -> Option<&pilothouse_core::model::swarm::SwarmService> {
        let v = self.swarm.as_ref()?;
        v.visible(&self.filter).get(self.selected_row).copied()
    }
}

fn matches_filter(c: &ContainerInfo, needle: &str) -> bool {
    [
        c.service.as_str(),
        c.name.as_str(),
        c.image.as_str(),
        &c.run_state.label(),
        c.health.label(),
    ]
    .iter()
    .any(|f| f.to_lowercase().contains(needle))
}

/// How much attention one container needs.
pub fn container_alert(c: &ContainerInfo) -> Alert {
    state_alert(&c.run_state).max(health_alert(c.health))
}

/// How much attention a container's run state needs.
pub fn state_alert(s: &RunState) -> Alert {
    match s {
        RunState::Running => Alert::Ok,
        RunState::Exited { code: 0 } | RunState::Created | RunState::Paused => Alert::Warn,
        RunState::Restarting | RunState::Removing => Alert::Warn,
        RunState::Exited { .. } | RunState::Dead => Alert::Bad,
    }
}

/// How much attention a health-check result needs.
pub fn health_alert(h: Health) -> Alert {
    match h {
        Health::Unhealthy => Alert::Bad,
        Health::Starting => Alert::Warn,
        Health::Healthy | Health::None => Alert::Ok,
    }
}

/// Puts containers in `key` order (the deployment order for [`SortKey::Service`], listed
/// services first); ties by service, then name. Shared by the console and `status`.
pub fn sort_containers(
    list: &mut [ContainerInfo],
    key: SortKey,
    deploy_order: &[String],
    usage: &BTreeMap<String, Usage>,
) {
    let cpu = |c: &ContainerInfo| usage.get(&c.id).map_or(0, |u| u.cpu_centipercent);
    let mem = |c: &ContainerInfo| usage.get(&c.id).map_or(0, |u| u.mem_used);
    let changed = |c: &ContainerInfo| match c.run_state {
        RunState::Running | RunState::Paused => c.started_at,
        _ => c.finished_at,
    };
    let position = |c: &ContainerInfo| {
        deploy_order
            .iter()
            .position(|s| *s == c.service)
            .unwrap_or(usize::MAX)
    };
    list.sort_by(|a, b| {
        let first = match key {
            SortKey::Service => position(a).cmp(&position(b)),
            SortKey::Attention => container_alert(b).cmp(&container_alert(a)),
            SortKey::Restarts => b.restart_count.cmp(&a.restart_count),
            SortKey::Cpu => cpu(b).cmp(&cpu(a)),
            SortKey::Memory => mem(b).cmp(&mem(a)),
            SortKey::Uptime => changed(b).cmp(&changed(a)),
        };
        first
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.name.cmp(&b.name))
    });
}

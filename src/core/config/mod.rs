//! The pilothouse config: where it is looked up, its shape, and errors that name
//! file, line, column and key.
//!
//! ```toml
//! [environments.staging]
//! protected = false
//! [environments.staging.ssh]
//! destination = "staging-droplet"
//! [environments.staging.compose]
//! project_dir = "/opt/acme"
//! ```
//!
//! Every table denies unknown keys. Later capabilities add their own tables to
//! [`Environment`] (health, database, deploy, pgadmin); each is optional so an existing
//! config stays valid.

pub mod actions;
pub mod checks;
pub mod colour;
pub mod containers;
pub mod custom;
pub mod deploy;
pub mod forwards;
pub mod located;
pub mod monitoring;
pub mod notify;
pub mod queues;
pub mod sources;
pub mod values;

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

pub use actions::{CommandWords, Groups, MigrateRunner, MigrateSettings, PgAdminSettings};
pub use colour::Colour;
pub use deploy::{DeploySettings, EnvVarName};
pub use located::{
    ConfigError, Invalid, MAX_CONFIG_BYTES, closest, from_toml, line_col, read_bounded,
};
pub use monitoring::{
    DatabaseSettings, Endpoint, HealthSettings, HttpUrl, PoolBudget, SslMode, UrlSource, Via,
};
pub use values::{
    ComposeCommand, ConfigDuration, EnvName, GroupName, LocalPath, ProjectName, RelativeFile,
    RemotePath, ServiceName, SshDestination, SshFile, StackName, UserName,
};

impl Environment {
    /// Where an environment is, for people: `user@host:port`, or `local (socket)`.
    pub fn describe(&self) -> String {
        match &self.ssh {
            Some(ssh) if self.over_ssh() => {
                let mut target = String::new();
                if let Some(u) = &ssh.user {
                    target.push_str(u.as_str());
                    target.push('@');
                }
                target.push_str(ssh.destination.as_str());
                if let Some(p) = ssh.port {
                    target.push_str(&format!(":{p}"));
                }
                target
            }
            _ => format!("local ({})", self.docker_socket),
        }
    }
}

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// One table per environment, in the order the file lists them.
    pub environments: IndexMap<EnvName, Environment>,
    /// The log pane and `pilothouse logs`.
    #[serde(default)]
    pub logs: LogSettings,
    /// How a new alert is told to an operator looking elsewhere.
    #[serde(default)]
    pub notify: notify::NotifySettings,
    /// What the file says in a spelling that still works but is on its way out, each
    /// located (`file:line: key: what to write instead`); shown on stderr and in the
    /// console's diagnostics.
    #[serde(skip)]
    pub notices: Vec<String>,
}

/// How logs are followed, kept and saved.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// Lines each container starts with before following.
    #[serde(default = "default_tail", deserialize_with = "tail_lines")]
    pub tail: u32,
    /// Lines kept per container; older ones are dropped (and counted).
    #[serde(default = "default_buffer_lines", deserialize_with = "buffer_lines")]
    pub buffer_lines: u32,
    /// Lines kept in all, across every followed container: what bounds the memory of
    /// a pane following a hundred of them. The longest rings give up lines first.
    #[serde(default = "default_buffer_total", deserialize_with = "buffer_total")]
    pub buffer_total: u32,
    /// "keep": colours in log lines are drawn as styles; "strip": dropped.
    #[serde(default)]
    pub colours: ColourPolicy,
    /// Where saved logs go; default: the state dir's `logs` folder.
    #[serde(default)]
    pub save_dir: Option<LocalPath>,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            tail: default_tail(),
            buffer_lines: default_buffer_lines(),
            buffer_total: default_buffer_total(),
            colours: ColourPolicy::default(),
            save_dir: None,
        }
    }
}

impl LogSettings {
    /// The directory saved logs go to.
    pub fn save_dir(&self) -> PathBuf {
        match &self.save_dir {
            Some(p) => p.path().to_path_buf(),
            None => state_dir().join("logs"),
        }
    }
}

/// What happens to SGR colours in log lines (other escape sequences are always removed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColourPolicy {
    #[default]
    Keep,
    Strip,
}

fn tail_lines<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u32::deserialize(d)?;
    if n > 100_000 {
        return Err(serde::de::Error::custom(format!(
            "tail = {n} is more than 100000 lines"
        )));
    }
    Ok(n)
}

/// A line count `key` read only within `range`.
fn line_count<'de, D: serde::Deserializer<'de>>(
    d: D,
    key: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, D::Error> {
    let n = u32::deserialize(d)?;
    if !range.contains(&n) {
        return Err(serde::de::Error::custom(format!(
            "{key} = {n} is outside {}..={}",
            range.start(),
            range.end()
        )));
    }
    Ok(n)
}

fn buffer_lines<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    line_count(d, "buffer_lines", 100..=1_000_000)
}

fn buffer_total<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    line_count(d, "buffer_total", 1_000..=10_000_000)
}

fn default_buffer_total() -> u32 {
    100_000
}

fn default_tail() -> u32 {
    500
}

fn default_buffer_lines() -> u32 {
    20_000
}

/// The user's config directory: `$XDG_CONFIG_HOME/pilothouse`, else
/// `~/.config/pilothouse` (user themes live in its `themes/`).
pub fn config_dir() -> PathBuf {
    match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d).join("pilothouse"),
        None => values::expand_home("~/.config/pilothouse"),
    }
}

/// The console's own state directory: `$XDG_STATE_HOME/pilothouse`, else
/// `~/.local/state/pilothouse`.
pub fn state_dir() -> PathBuf {
    match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d).join("pilothouse"),
        None => values::expand_home("~/.local/state/pilothouse"),
    }
}

/// One environment: a host reached over SSH and the compose project on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// A protected environment needs its name typed to confirm any action.
    #[serde(default)]
    pub protected: bool,
    /// The group it belongs to in the fleet view (`client-a`, `eu`): one roll-up row
    /// per group, and `/` finds it by this name.
    #[serde(default)]
    pub group: Option<GroupName>,
    /// No action can be queued on a read-only environment.
    #[serde(default)]
    pub read_only: bool,
    /// The environment's colour: its active tab and its panes' borders ("#rrggbb", a
    /// name or an index). Protected environments are the theme's red unless set.
    #[serde(default)]
    pub accent: Option<Colour>,
    /// The Docker socket on the host.
    #[serde(default = "default_docker_socket")]
    pub docker_socket: RemotePath,
    /// How often CPU and memory are refreshed while the environment is on screen.
    #[serde(default = "default_stats_interval")]
    pub stats_interval: ConfigDuration,
    /// How often while it is not (another environment's tab is shown).
    #[serde(default = "default_background_stats_interval")]
    pub background_stats_interval: ConfigDuration,
    /// How often health endpoints, the host's resources and lock, the team's checks,
    /// the pool and the queues are read while the environment is not on screen (each
    /// keeps its own interval when that is slower); coming on screen reads them at once.
    #[serde(default = "default_background_interval")]
    pub background_interval: ConfigDuration,
    /// Follow every running container's new log lines to count their error-level ones,
    /// so the timeline tells a service's burst of errors (well above its own recent
    /// rate). Off: nothing is read for it.
    #[serde(default = "default_error_bursts")]
    pub error_bursts: bool,
    /// How often each container's new lines are read for them (one bounded read each).
    #[serde(default = "default_error_bursts_interval")]
    pub error_bursts_interval: ConfigDuration,
    /// `e` opens a shell in the selected container (previewed, confirmed and audited
    /// like any action); false refuses it here.
    #[serde(default = "default_shell")]
    pub shell: bool,
    /// The shell `e` runs, one that takes `-c` (`/bin/ash`); default: bash where the
    /// image has it, else sh.
    #[serde(default)]
    pub shell_command: Option<CommandWords>,
    /// What runs there, as written: `compose` (the default) or `swarm`; the old
    /// spellings `ssh` and `local` (how it is reached) still work, with a notice. Read it
    /// through [`Environment::engine`].
    #[serde(default, rename = "engine")]
    engine_key: Option<EngineKey>,
    /// How the host's engine is reached, as written: `ssh` or `local`. Read it through
    /// [`Environment::reach`].
    #[serde(default, rename = "reach")]
    reach_key: Option<Reach>,
    /// Required for `reach = "ssh"`, refused for `reach = "local"`.
    pub ssh: Option<SshSettings>,
    /// Required for a compose environment, refused for a swarm one.
    pub compose: Option<ComposeSettings>,
    /// Required for a swarm environment (may be empty), refused for a compose one.
    pub swarm: Option<SwarmSettings>,
    #[serde(default)]
    pub deploy: DeploySettings,
    /// HTTP health endpoints and host checks.
    #[serde(default)]
    pub health: HealthSettings,
    /// The database whose connection pool is watched; none: no pool view.
    pub database: Option<DatabaseSettings>,
    /// Named groups of services for actions (e.g. `backend`).
    #[serde(default)]
    pub groups: Groups,
    /// How migrations run; none: no migrate action.
    pub migrate: Option<MigrateSettings>,
    #[serde(default)]
    pub pgadmin: PgAdminSettings,
    /// BullMQ queues on Redis; none: no queues view.
    pub queues: Option<queues::QueueSettings>,
    /// The team's own read-only checks, shown in the health view.
    #[serde(default)]
    pub checks: Vec<checks::CheckSettings>,
    /// The team's own actions, run through the queue (the actions menu).
    #[serde(default)]
    pub actions: Vec<custom::ActionSettings>,
    /// Ports on the far side of SSH, brought to this machine's loopback on demand.
    #[serde(default)]
    pub forwards: Vec<forwards::ForwardSettings>,
    /// Containers outside the compose project watched too (by name or label).
    pub containers: Option<containers::ContainersSettings>,
}

fn default_stats_interval() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(2))
}

fn default_background_stats_interval() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(10))
}

fn default_background_interval() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(30))
}

fn default_shell() -> bool {
    true
}

fn default_error_bursts() -> bool {
    true
}

fn default_error_bursts_interval() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(60))
}

fn default_docker_socket() -> RemotePath {
    RemotePath::parse("/var/run/docker.sock").unwrap_or_else(|e| unreachable!("{e}"))
}

/// What runs on an environment's host: a compose project, or the stacks of a Docker
/// Swarm read from a manager. The console asks it what it can do (its capabilities),
/// never which one it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Engine {
    #[default]
    Compose,
    Swarm,
}

impl Engine {
    /// The word for it in the config and in `status`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Compose => "compose",
            Engine::Swarm => "swarm",
        }
    }

    /// Whether it runs compose files on the host: migrations, pgAdmin, stopping and
    /// starting a service's containers.
    pub fn runs_compose_files(self) -> bool {
        self == Engine::Compose
    }

    /// Whether it schedules replicas of services on nodes: scaling, draining a node,
    /// deploying a stack file.
    pub fn schedules_replicas(self) -> bool {
        self == Engine::Swarm
    }

    /// Whether it keeps a service's previous spec (so a rollback is the engine's own),
    /// rather than the console rolling back to an image tag it recorded.
    pub fn keeps_previous_spec(self) -> bool {
        self == Engine::Swarm
    }
}

/// How an environment's Docker engine is reached: over SSH (its socket forwarded), or
/// the socket of the machine the console runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    Ssh,
    Local,
}

/// The `engine` key as written: what runs there, or one of the old spellings that said
/// how it is reached (before `reach` existed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum EngineKey {
    Compose,
    Swarm,
    Ssh,
    Local,
}

/// A Docker Swarm environment: which stacks are watched, and where its stack file is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwarmSettings {
    /// The stacks watched (`docker stack ls` names); empty: every stack.
    #[serde(default)]
    pub stacks: Vec<StackName>,
    /// The stack file on the manager (for the stack's actions); its directory holds
    /// the host lock and the audit trail.
    pub stack_file: Option<RemotePath>,
    /// Whether a service update asks the registry for the tag's digest and pins it
    /// (Docker's default); false passes `--no-resolve-image`, so nodes use the image
    /// they have or pull the tag themselves.
    #[serde(default = "yes")]
    pub resolve_image: bool,
}

fn yes() -> bool {
    true
}

/// Where a swarm environment keeps its lock and audit trail when no stack file is set.
pub const SWARM_HOST_DIR: &str = "/var/lib/pilothouse";

impl Environment {
    /// What runs on the host.
    pub fn engine(&self) -> Engine {
        match self.engine_key {
            Some(EngineKey::Swarm) => Engine::Swarm,
            _ => Engine::Compose,
        }
    }

    /// How the host's engine is reached: as written; else as the old `engine` spelling
    /// said; else over SSH, except a swarm without an `ssh` table (its local socket).
    pub fn reach(&self) -> Reach {
        match (self.reach_key, self.engine_key) {
            (Some(r), _) => r,
            (None, Some(EngineKey::Ssh)) => Reach::Ssh,
            (None, Some(EngineKey::Local)) => Reach::Local,
            (None, Some(EngineKey::Swarm)) if self.ssh.is_none() => Reach::Local,
            (None, _) => Reach::Ssh,
        }
    }

    /// Whether the host is reached over SSH (else the local socket).
    pub fn over_ssh(&self) -> bool {
        self.reach() == Reach::Ssh
    }

    /// The swarm settings of a swarm environment.
    pub fn swarm(&self) -> Option<&SwarmSettings> {
        match self.engine() {
            Engine::Swarm => self.swarm.as_ref(),
            Engine::Compose => None,
        }
    }

    /// The compose project of a compose environment.
    pub fn compose(&self) -> Option<&ComposeSettings> {
        match self.engine() {
            Engine::Swarm => None,
            Engine::Compose => self.compose.as_ref(),
        }
    }

    /// The notice for an `engine` key in its old spelling (how the host is reached),
    /// with what to write instead.
    fn old_spelling(&self) -> Option<String> {
        let (old, reach) = match self.engine_key {
            Some(EngineKey::Ssh) => ("ssh", "ssh"),
            Some(EngineKey::Local) => ("local", "local"),
            _ => return None,
        };
        Some(format!(
            "engine = \"{old}\" is the old spelling: write reach = \"{reach}\" (how the host is reached; engine is what runs there, \"compose\" (the default) or \"swarm\")"
        ))
    }

    /// The directory on the host that holds the lock and the audit trail: the compose
    /// project's, or the swarm stack file's (else [`SWARM_HOST_DIR`]).
    pub fn host_dir(&self) -> RemotePath {
        if let Some(c) = self.compose() {
            return c.project_dir.clone();
        }
        match self.swarm().and_then(|s| s.stack_file.as_ref()) {
            Some(f) => f.parent(),
            None => RemotePath::parse(SWARM_HOST_DIR).unwrap_or_else(|e| unreachable!("{e}")),
        }
    }

    /// What the engine watches: the compose project name, or the stacks (empty: all).
    pub fn watched(&self) -> Watched {
        match (self.compose(), self.swarm()) {
            (Some(c), _) => Watched::Compose {
                project: c
                    .effective_project_name()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                extra: self.containers.clone(),
            },
            (None, s) => Watched::Swarm(
                s.map(|s| s.stacks.iter().map(|n| n.to_string()).collect())
                    .unwrap_or_default(),
            ),
        }
    }
}

/// What an environment's engine watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// A compose project by name (empty: every project), and the containers outside it
    /// watched too.
    Compose {
        project: String,
        extra: Option<containers::ContainersSettings>,
    },
    /// The stacks of a swarm (empty: every stack).
    Swarm(Vec<String>),
}

/// How to reach the host. Anything not set here comes from `~/.ssh/config`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSettings {
    /// A host name, an address or an `~/.ssh/config` alias.
    pub destination: SshDestination,
    pub user: Option<UserName>,
    pub port: Option<u16>,
    pub identity_file: Option<SshFile>,
    /// A known_hosts file to use instead of `~/.ssh/known_hosts`.
    pub known_hosts_file: Option<SshFile>,
    /// An ssh config file to read instead of `~/.ssh/config` (`ssh -F`).
    pub config_file: Option<SshFile>,
    #[serde(default)]
    pub host_key_policy: HostKeyPolicy,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: ConfigDuration,
}

fn default_connect_timeout() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(10))
}

/// What to do with a host key that is not in known_hosts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// Refuse unknown and changed host keys.
    #[default]
    Strict,
    /// Add unknown host keys, refuse changed ones.
    AcceptNew,
}

impl fmt::Display for HostKeyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostKeyPolicy::Strict => "strict",
            HostKeyPolicy::AcceptNew => "accept-new",
        })
    }
}

/// The compose project on the host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeSettings {
    pub project_dir: RemotePath,
    /// Defaults to what Compose derives from the project directory's name.
    pub project_name: Option<ProjectName>,
    #[serde(default = "default_compose_files")]
    pub files: Vec<RelativeFile>,
    /// The separate compose file that runs pgAdmin, if there is one.
    pub pgadmin_file: Option<RelativeFile>,
    #[serde(default)]
    pub command: ComposeCommand,
    #[serde(default = "default_env_file")]
    pub env_file: RelativeFile,
}

fn default_compose_files() -> Vec<RelativeFile> {
    vec![RelativeFile::parse("docker-compose.yml").unwrap_or_else(|e| unreachable!("{e}"))]
}

fn default_env_file() -> RelativeFile {
    RelativeFile::parse(".env").unwrap_or_else(|e| unreachable!("{e}"))
}

impl ComposeSettings {
    /// What a swarm environment's compose-shaped fields are built from: no project.
    pub fn none() -> ComposeSettings {
        ComposeSettings {
            project_dir: RemotePath::parse("/").unwrap_or_else(|e| unreachable!("{e}")),
            project_name: None,
            files: Vec::new(),
            pgadmin_file: None,
            command: ComposeCommand::default(),
            env_file: default_env_file(),
        }
    }

    /// The project name Compose will use.
    pub fn effective_project_name(&self) -> Option<ProjectName> {
        self.project_name
            .clone()
            .or_else(|| ProjectName::from_dir(&self.project_dir))
    }
}

/// A config that was read and validated, and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
}

/// The annotated example config, which `pilothouse init` writes as a starter.
pub const STARTER: &str = include_str!("../../../assets/pilothouse.example.toml");

/// Where the config is looked for, in order: `--config`, `$PILOTHOUSE_CONFIG`,
/// `$XDG_CONFIG_HOME/pilothouse/config.toml` (else `~/.config/pilothouse/config.toml`),
/// `./pilothouse.toml`. The first two must exist when given; the others are used if they do.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("PILOTHOUSE_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let mut searched = Vec::new();
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(dir) = config_home {
        searched.push(dir.join("pilothouse").join("config.toml"));
    }
    searched.push(PathBuf::from("pilothouse.toml"));
    match searched.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(ConfigError::NotFound { searched }),
    }
}

/// Finds, reads and validates the config.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let path = locate(explicit)?;
    let config = parse_sources(&sources::Sources::read(&path)?)?;
    Ok(Loaded { path, config })
}

/// What pilothouse offers when there is no config at all but a local Docker engine: one
/// environment, `local`, watching every compose project on this machine. The socket is
/// `$DOCKER_HOST` when that is a `unix://` path, else `/var/run/docker.sock`.
pub fn local_fallback() -> Option<Loaded> {
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".to_string());
    RemotePath::parse(&socket).ok()?;
    if !Path::new(&socket).exists() {
        return None;
    }
    // project_dir "/" names no project: every compose project is shown.
    let text = format!(
        "[environments.local]\nreach = \"local\"\ndocker_socket = \"{socket}\"\n[environments.local.compose]\nproject_dir = \"/\"\n"
    );
    let path = PathBuf::from(format!(
        "(no config file: the local Docker engine at {socket})"
    ));
    let config = from_toml(&text, &path).ok()?;
    Some(Loaded { path, config })
}

/// Parses and validates config text; `path` is only used in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse_sources(&sources::Sources::one(path, text))
}

/// The config read from its files (the main one, then `config.d`'s), checked whole.
pub fn parse_sources(sources: &sources::Sources) -> Result<Config, ConfigError> {
    let mut config: Config = sources.deserialize()?;
    config.notices = old_spellings(&config, sources);
    for (name, env) in &config.environments {
        let at = |table: &str| {
            sources.find(&[
                &format!("[environments.{name}{table}]"),
                &format!("[environments.{name}"),
                &format!("[defaults{table}]"),
            ])
        };
        if let Some((table, key, message)) = check_env(env) {
            return Err(sources.invalid(at(table), &format!("environments.{name}.{key}"), message));
        }
    }
    if config.environments.is_empty() {
        return Err(sources.invalid(
            sources.find(&["[environments"]),
            "environments",
            "no environments defined; add a [environments.NAME] table".into(),
        ));
    }
    Ok(config)
}

/// What is wrong with one environment's tables taken together, if anything: the table
/// to point at, the key, the message.
/// The team's own tables: actions, forwards, containers outside compose.
fn check_runbook(env: &Environment, swarm: bool) -> Option<(&'static str, &'static str, String)> {
    if let Some((key, message)) = custom::check_all(&env.actions) {
        return Some((".actions", key, message));
    }
    if let Some((key, message)) = forwards::check_all(&env.forwards) {
        return Some((".forwards", key, message));
    }
    let c = env.containers.as_ref()?;
    if swarm {
        return Some((
            ".containers",
            "containers",
            "a swarm runs services, not containers of its own; [containers] is for a compose environment's host".into(),
        ));
    }
    c.check()
        .map(|(key, message)| (".containers", key, message))
}

/// How the host is reached against the `ssh` table (and the two spellings of it).
fn check_reach(env: &Environment) -> Option<(&'static str, &'static str, &'static str)> {
    let old = matches!(env.engine_key, Some(EngineKey::Ssh | EngineKey::Local));
    match (env.reach(), &env.ssh) {
        _ if old && env.reach_key.is_some() => Some((
            "",
            "engine",
            "engine says what runs there (\"compose\" or \"swarm\"); with reach set, \"ssh\" and \"local\" belong in reach",
        )),
        (Reach::Ssh, None) => Some((
            "",
            "ssh",
            "required table [environments.NAME.ssh] is missing (or set reach = \"local\")",
        )),
        (Reach::Local, Some(_)) => Some((
            ".ssh",
            "ssh",
            "an environment with reach = \"local\" has no ssh settings",
        )),
        _ => None,
    }
}

fn check_env(env: &Environment) -> Option<(&'static str, &'static str, String)> {
    let swarm = env.engine() == Engine::Swarm;
    let problem = match check_reach(env) {
        Some(p) => Some(p),
        _ if swarm && env.compose.is_some() => Some((
            ".compose",
            "compose",
            "a swarm environment has no compose table: its stacks are in [environments.NAME.swarm]",
        )),
        _ if swarm && env.swarm.is_none() => Some((
            "",
            "swarm",
            "required table [environments.NAME.swarm] is missing (it may be empty: every stack is watched)",
        )),
        _ if !swarm && env.swarm.is_some() => Some((
            ".swarm",
            "swarm",
            "a [swarm] table needs engine = \"swarm\"",
        )),
        _ if !swarm && env.compose.is_none() => Some((
            "",
            "compose",
            "required table [environments.NAME.compose] is missing (or set engine = \"swarm\")",
        )),
        _ if swarm && env.migrate.is_some() => Some((
            ".migrate",
            "migrate",
            "migrations run through compose; a swarm environment has none yet",
        )),
        _ => None,
    };
    if let Some((table, key, message)) = problem {
        return Some((table, key, message.to_string()));
    }
    for c in &env.checks {
        if let Some((key, message)) = c.check() {
            return Some((".checks", key, message));
        }
    }
    if let Some(problem) = check_runbook(env, swarm) {
        return Some(problem);
    }
    if let Some(q) = &env.queues {
        if let Some((key, message)) = q.check() {
            return Some((".queues", key, message));
        }
        if swarm && q.via == queues::RedisVia::Exec {
            return Some((
                ".queues",
                "queues.via",
                "a swarm's Redis runs on a node the manager cannot exec into; use via = \"tcp\""
                    .into(),
            ));
        }
    }
    if swarm
        && let Some(q) = &env.queues
        && q.password.as_ref().is_some_and(|p| p.reads_env_file())
    {
        return Some((
            ".queues",
            "queues.password",
            "a swarm environment has no compose env file to read the password from; use local_env"
                .into(),
        ));
    }
    if swarm
        && let Some(db) = &env.database
        && db.url.reads_env_file()
    {
        return Some((
            ".database",
            "database.url",
            "a swarm environment has no compose env file to read the URL from; use local_env"
                .into(),
        ));
    }
    let compose = env.compose.as_ref()?;
    if compose.effective_project_name().is_none() {
        return Some((
            ".compose",
            "compose.project_name",
            format!(
                "no compose project name can be derived from {}; set project_name",
                compose.project_dir
            ),
        ));
    }
    None
}

/// The located notices for keys in an old spelling.
fn old_spellings(config: &Config, sources: &sources::Sources) -> Vec<String> {
    let mut out = Vec::new();
    for (name, env) in &config.environments {
        let Some(notice) = env.old_spelling() else {
            continue;
        };
        let at = sources.find(&[&format!("[environments.{name}]")]);
        let (file, table) = sources.at(at);
        let key = file
            .text
            .get(table..)
            .and_then(|rest| rest.find("\nengine"))
            .map_or(at, |more| at + more + 1);
        out.push(format!(
            "{}: environments.{name}.engine: {notice}",
            sources.place(key)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[environments.staging]
[environments.staging.ssh]
destination = "staging-droplet"
user = "deploy"
[environments.staging.compose]
project_dir = "/opt/acme"

[environments.production]
protected = true
[environments.production.ssh]
destination = "prod"
host_key_policy = "accept-new"
connect_timeout = "5s"
[environments.production.compose]
project_dir = "/opt/acme"
command = "docker-compose"
files = ["docker-compose.yml", "docker-compose.prod.yml"]
"#;

    fn invalid(text: &str) -> Invalid {
        match parse(text, Path::new("c.toml")) {
            Err(ConfigError::Invalid(i)) => *i,
            other => panic!("expected an Invalid error, got {other:?}"),
        }
    }

    #[test]
    fn good_config_keeps_file_order_and_fills_defaults() {
        let c = parse(GOOD, Path::new("c.toml")).map_err(|e| e.to_string());
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = c.environments.keys().map(|k| k.to_string()).collect();
        assert_eq!(names, ["staging", "production"]);
        let s = &c.environments[0];
        assert!(!s.protected);
        assert_eq!(s.docker_socket.as_str(), "/var/run/docker.sock");
        let ssh = s.ssh.as_ref().unwrap_or_else(|| panic!("no ssh"));
        assert_eq!(ssh.host_key_policy, HostKeyPolicy::Strict);
        assert_eq!(ssh.connect_timeout.to_string(), "10s");
        let compose = s.compose().unwrap_or_else(|| panic!("no compose"));
        assert_eq!(compose.command.to_string(), "docker compose");
        assert_eq!(compose.env_file.as_str(), ".env");
        assert_eq!(
            compose.effective_project_name().map(|n| n.to_string()),
            Some("acme".into())
        );
        let p = &c.environments[1];
        assert!(p.protected);
        assert_eq!(
            p.ssh.as_ref().map(|s| s.host_key_policy),
            Some(HostKeyPolicy::AcceptNew)
        );
        assert_eq!(p.compose().map(|c| c.files.len()), Some(2));
    }

    #[test]
    fn unknown_key_names_position_key_and_suggestion() {
        let text = GOOD.replace("user = \"deploy\"", "usr = \"deploy\"");
        let e = invalid(&text);
        assert_eq!(e.key, "environments.staging.ssh.usr");
        assert_eq!((e.line, e.column), (5, 1));
        assert!(e.message.contains("did you mean `user`?"), "{}", e.message);
    }

    #[test]
    fn wrong_type_names_the_key() {
        let text = GOOD.replace("protected = true", "protected = \"yes\"");
        let e = invalid(&text);
        assert_eq!(e.key, "environments.production.protected");
        assert_eq!(e.line, 10);
        assert!(e.message.contains("wrong type"), "{}", e.message);
    }

    #[test]
    fn missing_key_is_named() {
        let text = GOOD.replace("destination = \"prod\"\n", "");
        let e = invalid(&text);
        assert_eq!(e.key, "environments.production.ssh.destination");
        assert!(e.message.contains("required key `destination` is missing"));
    }

    #[test]
    fn bad_values_are_located_at_the_value() {
        let text = GOOD.replace("\"/opt/acme\"\ncommand", "\"/opt/acme;reboot\"\ncommand");
        let e = invalid(&text);
        assert_eq!(e.key, "environments.production.compose.project_dir");
        assert_eq!(e.line, 16);
        assert_eq!(e.column, 15);
    }

    #[test]
    fn engine_and_ssh_table_must_agree() {
        let e = invalid(&GOOD.replace("[environments.production.ssh]\ndestination = \"prod\"\nhost_key_policy = \"accept-new\"\nconnect_timeout = \"5s\"\n", ""));
        assert_eq!(e.key, "environments.production.ssh");
        assert_eq!(e.line, 9, "points at [environments.production]");
        let local = GOOD.replace("protected = true", "protected = true\nreach = \"local\"");
        let e = invalid(&local);
        assert_eq!(e.key, "environments.production.ssh");
        assert!(
            e.message.contains("reach = \"local\" has no ssh settings"),
            "{}",
            e.message
        );
        assert_eq!(e.line, 12, "points at [environments.production.ssh]");
    }

    #[test]
    fn a_local_environment_needs_no_ssh() {
        let text = "[environments.here]\nreach = \"local\"\n[environments.here.compose]\nproject_dir = \"/opt/acme\"\n";
        let c = parse(text, Path::new("c.toml")).map_err(|e| e.to_string());
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.environments[0].reach(), Reach::Local);
        assert_eq!(c.environments[0].engine(), Engine::Compose);
        assert!(c.notices.is_empty(), "{:?}", c.notices);
    }

    #[test]
    fn the_old_engine_spelling_still_works_with_a_located_notice() {
        let text = "[environments.here]\nprotected = false\nengine = \"local\"\n[environments.here.compose]\nproject_dir = \"/opt/acme\"\n";
        let c = parse(text, Path::new("c.toml")).map_err(|e| e.to_string());
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        let env = &c.environments[0];
        assert_eq!((env.reach(), env.engine()), (Reach::Local, Engine::Compose));
        assert_eq!(c.notices.len(), 1, "{:?}", c.notices);
        assert!(
            c.notices[0].starts_with("c.toml:3: environments.here.engine: engine = \"local\" is the old spelling: write reach = \"local\""),
            "{}",
            c.notices[0]
        );
        let ssh = GOOD.replace("protected = true", "protected = true\nengine = \"ssh\"");
        let c = parse(&ssh, Path::new("c.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.environments[0].reach(), Reach::Ssh);
        assert!(
            c.notices[0].contains("write reach = \"ssh\""),
            "{:?}",
            c.notices
        );
        // Both spellings at once is one located error.
        let both = GOOD.replace(
            "protected = true",
            "protected = true\nengine = \"ssh\"\nreach = \"ssh\"",
        );
        assert_eq!(invalid(&both).key, "environments.production.engine");
        // A swarm is reached as its ssh table says, or as reach says.
        let swarm = "[environments.s]\nengine = \"swarm\"\n[environments.s.swarm]\n";
        let c = parse(swarm, Path::new("c.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.environments[0].reach(), c.environments[0].engine()),
            (Reach::Local, Engine::Swarm)
        );
        assert!(c.notices.is_empty());
    }

    #[test]
    fn a_project_name_must_be_derivable() {
        let text = "[environments.here]\nreach = \"local\"\n[environments.here.compose]\nproject_dir = \"/\"\n";
        let e = invalid(text);
        assert_eq!(e.key, "environments.here.compose.project_name");
        assert_eq!(e.line, 3);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = invalid("[environments.staging\n");
        assert_eq!(e.line, 1);
        assert!(e.key.is_empty());
    }

    #[test]
    fn no_environments_is_an_error() {
        let e = invalid("[environments]\n");
        assert_eq!(e.key, "environments");
    }

    #[test]
    fn display_is_one_line_with_file_line_col_key() {
        let text = GOOD.replace("port", "prt");
        let text = text.replace("user = \"deploy\"", "user = \"deploy\"\nprt = 22");
        let e = invalid(&text);
        let shown = e.to_string();
        assert!(shown.starts_with("c.toml:6:1: key `environments.staging.ssh.prt`: unknown key `prt`; did you mean `port`?"), "{shown}");
        assert!(!shown.contains('\n'));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("a\nbé c", 5), (2, 3));
        assert_eq!(line_col("", 10), (1, 1));
    }
}

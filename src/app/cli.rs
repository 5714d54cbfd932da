//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A terminal operations console for docker-compose stacks reached over SSH.
///
/// Without a subcommand, opens the console on the environments in the config.
#[derive(Debug, Parser)]
#[command(name = "pilothouse", version, about, long_about = None)]
pub struct Cli {
    /// Config file (else $PILOTHOUSE_CONFIG, $XDG_CONFIG_HOME/pilothouse/config.toml,
    /// ~/.config/pilothouse/config.toml, ./pilothouse.toml)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Environment to show first
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// Queue no actions on any environment
    #[arg(long)]
    pub read_only: bool,

    /// Colour theme: default, light, high-contrast, gruvbox, or NAME.toml in
    /// $XDG_CONFIG_HOME/pilothouse/themes (which overrides a shipped one). NO_COLOR is
    /// honoured whatever the theme
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub theme: String,

    /// Keymap: default, vim, or NAME.toml in $XDG_CONFIG_HOME/pilothouse/keymaps (over
    /// the shipped one of that name, key by key; a new name goes over the default)
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub keymap: String,

    /// Leave the mouse to the terminal (no clicks on tabs, rows and hints, no wheel
    /// scrolling; the terminal's own text selection works as usual)
    #[arg(long)]
    pub no_mouse: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter config (to --config PATH, else
    /// $XDG_CONFIG_HOME/pilothouse/config.toml); an existing file is left alone
    Init {
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
    /// Print the host's audit records of an environment (everyone's, newest first).
    /// Exit code 2: config error; 3: host unreachable or unreadable
    Audit {
        /// The environment (default: the first in the config)
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// One JSON object per record instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout
    Man,
    /// Validate the config and print a summary of its environments
    CheckConfig,
    /// Print every environment's containers once, without the TUI. Exit code 0: all
    /// running and healthy; 1: something is not; 2: config error; 3: a host unreachable
    Status {
        /// Only this environment
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Print what changed on an environment and when, oldest first: the engine's events
    /// and what it still knows of each container, the host's audit trail (every
    /// console's actions) and the env file's tag changes. Exit code 1: bad argument;
    /// 2: config error; 3: host unreachable
    Timeline {
        /// The environment (default: the first in the config)
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// From this long ago: 30s, 5m, 2h, 1d
        #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::app::logs_command::parse_since)]
        since: i64,
        /// Up to this long ago (10m) or this RFC 3339 time (default: now)
        #[arg(long, value_name = "WHEN", value_parser = crate::app::timeline_command::parse_bound)]
        until: Option<pilothouse_core::model::timeline::Bound>,
        /// Only these services (or other subjects: a queue, a node)
        #[arg(long = "service", value_name = "SERVICE")]
        services: Vec<String>,
        /// One JSON object per entry: time (RFC 3339, UTC), env, source, kind, subject,
        /// summary, and the source's own fields
        #[arg(long)]
        json: bool,
    },
    /// Print (and with --follow, follow) the logs of an environment's services, merged
    /// in time order like `docker compose logs`, sanitized, JSON lines rendered. Exit
    /// code 1: unknown service or bad pattern; 2: config error; 3: host unreachable
    Logs {
        /// The environment (default: the first in the config)
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// Services to show (default: all of the project's; on a swarm, by full or short name, every running task of each)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
        /// Lines per container (or swarm task) to start with (default: all; with --follow, the
        /// config's logs.tail)
        #[arg(long, value_name = "N")]
        tail: Option<u32>,
        /// Only lines newer than this: 30s, 5m, 2h, 1d
        #[arg(long, value_name = "DURATION", value_parser = crate::app::logs_command::parse_since)]
        since: Option<i64>,
        /// Keep printing new lines
        #[arg(long, short = 'f')]
        follow: bool,
        /// Only lines matching this regular expression (case-insensitive unless it
        /// starts with (?-i))
        #[arg(long, value_name = "REGEX")]
        grep: Option<String>,
        /// One JSON object per line: time (Unix ns), service, container, stream, level,
        /// message, raw
        #[arg(long)]
        json: bool,
        /// Show secrets as the services wrote them (masked by default); recorded in the
        /// audit trail, locally and on the host
        #[arg(long)]
        no_mask: bool,
    },
}

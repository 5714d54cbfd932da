//! What the console asks of an environment's actor (logs to follow, a snapshot to
//! write) and the tags it answers with.

use std::path::PathBuf;

/// Where a followed stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStart {
    /// The last N lines of each container.
    Tail(u32),
    /// Everything since a Unix time (seconds).
    Since(i64),
    /// Everything Docker kept.
    All,
    /// What each container wrote between two Unix times (seconds), read once: the
    /// streams end there and are not followed.
    Between { since: i64, until: i64 },
    /// The last `tail` lines written since a Unix time (seconds), then new ones.
    Recent { since: i64, tail: u32 },
}

impl LogStart {
    /// Whether the streams stay open for new lines.
    pub fn follows(self) -> bool {
        !matches!(self, LogStart::Between { .. })
    }
}

/// What the log pane follows in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    /// Lines answer this request; the pane ignores older requests' lines.
    pub generation: u64,
    /// Services followed; empty means all of the project's.
    pub services: Vec<String>,
    pub start: LogStart,
    /// Keep SGR colours (as styles) rather than stripping them.
    pub keep_colours: bool,
}

impl LogRequest {
    pub fn wants(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }
}

/// One tag every target has somewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    pub tag: String,
    /// When the image was built, as the host's engine says (the newest across the
    /// targets); None when only the registry has it.
    pub created: Option<String>,
    pub on_host: bool,
    pub in_registry: bool,
}

/// What the host and the registry have for the targets of a deploy or rollback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// Tags every target has somewhere, newest first (`rollback` is not among them: it
    /// is the rollback action's, never a tag to deploy).
    pub tags: Vec<TagInfo>,
    /// A tag that names every target's `:rollback` image on the host too (`v1` after
    /// a deploy of v2 over v1), so a rollback to those images can write a real tag
    /// into the env file.
    pub rollback_is: Option<String>,
    /// Why the registry was not read, when it was not.
    pub note: Option<String>,
}

/// What update() asks for: the summary it made from State and what to add to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRequest {
    pub summary: String,
    /// (service, container id) of every container, in the order to write them.
    pub containers: Vec<(String, String)>,
    pub dir: PathBuf,
    pub file_name: String,
    /// The host's project directory (audit file) and its env file, relative to it
    /// (what to mask).
    pub project_dir: String,
    pub env_file: String,
}

//! Plain data the backend reports: what a container is doing, as Docker says.
//! No I/O and no drawing here.

/// One container of the environment's compose project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    /// The container name, without Docker's leading `/`.
    pub name: String,
    /// The compose service (label `com.docker.compose.service`), else the name.
    pub service: String,
    /// `repository:tag` as the container was created from.
    pub image: String,
    pub run_state: RunState,
    pub health: Health,
    /// Consecutive failed health checks.
    pub failing_streak: u32,
    /// Unix seconds.
    pub started_at: Option<i64>,
    /// Unix seconds.
    pub finished_at: Option<i64>,
    pub restart_count: u32,
    /// Published ports, `host:port->port/proto`; empty under host networking.
    pub ports: Vec<String>,
    /// What the detail pane shows.
    pub details: ContainerDetails,
    /// False while only the list entry is known (the first paint): uptime, restarts
    /// and details are not known yet and are shown as such.
    pub inspected: bool,
    /// Not a container of the compose project: watched through `[containers]`, acted on
    /// with `docker` itself (restart, stop, start), deployed by the team's own action.
    pub outside: bool,
}

/// What the detail pane shows about the selected container. Every string in it was
/// sanitized by [`clean`](crate::text::clean); environment variable values are never kept at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerDetails {
    pub image_id: String,
    /// The main process's PID on the host while it runs (where its cgroup is found).
    pub pid: Option<u32>,
    /// Unix seconds.
    pub created: Option<i64>,
    pub command: String,
    /// Docker keeps the last five, oldest first.
    pub health_log: Vec<HealthCheckRun>,
    /// Seconds between its health checks (0: it has none).
    pub health_interval_secs: u64,
    /// Names only: values (DATABASE_URL and friends) are dropped as they arrive.
    pub env_names: Vec<String>,
    /// `type source -> destination (ro|rw)`.
    pub mounts: Vec<String>,
    pub log_driver: String,
    pub log_options: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
}

/// One health-check run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheckRun {
    /// Unix seconds.
    pub ended: Option<i64>,
    pub exit_code: i64,
    pub output: String,
}

impl ContainerDetails {
    /// When the engine has its next health check result (Unix seconds): the newest
    /// check's end and the interval. None without checks.
    pub fn next_check(&self) -> Option<i64> {
        let last = self.health_log.iter().filter_map(|h| h.ended).max()?;
        (self.health_interval_secs > 0).then(|| last + self.health_interval_secs as i64)
    }

    /// Json-file logging without a size limit grows until the disk is full.
    pub fn lacks_log_rotation(&self) -> bool {
        self.log_driver == "json-file" && !self.log_options.iter().any(|(k, _)| k == "max-size")
    }
}

/// What Docker says the container's process is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    Running,
    Exited { code: i64 },
    Restarting,
    Paused,
    Created,
    Removing,
    Dead,
}

impl RunState {
    pub fn label(&self) -> String {
        match self {
            RunState::Running => "running".into(),
            RunState::Exited { code } => format!("exited ({code})"),
            RunState::Restarting => "restarting".into(),
            RunState::Paused => "paused".into(),
            RunState::Created => "created".into(),
            RunState::Removing => "removing".into(),
            RunState::Dead => "dead".into(),
        }
    }
}

/// Where a container's CPU and memory figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsageSource {
    /// Its cgroup's counters, read on the host in one batch with the others'.
    #[default]
    Cgroup,
    /// The engine's own stats (the cgroup counters could not be read).
    Engine,
}

/// CPU and memory of a running container, counted as `docker stats` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// CPU in hundredths of a percent of one core (250 = 2.5 %).
    pub cpu_centipercent: u32,
    /// Bytes, page cache excluded (as `docker stats` counts).
    pub mem_used: u64,
    /// Bytes; 0 when the container has no memory limit of its own.
    pub mem_limit: u64,
    pub source: UsageSource,
}

/// The container's health check result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    Unhealthy,
    Starting,
    /// The container has no health check.
    None,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Starting => "starting",
            Health::None => "none",
        }
    }
}

/// Parses Docker's RFC 3339 timestamps (`2026-11-22T00:45:21.123456789Z`, or with a
/// `+01:00` offset) into Unix seconds. Docker's "never" (`0001-01-01T00:00:00Z`) is None.
pub fn parse_docker_time(s: &str) -> Option<i64> {
    crate::time::rfc3339_nanos(s)
        .filter(|ns| *ns >= 0)
        .map(|ns| ns.div_euclid(1_000_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_everything_a_terminal_would_act_on() {
        use crate::text::clean;
        let hostile = "a\x1b]0;title\x07b\x1b[2Jc\u{9b}31md\u{7f}e\nf\tg";
        let c = clean(hostile, 100);
        assert!(!c.chars().any(char::is_control), "{c:?}");
        assert!(c.starts_with('a') && c.ends_with("f g"), "{c:?}");
        assert_eq!(clean("abcdef", 3), "abc…");
    }

    #[test]
    fn the_next_health_check_is_the_newest_one_and_the_interval() {
        let run = |ended| HealthCheckRun {
            ended: Some(ended),
            exit_code: 0,
            output: String::new(),
        };
        let mut d = ContainerDetails {
            health_log: vec![run(100), run(130)],
            health_interval_secs: 30,
            ..Default::default()
        };
        assert_eq!(d.next_check(), Some(160));
        d.health_interval_secs = 0;
        assert_eq!(d.next_check(), None, "no health check");
    }

    #[test]
    fn log_rotation() {
        let mut d = ContainerDetails {
            log_driver: "json-file".into(),
            ..Default::default()
        };
        assert!(d.lacks_log_rotation());
        d.log_options.push(("max-size".into(), "10m".into()));
        assert!(!d.lacks_log_rotation());
        d.log_driver = "local".into();
        d.log_options.clear();
        assert!(!d.lacks_log_rotation(), "local rotates by default");
    }

    #[test]
    fn docker_times() {
        assert_eq!(parse_docker_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_docker_time("2026-11-22T00:45:21.123456789Z"),
            Some(1_795_308_321)
        );
        assert_eq!(
            parse_docker_time("2026-11-22T01:45:21+01:00"),
            Some(1_795_308_321)
        );
        assert_eq!(parse_docker_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_docker_time(""), None);
        assert_eq!(parse_docker_time("yesterday"), None);
    }
}

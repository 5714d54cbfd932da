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
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y < 1970 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut secs = days * 86_400 + h * 3600 + mi * 60 + se;
    // Skip fractional seconds, then apply the offset.
    let rest = s
        .get(19..)?
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(off) = rest.strip_prefix('+').or_else(|| rest.strip_prefix('-')) {
        let sign = if rest.starts_with('+') { 1 } else { -1 };
        let oh = off.get(0..2)?.parse::<i64>().ok()?;
        let om = off.get(3..5)?.parse::<i64>().ok()?;
        secs -= sign * (oh * 3600 + om * 60);
    } else if rest != "Z" {
        return None;
    }
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

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

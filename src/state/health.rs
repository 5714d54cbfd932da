//! Health endpoints and host resources as the console sees them, and how much
//! attention they need.

use pilothouse_core::model::health::{EndpointStatus, HostReport};

use crate::state::alert::Alert;

/// Disk use (percent) that warns, and that is critical ("no space left on device").
pub const DISK_WARN: u32 = 85;
pub const DISK_CRITICAL: u32 = 95;
/// Days before a certificate expires that warn, and that are critical.
pub const CERT_WARN_DAYS: i64 = 14;
pub const CERT_CRITICAL_DAYS: i64 = 3;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthState {
    /// Configured endpoints, in config order (names only until the first answer).
    pub names: Vec<String>,
    pub endpoints: Vec<EndpointStatus>,
    /// Seconds between endpoint checks, for staleness.
    pub interval_secs: i64,
    pub host: Option<HostReport>,
    pub host_interval_secs: i64,
    /// The last Docker disk usage seen (it is read less often than the rest).
    pub docker_disk: Option<pilothouse_core::model::health::DockerDisk>,
    /// The team's checks, in config order: name and how long a result stays fresh (s).
    pub check_names: Vec<(String, i64)>,
    /// Their latest results.
    pub checks: Vec<pilothouse_core::model::health::CheckResult>,
    /// The host's 1-minute load (x100) and memory in use (KiB), last 15 minutes.
    pub load_history: crate::state::history::Series,
    pub mem_history: crate::state::history::Series,
}

impl HealthState {
    /// True when the endpoint answers are older than three intervals.
    pub fn endpoints_stale(&self, now: i64) -> bool {
        self.endpoints
            .first()
            .is_none_or(|e| now - e.checked_at > 3 * self.interval_secs + 5)
    }

    pub fn host_stale(&self, now: i64) -> bool {
        self.host
            .as_ref()
            .is_none_or(|h| now - h.at > 3 * self.host_interval_secs + 5)
    }

    /// The worst of endpoints, certificates and disks. Stale readings say nothing
    /// (the connection's own state covers them).
    /// A check's latest result, when it ran and is not stale.
    pub fn check(
        &self,
        name: &str,
        now: i64,
    ) -> Option<&pilothouse_core::model::health::CheckResult> {
        let fresh = self.check_names.iter().find(|(n, _)| n == name)?.1;
        self.checks
            .iter()
            .find(|c| c.name == name)
            .filter(|c| now - c.at <= fresh)
    }

    /// Checks whose latest (fresh) result failed.
    pub fn failing_checks(&self, now: i64) -> usize {
        self.check_names
            .iter()
            .filter(|(n, _)| self.check(n, now).is_some_and(|c| !c.ok))
            .count()
    }

    /// A check's result arrived.
    pub fn record_check(&mut self, r: pilothouse_core::model::health::CheckResult) {
        match self.checks.iter_mut().find(|c| c.name == r.name) {
            Some(c) => *c = r,
            None => self.checks.push(r),
        }
    }

    pub fn alert(&self, now: i64) -> Alert {
        let mut a = Alert::Ok;
        if self.failing_checks(now) > 0 {
            a = Alert::Bad;
        }
        if !self.endpoints_stale(now) {
            for e in &self.endpoints {
                a = a.max(endpoint_alert(e, now));
            }
        }
        if let Some(h) = &self.host
            && !self.host_stale(now)
        {
            for d in &h.disks {
                a = a.max(disk_alert(d.used_pct()));
            }
        }
        a
    }

    /// Endpoints that are down.
    pub fn down(&self) -> usize {
        self.endpoints.iter().filter(|e| !e.up).count()
    }
}

pub fn disk_alert(pct: u32) -> Alert {
    if pct >= DISK_CRITICAL {
        Alert::Bad
    } else if pct >= DISK_WARN {
        Alert::Warn
    } else {
        Alert::Ok
    }
}

pub fn cert_alert(days: i64) -> Alert {
    if days < CERT_CRITICAL_DAYS {
        Alert::Bad
    } else if days < CERT_WARN_DAYS {
        Alert::Warn
    } else {
        Alert::Ok
    }
}

pub fn endpoint_alert(e: &EndpointStatus, now: i64) -> Alert {
    let up = if e.up { Alert::Ok } else { Alert::Bad };
    let cert = e
        .cert
        .as_ref()
        .map_or(Alert::Ok, |c| cert_alert(c.days_left(now)));
    up.max(cert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert_eq!(disk_alert(84), Alert::Ok);
        assert_eq!(disk_alert(85), Alert::Warn);
        assert_eq!(disk_alert(95), Alert::Bad);
        assert_eq!(cert_alert(14), Alert::Ok);
        assert_eq!(cert_alert(13), Alert::Warn);
        assert_eq!(cert_alert(2), Alert::Bad);
    }
}

//! Health endpoints' answers and the host's resources, as the health monitor reports them.

use serde_json::Value;

use crate::logs::sanitize::clean_str;

/// What the health monitor reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthEvent {
    Endpoints(Vec<EndpointStatus>),
    Host(Box<HostReport>),
    /// One of the team's own checks ran.
    Check(Box<CheckResult>),
}

/// A check's latest run (`[[environments.X.checks]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub name: String,
    pub ok: bool,
    /// What it said or found, sanitized and masked, one line.
    pub detail: String,
    pub duration_ms: u64,
    /// Unix seconds (the console's clock) when it ended.
    pub at: i64,
}

/// One endpoint's latest answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStatus {
    pub name: String,
    pub service: String,
    pub url: String,
    pub up: bool,
    pub http_status: Option<u16>,
    pub latency_ms: Option<u64>,
    /// Why it is down (no answer, wrong status, keyword missing, TLS).
    pub error: Option<String>,
    pub info: HealthInfo,
    /// For https: the server certificate.
    pub cert: Option<CertInfo>,
    /// Unix seconds.
    pub checked_at: i64,
}

/// What the /health JSON said, every string sanitized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthInfo {
    pub status: Option<String>,
    pub database: Option<String>,
    pub version: Option<String>,
    pub build_number: Option<String>,
    pub build_commit: Option<String>,
    pub build_date: Option<String>,
    pub uptime_s: Option<u64>,
    /// The fields the config asked for, by dotted path.
    pub fields: Vec<(String, String)>,
}

impl HealthInfo {
    /// Reads the well-known fields (and `wanted` ones) from a JSON body.
    pub fn from_json(body: &[u8], wanted: &[String]) -> HealthInfo {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return HealthInfo::default();
        };
        let first = |paths: &[&str]| paths.iter().find_map(|p| text_at(&v, p));
        HealthInfo {
            status: first(&["status", "state"]),
            database: first(&["database", "db", "checks.database", "info.database.status"]),
            version: first(&["version", "build.version", "app.version"]),
            build_number: first(&["build.number", "buildNumber", "build_number", "build.id"]),
            build_commit: first(&[
                "build.commit",
                "commit",
                "gitCommit",
                "git.commit",
                "sha",
                "revision",
            ]),
            build_date: first(&["build.date", "buildDate", "build_date", "build.time"]),
            uptime_s: ["uptime", "uptimeSeconds", "uptime_seconds"]
                .iter()
                .find_map(|p| at(&v, p).and_then(Value::as_f64))
                .map(|f| f.max(0.0) as u64),
            fields: wanted
                .iter()
                .filter_map(|p| text_at(&v, p).map(|t| (p.clone(), t)))
                .collect(),
        }
    }
}

fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn text_at(v: &Value, path: &str) -> Option<String> {
    let raw = match at(v, path)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(o) => match o.get("status") {
            Some(Value::String(s)) => s.clone(),
            _ => return None,
        },
        _ => return None,
    };
    let clean = clean_str(raw.as_bytes());
    Some(clean.chars().take(80).collect())
}

/// The host's resources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostReport {
    /// Unix seconds.
    pub at: i64,
    pub disks: Vec<Disk>,
    pub mem_total_kb: u64,
    pub mem_available_kb: u64,
    /// Load averages x100 (1, 5, 15 minutes).
    pub load: [u32; 3],
    pub cpus: u32,
    pub docker: Option<DockerDisk>,
    /// What could not be read.
    pub error: Option<String>,
}

/// One filesystem, as `df -P` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    /// What it was asked about: `/` or Docker's data root.
    pub path: String,
    /// df's first column: the device (or `tmpfs`, `overlay`…).
    pub filesystem: String,
    pub mount: String,
    pub size_kb: u64,
    pub used_kb: u64,
    pub avail_kb: u64,
}

impl Disk {
    /// The same filesystem as `other` (a bind mount of it, say: the docker root on
    /// /'s disk), as one df run shows both.
    pub fn same_filesystem(&self, other: &Disk) -> bool {
        (&self.filesystem, self.size_kb, self.used_kb, self.avail_kb)
            == (
                &other.filesystem,
                other.size_kb,
                other.used_kb,
                other.avail_kb,
            )
    }

    /// Used, in percent of what non-root users can have (as df's "Capacity").
    pub fn used_pct(&self) -> u32 {
        let denom = self.used_kb + self.avail_kb;
        if denom == 0 {
            0
        } else {
            ((self.used_kb * 100).div_ceil(denom)) as u32
        }
    }
}

/// `docker system df`, one row per kind (Images, Containers, Local Volumes, Build Cache).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerDisk {
    pub rows: Vec<DockerDiskRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerDiskRow {
    pub kind: String,
    pub total: String,
    pub active: String,
    pub size: String,
    pub reclaimable: String,
}

/// What the operator needs to know about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Unix seconds.
    pub not_after: i64,
    pub issuer: String,
    pub subject: String,
}

impl CertInfo {
    /// Whole days from `now` (Unix seconds) until it expires; negative once expired.
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86_400)
    }
}

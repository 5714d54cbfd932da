//! Health: the configured HTTP endpoints (from the host through the SSH connection, or
//! from this machine), and the host's disk, memory, load and Docker disk usage.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;

use crate::connection::remote::{Endpoint as Way, Remote};
use crate::connection::tls::{self, Verify};
use pilothouse_core::config::{Endpoint, HealthSettings, RemotePath, Via};
use pilothouse_core::logs::sanitize::clean_str;
use pilothouse_core::shell::quote;

use pilothouse_core::model::health::{
    Disk, DockerDisk, DockerDiskRow, EndpointStatus, HealthEvent, HealthInfo, HostReport,
};

/// Parses `df -Pk A B` output: the header, then one line per path asked about.
pub fn parse_df(text: &str, paths: &[&str]) -> Vec<Disk> {
    text.lines()
        .skip(1)
        .zip(paths)
        .filter_map(|(line, path)| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                return None;
            }
            Some(Disk {
                path: path.to_string(),
                filesystem: clean_str(f[0].as_bytes()),
                mount: clean_str(f[5..].join(" ").as_bytes()),
                size_kb: f[1].parse().ok()?,
                used_kb: f[2].parse().ok()?,
                avail_kb: f[3].parse().ok()?,
            })
        })
        .collect()
}

/// MemTotal and MemAvailable from /proc/meminfo, in kB.
pub fn parse_meminfo(text: &str) -> (u64, u64) {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (get("MemTotal:"), get("MemAvailable:"))
}

/// The three load averages of /proc/loadavg, x100.
pub fn parse_loadavg(text: &str) -> [u32; 3] {
    let mut out = [0; 3];
    for (i, f) in text.split_whitespace().take(3).enumerate() {
        out[i] = f
            .parse::<f64>()
            .map(|v| (v * 100.0).round() as u32)
            .unwrap_or(0);
    }
    out
}

/// `docker system df --format '{{json .}}'` lines.
pub fn parse_docker_df(text: &str) -> Option<DockerDisk> {
    let rows: Vec<DockerDiskRow> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            let s = |k: &str| {
                v.get(k)
                    .map(|x| match x {
                        Value::String(s) => clean_str(s.as_bytes()),
                        other => other.to_string(),
                    })
                    .unwrap_or_default()
            };
            DockerDiskRow {
                kind: s("Type"),
                total: s("TotalCount"),
                active: s("Active"),
                size: s("Size"),
                reclaimable: s("Reclaimable"),
            }
        })
        .collect();
    (!rows.is_empty()).then_some(DockerDisk { rows })
}

const SECTION: &str = "@@pilothouse@@";

/// Seconds Docker's disk usage may take before the reading goes without it.
const DOCKER_DF_LIMIT: u32 = 10;

/// The script that reads the host's resources: fixed text and two quoted paths.
fn host_script(docker_root: Option<&str>, docker_socket: &RemotePath, with_df: bool) -> String {
    let root = docker_root.map(quote).unwrap_or_default();
    let df = if with_df {
        format!(
            "timeout {DOCKER_DF_LIMIT} docker -H {} system df --format '{{{{json .}}}}' 2>/dev/null",
            quote(&format!("unix://{}", docker_socket.as_str()))
        )
    } else {
        "true".to_string()
    };
    format!(
        "df -Pk / {root}; echo {SECTION}; cat /proc/meminfo; echo {SECTION}; cat /proc/loadavg; echo {SECTION}; nproc 2>/dev/null; echo {SECTION}; {df}"
    )
}

/// Reads the host's resources once.
pub async fn read_host(
    remote: &Remote,
    docker_root: Option<&str>,
    docker_socket: &RemotePath,
    with_df: bool,
    now: i64,
) -> HostReport {
    let script = host_script(docker_root, docker_socket, with_df);
    let out = if with_df {
        remote.poll_slow(&script, Duration::from_secs(20)).await
    } else {
        remote.poll(&script, Duration::from_secs(20)).await
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            return HostReport {
                at: now,
                error: Some(e),
                ..HostReport::default()
            };
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = text.split(SECTION).collect();
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    let mut paths = vec!["/"];
    if let Some(r) = docker_root {
        paths.push(r);
    }
    let (mem_total_kb, mem_available_kb) = parse_meminfo(part(1));
    let disks = parse_df(part(0), &paths);
    HostReport {
        at: now,
        error: (disks.is_empty()).then(|| {
            format!(
                "df gave nothing: {}",
                clean_str(&out.stderr[..out.stderr.len().min(200)])
            )
        }),
        disks,
        mem_total_kb,
        mem_available_kb,
        load: parse_loadavg(part(2)),
        cpus: part(3).trim().parse().unwrap_or(0),
        docker: if with_df {
            parse_docker_df(part(4))
        } else {
            None
        },
    }
}

/// Each endpoint and how it is reached, set up once per connection.
struct Target {
    endpoint: Endpoint,
    way: Result<Way, String>,
}

/// Asks one endpoint.
async fn check(t: &Target, now: i64) -> EndpointStatus {
    let e = &t.endpoint;
    let mut status = EndpointStatus {
        name: e.name.clone(),
        service: e.service_name().to_string(),
        url: e.url.to_string(),
        up: false,
        http_status: None,
        latency_ms: None,
        error: None,
        info: HealthInfo::default(),
        cert: None,
        checked_at: now,
    };
    let way = match &t.way {
        Ok(w) => w,
        Err(err) => {
            status.error = Some(err.clone());
            return status;
        }
    };
    let limit = e.timeout.0;
    let started = Instant::now();
    let exchange = async {
        let stream = way.connect(limit).await?;
        if e.url.tls {
            let config = tls::client_config(Verify::Full, e.ca_file.as_ref().map(|p| p.path()))?;
            let connector = tokio_rustls::TlsConnector::from(config);
            let name = tls::server_name(&e.url.host)?;
            let tls = connector
                .connect(name, stream)
                .await
                .map_err(|err| format!("TLS: {err}"))?;
            let cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| tls::cert_info(c));
            let resp =
                crate::connection::http::get(tls, &e.url.host, e.url.port, &e.url.path).await?;
            Ok::<_, String>((resp, cert))
        } else {
            let resp =
                crate::connection::http::get(stream, &e.url.host, e.url.port, &e.url.path).await?;
            Ok((resp, None))
        }
    };
    match tokio::time::timeout(limit, exchange).await {
        Err(_) => status.error = Some(format!("no answer within {} s", limit.as_secs_f32())),
        Ok(Err(err)) => status.error = Some(clean_str(err.as_bytes())),
        Ok(Ok((resp, cert))) => {
            status.latency_ms = Some(started.elapsed().as_millis() as u64);
            status.http_status = Some(resp.status);
            status.cert = cert;
            status.info = HealthInfo::from_json(&resp.body, &e.fields);
            let keyword_ok = e
                .require
                .as_ref()
                .is_none_or(|k| String::from_utf8_lossy(&resp.body).contains(k.as_str()));
            status.up = resp.status == e.expect_status && keyword_ok;
            if resp.status != e.expect_status {
                status.error = Some(format!(
                    "HTTP {} (expected {})",
                    resp.status, e.expect_status
                ));
            } else if !keyword_ok {
                status.error = Some("required keyword missing".into());
            }
        }
    }
    status
}

/// Asks every endpoint, all at once.
pub async fn check_endpoints(
    remote: &Remote,
    endpoints: &[Endpoint],
    now: i64,
) -> Vec<EndpointStatus> {
    let targets = targets(remote, endpoints).await;
    futures::future::join_all(targets.iter().map(|t| check(t, now))).await
}

async fn targets(remote: &Remote, endpoints: &[Endpoint]) -> Vec<Target> {
    let mut out = Vec::new();
    for e in endpoints {
        let way = match e.via {
            Via::Host => remote.reach(&e.url.host, e.url.port).await,
            Via::Local => Ok(Way::Tcp {
                host: e.url.host.clone(),
                port: e.url.port,
            }),
        };
        out.push(Target {
            endpoint: e.clone(),
            way,
        });
    }
    out
}

/// Sets up the ways not set up yet (or that failed last time).
async fn refresh_targets(remote: &Remote, endpoints: &[Endpoint], targets: &mut Vec<Target>) {
    if targets.is_empty() {
        *targets = self::targets(remote, endpoints).await;
        return;
    }
    for t in targets.iter_mut().filter(|t| t.way.is_err()) {
        if t.endpoint.via == Via::Host {
            t.way = remote
                .reach(&t.endpoint.url.host, t.endpoint.url.port)
                .await;
        }
    }
}

use pilothouse_core::time::unix_now;

/// How often Docker's own disk usage is read (it is one of the engine's slow calls).
const DOCKER_DF_EVERY: Duration = Duration::from_secs(60);

/// Checks the endpoints every `interval` and the host every `host_interval`, until the
/// receiver is gone.
pub async fn watch(
    settings: HealthSettings,
    remote: Remote,
    docker_root: Option<String>,
    docker_socket: RemotePath,
    out: mpsc::Sender<HealthEvent>,
    pace: super::pace::Pace,
) {
    // Two loops side by side: a slow host reading (Docker's disk usage) never holds up
    // the endpoints, and a forward being set up never holds up the host's reading.
    tokio::join!(
        watch_endpoints(&settings, &remote, &out, pace.clone()),
        watch_host(
            &settings,
            &remote,
            (docker_root.as_deref(), &docker_socket),
            &out,
            pace
        ),
    );
}

async fn watch_endpoints(
    settings: &HealthSettings,
    remote: &Remote,
    out: &mpsc::Sender<HealthEvent>,
    mut pace: super::pace::Pace,
) {
    if settings.endpoints.is_empty() {
        return;
    }
    // Set up on the first tick; a way that could not be set up is tried again next tick.
    let mut targets: Vec<Target> = Vec::new();
    let mut last = None;
    loop {
        pace.next(settings.interval.0, last).await;
        last = Some(tokio::time::Instant::now());
        refresh_targets(remote, &settings.endpoints, &mut targets).await;
        let now = unix_now();
        let all = futures::future::join_all(targets.iter().map(|t| check(t, now))).await;
        if out.send(HealthEvent::Endpoints(all)).await.is_err() {
            return;
        }
    }
}

async fn watch_host(
    settings: &HealthSettings,
    remote: &Remote,
    (docker_root, docker_socket): (Option<&str>, &RemotePath),
    out: &mpsc::Sender<HealthEvent>,
    mut pace: super::pace::Pace,
) {
    let mut last_df: Option<Instant> = None;
    let mut last = None;
    loop {
        pace.next(settings.host_interval.0, last).await;
        last = Some(tokio::time::Instant::now());
        let with_df = last_df.is_none_or(|t| t.elapsed() >= DOCKER_DF_EVERY);
        if with_df {
            last_df = Some(Instant::now());
        }
        let report = read_host(remote, docker_root, docker_socket, with_df, unix_now()).await;
        if out.send(HealthEvent::Host(Box::new(report))).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_json_gives_build_info_in_several_shapes() {
        let body = br#"{"status":"ok","database":"connected","version":"v2","build":{"number":"102","commit":"5d6e7f8","date":"2026-11-15T14:30:00Z"},"uptime":42}"#;
        let i = HealthInfo::from_json(body, &["build.commit".into(), "missing".into()]);
        assert_eq!(i.status.as_deref(), Some("ok"));
        assert_eq!(i.database.as_deref(), Some("connected"));
        assert_eq!(i.build_number.as_deref(), Some("102"));
        assert_eq!(i.build_commit.as_deref(), Some("5d6e7f8"));
        assert_eq!(i.uptime_s, Some(42));
        assert_eq!(
            i.fields,
            vec![("build.commit".to_string(), "5d6e7f8".to_string())]
        );
        let nest = br#"{"status":"up","info":{"database":{"status":"up"}},"gitCommit":"abc","buildNumber":7}"#;
        let i = HealthInfo::from_json(nest, &[]);
        assert_eq!(
            (
                i.database.as_deref(),
                i.build_commit.as_deref(),
                i.build_number.as_deref()
            ),
            (Some("up"), Some("abc"), Some("7"))
        );
        assert_eq!(
            HealthInfo::from_json(b"not json", &[]),
            HealthInfo::default()
        );
        let hostile = "{\"version\":\"v1\\u001b]0;pwned\\u0007\"}";
        let i = HealthInfo::from_json(hostile.as_bytes(), &[]);
        assert!(!i.version.unwrap_or_default().contains('\u{1b}'));
    }

    #[test]
    fn host_readings_parse() {
        let df = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 1000 850 150 85% /\n/dev/vdb 2000 1900 100 95% /var/lib/docker\n";
        let d = parse_df(df, &["/", "/var/lib/docker"]);
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].used_pct(), d[1].used_pct(), d[1].mount.as_str()),
            (85, 95, "/var/lib/docker")
        );
        assert!(!d[0].same_filesystem(&d[1]));
        // The docker root bind-mounted from /'s disk: the same filesystem.
        let bound = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 1000 850 150 85% /\n/dev/vda 1000 850 150 85% /var/lib/docker\n";
        let d = parse_df(bound, &["/", "/var/lib/docker"]);
        assert!(d[0].same_filesystem(&d[1]) && d[1].filesystem == "/dev/vda");
        assert_eq!(
            parse_meminfo("MemTotal:  1000 kB\nMemFree: 1 kB\nMemAvailable:   250 kB\n"),
            (1000, 250)
        );
        assert_eq!(parse_loadavg("0.52 1.00 12.25 2/77 1"), [52, 100, 1225]);
        let dd = parse_docker_df(
            "{\"Active\":\"10\",\"Reclaimable\":\"1.2GB (50%)\",\"Size\":\"2.4GB\",\"TotalCount\":\"12\",\"Type\":\"Images\"}\n",
        );
        assert_eq!(
            dd.map(|d| d.rows[0].reclaimable.clone()).as_deref(),
            Some("1.2GB (50%)")
        );
    }

    #[test]
    fn the_host_script_quotes_its_paths() {
        let sock = RemotePath::parse("/var/run/docker.sock").expect("valid");
        let s = host_script(Some("/var/lib/it's"), &sock, true);
        assert!(s.contains("df -Pk / '/var/lib/it'\\''s';"), "{s}");
        assert!(
            s.contains("docker -H 'unix:///var/run/docker.sock' system df --format '{{json .}}'"),
            "{s}"
        );
    }
}

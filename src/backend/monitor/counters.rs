//! CPU and memory of running containers from their cgroup counters, read for all of a
//! connection's containers in one command per interval through the poll shell: no
//! stream per container, nothing for the engine to collect. Rates are computed here.
//!
//! Each container's cgroup is found from what the kernel says about its main process
//! (`/proc/PID/cgroup`, the PID the engine reported) and where the cgroup hierarchies
//! are mounted (`/proc/self/mounts`): never guessed from the cgroup driver's naming.
//! cgroup v2 (`cpu.stat`, `memory.current`, `memory.max`, `memory.stat`) and v1
//! (`cpuacct.usage`, `memory.usage_in_bytes`, `memory.limit_in_bytes`, `memory.stat`)
//! are both read. A container whose counters cannot be read gets the engine's own
//! one-shot stats instead, at the same cadence, and its usage says so.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::StatsOptions;
use futures::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::connection::remote::Remote;
use pilothouse_core::model::container::{Usage, UsageSource};
use pilothouse_core::shell::quote;

/// What one poll may take before the reading is skipped.
const POLL_LIMIT: Duration = Duration::from_secs(10);

/// The lines the counter read keeps: single numbers (usage, limits, `cpuacct.usage`),
/// `max`, `usage_usec N` (cpu.stat), the inactive file cache (memory.stat), the host's
/// memory and its uptime (the time base of the rates).
const KEEP: &str =
    "^([0-9]+|max|usage_usec [0-9]+|(total_)?inactive_file [0-9]+|MemTotal: .*|[0-9.]+ [0-9.]+)$";

/// Where one container's counters are.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Files {
    V2 {
        dir: String,
    },
    V1 {
        cpuacct: String,
        memory: String,
    },
    /// Not readable: the engine's stats are used.
    Engine,
}

impl Files {
    fn paths(&self) -> Vec<String> {
        match self {
            Files::V2 { dir } => ["cpu.stat", "memory.current", "memory.max", "memory.stat"]
                .iter()
                .map(|f| format!("{dir}/{f}"))
                .collect(),
            Files::V1 { cpuacct, memory } => vec![
                format!("{cpuacct}/cpuacct.usage"),
                format!("{memory}/memory.usage_in_bytes"),
                format!("{memory}/memory.limit_in_bytes"),
                format!("{memory}/memory.stat"),
            ],
            Files::Engine => Vec::new(),
        }
    }
}

/// A path the host gave that may go into a command: absolute, plain characters only.
fn plain_path(p: &str) -> bool {
    p.starts_with('/')
        && p.len() < 512
        && !p.contains("..")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-@,=+".contains(c))
}

/// The cgroup mounts in `/proc/self/mounts`: (mount point, is v2, its options).
fn parse_mounts(text: &str) -> Vec<(String, bool, Vec<String>)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(' ');
            let (_, point, kind, opts) = (f.next()?, f.next()?, f.next()?, f.next()?);
            let v2 = match kind {
                "cgroup2" => true,
                "cgroup" => false,
                _ => return None,
            };
            plain_path(point).then(|| {
                (
                    point.to_string(),
                    v2,
                    opts.split(',').map(str::to_string).collect(),
                )
            })
        })
        .collect()
}

/// A process's counter files from its `/proc/PID/cgroup` and the mounts.
fn files_of(cgroup: &str, mounts: &[(String, bool, Vec<String>)]) -> Files {
    let v1 = |controller: &str| -> Option<String> {
        let line = cgroup.lines().find(|l| {
            l.split(':')
                .nth(1)
                .is_some_and(|c| c.split(',').any(|c| c == controller))
        })?;
        let path = line.splitn(3, ':').nth(2)?;
        let (point, _, _) = mounts
            .iter()
            .find(|(_, v2, opts)| !v2 && opts.iter().any(|o| o == controller))?;
        let dir = format!("{}{}", point, path.trim_end_matches('/'));
        plain_path(&dir).then_some(dir)
    };
    if let (Some(cpuacct), Some(memory)) = (v1("cpuacct"), v1("memory")) {
        return Files::V1 { cpuacct, memory };
    }
    let unified = cgroup.lines().find_map(|l| l.strip_prefix("0::"));
    let point = mounts.iter().find(|(_, v2, _)| *v2).map(|(p, _, _)| p);
    match (unified, point) {
        (Some(path), Some(point)) => {
            let dir = format!("{}{}", point, path.trim_end_matches('/'));
            if plain_path(&dir) {
                Files::V2 { dir }
            } else {
                Files::Engine
            }
        }
        _ => Files::Engine,
    }
}

/// `grep -H` output as file → its kept lines.
fn by_file(text: &str) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in text.lines() {
        if let Some((file, rest)) = line.split_once(':') {
            out.entry(file).or_default().push(rest);
        }
    }
    out
}

/// One container's raw counters: CPU time in ns, memory used (cache excluded), limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reading {
    cpu_ns: u64,
    mem_used: u64,
    /// None: no limit.
    mem_limit: Option<u64>,
}

fn number(lines: Option<&Vec<&str>>) -> Option<u64> {
    lines?.first()?.trim().parse().ok()
}

fn field(lines: Option<&Vec<&str>>, name: &str) -> Option<u64> {
    lines?
        .iter()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn reading(files: &Files, got: &HashMap<&str, Vec<&str>>) -> Option<Reading> {
    let get = |p: String| got.get(p.as_str());
    match files {
        Files::V2 { dir } => {
            let usage = number(get(format!("{dir}/memory.current")))?;
            let cache = field(get(format!("{dir}/memory.stat")), "inactive_file").unwrap_or(0);
            Some(Reading {
                cpu_ns: field(get(format!("{dir}/cpu.stat")), "usage_usec")?.saturating_mul(1000),
                mem_used: usage.saturating_sub(cache),
                mem_limit: number(get(format!("{dir}/memory.max"))),
            })
        }
        Files::V1 { cpuacct, memory } => {
            let usage = number(get(format!("{memory}/memory.usage_in_bytes")))?;
            let stat = get(format!("{memory}/memory.stat"));
            let cache = field(stat, "total_inactive_file")
                .or_else(|| field(stat, "inactive_file"))
                .unwrap_or(0);
            Some(Reading {
                cpu_ns: number(get(format!("{cpuacct}/cpuacct.usage")))?,
                mem_used: usage.saturating_sub(cache),
                mem_limit: number(get(format!("{memory}/memory.limit_in_bytes"))),
            })
        }
        Files::Engine => None,
    }
}

/// The host's uptime in ns (the time base) and its memory in bytes.
fn host_clock(got: &HashMap<&str, Vec<&str>>) -> Option<(u64, u64)> {
    let up = got.get("/proc/uptime")?.first()?.split(' ').next()?;
    let (secs, frac) = up.split_once('.').unwrap_or((up, "0"));
    let frac = format!("{frac:0<9}");
    let ns = secs.parse::<u64>().ok()?.checked_mul(1_000_000_000)?
        + frac.get(..9)?.parse::<u64>().ok()?;
    let mem_kb = got
        .get("/proc/meminfo")?
        .first()?
        .strip_prefix("MemTotal:")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some((ns, mem_kb * 1024))
}

/// CPU as `docker stats` shows it (100 % is one core) between two readings.
fn usage(before: (u64, Reading), now: (u64, Reading), host_mem: u64) -> Usage {
    let wall = now.0.saturating_sub(before.0).max(1) as f64;
    let cpu = now.1.cpu_ns.saturating_sub(before.1.cpu_ns) as f64;
    let centi = (cpu / wall * 10_000.0)
        .round()
        .clamp(0.0, f64::from(u32::MAX)) as u32;
    // No limit, or one at or above the host's memory (cgroup v1 writes a huge number):
    // 0, and the table shows no denominator (docker stats would show the host's memory).
    let limit = now.1.mem_limit.filter(|l| *l < host_mem).unwrap_or(0);
    Usage {
        cpu_centipercent: centi,
        mem_used: now.1.mem_used,
        mem_limit: limit,
        source: UsageSource::Cgroup,
    }
}

/// The handle: which containers run (id → the PID of their main process) and whether
/// the environment is on screen.
pub struct Counters {
    running: watch::Sender<HashMap<String, u32>>,
    on_screen: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Counters {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How often: `every` on screen, `background` otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Cadence {
    pub every: Duration,
    pub background: Duration,
}

impl Counters {
    pub fn start(
        remote: Remote,
        docker: Docker,
        cadence: Cadence,
        out: mpsc::Sender<Vec<(String, Usage)>>,
    ) -> Counters {
        let (running, running_rx) = watch::channel(HashMap::new());
        let (on_screen, screen_rx) = watch::channel(true);
        let task = tokio::spawn(read_loop(
            remote, docker, cadence, running_rx, screen_rx, out,
        ));
        Counters {
            running,
            on_screen,
            task,
        }
    }

    /// A container runs (with its main process's PID) or not.
    pub fn set_running(&self, id: &str, pid: Option<u32>) {
        self.running.send_if_modified(|m| match pid {
            Some(p) if p > 0 => m.insert(id.to_string(), p) != Some(p),
            _ => m.remove(id).is_some(),
        });
    }

    pub fn set_on_screen(&self, on: bool) {
        self.on_screen
            .send_if_modified(|v| std::mem::replace(v, on) != on);
    }
}

/// What the read loop keeps between readings.
#[derive(Default)]
struct Known {
    /// id → (pid, its files).
    files: HashMap<String, (u32, Files)>,
    /// id → (host ns, reading).
    last: HashMap<String, (u64, Reading)>,
    mounts: Option<Vec<(String, bool, Vec<String>)>>,
}

async fn read_loop(
    remote: Remote,
    docker: Docker,
    cadence: Cadence,
    running: watch::Receiver<HashMap<String, u32>>,
    mut on_screen: watch::Receiver<bool>,
    out: mpsc::Sender<Vec<(String, Usage)>>,
) {
    let mut known = Known::default();
    loop {
        let now_running = running.borrow().clone();
        known
            .files
            .retain(|id, (pid, _)| now_running.get(id) == Some(pid));
        known
            .last
            .retain(|id, _| known.files.contains_key(id) || now_running.contains_key(id));
        resolve(&remote, &now_running, &mut known).await;
        let mut batch = read_counters(&remote, &mut known).await;
        batch.extend(engine_stats(&docker, &known).await);
        // A container read for the first time gets its first rate a second later, not
        // a whole interval later.
        let first_reading = known
            .last
            .keys()
            .any(|id| !batch.iter().any(|(b, _)| b == id));
        if !batch.is_empty() && out.send(batch).await.is_err() {
            return;
        }
        let mut wait = if *on_screen.borrow() {
            cadence.every
        } else {
            cadence.background
        };
        if first_reading {
            wait = wait.min(Duration::from_secs(1));
        }
        // Coming back on screen reads at once.
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = on_screen.wait_for(|on| *on), if !*on_screen.borrow() => {}
        }
    }
}

/// Finds the counter files of running containers not resolved yet: one poll.
async fn resolve(remote: &Remote, running: &HashMap<String, u32>, known: &mut Known) {
    let new: Vec<(&String, u32)> = running
        .iter()
        .filter(|(id, _)| !known.files.contains_key(*id))
        .map(|(id, pid)| (id, *pid))
        .collect();
    if new.is_empty() {
        return;
    }
    let mut script = String::from("grep -H '' /proc/self/mounts");
    for (_, pid) in &new {
        script.push_str(&format!(" /proc/{pid}/cgroup"));
    }
    script.push_str(" 2>/dev/null");
    let Ok(out) = remote.poll(&script, POLL_LIMIT).await else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut per_file: HashMap<&str, String> = HashMap::new();
    for line in text.lines() {
        if let Some((file, rest)) = line.split_once(':') {
            let e = per_file.entry(file).or_default();
            e.push_str(rest);
            e.push('\n');
        }
    }
    let mounts = parse_mounts(per_file.get("/proc/self/mounts").map_or("", String::as_str));
    known.mounts = Some(mounts);
    let mounts = known.mounts.as_deref().unwrap_or_default();
    for (id, pid) in new {
        let files = match per_file.get(format!("/proc/{pid}/cgroup").as_str()) {
            Some(cg) => files_of(cg, mounts),
            None => Files::Engine,
        };
        known.files.insert(id.clone(), (pid, files));
    }
}

/// One poll for every resolved container's counters; the usage of those with two
/// readings.
async fn read_counters(remote: &Remote, known: &mut Known) -> Vec<(String, Usage)> {
    let paths: Vec<String> = known.files.values().flat_map(|(_, f)| f.paths()).collect();
    if paths.is_empty() {
        return Vec::new();
    }
    let script = format!(
        "grep -H -E {} /proc/uptime /proc/meminfo {} 2>/dev/null",
        quote(KEEP),
        pilothouse_core::shell::quote_all(&paths)
    );
    let Ok(out) = remote.poll(&script, POLL_LIMIT).await else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let got = by_file(&text);
    let Some((clock, host_mem)) = host_clock(&got) else {
        return Vec::new();
    };
    let mut batch = Vec::new();
    for (id, (_, files)) in known.files.iter_mut() {
        if *files == Files::Engine {
            continue;
        }
        let Some(r) = reading(files, &got) else {
            // Resolved but unreadable (permissions, a hierarchy not mounted here).
            *files = Files::Engine;
            continue;
        };
        if let Some(before) = known.last.insert(id.clone(), (clock, r)) {
            batch.push((id.clone(), usage(before, (clock, r), host_mem)));
        }
    }
    batch
}

/// The engine's one-shot stats for the containers whose counters cannot be read.
async fn engine_stats(docker: &Docker, known: &Known) -> Vec<(String, Usage)> {
    let ids: Vec<String> = known
        .files
        .iter()
        .filter(|(_, (_, f))| *f == Files::Engine)
        .map(|(id, _)| id.clone())
        .collect();
    futures::stream::iter(ids)
        .map(|id| async move {
            let mut s = docker.stats(
                &id,
                Some(StatsOptions {
                    stream: false,
                    one_shot: false,
                }),
            );
            let sample = tokio::time::timeout(POLL_LIMIT, s.next())
                .await
                .ok()??
                .ok()?;
            let mut u = crate::monitor::stats::usage(&sample)?;
            u.source = UsageSource::Engine;
            Some((id, u))
        })
        .buffer_unordered(4)
        .filter_map(|x| async move { x })
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTS_V1: &str = "sysfs /sys sysfs rw 0 0\ntmpfs /sys/fs/cgroup tmpfs ro 0 0\ncgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,nosuid,memory 0 0\n";
    const MOUNTS_V2: &str = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n";

    #[test]
    fn the_cgroup_comes_from_the_process_and_the_mounts() {
        let v1 = files_of(
            "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n",
            &parse_mounts(MOUNTS_V1),
        );
        assert_eq!(
            v1,
            Files::V1 {
                cpuacct: "/sys/fs/cgroup/cpu,cpuacct/docker/abc".into(),
                memory: "/sys/fs/cgroup/memory/docker/abc".into(),
            }
        );
        let v2 = files_of(
            "0::/system.slice/docker-abc.scope\n",
            &parse_mounts(MOUNTS_V2),
        );
        assert_eq!(
            v2,
            Files::V2 {
                dir: "/sys/fs/cgroup/system.slice/docker-abc.scope".into()
            }
        );
        // Hostile or odd paths are never put into a command.
        let odd = files_of("0::/x/$(id)\n", &parse_mounts(MOUNTS_V2));
        assert_eq!(odd, Files::Engine);
        let up = files_of("0::/../../etc\n", &parse_mounts(MOUNTS_V2));
        assert_eq!(up, Files::Engine);
        assert_eq!(files_of("", &parse_mounts(MOUNTS_V2)), Files::Engine);
    }

    #[test]
    fn rates_and_memory_are_counted_like_docker_stats() {
        let f = Files::V2 { dir: "/c".into() };
        let text = |usec: u64, up: &str| {
            format!(
                "/proc/uptime:{up} 99.00\n/proc/meminfo:MemTotal:       2048 kB\n/c/cpu.stat:usage_usec {usec}\n/c/memory.current:{}\n/c/memory.max:max\n/c/memory.stat:inactive_file {}\n",
                300 * 1024,
                100 * 1024
            )
        };
        let a = text(1_000_000, "100.00");
        let b = text(1_500_000, "102.00");
        let (ga, gb) = (by_file(&a), by_file(&b));
        let (ca, mem) = host_clock(&ga).expect("clock");
        let (cb, _) = host_clock(&gb).expect("clock");
        let ra = reading(&f, &ga).expect("reading");
        let rb = reading(&f, &gb).expect("reading");
        let u = usage((ca, ra), (cb, rb), mem);
        // 0.5 s of CPU in 2 s of wall time: 25 % of one core.
        assert_eq!(u.cpu_centipercent, 2500);
        assert_eq!(u.mem_used, 200 * 1024);
        assert_eq!(u.mem_limit, 0, "no limit of its own: none shown");
        let v1 = Files::V1 {
            cpuacct: "/a".into(),
            memory: "/m".into(),
        };
        let t = "/a/cpuacct.usage:5000\n/m/memory.usage_in_bytes:4096\n/m/memory.limit_in_bytes:9223372036854771712\n/m/memory.stat:inactive_file 1\n/m/memory.stat:total_inactive_file 1024\n";
        let r = reading(&v1, &by_file(t)).expect("v1 reading");
        assert_eq!((r.cpu_ns, r.mem_used), (5000, 3072));
    }
}

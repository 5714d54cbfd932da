//! BullMQ queues and their Redis as one reading sees them, and the pure parsing of what
//! Redis answers (the read script's JSON, `INFO`, `CLIENT LIST`). Every text that came
//! from Redis is sanitized here, on arrival, and masked.

use std::collections::BTreeMap;

use serde::Deserialize;

/// How many failed jobs of the selected queue a reading lists.
pub const FAILED_LISTED: usize = 20;

/// One queue's job counts, as BullMQ's `Queue.getJobCounts()` names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub waiting: u64,
    pub active: u64,
    pub delayed: u64,
    pub prioritized: u64,
    pub failed: u64,
    pub completed: u64,
    pub waiting_children: u64,
}

/// One queue in one reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueReading {
    pub name: String,
    pub counts: Counts,
    pub paused: bool,
    /// Age of the oldest waiting job, in ms (Redis's clock against the job's timestamp).
    pub oldest_waiting_ms: Option<u64>,
    /// Workers connected (BullMQ's named client connections).
    pub workers: u32,
    /// Jobs that completed and failed since the previous reading (from the queue's
    /// event stream); None on the first reading.
    pub completed_since: Option<u64>,
    pub failed_since: Option<u64>,
}

/// A failed job of the selected queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedJob {
    pub id: String,
    pub name: String,
    pub attempts: u32,
    pub reason: String,
    /// When it failed, ms since the epoch.
    pub at_ms: Option<i64>,
}

/// Redis itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedisInfo {
    pub version: String,
    pub used_memory: u64,
    /// 0: no limit.
    pub maxmemory: u64,
    pub policy: String,
    pub evicted_keys: u64,
    pub connected_clients: u64,
    pub ops_per_sec: u64,
    pub role: String,
    /// Replicas connected (a primary) or the link's state (a replica).
    pub replication: String,
}

impl RedisInfo {
    /// Anything but `noeviction` lets Redis delete BullMQ's keys under memory pressure.
    pub fn evicting_policy(&self) -> bool {
        !self.policy.is_empty() && self.policy != "noeviction"
    }

    /// Used memory in percent of `maxmemory`, when there is a limit.
    pub fn memory_percent(&self) -> Option<u64> {
        (self.maxmemory > 0).then(|| self.used_memory.saturating_mul(100) / self.maxmemory)
    }
}

/// Everything one reading found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuesReading {
    pub redis: RedisInfo,
    pub queues: Vec<QueueReading>,
    /// The failed jobs of the queue asked for, newest first.
    pub failed: Option<(String, Vec<FailedJob>)>,
}

/// What the queue monitor reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueuesEvent {
    Reading(Box<QueuesReading>),
    /// Redis could not be reached or read; the last reading is stale.
    Failed(String),
}

/// What the read script returns (JSON from Redis's own `cjson`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScriptReply {
    #[serde(default)]
    pub info: String,
    #[serde(default, deserialize_with = "map_or_empty")]
    pub queues: BTreeMap<String, ScriptQueue>,
    pub scan: Option<ScriptScan>,
    #[serde(default, deserialize_with = "map_or_empty")]
    pub failed: BTreeMap<String, ScriptFailed>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScriptQueue {
    #[serde(default)]
    pub wait: f64,
    #[serde(default)]
    pub active: f64,
    #[serde(default)]
    pub delayed: f64,
    #[serde(default)]
    pub prioritized: f64,
    #[serde(default)]
    pub failed: f64,
    #[serde(default)]
    pub completed: f64,
    #[serde(default)]
    pub children: f64,
    #[serde(default)]
    pub paused: f64,
    pub oldest: Option<f64>,
    /// The event stream's last id read.
    #[serde(default)]
    pub last: String,
    pub done: Option<f64>,
    pub fails: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScriptScan {
    pub cursor: String,
    #[serde(default, deserialize_with = "list_or_empty")]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScriptFailed {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub attempts: f64,
    #[serde(default)]
    pub reason: String,
    pub at: Option<f64>,
}

/// Lua's `cjson` writes an empty table as `{}` whether a list or a map was meant.
fn list_or_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(a) => Ok(a
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()),
        _ => Ok(Vec::new()),
    }
}

fn map_or_empty<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| {
                serde_json::from_value(v)
                    .map(|t| (k, t))
                    .map_err(serde::de::Error::custom)
            })
            .collect(),
        _ => Ok(BTreeMap::new()),
    }
}

/// The read script's reply, or why it is not one.
pub fn parse_script_reply(json: &str) -> Result<ScriptReply, String> {
    serde_json::from_str(json).map_err(|e| format!("Redis's answer could not be read: {e}"))
}

/// One step of the search for queue names.
pub fn parse_scan_step(json: &str) -> Result<ScriptScan, String> {
    serde_json::from_str(json).map_err(|e| format!("Redis's SCAN answer could not be read: {e}"))
}

/// A count from Lua (a double), never negative or fractional.
pub fn count(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.min(u64::MAX as f64) as u64
    } else {
        0
    }
}

/// The fields of `INFO` this console shows.
pub fn parse_info(text: &str) -> RedisInfo {
    let mut r = RedisInfo::default();
    let mut replicas = 0u64;
    let mut link = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.trim_end_matches('\r').split_once(':') else {
            continue;
        };
        let num = || value.trim().parse::<u64>().unwrap_or(0);
        match key {
            "redis_version" => r.version = crate::text::clean(value, 32),
            "used_memory" => r.used_memory = num(),
            "maxmemory" => r.maxmemory = num(),
            "maxmemory_policy" => r.policy = crate::text::clean(value, 32),
            "evicted_keys" => r.evicted_keys = num(),
            "connected_clients" => r.connected_clients = num(),
            "instantaneous_ops_per_sec" => r.ops_per_sec = num(),
            "role" => r.role = crate::text::clean(value, 16),
            "connected_slaves" => replicas = num(),
            "master_link_status" => link = crate::text::clean(value, 16),
            _ => {}
        }
    }
    r.replication = if r.role == "slave" {
        r.role = "replica".into();
        format!("link {}", if link.is_empty() { "?" } else { &link })
    } else {
        format!("{replicas} replica{}", if replicas == 1 { "" } else { "s" })
    };
    r
}

/// The name BullMQ gives the connections of a worker of `queue` (`<prefix>:<base64>`;
/// a named worker's connection adds `:w:<name>`).
pub fn worker_client_name(prefix: &str, queue: &str) -> String {
    format!("{prefix}:{}", base64(queue.as_bytes()))
}

/// Workers connected per queue, from `CLIENT LIST` (one client a line, `name=` field).
pub fn workers_by_queue(client_list: &str, prefix: &str, queues: &[String]) -> Vec<u32> {
    let wanted: Vec<String> = queues
        .iter()
        .map(|q| worker_client_name(prefix, q))
        .collect();
    let mut counts = vec![0u32; queues.len()];
    for line in client_list.lines() {
        let Some(name) = line
            .split(' ')
            .find_map(|field| field.strip_prefix("name="))
        else {
            continue;
        };
        for (i, w) in wanted.iter().enumerate() {
            let named = name
                .strip_prefix(w.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(":w:"));
            if named {
                counts[i] = counts[i].saturating_add(1);
            }
        }
    }
    counts
}

/// Standard base64 with padding, as Node's `Buffer.toString('base64')`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A reading from the script's reply and the client list, for `names` in that order.
/// Reasons and names are sanitized and masked here.
pub fn reading(
    reply: &ScriptReply,
    client_list: &str,
    prefix: &str,
    names: &[String],
    failed_of: Option<&str>,
) -> QueuesReading {
    let workers = workers_by_queue(client_list, prefix, names);
    let queues = names
        .iter()
        .zip(workers)
        .filter_map(|(name, workers)| {
            let q = reply.queues.get(name)?;
            Some(QueueReading {
                name: name.clone(),
                counts: Counts {
                    waiting: count(q.wait),
                    active: count(q.active),
                    delayed: count(q.delayed),
                    prioritized: count(q.prioritized),
                    failed: count(q.failed),
                    completed: count(q.completed),
                    waiting_children: count(q.children),
                },
                paused: q.paused > 0.0,
                oldest_waiting_ms: q.oldest.map(count),
                workers,
                completed_since: q.done.map(count),
                failed_since: q.fails.map(count),
            })
        })
        .collect();
    let failed = failed_of.map(|queue| {
        let mut jobs: Vec<FailedJob> = reply
            .failed
            .iter()
            .map(|(id, f)| FailedJob {
                id: crate::text::clean(id, 64),
                name: crate::mask::string(&crate::text::clean(&f.name, 80)),
                attempts: count(f.attempts).min(u64::from(u32::MAX)) as u32,
                reason: crate::mask::string(&crate::text::clean(&f.reason, 500)),
                at_ms: f.at.filter(|v| v.is_finite()).map(|v| v as i64),
            })
            .collect();
        jobs.sort_by(|a, b| b.at_ms.cmp(&a.at_ms).then_with(|| b.id.cmp(&a.id)));
        jobs.truncate(FAILED_LISTED);
        (queue.to_string(), jobs)
    });
    QueuesReading {
        redis: parse_info(&reply.info),
        queues,
        failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_node() {
        assert_eq!(base64(b"order-sync"), "b3JkZXItc3luYw==");
        assert_eq!(base64(b"labels"), "bGFiZWxz");
        assert_eq!(base64(b"prints"), "cHJpbnRz");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn workers_are_counted_by_their_connection_names() {
        let list = "id=1 addr=x name=bull:cHJpbnRz:w:prints-worker age=1\n\
                    id=2 addr=x name=bull:cHJpbnRz age=1\n\
                    id=3 addr=x name=bull:cHJpbnRz:qe age=1\n\
                    id=4 addr=x name= age=1\n\
                    id=5 addr=x name=bull:bGFiZWxz:w:x age=1\n";
        let got = workers_by_queue(
            list,
            "bull",
            &["prints".into(), "labels".into(), "order-sync".into()],
        );
        assert_eq!(got, vec![2, 1, 0]);
    }

    #[test]
    fn info_fields_and_the_eviction_rule() {
        let info = "# Server\r\nredis_version:7.0.15\r\n# Memory\r\nused_memory:1048576\r\n\
                    maxmemory:2097152\r\nmaxmemory_policy:allkeys-lru\r\n# Stats\r\n\
                    evicted_keys:3\r\ninstantaneous_ops_per_sec:12\r\n# Clients\r\n\
                    connected_clients:9\r\n# Replication\r\nrole:master\r\nconnected_slaves:1\r\n";
        let r = parse_info(info);
        assert_eq!(r.version, "7.0.15");
        assert_eq!(r.memory_percent(), Some(50));
        assert!(r.evicting_policy());
        assert_eq!(
            (r.evicted_keys, r.ops_per_sec, r.connected_clients),
            (3, 12, 9)
        );
        assert_eq!(
            (r.role.as_str(), r.replication.as_str()),
            ("master", "1 replica")
        );
        assert!(!parse_info("maxmemory_policy:noeviction").evicting_policy());
        assert_eq!(parse_info("").memory_percent(), None);
    }

    #[test]
    fn the_script_reply_reads_with_empty_tables_either_way() {
        let json = r#"{"info":"role:master","queues":{"prints":{"wait":3,"active":1,
            "delayed":2,"prioritized":0,"failed":5,"completed":7,"children":0,"paused":1,
            "oldest":1500,"last":"1-0","done":4,"fails":1}},"scan":{"cursor":"0","names":{}},
            "failed":{"9":{"name":"p\u001b[31mx","attempts":2,"reason":"printer offline","at":1700000000000}}}"#;
        let reply = parse_script_reply(json).expect("the reply parses");
        let r = reading(&reply, "", "bull", &["prints".into()], Some("prints"));
        let q = &r.queues[0];
        assert_eq!((q.counts.waiting, q.counts.failed, q.paused), (3, 5, true));
        assert_eq!(
            (q.oldest_waiting_ms, q.completed_since),
            (Some(1500), Some(4))
        );
        let (_, jobs) = r.failed.expect("failed jobs asked for");
        assert_eq!(jobs[0].attempts, 2);
        assert!(!jobs[0].name.contains('\u{1b}'));
        assert!(reply.scan.expect("a scan step").names.is_empty());
        let empty = parse_script_reply(r#"{"info":"","queues":{},"failed":{}}"#)
            .expect("empty tables parse");
        assert!(empty.queues.is_empty());
        assert!(parse_script_reply("not json").is_err());
    }
}

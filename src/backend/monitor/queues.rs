//! The queue monitor: BullMQ's queues and their Redis, read over one connection per
//! environment at the configured interval.
//!
//! A reading is two commands: one `EVAL` of [`READ_SCRIPT`] (O(1) commands per queue:
//! LLEN, ZCARD, HEXISTS, the oldest waiting job's timestamp, the queue's new events
//! since the last reading; `INFO`; the selected queue's newest failed jobs) and one
//! `CLIENT LIST` (the workers' named connections). Queue names come from the config or
//! from `SCAN … MATCH <prefix>:*:meta`, a bounded step at a time, never `KEYS`.
//! Nothing here writes to Redis.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::ListContainersOptions;
use tokio::sync::{mpsc, watch};

use crate::connection::remote::Remote;
use crate::monitor::redis::{Conn, Reply};
use pilothouse_core::config::queues::{QueueSettings, RedisVia, queue_name_ok};
use pilothouse_core::model::queues::{self, QueuesEvent};

/// What one command may take.
const CALL_LIMIT: Duration = Duration::from_secs(10);
/// How often the key space is searched again for new queues.
const RESCAN: Duration = Duration::from_secs(60);
/// SCAN steps (of COUNT 1000) per reading while a search is under way.
const SCAN_STEPS: usize = 50;
/// The most queues watched (found by SCAN).
const MAX_QUEUES: usize = 200;

/// Reads the queues. Runs in Lua inside Redis, returns JSON (Redis's `cjson`).
/// ARGV: prefix, the queue whose failed jobs to list (or ""), then (name, last event
/// id or "") pairs.
pub const READ_SCRIPT: &str = r#"
local prefix, failedOf = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {info = redis.call('INFO'), queues = {}, failed = {}}
local i = 3
while ARGV[i] do
  local name, last = ARGV[i], ARGV[i + 1]
  i = i + 2
  local k = prefix .. ':' .. name .. ':'
  local q = {}
  local wait = redis.call('LLEN', k .. 'wait')
  local tail = redis.call('LINDEX', k .. 'wait', -1)
  if tail and string.sub(tail, 1, 2) == '0:' then
    wait = wait - 1
    tail = redis.call('LINDEX', k .. 'wait', -2)
  end
  q.wait = wait
  q.active = redis.call('LLEN', k .. 'active')
  q.delayed = redis.call('ZCARD', k .. 'delayed')
  q.prioritized = redis.call('ZCARD', k .. 'prioritized')
  q.failed = redis.call('ZCARD', k .. 'failed')
  q.completed = redis.call('ZCARD', k .. 'completed')
  q.children = redis.call('ZCARD', k .. 'waiting-children')
  q.paused = redis.call('HEXISTS', k .. 'meta', 'paused')
  if tail then
    local ts = tonumber(redis.call('HGET', k .. tail, 'timestamp'))
    if ts then q.oldest = math.max(0, now - ts) end
  end
  if last == '' then
    local e = redis.call('XREVRANGE', k .. 'events', '+', '-', 'COUNT', 1)
    q.last = (e[1] and e[1][1]) or '0-0'
  else
    local es = redis.call('XRANGE', k .. 'events', '(' .. last, '+', 'COUNT', 10000)
    local done, fails = 0, 0
    for _, e in ipairs(es) do
      local f = e[2]
      for j = 1, #f, 2 do
        if f[j] == 'event' then
          if f[j + 1] == 'completed' then done = done + 1
          elseif f[j + 1] == 'failed' then fails = fails + 1 end
          break
        end
      end
      last = e[1]
    end
    q.last, q.done, q.fails = last, done, fails
  end
  out.queues[name] = q
end
if failedOf ~= '' then
  local k = prefix .. ':' .. failedOf .. ':'
  for _, id in ipairs(redis.call('ZREVRANGE', k .. 'failed', 0, 19)) do
    local h = redis.call('HMGET', k .. id, 'name', 'atm', 'attemptsMade', 'failedReason',
      'finishedOn')
    out.failed[id] = {name = h[1] or '', attempts = tonumber(h[2]) or tonumber(h[3]) or 0,
      reason = string.sub(h[4] or '', 1, 500), at = tonumber(h[5])}
  end
end
return cjson.encode(out)
"#;

/// One SCAN step for queue names. ARGV: cursor, the pattern.
const SCAN_SCRIPT: &str = r#"
local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', 1000)
return cjson.encode({cursor = r[1], names = r[2]})
"#;

/// Where the monitor is connected.
pub struct QueueTarget {
    pub docker: Option<Docker>,
    pub remote: Remote,
    /// The compose project (for `exec`).
    pub project: Option<String>,
    /// The project's env file on the host (for a password read from it); empty on a
    /// swarm.
    pub env_file: String,
}

/// Watches the queues until the connection's tasks are dropped. `failed_of` names the
/// queue whose failed jobs are listed (the view's selection); a change reads at once.
pub async fn watch(
    settings: QueueSettings,
    target: QueueTarget,
    out: mpsc::Sender<QueuesEvent>,
    (mut failed_of, mut pace): (watch::Receiver<Option<String>>, super::pace::Pace),
) {
    let mut backoff = settings.interval.0;
    loop {
        let conn = connect(&settings, &target).await;
        let mut conn = match conn {
            Ok(c) => c,
            Err(e) => {
                if out.send(QueuesEvent::Failed(e)).await.is_err() {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(15));
                continue;
            }
        };
        backoff = settings.interval.0;
        let mut reader = Reader::new(&settings);
        loop {
            let since = tokio::time::Instant::now();
            let want = failed_of.borrow_and_update().clone();
            let event = match reader.read(&mut conn, want.as_deref()).await {
                Ok(r) => QueuesEvent::Reading(Box::new(r)),
                Err(e) => QueuesEvent::Failed(with_hint(e)),
            };
            let failed = matches!(event, QueuesEvent::Failed(_));
            if out.send(event).await.is_err() {
                return;
            }
            if failed {
                tokio::time::sleep(backoff).await;
                break;
            }
            tokio::select! {
                () = pace.wait(settings.interval.0, since) => {}
                changed = failed_of.changed() => if changed.is_err() { return },
            }
        }
    }
}

/// One complete reading (every queue found first), for `pilothouse status`.
pub async fn read_queues_once(
    settings: &QueueSettings,
    target: &QueueTarget,
) -> Result<queues::QueuesReading, String> {
    let mut conn = connect(settings, target).await?;
    let mut reader = Reader::new(settings);
    if reader.configured.is_empty() {
        // A whole search, however many steps it takes (bounded).
        for _ in 0..20 {
            reader.search(&mut conn).await.map_err(with_hint)?;
            if reader.scan.is_none() {
                break;
            }
        }
    }
    reader.read(&mut conn, None).await.map_err(with_hint)
}

/// Opens the configured way in, and authenticates when a password is configured.
async fn connect(settings: &QueueSettings, target: &QueueTarget) -> Result<Conn, String> {
    let mut conn = open(settings, target).await?;
    authenticate(&mut conn, settings, target).await?;
    Ok(conn)
}

/// `AUTH [user] password`, the password read where the config says (and masked from
/// then on wherever host text is shown). It goes as a command's argument, never on a
/// command line: redis-cli reads it on its input, the protocol length-prefixed.
async fn authenticate(
    conn: &mut Conn,
    settings: &QueueSettings,
    target: &QueueTarget,
) -> Result<(), String> {
    let Some(source) = &settings.password else {
        return Ok(());
    };
    let password =
        crate::monitor::db::read_secret("Redis password", source, &target.remote, &target.env_file)
            .await?;
    pilothouse_core::mask::learn([password.clone()]);
    let mut args = vec!["AUTH"];
    if let Some(user) = &settings.user {
        args.push(user.as_str());
    }
    args.push(&password);
    match conn.call(&args, CALL_LIMIT).await? {
        Reply::Text(t) if t == "OK" => Ok(()),
        Reply::Error(e) => Err(format!(
            "Redis refused the password ({source}): {}",
            pilothouse_core::text::clean(&pilothouse_core::text::mask_credentials(&e), 200)
        )),
        other => Err(format!("Redis answered AUTH with {other:?}")),
    }
}

/// A Redis error, with what to do when it is the one a missing password gives.
fn with_hint(e: String) -> String {
    if e.contains("NOAUTH") {
        format!("{e} (this Redis wants a password: set queues.password)")
    } else {
        e
    }
}

/// Opens the configured way in.
async fn open(settings: &QueueSettings, target: &QueueTarget) -> Result<Conn, String> {
    match (settings.via, &settings.address) {
        (RedisVia::Tcp, Some(a)) => {
            let endpoint = target.remote.reach(&a.host, a.port).await?;
            let stream = endpoint.connect(CALL_LIMIT).await?;
            Ok(Conn::resp(stream))
        }
        (RedisVia::Tcp, None) => Err("no Redis address is configured".into()),
        (RedisVia::Exec, _) => {
            let docker = target
                .docker
                .as_ref()
                .ok_or("the engine is not connected")?;
            let project = target
                .project
                .as_deref()
                .ok_or("exec needs a compose project")?;
            let id = redis_container(docker, project, settings.service.as_str()).await?;
            Conn::exec(docker, &id, settings.port).await
        }
    }
}

/// The running container of the Redis service.
async fn redis_container(docker: &Docker, project: &str, service: &str) -> Result<String, String> {
    let mut filters = HashMap::new();
    filters.insert(
        "label".to_string(),
        vec![
            format!("com.docker.compose.project={project}"),
            format!("com.docker.compose.service={service}"),
        ],
    );
    filters.insert("status".to_string(), vec!["running".to_string()]);
    let list = docker
        .list_containers(Some(ListContainersOptions {
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(|e| format!("docker ps: {e}"))?;
    list.into_iter()
        .find_map(|c| c.id)
        .ok_or_else(|| format!("no running container of the service {service} (Redis)"))
}

/// What one connection keeps between readings.
struct Reader {
    prefix: String,
    configured: Vec<String>,
    found: BTreeSet<String>,
    /// What the search under way has found (it replaces `found` when it ends, so a
    /// queue that is gone drops out).
    next: BTreeSet<String>,
    /// The search under way (its cursor), if any.
    scan: Option<String>,
    last_scan: Option<Instant>,
    /// Each queue's last event id read.
    cursors: HashMap<String, String>,
}

impl Reader {
    fn new(settings: &QueueSettings) -> Self {
        Reader {
            prefix: settings.prefix.as_str().to_string(),
            configured: settings
                .names
                .iter()
                .map(|n| n.as_str().to_string())
                .collect(),
            found: BTreeSet::new(),
            next: BTreeSet::new(),
            scan: None,
            last_scan: None,
            cursors: HashMap::new(),
        }
    }

    async fn read(
        &mut self,
        conn: &mut Conn,
        failed_of: Option<&str>,
    ) -> Result<queues::QueuesReading, String> {
        if self.configured.is_empty() {
            self.search(conn).await?;
        }
        let names: Vec<String> = if self.configured.is_empty() {
            self.found.iter().cloned().collect()
        } else {
            self.configured.clone()
        };
        let failed_of = failed_of.filter(|q| names.iter().any(|n| n == q));
        let mut args: Vec<&str> = vec!["EVAL", READ_SCRIPT, "0", &self.prefix];
        args.push(failed_of.unwrap_or(""));
        for n in &names {
            args.push(n);
            args.push(self.cursors.get(n).map_or("", String::as_str));
        }
        let json = conn.call(&args, CALL_LIMIT).await?.text()?;
        let reply = queues::parse_script_reply(&json)?;
        for (name, q) in &reply.queues {
            if !q.last.is_empty() {
                self.cursors.insert(name.clone(), q.last.clone());
            }
        }
        let clients = conn
            .call(&["CLIENT", "LIST", "TYPE", "normal"], CALL_LIMIT)
            .await?
            .text()?;
        Ok(queues::reading(
            &reply,
            &clients,
            &self.prefix,
            &names,
            failed_of,
        ))
    }

    /// Goes on with the search for queue names (every `RESCAN`), a bounded step at a time.
    async fn search(&mut self, conn: &mut Conn) -> Result<(), String> {
        if self.scan.is_none() && self.last_scan.is_none_or(|t| t.elapsed() >= RESCAN) {
            self.scan = Some("0".into());
        }
        let pattern = format!("{}:*:meta", self.prefix);
        for _ in 0..SCAN_STEPS {
            let Some(cursor) = self.scan.clone() else {
                return Ok(());
            };
            let json = conn
                .call(&["EVAL", SCAN_SCRIPT, "0", &cursor, &pattern], CALL_LIMIT)
                .await?
                .text()?;
            let step = queues::parse_scan_step(&json)?;
            for key in step.names {
                let name = key
                    .strip_prefix(&format!("{}:", self.prefix))
                    .and_then(|k| k.strip_suffix(":meta"));
                if let Some(n) = name
                    && queue_name_ok(n)
                    && self.next.len() < MAX_QUEUES
                {
                    self.next.insert(n.to_string());
                    // The first search shows what it finds at once.
                    if self.last_scan.is_none() {
                        self.found.insert(n.to_string());
                    }
                }
            }
            if step.cursor == "0" {
                self.found = std::mem::take(&mut self.next);
                self.scan = None;
                self.last_scan = Some(Instant::now());
            } else {
                self.scan = Some(step.cursor);
            }
        }
        Ok(())
    }
}

//! A stand-in backend service for the pilothouse sandbox host.
//!
//! It behaves like the services our users run in their compose stacks: it serves
//! `/health`, `/health/live` and `/health/ready` on its own loopback port, holds a pool of
//! PostgreSQL connections named after itself, and writes a realistic mix of plain and JSON
//! log lines. Tests make it misbehave from outside by creating files in its control
//! directory (`docker exec <container> touch /tmp/control/<what>`):
//!
//! | file        | effect                                                                 |
//! |-------------|------------------------------------------------------------------------|
//! | `unhealthy` | every health endpoint answers 503                                      |
//! | `leak`      | opens N more connections (N = file contents, default 5); one idles in a transaction |
//! | `flood`     | writes log lines as fast as it can                                     |
//! | `escapes`   | writes lines full of terminal escape sequences and invalid UTF-8       |
//! | `crash`     | exits with status 1                                                    |
//! | `slow-stop` | the next SIGTERM is answered N seconds late (N = contents, default 8); the file is used up |
//! | `busy`      | keeps one core busy until the file is removed                          |
//!
//! Environment: `SERVICE_NAME`, `PORT`, `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 3),
//! `DEMO_ROLE` (`http` or `redis`), `DEMO_VERSION`, `DEMO_BUILD_NUMBER`, `DEMO_BUILD_COMMIT`,
//! `DEMO_BUILD_DATE`, `DEMO_BROKEN` (1: never healthy), `CONTROL_DIR` (default /tmp/control).
//!
//! `demo-service migrate` applies the demo schema migration to `DATABASE_URL` and exits;
//! `demo-service migrate-status` lists what is applied.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

struct Settings {
    service: String,
    port: u16,
    database_url: Option<String>,
    pool_size: usize,
    role: String,
    version: String,
    build_number: String,
    build_commit: String,
    build_date: String,
    broken: bool,
    control_dir: PathBuf,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
        let port = var("PORT", "8080")
            .parse::<u16>()
            .map_err(|e| format!("PORT: {e}"))?;
        let pool_size = var("DATABASE_POOL_SIZE", "3")
            .parse::<usize>()
            .map_err(|e| format!("DATABASE_POOL_SIZE: {e}"))?;
        Ok(Settings {
            service: var("SERVICE_NAME", "demo"),
            port,
            database_url: std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()),
            pool_size,
            role: var("DEMO_ROLE", "http"),
            version: var("DEMO_VERSION", "dev"),
            build_number: var("DEMO_BUILD_NUMBER", "0"),
            build_commit: var("DEMO_BUILD_COMMIT", "0000000"),
            build_date: var("DEMO_BUILD_DATE", "1970-01-01T00:00:00Z"),
            broken: var("DEMO_BROKEN", "0") == "1",
            control_dir: PathBuf::from(var("CONTROL_DIR", "/tmp/control")),
        })
    }

    fn control(&self, name: &str) -> bool {
        self.control_dir.join(name).exists()
    }
}

/// Shared between the HTTP server, the pool keeper and the log writer.
struct Shared {
    settings: Settings,
    started: Instant,
    db_connected: AtomicUsize,
    pool: Mutex<Vec<Client>>,
    leaked: Mutex<Vec<Client>>,
    requests: AtomicUsize,
    stopping: AtomicBool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo-service: bad environment: {e}");
            std::process::exit(2);
        }
    };
    match std::env::args().nth(1).as_deref() {
        Some("migrate") => std::process::exit(migrate(&settings).await),
        Some("migrate-status") => std::process::exit(migrate_status(&settings).await),
        _ => {}
    }
    let _ = std::fs::create_dir_all(&settings.control_dir);
    let shared = Arc::new(Shared {
        settings,
        started: Instant::now(),
        db_connected: AtomicUsize::new(0),
        pool: Mutex::new(Vec::new()),
        leaked: Mutex::new(Vec::new()),
        requests: AtomicUsize::new(0),
        stopping: AtomicBool::new(false),
    });
    let s = &shared.settings;
    log_plain(
        "INFO",
        "Bootstrap",
        &format!(
            "{} {} (build {} {}) starting on 127.0.0.1:{}",
            s.service, s.version, s.build_number, s.build_commit, s.port
        ),
    );

    let listener = match listen(s.port) {
        Ok(l) => l,
        Err(e) => {
            log_plain(
                "ERROR",
                "Bootstrap",
                &format!("cannot listen on 127.0.0.1:{}: {e}", s.port),
            );
            std::process::exit(1);
        }
    };
    log_secrets();
    if shared.settings.database_url.is_some() && shared.settings.pool_size > 0 {
        tokio::spawn(keep_pool(shared.clone()));
    }
    tokio::spawn(write_logs(shared.clone()));
    tokio::spawn(watch_controls(shared.clone()));
    tokio::spawn(serve(listener, shared.clone()));

    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(e) => {
            log_plain("ERROR", "Bootstrap", &format!("no SIGTERM handler: {e}"));
            std::process::exit(1);
        }
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    shared.stopping.store(true, Ordering::SeqCst);
    log_plain("INFO", "Bootstrap", "received SIGTERM, shutting down");
    let slow = shared.settings.control_dir.join("slow-stop");
    if let Ok(text) = std::fs::read_to_string(&slow) {
        let _ = std::fs::remove_file(&slow);
        let secs = text.trim().parse().unwrap_or(8);
        log_plain("INFO", "Bootstrap", &format!("draining for {secs}s"));
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
    std::process::exit(0);
}

// ---------------------------------------------------------------------------------------
// Database

fn with_application_name(url: &str, name: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={name}")
}

async fn connect(url: &str, name: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) =
        tokio_postgres::connect(&with_application_name(url, name), NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Keeps `pool_size` connections open, reconnecting with backoff, and uses one now and then.
async fn keep_pool(shared: Arc<Shared>) {
    let Some(url) = shared.settings.database_url.clone() else {
        return;
    };
    let name = shared.settings.service.clone();
    let mut backoff = Duration::from_millis(500);
    let mut tick = 0u64;
    loop {
        {
            let mut pool = shared.pool.lock().await;
            pool.retain(|c| !c.is_closed());
            while pool.len() < shared.settings.pool_size {
                match connect(&url, &name).await {
                    Ok(c) => {
                        pool.push(c);
                        backoff = Duration::from_millis(500);
                    }
                    Err(e) => {
                        log_json("error", "Database", &format!("connection failed: {e}"), &[]);
                        break;
                    }
                }
            }
            shared.db_connected.store(pool.len(), Ordering::SeqCst);
            if let Some(c) = pool.get((tick as usize) % pool.len().max(1))
                && let Err(e) = c.simple_query("SELECT 1").await
            {
                log_json("warn", "Database", &format!("query failed: {e}"), &[]);
            }
            if pool.len() < shared.settings.pool_size {
                drop(pool);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        }
        tick += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn leak_connections(shared: &Shared, n: usize) {
    let Some(url) = shared.settings.database_url.as_deref() else {
        log_plain(
            "WARN",
            "Database",
            "leak requested but no DATABASE_URL is set",
        );
        return;
    };
    let mut leaked = shared.leaked.lock().await;
    for i in 0..n {
        match connect(url, &shared.settings.service).await {
            Ok(c) => {
                if i == 0 && leaked.is_empty() {
                    // One connection stays idle in a transaction, the classic leak.
                    let _ = c.simple_query("BEGIN; SELECT 1").await;
                }
                leaked.push(c);
            }
            Err(e) => {
                log_json("error", "Database", &format!("connection failed: {e}"), &[]);
                break;
            }
        }
    }
    log_json(
        "warn",
        "Database",
        "connection not returned to the pool",
        &[("leaked", leaked.len().to_string())],
    );
}

async fn migrate(settings: &Settings) -> i32 {
    let Some(url) = settings.database_url.as_deref() else {
        eprintln!("migrate: DATABASE_URL is not set");
        return 2;
    };
    let client = match connect(url, &format!("{}-migrate", settings.service)).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("migrate: cannot connect: {e}");
            return 1;
        }
    };
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS demo_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
         INSERT INTO demo_migrations (version) VALUES ('{}') ON CONFLICT DO NOTHING;",
        settings.version.replace('\'', "''")
    );
    match client.batch_execute(&sql).await {
        Ok(()) => {
            println!("1 migration applied: demo_migrations {}", settings.version);
            0
        }
        Err(e) => {
            eprintln!("migrate: {e}");
            1
        }
    }
}

/// Lists the applied demo migrations; changes nothing.
async fn migrate_status(settings: &Settings) -> i32 {
    let Some(url) = settings.database_url.as_deref() else {
        eprintln!("migrate-status: DATABASE_URL is not set");
        return 2;
    };
    let client = match connect(url, &format!("{}-migrate", settings.service)).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("migrate-status: cannot connect: {e}");
            return 1;
        }
    };
    match client
        .simple_query("SELECT version FROM demo_migrations ORDER BY applied_at")
        .await
    {
        Ok(rows) => {
            let versions: Vec<String> = rows
                .iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                    _ => None,
                })
                .collect();
            println!("applied: {}", versions.join(", "));
            0
        }
        Err(_) => {
            println!("no migrations applied");
            0
        }
    }
}

// ---------------------------------------------------------------------------------------
// HTTP (and a RESP-ish answer for the redis stand-in)

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), handle(stream, &shared)).await;
        });
    }
}

async fn handle(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    if shared.settings.role == "redis" {
        let answer: &[u8] = if line.trim().eq_ignore_ascii_case("PING") {
            b"+PONG\r\n"
        } else {
            b"-ERR unknown command\r\n"
        };
        return reader.get_mut().write_all(answer).await;
    }
    // Drain the headers; we do not need them.
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let (status, body) = route(&path, shared);
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let stream = reader.get_mut();
    stream.write_all(response.as_bytes()).await?;
    // Let the client read before the socket goes away.
    let mut sink = [0u8; 64];
    let _ = tokio::time::timeout(Duration::from_millis(50), stream.read(&mut sink)).await;
    Ok(())
}

fn route(path: &str, shared: &Shared) -> (u16, String) {
    let s = &shared.settings;
    let needs_db = s.database_url.is_some() && s.pool_size > 0;
    let db_ok = !needs_db || shared.db_connected.load(Ordering::SeqCst) > 0;
    let sick = s.broken || s.control("unhealthy") || shared.stopping.load(Ordering::SeqCst);
    let database = if !needs_db {
        "none"
    } else if db_ok {
        "connected"
    } else {
        "disconnected"
    };
    let healthy = !sick && db_ok;
    let status = if healthy { "ok" } else { "error" };
    let code = if healthy { 200 } else { 503 };
    let body = |extra: &str| {
        format!(
            "{{\"status\":\"{status}\",\"service\":\"{}\",\"database\":\"{database}\",\"version\":\"{}\",\"build\":{{\"number\":\"{}\",\"commit\":\"{}\",\"date\":\"{}\"}},\"uptime\":{}{extra}}}",
            s.service,
            s.version,
            s.build_number,
            s.build_commit,
            s.build_date,
            shared.started.elapsed().as_secs()
        )
    };
    match path {
        "/health" | "/health/ready" => (code, body("")),
        "/health/live" => {
            let live = !s.control("unhealthy");
            (if live { 200 } else { 503 }, body(""))
        }
        _ => (404, "{\"error\":\"not found\"}".to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// Logs

fn now_rfc3339() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

fn emit(line: &str, to_stderr: bool) {
    if to_stderr {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    } else {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

fn log_plain(level: &str, context: &str, msg: &str) {
    let line = format!("{} {level:<5} [{context}] {msg}", now_rfc3339());
    emit(&line, level == "ERROR");
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn log_json(level: &str, context: &str, msg: &str, fields: &[(&str, String)]) {
    let mut line = format!(
        "{{\"level\":\"{level}\",\"time\":\"{}\",\"context\":\"{context}\",\"msg\":\"{}\"",
        now_rfc3339(),
        json_escape(msg)
    );
    for (k, v) in fields {
        line.push_str(&format!(",\"{k}\":\"{}\"", json_escape(v)));
    }
    line.push('}');
    emit(&line, level == "error");
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

async fn write_logs(shared: Arc<Shared>) {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        ^ u64::from(std::process::id());
    let mut rng = Rng(seed | 1);
    let routes = [
        "/orders",
        "/orders/42",
        "/prints",
        "/shipments",
        "/users/me",
        "/quotes",
    ];
    let mut seq = 0u64;
    loop {
        if shared.settings.control("flood") {
            for _ in 0..2000 {
                seq += 1;
                log_plain(
                    "INFO",
                    "Flood",
                    &format!("flood line {seq} {}", "x".repeat(80)),
                );
            }
            tokio::task::yield_now().await;
            continue;
        }
        if shared.settings.control("escapes") {
            write_hostile_lines();
        }
        seq += 1;
        let trace = format!("{:016x}{:016x}", rng.next(), rng.next());
        match rng.below(20) {
            0 => log_json(
                "error",
                "OrderService",
                "failed to reach print-service",
                &[
                    ("err", "ECONNREFUSED 127.0.0.1:18083".into()),
                    ("traceId", trace),
                ],
            ),
            1 | 2 => log_plain(
                "WARN",
                "PoolMonitor",
                &format!("slow query took {}ms", 500 + rng.below(2500)),
            ),
            3..=10 => {
                let route = routes[rng.below(routes.len() as u64) as usize];
                log_json(
                    "info",
                    "HttpRequest",
                    &format!("GET {route} 200"),
                    &[
                        ("duration_ms", rng.below(120).to_string()),
                        ("traceId", trace),
                    ],
                );
            }
            11 => log_json(
                "debug",
                "Cache",
                "cache miss",
                &[("key", format!("quote:{}", rng.below(999)))],
            ),
            _ => {
                let route = routes[rng.below(routes.len() as u64) as usize];
                log_plain(
                    "INFO",
                    "HttpRequest",
                    &format!("GET {route} 200 {}ms", rng.below(80)),
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(250 + rng.below(500))).await;
    }
}

/// Lines that try everything a hostile log line can do to a terminal.
fn write_hostile_lines() {
    let samples: [&[u8]; 9] = [
        b"\x1b]0;pwned title\x07title change via OSC 0",
        b"\x1b]8;;http://127.0.0.1/\x1b\\a hyperlink\x1b]8;;\x1b\\ via OSC 8",
        b"\x1b[2J\x1b[Hclear screen and home",
        b"\x1b[10;10Hcursor moved \x1b[5Aup five",
        b"bell \x07\x07 rings",
        b"C1 controls \xc2\x9b31m via CSI \xc2\x9d0;x\xc2\x9c",
        b"\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m SGR colours",
        b"invalid utf-8 \xff\xfe\xc3( end",
        b"\x1b[?1049h alt screen \x1b[?25l hidden cursor",
    ];
    let mut out = std::io::stdout().lock();
    for s in samples {
        let _ = out.write_all(s);
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

async fn watch_controls(shared: Arc<Shared>) {
    let mut leaked_for: Option<String> = None;
    let mut busy: Option<std::thread::JoinHandle<()>> = None;
    loop {
        let s = &shared.settings;
        // `busy`: one core held at work until the file is gone (a CPU-bound service).
        if s.control("busy") && busy.as_ref().is_none_or(|t| t.is_finished()) {
            let file = s.control_dir.join("busy");
            busy = Some(std::thread::spawn(move || spin_while(&file)));
        }
        if s.control("crash") {
            log_plain(
                "ERROR",
                "Bootstrap",
                "fatal: crash requested via control file",
            );
            std::process::exit(1);
        }
        let leak = std::fs::read_to_string(s.control_dir.join("leak")).ok();
        if leak.is_some() && leak != leaked_for {
            let n = leak
                .as_deref()
                .and_then(|t| t.trim().parse::<usize>().ok())
                .unwrap_or(5);
            leak_connections(&shared, n).await;
            leaked_for = leak;
        } else if leak.is_none() && leaked_for.is_some() {
            shared.leaked.lock().await.clear();
            leaked_for = None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Keeps a core busy while `file` exists (looked at every 100 ms).
fn spin_while(file: &std::path::Path) {
    let mut x: u64 = 1;
    while file.exists() {
        let until = Instant::now() + Duration::from_millis(100);
        while Instant::now() < until {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
        }
        std::hint::black_box(x);
    }
}

/// Listens on 127.0.0.1:PORT. With `DEMO_REUSE_PORT=1` (the swarm stack, whose
/// `order: start-first` updates start a task's successor on the same node and port
/// before stopping it) the port can be shared, as many real servers allow.
fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    if std::env::var("DEMO_REUSE_PORT").as_deref() == Ok("1") {
        socket.set_reuseport(true)?;
    }
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(1024)
}

/// Reads the secrets a swarm gives the service (`SECRETS_DIR`, e.g. /run/secrets) and
/// logs their names, never their values.
fn log_secrets() {
    let Ok(dir) = std::env::var("SECRETS_DIR") else {
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| std::fs::read(e.path()).is_ok_and(|v| !v.is_empty()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    log_plain(
        "INFO",
        "Bootstrap",
        &format!(
            "read {} secrets from {dir}: {}",
            names.len(),
            names.join(", ")
        ),
    );
}

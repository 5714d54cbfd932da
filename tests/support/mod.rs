//! Shared by the sandbox test binaries: the sandbox host as `tests/sandbox/up` left it,
//! running commands, the console in tmux, and demo containers.
//!
//! Each test binary uses only some of these.
#![allow(dead_code)]

pub mod swarm;
pub mod turns;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const SSH_PORT: &str = "2222";

pub const STAGING: &[&str] = &[
    "redis",
    "gateway",
    "order-service",
    "print-service",
    "shipping-service",
    "gridflock-service",
    "slicer",
    "web",
    "uptime-kuma",
    "dozzle",
    "scheduler",
    "worker",
];
pub const PRODUCTION: &[&str] = &[
    "redis",
    "gateway",
    "order-service",
    "print-service",
    "web",
    "scheduler",
    "worker",
];
pub const STAGING_POOLS: &[&str] = &[
    "gateway",
    "order-service",
    "print-service",
    "shipping-service",
    "gridflock-service",
];
pub const PRODUCTION_POOLS: &[&str] = &["gateway", "order-service", "print-service"];
pub const APP_IMAGES: &[&str] = &[
    "gateway",
    "order-service",
    "print-service",
    "shipping-service",
    "gridflock-service",
    "slicer",
    "web",
];
pub const TAGS: &[&str] = &["v1", "v2", "broken"];

/// The sandbox host, as `tests/sandbox/up` left it, and this test's turn on it (held
/// until the test ends: `let sb = sandbox();` is every sandbox test's first line).
pub struct Sandbox {
    pub state: PathBuf,
    pub config: PathBuf,
    _turn: turns::Turn,
}

/// The host, once it is this test's turn (see [`turns`]).
#[track_caller]
pub fn sandbox() -> Sandbox {
    let file = std::panic::Location::caller().file();
    let module = Path::new(file)
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    sandbox_as(&module)
}

/// The host, once it is the turn of the tests that take turns as `module` (a test that
/// touches another part of the host than its module's: see [`turns`]).
pub fn sandbox_as(module: &str) -> Sandbox {
    let turn = turns::Turn::take(module.to_string());
    let state = PathBuf::from(
        std::env::var_os("PILOTHOUSE_SANDBOX_DIR")
            .unwrap_or_else(|| "/var/lib/pilothouse-sandbox".into()),
    );
    let config = state.join("pilothouse.toml");
    let up = config.is_file() && std::net::TcpStream::connect(("127.0.0.1", 2222)).is_ok();
    assert!(
        up,
        "the sandbox host is not up ({} missing or sshd not answering on 127.0.0.1:2222).\n\
         Run `tests/run` (the whole suite), or `tests/sandbox/up` before `cargo test`.",
        config.display()
    );
    Sandbox {
        state,
        config,
        _turn: turn,
    }
}

impl Sandbox {
    pub fn ssh_args(&self, known_hosts: &Path) -> Vec<String> {
        [
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            &format!("UserKnownHostsFile={}", known_hosts.display()),
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=5",
            "-F",
            "/dev/null",
            "-i",
            &self.state.join("ssh/id_ed25519").display().to_string(),
            "-p",
            SSH_PORT,
            "root@127.0.0.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.state.join("ssh/known_hosts")
    }

    /// `env`'s env-file secrets as the sandbox generated them: the database password,
    /// JWT_SECRET and pgAdmin's password (each long enough to prove something).
    pub fn env_secrets(&self, env: &str) -> Vec<String> {
        let s: Vec<String> = ["pg", "jwt", "pgadmin"]
            .iter()
            .map(|f| {
                let file = self.state.join("secrets").join(format!("{f}-{env}"));
                std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                    .trim()
                    .to_string()
            })
            .collect();
        assert!(s.iter().all(|x| x.len() >= 8), "short secrets prove little");
        s
    }

    pub fn pg_password(&self, env: &str) -> String {
        std::fs::read_to_string(self.state.join(format!("secrets/pg-{env}")))
            .unwrap_or_else(|e| panic!("password for {env}: {e}"))
    }

    /// psql connected as the `acme` role to `env`'s database with `password` (in the
    /// environment, never on a command line); add the statement.
    pub fn psql_command(&self, env: &str, password: &str) -> Command {
        let port = match env {
            "staging" => "5433",
            "production" => "5434",
            other => panic!("no database for {other}"),
        };
        let mut c = Command::new("psql");
        c.env("PGPASSWORD", password).args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "acme",
            "-d",
            "acme",
        ]);
        c
    }

    /// `sql` through psql as the `acme` role on `env`'s database; its output, trimmed.
    pub fn psql(&self, env: &str, sql: &str) -> String {
        ok_stdout(
            self.psql_command(env, &self.pg_password(env))
                .args(["-At", "-c", sql]),
        )
        .trim()
        .to_string()
    }
}

/// A command as it may be printed: program and arguments, never its environment (which
/// carries passwords). No test passes a secret as an argument.
pub fn shown(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", shown(cmd)))
}

pub fn ok_stdout(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{} failed: {}",
        shown(cmd),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn eventually(timeout: Duration, what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let start = Instant::now();
    loop {
        match check() {
            Ok(()) => return,
            Err(e) if start.elapsed() > timeout => panic!("{what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Waits until the engine has sent one of `services`' containers in compose `project` a
/// stop signal (its `kill` event) since `since`: a stop or restart has begun on the
/// host. A first reading of the engine's own record, so its limit is generous.
pub fn engine_sent_a_stop(project: &str, services: &[&str], since: i64) {
    eventually(
        Duration::from_secs(30),
        "the engine stopping a container",
        || {
            let seen = compose_events(project, "kill", since);
            seen.iter()
                .any(|s| services.contains(&s.as_str()))
                .then_some(())
                .ok_or_else(|| format!("no stop signal yet to {services:?} (saw {seen:?})"))
        },
    );
}

/// The compose services of `project` that had `event` (`kill`, `start`, ...) from
/// `since` (unix seconds) until now, as the engine's events say, in order.
pub fn compose_events(project: &str, event: &str, since: i64) -> Vec<String> {
    let out = run(Command::new("docker").args([
        "events",
        "--since",
        &since.to_string(),
        "--until",
        &pilothouse_core::time::unix_now().to_string(),
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
        "--filter",
        &format!("event={event}"),
        "--format",
        "{{index .Actor.Attributes \"com.docker.compose.service\"}}",
    ]));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Each service of compose `project` that the engine sent a stop signal after `since`
/// (unix seconds) has started again, as the engine's events say: a restart that was
/// under way has ended (a draining service's health still reads `healthy` from before;
/// one restarted again meanwhile can fail in the engine). `services` are the ones
/// expected stopped; at least one of them must have been.
pub fn engine_started_again(project: &str, services: &[&str], since: i64) {
    let events = |event: &str| -> Vec<String> {
        compose_events(project, event, since)
            .into_iter()
            .filter(|s| services.contains(&s.as_str()))
            .collect()
    };
    eventually(
        Duration::from_secs(60),
        "each stopped service started again",
        || {
            let (stopped, started) = (events("kill"), events("start"));
            let waiting: Vec<&String> = stopped.iter().filter(|s| !started.contains(s)).collect();
            if stopped.is_empty() {
                return Err(format!("none of {services:?} was stopped"));
            }
            waiting
                .is_empty()
                .then_some(())
                .ok_or_else(|| format!("not started again yet: {waiting:?}"))
        },
    );
}

/// The demo service in `container` answers its next SIGTERM 8 s late (a service that
/// drains before it stops): an action that stops it is still running for that long.
pub fn slow_stop(container: &str) {
    ok_stdout(Command::new("docker").args([
        "exec",
        container,
        "sh",
        "-c",
        "echo 8 > /tmp/control/slow-stop",
    ]));
}

/// A loopback port nothing listens on: one the kernel just gave out and took back (a
/// test that needs a refused connection must not assume a port is free).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    drop(listener);
    port
}

/// Kills a child process when dropped (a forwarded socket, a tmux session).
pub struct KillOnDrop(pub Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a throwaway demo container (no database) on its own loopback port.
pub fn demo_container(name: &str, tag: &str, port: u16) -> Container {
    demo_container_with(name, tag, port, &[])
}

/// `env` is passed through the docker CLI's environment (`-e NAME`), never as an
/// argument, so a password in it cannot show up in a failure message.
pub fn demo_container_with(name: &str, tag: &str, port: u16, env: &[(&str, String)]) -> Container {
    let _ = run(Command::new("docker").args(["rm", "-f", name]));
    let mut cmd = Command::new("docker");
    cmd.args(["run", "-d", "--name", name, "--network", "host"])
        .args([
            "-e",
            &format!("PORT={port}"),
            "-e",
            &format!("SERVICE_NAME={name}"),
        ]);
    for (k, v) in env {
        cmd.args(["-e", k]).env(k, v);
    }
    ok_stdout(cmd.arg(format!("127.0.0.1:5000/acme/web:{tag}")));
    Container(name.to_string())
}

/// A throwaway container, removed when dropped.
pub struct Container(pub String);
impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

// ---------------------------------------------------------------------------------------
// The console itself, in a real terminal (tmux)

pub struct Tmux {
    pub session: String,
}

/// The config and state dirs every console and command of this test process gets
/// (`XDG_CONFIG_HOME`, `XDG_STATE_HOME`), so a person's own themes, keymaps, config,
/// audit and saved logs never change what a test sees. The config dir stays empty.
pub fn own_dirs() -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("pilothouse-test-{}", std::process::id()));
    (base.join("config"), base.join("state"))
}

/// The real binary, with this test process's own config and state dirs.
/// One JSON value per line, each line a whole object.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Unix nanoseconds now (the sandbox host is this machine: its clock).
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The first entry of `kind` about `subject` after `after` (Unix ns), and its time.
pub fn timeline_entry<'a>(
    lines: &'a [serde_json::Value],
    kind: &str,
    subject: &str,
    after: i64,
) -> Option<(&'a serde_json::Value, i64)> {
    lines
        .iter()
        .filter(|l| l["kind"] == kind && l["subject"] == subject)
        .filter_map(|l| {
            let t = pilothouse_core::time::rfc3339_nanos(l["time"].as_str()?)?;
            (t >= after).then_some((l, t))
        })
        .next()
}

/// `pilothouse timeline --env ENV --since 10m --json` on the sandbox's config, one
/// value per entry.
pub fn timeline_json(sb: &Sandbox, env: &str) -> Vec<serde_json::Value> {
    let out = ok_stdout(
        pilothouse()
            .arg("--config")
            .arg(&sb.config)
            .args(["timeline", "--env", env, "--since", "10m", "--json"]),
    );
    json_lines(&out)
}

pub fn pilothouse() -> Command {
    let (config, state) = own_dirs();
    let mut c = Command::new(env!("CARGO_BIN_EXE_pilothouse"));
    c.env_remove("PILOTHOUSE_CONFIG")
        .env("XDG_CONFIG_HOME", config)
        .env("XDG_STATE_HOME", state);
    c
}

impl Tmux {
    pub fn start(name: &str, command: &str) -> Tmux {
        Tmux::start_sized(name, command, 160)
    }

    /// A console in a terminal `width` columns wide (40 rows).
    pub fn start_sized(name: &str, command: &str, width: u16) -> Tmux {
        let session = format!("pilothouse-{name}-{}", std::process::id());
        let t = Tmux { session };
        ok_stdout(t.tmux().args([
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            &width.to_string(),
            "-y",
            "40",
            &format!(
                "export XDG_CONFIG_HOME={} XDG_STATE_HOME={}; unset PILOTHOUSE_CONFIG; {command}; echo EXIT=$?; sleep 600",
                own_dirs().0.display(),
                own_dirs().1.display()
            ),
        ]));
        t
    }

    /// Every console gets a tmux server of its own (`-S`): with one shared server, a test
    /// ending its last session stops the server while another test is starting one.
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(self.socket());
        c
    }

    fn socket(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("{}.tmux", self.session))
    }

    pub fn screen(&self) -> String {
        ok_stdout(
            self.tmux()
                .args(["capture-pane", "-p", "-t", &self.session]),
        )
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(Duration::from_secs(15), text, |s| s.contains(text))
    }

    /// Polls the screen every 50 ms until `check` holds; panics with the last screen.
    pub fn wait_until(&self, limit: Duration, what: &str, check: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        let start = Instant::now();
        while start.elapsed() < limit {
            last = self.screen();
            if check(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{what}: not on screen within {limit:?}:\n{last}");
    }

    /// Sends keys in tmux's names. An alt key (`M-d`) is written as escape and key in
    /// one write, as a terminal writes it: `send-keys` writes the two apart, and under
    /// load the console could read the escape alone, as the escape key.
    pub fn keys(&self, keys: &[&str]) {
        let send = |batch: &[&str]| {
            if !batch.is_empty() {
                ok_stdout(
                    self.tmux()
                        .args(["send-keys", "-t", &self.session])
                        .args(batch),
                );
            }
        };
        let mut batch: Vec<&str> = Vec::new();
        for k in keys {
            match k.strip_prefix("M-").filter(|c| c.chars().count() == 1) {
                Some(c) => {
                    send(&batch);
                    batch.clear();
                    self.raw_input(&format!("\x1b{c}"));
                }
                None => batch.push(k),
            }
        }
        send(&batch);
    }

    /// A left click at (column, row), zero-based, as the terminal reports it to an
    /// application that asked for the mouse (SGR encoding): the raw bytes go to the
    /// pane's input, the way a terminal writes them.
    pub fn click(&self, column: usize, row: usize) {
        let (x, y) = (column + 1, row + 1);
        self.raw_input(&format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m"));
    }

    /// One notch of the wheel, down, at (column, row), zero-based.
    pub fn wheel_down(&self, column: usize, row: usize) {
        self.raw_input(&format!("\x1b[<65;{};{}M", column + 1, row + 1));
    }

    /// Pastes `text` as a terminal does: wrapped in bracketed-paste markers when the
    /// application asked for them, else as plain input.
    pub fn paste(&self, text: &str) {
        self.load_buffer("paste-input", text);
        ok_stdout(self.tmux().args([
            "paste-buffer",
            "-d",
            "-p",
            "-r",
            "-b",
            "paste-input",
            "-t",
            &self.session,
        ]));
    }

    /// Puts `text` into tmux buffer `name` through a file (a command line is too short
    /// for a big paste).
    fn load_buffer(&self, name: &str, text: &str) {
        let file = std::env::temp_dir().join(format!("{}-{name}", self.session));
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
        let out = run(self.tmux().args(["load-buffer", "-b", name]).arg(&file));
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "tmux load-buffer: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Writes `text` to the pane's input in one write, as a terminal writes a mouse
    /// report or an alt key. (`send-keys` writes key by key: under load the console
    /// could read the leading escape alone, as the escape key.)
    pub fn raw_input(&self, text: &str) {
        self.load_buffer("raw-input", text);
        ok_stdout(self.tmux().args([
            "paste-buffer",
            "-d",
            "-r",
            "-b",
            "raw-input",
            "-t",
            &self.session,
        ]));
    }

    /// Copies everything the console writes to its terminal, byte for byte, into
    /// `file` from now on (tmux's pipe-pane): what a terminal is sent that it does not
    /// draw (a bell, an OSC) can be counted there.
    pub fn record_output(&self, file: &Path) {
        ok_stdout(self.tmux().args([
            "pipe-pane",
            "-o",
            "-t",
            &self.session,
            &format!("cat >> '{}'", file.display()),
        ]));
    }

    pub fn format(&self, f: &str) -> String {
        ok_stdout(
            self.tmux()
                .args(["display-message", "-p", "-t", &self.session, f]),
        )
        .trim()
        .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Killing the server closes the pane, which hangs up the console (SIGHUP).
        let _ = self.tmux().arg("kill-server").output();
        let _ = std::fs::remove_file(self.socket());
    }
}

/// What a console started with `dir` as its TMPDIR left behind: its ssh processes
/// (the only ones with `dir` in their arguments) and files in `dir` other than its own
/// state dir. Err names them.
pub fn left_behind(dir: &Path) -> Result<(), String> {
    let ssh = run(Command::new("pgrep")
        .arg("-a")
        .arg("-f")
        .arg(format!("ssh .*{}", dir.display())));
    let procs = String::from_utf8_lossy(&ssh.stdout).trim().to_string();
    let files: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "pilothouse")
                .collect()
        })
        .unwrap_or_default();
    (procs.is_empty() && files.is_empty())
        .then_some(())
        .ok_or(format!("processes: {procs:?}; files: {files:?}"))
}

/// The console's pid: the one child of the tmux pane's shell.
pub fn console_pid(t: &Tmux) -> String {
    let shell = t.format("#{pane_pid}");
    ok_stdout(Command::new("pgrep").args(["-P", &shell, "-f", "pilothouse"]))
        .trim()
        .to_string()
}

pub fn console_command(sb: &Sandbox, extra_env: &str) -> String {
    format!(
        "env TERM=xterm-256color {extra_env} {} --config {}",
        env!("CARGO_BIN_EXE_pilothouse"),
        sb.config.display()
    )
}

// Live status over SSH

/// Where `text` first appears on a captured screen: (column, row), zero-based, in
/// terminal cells (the box-drawing characters are one cell each).
pub fn position_of(screen: &str, text: &str) -> Option<(usize, usize)> {
    screen.lines().enumerate().find_map(|(row, line)| {
        line.find(text)
            .map(|byte| (line[..byte].chars().count(), row))
    })
}

/// The table row of `service`, if it is on screen.
pub fn row_of<'a>(screen: &'a str, service: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.starts_with(&format!("│{service} ")))
}

/// A config like the generated one, with `edit` applied to its text.
pub fn edited_config(sb: &Sandbox, dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(&sb.config).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("pilothouse.toml");
    std::fs::write(&path, edit(text)).unwrap_or_else(|e| panic!("{e}"));
    path
}

pub fn console_with(config: &Path, tmpdir: &Path) -> String {
    format!(
        "env TERM=xterm-256color TMPDIR={} {} --config {}",
        tmpdir.display(),
        env!("CARGO_BIN_EXE_pilothouse"),
        config.display()
    )
}

// pilothouse status

pub fn status(config: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = run(pilothouse()
        .arg("status")
        .arg("--config")
        .arg(config)
        .args(args));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Starts a demo container as number `n` of service `noisy` in `project`, the way
/// compose labels it.
pub fn noisy_container(project: &str, n: u32, port: u16, tag: &str) -> Container {
    service_container(project, "noisy", n, port, tag, &[])
}

/// Starts a demo container as number `n` of `service` in `project`, the way compose
/// labels it, with `extra` options for `docker run` (a health check, say).
pub fn service_container(
    project: &str,
    service: &str,
    n: u32,
    port: u16,
    tag: &str,
    extra: &[&str],
) -> Container {
    let image = format!("127.0.0.1:5000/acme/web:{tag}");
    service_container_of(project, service, (n, port), &image, extra)
}

/// The same with a health check every second that fails once to turn it unhealthy
/// (`touch /tmp/control/unhealthy` in it does that).
pub fn checked_container(project: &str, service: &str, port: u16) -> Container {
    let check = format!("wget -q -O /dev/null http://127.0.0.1:{port}/health");
    service_container(
        project,
        service,
        1,
        port,
        "v2",
        &[
            "--health-cmd",
            &check,
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
            "--health-timeout",
            "3s",
        ],
    )
}

/// The same with any image.
pub fn service_container_of(
    project: &str,
    service: &str,
    (n, port): (u32, u16),
    image: &str,
    extra: &[&str],
) -> Container {
    let name = format!("{project}_{service}_{n}");
    let _ = run(Command::new("docker").args(["rm", "-f", &name]));
    ok_stdout(
        Command::new("docker")
            .args(["run", "-d", "--name", &name, "--network", "host", "--label"])
            .arg(format!("com.docker.compose.project={project}"))
            .arg("--label")
            .arg(format!("com.docker.compose.service={service}"))
            .arg("-e")
            .arg(format!("PORT={port}"))
            .arg("-e")
            .arg(format!("SERVICE_NAME={service}"))
            .args(["-e", "DATABASE_POOL_SIZE=0"])
            .args(extra)
            .arg(image),
    );
    Container(name)
}

// The action queue

/// The console on the sandbox config with its own state dir (log, audit) and TMPDIR
/// (its ssh masters), `args` after the config.
pub fn action_console(sb: &Sandbox, name: &str, dir: &Path, args: &str) -> Tmux {
    action_console_on(&sb.config, name, dir, args)
}

/// The same on another config (say, an edited copy).
pub fn action_console_on(config: &Path, name: &str, dir: &Path, args: &str) -> Tmux {
    let t = Tmux::start(
        name,
        &format!(
            "env TERM=xterm-256color XDG_STATE_HOME={d} TMPDIR={d} {} --config {} {args}",
            env!("CARGO_BIN_EXE_pilothouse"),
            config.display(),
            d = dir.display(),
        ),
    );
    t.wait_until(Duration::from_secs(15), "connected with rows", |s| {
        s.contains("· connected") && row_of(s, "gateway").is_some()
    });
    t
}

/// Waits for the preview titled `title` showing every one of `parts` (a capture can
/// catch a frame half painted, so the title alone is not enough).
pub fn preview(t: &Tmux, title: &str, parts: &[&str]) {
    t.wait_until(Duration::from_secs(15), title, |s| {
        s.contains(title) && parts.iter().all(|p| s.contains(p))
    });
}

/// Filters the table down to `service` (so it is the selected row).
pub fn select(t: &Tmux, service: &str) {
    let mut keys = vec!["/"];
    keys.extend(service.split("").filter(|k| !k.is_empty()));
    keys.push("Enter");
    t.keys(&keys);
    t.wait_until(Duration::from_secs(5), "the filtered row", |s| {
        s.contains("filter: ") && row_of(s, service).is_some() && s.contains("(1 of")
    });
}

pub fn started_at(container: &str) -> String {
    ok_stdout(Command::new("docker").args(["inspect", "-f", "{{.State.StartedAt}}", container]))
        .trim()
        .to_string()
}

/// The host's audit records of how items ended (the `started` records written ahead
/// of each item are in [`host_audit_all`]).
pub fn host_audit(sb: &Sandbox, env: &str) -> Vec<serde_json::Value> {
    ended(host_audit_all(sb, env))
}

/// Every line of the host's audit file, `started` records too.
pub fn host_audit_all(sb: &Sandbox, env: &str) -> Vec<serde_json::Value> {
    audit_lines(&sb.state.join(format!("opt/{env}/.pilothouse/audit.jsonl")))
}

/// The local audit records of how items ended.
pub fn local_audit(dir: &Path) -> Vec<serde_json::Value> {
    ended(local_audit_all(dir))
}

/// Every line of the local audit file, `started` records too.
pub fn local_audit_all(dir: &Path) -> Vec<serde_json::Value> {
    audit_lines(&dir.join("pilothouse/audit.jsonl"))
}

fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn ended(records: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    records
        .into_iter()
        .filter(|r| r["result"] != "started")
        .collect()
}

pub fn lock_dir(sb: &Sandbox, env: &str) -> std::path::PathBuf {
    sb.state.join(format!("opt/{env}/.pilothouse/lock"))
}

/// Removes the environment's host lock when the test ends, however it ends.
pub struct Unlock(pub std::path::PathBuf);
impl Drop for Unlock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Stops a demo service's connection leak (`/tmp/control/leak` in its container)
/// however the test that started it ends.
pub struct Unleak(pub &'static str);

impl Drop for Unleak {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["exec", self.0, "rm", "-f", "/tmp/control/leak"])
            .output();
    }
}

/// An environment `t` watching compose project `project` (containers labelled with it,
/// its directory `/opt/PROJECT`) on the sandbox host over SSH: TOML for a test's config,
/// more tables of `t` may follow.
pub fn env_t_over_ssh(sb: &Sandbox, project: &str) -> String {
    format!(
        "[environments.t]\n[environments.t.ssh]\ndestination = \"127.0.0.1\"\nuser = \"root\"\nport = 2222\n\
         identity_file = \"{key}\"\nknown_hosts_file = \"{known}\"\n\
         [environments.t.compose]\nproject_dir = \"/opt/{project}\"\nproject_name = \"{project}\"\n",
        key = sb.state.join("ssh/id_ed25519").display(),
        known = sb.state.join("ssh/known_hosts").display(),
    )
}

/// A second sshd of the sandbox host on a port of its own, which a test may kill (the
/// listener and every session it serves) and start again.
pub struct SecondSshd {
    port: u16,
    pid_file: PathBuf,
    args: Vec<String>,
}

impl SecondSshd {
    pub fn start(sb: &Sandbox, dir: &Path, port: u16) -> SecondSshd {
        SecondSshd::start_with(sb, dir, port, &[])
    }

    /// Like [`SecondSshd::start`], with more `-o` options (e.g. `SetEnv=PATH=…` for the
    /// sessions it starts).
    pub fn start_with(sb: &Sandbox, dir: &Path, port: u16, options: &[&str]) -> SecondSshd {
        let pid_file = dir.join(format!("sshd-{port}.pid"));
        let mut args = vec![
            "-f".to_string(),
            sb.state.join("ssh/sshd_config").display().to_string(),
            "-o".into(),
            format!("Port={port}"),
            "-o".into(),
            format!("PidFile={}", pid_file.display()),
            "-E".into(),
            dir.join(format!("sshd-{port}.log")).display().to_string(),
        ];
        for o in options {
            args.extend(["-o".to_string(), o.to_string()]);
        }
        let s = SecondSshd {
            port,
            pid_file,
            args,
        };
        s.resume();
        s
    }

    pub fn resume(&self) {
        ok_stdout(Command::new("/usr/sbin/sshd").args(&self.args));
        let port = self.port;
        eventually(Duration::from_secs(5), "the second sshd", || {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    }

    pub fn kill(&self) {
        if let Ok(pid) = std::fs::read_to_string(&self.pid_file) {
            let pid = pid.trim().to_string();
            let _ = Command::new("pkill").args(["-KILL", "-P", &pid]).output();
            let _ = Command::new("kill").args(["-KILL", &pid]).output();
        }
        let port = self.port;
        eventually(Duration::from_secs(5), "the second sshd gone", || {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(_) => Err("still answering".into()),
                Err(_) => Ok(()),
            }
        });
    }

    /// A config like the generated one that reaches the host through this sshd (and a
    /// known_hosts with the host's key under this port).
    pub fn config(&self, sb: &Sandbox, dir: &Path) -> PathBuf {
        let known_hosts = dir.join("known_hosts");
        let key = std::fs::read_to_string(sb.known_hosts()).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            &known_hosts,
            key.replace("[127.0.0.1]:2222", &format!("[127.0.0.1]:{}", self.port)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let port = self.port;
        edited_config(sb, dir, |t| {
            t.replace("port = 2222", &format!("port = {port}")).replace(
                &sb.known_hosts().display().to_string(),
                &known_hosts.display().to_string(),
            )
        })
    }
}

impl Drop for SecondSshd {
    fn drop(&mut self) {
        self.kill();
    }
}

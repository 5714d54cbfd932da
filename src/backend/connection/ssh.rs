//! The SSH side of a connection: one openssh session (the system ssh, so ~/.ssh/config,
//! agents and ProxyJump work) and the host's Docker socket forwarded to a local unix
//! socket in a private 0700 directory that is removed when the connection ends.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use openssh::Session;
use tempfile::TempDir;

use pilothouse_core::config::{HostKeyPolicy, SshSettings};

/// A live SSH session with the Docker socket forwarded.
pub struct Tunnel {
    pub session: Arc<Session>,
    /// The local end of the forwarded Docker socket.
    pub docker_socket: PathBuf,
    /// Numbers the forwards' local sockets: shared by every [`crate::connection::remote::Remote`]
    /// of this connection, so that no two forwards claim the same path.
    pub forwards: Arc<std::sync::atomic::AtomicU32>,
    /// The connection's long-lived shells for quick and for slow polls (each started
    /// by its first poll).
    pub polls: crate::connection::poll_shell::PollShell,
    pub slow_polls: crate::connection::poll_shell::PollShell,
    /// Holds the private directory (control socket, forwarded socket); removed on drop.
    _dir: PrivateDir,
}

/// The private 0700 directory of one connection. When it goes, so does any ssh process
/// still naming it: a connect cancelled half-way (quit, hang-up, panic) leaves an ssh
/// master that openssh has already started and that nothing else would ever stop.
struct PrivateDir(TempDir);

/// Every private directory alive in this process, so that [`sweep`] can stop their ssh
/// processes when the console ends, whatever state their connections are in.
static LIVE_DIRS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

impl PrivateDir {
    fn new(dir: TempDir) -> PrivateDir {
        // Which process owns it: a later console removes it once that one is gone.
        let _ = std::fs::write(dir.path().join(OWNER_FILE), std::process::id().to_string());
        if let Ok(mut live) = LIVE_DIRS.lock() {
            live.push(dir.path().to_path_buf());
        }
        PrivateDir(dir)
    }
}

/// The file in a connection's directory that names the process that made it.
const OWNER_FILE: &str = "owner";

/// Removes what consoles that are no longer running left in the temporary directory
/// (killed, out of memory, the power gone): each connection directory whose owner is
/// gone has its ssh processes stopped and is removed. Run once per process, before its
/// first connection.
fn remove_leftovers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let tmp = std::env::temp_dir();
        let Ok(entries) = std::fs::read_dir(&tmp) else {
            return;
        };
        for dir in entries.filter_map(Result::ok).map(|e| e.path()) {
            if left_behind(&dir) {
                log::info!("removing {} (its console is gone)", dir.display());
                stop_ssh_in(&dir);
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    });
}

/// Whether `dir` is a connection directory of this user whose owner is not running.
fn left_behind(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let named = dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("pilothouse-"));
    let mine = std::fs::symlink_metadata(dir).is_ok_and(|m| {
        m.is_dir() && m.uid() == std::fs::metadata("/proc/self").map_or(u32::MAX, |s| s.uid())
    });
    let Some(owner) = std::fs::read_to_string(dir.join(OWNER_FILE))
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
    else {
        return false;
    };
    named && mine && owner != std::process::id() && !is_pilothouse(owner)
}

/// Whether process `pid` runs and is a pilothouse (its number may have been reused).
pub fn is_pilothouse(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
        let argv0 = c.split(|b| *b == 0).next().unwrap_or_default();
        String::from_utf8_lossy(argv0).contains("pilothouse")
    })
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        stop_ssh_in(self.0.path());
        if let Ok(mut live) = LIVE_DIRS.lock() {
            live.retain(|d| d != self.0.path());
        }
    }
}

/// Stops every ssh process naming `dir`'s control sockets (its master and, with the
/// master, the sessions multiplexed on it).
fn stop_ssh_in(dir: &Path) {
    // The master's process group: its proxy children (ProxyJump, ProxyCommand).
    if let Some(g) = std::fs::read_to_string(dir.join(GROUP_FILE))
        .ok()
        .and_then(|g| g.trim().parse::<u32>().ok())
        .filter(|g| *g > 1)
    {
        stop_ssh_of_group(g);
    }
    // Every master of this connection has `-S <dir>/.ssh-connection…` in its
    // arguments, and the directory name is random: this matches nothing else.
    let pattern = format!("{}/.ssh-connection", dir.display());
    let _ = std::process::Command::new("pkill")
        .arg("-TERM")
        .arg("-f")
        .arg(pattern)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Stops the ssh processes of every connection still alive in this process and removes
/// their directories. Called once the console's event loop is over: a connection whose
/// actor did not finish closing in time (stuck on a slow host, or on a loaded machine)
/// must not outlive the console that opened it.
pub fn sweep_connections() {
    let live = LIVE_DIRS
        .lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default();
    for dir in live {
        stop_ssh_in(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

impl Tunnel {
    /// Closes the SSH session cleanly; the private directory goes with `self`.
    pub async fn close(self) {
        // The poll shell holds the session: it goes first. Monitors may still hold the
        // session for a moment; the private directory's drop stops the master either way.
        self.polls.stop().await;
        self.slow_polls.stop().await;
        if let Ok(session) = Arc::try_unwrap(self.session) {
            let _ = session.close().await;
        }
    }

    /// The private directory, where further forwarded sockets go.
    pub fn dir(&self) -> &Path {
        self._dir.0.path()
    }
}

/// Forwards `host:port` as seen from the remote host to the local unix socket `local`.
/// The request goes to the ssh master process; a master that does not answer within
/// `FORWARD_LIMIT` is an error, so nobody waits on it forever.
pub async fn forward_tcp(
    session: &Session,
    local: &Path,
    host: &str,
    port: u16,
) -> Result<(), String> {
    // `-L` takes an IPv6 address in brackets.
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    mux_forward(session, local, &target).await
}

/// Asks the master for a local forward from the unix socket `local` to `target` (a
/// remote unix socket path or `host:port`) with `ssh -O forward`: the master binds the
/// socket at once and the request ends. (The openssh crate's own request runs
/// `ssh -fNT -L`, a mux client that stays about 200 ms before it backgrounds itself:
/// measured on the sandbox, 200 ms against 8 to 16 ms, most of the gap between the
/// master's login and the first table.)
async fn mux_forward(session: &Session, local: &Path, target: &str) -> Result<(), String> {
    let mut spec = local.as_os_str().to_owned();
    spec.push(":");
    spec.push(target);
    mux_request(session, "forward", &spec, target).await
}

/// Opens (`open`) or closes a forward from this machine's loopback `local_port` to
/// `host:port` as the remote host sees it, through the connection's master
/// (`ssh -O forward` / `ssh -O cancel`). Requests from several forwards may run at
/// once: the master answers each as it comes (measured: 50 at once under load in 1 s;
/// it was the crate's `ssh -fNT` clients that the master served one after another,
/// ~200 ms each, which under load looked like a hang).
pub async fn loopback_forward(
    session: &Session,
    local_port: u16,
    host: &str,
    port: u16,
    open: bool,
) -> Result<(), String> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let spec = std::ffi::OsString::from(format!("127.0.0.1:{local_port}:{target}"));
    let op = if open { "forward" } else { "cancel" };
    mux_request(session, op, &spec, &target).await
}

/// `ssh -S <master> -O <op> -L <spec> none`, within `FORWARD_LIMIT`.
async fn mux_request(
    session: &Session,
    op: &str,
    spec: &std::ffi::OsStr,
    target: &str,
) -> Result<(), String> {
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.arg("-S")
        .arg(session.control_socket())
        .args(["-o", "BatchMode=yes", "-O", op, "-L"])
        .arg(spec)
        .arg("none")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let out = match tokio::time::timeout(FORWARD_LIMIT, cmd.output()).await {
        Err(_) => {
            return Err(format!(
                "ssh: forwarding to {target} got no answer within {} s",
                FORWARD_LIMIT.as_secs()
            ));
        }
        Ok(Err(e)) => return Err(format!("ssh: cannot run ssh -O {op}: {e}")),
        Ok(Ok(out)) => out,
    };
    if out.status.success() {
        return Ok(());
    }
    let why = pilothouse_core::text::clean(&String::from_utf8_lossy(&out.stderr), 300);
    Err(format!("ssh: cannot {op} to {target}: {}", why.trim()))
}

/// How long a port-forward request may take.
const FORWARD_LIMIT: Duration = Duration::from_secs(10);

/// Connects and forwards `remote_docker_socket`. Errors are one line meant for the
/// operator: what went wrong and, where it is known, what to do.
pub async fn connect(ssh: &SshSettings, remote_docker_socket: &str) -> Result<Tunnel, String> {
    let _ = tokio::task::spawn_blocking(remove_leftovers).await;
    let dir = PrivateDir::new(
        tempfile::Builder::new()
            .prefix("pilothouse-")
            .tempdir()
            .map_err(|e| format!("cannot create a private socket directory: {e}"))?,
    );
    let ctl = dir.0.path().join(".ssh-connection-master");
    let log = dir.0.path().join(".ssh-connection-log");
    let local = dir.0.path().join("docker.sock");
    launch_master(
        ssh,
        dir.0.path(),
        &ctl,
        &log,
        (&local, remote_docker_socket),
    )
    .await?;
    let session = Arc::new(Session::resume(
        ctl.into_boxed_path(),
        Some(log.into_boxed_path()),
    ));
    Ok(Tunnel {
        polls: crate::connection::poll_shell::PollShell::over_ssh(session.clone()),
        slow_polls: crate::connection::poll_shell::PollShell::over_ssh(session.clone()),
        session,
        docker_socket: local,
        forwards: Arc::new(std::sync::atomic::AtomicU32::new(0)),
        _dir: dir,
    })
}

/// How long a master with no channel left (its console gone, however it went) stays:
/// the poll shells and the engine's event stream hold channels while a console runs.
const IDLE_MASTER_SECS: u64 = 30;

/// The master's command line: the system ssh, so `~/.ssh/config`, agents, ProxyJump and
/// known_hosts work; it goes to the background (`-f`) once authenticated, with the
/// engine's socket (`docker`: the local socket, the host's) forwarded and bound: one
/// ssh process fewer than asking the master for it afterwards.
fn master_command(
    ssh: &SshSettings,
    ctl: &Path,
    log: &Path,
    docker: (&Path, &str),
) -> std::process::Command {
    let mut c = std::process::Command::new("ssh");
    c.arg("-E").arg(log).arg("-S").arg(ctl);
    c.args(["-M", "-f", "-N", "-o", "BatchMode=yes"]);
    let mut forward = docker.0.as_os_str().to_owned();
    forward.push(":");
    forward.push(docker.1);
    c.arg("-L").arg(forward);
    c.args(["-o", "ExitOnForwardFailure=yes"]);
    c.arg("-o")
        .arg(format!("ControlPersist={IDLE_MASTER_SECS}"))
        .arg("-o")
        .arg(match ssh.host_key_policy {
            HostKeyPolicy::Strict => "StrictHostKeyChecking=yes",
            HostKeyPolicy::AcceptNew => "StrictHostKeyChecking=accept-new",
        })
        .arg("-o")
        .arg(format!(
            "ConnectTimeout={}",
            ssh.connect_timeout.0.as_secs().max(1)
        ))
        .arg("-o")
        .arg("ServerAliveInterval=5");
    if let Some(p) = ssh.port {
        c.arg("-p").arg(p.to_string());
    }
    if let Some(u) = &ssh.user {
        c.arg("-l").arg(u.to_string());
    }
    if let Some(k) = &ssh.identity_file {
        c.args(["-o", "IdentitiesOnly=yes", "-i"]).arg(k.path());
    }
    if let Some(k) = &ssh.known_hosts_file {
        let mut o = std::ffi::OsString::from("UserKnownHostsFile=");
        o.push(k.path());
        c.arg("-o").arg(o);
    }
    if let Some(f) = &ssh.config_file {
        c.arg("-F").arg(f.path());
    }
    c.arg(ssh.destination.as_str());
    c
}

/// Starts the connection's master in a process group of its own, whose number is
/// written to `dir` (its ProxyJump or ProxyCommand children stay in that group): a
/// connection that does not complete within the limit has the whole group stopped, and
/// so does the console's end or the next console's start.
async fn launch_master(
    ssh: &SshSettings,
    dir: &Path,
    ctl: &Path,
    log: &Path,
    docker: (&Path, &str),
) -> Result<(), String> {
    let destination = ssh.destination.as_str();
    let command = master_command(ssh, ctl, log, docker);
    let shown = format!(
        "ssh {}",
        pilothouse_core::shell::quote_all(
            &command
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        )
    );
    let mut command = tokio::process::Command::from(command);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| format!("ssh {destination}: cannot run ssh: {e}"))?;
    let group = child.id();
    if let Some(g) = group {
        let _ = std::fs::write(dir.join(GROUP_FILE), g.to_string());
    }
    // ssh's own timeout covers each TCP connect; this one covers a handshake that hangs
    // and a proxy chain that never ends.
    let limit = ssh.connect_timeout.0 + Duration::from_secs(5);
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.map_err(|e| format!("ssh {destination}: {e}"))?,
        Err(_) => {
            if let Some(g) = group {
                stop_group(g);
            }
            return Err(format!(
                "ssh {destination}: the connection did not complete within {}s; its ssh processes were stopped ({shown})",
                limit.as_secs()
            ));
        }
    };
    if status.success() {
        return Ok(());
    }
    // What it left running (a proxy chain's hops, still forking) ends with it: one
    // signal to the whole group, which exists as long as any hop does.
    if let Some(g) = group {
        stop_group(g);
    }
    let said = std::fs::read_to_string(log).unwrap_or_default();
    let said =
        pilothouse_core::text::clean(&said.split_whitespace().collect::<Vec<_>>().join(" "), 400);
    if said.contains("timed out") {
        return Err(format!(
            "ssh {destination}: the connection did not complete within {}s: {said} ({shown})",
            ssh.connect_timeout.0.as_secs().max(1)
        ));
    }
    Err(explain_text(destination, ssh, &said))
}

/// The file in a connection's directory that names its master's process group.
const GROUP_FILE: &str = "ssh-group";

/// Stops the ssh processes still in process group `group`. The group's leader (the
/// master's first process) is gone by now, so its number may one day be another
/// group's: only processes named ssh are stopped, each by its pid, until none is left.
fn stop_ssh_of_group(group: u32) {
    for _ in 0..20 {
        let pids = ssh_in_group(group);
        if pids.is_empty() {
            return;
        }
        let _ = std::process::Command::new("kill")
            .arg("-KILL")
            .args(pids.iter().map(u32::to_string))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The pids of the processes named `ssh` in process group `group` (from /proc).
fn ssh_in_group(group: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after it.
            let Some((head, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let comm = head.split_once('(').map_or("", |(_, c)| c);
            let pgrp = rest
                .split_whitespace()
                .nth(2)
                .and_then(|g| g.parse::<u32>().ok());
            comm == "ssh" && pgrp == Some(group)
        })
        .collect()
}

/// Sends SIGKILL to every process of group `group` (its leader not yet reaped, so the
/// number is still this group's).
fn stop_group(group: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// What ssh's error text means for the operator, and what to do.
fn explain_text(destination: &str, ssh: &SshSettings, text: &str) -> String {
    let host = match ssh.port {
        Some(p) => format!("[{destination}]:{p}"),
        None => destination.to_string(),
    };
    if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        format!(
            "ssh {destination}: the host key of {host} has CHANGED; refusing to connect. If the host was rebuilt, remove the old key ({remove}) and verify the new fingerprint before connecting",
            remove = match &ssh.known_hosts_file {
                Some(f) => format!(
                    "ssh-keygen -f {} -R {}",
                    pilothouse_core::shell::quote(&f.path().display().to_string()),
                    pilothouse_core::shell::quote(&host)
                ),
                None => format!("ssh-keygen -R {}", pilothouse_core::shell::quote(&host)),
            }
        )
    } else if text.contains("Host key verification failed")
        || text.contains("No ED25519 host key is known")
        || text.contains("No RSA host key is known")
        || text.contains("host key is known")
    {
        format!(
            "ssh {destination}: the host key of {host} is not in known_hosts (host_key_policy = \"{}\"); refusing to connect. Verify the fingerprint and add it (ssh-keyscan, or connect once with plain ssh), or opt in to host_key_policy = \"accept-new\"",
            ssh.host_key_policy
        )
    } else if text.contains("Permission denied") {
        format!(
            "ssh {destination}: authentication refused (check user, identity_file and your agent): {text}"
        )
    } else if text.contains("Connection refused") {
        format!("ssh {destination}: connection refused by {host} (is sshd running?)")
    } else {
        format!("ssh {destination}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_host_key_advice_names_the_configured_known_hosts_file() {
        let ssh: SshSettings = toml::from_str(
            "destination = \"db1\"\nport = 2222\nknown_hosts_file = \"/etc/acme/known_hosts\"",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let changed = "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@";
        let advice = explain_text("db1", &ssh, changed);
        assert!(
            advice.contains("ssh-keygen -f '/etc/acme/known_hosts' -R '[db1]:2222'"),
            "{advice}"
        );
        let plain: SshSettings =
            toml::from_str("destination = \"db1\"").unwrap_or_else(|e| panic!("{e}"));
        assert!(explain_text("db1", &plain, changed).contains("(ssh-keygen -R 'db1')"));
    }
}

//! The host as the monitors see it: run a shell script there, and reach a TCP address as
//! the host would (through an SSH local forward). For `reach = "local"` both happen on
//! this machine.
//!
//! Scripts are built by the caller from fixed text and values that were validated and
//! quoted with [`quote`]; nothing typed at run time goes into them.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use openssh::Session;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::connection::poll_shell::{PollShell, ScriptOutput};
use crate::connection::ssh;

/// A cheap, clonable handle on the host of one connection.
#[derive(Clone)]
pub enum Remote {
    Ssh {
        session: Arc<Session>,
        /// The connection's private 0700 directory; forwarded sockets go here.
        dir: PathBuf,
        counter: Arc<AtomicU32>,
        /// The connection's long-lived shells for polls: quick ones, and slow ones
        /// (`docker system df`, `config --services`) that must not hold the quick
        /// ones up.
        polls: PollShell,
        slow_polls: PollShell,
    },
    Local {
        polls: PollShell,
        slow_polls: PollShell,
    },
}

/// A TCP address, reached either directly or through a forwarded unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Tcp { host: String, port: u16 },
    Forwarded(PathBuf),
}

/// A connected byte stream the HTTP and database clients talk over. A concrete type (no
/// trait object): rustc then proves the database futures `Send` without help.
pub enum AnyStream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// Any byte stream (TLS wrappers are generic over it).
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl AsyncRead for AnyStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            AnyStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            AnyStream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for AnyStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            AnyStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            AnyStream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            AnyStream::Tcp(s) => Pin::new(s).poll_flush(cx),
            AnyStream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            AnyStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            AnyStream::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl Endpoint {
    pub async fn connect(&self, limit: Duration) -> Result<AnyStream, String> {
        let fut = async {
            match self {
                Endpoint::Tcp { host, port } => {
                    tokio::net::TcpStream::connect((host.as_str(), *port))
                        .await
                        .map(AnyStream::Tcp)
                        .map_err(|e| format!("connect to {host}:{port}: {e}"))
                }
                Endpoint::Forwarded(path) => tokio::net::UnixStream::connect(path)
                    .await
                    .map(AnyStream::Unix)
                    .map_err(|e| format!("the forward through the host is gone: {e}")),
            }
        };
        match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => Err(format!("no connection within {} s", limit.as_secs_f32())),
        }
    }
}

impl Remote {
    pub fn from_tunnel(t: &ssh::Tunnel) -> Remote {
        Remote::Ssh {
            session: t.session.clone(),
            dir: t.dir().to_path_buf(),
            counter: t.forwards.clone(),
            polls: t.polls.clone(),
            slow_polls: t.slow_polls.clone(),
        }
    }

    /// The host is this machine (`reach = "local"`).
    pub fn local() -> Remote {
        Remote::Local {
            polls: PollShell::local(),
            slow_polls: PollShell::local(),
        }
    }

    /// Ends the poll shell (the connection is closing).
    pub async fn stop_polls(&self) {
        match self {
            Remote::Ssh {
                polls, slow_polls, ..
            }
            | Remote::Local { polls, slow_polls } => {
                polls.stop().await;
                slow_polls.stop().await;
            }
        }
    }

    /// Runs a read-only poll (host resources, the lock, counters) in the connection's
    /// long-lived shell: no new channel, no login shell. Actions use [`Remote::sh`].
    pub async fn poll(&self, script: &str, limit: Duration) -> Result<ScriptOutput, String> {
        match self {
            Remote::Ssh { polls, .. } | Remote::Local { polls, .. } => {
                polls.run(script, limit).await
            }
        }
    }

    /// A poll that may take seconds (`docker system df`, `config --services`), in the
    /// connection's second long-lived shell so that it never holds up the quick ones.
    pub async fn poll_slow(&self, script: &str, limit: Duration) -> Result<ScriptOutput, String> {
        match self {
            Remote::Ssh { slow_polls, .. } | Remote::Local { slow_polls, .. } => {
                slow_polls.run(script, limit).await
            }
        }
    }

    /// Runs `sh -c SCRIPT` on the host, giving up after `limit`.
    pub async fn sh(&self, script: &str, limit: Duration) -> Result<ScriptOutput, String> {
        let run = async {
            match self {
                Remote::Ssh { session, .. } => session
                    .command("sh")
                    .arg("-c")
                    .arg(script)
                    .output()
                    .await
                    .map(ScriptOutput::from)
                    .map_err(|e| format!("ssh: {e}")),
                Remote::Local { .. } => tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(script)
                    .stdin(std::process::Stdio::null())
                    .kill_on_drop(true)
                    .output()
                    .await
                    .map(ScriptOutput::from)
                    .map_err(|e| format!("sh: {e}")),
            }
        };
        match tokio::time::timeout(limit, run).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} s", limit.as_secs())),
        }
    }

    /// Runs `sh -c SCRIPT` on the host, sending each line of its standard output (made
    /// safe to show, URL passwords masked) as it comes. Its exit code (None: killed by
    /// a signal); Err when the transport itself failed, so the outcome is unknown.
    pub async fn sh_streaming(
        &self,
        script: &str,
        lines: tokio::sync::mpsc::Sender<String>,
    ) -> Result<Option<i32>, String> {
        use tokio::io::AsyncBufReadExt;
        let forward = |out: Box<dyn AsyncRead + Unpin + Send>| {
            let lines = lines.clone();
            async move {
                let mut reader = tokio::io::BufReader::new(out);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let text = pilothouse_core::logs::sanitize::clean_str(&buf);
                            let text = pilothouse_core::text::mask_credentials(&text);
                            let _ = lines.send(text).await;
                        }
                    }
                }
            }
        };
        match self {
            Remote::Ssh { session, .. } => {
                let mut child = session
                    .command("sh")
                    .arg("-c")
                    .arg(script)
                    .stdout(openssh::Stdio::piped())
                    .stderr(openssh::Stdio::null())
                    .spawn()
                    .await
                    .map_err(|e| format!("ssh: {e}"))?;
                if let Some(out) = child.stdout().take() {
                    forward(Box::new(out)).await;
                }
                let status = child.wait().await.map_err(|e| format!("ssh: {e}"))?;
                Ok(status.code())
            }
            Remote::Local { .. } => {
                let mut child = tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(script)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("sh: {e}"))?;
                if let Some(out) = child.stdout.take() {
                    forward(Box::new(out)).await;
                }
                let status = child.wait().await.map_err(|e| format!("sh: {e}"))?;
                Ok(status.code())
            }
        }
    }

    /// Opens (or closes) this machine's `127.0.0.1:local_port` to `host:port` as the
    /// host sees it; the address that reaches it. On this machine (`reach = "local"`)
    /// nothing is forwarded: `host:port` is reached as it is.
    pub async fn loopback_forward(
        &self,
        local_port: u16,
        host: &str,
        port: u16,
        open: bool,
    ) -> Result<String, String> {
        match self {
            Remote::Ssh { session, .. } => {
                ssh::loopback_forward(session, local_port, host, port, open).await?;
                Ok(format!("127.0.0.1:{local_port}"))
            }
            Remote::Local { .. } if host.contains(':') => Ok(format!("[{host}]:{port}")),
            Remote::Local { .. } => Ok(format!("{host}:{port}")),
        }
    }

    /// Whether forwards go through SSH (else the host's addresses are this machine's).
    pub fn is_ssh(&self) -> bool {
        matches!(self, Remote::Ssh { .. })
    }

    /// The way to `host:port` as the host sees it.
    pub async fn reach(&self, host: &str, port: u16) -> Result<Endpoint, String> {
        match self {
            Remote::Ssh {
                session,
                dir,
                counter,
                ..
            } => {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let local = dir.join(format!("fwd-{n}.sock"));
                ssh::forward_tcp(session, &local, host, port).await?;
                Ok(Endpoint::Forwarded(local))
            }
            Remote::Local { .. } => Ok(Endpoint::Tcp {
                host: host.to_string(),
                port,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilothouse_core::shell::quote;

    #[tokio::test(flavor = "current_thread")]
    async fn quoted_words_reach_the_shell_unchanged() {
        for word in [
            "plain",
            "a b",
            "it's",
            "$(touch /tmp/pilothouse-pwned)",
            "`id`",
            "a;b",
            "\"dq\"",
            "line\nbreak",
            "'",
            "",
        ] {
            let out = Remote::local()
                .sh(
                    &format!("printf %s {}", quote(word)),
                    Duration::from_secs(5),
                )
                .await
                .expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
        assert!(!std::path::Path::new("/tmp/pilothouse-pwned").exists());
    }
}

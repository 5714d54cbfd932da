//! One long-lived remote shell per connection for every poll (host resources, the host
//! lock, cgroup counters, ...): a poll is a few lines written to a running `sh`, never a
//! new exec channel with a new login shell. The user's shell start-up files run once, when
//! the shell starts, so what a poll costs the host does not depend on them.
//!
//! Framing: each script runs in a subshell with its standard input closed; after it the
//! shell prints a delimiter line with the exit code on standard output and the same
//! delimiter on standard error. The delimiter is random per shell (128 bits), written only
//! to the shell's own input, so no host text can forge it. A script that does not answer
//! within its limit, a broken pipe, or a shell that ended: the shell is killed and the
//! next poll starts a new one. Actions never come here: each keeps its own channel.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use openssh::Session;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

/// What a script printed and how it ended.
#[derive(Debug)]
pub struct ScriptOutput {
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl From<std::process::Output> for ScriptOutput {
    fn from(o: std::process::Output) -> Self {
        ScriptOutput {
            status: o.status.code(),
            stdout: o.stdout,
            stderr: o.stderr,
        }
    }
}

/// Most bytes kept from one poll's standard output (more is a fault of the script).
const MAX_OUTPUT: usize = 4 << 20;

struct Request {
    script: String,
    limit: Duration,
    reply: oneshot::Sender<Result<ScriptOutput, String>>,
}

/// A handle on a connection's poll shell; clones share it. The shell ends when the last
/// handle is dropped (or its connection closes).
#[derive(Clone)]
pub struct PollShell {
    requests: mpsc::Sender<Request>,
    task: tokio::task::AbortHandle,
}

impl PollShell {
    /// A poll shell on `session`, started by the first poll.
    pub fn over_ssh(session: Arc<Session>) -> PollShell {
        let (tx, rx) = mpsc::channel(16);
        let task = tokio::spawn(serve(Starter::Ssh(session), rx)).abort_handle();
        PollShell { requests: tx, task }
    }

    /// A poll shell on this machine (`reach = "local"`).
    pub fn local() -> PollShell {
        let (tx, rx) = mpsc::channel(16);
        let task = tokio::spawn(serve(Starter::Local, rx)).abort_handle();
        PollShell { requests: tx, task }
    }

    /// Runs `script` in the shell, giving up (and killing the shell) after `limit`.
    pub async fn run(&self, script: &str, limit: Duration) -> Result<ScriptOutput, String> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            script: script.to_string(),
            limit,
            reply,
        };
        if self.requests.send(request).await.is_err() {
            return Err("the poll shell has stopped".into());
        }
        answer
            .await
            .unwrap_or_else(|_| Err("the poll shell has stopped".into()))
    }

    /// Ends the shell and lets go of the session at once (a poll in progress is
    /// abandoned), so that the connection can close cleanly; later polls get an error.
    pub async fn stop(&self) {
        self.task.abort();
        for _ in 0..200 {
            if self.task.is_finished() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

enum Starter {
    Ssh(Arc<Session>),
    Local,
}

type Reader = Box<dyn AsyncBufRead + Unpin + Send>;
type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// A running shell: its pipes, and what keeps it alive (dropping it ends the shell).
struct Running {
    stdin: Writer,
    stdout: Reader,
    stderr: Reader,
    delimiter: String,
    _child: Box<dyn Send>,
}

impl Running {
    /// A running shell from its three pipes (an error when one is missing) and what
    /// keeps it alive.
    fn new<I, O, E>(
        pipes: (Option<I>, Option<O>, Option<E>),
        delimiter: String,
        child: Box<dyn Send>,
    ) -> Result<Running, String>
    where
        I: AsyncWrite + Unpin + Send + 'static,
        O: tokio::io::AsyncRead + Unpin + Send + 'static,
        E: tokio::io::AsyncRead + Unpin + Send + 'static,
    {
        let (Some(stdin), Some(stdout), Some(stderr)) = pipes else {
            return Err("the poll shell's pipes are missing".into());
        };
        Ok(Running {
            stdin: Box::new(stdin),
            stdout: Box::new(BufReader::new(stdout)),
            stderr: Box::new(BufReader::new(stderr)),
            delimiter,
            _child: child,
        })
    }
}

async fn serve(starter: Starter, mut requests: mpsc::Receiver<Request>) {
    let mut shell: Option<Running> = None;
    while let Some(req) = requests.recv().await {
        let Request {
            script,
            limit,
            reply,
        } = req;
        if shell.is_none() {
            match tokio::time::timeout(limit, start(&starter)).await {
                Ok(Ok(s)) => shell = Some(s),
                Ok(Err(e)) => {
                    let _ = reply.send(Err(e));
                    continue;
                }
                Err(_) => {
                    let _ = reply.send(Err(format!(
                        "the poll shell did not start within {} s",
                        limit.as_secs()
                    )));
                    continue;
                }
            }
        }
        let Some(running) = shell.as_mut() else {
            continue;
        };
        let answer = match tokio::time::timeout(limit, exchange(running, &script)).await {
            Ok(answer) => answer,
            Err(_) => Err(format!("no answer within {} s", limit.as_secs())),
        };
        if answer.is_err() {
            // Whatever state it is in, it cannot be trusted with the next poll.
            shell = None;
        }
        let _ = reply.send(answer);
    }
}

/// A fresh random delimiter: 32 hex digits.
fn delimiter() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("no randomness for the poll shell: {e}"))?;
    Ok(format!(
        "ph-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

async fn start(starter: &Starter) -> Result<Running, String> {
    let delimiter = delimiter()?;
    match starter {
        Starter::Ssh(session) => {
            let mut child = Session::arc_command(session.clone(), "sh")
                .stdin(openssh::Stdio::piped())
                .stdout(openssh::Stdio::piped())
                .stderr(openssh::Stdio::piped())
                .spawn()
                .await
                .map_err(|e| format!("ssh: {e}"))?;
            let pipes = (
                child.stdin().take(),
                child.stdout().take(),
                child.stderr().take(),
            );
            Running::new(pipes, delimiter, Box::new(child))
        }
        Starter::Local => {
            let mut child = tokio::process::Command::new("sh")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("sh: {e}"))?;
            let pipes = (child.stdin.take(), child.stdout.take(), child.stderr.take());
            Running::new(pipes, delimiter, Box::new(child))
        }
    }
}

/// The text written for one script.
fn frame(script: &str, delimiter: &str) -> String {
    format!(
        "(\n{script}\n) </dev/null\nprintf '\\n{delimiter} %d\\n' \"$?\"\nprintf '\\n{delimiter}\\n' >&2\n"
    )
}

async fn exchange(shell: &mut Running, script: &str) -> Result<ScriptOutput, String> {
    let text = frame(script, &shell.delimiter);
    shell
        .stdin
        .write_all(text.as_bytes())
        .await
        .map_err(|e| format!("the poll shell: {e}"))?;
    shell
        .stdin
        .flush()
        .await
        .map_err(|e| format!("the poll shell: {e}"))?;
    let delimiter = shell.delimiter.clone();
    let (out, err) = tokio::join!(
        read_framed(&mut shell.stdout, &delimiter),
        read_framed(&mut shell.stderr, &delimiter)
    );
    let (stdout, last) = out?;
    let (stderr, _) = err?;
    let status = last
        .strip_prefix(' ')
        .and_then(|code| code.trim().parse::<i32>().ok());
    Ok(ScriptOutput {
        status,
        stdout,
        stderr,
    })
}

/// Reads up to the delimiter line; the output before it (without the newline the frame
/// added) and the rest of the delimiter line.
async fn read_framed(reader: &mut Reader, delimiter: &str) -> Result<(Vec<u8>, String), String> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| format!("the poll shell: {e}"))?;
        if n == 0 {
            return Err("the poll shell ended".into());
        }
        if let Some(rest) = line.strip_prefix(delimiter.as_bytes()) {
            // The frame printed a newline before the delimiter: not the script's.
            if out.last() == Some(&b'\n') {
                out.pop();
            }
            let rest = String::from_utf8_lossy(rest).trim_end().to_string();
            return Ok((out, rest));
        }
        if out.len() + line.len() > MAX_OUTPUT {
            return Err(format!("the poll printed more than {MAX_OUTPUT} bytes"));
        }
        out.extend_from_slice(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn polls_share_one_shell_and_keep_their_outputs_apart() {
        let shell = PollShell::local();
        let a = shell
            .run("echo one; echo oops >&2; exit 3", Duration::from_secs(5))
            .await
            .expect("first poll");
        assert_eq!(
            (a.status, a.stdout.as_slice(), a.stderr.as_slice()),
            (Some(3), &b"one\n"[..], &b"oops\n"[..])
        );
        // Same shell: its pid is the parent of both subshells.
        let p1 = shell
            .run("echo $PPID", Duration::from_secs(5))
            .await
            .expect("pid");
        let p2 = shell
            .run("printf %s $PPID", Duration::from_secs(5))
            .await
            .expect("pid");
        assert_eq!(
            String::from_utf8_lossy(&p1.stdout).trim(),
            String::from_utf8_lossy(&p2.stdout)
        );
        // No trailing newline survives as the script's own; a cd does not leak.
        let c = shell
            .run("cd /; printf x", Duration::from_secs(5))
            .await
            .expect("cd");
        assert_eq!(c.stdout, b"x");
        let d = shell.run("pwd", Duration::from_secs(5)).await.expect("pwd");
        assert_ne!(d.stdout, b"/\n");
    }

    #[tokio::test]
    async fn a_hung_poll_times_out_and_the_next_one_gets_a_new_shell() {
        let shell = PollShell::local();
        let before = shell
            .run("echo $$", Duration::from_secs(5))
            .await
            .expect("pid");
        let hung = shell.run("sleep 30", Duration::from_millis(300)).await;
        assert!(hung.is_err(), "{hung:?}");
        let after = shell
            .run("echo $$", Duration::from_secs(5))
            .await
            .expect("pid");
        assert_ne!(before.stdout, after.stdout, "a new shell after the timeout");
        // A script that reads its input gets nothing, and does not eat the next poll.
        let r = shell
            .run("cat; echo done", Duration::from_secs(5))
            .await
            .expect("cat");
        assert_eq!(r.stdout, b"done\n");
    }
}

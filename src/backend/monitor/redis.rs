//! One connection to Redis, either way the config allows:
//!
//! - `exec`: `redis-cli --no-raw` running in the Redis service's container, started
//!   through the engine (one long-lived exec); each command is written as a line and
//!   followed by an `ECHO` of a marker, so every reply ends at a line we know.
//! - `tcp`: the Redis protocol itself over a stream (an SSH local forward).
//!
//! Arguments are fixed text or validated names; they are quoted for redis-cli's own
//! splitting (`"…"` with escapes) or sent length-prefixed, never through a shell.

use std::pin::Pin;
use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use crate::connection::remote::AnyStream;

/// The longest reply kept (a bulk string or the lines of one reply).
const MAX_REPLY: usize = 4 << 20;

/// A reply, as far as this console needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Text(String),
    Int(i64),
    Nil,
    Error(String),
    List(Vec<Reply>),
}

impl Reply {
    /// The reply's text, or what went wrong.
    pub fn text(self) -> Result<String, String> {
        match self {
            Reply::Text(t) => Ok(t),
            Reply::Error(e) => Err(format!("Redis: {}", pilothouse_core::text::clean(&e, 300))),
            other => Err(format!("Redis answered {other:?} where text was expected")),
        }
    }
}

type ExecOutput = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

/// An open connection.
pub enum Conn {
    Resp(BufReader<AnyStream>),
    Cli {
        input: Pin<Box<dyn AsyncWrite + Send>>,
        output: ExecOutput,
        /// Bytes of stdout not yet split into lines.
        pending: Vec<u8>,
        /// The last of stderr, for the error when no reply comes.
        stderr: String,
        seq: u64,
    },
}

impl Conn {
    /// Redis over a stream.
    pub fn resp(stream: AnyStream) -> Conn {
        Conn::Resp(BufReader::new(stream))
    }

    /// `redis-cli` in `container`, talking to the Redis on `port` inside it.
    pub async fn exec(docker: &Docker, container: &str, port: u16) -> Result<Conn, String> {
        let config = ExecConfig {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            cmd: Some(vec![
                "redis-cli".into(),
                "-h".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                "--no-raw".into(),
            ]),
            ..Default::default()
        };
        let id = docker
            .create_exec(container, config)
            .await
            .map_err(|e| format!("redis-cli in the Redis container: {e}"))?
            .id;
        let options = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: Some(MAX_REPLY),
        };
        match docker.start_exec(&id, Some(options)).await {
            Ok(StartExecResults::Attached { output, input }) => Ok(Conn::Cli {
                input,
                output,
                pending: Vec::new(),
                stderr: String::new(),
                seq: 0,
            }),
            Ok(StartExecResults::Detached) => Err("redis-cli started detached".into()),
            Err(e) => Err(format!("redis-cli in the Redis container: {e}")),
        }
    }

    /// Sends one command and reads its reply, within `limit`.
    pub async fn call(&mut self, args: &[&str], limit: Duration) -> Result<Reply, String> {
        match tokio::time::timeout(limit, self.call_inner(args)).await {
            Ok(r) => r,
            Err(_) => Err(match self {
                Conn::Cli { stderr, .. } if !stderr.trim().is_empty() => {
                    format!(
                        "no answer from Redis: {}",
                        pilothouse_core::text::clean(stderr.trim(), 300)
                    )
                }
                _ => format!("no answer from Redis within {} s", limit.as_secs()),
            }),
        }
    }

    async fn call_inner(&mut self, args: &[&str]) -> Result<Reply, String> {
        match self {
            Conn::Resp(stream) => {
                stream
                    .get_mut()
                    .write_all(&resp_command(args))
                    .await
                    .map_err(|e| format!("writing to Redis: {e}"))?;
                read_resp(stream, 0).await
            }
            Conn::Cli {
                input,
                output,
                pending,
                stderr,
                seq,
            } => {
                *seq += 1;
                let marker = format!("pilothouse-end-{seq}");
                let mut line = redis_cli_line(args);
                line.push_str(&format!("\nECHO {marker}\n"));
                input
                    .write_all(line.as_bytes())
                    .await
                    .map_err(|e| format!("writing to redis-cli: {e}"))?;
                input
                    .flush()
                    .await
                    .map_err(|e| format!("writing to redis-cli: {e}"))?;
                let end = format!("\"{marker}\"");
                let mut lines = Vec::new();
                let mut size = 0;
                loop {
                    let l = next_line(output, pending, stderr).await?;
                    if l == end {
                        return Ok(parse_redis_cli(&lines));
                    }
                    // Unauthenticated, Redis refuses the marker's ECHO too: that refusal
                    // after the command's own reply ends it.
                    if !lines.is_empty() && l.starts_with("(error) NOAUTH") {
                        return Ok(parse_redis_cli(&lines));
                    }
                    size += l.len();
                    if size > MAX_REPLY {
                        return Err("Redis's reply is too long".into());
                    }
                    lines.push(l);
                }
            }
        }
    }
}

/// The next line of redis-cli's stdout (stderr is kept aside).
async fn next_line(
    output: &mut ExecOutput,
    pending: &mut Vec<u8>,
    stderr: &mut String,
) -> Result<String, String> {
    loop {
        if let Some(i) = pending.iter().position(|&b| b == b'\n') {
            let rest = pending.split_off(i + 1);
            let mut line = std::mem::replace(pending, rest);
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
        match output.next().await {
            Some(Ok(LogOutput::StdOut { message } | LogOutput::Console { message })) => {
                pending.extend_from_slice(&message);
            }
            Some(Ok(LogOutput::StdErr { message })) => {
                stderr.push_str(&String::from_utf8_lossy(&message));
                let keep = stderr.len().saturating_sub(1000);
                let keep = (keep..stderr.len())
                    .find(|&i| stderr.is_char_boundary(i))
                    .unwrap_or(0);
                stderr.drain(..keep);
            }
            Some(Ok(LogOutput::StdIn { .. })) => {}
            Some(Err(e)) => return Err(format!("redis-cli: {e}")),
            None => {
                let why = pilothouse_core::text::clean(stderr.trim(), 300);
                return Err(if why.is_empty() {
                    "redis-cli ended".into()
                } else {
                    format!("redis-cli ended: {why}")
                });
            }
        }
    }
}

/// One command as redis-cli reads a line: every argument double-quoted, with escapes.
pub fn redis_cli_line(args: &[&str]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        for b in a.bytes() {
            match b {
                b'\\' => out.push_str("\\\\"),
                b'"' => out.push_str("\\\""),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x20..=0x7e => out.push(char::from(b)),
                _ => out.push_str(&format!("\\x{b:02x}")),
            }
        }
        out.push('"');
    }
    out
}

/// redis-cli's `--no-raw` rendering of one reply back into a reply: `(integer) N`,
/// `(nil)`, `(error) …`, a quoted string with C escapes, or lines printed as they are
/// (`INFO`, `CLIENT LIST`).
pub fn parse_redis_cli(lines: &[String]) -> Reply {
    if let [line] = lines {
        if let Some(n) = line.strip_prefix("(integer) ") {
            return n
                .trim()
                .parse()
                .map_or_else(|_| Reply::Text(line.clone()), Reply::Int);
        }
        if line == "(nil)" {
            return Reply::Nil;
        }
        if let Some(e) = line.strip_prefix("(error) ") {
            return Reply::Error(e.to_string());
        }
        if let Some(inner) = line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
            return Reply::Text(redis_unquote(inner));
        }
    }
    Reply::Text(lines.join("\n"))
}

/// Undoes redis-cli's quoting (`sdscatrepr`): `\\ \" \n \r \t \a \b \xHH`.
pub fn redis_unquote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let (byte, used) = match b[i + 1] {
                b'n' => (b'\n', 2),
                b'r' => (b'\r', 2),
                b't' => (b'\t', 2),
                b'a' => (7, 2),
                b'b' => (8, 2),
                b'x' => match b
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => (v, 4),
                    None => (b'x', 2),
                },
                other => (other, 2),
            };
            out.push(byte);
            i += used;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A command in the Redis protocol: an array of bulk strings.
pub fn resp_command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one reply in the Redis protocol (RESP2).
pub async fn read_resp<R: AsyncRead + Unpin + Send>(
    r: &mut BufReader<R>,
    depth: u32,
) -> Result<Reply, String> {
    if depth > 8 {
        return Err("Redis's reply is nested too deeply".into());
    }
    let mut line = Vec::new();
    let n = (&mut *r)
        .take(64 * 1024)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| format!("reading from Redis: {e}"))?;
    if n == 0 {
        return Err("Redis closed the connection".into());
    }
    let text = String::from_utf8_lossy(&line);
    let text = text.trim_end_matches(['\r', '\n']);
    let (kind, rest) = text.split_at(text.len().min(1));
    let number = || {
        rest.parse::<i64>().map_err(|_| {
            format!(
                "Redis's reply is not understood: {}",
                pilothouse_core::text::clean(text, 80)
            )
        })
    };
    match kind {
        "+" => Ok(Reply::Text(rest.to_string())),
        "-" => Ok(Reply::Error(rest.to_string())),
        ":" => number().map(Reply::Int),
        "$" => {
            let len = number()?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > MAX_REPLY {
                return Err("Redis's reply is too long".into());
            }
            let mut buf = vec![0; len + 2];
            r.read_exact(&mut buf)
                .await
                .map_err(|e| format!("reading from Redis: {e}"))?;
            buf.truncate(len);
            Ok(Reply::Text(String::from_utf8_lossy(&buf).into_owned()))
        }
        "*" => {
            let len = number()?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            if len > 100_000 {
                return Err("Redis's reply is too long".into());
            }
            let mut items = Vec::new();
            for _ in 0..len {
                items.push(Box::pin(read_resp(r, depth + 1)).await?);
            }
            Ok(Reply::List(items))
        }
        _ => Err(format!(
            "Redis's reply is not understood: {}",
            pilothouse_core::text::clean(text, 80)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_cli_lines_quote_and_unquote() {
        assert_eq!(
            redis_cli_line(&["ECHO", "a \"b\"\n"]),
            r#""ECHO" "a \"b\"\n""#
        );
        assert_eq!(redis_cli_line(&["x\u{1b}"]), r#""x\x1b""#);
        assert_eq!(redis_unquote(r#"a\"b\\c\nd\x41"#), "a\"b\\c\ndA");
        assert_eq!(redis_unquote(r"\x4"), "x4");
        assert_eq!(redis_unquote("\\"), "\\");
    }

    #[test]
    fn redis_cli_replies_parse() {
        let one = |s: &str| parse_redis_cli(&[s.to_string()]);
        assert_eq!(one("(integer) 5"), Reply::Int(5));
        assert_eq!(one("(nil)"), Reply::Nil);
        assert_eq!(one("(error) ERR no"), Reply::Error("ERR no".into()));
        assert_eq!(one(r#""{\"a\":1}""#), Reply::Text("{\"a\":1}".into()));
        assert_eq!(
            parse_redis_cli(&["id=1 name=a".into(), "id=2 name=b".into()]),
            Reply::Text("id=1 name=a\nid=2 name=b".into())
        );
    }

    #[tokio::test]
    async fn resp_replies_parse() {
        let wire = b"$5\r\nhello\r\n:42\r\n-ERR x\r\n$-1\r\n*2\r\n+OK\r\n:1\r\n".to_vec();
        let mut r = BufReader::new(std::io::Cursor::new(wire));
        assert_eq!(read_resp(&mut r, 0).await, Ok(Reply::Text("hello".into())));
        assert_eq!(read_resp(&mut r, 0).await, Ok(Reply::Int(42)));
        assert_eq!(read_resp(&mut r, 0).await, Ok(Reply::Error("ERR x".into())));
        assert_eq!(read_resp(&mut r, 0).await, Ok(Reply::Nil));
        assert_eq!(
            read_resp(&mut r, 0).await,
            Ok(Reply::List(vec![Reply::Text("OK".into()), Reply::Int(1)]))
        );
        assert!(read_resp(&mut r, 0).await.is_err());
        assert_eq!(
            resp_command(&["GET", "k"]),
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
        );
    }
}

//! A small HTTP/1.1 client for health endpoints: one GET per connection
//! (`Connection: close`), the body capped, chunked encoding understood. Enough for
//! `/health`, without pulling a whole HTTP stack into the console.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bodies beyond this are cut (a health document is a few hundred bytes).
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends `GET path` for `host` over `stream` and reads the whole answer.
pub async fn get<S>(stream: S, host: &str, port: u16, path: &str) -> Result<Response, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    request(stream, "GET", host, port, path, None).await
}

/// Sends `POST path` with a JSON body and reads the whole answer.
pub async fn post_json<S>(
    stream: S,
    host: &str,
    port: u16,
    path: &str,
    body: &[u8],
) -> Result<Response, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    request(stream, "POST", host, port, path, Some(body)).await
}

async fn request<S>(
    mut stream: S,
    method: &str,
    host: &str,
    port: u16,
    path: &str,
    body: Option<&[u8]>,
) -> Result<Response, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let content = body.map_or(String::new(), |b| {
        format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        )
    });
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: pilothouse/{}\r\nAccept: application/json, */*\r\n{content}Connection: close\r\n\r\n",
        host_header(host, port),
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    request.extend_from_slice(body.unwrap_or_default());
    stream
        .write_all(&request)
        .await
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            // Servers that close without a TLS close_notify still sent everything.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => 0,
            Err(e) => return Err(format!("reading the answer: {e}")),
        };
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
        // Done as soon as the whole answer is in: waiting for the close as well would
        // add the SSH channel's teardown to the latency shown.
        if raw.len() > MAX_BODY + 16 * 1024 || complete(&raw) {
            break;
        }
    }
    parse_http_response(&raw)
}

/// Whether `raw` holds a whole answer: headers, then Content-Length bytes or the last
/// chunk. Without either, only the close ends it.
fn complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let body = &raw[end + 4..];
    for line in head.split("\r\n").skip(1) {
        if let Some((k, v)) = line.split_once(':') {
            match k.trim() {
                "content-length" => {
                    return v.trim().parse::<usize>().is_ok_and(|n| body.len() >= n);
                }
                "transfer-encoding" if v.contains("chunked") => {
                    return body.ends_with(b"0\r\n\r\n");
                }
                _ => {}
            }
        }
    }
    false
}

fn host_header(host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!("{host}:{port}")
}

/// Parses a complete HTTP/1.x response.
pub fn parse_http_response(raw: &[u8]) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            if raw.is_empty() {
                "the connection closed without an answer".to_string()
            } else {
                "not an HTTP answer (no end of headers)".to_string()
            }
        })?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err("not an HTTP/1 answer".into());
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| "no status code in the answer".to_string())?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse::<usize>().ok();
            }
        }
    }
    let rest = &raw[end + 4..];
    let mut body = if chunked {
        dechunk(rest)
    } else {
        match length {
            Some(n) => rest[..n.min(rest.len())].to_vec(),
            None => rest.to_vec(),
        }
    };
    body.truncate(MAX_BODY);
    Ok(Response { status, body })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            break;
        };
        rest = &rest[eol + 2..];
        if size == 0 || out.len() >= MAX_BODY {
            break;
        }
        let take = size.min(rest.len());
        out.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_chunked_and_broken_answers() {
        let r = parse_http_response(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nhelloEXTRA",
        )
        .expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (503, &b"hello"[..]));
        let r = parse_http_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n")
            .expect("parses");
        assert_eq!(r.body, b"{\"a\":1}");
        let r = parse_http_response(b"HTTP/1.0 200 OK\r\n\r\nto the end").expect("parses");
        assert_eq!(r.body, b"to the end");
        assert!(parse_http_response(b"").is_err());
        assert!(parse_http_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_http_response(b"HTTP/1.1 abc\r\n\r\n").is_err());
    }

    #[test]
    fn an_answer_is_complete_without_waiting_for_the_close() {
        assert!(complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        assert!(!complete(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok"));
        assert!(complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        ));
        assert!(!complete(b"HTTP/1.1 200 OK\r\n\r\nuntil the close"));
        assert!(!complete(b"HTTP/1.1 200 OK\r\nContent-Le"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_get_over_a_stream() {
        let (client, mut server) = tokio::io::duplex(4096);
        let serve = async move {
            let mut buf = vec![0u8; 1024];
            let n = server.read(&mut buf).await.expect("request");
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            server
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await
                .expect("answer");
            drop(server);
            req
        };
        let (resp, req) = tokio::join!(get(client, "::1", 8080, "/health"), serve);
        assert!(
            req.starts_with("GET /health HTTP/1.1\r\nHost: [::1]:8080\r\n"),
            "{req}"
        );
        assert_eq!(resp.expect("response").body, b"ok");
    }
}

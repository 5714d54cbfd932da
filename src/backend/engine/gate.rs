//! What the engines' gates share: how a gate ends, and the last lines of a log (a
//! container's or a swarm task's) to say why.

use bollard::query_parameters::LogsOptions;
use futures::StreamExt;

/// How the gate ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    Healthy,
    /// A target turned unhealthy, exited, or was not healthy in time: why, with its
    /// health-check output.
    Failed(String),
    /// The engine could not be asked any more: whether they became healthy is unknown.
    Lost(String),
}

/// A log request for the last `lines` of stdout and stderr, not followed.
pub fn tail_options(lines: usize) -> LogsOptions {
    LogsOptions {
        follow: false,
        stdout: true,
        stderr: true,
        tail: lines.to_string(),
        ..Default::default()
    }
}

/// The last `lines` of a finished log stream (a container's or a swarm task's),
/// sanitized, credentials masked.
pub async fn last_lines(
    stream: impl futures::Stream<Item = Result<bollard::container::LogOutput, bollard::errors::Error>>,
    lines: usize,
) -> Vec<String> {
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let bytes = chunk.into_bytes();
        for l in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            out.push(pilothouse_core::text::mask_credentials(
                &pilothouse_core::logs::sanitize::clean_str(l),
            ));
        }
    }
    let skip = out.len().saturating_sub(lines);
    out.split_off(skip)
}

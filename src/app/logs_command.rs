//! `pilothouse logs`: the log pane's stream without the TUI, like `docker compose logs`
//! through pilothouse: the same sanitizer, the same JSON rendering, service prefixes.
//! For pipes and scripts.
//!
//! Exit codes: 0 done; 1 an unknown service or a bad pattern; 2 a config error; 3 the
//! host could not be reached (or the connection was lost while following).

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;
use tokio::sync::mpsc;

use pilothouse_backend::Link;
use pilothouse_backend::{LogSource, follow_logs};
use pilothouse_core::config::Environment;
use pilothouse_core::logs::{Level, LineKind, LogBatch, LogLine, Query};
use pilothouse_core::model::container::{ContainerInfo, RunState};
use pilothouse_core::model::requests::LogStart;

pub const EXIT_BAD_ARGS: u8 = 1;
pub const EXIT_UNREACHABLE: u8 = 3;

/// What to print.
#[derive(Debug, Clone)]
pub struct LogsArgs {
    /// The environment's name (for the audit record of `--no-mask`).
    pub environment: String,
    /// Secrets shown unmasked (`--no-mask`), recorded in the audit trail.
    pub no_mask: bool,
    pub services: Vec<String>,
    pub tail: Option<u32>,
    /// Seconds back from now.
    pub since: Option<i64>,
    pub follow: bool,
    pub grep: Option<String>,
    pub json: bool,
    /// Prefix colours (a terminal, and NO_COLOR unset).
    pub colour: bool,
    pub keep_colours: bool,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    time: i64,
    service: &'a str,
    container: &'a str,
    stream: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'a str>,
    message: &'a str,
    /// The line as written (sanitized), when it was JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
}

/// Prints the logs; returns the exit code.
pub async fn run(env: &Environment, default_tail: u32, args: LogsArgs) -> u8 {
    let grep = match &args.grep {
        Some(p) => {
            let mut q = Query::default();
            if let Err(e) = q.set_pattern(p) {
                eprintln!("pilothouse logs: --grep: {e}");
                return EXIT_BAD_ARGS;
            }
            Some(q)
        }
        None => None,
    };
    let link = match Link::open(env).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("pilothouse logs: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    mask_or_reveal(env, &link, &args).await;
    let code = stream(env, &link, default_tail, &args, grep.as_ref()).await;
    link.close().await;
    code
}

/// Learns the env file's secrets for masking; with `--no-mask`, shows them instead and
/// records that in the audit trail first.
async fn mask_or_reveal(env: &Environment, link: &Link, args: &LogsArgs) {
    let remote = link.remote();
    if args.no_mask {
        let dir = env.host_dir();
        let how = "pilothouse logs --no-mask";
        if let Err(e) =
            pilothouse_backend::record_reveal(&remote, dir.as_str(), &args.environment, how).await
        {
            eprintln!(
                "pilothouse logs: the host's audit trail was not written ({e}); the local one was"
            );
        }
        eprintln!(
            "pilothouse logs: --no-mask: secrets are shown as written (recorded in the audit trail)"
        );
        pilothouse_core::mask::reveal(true);
        return;
    }
    if let Err(e) = pilothouse_backend::learn_secrets(&remote, env).await {
        eprintln!(
            "pilothouse logs: {e}: only URL passwords and the containers' secret variables are masked"
        );
    }
}

/// The containers of the services asked for (all when none is named); an unknown
/// service is an error naming the ones there are.
fn chosen<'a>(
    containers: &'a [ContainerInfo],
    services: &[String],
    project: &str,
) -> Result<Vec<&'a ContainerInfo>, u8> {
    for s in services {
        if !containers.iter().any(|c| &c.service == s) {
            let mut known: Vec<&str> = containers.iter().map(|c| c.service.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            eprintln!(
                "pilothouse logs: no service {s:?} in {project}; it has: {}",
                known.join(", ")
            );
            return Err(EXIT_BAD_ARGS);
        }
    }
    Ok(containers
        .iter()
        .filter(|c| services.is_empty() || services.contains(&c.service))
        .collect())
}

/// One log stream to print: a container's or a swarm task's, and its label.
struct Stream {
    source: LogSource,
    label: String,
    running: bool,
}

/// The streams of the services asked for: the compose project's containers, or the
/// swarm services' running tasks (labelled `service.slot@node`).
async fn streams(
    env: &Environment,
    client: &bollard::Docker,
    args: &LogsArgs,
) -> Result<Vec<Stream>, u8> {
    let unreachable = |e: String| {
        eprintln!("pilothouse logs: {e}");
        EXIT_UNREACHABLE
    };
    let (project, extra) = match env.watched() {
        pilothouse_core::config::Watched::Compose { project, extra } => (project, extra),
        pilothouse_core::config::Watched::Swarm(stacks) => {
            let state = pilothouse_backend::read_swarm(client, &stacks)
                .await
                .map_err(unreachable)?;
            return swarm_streams(&state, &args.services);
        }
    };
    let containers = pilothouse_backend::read_containers(client, &project, extra.as_ref())
        .await
        .map_err(unreachable)?;
    Ok(chosen(&containers, &args.services, &project)?
        .into_iter()
        .map(|c| Stream {
            source: LogSource::Container(c.id.clone()),
            label: c.service.clone(),
            running: c.run_state == RunState::Running,
        })
        .collect())
}

/// A swarm's running tasks of the services named (by full or short name; all when none
/// is); an unknown service is an error naming the ones there are.
fn swarm_streams(
    state: &pilothouse_core::model::swarm::SwarmState,
    services: &[String],
) -> Result<Vec<Stream>, u8> {
    let short = pilothouse_core::model::swarm::short_name;
    let named = |svc: &pilothouse_core::model::swarm::SwarmService, s: &String| {
        &svc.name == s || short(svc) == s
    };
    for s in services {
        if !state.services.iter().any(|svc| named(svc, s)) {
            let known: Vec<&str> = state.services.iter().map(|svc| svc.name.as_str()).collect();
            eprintln!(
                "pilothouse logs: no service {s:?} in the swarm; it has: {}",
                known.join(", ")
            );
            return Err(EXIT_BAD_ARGS);
        }
    }
    for svc in &state.services {
        if !svc.logs_readable() && (services.is_empty() || services.iter().any(|s| named(svc, s))) {
            eprintln!(
                "pilothouse logs: {} logs with the {} driver, which the engine cannot read back",
                svc.name, svc.log_driver
            );
        }
    }
    Ok(pilothouse_backend::swarm_task_streams(state)
        .into_iter()
        .filter(|f| {
            services.is_empty()
                || state
                    .services
                    .iter()
                    .any(|svc| svc.name == f.service && services.iter().any(|s| named(svc, s)))
        })
        .map(|f| Stream {
            source: LogSource::Task(f.id),
            label: f.label,
            running: f.running,
        })
        .collect())
}

async fn stream(
    env: &Environment,
    link: &Link,
    default_tail: u32,
    args: &LogsArgs,
    grep: Option<&Query>,
) -> u8 {
    let (client, _) = match pilothouse_backend::connect_engine(link.docker_socket()).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pilothouse logs: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    let chosen = match streams(env, &client, args).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let start = match (args.since, args.tail) {
        (Some(s), _) => LogStart::Since(pilothouse_core::time::unix_now() - s),
        (None, Some(n)) => LogStart::Tail(n),
        (None, None) if args.follow => LogStart::Tail(default_tail),
        (None, None) => LogStart::All,
    };
    let (tx, mut rx) = mpsc::channel::<LogBatch>(64);
    let seen = Default::default();
    let mut tasks = tokio::task::JoinSet::new();
    for c in &chosen {
        tasks.spawn(follow_logs(
            client.clone(),
            c.source.clone(),
            c.label.clone(),
            0,
            start,
            None,
            args.keep_colours,
            // A stopped container has nothing new to say: its last lines, then done.
            args.follow && c.running,
            std::sync::Arc::clone(&seen),
            pilothouse_backend::LogSink::Plain(tx.clone()),
        ));
    }
    drop(tx);
    let width = chosen
        .iter()
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    let colours: HashMap<&str, u8> = chosen
        .iter()
        .map(|c| (c.label.as_str(), colour_of(&c.label)))
        .collect();
    let mut printer = Printer {
        out: std::io::BufWriter::new(std::io::stdout()),
        grep,
        args,
        width,
        colours,
    };
    // Without --follow, every container's lines are gathered and merged in time order.
    // With it, the first lines are merged the same way, then lines print as they come.
    let mut first: Vec<LogBatch> = Vec::new();
    let settle = tokio::time::sleep(std::time::Duration::from_millis(500));
    tokio::pin!(settle);
    let mut settled = false;
    loop {
        tokio::select! {
            batch = rx.recv() => match batch {
                Some(b) if !settled || !args.follow => first.push(b),
                Some(b) => {
                    // A closed pipe (`| head`) ends the command quietly.
                    if printer.batch(&b).and_then(|()| printer.out.flush()).is_err() {
                        return 0;
                    }
                }
                None => break,
            },
            _ = &mut settle, if args.follow && !settled => {
                settled = true;
                if printer.merged(&mut first).is_err() {
                    return 0;
                }
            }
        }
    }
    let _ = printer.merged(&mut first);
    0
}

struct Printer<'a> {
    out: std::io::BufWriter<std::io::Stdout>,
    grep: Option<&'a Query>,
    args: &'a LogsArgs,
    width: usize,
    colours: HashMap<&'a str, u8>,
}

impl Printer<'_> {
    fn line(&mut self, batch: &LogBatch, line: &LogLine) -> std::io::Result<()> {
        if let Some(q) = self.grep
            && !q.is_match(line)
        {
            return Ok(());
        }
        let colour = self.colours.get(batch.service.as_str()).copied();
        write_line(&mut self.out, batch, line, self.args, self.width, colour)
    }

    fn batch(&mut self, batch: &LogBatch) -> std::io::Result<()> {
        for l in &batch.lines {
            self.line(batch, l)?;
        }
        Ok(())
    }

    /// Prints gathered batches merged in time order.
    fn merged(&mut self, first: &mut Vec<LogBatch>) -> std::io::Result<()> {
        let mut all: Vec<(&LogBatch, &LogLine)> = first
            .iter()
            .flat_map(|b| b.lines.iter().map(move |l| (b, l)))
            .collect();
        all.sort_by_key(|(_, l)| l.ts);
        for (b, l) in all {
            self.line(b, l)?;
        }
        first.clear();
        self.out.flush()
    }
}

/// A stable 256-colour index per service, from a small readable set.
fn colour_of(service: &str) -> u8 {
    const SET: [u8; 8] = [6, 2, 5, 4, 3, 14, 10, 13];
    let mut h: u32 = 0x811c_9dc5;
    for b in service.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    SET[h as usize % SET.len()]
}

fn write_line(
    out: &mut impl Write,
    batch: &LogBatch,
    line: &LogLine,
    args: &LogsArgs,
    width: usize,
    colour: Option<u8>,
) -> std::io::Result<()> {
    let stream = match line.kind {
        LineKind::Log { stderr: true } => "stderr",
        LineKind::Log { stderr: false } => "stdout",
        LineKind::Note => "note",
    };
    if args.json {
        let level = (line.level != Level::Unknown).then(|| line.level.label());
        let j = JsonLine {
            time: line.ts,
            service: &batch.service,
            container: &batch.container,
            stream,
            level,
            message: line.shown(false),
            raw: line.structured.as_ref().map(|_| &*line.text),
        };
        let text = serde_json::to_string(&j).map_err(std::io::Error::other)?;
        return writeln!(out, "{text}");
    }
    let name = format!("{:<width$}", batch.service);
    match colour {
        // Our own escape sequences, around our own text only.
        Some(c) if args.colour => write!(out, "\x1b[38;5;{c}m{name} |\x1b[0m ")?,
        _ => write!(out, "{name} | ")?,
    }
    if line.structured.is_some() && line.level != Level::Unknown {
        write!(out, "{} ", line.level.label())?;
    }
    // The text was sanitized when it arrived: no escape sequence is left in it.
    writeln!(out, "{}", line.shown(false))
}

/// `30s`, `5m`, `2h`, `1d` as seconds.
pub fn parse_since(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid duration {s:?}: write it like \"30s\", \"5m\", \"2h\" or \"1d\"");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let n: i64 = pilothouse_core::text::before(s, split)
        .parse()
        .map_err(|_| bad())?;
    let unit = match pilothouse_core::text::after(s, split) {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    Ok(n.saturating_mul(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_since("90s"), Ok(90));
        assert_eq!(parse_since("5m"), Ok(300));
        assert_eq!(parse_since("1d"), Ok(86_400));
        assert!(parse_since("5 minutes").is_err());
        assert!(parse_since("").is_err());
    }
}

//! Following containers' logs: Docker's log stream (with timestamps) turned into
//! sanitized [`LogLine`]s in batches, resumed without gaps or repeats after a restart,
//! a recreate or a reconnect.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use pilothouse_core::logs::{LogBatch, LogLine, Sanitizer};
use pilothouse_core::time::rfc3339_nanos;

use pilothouse_core::model::requests::{LogRequest, LogStart};

/// Lines per batch at most, and how long a line may wait for its batch: a quiet stream
/// shows each line within this, a flood travels in big batches (few wake-ups).
const BATCH_LINES: usize = 1024;
const BATCH_WAIT: Duration = Duration::from_millis(20);

/// Where batches go: straight into the console's event channel (tagged with the
/// environment), or to a plain channel (`pilothouse logs`).
#[derive(Clone)]
pub enum LogSink {
    Console {
        env: usize,
        events: mpsc::Sender<(usize, pilothouse_core::model::event::BackendEvent)>,
    },
    Plain(mpsc::Sender<LogBatch>),
    /// Lines only counted (the error bursts'), never shown: not masked.
    Counted(mpsc::Sender<LogBatch>),
}

impl LogSink {
    /// Whether the lines' text is shown (so must be masked first).
    fn shows_text(&self) -> bool {
        !matches!(self, LogSink::Counted(_))
    }

    /// False when nobody listens any more.
    async fn send(&self, batch: LogBatch) -> bool {
        match self {
            LogSink::Counted(tx) => tx.send(batch).await.is_ok(),
            LogSink::Console { env, events } => events
                .send((
                    *env,
                    pilothouse_core::model::event::BackendEvent::Logs(batch),
                ))
                .await
                .is_ok(),
            LogSink::Plain(tx) => tx.send(batch).await.is_ok(),
        }
    }
}

/// What one read of a container's lines found, summed batch by batch (the lines
/// themselves are dropped as they come).
#[derive(Debug, Default)]
struct Tally {
    /// Lines read, notes included.
    lines: usize,
    /// Error-level lines per 10 s of their timestamps (Unix seconds at its start).
    errors: Vec<(i64, u32)>,
    /// The oldest and the newest written line's time (ns).
    oldest: Option<i64>,
    newest: Option<i64>,
}

impl Tally {
    fn add(&mut self, lines: &[LogLine]) {
        self.lines += lines.len();
        let written = lines
            .iter()
            .filter(|l| matches!(l.kind, pilothouse_core::logs::LineKind::Log { .. }) && l.ts > 0);
        for l in written {
            self.oldest = Some(self.oldest.map_or(l.ts, |o| o.min(l.ts)));
            self.newest = Some(self.newest.map_or(l.ts, |n| n.max(l.ts)));
            if l.level >= pilothouse_core::logs::Level::Error {
                let bucket = l.ts.div_euclid(1_000_000_000).div_euclid(10) * 10;
                match self.errors.iter_mut().find(|(b, _)| *b == bucket) {
                    Some((_, n)) => *n = n.saturating_add(1),
                    None => self.errors.push((bucket, 1)),
                }
            }
        }
    }
}

/// One stream's (stdout's or stderr's) line assembly.
struct Assembler {
    sanitizer: Sanitizer,
    stderr: bool,
    /// The next bytes may start with Docker's timestamp.
    at_entry: bool,
    /// Timestamp of the line being assembled.
    ts: Option<i64>,
}

impl Assembler {
    fn new(stderr: bool, keep_colours: bool) -> Self {
        Assembler {
            sanitizer: Sanitizer::new(keep_colours),
            stderr,
            at_entry: true,
            ts: None,
        }
    }

    /// One frame from Docker: `TIMESTAMP text`, a whole line ending in a newline, or a
    /// part of a long one (Docker splits lines into 16 KiB entries, each with its own
    /// timestamp). `framed`: frame boundaries are entry boundaries (not a TTY stream).
    fn frame(&mut self, mut bytes: &[u8], framed: bool, out: &mut Vec<LogLine>) {
        if framed {
            self.at_entry = true;
        }
        while !bytes.is_empty() {
            if self.at_entry {
                self.at_entry = false;
                if let Some(space) = bytes.iter().take(40).position(|b| *b == b' ')
                    && let Some(ts) = std::str::from_utf8(&bytes[..space])
                        .ok()
                        .and_then(rfc3339_nanos)
                {
                    self.ts.get_or_insert(ts);
                    bytes = &bytes[space + 1..];
                }
            }
            match bytes.iter().position(|b| *b == b'\n') {
                Some(nl) => {
                    self.sanitizer.feed(&bytes[..nl]);
                    let clean = self.sanitizer.finish_line();
                    let ts = self.ts.take().unwrap_or(0);
                    out.push(LogLine::from_clean(ts, self.stderr, clean));
                    bytes = &bytes[nl + 1..];
                    self.at_entry = true;
                }
                None => {
                    self.sanitizer.feed(bytes);
                    bytes = &[];
                }
            }
        }
    }

    /// The stream ended: a line without its newline is still a line.
    fn finish(&mut self, out: &mut Vec<LogLine>) {
        if self.sanitizer.has_partial() {
            let clean = self.sanitizer.finish_line();
            let ts = self.ts.take().unwrap_or(0);
            out.push(LogLine::from_clean(ts, self.stderr, clean));
        }
    }
}

/// Newest timestamp delivered per container (Unix nanoseconds): where a resumed stream
/// starts, so that nothing is shown twice or skipped.
pub type Seen = Arc<Mutex<HashMap<String, i64>>>;

fn seen_of(seen: &Seen, id: &str) -> Option<i64> {
    seen.lock().ok().and_then(|m| m.get(id).copied())
}

fn set_seen(seen: &Seen, id: &str, ts: i64) {
    if let Ok(mut m) = seen.lock() {
        let e = m.entry(id.to_string()).or_insert(ts);
        *e = (*e).max(ts);
    }
}

/// Whose logs a stream reads: a container's, or a swarm task's (through the manager,
/// from whichever node runs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    Container(String),
    Task(String),
}

impl LogSource {
    pub fn id(&self) -> &str {
        match self {
            LogSource::Container(id) | LogSource::Task(id) => id,
        }
    }
}

/// Follows one container's (or task's) logs until its stream ends (it stopped), sending
/// batches labelled `service`. Lines at or before `after` (nanoseconds) were delivered
/// already.
#[allow(clippy::too_many_arguments)]
pub async fn follow_logs(
    docker: Docker,
    source: LogSource,
    service: String,
    generation: u64,
    start: LogStart,
    after: Option<i64>,
    keep_colours: bool,
    follow: bool,
    seen: Seen,
    tx: LogSink,
) {
    let mut stream = stream_of(&docker, &source, log_options(start, after, follow));
    let id = source.id().to_string();
    let mut out = Assembler::new(false, keep_colours);
    let mut err = Assembler::new(true, keep_colours);
    let mut pending: Vec<LogLine> = Vec::new();
    let mut first_pending: Option<Instant> = None;
    let send = |lines: Vec<LogLine>| {
        let tx = tx.clone();
        let seen = seen.clone();
        let id = id.clone();
        let service = service.clone();
        async move {
            let lines = if tx.shows_text() {
                fresh_and_masked(lines, after)
            } else {
                // Counted, never shown: only what is new (Docker's `since` has whole
                // seconds, so the last second read comes again).
                lines
                    .into_iter()
                    .filter(|l| after.is_none_or(|a| l.ts > a))
                    .collect()
            };
            if let Some(last) = lines.iter().map(|l| l.ts).max() {
                set_seen(&seen, &id, last);
            }
            if lines.is_empty() {
                return true;
            }
            tx.send(LogBatch {
                generation,
                container: id,
                service,
                lines,
            })
            .await
        }
    };
    loop {
        // Whatever is ready is batched. When nothing is, a batch waits at most
        // BATCH_WAIT for more lines before it goes.
        let next = match stream.next().now_or_never() {
            Some(item) => item,
            None => match first_pending {
                None => stream.next().await,
                Some(t) => {
                    let deadline = tokio::time::Instant::from_std(t + BATCH_WAIT);
                    match tokio::time::timeout_at(deadline, stream.next()).await {
                        Ok(item) => item,
                        Err(_) => {
                            if !send(std::mem::take(&mut pending)).await {
                                return;
                            }
                            first_pending = None;
                            continue;
                        }
                    }
                }
            },
        };
        let item = match next {
            Some(Ok(item)) => item,
            Some(Err(e)) => {
                pending.extend(refused(&e));
                break;
            }
            None => break,
        };
        let before = pending.len();
        match item {
            LogOutput::StdOut { message } => out.frame(&message, true, &mut pending),
            LogOutput::StdErr { message } => err.frame(&message, true, &mut pending),
            LogOutput::Console { message } => out.frame(&message, false, &mut pending),
            LogOutput::StdIn { .. } => {}
        }
        if pending.len() > before {
            first_pending.get_or_insert_with(Instant::now);
        }
        if pending.len() >= BATCH_LINES || first_pending.is_some_and(|t| t.elapsed() >= BATCH_WAIT)
        {
            if !send(std::mem::take(&mut pending)).await {
                return;
            }
            first_pending = None;
        }
    }
    out.finish(&mut pending);
    err.finish(&mut pending);
    pending.sort_by_key(|l| l.ts);
    let _ = send(pending).await;
}

/// What a stream asks the engine for: from `start`, or resumed after `after` (ns).
fn log_options(start: LogStart, after: Option<i64>, follow: bool) -> LogsOptions {
    let (since, tail) = match (after, start) {
        // Docker's `since` has whole seconds; the repeats are dropped after.
        // A bounded read goes on after `after`, bounded still.
        (Some(ns), LogStart::Recent { tail, .. }) => {
            (ns.div_euclid(1_000_000_000), tail.to_string())
        }
        (Some(ns), _) => (ns.div_euclid(1_000_000_000), "all".to_string()),
        (None, LogStart::Tail(n)) => (0, n.to_string()),
        (None, LogStart::Since(t)) => (t, "all".to_string()),
        (None, LogStart::All) => (0, "all".to_string()),
        (None, LogStart::Between { since, .. }) => (since, "all".to_string()),
        (None, LogStart::Recent { since, tail }) => (since, tail.to_string()),
    };
    let until = match start {
        LogStart::Between { until, .. } => i32::try_from(until).unwrap_or(0),
        _ => 0,
    };
    LogsOptions {
        follow: follow && start.follows(),
        stdout: true,
        stderr: true,
        since: i32::try_from(since).unwrap_or(0),
        until,
        timestamps: true,
        tail,
    }
}

/// The lines after `after` (delivered already), with secrets masked before they go
/// anywhere: the pane, search, saved files and `pilothouse logs` see masked lines only.
fn fresh_and_masked(lines: Vec<LogLine>, after: Option<i64>) -> Vec<LogLine> {
    let secrets = (!pilothouse_core::mask::revealed()).then(pilothouse_core::mask::known);
    lines
        .into_iter()
        .filter(|l| after.is_none_or(|a| l.ts > a))
        .map(|l| match &secrets {
            Some(s) => l.masked(s),
            None => l,
        })
        .collect()
}

type LogStream =
    Pin<Box<dyn futures::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

fn stream_of(docker: &Docker, source: &LogSource, options: LogsOptions) -> LogStream {
    match source {
        LogSource::Container(id) => Box::pin(docker.logs(id, Some(options))),
        LogSource::Task(id) => Box::pin(docker.task_logs(id, Some(options))),
    }
}

/// When the engine refuses a stream (a log driver that cannot be read back, such as
/// `none`, or journald on a host without it), a note that says so, so the pane is not
/// just empty. A stream cut by a lost connection is the connection's to report: None.
fn refused(e: &bollard::errors::Error) -> Option<LogLine> {
    matches!(e, bollard::errors::Error::DockerResponseServerError { .. }).then(|| {
        let text = pilothouse_core::text::clean(
            &pilothouse_core::mask::string(&format!("no logs: the engine says: {e}")),
            300,
        );
        LogLine::note(pilothouse_core::time::unix_now() * 1_000_000_000, text)
    })
}

/// What one container is, for deciding what to follow.
#[derive(Debug, Clone)]
pub struct Followable {
    pub id: String,
    /// What a log request names (the compose service, the swarm service).
    pub service: String,
    /// What its lines are labelled with in the pane (the service; for a swarm task,
    /// `service.slot@node`).
    pub label: String,
    pub running: bool,
    /// A swarm task (read through the manager), not a container.
    pub task: bool,
}

/// An environment's log followers: the current request and one task per followed
/// container. Lives as long as the environment's actor, across reconnects.
pub struct Followers {
    request: Option<LogRequest>,
    seen: Seen,
    tasks: HashMap<String, AbortHandle>,
    set: JoinSet<()>,
    tx: LogSink,
    /// Every running container's new lines, counted for error bursts (None: not
    /// watched, as the environment's `error_bursts = false` asks).
    errors: Option<ErrorWatch>,
}

/// Every running container's error-level lines counted, for the timeline's error
/// bursts: what it wrote since the last read, read every `every` (the environment's
/// `error_bursts_interval`) in one request (the last [`ERROR_READ_LINES`] lines at most, from the end of its log, so
/// a chatty container costs one bounded read, not a line-by-line stream through ssh).
/// A container's first read goes back 16 minutes: the service's usual rate, known at
/// once. A read after a restart or a reconnect goes on after the last line counted,
/// so nothing is counted twice.
struct ErrorWatch {
    tasks: HashMap<String, AbortHandle>,
    set: JoinSet<()>,
    seen: Seen,
    env: usize,
    events: mpsc::Sender<(usize, pilothouse_core::model::event::BackendEvent)>,
    /// Reads at once: the first ones (16 minutes each) of a hundred containers at
    /// connect would otherwise all be in memory together.
    reading: Arc<tokio::sync::Semaphore>,
    every: Duration,
}

/// The first read of a container's lines comes this long after it is watched (or the
/// interval, when shorter).
const FIRST_ERROR_READ_AFTER: Duration = Duration::from_secs(15);

/// Error reads of one environment at once.
const ERROR_READS_AT_ONCE: usize = 4;

/// How far back a container's first read goes, how often it is read, and how many
/// lines one read takes at most (a burst beyond that is counted as that many). The
/// engine reads a tail from the end of the log and only then drops what is older than
/// `since`: a read asks for four times what the one before found new, plus 100, so a
/// quiet container costs the engine 100 lines a read, not 1 000. A burst bigger than
/// that is counted as that many (it is a burst all the same), and the next read takes
/// more.
const HISTORY_SECS: i64 = 16 * 60;
const ERROR_READ_LINES: u32 = 1000;
const ERROR_READ_LEAST: u32 = 100;

impl ErrorWatch {
    fn ensure(&mut self, docker: &Docker, c: &Followable, again: bool) {
        if c.task {
            return;
        }
        if (again || !c.running)
            && let Some(t) = self.tasks.remove(&c.id)
        {
            t.abort();
        }
        while self.set.try_join_next().is_some() {}
        if !c.running || self.tasks.get(&c.id).is_some_and(|t| !t.is_finished()) {
            return;
        }
        let task = self.set.spawn(count_errors(
            docker.clone(),
            (c.id.clone(), c.service.clone()),
            (self.seen.clone(), self.reading.clone(), self.every),
            (self.env, self.events.clone()),
        ));
        self.tasks.insert(c.id.clone(), task);
    }

    fn forget(&mut self, id: &str) {
        if let Some(t) = self.tasks.remove(id) {
            t.abort();
        }
    }
}

/// Reads what a container wrote since the last read, every [`ERROR_READ_EVERY`], and
/// tells its error counts as environment `env`'s, until aborted. A read that came back
/// as full as it asked may have been cut: it is read again with the most a read takes.
async fn count_errors(
    docker: Docker,
    (id, service): (String, String),
    (seen, reading, every): (Seen, Arc<tokio::sync::Semaphore>, Duration),
    (env, events): (
        usize,
        mpsc::Sender<(usize, pilothouse_core::model::event::BackendEvent)>,
    ),
) {
    let mut tail = ERROR_READ_LINES;
    let mut told = false;
    // Not at once: a console opened for a moment (or the first seconds of one) does
    // not read 16 minutes of every container.
    tokio::time::sleep(every.min(FIRST_ERROR_READ_AFTER)).await;
    loop {
        let after = seen_of(&seen, &id);
        let since = after.map_or(pilothouse_core::time::unix_now() - HISTORY_SECS, |ns| {
            ns.div_euclid(1_000_000_000)
        });
        let read = |tail: u32| {
            read_new(
                &docker,
                &id,
                &service,
                LogStart::Recent { since, tail },
                after,
            )
        };
        let Ok(permit) = reading.acquire().await else {
            return;
        };
        let mut tally = read(tail).await;
        if tally.lines >= tail as usize && tail < ERROR_READ_LINES {
            tally = read(ERROR_READ_LINES).await;
        }
        drop(permit);
        if let Some(last) = tally.newest {
            set_seen(&seen, &id, last);
        }
        // The first lines read go even without errors: they say from when the counts run.
        if let Some(oldest) = tally.oldest
            && (!told || !tally.errors.is_empty())
        {
            told = true;
            let event = pilothouse_core::model::event::BackendEvent::ErrorLines {
                service: service.clone(),
                errors: tally.errors,
                oldest,
            };
            if events.send((env, event)).await.is_err() {
                return;
            }
        }
        let new = u32::try_from(tally.lines).unwrap_or(u32::MAX);
        tail = new
            .saturating_mul(4)
            .saturating_add(ERROR_READ_LEAST)
            .min(ERROR_READ_LINES);
        tokio::time::sleep(every).await;
    }
}

/// The lines a container wrote as `start` says, after `after` (ns), counted (never
/// masked: they go nowhere).
async fn read_new(
    docker: &Docker,
    id: &str,
    service: &str,
    start: LogStart,
    after: Option<i64>,
) -> Tally {
    let (tx, mut rx) = mpsc::channel(16);
    let reading = follow_logs(
        docker.clone(),
        LogSource::Container(id.to_string()),
        service.to_string(),
        0,
        start,
        after,
        false,
        false,
        Arc::default(),
        LogSink::Counted(tx),
    );
    let collect = async {
        let mut tally = Tally::default();
        while let Some(batch) = rx.recv().await {
            tally.add(&batch.lines);
        }
        tally
    };
    tokio::join!(reading, collect).1
}

impl Followers {
    pub fn new(tx: LogSink) -> Self {
        Followers {
            request: None,
            seen: Arc::new(Mutex::new(HashMap::new())),
            tasks: HashMap::new(),
            set: JoinSet::new(),
            tx,
            errors: None,
        }
    }

    /// Also counts every running container's error-level lines, sent to `events` as
    /// environment `env`'s.
    pub fn watch_errors(
        mut self,
        env: usize,
        events: mpsc::Sender<(usize, pilothouse_core::model::event::BackendEvent)>,
        every: Duration,
    ) -> Self {
        self.errors = Some(ErrorWatch {
            tasks: HashMap::new(),
            set: JoinSet::new(),
            seen: Arc::default(),
            env,
            events,
            reading: Arc::new(tokio::sync::Semaphore::new(ERROR_READS_AT_ONCE)),
            every: every.max(Duration::from_secs(1)),
        });
        self
    }

    /// Follows something else (or nothing): every stream starts afresh.
    pub fn set_request(&mut self, request: Option<LogRequest>) {
        self.stop_all();
        if let Ok(mut m) = self.seen.lock() {
            m.clear();
        }
        self.request = request;
    }

    /// Stops every stream (the connection is going), keeping where each one was.
    pub fn stop_all(&mut self) {
        self.set.abort_all();
        self.tasks.clear();
        if let Some(w) = &mut self.errors {
            w.set.abort_all();
            w.tasks.clear();
        }
    }

    /// Whether this container's lines have been followed before.
    pub fn knows(&self, id: &str) -> bool {
        seen_of(&self.seen, id).is_some()
    }

    /// Makes sure a wanted container is followed: from where its stream left off when
    /// it was followed before, else from the request's start.
    pub fn ensure(&mut self, docker: &Docker, c: &Followable) {
        if let Some(w) = &mut self.errors {
            w.ensure(docker, c, false);
        }
        let Some(req) = &self.request else { return };
        if !req.wants(&c.service) {
            return;
        }
        while self.set.try_join_next().is_some() {}
        if self.tasks.get(&c.id).is_some_and(|t| !t.is_finished()) {
            return;
        }
        let after = seen_of(&self.seen, &c.id);
        // A stopped container already delivered everything it had; a window of time is
        // read once.
        if after.is_some() && (!c.running || !req.start.follows()) {
            return;
        }
        let source = if c.task {
            LogSource::Task(c.id.clone())
        } else {
            LogSource::Container(c.id.clone())
        };
        let task = self.set.spawn(follow_logs(
            docker.clone(),
            source,
            c.label.clone(),
            req.generation,
            req.start,
            after,
            req.keep_colours,
            true,
            self.seen.clone(),
            self.tx.clone(),
        ));
        self.tasks.insert(c.id.clone(), task);
    }

    /// The container is gone: its error count stops.
    pub fn forget(&mut self, id: &str) {
        if let Some(w) = &mut self.errors {
            w.forget(id);
        }
    }

    /// The container (re)started: its old stream may not have ended yet, so it is
    /// replaced by one that resumes after the last line delivered.
    pub fn restarted(&mut self, docker: &Docker, c: &Followable) {
        if let Some(t) = self.tasks.remove(&c.id) {
            t.abort();
        }
        if let Some(w) = &mut self.errors {
            w.ensure(docker, c, true);
        }
        self.ensure(docker, c);
    }

    /// Once per request, a note in the pane for `service` (`key` tells notes apart): why
    /// there are no lines to follow.
    pub fn explain(&mut self, key: &str, service: &str, text: String) {
        let Some(req) = &self.request else { return };
        if !req.wants(service) || self.tasks.contains_key(key) {
            return;
        }
        let batch = LogBatch {
            generation: req.generation,
            container: key.to_string(),
            service: service.to_string(),
            lines: vec![LogLine::note(
                pilothouse_core::time::unix_now() * 1_000_000_000,
                pilothouse_core::mask::string(&text),
            )],
        };
        let tx = self.tx.clone();
        let task = self.set.spawn(async move {
            tx.send(batch).await;
        });
        self.tasks.insert(key.to_string(), task);
    }

    /// A note in the pane, as if the container had written it.
    pub async fn note(&self, id: &str, service: &str, ts: i64, text: String) {
        let Some(req) = &self.request else { return };
        if !req.wants(service) {
            return;
        }
        self.tx
            .send(LogBatch {
                generation: req.generation,
                container: id.to_string(),
                service: service.to_string(),
                lines: vec![LogLine::note(ts, pilothouse_core::mask::string(&text))],
            })
            .await;
    }
}

impl Drop for Followers {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(a: &mut Assembler, frames: &[&[u8]]) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        for f in frames {
            a.frame(f, true, &mut out);
        }
        a.finish(&mut out);
        out.into_iter()
            .map(|l| (l.ts, l.text.to_string()))
            .collect()
    }

    #[test]
    fn timestamps_are_taken_off_and_kept() {
        let mut a = Assembler::new(false, true);
        let got = frames(
            &mut a,
            &[
                b"1970-01-01T00:00:01.5Z hello\n",
                b"1970-01-01T00:00:02Z world\n",
            ],
        );
        assert_eq!(
            got,
            [
                (1_500_000_000, "hello".into()),
                (2_000_000_000, "world".into())
            ]
        );
    }

    #[test]
    fn long_lines_in_partial_entries_are_joined() {
        let mut a = Assembler::new(false, true);
        let got = frames(
            &mut a,
            &[
                b"1970-01-01T00:00:01Z aaaa\x1b]0;ti",
                b"1970-01-01T00:00:01.1Z tle\x07bbbb",
                b"1970-01-01T00:00:01.2Z cc\n",
            ],
        );
        assert_eq!(got, [(1_000_000_000, "aaaabbbbcc".into())]);
    }

    #[test]
    fn a_line_without_newline_at_the_end_is_kept() {
        let mut a = Assembler::new(true, true);
        let got = frames(&mut a, &[b"1970-01-01T00:00:03Z last words"]);
        assert_eq!(got, [(3_000_000_000, "last words".into())]);
    }

    #[test]
    fn tty_streams_split_anywhere() {
        let mut a = Assembler::new(false, true);
        let mut out = Vec::new();
        a.frame(
            b"1970-01-01T00:00:01Z one\n1970-01-01T00:00:02Z tw",
            false,
            &mut out,
        );
        a.frame(b"o\n", false, &mut out);
        let got: Vec<_> = out
            .into_iter()
            .map(|l| (l.ts, l.text.to_string()))
            .collect();
        assert_eq!(
            got,
            [(1_000_000_000, "one".into()), (2_000_000_000, "two".into())]
        );
    }
}

//! `pilothouse timeline`: what changed on an environment and when, oldest first, for
//! scripts and post-mortems: the engine's events and records, the host's audit trail
//! and the env file's backups on the host's clock, as a table (times in this machine's
//! zone, with the offset) or as JSON lines (RFC 3339, UTC). Every string is sanitized
//! and masked like logs.
//!
//! Exit codes: 0 done (a source that could not be read is named on stderr); 1 a bad
//! argument; 2 a config error; 3 the host could not be reached.

use std::collections::BTreeMap;

use serde::Serialize;

use pilothouse_backend::{Link, TimelineRead, read_timeline};
use pilothouse_core::config::Environment;
use pilothouse_core::model::timeline::{Bound, Entry};

pub const EXIT_BAD_ARGS: u8 = 1;
pub const EXIT_UNREACHABLE: u8 = 3;

/// What to print.
#[derive(Debug, Clone)]
pub struct TimelineArgs {
    pub environment: String,
    pub since: Bound,
    pub until: Option<Bound>,
    /// Only these subjects (services, queues, ...); all when empty.
    pub services: Vec<String>,
    pub json: bool,
}

/// `--until`: a duration ago (`10m`) or an RFC 3339 time.
pub fn parse_bound(s: &str) -> Result<Bound, String> {
    if let Some(ns) = pilothouse_core::time::rfc3339_nanos(s) {
        return Ok(Bound::At(ns));
    }
    crate::app::logs_command::parse_since(s)
        .map(Bound::Ago)
        .map_err(|e| format!("{e}, or as an RFC 3339 time"))
}

/// Prints the timeline; returns the exit code.
pub async fn run(env: &Environment, args: TimelineArgs) -> u8 {
    let link = match Link::open(env).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("pilothouse timeline: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    if let Err(e) = pilothouse_backend::learn_secrets(&link.remote(), env).await {
        eprintln!(
            "pilothouse timeline: {e}: only URL passwords and the containers' secret variables are masked"
        );
    }
    let read = read_timeline(&link, env, args.since, args.until).await;
    link.close().await;
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pilothouse timeline: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    print!("{}", render(&read, &args));
    0
}

/// The text to print; what could not be read goes to stderr.
fn render(read: &TimelineRead, args: &TimelineArgs) -> String {
    for m in &read.missing {
        eprintln!("pilothouse timeline: not read: {}", mask(m));
    }
    let shown = read
        .entries
        .iter()
        .filter(|e| args.services.is_empty() || args.services.contains(&e.subject));
    if args.json {
        shown
            .filter_map(|e| serde_json::to_string(&json_line(&args.environment, e)).ok())
            .map(|l| l + "\n")
            .collect()
    } else {
        let zone = jiff::tz::TimeZone::system();
        let rows: Vec<[String; 4]> = shown
            .map(|e| {
                [
                    crate::state::clock::full_local_time(e.time, &zone),
                    e.source.name().to_string(),
                    mask(&e.subject),
                    mask(&e.summary),
                ]
            })
            .collect();
        table(&rows)
    }
}

fn mask(s: &str) -> String {
    pilothouse_core::mask::string(s)
}

fn table(rows: &[[String; 4]]) -> String {
    let head = ["TIME", "SOURCE", "SUBJECT", "WHAT"];
    let width = |i: usize| {
        rows.iter()
            .map(|r| unicode_width::UnicodeWidthStr::width(r[i].as_str()))
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let line = |r: [&str; 4]| {
        let mut l = String::new();
        for (i, w) in widths.iter().enumerate() {
            let pad = w.saturating_sub(unicode_width::UnicodeWidthStr::width(r[i]));
            l.push_str(r[i]);
            l.push_str(&" ".repeat(pad + 2));
        }
        l.push_str(r[3]);
        l + "\n"
    };
    let mut out = line(head);
    for r in rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
    }
    out
}

#[derive(Serialize)]
struct JsonLine<'a> {
    time: String,
    env: &'a str,
    source: &'static str,
    kind: &'static str,
    subject: String,
    summary: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// One entry as a JSON object: the common fields, then the source's own (a field
/// named like a common one is left out rather than written twice).
fn json_line<'a>(env: &'a str, e: &Entry) -> JsonLine<'a> {
    const COMMON: [&str; 6] = ["time", "env", "source", "kind", "subject", "summary"];
    JsonLine {
        time: pilothouse_core::time::rfc3339_utc(e.time),
        env,
        source: e.source.name(),
        kind: e.kind.name(),
        subject: mask(&e.subject),
        summary: mask(&e.summary),
        fields: e
            .fields
            .iter()
            .filter(|(k, _)| !COMMON.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), mask(v)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilothouse_core::model::timeline::{Kind, Source};

    #[test]
    fn json_lines_carry_the_common_fields_then_the_source_s_own() {
        let e = Entry::new(
            1_000_000_000,
            Source::Engine,
            Kind::Die,
            "web",
            "exited with code 137".into(),
        )
        .with("exit_code", "137")
        .with("kind", "not twice");
        let line = serde_json::to_string(&json_line("staging", &e)).expect("json");
        assert_eq!(
            line,
            "{\"time\":\"1970-01-01T00:00:01.000Z\",\"env\":\"staging\",\"source\":\"engine\",\"kind\":\"die\",\"subject\":\"web\",\"summary\":\"exited with code 137\",\"exit_code\":\"137\"}"
        );
    }

    #[test]
    fn until_is_a_duration_ago_or_a_time() {
        assert_eq!(parse_bound("10m"), Ok(Bound::Ago(600)));
        assert_eq!(
            parse_bound("1970-01-01T00:00:02Z"),
            Ok(Bound::At(2_000_000_000))
        );
        assert!(parse_bound("yesterday").is_err());
    }

    #[test]
    fn the_table_lines_up_its_columns() {
        let rows = vec![[
            "t".to_string(),
            "engine".to_string(),
            "web".to_string(),
            "started".to_string(),
        ]];
        assert_eq!(
            table(&rows),
            "TIME  SOURCE  SUBJECT  WHAT\nt     engine  web      started\n"
        );
    }
}

//! Hostile input as properties: every parser that sees host or user text, fed
//! thousands of generated inputs (with escape sequences, C1 controls, bidi overrides,
//! broken UTF-8 and shell metacharacters over-represented), never panics and keeps its
//! promise. Each property writes `NAME: N cases` under the target's test dir;
//! `tests/run` prints them at the end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Runs `test` on `cases` inputs from `strategy`; on success records the count.
fn check<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("property {name}: {e}");
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("properties");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), format!("{name}: {cases} cases\n"));
}

/// Bytes as hosts send them at their worst: escapes, C1 controls, bidi overrides,
/// broken UTF-8, newlines and plain text, in any order.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\x1b[31m".to_vec()),
        Just(b"\x1b]0;title\x07".to_vec()),
        Just(b"\x1b]8;;http://x\x1b\\".to_vec()),
        Just(b"\x1bP1$r\x1b\\".to_vec()),
        Just(b"\x1b[?1049h".to_vec()),
        Just(b"\x1b[2J\x1b[H".to_vec()),
        Just(b"\x1b(B".to_vec()),
        Just(b"\x1b".to_vec()),
        Just("\u{9b}31m".as_bytes().to_vec()),
        Just(vec![0x9b, 0x9d, 0x85]),
        Just("\u{202e}evil\u{202c}".as_bytes().to_vec()),
        Just("\u{2066}x\u{2069}".as_bytes().to_vec()),
        Just(b"\r\n\t\x08\x07\x00\x7f".to_vec()),
        Just(vec![0xff, 0xfe, 0xc3]),
        Just("日本語 ok ✓".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..24),
        "[ -~]{0,40}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn hostile_text() -> impl Strategy<Value = String> {
    hostile_bytes().prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// What may never reach the terminal.
fn unsafe_char(c: char) -> bool {
    c.is_control() || ('\u{80}'..='\u{9f}').contains(&c) || is_bidi(c)
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn the_log_sanitizer_lets_nothing_through_however_the_bytes_are_split() {
    let input = (hostile_bytes(), any::<bool>(), 0usize..64);
    check("sanitizer", 3000, input, |(bytes, colours, split)| {
        let mut one = pilothouse_core::logs::Sanitizer::new(colours);
        one.feed(&bytes);
        let whole = one.finish_line();
        let bad: Vec<char> = whole.text.chars().filter(|c| unsafe_char(*c)).collect();
        prop_assert!(bad.is_empty(), "{bad:?} in {:?}", whole.text);
        prop_assert!(whole.text.len() <= pilothouse_core::logs::sanitize::MAX_LINE_BYTES + 4);
        for (at, _) in &whole.spans {
            let at = *at as usize;
            prop_assert!(at <= whole.text.len() && whole.text.is_char_boundary(at));
        }
        // Fed in two parts at any byte, the line is the same.
        let at = split.min(bytes.len());
        let mut two = pilothouse_core::logs::Sanitizer::new(colours);
        two.feed(&bytes[..at]);
        two.feed(&bytes[at..]);
        prop_assert_eq!(two.finish_line().text, whole.text);
        Ok(())
    });
}

#[test]
fn text_cleaning_is_safe_and_bounded() {
    check("clean", 3000, (hostile_text(), 0usize..200), |(s, max)| {
        let out = pilothouse_core::text::clean(&s, max);
        prop_assert!(!out.chars().any(unsafe_char), "{out:?}");
        prop_assert!(
            out.chars().count() <= max + 1,
            "{} > {max}",
            out.chars().count()
        );
        let out = pilothouse_core::logs::sanitize::clean_str(s.as_bytes());
        prop_assert!(!out.chars().any(unsafe_char), "{out:?}");
        Ok(())
    });
}

#[test]
fn timestamps_parse_exactly_or_not_at_all() {
    let valid = (
        1970i64..2200,
        1i64..=12,
        1i64..=28,
        0i64..24,
        0i64..60,
        0i64..60,
        0u32..1_000_000_000,
    );
    check("timestamps", 3000, (valid, hostile_text()), |(t, junk)| {
        let (y, mo, d, h, mi, s, ns) = t;
        let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ns:09}Z");
        let days = pilothouse_core::time::days_from_civil(y, mo, d);
        let want = (days * 86_400 + h * 3600 + mi * 60 + s) * 1_000_000_000 + i64::from(ns);
        prop_assert_eq!(
            pilothouse_core::time::rfc3339_nanos(&text),
            Some(want),
            "{}",
            text
        );
        // Anything else: an answer or None, never a panic.
        let _ = pilothouse_core::time::rfc3339_nanos(&junk);
        let _ = pilothouse_core::time::rfc3339_nanos(&format!("{text}{junk}"));
        Ok(())
    });
}

/// JSON log lines with hostile values, and hostile text that is not JSON.
fn log_line() -> impl Strategy<Value = String> {
    let json = (hostile_text(), hostile_text(), "[a-z]{1,8}").prop_map(|(msg, v, k)| {
        serde_json::json!({"level": "error", "msg": msg, k: v, "n": 3}).to_string()
    });
    prop_oneof![json, hostile_text()]
}

#[test]
fn structured_log_detection_never_panics_and_renders_safe_text() {
    check("structured logs", 3000, log_line(), |line| {
        // As the pane does: sanitized first, then read.
        let mut s = pilothouse_core::logs::Sanitizer::new(false);
        s.feed(line.as_bytes());
        let clean = s.finish_line().text;
        let _ = pilothouse_core::logs::structured::detect_level(&clean);
        if let Some(parsed) = pilothouse_core::logs::structured::parse(&clean) {
            prop_assert!(
                !parsed.display.chars().any(unsafe_char),
                "{:?}",
                parsed.display
            );
        }
        Ok(())
    });
}

#[test]
fn the_http_reader_reads_what_was_sent_and_survives_anything_else() {
    let valid = (100u16..600, proptest::collection::vec(any::<u8>(), 0..300));
    check(
        "http responses",
        3000,
        (valid, hostile_bytes()),
        |((status, body), junk)| {
            let mut raw = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            raw.extend_from_slice(&body);
            let r = pilothouse_backend::parse_http_response(&raw).map_err(TestCaseError::fail)?;
            prop_assert_eq!(r.status, status);
            prop_assert_eq!(r.body, body);
            let _ = pilothouse_backend::parse_http_response(&junk);
            let mut half = raw.clone();
            half.extend_from_slice(&junk);
            let _ = pilothouse_backend::parse_http_response(&half);
            Ok(())
        },
    );
}

/// Any JSON: nested objects and arrays of hostile strings and numbers.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        hostile_text().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("status".to_string()),
                    Just("version".to_string()),
                    Just("build".to_string()),
                    Just("database".to_string()),
                    "[a-z.]{1,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn health_bodies_give_safe_fields_or_nothing() {
    check(
        "health json",
        2000,
        (json_value(), hostile_bytes()),
        |(v, junk)| {
            let wanted = vec!["build.version".to_string(), "status".to_string()];
            let info = pilothouse_core::model::health::HealthInfo::from_json(
                v.to_string().as_bytes(),
                &wanted,
            );
            for f in [
                &info.status,
                &info.version,
                &info.database,
                &info.build_commit,
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!(!f.chars().any(unsafe_char), "{f:?}");
            }
            let _ = pilothouse_core::model::health::HealthInfo::from_json(&junk, &wanted);
            Ok(())
        },
    );
}

#[test]
fn host_readings_parse_or_are_skipped() {
    check("host readings", 3000, hostile_text(), |text| {
        let _ = pilothouse_backend::parse_df(&text, &["/", "/var/lib/docker"]);
        let _ = pilothouse_backend::parse_meminfo(&text);
        let _ = pilothouse_backend::parse_loadavg(&text);
        let _ = pilothouse_backend::parse_docker_df(&text);
        let _ = pilothouse_core::model::job::parse_audit(&text);
        let _ = pilothouse_core::mask::secrets_in(&text);
        Ok(())
    });
}

/// Names and tags as a user or a host might offer them.
fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_.-]{0,20}",
        "[ -~]{0,20}",
        Just("$(id)".to_string()),
        Just("`id`".to_string()),
        Just("a;rm -rf /".to_string()),
        Just("-x".to_string()),
        hostile_text(),
    ]
}

#[test]
fn accepted_tags_and_names_hold_no_shell_syntax() {
    check("tags and names", 3000, name_like(), |s| {
        if pilothouse_core::ops::valid_tag(&s).is_ok() {
            prop_assert!(!s.is_empty() && s.len() <= 128);
            prop_assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            );
            prop_assert!(!s.starts_with(['.', '-']));
        }
        if pilothouse_core::config::values::ServiceName::parse(&s).is_ok() {
            prop_assert!(!s.is_empty() && !s.starts_with('-'));
            prop_assert!(
                !s.chars().any(|c| " ;|&$`'\"\\<>(){}*?!\n\t".contains(c)),
                "{s:?}"
            );
        }
        Ok(())
    });
}

#[test]
fn a_quoted_word_reaches_the_shell_unchanged() {
    // Each case runs a real `sh`: fewer cases, still hundreds.
    let word = prop_oneof![name_like(), "[^\u{0}]{0,30}"];
    check("shell quoting", 400, word, |w| {
        let w: String = w.chars().filter(|c| *c != '\0').collect();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", pilothouse_core::shell::quote(&w)))
            .output()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(String::from_utf8_lossy(&out.stdout), w.as_str());
        Ok(())
    });
}

/// Config text: the example config with bytes flipped, lines dropped or duplicated,
/// values swapped for hostile ones; and raw hostile text.
fn config_text() -> impl Strategy<Value = String> {
    let example = include_str!("../assets/pilothouse.example.toml");
    let lines: Vec<&'static str> = example.lines().collect();
    let n = lines.len();
    let mutated = (
        proptest::collection::vec((0..n, 0u8..4, hostile_text()), 1..6),
        Just(lines),
    )
        .prop_map(|(edits, lines)| {
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
            for (at, how, junk) in edits {
                let at = at.min(out.len().saturating_sub(1));
                match how {
                    0 => {
                        out.remove(at);
                    }
                    1 => out.insert(at, junk),
                    2 => {
                        let l = out[at].clone();
                        out.insert(at, l);
                    }
                    _ => {
                        if let Some((k, _)) = out[at].split_once('=') {
                            out[at] = format!("{k}= {junk:?}");
                        }
                    }
                }
            }
            out.join("\n")
        });
    prop_oneof![3 => mutated, 1 => hostile_text()]
}

#[test]
fn any_config_text_loads_or_names_its_line_never_panics() {
    check("config loading", 1500, config_text(), |text| {
        let path = Path::new("/x/pilothouse.toml");
        match pilothouse_core::config::parse(&text, path) {
            Ok(_) => {}
            Err(pilothouse_core::config::ConfigError::Invalid(i)) => {
                let lines = text.lines().count().max(1);
                prop_assert!(
                    i.line >= 1 && i.line <= lines + 1,
                    "line {} of {lines}",
                    i.line
                );
                prop_assert!(i.path.as_path() == path, "{}", i.path.display());
                let shown = i.to_string();
                prop_assert!(
                    !shown.chars().any(|c| unsafe_char(c) && c != '\n'),
                    "{shown:?}"
                );
            }
            Err(other) => prop_assert!(false, "not a file:line error: {other}"),
        }
        Ok(())
    });
}

#[test]
fn a_known_secret_never_survives_masking() {
    let secret = "[A-Za-z0-9_-]{6,24}"
        .prop_filter("worth masking", |s| pilothouse_core::mask::worth_masking(s));
    let input = (
        proptest::collection::vec(secret, 1..4),
        hostile_text(),
        hostile_text(),
    );
    check("masking", 3000, input, |(secrets, a, b)| {
        let known = pilothouse_core::mask::Secrets::new(secrets.clone());
        for s in &secrets {
            let text = format!("{a}{s}{b}postgres://u:{s}@h/db {s}");
            let out = known.mask(&text);
            for t in &secrets {
                prop_assert!(!out.contains(t.as_str()), "{t:?} in {out:?}");
            }
        }
        Ok(())
    });
}

#[test]
fn redis_answers_parse_to_safe_text_or_an_error() {
    use pilothouse_backend::{parse_redis_cli, redis_cli_line, redis_unquote};
    use pilothouse_core::model::queues::{
        parse_info, parse_script_reply, reading, workers_by_queue,
    };
    check("redis answers", 3000, hostile_text(), |text| {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let _ = parse_redis_cli(&lines);
        let _ = redis_unquote(&text);
        let info = parse_info(&text);
        for field in [&info.version, &info.policy, &info.role, &info.replication] {
            prop_assert!(!field.chars().any(unsafe_char), "{field:?}");
        }
        let _ = workers_by_queue(&text, "bull", &["a".into(), text.clone()]);
        if let Ok(reply) = parse_script_reply(&text) {
            let r = reading(&reply, &text, "bull", &["a".into()], Some("a"));
            for job in r.failed.iter().flat_map(|(_, jobs)| jobs) {
                prop_assert!(!job.reason.chars().any(unsafe_char), "{:?}", job.reason);
            }
        }
        // A line for redis-cli is one line whatever the argument holds.
        prop_assert!(!redis_cli_line(&[&text]).contains('\n'));
        let line = redis_cli_line(&[&text]);
        let inner = line.strip_prefix('"').and_then(|l| l.strip_suffix('"'));
        prop_assert_eq!(inner.map(redis_unquote), Some(text.clone()));
        Ok(())
    });
}

#[test]
fn the_read_script_s_json_parses_or_is_refused() {
    use pilothouse_core::model::queues::{parse_script_reply, reading};
    check("queue readings", 2000, json_value(), |value| {
        let text = serde_json::json!({ "info": "", "queues": { "q": value.clone() }, "failed": { "1": value } }).to_string();
        if let Ok(reply) = parse_script_reply(&text) {
            let r = reading(&reply, "", "bull", &["q".into()], Some("q"));
            prop_assert!(r.queues.len() <= 1);
        }
        Ok(())
    });
}

/// `pg_stat_activity` rows as a hostile or broken server might send them.
fn pg_row() -> impl Strategy<Value = pilothouse_core::model::pool::RawSession> {
    let texts = (hostile_text(), hostile_text(), hostile_text());
    let numbers = (
        any::<i32>(),
        any::<bool>(),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::collection::vec(any::<i32>(), 0..4),
        proptest::option::of(any::<i64>()),
    );
    (texts, numbers).prop_map(
        |((application_name, user, state), (pid, waiting, xact, since, blocked, start))| {
            pilothouse_core::model::pool::RawSession {
                pid,
                application_name,
                user,
                state,
                waiting,
                xact_ms: xact,
                state_ms: since,
                blocked_by: blocked,
                backend_start: start,
            }
        },
    )
}

#[test]
fn pg_rows_become_safe_sessions_and_any_sample_is_summed_without_a_panic() {
    use pilothouse_core::model::pool::{DbSession, PoolSample};
    let input = (
        proptest::collection::vec(pg_row(), 0..12),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    );
    let db: pilothouse_core::config::DatabaseSettings =
        toml::from_str("[pools]\ngateway = { size = 3 }\n").expect("database settings");
    check(
        "pg rows",
        2000,
        input,
        |(rows, max, superuser, reserved)| {
            let sessions: Vec<DbSession> = rows.into_iter().map(DbSession::from_row).collect();
            for s in &sessions {
                for text in [&s.application_name, &s.user] {
                    prop_assert!(!text.chars().any(unsafe_char), "{text:?}");
                    prop_assert!(text.chars().count() <= 65, "{text:?}");
                }
            }
            let mut pool = pilothouse::state::pool::PoolState::from_config(&db);
            pool.record(PoolSample {
                at: 0,
                max_connections: max,
                superuser_reserved: superuser,
                reserved,
                sessions,
                background: 0,
                own_pid: 0,
            });
            let _ = (pool.used(), pool.slots(), pool.free(), pool.low());
            let _ = (pool.by_application(), pool.by_user(), pool.by_state());
            let _ = (
                pool.longest_transaction(),
                pool.waiting(),
                pool.budget_rows(),
            );
            let _ = (pool.budget_sum(true), pool.fair_share(), pool.unbudgeted());
            let _ = (pool.sessions_in_order(), pool.selected_session());
            Ok(())
        },
    );
}

/// Timeline entries from a few sources, kinds and subjects, close together in time, so
/// that many of them tell the same fact.
fn timeline_entry() -> impl Strategy<Value = pilothouse_core::model::timeline::Entry> {
    use pilothouse_core::model::timeline::{Entry, Kind, Source};
    let source = prop_oneof![
        Just(Source::Engine),
        Just(Source::Audit),
        Just(Source::Console)
    ];
    let kind = prop_oneof![Just(Kind::Die), Just(Kind::Start), Just(Kind::Action)];
    let subject = prop_oneof![Just("web"), Just("api")];
    let fields = proptest::collection::btree_map(
        prop_oneof![Just("exit_code".to_string()), Just("image".to_string())],
        "[a-z0-9]{1,3}",
        0..3,
    );
    (0i64..6_000, source, kind, subject, "[ab]{0,1}", fields).prop_map(
        |(ms, source, kind, subject, summary, fields)| {
            let mut e = Entry::new(ms * 1_000_000, source, kind, subject, summary);
            e.fields = fields;
            e
        },
    )
}

#[test]
fn the_timeline_merge_gives_one_ordered_list_whatever_the_interleaving() {
    use pilothouse_core::model::timeline::merge;
    let input = proptest::collection::vec(timeline_entry(), 0..24)
        .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()));
    check("timeline merge", 3000, input, |(entries, shuffled)| {
        let merged = merge(entries.clone());
        prop_assert_eq!(
            &merge(shuffled),
            &merged,
            "the order of arrival changed the list"
        );
        prop_assert!(merged.windows(2).all(|w| w[0] <= w[1]), "not oldest first");
        prop_assert_eq!(&merge(merged.clone()), &merged, "merging again changed it");
        for e in &entries {
            // Every fact is kept: by itself or by the first entry of its second.
            let kept = merged.iter().any(|k| {
                (k.source, k.kind, &k.subject, &k.summary)
                    == (e.source, e.kind, &e.subject, &e.summary)
                    && k.time <= e.time
                    && e.time - k.time <= 1_000_000_000
                    && e.fields.keys().all(|f| k.fields.contains_key(f))
            });
            prop_assert!(kept, "{e:?} is lost in {merged:?}");
        }
        for (i, a) in merged.iter().enumerate() {
            for b in &merged[i + 1..] {
                let same = (a.source, a.kind, &a.subject, &a.summary)
                    == (b.source, b.kind, &b.subject, &b.summary);
                prop_assert!(
                    !same || b.time - a.time > 1_000_000_000,
                    "one fact twice: {a:?} {b:?}"
                );
            }
        }
        Ok(())
    });
}

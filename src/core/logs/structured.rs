//! What a log line says: its level (from JSON fields or detected in plain text) and, for
//! JSON lines (pino, NestJS, OpenTelemetry and the like), a readable rendering:
//! `message key=value…`.

use serde_json::{Map, Value};

/// Severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    /// No level could be told.
    #[default]
    Unknown,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Unknown => "",
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }

    /// A level name as loggers write it, any case (`warning`, `ERR`, `critical`).
    pub fn from_name(s: &str) -> Option<Level> {
        let upper = s.trim().to_ascii_uppercase();
        Some(match upper.as_str() {
            "TRACE" | "TRC" | "VERBOSE" => Level::Trace,
            "DEBUG" | "DBG" => Level::Debug,
            "INFO" | "INF" | "NOTICE" | "LOG" => Level::Info,
            "WARN" | "WARNING" | "WRN" => Level::Warn,
            "ERROR" | "ERR" => Level::Error,
            "FATAL" | "CRITICAL" | "CRIT" | "PANIC" | "EMERGENCY" | "ALERT" => Level::Fatal,
            _ => return None,
        })
    }

    /// pino's numbers (10 trace … 60 fatal) and OpenTelemetry's severity numbers (1–24).
    fn from_number(n: f64, otel: bool) -> Level {
        if otel {
            match n as i64 {
                ..=4 => Level::Trace,
                5..=8 => Level::Debug,
                9..=12 => Level::Info,
                13..=16 => Level::Warn,
                17..=20 => Level::Error,
                _ => Level::Fatal,
            }
        } else {
            match n as i64 {
                ..=10 => Level::Trace,
                11..=20 => Level::Debug,
                21..=30 => Level::Info,
                31..=40 => Level::Warn,
                41..=50 => Level::Error,
                _ => Level::Fatal,
            }
        }
    }
}

/// A JSON line, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structured {
    pub level: Level,
    /// `message key=value…` (the level is drawn separately).
    pub display: String,
}

const MESSAGE_KEYS: &[&str] = &["msg", "message", "body", "Body"];
const LEVEL_KEYS: &[&str] = &[
    "level",
    "severity",
    "severityText",
    "SeverityText",
    "levelname",
    "lvl",
    "log.level",
];
const OTEL_NUMBER_KEYS: &[&str] = &["severityNumber", "SeverityNumber"];
const TIME_KEYS: &[&str] = &["time", "timestamp", "@timestamp", "ts", "Timestamp"];
const TRACE_KEYS: &[&str] = &["trace_id", "traceId", "traceid", "trace.id", "TraceId"];
/// Shown first among the fields, in this order (then the trace id).
const FIRST_KEYS: &[&str] = &["context"];

/// Parses a JSON object line; None for anything else.
pub fn parse(text: &str) -> Option<Structured> {
    let t = text.trim();
    if !(t.starts_with('{') && t.ends_with('}')) {
        return None;
    }
    let map: Map<String, Value> = serde_json::from_str(t).ok()?;
    let mut level = LEVEL_KEYS
        .iter()
        .find_map(|k| match map.get(*k)? {
            Value::String(s) => Level::from_name(s),
            Value::Number(n) => n.as_f64().map(|n| Level::from_number(n, false)),
            _ => None,
        })
        .unwrap_or_default();
    if level == Level::Unknown {
        level = OTEL_NUMBER_KEYS
            .iter()
            .find_map(|k| map.get(*k)?.as_f64())
            .map(|n| Level::from_number(n, true))
            .unwrap_or_default();
    }
    let message_key = MESSAGE_KEYS.iter().find(|k| map.contains_key(**k));
    let mut display = match message_key.and_then(|k| map.get(*k)) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    let skip = |k: &str| {
        Some(&k) == message_key
            || LEVEL_KEYS.contains(&k)
            || OTEL_NUMBER_KEYS.contains(&k)
            || TIME_KEYS.contains(&k)
            || k == "v"
    };
    let mut field = |k: &str, v: &Value| {
        if !display.is_empty() {
            display.push(' ');
        }
        let key = if TRACE_KEYS.contains(&k) { "trace" } else { k };
        display.push_str(key);
        display.push('=');
        match v {
            Value::String(s)
                if !s.is_empty() && !s.contains(char::is_whitespace) && !s.contains('"') =>
            {
                display.push_str(s)
            }
            v => display.push_str(&v.to_string()),
        }
    };
    for k in FIRST_KEYS.iter().chain(TRACE_KEYS) {
        if let Some(v) = map.get(*k) {
            field(k, v);
        }
    }
    for (k, v) in &map {
        if !skip(k) && !FIRST_KEYS.contains(&k.as_str()) && !TRACE_KEYS.contains(&k.as_str()) {
            field(k, v);
        }
    }
    // JSON escapes (`\u001b[31m`, `\u202e`) decode to what the raw line could not
    // carry: the rendering goes through the sanitizer too.
    if display
        .chars()
        .any(|c| c.is_control() || ('\u{202a}'..='\u{2069}').contains(&c))
    {
        let mut clean = super::sanitize::Sanitizer::new(false);
        clean.feed(display.as_bytes());
        display = clean.finish_line().text;
    }
    Some(Structured { level, display })
}

/// The level of a plain line, from the words near its start: `ERROR`, `[warn]`,
/// `level=info`, `error:`, klog's `E1122`.
pub fn detect_level(text: &str) -> Level {
    let head = match text.char_indices().nth(160) {
        Some((i, _)) => crate::text::before(text, i),
        None => text,
    };
    let bytes = head.as_bytes();
    let mut start = None;
    for (i, &b) in bytes.iter().chain(std::iter::once(&b' ')).enumerate() {
        if b.is_ascii_alphabetic() {
            start.get_or_insert(i);
            continue;
        }
        let Some(s) = start.take() else { continue };
        let word = crate::text::between(head, s, i);
        if word.len() < 3 || word.len() > 9 {
            continue;
        }
        let Some(level) = Level::from_name(word) else {
            continue;
        };
        if level == Level::Info && word.eq_ignore_ascii_case("log") {
            continue;
        }
        let before = if s > 0 { bytes[s - 1] } else { b' ' };
        let after = bytes.get(i).copied().unwrap_or(b' ');
        let upper = word.bytes().all(|c| c.is_ascii_uppercase());
        // Lower-case words count only where they clearly name a level.
        let marked = matches!(before, b'[' | b'=' | b'<') || after == b':' || after == b']';
        if upper || marked {
            return level;
        }
    }
    // klog / glog: `E1122 10:00:00.000000 …`
    if let [l @ (b'E' | b'W' | b'I' | b'F'), d, ..] = bytes
        && d.is_ascii_digit()
        && bytes.len() > 5
        && bytes[1..5].iter().all(u8::is_ascii_digit)
    {
        return match l {
            b'E' => Level::Error,
            b'W' => Level::Warn,
            b'F' => Level::Fatal,
            _ => Level::Info,
        };
    }
    Level::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pino_line() {
        let s = parse(r#"{"level":50,"time":1700000000000,"pid":1,"hostname":"h","msg":"db down","err":"ECONNREFUSED"}"#)
            .unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(s.level, Level::Error);
        assert_eq!(s.display, "db down pid=1 hostname=h err=ECONNREFUSED");
    }

    #[test]
    fn nest_style_line_with_context_and_trace() {
        let s = parse(r#"{"level":"warn","message":"slow query","time":"2026-11-22T10:00:00Z","traceId":"abc123","context":"OrdersService","ms":812}"#)
            .unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(s.level, Level::Warn);
        assert_eq!(
            s.display,
            "slow query context=OrdersService trace=abc123 ms=812"
        );
    }

    #[test]
    fn opentelemetry_line() {
        let s = parse(r#"{"severityNumber":17,"body":"export failed","trace_id":"t1","attributes":{"k":"v w"}}"#)
            .unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(s.level, Level::Error);
        assert_eq!(
            s.display,
            r#"export failed trace=t1 attributes={"k":"v w"}"#
        );
        let s =
            parse(r#"{"severityText":"INFO","Body":"ok"}"#).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!((s.level, s.display.as_str()), (Level::Info, "ok"));
    }

    #[test]
    fn strings_with_spaces_are_quoted() {
        let s = parse(r#"{"msg":"m","user":"a b"}"#).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(s.display, r#"m user="a b""#);
    }

    #[test]
    fn non_json_is_not_structured() {
        assert_eq!(parse("plain text"), None);
        assert_eq!(parse("{not json}"), None);
        assert_eq!(parse("[1,2]"), None);
    }

    #[test]
    fn plain_levels_are_detected() {
        assert_eq!(
            detect_level("2026-11-22 10:00:00 ERROR something broke"),
            Level::Error
        );
        assert_eq!(
            detect_level("[Nest] 1  - 11/22/2026 WARN [Router] slow"),
            Level::Warn
        );
        assert_eq!(detect_level("level=debug msg=x"), Level::Debug);
        assert_eq!(detect_level("error: cannot open file"), Level::Error);
        assert_eq!(detect_level("[info] listening"), Level::Info);
        assert_eq!(
            detect_level("E1122 10:00:00.000000 1 x.go:1] boom"),
            Level::Error
        );
        assert_eq!(detect_level("INFO: 10.0.0.1 GET /"), Level::Info);
    }

    #[test]
    fn words_that_only_look_like_levels_are_not_levels() {
        assert_eq!(
            detect_level("no errors found in the information"),
            Level::Unknown
        );
        assert_eq!(detect_level("GET /api/info 200"), Level::Unknown);
        assert_eq!(detect_level("Error handling is fine"), Level::Unknown);
        assert_eq!(detect_level(""), Level::Unknown);
    }
}

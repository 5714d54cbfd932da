//! One log line as the console keeps it: sanitized, with its level and (for JSON lines)
//! its readable rendering, ready to draw, search and save.

use super::sanitize::{CleanText, Sgr};
use super::structured::{self, Level};

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Written by the container.
    Log { stderr: bool },
    /// Said by pilothouse about the stream: a restart, a new container, one that is gone.
    Note,
}

/// A log line, for one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Docker's timestamp, Unix nanoseconds (the host's clock).
    pub ts: i64,
    pub kind: LineKind,
    pub level: Level,
    /// The sanitized line: no escape sequences, no controls. For JSON lines, the JSON.
    pub text: Box<str>,
    /// SGR colours the line carried, when they are kept.
    pub spans: Box<[(u32, Sgr)]>,
    /// For JSON lines, `message key=value…`.
    pub structured: Option<Box<str>>,
}

impl LogLine {
    /// A line as the container wrote it (already sanitized).
    pub fn from_clean(ts: i64, stderr: bool, clean: CleanText) -> Self {
        let parsed = structured::parse(&clean.text);
        let level = match &parsed {
            Some(s) if s.level != Level::Unknown => s.level,
            _ => structured::detect_level(&clean.text),
        };
        LogLine {
            ts,
            kind: LineKind::Log { stderr },
            level,
            text: clean.text.into_boxed_str(),
            spans: clean.spans.into_boxed_slice(),
            structured: parsed.map(|s| s.display.into_boxed_str()),
        }
    }

    pub fn note(ts: i64, text: String) -> Self {
        LogLine {
            ts,
            kind: LineKind::Note,
            level: Level::Unknown,
            text: text.into_boxed_str(),
            spans: Box::new([]),
            structured: None,
        }
    }

    /// The line with its secrets masked ([`crate::mask`]). A line that changed loses
    /// its colours (their offsets no longer fit); one that did not is kept as it is.
    pub fn masked(self, secrets: &crate::mask::Secrets) -> Self {
        use std::borrow::Cow;
        let text = match secrets.mask(&self.text) {
            Cow::Borrowed(_) => None,
            Cow::Owned(t) => Some(t),
        };
        let structured = self
            .structured
            .as_deref()
            .and_then(|s| match secrets.mask(s) {
                Cow::Borrowed(_) => None,
                Cow::Owned(t) => Some(t),
            });
        if text.is_none() && structured.is_none() {
            return self;
        }
        LogLine {
            spans: if text.is_some() {
                Box::new([])
            } else {
                self.spans
            },
            text: text.map_or(self.text, String::into_boxed_str),
            structured: structured.map(String::into_boxed_str).or(self.structured),
            ..self
        }
    }

    /// What is shown: the rendering of a JSON line unless `raw`, else the text.
    pub fn shown(&self, raw: bool) -> &str {
        match &self.structured {
            Some(s) if !raw => s,
            _ => &self.text,
        }
    }
}

/// A batch of lines from one container's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBatch {
    /// Which follow request these lines answer (older requests' lines are ignored).
    pub generation: u64,
    pub container: String,
    pub service: String,
    pub lines: Vec<LogLine>,
}

/// `HH:MM:SS.mmm` (UTC) of Unix nanoseconds.
pub fn clock(ts: i64) -> String {
    let secs = ts.div_euclid(1_000_000_000);
    let ms = ts.rem_euclid(1_000_000_000) / 1_000_000;
    let day = secs.rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}.{ms:03}",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_timestamps_parse() {
        assert_eq!(
            crate::time::rfc3339_nanos("1970-01-01T00:00:01Z"),
            Some(1_000_000_000)
        );
        assert_eq!(
            crate::time::rfc3339_nanos("2026-11-22T10:00:00.123456789Z"),
            Some(1_795_341_600_123_456_789)
        );
        assert_eq!(
            crate::time::rfc3339_nanos("2026-11-22T10:00:00.5+01:00"),
            Some(1_795_338_000_500_000_000)
        );
        assert_eq!(crate::time::rfc3339_nanos("not a time"), None);
        assert_eq!(crate::time::rfc3339_nanos("2026-13-22T10:00:00Z"), None);
    }

    #[test]
    fn clock_shows_utc_time_of_day() {
        assert_eq!(clock(1_795_341_600_123_456_789), "10:00:00.123");
    }

    #[test]
    fn json_lines_keep_raw_text_and_render() {
        let l = LogLine::from_clean(
            1,
            false,
            CleanText {
                text: r#"{"level":"error","msg":"boom","code":7}"#.into(),
                spans: vec![],
            },
        );
        assert_eq!(l.level, Level::Error);
        assert_eq!(l.shown(false), "boom code=7");
        assert_eq!(l.shown(true), r#"{"level":"error","msg":"boom","code":7}"#);
    }

    #[test]
    fn masked_lines_hide_secrets_in_text_and_rendering_and_drop_stale_colours() {
        let secrets = crate::mask::Secrets::new(["hunter2-pw".to_string()]);
        let json = LogLine::from_clean(
            1,
            false,
            CleanText {
                text: r#"{"level":"info","msg":"login","pw":"hunter2-pw"}"#.into(),
                spans: vec![],
            },
        )
        .masked(&secrets);
        assert_eq!(
            json.text.as_ref(),
            r#"{"level":"info","msg":"login","pw":"****"}"#
        );
        assert_eq!(json.shown(false), "login pw=****");
        let plain = CleanText {
            text: "ok".into(),
            spans: vec![(0, Sgr::default())],
        };
        let kept = LogLine::from_clean(2, false, plain).masked(&secrets);
        assert_eq!(kept.spans.len(), 1, "an unchanged line keeps its colours");
    }
}

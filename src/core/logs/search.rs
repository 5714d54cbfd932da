//! What the pane looks for: a regular expression (case-insensitive unless the pattern
//! says `(?-i)`), whether only matching lines are shown (or, inverted, only the others),
//! context lines around matches, and the lowest level shown.

use regex::{Regex, RegexBuilder};

use super::line::{LineKind, LogLine};
use super::structured::Level;

#[derive(Debug, Clone, Default)]
pub struct Query {
    pattern: String,
    regex: Option<Regex>,
    /// Show only lines that match (or, with `invert`, only those that do not).
    pub filter: bool,
    pub invert: bool,
    /// Lines shown before and after each match in filter mode.
    pub context: usize,
    /// Lines below this level are hidden; `Unknown` shows everything.
    pub min_level: Level,
    /// Search the raw JSON rather than its rendering.
    pub raw: bool,
}

impl PartialEq for Query {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
            && self.filter == other.filter
            && self.invert == other.invert
            && self.context == other.context
            && self.min_level == other.min_level
            && self.raw == other.raw
    }
}

impl Eq for Query {}

/// Patterns longer than this are refused (a compiled regex's size is bounded too).
const MAX_PATTERN: usize = 1000;

impl Query {
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Sets the pattern; an empty one searches nothing. Errors are for the operator.
    pub fn set_pattern(&mut self, pattern: &str) -> Result<(), String> {
        if pattern.is_empty() {
            self.pattern.clear();
            self.regex = None;
            return Ok(());
        }
        if pattern.len() > MAX_PATTERN {
            return Err(format!("pattern longer than {MAX_PATTERN} bytes"));
        }
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                // The regex crate's errors are multi-line drawings; the last line says it.
                e.to_string()
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("invalid pattern")
                    .trim()
                    .to_string()
            })?;
        self.pattern = pattern.to_string();
        self.regex = Some(regex);
        Ok(())
    }

    pub fn searching(&self) -> bool {
        self.regex.is_some()
    }

    /// Filter mode with context around matches.
    pub fn context_mode(&self) -> bool {
        self.filter && !self.invert && self.context > 0 && self.searching()
    }

    pub fn level_ok(&self, line: &LogLine) -> bool {
        self.min_level == Level::Unknown
            || line.kind == LineKind::Note
            || line.level >= self.min_level
    }

    pub fn is_match(&self, line: &LogLine) -> bool {
        self.regex
            .as_ref()
            .is_some_and(|r| r.is_match(line.shown(self.raw)))
    }

    /// Whether a line that passed the level filter is in the view (`hit`: it matches).
    pub fn shows(&self, line: &LogLine, hit: bool) -> bool {
        !self.filter || !self.searching() || line.kind == LineKind::Note || hit != self.invert
    }

    /// Byte ranges of the matches in `text`, for highlighting.
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        match &self.regex {
            Some(r) => r
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end()))
                .collect(),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_unless_asked() {
        let mut q = Query::default();
        assert!(q.set_pattern("error").is_ok());
        assert_eq!(q.ranges("An ERROR and an error"), [(3, 8), (16, 21)]);
        assert!(q.set_pattern("(?-i)error").is_ok());
        assert_eq!(q.ranges("An ERROR and an error"), [(16, 21)]);
    }

    #[test]
    fn bad_patterns_say_why_on_one_line() {
        let mut q = Query::default();
        let e = q.set_pattern("a(b").err().unwrap_or_default();
        assert!(!e.contains('\n') && e.contains("unclosed"), "{e}");
        assert!(!q.searching());
    }

    #[test]
    fn empty_pattern_searches_nothing() {
        let mut q = Query::default();
        assert!(q.set_pattern("").is_ok());
        assert!(!q.searching());
        assert!(q.ranges("anything").is_empty());
    }
}

//! The log pane's lines: a bounded ring per container, merged in time order into the
//! view the pane shows, filtered by level and search, with the dropped-line count.
//!
//! Lines arrive mostly in order, so the merged view grows at its end; lines that arrive
//! late (another container's batch) are merged into place. Lines the rings drop leave
//! dangling entries in the view that are skipped and compacted away now and then.

use std::collections::VecDeque;

use super::line::{LineKind, LogBatch, LogLine};
use super::search::Query;
use super::structured::Level;

/// A line's place: which source, and its number there (counting dropped ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRef {
    pub source: u16,
    pub no: u64,
}

/// One followed container's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub container: String,
    pub service: String,
    lines: VecDeque<(u64, LogLine)>,
    /// Number of `lines[0]`.
    first_no: u64,
    pub dropped: u64,
}

impl Source {
    /// Drops the oldest line (counted); false when there is none.
    fn drop_oldest(&mut self) -> bool {
        if self.lines.pop_front().is_none() {
            return false;
        }
        self.first_no += 1;
        self.dropped += 1;
        true
    }
}

/// Everything the pane shows, bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStore {
    /// Lines kept per container.
    cap: usize,
    /// Lines kept in all, across containers.
    total_cap: usize,
    sources: Vec<Source>,
    /// Arrival counter: the tie-breaker for lines with one timestamp.
    seq: u64,
    /// The lines shown, in (timestamp, arrival) order.
    view: Vec<LineRef>,
    query: Query,
    /// How many lines in the view match the search.
    matches: usize,
    /// Dropped lines since the view was last compacted.
    stale_refs: usize,
    /// Context mode: lines after the last match still to show, and the last lines not
    /// shown (candidates for the context before the next match).
    after_left: usize,
    before: VecDeque<LineRef>,
}

impl LogStore {
    pub fn new(cap: usize) -> Self {
        LogStore {
            cap: cap.max(1),
            total_cap: usize::MAX,
            sources: Vec::new(),
            seq: 0,
            view: Vec::new(),
            query: Query::default(),
            matches: 0,
            stale_refs: 0,
            after_left: 0,
            before: VecDeque::new(),
        }
    }

    /// Keeps at most `total` lines across every container (the per-container limit
    /// still holds); see [`LogStore::push`].
    pub fn set_total(&mut self, total: usize) {
        self.total_cap = total.max(1);
        self.trim_total();
    }

    /// Over the total: the longest rings give up their oldest lines first, so a chatty
    /// container never pushes a quiet one's last lines out.
    fn trim_total(&mut self) {
        let mut kept = self.kept();
        while kept > self.total_cap {
            let Some(s) = self.sources.iter_mut().max_by_key(|s| s.lines.len()) else {
                return;
            };
            if !s.drop_oldest() {
                return;
            }
            self.stale_refs += 1;
            kept -= 1;
        }
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Lines dropped from the rings, all sources.
    pub fn dropped(&self) -> u64 {
        self.sources.iter().map(|s| s.dropped).sum()
    }

    /// Lines kept, all sources.
    pub fn kept(&self) -> usize {
        self.sources.iter().map(|s| s.lines.len()).sum()
    }

    pub fn matches(&self) -> usize {
        self.matches
    }

    /// Lines in the view (dangling ones included until compaction).
    pub fn view_len(&self) -> usize {
        self.view.len()
    }

    /// A line of the view by index, with its source; None if it was dropped.
    pub fn view_line(&self, index: usize) -> Option<(&Source, &LogLine)> {
        let r = self.view.get(index)?;
        self.get(*r)
    }

    pub fn get(&self, r: LineRef) -> Option<(&Source, &LogLine)> {
        let s = self.sources.get(usize::from(r.source))?;
        let i = r.no.checked_sub(s.first_no)?;
        s.lines.get(usize::try_from(i).ok()?).map(|(_, l)| (s, l))
    }

    fn key(&self, r: LineRef) -> (i64, u64) {
        let Some(s) = self.sources.get(usize::from(r.source)) else {
            return (i64::MIN, 0);
        };
        match r
            .no
            .checked_sub(s.first_no)
            .and_then(|i| s.lines.get(usize::try_from(i).ok()?))
        {
            Some((seq, l)) => (l.ts, *seq),
            // Dropped lines were the oldest of their source.
            None => (i64::MIN, r.no),
        }
    }

    /// Forgets every line (a new follow request).
    pub fn clear(&mut self) {
        self.sources.clear();
        self.view.clear();
        self.matches = 0;
        self.stale_refs = 0;
        self.after_left = 0;
        self.before.clear();
    }

    fn source_index(&mut self, container: &str, service: &str) -> Option<u16> {
        if let Some(i) = self.sources.iter().position(|s| s.container == container) {
            return u16::try_from(i).ok();
        }
        let i = u16::try_from(self.sources.len()).ok()?;
        self.sources.push(Source {
            container: container.to_string(),
            service: service.to_string(),
            lines: VecDeque::new(),
            first_no: 0,
            dropped: 0,
        });
        Some(i)
    }

    /// Adds a batch; returns how many lines joined the view (a pane scrolled up keeps
    /// its place by that many: new lines land at or near the end).
    pub fn push(&mut self, batch: LogBatch) -> usize {
        let Some(source) = self.source_index(&batch.container, &batch.service) else {
            return 0;
        };
        let mut added = Vec::new();
        {
            let s = &mut self.sources[usize::from(source)];
            for line in batch.lines {
                self.seq += 1;
                let no = s.first_no + s.lines.len() as u64;
                s.lines.push_back((self.seq, line));
                added.push(LineRef { source, no });
                if s.lines.len() > self.cap && s.drop_oldest() {
                    self.stale_refs += 1;
                }
            }
        }
        self.trim_total();
        let before = self.view.len();
        let mut late: Vec<LineRef> = Vec::new();
        for r in added {
            let Some((_, line)) = self.get(r) else {
                continue;
            };
            if !self.query.level_ok(line) {
                continue;
            }
            let hit = self.query.is_match(line);
            let last = self.view.last().map(|l| self.key(*l));
            let in_order = last.is_none_or(|k| k <= self.key(r));
            if !in_order {
                if self.query.shows(line, hit) {
                    late.push(r);
                    if hit {
                        self.matches += 1;
                    }
                }
                continue;
            }
            if self.query.context_mode() {
                if hit {
                    self.view.extend(self.before.drain(..));
                    self.view.push(r);
                    self.matches += 1;
                    self.after_left = self.query.context;
                } else if self.after_left > 0 {
                    self.view.push(r);
                    self.after_left -= 1;
                } else {
                    self.before.push_back(r);
                    if self.before.len() > self.query.context {
                        self.before.pop_front();
                    }
                }
            } else if self.query.shows(line, hit) {
                self.view.push(r);
                if hit {
                    self.matches += 1;
                }
            }
        }
        if !late.is_empty() {
            self.merge_late(late);
        }
        let added = self.view.len() - before;
        if self.stale_refs > 1024 && self.stale_refs > self.view.len() / 4 {
            self.compact();
        }
        added
    }

    /// Merges lines that belong before the end of the view into place.
    fn merge_late(&mut self, mut late: Vec<LineRef>) {
        late.sort_by_key(|r| self.key(*r));
        let first = self.key(late[0]);
        let at = self.view.partition_point(|r| self.key(*r) <= first);
        let tail: Vec<LineRef> = self.view.split_off(at);
        let (mut a, mut b) = (tail.into_iter().peekable(), late.into_iter().peekable());
        loop {
            let pick_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => self.key(*x) <= self.key(*y),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let next = if pick_a { a.next() } else { b.next() };
            if let Some(r) = next {
                self.view.push(r);
            }
        }
    }

    /// Drops view entries whose lines the rings have dropped.
    fn compact(&mut self) {
        let sources = &self.sources;
        self.view.retain(|r| {
            sources
                .get(usize::from(r.source))
                .is_some_and(|s| r.no >= s.first_no)
        });
        self.before.retain(|r| {
            sources
                .get(usize::from(r.source))
                .is_some_and(|s| r.no >= s.first_no)
        });
        self.stale_refs = 0;
        self.matches = self.count_matches();
    }

    fn count_matches(&self) -> usize {
        if !self.query.searching() {
            return 0;
        }
        self.view
            .iter()
            .filter_map(|r| self.get(*r))
            .filter(|(_, l)| self.query.is_match(l))
            .count()
    }

    /// Applies a new search / filter: the view is rebuilt from every kept line.
    pub fn set_query(&mut self, query: Query) {
        self.query = query;
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let mut all: Vec<LineRef> = Vec::with_capacity(self.kept());
        for (i, s) in self.sources.iter().enumerate() {
            let Ok(source) = u16::try_from(i) else { break };
            for (k, (_, l)) in s.lines.iter().enumerate() {
                if self.query.level_ok(l) {
                    all.push(LineRef {
                        source,
                        no: s.first_no + k as u64,
                    });
                }
            }
        }
        all.sort_by_key(|r| self.key(*r));
        self.before.clear();
        self.after_left = 0;
        let hits: Vec<bool> = all
            .iter()
            .map(|r| self.get(*r).is_some_and(|(_, l)| self.query.is_match(l)))
            .collect();
        self.matches = hits.iter().filter(|h| **h).count();
        self.view = if self.query.context_mode() {
            let c = self.query.context;
            let mut keep = vec![false; all.len()];
            for (i, _) in hits.iter().enumerate().filter(|(_, h)| **h) {
                let lo = i.saturating_sub(c);
                let hi = (i + c).min(all.len() - 1);
                keep[lo..=hi].iter_mut().for_each(|k| *k = true);
            }
            // The incremental state continues where the rebuild ends.
            if let Some(last_hit) = hits.iter().rposition(|h| *h) {
                self.after_left = c.saturating_sub(all.len() - 1 - last_hit);
            }
            for (i, r) in all.iter().enumerate().rev() {
                if keep[i] || self.before.len() >= c {
                    break;
                }
                self.before.push_front(*r);
            }
            all.iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(r, _)| *r)
                .collect()
        } else {
            all.into_iter()
                .zip(hits)
                .filter(|(r, hit)| self.get(*r).is_some_and(|(_, l)| self.query.shows(l, *hit)))
                .map(|(r, _)| r)
                .collect()
        };
        self.stale_refs = 0;
    }

    /// The index in the view of the nearest matching line from `from` (inclusive)
    /// towards newer (`forward`) or older lines.
    pub fn find_match(&self, from: usize, forward: bool) -> Option<usize> {
        if !self.query.searching() || self.view.is_empty() {
            return None;
        }
        let hit = |i: usize| {
            self.view_line(i)
                .is_some_and(|(_, l)| self.query.is_match(l))
        };
        if forward {
            (from..self.view.len()).find(|&i| hit(i))
        } else {
            (0..=from.min(self.view.len() - 1)).rev().find(|&i| hit(i))
        }
    }

    /// The shown lines, oldest first, as text (timestamps and service prefixes when
    /// asked): what "save" writes.
    pub fn export(&self, timestamps: bool, raw: bool) -> Vec<String> {
        let many = self
            .sources
            .iter()
            .map(|s| &s.service)
            .collect::<std::collections::HashSet<_>>()
            .len()
            > 1;
        self.view
            .iter()
            .filter_map(|r| self.get(*r))
            .map(|(s, l)| {
                let mut out = String::new();
                if timestamps {
                    out.push_str(&super::line::clock(l.ts));
                    out.push(' ');
                }
                if many {
                    out.push_str(&s.service);
                    out.push_str(" | ");
                }
                if l.kind == LineKind::Note {
                    out.push_str("-- ");
                } else if l.level != Level::Unknown && l.structured.is_some() && !raw {
                    out.push_str(l.level.label());
                    out.push(' ');
                }
                out.push_str(l.shown(raw));
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::sanitize::CleanText;

    fn line(ts: i64, text: &str) -> LogLine {
        LogLine::from_clean(
            ts,
            false,
            CleanText {
                text: text.into(),
                spans: vec![],
            },
        )
    }

    fn batch(container: &str, lines: &[(i64, &str)]) -> LogBatch {
        LogBatch {
            generation: 0,
            container: container.into(),
            service: container.into(),
            lines: lines.iter().map(|(t, s)| line(*t, s)).collect(),
        }
    }

    fn shown(store: &LogStore) -> Vec<String> {
        store.export(false, false)
    }

    #[test]
    fn ring_keeps_the_newest_lines_and_counts_the_dropped() {
        let mut s = LogStore::new(3);
        let lines: Vec<(i64, String)> = (0..10).map(|i| (i, format!("l{i}"))).collect();
        let refs: Vec<(i64, &str)> = lines.iter().map(|(t, s)| (*t, s.as_str())).collect();
        s.push(batch("a", &refs));
        assert_eq!(shown(&s), ["l7", "l8", "l9"]);
        assert_eq!(s.dropped(), 7);
        assert_eq!(s.kept(), 3);
        assert_eq!(s.kept() as u64 + s.dropped(), 10);
    }

    #[test]
    fn the_total_keeps_a_quiet_container_s_lines_against_a_chatty_one() {
        let mut s = LogStore::new(1000);
        s.set_total(10);
        s.push(batch("quiet", &[(0, "q0"), (1, "q1")]));
        let lines: Vec<(i64, String)> = (2..50).map(|i| (i, format!("c{i}"))).collect();
        let refs: Vec<(i64, &str)> = lines.iter().map(|(t, s)| (*t, s.as_str())).collect();
        s.push(batch("chatty", &refs));
        assert_eq!(s.kept(), 10);
        assert_eq!(s.kept() as u64 + s.dropped(), 50);
        let shown = shown(&s);
        assert_eq!(&shown[..2], ["quiet | q0", "quiet | q1"], "{shown:?}");
        assert_eq!(shown.last().map(String::as_str), Some("chatty | c49"));
        // Both long: the longer one gives up lines until they are even.
        let more: Vec<(i64, String)> = (50..60).map(|i| (i, format!("q{i}"))).collect();
        let refs: Vec<(i64, &str)> = more.iter().map(|(t, s)| (*t, s.as_str())).collect();
        s.push(batch("quiet", &refs));
        let per: Vec<usize> = s.sources().iter().map(|x| x.lines.len()).collect();
        assert_eq!(per, [5, 5]);
    }

    #[test]
    fn a_flood_never_grows_past_the_cap() {
        let mut s = LogStore::new(1000);
        for k in 0..200 {
            let lines: Vec<(i64, String)> = (0..1000)
                .map(|i| (k * 1000 + i, format!("flood {i}")))
                .collect();
            let refs: Vec<(i64, &str)> = lines.iter().map(|(t, s)| (*t, s.as_str())).collect();
            s.push(batch("a", &refs));
            assert!(
                s.view_len() <= 1000 + 1025,
                "view {} after batch {k}",
                s.view_len()
            );
        }
        assert_eq!(s.kept(), 1000);
        assert_eq!(s.dropped(), 199_000);
    }

    #[test]
    fn flooding_one_container_keeps_the_quiet_ones_lines() {
        let mut s = LogStore::new(100);
        s.push(batch("quiet", &[(1, "important")]));
        for k in 0..50 {
            let lines: Vec<(i64, String)> = (0..100)
                .map(|i| (10 + k * 100 + i, "noise".to_string()))
                .collect();
            let refs: Vec<(i64, &str)> = lines.iter().map(|(t, s)| (*t, s.as_str())).collect();
            s.push(batch("loud", &refs));
        }
        assert_eq!(
            shown(&s).first().map(String::as_str),
            Some("quiet | important")
        );
    }

    #[test]
    fn containers_merge_in_time_order_even_when_batches_arrive_late() {
        let mut s = LogStore::new(100);
        s.push(batch("a", &[(1, "a1"), (5, "a5"), (9, "a9")]));
        let appended = s.push(batch("b", &[(3, "b3"), (7, "b7"), (11, "b11")]));
        assert_eq!(
            shown(&s),
            ["a | a1", "b | b3", "a | a5", "b | b7", "a | a9", "b | b11"]
        );
        assert_eq!(appended, 3);
    }

    #[test]
    fn search_filter_invert_and_context() {
        let mut s = LogStore::new(100);
        let lines: Vec<(i64, String)> = (0..10).map(|i| (i, format!("line {i}"))).collect();
        let refs: Vec<(i64, &str)> = lines.iter().map(|(t, s)| (*t, s.as_str())).collect();
        s.push(batch("a", &refs));
        let q = |pattern: &str, filter: bool, invert: bool, context: usize| {
            let mut q = Query::default();
            q.set_pattern(pattern).unwrap_or_else(|e| panic!("{e}"));
            q.filter = filter;
            q.invert = invert;
            q.context = context;
            q
        };
        s.set_query(q("LINE [37]", false, false, 0));
        assert_eq!(s.matches(), 2, "case-insensitive by default");
        assert_eq!(s.view_len(), 10, "search alone hides nothing");
        assert_eq!(s.find_match(9, false), Some(7));
        assert_eq!(s.find_match(6, false), Some(3));
        assert_eq!(s.find_match(4, true), Some(7));
        s.set_query(q("line [37]", true, false, 0));
        assert_eq!(shown(&s), ["line 3", "line 7"]);
        s.set_query(q("line [37]", true, true, 0));
        assert_eq!(shown(&s).len(), 8);
        s.set_query(q("line 3", true, false, 1));
        assert_eq!(shown(&s), ["line 2", "line 3", "line 4"]);
        // New lines keep the context rule: one after a match, none otherwise.
        s.push(batch(
            "a",
            &[(10, "x"), (11, "line 3 again"), (12, "after"), (13, "gone")],
        ));
        assert_eq!(
            shown(&s),
            ["line 2", "line 3", "line 4", "x", "line 3 again", "after"]
        );
    }

    #[test]
    fn level_filter_keeps_that_level_and_above() {
        let mut s = LogStore::new(100);
        s.push(batch(
            "a",
            &[
                (1, "DEBUG noise"),
                (2, "INFO hello"),
                (3, "WARN careful"),
                (4, "ERROR broke"),
            ],
        ));
        let mut q = Query::default();
        q.min_level = Level::Warn;
        s.set_query(q);
        assert_eq!(shown(&s), ["WARN careful", "ERROR broke"]);
        s.push(batch("a", &[(5, "INFO more"), (6, "FATAL dead")]));
        assert_eq!(shown(&s), ["WARN careful", "ERROR broke", "FATAL dead"]);
    }
}

//! The log pane: the followed lines from the bottom up (or from where the operator
//! scrolled), with service prefixes, levels, colours the services wrote, and search
//! matches highlighted. Every string drawn here was sanitized when it arrived.

use std::collections::VecDeque;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthChar;

use crate::state::logs::AROUND_SECS;
use crate::state::{EnvState, LogTarget};
use crate::ui::theme::Theme;
use pilothouse_core::logs::line::clock;
use pilothouse_core::logs::{Level, LineKind, LogLine, Query, Sgr, SgrColor};

/// Longest part of a line drawn; the rest is counted (save or raw view to read it).
const MAX_DRAWN_BYTES: usize = 64 * 1024;

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    env: &EnvState,
    (tail, around): (u32, Option<String>),
    focused: bool,
    theme: &Theme,
) {
    let c = &theme.colors;
    let pane = &env.logs;
    let window = match &around {
        Some(at) => format!("{at} ±{AROUND_SECS}s"),
        None => pane.window.label(tail),
    };
    let store = &pane.store;
    let target = match (pane.target, &pane.requested) {
        (LogTarget::All, _) => "all services".to_string(),
        (_, Some(r)) if !r.services.is_empty() => r.services.join(", "),
        _ => "no service selected".into(),
    };
    let follow = if pane.around.is_some() {
        Span::styled(
            " read once · esc: back to the timeline ",
            Style::new().fg(c.muted.0),
        )
    } else if pane.paused() {
        Span::styled(
            format!(" PAUSED ↓{} ", pane.scroll),
            Style::new()
                .fg(c.tab_active.0)
                .bg(c.warning.0)
                .add_modifier(Modifier::BOLD),
        )
    } else {
        Span::styled(" following ", Style::new().fg(c.ok.0))
    };
    let mut title = vec![
        Span::styled(
            format!(" logs · {target} · {window} "),
            Style::new().fg(c.accent.0),
        ),
        follow,
        Span::styled(
            format!(" {} lines ", group(store.kept() as u64)),
            Style::new().fg(c.muted.0),
        ),
    ];
    if store.dropped() > 0 {
        title.push(Span::styled(
            format!(" {} dropped ", group(store.dropped())),
            Style::new().fg(c.warning.0),
        ));
    }
    if !env.is_live() {
        title.push(Span::styled(
            " STALE ",
            Style::new().fg(c.error.0).add_modifier(Modifier::BOLD),
        ));
    }
    let border = if focused { c.accent.0 } else { c.muted.0 };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(border))
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let status = status_line(env, theme);
    let text_h = inner.height.saturating_sub(u16::from(status.is_some()));
    let rows = rows(env, inner.width, usize::from(text_h), theme);
    frame.render_widget(
        Paragraph::new(rows),
        Rect {
            height: text_h,
            ..inner
        },
    );
    if let Some(status) = status {
        let at = Rect {
            y: inner.y + text_h,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(status), at);
    }
}

/// `12,345`
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The search box while typing; else the search, filters and last message, if any.
fn status_line<'a>(env: &'a EnvState, theme: &Theme) -> Option<Line<'a>> {
    let c = &theme.colors;
    let pane = &env.logs;
    if let Some(input) = &pane.search_input {
        return Some(Line::from(vec![
            Span::styled(
                "/",
                Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD),
            ),
            Span::styled(input.as_str(), Style::new().fg(c.text.0)),
            Span::styled("█", Style::new().fg(c.accent.0)),
        ]));
    }
    let q = pane.store.query();
    let mut parts: Vec<Span> = Vec::new();
    if q.searching() {
        parts.push(Span::styled(
            format!("/{}/", q.pattern()),
            Style::new().fg(c.accent.0),
        ));
        let n = pane.store.matches();
        let noun = if n == 1 { "match" } else { "matches" };
        parts.push(Span::raw(format!(" {} {noun}", group(n as u64))));
        if q.filter {
            parts.push(Span::styled(
                if q.invert {
                    " · showing non-matching"
                } else {
                    " · showing matching"
                },
                Style::new().fg(c.warning.0),
            ));
            if q.context > 0 && !q.invert {
                parts.push(Span::raw(format!(" · context {}", q.context)));
            }
        }
    }
    if q.min_level != Level::Unknown {
        parts.push(Span::styled(
            format!(" · level ≥ {}", q.min_level.label()),
            Style::new().fg(c.warning.0),
        ));
    }
    if pane.raw {
        parts.push(Span::raw(" · raw JSON"));
    }
    if let Some(m) = &pane.message {
        parts.push(Span::styled(
            format!(" · {m}"),
            Style::new().fg(c.text.0).add_modifier(Modifier::BOLD),
        ));
    }
    if parts.is_empty() {
        None
    } else {
        Some(Line::from(parts).style(Style::new().fg(c.muted.0)))
    }
}

/// The rows on screen, bottom-aligned on the line `scroll` lines above the newest.
fn rows<'a>(env: &'a EnvState, width: u16, height: usize, theme: &Theme) -> Vec<Line<'a>> {
    let pane = &env.logs;
    let store = &pane.store;
    let width = usize::from(width);
    let mut out: VecDeque<Line> = VecDeque::new();
    if store.view_len() == 0 {
        let text = match env.link.status {
            crate::state::LinkStatus::Connected if pane.around.is_some() => {
                "no lines for this window (yet): it is read once; a service that wrote none then, or a container removed since, has none to show"
            }
            crate::state::LinkStatus::Connected => "no lines yet",
            _ => "not connected",
        };
        return vec![Line::styled(text, Style::new().fg(theme.colors.muted.0))];
    }
    let many = pane.target != LogTarget::Selected || store.sources().len() > 1;
    let label_w = if many {
        store
            .sources()
            .iter()
            .map(|s| s.service.chars().count())
            .max()
            .unwrap_or(0)
            // A swarm task's label (`app.1@swarm-worker-1`) names its node too.
            .min(if many_nodes(store) { 28 } else { 18 })
    } else {
        0
    };
    let last = store.view_len() - 1;
    let bottom = last - pane.scroll.min(last);
    let mut i = bottom;
    loop {
        if let Some((source, line)) = store.view_line(i) {
            let current = pane.cursor == Some(i);
            let prefix = prefix(
                line,
                &source.service,
                label_w,
                pane.timestamps,
                current,
                theme,
            );
            let body = body(line, pane.raw, store.query(), theme);
            let mut line_rows = layout(prefix, body, width, pane.wrap);
            while let Some(r) = line_rows.pop() {
                out.push_front(r);
                if out.len() >= height {
                    break;
                }
            }
        }
        if out.len() >= height || i == 0 {
            break;
        }
        i -= 1;
    }
    out.into()
}

fn service_color(service: &str, theme: &Theme) -> Color {
    let palette = &theme.colors.services;
    if palette.is_empty() {
        return theme.colors.accent.0;
    }
    // FNV-1a: the same service gets the same colour in every run.
    let mut h: u32 = 0x811c_9dc5;
    for b in service.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    palette[h as usize % palette.len()].0
}

fn prefix(
    line: &LogLine,
    service: &str,
    label_w: usize,
    timestamps: bool,
    current: bool,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let c = &theme.colors;
    let mut spans = Vec::new();
    if timestamps {
        spans.push(Span::styled(
            format!("{} ", clock(line.ts)),
            Style::new().fg(c.muted.0),
        ));
    }
    if label_w > 0 {
        let name: String = service.chars().take(label_w).collect();
        spans.push(Span::styled(
            format!("{name:<label_w$} "),
            Style::new().fg(service_color(service, theme)),
        ));
    }
    // stderr is marked with a heavy bar, stdout with a light one; the current match
    // with an arrow.
    let (mark, style) = match (current, line.kind) {
        (true, _) => (
            "▶ ",
            Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD),
        ),
        (_, LineKind::Log { stderr: true }) => ("┃ ", Style::new().fg(c.error.0)),
        _ => ("│ ", Style::new().fg(c.muted.0)),
    };
    spans.push(Span::styled(mark, style));
    spans
}

fn level_style(level: Level, theme: &Theme) -> Style {
    let c = &theme.colors;
    match level {
        Level::Fatal | Level::Error => Style::new().fg(c.error.0),
        Level::Warn => Style::new().fg(c.warning.0),
        Level::Debug | Level::Trace => Style::new().fg(c.muted.0),
        Level::Info | Level::Unknown => Style::new().fg(c.text.0),
    }
}

fn sgr_color(c: SgrColor) -> Color {
    match c {
        SgrColor::Indexed(i) => Color::Indexed(i),
        SgrColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn sgr_style(base: Style, s: &Sgr) -> Style {
    let mut st = base;
    if let Some(fg) = s.fg {
        st = st.fg(sgr_color(fg));
    }
    if let Some(bg) = s.bg {
        st = st.bg(sgr_color(bg));
    }
    for (on, m) in [
        (s.bold, Modifier::BOLD),
        (s.dim, Modifier::DIM),
        (s.italic, Modifier::ITALIC),
        (s.underline, Modifier::UNDERLINED),
        (s.reverse, Modifier::REVERSED),
    ] {
        if on {
            st = st.add_modifier(m);
        }
    }
    st
}

/// The line's text as styled spans: level colour, the service's own colours (for the
/// text as written), search matches on top.
fn body<'a>(line: &'a LogLine, raw: bool, query: &Query, theme: &Theme) -> Vec<Span<'a>> {
    let c = &theme.colors;
    if line.kind == LineKind::Note {
        return vec![Span::styled(
            format!("── {} ──", line.text),
            Style::new().fg(c.accent.0).add_modifier(Modifier::ITALIC),
        )];
    }
    let base = level_style(line.level, theme);
    let mut spans = Vec::new();
    let structured = line.structured.is_some() && !raw;
    if structured && line.level != Level::Unknown {
        spans.push(Span::styled(
            format!("{:<5} ", line.level.label()),
            base.add_modifier(Modifier::BOLD),
        ));
    }
    let full = line.shown(raw);
    let mut cut = full.len().min(MAX_DRAWN_BYTES);
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = pilothouse_core::text::before(full, cut);
    let sgr: &[(u32, Sgr)] = if structured { &[] } else { &line.spans };
    let matches = query.ranges(text);
    // Cut points: where a colour or a match starts or ends.
    let mut cuts: Vec<usize> = vec![0, text.len()];
    cuts.extend(
        sgr.iter()
            .map(|(o, _)| *o as usize)
            .filter(|o| *o < text.len()),
    );
    for (a, b) in &matches {
        cuts.push(*a);
        cuts.push(*b);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let highlight = Style::new()
        .fg(c.search_match.0)
        .bg(c.search_match_bg.0)
        .add_modifier(Modifier::BOLD);
    let (mut si, mut mi) = (0usize, 0usize);
    let mut current_sgr: Option<&Sgr> = None;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a >= b {
            continue;
        }
        while si < sgr.len() && sgr[si].0 as usize <= a {
            current_sgr = Some(&sgr[si].1);
            si += 1;
        }
        while mi < matches.len() && matches[mi].1 <= a {
            mi += 1;
        }
        let in_match = mi < matches.len() && matches[mi].0 <= a;
        let style = if in_match {
            highlight
        } else {
            current_sgr.map_or(base, |s| sgr_style(base, s))
        };
        spans.push(Span::styled(
            pilothouse_core::text::between(text, a, b),
            style,
        ));
    }
    if cut < full.len() {
        spans.push(Span::styled(
            format!(" …[{} more bytes: save to read]", full.len() - cut),
            Style::new().fg(c.muted.0),
        ));
    }
    spans
}

/// Lays a line out in rows of `width`: wrapped (continuation rows indented under the
/// text) or cut at the edge.
fn layout<'a>(
    prefix: Vec<Span<'static>>,
    body: Vec<Span<'a>>,
    width: usize,
    wrap: bool,
) -> Vec<Line<'a>> {
    let prefix_w: usize = prefix.iter().map(|s| s.width()).sum();
    let room = width.saturating_sub(prefix_w).max(1);
    let mut rows: Vec<Line<'a>> = Vec::new();
    let mut row: Vec<Span<'a>> = prefix;
    let mut used = 0usize;
    for span in body {
        let style = span.style;
        let text = span.content;
        let mut start = 0usize;
        let mut pos = 0usize;
        for (i, ch) in text.char_indices() {
            let w = ch.width().unwrap_or(0);
            if used + w > room {
                if pos > start {
                    row.push(Span::styled(slice(&text, start, pos), style));
                }
                if !wrap {
                    rows.push(Line::from(std::mem::take(&mut row)));
                    return rows;
                }
                rows.push(Line::from(std::mem::take(&mut row)));
                row.push(Span::raw(" ".repeat(prefix_w.min(width.saturating_sub(1)))));
                used = 0;
                start = i;
            }
            used += w;
            pos = i + ch.len_utf8();
        }
        if pos > start {
            row.push(Span::styled(slice(&text, start, pos), style));
        }
    }
    rows.push(Line::from(row));
    rows
}

fn slice<'a>(text: &std::borrow::Cow<'a, str>, a: usize, b: usize) -> std::borrow::Cow<'a, str> {
    match text {
        std::borrow::Cow::Borrowed(s) => {
            std::borrow::Cow::Borrowed(pilothouse_core::text::between(s, a, b))
        }
        std::borrow::Cow::Owned(s) => {
            std::borrow::Cow::Owned(pilothouse_core::text::between(s, a, b).to_string())
        }
    }
}

/// Whether the lines come from swarm tasks (labelled `service.slot@node`).
fn many_nodes(store: &pilothouse_core::logs::LogStore) -> bool {
    store.sources().iter().any(|s| s.service.contains('@'))
}

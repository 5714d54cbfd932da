//! Turns the raw bytes of a log stream into text that is safe to draw: no escape
//! sequence, control character or invalid UTF-8 ever gets through. SGR colours are
//! either kept as [`Sgr`] spans (drawn as styles, never as escapes) or dropped.
//!
//! The sanitizer is a state machine fed chunk by chunk, so a sequence split across
//! chunks (Docker splits long lines into 16 KiB frames) is still recognised and removed.

/// A colour as SGR names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SgrColor {
    /// 0–15: the terminal's palette (8–15 bright).
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// The graphic rendition in effect from a byte offset of a line's text on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sgr {
    pub fg: Option<SgrColor>,
    pub bg: Option<SgrColor>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reverse: bool,
}

impl Sgr {
    pub fn is_plain(&self) -> bool {
        *self == Sgr::default()
    }

    /// Applies one SGR parameter list (`1;31`, `38;5;208`, `38;2;r;g;b`).
    fn apply(&mut self, params: &[u16]) {
        if params.is_empty() {
            *self = Sgr::default();
            return;
        }
        let mut i = 0;
        while i < params.len() {
            let p = params[i];
            match p {
                0 => *self = Sgr::default(),
                1 => self.bold = true,
                2 => self.dim = true,
                3 => self.italic = true,
                4 => self.underline = true,
                7 => self.reverse = true,
                22 => {
                    self.bold = false;
                    self.dim = false;
                }
                23 => self.italic = false,
                24 => self.underline = false,
                27 => self.reverse = false,
                30..=37 => self.fg = Some(SgrColor::Indexed((p - 30) as u8)),
                39 => self.fg = None,
                40..=47 => self.bg = Some(SgrColor::Indexed((p - 40) as u8)),
                49 => self.bg = None,
                90..=97 => self.fg = Some(SgrColor::Indexed((p - 90 + 8) as u8)),
                100..=107 => self.bg = Some(SgrColor::Indexed((p - 100 + 8) as u8)),
                38 | 48 => {
                    let colour = match params.get(i + 1) {
                        Some(5) => {
                            let c = params.get(i + 2).map(|&n| n.min(255) as u8);
                            i += 2;
                            c.map(SgrColor::Indexed)
                        }
                        Some(2) => {
                            let c = |k: usize| params.get(i + k).map(|&n| n.min(255) as u8);
                            let rgb = match (c(2), c(3), c(4)) {
                                (Some(r), Some(g), Some(b)) => Some(SgrColor::Rgb(r, g, b)),
                                _ => None,
                            };
                            i += 4;
                            rgb
                        }
                        _ => None,
                    };
                    if p == 38 {
                        self.fg = colour;
                    } else {
                        self.bg = colour;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// A line of sanitized text with the SGR spans that apply to it: span `(offset, sgr)`
/// holds from byte `offset` to the next span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanText {
    pub text: String,
    pub spans: Vec<(u32, Sgr)>,
}

/// Where the state machine is between bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    Ground,
    /// After ESC.
    Escape,
    /// After ESC and an intermediate byte (`ESC ( B`): one more byte ends it.
    EscapeIntermediate,
    /// Inside a control sequence (CSI): parameters until a final byte.
    Csi,
    /// Inside a string (OSC, DCS, SOS, PM, APC): until BEL or ST.
    Str,
    /// ESC inside a string: `\` ends it.
    StrEscape,
}

/// Longest line kept, in bytes; the rest is counted and dropped.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A stream sanitizer; one per stream (a container's stdout, its stderr).
#[derive(Debug, Clone)]
pub struct Sanitizer {
    keep_colours: bool,
    esc: Esc,
    params: Vec<u16>,
    param_overflow: bool,
    /// Bytes of an incomplete UTF-8 character at the end of the last chunk.
    utf8: Vec<u8>,
    sgr: Sgr,
    line: CleanText,
    /// Display columns so far on this line (for tab stops).
    column: usize,
    truncated: usize,
}

impl Sanitizer {
    pub fn new(keep_colours: bool) -> Self {
        Sanitizer {
            keep_colours,
            esc: Esc::Ground,
            params: Vec::new(),
            param_overflow: false,
            utf8: Vec::new(),
            sgr: Sgr::default(),
            line: CleanText::default(),
            column: 0,
            truncated: 0,
        }
    }

    /// Feeds part of a line (no newline inside; the caller splits lines).
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        // An incomplete character from the last chunk is completed first.
        while !self.utf8.is_empty() && !rest.is_empty() {
            self.utf8.push(rest[0]);
            rest = &rest[1..];
            match std::str::from_utf8(&self.utf8) {
                Ok(s) => {
                    let s = s.to_string();
                    self.utf8.clear();
                    self.text(&s);
                }
                Err(e) if e.error_len().is_some() => {
                    // Not a character after all: one replacement for the bad sequence (as
                    // if the line had come in one piece), then the bytes after it are read
                    // again as ground text.
                    let bad = e.error_len().unwrap_or(1).min(self.utf8.len());
                    let again = self.utf8.split_off(bad);
                    self.utf8.clear();
                    self.text("\u{FFFD}");
                    self.feed_bytes(&again);
                }
                Err(_) if self.utf8.len() >= 4 => {
                    self.utf8.clear();
                    self.text("\u{FFFD}");
                }
                Err(_) => {}
            }
        }
        self.feed_bytes(rest);
    }

    fn feed_bytes(&mut self, mut rest: &[u8]) {
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    self.text(s);
                    return;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    // Safe: from_utf8 said these bytes are valid.
                    if let Ok(s) = std::str::from_utf8(good) {
                        self.text(s);
                    }
                    match e.error_len() {
                        Some(n) => {
                            self.text("\u{FFFD}");
                            rest = &bad[n..];
                        }
                        None => {
                            self.utf8.extend_from_slice(bad);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Valid UTF-8 text, still carrying controls.
    fn text(&mut self, s: &str) {
        // Fast path: printable ASCII in the ground state.
        if self.esc == Esc::Ground && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            self.push_str(s);
            return;
        }
        for c in s.chars() {
            self.char(c);
        }
    }

    fn char(&mut self, c: char) {
        let code = c as u32;
        match self.esc {
            Esc::Ground => match c {
                '\u{1b}' => self.esc = Esc::Escape,
                '\t' => {
                    let n = 8 - self.column % 8;
                    for _ in 0..n {
                        self.push_char(' ');
                    }
                }
                // C1 introducers as characters: CSI, and the string commands.
                '\u{9b}' => self.start_csi(),
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => self.esc = Esc::Str,
                // Every other control: C0, DEL, C1. Bidirectional overrides and isolates
                // are dropped too: they reorder what is drawn around them.
                _ if code < 0x20 || (0x7f..0xa0).contains(&code) => {}
                '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
                _ => self.push_char(c),
            },
            Esc::Escape => match c {
                '[' => self.start_csi(),
                ']' | 'P' | 'X' | '^' | '_' => self.esc = Esc::Str,
                ' '..='/' => self.esc = Esc::EscapeIntermediate,
                '\u{1b}' => {}
                _ => self.esc = Esc::Ground,
            },
            Esc::EscapeIntermediate => {
                if !(' '..='/').contains(&c) {
                    self.esc = Esc::Ground;
                }
            }
            Esc::Csi => match c {
                '0'..='9' => {
                    if let Some(last) = self.params.last_mut() {
                        match last
                            .checked_mul(10)
                            .and_then(|v| v.checked_add(code as u16 - 48))
                        {
                            Some(v) => *last = v,
                            None => self.param_overflow = true,
                        }
                    }
                }
                ';' | ':' => {
                    if self.params.len() < 32 {
                        self.params.push(0);
                    } else {
                        self.param_overflow = true;
                    }
                }
                // Intermediate and private-marker bytes: part of the sequence.
                ' '..='/' | '<'..='?' => self.param_overflow |= c != '?' && c > '/',
                '@'..='~' => {
                    if c == 'm' && self.keep_colours && !self.param_overflow {
                        let params = std::mem::take(&mut self.params);
                        // `ESC [ m` is a reset: one empty parameter.
                        let list: &[u16] = if params == [0] { &[] } else { &params };
                        self.sgr.apply(list);
                        self.params = params;
                        self.mark_style();
                    }
                    self.esc = Esc::Ground;
                }
                '\u{1b}' => self.esc = Esc::Escape,
                // Anything else aborts the sequence.
                _ => self.esc = Esc::Ground,
            },
            Esc::Str => match c {
                '\u{7}' | '\u{9c}' => self.esc = Esc::Ground,
                '\u{1b}' => self.esc = Esc::StrEscape,
                _ => {}
            },
            Esc::StrEscape => {
                self.esc = if c == '\\' { Esc::Ground } else { Esc::Str };
            }
        }
    }

    fn start_csi(&mut self) {
        self.esc = Esc::Csi;
        self.params.clear();
        self.params.push(0);
        self.param_overflow = false;
    }

    fn mark_style(&mut self) {
        let at = self.line.text.len() as u32;
        match self.line.spans.last_mut() {
            Some((o, s)) if *o == at => *s = self.sgr,
            Some((_, s)) if *s == self.sgr => {}
            None if self.sgr.is_plain() => {}
            _ => self.line.spans.push((at, self.sgr)),
        }
    }

    fn push_str(&mut self, s: &str) {
        let room = MAX_LINE_BYTES.saturating_sub(self.line.text.len());
        if s.len() <= room {
            self.line.text.push_str(s);
            self.column += s.len();
        } else {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.line.text.push_str(crate::text::before(s, cut));
            self.truncated += s.len() - cut;
        }
    }

    fn push_char(&mut self, c: char) {
        if self.line.text.len() + c.len_utf8() <= MAX_LINE_BYTES {
            self.line.text.push(c);
            self.column += 1;
        } else {
            self.truncated += c.len_utf8();
        }
    }

    /// Ends the line: returns it and starts the next one. An escape sequence left open
    /// at the end of a line is abandoned (its bytes never show).
    pub fn finish_line(&mut self) -> CleanText {
        if !self.utf8.is_empty() {
            self.utf8.clear();
            self.text("\u{FFFD}");
        }
        if self.truncated > 0 {
            let note = format!(" …[{} more bytes]", self.truncated);
            self.line.text.push_str(&note);
            self.truncated = 0;
        }
        self.esc = Esc::Ground;
        self.sgr = Sgr::default();
        self.column = 0;
        let mut line = std::mem::take(&mut self.line);
        // A trailing carriage return (CRLF) is not part of the line.
        if line.text.ends_with('\r') {
            line.text.pop();
        }
        line.spans.retain(|(o, _)| (*o as usize) < line.text.len());
        line
    }

    /// Whether anything was fed since the last line ended.
    pub fn has_partial(&self) -> bool {
        !self.line.text.is_empty() || !self.utf8.is_empty() || self.esc != Esc::Ground
    }
}

/// Sanitizes one complete piece of text (no styles kept): for error messages, health
/// outputs and anything else drawn from the outside.
pub fn clean_str(bytes: &[u8]) -> String {
    let mut s = Sanitizer::new(false);
    s.feed(bytes);
    s.finish_line().text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(chunks: &[&[u8]]) -> CleanText {
        let mut s = Sanitizer::new(true);
        for c in chunks {
            s.feed(c);
        }
        s.finish_line()
    }

    fn text(chunks: &[&[u8]]) -> String {
        clean(chunks).text
    }

    fn assert_no_controls(s: &str) {
        assert!(
            !s.chars()
                .any(|c| (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32))),
            "control left in {s:?}"
        );
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(text(&[b"hello world"]), "hello world");
    }

    #[test]
    fn osc_title_and_hyperlinks_are_removed() {
        // Title with BEL, hyperlink with ST (ESC \), 8-bit ST.
        let line =
            b"a\x1b]0;pwned\x07b\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\c\x1b]2;t\xc2\x9cd";
        assert_eq!(text(&[line]), "ablinkcd");
    }

    #[test]
    fn clear_screen_cursor_moves_bell_and_backspace_are_removed() {
        let line = b"\x1b[2J\x1b[H\x1b[10;20Hx\x07y\x08z\x1b[?1049h\x1b[3Aw\x1bc\x1b(B!";
        assert_eq!(text(&[line]), "xyzw!");
    }

    #[test]
    fn c1_controls_are_removed_also_as_introducers() {
        // U+009B is an 8-bit CSI: its parameters go with it. U+009D starts an OSC.
        let line = "a\u{9b}2Jb\u{9d}0;title\u{7}c\u{85}d";
        assert_eq!(text(&[line.as_bytes()]), "abcd");
    }

    #[test]
    fn sequences_split_across_chunks_are_still_removed() {
        let whole: &[u8] = b"left\x1b]0;title\x07mid\x1b[31mred\x1b[0mright";
        let expected = clean(&[whole]);
        for cut in 1..whole.len() {
            let (a, b) = whole.split_at(cut);
            assert_eq!(clean(&[a, b]), expected, "split at {cut}");
        }
        assert_eq!(expected.text, "leftmidredright");
    }

    #[test]
    fn split_utf8_characters_are_joined() {
        let s = "naïve → ok".as_bytes();
        for cut in 1..s.len() {
            let (a, b) = s.split_at(cut);
            assert_eq!(text(&[a, b]), "naïve → ok", "split at {cut}");
        }
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(text(&[b"a\xffb\xc3(c"]), "a\u{FFFD}b\u{FFFD}(c");
        // A truncated character at the very end of the line.
        assert_eq!(text(&[b"end\xe2\x82"]), "end\u{FFFD}");
        // Raw C1 bytes are invalid UTF-8, never controls.
        let t = text(&[b"x\x9b2Jy"]);
        assert_no_controls(&t);
        assert!(t.contains('\u{FFFD}'), "{t:?}");
    }

    #[test]
    fn sgr_colours_become_spans() {
        let c = clean(&[
            b"plain \x1b[1;31mred bold\x1b[0m plain \x1b[38;5;208mo\x1b[38;2;1;2;3mrgb\x1b[m",
        ]);
        assert_eq!(c.text, "plain red bold plain orgb");
        let red = Sgr {
            fg: Some(SgrColor::Indexed(1)),
            bold: true,
            ..Sgr::default()
        };
        assert_eq!(c.spans[0], (6, red));
        assert_eq!(c.spans[1], (14, Sgr::default()));
        assert_eq!(c.spans[2].1.fg, Some(SgrColor::Indexed(208)));
        assert_eq!(c.spans[3].1.fg, Some(SgrColor::Rgb(1, 2, 3)));
    }

    #[test]
    fn colours_can_be_stripped() {
        let mut s = Sanitizer::new(false);
        s.feed(b"\x1b[31mred\x1b[0m");
        let c = s.finish_line();
        assert_eq!(c.text, "red");
        assert!(c.spans.is_empty());
    }

    #[test]
    fn tabs_expand_and_crlf_is_trimmed() {
        assert_eq!(text(&[b"a\tb\r"]), "a       b");
    }

    #[test]
    fn bidi_overrides_are_removed() {
        assert_eq!(text(&["a\u{202e}b\u{2066}c".as_bytes()]), "abc");
    }

    #[test]
    fn huge_lines_are_cut_with_a_note() {
        let big = vec![b'x'; MAX_LINE_BYTES + 10];
        let t = text(&[&big]);
        assert!(
            t.ends_with(" …[10 more bytes]"),
            "{}",
            crate::text::after(&t, t.len() - 30)
        );
        // A megabyte line in 16 KiB frames is kept whole.
        let mut s = Sanitizer::new(true);
        for _ in 0..64 {
            s.feed(&[b'y'; 16 * 1024]);
        }
        assert_eq!(s.finish_line().text.len(), MAX_LINE_BYTES);
    }

    #[test]
    fn an_unterminated_sequence_never_leaks_into_the_next_line() {
        let mut s = Sanitizer::new(true);
        s.feed(b"before\x1b]0;never closed");
        assert_eq!(s.finish_line().text, "before");
        s.feed(b"after");
        assert_eq!(s.finish_line().text, "after");
    }

    #[test]
    fn every_byte_is_safe() {
        // Every single byte value, alone and after ESC, in every state.
        let mut all = Vec::new();
        for b in 0u8..=255 {
            all.extend_from_slice(&[b, b'x', 0x1b, b, b'y', 0x1b, b'[', b, b'z']);
        }
        let t = text(&[&all]);
        assert_no_controls(&t);
        assert!(!t.contains('\u{1b}'));
    }
}

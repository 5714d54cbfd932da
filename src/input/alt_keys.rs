//! Joins an escape and the plain key right after it into the alt key the terminal sent.
//!
//! A terminal sends Alt+d as ESC then `d`, normally in one write, and crossterm reads
//! that as Alt+d. Through a slow or busy link (ssh to a jump host, a loaded tmux) the
//! two bytes can arrive in separate reads; crossterm then reports Esc and a bare `d`,
//! and the console would cancel what was open and run `d`'s action instead of the
//! deploy picker. Like tmux's `escape-time`, an escape is held for a few milliseconds:
//! a plain character key within them makes the alt key; anything else, or nothing,
//! lets the escape through on its own.
//!
//! A longer sequence split the same way (a mouse report, `ESC [ < 0 ; 58 ; 40 m`, or an
//! arrow key) would otherwise reach the console as Esc and a run of letters, and its
//! last letter would run an action (`m` follows the marked services). An escape with
//! `[` or `O` right behind it starts such a sequence: it and the characters that follow
//! it closely, up to the sequence's final byte, are dropped. Its meaning is lost, but
//! nothing runs that nobody pressed.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How long an escape waits for its key, and the longest gap inside one split
/// sequence. No one presses Esc and a letter this fast; a terminal's pieces of one key
/// arrive well within it.
pub const ESCAPE_TIME: Duration = Duration::from_millis(25);

/// What the keys read so far leave open.
#[derive(Debug, Default, Clone, Copy)]
enum Pending {
    #[default]
    Nothing,
    /// A bare escape, read at this time.
    Escape(Instant),
    /// The rest of a split escape sequence is being dropped; the last piece came at
    /// this time.
    Sequence { kind: Sequence, at: Instant },
}

/// The two sequence shapes a terminal sends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sequence {
    /// `ESC [`, parameters, then one final byte in `@`..=`~`.
    Csi,
    /// `ESC O` then one byte (F1–F4 and the arrows in application mode).
    Ss3,
}

/// The escape held back, or the split sequence being dropped.
#[derive(Debug, Default)]
pub struct AltKeys {
    pending: Pending,
}

impl AltKeys {
    /// Takes a key as read at `now`; returns the keys to act on now, in order.
    pub fn key(&mut self, key: KeyEvent, now: Instant) -> Vec<KeyEvent> {
        let close = |at: Instant| now.saturating_duration_since(at) <= ESCAPE_TIME;
        let mut out = Vec::with_capacity(2);
        match std::mem::take(&mut self.pending) {
            Pending::Nothing => {}
            Pending::Escape(at) if close(at) => match plain_char(&key) {
                Some('[') => return self.drop_piece(Sequence::Csi, now),
                Some('O') => return self.drop_piece(Sequence::Ss3, now),
                Some(_) => {
                    out.push(KeyEvent::new_with_kind(
                        key.code,
                        key.modifiers | KeyModifiers::ALT,
                        key.kind,
                    ));
                    return out;
                }
                None => out.push(escape()),
            },
            Pending::Escape(_) => out.push(escape()),
            Pending::Sequence { kind, at } if close(at) => {
                if let Some(c) = plain_char(&key) {
                    let last = kind == Sequence::Ss3 || ('@'..='~').contains(&c);
                    if !last {
                        self.pending = Pending::Sequence { kind, at: now };
                    }
                    return out;
                }
            }
            Pending::Sequence { .. } => {}
        }
        if is_bare_escape(&key) {
            self.pending = Pending::Escape(now);
        } else {
            out.push(key);
        }
        out
    }

    /// When the held escape is due on its own, or the sequence being dropped is over.
    pub fn due(&self) -> Option<Instant> {
        match self.pending {
            Pending::Nothing => None,
            Pending::Escape(at) | Pending::Sequence { at, .. } => Some(at + ESCAPE_TIME),
        }
    }

    /// The held escape, let through now: its time is up, or something other than a
    /// key came in after it. A sequence being dropped just ends.
    pub fn flush(&mut self) -> Option<KeyEvent> {
        match std::mem::take(&mut self.pending) {
            Pending::Escape(_) => Some(escape()),
            Pending::Nothing | Pending::Sequence { .. } => None,
        }
    }

    fn drop_piece(&mut self, kind: Sequence, now: Instant) -> Vec<KeyEvent> {
        self.pending = Pending::Sequence { kind, at: now };
        Vec::new()
    }
}

fn escape() -> KeyEvent {
    KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)
}

fn is_bare_escape(key: &KeyEvent) -> bool {
    key.code == KeyCode::Esc && key.modifiers.is_empty() && key.kind == KeyEventKind::Press
}

/// The character of a key an alt chord or a sequence can be made of: a character
/// typed with nothing held but shift.
fn plain_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if key.kind == KeyEventKind::Press
                && (key.modifiers - KeyModifiers::SHIFT).is_empty() =>
        {
            Some(c)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn an_escape_and_a_letter_read_apart_but_close_together_are_the_alt_key() {
        let mut k = AltKeys::default();
        let t = Instant::now();
        assert!(
            k.key(press(KeyCode::Esc), t).is_empty(),
            "the escape is held"
        );
        assert_eq!(k.due(), Some(t + ESCAPE_TIME));
        assert_eq!(
            k.key(press(KeyCode::Char('d')), t + ms(3)),
            vec![KeyEvent::new(KeyCode::Char('d'), KeyModifiers::ALT)]
        );
        assert_eq!(k.due(), None);
        // Shift stays: Alt+D is not Alt+d.
        k.key(press(KeyCode::Esc), t + ms(100));
        assert_eq!(
            k.key(
                KeyEvent::new(KeyCode::Char('D'), KeyModifiers::SHIFT),
                t + ms(101)
            ),
            vec![KeyEvent::new(
                KeyCode::Char('D'),
                KeyModifiers::SHIFT | KeyModifiers::ALT
            )]
        );
    }

    #[test]
    fn an_escape_pressed_by_a_person_is_an_escape() {
        let mut k = AltKeys::default();
        let t = Instant::now();
        k.key(press(KeyCode::Esc), t);
        // Nothing follows: the loop lets it through when it is due.
        assert_eq!(k.flush(), Some(press(KeyCode::Esc)));
        assert_eq!(k.flush(), None, "let through once");
        // A letter typed after the escape time is its own key, after the escape.
        k.key(press(KeyCode::Esc), t);
        assert_eq!(
            k.key(press(KeyCode::Char('d')), t + ESCAPE_TIME + ms(1)),
            vec![press(KeyCode::Esc), press(KeyCode::Char('d'))]
        );
    }

    #[test]
    fn only_plain_characters_join_an_escape() {
        let t = Instant::now();
        for next in [
            press(KeyCode::Enter),
            press(KeyCode::Up),
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
        ] {
            let mut k = AltKeys::default();
            k.key(press(KeyCode::Esc), t);
            assert_eq!(
                k.key(next, t + ms(1)),
                vec![press(KeyCode::Esc), next],
                "{next:?}"
            );
        }
        // Two escapes: the first goes, the second waits for its own key.
        let mut k = AltKeys::default();
        k.key(press(KeyCode::Esc), t);
        assert_eq!(
            k.key(press(KeyCode::Esc), t + ms(1)),
            vec![press(KeyCode::Esc)]
        );
        assert_eq!(k.due(), Some(t + ms(1) + ESCAPE_TIME));
    }

    #[test]
    fn a_mouse_report_or_arrow_read_in_pieces_runs_nothing() {
        let t = Instant::now();
        let chars = |k: &mut AltKeys, text: &str, from: Duration| -> Vec<KeyEvent> {
            text.chars()
                .enumerate()
                .flat_map(|(i, c)| k.key(press(KeyCode::Char(c)), t + from + ms(i as u64)))
                .collect()
        };
        // A click's release, `ESC [<0;58;40m`, its escape read alone: no `m` (follow
        // the marked services), no digits, no escape.
        let mut k = AltKeys::default();
        k.key(press(KeyCode::Esc), t);
        assert_eq!(chars(&mut k, "[<0;58;40m", ms(1)), vec![]);
        assert_eq!(k.flush(), None);
        // The sequence over, the next key is a key again.
        assert_eq!(chars(&mut k, "q", ms(20)), vec![press(KeyCode::Char('q'))]);
        // An arrow in application mode, `ESC O A`: one byte after the `O`.
        let mut k = AltKeys::default();
        k.key(press(KeyCode::Esc), t);
        assert_eq!(chars(&mut k, "OAx", ms(1)), vec![press(KeyCode::Char('x'))]);
        // The rest of a sequence that stops short: the next key, come later, counts.
        let mut k = AltKeys::default();
        k.key(press(KeyCode::Esc), t);
        assert_eq!(chars(&mut k, "[1;", ms(1)), vec![]);
        assert!(k.due().is_some());
        assert_eq!(
            k.key(press(KeyCode::Char('l')), t + ms(3) + ESCAPE_TIME + ms(1)),
            vec![press(KeyCode::Char('l'))]
        );
        assert_eq!(k.due(), None);
    }

    #[test]
    fn keys_without_an_escape_pass_unchanged_and_at_once() {
        let mut k = AltKeys::default();
        let t = Instant::now();
        for key in [
            press(KeyCode::Char('d')),
            KeyEvent::new(KeyCode::Char('r'), KeyModifiers::ALT),
            KeyEvent::new(KeyCode::Esc, KeyModifiers::ALT),
        ] {
            assert_eq!(k.key(key, t), vec![key]);
            assert_eq!(k.due(), None);
        }
    }
}

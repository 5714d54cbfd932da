//! Joins an escape and the plain key right after it into the alt key the terminal sent.
//!
//! A terminal sends Alt+d as ESC then `d`, normally in one write, and crossterm reads
//! that as Alt+d. Through a slow or busy link (ssh to a jump host, a loaded tmux) the
//! two bytes can arrive in separate reads; crossterm then reports Esc and a bare `d`,
//! and the console would cancel what was open and run `d`'s action instead of the
//! deploy picker. Like tmux's `escape-time`, an escape is held for a few milliseconds:
//! a plain character key within them makes the alt key; anything else, or nothing,
//! lets the escape through on its own.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How long an escape waits for its key. No one presses Esc and a letter this fast;
/// a terminal's two halves of one key arrive well within it.
pub const ESCAPE_TIME: Duration = Duration::from_millis(25);

/// The escape held back, if any, and when it was read.
#[derive(Debug, Default)]
pub struct AltKeys {
    held: Option<(KeyEvent, Instant)>,
}

impl AltKeys {
    /// Takes a key as read at `now`; returns the keys to act on now, in order.
    pub fn key(&mut self, key: KeyEvent, now: Instant) -> Vec<KeyEvent> {
        let mut out = Vec::with_capacity(2);
        if let Some((escape, at)) = self.held.take() {
            if now.saturating_duration_since(at) <= ESCAPE_TIME && joins(&key) {
                out.push(KeyEvent::new_with_kind(
                    key.code,
                    key.modifiers | KeyModifiers::ALT,
                    key.kind,
                ));
                return out;
            }
            out.push(escape);
        }
        if is_bare_escape(&key) {
            self.held = Some((key, now));
        } else {
            out.push(key);
        }
        out
    }

    /// When the held escape is due on its own.
    pub fn due(&self) -> Option<Instant> {
        self.held.map(|(_, at)| at + ESCAPE_TIME)
    }

    /// The held escape, let through now: its time is up, or something other than a
    /// key came in after it.
    pub fn flush(&mut self) -> Option<KeyEvent> {
        self.held.take().map(|(escape, _)| escape)
    }
}

fn is_bare_escape(key: &KeyEvent) -> bool {
    key.code == KeyCode::Esc && key.modifiers.is_empty() && key.kind == KeyEventKind::Press
}

/// A key an alt chord can be made of: a character typed with nothing held but shift.
fn joins(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char(_))
        && key.kind == KeyEventKind::Press
        && (key.modifiers - KeyModifiers::SHIFT).is_empty()
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

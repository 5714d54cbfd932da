//! Keymaps: which key means which [`Action`], per [`Mode`].
//!
//! The default keymap is `keymaps/default.toml`, embedded in the binary. Help texts and
//! status-bar hints are generated from the active keymap through [`Keymap::keys_for`], so
//! they always show the keys the operator really has.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use indexmap::IndexMap;
use serde::Deserialize;

use crate::action::{Action, Mode};
use crate::config::{ConfigError, from_toml};

/// The keymap shipped with pilothouse.
pub const DEFAULT_KEYMAP: &str = include_str!("../keymaps/default.toml");

/// A key with its modifiers, as written in keymap files (`q`, `ctrl-c`, `backtab`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest {
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "esc" => KeyCode::Esc,
                "enter" => KeyCode::Enter,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(format!("unknown key {s:?}")),
                },
                _ => return Err(format!("unknown key {s:?}")),
            },
        };
        Ok(Key { code, modifiers })
    }

    /// The key of a terminal event, normalised so that `G` and `shift-g` are one key.
    pub fn from_event(ev: &KeyEvent) -> Self {
        let mut modifiers = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let KeyCode::Char(c) = ev.code
            && c.is_ascii_control()
        {
            modifiers |= KeyModifiers::CONTROL;
        }
        Key {
            code: ev.code,
            modifiers,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    normal: IndexMap<String, Action>,
    #[serde(default)]
    filter: IndexMap<String, Action>,
    #[serde(default)]
    logs: IndexMap<String, Action>,
    #[serde(default)]
    search: IndexMap<String, Action>,
    #[serde(default)]
    confirm: IndexMap<String, Action>,
    #[serde(default, rename = "confirm-typed")]
    confirm_typed: IndexMap<String, Action>,
    #[serde(default, rename = "tag-input")]
    tag_input: IndexMap<String, Action>,
}

/// Resolves keys to actions in a mode.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: HashMap<Mode, IndexMap<Key, Action>>,
}

impl Keymap {
    /// The embedded default keymap.
    pub fn default_keymap() -> Result<Self, ConfigError> {
        Self::parse(DEFAULT_KEYMAP, Path::new("keymaps/default.toml"))
    }

    /// Parses a keymap file; errors name the file, line and key.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let file: KeymapFile = from_toml(text, path)?;
        let mut bindings = HashMap::new();
        for (mode, section, entries) in [
            (Mode::Normal, "normal", file.normal),
            (Mode::Filter, "filter", file.filter),
            (Mode::Logs, "logs", file.logs),
            (Mode::Search, "search", file.search),
            (Mode::Confirm, "confirm", file.confirm),
            (Mode::ConfirmTyped, "confirm-typed", file.confirm_typed),
            (Mode::TagInput, "tag-input", file.tag_input),
        ] {
            let mut keys = IndexMap::new();
            for (raw, action) in entries {
                let key = Key::parse(&raw).map_err(|message| {
                    let offset = text.find(&format!("\"{raw}\"")).unwrap_or(0);
                    let (line, column) = crate::config::line_col(text, offset);
                    ConfigError::Invalid(Box::new(crate::config::Invalid {
                        path: path.to_path_buf(),
                        line,
                        column,
                        key: format!("{section}.{raw}"),
                        message,
                    }))
                })?;
                keys.insert(key, action);
            }
            bindings.insert(mode, keys);
        }
        Ok(Keymap { bindings })
    }

    /// The action a key press means in a mode, if any.
    pub fn resolve(&self, mode: Mode, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        self.bindings.get(&mode)?.get(&Key::from_event(ev)).copied()
    }

    /// Every key bound to an action in a mode, in file order (for help and hints).
    pub fn keys_for(&self, mode: Mode, action: Action) -> Vec<Key> {
        self.bindings
            .get(&mode)
            .map(|b| {
                b.iter()
                    .filter(|(_, a)| **a == action)
                    .map(|(k, _)| *k)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn default_keymap_parses_and_resolves() {
        let k = Keymap::default_keymap().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            k.resolve(Mode::Normal, &press(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            k.resolve(
                Mode::Normal,
                &press(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            k.resolve(Mode::Normal, &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevEnv)
        );
        assert_eq!(
            k.resolve(Mode::Normal, &press(KeyCode::Char('x'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn keys_for_lists_every_binding_in_file_order() {
        let k = Keymap::default_keymap().unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<String> = k
            .keys_for(Mode::Normal, Action::Quit)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(keys, ["q", "ctrl-c"]);
    }

    #[test]
    fn unknown_action_and_key_are_located() {
        let e = Keymap::parse("[normal]\n\"q\" = \"quitt\"\n", Path::new("k.toml"))
            .map(|_| ())
            .map_err(|e| e.to_string());
        let e = e.err().unwrap_or_default();
        assert!(e.starts_with("k.toml:2:7: key `normal.q`"), "{e}");
        let e = Keymap::parse("[normal]\n\"hyper-q\" = \"quit\"\n", Path::new("k.toml"))
            .map(|_| ())
            .map_err(|e| e.to_string());
        let e = e.err().unwrap_or_default();
        assert!(
            e.starts_with("k.toml:2:1: key `normal.hyper-q`: unknown key"),
            "{e}"
        );
    }
}

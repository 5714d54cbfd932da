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

use crate::input::action::{Action, Mode};
use pilothouse_core::config::{ConfigError, from_toml};

/// The keymap shipped with pilothouse.
pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");

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
                "backtab" | "shift-tab" => KeyCode::BackTab,
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
                f if f.starts_with('f') => match pilothouse_core::text::after(f, 1).parse::<u8>() {
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

/// A keymap file as written: sections of `"key" = "action"`, with where each value is.
type KeymapFile = IndexMap<String, toml::Spanned<IndexMap<String, toml::Spanned<String>>>>;

/// The keymaps shipped with pilothouse, by name.
pub const BUILTIN: [(&str, &str); 2] = [
    ("default", DEFAULT_KEYMAP),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// What a value of `"none"` means: the key is unbound (in a user file, over the base).
const UNBIND: &str = "none";

/// The ctrl chords a state-changing action may not sit on: terminal multiplexers' and
/// shells' own (tmux ctrl-b, screen ctrl-a, interrupt, suspend, flow control, EOF...).
/// Every other ctrl chord without alt is refused for those actions too, to be safe.
fn bare_ctrl(key: &Key) -> bool {
    key.modifiers == KeyModifiers::CONTROL
}

/// Resolves keys to actions in a mode.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    /// What it is called (`default`, `vim`, a user's file name), for the help overlay.
    pub name: String,
    bindings: HashMap<Mode, IndexMap<Key, Action>>,
}

impl Keymap {
    /// The embedded default keymap.
    pub fn default_keymap() -> Result<Self, ConfigError> {
        Self::parse(DEFAULT_KEYMAP, Path::new("keymaps/default.toml"))
    }

    /// The keymap called `name`: a shipped one, with `<user_dir>/<name>.toml` over it
    /// key by key when there is one; a user file with a new name goes over the default.
    pub fn load(name: &str, user_dir: &Path) -> Result<Self, ConfigError> {
        let shipped = BUILTIN.iter().find(|(n, _)| *n == name);
        let user = user_dir.join(format!("{name}.toml"));
        let user = (name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && user.is_file())
        .then_some(user);
        let base = match (shipped, &user) {
            (Some((n, text)), _) => {
                Self::parse(text, &Path::new("keymaps").join(format!("{n}.toml")))?
            }
            (None, Some(_)) => Self::default_keymap()?,
            (None, None) => {
                return Err(ConfigError::Unknown(format!(
                    "no keymap {name:?}: shipped are {}; yours go in {}",
                    BUILTIN.map(|(n, _)| n).join(", "),
                    user_dir.display()
                )));
            }
        };
        let base = Keymap {
            name: name.to_string(),
            ..base
        };
        match user {
            None => Ok(base),
            Some(path) => {
                let text = pilothouse_core::config::read_bounded(&path)?;
                base.overridden_by(&text, &path)
            }
        }
    }

    /// Parses a whole keymap; errors name the file, line and key.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Keymap {
            name,
            ..Keymap::default()
        }
        .overridden_by(text, path)
    }

    /// This keymap with the file's bindings over it, key by key (`"none"` unbinds).
    pub fn overridden_by(mut self, text: &str, path: &Path) -> Result<Self, ConfigError> {
        let file: KeymapFile = from_toml(text, path)?;
        let invalid = |offset: usize, key: String, message: String| {
            let (line, column) = pilothouse_core::config::line_col(text, offset);
            ConfigError::Invalid(Box::new(pilothouse_core::config::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                key,
                message,
            }))
        };
        for (section, entries) in &file {
            let Some(mode) = Mode::ALL.into_iter().find(|m| m.section() == section) else {
                return Err(invalid(
                    text.find(&format!("[{section}]"))
                        .unwrap_or(entries.span().start),
                    section.clone(),
                    format!(
                        "unknown section [{section}]; the sections are {}",
                        Mode::ALL.map(|m| format!("[{}]", m.section())).join(", ")
                    ),
                ));
            };
            // The file's keys come first (hints and help show the first key of an
            // action), then the base's keys the file left alone.
            let base = self.bindings.remove(&mode).unwrap_or_default();
            let mut keys: IndexMap<Key, Action> = IndexMap::new();
            let mut unbound = Vec::new();
            // Which spelling bound each key in this file, to name both in a conflict.
            let mut seen: HashMap<Key, (&str, usize)> = HashMap::new();
            for (raw, value) in entries.get_ref() {
                let value_at = value.span().start;
                let at = key_offset(text, value_at, raw);
                let name = format!("{section}.{raw}");
                let key = Key::parse(raw).map_err(|m| invalid(at, name.clone(), m))?;
                let (line, _) = pilothouse_core::config::line_col(text, at);
                if let Some((other, other_line)) = seen.insert(key, (raw, line)) {
                    return Err(invalid(
                        at,
                        name,
                        format!(
                            "conflicts with {other:?} on line {other_line}: both are the key {key}"
                        ),
                    ));
                }
                let action = match check_binding(mode, raw, &key, value.get_ref()) {
                    Ok(Some(action)) => action,
                    Ok(None) => {
                        unbound.push(key);
                        continue;
                    }
                    Err((on_value, m)) => {
                        return Err(invalid(if on_value { value_at } else { at }, name, m));
                    }
                };
                keys.insert(key, action);
            }
            for (key, action) in base {
                if !keys.contains_key(&key) && !unbound.contains(&key) {
                    keys.insert(key, action);
                }
            }
            self.bindings.insert(mode, keys);
        }
        if let Some((mode, message)) = self.without_way_out() {
            return Err(invalid(
                text.find(&format!("[{}]", mode.section())).unwrap_or(0),
                mode.section().to_string(),
                message,
            ));
        }
        Ok(self)
    }

    /// A mode left with no key to leave it, and what to say.
    fn without_way_out(&self) -> Option<(Mode, String)> {
        Mode::ALL.into_iter().find_map(|mode| {
            let out = mode.way_out();
            let kept = self
                .bindings
                .get(&mode)
                .is_some_and(|b| b.values().any(|a| out.contains(a)));
            (!kept).then(|| {
                let names: Vec<String> = out
                    .iter()
                    .map(|a| format!("`{}`", action_name(*a)))
                    .collect();
                let message = format!(
                    "[{}] has no key left for {}: there would be no way out of {}",
                    mode.section(),
                    names.join(" or "),
                    mode.describe()
                );
                (mode, message)
            })
        })
    }

    /// The action a key press means in a mode, if any.
    pub fn resolve(&self, mode: Mode, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        self.bindings.get(&mode)?.get(&Key::from_event(ev)).copied()
    }

    /// Every binding of a mode, in file order.
    pub fn bindings(&self, mode: Mode) -> impl Iterator<Item = (&Key, &Action)> {
        self.bindings.get(&mode).into_iter().flat_map(|b| b.iter())
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

/// What binding `raw` (read as `key`) to `value` in `mode` means: the action, None to
/// unbind, or why not (true when the value, not the key, is at fault).
fn check_binding(
    mode: Mode,
    raw: &str,
    key: &Key,
    value: &str,
) -> Result<Option<Action>, (bool, String)> {
    let section = mode.section();
    if mode.takes_text() && matches!(key.code, KeyCode::Char(_)) && key.modifiers.is_empty() {
        return Err((
            false,
            format!(
                "[{section}] types printable keys into its box; bind {raw:?} with ctrl- or alt-, or use a named key"
            ),
        ));
    }
    if value == UNBIND {
        return Ok(None);
    }
    let action = parse_action(value).map_err(|m| (true, m))?;
    if !mode.actions().contains(&action) {
        return Err((
            true,
            format!(
                "`{value}` means nothing in [{section}] ({}); it can be bound in {}",
                mode.describe(),
                sections_of(action)
            ),
        ));
    }
    if action.changes_state() && bare_ctrl(key) {
        return Err((
            false,
            format!(
                "`{value}` changes a host and may not sit on a bare ctrl chord (tmux, screen and shells take those); use a letter or alt-"
            ),
        ));
    }
    Ok(Some(action))
}

/// Where the key `raw` is written on the line of its value (else the value itself).
fn key_offset(text: &str, value_at: usize, raw: &str) -> usize {
    let before = text.get(..value_at).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = pilothouse_core::text::after(before, line_start);
    match line.find(&format!("\"{raw}\"")) {
        Some(i) => line_start + i,
        None => line.find(raw).map_or(value_at, |i| line_start + i),
    }
}

/// An action by its keymap name (`next-env`).
fn parse_action(name: &str) -> Result<Action, String> {
    use serde::de::IntoDeserializer;
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        name.into_deserializer();
    Action::deserialize(de).map_err(|_| {
        let close =
            pilothouse_core::config::closest(name, ALL_ACTIONS.iter().map(|a| action_name(*a)));
        match close {
            Some(c) => format!("unknown action {name:?}; did you mean `{c}`?"),
            None => format!("unknown action {name:?} (\"none\" unbinds the key)"),
        }
    })
}

/// Every action (each mode's list, once).
static ALL_ACTIONS: std::sync::LazyLock<Vec<Action>> = std::sync::LazyLock::new(|| {
    let mut all = Vec::new();
    for m in Mode::ALL {
        for a in m.actions() {
            if !all.contains(a) {
                all.push(*a);
            }
        }
    }
    all
});

/// An action's name in keymap files.
pub fn action_name(action: Action) -> String {
    let debug = format!("{action:?}");
    if action == Action::PgAdmin {
        return "pgadmin".into();
    }
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The sections an action can be bound in, for an error.
fn sections_of(action: Action) -> String {
    Mode::ALL
        .into_iter()
        .filter(|m| m.actions().contains(&action))
        .map(|m| format!("[{}]", m.section()))
        .collect::<Vec<_>>()
        .join(", ")
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
            Some(Action::Actions)
        );
        assert_eq!(
            k.resolve(Mode::Normal, &press(KeyCode::Char('y'), KeyModifiers::NONE)),
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

    fn error(text: &str) -> String {
        Keymap::default_keymap()
            .and_then(|k| k.overridden_by(text, Path::new("mine.toml")))
            .map(|_| ())
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default()
    }

    #[test]
    fn every_shipped_keymap_parses_and_keeps_a_way_out_of_every_mode() {
        for (name, text) in BUILTIN {
            let path = Path::new("keymaps").join(format!("{name}.toml"));
            let k = Keymap::parse(text, &path).unwrap_or_else(|e| panic!("{e}"));
            for mode in Mode::ALL {
                assert!(
                    mode.way_out()
                        .iter()
                        .any(|a| !k.keys_for(mode, *a).is_empty()),
                    "{name}: no way out of {mode:?}"
                );
                assert!(
                    !k.keys_for(mode, Action::Quit).is_empty() || mode == Mode::ConfirmTyped,
                    "{name}: {mode:?} cannot quit"
                );
            }
        }
        // Every file in keymaps/ is one of the shipped ones.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("keymaps");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        assert_eq!(files, ["default.toml", "vim.toml"]);
    }

    #[test]
    fn a_user_file_overrides_key_by_key_and_none_unbinds() {
        let k = Keymap::default_keymap()
            .and_then(|k| {
                k.overridden_by(
                    "[normal]\n\"x\" = \"stop\"\n\"X\" = \"none\"\n",
                    Path::new("mine.toml"),
                )
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let x = press(KeyCode::Char('x'), KeyModifiers::NONE);
        let shift_x = press(KeyCode::Char('X'), KeyModifiers::SHIFT);
        assert_eq!(k.resolve(Mode::Normal, &x), Some(Action::Stop));
        assert_eq!(k.resolve(Mode::Normal, &shift_x), None);
        // The rest is the default's.
        assert_eq!(
            k.resolve(
                Mode::Normal,
                &press(KeyCode::Char('R'), KeyModifiers::SHIFT)
            ),
            Some(Action::Restart)
        );
    }

    #[test]
    fn broken_bindings_are_errors_naming_file_line_and_key() {
        let e = error("[normal]\n\"backtab\" = \"quit\"\n\"shift-tab\" = \"next-env\"\n");
        assert!(
            e.starts_with(
                "mine.toml:3:1: key `normal.shift-tab`: conflicts with \"backtab\" on line 2"
            ),
            "{e}"
        );
        let e = error("[filter]\n\"a\" = \"filter-done\"\n");
        assert!(e.starts_with("mine.toml:2:1: key `filter.a`"), "{e}");
        assert!(e.contains("types printable keys"), "{e}");
        let e = error("[normal]\n\"ctrl-r\" = \"restart\"\n");
        assert!(e.starts_with("mine.toml:2:1: key `normal.ctrl-r`"), "{e}");
        assert!(e.contains("bare ctrl chord"), "{e}");
        // alt- is fine, and so is a ctrl chord for something that changes nothing.
        assert_eq!(
            error("[normal]\n\"alt-r\" = \"restart\"\n\"ctrl-n\" = \"down\"\n"),
            ""
        );
        // A confirmation key in the typed confirmation would skip typing the name.
        let e = error("[confirm-typed]\n\"ctrl-y\" = \"confirm\"\n");
        assert!(
            e.starts_with("mine.toml:2:12: key `confirm-typed.ctrl-y`"),
            "{e}"
        );
        assert!(
            e.contains("`confirm` means nothing in [confirm-typed]"),
            "{e}"
        );
        assert!(e.contains("it can be bound in [confirm]"), "{e}");
        let e = error("[normal]\n\"q\" = \"restrat\"\n");
        assert!(e.contains("did you mean `restart`?"), "{e}");
        let e = error("[normall]\n\"q\" = \"quit\"\n");
        assert!(
            e.starts_with("mine.toml:1:1: key `normall`: unknown section"),
            "{e}"
        );
        let e = error("[confirm]\n\"n\" = \"none\"\n\"esc\" = \"none\"\n");
        assert!(
            e.contains("[confirm] has no key left for `cancel-action`"),
            "{e}"
        );
    }

    #[test]
    fn a_user_keymap_goes_over_the_shipped_one_of_its_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
        };
        write("vim.toml", "[normal]\n\"Z\" = \"quit\"\n");
        write("mine.toml", "[normal]\n\"Z\" = \"help\"\n");
        let z = press(KeyCode::Char('Z'), KeyModifiers::SHIFT);
        let j = press(KeyCode::Char('l'), KeyModifiers::NONE);
        let vim = Keymap::load("vim", dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(vim.resolve(Mode::Normal, &z), Some(Action::Quit));
        assert_eq!(vim.resolve(Mode::Normal, &j), Some(Action::NextEnv));
        let mine = Keymap::load("mine", dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mine.resolve(Mode::Normal, &z), Some(Action::Help));
        assert_eq!(mine.resolve(Mode::Normal, &j), Some(Action::Logs));
        assert_eq!(mine.name, "mine");
        let e = Keymap::load("emacs", dir.path())
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(
            e.err()
                .unwrap_or_default()
                .contains("no keymap \"emacs\": shipped are default, vim"),
        );
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

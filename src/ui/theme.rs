//! Colours, loaded from `themes/*.toml`; the default theme is embedded.

use std::path::Path;

use ratatui::style::Color;
use serde::{Deserialize, Deserializer};

use pilothouse_core::config::{ConfigError, from_toml};

/// The theme shipped with pilothouse.
pub const DEFAULT_THEME: &str = include_str!("../../themes/default.toml");

/// Every theme shipped with pilothouse, by name: the file in `themes/`, embedded.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", DEFAULT_THEME),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("gruvbox", include_str!("../../themes/gruvbox.toml")),
];

/// A colour as written in a theme file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThemeColor(pub Color);

impl<'de> Deserialize<'de> for ThemeColor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        pilothouse_core::config::Colour::deserialize(d).map(ThemeColor::from)
    }
}

impl From<pilothouse_core::config::Colour> for ThemeColor {
    fn from(c: pilothouse_core::config::Colour) -> Self {
        use pilothouse_core::config::Colour;
        ThemeColor(match c {
            Colour::Reset => Color::Reset,
            Colour::Named(i) => NAMED.get(usize::from(i)).copied().unwrap_or(Color::Reset),
            Colour::Rgb(r, g, b) => Color::Rgb(r, g, b),
            Colour::Indexed(i) => Color::Indexed(i),
        })
    }
}

/// The terminal's 16 colours, in [`pilothouse_core::config::Colour::Named`]'s order.
const NAMED: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

/// The colours every part of the screen draws with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub text: ThemeColor,
    pub muted: ThemeColor,
    pub accent: ThemeColor,
    pub ok: ThemeColor,
    pub warning: ThemeColor,
    pub error: ThemeColor,
    pub protected: ThemeColor,
    pub protected_text: ThemeColor,
    pub tab_active: ThemeColor,
    pub tab_active_bg: ThemeColor,
    pub status_bar: ThemeColor,
    pub status_bar_bg: ThemeColor,
    /// Search matches in the log pane.
    pub search_match: ThemeColor,
    pub search_match_bg: ThemeColor,
    /// Service names in merged logs take these colours (each service always the same).
    pub services: Vec<ThemeColor>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub name: String,
    pub colors: Colors,
    /// Environments' own colours, from the config (`accent`), by environment name.
    #[serde(skip)]
    pub env_accents: Vec<(String, ThemeColor)>,
}

impl Theme {
    pub fn default_theme() -> Result<Self, ConfigError> {
        Self::parse(DEFAULT_THEME, Path::new("themes/default.toml"))
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        from_toml(text, path)
    }

    /// The theme called `name`: `<user_dir>/<name>.toml` when there is one (a user's
    /// theme overrides a shipped one of the same name), else the shipped one.
    pub fn load(name: &str, user_dir: &Path) -> Result<Self, ConfigError> {
        let user = user_dir.join(format!("{name}.toml"));
        if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && user.is_file()
        {
            let text = pilothouse_core::config::read_bounded(&user)?;
            return Self::parse(&text, &user);
        }
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => Self::parse(text, &Path::new("themes").join(format!("{n}.toml"))),
            None => Err(ConfigError::Unknown(format!(
                "no theme {name:?}: shipped are {}; yours go in {}",
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
                user_dir.display()
            ))),
        }
    }

    /// For `NO_COLOR`: every colour the terminal's own. Meaning stays in the words
    /// and symbols (✓ ✗ ~ ! UNKNOWN...), emphasis in bold and reverse video.
    pub fn without_colour(self) -> Self {
        self.map_colours(|_| Color::Reset)
    }

    /// For terminals without true colour: each `#rrggbb` as the nearest of the 16
    /// standard colours.
    pub fn in_16_colours(self) -> Self {
        self.map_colours(nearest_16)
    }

    /// The theme with each environment's configured accent.
    pub fn with_env_accents(mut self, config: &pilothouse_core::config::Config) -> Self {
        self.env_accents = config
            .environments
            .iter()
            .filter_map(|(name, env)| env.accent.map(|a| (name.to_string(), a.into())))
            .collect();
        self
    }

    /// The colour that marks environment `name`: its configured accent, else the
    /// protected colour for a protected one, else None (the theme's ordinary colours).
    pub fn env_colour(&self, name: &str, protected: bool) -> Option<Color> {
        self.env_accents
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.0)
            .or(protected.then_some(self.colors.protected.0))
    }

    /// Every colour of the theme through `f`.
    fn map_colours(mut self, f: impl Fn(Color) -> Color) -> Self {
        let c = &mut self.colors;
        for slot in [
            &mut c.text,
            &mut c.muted,
            &mut c.accent,
            &mut c.ok,
            &mut c.warning,
            &mut c.error,
            &mut c.protected,
            &mut c.protected_text,
            &mut c.tab_active,
            &mut c.tab_active_bg,
            &mut c.status_bar,
            &mut c.status_bar_bg,
            &mut c.search_match,
            &mut c.search_match_bg,
        ]
        .into_iter()
        .chain(c.services.iter_mut())
        .chain(self.env_accents.iter_mut().map(|(_, c)| c))
        {
            slot.0 = f(slot.0);
        }
        self
    }
}

/// The nearest of the 16 standard colours to an RGB one (others unchanged).
fn nearest_16(c: Color) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    const PALETTE: [(Color, (i32, i32, i32)); 16] = [
        (Color::Black, (0, 0, 0)),
        (Color::Red, (170, 0, 0)),
        (Color::Green, (0, 170, 0)),
        (Color::Yellow, (170, 85, 0)),
        (Color::Blue, (0, 0, 170)),
        (Color::Magenta, (170, 0, 170)),
        (Color::Cyan, (0, 170, 170)),
        (Color::Gray, (170, 170, 170)),
        (Color::DarkGray, (85, 85, 85)),
        (Color::LightRed, (255, 85, 85)),
        (Color::LightGreen, (85, 255, 85)),
        (Color::LightYellow, (255, 255, 85)),
        (Color::LightBlue, (85, 85, 255)),
        (Color::LightMagenta, (255, 85, 255)),
        (Color::LightCyan, (85, 255, 255)),
        (Color::White, (255, 255, 255)),
    ];
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    PALETTE
        .iter()
        .min_by_key(|(_, (pr, pg, pb))| (r - pr).pow(2) + (g - pg).pow(2) + (b - pb).pow(2))
        .map_or(c, |(named, _)| *named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_parses() {
        let t = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.colors.protected.0, Color::Red);
    }

    #[test]
    fn every_shipped_theme_parses_and_a_user_file_overrides_by_name() {
        let none = Path::new("/nonexistent");
        for (name, _) in BUILTIN {
            let t = Theme::load(name, none).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.name, *name);
            assert!(t.colors.services.len() >= 8, "{name}");
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mine = DEFAULT_THEME.replace("name = \"default\"", "name = \"mine\"");
        std::fs::write(dir.path().join("light.toml"), mine).unwrap_or_else(|e| panic!("{e}"));
        let t = Theme::load("light", dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.name, "mine", "the user's light.toml wins");
        let e = Theme::load("neon", dir.path()).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("shipped are default, light, high-contrast, gruvbox")),
            "{e:?}"
        );
    }

    #[test]
    fn no_color_and_16_colours_keep_every_slot_drawable() {
        let t = Theme::load("gruvbox", Path::new("/nonexistent")).unwrap_or_else(|e| panic!("{e}"));
        let plain = t.clone().without_colour();
        assert_eq!(plain.colors.error.0, Color::Reset);
        assert!(plain.colors.services.iter().all(|c| c.0 == Color::Reset));
        let sixteen = t.in_16_colours();
        assert_eq!(sixteen.colors.error.0, Color::LightRed);
        assert!(
            !matches!(sixteen.colors.text.0, Color::Rgb(..)),
            "{:?}",
            sixteen.colors.text
        );
    }

    #[test]
    fn bad_colour_is_located() {
        let text = DEFAULT_THEME.replace("ok = \"green\"", "ok = \"greeen\"");
        let e = Theme::parse(&text, Path::new("t.toml"))
            .map(|_| ())
            .map_err(|e| e.to_string());
        let e = e.err().unwrap_or_default();
        assert!(
            e.contains("key `colors.ok`: unknown colour \"greeen\""),
            "{e}"
        );
    }
}

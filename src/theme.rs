//! Colours, loaded from `themes/*.toml`; the default theme is embedded.

use std::path::Path;

use ratatui::style::Color;
use serde::{Deserialize, Deserializer, de};

use crate::config::{ConfigError, from_toml};

/// The theme shipped with pilothouse.
pub const DEFAULT_THEME: &str = include_str!("../themes/default.toml");

/// A colour as written in a theme file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThemeColor(pub Color);

impl<'de> Deserialize<'de> for ThemeColor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse::<Color>().map(ThemeColor).map_err(|_| {
            de::Error::custom(format!(
                "unknown colour {raw:?}: use a name (\"red\", \"lightblue\"), \"#rrggbb\" or an index \"0\"..\"255\""
            ))
        })
    }
}

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
}

impl Theme {
    pub fn default_theme() -> Result<Self, ConfigError> {
        Self::parse(DEFAULT_THEME, Path::new("themes/default.toml"))
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        from_toml(text, path)
    }
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

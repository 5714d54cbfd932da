//! A colour as written in a config or theme file, with no terminal type: the theme
//! turns it into what the screen draws with.

use serde::{Deserialize, Deserializer, de};

/// A named colour, `#rrggbb`, or a 256-colour index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Reset,
    /// One of the 16 terminal colours, by its index (0 black … 15 white).
    Named(u8),
    Rgb(u8, u8, u8),
    Indexed(u8),
}

/// The 16 names, in the terminal's order; `gray` is the dim white (7), `darkgray` the
/// bright black (8).
const NAMES: [&str; 16] = [
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
];

impl Colour {
    /// Parses `red`, `light-blue`, `dark gray`, `grey`, `#ff8800` or `208`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let key: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .flat_map(char::to_lowercase)
            .collect::<String>()
            .replace("grey", "gray")
            .replace("bright", "light");
        if key == "reset" {
            return Ok(Colour::Reset);
        }
        if let Some(i) = NAMES.iter().position(|n| *n == key) {
            return Ok(Colour::Named(i as u8));
        }
        if let Some(hex) = key
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.is_ascii())
        {
            let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or(""), 16);
            if let (Ok(r), Ok(g), Ok(b)) = (byte(0), byte(2), byte(4)) {
                return Ok(Colour::Rgb(r, g, b));
            }
        }
        if let Ok(i) = key.parse::<u8>() {
            return Ok(Colour::Indexed(i));
        }
        Err(format!(
            "unknown colour {raw:?}: use a name (\"red\", \"lightblue\"), \"#rrggbb\" or an index \"0\"..\"255\""
        ))
    }
}

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Colour::parse(&raw).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hex_and_indexes_parse_and_nonsense_does_not() {
        assert_eq!(Colour::parse("Light-Blue"), Ok(Colour::Named(12)));
        assert_eq!(Colour::parse("dark grey"), Ok(Colour::Named(8)));
        assert_eq!(Colour::parse("#ff8800"), Ok(Colour::Rgb(255, 136, 0)));
        assert_eq!(Colour::parse("208"), Ok(Colour::Indexed(208)));
        assert_eq!(Colour::parse("reset"), Ok(Colour::Reset));
        for bad in ["#ff88", "#gg0000", "256", "purple", "#ffé000", ""] {
            assert!(Colour::parse(bad).is_err(), "{bad}");
        }
    }
}

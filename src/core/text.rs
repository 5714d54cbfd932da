//! Leaf helpers for text from hosts and configs: making it safe to draw (`clean`) and
//! masking credentials before anything is formatted, shown or written. No I/O, no
//! other module of the crate.

/// `s[..i]`, or all of `s` when `i` is past its end or not on a character boundary
/// (never a panic).
pub fn before(s: &str, i: usize) -> &str {
    s.get(..i).unwrap_or(s)
}

/// `s[i..]`, or "" when `i` is past its end or not on a character boundary.
pub fn after(s: &str, i: usize) -> &str {
    s.get(i..).unwrap_or("")
}

/// `s[a..b]`, or "" when the range does not fall on character boundaries inside `s`.
pub fn between(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

/// Masks the password of every `user:password@` in `text`, with or without a
/// `scheme://` in front (`postgresql://acme:S3cr3t@db/acme`, `deploy:S3cr3t@host`):
/// what lies between the userinfo's first `:` and its last `@` becomes `****`. A word
/// is delimited by whitespace, quotes, backticks, brackets, `,` and `;`; within it the
/// userinfo starts after `://` when there is one, and ends at the first `/` after that.
pub fn mask_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if is_delimiter(c) {
            out.push_str(&mask_word(&word));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&mask_word(&word));
    out
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | ',' | ';'
        )
}

fn mask_word(word: &str) -> String {
    let start = word.find("://").map_or(0, |i| i + 3);
    let rest = after(word, start);
    // The authority: up to the first '/' after the scheme (a bare `user:pw@host` word
    // has none; a path may hold '@' of its own, which is not userinfo).
    let end = if start > 0 {
        rest.find('/').unwrap_or(rest.len())
    } else {
        rest.len()
    };
    let authority = before(rest, end);
    let (Some(at), Some(colon)) = (authority.rfind('@'), authority.find(':')) else {
        return word.to_string();
    };
    if colon >= at {
        return word.to_string();
    }
    format!(
        "{}{}:****{}",
        before(word, start),
        before(authority, colon),
        after(word, start + at)
    )
}

/// Makes text from the host safe to draw: control characters (escape sequences, C1
/// controls, bell, ...) and bidi overrides become U+FFFD so nothing reaches the
/// terminal or reorders it, line breaks and
/// tabs become spaces, and it is cut to `max` characters.
pub fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        out.push(match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            // Bidi overrides and isolates would reorder what is drawn after them.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
            c => c,
        });
    }
    out
}

/// Text for an error message on stderr: control characters and bidi overrides are written
/// as Rust escapes (`\u{1b}`), everything else stays as it is, so a hostile name can be
/// read in the message but never drives the terminal.
pub fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_writes_controls_and_bidi_as_escapes() {
        assert_eq!(
            escaped("a\u{1b}[31mb\u{202e}c é"),
            "a\\u{1b}[31mb\\u{202e}c é"
        );
    }

    #[test]
    fn url_and_bare_userinfo_passwords_are_masked() {
        assert_eq!(
            mask_credentials("DATABASE_URL=postgresql://acme:S3cr3t@db:5432/acme ok"),
            "DATABASE_URL=postgresql://acme:****@db:5432/acme ok"
        );
        assert_eq!(
            mask_credentials("\"redis://:p@ss@h\" and http://h:80/x"),
            "\"redis://:****@h\" and http://h:80/x"
        );
        assert_eq!(
            mask_credentials("unknown variant `postgresql://user:PASSWORD@host/db`, expected"),
            "unknown variant `postgresql://user:****@host/db`, expected"
        );
        assert_eq!(
            mask_credentials("invalid ssh destination \"user:PASSWORD@host\": a host"),
            "invalid ssh destination \"user:****@host\": a host"
        );
        assert_eq!(mask_credentials("mysql://u:pw@h"), "mysql://u:****@h");
        assert_eq!(
            mask_credentials("no urls, a@b, 10:30"),
            "no urls, a@b, 10:30"
        );
        assert_eq!(
            mask_credentials("http://h/path/a:b@c"),
            "http://h/path/a:b@c",
            "an '@' in a path is not userinfo"
        );
    }
}

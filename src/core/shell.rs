//! Leaf: command lines for a POSIX shell on the host. Every word that reaches a remote
//! shell is quoted here; plans (`ops`) and the engine (`backend`) build their command
//! lines from these, never by hand.

/// `s` as one word for a POSIX shell: wrapped in single quotes, each `'` written `'\''`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Each word quoted, joined by spaces.
pub fn quote_all<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `COMPOSE -p NAME -f F1 [-f F2 ...]`: the compose command for a project, every word
/// quoted, for use in the project directory.
pub fn compose_words<S: AsRef<str>>(command: &[S], project: &str, files: &[&str]) -> String {
    let mut s = quote_all(command);
    s.push_str(&format!(" -p {}", quote(project)));
    for f in files {
        s.push_str(&format!(" -f {}", quote(f)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_joined() {
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote_all(&["a b", "c"]), "'a b' 'c'");
        assert_eq!(
            compose_words(&["docker", "compose"], "acme", &["a.yml", "b.yml"]),
            "'docker' 'compose' -p 'acme' -f 'a.yml' -f 'b.yml'"
        );
    }
}

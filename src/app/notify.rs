//! Sends a notice (see [`crate::state::notify`]): the terminal's bell, a desktop
//! notification through the terminal (OSC 9, understood by iTerm2, Windows Terminal,
//! kitty, foot…, and OSC 777, by VTE terminals and urxvt; a terminal without either
//! ignores them), and the webhook, posted from this machine without waiting for it.
//! Inside tmux the OSCs are wrapped for its passthrough (tmux's `allow-passthrough`
//! must be on for them to reach the terminal; the bell tmux passes itself).

use std::io::Write;

use crate::state::notify::Notice;

/// The bytes written to the terminal for `notice` (its text is one clean line already).
pub fn terminal_bytes(notice: &Notice, in_tmux: bool) -> String {
    let mut out = String::new();
    if notice.bell {
        out.push('\u{7}');
    }
    if notice.desktop {
        // Terminated by ST, not BEL: a BEL in the stream is the bell and nothing else.
        let osc9 = format!("\u{1b}]9;pilothouse: {}\u{1b}\\", notice.text);
        let osc777 = format!(
            "\u{1b}]777;notify;pilothouse {};{}\u{1b}\\",
            notice.env.replace(';', ","),
            notice.text.replace(';', ",")
        );
        for seq in [osc9, osc777] {
            if in_tmux {
                out.push_str(&tmux_passthrough(&seq));
            } else {
                out.push_str(&seq);
            }
        }
    }
    out
}

/// tmux's passthrough: `ESC P tmux;` + the sequence with each ESC doubled + `ESC \`.
fn tmux_passthrough(seq: &str) -> String {
    format!(
        "\u{1b}Ptmux;{}\u{1b}\\",
        seq.replace('\u{1b}', "\u{1b}\u{1b}")
    )
}

/// Tells `notice` on every channel it has.
pub fn tell(notice: &Notice, in_tmux: bool) {
    if let Some(why) = &notice.held {
        log::info!("notice held for {} ({}): {why}", notice.key, notice.text);
        return;
    }
    log::info!("notice told for {}: {}", notice.key, notice.text);
    let bytes = terminal_bytes(notice, in_tmux);
    if !bytes.is_empty() {
        let mut out = std::io::stdout();
        let _ = out.write_all(bytes.as_bytes());
        let _ = out.flush();
    }
    if let Some((url, body)) = notice.webhook.clone() {
        let key = notice.key.clone();
        tokio::spawn(async move {
            let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if let Err(e) = pilothouse_backend::notify(&url, &body).await {
                log::warn!("the alert webhook was not told of {key}: {e}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(bell: bool, desktop: bool) -> Notice {
        Notice {
            env: "staging".into(),
            key: "health:web".into(),
            text: "staging: web: unhealthy; 3 failed".into(),
            bell,
            desktop,
            webhook: None,
            held: None,
        }
    }

    #[test]
    fn the_bell_is_one_bel_and_the_desktop_notices_end_with_st() {
        assert_eq!(terminal_bytes(&notice(true, false), false), "\u{7}");
        let both = terminal_bytes(&notice(true, true), false);
        assert_eq!(both.matches('\u{7}').count(), 1);
        assert!(both.contains("\u{1b}]9;pilothouse: staging: web: unhealthy; 3 failed\u{1b}\\"));
        assert!(both.contains(
            "\u{1b}]777;notify;pilothouse staging;staging: web: unhealthy, 3 failed\u{1b}\\"
        ));
        assert_eq!(terminal_bytes(&notice(false, false), false), "");
    }

    #[test]
    fn inside_tmux_the_osc_goes_through_its_passthrough() {
        let wrapped = terminal_bytes(&notice(false, true), true);
        assert!(wrapped.starts_with("\u{1b}Ptmux;\u{1b}\u{1b}]9;pilothouse: "));
        assert!(wrapped.contains("\u{1b}\u{1b}\\\u{1b}\\"));
        assert!(!wrapped.contains('\u{7}'));
    }
}

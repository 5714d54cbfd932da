//! Small text helpers shared by the panes.

/// `HH:MM:SSZ` of a Unix time (UTC, so it reads the same for everyone on an incident).
pub fn clock(unix: i64) -> String {
    let t = unix.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}Z", t / 3600, t % 3600 / 60, t % 60)
}

/// A point in time for humans: `HH:MM:SSZ` when it is on the same UTC day as `now`,
/// else `YYYY-MM-DD HH:MMZ`.
pub fn stamp(unix: i64, now: i64) -> String {
    if unix.div_euclid(86_400) == now.div_euclid(86_400) {
        return clock(unix);
    }
    let (y, m, d) = pilothouse_core::time::civil(unix.div_euclid(86_400));
    let t = unix.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}Z", t / 3600, t % 3600 / 60)
}

/// Host text as the screen may show it: masked, and nothing a terminal would act on.
pub fn host_text(s: &str) -> String {
    pilothouse_core::text::clean(&pilothouse_core::mask::string(s), 400)
}

/// Who holds the host's lock and for how long: `LOCKED by ops@laptop (deploy) · for 3m`,
/// or a maintenance lock's own words.
pub fn lock_text(h: &crate::state::action_queue::LockHolder, now: i64) -> String {
    let locked = if h.maintenance.is_some() {
        ""
    } else {
        "LOCKED by "
    };
    let since = h
        .since
        .map(|s| format!(" · for {}", pilothouse_core::time::age(now - s)))
        .unwrap_or_default();
    format!("{locked}{}{since}", h.describe())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilothouse_core::time::age;

    #[test]
    fn ages() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(59), "59s");
        assert_eq!(age(60), "1m");
        assert_eq!(age(7200), "2h");
        assert_eq!(age(200_000), "2d");
        assert_eq!(clock(1_795_308_321), "00:45:21Z");
        assert_eq!(stamp(1_795_308_321, 1_795_308_321 + 60), "00:45:21Z");
        assert_eq!(
            stamp(1_795_308_321, 1_795_308_321 + 86_400),
            "2026-11-22 00:45Z"
        );
        assert_eq!(stamp(0, 1_795_308_321), "1970-01-01 00:00Z");
    }
}

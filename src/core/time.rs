//! Calendar arithmetic for the UTC dates and times the console shows and writes
//! (Howard Hinnant's algorithms), so that no time crate is needed.

/// Year, month, day of a count of days since 1970-01-01.
pub fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix nanoseconds from an RFC 3339 timestamp as Docker writes them
/// (`2026-11-22T10:00:00.123456789Z`, or with a `+01:00` offset).
pub fn rfc3339_nanos(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d, h, mi, sec) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut rest = s.get(19..)?;
    let mut nanos = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let mut n: i64 = frac.get(..digits.min(9))?.parse().unwrap_or(0);
        for _ in digits.min(9)..9 {
            n *= 10;
        }
        nanos = n;
        rest = frac.get(digits..)?;
    }
    let offset = match rest {
        "Z" => 0,
        r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (r.get(1..3)?.parse::<i64>().ok()? * 3600
                + r.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Wall-clock Unix seconds (0 before 1970, never a panic).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Wall-clock Unix nanoseconds (0 before 1970, never a panic).
pub fn unix_now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A short age: `45s`, `12m`, `3h`, `2d`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Seconds written exactly, in the largest unit that divides them (`86400` → `1d`,
/// `5400` → `90m`).
pub fn exact_age(secs: u64) -> String {
    match secs {
        0 => "0s".into(),
        s if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        s if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        s if s.is_multiple_of(60) => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `unix` seconds as `YYYY-MM-DD` and `HH:MM:SS` in UTC.
fn date_and_time(unix: i64) -> (String, String) {
    let (y, m, d) = civil(unix.div_euclid(86_400));
    let t = unix.rem_euclid(86_400);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", t / 3600, t % 3600 / 60, t % 60),
    )
}

/// `unix` seconds as `YYYY-MM-DD HH:MM:SSZ`.
pub fn utc(unix: i64) -> String {
    let (date, time) = date_and_time(unix);
    format!("{date} {time}Z")
}

/// Unix nanoseconds as RFC 3339 in UTC, to the millisecond (`2026-12-07T04:53:00.123Z`).
pub fn rfc3339_utc(ns: i64) -> String {
    let (date, time) = date_and_time(ns.div_euclid(1_000_000_000));
    let millis = ns.rem_euclid(1_000_000_000) / 1_000_000;
    format!("{date}T{time}.{millis:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_where_digits_belong_is_no_time_and_no_panic() {
        for s in [
            "2026-11-22T10:00:00+0é00",
            "2026-11-22T10:00:00é",
            "2026-11-22T10:00:00.12é4Z",
            "2026-11-2éT10:00:00Z",
            "é",
            "",
        ] {
            assert_eq!(rfc3339_nanos(s), None, "{s}");
        }
        assert_eq!(
            rfc3339_nanos("2026-11-22T10:00:00+01:00"),
            rfc3339_nanos("2026-11-22T09:00:00Z")
        );
    }

    #[test]
    fn round_trips() {
        for days in [-1, 0, 59, 60, 365, 11_016, 20_414] {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil(20_414), (2025, 11, 22));
    }
}

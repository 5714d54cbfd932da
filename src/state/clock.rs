//! Times in the operator's zone, with its offset: the timeline's on the screen and on
//! the command line. The host's clock gives the instant; the zone only writes it.

use jiff::tz::TimeZone;

fn zoned(ns: i64, zone: &TimeZone) -> Option<jiff::Zoned> {
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .ok()
        .map(|t| t.to_zoned(zone.clone()))
}

/// `05:53:00 +01:00`, with the date in front when it is not the day of `now_ns`.
pub fn local_time(ns: i64, now_ns: i64, zone: &TimeZone) -> String {
    match (zoned(ns, zone), zoned(now_ns, zone)) {
        (Some(t), Some(now)) if t.date() == now.date() => t.strftime("%H:%M:%S %:z").to_string(),
        (Some(t), _) => t.strftime("%Y-%m-%d %H:%M:%S %:z").to_string(),
        (None, _) => pilothouse_core::time::rfc3339_utc(ns),
    }
}

/// `2026-12-07 05:53:00.123 +01:00`: the date always, and milliseconds.
pub fn full_local_time(ns: i64, zone: &TimeZone) -> String {
    zoned(ns, zone).map_or_else(
        || pilothouse_core::time::rfc3339_utc(ns),
        |t| t.strftime("%Y-%m-%d %H:%M:%S%.3f %:z").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_in_the_zone_with_the_offset_and_the_date_when_not_today() {
        let zone = TimeZone::fixed(jiff::tz::offset(1));
        let ns = |s: i64| s * 1_000_000_000;
        let day = 86_400;
        assert_eq!(local_time(ns(3_600), ns(7_200), &zone), "02:00:00 +01:00");
        assert_eq!(
            local_time(ns(3_600), ns(2 * day), &zone),
            "1970-01-01 02:00:00 +01:00"
        );
        assert_eq!(
            full_local_time(ns(3_600) + 5_000_000, &zone),
            "1970-01-01 02:00:00.005 +01:00"
        );
    }
}

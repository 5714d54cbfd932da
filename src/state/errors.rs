//! Each service's error-level log lines, counted in 10 s buckets over the last 16
//! minutes, to tell a burst: a service writing errors well above its own recent rate.
//! The lines themselves are not kept here (the log pane has those it follows).

use std::collections::BTreeMap;

/// One bucket's length, in seconds.
const BUCKET_SECS: i64 = 10;
/// What "now" is compared with: the last minute.
const RECENT_SECS: i64 = 60;
/// The service's own recent rate: the 15 minutes before the last one.
const USUAL_SECS: i64 = 15 * 60;
/// A burst starts at this many error lines in a minute at least ...
const BURST_MIN: u32 = 10;
/// ... and this many times the service's usual rate per minute.
const BURST_FACTOR: f64 = 5.0;
/// With less than this of the service's past counted (a container just started, its
/// log cut short), its usual rate is a guess: a burst then needs [`BURST_MIN_UNSURE`].
const SURE_SECS: i64 = 4 * 60;
const BURST_MIN_UNSURE: u32 = 50;
/// A burst lasts while the last minute has at least half of what started one.
const LASTS_FRACTION: f64 = 0.5;

/// A burst as found now.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    pub service: String,
    /// Error lines in the last minute.
    pub recent: u32,
    /// Error lines per minute before it, when enough of its past was counted.
    pub usual: Option<f64>,
}

impl Burst {
    /// `gateway: 42 error lines in the last minute (usually 0.5/min)`.
    pub fn text(&self) -> String {
        let usual = match self.usual {
            Some(u) => format!("usually {}/min", rate(u)),
            None => "its usual rate not known yet".to_string(),
        };
        format!(
            "{}: {} error lines in the last minute ({usual})",
            self.service, self.recent
        )
    }
}

fn rate(per_min: f64) -> String {
    if per_min >= 10.0 || per_min == 0.0 {
        format!("{per_min:.0}")
    } else {
        format!("{per_min:.1}")
    }
}

/// One service's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counts {
    /// Error lines per bucket (its start, Unix seconds of this machine's clock).
    buckets: BTreeMap<i64, u32>,
    /// Since when its lines are counted: the oldest line its streams delivered.
    from: Option<i64>,
}

/// The counts of one environment's services.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorRates {
    services: BTreeMap<String, Counts>,
}

impl ErrorRates {
    /// A batch of `service`'s lines arrived at `now`: its error lines per bucket and
    /// its oldest line's time (all in Unix seconds of this machine's clock).
    pub fn record(&mut self, service: &str, errors: &[(i64, u32)], oldest: i64, now: i64) {
        let c = self.services.entry(service.to_string()).or_default();
        c.from = Some(c.from.map_or(oldest, |f| f.min(oldest)));
        for &(at, n) in errors {
            let bucket = at.div_euclid(BUCKET_SECS) * BUCKET_SECS;
            let e = c.buckets.entry(bucket).or_default();
            *e = e.saturating_add(n);
        }
        let oldest_kept = now - RECENT_SECS - USUAL_SECS - BUCKET_SECS;
        for c in self.services.values_mut() {
            c.buckets = c.buckets.split_off(&oldest_kept);
        }
    }

    /// Error lines of `service` in the last minute, and its usual rate per minute when
    /// enough of its past was counted.
    fn rates(c: &Counts, now: i64) -> (u32, Option<f64>) {
        let recent_from = now - RECENT_SECS;
        let usual_from = recent_from - USUAL_SECS;
        let mut recent = 0u32;
        let mut before = 0u64;
        for (&b, &n) in &c.buckets {
            if b + BUCKET_SECS > recent_from {
                recent = recent.saturating_add(n);
            } else if b >= usual_from {
                before += u64::from(n);
            }
        }
        // Over what was counted of those 15 minutes.
        let watched = c
            .from
            .map_or(0, |f| (recent_from - f.max(usual_from)).max(0));
        let usual = (watched >= SURE_SECS).then(|| before as f64 * 60.0 / watched as f64);
        (recent, usual)
    }

    /// The services in a burst now. `was`: whether a service was in one already (it
    /// lasts at a lower rate than it takes to start one, so it does not flap).
    pub fn bursts(&self, now: i64, was: impl Fn(&str) -> bool) -> Vec<Burst> {
        self.services
            .iter()
            .filter_map(|(service, c)| {
                let (recent, usual) = Self::rates(c, now);
                let starts = match usual {
                    Some(u) => f64::from(BURST_MIN).max(BURST_FACTOR * u),
                    None => f64::from(BURST_MIN_UNSURE),
                };
                let needed = if was(service) {
                    starts * LASTS_FRACTION
                } else {
                    starts
                };
                (recent > 0 && f64::from(recent) >= needed).then(|| Burst {
                    service: service.clone(),
                    recent,
                    usual,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000;

    #[test]
    fn a_quiet_service_bursting_is_found_and_its_end_too() {
        let mut r = ErrorRates::default();
        // Its history (the first batch): one error a minute for the ten minutes before.
        let history: Vec<(i64, u32)> = (0..10).map(|m| (T0 + m * 60, 1)).collect();
        r.record("api", &history, T0, T0 + 600);
        assert!(r.bursts(T0 + 600, |_| false).is_empty());
        // Then 30 in twenty seconds.
        let t = T0 + 10 * 60;
        r.record("api", &[(t, 20)], t, t);
        r.record("api", &[(t + 20, 10)], t + 20, t + 20);
        let b = r.bursts(t + 20, |_| false);
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!(b[0].recent, 30);
        let usual = b[0].usual.unwrap_or_else(|| panic!("{b:?}"));
        assert!((usual - 1.0).abs() < 0.2, "{b:?}");
        assert_eq!(
            b[0].text(),
            format!(
                "api: 30 error lines in the last minute (usually {}/min)",
                rate(usual)
            )
        );
        // A minute later it has stopped: over.
        assert!(r.bursts(t + 90, |_| true).is_empty());
    }

    #[test]
    fn a_service_that_always_errs_is_no_burst_at_its_own_rate() {
        let mut r = ErrorRates::default();
        // 42 a minute for ten minutes, then 60 in one: not five times its usual.
        let steady: Vec<(i64, u32)> = (0..60).map(|i| (T0 + i * 10, 7)).collect();
        r.record("noisy", &steady, T0, T0 + 600);
        assert!(r.bursts(T0 + 600, |_| false).is_empty());
        let more: Vec<(i64, u32)> = (60..66).map(|i| (T0 + i * 10, 10)).collect();
        r.record("noisy", &more, T0 + 600, T0 + 660);
        assert!(r.bursts(T0 + 660, |_| false).is_empty());
        // Nine errors from a service quiet for ten minutes are not a burst either.
        r.record("quiet", &[], T0, T0);
        r.record("quiet", &[(T0 + 650, 9)], T0 + 650, T0 + 660);
        assert!(r.bursts(T0 + 660, |_| false).is_empty());
    }

    #[test]
    fn a_service_without_a_past_needs_a_bigger_burst_and_says_so() {
        let mut r = ErrorRates::default();
        // Started a minute ago: 30 errors could be its normal.
        r.record("new", &[(T0 + 30, 30)], T0, T0 + 60);
        assert!(r.bursts(T0 + 60, |_| false).is_empty());
        r.record("new", &[(T0 + 60, 30)], T0 + 60, T0 + 70);
        let b = r.bursts(T0 + 70, |_| false);
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!(
            b[0].text(),
            "new: 60 error lines in the last minute (its usual rate not known yet)"
        );
    }

    #[test]
    fn a_burst_lasts_at_half_the_rate_that_started_it_and_old_counts_leave() {
        let mut r = ErrorRates::default();
        r.record("api", &[], T0, T0);
        r.record("api", &[(T0 + 600, 6), (T0 + 610, 6)], T0 + 600, T0 + 615);
        assert_eq!(r.bursts(T0 + 615, |_| false).len(), 1);
        // When the first six have left the last minute, the other six keep it going
        // but would not have started one.
        assert_eq!(r.bursts(T0 + 670, |_| true).len(), 1);
        assert!(r.bursts(T0 + 670, |_| false).is_empty());
        // Twenty minutes on, its counts have left.
        r.record("other", &[], T0 + 1800, T0 + 1800);
        assert!(r.services["api"].buckets.is_empty());
    }
}

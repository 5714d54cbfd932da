//! Figures over the last 15 minutes (a container's CPU and memory, the host's load and
//! memory, a queue's waiting jobs), kept from the readings the console already takes:
//! nothing more is asked of the host. Each is a fixed ring of 90 ten-second slots, so a
//! container costs the same after an hour as after a minute (2 × 90 × 4 bytes).

use std::collections::VecDeque;

/// How long a series covers, in slots of [`SLOT_SECS`].
pub const SLOTS: usize = 90;
/// One slot: the highest reading in ten seconds.
pub const SLOT_SECS: i64 = 10;
/// A slot in which nothing was read.
const NONE: u32 = u32::MAX;

/// One figure over the last 15 minutes, the highest reading in each ten seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    /// The slot (Unix seconds / [`SLOT_SECS`]) of the newest value.
    newest: i64,
    /// Oldest first; at most [`SLOTS`].
    values: VecDeque<u32>,
}

impl Series {
    /// A reading taken at `now` (Unix seconds). A reading older than the newest slot
    /// is dropped (time went back).
    pub fn record(&mut self, value: u32, now: i64) {
        let value = value.min(NONE - 1);
        let slot = now.div_euclid(SLOT_SECS);
        if self.values.is_empty() {
            self.newest = slot;
            // Its whole room at once: never more than 15 minutes of slots.
            self.values.reserve_exact(SLOTS);
            self.values.push_back(value);
            return;
        }
        match slot.cmp(&self.newest) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => {
                if let Some(last) = self.values.back_mut() {
                    *last = if *last == NONE {
                        value
                    } else {
                        (*last).max(value)
                    };
                }
            }
            std::cmp::Ordering::Greater => {
                // Slots nothing was read in; more than the window holds are all of it.
                let gap = usize::try_from(slot - self.newest - 1)
                    .unwrap_or(SLOTS)
                    .min(SLOTS - 1);
                // Room first, so the ring never grows past its 15 minutes.
                while !self.values.is_empty() && self.values.len() + gap + 1 > SLOTS {
                    self.values.pop_front();
                }
                for _ in 0..gap {
                    self.values.push_back(NONE);
                }
                self.values.push_back(value);
                self.newest = slot;
            }
        }
    }

    /// The last 15 minutes up to `now`, oldest first, one entry per slot ([`SLOTS`] of
    /// them; None where nothing was read, the slots since the newest reading too).
    pub fn window(&self, now: i64) -> Vec<Option<u32>> {
        let slot = now.div_euclid(SLOT_SECS);
        let since = usize::try_from(slot - self.newest).unwrap_or(0);
        let known = self.values.iter().map(|v| (*v != NONE).then_some(*v));
        let mut out: Vec<Option<u32>> = known.chain(std::iter::repeat_n(None, since)).collect();
        let extra = out.len().saturating_sub(SLOTS);
        out.drain(..extra);
        let mut padded = vec![None; SLOTS - out.len()];
        padded.append(&mut out);
        padded
    }

    /// The lowest and highest reading in the window, and the newest (None: nothing
    /// read in the last 15 minutes).
    pub fn summary(&self, now: i64) -> Option<(u32, u32, u32)> {
        let w = self.window(now);
        let read: Vec<u32> = w.iter().flatten().copied().collect();
        let newest = w.iter().rev().flatten().next().copied()?;
        Some((
            read.iter().copied().min().unwrap_or(0),
            read.iter().copied().max().unwrap_or(0),
            newest,
        ))
    }
}

/// A running container's CPU (hundredths of a percent of a core) and memory (KiB).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageHistory {
    pub cpu: Series,
    pub mem_kib: Series,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_keeps_its_highest_reading_and_gaps_stay_gaps() {
        let mut s = Series::default();
        s.record(5, 1000);
        s.record(9, 1004);
        s.record(3, 1008);
        s.record(7, 1030);
        let w = s.window(1030);
        assert_eq!(w.len(), SLOTS);
        assert_eq!(&w[SLOTS - 4..], &[Some(9), None, None, Some(7)]);
        assert_eq!(s.summary(1030), Some((7, 9, 7)));
        // Nothing read for a while: the window moves on, with nothing claimed.
        assert_eq!(s.window(1060)[SLOTS - 1], None);
        assert_eq!(s.summary(1030 + 15 * 60), None);
        // Time going back is not a reading of the past.
        s.record(100, 900);
        assert_eq!(s.summary(1030).unwrap().1, 9);
    }

    #[test]
    fn the_ring_never_holds_more_than_fifteen_minutes() {
        let mut s = Series::default();
        for i in 0..2000 {
            s.record(i, 5000 + i64::from(i) * 2);
        }
        assert_eq!(s.values.len(), SLOTS);
        let now = 5000 + 1999 * 2;
        let (min, max, newest) = s.summary(now).unwrap();
        assert_eq!((max, newest), (1999, 1999));
        assert!(min >= 1999 - 450, "{min}");
        // A day without a reading, then one: the ring is one reading, not a day of gaps.
        s.record(1, now + 86_400);
        assert_eq!(s.values.len(), SLOTS);
        assert_eq!(s.summary(now + 86_400), Some((1, 1, 1)));
        assert!(
            s.values.capacity() < 2 * SLOTS,
            "the ring never grew: {}",
            s.values.capacity()
        );
    }
}

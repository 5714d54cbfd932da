//! Sparklines as text: a figure's last 15 minutes in a few columns of bars, newest on
//! the right; a column in which nothing was read is blank, never a zero.

/// The bars' eight heights.
pub const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` (oldest first) in `width` columns, each the highest of the values it
/// covers; the newest column ends with the newest value.
pub fn squeeze(values: &[Option<u32>], width: usize) -> Vec<Option<u32>> {
    if width == 0 || values.is_empty() {
        return Vec::new();
    }
    let per = values.len().div_ceil(width);
    // Whole columns from the right, so the newest column is never a fraction.
    let mut out: Vec<Option<u32>> = values
        .rchunks(per)
        .map(|c| c.iter().flatten().copied().max())
        .collect();
    out.reverse();
    out
}

/// One bar per value between `lo` (the lowest bar) and `hi` (the highest).
pub fn bars(values: &[Option<u32>], lo: u32, hi: u32) -> String {
    let span = u64::from(hi.saturating_sub(lo)).max(1);
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) => {
                let above = u64::from(v.saturating_sub(lo)).min(span);
                BARS[usize::try_from(above * 7 / span).unwrap_or(7)]
            }
        })
        .collect()
}

/// CPU (hundredths of a percent of a core) in `width` columns, from zero to one whole
/// core (or the window's highest, when it used more): an idle container stays low
/// bars, a busy one reaches the top.
pub fn cpu(window: &[Option<u32>], width: usize) -> String {
    let cols = squeeze(window, width);
    let max = cols
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(10_000);
    bars(&cols, 0, max)
}

/// Memory in `width` columns, between the window's lowest and highest (a leak shows
/// as a climb); a figure that moved less than 5 % is drawn as the level line it is.
pub fn memory(window: &[Option<u32>], width: usize) -> String {
    let cols = squeeze(window, width);
    let read: Vec<u32> = cols.iter().flatten().copied().collect();
    let (lo, hi) = (
        read.iter().copied().min().unwrap_or(0),
        read.iter().copied().max().unwrap_or(0),
    );
    if u64::from(hi - lo) * 20 < u64::from(hi) {
        return bars(&cols, 0, hi.saturating_mul(2));
    }
    bars(&cols, lo, hi)
}

/// Hundredths of a percent as `12.3%`.
pub fn percent(centi: u32) -> String {
    format!("{:.1}%", f64::from(centi) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_take_the_highest_and_gaps_stay_blank() {
        let v = [Some(1), Some(5), None, None, Some(2), Some(9)];
        assert_eq!(squeeze(&v, 3), vec![Some(5), None, Some(9)]);
        assert_eq!(squeeze(&v, 6), v.to_vec());
        assert_eq!(bars(&[Some(0), None, Some(70)], 0, 70), "▁ █");
    }

    #[test]
    fn idle_cpu_is_low_bars_a_busy_one_reaches_the_top_and_memory_shows_its_climb() {
        let idle = vec![Some(300); 90];
        assert_eq!(cpu(&idle, 10), "▁".repeat(10));
        let mut busy = vec![Some(50); 80];
        busy.extend(vec![Some(10_000); 10]);
        assert!(cpu(&busy, 10).ends_with('█'));
        let two_cores = vec![Some(20_000); 9];
        assert_eq!(cpu(&two_cores, 3), "███");
        let flat = vec![Some(100_000); 90];
        assert_eq!(memory(&flat, 5), "▄▄▄▄▄");
        let leak: Vec<Option<u32>> = (0..90).map(|i| Some(100_000 + i * 2_000)).collect();
        let line = memory(&leak, 9);
        assert!(line.starts_with('▁') && line.ends_with('█'), "{line}");
    }
}

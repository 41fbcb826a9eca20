//! The wearer's own blinks: how tall they typically are, and what that says
//! about the pad placement.
//!
//! The detector remembers the heights (above the local floor) of the last
//! accepted blinks. Their median is the *typical blink*: a candidate far
//! below it is more likely chewing or talking leaking in than a blink, and
//! the median over the noise is the placement's signal-to-noise ratio.
//! Where the blinks peak tells one more thing: if many reach the very same
//! count, the envelope is clipped at a rail (the sensor's gain is too high).

use super::baseline::median_in_place;
use super::Placement;

/// Blinks remembered.
const KEPT: usize = 16;
/// Blinks needed before the typical height is trusted.
pub(crate) const TRUSTED: u32 = 3;
/// Without an accepted blink for this long the memory is dropped: if the
/// typical height was learned from something else (a burst of artefacts), it
/// must not lock real blinks out for ever.
const FORGET_MS: f64 = 30_000.0;

/// Blinks peaking within this many counts of the highest remembered peak
/// reach the top of the signal: an envelope clipped at the sensor's supply
/// or the ADC's range sits there to within the ADC's own noise of a count
/// or two, where unclipped blinks scatter by tens of percent.
const CLIP_COUNTS: f64 = 3.0;
/// At least this many of the remembered blinks at the top, and at least
/// [`CLIPPED_SHARE`] of them, say the envelope is clipped.
const CLIPPED_LEAST: usize = 3;
const CLIPPED_SHARE: f64 = 1.0 / 3.0;

/// Placement SNR (median blink height over noise) mapped to a score of 0.
const SNR_POOR: f64 = 6.0;
/// ... and to a score of 1.
const SNR_GOOD: f64 = 30.0;

#[derive(Debug, Clone)]
pub(crate) struct BlinkMemory {
    heights: [f64; KEPT],
    /// `heights[..n]` in `f64::total_cmp` order (n = count, at most KEPT),
    /// kept up to date on each record so the typical height is read off
    /// without sorting.
    sorted: [f64; KEPT],
    snrs: [f64; KEPT],
    /// Each one's highest sample, in counts (where its burst peaked).
    tops: [f64; KEPT],
    /// Each one's key (when its burst was announced), to take it back.
    keys: [f64; KEPT],
    next: usize,
    count: u32,
    last_ms: f64,
    typical: f64,
}

impl BlinkMemory {
    pub(crate) fn new() -> Self {
        BlinkMemory {
            heights: [0.0; KEPT],
            sorted: [0.0; KEPT],
            snrs: [0.0; KEPT],
            tops: [f64::NAN; KEPT],
            keys: [f64::NAN; KEPT],
            next: 0,
            count: 0,
            last_ms: f64::NEG_INFINITY,
            typical: 0.0,
        }
    }

    /// Records an accepted blink of `height` counts at `t_ms` (its peak)
    /// when the noise was `sigma`, whose burst's highest sample was `top`
    /// counts; `key` names it for [`Self::forget`].
    pub(crate) fn record(&mut self, t_ms: f64, height: f64, sigma: f64, top: f64, key: f64) {
        self.forget_if_stale(t_ms);
        let w = self.next;
        let n_old = (self.count as usize).min(KEPT);
        let replaced = self.heights[w];
        self.heights[w] = height;
        self.snrs[w] = height / sigma;
        self.tops[w] = top;
        self.keys[w] = key;
        self.next = (w + 1) % KEPT;
        self.count = self.count.saturating_add(1);
        self.last_ms = t_ms;
        let n = (self.count as usize).min(KEPT);
        // Until the ring is full the write slot is the count (the ring
        // starts afresh at 0 when forgotten, and `forget` keeps it so).
        debug_assert!(n_old == KEPT || w == n_old, "slot {w}, {n_old} kept");
        if n_old < KEPT {
            // The remembered set grew by the new height.
            sorted_insert(&mut self.sorted[..n], n_old, height);
        } else {
            // The new height took the place of an old one.
            sorted_remove(&mut self.sorted, n_old, replaced);
            sorted_insert(&mut self.sorted[..n], n_old - 1, height);
        }
        self.typical = median_of_sorted(&self.sorted[..n]);
    }

    /// Takes back the blink recorded with `key` (it turned out the first
    /// beat of a rhythm, not a blink), if it is still remembered.
    #[cold]
    pub(crate) fn forget(&mut self, key: f64) {
        let n = (self.count as usize).min(KEPT);
        // Oldest first: once the ring is full it starts at the write slot.
        let start = if n == KEPT { self.next } else { 0 };
        let Some(gone) = (0..n)
            .map(|k| (start + k) % KEPT)
            .find(|&i| self.keys[i] == key)
        else {
            return;
        };
        let gone_height = self.heights[gone];
        let (mut heights, mut snrs, mut keys) = ([0.0; KEPT], [0.0; KEPT], [f64::NAN; KEPT]);
        let mut tops = [f64::NAN; KEPT];
        let mut m = 0;
        for i in (0..n).map(|k| (start + k) % KEPT).filter(|&i| i != gone) {
            (heights[m], snrs[m], keys[m]) = (self.heights[i], self.snrs[i], self.keys[i]);
            tops[m] = self.tops[i];
            m += 1;
        }
        (self.heights, self.snrs, self.keys, self.tops) = (heights, snrs, keys, tops);
        self.next = m % KEPT;
        self.count = m as u32;
        sorted_remove(&mut self.sorted, n, gone_height);
        self.typical = median_of_sorted(&self.sorted[..m]);
    }

    /// Drops the memory when no blink was accepted for a long time.
    pub(crate) fn forget_if_stale(&mut self, t_ms: f64) {
        if self.count > 0 && t_ms - self.last_ms > FORGET_MS {
            self.count = 0;
            self.next = 0;
            self.typical = 0.0;
        }
    }

    /// The typical blink height in counts, once enough blinks were seen.
    pub(crate) fn typical(&self) -> Option<f64> {
        (self.count >= TRUSTED).then_some(self.typical)
    }

    pub(crate) fn placement(&self) -> Option<Placement> {
        if self.count < TRUSTED {
            return None;
        }
        let n = (self.count as usize).min(KEPT);
        let mut s = self.snrs;
        let snr = median_in_place(&mut s[..n]);
        // Logarithmic: doubling the SNR is the same step anywhere.
        let score = ((snr / SNR_POOR).ln() / (SNR_GOOD / SNR_POOR).ln()).clamp(0.0, 1.0);
        Some(Placement {
            score,
            snr,
            blinks: self.count,
            clipped_at: clipped_at(&self.tops[..n]),
        })
    }
}

/// The count the blinks' peaks reach when enough of them reach the same
/// top (see [`CLIP_COUNTS`]); None otherwise.
fn clipped_at(tops: &[f64]) -> Option<f64> {
    let hi = tops.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let at_top = tops.iter().filter(|&&t| t >= hi - CLIP_COUNTS).count();
    (at_top >= CLIPPED_LEAST && at_top as f64 >= CLIPPED_SHARE * tops.len() as f64).then_some(hi)
}

/// Removes one value equal to `x` (the first of its equals, found by
/// halving) from the sorted `s[..len]`; the last if none is.
fn sorted_remove(s: &mut [f64], len: usize, x: f64) {
    let at = s[..len].partition_point(|y| y.total_cmp(&x).is_lt());
    let at = if at < len && s[at].to_bits() == x.to_bits() {
        at
    } else {
        len - 1
    };
    s.copy_within(at + 1..len, at);
}

/// The median of sorted values; 0 for none.
fn median_of_sorted(s: &[f64]) -> f64 {
    let n = s.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => s[n / 2],
        _ => 0.5 * (s[n / 2 - 1] + s[n / 2]),
    }
}

/// Inserts `x` into `s[..len]` (sorted by `f64::total_cmp`), keeping
/// `s[..=len]` sorted.
fn sorted_insert(s: &mut [f64], len: usize, x: f64) {
    let at = s[..len].partition_point(|y| y.total_cmp(&x).is_le());
    s.copy_within(at..len, at + 1);
    s[at] = x;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_height_needs_three_blinks_and_is_a_median() {
        let mut m = BlinkMemory::new();
        m.record(0.0, 100.0, 5.0, f64::NAN, 0.0);
        m.record(1000.0, 110.0, 5.0, f64::NAN, 1000.0);
        assert_eq!(m.typical(), None);
        assert!(m.placement().is_none());
        m.record(2000.0, 900.0, 5.0, f64::NAN, 2000.0); // one odd blink does not move a median far
        assert_eq!(m.typical(), Some(110.0));
        let p = m.placement().unwrap();
        assert_eq!(p.blinks, 3);
        assert!((p.snr - 22.0).abs() < 1e-9);
        assert!(p.score > 0.7 && p.score < 1.0, "{p:?}");
    }

    #[test]
    fn after_a_long_silence_the_typical_height_is_the_new_blinks_only() {
        let mut m = BlinkMemory::new();
        for k in 0..5 {
            let t = f64::from(k) * 1000.0;
            m.record(t, 1000.0, 5.0, f64::NAN, t);
        }
        assert_eq!(m.typical(), Some(1000.0));
        for k in 0..3 {
            let t = 40_000.0 + f64::from(k) * 1000.0;
            m.record(t, 100.0 + f64::from(k), 5.0, f64::NAN, t);
        }
        // The code before wrote the new heights after the old ones in the
        // ring but took the typical from its first slots: 1000.
        assert_eq!(m.typical(), Some(101.0));
        assert_eq!(m.placement().map(|p| p.blinks), Some(3));
    }

    #[test]
    fn a_blink_taken_back_no_longer_counts() {
        let mut m = BlinkMemory::new();
        for (k, h) in [100.0, 110.0, 40.0, 120.0].into_iter().enumerate() {
            m.record(k as f64 * 1000.0, h, 5.0, f64::NAN, k as f64 * 1000.0);
        }
        assert_eq!(m.typical(), Some(105.0));
        m.forget(5000.0); // never recorded: nothing changes
        assert_eq!(m.typical(), Some(105.0));
        m.forget(2000.0); // the 40 was a chew
        assert_eq!(m.typical(), Some(110.0));
        assert_eq!(m.placement().map(|p| p.blinks), Some(3));
        // The ring goes on from where it was left, full or not.
        for k in 0..20 {
            let t = 10_000.0 + f64::from(k) * 1000.0;
            m.record(t, 200.0 + f64::from(k), 5.0, f64::NAN, t);
        }
        m.forget(29_000.0);
        assert_eq!(m.placement().map(|p| p.blinks), Some(15));
        assert_eq!(m.typical(), Some(211.0));
    }

    #[test]
    fn blinks_that_reach_one_top_say_the_envelope_is_clipped() {
        // Heights that scatter (as blinks do), their tops at 1000 + height;
        // then more and more of them cut at a rail of 1500 counts (one
        // count of ADC noise on it).
        let heights = [
            420.0, 515.0, 380.0, 640.0, 470.0, 560.0, 700.0, 450.0, 610.0,
        ];
        let clipped = |rail: f64| {
            let mut m = BlinkMemory::new();
            for (k, h) in heights.into_iter().enumerate() {
                let t = k as f64 * 1000.0;
                let noise = (k % 2) as f64;
                let top = f64::min(1000.0 + h, rail + noise);
                m.record(t, top - 1000.0, 5.0, top, t);
            }
            m.placement().unwrap().clipped_at
        };
        // No rail in reach, or two blinks at it (640 and 700): not clipped.
        assert_eq!(clipped(2000.0), None);
        assert_eq!(clipped(1620.0), None);
        // Three of nine at it (610, 640, 700), and four (560 too).
        assert_eq!(clipped(1601.0), Some(1602.0));
        assert_eq!(clipped(1559.0), Some(1560.0));
        assert_eq!(clipped(1500.0), Some(1501.0));
        // Equal heights with no top known (NaN) say nothing.
        let mut m = BlinkMemory::new();
        for k in 0..5 {
            m.record(f64::from(k), 100.0, 5.0, f64::NAN, f64::from(k));
        }
        assert_eq!(m.placement().unwrap().clipped_at, None);
        // A blink taken back no longer counts: three of four at the top,
        // then two of three.
        let mut m = BlinkMemory::new();
        for (k, top) in [1500.0, 1500.0, 1200.0, 1500.0].into_iter().enumerate() {
            m.record(k as f64, top - 1000.0, 5.0, top, k as f64);
        }
        assert_eq!(m.placement().unwrap().clipped_at, Some(1500.0));
        m.forget(3.0);
        assert_eq!(m.placement().unwrap().clipped_at, None);
    }

    #[test]
    fn memory_is_forgotten_after_a_long_silence() {
        let mut m = BlinkMemory::new();
        for i in 0..3 {
            m.record(i as f64 * 1000.0, 100.0, 5.0, f64::NAN, i as f64 * 1000.0);
        }
        m.forget_if_stale(40_000.0);
        assert_eq!(m.typical(), None);
    }

    #[test]
    fn placement_score_is_0_for_buried_blinks_and_1_for_clear_ones() {
        let mut weak = BlinkMemory::new();
        let mut clear = BlinkMemory::new();
        for i in 0..5 {
            weak.record(i as f64, 20.0, 5.0, f64::NAN, i as f64);
            clear.record(i as f64, 400.0, 5.0, f64::NAN, i as f64);
        }
        assert_eq!(weak.placement().unwrap().score, 0.0);
        assert_eq!(clear.placement().unwrap().score, 1.0);
    }

    #[test]
    fn kept_order_gives_the_median_of_the_remembered_heights() {
        // Pseudo-random heights with ties, and gaps that make the memory
        // forget, checked against a fresh sort each time.
        let mut m = BlinkMemory::new();
        let mut seed: u64 = 12345;
        let mut t = 0.0;
        for i in 0..2000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let h = ((seed >> 40) % 50) as f64;
            t += if i % 97 == 0 { 40_000.0 } else { 500.0 };
            m.record(t, h, 2.0, f64::NAN, t);
            let n = (m.count as usize).min(KEPT);
            let mut fresh = m.heights;
            assert_eq!(
                m.typical.to_bits(),
                median_in_place(&mut fresh[..n]).to_bits()
            );
        }
    }
}

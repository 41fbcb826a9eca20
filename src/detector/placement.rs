//! The wearer's own blinks: how tall they typically are, and what that says
//! about the pad placement.
//!
//! The detector remembers the heights (above the local floor) of the last
//! accepted blinks. Their median is the *typical blink*: a candidate far
//! below it is more likely chewing or talking leaking in than a blink, and
//! the median over the noise is the placement's signal-to-noise ratio.

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

/// Placement SNR (median blink height over noise) mapped to a score of 0.
const SNR_POOR: f64 = 6.0;
/// ... and to a score of 1.
const SNR_GOOD: f64 = 30.0;

#[derive(Debug, Clone)]
pub(crate) struct BlinkMemory {
    heights: [f64; KEPT],
    snrs: [f64; KEPT],
    next: usize,
    count: u32,
    last_ms: f64,
    typical: f64,
}

impl BlinkMemory {
    pub(crate) fn new() -> Self {
        BlinkMemory {
            heights: [0.0; KEPT],
            snrs: [0.0; KEPT],
            next: 0,
            count: 0,
            last_ms: f64::NEG_INFINITY,
            typical: 0.0,
        }
    }

    /// Records an accepted blink of `height` counts when the noise was `sigma`.
    pub(crate) fn record(&mut self, t_ms: f64, height: f64, sigma: f64) {
        self.forget_if_stale(t_ms);
        self.heights[self.next] = height;
        self.snrs[self.next] = height / sigma;
        self.next = (self.next + 1) % KEPT;
        self.count = self.count.saturating_add(1);
        self.last_ms = t_ms;
        let n = (self.count as usize).min(KEPT);
        let mut h = self.heights;
        self.typical = median_in_place(&mut h[..n]);
    }

    /// Drops the memory when no blink was accepted for a long time.
    pub(crate) fn forget_if_stale(&mut self, t_ms: f64) {
        if self.count > 0 && t_ms - self.last_ms > FORGET_MS {
            self.count = 0;
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_height_needs_three_blinks_and_is_a_median() {
        let mut m = BlinkMemory::new();
        m.record(0.0, 100.0, 5.0);
        m.record(1000.0, 110.0, 5.0);
        assert_eq!(m.typical(), None);
        assert!(m.placement().is_none());
        m.record(2000.0, 900.0, 5.0); // one odd blink does not move a median far
        assert_eq!(m.typical(), Some(110.0));
        let p = m.placement().unwrap();
        assert_eq!(p.blinks, 3);
        assert!((p.snr - 22.0).abs() < 1e-9);
        assert!(p.score > 0.7 && p.score < 1.0, "{p:?}");
    }

    #[test]
    fn memory_is_forgotten_after_a_long_silence() {
        let mut m = BlinkMemory::new();
        for i in 0..3 {
            m.record(i as f64 * 1000.0, 100.0, 5.0);
        }
        m.forget_if_stale(40_000.0);
        assert_eq!(m.typical(), None);
    }

    #[test]
    fn placement_score_is_0_for_buried_blinks_and_1_for_clear_ones() {
        let mut weak = BlinkMemory::new();
        let mut clear = BlinkMemory::new();
        for i in 0..5 {
            weak.record(i as f64, 20.0, 5.0);
            clear.record(i as f64, 400.0, 5.0);
        }
        assert_eq!(weak.placement().unwrap().score, 0.0);
        assert_eq!(clear.placement().unwrap().score, 1.0);
    }
}

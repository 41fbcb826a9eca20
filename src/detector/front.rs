//! The detector's front end: what a sample means before any decision.
//!
//! Part of the work on each sample depends on the samples alone and on four
//! parameters, never on what the detector decided: the time step, the
//! previous sample, the floor and flat windows ([`Window`]) and how long the
//! signal has sat at a rail. [`FrontEnd`] does that part and hands the
//! result on as a [`Prepared`] sample.
//!
//! A lone detector owns a front end and calls it from `push`. A parameter
//! sweep runs many configs over the same trace: configs that agree on
//! [`FrontKey`] share one front end, which prepares a block of samples once
//! for all of them (see `tune::sweep`), so they only pay for their decisions.

use super::baseline::{fmax, Window};
use super::DetectorConfig;

/// The onset test, the floor and the busy face's spread see the signal
/// averaged over about this long (an exponential mean whose weight per
/// sample is the time step over it). Samples at least this far apart (25
/// and 50 Hz) are taken as they are. At higher rates each sample is one
/// more look at the same noise while a blink is not any faster: without
/// it, at 860 Hz resting noise crossed the onset level several times a
/// second, and the floor, a minimum over hundreds of samples, sank to the
/// bottom of the noise.
pub(crate) const SMOOTH_MS: f64 = 15.0;

/// A flat window whose lowest (smoothed) value lies within this many counts
/// of the low rail sits at the ground (see [`Prepared::flat_range`]): half
/// a count, below what the ADC can tell apart.
pub(crate) const GROUND_COUNTS: f64 = 0.5;

/// The parameters the front end depends on. Configs with equal keys see
/// the same [`Prepared`] samples, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontKey {
    floor_ms: f64,
    flat_ms: f64,
    /// [`DetectorConfig::ground`].
    ground: f64,
    rail_high_counts: f64,
}

impl FrontKey {
    pub fn of(cfg: &DetectorConfig) -> Self {
        FrontKey {
            floor_ms: cfg.floor_ms,
            flat_ms: cfg.flat_ms,
            ground: cfg.ground(),
            rail_high_counts: cfg.rail_high_counts,
        }
    }
}

/// One sample as the front end saw it.
#[derive(Debug, Clone, Copy)]
pub struct Prepared {
    /// Time of the sample (never earlier than the one before).
    pub(crate) t: f64,
    /// Time since the previous sample (0 for the first).
    pub(crate) dt: f64,
    pub(crate) prev_t: f64,
    /// The sample's value, in counts.
    pub(crate) x: f64,
    /// The sample averaged over about [`SMOOTH_MS`]: what the onset test,
    /// the floor and the busy face's spread look at. At 25 and 50 Hz
    /// exactly `x`.
    pub(crate) smooth_x: f64,
    /// The previous sample's value (its own value for the first).
    pub(crate) prev_x: f64,
    /// The window's floor, this sample included.
    pub(crate) window_floor: f64,
    /// Range of the bucket that closed on this sample; -infinity if none did.
    pub(crate) newest_range: f64,
    /// The flat window's range when a bucket closed on this sample and the
    /// window is known (see [`Window::flat_extremes`]); NaN otherwise.
    /// Infinite if the window touches the ground (its lowest value within
    /// [`GROUND_COUNTS`] of the low rail): a signal clipped at the ground
    /// shows no movement below it, yet a quiet muscle may rest there, so
    /// it is not flat (see `faults`).
    pub(crate) flat_range: f64,
    /// Since when the signal has been at a rail (NaN: it is not).
    pub(crate) railed_since: f64,
    /// A bucket of the window closed on this sample.
    pub(crate) closed: bool,
}

/// Turns raw samples into [`Prepared`] ones.
#[derive(Debug, Clone)]
pub struct FrontEnd {
    started: bool,
    last_t: f64,
    prev_x: f64,
    /// The last `smooth_x`.
    smooth: f64,
    window: Window,
    ground: f64,
    rail_high: f64,
    railed_since: f64,
}

impl FrontEnd {
    pub fn new(key: FrontKey) -> Self {
        FrontEnd {
            started: false,
            last_t: f64::NEG_INFINITY,
            prev_x: 0.0,
            smooth: 0.0,
            window: Window::new(key.floor_ms, key.flat_ms),
            ground: key.ground,
            rail_high: key.rail_high_counts,
            railed_since: f64::NAN,
        }
    }

    /// Takes one raw sample; `None` for a sample without a time (NaN),
    /// which the detector ignores. Times should not decrease; a time
    /// earlier than the last is taken as equal to it.
    #[inline]
    pub fn advance(&mut self, t_ms: f64, emg: i32) -> Option<Prepared> {
        if t_ms.is_nan() {
            return None;
        }
        let x = f64::from(emg);
        if !self.started {
            self.started = true;
            self.last_t = t_ms;
            self.prev_x = x;
            self.smooth = x;
        }
        // Neither is NaN: a plain comparison, where `f64::max` also has to
        // handle NaN.
        let t = fmax(self.last_t, t_ms);
        let prev_t = self.last_t;
        self.last_t = t;
        let dt = t - prev_t;
        // A branch, not a `min` of the weight: at 25 Hz (nearly always
        // taken) it costs less, and the sample passes bit for bit. Written
        // so that a step that is no number (after an infinite time) takes
        // the sample as it is, rather than spoiling the mean for good.
        let smooth_x = if dt < SMOOTH_MS {
            self.smooth + dt / SMOOTH_MS * (x - self.smooth)
        } else {
            x
        };
        self.smooth = smooth_x;
        let closed = self.window.push(t, x, smooth_x);
        let (newest_range, flat_range) = if closed {
            (
                self.window.newest_range(),
                self.window.flat_extremes().map_or(f64::NAN, |(lo, hi)| {
                    if lo <= self.ground {
                        f64::INFINITY
                    } else {
                        hi - lo
                    }
                }),
            )
        } else {
            (f64::NEG_INFINITY, f64::NAN)
        };
        // Only the samples say how long the signal has sat at the high
        // rail; the detector decides whether that makes a fault. The low
        // rail is the ground, where a quiet muscle may rest (see `faults`).
        if x >= self.rail_high {
            if self.railed_since.is_nan() {
                self.railed_since = t;
            }
        } else {
            self.railed_since = f64::NAN;
        }
        let p = Prepared {
            t,
            dt,
            prev_t,
            x,
            smooth_x,
            prev_x: self.prev_x,
            window_floor: self.window.floor(),
            newest_range,
            flat_range,
            railed_since: self.railed_since,
            closed,
        };
        self.prev_x = x;
        Some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front() -> FrontEnd {
        FrontEnd::new(FrontKey::of(&DetectorConfig::default()))
    }

    #[test]
    fn at_25_and_50_hz_the_onset_test_sees_each_sample_as_it_is() {
        for period in [40.0, 20.0, SMOOTH_MS] {
            let mut f = front();
            for i in 0..500 {
                let x = (i * 7919) % 613 - 300;
                let p = f.advance(f64::from(i) * period, x).unwrap();
                assert_eq!(p.smooth_x, p.x, "period {period}, sample {i}");
            }
        }
    }

    #[test]
    fn at_860_hz_the_onset_test_sees_about_15_ms_of_signal() {
        let mut f = front();
        let period = 1000.0 / 860.0;
        let mut at = |t: f64| f.advance(t, if t < 1000.0 { 0 } else { 100 }).unwrap();
        let mut t = 0.0;
        let mut last = None;
        while t < 1000.0 + SMOOTH_MS {
            last = Some(at(t));
            t += period;
        }
        // A step of 100 counts, one time constant later: 1 - 1/e of it.
        let p = last.unwrap();
        assert_eq!(p.x, 100.0);
        assert!((55.0..72.0).contains(&p.smooth_x), "{p:?}");
        // The floor follows the smoothed signal, and never below its start.
        assert_eq!(p.window_floor, 0.0);
        while t < 1400.0 {
            last = Some(at(t));
            t += period;
        }
        let p = last.unwrap();
        assert!(p.smooth_x > 99.9, "{p:?}");
        assert!(p.window_floor > 99.0, "{p:?}");
    }

    #[test]
    fn an_infinite_time_does_not_spoil_the_mean_for_the_samples_after_it() {
        let mut f = front();
        f.advance(0.0, 10).unwrap();
        f.advance(f64::INFINITY, 20).unwrap();
        // Every later time is taken as infinity too: steps of NaN.
        let p = f.advance(5.0, 30).unwrap();
        assert_eq!(p.smooth_x, 30.0, "{p:?}");
    }

    #[test]
    fn a_signal_at_the_ground_is_neither_flat_nor_railed() {
        let mut f = front();
        let (mut flat, mut seen) = (Vec::new(), false);
        for i in 0..200 {
            // Half a second at 0 counts, then 300 ms of ripple, again and again.
            let x = if i % 20 < 12 { 0 } else { 5 + (i % 3) * 7 };
            let p = f.advance(f64::from(i) * 40.0, x).unwrap();
            assert!(p.railed_since.is_nan(), "sample {i}: {p:?}");
            if !p.flat_range.is_nan() {
                seen = true;
                flat.push(p.flat_range);
            }
        }
        assert!(seen);
        // Every window that held a sample at the ground: infinite, never 0.
        assert!(flat.iter().all(|&r| r > 0.0), "{flat:?}");
        assert!(flat.iter().any(|r| r.is_infinite()), "{flat:?}");
        // The same still signal one count over the ground is flat, and at
        // the high rail railed.
        for (x, railed) in [(1, false), (32767, true)] {
            let mut f = front();
            let mut last = None;
            for i in 0..40 {
                last = f.advance(f64::from(i) * 40.0, x);
            }
            let p = last.unwrap();
            assert_eq!(p.flat_range, 0.0, "{x}");
            assert_eq!(!p.railed_since.is_nan(), railed, "{x}");
        }
    }

    #[test]
    fn a_stuck_signal_is_flat_at_860_hz_and_a_noisy_one_is_not() {
        let period = 1000.0 / 860.0;
        for noisy in [false, true] {
            let mut f = front();
            let mut range = f64::NAN;
            for i in 0..1000 {
                // Noise of +-20 counts in a sequence that repeats every 7.
                let x = 500
                    + if noisy {
                        [0, 20, -20, 10, -10, 15, -5][i % 7]
                    } else {
                        0
                    };
                let p = f.advance(i as f64 * period, x).unwrap();
                if !p.flat_range.is_nan() {
                    range = p.flat_range;
                }
            }
            if noisy {
                // The raw highest less the smoothed lowest: no wider than
                // the raw range (40), and far from flat.
                assert!(range > 10.0 && range <= 40.0, "{range}");
            } else {
                assert_eq!(range, 0.0);
            }
        }
    }
}

//! Pad faults: when the signal cannot carry blinks at all.
//!
//! - **Railed**: samples at or above the high rail (the ADS1115's full
//!   scale is 32767 counts, datasheet §9.5.4 "Data Format"; a sensor whose
//!   supply is below the ADC's range saturates lower), or a flat signal
//!   stuck far from the baseline ("stuck at max").
//! - **Flat**: the signal stops moving: its range over `flat_ms` is below
//!   `flat_sigma` of the learned noise (a pad off, a cable out), and below a
//!   tenth of how busy the signal was just before. A window flat by the
//!   first measure alone is a quiet stretch judged by a noise learned too
//!   wide: the detector calibrates afresh, with no fault (see
//!   [`QUIET_SPREAD_SHARE`]).
//! - **Wild**: the signal swings far *below* its baseline again and again.
//!   Muscle activity only ever adds to a rectified envelope, so smiles,
//!   chewing and blinks never do that; a loose electrode does. A signal
//!   that went down and stayed there (but for a jolt) is a step of the
//!   baseline instead: the baseline moves to it, with no fault (see
//!   [`STEP_SIGMA`]).
//!
//! The low rail is different: it is the ground, where the envelope of a
//! quiet muscle may rest if its offset is small. The output cannot go
//! below it, so a resting signal there is clipped, still for a while and
//! then lifted by the next blink. A signal at the ground is neither railed
//! nor flat (see `front::GROUND_COUNTS`). A signal that *falls* there from
//! a baseline far above it (a cable out) is: the wild test sees it far
//! below the baseline, and at the ground it is `Railed` until it leaves.
//! A session that begins with the cable out rests there from the start,
//! and is left to the placement check, which finds no blinks.
//!
//! A fault starts once its condition has held for its time, and ends once
//! the signal has been sound for `fault_clear_ms`; the detector then
//! calibrates again.

use std::collections::VecDeque;

use super::baseline::{fmax, fmin};
use super::{DetectorConfig, FaultKind};

#[derive(Debug, Clone)]
pub(crate) struct FaultWatch {
    /// The high rail, for telling when a railed signal is sound again ...
    rail_high: f64,
    /// ... and the ground ([`DetectorConfig::ground`]), for a signal that
    /// fell there.
    ground: f64,
    rail_ms: f64,
    flat_ms: f64,
    flat_sigma: f64,
    wild_ms: f64,
    wild_sigma: f64,
    clear_ms: f64,
    wild_per_ms: f64,
    /// Since when the flat window has been flat.
    flat_since: f64,
    /// Tracked mean of how far the signal lies below the baseline, in counts.
    below: f64,
    wild_since: f64,
    /// The fault in force, and since when its condition has been absent.
    pub(crate) active: Option<FaultKind>,
    sound_since: f64,
    /// Last verdicts on the flat window (it is judged when a bucket closes).
    still: bool,
    swinging: bool,
    /// Inside a `Wild` fault: the samples of the last `flat_ms` (time,
    /// value), for a range that one jolt alone cannot widen (see
    /// [`Self::wild_range`]); and room to sort their values.
    wild_recent: VecDeque<(f64, f64)>,
    wild_sorted: Vec<f64>,
    /// The flat window's range at the last verdict that found it still.
    still_range: f64,
    /// Time the signal spent near or above the baseline since it went deep.
    wild_up_ms: f64,
}

/// A signal deep below its baseline for `wild_ms` is a pad swinging loose
/// only if it came back within this many noise units of the baseline for
/// longer than a jolt ([`JOLT_MS`]) meanwhile. One that stayed down is a
/// step of the baseline (a pad shifting, the offset moving), and the
/// baseline moves there with no fault. The baseline follows a drop by
/// itself, but over a second or so, and a drop of ten noise units or more
/// lay deep for `wild_ms` first: synth's walking raised 3 `Wild` faults
/// in 18 minutes (seeds 10-15) at its steps down, the third model's
/// walking and drift 6 in 12 (25 Hz), each losing the blinks of the fault
/// and of the calibration after it.
const STEP_SIGMA: f64 = 2.0;

/// A window flat by the learned noise is a pad off only if its range is also
/// under this share of the signal's spread over its floor (the busy face's
/// measure, `baseline::Spread`, which follows the last second or so).
/// Otherwise it is a quiet stretch, and the noise it was judged by is too
/// wide. That noise is how far the samples lie from the baseline, and while
/// the baseline lags a drifting offset that is several times the noise about
/// the signal's own level (the spread, measured from the floor, follows the
/// signal). Synth's drift (seeds 11-14, 25 Hz) had 8 such `Flat` faults in
/// 12 minutes, the third model's one in 6; each lost the blinks in it and in
/// the calibration after it, and told the wearer the pads were off. Those
/// stretches ranged over 8-23 counts, 0.18-0.73 of the spread (the learned
/// noise 57-90); synth's pads off over 0-2 counts, where the spread was
/// 30-160. A quiet stretch makes the detector calibrate afresh, which mends
/// the noise, with no fault. (Leaving it alone instead left the inflated
/// noise in place: synth weak 0.795 -> 0.787 and mixed 0.830 -> 0.820 on
/// the tuned seeds, where the false fault's recalibration had helped.)
pub(crate) const QUIET_SPREAD_SHARE: f64 = 0.1;

/// What [`FaultWatch::signal`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Verdict {
    /// A fault began.
    Fault(FaultKind),
    /// The flat window has been still for `flat_ms`, last over `range`:
    /// a pad off ([`FaultWatch::start`] `Flat`) or a quiet stretch
    /// ([`FaultWatch::quiet_stretch`]), as the caller judges (see
    /// [`QUIET_SPREAD_SHARE`]).
    Still { range: f64 },
    /// The baseline stepped down to `level` (see [`STEP_SIGMA`]).
    StepDown { level: f64 },
}

/// A `Wild` fault's range leaves out this long's worth of the flat
/// window's highest samples, and as many of its lowest (at least one
/// each): a cable jolt lasts up to about 40 ms (one sample at 25 Hz, four
/// at 100 Hz), and comes at most once in a window.
const JOLT_MS: f64 = 50.0;

impl FaultWatch {
    pub(crate) fn new(cfg: &DetectorConfig) -> Self {
        FaultWatch {
            rail_high: cfg.rail_high_counts,
            ground: cfg.ground(),
            rail_ms: cfg.rail_ms,
            flat_ms: cfg.flat_ms,
            flat_sigma: cfg.flat_sigma,
            wild_ms: cfg.wild_ms,
            wild_sigma: cfg.wild_sigma,
            clear_ms: cfg.fault_clear_ms,
            // The below-baseline measure averages over about 200 ms.
            wild_per_ms: 1.0 / 200.0,
            flat_since: f64::NAN,
            below: 0.0,
            wild_since: f64::NAN,
            active: None,
            sound_since: f64::NAN,
            still: false,
            swinging: false,
            wild_recent: VecDeque::new(),
            wild_sorted: Vec::new(),
            still_range: f64::NAN,
            wild_up_ms: 0.0,
        }
    }

    /// Checks the rails on every sample (no learned level needed), given
    /// since when the signal has sat at one (NaN: it does not; the front
    /// end tracks that). Returns a fault that has just started.
    #[inline]
    pub(crate) fn rails(&mut self, t_ms: f64, railed_since: f64) -> Option<FaultKind> {
        // NaN (not at a rail) fails the comparison. Nearly always false, so
        // it is tested alone: with `&&` the compiler worked out both sides
        // on every sample.
        if t_ms - railed_since >= self.rail_ms {
            return self.railed_long();
        }
        None
    }

    /// At a rail for `rail_ms`: a fault, unless one is in force.
    #[cold]
    #[inline(never)]
    fn railed_long(&mut self) -> Option<FaultKind> {
        if self.active.is_none() {
            self.start(FaultKind::Railed)
        } else {
            None
        }
    }

    /// Checks flatness and wildness against the learned level, outside a
    /// fault. `newest` is the range of the window's bucket that closed on
    /// this sample (-infinity if none did) and `flat` the flat window's
    /// range then (NaN if none closed or the window is not yet known).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn signal(
        &mut self,
        t_ms: f64,
        dt_ms: f64,
        x: f64,
        base: f64,
        sigma: f64,
        newest: f64,
        flat: f64,
    ) -> Option<Verdict> {
        let a = fmin(dt_ms * self.wild_per_ms, 1.0);
        self.below += a * (fmax(base - x, 0.0) - self.below);
        // Wild for long enough (judged after the flat window, below): only
        // worked out while the signal lies that far down, which is rare.
        let wild = if self.below > self.wild_sigma * sigma {
            self.deep(t_ms, dt_ms, x, base, sigma)
        } else {
            self.wild_since = f64::NAN;
            false
        };
        // A closed bucket brings a verdict on the flat window: the newest
        // bucket alone moving more than a flat signal may settles it (not
        // still), else the window's range does, when known. The common
        // verdict, "not still" when it already was not, changes nothing, so
        // the test is arranged to be rarely true: a bucket closes on a
        // jittery four samples in five, and the newest bucket moves on one
        // sample in six or so at 25 Hz, which no branch predicts well. So
        // "still" is worked out without a branch (`&`), and "not still"
        // only when there is something for it to change.
        let most = self.flat_sigma * sigma;
        let still = (newest <= most) & (flat <= most);
        if still || ((self.still || !self.flat_since.is_nan()) && (newest > most || flat > most)) {
            self.judge_flat(still, t_ms, flat);
        }
        if self.active.is_some() {
            return None;
        }
        // A NaN `since` (not flat) fails this comparison.
        if t_ms - self.flat_since >= self.flat_ms {
            // Stuck far from the resting level is a rail we were not told of.
            if (x - base).abs() > 10.0 * sigma {
                return self.start(FaultKind::Railed).map(Verdict::Fault);
            }
            return Some(Verdict::Still {
                range: self.still_range,
            });
        }
        if wild {
            // Far below the baseline for long, and at the ground: no pad
            // swinging but a signal that fell there (a cable out, the
            // sensor's supply gone). It stays railed while it stays there.
            if x <= self.ground {
                return self.start(FaultKind::Railed).map(Verdict::Fault);
            }
            if self.wild_up_ms <= JOLT_MS {
                return Some(self.step_down(x, base));
            }
            return self.start(FaultKind::Wild).map(Verdict::Fault);
        }
        None
    }

    /// How far the signal has lately lain below the baseline (a mean over
    /// about 200 ms), in counts.
    pub(crate) fn below(&self) -> f64 {
        self.below
    }

    /// A sample while the signal lies deep below the baseline: true once it
    /// has for `wild_ms`. Counts the time it spent near or above the
    /// baseline meanwhile (see [`STEP_SIGMA`]).
    #[cold]
    #[inline(never)]
    fn deep(&mut self, t_ms: f64, dt_ms: f64, x: f64, base: f64, sigma: f64) -> bool {
        if self.wild_since.is_nan() {
            self.wild_since = t_ms;
            self.wild_up_ms = 0.0;
        } else if x > base - STEP_SIGMA * sigma {
            self.wild_up_ms += dt_ms;
        }
        t_ms - self.wild_since >= self.wild_ms
    }

    /// Deep below the baseline for `wild_ms` without coming back up: the
    /// baseline stepped down. No fault: the caller moves the baseline to the
    /// level it names.
    #[cold]
    #[inline(never)]
    fn step_down(&mut self, x: f64, base: f64) -> Verdict {
        let level = fmin(x, base - self.below);
        self.wild_since = f64::NAN;
        self.below = 0.0;
        Verdict::StepDown { level }
    }

    /// Takes a verdict on the flat window: still (flat) or not.
    #[inline(never)]
    fn judge_flat(&mut self, still: bool, t_ms: f64, range: f64) {
        self.still = still;
        if self.still {
            self.still_range = range;
            if self.flat_since.is_nan() {
                // The window already covers flat_ms of stillness.
                self.flat_since = t_ms - self.flat_ms;
            }
        } else {
            self.flat_since = f64::NAN;
        }
    }

    /// A [`Verdict::Still`] was a quiet stretch: no fault, and stillness is
    /// judged afresh.
    pub(crate) fn quiet_stretch(&mut self) {
        self.flat_since = f64::NAN;
        self.still = false;
    }

    pub(crate) fn start(&mut self, kind: FaultKind) -> Option<FaultKind> {
        self.active = Some(kind);
        self.sound_since = f64::NAN;
        self.wild_recent.clear();
        self.wild_sorted.clear();
        Some(kind)
    }

    /// While a fault is active: returns it once the signal has been sound for
    /// `fault_clear_ms`. The caller then recalibrates and calls [`Self::reset`].
    pub(crate) fn clears(
        &mut self,
        t_ms: f64,
        x: f64,
        flat_range: Option<f64>,
        sigma: f64,
        railed_since: f64,
    ) -> Option<FaultKind> {
        let kind = self.active?;
        let flat_range = if kind == FaultKind::Wild {
            self.wild_range(t_ms, x, flat_range, sigma)
        } else {
            flat_range
        };
        if let Some(r) = flat_range {
            self.still = r <= self.flat_sigma * sigma;
            self.swinging = r > 2.0 * self.wild_sigma * sigma;
        }
        let bad = match kind {
            FaultKind::Railed => x <= self.ground || x >= self.rail_high || self.still,
            FaultKind::Flat => self.still,
            // The baseline is frozen during a fault, so a re-seated pad at a
            // new level would look wild for ever: judge by spread instead.
            FaultKind::Wild => self.swinging,
        } || !railed_since.is_nan();
        if bad {
            self.sound_since = f64::NAN;
            return None;
        }
        if self.sound_since.is_nan() {
            self.sound_since = t_ms;
        }
        if t_ms - self.sound_since >= self.clear_ms {
            self.reset();
            return Some(kind);
        }
        None
    }

    /// A `Wild` fault clears once the signal stops swinging: the flat
    /// window's range stays under twice `wild_sigma`. A cable jolted at
    /// every step of a walk puts one tall sample in nearly every window,
    /// and a fault begun by a step of the baseline (its drop looks wild
    /// until the baseline follows) then lasted until `WILD_RESET_MS`. So
    /// the range is taken without the window's highest and lowest
    /// `JOLT_MS` of samples (at least one each, when it holds four or
    /// more): a pad peeling off swings for much of the window, a jolt is
    /// brief. Given when a bucket closed (`flat_range` is known), else
    /// `None`.
    #[cold]
    #[inline(never)]
    fn wild_range(&mut self, t: f64, x: f64, flat_range: Option<f64>, sigma: f64) -> Option<f64> {
        // Bounded by time, and by count whatever the times say.
        const KEPT: usize = 2048;
        self.wild_recent.push_back((t, x));
        while self
            .wild_recent
            .front()
            .is_some_and(|&(t0, _)| t - t0 > self.flat_ms)
            || self.wild_recent.len() > KEPT
        {
            self.wild_recent.pop_front();
        }
        let full = flat_range?;
        // Only a window wide enough to keep the fault going needs a second look.
        if full <= 2.0 * self.wild_sigma * sigma || self.wild_recent.len() < 4 {
            return Some(full);
        }
        let n = self.wild_recent.len();
        let k = ((n as f64 * JOLT_MS / self.flat_ms) as usize).clamp(1, (n - 2) / 2);
        self.wild_sorted.clear();
        self.wild_sorted
            .extend(self.wild_recent.iter().map(|&(_, v)| v));
        let sorted = &mut self.wild_sorted;
        let (_, &mut lo, _) = sorted.select_nth_unstable_by(k, f64::total_cmp);
        let (_, &mut hi, _) = sorted.select_nth_unstable_by(n - 1 - k, f64::total_cmp);
        Some(full.min(hi - lo))
    }

    /// Forgets the fault and its timers.
    pub(crate) fn reset(&mut self) {
        self.active = None;
        self.flat_since = f64::NAN;
        self.wild_since = f64::NAN;
        self.below = 0.0;
        self.sound_since = f64::NAN;
        self.still = false;
        self.swinging = false;
    }
}

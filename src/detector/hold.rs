//! A burst held past a blink's length (step 3 of the module docs): a step
//! of the baseline, a long closure (a squeeze) or a smile's plateau, and
//! the blinks on a plateau, which the recorder is told of by `Pause` and
//! `Resume`.

use super::*;

/// A burst whose hold fluctuates less than this many noise units (standard
/// deviation) is a step of the baseline (see `holds_flat`).
const STEP_FLAT_SIGMA: f64 = 0.7;

/// The plateau's level and ripple follow it over these times ...
const PLATEAU_LEVEL_MS: f64 = 300.0;
const PLATEAU_RIPPLE_MS: f64 = 600.0;
/// ... and a burst over it stands this many ripples over its level (and
/// `on_sigma` noise units); it has fallen at half that.
const PLATEAU_BURST_RIPPLES: f64 = 3.0;
/// A burst over a squeeze's hold (see [`PlateauEye::Shut`]) that fell
/// again within this time of its rise, and stood this share of the
/// closure's first burst over the hold, was a blink: the eye was open on
/// the hold, a smile that began with a blink. A squeeze's wavering stays
/// lower: its first burst shut the lid hard. Measured on the tuned seeds
/// 5-8 of both models (the bursts over a hold that fell within that time):
/// squeezes at most 0.40 (0.29 but for one), blinks on smiles 0.63 and up
/// (one at 0.44). A longer burst is the squeeze tightening.
const SQUEEZE_BLINK_MS: f64 = 400.0;
const SQUEEZE_BLINK_SHARE: f64 = 0.5;

/// The hold of a long closure, watched for blinks: a smile's (see
/// `SMILE_FAST_SHARE`), for the blinks on it, which the recorder is told by
/// `Pause` and `Resume`; a squeeze's, for a blink that shows it a smile
/// after all (see `SQUEEZE_BLINK_MS`). Heights over the candidate's
/// reference.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plateau {
    /// The plateau's level and its ripple (mean absolute deviation), both
    /// followed over `PLATEAU_LEVEL_MS` and `PLATEAU_RIPPLE_MS` outside
    /// bursts.
    pub(super) level: f64,
    pub(super) ripple: f64,
    pub(super) eye: PlateauEye,
    /// The height of the burst that began the closure, and when the eye is
    /// open after it if the closure is a smile.
    pub(super) first_h: f64,
    pub(super) first_open: f64,
    /// The sample before.
    pub(super) last_t: f64,
}

/// The eye on a smile's plateau, as the recorder was told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PlateauEye {
    /// Shut, and open again from this time once a sample reaches it.
    OpenFrom(f64),
    /// Open: the `Pause` is out.
    Open,
    /// A burst over the plateau is up (a blink on the smile).
    Burst,
    /// Shut: a squeeze, as judged so far, so the recorder keeps every
    /// frame. A blink on its hold (see `SQUEEZE_BLINK_MS`) would show it a
    /// smile that began with a blink, the eye open from `first_open`.
    Shut,
    /// A burst over a squeeze's hold, up since `rose` (the sample before it
    /// rose), `top` over the plateau at its tallest so far.
    ShutBurst { rose: f64, top: f64 },
}

impl BlinkDetector {
    /// One more sample of a long closure's hold (height `h` over its
    /// reference, noise `s`). On a smile's plateau: tells the recorder when
    /// the eye is open (`Pause`) and when a burst over it shuts it again
    /// (`Resume`). On a squeeze's: watches for a blink, which shows it a
    /// smile.
    #[cold]
    #[inline(never)]
    pub(super) fn watch_plateau(&mut self, t: f64, h: f64, s: f64) {
        let (on_sigma, reopen_ms) = (self.cfg.on_sigma, self.cfg.reopen_ms);
        let Some(p) = &mut self.plateau else { return };
        let dt = t - p.last_t;
        p.last_t = t;
        let over = h - p.level;
        let burst = over >= PLATEAU_BURST_RIPPLES * p.ripple && over >= on_sigma * s;
        let fallen = over < 0.5 * PLATEAU_BURST_RIPPLES * p.ripple;
        // What to tell the recorder, in this order (kept as times: an event
        // is large, and this runs on every sample of a long closure).
        let (mut pause, mut resume) = (None, None);
        match p.eye {
            PlateauEye::Burst => {
                if fallen {
                    p.eye = PlateauEye::OpenFrom(t + reopen_ms);
                }
            }
            PlateauEye::ShutBurst { rose, top } if fallen => {
                p.eye = if t - rose <= SQUEEZE_BLINK_MS && top >= SQUEEZE_BLINK_SHARE * p.first_h {
                    // A blink on the hold: the eye was open before it, a
                    // smile after all. Open from the first burst's end, shut
                    // for this blink, which is over.
                    pause = Some(p.first_open.min(rose));
                    resume = Some(rose);
                    PlateauEye::OpenFrom(t + reopen_ms)
                } else {
                    // The squeeze wavered or tightened: still shut.
                    PlateauEye::Shut
                };
            }
            PlateauEye::ShutBurst { rose, top } => {
                p.eye = PlateauEye::ShutBurst {
                    rose,
                    top: top.max(over),
                };
            }
            // The lid began to close as the burst rose, after the sample
            // before.
            PlateauEye::Open if burst => {
                resume = Some(t - dt);
                p.eye = PlateauEye::Burst;
            }
            PlateauEye::Shut if burst => {
                p.eye = PlateauEye::ShutBurst {
                    rose: t - dt,
                    top: over,
                };
            }
            PlateauEye::OpenFrom(_) if burst => p.eye = PlateauEye::Burst,
            PlateauEye::Open | PlateauEye::Shut | PlateauEye::OpenFrom(_) => {
                let a = (dt / PLATEAU_LEVEL_MS).min(1.0);
                let b = (dt / PLATEAU_RIPPLE_MS).min(1.0);
                p.ripple += b * (over.abs() - p.ripple);
                p.level += a * over;
                if let PlateauEye::OpenFrom(at) = p.eye {
                    if t >= at {
                        pause = Some(at);
                        p.eye = PlateauEye::Open;
                    }
                }
            }
        }
        if let Some(t_ms) = pause {
            self.emit(Event::Pause { t_ms });
        }
        if let Some(onset_ms) = resume {
            self.emit(Event::Resume {
                onset_ms,
                detected_ms: t,
            });
        }
    }

    /// Mean and variance of the hold's heights (see `Candidate::hold_n`).
    pub(super) fn hold_stats(c: &Candidate) -> (f64, f64) {
        let mean = c.hold_sum / c.hold_n;
        (mean, c.hold_sq / c.hold_n - mean * mean)
    }

    /// The burst's hold (its samples past `rise_ms`) fluctuates far less
    /// than the noise: an offset that stepped and stayed. A deliberate
    /// closure's squeeze is muscle activity, which makes the envelope
    /// fluctuate at least as much as at rest; a step carries only the
    /// sensor's own noise, and the noise level learned while walking also
    /// carries the wander of the steps before it.
    pub(super) fn holds_flat(c: &Candidate) -> bool {
        let (mean, var) = Self::hold_stats(c);
        c.hold_n >= 3.0
            && (var < (STEP_FLAT_SIGMA * c.sigma).powi(2)
                || var < (STEP_LEVEL_SIGMA * c.sigma).powi(2)
                    && c.fast_h >= STEP_RISE_SHARE * mean
                    && c.early_h <= mean + STEP_OVER_SIGMA * c.sigma)
    }

    /// A blink on a step of the baseline (walking: a pad shifts): a long
    /// closure (it rose like a blink) whose hold, over the
    /// `BLINK_STEP_LOOK_MS` after `blink_ms` (the burst's tail gone by
    /// then), is as still as the resting signal and low, and the step
    /// was there at once. A squeeze holds higher (the second model's at 13
    /// noise units or more) or wavers (synth's tonic). Also asked of a
    /// burst whose hold up to `blink_ms` was flat (see `track`): a blink
    /// that came with the step. Returns when the blink fell: where it first
    /// fell below `DROP_SHARE` of its peak, else `BLINK_FALL_PER_RISE` times
    /// its rise after its peak. A cable tug in the hold is left out of it
    /// (`hold_without_tug`).
    pub(super) fn blink_on_step(c: &Candidate) -> Option<f64> {
        let (mean, var) = Self::hold_without_tug(c);
        (c.hold_n >= 3.0
            && var < (BLINK_STEP_SD * c.sigma).powi(2)
            && mean < BLINK_STEP_LEVEL * c.sigma
            && c.fast_h >= STEP_RISE_SHARE * mean
            && c.early_h > mean + STEP_OVER_SIGMA * c.sigma)
            // If it never fell that far, the step under it stands higher:
            // a blink's burst falls about twice as slowly as it rose. If
            // it did, the first time: the step's own noise may cross the
            // line again and again.
            .then(|| Self::blink_end(c))
    }

    /// When a burst fell: where it first fell to `DROP_SHARE` of its peak,
    /// else `BLINK_FALL_PER_RISE` times its rise after its peak.
    pub(super) fn blink_end(c: &Candidate) -> f64 {
        if c.first_drop_t.is_nan() {
            c.peak_t + BLINK_FALL_PER_RISE * (c.peak_t - c.rose_ms).max(0.0)
        } else {
            c.first_drop_t
        }
    }

    /// Mean and variance of the hold (see `hold_stats`), a cable tug in it
    /// (walking) left out: its highest sample, if it stands
    /// `BLINK_STEP_TUG_SIGMA` noise units over the mean of the rest.
    pub(super) fn hold_without_tug(c: &Candidate) -> (f64, f64) {
        if c.hold_n >= 4.0 {
            let n = c.hold_n - 1.0;
            let m = (c.hold_sum - c.hold_max) / n;
            if c.hold_max - m > BLINK_STEP_TUG_SIGMA * c.sigma {
                return (m, (c.hold_sq - c.hold_max * c.hold_max) / n - m * m);
            }
        }
        Self::hold_stats(c)
    }

    /// Drops the candidate, which rose and stayed (a smile, a step): no
    /// beat of a rhythm either.
    pub(super) fn retract_plateau(&mut self, t: f64) {
        if let Some(c) = &self.candidate {
            self.plateaus |= 1 << c.slot;
        }
        self.retract(t);
    }
}

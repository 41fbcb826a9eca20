//! A candidate, from its onset to its verdict (steps 2 to 4 of the module
//! docs): the onset test's follow-up, the burst followed sample by sample,
//! its width, height and rise, and the decision when it falls.

use super::*;

/// A long closure rose like a blink: within `rise_ms` it reached this share
/// of its highest point so far.
const LONG_EARLY_SHARE: f64 = 0.6;

/// Not for a wearer whose typical blink stands this many times
/// `closure_sigma` or more (11 noise units by default): their blinks need no
/// lower bar, and a burst held just over it while they talk is a syllable
/// (the second model's talking 0.928 -> 0.942, 0.891 -> 0.911 on seeds never
/// tuned on; 1.6 gained more but lost talking blinks in the appliance).
const SUSTAIN_TALL_TYPICAL: f64 = 2.0;

/// Two bursts taller than this many typical blinks within `ERRATIC_MS`
/// are a pad peeling off (or a cable jerked about), not blinks.
const ERRATIC_TYPICAL: f64 = 3.0;
const ERRATIC_MS: f64 = 1500.0;
/// A burst that begins while the signal has lately been this many noise
/// units below the baseline on average (the wild test's measure), or falls
/// this far below it, comes from a pad peeling off: muscle activity only
/// adds to a rectified envelope.
const PEEL_BELOW_SIGMA: f64 = 2.0;
const PEEL_DEPTH_SIGMA: f64 = 6.0;

/// When the wearer's typical blink is small (pads placed poorly, a faint
/// muscle), the bar's noise part (`closure_sigma`) is at most this share
/// of it, but never below `closure_sigma` less `WEAK_GATE_LESS` noise
/// units (4 by default; never below half of it): a typical blink of 6
/// noise units puts the bar at 4.5, not 5.5. Strong blinks leave the bar
/// as it is. (Synth weak 0.699 -> 0.736, 6 other seeds of 20 min 0.675 ->
/// 0.701; elsewhere within 0.004; 0.8 gained less, 0.7 cost talking.)
const WEAK_TYPICAL_SHARE: f64 = 0.75;
const WEAK_GATE_LESS: f64 = 1.5;
/// A long closure ends at this share of the off level.
const LONG_OFF_SHARE: f64 = 0.5;

/// A blink on a smile's rise began (the lid started to close) this long
/// before the peak it fell from: the smile's rise before that is filmed
/// no more than the plateau after it.
const BLINK_PEAK_MS: f64 = 150.0;

/// A double blink: the burst fell to this share of its peak ...
const SPLIT_VALLEY_SHARE: f64 = 0.5;
/// ... and rose again by this share of it (and by `on_sigma`), sharply:
/// within this time of the valley, or half of it in the last sample (the
/// tonic squeeze after a deliberate closure's first burst rises slowly).
const SPLIT_RISE_MS: f64 = 100.0;
const SPLIT_RISE_SHARE: f64 = 0.4;

/// A burst only one sample wide at half height and taller than this many
/// typical blinks is a cable tug: a blink that narrow is an ordinary one.
const LONE_PEAK_TYPICAL: f64 = 2.0;
/// A burst one sample wide (at 25 Hz) is a blink, not a spike, if no spike
/// that stood at a blink's bar (a flicker of noise under it is no tug: the
/// third model's calm wearer lost blinks to them) came for this long before
/// it (tugs come in runs; on synth's seeds 10-16,
/// 10 s let walking's tugs in, 60 s kept some of drift's and pad-off's
/// narrow blinks out) ...
const NARROW_BLINK_QUIET_MS: f64 = 30_000.0;
/// ... and it stands between these shares of the wearer's typical blink.
const NARROW_BLINK_TYPICAL: (f64, f64) = (0.6, 1.6);
/// ... and at least this many noise units over its floor. A wearer whose
/// blinks barely clear the noise has noise peaks one sample wide that stand
/// like their blinks: one sample tells nothing there (synth's weak wearer,
/// seed 10, lost 4 points of its frames to them once flickers no longer
/// kept the rule off).
const NARROW_BLINK_SIGMA: f64 = 6.0;
/// Where samples come far apart (25 Hz), a burst amid a rhythm (chewing,
/// speech) that is narrower at half height than this share of the
/// rhythm's bursts (the median of the three before it), and at least as
/// tall as them, is no beat of it: a chew is a longer contraction than a
/// blink. It faces the bar of a burst with no rhythm behind it. At 25 Hz a
/// burst wider than two samples reads two samples wide, as most chews do:
/// the share asks for under 1.4 samples. Where samples come closer, widths
/// are measured finely, and the models' chews vary in width too much for
/// it (see the notebook, "A narrow burst amid a meal").
const NARROW_IN_RHYTHM_SHARE: f64 = 0.7;
/// Where samples come far apart and a one-sample burst came within
/// `NARROW_RUN_MS` (a run of tugs: walking), a burst's neighbours are taken
/// this many noise units lower when its width is measured. A jolt one
/// sample wide stands on neighbours that are only noise, and noise a
/// fifth of its height made it read 46-54 ms wide, just over a spike's
/// 1.15 samples; a blink's neighbours stand on its own burst.
const RUN_NEIGHBOUR_SIGMA: f64 = 1.0;
/// Where samples come close (50 Hz and above), a burst that rose by
/// `SHARP_EDGE_SHARE` of its height from one sample to the next, and fell
/// by as much, has square edges: a jolt, not a muscle, even when it is as
/// wide as a narrow blink (a cable jolt lasting 40 ms, flat on top, is 4
/// samples wide at 100 Hz: the third model's walking wearer lost F1
/// 0.41-0.48 at 50 and 100 Hz to them). A blink's envelope rises and falls
/// over tens of ms: a raised-cosine burst 80 ms wide changes by at most
/// 0.38 of its height in 10 ms. Where samples come further apart than this
/// (ms), it changes by up to 0.71 in a sample (at 50 Hz), and with the
/// noise on top a narrow blink may look as square as a jolt two samples
/// wide: there a square burst is judged as one a sample wide is at 25 Hz
/// (a blink if it stands like the wearer's and no tug came lately: see
/// `NARROW_BLINK_QUIET_MS`).
const SHARP_STEP_MS: f64 = 15.0;
/// On synth's and the third model's calm and weak wearers at 100 Hz no
/// blink rose and fell by this share of its height (over its floor) in a
/// sample (rises up to 0.81, falls up to 0.56); a jolt, with noise on its
/// flat top, by 0.68 and more ...
const SHARP_EDGE_SHARE: f64 = 0.6;
/// ... and its width at half height is under this (ms).
const SHARP_WIDTH_MS: f64 = 60.0;
/// A square burst whose other samples stood this share of its peak has a
/// flat top: a jolt lasting several samples, no tug on a blink.
const FLAT_TOP_SHARE: f64 = 0.5;
/// A spike with a blink under it: that burst stayed above the off level for
/// at least this many sample periods ...
const TUGGED_SAMPLES: f64 = 2.5;
/// ... and at least this long (ms): at 100 Hz a tug's own tail lasts 2.5
/// samples (25 ms) and more, and its neighbour sample stands nearly as tall
/// as it; at 25 Hz (2.5 samples of 36 ms or more) this changes nothing.
const TUGGED_MS: f64 = 90.0;
/// ... and it rose from near the baseline: not out of a swing this many
/// noise units below it (a pad coming loose).
const TUGGED_BELOW_SIGMA: f64 = 2.9;

/// A burst being watched: its `Onset` is out, the verdict is not.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    pub(super) onset_ms: f64,
    pub(super) detected_ms: f64,
    /// When the rise crossed the off level (interpolated).
    pub(super) rose_ms: f64,
    /// The floor it rose from (frozen while it lasts).
    pub(super) reference: f64,
    /// The noise when it started (frozen too).
    pub(super) sigma: f64,
    pub(super) peak_h: f64,
    pub(super) peak_t: f64,
    /// The tallest sum of two neighbouring heights (see `BlinkDetector::refresh_pair_bar`).
    pub(super) pair_h: f64,
    /// Highest point besides the peak's own sample: the burst under a
    /// cable tug that landed on it.
    pub(super) runner_h: f64,
    /// The samples either side of the peak (post: NaN until seen), for the width.
    pub(super) pre_h: f64,
    pub(super) pre_t: f64,
    pub(super) post_h: f64,
    pub(super) post_t: f64,
    /// Highest point within `rise_ms` of the decision.
    pub(super) early_h: f64,
    /// Highest point within `STEP_RISE_MS` of the decision.
    pub(super) fast_h: f64,
    /// Lowest point since the peak (double blinks).
    pub(super) valley_h: f64,
    pub(super) valley_t: f64,
    /// The previous sample inside the burst.
    pub(super) last_h: f64,
    pub(super) last_t: f64,
    /// Longer than `blink_ms` and rose like a blink: a long closure.
    pub(super) long: bool,
    /// Stayed `SUSTAIN_SHARE * on_sigma` above its reference for `SUSTAIN_MS`: a
    /// weak blink need not reach `closure_sigma`.
    pub(super) sustained: bool,
    pub(super) above_since: f64,
    /// When it last fell below `DROP_SHARE` of its peak (NaN: it is above).
    pub(super) drop_t: f64,
    /// When it first did, since its peak (NaN: not yet).
    pub(super) first_drop_t: f64,
    /// Next to signal far below the baseline (a pad peeling off).
    pub(super) deep: bool,
    /// A squeeze (see `track`): when it dipped below the off level (NaN:
    /// it is above).
    pub(super) dip_t: f64,
    /// ... and since when it has been back up (NaN: it is not).
    pub(super) back_t: f64,
    /// Median height of the bursts that came rhythmically before it
    /// (chewing, talking); 0 if they did not.
    pub(super) context_h: f64,
    /// Its slot in the burst history.
    pub(super) slot: usize,
    /// How much busier than at rest the face was when it began, to the
    /// power 1.5 (at least 1): what the bar is multiplied by.
    pub(super) busy: f64,
    /// The samples past `rise_ms` (the hold): count, sum and sum of squares
    /// of their heights, for how much the hold fluctuates. Restarted when
    /// it becomes a long closure, for the second look of `blink_on_step`;
    /// the count is -infinity once that was taken.
    pub(super) hold_n: f64,
    pub(super) hold_sum: f64,
    pub(super) hold_sq: f64,
    /// The hold's highest height (a cable tug, see `hold_without_tug`).
    pub(super) hold_max: f64,
    /// The largest share of its running peak the burst fell by before it
    /// was long: a blink on a smile's rise shows as such a fall; and when
    /// the peak it fell from stood.
    pub(super) rise_fall: f64,
    pub(super) rise_fall_t: f64,
    /// When the run of bursts it belongs to began: a burst that rose out
    /// of the last one's valley (see `track`) carries its reference on.
    pub(super) chain_ms: f64,
}

/// When the line from `(t0, h0)` to `(t1, h1)` crosses `level`.
fn crossing((t0, h0): (f64, f64), (t1, h1): (f64, f64), level: f64) -> f64 {
    t0 + (level - h0) / (h1 - h0) * (t1 - t0)
}

/// Rises kept for the width (see [`Beside`]); a power of two.
const WIDTH_RING: usize = 32;

/// What the candidate's width at half height needs (see
/// [`Beside::width`]): the samples of its rise that set a new peak (the
/// last [`WIDTH_RING`]), and when it first fell back below half its peak.
/// Kept beside the [`Candidate`], not in it: a larger candidate is copied
/// by a call to `memcpy`.
#[derive(Debug, Clone)]
pub(super) struct Beside {
    pub(super) rise_t: [f64; WIDTH_RING],
    pub(super) rise_h: [f64; WIDTH_RING],
    /// Samples written to the ring (the newest at `(n - 1) % WIDTH_RING`).
    pub(super) n: usize,
    /// The height the width is measured from (see `SPIKE_LIFT_SHARE`).
    pub(super) lift: f64,
    /// When it fell below half its peak since the peak (NaN: not yet).
    pub(super) fell_half_t: f64,
    /// The largest rise from one new peak to the next (on a steady rise,
    /// one sample to the next), and the largest fall from one sample to
    /// the next after a peak: a jolt's edges (see `SHARP_EDGE_SHARE`).
    pub(super) rise_step: f64,
    pub(super) fall_step: f64,
    /// When the rise before the candidate's first sample came, if it was
    /// the largest (see `BlinkDetector::edge`; NaN: it was not).
    pub(super) edge_t: f64,
}

impl Beside {
    pub(super) fn new() -> Self {
        Beside {
            rise_t: [f64::NAN; WIDTH_RING],
            rise_h: [f64::NAN; WIDTH_RING],
            n: 0,
            lift: 0.0,
            fell_half_t: f64::NAN,
            rise_step: 0.0,
            fall_step: 0.0,
            edge_t: f64::NAN,
        }
    }

    /// A new candidate: the sample before it and its first, heights over
    /// its reference; its width measured from `lift`.
    pub(super) fn restart(&mut self, lift: f64, (prev_t, prev_h): (f64, f64), (t, h): (f64, f64)) {
        self.n = 0;
        self.lift = lift;
        self.fell_half_t = f64::NAN;
        self.rise_step = 0.0;
        self.fall_step = 0.0;
        self.edge_t = f64::NAN;
        self.rose(prev_t, prev_h);
        self.rose(t, h);
    }

    /// A sample that set a new peak.
    pub(super) fn rose(&mut self, t: f64, h: f64) {
        if self.n > 0 {
            let last = self.rise_h[(self.n - 1) % WIDTH_RING];
            self.rise_step = baseline::fmax(self.rise_step, h - last);
        }
        let i = self.n % WIDTH_RING;
        self.rise_t[i] = t;
        self.rise_h[i] = h;
        self.n += 1;
        self.fell_half_t = f64::NAN;
    }

    /// A sample `(t, h)` after the peak, the one before it `(last_t, last_h)`:
    /// the first below half the peak is where it fell (interpolated).
    pub(super) fn fell(&mut self, peak_h: f64, (last_t, last_h): (f64, f64), (t, h): (f64, f64)) {
        self.fall_step = baseline::fmax(self.fall_step, last_h - h);
        if !self.fell_half_t.is_nan() {
            return;
        }
        let half = self.lift + 0.5 * (peak_h - self.lift);
        if h < half {
            self.fell_half_t = if last_h > half && last_t < t {
                crossing((last_t, last_h), (t, h), half)
            } else {
                t
            };
        }
    }

    /// Whether a burst of peak `peak_h` rose and fell like a jolt: by most
    /// of its height from one sample to the next, both ways, and brief
    /// (see `SHARP_EDGE_SHARE`).
    pub(super) fn sharp(&self, peak_h: f64) -> bool {
        // A rise that came before the candidate's first sample: its
        // width runs from there.
        let width = if self.edge_t.is_nan() {
            self.width(peak_h)
        } else {
            self.fell_half_t - self.edge_t
        };
        self.rise_step >= SHARP_EDGE_SHARE * peak_h
            && self.fall_step >= SHARP_EDGE_SHARE * peak_h
            && width <= SHARP_WIDTH_MS
    }

    /// Width at half the peak `peak_h` (heights over the reference, taken
    /// from `lift`): from where the rise crossed it (within the ring) to
    /// where it fell back; infinity if either is not seen (a rise longer
    /// than the ring, a burst that never fell that far).
    pub(super) fn width(&self, peak_h: f64) -> f64 {
        let half = self.lift + 0.5 * (peak_h - self.lift);
        let kept = self.n.min(WIDTH_RING);
        // Newest first: the newest is the peak.
        for k in 1..kept {
            let i = (self.n - 1 - k) % WIDTH_RING;
            if self.rise_h[i] < half {
                let j = (self.n - k) % WIDTH_RING;
                let (below, above) = (
                    (self.rise_t[i], self.rise_h[i]),
                    (self.rise_t[j], self.rise_h[j]),
                );
                let left = if above.1 > below.1 {
                    crossing(below, above, half)
                } else {
                    above.0
                };
                // NaN (not fallen yet) reads as infinitely wide.
                return if self.fell_half_t.is_nan() {
                    f64::INFINITY
                } else {
                    self.fell_half_t - left
                };
            }
        }
        f64::INFINITY
    }
}

impl BlinkDetector {
    /// The floor a blink must rise above: the recent minimum, but never far
    /// below the baseline (a downward spike must not make the next ordinary
    /// sample look like a rise).
    #[inline]
    pub(super) fn floor(&self) -> f64 {
        baseline::fmax(
            self.window_floor,
            self.level.base - 3.0 * self.level.sigma(),
        )
    }

    /// A fast rise: announce it at once (`Onset`), judge it later.
    pub(super) fn open(
        &mut self,
        t: f64,
        x: f64,
        prev_t: f64,
        prev_x: f64,
        floor: f64,
        sigma: f64,
    ) {
        // Onset estimate: where the rise crossed the off level, interpolated
        // between the previous sample and this one, minus the lead of the
        // lid over the envelope.
        let level = floor + self.cfg.off_sigma * sigma;
        let crossed = if prev_x < level && x > prev_x && t > prev_t {
            prev_t + (level - prev_x) / (x - prev_x) * (t - prev_t)
        } else {
            prev_t
        };
        let mut onset = (crossed - self.cfg.onset_lead_ms).min(t);
        if let Some(p) = self.pending.take() {
            let off = onset.min(p.closure.offset_ms).max(p.fell_ms);
            self.finalize(p.closure, off, t, p.first);
            self.refresh_due();
        }
        onset = onset.max(self.last_offset_ms).min(t);

        let (context_h, _) = self.rhythm_context(t);
        let slot = self.bursts_next;
        self.bursts[slot] = (t, 0.0);
        self.burst_widths[slot] = f64::NAN;
        self.plateaus &= !(1 << slot);
        self.bursts_next = (slot + 1) % RHYTHM_KEPT;

        let h = x - floor;
        let level_s = SUSTAIN_SHARE * self.cfg.on_sigma * sigma;
        let since = match (h >= level_s, prev_x - floor >= level_s) {
            (false, _) => f64::NAN,
            (true, true) => prev_t,
            (true, false) => t,
        };
        if self.fine_widths {
            self.beside
                .restart(self.spike_lift(floor), (prev_t, prev_x - floor), (t, h));
            // The onset test looked at the smoothed signal: the burst's
            // first rise may lie a few samples back.
            if self.edge.0 > self.beside.rise_step {
                self.beside.rise_step = self.edge.0;
                self.beside.edge_t = self.edge.1;
            }
        }
        self.candidate = Some(Candidate {
            onset_ms: onset,
            detected_ms: t,
            rose_ms: crossed.min(t),
            reference: floor,
            sigma,
            peak_h: h,
            peak_t: t,
            runner_h: f64::NEG_INFINITY,
            pre_h: prev_x - floor,
            pre_t: prev_t,
            pair_h: h + (prev_x - floor),
            post_h: f64::NAN,
            post_t: f64::NAN,
            early_h: h,
            fast_h: h,
            valley_h: h,
            valley_t: t,
            last_h: h,
            last_t: t,
            long: false,
            sustained: t - since >= SUSTAIN_MS,
            above_since: since,
            drop_t: f64::NAN,
            first_drop_t: f64::NAN,
            deep: self.faults.below() > PEEL_BELOW_SIGMA * sigma,
            dip_t: f64::NAN,
            back_t: f64::NAN,
            context_h,
            slot,
            busy: {
                // At rest (most onsets) the ratio is below 1 by far more
                // than any rounding: no square roots needed for the 1.
                let rest = self.rest_spread * sigma;
                if self.spread.var() < 0.999 * rest * rest {
                    1.0
                } else {
                    let r = (self.spread.sd() / rest).max(1.0);
                    r * r.sqrt()
                }
            },
            hold_n: 0.0,
            hold_sum: 0.0,
            hold_sq: 0.0,
            hold_max: f64::NEG_INFINITY,
            rise_fall: 0.0,
            rise_fall_t: f64::NAN,
            chain_ms: t,
        });
        self.state = State::Rising;
        self.emit(Event::Onset {
            onset_ms: onset,
            detected_ms: t.max(self.calibrated_ms),
        });
        if self.held.is_some() {
            self.settle_held(t, false);
        }
    }

    /// Follows a candidate through one more sample. The candidate is
    /// updated in place: a copy in and out would move all its fields on
    /// every sample of a burst.
    pub(super) fn track(&mut self, t: f64, x: f64) {
        let cfg = &self.cfg;
        let (off_sigma, on_sigma, rise_ms) = (cfg.off_sigma, cfg.on_sigma, cfg.rise_ms);
        let blink_ms = cfg.blink_ms;
        let base = self.level.base;
        let Some(c) = &mut self.candidate else { return };
        let h = x - c.reference;
        let s = c.sigma;
        // A long closure is held by a tonic squeeze that wavers and may be
        // weak: it ends at half the usual off level.
        let off = if c.long { LONG_OFF_SHARE } else { 1.0 } * off_sigma * s;
        // A squeeze holding the lid shut wavers. Once it has dipped below
        // the off level (at `dip_t`) the closure ended there, unless the
        // squeeze is back within `LONG_DIP_MS`: held `LONG_BACK_SIGMA` over
        // the floor for `SUSTAIN_MS`. A sharp burst out of the dip is a
        // blink of its own (after the closure, or amid a smile that passed
        // for one).
        if !c.dip_t.is_nan() {
            let fell = c.dip_t;
            if h >= (on_sigma * s).max(SPLIT_RISE_SHARE * c.peak_h) {
                let (reference, prev_t, prev_x) = (c.reference, c.last_t, c.last_h + c.reference);
                self.decide(fell, t);
                self.open(t, x, prev_t, prev_x, reference, s);
                return;
            }
            if h < LONG_BACK_SIGMA * s {
                c.back_t = f64::NAN;
            } else if c.back_t.is_nan() {
                c.back_t = t;
            }
            if c.back_t.is_nan() || t - c.back_t < SUSTAIN_MS {
                if t - fell >= LONG_DIP_MS || t - c.onset_ms >= self.cfg.max_closure_ms {
                    self.decide(fell, t);
                } else {
                    c.last_h = h;
                    c.last_t = t;
                }
                return;
            }
            c.dip_t = f64::NAN;
            c.back_t = f64::NAN;
        }
        if h < off {
            if x < base - PEEL_DEPTH_SIGMA * s {
                c.deep = true;
            }
            // Fell: interpolate the crossing of the off level.
            let fell = if c.last_h > off && c.last_h > h {
                c.last_t + (c.last_h - off) / (c.last_h - h) * (t - c.last_t)
            } else {
                t
            };
            if c.post_t.is_nan() {
                c.post_h = h;
                c.post_t = t;
            }
            if self.fine_widths {
                self.beside.fell(c.peak_h, (c.last_t, c.last_h), (t, h));
            }
            // A squeeze: a long closure, or a burst that rose like a blink
            // and is still held well past `rise_ms`, away from rhythms and a
            // busy face (where bursts follow one another closely).
            let holding = c.long
                || (t - c.detected_ms > rise_ms + LONG_DIP_MS
                    && c.context_h == 0.0
                    && c.busy <= 1.0
                    && c.early_h >= LONG_EARLY_SHARE * c.peak_h);
            if holding && t - fell < LONG_DIP_MS && t - c.onset_ms < self.cfg.max_closure_ms {
                c.dip_t = fell;
                c.last_h = h;
                c.last_t = t;
                return;
            }
            self.decide(fell, t);
            return;
        }
        // A second burst: the first fell well back, then this one rose
        // sharply (a double blink, a blink after a chew). Judged against the
        // burst so far, before this sample can become its new peak.
        // Tested in the order that fails soonest: while the burst rises,
        // its valley is its peak.
        let rise = h - c.valley_h;
        if !c.long
            && c.valley_h <= SPLIT_VALLEY_SHARE * c.peak_h
            && (t - c.valley_t <= SPLIT_RISE_MS || c.last_h - c.valley_h <= 0.5 * rise)
            && rise >= (on_sigma * s).max(SPLIT_RISE_SHARE * c.peak_h)
        {
            let (reference, prev_t, prev_x) = (c.reference, c.valley_t, c.valley_h + c.reference);
            let chain = c.chain_ms;
            // A run of bursts, each rising out of the last one's valley,
            // for longer than a blink's, and the floor of late stands
            // over the one they were measured from: the signal never came
            // back down to it. It stepped up while a cable jolted at every
            // step of a walk, each jolt keeping the burst before it from
            // falling: from here they are measured from the floor of late.
            // Only where samples come 40 ms apart: where they come close,
            // a smile's ripple splits like this too, and measured from its
            // plateau the blinks on it were lost (held-out smiling at 50
            // and 860 Hz fell by 0.005-0.007).
            let floor = self.floor();
            let (reference, chain) =
                if !self.fine_widths && t - chain > blink_ms && floor > reference + off_sigma * s {
                    (floor, t)
                } else {
                    (reference, chain)
                };
            self.decide(prev_t, t);
            self.open(t, x, prev_t, prev_x, reference, s);
            if let Some(c) = &mut self.candidate {
                c.chain_ms = chain;
            }
            return;
        }
        c.pair_h = baseline::fmax(c.pair_h, h + c.last_h);
        // Once long, the blink that began it keeps its peak: what comes
        // later is the squeeze, or a cable tug on a step under the blink
        // (see `blink_on_step`), which must not stand as the blink.
        if h > c.peak_h && !c.long {
            c.runner_h = baseline::fmax(c.runner_h, c.peak_h);
            if self.fine_widths {
                self.beside.rose(t, h);
            }
            c.pre_h = c.last_h;
            c.pre_t = c.last_t;
            c.peak_h = h;
            c.peak_t = t;
            c.post_t = f64::NAN;
            c.first_drop_t = f64::NAN;
            c.valley_h = h;
            c.valley_t = t;
        } else {
            c.runner_h = baseline::fmax(c.runner_h, h);
            if c.post_t.is_nan() {
                c.post_h = h;
                c.post_t = t;
            }
            if self.fine_widths {
                self.beside.fell(c.peak_h, (c.last_t, c.last_h), (t, h));
            }
            if h < c.valley_h {
                c.valley_h = h;
                c.valley_t = t;
                if !c.long && c.peak_h - h > c.rise_fall * c.peak_h {
                    c.rise_fall = (c.peak_h - h) / c.peak_h;
                    c.rise_fall_t = c.peak_t;
                }
            }
        }
        if t - c.detected_ms <= STEP_RISE_MS {
            c.fast_h = baseline::fmax(c.fast_h, h);
        }
        if t - c.detected_ms <= rise_ms {
            c.early_h = c.early_h.max(h);
        } else {
            c.hold_n += 1.0;
            c.hold_sum += h;
            c.hold_sq += h * h;
            c.hold_max = baseline::fmax(c.hold_max, h);
        }
        let drop = DROP_SHARE * c.peak_h;
        if h >= drop {
            c.drop_t = f64::NAN;
        } else if c.drop_t.is_nan() && c.last_h >= drop && c.last_h > h {
            c.drop_t = c.last_t + (c.last_h - drop) / (c.last_h - h) * (t - c.last_t);
            c.first_drop_t = baseline::fmin(c.first_drop_t, c.drop_t);
        }
        if h < SUSTAIN_SHARE * on_sigma * s {
            c.above_since = f64::NAN;
        } else if c.above_since.is_nan() {
            c.above_since = t;
        } else if t - c.above_since >= SUSTAIN_MS {
            c.sustained = true;
        }
        c.last_h = h;
        c.last_t = t;
        let since = t - c.detected_ms;
        let (long, early_h, peak_h, onset_ms) = (c.long, c.early_h, c.peak_h, c.onset_ms);
        // Judged as the burst stood before this sample could make it a long
        // closure (which then shows from the next sample on).
        let closed = c.long || (!c.post_t.is_nan() && c.post_h >= on_sigma * s);
        if long && self.plateau.is_some() {
            self.watch_plateau(t, h, s);
        }

        if !long && since >= self.cfg.blink_ms {
            if self.candidate.as_ref().is_some_and(Self::holds_flat) {
                // A step of the baseline, not a squeeze; but a blink may
                // have come with it (a pad shifts as the lid shuts).
                let on_step = self.candidate.as_ref().and_then(|c| {
                    let fell = Self::blink_on_step(c)?;
                    let (step, _) = Self::hold_stats(c);
                    (c.peak_t - c.detected_ms <= rise_ms && c.peak_h - step >= self.gate(c))
                        .then_some(fell)
                });
                if let Some(fell) = on_step {
                    self.decide(fell.min(t), t);
                    // The step is the baseline from now, as after a step
                    // alone: a baseline left to creep up to it counts the
                    // step as noise meanwhile. (After a long closure's
                    // look, below, the same reseed measured worse.)
                    self.level.reseed(x);
                    return;
                }
                self.step_stayed(t, x);
                return;
            }
            if early_h >= LONG_EARLY_SHARE * peak_h
                && self
                    .candidate
                    .as_ref()
                    .is_some_and(|c| peak_h >= self.gate(c))
            {
                let reopen_ms = self.cfg.reopen_ms;
                let mut blink_on_rise = None;
                if let Some(c) = &mut self.candidate {
                    let (mean, var) = Self::hold_stats(c);
                    self.plateau = None;
                    // Open again once the burst that began it fell (if it
                    // was a blink; else its tallest point so far).
                    let open = (Self::blink_end(c) + reopen_ms).min(t);
                    let eye = if c.fast_h >= SMILE_FAST_SHARE * mean {
                        // A squeeze, unless a blink on its hold says
                        // otherwise.
                        PlateauEye::Shut
                    } else if c.rise_fall < SMILE_RISE_BLINK_FALL {
                        // A rise that never fell back by a blink's share
                        // held no blink: the eye never shut in it.
                        PlateauEye::OpenFrom(c.onset_ms)
                    } else {
                        // A blink on the rise: the eye was open on the rise
                        // before it too.
                        let from = c.rise_fall_t - BLINK_PEAK_MS;
                        if from > c.onset_ms {
                            blink_on_rise = Some((c.onset_ms, from));
                        }
                        PlateauEye::OpenFrom(open)
                    };
                    self.plateau = Some(Plateau {
                        level: mean,
                        ripple: (0.8 * var.max(0.0).sqrt()).max(0.8 * c.sigma),
                        eye,
                        first_h: c.peak_h,
                        first_open: open,
                        last_t: t,
                    });
                    c.long = true;
                    // The hold is looked at again once the burst's tail is
                    // long gone (see `blink_on_step`): from here on.
                    c.hold_n = 0.0;
                    c.hold_sum = 0.0;
                    c.hold_sq = 0.0;
                    c.hold_max = f64::NEG_INFINITY;
                }
                if let Some((onset_ms, from)) = blink_on_rise {
                    self.emit(Event::Pause { t_ms: onset_ms });
                    self.emit(Event::Resume {
                        onset_ms: from,
                        detected_ms: t,
                    });
                }
            } else {
                // A slow rise that stays: a smile or a step, not a blink.
                // Blinks on top of it are measured from a floor that has
                // forgotten the rise: no onset until the floor window refilled.
                self.retract_plateau(t);
                self.last_fell_ms = t + self.cfg.floor_ms;
                return;
            }
        }
        if long
            && since >= self.cfg.blink_ms + BLINK_STEP_LOOK_MS
            && self.candidate.as_ref().is_some_and(|c| c.hold_n >= 0.0)
        {
            let step = self.candidate.as_ref().and_then(Self::blink_on_step);
            // The step came first, and a burst later than a blink's rise
            // after it, standing a blink's bar over the step: a blink that
            // came after the step. It stays a closure begun with the step
            // (judged as a blink, its peak would be late). A lower burst
            // that late is no blink (a slow hump on the step).
            let late_blink = self.candidate.as_ref().is_some_and(|c| {
                c.peak_t - c.detected_ms > rise_ms
                    && c.peak_h - Self::hold_without_tug(c).0 >= self.gate(c)
            });
            if let Some(c) = &mut self.candidate {
                // Looked at once.
                c.hold_n = f64::NEG_INFINITY;
                if step.is_some() && !late_blink {
                    c.long = false;
                }
            }
            if let Some(fell) = step {
                // A blink, and a step of the baseline under it: the blink
                // ended where it fell to the step. The floor window has long
                // filled at the step's level: onsets may come at once.
                self.decide(fell.min(t), t);
                return;
            }
        }
        if t - onset_ms >= self.cfg.max_closure_ms {
            // Closures end; this did not: a step of the baseline that stayed.
            self.step_stayed(t, x);
            return;
        }
        self.state = if closed { State::Closed } else { State::Rising };
    }

    /// The least height a candidate needs to be a closure: `closure_sigma`
    /// noise units (less for a sustained burst unless the wearer's blinks
    /// stand tall, and for a wearer whose blinks are small) or a share of
    /// the typical blink, whichever is more, times how busy the face was;
    /// and a multiple of the rhythm's bursts.
    pub(super) fn gate(&self, c: &Candidate) -> f64 {
        let typical = self.memory.typical().unwrap_or(0.0);
        ((self.noise_sigmas(c) * c.sigma).max(self.cfg.typical_share * typical) * c.busy)
            .max(self.cfg.rhythm_ratio * c.context_h)
    }

    /// The gate's noise part, in noise units.
    fn noise_sigmas(&self, c: &Candidate) -> f64 {
        let typical = self.memory.typical().unwrap_or(0.0);
        // The sustained burst's lower bar is for weak blinks: a wearer whose
        // blinks stand tall does not need it, and for them a burst that low
        // is more likely a syllable.
        let tall = self.stands_tall(typical, c.sigma);
        let sigmas = if c.sustained && !tall {
            (self.cfg.closure_sigma - SUSTAIN_GATE_LESS).max(0.5 * self.cfg.closure_sigma)
        } else {
            self.cfg.closure_sigma
        };
        // A wearer whose blinks are small: the noise part of the bar comes
        // down towards them.
        if typical > 0.0 {
            let least = (self.cfg.closure_sigma - WEAK_GATE_LESS).max(0.5 * self.cfg.closure_sigma);
            sigmas.min((WEAK_TYPICAL_SHARE * typical / c.sigma).max(least))
        } else {
            sigmas
        }
    }

    /// A weak blink two samples wide (see `refresh_pair_bar`) passes the
    /// gate's noise part by its pair: on a face at rest, away from rhythms,
    /// for a wearer whose blinks do not stand tall (like the sustained
    /// burst's lower bar: for them a burst that low is more likely a
    /// syllable). Where neighbours are independent (25 Hz) the pair's bar
    /// is the weak wearer's least bar (`closure_sigma` less
    /// `WEAK_GATE_LESS`, in noise units of a pair); where they share their
    /// noise (the envelope's smoothing at 50 Hz and above) a pair tells
    /// little more than one sample, and its bar rises towards the one the
    /// peak faces. The gate's other parts (the typical blink's share, the
    /// rhythm) still take the peak.
    ///
    /// Returns the bar over the pair (under 1) if it passes, for the score.
    pub(super) fn passes_by_pair(&self, c: &Candidate, peak_h: f64) -> Option<f64> {
        let typical = self.memory.typical().unwrap_or(0.0);
        if self.stands_tall(typical, c.sigma) || c.busy > 1.0 || c.context_h != 0.0 {
            return None;
        }
        // How independent neighbours are: 1 at sqrt(2), 0 at 2.
        let independent =
            ((2.0 - self.pair_norm) / (2.0 - std::f64::consts::SQRT_2)).clamp(0.0, 1.0);
        let sigmas = self.noise_sigmas(c);
        let least = (self.cfg.closure_sigma - WEAK_GATE_LESS).max(0.5 * self.cfg.closure_sigma);
        let sigmas = sigmas - (sigmas - least).max(0.0) * independent;
        // Measured from the baseline, as at the start.
        let pair = (c.pair_h - 2.0 * self.base_gap(c.reference)) / self.pair_norm;
        // The burst's own: it stands at least as tall as the pair's mean,
        // at its peak or the sample before (not the tail of a burst in the
        // refractory time before it). No rhythm here: the typical blink's
        // share is the gate's only other part.
        (peak_h > 0.0
            && 2.0 * peak_h.max(c.pre_h) >= c.pair_h
            && pair >= sigmas * c.sigma
            && peak_h >= self.cfg.typical_share * typical)
            .then(|| sigmas * c.sigma / pair)
    }

    /// Width of the burst at half its height, from the samples beside the
    /// peak, with every height taken `lift` lower (see `decide`; a neighbour
    /// below that counts as at rest, or a small blink rising from a low
    /// sample reads narrow); and the sample interval it is measured against.
    fn half_width(c: &Candidate, lift: f64) -> (f64, f64) {
        let (peak_h, pre_h, post_h) = (
            c.peak_h - lift,
            (c.pre_h - lift).max(0.0),
            (c.post_h - lift).max(0.0),
        );
        let half = 0.5 * peak_h;
        let left = if pre_h >= half || c.peak_t <= c.pre_t {
            c.pre_t
        } else {
            c.pre_t + (half - pre_h) / (peak_h - pre_h) * (c.peak_t - c.pre_t)
        };
        let (right, step_after) = if c.post_t.is_nan() {
            (c.peak_t, f64::INFINITY)
        } else if post_h >= half || c.post_t <= c.peak_t {
            (c.post_t, c.post_t - c.peak_t)
        } else {
            (
                c.peak_t + (peak_h - half) / (peak_h - post_h) * (c.post_t - c.peak_t),
                c.post_t - c.peak_t,
            )
        };
        let step = (c.peak_t - c.pre_t).min(step_after);
        (right - left, step)
    }

    /// How far above a burst's `reference` its width is measured from:
    /// `SPIKE_LIFT_SHARE` of the way up to the baseline (frozen while a
    /// burst is followed, so the same at its onset and its verdict).
    fn spike_lift(&self, reference: f64) -> f64 {
        SPIKE_LIFT_SHARE * self.base_gap(reference)
    }

    /// How far the baseline stands over a candidate's reference (its floor).
    fn base_gap(&self, reference: f64) -> f64 {
        (self.level.base - reference).max(0.0)
    }

    /// A wearer whose typical blink stands `SUSTAIN_TALL_TYPICAL` times
    /// `closure_sigma` or more: no lower bars (sustained burst, pair) for
    /// them.
    pub(super) fn stands_tall(&self, typical: f64, sigma: f64) -> bool {
        typical >= SUSTAIN_TALL_TYPICAL * self.cfg.closure_sigma * sigma
    }

    /// The burst fell at `fell`: a closure, or not.
    pub(super) fn decide(&mut self, fell: f64, t: f64) {
        let Some(c) = self.candidate.take() else {
            return;
        };
        self.plateau = None;
        self.bursts[c.slot].1 = c.peak_h;
        self.last_fell_ms = fell;
        self.memory.forget_if_stale(t);
        self.refresh_pair_bar();
        // The width is measured from halfway up to the baseline: the floor
        // (the lowest of the recent samples) sits well under it on a restless
        // signal, and from there the ordinary samples beside a cable tug
        // stand high enough to make it as wide as a narrow blink (the second
        // model's walking; from the baseline itself, synth's one-sample
        // blinks became spikes).
        let lift = self.spike_lift(c.reference);
        let lower = if !self.fine_widths && fell - self.last_one_sample_ms < NARROW_RUN_MS {
            RUN_NEIGHBOUR_SIGMA * c.sigma
        } else {
            0.0
        };
        let (width, step) = Self::half_width(
            &Candidate {
                pre_h: c.pre_h - lower,
                post_h: c.post_h - lower,
                ..c
            },
            lift,
        );
        let gate = if self.narrow_in_rhythm(&c, width) {
            self.gate(&Candidate {
                context_h: 0.0,
                ..c
            })
        } else {
            self.gate(&c)
        };
        // A tall burst's envelope takes a while to fall to the off level;
        // the muscle let go when it dropped well below its peak. A long
        // closure's tonic squeeze is far below its first burst: for it, the
        // off level.
        let let_go = if c.long || c.drop_t.is_nan() {
            fell
        } else {
            c.drop_t.min(fell)
        };
        let offset = let_go + self.cfg.reopen_ms;
        let half = 0.5 * c.peak_h;
        let lone_peak = c.pre_h < half
            && (c.post_t.is_nan() || c.post_h < half)
            && self
                .memory
                .typical()
                .is_some_and(|typ| c.peak_h > LONE_PEAK_TYPICAL * typ);
        // A spike (a cable tug, a jolt): too narrow or too brief for a
        // muscle. Tugs come often while walking; they are no rhythm of the
        // face, so the rhythm test must not count them (it would raise the
        // bar for the next blink), but the erratic test still does.
        let brief = fell - c.rose_ms < self.cfg.spike_ms;
        let fine = self.fine_widths && SPIKE_SAMPLES * step < SPIKE_WIDTH_MS;
        // Where samples come this close (50 Hz and above): at 25 Hz a
        // burst this narrow is one sample wide.
        let fine_narrow = fine && self.beside.width(c.peak_h) < SPIKE_WIDTH_MS;
        // Square edges (see `SHARP_STEP_MS`): a jolt; at 50 Hz perhaps a
        // narrow blink, judged as one sample wide is at 25 Hz (below).
        let square = fine && self.beside.sharp(c.peak_h);
        let one_sample = width < SPIKE_SAMPLES * step;
        let spike = !c.long && (one_sample || lone_peak || brief || fine_narrow || square);
        let coarse =
            !self.fine_widths || (square && step > SHARP_STEP_MS && !fine_narrow && !one_sample);
        // Where samples come 40 ms apart, a blink whose burst is narrow
        // (under about 45 ms at half height) is one sample wide, as a tug
        // is, and no width tells them apart. Tugs come in runs (walking, a
        // cable caught on a collar); blinks come every few seconds. So a
        // burst one sample wide that stands like the wearer's typical blink,
        // alone (no spike for `NARROW_BLINK_QUIET_MS`, no one-sample burst
        // for `NARROW_RUN_MS`), and not on the beat of a rhythm, is judged
        // as a blink; its verdict waits to see whether a spike follows (the
        // first tug of a run: see `first_tug`). How busy the face is does
        // not matter: until 2026-12-02 the face had to be at rest, and the
        // third model's calm wearers, whose resting face reads a little
        // busy now and then, lost narrow blinks to it.
        //
        // Such a burst judged a spike only for the rhythm around it (a
        // flurry of blinks reads as the beat of a meal) is no tug: it does
        // not start the quiet again. It did, and then kept the wearer's
        // narrow blinks out for `NARROW_BLINK_QUIET_MS`, and each one it
        // kept out kept them out longer (the third model's calm wearers
        // lost 9 % of their blinks so).
        let blink_like = spike
            && coarse
            && !brief
            && !lone_peak
            && c.peak_h >= NARROW_BLINK_SIGMA * c.sigma
            && self.memory.typical().is_some_and(|typ| {
                (NARROW_BLINK_TYPICAL.0 * typ..=NARROW_BLINK_TYPICAL.1 * typ).contains(&c.peak_h)
            });
        let alone = fell - self.last_spike_ms >= NARROW_BLINK_QUIET_MS
            && fell - self.last_one_sample_ms >= NARROW_RUN_MS;
        let narrow_blink = blink_like && alone && c.context_h == 0.0;
        if spike {
            self.last_one_sample_ms = fell;
            if !(blink_like && alone) && c.peak_h >= gate {
                self.last_spike_ms = fell;
            }
        }
        let spike = spike && !narrow_blink;
        if spike {
            self.bursts[c.slot].1 = -c.peak_h;
        }
        // ... unless a blink lies under it: the burst without the spike's
        // own sample is as tall as a blink of this wearer and lasted like
        // one (a tug landing on a blink, common while walking). It is
        // judged by that burst. That burst may stand over half the tug: a
        // burst that narrow is then no neighbour of the tug's sample, but a
        // blink just after it. A peeling pad's swings come in bursts far
        // taller than a blink: they stay spikes. So does a jolt with square
        // edges and a flat top: its other samples are the jolt's own.
        let tugged = spike
            && !(square && c.runner_h >= FLAT_TOP_SHARE * c.peak_h)
            && !brief
            && c.runner_h >= gate
            && fell - c.rose_ms >= (TUGGED_SAMPLES * step).max(TUGGED_MS)
            && c.reference > self.level.base - TUGGED_BELOW_SIGMA * c.sigma
            && self
                .memory
                .typical()
                .is_some_and(|typ| c.runner_h <= LONE_PEAK_TYPICAL * typ);
        let peak_h = if tugged { c.runner_h } else { c.peak_h };
        let spike = spike && !tugged;
        // A pad peeling off swings up far beyond any blink, again and again.
        let erratic = self.memory.typical().is_some_and(|typ| {
            let big = ERRATIC_TYPICAL * typ;
            peak_h > big
                && self.bursts.iter().any(|&(bt, h)| {
                    bt < c.detected_ms && bt >= c.detected_ms - ERRATIC_MS && h.abs() > big
                })
        });
        let by_pair = if peak_h >= gate || tugged {
            None
        } else {
            self.passes_by_pair(&c, peak_h)
        };
        let blink = !erratic
            && !c.deep
            && (peak_h >= gate || by_pair.is_some())
            && (c.long || (!spike && c.peak_t - c.detected_ms <= self.cfg.rise_ms))
            && offset - c.onset_ms >= self.cfg.min_closure_ms;
        if !blink {
            self.emit(Event::Retracted {
                onset_ms: c.onset_ms,
                t_ms: t.max(self.calibrated_ms),
            });
            self.state = State::Open;
            if self.held.is_some() {
                self.settle_held(t, false);
            }
            return;
        }
        // Only blinks in the clear teach what the wearer's blinks look like:
        // not bursts amid a rhythm, and not long closures (a squeeze's first
        // burst is taller than a blink, and a smile's plateau taken for one
        // taller still). They teach at once, before the verdict on the
        // first beat: what a wearer's first blinks teach sets the bar for
        // the next burst, often within that wait. One that began a rhythm
        // is taken back then (see `settle_held`).
        let first = (c.context_h == 0.0 && !c.long).then(|| {
            self.memory.record(
                c.peak_t,
                peak_h,
                c.sigma,
                c.reference + c.peak_h,
                self.bursts[c.slot].0,
            );
            self.refresh_pair_bar();
            // With no rhythm behind it, it may begin one: its verdict
            // waits for the next bursts (see `settle_held`).
            FirstBeat {
                burst_t: self.bursts[c.slot].0,
                height: self.bursts[c.slot].1,
                narrow: narrow_blink,
            }
        });
        self.pending = Some(Pending {
            closure: Closure {
                onset_ms: c.onset_ms,
                offset_ms: offset.max(c.onset_ms + EPS_MS),
                detected_ms: c.detected_ms.max(self.calibrated_ms),
                peak: peak_h,
                // Half at the bar, towards 1 as it stands taller.
                score: 1.0 - 0.5 * by_pair.unwrap_or(gate / peak_h),
            },
            fell_ms: fell,
            first,
        });
        self.state = State::Refractory;
        if self.held.is_some() {
            self.settle_held(t, false);
        }
        self.refresh_due();
    }

    /// A burst amid a rhythm, narrower than its bursts (see
    /// `NARROW_IN_RHYTHM_SHARE`); where samples come far apart, records
    /// the burst's `width` for the bursts after it.
    fn narrow_in_rhythm(&mut self, c: &Candidate, width: f64) -> bool {
        if self.fine_widths {
            return false;
        }
        self.burst_widths[c.slot] = width;
        if c.context_h <= 0.0 || c.peak_h < c.context_h {
            return false;
        }
        // The widths of the three latest bursts before it that were judged
        // and were no spikes.
        let mut w = [0.0; 3];
        let mut n = 0;
        for k in 1..RHYTHM_KEPT {
            let i = (c.slot + RHYTHM_KEPT - k) % RHYTHM_KEPT;
            let x = self.burst_widths[i];
            if !x.is_nan() && self.bursts[i].1 > 0.0 {
                w[n] = x;
                n += 1;
                if n == w.len() {
                    return width < NARROW_IN_RHYTHM_SHARE * rhythm::median3(w[0], w[1], w[2]);
                }
            }
        }
        false
    }

    /// The candidate was a step of the baseline that stayed: drops it, and
    /// the new level is the baseline from now on (no onset until the floor
    /// window has refilled at it).
    fn step_stayed(&mut self, t: f64, x: f64) {
        self.retract_plateau(t);
        self.level.reseed(x);
        self.last_fell_ms = t + self.cfg.floor_ms;
    }

    /// Drops the candidate: not a closure after all.
    pub(super) fn retract(&mut self, t: f64) {
        if let Some(c) = self.candidate.take() {
            self.plateau = None;
            self.bursts[c.slot].1 = c.peak_h;
            self.emit(Event::Retracted {
                onset_ms: c.onset_ms,
                t_ms: t.max(self.calibrated_ms),
            });
            self.last_fell_ms = t;
            if self.held.is_some() {
                self.settle_held(t, false);
            }
        }
        self.state = State::Open;
    }
}

//! Calibration (step 1 of the module docs): the samples of the first
//! seconds and of the seconds after a fault, the baseline and noise they
//! give, the second look at them, and the fresh look when the running
//! noise has grown well past the calibration's.

use super::*;

/// At most this many of a calibration's samples are kept to be looked at
/// again (1.5 s at 860 Hz is 1290): memory stays bounded whatever the
/// times say.
const CALIBRATION_KEPT: usize = 4096;

/// Two neighbouring samples start a candidate at this share of `on_sigma`
/// (2.5 by default), in noise units of their sum over the baseline (see
/// `BlinkDetector::refresh_pair_bar`). Lower than a single sample's bar,
/// and the closure still has to pass the gate: starting early gives the
/// weak blink an earlier `detected_ms` (the second model's weak wearers sit
/// at the 80 ms latency bound).
const PAIR_START_SHARE: f64 = 0.5;

/// A calibration after a fault (or a quiet stretch: see
/// `faults::QUIET_SPREAD_SHARE`) that finds a noise of a count or two (the
/// ADS1115's own quantisation) and less than this share of the noise
/// before it found a signal that is still not moving: a pad still off.
/// The fault goes on. Learning that stillness as the new rest would judge
/// the pad's return as wild swings, for ever. (A noise merely far below
/// the old one is no sign: the old one may have been inflated, and a
/// recalibration is what mends that.)
const STILL_RECALIBRATION: f64 = 0.15;
const STILL_COUNTS: f64 = 2.0;

/// The running noise is looked at afresh (see `BlinkDetector::recheck`)
/// once it stands this many times over the last calibration's ...
const RECHECK_INFLATED: f64 = 1.5;
/// ... over resting samples with no gap longer than this between them ...
const RECHECK_GAP_MS: f64 = 1000.0;
/// ... for this share of a calibration's time (750 ms by default: while
/// walking, a pause that long comes between steps far more often than one
/// of a whole calibration) ...
const RECHECK_WINDOW_SHARE: f64 = 0.5;
/// A fresh look counts if it held one level, no sample strays this many
/// of its deviations from its mean ...
const RECHECK_QUIET_SIGMA: f64 = 4.0;
/// ... and that mean lies this many of its deviations from the running
/// baseline (which lagged a step: after talking, a right baseline keeps
/// the noise that holds the next syllables back) ...
const RECHECK_LAG_SIGMA: f64 = 2.5;
/// ... and then this many times its noise (never less than the last
/// calibration's) becomes the running noise, if that is still this many
/// times over it.
const RECHECK_MARGIN: f64 = 1.5;

impl BlinkDetector {
    /// A sample while calibrating (the first seconds, and after a fault).
    #[cold]
    #[inline(never)]
    pub(super) fn push_calibrating(&mut self, p: Prepared) {
        let (t, x) = (p.t, p.x);
        while self.calibrating.front().is_some_and(|q| {
            q.t < t - self.cfg.calibration_ms || self.calibrating.len() >= CALIBRATION_KEPT
        }) {
            self.calibrating.pop_front();
        }
        self.calibrating.push_back(p);
        if let Some(cal) = &mut self.calibration {
            cal.push(t, x);
            if t - cal.start_ms() >= self.cfg.calibration_ms {
                if !cal.settled() {
                    cal.slide();
                    return;
                }
                if let Some((base, sigma)) = cal.estimate(self.ground) {
                    if self.calibrated_ms.is_finite()
                        && sigma <= STILL_COUNTS
                        && sigma < STILL_RECALIBRATION * self.level.sigma()
                    {
                        // After a fault or a quiet stretch (any
                        // calibration but the session's first), a signal
                        // this much quieter than before is a pad still off,
                        // not a new rest: the fault goes on (or begins),
                        // judged by the noise learned before.
                        self.faults.start(FaultKind::Flat);
                        self.begin_fault(FaultKind::Flat, t);
                        return;
                    }
                    self.level = Level::new(base, sigma, self.cfg.baseline_ms);
                }
                self.recheck_above = RECHECK_INFLATED * self.level.sigma();
                self.recheck_least = self.level.sigma();
                self.recheck = None;
                self.spread.prime(self.level.sigma());
                // The calibration's samples tell the rate.
                if let (Some(first), Some(last)) =
                    (self.calibrating.front(), self.calibrating.back())
                {
                    let n = self.calibrating.len();
                    if n >= 2 {
                        let interval = (last.t - first.t) / (n - 1) as f64;
                        self.rest_spread = rest_spread(interval);
                        self.pair_norm = self.calibrated_pair_norm();
                        self.refresh_pair_bar();
                        self.fine_widths = SPIKE_SAMPLES * interval < SPIKE_WIDTH_MS;
                    }
                }
                self.calibration = None;
                self.state = State::Open;
                self.replay_calibration(t);
            }
        }
    }

    /// Two neighbouring samples whose sum stands `PAIR_START_SHARE` x
    /// `on_sigma` (2.5 by default) noise units of such a sum (`pair_norm`)
    /// over the baseline start a candidate too: a weak blink two or three
    /// samples wide at 25 Hz, where no single sample stands far enough out
    /// of the noise, but their sum does (noise seldom puts two neighbours
    /// high together). It is measured from the baseline, not the floor: the
    /// floor is the lowest of the recent samples, and two ordinary samples
    /// over it would count its depth twice. Only where such a candidate
    /// could pass the gate by its pair (`passes_by_pair`): not for a wearer
    /// whose blinks stand tall. And only once the wearer's blinks are known
    /// (three of them; the calibration measured the pair's noise long
    /// before): until then the detector does not know a weak wearer from
    /// any other, and on resting noise a pair this low starts a candidate
    /// (an `Onset` the appliance acts on) every half minute or so.
    pub(super) fn refresh_pair_bar(&mut self) {
        let typical = self.memory.typical().unwrap_or(0.0);
        let tall = self.stands_tall(typical, self.level.sigma());
        self.pair_bar = if typical == 0.0 || tall {
            f64::INFINITY
        } else {
            PAIR_START_SHARE * self.cfg.on_sigma * self.pair_norm
        };
    }

    /// The noise of a sum of two neighbouring samples, in noise units, from
    /// the calibration's samples: sqrt(2 (1 + r)), r the correlation of
    /// neighbours, read off the spread of their differences (2 (1 - r) in
    /// squared noise units; robust, as the noise is). Between sqrt(2)
    /// (independent: 25 Hz) and 2 (the same sample twice: 860 Hz).
    pub(super) fn calibrated_pair_norm(&self) -> f64 {
        let mut d: Vec<f64> = self
            .calibrating
            .iter()
            .zip(self.calibrating.iter().skip(1))
            .map(|(a, b)| (b.x - a.x).abs())
            .collect();
        if d.is_empty() {
            return 2.0;
        }
        let spread = 1.4826 * baseline::median_in_place(&mut d) / self.level.sigma();
        (4.0 - spread * spread).clamp(2.0, 4.0).sqrt()
    }

    /// The calibration that ended at `now` found the baseline and noise:
    /// its samples are judged again with them. What they hold is decided at
    /// `now`, so no event made of them claims an earlier `detected_ms` (or
    /// `t_ms`). No fault is looked for in them: the calibration found them
    /// sound.
    #[cold]
    #[inline(never)]
    fn replay_calibration(&mut self, now: f64) {
        let samples = std::mem::take(&mut self.calibrating);
        self.calibrated_ms = now;
        // The edge is followed afresh through the samples replayed.
        self.edge = (0.0, f64::NEG_INFINITY);
        for p in &samples {
            self.last_t = p.t;
            self.window_floor = p.window_floor;
            self.follow_edge(p);
            if p.t >= self.due {
                self.on_due(p.t);
            }
            if p.dt > GAP_MS {
                self.abandon(p.t);
            }
            let dt_c = baseline::fmin(p.dt, MAX_STEP_MS);
            let sigma = self.level.sigma();
            self.push_sound(p.t, p.x, p.smooth_x, dt_c, sigma, p.prev_t, p.prev_x);
        }
        self.calibrating = samples;
        self.calibrating.clear();
    }

    /// The running noise has grown well past the last calibration's:
    /// perhaps the face is busy, perhaps steps of the baseline that it
    /// lagged have inflated it (walking), and an inflated noise hides
    /// blinks. So the resting samples of the last half `calibration_ms`
    /// (`RECHECK_WINDOW_SHARE`) are looked at afresh, like a calibration
    /// but as running sums: if they held one level away from the running
    /// baseline and their own noise is well below the running one,
    /// baseline and noise start again from them. A busy face keeps its noise: its bursts make the fresh look
    /// unquiet, and between them its baseline is right.
    #[cold]
    #[inline(never)]
    pub(super) fn recheck(&mut self, t: f64, x: f64) {
        if t - self.recheck_last_t > RECHECK_GAP_MS {
            self.recheck = None;
        }
        self.recheck_last_t = t;
        let cal_ms = self.cfg.calibration_ms;
        let fresh = self
            .recheck
            .get_or_insert_with(|| Fresh::new(t, RECHECK_WINDOW_SHARE * cal_ms));
        if !fresh.push(t, x) {
            return;
        }
        let summary = fresh.summary(RECHECK_QUIET_SIGMA, self.ground);
        self.recheck = None;
        let Some(f) = summary.filter(|f| f.settled && f.quiet && f.whole) else {
            return;
        };
        let lagged = (f.mean - self.level.base).abs() > RECHECK_LAG_SIGMA * f.sd;
        let sigma = (RECHECK_MARGIN * f.sd).max(self.recheck_least);
        if lagged && RECHECK_MARGIN * sigma < self.level.sigma() {
            self.level = Level::new(f.mean, sigma, self.cfg.baseline_ms);
        }
    }
}

//! The blink detector: a sans-IO state machine from EMG samples to closures.
//!
//! Feed it samples with [`BlinkDetector::push`], then drain what it decided
//! with [`BlinkDetector::poll`]. It never reads a clock or a device; time is
//! the `t_ms` of each sample. Every parameter is in milliseconds or in units
//! of the signal's own noise, so one config means the same at 25 and 860 Hz.
//!
//! # How it decides
//!
//! 1. **Calibration** (`baseline`): the first `calibration_ms` (and the
//!    same after every fault) give a robust baseline and noise (median, MAD).
//!    Then its samples are judged again with them, so a blink in the
//!    session's first seconds, or just after a pad came back, is not lost;
//!    what they hold was decided when the calibration ended, and its events
//!    say so (`detected_ms`, or a retraction's `t_ms`, no earlier).
//! 2. **Onset, at once**: a sample that lies `on_sigma` above the *floor*
//!    (the minimum of the last `floor_ms`) starts a candidate and emits
//!    [`Event::Onset`] on that very sample, so `detected_ms` is the earliest
//!    moment a live system can act. A smile's slow rise drags the floor up
//!    with it and rarely gets here; a blink's rise is too fast to. Above
//!    50 Hz the test, the floor and the busy face's spread (step 3) look
//!    at the signal averaged over about 15 ms (`SMOOTH_MS` in the front
//!    end): more samples a second are more looks at the same noise, not a
//!    faster blink. The burst itself is then followed sample by sample.
//! 3. **Verdict, when the burst falls** below the floor plus `off_sigma`: a
//!    closure needs height (`closure_sigma` or a share of the wearer's
//!    typical blink, more while the face is busy talking or chewing, see
//!    `baseline::Spread`, its resting level set for the sample rate; and,
//!    when bursts come rhythmically as in chewing and talking, a multiple of
//!    theirs), width (a cable tug is one sample wide at half height, or
//!    under 25 ms where samples come closer, measured from halfway between
//!    the floor and the baseline),
//!    a blink's rise (peak within `rise_ms`), and no swing far below the
//!    baseline beside it (a pad peeling off). Otherwise
//!    [`Event::Retracted`]. A burst still up after `blink_ms` is a step of
//!    the baseline if it holds far flatter than the noise (no muscle
//!    activity), a long closure if it rose like a blink, else a plateau
//!    (smile) and retracted; one still up after `max_closure_ms` is a step.
//!    A long closure whose hold, a little later, is as still as rest and
//!    low was a blink on a step of the baseline (a pad shifting while
//!    walking): it ends where the blink fell (see `blink_on_step`).
//!    A squeeze (a long closure, or a blink-like burst held well past
//!    `rise_ms`) that dips below the off level ends only if it stays down
//!    for `LONG_DIP_MS`.
//! 4. **Reopening** is passive and silent in the EMG: the closure's offset
//!    is the moment the burst fell plus `reopen_ms`. The [`Event::Closure`]
//!    is held until then, or until the next onset (a double blink), whichever
//!    comes first, so closures never overlap.
//! 5. **The first beats of a rhythm**: the rhythm test of step 3 looks
//!    back, so the first chew of a meal and the first syllable of speech
//!    pass it. A closure judged with no rhythm behind it is therefore held
//!    until the bursts after it show whether it began one, and then
//!    retracted:
//!    - the first chew: the next two bursts follow it on a regular beat of
//!      at most `FIRST_BEAT_PERIOD_MS`, and it stood no taller than they
//!      did (see `FIRST_BEAT_RATIO`) or well below the wearer's typical
//!      blink (`FIRST_BEAT_TYPICAL`);
//!    - the second chew (one burst behind it is too little for a rhythm,
//!      and a blink after it breaks the beat of the next two): the burst
//!      before it and the one after it are on such a beat with it, it did
//!      not come between the beats of a rhythm before it, and it stood well
//!      below the wearer's typical blink (no taller than those two while
//!      that is not known yet);
//!    - the first syllable: the next three come within
//!      `FIRST_SYLLABLE_MS` (speech runs at 3-6 syllables a second, blinks
//!      come seconds apart), and it stood less than `FIRST_SYLLABLE_RATIO`
//!      times as tall as their median or well below the wearer's typical
//!      blink. Not if it came between the beats of a meal (the chews
//!      after it would pass).
//!
//!    A closure retracted so is taken back from the blink memory, which
//!    it taught at once. Usually the verdict comes 1.5 s after its
//!    `detected_ms`, when fewer bursts followed; three quick bursts that
//!    fell settle it sooner; at most it takes [`MAX_VERDICT_DELAY_MS`].
//!    Events after a held closure wait behind it, so the stream stays in
//!    order (a fault that begins meanwhile is reported that much later);
//!    `detected_ms` is unchanged, and a recorder keeps that much more
//!    pre-roll.
//! 6. **Faults** (`faults`): railed, flat or wild signals emit
//!    [`Event::FaultStart`]/[`Event::FaultEnd`]; nothing is detected inside,
//!    and the detector calibrates afresh after. A calibration that finds a
//!    pad still off keeps the fault going, and a `Wild` fault ends after
//!    `WILD_RESET_MS` whatever its noise says (see `push_calibrating`).
//!
//! Per sample the work is a few comparisons and multiply-adds: no
//! allocation, no sorting, no division outside the rare decisions.

mod baseline;
mod faults;
mod front;
mod placement;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use baseline::{Calibration, Fresh, Level, Spread};
use faults::FaultWatch;
pub use front::{FrontEnd, FrontKey, Prepared};
use placement::BlinkMemory;

/// A complete eye closure, as the detector estimates it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Closure {
    /// Estimated start of the closure; may lie before the confirming sample.
    pub onset_ms: f64,
    /// Estimated end of the closure (the eye open again).
    pub offset_ms: f64,
    /// The sample at which the detector decided: the earliest a live system
    /// can act. (For a closure inside a calibration, the sample that ended it.)
    pub detected_ms: f64,
    /// Highest envelope value above baseline, in ADC counts.
    pub peak: f64,
    /// Confidence in [0, 1].
    pub score: f64,
}

/// Why the signal cannot be trusted for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The signal sits at the ADC's or the sensor's rail.
    Railed,
    /// The signal has stopped moving (a pad off, a cable out).
    Flat,
    /// The signal jumps about far beyond its usual noise.
    Wild,
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FaultKind::Railed => "railed",
            FaultKind::Flat => "flat",
            FaultKind::Wild => "wild",
        })
    }
}

/// What the detector tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Event {
    /// A closure is confirmed and still going on: start keeping frames from
    /// `onset_ms` minus the pre-roll.
    Onset { onset_ms: f64, detected_ms: f64 },
    /// The closure announced by the last `Onset` is over, and it stands.
    Closure(Closure),
    /// The closure announced by the last `Onset` is over, as estimated
    /// here, but the verdict waits for the next bursts: it may have been
    /// the first chew of a meal (see the module docs, step 5). A `Closure`
    /// (the same) or a `Retracted` follows within [`MAX_VERDICT_DELAY_MS`]
    /// of its `detected_ms`, before any other event. A recorder can stop
    /// keeping frames after its offset and wait.
    Tentative(Closure),
    /// The closure announced by the last `Onset` turned out not to be one
    /// (decided at `t_ms`); nothing after its `Onset` belongs to a blink.
    Retracted { onset_ms: f64, t_ms: f64 },
    /// Inside the closure announced by the last `Onset`, which goes on:
    /// the eye is open again from `t_ms` (no later than the sample that
    /// says so). A smile held after it began (see `SMILE_FAST_SHARE`): the
    /// burst goes on, but it is no squeeze holding the lid shut. A recorder
    /// keeps no frames after `t_ms` until a `Resume`. At the closure's
    /// onset, the eye never shut in it (a smile's rise with no blink on it,
    /// see `SMILE_RISE_BLINK_FALL`): none of its frames are kept, not even
    /// its pre-roll.
    Pause { t_ms: f64 },
    /// ... and shut again from `onset_ms` (a blink on the smile): keep
    /// frames from `onset_ms` less the pre-roll. A `Pause`, or the
    /// closure's own end (`Closure`, `Retracted`), follows.
    Resume { onset_ms: f64, detected_ms: f64 },
    /// The signal became untrustworthy at `t_ms`; no closures until it ends.
    FaultStart { kind: FaultKind, t_ms: f64 },
    /// The fault is over.
    FaultEnd { kind: FaultKind, t_ms: f64 },
}

/// The detector's coarse state, written beside each sample in a session's `emg.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Learning baseline and noise in the first seconds.
    Calibrating,
    /// Eye open, waiting.
    Open,
    /// A burst is above threshold but not yet confirmed.
    Rising,
    /// A closure is confirmed.
    Closed,
    /// After a closure, ignoring the signal for the refractory time.
    Refractory,
    /// The signal is faulty.
    Fault,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Calibrating => "calibrating",
            State::Open => "open",
            State::Rising => "rising",
            State::Closed => "closed",
            State::Refractory => "refractory",
            State::Fault => "fault",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the detector believes about the signal right now (for plots and logs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub state: State,
    /// Robust running baseline, in counts.
    pub baseline: f64,
    /// Robust noise level (a standard deviation), in counts.
    pub noise: f64,
    /// The level a burst must cross to start a closure, in counts.
    pub on_threshold: f64,
    /// The level below which a closure ends, in counts.
    pub off_threshold: f64,
}

/// How well the pads sit: how clearly blinks stand out from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Placement {
    /// 0 (blinks invisible) to 1 (blinks stand out clearly).
    pub score: f64,
    /// Median blink peak above baseline, in noise units.
    pub snr: f64,
    /// Blinks the score is based on.
    pub blinks: u32,
    /// The count at which the envelope is clipped, when a third or more of
    /// the remembered blinks (at least three) peak there, within a few
    /// counts of one another: the sensor's gain is too high (or its
    /// offset), and a clipped blink looks like a clipped chew. `None` when
    /// they scatter as blinks do.
    pub clipped_at: Option<f64>,
}

/// Detector parameters. Times in milliseconds; levels in noise units (the
/// learned standard deviation of the resting signal), except the rails,
/// which are ADC counts because they are properties of the hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// Time at the start (and after each fault) spent learning baseline and
    /// noise. A blink inside it is still found, once it ends.
    pub calibration_ms: f64,
    /// A rise this far above the recent floor starts a candidate (an `Onset`).
    pub on_sigma: f64,
    /// Falling back below the floor plus this ends the candidate (hysteresis).
    pub off_sigma: f64,
    /// Shortest closure reported (estimated onset to offset). The offset
    /// includes `reopen_ms`, so a minimum up to that never binds: brief
    /// bursts are turned away as spikes (`spike_ms`) before this is asked.
    pub min_closure_ms: f64,
    /// Longest closure reported (long deliberate closures included); a
    /// "closure" that has not ended by then is a baseline step, retracted.
    pub max_closure_ms: f64,
    /// Time after a burst falls during which no new candidate starts.
    pub refractory_ms: f64,
    /// Time constant of the baseline rising and of the noise estimate.
    pub baseline_ms: f64,
    /// The floor a blink rises above is the minimum over this recent window:
    /// rises slower than this drag the floor along (smiles, drift).
    pub floor_ms: f64,
    /// Least height above the floor for a closure, in noise units.
    pub closure_sigma: f64,
    /// Least height as a share of the wearer's typical blink (once known).
    pub typical_share: f64,
    /// While bursts come rhythmically (chewing, talking), a closure must be
    /// this many times as tall as the median of those bursts.
    pub rhythm_ratio: f64,
    /// Bursts (besides the candidate) within this window before it make it
    /// rhythmic ...
    pub rhythm_ms: f64,
    /// ... when there are at least this many.
    pub rhythm_bursts: f64,
    /// A blink reaches its peak within this time after the onset decision.
    pub rise_ms: f64,
    /// A burst lasting longer than this is a long closure only if it rose
    /// like a blink; otherwise it is a plateau (a smile, a step), retracted.
    pub blink_ms: f64,
    /// A burst above the off level for less than this is a spike (cable tug);
    /// so is one that is a single sample wide at half height.
    pub spike_ms: f64,
    /// Passive reopening: the lid opens this long after the burst falls.
    pub reopen_ms: f64,
    /// The lid starts moving this long before the envelope leaves the floor.
    pub onset_lead_ms: f64,
    /// The low rail, the envelope's ground: samples at or below this many
    /// counts are clipped. A quiet muscle may rest there, so it is never a
    /// fault: the noise is learned from what lies above it.
    pub rail_low_counts: f64,
    /// Samples at or above this many counts are at the high rail.
    pub rail_high_counts: f64,
    /// Time at the high rail before a `Railed` fault.
    pub rail_ms: f64,
    /// Time without movement before a `Flat` fault ...
    pub flat_ms: f64,
    /// ... where "without movement" is a range below this, in noise units.
    pub flat_sigma: f64,
    /// Time of wild swings below the baseline before a `Wild` fault ...
    pub wild_ms: f64,
    /// ... where "wild" is a mean depth below the baseline of this, in noise units.
    pub wild_sigma: f64,
    /// A fault ends after the signal has been sound this long.
    pub fault_clear_ms: f64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            calibration_ms: 1500.0,
            on_sigma: 5.0,
            off_sigma: 2.0,
            min_closure_ms: 60.0,
            max_closure_ms: 8000.0,
            refractory_ms: 60.0,
            baseline_ms: 4000.0,
            floor_ms: 250.0,
            closure_sigma: 5.5,
            typical_share: 0.35,
            rhythm_ratio: 1.6,
            rhythm_ms: 2500.0,
            rhythm_bursts: 3.0,
            rise_ms: 300.0,
            blink_ms: 600.0,
            spike_ms: 30.0,
            reopen_ms: 110.0,
            onset_lead_ms: 20.0,
            rail_low_counts: 0.0,
            rail_high_counts: 32767.0,
            rail_ms: 200.0,
            flat_ms: 300.0,
            flat_sigma: 0.3,
            wild_ms: 400.0,
            wild_sigma: 4.0,
            fault_clear_ms: 500.0,
        }
    }
}

/// A parameter value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("detector.{name} = {value}: {why}")]
    Invalid {
        name: &'static str,
        value: f64,
        why: &'static str,
    },
    #[error("no detector parameter `{0}`; known: {known}", known = DetectorConfig::PARAMS.join(", "))]
    Unknown(String),
}

impl DetectorConfig {
    /// Names of the parameters a sweep may vary.
    pub const PARAMS: &'static [&'static str] = &[
        "calibration_ms",
        "on_sigma",
        "off_sigma",
        "min_closure_ms",
        "max_closure_ms",
        "refractory_ms",
        "baseline_ms",
        "floor_ms",
        "closure_sigma",
        "typical_share",
        "rhythm_ratio",
        "rhythm_ms",
        "rhythm_bursts",
        "rise_ms",
        "blink_ms",
        "spike_ms",
        "reopen_ms",
        "onset_lead_ms",
        "rail_low_counts",
        "rail_high_counts",
        "rail_ms",
        "flat_ms",
        "flat_sigma",
        "wild_ms",
        "wild_sigma",
        "fault_clear_ms",
    ];

    fn field(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "calibration_ms" => &mut self.calibration_ms,
            "on_sigma" => &mut self.on_sigma,
            "off_sigma" => &mut self.off_sigma,
            "min_closure_ms" => &mut self.min_closure_ms,
            "max_closure_ms" => &mut self.max_closure_ms,
            "refractory_ms" => &mut self.refractory_ms,
            "baseline_ms" => &mut self.baseline_ms,
            "floor_ms" => &mut self.floor_ms,
            "closure_sigma" => &mut self.closure_sigma,
            "typical_share" => &mut self.typical_share,
            "rhythm_ratio" => &mut self.rhythm_ratio,
            "rhythm_ms" => &mut self.rhythm_ms,
            "rhythm_bursts" => &mut self.rhythm_bursts,
            "rise_ms" => &mut self.rise_ms,
            "blink_ms" => &mut self.blink_ms,
            "spike_ms" => &mut self.spike_ms,
            "reopen_ms" => &mut self.reopen_ms,
            "onset_lead_ms" => &mut self.onset_lead_ms,
            "rail_low_counts" => &mut self.rail_low_counts,
            "rail_high_counts" => &mut self.rail_high_counts,
            "rail_ms" => &mut self.rail_ms,
            "flat_ms" => &mut self.flat_ms,
            "flat_sigma" => &mut self.flat_sigma,
            "wild_ms" => &mut self.wild_ms,
            "wild_sigma" => &mut self.wild_sigma,
            "fault_clear_ms" => &mut self.fault_clear_ms,
            _ => return None,
        })
    }

    /// Samples at or below this are at the ground, clipped: the low rail
    /// and half a count (see [`front::GROUND_COUNTS`]).
    pub(crate) fn ground(&self) -> f64 {
        self.rail_low_counts + front::GROUND_COUNTS
    }

    /// Reads a parameter by name.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.clone().field(name).map(|v| *v)
    }

    /// Sets a parameter by name (for sweeps).
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ConfigError> {
        *self
            .field(name)
            .ok_or_else(|| ConfigError::Unknown(name.to_string()))? = value;
        Ok(())
    }

    /// This config with each parameter that cannot change what the
    /// detector does set to one canonical value: configs with equal
    /// behaviours give the same events, bit for bit, on any input (a sweep
    /// runs each behaviour once). So far one: a closure is judged from its
    /// onset to its burst's let-go (never earlier) plus `reopen_ms`, so a
    /// `min_closure_ms` up to `reopen_ms` never binds (1 ms short of it,
    /// for rounding); it becomes 0. (The offset reported may come earlier:
    /// a double blink's first closure ends where the second begins.)
    /// Checked bit for bit on random input in `tests/detector_props.rs`.
    pub fn behaviour(&self) -> DetectorConfig {
        let mut c = self.clone();
        if c.min_closure_ms <= c.reopen_ms - 1.0 {
            c.min_closure_ms = 0.0;
        }
        c
    }

    /// Rejects values that cannot work, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |name, value: f64, ok: bool, why| {
            if ok && value.is_finite() {
                Ok(())
            } else {
                Err(ConfigError::Invalid { name, value, why })
            }
        };
        let window_max = baseline::BUCKET_MS * baseline::RING as f64;
        for (name, value) in [
            ("calibration_ms", self.calibration_ms),
            ("min_closure_ms", self.min_closure_ms),
            ("refractory_ms", self.refractory_ms),
            ("rise_ms", self.rise_ms),
            ("spike_ms", self.spike_ms),
            ("reopen_ms", self.reopen_ms),
            ("onset_lead_ms", self.onset_lead_ms),
            ("rail_ms", self.rail_ms),
            ("wild_ms", self.wild_ms),
            ("fault_clear_ms", self.fault_clear_ms),
            ("rhythm_ms", self.rhythm_ms),
        ] {
            check(name, value, value >= 0.0, "must be >= 0")?;
        }
        for (name, value) in [
            ("on_sigma", self.on_sigma),
            ("closure_sigma", self.closure_sigma),
            ("baseline_ms", self.baseline_ms),
            ("wild_sigma", self.wild_sigma),
            ("flat_sigma", self.flat_sigma),
        ] {
            check(name, value, value > 0.0, "must be > 0")?;
        }
        check(
            "off_sigma",
            self.off_sigma,
            self.off_sigma >= 0.0 && self.off_sigma <= self.on_sigma,
            "must be between 0 and on_sigma",
        )?;
        check(
            "max_closure_ms",
            self.max_closure_ms,
            self.max_closure_ms > self.min_closure_ms && self.max_closure_ms >= self.blink_ms,
            "must be above min_closure_ms and at least blink_ms",
        )?;
        check(
            "blink_ms",
            self.blink_ms,
            self.blink_ms > 0.0,
            "must be > 0",
        )?;
        check(
            "floor_ms",
            self.floor_ms,
            self.floor_ms > 0.0 && self.floor_ms <= window_max,
            "must be between 0 and 400 (the floor window's capacity)",
        )?;
        check(
            "flat_ms",
            self.flat_ms,
            self.flat_ms > 0.0 && self.flat_ms <= window_max,
            "must be between 0 and 400 (the flat window's capacity)",
        )?;
        check(
            "typical_share",
            self.typical_share,
            (0.0..=1.0).contains(&self.typical_share),
            "must be between 0 and 1",
        )?;
        check(
            "rhythm_ratio",
            self.rhythm_ratio,
            self.rhythm_ratio >= 0.0,
            "must be >= 0",
        )?;
        check(
            "rhythm_bursts",
            self.rhythm_bursts,
            (0.0..=RHYTHM_KEPT as f64).contains(&self.rhythm_bursts),
            "must be between 0 and 8",
        )?;
        check(
            "rail_low_counts",
            self.rail_low_counts,
            self.rail_low_counts < self.rail_high_counts,
            "must be below rail_high_counts",
        )?;
        check(
            "rail_high_counts",
            self.rail_high_counts,
            true,
            "must be a number",
        )?;
        Ok(())
    }
}

/// A regular rhythm (chewing) has a period in this range ...
const RHYTHM_PERIOD_MS: (f64, f64) = (400.0, 1300.0);
/// ... and its intervals differ by at most this share of their mean.
const RHYTHM_JITTER: f64 = 0.25;
/// Bursts remembered for the rhythm test.
const RHYTHM_KEPT: usize = 8;
// `BlinkDetector::plateaus` has a bit per remembered burst.
const _: () = assert!(RHYTHM_KEPT <= 8);
/// A closure with no rhythm behind it began one (it was the first chew of
/// a meal) if the next two bursts follow it on a regular beat no slower
/// than this (chewing runs at 1-2 Hz; blinks a second apart three times
/// over are rarer than that, and slower) ...
const FIRST_BEAT_PERIOD_MS: f64 = 1100.0;
/// ... and it stood less than this many times as tall as they did, on
/// average. A blink at the start of a meal stands out of the chews after it.
const FIRST_BEAT_RATIO: f64 = 1.1;
/// ... or less than this share of the wearer's typical blink: chews vary
/// in height, and a first chew a little taller than the two after it is
/// still well below a blink. The same holds for the first syllable of
/// speech (below).
const FIRST_BEAT_TYPICAL: f64 = 0.8;
/// The next two bursts' heights are known when they fall; one still up
/// this long after its onset is no chew.
const FIRST_BEAT_WAIT_MS: f64 = 400.0;
/// Longest interval from the held closure's burst to the next that can
/// still start such a beat: the intervals differ by at most `RHYTHM_JITTER`
/// of their mean, which is at most `FIRST_BEAT_PERIOD_MS`.
const FIRST_BEAT_MAX_I1: f64 = FIRST_BEAT_PERIOD_MS * (1.0 + 0.5 * RHYTHM_JITTER);
/// Shortest such interval (the mean is at least `RHYTHM_PERIOD_MS.0`): a
/// burst sooner than this (a double blink) settles it at once.
const FIRST_BEAT_MIN_I1: f64 = RHYTHM_PERIOD_MS.0 * (1.0 - 0.5 * RHYTHM_JITTER);
/// Two intervals on the beat a first chew's verdict looks for: within
/// `RHYTHM_JITTER` of their mean, which is at least `RHYTHM_PERIOD_MS.0`
/// and at most `FIRST_BEAT_PERIOD_MS`.
fn first_beat_regular(a: f64, b: f64) -> bool {
    let mean = 0.5 * (a + b);
    (RHYTHM_PERIOD_MS.0..=FIRST_BEAT_PERIOD_MS).contains(&mean)
        && (a - b).abs() <= RHYTHM_JITTER * mean
}

/// A closure with no rhythm behind it was the first syllable of speech if
/// the next three bursts come within this long of it (speech runs at 3-6
/// syllables a second; blinks come seconds apart) ...
const FIRST_SYLLABLE_MS: f64 = 1500.0;
/// ... and it stood less than this many times as tall as their median (or
/// less than `FIRST_BEAT_TYPICAL` of the wearer's typical blink).
const FIRST_SYLLABLE_RATIO: f64 = 1.2;
/// The longest a closure's event can wait for the verdict on the first
/// beat, after its burst was announced. The chew test: the next burst
/// within `FIRST_BEAT_MAX_I1`, the one after within twice the period of
/// the first, and its fall within `FIRST_BEAT_WAIT_MS`. The speech test:
/// its window, and the fall of a burst at its end. A recorder keeps this
/// much more pre-roll, so the blinks whose events waited still have their
/// frames.
pub const MAX_VERDICT_DELAY_MS: f64 = 2.0 * FIRST_BEAT_PERIOD_MS + FIRST_BEAT_WAIT_MS;
const _: () = assert!(FIRST_SYLLABLE_MS + FIRST_BEAT_WAIT_MS <= MAX_VERDICT_DELAY_MS);
/// At most this many of a calibration's samples are kept to be looked at
/// again (1.5 s at 860 Hz is 1290): memory stays bounded whatever the
/// times say.
const CALIBRATION_KEPT: usize = 4096;
/// A pause in the samples longer than this loses a burst in progress.
const GAP_MS: f64 = 1000.0;
/// Per-sample coefficients never use a step longer than this, so one late
/// sample cannot snap the baseline.
const MAX_STEP_MS: f64 = 200.0;
/// A long closure rose like a blink: within `rise_ms` it reached this share
/// of its highest point so far.
const LONG_EARLY_SHARE: f64 = 0.6;
/// A weak blink: above the floor by this share of `on_sigma` (4 noise
/// units by default) ...
const SUSTAIN_SHARE: f64 = 0.8;
/// ... for this long (two samples at 25 Hz) ...
const SUSTAIN_MS: f64 = 35.0;
/// ... is a closure if its peak reaches `closure_sigma` less this many
/// noise units (4.5 by default; never below half of it). Both follow the
/// configured levels, so a stricter config is stricter here too.
const SUSTAIN_GATE_LESS: f64 = 1.0;
/// Not for a wearer whose typical blink stands this many times
/// `closure_sigma` or more (11 noise units by default): their blinks need no
/// lower bar, and a burst held just over it while they talk is a syllable
/// (the second model's talking 0.928 -> 0.942, 0.891 -> 0.911 on seeds never
/// tuned on; 1.6 gained more but lost talking blinks in the appliance).
const SUSTAIN_TALL_TYPICAL: f64 = 2.0;
/// Two neighbouring samples start a candidate at this share of `on_sigma`
/// (2.5 by default), in noise units of their sum over the baseline (see
/// `BlinkDetector::refresh_pair_bar`). Lower than a single sample's bar,
/// and the closure still has to pass the gate: starting early gives the
/// weak blink an earlier `detected_ms` (the second model's weak wearers sit
/// at the 80 ms latency bound).
const PAIR_START_SHARE: f64 = 0.5;
/// The muscle let go of a burst when it fell below this share of its peak.
const DROP_SHARE: f64 = 0.25;
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
/// A calibration after a fault that finds a noise of a count or two (the
/// ADS1115's own quantisation) and less than this share of the noise
/// before it found a signal that is still not moving: a pad still off.
/// The fault goes on. Learning that stillness as the new rest would judge
/// the pad's return as wild swings, for ever. (A noise merely far below
/// the old one is no sign: the old one may have been inflated, and a
/// recalibration is what mends that.)
const STILL_RECALIBRATION: f64 = 0.15;
const STILL_COUNTS: f64 = 2.0;
/// A `Wild` fault this long is no pad peeling (that takes seconds): the
/// noise it is judged by is wrong, and the detector calibrates afresh.
const WILD_RESET_MS: f64 = 30_000.0;
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
/// A squeeze (see `track`) ends once it has stayed below the off level
/// this long: holding the lid shut, it wavers and dips for a sample or
/// three ...
const LONG_DIP_MS: f64 = 160.0;
/// ... and is back from a dip when it stays this many noise units over
/// the floor for `SUSTAIN_MS` (rest noise after the lid has opened seldom
/// does).
const LONG_BACK_SIGMA: f64 = 4.0;
/// The spread of the height over the floor (see [`baseline::Spread`]) at
/// rest is up to about this many noise units at 25 Hz (less at higher
/// rates: see [`rest_spread`]). A face busier than that (talking, chewing)
/// raises a closure's bar (its noise and typical-blink parts) by the ratio
/// to the power 1.5: a syllable that pokes above 5.5 noise units while the
/// spread is half as large again is no blink, a blink 10 units tall still
/// is. (Power 1 let more syllables through; 2 cost blinks amid chewing.)
const REST_SPREAD: f64 = 1.5;
/// The resting spread, in noise units, falls by this share of
/// `REST_SPREAD` for each doubling of the sample rate over 25 Hz ...
const REST_SPREAD_PER_OCTAVE: f64 = 0.14;
/// ... between these sample intervals (ms): 25 and 100 Hz.
const REST_SPREAD_INTERVALS: (f64, f64) = (10.0, 40.0);

/// The resting spread (in noise units) for samples `interval_ms` apart.
/// The closer the samples, the less a resting face's height over its floor
/// spreads against its noise: the floor, a minimum over more samples,
/// wanders less, and above 50 Hz the onset test's 15 ms mean smooths it.
/// Both sensor models measure it so, at rest (median over onsets, 25 / 50 /
/// 100 Hz): synth 1.37 / 1.17 / 1.03, the second model 1.38 / 1.24 / 0.92.
/// With the 25 Hz bar at every rate, a face talking at 100 Hz (1.34) passed
/// for one at rest and its syllables for blinks. Beyond 100 Hz the two
/// models part (at 860 Hz 0.82 and 0.53), so the bar stays at 100 Hz's.
fn rest_spread(interval_ms: f64) -> f64 {
    let (least, most) = REST_SPREAD_INTERVALS;
    // NaN (no interval known) and slower rates: the 25 Hz bar.
    let interval = if interval_ms < most {
        interval_ms.max(least)
    } else {
        most
    };
    REST_SPREAD * (1.0 - REST_SPREAD_PER_OCTAVE * (most / interval).log2())
}
/// A burst whose hold fluctuates less than this many noise units (standard
/// deviation) is a step of the baseline (see `holds_flat`).
const STEP_FLAT_SIGMA: f64 = 0.7;
/// So is one whose hold fluctuates less than this many (no more than the
/// rest noise, once the noise is learned right) if it stood at
/// `STEP_RISE_SHARE` of its hold within `STEP_RISE_MS` of the decision
/// (rose at once: a smile takes half a second or more) and never rose more
/// than `STEP_OVER_SIGMA` noise units over its hold (no blink's burst on top:
/// a squeeze starts with one).
const STEP_LEVEL_SIGMA: f64 = 1.0;
const STEP_RISE_MS: f64 = 100.0;
const STEP_RISE_SHARE: f64 = 0.8;
const STEP_OVER_SIGMA: f64 = 3.0;
/// A blink on a step (see `blink_on_step`): the hold after it wavers less
/// than this many noise units and stands lower than this many.
const BLINK_STEP_SD: f64 = 1.0;
const BLINK_STEP_LEVEL: f64 = 8.0;
/// ... not counting its highest sample if it stands this many noise units
/// over the rest of the hold's mean (a cable tug).
const BLINK_STEP_TUG_SIGMA: f64 = 6.0;
/// ... and if it never fell to `DROP_SHARE` of its peak (the step stands
/// higher), it fell this many times as long after its peak as it rose to it.
const BLINK_FALL_PER_RISE: f64 = 2.0;
/// ... over the `BLINK_STEP_LOOK_MS` after `blink_ms`.
const BLINK_STEP_LOOK_MS: f64 = 300.0;
/// A long closure that stood at less than this share of its hold (300-600
/// ms after the decision) within `STEP_RISE_MS` of the decision rose
/// slower than any squeeze: a smile. Measured on 4 seeds of each model's
/// smiling and long closures: squeezes 0.86 and up (synth: 1.21), the
/// smiles held as long closures 0.47 at the median (synth: 0.69). It is
/// still one closure, but the eye is taken as open after the burst that
/// began it, and shut again only for the bursts over the plateau (see
/// [`Plateau`]).
const SMILE_FAST_SHARE: f64 = 0.7;
/// A smile's rise up to that verdict that never fell back by this share
/// of its running peak carried no blink (a blink on the rise falls back to
/// it; the rise's own flicker seldom this far): the eye never shut in it,
/// and `Pause` comes at the closure's onset.
const SMILE_RISE_BLINK_FALL: f64 = 0.25;
/// A blink on a smile's rise began (the lid started to close) this long
/// before the peak it fell from: the smile's rise before that is filmed
/// no more than the plateau after it.
const BLINK_PEAK_MS: f64 = 150.0;
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
/// A double blink: the burst fell to this share of its peak ...
const SPLIT_VALLEY_SHARE: f64 = 0.5;
/// ... and rose again by this share of it (and by `on_sigma`), sharply:
/// within this time of the valley, or half of it in the last sample (the
/// tonic squeeze after a deliberate closure's first burst rises slowly).
const SPLIT_RISE_MS: f64 = 100.0;
const SPLIT_RISE_SHARE: f64 = 0.4;
/// A spike is narrower than this many sample intervals at half height ...
const SPIKE_SAMPLES: f64 = 1.15;
/// ... its height taken from this share of the way from the floor up to the
/// baseline.
const SPIKE_LIFT_SHARE: f64 = 0.5;
/// A spike is also narrower than this at half height (ms), measured on the
/// burst's own samples (see [`Beside`]): at 50 Hz and above, where a tug
/// spans more than one sample (at 100 Hz synth's tugs measure 12-16 ms, at
/// 860 Hz 10-14 samples). At 25 Hz a burst this narrow is already one
/// sample wide.
const SPIKE_WIDTH_MS: f64 = 25.0;
/// A burst only one sample wide at half height and taller than this many
/// typical blinks is a cable tug: a blink that narrow is an ordinary one.
const LONE_PEAK_TYPICAL: f64 = 2.0;
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
/// Smallest gap kept between one closure's offset and the next onset.
const EPS_MS: f64 = 1e-3;
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

/// A burst being watched: its `Onset` is out, the verdict is not.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    onset_ms: f64,
    detected_ms: f64,
    /// When the rise crossed the off level (interpolated).
    rose_ms: f64,
    /// The floor it rose from (frozen while it lasts).
    reference: f64,
    /// The noise when it started (frozen too).
    sigma: f64,
    peak_h: f64,
    peak_t: f64,
    /// The tallest sum of two neighbouring heights (see `BlinkDetector::refresh_pair_bar`).
    pair_h: f64,
    /// Highest point besides the peak's own sample: the burst under a
    /// cable tug that landed on it.
    runner_h: f64,
    /// The samples either side of the peak (post: NaN until seen), for the width.
    pre_h: f64,
    pre_t: f64,
    post_h: f64,
    post_t: f64,
    /// Highest point within `rise_ms` of the decision.
    early_h: f64,
    /// Highest point within `STEP_RISE_MS` of the decision.
    fast_h: f64,
    /// Lowest point since the peak (double blinks).
    valley_h: f64,
    valley_t: f64,
    /// The previous sample inside the burst.
    last_h: f64,
    last_t: f64,
    /// Longer than `blink_ms` and rose like a blink: a long closure.
    long: bool,
    /// Stayed `SUSTAIN_SHARE * on_sigma` above its reference for `SUSTAIN_MS`: a
    /// weak blink need not reach `closure_sigma`.
    sustained: bool,
    above_since: f64,
    /// When it last fell below `DROP_SHARE` of its peak (NaN: it is above).
    drop_t: f64,
    /// When it first did, since its peak (NaN: not yet).
    first_drop_t: f64,
    /// Next to signal far below the baseline (a pad peeling off).
    deep: bool,
    /// A squeeze (see `track`): when it dipped below the off level (NaN:
    /// it is above).
    dip_t: f64,
    /// ... and since when it has been back up (NaN: it is not).
    back_t: f64,
    /// Median height of the bursts that came rhythmically before it
    /// (chewing, talking); 0 if they did not.
    context_h: f64,
    /// Its slot in the burst history.
    slot: usize,
    /// How much busier than at rest the face was when it began, to the
    /// power 1.5 (at least 1): what the bar is multiplied by.
    busy: f64,
    /// The samples past `rise_ms` (the hold): count, sum and sum of squares
    /// of their heights, for how much the hold fluctuates. Restarted when
    /// it becomes a long closure, for the second look of `blink_on_step`;
    /// the count is -infinity once that was taken.
    hold_n: f64,
    hold_sum: f64,
    hold_sq: f64,
    /// The hold's highest height (a cable tug, see `hold_without_tug`).
    hold_max: f64,
    /// The largest share of its running peak the burst fell by before it
    /// was long: a blink on a smile's rise shows as such a fall; and when
    /// the peak it fell from stood.
    rise_fall: f64,
    rise_fall_t: f64,
}

/// The hold of a long closure, watched for blinks: a smile's (see
/// `SMILE_FAST_SHARE`), for the blinks on it, which the recorder is told by
/// `Pause` and `Resume`; a squeeze's, for a blink that shows it a smile
/// after all (see `SQUEEZE_BLINK_MS`). Heights over the candidate's
/// reference.
#[derive(Debug, Clone, Copy)]
struct Plateau {
    /// The plateau's level and its ripple (mean absolute deviation), both
    /// followed over `PLATEAU_LEVEL_MS` and `PLATEAU_RIPPLE_MS` outside
    /// bursts.
    level: f64,
    ripple: f64,
    eye: PlateauEye,
    /// The height of the burst that began the closure, and when the eye is
    /// open after it if the closure is a smile.
    first_h: f64,
    first_open: f64,
    /// The sample before.
    last_t: f64,
}

/// The eye on a smile's plateau, as the recorder was told.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PlateauEye {
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
struct Beside {
    rise_t: [f64; WIDTH_RING],
    rise_h: [f64; WIDTH_RING],
    /// Samples written to the ring (the newest at `(n - 1) % WIDTH_RING`).
    n: usize,
    /// The height the width is measured from (see `SPIKE_LIFT_SHARE`).
    lift: f64,
    /// When it fell below half its peak since the peak (NaN: not yet).
    fell_half_t: f64,
}

impl Beside {
    fn new() -> Self {
        Beside {
            rise_t: [f64::NAN; WIDTH_RING],
            rise_h: [f64::NAN; WIDTH_RING],
            n: 0,
            lift: 0.0,
            fell_half_t: f64::NAN,
        }
    }

    /// A new candidate: the sample before it and its first, heights over
    /// its reference; its width measured from `lift`.
    fn restart(&mut self, lift: f64, (prev_t, prev_h): (f64, f64), (t, h): (f64, f64)) {
        self.n = 0;
        self.lift = lift;
        self.fell_half_t = f64::NAN;
        self.rose(prev_t, prev_h);
        self.rose(t, h);
    }

    /// A sample that set a new peak.
    fn rose(&mut self, t: f64, h: f64) {
        let i = self.n % WIDTH_RING;
        self.rise_t[i] = t;
        self.rise_h[i] = h;
        self.n += 1;
        self.fell_half_t = f64::NAN;
    }

    /// A sample `(t, h)` after the peak, the one before it `(last_t, last_h)`:
    /// the first below half the peak is where it fell (interpolated).
    fn fell(&mut self, peak_h: f64, (last_t, last_h): (f64, f64), (t, h): (f64, f64)) {
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

    /// Width at half the peak `peak_h` (heights over the reference, taken
    /// from `lift`): from where the rise crossed it (within the ring) to
    /// where it fell back; infinity if either is not seen (a rise longer
    /// than the ring, a burst that never fell that far).
    fn width(&self, peak_h: f64) -> f64 {
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

/// A closure whose burst has fallen, held while the lid reopens passively.
#[derive(Debug, Clone, Copy)]
struct Pending {
    closure: Closure,
    fell_ms: f64,
    /// Judged with no rhythm behind it: it may have begun one.
    first: Option<FirstBeat>,
}

/// A closure judged with no rhythm behind it, as the verdict on the first
/// beat needs it: when its burst was announced, and its height, as
/// `bursts` holds them.
#[derive(Debug, Clone, Copy)]
struct FirstBeat {
    burst_t: f64,
    height: f64,
}

/// A closure whose event waits for the verdict on the first beat.
#[derive(Debug, Clone, Copy)]
struct Held {
    closure: Closure,
    first: FirstBeat,
}

/// The detector itself. See the module docs.
#[derive(Debug, Clone)]
pub struct BlinkDetector {
    cfg: DetectorConfig,
    /// The detector's own front end (unused when a sweep shares one).
    front: FrontEnd,
    started: bool,
    /// The last sample's time (to judge a burst still going on at the end).
    last_t: f64,
    /// The floor window's minimum, as of the last sample.
    window_floor: f64,
    /// [`DetectorConfig::ground`].
    ground: f64,
    calibration: Option<Calibration>,
    /// A fresh look at the resting signal, taken while the running noise
    /// stands well above the last calibration's (see `recheck`).
    recheck: Option<Fresh>,
    /// The running noise above which the fresh look is taken.
    recheck_above: f64,
    /// The noise the last calibration found: the fresh look goes no lower.
    recheck_least: f64,
    /// When the fresh look last learned a sample.
    recheck_last_t: f64,
    /// When the fault in force (or the last one) began; NaN before any:
    /// only the session's first calibration follows no fault.
    fault_since: f64,
    level: Level,
    faults: FaultWatch,
    memory: BlinkMemory,
    candidate: Option<Candidate>,
    /// What the width of the candidate needs besides (see [`Beside`]); on
    /// the heap, touched only at 50 Hz and above, so its 0.5 kB stay out
    /// of the detector that a sweep's lockstep group walks every sample.
    beside: Box<Beside>,
    pending: Option<Pending>,
    /// Since when the signal has stayed `SUSTAIN_SHARE * on_sigma` above the floor (NaN: it has not).
    above_since: f64,
    /// How busy the face is lately (talking, chewing).
    spread: Spread,
    /// When the last burst fell (for the refractory time).
    last_fell_ms: f64,
    /// Offset of the last closure: the next onset may not precede it.
    last_offset_ms: f64,
    /// Recent bursts: when they were announced and how tall they grew
    /// (negative: a spike, which is no part of a rhythm).
    bursts: [(f64, f64); RHYTHM_KEPT],
    bursts_next: usize,
    /// Bit k set: the burst in slot k of `bursts` rose and stayed (a smile,
    /// a step), so it was no beat.
    plateaus: u8,
    state: State,
    events: VecDeque<Event>,
    /// A long closure's hold (a smile's plateau or a squeeze's), watched
    /// for blinks.
    plateau: Option<Plateau>,
    /// The closure waiting for the verdict on the first beat ...
    held: Option<Held>,
    /// ... the events after it, in order (closures that wait in turn carry
    /// what their own verdict needs) ...
    queued: VecDeque<(Event, Option<FirstBeat>)>,
    /// ... and when to look at the verdict again (infinity: nothing held).
    held_due: f64,
    /// The earlier of the pending closure's offset and `held_due`: one
    /// comparison a sample tells whether either needs attention.
    due: f64,
    /// The samples of the calibration under way (its last
    /// `calibration_ms`), looked at again once it ends: a blink in the
    /// session's first seconds, or just after a pad came back, is not lost.
    calibrating: VecDeque<Prepared>,
    /// When the last calibration ended: what it found was decided then, so
    /// no event claims an earlier `detected_ms`.
    calibrated_ms: f64,
    /// The resting spread for the sample rate the last calibration saw (see
    /// [`rest_spread`]), in noise units.
    rest_spread: f64,
    /// The noise of two neighbouring samples' sum, in noise units (see
    /// `calibrated_pair_norm`): 2 until a calibration measured it.
    pair_norm: f64,
    /// When two neighbouring samples start a candidate, in noise units over
    /// the baseline (see `refresh_pair_bar`).
    pair_bar: f64,
    /// Samples come close enough for a burst's width in milliseconds to
    /// tell a tug (`SPIKE_WIDTH_MS`; 50 Hz and above, as the last
    /// calibration saw): only then is [`Beside`] kept up.
    fine_widths: bool,
}

impl BlinkDetector {
    /// Builds a detector; the config must be valid.
    pub fn new(cfg: DetectorConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(BlinkDetector {
            level: Level::new(0.0, 1.0, cfg.baseline_ms),
            front: FrontEnd::new(FrontKey::of(&cfg)),
            faults: FaultWatch::new(&cfg),
            memory: BlinkMemory::new(),
            ground: cfg.ground(),
            cfg,
            started: false,
            last_t: f64::NEG_INFINITY,
            window_floor: f64::INFINITY,
            calibration: None,
            recheck: None,
            recheck_above: f64::INFINITY,
            recheck_least: 0.0,
            recheck_last_t: f64::NEG_INFINITY,
            fault_since: f64::NAN,
            candidate: None,
            beside: Box::new(Beside::new()),
            pending: None,
            above_since: f64::NAN,
            spread: Spread::new(),
            last_fell_ms: f64::NEG_INFINITY,
            last_offset_ms: f64::NEG_INFINITY,
            bursts: [(f64::NEG_INFINITY, 0.0); RHYTHM_KEPT],
            bursts_next: 0,
            plateaus: 0,
            state: State::Calibrating,
            events: VecDeque::with_capacity(8),
            plateau: None,
            held: None,
            queued: VecDeque::new(),
            held_due: f64::INFINITY,
            due: f64::INFINITY,
            calibrating: VecDeque::new(),
            calibrated_ms: f64::NEG_INFINITY,
            rest_spread: REST_SPREAD,
            pair_norm: 2.0,
            pair_bar: f64::INFINITY,
            fine_widths: false,
        })
    }

    /// The config in use.
    pub fn config(&self) -> &DetectorConfig {
        &self.cfg
    }

    /// Feeds one sample. Times should not decrease; a time earlier than the
    /// last is taken as equal to it.
    #[inline]
    pub fn push(&mut self, t_ms: f64, emg: i32) {
        if let Some(p) = self.front.advance(t_ms, emg) {
            self.push_prepared(&p);
        }
    }

    /// Feeds one sample prepared by a [`FrontEnd`] built from this config's
    /// [`FrontKey`] (or an equal one) and fed every sample, in order. This
    /// is how a sweep shares one front end among many detectors; `push`
    /// uses the detector's own.
    #[inline(always)]
    pub fn push_prepared(&mut self, p: &Prepared) {
        let (t, x) = (p.t, p.x);
        if !self.started {
            self.start(t);
        }
        self.last_t = t;
        self.window_floor = p.window_floor;
        if t >= self.due {
            self.on_due(t);
        }
        // Outside a fault the flat window is judged in `FaultWatch::signal`.
        let was_sound = self.faults.active.is_none();
        if p.dt > GAP_MS {
            self.abandon(t);
        }
        if let Some(kind) = self.faults.rails(t, p.railed_since) {
            self.begin_fault(kind, t);
        }
        if self.faults.active.is_some() {
            // Only what the fault watch needs is passed on, by value: a
            // reference to `p` would make every sample write it to memory.
            let flat_range = self.fault_flat_range(p, was_sound);
            self.push_in_fault(t, x, flat_range, p.railed_since);
            return;
        }
        if self.calibration.is_some() {
            self.push_calibrating(*p);
            return;
        }
        let dt_c = baseline::fmin(p.dt, MAX_STEP_MS);
        let sigma = self.level.sigma();
        if let Some(kind) = self.faults.signal(
            t,
            dt_c,
            x,
            self.level.base,
            sigma,
            p.newest_range,
            p.flat_range,
        ) {
            self.begin_fault(kind, t);
            return;
        }
        self.push_sound(t, x, p.smooth_x, dt_c, sigma, p.prev_t, p.prev_x);
    }

    /// A sample of a sound signal, past any calibration. `smooth_x` is what
    /// the onset test and the busy face's spread look at (see
    /// [`front::SMOOTH_MS`]); the baseline learns from `x`, and a burst
    /// under way is followed sample by sample, so a cable tug keeps its
    /// shape.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn push_sound(
        &mut self,
        t: f64,
        x: f64,
        smooth_x: f64,
        dt_c: f64,
        sigma: f64,
        prev_t: f64,
        prev_x: f64,
    ) {
        if self.candidate.is_some() {
            self.track_out_of_line(t, x);
        } else {
            let floor = self.floor();
            let smooth_excess = smooth_x - floor;
            self.spread.update(smooth_excess, sigma, dt_c);
            // A weak blink may never reach `on_sigma`, but it stays up for
            // a while where noise flickers: a lower level held for
            // `SUSTAIN_MS` starts a candidate too. Most samples lie below
            // even that, and are done with after one comparison.
            // Two neighbours together (see `refresh_pair_bar`).
            let pair = smooth_x + prev_x - 2.0 * self.level.base;
            let pair_bar = self.pair_bar * sigma;
            let low = smooth_excess < SUSTAIN_SHARE * self.cfg.on_sigma * sigma;
            let rose = if low && pair < pair_bar {
                self.above_since = f64::NAN;
                false
            } else {
                if low {
                    self.above_since = f64::NAN;
                } else if self.above_since.is_nan() {
                    self.above_since = t;
                }
                smooth_excess >= self.cfg.on_sigma * sigma
                    || t - self.above_since >= SUSTAIN_MS
                    || pair >= pair_bar
            };
            if rose && t - self.last_fell_ms >= self.cfg.refractory_ms {
                self.above_since = f64::NAN;
                self.open_out_of_line(t, x, prev_t, prev_x, floor, sigma);
            } else if self.pending.is_none() {
                self.level.update(x, dt_c, self.window_floor > self.ground);
                self.state = State::Open;
                if sigma > self.recheck_above {
                    self.recheck(t, x);
                }
            }
        }
    }

    /// The pending closure's offset or the held closure's next look came.
    #[cold]
    #[inline(never)]
    fn on_due(&mut self, t: f64) {
        if let Some(p) = self.pending {
            if t >= p.closure.offset_ms {
                self.emit_pending(p.closure.offset_ms);
            }
        }
        if t >= self.held_due {
            self.settle_held(t, false);
        }
        self.refresh_due();
    }

    fn refresh_due(&mut self) {
        let offset = self.pending.map_or(f64::INFINITY, |p| p.closure.offset_ms);
        self.due = offset.min(self.held_due);
    }

    /// [`Self::track`], kept out of `push_prepared` so that the open-eye
    /// path, most samples, stays small enough to inline into a sweep's loop.
    #[inline(never)]
    fn track_out_of_line(&mut self, t: f64, x: f64) {
        self.track(t, x);
    }

    /// [`Self::open`], out of line for the same reason.
    #[cold]
    #[inline(never)]
    fn open_out_of_line(&mut self, t: f64, x: f64, prev_t: f64, prev_x: f64, floor: f64, s: f64) {
        self.open(t, x, prev_t, prev_x, floor, s);
    }

    /// The most a flat signal may move over the flat window.
    #[inline]
    fn flat_threshold(&self) -> f64 {
        self.cfg.flat_sigma * self.level.sigma()
    }

    /// The very first sample: start calibrating.
    #[cold]
    #[inline(never)]
    fn start(&mut self, t: f64) {
        self.started = true;
        // The session's start: the signal is taken as it is (waiting for
        // it to settle cost walking wearers their first blinks).
        self.calibration = Some(Calibration::new(t, self.cfg.calibration_ms, false));
    }

    /// Inside a fault: the flat window's range when a bucket closed on this
    /// sample and it is known. `was_sound`: no fault was in force before
    /// this sample.
    #[inline(always)]
    fn fault_flat_range(&self, p: &Prepared, was_sound: bool) -> Option<f64> {
        if !p.closed {
            None
        } else if was_sound && p.newest_range > self.flat_threshold() {
            // The newest bucket alone moves more than a flat signal may: so
            // does the whole window, whatever its full range.
            Some(p.newest_range)
        } else {
            Some(p.flat_range).filter(|r| !r.is_nan())
        }
    }

    /// A sample inside a fault: only watch for its end. Kept out of the hot
    /// path of `push`, which is the ordinary open-eye sample.
    #[cold]
    #[inline(never)]
    fn push_in_fault(&mut self, t: f64, x: f64, flat_range: Option<f64>, railed_since: f64) {
        let cleared = self
            .faults
            .clears(t, x, flat_range, self.level.sigma(), railed_since);
        // A `Wild` fault is judged against the noise it began with; if that
        // noise was learned on a still signal (a session begun with a pad
        // off), the pad's return looks wild for ever. Past any peeling pad,
        // the detector calibrates afresh.
        let stale = self.faults.active == Some(FaultKind::Wild)
            && t - self.fault_since >= WILD_RESET_MS
            && railed_since.is_nan();
        let cleared = cleared.or_else(|| {
            stale.then(|| {
                self.faults.reset();
                FaultKind::Wild
            })
        });
        if let Some(kind) = cleared {
            self.emit(Event::FaultEnd { kind, t_ms: t });
            // A pad back on may still be settling.
            self.calibration = Some(Calibration::new(t, self.cfg.calibration_ms, true));
            self.state = State::Calibrating;
        }
    }

    /// A sample while calibrating (the first seconds, and after a fault).
    #[cold]
    #[inline(never)]
    fn push_calibrating(&mut self, p: Prepared) {
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
                    if !self.fault_since.is_nan()
                        && sigma <= STILL_COUNTS
                        && sigma < STILL_RECALIBRATION * self.level.sigma()
                    {
                        // After a fault, a signal this much quieter than
                        // before is a pad still off, not a new rest: the
                        // fault goes on, judged by the noise it began with.
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
    fn refresh_pair_bar(&mut self) {
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
    fn calibrated_pair_norm(&self) -> f64 {
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
        for p in &samples {
            self.last_t = p.t;
            self.window_floor = p.window_floor;
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
    fn recheck(&mut self, t: f64, x: f64) {
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

    /// The floor a blink must rise above: the recent minimum, but never far
    /// below the baseline (a downward spike must not make the next ordinary
    /// sample look like a rise).
    #[inline]
    fn floor(&self) -> f64 {
        baseline::fmax(
            self.window_floor,
            self.level.base - 3.0 * self.level.sigma(),
        )
    }

    /// A fast rise: announce it at once (`Onset`), judge it later.
    fn open(&mut self, t: f64, x: f64, prev_t: f64, prev_x: f64, floor: f64, sigma: f64) {
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
    fn track(&mut self, t: f64, x: f64) {
        let cfg = &self.cfg;
        let (off_sigma, on_sigma, rise_ms) = (cfg.off_sigma, cfg.on_sigma, cfg.rise_ms);
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
            self.decide(prev_t, t);
            self.open(t, x, prev_t, prev_x, reference, s);
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

    /// Median height of the bursts that make `t` part of a rhythm, else 0;
    /// and whether `t` came between the beats of a regular rhythm.
    ///
    /// Two kinds of rhythm. *Regular* (chewing: 1-2 Hz, each chew much like
    /// the last): the latest bursts evenly spaced at a period between
    /// `RHYTHM_PERIOD_MS`; a burst on the beat is one more chew, a burst
    /// between beats is something else (a blink) and is judged on its own.
    /// *Dense* (speech: syllables at 3-6 Hz, irregular): at least
    /// `rhythm_bursts` bursts within `rhythm_ms` before `t`. Spontaneous
    /// blinks are neither: seconds apart, irregular.
    fn rhythm_context(&self, t: f64) -> (f64, bool) {
        let since = t - self.cfg.rhythm_ms;
        let mut heights = [0.0; RHYTHM_KEPT];
        let mut n = 0;
        // The three latest bursts before t, latest first. The ring holds
        // them in the order they were announced: walked back from the
        // newest, the first three found are the latest.
        let mut latest = [(f64::NEG_INFINITY, 0.0); 3];
        let mut found = 0;
        for k in 1..=RHYTHM_KEPT {
            let (bt, h) = self.bursts[(self.bursts_next + RHYTHM_KEPT - k) % RHYTHM_KEPT];
            if bt < t && h > 0.0 {
                if bt >= since {
                    heights[n] = h;
                    n += 1;
                }
                if found < 3 {
                    latest[found] = (bt, h);
                    found += 1;
                }
            }
        }
        let [p3, p2, p1] = latest;
        let regular = |a: f64, b: f64| {
            let mean = 0.5 * (a + b);
            (RHYTHM_PERIOD_MS.0..=RHYTHM_PERIOD_MS.1).contains(&mean)
                && (a - b).abs() <= RHYTHM_JITTER * mean
        };
        let (i1, i2, now) = (p2.0 - p1.0, p3.0 - p2.0, t - p3.0);
        if regular(i1, i2) {
            let beat = now / (0.5 * (i1 + i2));
            if (1.0 - RHYTHM_JITTER..=1.0 + RHYTHM_JITTER).contains(&beat) {
                return (median3(p1.1, p2.1, p3.1), false);
            }
            if beat < 1.0 {
                // Between beats: not one of them.
                return (0.0, true);
            }
        }
        if regular(i2, now) {
            // The third burst on the beat of the two before: a rhythm starts.
            return (0.5 * (p2.1 + p3.1), false);
        }
        if n > 0 && (n as f64) >= self.cfg.rhythm_bursts {
            return (baseline::median_in_place(&mut heights[..n]), false);
        }
        (0.0, false)
    }

    /// The least height a candidate needs to be a closure: `closure_sigma`
    /// noise units (less for a sustained burst unless the wearer's blinks
    /// stand tall, and for a wearer whose blinks are small) or a share of
    /// the typical blink, whichever is more, times how busy the face was;
    /// and a multiple of the rhythm's bursts.
    fn gate(&self, c: &Candidate) -> f64 {
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
    fn passes_by_pair(&self, c: &Candidate, peak_h: f64) -> Option<f64> {
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

    /// One more sample of a long closure's hold (height `h` over its
    /// reference, noise `s`). On a smile's plateau: tells the recorder when
    /// the eye is open (`Pause`) and when a burst over it shuts it again
    /// (`Resume`). On a squeeze's: watches for a blink, which shows it a
    /// smile.
    #[cold]
    #[inline(never)]
    fn watch_plateau(&mut self, t: f64, h: f64, s: f64) {
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
    fn hold_stats(c: &Candidate) -> (f64, f64) {
        let mean = c.hold_sum / c.hold_n;
        (mean, c.hold_sq / c.hold_n - mean * mean)
    }

    /// The burst's hold (its samples past `rise_ms`) fluctuates far less
    /// than the noise: an offset that stepped and stayed. A deliberate
    /// closure's squeeze is muscle activity, which makes the envelope
    /// fluctuate at least as much as at rest; a step carries only the
    /// sensor's own noise, and the noise level learned while walking also
    /// carries the wander of the steps before it.
    fn holds_flat(c: &Candidate) -> bool {
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
    fn blink_on_step(c: &Candidate) -> Option<f64> {
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
    fn blink_end(c: &Candidate) -> f64 {
        if c.first_drop_t.is_nan() {
            c.peak_t + BLINK_FALL_PER_RISE * (c.peak_t - c.rose_ms).max(0.0)
        } else {
            c.first_drop_t
        }
    }

    /// Mean and variance of the hold (see `hold_stats`), a cable tug in it
    /// (walking) left out: its highest sample, if it stands
    /// `BLINK_STEP_TUG_SIGMA` noise units over the mean of the rest.
    fn hold_without_tug(c: &Candidate) -> (f64, f64) {
        if c.hold_n >= 4.0 {
            let n = c.hold_n - 1.0;
            let m = (c.hold_sum - c.hold_max) / n;
            if c.hold_max - m > BLINK_STEP_TUG_SIGMA * c.sigma {
                return (m, (c.hold_sq - c.hold_max * c.hold_max) / n - m * m);
            }
        }
        Self::hold_stats(c)
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
    fn stands_tall(&self, typical: f64, sigma: f64) -> bool {
        typical >= SUSTAIN_TALL_TYPICAL * self.cfg.closure_sigma * sigma
    }

    /// The burst fell at `fell`: a closure, or not.
    fn decide(&mut self, fell: f64, t: f64) {
        let Some(c) = self.candidate.take() else {
            return;
        };
        self.plateau = None;
        self.bursts[c.slot].1 = c.peak_h;
        self.last_fell_ms = fell;
        self.memory.forget_if_stale(t);
        self.refresh_pair_bar();
        let gate = self.gate(&c);
        // The width is measured from halfway up to the baseline: the floor
        // (the lowest of the recent samples) sits well under it on a restless
        // signal, and from there the ordinary samples beside a cable tug
        // stand high enough to make it as wide as a narrow blink (the second
        // model's walking; from the baseline itself, synth's one-sample
        // blinks became spikes).
        let lift = self.spike_lift(c.reference);
        let (width, step) = Self::half_width(&c, lift);
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
        let spike = !c.long
            && (width < SPIKE_SAMPLES * step
                || lone_peak
                || brief
                // Where samples come this close (50 Hz and above): at
                // 25 Hz a burst this narrow is one sample wide.
                || (self.fine_widths
                    && SPIKE_SAMPLES * step < SPIKE_WIDTH_MS
                    && self.beside.width(c.peak_h) < SPIKE_WIDTH_MS));
        if spike {
            self.bursts[c.slot].1 = -c.peak_h;
        }
        // ... unless a blink lies under it: the burst without the spike's
        // own sample is as tall as a blink of this wearer and lasted like
        // one (a tug landing on a blink, common while walking). It is
        // judged by that burst. That burst may stand over half the tug: a
        // burst that narrow is then no neighbour of the tug's sample, but a
        // blink just after it. A peeling pad's swings come in bursts far
        // taller than a blink: they stay spikes.
        let tugged = spike
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

    /// The candidate was a step of the baseline that stayed: drops it, and
    /// the new level is the baseline from now on (no onset until the floor
    /// window has refilled at it).
    fn step_stayed(&mut self, t: f64, x: f64) {
        self.retract_plateau(t);
        self.level.reseed(x);
        self.last_fell_ms = t + self.cfg.floor_ms;
    }

    /// Drops the candidate, which rose and stayed (a smile, a step): no
    /// beat of a rhythm either.
    fn retract_plateau(&mut self, t: f64) {
        if let Some(c) = &self.candidate {
            self.plateaus |= 1 << c.slot;
        }
        self.retract(t);
    }

    /// Drops the candidate: not a closure after all.
    fn retract(&mut self, t: f64) {
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

    /// Emits the pending closure with its offset no later than `limit`.
    #[inline(never)]
    fn emit_pending(&mut self, limit: f64) {
        if let Some(p) = self.pending.take() {
            let off = p.closure.offset_ms.min(limit).max(p.fell_ms);
            self.finalize(p.closure, off, limit.max(off), p.first);
        }
        self.refresh_due();
    }

    /// Emits a closure ending at `offset`, as long as that leaves it a
    /// length and lies no later than `now`; otherwise it is retracted. One
    /// that may begin a rhythm (`first`) waits for its verdict.
    fn finalize(&mut self, mut c: Closure, offset: f64, now: f64, first: Option<FirstBeat>) {
        c.offset_ms = offset.max(c.onset_ms + EPS_MS);
        if c.offset_ms > now.max(c.onset_ms) + EPS_MS || !c.offset_ms.is_finite() {
            self.emit(Event::Retracted {
                onset_ms: c.onset_ms,
                t_ms: now.max(self.calibrated_ms),
            });
            return;
        }
        self.last_offset_ms = c.offset_ms;
        match first {
            None => self.emit(Event::Closure(c)),
            Some(first) if self.held.is_some() => {
                self.queued.push_back((Event::Tentative(c), None));
                self.queued.push_back((Event::Closure(c), Some(first)));
            }
            Some(first) => {
                self.events.push_back(Event::Tentative(c));
                self.held = Some(Held { closure: c, first });
                self.settle_held(now, false);
            }
        }
    }

    /// Queues an event: behind a held closure if there is one.
    fn emit(&mut self, e: Event) {
        if self.held.is_some() {
            self.queued.push_back((e, None));
        } else {
            self.events.push_back(e);
        }
    }

    /// Gives the verdict on the held closure if it is known by `now` (or,
    /// `closing`, with the bursts there are), releases the events behind
    /// it, and goes on with the next closure that waits; else sets when to
    /// look again.
    #[cold]
    #[inline(never)]
    fn settle_held(&mut self, now: f64, closing: bool) {
        while let Some(first) = self.held.as_ref().map(|h| h.first) {
            let Some(began_rhythm) = self.first_beat(&first, now, closing) else {
                self.refresh_due();
                return;
            };
            let Some(h) = self.held.take() else { return };
            self.held_due = f64::INFINITY;
            if began_rhythm {
                self.memory.forget(first.burst_t);
                self.refresh_pair_bar();
                self.events.push_back(Event::Retracted {
                    onset_ms: h.closure.onset_ms,
                    t_ms: now.max(self.calibrated_ms),
                });
            } else {
                self.events.push_back(Event::Closure(h.closure));
            }
            while let Some((e, first)) = self.queued.pop_front() {
                match (e, first) {
                    (Event::Closure(closure), Some(first)) => {
                        self.held = Some(Held { closure, first });
                        break;
                    }
                    (e, _) => self.events.push_back(e),
                }
            }
        }
        self.refresh_due();
    }

    /// Whether the closure `f` began a rhythm, a meal's or speech: `None`
    /// while the bursts after it cannot tell yet (and `held_due` says until
    /// when at most).
    fn first_beat(&mut self, f: &FirstBeat, now: f64, closing: bool) -> Option<bool> {
        match self.first_chew(f, now, closing) {
            Some(false) => self.first_syllable(f, now, closing),
            None => {
                // A wait for time alone ends in "no meal", and then the
                // speech test's window must be over too: one look then, not
                // two (bursts meanwhile are looked at anyway).
                self.held_due = self.held_due.max(f.burst_t + FIRST_SYLLABLE_MS);
                None
            }
            chew => chew,
        }
    }

    /// The first syllable of speech: the next three bursts come within
    /// `FIRST_SYLLABLE_MS`, and it stood less than `FIRST_SYLLABLE_RATIO`
    /// times as tall as their median, or well below the wearer's typical
    /// blink. Judged as soon as their heights are known (they fell), or
    /// once the window is over with fewer. Not for a closure between the
    /// beats of a meal: the chews after it would pass.
    #[cold]
    #[inline(never)]
    fn first_syllable(&mut self, f: &FirstBeat, now: f64, closing: bool) -> Option<bool> {
        let end = f.burst_t + FIRST_SYLLABLE_MS;
        // The three bursts after it within the window.
        let (first, n, _) = self.bursts_after::<3>(f.burst_t, end);
        if n < first.len() {
            if now < end && !closing {
                self.held_due = end;
                return None;
            }
            return Some(false);
        }
        if let Some(&(bt, _)) = first.iter().find(|b| b.1 == 0.0) {
            if !closing && now < bt + FIRST_BEAT_WAIT_MS {
                // Still rising.
                self.held_due = bt + FIRST_BEAT_WAIT_MS;
                return None;
            }
        }
        let median = median3(first[0].1, first[1].1, first[2].1);
        // Not between the beats of a meal, as the ring shows it now (if
        // more than four bursts followed, it no longer holds the three
        // before: that was speech, not a meal).
        Some(
            (f.height < FIRST_SYLLABLE_RATIO * median || self.well_below_typical(f.height))
                && !self.rhythm_context(f.burst_t).1,
        )
    }

    /// The first chew of a meal: the next two bursts follow it on a regular
    /// beat and it stood no taller than they did, or well below the
    /// wearer's typical blink.
    fn first_chew(&mut self, f: &FirstBeat, now: f64, closing: bool) -> Option<bool> {
        // Only the two bursts after it matter.
        let (after, n, reached) = self.bursts_after::<2>(f.burst_t, f64::INFINITY);
        let jitter = RHYTHM_JITTER;
        // Every remembered burst came after it: the next ones may be lost.
        if !reached {
            return Some(false);
        }
        let below = self.well_below_typical(f.height);
        if n == 0 {
            return self.wait_for(f.burst_t + FIRST_BEAT_MAX_I1, now, closing);
        }
        let (t1, h1) = after[0];
        let i1 = t1 - f.burst_t;
        if !(FIRST_BEAT_MIN_I1..=FIRST_BEAT_MAX_I1).contains(&i1) {
            return Some(false);
        }
        // The second chew of a meal: on the beat of the burst before it and
        // the one after, and well below the wearer's blinks (blinks come in
        // threes a second apart too), or no taller than those two before
        // the wearer's blinks are known. The first chew had too little
        // behind it to set a rhythm, and a blink soon after breaks the beat
        // of the two after. Not for a burst between the beats of a rhythm
        // before it: a blink amid chews.
        if let Some((t0, h0)) = self.burst_before(f.burst_t) {
            if first_beat_regular(f.burst_t - t0, i1) && !self.rhythm_context(f.burst_t).1 {
                if h1 == 0.0 {
                    // Still rising.
                    return self.wait_for(t1 + FIRST_BEAT_WAIT_MS, now, closing);
                }
                let unknown = self.memory.typical().is_none();
                if below || (unknown && f.height < FIRST_BEAT_RATIO * 0.5 * (h0 + h1)) {
                    return Some(true);
                }
            }
        }
        if n == 1 {
            let i2_max = (i1 * (1.0 + 0.5 * jitter) / (1.0 - 0.5 * jitter))
                .min(2.0 * FIRST_BEAT_PERIOD_MS - i1);
            return self.wait_for(t1 + i2_max, now, closing);
        }
        let (t2, h2) = after[1];
        if !first_beat_regular(i1, t2 - t1) {
            return Some(false);
        }
        if h1 == 0.0 || h2 == 0.0 {
            // Still rising.
            return self.wait_for(t2 + FIRST_BEAT_WAIT_MS, now, closing);
        }
        Some(f.height < FIRST_BEAT_RATIO * 0.5 * (h1 + h2) || below)
    }

    /// The first beat's verdict waits for bursts until `until`: none if
    /// that is over (or the stream is `closing`), else looked at again then.
    fn wait_for(&mut self, until: f64, now: f64, closing: bool) -> Option<bool> {
        if closing || now >= until {
            Some(false)
        } else {
            self.held_due = until;
            None
        }
    }

    /// The first `N` bursts announced after `t` and no later than `until`,
    /// spikes and plateaus left out, earliest first; how many such bursts
    /// there are; and whether the ring reaches back to `t` (if not, the
    /// next ones may be lost). The ring holds the bursts in the order they
    /// were announced: it is walked back from the newest to `t`, keeping
    /// the last `N` found.
    fn bursts_after<const N: usize>(&self, t: f64, until: f64) -> ([(f64, f64); N], usize, bool) {
        let mut first = [(0.0, 0.0); N];
        let mut n = 0;
        for k in 1..=RHYTHM_KEPT {
            let i = (self.bursts_next + RHYTHM_KEPT - k) % RHYTHM_KEPT;
            let (bt, h) = self.bursts[i];
            if bt <= t {
                return (first, n, true);
            }
            if bt <= until && h >= 0.0 && self.plateaus & (1 << i) == 0 {
                first.copy_within(0..N - 1, 1);
                first[0] = (bt, h);
                n += 1;
            }
        }
        (first, n, false)
    }

    /// The latest burst announced before `t` that has fallen, spikes and
    /// plateaus left out, if the ring still holds one.
    #[cold]
    #[inline(never)]
    fn burst_before(&self, t: f64) -> Option<(f64, f64)> {
        (1..=RHYTHM_KEPT)
            .map(|k| (self.bursts_next + RHYTHM_KEPT - k) % RHYTHM_KEPT)
            .find(|&i| {
                self.bursts[i].0 < t && self.bursts[i].1 > 0.0 && self.plateaus & (1 << i) == 0
            })
            .map(|i| self.bursts[i])
    }

    /// A first beat this much lower than the wearer's blinks is no blink
    /// (`FIRST_BEAT_TYPICAL`; never, before the typical height is known).
    fn well_below_typical(&self, height: f64) -> bool {
        height < FIRST_BEAT_TYPICAL * self.memory.typical().unwrap_or(0.0)
    }

    /// A pause in the samples: a burst in progress cannot be judged.
    #[cold]
    #[inline(never)]
    fn abandon(&mut self, t: f64) {
        self.retract(t);
        if let Some(p) = self.pending {
            self.emit_pending(p.closure.offset_ms);
        }
    }

    #[cold]
    #[inline(never)]
    fn begin_fault(&mut self, kind: FaultKind, t: f64) {
        self.retract(t);
        if self.pending.is_some() {
            self.emit_pending(t);
        }
        self.calibration = None;
        self.state = State::Fault;
        self.fault_since = t;
        self.emit(Event::FaultStart { kind, t_ms: t });
    }

    /// Ends the stream: a burst still going on is judged as if it fell at
    /// the last sample, and a held closure is released.
    pub fn finish(&mut self) {
        if let Some(c) = &self.candidate {
            let t = self.last_t;
            // A squeeze in a dip ended when the dip began.
            let fell = if c.dip_t.is_nan() { t } else { c.dip_t };
            self.decide(fell, t);
        }
        if let Some(p) = self.pending {
            self.emit_pending(p.closure.offset_ms);
        }
        self.settle_held(self.last_t, true);
    }

    /// The next decision, if any. Call until `None` after every `push`.
    pub fn poll(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// What the detector believes now.
    pub fn snapshot(&self) -> Snapshot {
        let sigma = self.level.sigma();
        let (reference, s) = match &self.candidate {
            Some(c) => (c.reference, c.sigma),
            None if self.started => (self.floor(), sigma),
            None => (self.level.base, sigma),
        };
        Snapshot {
            state: self.state,
            baseline: self.level.base,
            noise: sigma,
            on_threshold: reference + self.cfg.on_sigma * s,
            off_threshold: reference + self.cfg.off_sigma * s,
        }
    }

    /// How well the pads sit, once a few blinks were seen: the median blink
    /// height over the noise, mapped to 0..1.
    pub fn placement(&self) -> Option<Placement> {
        self.memory.placement()
    }

    /// A burst is being watched while an earlier closure's verdict is held
    /// (step 5 of the module docs): its `Onset` waits behind that verdict,
    /// up to [`MAX_VERDICT_DELAY_MS`], though the eye may be shut now (the
    /// second of a double blink). A light that shows the wearer the camera
    /// at work follows this too.
    pub fn burst_behind_held(&self) -> bool {
        self.held.is_some() && self.candidate.is_some()
    }
}

/// The median of three heights (never NaN).
fn median3(a: f64, b: f64, c: f64) -> f64 {
    baseline::fmax(
        baseline::fmin(a, b),
        baseline::fmin(baseline::fmax(a, b), c),
    )
}

/// The slowest sampling the detector is made for, a little under the
/// default 25 Hz so that a clock that runs slow passes. Slower, a blink is
/// one or two samples, which a cable tug also is, and many blinks are lost
/// (see [`slow_rate_warning`]).
pub const SLOWEST_RATE_HZ: f64 = 22.0;

/// A warning, for the log, when samples come every `period_ms` (the
/// median interval): slower than [`SLOWEST_RATE_HZ`]. None otherwise, or
/// when no interval is known (NaN, zero).
pub fn slow_rate_warning(period_ms: f64) -> Option<String> {
    let hz = 1000.0 / period_ms;
    // NaN, zero and infinity (no interval) fail the first test.
    if !(period_ms.is_finite() && hz < SLOWEST_RATE_HZ) {
        return None;
    }
    Some(format!(
        "samples come every {period_ms:.0} ms ({hz:.1} Hz), slower than the detector is made \
         for ({SLOWEST_RATE_HZ:.0} Hz and up; 25 Hz is the default): a blink is then one or two \
         samples, as a cable tug is, and many are missed (on synth's traces F1 0.87 at 20 Hz, \
         0.81 at 16 Hz and 0.45 at 10 Hz, against 0.90 at 25 Hz)"
    ))
}

/// A warning, for the log, when the blinks reach one top (see
/// [`Placement::clipped_at`]): `top` counts.
pub fn clipped_warning(top: f64) -> String {
    format!(
        "blinks reach {top:.0} counts again and again, the top of the signal: the envelope is \
         clipped there, most likely because the sensor's gain is too high (turn the MyoWare's \
         gain down); a clipped blink looks like a clipped chew, and a squeeze held there like a \
         railed pad"
    )
}

/// Runs a detector over samples and returns the complete closures.
pub fn detect_all(
    cfg: &DetectorConfig,
    samples: impl IntoIterator<Item = crate::trace::Sample>,
) -> Result<Vec<Closure>, ConfigError> {
    let mut d = BlinkDetector::new(cfg.clone())?;
    let mut out = Vec::new();
    let drain = |d: &mut BlinkDetector, out: &mut Vec<Closure>| {
        while let Some(e) = d.poll() {
            if let Event::Closure(c) = e {
                out.push(c);
            }
        }
    };
    for s in samples {
        d.push(s.t_ms, s.emg);
        drain(&mut d, &mut out);
    }
    d.finish();
    drain(&mut d, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_under_22_hz_draws_a_warning() {
        // 25 Hz, a clock a little slow, 50, 100 and 860 Hz: nothing to say;
        // nor without an interval.
        for period in [
            40.0,
            44.0,
            20.0,
            10.0,
            1000.0 / 860.0,
            f64::NAN,
            0.0,
            f64::INFINITY,
        ] {
            assert_eq!(slow_rate_warning(period), None, "{period}");
        }
        for (period, hz) in [(50.0, "20.0 Hz"), (62.5, "16.0 Hz"), (125.0, "8.0 Hz")] {
            let w = slow_rate_warning(period).unwrap_or_default();
            assert!(
                w.contains(hz) && w.contains("many are missed"),
                "{period}: {w}"
            );
        }
    }

    #[test]
    fn the_resting_spread_falls_with_the_rate_between_25_and_100_hz() {
        let at = |hz: f64| rest_spread(1000.0 / hz);
        assert_eq!(at(25.0), REST_SPREAD);
        // Slower than 25 Hz, or no interval known: the 25 Hz bar.
        assert_eq!(at(10.0), REST_SPREAD);
        assert_eq!(rest_spread(f64::NAN), REST_SPREAD);
        // One octave, two octaves: 14 % and 28 % lower.
        assert!((at(50.0) - 0.86 * REST_SPREAD).abs() < 1e-12);
        assert!((at(100.0) - 0.72 * REST_SPREAD).abs() < 1e-12);
        // Beyond 100 Hz it stays at 100 Hz's.
        assert_eq!(at(860.0), at(100.0));
        // A 25 Hz clock a fraction of a millisecond fast moves it by about a
        // thousandth.
        assert!((rest_spread(39.8) - REST_SPREAD).abs() < 2e-3 * REST_SPREAD);
    }

    /// The noise of two neighbouring samples' sum, as the calibration
    /// measures it: sqrt(2) noise units for independent samples, nearly 2
    /// for samples that share most of their noise (the envelope's smoothing
    /// at high rates); no pair starts a candidate before the wearer's
    /// blinks are known (see `a_faint_blink_two_samples_wide_is_told_by_the_pair`
    /// for after).
    #[test]
    fn a_pairs_noise_is_measured_from_how_neighbours_differ() {
        let mut seed = 12345u64;
        let mut uniform = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        // Nearly normal: the sum of four uniforms, 40 counts wide.
        let white: Vec<f64> = (0..4000)
            .map(|_| 40.0 * ((0..4).map(|_| uniform()).sum::<f64>() - 2.0))
            .collect();
        let norm_of = |hz: f64, noise: &[f64]| {
            let mut d = BlinkDetector::new(DetectorConfig::default()).unwrap();
            assert_eq!(d.pair_bar, f64::INFINITY);
            for (i, n) in noise.iter().enumerate() {
                d.push(i as f64 * 1000.0 / hz, (1000.0 + n).round() as i32);
            }
            assert!(d.calibration.is_none());
            (d.pair_norm, d.pair_bar)
        };
        let (norm, bar) = norm_of(25.0, &white[..100]);
        assert!((norm - std::f64::consts::SQRT_2).abs() < 0.08, "{norm}");
        // No blinks yet: the wearer is not known, no pair starts anything.
        assert_eq!(bar, f64::INFINITY);
        // The same noise smoothed over 8 samples (at 400 Hz, 20 ms).
        let smooth: Vec<f64> = white
            .windows(8)
            .map(|w| w.iter().sum::<f64>() / 8.0_f64.sqrt())
            .collect();
        let (norm, _) = norm_of(400.0, &smooth[..1600]);
        assert!(norm > 1.9, "{norm}");
    }

    /// Feeds a burst (heights over its reference, one sample a `step` ms
    /// from 0, the first the sample before the onset) through `Beside` as
    /// `track` does, and returns its width.
    fn width_of(step: f64, heights: &[f64]) -> f64 {
        let mut b = Beside::new();
        b.restart(0.0, (0.0, heights[0]), (step, heights[1]));
        let (mut peak, mut last) = (heights[1], (step, heights[1]));
        for (k, &h) in heights.iter().enumerate().skip(2) {
            let t = step * k as f64;
            if h > peak {
                b.rose(t, h);
                peak = h;
            } else {
                b.fell(peak, last, (t, h));
            }
            last = (t, h);
        }
        b.width(peak)
    }

    #[test]
    fn a_tug_measures_narrow_at_any_rate_and_a_blink_wide() {
        // 100 Hz: up over two samples, down over one (0, 60, 100, 40, 0):
        // half height 8.3 and 28.3 ms after the first.
        let tug = width_of(10.0, &[0.0, 60.0, 100.0, 40.0, 0.0]);
        assert!((tug - 20.0).abs() < 1e-9, "{tug}");
        assert!(tug < SPIKE_WIDTH_MS);
        // 860 Hz: a 12 ms tug spans many samples and still measures 12 ms.
        let step = 1000.0 / 860.0;
        let shape = |t: f64| 100.0 * (1.0 - ((t - 12.0) / 12.0).abs()).max(0.0);
        let samples: Vec<f64> = (0..40).map(|k| shape(k as f64 * step)).collect();
        let tug = width_of(step, &samples);
        assert!((tug - 12.0).abs() < 0.5, "{tug}");
        // A blink at 860 Hz: 60 ms at half height.
        let blink = |t: f64| 100.0 * (1.0 - ((t - 60.0) / 60.0).abs()).max(0.0);
        let samples: Vec<f64> = (0..120).map(|k| blink(k as f64 * step)).collect();
        let wide = width_of(step, &samples);
        assert!((wide - 60.0).abs() < 1.0, "{wide}");
        // One whose rise from half height took more samples than the ring
        // keeps (50 ms): not measured, wide.
        let slow = |t: f64| 100.0 * (1.0 - ((t - 100.0) / 100.0).abs()).max(0.0);
        let samples: Vec<f64> = (0..200).map(|k| slow(k as f64 * step)).collect();
        assert_eq!(width_of(step, &samples), f64::INFINITY);
        // A burst that has not fallen to half yet: wide, not narrow.
        assert_eq!(width_of(10.0, &[0.0, 60.0, 100.0, 80.0]), f64::INFINITY);
    }
}

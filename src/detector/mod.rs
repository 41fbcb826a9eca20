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
//!    theirs, unless at 25 Hz it is far narrower than they are and as tall:
//!    see `NARROW_IN_RHYTHM_SHARE`), width (a cable tug is one sample
//!    wide at half height, or under 25 ms where samples come closer,
//!    measured from halfway between the floor and the baseline; at 25 Hz
//!    amid a run of tugs its neighbours count a noise unit lower, see
//!    `RUN_NEIGHBOUR_SIGMA`; or with square edges, risen and fallen
//!    by most of its height in one sample each way, see `SHARP_STEP_MS`;
//!    at 25 Hz a narrow blink is one sample wide too, and at 50 Hz may be
//!    as square, and is taken for a blink when it stands like the wearer's
//!    blinks and no tug came lately: see `NARROW_BLINK_QUIET_MS`),
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
//!      at most `FIRST_BEAT_PERIOD_MS`, and it stood well below the
//!      wearer's typical blink (`FIRST_BEAT_TYPICAL`), or no taller than
//!      they did (see `FIRST_BEAT_RATIO`) and a third burst follows as
//!      soon (a flurry of three blinks stops there; a meal goes on);
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
//!    - the first tug of a run: a narrow blink (step 3) that a spike
//!      follows within `NARROW_RUN_MS`.
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
//!    and the detector calibrates afresh after (and after a quiet stretch
//!    that only looked flat by a noise learned too wide, with no fault). A
//!    calibration that finds a pad still off keeps the fault going, and a
//!    `Wild` fault ends after `WILD_RESET_MS` whatever its noise says (see
//!    `push_calibrating`).
//!
//! Per sample the work is a few comparisons and multiply-adds: no
//! allocation, no sorting, no division outside the rare decisions.
//!
//! # Where each part lives
//!
//! - `config`: the parameters ([`DetectorConfig`]), their defaults and checks;
//! - `front`: what a sample means before any decision (time step, the
//!   smoothed value, the floor and flat windows, the rails), shared by the
//!   configs of a sweep;
//! - `baseline`: the resting level, its noise and the busy face's spread;
//! - `calibrate`: step 1; `candidate`: steps 2 to 4; `hold`: a burst held
//!   past a blink's length (a step, a squeeze, a smile); `rhythm`: the
//!   rhythm's bar and step 5; `faults`: step 6;
//! - `placement`: the wearer's typical blink and the pads' placement score;
//! - this file: the events, the detector's state, its per-sample path and
//!   the constants more than one part uses.

mod baseline;
mod calibrate;
mod candidate;
mod config;
mod faults;
mod front;
mod hold;
mod placement;
mod rhythm;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use baseline::{Calibration, Fresh, Level, Spread};
use candidate::{Beside, Candidate};
pub use config::{ConfigError, DetectorConfig};
use faults::FaultWatch;
pub use front::{FrontEnd, FrontKey, Prepared};
use hold::{Plateau, PlateauEye};
use placement::BlinkMemory;
pub use rhythm::MAX_VERDICT_DELAY_MS;
use rhythm::{FirstBeat, Held, NARROW_RUN_MS, RHYTHM_KEPT};

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

/// A pause in the samples longer than this loses a burst in progress.
const GAP_MS: f64 = 1000.0;
/// Per-sample coefficients never use a step longer than this, so one late
/// sample cannot snap the baseline.
const MAX_STEP_MS: f64 = 200.0;
/// A weak blink: above the floor by this share of `on_sigma` (4 noise
/// units by default) ...
const SUSTAIN_SHARE: f64 = 0.8;
/// ... for this long (two samples at 25 Hz) ...
const SUSTAIN_MS: f64 = 35.0;
/// ... is a closure if its peak reaches `closure_sigma` less this many
/// noise units (4.5 by default; never below half of it). Both follow the
/// configured levels, so a stricter config is stricter here too.
const SUSTAIN_GATE_LESS: f64 = 1.0;
/// The muscle let go of a burst when it fell below this share of its peak.
const DROP_SHARE: f64 = 0.25;
/// A `Wild` fault this long is no pad peeling (that takes seconds): the
/// noise it is judged by is wrong, and the detector calibrates afresh.
const WILD_RESET_MS: f64 = 30_000.0;
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
/// Smallest gap kept between one closure's offset and the next onset.
const EPS_MS: f64 = 1e-3;

/// A closure whose burst has fallen, held while the lid reopens passively.
#[derive(Debug, Clone, Copy)]
struct Pending {
    closure: Closure,
    fell_ms: f64,
    /// Judged with no rhythm behind it: it may have begun one.
    first: Option<FirstBeat>,
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
    /// Where widths are measured: the largest rise from one sample to the
    /// next over about the last [`front::SMOOTH_MS`], and when it came (the
    /// sample after it). The onset test looks at the smoothed signal, so a
    /// burst's candidate starts a few samples into it, and a jolt's square
    /// edge lies behind it (see `Beside::sharp`).
    edge: (f64, f64),
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
    /// When the last spike (a cable tug) that stood at a blink's bar fell:
    /// a flicker of noise under it is no tug.
    last_spike_ms: f64,
    /// When the last burst one sample wide fell, spike or narrow blink.
    last_one_sample_ms: f64,
    /// Offset of the last closure: the next onset may not precede it.
    last_offset_ms: f64,
    /// Recent bursts: when they were announced and how tall they grew
    /// (negative: a spike, which is no part of a rhythm).
    bursts: [(f64, f64); RHYTHM_KEPT],
    /// Their widths at half height where samples come far apart (ms, as
    /// `decide` measures them; NaN until judged, and at 50 Hz and above):
    /// see `NARROW_IN_RHYTHM_SHARE`.
    burst_widths: [f64; RHYTHM_KEPT],
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
            edge: (0.0, f64::NEG_INFINITY),
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
            last_spike_ms: f64::NEG_INFINITY,
            last_one_sample_ms: f64::NEG_INFINITY,
            last_offset_ms: f64::NEG_INFINITY,
            bursts: [(f64::NEG_INFINITY, 0.0); RHYTHM_KEPT],
            burst_widths: [f64::NAN; RHYTHM_KEPT],
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
        self.follow_edge(p);
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
        if let Some(verdict) = self.faults.signal(
            t,
            dt_c,
            x,
            self.level.base,
            sigma,
            p.newest_range,
            p.flat_range,
        ) {
            self.take_verdict(verdict, t);
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

    /// Follows the largest recent rise (see `edge`), where widths are
    /// measured; at 25 Hz nothing.
    #[inline(always)]
    fn follow_edge(&mut self, p: &Prepared) {
        if self.fine_widths {
            let rise = p.x - p.prev_x;
            if rise >= self.edge.0 || p.t - self.edge.1 > front::SMOOTH_MS {
                self.edge = (rise, p.t);
            }
        }
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

    /// A pause in the samples: a burst in progress cannot be judged.
    #[cold]
    #[inline(never)]
    fn abandon(&mut self, t: f64) {
        self.retract(t);
        if let Some(p) = self.pending {
            self.emit_pending(p.closure.offset_ms);
        }
    }

    /// Acts on what the fault watch found: a fault, a still window (a pad
    /// off, or a quiet stretch judged by a noise learned too wide: see
    /// `faults::QUIET_SPREAD_SHARE`), or a step down of the baseline.
    #[cold]
    #[inline(never)]
    fn take_verdict(&mut self, verdict: faults::Verdict, t: f64) {
        match verdict {
            faults::Verdict::Fault(kind) => self.begin_fault(kind, t),
            // No fault: a burst under way (a blink on the new level) goes on.
            faults::Verdict::StepDown { level } => self.level.reseed(level),
            faults::Verdict::Still { range }
                if range > faults::QUIET_SPREAD_SHARE * self.spread.sd() =>
            {
                // Calibrate afresh, waiting for a drift to settle.
                self.retract(t);
                if self.pending.is_some() {
                    self.emit_pending(t);
                }
                self.faults.quiet_stretch();
                self.calibration = Some(Calibration::new(t, self.cfg.calibration_ms, true));
                self.state = State::Calibrating;
            }
            faults::Verdict::Still { .. } => {
                self.faults.start(FaultKind::Flat);
                self.begin_fault(FaultKind::Flat, t);
            }
        }
    }

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

//! The physiology and the sensor chain, simulated at 1 kHz and sampled the way
//! the appliance samples it.
//!
//! ```text
//! muscle activations (blinks, speech, jaw, smile)      electrode noise
//!        \ summed in power                                 /
//!         carrier: band-limited noise (20-500 Hz) x sqrt(activation^2 + 1)
//!           -> MyoWare: full-wave rectify, RC smoothing, gain (drifting), offset (drifting)
//!           -> + motion at the cheek reference, cable-tug spikes, baseline steps
//!           -> pad faults (flat / railed), clipped to 0 .. supply rail
//!           -> ADS1115: sampled at jittered instants, noise, 16-bit counts
//! ```
//!
//! Activations are in units of the electrode noise floor, so "1" is the
//! resting noise; [`Sensor::activation_for`] turns a wanted envelope height
//! (in typical blinks) into an activation.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, StandardNormal};

use super::scenario::{Episode, EpisodeKind, Fault, FaultKind, Plan, Scenario};
use super::{BaselineStep, Closure, ClosureKind, SensorTruth, Spike, Truth};
use crate::trace::{Label, Sample};

/// The MyoWare output cannot exceed its 3.3 V supply; the ADS1115 at FSR
/// ±4.096 V reads 125 µV per count (datasheet §8.3.3, table 3), so the rail
/// is 3.3 / 125e-6 = 26400 counts.
pub const RAIL_COUNTS: i32 = 26_400;

/// The internal simulation step: 1 ms (1 kHz), enough for the 20-450 Hz EMG band.
const DT_MS: f64 = 1.0;

/// sqrt(2/pi): the mean of |x| for x ~ N(0, 1).
const MEAN_ABS_NORMAL: f64 = 0.797_884_560_802_865_4;

fn uni(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn normal(rng: &mut impl Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

/// A smooth 0 -> 1 step over u in [0, 1] (no libm: same bits everywhere).
fn smoothstep(u: f64) -> f64 {
    if u <= 0.0 {
        0.0
    } else if u >= 1.0 {
        1.0
    } else {
        u * u * (3.0 - 2.0 * u)
    }
}

/// The session's sensor: fixed for a trace, except for drift and pad moves.
#[derive(Debug, Clone)]
pub(crate) struct Sensor {
    /// Mean of the rectified, smoothed noise floor at the output (counts).
    pub floor_counts: f64,
    /// MyoWare output offset (counts).
    pub offset_counts: f64,
    /// Envelope smoothing time constant (ms).
    pub tau_ms: f64,
    /// Typical blink height above the baseline (counts).
    pub blink_counts: f64,
    /// The SNR the blink height was set from.
    pub snr: f64,
    /// Baseline wander sd (counts).
    pub wander_counts: f64,
}

impl Sensor {
    fn new(plan: &Plan, rng: &mut impl Rng) -> Sensor {
        // The MyoWare gain knob and the skin set the floor: a few hundred counts.
        let floor_counts = (uni(rng, 150f64.ln(), 600f64.ln())).exp();
        let offset_counts = uni(rng, 40.0, 200.0);
        let tau_ms = uni(rng, 8.0, 30.0);
        let snr = uni(rng, plan.snr.0, plan.snr.1);
        // Ripple of a rectified noise smoothed by an RC: sd/mean of |x| is
        // sqrt(pi/2 - 1) = 0.755, averaged over ~2 tau independent samples.
        let ripple = floor_counts * 0.755 / (2.0 * tau_ms / DT_MS).sqrt();
        let wander_counts = 0.4 * ripple;
        let noise = (ripple * ripple + wander_counts * wander_counts + 0.2).sqrt();
        Sensor {
            floor_counts,
            offset_counts,
            tau_ms,
            blink_counts: snr * noise,
            snr,
            wander_counts,
        }
    }

    /// The activation whose steady envelope stands `height` typical blinks
    /// above the floor: floor * (sqrt(1 + a^2) - 1) = height * blink.
    fn activation_for(&self, height: f64) -> f64 {
        let r = height.max(0.0) * self.blink_counts / self.floor_counts + 1.0;
        (r * r - 1.0).sqrt()
    }
}

/// A muscle burst (or a motion bump): smooth rise, plateau, smooth fall,
/// optionally wobbling (tremor of a squeeze, a smile's flicker).
#[derive(Debug, Clone)]
struct Burst {
    start: f64,
    end: f64,
    rise: f64,
    fall: f64,
    amp: f64,
    /// (frequency in Hz, depth as a fraction, phase in radians)
    wobble: Option<(f64, f64, f64)>,
}

impl Burst {
    fn new(start: f64, end: f64, rise: f64, fall: f64, amp: f64) -> Burst {
        let len = (end - start).max(1.0);
        let scale = ((rise + fall) / len).max(1.0);
        Burst {
            start,
            end: start + len,
            rise: (rise / scale).max(1.0),
            fall: (fall / scale).max(1.0),
            amp,
            wobble: None,
        }
    }

    fn value(&self, t: f64) -> f64 {
        if t < self.start || t > self.end {
            return 0.0;
        }
        let up = smoothstep((t - self.start) / self.rise);
        let down = smoothstep((self.end - t) / self.fall);
        let mut v = self.amp * up * down;
        if let Some((f, depth, phase)) = self.wobble {
            v *= 1.0 + depth * (std::f64::consts::TAU * f * t / 1000.0 + phase).sin();
        }
        v
    }
}

/// Bursts that are under way or coming soon, sorted by start, so that each
/// millisecond looks only at the bursts that have begun.
#[derive(Debug, Default)]
struct Bursts(VecDeque<Burst>);

impl Bursts {
    fn push(&mut self, b: Burst) {
        // Each source plans in time order, so this lands at or near the back.
        let at = self.0.partition_point(|x| x.start <= b.start);
        self.0.insert(at, b);
    }

    fn retire(&mut self, t: f64) {
        while self.0.front().is_some_and(|b| b.end < t) {
            self.0.pop_front();
        }
        // A long burst (a smile, a squeeze) at the front holds the short ones
        // behind it; sweep those out now and then.
        if self.0.len() > 64 {
            self.0.retain(|b| b.end >= t);
        }
    }

    fn started(&self, t: f64) -> impl Iterator<Item = f64> + '_ {
        self.0
            .iter()
            .take_while(move |b| b.start <= t)
            .map(move |b| b.value(t))
    }

    /// Sum of squares (activations add in power: independent motor units).
    fn power(&mut self, t: f64) -> f64 {
        self.retire(t);
        self.started(t).map(|v| v * v).sum()
    }

    /// Plain sum (additive voltages at the output).
    fn sum(&mut self, t: f64) -> f64 {
        self.retire(t);
        self.started(t).sum()
    }
}

/// Walks a sorted list of intervals with a time that only grows.
#[derive(Debug, Default)]
struct Spans {
    spans: Vec<(f64, f64)>,
    i: usize,
}

impl Spans {
    fn new(mut spans: Vec<(f64, f64)>) -> Spans {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        Spans { spans, i: 0 }
    }

    fn contains(&mut self, t: f64) -> bool {
        while self.i < self.spans.len() && self.spans[self.i].1 <= t {
            self.i += 1;
        }
        self.spans[self.i..]
            .iter()
            .take_while(|s| s.0 <= t)
            .any(|s| t < s.1)
    }

    /// Whether [a, b] touches any span; `a` only grows between calls.
    fn overlaps(&mut self, a: f64, b: f64) -> bool {
        while self.i < self.spans.len() && self.spans[self.i].1 < a {
            self.i += 1;
        }
        self.spans[self.i..]
            .iter()
            .take_while(|s| s.0 <= b)
            .any(|s| s.1 >= a)
    }
}

/// Spontaneous blinks, double blinks and deliberate closures: a renewal
/// process (gamma gaps after a refractory time), and the lid truth.
struct BlinkGen {
    rng: ChaCha8Rng,
    rate_per_min: f64,
    /// Attention and fatigue move the rate: a factor redrawn every few minutes.
    rate_factor: f64,
    next_rate_change: f64,
    double_p: f64,
    deliberate_p: f64,
    next_onset: f64,
    talking: Spans,
    resting: Spans,
    faults: Spans,
    labels: Vec<Label>,
    log: Vec<Closure>,
    hidden: u64,
    doubles: u64,
    deliberate: u64,
}

/// Gamma shape of the gaps between blinks: more regular than Poisson.
const GAP_SHAPE: f64 = 2.5;
/// No new closure within this long after the lid reopens (except double blinks).
const REFRACTORY_MS: f64 = 400.0;

impl BlinkGen {
    fn fill(&mut self, until: f64, sensor: &Sensor, act: &mut Bursts) {
        while self.next_onset < until {
            let onset = self.next_onset;
            let resting = self.resting.contains(onset);
            let talking = self.talking.contains(onset);
            let p_deliberate = if resting { 0.3 } else { self.deliberate_p };
            let deliberate = self.rng.random_bool(p_deliberate);
            let mut end;
            if deliberate {
                let dur = uni(&mut self.rng, 500f64.ln(), 4000f64.ln()).exp();
                self.squeeze(onset, dur, sensor, act);
                self.deliberate += 1;
                end = onset + dur;
            } else {
                let dur = self.closure_ms(200.0);
                self.blink(onset, dur, ClosureKind::Blink, sensor, act);
                end = onset + dur;
                let p_double = if resting { 0.2 } else { self.double_p };
                if self.rng.random_bool(p_double) {
                    let second = end + uni(&mut self.rng, 150.0, 400.0);
                    let dur2 = self.closure_ms(170.0);
                    self.blink(second, dur2, ClosureKind::Double, sensor, act);
                    self.doubles += 1;
                    end = second + dur2;
                }
            }
            if onset >= self.next_rate_change {
                self.rate_factor = uni(&mut self.rng, 0.8, 1.2);
                self.next_rate_change = onset + uni(&mut self.rng, 120e3, 300e3);
            }
            // People blink more while talking.
            let talk_factor = if talking { 1.3 } else { 1.0 };
            let rate = (self.rate_per_min * self.rate_factor * talk_factor).clamp(8.0, 26.0);
            let mean_gap = 60_000.0 / rate - 200.0 - REFRACTORY_MS;
            let gap = Gamma::new(GAP_SHAPE, mean_gap.max(100.0) / GAP_SHAPE)
                .expect("gamma parameters are positive")
                .sample(&mut self.rng);
            self.next_onset = end + REFRACTORY_MS + gap;
        }
    }

    /// A lid closure duration: lognormal (mode ~180 ms for median 200),
    /// kept to the physiological 100-400 ms by redrawing, not clamping.
    fn closure_ms(&mut self, median: f64) -> f64 {
        loop {
            let d = median * (0.3 * normal(&mut self.rng)).exp();
            if (100.0..=400.0).contains(&d) {
                return d;
            }
        }
    }

    /// Records a closure: in the labels if the sensor could see it, and
    /// with its burst in the closure log either way.
    fn record(
        &mut self,
        onset: f64,
        offset: f64,
        kind: ClosureKind,
        burst: (f64, f64),
        height: f64,
    ) {
        let visible = !self.faults.overlaps(onset, offset);
        if visible {
            self.labels.push(Label {
                onset_ms: round_tenth(onset),
                offset_ms: round_tenth(offset),
            });
        } else {
            self.hidden += 1;
        }
        self.log.push(Closure {
            onset_ms: round_tenth(onset),
            offset_ms: round_tenth(offset),
            kind,
            burst_start_ms: round_tenth(burst.0),
            burst_end_ms: round_tenth(burst.1),
            height: (height * 1000.0).round() / 1000.0,
            visible,
        });
    }

    /// A spontaneous blink: one orbicularis burst, not locked to the lid.
    fn blink(
        &mut self,
        onset: f64,
        dur: f64,
        kind: ClosureKind,
        sensor: &Sensor,
        act: &mut Bursts,
    ) {
        let offset = onset + dur;
        let rng = &mut self.rng;
        // The burst may start before or after the lid moves.
        let start = onset + (20.0 * normal(rng)).clamp(-40.0, 40.0);
        // Reopening is passive: the burst often ends while the lid is shut.
        let len = (dur * uni(rng, 0.45, 1.0)).max(40.0);
        let end = (start + len)
            .min(offset - uni(rng, 10.0, 60.0))
            .max(start + 40.0);
        // Blink-to-blink amplitude: lognormal, CV ~30 %.
        let height = (0.29 * normal(rng)).exp().clamp(0.35, 2.5);
        let rise = uni(rng, 8.0, 25.0);
        let fall = uni(rng, 15.0, 40.0);
        act.push(Burst::new(
            start,
            end,
            rise,
            fall,
            sensor.activation_for(height),
        ));
        self.record(onset, offset, kind, (start, end), height);
    }

    /// A deliberate closure: a strong onset burst, a lower fluctuating tonic
    /// squeeze, relaxation before the lid reopens.
    fn squeeze(&mut self, onset: f64, dur: f64, sensor: &Sensor, act: &mut Bursts) {
        let offset = onset + dur;
        let rng = &mut self.rng;
        let start = onset + (20.0 * normal(rng)).clamp(-40.0, 40.0);
        let burst_end = start + uni(rng, 120.0, 300.0);
        let h = uni(rng, 1.2, 2.5);
        act.push(Burst::new(
            start,
            burst_end,
            uni(rng, 10.0, 25.0),
            uni(rng, 40.0, 80.0),
            sensor.activation_for(h),
        ));
        let tonic_start = onset + uni(rng, 60.0, 150.0);
        let tonic_end = (offset - uni(rng, 40.0, 200.0)).max(tonic_start + 100.0);
        let mut tonic = Burst::new(
            tonic_start,
            tonic_end,
            uni(rng, 50.0, 100.0),
            uni(rng, 80.0, 200.0),
            sensor.activation_for(uni(rng, 0.25, 0.7)),
        );
        tonic.wobble = Some((
            uni(rng, 3.0, 8.0),
            0.3,
            uni(rng, 0.0, std::f64::consts::TAU),
        ));
        act.push(tonic);
        self.record(
            onset,
            offset,
            ClosureKind::Deliberate,
            (start, tonic_end.max(burst_end)),
            h,
        );
    }
}

/// Speech: phrases of syllables, each a burst from the muscles round the
/// mouth and cheek, plus jaw motion at the cheek reference electrode.
struct TalkGen {
    rng: ChaCha8Rng,
    episodes: Vec<Episode>,
    i: usize,
    cursor: f64,
    phrase_end: Option<f64>,
    phrase_amp: f64,
    jaw_sign: f64,
}

impl TalkGen {
    fn fill(&mut self, until: f64, sensor: &Sensor, act: &mut Bursts, motion: &mut Bursts) {
        while let Some(ep) = self.episodes.get(self.i) {
            if self.cursor < ep.start_ms {
                self.cursor = ep.start_ms;
                self.phrase_end = None;
            }
            if self.cursor >= ep.end_ms {
                self.i += 1;
                continue;
            }
            if self.cursor >= until {
                return;
            }
            let rng = &mut self.rng;
            let Some(phrase_end) = self.phrase_end else {
                self.phrase_end = Some((self.cursor + uni(rng, 800.0, 6000.0)).min(ep.end_ms));
                self.phrase_amp = ep.amplitude * (0.2 * normal(rng)).exp();
                self.jaw_sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                continue;
            };
            if self.cursor >= phrase_end {
                self.cursor += uni(rng, 300.0, 2500.0);
                self.phrase_end = None;
                continue;
            }
            let dur = uni(rng, 60.0, 200.0);
            let h = self.phrase_amp * uni(rng, 0.3, 1.0);
            act.push(Burst::new(
                self.cursor,
                self.cursor + dur,
                uni(rng, 15.0, 30.0),
                uni(rng, 20.0, 50.0),
                sensor.activation_for(h),
            ));
            let jaw = self.jaw_sign * uni(rng, 0.02, 0.08) * sensor.blink_counts;
            motion.push(Burst::new(
                self.cursor,
                self.cursor + dur + 80.0,
                60.0,
                60.0,
                jaw,
            ));
            let period = 1000.0 / ep.rate_hz * (0.3 * normal(rng)).exp();
            self.cursor += period.max(dur + 20.0);
        }
    }
}

/// Chewing: a run of rhythmic masseter bursts with jaw motion.
struct ChewGen {
    rng: ChaCha8Rng,
    episodes: Vec<Episode>,
    i: usize,
    cursor: f64,
    jaw: f64,
}

impl ChewGen {
    fn fill(&mut self, until: f64, sensor: &Sensor, act: &mut Bursts, motion: &mut Bursts) {
        while let Some(ep) = self.episodes.get(self.i) {
            if self.cursor < ep.start_ms {
                self.cursor = ep.start_ms;
                let sign = if self.rng.random_bool(0.5) { 1.0 } else { -1.0 };
                self.jaw = sign * uni(&mut self.rng, 0.03, 0.12) * sensor.blink_counts;
            }
            if self.cursor >= ep.end_ms {
                self.i += 1;
                continue;
            }
            if self.cursor >= until {
                return;
            }
            let rng = &mut self.rng;
            let period = 1000.0 / ep.rate_hz * (0.08 * normal(rng)).exp();
            let dur = uni(rng, 150.0, 400.0).min(0.6 * period);
            let h = ep.amplitude * (0.15 * normal(rng)).exp();
            act.push(Burst::new(
                self.cursor,
                self.cursor + dur,
                uni(rng, 30.0, 60.0),
                uni(rng, 30.0, 80.0),
                sensor.activation_for(h),
            ));
            motion.push(Burst::new(
                self.cursor,
                self.cursor + period * 0.8,
                120.0,
                150.0,
                self.jaw,
            ));
            self.cursor += period;
        }
    }
}

/// Smiles: one slow burst per episode (zygomaticus and orbital orbicularis).
struct SmileGen {
    rng: ChaCha8Rng,
    episodes: Vec<Episode>,
    i: usize,
}

impl SmileGen {
    fn fill(&mut self, until: f64, sensor: &Sensor, act: &mut Bursts) {
        while let Some(ep) = self.episodes.get(self.i) {
            if ep.start_ms >= until {
                return;
            }
            let mut b = Burst::new(
                ep.start_ms,
                ep.end_ms,
                ep.rise_ms.unwrap_or(500.0),
                ep.fall_ms.unwrap_or(500.0),
                sensor.activation_for(ep.amplitude),
            );
            b.wobble = Some((
                uni(&mut self.rng, 0.3, 1.5),
                uni(&mut self.rng, 0.05, 0.2),
                uni(&mut self.rng, 0.0, std::f64::consts::TAU),
            ));
            act.push(b);
            self.i += 1;
        }
    }
}

/// A decaying transient added at the output: cable tugs, and the settling
/// of a pad pressed back on.
#[derive(Debug, Clone, Copy)]
struct Transient {
    t0: f64,
    amp: f64,
    tau: f64,
}

/// Walking: footstep wobble, cable tugs, pads shifting.
struct WalkGen {
    rng: ChaCha8Rng,
    episodes: Vec<Episode>,
    i: usize,
    step_at: f64,
    next_spike: f64,
    next_shift: f64,
    foot: f64,
}

impl WalkGen {
    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        until: f64,
        sensor: &Sensor,
        motion: &mut Bursts,
        transients: &mut VecDeque<Transient>,
        shifts: &mut VecDeque<(f64, f64)>,
        truth: &mut Truth,
    ) {
        while let Some(ep) = self.episodes.get(self.i) {
            let rng = &mut self.rng;
            if self.step_at < ep.start_ms {
                self.step_at = ep.start_ms;
                let rate = ep.spikes_per_s.unwrap_or(0.2) / 1000.0;
                self.next_spike = ep.start_ms + exp_ms(rng, rate);
                let every = uni(rng, 15e3, 45e3);
                self.next_shift = ep.start_ms + exp_ms(rng, 1.0 / every);
            }
            if self.step_at >= ep.end_ms {
                self.i += 1;
                continue;
            }
            if self.step_at >= until {
                return;
            }
            // Each footstep swings the cable: a small bump, alternating feet.
            let b = self.foot * uni(rng, 0.03, 0.12) * sensor.blink_counts;
            let len = uni(rng, 120.0, 250.0);
            motion.push(Burst::new(self.step_at, self.step_at + len, 50.0, 70.0, b));
            self.foot = -self.foot;
            let next_step = self.step_at + 1000.0 / ep.rate_hz * (0.05 * normal(rng)).exp();
            while self.next_spike < next_step && self.next_spike < ep.end_ms {
                // A tug on the cable: a few ms, large, up or down.
                let sign = if rng.random_bool(0.65) { 1.0 } else { -1.0 };
                let size = ((3f64).ln() + 0.5 * normal(rng)).exp().clamp(1.0, 10.0);
                let amp = sign * size * sensor.blink_counts;
                transients.push_back(Transient {
                    t0: self.next_spike,
                    amp,
                    // Shorter than a 25 Hz sample period, about the envelope's own
                    // smoothing: one sample at 25 Hz, a few at 100 Hz.
                    tau: uni(rng, 5.0, 20.0),
                });
                truth.spikes.push(Spike {
                    t_ms: round_tenth(self.next_spike),
                    counts: amp.round(),
                });
                let rate = ep.spikes_per_s.unwrap_or(0.2) / 1000.0;
                self.next_spike += exp_ms(rng, rate);
            }
            while self.next_shift < next_step && self.next_shift < ep.end_ms {
                // A pad shifts on the skin: the baseline moves to a new level.
                let floor = sensor.offset_counts + sensor.floor_counts;
                let level = (0.4 * normal(rng) * sensor.blink_counts)
                    .clamp(-0.5 * floor, sensor.blink_counts);
                shifts.push_back((self.next_shift, level));
                truth.baseline_steps.push(BaselineStep {
                    t_ms: round_tenth(self.next_shift),
                    level_counts: level.round(),
                });
                let every = uni(rng, 15e3, 45e3);
                self.next_shift += exp_ms(rng, 1.0 / every);
            }
            self.step_at = next_step;
        }
    }
}

/// An exponential waiting time (ms) for a rate per ms.
fn exp_ms(rng: &mut impl Rng, rate_per_ms: f64) -> f64 {
    -(1.0 - rng.random::<f64>()).ln() / rate_per_ms.max(1e-9)
}

/// Smooth drift of gain and offset through random knots.
struct Drift {
    /// (time, log gain, offset counts)
    knots: Vec<(f64, f64, f64)>,
    i: usize,
}

impl Drift {
    fn new(plan: &Plan, sensor: &Sensor, end_ms: f64, rng: &mut impl Rng) -> Drift {
        let d = plan.drift;
        let (lg0, lg1) = (d.gain.0.ln(), d.gain.1.ln());
        let b = sensor.blink_counts;
        // The baseline must stay above 0: the envelope cannot go negative.
        let lowest = -0.8 * sensor.offset_counts - 0.3 * sensor.floor_counts;
        let (o0, o1) = ((d.offset.0 * b).max(lowest), d.offset.1 * b);
        let mut knots = Vec::new();
        let mut t = 0.0;
        let mut k = 0usize;
        let high_first = rng.random_bool(0.5);
        loop {
            let (g, o) = if d.alternate {
                let high = (k % 2 == 0) == high_first;
                let g = if high {
                    uni(rng, 0.0, lg1)
                } else {
                    uni(rng, lg0, 0.0)
                };
                let o = if high {
                    uni(rng, 0.0, o1)
                } else {
                    uni(rng, o0, 0.0)
                };
                (g, o)
            } else {
                (uni(rng, lg0, lg1), uni(rng, o0, o1))
            };
            knots.push((t, g, o));
            if t > end_ms {
                break;
            }
            t += uni(rng, d.knot_ms.0, d.knot_ms.1);
            k += 1;
        }
        Drift { knots, i: 0 }
    }

    /// (gain factor, offset counts) at `t`, which only grows.
    fn at(&mut self, t: f64) -> (f64, f64) {
        while self.i + 2 < self.knots.len() && self.knots[self.i + 1].0 <= t {
            self.i += 1;
        }
        let (t0, g0, o0) = self.knots[self.i];
        let (t1, g1, o1) = self.knots[(self.i + 1).min(self.knots.len() - 1)];
        let u = if t1 > t0 {
            smoothstep((t - t0) / (t1 - t0))
        } else {
            0.0
        };
        ((g0 + (g1 - g0) * u).exp(), o0 + (o1 - o0) * u)
    }

    fn range(&self) -> ((f64, f64), (f64, f64)) {
        let g = self.knots.iter().map(|k| k.1.exp());
        let o = self.knots.iter().map(|k| k.2);
        (
            (
                g.clone().fold(f64::MAX, f64::min),
                g.fold(f64::MIN, f64::max),
            ),
            (
                o.clone().fold(f64::MAX, f64::min),
                o.fold(f64::MIN, f64::max),
            ),
        )
    }
}

/// A pad fault as planned, with what happens when the pad goes back on.
struct FaultPlan {
    fault: Fault,
    /// Placement gain after the pad is back (it never lands in the same spot).
    regain: f64,
    /// Settling transient after the pad is back (counts, ms).
    settle: (f64, f64),
}

/// rounds to 0.1 ms, the resolution of our time stamps.
pub(crate) fn round_tenth(t: f64) -> f64 {
    (t * 10.0).round() / 10.0
}

/// The whole synthetic recording, produced one sample at a time.
pub(crate) struct Model {
    period_ms: f64,
    n_samples: u64,
    k: u64,
    sensor: Sensor,
    /// Output gain: counts per unit of rectified carrier.
    g0: f64,
    blinks: BlinkGen,
    talk: TalkGen,
    chew: ChewGen,
    smile: SmileGen,
    walk: WalkGen,
    act: Bursts,
    motion: Bursts,
    transients: VecDeque<Transient>,
    shifts: VecDeque<(f64, f64)>,
    shift_target: f64,
    shift_now: f64,
    drift: Drift,
    /// (gain, offset) from `drift`, refreshed every 10 ms.
    drifted: (f64, f64),
    faults: Vec<FaultPlan>,
    fault_i: usize,
    /// The erratic swing while a pad peels off.
    wild: f64,
    wild_rng: ChaCha8Rng,
    placement_gain: f64,
    // the chain's state
    carrier_rng: ChaCha8Rng,
    x_prev: f64,
    hp: f64,
    hp_alpha: f64,
    hp_norm: f64,
    env: f64,
    lp_k: f64,
    wander: f64,
    wander_rng: ChaCha8Rng,
    now_ms: i64,
    v_prev: f64,
    v_now: f64,
    filled_until: f64,
    // sampling
    clock_rng: ChaCha8Rng,
    adc_rng: ChaCha8Rng,
    last_true: f64,
    last_written: f64,
    pub(crate) truth: Truth,
}

/// Independent random streams, so that changing one part of the model
/// leaves the others' draws alone. The scenario picks its own set of
/// streams: the same seed gives unrelated blinks in two scenarios, so a
/// suite run with one seed still sees many different recordings.
fn stream(seed: u64, scenario: Scenario, id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((scenario as u64) << 8) | id);
    rng
}

impl Model {
    pub(crate) fn new(scenario: Scenario, seed: u64, minutes: f64, rate_hz: f64) -> Model {
        let end_ms = minutes * 60_000.0;
        let period_ms = 1000.0 / rate_hz;
        let n_samples = (end_ms / period_ms).floor() as u64;
        let mut plan_rng = stream(seed, scenario, 0);
        let plan = Plan::new(scenario, end_ms, &mut plan_rng);
        let sensor = Sensor::new(&plan, &mut plan_rng);
        let mut drift = Drift::new(&plan, &sensor, end_ms, &mut plan_rng);
        let faults: Vec<FaultPlan> = plan
            .faults
            .iter()
            .map(|&(kind, s, e)| {
                let level = match kind {
                    FaultKind::Flat => uni(&mut plan_rng, 0.0, sensor.offset_counts).round(),
                    FaultKind::Railed => RAIL_COUNTS as f64,
                };
                FaultPlan {
                    fault: Fault {
                        kind,
                        start_ms: round_tenth(s),
                        end_ms: round_tenth(e),
                        level_counts: level,
                        peel_ms: round_tenth(uni(&mut plan_rng, 200.0, 1500.0)),
                    },
                    regain: uni(&mut plan_rng, 0.7, 1.3),
                    settle: (
                        uni(&mut plan_rng, 0.5, 3.0) * sensor.blink_counts,
                        uni(&mut plan_rng, 400.0, 2000.0),
                    ),
                }
            })
            .collect();
        let of_kind = |k: EpisodeKind| -> Vec<Episode> {
            plan.episodes
                .iter()
                .filter(|e| e.kind == k)
                .cloned()
                .collect()
        };
        let spans = |k: EpisodeKind| -> Spans {
            Spans::new(of_kind(k).iter().map(|e| (e.start_ms, e.end_ms)).collect())
        };
        let mut blink_rng = stream(seed, scenario, 1);
        let rate_per_min = uni(&mut blink_rng, plan.blink_rate.0, plan.blink_rate.1);
        let first = uni(&mut blink_rng, 0.0, 60_000.0 / rate_per_min);
        let blinks = BlinkGen {
            rng: blink_rng,
            rate_per_min,
            rate_factor: 1.0,
            next_rate_change: 120e3,
            double_p: plan.double_p,
            deliberate_p: plan.deliberate_p,
            next_onset: first,
            talking: spans(EpisodeKind::Talking),
            resting: spans(EpisodeKind::EyesResting),
            faults: Spans::new(
                faults
                    .iter()
                    .map(|f| (f.fault.start_ms, f.fault.end_ms))
                    .collect(),
            ),
            labels: Vec::new(),
            log: Vec::new(),
            hidden: 0,
            doubles: 0,
            deliberate: 0,
        };
        let hp_tau = 1000.0 / (std::f64::consts::TAU * 20.0);
        let hp_alpha = hp_tau / (hp_tau + DT_MS);
        let (gain_range, offset_range) = drift.range();
        let drifted = drift.at(0.0);
        let truth = Truth {
            scenario: scenario.name().to_string(),
            seed,
            minutes,
            rate_hz,
            samples: n_samples,
            closures: 0,
            hidden_closures: 0,
            double_blinks: 0,
            deliberate_closures: 0,
            blinks_per_min: rate_per_min,
            note: "labels are lid closures the sensor could see: closures that overlap a fault are left out"
                .to_string(),
            sensor: SensorTruth {
                rail_counts: RAIL_COUNTS,
                floor_counts: sensor.floor_counts.round(),
                offset_counts: sensor.offset_counts.round(),
                blink_counts: sensor.blink_counts.round(),
                snr: (sensor.snr * 100.0).round() / 100.0,
                envelope_tau_ms: (sensor.tau_ms * 10.0).round() / 10.0,
                gain_min: (gain_range.0 * 1000.0).round() / 1000.0,
                gain_max: (gain_range.1 * 1000.0).round() / 1000.0,
                offset_shift_min_counts: offset_range.0.round(),
                offset_shift_max_counts: offset_range.1.round(),
            },
            faults: faults.iter().map(|f| f.fault.clone()).collect(),
            episodes: plan
                .episodes
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    e.start_ms = round_tenth(e.start_ms);
                    e.end_ms = round_tenth(e.end_ms);
                    e.amplitude = (e.amplitude * 1000.0).round() / 1000.0;
                    e.rate_hz = (e.rate_hz * 1000.0).round() / 1000.0;
                    e.rise_ms = e.rise_ms.map(round_tenth);
                    e.fall_ms = e.fall_ms.map(round_tenth);
                    e.spikes_per_s = e.spikes_per_s.map(|r| (r * 1000.0).round() / 1000.0);
                    e
                })
                .collect(),
            spikes: Vec::new(),
            baseline_steps: Vec::new(),
            labels: Vec::new(),
            closure_log: Vec::new(),
        };
        let g0 = sensor.floor_counts / MEAN_ABS_NORMAL;
        let lp_k = 1.0 - (-DT_MS / sensor.tau_ms).exp();
        let mut model = Model {
            period_ms,
            n_samples,
            k: 0,
            g0,
            blinks,
            talk: TalkGen {
                rng: stream(seed, scenario, 2),
                episodes: of_kind(EpisodeKind::Talking),
                i: 0,
                cursor: 0.0,
                phrase_end: None,
                phrase_amp: 0.0,
                jaw_sign: 1.0,
            },
            chew: ChewGen {
                rng: stream(seed, scenario, 3),
                episodes: of_kind(EpisodeKind::Chewing),
                i: 0,
                cursor: -1.0,
                jaw: 0.0,
            },
            smile: SmileGen {
                rng: stream(seed, scenario, 4),
                episodes: of_kind(EpisodeKind::Smiling),
                i: 0,
            },
            walk: WalkGen {
                rng: stream(seed, scenario, 5),
                episodes: of_kind(EpisodeKind::Walking),
                i: 0,
                step_at: -1.0,
                next_spike: f64::MAX,
                next_shift: f64::MAX,
                foot: 1.0,
            },
            act: Bursts::default(),
            motion: Bursts::default(),
            transients: VecDeque::new(),
            shifts: VecDeque::new(),
            shift_target: 0.0,
            shift_now: 0.0,
            drifted,
            drift,
            faults,
            fault_i: 0,
            wild: 0.0,
            wild_rng: stream(seed, scenario, 10),
            placement_gain: 1.0,
            carrier_rng: stream(seed, scenario, 6),
            x_prev: 0.0,
            hp: 0.0,
            hp_alpha,
            // Power gain of the one-pole high-pass on white noise: 2 a^2 / (1 + a).
            hp_norm: 1.0 / (2.0 * hp_alpha * hp_alpha / (1.0 + hp_alpha)).sqrt(),
            // Start the smoother at its resting mean: no start-up ramp.
            env: MEAN_ABS_NORMAL,
            lp_k,
            wander: 0.0,
            wander_rng: stream(seed, scenario, 7),
            now_ms: 0,
            v_prev: 0.0,
            v_now: 0.0,
            filled_until: f64::MIN,
            clock_rng: stream(seed, scenario, 8),
            adc_rng: stream(seed, scenario, 9),
            last_true: 0.0,
            last_written: 0.0,
            sensor,
            truth,
        };
        model.v_now = model.step(0);
        model.v_prev = model.v_now;
        model
    }

    /// Plans events ahead of the simulated time.
    fn fill(&mut self, t: f64) {
        let until = t + 3000.0;
        let s = &self.sensor;
        self.blinks.fill(until, s, &mut self.act);
        self.talk.fill(until, s, &mut self.act, &mut self.motion);
        self.chew.fill(until, s, &mut self.act, &mut self.motion);
        self.smile.fill(until, s, &mut self.act);
        self.walk.fill(
            until,
            s,
            &mut self.motion,
            &mut self.transients,
            &mut self.shifts,
            &mut self.truth,
        );
        self.filled_until = t + 1000.0;
    }

    /// The MyoWare output (counts, before the ADC) at millisecond `ms`.
    fn step(&mut self, ms: i64) -> f64 {
        let t = ms as f64;
        if t >= self.filled_until {
            self.fill(t);
        }
        // Muscle: band-limited noise whose power follows the activations.
        let power = 1.0 + self.act.power(t);
        let x = normal(&mut self.carrier_rng);
        self.hp = self.hp_alpha * (self.hp + x - self.x_prev);
        self.x_prev = x;
        let raw = power.sqrt() * self.hp * self.hp_norm;
        // MyoWare envelope: full-wave rectifier into an RC smoother.
        self.env += (raw.abs() - self.env) * self.lp_k;
        // Slow wander of the baseline (skin, electrode potentials), every 10 ms.
        if ms % 10 == 0 {
            let a: f64 = 10.0 / 3000.0;
            let kick = self.sensor.wander_counts * (2.0 * a).sqrt();
            self.wander += -a * self.wander + kick * normal(&mut self.wander_rng);
        }
        while self.shifts.front().is_some_and(|s| s.0 <= t) {
            self.shift_target = self.shifts.pop_front().map_or(0.0, |s| s.1);
        }
        self.shift_now += (self.shift_target - self.shift_now) * 0.05;
        // Drift is slow: evaluating it every 10 ms is plenty (and saves an exp per ms).
        if ms % 10 == 0 {
            self.drifted = self.drift.at(t);
        }
        let (gain, offset) = self.drifted;
        let mut v = gain * self.placement_gain * self.g0 * self.env
            + self.sensor.offset_counts
            + offset
            + self.wander
            + self.shift_now
            + self.motion.sum(t);
        while self
            .transients
            .front()
            .is_some_and(|tr| t - tr.t0 > 8.0 * tr.tau)
        {
            self.transients.pop_front();
        }
        for tr in &self.transients {
            if t >= tr.t0 {
                v += tr.amp * (-(t - tr.t0) / tr.tau).exp();
            }
        }
        // A lifted pad: the output shows nothing of the muscle.
        while let Some(f) = self.faults.get(self.fault_i) {
            if t < f.fault.start_ms {
                break;
            }
            if t < f.fault.start_ms + f.fault.peel_ms {
                // The pad peels off: contact comes and goes, the output swings wildly.
                let kick = 0.25 * 3.0 * self.sensor.blink_counts;
                self.wild = 0.97 * self.wild + kick * normal(&mut self.wild_rng);
                v += self.wild.abs() * if self.wild > 0.0 { 1.0 } else { -0.3 };
                break;
            }
            if t < f.fault.end_ms {
                v = f.fault.level_counts;
                break;
            }
            self.placement_gain *= f.regain;
            self.transients.push_back(Transient {
                t0: f.fault.end_ms,
                amp: f.settle.0,
                tau: f.settle.1,
            });
            self.fault_i += 1;
        }
        // The MyoWare output swings from ground to its supply, no further.
        v.clamp(0.0, RAIL_COUNTS as f64)
    }

    /// The next ADS1115 reading, at a jittered instant.
    pub(crate) fn next_sample(&mut self) -> Option<Sample> {
        if self.k >= self.n_samples {
            return None;
        }
        let nominal = self.k as f64 * self.period_ms;
        self.k += 1;
        // The sampling loop on a Pi: ~±1-2 ms of jitter, now and then late.
        let rng = &mut self.clock_rng;
        let jmax = (0.3 * self.period_ms).min(2.0);
        let mut jitter = (0.7 * normal(rng)).clamp(-jmax, jmax);
        if rng.random_bool(0.01) {
            jitter += uni(rng, 3.0, 12.0).min(0.6 * self.period_ms);
        }
        let t_true = (nominal + jitter).max(self.last_true).max(0.0);
        self.last_true = t_true;
        while (self.now_ms as f64) < t_true {
            self.now_ms += 1;
            self.v_prev = self.v_now;
            self.v_now = self.step(self.now_ms);
        }
        let frac = (t_true - (self.now_ms - 1) as f64).clamp(0.0, 1.0);
        let v = self.v_prev + (self.v_now - self.v_prev) * frac;
        // ADS1115: under one LSB of noise at this range, 16-bit signed counts.
        let counts = (v + 0.4 * normal(&mut self.adc_rng))
            .round()
            .clamp(i16::MIN as f64, i16::MAX as f64) as i32;
        let t_ms = round_tenth(t_true).max(self.last_written);
        self.last_written = t_ms;
        Some(Sample { t_ms, emg: counts })
    }

    /// Closes the books: labels up to the last sample, counts.
    pub(crate) fn finish(mut self) -> Truth {
        let end = self.last_written;
        let mut labels = std::mem::take(&mut self.blinks.labels);
        labels.retain(|l| l.offset_ms <= end);
        let mut truth = self.truth;
        truth.closures = labels.len() as u64;
        let mut log = std::mem::take(&mut self.blinks.log);
        log.retain(|c| c.offset_ms <= end);
        truth.closure_log = log;
        truth.labels = labels;
        truth.hidden_closures = self.blinks.hidden;
        truth.double_blinks = self.blinks.doubles;
        truth.deliberate_closures = self.blinks.deliberate;
        truth.blinks_per_min = (truth.blinks_per_min * 100.0).round() / 100.0;
        truth.spikes.retain(|s| s.t_ms <= end);
        truth.baseline_steps.retain(|s| s.t_ms <= end);
        truth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_rise_plateau_and_fall() {
        let b = Burst::new(100.0, 200.0, 20.0, 20.0, 2.0);
        assert_eq!(b.value(99.0), 0.0);
        assert_eq!(b.value(150.0), 2.0);
        assert!(b.value(105.0) > 0.0 && b.value(105.0) < 1.0);
        assert_eq!(b.value(201.0), 0.0);
        // Ramps longer than the burst shrink to fit.
        let short = Burst::new(0.0, 30.0, 40.0, 40.0, 1.0);
        assert!(short.rise + short.fall <= 30.0 + 1e-9);
    }

    #[test]
    fn spans_walk_forward() {
        let mut s = Spans::new(vec![(10.0, 20.0), (30.0, 40.0)]);
        assert!(!s.contains(5.0));
        assert!(s.contains(15.0));
        assert!(!s.contains(25.0));
        assert!(s.overlaps(25.0, 30.0));
        assert!(!s.overlaps(41.0, 50.0));
    }

    #[test]
    fn activation_gives_the_asked_height() {
        let plan = Plan::new(Scenario::Calm, 60e3, &mut stream(1, Scenario::Calm, 0));
        let s = Sensor::new(&plan, &mut stream(1, Scenario::Calm, 1));
        for h in [0.1, 0.5, 1.0, 2.0] {
            let a = s.activation_for(h);
            let height = s.floor_counts * ((1.0 + a * a).sqrt() - 1.0);
            assert!((height - h * s.blink_counts).abs() < 1e-6 * s.blink_counts);
        }
    }
}

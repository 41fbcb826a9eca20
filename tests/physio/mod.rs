//! A second, independent model of the sensor chain, written for the
//! detector's tests so that the scenario suite does not grade the detector
//! only on `augenblick synth` (the checks run on traces from yet another
//! model). Built from the physiology, at 1 kHz inside:
//!
//! muscle activation (blink bursts, squeezes, smiles, chewing, talking)
//! -> raw EMG (Gaussian noise scaled by activation, plus electrode noise)
//! -> MyoWare envelope (full-wave rectified, low-pass, randomised time
//!    constant) -> gain and offset (drifting) -> artefacts (spikes, steps,
//!    pad faults) -> ADS1115 (clipping, quantisation) sampled with jitter.
//!
//! Blinks: the lid starts closing at the label's onset; the burst starts
//! -10..+30 ms around it and lasts 50-120 ms; the lid reopens passively
//! 60-280 ms after the burst ends.
#![allow(dead_code)]

use augenblick::trace::{Label, Sample};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    Calm,
    Weak,
    Talking,
    Chewing,
    Smiling,
    Walking,
    Drift,
    PadOff,
    LongClosures,
}

impl Scene {
    pub const ALL: [Scene; 9] = [
        Scene::Calm,
        Scene::Weak,
        Scene::Talking,
        Scene::Chewing,
        Scene::Smiling,
        Scene::Walking,
        Scene::Drift,
        Scene::PadOff,
        Scene::LongClosures,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Scene::Calm => "calm",
            Scene::Weak => "weak",
            Scene::Talking => "talking",
            Scene::Chewing => "chewing",
            Scene::Smiling => "smiling",
            Scene::Walking => "walking",
            Scene::Drift => "drift",
            Scene::PadOff => "pad_off",
            Scene::LongClosures => "long_closures",
        }
    }
}

/// Knobs that make "a different model": each trace draws its own.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// Envelope low-pass time constant, ms.
    pub tau_ms: f64,
    /// Blink activation over resting noise (raw EMG amplitude ratio).
    pub snr: f64,
    /// Counts per envelope unit.
    pub gain: f64,
    pub offset: f64,
}

pub struct Trace {
    pub samples: Vec<Sample>,
    pub labels: Vec<Label>,
}

fn half_sine(t: f64, start: f64, len: f64) -> f64 {
    if t < start || t >= start + len || len <= 0.0 {
        0.0
    } else {
        (std::f64::consts::PI * (t - start) / len).sin()
    }
}

fn raised(t: f64, start: f64, rise: f64) -> f64 {
    if t <= start {
        0.0
    } else if t >= start + rise {
        1.0
    } else {
        0.5 - 0.5 * (std::f64::consts::PI * (t - start) / rise).cos()
    }
}

/// Activation events on the 1 kHz grid.
struct Activity {
    blink: Vec<f32>,
    leak: Vec<f32>,
}

pub fn generate(scene: Scene, hz: f64, seconds: f64, seed: u64) -> Trace {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
    let n = (seconds * 1000.0) as usize;
    let model = Model {
        tau_ms: rng.random_range(15.0..45.0),
        snr: match scene {
            Scene::Weak => rng.random_range(2.0..3.0),
            _ => rng.random_range(5.0..12.0),
        },
        gain: rng.random_range(150.0..400.0),
        offset: rng.random_range(300.0..1500.0),
    };
    let mut act = Activity {
        blink: vec![0.0; n],
        leak: vec![0.0; n],
    };
    let mut labels = Vec::new();

    // Blinks: 10-20 a minute, Poisson-ish with a refractory gap.
    let mut t = rng.random_range(500.0..3000.0);
    while t < seconds * 1000.0 - 1500.0 {
        let amp = model.snr * rng.random_range(0.75..1.25);
        let long = scene == Scene::LongClosures && rng.random_bool(0.35);
        let double =
            scene == Scene::LongClosures && !long && rng.random_bool(0.4) || rng.random_bool(0.05);
        let mut end = blink(&mut rng, &mut act, &mut labels, t, amp, long);
        if double {
            let t2 = end + rng.random_range(60.0..200.0);
            let amp2 = amp * rng.random_range(0.8..1.1);
            end = blink(&mut rng, &mut act, &mut labels, t2, amp2, false);
        }
        t = end + rng.random_range(1500.0..5500.0);
    }

    // Leakage.
    let a_ref = model.snr;
    match scene {
        Scene::Smiling => {
            let mut s = rng.random_range(1000.0..4000.0);
            while s < seconds * 1000.0 {
                let rise = rng.random_range(300.0..900.0);
                let hold = rng.random_range(800.0..3000.0);
                let fall = rng.random_range(300.0..700.0);
                let amp = a_ref * rng.random_range(0.4..1.1);
                for (i, v) in act.leak.iter_mut().enumerate() {
                    let ti = i as f64;
                    let up = raised(ti, s, rise);
                    let down = 1.0 - raised(ti, s + rise + hold, fall);
                    *v += (amp * up * down) as f32;
                }
                s += rise + hold + fall + rng.random_range(2000.0..6000.0);
            }
        }
        Scene::Chewing | Scene::Talking => {
            let chewing = scene == Scene::Chewing;
            let mut s = rng.random_range(500.0..3000.0);
            while s < seconds * 1000.0 {
                let episode = rng.random_range(5000.0..15000.0);
                let mut b = s;
                let level = a_ref
                    * if chewing {
                        rng.random_range(0.2..0.45)
                    } else {
                        rng.random_range(0.1..0.3)
                    };
                while b < s + episode {
                    let (len, gap) = if chewing {
                        (
                            rng.random_range(200.0..350.0),
                            rng.random_range(550.0..800.0),
                        )
                    } else {
                        (
                            rng.random_range(70.0..200.0),
                            rng.random_range(180.0..330.0),
                        )
                    };
                    let amp = level * rng.random_range(0.6..1.3);
                    let start = b as usize;
                    for i in start..(start + len as usize).min(n) {
                        act.leak[i] += (amp * half_sine(i as f64, b, len)) as f32;
                    }
                    b += gap;
                }
                s += episode + rng.random_range(3000.0..10000.0);
            }
        }
        _ => {}
    }

    // Raw EMG -> envelope on the 1 kHz grid.
    let normal = Normal::new(0.0, 1.0).expect("normal");
    let mut env = vec![0.0f64; n];
    let (mut s1, mut s2) = (0.8, 0.8);
    let k = 1.0 / model.tau_ms;
    for (e, (b, l)) in env.iter_mut().zip(act.blink.iter().zip(&act.leak)) {
        let a = 1.0 + f64::from(*b) + f64::from(*l);
        let raw: f64 = a * normal.sample(&mut rng);
        s1 += k * (raw.abs() - s1);
        s2 += k * (s1 - s2);
        *e = s2;
    }

    // Gain, offset, drift, artefacts.
    let mut offset = model.offset;
    let mut gain = model.gain;
    let mut fault: Option<(f64, f64, u8)> = None;
    if scene == Scene::PadOff {
        let start = seconds * 1000.0 * rng.random_range(0.3..0.5);
        fault = Some((
            start,
            start + rng.random_range(5000.0..20000.0),
            rng.random_range(0..3),
        ));
    }
    let mut steps = Vec::new();
    if scene == Scene::Walking {
        let mut s = rng.random_range(500.0..2000.0);
        while s < seconds * 1000.0 {
            steps.push((s, rng.random_range(-2.0..2.0) * gain * 0.6));
            s += rng.random_range(1500.0..6000.0);
        }
    }
    let mut samples = Vec::new();
    let period = 1000.0 / hz;
    let mut ts = 0.0;
    let mut step_i = 0;
    let mut step_level = 0.0;
    let wild = Normal::new(0.0, 1.0).expect("normal");
    while ts < seconds * 1000.0 - 1.0 {
        let i = (ts as usize).min(n - 1);
        let frac = ts / (seconds * 1000.0);
        if scene == Scene::Drift {
            gain = model.gain * (1.0 + 0.5 * (frac * 5.0).sin());
            offset = model.offset * (1.0 + 0.4 * frac) + 200.0 * (frac * 9.0).sin();
        }
        while step_i < steps.len() && steps[step_i].0 <= ts {
            step_level += steps[step_i].1;
            step_level = step_level.clamp(-1.5 * gain, 3.0 * gain);
            step_i += 1;
        }
        // Electronics and ADC noise on top of the envelope's own ripple.
        let mut v = offset + gain * (env[i] + 0.15 * wild.sample(&mut rng)) + step_level;
        if scene == Scene::Walking && rng.random_bool((0.6 / hz).min(1.0)) {
            // A cable tug: one sample far off.
            v += gain * rng.random_range(2.0..1.2 * model.snr + 3.0);
        }
        if let Some((a, b, kind)) = fault {
            if ts >= a && ts < b {
                v = match kind {
                    0 => 3.0 + wild.sample(&mut rng).abs() * 0.4,
                    1 => 40000.0,
                    _ => offset + gain * 6.0 * wild.sample(&mut rng),
                };
            }
        }
        let counts = v.round().clamp(-32768.0, 32767.0) as i32;
        samples.push(Sample {
            t_ms: (ts * 10.0).round() / 10.0,
            emg: counts,
        });
        ts += period * rng.random_range(0.97..1.03);
    }
    if let Some((a, b, _)) = fault {
        // Blinks inside the fault cannot be seen; they are not in the truth.
        labels.retain(|l: &Label| l.offset_ms < a || l.onset_ms > b);
    }
    Trace { samples, labels }
}

/// One closure: writes its activation and label; returns when the lid is open.
fn blink(
    rng: &mut SmallRng,
    act: &mut Activity,
    labels: &mut Vec<Label>,
    t: f64,
    amp: f64,
    long: bool,
) -> f64 {
    let n = act.blink.len();
    let burst_start = t + rng.random_range(-10.0..30.0);
    let burst_len = rng.random_range(50.0..120.0);
    let mut burst_end = burst_start + burst_len;
    for i in (burst_start.max(0.0) as usize)..(burst_end as usize).min(n) {
        act.blink[i] += (amp * half_sine(i as f64, burst_start, burst_len)) as f32;
    }
    if long {
        // A held squeeze after the closing burst.
        let hold = rng.random_range(700.0..3500.0);
        let level = amp * rng.random_range(0.35..0.7);
        let s = burst_start + burst_len * 0.5;
        for i in (s as usize)..((s + hold) as usize).min(n) {
            let ti = i as f64;
            let edge = raised(ti, s, 40.0) * (1.0 - raised(ti, s + hold - 40.0, 40.0));
            act.blink[i] += (level * edge) as f32;
        }
        burst_end = s + hold;
    }
    let off = burst_end + rng.random_range(60.0..280.0);
    labels.push(Label {
        onset_ms: t,
        offset_ms: off,
    });
    off
}

/// The seeds a report runs on: the range in the environment variable `var`
/// (such as `10..16`), if set; else `None`. Stops with a message on a
/// malformed range rather than falling back unseen.
pub fn seeds_from_env(var: &str) -> Option<std::ops::Range<u64>> {
    let s = std::env::var(var).ok()?;
    Some(
        s.split_once("..")
            .and_then(|(a, b)| Some(a.parse().ok()?..b.parse().ok()?))
            .unwrap_or_else(|| panic!("{var}={s}: expected a range such as 10..16")),
    )
}

//! The named scenarios and the timeline of episodes each one plans.
//!
//! A scenario decides *what happens* (when the wearer talks, chews, smiles,
//! walks, when a pad lifts, how the sensor drifts); [`super::model`] decides
//! *how it looks* in the MyoWare envelope.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// One named scenario. Names are fixed (other tools and checks use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    Calm,
    Weak,
    Talking,
    Chewing,
    Smiling,
    Walking,
    Drift,
    PadOff,
    LongClosures,
    Calm50Hz,
    Calm100Hz,
    Mixed,
}

impl Scenario {
    /// Every scenario, in the order `--scenario list` prints them.
    pub const ALL: [Scenario; 12] = [
        Scenario::Calm,
        Scenario::Weak,
        Scenario::Talking,
        Scenario::Chewing,
        Scenario::Smiling,
        Scenario::Walking,
        Scenario::Drift,
        Scenario::PadOff,
        Scenario::LongClosures,
        Scenario::Calm50Hz,
        Scenario::Calm100Hz,
        Scenario::Mixed,
    ];

    /// The snake_case name used on the command line and in folders.
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// One line on what the scenario holds.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::Calm => "spontaneous blinking at rest, good pad contact",
            Scenario::Weak => "blinks barely above the noise (SNR 3-5): a poorly placed pad",
            Scenario::Talking => "phrases of syllabic bursts (3-6 Hz) leaking in, blinks go on",
            Scenario::Chewing => "runs of rhythmic 1-2 Hz jaw bursts (10-60 s), blinks go on",
            Scenario::Smiling => "slow rises to plateaus of 1-8 s, as tall as a blink or taller",
            Scenario::Walking => {
                "cable tugs (one-sample spikes up or down), footsteps, baseline steps"
            }
            Scenario::Drift => "gain x0.5..x2 and offset drifting over minutes (sweat, contact)",
            Scenario::PadOff => "a pad lifts for 5-30 s (flat or railed signal), then returns",
            Scenario::LongClosures => "deliberate closures of 0.5-4 s and frequent double blinks",
            Scenario::Calm50Hz => "calm, sampled at 50 Hz",
            Scenario::Calm100Hz => "calm, sampled at 100 Hz",
            Scenario::Mixed => {
                "a day in a life: rest, talk, meals, walks, smiles, drift, pad faults"
            }
        }
    }

    /// The sampling rate the scenario is meant for; `--rate` overrides it.
    pub fn native_rate_hz(self) -> f64 {
        match self {
            Scenario::Calm50Hz => 50.0,
            Scenario::Calm100Hz => 100.0,
            _ => 25.0,
        }
    }
}

/// The scenario names, in [`Scenario::ALL`] order.
pub(crate) const NAMES: [&str; 12] = [
    "calm",
    "weak",
    "talking",
    "chewing",
    "smiling",
    "walking",
    "drift",
    "pad_off",
    "long_closures",
    "calm_50hz",
    "calm_100hz",
    "mixed",
];

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scenario name that is not one of ours.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no scenario `{0}`; try one of: {names} (or `list`, `all`)", names = NAMES.join(", "))]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| UnknownScenario(s.to_string()))
    }
}

/// What kind of activity leaks into the envelope during an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeKind {
    /// Speech: syllabic bursts and jaw motion at the cheek reference.
    Talking,
    /// A run of chewing: rhythmic masseter bursts and jaw motion.
    Chewing,
    /// One smile: slow rise, plateau, slow fall.
    Smiling,
    /// Walking: footstep wobble, cable tugs, pads shifting.
    Walking,
    /// Resting the eyes: many deliberate long closures.
    EyesResting,
}

/// One stretch of time during which something other than blinking happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub kind: EpisodeKind,
    pub start_ms: f64,
    pub end_ms: f64,
    /// Typical height of the episode's bursts, in units of a typical blink's
    /// height in the envelope (0 for walking and eyes resting).
    pub amplitude: f64,
    /// The rhythm: syllables (talking), chews (chewing) or steps (walking)
    /// per second; 0 when there is none.
    pub rate_hz: f64,
    /// Smiles: how long the rise and the fall take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rise_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fall_ms: Option<f64>,
    /// Walking: cable tugs per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spikes_per_s: Option<f64>,
}

/// How the sensor fails while a pad is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The output sits at a constant (the input floats quietly).
    Flat,
    /// The output is pinned at the supply rail (the floating input picks up hum).
    Railed,
}

/// An interval in which the sensor shows nothing of the muscle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    pub start_ms: f64,
    pub end_ms: f64,
    /// The constant the MyoWare output holds, in ADS1115 counts.
    pub level_counts: f64,
    /// The first part of the fault, while the pad peels off: the output
    /// swings wildly before it goes flat or rails.
    pub peel_ms: f64,
}

/// How strongly gain and offset wander.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DriftPlan {
    /// Range of the gain factor.
    pub gain: (f64, f64),
    /// Range of the offset shift, in units of a typical blink's height.
    pub offset: (f64, f64),
    /// Range of the time between knots of the drift curve (ms).
    pub knot_ms: (f64, f64),
    /// Alternate knots between the low and the high half, so the whole range is visited.
    pub alternate: bool,
}

/// Everything a scenario decides before the signal is made.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Range of the typical blink's signal-to-noise ratio (height over baseline sd).
    pub snr: (f64, f64),
    /// Range of spontaneous blinks per minute at rest.
    pub blink_rate: (f64, f64),
    /// Chance that a spontaneous blink is followed by a second closure.
    pub double_p: f64,
    /// Chance that a closure is deliberate (0.5-4 s), outside eyes-resting episodes.
    pub deliberate_p: f64,
    pub drift: DriftPlan,
    /// Episodes, sorted by start (kinds may overlap each other).
    pub episodes: Vec<Episode>,
    /// Pad-off intervals; the level is filled in by the model (it knows the sensor).
    pub faults: Vec<(FaultKind, f64, f64)>,
}

fn uni(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

const MILD_DRIFT: DriftPlan = DriftPlan {
    gain: (0.85, 1.15),
    offset: (-0.1, 0.15),
    knot_ms: (60_000.0, 180_000.0),
    alternate: false,
};

impl Plan {
    pub(crate) fn new(scenario: Scenario, end_ms: f64, rng: &mut impl Rng) -> Plan {
        let mut plan = Plan {
            snr: (8.0, 25.0),
            blink_rate: (10.0, 20.0),
            double_p: 0.07,
            deliberate_p: 0.0,
            drift: MILD_DRIFT,
            episodes: Vec::new(),
            faults: Vec::new(),
        };
        match scenario {
            Scenario::Calm | Scenario::Calm50Hz | Scenario::Calm100Hz => {
                plan.snr = (10.0, 30.0);
            }
            Scenario::Weak => plan.snr = (3.0, 5.0),
            Scenario::Talking => {
                alternate(
                    &mut plan,
                    rng,
                    EpisodeKind::Talking,
                    (0.0, end_ms),
                    (20e3, 90e3),
                    (5e3, 20e3),
                );
            }
            Scenario::Chewing => {
                alternate(
                    &mut plan,
                    rng,
                    EpisodeKind::Chewing,
                    (0.0, end_ms),
                    (10e3, 60e3),
                    (5e3, 25e3),
                );
            }
            Scenario::Smiling => {
                alternate(
                    &mut plan,
                    rng,
                    EpisodeKind::Smiling,
                    (0.0, end_ms),
                    (0.0, 0.0),
                    (3e3, 20e3),
                );
            }
            Scenario::Walking => {
                alternate(
                    &mut plan,
                    rng,
                    EpisodeKind::Walking,
                    (0.0, end_ms),
                    (40e3, 180e3),
                    (5e3, 25e3),
                );
            }
            Scenario::Drift => {
                plan.drift = DriftPlan {
                    gain: (0.5, 2.0),
                    offset: (-0.3, 0.8),
                    knot_ms: (30e3, 90e3),
                    alternate: true,
                };
            }
            Scenario::PadOff => {
                pad_faults(&mut plan, rng, end_ms, (30e3, 90e3));
            }
            Scenario::LongClosures => {
                plan.deliberate_p = 0.15;
                plan.double_p = 0.15;
            }
            Scenario::Mixed => mixed(&mut plan, rng, end_ms),
        }
        plan.episodes
            .sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
        plan
    }
}

/// Builds one episode of `kind` starting at `start` and lasting about `len` ms.
fn episode(rng: &mut impl Rng, kind: EpisodeKind, start: f64, len: f64) -> Episode {
    let mut e = Episode {
        kind,
        start_ms: start,
        end_ms: start + len,
        amplitude: 0.0,
        rate_hz: 0.0,
        rise_ms: None,
        fall_ms: None,
        spikes_per_s: None,
    };
    match kind {
        EpisodeKind::Talking => {
            e.amplitude = uni(rng, 0.25, 0.6);
            e.rate_hz = uni(rng, 3.0, 6.0);
        }
        EpisodeKind::Chewing => {
            e.amplitude = uni(rng, 0.2, 0.8);
            e.rate_hz = uni(rng, 1.0, 2.0);
        }
        EpisodeKind::Smiling => {
            // A smile's length is its own: rise 0.3-1.5 s, plateau 1-8 s, fall.
            let rise = uni(rng, 300.0, 1500.0);
            let plateau = uni(rng, 1000.0, 8000.0);
            let fall = uni(rng, 300.0, 1500.0);
            // Log-uniform: as many smiles below a blink's height as above it.
            e.amplitude = uni(rng, 0.5f64.ln(), 2f64.ln()).exp();
            e.rise_ms = Some(rise);
            e.fall_ms = Some(fall);
            e.end_ms = start + rise + plateau + fall;
        }
        EpisodeKind::Walking => {
            e.rate_hz = uni(rng, 1.6, 2.1);
            e.spikes_per_s = Some(uni(rng, 0.1, 0.5));
        }
        EpisodeKind::EyesResting => {}
    }
    e
}

/// Fills `window` with episodes of `kind`, on for `on` ms, off for `off` ms.
/// For smiles the length comes from the smile itself and `on` is ignored.
fn alternate(
    plan: &mut Plan,
    rng: &mut impl Rng,
    kind: EpisodeKind,
    window: (f64, f64),
    on: (f64, f64),
    off: (f64, f64),
) {
    // Start part-way through a gap, so the first episode is not always at 0.
    let mut t = window.0 + uni(rng, 0.0, off.1);
    while t < window.1 {
        let len = uni(rng, on.0, on.1);
        let mut e = episode(rng, kind, t, len);
        e.end_ms = e.end_ms.min(window.1);
        if e.end_ms - e.start_ms < 1000.0 {
            break;
        }
        t = e.end_ms + uni(rng, off.0, off.1);
        plan.episodes.push(e);
    }
}

/// Pad-off faults of 5-30 s separated by `gap` ms; none in the first 15 s
/// (the wearer checks pad placement on the LED when a session starts).
fn pad_faults(plan: &mut Plan, rng: &mut impl Rng, end_ms: f64, gap: (f64, f64)) {
    let mut t = 15e3 + uni(rng, 0.0, gap.0);
    loop {
        let len = uni(rng, 5e3, 30e3);
        if t + len > end_ms - 5e3 {
            break;
        }
        let kind = if rng.random_bool(0.5) {
            FaultKind::Flat
        } else {
            FaultKind::Railed
        };
        plan.faults.push((kind, t, t + len));
        t += len + uni(rng, gap.0, gap.1);
    }
}

/// A day in a life: activities of 12-30 s one after another, drawn from a
/// shuffled deck so that even a few minutes hold a bit of everything;
/// moderate drift; a pad fault every few minutes.
fn mixed(plan: &mut Plan, rng: &mut impl Rng, end_ms: f64) {
    plan.snr = (6.0, 25.0);
    plan.deliberate_p = 0.02;
    plan.drift = DriftPlan {
        gain: (0.6, 1.7),
        offset: (-0.2, 0.6),
        knot_ms: (60e3, 240e3),
        alternate: false,
    };
    // rest twice, conversation twice, meal, walk, laughter, eyes resting
    const DECK: [u8; 8] = [0, 0, 1, 1, 2, 3, 4, 5];
    let mut deck = DECK;
    let mut dealt = deck.len();
    let mut t = 0.0;
    while t < end_ms {
        if dealt == deck.len() {
            deck = DECK;
            // Fisher-Yates, by hand so the draws are ours (same seed, same day).
            for i in (1..deck.len()).rev() {
                let j = rng.random_range(0..=i);
                deck.swap(i, j);
            }
            dealt = 0;
        }
        let activity = deck[dealt];
        dealt += 1;
        let len = uni(rng, 12e3, 30e3);
        let w = (t, (t + len).min(end_ms));
        match activity {
            0 => {} // rest: blinking only
            1 => {
                alternate(plan, rng, EpisodeKind::Talking, w, (4e3, 20e3), (1e3, 6e3));
                alternate(plan, rng, EpisodeKind::Smiling, w, (0.0, 0.0), (5e3, 25e3));
            }
            2 => {
                alternate(
                    plan,
                    rng,
                    EpisodeKind::Chewing,
                    w,
                    (10e3, 40e3),
                    (3e3, 15e3),
                );
                alternate(plan, rng, EpisodeKind::Talking, w, (2e3, 8e3), (5e3, 20e3));
            }
            3 => {
                let mut e = episode(rng, EpisodeKind::Walking, w.0, w.1 - w.0);
                e.end_ms = w.1;
                plan.episodes.push(e);
            }
            4 => {
                alternate(plan, rng, EpisodeKind::Smiling, w, (0.0, 0.0), (2e3, 10e3));
                alternate(plan, rng, EpisodeKind::Talking, w, (2e3, 10e3), (2e3, 10e3));
            }
            _ => plan
                .episodes
                .push(episode(rng, EpisodeKind::EyesResting, w.0, w.1 - w.0)),
        }
        t = w.1;
    }
    pad_faults(plan, rng, end_ms, (120e3, 600e3));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn names_round_trip_and_match_the_list() {
        for (i, sc) in Scenario::ALL.into_iter().enumerate() {
            assert_eq!(sc as usize, i);
            assert_eq!(sc.name().parse::<Scenario>().unwrap(), sc);
        }
        let err = "sleepy".parse::<Scenario>().unwrap_err().to_string();
        assert!(
            err.contains("no scenario `sleepy`") && err.contains("pad_off"),
            "{err}"
        );
    }

    #[test]
    fn plans_keep_faults_apart_and_inside_the_trace() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for sc in [Scenario::PadOff, Scenario::Mixed] {
            let end = 60.0 * 60e3;
            let plan = Plan::new(sc, end, &mut rng);
            let mut last = 0.0;
            for &(_, s, e) in &plan.faults {
                assert!(s >= 15e3 && s >= last && e > s && e <= end);
                assert!((5e3..=30e3).contains(&(e - s)));
                last = e;
            }
            assert!(!plan.faults.is_empty(), "{sc}: an hour has faults");
        }
    }
}

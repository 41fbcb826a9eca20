//! The blink detector: a sans-IO state machine from EMG samples to closures.
//!
//! Feed it samples with [`BlinkDetector::push`], then drain what it decided
//! with [`BlinkDetector::poll`]. It never reads a clock or a device; time is
//! the `t_ms` of each sample. Every parameter is in milliseconds or in units
//! of the signal's own noise, so one config means the same at 25 and 860 Hz.
//!
//! PLACEHOLDER: the API below is the contract the rest of the crate codes
//! against; the algorithm inside is a simple stand-in until the detector
//! issue replaces it.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// A complete eye closure, as the detector estimates it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Closure {
    /// Estimated start of the closure; may lie before the confirming sample.
    pub onset_ms: f64,
    /// Estimated end of the closure (the eye open again).
    pub offset_ms: f64,
    /// The sample at which the detector decided: the earliest a live system can act.
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

/// What the detector tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Event {
    /// A closure is confirmed and still going on: start keeping frames from
    /// `onset_ms` minus the pre-roll.
    Onset { onset_ms: f64, detected_ms: f64 },
    /// The closure announced by the last `Onset` is over.
    Closure(Closure),
    /// The closure announced by the last `Onset` turned out not to be one
    /// (decided at `t_ms`); nothing after its `Onset` belongs to a blink.
    Retracted { onset_ms: f64, t_ms: f64 },
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
}

/// Detector parameters. Times in milliseconds; levels in noise units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// Time at the start spent learning baseline and noise.
    pub calibration_ms: f64,
    /// Onset threshold above baseline, in noise units.
    pub on_sigma: f64,
    /// Offset threshold above baseline, in noise units (hysteresis).
    pub off_sigma: f64,
    /// Shortest closure reported.
    pub min_closure_ms: f64,
    /// Longest closure reported (long deliberate closures included).
    pub max_closure_ms: f64,
    /// Time after a closure during which no new closure starts.
    pub refractory_ms: f64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            calibration_ms: 3000.0,
            on_sigma: 6.0,
            off_sigma: 3.0,
            min_closure_ms: 40.0,
            max_closure_ms: 5000.0,
            refractory_ms: 100.0,
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
    ];

    fn field(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "calibration_ms" => &mut self.calibration_ms,
            "on_sigma" => &mut self.on_sigma,
            "off_sigma" => &mut self.off_sigma,
            "min_closure_ms" => &mut self.min_closure_ms,
            "max_closure_ms" => &mut self.max_closure_ms,
            "refractory_ms" => &mut self.refractory_ms,
            _ => return None,
        })
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

    /// Rejects values that cannot work, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |name, value: f64, ok: bool, why| {
            if ok && value.is_finite() {
                Ok(())
            } else {
                Err(ConfigError::Invalid { name, value, why })
            }
        };
        check(
            "calibration_ms",
            self.calibration_ms,
            self.calibration_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "on_sigma",
            self.on_sigma,
            self.on_sigma > 0.0,
            "must be > 0",
        )?;
        check(
            "off_sigma",
            self.off_sigma,
            self.off_sigma >= 0.0 && self.off_sigma <= self.on_sigma,
            "must be between 0 and on_sigma",
        )?;
        check(
            "min_closure_ms",
            self.min_closure_ms,
            self.min_closure_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "max_closure_ms",
            self.max_closure_ms,
            self.max_closure_ms > self.min_closure_ms,
            "must be above min_closure_ms",
        )?;
        check(
            "refractory_ms",
            self.refractory_ms,
            self.refractory_ms >= 0.0,
            "must be >= 0",
        )?;
        Ok(())
    }
}

/// The detector itself. See the module docs.
#[derive(Debug, Clone)]
pub struct BlinkDetector {
    cfg: DetectorConfig,
    start_ms: Option<f64>,
    baseline: f64,
    noise: f64,
    state: State,
    onset_ms: f64,
    detected_ms: f64,
    peak: f64,
    last_end_ms: f64,
    last_t_ms: f64,
    events: VecDeque<Event>,
}

impl BlinkDetector {
    /// Builds a detector; the config must be valid.
    pub fn new(cfg: DetectorConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(BlinkDetector {
            cfg,
            start_ms: None,
            baseline: 0.0,
            noise: 1.0,
            state: State::Calibrating,
            onset_ms: 0.0,
            detected_ms: 0.0,
            peak: 0.0,
            last_end_ms: f64::NEG_INFINITY,
            last_t_ms: 0.0,
            events: VecDeque::with_capacity(4),
        })
    }

    /// The config in use.
    pub fn config(&self) -> &DetectorConfig {
        &self.cfg
    }

    /// Feeds one sample. Times must not decrease.
    pub fn push(&mut self, t_ms: f64, emg: i32) {
        let x = emg as f64;
        let start = *self.start_ms.get_or_insert(t_ms);
        self.last_t_ms = t_ms;
        if self.state == State::Calibrating {
            self.baseline += (x - self.baseline) * if t_ms == start { 1.0 } else { 0.05 };
            self.noise += ((x - self.baseline).abs().max(1.0) - self.noise) * 0.05;
            if t_ms - start >= self.cfg.calibration_ms {
                self.state = State::Open;
            }
            return;
        }
        let on = self.baseline + self.cfg.on_sigma * self.noise;
        let off = self.baseline + self.cfg.off_sigma * self.noise;
        match self.state {
            State::Open | State::Refractory | State::Rising => {
                if x > on && t_ms - self.last_end_ms >= self.cfg.refractory_ms {
                    self.state = State::Closed;
                    self.onset_ms = t_ms;
                    self.detected_ms = t_ms;
                    self.peak = x - self.baseline;
                    self.events.push_back(Event::Onset {
                        onset_ms: t_ms,
                        detected_ms: t_ms,
                    });
                } else {
                    self.state = State::Open;
                    self.baseline += (x - self.baseline) * 0.01;
                    self.noise += ((x - self.baseline).abs().max(1.0) - self.noise) * 0.01;
                }
            }
            State::Closed => {
                self.peak = self.peak.max(x - self.baseline);
                if x < off || t_ms - self.onset_ms > self.cfg.max_closure_ms {
                    self.end(t_ms);
                }
            }
            State::Calibrating | State::Fault => {}
        }
    }

    fn end(&mut self, t_ms: f64) {
        self.state = State::Refractory;
        self.last_end_ms = t_ms;
        if t_ms - self.onset_ms < self.cfg.min_closure_ms {
            self.events.push_back(Event::Retracted {
                onset_ms: self.onset_ms,
                t_ms,
            });
        } else {
            self.events.push_back(Event::Closure(Closure {
                onset_ms: self.onset_ms,
                offset_ms: t_ms,
                detected_ms: self.detected_ms,
                peak: self.peak,
                score: 1.0,
            }));
        }
    }

    /// Ends the stream: a closure still open is closed at the last sample.
    pub fn finish(&mut self) {
        if self.state == State::Closed {
            let t = self.last_t_ms.max(self.onset_ms + 1.0);
            self.end(t);
        }
    }

    /// The next decision, if any. Call until `None` after every `push`.
    pub fn poll(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// What the detector believes now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            state: self.state,
            baseline: self.baseline,
            noise: self.noise,
            on_threshold: self.baseline + self.cfg.on_sigma * self.noise,
            off_threshold: self.baseline + self.cfg.off_sigma * self.noise,
        }
    }

    /// How well the pads sit, once enough blinks were seen.
    pub fn placement(&self) -> Option<Placement> {
        None
    }
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

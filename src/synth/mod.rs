//! Synthetic labelled EMG traces: an honest model of the sensor chain, per
//! scenario, for tuning and testing the blink detector.
//!
//! A trace is made the way a real one is: blinks (a renewal process with
//! double blinks and deliberate closures) drive bursts of the orbicularis
//! oculi whose timing is *not* locked to the lid; talking, chewing and smiling
//! add muscle activity of their own; the MyoWare rectifies and smooths the
//! sum, adds its offset, drifts with sweat and clips at its rail; walking adds
//! cable tugs and pad shifts; a pad can lift off; the ADS1115 samples at
//! jittered instants and quantises. `src/synth/model.rs` draws the chain.
//!
//! # Use
//!
//! In memory (cheap; no files), e.g. for a scenario suite:
//!
//! ```
//! use augenblick::synth::{generate, Scenario, SynthOptions};
//! let opts = SynthOptions { minutes: 0.5, ..SynthOptions::new(Scenario::Chewing, 7) };
//! let mut samples = Vec::new();
//! let truth = generate(&opts, |s| samples.push(s)).unwrap();
//! assert_eq!(samples.len() as u64, truth.samples);
//! println!("{} closures, {} episodes", truth.labels.len(), truth.episodes.len());
//! ```
//!
//! To files: [`write`] makes `trace.csv`, `labels.csv`, `truth.toml` and
//! `closures.csv` (every closure, hidden ones too, with the muscle burst that
//! went with it: kind, burst start and end, height). Same options, same
//! bytes. Generation streams: a 24-hour trace keeps memory flat (the labels
//! and the truth are kept, ~30 000 closures a day).
//!
//! The truth: labels are lid closures, from the moment the lid starts to
//! close until it is open again. **Closures hidden by a pad fault are not
//! labelled** (the sensor could not see them); `truth.toml` lists the faults,
//! and every artefact episode, cable tug and baseline step, so a developer can
//! see why a detector failed.

mod model;
mod scenario;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::trace::{write_labels, Label, Ms, Sample, TraceWriter};

pub use model::RAIL_COUNTS;
pub use scenario::{Episode, EpisodeKind, Fault, FaultKind, Scenario, UnknownScenario};

/// The scenario names, as `--scenario` takes them (snake_case, fixed).
pub fn scenario_names() -> &'static [&'static str] {
    &scenario::NAMES
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    pub scenario: Scenario,
    /// Same seed, same trace (byte for byte).
    pub seed: u64,
    /// Length of the trace.
    pub minutes: f64,
    /// Sampling rate; `None` takes the scenario's own (25 Hz, or 50/100 Hz
    /// for `calm_50hz`/`calm_100hz`).
    pub rate_hz: Option<f64>,
}

impl SynthOptions {
    /// Five minutes at the scenario's own rate.
    pub fn new(scenario: Scenario, seed: u64) -> SynthOptions {
        SynthOptions {
            scenario,
            seed,
            minutes: 5.0,
            rate_hz: None,
        }
    }

    /// The rate that will be used.
    pub fn rate(&self) -> f64 {
        self.rate_hz.unwrap_or(self.scenario.native_rate_hz())
    }

    fn check(&self) -> Result<(), SynthError> {
        let rate = self.rate();
        if !(rate.is_finite() && (1.0..=1000.0).contains(&rate)) {
            return Err(SynthError::Rate(rate));
        }
        // Up to a week: beyond that a trace is of no use and only fills the disk.
        // At least one sample: a trace of only a header is not a trace.
        let samples = self.minutes * 60.0 * rate;
        if !(self.minutes.is_finite() && samples >= 1.0 && self.minutes <= 7.0 * 1440.0) {
            return Err(SynthError::Minutes(self.minutes));
        }
        Ok(())
    }
}

/// Why a trace could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("a rate of {0} Hz is out of range; use --rate between 1 and 1000 (the ADS1115 tops out at 860 samples/s)")]
    Rate(f64),
    #[error(
        "a length of {0} minutes is out of range; use --minutes long enough for one sample and up to 10080 (a week)"
    )]
    Minutes(f64),
    #[error("{path}: cannot read or write (check the folder exists and is writable)")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: not a truth file written by `augenblick synth`: {message}")]
    BadTruth { path: PathBuf, message: String },
}

/// The sensor as the model set it up for this trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorTruth {
    /// The MyoWare supply rail in ADS1115 counts: no reading goes above it.
    pub rail_counts: i32,
    /// Mean resting envelope from the electrode noise (counts).
    pub floor_counts: f64,
    /// MyoWare output offset (counts); the resting baseline is floor + offset.
    pub offset_counts: f64,
    /// Height of a typical blink above the baseline (counts, before drift).
    pub blink_counts: f64,
    /// Typical blink height over the resting baseline's standard deviation.
    pub snr: f64,
    /// Envelope smoothing time constant (ms).
    pub envelope_tau_ms: f64,
    /// Range the gain drifts over (factor).
    pub gain_min: f64,
    pub gain_max: f64,
    /// Range the offset drifts over (counts, added to the baseline).
    pub offset_shift_min_counts: f64,
    pub offset_shift_max_counts: f64,
}

/// A cable tug: a transient of a few ms at the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    pub t_ms: f64,
    /// Size and sign (counts, before clipping).
    pub counts: f64,
}

/// A pad shifting on the skin: the baseline moves to a new level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineStep {
    pub t_ms: f64,
    /// The new shift of the baseline (counts, relative to the resting baseline).
    pub level_counts: f64,
}

/// What kind of closure a [`Closure`] was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureKind {
    /// A spontaneous blink.
    Blink,
    /// The second closure of a double blink (150-400 ms after the first).
    Double,
    /// A deliberate closure of 0.5-4 s (a squeeze).
    Deliberate,
}

impl ClosureKind {
    fn name(self) -> &'static str {
        match self {
            ClosureKind::Blink => "blink",
            ClosureKind::Double => "double",
            ClosureKind::Deliberate => "deliberate",
        }
    }
}

/// One closure with the muscle burst that went with it: `closures.csv`.
/// Shows how the burst sat against the lid (it may start late, end early).
#[derive(Debug, Clone, PartialEq)]
pub struct Closure {
    /// The lid closure, as in the labels.
    pub onset_ms: f64,
    pub offset_ms: f64,
    pub kind: ClosureKind,
    /// The orbicularis burst (for a deliberate closure: onset burst to the
    /// end of the tonic squeeze).
    pub burst_start_ms: f64,
    pub burst_end_ms: f64,
    /// Burst height in typical blinks (the envelope it makes on its own,
    /// before drift and before other activity adds to it).
    pub height: f64,
    /// False when a pad fault hid it: then it is not in the labels.
    pub visible: bool,
}

/// Everything true about a generated trace. `truth.toml` is this, less the labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub scenario: String,
    pub seed: u64,
    pub minutes: f64,
    pub rate_hz: f64,
    /// Rows in the trace.
    pub samples: u64,
    /// Labelled closures (rows of labels.csv).
    pub closures: u64,
    /// Closures that happened while a pad was off: not labelled.
    pub hidden_closures: u64,
    pub double_blinks: u64,
    /// Deliberate closures of 0.5-4 s.
    pub deliberate_closures: u64,
    /// The spontaneous blink rate at rest the model used.
    pub blinks_per_min: f64,
    pub note: String,
    pub sensor: SensorTruth,
    pub faults: Vec<Fault>,
    pub episodes: Vec<Episode>,
    pub spikes: Vec<Spike>,
    pub baseline_steps: Vec<BaselineStep>,
    /// The lid closures (labels.csv), in time order, never overlapping.
    #[serde(skip)]
    pub labels: Vec<Label>,
    /// Every closure, seen or hidden, with its burst (`closures.csv`).
    #[serde(skip)]
    pub closure_log: Vec<Closure>,
}

impl Truth {
    /// The truth as TOML (what `truth.toml` holds).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("the truth is plain data and always serialises")
    }

    /// Reads a `truth.toml` (for plots that show why a detector failed).
    /// Its `labels` stay empty: they live in `labels.csv`.
    pub fn read(path: impl AsRef<Path>) -> Result<Truth, SynthError> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|source| SynthError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| SynthError::BadTruth {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

/// A synthetic trace as an iterator of samples; [`Synth::finish`] gives the truth.
pub struct Synth(model::Model);

impl Synth {
    pub fn new(opts: &SynthOptions) -> Result<Synth, SynthError> {
        opts.check()?;
        Ok(Synth(model::Model::new(
            opts.scenario,
            opts.seed,
            opts.minutes,
            opts.rate(),
        )))
    }

    /// The truth about the samples so far (labels up to the last sample).
    pub fn finish(self) -> Truth {
        self.0.finish()
    }
}

impl Iterator for Synth {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        self.0.next_sample()
    }
}

/// Generates a trace, handing each sample to `sink`; returns the truth.
pub fn generate(opts: &SynthOptions, mut sink: impl FnMut(Sample)) -> Result<Truth, SynthError> {
    let mut synth = Synth::new(opts)?;
    for s in synth.by_ref() {
        sink(s);
    }
    Ok(synth.finish())
}

/// Writes `dir/trace.csv`, `dir/labels.csv`, `dir/truth.toml` and
/// `dir/closures.csv` (creating `dir`).
pub fn write(opts: &SynthOptions, dir: &Path) -> Result<Truth, SynthError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io { path, source }
    };
    // Check the options before anything touches the disk.
    let mut synth = Synth::new(opts)?;
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let trace_path = dir.join("trace.csv");
    let mut writer = TraceWriter::create(&trace_path, &[]).map_err(io_err(&trace_path))?;
    for s in synth.by_ref() {
        writer.write(s, &[]).map_err(io_err(&trace_path))?;
    }
    writer.into_inner().map_err(io_err(&trace_path))?;
    let truth = synth.finish();
    let labels_path = dir.join("labels.csv");
    write_labels(&labels_path, &truth.labels).map_err(io_err(&labels_path))?;
    let log_path = dir.join("closures.csv");
    write_closure_log(&log_path, &truth.closure_log).map_err(io_err(&log_path))?;
    let truth_path = dir.join("truth.toml");
    fs::File::create(&truth_path)
        .and_then(|mut f| f.write_all(truth.to_toml().as_bytes()))
        .map_err(io_err(&truth_path))?;
    Ok(truth)
}

/// Writes the closure log: one row per closure, hidden ones included.
fn write_closure_log(path: &Path, log: &[Closure]) -> io::Result<()> {
    let mut out = io::BufWriter::new(fs::File::create(path)?);
    writeln!(
        out,
        "onset_ms,offset_ms,kind,burst_start_ms,burst_end_ms,height,visible"
    )?;
    for c in log {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            Ms(c.onset_ms),
            Ms(c.offset_ms),
            c.kind.name(),
            Ms(c.burst_start_ms),
            Ms(c.burst_end_ms),
            c.height,
            c.visible
        )?;
    }
    out.flush()
}

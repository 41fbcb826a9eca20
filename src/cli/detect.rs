//! `augenblick detect TRACE`: closures as CSV on stdout.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::detector::{
    clipped_warning, slow_rate_warning, BlinkDetector, DetectorConfig, Event, FaultKind,
};
use crate::trace::{median_interval_ms, read_trace, Ms, Sample, TraceError, TraceReader};
use crate::tune::plot::View;

/// Find eye closures in an EMG trace.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  augenblick detect calm.csv > blinks.csv\n  augenblick detect calm.csv --config tuned.toml\n  augenblick detect calm.csv --events > events.csv   every decision, as the appliance sees it\n  augenblick detect emg.csv --plot emg.png --from-ms 60000 --to-ms 90000   look at a recorded trace\n\nWith --events, one row per event, at the sample that produced it:\n  t_ms,event,onset_ms,offset_ms,detected_ms,peak,score,fault\nevent is onset, tentative, closure, retracted, pause, resume, fault_start or\nfault_end; columns an event has no value for are empty. retracted: onset_ms\nof the closure taken back, detected_ms when; pause: offset_ms, the eye open\nagain from then; resume: onset_ms, shut again from then; fault_start and\nfault_end: onset_ms and offset_ms of the fault, fault its kind.\n\nOn stderr, warnings about the trace itself: how long it was at fault (no\nclosures are looked for there), samples slower than 22 Hz (blinks are missed),\nand blinks that all reach one top (the envelope clipped: the gain too high)."
)]
pub struct Args {
    /// The trace: CSV with columns `t_ms` and `emg`; or a folder holding
    /// one: a session's (its `emg.csv`) or `synth`'s (its `trace.csv`).
    pub trace: PathBuf,
    /// A detector config (TOML, as written by `tune --sweep`); defaults otherwise.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Every event, not just the closures: onsets, tentative closures and
    /// their verdicts, retractions, pauses and resumes inside long closures,
    /// faults (see below).
    #[arg(long)]
    pub events: bool,
    /// Also draw the trace (PNG or SVG by extension) with the detector's
    /// baseline, thresholds, closures, decisions and faults: a recorded
    /// trace with no labels, looked at. `tune --plot` draws the labels too.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub window: super::tune::PlotWindow,
}

/// The `--events` header.
pub const EVENTS_HEADER: &str = "t_ms,event,onset_ms,offset_ms,detected_ms,peak,score,fault";

/// What an `--events` row holds besides its time and name.
#[derive(Debug, Default)]
struct EventRow {
    onset: Option<f64>,
    offset: Option<f64>,
    detected: Option<f64>,
    peak_score: Option<(f64, f64)>,
    fault: Option<FaultKind>,
}

/// One `--events` row for event `e`, emitted at the sample at `t_ms`.
fn event_row(t_ms: f64, e: &Event) -> String {
    let (name, row) = match *e {
        Event::Onset {
            onset_ms,
            detected_ms,
        } => (
            "onset",
            EventRow {
                onset: Some(onset_ms),
                detected: Some(detected_ms),
                ..EventRow::default()
            },
        ),
        Event::Closure(c) | Event::Tentative(c) => (
            if matches!(e, Event::Closure(_)) {
                "closure"
            } else {
                "tentative"
            },
            EventRow {
                onset: Some(c.onset_ms),
                offset: Some(c.offset_ms),
                detected: Some(c.detected_ms),
                peak_score: Some((c.peak, c.score)),
                fault: None,
            },
        ),
        Event::Retracted { onset_ms, t_ms: at } => (
            "retracted",
            EventRow {
                onset: Some(onset_ms),
                detected: Some(at),
                ..EventRow::default()
            },
        ),
        Event::Pause { t_ms: at } => (
            "pause",
            EventRow {
                offset: Some(at),
                ..EventRow::default()
            },
        ),
        Event::Resume {
            onset_ms,
            detected_ms,
        } => (
            "resume",
            EventRow {
                onset: Some(onset_ms),
                detected: Some(detected_ms),
                ..EventRow::default()
            },
        ),
        Event::FaultStart { kind, t_ms: at } => (
            "fault_start",
            EventRow {
                onset: Some(at),
                fault: Some(kind),
                ..EventRow::default()
            },
        ),
        Event::FaultEnd { kind, t_ms: at } => (
            "fault_end",
            EventRow {
                offset: Some(at),
                fault: Some(kind),
                ..EventRow::default()
            },
        ),
    };
    let ms = |v: Option<f64>| v.map(|v| Ms(v).to_string()).unwrap_or_default();
    let (peak, score) = row
        .peak_score
        .map(|(p, s)| (format!("{p:.1}"), format!("{s:.3}")))
        .unwrap_or_default();
    format!(
        "{},{name},{},{},{},{peak},{score},{}",
        Ms(t_ms),
        ms(row.onset),
        ms(row.offset),
        ms(row.detected),
        row.fault.map(|k| k.to_string()).unwrap_or_default()
    )
}

/// How many of a trace's first samples tell the rate it was taken at.
const RATE_SAMPLES: usize = 2001;

/// Loads a detector config from TOML: the whole file, or its `[detector]` table.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<DetectorConfig> {
    let Some(path) = path else {
        return Ok(DetectorConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config {}", path.display()))?;
    let value: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let table = match value.get("detector") {
        Some(toml::Value::Table(t)) => t.clone(),
        _ => value,
    };
    let cfg: DetectorConfig = table
        .try_into()
        .with_context(|| format!("{}: bad detector config", path.display()))?;
    cfg.validate()
        .with_context(|| format!("{}: bad detector config", path.display()))?;
    Ok(cfg)
}

pub fn run(mut args: Args) -> anyhow::Result<()> {
    let cfg = load_config(args.config.as_deref())?;
    args.trace = super::trace_in(&args.trace)?;
    // The plot's arguments are checked before the trace is read.
    super::tune::check_plot_args(args.plot.as_deref(), args.window)?;
    let mut detector = BlinkDetector::new(cfg.clone())?;
    // Opened (its header read) before anything is printed: a trace that
    // cannot be read leaves stdout empty. A plot needs the whole trace in
    // memory: then it is read once, whole, and replayed from there.
    let whole = match &args.plot {
        Some(_) => Some(read_trace(&args.trace)?),
        None => None,
    };
    let samples: Box<dyn Iterator<Item = Result<Sample, TraceError>>> = match &whole {
        Some(samples) => Box::new(samples.iter().copied().map(Ok)),
        None => Box::new(TraceReader::open(&args.trace)?),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.events {
        writeln!(out, "{EVENTS_HEADER}")?;
    } else {
        writeln!(out, "onset_ms,offset_ms,detected_ms,peak,score")?;
    }
    let mut faults = Faults::default();
    let events = args.events;
    let mut now = f64::NAN;
    let mut write = |d: &mut BlinkDetector, out: &mut dyn Write, now: f64| -> std::io::Result<()> {
        while let Some(e) = d.poll() {
            faults.see(&e);
            if events {
                writeln!(out, "{}", event_row(now, &e))?;
            } else if let Event::Closure(c) = e {
                writeln!(
                    out,
                    "{},{},{},{:.1},{:.3}",
                    Ms(c.onset_ms),
                    Ms(c.offset_ms),
                    Ms(c.detected_ms),
                    c.peak,
                    c.score
                )?;
            }
        }
        Ok(())
    };
    let (mut first, mut last) = (f64::NAN, f64::NAN);
    // The first samples' times, for the rate the trace was taken at.
    let mut times = Vec::with_capacity(RATE_SAMPLES);
    for sample in samples {
        let s = sample?;
        if first.is_nan() {
            first = s.t_ms;
        }
        if times.len() < RATE_SAMPLES {
            times.push(s.t_ms);
        }
        last = s.t_ms;
        now = s.t_ms;
        detector.push(s.t_ms, s.emg);
        write(&mut detector, &mut out, now)?;
    }
    detector.finish();
    write(&mut detector, &mut out, now)?;
    out.flush()?;
    if let Some(top) = detector.placement().and_then(|p| p.clipped_at) {
        log::warn!("{}: {}", args.trace.display(), clipped_warning(top));
    }
    if let Some(text) = median_interval_ms(times).and_then(slow_rate_warning) {
        log::warn!("{}: {text}", args.trace.display());
    }
    if let Some(text) = faults.summary(first, last) {
        log::warn!("{}: {text}", args.trace.display());
    }
    if let (Some(path), Some(samples)) = (&args.plot, &whole) {
        let view = View::record(&cfg, samples, &[])?;
        let name = args
            .trace
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        super::tune::draw_window(path, &view, &name, args.window)?;
    }
    Ok(())
}

/// The stretches the detector spent in a fault, where it looks for no
/// closures: a trace that prints no rows should say why.
#[derive(Debug, Default)]
struct Faults {
    /// Stretches begun, and the time in each kind (railed, flat, wild).
    count: usize,
    ms: [f64; 3],
    open: Option<(FaultKind, f64)>,
}

impl Faults {
    fn slot(kind: FaultKind) -> usize {
        match kind {
            FaultKind::Railed => 0,
            FaultKind::Flat => 1,
            FaultKind::Wild => 2,
        }
    }

    fn see(&mut self, e: &Event) {
        match *e {
            Event::FaultStart { kind, t_ms } => {
                self.count += 1;
                self.open = Some((kind, t_ms));
            }
            Event::FaultEnd { t_ms, .. } => self.close(t_ms),
            _ => {}
        }
    }

    fn close(&mut self, t_ms: f64) {
        if let Some((kind, start)) = self.open.take() {
            self.ms[Self::slot(kind)] += (t_ms - start).max(0.0);
        }
    }

    /// One line for the log, or None if the signal never faulted. `first`
    /// and `last`: the trace's first and last sample times.
    fn summary(mut self, first: f64, last: f64) -> Option<String> {
        self.close(last);
        if self.count == 0 {
            return None;
        }
        let total: f64 = self.ms.iter().sum();
        let span = last - first;
        let share = if span > 0.0 {
            100.0 * total / span
        } else {
            100.0
        };
        let kinds: Vec<String> = [FaultKind::Railed, FaultKind::Flat, FaultKind::Wild]
            .into_iter()
            .filter(|&k| self.ms[Self::slot(k)] > 0.0)
            .map(|k| format!("{k} {:.1} s", self.ms[Self::slot(k)] / 1000.0))
            .collect();
        let mut text = format!(
            "the signal was at fault {:.1} s of {:.1} s ({share:.0} %), in {} stretch{} ({}); \
             no closures are looked for inside a fault (a pad off, a cable out, a signal at \
             a rail or wild). `augenblick detect TRACE --plot trace.png` draws where",
            total / 1000.0,
            span / 1000.0,
            self.count,
            if self.count == 1 { "" } else { "es" },
            kinds.join(", "),
        );
        if self.ms[Self::slot(FaultKind::Railed)] > 0.5 * span {
            text.push_str(
                ". Railed means at or above `rail_high_counts` (32767 by default; see \
                 `--config`), or fallen to the ground (`rail_low_counts`, 0) from far \
                 above it",
            );
        }
        Some(text)
    }
}

//! `augenblick detect TRACE`: closures as CSV on stdout.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::detector::{BlinkDetector, DetectorConfig, Event, FaultKind};
use crate::trace::{Ms, TraceReader};

/// Find eye closures in an EMG trace.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  augenblick detect calm.csv > blinks.csv\n  augenblick detect calm.csv --config tuned.toml"
)]
pub struct Args {
    /// The trace: CSV with columns `t_ms` and `emg`.
    pub trace: PathBuf,
    /// A detector config (TOML, as written by `tune --sweep`); defaults otherwise.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

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

pub fn run(args: Args) -> anyhow::Result<()> {
    let cfg = load_config(args.config.as_deref())?;
    let mut detector = BlinkDetector::new(cfg)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(out, "onset_ms,offset_ms,detected_ms,peak,score")?;
    let mut faults = Faults::default();
    let mut write = |d: &mut BlinkDetector, out: &mut dyn Write| -> std::io::Result<()> {
        while let Some(e) = d.poll() {
            faults.see(&e);
            if let Event::Closure(c) = e {
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
    for sample in TraceReader::open(&args.trace)? {
        let s = sample?;
        if first.is_nan() {
            first = s.t_ms;
        }
        last = s.t_ms;
        detector.push(s.t_ms, s.emg);
        write(&mut detector, &mut out)?;
    }
    detector.finish();
    write(&mut detector, &mut out)?;
    out.flush()?;
    if let Some(text) = faults.summary(first, last) {
        log::warn!("{}: {text}", args.trace.display());
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
             a rail or wild). `augenblick tune TRACE --labels LABELS --plot trace.png` draws where",
            total / 1000.0,
            span / 1000.0,
            self.count,
            if self.count == 1 { "" } else { "es" },
            kinds.join(", "),
        );
        if self.ms[Self::slot(FaultKind::Railed)] > 0.5 * span {
            text.push_str(
                ". Railed means at or beyond `rail_low_counts` or `rail_high_counts` \
                 (0 and 32767 by default; see `--config`)",
            );
        }
        Some(text)
    }
}

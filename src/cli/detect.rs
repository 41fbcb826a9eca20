//! `augenblick detect TRACE`: closures as CSV on stdout.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::detector::{BlinkDetector, DetectorConfig, Event};
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
    let write = |d: &mut BlinkDetector, out: &mut dyn Write| -> std::io::Result<()> {
        while let Some(e) = d.poll() {
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
    for sample in TraceReader::open(&args.trace)? {
        let s = sample?;
        detector.push(s.t_ms, s.emg);
        write(&mut detector, &mut out)?;
    }
    detector.finish();
    write(&mut detector, &mut out)?;
    out.flush()?;
    Ok(())
}

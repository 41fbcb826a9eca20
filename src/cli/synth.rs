//! `augenblick synth`: write a synthetic labelled trace.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::synth::{self, Scenario, SynthOptions};

const EXAMPLES: &str = "\
Examples:
  augenblick synth --list
  augenblick synth --scenario chewing --seed 3 --out /tmp/chewing
  augenblick synth --scenario all --seed 1 --out /tmp/suite        # one folder per scenario
  augenblick synth --scenario calm --rate 100 --minutes 2 --out /tmp/calm100
  augenblick synth --scenario mixed --minutes 1440 --seed 1 --out /tmp/day   # 24 h, for benchmarks

Each folder gets trace.csv (t_ms,emg), labels.csv (onset_ms,offset_ms: lid closures),
truth.toml (the sensor, artefact episodes, cable tugs, baseline steps and pad faults) and
closures.csv (every closure with its muscle burst, hidden ones marked visible=false).
Closures hidden by a pad fault are not labelled. Same seed, same bytes.";

/// Write a synthetic labelled EMG trace.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Scenario name, `all` (one subfolder each) or `list`.
    #[arg(short, long, value_name = "NAME", required_unless_present = "list")]
    pub scenario: Option<String>,
    /// Print the scenarios, one line each.
    #[arg(long)]
    pub list: bool,
    /// Random seed: same seed, same trace.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder to write trace.csv, labels.csv, truth.toml and closures.csv into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Length of the trace in minutes.
    #[arg(short, long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub minutes: f64,
    /// Sampling rate in Hz [default: the scenario's own, 25 Hz for most].
    #[arg(short, long, value_name = "HZ", allow_negative_numbers = true)]
    pub rate: Option<f64>,
}

fn list() -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for sc in Scenario::ALL {
        writeln!(
            out,
            "{:<14} {:>3} Hz  {}",
            sc.name(),
            sc.native_rate_hz(),
            sc.description()
        )?;
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let name = args.scenario.as_deref().unwrap_or("list");
    if args.list || name == "list" {
        list()?;
        return Ok(());
    }
    let scenarios: Vec<Scenario> = if name == "all" {
        Scenario::ALL.to_vec()
    } else {
        vec![name.parse()?]
    };
    let out = args
        .out
        .context("say where to write the trace with --out DIR")?;
    for sc in scenarios {
        let dir = if name == "all" {
            out.join(sc.name())
        } else {
            out.clone()
        };
        let opts = SynthOptions {
            scenario: sc,
            seed: args.seed,
            minutes: args.minutes,
            rate_hz: args.rate,
        };
        let truth = synth::write(&opts, &dir)
            .with_context(|| format!("writing scenario `{sc}` into {}", dir.display()))?;
        log::info!(
            "{}: {} samples, {} closures, {} faults, {} episodes",
            dir.display(),
            truth.samples,
            truth.closures,
            truth.faults.len(),
            truth.episodes.len()
        );
    }
    Ok(())
}

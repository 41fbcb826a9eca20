//! `augenblick check`: one line per part of the hardware, with the fix.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::check::{run_checks, CheckSetup, Part};
use crate::config::Config;

/// Test the wiring: I2C bus, ADC, button, LED, camera, battery warning, disk space, groups.
///
/// Prints one line per check ("ok" or "FAIL" with the fix) and exits
/// non-zero if any selected check fails.
///
/// Examples:
///   augenblick check                              # everything, with /etc/augenblick/config.toml
///   augenblick check --only adc,camera            # no GPIO (a laptop, the VM)
///   augenblick check --config my.toml --only led  # watch the LED blink
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The config file; its `[adc]`, `[gpio]`, `[camera]`, `[power]` and `[storage]` sections are used.
    /// Defaults to /etc/augenblick/config.toml when it exists, else the
    /// built-in defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only these checks (comma-separated).
    #[arg(long, value_delimiter = ',', value_enum, value_name = "PART")]
    pub only: Vec<Part>,
    /// The sessions folder whose free space is checked [default: the
    /// config's storage.sessions_dir].
    #[arg(long, value_name = "DIR")]
    pub sessions: Option<PathBuf>,
    /// Free space below which the disk check fails, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub min_free_mib: u64,
}

/// The config file named, else the installed one, else the defaults
/// ([`crate::config::load_for_command`], shared with `run`).
fn load(path: Option<&PathBuf>) -> anyhow::Result<Config> {
    let (config, path) = crate::config::load_for_command(path.map(PathBuf::as_path))?;
    let Some(path) = path else {
        return Ok(config);
    };
    config
        .adc
        .validate()
        .and(config.gpio.validate())
        .and(config.camera.validate())
        .with_context(|| format!("in {}", path.display()))?;
    Ok(config)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = load(args.config.as_ref())?;
    let setup = CheckSetup {
        sessions_dir: args
            .sessions
            .unwrap_or_else(|| config.storage.sessions_dir.clone()),
        adc: config.adc,
        gpio: config.gpio,
        camera: config.camera,
        power: config.power,
        min_free_bytes: args.min_free_mib << 20,
    };
    let parts = if args.only.is_empty() {
        Part::ALL.to_vec()
    } else {
        args.only
    };
    let lines = run_checks(&setup, &parts);
    let mut out = std::io::stdout().lock();
    for line in &lines {
        writeln!(out, "{line}")?;
    }
    let failed = lines.iter().filter(|l| !l.ok).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} checks failed", lines.len());
    }
    Ok(())
}

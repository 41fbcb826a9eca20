//! `augenblick check`: one line per part of the hardware, with the fix.

use std::path::PathBuf;

use anyhow::Context;

use crate::check::{run_checks, CheckSetup, Part};
use crate::devices::config::{AdcConfig, CameraConfig, GpioConfig};

/// Test the wiring: I2C bus, ADC, button, LED, camera, disk space, groups.
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
    /// The config file; its [adc], [gpio] and [camera] sections are used.
    /// Defaults to /etc/augenblick/config.toml when it exists, else the
    /// built-in defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only these checks (comma-separated).
    #[arg(long, value_delimiter = ',', value_enum, value_name = "PART")]
    pub only: Vec<Part>,
    /// The sessions folder whose free space is checked.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/var/lib/augenblick/sessions"
    )]
    pub sessions: PathBuf,
    /// Free space below which the disk check fails, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub min_free_mib: u64,
}

/// The device sections of the config file; other keys are the appliance's.
#[derive(Debug, Default, serde::Deserialize)]
struct DeviceSections {
    #[serde(default)]
    adc: AdcConfig,
    #[serde(default)]
    gpio: GpioConfig,
    #[serde(default)]
    camera: CameraConfig,
}

const DEFAULT_CONFIG: &str = "/etc/augenblick/config.toml";

fn load(path: Option<&PathBuf>) -> anyhow::Result<DeviceSections> {
    let path = match path {
        Some(p) => p.clone(),
        None if std::path::Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => return Ok(DeviceSections::default()),
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let sections: DeviceSections =
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    sections
        .adc
        .validate()
        .and(sections.gpio.validate())
        .and(sections.camera.validate())
        .with_context(|| format!("in {}", path.display()))?;
    Ok(sections)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let sections = load(args.config.as_ref())?;
    let setup = CheckSetup {
        adc: sections.adc,
        gpio: sections.gpio,
        camera: sections.camera,
        sessions_dir: args.sessions,
        min_free_bytes: args.min_free_mib << 20,
    };
    let parts = if args.only.is_empty() {
        Part::ALL.to_vec()
    } else {
        args.only
    };
    let lines = run_checks(&setup, &parts);
    for line in &lines {
        println!("{line}");
    }
    let failed = lines.iter().filter(|l| !l.ok).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} checks failed", lines.len());
    }
    Ok(())
}

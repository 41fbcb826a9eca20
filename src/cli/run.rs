//! `augenblick run`: the appliance, on real devices or simulated ones.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;

use crate::appliance::{self, Mode, RunOptions};
use crate::clock::{Clock, MonotonicClock, VirtualClock};
use crate::config::Config;
use crate::devices::sim::{
    parse_low_battery, parse_presses, LoggedLed, ScriptedButton, ScriptedPower, SimCamera, TraceEmg,
};
use crate::devices::Devices;
use crate::session::storage::{DiskStorage, Storage, UnsyncedDiskStorage};
use crate::session::writer::DevicesInfo;
use crate::trace::{Sample, TraceReader};

/// The trace `--simulate` replays when none is given: bundled in the binary,
/// so the main command works on a fresh machine.
pub const DEMO_TRACE: &str = include_str!("../../tests/data/demo/trace.csv");

/// Run the appliance: sessions of kept blink frames, on real devices or simulated ones.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  augenblick run --simulate                          the bundled demo trace, as fast as it goes
  augenblick run --simulate --sessions out/sessions --trace calm.csv
  augenblick run --simulate --realtime --duration 30 paced like the glasses, 30 s
  augenblick run --simulate --presses 0,20,40:4      sessions from 0-20 s, then a long press at 40 s
  augenblick run --simulate --low-battery 60         the battery warns from 60 s: the session ends cleanly
  augenblick run                                     on the glasses (real devices, `hw` build)
  augenblick run --config test.toml --simulate       another config than the installed one
  augenblick run --sim-gpio --duration 20            real ADC and camera, no GPIO (the VM tests)

The config is /etc/augenblick/config.toml when it exists, unless --config names
another file; without either, the built-in defaults (a laptop). The first line
printed says which.

Each session is a folder under the sessions directory: session.toml, emg.csv,
blinks.csv, frames.csv and clips/NNNNNN.mjpeg (ffmpeg reads them with -f mjpeg).
Ctrl-C ends the session cleanly; sessions a power cut interrupted are repaired
at the next start.")]
pub struct Args {
    /// Simulated devices: the trace replayed as the ADC, a synthetic camera,
    /// scripted button presses, an LED log.
    #[arg(long)]
    pub simulate: bool,
    /// The trace to replay (CSV with `t_ms,emg`, or a folder with a session's
    /// `emg.csv` or synth's `trace.csv`); the bundled demo trace by default.
    #[arg(long, requires = "simulate", value_name = "T.csv")]
    pub trace: Option<PathBuf>,
    /// Where session folders go (default: `[storage] sessions_dir` of the config).
    #[arg(long, value_name = "DIR")]
    pub sessions: Option<PathBuf>,
    /// Pace the simulation like the device (threads, monotonic clock) instead
    /// of running it as fast as possible on a virtual clock.
    #[arg(long)]
    pub realtime: bool,
    /// The config file (TOML, every key documented in /etc/augenblick/config.toml)
    /// [default: /etc/augenblick/config.toml if it exists, else built-in defaults].
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Stop after this much session time (default in simulation: the end of the trace).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Scripted button presses, seconds from start, `:HOLD` seconds for a long
    /// one (e.g. `0,60,90:4`). Default: a session starts at once.
    #[arg(long, requires = "simulate", value_name = "LIST")]
    pub presses: Option<String>,
    /// The simulated battery warns from these times on, seconds from start:
    /// `FROM` (for good) or `FROM:UNTIL`, comma-separated (e.g. `60:70,200`).
    /// Once the warning has added up to `[power] low_ms` the session ends
    /// cleanly and the glasses would power off (the simulation ends there);
    /// with `[power] poweroff_when_low = false` no press starts a session
    /// until the warning has been off `recover_ms`.
    #[arg(long, requires = "simulate", value_name = "LIST")]
    pub low_battery: Option<String>,
    /// The simulated camera delivers raw YUYV (like the Pi Camera under
    /// libcamerify); the writer compresses kept frames.
    #[arg(long, requires = "simulate")]
    pub camera_raw: bool,
    /// Simulated camera frame rate (default: `[camera] fps`).
    #[arg(long, requires = "simulate")]
    pub fps: Option<f64>,
    /// Simulated camera size, WxH (default: `[camera] width`x`height`).
    #[arg(long, requires = "simulate", value_name = "WxH")]
    pub size: Option<String>,
    /// Real ADC and camera, but a simulated button (never pressed; the
    /// session starts at once) and LED (logged): for machines without the
    /// Pi's GPIO, like the VM tests (`--sim-gpio --duration 20`).
    #[arg(long, conflicts_with = "simulate")]
    pub sim_gpio: bool,
    /// Do not ask for real-time (SCHED_FIFO) priority for the sampler: run it
    /// as it would be if the unit lacked CAP_SYS_NICE (`scripts/bench-jitter`
    /// measures both). session.toml's `sampler_fifo` says what it got.
    #[arg(long)]
    pub normal_priority: bool,
}

fn parse_size(s: &str) -> anyhow::Result<(u32, u32)> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .with_context(|| format!("--size {s}: use WIDTHxHEIGHT, e.g. 640x480"))?;
    let parse = |v: &str| -> anyhow::Result<u32> {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| *v >= 2 && *v <= 4096 && v % 2 == 0)
            .with_context(|| format!("--size {s}: width and height must be even numbers 2..=4096"))
    };
    Ok((parse(w)?, parse(h)?))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (mut cfg, path) = crate::config::load_for_command(args.config.as_deref())?;
    match &path {
        Some(p) => eprintln!("config: {}", p.display()),
        None => eprintln!(
            "config: built-in defaults (no {})",
            crate::config::installed_config().display()
        ),
    }
    if let Some(fps) = args.fps {
        cfg.camera.fps = fps;
    }
    if let Some(size) = &args.size {
        (cfg.camera.width, cfg.camera.height) = parse_size(size)?;
    }
    let sessions_dir = appliance::sessions_dir(args.sessions.as_deref(), &cfg);

    let shutdown = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, shutdown.clone())
            .context("cannot install the signal handler")?;
    }

    if !args.simulate {
        return run_real(&args, cfg, sessions_dir, shutdown);
    }

    let (samples, trace_name) = match &args.trace {
        Some(path) => {
            let path = super::trace_in(path)?;
            (
                TraceReader::open(&path)?.collect::<Result<Vec<Sample>, _>>()?,
                path.display().to_string(),
            )
        }
        None => (
            TraceReader::from_reader("bundled demo trace", DEMO_TRACE.as_bytes())?
                .collect::<Result<Vec<Sample>, _>>()?,
            "bundled demo trace".to_string(),
        ),
    };
    // Replay the trace at its own rate: one read per recorded sample.
    let period = TraceEmg::median_period_ms(&samples)
        .with_context(|| format!("{trace_name}: needs at least two samples"))?;
    if let Some(rate) = cfg.adc.replay_at(period) {
        log::info!(
            "{trace_name}: {:.0} Hz, so adc.data_rate_sps is {rate} for this simulation",
            cfg.adc.sample_rate_hz
        );
    }
    cfg.validate()?;
    let emg = TraceEmg::new(samples, period);
    let trace_end = emg.end_ms();
    let camera = SimCamera::new(
        cfg.camera.width,
        cfg.camera.height,
        cfg.camera.fps,
        args.camera_raw,
    );
    let presses = match &args.presses {
        Some(p) => parse_presses(p).map_err(|e| anyhow::anyhow!("--presses: {e}"))?,
        None => Vec::new(),
    };
    let start_at_once = args.presses.is_none();
    let low_battery = match &args.low_battery {
        Some(l) => parse_low_battery(l).map_err(|e| anyhow::anyhow!("--low-battery: {e}"))?,
        None => Vec::new(),
    };
    let led = LoggedLed::new();
    let led_log = led.log();
    let devices = Devices {
        emg: Box::new(emg),
        camera: Box::new(camera),
        led: Box::new(led),
        button: Box::new(ScriptedButton::new(presses)),
        power: Box::new(ScriptedPower::new(low_battery)),
    };
    let devices_info = DevicesInfo {
        emg: format!("simulated: replays {trace_name}"),
        camera: format!(
            "simulated: synthetic {} frames with time stamps",
            if args.camera_raw { "YUYV" } else { "JPEG" }
        ),
        camera_mode: String::new(),
        led: "simulated: log".into(),
        button: match &args.presses {
            Some(p) => format!("simulated: presses at {p} s"),
            None => "simulated: session from the start".into(),
        },
        power: match &args.low_battery {
            Some(l) => format!("simulated: battery warns at {l} s"),
            None => "simulated: battery never low".into(),
        },
    };
    let (clock, mode): (Arc<dyn Clock>, Mode) = if args.realtime {
        (Arc::new(MonotonicClock::new()), Mode::Threaded)
    } else {
        (Arc::new(VirtualClock::new()), Mode::Virtual)
    };
    let opts = RunOptions {
        sessions_dir: sessions_dir.clone(),
        // A virtual clock is a laptop simulation: no power cut to survive,
        // so no fsync (which would dominate its run time). Real time syncs.
        storage: if args.realtime {
            Arc::new(DiskStorage) as Arc<dyn Storage>
        } else {
            Arc::new(UnsyncedDiskStorage)
        },
        mode,
        start_at_once,
        stop_after_ms: args.duration.map(|s| s * 1000.0),
        devices_info,
        realtime_priority: !args.normal_priority,
    };
    log::info!(
        "simulating {:.1} s of {trace_name} into {}",
        trace_end / 1000.0,
        sessions_dir.display()
    );
    let started = std::time::Instant::now();
    let summary = appliance::run(devices, clock, &cfg, opts, shutdown)?;
    report(&summary, started.elapsed().as_secs_f64(), args.realtime);
    if summary.power_off {
        log::info!("the glasses would power off now (a simulation never does)");
    }
    log::debug!(
        "LED changes: {}",
        led_log.lock().map(|l| l.len()).unwrap_or(0)
    );
    Ok(())
}

/// One line per session on stderr, its folder on stdout. `timed`: the
/// sampler ran on a real clock (on the virtual one its jitter is 0 by
/// construction, and not worth a figure).
fn report(summary: &appliance::Summary, wall: f64, timed: bool) {
    for (dir, info) in &summary.sessions {
        let s = &info.stats;
        let jitter = if timed {
            format!(", jitter p99 {:.2} ms", s.jitter_p99_ms)
        } else {
            String::new()
        };
        let n = |count: u64, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        eprintln!(
            "{}: {:.1} s, {} in {}, {} frames kept of {} ({} dropped){jitter}",
            dir.display(),
            info.duration_ms / 1000.0,
            n(s.blinks, "blink", "blinks"),
            n(s.clips, "clip", "clips"),
            s.frames_kept,
            s.frames_captured,
            s.frames_dropped_queue + s.frames_dropped_disk,
        );
        // A reader gone from stdout (`| head -1`) must not cut the report
        // short: the sessions are on disk whatever happens to the pipe.
        let _ = writeln!(std::io::stdout().lock(), "{}", dir.display());
    }
    let total: f64 = summary.sessions.iter().map(|(_, i)| i.duration_ms).sum();
    if wall > 0.0 && total > 0.0 {
        log::info!(
            "{:.1} s of sessions in {wall:.2} s ({:.0}x real time)",
            total / 1000.0,
            total / 1000.0 / wall
        );
    }
}

/// `run` without `--simulate`: the ADC, camera, button and LED of the config.
#[cfg(feature = "hw")]
fn run_real(
    args: &Args,
    cfg: Config,
    sessions_dir: PathBuf,
    shutdown: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    use crate::devices::hw::{open_devices, GpioChoice};
    cfg.validate()?;
    cfg.adc.validate()?;
    cfg.gpio.validate()?;
    cfg.camera.validate()?;
    let clock = Arc::new(MonotonicClock::new());
    let gpio = if args.sim_gpio {
        GpioChoice::Simulated
    } else {
        GpioChoice::Real
    };
    let (devices, devices_info) = open_devices(&cfg, clock.epoch_ns(), gpio)
        .context("opening the devices (`augenblick check` tests each one)")?;
    let opts = RunOptions {
        sessions_dir: sessions_dir.clone(),
        storage: Arc::new(DiskStorage),
        mode: Mode::Threaded,
        // Without a real button nothing could start a session.
        start_at_once: args.sim_gpio,
        stop_after_ms: args.duration.map(|s| s * 1000.0),
        devices_info,
        realtime_priority: !args.normal_priority,
    };
    log::info!("running on real devices into {}", sessions_dir.display());
    let started = std::time::Instant::now();
    let summary = appliance::run(devices, clock, &cfg, opts, shutdown)?;
    report(&summary, started.elapsed().as_secs_f64(), true);
    if summary.power_off {
        if args.sim_gpio {
            log::info!("a power-off was asked for; not with --sim-gpio");
        } else {
            power_off()?;
        }
    }
    Ok(())
}

/// Powers the Pi off (every session is closed by now) through logind; the
/// service's user may, by the polkit rule `scripts/install` puts in
/// /etc/polkit-1/rules.d/50-augenblick.rules.
#[cfg(feature = "hw")]
fn power_off() -> anyhow::Result<()> {
    log::warn!("powering off");
    let status = std::process::Command::new("systemctl")
        .arg("poweroff")
        .status()
        .context("cannot run `systemctl poweroff`")?;
    anyhow::ensure!(
        status.success(),
        "`systemctl poweroff` failed ({status}): is /etc/polkit-1/rules.d/50-augenblick.rules \
         installed (scripts/install)? Every session is closed: unplugging is safe."
    );
    Ok(())
}

#[cfg(not(feature = "hw"))]
fn run_real(
    _args: &Args,
    _cfg: Config,
    _sessions_dir: PathBuf,
    _shutdown: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no device support (feature `hw`): rebuild with default features, \
         or use `augenblick run --simulate`"
    )
}

//! Helpers shared by the appliance and session tests: labelled traces, a
//! simulated run through the library, and readers for a session folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use augenblick::appliance::{self, Mode, RunOptions, Summary};
use augenblick::clock::{Clock, MonotonicClock, VirtualClock};
use augenblick::config::Config;
use augenblick::devices::sim::{
    LedLog, LoggedLed, LowSpan, ScriptedButton, ScriptedPower, ScriptedPress, SimCamera, TraceEmg,
};
use augenblick::devices::Devices;
use augenblick::session::storage::{Storage, UnsyncedDiskStorage};
use augenblick::session::writer::DevicesInfo;
use augenblick::trace::{Label, Sample};
use rand::{Rng, SeedableRng};

/// A labelled trace: calm blinking with the physiology the appliance must
/// respect (the burst can start a little after the lid moves and ends
/// before the eye reopens, because reopening is passive), some long
/// closures, double blinks, baseline drift, noise and timing jitter.
pub fn labelled_trace(seed: u64, seconds: f64, rate_hz: f64) -> (Vec<Sample>, Vec<Label>) {
    labelled_trace_with_gaps(seed, seconds, rate_hz, 1500.0..5000.0)
}

/// [`labelled_trace`] with open-eye gaps drawn from `gaps` (ms).
pub fn labelled_trace_with_gaps(
    seed: u64,
    seconds: f64,
    rate_hz: f64,
    gaps: std::ops::Range<f64>,
) -> (Vec<Sample>, Vec<Label>) {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let dur = seconds * 1000.0;
    let mut labels = Vec::new();
    let mut bursts = Vec::new();
    // Calm traces give the detector a few seconds to calibrate; dense ones
    // (short gaps, for kill tests) start blinking at once.
    let mut t = if gaps.start < 1000.0 { 600.0 } else { 3500.0 } + rng.random_range(0.0..1500.0);
    while t < dur - 3000.0 {
        let long = rng.random_bool(0.08);
        let cd = if long {
            rng.random_range(800.0..3000.0)
        } else {
            rng.random_range(120.0..380.0)
        };
        labels.push(Label {
            onset_ms: t,
            offset_ms: t + cd,
        });
        let bs = t + rng.random_range(-20.0..30.0);
        let be = (t + cd - rng.random_range(30.0..90.0)).max(bs + 60.0);
        bursts.push((bs, be, rng.random_range(350.0..900.0)));
        let gap = if rng.random_bool(0.1) {
            rng.random_range(150.0..400.0) // a double blink
        } else {
            rng.random_range(gaps.clone())
        };
        t += cd + gap;
    }
    let n = (dur / 1000.0 * rate_hz) as usize;
    let mut samples = Vec::with_capacity(n);
    let mut last = -1.0;
    for i in 0..n {
        let tm = (i as f64 * 1000.0 / rate_hz + rng.random_range(0.0..1.5)).max(last);
        last = tm;
        let mut x = 3000.0 + 50.0 * (tm / 11000.0).sin() + rng.random_range(-25.0..25.0);
        for &(bs, be, amp) in &bursts {
            if tm >= bs && tm <= be {
                x += amp * burst_shape(tm, bs, be);
            }
        }
        samples.push(Sample {
            t_ms: tm.round(),
            emg: x.round() as i32,
        });
    }
    (samples, labels)
}

/// The height (0 to 1) at `tm` of a burst from `bs` to `be`, as in
/// [`labelled_trace`]. A blink's burst rises over its first 30 % and falls
/// over its last 15 %. A deliberate closure (a burst over 600 ms) is
/// shaped as both sensor models and the physiology have it: a closing
/// burst like a blink's, then a lower tonic squeeze, which relaxes before
/// the lid reopens. (A burst that instead climbs for half a second or more
/// is how a smile rises; the detector films only the blinks on it, see
/// `SMILE_FAST_SHARE`.)
pub fn burst_shape(tm: f64, bs: f64, be: f64) -> f64 {
    let ph = (tm - bs) / (be - bs);
    if be - bs <= 600.0 {
        return if ph < 0.3 {
            (ph / 0.3).sqrt()
        } else if ph < 0.85 {
            1.0 - 0.3 * (ph - 0.3)
        } else {
            (1.0 - ph) / 0.15 * 0.85
        };
    }
    let since = tm - bs;
    let held = if since < 60.0 {
        (since / 60.0).sqrt()
    } else if since < 250.0 {
        1.0 - 0.3 * (since - 60.0) / 190.0
    } else {
        0.7 - 0.1 * ph
    };
    if ph > 0.85 {
        held * (1.0 - ph) / 0.15
    } else {
        held
    }
}

/// A simulated run's knobs.
pub struct Sim {
    pub samples: Vec<Sample>,
    pub config: Config,
    pub sessions: PathBuf,
    pub presses: Option<Vec<ScriptedPress>>,
    pub camera: SimCamera,
    pub storage: Arc<dyn Storage>,
    pub realtime: bool,
    pub stop_after_ms: Option<f64>,
    /// Called with the time at every sample tick: the world changing on the
    /// session clock (a test frees disk space at a given moment).
    pub on_time: Option<Box<dyn FnMut(f64) + Send>>,
    /// When the simulated battery warns.
    pub low_battery: Vec<LowSpan>,
}

/// The scripted button, with the test's world hook run at each read.
struct HookedButton {
    inner: ScriptedButton,
    hook: Box<dyn FnMut(f64) + Send>,
}

impl augenblick::devices::Button for HookedButton {
    fn is_pressed(&mut self, t_ms: f64) -> Result<bool, augenblick::devices::DeviceError> {
        (self.hook)(t_ms);
        augenblick::devices::Button::is_pressed(&mut self.inner, t_ms)
    }
}

impl Sim {
    pub fn new(samples: Vec<Sample>, sessions: &Path) -> Sim {
        let config = Config::default();
        Sim {
            samples,
            camera: SimCamera::new(320, 240, 30.0, false),
            config,
            sessions: sessions.to_path_buf(),
            presses: None,
            storage: Arc::new(UnsyncedDiskStorage),
            realtime: false,
            stop_after_ms: None,
            on_time: None,
            low_battery: Vec::new(),
        }
    }

    /// Runs the appliance; returns its summary and the LED log.
    pub fn run(self) -> (Summary, LedLog) {
        let period = TraceEmg::median_period_ms(&self.samples).unwrap();
        let mut config = self.config;
        config.adc.replay_at(period);
        config.validate().unwrap();
        let led = LoggedLed::new();
        let log = led.log();
        let devices = Devices {
            emg: Box::new(TraceEmg::new(self.samples, period)),
            camera: Box::new(self.camera),
            led: Box::new(led),
            button: {
                let inner = ScriptedButton::new(self.presses.clone().unwrap_or_default());
                match self.on_time {
                    Some(hook) => Box::new(HookedButton { inner, hook }),
                    None => Box::new(inner),
                }
            },
            power: Box::new(ScriptedPower::new(self.low_battery.clone())),
        };
        let (clock, mode): (Arc<dyn Clock>, Mode) = if self.realtime {
            (Arc::new(MonotonicClock::new()), Mode::Threaded)
        } else {
            (Arc::new(VirtualClock::new()), Mode::Virtual)
        };
        let opts = RunOptions {
            sessions_dir: self.sessions,
            storage: self.storage,
            mode,
            start_at_once: self.presses.is_none(),
            stop_after_ms: self.stop_after_ms,
            devices_info: DevicesInfo::default(),
            realtime_priority: true,
        };
        let summary = appliance::run(
            devices,
            clock,
            &config,
            opts,
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        (summary, log)
    }
}

/// A row of blinks.csv.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlinkRow {
    pub onset_ms: f64,
    pub offset_ms: f64,
    pub detected_ms: f64,
    pub clip: u32,
    pub frames: usize,
}

/// A row of frames.csv.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameRow {
    pub t_ms: f64,
    pub clip: u32,
    pub index: usize,
}

fn rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let body = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, body)
}

pub fn blinks(dir: &Path) -> Vec<BlinkRow> {
    let (header, body) = rows(&dir.join("blinks.csv"));
    assert_eq!(
        &header[..5],
        &["onset_ms", "offset_ms", "detected_ms", "clip", "frames"]
    );
    body.iter()
        .map(|r| BlinkRow {
            onset_ms: r[0].parse().unwrap(),
            offset_ms: r[1].parse().unwrap(),
            detected_ms: r[2].parse().unwrap(),
            clip: r[3].parse().unwrap(),
            frames: r[4].parse().unwrap(),
        })
        .collect()
}

pub fn frames(dir: &Path) -> Vec<FrameRow> {
    let (header, body) = rows(&dir.join("frames.csv"));
    assert_eq!(header, ["t_ms", "clip", "index"]);
    body.iter()
        .map(|r| FrameRow {
            t_ms: r[0].parse().unwrap(),
            clip: r[1].parse().unwrap(),
            index: r[2].parse().unwrap(),
        })
        .collect()
}

/// The JPEG frames of clip `n`.
pub fn clip_frames(dir: &Path, n: u32) -> Vec<Vec<u8>> {
    let path = dir
        .join("clips")
        .join(augenblick::session::clip_file_name(n));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (ranges, tail) = augenblick::session::mjpeg::split(&data);
    assert_eq!(
        tail,
        augenblick::session::mjpeg::Tail::Clean,
        "{}",
        path.display()
    );
    ranges.into_iter().map(|r| data[r].to_vec()).collect()
}

/// The capture time stamped into a JPEG frame.
pub fn stamp_of(jpeg: &[u8]) -> Option<u32> {
    let img = image::load_from_memory(jpeg).ok()?.to_luma8();
    let (w, h) = img.dimensions();
    augenblick::stamp::read_luma(img.as_raw(), w, h, w as usize)
}

/// The session folders under `sessions`, in name order.
pub fn session_dirs(sessions: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(sessions)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Share of eye-closed time that has a kept frame showing it, and share of
/// kept frames from open-eye time beyond `margin_ms` of any closure.
pub fn coverage(
    labels: &[Label],
    frame_times: &[f64],
    frame_period_ms: f64,
    margin_ms: f64,
) -> (f64, f64) {
    let mut fs = frame_times.to_vec();
    fs.sort_by(f64::total_cmp);
    let (mut closed, mut covered) = (0u64, 0u64);
    for l in labels {
        let mut t = l.onset_ms;
        while t < l.offset_ms {
            closed += 1;
            // The instant is shown by the latest frame at or before it, if
            // that frame is no older than one frame period.
            let i = fs.partition_point(|&f| f <= t);
            if i > 0 && t - fs[i - 1] <= frame_period_ms * 1.2 {
                covered += 1;
            }
            t += 1.0;
        }
    }
    let open = fs
        .iter()
        .filter(|&&f| {
            !labels
                .iter()
                .any(|l| f >= l.onset_ms - margin_ms && f <= l.offset_ms + margin_ms)
        })
        .count();
    (
        covered as f64 / closed.max(1) as f64,
        open as f64 / fs.len().max(1) as f64,
    )
}

/// A trace and its labels from the project's synthetic sensor model
/// (`augenblick synth`), for scenario `name`.
pub fn synth_trace(name: &str, seed: u64, minutes: f64) -> (Vec<Sample>, Vec<Label>) {
    use augenblick::synth::{self, SynthOptions};
    let dir = tempfile::tempdir().unwrap();
    let mut opts = SynthOptions::new(name.parse().unwrap(), seed);
    opts.minutes = minutes;
    synth::write(&opts, dir.path()).unwrap();
    (
        augenblick::trace::read_trace(dir.path().join("trace.csv")).unwrap(),
        augenblick::trace::read_labels(dir.path().join("labels.csv")).unwrap(),
    )
}

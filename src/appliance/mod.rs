//! The running appliance: sampler, camera, recorder and writer.
//!
//! [`run`] takes its devices, its clock, a validated config and a shutdown
//! flag (so tests hand in their own), and runs sessions until told to stop:
//!
//! ```text
//!  sampler (ADC on absolute deadlines) --samples--> detector --events--+
//!  camera --frames--> PreRoll ring --------------------------------> Recorder --actions--> SessionWriter
//!  button --> Debouncer --presses--> session start/stop, shutdown       |
//!  battery warning --> PowerWatch --low--> session end, power-off       |
//!                                       LED <-- patterns ---------------+
//! ```
//!
//! Two drivers share every decision (the pure parts: [`recorder`],
//! [`preroll`], [`led`], [`crate::button`], the detector):
//!
//! - [`Mode::Virtual`]: one thread steps through time in order (each sample
//!   tick: button, then the frames captured up to it, then the sample) on a
//!   clock that jumps, writing in order on that thread; kept frames are
//!   compressed ahead on the other cores ([`ahead`]), which changes no byte.
//!   Same inputs, same session, byte for byte (apart from `started_at` and
//!   the folder name).
//! - [`Mode::Threaded`] (real devices, `--realtime`): the sampler thread reads
//!   the ADC on absolute deadlines and the camera thread pulls frames; both
//!   hand over with `try_send` on bounded channels, so neither ever waits for
//!   the other or for the disk (drops are counted). The writer thread
//!   encodes raw frames and writes; kept frames go to it with `try_send` too.

pub mod ahead;
pub mod jitter;
pub mod led;
pub mod power;
pub mod preroll;
pub mod recorder;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use crate::button::{Debouncer, Press};
use crate::clock::Clock;
use crate::config::Config;
use crate::detector::{BlinkDetector, Event};
use crate::devices::{DeviceError, Devices, Frame, Led, Power};
use crate::session::repair::{self, Repaired};
use crate::session::storage::Storage;
use crate::session::writer::{
    CreateError, DevicesInfo, SessionInfo, SessionStats, SessionWriter, WriterCmd,
};
use jitter::JitterStats;
use led::LedInputs;
use power::PowerWatch;
use recorder::{Action, Recorder, RecorderConfig};

/// Frames held back until the samples reach their capture time: about a
/// second at 25-30 fps; past it the oldest is dropped (and counted).
const MAX_FRAMES_AHEAD_OF_SAMPLES: usize = 32;

/// How the appliance is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One thread, in time order, on a virtual clock: deterministic.
    Virtual,
    /// Sampler, camera, main and writer threads (real time).
    Threaded,
}

/// A flag that asks the appliance to stop (SIGINT/SIGTERM set it).
pub type Shutdown = Arc<AtomicBool>;

/// How to run, besides devices, clock and config.
pub struct RunOptions {
    /// Where session folders go.
    pub sessions_dir: PathBuf,
    pub storage: Arc<dyn Storage>,
    pub mode: Mode,
    /// Start a session at once, without waiting for a press.
    pub start_at_once: bool,
    /// End the session (and the run) after this much session time.
    pub stop_after_ms: Option<f64>,
    /// What the devices are, for `session.toml`.
    pub devices_info: DevicesInfo,
    /// Ask for SCHED_FIFO for the sampler thread (threaded mode). Off, the
    /// sampler runs as it would if the unit lacked CAP_SYS_NICE (to measure that).
    pub realtime_priority: bool,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Sessions found interrupted and repaired at start.
    pub repaired: Vec<Repaired>,
    /// Sessions found interrupted that could not be repaired (each left as
    /// it was, with why); the run records all the same.
    pub not_repaired: Vec<(PathBuf, std::io::Error)>,
    /// The sessions recorded, in order.
    pub sessions: Vec<(PathBuf, SessionInfo)>,
    /// The run ended asking for the machine to be powered off (a long
    /// press with `button.long_press_powers_off`, a low battery with
    /// `power.poweroff_when_low`): every session is closed by then. The
    /// caller decides (the glasses do; a simulation does not).
    pub power_off: bool,
}

/// Why the appliance could not run.
#[derive(Debug, thiserror::Error)]
pub enum ApplianceError {
    #[error(transparent)]
    Session(#[from] CreateError),
    #[error("{path}: cannot repair interrupted sessions: {source}")]
    Repair {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot finish the session: {source}")]
    Finish {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Detector(#[from] crate::detector::ConfigError),
    #[error("a thread of the appliance panicked")]
    Thread,
}

/// Runs the appliance until the shutdown flag, a long press, the end of the
/// input (simulation) or `stop_after_ms`. See the module docs.
pub fn run(
    devices: Devices,
    clock: Arc<dyn Clock>,
    config: &Config,
    opts: RunOptions,
    shutdown: Shutdown,
) -> Result<Summary, ApplianceError> {
    let repair::Repairs { repaired, failed } =
        repair::repair_all(&opts.sessions_dir).map_err(|source| ApplianceError::Repair {
            path: opts.sessions_dir.clone(),
            source,
        })?;
    for (dir, e) in &failed {
        // Left as it is for a laptop to look at; this session records.
        log::error!(
            "{}: was interrupted and cannot be repaired ({e}); left as it is",
            dir.display()
        );
    }
    for r in &repaired {
        log::warn!(
            "{}: was interrupted; repaired ({} bytes of torn tails cut{})",
            r.dir.display(),
            r.bytes_cut,
            if r.files_cut.is_empty() {
                String::new()
            } else {
                format!(" from {}", r.files_cut.join(", "))
            },
        );
        if !r.headers_written.is_empty() {
            log::warn!(
                "{}: the power went as it began; {} had no header and now hold one",
                r.dir.display(),
                r.headers_written.join(", ")
            );
        }
    }
    let Devices {
        mut emg,
        mut camera,
        led,
        mut button,
        mut power,
    } = devices;
    let mut info = opts.devices_info.clone();
    let mode = camera.mode();
    info.camera_mode = format!(
        "{}x{} @ {} fps, {}",
        mode.width,
        mode.height,
        mode.fps,
        mode.raw.map_or("MJPEG".to_string(), |f| f.to_string())
    );
    let mut app = Appliance::new(config, &opts, info, led, clock.clone())?;
    app.summary.repaired = repaired;
    app.summary.not_repaired = failed;
    app.latest_end_unix_ms = crate::session::read::latest_end_unix_ms(&opts.sessions_dir);
    let period = 1000.0 / config.adc.sample_rate_hz;
    if let Some(text) = crate::detector::slow_rate_warning(period) {
        log::warn!("adc.sample_rate_hz = {}: {text}", config.adc.sample_rate_hz);
    }

    match opts.mode {
        Mode::Virtual => {
            if opts.start_at_once {
                app.start_session(0.0)?;
            }
            let mut k: u64 = 0;
            loop {
                let t = k as f64 * period;
                clock.sleep_until(t);
                if shutdown.load(Ordering::Relaxed) {
                    break;
                }
                match button.is_pressed(t) {
                    Ok(level) => app.on_button(t, level)?,
                    Err(e) => log::debug!("{e}"),
                }
                if app.quit {
                    break;
                }
                app.poll_power(t, power.as_mut())?;
                // Frames captured up to this tick, then the sample: time order.
                for _ in 0..10_000 {
                    match camera.next_frame(t) {
                        Ok(Some(f)) => app.on_frame(f),
                        Ok(None) => break,
                        Err(e) => app.on_camera_error(t, &e),
                    }
                }
                match emg.read(t) {
                    Ok(v) => app.on_sample(t, v, 0.0),
                    Err(DeviceError::EndOfInput { .. }) => break,
                    Err(e) => app.on_adc_error(t, &e),
                }
                app.on_tick(t)?;
                if app.quit {
                    break;
                }
                k += 1;
            }
            let t = k as f64 * period;
            app.end_session(t)?;
        }
        Mode::Threaded => run_threaded(
            &mut app,
            emg,
            camera,
            button,
            power.as_mut(),
            clock,
            period,
            &opts,
            &shutdown,
        )?,
    }
    Ok(app.summary)
}

/// What the sampler and camera threads hand to the main thread.
enum Msg {
    Sample {
        t_ms: f64,
        emg: Result<i32, DeviceError>,
        late_ms: f64,
        button: Option<bool>,
    },
    Frame(Frame),
    CameraError {
        t_ms: f64,
        error: DeviceError,
    },
}

#[allow(clippy::too_many_arguments)]
fn run_threaded(
    app: &mut Appliance,
    mut emg: Box<dyn crate::devices::EmgSource>,
    mut camera: Box<dyn crate::devices::Camera>,
    mut button: Box<dyn crate::devices::Button>,
    power: &mut dyn Power,
    clock: Arc<dyn Clock>,
    period: f64,
    opts: &RunOptions,
    shutdown: &Shutdown,
) -> Result<(), ApplianceError> {
    // Threads stop on this; the caller's flag stays theirs.
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx): (Sender<Msg>, Receiver<Msg>) = bounded(256);
    let (frame_tx, frame_rx): (Sender<Msg>, Receiver<Msg>) = bounded(16);
    let dropped_samples = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let dropped_frames = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let fifo = Arc::new(AtomicBool::new(false));

    let sampler = {
        let (stop, clock, tx, dropped, fifo) = (
            stop.clone(),
            clock.clone(),
            tx.clone(),
            dropped_samples.clone(),
            fifo.clone(),
        );
        let want_fifo = opts.realtime_priority;
        thread::Builder::new()
            .name("sampler".into())
            .spawn(move || {
                if want_fifo {
                    fifo.store(raise_priority(), Ordering::Relaxed);
                } else {
                    log::info!("sampler at normal priority (asked not to use SCHED_FIFO)");
                }
                let start = clock.now_ms();
                let mut k: u64 = 0;
                while !stop.load(Ordering::Relaxed) {
                    let deadline = start + k as f64 * period;
                    // Absolute deadlines: a late wake-up never shifts the next one.
                    clock.sleep_until(deadline);
                    let now = clock.now_ms();
                    let reading = emg.read(now);
                    let level = button.is_pressed(now).ok();
                    let end = matches!(reading, Err(DeviceError::EndOfInput { .. }));
                    let msg = Msg::Sample {
                        t_ms: now,
                        emg: reading,
                        late_ms: now - deadline,
                        button: level,
                    };
                    if let Err(TrySendError::Full(_)) = tx.try_send(msg) {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    if end {
                        break;
                    }
                    k += 1;
                    // Skip deadlines missed entirely (after a suspend), counting nothing twice.
                    let behind = ((clock.now_ms() - start) / period).floor() as u64;
                    if behind > k + 1 {
                        k = behind;
                    }
                }
            })
            .map_err(|_| ApplianceError::Thread)?
    };
    let cam = {
        let (stop, clock, tx, dropped) = (
            stop.clone(),
            clock.clone(),
            frame_tx,
            dropped_frames.clone(),
        );
        thread::Builder::new()
            .name("camera".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let now = clock.now_ms();
                    let msg = match camera.next_frame(now) {
                        Ok(Some(f)) => Msg::Frame(f),
                        Ok(None) => {
                            thread::sleep(Duration::from_millis(2));
                            continue;
                        }
                        Err(error) => {
                            thread::sleep(Duration::from_millis(20));
                            Msg::CameraError { t_ms: now, error }
                        }
                    };
                    if let Err(TrySendError::Full(_)) = tx.try_send(msg) {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .map_err(|_| ApplianceError::Thread)?
    };
    drop(tx);

    let result = (|| -> Result<(), ApplianceError> {
        if opts.start_at_once {
            app.start_session(clock.now_ms())?;
        }
        let mut sampler_done = false;
        // Frames wait here until the samples up to their capture time have
        // been through the detector: a busy loop drains the (bounded) frame
        // queue faster than the sample queue, and a frame handed to the
        // recorder ahead of the sample that ends a closure would be kept in
        // that closure's clip (seen in the VM test: frames seconds after the
        // closure's offset). Bounded: past it the oldest frame is dropped
        // and counted.
        let mut waiting: VecDeque<Frame> = VecDeque::new();
        while !shutdown.load(Ordering::Relaxed) && !app.quit && !sampler_done {
            crossbeam_channel::select! {
                recv(rx) -> msg => match msg {
                    Ok(Msg::Sample { t_ms, emg, late_ms, button }) => {
                        if let Some(level) = button {
                            app.on_button(t_ms, level)?;
                        }
                        match emg {
                            Ok(v) => app.on_sample(t_ms, v, late_ms),
                            Err(DeviceError::EndOfInput { .. }) => sampler_done = true,
                            Err(e) => app.on_adc_error(t_ms, &e),
                        }
                        app.stats.samples_dropped = dropped_samples.load(Ordering::Relaxed);
                        app.stats.sampler_fifo = fifo.load(Ordering::Relaxed);
                        app.on_tick(t_ms)?;
                        while waiting.front().is_some_and(|f| f.t_ms <= t_ms) {
                            if let Some(f) = waiting.pop_front() {
                                app.on_frame(f);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => sampler_done = true,
                },
                recv(frame_rx) -> msg => match msg {
                    Ok(Msg::Frame(f)) => {
                        waiting.push_back(f);
                        if waiting.len() > MAX_FRAMES_AHEAD_OF_SAMPLES {
                            waiting.pop_front();
                            app.queue_drops += 1;
                        }
                    }
                    Ok(Msg::CameraError { t_ms, error }) => app.on_camera_error(t_ms, &error),
                    _ => {}
                },
                default(Duration::from_millis(10)) => {}
            }
            app.stats.frames_dropped_queue =
                app.queue_drops + dropped_frames.load(Ordering::Relaxed);
            // Off the sampler's thread: a sysfs read or a GPIO level.
            let now = clock.now_ms();
            app.poll_power(now, power)?;
            app.update_led(now);
        }
        // Frames captured so far still count: take what is queued.
        for f in waiting {
            app.on_frame(f);
        }
        while let Ok(msg) = frame_rx.try_recv() {
            if let Msg::Frame(f) = msg {
                app.on_frame(f);
            }
        }
        app.end_session(clock.now_ms())
    })();
    stop.store(true, Ordering::Relaxed);
    let a = sampler.join();
    let b = cam.join();
    result?;
    if a.is_err() || b.is_err() {
        return Err(ApplianceError::Thread);
    }
    Ok(())
}

/// Puts the calling thread (the sampler) in the real-time FIFO class, so a
/// busy core cannot delay its wake-ups. Needs CAP_SYS_NICE or an RLIMIT_RTPRIO
/// (the systemd unit grants one); without it the sampler runs at normal
/// priority, still on absolute deadlines. True if granted.
fn raise_priority() -> bool {
    let param = libc::sched_param { sched_priority: 20 };
    // SAFETY: pthread_self() is the calling thread; `param` is a valid sched_param.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if rc != 0 {
        log::debug!("sampler stays at normal priority (SCHED_FIFO refused: error {rc})");
    }
    rc == 0
}

/// Where the writer runs.
enum Sink {
    /// In the caller's thread (virtual mode: deterministic), kept frames
    /// compressed ahead on other cores if there are any.
    Direct(Box<SessionWriter>, Option<ahead::Ahead>),
    /// On its own thread behind a bounded queue.
    Thread {
        tx: Sender<WriterCmd>,
        full: Arc<AtomicBool>,
        handle: thread::JoinHandle<Box<SessionWriter>>,
    },
}

/// One session in progress.
struct Active {
    /// Clock time at which the session started (session time 0).
    start_ms: f64,
    dir: PathBuf,
    detector: BlinkDetector,
    recorder: Recorder,
    sink: Sink,
    jitter: JitterStats,
    last_sample_ms: f64,
    last_frame_ms: f64,
    last_tick_ms: f64,
    pad_off: bool,
    activity: bool,
    /// The detector's blinks reach one top: the envelope is clipped (see
    /// [`crate::detector::Placement::clipped_at`]).
    clipped: bool,
    paused: bool,
    /// The wall-clock start written to `session.toml`, in Unix ms.
    started_unix_ms: i64,
}

/// The appliance's state between and during sessions.
struct Appliance {
    cfg: Config,
    sessions_dir: PathBuf,
    storage: Arc<dyn Storage>,
    mode: Mode,
    stop_after_ms: Option<f64>,
    devices_info: DevicesInfo,
    led: Box<dyn Led>,
    led_on: Option<bool>,
    clock: Arc<dyn Clock>,
    debouncer: Debouncer,
    active: Option<Active>,
    stats: SessionStats,
    queue_drops: u64,
    actions: Vec<Action>,
    quit: bool,
    summary: Summary,
    power: PowerWatch,
    /// Clock time of the next look at the battery's warning.
    next_power_ms: f64,
    /// When the latest session in the sessions folder ended (Unix ms).
    latest_end_unix_ms: Option<i64>,
}

impl Appliance {
    fn new(
        cfg: &Config,
        opts: &RunOptions,
        devices_info: DevicesInfo,
        led: Box<dyn Led>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ApplianceError> {
        BlinkDetector::new(cfg.detector.clone())?;
        Ok(Appliance {
            cfg: cfg.clone(),
            sessions_dir: opts.sessions_dir.clone(),
            storage: opts.storage.clone(),
            mode: opts.mode,
            stop_after_ms: opts.stop_after_ms,
            devices_info,
            led,
            led_on: None,
            clock,
            debouncer: Debouncer::new(cfg.button.debounce_ms, cfg.button.long_press_ms),
            active: None,
            stats: SessionStats::default(),
            queue_drops: 0,
            actions: Vec::new(),
            quit: false,
            summary: Summary::default(),
            power: PowerWatch::new(cfg.power.low_ms, cfg.power.recover_ms),
            next_power_ms: f64::NEG_INFINITY,
            latest_end_unix_ms: None,
        })
    }

    fn start_session(&mut self, t_ms: f64) -> Result<(), ApplianceError> {
        let mut now = time::OffsetDateTime::now_utc();
        let mut clock_behind_ms = 0.0;
        // On the glasses (real time), a clock behind the last session's end
        // would date this one before it: set it just after instead. A
        // simulation's sessions last virtual time, so its wall clock is
        // nominal and left alone.
        if self.mode == Mode::Threaded {
            let now_ms = unix_ms(now);
            let (start_ms, behind) = dated_after(now_ms, self.latest_end_unix_ms);
            if let Some(behind) = behind {
                log::warn!(
                    "the clock reads {:.1} s before the last session's end (no real-time clock or time sync?): this session is dated just after it",
                    behind as f64 / 1000.0
                );
                clock_behind_ms = behind as f64;
                now = time::OffsetDateTime::from_unix_timestamp_nanos(
                    i128::from(start_ms) * 1_000_000,
                )
                .unwrap_or(now);
            }
        }
        let started_unix_ms = unix_ms(now);
        let started_at = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let folder = now
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]-[minute]-[second]"
            ))
            .unwrap_or_else(|_| "session".into());
        let info = SessionInfo {
            software: format!("augenblick {}", env!("CARGO_PKG_VERSION")),
            started_at,
            duration_ms: 0.0,
            interrupted: false,
            closed: false,
            clock_behind_ms,
            devices: self.devices_info.clone(),
            stats: SessionStats::default(),
            config: self.cfg.clone(),
        };
        let writer =
            SessionWriter::create(self.storage.clone(), &self.sessions_dir, &folder, info)?;
        let dir = writer.dir().to_path_buf();
        log::info!("session started: {}", dir.display());
        let sink = match self.mode {
            Mode::Virtual => {
                let workers = thread::available_parallelism().map_or(1, |n| n.get());
                // A worker a core (the simulation's thread mostly waits on
                // them while a pre-roll's frames are compressed); on a
                // single core a worker would only take turns with it.
                let ahead = ahead::Ahead::new(
                    if workers > 1 { workers } else { 0 },
                    self.cfg.recording.jpeg_quality,
                );
                Sink::Direct(Box::new(writer), ahead)
            }
            Mode::Threaded => {
                let (tx, rx) = bounded::<WriterCmd>(self.cfg.recording.writer_queue_frames);
                let full = Arc::new(AtomicBool::new(false));
                let flag = full.clone();
                let mut writer = Box::new(writer);
                let handle = thread::Builder::new()
                    .name("writer".into())
                    .spawn(move || {
                        for cmd in rx {
                            writer.apply(cmd);
                            flag.store(writer.disk_full(), Ordering::Relaxed);
                        }
                        writer
                    })
                    .map_err(|_| ApplianceError::Thread)?;
                Sink::Thread { tx, full, handle }
            }
        };
        self.stats = SessionStats::default();
        self.queue_drops = 0;
        self.active = Some(Active {
            start_ms: t_ms,
            dir,
            detector: BlinkDetector::new(self.cfg.detector.clone())?,
            recorder: Recorder::new(RecorderConfig::from(&self.cfg.recording)),
            sink,
            jitter: JitterStats::default(),
            last_sample_ms: 0.0,
            last_frame_ms: 0.0,
            last_tick_ms: 0.0,
            pad_off: false,
            activity: false,
            clipped: false,
            paused: false,
            started_unix_ms,
        });
        Ok(())
    }

    /// Sends one command to the writer; frames may be dropped (counted) in
    /// threaded mode, everything else waits for room.
    fn send(sink: &mut Sink, cmd: WriterCmd, queue_drops: &mut u64) {
        match sink {
            Sink::Direct(w, Some(ahead)) => ahead.send(w, cmd),
            Sink::Direct(w, None) => w.apply(cmd),
            Sink::Thread { tx, .. } => {
                if matches!(cmd, WriterCmd::Frame(_)) {
                    if let Err(TrySendError::Full(_)) = tx.try_send(cmd) {
                        *queue_drops += 1;
                    }
                } else {
                    let _ = tx.send(cmd);
                }
            }
        }
    }

    /// Turns the recorder's actions into writer commands (session times).
    fn flush_actions(&mut self) {
        let Some(a) = &mut self.active else { return };
        for action in self.actions.drain(..) {
            let t0 = a.start_ms;
            let session_time = |mut c: crate::detector::Closure| {
                c.onset_ms -= t0;
                c.offset_ms -= t0;
                c.detected_ms -= t0;
                c
            };
            let cmd = match action {
                Action::Open { clip } => WriterCmd::Open { clip },
                Action::Onset {
                    clip: _,
                    onset_ms,
                    detected_ms,
                } => WriterCmd::Onset {
                    onset_ms: onset_ms - t0,
                    detected_ms: detected_ms - t0,
                },
                Action::Keep { clip: _, mut frame } => {
                    frame.t_ms -= t0;
                    WriterCmd::Frame(frame)
                }
                Action::Confirm { clip: _, closure } => WriterCmd::Confirm(session_time(closure)),
                Action::Trim { clip: _, after_ms } => WriterCmd::Trim {
                    after_ms: after_ms - t0,
                },
                Action::Discard { clip } => WriterCmd::Discard { clip },
                Action::Close { clip, closures } => WriterCmd::Close {
                    clip,
                    closures: closures.into_iter().map(session_time).collect(),
                },
            };
            Self::send(&mut a.sink, cmd, &mut self.queue_drops);
        }
    }

    fn end_session(&mut self, t_ms: f64) -> Result<(), ApplianceError> {
        let Some(mut a) = self.active.take() else {
            return Ok(());
        };
        a.detector.finish();
        while let Some(e) = a.detector.poll() {
            a.recorder.on_event(&e, &mut self.actions);
        }
        a.recorder.finish(&mut self.actions);
        self.active = Some(a);
        self.flush_actions();
        let Some(a) = self.active.take() else {
            return Ok(());
        };
        let mut stats = self.stats.clone();
        Self::fill_stats(&mut stats, &a);
        stats.frames_dropped_queue = self.queue_drops.max(stats.frames_dropped_queue);
        let duration = (t_ms - a.start_ms).max(a.last_sample_ms);
        let writer = match a.sink {
            Sink::Direct(mut w, ahead) => {
                if let Some(mut ahead) = ahead {
                    ahead.flush(&mut w);
                }
                w
            }
            Sink::Thread { tx, handle, .. } => {
                drop(tx);
                handle.join().map_err(|_| ApplianceError::Thread)?
            }
        };
        let info = writer
            .finish(duration, stats)
            .map_err(|source| ApplianceError::Finish {
                path: a.dir.clone(),
                source,
            })?;
        let end = a.started_unix_ms + info.duration_ms.round() as i64;
        self.latest_end_unix_ms = Some(self.latest_end_unix_ms.map_or(end, |e| e.max(end)));
        log::info!(
            "session ended: {} ({} blinks in {} clips, {:.1} s)",
            a.dir.display(),
            info.stats.blinks,
            info.stats.clips,
            info.duration_ms / 1000.0
        );
        self.summary.sessions.push((a.dir, info));
        self.update_led(t_ms);
        Ok(())
    }

    fn fill_stats(stats: &mut SessionStats, a: &Active) {
        let j = a.jitter.summary();
        let us = |ms: f64| (ms * 1000.0).round() / 1000.0;
        stats.jitter_p50_ms = us(j.p50_ms);
        stats.jitter_p99_ms = us(j.p99_ms);
        stats.jitter_max_ms = us(j.max_ms);
        stats.frames_not_kept = a.recorder.frames_not_kept;
        stats.onsets_skipped = a.recorder.onsets_skipped;
        let placement = a.detector.placement();
        stats.placement_score = placement.map(|p| (p.score * 1000.0).round() / 1000.0);
        stats.clipped_at_counts = placement.and_then(|p| p.clipped_at);
    }

    fn on_button(&mut self, t_ms: f64, level: bool) -> Result<(), ApplianceError> {
        match self.debouncer.update(t_ms, level) {
            Some(Press::Short) => {
                if self.active.is_some() {
                    self.end_session(t_ms)?;
                } else if self.power.is_low() {
                    log::warn!("battery low: no new session until it is charged");
                } else {
                    self.start_session(t_ms)?;
                }
            }
            Some(Press::Long) => {
                log::info!("long press: shutting down");
                self.quit = true;
                self.summary.power_off = self.cfg.button.long_press_powers_off;
            }
            None => {}
        }
        Ok(())
    }

    /// Reads the battery's warning if a look is due (every `power.poll_ms`).
    /// Low: the session in progress ends cleanly, every clip closed and
    /// synced, so a flat battery cuts nothing short; then the run ends
    /// asking for a power-off (`power.poweroff_when_low`), or no session
    /// starts until the battery is good again.
    fn poll_power(&mut self, t_ms: f64, power: &mut dyn Power) -> Result<(), ApplianceError> {
        if t_ms < self.next_power_ms {
            return Ok(());
        }
        self.next_power_ms = t_ms + self.cfg.power.poll_ms;
        let warning = match power.is_low(t_ms) {
            Ok(w) => w,
            Err(e) => {
                log::debug!("{e}");
                return Ok(());
            }
        };
        match self.power.update(t_ms, warning) {
            Some(true) => {
                if self.active.is_some() {
                    log::warn!("battery low: ending the session cleanly");
                    self.stats.low_battery = true;
                    self.end_session(t_ms)?;
                }
                if self.cfg.power.poweroff_when_low {
                    log::warn!("battery low: powering off");
                    self.quit = true;
                    self.summary.power_off = true;
                } else {
                    log::warn!("battery low: no session starts until it is charged");
                }
            }
            Some(false) => log::info!("battery good again"),
            None => {}
        }
        Ok(())
    }

    fn on_frame(&mut self, frame: Frame) {
        let Some(a) = &mut self.active else { return };
        if frame.t_ms < a.start_ms {
            return;
        }
        self.stats.frames_captured += 1;
        a.last_frame_ms = frame.t_ms - a.start_ms;
        a.recorder.on_frame(frame, &mut self.actions);
        self.flush_actions();
    }

    fn on_camera_error(&mut self, t_ms: f64, e: &DeviceError) {
        if self.active.is_some() {
            self.stats.camera_errors += 1;
            log::debug!("{} ms: {e}", t_ms);
        }
    }

    fn on_adc_error(&mut self, t_ms: f64, e: &DeviceError) {
        if self.active.is_some() {
            self.stats.adc_errors += 1;
            log::debug!("{} ms: {e}", t_ms);
        }
    }

    fn on_sample(&mut self, t_ms: f64, emg: i32, late_ms: f64) {
        let Some(a) = &mut self.active else { return };
        let t = t_ms - a.start_ms;
        if t < 0.0 {
            return;
        }
        a.jitter.record(late_ms);
        self.stats.samples += 1;
        a.last_sample_ms = t;
        // The detector works in clock time; rows are written in session time.
        a.detector.push(t_ms, emg);
        let mut blinked = false;
        while let Some(e) = a.detector.poll() {
            match e {
                Event::FaultStart { kind, .. } => {
                    log::info!("{t} ms: signal fault ({kind:?})");
                    a.pad_off = true;
                }
                Event::FaultEnd { .. } => a.pad_off = false,
                Event::Tentative(_) | Event::Closure(_) => blinked = true,
                _ => {}
            }
            a.recorder.on_event(&e, &mut self.actions);
        }
        if blinked {
            let top = a.detector.placement().and_then(|p| p.clipped_at);
            if let (Some(top), false) = (top, a.clipped) {
                log::warn!("{t} ms: {}", crate::detector::clipped_warning(top));
            }
            a.clipped = top.is_some();
        }
        let snap = a.detector.snapshot();
        a.activity = emg as f64 > snap.off_threshold;
        Self::send(
            &mut a.sink,
            WriterCmd::Sample {
                t_ms: t,
                emg,
                state: snap.state.as_str(),
            },
            &mut self.queue_drops,
        );
        a.recorder.tick(t_ms, &mut self.actions);
        self.flush_actions();
    }

    /// Once per sample tick: disk state, writer tick, limits, LED.
    fn on_tick(&mut self, t_ms: f64) -> Result<(), ApplianceError> {
        if let Some(a) = &mut self.active {
            let full = match &a.sink {
                Sink::Direct(w, _) => w.disk_full(),
                Sink::Thread { full, .. } => full.load(Ordering::Relaxed),
            };
            if full != a.paused {
                a.paused = full;
                a.recorder.set_paused(full, &mut self.actions);
            }
            let t = t_ms - a.start_ms;
            if t - a.last_tick_ms >= 100.0 {
                a.last_tick_ms = t;
                let mut stats = self.stats.clone();
                Self::fill_stats(&mut stats, a);
                stats.frames_dropped_queue = self.queue_drops.max(stats.frames_dropped_queue);
                Self::send(
                    &mut a.sink,
                    WriterCmd::Tick {
                        t_ms: t,
                        stats: Box::new(stats),
                    },
                    &mut self.queue_drops,
                );
            }
            self.flush_actions();
            if self.stop_after_ms.is_some_and(|limit| t >= limit) {
                self.end_session(t_ms)?;
                self.quit = true;
            }
        }
        self.update_led(t_ms);
        Ok(())
    }

    fn update_led(&mut self, t_ms: f64) {
        let mut inputs = match &self.active {
            Some(a) => LedInputs {
                session_ms: Some(t_ms - a.start_ms),
                // A burst whose onset waits behind the detector's verdict
                // on the blink before it will be recorded from its onset:
                // lit now, not when the verdict lets it out.
                recording: a.recorder.is_recording() || a.detector.burst_behind_held(),
                activity: a.activity,
                placement: a.detector.placement().map(|p| p.score),
                clipped: a.clipped,
                pad_off: a.pad_off,
                camera_failing: t_ms - a.start_ms - a.last_frame_ms > 1000.0,
                disk_full: a.paused,
                battery_low: false,
            },
            None => LedInputs::default(),
        };
        inputs.battery_low = self.power.is_low();
        let on = led::pattern(&self.cfg.led, &inputs).level(t_ms);
        if self.led_on != Some(on) {
            self.led_on = Some(on);
            if let Err(e) = self.led.set(on, t_ms) {
                log::debug!("{e}");
            }
        }
        let _ = &self.clock;
    }
}

/// A wall-clock time in Unix ms.
fn unix_ms(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// When a session starting at wall-clock `now_ms` is dated, given when the
/// latest session before it ended: `now_ms`, or, if the clock reads no
/// later than that end, one second after it (so its folder, named to the
/// second, sorts after the last one's), with how far the clock was behind.
fn dated_after(now_ms: i64, latest_end_ms: Option<i64>) -> (i64, Option<i64>) {
    match latest_end_ms {
        Some(end) if now_ms <= end => (end + 1000, Some(end + 1000 - now_ms)),
        _ => (now_ms, None),
    }
}

/// The sessions directory to use: the flag, else the config's.
pub fn sessions_dir(flag: Option<&Path>, cfg: &Config) -> PathBuf {
    flag.map(Path::to_path_buf)
        .unwrap_or_else(|| cfg.storage.sessions_dir.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_behind_the_last_session_dates_the_next_just_after_it() {
        assert_eq!(dated_after(5_000, None), (5_000, None));
        assert_eq!(dated_after(5_000, Some(4_999)), (5_000, None));
        assert_eq!(dated_after(5_000, Some(5_000)), (6_000, Some(1_000)));
        // A Pi back from a flat battery an hour behind.
        assert_eq!(
            dated_after(1_000_000, Some(4_600_000)),
            (4_601_000, Some(3_601_000))
        );
    }
}

//! Writing a session folder crash-safely.
//!
//! - `emg.csv`, `frames.csv`, `blinks.csv` and the clip files are only ever
//!   appended to; every append is all-or-nothing ([`AppendFile`]).
//! - `emg.csv` rows are gathered and appended, then fsynced, every
//!   `sync_interval_ms` (at most a second), together with the open clip.
//! - A clip's frames are appended as they come, from the detector's onset
//!   on, and its journal ([`crate::session::journal`]) records each frame's
//!   capture time and the closures, so a power cut in the middle of a long
//!   closure loses at most the last second. An onset the detector takes back
//!   deletes the clip and its journal; frames a late decision takes back are
//!   cut from the clip's end.
//! - A clip is fsynced when it closes, and only then are its rows appended to
//!   `frames.csv` and `blinks.csv` (and fsynced), and its journal deleted: a
//!   row in `blinks.csv` always names a complete, durable clip.
//! - `session.toml` is replaced whole (write aside, fsync, rename).
//!
//! A full disk does not stop the writer: failed rows wait in memory (up to a
//! bound) and are retried every `retry_ms`; frames that cannot be written are
//! counted. [`SessionWriter::disk_full`] tells the appliance to stop starting
//! clips and the LED to show it; it clears when a retry succeeds.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detector::Closure;
use crate::devices::{Frame, FrameData, RawFormat};
use crate::session::journal;
use crate::session::storage::{is_disk_full, AppendFile, Storage};
use crate::session::{clip_file_name, clip_journal_name, BLINKS_HEADER, EMG_HEADER, FRAMES_HEADER};
use crate::trace::Ms;

/// What the devices are, for `session.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DevicesInfo {
    pub emg: String,
    pub camera: String,
    pub camera_mode: String,
    pub led: String,
    pub button: String,
    /// The battery's low warning (absent in sessions from before it).
    #[serde(default)]
    pub power: String,
}

/// Counters a session records in `session.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionStats {
    pub samples: u64,
    pub clips: u64,
    pub blinks: u64,
    pub frames_captured: u64,
    pub frames_kept: u64,
    /// Frames outside every window (dropped from the pre-roll, never copied).
    pub frames_not_kept: u64,
    /// Frames dropped because the writer's queue was full.
    pub frames_dropped_queue: u64,
    /// Frames lost because the disk was full.
    pub frames_dropped_disk: u64,
    /// Frames the camera failed to deliver.
    pub camera_errors: u64,
    /// Samples dropped on the way to the detector (real-time mode).
    pub samples_dropped: u64,
    /// emg.csv rows lost to a full disk.
    pub emg_rows_dropped: u64,
    /// ADC reads that failed.
    pub adc_errors: u64,
    /// Closures not recorded because the disk was full.
    pub onsets_skipped: u64,
    /// The sampler thread ran in the real-time FIFO class (threaded mode).
    pub sampler_fifo: bool,
    /// The session ended because the battery ran low.
    pub low_battery: bool,
    pub jitter_p50_ms: f64,
    pub jitter_p99_ms: f64,
    pub jitter_max_ms: f64,
    /// The detector's placement score (0..1) at the end, once it had seen
    /// three blinks (absent otherwise, and in sessions from before it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_score: Option<f64>,
    /// The count the blinks were clipped at, at the end: the sensor's gain
    /// was too high (absent if they were not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clipped_at_counts: Option<f64>,
}

/// `session.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionInfo {
    /// `augenblick X.Y.Z`.
    pub software: String,
    /// Wall-clock start, RFC 3339 (orders sessions; the only wall-clock time).
    pub started_at: String,
    /// Session length on the session clock, in ms.
    pub duration_ms: f64,
    /// The session did not end cleanly (found and repaired at a later start).
    pub interrupted: bool,
    /// The session ended (cleanly or by repair); false while it runs.
    pub closed: bool,
    /// How far the wall clock was behind the end of the latest session
    /// before this one when it started (a Pi without a real-time clock,
    /// after a flat battery): `started_at` was then set just after that
    /// end, so sessions stay in the order they were recorded. 0 normally.
    #[serde(default)]
    pub clock_behind_ms: f64,
    pub devices: DevicesInfo,
    pub stats: SessionStats,
    pub config: Config,
}

impl SessionInfo {
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

/// One command to the writer: what the appliance decided, in order.
#[derive(Debug)]
pub enum WriterCmd {
    Sample {
        t_ms: f64,
        emg: i32,
        state: &'static str,
    },
    /// Start clip file `clip` (and its journal).
    Open {
        clip: u32,
    },
    /// A closure began (journal only).
    Onset {
        onset_ms: f64,
        detected_ms: f64,
    },
    Frame(Frame),
    /// The closure is confirmed (journal only).
    Confirm(Closure),
    /// Cut the frames captured after `after_ms` from the open clip.
    Trim {
        after_ms: f64,
    },
    /// The onset was taken back: delete the clip and its journal.
    Discard {
        clip: u32,
    },
    Close {
        clip: u32,
        closures: Vec<Closure>,
    },
    /// Session time passes: sync if due, retry after a full disk, record stats.
    Tick {
        t_ms: f64,
        stats: Box<SessionStats>,
    },
}

struct ClipFile {
    clip: u32,
    /// The clip and its journal; `None` once either cannot be written.
    files: Option<(Box<dyn AppendFile>, Box<dyn AppendFile>)>,
    /// Capture times of the frames written.
    times: Vec<f64>,
    /// Where each frame ends in the clip file (to cut frames back).
    ends: Vec<u64>,
}

/// After the disk was full, recording resumes once this much is free (or
/// `storage.min_free_mb`, if more): a few seconds of 640x480 MJPEG.
const RESUME_FREE_BYTES: u64 = 4 << 20;

/// Rows that wait in memory while the disk is full, at most this many bytes per file.
const MAX_PENDING: usize = 4 << 20;

/// See the module docs.
pub struct SessionWriter {
    storage: Arc<dyn Storage>,
    dir: PathBuf,
    info: SessionInfo,
    emg: Box<dyn AppendFile>,
    frames: Box<dyn AppendFile>,
    blinks: Box<dyn AppendFile>,
    emg_pending: String,
    frames_pending: String,
    blinks_pending: String,
    clip: Option<ClipFile>,
    /// Closed clips whose journal goes once their rows are on disk.
    journals_to_delete: Vec<u32>,
    last_sync_ms: f64,
    last_toml_ms: f64,
    last_retry_ms: f64,
    disk_full: bool,
    low_space: bool,
    /// Counters only the writer knows.
    own: SessionStats,
}

/// Errors the appliance cannot carry on from (the session never started).
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot create the session: {source}; check that the sessions folder exists and is writable, or pass --sessions DIR")]
pub struct CreateError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl SessionWriter {
    /// Creates a new session folder under `sessions_dir`, named by `folder`
    /// (a suffix is added if it exists).
    pub fn create(
        storage: Arc<dyn Storage>,
        sessions_dir: &Path,
        folder: &str,
        info: SessionInfo,
    ) -> Result<SessionWriter, CreateError> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CreateError { path, source }
        };
        storage
            .create_dir_all(sessions_dir)
            .map_err(err(sessions_dir))?;
        let mut dir = sessions_dir.join(folder);
        let mut n = 2;
        while dir.exists() {
            dir = sessions_dir.join(format!("{folder}-{n}"));
            n += 1;
        }
        storage
            .create_dir_all(&dir.join("clips"))
            .map_err(err(&dir))?;
        storage
            .write_atomic(&dir.join("session.toml"), info.to_toml().as_bytes())
            .map_err(err(&dir))?;
        let open = |name: &str, header: &str| -> Result<Box<dyn AppendFile>, CreateError> {
            let path = dir.join(name);
            let mut f = storage.open_append(&path).map_err(err(&path))?;
            f.append(header.as_bytes()).map_err(err(&path))?;
            f.sync().map_err(err(&path))?;
            Ok(f)
        };
        let emg = open("emg.csv", &format!("{EMG_HEADER}\n"))?;
        let frames = open("frames.csv", &format!("{FRAMES_HEADER}\n"))?;
        let blinks = open("blinks.csv", &format!("{BLINKS_HEADER}\n"))?;
        Ok(SessionWriter {
            storage,
            dir,
            info,
            emg,
            frames,
            blinks,
            emg_pending: String::with_capacity(1 << 12),
            frames_pending: String::new(),
            blinks_pending: String::new(),
            clip: None,
            journals_to_delete: Vec::new(),
            last_sync_ms: 0.0,
            last_toml_ms: 0.0,
            last_retry_ms: 0.0,
            disk_full: false,
            low_space: false,
            own: SessionStats::default(),
        })
    }

    /// The session folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True while writes fail for lack of space (or free space is under the minimum).
    pub fn disk_full(&self) -> bool {
        self.disk_full || self.low_space
    }

    /// Applies one command.
    pub fn apply(&mut self, cmd: WriterCmd) {
        match cmd {
            WriterCmd::Sample { t_ms, emg, state } => {
                if self.emg_pending.len() < MAX_PENDING {
                    use std::fmt::Write;
                    let _ = writeln!(self.emg_pending, "{},{emg},{state}", Ms(t_ms));
                } else {
                    self.own.emg_rows_dropped += 1;
                }
            }
            WriterCmd::Open { clip } => self.open_clip(clip),
            WriterCmd::Onset {
                onset_ms,
                detected_ms,
            } => {
                let mut line = String::new();
                journal::onset_line(&mut line, onset_ms, detected_ms);
                self.journal(&line, false);
            }
            WriterCmd::Frame(frame) => self.frame(frame),
            WriterCmd::Confirm(closure) => {
                let mut line = String::new();
                journal::closure_line(&mut line, &closure);
                self.journal(&line, false);
            }
            WriterCmd::Trim { after_ms } => self.trim(after_ms),
            WriterCmd::Discard { clip } => self.discard(clip),
            WriterCmd::Close { clip, closures } => self.close_clip(clip, closures),
            WriterCmd::Tick { t_ms, stats } => self.tick(t_ms, *stats),
        }
    }

    fn clip_path(&self, clip: u32) -> PathBuf {
        self.dir.join("clips").join(clip_file_name(clip))
    }

    fn note_error(&mut self, what: &str, e: &io::Error) {
        if is_disk_full(e) {
            if !self.disk_full {
                log::warn!(
                    "{}: disk full while writing {what}; recording paused",
                    self.dir.display()
                );
            }
            self.disk_full = true;
        } else {
            log::error!("{}: cannot write {what}: {e}", self.dir.display());
        }
    }

    fn journal_path(&self, clip: u32) -> PathBuf {
        self.dir.join("clips").join(clip_journal_name(clip))
    }

    fn open_clip(&mut self, clip: u32) {
        let (path, jpath) = (self.clip_path(clip), self.journal_path(clip));
        // A clip number is used again after a retracted onset: start afresh.
        let _ = self.storage.remove_file(&path);
        let _ = self.storage.remove_file(&jpath);
        let files = match self
            .storage
            .open_append(&path)
            .and_then(|f| Ok((f, self.storage.open_append(&jpath)?)))
        {
            Ok(f) => Some(f),
            Err(e) => {
                self.note_error(&clip_file_name(clip), &e);
                let _ = self.storage.remove_file(&path);
                None
            }
        };
        self.clip = Some(ClipFile {
            clip,
            files,
            times: Vec::new(),
            ends: Vec::new(),
        });
    }

    /// Appends a line to the open clip's journal (and fsyncs it if `sync`).
    /// If it cannot be written the clip takes no more frames, so the journal
    /// never lists frames the clip does not hold in that order.
    fn journal(&mut self, line: &str, sync: bool) -> bool {
        let Some(c) = &mut self.clip else {
            return false;
        };
        let Some((_, j)) = &mut c.files else {
            return false;
        };
        match j.append(line.as_bytes()).and_then(|_| match sync {
            true => j.sync(),
            false => Ok(()),
        }) {
            Ok(()) => true,
            Err(e) => {
                c.files = None;
                let name = clip_journal_name(c.clip);
                self.note_error(&name, &e);
                false
            }
        }
    }

    fn frame(&mut self, frame: Frame) {
        let Some(c) = &mut self.clip else { return };
        let Some((file, journal)) = &mut c.files else {
            self.own.frames_dropped_disk += 1;
            return;
        };
        let jpeg = match encode(
            frame.t_ms,
            &frame.data,
            self.info.config.recording.jpeg_quality,
        ) {
            Ok(j) => j,
            Err(e) => {
                log::warn!("frame at {} ms: {e}; skipped", Ms(frame.t_ms));
                return;
            }
        };
        let before = file.size();
        let mut line = String::with_capacity(24);
        journal::frame_line(&mut line, frame.t_ms);
        let result = file.append(&jpeg).and_then(|_| {
            journal.append(line.as_bytes()).inspect_err(|_| {
                // The journal must list every frame of the clip, in order.
                let _ = file.truncate(before);
            })
        });
        match result {
            Ok(()) => {
                c.times.push(frame.t_ms);
                c.ends.push(file.size());
            }
            Err(e) => {
                self.own.frames_dropped_disk += 1;
                let name = clip_file_name(c.clip);
                self.note_error(&name, &e);
            }
        }
    }

    /// Cuts the frames captured after `after_ms` (a decision that came late,
    /// or a merged onset taken back): the journal says so first, then the
    /// clip file is cut.
    fn trim(&mut self, after_ms: f64) {
        let Some(c) = &self.clip else { return };
        let n = c.times.partition_point(|&t| t <= after_ms);
        if n == c.times.len() {
            return;
        }
        let mut line = String::new();
        journal::trim_line(&mut line, after_ms);
        self.journal(&line, true);
        let dir = self.dir.clone();
        let Some(c) = &mut self.clip else { return };
        let len = if n == 0 { 0 } else { c.ends[n - 1] };
        c.times.truncate(n);
        c.ends.truncate(n);
        // Without its journal the clip takes no more frames, but what it
        // holds is still cut to match the times kept.
        let cut = match &mut c.files {
            Some((file, _)) => file.truncate(len),
            None => crate::session::storage::truncate_file(
                &dir.join("clips").join(clip_file_name(c.clip)),
                len,
            ),
        };
        if let Err(e) = cut {
            log::error!("{}: cannot cut clip {}: {e}", dir.display(), c.clip);
        }
    }

    fn discard(&mut self, clip: u32) {
        let Some(c) = self.clip.take() else { return };
        debug_assert_eq!(c.clip, clip);
        drop(c.files);
        // The clip first: a journal without its clip lists nothing.
        let _ = self.storage.remove_file(&self.clip_path(clip));
        let _ = self.storage.remove_file(&self.journal_path(clip));
    }

    fn close_clip(&mut self, clip: u32, closures: Vec<Closure>) {
        let Some(mut c) = self.clip.take() else {
            return;
        };
        debug_assert_eq!(c.clip, clip);
        if c.times.is_empty() {
            // Nothing reached the disk: no clip to list.
            drop(c.files.take());
            let _ = self.storage.remove_file(&self.clip_path(clip));
            let _ = self.storage.remove_file(&self.journal_path(clip));
            return;
        }
        if let Some((f, _)) = &mut c.files {
            if let Err(e) = f.sync() {
                self.note_error(&clip_file_name(clip), &e);
            }
        }
        use std::fmt::Write;
        for (i, t) in c.times.iter().enumerate() {
            let _ = writeln!(self.frames_pending, "{},{clip},{i}", Ms(*t));
        }
        for b in &closures {
            blink_row(&mut self.blinks_pending, b, clip, &c.times);
        }
        self.own.clips += 1;
        self.own.blinks += closures.len() as u64;
        self.own.frames_kept += c.times.len() as u64;
        self.journals_to_delete.push(clip);
        self.flush_rows();
    }

    /// Appends and fsyncs the waiting frames and blinks rows (frames first:
    /// a blinks row must never name frames that are not listed).
    fn flush_rows(&mut self) {
        if !self.frames_pending.is_empty() {
            match self
                .frames
                .append(self.frames_pending.as_bytes())
                .and_then(|_| self.frames.sync())
            {
                Ok(()) => self.frames_pending.clear(),
                Err(e) => return self.note_error("frames.csv", &e),
            }
        }
        if !self.blinks_pending.is_empty() {
            match self
                .blinks
                .append(self.blinks_pending.as_bytes())
                .and_then(|_| self.blinks.sync())
            {
                Ok(()) => self.blinks_pending.clear(),
                Err(e) => return self.note_error("blinks.csv", &e),
            }
        }
        // Every closed clip's rows are on disk: its journal has done its job.
        for clip in std::mem::take(&mut self.journals_to_delete) {
            let _ = self.storage.remove_file(&self.journal_path(clip));
        }
    }

    fn flush_emg(&mut self) -> io::Result<()> {
        if !self.emg_pending.is_empty() {
            self.emg.append(self.emg_pending.as_bytes())?;
            self.emg_pending.clear();
        }
        self.emg.sync()
    }

    fn tick(&mut self, t_ms: f64, stats: SessionStats) {
        self.info.duration_ms = t_ms;
        self.info.stats = self.merge(stats);
        let interval = self.info.config.recording.sync_interval_ms;
        if self.disk_full {
            if t_ms - self.last_retry_ms >= self.info.config.storage.retry_ms {
                self.last_retry_ms = t_ms;
                self.retry();
            }
            return;
        }
        if t_ms - self.last_sync_ms >= interval {
            self.last_sync_ms = t_ms;
            if let Err(e) = self.flush_emg() {
                self.note_error("emg.csv", &e);
            }
            if let Some(Some((f, j))) = self.clip.as_mut().map(|c| c.files.as_mut()) {
                // The clip before its journal: the journal never names a frame
                // that is not durable (repair also takes the shorter of the two).
                if let Err(e) = f.sync().and_then(|_| j.sync()) {
                    self.note_error("a clip", &e);
                }
            }
            let min_free = self.info.config.storage.min_free_mb << 20;
            let low = self
                .storage
                .free_bytes(&self.dir)
                .is_some_and(|free| free < min_free);
            if low != self.low_space {
                log::warn!(
                    "{}: free space {} {} MiB",
                    self.dir.display(),
                    if low { "below" } else { "back above" },
                    self.info.config.storage.min_free_mb
                );
                self.low_space = low;
            }
        }
        // session.toml keeps a recent length in case of a crash.
        if t_ms - self.last_toml_ms >= 10_000.0 {
            self.last_toml_ms = t_ms;
            self.write_info();
        }
    }

    fn retry(&mut self) {
        let ok = self.flush_emg().is_ok() && {
            self.flush_rows();
            self.frames_pending.is_empty() && self.blinks_pending.is_empty()
        };
        // On a real filesystem a few rows fit again as soon as a failed
        // frame is cut back: without some room, a new clip would fail at
        // once and the LED flicker between recording and disk full.
        let min_free = (self.info.config.storage.min_free_mb << 20).max(RESUME_FREE_BYTES);
        let room = self
            .storage
            .free_bytes(&self.dir)
            .map_or(true, |free| free >= min_free);
        if ok && room && self.write_info() {
            log::warn!("{}: space again; recording resumes", self.dir.display());
            self.disk_full = false;
        }
    }

    fn merge(&self, mut s: SessionStats) -> SessionStats {
        let o = &self.own;
        s.clips = o.clips;
        s.blinks = o.blinks;
        s.frames_kept = o.frames_kept;
        s.frames_dropped_disk = o.frames_dropped_disk;
        s.emg_rows_dropped = o.emg_rows_dropped;
        s
    }

    fn write_info(&mut self) -> bool {
        match self.storage.write_atomic(
            &self.dir.join("session.toml"),
            self.info.to_toml().as_bytes(),
        ) {
            Ok(()) => true,
            Err(e) => {
                self.note_error("session.toml", &e);
                false
            }
        }
    }

    /// Ends the session: flushes everything and marks it closed.
    pub fn finish(mut self, t_ms: f64, stats: SessionStats) -> io::Result<SessionInfo> {
        if let Some(c) = self.clip.take() {
            // The recorder closes or discards every clip first; this is a fallback.
            let clip = c.clip;
            self.clip = Some(c);
            self.close_clip(clip, Vec::new());
        }
        self.info.duration_ms = t_ms;
        self.info.stats = self.merge(stats);
        self.info.closed = true;
        self.flush_emg()?;
        self.flush_rows();
        self.storage.write_atomic(
            &self.dir.join("session.toml"),
            self.info.to_toml().as_bytes(),
        )?;
        Ok(self.info)
    }
}

/// Appends the `blinks.csv` row of closure `b` in clip `clip`, whose frames
/// were captured at `times` (not empty). Times are since the session's
/// start: a closure the detector dates before it (a blink as the session
/// began, its onset estimated a few ms before the first sample) starts at
/// 0, which readers of the folder can take as a time.
pub fn blink_row(out: &mut String, b: &Closure, clip: u32, times: &[f64]) {
    use std::fmt::Write;
    let (first, last) = (times[0], times[times.len() - 1]);
    let _ = writeln!(
        out,
        "{},{},{},{clip},{},{:.1},{:.3},{},{}",
        Ms(b.onset_ms.max(0.0)),
        Ms(b.offset_ms.max(0.0)),
        Ms(b.detected_ms),
        times.len(),
        b.peak,
        b.score,
        Ms(first),
        Ms(last)
    );
}

/// A kept frame as JPEG bytes: camera JPEGs as they are, simulated pictures
/// drawn now, raw pixels compressed (off the capture path: this runs in the
/// writer).
pub fn encode(
    t_ms: f64,
    data: &FrameData,
    quality: u8,
) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    use std::borrow::Cow;
    match data {
        FrameData::Jpeg(d) => Ok(Cow::Borrowed(d)),
        &FrameData::Synthetic { width, height, .. } => Ok(Cow::Owned(
            crate::devices::sim::render_jpeg(t_ms, width, height),
        )),
        FrameData::Raw {
            format,
            width,
            height,
            data,
        } => {
            let image = RawYcbcr::new(*format, *width, *height, data)?;
            let mut out = Vec::with_capacity(data.len() / 10);
            jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100))
                .encode_image(image)
                .map_err(|e| e.to_string())?;
            Ok(Cow::Owned(out))
        }
    }
}

/// The camera's limited range (BT.601, as V4L2 cameras deliver by default:
/// Y 16-235, Cb and Cr 16-240 about 128) stretched to JFIF's full range, as
/// tables: a JPEG stores YCbCr, so a raw frame is compressed with no RGB on
/// the way, and a Pi Zero spends no floating point on it.
const fn range_table(low: i32, span: i32, centre: i32) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let num = (i as i32 - low) * 255;
        // Rounded to the nearest, halves away from zero.
        let v = centre + (num + if num < 0 { -span / 2 } else { span / 2 }) / span;
        t[i] = if v < 0 {
            0
        } else if v > 255 {
            255
        } else {
            v as u8
        };
        i += 1;
    }
    t
}
const LUMA_FULL: [u8; 256] = range_table(16, 219, 0);
const CHROMA_FULL: [u8; 256] = range_table(128, 224, 128);

#[inline]
fn luma_full(y: u8) -> u8 {
    LUMA_FULL[usize::from(y)]
}

#[inline]
fn chroma_full(c: u8) -> u8 {
    CHROMA_FULL[usize::from(c)]
}

/// A raw frame as the JPEG encoder reads it: row by row, each pixel's Y,
/// Cb and Cr in full range. Chroma shared by two (YUYV) or four (YU12,
/// NV12) pixels is given to each; the encoder subsamples it again.
struct RawYcbcr<'a> {
    format: RawFormat,
    width: u16,
    height: u16,
    data: &'a [u8],
}

impl<'a> RawYcbcr<'a> {
    /// An error if the buffer does not match the size, or the size is more
    /// than a JPEG holds.
    fn new(format: RawFormat, width: u32, height: u32, data: &'a [u8]) -> Result<Self, String> {
        let (w, h) = (width as usize, height as usize);
        let need = match format {
            RawFormat::Yuyv => w * h * 2,
            RawFormat::Yuv420 | RawFormat::Nv12 => w * h + 2 * (w.div_ceil(2) * h.div_ceil(2)),
        };
        if w % 2 == 1 || data.len() < need {
            return Err(format!(
                "{format} frame of {} bytes does not fit {width}x{height} ({need} needed)",
                data.len()
            ));
        }
        match (u16::try_from(width), u16::try_from(height)) {
            (Ok(width), Ok(height)) if width > 0 && height > 0 => Ok(RawYcbcr {
                format,
                width,
                height,
                data,
            }),
            _ => Err(format!(
                "a {format} frame of {width}x{height} cannot be a JPEG (1 to 65535 pixels a side)"
            )),
        }
    }
}

impl jpeg_encoder::ImageBuffer for RawYcbcr<'_> {
    fn get_jpeg_color_type(&self) -> jpeg_encoder::JpegColorType {
        jpeg_encoder::JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, row: u16, buffers: &mut [Vec<u8>; 4]) {
        let (w, h, row) = (
            usize::from(self.width),
            usize::from(self.height),
            usize::from(row),
        );
        let [ys, cbs, crs, _] = buffers;
        // Written in place, a pair of pixels at a time (growing the rows
        // pixel by pixel took as long as the rest of this).
        let grow = |buf: &mut Vec<u8>| {
            let at = buf.len();
            buf.resize(at + w, 0);
            at
        };
        let (y0, cb0, cr0) = (grow(ys), grow(cbs), grow(crs));
        let ys = ys[y0..].chunks_exact_mut(2);
        let cbs = cbs[cb0..].chunks_exact_mut(2);
        let crs = crs[cr0..].chunks_exact_mut(2);
        // Each chroma sample for the two pixels beside each other that share it.
        let twice = |out: &mut [u8], c: u8| {
            let c = chroma_full(c);
            out[0] = c;
            out[1] = c;
        };
        let luma = |out: std::slice::ChunksExactMut<u8>, src: &[u8]| {
            for (o, p) in out.zip(src.chunks_exact(2)) {
                o[0] = luma_full(p[0]);
                o[1] = luma_full(p[1]);
            }
        };
        match self.format {
            RawFormat::Yuyv => {
                // Y0 U Y1 V: two pixels and their chroma.
                let line = self.data[row * w * 2..][..w * 2].chunks_exact(4);
                for (((y, cb), cr), p) in ys.zip(cbs).zip(crs).zip(line) {
                    y[0] = luma_full(p[0]);
                    y[1] = luma_full(p[2]);
                    twice(cb, p[1]);
                    twice(cr, p[3]);
                }
            }
            RawFormat::Yuv420 => {
                luma(ys, &self.data[row * w..][..w]);
                let cw = w.div_ceil(2);
                let cb = &self.data[w * h + (row / 2) * cw..][..cw];
                let cr = &self.data[w * h + cw * h.div_ceil(2) + (row / 2) * cw..][..cw];
                for (o, &c) in cbs.zip(cb) {
                    twice(o, c);
                }
                for (o, &c) in crs.zip(cr) {
                    twice(o, c);
                }
            }
            RawFormat::Nv12 => {
                luma(ys, &self.data[row * w..][..w]);
                let cw = w.div_ceil(2);
                let uv = self.data[w * h + (row / 2) * cw * 2..][..cw * 2].chunks_exact(2);
                for ((cb, cr), p) in cbs.zip(crs).zip(uv) {
                    twice(cb, p[0]);
                    twice(cr, p[1]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closure_dated_before_the_session_starts_at_zero() {
        let b = Closure {
            onset_ms: -9.528,
            offset_ms: 288.1,
            detected_ms: 1520.0,
            peak: 771.0,
            score: 0.8,
        };
        let mut row = String::new();
        blink_row(&mut row, &b, 1, &[0.0, 33.3]);
        assert!(row.starts_with("0,288.1,1520,1,2,"), "{row}");
    }

    /// BT.601 limited-range YCbCr to RGB, worked out in floating point: what
    /// a raw frame's JPEG must decode to.
    fn reference_rgb(y: u8, u: u8, v: u8) -> [f64; 3] {
        let (y, u, v) = (
            1.164 * (f64::from(y) - 16.0),
            f64::from(u) - 128.0,
            f64::from(v) - 128.0,
        );
        [y + 1.596 * v, y - 0.392 * u - 0.813 * v, y + 2.017 * u].map(|c| c.clamp(0.0, 255.0))
    }

    /// A 32x16 frame in `format`: four quadrants of 16x8, each one flat
    /// colour (so no JPEG block holds an edge).
    fn quadrants(format: RawFormat, colours: [(u8, u8, u8); 4]) -> (u32, u32, Vec<u8>) {
        let (w, h) = (32usize, 16usize);
        let at = |col: usize, row: usize| colours[(row / 8) * 2 + col / 16];
        let data = match format {
            RawFormat::Yuyv => (0..h)
                .flat_map(|row| {
                    (0..w / 2).flat_map(move |pair| {
                        let (y, u, v) = at(pair * 2, row);
                        [y, u, y, v]
                    })
                })
                .collect(),
            RawFormat::Yuv420 | RawFormat::Nv12 => {
                let luma = (0..h).flat_map(|row| (0..w).map(move |col| at(col, row).0));
                let cells = || (0..h / 2).flat_map(|r| (0..w / 2).map(move |c| at(c * 2, r * 2)));
                let chroma: Vec<u8> = if format == RawFormat::Yuv420 {
                    cells().map(|c| c.1).chain(cells().map(|c| c.2)).collect()
                } else {
                    cells().flat_map(|c| [c.1, c.2]).collect()
                };
                luma.chain(chroma).collect()
            }
        };
        (w as u32, h as u32, data)
    }

    #[test]
    fn raw_frames_compress_to_the_colours_the_camera_meant() {
        // Grey, red, green and blue as a V4L2 camera sends them (limited range).
        let colours = [
            (126, 128, 128),
            (81, 90, 240),
            (145, 54, 34),
            (41, 240, 110),
        ];
        for format in [RawFormat::Yuyv, RawFormat::Yuv420, RawFormat::Nv12] {
            for quality in [80, 95] {
                let (w, h, data) = quadrants(format, colours);
                let raw = FrameData::Raw {
                    format,
                    width: w,
                    height: h,
                    data: data.into(),
                };
                let jpeg = encode(0.0, &raw, quality).unwrap();
                assert!(crate::session::mjpeg::is_complete(&jpeg), "{format}");
                let rgb = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
                    .unwrap()
                    .to_rgb8();
                assert_eq!(rgb.dimensions(), (w, h));
                for (k, &(y, u, v)) in colours.iter().enumerate() {
                    // The middle of each quadrant, away from its edges.
                    let (col, row) = ((k % 2) as u32 * 16 + 8, (k / 2) as u32 * 8 + 4);
                    let got = rgb.get_pixel(col, row).0;
                    let want = reference_rgb(y, u, v);
                    for c in 0..3 {
                        assert!(
                            (f64::from(got[c]) - want[c]).abs() <= 6.0,
                            "{format} q{quality} colour {k}: got {got:?}, want {want:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn raw_frames_that_do_not_fit_their_size_are_errors() {
        let grey = [126u8, 128, 126, 128].repeat(4);
        for (format, w, h, data, says) in [
            (RawFormat::Yuyv, 4, 2, &grey[..10], "does not fit"),
            (RawFormat::Yuyv, 3, 2, &grey[..], "does not fit"),
            (RawFormat::Yuv420, 4, 4, &grey[..], "does not fit"),
            (RawFormat::Yuyv, 0, 2, &grey[..], "cannot be a JPEG"),
        ] {
            let raw = FrameData::Raw {
                format,
                width: w,
                height: h,
                data: data.to_vec().into(),
            };
            let e = encode(0.0, &raw, 80).unwrap_err();
            assert!(e.contains(says), "{format} {w}x{h}: {e}");
        }
        let wide = FrameData::Raw {
            format: RawFormat::Yuyv,
            width: 65536,
            height: 1,
            data: vec![128u8; 65536 * 2].into(),
        };
        assert!(encode(0.0, &wide, 80).unwrap_err().contains("65535"));
    }
}

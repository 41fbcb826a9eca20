//! The session folder: crash-safe writing, repair and reading.
//!
//! Layout (a fixed contract; the film export and other checks depend on it):
//!
//! ```text
//! SESSIONS/2026-11-23T15-43-46/     named by the start time
//!   session.toml    config used, software version, devices
//!   emg.csv         every sample: t_ms,emg,state (the trace format)
//!   blinks.csv      onset_ms,offset_ms,detected_ms,clip,frames,... one row per recorded closure
//!   frames.csv      t_ms,clip,index: one row per kept frame
//!   clips/000001.mjpeg   the JPEG frames of clip 1, as captured, back to back
//!   clips/000002.journal only while clip 2 is open: its frames' capture times
//!                        and closures, for repair after a power cut ([`journal`])
//! ```
//!
//! All times are milliseconds since the session start, one clock for samples
//! and frames. Clip `n` is the file `clips/{n:06}.mjpeg`; frame `index` of a
//! clip is its `index`-th JPEG (from 0).

pub mod mjpeg;
pub mod read;

/// The clip file name for clip number `clip`.
pub fn clip_file_name(clip: u32) -> String {
    format!("{clip:06}.mjpeg")
}

/// The journal file name of clip `clip` (present only while it is open).
pub fn clip_journal_name(clip: u32) -> String {
    format!("{clip:06}.journal")
}

pub mod journal;
pub mod repair;
pub mod storage;
pub mod writer;

/// `emg.csv`'s header (exactly): the trace format's columns and the
/// detector's state.
pub const EMG_HEADER: &str = "t_ms,emg,state";

/// `frames.csv`'s header (exactly).
pub const FRAMES_HEADER: &str = "t_ms,clip,index";

/// `blinks.csv`'s header: the fixed columns, then extras (peak above
/// baseline in counts, detector score, and the clip's first and last frame times).
pub const BLINKS_HEADER: &str =
    "onset_ms,offset_ms,detected_ms,clip,frames,peak,score,clip_start_ms,clip_end_ms";

//! Film export and contact sheets through FFmpeg (feature `film`).
//!
//! ```text
//!  session folders --read--> Sessions --plan--> Shots --quantise--> Cues
//!                                                                    |
//!   clip files --split--> JPEG --decode+scale (thread)--> pictures --encode--> part file --rename--> OUT
//! ```
//!
//! - [`plan`]: which picture is on screen when, and for how many frames (pure).
//! - [`pictures`]: JPEG decoding and conversion, black, flash, stills, burn-in.
//! - [`output`]: the encoder and muxer, H.264 in MP4 or JPEGs copied into MKV.
//! - [`sheet`]: the contact sheet.
//! - [`font`]: a tiny built-in bitmap font for times.
//!
//! Memory stays flat: one clip file is in memory at a time, and decoded
//! pictures pass through a short bounded channel to the encoder. A picture
//! held for several frames is decoded once and handed to the encoder again.

use std::path::{Path, PathBuf};

use ffmpeg_next as ffmpeg;
use ffmpeg_next::{frame, Rational};

use crate::session::read::{self, ClipData, Session};

pub mod font;
pub mod output;
pub mod pictures;
pub mod plan;
pub mod sheet;

pub use plan::{Mode, Separator};

/// Why an export failed. The output name is never left half-written.
#[derive(Debug, thiserror::Error)]
pub enum FilmError {
    #[error("cannot write {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Read(#[from] read::ReadError),
    #[error("FFmpeg failed while {what}")]
    Ffmpeg {
        what: &'static str,
        #[source]
        source: ffmpeg::Error,
    },
    #[error(
        "the encoder {name} would not open (check --preset {preset:?}: ultrafast, superfast, \
         veryfast, faster, fast, medium, slow, slower, veryslow; or try --encoder mpeg4)"
    )]
    Encoder {
        name: String,
        preset: String,
        #[source]
        source: ffmpeg::Error,
    },
    #[error("no video encoder found in this FFmpeg build (install libavcodec59 with libx264)")]
    NoEncoder,
    #[error("the sessions hold no readable frame: nothing to film")]
    NoFrames,
    #[error("the session holds no blink with a readable frame: nothing to draw")]
    NoThumbnails,
    #[error("{0}")]
    Options(String),
    #[error("the still picture could not be read: {0}")]
    Still(String),
}

/// The video codec of the film.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    /// Re-encode to H.264 (or a fallback) in MP4.
    #[default]
    H264,
    /// The camera's JPEGs as they are, in Matroska.
    Copy,
}

/// Everything an export can be asked for.
#[derive(Debug, Clone)]
pub struct FilmOptions {
    pub mode: Mode,
    pub codec: Codec,
    pub encoder: output::EncoderSettings,
    /// Output frame rate as a fraction; `None`: from the clips.
    pub fps: Option<(u32, u32)>,
    /// Output size; `None`: the first frame's.
    pub size: Option<(u32, u32)>,
    /// Separator between blinks (blinks mode), and its length.
    pub separator: Option<Separator>,
    pub separator_ms: f64,
    /// Draw each blink's time on its frames.
    pub burn_in: bool,
    /// The picture shown while the eyes are open (negative mode); black if none.
    pub still: Option<PathBuf>,
}

impl Default for FilmOptions {
    fn default() -> Self {
        FilmOptions {
            mode: Mode::Blinks,
            codec: Codec::H264,
            encoder: output::EncoderSettings {
                name: None,
                preset: "medium".into(),
                crf: 23,
            },
            fps: None,
            size: None,
            separator: None,
            separator_ms: 200.0,
            burn_in: false,
            still: None,
        }
    }
}

impl FilmOptions {
    /// The still to show, if any: only the negative cut shows one (blinks
    /// mode warns that it ignores it, and must not then fail to read it).
    fn shown_still(&self) -> Option<&Path> {
        self.still
            .as_deref()
            .filter(|_| self.mode == Mode::Negative)
    }
}

/// What an export did.
#[derive(Debug, Clone, Default)]
pub struct FilmSummary {
    /// Frames (re-encoded) or packets (copy) written.
    pub frames: u64,
    /// Film length in seconds.
    pub seconds: f64,
    /// Kept camera frames shown.
    pub shown: u64,
    /// Frames skipped as corrupt.
    pub corrupt: u64,
    pub encoder: String,
    pub fps: (u32, u32),
    pub size: (u32, u32),
}

/// Told how the export goes; the CLI draws a progress bar with it.
pub trait Progress {
    /// The film will have `frames` frames.
    fn start(&mut self, _frames: u64) {}
    /// `frames` more are done.
    fn advance(&mut self, _frames: u64) {}
}

impl Progress for () {}

/// Exports `sessions` (already in time order) into one film at `out`.
pub fn export(
    sessions: &[Session],
    out: &Path,
    opts: &FilmOptions,
    progress: &mut dyn Progress,
) -> Result<FilmSummary, FilmError> {
    ffmpeg::init().map_err(|source| FilmError::Ffmpeg {
        what: "starting",
        source,
    })?;
    // We report skipped frames ourselves, once, with file and frame.
    ffmpeg::util::log::set_level(if log::log_enabled!(log::Level::Debug) {
        ffmpeg::util::log::Level::Info
    } else {
        ffmpeg::util::log::Level::Fatal
    });
    for w in sessions.iter().flat_map(|s| &s.warnings) {
        log::warn!("{w}");
    }
    if sessions.iter().all(|s| s.clips.is_empty()) && opts.mode == Mode::Blinks {
        return Err(FilmError::NoFrames);
    }
    let median = read::median_frame_interval_ms(sessions).unwrap_or(1000.0 / 30.0);
    let fps = opts.fps.unwrap_or_else(|| (camera_rate(median), 1));
    if fps.0 == 0 || fps.1 == 0 {
        return Err(FilmError::Options("--fps must be above 0".into()));
    }
    let first = first_frame_format(sessions);
    let sep = opts.separator.map(|s| (s, opts.separator_ms));
    if sep.is_some() && opts.mode == Mode::Negative {
        log::warn!("--separator is for --mode blinks; the negative cut runs in real time without");
    }
    if opts.still.is_some() && opts.mode == Mode::Blinks {
        log::warn!("--still is for --mode negative (shown while the eyes were open); ignored");
    }
    let shots = plan::shots(sessions, opts.mode, sep, median);
    match opts.codec {
        Codec::H264 => {
            let (w, h) = opts
                .size
                .or(first.map(|(w, h, _)| (w, h)))
                .unwrap_or((640, 480));
            // yuv420p needs even sizes.
            let (w, h) = ((w & !1).max(2), (h & !1).max(2));
            let cues = plan::cues(&shots, fps.0, fps.1);
            encode(sessions, &cues, out, opts, fps, (w, h), progress)
        }
        Codec::Copy => {
            if opts.burn_in {
                return Err(FilmError::Options(
                    "--burn-in draws into the pictures, which --codec copy leaves untouched; \
                     drop one of them"
                        .into(),
                ));
            }
            if opts.size.is_some() || opts.fps.is_some() {
                log::warn!("--size and --fps do not apply to --codec copy (frames keep their own)");
            }
            let (w, h, pix) = first.unwrap_or((640, 480, ffmpeg::format::Pixel::YUVJ420P));
            copy(sessions, &shots, out, opts, (w, h, pix), progress)
        }
    }
}

/// The camera's frame rate from the median interval between its frames,
/// snapped to a usual rate when within 5 % (jitter and ms rounding make a
/// 30 fps camera's median 33 or 34 ms).
pub fn camera_rate(median_ms: f64) -> u32 {
    let raw = 1000.0 / median_ms.max(1.0);
    const USUAL: [f64; 13] = [
        5.0, 10.0, 12.0, 15.0, 20.0, 24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 90.0, 120.0,
    ];
    USUAL
        .iter()
        .copied()
        .min_by(|a, b| ((raw - a).abs() / a).total_cmp(&((raw - b).abs() / b)))
        .filter(|r| (raw - r).abs() <= 0.05 * r)
        .unwrap_or(raw.round())
        .clamp(1.0, 120.0) as u32
}

/// Size and pixel format of the first frame that decodes.
fn first_frame_format(sessions: &[Session]) -> Option<(u32, u32, ffmpeg::format::Pixel)> {
    for s in sessions {
        for clip in &s.clips {
            let Ok(data) = read::read_clip(&s.clip_path(clip.number)) else {
                continue;
            };
            for f in &clip.frames {
                if let Some(Ok(found)) = data.frame(f.index).map(pictures::JpegPictures::probe) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// The clip file currently in memory.
struct OpenClip {
    key: (usize, usize),
    data: Option<ClipData>,
}

fn load_clip<'a>(
    open: &'a mut Option<OpenClip>,
    sessions: &[Session],
    s: usize,
    c: usize,
) -> Option<&'a ClipData> {
    if open.as_ref().map(|o| o.key) != Some((s, c)) {
        let path = sessions[s].clip_path(sessions[s].clips[c].number);
        let data = match read::read_clip(&path) {
            Ok(d) => Some(d),
            Err(e) => {
                log::warn!("{}: clip skipped: {e}", path.display());
                None
            }
        };
        *open = Some(OpenClip { key: (s, c), data });
    }
    open.as_ref().and_then(|o| o.data.as_ref())
}

/// A picture for the encoder, to be shown for `frames` frames.
type Job = Result<(frame::Video, u32), FilmError>;

fn encode(
    sessions: &[Session],
    cues: &[plan::Cue],
    out: &Path,
    opts: &FilmOptions,
    fps: (u32, u32),
    (w, h): (u32, u32),
    progress: &mut dyn Progress,
) -> Result<FilmSummary, FilmError> {
    let fill = match opts.shown_still() {
        Some(p) => pictures::still(p, w, h).map_err(FilmError::Still)?,
        None => pictures::black(w, h),
    };
    let muxer = match out.extension().and_then(|e| e.to_str()) {
        Some("mkv") => "matroska",
        Some("mov") => "mov",
        _ => "mp4",
    };
    let part = output::PartFile::beside(out);
    let rate = Rational(fps.0 as i32, fps.1 as i32);
    let mut film = output::EncodedFilm::create(part.path(), muxer, w, h, rate, &opts.encoder)?;
    let total: u64 = cues.iter().map(|c| c.frames as u64).sum();
    progress.start(total);
    let (tx, rx) = crossbeam_channel::bounded::<Job>(4);
    let mut shown = 0u64;
    let mut corrupt = 0u64;
    std::thread::scope(|scope| -> Result<(), FilmError> {
        let producer = scope.spawn(move || produce(sessions, cues, opts, (w, h), fill, &tx));
        for job in rx.iter() {
            let (mut pic, n) = job?;
            for _ in 0..n {
                film.push(&mut pic)?;
            }
            progress.advance(n as u64);
        }
        let counts = producer.join().expect("the picture thread does not panic");
        shown = counts.0;
        corrupt = counts.1;
        Ok(())
    })?;
    let encoder = film.encoder_name.clone();
    let frames = film.finish()?;
    part.commit()?;
    Ok(FilmSummary {
        frames,
        seconds: frames as f64 * fps.1 as f64 / fps.0 as f64,
        shown,
        corrupt,
        encoder,
        fps,
        size: (w, h),
    })
}

/// Decodes and converts the pictures of `cues`, in order, into `tx`. Runs on
/// its own thread so decoding overlaps encoding. Returns (shown, corrupt).
fn produce(
    sessions: &[Session],
    cues: &[plan::Cue],
    opts: &FilmOptions,
    (w, h): (u32, u32),
    fill: frame::Video,
    tx: &crossbeam_channel::Sender<Job>,
) -> (u64, u64) {
    let mut jpegs = match pictures::JpegPictures::new(w, h) {
        Ok(j) => j,
        Err(source) => {
            let _ = tx.send(Err(FilmError::Ffmpeg {
                what: "opening the JPEG decoder",
                source,
            }));
            return (0, 0);
        }
    };
    let black = pictures::black(w, h);
    let flash = pictures::flash(w, h);
    let mut open: Option<OpenClip> = None;
    // The last good frame of the current clip: shown again in place of a
    // corrupt frame, which thus lasts as long as the frame before it really
    // did. Kept as an index and decoded again when needed (rarely), rather
    // than copying every picture.
    let mut last_good: Option<(usize, usize, usize)> = None;
    let (mut shown, mut corrupt) = (0, 0);
    for cue in cues {
        let pic = match cue.picture {
            plan::Picture::Fill => fill.clone(),
            plan::Picture::Separator(Separator::Black) => black.clone(),
            plan::Picture::Separator(Separator::Flash) => flash.clone(),
            plan::Picture::Frame {
                session,
                clip,
                frame,
            } => {
                let c = &sessions[session].clips[clip];
                let f = c.frames[frame];
                let mut decode = |fi: usize| {
                    let f = c.frames[fi];
                    let mut pic = match load_clip(&mut open, sessions, session, clip) {
                        Some(data) => match data.frame(f.index) {
                            Some(jpeg) => jpegs.picture(jpeg).map_err(|e| e.to_string())?,
                            None => return Err("not in the clip file".to_string()),
                        },
                        None => return Err("clip unreadable".into()),
                    };
                    if opts.burn_in {
                        pictures::burn_in(&mut pic, c.blink_time_at(f.t_ms));
                    }
                    Ok(pic)
                };
                match decode(frame) {
                    Ok(pic) => {
                        shown += 1;
                        last_good = Some((session, clip, frame));
                        pic
                    }
                    Err(e) => {
                        corrupt += 1;
                        log::warn!(
                            "{}: frame {} (t_ms {}) is corrupt ({e}); skipped",
                            sessions[session].clip_path(c.number).display(),
                            f.index,
                            f.t_ms
                        );
                        match last_good {
                            Some((s, c, fi)) if (s, c) == (session, clip) => {
                                decode(fi).unwrap_or_else(|_| black.clone())
                            }
                            _ => black.clone(),
                        }
                    }
                }
            }
        };
        if tx.send(Ok((pic, cue.frames))).is_err() {
            break; // the encoder stopped; its error is reported there
        }
    }
    (shown, corrupt)
}

fn copy(
    sessions: &[Session],
    shots: &[plan::Shot],
    out: &Path,
    opts: &FilmOptions,
    (w, h, pix): (u32, u32, ffmpeg::format::Pixel),
    progress: &mut dyn Progress,
) -> Result<FilmSummary, FilmError> {
    let plain = |luma: u8| {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([luma, luma, luma]));
        read::fixture::encode_jpeg(&img, 90)
    };
    let fill = match opts.shown_still() {
        Some(p) => {
            let img = image::open(p)
                .map_err(|e| FilmError::Still(format!("{}: {e}", p.display())))?
                .resize_exact(w, h, image::imageops::FilterType::Triangle)
                .to_rgb8();
            read::fixture::encode_jpeg(&img, 90)
        }
        None => plain(0),
    };
    let (black, flash) = (plain(0), plain(255));
    let part = output::PartFile::beside(out);
    if out.extension().and_then(|e| e.to_str()) != Some("mkv") {
        log::warn!(
            "--codec copy writes Matroska; {} will be Matroska whatever its name",
            out.display()
        );
    }
    let mut film = output::CopiedFilm::create(part.path(), w, h, pix)?;
    progress.start(shots.len() as u64);
    let mut check = pictures::JpegPictures::new(2, 2).map_err(|source| FilmError::Ffmpeg {
        what: "opening the JPEG decoder",
        source,
    })?;
    let mut open: Option<OpenClip> = None;
    let (mut shown, mut corrupt) = (0, 0);
    for shot in shots {
        let start = shot.start_ms.round() as i64;
        let dur = shot.end_ms.round() as i64 - start;
        match shot.picture {
            plan::Picture::Fill => film.push(&fill, start, dur)?,
            plan::Picture::Separator(Separator::Black) => film.push(&black, start, dur)?,
            plan::Picture::Separator(Separator::Flash) => film.push(&flash, start, dur)?,
            plan::Picture::Frame {
                session,
                clip,
                frame,
            } => {
                let c = &sessions[session].clips[clip];
                let f = c.frames[frame];
                let jpeg =
                    load_clip(&mut open, sessions, session, clip).and_then(|d| d.frame(f.index));
                // Decoding costs little next to re-encoding, and keeps a
                // corrupt frame out of the film.
                match jpeg.map(|j| (j, check.check(j))) {
                    Some((j, Ok(()))) => {
                        film.push(j, start, dur)?;
                        shown += 1;
                    }
                    other => {
                        corrupt += 1;
                        let why = match other {
                            Some((_, Err(e))) => e.to_string(),
                            _ => "not in the clip file".into(),
                        };
                        log::warn!(
                            "{}: frame {} (t_ms {}) is corrupt ({why}); skipped",
                            sessions[session].clip_path(c.number).display(),
                            f.index,
                            f.t_ms
                        );
                    }
                }
            }
        }
        progress.advance(1);
    }
    let frames = film.finish()?;
    part.commit()?;
    let end = shots.last().map(|s| s.end_ms).unwrap_or(0.0);
    Ok(FilmSummary {
        frames,
        seconds: end / 1000.0,
        shown,
        corrupt,
        encoder: "copy (MJPEG)".into(),
        fps: (0, 1),
        size: (w, h),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_rates_snap_to_usual_ones() {
        assert_eq!(camera_rate(34.0), 30);
        assert_eq!(camera_rate(33.0), 30);
        assert_eq!(camera_rate(40.0), 25);
        assert_eq!(camera_rate(1000.0 / 7.0), 7);
        assert_eq!(camera_rate(16.5), 60);
        assert_eq!(camera_rate(0.0), 120);
    }
}

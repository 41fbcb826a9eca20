//! Test support: writes session folders per the session folder contract,
//! with stamped JPEG frames at uneven times, so the film export can be tested
//! (and benchmarked) without running the appliance.
//!
//! Frames come at a nominal rate with jitter and the odd dropped frame; each
//! carries its capture time in its pixels ([`crate::stamp`]). Optionally the
//! last clip is torn (half its last frame) and one frame is corrupt inside
//! (a valid JPEG structure whose frame header declares a 0x0 picture, which
//! every decoder rejects).

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::session::clip_file_name;
use crate::stamp;

/// What to generate.
#[derive(Debug, Clone)]
pub struct FixtureSpec {
    pub width: u32,
    pub height: u32,
    /// Nominal camera rate.
    pub fps: f64,
    /// Session length.
    pub duration_ms: u64,
    /// Share of frames the camera drops (a gap of two periods).
    pub drop_rate: f64,
    /// Number of clips (closures), spread over the session.
    pub clips: u32,
    /// Frames per clip, around this.
    pub frames_per_clip: u32,
    /// Tear the last clip in its last frame.
    pub torn_clip: bool,
    /// Make one frame of the second clip corrupt.
    pub corrupt_frame: bool,
    /// Folder name; also the start time.
    pub name: String,
    /// `started_at` in session.toml (RFC 3339).
    pub started_at: String,
    /// Write `duration_ms` into session.toml (false: like an interrupted session).
    pub write_duration: bool,
    pub seed: u64,
}

impl Default for FixtureSpec {
    fn default() -> Self {
        FixtureSpec {
            width: 320,
            height: 240,
            fps: 30.0,
            drop_rate: 0.1,
            duration_ms: 20_000,
            clips: 6,
            frames_per_clip: 10,
            torn_clip: true,
            corrupt_frame: true,
            name: "2026-11-23T15-43-46".into(),
            started_at: "2026-11-23T15:43:46Z".into(),
            write_duration: true,
            seed: 7,
        }
    }
}

/// One frame as written; `good` says whether a reader can use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenFrame {
    pub t_ms: u64,
    pub clip: u32,
    pub index: u32,
    /// Complete and decodable.
    pub good: bool,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub dir: PathBuf,
    pub duration_ms: u64,
    /// Every row of frames.csv, in order.
    pub frames: Vec<WrittenFrame>,
    /// The clip that was torn, if any.
    pub torn_clip: Option<u32>,
    /// The corrupt frame `(clip, index)`, if any.
    pub corrupt: Option<(u32, u32)>,
}

impl Fixture {
    /// The frames a reader can show, in time order.
    pub fn good_frames(&self) -> Vec<WrittenFrame> {
        self.frames.iter().copied().filter(|f| f.good).collect()
    }
}

/// A stamped RGB picture: a colour pattern that moves with time, the stamp
/// in grey across its top band.
pub fn stamped_picture(width: u32, height: u32, t_ms: u32) -> image::RgbImage {
    let mut luma = vec![0u8; (width * height) as usize];
    stamp::draw_luma(&mut luma, width, height, width as usize, t_ms);
    let band = stamp::band_height(height);
    let shift = t_ms / 8;
    image::RgbImage::from_fn(width, height, |x, y| {
        if y < band {
            let v = luma[(y * width + x) as usize];
            image::Rgb([v, v, v])
        } else {
            let r = ((x + shift) % 256) as u8;
            let g = ((y * 2 + shift / 2) % 256) as u8;
            let b = (((x / 16 + y / 16) % 2) * 160 + 40) as u8;
            image::Rgb([r, g, b])
        }
    })
}

/// Encodes a picture as baseline JPEG.
pub fn encode_jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encoding into memory cannot fail");
    out
}

/// Makes a JPEG undecodable while keeping its marker structure: its frame
/// header (SOF) declares a 0x0 picture.
pub fn corrupt_jpeg(jpeg: &mut [u8]) {
    let mut i = 2;
    while i + 9 < jpeg.len() {
        let marker = jpeg[i + 1];
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        if (0xC0..=0xC2).contains(&marker) {
            // FF Cx, length (2), precision (1), height (2), width (2).
            jpeg[i + 5..i + 9].fill(0);
            return;
        }
        i += 2 + len;
    }
}

/// Writes a session folder under `parent` and says what is in it.
pub fn write_session(parent: &Path, spec: &FixtureSpec) -> std::io::Result<Fixture> {
    let dir = parent.join(&spec.name);
    std::fs::create_dir_all(dir.join("clips"))?;
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let period = 1000.0 / spec.fps;
    let slot = spec.duration_ms / (spec.clips as u64 + 1);
    let mut frames = Vec::new();
    let mut blinks = String::from("onset_ms,offset_ms,detected_ms,clip,frames,peak\n");
    let mut torn_clip = None;
    let mut corrupt = None;
    for c in 1..=spec.clips {
        let start = slot * c as u64 + rng.random_range(0..slot / 4 + 1);
        let n = (spec.frames_per_clip as i64 + rng.random_range(-2..=2)).max(2) as u32;
        let mut t = start as f64;
        let mut clip_bytes = Vec::new();
        let mut clip_frames = Vec::new();
        for index in 0..n {
            let t_ms = t.round() as u64;
            let mut jpeg = encode_jpeg(&stamped_picture(spec.width, spec.height, t_ms as u32), 85);
            let mut good = true;
            if spec.corrupt_frame && c == 2 && index == n / 2 {
                corrupt_jpeg(&mut jpeg);
                corrupt = Some((c, index));
                good = false;
            }
            let torn = spec.torn_clip && c == spec.clips && index == n - 1;
            if torn {
                jpeg.truncate(jpeg.len() / 2);
                torn_clip = Some(c);
                good = false;
            }
            clip_bytes.extend_from_slice(&jpeg);
            clip_frames.push(WrittenFrame {
                t_ms,
                clip: c,
                index,
                good,
            });
            // Jitter of a few ms, and now and then a dropped frame.
            let jitter = rng.random_range(-0.15..0.15) * period;
            let skip = if rng.random_bool(spec.drop_rate.clamp(0.0, 1.0)) {
                2.0
            } else {
                1.0
            };
            t += period * skip + jitter;
        }
        std::fs::write(dir.join("clips").join(clip_file_name(c)), &clip_bytes)?;
        let (first, last) = (clip_frames[0].t_ms, clip_frames[n as usize - 1].t_ms);
        blinks.push_str(&format!(
            "{},{},{},{c},{n},0.5\n",
            first + 100,
            last.saturating_sub(100).max(first + 101),
            first + 160,
        ));
        frames.extend(clip_frames);
    }
    let mut csv = String::from("t_ms,clip,index\n");
    for f in &frames {
        csv.push_str(&format!("{},{},{}\n", f.t_ms, f.clip, f.index));
    }
    std::fs::write(dir.join("frames.csv"), csv)?;
    std::fs::write(dir.join("blinks.csv"), blinks)?;
    let mut emg = std::fs::File::create(dir.join("emg.csv"))?;
    writeln!(emg, "t_ms,emg,state")?;
    for t in (0..=spec.duration_ms).step_by(40) {
        writeln!(emg, "{t},0.1,open")?;
    }
    let mut toml = format!(
        "started_at = \"{}\"\ninterrupted = {}\nsoftware = \"fixture\"\n",
        spec.started_at, !spec.write_duration
    );
    if spec.write_duration {
        toml.push_str(&format!("duration_ms = {}\n", spec.duration_ms));
    }
    toml.push_str("\n[camera]\nwidth = 320\n");
    std::fs::write(dir.join("session.toml"), toml)?;
    Ok(Fixture {
        dir,
        duration_ms: spec.duration_ms,
        frames,
        torn_clip,
        corrupt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::read::read_session;

    #[test]
    fn the_reader_finds_what_the_fixture_wrote() {
        let tmp = std::env::temp_dir().join(format!("augenblick-fixture-{}", std::process::id()));
        let fx = write_session(&tmp, &FixtureSpec::default()).unwrap();
        let s = read_session(&fx.dir).unwrap();
        let read: Vec<(u64, u32, u32)> = s
            .clips
            .iter()
            .flat_map(|c| c.frames.iter().map(move |f| (f.t_ms, c.number, f.index)))
            .collect();
        // The reader drops the torn frame but cannot know the corrupt one yet.
        let want: Vec<(u64, u32, u32)> = fx
            .frames
            .iter()
            .filter(|f| f.good || Some((f.clip, f.index)) == fx.corrupt)
            .map(|f| (f.t_ms, f.clip, f.index))
            .collect();
        assert_eq!(read, want);
        assert_eq!(s.duration_ms, 20_000);
        assert_eq!(s.started_unix_ms, Some(1_795_448_626_000));
        assert!(s
            .warnings
            .iter()
            .any(|w| w.to_string().contains("000006.mjpeg") && w.message.contains("torn")));
        let gap = s.median_frame_interval_ms().unwrap();
        assert!((30.0..37.0).contains(&gap), "{gap}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

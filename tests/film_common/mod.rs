//! Shared helpers for the film tests (tests/film*.rs): session fixtures, running
//! and decoding films back to the stamps their frames carry.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use augenblick::session::read::fixture::{write_session, Fixture, FixtureSpec};
use augenblick::stamp;
use ffmpeg_next as ffmpeg;

/// A session folder with the default fixture (torn last clip, one corrupt frame).
pub fn session(parent: &Path) -> Fixture {
    write_session(parent, &FixtureSpec::default()).expect("fixture written")
}

pub fn session_with(parent: &Path, spec: FixtureSpec) -> Fixture {
    write_session(parent, &spec).expect("fixture written")
}

/// Runs `augenblick ARGS`, returning its output.
pub fn augenblick<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    assert_cmd::Command::cargo_bin("augenblick")
        .expect("binary built")
        .args(args)
        .output()
        .expect("ran")
}

/// Runs `augenblick film SESSIONS... FLAGS... -o OUT`.
pub fn export_film(sessions: &[&Path], out: &Path, flags: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["film".as_ref()];
    args.extend(sessions.iter().map(|s| s.as_os_str()));
    args.extend(flags.iter().map(std::ffi::OsStr::new));
    args.extend(["-o".as_ref(), out.as_os_str()]);
    augenblick(args)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A decoded film: one entry per frame, the stamp read from its pixels.
pub struct Decoded {
    pub stamps: Vec<Option<u32>>,
    /// Presentation times in seconds.
    pub pts: Vec<f64>,
    pub width: u32,
    pub height: u32,
    /// The stream's average frame rate.
    pub fps: f64,
    /// The container's duration in seconds.
    pub duration: f64,
}

impl Decoded {
    /// Runs of equal stamps: (stamp, frames).
    pub fn runs(&self) -> Vec<(Option<u32>, usize)> {
        let mut runs: Vec<(Option<u32>, usize)> = Vec::new();
        for s in &self.stamps {
            match runs.last_mut() {
                Some((last, n)) if last == s => *n += 1,
                _ => runs.push((*s, 1)),
            }
        }
        runs
    }

    /// The distinct stamps, in order of first appearance.
    pub fn shown(&self) -> Vec<u32> {
        self.runs().iter().filter_map(|(s, _)| *s).collect()
    }
}

/// Decodes every frame of a film with libavcodec and reads each one's stamp.
pub fn decode(path: &Path) -> Decoded {
    ffmpeg::init().unwrap();
    ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    let mut input = ffmpeg::format::input(path).expect("film opens");
    let duration = input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE);
    let stream = input
        .streams()
        .best(ffmpeg::media::Type::Video)
        .expect("a video stream");
    let index = stream.index();
    let tb = stream.time_base();
    let rate = stream.avg_frame_rate();
    let ctx = ffmpeg::codec::context::Context::from_parameters(stream.parameters()).unwrap();
    let mut dec = ctx.decoder().video().unwrap();
    let mut out = Decoded {
        stamps: vec![],
        pts: vec![],
        width: 0,
        height: 0,
        fps: rate.numerator() as f64 / rate.denominator().max(1) as f64,
        duration,
    };
    let mut frame = ffmpeg::frame::Video::empty();
    let mut take = |dec: &mut ffmpeg::decoder::Video, out: &mut Decoded| {
        while dec.receive_frame(&mut frame).is_ok() {
            let (w, h) = (frame.width(), frame.height());
            out.width = w;
            out.height = h;
            out.stamps
                .push(stamp::read_luma(frame.data(0), w, h, frame.stride(0)));
            let t = frame.timestamp().or(frame.pts()).unwrap_or(0);
            out.pts
                .push(t as f64 * tb.numerator() as f64 / tb.denominator() as f64);
        }
    };
    for (s, packet) in input.packets() {
        if s.index() == index {
            dec.send_packet(&packet).expect("every packet decodes");
            take(&mut dec, &mut out);
        }
    }
    dec.send_eof().unwrap();
    take(&mut dec, &mut out);
    out
}

/// The raw packets of a film's video stream: (pts in stream time base, tb, bytes).
pub fn packets(path: &Path) -> Vec<(i64, f64, Vec<u8>)> {
    ffmpeg::init().unwrap();
    let mut input = ffmpeg::format::input(path).expect("film opens");
    let stream = input.streams().best(ffmpeg::media::Type::Video).unwrap();
    let index = stream.index();
    let tb = stream.time_base();
    let tb = tb.numerator() as f64 / tb.denominator() as f64;
    input
        .packets()
        .filter(|(s, _)| s.index() == index)
        .map(|(_, p)| (p.pts().unwrap_or(-1), tb, p.data().unwrap_or(&[]).to_vec()))
        .collect()
}

/// Files in `dir` whose name contains `part`.
pub fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".part"))
        .collect()
}

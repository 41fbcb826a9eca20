//! Writes a simulated session folder (stamped JPEG clips at uneven times) for
//! trying and benchmarking the film export without running the appliance.
//!
//! `cargo run --example session_fixture -- DIR [SECONDS] [CLIPS] [WxH] [clean] [FRAMES_PER_CLIP] [DROP_RATE]`
//!
//! `clean`: no torn clip and no corrupt frame. DROP_RATE: share of frames the
//! camera drops (default 0.1).

use augenblick::session::read::fixture::{write_session, FixtureSpec};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().map(String::as_str).unwrap_or("sessions");
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let clips: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(15);
    let (w, h) = args
        .get(3)
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .unwrap_or((640, 480));
    let clean = args.get(4).is_some_and(|s| s == "clean");
    let per_clip: u32 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(10);
    let defaults = FixtureSpec::default();
    let drop_rate: f64 = args
        .get(6)
        .and_then(|s| s.parse().ok())
        .unwrap_or(defaults.drop_rate);
    let spec = FixtureSpec {
        width: w,
        height: h,
        duration_ms: secs * 1000,
        clips,
        torn_clip: !clean,
        corrupt_frame: !clean,
        frames_per_clip: per_clip,
        drop_rate,
        ..defaults
    };
    let fx = write_session(std::path::Path::new(dir), &spec)?;
    println!("{}", fx.dir.display());
    Ok(())
}

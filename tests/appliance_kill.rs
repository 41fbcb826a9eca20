//! kill -9 at random moments of real-time sessions: nothing completed is
//! lost, and the next start repairs the rest. Uses the built binary and the
//! ffmpeg command-line tool.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use rand::{Rng, SeedableRng};

fn ffmpeg_reads(clip: &std::path::Path) -> Result<(), String> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "mjpeg", "-i"])
        .arg(clip)
        .args(["-f", "null", "-"])
        .output()
        .map_err(|e| format!("cannot run ffmpeg: {e}"))?;
    if out.status.success() && out.stderr.is_empty() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn kill_9_loses_nothing_completed() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    // Blinks every second or so, so kills land in and between clips.
    let (samples, _) = labelled_trace_with_gaps(31, 40.0, 25.0, 300.0..1200.0);
    let trace = dir.path().join("trace.csv");
    let mut text = String::from("t_ms,emg\n");
    for s in &samples {
        text += &format!("{},{}\n", s.t_ms, s.emg);
    }
    std::fs::write(&trace, text).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[detector]\ncalibration_ms = 400\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_augenblick");
    let run = |extra: &[&str]| {
        Command::new(bin)
            .args([
                "-q",
                "run",
                "--simulate",
                "--realtime",
                "--size",
                "320x240",
                "--sessions",
            ])
            .arg(&sessions)
            .arg("--trace")
            .arg(&trace)
            .arg("--config")
            .arg(&config)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let kills = 20;
    for _ in 0..kills {
        let mut child = run(&[]);
        std::thread::sleep(Duration::from_millis(rng.random_range(1200..3400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    // One more start repairs the last one.
    let status = run(&["--duration", "0.3"]).wait().unwrap();
    assert!(status.success());

    let dirs = session_dirs(&sessions);
    assert_eq!(dirs.len(), kills + 1);
    let (mut interrupted, mut clips) = (0, 0);
    for s in &dirs {
        let toml: toml::Table = std::fs::read_to_string(s.join("session.toml"))
            .unwrap_or_else(|e| panic!("{}: {e}", s.display()))
            .parse()
            .unwrap();
        assert_eq!(toml["closed"].as_bool(), Some(true), "{}", s.display());
        interrupted += toml["interrupted"].as_bool().unwrap() as usize;
        for name in ["emg.csv", "frames.csv", "blinks.csv"] {
            let text = std::fs::read_to_string(s.join(name)).unwrap();
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "{}/{name} has a torn row",
                s.display()
            );
        }
        let frames = frames(s);
        let mut seen = std::collections::BTreeSet::new();
        for b in blinks(s) {
            let path = s
                .join("clips")
                .join(augenblick::session::clip_file_name(b.clip));
            let jpegs = clip_frames(s, b.clip);
            assert_eq!(jpegs.len(), b.frames, "{}", path.display());
            assert_eq!(frames.iter().filter(|f| f.clip == b.clip).count(), b.frames);
            if seen.insert(b.clip) {
                ffmpeg_reads(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                clips += 1;
            }
        }
    }
    assert_eq!(interrupted, kills);
    assert!(
        clips >= 10,
        "only {clips} clips survived {kills} kills: the test would prove little"
    );
}

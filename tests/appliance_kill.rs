//! kill -9 at random moments of real-time sessions: nothing completed is
//! lost, and the next start repairs the rest. Uses the built binary and the
//! ffmpeg command-line tool.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use rand::{Rng, SeedableRng};

/// Starts a real-time simulated session (320x240) writing to `sessions`,
/// replaying `trace` with `config`, plus `extra` flags; output discarded.
fn spawn_run(
    sessions: &std::path::Path,
    trace: &std::path::Path,
    config: &std::path::Path,
    extra: &[&str],
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_augenblick"))
        .args(["-q", "run", "--simulate", "--realtime", "--size", "320x240"])
        .arg("--sessions")
        .arg(sessions)
        .arg("--trace")
        .arg(trace)
        .arg("--config")
        .arg(config)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits (at most 60 s) for a session folder that was not in `before`, and
/// returns it: the process is up and its session has begun. On a loaded
/// machine that can take seconds, and a kill before it tests nothing (nor
/// leaves a session to count).
fn new_session(sessions: &std::path::Path, before: &[std::path::PathBuf]) -> std::path::PathBuf {
    let start = std::time::Instant::now();
    loop {
        if let Some(d) = session_dirs(sessions)
            .into_iter()
            .find(|d| !before.contains(d))
        {
            return d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no session folder appeared within 60 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

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

/// A trace to run in real time (with a short calibration) and kill.
struct Killable {
    _dir: tempfile::TempDir,
    sessions: std::path::PathBuf,
    trace: std::path::PathBuf,
    config: std::path::PathBuf,
}

impl Killable {
    fn new(trace_text: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("trace.csv");
        std::fs::write(&trace, trace_text).unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "[detector]\ncalibration_ms = 400\n").unwrap();
        Killable {
            sessions: dir.path().join("sessions"),
            _dir: dir,
            trace,
            config,
        }
    }

    /// Starts a session, kills it with SIGKILL `at_ms` after its folder
    /// appeared, and starts again briefly, which repairs it. Returns the
    /// session folder and how far into the session the kill came, at
    /// least. On a loaded machine a real-time session can fall behind the
    /// wall clock, and a kill before the session got to the moment a test
    /// means (inside a closure) would test nothing: so the kill also waits
    /// (at most 10 s more) until an open clip's journal lists a frame
    /// captured at `ready_ms` or later (journal lines are written as the
    /// frames are; emg.csv's rows are buffered for up to a second).
    fn kill_9_at(&self, at_ms: u64, ready_ms: f64) -> (std::path::PathBuf, f64) {
        let run = |extra: &[&str]| spawn_run(&self.sessions, &self.trace, &self.config, extra);
        let before = session_dirs(&self.sessions);
        let mut child = run(&[]);
        let s = new_session(&self.sessions, &before);
        let start = std::time::Instant::now();
        std::thread::sleep(Duration::from_millis(at_ms));
        let on_time = start.elapsed().as_secs_f64() * 1000.0;
        while !last_journaled_frame_ms(&s).is_some_and(|t| t >= ready_ms)
            && start.elapsed() < Duration::from_millis(at_ms + 10_000)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let late = start.elapsed().as_secs_f64() * 1000.0 - on_time;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if late > 10.0 {
            eprintln!("the session was behind: killed {late:.0} ms late");
        }
        // Repair happens at the next start.
        assert!(run(&["--duration", "0.2"]).wait().unwrap().success());
        (s, on_time)
    }
}

/// The capture time of the newest frame an open clip's journal lists.
fn last_journaled_frame_ms(s: &std::path::Path) -> Option<f64> {
    let mut newest = None;
    for entry in std::fs::read_dir(s.join("clips")).ok()?.flatten() {
        if !entry.file_name().to_string_lossy().ends_with(".journal") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for t in text.lines().filter_map(|l| l.strip_prefix("frame,")) {
            if let Ok(t) = t.parse::<f64>() {
                newest = Some(t.max(newest.unwrap_or(t)));
            }
        }
    }
    newest
}

/// A trace with one long deliberate closure (4 s, from 5 s) among short
/// blinks, in the shape of [`labelled_trace`]'s bursts ([`burst_shape`]).
fn long_closure_trace() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
    let bursts = [
        (2500.0, 2690.0, 600.0),
        (5000.0, 8940.0, 600.0),
        (10500.0, 10650.0, 500.0),
    ];
    let mut text = String::from("t_ms,emg\n");
    for i in 0..(12 * 25) {
        let t = i as f64 * 40.0;
        let mut x = 3000.0 + 50.0 * (t / 11000.0).sin() + rng.random_range(-25.0..25.0);
        for &(bs, be, amp) in &bursts {
            if t >= bs && t <= be {
                x += amp * burst_shape(t, bs, be);
            }
        }
        text += &format!("{},{}\n", t, x.round());
    }
    text
}

/// kill -9 in the middle of a long closure (4 s, from 5 s): after repair the
/// closure is in blinks.csv (marked unconfirmed), its frames are in
/// frames.csv with their capture times up to the last second before the
/// kill, and ffmpeg reads its clip.
#[test]
fn kill_9_during_a_long_closure_keeps_its_frames() {
    let k = Killable::new(&long_closure_trace());
    // Session times: the closure runs from 5 s to about 9 s.
    let kills_ms = [6300u64, 7300, 8300];
    for &at in &kills_ms {
        let (s, elapsed) = k.kill_9_at(at, at as f64 - 300.0);
        let s = &s;
        let toml: toml::Table = std::fs::read_to_string(s.join("session.toml"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(toml["interrupted"].as_bool(), Some(true));
        let long = blinks(s)
            .into_iter()
            .find(|b| (b.onset_ms - 5000.0).abs() < 200.0)
            .unwrap_or_else(|| panic!("killed at {at} ms: the long closure is not in blinks.csv"));
        // Still going on when killed: listed, not confirmed (score NaN).
        let row = std::fs::read_to_string(s.join("blinks.csv")).unwrap();
        let row = row
            .lines()
            .find(|l| l.split(',').nth(3) == Some(&long.clip.to_string()))
            .unwrap();
        assert_eq!(row.split(',').nth(6), Some("NaN"), "{row}");
        let recovered = toml["recovered_clips"].as_array().unwrap();
        assert!(recovered.contains(&toml::Value::Integer(long.clip.into())));
        let times: Vec<f64> = frames(s)
            .iter()
            .filter(|f| f.clip == long.clip)
            .map(|f| f.t_ms)
            .collect();
        assert_eq!(times.len(), long.frames);
        assert_eq!(clip_frames(s, long.clip).len(), long.frames);
        assert!(times[0] <= long.onset_ms, "the pre-roll: {times:?}");
        // The kill came at least `elapsed` ms into the session: frames up
        // to a second before that are on disk (kill -9 keeps the page cache; a power cut
        // loses what was not fsynced, at most a second).
        let last = *times.last().unwrap();
        assert!(
            last >= elapsed - 1000.0,
            "killed {elapsed:.0} ms (wall) after the session began: the last frame kept is at {last} ms"
        );
        eprintln!(
            "killed {elapsed:.0} ms after the session began: last frame of the closure at {last} ms"
        );
        let path = s
            .join("clips")
            .join(augenblick::session::clip_file_name(long.clip));
        ffmpeg_reads(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The journal did its job and is gone.
        let left: Vec<_> = std::fs::read_dir(s.join("clips"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".journal"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

/// A smile held as a long closure (from 5 s to 10 s; its rise, with no
/// blink on it, is not filmed) with a blink on it at 6.8 s: the clip holds
/// the blink's frames only.
fn paused_smile_trace() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
    let mut text = String::from("t_ms,emg\n");
    for i in 0..(14 * 25) {
        let t = i as f64 * 40.0;
        let mut x = 3000.0 + 50.0 * (t / 11000.0).sin() + rng.random_range(-25.0..25.0);
        if (2500.0..=2690.0).contains(&t) {
            x += 600.0 * burst_shape(t, 2500.0, 2690.0);
        }
        // The smile: a 500 ms rise to a plateau of 400 counts with an 8 %
        // ripple, a 300 ms fall; the blink 1.8 s into it.
        let (dt, ms) = (t - 5000.0, 5000.0);
        if (0.0..=ms).contains(&dt) {
            let rise = (dt / 500.0).min(1.0);
            let fall = ((ms - dt) / 300.0).clamp(0.0, 1.0);
            x += 400.0 * rise * fall * (1.0 + 0.08 * (std::f64::consts::TAU * dt / 140.0).sin());
            let b = dt - 1800.0;
            if (0.0..40.0).contains(&b) {
                x += 600.0 * b / 40.0;
            } else if b >= 40.0 {
                x += 600.0 * (-(b - 40.0) / 50.0).exp();
            }
        }
        text += &format!("{},{}\n", t, x.round());
    }
    text
}

/// kill -9 during a smile held as a long closure, after the blink on it:
/// after repair the closure is listed (unconfirmed) with the blink's frames,
/// none from the smile's rise, and ffmpeg reads its clip.
#[test]
fn kill_9_during_a_paused_smile_keeps_its_blink() {
    // The blink's frames end by about 7.2 s; the smile goes on to 10 s.
    let k = Killable::new(&paused_smile_trace());
    // Killed once the blink's frames are in (from about 6.75 s).
    let (s, _) = k.kill_9_at(8000, 6800.0);
    let s = &s;
    let smile = blinks(s)
        .into_iter()
        .find(|b| (b.onset_ms - 5000.0).abs() < 300.0)
        .unwrap_or_else(|| panic!("the smile's closure is not in blinks.csv: {:?}", blinks(s)));
    let times: Vec<f64> = frames(s)
        .iter()
        .filter(|f| f.clip == smile.clip)
        .map(|f| f.t_ms)
        .collect();
    assert_eq!(times.len(), smile.frames);
    assert!(
        !times.is_empty() && times.iter().all(|&t| (6600.0..7400.0).contains(&t)),
        "the blink's frames only: {times:?}"
    );
    let path = s
        .join("clips")
        .join(augenblick::session::clip_file_name(smile.clip));
    assert_eq!(clip_frames(s, smile.clip).len(), smile.frames);
    ffmpeg_reads(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
    let run = |extra: &[&str]| spawn_run(&sessions, &trace, &config, extra);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let kills = 20;
    let mut killed = Vec::new();
    for _ in 0..kills {
        let before = session_dirs(&sessions);
        let mut child = run(&[]);
        killed.push(new_session(&sessions, &before));
        std::thread::sleep(Duration::from_millis(rng.random_range(1200..3400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    // One more start repairs the last one. (Its own session is so short
    // that on a loaded machine it may end before its folder is made.)
    let status = run(&["--duration", "0.3"]).wait().unwrap();
    assert!(status.success());

    let dirs = session_dirs(&sessions);
    assert!(killed.iter().all(|k| dirs.contains(k)), "{dirs:?}");
    assert!(dirs.len() == kills || dirs.len() == kills + 1, "{dirs:?}");
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

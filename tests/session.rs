//! The session folder under trouble: a full disk, and repair.

mod common;

use std::sync::Arc;

use augenblick::session::storage::FlakyStorage;
use common::*;

/// The disk fills in the middle of a session and frees up later: recording
/// stops cleanly (every listed clip is whole), the LED shows the fault, the
/// process keeps running and records again once there is space.
#[test]
fn a_full_disk_pauses_recording_and_it_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, _) = labelled_trace(21, 120.0, 25.0);
    let disk = FlakyStorage::new();
    // The folder, headers and the first minute or so fit; then ~20 failed
    // writes (retried once a second) until space comes back.
    disk.fill_after(400_000);
    disk.full_for(20);
    let mut sim = Sim::new(samples, dir.path());
    sim.storage = Arc::new(disk.clone());
    let (summary, led) = sim.run();
    let (s, info) = &summary.sessions[0];
    assert!(info.duration_ms >= 119_000.0, "the session ran to the end");
    let blinks = blinks(s);
    let frames = frames(s);
    for b in &blinks {
        let jpegs = clip_frames(s, b.clip);
        assert_eq!(jpegs.len(), b.frames, "clip {} is whole", b.clip);
        assert_eq!(frames.iter().filter(|f| f.clip == b.clip).count(), b.frames);
    }
    // Some closures were lost to the full disk, and some recorded after it.
    assert!(
        info.stats.frames_dropped_disk + info.stats.onsets_skipped > 0,
        "{:?}",
        info.stats
    );
    let gap = blinks
        .windows(2)
        .map(|w| w[1].onset_ms - w[0].offset_ms)
        .fold(0.0, f64::max);
    assert!(gap > 12_000.0, "a pause in recording: largest gap {gap} ms");
    assert!(
        blinks.last().unwrap().onset_ms > 90_000.0,
        "recording resumed"
    );
    // The disk-full pattern: 1.5 s on, 0.5 s off.
    let led = led.lock().unwrap().clone();
    let long_on = led
        .windows(2)
        .filter(|w| w[0].1 && (w[1].0 - w[0].0 - 1500.0).abs() <= 40.0)
        .count();
    assert!(
        long_on >= 5,
        "disk-full rhythm shown {long_on} times: {led:?}"
    );
    // Every emg row waited in memory and reached the disk once there was room.
    let emg = std::fs::read_to_string(s.join("emg.csv")).unwrap();
    assert_eq!(emg.lines().count() - 1, 120 * 25);
    let toml: toml::Table = std::fs::read_to_string(s.join("session.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(toml["closed"].as_bool(), Some(true));
}

/// A session that stopped without closing (as after a power cut) is repaired
/// at the next start: torn tails cut, marked interrupted.
#[test]
fn the_next_start_repairs_an_interrupted_session() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, _) = labelled_trace(22, 40.0, 25.0);
    let (summary, _) = Sim::new(samples.clone(), dir.path()).run();
    let s = summary.sessions[0].0.clone();
    // Make it look cut off: not closed, half a frame and half a row at the end.
    let toml = std::fs::read_to_string(s.join("session.toml")).unwrap();
    std::fs::write(
        s.join("session.toml"),
        toml.replace("closed = true", "closed = false"),
    )
    .unwrap();
    let clip = s.join("clips/000001.mjpeg");
    let mut data = std::fs::read(&clip).unwrap();
    let whole = data.len();
    let first = clip_frames(&s, 1)[0].clone();
    data.extend_from_slice(&first[..first.len() / 3]);
    std::fs::write(&clip, &data).unwrap();
    let mut emg = std::fs::read(s.join("emg.csv")).unwrap();
    let emg_len = emg.len();
    emg.extend_from_slice(b"40001,30");
    std::fs::write(s.join("emg.csv"), &emg).unwrap();

    let (summary, _) = Sim::new(samples, dir.path()).run();
    assert_eq!(summary.repaired.len(), 1);
    assert_eq!(std::fs::metadata(&clip).unwrap().len() as usize, whole);
    assert_eq!(std::fs::read(s.join("emg.csv")).unwrap().len(), emg_len);
    let toml: toml::Table = std::fs::read_to_string(s.join("session.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(toml["interrupted"].as_bool(), Some(true));
    assert_eq!(toml["closed"].as_bool(), Some(true));
    assert!(toml["duration_ms"].as_float().unwrap() >= 39_000.0);
    assert_eq!(session_dirs(dir.path()).len(), 2);
}

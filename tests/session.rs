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

/// Makes a closed session look as if it stopped without closing.
fn mark_unclosed(s: &std::path::Path) {
    let toml = std::fs::read_to_string(s.join("session.toml")).unwrap();
    std::fs::write(
        s.join("session.toml"),
        toml.replace("closed = true", "closed = false"),
    )
    .unwrap();
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
    mark_unclosed(&s);
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

/// An interrupted session that cannot be repaired (here a "clip" that is a
/// folder) is left as it is and named; the others are repaired, and the
/// wearer records all the same.
#[test]
fn a_session_that_cannot_be_repaired_does_not_keep_the_wearer_from_recording() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, _) = labelled_trace(22, 40.0, 25.0);
    let (summary, _) = Sim::new(samples.clone(), dir.path()).run();
    let good = summary.sessions[0].0.clone();
    let bad = dir.path().join("2000-01-01T00-00-00");
    std::fs::create_dir_all(bad.join("clips/000001.mjpeg")).unwrap();
    std::fs::write(bad.join("session.toml"), "closed = false\n").unwrap();
    std::fs::write(bad.join("emg.csv"), "t_ms,emg,state\n0,5,open\n").unwrap();
    mark_unclosed(&good);

    let (summary, _) = Sim::new(samples, dir.path()).run();
    assert_eq!(summary.repaired.len(), 1, "{:?}", summary.repaired);
    assert_eq!(summary.repaired[0].dir, good);
    assert_eq!(summary.not_repaired.len(), 1, "{:?}", summary.not_repaired);
    assert_eq!(summary.not_repaired[0].0, bad);
    assert_eq!(summary.sessions.len(), 1);
    let new = &summary.sessions[0].0;
    assert!(!blinks(new).is_empty());
    assert!(bad.join("clips/000001.mjpeg").is_dir());
}

fn writer(dir: &std::path::Path) -> augenblick::session::writer::SessionWriter {
    use augenblick::session::storage::DiskStorage;
    use augenblick::session::writer::{SessionInfo, SessionWriter};
    SessionWriter::create(
        Arc::new(DiskStorage),
        dir,
        "2026-01-01T00-00-00",
        SessionInfo::default(),
    )
    .unwrap()
}

fn frame(t_ms: f64) -> augenblick::devices::Frame {
    augenblick::devices::Frame {
        t_ms,
        data: augenblick::devices::FrameData::Synthetic {
            width: 320,
            height: 240,
            approx_bytes: 10_000,
        },
    }
}

/// What the writer leaves in `clips/`, sorted.
fn clip_files(s: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(s.join("clips"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The power goes in the middle of a long closure (the writer simply stops,
/// as after kill -9): the frames written so far are listed after repair,
/// with their capture times, and the closure with them, marked unconfirmed;
/// a retracted onset before it left nothing behind; the film reader reads it.
#[test]
fn a_closure_cut_short_by_a_crash_is_recovered_and_a_retracted_one_leaves_nothing() {
    use augenblick::detector::Closure;
    use augenblick::session::writer::WriterCmd;
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    let s = w.dir().to_path_buf();
    // Clip 1: a confirmed blink, closed.
    w.apply(WriterCmd::Open { clip: 1 });
    w.apply(WriterCmd::Onset {
        onset_ms: 1000.0,
        detected_ms: 1040.0,
    });
    for i in 0..8 {
        w.apply(WriterCmd::Frame(frame(940.0 + 33.0 * i as f64)));
    }
    let blink = Closure {
        onset_ms: 1000.0,
        offset_ms: 1150.0,
        detected_ms: 1040.0,
        peak: 500.0,
        score: 0.9,
    };
    w.apply(WriterCmd::Confirm(blink));
    // The decision came late: the last frame (1171) is cut.
    w.apply(WriterCmd::Trim { after_ms: 1150.0 });
    w.apply(WriterCmd::Close {
        clip: 1,
        closures: vec![blink],
    });
    assert_eq!(
        clip_files(&s),
        ["000001.mjpeg"],
        "the journal goes at close"
    );
    assert_eq!(clip_frames(&s, 1).len(), 7);
    // Clip 2: a false start, taken back: nothing stays.
    w.apply(WriterCmd::Open { clip: 2 });
    w.apply(WriterCmd::Onset {
        onset_ms: 3000.0,
        detected_ms: 3040.0,
    });
    for i in 0..5 {
        w.apply(WriterCmd::Frame(frame(2940.0 + 33.0 * i as f64)));
    }
    w.apply(WriterCmd::Discard { clip: 2 });
    assert_eq!(clip_files(&s), ["000001.mjpeg"]);
    // Clip 2 again: a long closure, 3 s in when the power goes.
    w.apply(WriterCmd::Open { clip: 2 });
    w.apply(WriterCmd::Onset {
        onset_ms: 5000.0,
        detected_ms: 5040.0,
    });
    let times: Vec<f64> = (0..92).map(|i| 4950.0 + 33.25 * i as f64).collect();
    for &t in &times {
        w.apply(WriterCmd::Frame(frame(t)));
    }
    std::mem::forget(w); // the crash: nothing more happens
                         // Half a frame reached the clip, half a line its journal.
    let clip2 = s.join("clips/000002.mjpeg");
    let whole = std::fs::read(&clip2).unwrap();
    let extra = augenblick::devices::sim::render_jpeg(8000.0, 320, 240);
    std::fs::write(&clip2, [&whole[..], &extra[..extra.len() / 2]].concat()).unwrap();
    let journal = s.join("clips/000002.journal");
    let mut j = std::fs::read_to_string(&journal).unwrap();
    j.push_str("frame,80");
    std::fs::write(&journal, j).unwrap();

    // Before repair the film reader skips the open clip, with a warning.
    let read = augenblick::session::read::read_session(&s).unwrap();
    assert_eq!(read.clips.len(), 1);
    assert!(
        read.warnings
            .iter()
            .any(|w| w.path.ends_with("000002.mjpeg")),
        "{:?}",
        read.warnings
    );

    let reps = augenblick::session::repair::repair_all(dir.path()).unwrap();
    assert!(reps.failed.is_empty(), "{:?}", reps.failed);
    assert_eq!(reps.repaired[0].clips_recovered, [2]);
    assert_eq!(clip_files(&s), ["000001.mjpeg", "000002.mjpeg"]);
    let blinks = blinks(&s);
    assert_eq!(blinks.len(), 2, "{blinks:?}");
    assert_eq!((blinks[0].clip, blinks[0].frames), (1, 7));
    assert_eq!(
        (blinks[1].clip, blinks[1].onset_ms, blinks[1].frames),
        (2, 5000.0, 92)
    );
    assert_eq!(blinks[1].offset_ms, *times.last().unwrap());
    let listed: Vec<f64> = frames(&s)
        .iter()
        .filter(|f| f.clip == 2)
        .map(|f| f.t_ms)
        .collect();
    assert_eq!(listed, times);
    let jpegs = clip_frames(&s, 2);
    assert_eq!(jpegs.len(), 92);
    assert_eq!(stamp_of(&jpegs[91]), Some(times[91].round() as u32));
    let text = std::fs::read_to_string(s.join("blinks.csv")).unwrap();
    assert!(text.lines().last().unwrap().contains(",NaN,NaN,"), "{text}");
    // The film export reads it, with nothing to warn about.
    let read = augenblick::session::read::read_session(&s).unwrap();
    assert_eq!(read.clips.len(), 2);
    assert_eq!(read.clips[1].frames.len(), 92);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert!(read.interrupted);
}

/// A smile held as a long closure: the recorder cuts the clip at a pause
/// and sends the closure's onset again (it goes on), then keeps the frames
/// of a blink on the smile. A power cut then: repair lists the closure, with
/// the frames kept before the pause and those of the blink.
#[test]
fn a_power_cut_during_a_paused_smile_keeps_its_closure() {
    use augenblick::session::writer::WriterCmd;
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    let s = w.dir().to_path_buf();
    w.apply(WriterCmd::Open { clip: 1 });
    let onset = || WriterCmd::Onset {
        onset_ms: 1000.0,
        detected_ms: 1040.0,
    };
    w.apply(onset());
    for i in 0..20 {
        w.apply(WriterCmd::Frame(frame(940.0 + 33.0 * i as f64)));
    }
    // The pause at 1300: frames after it are cut; the closure goes on.
    w.apply(WriterCmd::Trim { after_ms: 1300.0 });
    w.apply(onset());
    // A blink on the smile: its frames, from the ring.
    let blink: Vec<f64> = (0..8).map(|i| 1840.0 + 33.0 * i as f64).collect();
    for &t in &blink {
        w.apply(WriterCmd::Frame(frame(t)));
    }
    std::mem::forget(w); // the power goes
    let reps = augenblick::session::repair::repair_all(dir.path()).unwrap();
    assert!(reps.failed.is_empty(), "{:?}", reps.failed);
    let kept: Vec<f64> = (0..11)
        .map(|i| 940.0 + 33.0 * i as f64)
        .chain(blink.iter().copied())
        .collect();
    let listed: Vec<f64> = frames(&s).iter().map(|f| f.t_ms).collect();
    assert_eq!(listed, kept);
    let blinks = blinks(&s);
    assert_eq!(blinks.len(), 1, "{blinks:?}");
    assert_eq!(
        (blinks[0].clip, blinks[0].onset_ms, blinks[0].frames),
        (1, 1000.0, kept.len())
    );
    assert_eq!(blinks[0].offset_ms, *blink.last().unwrap());
    assert_eq!(clip_frames(&s, 1).len(), kept.len());
}

//! A full disk on a real filesystem: an 8 MiB tmpfs, mounted inside a user
//! and mount namespace (`unshare --user --map-root-user --mount`, no root
//! needed), that fills up in the middle of a session. The test runs itself
//! again inside the namespace (marked by `AUGENBLICK_TMPFS`), where the
//! session is recorded into the tmpfs and checked.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use augenblick::session::storage::{DiskStorage, Storage};
use common::*;

const INNER: &str = "AUGENBLICK_TMPFS";
const NAME: &str = "a_full_tmpfs_pauses_recording_cleanly_and_it_resumes_when_space_returns";
const SIZE: &str = "size=8m";

#[test]
fn a_full_tmpfs_pauses_recording_cleanly_and_it_resumes_when_space_returns() {
    if let Some(mnt) = std::env::var_os(INNER) {
        return inside(Path::new(&mnt));
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let exe = std::env::current_exe().unwrap();
    let script = format!("mount -t tmpfs -o {SIZE} augenblick-test \"$0\" && exec \"$@\"");
    let attempt = |ns: &[&str]| {
        Command::new("unshare")
            .args(ns)
            .args(["sh", "-c", &script])
            .arg(&mnt)
            .arg(&exe)
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env(INNER, &mnt)
            .output()
    };
    // Unprivileged first; as root, a mount namespace alone also works when
    // user namespaces are disabled (kernel.unprivileged_userns_clone=0).
    let mut refused = Vec::new();
    for ns in [
        &["--user", "--map-root-user", "--mount"][..],
        &["--mount"][..],
    ] {
        let out = match attempt(ns) {
            Ok(o) => o,
            Err(e) => panic!("cannot run unshare (util-linux): {e}"),
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stdout.contains("1 passed") {
            eprintln!("tmpfs via `unshare {}`:\n{stderr}", ns.join(" "));
            return;
        }
        if stdout.contains("running 1 test") {
            panic!("inside the tmpfs ({}):\n{stdout}\n{stderr}", ns.join(" "));
        }
        refused.push(format!("unshare {}: {}", ns.join(" "), stderr.trim()));
    }
    // Neither route to a real filesystem is open here: say why, do not fake it
    // (tests/session.rs covers ENOSPC through the Storage trait).
    eprintln!(
        "SKIPPED: the kernel refused a mount namespace for a tmpfs ({}); \
         run as root or enable user namespaces",
        refused.join("; ")
    );
}

/// Inside the namespace, with a fresh tmpfs at `mnt`.
fn inside(mnt: &Path) {
    let (samples, _) = labelled_trace(23, 120.0, 25.0);
    let sessions = mnt.join("sessions");
    std::fs::create_dir(&sessions).unwrap();
    // Fill the tmpfs but for ~600 KiB: the session's first minute or so fits.
    let filler = mnt.join("filler");
    let free = DiskStorage.free_bytes(mnt).unwrap();
    let keep = 600 << 10;
    std::fs::write(&filler, vec![0u8; (free - keep) as usize]).unwrap();
    let mut sim = Sim::new(samples, &sessions);
    sim.storage = Arc::new(DiskStorage);
    // The real ENOSPC path, not the free-space gate (20 MiB would stop it at once).
    sim.config.storage.min_free_mb = 0;
    let freed_at = Arc::new(Mutex::new(None));
    let (f, at) = (filler.clone(), freed_at.clone());
    sim.on_time = Some(Box::new(move |t| {
        // Space comes back at 80 s: the filler is deleted.
        if t >= 80_000.0 && f.exists() {
            std::fs::remove_file(&f).unwrap();
            *at.lock().unwrap() = Some(t);
        }
    }));
    let (summary, led) = sim.run();
    assert!(freed_at.lock().unwrap().is_some());
    let (s, info) = &summary.sessions[0];
    eprintln!("stats: {:?}", info.stats);
    // The process kept running to the end of the trace.
    assert!(info.duration_ms >= 119_000.0, "{}", info.duration_ms);
    assert!(
        info.stats.frames_dropped_disk + info.stats.onsets_skipped > 0,
        "the disk never filled: {:?}",
        info.stats
    );
    // Every listed clip is whole, and no file is left that no row names.
    let blinks = blinks(s);
    let frames = frames(s);
    for b in &blinks {
        assert_eq!(clip_frames(s, b.clip).len(), b.frames, "clip {}", b.clip);
        assert_eq!(frames.iter().filter(|f| f.clip == b.clip).count(), b.frames);
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(s.join("clips"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = blinks
        .iter()
        .map(|b| augenblick::session::clip_file_name(b.clip))
        .collect();
    listed.dedup();
    assert_eq!(on_disk, listed);
    // Recording paused while full and resumed once space came back.
    let before = blinks.iter().filter(|b| b.onset_ms < 40_000.0).count();
    let after = blinks.iter().filter(|b| b.onset_ms > 82_000.0).count();
    let gap = blinks
        .windows(2)
        .map(|w| w[1].onset_ms - w[0].offset_ms)
        .fold(0.0, f64::max);
    eprintln!(
        "{} blinks recorded: {before} before 40 s, {after} after 82 s; longest gap {gap:.0} ms",
        blinks.len()
    );
    assert!(before > 0 && after > 0, "{blinks:?}");
    assert!(gap > 15_000.0, "no pause in recording: {blinks:?}");
    // The LED showed the disk-full pattern (1.5 s on, 0.5 s off).
    let led = led.lock().unwrap().clone();
    let long_on = led
        .windows(2)
        .filter(|w| w[0].1 && (w[1].0 - w[0].0 - 1500.0).abs() <= 40.0)
        .count();
    assert!(long_on >= 3, "disk-full rhythm shown {long_on} times");
    // Every emg row waited and reached the disk; the session closed cleanly.
    let emg = std::fs::read_to_string(s.join("emg.csv")).unwrap();
    assert_eq!(emg.lines().count() - 1, 120 * 25);
    let toml = std::fs::read_to_string(s.join("session.toml")).unwrap();
    assert!(toml.contains("closed = true") && toml.contains("interrupted = false"));
    // The film export reads it without a warning; repair finds nothing torn.
    let read = augenblick::session::read::read_session(s).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.frame_count(), frames.len());
    std::fs::write(
        s.join("session.toml"),
        toml.replace("closed = true", "closed = false"),
    )
    .unwrap();
    let rep = augenblick::session::repair::repair(s).unwrap();
    assert_eq!(rep.bytes_cut, 0, "{rep:?}");
    assert!(rep.clips_recovered.is_empty(), "{rep:?}");
}

//! Which program maps what: `augenblick` (every session) maps none of
//! FFmpeg's libraries; `augenblick film` and `augenblick sheet` hand over to
//! `augenblick-film`, installed beside it, which does.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The libraries of a running process, from /proc/PID/maps.
fn mapped_libraries(pid: u32) -> Vec<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("/proc/PID/maps");
    let mut libs: Vec<String> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter_map(|p| Path::new(p).file_name()?.to_str().map(str::to_owned))
        .filter(|f| f.contains(".so"))
        .collect();
    libs.sort();
    libs.dedup();
    libs
}

#[test]
fn a_session_maps_none_of_ffmpegs_libraries() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("sessions");
    let mut child = Command::new(env!("CARGO_BIN_EXE_augenblick"))
        .args(["-q", "run", "--simulate", "--realtime", "--size", "320x240"])
        .arg("--sessions")
        .arg(&sessions)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once its session folder exists the session is under way (the
    // libraries were mapped before `main`).
    let start = Instant::now();
    while std::fs::read_dir(&sessions).map_or(true, |mut d| d.next().is_none()) {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("no session folder within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let libs = mapped_libraries(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        libs.iter().any(|l| l.starts_with("libc.so")),
        "the maps were not read: {libs:?}"
    );
    let ffmpeg: Vec<&String> = libs
        .iter()
        .filter(|l| {
            ["libavcodec", "libavformat", "libavutil", "libswscale"]
                .iter()
                .any(|f| l.starts_with(f))
        })
        .collect();
    assert!(ffmpeg.is_empty(), "a session maps {ffmpeg:?}");
}

#[cfg(feature = "film")]
mod film {
    use super::*;

    #[test]
    fn augenblick_film_runs_film_and_sheet_only() {
        let out = Command::new(env!("CARGO_BIN_EXE_augenblick-film"))
            .args(["detect", "no-such-trace.csv"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("`film` and `sheet` only"), "{err}");
    }

    #[test]
    fn without_augenblick_film_beside_it_film_says_where_it_should_be() {
        let tmp = tempfile::tempdir().unwrap();
        let alone = tmp.path().join("augenblick");
        std::fs::copy(env!("CARGO_BIN_EXE_augenblick"), &alone).unwrap();
        for sub in ["film", "sheet"] {
            let out = Command::new(&alone)
                .args([sub, "some-session"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{sub}");
            let err = String::from_utf8_lossy(&out.stderr);
            let missing = tmp.path().join("augenblick-film");
            assert!(
                err.contains(&format!("{} not found", missing.display()))
                    && err.contains("cargo install --path ."),
                "{sub}: {err}"
            );
        }
    }
}

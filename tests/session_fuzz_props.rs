//! A session folder from anywhere (a card pulled out mid-write, a copy gone
//! wrong, a hand edit) must never make the film's reader or repair panic:
//! they read what holds and say what does not. Folders here are built from
//! a real session's files, mangled: lines dropped, doubled, swapped or
//! replaced by junk, bytes flipped, files cut short or removed, clips
//! filled with a JPEG cut anywhere.
//!
//! Checked: `read_session` returns (a session or an error) without a panic,
//! before and after `repair_all`; repair returns without a panic; what a
//! session read holds is sane (clips in number order, each clip's frames in
//! time order with whole JPEGs behind them), and the film's plan of it tiles
//! its length.

mod common;

use std::path::Path;

use augenblick::session::read::read_session;
use augenblick::session::repair::repair_all;
use common::*;
use proptest::prelude::*;

/// One mangling of a text file's lines or a binary file's bytes.
#[derive(Debug, Clone)]
enum Mangle {
    DropLine(usize),
    DoubleLine(usize),
    SwapLines(usize, usize),
    JunkLine(usize, String),
    FlipByte(usize, u8),
    Cut(usize),
    Remove,
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        any::<usize>().prop_map(Mangle::DropLine),
        any::<usize>().prop_map(Mangle::DoubleLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mangle::SwapLines(a, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just(String::new()),
                Just("-5,1,0".to_string()),
                Just("1e309,2,1".to_string()),
                Just("NaN,NaN,NaN,1,3".to_string()),
                Just("12,4294967296,0".to_string()),
                Just("\u{feff}t_ms,clip,index".to_string()),
                "[ -~]{0,40}",
            ]
        )
            .prop_map(|(i, s)| Mangle::JunkLine(i, s)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mangle::FlipByte(i, b)),
        any::<usize>().prop_map(Mangle::Cut),
        Just(Mangle::Remove),
    ]
}

fn apply(path: &Path, m: &Mangle) {
    let Ok(data) = std::fs::read(path) else {
        return;
    };
    let lines = || -> Vec<Vec<u8>> {
        data.split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    let out: Vec<u8> = match m {
        Mangle::Remove => {
            let _ = std::fs::remove_file(path);
            return;
        }
        Mangle::Cut(at) => data[..at % (data.len() + 1)].to_vec(),
        Mangle::FlipByte(at, b) if !data.is_empty() => {
            let mut d = data.clone();
            d[at % data.len()] ^= b | 1;
            d
        }
        Mangle::FlipByte(..) => data.clone(),
        Mangle::DropLine(i)
        | Mangle::DoubleLine(i)
        | Mangle::JunkLine(i, _)
        | Mangle::SwapLines(i, _) => {
            let mut l = lines();
            if l.is_empty() {
                return;
            }
            let i = i % l.len();
            match m {
                Mangle::DropLine(_) => {
                    l.remove(i);
                }
                Mangle::DoubleLine(_) => l.insert(i, l[i].clone()),
                Mangle::JunkLine(_, s) => l[i] = format!("{s}\n").into_bytes(),
                Mangle::SwapLines(_, j) => {
                    let j = j % l.len();
                    l.swap(i, j);
                }
                _ => unreachable!(),
            }
            l.concat()
        }
    };
    std::fs::write(path, out).unwrap();
}

/// What a read session must hold, whatever the folder looked like.
fn sane(s: &augenblick::session::read::Session) -> Result<(), TestCaseError> {
    // Clips in time order, each once; frames in time order, each JPEG once.
    prop_assert!(s
        .clips
        .windows(2)
        .all(|w| w[0].frames[0].t_ms <= w[1].frames[0].t_ms));
    let numbers: std::collections::BTreeSet<u32> = s.clips.iter().map(|c| c.number).collect();
    prop_assert_eq!(numbers.len(), s.clips.len(), "a clip number twice");
    for c in &s.clips {
        prop_assert!(
            c.frames.windows(2).all(|w| w[0].t_ms <= w[1].t_ms),
            "clip {} frames out of order",
            c.number
        );
        let indices: std::collections::BTreeSet<u32> = c.frames.iter().map(|f| f.index).collect();
        prop_assert_eq!(
            indices.len(),
            c.frames.len(),
            "clip {}: a JPEG shown twice: {:?}",
            c.number,
            c.frames
        );
    }
    #[cfg(feature = "film")]
    {
        use augenblick::film::plan::{shots, Mode};
        for mode in [Mode::Blinks, Mode::Negative] {
            let plan = shots(std::slice::from_ref(s), mode, None, 33.3);
            let mut at = 0.0;
            for shot in &plan {
                prop_assert!((shot.start_ms - at).abs() < 1e-6 && shot.end_ms >= shot.start_ms);
                at = shot.end_ms;
            }
        }
    }
    Ok(())
}

/// A real session to mangle, recorded once.
fn source() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (samples, _) = labelled_trace(3, 40.0, 25.0);
        let _ = Sim::new(samples, dir.path()).run();
        dir
    });
    let s = session_dirs(dir.path());
    Box::leak(s[0].clone().into_boxed_path())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_mangled_session_folder_never_panics_the_reader_or_repair(
        manglings in prop::collection::vec(
            (prop::sample::select(vec![
                "frames.csv", "blinks.csv", "emg.csv", "session.toml",
                "clips/000001.mjpeg", "clips/000002.mjpeg", "clips/000003.mjpeg",
            ]), mangle()),
            1..6,
        ),
        reopen in any::<bool>(),
    ) {
        let root = tempfile::tempdir().unwrap();
        let s = root.path().join("2026-01-01T00-00-00");
        copy_dir(source(), &s);
        if reopen {
            // As if it never closed: repair has work to do.
            let toml = std::fs::read_to_string(s.join("session.toml")).unwrap();
            std::fs::write(s.join("session.toml"), toml.replace("closed = true", "closed = false")).unwrap();
        }
        for (name, m) in &manglings {
            apply(&s.join(name), m);
        }
        if let Ok(read) = read_session(&s) {
            sane(&read)?;
        }
        let _ = repair_all(root.path());
        if let Ok(read) = read_session(&s) {
            sane(&read)?;
        }
    }
}

//! `augenblick film`: films decoded back, frame by frame, and their stamps
//! (the capture times the simulated camera drew into each frame) compared
//! with frames.csv.

#![cfg(feature = "film")]

mod film_common;

use augenblick::session::read::fixture::{FixtureSpec, WrittenFrame};
use film_common::*;

/// Median interval between consecutive frames within clips (the reader's
/// rule for how long a clip's last frame lasts), recomputed here from what
/// the fixture wrote.
fn median_gap(frames: &[WrittenFrame]) -> f64 {
    let mut gaps: Vec<u64> = frames
        .windows(2)
        .filter(|w| w[0].clip == w[1].clip && w[1].good | w[0].good)
        .filter(|w| !(is_torn(&w[1]) || is_torn(&w[0])))
        .map(|w| w[1].t_ms - w[0].t_ms)
        .collect();
    gaps.sort();
    let n = gaps.len();
    if n % 2 == 1 {
        gaps[n / 2] as f64
    } else {
        (gaps[n / 2 - 1] + gaps[n / 2]) as f64 / 2.0
    }
}

thread_local! {
    static TORN: std::cell::RefCell<Option<(u32, u32)>> = const { std::cell::RefCell::new(None) };
}
fn is_torn(f: &WrittenFrame) -> bool {
    TORN.with(|t| *t.borrow() == Some((f.clip, f.index)))
}

/// How long each good frame should be on screen in blinks mode: until the
/// next good frame of its clip (a corrupt frame's time goes to the frame
/// before it), or the median interval after the clip's last frame.
fn expected_blinks(frames: &[WrittenFrame], last_ms: f64) -> Vec<(u32, f64)> {
    let visible: Vec<&WrittenFrame> = frames.iter().filter(|f| !is_torn(f)).collect();
    let mut out = Vec::new();
    for (i, f) in visible.iter().enumerate() {
        if !f.good {
            continue;
        }
        let mut end = None;
        for g in &visible[i + 1..] {
            if g.clip != f.clip {
                break;
            }
            if g.good {
                end = Some(g.t_ms as f64);
                break;
            }
        }
        let last_visible = visible.iter().rev().find(|g| g.clip == f.clip).unwrap();
        let end = end.unwrap_or(last_visible.t_ms as f64 + last_ms);
        out.push((f.t_ms as u32, end - f.t_ms as f64));
    }
    out
}

#[test]
fn blinks_mode_shows_every_kept_frame_in_order_for_its_real_duration() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path());
    let torn_frame = fx
        .frames
        .iter()
        .find(|f| Some(f.clip) == fx.torn_clip && !f.good)
        .map(|f| (f.clip, f.index));
    TORN.with(|t| *t.borrow_mut() = torn_frame);
    let out = tmp.path().join("blinks.mp4");
    let o = export_film(&[fx.dir.as_path()], &out, &["--preset", "ultrafast"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let film = decode(&out);
    assert_eq!((film.width, film.height), (320, 240));
    assert_eq!(film.fps, 30.0);

    // Every frame of the film shows a camera frame, and exactly the good
    // ones appear, in capture order.
    assert!(film.stamps.iter().all(Option::is_some), "{:?}", film.runs());
    let want = shown_times(&fx);
    assert_eq!(film.shown(), want);

    // Each for as long as it lasted (rounded to the frame grid).
    let expected = expected_blinks(&fx.frames, median_gap(&fx.frames));
    let runs = film.runs();
    assert_eq!(runs.len(), expected.len());
    let period = 1000.0 / 30.0;
    for ((stamp, n), (t, ms)) in runs.iter().zip(&expected) {
        assert_eq!(stamp.unwrap(), *t);
        let want = ms / period;
        assert!(
            (*n as f64 - want).abs() <= 1.5,
            "frame {t}: {n} frames for {ms} ms"
        );
    }
    let total_ms: f64 = expected.iter().map(|(_, ms)| ms).sum();
    let n = film.stamps.len() as f64;
    assert!(
        (n - total_ms / period).abs() <= 1.0,
        "{n} frames for {total_ms} ms"
    );
    // The container keeps the last frame (packet durations set).
    assert!(
        (film.duration - n / 30.0).abs() < 0.5 / 30.0,
        "duration {} for {n} frames",
        film.duration
    );
    for w in film.pts.windows(2) {
        assert!((w[1] - w[0] - 1.0 / 30.0).abs() < 1e-3, "constant rate");
    }
}

#[test]
fn negative_cut_lasts_the_session_with_frames_at_their_real_times() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session_with(
        tmp.path(),
        FixtureSpec {
            duration_ms: 12_000,
            clips: 4,
            // An interrupted session: the length comes from emg.csv.
            write_duration: false,
            ..FixtureSpec::default()
        },
    );
    let out = tmp.path().join("negative.mp4");
    let o = export_film(
        &[fx.dir.as_path()],
        &out,
        &["--mode", "negative", "--preset", "ultrafast"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let film = decode(&out);
    let n = film.stamps.len() as f64;
    assert!((n - 12.0 * 30.0).abs() <= 1.0, "{n} frames for 12 s");
    assert!(
        (film.duration - 12.0).abs() <= 1.0 / 30.0,
        "{}",
        film.duration
    );
    let want = shown_times(&fx);
    assert_eq!(film.shown(), want);
    // Each frame first appears at its capture time (within two frames).
    for t in &want {
        let k = film.stamps.iter().position(|s| *s == Some(*t)).unwrap();
        let at = k as f64 * 1000.0 / 30.0;
        assert!((at - *t as f64).abs() <= 2.0 * 1000.0 / 30.0, "{t} at {at}");
    }
    // Eyes open: black, and most of the film.
    let black = film.stamps.iter().filter(|s| s.is_none()).count();
    assert!(black as f64 > 0.8 * n, "{black} black of {n}");
}

/// A session of `clips` clips over `duration_ms`, with no torn clip and no
/// corrupt frame: every frame shows.
fn clean(duration_ms: u64, clips: u32) -> FixtureSpec {
    FixtureSpec {
        duration_ms,
        clips,
        torn_clip: false,
        corrupt_frame: false,
        ..FixtureSpec::default()
    }
}

/// The capture times of a session's frames that decode, as a film shows them.
fn shown_times(fx: &augenblick::session::read::fixture::Fixture) -> Vec<u32> {
    fx.good_frames().iter().map(|f| f.t_ms as u32).collect()
}

/// `--negative` is the negative cut; `--still` in blinks mode is ignored
/// with a word, and a still that cannot be read then stops nothing.
#[test]
fn negative_shorthand_and_a_still_blinks_mode_ignores() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session_with(tmp.path(), clean(6_000, 2));
    let want = shown_times(&fx);
    // The shorthand makes the same film as the long form: the session in
    // real time, most of it black.
    let films: Vec<_> = [&["--negative"][..], &["--mode", "negative"][..]]
        .iter()
        .enumerate()
        .map(|(i, mode)| {
            let out = tmp.path().join(format!("negative-{i}.mp4"));
            let mut flags = mode.to_vec();
            flags.extend(["--preset", "ultrafast"]);
            let o = export_film(&[fx.dir.as_path()], &out, &flags);
            assert!(o.status.success(), "{}", stderr(&o));
            decode(&out)
        })
        .collect();
    assert_eq!(films[0].stamps, films[1].stamps);
    assert_eq!(films[0].shown(), want);
    let black = films[0].stamps.iter().filter(|s| s.is_none()).count();
    assert!(black > films[0].stamps.len() / 2, "{black} black frames");

    let out = tmp.path().join("blinks.mp4");
    let missing = tmp.path().join("no-such-poster.png");
    let o = export_film(
        &[fx.dir.as_path()],
        &out,
        &[
            "--still",
            missing.to_str().unwrap(),
            "--preset",
            "ultrafast",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--still is for --mode negative"),
        "{}",
        stderr(&o)
    );
    let film = decode(&out);
    assert_eq!(film.shown(), want);
    assert!(
        film.stamps.iter().all(Option::is_some),
        "black frames in blinks mode"
    );

    // Both spellings at once are refused.
    let o = export_film(
        &[fx.dir.as_path()],
        &out,
        &["--negative", "--mode", "blinks"],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

/// Of several folders, one that is no session (a stray folder in
/// `sessions/`) is left out with a warning, and a session cut off as it
/// began (an empty frames.csv, never repaired) is one with no frames: the
/// film is made from the rest. Alone, a folder that is no session is
/// still an error.
#[test]
fn a_bad_folder_among_sessions_is_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let good = session_with(tmp.path(), clean(4_000, 2));
    let stray = tmp.path().join("stray");
    std::fs::create_dir_all(stray.join("clips")).unwrap();
    let cut = tmp.path().join("cut-off");
    std::fs::create_dir_all(cut.join("clips")).unwrap();
    std::fs::write(cut.join("frames.csv"), "").unwrap();
    let out = tmp.path().join("film.mp4");
    let o = export_film(
        &[stray.as_path(), good.dir.as_path(), cut.as_path()],
        &out,
        &["--preset", "ultrafast"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("stray/frames.csv") && err.contains("left out"),
        "{err}"
    );
    assert!(err.contains("cut off as it began"), "{err}");
    let want = shown_times(&good);
    assert_eq!(decode(&out).shown(), want);

    let o = export_film(&[stray.as_path()], &out, &["--preset", "ultrafast"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is this a session folder?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn several_sessions_come_in_time_order() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = |name: &str, started: &str, seed| FixtureSpec {
        name: name.into(),
        started_at: started.into(),
        seed,
        ..clean(6_000, 2)
    };
    let late = session_with(tmp.path(), spec("b-late", "2026-11-23T10:00:00+01:00", 1));
    let early = session_with(tmp.path(), spec("a-early", "2026-11-23T09:30:00Z", 2));
    let out = tmp.path().join("two.mp4");
    let o = export_film(
        &[late.dir.as_path(), early.dir.as_path()],
        &out,
        &["--preset", "ultrafast", "--mode", "negative"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let film = decode(&out);
    // 10:00+01:00 is 09:00Z: "b-late" started first.
    let want: Vec<u32> = late
        .good_frames()
        .iter()
        .chain(&early.good_frames())
        .map(|f| f.t_ms as u32)
        .collect();
    assert_eq!(film.shown(), want);
    assert!((film.stamps.len() as f64 - 12.0 * 30.0).abs() <= 1.0);
}

#[test]
fn a_session_named_twice_is_filmed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let one = session_with(
        tmp.path(),
        FixtureSpec {
            name: "once".into(),
            seed: 3,
            ..clean(4_000, 2)
        },
    );
    // `sessions/* sessions/once`, or the same folder by another path.
    let again = tmp.path().join(".").join("once");
    let out = tmp.path().join("once.mp4");
    let o = export_film(
        &[one.dir.as_path(), again.as_path()],
        &out,
        &["--preset", "ultrafast"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("given more than once"),
        "{}",
        stderr(&o)
    );
    let want = shown_times(&one);
    assert_eq!(decode(&out).shown(), want);
}

#[test]
fn torn_and_corrupt_clips_are_skipped_with_a_warning_naming_them() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path());
    let (clip, index) = fx.corrupt.unwrap();
    let out = tmp.path().join("film.mp4");
    let o = export_film(&[fx.dir.as_path()], &out, &["--preset", "ultrafast"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let torn = format!("{:06}.mjpeg", fx.torn_clip.unwrap());
    assert!(
        err.lines().any(|l| l.contains(&torn) && l.contains("torn")),
        "{err}"
    );
    let corrupt = format!("{clip:06}.mjpeg: frame {index} ");
    assert!(
        err.lines()
            .any(|l| l.contains(&corrupt) && l.contains("corrupt")),
        "{err}"
    );
    assert!(out.exists());
    assert_eq!(decode(&out).shown().len(), fx.good_frames().len());
}

#[test]
fn a_failed_export_leaves_nothing_under_the_output_name() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path());
    let out = tmp.path().join("film.mp4");
    // The encoder refuses the preset after the part file was opened.
    let o = export_film(&[fx.dir.as_path()], &out, &["--preset", "no-such-preset"]);
    assert!(!o.status.success());
    assert!(!out.exists());
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
    // An earlier film under that name stays as it was.
    std::fs::write(&out, b"an earlier film").unwrap();
    let o = augenblick([
        "film".as_ref(),
        fx.dir.as_os_str(),
        "--mode".as_ref(),
        "negative".as_ref(),
        "--still".as_ref(),
        tmp.path().join("missing.png").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("missing.png"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), b"an earlier film");
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn codec_copy_keeps_the_jpeg_bytes_at_their_real_times() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path());
    let out = tmp.path().join("film.mkv");
    let o = export_film(&[fx.dir.as_path()], &out, &["--codec", "copy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let packets = packets(&out);
    let good = fx.good_frames();
    assert_eq!(packets.len(), good.len());
    for ((_, _, bytes), f) in packets.iter().zip(&good) {
        let clip = std::fs::read(
            fx.dir
                .join("clips")
                .join(augenblick::session::clip_file_name(f.clip)),
        )
        .unwrap();
        let (ranges, _) = augenblick::session::mjpeg::split(&clip);
        assert_eq!(bytes, &clip[ranges[f.index as usize].clone()]);
    }
    // Within a clip, packets are as far apart as the frames were captured
    // (except across the corrupt frame, whose time the frame before keeps).
    let ms: Vec<f64> = packets
        .iter()
        .map(|(p, tb, _)| *p as f64 * tb * 1000.0)
        .collect();
    assert_eq!(ms[0], 0.0);
    for (i, w) in good.windows(2).enumerate() {
        let d = ms[i + 1] - ms[i];
        assert!(d > 0.0);
        if w[0].clip == w[1].clip {
            assert!(
                (d - (w[1].t_ms - w[0].t_ms) as f64).abs() <= 1.0,
                "{:?}: {d}",
                w
            );
        }
    }
    let film = decode(&out);
    let want: Vec<u32> = good.iter().map(|f| f.t_ms as u32).collect();
    assert_eq!(film.shown(), want);
}

#[test]
fn the_fallback_encoder_makes_a_film_too() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path());
    let out = tmp.path().join("film.mp4");
    let o = export_film(
        &[fx.dir.as_path()],
        &out,
        &["--encoder", "mpeg4", "--crf", "12"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("mpeg4"), "{}", stderr(&o));
    let film = decode(&out);
    let want = shown_times(&fx);
    assert_eq!(film.shown(), want);
}

#[test]
fn separators_and_burn_in() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path());
    let out = tmp.path().join("film.mp4");
    let o = export_film(
        &[fx.dir.as_path()],
        &out,
        &[
            "--separator",
            "flash",
            "--burn-in",
            "--size",
            "640x480",
            "--fps",
            "60",
            "--preset",
            "ultrafast",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let film = decode(&out);
    assert_eq!((film.width, film.height, film.fps), (640, 480, 60.0));
    let want = shown_times(&fx);
    assert_eq!(film.shown(), want);
    // One unstamped run (the flash) between each pair of clips.
    let gaps = film.runs().iter().filter(|(s, _)| s.is_none()).count();
    assert_eq!(gaps, 5);
    assert!(film
        .runs()
        .iter()
        .all(|(s, n)| s.is_some() || (11..=13).contains(n)));
}

#[test]
fn codec_copy_negative_cut_lasts_the_session() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session_with(
        tmp.path(),
        FixtureSpec {
            duration_ms: 8_000,
            clips: 3,
            ..FixtureSpec::default()
        },
    );
    let out = tmp.path().join("negative.mkv");
    let o = export_film(
        &[fx.dir.as_path()],
        &out,
        &["--codec", "copy", "--mode", "negative"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let film = decode(&out);
    let want = shown_times(&fx);
    assert_eq!(film.shown(), want);
    assert!((film.duration - 8.0).abs() < 0.05, "{}", film.duration);
    // Every frame at its capture time.
    for (s, pts) in film.stamps.iter().zip(&film.pts) {
        if let Some(t) = s {
            assert!((pts * 1000.0 - *t as f64).abs() <= 1.0, "{t} at {pts}");
        }
    }
}

#[test]
fn warnings_take_their_own_line_under_the_progress_bar() {
    // On a terminal (`script` gives the export one) the progress bar is
    // drawn; a warning during the export must clear it and start its own
    // line, not be glued onto the bar's.
    let tmp = tempfile::tempdir().unwrap();
    let fx = session_with(
        tmp.path(),
        FixtureSpec {
            width: 640,
            height: 480,
            frames_per_clip: 60,
            ..FixtureSpec::default()
        },
    );
    let out = tmp.path().join("film.mp4");
    let log = tmp.path().join("terminal.txt");
    let bin = assert_cmd::cargo::cargo_bin("augenblick");
    let cmd = format!(
        "{} film {} --preset ultrafast -o {}",
        bin.display(),
        fx.dir.display(),
        out.display()
    );
    let status = std::process::Command::new("script")
        .args(["-qfec", &cmd])
        .arg(&log)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("script (util-linux) runs");
    assert!(status.success());
    let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    // Without the terminal's control sequences, split where the terminal
    // would start a line afresh.
    let plain = console::strip_ansi_codes(&text);
    assert!(plain.contains("frames"), "no progress bar drawn: {plain:?}");
    let warnings: Vec<&str> = plain
        .split(['\r', '\n'])
        .filter(|l| l.contains("WARN"))
        .collect();
    assert!(
        warnings.iter().any(|l| l.contains("corrupt")),
        "{warnings:#?}"
    );
    for w in &warnings {
        assert!(w.starts_with('['), "a warning shares the bar's line: {w:?}");
    }
}

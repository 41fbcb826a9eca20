//! Films of sessions the simulated appliance recorded (`augenblick run
//! --simulate`), decoded back: the stamps the simulated camera drew come out
//! in order and match frames.csv; the negative cut lasts the session.

#![cfg(feature = "film")]

mod film_common;

use film_common::*;

#[test]
fn films_of_a_simulated_session_match_its_frames_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("sessions");
    let o = augenblick([
        "run".as_ref(),
        "--simulate".as_ref(),
        "--duration".as_ref(),
        "20".as_ref(),
        "--sessions".as_ref(),
        sessions.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = std::fs::read_dir(&sessions)
        .unwrap()
        .next()
        .expect("a session folder")
        .unwrap()
        .path();
    let csv = std::fs::read_to_string(dir.join("frames.csv")).unwrap();
    let kept: Vec<u32> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse::<f64>().unwrap().round() as u32)
        .collect();
    assert!(kept.len() > 10, "the demo trace has blinks: {}", kept.len());
    let toml = std::fs::read_to_string(dir.join("session.toml")).unwrap();
    let duration_ms: f64 = toml
        .lines()
        .find_map(|l| l.strip_prefix("duration_ms = "))
        .unwrap()
        .parse()
        .unwrap();

    let blinks = tmp.path().join("blinks.mp4");
    let o = export_film(&[dir.as_path()], &blinks, &["--preset", "ultrafast"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let film = decode(&blinks);
    assert!(film.stamps.iter().all(Option::is_some));
    assert_eq!(film.shown(), kept);

    let negative = tmp.path().join("negative.mp4");
    let o = export_film(
        &[dir.as_path()],
        &negative,
        &["--mode", "negative", "--preset", "ultrafast"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let film = decode(&negative);
    assert_eq!(film.shown(), kept);
    let seconds = film.stamps.len() as f64 / film.fps;
    assert!(
        (seconds * 1000.0 - duration_ms).abs() <= 1000.0 / film.fps,
        "{seconds} s for a {duration_ms} ms session"
    );
}

//! Which config `augenblick run` uses: `--config FILE`, else the installed
//! /etc/augenblick/config.toml when it exists, else the built-in defaults.
//! The installed path is moved into a temporary folder through
//! `AUGENBLICK_INSTALLED_CONFIG` (nothing is written to /etc).

use std::path::Path;
use std::process::Command;

use augenblick::config::{config_path, INSTALLED_CONFIG_ENV};

/// Runs one second of the bundled demo trace; returns stderr and the
/// `pre_roll_ms` the session recorded in its session.toml.
fn run(installed: &Path, flag: Option<&Path>, sessions: &Path) -> (String, f64) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_augenblick"));
    cmd.args(["run", "--simulate", "--duration", "1", "--size", "64x48"])
        .arg("--sessions")
        .arg(sessions)
        .env(INSTALLED_CONFIG_ENV, installed);
    if let Some(f) = flag {
        cmd.arg("--config").arg(f);
    }
    let (stderr, toml) = session_of(cmd);
    let pre = toml["config"]["recording"]["pre_roll_ms"]
        .as_float()
        .unwrap();
    (stderr, pre)
}

/// Runs `augenblick run` as `cmd` says; it must succeed. Returns its stderr
/// and the session.toml of the session it printed.
fn session_of(mut cmd: Command) -> (String, toml::Table) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let toml = std::fs::read_to_string(Path::new(&dir).join("session.toml"))
        .unwrap()
        .parse()
        .unwrap();
    (stderr, toml)
}

#[test]
fn run_uses_the_flag_else_the_installed_config_else_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let installed = dir.path().join("etc/augenblick/config.toml");
    let sessions = dir.path().join("sessions");
    let default_pre = augenblick::config::Config::default().recording.pre_roll_ms;

    // A laptop: no installed file, defaults.
    let (err, pre) = run(&installed, None, &sessions);
    assert!(err.contains("config: built-in defaults"), "{err}");
    assert_eq!(pre, default_pre);

    // The glasses: the installed file is read without being named.
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::write(&installed, "[recording]\npre_roll_ms = 123.0\n").unwrap();
    let (err, pre) = run(&installed, None, &sessions);
    assert!(
        err.contains(&format!("config: {}", installed.display())),
        "{err}"
    );
    assert_eq!(pre, 123.0);

    // --config wins over the installed file.
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "[recording]\npre_roll_ms = 77.0\n").unwrap();
    let (err, pre) = run(&installed, Some(&other), &sessions);
    assert!(
        err.contains(&format!("config: {}", other.display())),
        "{err}"
    );
    assert_eq!(pre, 77.0);

    // A bad installed file stops `run`, naming the key.
    std::fs::write(&installed, "[recording]\npre_roll_ms = -5.0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_augenblick"))
        .args(["run", "--simulate", "--duration", "1"])
        .arg("--sessions")
        .arg(&sessions)
        .env(INSTALLED_CONFIG_ENV, &installed)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recording.pre_roll_ms"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_config_path_is_resolved_in_one_place() {
    let dir = tempfile::tempdir().unwrap();
    let installed = dir.path().join("config.toml");
    let flag = dir.path().join("mine.toml");
    assert_eq!(config_path(None, &installed), None);
    assert_eq!(config_path(Some(&flag), &installed), Some(flag.clone()));
    std::fs::write(&installed, "").unwrap();
    assert_eq!(config_path(None, &installed), Some(installed.clone()));
    assert_eq!(config_path(Some(&flag), &installed), Some(flag));
}

/// Runs a simulated session on `seconds` of resting signal sampled at
/// `hz`, with no installed config; returns its stderr and session.toml.
fn run_at(tmp: &Path, hz: f64, seconds: f64) -> (String, toml::Table) {
    let trace = tmp.join(format!("{hz}.csv"));
    let mut csv = String::from("t_ms,emg\n");
    for i in 0..(seconds * hz) as i32 {
        let t = f64::from(i) * 1000.0 / hz;
        csv.push_str(&format!("{t:.3},{}\n", 1000 + (i * 7919) % 11));
    }
    std::fs::write(&trace, csv).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_augenblick"));
    cmd.args(["run", "--simulate", "--size", "64x48", "--trace"])
        .arg(&trace)
        .arg("--sessions")
        .arg(tmp.join("sessions"))
        .env(INSTALLED_CONFIG_ENV, tmp.join("none.toml"));
    session_of(cmd)
}

#[test]
fn a_trace_faster_than_the_configured_data_rate_is_replayed_at_its_own_rate() {
    // 860 Hz (the ADS1115's fastest) against the default data rate of 128:
    // the simulation converts as fast as the trace was sampled, instead of
    // failing on `adc.data_rate_sps`, a key nobody set.
    let tmp = tempfile::tempdir().unwrap();
    let (_, toml) = run_at(tmp.path(), 860.0, 3.0);
    let adc = &toml["config"]["adc"];
    assert_eq!(adc["data_rate_sps"].as_integer(), Some(860));
    let hz = adc["sample_rate_hz"].as_float().unwrap();
    assert!((855.0..=860.0).contains(&hz), "{hz}");
}

#[test]
fn a_trace_slower_than_the_detector_is_made_for_is_replayed_with_a_warning() {
    // 16 Hz: a blink is one or two samples. The session runs (a trace is
    // what it is), and the log says what that costs; at 25 Hz it says nothing.
    let tmp = tempfile::tempdir().unwrap();
    for (hz, warns) in [(16.0, true), (25.0, false)] {
        let (stderr, _) = run_at(tmp.path(), hz, 3.0);
        let warned = stderr.contains("adc.sample_rate_hz = 16: samples come every 62 ms (16.0 Hz)");
        assert_eq!(warned, warns, "{hz} Hz: {stderr}");
        assert_eq!(
            stderr.contains("slower than the detector"),
            warns,
            "{stderr}"
        );
    }
}

/// `--trace` given a session's folder replays its `emg.csv`: a session
/// recorded on the glasses, run again through the appliance on a laptop.
#[test]
fn a_sessions_folder_is_replayed_from_its_emg_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, first) = run_at(tmp.path(), 100.0, 3.0);
    let first_dir = std::fs::read_dir(tmp.path().join("sessions"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_augenblick"));
    cmd.args(["run", "--simulate", "--size", "64x48", "--trace"])
        .arg(&first_dir)
        .arg("--sessions")
        .arg(tmp.path().join("again"))
        .env(INSTALLED_CONFIG_ENV, tmp.path().join("none.toml"));
    let (stderr, again) = session_of(cmd);
    // The report: counts in words, and no jitter figure on a virtual clock
    // (it is 0 there by construction).
    assert!(
        stderr.contains(": 3.0 s, 0 blinks in 0 clips, "),
        "{stderr}"
    );
    assert!(!stderr.contains("jitter"), "{stderr}");
    let emg = first_dir.join("emg.csv").display().to_string();
    assert_eq!(
        again["devices"]["emg"].as_str(),
        Some(format!("simulated: replays {emg}").as_str()),
        "{again:#?}"
    );
    // The same rate, read off the replayed samples.
    assert_eq!(
        again["config"]["adc"]["data_rate_sps"].as_integer(),
        first["config"]["adc"]["data_rate_sps"].as_integer()
    );
}

//! `augenblick tune` as a developer uses it: scoring, sweeps, plots, and
//! bad input that must end in a clear error, never a panic.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

/// Runs `augenblick ARGS...` and returns its output.
fn augenblick(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("augenblick");
    for a in args {
        cmd.arg(a);
    }
    cmd.output().expect("run augenblick")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn succeeds(o: &Output) {
    assert!(
        o.status.success(),
        "failed: {}\nstdout: {}",
        stderr(o),
        stdout(o)
    );
}

/// Fails cleanly: non-zero exit, the expected words, no panic.
fn fails_with(o: &Output, want: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "succeeded, want an error with {want:?}"
    );
    assert!(err.contains(want), "stderr {err:?} lacks {want:?}");
    assert!(!err.contains("panicked"), "panicked: {err}");
}

/// A minute of labelled signal in `dir/NAME/{trace,labels}.csv`.
fn scenario(dir: &Path, name: &str, seed: u64) -> (PathBuf, PathBuf, support::Labelled) {
    let data = support::blinks(60.0, 25.0, seed);
    let (t, l) = support::write(&dir.join(name), &data);
    (t, l, data)
}

#[test]
fn scores_a_trace_against_its_labels() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, data) = scenario(tmp.path(), "calm", 1);
    let o = augenblick(&[&"tune", &trace, &"--labels", &labels]);
    succeeds(&o);
    let out = stdout(&o);
    for column in [
        "precision",
        "recall",
        "F1",
        "lat med",
        "lat p90",
        "covered",
        "wrong",
        "FP/min",
    ] {
        assert!(out.contains(column), "no {column:?} in {out}");
    }
    let row = out
        .lines()
        .find(|l| l.starts_with("calm"))
        .expect("a row named after the folder");
    let labels_column: usize = row.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(labels_column, data.labels.len());
}

#[test]
fn json_gives_every_figure() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, data) = scenario(tmp.path(), "calm", 2);
    let o = augenblick(&[&"tune", &trace, &"-l", &labels, &"--json"]);
    succeeds(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let s = &v["evaluation"]["per_trace"][0];
    assert_eq!(s["labels"], data.labels.len());
    for key in [
        "precision",
        "recall",
        "f1",
        "closed_covered",
        "wrongly_recorded",
        "false_per_min",
    ] {
        let x = s[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} is a number"));
        assert!(x >= 0.0, "{key} = {x}");
    }
    let tp = s["true_positives"].as_u64().unwrap();
    let fneg = s["false_negatives"].as_u64().unwrap();
    assert_eq!(tp + fneg, data.labels.len() as u64);
    let default = augenblick::detector::DetectorConfig::default();
    assert_eq!(v["config"]["on_sigma"].as_f64(), Some(default.on_sigma));
}

#[test]
fn malformed_traces_and_labels_name_file_and_line() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 3);
    let bad_trace = tmp.path().join("bad.csv");
    std::fs::write(&bad_trace, "t_ms,emg\n0,100\n40,lots\n").unwrap();
    let o = augenblick(&[&"tune", &bad_trace, &"--labels", &labels]);
    fails_with(&o, "bad.csv:3: column `emg` is `lots`");

    let backwards = tmp.path().join("backwards.csv");
    std::fs::write(&backwards, "t_ms,emg\n0,100\n40,100\n20,100\n").unwrap();
    let o = augenblick(&[&"tune", &backwards, &"--labels", &labels]);
    fails_with(&o, "backwards.csv:4: time goes backwards");

    let bad_labels = tmp.path().join("bad-labels.csv");
    std::fs::write(&bad_labels, "onset_ms,offset_ms\n100,300\n500,x\n").unwrap();
    let o = augenblick(&[&"tune", &trace, &"--labels", &bad_labels]);
    fails_with(&o, "bad-labels.csv:3: column `offset_ms` is `x`");

    let empty = tmp.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let o = augenblick(&[&"tune", &trace, &"--labels", &empty]);
    fails_with(&o, "empty.csv: the file is empty");

    let o = augenblick(&[
        &"tune",
        &tmp.path().join("nowhere.csv"),
        &"--labels",
        &labels,
    ]);
    fails_with(&o, "nowhere.csv: cannot read");

    // `detect` prints nothing on stdout for a trace it cannot open.
    let wrong_header = tmp.path().join("wrong-header.csv");
    std::fs::write(&wrong_header, "time,value\n0,100\n").unwrap();
    let o = augenblick(&[&"detect", &wrong_header]);
    fails_with(&o, "wrong-header.csv:1: no column `t_ms`");
    assert_eq!(stdout(&o), "");
    let huge = tmp.path().join("huge.csv");
    std::fs::write(&huge, "t_ms,emg\n0,99999999999\n").unwrap();
    let o = augenblick(&[&"detect", &huge]);
    fails_with(
        &o,
        "huge.csv:2: column `emg` is `99999999999`, which is not an integer within",
    );

    // A spreadsheet's "Unicode text" (UTF-16, byte order mark first) is
    // named as such, for a trace and for labels; a UTF-8 byte order mark
    // is read as if it were not there.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "t_ms,emg\n0,100\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let u16_trace = tmp.path().join("unicode.csv");
    std::fs::write(&u16_trace, &utf16).unwrap();
    fails_with(
        &augenblick(&[&"detect", &u16_trace]),
        "unicode.csv:1: the file is UTF-16 text",
    );
    fails_with(
        &augenblick(&[&"tune", &trace, &"--labels", &u16_trace]),
        "unicode.csv:1: the file is UTF-16 text",
    );
    let bom = tmp.path().join("bom.csv");
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend(std::fs::read(&trace).unwrap());
    std::fs::write(&bom, with_bom).unwrap();
    let o = augenblick(&[&"detect", &bom]);
    succeeds(&o);
    assert_eq!(stdout(&o), stdout(&augenblick(&[&"detect", &trace])));

    // Overlapping closures are scored as they are, with a warning that
    // names the line.
    let overlapping = tmp.path().join("overlapping.csv");
    std::fs::write(&overlapping, "onset_ms,offset_ms\n100,300\n200,400\n").unwrap();
    let o = augenblick(&[&"tune", &trace, &"--labels", &overlapping]);
    succeeds(&o);
    assert!(
        stderr(&o).contains("overlapping.csv:3: this closure (onset_ms 200) begins before"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_trace_without_labels_asks_for_them() {
    let tmp = TempDir::new().unwrap();
    let lonely = tmp.path().join("lonely.csv");
    std::fs::write(&lonely, "t_ms,emg\n0,100\n").unwrap();
    fails_with(&augenblick(&[&"tune", &lonely]), "--labels");
    fails_with(
        &augenblick(&[&"tune", &tmp.path()]),
        "no trace.csv with a labels.csv",
    );
}

/// Labels that cannot belong to the trace (all past its end, or none at
/// all) are still scored, with a word on why the figures look so bad; the
/// trace's own labels draw none.
#[test]
fn labels_outside_the_trace_draw_a_warning() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 2);
    let o = augenblick(&[&"tune", &trace, &"--labels", &labels]);
    succeeds(&o);
    assert!(!stderr(&o).contains("WARN"), "{}", stderr(&o));
    let cases = [
        (
            "later.csv",
            "onset_ms,offset_ms\n1000,1200\n90000,90200\n95000,95300\n",
            "2 of 3 labelled closures lie outside the trace (0.0-60.0 s), e.g. 90000-90200 ms",
        ),
        (
            "none.csv",
            "onset_ms,offset_ms\n",
            "no closures are labelled",
        ),
    ];
    for (name, text, want) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        let o = augenblick(&[&"tune", &trace, &"--labels", &path]);
        succeeds(&o);
        let err = stderr(&o);
        assert!(err.contains(want), "{name}: {err}");
        assert!(err.contains(name), "{name}: the file is not named: {err}");
        assert!(stdout(&o).contains("precision"), "{name}: no table");
    }
}

#[test]
fn a_folder_of_scenarios_is_scored_together() {
    let tmp = TempDir::new().unwrap();
    scenario(tmp.path(), "alpha", 4);
    scenario(tmp.path(), "beta", 5);
    let o = augenblick(&[&"tune", &tmp.path()]);
    succeeds(&o);
    let out = stdout(&o);
    for row in ["alpha", "beta", "(pooled)", "worst F1"] {
        assert!(
            out.lines().any(|l| l.starts_with(row)),
            "no {row:?} row in {out}"
        );
    }
}

#[test]
fn a_sweep_writes_a_config_that_detect_and_tune_accept() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 6);
    let best = tmp.path().join("best.toml");
    let o = augenblick(&[
        &"tune",
        &trace,
        &"--labels",
        &labels,
        &"--sweep",
        &"on_sigma=4:8:2",
        &"--sweep",
        &"min_closure_ms=20,60",
        &"--top",
        &"3",
        &"--write-best",
        &best,
    ]);
    succeeds(&o);
    let out = stdout(&o);
    assert!(out.contains("Best 3 configs"), "{out}");
    assert!(out.contains("6 configs"), "{out}");
    let text = std::fs::read_to_string(&best).unwrap();
    let table: toml::Table = toml::from_str(&text).expect("valid TOML");
    let on = table["detector"]["on_sigma"].as_float().unwrap();
    assert!(
        [4.0, 6.0, 8.0].contains(&on),
        "on_sigma {on} is a grid value"
    );
    let min = table["detector"]["min_closure_ms"].as_float().unwrap();
    assert!(
        [20.0, 60.0].contains(&min),
        "min_closure_ms {min} is a grid value"
    );

    let o = augenblick(&[&"detect", &trace, &"--config", &best]);
    succeeds(&o);
    assert!(stdout(&o).starts_with("onset_ms,offset_ms,detected_ms"));
    succeeds(&augenblick(&[
        &"tune",
        &trace,
        &"-l",
        &labels,
        &"--config",
        &best,
    ]));
}

/// A trace that prints no rows says why: the signal was at fault, and how
/// long, on stderr; a sound one says nothing (not even that its blinks are
/// clipped: see `detect_says_when_the_blinks_are_clipped`).
#[test]
fn detect_says_how_long_the_signal_was_at_fault() {
    let tmp = TempDir::new().unwrap();
    let (sound, _, data) = scenario(tmp.path(), "sound", 4);
    let o = augenblick(&[&"detect", &sound]);
    succeeds(&o);
    assert!(
        stdout(&o).lines().count() > 1,
        "no closures: {}",
        stdout(&o)
    );
    assert!(!stderr(&o).contains("at fault"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("clipped"), "{}", stderr(&o));

    // The same minute with its second half fallen to the ground (a cable
    // out).
    let mut railed = data.clone();
    let half = railed.samples.len() / 2;
    for s in &mut railed.samples[half..] {
        s.emg = 0;
    }
    let (trace, _) = support::write(&tmp.path().join("railed"), &railed);
    let o = augenblick(&[&"detect", &trace]);
    succeeds(&o);
    let err = stderr(&o);
    assert!(err.contains("at fault"), "{err}");
    // Railed from (nearly) the first sample at the rail to the end.
    let secs: f64 = err
        .split("1 stretch (railed ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no railed time in {err}"));
    assert!((29.0..=30.0).contains(&secs), "railed {secs} s: {err}");
    let rows: Vec<f64> = stdout(&o)
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let rail_ms = railed.samples[half].t_ms;
    assert!(
        rows.iter().all(|&on| on < rail_ms),
        "closures in the fault: {rows:?}"
    );

    // `--events`: the same closures, each after its onset, and the fault.
    let plain = stdout(&o);
    let o = augenblick(&[&"detect", &trace, &"--events"]);
    succeeds(&o);
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("t_ms,event,onset_ms,offset_ms,detected_ms,peak,score,fault")
    );
    let events: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(events.iter().all(|e| e.len() == 8), "{text}");
    let closures: Vec<String> = events
        .iter()
        .filter(|e| e[1] == "closure")
        .map(|e| e[2..7].join(","))
        .collect();
    let want: Vec<&str> = plain.lines().skip(1).collect();
    assert!(!want.is_empty());
    assert_eq!(closures, want);
    for (at, c) in events.iter().enumerate().filter(|(_, e)| e[1] == "closure") {
        let onset = events
            .iter()
            .position(|e| e[1] == "onset" && e[2] == c[2])
            .unwrap_or_else(|| panic!("no onset for {c:?}"));
        assert!(onset < at, "{c:?}");
    }
    let faults: Vec<&Vec<&str>> = events.iter().filter(|e| e[1] == "fault_start").collect();
    assert_eq!(faults.len(), 1, "{text}");
    assert_eq!(faults[0][7], "railed");
    // A signal that fell to the ground is judged by how far below the
    // baseline it stays (`wild_ms`, 400 ms, once its mean depth is there):
    // a quiet muscle may rest at the ground, so being there is not enough.
    let start: f64 = faults[0][2].parse().unwrap();
    assert!(
        (rail_ms..rail_ms + 600.0).contains(&start),
        "fault from {start}"
    );
}

/// A trace sampled slower than the detector is made for is still read, and
/// `detect` and `tune` say what the rate costs; a 25 Hz one draws no word.
#[test]
fn a_trace_below_22_hz_draws_a_warning() {
    let tmp = TempDir::new().unwrap();
    for (rate, warns) in [("16", true), ("20", true), ("25", false), ("100", false)] {
        let dir = tmp.path().join(rate);
        succeeds(&augenblick(&[
            &"synth",
            &"--scenario",
            &"calm",
            &"--minutes",
            &"0.5",
            &"--rate",
            &rate,
            &"--out",
            &dir,
        ]));
        let trace = dir.join("trace.csv");
        let want = format!("({rate}.0 Hz), slower than the detector is made for");
        for command in ["detect", "tune"] {
            let o = augenblick(&[&command, &trace]);
            succeeds(&o);
            let err = stderr(&o);
            assert_eq!(err.contains(&want), warns, "{command}, {rate} Hz: {err}");
            assert!(
                stdout(&o).lines().count() > 1,
                "{command}: nothing at {rate} Hz"
            );
        }
    }
}

/// Blinks that all reach one top (a gain so high that the envelope clips
/// at the sensor's supply) draw a warning from `detect`; tall blinks that
/// scatter as blinks do draw none.
#[test]
fn detect_says_when_the_blinks_are_clipped() {
    let tmp = TempDir::new().unwrap();
    // The sound minute draws no such warning (checked in
    // `detect_says_how_long_the_signal_was_at_fault`).
    let (sound, _, data) = scenario(tmp.path(), "sound", 4);
    // Rest at 8000 counts, and a gain that takes a blink's 500 counts
    // twice as far as the supply at 26400, where the envelope is cut.
    let mut v: Vec<i32> = data.samples.iter().map(|s| s.emg).collect();
    v.sort_unstable();
    let median = f64::from(v[v.len() / 2]);
    let mut high = data.clone();
    for s in &mut high.samples {
        let gain = 2.0 * (26400.0 - 8000.0) / 500.0;
        s.emg = (8000.0 + gain * (f64::from(s.emg) - median)).clamp(0.0, 26400.0) as i32;
    }
    assert!(high.samples.iter().filter(|s| s.emg == 26400).count() > 20);
    let (trace, _) = support::write(&tmp.path().join("high"), &high);
    let o = augenblick(&[&"detect", &trace]);
    succeeds(&o);
    let err = stderr(&o);
    assert!(
        err.contains("blinks reach 26400 counts again and again"),
        "{err}"
    );
    assert!(stdout(&o).lines().count() > 3, "{}", stdout(&o));
    // `tune` says it too, of that trace only (labels.csv beside each).
    let o = augenblick(&[&"tune", &trace, &sound]);
    succeeds(&o);
    let err = stderr(&o);
    assert_eq!(err.matches("again and again").count(), 1, "{err}");
    assert!(err.contains("high/trace.csv: blinks reach 26400"), "{err}");
}

/// Configs that cannot differ (a `min_closure_ms` under `reopen_ms` never
/// binds) run once, and the sweep says so; each still has its row.
#[test]
fn a_sweep_runs_configs_that_behave_alike_once() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 3);
    let o = augenblick(&[
        &"tune",
        &trace,
        &"--labels",
        &labels,
        &"--sweep",
        &"min_closure_ms=0,50,100,400",
        &"--top",
        &"4",
    ]);
    succeeds(&o);
    let err = stderr(&o);
    assert!(
        err.contains("2 of the 4 configs behave exactly as another of them")
            && err.contains("2 distinct runs"),
        "{err}"
    );
    let out = stdout(&o);
    for v in ["0", "50", "100", "400"] {
        assert!(
            out.lines().any(|l| l.split_whitespace().nth(1) == Some(v)),
            "no row for {v}: {out}"
        );
    }
}

/// `augenblick detect T.csv | head`: the reader leaving early is no error.
#[test]
fn detect_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let tmp = TempDir::new().unwrap();
    // An hour of blinks: --events writes well over a pipe's 64 KiB.
    let data = support::blinks(3600.0, 25.0, 9);
    let (trace, _) = support::write(&tmp.path().join("hour"), &data);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("augenblick"))
        .args(["detect", "--events"])
        .arg(&trace)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("t_ms,event"), "{first}");
    // The pipe closes here, with most of the output unread.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn a_sweep_file_and_json_output() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 7);
    let file = tmp.path().join("sweep.toml");
    std::fs::write(
        &file,
        "[sweep]\non_sigma = [5, 7]\nrefractory_ms = \"50:150:50\"\n",
    )
    .unwrap();
    let o = augenblick(&[
        &"tune",
        &trace,
        &"-l",
        &labels,
        &"--sweep-file",
        &file,
        &"--json",
        &"--top",
        &"2",
    ]);
    succeeds(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["configs"], 6);
    assert_eq!(v["best"].as_array().unwrap().len(), 2);
    let f1 = |i: usize| v["best"][i]["evaluation"]["worst_f1"].as_f64().unwrap();
    assert!(f1(0) >= f1(1), "best first");
}

#[test]
fn bad_sweeps_say_how_to_write_them() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 8);
    let run = |spec: &str| augenblick(&[&"tune", &trace, &"-l", &labels, &"--sweep", &spec]);
    fails_with(&run("on_sigma=4:8"), "NAME=START:STOP:STEP");
    fails_with(&run("on_sigma=8:4:1"), "below START");
    fails_with(&run("bogus=1,2"), "no detector parameter `bogus`");
    fails_with(
        &run("off_sigma=50,60"),
        "every config of the grid is invalid",
    );
    let o = augenblick(&[&"tune", &trace, &"-l", &labels, &"--write-best", &"x.toml"]);
    fails_with(&o, "--write-best needs a sweep");
    let o = augenblick(&[
        &"tune",
        &trace,
        &"-l",
        &labels,
        &"--sweep",
        &"on_sigma=4,5",
        &"--top",
        &"0",
    ]);
    fails_with(&o, "give a number of configs, 1 or more");
}

/// The SVG that `command --plot svg` draws of seconds 10 to 20.
fn svg_window(command: &[&dyn AsRef<std::ffi::OsStr>], svg: &Path) -> String {
    let window: [&dyn AsRef<std::ffi::OsStr>; 6] = [
        &"--plot",
        &svg,
        &"--from-ms",
        &"10000",
        &"--to-ms",
        &"20000",
    ];
    let args: Vec<_> = command.iter().chain(&window).copied().collect();
    succeeds(&augenblick(&args));
    std::fs::read_to_string(svg).unwrap()
}

#[test]
fn plots_are_valid_png_and_svg() {
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 9);
    let png = tmp.path().join("whole.png");
    succeeds(&augenblick(&[
        &"tune", &trace, &"-l", &labels, &"--plot", &png,
    ]));
    let img = image::open(&png).expect("a PNG that decodes");
    assert_eq!((img.width(), img.height()), (1600, 560));
    // Not a blank canvas: text, lines and shading leave many colours.
    let rgb = img.to_rgb8();
    let mut colours: Vec<[u8; 3]> = rgb.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 20, "{} colours", colours.len());

    let text = svg_window(
        &[&"tune", &trace, &"-l", &labels],
        &tmp.path().join("w.svg"),
    );
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    assert!(text.contains("EMG envelope") && text.contains("time (s)"));
    assert!(text.contains("label (eye closed)"));

    // A plot of `path` with more arguments.
    let plot = |path: &Path, more: &[&str]| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"tune", &trace, &"-l", &labels, &"--plot", &path];
        args.extend(more.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
        augenblick(&args)
    };
    // Told before the scoring: no table first.
    let o = plot(&tmp.path().join("x.gif"), &[]);
    fails_with(&o, "name the file `.png` or `.svg`");
    assert_eq!(stdout(&o), "");
    let o = plot(&png, &["--from-ms", "5000", "--to-ms", "1000"]);
    fails_with(&o, "--to-ms 1000 must come after --from-ms 5000");
    assert_eq!(stdout(&o), "");
    fails_with(
        &plot(&png, &["--from-ms", "5000000", "--to-ms", "6000000"]),
        "nothing to draw",
    );
    fails_with(
        &plot(&png, &["--from-ms", "5000000"]),
        "must come after --from-ms",
    );
}

#[test]
fn error_plots_show_each_miss() {
    let tmp = TempDir::new().unwrap();
    // The labels tell of closures the signal does not show: every one is a miss.
    let mut data = support::blinks(60.0, 25.0, 10);
    for s in &mut data.samples {
        s.emg = s.emg.min(2010);
    }
    let (trace, labels) = support::write(&tmp.path().join("calm"), &data);
    let dir = tmp.path().join("errors");
    let o = augenblick(&[&"tune", &trace, &"-l", &labels, &"--plot-errors", &dir]);
    succeeds(&o);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let misses = files.iter().filter(|f| f.ends_with("-miss.png")).count();
    assert_eq!(misses, data.labels.len(), "{files:?}");
    assert!(files
        .iter()
        .all(|f| f.ends_with("-miss.png") || f.ends_with("-false-positive.png")));
    assert!(stderr(&o).contains(&format!("{misses} misses")));
    let first = data.labels[0].onset_ms / 1000.0;
    let name = format!("t{first:010.3}s-miss.png");
    assert!(files.contains(&name), "no {name} in {files:?}");
    image::open(dir.join(&name)).expect("a PNG that decodes");
}

#[test]
fn every_synth_scenario_is_scored_in_one_go() {
    let tmp = TempDir::new().unwrap();
    let suite = tmp.path().join("suite");
    succeeds(&augenblick(&[
        &"synth",
        &"--scenario",
        &"all",
        &"--minutes",
        &"1",
        &"--out",
        &suite,
    ]));
    let o = augenblick(&[&"tune", &suite]);
    succeeds(&o);
    let out = stdout(&o);
    let names = stdout(&augenblick(&[&"synth", &"--list"]));
    for name in names.lines().filter_map(|l| l.split_whitespace().next()) {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "no row for scenario {name} in {out}"
        );
    }
    assert!(out.contains("(pooled)"));
}

#[test]
fn mistakes_are_listed_by_time() {
    let tmp = TempDir::new().unwrap();
    let data = support::blinks(60.0, 25.0, 3);
    // Labels the trace does not bear out: two blinks left unlabelled (false
    // positives), and closures invented in the quiet between two (misses).
    let mut labels = data.labels.clone();
    let unlabelled = [labels.remove(5), labels.remove(2)];
    // (In the quiet between two of the detector's closures: noise can
    // pass for a small blink now and then.)
    let found = augenblick::tune::sweep::run_detector(
        &augenblick::detector::DetectorConfig::default(),
        &data.samples,
    )
    .unwrap();
    let invented: Vec<augenblick::trace::Label> = found
        .windows(2)
        .filter(|w| w[1].onset_ms - w[0].offset_ms > 3000.0)
        .take(2)
        .map(|w| {
            let mid = (w[0].offset_ms + w[1].onset_ms) / 2.0;
            augenblick::trace::Label {
                onset_ms: mid.round(),
                offset_ms: mid.round() + 200.0,
            }
        })
        .collect();
    assert_eq!(invented.len(), 2, "no quiet stretch for a made-up closure");
    labels.extend(&invented);
    labels.sort_by(|a, b| a.onset_ms.total_cmp(&b.onset_ms));
    let (trace, labels_csv) = support::write(
        &tmp.path().join("calm"),
        &support::Labelled {
            samples: data.samples.clone(),
            labels,
        },
    );

    let o = augenblick(&[&"tune", &trace, &"-l", &labels_csv, &"--json"]);
    succeeds(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let s = &v["evaluation"]["per_trace"][0];
    let m = &v["mistakes"][0];
    assert_eq!(m["trace"], "calm");
    let fps = m["false_positives"].as_array().unwrap();
    let missed = m["missed"].as_array().unwrap();
    assert_eq!(fps.len() as u64, s["false_positives"].as_u64().unwrap());
    assert_eq!(missed.len() as u64, s["false_negatives"].as_u64().unwrap());
    let onset = |x: &serde_json::Value| x["onset_ms"].as_f64().unwrap();
    for l in &invented {
        assert!(
            missed.iter().any(|x| (onset(x) - l.onset_ms).abs() < 0.5),
            "the made-up closure at {} ms is not among the misses: {missed:?}",
            l.onset_ms
        );
    }
    for l in &unlabelled {
        assert!(
            fps.iter().any(|x| (onset(x) - l.onset_ms).abs() < 150.0
                && x["detected_ms"].as_f64().unwrap() >= onset(x)),
            "the unlabelled blink at {} ms is not among the false positives: {fps:?}",
            l.onset_ms
        );
    }

    let o = augenblick(&[&"tune", &trace, &"-l", &labels_csv, &"--mistakes"]);
    succeeds(&o);
    let out = stdout(&o);
    for l in &invented {
        let line = format!("missed         {:.0}-{:.0} ms", l.onset_ms, l.offset_ms);
        assert!(out.contains(&line), "no {line:?} in {out}");
    }
    assert_eq!(
        out.lines()
            .filter(|l| l.trim_start().starts_with("false positive"))
            .count(),
        fps.len(),
        "{out}"
    );
    let o = augenblick(&[
        &"tune",
        &trace,
        &"-l",
        &labels_csv,
        &"--mistakes",
        &"--sweep",
        &"on_sigma=4,5",
    ]);
    assert!(!o.status.success(), "--mistakes with a sweep was taken");
}

#[test]
fn tables_into_a_closed_pipe_end_quietly() {
    // A reader that left before a line was written (`... | head -0`): every
    // write fails with a broken pipe, and that is no error and no panic.
    let tmp = TempDir::new().unwrap();
    let (trace, labels, _) = scenario(tmp.path(), "calm", 4);
    let runs: [&[&dyn AsRef<std::ffi::OsStr>]; 4] = [
        &[&"tune", &trace, &"-l", &labels],
        &[&"tune", &trace, &"-l", &labels, &"--mistakes"],
        &[&"tune", &trace, &"-l", &labels, &"--sweep", &"on_sigma=4,5"],
        &[&"synth", &"--list"],
    ];
    for args in runs {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("augenblick"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let shown: Vec<String> = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        assert!(out.status.success(), "{shown:?}: {:?}: {err}", out.status);
        assert!(!err.contains("panicked"), "{shown:?}: {err}");
    }
}

#[test]
fn detect_draws_a_trace_without_labels() {
    let tmp = TempDir::new().unwrap();
    let (trace, _, data) = scenario(tmp.path(), "calm", 11);
    let png = tmp.path().join("calm.png");
    let o = augenblick(&[&"detect", &trace, &"--plot", &png]);
    succeeds(&o);
    // The closures still go to stdout, as without the plot.
    let plain = augenblick(&[&"detect", &trace]);
    assert_eq!(stdout(&o), stdout(&plain));
    assert!(stdout(&o).lines().count() > data.labels.len() / 2);
    let img = image::open(&png).expect("a PNG that decodes");
    assert_eq!((img.width(), img.height()), (1600, 560));
    let text = svg_window(&[&"detect", &trace], &tmp.path().join("w.svg"));
    assert!(text.contains("10.0 s to 20.0 s"), "no window in the title");
    assert!(
        !text.contains("label (eye closed)"),
        "a key for labels not drawn"
    );
    // Refused before a row is printed.
    let o = augenblick(&[&"detect", &trace, &"--plot", &tmp.path().join("x.gif")]);
    fails_with(&o, "name the file `.png` or `.svg`");
    assert_eq!(stdout(&o), "");
    let o = augenblick(&[&"detect", &trace, &"--from-ms", &"5"]);
    assert!(!o.status.success(), "--from-ms without --plot was taken");
}

/// `detect` given a folder reads the trace in it: a session's `emg.csv`
/// (the session's own detector state column is ignored) or synth's
/// `trace.csv`; `tune` given a session's folder says how to look at it.
#[test]
fn detect_reads_the_trace_in_a_session_or_synth_folder() {
    let tmp = TempDir::new().unwrap();
    let (trace, _, _) = scenario(tmp.path(), "synth", 3);
    let by_file = augenblick(&[&"detect", &trace]);
    succeeds(&by_file);
    assert!(stdout(&by_file).lines().count() > 5, "{}", stdout(&by_file));
    let by_folder = augenblick(&[&"detect", &tmp.path().join("synth")]);
    succeeds(&by_folder);
    assert_eq!(stdout(&by_folder), stdout(&by_file));

    // A session: emg.csv with the state column.
    let session = tmp.path().join("2026-12-02T06-00-00");
    std::fs::create_dir_all(&session).unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut emg = String::from("t_ms,emg,state\n");
    for line in text.lines().skip(1) {
        emg += &format!("{line},open\n");
    }
    std::fs::write(session.join("emg.csv"), emg).unwrap();
    let o = augenblick(&[&"detect", &session]);
    succeeds(&o);
    assert_eq!(stdout(&o), stdout(&by_file));
    fails_with(
        &augenblick(&[&"tune", &session]),
        "a session's emg.csv has no labels",
    );

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    fails_with(
        &augenblick(&[&"detect", &empty]),
        "neither emg.csv (a session's) nor trace.csv (synth's)",
    );
}

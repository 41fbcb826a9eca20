//! `augenblick synth`: determinism, well-formed labels, rates, the sensor's
//! range, and artefacts where the truth says they are.

use std::path::Path;

use assert_cmd::Command;
use augenblick::synth::{
    self, generate, scenario_names, EpisodeKind, FaultKind, Scenario, SynthOptions, Truth,
    RAIL_COUNTS,
};
use augenblick::trace::{read_labels, read_trace, Label, Sample};

fn make(scenario: Scenario, seed: u64, minutes: f64) -> (Vec<Sample>, Truth) {
    let opts = SynthOptions {
        minutes,
        ..SynthOptions::new(scenario, seed)
    };
    let mut samples = Vec::new();
    let truth = generate(&opts, |s| samples.push(s)).unwrap();
    (samples, truth)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn in_any(t: f64, spans: &[(f64, f64)]) -> bool {
    spans.iter().any(|&(a, b)| a <= t && t <= b)
}

fn label_spans(labels: &[Label], before: f64, after: f64) -> Vec<(f64, f64)> {
    labels
        .iter()
        .map(|l| (l.onset_ms - before, l.offset_ms + after))
        .collect()
}

fn episodes(truth: &Truth, kind: EpisodeKind) -> Vec<(f64, f64)> {
    truth
        .episodes
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| (e.start_ms, e.end_ms))
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_trace() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        minutes: 1.0,
        ..SynthOptions::new(Scenario::Mixed, 42)
    };
    synth::write(&opts, &dir.path().join("a")).unwrap();
    synth::write(&opts, &dir.path().join("b")).unwrap();
    for f in ["trace.csv", "labels.csv", "truth.toml", "closures.csv"] {
        let a = std::fs::read(dir.path().join("a").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(f)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{f} differs between two runs with the same seed");
    }
    let (a, _) = make(Scenario::Calm, 1, 0.5);
    let (b, _) = make(Scenario::Calm, 2, 0.5);
    assert_eq!(a.len(), b.len());
    let same = a.iter().zip(&b).filter(|(x, y)| x.emg == y.emg).count();
    assert!(same < a.len() / 4, "seeds 1 and 2 agree on {same} samples");
}

#[test]
fn bundled_demo_trace_is_what_seed_1_makes() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/demo");
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        minutes: 3.0,
        ..SynthOptions::new(Scenario::Mixed, 1)
    };
    synth::write(&opts, dir.path()).unwrap();
    for f in ["trace.csv", "labels.csv", "truth.toml", "closures.csv"] {
        let want = std::fs::read(demo.join(f)).unwrap();
        let got = std::fs::read(dir.path().join(f)).unwrap();
        assert!(
            want == got,
            "tests/data/demo/{f} is stale: regenerate it with \
             `augenblick synth --scenario mixed --minutes 3 --seed 1 --out tests/data/demo`"
        );
    }
}

#[test]
fn every_scenario_reads_back_with_well_formed_labels() {
    let dir = tempfile::tempdir().unwrap();
    for name in scenario_names() {
        let scenario: Scenario = name.parse().unwrap();
        let out = dir.path().join(name);
        let opts = SynthOptions {
            minutes: 3.0,
            ..SynthOptions::new(scenario, 5)
        };
        let truth = synth::write(&opts, &out).unwrap();
        let samples = read_trace(out.join("trace.csv")).unwrap();
        let labels = read_labels(out.join("labels.csv")).unwrap();
        let toml_text = std::fs::read_to_string(out.join("truth.toml")).unwrap();
        assert!(toml_text.contains(&format!("scenario = \"{name}\"")));
        assert_eq!(samples.len() as u64, truth.samples, "{name}");
        assert_eq!(labels, truth.labels, "{name}");
        assert!(
            labels.windows(2).all(|w| w[0].offset_ms < w[1].onset_ms),
            "{name}: overlap"
        );
        let last = samples.last().unwrap().t_ms;
        let long_ok = matches!(scenario, Scenario::LongClosures | Scenario::Mixed);
        for l in &labels {
            let d = l.offset_ms - l.onset_ms;
            let ok = (99.9..=400.1).contains(&d) || (long_ok && (499.9..=4000.1).contains(&d));
            assert!(ok, "{name}: closure of {d} ms at {}", l.onset_ms);
            assert!(l.onset_ms >= 0.0 && l.offset_ms <= last);
        }
        let per_min = (labels.len() as u64 + truth.hidden_closures) as f64 / 3.0;
        assert!(
            (7.0..=28.0).contains(&per_min),
            "{name}: {per_min} closures/min"
        );
        assert!(
            samples
                .iter()
                .all(|s| (-2..=RAIL_COUNTS + 2).contains(&s.emg)),
            "{name}: a reading beyond what the MyoWare can output (0 V .. rail, ±ADC noise)"
        );
    }
}

#[test]
fn rate_is_honoured_with_jitter() {
    for (scenario, rate) in [
        (Scenario::Calm, None),
        (Scenario::Calm50Hz, None),
        (Scenario::Calm100Hz, None),
        (Scenario::Chewing, Some(100.0)),
        (Scenario::Walking, Some(10.0)),
    ] {
        let opts = SynthOptions {
            minutes: 1.0,
            rate_hz: rate,
            ..SynthOptions::new(scenario, 9)
        };
        let want = 1000.0 / opts.rate();
        let mut samples = Vec::new();
        generate(&opts, |s| samples.push(s)).unwrap();
        assert_eq!(samples.len() as f64, (60_000.0 / want).floor());
        let dts: Vec<f64> = samples.windows(2).map(|w| w[1].t_ms - w[0].t_ms).collect();
        assert!(dts.iter().all(|&d| d >= 0.0));
        let med = median(dts.clone());
        assert!(
            (med - want).abs() <= 1.0,
            "{scenario}: median dt {med}, want {want}"
        );
        // Real jitter, not a perfect grid; and now and then a late sample.
        let off_grid = dts.iter().filter(|&&d| (d - want).abs() >= 0.3).count();
        assert!(off_grid > dts.len() / 10, "{scenario}: too regular");
        let late = dts.iter().filter(|&&d| d > want + 2.5).count();
        assert!(late > 0, "{scenario}: never late");
    }
}

#[test]
fn pad_off_is_flat_or_railed_and_hides_its_closures() {
    let mut seen = (false, false);
    for seed in 1..=6 {
        let (samples, truth) = make(Scenario::PadOff, seed, 5.0);
        assert!(!truth.faults.is_empty(), "seed {seed}: no fault");
        for f in &truth.faults {
            assert!((5e3..=30e3).contains(&(f.end_ms - f.start_ms)));
            let inside: Vec<i32> = samples
                .iter()
                .filter(|s| s.t_ms > f.start_ms + f.peel_ms + 5.0 && s.t_ms < f.end_ms - 5.0)
                .map(|s| s.emg)
                .collect();
            let lo = *inside.iter().min().unwrap();
            let hi = *inside.iter().max().unwrap();
            assert!(hi - lo <= 3, "seed {seed}: not flat ({lo}..{hi})");
            match f.kind {
                FaultKind::Railed => {
                    seen.0 = true;
                    assert!((RAIL_COUNTS - 2..=RAIL_COUNTS + 2).contains(&hi));
                }
                FaultKind::Flat => {
                    seen.1 = true;
                    assert!((f.level_counts as i32 - 2..=f.level_counts as i32 + 2).contains(&hi));
                }
            }
            for l in &truth.labels {
                assert!(l.offset_ms < f.start_ms || l.onset_ms > f.end_ms);
            }
        }
    }
    assert!(
        seen.0 && seen.1,
        "both kinds of fault appear over six seeds"
    );
    // Nothing ever rails outside a fault in a calm trace.
    let (calm, _) = make(Scenario::Calm, 1, 2.0);
    assert!(calm.iter().all(|s| s.emg < RAIL_COUNTS / 2));
}

/// Blink height over the resting baseline's robust sd, per closure.
fn measured_snr(samples: &[Sample], truth: &Truth) -> f64 {
    let near = label_spans(&truth.labels, 300.0, 500.0);
    let rest: Vec<f64> = samples
        .iter()
        .filter(|s| !in_any(s.t_ms, &near))
        .map(|s| s.emg as f64)
        .collect();
    let base = median(rest.clone());
    let mad = median(rest.iter().map(|v| (v - base).abs()).collect());
    let sd = 1.4826 * mad;
    let peaks: Vec<f64> = truth
        .labels
        .iter()
        .map(|l| {
            samples
                .iter()
                .filter(|s| s.t_ms >= l.onset_ms - 50.0 && s.t_ms <= l.offset_ms + 50.0)
                .map(|s| s.emg as f64 - base)
                .fold(0.0, f64::max)
        })
        .collect();
    median(peaks) / sd
}

#[test]
fn weak_blinks_barely_stand_out_calm_ones_clearly() {
    for seed in 1..=3 {
        let (s, t) = make(Scenario::Weak, seed, 3.0);
        let weak = measured_snr(&s, &t);
        let (s, t) = make(Scenario::Calm, seed, 3.0);
        let calm = measured_snr(&s, &t);
        assert!((1.5..=8.0).contains(&weak), "seed {seed}: weak SNR {weak}");
        assert!(
            calm >= 7.0 && calm > 2.0 * weak,
            "seed {seed}: calm SNR {calm}"
        );
    }
}

/// Autocorrelation of the samples at `lag` (in samples).
fn autocorr(x: &[f64], lag: usize) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    let var: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    let cov: f64 = x.windows(lag + 1).map(|w| (w[0] - m) * (w[lag] - m)).sum();
    cov / var
}

#[test]
fn chewing_is_rhythmic_where_the_truth_says() {
    let mut checked = 0;
    for seed in 1..=3 {
        let (samples, truth) = make(Scenario::Chewing, seed, 5.0);
        for e in truth
            .episodes
            .iter()
            .filter(|e| e.kind == EpisodeKind::Chewing)
        {
            // The faintest runs (0.2 blink) hide in the noise; check the rest.
            if e.end_ms - e.start_ms < 15e3 || e.amplitude < 0.35 {
                continue;
            }
            // Blinks are not part of the rhythm: blank them with the run's median.
            let blinks = label_spans(&truth.labels, 100.0, 300.0);
            let run: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.t_ms >= e.start_ms && s.t_ms < e.end_ms)
                .collect();
            let mid = median(run.iter().map(|s| s.emg as f64).collect());
            let x: Vec<f64> = run
                .iter()
                .map(|s| {
                    if in_any(s.t_ms, &blinks) {
                        mid
                    } else {
                        s.emg as f64
                    }
                })
                .collect();
            let period = (1000.0 / e.rate_hz / 40.0).round() as usize;
            let at_period = autocorr(&x, period);
            let at_half = autocorr(&x, period / 2);
            assert!(
                at_period > 0.15 && at_period > at_half + 0.1,
                "seed {seed}: chewing at {} Hz: r(T) {at_period:.2}, r(T/2) {at_half:.2}",
                e.rate_hz
            );
            checked += 1;
        }
    }
    assert!(checked >= 3);
}

/// Mean of the samples inside `spans` and outside them, away from blinks.
fn inside_outside(samples: &[Sample], truth: &Truth, spans: &[(f64, f64)]) -> (f64, f64) {
    let blinks = label_spans(&truth.labels, 100.0, 300.0);
    let (mut a, mut na, mut b, mut nb) = (0.0, 0.0, 0.0, 0.0);
    for s in samples.iter().filter(|s| !in_any(s.t_ms, &blinks)) {
        if in_any(s.t_ms, spans) {
            a += s.emg as f64;
            na += 1.0;
        } else {
            b += s.emg as f64;
            nb += 1.0;
        }
    }
    (a / na, b / nb)
}

#[test]
fn talking_and_smiling_raise_the_envelope_and_blinks_go_on() {
    for (scenario, kind, least) in [
        (Scenario::Talking, EpisodeKind::Talking, 0.05),
        (Scenario::Smiling, EpisodeKind::Smiling, 0.3),
    ] {
        let (samples, truth) = make(scenario, 4, 5.0);
        let spans = episodes(&truth, kind);
        assert!(!spans.is_empty());
        let (inside, outside) = inside_outside(&samples, &truth, &spans);
        let rise = (inside - outside) / truth.sensor.blink_counts;
        assert!(
            rise > least,
            "{scenario}: envelope rises by {rise:.2} blinks"
        );
        let during = truth
            .labels
            .iter()
            .filter(|l| in_any(l.onset_ms, &spans))
            .count();
        assert!(
            during >= 3,
            "{scenario}: only {during} blinks during episodes"
        );
    }
}

#[test]
fn walking_has_spikes_both_ways_and_baseline_steps() {
    let (samples, truth) = make(Scenario::Walking, 2, 10.0);
    assert!(truth.spikes.iter().any(|s| s.counts > 0.0));
    assert!(truth.spikes.iter().any(|s| s.counts < 0.0));
    assert!(!truth.baseline_steps.is_empty());
    // A big tug shows as an outlier in the sample right after it, mostly.
    let big: Vec<_> = truth
        .spikes
        .iter()
        .filter(|s| s.counts > 3.0 * truth.sensor.blink_counts)
        .collect();
    let seen = big
        .iter()
        .filter(|sp| {
            samples
                .iter()
                .filter(|s| s.t_ms >= sp.t_ms && s.t_ms < sp.t_ms + 45.0)
                .any(|s| s.emg as f64 > 1.5 * truth.sensor.blink_counts)
        })
        .count();
    assert!(
        !big.is_empty() && seen * 3 >= big.len(),
        "{seen} of {} tugs seen",
        big.len()
    );
}

#[test]
fn drift_moves_gain_and_offset() {
    let (_, truth) = make(Scenario::Drift, 3, 5.0);
    assert!(truth.sensor.gain_min <= 0.8 && truth.sensor.gain_max >= 1.3);
    let swing = truth.sensor.offset_shift_max_counts - truth.sensor.offset_shift_min_counts;
    assert!(swing > 0.3 * truth.sensor.blink_counts);
}

#[test]
fn blinks_follow_a_renewal_process_with_doubles_and_long_closures() {
    let (_, truth) = make(Scenario::Calm, 8, 60.0);
    let onsets: Vec<f64> = truth.labels.iter().map(|l| l.onset_ms).collect();
    let gaps: Vec<f64> = onsets.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64).sqrt();
    let cv = sd / mean;
    assert!(
        (0.35..0.95).contains(&cv),
        "gap CV {cv}: neither clockwork nor Poisson"
    );
    let rate = truth.labels.len() as f64 / 60.0;
    assert!((9.0..=24.0).contains(&rate), "{rate} per minute");
    let doubles = truth.double_blinks as f64 / truth.labels.len() as f64;
    assert!((0.02..=0.15).contains(&doubles), "{doubles} double blinks");
    let durations = median(
        truth
            .labels
            .iter()
            .map(|l| l.offset_ms - l.onset_ms)
            .collect(),
    );
    assert!((150.0..=260.0).contains(&durations));

    let (_, truth) = make(Scenario::LongClosures, 8, 10.0);
    let long = truth
        .labels
        .iter()
        .filter(|l| l.offset_ms - l.onset_ms >= 500.0)
        .count();
    assert!(long >= 5 && long as u64 == truth.deliberate_closures);
}

fn augenblick() -> Command {
    Command::cargo_bin("augenblick").unwrap()
}

#[test]
fn cli_lists_writes_all_and_explains_mistakes() {
    let out = augenblick().args(["synth", "--list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in scenario_names() {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} not listed"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    augenblick()
        .args(["synth", "--scenario", "all", "--minutes", "0.2", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for name in scenario_names() {
        assert!(dir.path().join(name).join("trace.csv").is_file());
        assert!(dir.path().join(name).join("truth.toml").is_file());
    }
    let out = augenblick()
        .args(["synth", "--scenario", "sleepy", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no scenario `sleepy`"));
    let out = augenblick()
        .args(["synth", "--scenario", "calm", "--rate", "0", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rate"));
    let out = augenblick()
        .args(["synth", "--scenario", "calm"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
}

#[test]
fn truth_toml_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        minutes: 3.0,
        ..SynthOptions::new(Scenario::Mixed, 11)
    };
    let mut truth = synth::write(&opts, dir.path()).unwrap();
    let back = Truth::read(dir.path().join("truth.toml")).unwrap();
    // Labels and the closure log live in their CSV files, not in truth.toml.
    truth.labels.clear();
    truth.closure_log.clear();
    assert_eq!(back, truth);
    std::fs::write(dir.path().join("bad.toml"), "scenario = 3\n").unwrap();
    let err = Truth::read(dir.path().join("bad.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.toml") && err.contains("not a truth file"),
        "{err}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Any scenario, seed, rate and length: a valid trace and valid labels.
    #[test]
    fn any_options_give_a_valid_trace(
        which in 0usize..12,
        seed in proptest::prelude::any::<u64>(),
        rate in 5.0f64..300.0,
        minutes in 0.02f64..0.4,
    ) {
        let opts = SynthOptions {
            minutes,
            rate_hz: Some(rate),
            ..SynthOptions::new(Scenario::ALL[which], seed)
        };
        let mut samples = Vec::new();
        let truth = generate(&opts, |s| samples.push(s)).unwrap();
        proptest::prop_assert_eq!(samples.len() as u64, truth.samples);
        proptest::prop_assert!(samples.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
        proptest::prop_assert!(samples.iter().all(|s| (-2..=RAIL_COUNTS + 2).contains(&s.emg)));
        let last = samples.last().map_or(0.0, |s| s.t_ms);
        for w in truth.labels.windows(2) {
            proptest::prop_assert!(w[0].offset_ms < w[1].onset_ms);
        }
        for l in &truth.labels {
            proptest::prop_assert!(l.onset_ms >= 0.0 && l.onset_ms < l.offset_ms && l.offset_ms <= last);
        }
    }
}

#[test]
fn closure_log_shows_bursts_not_locked_to_the_lid() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        minutes: 20.0,
        ..SynthOptions::new(Scenario::PadOff, 6)
    };
    let truth = synth::write(&opts, dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("closures.csv")).unwrap();
    assert!(
        text.starts_with("onset_ms,offset_ms,kind,burst_start_ms,burst_end_ms,height,visible\n")
    );
    assert_eq!(text.lines().count() - 1, truth.closure_log.len());
    let visible: Vec<Label> = truth
        .closure_log
        .iter()
        .filter(|c| c.visible)
        .map(|c| Label {
            onset_ms: c.onset_ms,
            offset_ms: c.offset_ms,
        })
        .collect();
    assert_eq!(visible, truth.labels);
    let hidden = truth.closure_log.iter().filter(|c| !c.visible).count() as u64;
    assert!(hidden > 0 && hidden == truth.hidden_closures);
    let blinks: Vec<_> = truth
        .closure_log
        .iter()
        .filter(|c| c.kind != synth::ClosureKind::Deliberate)
        .collect();
    let late = blinks
        .iter()
        .filter(|c| c.burst_start_ms > c.onset_ms)
        .count();
    let share = late as f64 / blinks.len() as f64;
    assert!(
        (0.25..=0.75).contains(&share),
        "{share} of bursts start after the lid"
    );
    for c in &blinks {
        assert!((c.burst_start_ms - c.onset_ms).abs() <= 40.1);
        assert!(
            c.burst_end_ms < c.offset_ms,
            "the burst ends before the lid reopens"
        );
    }
    let early_end = blinks
        .iter()
        .filter(|c| c.offset_ms - c.burst_end_ms > 50.0)
        .count();
    assert!(
        early_end * 4 > blinks.len(),
        "bursts often end well before the lid opens"
    );
}

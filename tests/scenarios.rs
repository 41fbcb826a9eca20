//! The scenario suite: every scenario generated in memory, several seeds
//! each, scored against its labels with the default config.

mod physio;

use augenblick::detector::{detect_all, DetectorConfig};
use augenblick::synth::{generate, Scenario, SynthOptions, Truth};
use augenblick::tune::{score, ScoreOptions};

struct Row {
    name: String,
    f1: f64,
    precision: f64,
    recall: f64,
    lat_med: f64,
    lat_p90: f64,
    labels: usize,
}

/// The default config, with `DET_SET=name=value,...` applied (for exploring).
fn config() -> DetectorConfig {
    let mut cfg = DetectorConfig::default();
    if let Ok(set) = std::env::var("DET_SET") {
        for kv in set.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap();
            cfg.set(k, v.parse().unwrap()).unwrap();
        }
    }
    cfg
}

fn run_physio(scene: physio::Scene, hz: f64, seeds: std::ops::Range<u64>) -> Row {
    let cfg = config();
    let (mut tp, mut fp, mut fn_, mut lats) = (0, 0, 0, Vec::new());
    for seed in seeds {
        let tr = physio::generate(scene, hz, 180.0, seed);
        let closures = detect_all(&cfg, tr.samples.iter().copied()).unwrap();
        let span = (0.0, tr.samples.last().unwrap().t_ms);
        let s = score(&closures, &tr.labels, span, &ScoreOptions::default());
        tp += s.true_positives;
        fp += s.false_positives;
        fn_ += s.false_negatives;
        lats.extend(s.matches.iter().map(|m| m.latency_ms));
    }
    row(format!("{}@{hz}", scene.name()), tp, fp, fn_, lats)
}

fn run_synth(scenario: Scenario, seeds: std::ops::Range<u64>, minutes: f64) -> Row {
    run_synth_at(scenario, seeds, minutes, None)
}

/// [`run_synth`] at `rate_hz` instead of the scenario's own rate.
fn run_synth_at(
    scenario: Scenario,
    seeds: std::ops::Range<u64>,
    minutes: f64,
    rate_hz: Option<f64>,
) -> Row {
    let cfg = config();
    let (mut tp, mut fp, mut fn_, mut lats) = (0, 0, 0, Vec::new());
    for seed in seeds {
        let opts = SynthOptions {
            minutes,
            rate_hz,
            ..SynthOptions::new(scenario, seed)
        };
        let mut samples = Vec::new();
        let truth = generate(&opts, |s| samples.push(s)).unwrap();
        let closures = detect_all(&cfg, samples.iter().copied()).unwrap();
        let span = (0.0, samples.last().unwrap().t_ms);
        let s = score(&closures, &truth.labels, span, &ScoreOptions::default());
        tp += s.true_positives;
        fp += s.false_positives;
        fn_ += s.false_negatives;
        lats.extend(s.matches.iter().map(|m| m.latency_ms));
    }
    row(scenario.name().to_string(), tp, fp, fn_, lats)
}

fn row(name: String, tp: usize, fp: usize, fn_: usize, mut lats: Vec<f64>) -> Row {
    lats.sort_by(f64::total_cmp);
    let p = tp as f64 / (tp + fp).max(1) as f64;
    let r = tp as f64 / (tp + fn_).max(1) as f64;
    let q = |f: f64| {
        lats.get(((lats.len() as f64 - 1.0) * f).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Row {
        name,
        f1: 2.0 * p * r / (p + r).max(1e-9),
        precision: p,
        recall: r,
        lat_med: q(0.5),
        lat_p90: q(0.9),
        labels: tp + fn_,
    }
}

/// Least F1 per `augenblick synth` scenario (4 seeds x 3 minutes, default
/// config), set a little below what the detector reaches today; the README
/// table has the figures. Weak and chewing are far from the 0.95 target.
const SYNTH_BARS: [(&str, f64); 12] = [
    ("calm", 0.98),
    ("weak", 0.76),
    ("talking", 0.82),
    ("chewing", 0.78),
    ("smiling", 0.84),
    ("walking", 0.86),
    ("drift", 0.94),
    ("pad_off", 0.94),
    ("long_closures", 0.93),
    ("calm_50hz", 0.96),
    ("calm_100hz", 0.95),
    ("mixed", 0.76),
];

#[test]
fn synth_scenarios_reach_their_bars() {
    let mut failed = Vec::new();
    for (scenario, (name, bar)) in Scenario::ALL.into_iter().zip(SYNTH_BARS) {
        assert_eq!(scenario.name(), name);
        let r = run_synth(scenario, 0..4, 3.0);
        println!(
            "| {:<14} | {:.3} | {:.3} | {:.3} | {:>3.0} | {:>3.0} | {} |",
            r.name, r.f1, r.precision, r.recall, r.lat_med, r.lat_p90, r.labels
        );
        if r.f1 < bar || r.lat_med > 80.0 {
            failed.push(format!(
                "{}: F1 {:.3} (bar {bar}), latency {:.0} ms",
                r.name, r.f1, r.lat_med
            ));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Ten minutes of `mixed` (rest, talk, meals, walks, smiles and pad faults)
/// per seed: no seed may fall far below the rest. A detector that
/// recalibrated on a pad still off once judged the pad's return as a wild
/// fault for the remaining eight minutes of seed 3 (F1 0.13).
#[test]
fn every_long_mixed_day_keeps_detecting() {
    let mut failed = Vec::new();
    for seed in 0..8 {
        let r = run_synth(Scenario::Mixed, seed..seed + 1, 10.0);
        println!(
            "| mixed 10 min seed {seed} | {:.3} | {:.3} | {:.3} |",
            r.f1, r.precision, r.recall
        );
        if r.f1 < 0.65 {
            failed.push(format!("seed {seed}: F1 {:.3}", r.f1));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Least F1 per scenario of the second model (`tests/physio`), 4 seeds x 3 min.
const PHYSIO_BARS: [f64; 9] = [0.98, 0.91, 0.90, 0.81, 0.84, 0.91, 0.98, 0.97, 0.95];

/// Least F1 of the second model at the other rates, 2 seeds x 3 min: the
/// same config must work at 50, 100 and 860 Hz.
const PHYSIO_RATE_BARS: [(physio::Scene, f64, f64); 20] = {
    use physio::Scene::*;
    [
        (Calm, 50.0, 0.98),
        (Calm, 100.0, 0.98),
        (Calm, 860.0, 0.98),
        (Weak, 50.0, 0.93),
        (Weak, 100.0, 0.97),
        (Talking, 50.0, 0.93),
        (Talking, 100.0, 0.945),
        (Chewing, 50.0, 0.81),
        (Chewing, 100.0, 0.80),
        (Smiling, 50.0, 0.85),
        (Smiling, 100.0, 0.86),
        (Walking, 50.0, 0.96),
        (Walking, 100.0, 0.96),
        (Walking, 860.0, 0.95),
        (Drift, 50.0, 0.98),
        (Drift, 100.0, 0.98),
        (PadOff, 50.0, 0.98),
        (PadOff, 100.0, 0.98),
        (LongClosures, 50.0, 0.96),
        (LongClosures, 860.0, 0.98),
    ]
};

#[test]
fn physio_model_reaches_its_bars() {
    let mut rows = Vec::new();
    for scene in physio::Scene::ALL {
        rows.push(run_physio(scene, 25.0, 0..4));
    }
    let mut bars = PHYSIO_BARS.to_vec();
    for (scene, hz, bar) in PHYSIO_RATE_BARS {
        rows.push(run_physio(scene, hz, 0..2));
        bars.push(bar);
    }
    let mut failed = Vec::new();
    for (r, bar) in rows.iter().zip(bars) {
        println!(
            "| {:<20} | {:.3} | {:.3} | {:.3} | {:>3.0} | {:>3.0} | {} |",
            r.name, r.f1, r.precision, r.recall, r.lat_med, r.lat_p90, r.labels
        );
        if r.f1 < bar || r.lat_med > 80.0 {
            failed.push(format!(
                "{}: F1 {:.3} (bar {bar}), latency {:.0} ms",
                r.name, r.f1, r.lat_med
            ));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// A busy face is told at every rate: synth's talking at 100 Hz must do
/// about as well as at 25 Hz. (The resting spread in noise units falls
/// with the rate; judged by 25 Hz's, a face talking at 100 Hz passed for
/// one at rest, and its syllables for blinks.)
/// F1 at 100 Hz may fall this far short of 25 Hz's (0.868 against 0.869
/// now; 0.844 before the resting spread followed the rate).
const TALKING_100HZ_SLACK: f64 = 0.01;

#[test]
fn talking_at_100_hz_is_judged_like_talking_at_25_hz() {
    let at_25 = run_synth_at(Scenario::Talking, 0..4, 3.0, None);
    let at_100 = run_synth_at(Scenario::Talking, 0..4, 3.0, Some(100.0));
    println!(
        "synth talking: F1 {:.3} at 25 Hz, {:.3} at 100 Hz (precision {:.3} / {:.3})",
        at_25.f1, at_100.f1, at_25.precision, at_100.precision
    );
    assert!(
        at_100.f1 >= at_25.f1 - TALKING_100HZ_SLACK,
        "talking at 100 Hz: F1 {:.3}, at 25 Hz {:.3}",
        at_100.f1,
        at_25.f1
    );
}

/// A cable tug is a spike at every rate: at 100 Hz it spans a sample or
/// two (12-16 ms at half height in synth's walking), at 860 Hz 10-14, so
/// "narrower than one sample" no longer tells it; its width in
/// milliseconds does.
#[test]
fn tugs_at_100_and_860_hz_are_spikes_too() {
    let at_25 = run_synth_at(Scenario::Walking, 0..4, 3.0, None);
    let at_100 = run_synth_at(Scenario::Walking, 0..4, 3.0, Some(100.0));
    let at_860 = run_synth_at(Scenario::Walking, 0..4, 3.0, Some(860.0));
    println!(
        "synth walking: precision {:.3} at 25 Hz, {:.3} at 100 Hz, {:.3} at 860 Hz (F1 {:.3} / {:.3} / {:.3})",
        at_25.precision, at_100.precision, at_860.precision, at_25.f1, at_100.f1, at_860.f1
    );
    assert!(
        at_100.precision >= WALKING_100HZ_PRECISION,
        "walking at 100 Hz: precision {:.3}",
        at_100.precision
    );
    assert!(
        at_860.precision >= WALKING_860HZ_PRECISION,
        "walking at 860 Hz: precision {:.3}",
        at_860.precision
    );
}

/// ... and at 860 Hz, where a tug spans 10-14 samples: 0.699 now, 0.623
/// when only two samples either side of the peak measured the width. (Still
/// well short of 25 Hz's: see the README, "The same face at every rate".)
const WALKING_860HZ_PRECISION: f64 = 0.68;

/// Synth walking's least precision at 100 Hz: 0.907 now (0.881 at 25 Hz);
/// 0.631 when a tug was a spike only if narrower than one sample, 0.693
/// with its width in ms but a tug's own tail still taken for a blink
/// under it.
const WALKING_100HZ_PRECISION: f64 = 0.89;

/// Every level is in units of the signal's own noise: the same trace at
/// four times the gain, shifted by 3000 counts, gives the same closures
/// (a sensor with another gain or offset needs no other config).
#[test]
fn the_same_trace_at_another_gain_and_offset_gives_the_same_closures() {
    let cfg = config();
    for scene in [physio::Scene::Talking, physio::Scene::Walking] {
        let tr = physio::generate(scene, 25.0, 180.0, 3);
        let moved: Vec<_> = tr
            .samples
            .iter()
            .map(|s| augenblick::trace::Sample {
                emg: (s.emg * 4 + 3000).min(32767),
                ..*s
            })
            .collect();
        let a = detect_all(&cfg, tr.samples.iter().copied()).unwrap();
        let b = detect_all(&cfg, moved.iter().copied()).unwrap();
        assert!(a.len() >= 30, "{}: {} closures", scene.name(), a.len());
        assert_eq!(a.len(), b.len(), "{}", scene.name());
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x.onset_ms - y.onset_ms).abs() < 1.0
                    && (x.offset_ms - y.offset_ms).abs() < 1.0
                    && x.detected_ms == y.detected_ms,
                "{}: {x:?} vs {y:?}",
                scene.name()
            );
            assert!((y.peak - 4.0 * x.peak).abs() < 1e-6, "{x:?} vs {y:?}");
        }
    }
}

/// Seeds that no rule or constant was ever tuned on (the suite above uses
/// 0-7, the appliance's window report 5-7): a change that helps only the
/// seeds it was made on shows here as no gain or a loss. A report, not an
/// assertion: `cargo test --release --test scenarios held_out -- --ignored
/// --nocapture` (`HELD_OUT_SEEDS=10..16` by default; `DET_SET` applies).
/// `HELD_OUT_HZ=100` samples both models at another rate (synth's
/// `calm_50hz` and `calm_100hz` keep their own).
#[test]
#[ignore]
fn held_out() {
    let seeds = physio::seeds_from_env("HELD_OUT_SEEDS").unwrap_or(10..16);
    let hz: f64 = match std::env::var("HELD_OUT_HZ") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("HELD_OUT_HZ={v}: a rate in Hz, like 100")),
        Err(_) => 25.0,
    };
    let synth_rate = (hz != 25.0).then_some(hz);
    println!("| scene | model | F1 | precision | recall | latency median | closures |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let (mut sum, mut n) = (0.0, 0);
    for scene in physio::Scene::ALL {
        let r = run_physio(scene, hz, seeds.clone());
        println!(
            "| {} | second model | {:.3} | {:.3} | {:.3} | {:.0} | {} |",
            scene.name(),
            r.f1,
            r.precision,
            r.recall,
            r.lat_med,
            r.labels
        );
        sum += r.f1;
        n += 1;
    }
    for scenario in Scenario::ALL {
        if scenario == Scenario::Mixed {
            continue;
        }
        let own_rate = matches!(scenario, Scenario::Calm50Hz | Scenario::Calm100Hz);
        let rate = if own_rate { None } else { synth_rate };
        let r = run_synth_at(scenario, seeds.clone(), 3.0, rate);
        println!(
            "| {} | synth | {:.3} | {:.3} | {:.3} | {:.0} | {} |",
            r.name, r.f1, r.precision, r.recall, r.lat_med, r.labels
        );
        sum += r.f1;
        n += 1;
    }
    println!(
        "mean F1 over {n} rows, seeds {seeds:?}: {:.4}",
        sum / n as f64
    );
}

/// Development aid (also `DEBUG_SEED`, `DEBUG_SECS`, `DEBUG_SYNTH` with `DEBUG_MINUTES`, `DEBUG_DIR`, `DEBUG_ALL`, `DEBUG_DUMP=dir` to write the trace and labels there): `DEBUG_SCENE=calm DEBUG_HZ=100 cargo test --release --test scenarios debug -- --nocapture --ignored`
#[test]
#[ignore]
fn debug_scene() {
    use augenblick::detector::{BlinkDetector, Event};
    let name = std::env::var("DEBUG_SCENE").unwrap_or("calm".into());
    fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    }
    let hz: f64 = env_or("DEBUG_HZ", 25.0);
    let seed: u64 = env_or("DEBUG_SEED", 0);
    let tr = if let Ok(dir) = std::env::var("DEBUG_DIR") {
        // A folder as `augenblick synth` writes it.
        let dir = std::path::Path::new(&dir);
        physio::Trace {
            samples: augenblick::trace::read_trace(dir.join("trace.csv")).unwrap(),
            labels: augenblick::trace::read_labels(dir.join("labels.csv")).unwrap(),
        }
    } else if std::env::var("DEBUG_SYNTH").is_ok() {
        let sc = Scenario::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .unwrap();
        let opts = SynthOptions {
            minutes: env_or("DEBUG_MINUTES", 3.0),
            ..SynthOptions::new(sc, seed)
        };
        let mut samples = Vec::new();
        let truth = generate(&opts, |s| samples.push(s)).unwrap();
        println!("{:?}", truth.sensor);
        physio::Trace {
            samples,
            labels: truth.labels,
        }
    } else {
        let scene = physio::Scene::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .unwrap();
        physio::generate(scene, hz, env_or("DEBUG_SECS", 180.0), seed)
    };
    if let Ok(dir) = std::env::var("DEBUG_DUMP") {
        // The trace and its labels as files, for `augenblick run --simulate`.
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        let mut trace = String::from("t_ms,emg\n");
        for s in &tr.samples {
            trace += &format!("{},{}\n", s.t_ms, s.emg);
        }
        std::fs::write(dir.join("trace.csv"), trace).unwrap();
        let mut labels = String::from("onset_ms,offset_ms\n");
        for l in &tr.labels {
            labels += &format!("{},{}\n", l.onset_ms, l.offset_ms);
        }
        std::fs::write(dir.join("labels.csv"), labels).unwrap();
    }
    let mut d = BlinkDetector::new(config()).unwrap();
    let mut li = 0;
    for s in &tr.samples {
        d.push(s.t_ms, s.emg);
        let snap = d.snapshot();
        while li < tr.labels.len() && tr.labels[li].onset_ms <= s.t_ms {
            println!(
                "LABEL {:.0}-{:.0}",
                tr.labels[li].onset_ms, tr.labels[li].offset_ms
            );
            li += 1;
        }
        let verbose = std::env::var("DEBUG_ALL").is_ok();
        if verbose {
            println!(
                "  {:.0} {} base {:.0} noise {:.1} on {:.0} {}",
                s.t_ms, s.emg, snap.baseline, snap.noise, snap.on_threshold, snap.state
            );
        }
        while let Some(e) = d.poll() {
            match e {
                Event::Closure(c) => println!(
                    "    CLOSURE {:.0}-{:.0} det {:.0} peak {:.0} ({:.1} sigma)",
                    c.onset_ms,
                    c.offset_ms,
                    c.detected_ms,
                    c.peak,
                    c.peak / snap.noise
                ),
                e => println!(
                    "    {e:?} base {:.0} noise {:.1}",
                    snap.baseline, snap.noise
                ),
            }
        }
    }
}

/// A quick throughput figure (not an assertion: speed is reported, not
/// tested). `cargo test --release --test scenarios throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    let tr = physio::generate(physio::Scene::Calm, 25.0, 600.0, 1);
    let samples: Vec<(f64, i32)> = tr.samples.iter().map(|s| (s.t_ms, s.emg)).collect();
    let mut d = augenblick::detector::BlinkDetector::new(DetectorConfig::default()).unwrap();
    let start = std::time::Instant::now();
    let mut n = 0u64;
    let mut events = 0u64;
    let mut offset = 0.0;
    for _ in 0..200 {
        for &(t, x) in &samples {
            d.push(t + offset, x);
            while d.poll().is_some() {
                events += 1;
            }
            n += 1;
        }
        offset += 600_000.0;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} samples in {secs:.3} s: {:.1} M samples/s ({events} events)",
        n as f64 / secs / 1e6
    );
}

/// `samples` lowered so that their median sits `c` resting-noise units
/// over the ground and clipped there, as the MyoWare's output is when its
/// offset is small: a quiet muscle then rests at 0 counts for a while at a
/// time. The noise is measured from the steps between neighbours.
fn at_the_ground(samples: &[augenblick::trace::Sample], c: f64) -> Vec<augenblick::trace::Sample> {
    let mut v: Vec<f64> = samples.iter().map(|s| f64::from(s.emg)).collect();
    let mut steps: Vec<f64> = v.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    steps.sort_by(f64::total_cmp);
    let noise = 1.4826 * steps[steps.len() / 2] / std::f64::consts::SQRT_2;
    v.sort_by(f64::total_cmp);
    let shift = v[v.len() / 2] - c * noise;
    samples
        .iter()
        .map(|s| augenblick::trace::Sample {
            emg: (f64::from(s.emg) - shift).round().max(0.0) as i32,
            ..*s
        })
        .collect()
}

/// A resting signal at the ground is neither railed nor flat, and its
/// noise is learned from what lies above the ground: before, a median one
/// noise unit above it cost synth's calm wearers a third of their blinks,
/// and a median at it cost the second model's nearly all (F1 0.03).
#[test]
fn a_resting_signal_at_the_ground_keeps_its_blinks() {
    let cfg = config();
    let mut report = Vec::new();
    for (name, c, bar) in [
        ("second model calm", 1.0, 0.97),
        ("second model calm", 0.0, 0.95),
        ("second model talking", 0.0, 0.88),
        ("synth calm", 1.0, 0.95),
    ] {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for seed in 0..4 {
            let (samples, labels) = if name.starts_with("synth") {
                let opts = SynthOptions {
                    minutes: 3.0,
                    ..SynthOptions::new(Scenario::Calm, seed)
                };
                let mut samples = Vec::new();
                let truth = generate(&opts, |s| samples.push(s)).unwrap();
                (samples, truth.labels)
            } else {
                let scene = if name.ends_with("calm") {
                    physio::Scene::Calm
                } else {
                    physio::Scene::Talking
                };
                let tr = physio::generate(scene, 25.0, 180.0, seed);
                (tr.samples, tr.labels)
            };
            let low = at_the_ground(&samples, c);
            let at_zero = low.iter().filter(|s| s.emg == 0).count() as f64 / low.len() as f64;
            assert!(
                at_zero > 0.05,
                "{name} c={c}: only {at_zero:.3} at the ground"
            );
            let closures = detect_all(&cfg, low.iter().copied()).unwrap();
            let span = (0.0, low.last().unwrap().t_ms);
            let s = score(&closures, &labels, span, &ScoreOptions::default());
            tp += s.true_positives;
            fp += s.false_positives;
            fn_ += s.false_negatives;
        }
        let r = row(
            format!("{name}, median {c} noise over the ground"),
            tp,
            fp,
            fn_,
            Vec::new(),
        );
        report.push(format!("{}: F1 {:.3} (bar {bar})", r.name, r.f1));
        assert!(r.f1 >= bar, "{}", report.join("\n"));
    }
    eprintln!("{}", report.join("\n"));
}

/// `samples` with the gain raised until the 99.5th percentile stands at
/// `over` times `rail` counts over a rest moved to 8000 counts, clipped at
/// the rail: the MyoWare's output cannot pass its supply.
fn clipped(
    samples: &[augenblick::trace::Sample],
    over: f64,
    rail: f64,
) -> Vec<augenblick::trace::Sample> {
    let mut v: Vec<f64> = samples.iter().map(|s| f64::from(s.emg)).collect();
    v.sort_by(f64::total_cmp);
    let (median, top) = (v[v.len() / 2], v[v.len() * 995 / 1000]);
    let gain = (over * rail - 8000.0) / (top - median);
    samples
        .iter()
        .map(|s| augenblick::trace::Sample {
            emg: (8000.0 + (f64::from(s.emg) - median) * gain)
                .round()
                .clamp(0.0, rail) as i32,
            ..*s
        })
        .collect()
}

/// Blinks clipped at a rail say so through the placement (the appliance's
/// LED shows poor, and `detect` warns); blinks that scatter as blinks do
/// never do, at any rate, in either model.
#[test]
fn blinks_clipped_at_a_rail_are_told_apart_from_tall_ones() {
    let cfg = config();
    let clipped_at = |samples: &[augenblick::trace::Sample]| {
        let mut d = augenblick::detector::BlinkDetector::new(cfg.clone()).unwrap();
        let mut ever = None;
        for s in samples {
            d.push(s.t_ms, s.emg);
            while d.poll().is_some() {}
            if let Some(top) = d.placement().and_then(|p| p.clipped_at) {
                ever.get_or_insert(top);
            }
        }
        ever
    };
    let mut checked = 0;
    for seed in 0..3 {
        let mut traces = Vec::new();
        for (scenario, hz) in [
            (Scenario::Calm, 25.0),
            (Scenario::Talking, 25.0),
            (Scenario::Calm, 100.0),
            (Scenario::Chewing, 25.0),
        ] {
            let opts = SynthOptions {
                minutes: 2.0,
                rate_hz: Some(hz),
                ..SynthOptions::new(scenario, seed)
            };
            let mut samples = Vec::new();
            generate(&opts, |s| samples.push(s)).unwrap();
            traces.push((format!("synth {} {hz} Hz", scenario.name()), samples));
        }
        for scene in [
            physio::Scene::Calm,
            physio::Scene::Weak,
            physio::Scene::Talking,
        ] {
            let tr = physio::generate(scene, 25.0, 120.0, seed);
            traces.push((format!("second model {}", scene.name()), tr.samples));
        }
        for (name, samples) in traces {
            assert_eq!(clipped_at(&samples), None, "{name}, seed {seed}");
            // At the supply of a MyoWare on 3.3 V read at 4.096 V full
            // scale, and at the top of the ADC's range.
            for rail in [26400.0, 32767.0] {
                let top = clipped_at(&clipped(&samples, 1.5, rail));
                if !name.contains("weak") {
                    assert_eq!(top, Some(rail), "{name}, seed {seed}, rail {rail}");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 36);
}

/// The faults a trace raises: (start, kind) of every `FaultStart`.
fn fault_starts(samples: &[augenblick::trace::Sample]) -> Vec<(f64, String)> {
    use augenblick::detector::{BlinkDetector, Event};
    let mut d = BlinkDetector::new(config()).unwrap();
    let mut out = Vec::new();
    let mut take = |d: &mut BlinkDetector| {
        while let Some(e) = d.poll() {
            if let Event::FaultStart { kind, t_ms } = e {
                out.push((t_ms, format!("{kind:?}")));
            }
        }
    };
    for s in samples {
        d.push(s.t_ms, s.emg);
        take(&mut d);
    }
    d.finish();
    take(&mut d);
    out
}

/// Three minutes of `scenario` at its own rate, and its truth.
fn three_minutes(scenario: Scenario, seed: u64) -> (Vec<augenblick::trace::Sample>, Truth) {
    let opts = SynthOptions {
        minutes: 3.0,
        ..SynthOptions::new(scenario, seed)
    };
    let mut samples = Vec::new();
    let truth = generate(&opts, |s| samples.push(s)).unwrap();
    (samples, truth)
}

/// A drifting signal (sweat, a pad settling) or a walk (steps of the
/// baseline) with its pads on raises no fault: quiet stretches judged by a
/// noise the drift inflated are not a pad off (see
/// `faults::QUIET_SPREAD_SHARE`; drift seed 4 had one), and a step down is
/// not a pad swinging loose (`faults::STEP_SIGMA`). Every pad that does
/// come off is still a fault.
#[test]
fn a_drift_or_a_walk_raises_no_fault_and_a_pad_off_still_does() {
    for scenario in [Scenario::Drift, Scenario::Walking] {
        for seed in 0..8 {
            let (samples, truth) = three_minutes(scenario, seed);
            assert!(truth.faults.is_empty(), "seed {seed}: the pads stay on");
            let name = scenario.name();
            assert_eq!(fault_starts(&samples), vec![], "{name} seed {seed}");
        }
    }
    for seed in 0..4 {
        let (samples, truth) = three_minutes(Scenario::PadOff, seed);
        let raised = fault_starts(&samples);
        assert!(!truth.faults.is_empty(), "seed {seed}: a pad comes off");
        // Promptly: within a second of the pad's peeling off (about 300 ms
        // here), not after a calibration on the still signal.
        for f in &truth.faults {
            let by = f.start_ms + f.peel_ms + 1000.0;
            assert!(
                raised.iter().any(|(t, _)| *t >= f.start_ms && *t <= by),
                "pad_off seed {seed}: the pad off at {:.0} ms (peeling until {:.0}) raised none of {raised:?} by {by:.0}",
                f.start_ms,
                f.start_ms + f.peel_ms,
            );
        }
    }
}

/// The second model's faces with their pads on (every scene but pad_off,
/// 16 seeds x 3 minutes, 25 Hz) raise no fault. Before quiet stretches
/// and steps down were told from pads off (2026-12-01, night), they raised
/// 33: `Flat` on quiet stretches of calm, talking, chewing, walking, drift
/// and long closures, `Wild` at smiles, walks and long closures.
#[test]
fn the_second_models_faces_with_their_pads_on_raise_no_fault() {
    let mut raised = Vec::new();
    for scene in physio::Scene::ALL {
        if scene.name() == "pad_off" {
            continue;
        }
        for seed in 0..16 {
            let tr = physio::generate(scene, 25.0, 180.0, seed);
            for (t, kind) in fault_starts(&tr.samples) {
                raised.push(format!("{} seed {seed}: {kind} at {t:.0} ms", scene.name()));
            }
        }
    }
    assert!(raised.is_empty(), "{raised:#?}");
}

#[test]
fn jolts_of_a_walk_whose_neighbours_are_noise_are_no_blinks() {
    // The first minute of the third model's walking, seed 1, at 25 Hz
    // (`scripts/third-model BIN OUT 1 25`, tests/data/third-model-walking):
    // a 40 ms jolt every 450-600 ms, one sample wide, its neighbours only
    // noise (about a fifth of its height). They read 46-54 ms wide, just
    // over a spike's 1.15 samples, and five passed as blinks; in a run of
    // tugs the neighbours are taken a noise unit lower
    // (`RUN_NEIGHBOUR_SIGMA`), and one passes.
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/third-model-walking");
    let samples = augenblick::trace::read_trace(dir.join("trace.csv")).unwrap();
    let labels = augenblick::trace::read_labels(dir.join("labels.csv")).unwrap();
    let closures = detect_all(&config(), samples.iter().copied()).unwrap();
    let span = (0.0, samples.last().unwrap().t_ms);
    let s = score(&closures, &labels, span, &ScoreOptions::default());
    assert!(s.false_positives <= 2, "jolts taken for blinks: {s:?}");
    assert!(s.true_positives >= 11, "blinks lost among the jolts: {s:?}");
}

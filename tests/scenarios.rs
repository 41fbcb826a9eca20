//! The scenario suite: every scenario generated in memory, several seeds
//! each, scored against its labels with the default config.

mod physio;

use augenblick::detector::{detect_all, DetectorConfig};
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

fn run_physio(scene: physio::Scene, hz: f64, seeds: std::ops::Range<u64>) -> Row {
    let cfg = DetectorConfig::default();
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
    lats.sort_by(f64::total_cmp);
    let p = tp as f64 / (tp + fp).max(1) as f64;
    let r = tp as f64 / (tp + fn_).max(1) as f64;
    let q = |f: f64| {
        lats.get(((lats.len() as f64 - 1.0) * f).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Row {
        name: format!("{}@{hz}", scene.name()),
        f1: 2.0 * p * r / (p + r).max(1e-9),
        precision: p,
        recall: r,
        lat_med: q(0.5),
        lat_p90: q(0.9),
        labels: tp + fn_,
    }
}

#[test]
fn physio_model_table() {
    let mut rows = Vec::new();
    for scene in physio::Scene::ALL {
        rows.push(run_physio(scene, 25.0, 0..4));
    }
    for hz in [50.0, 100.0, 860.0] {
        rows.push(run_physio(physio::Scene::Calm, hz, 0..2));
    }
    for r in &rows {
        println!(
            "{:<20} F1 {:.3} P {:.3} R {:.3} lat {:>5.0}/{:>5.0} n {}",
            r.name, r.f1, r.precision, r.recall, r.lat_med, r.lat_p90, r.labels
        );
    }
}

/// Development aid: `DEBUG_SCENE=calm DEBUG_HZ=100 cargo test --release --test scenarios debug -- --nocapture --ignored`
#[test]
#[ignore]
fn debug_scene() {
    use augenblick::detector::{BlinkDetector, Event};
    let name = std::env::var("DEBUG_SCENE").unwrap_or("calm".into());
    let hz: f64 = std::env::var("DEBUG_HZ")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25.0);
    let seed: u64 = std::env::var("DEBUG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let scene = physio::Scene::ALL
        .into_iter()
        .find(|s| s.name() == name)
        .unwrap();
    let tr = physio::generate(scene, hz, 180.0, seed);
    let mut d = BlinkDetector::new(DetectorConfig::default()).unwrap();
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

//! Prints everything the detector decides, exactly, so two builds can be
//! diffed: an optimisation of the detector or of the sweep must not change a
//! single bit of any event, snapshot or score.
//!
//! ```sh
//! cargo run --release --example detector_fingerprint -- DIR... > before.txt
//! # ... change the code ...
//! cargo run --release --example detector_fingerprint -- DIR... > after.txt
//! diff before.txt after.txt
//! ```
//!
//! Each DIR holds `trace.csv` and `labels.csv` (as `augenblick synth` writes
//! them). Every trace is replayed under a few configs that take different
//! paths (the defaults, strict and loose thresholds, short and long
//! windows); each event is printed with `{:?}` (which prints an f64 exactly),
//! and a digest of the per-sample snapshot (state, baseline, noise,
//! thresholds) follows each run. Then a 96-config sweep over the traces
//! prints every evaluation.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::PathBuf;

use augenblick::detector::{BlinkDetector, DetectorConfig};
use augenblick::trace::{read_labels, read_trace};
use augenblick::tune::metrics::ScoreOptions;
use augenblick::tune::sweep::{run_sweep, Axis, Dataset, Grid};

fn configs() -> Vec<(&'static str, DetectorConfig)> {
    let with = |pairs: &[(&str, f64)]| {
        let mut c = DetectorConfig::default();
        for (k, v) in pairs {
            c.set(k, *v).expect("a known parameter");
        }
        c
    };
    vec![
        ("default", DetectorConfig::default()),
        (
            "strict",
            with(&[
                ("on_sigma", 8.0),
                ("off_sigma", 3.5),
                ("min_closure_ms", 120.0),
            ]),
        ),
        (
            "loose",
            with(&[
                ("on_sigma", 3.0),
                ("off_sigma", 0.5),
                ("refractory_ms", 0.0),
                ("rise_ms", 100.0),
                ("blink_ms", 300.0),
                ("rhythm_bursts", 0.0),
            ]),
        ),
        (
            "windows",
            with(&[
                ("floor_ms", 400.0),
                ("flat_ms", 100.0),
                ("baseline_ms", 800.0),
                ("calibration_ms", 300.0),
                ("flat_sigma", 1.0),
                ("wild_sigma", 2.0),
            ]),
        ),
    ]
}

fn main() -> anyhow::Result<()> {
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let mut datasets = Vec::new();
    for dir in &dirs {
        let samples = read_trace(dir.join("trace.csv"))?;
        let labels = read_labels(dir.join("labels.csv"))?;
        for (name, cfg) in configs() {
            println!("== {} {name}", dir.display());
            let mut d = BlinkDetector::new(cfg)?;
            let mut h = DefaultHasher::new();
            for s in &samples {
                d.push(s.t_ms, s.emg);
                while let Some(e) = d.poll() {
                    println!("{e:?}");
                }
                let snap = d.snapshot();
                h.write(snap.state.as_str().as_bytes());
                for v in [
                    snap.baseline,
                    snap.noise,
                    snap.on_threshold,
                    snap.off_threshold,
                ] {
                    h.write_u64(v.to_bits());
                }
            }
            d.finish();
            while let Some(e) = d.poll() {
                println!("{e:?}");
            }
            println!(
                "snapshots {:016x} placement {:?}",
                h.finish(),
                d.placement()
            );
        }
        datasets.push(Dataset {
            name: dir.display().to_string(),
            trace_path: dir.join("trace.csv"),
            samples,
            labels,
        });
    }
    let grid = Grid::new(
        DetectorConfig::default(),
        vec![
            Axis::parse("on_sigma=4:7.5:0.5")?,
            Axis::parse("off_sigma=1:4:1")?,
            Axis::parse("min_closure_ms=20,60,100")?,
        ],
    )?;
    let (candidates, _, _) = grid.candidates();
    for o in run_sweep(candidates, &datasets, &ScoreOptions::default(), || {})? {
        println!("== sweep {:?}", o.candidate.values);
        println!("{:?}", o.evaluation);
    }
    Ok(())
}

//! A small labelled trace generator for the tune tests and benchmarks, so
//! they do not depend on `augenblick synth`: a noisy baseline with a
//! raised-cosine burst per blink, every 2 to 6 s, 100 to 400 ms long.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use augenblick::trace::{write_labels, Label, Sample, TraceWriter};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// Samples and the labels that tell their truth.
#[derive(Clone)]
pub struct Labelled {
    pub samples: Vec<Sample>,
    pub labels: Vec<Label>,
}

/// `seconds` of envelope at `hz`, reproducible from `seed`.
pub fn blinks(seconds: f64, hz: f64, seed: u64) -> Labelled {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 12.0).expect("a valid normal");
    let n = (seconds * hz) as usize;
    let period = 1000.0 / hz;
    // Blinks first, then the signal they make.
    let mut labels = Vec::new();
    let mut t = 5000.0 + rng.random_range(0.0..2000.0);
    while t < seconds * 1000.0 - 1000.0 {
        let len = rng.random_range(100.0..400.0);
        labels.push(Label {
            onset_ms: t,
            offset_ms: t + len,
        });
        t += len + rng.random_range(2000.0..6000.0);
    }
    let mut samples = Vec::with_capacity(n);
    let mut next = 0;
    for i in 0..n {
        let t_ms = i as f64 * period;
        while next < labels.len() && labels[next].offset_ms < t_ms {
            next += 1;
        }
        let mut v = 2000.0 + noise.sample(&mut rng);
        if let Some(l) = labels.get(next) {
            if t_ms >= l.onset_ms {
                // The burst rises with the lid and fades before it reopens.
                let x = (t_ms - l.onset_ms) / (l.offset_ms - l.onset_ms);
                v += 500.0 * (std::f64::consts::PI * x).sin();
            }
        }
        samples.push(Sample {
            t_ms: t_ms.round(),
            emg: v.round() as i32,
        });
    }
    Labelled { samples, labels }
}

/// Writes `trace.csv` and `labels.csv` into `dir`; returns their paths.
pub fn write(dir: &Path, data: &Labelled) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).expect("create the folder");
    let trace = dir.join("trace.csv");
    let labels = dir.join("labels.csv");
    let mut w = TraceWriter::create(&trace, &[]).expect("create the trace");
    for s in &data.samples {
        w.write(*s, &[]).expect("write a sample");
    }
    w.into_inner().expect("flush the trace");
    write_labels(&labels, &data.labels).expect("write the labels");
    (trace, labels)
}

//! Sweep throughput: configs x samples per second through the whole sweep
//! harness (replay, scoring, ranking) on all cores, over a 24-hour 25 Hz
//! trace of `synth`'s `mixed` scenario (2.16 M samples). Criterion needs at
//! least ten runs, so this runs 40 configs per iteration and reports samples
//! per second; the full 1000-config sweep through the real command is
//! `scripts/bench-sweep`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use augenblick::detector::DetectorConfig;
use augenblick::synth::{Scenario, Synth, SynthOptions};
use augenblick::tune::metrics::ScoreOptions;
use augenblick::tune::sweep::{rank, run_sweep, Axis, Dataset, Grid, Objective};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn sweep(c: &mut Criterion) {
    let opts = SynthOptions {
        minutes: 1440.0,
        ..SynthOptions::new(Scenario::Mixed, 1)
    };
    let mut synth = Synth::new(&opts).expect("valid options");
    let samples: Vec<_> = synth.by_ref().collect();
    let datasets = vec![Dataset {
        name: "day".into(),
        trace_path: PathBuf::from("day.csv"),
        samples,
        labels: synth.finish().labels,
    }];
    let grid = Grid::new(
        DetectorConfig::default(),
        vec![
            Axis::parse("on_sigma=5:8:1").expect("a valid axis"),
            Axis::parse("closure_sigma=4:8.5:0.5").expect("a valid axis"),
        ],
    )
    .expect("a valid grid");
    let (candidates, invalid, _) = grid.candidates();
    assert_eq!(invalid, 0);
    let samples = datasets[0].samples.len() as u64;
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(candidates.len() as u64 * samples));
    group.bench_function(format!("{}_configs_24h_25hz", candidates.len()), |b| {
        b.iter(|| {
            let mut out = run_sweep(
                candidates.clone(),
                &datasets,
                &ScoreOptions::default(),
                || {},
            )
            .expect("valid configs");
            rank(&mut out, Objective::Worst);
            black_box(out[0].evaluation.pooled.f1)
        })
    });
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);

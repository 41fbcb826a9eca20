//! Detector throughput: samples per second through `push` + `poll` on one
//! core, over an hour of `synth`'s `mixed` scenario at 25 Hz (rest, talk,
//! meals, walks, smiles, drift and pad faults: every path of the detector).

use std::hint::black_box;

use augenblick::detector::{BlinkDetector, DetectorConfig, Event};
use augenblick::synth::{Scenario, Synth, SynthOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn push_poll(c: &mut Criterion) {
    let opts = SynthOptions {
        minutes: 60.0,
        ..SynthOptions::new(Scenario::Mixed, 1)
    };
    let samples: Vec<_> = Synth::new(&opts).expect("valid options").collect();
    let mut group = c.benchmark_group("detector");
    group.throughput(Throughput::Elements(samples.len() as u64));
    group.bench_function("push_poll_1h_25hz", |b| {
        b.iter(|| {
            let mut d = BlinkDetector::new(DetectorConfig::default()).expect("default config");
            let mut closures = 0usize;
            for s in black_box(&samples) {
                d.push(s.t_ms, s.emg);
                while let Some(e) = d.poll() {
                    closures += matches!(e, Event::Closure(_)) as usize;
                }
            }
            d.finish();
            black_box(closures)
        })
    });
    group.finish();
}

criterion_group!(benches, push_poll);
criterion_main!(benches);

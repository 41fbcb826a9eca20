//! Replays the detector benchmark's hour (`synth` `mixed`, 25 Hz, push +
//! poll) N times and prints the time per replay: for instruction counts,
//! which do not depend on what else the machine is doing, and quick timings
//! between two builds without criterion.
//!
//! ```sh
//! cargo build --release --example detector_throughput
//! target/release/examples/detector_throughput 400        # min and median ms per replay
//! # instructions per sample: the count over 10 replays / 900000
//! valgrind --tool=callgrind --toggle-collect='detector_throughput::replay' \
//!     target/release/examples/detector_throughput 10
//! ```

use std::hint::black_box;
use std::time::Instant;

use augenblick::detector::{BlinkDetector, DetectorConfig, Event};
use augenblick::synth::{Scenario, Synth, SynthOptions};
use augenblick::trace::Sample;

fn main() -> anyhow::Result<()> {
    let replays: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 100,
    };
    anyhow::ensure!(replays > 0, "replay at least once");
    let opts = SynthOptions {
        minutes: 60.0,
        ..SynthOptions::new(Scenario::Mixed, 1)
    };
    let samples: Vec<Sample> = Synth::new(&opts)?.collect();
    let mut ms: Vec<f64> = (0..replays)
        .map(|_| {
            let start = Instant::now();
            black_box(replay(&samples));
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let median = ms[replays / 2];
    println!(
        "{} samples x {replays}: min {:.3} ms, median {median:.3} ms per replay ({:.1} M samples/s at the median)",
        samples.len(),
        ms[0],
        samples.len() as f64 / median / 1e3,
    );
    Ok(())
}

/// What `benches/detector.rs` times: a fresh detector over the samples.
#[inline(never)]
fn replay(samples: &[Sample]) -> usize {
    let mut d = BlinkDetector::new(DetectorConfig::default()).expect("default config");
    let mut closures = 0;
    for s in black_box(samples) {
        d.push(s.t_ms, s.emg);
        while let Some(e) = d.poll() {
            closures += usize::from(matches!(e, Event::Closure(_)));
        }
    }
    d.finish();
    closures
}

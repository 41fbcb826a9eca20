//! scratch (not committed)
#[path = "physio/mod.rs"]
mod physio;
use augenblick::detector::{BlinkDetector, DetectorConfig, Event};
use augenblick::synth::{generate, Scenario, SynthOptions};
use augenblick::trace::{Label, Sample};

fn trace(name: &str, seed: u64) -> (Vec<Sample>, Vec<Label>) {
    if let Some(n) = name.strip_prefix("s:") {
        let sc = Scenario::ALL.into_iter().find(|s| s.name() == n).unwrap();
        let opts = SynthOptions {
            minutes: 3.0,
            ..SynthOptions::new(sc, seed)
        };
        let mut samples = Vec::new();
        let truth = generate(&opts, |s| samples.push(s)).unwrap();
        (samples, truth.labels)
    } else {
        let scene = physio::Scene::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .unwrap();
        let tr = physio::generate(scene, 25.0, 180.0, seed);
        (tr.samples, tr.labels)
    }
}

#[test]
#[ignore]
fn analyze() {
    let name = std::env::var("AN").unwrap();
    let cfg = DetectorConfig::default();
    println!("kind seed onset peak_s localratio");
    for seed in 0..8 {
        let (samples, labels) = trace(&name, seed);
        let mut d = BlinkDetector::new(cfg.clone()).unwrap();
        let mut noise = 1.0;
        for (i, s) in samples.iter().enumerate() {
            d.push(s.t_ms, s.emg);
            while let Some(e) = d.poll() {
                match e {
                    Event::Onset { .. } => noise = d.snapshot().noise,
                    Event::Closure(c) => {
                        // local spread: mean abs successive deviation from a running min over 1 s before onset
                        let j0 = samples[..i]
                            .iter()
                            .rposition(|x| x.t_ms < c.onset_ms - 1000.0)
                            .unwrap_or(0);
                        let j1 = samples[..i]
                            .iter()
                            .rposition(|x| x.t_ms < c.onset_ms)
                            .unwrap_or(0);
                        let w: Vec<f64> = samples[j0..=j1].iter().map(|x| x.emg as f64).collect();
                        let m = w.iter().sum::<f64>() / w.len() as f64;
                        let sd = (w.iter().map(|x| (x - m) * (x - m)).sum::<f64>()
                            / w.len() as f64)
                            .sqrt();
                        let tp = labels.iter().any(|lb| {
                            c.onset_ms < lb.offset_ms + 100.0 && c.offset_ms > lb.onset_ms - 100.0
                        });
                        println!(
                            "{} {} {:.0} {:.1} {:.2}",
                            if tp { "TP" } else { "FP" },
                            seed,
                            c.onset_ms,
                            c.peak / noise,
                            sd / noise
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

//! Properties of the detector that hold for any input whatsoever: it never
//! panics, and what it says is always consistent (closures in time order,
//! never overlapping, each onset before its decision and its offset).

use augenblick::detector::{BlinkDetector, Closure, DetectorConfig, Event};
use augenblick::synth::{generate, Scenario, SynthOptions};
use proptest::prelude::*;

/// Samples as (time step in ms, value): steps may be zero (equal times),
/// tiny, or huge (gaps); values anything an i32 holds, with a bias towards
/// blink-like signals around a baseline so that closures really happen.
fn samples() -> impl Strategy<Value = Vec<(f64, i32)>> {
    let step = prop_oneof![
        8 => Just(40.0),
        2 => 0.0f64..60.0,
        1 => Just(0.0),
        1 => 1000.0f64..100_000.0,
    ];
    let value = prop_oneof![
        6 => 990i32..1010,
        3 => 1000i32..1600,
        1 => any::<i32>(),
        1 => Just(32767),
        1 => Just(0),
        1 => -5000i32..0,
    ];
    prop::collection::vec((step, value), 0..1500)
}

/// Runs the samples; returns the events with the sample time they came at.
fn run(cfg: DetectorConfig, input: &[(f64, i32)]) -> Vec<(f64, Event)> {
    let mut d = BlinkDetector::new(cfg).unwrap();
    let mut t = 0.0;
    let mut out = Vec::new();
    for &(step, x) in input {
        t += step;
        d.push(t, x);
        let _ = d.snapshot();
        let _ = d.placement();
        while let Some(e) = d.poll() {
            out.push((t, e));
        }
    }
    d.finish();
    while let Some(e) = d.poll() {
        out.push((t, e));
    }
    out
}

fn check(events: &[(f64, Event)]) -> Result<(), TestCaseError> {
    let mut last_offset = f64::NEG_INFINITY;
    let mut last_onset_seen = f64::NEG_INFINITY;
    let mut open: Option<f64> = None; // onset_ms of the announced closure
    let mut in_fault = false;
    // A closure waiting for its verdict: the next event gives it.
    let mut tentative: Option<Closure> = None;
    // Inside the announced closure, the eye taken as open (`Pause`).
    let mut paused = false;
    for (now, e) in events {
        if let Some(t) = tentative.take() {
            let verdict = match *e {
                Event::Closure(c) => c == t,
                Event::Retracted { onset_ms, .. } => onset_ms == t.onset_ms,
                _ => false,
            };
            prop_assert!(verdict, "{e:?} after {t:?} is no verdict on it: {events:?}");
        }
        match *e {
            Event::Tentative(c) => {
                prop_assert_eq!(open, Some(c.onset_ms), "tentative without its onset");
                prop_assert!(c.onset_ms <= c.detected_ms);
                prop_assert!(c.onset_ms < c.offset_ms);
                prop_assert!(c.onset_ms >= last_offset, "overlap: {events:?}");
                tentative = Some(c);
            }
            Event::Onset {
                onset_ms,
                detected_ms,
            } => {
                prop_assert!(!in_fault, "onset inside a fault: {events:?}");
                prop_assert!(open.is_none(), "two onsets without a verdict: {events:?}");
                prop_assert!(onset_ms <= detected_ms);
                prop_assert!(detected_ms <= *now);
                prop_assert!(onset_ms >= last_offset, "onset before the last offset");
                prop_assert!(detected_ms >= last_onset_seen);
                last_onset_seen = detected_ms;
                open = Some(onset_ms);
            }
            Event::Closure(c) => {
                prop_assert_eq!(open.take(), Some(c.onset_ms), "closure without its onset");
                prop_assert!(c.onset_ms <= c.detected_ms);
                prop_assert!(c.onset_ms < c.offset_ms);
                prop_assert!(c.onset_ms >= last_offset, "overlap: {events:?}");
                prop_assert!(c.peak.is_finite() && c.score.is_finite());
                prop_assert!((0.0..=1.0).contains(&c.score));
                last_offset = c.offset_ms;
                paused = false;
            }
            Event::Retracted { onset_ms, t_ms } => {
                prop_assert_eq!(open.take(), Some(onset_ms), "retracted without onset");
                prop_assert!(t_ms >= onset_ms);
                paused = false;
            }
            Event::Pause { t_ms } => {
                let onset = open.ok_or_else(|| {
                    TestCaseError::fail(format!("pause outside a closure: {events:?}"))
                })?;
                prop_assert!(!paused, "two pauses: {events:?}");
                prop_assert!(t_ms >= onset && t_ms <= *now, "{events:?}");
                paused = true;
            }
            Event::Resume {
                onset_ms,
                detected_ms,
            } => {
                prop_assert!(open.is_some(), "resume outside a closure: {events:?}");
                prop_assert!(paused, "resume without a pause: {events:?}");
                prop_assert!(onset_ms <= detected_ms && detected_ms <= *now);
                paused = false;
            }
            Event::FaultStart { t_ms, .. } => {
                prop_assert!(!in_fault);
                prop_assert!(open.is_none(), "a fault with a closure announced");
                prop_assert!(t_ms >= last_offset);
                in_fault = true;
            }
            Event::FaultEnd { .. } => {
                prop_assert!(in_fault);
                in_fault = false;
            }
        }
    }
    prop_assert!(open.is_none(), "an onset never resolved: {events:?}");
    prop_assert!(tentative.is_none(), "a verdict never given: {events:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_input_gives_consistent_events(input in samples()) {
        check(&run(DetectorConfig::default(), &input))?;
    }

    #[test]
    fn any_valid_config_gives_consistent_events(
        input in samples(),
        on in 1.0f64..10.0,
        off_share in 0.0f64..1.0,
        calibration in 0.0f64..3000.0,
        refractory in 0.0f64..300.0,
        reopen in 0.0f64..300.0,
        lead in 0.0f64..100.0,
    ) {
        let cfg = DetectorConfig {
            on_sigma: on,
            off_sigma: on * off_share,
            calibration_ms: calibration,
            refractory_ms: refractory,
            reopen_ms: reopen,
            onset_lead_ms: lead,
            ..DetectorConfig::default()
        };
        check(&run(cfg, &input))?;
    }

    /// A closure is judged at its onset-to-offset, the offset being its
    /// burst's let-go (never before its onset) plus `reopen_ms`: so a
    /// `min_closure_ms` up to `reopen_ms` never binds, and a sweep runs
    /// configs that differ only there once (`DetectorConfig::behaviour`).
    /// Bit for bit: the same events with the minimum at 0 and anywhere up
    /// to 1 ms short of `reopen_ms`.
    #[test]
    fn a_minimum_closure_up_to_reopen_ms_never_binds(
        input in samples(),
        reopen in 0.0f64..300.0,
        share in 0.0f64..=1.0,
    ) {
        let cfg = |min| DetectorConfig {
            reopen_ms: reopen,
            min_closure_ms: min,
            ..DetectorConfig::default()
        };
        let under = share * (reopen - 1.0).max(0.0);
        prop_assert_eq!(cfg(0.0).behaviour(), cfg(under).behaviour());
        let events = format!("{:?}", run(cfg(0.0), &input));
        prop_assert_eq!(events, format!("{:?}", run(cfg(under), &input)));
    }
}

/// Smiles held as long closures tell the recorder when the eye is open on
/// the plateau (`Pause`, `Resume`): random input seldom makes one, so the
/// same checks run on smiling traces at 25 and 100 Hz.
#[test]
fn smiles_give_consistent_events() {
    let mut pauses = 0;
    for (seed, rate) in [(0, 25.0), (1, 25.0), (2, 100.0)] {
        let opts = SynthOptions {
            minutes: 3.0,
            rate_hz: Some(rate),
            ..SynthOptions::new(Scenario::Smiling, seed)
        };
        let mut steps = Vec::new();
        let mut last = 0.0;
        generate(&opts, |s| {
            steps.push((s.t_ms - last, s.emg));
            last = s.t_ms;
        })
        .unwrap();
        let events = run(DetectorConfig::default(), &steps);
        pauses += events
            .iter()
            .filter(|(_, e)| matches!(e, Event::Pause { .. }))
            .count();
        if let Err(e) = check(&events) {
            panic!("seed {seed} at {rate} Hz: {e}");
        }
    }
    assert!(pauses > 0, "no smile was held as a long closure");
}

//! The blink detector's state machine, step by step, on small hand-made
//! signals: each test narrates what the wearer did and what must come out.

use augenblick::detector::{BlinkDetector, DetectorConfig, Event, FaultKind, State};

/// Resting level of the fixtures, in counts.
const BASE: f64 = 1000.0;

/// Deterministic "noise" of about 2 counts standard deviation.
fn noise(i: usize) -> f64 {
    const P: [f64; 8] = [1.0, -2.0, 3.0, 0.0, -3.0, 2.0, -1.0, 0.0];
    P[i % 8] + P[(i / 8) % 8] * 0.5
}

/// A recording built piece by piece at a fixed rate.
struct Signal {
    hz: f64,
    samples: Vec<(f64, i32)>,
}

impl Signal {
    fn new(hz: f64) -> Self {
        Signal {
            hz,
            samples: Vec::new(),
        }
    }
    fn t(&self) -> f64 {
        self.samples.len() as f64 * 1000.0 / self.hz
    }
    /// Rest for `ms` at `level` above the baseline.
    fn rest(mut self, ms: f64, level: f64) -> Self {
        let n = (ms * self.hz / 1000.0).round() as usize;
        for _ in 0..n {
            let i = self.samples.len();
            let t = self.t();
            self.samples
                .push((t, (BASE + level + noise(i)).round() as i32));
        }
        self
    }
    /// A shape given as a function of the time since its start, for `ms`.
    fn shape(mut self, ms: f64, f: impl Fn(f64) -> f64) -> Self {
        let t0 = self.t();
        let n = (ms * self.hz / 1000.0).round() as usize;
        for _ in 0..n {
            let i = self.samples.len();
            let t = self.t();
            self.samples
                .push((t, (BASE + f(t - t0) + noise(i)).round() as i32));
        }
        self
    }
    /// A blink's envelope: up in ~40 ms, down in ~120 ms, `height` counts.
    fn blink(self, height: f64) -> Self {
        self.blink_on(0.0, height)
    }
    /// `n` blinks of `height` counts, each followed by 2 s of rest: they
    /// teach the detector the wearer's typical blink.
    fn blinks(mut self, n: usize, height: f64) -> Self {
        for _ in 0..n {
            self = self.blink(height).rest(2000.0, 0.0);
        }
        self
    }
    /// A blink of `height` counts on a signal resting at `level`.
    fn blink_on(self, level: f64, height: f64) -> Self {
        self.shape(240.0, move |dt| {
            level
                + if dt < 40.0 {
                    height * dt / 40.0
                } else {
                    height * (-(dt - 40.0) / 50.0).exp()
                }
        })
    }
    /// A deliberate closure of `ms`: a burst of `burst` counts for 120 ms,
    /// then a squeeze held at `hold` (wavering by a quarter: a flat hold is
    /// a step of the baseline).
    fn squeeze(self, ms: f64, burst: f64, hold: f64) -> Self {
        self.shape(ms, move |dt| {
            if dt < 40.0 {
                burst * dt / 40.0
            } else if dt < 120.0 {
                burst
            } else {
                hold * (1.0 + 0.25 * (dt / 25.0).sin())
            }
        })
    }
    /// A squeeze's hold alone: `hold` counts, wavering like muscle activity.
    fn hold(self, ms: f64, hold: f64) -> Self {
        self.shape(ms, move |dt| hold * (1.0 + 0.25 * (dt / 25.0).sin()))
    }
    /// A pad off: the raw value stuck at `counts` for `ms`, no noise.
    fn stuck(mut self, ms: f64, counts: i32) -> Self {
        let n = (ms * self.hz / 1000.0).round() as usize;
        for _ in 0..n {
            let t = self.t();
            self.samples.push((t, counts));
        }
        self
    }
    /// A still stretch of `ms` at `level`, moving by one count (the ADC's
    /// step) from sample to sample, and no more.
    fn quiet(mut self, ms: f64, level: f64) -> Self {
        let n = (ms * self.hz / 1000.0).round() as usize;
        for k in 0..n {
            let t = self.t();
            self.samples
                .push((t, (BASE + level).round() as i32 + (k % 2) as i32));
        }
        self
    }
    /// One sample of `height`.
    fn spike(mut self, height: f64) -> Self {
        let t = self.t();
        self.samples.push((t, (BASE + height).round() as i32));
        self
    }
    /// A burst shaped as half a sine, `height` counts, `ms` long (a chew,
    /// a syllable).
    fn hump(self, ms: f64, height: f64) -> Self {
        self.shape(ms, move |dt| {
            height * (std::f64::consts::PI * dt / ms).sin()
        })
    }
    /// Speech: one syllable per height, about four a second, of uneven
    /// lengths and gaps.
    fn speech(mut self, heights: impl IntoIterator<Item = f64>) -> Self {
        for (k, h) in heights.into_iter().enumerate() {
            self = self
                .hump([180.0, 140.0, 200.0, 160.0][k % 4], h)
                .rest([90.0, 60.0, 110.0, 80.0][k % 4], 0.0);
        }
        self
    }
    /// The noise level the detector has learned by the end of the signal.
    fn noise_after(&self, cfg: DetectorConfig) -> f64 {
        let mut d = BlinkDetector::new(cfg).unwrap();
        for &(t, x) in &self.samples {
            d.push(t, x);
        }
        d.snapshot().noise
    }
    fn run(&self, cfg: DetectorConfig) -> Vec<Event> {
        self.run_watching(cfg, |_, _| {})
    }
    /// [`Self::run`], showing the detector to `watch` after each sample.
    fn run_watching(
        &self,
        cfg: DetectorConfig,
        mut watch: impl FnMut(&BlinkDetector, f64),
    ) -> Vec<Event> {
        let mut d = BlinkDetector::new(cfg).unwrap();
        let mut out = Vec::new();
        for &(t, x) in &self.samples {
            d.push(t, x);
            while let Some(e) = d.poll() {
                out.push(e);
            }
            watch(&d, t);
        }
        d.finish();
        while let Some(e) = d.poll() {
            out.push(e);
        }
        out
    }
}

fn closures(events: &[Event]) -> Vec<augenblick::detector::Closure> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Closure(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn onsets(events: &[Event]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Onset { detected_ms, .. } => Some(*detected_ms),
            _ => None,
        })
        .collect()
}

/// The times from which the eye is taken as open inside a closure.
fn pauses(events: &[Event]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Pause { t_ms } => Some(*t_ms),
            _ => None,
        })
        .collect()
}

/// The onsets from which the eye is shut again inside a closure.
fn resumes(events: &[Event]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Resume { onset_ms, .. } => Some(*onset_ms),
            _ => None,
        })
        .collect()
}

fn faults(events: &[Event]) -> Vec<(bool, FaultKind)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::FaultStart { kind, .. } => Some((true, *kind)),
            Event::FaultEnd { kind, .. } => Some((false, *kind)),
            _ => None,
        })
        .collect()
}

fn cfg() -> DetectorConfig {
    DetectorConfig::default()
}

#[test]
fn a_clean_blink_is_announced_on_its_first_loud_sample_and_closed_after_it_falls() {
    // Two seconds of rest (calibration), a blink at t = 2000 ms, rest.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .blink(200.0)
        .rest(1000.0, 0.0);
    let ev = s.run(cfg());
    let c = closures(&ev);
    assert_eq!(c.len(), 1, "{ev:?}");
    // First sample of the blink at 2000 ms is 0 above; 2040 ms is the top.
    assert_eq!(onsets(&ev), vec![2040.0]);
    assert_eq!(c[0].detected_ms, 2040.0);
    // The onset estimate lies before the decision, around the blink's start.
    assert!(c[0].onset_ms <= c[0].detected_ms);
    assert!(c[0].onset_ms > 1950.0, "{c:?}");
    // The burst is below 2 sigma by ~2200 ms; the lid reopens after that.
    assert!(c[0].offset_ms > 2150.0 && c[0].offset_ms < 2400.0, "{c:?}");
    assert!(c[0].peak > 150.0 && c[0].score > 0.5, "{c:?}");
}

#[test]
fn a_blink_while_calibrating_is_found_when_the_calibration_ends() {
    // The first 1.5 s calibrate; a blink at 500 ms is judged once they
    // have, and says so: decided at the calibration's end, not before.
    let s = Signal::new(25.0)
        .rest(500.0, 0.0)
        .blink(200.0)
        .rest(2000.0, 0.0);
    let ev = s.run(cfg());
    let c = closures(&ev);
    assert_eq!(c.len(), 1, "{ev:?}");
    assert!(c[0].onset_ms > 450.0 && c[0].onset_ms < 560.0, "{c:?}");
    assert!(c[0].offset_ms > 600.0 && c[0].offset_ms < 900.0, "{c:?}");
    let end = cfg().calibration_ms;
    assert!(
        c[0].detected_ms >= end && c[0].detected_ms < end + 45.0,
        "{c:?}"
    );
    for o in onsets(&ev) {
        assert!(
            o >= end,
            "an onset decided before the calibration ended: {ev:?}"
        );
    }
}

#[test]
fn a_blink_while_recalibrating_after_a_fault_is_found_too() {
    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    // Pad off for 3 s; back on, it clears in half a second and calibrates
    // for 1.5 s more. A blink 1 s after its return falls in that time.
    s = s.stuck(3000.0, 1000);
    let back = s.t();
    s = s.rest(1000.0, 0.0);
    let blink_at = s.t();
    s = s.blink(200.0).rest(3000.0, 0.0);
    let ev = s.run(cfg());
    let ends: Vec<f64> = ev
        .iter()
        .filter_map(|e| match e {
            Event::FaultEnd { t_ms, .. } => Some(*t_ms),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 1, "{ev:?}");
    assert!(ends[0] > back && ends[0] < blink_at, "{ev:?}");
    let c = closures(&ev);
    assert_eq!(c.len(), 1, "{ev:?}");
    assert!((c[0].onset_ms - blink_at).abs() < 60.0, "{c:?}");
    // Found by looking again at the calibration's samples: decided when it
    // ended, after the blink was over.
    assert!(c[0].detected_ms >= ends[0] + cfg().calibration_ms, "{c:?}");
}

#[test]
fn a_cable_tug_is_announced_then_retracted() {
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .spike(300.0)
        .rest(1000.0, 0.0);
    let ev = s.run(cfg());
    assert!(closures(&ev).is_empty(), "{ev:?}");
    assert!(matches!(ev[0], Event::Onset { .. }), "{ev:?}");
    assert!(matches!(ev[1], Event::Retracted { .. }), "{ev:?}");
}

#[test]
fn a_short_blink_of_two_samples_at_25_hz_is_not_a_spike() {
    // 0, 150, 90, 20: the second sample keeps more than half the height.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .shape(160.0, |dt| [0.0, 150.0, 90.0, 20.0][(dt / 40.0) as usize])
        .rest(1000.0, 0.0);
    assert_eq!(closures(&s.run(cfg())).len(), 1);
}

/// The last burst was announced and then taken back (a spike), after
/// `found` closures.
fn ends_taken_back(ev: &[Event], found: usize, what: &str) {
    assert_eq!(closures(ev).len(), found, "{what}: {ev:?}");
    assert!(
        matches!(
            ev.iter().rev().find(|e| !matches!(e, Event::Closure(_))),
            Some(Event::Retracted { .. })
        ),
        "{what}: announced, then taken back: {ev:?}"
    );
}

/// A blink whose burst is narrow: at 25 Hz it is one sample wide at half
/// height (`height`, then a seventh of it, then rest: about 43 ms, under
/// the 46 ms that make a spike), as a cable tug is.
fn narrow_blink(s: Signal, height: f64) -> Signal {
    s.shape(120.0, move |dt| {
        [height, height / 7.0, 0.0][(dt / 40.0) as usize]
    })
}

#[test]
fn a_narrow_blink_one_sample_wide_is_a_blink_unless_tugs_came_lately() {
    // Five blinks teach the wearer's typical height (300 counts).
    let taught = || Signal::new(25.0).rest(2000.0, 0.0).blinks(5, 300.0);
    // At 25 Hz a narrow blink is one sample wide, like a tug; on a face at
    // rest with no tug lately, standing like the wearer's blinks, it is a
    // blink.
    let s = narrow_blink(taught(), 280.0).rest(1000.0, 0.0);
    assert_eq!(closures(&s.run(cfg())).len(), 6, "{:?}", s.run(cfg()));
    // A tug far taller than a blink 10 s before: tugs come in runs, so the
    // same burst is a spike.
    let s = taught().spike(1500.0).rest(10_000.0, 0.0);
    let s = narrow_blink(s, 280.0).rest(1000.0, 0.0);
    let ev = s.run(cfg());
    assert_eq!(closures(&ev).len(), 5, "{ev:?}");
    // ... and over 30 s after it (ordinary blinks meanwhile, 2.24 s apart),
    // a blink again.
    let s = taught().spike(1500.0).rest(9_000.0, 0.0).blinks(10, 300.0);
    let s = narrow_blink(s, 280.0).rest(1000.0, 0.0);
    assert_eq!(closures(&s.run(cfg())).len(), 16);
    // Where samples come 10 ms apart the width is measured: a burst 13 ms
    // wide at half height there is a spike whatever its height (one that
    // lasts 40 ms over the off level, so not too brief for a muscle).
    let s = Signal::new(100.0).rest(2000.0, 0.0).blinks(5, 300.0);
    let s = s.shape(50.0, |dt| {
        [280.0, 100.0, 60.0, 30.0, 0.0][(dt / 10.0) as usize]
    });
    let ev = s.rest(1000.0, 0.0).run(cfg());
    assert_eq!(closures(&ev).len(), 5, "{ev:?}");
    // Much taller or smaller than the wearer's blinks (1.8 and 0.5 times:
    // neither so tall that one sample alone says tug, nor under the bar),
    // it is a spike.
    for height in [540.0, 150.0] {
        let s = narrow_blink(taught(), height).rest(1000.0, 0.0);
        ends_taken_back(&s.run(cfg()), 5, &format!("height {height}"));
    }
}

#[test]
fn a_narrow_blink_on_the_beat_of_a_flurry_does_not_keep_the_next_one_out() {
    // Three blinks 700 ms apart, the third narrow (one sample wide, where
    // the two before it were four) and taller than they were: on the beat
    // of the two before it, it is taken back as a spike. It stood like the
    // wearer's blinks and alone, so it is no tug: a narrow blink 10 s later
    // is still a blink.
    let taught = Signal::new(25.0).rest(2000.0, 0.0).blinks(5, 300.0);
    let s = taught.hump(200.0, 300.0).rest(500.0, 0.0);
    let s = s.hump(200.0, 300.0).rest(500.0, 0.0);
    let on_beat_at = s.t();
    let s = narrow_blink(s, 380.0).rest(10_000.0, 0.0);
    let later_at = s.t();
    let ev = narrow_blink(s, 280.0).rest(1000.0, 0.0).run(cfg());
    let found = closures(&ev);
    eprintln!("DBG {on_beat_at} {later_at} {ev:?}");
    // The one on the beat was judged and taken back (else this tests nothing).
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Retracted { onset_ms, .. }
            if (onset_ms - on_beat_at).abs() < 100.0)),
        "{ev:?}"
    );
    assert!(
        !found
            .iter()
            .any(|c| (c.onset_ms - on_beat_at).abs() < 100.0),
        "{found:?}"
    );
    assert!(
        found.iter().any(|c| (c.onset_ms - later_at).abs() < 100.0),
        "{found:?}"
    );
}

#[test]
fn a_flicker_of_noise_under_the_bar_does_not_keep_a_narrow_blink_out() {
    // Tugs come in runs, so a one-sample burst soon after a spike is a
    // spike too. A flicker that passed the onset bar but stood well under
    // any blink's bar (60 counts; the typical blink is 300) is no tug: 10 s
    // later a narrow blink is still a blink.
    let taught = Signal::new(25.0).rest(2000.0, 0.0).blinks(5, 300.0);
    let flicker_at = taught.t();
    let s = taught.spike(60.0).rest(10_000.0, 0.0);
    let ev = narrow_blink(s, 280.0).rest(1000.0, 0.0).run(cfg());
    // The flicker was followed as a burst and judged (else this tests nothing).
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Retracted { onset_ms, .. }
            if (onset_ms - flicker_at).abs() < 100.0)),
        "{ev:?}"
    );
    assert_eq!(closures(&ev).len(), 6, "{ev:?}");
}

#[test]
fn a_step_up_while_the_cable_jolts_at_every_step_is_no_run_of_blinks() {
    // Four blinks teach the typical height (200). Then, walking, the cable
    // is jolted at every step (one sample, 400 counts, every 450 ms), and a
    // pad shifts: the signal steps up 100 counts (many times the noise)
    // just before a jolt. Each jolt rises before the signal falls back to
    // the floor it was measured from, so without care one burst follows
    // another from the old floor for as long as the walk lasts, and the
    // step passes as a closure between every two jolts. After a blink's
    // length they are measured from the new floor: spikes, and a blink
    // among them is found. (The step's first second may still pass as a
    // closure, and so may the jolt just before it.)
    let jolts = |mut s: Signal, n: usize, level: f64| {
        for _ in 0..n {
            s = s.rest(410.0, level).spike(level + 400.0);
        }
        s
    };
    let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    let walk_at = s.t();
    let s = jolts(s, 6, 0.0);
    let step_at = s.t();
    let s = jolts(s.rest(40.0, 100.0).spike(500.0), 16, 100.0).rest(200.0, 100.0);
    let blink_at = s.t();
    let s = s.blink_on(100.0, 200.0).rest(200.0, 100.0).spike(500.0);
    let ev = jolts(s, 6, 100.0).rest(500.0, 100.0).run(cfg());
    assert!(
        !ev.iter().any(|e| matches!(e, Event::FaultStart { .. })),
        "a step up is no fault: {ev:?}"
    );
    let found = closures(&ev);
    assert_eq!(
        found.iter().filter(|c| c.detected_ms < walk_at).count(),
        4,
        "{found:?}"
    );
    let walked: Vec<_> = found
        .iter()
        .filter(|c| c.onset_ms > step_at + 1000.0)
        .collect();
    assert_eq!(walked.len(), 1, "only the blink: {walked:?}");
    assert!(
        (walked[0].detected_ms - blink_at).abs() <= 100.0,
        "{walked:?}"
    );
}

#[test]
fn a_step_down_while_the_cable_jolts_at_every_step_is_no_fault() {
    step_down_among_jolts(25.0);
}

#[test]
fn a_step_down_among_jolts_four_samples_wide_is_no_fault() {
    // At 100 Hz a jolt of 40 ms is four samples wide.
    step_down_among_jolts(100.0);
}

/// Four blinks teach the typical height (200). Then, walking, a pad shifts
/// and the baseline drops 150 counts: until the baseline follows, the drop
/// lies deep below it, like a pad peeling off. The cable is jolted at every
/// step (40 ms flat, 400 counts over the new level, every 520 ms), so nearly
/// every flat window holds a jolt. The signal stays down but for the jolts:
/// a step of the baseline, not a pad swinging loose, so no fault (the
/// baseline moves to the new level), and a blink among the jolts 8 s later
/// is found. (Before steps down were told from a pad swinging, this raised
/// a `Wild` fault, and the test asked that it end within 5 s.)
fn step_down_among_jolts(hz: f64) {
    let jolt = |s: Signal| s.shape(40.0, |_| 250.0);
    let jolts = |mut s: Signal, n: usize| {
        for _ in 0..n {
            s = jolt(s.rest(480.0, -150.0));
        }
        s
    };
    let s = Signal::new(hz).rest(2000.0, 0.0).blinks(4, 200.0);
    let step_at = s.t();
    let s = jolts(s, 16).rest(240.0, -150.0);
    let blink_at = s.t();
    let s = jolt(s.blink_on(-150.0, 200.0).rest(240.0, -150.0));
    let ev = jolts(s, 6).rest(500.0, -150.0).run(cfg());
    assert_eq!(faults(&ev), vec![], "{hz} Hz: step at {step_at}: {ev:?}");
    let found = closures(&ev);
    assert_eq!(found.len(), 5, "{hz} Hz: blink at {blink_at}: {ev:?}");
    assert!(
        (found[4].detected_ms - blink_at).abs() <= 100.0,
        "{hz} Hz: {found:?}"
    );
}

#[test]
fn a_jolt_with_square_edges_is_no_blink_where_samples_come_close() {
    // At 100 Hz a cable jolt lasting 40 ms is four samples wide (34 at
    // 860 Hz), as wide at half height as a narrow blink: but it rises and
    // falls in one sample. Standing like the wearer's blinks (300), on a
    // face at rest, it is a spike; a blink of the same height and width at
    // half height, whose burst rises and falls over 40 ms each, is a blink.
    // At 860 Hz the onset test looks at the signal smoothed over 15 ms, so
    // the jolt's candidate starts a few samples into it: its edge is
    // remembered from before.
    for hz in [100.0, 860.0] {
        let taught = || Signal::new(hz).rest(2000.0, 0.0).blinks(5, 300.0);
        let ev = taught().shape(40.0, |_| 300.0).rest(1000.0, 0.0).run(cfg());
        ends_taken_back(&ev, 5, &format!("{hz} Hz"));
        let ev = taught()
            .shape(80.0, |dt| {
                300.0 * (0.5 - 0.5 * (std::f64::consts::TAU * dt / 80.0).cos())
            })
            .rest(1000.0, 0.0)
            .run(cfg());
        assert_eq!(closures(&ev).len(), 6, "{hz} Hz: {ev:?}");
    }
}

#[test]
fn a_square_jolt_whose_onset_came_late_at_860_hz_is_a_spike() {
    // At 860 Hz the onset test looks at the signal smoothed over 15 ms: on
    // a noisy signal a jolt's candidate starts a few samples into it, and
    // its square edge lies before the candidate's first sample. It is
    // remembered from the samples before (the front end's `edge`).
    let wobble =
        |s: Signal, ms: f64| s.shape(ms, |dt| 14.0 * (dt * 1.7).sin() + 10.0 * (dt * 0.61).cos());
    let mut s = wobble(Signal::new(860.0), 2000.0);
    for _ in 0..5 {
        s = wobble(s.blink_on(0.0, 300.0), 2000.0);
    }
    let ev = wobble(s.shape(40.0, |_| 300.0), 1000.0).run(cfg());
    ends_taken_back(&ev, 5, "860 Hz");
}

#[test]
fn square_jolts_at_50_hz_are_spikes_in_a_run_and_a_lone_one_a_narrow_blink() {
    // At 50 Hz a 40 ms jolt is two samples wide, as wide as a narrow blink
    // at half height, and a narrow blink's edges are nearly as steep as a
    // jolt's: square edges there are judged as one sample wide is at 25 Hz.
    // Jolts at every step, from half to nearly twice the wearer's blinks
    // (300; so the tall ones stand over the bar the rhythm of the small
    // ones sets), are spikes; one alone on a face at rest, standing like
    // the wearer's blinks, no tug for 30 s, is a blink.
    let taught = || Signal::new(50.0).rest(2000.0, 0.0).blinks(5, 300.0);
    let jolt = |s: Signal, h: f64| s.shape(40.0, move |_| h);
    let mut walk = taught();
    for h in [150.0, 150.0, 550.0].repeat(4) {
        walk = jolt(walk.rest(480.0, 0.0), h);
    }
    let ev = walk.rest(1000.0, 0.0).run(cfg());
    assert_eq!(closures(&ev).len(), 5, "{ev:?}");
    let ev = jolt(taught(), 300.0).rest(2000.0, 0.0).run(cfg());
    assert_eq!(closures(&ev).len(), 6, "{ev:?}");
}

/// Rest that wavers by about 20 counts, as a walking wearer's does: its
/// lowest samples (the floor) sit well below its middle (the baseline).
fn restless(i: f64) -> f64 {
    const P: [f64; 10] = [12.0, -30.0, 25.0, -8.0, 31.0, -22.0, 5.0, -35.0, 18.0, 4.0];
    P[(i as usize) % 10] + 0.3 * P[(i as usize / 10) % 10]
}

#[test]
fn a_cable_tug_on_a_restless_signal_is_a_spike() {
    // One sample 300 counts up, between two just over the resting level
    // (25 and 5 counts), the rest around them wavering: measured from the
    // floor, 39 counts below the baseline, the two neighbours stood high
    // enough to make the tug as wide as a narrow blink (found in the second
    // model's walking).
    let rest = |s: Signal, ms: f64| s.shape(ms, |dt| restless(dt / 40.0));
    let s = rest(Signal::new(25.0), 4000.0)
        .rest(40.0, 25.0)
        .spike(300.0)
        .rest(40.0, 5.0);
    let s = rest(s, 1000.0);
    let ev = s.run(cfg());
    assert!(closures(&ev).is_empty(), "{ev:?}");
    assert!(
        ev.iter().any(|e| matches!(e, Event::Retracted { .. })),
        "the tug was never announced: the test would pass for another reason: {ev:?}"
    );
    // A blink as tall, with its fall, is still a blink there.
    let s = rest(Signal::new(25.0), 4000.0).blink(300.0);
    let s = rest(s, 1000.0);
    assert_eq!(closures(&s.run(cfg())).len(), 1);
}

#[test]
fn a_smile_rises_slowly_and_is_no_closure() {
    // As tall as a blink, but 600 ms to rise, 2 s held, 600 ms to fall.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .shape(600.0, |dt| 200.0 * dt / 600.0)
        .rest(2000.0, 200.0)
        .shape(600.0, |dt| 200.0 * (1.0 - dt / 600.0))
        .rest(1000.0, 0.0);
    let ev = s.run(cfg());
    assert!(closures(&ev).is_empty(), "{ev:?}");
}

#[test]
fn a_blink_on_top_of_a_smile_is_found() {
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .shape(600.0, |dt| 150.0 * dt / 600.0)
        .rest(1000.0, 150.0)
        .blink_on(150.0, 200.0)
        .rest(1000.0, 150.0)
        .shape(600.0, |dt| 150.0 * (1.0 - dt / 600.0))
        .rest(1000.0, 0.0);
    let c = closures(&s.run(cfg()));
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(
        c[0].detected_ms > 3600.0 && c[0].detected_ms < 3700.0,
        "{c:?}"
    );
}

#[test]
fn a_long_deliberate_closure_is_one_closure_ending_after_the_squeeze() {
    // A blink-like burst, then a squeeze held for 2 s, then release.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .squeeze(2000.0, 250.0, 120.0)
        .rest(1500.0, 0.0);
    let c = closures(&s.run(cfg()));
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(c[0].offset_ms - c[0].onset_ms > 1900.0, "{c:?}");
    assert!(c[0].offset_ms >= 4000.0 && c[0].offset_ms < 4200.0, "{c:?}");
}

#[test]
fn a_squeeze_that_slackens_for_a_moment_is_still_one_closure() {
    // The squeeze holding the lid shut slackens to rest for 80 ms twice:
    // once before the closure is known to be long (500 ms in), once after.
    // The eye stayed shut: one closure, ending when the squeeze let go.
    for hz in [25.0, 100.0, 860.0] {
        let s = Signal::new(hz)
            .rest(2000.0, 0.0)
            .squeeze(500.0, 250.0, 60.0)
            .rest(80.0, 0.0)
            .hold(700.0, 60.0)
            .rest(80.0, 0.0)
            .hold(640.0, 60.0)
            .rest(1500.0, 0.0);
        let c = closures(&s.run(cfg()));
        assert_eq!(c.len(), 1, "{hz} Hz: {c:?}");
        assert!(
            c[0].offset_ms >= 4000.0 && c[0].offset_ms < 4200.0,
            "{hz} Hz: {c:?}"
        );
    }
}

#[test]
fn a_blink_just_after_a_long_closure_is_its_own_closure() {
    // The squeeze lets go and 120 ms later the wearer blinks: the blink
    // does not pass for the squeeze picking up again.
    for hz in [25.0, 100.0, 860.0] {
        let s = Signal::new(hz)
            .rest(2000.0, 0.0)
            .squeeze(1500.0, 250.0, 60.0)
            .rest(120.0, 0.0)
            .blink(250.0)
            .rest(2000.0, 0.0);
        let c = closures(&s.run(cfg()));
        assert_eq!(c.len(), 2, "{hz} Hz: {c:?}");
        assert!(c[0].offset_ms < 3700.0, "{hz} Hz: {c:?}");
        assert!((c[1].detected_ms - 3620.0).abs() <= 80.0, "{hz} Hz: {c:?}");
    }
}

#[test]
fn long_closures_do_not_teach_the_typical_blink() {
    // Three blinks of 100 counts, three deliberate closures whose first
    // burst is 400 tall, then a blink of 60: still a blink (a third of
    // the typical 100, not of a "typical" 250).
    let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(3, 100.0);
    for _ in 0..3 {
        s = s.squeeze(1500.0, 400.0, 150.0).rest(2000.0, 0.0);
    }
    let blink_at = s.t();
    s = s.blink(60.0).rest(2000.0, 0.0);
    let found = closures(&s.run(cfg()));
    assert_eq!(found.len(), 7, "{found:?}");
    assert!(
        found[3..6]
            .iter()
            .all(|c| c.offset_ms - c.onset_ms > 1000.0),
        "{found:?}"
    );
    assert!((found[6].detected_ms - blink_at).abs() <= 80.0, "{found:?}");
}

#[test]
fn a_double_blink_is_two_closures() {
    // Two bursts 200 ms apart; the envelope falls to a third in between.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .shape(400.0, |dt| {
            let b = |t: f64| {
                if t < 0.0 {
                    0.0
                } else if t < 40.0 {
                    200.0 * t / 40.0
                } else {
                    200.0 * (-(t - 40.0) / 40.0).exp()
                }
            };
            b(dt) + b(dt - 200.0)
        })
        .rest(1000.0, 0.0);
    let ev = s.run(cfg());
    let c = closures(&ev);
    assert_eq!(c.len(), 2, "{ev:?}");
    assert!(c[0].offset_ms <= c[1].onset_ms, "{c:?}");
    assert!(c[1].detected_ms >= 2200.0, "{c:?}");
}

#[test]
fn a_baseline_step_that_stays_is_no_closure() {
    let s = Signal::new(25.0).rest(2000.0, 0.0).rest(12000.0, 300.0);
    let ev = s.run(cfg());
    assert!(closures(&ev).is_empty(), "{ev:?}");
    // ... and blinks on the new level are found once it settled.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .rest(3000.0, 300.0)
        .blink_on(300.0, 200.0)
        .rest(1000.0, 300.0);
    assert_eq!(closures(&s.run(cfg())).len(), 1);
}

/// Two blinks on a level 120 counts up, where `s` stepped to it at
/// `step_at`: both must be found, each within 80 ms of its start, and
/// nothing else.
fn blinks_after_a_step_are_found(mut s: Signal, step_at: f64) {
    let mut blinks_at = Vec::new();
    for _ in 0..2 {
        blinks_at.push(s.t());
        s = s.blink_on(120.0, 200.0).rest(1800.0, 120.0);
    }
    let found = closures(&s.run(cfg()));
    assert_eq!(
        found.len(),
        2,
        "step at {step_at}, blinks at {blinks_at:?}: {found:?}"
    );
    for (c, at) in found.iter().zip(&blinks_at) {
        assert!(
            (c.detected_ms - at).abs() <= 80.0,
            "{found:?} vs {blinks_at:?}"
        );
    }
}

#[test]
fn a_step_while_walking_is_no_long_closure_hiding_the_blinks_after_it() {
    // Walking: the level wanders up and down by 6 counts at every step, so
    // the noise learned is wide. Then the pad shifts: the level jumps by
    // 120 counts, as fast as a blink rises, and stays there, steady. It is
    // no deliberate closure (a squeeze is muscle and fluctuates): the two
    // blinks after it are found.
    let mut s = Signal::new(25.0);
    for k in 0..24 {
        s = s.rest(350.0, if k % 2 == 0 { 6.0 } else { -6.0 });
    }
    let step_at = s.t();
    s = s.rest(1500.0, 120.0);
    blinks_after_a_step_are_found(s, step_at);
}

#[test]
fn a_blink_just_after_a_step_ends_with_the_blink_not_with_the_step() {
    // Walking: a pad shifts and the level steps up by 12 counts (about 5
    // noise units); 120 ms later the wearer blinks. The step holds for 3 s,
    // as still as rest, then the pad shifts back. The blink is one closure
    // ending with it; the step is no squeeze (a squeeze's hold stands far
    // higher or wavers), so the closure does not run on for 3 s.
    let s = Signal::new(25.0)
        .rest(3000.0, 0.0)
        .rest(120.0, 12.0)
        .blink_on(12.0, 200.0)
        .rest(3000.0, 12.0)
        .rest(2000.0, 0.0);
    let ev = s.run(cfg());
    let c = closures(&ev);
    assert_eq!(c.len(), 1, "{ev:?}");
    // It opened on the step, so its onset is the step's (at 3000, less the
    // lid's lead): a little early, never late.
    assert!((2900.0..3150.0).contains(&c[0].onset_ms), "{c:?}");
    // The blink is down to a quarter of its height 110 ms after its peak.
    assert!(c[0].offset_ms < 3600.0, "{c:?}");
}

/// A smile: the envelope rises over 500 ms to `level` counts and holds
/// there for `ms` in all, rippling by 8 % (muscle noise grows with the
/// activity), then falls over 300 ms; a blink of `blink` counts rides on it
/// `blink_at` ms after the smile began.
fn smile(s: Signal, level: f64, ms: f64, blink_at: f64, blink: f64) -> Signal {
    s.shape(ms, move |dt| {
        let rise = (dt / 500.0).min(1.0);
        let fall = ((ms - dt) / 300.0).clamp(0.0, 1.0);
        let b = dt - blink_at;
        let burst = if (0.0..40.0).contains(&b) {
            blink * b / 40.0
        } else if b >= 40.0 {
            blink * (-(b - 40.0) / 50.0).exp()
        } else {
            0.0
        };
        level * rise * fall * (1.0 + 0.08 * (std::f64::consts::TAU * dt / 140.0).sin()) + burst
    })
}

#[test]
fn a_smile_held_as_a_long_closure_is_filmed_only_for_the_blink_on_it() {
    // A smile that rises as a long closure does (most of its height within
    // `rise_ms`), but slower than any squeeze, is held as one long closure.
    // The recorder is told the eye is open on the plateau (`Pause`) and
    // shut again for the blink that rides on it (`Resume`, then `Pause`).
    let s = Signal::new(25.0).rest(3000.0, 0.0);
    let smile_at = s.t();
    let blink_at = smile_at + 1800.0;
    let ev = smile(s, 80.0, 3500.0, 1800.0, 150.0)
        .rest(2000.0, 0.0)
        .run(cfg());
    assert_eq!(closures(&ev).len(), 1, "{ev:?}");
    let paused = pauses(&ev);
    let resumes = resumes(&ev);
    assert_eq!(paused.len(), 2, "{ev:?}");
    assert_eq!(resumes.len(), 1, "{ev:?}");
    // Open on the plateau well before the blink: in fact never shut on the
    // smile's rise, which carried no blink (the recorder keeps none of it,
    // not even its pre-roll) ...
    assert_eq!(paused[0], closures(&ev)[0].onset_ms, "{ev:?}");
    // ... shut again as it rises ...
    assert!((resumes[0] - blink_at).abs() <= 80.0, "{ev:?}");
    // ... and open once it fell (a quarter of its height 110 ms after its
    // peak, 150 ms after it began), with the reopening time.
    assert!(
        (blink_at + 150.0..blink_at + 450.0).contains(&paused[1]),
        "{ev:?}"
    );
    // A squeeze, which holds the lid shut, is filmed whole: no pause.
    let ev = Signal::new(25.0)
        .rest(3000.0, 0.0)
        .squeeze(2000.0, 200.0, 80.0)
        .rest(2000.0, 0.0)
        .run(cfg());
    assert_eq!(closures(&ev).len(), 1, "{ev:?}");
    assert!(pauses(&ev).is_empty(), "{ev:?}");
}

/// A long closure that begins like a squeeze: a burst of 200 counts within
/// 40 ms, held 80 ms, then a hold of 80 counts wavering by a quarter; on
/// the hold, `at` ms after the start, a burst of `height` counts that rises
/// within 40 ms and lasts `ms` (falling over its last 80 ms).
fn squeeze_with_burst(s: Signal, at: f64, height: f64, ms: f64) -> Signal {
    s.shape(3500.0, move |dt| {
        let base = if dt < 40.0 {
            200.0 * dt / 40.0
        } else if dt < 120.0 {
            200.0
        } else {
            80.0 * (1.0 + 0.25 * (dt / 25.0).sin())
        };
        let fall = (ms - 80.0).max(40.0);
        let b = dt - at;
        let burst = if (0.0..40.0).contains(&b) {
            height * b / 40.0
        } else if (40.0..fall).contains(&b) {
            height
        } else if (fall..ms).contains(&b) {
            height * (ms - b) / (ms - fall)
        } else {
            0.0
        };
        base + burst
    })
}

#[test]
fn a_blink_on_a_squeezes_hold_shows_a_smile() {
    // A smile that began with a blink rises like a squeeze and is filmed
    // whole, as a squeeze must be. A squeeze holds the lid shut; a blink on
    // its hold (150 counts, most of the first burst's height, over in
    // 160 ms) says the eye was open: a smile after all. The recorder is
    // told at once: open from the first burst's end (`Pause`), shut for
    // this blink (`Resume`), open again after it.
    let s = Signal::new(25.0).rest(3000.0, 0.0);
    let start = s.t();
    let blink_at = start + 1800.0;
    let ev = squeeze_with_burst(s, 1800.0, 150.0, 160.0)
        .rest(2000.0, 0.0)
        .run(cfg());
    assert_eq!(closures(&ev).len(), 1, "{ev:?}");
    let paused = pauses(&ev);
    let resumes: Vec<(usize, f64)> = ev
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Event::Resume { onset_ms, .. } => Some((i, *onset_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(paused.len(), 2, "{ev:?}");
    assert_eq!(resumes.len(), 1, "{ev:?}");
    // Open from the first burst's end, said once the blink was seen ...
    assert!(
        (start + 120.0..start + 700.0).contains(&paused[0]),
        "{ev:?}"
    );
    let first_pause = ev
        .iter()
        .position(|e| matches!(e, Event::Pause { .. }))
        .unwrap();
    assert_eq!(first_pause + 1, resumes[0].0, "{ev:?}");
    // ... shut for the blink from where it rose ...
    assert!((resumes[0].1 - blink_at).abs() <= 80.0, "{ev:?}");
    // ... and open after it.
    assert!(
        (blink_at + 160.0..blink_at + 500.0).contains(&paused[1]),
        "{ev:?}"
    );
    // A squeeze wavers: a burst on its hold as brief but lower (a quarter
    // of the first burst) is no blink, nor is one as tall that lasts
    // 700 ms (the squeeze tightening). Both are filmed whole.
    for (height, ms) in [(50.0, 160.0), (150.0, 700.0)] {
        let ev = squeeze_with_burst(Signal::new(25.0).rest(3000.0, 0.0), 1800.0, height, ms)
            .rest(2000.0, 0.0)
            .run(cfg());
        assert_eq!(closures(&ev).len(), 1, "{height} for {ms} ms: {ev:?}");
        assert!(pauses(&ev).is_empty(), "{height} for {ms} ms: {ev:?}");
    }
}

#[test]
fn a_blink_on_a_smiles_rise_is_filmed() {
    // The wearer blinks as the smile rises, 300 ms into it, before the
    // detector has seen it is a smile: the burst falls back to the rise,
    // and the eye was shut in the closure's first part. The smile's rise
    // before the blink is no more filmed than its plateau: open from the
    // closure's onset (`Pause`), shut from just before the blink's peak
    // (`Resume`), open again after it (it fell to a quarter 110 ms after
    // its peak, plus the reopening time).
    let s = Signal::new(25.0).rest(3000.0, 0.0);
    let smile_at = s.t();
    let blink_at = smile_at + 300.0;
    let ev = smile(s, 80.0, 3500.0, 300.0, 150.0)
        .rest(2000.0, 0.0)
        .run(cfg());
    let c = closures(&ev);
    assert_eq!(c.len(), 1, "{ev:?}");
    // The closure began with the smile, well before the blink.
    assert!(c[0].onset_ms < blink_at - 150.0, "{ev:?}");
    let paused = pauses(&ev);
    let resumes = resumes(&ev);
    assert!(paused.len() >= 2, "{ev:?}");
    assert!(!resumes.is_empty(), "{ev:?}");
    assert_eq!(paused[0], c[0].onset_ms, "{ev:?}");
    // The blink rose from 300 ms and peaked 40 ms later: its frames are
    // kept from 150 ms before that peak (and the pre-roll before that).
    assert!(
        (blink_at - 150.0..=blink_at).contains(&resumes[0]),
        "{ev:?}"
    );
    assert!(
        (blink_at + 150.0..blink_at + 500.0).contains(&paused[1]),
        "{ev:?}"
    );
}

#[test]
fn a_cable_tug_on_the_step_under_a_blink_makes_no_long_closure() {
    // Walking: a pad shifts (the level steps up by 12 counts, about 5 noise
    // units) and the detector opens on the step. The wearer blinks; the
    // burst is at 70 % of its height 280 ms after the step and peaks at
    // 320 ms, a little later than a blink's rise after the decision. Then
    // a cable tug lands on the step, taller than the blink, 640 ms after
    // the step: where the detector looks at the hold to tell a squeeze (it
    // wavers) from a step (still). One tug is no squeeze: the closure ends
    // with the blink, not 3 s later with the step, and it is found (the tug
    // does not stand as its peak).
    let walk = |height: f64| {
        Signal::new(25.0)
            .rest(3000.0, 0.0)
            .rest(240.0, 12.0)
            .shape(280.0, move |dt| {
                12.0 + if dt < 40.0 {
                    0.7 * height * dt / 40.0
                } else if dt < 80.0 {
                    height * (0.7 + 0.3 * (dt - 40.0) / 40.0)
                } else {
                    height * (-(dt - 80.0) / 50.0).exp()
                }
            })
            .rest(120.0, 12.0)
            .spike(400.0)
            .rest(3000.0, 12.0)
            .rest(2000.0, 0.0)
            .run(cfg())
    };
    let ev = walk(200.0);
    let c = closures(&ev);
    assert_eq!(c.len(), 1, "{ev:?}");
    // It opened on the step: its onset is the step's, a little early.
    assert!((2900.0..3300.0).contains(&c[0].onset_ms), "{c:?}");
    // The burst is down to a quarter of its height 70 ms after its peak.
    assert!(c[0].offset_ms < 3800.0, "{c:?}");
    // Its peak is the blink's (200 counts over the rest), not the tug's.
    assert!(c[0].peak < 300.0, "{c:?}");
    // A smaller blink, whose quarter is the step's own level: the step's
    // noise crosses that line again and again. The burst ended the first
    // time it fell there, not the last.
    let ev = walk(36.0);
    let c = closures(&ev);
    assert_eq!(c.len(), 1, "{ev:?}");
    assert!(c[0].offset_ms < 3800.0, "{c:?}");
}

#[test]
fn a_slow_hump_on_a_step_is_no_closure() {
    // Walking: the pad shifts (a step of 12 counts, at once) and the
    // detector opens on it. On the step a hump rises slowly, for 360 ms,
    // and sinks back. It stands over the floor as tall as a third of this
    // wearer's blinks (200 counts), but less than that over the step: no
    // blink on the step. The step is a step, and the hump no closure.
    for height in [60.0, 66.0] {
        let ev = Signal::new(25.0)
            .blinks(3, 200.0)
            .rest(3000.0, 0.0)
            .shape(600.0, move |dt| {
                12.0 + if dt < 360.0 {
                    height * dt / 360.0
                } else {
                    height * (-(dt - 360.0) / 80.0).exp()
                }
            })
            .rest(3000.0, 12.0)
            .run(cfg());
        assert_eq!(closures(&ev).len(), 3, "hump of {height}: {ev:?}");
    }
}

#[test]
fn a_blink_that_comes_with_a_step_is_still_a_blink() {
    // Walking: the level wanders up and down by 6 counts at every step, so
    // the noise learned is wide. Then the pad shifts as the lid shuts: the
    // level steps up by 36 counts (about 5 of the noise units learned) on
    // the very sample the blink begins. The blink is over long before the
    // detector looks at the hold, which is then stiller than the noise
    // learned: a step of the baseline, but with a blink on its first
    // samples, standing far over it. The blink is found, ending with it,
    // not with the step.
    let walk = |mut s: Signal| {
        for k in 0..24 {
            s = s.rest(350.0, if k % 2 == 0 { 6.0 } else { -6.0 });
        }
        s
    };
    let s = walk(Signal::new(25.0).blinks(3, 200.0));
    let blink_at = s.t();
    let ev = s.blink_on(36.0, 200.0).rest(3000.0, 36.0).run(cfg());
    let c = closures(&ev);
    assert_eq!(c.len(), 4, "{ev:?}");
    assert!((c[3].onset_ms - blink_at).abs() <= 80.0, "{c:?}");
    assert!(c[3].offset_ms < blink_at + 500.0, "{c:?}");
    // A smaller blink on a step that stands over a quarter of it: it never
    // falls that far, yet it ends with its burst, not when the detector
    // looked.
    let s = walk(Signal::new(25.0).blinks(3, 200.0));
    let blink_at = s.t();
    let ev = s.blink_on(45.0, 100.0).rest(3000.0, 45.0).run(cfg());
    let c = closures(&ev);
    assert_eq!(c.len(), 4, "{ev:?}");
    assert!((c[3].onset_ms - blink_at).abs() <= 80.0, "{c:?}");
    assert!(c[3].offset_ms < blink_at + 400.0, "{c:?}");
    // ... and a blink on the new level after it is found too.
    let s = walk(Signal::new(25.0).blinks(3, 200.0))
        .blink_on(36.0, 200.0)
        .rest(3000.0, 36.0)
        .blink_on(36.0, 200.0)
        .rest(2000.0, 36.0);
    assert_eq!(closures(&s.run(cfg())).len(), 5);
}

#[test]
fn a_step_as_noisy_as_rest_is_still_a_step_when_it_rose_at_once() {
    // No walking before it: the noise learned is the rest noise. The level
    // jumps by 120 counts in one sample and stays, carrying the rest noise
    // and a sway of 2.5 counts (about one noise unit all told: not flatter
    // than rest, as a step under a noise widened by walking would be). It
    // rose at once and no burst stood over it, so it is a step of the
    // baseline, not a squeeze: the blinks after it count.
    let mut s = Signal::new(25.0).rest(3000.0, 0.0);
    let step_at = s.t();
    s = s.shape(1500.0, |dt| {
        120.0 + 2.5 * (std::f64::consts::TAU * dt / 160.0).sin()
    });
    blinks_after_a_step_are_found(s, step_at);
}

/// Walking: the pads shift a little every 1.2 s, each time a few noise
/// units further; the baseline lags the steps, and the noise learned
/// around it swells. Then the wearer stands still at the last level for
/// `pause_ms`, and blinks: a blink 25 noise units tall (50 counts) that the
/// swollen noise would hide. It must be found.
fn blink_after_a_walk_and_a_pause_is_found(pause_ms: f64) {
    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    for k in 0..12 {
        let level = [
            0.0, 5.0, 10.0, 5.0, 15.0, 8.0, 20.0, 10.0, 25.0, 12.0, 30.0, 18.0,
        ][k];
        s = s.rest(1200.0, level);
    }
    s = s.rest(pause_ms, 40.0);
    let blink_at = s.t();
    s = s.blink_on(40.0, 50.0).rest(2000.0, 40.0);
    let found = closures(&s.run(cfg()));
    assert!(
        found
            .iter()
            .any(|c| (c.detected_ms - blink_at).abs() <= 80.0),
        "pause {pause_ms} ms: the blink at {blink_at} was lost: {found:?}"
    );
}

#[test]
fn noise_inflated_by_steps_is_learned_afresh_once_the_signal_holds_still() {
    blink_after_a_walk_and_a_pause_is_found(3000.0);
}

#[test]
fn a_second_of_stillness_between_steps_is_enough_to_learn_the_noise_afresh() {
    // A pause of just over a second, as between steps: the fresh look at
    // the noise (half a calibration) fits into it.
    blink_after_a_walk_and_a_pause_is_found(1100.0);
}

#[test]
fn chewing_bursts_weaker_than_the_wearers_blinks_are_not_blinks() {
    // Four blinks teach the typical height (200), then rhythmic bursts of
    // 60 at 1.5 Hz, then a blink among them.
    let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    let chew = |s: Signal| {
        s.shape(280.0, |dt| 60.0 * (std::f64::consts::PI * dt / 280.0).sin())
            .rest(400.0, 0.0)
    };
    for _ in 0..6 {
        s = chew(s);
    }
    s = s.blink(200.0).rest(300.0, 0.0);
    for _ in 0..4 {
        s = chew(s);
    }
    let c = closures(&s.run(cfg()));
    assert_eq!(c.len(), 5, "{c:?}");
}

#[test]
fn cable_tugs_on_a_walking_beat_do_not_raise_the_bar_for_a_blink() {
    // Four blinks teach the typical height (200). Then walking: the cable
    // tugs once a step, one sample each, taller than the blinks. Tugs are
    // no rhythm of the face: a blink on the beat of the steps is a blink.
    let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    for _ in 0..6 {
        s = s.spike(300.0).rest(680.0, 0.0);
    }
    let blink_at = s.t();
    s = s.blink(200.0).rest(2000.0, 0.0);
    let events = s.run(cfg());
    let found = closures(&events);
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(
        (found[4].detected_ms - blink_at).abs() <= 80.0,
        "the blink at {blink_at} was lost: {found:?}"
    );
    // The tugs were each announced and retracted.
    assert_eq!(onsets(&events).len(), 4 + 6 + 1, "{events:?}");
}

#[test]
fn a_cable_tug_landing_on_a_blink_does_not_hide_it() {
    // Four blinks teach the typical height (200). Then, while walking, the
    // cable tugs just as the wearer blinks: one sample of the blink is
    // 1500 counts taller. Its neighbours are under half of it, so alone it
    // would be a spike; but the blink under it stands like the others.
    let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    let blink_at = s.t();
    let s = s
        .shape(240.0, |dt| {
            let blink = if dt < 40.0 {
                200.0 * dt / 40.0
            } else {
                200.0 * (-(dt - 40.0) / 50.0).exp()
            };
            blink
                + if (80.0..120.0).contains(&dt) {
                    1500.0
                } else {
                    0.0
                }
        })
        .rest(2000.0, 0.0)
        // A tug alone, on a resting signal, is still no blink.
        .spike(1500.0)
        .rest(2000.0, 0.0);
    let found = closures(&s.run(cfg()));
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(
        (found[4].detected_ms - blink_at).abs() <= 80.0,
        "the blink at {blink_at} was lost: {found:?}"
    );
    // Measured without the tug: it does not teach a taller typical blink.
    assert!(found[4].peak > 150.0 && found[4].peak < 250.0, "{found:?}");
}

#[test]
fn a_cable_tug_just_before_a_blink_does_not_hide_it() {
    // Four blinks teach the typical height (200). Then the cable tugs a
    // sample before the wearer blinks: one sample of 560 (a spike: lone and
    // over twice a blink), a dip, and the blink of 300, more than half the
    // tug, in the same burst. It is no neighbour of the tug's sample, so it
    // is a blink of its own, not part of the spike (found in the second
    // model's walking).
    let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    let blink_at = s.t() + 80.0;
    let s = s
        .shape(240.0, |dt| {
            [0.0, 560.0, 100.0, 300.0, 150.0, 50.0][(dt / 40.0) as usize]
        })
        .rest(2000.0, 0.0);
    let found = closures(&s.run(cfg()));
    assert_eq!(
        found.len(),
        5,
        "the blink at {blink_at} was lost: {found:?}"
    );
    // Measured without the tug.
    assert!(found[4].peak > 250.0 && found[4].peak < 350.0, "{found:?}");
}

#[test]
fn while_talking_a_burst_half_as_tall_as_the_wearers_blinks_is_no_blink() {
    // Four blinks teach the typical height (200 counts, noise 2): a closure
    // needs about a third of that in the clear. Then talking: irregular
    // syllables of 14 counts keep the signal busy. A burst of 90 or 120
    // counts amid them is a loud syllable, no blink (120 passed while the
    // bar rose only in proportion to how busy the face is); a blink is
    // still a blink.
    let talk = |mut s: Signal, syllables: usize| {
        for k in 0..syllables {
            let len = [120.0, 160.0, 100.0, 140.0][k % 4];
            let gap = [110.0, 70.0, 150.0, 90.0][(k / 4) % 4];
            s = s
                .shape(len, move |dt| {
                    14.0 * (std::f64::consts::PI * dt / len).sin()
                })
                .rest(gap, 0.0);
        }
        s
    };
    for loud in [90.0, 120.0] {
        let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
        s = talk(s, 16);
        let loud_at = s.t();
        s = s.shape(200.0, move |dt| {
            loud * (std::f64::consts::PI * dt / 200.0).sin()
        });
        s = talk(s, 16).rest(2000.0, 0.0);
        let found = closures(&s.run(cfg()));
        assert_eq!(
            found.len(),
            4,
            "the loud syllable ({loud}) at {loud_at} taken for a blink: {found:?}"
        );
    }

    let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    s = talk(s, 16);
    let blink_at = s.t();
    s = talk(s.blink(200.0), 16).rest(2000.0, 0.0);
    let found = closures(&s.run(cfg()));
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(
        (found[4].detected_ms - blink_at).abs() <= 80.0,
        "the blink at {blink_at} was lost: {found:?}"
    );
}

#[test]
fn blinks_a_little_over_a_second_apart_are_no_meal() {
    // Four blinks teach the typical height (300). Then the wearer blinks
    // five times 1.2 s apart, each as tall as the others: gaps like that
    // come now and then among spontaneous blinks (synth's drift, seed 12,
    // lost four in a row to them), and no one chews that slowly (chewing
    // runs at about 1-2 Hz). All five are blinks.
    let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 300.0);
    let run_at = s.t();
    let mut s = s;
    for _ in 0..5 {
        s = s.blink(300.0).rest(960.0, 0.0);
    }
    let found = closures(&s.rest(3000.0, 0.0).run(cfg()));
    let run: Vec<_> = found
        .iter()
        .filter(|c| c.onset_ms >= run_at - 100.0)
        .collect();
    assert_eq!(run.len(), 5, "{found:?}");
}

#[test]
fn first_beat_waits_for_a_third_burst() {
    // Four blinks teach the typical height (300). Then bursts as tall, on a
    // beat of 800 ms: three of them are a flurry of blinks, and the first
    // is a blink; six are a meal going on, and the first is a chew. (The
    // flurry's third faces the bar of the rhythm the two before it set.)
    for (n, first_kept) in [(3, true), (6, false)] {
        let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 300.0);
        let first_at = s.t();
        let mut s = s;
        for _ in 0..n {
            s = s.blink(300.0).rest(560.0, 0.0);
        }
        let found = closures(&s.rest(4000.0, 0.0).run(cfg()));
        let near = |t: f64| found.iter().any(|c| (c.onset_ms - t).abs() < 100.0);
        assert_eq!(near(first_at), first_kept, "{n} bursts: {found:?}");
        if n == 3 {
            assert!(near(first_at + 800.0), "{found:?}");
        }
    }
}

#[test]
fn chews_on_a_beat_are_not_blinks_but_a_blink_between_beats_is() {
    // No blinks to learn from first: chewing as tall as a blink, one chew a
    // second. Once three came on the beat, the rest are chews; the first
    // two are known as chews once the two after each follow on the beat
    // (their verdict waits for them). A blink half-way between two beats is
    // no chew, however tall the chews are.
    let chew = |s: Signal| {
        s.shape(280.0, |dt| {
            200.0 * (std::f64::consts::PI * dt / 280.0).sin()
        })
        .rest(720.0, 0.0)
    };
    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    for _ in 0..10 {
        s = chew(s);
    }
    let events = s.run(cfg());
    let chews_only = closures(&events);
    assert!(
        chews_only.is_empty(),
        "chews taken for blinks: {chews_only:?}"
    );
    // The first chew's verdict came as a closure waiting, then retracted,
    // before anything of the second chew.
    let first: Vec<&Event> = events.iter().take(3).collect();
    assert!(
        matches!(
            first[..],
            [
                Event::Onset { .. },
                Event::Tentative(_),
                Event::Retracted { .. }
            ]
        ),
        "{first:?}"
    );

    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    for _ in 0..6 {
        s = chew(s);
    }
    // Half a beat after the last chew began: a blink, then the beat goes on.
    s = s.shape(280.0, |dt| {
        200.0 * (std::f64::consts::PI * dt / 280.0).sin()
    });
    s = s.rest(220.0, 0.0).blink(180.0).rest(260.0, 0.0);
    let blink_at = 2000.0 + 6000.0 + 500.0;
    for _ in 0..4 {
        s = chew(s);
    }
    let found = closures(&s.run(cfg()));
    assert!(
        found
            .iter()
            .any(|c| (c.detected_ms - blink_at).abs() <= 80.0),
        "the blink at {blink_at} was lost: {found:?}"
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn a_narrow_blink_on_the_beat_of_a_meal_is_no_chew() {
    // One chew a second, 280 ms long and 200 counts tall: a chew is a long
    // contraction. On the seventh beat, in a chew's place, a blink whose
    // burst is under 1.4 samples wide at half height (50 ms: its neighbours
    // at a fifth of its peak), and at least as tall as the chews: no chew.
    // As tall but as wide as a chew, or as narrow but lower than the
    // chews, it is one more chew.
    let chew = |s: Signal| s.hump(280.0, 200.0).rest(720.0, 0.0);
    let narrow = |h: f64| {
        move |s: Signal| {
            s.shape(160.0, move |dt| {
                [h / 5.0, h, h / 5.0, 0.0][(dt / 40.0) as usize]
            })
            .rest(840.0, 0.0)
        }
    };
    let wide = |s: Signal| s.hump(280.0, 240.0).rest(720.0, 0.0);
    let beat_at = 2000.0 + 6.0 * 1000.0 + 40.0;
    for (name, burst, blink) in [
        (
            "narrow and tall",
            Box::new(narrow(240.0)) as Box<dyn Fn(Signal) -> Signal>,
            true,
        ),
        ("wide", Box::new(wide), false),
        ("narrow and low", Box::new(narrow(120.0)), false),
    ] {
        let mut s = Signal::new(25.0).rest(2000.0, 0.0);
        for _ in 0..6 {
            s = chew(s);
        }
        s = burst(s);
        for _ in 0..4 {
            s = chew(s);
        }
        let found = closures(&s.run(cfg()));
        let at_beat = found
            .iter()
            .any(|c| (c.detected_ms - beat_at).abs() <= 80.0);
        assert_eq!(at_beat, blink, "{name}: {found:?}");
        assert_eq!(found.len(), usize::from(blink), "{name}: {found:?}");
    }
}

#[test]
fn the_second_chew_of_a_meal_is_a_chew_though_a_blink_follows_it() {
    // Chews 800 ms apart. The second has one burst behind it, too little
    // for a rhythm, so its verdict waits for the bursts after it; but a
    // blink comes 400 ms after the third chew and breaks the beat of those
    // two (and the bursts come too slowly for speech). On the beat of the
    // chew before it and the one after, no taller than they are, it is a
    // chew. A burst twice as tall on that beat is a blink.
    for (second, stands) in [(100.0, false), (200.0, true)] {
        let mut s = Signal::new(25.0).rest(2000.0, 0.0);
        for h in [100.0, second] {
            s = s.hump(280.0, h).rest(520.0, 0.0);
        }
        // The blink 400 ms after the third chew began; the beat goes on.
        let blink_at = 4000.0;
        s = s.hump(280.0, 100.0).rest(120.0, 0.0);
        s = s.blink(200.0).rest(160.0, 0.0);
        for _ in 0..6 {
            s = s.hump(280.0, 100.0).rest(520.0, 0.0);
        }
        let at = 2800.0;
        let found = closures(&s.rest(2000.0, 0.0).run(cfg()));
        let blink = found
            .iter()
            .any(|c| (c.detected_ms - blink_at).abs() <= 150.0);
        assert!(blink, "the blink at {blink_at} was lost: {found:?}");
        let kept = found.iter().any(|c| (c.detected_ms - at).abs() <= 150.0);
        assert_eq!(kept, stands, "second burst of {second}: {found:?}");
        assert_eq!(found.len(), 1 + usize::from(stands), "{found:?}");
    }
    // Once the wearer's blinks are known (four of 200 counts), the second
    // of three such blinks a second apart stands: it is as tall as them.
    // (The first is taken for the first chew of a meal, the cost of that
    // rule.)
    let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    let at = s.t() + 1000.0;
    for _ in 0..3 {
        s = s.blink(200.0).rest(760.0, 0.0);
    }
    let found = closures(&s.rest(3000.0, 0.0).run(cfg()));
    assert!(
        found.iter().any(|c| (c.detected_ms - at).abs() <= 150.0),
        "the second blink at {at} was lost: {found:?}"
    );
}

#[test]
fn a_blink_on_the_beat_of_a_meal_after_it_stands_if_taller_than_the_chews() {
    // A blink, then chews a second apart from a second after it: on the
    // chews' beat. Twice as tall as the chews, it is a blink; as tall, it
    // cannot be told from the first chew (the cost of the first-beat rule).
    let chew = |s: Signal, h: f64| {
        s.shape(280.0, move |dt| {
            h * (std::f64::consts::PI * dt / 280.0).sin()
        })
        .rest(720.0, 0.0)
    };
    for (chew_h, stands) in [(100.0, true), (200.0, false)] {
        let mut s = Signal::new(25.0)
            .rest(2000.0, 0.0)
            .blink(200.0)
            .rest(760.0, 0.0);
        for _ in 0..6 {
            s = chew(s, chew_h);
        }
        let found = closures(&s.run(cfg()));
        let blink = found.iter().any(|c| (c.detected_ms - 2000.0).abs() <= 80.0);
        assert_eq!(blink, stands, "chews of {chew_h}: {found:?}");
        assert!(found.len() <= 1, "{found:?}");
    }
}

#[test]
fn a_blink_rising_out_of_a_fading_burst_is_its_own_closure() {
    // A chew-like burst falls back to a quarter of its height without
    // reaching the off level, then a blink twice as tall rises out of it.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .shape(240.0, |dt| {
            120.0 * (std::f64::consts::PI * dt / 280.0).sin().max(0.25)
        })
        .shape(240.0, |dt| {
            30.0 + if dt < 40.0 {
                240.0 * dt / 40.0
            } else {
                240.0 * (-(dt - 40.0) / 50.0).exp()
            }
        })
        .rest(1000.0, 0.0);
    let ev = s.run(cfg());
    let c = closures(&ev);
    assert_eq!(
        onsets(&ev).len(),
        2,
        "the blink must start a candidate of its own: {ev:?}"
    );
    assert!(c.iter().any(|c| c.detected_ms >= 2240.0), "{ev:?}");
}

#[test]
fn a_weak_blink_held_for_a_few_samples_is_found_and_a_lone_sample_as_tall_is_not() {
    // The noise the detector learns from this fixture, in counts.
    let mut d = BlinkDetector::new(cfg()).unwrap();
    let quiet = Signal::new(25.0).rest(2000.0, 0.0);
    for &(t, x) in &quiet.samples {
        d.push(t, x);
    }
    let sigma = d.snapshot().noise;
    // Below `on_sigma` (5) and `closure_sigma` (5.5) over the floor at its
    // peak, but held for three samples (120 ms): a blink of a poorly placed pad.
    let h = 3.6 * sigma;
    let weak = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .rest(120.0, h)
        .rest(1500.0, 0.0);
    let c = closures(&weak.run(cfg()));
    assert_eq!(c.len(), 1, "sigma {sigma}: {c:?}");
    let lone = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .rest(40.0, h)
        .rest(1500.0, 0.0);
    let ev = lone.run(cfg());
    assert!(closures(&ev).is_empty(), "sigma {sigma}: {ev:?}");
}

#[test]
fn a_wearer_whose_blinks_barely_clear_the_noise_takes_no_lone_sample_for_a_narrow_blink() {
    let sigma = Signal::new(25.0).rest(2000.0, 0.0).noise_after(cfg());
    // Five blinks 3.8 noise units tall, held for three samples, teach the
    // typical blink of a poorly placed pad.
    let h = 3.8 * sigma;
    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    for _ in 0..5 {
        s = s.rest(120.0, h).rest(2000.0, 0.0);
    }
    let taught = closures(&s.run(cfg())).len();
    assert_eq!(taught, 5, "sigma {sigma}");
    // Then one sample as tall, on a face at rest with no tug for long: for
    // a wearer with blinks this low, a noise peak; not a narrow blink.
    // (Its neighbours are set at rest, without noise, so that it is one
    // sample wide at half height, as such a peak is after the envelope's
    // smoothing.)
    let lone_at = s.t();
    let ev = s
        .spike(0.0)
        .spike(h)
        .spike(0.0)
        .rest(1500.0, 0.0)
        .run(cfg());
    assert!(
        closures(&ev).iter().all(|c| c.detected_ms < lone_at),
        "sigma {sigma}: {ev:?}"
    );
}

#[test]
fn swings_far_beyond_any_blink_one_after_another_are_no_blinks() {
    // Four blinks teach the typical height (200); then a pad peels: bursts
    // five times as tall, 500 ms apart. The first may pass; the next do not.
    let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
    for _ in 0..4 {
        s = s
            .shape(200.0, |dt| {
                1000.0 * (std::f64::consts::PI * dt / 200.0).sin()
            })
            .rest(300.0, 0.0);
    }
    s = s.rest(3000.0, 0.0);
    let c = closures(&s.run(cfg()));
    assert!(c.len() <= 5, "{c:?}");
    assert!(c.len() >= 4, "the blinks before: {c:?}");
}

#[test]
fn the_same_blink_is_found_at_25_100_and_860_hz() {
    for hz in [25.0, 50.0, 100.0, 860.0] {
        let s = Signal::new(hz)
            .rest(2000.0, 0.0)
            .blink(200.0)
            .rest(1000.0, 0.0);
        let c = closures(&s.run(cfg()));
        assert_eq!(c.len(), 1, "{hz} Hz: {c:?}");
        assert!(c[0].detected_ms - 2000.0 <= 45.0, "{hz} Hz: {c:?}");
    }
}

#[test]
fn a_flat_signal_is_a_fault_with_no_closures_inside_and_relearning_after() {
    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    // Pad off: the value stops moving for 3 s (a blink-sized jump inside).
    s = s.stuck(3000.0, 1000);
    s = s.rest(3000.0, 0.0).blink(200.0).rest(1000.0, 0.0);
    let ev = s.run(cfg());
    assert_eq!(
        faults(&ev),
        vec![(true, FaultKind::Flat), (false, FaultKind::Flat)],
        "{ev:?}"
    );
    // After the fault: 500 ms to clear, 1500 ms to calibrate, then the blink.
    assert_eq!(closures(&ev).len(), 1, "{ev:?}");
}

/// The baseline lags a drifting offset (sweat, a pad settling), so the
/// samples lie a couple of noise units off it and the noise learned from
/// them comes out several times too wide. A still stretch after it is then
/// flat by that noise, though it moves as much as a flat pad never does.
/// No fault: the wearer would see the LED call the pads off, and lose the
/// blinks in the fault and in the calibration after it. The detector
/// calibrates afresh instead, and goes on finding blinks.
#[test]
fn a_still_stretch_after_a_drift_is_no_pad_off() {
    // 1.25 counts a second down for 30 s: the baseline (4 s) lags 5 counts,
    // two and a half times the fixture's noise.
    let drift = Signal::new(25.0)
        .rest(3000.0, 0.0)
        .shape(30_000.0, |dt| -0.00125 * dt);
    let rest = Signal::new(25.0).rest(33_000.0, 0.0);
    let (inflated, true_noise) = (drift.noise_after(cfg()), rest.noise_after(cfg()));
    assert!(
        inflated > 2.0 * true_noise,
        "the drift inflates the noise: {inflated} against {true_noise}"
    );
    // Then a second of stillness, one count up and down, and blinks.
    let mut s = drift.quiet(1000.0, -37.5).rest(2000.0, -37.5);
    let mut blinks_at = Vec::new();
    for _ in 0..3 {
        blinks_at.push(s.t());
        s = s.blink_on(-37.5, 60.0).rest(1500.0, -37.5);
    }
    let ev = s.run(cfg());
    assert_eq!(faults(&ev), vec![], "{ev:?}");
    let found: Vec<f64> = closures(&ev).iter().map(|c| c.onset_ms).collect();
    assert_eq!(found.len(), 3, "blinks at {blinks_at:?}, found {found:?}");
    // A pad off after the same drift is still a fault.
    let off = Signal::new(25.0)
        .rest(3000.0, 0.0)
        .shape(30_000.0, |dt| -0.00125 * dt)
        .stuck(3000.0, 962)
        .rest(3000.0, -37.5);
    assert_eq!(
        faults(&off.run(cfg())),
        vec![(true, FaultKind::Flat), (false, FaultKind::Flat)]
    );
}

#[test]
fn after_a_pad_is_pressed_back_on_calibration_waits_for_the_signal_to_settle() {
    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    // Pad off for 3 s, then pressed back on: the level jumps 400 counts and
    // decays back over a couple of seconds.
    s = s.stuck(3000.0, 1000);
    s = s.shape(5500.0, |dt| 400.0 * (-dt / 700.0).exp());
    // Then blinks a tenth as tall as that jump, every 1.5 s.
    let mut blinks_at = Vec::new();
    for _ in 0..4 {
        blinks_at.push(s.t());
        s = s.blink(40.0).rest(1500.0, 0.0);
    }
    let ev = s.run(cfg());
    assert_eq!(
        faults(&ev),
        vec![(true, FaultKind::Flat), (false, FaultKind::Flat)],
        "{ev:?}"
    );
    let found: Vec<f64> = closures(&ev).iter().map(|c| c.detected_ms).collect();
    assert_eq!(found.len(), 4, "blinks at {blinks_at:?}, found {found:?}");
}

#[test]
fn bursts_next_to_swings_far_below_the_baseline_are_a_pad_peeling_off() {
    // Three blinks of 100 counts, then a pad peels for a moment: contact
    // comes and goes, the signal drops one sample 15 noise units below its
    // baseline (muscle activity cannot do that), swings up 250 counts and
    // drops again, twice: too brief for a `Wild` fault, not tall enough for
    // the erratic test (three typical blinks). Neither swing is a blink;
    // a blink once the signal has been sound for a while is.
    let mut s = Signal::new(25.0).rest(2000.0, 0.0).blinks(3, 100.0);
    for _ in 0..2 {
        s = s
            .shape(40.0, |_| -30.0)
            .shape(80.0, |_| 250.0)
            .shape(40.0, |_| -30.0)
            .rest(300.0, 0.0);
    }
    let blink_at = s.t() + 5000.0;
    s = s.rest(5000.0, 0.0).blink(100.0).rest(2000.0, 0.0);
    let events = s.run(cfg());
    assert!(faults(&events).is_empty(), "{events:?}");
    let found = closures(&events);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!((found[3].detected_ms - blink_at).abs() <= 80.0, "{found:?}");
}

#[test]
fn a_railed_signal_is_a_fault() {
    let mut s = Signal::new(25.0).rest(2000.0, 0.0);
    for _ in 0..50 {
        let t = s.t();
        s.samples.push((t, 32767));
    }
    s = s.rest(1000.0, 0.0);
    let ev = s.run(cfg());
    assert_eq!(faults(&ev)[0], (true, FaultKind::Railed), "{ev:?}");
    assert!(closures(&ev).is_empty(), "{ev:?}");
    // The jump to the rail was announced and then taken back.
    assert!(
        ev.iter().any(|e| matches!(e, Event::Retracted { .. })),
        "{ev:?}"
    );
}

#[test]
fn swings_far_below_the_baseline_are_a_wild_fault() {
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .shape(2000.0, |dt| {
            if (dt / 40.0) as i64 % 2 == 0 {
                -300.0
            } else {
                300.0
            }
        })
        .rest(1000.0, 0.0);
    let ev = s.run(cfg());
    assert_eq!(faults(&ev)[0], (true, FaultKind::Wild), "{ev:?}");
    assert!(closures(&ev).is_empty(), "{ev:?}");
}

#[test]
fn placement_is_known_after_three_blinks() {
    let mut d = BlinkDetector::new(cfg()).unwrap();
    let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(3, 200.0);
    let mut seen = 0;
    for &(t, x) in &s.samples {
        d.push(t, x);
        while let Some(e) = d.poll() {
            if matches!(e, Event::Closure(_)) {
                seen += 1;
                assert_eq!(d.placement().is_some(), seen >= 3);
            }
        }
    }
    let p = d.placement().unwrap();
    assert_eq!(p.blinks, 3);
    assert!(p.score > 0.8, "{p:?}");
}

#[test]
fn the_snapshot_narrates_the_states() {
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .blink(200.0)
        .rest(1000.0, 0.0);
    let mut d = BlinkDetector::new(cfg()).unwrap();
    let mut states = Vec::new();
    for &(t, x) in &s.samples {
        d.push(t, x);
        let st = d.snapshot().state;
        if states.last() != Some(&st) {
            states.push(st);
        }
    }
    assert_eq!(
        states,
        vec![
            State::Calibrating,
            State::Open,
            State::Rising,
            State::Closed,
            State::Refractory,
            State::Open
        ]
    );
    let snap = d.snapshot();
    assert!((snap.baseline - BASE).abs() < 3.0, "{snap:?}");
    assert!(snap.noise > 0.5 && snap.noise < 4.0, "{snap:?}");
    assert!(snap.on_threshold > snap.off_threshold);
}

#[test]
fn configs_name_what_is_wrong() {
    let mut c = cfg();
    assert!(c.set("nonsense", 1.0).is_err());
    c.set("on_sigma", 1.0).unwrap();
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("off_sigma"), "{e}");
    for name in DetectorConfig::PARAMS {
        assert!(cfg().get(name).is_some(), "{name}");
    }
    let bad: Result<DetectorConfig, _> = toml::from_str("on_sigmaa = 3.0");
    assert!(bad.is_err());
    let ok: DetectorConfig = toml::from_str("on_sigma = 6.0").unwrap();
    assert_eq!(ok.on_sigma, 6.0);
    assert_eq!(ok.off_sigma, cfg().off_sigma);
}

/// Muscle noise of about 11 counts standard deviation (the fixtures' own is
/// 2): deterministic, from the time since the piece began.
fn wide_noise(dt: f64) -> f64 {
    let u = ((dt * 12.9898).sin() * 43758.5453).fract();
    40.0 * (u.abs() - 0.5)
}

/// A pad off: the ADC reads a fixed low level, give or take a count.
fn pad_off(mut s: Signal, ms: f64) -> Signal {
    let n = (ms * s.hz / 1000.0).round() as usize;
    for i in 0..n {
        let t = s.t();
        s.samples.push((t, 100 + (i % 2) as i32));
    }
    s
}

/// Rest with `wide_noise` for `ms`, then `n` blinks of 150 counts 2 s apart.
fn noisy_blinks(s: Signal, rest_ms: f64, n: usize) -> (Signal, Vec<f64>) {
    let mut s = s.shape(rest_ms, wide_noise);
    let mut at = Vec::new();
    for _ in 0..n {
        at.push(s.t());
        s = s
            .shape(240.0, |dt| {
                wide_noise(dt)
                    + if dt < 40.0 {
                        150.0 * dt / 40.0
                    } else {
                        150.0 * (-(dt - 40.0) / 50.0).exp()
                    }
            })
            .shape(2000.0, wide_noise);
    }
    (s, at)
}

#[test]
fn a_pad_still_off_after_a_fault_is_not_learned_as_rest() {
    // Blinks, then a pad peels (swings far below the baseline: a `Wild`
    // fault) and stays off: the ADC reads a still level. The fault ends
    // (the signal no longer swings) and the detector calibrates, on a pad
    // that is still off. Learning that stillness as rest, it would take
    // the pad's return for wild swings and never detect again; instead the
    // fault goes on until the pad is back, and the blinks after it count.
    let (s, _) = noisy_blinks(Signal::new(25.0), 3000.0, 3);
    let s = s.shape(1000.0, |dt| {
        if (dt / 40.0) as i64 % 2 == 0 {
            -600.0
        } else {
            wide_noise(dt)
        }
    });
    let s = pad_off(s, 15_000.0);
    let back = s.t();
    let (s, after) = noisy_blinks(s, 4000.0, 4);
    let ev = s.run(cfg());
    let found: Vec<f64> = closures(&ev)
        .iter()
        .map(|c| c.detected_ms)
        .filter(|&t| t > back)
        .collect();
    assert_eq!(found.len(), after.len(), "blinks at {after:?}: {ev:?}");
    // No fault is left in force.
    let f = faults(&ev);
    assert!(f.last().is_some_and(|&(start, _)| !start), "{f:?}");
}

#[test]
fn a_session_begun_with_the_pad_off_recovers_once_it_is_on() {
    // The wearer starts a session before the pads touch: the detector
    // calibrates on a still signal and takes the pad's arrival for wild
    // swings (a `Wild` fault). No pad peels for half a minute: then it
    // calibrates afresh, and blinks count again.
    let s = pad_off(Signal::new(25.0), 5000.0);
    let (s, at) = noisy_blinks(s, 3000.0, 25);
    let ev = s.run(cfg());
    let found: Vec<f64> = closures(&ev).iter().map(|c| c.detected_ms).collect();
    let f = faults(&ev);
    assert_eq!(f.first(), Some(&(true, FaultKind::Wild)), "{f:?}");
    let late: Vec<&f64> = at.iter().filter(|&&t| t > 50_000.0).collect();
    assert!(late.len() >= 5, "{at:?}");
    for t in late {
        assert!(
            found.iter().any(|f| (f - t).abs() <= 120.0),
            "blink at {t} missed; found {found:?}; faults {:?}",
            faults(&ev)
        );
    }
}

#[test]
fn a_wearer_with_small_blinks_lowers_the_bar_towards_them() {
    // Pads that sit poorly: the wearer's blinks stand only 5.8-6.3 noise
    // units over the floor. A fainter blink of 5.4 units, under the usual
    // bar of 5.5 (`closure_sigma`), is still a blink of this wearer's: once
    // a few blinks have taught how small they are, the bar comes down to
    // 0.75 of them (4.6 units). (The heights below are over the rest level;
    // the measured ones are over the floor, and the fixture's noise puts
    // the two a few counts apart.)
    // The noise settles over the first seconds.
    let s = Signal::new(25.0).rest(12_000.0, 0.0);
    let sigma = s.noise_after(cfg());
    let mut s = s.blinks(4, 6.3 * sigma - 6.0);
    let sigma = s.noise_after(cfg());
    let faint_at = s.t() + 40.0;
    s = s.blink(5.7 * sigma - 6.0).rest(2000.0, 0.0);
    let found = closures(&s.run(cfg()));
    let peaks: Vec<f64> = found.iter().map(|c| c.peak / sigma).collect();
    assert_eq!(found.len(), 5, "peaks in noise units: {peaks:?}");
    assert!(
        peaks[4] < 5.5 && peaks[..4].iter().all(|&p| p < 7.0),
        "blinks must be small and the last under the usual bar: {peaks:?}"
    );
    assert!((found[4].detected_ms - faint_at).abs() <= 80.0, "{found:?}");
}

#[test]
fn a_faint_blink_two_samples_wide_is_told_by_the_pair() {
    // A wearer with small blinks (6 noise units over the floor), then a
    // fainter one: two samples 3.5 units over the rest level, short of any
    // bar for one sample (over the floor, which the fixture's noise puts
    // about 6 counts lower, they stand under the sustained burst's 4.5
    // units less the weak wearer's allowance). At 25 Hz neighbouring samples
    // are nearly independent, so their sum stands 7 / sqrt(2) = 4.9 units
    // of such a sum over the rest level: no pair of noise samples does
    // that. (Without the pair it takes 3.9 units here.) For a wearer whose
    // blinks stand tall the same pair is no blink: too small for them, and
    // speech makes bursts like it.
    let faint = |typical: f64| {
        let s = Signal::new(25.0).rest(12_000.0, 0.0);
        let sigma = s.noise_after(cfg());
        let s = s.blinks(4, typical * sigma - 6.0);
        let sigma = s.noise_after(cfg());
        let at = s.t();
        let s = s.shape(80.0, move |_| 3.5 * sigma).rest(4000.0, 0.0);
        let found = closures(&s.run(cfg()));
        let faint: Vec<_> = found
            .iter()
            .filter(|c| c.detected_ms >= at - 40.0)
            .map(|c| (c.detected_ms - at, c.peak / sigma))
            .collect();
        (found.len(), faint)
    };
    let (n, found) = faint(6.0);
    assert!(n >= 2, "the wearer's blinks: {n}");
    assert_eq!(found.len(), 1, "{found:?}");
    let (after, peak) = found[0];
    assert!((0.0..=80.0).contains(&after), "{found:?}");
    assert!(peak < 5.5, "it must stand under the usual bar: {found:?}");
    let (n, found) = faint(13.0);
    assert!(n >= 2, "the wearer's blinks: {n}");
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_low_burst_held_a_while_is_no_blink_for_a_wearer_whose_blinks_stand_tall() {
    // A burst held over 0.8 `on_sigma` for two samples needs only
    // `closure_sigma` less one noise unit: that helps a weak blink. But this
    // wearer's blinks stand 13 units tall; for them a burst of 5 units, held
    // like a syllable, is speech (the second model's talking). A weak
    // wearer's bar is tested in
    // `a_wearer_with_small_blinks_lowers_the_bar_towards_them`. (Onsets at 4
    // units here, so that a burst between the two bars is announced.)
    let cfg = || {
        let mut c = cfg();
        c.on_sigma = 4.0;
        c
    };
    let s = Signal::new(25.0).rest(12_000.0, 0.0);
    let sigma = s.noise_after(cfg());
    // (Heights are measured from the floor, which the fixture's noise puts
    // about 6 counts under the resting level.)
    let s = s.blinks(4, 13.0 * sigma - 6.0);
    let sigma = s.noise_after(cfg());
    // Held 200 ms at 5 units over the floor, without noise.
    let hump_at = s.t();
    let h = (1000.0 + 5.0 * sigma - 3.0).round() as i32;
    let s = s.stuck(200.0, h).rest(2000.0, 0.0);
    let ev = s.run(cfg());
    let found = closures(&ev);
    assert!(found.len() >= 3, "the blinks were not learned: {found:?}");
    assert!(
        found.iter().all(|c| c.detected_ms < hump_at),
        "the burst at {hump_at} passed for a blink: {found:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Onset { detected_ms, .. } if *detected_ms >= hump_at)),
        "the burst was never announced: the test would pass for another reason: {ev:?}"
    );
}

/// White noise, near enough Gaussian, of `sd` counts: a fresh draw for
/// every sample (deterministic, from the time since the piece began).
fn white_noise(dt: f64, sd: f64) -> f64 {
    let u = |k: f64| {
        ((dt * 12.9898 + k * 78.233).sin() * 43758.5453)
            .fract()
            .abs()
    };
    // Twelve uniforms less six: mean 0, standard deviation 1.
    sd * ((0..12).map(|k| u(f64::from(k))).sum::<f64>() - 6.0)
}

#[test]
fn resting_noise_announces_no_onsets_at_any_rate() {
    // At 860 Hz every second holds 860 fresh looks at the noise (34 times
    // as many as at 25 Hz) while a blink is no faster: tested sample by
    // sample, the noise alone crossed the onset level several times a
    // second, and each crossing was an `Onset` the appliance acted on.
    for hz in [25.0, 100.0, 860.0] {
        let mut s = Signal::new(hz).shape(3000.0, |dt| white_noise(dt, 8.0));
        for _ in 0..4 {
            s = s
                .shape(240.0, |dt| {
                    white_noise(dt, 8.0)
                        + if dt < 40.0 {
                            200.0 * dt / 40.0
                        } else {
                            200.0 * (-(dt - 40.0) / 50.0).exp()
                        }
                })
                .shape(2500.0, |dt| white_noise(dt, 8.0));
        }
        let ev = s.run(cfg());
        assert_eq!(closures(&ev).len(), 4, "{hz} Hz: {ev:?}");
        let n = onsets(&ev).len();
        assert_eq!(n, 4, "{hz} Hz: {n} onsets for 4 blinks");
    }
}

#[test]
fn the_first_syllable_of_speech_is_no_blink_but_a_blink_before_quieter_speech_is() {
    // Quiet, then speech: syllables at about 4 a second, each as tall as a
    // blink. The rhythm test looks back, so the first few have no rhythm
    // behind them: each is known as a syllable once the three after it
    // came within 1.5 s, as tall as it. (The code before took the first
    // three for blinks.) A blink before speech stands if it was taller
    // than those syllables by a fifth or more.
    for (syllable_h, stands) in [(150.0, false), (100.0, true)] {
        let s = Signal::new(25.0)
            .rest(2000.0, 0.0)
            .blink(150.0)
            .rest(60.0, 0.0)
            .speech([syllable_h; 12])
            .rest(3000.0, 0.0);
        let found = closures(&s.run(cfg()));
        let first = found.iter().any(|c| (c.detected_ms - 2000.0).abs() <= 80.0);
        assert_eq!(first, stands, "syllables of {syllable_h}: {found:?}");
        assert!(found.len() <= 1, "syllables of {syllable_h}: {found:?}");
    }
}

#[test]
fn a_double_blink_is_two_closures_and_the_second_is_seen_while_the_first_waits() {
    // Two blinks 400 ms apart, then quiet: the first closure's verdict
    // waits to see whether speech or a meal follows, and the second's
    // events wait behind it; meanwhile the detector says a burst is up.
    let s = Signal::new(25.0)
        .rest(2000.0, 0.0)
        .blink(200.0)
        .rest(160.0, 0.0)
        .blink(200.0)
        .rest(3000.0, 0.0);
    let mut behind = Vec::new();
    let events = s.run_watching(cfg(), |d, t| {
        if d.burst_behind_held() {
            behind.push(t);
        }
    });
    let found = closures(&events);
    assert_eq!(found.len(), 2, "{found:?}");
    // The second burst (from 2400 ms) was seen at once, not when the
    // first closure's verdict let its onset out.
    assert!(
        behind
            .first()
            .is_some_and(|&t| (2400.0..2500.0).contains(&t)),
        "{behind:?}"
    );
    assert!(behind.iter().all(|&t| t < 2700.0), "{behind:?}");
}

#[test]
fn the_first_chew_of_a_meal_is_known_by_the_wearers_blinks_too() {
    // Four blinks teach the typical height (200 counts). Then a meal: chews
    // a second apart, the first taller than the two after it by more than
    // a tenth (chews vary), but well below the wearer's blinks. On the beat
    // of the chews after it and below 0.8 of the typical blink, it is a
    // chew. A blink as tall as the wearer's on that beat still stands.
    let meal = |mut s: Signal, first: f64| {
        for h in [first, 100.0, 110.0, 95.0, 105.0, 100.0, 90.0, 110.0] {
            s = s.hump(280.0, h).rest(720.0, 0.0);
        }
        s.rest(2000.0, 0.0)
    };
    for (first, stands) in [(140.0, false), (210.0, true)] {
        let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
        let at = s.t();
        let found = closures(&meal(s, first).run(cfg()));
        let kept = found.iter().any(|c| (c.detected_ms - at).abs() <= 150.0);
        assert_eq!(kept, stands, "first burst of {first}: {found:?}");
        assert_eq!(found.len(), 4 + usize::from(stands), "{found:?}");
    }
}

#[test]
fn a_loud_first_syllable_is_known_by_the_wearers_blinks() {
    // Four blinks teach the typical height (200 counts). Then speech whose
    // first syllable (150) is louder than the next ones (110) by more than
    // a fifth: well below the wearer's blinks, it is still a syllable. A
    // blink as tall as the wearer's before the same speech stands.
    let speech = |s: Signal, first: f64| {
        s.speech([first, 110.0, 105.0, 115.0, 110.0, 100.0, 110.0])
            .rest(3000.0, 0.0)
    };
    for (first, stands) in [(150.0, false), (200.0, true)] {
        let s = Signal::new(25.0).rest(2000.0, 0.0).blinks(4, 200.0);
        let at = s.t();
        let found = closures(&speech(s, first).run(cfg()));
        let kept = found.iter().any(|c| (c.detected_ms - at).abs() <= 150.0);
        assert_eq!(kept, stands, "first syllable of {first}: {found:?}");
        assert_eq!(found.len(), 4 + usize::from(stands), "{found:?}");
    }
}

/// A signal that falls from its resting level to the ground and stays
/// there (a cable out) is `Railed` for as long as it stays, and the blinks
/// after it comes back are found; one that rests at the ground from the
/// start, blinking, is no fault at all (a quiet muscle on a sensor with a
/// small offset).
#[test]
fn a_fall_to_the_ground_is_railed_and_a_rest_there_is_no_fault() {
    let mut s = Signal::new(25.0)
        .rest(3000.0, 0.0)
        .blink(100.0)
        .rest(2000.0, 0.0);
    let fell = s.t();
    s = s.stuck(10_000.0, 0);
    let back = s.t();
    s = s.rest(4000.0, 0.0);
    let blink_at = s.t();
    s = s.blink(100.0).rest(2000.0, 0.0);
    let ev = s.run(cfg());
    assert_eq!(
        faults(&ev),
        vec![(true, FaultKind::Railed), (false, FaultKind::Railed)],
        "{ev:?}"
    );
    let (start, end) = ev.iter().fold((f64::NAN, f64::NAN), |(a, b), e| match e {
        Event::FaultStart { t_ms, .. } => (*t_ms, b),
        Event::FaultEnd { t_ms, .. } => (a, *t_ms),
        _ => (a, b),
    });
    assert!((fell..fell + 1000.0).contains(&start), "{start} vs {fell}");
    assert!((back..back + 1000.0).contains(&end), "{end} vs {back}");
    let found = closures(&ev);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!((found[1].detected_ms - blink_at).abs() <= 80.0, "{found:?}");

    // At the ground from the start: the noise (about 2 counts) pokes above
    // it about half the time, blinks rise 100 counts and more.
    const NOISE: f64 = 2.0;
    let mut s = Signal::new(25.0);
    let mut blinks_at = Vec::new();
    for k in 0..12 {
        let t0 = s.t();
        for i in 0..100 {
            let t = t0 + i as f64 * 40.0;
            s.samples
                .push((t, (noise(i + 7 * k) - 0.5).round().max(0.0) as i32));
        }
        blinks_at.push(s.t());
        for h in [0.5, 1.0, 0.6] {
            let t = s.t();
            s.samples.push((t, (h * 100.0 * NOISE) as i32));
        }
    }
    let ev = s.run(cfg());
    assert!(faults(&ev).is_empty(), "{:?}", faults(&ev));
    let found = closures(&ev);
    assert_eq!(found.len(), blinks_at.len(), "{found:?}");
    for (c, at) in found.iter().zip(&blinks_at) {
        assert!((c.detected_ms - at).abs() <= 80.0, "{c:?} vs {at}");
    }
}

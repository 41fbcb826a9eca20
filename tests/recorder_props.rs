//! Property tests of the recording decisions (`appliance::recorder`) on the
//! events the real detector gives: synth traces of every scenario (smiles
//! bring `Pause`/`Resume`, meals `Tentative`/`Retracted`, a pad off faults),
//! at several rates, with arbitrary pre-roll, post-roll, clip cap and frame
//! rate. A model of the writer replays the actions and checks what the
//! session folder would hold:
//!
//! - the action protocol: clips opened one at a time, numbered from 1 with
//!   no gap (a discarded number is used again), every action for the open
//!   clip only;
//! - within a clip, frames in capture order, none twice; no frame in two
//!   clips;
//! - every kept frame inside a window `[onset - pre-roll, offset +
//!   post-roll]` of a closure its clip lists;
//! - every closure the detector confirmed is listed once, in a clip that
//!   holds a frame of its window unless a pause cut it (a smile's rise with
//!   no blink on it) or the clip cap did;
//! - the frame count adds up: every captured frame is kept or counted as
//!   not kept;
//! - the frames held back (the pre-roll ring and an unconfirmed onset's)
//!   never pass the byte budget they share, from a few frames' worth (as a
//!   raw camera's budget runs out) to one that never binds.
//!
//! The end-to-end tests (`tests/appliance.rs`) check the same on disk for a
//! few fixed traces; this one looks for the sequences nobody wrote down.

use std::collections::BTreeSet;

use augenblick::appliance::recorder::{Action, Recorder, RecorderConfig};
use augenblick::detector::{BlinkDetector, Closure, DetectorConfig, Event};
use augenblick::devices::{Frame, FrameData};
use augenblick::synth::{Scenario, Synth, SynthOptions};
use proptest::prelude::*;

/// What the recorder was given, and what it did.
struct Run {
    /// Capture times of every frame given.
    captured: Vec<f64>,
    /// The detector's events, in order.
    events: Vec<Event>,
    actions: Vec<Action>,
    frames_not_kept: u64,
    /// The most bytes of frames the recorder held back at once.
    most_held: usize,
}

fn record(
    scenario: Scenario,
    seed: u64,
    rate_hz: f64,
    fps: f64,
    phase: f64,
    cfg: RecorderConfig,
) -> Run {
    let opts = SynthOptions {
        minutes: 1.0,
        rate_hz: Some(rate_hz),
        ..SynthOptions::new(scenario, seed)
    };
    let samples: Vec<_> = Synth::new(&opts).expect("synth").collect();
    let mut det = BlinkDetector::new(DetectorConfig::default()).expect("default config");
    let mut rec = Recorder::new(cfg);
    let (mut captured, mut events, mut actions) = (Vec::new(), Vec::new(), Vec::new());
    let period = 1000.0 / fps;
    let mut next_frame = phase * period;
    let jpeg = FrameData::Jpeg(vec![0xff; FRAME_BYTES].into());
    let mut most_held = 0;
    for s in &samples {
        // The camera's frames up to this sample come first, as the
        // appliance's loop takes whatever arrived.
        while next_frame <= s.t_ms {
            captured.push(next_frame);
            rec.on_frame(
                Frame {
                    t_ms: next_frame,
                    data: jpeg.clone(),
                },
                &mut actions,
            );
            most_held = most_held.max(rec.held_bytes());
            next_frame += period;
        }
        det.push(s.t_ms, s.emg);
        while let Some(e) = det.poll() {
            rec.on_event(&e, &mut actions);
            most_held = most_held.max(rec.held_bytes());
            events.push(e);
        }
        rec.tick(s.t_ms, &mut actions);
    }
    det.finish();
    while let Some(e) = det.poll() {
        rec.on_event(&e, &mut actions);
        events.push(e);
    }
    rec.finish(&mut actions);
    Run {
        captured,
        events,
        actions,
        frames_not_kept: rec.frames_not_kept,
        most_held,
    }
}

/// A clip as the writer leaves it.
#[derive(Debug)]
struct Clip {
    number: u32,
    frames: Vec<f64>,
    closures: Vec<Closure>,
}

/// Replays the actions as the writer does, checking the protocol.
fn write(actions: &[Action]) -> Result<Vec<Clip>, TestCaseError> {
    let mut done: Vec<Clip> = Vec::new();
    let mut closed = 0u32;
    let mut open: Option<Clip> = None;
    for a in actions {
        match a {
            Action::Open { clip } => {
                prop_assert!(open.is_none(), "clip {clip} opened while another is open");
                prop_assert_eq!(*clip, closed + 1, "clip numbers run from 1 with no gap");
                open = Some(Clip {
                    number: *clip,
                    frames: Vec::new(),
                    closures: Vec::new(),
                });
            }
            other => {
                let clip = match other {
                    Action::Onset { clip, .. }
                    | Action::Keep { clip, .. }
                    | Action::Confirm { clip, .. }
                    | Action::Trim { clip, .. }
                    | Action::Discard { clip }
                    | Action::Close { clip, .. } => *clip,
                    Action::Open { .. } => unreachable!(),
                };
                let Some(o) = open.as_mut() else {
                    return Err(TestCaseError::fail(format!("{other:?} with no clip open")));
                };
                prop_assert_eq!(clip, o.number, "{:?} for a clip that is not open", other);
                match other {
                    Action::Keep { frame, .. } => {
                        if let Some(&last) = o.frames.last() {
                            prop_assert!(
                                frame.t_ms > last,
                                "clip {}: frame {} after {}",
                                clip,
                                frame.t_ms,
                                last
                            );
                        }
                        o.frames.push(frame.t_ms);
                    }
                    Action::Trim { after_ms, .. } => o.frames.retain(|&t| t <= *after_ms),
                    Action::Discard { .. } => open = None,
                    Action::Close { closures, .. } => {
                        let mut c = open.take().expect("open");
                        c.closures = closures.clone();
                        closed += 1;
                        // The writer lists no clip without frames.
                        if !c.frames.is_empty() {
                            done.push(c);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    prop_assert!(open.is_none(), "a clip is still open after finish");
    // What blinks.csv lists: clips numbered from 1 with no gap.
    for (i, c) in done.iter().enumerate() {
        prop_assert_eq!(
            c.number,
            i as u32 + 1,
            "clips listed are numbered with no gap"
        );
    }
    Ok(done)
}

fn scenario() -> impl Strategy<Value = Scenario> {
    prop::sample::select(
        Scenario::ALL
            .into_iter()
            .filter(|s| !matches!(s, Scenario::Calm50Hz | Scenario::Calm100Hz))
            .collect::<Vec<_>>(),
    )
}

/// Every frame's size: the byte budget is counted in them.
const FRAME_BYTES: usize = 16;
/// A budget of this many frames never binds (a minute at 60 fps is 3600).
const UNBOUNDED_FRAMES: usize = 1 << 20;

fn recorder_config() -> impl Strategy<Value = RecorderConfig> {
    (
        0.0..300.0f64,
        0.0..300.0f64,
        prop::sample::select(vec![300.0, 1500.0, 10_000.0]),
        prop::sample::select(vec![100.0, 300.0]),
        // From a few frames (a raw camera's budget runs out) to no bound.
        prop::sample::select(vec![3, 20, 60, UNBOUNDED_FRAMES, UNBOUNDED_FRAMES]),
    )
        .prop_map(|(pre, post, cap, latency, frames)| RecorderConfig {
            pre_roll_ms: pre,
            post_roll_ms: post,
            max_clip_ms: cap,
            detection_latency_ms: latency,
            preroll_max_bytes: frames * FRAME_BYTES,
        })
}

const EPS: f64 = 1e-6;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn what_is_kept_lies_in_the_windows_of_the_closures_listed(
        scenario in scenario(),
        seed in 0u64..1000,
        rate_hz in prop::sample::select(vec![25.0, 50.0, 100.0]),
        fps in prop::sample::select(vec![10.0, 30.0, 60.0]),
        phase in 0.0..1.0f64,
        cfg in recorder_config(),
    ) {
        let run = record(scenario, seed, rate_hz, fps, phase, cfg);
        let clips = write(&run.actions)?;
        let (pre, post) = (cfg.pre_roll_ms, cfg.post_roll_ms);

        // The frames held back (the ring and an unconfirmed onset's) stay
        // within the one byte budget they share.
        prop_assert!(
            run.most_held <= cfg.preroll_max_bytes,
            "held {} bytes, budget {}",
            run.most_held,
            cfg.preroll_max_bytes
        );

        // No frame in two clips; all kept plus all not kept = all captured.
        let mut seen = BTreeSet::new();
        let mut kept = 0u64;
        for c in &clips {
            for &t in &c.frames {
                prop_assert!(seen.insert(t.to_bits()), "frame {} kept twice", t);
                kept += 1;
            }
        }
        prop_assert_eq!(
            kept + run.frames_not_kept,
            run.captured.len() as u64,
            "kept {} + not kept {} != captured {}",
            kept,
            run.frames_not_kept,
            run.captured.len()
        );

        // Every kept frame lies in a window of a closure its clip lists.
        for c in &clips {
            prop_assert!(!c.closures.is_empty(), "clip {} lists no closure", c.number);
            for &t in &c.frames {
                let inside = c.closures.iter().any(|k| {
                    t >= k.onset_ms - pre - EPS && t <= k.offset_ms + post + EPS
                });
                prop_assert!(inside, "clip {}: frame {} outside every window of {:?}", c.number, t, c.closures);
            }
        }

        // Every confirmed closure is listed exactly once, with frames of
        // its window unless a pause or the cap cut them.
        let mut paused_onsets = BTreeSet::new();
        let mut open_onset = f64::NAN;
        for e in &run.events {
            match e {
                Event::Onset { onset_ms, .. } => open_onset = *onset_ms,
                Event::Pause { .. } => {
                    paused_onsets.insert(open_onset.to_bits());
                }
                _ => {}
            }
        }
        let confirmed: Vec<&Closure> = run
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Closure(c) => Some(c),
                _ => None,
            })
            .collect();
        let listed: Vec<&Closure> = clips.iter().flat_map(|c| &c.closures).collect();
        for k in &listed {
            prop_assert_eq!(
                confirmed.iter().filter(|c| c == &k).count(),
                1,
                "{:?} is listed but was not confirmed once",
                k
            );
            prop_assert_eq!(listed.iter().filter(|c| c == &k).count(), 1, "{:?} listed twice", k);
        }
        let kept: BTreeSet<u64> = clips.iter().flat_map(|c| &c.frames).map(|t| t.to_bits()).collect();
        // A budget of a few frames loses a late decision's pre-roll by
        // design: then a closure's frames may have fallen out before its
        // onset came.
        let by_bytes = cfg.preroll_max_bytes < UNBOUNDED_FRAMES * FRAME_BYTES;
        for k in &confirmed {
            let paused = paused_onsets.contains(&k.onset_ms.to_bits());
            let (from, to) = (k.onset_ms - pre, k.offset_ms + post);
            let holder = clips.iter().find(|c| c.closures.iter().any(|x| x == *k));
            let Some(holder) = holder else {
                // Not listed: its clip kept no frame. Then a pause at its
                // onset cut them, or those its clip could take (up to the
                // cap) are all in the clip before.
                let to = to.min(from + cfg.max_clip_ms);
                let lost: Vec<f64> = run
                    .captured
                    .iter()
                    .copied()
                    .filter(|&t| t >= from + EPS && t <= to - EPS && !kept.contains(&t.to_bits()))
                    .collect();
                prop_assert!(
                    paused || lost.is_empty() || by_bytes,
                    "{:?} is in no clip, and frames of its window are in none either: {:?}",
                    k,
                    lost
                );
                continue;
            };
            // A clip takes frames up to `max_clip_ms` after its start (its
            // first closure's onset less the pre-roll).
            let to = to.min(holder.closures[0].onset_ms - pre + cfg.max_clip_ms);
            let frame_due = run.captured.iter().any(|&t| t >= from + EPS && t <= to - EPS);
            let filmed = holder.frames.iter().any(|&t| t >= from - EPS && t <= to + EPS);
            prop_assert!(
                filmed || !frame_due || paused || by_bytes,
                "{:?} in clip {} has none of its window's frames ({:?})",
                k,
                holder.number,
                &holder.frames
            );
        }
    }
}

//! Property tests of the film's timeline (`film::plan`) on arbitrary
//! sessions: clips of uneven frames, gaps inside clips (a smile paused in a
//! long closure), clips that overlap in time, frames past a session's
//! recorded length (an interrupted session), several sessions.
//!
//! - Shots tile the film: from 0, each starting where the last ended, none
//!   of negative length.
//! - Every kept frame is shown exactly once, in order (blinks: session, clip,
//!   frame; negative cut: capture time).
//! - The negative cut runs in real time: a frame is shown at its capture
//!   time (unless the frame before it is still on), and the film lasts at
//!   least the sessions' recorded length.
//! - The constant-rate quantiser gives every frame at least one output
//!   frame, and the output's length is the film's within one frame plus
//!   the frames that were shorter than a frame period (the time they
//!   borrow).

#![cfg(feature = "film")]

use std::path::PathBuf;

use augenblick::film::plan::{cues, shots, Mode, Picture, Separator};
use augenblick::session::read::{Clip, Frame, Session};
use proptest::prelude::*;

fn session_strategy() -> impl Strategy<Value = Session> {
    // Clips as (start, frame steps); steps of 0 make two frames at one ms.
    let clip = (
        0u64..120_000,
        prop::collection::vec(
            prop_oneof![8 => 20u64..50, 1 => 0u64..3, 1 => 200u64..3000],
            1..40,
        ),
    );
    (prop::collection::vec(clip, 0..12), 0u64..150_000).prop_map(|(mut clips, duration)| {
        clips.sort_by_key(|c| c.0);
        Session {
            dir: PathBuf::new(),
            started_unix_ms: None,
            duration_ms: duration,
            interrupted: false,
            clips: clips
                .into_iter()
                .enumerate()
                .map(|(i, (start, steps))| {
                    let mut t = start;
                    Clip {
                        number: i as u32 + 1,
                        frames: steps
                            .iter()
                            .enumerate()
                            .map(|(k, &dt)| {
                                t += if k == 0 { 0 } else { dt };
                                Frame {
                                    t_ms: t,
                                    index: k as u32,
                                }
                            })
                            .collect(),
                        blinks: vec![],
                    }
                })
                .collect(),
            warnings: vec![],
        }
    })
}

fn frame_refs(sessions: &[Session]) -> Vec<(usize, usize, usize)> {
    let mut v = Vec::new();
    for (si, s) in sessions.iter().enumerate() {
        for (ci, c) in s.clips.iter().enumerate() {
            for fi in 0..c.frames.len() {
                v.push((si, ci, fi));
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn shots_tile_the_film_and_show_every_frame_once(
        sessions in prop::collection::vec(session_strategy(), 1..4),
        negative in any::<bool>(),
        separator in prop::option::of((prop_oneof![Just(Separator::Black), Just(Separator::Flash)], 0.0..500.0f64)),
        last_frame_ms in 10.0..100.0f64,
        fps in prop::sample::select(vec![(25u32, 1u32), (30, 1), (30000, 1001), (60, 1)]),
    ) {
        let mode = if negative { Mode::Negative } else { Mode::Blinks };
        let plan = shots(&sessions, mode, separator, last_frame_ms);

        // The shots tile the film from 0.
        let mut at = 0.0;
        for s in &plan {
            prop_assert!((s.start_ms - at).abs() < 1e-6, "gap or overlap at {}: {:?}", at, s);
            prop_assert!(s.end_ms >= s.start_ms, "negative shot {:?}", s);
            at = s.end_ms;
        }
        let length = at;

        // Every kept frame once, in order.
        let shown: Vec<(usize, usize, usize)> = plan
            .iter()
            .filter_map(|s| match s.picture {
                Picture::Frame { session, clip, frame } => Some((session, clip, frame)),
                _ => None,
            })
            .collect();
        let mut all = frame_refs(&sessions);
        if negative {
            // By capture time within each session (sessions in turn).
            all.sort_by_key(|&(si, ci, fi)| (si, sessions[si].clips[ci].frames[fi].t_ms));
            let key = |r: &(usize, usize, usize)| (r.0, sessions[r.0].clips[r.1].frames[r.2].t_ms);
            prop_assert_eq!(shown.len(), all.len());
            prop_assert!(shown.windows(2).all(|w| key(&w[0]) <= key(&w[1])), "out of time order");
            let mut a = shown.clone();
            a.sort();
            let mut b = all.clone();
            b.sort();
            prop_assert_eq!(a, b, "not every frame once");
            // Real time: the film lasts the sessions' length at least, and a
            // frame starts at its capture time unless its neighbour held on.
            let recorded: f64 = sessions.iter().map(|s| s.duration_ms as f64).sum();
            prop_assert!(length >= recorded - 1e-6, "film {} ms for {} recorded", length, recorded);
            for s in &plan {
                if let Picture::Frame { session, clip, frame } = s.picture {
                    let t = sessions[session].clips[clip].frames[frame].t_ms as f64;
                    prop_assert!(s.start_ms + 1e-6 >= t, "frame at {} shown at {} (session {})", t, s.start_ms, session);
                }
            }
        } else {
            prop_assert_eq!(shown, all, "blinks mode: every frame once, session by session, clip by clip");
        }

        // The quantiser: each frame gets an output frame, and the length is
        // right within one frame plus what short frames borrowed.
        let (num, den) = fps;
        let plan_cues = cues(&plan, num, den);
        let period = 1000.0 * den as f64 / num as f64;
        let frame_cues = plan_cues.iter().filter(|c| matches!(c.picture, Picture::Frame { .. })).count();
        prop_assert_eq!(frame_cues, shown_count(&plan));
        prop_assert!(plan_cues.iter().all(|c| c.frames > 0));
        let out: f64 = plan_cues.iter().map(|c| c.frames as f64).sum::<f64>() * period;
        let borrowed = plan
            .iter()
            .filter(|s| matches!(s.picture, Picture::Frame { .. }) && s.end_ms - s.start_ms < period)
            .count() as f64 * period;
        prop_assert!(out >= length - period, "output {} ms for a film of {} ms", out, length);
        prop_assert!(out <= length + period + borrowed, "output {} ms for a film of {} ms", out, length);
    }
}

fn shown_count(plan: &[augenblick::film::plan::Shot]) -> usize {
    plan.iter()
        .filter(|s| matches!(s.picture, Picture::Frame { .. }))
        .count()
}

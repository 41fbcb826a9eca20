//! The film's timeline, without any video: which picture is on screen when,
//! and how many output frames each gets at a constant frame rate.
//!
//! Pure: sessions in, [`Shot`]s (exact times) and [`Cue`]s (whole frames) out.
//! A frame lasts until the next frame of its clip (the camera's times are
//! uneven); the last frame of a clip gets the median frame interval. The
//! constant-rate quantiser rounds each shot's *end* onto the frame grid, so
//! rounding never accumulates: the film's length is the real length within
//! one frame. A kept frame always gets at least one output frame, even when
//! it lasted less than a frame period; the time it borrows is given back by
//! the next shots.

use crate::session::read::Session;

/// How the clips are laid out in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Clips back to back, in time order.
    #[default]
    Blinks,
    /// Real time over the whole session(s); a fill picture while eyes were open.
    Negative,
}

/// A few frames between blinks (blinks mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    Black,
    Flash,
}

/// What is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Frame `frame` of clip `clip` of session `session` (indices into
    /// `sessions[session].clips[clip].frames`).
    Frame {
        session: usize,
        clip: usize,
        frame: usize,
    },
    /// Eyes open in the negative cut: black, or the chosen still.
    Fill,
    /// A separator between blinks.
    Separator(Separator),
}

/// A picture over an interval of film time, in ms from the film's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shot {
    pub picture: Picture,
    pub start_ms: f64,
    pub end_ms: f64,
}

/// A picture held for a whole number of output frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cue {
    pub picture: Picture,
    pub frames: u32,
}

/// The shots of a film, in order, covering its whole length.
pub fn shots(
    sessions: &[Session],
    mode: Mode,
    separator: Option<(Separator, f64)>,
    last_frame_ms: f64,
) -> Vec<Shot> {
    let mut out = Vec::new();
    match mode {
        Mode::Blinks => {
            let mut pos = 0.0;
            let mut first = true;
            for (si, s) in sessions.iter().enumerate() {
                for (ci, clip) in s.clips.iter().enumerate() {
                    if let (Some((sep, ms)), false) = (separator, first) {
                        out.push(Shot {
                            picture: Picture::Separator(sep),
                            start_ms: pos,
                            end_ms: pos + ms,
                        });
                        pos += ms;
                    }
                    first = false;
                    for (fi, _) in clip.frames.iter().enumerate() {
                        let d = frame_duration(s, ci, fi, last_frame_ms);
                        out.push(Shot {
                            picture: Picture::Frame {
                                session: si,
                                clip: ci,
                                frame: fi,
                            },
                            start_ms: pos,
                            end_ms: pos + d,
                        });
                        pos += d;
                    }
                }
            }
        }
        Mode::Negative => {
            let mut offset = 0.0;
            for (si, s) in sessions.iter().enumerate() {
                let end = offset + s.duration_ms as f64;
                let mut cursor = offset;
                // Every frame at its real time, cut short where the next one
                // (maybe of the next clip) begins.
                let mut frames: Vec<(f64, f64, Picture)> = Vec::new();
                for (ci, clip) in s.clips.iter().enumerate() {
                    for (fi, f) in clip.frames.iter().enumerate() {
                        let start = offset + f.t_ms as f64;
                        let d = frame_duration(s, ci, fi, last_frame_ms);
                        frames.push((
                            start,
                            start + d,
                            Picture::Frame {
                                session: si,
                                clip: ci,
                                frame: fi,
                            },
                        ));
                    }
                }
                frames.sort_by(|a, b| a.0.total_cmp(&b.0));
                for i in 0..frames.len() {
                    let (start, mut stop, picture) = frames[i];
                    if let Some(next) = frames.get(i + 1) {
                        stop = stop.min(next.0);
                    }
                    stop = stop.min(end);
                    let start = start.max(cursor);
                    if start > cursor {
                        out.push(Shot {
                            picture: Picture::Fill,
                            start_ms: cursor,
                            end_ms: start,
                        });
                    }
                    out.push(Shot {
                        picture,
                        start_ms: start,
                        end_ms: stop.max(start),
                    });
                    cursor = stop.max(start);
                }
                if end > cursor {
                    out.push(Shot {
                        picture: Picture::Fill,
                        start_ms: cursor,
                        end_ms: end,
                    });
                }
                offset = end.max(cursor);
            }
        }
    }
    out
}

/// How long frame `fi` of clip `ci` was on screen: until the next frame of
/// its clip, or `last_frame_ms` (the median frame interval) for the last
/// one. A wait longer than `GAP_FRAMES` intervals is no uneven camera but
/// frames not kept (the eye open during a smile held inside a long
/// closure): the frame lasts one interval.
fn frame_duration(s: &Session, ci: usize, fi: usize, last_frame_ms: f64) -> f64 {
    let frames = &s.clips[ci].frames;
    match frames.get(fi + 1) {
        Some(next) => {
            let d = (next.t_ms - frames[fi].t_ms) as f64;
            if d > GAP_FRAMES * last_frame_ms {
                last_frame_ms
            } else {
                d
            }
        }
        None => last_frame_ms,
    }
}

/// See [`frame_duration`].
const GAP_FRAMES: f64 = 6.0;

/// Quantises shots onto a constant frame rate of `fps_num / fps_den`.
pub fn cues(shots: &[Shot], fps_num: u32, fps_den: u32) -> Vec<Cue> {
    let rate = fps_num as f64 / fps_den as f64 / 1000.0;
    let mut emitted: i64 = 0;
    let mut out = Vec::with_capacity(shots.len());
    for shot in shots {
        let target = (shot.end_ms * rate).round() as i64;
        let min = match shot.picture {
            Picture::Frame { .. } => 1,
            _ => 0,
        };
        let n = (target - emitted).max(min);
        if n > 0 {
            out.push(Cue {
                picture: shot.picture,
                frames: n as u32,
            });
            emitted += n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::read::{Clip, Frame};
    use std::path::PathBuf;

    fn session(duration_ms: u64, clips: &[&[u64]]) -> Session {
        Session {
            dir: PathBuf::new(),
            started_unix_ms: None,
            duration_ms,
            interrupted: false,
            clips: clips
                .iter()
                .enumerate()
                .map(|(i, ts)| Clip {
                    number: i as u32 + 1,
                    frames: ts
                        .iter()
                        .enumerate()
                        .map(|(k, &t_ms)| Frame {
                            t_ms,
                            index: k as u32,
                        })
                        .collect(),
                    blinks: vec![],
                })
                .collect(),
            warnings: vec![],
        }
    }

    fn total(c: &[Cue]) -> u32 {
        c.iter().map(|c| c.frames).sum()
    }

    #[test]
    fn a_gap_inside_a_clip_is_not_held_on_screen() {
        // A long closure's clip with the eye open in its middle (a smile):
        // frames 1000-1200, then 3000-3100. The frame before the gap lasts
        // one interval, not 1.8 s.
        let s = session(10_000, &[&[1000, 1100, 1200, 3000, 3100]]);
        let sh = shots(std::slice::from_ref(&s), Mode::Blinks, None, 100.0);
        let lengths: Vec<f64> = sh.iter().map(|x| x.end_ms - x.start_ms).collect();
        assert_eq!(lengths, vec![100.0; 5]);
        // In the negative cut the gap is open eyes: the fill picture.
        let sh = shots(&[s], Mode::Negative, None, 100.0);
        let fill = sh
            .iter()
            .find(|x| x.start_ms == 1300.0)
            .expect("a shot from 1300");
        assert_eq!(fill.picture, Picture::Fill);
        assert_eq!(fill.end_ms, 3000.0);
    }

    #[test]
    fn blinks_mode_shows_each_frame_for_its_real_duration() {
        // 10 fps output; frames of 100, 200 and (last) 100 ms.
        let s = session(10_000, &[&[1000, 1100, 1300], &[5000, 5100]]);
        let sh = shots(&[s], Mode::Blinks, None, 100.0);
        assert_eq!(sh.len(), 5);
        assert_eq!(sh[4].end_ms, 600.0);
        let c = cues(&sh, 10, 1);
        let frames: Vec<u32> = c.iter().map(|c| c.frames).collect();
        assert_eq!(frames, vec![1, 2, 1, 1, 1]);
    }

    #[test]
    fn short_frames_are_kept_and_the_time_is_paid_back() {
        // Frames 20 ms apart at 30 fps: each needs a frame, the film runs long
        // only while the debt lasts, and a long frame after (120 ms, a
        // camera's hiccup, not a gap: see `GAP_FRAMES`) pays it back.
        let s = session(2_000, &[&[0, 20, 40, 60, 180]]);
        let sh = shots(&[s], Mode::Blinks, None, 1000.0 / 30.0);
        let c = cues(&sh, 30, 1);
        assert!(c.iter().all(|c| c.frames >= 1));
        assert_eq!(c.len(), 5);
        let real = sh.last().unwrap().end_ms;
        assert_eq!(total(&c), (real * 30.0 / 1000.0).round() as u32);
    }

    #[test]
    fn negative_cut_lasts_the_session() {
        let s = session(12_345, &[&[1000, 1033, 1067], &[6000, 6040]]);
        let sh = shots(&[s.clone(), s], Mode::Negative, None, 33.0);
        assert_eq!(sh.first().unwrap().picture, Picture::Fill);
        assert_eq!(sh.last().unwrap().end_ms, 24_690.0);
        for w in sh.windows(2) {
            assert_eq!(w[0].end_ms, w[1].start_ms);
        }
        let c = cues(&sh, 30000, 1001);
        let want = 24_690.0 * 30000.0 / 1001.0 / 1000.0;
        assert!((total(&c) as f64 - want).abs() <= 1.0);
        let shown = c
            .iter()
            .filter(|c| matches!(c.picture, Picture::Frame { .. }))
            .count();
        assert_eq!(shown, 10);
    }

    #[test]
    fn separators_go_between_blinks_only() {
        let s = session(10_000, &[&[0, 40], &[500], &[900]]);
        let sh = shots(&[s], Mode::Blinks, Some((Separator::Flash, 200.0)), 40.0);
        let seps: Vec<usize> = sh
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.picture, Picture::Separator(_)))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(seps, vec![2, 4]);
    }
}

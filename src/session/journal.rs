//! The clip journal: what an open clip holds, so a power cut loses no closure.
//!
//! A closure's frames go to its clip file as they are captured, from the
//! detector's `Onset` on, not when the closure ends: a deliberate closure
//! can last seconds. Beside the clip, `clips/NNNNNN.journal` gets one line
//! per thing the writer did to it, appended (and fsynced with the clip at
//! least once a second):
//!
//! ```text
//! onset,1200,1240                      a closure began at 1200 ms (decided at 1240)
//! frame,1150.5                         a frame was appended to the clip, captured at 1150.5 ms
//! closure,1200,1530,1240,612.0,0.870   the closure is confirmed: onset,offset,detected,peak,score
//! trim,1560                            frames captured after 1560 ms were cut from the clip
//! ```
//!
//! When the clip closes cleanly its rows go to `frames.csv` and `blinks.csv`
//! and the journal is deleted. After a power cut, repair
//! ([`crate::session::repair`]) rebuilds the missing rows from it: one
//! `frames.csv` row per frame that is both in the journal and complete in
//! the clip file, a `blinks.csv` row per confirmed closure, and for a
//! closure still going on (an `onset` with no `closure` after it) a row
//! ending at the last frame, with `peak` and `score` `NaN` (not confirmed).

use std::fmt::Write;

use crate::detector::Closure;
use crate::trace::Ms;

/// A line saying a closure began.
pub fn onset_line(out: &mut String, onset_ms: f64, detected_ms: f64) {
    let _ = writeln!(out, "onset,{},{}", Ms(onset_ms), Ms(detected_ms));
}

/// A line saying a frame captured at `t_ms` was appended.
pub fn frame_line(out: &mut String, t_ms: f64) {
    let _ = writeln!(out, "frame,{}", Ms(t_ms));
}

/// A line saying the closure is confirmed.
pub fn closure_line(out: &mut String, c: &Closure) {
    let _ = writeln!(
        out,
        "closure,{},{},{},{:.1},{:.3}",
        Ms(c.onset_ms),
        Ms(c.offset_ms),
        Ms(c.detected_ms),
        c.peak,
        c.score
    );
}

/// A line saying frames captured after `after_ms` were cut from the clip.
pub fn trim_line(out: &mut String, after_ms: f64) {
    let _ = writeln!(out, "trim,{}", Ms(after_ms));
}

/// What a journal says a clip holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClipJournal {
    /// Capture times of the frames in the clip file, in order.
    pub frames: Vec<f64>,
    /// Confirmed closures.
    pub closures: Vec<Closure>,
    /// A closure still going on when the journal ends: (onset, detected).
    pub open_onset: Option<(f64, f64)>,
}

impl ClipJournal {
    /// Reads a journal; a torn or unreadable line (the last one, after a
    /// power cut) is ignored.
    pub fn parse(text: &str) -> ClipJournal {
        let mut j = ClipJournal::default();
        for line in text.split_inclusive('\n') {
            if !line.ends_with('\n') {
                break; // torn tail
            }
            let mut fields = line.trim_end().split(',');
            let kind = fields.next().unwrap_or("");
            let nums: Option<Vec<f64>> = fields.map(|f| f.parse::<f64>().ok()).collect();
            let Some(n) = nums else { continue };
            match (kind, n.as_slice()) {
                ("onset", &[onset, detected]) => j.open_onset = Some((onset, detected)),
                ("frame", &[t]) => j.frames.push(t),
                ("closure", &[onset_ms, offset_ms, detected_ms, peak, score]) => {
                    j.open_onset = None;
                    j.closures.push(Closure {
                        onset_ms,
                        offset_ms,
                        detected_ms,
                        peak,
                        score,
                    });
                }
                ("trim", &[after]) => {
                    // A late decision or a retracted onset: what followed is not kept.
                    j.open_onset = None;
                    j.frames.retain(|&t| t <= after);
                }
                _ => {}
            }
        }
        j
    }

    /// The closures to list for a clip of `frames` frames (after a crash):
    /// the confirmed ones, then the one going on, ending at the last frame
    /// and marked unconfirmed (`peak` and `score` NaN).
    pub fn closures_to_list(&self, frames: &[f64]) -> Vec<Closure> {
        let mut out = self.closures.clone();
        if let (Some((onset_ms, detected_ms)), Some(&last)) = (self.open_onset, frames.last()) {
            out.push(Closure {
                onset_ms,
                offset_ms: last.max(onset_ms),
                detected_ms,
                peak: f64::NAN,
                score: f64::NAN,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_what_was_written() {
        let mut s = String::new();
        onset_line(&mut s, 1000.0, 1040.0);
        for t in [940.0, 973.5, 1006.75, 1040.0, 1073.0] {
            frame_line(&mut s, t);
        }
        let c = Closure {
            onset_ms: 1000.0,
            offset_ms: 1010.0,
            detected_ms: 1040.0,
            peak: 500.0,
            score: 0.75,
        };
        closure_line(&mut s, &c);
        trim_line(&mut s, 1040.0);
        onset_line(&mut s, 1100.0, 1140.0);
        frame_line(&mut s, 1106.0);
        let j = ClipJournal::parse(&format!("{s}frame,11")); // a torn last line
        assert_eq!(j.frames, [940.0, 973.5, 1006.75, 1040.0, 1106.0]);
        assert_eq!(j.closures, [c]);
        assert_eq!(j.open_onset, Some((1100.0, 1140.0)));
        let listed = j.closures_to_list(&j.frames);
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].offset_ms, 1106.0);
        assert!(listed[1].score.is_nan());
        // A retracted onset (trim after it) leaves no closure going on.
        trim_line(&mut s, 1040.0);
        let j = ClipJournal::parse(&s);
        assert_eq!(j.open_onset, None);
        assert_eq!(j.frames.len(), 4);
    }
}

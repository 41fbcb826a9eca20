//! The recording decisions: detector events and frames in, clip actions out.
//!
//! A pure state machine with time as input. Frames wait in the [`PreRoll`]
//! ring; an `Onset` opens a clip with the frames from `onset - pre_roll`,
//! frames keep going into it while the eye is shut, and the `Closure` sets
//! its end at `offset + post_roll`. Decisions:
//!
//! - **Streamed, not held.** A clip's frames go to the writer as they come,
//!   from the onset on, not when the detector confirms the closure: a
//!   deliberate closure can last seconds, and a power cut must not lose it.
//!   The newest frames of an unconfirmed onset are also kept here (shared,
//!   not copied; within the pre-roll ring's byte budget, which the two
//!   share, the oldest going first), because the detector may
//!   take the onset back (`Retracted`): then the clip is discarded (the
//!   writer deletes it, its number is used again) and those frames go back
//!   to the ring, so a real blink right after a false start still finds
//!   them. A fault start while a closure is open counts as a retraction.
//! - **Late decisions.** Frames captured after `offset + post_roll` but
//!   before the `Closure` said so are cut from the clip's end (`Trim`) and
//!   go back to the ring.
//! - **Merging.** A clip whose end has passed lingers (its file still open)
//!   for `pre_roll + detection_latency`: an onset whose window starts before
//!   that end continues the same clip, so overlapping windows (double
//!   blinks) make one clip and no frame is in two. A merged onset taken back
//!   cuts the clip back to its last closure's window.
//! - **Waiting for a verdict.** A `Tentative` closure ends the clip's
//!   window like a `Closure` but is not confirmed: the clip takes no more
//!   frames and stays open, however long past its end, until the detector
//!   confirms it (`Closure`) or takes it back (`Retracted`: discarded, or
//!   cut back to its last closure). Nothing else comes in between; the
//!   events behind it come late, by up to `MAX_VERDICT_DELAY_MS`, which the
//!   rings therefore also hold, so a blink just after still has its
//!   pre-roll.
//! - **A smile inside a long closure.** The detector may say that the eye
//!   is open again while its closure goes on (`Pause`: a smile held after
//!   its first burst) and shut again for a blink on it (`Resume`). A pause
//!   cuts the clip after its time plus the post-roll and sends the next
//!   frames to the ring, as after a window's end; a resume takes them back
//!   from its onset less the pre-roll. The clip keeps one closure, with a
//!   gap in its frames (the film shows none of it). A pause at the
//!   closure's onset (the eye never shut: a smile's rise with no blink on
//!   it) cuts all the closure's frames, its pre-roll too; a clip left with
//!   none is not listed.
//! - **Maximum length.** A clip stops taking frames after `max_clip_ms`; it
//!   is closed when its closure ends, so the closure is still listed.
//! - **No empty clips.** A clip that ends with no frame (all cut by a pause
//!   at its onset, or kept by the capped clip before it, when its onset
//!   came late) is discarded, not closed: nothing lists it.
//!
//! Clip numbers start at 1 and stay contiguous.

use crate::appliance::preroll::PreRoll;
use crate::detector::{Closure, Event, MAX_VERDICT_DELAY_MS};
use crate::devices::Frame;

/// What the writer must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start clip file `clip`.
    Open { clip: u32 },
    /// A closure began in the open clip (for its journal).
    Onset {
        clip: u32,
        onset_ms: f64,
        detected_ms: f64,
    },
    /// Append this frame to the open clip.
    Keep { clip: u32, frame: Frame },
    /// The closure is confirmed (for the clip's journal).
    Confirm { clip: u32, closure: Closure },
    /// Cut the frames captured after `after_ms` from the open clip.
    Trim { clip: u32, after_ms: f64 },
    /// The onset was taken back: delete the clip; its number is used again.
    Discard { clip: u32 },
    /// The clip is complete: write its rows for these closures, then sync.
    Close { clip: u32, closures: Vec<Closure> },
}

/// Recorder parameters, in ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecorderConfig {
    pub pre_roll_ms: f64,
    pub post_roll_ms: f64,
    pub max_clip_ms: f64,
    /// How late after an onset the detector may decide.
    pub detection_latency_ms: f64,
    pub preroll_max_bytes: usize,
}

impl From<&crate::config::RecordingConfig> for RecorderConfig {
    fn from(r: &crate::config::RecordingConfig) -> Self {
        RecorderConfig {
            pre_roll_ms: r.pre_roll_ms,
            post_roll_ms: r.post_roll_ms,
            max_clip_ms: r.max_clip_ms,
            detection_latency_ms: r.detection_latency_ms,
            preroll_max_bytes: r.preroll_max_bytes.min(usize::MAX as u64) as usize,
        }
    }
}

#[derive(Debug)]
struct OpenClip {
    clip: u32,
    start_ms: f64,
    /// `offset + post_roll` once the closure ended; `None` while the eye is shut.
    end_ms: Option<f64>,
    /// Time has passed `end_ms`: new frames go to the pre-roll, the clip
    /// waits for a merging onset.
    lingering: bool,
    /// Reached `max_clip_ms`: takes no more frames.
    capped: bool,
    /// Its last closure ended but waits for the detector's verdict
    /// ([`Event::Tentative`]): the clip stays open, taking no frames, until
    /// a `Closure` confirms it or a `Retracted` takes it back.
    tentative: bool,
    /// The onset of the clip's newest closure, and when it was decided.
    onset_ms: f64,
    detected_ms: f64,
    closures: Vec<Closure>,
    /// While an onset is not confirmed (the first of a new clip, or one
    /// merging into this clip): the newest of the frames sent since, shared
    /// with the writer, to give back if the onset is taken back.
    unconfirmed: Option<PreRoll>,
    /// Capture times of the frames sent to the writer for this clip.
    times: Vec<f64>,
}

/// See the module docs.
#[derive(Debug)]
pub struct Recorder {
    cfg: RecorderConfig,
    preroll: PreRoll,
    open: Option<OpenClip>,
    next_clip: u32,
    paused: bool,
    /// Frames that fell out of the pre-roll or were not in any window.
    pub frames_not_kept: u64,
    /// Onsets ignored while paused (disk full).
    pub onsets_skipped: u64,
}

impl Recorder {
    pub fn new(cfg: RecorderConfig) -> Self {
        Recorder {
            preroll: Self::ring(&cfg),
            cfg,
            open: None,
            next_clip: 1,
            paused: false,
            frames_not_kept: 0,
            onsets_skipped: 0,
        }
    }

    /// The frames kept for an onset not yet announced: its pre-roll, the
    /// detector's latency, and the longest a closure's verdict can hold
    /// back the events after it (the onset of a blink that follows a
    /// tentative closure comes that much later).
    fn ring(cfg: &RecorderConfig) -> PreRoll {
        PreRoll::new(
            cfg.pre_roll_ms + cfg.detection_latency_ms + MAX_VERDICT_DELAY_MS,
            cfg.preroll_max_bytes,
        )
    }

    /// Bytes of the frames held back: the pre-roll ring's and an
    /// unconfirmed onset's (within `preroll_max_bytes` together).
    pub fn held_bytes(&self) -> usize {
        let unconfirmed = self
            .open
            .as_ref()
            .and_then(|o| o.unconfirmed.as_ref())
            .map_or(0, PreRoll::bytes);
        self.preroll.bytes() + unconfirmed
    }

    /// True while frames go into a clip (the LED is lit).
    pub fn is_recording(&self) -> bool {
        self.open
            .as_ref()
            .is_some_and(|o| !o.lingering && !o.capped)
    }

    /// While paused (disk full) no clip opens; an open one is closed now.
    pub fn set_paused(&mut self, paused: bool, out: &mut Vec<Action>) {
        if paused && !self.paused {
            self.end_clip(out);
        }
        self.paused = paused;
    }

    /// A captured frame, in time order.
    pub fn on_frame(&mut self, frame: Frame, out: &mut Vec<Action>) {
        let t = frame.t_ms;
        self.tick(t, out);
        let cfg = self.cfg;
        // The frame, unless a clip took it: it goes to the ring.
        let spare = match &mut self.open {
            None => Some(frame),
            Some(o) if o.lingering || o.capped => Some(frame),
            Some(o) => {
                if t < o.start_ms {
                    // A camera lagging the EMG by more than the pre-roll
                    // (a slow machine, a driver's queue): the onset came
                    // before its window's first frames, and the frames
                    // still arriving from before that window are no part
                    // of it. (Windows that merge into a clip overlap, so
                    // its first start bounds them all.)
                    self.frames_not_kept += 1;
                    return;
                }
                if t - o.start_ms > cfg.max_clip_ms {
                    o.capped = true;
                    Some(frame)
                } else {
                    if let Some(ring) = &mut o.unconfirmed {
                        // Falling out of this ring loses nothing: the frame is in the clip.
                        ring.push(frame.clone());
                    }
                    o.times.push(t);
                    out.push(Action::Keep {
                        clip: o.clip,
                        frame,
                    });
                    None
                }
            }
        };
        if let Some(frame) = spare {
            self.frames_not_kept += self.preroll.push(frame) as u64;
        }
        self.share_budget();
    }

    /// The pre-roll ring and an unconfirmed onset's frames share one byte
    /// budget (a raw 640x480 frame is 614 kB): while a tentative closure
    /// waits for its verdict, both fill. The unconfirmed frames go first:
    /// they are the older (the ring takes frames only once the clip's
    /// window has ended, and gives them all up when one opens), and they
    /// are in the clip already; only a blink right after a closure taken
    /// back would have used them.
    fn share_budget(&mut self) {
        let left = self
            .cfg
            .preroll_max_bytes
            .saturating_sub(self.preroll.bytes());
        if let Some(ring) = self.open.as_mut().and_then(|o| o.unconfirmed.as_mut()) {
            ring.trim_to_bytes(left);
        }
    }

    /// Time passes (each sample): ends windows even when no frame comes.
    pub fn tick(&mut self, t_ms: f64, out: &mut Vec<Action>) {
        let linger = self.cfg.pre_roll_ms + self.cfg.detection_latency_ms;
        let Some(o) = &mut self.open else { return };
        let Some(end) = o.end_ms else { return };
        // A frame exactly at the end is still kept (see `on_frame`).
        if t_ms > end {
            o.lingering = true;
        }
        if t_ms > end + linger && !o.tentative {
            self.close(out);
        }
    }

    /// The open clip's window ends at `offset_ms` plus the post-roll.
    /// Frames captured between that end and the decision go back to the ring.
    /// `confirmed`: the closure is a `Closure`, not a `Tentative` one that
    /// may yet be taken back.
    fn end_window(&mut self, offset_ms: f64, confirmed: bool, out: &mut Vec<Action>) {
        let end = offset_ms + self.cfg.post_roll_ms;
        let Some(o) = &mut self.open else { return };
        o.end_ms = Some(end);
        self.cut_after(end, confirmed, out);
    }

    /// A detector event.
    pub fn on_event(&mut self, event: &Event, out: &mut Vec<Action>) {
        match *event {
            Event::Onset {
                onset_ms,
                detected_ms,
            } => self.onset(onset_ms, detected_ms, out),
            Event::Tentative(c) => {
                let Some(o) = &mut self.open else { return };
                if o.end_ms.is_some() {
                    return;
                }
                // Like a closure, but not confirmed: the clip waits.
                o.tentative = true;
                self.end_window(c.offset_ms, false, out);
            }
            Event::Closure(c) => {
                let Some(o) = &mut self.open else { return };
                // After a `Tentative` this is its verdict: the window ended then.
                let waited = o.tentative;
                if !waited && o.end_ms.is_some() {
                    return;
                }
                o.tentative = false;
                if waited {
                    // Confirmed: its frames are no longer given back.
                    o.unconfirmed = None;
                }
                o.closures.push(c);
                out.push(Action::Confirm {
                    clip: o.clip,
                    closure: c,
                });
                if !waited {
                    self.end_window(c.offset_ms, true, out);
                }
                if self.open.as_ref().is_some_and(|o| o.capped) {
                    self.close(out);
                }
            }
            Event::Pause { t_ms } => self.pause(t_ms, out),
            Event::Resume { onset_ms, .. } => self.resume(onset_ms, out),
            Event::Retracted { .. } | Event::FaultStart { .. } => self.retract(out),
            Event::FaultEnd { .. } => {}
        }
    }

    /// Ends the session: an open clip is closed if it holds a closure, and
    /// the frames still waiting in the ring are counted as not kept (so
    /// that `session.toml`'s counts add up to the frames captured).
    pub fn finish(&mut self, out: &mut Vec<Action>) {
        self.end_clip(out);
        self.frames_not_kept += self.preroll.len() as u64;
        self.preroll.take_from(f64::INFINITY);
    }

    /// Closes the open clip if it holds a closure, else takes it back.
    fn end_clip(&mut self, out: &mut Vec<Action>) {
        match &self.open {
            Some(o) if !o.closures.is_empty() => self.close(out),
            Some(_) => {
                self.retract(out);
                // Nothing of it is kept: its frames are simply not kept.
                self.frames_not_kept += self.preroll.len() as u64;
                self.preroll.take_from(f64::INFINITY);
            }
            None => {}
        }
    }

    fn onset(&mut self, onset_ms: f64, detected_ms: f64, out: &mut Vec<Action>) {
        let start = onset_ms - self.cfg.pre_roll_ms;
        let ring = Self::ring(&self.cfg);
        if let Some(o) = &mut self.open {
            match o.end_ms {
                // The eye is already shut in this clip: nothing new.
                None => return,
                Some(end) if start <= end && !o.capped => {
                    o.end_ms = None;
                    o.onset_ms = onset_ms;
                    o.detected_ms = detected_ms;
                    o.unconfirmed = Some(ring);
                    out.push(Action::Onset {
                        clip: o.clip,
                        onset_ms,
                        detected_ms,
                    });
                    if o.lingering {
                        o.lingering = false;
                        let (frames, dropped) = self.preroll.take_from(start);
                        self.frames_not_kept += dropped as u64;
                        self.keep_all(frames, out);
                    }
                    return;
                }
                Some(_) => self.close(out),
            }
        }
        if self.paused {
            self.onsets_skipped += 1;
            return;
        }
        let clip = self.next_clip;
        self.open = Some(OpenClip {
            clip,
            start_ms: start,
            end_ms: None,
            lingering: false,
            capped: false,
            tentative: false,
            onset_ms,
            detected_ms,
            closures: Vec::new(),
            unconfirmed: Some(ring),
            times: Vec::new(),
        });
        out.push(Action::Open { clip });
        out.push(Action::Onset {
            clip,
            onset_ms,
            detected_ms,
        });
        let (frames, dropped) = self.preroll.take_from(start);
        self.frames_not_kept += dropped as u64;
        self.keep_all(frames, out);
    }

    /// The eye is open again inside the closure (a smile held after its
    /// first burst): the frames after `t_ms` plus the post-roll are cut,
    /// and the next go to the ring, as after a window's end, until a
    /// `resume`.
    fn pause(&mut self, t_ms: f64, out: &mut Vec<Action>) {
        let post = self.cfg.post_roll_ms;
        let end = match &self.open {
            Some(o) if o.end_ms.is_none() && !o.lingering => {
                if t_ms <= o.onset_ms {
                    // The eye never shut in this closure (a smile's rise
                    // with no blink on it): none of its frames stay, not
                    // even its pre-roll; those of the clip's earlier
                    // closures do.
                    o.closures
                        .last()
                        .map_or(o.start_ms - 1.0, |c| c.offset_ms + post)
                } else {
                    t_ms + post
                }
            }
            _ => return,
        };
        self.cut_after(end, true, out);
        if let Some(o) = &mut self.open {
            o.lingering = true;
            // The cut ends the clip's open closure in its journal (a cut is
            // what a late decision or a taken-back onset leaves); this one
            // goes on: after a power cut, repair lists it with the frames
            // kept, those of a blink after a resume too.
            out.push(Action::Onset {
                clip: o.clip,
                onset_ms: o.onset_ms,
                detected_ms: o.detected_ms,
            });
        }
    }

    /// ... and shut again from `onset_ms` (a blink on the smile): the clip
    /// takes frames again, from `onset_ms` less the pre-roll (never before
    /// the last it kept).
    fn resume(&mut self, onset_ms: f64, out: &mut Vec<Action>) {
        let Some(o) = &mut self.open else { return };
        if o.end_ms.is_some() || !o.lingering || o.capped {
            return;
        }
        o.lingering = false;
        let kept = o.times.last().copied().unwrap_or(f64::NEG_INFINITY);
        let start = (onset_ms - self.cfg.pre_roll_ms).max(kept + 1e-6);
        let (frames, dropped) = self.preroll.take_from(start);
        self.frames_not_kept += dropped as u64;
        self.keep_all(frames, out);
    }

    fn keep_all(&mut self, frames: Vec<Frame>, out: &mut Vec<Action>) {
        for f in frames {
            self.on_frame(f, out);
        }
    }

    /// Cuts the frames sent after `end` from the open clip and gives the
    /// newest of them back to the ring. With `confirm`, the onset is no
    /// longer unconfirmed; without (a `Tentative` closure), the frames up to
    /// `end` stay in its ring, to go back to the pre-roll if the closure is
    /// taken back (a blink just after a first chew needs them).
    fn cut_after(&mut self, end: f64, confirm: bool, out: &mut Vec<Action>) {
        let Some(o) = &mut self.open else { return };
        let n = o.times.partition_point(|&t| t <= end);
        let cut = o.times.len() - n;
        if cut > 0 {
            o.times.truncate(n);
            o.lingering = true;
            out.push(Action::Trim {
                clip: o.clip,
                after_ms: end,
            });
        }
        let mut back = Vec::new();
        if let Some(r) = o.unconfirmed.as_mut().filter(|_| cut > 0) {
            for f in r.take_from(f64::MIN).0 {
                if f.t_ms > end {
                    back.push(f);
                } else if !confirm {
                    r.push(f);
                }
            }
        }
        if confirm {
            o.unconfirmed = None;
        }
        self.frames_not_kept += (cut - back.len()) as u64;
        for frame in back {
            self.frames_not_kept += self.preroll.push(frame) as u64;
        }
        self.share_budget();
    }

    fn retract(&mut self, out: &mut Vec<Action>) {
        let post = self.cfg.post_roll_ms;
        let Some(o) = &mut self.open else { return };
        if o.tentative {
            // The verdict: the closure that waited was none.
            o.tentative = false;
            o.end_ms = None;
        }
        if o.end_ms.is_some() {
            return;
        }
        match o.closures.last() {
            // A merged onset taken back: the clip ends with its last closure's
            // window; what was sent after it is cut.
            Some(last) => {
                let end = last.offset_ms + post;
                o.end_ms = Some(end);
                self.cut_after(end, true, out);
            }
            // Not a blink: nothing of it stays; its frames go back to the ring.
            None => {
                out.push(Action::Discard { clip: o.clip });
                let sent = o.times.len();
                let back = o
                    .unconfirmed
                    .take()
                    .map(|mut r| r.take_from(f64::MIN).0)
                    .unwrap_or_default();
                self.open = None;
                self.frames_not_kept += (sent - back.len()) as u64;
                for frame in back {
                    self.frames_not_kept += self.preroll.push(frame) as u64;
                }
            }
        }
    }

    fn close(&mut self, out: &mut Vec<Action>) {
        // An unconfirmed merge at the very end: not a blink (yet).
        if self.open.as_ref().is_some_and(|o| o.end_ms.is_none()) {
            self.retract(out);
        }
        if let Some(o) = self.open.take() {
            if o.times.is_empty() {
                // No frame of it stayed: a pause at its onset cut them all
                // (a smile's rise with no blink on it), or the clip before,
                // capped, kept them. Nothing to list; its number is used
                // again, so the clips listed stay numbered with no gap.
                out.push(Action::Discard { clip: o.clip });
                return;
            }
            out.push(Action::Close {
                clip: o.clip,
                closures: o.closures,
            });
            self.next_clip += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::FrameData;

    fn cfg() -> RecorderConfig {
        RecorderConfig {
            pre_roll_ms: 100.0,
            post_roll_ms: 100.0,
            max_clip_ms: 1000.0,
            detection_latency_ms: 200.0,
            preroll_max_bytes: 1 << 20,
        }
    }

    fn closure(onset_ms: f64, offset_ms: f64) -> Closure {
        Closure {
            onset_ms,
            offset_ms,
            detected_ms: onset_ms + 40.0,
            peak: 100.0,
            score: 1.0,
        }
    }

    /// One input to the recorder in a scripted table.
    enum In {
        /// Frames every 10 ms from .0 to .1 (exclusive).
        Frames(f64, f64),
        Ev(Event),
        Finish,
    }

    /// A compact view of the actions: ("open", clip, t) / ("keep", clip, t) / ...
    fn run(cfg: RecorderConfig, inputs: &[In]) -> Vec<(String, u32, f64)> {
        let mut r = Recorder::new(cfg);
        let mut out = Vec::new();
        for i in inputs {
            match i {
                In::Frames(a, b) => {
                    let mut t = *a;
                    while t < *b {
                        r.on_frame(
                            Frame {
                                t_ms: t,
                                data: FrameData::Jpeg(vec![1; 10].into()),
                            },
                            &mut out,
                        );
                        t += 10.0;
                    }
                }
                In::Ev(e) => r.on_event(e, &mut out),
                In::Finish => r.finish(&mut out),
            }
        }
        out.into_iter()
            .map(|a| match a {
                Action::Open { clip } => ("open".into(), clip, f64::NAN),
                Action::Onset { clip, onset_ms, .. } => ("onset".into(), clip, onset_ms),
                Action::Keep { clip, frame } => ("keep".into(), clip, frame.t_ms),
                Action::Confirm { clip, closure } => ("confirm".into(), clip, closure.offset_ms),
                Action::Trim { clip, after_ms } => ("trim".into(), clip, after_ms),
                Action::Discard { clip } => ("discard".into(), clip, f64::NAN),
                Action::Close { clip, closures } => ("close".into(), clip, closures.len() as f64),
            })
            .collect()
    }

    /// The frames clip `clip` ends up holding, doing what the writer does.
    fn kept(actions: &[(String, u32, f64)], clip: u32) -> Vec<f64> {
        let mut frames = Vec::new();
        for (kind, c, t) in actions.iter().filter(|a| a.1 == clip) {
            match kind.as_str() {
                "open" | "discard" => frames.clear(),
                "keep" => frames.push(*t),
                "trim" => frames.retain(|f| f <= t),
                _ => {}
            }
            let _ = c;
        }
        frames
    }

    #[test]
    fn frames_go_to_disk_before_the_closure_is_confirmed() {
        // A long deliberate closure: its frames must not wait for its end.
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1800.0),
            ],
        );
        assert_eq!(a[0].0, "open");
        assert_eq!(a[1], ("onset".to_string(), 1, 1000.0));
        let frames = kept(&a, 1);
        assert_eq!(frames.first(), Some(&900.0));
        assert_eq!(frames.last(), Some(&1790.0));
        assert!(!a.iter().any(|x| x.0 == "close"));
    }

    #[test]
    fn a_late_decision_cuts_what_came_after_the_window_and_gives_it_back() {
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1400.0),
                // Offset 1150 + post-roll 100: frames 1260..1390 were sent too early.
                In::Ev(Event::Closure(closure(1000.0, 1150.0))),
                In::Frames(1400.0, 1450.0),
                // A second blink at 1300 (window from 1200) merges and takes them back.
                onset(1300.0),
                In::Ev(Event::Closure(closure(1300.0, 1420.0))),
                In::Frames(1450.0, 2500.0),
            ],
        );
        assert!(a.contains(&("trim".to_string(), 1, 1250.0)), "{a:?}");
        let frames = kept(&a, 1);
        assert_eq!(frames.first(), Some(&900.0));
        assert_eq!(frames.last(), Some(&1520.0));
        assert_eq!(
            frames.len(),
            63,
            "every 10 ms frame once, none lost: {frames:?}"
        );
    }

    /// Clips long enough for a smile held as a long closure.
    fn long_clips() -> RecorderConfig {
        RecorderConfig {
            max_clip_ms: 5000.0,
            ..cfg()
        }
    }

    /// A long closure from 1000 whose eye is open from `first_pause` (a
    /// smile held after its first burst, or from its onset if its rise
    /// held no blink), shut again for a blink at 1900 and open from 2000;
    /// the closure ends at 2300.
    fn smile_with_a_blink(first_pause: f64) -> Vec<(String, u32, f64)> {
        run(
            long_clips(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1600.0),
                // Frames after the pause plus the post-roll were sent: cut.
                In::Ev(Event::Pause { t_ms: first_pause }),
                In::Frames(1600.0, 1950.0),
                // From 1900 less the pre-roll: back from the ring.
                In::Ev(Event::Resume {
                    onset_ms: 1900.0,
                    detected_ms: 1940.0,
                }),
                In::Frames(1950.0, 2150.0),
                In::Ev(Event::Pause { t_ms: 2000.0 }),
                In::Frames(2150.0, 2350.0),
                In::Ev(Event::Closure(closure(1000.0, 2300.0))),
                In::Frames(2350.0, 3000.0),
                In::Finish,
            ],
        )
    }

    #[test]
    fn a_smile_inside_a_long_closure_keeps_only_the_blinks_on_it() {
        let a = smile_with_a_blink(1300.0);
        assert!(a.contains(&("trim".to_string(), 1, 1400.0)), "{a:?}");
        // Each pause's cut is followed by the closure's onset again, for
        // the journal: the closure goes on.
        for after in [1400.0, 2100.0] {
            let i = a
                .iter()
                .position(|x| *x == ("trim".to_string(), 1, after))
                .unwrap();
            assert_eq!(a[i + 1], ("onset".to_string(), 1, 1000.0), "{a:?}");
        }
        let frames = kept(&a, 1);
        let want: Vec<f64> = (90..=140)
            .chain(180..=210)
            .map(|k| k as f64 * 10.0)
            .collect();
        assert_eq!(frames, want);
        assert_eq!(a.last(), Some(&("close".to_string(), 1, 1.0)), "{a:?}");
    }

    #[test]
    fn a_blink_on_a_squeezes_hold_cuts_back_to_its_first_burst() {
        // A long closure from 1000, filmed whole as a squeeze until a blink
        // on its hold (from 2100, over at 2300) shows it a smile: the eye
        // was open from 1300. Those frames were sent; they are cut, and the
        // blink's are taken back from the ring, its pre-roll too.
        let a = run(
            long_clips(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 2310.0),
                In::Ev(Event::Pause { t_ms: 1300.0 }),
                In::Ev(Event::Resume {
                    onset_ms: 2100.0,
                    detected_ms: 2300.0,
                }),
                In::Frames(2310.0, 2510.0),
                In::Ev(Event::Pause { t_ms: 2400.0 }),
                In::Frames(2510.0, 2650.0),
                In::Ev(Event::Closure(closure(1000.0, 2600.0))),
                In::Frames(2650.0, 3000.0),
                In::Finish,
            ],
        );
        assert!(a.contains(&("trim".to_string(), 1, 1400.0)), "{a:?}");
        let want: Vec<f64> = (90..=140)
            .chain(200..=250)
            .map(|k| k as f64 * 10.0)
            .collect();
        assert_eq!(kept(&a, 1), want, "{a:?}");
        assert_eq!(a.last(), Some(&("close".to_string(), 1, 1.0)), "{a:?}");
    }

    #[test]
    fn a_smile_whose_rise_held_no_blink_keeps_none_of_it() {
        // The detector says the eye was open from the closure's onset (a
        // smile's rise with no blink on it): none of its frames stay, not
        // even its pre-roll; a blink on the plateau gets its own, with its
        // pre-roll taken back from the ring.
        let a = smile_with_a_blink(1000.0);
        assert!(a.contains(&("trim".to_string(), 1, 899.0)), "{a:?}");
        let want: Vec<f64> = (180..=210).map(|k| k as f64 * 10.0).collect();
        assert_eq!(kept(&a, 1), want);
        // With no blink on the plateau, the clip keeps nothing (the writer
        // lists no clip without frames).
        let a = run(
            long_clips(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1600.0),
                In::Ev(Event::Pause { t_ms: 1000.0 }),
                In::Frames(1600.0, 2350.0),
                In::Ev(Event::Closure(closure(1000.0, 2300.0))),
                In::Frames(2350.0, 3000.0),
                In::Finish,
            ],
        );
        assert!(kept(&a, 1).is_empty(), "{a:?}");
        // A pause at the onset of a closure merged into a clip keeps the
        // frames of the closure before it.
        let a = run(
            long_clips(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1200.0),
                In::Ev(Event::Closure(closure(1000.0, 1150.0))),
                onset(1230.0),
                In::Frames(1200.0, 1800.0),
                In::Ev(Event::Pause { t_ms: 1230.0 }),
                In::Frames(1800.0, 2350.0),
                In::Ev(Event::Closure(closure(1230.0, 2300.0))),
                In::Frames(2350.0, 3000.0),
                In::Finish,
            ],
        );
        let want: Vec<f64> = (90..=125).map(|k| k as f64 * 10.0).collect();
        assert_eq!(kept(&a, 1), want, "{a:?}");
    }

    #[test]
    fn frames_from_before_the_window_that_arrive_late_are_not_kept() {
        // The camera lags the EMG by 500 ms: when the onset at 1000 is
        // announced, the newest frame is from 500, and frames 510..890
        // (before the window's start at 900) are still on their way.
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 510.0),
                onset(1000.0),
                In::Frames(510.0, 1200.0),
                In::Ev(Event::Closure(closure(1000.0, 1100.0))),
                In::Frames(1200.0, 2000.0),
            ],
        );
        let frames = kept(&a, 1);
        assert_eq!(frames.first(), Some(&900.0), "{frames:?}");
        assert_eq!(frames.last(), Some(&1200.0), "{frames:?}");
        assert_eq!(frames.len(), 31, "{frames:?}");
    }

    fn onset_event(t: f64) -> Event {
        Event::Onset {
            onset_ms: t,
            detected_ms: t + 40.0,
        }
    }

    fn onset(t: f64) -> In {
        In::Ev(onset_event(t))
    }

    #[test]
    fn one_blink_keeps_its_window_exactly() {
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1200.0),
                In::Ev(Event::Closure(closure(1000.0, 1200.0))),
                In::Frames(1200.0, 2000.0),
            ],
        );
        assert_eq!(a[0].0, "open");
        let want: Vec<f64> = (90..=130).map(|i| i as f64 * 10.0).collect();
        assert_eq!(kept(&a, 1), want, "frames 900..=1300");
        assert_eq!(a.last().unwrap(), &("close".to_string(), 1, 1.0));
    }

    #[test]
    fn overlapping_windows_merge_into_one_clip() {
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1200.0),
                In::Ev(Event::Closure(closure(1000.0, 1200.0))),
                // The second onset (1350) starts its window at 1250 < end 1300.
                In::Frames(1200.0, 1390.0),
                onset(1350.0),
                In::Frames(1390.0, 1500.0),
                In::Ev(Event::Closure(closure(1350.0, 1500.0))),
                In::Frames(1500.0, 3000.0),
            ],
        );
        let frames = kept(&a, 1);
        assert_eq!(frames.first(), Some(&900.0));
        assert_eq!(frames.last(), Some(&1600.0));
        assert_eq!(frames.len(), 71, "every 10 ms frame once, no gap");
        assert!(kept(&a, 2).is_empty());
        assert!(a.contains(&("close".to_string(), 1, 2.0)));
    }

    #[test]
    fn separate_windows_make_separate_clips() {
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Ev(Event::Closure(closure(1000.0, 1100.0))),
                In::Frames(1040.0, 2040.0),
                onset(2000.0),
                In::Ev(Event::Closure(closure(2000.0, 2100.0))),
                In::Frames(2040.0, 3000.0),
            ],
        );
        assert_eq!(kept(&a, 1).first(), Some(&900.0));
        assert_eq!(kept(&a, 1).last(), Some(&1200.0));
        assert_eq!(kept(&a, 2).first(), Some(&1900.0));
        assert_eq!(kept(&a, 2).last(), Some(&2200.0));
    }

    #[test]
    fn a_retracted_onset_writes_nothing_and_gives_its_frames_back() {
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1100.0),
                In::Ev(Event::Retracted {
                    onset_ms: 1000.0,
                    t_ms: 1100.0,
                }),
                // A real blink right after: its pre-roll reaches back into the
                // frames the false start held.
                In::Frames(1100.0, 1180.0),
                onset(1050.0),
                In::Frames(1180.0, 1200.0),
                In::Ev(Event::Closure(closure(1050.0, 1150.0))),
                In::Frames(1200.0, 2000.0),
                In::Finish,
            ],
        );
        // The false start's clip was deleted before the real blink's opened,
        // under the same number.
        let discard = a.iter().position(|x| x.0 == "discard").unwrap();
        assert_eq!(a[discard].1, 1);
        assert_eq!(
            a.iter()
                .filter(|x| x.0 == "open")
                .map(|x| x.1)
                .collect::<Vec<_>>(),
            [1, 1]
        );
        assert!(a[discard + 1..].iter().any(|x| x.0 == "open"));
        let frames = kept(&a, 1);
        assert_eq!(frames.first(), Some(&950.0));
        assert_eq!(frames.last(), Some(&1250.0));
        assert_eq!(frames.len(), 31, "no frame lost or doubled");
        assert_eq!(a.last().unwrap(), &("close".to_string(), 1, 1.0));
    }

    #[test]
    fn long_closures_are_capped_but_still_listed() {
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 5000.0),
                In::Ev(Event::Closure(closure(1000.0, 5000.0))),
                In::Frames(5000.0, 6000.0),
            ],
        );
        let frames = kept(&a, 1);
        assert_eq!(frames.first(), Some(&900.0));
        assert_eq!(
            frames.last(),
            Some(&1900.0),
            "max_clip_ms after the window start"
        );
        assert!(a.contains(&("close".to_string(), 1, 1.0)));
    }

    #[test]
    fn the_preroll_bounds_what_a_late_decision_can_reach() {
        // Announced 4500 ms after its onset, but the ring holds only the
        // pre-roll, the latency and the longest verdict: 300 + 3700 ms.
        assert_eq!(MAX_VERDICT_DELAY_MS, 3700.0);
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 5500.0),
                onset(1000.0),
                In::Ev(Event::Closure(closure(1000.0, 5400.0))),
                In::Frames(5500.0, 6000.0),
            ],
        );
        assert_eq!(
            kept(&a, 1).first(),
            Some(&1490.0),
            "the newest frame was 5490"
        );
    }

    #[test]
    fn a_tentative_closure_stops_the_clip_and_waits_for_its_verdict() {
        for (verdict, stands) in [
            (Event::Closure(closure(1000.0, 1200.0)), true),
            (
                Event::Retracted {
                    onset_ms: 1000.0,
                    t_ms: 2500.0,
                },
                false,
            ),
        ] {
            let a = run(
                cfg(),
                &[
                    In::Frames(0.0, 1040.0),
                    onset(1000.0),
                    In::Frames(1040.0, 1300.0),
                    In::Ev(Event::Tentative(closure(1000.0, 1200.0))),
                    // Far past the window's end and the linger: still open.
                    In::Frames(1300.0, 2500.0),
                    In::Ev(verdict),
                    In::Frames(2500.0, 2600.0),
                ],
            );
            let frames = kept(&a, 1);
            let confirmed = a.iter().any(|x| x.0 == "confirm");
            let closed_at = a.iter().position(|x| x.0 == "close");
            let discarded = a.iter().any(|x| x.0 == "discard");
            if stands {
                assert_eq!(frames.first(), Some(&900.0), "{a:?}");
                assert_eq!(frames.last(), Some(&1300.0), "no frame after the window");
                assert!(confirmed && !discarded, "{a:?}");
                assert!(
                    closed_at.is_some_and(|i| i > a.iter().position(|x| x.0 == "confirm").unwrap()),
                    "closed only after the verdict: {a:?}"
                );
            } else {
                assert!(frames.is_empty(), "{a:?}");
                assert!(discarded && !confirmed && closed_at.is_none(), "{a:?}");
            }
        }
    }

    #[test]
    fn a_first_chew_taken_back_gives_its_frames_to_the_blink_after_it() {
        // A tentative closure at 1000 ms (window 900-1300) is taken back at
        // 2500 ms; the events of a blink at 1250 ms waited behind it. The
        // blink's window (1150-1500) starts inside the discarded clip: the
        // frames of that clip go back to the ring, and the blink has them.
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1300.0),
                In::Ev(Event::Tentative(closure(1000.0, 1200.0))),
                In::Frames(1300.0, 2500.0),
                In::Ev(Event::Retracted {
                    onset_ms: 1000.0,
                    t_ms: 2500.0,
                }),
                onset(1250.0),
                In::Ev(Event::Closure(closure(1250.0, 1400.0))),
                In::Frames(2500.0, 2600.0),
                In::Finish,
            ],
        );
        assert!(a.iter().any(|x| x.0 == "discard"), "{a:?}");
        let frames = kept(&a, 1);
        let expected: Vec<f64> = (115..=150).map(|i| f64::from(i) * 10.0).collect();
        assert_eq!(frames, expected, "{a:?}");
    }

    #[test]
    fn a_tentative_closure_and_the_ring_share_the_byte_budget() {
        // Frames of 10 bytes, a budget of 20 frames. The clip's 40 frames
        // (900-1290) are held for its verdict while the ring fills after
        // its window: together they stay within the budget, the clip's
        // oldest going first.
        let cfg = RecorderConfig {
            preroll_max_bytes: 200,
            ..cfg()
        };
        let mut r = Recorder::new(cfg);
        let mut out = Vec::new();
        let mut most = 0;
        let mut frames = |r: &mut Recorder, out: &mut Vec<Action>, from: u32, to: u32| {
            for i in from..to {
                let frame = Frame {
                    t_ms: f64::from(i) * 10.0,
                    data: FrameData::Jpeg(vec![1; 10].into()),
                };
                r.on_frame(frame, out);
                most = most.max(r.held_bytes());
            }
        };
        frames(&mut r, &mut out, 0, 104);
        r.on_event(&onset_event(1000.0), &mut out);
        frames(&mut r, &mut out, 104, 130);
        r.on_event(&Event::Tentative(closure(1000.0, 1200.0)), &mut out);
        frames(&mut r, &mut out, 130, 140);
        assert_eq!(r.held_bytes(), 200, "the newest 20 frames, both rings");
        frames(&mut r, &mut out, 140, 250);
        assert_eq!(most, 200, "never more than the budget");
        // Taken back: the ring still holds its newest frames, so a blink
        // announced now has its pre-roll (2390-2490).
        let retracted = Event::Retracted {
            onset_ms: 1000.0,
            t_ms: 2500.0,
        };
        r.on_event(&retracted, &mut out);
        out.clear();
        r.on_event(&onset_event(2490.0), &mut out);
        let first = out.iter().find_map(|a| match a {
            Action::Keep { frame, .. } => Some(frame.t_ms),
            _ => None,
        });
        assert_eq!(first, Some(2390.0), "{out:?}");
    }

    #[test]
    fn a_clip_left_with_no_frame_is_discarded_and_its_number_used_again() {
        // A smile's rise with no blink on it: paused at its onset, so none
        // of its frames stay. The writer would list no such clip; the
        // recorder discards it, so the next clip is number 1, not 2.
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1500.0),
                In::Ev(Event::Pause { t_ms: 1000.0 }),
                In::Frames(1500.0, 1900.0),
                In::Ev(Event::Closure(closure(1000.0, 1900.0))),
                In::Frames(1900.0, 3040.0),
                onset(3000.0),
                In::Frames(3040.0, 3200.0),
                In::Ev(Event::Closure(closure(3000.0, 3200.0))),
                In::Frames(3200.0, 3700.0),
                In::Finish,
            ],
        );
        let opens: Vec<u32> = a.iter().filter(|x| x.0 == "open").map(|x| x.1).collect();
        let closes: Vec<u32> = a.iter().filter(|x| x.0 == "close").map(|x| x.1).collect();
        assert_eq!(opens, [1, 1], "{a:?}");
        assert_eq!(closes, [1], "{a:?}");
        assert!(a.iter().any(|x| x.0 == "discard"), "{a:?}");
        assert_eq!(kept(&a, 1).first(), Some(&2900.0), "{a:?}");
    }

    #[test]
    fn the_frames_left_in_the_ring_at_the_end_count_as_not_kept() {
        let mut r = Recorder::new(cfg());
        let mut out = Vec::new();
        for i in 0..50 {
            r.on_frame(
                Frame {
                    t_ms: f64::from(i) * 10.0,
                    data: FrameData::Jpeg(vec![1; 10].into()),
                },
                &mut out,
            );
        }
        r.finish(&mut out);
        assert!(out.is_empty());
        assert_eq!(r.frames_not_kept, 50);
    }

    #[test]
    fn a_blink_announced_after_a_verdict_still_has_its_preroll() {
        // The events of a blink at 2000 ms waited behind the verdict on the
        // closure at 1000 ms, given at 3400 ms.
        let a = run(
            cfg(),
            &[
                In::Frames(0.0, 1040.0),
                onset(1000.0),
                In::Frames(1040.0, 1300.0),
                In::Ev(Event::Tentative(closure(1000.0, 1200.0))),
                In::Frames(1300.0, 3400.0),
                In::Ev(Event::Closure(closure(1000.0, 1200.0))),
                onset(2000.0),
                In::Ev(Event::Closure(closure(2000.0, 2200.0))),
                In::Frames(3400.0, 3500.0),
            ],
        );
        // Windows: offset plus 100 ms of post-roll.
        assert_eq!(kept(&a, 1).last(), Some(&1300.0));
        let second = kept(&a, 2);
        assert_eq!(second.first(), Some(&1900.0), "its pre-roll: {a:?}");
        assert_eq!(second.last(), Some(&2300.0));
    }

    #[test]
    fn finishing_closes_an_open_window_with_a_closure_only() {
        let a = run(cfg(), &[In::Frames(0.0, 1040.0), onset(1000.0), In::Finish]);
        assert!(
            kept(&a, 1).is_empty(),
            "an unconfirmed closure leaves nothing: {a:?}"
        );
        assert_eq!(a.last().unwrap().0, "discard");
        let mut r = Recorder::new(cfg());
        let mut out = Vec::new();
        r.set_paused(true, &mut out);
        r.on_event(
            &Event::Onset {
                onset_ms: 10.0,
                detected_ms: 20.0,
            },
            &mut out,
        );
        assert!(out.is_empty());
        assert_eq!(r.onsets_skipped, 1);
    }
}

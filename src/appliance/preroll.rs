//! The pre-roll ring: the last moments of camera frames, bounded by time and
//! by bytes, so a closure detected late still has the frames from before it.
//!
//! Frames are moved in and out, never copied; the oldest go first.

use std::collections::VecDeque;

use crate::devices::Frame;

/// See the module docs.
#[derive(Debug)]
pub struct PreRoll {
    max_ms: f64,
    max_bytes: usize,
    frames: VecDeque<Frame>,
    bytes: usize,
}

impl PreRoll {
    /// Holds frames no older than `max_ms` before the newest, within `max_bytes`.
    pub fn new(max_ms: f64, max_bytes: usize) -> Self {
        PreRoll {
            max_ms,
            max_bytes,
            frames: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Adds a frame, in time order; returns how many old frames fell out.
    /// A frame is usually the newest. One older than the newest held (a
    /// frame a clip gives back, cut after a late decision while newer ones
    /// already came here) goes in its place, so the ring stays in time
    /// order and a clip taking from it keeps its frames in capture order.
    pub fn push(&mut self, frame: Frame) -> usize {
        self.bytes += frame.data.len();
        match self.frames.back() {
            Some(last) if frame.t_ms < last.t_ms => {
                let i = self.frames.partition_point(|f| f.t_ms <= frame.t_ms);
                self.frames.insert(i, frame);
            }
            _ => self.frames.push_back(frame),
        }
        let newest = self.frames.back().map_or(f64::NEG_INFINITY, |f| f.t_ms);
        let mut dropped = 0;
        while let Some(old) = self.frames.front() {
            let too_old = old.t_ms < newest - self.max_ms;
            // Always keep the newest frame, even if it alone is over budget.
            let too_big = self.bytes > self.max_bytes && self.frames.len() > 1;
            if !(too_old || too_big) {
                break;
            }
            if let Some(old) = self.frames.pop_front() {
                self.bytes -= old.data.len();
                dropped += 1;
            }
        }
        dropped
    }

    /// Drops the oldest frames until at most `max_bytes` are held (none
    /// kept for being the newest); returns how many went.
    pub fn trim_to_bytes(&mut self, max_bytes: usize) -> usize {
        let mut dropped = 0;
        while self.bytes > max_bytes {
            let Some(old) = self.frames.pop_front() else {
                break;
            };
            self.bytes -= old.data.len();
            dropped += 1;
        }
        dropped
    }

    /// Takes every frame out: those from `from_ms` on are returned in time
    /// order, older ones are dropped (their count is the second value).
    pub fn take_from(&mut self, from_ms: f64) -> (Vec<Frame>, usize) {
        self.bytes = 0;
        let all = std::mem::take(&mut self.frames);
        let before = all.len();
        let kept: Vec<Frame> = all.into_iter().filter(|f| f.t_ms >= from_ms).collect();
        let dropped = before - kept.len();
        (kept, dropped)
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::FrameData;

    fn frame(t_ms: f64, bytes: usize) -> Frame {
        Frame {
            t_ms,
            data: FrameData::Jpeg(vec![0; bytes].into()),
        }
    }

    #[test]
    fn bounded_by_time() {
        let mut p = PreRoll::new(100.0, 1 << 20);
        // (time pushed, frames dropped by that push, frames held after it)
        let table = [
            (0.0, 0, 1),
            (50.0, 0, 2),
            (100.0, 0, 3),
            (101.0, 1, 3),
            (250.0, 3, 1),
        ];
        for (t, dropped, held) in table {
            assert_eq!(p.push(frame(t, 10)), dropped, "push at {t}");
            assert_eq!(p.len(), held, "after push at {t}");
        }
    }

    #[test]
    fn bounded_by_bytes() {
        let mut p = PreRoll::new(1e9, 250);
        let table = [(0.0, 0, 100), (1.0, 0, 200), (2.0, 1, 200), (3.0, 1, 200)];
        for (t, dropped, bytes) in table {
            assert_eq!(p.push(frame(t, 100)), dropped, "push at {t}");
            assert_eq!(p.bytes(), bytes, "after push at {t}");
        }
        // One frame over the whole budget is still held: it is the newest.
        assert_eq!(p.push(frame(4.0, 1000)), 2);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn trim_to_bytes_drops_the_oldest() {
        let mut p = PreRoll::new(1e9, 1 << 20);
        for t in [0.0, 1.0, 2.0] {
            p.push(frame(t, 100));
        }
        // (budget, frames dropped, oldest held after)
        let table = [
            (300, 0, Some(0.0)),
            (250, 1, Some(1.0)),
            (100, 1, Some(2.0)),
            (0, 1, None),
        ];
        for (budget, dropped, oldest) in table {
            assert_eq!(p.trim_to_bytes(budget), dropped, "budget {budget}");
            assert_eq!(p.frames.front().map(|f| f.t_ms), oldest, "budget {budget}");
            assert!(p.bytes() <= budget);
        }
    }

    #[test]
    fn an_older_frame_goes_in_its_place() {
        let mut p = PreRoll::new(100.0, 1 << 20);
        for t in [0.0, 40.0, 120.0] {
            p.push(frame(t, 5));
        }
        // 0 fell out at 120; 80 goes between 40 and 120; 10 is too old.
        assert_eq!(p.push(frame(80.0, 5)), 0);
        assert_eq!(p.push(frame(10.0, 5)), 1);
        assert_eq!(p.bytes(), 15);
        let (kept, dropped) = p.take_from(f64::MIN);
        assert_eq!(
            kept.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
            vec![40.0, 80.0, 120.0]
        );
        assert_eq!(dropped, 0);
    }

    #[test]
    fn take_from_moves_the_window_out() {
        let mut p = PreRoll::new(1000.0, 1 << 20);
        for t in [0.0, 33.0, 66.0, 100.0] {
            p.push(frame(t, 5));
        }
        let (kept, dropped) = p.take_from(40.0);
        assert_eq!(
            kept.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
            vec![66.0, 100.0]
        );
        assert_eq!(dropped, 2);
        assert!(p.is_empty());
        assert_eq!(p.bytes(), 0);
    }
}

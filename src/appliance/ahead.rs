//! Virtual mode's writer, with kept frames compressed ahead on other cores.
//!
//! In virtual mode the writer runs on the simulation's own thread, so that
//! the same inputs give the same session, byte for byte. Most of a raw
//! session's time goes to the JPEG encoder (85 % at 640x480, 30 fps, 1 s
//! pre-roll), and compressing a frame is a pure function of the frame. So
//! kept frames are compressed on worker threads while the simulation goes
//! on, and the writer still takes every command in order, a compressed
//! frame as the camera JPEG it now is (the same bytes it would have made).
//!
//! What the writer applies, and when, depends only on the order of the
//! commands, never on how fast the workers are: the session stays
//! deterministic. It waits for the oldest frame once more than [`AHEAD`]
//! frames are queued, and for everything before a tick of session time
//! (`WriterCmd::Tick`, every 100 ms) once the next tick is queued, so its
//! state (a full disk, and whether space came back, which only a tick
//! finds out) is at most two ticks late, as the threaded writer's may be.
//! Without that, a session paused by a full disk queued no more frames,
//! and the ticks that would have found space again waited behind the last
//! ones for ever.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{unbounded, Receiver, Sender};

use crate::devices::{Frame, FrameData};
use crate::session::writer::{encode, SessionWriter, WriterCmd};

/// Frames queued for compression before the writer waits for the oldest:
/// a pre-roll's worth of frames kept at once keeps the workers busy while
/// the simulation goes on, and no more raw frames are held than this.
pub const AHEAD: usize = 8;

/// Ticks of session time (`WriterCmd::Tick`, every 100 ms) queued before
/// the writer waits for what came before the oldest.
const TICKS_AHEAD: usize = 1;

/// Commands queued before the writer takes them all, ticks or not (a
/// bound on memory whatever the commands are).
const MAX_QUEUED: usize = 256;

/// See the module docs.
pub struct Ahead {
    jobs: Option<Sender<(u64, Frame)>>,
    done: Receiver<(u64, Frame)>,
    workers: Vec<JoinHandle<()>>,
    /// Commands in order; a frame by its job number, with the frame itself
    /// (shared, so cheap) in case the workers are gone.
    queue: VecDeque<Queued>,
    frames_queued: usize,
    ticks_queued: usize,
    /// Compressed frames not applied yet, by job number.
    finished: HashMap<u64, Frame>,
    next: u64,
}

enum Queued {
    Cmd(WriterCmd),
    Frame(u64, Frame),
}

impl Ahead {
    /// `workers` threads compressing at `quality`; `None` for fewer than
    /// one (the writer then compresses each frame itself).
    pub fn new(workers: usize, quality: u8) -> Option<Self> {
        if workers == 0 {
            return None;
        }
        let (jobs, job_rx) = unbounded::<(u64, Frame)>();
        let (done_tx, done) = unbounded();
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let (rx, tx) = (job_rx.clone(), done_tx.clone());
            let spawned = thread::Builder::new()
                .name(format!("encoder-{i}"))
                .spawn(move || {
                    for (id, frame) in rx {
                        // A worker that died would leave the writer
                        // waiting for its frame for ever: a panic gives the
                        // frame back as it was (the writer then meets it).
                        let kept = frame.clone();
                        let out = std::panic::catch_unwind(move || compressed(frame, quality))
                            .unwrap_or(kept);
                        if tx.send((id, out)).is_err() {
                            break;
                        }
                    }
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => log::warn!("no encoder thread ({e}): frames compressed by the writer"),
            }
        }
        if handles.is_empty() {
            return None;
        }
        Some(Ahead {
            jobs: Some(jobs),
            done,
            workers: handles,
            queue: VecDeque::new(),
            frames_queued: 0,
            ticks_queued: 0,
            finished: HashMap::new(),
            next: 0,
        })
    }

    /// Queues `cmd` for `writer`, and applies what the order allows.
    pub fn send(&mut self, writer: &mut SessionWriter, cmd: WriterCmd) {
        match cmd {
            WriterCmd::Frame(frame) if needs_encoding(&frame.data) => {
                let id = self.next;
                self.next += 1;
                if let Some(jobs) = &self.jobs {
                    if jobs.send((id, frame.clone())).is_err() {
                        self.jobs = None;
                    }
                }
                self.queue.push_back(Queued::Frame(id, frame));
                self.frames_queued += 1;
            }
            cmd => {
                if matches!(cmd, WriterCmd::Tick { .. }) {
                    self.ticks_queued += 1;
                }
                self.queue.push_back(Queued::Cmd(cmd));
                if self.queue.len() > MAX_QUEUED {
                    self.apply(writer, 0);
                    return;
                }
            }
        }
        self.apply(writer, AHEAD);
    }

    /// Applies every queued command (at the session's end).
    pub fn flush(&mut self, writer: &mut SessionWriter) {
        self.apply(writer, 0);
    }

    /// Applies commands from the front: every command up to the first
    /// frame, and frames (waiting for them) while more than `keep` are
    /// queued or more than `TICKS_AHEAD` ticks wait behind them.
    fn apply(&mut self, writer: &mut SessionWriter, keep: usize) {
        loop {
            match self.queue.front() {
                None => return,
                Some(Queued::Frame(..))
                    if self.frames_queued <= keep && self.ticks_queued <= TICKS_AHEAD =>
                {
                    return
                }
                _ => {}
            }
            match self.queue.pop_front() {
                Some(Queued::Cmd(cmd)) => {
                    if matches!(cmd, WriterCmd::Tick { .. }) {
                        self.ticks_queued -= 1;
                    }
                    writer.apply(cmd)
                }
                Some(Queued::Frame(id, frame)) => {
                    self.frames_queued -= 1;
                    let frame = self.wait(id).unwrap_or(frame);
                    writer.apply(WriterCmd::Frame(frame));
                }
                None => return,
            }
        }
    }

    /// Job `id`'s compressed frame; `None` if the workers are gone (the
    /// writer then compresses the frame itself).
    fn wait(&mut self, id: u64) -> Option<Frame> {
        self.jobs.as_ref()?;
        loop {
            if let Some(f) = self.finished.remove(&id) {
                return Some(f);
            }
            match self.done.recv() {
                Ok((i, f)) => {
                    self.finished.insert(i, f);
                }
                Err(_) => {
                    log::warn!("the encoder threads stopped: frames compressed by the writer");
                    self.jobs = None;
                    return None;
                }
            }
        }
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.jobs = None;
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
    }
}

/// Frames the writer would compress (or draw): raw and simulated ones.
fn needs_encoding(data: &FrameData) -> bool {
    matches!(data, FrameData::Raw { .. } | FrameData::Synthetic { .. })
}

/// The frame as the JPEG the writer would make of it; the frame as it was
/// if that fails (the writer then meets the same error and says so).
fn compressed(frame: Frame, quality: u8) -> Frame {
    let jpeg = match encode(frame.t_ms, &frame.data, quality) {
        Ok(j) => j.into_owned(),
        Err(_) => return frame,
    };
    Frame {
        t_ms: frame.t_ms,
        data: FrameData::Jpeg(Arc::new(jpeg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::Closure;
    use crate::devices::sim::SimCamera;
    use crate::devices::{Camera, RawFormat};
    use crate::session::storage::DiskStorage;
    use crate::session::writer::{SessionInfo, SessionStats};
    use std::path::Path;

    fn writer(dir: &Path) -> SessionWriter {
        SessionWriter::create(
            Arc::new(DiskStorage),
            dir,
            "2026-01-01T00-00-00",
            SessionInfo::default(),
        )
        .unwrap()
    }

    fn closure(onset_ms: f64, offset_ms: f64) -> Closure {
        Closure {
            onset_ms,
            offset_ms,
            detected_ms: onset_ms + 40.0,
            peak: 300.0,
            score: 0.9,
        }
    }

    /// A session's worth of commands: clips kept, trimmed and taken back,
    /// raw frames from the simulated camera, simulated JPEG ones, and a raw
    /// frame too short for its size (the writer skips it).
    fn commands() -> Vec<WriterCmd> {
        let mut raw = SimCamera::new(64, 48, 30.0, true);
        let mut frames = std::iter::from_fn(move || raw.next_frame(f64::MAX).unwrap());
        let mut cmds = Vec::new();
        let mut clip = |cmds: &mut Vec<WriterCmd>, id: u32, n: usize, end: WriterCmd| {
            cmds.push(WriterCmd::Open { clip: id });
            for k in 0..n {
                let f = frames.next().unwrap();
                cmds.push(WriterCmd::Sample {
                    t_ms: f.t_ms,
                    emg: 1000 + k as i32,
                    state: "closed",
                });
                cmds.push(WriterCmd::Frame(f));
            }
            cmds.push(end);
        };
        clip(&mut cmds, 1, 20, WriterCmd::Trim { after_ms: 400.0 });
        cmds.push(WriterCmd::Close {
            clip: 1,
            closures: vec![closure(100.0, 380.0)],
        });
        clip(&mut cmds, 2, 12, WriterCmd::Discard { clip: 2 });
        cmds.push(WriterCmd::Tick {
            t_ms: 1100.0,
            stats: Box::new(SessionStats::default()),
        });
        clip(&mut cmds, 3, 3, WriterCmd::Confirm(closure(1200.0, 1400.0)));
        for t in [1300.0, 1333.0] {
            cmds.push(WriterCmd::Frame(Frame {
                t_ms: t,
                data: FrameData::Synthetic {
                    width: 64,
                    height: 48,
                    approx_bytes: 1000,
                },
            }));
        }
        cmds.push(WriterCmd::Frame(Frame {
            t_ms: 1366.0,
            data: FrameData::Raw {
                format: RawFormat::Yuyv,
                width: 64,
                height: 48,
                data: Arc::new(vec![128; 100]),
            },
        }));
        cmds.push(WriterCmd::Close {
            clip: 3,
            closures: vec![closure(1200.0, 1400.0)],
        });
        cmds
    }

    /// Every file under `dir`, by its path below it.
    fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let name = p.strip_prefix(dir).unwrap().display().to_string();
                    out.push((name, std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn frames_compressed_ahead_leave_the_same_session_as_the_writer_alone() {
        let quality = SessionInfo::default().config.recording.jpeg_quality;
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut alone = writer(a.path());
        for cmd in commands() {
            alone.apply(cmd);
        }
        alone.finish(1500.0, SessionStats::default()).unwrap();

        let mut w = writer(b.path());
        let mut ahead = Ahead::new(2, quality).unwrap();
        let mut most = 0;
        for cmd in commands() {
            ahead.send(&mut w, cmd);
            most = most.max(ahead.frames_queued);
        }
        // Frames waited ahead of the writer, never more than AHEAD.
        assert_eq!(most, AHEAD);
        ahead.flush(&mut w);
        assert!(ahead.queue.is_empty());
        w.finish(1500.0, SessionStats::default()).unwrap();

        let (fa, fb) = (files(a.path()), files(b.path()));
        assert!(
            fa.iter().any(|(n, d)| n.contains("clips") && !d.is_empty()),
            "clips written: {:?}",
            fa.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
        assert_eq!(
            fa.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            fb.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
        for ((name, x), (_, y)) in fa.iter().zip(&fb) {
            assert!(x == y, "{name} differs");
        }
    }

    #[test]
    fn a_tick_of_session_time_lets_the_writer_catch_up() {
        // A session paused by a full disk queues no more frames: the ticks
        // (which find space again) must not wait behind the last ones.
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        let mut ahead = Ahead::new(2, 85).unwrap();
        let mut cam = SimCamera::new(64, 48, 30.0, true);
        ahead.send(&mut w, WriterCmd::Open { clip: 1 });
        for _ in 0..3 {
            let f = cam.next_frame(f64::MAX).unwrap().unwrap();
            ahead.send(&mut w, WriterCmd::Frame(f));
        }
        assert_eq!((ahead.frames_queued, ahead.queue.len()), (3, 3));
        let tick = |t_ms| WriterCmd::Tick {
            t_ms,
            stats: Box::new(SessionStats::default()),
        };
        ahead.send(&mut w, tick(100.0));
        assert_eq!((ahead.frames_queued, ahead.queue.len()), (3, 4));
        // The next tick: everything up to the first one is written (and
        // the second, with no frame before it).
        ahead.send(&mut w, tick(200.0));
        assert_eq!((ahead.frames_queued, ahead.queue.len()), (0, 0));
    }

    #[test]
    fn no_workers_means_no_pipeline() {
        assert!(Ahead::new(0, 85).is_none());
    }
}

//! A power cut at any moment of a session, as a property test.
//!
//! A simulated session runs on a storage that logs every file operation the
//! writer makes (appends, syncs, cuts, atomic replacements, removals). A
//! power cut after operation `k` is then rebuilt in a fresh folder: each file
//! holds what was synced by then, plus some part of what was appended after
//! (the page cache reaches the disk in order, but not necessarily all of
//! it); replacements and removals done by then stand. Then, as at the next
//! start, `repair_all`, and the checks:
//!
//! - repair succeeds, and the film's reader reads the session with no
//!   warning;
//! - every clip `blinks.csv` lists holds as many whole JPEG frames as its
//!   row says, and `frames.csv` lists each of them;
//! - nothing synced is lost: every row of `emg.csv`, `frames.csv` and
//!   `blinks.csv` that was synced before the cut is still there.
//!
//! `tests/appliance_kill.rs` kills real processes (the page cache survives
//! a kill); this one cuts the power on paper, at many more moments.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use augenblick::session::storage::{AppendFile, Storage, UnsyncedDiskStorage};
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Dir(PathBuf),
    /// Opened for appending (created if new).
    Open(PathBuf),
    Append(PathBuf, Vec<u8>),
    Sync(PathBuf),
    Truncate(PathBuf, u64),
    Atomic(PathBuf, Vec<u8>),
    Remove(PathBuf),
}

type Log = Arc<Mutex<Vec<Op>>>;

/// The disk (unsynced, as simulations use it), with every operation logged.
struct LoggedStorage {
    ops: Log,
}

struct LoggedFile {
    inner: Box<dyn AppendFile>,
    path: PathBuf,
    ops: Log,
}

impl AppendFile for LoggedFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.inner.append(data)?;
        let op = Op::Append(self.path.clone(), data.to_vec());
        self.ops.lock().unwrap().push(op);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.inner.sync()?;
        self.ops.lock().unwrap().push(Op::Sync(self.path.clone()));
        Ok(())
    }

    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.inner.truncate(len)?;
        let op = Op::Truncate(self.path.clone(), len);
        self.ops.lock().unwrap().push(op);
        Ok(())
    }
}

impl Storage for LoggedStorage {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        UnsyncedDiskStorage.create_dir_all(path)?;
        self.ops.lock().unwrap().push(Op::Dir(path.to_path_buf()));
        Ok(())
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn AppendFile>> {
        let inner = UnsyncedDiskStorage.open_append(path)?;
        self.ops.lock().unwrap().push(Op::Open(path.to_path_buf()));
        Ok(Box::new(LoggedFile {
            inner,
            path: path.to_path_buf(),
            ops: self.ops.clone(),
        }))
    }

    fn write_atomic(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        UnsyncedDiskStorage.write_atomic(path, data)?;
        let op = Op::Atomic(path.to_path_buf(), data.to_vec());
        self.ops.lock().unwrap().push(op);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        UnsyncedDiskStorage.remove_file(path)?;
        self.ops
            .lock()
            .unwrap()
            .push(Op::Remove(path.to_path_buf()));
        Ok(())
    }
}

#[derive(Debug, Default, Clone)]
struct FileState {
    synced: Vec<u8>,
    written: Vec<u8>,
}

/// The files as a power cut after `ops[..k]` leaves them: what was synced,
/// plus the first `share` of what was appended since (per file, a share
/// drawn from `seed`).
fn at_cut(ops: &[Op], seed: u64) -> (BTreeSet<PathBuf>, BTreeMap<PathBuf, Vec<u8>>) {
    let mut dirs = BTreeSet::new();
    let mut files: BTreeMap<PathBuf, FileState> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Dir(p) => {
                dirs.insert(p.clone());
            }
            Op::Open(p) => {
                files.entry(p.clone()).or_default();
            }
            Op::Append(p, d) => files.entry(p.clone()).or_default().written.extend(d),
            Op::Sync(p) => {
                let f = files.entry(p.clone()).or_default();
                f.synced = f.written.clone();
            }
            Op::Truncate(p, len) => {
                let f = files.entry(p.clone()).or_default();
                f.written.truncate(*len as usize);
                f.synced.truncate(*len as usize);
            }
            Op::Atomic(p, d) => {
                files.insert(
                    p.clone(),
                    FileState {
                        synced: d.clone(),
                        written: d.clone(),
                    },
                );
            }
            Op::Remove(p) => {
                files.remove(p);
            }
        }
    }
    let mut out = BTreeMap::new();
    for (i, (p, f)) in files.into_iter().enumerate() {
        let unsynced = &f.written[f.synced.len().min(f.written.len())..];
        // A share of the unsynced bytes, different for each file.
        let mix = seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(i as u32 * 7 + 1);
        let share = (mix % 1001) as f64 / 1000.0;
        let n = (unsynced.len() as f64 * share) as usize;
        let mut bytes = f.synced.clone();
        bytes.truncate(f.written.len());
        bytes.extend_from_slice(&unsynced[..n]);
        out.insert(p, bytes);
    }
    (dirs, out)
}

/// The complete lines of `bytes` (all but a torn last one).
fn whole_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    if lines.last().is_some_and(|l| !l.ends_with('\n')) {
        lines.pop();
    }
    lines
}

struct Recorded {
    root: PathBuf,
    ops: Vec<Op>,
    _dir: tempfile::TempDir,
}

fn record_session(scene: &str, seed: u64) -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let (samples, _) = synth_trace(scene, seed, 1.0);
    let ops: Log = Arc::default();
    let mut sim = Sim::new(samples, dir.path());
    sim.storage = Arc::new(LoggedStorage { ops: ops.clone() });
    let _ = sim.run();
    let ops = ops.lock().unwrap().clone();
    Recorded {
        root: dir.path().to_path_buf(),
        ops,
        _dir: dir,
    }
}

fn check_cut(rec: &Recorded, k: usize, seed: u64) -> Result<(), TestCaseError> {
    let ops = &rec.ops[..k];
    let (dirs, files) = at_cut(ops, seed);
    let cut = tempfile::tempdir().unwrap();
    let moved = |p: &Path| cut.path().join(p.strip_prefix(&rec.root).unwrap());
    for d in &dirs {
        std::fs::create_dir_all(moved(d)).unwrap();
    }
    for (p, bytes) in &files {
        let to = moved(p);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, bytes).unwrap();
    }
    // What was synced by the cut, per CSV file name.
    let (_, synced) = at_cut(ops, 0);
    let synced_rows = |name: &str| -> Vec<String> {
        synced
            .iter()
            .find(|(p, _)| p.file_name().is_some_and(|n| n == name))
            .map(|(_, b)| whole_lines(b))
            .unwrap_or_default()
    };

    let reps = augenblick::session::repair::repair_all(cut.path())
        .map_err(|e| TestCaseError::fail(format!("repair after op {k}: {e}")))?;
    if let Some((dir, e)) = reps.failed.first() {
        return Err(TestCaseError::fail(format!(
            "repair after op {k}: {}: {e}",
            dir.display()
        )));
    }
    let sessions = session_dirs(cut.path());
    prop_assert!(sessions.len() <= 1);
    let Some(s) = sessions.first() else {
        // The power went before the session's folder was made.
        return Ok(());
    };
    let read = augenblick::session::read::read_session(s)
        .map_err(|e| TestCaseError::fail(format!("read after op {k}: {e}")))?;
    prop_assert!(
        read.warnings.is_empty(),
        "after op {} of {}: {:?}",
        k,
        rec.ops.len(),
        read.warnings
    );
    let blinks = blinks(s);
    let frames = frames(s);
    for b in &blinks {
        let jpegs = clip_frames(s, b.clip);
        prop_assert_eq!(jpegs.len(), b.frames, "clip {} after op {}", b.clip, k);
        let listed = frames.iter().filter(|f| f.clip == b.clip).count();
        prop_assert_eq!(
            listed,
            b.frames,
            "frames.csv for clip {} after op {}",
            b.clip,
            k
        );
    }
    for name in ["emg.csv", "frames.csv", "blinks.csv"] {
        let now: BTreeSet<String> = whole_lines(&std::fs::read(s.join(name)).unwrap())
            .into_iter()
            .collect();
        for row in synced_rows(name) {
            prop_assert!(
                now.contains(&row),
                "{}: the synced row {:?} is gone after a cut at op {}",
                name,
                row,
                k
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_power_cut_at_any_moment_loses_nothing_synced(
        scene in prop::sample::select(vec!["calm", "talking", "chewing", "smiling", "long_closures", "pad_off"]),
        seed in 0u64..500,
        cuts in prop::collection::vec((0.0..1.0f64, any::<u64>()), 8),
    ) {
        let rec = record_session(scene, seed);
        prop_assert!(rec.ops.len() > 100, "{} operations", rec.ops.len());
        for (at, tear) in cuts {
            let k = (at * rec.ops.len() as f64) as usize;
            check_cut(&rec, k, tear)?;
        }
    }
}

//! Repairing sessions a power cut interrupted, at the next start.
//!
//! A session whose `session.toml` does not say `closed = true` did not end
//! cleanly. Its clip files lose a torn last frame ([`mjpeg::split`]), its
//! CSV files a half-written last row, and its `session.toml` is marked
//! `interrupted = true, closed = true`, with `duration_ms` from the last
//! sample in `emg.csv` if that is later than what it recorded.
//!
//! A clip that was open (it still has its journal) gets the
//! rows it lacks (see [`crate::session::journal`]): a `frames.csv` row per frame both journalled and complete
//! in the clip file (the clip is cut to those), and a `blinks.csv` row per
//! closure, including the one going on when the power went (`peak` and
//! `score` NaN, ending at its last frame). Its number is listed in
//! `session.toml` as `recovered_clips`. The journal is then deleted.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::session::journal::ClipJournal;
use crate::session::mjpeg::{self, Tail};
use crate::session::storage::{truncate_file, DiskStorage, Storage};
use crate::session::writer::blink_row;
use crate::session::{clip_file_name, clip_journal_name, BLINKS_HEADER, EMG_HEADER, FRAMES_HEADER};

/// What a repair did to one session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Repaired {
    pub dir: PathBuf,
    /// Bytes cut from torn tails, over all files.
    pub bytes_cut: u64,
    /// Files that had a torn tail.
    pub files_cut: Vec<String>,
    /// Clips that were open, whose rows were rebuilt from their journal.
    pub clips_recovered: Vec<u32>,
    /// CSV files that were empty or missing (the power went as the session
    /// began) and now hold their header.
    pub headers_written: Vec<String>,
}

/// What [`repair_all`] did: the sessions it repaired, and those it could
/// not (each with why), left as they were.
#[derive(Debug, Default)]
pub struct Repairs {
    pub repaired: Vec<Repaired>,
    pub failed: Vec<(PathBuf, io::Error)>,
}

/// Repairs every unfinished session under `sessions_dir`. A session that
/// cannot be repaired (a file the card will not let go of, a clip that is
/// not a file) is listed in [`Repairs::failed`] and the others are still
/// repaired: one bad folder must not keep the wearer from recording. Only a
/// sessions folder that cannot be listed is an error.
pub fn repair_all(sessions_dir: &Path) -> io::Result<Repairs> {
    let mut out = Repairs::default();
    let entries = match fs::read_dir(sessions_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        if is_empty_shell(&dir) {
            // The power went as the session's folder was being made, before
            // its session.toml: nothing was recorded, and a folder that
            // holds nothing is no session for the film to trip on.
            match fs::remove_dir(dir.join("clips")).and_then(|()| fs::remove_dir(&dir)) {
                Ok(()) => log::info!("{}: removed (empty: cut off as it was made)", dir.display()),
                Err(e) => out.failed.push((dir, e)),
            }
            continue;
        }
        if needs_repair(&dir) {
            match repair(&dir) {
                Ok(r) => out.repaired.push(r),
                Err(e) => out.failed.push((dir, e)),
            }
        }
    }
    Ok(out)
}

/// A session folder as the writer begins it and nothing more: an empty
/// `clips/` alone.
fn is_empty_shell(dir: &Path) -> bool {
    let names = |d: &Path| -> Option<Vec<std::ffi::OsString>> {
        fs::read_dir(d)
            .ok()?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .ok()
    };
    names(dir).is_some_and(|n| n == ["clips"])
        && dir.join("clips").is_dir()
        && names(&dir.join("clips")).is_some_and(|n| n.is_empty())
}

fn read_info(dir: &Path) -> Option<toml::Table> {
    fs::read_to_string(dir.join("session.toml"))
        .ok()?
        .parse::<toml::Table>()
        .ok()
}

/// True if `dir` is a session that did not end cleanly.
pub fn needs_repair(dir: &Path) -> bool {
    if !dir.join("emg.csv").exists() && !dir.join("session.toml").exists() {
        return false; // not a session folder
    }
    read_info(dir).and_then(|t| t.get("closed").and_then(|v| v.as_bool())) != Some(true)
}

/// Cuts `path` to `len` bytes and fsyncs it.
fn truncate(path: &Path, len: u64) -> io::Result<()> {
    truncate_file(path, len)
}

/// The frame times `frames.csv` (repaired) lists for each clip, in order.
fn frame_times_per_clip(path: &Path) -> std::collections::BTreeMap<u32, Vec<f64>> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut times: std::collections::BTreeMap<u32, Vec<f64>> = Default::default();
    for (t, clip) in text.lines().skip(1).filter_map(|l| {
        let mut f = l.split(',');
        let t = f.next()?.trim().parse::<f64>().ok()?;
        Some((t, f.next()?.trim().parse::<u32>().ok()?))
    }) {
        times.entry(clip).or_default().push(t);
    }
    times
}

/// How many rows each clip has in a (repaired) CSV whose clip column is `col`.
fn rows_per_clip(path: &Path, col: usize) -> std::collections::BTreeMap<u32, usize> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut n = std::collections::BTreeMap::new();
    for clip in text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(col)?.trim().parse::<u32>().ok())
    {
        *n.entry(clip).or_default() += 1;
    }
    n
}

/// Appends `rows` to `path` (made if missing) and fsyncs it.
fn append(path: &Path, rows: &str) -> io::Result<()> {
    use std::io::Write;
    let mut f = OpenOptions::new().append(true).create(true).open(path)?;
    f.write_all(rows.as_bytes())?;
    f.sync_all()
}

/// Rebuilds the rows of clips that were open (they have a journal); returns
/// their numbers.
fn recover_open_clips(dir: &Path) -> io::Result<Vec<u32>> {
    let clips_dir = dir.join("clips");
    let mut open: Vec<u32> = match fs::read_dir(&clips_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name();
                let name = name.to_str()?;
                name.strip_suffix(".journal")?.parse().ok()
            })
            .collect(),
        Err(_) => return Ok(Vec::new()),
    };
    open.sort_unstable();
    let (frames_csv, blinks_csv) = (dir.join("frames.csv"), dir.join("blinks.csv"));
    let mut listed_frames = frame_times_per_clip(&frames_csv);
    let with_blinks = rows_per_clip(&blinks_csv, 3);
    let mut recovered = Vec::new();
    for clip in open {
        let jpath = clips_dir.join(clip_journal_name(clip));
        let path = clips_dir.join(clip_file_name(clip));
        let j = ClipJournal::parse(&String::from_utf8_lossy(&fs::read(&jpath)?));
        let data = fs::read(&path).unwrap_or_default();
        let (jpegs, _) = mjpeg::split(&data);
        // The frames whose times are known: those `frames.csv` lists (the
        // power went while the clip was being closed: the clip and those
        // rows were synced, the journal perhaps not all), then the
        // journal's after them. The journal and the clip may each have lost
        // their last second: keep the frames both hold, and never fewer
        // than are listed.
        let mut times = listed_frames.remove(&clip).unwrap_or_default();
        let listed = times.len();
        let n = j.frames.len().min(jpegs.len()).max(listed);
        times.extend(j.frames.iter().skip(listed).take(n - listed));
        if n == 0 {
            // A clip whose frames never reached the disk: nothing to list.
            let _ = fs::remove_file(&path);
            fs::remove_file(&jpath)?;
            continue;
        }
        if jpegs.len() > n {
            // Frames whose times were lost with the journal's tail.
            truncate(&path, jpegs[n - 1].end as u64)?;
        }
        if listed == 0 {
            recovered.push(clip);
        }
        let times = &times[..];
        // Rows the clip lacks: all of them if it was open, the rest if the
        // power went while its rows were being appended at close.
        use std::fmt::Write;
        let mut rows = String::new();
        for (i, t) in times.iter().enumerate().skip(listed) {
            let _ = writeln!(rows, "{},{clip},{i}", crate::trace::Ms(*t));
        }
        if !rows.is_empty() {
            append(&frames_csv, &rows)?;
        }
        if !with_blinks.contains_key(&clip) && n > 0 {
            rows.clear();
            for c in j.closures_to_list(times) {
                blink_row(&mut rows, &c, clip, times);
            }
            append(&blinks_csv, &rows)?;
        }
        fs::remove_file(&jpath)?;
    }
    Ok(recovered)
}

/// Cuts a half-written last row; returns the bytes cut.
fn repair_csv(path: &Path) -> io::Result<u64> {
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let keep = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if keep < data.len() {
        truncate(path, keep as u64)?;
    }
    Ok((data.len() - keep) as u64)
}

/// The last `t_ms` in a (repaired) emg.csv.
fn last_emg_ms(path: &Path) -> Option<f64> {
    let data = fs::read_to_string(path).ok()?;
    let line = data.lines().rev().find(|l| !l.starts_with("t_ms"))?;
    line.split(',').next()?.parse().ok()
}

/// Repairs one session folder.
pub fn repair(dir: &Path) -> io::Result<Repaired> {
    let mut rep = Repaired {
        dir: dir.to_path_buf(),
        ..Repaired::default()
    };
    for (name, header) in [
        ("emg.csv", EMG_HEADER),
        ("frames.csv", FRAMES_HEADER),
        ("blinks.csv", BLINKS_HEADER),
    ] {
        let path = dir.join(name);
        let cut = repair_csv(&path)?;
        if cut > 0 {
            rep.bytes_cut += cut;
            rep.files_cut.push(name.to_string());
        }
        // The power went while the session was being set up, before this
        // file's header was on disk (or before the file was made): the
        // header, so that the session reads as one that recorded nothing.
        if fs::metadata(&path).map_or(true, |m| m.len() == 0) {
            append(&path, &format!("{header}\n"))?;
            rep.headers_written.push(name.to_string());
        }
    }
    if let Ok(entries) = fs::read_dir(dir.join("clips")) {
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            if path.extension().and_then(|x| x.to_str()) != Some("mjpeg") {
                // A left-over `.tmp` or foreign file: not ours to judge.
                continue;
            }
            let data = fs::read(&path)?;
            if let (_, Tail::Torn { offset }) = mjpeg::split(&data) {
                truncate(&path, offset as u64)?;
                rep.bytes_cut += (data.len() - offset) as u64;
                rep.files_cut
                    .push(format!("clips/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    rep.clips_recovered = recover_open_clips(dir)?;
    let mut info = read_info(dir).unwrap_or_default();
    if !rep.clips_recovered.is_empty() {
        info.insert(
            "recovered_clips".into(),
            toml::Value::Array(
                rep.clips_recovered
                    .iter()
                    .map(|&c| toml::Value::Integer(c.into()))
                    .collect(),
            ),
        );
    }
    let recorded = info
        .get("duration_ms")
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .unwrap_or(0.0);
    let last = last_emg_ms(&dir.join("emg.csv")).unwrap_or(0.0);
    info.insert("duration_ms".into(), toml::Value::Float(recorded.max(last)));
    info.insert("interrupted".into(), toml::Value::Boolean(true));
    info.insert("closed".into(), toml::Value::Boolean(true));
    DiskStorage.write_atomic(
        &dir.join("session.toml"),
        toml::to_string(&info).unwrap_or_default().as_bytes(),
    )?;
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session folder that never closed, with its `clips/`, under `root`.
    fn unclosed_session(root: &Path) -> PathBuf {
        let s = root.join("2026-01-01T00-00-00");
        fs::create_dir_all(s.join("clips")).unwrap();
        fs::write(s.join("session.toml"), "closed = false\n").unwrap();
        s
    }

    #[test]
    fn a_folder_cut_off_as_it_was_made_is_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let shell = dir.path().join("2026-01-01T00-00-00");
        fs::create_dir_all(shell.join("clips")).unwrap();
        // Not shells: a clip inside, a file beside, no clips/ at all.
        let with_clip = dir.path().join("2026-01-01T00-00-01");
        fs::create_dir_all(with_clip.join("clips")).unwrap();
        fs::write(with_clip.join("clips/000001.mjpeg"), b"").unwrap();
        let with_file = dir.path().join("2026-01-01T00-00-02");
        fs::create_dir_all(with_file.join("clips")).unwrap();
        fs::write(with_file.join("notes.txt"), b"mine").unwrap();
        let other = dir.path().join("holiday");
        fs::create_dir_all(&other).unwrap();
        repair_all(dir.path()).unwrap();
        assert!(!shell.exists());
        assert!(with_clip.join("clips/000001.mjpeg").exists());
        assert!(with_file.join("notes.txt").exists());
        assert!(other.exists());
    }

    #[test]
    fn torn_tails_are_cut_and_the_session_marked() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path().join("2026-01-01T00-00-00");
        fs::create_dir_all(s.join("clips")).unwrap();
        fs::write(
            s.join("session.toml"),
            "duration_ms = 10.0\nclosed = false\ninterrupted = false\n",
        )
        .unwrap();
        fs::write(
            s.join("emg.csv"),
            "t_ms,emg,state\n0,5,open\n40,6,open\n80,7,op",
        )
        .unwrap();
        fs::write(s.join("frames.csv"), "t_ms,clip,index\n").unwrap();
        let a = crate::devices::sim::render_jpeg(0.0, 64, 48);
        let b = crate::devices::sim::render_jpeg(33.0, 64, 48);
        fs::write(
            s.join("clips/000001.mjpeg"),
            [&a[..], &b[..b.len() / 2]].concat(),
        )
        .unwrap();
        let reps = repair_all(dir.path()).unwrap();
        assert!(reps.failed.is_empty(), "{:?}", reps.failed);
        let reps = reps.repaired;
        assert_eq!(reps.len(), 1);
        assert_eq!(fs::read(s.join("clips/000001.mjpeg")).unwrap(), a);
        assert_eq!(
            fs::read_to_string(s.join("emg.csv")).unwrap(),
            "t_ms,emg,state\n0,5,open\n40,6,open\n"
        );
        let info = read_info(&s).unwrap();
        assert_eq!(info["interrupted"].as_bool(), Some(true));
        assert_eq!(info["duration_ms"].as_float(), Some(40.0));
        // Repaired sessions are left alone the next time.
        assert!(repair_all(dir.path()).unwrap().repaired.is_empty());
    }

    /// The power went as the session began: `session.toml` was on disk,
    /// `emg.csv` had its header, `frames.csv` half of its header, and
    /// `blinks.csv` was never made. Each CSV gets its header back, and the
    /// session reads as one that recorded nothing.
    #[test]
    fn a_session_cut_as_it_began_gets_its_headers() {
        let dir = tempfile::tempdir().unwrap();
        let s = unclosed_session(dir.path());
        fs::write(s.join("emg.csv"), format!("{EMG_HEADER}\n")).unwrap();
        fs::write(s.join("frames.csv"), "t_ms,cl").unwrap();
        let rep = repair(&s).unwrap();
        assert_eq!(rep.files_cut, ["frames.csv"]);
        assert_eq!(rep.headers_written, ["frames.csv", "blinks.csv"]);
        for (name, header) in [
            ("emg.csv", EMG_HEADER),
            ("frames.csv", FRAMES_HEADER),
            ("blinks.csv", BLINKS_HEADER),
        ] {
            assert_eq!(
                fs::read_to_string(s.join(name)).unwrap(),
                format!("{header}\n"),
                "{name}"
            );
        }
        let session = crate::session::read::read_session(&s).unwrap();
        assert!(session.clips.is_empty());
        assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    }

    #[test]
    fn rows_cut_short_at_close_are_completed_from_the_journal() {
        use crate::session::journal;
        let dir = tempfile::tempdir().unwrap();
        let s = unclosed_session(dir.path());
        fs::write(s.join("emg.csv"), "t_ms,emg,state\n").unwrap();
        let times = [960.0, 993.5, 1027.0];
        let mut clip = Vec::new();
        let mut j = String::new();
        journal::onset_line(&mut j, 1000.0, 1040.0);
        for t in times {
            clip.extend(crate::devices::sim::render_jpeg(t, 64, 48));
            journal::frame_line(&mut j, t);
        }
        let c = crate::detector::Closure {
            onset_ms: 1000.0,
            offset_ms: 1020.0,
            detected_ms: 1040.0,
            peak: 400.0,
            score: 0.8,
        };
        journal::closure_line(&mut j, &c);
        fs::write(s.join("clips/000001.mjpeg"), clip).unwrap();
        fs::write(s.join("clips/000001.journal"), j).unwrap();
        // The power went after the first frames row reached the disk.
        fs::write(s.join("frames.csv"), "t_ms,clip,index\n960,1,0\n993.5,1").unwrap();
        fs::write(
            s.join("blinks.csv"),
            format!("{}\n", crate::session::BLINKS_HEADER),
        )
        .unwrap();
        let rep = repair(&s).unwrap();
        assert!(rep.clips_recovered.is_empty(), "it had begun to close");
        assert_eq!(
            fs::read_to_string(s.join("frames.csv")).unwrap(),
            "t_ms,clip,index\n960,1,0\n993.5,1,1\n1027,1,2\n"
        );
        let blinks = fs::read_to_string(s.join("blinks.csv")).unwrap();
        assert_eq!(
            blinks.lines().nth(1),
            Some("1000,1020,1040,1,3,400.0,0.800,960,1027")
        );
        assert!(!s.join("clips/000001.journal").exists());
    }

    #[test]
    fn a_journal_shorter_than_the_rows_synced_at_close_gives_way_to_them() {
        use crate::session::journal;
        // The clip and its frames rows were synced at close; the journal,
        // never synced, kept its onset and one frame; the blinks row was
        // lost. The row comes back with all three frames.
        let dir = tempfile::tempdir().unwrap();
        let s = unclosed_session(dir.path());
        fs::write(s.join("emg.csv"), "t_ms,emg,state\n").unwrap();
        let times = [960.0, 993.5, 1027.0];
        let clip: Vec<u8> = times
            .iter()
            .flat_map(|&t| crate::devices::sim::render_jpeg(t, 64, 48))
            .collect();
        let mut j = String::new();
        journal::onset_line(&mut j, 1000.0, 1040.0);
        journal::frame_line(&mut j, times[0]);
        fs::write(s.join("clips/000001.mjpeg"), &clip).unwrap();
        fs::write(s.join("clips/000001.journal"), j).unwrap();
        let frames = "t_ms,clip,index\n960,1,0\n993.5,1,1\n1027,1,2\n";
        fs::write(s.join("frames.csv"), frames).unwrap();
        fs::write(
            s.join("blinks.csv"),
            format!("{}\n", crate::session::BLINKS_HEADER),
        )
        .unwrap();
        repair(&s).unwrap();
        assert_eq!(fs::read_to_string(s.join("frames.csv")).unwrap(), frames);
        assert_eq!(fs::read(s.join("clips/000001.mjpeg")).unwrap(), clip);
        let blinks = fs::read_to_string(s.join("blinks.csv")).unwrap();
        let row: Vec<&str> = blinks.lines().nth(1).unwrap().split(',').collect();
        assert_eq!((row[3], row[4]), ("1", "3"), "{blinks}");
        assert_eq!((row[7], row[8]), ("960", "1027"), "{blinks}");
    }
}

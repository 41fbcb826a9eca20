//! Reading a session folder back: for the film export and the contact sheet.
//!
//! Reading is tolerant, because a session may end in a power cut: a torn last
//! CSV row, a clip with half a frame at its end, a frame the camera sent
//! corrupt. Each of these becomes a [`Warning`] naming the file (and the line
//! or frame), and the rest of the session is still read. Only a folder that is
//! not a session at all (no `frames.csv`) is an error.
//!
//! The reader keeps no JPEG data: [`Session`] holds times and indices, and
//! [`read_clip`] loads one clip at a time, so memory stays flat however long
//! the session.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{clip_file_name, mjpeg};

pub mod fixture;

/// Why a folder cannot be read as a session.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The folder or its `frames.csv` is missing or unreadable.
    #[error(
        "{path}: cannot read it (is this a session folder? it should hold frames.csv and clips/)"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `frames.csv` has no usable header.
    #[error("{path}: the header must name the columns t_ms,clip,index")]
    Header { path: PathBuf },
    /// A folder of session folders (the sessions directory), not a session.
    #[error(
        "{path} holds {count} session folders, not a session: name one (the latest is {latest}), \
         or several, e.g. all of them: `{path}/*` (they are put in time order)"
    )]
    SessionsFolder {
        path: PathBuf,
        count: usize,
        latest: PathBuf,
    },
}

/// Something skipped while reading; the rest was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file concerned.
    pub path: PathBuf,
    /// What was skipped and why.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// One recorded closure, from `blinks.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blink {
    pub onset_ms: u64,
    pub offset_ms: u64,
    pub detected_ms: u64,
    pub clip: u32,
    pub frames: u32,
}

/// One kept frame: its capture time and where its JPEG is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Capture time, ms since the session start.
    pub t_ms: u64,
    /// Index of the JPEG in its clip file, from 0.
    pub index: u32,
}

/// A clip: the frames of one closure, in capture order.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// The clip number (file `clips/{number:06}.mjpeg`).
    pub number: u32,
    /// Its frames, sorted by capture time; only frames whose JPEG is complete
    /// in the clip file.
    pub frames: Vec<Frame>,
    /// The closures it records, by onset, as far as `blinks.csv` has them
    /// (one clip holds several closures when a blink comes during the
    /// post-roll of the one before).
    pub blinks: Vec<Blink>,
}

impl Clip {
    /// When the clip's first closure began: its onset, or the first frame's time.
    pub fn time_ms(&self) -> u64 {
        match (self.blinks.first(), self.frames.first()) {
            (Some(b), _) => b.onset_ms,
            (None, Some(f)) => f.t_ms,
            (None, None) => 0,
        }
    }

    /// The onset of the closure a frame captured at `t_ms` belongs to: the
    /// last one begun by then (pre-roll frames go to the first).
    pub fn blink_time_at(&self, t_ms: u64) -> u64 {
        self.blinks
            .iter()
            .rev()
            .find(|b| b.onset_ms <= t_ms)
            .map(|b| b.onset_ms)
            .unwrap_or_else(|| self.time_ms())
    }
}

/// A session folder, read.
#[derive(Debug, Clone)]
pub struct Session {
    pub dir: PathBuf,
    /// Wall-clock start in ms since the Unix epoch, to order several sessions;
    /// from `started_at` in session.toml, or else the folder name.
    pub started_unix_ms: Option<i64>,
    /// Session length in ms: `duration_ms`, or the last `t_ms` of emg.csv, or
    /// the last frame's time.
    pub duration_ms: u64,
    /// The session ended without a clean stop.
    pub interrupted: bool,
    /// Clips in time order, each with at least one frame.
    pub clips: Vec<Clip>,
    /// What was skipped while reading.
    pub warnings: Vec<Warning>,
}

impl Session {
    /// The clip file of clip `number`.
    pub fn clip_path(&self, number: u32) -> PathBuf {
        clip_path(&self.dir, number)
    }

    /// The median interval between consecutive frames of a clip, in ms.
    pub fn median_frame_interval_ms(&self) -> Option<f64> {
        median_frame_interval_ms(std::slice::from_ref(self))
    }

    /// Number of kept frames over all clips.
    pub fn frame_count(&self) -> usize {
        self.clips.iter().map(|c| c.frames.len()).sum()
    }
}

/// The median interval between consecutive frames within clips, over all
/// sessions given; `None` if no clip has two frames.
pub fn median_frame_interval_ms(sessions: &[Session]) -> Option<f64> {
    let mut gaps: Vec<u64> = sessions
        .iter()
        .flat_map(|s| &s.clips)
        .flat_map(|c| c.frames.windows(2).map(|w| w[1].t_ms - w[0].t_ms))
        .filter(|&g| g > 0)
        .collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_unstable();
    let n = gaps.len();
    Some(if n % 2 == 1 {
        gaps[n / 2] as f64
    } else {
        (gaps[n / 2 - 1] + gaps[n / 2]) as f64 / 2.0
    })
}

/// The clip file of clip `number` in session folder `dir`.
pub fn clip_path(dir: &Path, number: u32) -> PathBuf {
    dir.join("clips").join(clip_file_name(number))
}

/// A clip file in memory: its bytes and where each complete JPEG is.
pub struct ClipData {
    pub data: Vec<u8>,
    pub frames: Vec<Range<usize>>,
    pub tail: mjpeg::Tail,
}

impl ClipData {
    /// The JPEG bytes of frame `index`, if the clip holds it complete.
    pub fn frame(&self, index: u32) -> Option<&[u8]> {
        self.frames
            .get(index as usize)
            .map(|r| &self.data[r.clone()])
    }
}

/// Loads one clip file and finds its frames.
pub fn read_clip(path: &Path) -> std::io::Result<ClipData> {
    let data = std::fs::read(path)?;
    let (frames, tail) = mjpeg::split(&data);
    Ok(ClipData { data, frames, tail })
}

/// Reads a session folder. Clip files are opened once each, to check which
/// frames are complete; their bytes are not kept.
pub fn read_session(dir: &Path) -> Result<Session, ReadError> {
    let mut warnings = Vec::new();
    let frames_path = dir.join("frames.csv");
    if !frames_path.exists() {
        if let Some((count, latest)) = sessions_inside(dir) {
            return Err(ReadError::SessionsFolder {
                path: dir.to_path_buf(),
                count,
                latest,
            });
        }
    }
    let text = read_text(&frames_path)?;
    let rows = if text.is_empty() {
        // The power went as the session began, before the header reached
        // the disk, and no start of the appliance has repaired it since.
        warnings.push(Warning {
            path: frames_path.clone(),
            message: "empty (the session was cut off as it began): no frames".into(),
        });
        Vec::new()
    } else {
        parse_csv(
            &frames_path,
            &text,
            &["t_ms", "clip", "index"],
            &mut warnings,
        )
        .ok_or_else(|| ReadError::Header {
            path: frames_path.clone(),
        })?
    };
    let mut by_clip: BTreeMap<u32, Vec<Frame>> = BTreeMap::new();
    for (_, r) in rows {
        let (Ok(clip), Ok(index)) = (u32::try_from(r[1]), u32::try_from(r[2])) else {
            continue;
        };
        by_clip
            .entry(clip)
            .or_default()
            .push(Frame { t_ms: r[0], index });
    }

    let blinks = read_blinks(dir, &mut warnings);
    let mut clips = Vec::new();
    for (number, mut frames) in by_clip {
        let path = clip_path(dir, number);
        let (complete, torn_at) = match std::fs::read(&path) {
            Ok(data) => {
                let (found, tail) = mjpeg::split(&data);
                let torn_at = match tail {
                    mjpeg::Tail::Torn { offset } => Some(offset),
                    mjpeg::Tail::Clean => None,
                };
                (found.len(), torn_at)
            }
            Err(e) => {
                warnings.push(Warning {
                    path: path.clone(),
                    message: format!("clip skipped: {e}"),
                });
                continue;
            }
        };
        // One row per JPEG. An index listed twice (a torn last row whose
        // index lost its last digits: "20301,7,1" for "20301,7,10") keeps
        // its earliest time: rows are written in time order.
        frames.sort_by_key(|f| (f.t_ms, f.index));
        let before = frames.len();
        let mut seen = std::collections::BTreeSet::new();
        frames.retain(|f| seen.insert(f.index));
        if frames.len() < before {
            warnings.push(Warning {
                path: frames_path.clone(),
                message: format!(
                    "clip {number}: {} frame(s) listed twice; the earliest row of each kept",
                    before - frames.len()
                ),
            });
        }
        let listed = frames.len();
        let missing: Vec<u32> = frames
            .iter()
            .filter(|f| f.index as usize >= complete)
            .map(|f| f.index)
            .collect();
        frames.retain(|f| (f.index as usize) < complete);
        if !missing.is_empty() || torn_at.is_some() {
            let torn = match torn_at {
                Some(offset) => format!("torn tail (from byte {offset}): "),
                None => String::new(),
            };
            let what = if missing.is_empty() {
                "a partial frame with no row in frames.csv".to_string()
            } else {
                format!("frame {} listed in frames.csv", list_numbers(&missing))
            };
            warnings.push(Warning {
                path: path.clone(),
                message: format!("{torn}{what} is not a complete JPEG; skipped"),
            });
        }
        if complete > listed {
            warnings.push(Warning {
                path: path.clone(),
                message: format!(
                    "{} frame(s) at the end have no row in frames.csv (no capture time); skipped",
                    complete - listed
                ),
            });
        }
        if frames.is_empty() {
            continue;
        }
        let mut blinks = blinks.get(&number).cloned().unwrap_or_default();
        blinks.sort_by_key(|b| b.onset_ms);
        clips.push(Clip {
            number,
            frames,
            blinks,
        });
    }
    clips.sort_by_key(|c| (c.frames[0].t_ms, c.number));
    open_clip_warnings(dir, &clips, &mut warnings);

    let (started, mut duration, interrupted) = read_toml(dir, &mut warnings);
    let started_unix_ms = started.or_else(|| {
        dir.file_name()
            .and_then(|n| n.to_str())
            .and_then(parse_folder_time)
    });
    // session.toml is rewritten only now and then while recording, so after
    // a crash emg.csv may run further.
    duration = duration.max(last_emg_time(dir));
    let last_frame = clips
        .iter()
        .filter_map(|c| c.frames.last())
        .map(|f| f.t_ms)
        .max()
        .unwrap_or(0);
    let duration_ms = duration.unwrap_or(last_frame).max(last_frame);

    Ok(Session {
        dir: dir.to_path_buf(),
        started_unix_ms,
        duration_ms,
        interrupted,
        clips,
        warnings,
    })
}

/// Clips still open when the session stopped (a journal is left beside them,
/// see [`super::journal`]) and never listed: the next `augenblick run`
/// repairs them; until then they are skipped, with a warning.
fn open_clip_warnings(dir: &Path, clips: &[Clip], warnings: &mut Vec<Warning>) {
    let Ok(entries) = std::fs::read_dir(dir.join("clips")) else {
        return;
    };
    let mut open: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".journal")?
                .parse()
                .ok()
        })
        .filter(|n| !clips.iter().any(|c| c.number == *n))
        .collect();
    open.sort_unstable();
    for n in open {
        warnings.push(Warning {
            path: clip_path(dir, n),
            message: "was still being recorded when the session stopped and has no rows yet \
                      (the next `augenblick run` repairs the session); skipped"
                .into(),
        });
    }
}

/// The session folders right inside `dir` (those with a `session.toml`):
/// how many, and the latest by name (named by their start time). None if
/// there are none.
fn sessions_inside(dir: &Path) -> Option<(usize, PathBuf)> {
    let mut found = session_folders(dir);
    found.sort();
    Some((found.len(), found.pop()?))
}

/// The session folders right inside `dir`: those with a `session.toml`.
fn session_folders(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|d| d.join("session.toml").is_file())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads several sessions and puts them in time order (by wall-clock start,
/// then by folder name).
///
/// Of several folders, one that cannot be read (a stray folder beside the
/// sessions, one cut off before it held anything) is left out with a
/// warning, so one bad folder in `sessions/*` does not stop a film; if none
/// can be read, the first one's error.
pub fn read_sessions(dirs: &[PathBuf]) -> Result<Vec<Session>, ReadError> {
    let mut sessions = Vec::new();
    let mut errors = Vec::new();
    for d in dirs {
        match read_session(d) {
            Ok(s) => sessions.push(s),
            Err(e) => errors.push(e),
        }
    }
    if (sessions.is_empty() || dirs.len() == 1) && !errors.is_empty() {
        return Err(errors.swap_remove(0));
    }
    for e in errors {
        log::warn!("{:#}; left out", anyhow::Error::from(e));
    }
    sessions.sort_by(|a, b| {
        (a.started_unix_ms.unwrap_or(i64::MAX), a.dir.file_name())
            .cmp(&(b.started_unix_ms.unwrap_or(i64::MAX), b.dir.file_name()))
    });
    Ok(sessions)
}

fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn list_numbers(n: &[u32]) -> String {
    match n {
        [one] => one.to_string(),
        [first, .., last] => format!("{first}..={last}"),
        [] => String::new(),
    }
}

/// Parses a CSV of unsigned integers, picking `columns` by header name. A row
/// that does not parse is skipped with a warning naming its line; a bad last
/// line without a newline is a torn tail. `None` if the header lacks a column.
fn parse_csv(
    path: &Path,
    text: &str,
    columns: &[&str],
    warnings: &mut Vec<Warning>,
) -> Option<Vec<(usize, Vec<u64>)>> {
    let mut lines = text.split_inclusive('\n').enumerate();
    let (_, header) = lines.next()?;
    let names: Vec<&str> = header.trim().split(',').map(str::trim).collect();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| names.iter().position(|n| n == c))
        .collect::<Option<_>>()?;
    let mut rows = Vec::new();
    for (i, line) in lines {
        let complete = line.ends_with('\n');
        let fields: Vec<&str> = line.trim().split(',').map(str::trim).collect();
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        let values: Option<Vec<u64>> = idx
            .iter()
            .map(|&k| fields.get(k).and_then(|f| parse_ms(f)))
            .collect();
        match values {
            Some(v) if complete || fields.len() >= names.len() => rows.push((i + 1, v)),
            _ => warnings.push(Warning {
                path: path.to_path_buf(),
                message: if complete {
                    format!(
                        "line {}: not a valid row, skipped: {:?}",
                        i + 1,
                        line.trim()
                    )
                } else {
                    format!("line {}: torn last row, skipped", i + 1)
                },
            }),
        }
    }
    Some(rows)
}

/// A time or count: an unsigned integer, or a decimal rounded to the nearest.
fn parse_ms(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().or_else(|| {
        let v: f64 = s.parse().ok()?;
        (v.is_finite() && v >= 0.0).then(|| v.round() as u64)
    })
}

fn read_blinks(dir: &Path, warnings: &mut Vec<Warning>) -> BTreeMap<u32, Vec<Blink>> {
    let path = dir.join("blinks.csv");
    let Ok(text) = std::fs::read(&path) else {
        warnings.push(Warning {
            path,
            message: "missing; blink times come from the frames".into(),
        });
        return BTreeMap::new();
    };
    let text = String::from_utf8_lossy(&text);
    let cols = ["onset_ms", "offset_ms", "detected_ms", "clip", "frames"];
    let Some(rows) = parse_csv(&path, &text, &cols, warnings) else {
        warnings.push(Warning {
            path,
            message: format!("the header must name {}; ignored", cols.join(",")),
        });
        return BTreeMap::new();
    };
    let mut by_clip: BTreeMap<u32, Vec<Blink>> = BTreeMap::new();
    for (_, r) in rows {
        let Ok(clip) = u32::try_from(r[3]) else {
            continue;
        };
        by_clip.entry(clip).or_default().push(Blink {
            onset_ms: r[0],
            offset_ms: r[1],
            detected_ms: r[2],
            clip,
            frames: u32::try_from(r[4]).unwrap_or(u32::MAX),
        });
    }
    by_clip
}

/// `(started_at as Unix ms, duration_ms, interrupted)` from session.toml,
/// leniently: top-level keys, or inside a `[session]` table.
fn read_toml(dir: &Path, warnings: &mut Vec<Warning>) -> (Option<i64>, Option<u64>, bool) {
    let path = dir.join("session.toml");
    let table = match std::fs::read_to_string(&path).map(|t| t.parse::<toml::Table>()) {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            warnings.push(Warning {
                path,
                message: format!("not valid TOML ({}); ignored", e.message()),
            });
            return (None, None, true);
        }
        Err(e) => {
            warnings.push(Warning {
                path,
                message: format!("{e}; ignored"),
            });
            return (None, None, true);
        }
    };
    let get = |key: &str| {
        table.get(key).or_else(|| {
            table
                .get("session")
                .and_then(|s| s.as_table())
                .and_then(|s| s.get(key))
        })
    };
    let started = get("started_at").and_then(|v| match v {
        toml::Value::String(s) => parse_rfc3339_ms(s),
        toml::Value::Datetime(d) => parse_rfc3339_ms(&d.to_string()),
        _ => None,
    });
    let duration = get("duration_ms").and_then(|v| match v {
        toml::Value::Integer(i) => u64::try_from(*i).ok(),
        toml::Value::Float(f) if *f >= 0.0 => Some(f.round() as u64),
        _ => None,
    });
    let interrupted = get("interrupted")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    (started, duration, interrupted)
}

/// The last `t_ms` in emg.csv, reading only the file's end.
fn last_emg_time(dir: &Path) -> Option<u64> {
    let mut f = std::fs::File::open(dir.join("emg.csv")).ok()?;
    let len = f.metadata().ok()?.len();
    let start = len.saturating_sub(4096);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).ok()?;
    let tail = String::from_utf8_lossy(&tail);
    tail.lines()
        .rev()
        .filter_map(|l| l.split(',').next().and_then(|f| parse_ms(f.trim())))
        .next()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD?HH?MM?SS[.fff][Z|+hh:mm|-hh:mm]` with any single
/// separators, to Unix ms. No offset means UTC.
fn parse_datetime(s: &str, time_sep_any: bool) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 19 {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !time_sep_any && (b[13] != b':' || b[16] != b':') {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ms = 0i64;
    if b.get(i) == Some(&b'.') {
        let digits: String = s[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        i += 1 + digits.len();
        let mut ms = digits
            .chars()
            .chain("000".chars())
            .take(3)
            .collect::<String>();
        ms.truncate(3);
        frac_ms = ms.parse().unwrap_or(0);
    }
    let offset_min = match b.get(i) {
        None | Some(b'Z') | Some(b'z') => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6).unwrap_or(0);
            let o = oh * 60 + om;
            if sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1000 + frac_ms)
}

/// An RFC 3339 timestamp as Unix ms.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    parse_datetime(s.trim(), false)
}

/// When the latest session under `sessions_dir` ended, in Unix ms: the
/// greatest `started_at` plus `duration_ms` (or plus the last `t_ms` of
/// `emg.csv`) over its session folders. None if there is none.
pub fn latest_end_unix_ms(sessions_dir: &Path) -> Option<i64> {
    session_folders(sessions_dir)
        .into_iter()
        .filter_map(|d| {
            let (started, duration, _) = read_toml(&d, &mut Vec::new());
            let duration = duration.or_else(|| last_emg_time(&d)).unwrap_or(0);
            Some(started? + i64::try_from(duration).ok()?)
        })
        .max()
}

/// A session folder name (its start time, `2026-11-23T15-43-46`) as Unix ms.
pub fn parse_folder_time(name: &str) -> Option<i64> {
    parse_datetime(name, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sessions_folder_itself_is_named_as_such_with_its_latest_session() {
        let dir = tempfile::tempdir().unwrap();
        for (name, at) in [
            ("2026-11-23T15-43-46", "2026-11-23T15:43:46Z"),
            ("2026-11-24T09-00-00", "2026-11-24T09:00:00Z"),
        ] {
            let spec = fixture::FixtureSpec {
                name: name.into(),
                started_at: at.into(),
                clips: 1,
                ..fixture::FixtureSpec::default()
            };
            fixture::write_session(dir.path(), &spec).unwrap();
        }
        let err = read_session(dir.path()).unwrap_err();
        assert!(
            matches!(&err, ReadError::SessionsFolder { count: 2, latest, .. }
                if latest.ends_with("2026-11-24T09-00-00")),
            "{err}"
        );
        assert!(err.to_string().contains("holds 2 session folders"), "{err}");
        // An empty folder is still "not a session folder".
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_session(empty.path()),
            Err(ReadError::Io { .. })
        ));
    }

    #[test]
    fn a_torn_last_row_whose_index_lost_a_digit_does_not_show_a_frame_twice() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path();
        std::fs::create_dir_all(s.join("clips")).unwrap();
        let times: Vec<u64> = (0..11).map(|i| 1000 + 33 * i).collect();
        let clip: Vec<u8> = times
            .iter()
            .flat_map(|&t| crate::devices::sim::render_jpeg(t as f64, 64, 48))
            .collect();
        std::fs::write(s.join("clips/000001.mjpeg"), clip).unwrap();
        let mut rows = String::from("t_ms,clip,index\n");
        for (i, t) in times[..10].iter().enumerate() {
            rows += &format!("{t},1,{i}\n");
        }
        // "1330,1,10\n", torn after its "1".
        rows += "1330,1,1";
        std::fs::write(s.join("frames.csv"), rows).unwrap();
        let read = read_session(s).unwrap();
        let frames = &read.clips[0].frames;
        assert_eq!(frames.len(), 10, "{frames:?}");
        assert_eq!(frames[1].t_ms, 1033);
        assert!(
            read.warnings
                .iter()
                .any(|w| w.message.contains("listed twice")),
            "{:?}",
            read.warnings
        );
    }

    #[test]
    fn datetimes_order_sessions() {
        let a = parse_rfc3339_ms("2026-11-23T15:43:46Z").unwrap();
        assert_eq!(a, 1_795_448_626_000);
        assert_eq!(
            parse_rfc3339_ms("2026-11-23T16:43:46.250+01:00"),
            Some(a + 250)
        );
        assert_eq!(parse_folder_time("2026-11-23T15-43-46"), Some(a));
        assert_eq!(parse_rfc3339_ms("2026-11-23T15-43-46"), None);
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
        assert_eq!(parse_folder_time("clips"), None);
    }

    #[test]
    fn csv_rows_by_header_name_and_torn_tails() {
        let p = Path::new("frames.csv");
        let mut w = Vec::new();
        let text = "index,t_ms,clip,extra\n0,10,1,x\n1,43,1,y\nbad,row,1,z\n2,7";
        let rows = parse_csv(p, text, &["t_ms", "clip", "index"], &mut w).unwrap();
        assert_eq!(rows, vec![(2, vec![10, 1, 0]), (3, vec![43, 1, 1])]);
        assert_eq!(w.len(), 2);
        assert!(w[0].message.contains("line 4"), "{}", w[0]);
        assert!(w[1].message.contains("torn"), "{}", w[1]);
        assert!(parse_csv(p, "a,b\n1,2\n", &["t_ms"], &mut w).is_none());
    }
}

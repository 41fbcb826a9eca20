//! `augenblick-vm check`: is the session recorded in the VM what real
//! devices fed with the trace should give?
//!
//! - The ADC path: `emg.csv` holds the trace's values (found by aligning the
//!   session clock with the feeder's), through the real ADS1115 driver.
//! - The camera path: every clip splits into as many JPEGs as `frames.csv`
//!   lists, each decodes at the granted size and shows vivid's colour bars
//!   (which a wrong pixel format or a garbled buffer would not).
//! - Recording: kept frames lie only in their closure's window (pre- and
//!   post-roll included), and every recorded closure has frames.
//! - Detection: `blinks.csv` finds the labelled closures about as well as a
//!   simulated run of the same trace on the host does.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use augenblick::session::mjpeg;
use augenblick::trace::{read_labels, read_trace, Label, Sample};

/// Check a session recorded in the VM against its trace, labels and a
/// simulated run of the same trace.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The session folder written in the VM.
    #[arg(long)]
    session: PathBuf,
    /// The session folder of `augenblick run --simulate` on the same trace.
    #[arg(long)]
    sim_session: PathBuf,
    /// The trace the feeder replayed.
    #[arg(long)]
    trace: PathBuf,
    /// Its labels.
    #[arg(long)]
    labels: PathBuf,
}

/// A closure the session recorded (a row of `blinks.csv`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Blink {
    onset_ms: f64,
    offset_ms: f64,
    clip: u32,
    frames: u32,
}

/// A kept frame (a row of `frames.csv`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct KeptFrame {
    t_ms: f64,
    clip: u32,
}

/// How the session clock lines up with the trace's.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Alignment {
    /// Trace time = session time + `offset_ms`.
    offset_ms: f64,
    /// Session samples whose value the trace holds there.
    matched: usize,
    total: usize,
}

/// Finds the offset at which the session's ADC readings best match the
/// trace. The register holds each fed value until the next one, and feeder
/// and sampler race at sample boundaries, so a reading matches if it equals
/// the trace's value there or a neighbour's.
fn align(session: &[Sample], trace: &[Sample], search_ms: f64, step_ms: f64) -> Alignment {
    let value_index = |t: f64| trace.partition_point(|s| s.t_ms <= t).saturating_sub(1);
    let steps = (2.0 * search_ms / step_ms).round() as i64;
    let counts: Vec<(f64, usize)> = (0..=steps)
        .map(|i| {
            let offset_ms = -search_ms + i as f64 * step_ms;
            let matched = session
                .iter()
                .filter(|s| {
                    let k = value_index(s.t_ms + offset_ms);
                    let lo = k.saturating_sub(1);
                    let hi = (k + 1).min(trace.len().saturating_sub(1));
                    trace[lo..=hi].iter().any(|t| t.emg == s.emg)
                })
                .count();
            (offset_ms, matched)
        })
        .collect();
    // The neighbour tolerance makes the best offsets a plateau: take the
    // middle of the first one.
    let matched = counts.iter().map(|c| c.1).max().unwrap_or(0);
    let plateau: Vec<f64> = counts
        .iter()
        .skip_while(|c| c.1 < matched)
        .take_while(|c| c.1 == matched)
        .map(|c| c.0)
        .collect();
    Alignment {
        offset_ms: (plateau[0] + plateau[plateau.len() - 1]) / 2.0,
        matched,
        total: session.len(),
    }
}

/// Frames that lie outside their clip's closure window.
fn frames_outside(
    frames: &[KeptFrame],
    blinks: &[Blink],
    pre_ms: f64,
    post_ms: f64,
) -> Vec<KeptFrame> {
    frames
        .iter()
        .filter(|f| {
            !blinks.iter().any(|b| {
                b.clip == f.clip && f.t_ms >= b.onset_ms - pre_ms && f.t_ms <= b.offset_ms + post_ms
            })
        })
        .copied()
        .collect()
}

/// Detection against labels: true positives, missed labels, false alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Score {
    hits: usize,
    missed: usize,
    false_alarms: usize,
}

/// Matches closures to labels (same time base) inside `[from, to]`: a
/// closure finds a label when they overlap, give or take `slack_ms`; each
/// label counts once.
fn score(found: &[(f64, f64)], labels: &[Label], from: f64, to: f64, slack_ms: f64) -> Score {
    let labels: Vec<&Label> = labels
        .iter()
        .filter(|l| l.onset_ms >= from && l.offset_ms <= to)
        .collect();
    let found: Vec<&(f64, f64)> = found
        .iter()
        .filter(|(on, _)| *on >= from && *on <= to)
        .collect();
    let mut taken = vec![false; labels.len()];
    let mut hits = 0;
    for (on, off) in &found {
        let hit = labels.iter().enumerate().find(|(i, l)| {
            !taken[*i] && *on <= l.offset_ms + slack_ms && *off >= l.onset_ms - slack_ms
        });
        if let Some((i, _)) = hit {
            taken[i] = true;
            hits += 1;
        }
    }
    Score {
        hits,
        missed: labels.len() - hits,
        false_alarms: found.len() - hits,
    }
}

/// vivid's default test pattern: eight 75 % colour bars, left to right
/// white, yellow, cyan, green, magenta, red, blue, black (as R, G, B on/off).
const VIVID_BARS: [[bool; 3]; 8] = [
    [true, true, true],
    [true, true, false],
    [false, true, true],
    [false, true, false],
    [true, false, true],
    [true, false, false],
    [false, false, true],
    [false, false, false],
];

/// Checks a decoded frame shows vivid's colour bars, sampled in the bottom
/// sixth (below vivid's text overlay).
fn shows_vivid_bars(img: &image::RgbImage) -> bool {
    let (w, h) = img.dimensions();
    let y = h * 5 / 6;
    VIVID_BARS.iter().enumerate().all(|(i, want)| {
        let x = w * (2 * i as u32 + 1) / 16;
        let px = img.get_pixel(x, y).0;
        px.iter()
            .zip(want)
            .all(|(&c, &on)| if on { c > 128 } else { c < 64 })
    })
}

fn read_csv_rows(path: &Path) -> Result<Vec<csv::StringRecord>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    r.records()
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}", path.display()))
}

fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> Result<usize> {
    headers
        .iter()
        .position(|h| h == name)
        .with_context(|| format!("{}: no column `{name}`", path.display()))
}

fn read_blinks(dir: &Path) -> Result<Vec<Blink>> {
    let path = dir.join("blinks.csv");
    let headers = csv::Reader::from_path(&path)?.headers()?.clone();
    let (on, off, clip, frames) = (
        column(&headers, "onset_ms", &path)?,
        column(&headers, "offset_ms", &path)?,
        column(&headers, "clip", &path)?,
        column(&headers, "frames", &path)?,
    );
    read_csv_rows(&path)?
        .iter()
        .map(|r| {
            Ok(Blink {
                onset_ms: r[on].parse()?,
                offset_ms: r[off].parse()?,
                clip: r[clip].parse().unwrap_or(0),
                frames: r[frames].parse().unwrap_or(0),
            })
        })
        .collect()
}

/// The closures the detector decided, as `emg.csv`'s state column tells
/// them: a run of `rising` and `closed` samples that ends in `refractory`
/// (a decided closure; a candidate taken back ends in `open`). From its
/// first to its last sample.
fn decided_closures(dir: &Path) -> Result<Vec<(f64, f64)>> {
    let path = dir.join("emg.csv");
    let headers = csv::Reader::from_path(&path)?.headers()?.clone();
    let (t, state) = (
        column(&headers, "t_ms", &path)?,
        column(&headers, "state", &path)?,
    );
    let mut rows = Vec::new();
    for (i, r) in read_csv_rows(&path)?.iter().enumerate() {
        let t_ms: f64 = r[t]
            .parse()
            .with_context(|| format!("{}: line {}: t_ms", path.display(), i + 2))?;
        rows.push((t_ms, r[state].to_string()));
    }
    Ok(closures_in_states(
        rows.iter().map(|(t, s)| (*t, s.as_str())),
    ))
}

fn closures_in_states<'a>(rows: impl Iterator<Item = (f64, &'a str)>) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut run: Option<(f64, f64)> = None;
    for (t, state) in rows {
        match state {
            "rising" | "closed" => {
                run = Some(run.map_or((t, t), |(from, _)| (from, t)));
            }
            "refractory" => {
                if let Some(r) = run.take() {
                    out.push(r);
                }
            }
            _ => run = None,
        }
    }
    out
}

/// What a run found: its listed closures, and those it decided whose frames
/// never reached the disk (a slow machine drops frames; a closure with none
/// is not listed). The check is of detection, not of the camera's pace.
fn found_closures(dir: &Path, listed: &[Blink]) -> Result<Vec<(f64, f64)>> {
    let mut found: Vec<(f64, f64)> = listed.iter().map(|b| (b.onset_ms, b.offset_ms)).collect();
    let unlisted: Vec<(f64, f64)> = decided_closures(dir)?
        .into_iter()
        .filter(|&(on, off)| !found.iter().any(|&(a, b)| on <= b && off >= a))
        .collect();
    if !unlisted.is_empty() {
        eprintln!(
            "note: {}: {} decided closure(s) with no frames on disk: {unlisted:?}",
            dir.display(),
            unlisted.len()
        );
    }
    found.extend(unlisted);
    Ok(found)
}

fn read_frames(dir: &Path) -> Result<Vec<KeptFrame>> {
    let path = dir.join("frames.csv");
    read_csv_rows(&path)?
        .iter()
        .map(|r| {
            Ok(KeptFrame {
                t_ms: r[0].parse()?,
                clip: r[1].parse()?,
            })
        })
        .collect()
}

fn read_toml(dir: &Path) -> Result<toml::Value> {
    let path = dir.join("session.toml");
    let text = fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{}", path.display()))
}

fn number(v: &toml::Value, path: &[&str]) -> Option<f64> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

fn text<'a>(v: &'a toml::Value, path: &[&str]) -> &'a str {
    let mut v = Some(v);
    for key in path {
        v = v.and_then(|v| v.get(key));
    }
    v.and_then(|v| v.as_str()).unwrap_or("")
}

/// The one session folder in `dir` (or `dir` itself).
fn session_in(dir: &Path) -> Result<PathBuf> {
    if dir.join("session.toml").exists() {
        return Ok(dir.to_path_buf());
    }
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("{}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("session.toml").exists())
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => bail!("{}: expected one session folder, found {n}", dir.display()),
    }
}

/// Collects "ok"/"FAIL" lines.
struct Report {
    failed: usize,
}

impl Report {
    fn line(&mut self, ok: bool, what: &str, detail: String) {
        println!("{} {what:<10} {detail}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failed += 1;
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let vm = session_in(&args.session)?;
    let sim = session_in(&args.sim_session)?;
    let trace = read_trace(&args.trace)?;
    let labels = read_labels(&args.labels)?;
    let info = read_toml(&vm)?;
    let mut report = Report { failed: 0 };

    // The session came from the real devices, and they did not fail.
    let emg_dev = text(&info, &["devices", "emg"]);
    let cam_dev = text(&info, &["devices", "camera"]);
    report.line(
        emg_dev.contains("ADS1115") && cam_dev.contains("V4L2"),
        "devices",
        format!("emg: {emg_dev}; camera: {cam_dev}"),
    );
    let errors = ["adc_errors", "camera_errors", "samples_dropped"]
        .map(|k| (k, number(&info, &["stats", k]).unwrap_or(f64::NAN)));
    report.line(
        errors.iter().all(|(_, v)| *v == 0.0),
        "errors",
        format!("{errors:?}"),
    );

    // ADC: the readings are the trace's values.
    let emg = read_trace(vm.join("emg.csv"))?;
    let a = align(&emg, &trace, 5000.0, 5.0);
    let mut distinct: Vec<i32> = emg.iter().map(|s| s.emg).collect();
    distinct.sort_unstable();
    distinct.dedup();
    report.line(
        a.total >= 100 && a.matched as f64 >= 0.9 * a.total as f64 && distinct.len() >= 10,
        "adc",
        format!(
            "{} of {} readings are the trace's values (trace time = session time {:+.0} ms); {} distinct values",
            a.matched,
            a.total,
            a.offset_ms,
            distinct.len()
        ),
    );

    // Camera: clips hold as many decodable vivid frames as frames.csv says.
    let frames = read_frames(&vm)?;
    let blinks = read_blinks(&vm)?;
    let size = text(&info, &["devices", "camera_mode"])
        .split_whitespace()
        .next()
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    let mut clips: Vec<u32> = frames.iter().map(|f| f.clip).collect();
    clips.dedup();
    let (mut decoded, mut bars, mut problems) = (0, 0, Vec::new());
    for clip in &clips {
        let path = vm
            .join("clips")
            .join(augenblick::session::clip_file_name(*clip));
        let data = fs::read(&path).with_context(|| format!("{}", path.display()))?;
        let (ranges, tail) = mjpeg::split(&data);
        let listed = frames.iter().filter(|f| f.clip == *clip).count();
        if ranges.len() != listed || tail != mjpeg::Tail::Clean {
            problems.push(format!(
                "clip {clip}: {} JPEGs ({tail:?}), frames.csv lists {listed}",
                ranges.len()
            ));
        }
        for r in ranges {
            match image::load_from_memory(&data[r]) {
                Ok(img) => {
                    let img = img.to_rgb8();
                    if Some(img.dimensions()) != size {
                        problems.push(format!("clip {clip}: a frame is {:?}", img.dimensions()));
                    }
                    decoded += 1;
                    bars += usize::from(shows_vivid_bars(&img));
                }
                Err(e) => problems.push(format!("clip {clip}: a frame does not decode: {e}")),
            }
        }
    }
    report.line(
        decoded > 0 && bars == decoded && problems.is_empty(),
        "camera",
        format!(
            "{decoded} frames in {} clips decode at {size:?}, {bars} show vivid's colour bars{}",
            clips.len(),
            if problems.is_empty() {
                String::new()
            } else {
                format!("; {}", problems.join("; "))
            }
        ),
    );

    // Recording: frames only in their closure's window.
    let pre = number(&info, &["config", "recording", "pre_roll_ms"]).unwrap_or(0.0);
    let post = number(&info, &["config", "recording", "post_roll_ms"]).unwrap_or(0.0);
    let outside = frames_outside(&frames, &blinks, pre, post);
    let empty: Vec<&Blink> = blinks.iter().filter(|b| b.frames == 0).collect();
    report.line(
        outside.is_empty() && empty.is_empty() && !frames.is_empty(),
        "windows",
        format!(
            "{} frames kept for {} closures; outside their window (pre {pre} ms, post {post} ms): {outside:?}; closures without frames: {}",
            frames.len(),
            blinks.len(),
            empty.len()
        ),
    );

    // Detection: as good as the simulated run, on the labels both saw after
    // calibrating (the VM session starts later in the trace).
    let calibration = number(&info, &["config", "detector", "calibration_ms"]).unwrap_or(0.0);
    let vm_from = emg.first().map_or(0.0, |s| s.t_ms) + a.offset_ms;
    let vm_to = emg.last().map_or(0.0, |s| s.t_ms) + a.offset_ms;
    let from = vm_from.max(trace[0].t_ms) + calibration;
    let to = vm_to.min(trace[trace.len() - 1].t_ms);
    let vm_found: Vec<(f64, f64)> = found_closures(&vm, &blinks)?
        .iter()
        .map(|&(on, off)| (on + a.offset_ms, off + a.offset_ms))
        .collect();
    let sim_found = found_closures(&sim, &read_blinks(&sim)?)?;
    // A sample period of slack: the VM samples at its own moments.
    let vm_score = score(&vm_found, &labels, from, to, 100.0);
    let sim_score = score(&sim_found, &labels, from, to, 100.0);
    report.line(
        vm_score.hits > 0
            && vm_score.hits + 1 >= sim_score.hits
            && vm_score.false_alarms <= sim_score.false_alarms + 1,
        "blinks",
        format!(
            "labels in trace time {from:.0}..{to:.0} ms: VM {vm_score:?}, simulated {sim_score:?}"
        ),
    );

    if report.failed > 0 {
        bail!(
            "{} check(s) of the VM's session failed ({})",
            report.failed,
            vm.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(pairs: &[(f64, i32)]) -> Vec<Sample> {
        pairs
            .iter()
            .map(|&(t_ms, emg)| Sample { t_ms, emg })
            .collect()
    }

    #[test]
    fn alignment_finds_the_feeders_offset() {
        // A trace at 40 ms, values all different; the session read it 500 ms
        // late on its own clock and 10 ms after each write.
        let trace: Vec<Sample> = (0..200)
            .map(|i| Sample {
                t_ms: i as f64 * 40.0,
                emg: 1000 + i * 7,
            })
            .collect();
        let session: Vec<Sample> = (0..150)
            .map(|i| Sample {
                t_ms: 510.0 + i as f64 * 40.0,
                emg: 1000 + i * 7,
            })
            .collect();
        let a = align(&session, &trace, 2000.0, 5.0);
        assert_eq!(a.matched, 150);
        assert!((a.offset_ms + 500.0).abs() <= 40.0, "{a:?}");
    }

    #[test]
    fn readings_that_are_not_the_trace_do_not_align() {
        let trace = samples(&[(0.0, 1), (40.0, 2), (80.0, 3)]);
        let session = samples(&[(0.0, 7), (40.0, 8), (80.0, 9)]);
        assert_eq!(align(&session, &trace, 200.0, 5.0).matched, 0);
    }

    #[test]
    fn frames_outside_their_closure_window_are_found() {
        let blinks = [Blink {
            onset_ms: 1000.0,
            offset_ms: 1200.0,
            clip: 1,
            frames: 2,
        }];
        let frames = [
            KeptFrame {
                t_ms: 950.0,
                clip: 1,
            }, // pre-roll
            KeptFrame {
                t_ms: 1290.0,
                clip: 1,
            }, // post-roll
            KeptFrame {
                t_ms: 1400.0,
                clip: 1,
            }, // too late
            KeptFrame {
                t_ms: 1100.0,
                clip: 2,
            }, // no such closure
        ];
        let out = frames_outside(&frames, &blinks, 100.0, 100.0);
        assert_eq!(out, vec![frames[2], frames[3]]);
    }

    #[test]
    fn scoring_counts_hits_misses_and_false_alarms_in_the_window() {
        let labels = [
            Label {
                onset_ms: 1000.0,
                offset_ms: 1200.0,
            },
            Label {
                onset_ms: 3000.0,
                offset_ms: 3200.0,
            },
            Label {
                onset_ms: 9000.0,
                offset_ms: 9200.0,
            }, // outside the window
        ];
        let found = [(1050.0, 1250.0), (5000.0, 5100.0), (1100.0, 1150.0)];
        let s = score(&found, &labels, 0.0, 8000.0, 100.0);
        assert_eq!(
            s,
            Score {
                hits: 1,
                missed: 1,
                false_alarms: 2
            }
        );
    }

    #[test]
    fn decided_closures_are_read_from_the_state_column() {
        let rows = [
            (0.0, "calibrating"),
            (40.0, "open"),
            (80.0, "rising"),
            (120.0, "closed"),
            (160.0, "closed"),
            (200.0, "refractory"), // decided: 80..160
            (240.0, "open"),
            (280.0, "rising"),
            (320.0, "open"), // taken back
            (360.0, "closed"),
            (400.0, "fault"), // a fault ends it
            (440.0, "refractory"),
            (480.0, "rising"),
            (520.0, "refractory"), // decided: 480..480
        ];
        assert_eq!(
            closures_in_states(rows.into_iter()),
            vec![(80.0, 160.0), (480.0, 480.0)]
        );
    }

    #[test]
    fn vivid_bars_are_recognised_and_a_grey_frame_is_not() {
        let bars = image::RgbImage::from_fn(640, 480, |x, _| {
            let [r, g, b] = VIVID_BARS[(x / 80) as usize];
            image::Rgb([r, g, b].map(|on| if on { 191 } else { 16 }))
        });
        assert!(shows_vivid_bars(&bars));
        let grey = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
        assert!(!shows_vivid_bars(&grey));
        // U and V swapped turn yellow into something else.
        let swapped = image::RgbImage::from_fn(640, 480, |x, _| {
            let [r, g, b] = VIVID_BARS[(x / 80) as usize];
            image::Rgb([b, g, r].map(|on| if on { 191 } else { 16 }))
        });
        assert!(!shows_vivid_bars(&swapped));
    }
}

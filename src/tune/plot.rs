//! Plots of a trace as the detector saw it: the envelope, the detector's
//! baseline and on/off thresholds, its detections, the labels and faults.
//!
//! PNG or SVG, chosen by the file's extension. Long windows are drawn as a
//! min/max envelope per pixel column, so a whole day stays a readable
//! picture and a small file.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::detector::{BlinkDetector, Closure, ConfigError, DetectorConfig, Event, FaultKind};
use crate::trace::{Label, Sample};

use super::metrics::Score;

/// Why a plot could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("{path}: plots are PNG or SVG; name the file `.png` or `.svg`")]
    Format { path: PathBuf },
    #[error("{path}: cannot draw: {message}")]
    Draw { path: PathBuf, message: String },
    #[error("{path}: cannot create the folder: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("nothing to draw between {from_ms} ms and {to_ms} ms: the trace has no samples there")]
    EmptyWindow { from_ms: f64, to_ms: f64 },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// One sample with what the detector believed right after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub t_ms: f64,
    pub emg: f64,
    pub baseline: f64,
    pub on_threshold: f64,
    pub off_threshold: f64,
}

/// A fault the detector reported, as an interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpan {
    pub kind: FaultKind,
    pub start_ms: f64,
    pub end_ms: f64,
}

/// Everything a plot shows, for one run of one config over one trace.
#[derive(Debug, Clone)]
pub struct View {
    pub rows: Vec<Row>,
    pub closures: Vec<Closure>,
    pub labels: Vec<Label>,
    pub faults: Vec<FaultSpan>,
}

impl View {
    /// Replays the trace, keeping the detector's snapshot after each sample.
    pub fn record(
        cfg: &DetectorConfig,
        samples: &[Sample],
        labels: &[Label],
    ) -> Result<View, ConfigError> {
        let mut d = BlinkDetector::new(cfg.clone())?;
        let mut rows = Vec::with_capacity(samples.len());
        let mut closures = Vec::new();
        let mut faults = Vec::new();
        let mut open_fault: Option<(FaultKind, f64)> = None;
        let mut handle = |e: Event, closures: &mut Vec<Closure>| match e {
            Event::Closure(c) => closures.push(c),
            Event::FaultStart { kind, t_ms } => open_fault = Some((kind, t_ms)),
            Event::FaultEnd { kind, t_ms } => {
                let start_ms = open_fault.take().map_or(t_ms, |(_, s)| s);
                faults.push(FaultSpan {
                    kind,
                    start_ms,
                    end_ms: t_ms,
                });
            }
            Event::Onset { .. }
            | Event::Tentative(_)
            | Event::Retracted { .. }
            | Event::Pause { .. }
            | Event::Resume { .. } => {}
        };
        for s in samples {
            d.push(s.t_ms, s.emg);
            while let Some(e) = d.poll() {
                handle(e, &mut closures);
            }
            let snap = d.snapshot();
            rows.push(Row {
                t_ms: s.t_ms,
                emg: s.emg as f64,
                baseline: snap.baseline,
                on_threshold: snap.on_threshold,
                off_threshold: snap.off_threshold,
            });
        }
        d.finish();
        while let Some(e) = d.poll() {
            handle(e, &mut closures);
        }

        if let (Some((kind, start_ms)), Some(last)) = (open_fault, samples.last()) {
            faults.push(FaultSpan {
                kind,
                start_ms,
                end_ms: last.t_ms,
            });
        }
        Ok(View {
            rows,
            closures,
            labels: labels.to_vec(),
            faults,
        })
    }

    /// First to last sample, in ms.
    pub fn span_ms(&self) -> (f64, f64) {
        match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) => (a.t_ms, b.t_ms),
            _ => (0.0, 0.0),
        }
    }
}

/// Image size and title of one plot.
#[derive(Debug, Clone)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub title: String,
    /// An interval to outline (the mistake an error plot is about), in ms.
    pub highlight: Option<(f64, f64)>,
}

/// Whether `path` names a file [`draw`] can write (`.png` or `.svg`): to
/// ask before hours of work, not after.
pub fn check_path(path: &Path) -> Result<(), PlotError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png" | "svg") => Ok(()),
        _ => Err(PlotError::Format {
            path: path.to_path_buf(),
        }),
    }
}

/// Draws the part of `view` between `from_ms` and `to_ms` into `path`
/// (`.png` or `.svg`).
pub fn draw(
    path: &Path,
    view: &View,
    from_ms: f64,
    to_ms: f64,
    frame: &Frame,
) -> Result<(), PlotError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let draw_err = |e: String| PlotError::Draw {
        path: path.to_path_buf(),
        message: e,
    };
    let size = (frame.width, frame.height);
    // Before any backend exists: a bitmap backend writes its file when dropped.
    let lo = view.rows.partition_point(|r| r.t_ms < from_ms);
    let hi = view.rows.partition_point(|r| r.t_ms <= to_ms);
    if lo >= hi {
        return Err(PlotError::EmptyWindow { from_ms, to_ms });
    }
    let rows = &view.rows[lo..hi];
    match ext.as_deref() {
        Some("png") => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw_rows(&root, view, rows, from_ms, to_ms, frame)
                .map_err(|e| draw_err(e.to_string()))?;
            root.present().map_err(|e| draw_err(e.to_string()))
        }
        Some("svg") => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw_rows(&root, view, rows, from_ms, to_ms, frame)
                .map_err(|e| draw_err(e.to_string()))?;
            root.present().map_err(|e| draw_err(e.to_string()))
        }
        _ => Err(PlotError::Format {
            path: path.to_path_buf(),
        }),
    }
}

const EMG: RGBColor = RGBColor(40, 40, 40);
const BASELINE: RGBColor = RGBColor(30, 100, 200);
const ON: RGBColor = RGBColor(210, 40, 40);
const OFF: RGBColor = RGBColor(230, 140, 20);
const LABEL: RGBColor = RGBColor(40, 170, 80);
const DETECTION: RGBColor = RGBColor(240, 130, 0);
const DECISION: RGBColor = RGBColor(200, 0, 0);
const FAULT: RGBColor = RGBColor(120, 120, 120);
const HIGHLIGHT: RGBColor = RGBColor(150, 0, 200);

/// Time either side of a fault kept out of the vertical range.
const FAULT_MARGIN_MS: f64 = 1000.0;

/// Most points drawn per series; more are folded into min/max per column.
const MAX_POINTS: usize = 4000;

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_rows<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    view: &View,
    rows: &[Row],
    from_ms: f64,
    to_ms: f64,
    frame: &Frame,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let (area, legend) = root.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    draw_legend(&legend, !view.labels.is_empty())?;
    let (x0, x1) = (
        from_ms / 1000.0,
        (to_ms / 1000.0).max(from_ms / 1000.0 + 0.001),
    );
    // The vertical range follows the trustworthy signal: a railed pad would
    // squash everything else flat. Inside faults the line runs off the chart
    // and the fault band says why.
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for skip_faults in [true, false] {
        // Faults come in time order, as do rows: one walk over both.
        let mut f = 0;
        for r in rows {
            // A fault is declared some time after it starts (rail_ms and
            // the like); a margin keeps its first samples out too.
            while f < view.faults.len() && view.faults[f].end_ms + FAULT_MARGIN_MS < r.t_ms {
                f += 1;
            }
            if skip_faults
                && view
                    .faults
                    .get(f)
                    .is_some_and(|x| x.start_ms - FAULT_MARGIN_MS <= r.t_ms)
            {
                continue;
            }
            for v in [r.emg, r.baseline, r.on_threshold, r.off_threshold] {
                if v.is_finite() {
                    y0 = y0.min(v);
                    y1 = y1.max(v);
                }
            }
        }
        if y0 <= y1 {
            break;
        }
    }
    if y0 > y1 {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.08).max(1.0);
    // Room at the top for the detection band, at the bottom for faults.
    let (y0, y1) = (y0 - pad, y1 + 2.0 * pad);
    let band = pad * 0.8;

    let long = x1 - x0 > 3600.0;
    let x_fmt = move |s: &f64| {
        if long {
            let t = s.max(0.0) as u64;
            format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
        } else {
            format!("{s}")
        }
    };
    let mut chart = ChartBuilder::on(&area)
        .caption(&frame.title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(if long { "time (h:mm:ss)" } else { "time (s)" })
        .y_desc("EMG (ADC counts)")
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|v: &f64| format!("{v:.0}"))
        .x_labels(12)
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;

    let visible = |a: f64, b: f64| b / 1000.0 >= x0 && a / 1000.0 <= x1;
    let clip = |t: f64| (t / 1000.0).clamp(x0, x1);

    // Labels: the truth, full height, pale green.
    chart.draw_series(
        view.labels
            .iter()
            .filter(|l| visible(l.onset_ms, l.offset_ms))
            .map(|l| {
                Rectangle::new(
                    [(clip(l.onset_ms), y0), (clip(l.offset_ms), y1)],
                    LABEL.mix(0.18).filled(),
                )
            }),
    )?;
    // Faults: a grey band along the bottom.
    chart.draw_series(
        view.faults
            .iter()
            .filter(|f| visible(f.start_ms, f.end_ms))
            .map(|f| {
                Rectangle::new(
                    [(clip(f.start_ms), y0), (clip(f.end_ms), y0 + band)],
                    FAULT.mix(0.6).filled(),
                )
            }),
    )?;

    // The envelope and the detector's levels.
    // Values off the chart (inside faults) are pinned to its edge: plotters
    // would draw them over the axes.
    let series = |f: fn(&Row) -> f64| {
        let mut pts = decimate(rows, f, x0, x1);
        for p in &mut pts {
            p.1 = if p.1.is_finite() {
                p.1.clamp(y0, y1)
            } else {
                y0
            };
        }
        // Repeated points make zero-length segments, which plotters draws
        // as spikes off the chart when the stroke is wider than a pixel.
        pts.dedup();
        pts
    };
    chart.draw_series(LineSeries::new(series(|r| r.emg), EMG.stroke_width(1)))?;
    chart.draw_series(LineSeries::new(
        series(|r| r.baseline),
        BASELINE.stroke_width(1),
    ))?;
    chart.draw_series(LineSeries::new(
        series(|r| r.on_threshold),
        ON.stroke_width(1),
    ))?;
    chart.draw_series(LineSeries::new(
        series(|r| r.off_threshold),
        OFF.stroke_width(1),
    ))?;

    if let Some((a, b)) = frame.highlight.filter(|(a, b)| visible(*a, *b)) {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(clip(a) - 0.02, y0), (clip(b) + 0.02, y1)],
            HIGHLIGHT.stroke_width(2),
        )))?;
    }

    // Detections: a band across the top from onset to offset, and a mark
    // where the detector decided.
    let shown: Vec<&Closure> = view
        .closures
        .iter()
        .filter(|c| visible(c.onset_ms, c.offset_ms))
        .collect();
    chart.draw_series(shown.iter().map(|c| {
        Rectangle::new(
            [(clip(c.onset_ms), y1 - band), (clip(c.offset_ms), y1)],
            DETECTION.mix(0.8).filled(),
        )
    }))?;
    chart.draw_series(
        shown
            .iter()
            .filter(|c| c.detected_ms / 1000.0 >= x0 && c.detected_ms / 1000.0 <= x1)
            .map(|c| {
                PathElement::new(
                    [
                        (c.detected_ms / 1000.0, y1 - 2.5 * band),
                        (c.detected_ms / 1000.0, y1),
                    ],
                    DECISION.stroke_width(2),
                )
            }),
    )?;

    Ok(())
}

/// Width of the legend panel right of the chart, in pixels.
const LEGEND_WIDTH: u32 = 210;

/// The legend in its own panel, so it never hides the signal. Labels have
/// a key only where there are some (`detect --plot` draws none).
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labelled: bool,
) -> DrawResult<DB> {
    enum Key {
        Line(RGBColor),
        Fill(RGBAColor),
        Tick(RGBColor),
    }
    let keys = [
        ("EMG envelope", Key::Line(EMG)),
        ("baseline", Key::Line(BASELINE)),
        ("on threshold", Key::Line(ON)),
        ("off threshold", Key::Line(OFF)),
        ("label (eye closed)", Key::Fill(LABEL.mix(0.3))),
        ("detection (onset-offset)", Key::Fill(DETECTION.mix(0.8))),
        ("decision (detected_ms)", Key::Tick(DECISION)),
        ("fault", Key::Fill(FAULT.mix(0.6))),
    ];
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    let keys = keys
        .iter()
        .filter(|(text, _)| labelled || !text.starts_with("label"));
    for (i, (text, key)) in keys.enumerate() {
        let y = 50 + 22 * i as i32;
        let x = 8;
        match key {
            Key::Line(c) => {
                area.draw(&PathElement::new([(x, y), (x + 22, y)], c.stroke_width(2)))?
            }
            Key::Fill(c) => {
                area.draw(&Rectangle::new([(x, y - 6), (x + 22, y + 6)], c.filled()))?
            }
            Key::Tick(c) => area.draw(&PathElement::new(
                [(x + 11, y - 8), (x + 11, y + 8)],
                c.stroke_width(2),
            ))?,
        }
        area.draw(&Text::new(*text, (x + 30, y - 7), font.clone()))?;
    }
    Ok(())
}

/// Points of one series in seconds; above [`MAX_POINTS`], each column of
/// the window keeps its first, lowest, highest and last value, so spikes
/// stay visible however long the window.
fn decimate(rows: &[Row], f: fn(&Row) -> f64, x0: f64, x1: f64) -> Vec<(f64, f64)> {
    let point = |r: &Row| (r.t_ms / 1000.0, f(r));
    if rows.len() <= MAX_POINTS {
        return rows.iter().map(point).collect();
    }
    let columns = MAX_POINTS / 4;
    let width = (x1 - x0) / columns as f64;
    let mut out = Vec::with_capacity(MAX_POINTS);
    let mut start = 0;
    while start < rows.len() {
        let col = ((rows[start].t_ms / 1000.0 - x0) / width).floor();
        let end_t = (x0 + (col + 1.0) * width) * 1000.0;
        let end = start + rows[start..].partition_point(|r| r.t_ms < end_t).max(1);
        let chunk = &rows[start..end];
        let (mut lo, mut hi) = (&chunk[0], &chunk[0]);
        for r in chunk {
            if f(r) < f(lo) {
                lo = r;
            }
            if f(r) > f(hi) {
                hi = r;
            }
        }
        let (a, b) = if lo.t_ms <= hi.t_ms {
            (lo, hi)
        } else {
            (hi, lo)
        };
        out.extend([
            point(&chunk[0]),
            point(a),
            point(b),
            point(&chunk[chunk.len() - 1]),
        ]);
        start = end;
    }
    out
}

/// What went wrong at one place in a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    FalsePositive,
    Miss,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::FalsePositive => "false-positive",
            ErrorKind::Miss => "miss",
        }
    }
}

/// Context shown either side of an error, in ms.
pub const ERROR_CONTEXT_MS: f64 = 2000.0;

/// Writes one small PNG per false positive and per miss of `score` into
/// `dir`, named by time and kind (`t000123.400s-miss.png`), so a folder
/// listing reads as a timeline. Returns the files written.
pub fn draw_errors(
    dir: &Path,
    view: &View,
    score: &Score,
    trace_name: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut errors: Vec<(ErrorKind, f64, f64)> = Vec::new();
    for &i in &score.false_positive_list {
        if let Some(c) = view.closures.get(i) {
            errors.push((ErrorKind::FalsePositive, c.onset_ms, c.offset_ms));
        }
    }
    for &i in &score.missed {
        if let Some(l) = view.labels.get(i) {
            errors.push((ErrorKind::Miss, l.onset_ms, l.offset_ms));
        }
    }
    errors.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut written = Vec::with_capacity(errors.len());
    for (kind, a, b) in errors {
        let path = dir.join(format!("t{:010.3}s-{}.png", a / 1000.0, kind.as_str()));
        let frame = Frame {
            width: 900,
            height: 420,
            title: format!(
                "{trace_name}: {} at {:.3} s ({:.0} ms)",
                kind.as_str().replace('-', " "),
                a / 1000.0,
                b - a
            ),
            highlight: Some((a, b)),
        };
        match draw(
            &path,
            view,
            a - ERROR_CONTEXT_MS,
            b + ERROR_CONTEXT_MS,
            &frame,
        ) {
            // A window that falls outside the samples (a label past the
            // end of the trace) has nothing to show; skip it.
            Err(PlotError::EmptyWindow { .. }) => continue,
            other => other?,
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<Row> {
        (0..n)
            .map(|i| Row {
                t_ms: i as f64 * 40.0,
                emg: if i == n / 2 { 1000.0 } else { (i % 5) as f64 },
                baseline: 2.0,
                on_threshold: 10.0,
                off_threshold: 5.0,
            })
            .collect()
    }

    #[test]
    fn decimation_keeps_spikes_and_bounds_points() {
        let r = rows(100_000);
        let (x0, x1) = (0.0, r.last().unwrap().t_ms / 1000.0);
        let pts = decimate(&r, |r| r.emg, x0, x1);
        assert!(pts.len() <= MAX_POINTS + 4, "{} points", pts.len());
        assert!(pts.iter().any(|p| p.1 == 1000.0), "the spike is kept");
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0), "time order");
        // Short windows are drawn as they are.
        assert_eq!(decimate(&r[..100], |r| r.emg, x0, x1).len(), 100);
    }

    #[test]
    fn unknown_extensions_are_refused() {
        let view = View {
            rows: rows(10),
            closures: vec![],
            labels: vec![],
            faults: vec![],
        };
        let frame = Frame {
            width: 100,
            height: 100,
            title: String::new(),
            highlight: None,
        };
        let e = draw(Path::new("x.jpg"), &view, 0.0, 1000.0, &frame).unwrap_err();
        assert!(e.to_string().contains("`.png` or `.svg`"));
        let e = draw(Path::new("x.png"), &view, 1e9, 2e9, &frame).unwrap_err();
        assert!(matches!(e, PlotError::EmptyWindow { .. }));
    }
}

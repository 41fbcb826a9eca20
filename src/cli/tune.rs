//! `augenblick tune`: score the detector against labels, sweep its
//! parameters, draw what it saw.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::detector::DetectorConfig;
use crate::trace::{median_interval_ms, read_labels, read_trace};
use crate::tune::metrics::{score, Score, ScoreOptions};
use crate::tune::plot::{self, Frame, View};
use crate::tune::sweep::{
    self, axes_from_toml, rank, run_sweep, Axis, Dataset, Evaluation, Grid, Mistakes, Objective,
    Outcome,
};

/// Score the detector against labels, sweep its parameters, draw plots.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Traces are CSV files with columns `t_ms` and `emg`; labels are CSV files with
`onset_ms,offset_ms`. A folder stands for every `trace.csv` with a `labels.csv`
beside it, in it or one level down (what `augenblick synth --scenario all` writes).

Examples:
  # How does the default config do on one trace?
  augenblick tune calm/trace.csv --labels calm/labels.csv
  # ... on every scenario, as JSON
  augenblick tune scenarios/ --json
  # Search a grid, keep the config whose worst scenario is best
  augenblick tune scenarios/ --sweep on_sigma=4:8:0.5 --sweep closure_sigma=4.5,5.5,6.5 \\
      --write-best best.toml
  # The same grid from a file: on_sigma = \"4:8:0.5\", closure_sigma = [4.5, 5.5, 6.5]
  augenblick tune scenarios/ --sweep-file sweep.toml --top 5
  # Look at seconds 60 to 90, and at every mistake
  augenblick tune calm/trace.csv --labels calm/labels.csv --config best.toml \\
      --plot calm.png --from-ms 60000 --to-ms 90000 --plot-errors mistakes/
  # Each false positive and miss by time, after the table
  augenblick tune calm/trace.csv --labels calm/labels.csv --mistakes")]
pub struct Args {
    /// Trace files, or folders of `trace.csv` + `labels.csv` pairs.
    #[arg(value_name = "TRACE")]
    pub traces: Vec<PathBuf>,
    /// More traces (the same as giving them as arguments).
    #[arg(long = "trace", value_name = "TRACE")]
    pub more_traces: Vec<PathBuf>,
    /// Labels for the trace files, in the same order. A trace file without
    /// one uses `labels.csv` (or `NAME.labels.csv`) beside it.
    #[arg(long, short, value_name = "LABELS")]
    pub labels: Vec<PathBuf>,
    /// Detector config (TOML); the defaults otherwise. A sweep varies it.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Sweep a parameter: NAME=START:STOP:STEP (STOP included) or
    /// NAME=A,B,C. Repeat for a grid.
    #[arg(long, value_name = "NAME=VALUES")]
    pub sweep: Vec<String>,
    /// Sweep parameters from a TOML file: `on_sigma = "4:8:0.5"`,
    /// `closure_sigma = [4.5, 5.5, 6.5]`, `refractory_ms = { start = 0, stop = 200, step = 50 }`.
    #[arg(long, value_name = "FILE")]
    pub sweep_file: Option<PathBuf>,
    /// How many of the best configs a sweep prints.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = at_least_one)]
    pub top: usize,
    /// What "best" means over several traces: `worst` maximises the lowest
    /// F1 of any trace (no scenario is sacrificed), `mean` the mean F1,
    /// `pooled` the F1 of all traces together. Ties go to the higher pooled
    /// F1, then the lower median latency, then fewer false triggers.
    #[arg(long, value_enum, default_value_t = Objective::Worst)]
    pub objective: Objective,
    /// Write the best config of the sweep as TOML (readable by `detect
    /// --config` and `tune --config`).
    #[arg(long, value_name = "FILE")]
    pub write_best: Option<PathBuf>,
    /// Print JSON on stdout instead of tables. Without a sweep it lists
    /// each trace's mistakes too (`mistakes`: false positives with their
    /// times, peak and score; missed labels).
    #[arg(long)]
    pub json: bool,
    /// After the table, list each trace's mistakes by time: every false
    /// positive (onset, offset, decision, peak) and every missed label.
    /// Without a sweep only.
    #[arg(long, conflicts_with_all = ["sweep", "sweep_file"])]
    pub mistakes: bool,
    /// Draw the trace (PNG or SVG by extension) with the detector's baseline,
    /// thresholds, detections, labels and faults. With several traces, one
    /// file each, named `FILE-TRACENAME.png`. After a sweep, the best config.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub window: PlotWindow,
    /// Write one small PNG per false positive and per miss into DIR.
    #[arg(long, value_name = "DIR")]
    pub plot_errors: Option<PathBuf>,
    /// Frames the appliance keeps before a closure's onset (for coverage).
    #[arg(long, default_value_t = ScoreOptions::default().pre_roll_ms, value_name = "MS")]
    pub pre_roll_ms: f64,
    /// Frames the appliance keeps after a closure's offset (for coverage).
    #[arg(long, default_value_t = ScoreOptions::default().post_roll_ms, value_name = "MS")]
    pub post_roll_ms: f64,
    /// Slack when matching a detection to a label.
    #[arg(long, default_value_t = ScoreOptions::default().match_tolerance_ms, value_name = "MS")]
    pub tolerance_ms: f64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = ScoreOptions {
        pre_roll_ms: args.pre_roll_ms,
        post_roll_ms: args.post_roll_ms,
        match_tolerance_ms: args.tolerance_ms,
    };
    for (name, v) in [
        ("--pre-roll-ms", opts.pre_roll_ms),
        ("--post-roll-ms", opts.post_roll_ms),
        ("--tolerance-ms", opts.match_tolerance_ms),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            bail!("{name} {v}: give a number of milliseconds, 0 or more");
        }
    }
    // Mistakes in the plot's arguments are told now, not after the scoring.
    check_plot_args(args.plot.as_deref(), args.window)?;
    let base = super::detect::load_config(args.config.as_deref())?;
    let mut axes = Vec::new();
    if let Some(path) = &args.sweep_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the sweep file {}", path.display()))?;
        axes.extend(axes_from_toml(path, &text)?);
    }
    for spec in &args.sweep {
        axes.push(Axis::parse(spec)?);
    }
    if axes.is_empty() && args.write_best.is_some() {
        bail!("--write-best needs a sweep: add --sweep NAME=VALUES or --sweep-file FILE");
    }

    let pairs = pair_traces(&args)?;
    let datasets = load(&pairs)?;

    let config = if axes.is_empty() {
        let (e, mistakes) = sweep::evaluate_with_mistakes(&base, &datasets, &opts)?;
        if args.json {
            print_json(&JsonRun {
                config: &base,
                traces: names(&datasets),
                evaluation: &e,
                mistakes: datasets
                    .iter()
                    .zip(&mistakes)
                    .map(|(d, m)| JsonMistakes {
                        trace: &d.name,
                        mistakes: m,
                    })
                    .collect(),
            })?;
        } else {
            let mut out = std::io::stdout().lock();
            print_scores(&mut out, &datasets, &e)?;
            if args.mistakes {
                print_mistakes(&mut out, &datasets, &mistakes)?;
            }
        }
        base
    } else {
        run_grid(&args, base, axes, &datasets, &opts)?
            .candidate
            .config
    };

    if args.plot.is_some() || args.plot_errors.is_some() {
        draw_plots(&args, &config, &datasets, &opts)?;
    }
    Ok(())
}

/// A trace file and its labels.
struct Pair {
    name: String,
    trace: PathBuf,
    labels: PathBuf,
}

/// Resolves the arguments into (trace, labels) pairs.
fn pair_traces(args: &Args) -> anyhow::Result<Vec<Pair>> {
    let all: Vec<&PathBuf> = args.traces.iter().chain(&args.more_traces).collect();
    if all.is_empty() {
        bail!("no trace given: name a trace file (with --labels) or a folder of trace.csv + labels.csv pairs");
    }
    let files = all.iter().filter(|p| !p.is_dir()).count();
    if !args.labels.is_empty() && args.labels.len() != files {
        bail!(
            "{} --labels for {} trace file(s): give one --labels per trace file, in the same order, or none to use labels.csv beside each trace",
            args.labels.len(),
            files
        );
    }
    let mut explicit = args.labels.iter();
    let mut pairs = Vec::new();
    for path in all {
        if path.is_dir() {
            let found = find_pairs(path)
                .with_context(|| format!("cannot list the folder {}", path.display()))?;
            if found.is_empty() {
                // A session's folder: its trace has no labels to score against.
                let session = if path.join("emg.csv").is_file() {
                    format!(
                        "; a session's emg.csv has no labels: `augenblick detect {} --plot FILE` \
                         draws what the detector makes of it",
                        path.display()
                    )
                } else {
                    String::new()
                };
                bail!(
                    "{}: no trace.csv with a labels.csv beside it, in the folder or one level down{session}",
                    path.display()
                );
            }
            pairs.extend(found);
            continue;
        }
        let labels = match explicit.next() {
            Some(l) => l.clone(),
            None => sibling_labels(path).with_context(|| {
                format!(
                    "{}: no labels given; add --labels LABELS.csv (or put labels.csv beside the trace)",
                    path.display()
                )
            })?,
        };
        pairs.push(Pair {
            name: trace_name(path),
            trace: path.clone(),
            labels,
        });
    }
    // Names label table rows and plot files: keep them apart.
    for i in 1..pairs.len() {
        if pairs[..i].iter().any(|p| p.name == pairs[i].name) {
            pairs[i].name = format!("{}-{}", pairs[i].name, i + 1);
        }
    }
    Ok(pairs)
}

/// A trace's display name: its folder for `trace.csv`, its stem otherwise.
fn trace_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem == "trace" {
        if let Some(dir) = path
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        {
            return dir;
        }
    }
    stem
}

fn sibling_labels(trace: &Path) -> Option<PathBuf> {
    let dir = trace.parent().unwrap_or(Path::new("."));
    let stem = trace.file_stem()?.to_string_lossy();
    let mut candidates = vec![
        dir.join(format!("{stem}.labels.csv")),
        dir.join(format!("{stem}_labels.csv")),
    ];
    if stem == "trace" {
        candidates.insert(0, dir.join("labels.csv"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// `trace.csv` + `labels.csv` in `dir` and its direct subfolders, by path.
fn find_pairs(dir: &Path) -> std::io::Result<Vec<Pair>> {
    let mut dirs = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs
        .into_iter()
        .filter(|d| d.join("trace.csv").is_file() && d.join("labels.csv").is_file())
        .map(|d| Pair {
            name: trace_name(&d.join("trace.csv")),
            trace: d.join("trace.csv"),
            labels: d.join("labels.csv"),
        })
        .collect())
}

/// Reads every trace and its labels into memory, in parallel.
fn load(pairs: &[Pair]) -> anyhow::Result<Vec<Dataset>> {
    pairs
        .par_iter()
        .map(|p| {
            let samples = read_trace(&p.trace).context("cannot load the trace")?;
            if samples.is_empty() {
                bail!("{}: the trace has no samples", p.trace.display());
            }
            let labels = read_labels(&p.labels).context("cannot load the labels")?;
            if let Some(text) = labels_off_the_trace(&samples, &labels) {
                log::warn!("{}: {text}", p.labels.display());
            }
            if let Some(text) = median_interval_ms(samples.iter().map(|s| s.t_ms))
                .and_then(crate::detector::slow_rate_warning)
            {
                log::warn!("{}: {text}", p.trace.display());
            }
            if let Some(top) = clipped_at(&samples) {
                log::warn!(
                    "{}: {}",
                    p.trace.display(),
                    crate::detector::clipped_warning(top)
                );
            }
            Ok(Dataset {
                name: p.name.clone(),
                trace_path: p.trace.clone(),
                samples,
                labels,
            })
        })
        .collect()
}

/// What is odd about labels against their trace, if anything: none at all
/// (every detection then counts as a false positive), or closures outside
/// the trace's time span (most likely the labels of another trace, or of a
/// trace cut short): each is a miss that no config can find.
fn labels_off_the_trace(
    samples: &[crate::trace::Sample],
    labels: &[crate::trace::Label],
) -> Option<String> {
    let (first, last) = (samples.first()?.t_ms, samples.last()?.t_ms);
    if labels.is_empty() {
        return Some(
            "no closures are labelled: every detection counts as a false positive".to_string(),
        );
    }
    let outside: Vec<_> = labels
        .iter()
        .filter(|l| l.onset_ms >= last || l.offset_ms <= first)
        .collect();
    let example = outside.first()?;
    Some(format!(
        "{} of {} labelled closures lie outside the trace ({:.1}-{:.1} s), e.g. {:.0}-{:.0} ms; \
         they count as misses. Are these the labels of this trace?",
        outside.len(),
        labels.len(),
        first / 1000.0,
        last / 1000.0,
        example.onset_ms,
        example.offset_ms,
    ))
}

/// Where the trace's blinks are clipped, as the default detector sees them
/// at the end (see `Placement::clipped_at`): one replay, a few
/// milliseconds an hour of signal.
fn clipped_at(samples: &[crate::trace::Sample]) -> Option<f64> {
    let mut d = crate::detector::BlinkDetector::new(DetectorConfig::default())
        .expect("the default config is valid");
    for s in samples {
        d.push(s.t_ms, s.emg);
        while d.poll().is_some() {}
    }
    d.placement().and_then(|p| p.clipped_at)
}

fn names(datasets: &[Dataset]) -> Vec<&str> {
    datasets.iter().map(|d| d.name.as_str()).collect()
}

fn run_grid(
    args: &Args,
    base: DetectorConfig,
    axes: Vec<Axis>,
    datasets: &[Dataset],
    opts: &ScoreOptions,
) -> anyhow::Result<Outcome> {
    let grid = Grid::new(base, axes)?;
    let (candidates, invalid, why) = grid.candidates();
    if candidates.is_empty() {
        match why {
            Some(e) => bail!("every config of the grid is invalid, e.g. {e}"),
            None => bail!("the grid is empty"),
        }
    }
    if invalid > 0 {
        log::warn!(
            "skipped {invalid} of {} configs that cannot work (e.g. {})",
            grid.len(),
            why.map(|e| e.to_string()).unwrap_or_default()
        );
    }
    let n = candidates.len();
    let samples: usize = datasets.iter().map(|d| d.samples.len()).sum();
    let bar = crate::cli::progress()
        .add(ProgressBar::new(n as u64))
        .with_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {pos}/{len} configs ({per_sec}, {eta} left)",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
    let started = Instant::now();
    let mut outcomes = run_sweep(candidates, datasets, opts, || bar.inc(1))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    log::info!(
        "swept {n} configs over {samples} samples in {secs:.2} s ({:.1} M samples/s)",
        n as f64 * samples as f64 / secs / 1e6
    );
    rank(&mut outcomes, args.objective);
    let top = &outcomes[..args.top.clamp(1, outcomes.len())];
    if args.json {
        print_json(&JsonSweep {
            traces: names(datasets),
            axes: &grid.axes,
            objective: args.objective,
            configs: n,
            invalid,
            seconds: secs,
            samples_per_second: n as f64 * samples as f64 / secs,
            best: top,
        })?;
    } else {
        let mut out = std::io::stdout().lock();
        print_top(&mut out, &grid.axes, datasets.len(), top, args.objective)?;
        writeln!(out,
            "\n{n} configs ({invalid} invalid skipped) over {} trace(s), {samples} samples, in {secs:.1} s ({:.0} M samples/s)",
            datasets.len(),
            n as f64 * samples as f64 / secs / 1e6
        )?;
        writeln!(out, "\nBest config, per trace:")?;
        print_scores(&mut out, datasets, &top[0].evaluation)?;
    }
    let best = top[0].clone();
    if let Some(path) = &args.write_best {
        write_best(path, &best, &grid.axes, datasets, args.objective)?;
        if !args.json {
            writeln!(
                std::io::stdout().lock(),
                "\nwrote the best config to {}",
                path.display()
            )?;
        }
    }
    Ok(best)
}

fn write_best(
    path: &Path,
    best: &Outcome,
    axes: &[Axis],
    datasets: &[Dataset],
    objective: Objective,
) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct File<'a> {
        detector: &'a DetectorConfig,
    }
    let body = toml::to_string(&File {
        detector: &best.candidate.config,
    })
    .context("cannot write the config as TOML")?;
    let e = &best.evaluation;
    let swept: Vec<String> = axes
        .iter()
        .map(|a| format!("{} ({} values)", a.name, a.values.len()))
        .collect();
    let text = format!(
        "# Best detector config of a sweep over {}\n# on {} trace(s): {}\n# objective {:?}: worst F1 {:.4}, mean F1 {:.4}, pooled F1 {:.4}, median latency {}\n{body}",
        swept.join(", "),
        datasets.len(),
        names(datasets).join(", "),
        objective,
        e.worst_f1,
        e.mean_f1,
        e.pooled.f1,
        fmt_ms(e.pooled.latency_median_ms),
    );
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[derive(Serialize)]
struct JsonRun<'a> {
    config: &'a DetectorConfig,
    traces: Vec<&'a str>,
    evaluation: &'a Evaluation,
    mistakes: Vec<JsonMistakes<'a>>,
}

#[derive(Serialize)]
struct JsonMistakes<'a> {
    trace: &'a str,
    #[serde(flatten)]
    mistakes: &'a Mistakes,
}

#[derive(Serialize)]
struct JsonSweep<'a> {
    traces: Vec<&'a str>,
    axes: &'a [Axis],
    objective: Objective,
    configs: usize,
    invalid: usize,
    seconds: f64,
    samples_per_second: f64,
    best: &'a [Outcome],
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.0} ms"))
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// `--top`: a count of configs, 1 or more.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("give a number of configs, 1 or more".into()),
    }
}

/// `1200-1450 ms`.
fn span(from_ms: f64, to_ms: f64) -> String {
    format!("{from_ms:.0}-{to_ms:.0} ms")
}

/// Each trace's false positives and misses, by time.
fn print_mistakes(
    out: &mut impl Write,
    datasets: &[Dataset],
    mistakes: &[Mistakes],
) -> std::io::Result<()> {
    for (d, m) in datasets.iter().zip(mistakes) {
        writeln!(out)?;
        if m.false_positives.is_empty() && m.missed.is_empty() {
            writeln!(out, "{}: no mistakes", d.name)?;
            continue;
        }
        writeln!(
            out,
            "{}: {} false positive(s), {} missed",
            d.name,
            m.false_positives.len(),
            m.missed.len()
        )?;
        let mut lines: Vec<(f64, String)> = m
            .false_positives
            .iter()
            .map(|c| {
                (
                    c.onset_ms,
                    format!(
                        "  false positive {:<22} decided at {:.0} ms, peak {:.0}, score {:.2}",
                        span(c.onset_ms, c.offset_ms),
                        c.detected_ms,
                        c.peak,
                        c.score
                    ),
                )
            })
            .chain(m.missed.iter().map(|l| {
                (
                    l.onset_ms,
                    format!("  missed         {}", span(l.onset_ms, l.offset_ms)),
                )
            }))
            .collect();
        lines.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, line) in lines {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// One row per trace (and a pooled row for several): every figure.
fn print_scores(out: &mut impl Write, datasets: &[Dataset], e: &Evaluation) -> std::io::Result<()> {
    let width = datasets
        .iter()
        .map(|d| d.name.len())
        .max()
        .unwrap_or(5)
        .max(8);
    writeln!(
        out,
        "{:<width$} {:>6} {:>6} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6} {:>8} {:>8} {:>8} {:>7} {:>7}",
        "trace",
        "labels",
        "found",
        "TP",
        "FP",
        "FN",
        "precision",
        "recall",
        "F1",
        "lat med",
        "lat p90",
        "covered",
        "wrong",
        "FP/min"
    )?;
    let row = |out: &mut dyn Write, name: &str, s: &Score| {
        writeln!(
            out,
            "{:<width$} {:>6} {:>6} {:>5} {:>5} {:>5} {:>9.4} {:>7.4} {:>6.4} {:>8} {:>8} {:>8} {:>7} {:>7.2}",
            name,
            s.labels,
            s.detections,
            s.true_positives,
            s.false_positives,
            s.false_negatives,
            s.precision,
            s.recall,
            s.f1,
            fmt_ms(s.latency_median_ms),
            fmt_ms(s.latency_p90_ms),
            pct(s.closed_covered),
            pct(s.wrongly_recorded),
            s.false_per_min
        )
    };
    for (d, s) in datasets.iter().zip(&e.per_trace) {
        row(out, &d.name, s)?;
    }
    if datasets.len() > 1 {
        row(out, "(pooled)", &e.pooled)?;
        writeln!(
            out,
            "worst F1 {:.4}, mean F1 {:.4} over {} traces",
            e.worst_f1,
            e.mean_f1,
            datasets.len()
        )?;
    }
    writeln!(out,
        "\nlat: decision time after the label's onset. covered: closed-eye time inside the recorded windows.\nwrong: share of the trace recorded with the eye open. FP/min: false triggers per minute."
    )?;
    Ok(())
}

fn print_top(
    out: &mut impl Write,
    axes: &[Axis],
    traces: usize,
    top: &[Outcome],
    objective: Objective,
) -> std::io::Result<()> {
    let mut header = format!("{:>4}", "rank");
    for a in axes {
        header += &format!(" {:>w$}", a.name, w = a.name.len().max(6));
    }
    if traces > 1 {
        header += &format!(" {:>8} {:>7}", "worst F1", "mean F1");
    }
    header += &format!(
        " {:>6} {:>9} {:>7} {:>8} {:>8} {:>7} {:>8} {:>7}",
        "F1", "precision", "recall", "lat med", "lat p90", "FP/min", "covered", "wrong"
    );
    writeln!(out, "Best {} configs by {:?} F1:", top.len(), objective)?;
    writeln!(out, "{header}")?;
    for (i, o) in top.iter().enumerate() {
        let e = &o.evaluation;
        let p = &e.pooled;
        let mut line = format!("{:>4}", i + 1);
        for (a, v) in axes.iter().zip(&o.candidate.values) {
            line += &format!(" {:>w$}", v, w = a.name.len().max(6));
        }
        if traces > 1 {
            line += &format!(" {:>8.4} {:>7.4}", e.worst_f1, e.mean_f1);
        }
        line += &format!(
            " {:>6.4} {:>9.4} {:>7.4} {:>8} {:>8} {:>7.2} {:>8} {:>7}",
            p.f1,
            p.precision,
            p.recall,
            fmt_ms(p.latency_median_ms),
            fmt_ms(p.latency_p90_ms),
            p.false_per_min,
            pct(p.closed_covered),
            pct(p.wrongly_recorded)
        );
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn draw_plots(
    args: &Args,
    cfg: &DetectorConfig,
    datasets: &[Dataset],
    opts: &ScoreOptions,
) -> anyhow::Result<()> {
    let several = datasets.len() > 1;
    for d in datasets {
        let view = View::record(cfg, &d.samples, &d.labels)?;
        if let Some(path) = &args.plot {
            let path = if several {
                suffixed(path, &d.name)
            } else {
                path.clone()
            };
            draw_window(&path, &view, &d.name, args.window)?;
        }
        if let Some(dir) = &args.plot_errors {
            let dir = if several {
                dir.join(&d.name)
            } else {
                dir.clone()
            };
            let s = score(&view.closures, &view.labels, d.span_ms(), opts);
            let written = plot::draw_errors(&dir, &view, &s, &d.name)?;
            eprintln!(
                "drew {} error plot(s) ({} false positives, {} misses) in {}",
                written.len(),
                s.false_positives,
                s.false_negatives,
                dir.display()
            );
        }
    }
    Ok(())
}

/// The plotted window of `--plot` (`tune` and `detect`).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct PlotWindow {
    /// Start of the plotted window (ms); the trace's start otherwise.
    #[arg(long, value_name = "MS", requires = "plot")]
    pub from_ms: Option<f64>,
    /// End of the plotted window (ms); the trace's end otherwise.
    #[arg(long, value_name = "MS", requires = "plot")]
    pub to_ms: Option<f64>,
}

/// Refuses a plot file [`plot::draw`] cannot write, or a window that ends
/// before it starts (`--plot`, `--from-ms`, `--to-ms` of `tune` and
/// `detect`): before the trace is read, not after.
pub(super) fn check_plot_args(path: Option<&Path>, window: PlotWindow) -> anyhow::Result<()> {
    if let Some(path) = path {
        plot::check_path(path)?;
    }
    if let (Some(from), Some(to)) = (window.from_ms, window.to_ms) {
        if to <= from {
            bail!("--to-ms {to} must come after --from-ms {from}");
        }
    }
    Ok(())
}

/// Draws `view` into `path` over `window` (the trace's span where not
/// given), titled after the trace `name`.
pub(super) fn draw_window(
    path: &Path,
    view: &View,
    name: &str,
    window: PlotWindow,
) -> anyhow::Result<()> {
    let (start, end) = view.span_ms();
    let from = window.from_ms.unwrap_or(start);
    let to = window.to_ms.unwrap_or(end);
    if to <= from {
        bail!("--to-ms {to} must come after --from-ms {from}");
    }
    let frame = Frame {
        width: 1600,
        height: 560,
        title: format!("{name}: {:.1} s to {:.1} s", from / 1000.0, to / 1000.0),
        highlight: None,
    };
    plot::draw(path, view, from, to, &frame)?;
    eprintln!("drew {}", path.display());
    Ok(())
}

/// `out.png` -> `out-NAME.png`.
fn suffixed(path: &Path, name: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = match path.extension() {
        Some(ext) => format!("{stem}-{name}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{name}"),
    };
    path.with_file_name(file)
}

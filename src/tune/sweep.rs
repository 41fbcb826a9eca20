//! Parameter sweeps: a grid over named detector parameters, every config
//! replayed over traces held in memory, scored and ranked.
//!
//! Configs run in parallel (rayon), in small lockstep groups: configs that
//! agree on the detector's [`FrontKey`] (its window and rail parameters,
//! which a sweep rarely varies) share one [`FrontEnd`]. It prepares a block
//! of samples once, in a buffer that stays in the cache, and every config of
//! the group then runs its decisions over that block before the next is
//! prepared. So the trace streams from memory once per group rather than
//! once per config, and the work that depends on the samples alone is done
//! once per group. The inner loop is `push_prepared`/`poll` and nothing
//! else: no allocation per sample, only closures are collected. Results are
//! bit for bit those of a lone detector fed with `push`.
//!
//! Parameters are named as in [`DetectorConfig::PARAMS`] and read and written
//! through [`DetectorConfig::get`]/[`DetectorConfig::set`], so a parameter the
//! detector gains is sweepable without a change here.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::detector::{
    BlinkDetector, Closure, ConfigError, DetectorConfig, Event, FrontEnd, FrontKey, Prepared,
};
use crate::trace::{Label, Sample};

use super::metrics::{pool, score, Score, ScoreOptions};

/// Grids larger than this are refused: they would run for hours and are
/// almost always a typo in a step.
pub const MAX_CONFIGS: usize = 1_000_000;

/// What is wrong with a sweep specification.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("sweep `{spec}`: {why}; write NAME=START:STOP:STEP (e.g. on_sigma=4:8:0.5) or NAME=A,B,C (e.g. min_closure_ms=20,40,60)")]
    Spec { spec: String, why: String },
    #[error("sweep: {0}")]
    Param(#[from] ConfigError),
    #[error("sweep: parameter `{0}` is swept twice; give all its values in one place")]
    Twice(String),
    #[error("sweep: the grid has {0} configs, more than {max}; use coarser steps or fewer parameters", max = MAX_CONFIGS)]
    TooLarge(u128),
    #[error("{path}: {why}")]
    File { path: PathBuf, why: String },
}

/// One swept parameter and the values it takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    pub name: String,
    pub values: Vec<f64>,
}

impl Axis {
    /// Parses `NAME=START:STOP:STEP` (STOP included), `NAME=A,B,C` or `NAME=V`.
    pub fn parse(spec: &str) -> Result<Axis, SweepError> {
        let bad = |why: &str| SweepError::Spec {
            spec: spec.to_string(),
            why: why.to_string(),
        };
        let (name, values) = spec.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let name = name.trim();
        check_name(name)?;
        let values = parse_values(values).map_err(|why| bad(&why))?;
        Ok(Axis {
            name: name.to_string(),
            values,
        })
    }
}

fn check_name(name: &str) -> Result<(), ConfigError> {
    DetectorConfig::default().set(name, 0.0).map(|_| ())
}

/// Parses `START:STOP:STEP` or `A,B,C` into values.
fn parse_values(raw: &str) -> Result<Vec<f64>, String> {
    let number = |s: &str| -> Result<f64, String> {
        let s = s.trim();
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("`{s}` is not a number")),
        }
    };
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.as_slice() {
        [start, stop, step] => range(number(start)?, number(stop)?, number(step)?),
        [_] => raw.split(',').map(number).collect(),
        _ => Err("a range has three parts, START:STOP:STEP".to_string()),
    }
}

/// `start, start + step, ...` up to and including `stop` (within rounding).
fn range(start: f64, stop: f64, step: f64) -> Result<Vec<f64>, String> {
    if step <= 0.0 {
        return Err(format!("the step must be above 0 (got {step})"));
    }
    if stop < start {
        return Err(format!("STOP {stop} is below START {start}"));
    }
    let n = ((stop - start) / step + 1e-9).floor() + 1.0;
    if n > MAX_CONFIGS as f64 {
        return Err(format!("{n} values; use a larger step"));
    }
    // Multiplying (not adding) keeps 4:8:0.1 free of accumulated error;
    // rounding to 1e-9 hides the rest (0.30000000000000004 -> 0.3).
    Ok((0..n as usize)
        .map(|i| ((start + i as f64 * step) * 1e9).round() / 1e9)
        .collect())
}

/// Reads axes from a TOML sweep file: keys at the top level or in a
/// `[sweep]` table, each a list of numbers, a number, a string spec
/// (`"4:8:0.5"` or `"20,40,60"`), or a table `{ start, stop, step }`.
pub fn axes_from_toml(path: &Path, text: &str) -> Result<Vec<Axis>, SweepError> {
    let file_err = |why: String| SweepError::File {
        path: path.to_path_buf(),
        why,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| file_err(e.to_string()))?;
    let table = match table.get("sweep") {
        Some(toml::Value::Table(t)) => t.clone(),
        _ => table,
    };
    let mut axes = Vec::new();
    for (name, value) in &table {
        check_name(name).map_err(|e| file_err(e.to_string()))?;
        let num = |v: &toml::Value| -> Result<f64, SweepError> {
            match v {
                toml::Value::Integer(i) => Ok(*i as f64),
                toml::Value::Float(f) if f.is_finite() => Ok(*f),
                other => Err(file_err(format!("`{name}`: `{other}` is not a number"))),
            }
        };
        let values = match value {
            toml::Value::Array(a) if !a.is_empty() => a.iter().map(num).collect::<Result<_, _>>()?,
            toml::Value::String(s) => {
                parse_values(s).map_err(|why| file_err(format!("`{name}` = \"{s}\": {why}")))?
            }
            toml::Value::Table(t) => {
                let part = |k: &str| -> Result<f64, SweepError> {
                    num(t.get(k).ok_or_else(|| {
                        file_err(format!(
                            "`{name}`: a range table needs `start`, `stop` and `step`"
                        ))
                    })?)
                };
                range(part("start")?, part("stop")?, part("step")?)
                    .map_err(|why| file_err(format!("`{name}`: {why}")))?
            }
            v @ (toml::Value::Integer(_) | toml::Value::Float(_)) => vec![num(v)?],
            other => {
                return Err(file_err(format!(
                    "`{name}` = {other}: give a list of numbers, \"START:STOP:STEP\" or {{ start, stop, step }}"
                )))
            }
        };
        axes.push(Axis {
            name: name.clone(),
            values,
        });
    }
    Ok(axes)
}

/// A grid of configs: the base config with every combination of axis values.
#[derive(Debug, Clone)]
pub struct Grid {
    pub base: DetectorConfig,
    pub axes: Vec<Axis>,
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub config: DetectorConfig,
    /// The swept values, in the order of the grid's axes.
    pub values: Vec<f64>,
}

impl Grid {
    /// Builds a grid, refusing a parameter swept twice or a grid too large.
    pub fn new(base: DetectorConfig, axes: Vec<Axis>) -> Result<Grid, SweepError> {
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.name == a.name) {
                return Err(SweepError::Twice(a.name.clone()));
            }
        }
        let size: u128 = axes.iter().map(|a| a.values.len() as u128).product();
        if size > MAX_CONFIGS as u128 {
            return Err(SweepError::TooLarge(size));
        }
        Ok(Grid { base, axes })
    }

    /// Number of combinations, valid or not.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every combination that makes a valid config, and how many did not
    /// (e.g. `off_sigma` above `on_sigma`) with the first reason.
    pub fn candidates(&self) -> (Vec<Candidate>, usize, Option<ConfigError>) {
        let mut out = Vec::with_capacity(self.len());
        let mut invalid = 0;
        let mut first_error = None;
        for i in 0..self.len() {
            let mut config = self.base.clone();
            let mut values = Vec::with_capacity(self.axes.len());
            // Mixed radix: the last axis changes fastest.
            let mut rest = i;
            let mut picks = vec![0; self.axes.len()];
            for (k, a) in self.axes.iter().enumerate().rev() {
                picks[k] = rest % a.values.len();
                rest /= a.values.len();
            }
            for (a, &p) in self.axes.iter().zip(&picks) {
                let v = a.values[p];
                config
                    .set(&a.name, v)
                    .expect("axis names were checked when parsed");
                values.push(v);
            }
            match config.validate() {
                Ok(()) => out.push(Candidate { config, values }),
                Err(e) => {
                    invalid += 1;
                    first_error.get_or_insert(e);
                }
            }
        }
        (out, invalid, first_error)
    }
}

/// A labelled trace held in memory for replay.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// How the trace is named in tables (its scenario or file name).
    pub name: String,
    pub trace_path: PathBuf,
    pub samples: Vec<Sample>,
    pub labels: Vec<Label>,
}

impl Dataset {
    /// The span scored: first to last sample.
    pub fn span_ms(&self) -> (f64, f64) {
        match (self.samples.first(), self.samples.last()) {
            (Some(a), Some(b)) => (a.t_ms, b.t_ms),
            _ => (0.0, 0.0),
        }
    }
}

/// Replays `samples` through a fresh detector and returns its closures.
pub fn run_detector(cfg: &DetectorConfig, samples: &[Sample]) -> Result<Vec<Closure>, ConfigError> {
    let mut d = BlinkDetector::new(cfg.clone())?;
    let mut out = Vec::with_capacity(closure_capacity(samples));
    for s in samples {
        d.push(s.t_ms, s.emg);
        drain_closures(&mut d, &mut out);
    }
    d.finish();
    drain_closures(&mut d, &mut out);
    Ok(out)
}

/// Samples prepared per block: about 100 KB of [`Prepared`] samples, so a
/// block stays in the core's L2 cache while every config of a group runs
/// over it.
const BLOCK: usize = 1024;
/// Most configs advanced in lockstep over one block. More share the front
/// end's work more thinly, but fewer groups balance worse across cores.
/// On the 1000-config benchmark (2026-12-01): 8 took 41-42 s of CPU, 16
/// 38.4-39.4 s, 32 37.4-37.8 s, 64 38.0 s and 125 39.4-40.0 s.
const LOCKSTEP_MAX: usize = 32;

/// `v` cut into `n` runs of nearly equal length (the longer ones first).
fn even_chunks<T>(v: &[T], n: usize) -> impl Iterator<Item = &[T]> {
    let n = n.clamp(1, v.len().max(1));
    let (size, longer) = (v.len() / n, v.len() % n);
    (0..n).map(move |k| {
        let start = k * size + k.min(longer);
        &v[start..start + size + usize::from(k < longer)]
    })
}

/// Moves the closures among a detector's pending events into `out`.
#[inline]
fn drain_closures(d: &mut BlinkDetector, out: &mut Vec<Closure>) {
    while let Some(e) = d.poll() {
        if let Event::Closure(c) = e {
            out.push(c);
        }
    }
}

/// Room for about 20 blinks a minute: reserving for that avoids most regrowth.
fn closure_capacity(samples: &[Sample]) -> usize {
    let minutes = samples
        .last()
        .zip(samples.first())
        .map(|(b, a)| (b.t_ms - a.t_ms) / 60_000.0)
        .unwrap_or(0.0);
    (minutes * 25.0).clamp(16.0, 1e6) as usize
}

/// Replays `samples` through fresh detectors for `configs`, which must share
/// one [`FrontKey`], block by block; returns each one's closures (exactly
/// those of [`run_detector`]).
pub fn run_lockstep(
    configs: &[&DetectorConfig],
    samples: &[Sample],
) -> Result<Vec<Vec<Closure>>, ConfigError> {
    let Some(first) = configs.first() else {
        return Ok(Vec::new());
    };
    let key = FrontKey::of(first);
    assert!(
        configs.iter().all(|c| FrontKey::of(c) == key),
        "run_lockstep: configs with different front keys"
    );
    let mut front = FrontEnd::new(key);
    let mut detectors = configs
        .iter()
        .map(|c| BlinkDetector::new((*c).clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = vec![Vec::with_capacity(closure_capacity(samples)); configs.len()];
    let mut block: Vec<Prepared> = Vec::with_capacity(BLOCK);
    for chunk in samples.chunks(BLOCK) {
        block.clear();
        block.extend(chunk.iter().filter_map(|s| front.advance(s.t_ms, s.emg)));
        // Sample by sample, each detector in turn: their long dependency
        // chains (the baseline, the noise, the wildness measure each wait
        // on their own previous value) are independent of one another, so
        // the CPU overlaps them.
        for p in &block {
            for d in detectors.iter_mut() {
                d.push_prepared(p);
            }
        }
        // Events wait in each detector until the block ends: a few per
        // block, where a look on every sample costs one per sample.
        for (d, out) in detectors.iter_mut().zip(&mut out) {
            drain_closures(d, out);
        }
    }
    for (d, out) in detectors.iter_mut().zip(&mut out) {
        d.finish();
        drain_closures(d, out);
    }
    Ok(out)
}

/// How one config did over all traces.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Per trace, in the order of the datasets (without match lists).
    pub per_trace: Vec<Score>,
    /// All traces pooled: counts added, latencies pooled.
    pub pooled: Score,
    /// The lowest F1 of any trace.
    pub worst_f1: f64,
    /// The mean of the per-trace F1s.
    pub mean_f1: f64,
}

/// Scores one config over all datasets.
pub fn evaluate(
    cfg: &DetectorConfig,
    datasets: &[Dataset],
    opts: &ScoreOptions,
) -> Result<Evaluation, ConfigError> {
    evaluate_with_mistakes(cfg, datasets, opts).map(|(e, _)| e)
}

/// One trace's mistakes, by time: where a developer looks next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mistakes {
    /// The closures no label matches, in time order.
    pub false_positives: Vec<Closure>,
    /// The labels no closure matches, in time order.
    pub missed: Vec<Label>,
}

/// As [`evaluate`], and each trace's mistakes (in the datasets' order).
pub fn evaluate_with_mistakes(
    cfg: &DetectorConfig,
    datasets: &[Dataset],
    opts: &ScoreOptions,
) -> Result<(Evaluation, Vec<Mistakes>), ConfigError> {
    let mut per_trace = Vec::with_capacity(datasets.len());
    let mut mistakes = Vec::with_capacity(datasets.len());
    for d in datasets {
        let closures = run_detector(cfg, &d.samples)?;
        let s = score(&closures, &d.labels, d.span_ms(), opts);
        mistakes.push(Mistakes {
            false_positives: s.false_positive_list.iter().map(|&i| closures[i]).collect(),
            missed: s.missed.iter().map(|&i| d.labels[i]).collect(),
        });
        per_trace.push(s);
    }
    Ok((summarise(per_trace), mistakes))
}

/// Scores configs that share one [`FrontKey`] over all datasets, in lockstep
/// (see [`run_lockstep`]); the same evaluations as [`evaluate`] gives each.
pub fn evaluate_lockstep(
    configs: &[&DetectorConfig],
    datasets: &[Dataset],
    opts: &ScoreOptions,
) -> Result<Vec<Evaluation>, ConfigError> {
    let mut per_config = vec![Vec::with_capacity(datasets.len()); configs.len()];
    for d in datasets {
        let closures = run_lockstep(configs, &d.samples)?;
        for (scores, closures) in per_config.iter_mut().zip(&closures) {
            scores.push(score(closures, &d.labels, d.span_ms(), opts));
        }
    }
    Ok(per_config.into_iter().map(summarise).collect())
}

/// Pools the per-trace scores of one config.
fn summarise(mut per_trace: Vec<Score>) -> Evaluation {
    let mut pooled = pool(&per_trace);
    // The match lists served pooling; a sweep keeps thousands of these.
    for s in per_trace.iter_mut().chain(std::iter::once(&mut pooled)) {
        s.matches = Vec::new();
        s.false_positive_list = Vec::new();
        s.missed = Vec::new();
    }
    let f1s = per_trace.iter().map(|s| s.f1);
    let worst_f1 = f1s.clone().fold(f64::INFINITY, f64::min);
    let mean_f1 = f1s.sum::<f64>() / per_trace.len().max(1) as f64;
    Evaluation {
        per_trace,
        pooled,
        worst_f1: if worst_f1.is_finite() { worst_f1 } else { 0.0 },
        mean_f1,
    }
}

/// What "best" means when several traces are scored together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Highest lowest F1 of any trace: no scenario is sacrificed for the
    /// others (a wearer who talks a lot lives in that one scenario).
    #[default]
    Worst,
    /// Highest mean of the per-trace F1s: every trace counts the same,
    /// however long it is.
    Mean,
    /// Highest F1 over all traces pooled: long traces weigh more.
    Pooled,
}

impl Objective {
    /// The figure this objective maximises.
    pub fn value(self, e: &Evaluation) -> f64 {
        match self {
            Objective::Worst => e.worst_f1,
            Objective::Mean => e.mean_f1,
            Objective::Pooled => e.pooled.f1,
        }
    }
}

/// One config of a sweep with its result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub candidate: Candidate,
    pub evaluation: Evaluation,
}

/// Orders outcomes best first: by the objective, then pooled F1, then
/// median latency (earlier decisions leave more pre-roll), then false
/// triggers per minute; the grid's order breaks remaining ties, so the
/// ranking is deterministic whatever the thread scheduling.
pub fn rank(outcomes: &mut [Outcome], objective: Objective) {
    let key = |o: &Outcome| {
        let e = &o.evaluation;
        (
            -objective.value(e),
            -e.pooled.f1,
            e.pooled.latency_median_ms.unwrap_or(f64::INFINITY),
            e.pooled.false_per_min,
        )
    };
    outcomes.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.total_cmp(&kb.2))
            .then(ka.3.total_cmp(&kb.3))
    });
}

/// Runs every candidate over every dataset in parallel; `tick` is called
/// once per finished config (for a progress bar). Results keep the
/// candidates' order.
pub fn run_sweep(
    candidates: Vec<Candidate>,
    datasets: &[Dataset],
    opts: &ScoreOptions,
    tick: impl Fn() + Sync,
) -> Result<Vec<Outcome>, ConfigError> {
    // Configs that behave alike (`DetectorConfig::behaviour`) run once:
    // the first of each stands for the others.
    let mut first_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let stands_for: Vec<usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            *first_of
                .entry(format!("{:?}", c.config.behaviour()))
                .or_insert(i)
        })
        .collect();
    let mut weight = vec![0usize; candidates.len()];
    for &r in &stands_for {
        weight[r] += 1;
    }
    let alike = candidates.len() - first_of.len();
    if alike > 0 {
        log::warn!(
            "{alike} of the {} configs behave exactly as another of them (a min_closure_ms up \
             to reopen_ms less 1 ms never binds: a closure is judged from its onset to its \
             burst's let-go plus reopen_ms): {} distinct runs",
            candidates.len(),
            first_of.len()
        );
    }
    // Configs sharing a front end, in the grid's order ...
    let mut groups: Vec<(FrontKey, Vec<usize>)> = Vec::new();
    for (i, c) in candidates
        .iter()
        .enumerate()
        .filter(|&(i, _)| stands_for[i] == i)
    {
        let key = FrontKey::of(&c.config);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    // ... cut into lockstep chunks, at least four per thread while there
    // are configs enough, so no core idles at the end.
    // A group is cut into chunks of nearly equal size (31 and 32, not 31 x
    // 32 and one of 8), so that the cores finish together.
    let per_chunk = (first_of.len() / (4 * rayon::current_num_threads())).clamp(1, LOCKSTEP_MAX);
    let chunks: Vec<&[usize]> = groups
        .iter()
        .flat_map(|(_, members)| even_chunks(members, members.len().div_ceil(per_chunk)))
        .collect();
    let evaluated = chunks
        .into_par_iter()
        .map(|chunk| {
            let configs: Vec<&DetectorConfig> =
                chunk.iter().map(|&i| &candidates[i].config).collect();
            let evaluations = evaluate_lockstep(&configs, datasets, opts)?;
            chunk
                .iter()
                .for_each(|&r| (0..weight[r]).for_each(|_| tick()));
            Ok(chunk.iter().copied().zip(evaluations).collect::<Vec<_>>())
        })
        .collect::<Result<Vec<_>, ConfigError>>()?;
    let mut slots: Vec<Option<Evaluation>> = vec![None; candidates.len()];
    for (i, e) in evaluated.into_iter().flatten() {
        slots[i] = Some(e);
    }
    for (i, &r) in stands_for.iter().enumerate() {
        if r != i {
            slots[i] = slots[r].clone();
        }
    }
    Ok(candidates
        .into_iter()
        .zip(slots)
        .map(|(candidate, evaluation)| Outcome {
            candidate,
            evaluation: evaluation.expect("every candidate is in one chunk"),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_specs() {
        let ok: &[(&str, &[f64])] = &[
            ("on_sigma=4:6:0.5", &[4.0, 4.5, 5.0, 5.5, 6.0]),
            ("on_sigma=4:5.9:0.5", &[4.0, 4.5, 5.0, 5.5]),
            ("off_sigma=0.1:0.3:0.1", &[0.1, 0.2, 0.3]),
            ("min_closure_ms=20,40,60", &[20.0, 40.0, 60.0]),
            (" refractory_ms = 100 ", &[100.0]),
            ("on_sigma=5:5:1", &[5.0]),
        ];
        for (spec, want) in ok {
            let a = Axis::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(a.values, *want, "{spec}");
        }
        let bad: &[(&str, &str)] = &[
            ("on_sigma", "no `=`"),
            ("on_sigma=4:8", "three parts"),
            ("on_sigma=4:8:0", "step must be above 0"),
            ("on_sigma=8:4:1", "below START"),
            ("on_sigma=4,x", "`x` is not a number"),
            ("on_sigma=", "`` is not a number"),
            ("on_sigma=4:nan:1", "`nan` is not a number"),
            ("no_such_thing=1,2", "no detector parameter `no_such_thing`"),
            ("on_sigma=0:1e9:0.001", "use a larger step"),
        ];
        for (spec, want) in bad {
            let e = Axis::parse(spec).unwrap_err().to_string();
            assert!(e.contains(want), "{spec}: got {e:?}, want {want:?}");
        }
    }

    #[test]
    fn sweep_files() {
        let p = Path::new("s.toml");
        let axes = axes_from_toml(
            p,
            "[sweep]\non_sigma = \"4:5:0.5\"\nmin_closure_ms = [20, 40.5]\nrefractory_ms = { start = 0, stop = 100, step = 50 }\noff_sigma = 2\n",
        )
        .unwrap();
        let get = |n: &str| axes.iter().find(|a| a.name == n).unwrap().values.clone();
        assert_eq!(get("on_sigma"), vec![4.0, 4.5, 5.0]);
        assert_eq!(get("min_closure_ms"), vec![20.0, 40.5]);
        assert_eq!(get("refractory_ms"), vec![0.0, 50.0, 100.0]);
        assert_eq!(get("off_sigma"), vec![2.0]);
        // Top-level keys work too.
        assert_eq!(axes_from_toml(p, "on_sigma = [5]\n").unwrap().len(), 1);
        for (text, want) in [
            ("on_sigma = [", "s.toml: "),
            ("bogus = [1]", "no detector parameter `bogus`"),
            ("on_sigma = [\"a\"]", "is not a number"),
            ("on_sigma = true", "give a list of numbers"),
            (
                "on_sigma = { start = 1 }",
                "needs `start`, `stop` and `step`",
            ),
            ("on_sigma = \"1:0:1\"", "below START"),
        ] {
            let e = axes_from_toml(p, text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: got {e:?}, want {want:?}");
        }
    }

    #[test]
    fn grid_covers_every_combination_and_skips_invalid_ones() {
        let axes = vec![
            Axis::parse("on_sigma=2,4,6").unwrap(),
            Axis::parse("off_sigma=3,5").unwrap(),
        ];
        let grid = Grid::new(DetectorConfig::default(), axes).unwrap();
        assert_eq!(grid.len(), 6);
        let (c, invalid, why) = grid.candidates();
        // off_sigma must not exceed on_sigma: (2,3), (2,5), (4,5) are invalid.
        assert_eq!(invalid, 3);
        assert!(why.unwrap().to_string().contains("off_sigma"));
        let pairs: Vec<(f64, f64)> = c
            .iter()
            .map(|c| (c.config.on_sigma, c.config.off_sigma))
            .collect();
        assert_eq!(pairs, vec![(4.0, 3.0), (6.0, 3.0), (6.0, 5.0)]);
        assert_eq!(c[1].values, vec![6.0, 3.0]);
        // Parameters not swept keep the base value.
        let base = DetectorConfig::default();
        assert!(c
            .iter()
            .all(|c| c.config.min_closure_ms == base.min_closure_ms));
    }

    #[test]
    fn grid_refuses_repeats_and_explosions() {
        let a = Axis::parse("on_sigma=1,2").unwrap();
        let e = Grid::new(DetectorConfig::default(), vec![a.clone(), a]).unwrap_err();
        assert!(e.to_string().contains("swept twice"));
        let big = Axis {
            name: "on_sigma".into(),
            values: vec![1.0; 1001],
        };
        let big2 = Axis {
            name: "off_sigma".into(),
            ..big.clone()
        };
        let e = Grid::new(DetectorConfig::default(), vec![big, big2]).unwrap_err();
        assert!(e.to_string().contains("1002001 configs"), "{e}");
    }

    fn synthetic() -> Dataset {
        // 60 s at 25 Hz, quiet at 100 counts with a little noise, one
        // 200 ms burst every 3 s.
        let mut samples = Vec::new();
        let mut labels = Vec::new();
        for i in 0..1500 {
            let t = i as f64 * 40.0;
            let noise = [0, 3, -2, 1, -3, 2, -1][i % 7];
            let phase = (t as i64) % 3000;
            let burst = t >= 4000.0 && (1000..1200).contains(&phase);
            samples.push(Sample {
                t_ms: t,
                emg: 100 + noise + if burst { 200 } else { 0 },
            });
            if t >= 4000.0 && phase == 1000 {
                labels.push(Label {
                    onset_ms: t,
                    offset_ms: t + 200.0,
                });
            }
        }
        Dataset {
            name: "bursts".into(),
            trace_path: PathBuf::from("bursts.csv"),
            samples,
            labels,
        }
    }

    #[test]
    fn sweep_ranks_sensible_configs_first() {
        let data = vec![synthetic()];
        // An absurd on_sigma finds nothing; a sane one finds the bursts.
        let grid = Grid::new(
            DetectorConfig::default(),
            vec![Axis::parse("on_sigma=6,10000").unwrap()],
        )
        .unwrap();
        let (cands, _, _) = grid.candidates();
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let mut out = run_sweep(cands, &data, &ScoreOptions::default(), || {
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(ticks.into_inner(), 2);
        assert_eq!(out[0].candidate.config.on_sigma, 6.0);
        // Put the blind config first, then check ranking fixes it.
        out.reverse();
        rank(&mut out, Objective::Worst);
        assert_eq!(out[0].candidate.config.on_sigma, 6.0);
        assert!(out[0].evaluation.worst_f1 > out[1].evaluation.worst_f1);
        assert_eq!(out[1].evaluation.pooled.true_positives, 0);
        assert!(out[0].evaluation.per_trace[0].matches.is_empty());
    }

    #[test]
    fn chunks_are_nearly_equal_and_cover_everything() {
        let v: Vec<usize> = (0..1000).collect();
        let chunks: Vec<&[usize]> = even_chunks(&v, 32).collect();
        assert_eq!(chunks.len(), 32);
        assert!(chunks.iter().all(|c| c.len() == 31 || c.len() == 32));
        assert_eq!(chunks.concat(), v);
        for (len, n) in [(0, 1), (0, 5), (3, 5), (7, 1), (7, 7)] {
            let v: Vec<usize> = (0..len).collect();
            let chunks: Vec<&[usize]> = even_chunks(&v, n).collect();
            assert_eq!(chunks.concat(), v, "{len} in {n}");
            assert!(chunks
                .iter()
                .all(|c| c.len() <= len.div_ceil(n.max(1)).max(1)));
        }
    }

    #[test]
    fn lockstep_groups_score_as_lone_detectors() {
        // Configs differing in their front key (floor_ms) as well as in
        // their decisions: grouped, chunked and run in lockstep, each must
        // score exactly as a lone detector fed with `push`.
        let mut data = synthetic();
        // A pause, a railed stretch and a fall to the ground, so the rarer
        // paths run too.
        data.samples
            .retain(|s| !(20_000.0..22_000.0).contains(&s.t_ms));
        for s in data.samples.iter_mut() {
            if (40_000.0..41_000.0).contains(&s.t_ms) {
                s.emg = 32767;
            }
            if (50_000.0..53_000.0).contains(&s.t_ms) {
                s.emg = 0;
            }
        }
        let data = vec![data.clone(), data];
        let grid = Grid::new(
            DetectorConfig::default(),
            vec![
                Axis::parse("floor_ms=100,250,400").unwrap(),
                Axis::parse("on_sigma=3:9:1").unwrap(),
                // 20 and 60 never bind (under reopen_ms): run once for both.
                Axis::parse("min_closure_ms=20,60,150").unwrap(),
            ],
        )
        .unwrap();
        let (cands, _, _) = grid.candidates();
        let opts = ScoreOptions::default();
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let out = run_sweep(cands.clone(), &data, &opts, || {
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(out.len(), cands.len());
        // The progress counts every config, run or stood for.
        assert_eq!(ticks.into_inner(), cands.len());
        for (o, c) in out.iter().zip(&cands) {
            assert_eq!(o.candidate, *c);
            let lone = evaluate(&c.config, &data, &opts).unwrap();
            assert_eq!(
                format!("{:?}", o.evaluation),
                format!("{lone:?}"),
                "{:?}",
                c.values
            );
        }
        for c in &cands {
            let lockstep = run_lockstep(&[&c.config], &data[0].samples).unwrap();
            assert_eq!(
                lockstep[0],
                run_detector(&c.config, &data[0].samples).unwrap()
            );
        }
    }

    #[test]
    fn objectives_differ_on_uneven_traces() {
        let mk = |f1s: &[f64], pooled: f64| {
            let mut s = pool(&[]);
            let per_trace = f1s
                .iter()
                .map(|&f| Score { f1: f, ..s.clone() })
                .collect::<Vec<_>>();
            s.f1 = pooled;
            Outcome {
                candidate: Candidate {
                    config: DetectorConfig::default(),
                    values: vec![],
                },
                evaluation: Evaluation {
                    worst_f1: f1s.iter().cloned().fold(1.0, f64::min),
                    mean_f1: f1s.iter().sum::<f64>() / f1s.len() as f64,
                    per_trace,
                    pooled: s,
                },
            }
        };
        // A: balanced. B: great on one trace, poor on the other.
        let outs = vec![mk(&[0.9, 0.9], 0.9), mk(&[1.0, 0.85], 0.95)];
        let best = |o: Objective| {
            let mut v = outs.clone();
            rank(&mut v, o);
            v[0].evaluation.worst_f1
        };
        assert_eq!(best(Objective::Worst), 0.9);
        assert_eq!(best(Objective::Pooled), 0.85);
        assert_eq!(best(Objective::Mean), 0.85);
    }
}

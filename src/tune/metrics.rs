//! Scoring detected closures against labelled ones.
//!
//! Two views of the same run, because the wearer cares about both:
//!
//! - **Events**: each detection is matched one-to-one with a label whose
//!   interval it overlaps (within a tolerance); unmatched detections are false
//!   positives, unmatched labels are misses. From these come precision,
//!   recall, F1, false triggers per minute and the decision latency
//!   (`detected_ms - label.onset_ms`: how long after the lid started to close
//!   the detector decided; the pre-roll buffer has to cover it).
//! - **Time**: the appliance keeps frames from `onset - pre_roll` to
//!   `offset + post_roll` of each detection. `closed_covered` is the share of
//!   labelled closed-eye time inside those windows (what the film shows of the
//!   blinks); `wrongly_recorded` is the share of the whole trace recorded while
//!   the eye was open (film of open eyes, and battery spent on it).
//!
//! Matching walks both lists once in time order, so scoring costs O(n + m)
//! and a 1000-config sweep spends its time in the detector, not here.

use serde::Serialize;

use crate::detector::Closure;
use crate::trace::Label;

/// How detections are scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreOptions {
    /// Frames kept before a closure's estimated onset (the appliance's pre-roll).
    pub pre_roll_ms: f64,
    /// Frames kept after a closure's estimated offset (the post-roll hold).
    pub post_roll_ms: f64,
    /// Slack when deciding that a detection and a label overlap: a detection
    /// ending just before a label starts (or starting just after it ends)
    /// still counts, because labels carry their own timing error of a sample
    /// or two.
    pub match_tolerance_ms: f64,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            pre_roll_ms: 200.0,
            post_roll_ms: 150.0,
            match_tolerance_ms: 100.0,
        }
    }
}

/// One detection matched with one label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Match {
    /// Index into the labels.
    pub label: usize,
    /// Index into the closures.
    pub detection: usize,
    /// `detected_ms - label.onset_ms`: how long after the lid began to close
    /// the detector decided.
    pub latency_ms: f64,
}

/// How well a run of the detector agrees with the labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub labels: usize,
    pub detections: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    /// True positives over detections (1 when nothing was detected).
    pub precision: f64,
    /// True positives over labels (1 when there is nothing to find).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Median of `detected_ms - label.onset_ms` over matched pairs.
    pub latency_median_ms: Option<f64>,
    /// 90th percentile of the same.
    pub latency_p90_ms: Option<f64>,
    /// Share of labelled closed-eye time inside the recording windows
    /// `[onset - pre_roll, offset + post_roll]` of the detections (1 when
    /// there are no labels).
    pub closed_covered: f64,
    /// Share of the trace's duration recorded while the eye was open.
    pub wrongly_recorded: f64,
    /// False positives per minute of trace.
    pub false_per_min: f64,
    /// Length of the scored span.
    pub duration_ms: f64,
    /// Labelled closed-eye time inside the span.
    pub closed_ms: f64,
    /// Time inside the recording windows (eye open or not).
    pub recorded_ms: f64,
    /// The matched pairs, in time order.
    #[serde(skip)]
    pub matches: Vec<Match>,
    /// Indices of the closures that match no label.
    #[serde(skip)]
    pub false_positive_list: Vec<usize>,
    /// Indices of the labels that no closure matches.
    #[serde(skip)]
    pub missed: Vec<usize>,
}

/// Scores `closures` against `labels` over the trace span `(start_ms, end_ms)`.
///
/// Both lists are expected in time order (the detector emits them so and the
/// label reader enforces it); closures out of order are sorted first.
pub fn score(
    closures: &[Closure],
    labels: &[Label],
    span_ms: (f64, f64),
    opts: &ScoreOptions,
) -> Score {
    let order = time_order(closures);
    let tol = opts.match_tolerance_ms.max(0.0);

    // One-to-one greedy matching in time order. Labels that end (with slack)
    // before a detection starts can match no later detection either, since
    // detections arrive by onset; so one pointer over the labels suffices.
    let mut matches = Vec::with_capacity(closures.len().min(labels.len()));
    let mut false_positive_list = Vec::new();
    let mut missed = Vec::new();
    let mut next_label = 0;
    for &d in &order {
        let c = &closures[d];
        while next_label < labels.len() && labels[next_label].offset_ms + tol < c.onset_ms {
            missed.push(next_label);
            next_label += 1;
        }
        match labels.get(next_label) {
            Some(l) if l.onset_ms <= c.offset_ms + tol => {
                matches.push(Match {
                    label: next_label,
                    detection: d,
                    latency_ms: c.detected_ms - l.onset_ms,
                });
                next_label += 1;
            }
            _ => false_positive_list.push(d),
        }
    }
    missed.extend(next_label..labels.len());

    let tp = matches.len();
    let fp = false_positive_list.len();
    let fneg = missed.len();
    let precision = ratio_or_one(tp, closures.len());
    let recall = ratio_or_one(tp, labels.len());
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };

    let mut latencies: Vec<f64> = matches.iter().map(|m| m.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);

    let (start, end) = span_ms;
    let duration_ms = (end - start).max(0.0);
    let windows = union(
        order.iter().map(|&d| {
            let c = &closures[d];
            (
                c.onset_ms - opts.pre_roll_ms,
                c.offset_ms + opts.post_roll_ms,
            )
        }),
        span_ms,
    );
    let closed = union(labels.iter().map(|l| (l.onset_ms, l.offset_ms)), span_ms);
    let closed_ms = total(&closed);
    let recorded_ms = total(&windows);
    let covered_ms = intersection(&windows, &closed);

    Score {
        labels: labels.len(),
        detections: closures.len(),
        true_positives: tp,
        false_positives: fp,
        false_negatives: fneg,
        precision,
        recall,
        f1,
        latency_median_ms: quantile(&latencies, 0.5),
        latency_p90_ms: quantile(&latencies, 0.9),
        closed_covered: if closed_ms > 0.0 {
            covered_ms / closed_ms
        } else {
            1.0
        },
        wrongly_recorded: if duration_ms > 0.0 {
            (recorded_ms - covered_ms).max(0.0) / duration_ms
        } else {
            0.0
        },
        false_per_min: if duration_ms > 0.0 {
            fp as f64 / (duration_ms / 60_000.0)
        } else {
            0.0
        },
        duration_ms,
        closed_ms,
        recorded_ms,
        matches,
        false_positive_list,
        missed,
    }
}

/// Scores of several traces pooled into one: counts and durations add up,
/// latencies are pooled, time shares are weighted by the time they refer to.
///
/// Indices in the pooled `matches`, `false_positive_list` and `missed` would be
/// ambiguous, so they are left empty.
pub fn pool(scores: &[Score]) -> Score {
    let sum = |f: fn(&Score) -> usize| scores.iter().map(f).sum::<usize>();
    let labels = sum(|s| s.labels);
    let detections = sum(|s| s.detections);
    let tp = sum(|s| s.true_positives);
    let fp = sum(|s| s.false_positives);
    let fneg = sum(|s| s.false_negatives);
    let duration_ms: f64 = scores.iter().map(|s| s.duration_ms).sum();
    let precision = ratio_or_one(tp, detections);
    let recall = ratio_or_one(tp, labels);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let mut latencies: Vec<f64> = scores
        .iter()
        .flat_map(|s| s.matches.iter().map(|m| m.latency_ms))
        .collect();
    latencies.sort_by(f64::total_cmp);
    let closed_ms: f64 = scores.iter().map(|s| s.closed_ms).sum();
    let recorded_ms: f64 = scores.iter().map(|s| s.recorded_ms).sum();
    let closed_covered = if closed_ms > 0.0 {
        scores
            .iter()
            .map(|s| s.closed_covered * s.closed_ms)
            .sum::<f64>()
            / closed_ms
    } else {
        1.0
    };
    let wrongly_recorded = if duration_ms > 0.0 {
        scores
            .iter()
            .map(|s| s.wrongly_recorded * s.duration_ms)
            .sum::<f64>()
            / duration_ms
    } else {
        0.0
    };
    Score {
        labels,
        detections,
        true_positives: tp,
        false_positives: fp,
        false_negatives: fneg,
        precision,
        recall,
        f1,
        latency_median_ms: quantile(&latencies, 0.5),
        latency_p90_ms: quantile(&latencies, 0.9),
        closed_covered,
        wrongly_recorded,
        false_per_min: if duration_ms > 0.0 {
            fp as f64 / (duration_ms / 60_000.0)
        } else {
            0.0
        },
        duration_ms,
        closed_ms,
        recorded_ms,
        matches: Vec::new(),
        false_positive_list: Vec::new(),
        missed: Vec::new(),
    }
}

fn ratio_or_one(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

/// Indices of the closures by onset; the identity when already in order.
fn time_order(closures: &[Closure]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..closures.len()).collect();
    if closures.windows(2).any(|w| w[1].onset_ms < w[0].onset_ms) {
        order.sort_by(|&a, &b| closures[a].onset_ms.total_cmp(&closures[b].onset_ms));
    }
    order
}

/// The q-quantile of sorted values, interpolating between neighbours.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// Merges intervals given in order of their start into disjoint ones, clipped
/// to `span`. Intervals out of order are tolerated by sorting.
fn union(intervals: impl Iterator<Item = (f64, f64)>, span: (f64, f64)) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = intervals
        .map(|(a, b)| (a.max(span.0), b.min(span.1)))
        .filter(|(a, b)| b > a)
        .collect();
    if v.windows(2).any(|w| w[1].0 < w[0].0) {
        v.sort_by(|x, y| x.0.total_cmp(&y.0));
    }
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn total(intervals: &[(f64, f64)]) -> f64 {
    intervals.iter().map(|(a, b)| b - a).sum()
}

/// Length of the overlap of two sets of disjoint, sorted intervals.
fn intersection(x: &[(f64, f64)], y: &[(f64, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < x.len() && j < y.len() {
        let lo = x[i].0.max(y[j].0);
        let hi = x[i].1.min(y[j].1);
        if hi > lo {
            sum += hi - lo;
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(onset_ms: f64, offset_ms: f64, detected_ms: f64) -> Closure {
        Closure {
            onset_ms,
            offset_ms,
            detected_ms,
            peak: 100.0,
            score: 1.0,
        }
    }

    fn lab(onset_ms: f64, offset_ms: f64) -> Label {
        Label {
            onset_ms,
            offset_ms,
        }
    }

    /// No pre/post roll and no slack: times in the tests are easy to follow.
    const TIGHT: ScoreOptions = ScoreOptions {
        pre_roll_ms: 0.0,
        post_roll_ms: 0.0,
        match_tolerance_ms: 0.0,
    };

    struct Case {
        name: &'static str,
        closures: Vec<Closure>,
        labels: Vec<Label>,
        opts: ScoreOptions,
        tp: usize,
        fp: usize,
        fneg: usize,
        covered: f64,
        wrong: f64,
    }

    #[test]
    fn table() {
        let span = (0.0, 10_000.0);
        let cases = vec![
            Case {
                name: "perfect",
                closures: vec![det(1000.0, 1200.0, 1040.0), det(5000.0, 5300.0, 5040.0)],
                labels: vec![lab(1000.0, 1200.0), lab(5000.0, 5300.0)],
                opts: TIGHT,
                tp: 2,
                fp: 0,
                fneg: 0,
                covered: 1.0,
                wrong: 0.0,
            },
            Case {
                name: "shifted late by half a blink still matches",
                closures: vec![det(1100.0, 1300.0, 1120.0)],
                labels: vec![lab(1000.0, 1200.0)],
                opts: TIGHT,
                tp: 1,
                fp: 0,
                fneg: 0,
                covered: 0.5,
                wrong: 100.0 / 10_000.0,
            },
            Case {
                name: "just after the label, within the tolerance",
                closures: vec![det(1250.0, 1400.0, 1260.0)],
                labels: vec![lab(1000.0, 1200.0)],
                opts: ScoreOptions {
                    match_tolerance_ms: 100.0,
                    ..TIGHT
                },
                tp: 1,
                fp: 0,
                fneg: 0,
                covered: 0.0,
                wrong: 150.0 / 10_000.0,
            },
            Case {
                name: "just after the label, beyond the tolerance",
                closures: vec![det(1250.0, 1400.0, 1260.0)],
                labels: vec![lab(1000.0, 1200.0)],
                opts: ScoreOptions {
                    match_tolerance_ms: 20.0,
                    ..TIGHT
                },
                tp: 0,
                fp: 1,
                fneg: 1,
                covered: 0.0,
                wrong: 150.0 / 10_000.0,
            },
            Case {
                name: "missed",
                closures: vec![det(1000.0, 1200.0, 1040.0)],
                labels: vec![lab(1000.0, 1200.0), lab(5000.0, 5300.0)],
                opts: TIGHT,
                tp: 1,
                fp: 0,
                fneg: 1,
                covered: 200.0 / 500.0,
                wrong: 0.0,
            },
            Case {
                name: "extra",
                closures: vec![det(1000.0, 1200.0, 1040.0), det(3000.0, 3100.0, 3040.0)],
                labels: vec![lab(1000.0, 1200.0)],
                opts: TIGHT,
                tp: 1,
                fp: 1,
                fneg: 0,
                covered: 1.0,
                wrong: 100.0 / 10_000.0,
            },
            Case {
                name: "double blink seen as one closure: one match, one miss",
                closures: vec![det(1000.0, 1500.0, 1040.0)],
                labels: vec![lab(1000.0, 1200.0), lab(1300.0, 1500.0)],
                opts: TIGHT,
                tp: 1,
                fp: 0,
                fneg: 1,
                covered: 1.0,
                wrong: 100.0 / 10_000.0,
            },
            Case {
                name: "one blink split in two: one match, one false positive",
                closures: vec![det(1000.0, 1090.0, 1040.0), det(1110.0, 1200.0, 1120.0)],
                labels: vec![lab(1000.0, 1200.0)],
                opts: TIGHT,
                tp: 1,
                fp: 1,
                fneg: 0,
                covered: 180.0 / 200.0,
                wrong: 0.0,
            },
            Case {
                name: "pre and post roll widen the windows",
                closures: vec![det(1000.0, 1200.0, 1040.0)],
                labels: vec![lab(950.0, 1300.0)],
                opts: ScoreOptions {
                    pre_roll_ms: 200.0,
                    post_roll_ms: 150.0,
                    match_tolerance_ms: 0.0,
                },
                tp: 1,
                fp: 0,
                fneg: 0,
                covered: 1.0,
                wrong: (550.0 - 350.0) / 10_000.0,
            },
            Case {
                name: "windows are clipped to the span",
                closures: vec![det(50.0, 200.0, 60.0)],
                labels: vec![],
                opts: ScoreOptions {
                    pre_roll_ms: 200.0,
                    ..TIGHT
                },
                tp: 0,
                fp: 1,
                fneg: 0,
                covered: 1.0,
                wrong: 200.0 / 10_000.0,
            },
            Case {
                name: "nothing at all",
                closures: vec![],
                labels: vec![],
                opts: TIGHT,
                tp: 0,
                fp: 0,
                fneg: 0,
                covered: 1.0,
                wrong: 0.0,
            },
            Case {
                name: "no detections",
                closures: vec![],
                labels: vec![lab(1000.0, 1200.0)],
                opts: TIGHT,
                tp: 0,
                fp: 0,
                fneg: 1,
                covered: 0.0,
                wrong: 0.0,
            },
        ];
        for c in cases {
            let s = score(&c.closures, &c.labels, span, &c.opts);
            let got = (s.true_positives, s.false_positives, s.false_negatives);
            assert_eq!(got, (c.tp, c.fp, c.fneg), "{}: tp, fp, fn", c.name);
            assert_eq!(s.matches.len(), c.tp, "{}", c.name);
            assert_eq!(s.false_positive_list.len(), c.fp, "{}", c.name);
            assert_eq!(s.missed.len(), c.fneg, "{}", c.name);
            assert!(
                (s.closed_covered - c.covered).abs() < 1e-9,
                "{}: covered {} want {}",
                c.name,
                s.closed_covered,
                c.covered
            );
            assert!(
                (s.wrongly_recorded - c.wrong).abs() < 1e-9,
                "{}: wrongly recorded {} want {}",
                c.name,
                s.wrongly_recorded,
                c.wrong
            );
            // Precision, recall and F1 follow from the counts.
            let p = if c.tp + c.fp == 0 {
                1.0
            } else {
                c.tp as f64 / (c.tp + c.fp) as f64
            };
            let r = if c.tp + c.fneg == 0 {
                1.0
            } else {
                c.tp as f64 / (c.tp + c.fneg) as f64
            };
            assert!((s.precision - p).abs() < 1e-12, "{}", c.name);
            assert!((s.recall - r).abs() < 1e-12, "{}", c.name);
            let f1 = if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            };
            assert!((s.f1 - f1).abs() < 1e-12, "{}", c.name);
        }
    }

    #[test]
    fn empty_cases_give_sensible_extremes() {
        let span = (0.0, 60_000.0);
        let none = score(&[], &[], span, &TIGHT);
        assert_eq!((none.precision, none.recall, none.f1), (1.0, 1.0, 1.0));
        assert_eq!(none.latency_median_ms, None);
        let blind = score(&[], &[lab(1.0, 2.0)], span, &TIGHT);
        assert_eq!((blind.precision, blind.recall, blind.f1), (1.0, 0.0, 0.0));
        let jumpy = score(&[det(1.0, 2.0, 1.0)], &[], span, &TIGHT);
        assert_eq!((jumpy.precision, jumpy.recall, jumpy.f1), (0.0, 1.0, 0.0));
        assert_eq!(jumpy.false_per_min, 1.0);
        let nothing_long = score(&[det(1.0, 2.0, 1.0)], &[], (5.0, 5.0), &TIGHT);
        assert_eq!(nothing_long.duration_ms, 0.0);
        assert_eq!(nothing_long.false_per_min, 0.0);
    }

    #[test]
    fn latency_is_decision_time_after_label_onset() {
        let labels: Vec<Label> = (0..10)
            .map(|i| lab(1000.0 * i as f64, 1000.0 * i as f64 + 200.0))
            .collect();
        // Latencies 10, 20, ..., 100 ms.
        let closures: Vec<Closure> = (0..10)
            .map(|i| {
                let t = 1000.0 * i as f64;
                det(t, t + 200.0, t + 10.0 * (i + 1) as f64)
            })
            .collect();
        let s = score(&closures, &labels, (0.0, 10_000.0), &TIGHT);
        assert_eq!(s.true_positives, 10);
        assert_eq!(s.latency_median_ms, Some(55.0));
        assert!((s.latency_p90_ms.unwrap() - 91.0).abs() < 1e-9);
        assert_eq!(s.matches[3].latency_ms, 40.0);
    }

    #[test]
    fn unsorted_closures_are_matched_in_time_order() {
        let closures = [det(5000.0, 5300.0, 5040.0), det(1000.0, 1200.0, 1040.0)];
        let labels = [lab(1000.0, 1200.0), lab(5000.0, 5300.0)];
        let s = score(&closures, &labels, (0.0, 10_000.0), &TIGHT);
        assert_eq!(s.true_positives, 2);
        assert_eq!(s.matches[0].detection, 1);
        assert_eq!(s.matches[0].label, 0);
    }

    #[test]
    fn matching_is_one_to_one() {
        // Three detections inside one long closure: one match, two extra.
        let closures = [
            det(1000.0, 1500.0, 1040.0),
            det(2000.0, 2500.0, 2040.0),
            det(3000.0, 3500.0, 3040.0),
        ];
        let labels = [lab(900.0, 3600.0)];
        let s = score(&closures, &labels, (0.0, 10_000.0), &TIGHT);
        assert_eq!((s.true_positives, s.false_positives), (1, 2));
        assert_eq!(s.false_positive_list, vec![1, 2]);
    }

    #[test]
    fn pooled_scores_add_counts_and_weigh_shares() {
        let a = score(
            &[det(1000.0, 1200.0, 1040.0)],
            &[lab(1000.0, 1200.0)],
            (0.0, 60_000.0),
            &TIGHT,
        );
        let b = score(
            &[det(3000.0, 3100.0, 3040.0)],
            &[lab(1000.0, 1200.0)],
            (0.0, 60_000.0),
            &TIGHT,
        );
        let p = pool(&[a, b]);
        assert_eq!((p.labels, p.true_positives, p.false_positives), (2, 1, 1));
        assert_eq!(p.false_negatives, 1);
        assert_eq!(p.duration_ms, 120_000.0);
        assert_eq!(p.false_per_min, 0.5);
        assert_eq!(p.closed_covered, 0.5);
        assert_eq!(p.closed_ms, 400.0);
        assert_eq!(p.recorded_ms, 300.0);
        assert_eq!(p.latency_median_ms, Some(40.0));
    }
}

//! EMG traces and their labels: the fixed CSV formats that every tool reads.
//!
//! A **trace** is a CSV file with a header row. Column `t_ms` holds the
//! milliseconds since the recording started (integer or decimal, never
//! decreasing); column `emg` holds the ADC reading in ADS1115 counts (an
//! integer). Other columns are allowed and ignored, in any order.
//!
//! **Labels** (the truth of a trace) are a CSV file with the header
//! `onset_ms,offset_ms`, one row per eye closure.
//!
//! Readers stream: a day at 25 Hz is 2.2 million rows and memory stays flat.
//! Bad input is an error that names the file and the line, never a panic.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// One ADC reading at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Milliseconds since the start of the recording.
    pub t_ms: f64,
    /// ADS1115 counts.
    pub emg: i32,
}

/// One labelled eye closure: the truth a detector is scored against.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Label {
    pub onset_ms: f64,
    pub offset_ms: f64,
}

/// What is wrong with a trace or a label file, and where.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: the file is empty; expected a header row `{expected}` and data rows")]
    Empty {
        path: PathBuf,
        expected: &'static str,
    },
    #[error("{path}:{line}: no column `{column}` in the header (found: {found}); a trace needs `t_ms` and `emg`, labels need `onset_ms` and `offset_ms`")]
    MissingColumn {
        path: PathBuf,
        line: u64,
        column: &'static str,
        found: String,
    },
    #[error("{path}:{line}: column `{column}` is `{value}`, which is not {expected}")]
    NotANumber {
        path: PathBuf,
        line: u64,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{path}:{line}: time goes backwards: {column} {t_ms} comes after {previous}")]
    Backwards {
        path: PathBuf,
        line: u64,
        /// The column read (`t_ms` of a trace, `onset_ms` of labels).
        column: &'static str,
        t_ms: f64,
        previous: f64,
    },
    #[error("{path}:{line}: a closure must end after it starts (onset_ms {onset_ms}, offset_ms {offset_ms})")]
    EmptyClosure {
        path: PathBuf,
        line: u64,
        onset_ms: f64,
        offset_ms: f64,
    },
    #[error("{path}:1: the file is UTF-16 text (a spreadsheet's \"Unicode text\"?); save it as CSV in UTF-8")]
    Utf16 { path: PathBuf },
    #[error("{path}:{line}: malformed CSV row: {message}")]
    Malformed {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

impl TraceError {
    fn from_csv(path: &Path, err: csv::Error) -> Self {
        let line = err.position().map(|p| p.line()).unwrap_or(0);
        match err.into_kind() {
            csv::ErrorKind::Io(source) => TraceError::Io {
                path: path.to_path_buf(),
                source,
            },
            kind => TraceError::Malformed {
                path: path.to_path_buf(),
                line,
                message: describe_csv_error(&kind),
            },
        }
    }
}

fn describe_csv_error(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8 text ({err})"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        other => format!("{other:?}"),
    }
}

fn parse_time(path: &Path, line: u64, column: &'static str, raw: &str) -> Result<f64, TraceError> {
    let raw = raw.trim();
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(TraceError::NotANumber {
            path: path.to_path_buf(),
            line,
            column,
            value: raw.to_string(),
            expected: "a finite number of milliseconds",
        }),
    }
}

fn parse_counts(path: &Path, line: u64, raw: &str) -> Result<i32, TraceError> {
    let raw = raw.trim();
    raw.parse::<i32>().map_err(|e| TraceError::NotANumber {
        path: path.to_path_buf(),
        line,
        column: "emg",
        value: raw.to_string(),
        expected: match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "an integer within +-2147483647 (ADS1115 counts fit in 16 bits)"
            }
            _ => "an integer (ADS1115 counts)",
        },
    })
}

fn find_column(
    path: &Path,
    headers: &csv::StringRecord,
    column: &'static str,
) -> Result<usize, TraceError> {
    headers
        .iter()
        .position(|h| h.trim() == column)
        .ok_or_else(|| TraceError::MissingColumn {
            path: path.to_path_buf(),
            line: 1,
            column,
            found: headers
                .iter()
                .map(|h| format!("`{}`", h.trim()))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn open(path: &Path) -> Result<BufReader<File>, TraceError> {
    let io = |source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = File::open(path)
        .map(|f| BufReader::with_capacity(1 << 16, f))
        .map_err(io)?;
    // A spreadsheet's "Unicode text" export is UTF-16, byte order mark
    // first: every byte of it would be "not UTF-8", which says little.
    let head = io::BufRead::fill_buf(&mut reader).map_err(io)?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(TraceError::Utf16 {
            path: path.to_path_buf(),
        });
    }
    Ok(reader)
}

/// Streams the samples of a trace, one row at a time.
///
/// ```no_run
/// # fn main() -> Result<(), augenblick::trace::TraceError> {
/// for sample in augenblick::trace::TraceReader::open("calm.csv")? {
///     let sample = sample?;
///     println!("{} ms: {}", sample.t_ms, sample.emg);
/// }
/// # Ok(()) }
/// ```
pub struct TraceReader<R: Read = BufReader<File>> {
    path: PathBuf,
    csv: csv::Reader<R>,
    record: csv::StringRecord,
    t_col: usize,
    emg_col: usize,
    previous: Option<f64>,
    rows: u64,
    failed: bool,
}

impl TraceReader<BufReader<File>> {
    /// Opens a trace file and checks its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TraceError> {
        let path = path.as_ref();
        Self::from_reader(path, open(path)?)
    }
}

impl<R: Read> TraceReader<R> {
    /// Reads a trace from any reader; `path` is only used in messages.
    pub fn from_reader(path: impl AsRef<Path>, reader: R) -> Result<Self, TraceError> {
        let path = path.as_ref().to_path_buf();
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|e| TraceError::from_csv(&path, e))?
            .clone();
        if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
            return Err(TraceError::Empty {
                path,
                expected: "t_ms,emg",
            });
        }
        let t_col = find_column(&path, &headers, "t_ms")?;
        let emg_col = find_column(&path, &headers, "emg")?;
        Ok(TraceReader {
            path,
            csv,
            record: csv::StringRecord::new(),
            t_col,
            emg_col,
            previous: None,
            rows: 0,
            failed: false,
        })
    }

    /// The file this reader reads, as named in its messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn next_sample(&mut self) -> Result<Option<Sample>, TraceError> {
        match self.csv.read_record(&mut self.record) {
            Ok(false) => {
                if self.rows == 0 {
                    return Err(TraceError::Empty {
                        path: self.path.clone(),
                        expected: "t_ms,emg",
                    });
                }
                Ok(None)
            }
            Err(e) => Err(TraceError::from_csv(&self.path, e)),
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                let t_ms = parse_time(&self.path, line, "t_ms", &self.record[self.t_col])?;
                let emg = parse_counts(&self.path, line, &self.record[self.emg_col])?;
                if let Some(previous) = self.previous {
                    if t_ms < previous {
                        return Err(TraceError::Backwards {
                            path: self.path.clone(),
                            line,
                            column: "t_ms",
                            t_ms,
                            previous,
                        });
                    }
                }
                self.previous = Some(t_ms);
                self.rows += 1;
                Ok(Some(Sample { t_ms, emg }))
            }
        }
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<Sample, TraceError>;

    /// Yields samples until the end of the file, or one error and then `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_sample() {
            Ok(Some(s)) => Some(Ok(s)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Reads a whole trace into memory (for sweeps, which replay it many times).
pub fn read_trace(path: impl AsRef<Path>) -> Result<Vec<Sample>, TraceError> {
    TraceReader::open(path)?.collect()
}

/// Reads a label file: one closure per row, in time order.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<Label>, TraceError> {
    let path = path.as_ref();
    read_labels_from(path, open(path)?)
}

/// Reads labels from any reader; `path` is only used in messages.
pub fn read_labels_from(path: &Path, reader: impl Read) -> Result<Vec<Label>, TraceError> {
    let mut csv = csv::ReaderBuilder::new().from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| TraceError::from_csv(path, e))?
        .clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
            expected: "onset_ms,offset_ms",
        });
    }
    let on_col = find_column(path, &headers, "onset_ms")?;
    let off_col = find_column(path, &headers, "offset_ms")?;
    let mut labels: Vec<Label> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Err(e) => return Err(TraceError::from_csv(path, e)),
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let onset_ms = parse_time(path, line, "onset_ms", &record[on_col])?;
                let offset_ms = parse_time(path, line, "offset_ms", &record[off_col])?;
                if offset_ms <= onset_ms {
                    return Err(TraceError::EmptyClosure {
                        path: path.to_path_buf(),
                        line,
                        onset_ms,
                        offset_ms,
                    });
                }
                if let Some(prev) = labels.last() {
                    if onset_ms < prev.onset_ms {
                        return Err(TraceError::Backwards {
                            path: path.to_path_buf(),
                            line,
                            column: "onset_ms",
                            t_ms: onset_ms,
                            previous: prev.onset_ms,
                        });
                    }
                    if onset_ms < prev.offset_ms {
                        log::warn!(
                            "{}:{line}: this closure (onset_ms {}) begins before the one before it ends (offset_ms {}); scored as they are",
                            path.display(),
                            Ms(onset_ms),
                            Ms(prev.offset_ms)
                        );
                    }
                }
                labels.push(Label {
                    onset_ms,
                    offset_ms,
                });
            }
        }
    }
    Ok(labels)
}

/// Formats a time in milliseconds the way all our CSV files do: integers
/// stay integers, anything else keeps three decimals (microseconds).
pub struct Ms(pub f64);

impl fmt::Display for Ms {
    /// Called for every row the appliance and `synth` write, so it formats
    /// without allocating: whole microseconds, trailing zeros dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 {
            return write!(f, "{}", v as i64);
        }
        if !v.is_finite() || v.abs() >= 1e15 {
            return write!(f, "{v}");
        }
        let us = (v.abs() * 1000.0).round() as i64;
        let (whole, mut frac) = (us / 1000, us % 1000);
        let sign = if v < 0.0 && us != 0 { "-" } else { "" };
        if frac == 0 {
            return write!(f, "{sign}{whole}");
        }
        let mut digits = 3;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{sign}{whole}.{frac:0digits$}")
    }
}

/// Writes a trace: header `t_ms,emg` plus any extra columns the caller names.
pub struct TraceWriter<W: Write> {
    out: W,
    extra: usize,
}

impl TraceWriter<BufWriter<File>> {
    /// Creates (or truncates) a trace file with the given extra columns.
    pub fn create(path: impl AsRef<Path>, extra_columns: &[&str]) -> io::Result<Self> {
        let file = File::create(path)?;
        TraceWriter::new(BufWriter::with_capacity(1 << 16, file), extra_columns)
    }
}

impl<W: Write> TraceWriter<W> {
    /// Writes the header to `out`.
    pub fn new(mut out: W, extra_columns: &[&str]) -> io::Result<Self> {
        write!(out, "t_ms,emg")?;
        for c in extra_columns {
            write!(out, ",{c}")?;
        }
        writeln!(out)?;
        Ok(TraceWriter {
            out,
            extra: extra_columns.len(),
        })
    }

    /// Writes one row; `extra` must have one value per extra column.
    pub fn write(&mut self, sample: Sample, extra: &[&dyn fmt::Display]) -> io::Result<()> {
        debug_assert_eq!(extra.len(), self.extra);
        write!(self.out, "{},{}", Ms(sample.t_ms), sample.emg)?;
        for v in extra {
            write!(self.out, ",{v}")?;
        }
        writeln!(self.out)
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes a label file.
pub fn write_labels(path: impl AsRef<Path>, labels: &[Label]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(out, "onset_ms,offset_ms")?;
    for l in labels {
        writeln!(out, "{},{}", Ms(l.onset_ms), Ms(l.offset_ms))?;
    }
    out.flush()
}

/// The median of the intervals between the first samples (up to 2000 of
/// them; zero steps left out), in ms: the rate a trace was sampled at.
/// None for fewer than two distinct times.
pub fn median_interval_ms(times: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut last = f64::NAN;
    let mut steps: Vec<f64> = Vec::new();
    for t in times.into_iter().take(2001) {
        let dt = t - last;
        if dt > 0.0 {
            steps.push(dt);
        }
        last = t;
    }
    if steps.is_empty() {
        return None;
    }
    let mid = steps.len() / 2;
    Some(*steps.select_nth_unstable_by(mid, f64::total_cmp).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_interval_skips_repeated_times() {
        assert_eq!(median_interval_ms([]), None);
        assert_eq!(median_interval_ms([5.0]), None);
        assert_eq!(median_interval_ms([5.0, 5.0, 5.0]), None);
        // Steps 40, 0 (left out), 41, 39, 1000 (a gap): the median of four.
        let t = [0.0, 40.0, 40.0, 81.0, 120.0, 1120.0];
        assert_eq!(median_interval_ms(t), Some(41.0));
        // Only the first 2000 steps count: a change of rate after them does not.
        let times = (0..5000).map(|i| {
            if i <= 2000 {
                f64::from(i) * 40.0
            } else {
                80_000.0 + f64::from(i - 2000) * 1.0
            }
        });
        assert_eq!(median_interval_ms(times), Some(40.0));
    }

    fn read(text: &str) -> Result<Vec<Sample>, TraceError> {
        TraceReader::from_reader("t.csv", text.as_bytes())?.collect()
    }

    #[test]
    fn reads_columns_in_any_order_and_ignores_others() {
        let s = read("state,emg,t_ms\nidle,100,0\nidle,105,40.5\n").unwrap();
        assert_eq!(
            s,
            vec![
                Sample {
                    t_ms: 0.0,
                    emg: 100
                },
                Sample {
                    t_ms: 40.5,
                    emg: 105
                }
            ]
        );
    }

    #[test]
    fn equal_times_are_allowed() {
        assert_eq!(read("t_ms,emg\n5,1\n5,2\n").unwrap().len(), 2);
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases: &[(&str, &str)] = &[
            ("", "t.csv: the file is empty"),
            ("t_ms,emg\n", "t.csv: the file is empty"),
            ("t_ms,value\n0,1\n", "t.csv:1: no column `emg`"),
            ("t_ms,emg\n0,1\n40,abc\n", "t.csv:3: column `emg` is `abc`"),
            ("t_ms,emg\n0,1\n40,1.5\n", "t.csv:3: column `emg` is `1.5`"),
            ("t_ms,emg\nx,1\n", "t.csv:2: column `t_ms` is `x`"),
            ("t_ms,emg\n0,1\nNaN,1\n", "t.csv:3: column `t_ms` is `NaN`"),
            (
                "t_ms,emg\n0,1\n80,1\n40,1\n",
                "t.csv:4: time goes backwards",
            ),
            ("t_ms,emg\n0,1\n40\n", "t.csv:3: malformed CSV row"),
        ];
        for (text, want) in cases {
            let err = read(text).unwrap_err().to_string();
            assert!(
                err.starts_with(want),
                "{text:?}: got {err:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn reader_stops_after_the_first_error() {
        let mut r = TraceReader::from_reader("t.csv", "t_ms,emg\nx,1\n0,1\n".as_bytes()).unwrap();
        assert!(r.next().unwrap().is_err());
        assert!(r.next().is_none());
    }

    #[test]
    fn labels_are_checked() {
        let ok = read_labels_from(
            Path::new("l.csv"),
            "onset_ms,offset_ms\n100,300\n900,1100.5\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].offset_ms, 1100.5);
        let cases: &[(&str, &str)] = &[
            ("", "l.csv: the file is empty"),
            ("onset,offset_ms\n1,2\n", "l.csv:1: no column `onset_ms`"),
            (
                "onset_ms,offset_ms\n100,50\n",
                "l.csv:2: a closure must end after it starts",
            ),
            (
                "onset_ms,offset_ms\n100,200\n50,60\n",
                "l.csv:3: time goes backwards: onset_ms 50 comes after 100",
            ),
            (
                "onset_ms,offset_ms\n100,x\n",
                "l.csv:2: column `offset_ms` is `x`",
            ),
        ];
        for (text, want) in cases {
            let err = read_labels_from(Path::new("l.csv"), text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(want),
                "{text:?}: got {err:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn writer_round_trips() {
        let mut w = TraceWriter::new(Vec::new(), &["state"]).unwrap();
        w.write(Sample { t_ms: 0.0, emg: 7 }, &[&"idle"]).unwrap();
        w.write(
            Sample {
                t_ms: 40.25,
                emg: -3,
            },
            &[&"closed"],
        )
        .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "t_ms,emg,state\n0,7,idle\n40.25,-3,closed\n");
        assert_eq!(read(&text).unwrap().len(), 2);
    }

    #[test]
    fn ms_formatting() {
        assert_eq!(Ms(40.0).to_string(), "40");
        assert_eq!(Ms(40.5).to_string(), "40.5");
        assert_eq!(Ms(1.0 / 3.0).to_string(), "0.333");
        assert_eq!(Ms(-2.0).to_string(), "-2");
        assert_eq!(Ms(40.05).to_string(), "40.05");
        assert_eq!(Ms(1234.0004).to_string(), "1234");
        assert_eq!(Ms(0.0999).to_string(), "0.1");
        assert_eq!(Ms(-0.25).to_string(), "-0.25");
        assert_eq!(Ms(7.007).to_string(), "7.007");
    }
}

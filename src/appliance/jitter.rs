//! Sampler jitter statistics: how late each read came after its deadline.
//!
//! A fixed histogram of 10 µs bins up to 100 ms (anything later lands in the
//! last bin, and the exact maximum is kept), so memory stays flat however
//! long the session.

use serde::Serialize;

const BIN_US: f64 = 10.0;
const BINS: usize = 10_000;

/// See the module docs.
#[derive(Debug, Clone)]
pub struct JitterStats {
    bins: Vec<u64>,
    count: u64,
    max_ms: f64,
}

/// The figures a session records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct JitterSummary {
    pub samples: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Default for JitterStats {
    fn default() -> Self {
        JitterStats {
            bins: vec![0; BINS],
            count: 0,
            max_ms: 0.0,
        }
    }
}

impl JitterStats {
    /// Records one read that came `late_ms` after its deadline.
    pub fn record(&mut self, late_ms: f64) {
        let late_ms = late_ms.max(0.0);
        let bin = ((late_ms * 1000.0 / BIN_US) as usize).min(BINS - 1);
        self.bins[bin] += 1;
        self.count += 1;
        self.max_ms = self.max_ms.max(late_ms);
    }

    /// The upper edge of the bin holding quantile `q`.
    fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.bins.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return ((i + 1) as f64 * BIN_US / 1000.0).min(self.max_ms);
            }
        }
        self.max_ms
    }

    pub fn summary(&self) -> JitterSummary {
        JitterSummary {
            samples: self.count,
            p50_ms: self.quantile(0.5),
            p99_ms: self.quantile(0.99),
            max_ms: self.max_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_known_spread() {
        let mut j = JitterStats::default();
        for i in 0..1000 {
            j.record(i as f64 / 100.0); // 0 .. 9.99 ms
        }
        let s = j.summary();
        assert_eq!(s.samples, 1000);
        assert!((s.p50_ms - 5.0).abs() <= 0.02, "{s:?}");
        assert!((s.p99_ms - 9.9).abs() <= 0.02, "{s:?}");
        assert_eq!(s.max_ms, 9.99);
        j.record(500.0);
        assert_eq!(j.summary().max_ms, 500.0);
        assert_eq!(JitterStats::default().summary().p99_ms, 0.0);
    }
}

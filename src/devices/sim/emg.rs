//! An ADC that replays a trace.

use crate::devices::{DeviceError, EmgSource};
use crate::trace::Sample;

/// Replays a trace: a read at `t_ms` returns the trace sample nearest to
/// `t_ms` (within half a sampling period), like an ADC converting a signal
/// that was recorded. Reads past the end give [`DeviceError::EndOfInput`].
#[derive(Debug, Clone)]
pub struct TraceEmg {
    samples: Vec<Sample>,
    next: usize,
    half_period_ms: f64,
}

impl TraceEmg {
    /// `period_ms` is the sampler's period (match it to the trace's).
    pub fn new(samples: Vec<Sample>, period_ms: f64) -> Self {
        TraceEmg {
            samples,
            next: 0,
            half_period_ms: period_ms / 2.0,
        }
    }

    /// The trace's median sampling period, in ms (`None` if under 2 samples).
    pub fn median_period_ms(samples: &[Sample]) -> Option<f64> {
        crate::trace::median_interval_ms(samples.iter().map(|s| s.t_ms))
    }

    /// Time of the last sample.
    pub fn end_ms(&self) -> f64 {
        self.samples.last().map_or(0.0, |s| s.t_ms)
    }
}

impl EmgSource for TraceEmg {
    fn read(&mut self, t_ms: f64) -> Result<i32, DeviceError> {
        let limit = t_ms + self.half_period_ms;
        while self.next < self.samples.len() && self.samples[self.next].t_ms <= limit {
            self.next += 1;
        }
        if self.next == 0 {
            // Before the first sample: hold its value.
            return self
                .samples
                .first()
                .map(|s| s.emg)
                .ok_or(DeviceError::EndOfInput { device: "trace" });
        }
        let last = self.samples[self.next - 1];
        if self.next == self.samples.len() && t_ms > last.t_ms + self.half_period_ms {
            return Err(DeviceError::EndOfInput { device: "trace" });
        }
        Ok(last.emg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t_ms: f64, emg: i32) -> Sample {
        Sample { t_ms, emg }
    }

    #[test]
    fn replays_the_nearest_sample_and_ends() {
        let trace = vec![s(0.0, 1), s(41.0, 2), s(79.0, 3), s(120.0, 4)];
        assert_eq!(TraceEmg::median_period_ms(&trace), Some(41.0));
        let mut emg = TraceEmg::new(trace, 40.0);
        let got: Vec<_> = [0.0, 40.0, 80.0, 120.0]
            .iter()
            .map(|&t| emg.read(t).unwrap())
            .collect();
        assert_eq!(got, vec![1, 2, 3, 4]);
        assert!(matches!(
            emg.read(161.0),
            Err(DeviceError::EndOfInput { .. })
        ));
    }
}

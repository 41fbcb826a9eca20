//! The detector's parameters ([`DetectorConfig`]): their defaults, their
//! names for a sweep, and the checks that reject a value that cannot work.

use super::*;

/// Detector parameters. Times in milliseconds; levels in noise units (the
/// learned standard deviation of the resting signal), except the rails,
/// which are ADC counts because they are properties of the hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// Time at the start (and after each fault) spent learning baseline and
    /// noise. A blink inside it is still found, once it ends.
    pub calibration_ms: f64,
    /// A rise this far above the recent floor starts a candidate (an `Onset`).
    pub on_sigma: f64,
    /// Falling back below the floor plus this ends the candidate (hysteresis).
    pub off_sigma: f64,
    /// Shortest closure reported (estimated onset to offset). The offset
    /// includes `reopen_ms`, so a minimum up to that never binds: brief
    /// bursts are turned away as spikes (`spike_ms`) before this is asked.
    pub min_closure_ms: f64,
    /// Longest closure reported (long deliberate closures included); a
    /// "closure" that has not ended by then is a baseline step, retracted.
    pub max_closure_ms: f64,
    /// Time after a burst falls during which no new candidate starts.
    pub refractory_ms: f64,
    /// Time constant of the baseline rising and of the noise estimate.
    pub baseline_ms: f64,
    /// The floor a blink rises above is the minimum over this recent window:
    /// rises slower than this drag the floor along (smiles, drift).
    pub floor_ms: f64,
    /// Least height above the floor for a closure, in noise units.
    pub closure_sigma: f64,
    /// Least height as a share of the wearer's typical blink (once known).
    pub typical_share: f64,
    /// While bursts come rhythmically (chewing, talking), a closure must be
    /// this many times as tall as the median of those bursts.
    pub rhythm_ratio: f64,
    /// Bursts (besides the candidate) within this window before it make it
    /// rhythmic ...
    pub rhythm_ms: f64,
    /// ... when there are at least this many.
    pub rhythm_bursts: f64,
    /// A blink reaches its peak within this time after the onset decision.
    pub rise_ms: f64,
    /// A burst lasting longer than this is a long closure only if it rose
    /// like a blink; otherwise it is a plateau (a smile, a step), retracted.
    pub blink_ms: f64,
    /// A burst above the off level for less than this is a spike (cable tug);
    /// so is one that is a single sample wide at half height.
    pub spike_ms: f64,
    /// Passive reopening: the lid opens this long after the burst falls.
    pub reopen_ms: f64,
    /// The lid starts moving this long before the envelope leaves the floor.
    pub onset_lead_ms: f64,
    /// The low rail, the envelope's ground: samples at or below this many
    /// counts are clipped. A quiet muscle may rest there, so it is never a
    /// fault: the noise is learned from what lies above it.
    pub rail_low_counts: f64,
    /// Samples at or above this many counts are at the high rail.
    pub rail_high_counts: f64,
    /// Time at the high rail before a `Railed` fault.
    pub rail_ms: f64,
    /// Time without movement before a `Flat` fault ...
    pub flat_ms: f64,
    /// ... where "without movement" is a range below this, in noise units.
    pub flat_sigma: f64,
    /// Time of wild swings below the baseline before a `Wild` fault ...
    pub wild_ms: f64,
    /// ... where "wild" is a mean depth below the baseline of this, in noise units.
    pub wild_sigma: f64,
    /// A fault ends after the signal has been sound this long.
    pub fault_clear_ms: f64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            calibration_ms: 1500.0,
            on_sigma: 5.0,
            off_sigma: 2.0,
            min_closure_ms: 60.0,
            max_closure_ms: 8000.0,
            refractory_ms: 60.0,
            baseline_ms: 4000.0,
            floor_ms: 250.0,
            closure_sigma: 5.5,
            typical_share: 0.35,
            rhythm_ratio: 1.6,
            rhythm_ms: 2500.0,
            rhythm_bursts: 3.0,
            rise_ms: 300.0,
            blink_ms: 600.0,
            spike_ms: 30.0,
            reopen_ms: 110.0,
            onset_lead_ms: 20.0,
            rail_low_counts: 0.0,
            rail_high_counts: 32767.0,
            rail_ms: 200.0,
            flat_ms: 300.0,
            flat_sigma: 0.3,
            wild_ms: 400.0,
            wild_sigma: 4.0,
            fault_clear_ms: 500.0,
        }
    }
}

/// A parameter value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("detector.{name} = {value}: {why}")]
    Invalid {
        name: &'static str,
        value: f64,
        why: &'static str,
    },
    #[error("no detector parameter `{0}`; known: {known}", known = DetectorConfig::PARAMS.join(", "))]
    Unknown(String),
}

impl DetectorConfig {
    /// Names of the parameters a sweep may vary.
    pub const PARAMS: &'static [&'static str] = &[
        "calibration_ms",
        "on_sigma",
        "off_sigma",
        "min_closure_ms",
        "max_closure_ms",
        "refractory_ms",
        "baseline_ms",
        "floor_ms",
        "closure_sigma",
        "typical_share",
        "rhythm_ratio",
        "rhythm_ms",
        "rhythm_bursts",
        "rise_ms",
        "blink_ms",
        "spike_ms",
        "reopen_ms",
        "onset_lead_ms",
        "rail_low_counts",
        "rail_high_counts",
        "rail_ms",
        "flat_ms",
        "flat_sigma",
        "wild_ms",
        "wild_sigma",
        "fault_clear_ms",
    ];

    fn field(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "calibration_ms" => &mut self.calibration_ms,
            "on_sigma" => &mut self.on_sigma,
            "off_sigma" => &mut self.off_sigma,
            "min_closure_ms" => &mut self.min_closure_ms,
            "max_closure_ms" => &mut self.max_closure_ms,
            "refractory_ms" => &mut self.refractory_ms,
            "baseline_ms" => &mut self.baseline_ms,
            "floor_ms" => &mut self.floor_ms,
            "closure_sigma" => &mut self.closure_sigma,
            "typical_share" => &mut self.typical_share,
            "rhythm_ratio" => &mut self.rhythm_ratio,
            "rhythm_ms" => &mut self.rhythm_ms,
            "rhythm_bursts" => &mut self.rhythm_bursts,
            "rise_ms" => &mut self.rise_ms,
            "blink_ms" => &mut self.blink_ms,
            "spike_ms" => &mut self.spike_ms,
            "reopen_ms" => &mut self.reopen_ms,
            "onset_lead_ms" => &mut self.onset_lead_ms,
            "rail_low_counts" => &mut self.rail_low_counts,
            "rail_high_counts" => &mut self.rail_high_counts,
            "rail_ms" => &mut self.rail_ms,
            "flat_ms" => &mut self.flat_ms,
            "flat_sigma" => &mut self.flat_sigma,
            "wild_ms" => &mut self.wild_ms,
            "wild_sigma" => &mut self.wild_sigma,
            "fault_clear_ms" => &mut self.fault_clear_ms,
            _ => return None,
        })
    }

    /// Samples at or below this are at the ground, clipped: the low rail
    /// and half a count (see [`front::GROUND_COUNTS`]).
    pub(crate) fn ground(&self) -> f64 {
        self.rail_low_counts + front::GROUND_COUNTS
    }

    /// Reads a parameter by name.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.clone().field(name).map(|v| *v)
    }

    /// Sets a parameter by name (for sweeps).
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ConfigError> {
        *self
            .field(name)
            .ok_or_else(|| ConfigError::Unknown(name.to_string()))? = value;
        Ok(())
    }

    /// This config with each parameter that cannot change what the
    /// detector does set to one canonical value: configs with equal
    /// behaviours give the same events, bit for bit, on any input (a sweep
    /// runs each behaviour once). So far one: a closure is judged from its
    /// onset to its burst's let-go (never earlier) plus `reopen_ms`, so a
    /// `min_closure_ms` up to `reopen_ms` never binds (1 ms short of it,
    /// for rounding); it becomes 0. (The offset reported may come earlier:
    /// a double blink's first closure ends where the second begins.)
    /// Checked bit for bit on random input in `tests/detector_props.rs`.
    pub fn behaviour(&self) -> DetectorConfig {
        let mut c = self.clone();
        if c.min_closure_ms <= c.reopen_ms - 1.0 {
            c.min_closure_ms = 0.0;
        }
        c
    }

    /// Rejects values that cannot work, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |name, value: f64, ok: bool, why| {
            if ok && value.is_finite() {
                Ok(())
            } else {
                Err(ConfigError::Invalid { name, value, why })
            }
        };
        let window_max = baseline::BUCKET_MS * baseline::RING as f64;
        for (name, value) in [
            ("calibration_ms", self.calibration_ms),
            ("min_closure_ms", self.min_closure_ms),
            ("refractory_ms", self.refractory_ms),
            ("rise_ms", self.rise_ms),
            ("spike_ms", self.spike_ms),
            ("reopen_ms", self.reopen_ms),
            ("onset_lead_ms", self.onset_lead_ms),
            ("rail_ms", self.rail_ms),
            ("wild_ms", self.wild_ms),
            ("fault_clear_ms", self.fault_clear_ms),
            ("rhythm_ms", self.rhythm_ms),
        ] {
            check(name, value, value >= 0.0, "must be >= 0")?;
        }
        for (name, value) in [
            ("on_sigma", self.on_sigma),
            ("closure_sigma", self.closure_sigma),
            ("baseline_ms", self.baseline_ms),
            ("wild_sigma", self.wild_sigma),
            ("flat_sigma", self.flat_sigma),
        ] {
            check(name, value, value > 0.0, "must be > 0")?;
        }
        check(
            "off_sigma",
            self.off_sigma,
            self.off_sigma >= 0.0 && self.off_sigma <= self.on_sigma,
            "must be between 0 and on_sigma",
        )?;
        check(
            "max_closure_ms",
            self.max_closure_ms,
            self.max_closure_ms > self.min_closure_ms && self.max_closure_ms >= self.blink_ms,
            "must be above min_closure_ms and at least blink_ms",
        )?;
        check(
            "blink_ms",
            self.blink_ms,
            self.blink_ms > 0.0,
            "must be > 0",
        )?;
        check(
            "floor_ms",
            self.floor_ms,
            self.floor_ms > 0.0 && self.floor_ms <= window_max,
            "must be between 0 and 400 (the floor window's capacity)",
        )?;
        check(
            "flat_ms",
            self.flat_ms,
            self.flat_ms > 0.0 && self.flat_ms <= window_max,
            "must be between 0 and 400 (the flat window's capacity)",
        )?;
        check(
            "typical_share",
            self.typical_share,
            (0.0..=1.0).contains(&self.typical_share),
            "must be between 0 and 1",
        )?;
        check(
            "rhythm_ratio",
            self.rhythm_ratio,
            self.rhythm_ratio >= 0.0,
            "must be >= 0",
        )?;
        check(
            "rhythm_bursts",
            self.rhythm_bursts,
            (0.0..=RHYTHM_KEPT as f64).contains(&self.rhythm_bursts),
            "must be between 0 and 8",
        )?;
        check(
            "rail_low_counts",
            self.rail_low_counts,
            self.rail_low_counts < self.rail_high_counts,
            "must be below rail_high_counts",
        )?;
        check(
            "rail_high_counts",
            self.rail_high_counts,
            true,
            "must be a number",
        )?;
        Ok(())
    }
}

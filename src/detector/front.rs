//! The detector's front end: what a sample means before any decision.
//!
//! Part of the work on each sample depends on the samples alone and on four
//! parameters, never on what the detector decided: the time step, the
//! previous sample, the floor and flat windows ([`Window`]) and how long the
//! signal has sat at a rail. [`FrontEnd`] does that part and hands the
//! result on as a [`Prepared`] sample.
//!
//! A lone detector owns a front end and calls it from `push`. A parameter
//! sweep runs many configs over the same trace: configs that agree on
//! [`FrontKey`] share one front end, which prepares a block of samples once
//! for all of them (see `tune::sweep`), so they only pay for their decisions.

use super::baseline::{fmax, Window};
use super::DetectorConfig;

/// The parameters the front end depends on. Configs with equal keys see
/// the same [`Prepared`] samples, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontKey {
    floor_ms: f64,
    flat_ms: f64,
    rail_low_counts: f64,
    rail_high_counts: f64,
}

impl FrontKey {
    pub fn of(cfg: &DetectorConfig) -> Self {
        FrontKey {
            floor_ms: cfg.floor_ms,
            flat_ms: cfg.flat_ms,
            rail_low_counts: cfg.rail_low_counts,
            rail_high_counts: cfg.rail_high_counts,
        }
    }
}

/// One sample as the front end saw it.
#[derive(Debug, Clone, Copy)]
pub struct Prepared {
    /// Time of the sample (never earlier than the one before).
    pub(crate) t: f64,
    /// Time since the previous sample (0 for the first).
    pub(crate) dt: f64,
    pub(crate) prev_t: f64,
    /// The sample's value, in counts.
    pub(crate) x: f64,
    /// The previous sample's value (its own value for the first).
    pub(crate) prev_x: f64,
    /// The window's floor, this sample included.
    pub(crate) window_floor: f64,
    /// Range of the bucket that closed on this sample; -infinity if none did.
    pub(crate) newest_range: f64,
    /// The flat window's range when a bucket closed on this sample and the
    /// window is known (see [`Window::flat_range`]); NaN otherwise.
    pub(crate) flat_range: f64,
    /// Since when the signal has been at a rail (NaN: it is not).
    pub(crate) railed_since: f64,
    /// A bucket of the window closed on this sample.
    pub(crate) closed: bool,
}

/// Turns raw samples into [`Prepared`] ones.
#[derive(Debug, Clone)]
pub struct FrontEnd {
    started: bool,
    last_t: f64,
    prev_x: f64,
    window: Window,
    rail_low: f64,
    rail_high: f64,
    railed_since: f64,
}

impl FrontEnd {
    pub fn new(key: FrontKey) -> Self {
        FrontEnd {
            started: false,
            last_t: f64::NEG_INFINITY,
            prev_x: 0.0,
            window: Window::new(key.floor_ms, key.flat_ms),
            rail_low: key.rail_low_counts,
            rail_high: key.rail_high_counts,
            railed_since: f64::NAN,
        }
    }

    /// Takes one raw sample; `None` for a sample without a time (NaN),
    /// which the detector ignores. Times should not decrease; a time
    /// earlier than the last is taken as equal to it.
    #[inline]
    pub fn advance(&mut self, t_ms: f64, emg: i32) -> Option<Prepared> {
        if t_ms.is_nan() {
            return None;
        }
        let x = f64::from(emg);
        if !self.started {
            self.started = true;
            self.last_t = t_ms;
            self.prev_x = x;
        }
        // Neither is NaN: a plain comparison, where `f64::max` also has to
        // handle NaN.
        let t = fmax(self.last_t, t_ms);
        let prev_t = self.last_t;
        self.last_t = t;
        let closed = self.window.push(t, x);
        let (newest_range, flat_range) = if closed {
            (
                self.window.newest_range(),
                self.window.flat_range().unwrap_or(f64::NAN),
            )
        } else {
            (f64::NEG_INFINITY, f64::NAN)
        };
        // Only the samples say how long the signal has sat at a rail; the
        // detector decides whether that makes a fault.
        if x <= self.rail_low || x >= self.rail_high {
            if self.railed_since.is_nan() {
                self.railed_since = t;
            }
        } else {
            self.railed_since = f64::NAN;
        }
        let p = Prepared {
            t,
            dt: t - prev_t,
            prev_t,
            x,
            prev_x: self.prev_x,
            window_floor: self.window.floor(),
            newest_range,
            flat_range,
            railed_since: self.railed_since,
            closed,
        };
        self.prev_x = x;
        Some(p)
    }
}

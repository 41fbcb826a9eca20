//! Tuning the detector on recorded traces: scoring against labels
//! ([`metrics`]), parameter sweeps ([`sweep`]) and plots ([`plot`]).

pub mod metrics;
pub mod plot;
pub mod sweep;

pub use metrics::{score, Match, Score, ScoreOptions};

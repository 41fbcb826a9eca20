//! Scoring a detector against labels, parameter sweeps and plots.
//!
//! Placeholder: filled in by the detector issue.

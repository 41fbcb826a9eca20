//! Synthetic labelled EMG traces: a honest model of the sensor chain, per scenario.
//!
//! Placeholder: filled in by the detector issue.

//! Simulated devices: trace-replaying ADC, synthetic camera, scripted button, LED log.
//!
//! Placeholder: filled in by the appliance issue.

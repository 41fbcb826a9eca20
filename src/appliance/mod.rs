//! The running appliance: sampler, camera, recorder and writer threads.
//!
//! Placeholder: filled in by the appliance issue.

//! The session folder: crash-safe writing, repair and reading.
//!
//! Placeholder: filled in by the appliance issue.

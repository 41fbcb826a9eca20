//! `augenblick check`: tests each part of the hardware and names the fix.
//!
//! Placeholder: filled in by the hardware issue.

//! Film export and contact sheets through FFmpeg.
//!
//! Placeholder: filled in by the film issue.

//! Time: the session clock, real or virtual.
//!
//! All times in the appliance are milliseconds since the session started.
//! On the glasses they come from the monotonic clock; in simulation from a
//! virtual clock that jumps straight to the next deadline, so a ten-minute
//! session runs in seconds and always the same way.

/// A source of session time that can also wait.
pub trait Clock: Send + Sync {
    /// Milliseconds since the session started.
    fn now_ms(&self) -> f64;
    /// Waits until `t_ms` (returns at once if it has passed).
    fn sleep_until(&self, t_ms: f64);
}

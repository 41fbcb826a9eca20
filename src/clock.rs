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

use std::sync::atomic::{AtomicU64, Ordering};

/// Simulated time: starts at 0 and jumps straight to every deadline, so the
/// appliance runs as fast as the CPU allows and always the same way.
///
/// Meant for one driving thread (the simulation's event loop): `sleep_until`
/// moves time forward, never back.
#[derive(Debug, Default)]
pub struct VirtualClock {
    /// The current time, as the bits of an `f64` in milliseconds.
    now_bits: AtomicU64,
}

impl VirtualClock {
    pub fn new() -> Self {
        VirtualClock {
            now_bits: AtomicU64::new(0f64.to_bits()),
        }
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> f64 {
        f64::from_bits(self.now_bits.load(Ordering::Acquire))
    }

    fn sleep_until(&self, t_ms: f64) {
        // Times are non-negative, so their bit patterns order like the values.
        if t_ms.is_finite() && t_ms >= 0.0 {
            self.now_bits.fetch_max(t_ms.to_bits(), Ordering::AcqRel);
        }
    }
}

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The real session clock: `CLOCK_MONOTONIC` (never steps with NTP or the
/// user setting the date), counted from the moment it was made.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    epoch_ns: u64,
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl MonotonicClock {
    /// A clock whose zero is now.
    pub fn new() -> Self {
        MonotonicClock {
            epoch_ns: monotonic_ns(),
        }
    }

    /// `CLOCK_MONOTONIC` nanoseconds at the clock's zero. V4L2 stamps buffers
    /// on `CLOCK_MONOTONIC`, so a buffer's time on this clock is
    /// `(buffer_ns - epoch_ns) / 1e6` ms.
    pub fn epoch_ns(&self) -> u64 {
        self.epoch_ns
    }

    /// Maps a `CLOCK_MONOTONIC` time in nanoseconds to session milliseconds.
    pub fn ms_from_monotonic_ns(&self, ns: u64) -> f64 {
        (ns as i128 - self.epoch_ns as i128) as f64 / 1e6
    }
}

impl Clock for MonotonicClock {
    fn now_ms(&self) -> f64 {
        self.ms_from_monotonic_ns(monotonic_ns())
    }

    /// Sleeps to an absolute deadline (`clock_nanosleep` with
    /// `TIMER_ABSTIME`), so periodic callers never drift as they would
    /// with `sleep(period)`.
    fn sleep_until(&self, t_ms: f64) {
        if !t_ms.is_finite() {
            return;
        }
        let target = self.epoch_ns as i128 + (t_ms * 1e6) as i128;
        if target <= monotonic_ns() as i128 {
            return;
        }
        let ts = libc::timespec {
            tv_sec: (target / 1_000_000_000) as libc::time_t,
            tv_nsec: (target % 1_000_000_000) as libc::c_long,
        };
        loop {
            // SAFETY: `ts` is a valid timespec; a null remainder is allowed with TIMER_ABSTIME.
            let rc = unsafe {
                libc::clock_nanosleep(
                    libc::CLOCK_MONOTONIC,
                    libc::TIMER_ABSTIME,
                    &ts,
                    std::ptr::null_mut(),
                )
            };
            if rc != libc::EINTR {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_only_moves_forward() {
        let c = VirtualClock::new();
        assert_eq!(c.now_ms(), 0.0);
        c.sleep_until(40.0);
        assert_eq!(c.now_ms(), 40.0);
        c.sleep_until(10.0);
        assert_eq!(c.now_ms(), 40.0);
        c.sleep_until(f64::NAN);
        assert_eq!(c.now_ms(), 40.0);
    }

    #[test]
    fn monotonic_clock_sleeps_to_absolute_deadlines() {
        let c = MonotonicClock::new();
        assert!(c.epoch_ns() > 0);
        for k in 1..=5 {
            let deadline = k as f64 * 5.0;
            c.sleep_until(deadline);
            let late = c.now_ms() - deadline;
            assert!(late >= 0.0, "woke {late} ms early");
        }
        assert!(c.ms_from_monotonic_ns(c.epoch_ns()) == 0.0);
    }
}

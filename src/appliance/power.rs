//! When the battery counts as low: a small pure state machine over the
//! supply's raw warning ([`crate::devices::Power`]), read every
//! `power.poll_ms`.
//!
//! The warning flickers before it stays: the Pi's under-voltage alarm
//! reports any dip in the last 2 s, and a battery near empty dips first
//! under load peaks (the camera, the disk), then all the time. So the
//! watch counts: up while the warning is on, down at half that speed
//! while it is off. Low once the count reaches `low_ms`: after `low_ms`
//! of a steady warning, or longer if it comes and goes, provided it is on
//! more than a third of the time (a dip now and then never adds up). Once
//! low, the battery counts as good again after `recover_ms` without a
//! warning (a charger plugged in).

/// The verdict on the battery, from its warning over time.
#[derive(Debug, Clone)]
pub struct PowerWatch {
    low_ms: f64,
    recover_ms: f64,
    /// How much warning has added up (0..=low_ms).
    count: f64,
    last_t: f64,
    /// The last reading: the warning's state since then.
    last_warning: bool,
    /// Since when the warning has been off, while low.
    clear_since: f64,
    low: bool,
}

/// The longest gap between two readings that counts in full (a stalled
/// loop must not make one reading count for minutes).
const MAX_STEP_MS: f64 = 2000.0;

impl PowerWatch {
    pub fn new(low_ms: f64, recover_ms: f64) -> Self {
        PowerWatch {
            low_ms,
            recover_ms,
            count: 0.0,
            last_t: f64::NAN,
            last_warning: false,
            clear_since: f64::NAN,
            low: false,
        }
    }

    /// Whether the battery counts as low now.
    pub fn is_low(&self) -> bool {
        self.low
    }

    /// One reading of the warning at `t_ms`; the new verdict when it changed.
    pub fn update(&mut self, t_ms: f64, warning: bool) -> Option<bool> {
        let dt = if self.last_t.is_nan() {
            0.0
        } else {
            (t_ms - self.last_t).clamp(0.0, MAX_STEP_MS)
        };
        self.last_t = t_ms;
        // The time since the last reading counts as that reading said.
        let was_on = std::mem::replace(&mut self.last_warning, warning);
        if self.low {
            if warning {
                self.clear_since = f64::NAN;
                return None;
            }
            if self.clear_since.is_nan() {
                self.clear_since = t_ms;
            }
            if t_ms - self.clear_since >= self.recover_ms {
                self.low = false;
                self.count = 0.0;
                self.clear_since = f64::NAN;
                return Some(false);
            }
            return None;
        }
        self.count = if was_on {
            self.count + dt
        } else {
            self.count - 0.5 * dt
        }
        .clamp(0.0, self.low_ms);
        if warning && self.count >= self.low_ms {
            self.low = true;
            self.clear_since = f64::NAN;
            return Some(true);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds readings every `step` ms from 0: `warning(t)` says whether the
    /// warning is on; returns the times at which the verdict changed.
    fn run(
        w: &mut PowerWatch,
        until: f64,
        step: f64,
        warning: impl Fn(f64) -> bool,
    ) -> Vec<(f64, bool)> {
        let mut out = Vec::new();
        let mut t = 0.0;
        while t <= until {
            if let Some(v) = w.update(t, warning(t)) {
                out.push((t, v));
            }
            t += step;
        }
        out
    }

    #[test]
    fn a_steady_warning_is_low_after_low_ms() {
        let mut w = PowerWatch::new(5000.0, 10_000.0);
        let changes = run(&mut w, 20_000.0, 500.0, |t| t >= 3000.0);
        assert_eq!(changes, vec![(8000.0, true)]);
        assert!(w.is_low());
    }

    #[test]
    fn dips_now_and_then_never_add_up() {
        // On for 1 s in every 4 (the alarm after a load peak).
        let mut w = PowerWatch::new(5000.0, 10_000.0);
        let changes = run(&mut w, 600_000.0, 500.0, |t| t % 4000.0 < 1000.0);
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn a_warning_on_most_of_the_time_adds_up_later() {
        // On 2 s in every 3: counts 2 s up and 0.5 s down per cycle.
        let mut w = PowerWatch::new(5000.0, 10_000.0);
        let changes = run(&mut w, 60_000.0, 500.0, |t| t % 3000.0 < 2000.0);
        assert_eq!(changes.len(), 1, "{changes:?}");
        let (t, low) = changes[0];
        assert!(low);
        assert!((7000.0..=12_000.0).contains(&t), "{t}");
    }

    #[test]
    fn good_again_after_recover_ms_without_a_warning() {
        let mut w = PowerWatch::new(1000.0, 10_000.0);
        // Low from 1 s; a charger at 20 s, one more flicker at 25 s.
        let changes = run(&mut w, 60_000.0, 500.0, |t| t < 20_000.0 || t == 25_000.0);
        assert_eq!(changes, vec![(1000.0, true), (35_500.0, false)]);
        assert!(!w.is_low());
    }

    #[test]
    fn a_stalled_loop_does_not_count_one_reading_for_minutes() {
        let mut w = PowerWatch::new(5000.0, 10_000.0);
        assert_eq!(w.update(0.0, true), None);
        // Counts 2 s, not 60.
        assert_eq!(w.update(60_000.0, true), None);
        assert_eq!(w.update(62_000.0, true), None);
        assert_eq!(w.update(63_000.0, true), Some(true));
    }
}

//! The session button's debouncer: a pure state machine, time as input.
//!
//! Feed it the raw level with [`Debouncer::update`]; it answers with a
//! [`Press`] when one is complete. A level counts only once it has held for
//! `debounce_ms` (contact bounce is shorter). A short press is reported on
//! release; a long press as soon as it has lasted `long_press_ms`, so the
//! wearer sees the appliance react without letting go.

/// A debounced press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// Pressed and released before `long_press_ms`: start or stop a session.
    Short,
    /// Held for `long_press_ms`: shut down cleanly.
    Long,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Debouncer {
    debounce_ms: f64,
    long_press_ms: f64,
    /// The accepted (debounced) level.
    pressed: bool,
    /// A different raw level and when it was first seen.
    candidate: Option<(bool, f64)>,
    /// When the accepted press began (its first raw edge).
    pressed_since: f64,
    long_reported: bool,
}

impl Debouncer {
    pub fn new(debounce_ms: f64, long_press_ms: f64) -> Self {
        Debouncer {
            debounce_ms,
            long_press_ms,
            pressed: false,
            candidate: None,
            pressed_since: 0.0,
            long_reported: false,
        }
    }

    /// The debounced level.
    pub fn is_pressed(&self) -> bool {
        self.pressed
    }

    /// Feeds the raw level read at `t_ms` (non-decreasing).
    pub fn update(&mut self, t_ms: f64, level: bool) -> Option<Press> {
        if level == self.pressed {
            self.candidate = None;
        } else {
            let since = match self.candidate {
                Some((l, since)) if l == level => since,
                _ => {
                    self.candidate = Some((level, t_ms));
                    t_ms
                }
            };
            if t_ms - since >= self.debounce_ms {
                self.candidate = None;
                self.pressed = level;
                if level {
                    self.pressed_since = since;
                    self.long_reported = false;
                } else if !self.long_reported {
                    return Some(Press::Short);
                }
            }
        }
        if self.pressed && !self.long_reported && t_ms - self.pressed_since >= self.long_press_ms {
            self.long_reported = true;
            return Some(Press::Long);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a table of (t_ms, raw level, expected output) through a debouncer
    /// with 30 ms debounce and 1000 ms long press.
    fn narrate(steps: &[(f64, bool, Option<Press>)]) {
        let mut d = Debouncer::new(30.0, 1000.0);
        for &(t, level, want) in steps {
            assert_eq!(d.update(t, level), want, "at t={t} level={level}");
        }
    }

    #[test]
    fn a_clean_short_press() {
        narrate(&[
            (0.0, false, None),
            (10.0, true, None),
            (30.0, true, None),
            (40.0, true, None), // held 30 ms: accepted as pressed, nothing reported yet
            (200.0, false, None),
            (229.0, false, None),
            (230.0, false, Some(Press::Short)), // released for 30 ms
            (400.0, false, None),
        ]);
    }

    #[test]
    fn bounce_is_ignored() {
        narrate(&[
            (0.0, true, None),
            (5.0, false, None),
            (10.0, true, None),
            (15.0, false, None),
            (20.0, true, None),
            (45.0, true, None), // only 25 ms stable since the last bounce
            (50.0, true, None), // accepted now
            (300.0, false, None),
            (310.0, true, None), // release bounce
            (320.0, false, None),
            (350.0, false, Some(Press::Short)),
        ]);
    }

    #[test]
    fn a_glitch_shorter_than_debounce_is_no_press() {
        narrate(&[
            (0.0, false, None),
            (100.0, true, None),
            (120.0, false, None),
            (200.0, false, None),
            (2000.0, false, None),
        ]);
    }

    #[test]
    fn a_long_press_fires_while_held_and_not_again_on_release() {
        narrate(&[
            (0.0, true, None),
            (30.0, true, None),
            (999.0, true, None),
            (1000.0, true, Some(Press::Long)), // measured from the first edge
            (1500.0, true, None),
            (1600.0, false, None),
            (1640.0, false, None),
            (1700.0, true, None),
            (1730.0, true, None),
            (1800.0, false, None),
            (1830.0, false, Some(Press::Short)),
        ]);
    }

    #[test]
    fn zero_debounce_reacts_at_once() {
        let mut d = Debouncer::new(0.0, 500.0);
        assert_eq!(d.update(0.0, true), None);
        assert!(d.is_pressed());
        assert_eq!(d.update(1.0, false), Some(Press::Short));
    }
}

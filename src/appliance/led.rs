//! What the LED shows: a pure function of time and the appliance's state.
//!
//! By priority:
//! 1. Faults, each its own rhythm on a 2 s cycle: **battery low** one
//!    short flash (also between sessions: none starts while it lasts),
//!    **disk full** long on (1.5 s on, 0.5 s off), **camera failing** three
//!    flashes, **pad off** (signal flat, railed or wild) two flashes.
//! 2. Placement check at session start: for `placement_check_ms` the LED
//!    follows muscle activity (lit while the envelope is above the off
//!    threshold: blink and it flickers); then for `placement_result_ms` a
//!    slow 1 Hz blink for good placement or a fast 5 Hz flicker for poor.
//!    Blinks clipped at a rail (the sensor's gain too high) show poor, however
//!    tall they stand: the gain wants turning down.
//! 3. Lit while recording (or while a burst is watched whose onset waits
//!    behind the detector's verdict on the blink before); dark otherwise.

use crate::config::LedConfig;

/// A fault the LED shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultLight {
    PadOff,
    Camera,
    DiskFull,
    BatteryLow,
}

/// A rhythm the LED plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Off,
    On,
    /// 1 Hz, half on.
    PlacementGood,
    /// 5 Hz, half on.
    PlacementPoor,
    Fault(FaultLight),
}

impl Pattern {
    /// The LED level `t_ms` into the pattern's cycle (cycles align to time 0).
    pub fn level(self, t_ms: f64) -> bool {
        let phase = |period: f64| t_ms.rem_euclid(period);
        // `n` flashes of 100 ms on, 100 ms off, at the start of a 2 s cycle.
        let flashes = |n: f64| {
            let p = phase(2000.0);
            p < n * 200.0 && p % 200.0 < 100.0
        };
        match self {
            Pattern::Off => false,
            Pattern::On => true,
            Pattern::PlacementGood => phase(1000.0) < 500.0,
            Pattern::PlacementPoor => phase(200.0) < 100.0,
            Pattern::Fault(FaultLight::DiskFull) => phase(2000.0) < 1500.0,
            Pattern::Fault(FaultLight::Camera) => flashes(3.0),
            Pattern::Fault(FaultLight::PadOff) => flashes(2.0),
            Pattern::Fault(FaultLight::BatteryLow) => flashes(1.0),
        }
    }
}

/// The state the LED reflects.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LedInputs {
    /// Ms since the session started; `None` between sessions.
    pub session_ms: Option<f64>,
    pub recording: bool,
    /// The envelope is above the detector's off threshold.
    pub activity: bool,
    /// The detector's placement score, once it has one.
    pub placement: Option<f64>,
    /// The blinks reach one top: the envelope is clipped.
    pub clipped: bool,
    pub pad_off: bool,
    pub camera_failing: bool,
    pub disk_full: bool,
    /// The battery counts as low (with or without a session).
    pub battery_low: bool,
}

/// Picks the pattern for the current state.
pub fn pattern(cfg: &LedConfig, s: &LedInputs) -> Pattern {
    if s.battery_low {
        return Pattern::Fault(FaultLight::BatteryLow);
    }
    if s.disk_full {
        return Pattern::Fault(FaultLight::DiskFull);
    }
    if s.camera_failing {
        return Pattern::Fault(FaultLight::Camera);
    }
    if s.pad_off {
        return Pattern::Fault(FaultLight::PadOff);
    }
    if let Some(t) = s.session_ms {
        if t < cfg.placement_check_ms {
            return if s.activity {
                Pattern::On
            } else {
                Pattern::Off
            };
        }
        if t < cfg.placement_check_ms + cfg.placement_result_ms {
            return match s.placement {
                Some(score) if score >= cfg.good_placement_score && !s.clipped => {
                    Pattern::PlacementGood
                }
                _ => Pattern::PlacementPoor,
            };
        }
    }
    if s.recording {
        Pattern::On
    } else {
        Pattern::Off
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_by_priority() {
        let cfg = LedConfig {
            placement_check_ms: 5000.0,
            placement_result_ms: 3000.0,
            good_placement_score: 0.5,
        };
        let base = LedInputs {
            session_ms: Some(10_000.0),
            ..LedInputs::default()
        };
        let table: &[(LedInputs, Pattern)] = &[
            (base, Pattern::Off),
            (
                LedInputs {
                    recording: true,
                    ..base
                },
                Pattern::On,
            ),
            (
                LedInputs {
                    session_ms: Some(1000.0),
                    activity: true,
                    ..base
                },
                Pattern::On,
            ),
            (
                LedInputs {
                    session_ms: Some(1000.0),
                    recording: true,
                    ..base
                },
                Pattern::Off,
            ),
            (
                LedInputs {
                    session_ms: Some(6000.0),
                    placement: Some(0.8),
                    ..base
                },
                Pattern::PlacementGood,
            ),
            (
                LedInputs {
                    session_ms: Some(6000.0),
                    placement: Some(0.2),
                    ..base
                },
                Pattern::PlacementPoor,
            ),
            // Tall blinks, but clipped: the gain is too high.
            (
                LedInputs {
                    session_ms: Some(6000.0),
                    placement: Some(0.8),
                    clipped: true,
                    ..base
                },
                Pattern::PlacementPoor,
            ),
            (
                LedInputs {
                    session_ms: Some(6000.0),
                    ..base
                },
                Pattern::PlacementPoor,
            ),
            (
                LedInputs {
                    pad_off: true,
                    recording: true,
                    ..base
                },
                Pattern::Fault(FaultLight::PadOff),
            ),
            (
                LedInputs {
                    pad_off: true,
                    camera_failing: true,
                    ..base
                },
                Pattern::Fault(FaultLight::Camera),
            ),
            (
                LedInputs {
                    disk_full: true,
                    camera_failing: true,
                    ..base
                },
                Pattern::Fault(FaultLight::DiskFull),
            ),
            (
                LedInputs {
                    session_ms: None,
                    recording: false,
                    ..base
                },
                Pattern::Off,
            ),
            (
                LedInputs {
                    session_ms: None,
                    battery_low: true,
                    ..base
                },
                Pattern::Fault(FaultLight::BatteryLow),
            ),
            (
                LedInputs {
                    battery_low: true,
                    disk_full: true,
                    recording: true,
                    ..base
                },
                Pattern::Fault(FaultLight::BatteryLow),
            ),
        ];
        for (i, (inputs, want)) in table.iter().enumerate() {
            assert_eq!(pattern(&cfg, inputs), *want, "row {i}: {inputs:?}");
        }
    }

    #[test]
    fn fault_rhythms_are_distinct() {
        let on_ms = |p: Pattern| (0..2000).filter(|&t| p.level(t as f64)).count();
        let flashes = |p: Pattern| {
            (1..2000)
                .filter(|&t| p.level(t as f64) && !p.level(t as f64 - 1.0))
                .count()
                + p.level(0.0) as usize
        };
        assert_eq!(flashes(Pattern::Fault(FaultLight::PadOff)), 2);
        assert_eq!(flashes(Pattern::Fault(FaultLight::Camera)), 3);
        assert_eq!(flashes(Pattern::Fault(FaultLight::DiskFull)), 1);
        assert_eq!(on_ms(Pattern::Fault(FaultLight::DiskFull)), 1500);
        assert_eq!(flashes(Pattern::Fault(FaultLight::BatteryLow)), 1);
        assert_eq!(on_ms(Pattern::Fault(FaultLight::BatteryLow)), 100);
        assert_eq!(flashes(Pattern::PlacementGood), 2);
        assert_eq!(flashes(Pattern::PlacementPoor), 10);
    }
}

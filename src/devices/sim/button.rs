//! A button pressed at scripted times.

use crate::devices::{Button, DeviceError};

/// One scripted press: down at `at_ms`, held `hold_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScriptedPress {
    pub at_ms: f64,
    pub hold_ms: f64,
}

/// A button that is down during its scripted presses (clean edges: the
/// debouncer is tested on its own).
#[derive(Debug, Clone, Default)]
pub struct ScriptedButton {
    presses: Vec<ScriptedPress>,
}

impl ScriptedButton {
    pub fn new(presses: Vec<ScriptedPress>) -> Self {
        ScriptedButton { presses }
    }
}

impl Button for ScriptedButton {
    fn is_pressed(&mut self, t_ms: f64) -> Result<bool, DeviceError> {
        Ok(self
            .presses
            .iter()
            .any(|p| t_ms >= p.at_ms && t_ms < p.at_ms + p.hold_ms))
    }
}

/// Parses `--presses`: comma-separated times in seconds, each optionally
/// `:HOLD` seconds (default 0.2 s, a short press), e.g. `5,65,300:4`.
pub fn parse_presses(text: &str) -> Result<Vec<ScriptedPress>, String> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (at, hold) = match item.split_once(':') {
            Some((a, h)) => (a, Some(h)),
            None => (item, None),
        };
        let num = |s: &str| -> Result<f64, String> {
            super::seconds(s).ok_or_else(|| {
                format!(
                    "`{item}` is not a press: use SECONDS or SECONDS:HOLD_SECONDS, e.g. `5,300:4`"
                )
            })
        };
        out.push(ScriptedPress {
            at_ms: num(at)? * 1000.0,
            hold_ms: hold.map(num).transpose()?.unwrap_or(0.2) * 1000.0,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_presses() {
        let p = parse_presses("5, 300:4").unwrap();
        assert_eq!(
            p,
            vec![
                ScriptedPress {
                    at_ms: 5000.0,
                    hold_ms: 200.0
                },
                ScriptedPress {
                    at_ms: 300_000.0,
                    hold_ms: 4000.0
                },
            ]
        );
        assert!(parse_presses("x").is_err());
        assert!(parse_presses("-1").is_err());
        let mut b = ScriptedButton::new(p);
        assert!(!b.is_pressed(4999.0).unwrap());
        assert!(b.is_pressed(5000.0).unwrap());
        assert!(!b.is_pressed(5200.0).unwrap());
    }
}

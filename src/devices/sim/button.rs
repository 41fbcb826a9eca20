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
        let press = ScriptedPress {
            at_ms: num(at)? * 1000.0,
            hold_ms: hold.map(num).transpose()?.unwrap_or(0.2) * 1000.0,
        };
        if press.hold_ms <= 0.0 {
            return Err(format!(
                "`{item}`: a press is held for some time; give a HOLD above 0"
            ));
        }
        // One press that begins before the last is let go would merge
        // with it: the script would not do what it says.
        if let Some(last) = out.last() {
            let ScriptedPress { at_ms, hold_ms } = *last;
            if press.at_ms < at_ms {
                return Err(format!(
                    "`{item}` comes before the press at {} s: list the presses in time order",
                    at_ms / 1000.0
                ));
            }
            if press.at_ms < at_ms + hold_ms {
                return Err(format!(
                    "`{item}` begins while the press at {} s is still held (until {} s): one would merge with the other",
                    at_ms / 1000.0,
                    (at_ms + hold_ms) / 1000.0
                ));
            }
        }
        out.push(press);
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
        // Out of order, overlapping, or held for no time: refused, by name.
        let e = parse_presses("5,2").unwrap_err();
        assert!(e.contains("`2`") && e.contains("time order"), "{e}");
        let e = parse_presses("5:4,8").unwrap_err();
        assert!(e.contains("`8`") && e.contains("until 9 s"), "{e}");
        assert!(parse_presses("5:0").unwrap_err().contains("above 0"));
        assert_eq!(parse_presses("5,5.2,60:4").unwrap().len(), 3);
        let mut b = ScriptedButton::new(p);
        assert!(!b.is_pressed(4999.0).unwrap());
        assert!(b.is_pressed(5000.0).unwrap());
        assert!(!b.is_pressed(5200.0).unwrap());
    }
}

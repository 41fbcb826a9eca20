//! A battery that runs low at scripted times.

use crate::devices::{DeviceError, Power};

/// One stretch of low battery: from `from_ms` until `until_ms` (for ever
/// if infinite), on the session clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowSpan {
    pub from_ms: f64,
    pub until_ms: f64,
}

/// A supply whose warning is on during its scripted spans.
#[derive(Debug, Clone, Default)]
pub struct ScriptedPower {
    spans: Vec<LowSpan>,
}

impl ScriptedPower {
    pub fn new(spans: Vec<LowSpan>) -> Self {
        ScriptedPower { spans }
    }
}

impl Power for ScriptedPower {
    fn is_low(&mut self, t_ms: f64) -> Result<bool, DeviceError> {
        Ok(self
            .spans
            .iter()
            .any(|s| t_ms >= s.from_ms && t_ms < s.until_ms))
    }
}

/// Parses `--low-battery`: comma-separated `FROM` or `FROM:UNTIL`, in
/// seconds (low from then on, or until then), e.g. `120` or `60:90,200`.
pub fn parse_low_battery(text: &str) -> Result<Vec<LowSpan>, String> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let num = |s: &str| -> Result<f64, String> {
            super::seconds(s).ok_or_else(|| {
                    format!("`{item}` is not a stretch of low battery: use SECONDS or FROM:UNTIL seconds, e.g. `120` or `60:90`")
                })
        };
        let span = match item.split_once(':') {
            Some((a, b)) => LowSpan {
                from_ms: num(a)? * 1000.0,
                until_ms: num(b)? * 1000.0,
            },
            None => LowSpan {
                from_ms: num(item)? * 1000.0,
                until_ms: f64::INFINITY,
            },
        };
        if span.until_ms <= span.from_ms {
            return Err(format!("`{item}`: the stretch ends before it begins"));
        }
        out.push(span);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stretches_and_rejects_nonsense() {
        assert_eq!(
            parse_low_battery("60:90, 200").unwrap(),
            vec![
                LowSpan {
                    from_ms: 60_000.0,
                    until_ms: 90_000.0
                },
                LowSpan {
                    from_ms: 200_000.0,
                    until_ms: f64::INFINITY
                }
            ]
        );
        for bad in ["x", "-5", "90:60", "5:5", "1:nan"] {
            assert!(parse_low_battery(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn low_inside_its_stretches_only() {
        let mut p = ScriptedPower::new(parse_low_battery("1:2,5").unwrap());
        let at = |p: &mut ScriptedPower, t: f64| p.is_low(t).unwrap();
        assert!(!at(&mut p, 999.0));
        assert!(at(&mut p, 1000.0));
        assert!(!at(&mut p, 2000.0));
        assert!(at(&mut p, 1e9));
    }
}

//! Simulated devices: a trace-replaying ADC, a synthetic camera, a scripted
//! button, an LED that keeps a log and a battery that runs low on cue. Each
//! is a pure function of the time it is asked at, so a simulation on a
//! virtual clock is deterministic.

mod button;
mod camera;
mod emg;
mod jpeg;
mod led;
mod power;

pub use button::{parse_presses, ScriptedButton, ScriptedPress};
pub use camera::{render_jpeg, render_luma, SimCamera, SimCameraFault};
pub use emg::TraceEmg;
pub use jpeg::GrayJpegEncoder;
pub use led::{LedLog, LoggedLed};
pub use power::{parse_low_battery, LowSpan, ScriptedPower};

/// A time in seconds on the command line (`--presses`, `--low-battery`):
/// a finite number, at least 0.
fn seconds(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

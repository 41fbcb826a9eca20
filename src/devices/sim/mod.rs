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

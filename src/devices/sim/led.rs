//! An LED that logs its changes.

use std::sync::{Arc, Mutex};

use crate::devices::{DeviceError, Led};

/// The shared log of a [`LoggedLed`]: `(t_ms, on)` at every change.
pub type LedLog = Arc<Mutex<Vec<(f64, bool)>>>;

/// An LED that records when it changed, for tests and the simulation's log.
#[derive(Debug, Default)]
pub struct LoggedLed {
    log: LedLog,
    on: Option<bool>,
}

impl LoggedLed {
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle on the log that stays readable after the LED moved into the appliance.
    pub fn log(&self) -> LedLog {
        self.log.clone()
    }
}

impl Led for LoggedLed {
    fn set(&mut self, on: bool, t_ms: f64) -> Result<(), DeviceError> {
        if self.on != Some(on) {
            self.on = Some(on);
            if let Ok(mut log) = self.log.lock() {
                log.push((t_ms, on));
            }
        }
        Ok(())
    }
}

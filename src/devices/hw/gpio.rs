//! The session button and the LED on the Pi's GPIO header (rppal).
//!
//! Pins are BCM numbers in the config; the defaults are BCM 17 (physical
//! pin 11) for the button and BCM 27 (physical pin 13) for the LED. A
//! charger's low-battery output may sit on a third (`[power]
//! low_battery_pin`, none by default).
//!
//! The button pulls its pin to GND, against the SoC's internal pull-up, so
//! pressed reads low. The kernel reports both edges through an interrupt
//! thread (rppal's async interrupts on the GPIO character device); each edge
//! updates an [`EdgeRecord`] that [`Button::is_pressed`] reads. The record
//! also latches a press shorter than the poll interval, so a quick tap is
//! not lost between two polls. Debouncing stays in the pure
//! [`crate::button`] state machine.
//!
//! rppal's GPIO works only on a Raspberry Pi: elsewhere opening fails with a
//! message that says so (use `--sim-gpio` or `--simulate` there).

use std::sync::{Arc, Mutex};

use rppal::gpio::{Gpio, InputPin, Level, OutputPin, Trigger};

use crate::devices::config::GpioConfig;
use crate::devices::{Button, DeviceError, Led, Power};

/// What the interrupt thread saw of the button since the last poll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EdgeRecord {
    /// The level after the last edge (true = pressed = pin low).
    pressed: bool,
    /// A press began since the last poll (kept even if already released).
    press_since_poll: bool,
    /// Edges seen in all (for `check`).
    edges: u64,
}

impl EdgeRecord {
    pub fn new(pressed: bool) -> Self {
        EdgeRecord {
            pressed,
            ..Self::default()
        }
    }

    /// One edge from the interrupt thread: `pressed` is the level after it.
    pub fn edge(&mut self, pressed: bool) {
        if pressed && !self.pressed {
            self.press_since_poll = true;
        }
        self.pressed = pressed;
        self.edges += 1;
    }

    /// The level the debouncer sees: pressed now, or pressed at some point
    /// since the last poll.
    pub fn poll(&mut self) -> bool {
        let seen = self.pressed || self.press_since_poll;
        self.press_since_poll = false;
        seen
    }

    pub fn edges(&self) -> u64 {
        self.edges
    }
}

/// Turns rppal's GPIO errors into messages that name the fix.
pub fn gpio_error(what: &str, pin: Option<u8>, e: rppal::gpio::Error) -> DeviceError {
    use rppal::gpio::Error;
    let message = match e {
        Error::UnknownModel => format!(
            "{what}: rppal's GPIO works only on a Raspberry Pi and this machine is not one; on a laptop use `augenblick run --simulate`, in the VM `--sim-gpio`"
        ),
        Error::PermissionDenied(path) => format!(
            "{what}: permission denied on {path}: add the user to the gpio group (`sudo usermod -aG gpio $USER`, then log in again)"
        ),
        Error::PinUsed(p) => format!(
            "{what}: BCM {p} is already in use (another process, or button_pin = led_pin?)"
        ),
        Error::PinNotAvailable(p) => {
            format!("{what}: this Pi has no BCM {p}: pick another pin in [gpio]")
        }
        Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => format!(
            "{what}: no GPIO device (/dev/gpiochip0, /dev/gpiomem): this needs a Raspberry Pi; on a laptop use --simulate"
        ),
        other => match pin {
            Some(p) => format!("{what} on BCM {p}: {other}"),
            None => format!("{what}: {other}"),
        },
    };
    DeviceError::Unavailable {
        device: if what.starts_with("led") {
            "led"
        } else if what.starts_with("button") {
            "button"
        } else {
            "gpio"
        },
        message,
    }
}

/// The session button: input with pull-up, both edges interrupting.
pub struct GpioButton {
    record: Arc<Mutex<EdgeRecord>>,
    /// Kept alive: dropping the pin stops its interrupt thread.
    _pin: InputPin,
}

impl GpioButton {
    pub fn open(gpio: &Gpio, bcm: u8) -> Result<Self, DeviceError> {
        let mut pin = gpio
            .get(bcm)
            .map_err(|e| gpio_error("button", Some(bcm), e))?
            .into_input_pullup();
        let record = Arc::new(Mutex::new(EdgeRecord::new(pin.is_low())));
        let shared = Arc::clone(&record);
        pin.set_async_interrupt(Trigger::Both, None, move |event| {
            let pressed = event.trigger == Trigger::FallingEdge;
            if let Ok(mut r) = shared.lock() {
                r.edge(pressed);
            }
        })
        .map_err(|e| gpio_error("button interrupt", Some(bcm), e))?;
        Ok(GpioButton { record, _pin: pin })
    }

    /// Edges seen since the button was opened.
    pub fn edges(&self) -> u64 {
        self.record.lock().map(|r| r.edges()).unwrap_or(0)
    }
}

impl Button for GpioButton {
    fn is_pressed(&mut self, _t_ms: f64) -> Result<bool, DeviceError> {
        self.record
            .lock()
            .map(|mut r| r.poll())
            .map_err(|_| DeviceError::Unavailable {
                device: "button",
                message: "the interrupt thread panicked".into(),
            })
    }
}

/// The LED: an output, anode through a 330 ohm resistor to GND.
pub struct GpioLed {
    pin: OutputPin,
}

impl GpioLed {
    pub fn open(gpio: &Gpio, bcm: u8) -> Result<Self, DeviceError> {
        let pin = gpio
            .get(bcm)
            .map_err(|e| gpio_error("led", Some(bcm), e))?
            .into_output_low();
        Ok(GpioLed { pin })
    }
}

impl Led for GpioLed {
    fn set(&mut self, on: bool, _t_ms: f64) -> Result<(), DeviceError> {
        self.pin.write(if on { Level::High } else { Level::Low });
        Ok(())
    }
}

/// A charger's low-battery output (Adafruit PowerBoost `LBO`, a LiPo
/// SHIM's, ...): an input pulled towards its idle level (up if it is
/// active low), read when the appliance polls the battery.
pub struct GpioLowBattery {
    pin: InputPin,
    active_low: bool,
}

impl GpioLowBattery {
    pub fn open(gpio: &Gpio, bcm: u8, active_low: bool) -> Result<Self, DeviceError> {
        let pin = gpio
            .get(bcm)
            .map_err(|e| gpio_error("low-battery pin", Some(bcm), e))?;
        let pin = if active_low {
            pin.into_input_pullup()
        } else {
            pin.into_input_pulldown()
        };
        Ok(GpioLowBattery { pin, active_low })
    }
}

impl Power for GpioLowBattery {
    fn is_low(&mut self, _t_ms: f64) -> Result<bool, DeviceError> {
        Ok(self.pin.is_low() == self.active_low)
    }
}

/// Opens a charger's low-battery pin (a [`crate::devices::power::PinOpener`]).
pub fn open_low_battery(bcm: u8, active_low: bool) -> Result<Box<dyn Power>, DeviceError> {
    Ok(Box::new(GpioLowBattery::open(
        &open_gpio()?,
        bcm,
        active_low,
    )?))
}

/// Opens the GPIO peripheral (fails off a Pi with the message that says so).
pub fn open_gpio() -> Result<Gpio, DeviceError> {
    Gpio::new().map_err(|e| gpio_error("gpio", None, e))
}

/// Button and LED from the config.
pub fn open(config: &GpioConfig) -> Result<(GpioButton, GpioLed), DeviceError> {
    config.validate().map_err(|e| DeviceError::Unavailable {
        device: "button",
        message: e.to_string(),
    })?;
    let gpio = open_gpio()?;
    Ok((
        GpioButton::open(&gpio, config.button_pin)?,
        GpioLed::open(&gpio, config.led_pin)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_follows_edges() {
        let mut r = EdgeRecord::new(false);
        assert!(!r.poll());
        r.edge(true);
        assert!(r.poll());
        assert!(r.poll(), "still held");
        r.edge(false);
        assert!(!r.poll());
        assert_eq!(r.edges(), 2);
    }

    #[test]
    fn a_tap_between_polls_is_not_lost() {
        let mut r = EdgeRecord::new(false);
        r.edge(true);
        r.edge(false);
        assert!(r.poll(), "the tap shows once");
        assert!(!r.poll(), "and only once");
    }

    #[test]
    fn bounces_count_as_one_press_per_poll() {
        let mut r = EdgeRecord::new(false);
        for i in 0..7 {
            r.edge(i % 2 == 0);
        }
        assert!(r.poll());
        assert!(r.poll(), "ended pressed");
        assert_eq!(r.edges(), 7);
    }

    #[test]
    fn starting_pressed_reads_pressed() {
        let mut r = EdgeRecord::new(true);
        assert!(r.poll());
        r.edge(false);
        assert!(!r.poll());
    }
}

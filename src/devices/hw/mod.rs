//! Real devices on the Pi: ADS1115 over I2C, GPIO button and LED, V4L2 camera.
//!
//! Each module opens its device from its config section and maps the
//! system's errors onto [`DeviceError`] messages that
//! name the fix (a group to join, a line for `/boot/firmware/config.txt`).
//!
//! - [`adc`]: the ADS1115 (ads1x1x driver) in continuous mode, over plain
//!   I2C or over SMBus word transfers ([`smbus`]).
//! - [`gpio`]: the button (pull-up, both-edge interrupts) and the LED (rppal).
//! - [`camera`]: V4L2 capture with mmap streaming (v4l), MJPEG passed
//!   through, raw YUYV/YU12/NV12 otherwise.
//! - The battery's warning: the Pi's under-voltage alarm (sysfs, in
//!   [`crate::devices::power`]) and a charger's low-battery pin ([`gpio`]).
//!
//! What runs where: the I2C and camera code run on any Linux with
//! `/dev/i2c-N` and `/dev/videoN` (the VM tests use `i2c-stub` and `vivid`);
//! the GPIO code only on a Raspberry Pi.

pub mod adc;
pub mod camera;
pub mod gpio;
pub mod smbus;

use crate::config::Config;
use std::path::Path;

use crate::devices::power::{self, AnyLow, PinOpener, WarningKind};
use crate::devices::sim::{LoggedLed, ScriptedButton};
use crate::devices::{DeviceError, Devices};
use crate::session::writer::DevicesInfo;

/// Which devices are real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpioChoice {
    /// Button and LED on the header (a Pi).
    Real,
    /// A button never pressed and an LED that only logs (the VM, a laptop
    /// with a webcam and an I2C adapter): the session starts at once.
    Simulated,
}

/// Opens the ADC, the camera and (unless simulated) the button and LED the
/// config names. `epoch_ns` is CLOCK_MONOTONIC at the session clock's zero.
pub fn open_devices(
    config: &Config,
    epoch_ns: u64,
    gpio: GpioChoice,
) -> Result<(Devices, DevicesInfo), DeviceError> {
    let emg = adc::open(&config.adc)?;
    let camera = camera::V4l2Camera::open(&config.camera, i128::from(epoch_ns))?;
    let camera_info = match camera.negotiated() {
        Some(n) => format!("{} (V4L2, {})", config.camera.device, n.fourcc),
        None => config.camera.device.clone(),
    };
    let a = &config.adc;
    let mut info = DevicesInfo {
        emg: format!(
            "ADS1115 at {:#04x} on /dev/i2c-{} ({:?}), A{}, +-{} V, {} SPS continuous",
            a.address, a.bus, a.transport, a.channel, a.full_scale_v, a.data_rate_sps
        ),
        camera: camera_info,
        camera_mode: String::new(),
        led: String::new(),
        button: String::new(),
        power: String::new(),
    };
    let (button, led): (
        Box<dyn crate::devices::Button>,
        Box<dyn crate::devices::Led>,
    ) = match gpio {
        GpioChoice::Real => {
            let (b, l) = gpio::open(&config.gpio)?;
            info.button = format!(
                "GPIO BCM {} (pin {})",
                config.gpio.button_pin,
                crate::check::physical_pin(config.gpio.button_pin)
            );
            info.led = format!(
                "GPIO BCM {} (pin {})",
                config.gpio.led_pin,
                crate::check::physical_pin(config.gpio.led_pin)
            );
            (Box::new(b), Box::new(l))
        }
        GpioChoice::Simulated => {
            info.button = "simulated (never pressed; --sim-gpio)".into();
            info.led = "simulated (logged; --sim-gpio)".into();
            (
                Box::new(ScriptedButton::new(Vec::new())),
                Box::new(LoggedLed::new()),
            )
        }
    };
    let warnings = power::configured(
        &config.power,
        Path::new(power::HWMON_CLASS),
        (gpio == GpioChoice::Real).then_some(&gpio::open_low_battery as PinOpener),
    )?;
    if config.power.undervoltage && !warnings.iter().any(|w| w.kind == WarningKind::UnderVoltage) {
        log::info!(
            "no under-voltage alarm (hwmon `rpi_volt`): not a Pi, or its driver is not loaded"
        );
    }
    info.power = if warnings.is_empty() {
        "none (never low)".into()
    } else {
        warnings
            .iter()
            .map(|w| w.what.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let warnings = warnings.into_iter().map(|w| w.power).collect();
    Ok((
        Devices {
            emg,
            camera: Box::new(camera),
            led,
            button,
            power: Box::new(AnyLow(warnings)),
        },
        info,
    ))
}

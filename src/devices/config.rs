//! The devices' part of the config file: `[adc]`, `[gpio]` and `[camera]`.
//!
//! Always compiled (the simulated camera reads `[camera]` too), so a config
//! written for the glasses also loads on a laptop.

use serde::{Deserialize, Serialize};

/// `[adc]`: the ADS1115 that reads the MyoWare envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdcConfig {
    /// I2C bus number: 1 is the header's SDA/SCL on GPIO2/GPIO3 (pins 3 and 5).
    pub bus: u8,
    /// 7-bit address: 0x48 with ADDR tied to GND (datasheet 9.5.1.1).
    pub address: u8,
    /// Input the MyoWare SIG wire is on: 0..=3 for A0..A3 (single-ended).
    pub channel: u8,
    /// Full-scale range in volts: 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256.
    pub full_scale_v: f64,
    /// Conversions per second: 8, 16, 32, 64, 128, 250, 475 or 860.
    pub data_rate_sps: u32,
    /// How often the sampler reads the ADC, in Hz (25 by default).
    pub sample_rate_hz: f64,
}

impl Default for AdcConfig {
    fn default() -> Self {
        AdcConfig {
            bus: 1,
            address: 0x48,
            channel: 0,
            full_scale_v: 4.096,
            data_rate_sps: 128,
            sample_rate_hz: 25.0,
        }
    }
}

/// `[gpio]`: the button and the LED, in BCM numbering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GpioConfig {
    /// Button to GND, internal pull-up. BCM 17 is physical pin 11.
    pub button_pin: u8,
    /// LED anode through a resistor. BCM 27 is physical pin 13.
    pub led_pin: u8,
}

impl Default for GpioConfig {
    fn default() -> Self {
        GpioConfig {
            button_pin: 17,
            led_pin: 27,
        }
    }
}

/// `[camera]`: what to ask the camera for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// The V4L2 device.
    pub device: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// "mjpeg" (pass frames through), "raw" (YUYV/YU12/NV12, compressed off
    /// the hot path), or "auto" (MJPEG where offered).
    pub format: String,
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
            device: "/dev/video0".into(),
            width: 640,
            height: 480,
            fps: 30.0,
            format: "auto".into(),
        }
    }
}

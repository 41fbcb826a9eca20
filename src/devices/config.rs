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
    /// How often the sampler reads the ADC, in Hz (25 by default). Below
    /// [`crate::detector::SLOWEST_RATE_HZ`] the appliance warns at start:
    /// the detector misses many blinks there.
    pub sample_rate_hz: f64,
    /// How the register reads and writes reach the chip: "i2c" (plain I2C
    /// transfers) or "smbus" (SMBus word transfers: the same bytes on the
    /// wire, and the only protocol some adapters and Linux's `i2c-stub` speak).
    pub transport: AdcTransport,
}

/// `adc.transport`: plain I2C transfers or SMBus word transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AdcTransport {
    #[default]
    I2c,
    Smbus,
}

/// Full-scale ranges the ADS1115's PGA offers, in volts (ADS111x datasheet SBAS444D, 9.3.3).
pub const FULL_SCALE_RANGES_V: [f64; 6] = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256];
/// Data rates the ADS1115 offers, in samples per second (datasheet 9.3.6).
pub const DATA_RATES_SPS: [u32; 8] = [8, 16, 32, 64, 128, 250, 475, 860];

/// A device key with a value the hardware cannot take; names the key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct DeviceConfigError {
    pub key: &'static str,
    pub message: String,
}

fn invalid(key: &'static str, message: String) -> DeviceConfigError {
    DeviceConfigError { key, message }
}

impl AdcConfig {
    /// For a simulation that replays a trace sampled every `period_ms`:
    /// read at the trace's own rate (at most 860 Hz), and, if the data rate
    /// cannot keep up (128 by default), raise it rather than fail on a key
    /// nobody set: to the slowest at least twice the sampling rate (what
    /// [`Self::validate`] asks of the real chip), else to 860. Returns the
    /// data rate when it was raised.
    pub fn replay_at(&mut self, period_ms: f64) -> Option<u32> {
        self.sample_rate_hz = (1000.0 / period_ms).clamp(0.1, 860.0);
        if f64::from(self.data_rate_sps) >= self.sample_rate_hz {
            return None;
        }
        let rate = DATA_RATES_SPS
            .into_iter()
            .find(|&r| f64::from(r) >= 2.0 * self.sample_rate_hz)
            .unwrap_or(860);
        self.data_rate_sps = rate;
        Some(rate)
    }

    /// Rejects values the chip cannot do, naming the key.
    pub fn validate(&self) -> Result<(), DeviceConfigError> {
        if !(0x48..=0x4b).contains(&self.address) {
            return Err(invalid(
                "adc.address",
                format!(
                    "{:#04x} is not an ADS1115 address: 0x48 (ADDR to GND), 0x49 (VDD), 0x4a (SDA) or 0x4b (SCL)",
                    self.address
                ),
            ));
        }
        if self.channel > 3 {
            return Err(invalid(
                "adc.channel",
                format!("{} is not an input: use 0..=3 for A0..A3", self.channel),
            ));
        }
        if !FULL_SCALE_RANGES_V
            .iter()
            .any(|v| (v - self.full_scale_v).abs() < 1e-6)
        {
            return Err(invalid(
                "adc.full_scale_v",
                format!(
                    "{} V is not a range of the ADS1115: use one of 6.144, 4.096, 2.048, 1.024, 0.512, 0.256",
                    self.full_scale_v
                ),
            ));
        }
        if !DATA_RATES_SPS.contains(&self.data_rate_sps) {
            return Err(invalid(
                "adc.data_rate_sps",
                format!(
                    "{} is not a data rate of the ADS1115: use one of 8, 16, 32, 64, 128, 250, 475, 860",
                    self.data_rate_sps
                ),
            ));
        }
        if !(self.sample_rate_hz.is_finite() && self.sample_rate_hz > 0.0) {
            return Err(invalid(
                "adc.sample_rate_hz",
                format!("{} must be a positive number", self.sample_rate_hz),
            ));
        }
        // Continuous conversion: every sample must find a fresh conversion in
        // the register, so the chip has to convert at least twice as often as
        // the sampler reads.
        if f64::from(self.data_rate_sps) < 2.0 * self.sample_rate_hz {
            return Err(invalid(
                "adc.data_rate_sps",
                format!(
                    "{} SPS is too slow for sampling at {} Hz: use at least twice the sampling rate",
                    self.data_rate_sps, self.sample_rate_hz
                ),
            ));
        }
        Ok(())
    }
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
            transport: AdcTransport::I2c,
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

impl GpioConfig {
    /// Rejects pins the header does not have, naming the key.
    pub fn validate(&self) -> Result<(), DeviceConfigError> {
        for (key, pin) in [
            ("gpio.button_pin", self.button_pin),
            ("gpio.led_pin", self.led_pin),
        ] {
            // BCM 2..=27 reach the 40-pin header; 2 and 3 carry the ADC's I2C.
            if !(4..=27).contains(&pin) {
                return Err(invalid(
                    key,
                    format!("BCM {pin} is not a free header pin: use BCM 4..=27 (2 and 3 are the I2C bus)"),
                ));
            }
        }
        if self.button_pin == self.led_pin {
            return Err(invalid(
                "gpio.led_pin",
                format!("BCM {} is already the button", self.led_pin),
            ));
        }
        Ok(())
    }
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

impl CameraConfig {
    /// Rejects sizes, rates and formats no camera mode can match, naming the key.
    pub fn validate(&self) -> Result<(), DeviceConfigError> {
        if self.width == 0 || self.height == 0 || self.width > 4096 || self.height > 4096 {
            return Err(invalid(
                "camera.width",
                format!("{}x{} is not a camera size", self.width, self.height),
            ));
        }
        if !(self.fps.is_finite() && self.fps > 0.0 && self.fps <= 240.0) {
            return Err(invalid(
                "camera.fps",
                format!("{} is not a frame rate: use 1..=240", self.fps),
            ));
        }
        if !["auto", "mjpeg", "raw"].contains(&self.format.as_str()) {
            return Err(invalid(
                "camera.format",
                format!(
                    "\"{}\" is not a format: use \"auto\", \"mjpeg\" or \"raw\"",
                    self.format
                ),
            ));
        }
        if self.device.is_empty() {
            return Err(invalid(
                "camera.device",
                "is empty: use e.g. /dev/video0".into(),
            ));
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        AdcConfig::default().validate().unwrap();
        GpioConfig::default().validate().unwrap();
        CameraConfig::default().validate().unwrap();
    }

    #[test]
    fn a_replayed_trace_sets_the_rates_it_needs_and_no_more() {
        let mut a = AdcConfig::default();
        // 25 Hz: the configured data rate (128) keeps up.
        assert_eq!(a.replay_at(40.0), None);
        assert_eq!((a.sample_rate_hz, a.data_rate_sps), (25.0, 128));
        // 200 Hz: converting at least twice as fast, as on the glasses.
        assert_eq!(a.replay_at(5.0), Some(475));
        a.validate().unwrap();
        // Faster than the chip: read at 860, converting at 860 (a rate the
        // glasses' check refuses, for want of twice that; a recorded trace
        // may still be that fast).
        let mut a = AdcConfig::default();
        assert_eq!(a.replay_at(0.5), Some(860));
        assert_eq!(a.sample_rate_hz, 860.0);
    }

    #[test]
    fn transport_parses_from_toml() {
        let c: AdcConfig = toml::from_str("transport = \"smbus\"").unwrap();
        assert_eq!(c.transport, AdcTransport::Smbus);
        assert!(toml::from_str::<AdcConfig>("transport = \"spi\"").is_err());
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases: Vec<(AdcConfig, &str)> = vec![
            (
                AdcConfig {
                    address: 0x20,
                    ..Default::default()
                },
                "adc.address",
            ),
            (
                AdcConfig {
                    channel: 4,
                    ..Default::default()
                },
                "adc.channel",
            ),
            (
                AdcConfig {
                    full_scale_v: 3.3,
                    ..Default::default()
                },
                "adc.full_scale_v",
            ),
            (
                AdcConfig {
                    data_rate_sps: 100,
                    ..Default::default()
                },
                "adc.data_rate_sps",
            ),
            (
                AdcConfig {
                    data_rate_sps: 32,
                    sample_rate_hz: 25.0,
                    ..Default::default()
                },
                "adc.data_rate_sps",
            ),
            (
                AdcConfig {
                    sample_rate_hz: 0.0,
                    ..Default::default()
                },
                "adc.sample_rate_hz",
            ),
        ];
        for (c, key) in cases {
            assert_eq!(c.validate().unwrap_err().key, key, "{c:?}");
        }
        let g = GpioConfig {
            button_pin: 2,
            ..Default::default()
        };
        assert_eq!(g.validate().unwrap_err().key, "gpio.button_pin");
        let g = GpioConfig {
            led_pin: 17,
            ..Default::default()
        };
        assert_eq!(g.validate().unwrap_err().key, "gpio.led_pin");
        let c = CameraConfig {
            format: "h264".into(),
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "camera.format");
        let c = CameraConfig {
            fps: 0.0,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "camera.fps");
    }
}

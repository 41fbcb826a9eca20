//! The MyoWare envelope through an ADS1115, over any `embedded_hal` I2C bus.
//!
//! # Continuous conversion, read at the sampler's own rate
//!
//! Sections cite the ADS111x datasheet, TI SBAS444D.
//!
//! The chip runs in continuous-conversion mode (datasheet 9.4.2.2): it
//! converts on its own at `adc.data_rate_sps` (128 SPS by default) and always
//! holds its latest result in the conversion register (9.6.2). The sampler
//! reads that register on its absolute deadlines (25 Hz by default): one
//! two-byte register read per sample, about 0.4 ms at 100 kHz, and no
//! waiting for a conversion in the sampling path. Each sample is at most one
//! conversion period old (7.8 ms at 128 SPS), a fixed and small lag next to a
//! 100-400 ms blink.
//!
//! Single-shot mode (9.4.2.1) would take three transfers per sample (start a
//! conversion, poll the OS bit or wait 1/DR + 25 us, read) and put the
//! conversion time into the sampler's deadline. It saves about 150 uA between
//! conversions (datasheet 7.5), which is nothing next to a Pi and a camera.
//!
//! The data rate must stay at least twice the sampling rate, so each sample
//! finds a fresh conversion (checked in [`AdcConfig::validate`]). Faster data
//! rates let more noise through (datasheet 9.3.6 and the noise tables), and
//! the MyoWare's envelope is already low-pass, so 128 SPS is a good default.
//!
//! # Errors
//!
//! Each read is tried up to [`ATTEMPTS_PER_READ`] times back to back (a lone
//! NAK or arbitration loss is common on a long, flexing cable). A read whose
//! attempts all fail is a [`DeviceError::Transient`]; after
//! [`FAULT_AFTER_FAILED_READS`] such reads in a row it is
//! [`DeviceError::Unavailable`], which the appliance shows on the LED. Reads
//! go on; the first one that succeeds after a fault writes the configuration
//! again first, since a chip that lost power wakes in single-shot mode
//! (datasheet 9.4.1; power-on defaults in 9.6.3).

use ads1x1x::{channel, ic, mode, Ads1x1x, DataRate16Bit, FullScaleRange, TargetAddr};
use embedded_hal::i2c::I2c;

use crate::devices::config::{AdcConfig, AdcTransport};
use crate::devices::{DeviceError, EmgSource};

use super::smbus::SmbusI2c;

/// Attempts per sample before the read counts as failed.
pub const ATTEMPTS_PER_READ: u32 = 3;
/// Failed reads in a row after which the ADC counts as lost (0.4 s at 25 Hz).
pub const FAULT_AFTER_FAILED_READS: u32 = 10;

const DEVICE: &str = "adc";

type Continuous<I2C> = Ads1x1x<I2C, ic::Ads1115, ic::Resolution16Bit, mode::Continuous>;
type OneShot<I2C> = Ads1x1x<I2C, ic::Ads1115, ic::Resolution16Bit, mode::OneShot>;

/// Counts kept for the session record and for `check`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdcStats {
    /// Reads that returned a sample.
    pub samples: u64,
    /// Bus transfers that failed (each retried).
    pub bus_errors: u64,
    /// Reads that failed after all their attempts.
    pub failed_reads: u64,
    /// Times the chip was configured (1 + recoveries after a fault).
    pub configurations: u64,
}

/// The ADS1115 in continuous mode, as an [`EmgSource`].
pub struct Ads1115Emg<I2C: I2c> {
    /// `None` only while the configuration is being rewritten.
    adc: Option<Continuous<I2C>>,
    config: AdcConfig,
    /// The bus, once the driver had to give it back after failing to
    /// configure; the next read configures again.
    unconfigured: Option<I2C>,
    failed_in_a_row: u32,
    stats: AdcStats,
}

/// The driver's names for the configured range and rate.
fn full_scale_range(volts: f64) -> Option<FullScaleRange> {
    let table = [
        (6.144, FullScaleRange::Within6_144V),
        (4.096, FullScaleRange::Within4_096V),
        (2.048, FullScaleRange::Within2_048V),
        (1.024, FullScaleRange::Within1_024V),
        (0.512, FullScaleRange::Within0_512V),
        (0.256, FullScaleRange::Within0_256V),
    ];
    table
        .iter()
        .find(|(v, _)| (v - volts).abs() < 1e-6)
        .map(|(_, r)| *r)
}

fn data_rate(sps: u32) -> Option<DataRate16Bit> {
    Some(match sps {
        8 => DataRate16Bit::Sps8,
        16 => DataRate16Bit::Sps16,
        32 => DataRate16Bit::Sps32,
        64 => DataRate16Bit::Sps64,
        128 => DataRate16Bit::Sps128,
        250 => DataRate16Bit::Sps250,
        475 => DataRate16Bit::Sps475,
        860 => DataRate16Bit::Sps860,
        _ => return None,
    })
}

/// Converts counts to volts at the configured range (1 LSB = FSR / 2^15,
/// datasheet 9.3.3).
pub fn counts_to_volts(counts: i32, full_scale_v: f64) -> f64 {
    f64::from(counts) * full_scale_v / 32768.0
}

/// Why configuring failed, with the bus back (if the driver returned it).
struct ConfigureError<I2C> {
    message: String,
    bus: I2C,
}

/// Writes range, data rate, continuous mode and input channel, in that
/// order: four writes of the config register (datasheet 9.6.3).
fn configure<I2C: I2c>(
    bus: I2C,
    config: &AdcConfig,
) -> Result<Continuous<I2C>, ConfigureError<I2C>> {
    let (Some(fsr), Some(rate)) = (
        full_scale_range(config.full_scale_v),
        data_rate(config.data_rate_sps),
    ) else {
        return Err(ConfigureError {
            message: format!(
                "full_scale_v {} or data_rate_sps {} is not one the ADS1115 offers",
                config.full_scale_v, config.data_rate_sps
            ),
            bus,
        });
    };
    // The driver's address field takes the ADDR pin's wiring; any address
    // outside 0x48..=0x4b was rejected by validation.
    let addr = match config.address {
        0x49 => TargetAddr::Vdd,
        0x4a => TargetAddr::Sda,
        0x4b => TargetAddr::Scl,
        _ => TargetAddr::Gnd,
    };
    let mut adc: OneShot<I2C> = Ads1x1x::new_ads1115(bus, addr);
    let fail = |adc: OneShot<I2C>, what: &str, e: String| ConfigureError {
        message: format!("setting the {what} failed: {e}"),
        bus: adc.destroy_ads1115(),
    };
    if let Err(e) = adc.set_full_scale_range(fsr) {
        return Err(fail(adc, "full-scale range", format!("{e:?}")));
    }
    if let Err(e) = adc.set_data_rate(rate) {
        return Err(fail(adc, "data rate", format!("{e:?}")));
    }
    let mut adc = match adc.into_continuous() {
        Ok(adc) => adc,
        Err(ads1x1x::ModeChangeError::I2C(e, adc)) => {
            return Err(fail(adc, "continuous mode", format!("{e:?}")))
        }
    };
    let selected = match config.channel {
        0 => adc.select_channel(channel::SingleA0),
        1 => adc.select_channel(channel::SingleA1),
        2 => adc.select_channel(channel::SingleA2),
        _ => adc.select_channel(channel::SingleA3),
    };
    if let Err(e) = selected {
        return Err(ConfigureError {
            message: format!("selecting input A{} failed: {e:?}", config.channel),
            bus: adc.destroy_ads1115(),
        });
    }
    Ok(adc)
}

impl<I2C: I2c> Ads1115Emg<I2C> {
    /// Configures the chip on `bus`. Fails (and names the fix) when the chip
    /// does not answer.
    pub fn new(bus: I2C, config: &AdcConfig) -> Result<Self, DeviceError> {
        config.validate().map_err(|e| DeviceError::Unavailable {
            device: DEVICE,
            message: e.to_string(),
        })?;
        let adc = configure(bus, config).map_err(|e| DeviceError::Unavailable {
            device: DEVICE,
            message: format!(
                "no ADS1115 answers at {:#04x} ({}): check VDD (pin 1), GND (pin 6), SDA (pin 3), SCL (pin 5) and ADDR to GND for 0x48; `i2cdetect -y {}` lists the addresses that answer",
                config.address, e.message, config.bus
            ),
        })?;
        Ok(Ads1115Emg {
            adc: Some(adc),
            config: config.clone(),
            unconfigured: None,
            failed_in_a_row: 0,
            stats: AdcStats {
                configurations: 1,
                ..AdcStats::default()
            },
        })
    }

    /// Counts of samples, errors and recoveries so far.
    pub fn stats(&self) -> AdcStats {
        self.stats
    }

    /// Gives the bus back.
    pub fn into_bus(self) -> Option<I2C> {
        match (self.adc, self.unconfigured) {
            (Some(adc), _) => Some(adc.destroy_ads1115()),
            (None, bus) => bus,
        }
    }

    /// One register read, retried back to back.
    fn read_once(&mut self) -> Result<i32, String> {
        let mut last = String::new();
        for _ in 0..ATTEMPTS_PER_READ {
            // A fault may have left the chip unconfigured: configure first.
            if let Some(bus) = self.unconfigured.take() {
                match configure(bus, &self.config) {
                    Ok(adc) => {
                        self.adc = Some(adc);
                        self.stats.configurations += 1;
                    }
                    Err(e) => {
                        self.unconfigured = Some(e.bus);
                        self.stats.bus_errors += 1;
                        last = e.message;
                        continue;
                    }
                }
            }
            let Some(adc) = self.adc.as_mut() else {
                return Err("the bus was lost".into());
            };
            match adc.read() {
                Ok(v) => return Ok(i32::from(v)),
                Err(e) => {
                    self.stats.bus_errors += 1;
                    last = format!("{e:?}");
                }
            }
        }
        Err(last)
    }

    fn fault(&self) -> bool {
        self.failed_in_a_row >= FAULT_AFTER_FAILED_READS
    }
}

impl<I2C: I2c + Send> EmgSource for Ads1115Emg<I2C> {
    fn read(&mut self, _t_ms: f64) -> Result<i32, DeviceError> {
        match self.read_once() {
            Ok(v) => {
                if self.fault() {
                    log::warn!(
                        "adc: answering again after {} failed reads",
                        self.failed_in_a_row
                    );
                }
                self.failed_in_a_row = 0;
                self.stats.samples += 1;
                Ok(v)
            }
            Err(e) => {
                self.failed_in_a_row += 1;
                self.stats.failed_reads += 1;
                if self.failed_in_a_row == FAULT_AFTER_FAILED_READS {
                    // Once lost, rewrite the configuration on the next
                    // contact: the chip may have been power-cycled.
                    if let Some(adc) = self.adc.take() {
                        self.unconfigured = Some(adc.destroy_ads1115());
                    }
                    log::error!(
                        "adc: {} reads in a row failed ({e}); check the ADS1115's wiring",
                        self.failed_in_a_row
                    );
                }
                if self.fault() {
                    Err(DeviceError::Unavailable {
                        device: DEVICE,
                        message: format!(
                            "{} reads in a row failed ({e}): check the ADS1115's wiring (VDD pin 1, GND pin 6, SDA pin 3, SCL pin 5)",
                            self.failed_in_a_row
                        ),
                    })
                } else {
                    Err(DeviceError::Transient {
                        device: DEVICE,
                        message: format!("read failed after {ATTEMPTS_PER_READ} attempts: {e}"),
                    })
                }
            }
        }
    }
}

/// The I2C adapter `/dev/i2c-N`, or the error that names the fix.
pub fn open_bus(bus: u8) -> Result<rppal::i2c::I2c, DeviceError> {
    let path = format!("/dev/i2c-{bus}");
    rppal::i2c::I2c::with_bus(bus).map_err(|e| DeviceError::Unavailable {
        device: DEVICE,
        message: bus_open_fix(&path, &e),
    })
}

/// What to do when `/dev/i2c-N` does not open.
pub fn bus_open_fix(path: &str, e: &rppal::i2c::Error) -> String {
    if let rppal::i2c::Error::Io(io) = e {
        match io.kind() {
            std::io::ErrorKind::NotFound => {
                return format!(
                    "{path} does not exist: enable I2C with dtparam=i2c_arm=on in /boot/firmware/config.txt (or `sudo raspi-config nonint do_i2c 0`) and reboot; scripts/install does this"
                )
            }
            std::io::ErrorKind::PermissionDenied => {
                return format!(
                    "{path}: permission denied: add the user to the i2c group (`sudo usermod -aG i2c $USER`, then log in again)"
                )
            }
            _ => {}
        }
    }
    format!("{path}: {e}")
}

/// Opens the ADC the config names, over the configured transport.
pub fn open(config: &AdcConfig) -> Result<Box<dyn EmgSource>, DeviceError> {
    let bus = open_bus(config.bus)?;
    Ok(match config.transport {
        AdcTransport::I2c => Box::new(Ads1115Emg::new(bus, config)?),
        AdcTransport::Smbus => Box::new(Ads1115Emg::new(SmbusI2c::new(bus), config)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_rates_cover_the_config_tables() {
        for v in crate::devices::config::FULL_SCALE_RANGES_V {
            assert!(full_scale_range(v).is_some(), "{v}");
        }
        for r in crate::devices::config::DATA_RATES_SPS {
            assert!(data_rate(r).is_some(), "{r}");
        }
        assert_eq!(full_scale_range(3.3), None);
        assert_eq!(data_rate(100), None);
    }

    #[test]
    fn counts_to_volts_follows_the_lsb_size() {
        // 1 LSB at +-4.096 V is 125 uV (datasheet table 9-3).
        assert!((counts_to_volts(1, 4.096) - 125e-6).abs() < 1e-12);
        assert!((counts_to_volts(32767, 4.096) - 4.095875).abs() < 1e-9);
        assert!((counts_to_volts(-32768, 2.048) + 2.048).abs() < 1e-12);
    }
}

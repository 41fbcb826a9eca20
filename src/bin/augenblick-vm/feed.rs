//! `augenblick-vm feed`: replays an EMG trace into an ADS1115's conversion
//! register, for testing the real ADC path against the kernel's i2c-stub.
//!
//! i2c-stub (`modprobe i2c-stub chip_addr=0x48`) is a register file that
//! answers SMBus transfers at the ADS1115's address. The feeder writes each
//! sample of the trace into register 0x00 (the conversion register, ADS1115
//! datasheet 8.6.1) at the sample's time, so `augenblick run` reads back
//! the trace through its real driver as if the chip were converting it.

use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rppal::i2c::I2c;

/// The ADS1115 conversion register (datasheet 8.6.1).
const CONVERSION_REGISTER: u8 = 0x00;

/// Replays a trace (`t_ms,emg`) into an ADS1115 register over SMBus.
///
/// Example, inside the test VM:
///   augenblick-vm feed --bus 0 --address 0x48 /data/trace.csv
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The trace to replay (CSV with `t_ms` and `emg` in ADS1115 counts).
    trace: PathBuf,
    /// I2C bus number (/dev/i2c-N).
    #[arg(long, default_value_t = 0)]
    bus: u8,
    /// The chip's 7-bit address (decimal or 0x-hex).
    #[arg(long, default_value = "0x48", value_parser = parse_address)]
    address: u16,
}

fn parse_address(s: &str) -> Result<u16, String> {
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|e| format!("`{s}` is not an I2C address: {e}"))
}

/// The conversion register holds a two's complement 16-bit value, most
/// significant byte first on the wire (datasheet 8.5.3); counts outside the
/// range rail, as the chip's output does.
fn register_word(emg: i32) -> u16 {
    emg.clamp(i16::MIN.into(), i16::MAX.into()) as i16 as u16
}

pub fn run(args: Args) -> Result<()> {
    let samples = augenblick::trace::read_trace(&args.trace)?;
    let mut i2c = I2c::with_bus(args.bus).with_context(|| {
        format!(
            "cannot open /dev/i2c-{} (is i2c-dev loaded and the stub there?)",
            args.bus
        )
    })?;
    i2c.set_slave_address(args.address)
        .context("cannot address the chip")?;

    let Some(first) = samples.first() else {
        return Ok(());
    };
    let start = Instant::now();
    let mut latest_ms: f64 = 0.0;
    for s in &samples {
        let due = start + Duration::from_secs_f64((s.t_ms - first.t_ms).max(0.0) / 1000.0);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        latest_ms = latest_ms.max(due.elapsed().as_secs_f64() * 1000.0);
        // SMBus sends a word's low byte first; the chip's registers are
        // big-endian, hence the swapped write.
        i2c.smbus_write_word_swapped(CONVERSION_REGISTER, register_word(s.emg))
            .context("SMBus word write failed")?;
    }
    eprintln!(
        "feeder: {} samples over {:.1} s, at worst {:.1} ms late",
        samples.len(),
        start.elapsed().as_secs_f64(),
        latest_ms
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_twos_complement_and_rail() {
        assert_eq!(register_word(1), 0x0001);
        assert_eq!(register_word(-1), 0xFFFF);
        assert_eq!(register_word(40_000), 0x7FFF);
        assert_eq!(register_word(-40_000), 0x8000);
    }

    #[test]
    fn addresses_parse_in_hex_and_decimal() {
        assert_eq!(parse_address("0x48"), Ok(0x48));
        assert_eq!(parse_address("72"), Ok(72));
        assert!(parse_address("0xZZ").is_err());
    }
}

//! The ADS1115 reader by its bus traffic: configuration, reads, retries,
//! faults and recovery, over plain I2C and over SMBus word transfers.
//!
//! Every test lists the exact transactions and ends with `.done()`, so a
//! missing, extra or changed bus access fails it. Config words are built
//! from the register's fields (ADS111x datasheet SBAS444D, 9.6.3) rather
//! than copied from the code under test.
#![cfg(feature = "hw")]

use augenblick::devices::config::{AdcConfig, AdcTransport};
use augenblick::devices::hw::adc::{Ads1115Emg, ATTEMPTS_PER_READ, FAULT_AFTER_FAILED_READS};
use augenblick::devices::hw::smbus::{SmbusI2c, SmbusWords};
use augenblick::devices::{DeviceError, EmgSource};
use embedded_hal::i2c::{ErrorKind, I2c};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};

const CONVERSION: u8 = 0x00;
const CONFIG: u8 = 0x01;

/// The config register from its fields (datasheet 9.6.3, table 8):
/// OS[15] MUX[14:12] PGA[11:9] MODE[8] DR[7:5] COMP_MODE[4] COMP_POL[3]
/// COMP_LAT[2] COMP_QUE[1:0].
fn config_word(mux: u16, pga: u16, continuous: bool, dr: u16) -> u16 {
    let os = 1 << 15; // written as 1 by the driver; no effect in continuous mode
    let mode = if continuous { 0 } else { 1 << 8 };
    let comp_que_disabled = 0b11;
    os | mux << 12 | pga << 9 | mode | dr << 5 | comp_que_disabled
}

/// Reset value's fields: MUX 000 (AIN0-AIN1), PGA 010 (2.048 V), single-shot, DR 100 (128 SPS).
const MUX_RESET: u16 = 0b000;
const PGA_RESET: u16 = 0b010;
const DR_128: u16 = 0b100;

fn write_config(addr: u8, word: u16) -> T {
    let [msb, lsb] = word.to_be_bytes();
    T::write(addr, vec![CONFIG, msb, lsb])
}

fn read_conversion(addr: u8, value: i16) -> T {
    T::write_read(addr, vec![CONVERSION], value.to_be_bytes().to_vec())
}

fn read_fails(addr: u8) -> T {
    T::write_read(addr, vec![CONVERSION], vec![0, 0]).with_error(ErrorKind::Other)
}

/// The four writes that configure the default: 4.096 V (PGA 001), 128 SPS,
/// continuous, single-ended A0 (MUX 100).
fn default_configuration() -> Vec<T> {
    let pga = 0b001;
    vec![
        write_config(0x48, config_word(MUX_RESET, pga, false, DR_128)),
        write_config(0x48, config_word(MUX_RESET, pga, false, DR_128)),
        write_config(0x48, config_word(MUX_RESET, pga, true, DR_128)),
        write_config(0x48, config_word(0b100, pga, true, DR_128)),
    ]
}

#[test]
fn configuration_of_the_defaults() {
    let mut bus = Mock::new(&default_configuration());
    let adc = Ads1115Emg::new(bus.clone(), &AdcConfig::default()).unwrap();
    assert_eq!(adc.stats().configurations, 1);
    bus.done();
}

#[test]
fn configuration_follows_address_channel_range_and_rate() {
    let config = AdcConfig {
        address: 0x49,
        channel: 2,
        full_scale_v: 1.024,
        data_rate_sps: 860,
        ..AdcConfig::default()
    };
    let (pga, dr, mux_a2) = (0b011, 0b111, 0b110);
    let expected = [
        write_config(0x49, config_word(MUX_RESET, pga, false, DR_128)),
        write_config(0x49, config_word(MUX_RESET, pga, false, dr)),
        write_config(0x49, config_word(MUX_RESET, pga, true, dr)),
        write_config(0x49, config_word(mux_a2, pga, true, dr)),
    ];
    let mut bus = Mock::new(&expected);
    Ads1115Emg::new(bus.clone(), &config).unwrap();
    bus.done();
    // Sanity of the helper against the reset value the datasheet gives (0x8583).
    assert_eq!(config_word(MUX_RESET, PGA_RESET, false, DR_128), 0x8583);
}

#[test]
fn each_sample_is_one_read_of_the_conversion_register() {
    let mut expected = default_configuration();
    expected.extend([
        read_conversion(0x48, 12345),
        read_conversion(0x48, -7),
        read_conversion(0x48, i16::MAX),
    ]);
    let mut bus = Mock::new(&expected);
    let mut adc = Ads1115Emg::new(bus.clone(), &AdcConfig::default()).unwrap();
    assert_eq!(adc.read(0.0).unwrap(), 12345);
    assert_eq!(adc.read(40.0).unwrap(), -7);
    assert_eq!(adc.read(80.0).unwrap(), 32767);
    assert_eq!(adc.stats().samples, 3);
    bus.done();
}

#[test]
fn a_lone_bus_error_is_retried_within_the_sample() {
    let mut expected = default_configuration();
    expected.extend([read_fails(0x48), read_conversion(0x48, 812)]);
    let mut bus = Mock::new(&expected);
    let mut adc = Ads1115Emg::new(bus.clone(), &AdcConfig::default()).unwrap();
    assert_eq!(adc.read(0.0).unwrap(), 812);
    let stats = adc.stats();
    assert_eq!((stats.bus_errors, stats.failed_reads), (1, 0));
    bus.done();
}

#[test]
fn a_read_whose_attempts_all_fail_is_transient() {
    let mut expected = default_configuration();
    expected.extend((0..ATTEMPTS_PER_READ).map(|_| read_fails(0x48)));
    expected.push(read_conversion(0x48, 99));
    let mut bus = Mock::new(&expected);
    let mut adc = Ads1115Emg::new(bus.clone(), &AdcConfig::default()).unwrap();
    match adc.read(0.0) {
        Err(DeviceError::Transient { device: "adc", .. }) => {}
        other => panic!("expected a transient error, got {other:?}"),
    }
    assert_eq!(
        adc.read(40.0).unwrap(),
        99,
        "the next sample reads normally"
    );
    bus.done();
}

#[test]
fn sustained_failure_is_a_fault_and_recovery_reconfigures() {
    let mut expected = default_configuration();
    for _ in 0..FAULT_AFTER_FAILED_READS {
        expected.extend((0..ATTEMPTS_PER_READ).map(|_| read_fails(0x48)));
    }
    // Back: the chip may have lost power, so it is configured again first.
    expected.extend(default_configuration());
    expected.push(read_conversion(0x48, 4321));
    let mut bus = Mock::new(&expected);
    let mut adc = Ads1115Emg::new(bus.clone(), &AdcConfig::default()).unwrap();
    for i in 1..=FAULT_AFTER_FAILED_READS {
        let err = adc.read(i as f64 * 40.0).unwrap_err();
        if i < FAULT_AFTER_FAILED_READS {
            assert!(
                matches!(err, DeviceError::Transient { .. }),
                "read {i}: {err:?}"
            );
        } else {
            assert!(
                matches!(err, DeviceError::Unavailable { .. }),
                "read {i}: {err:?}"
            );
            assert!(
                err.to_string().contains("check the ADS1115's wiring"),
                "{err}"
            );
        }
    }
    assert_eq!(adc.read(1000.0).unwrap(), 4321);
    let stats = adc.stats();
    assert_eq!(stats.configurations, 2);
    assert_eq!(stats.failed_reads, u64::from(FAULT_AFTER_FAILED_READS));
    assert_eq!(
        stats.bus_errors,
        u64::from(FAULT_AFTER_FAILED_READS * ATTEMPTS_PER_READ)
    );
    bus.done();
}

#[test]
fn reconfiguring_keeps_failing_while_the_chip_is_away() {
    let mut expected = default_configuration();
    for _ in 0..FAULT_AFTER_FAILED_READS {
        expected.extend((0..ATTEMPTS_PER_READ).map(|_| read_fails(0x48)));
    }
    // One more read while the chip is away: each attempt tries the first config write.
    let first = default_configuration()
        .remove(0)
        .with_error(ErrorKind::Other);
    expected.extend((0..ATTEMPTS_PER_READ).map(|_| first.clone()));
    let mut bus = Mock::new(&expected);
    let mut adc = Ads1115Emg::new(bus.clone(), &AdcConfig::default()).unwrap();
    for i in 0..FAULT_AFTER_FAILED_READS {
        assert!(adc.read(f64::from(i)).is_err());
    }
    let err = adc.read(99.0).unwrap_err();
    assert!(matches!(err, DeviceError::Unavailable { .. }), "{err:?}");
    bus.done();
}

#[test]
fn no_chip_at_the_address_fails_with_the_fix() {
    let first = write_config(0x48, config_word(MUX_RESET, 0b001, false, DR_128));
    let mut bus = Mock::new(&[first.with_error(ErrorKind::NoAcknowledge(
        embedded_hal::i2c::NoAcknowledgeSource::Address,
    ))]);
    let err = Ads1115Emg::new(bus.clone(), &AdcConfig::default())
        .err()
        .expect("no chip");
    let msg = err.to_string();
    assert!(
        msg.contains("0x48") && msg.contains("i2cdetect -y 1"),
        "{msg}"
    );
    bus.done();
}

#[test]
fn an_invalid_config_touches_no_bus() {
    let mut bus = Mock::new(&[]);
    let config = AdcConfig {
        full_scale_v: 3.3,
        ..AdcConfig::default()
    };
    let err = Ads1115Emg::new(bus.clone(), &config)
        .err()
        .expect("invalid");
    assert!(err.to_string().contains("adc.full_scale_v"), "{err}");
    bus.done();
}

// --- SMBus transport -------------------------------------------------------

/// One SMBus call, as the adapter should make it.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Address(u8),
    WriteWord(u8, u16),
    ReadWord(u8, u16),
}

/// A scripted SMBus: each call must be the next expected one.
struct SmbusMock {
    expected: std::collections::VecDeque<Call>,
}

impl SmbusMock {
    fn new(calls: &[Call]) -> Self {
        SmbusMock {
            expected: calls.iter().cloned().collect(),
        }
    }

    fn next(&mut self, got: Call) -> Call {
        let want = self
            .expected
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected SMBus call {got:?}"));
        match (&want, &got) {
            (Call::ReadWord(a, _), Call::ReadWord(b, _)) => assert_eq!(a, b, "read word command"),
            _ => assert_eq!(want, got),
        }
        want
    }

    fn done(&self) {
        assert!(
            self.expected.is_empty(),
            "calls not made: {:?}",
            self.expected
        );
    }
}

impl SmbusWords for SmbusMock {
    type Error = std::io::Error;

    fn set_address(&mut self, address: u8) -> Result<(), Self::Error> {
        self.next(Call::Address(address));
        Ok(())
    }

    fn read_word(&mut self, command: u8) -> Result<u16, Self::Error> {
        match self.next(Call::ReadWord(command, 0)) {
            Call::ReadWord(_, word) => Ok(word),
            _ => unreachable!(),
        }
    }

    fn write_word(&mut self, command: u8, word: u16) -> Result<(), Self::Error> {
        self.next(Call::WriteWord(command, word));
        Ok(())
    }
}

/// SMBus words carry their low byte first; the ADS1115 wants MSB first. So
/// the word on SMBus is the register value with its bytes swapped.
fn smbus_word(register_value: u16) -> u16 {
    register_value.swap_bytes()
}

#[test]
fn smbus_register_write_swaps_the_bytes() {
    let mut i2c = SmbusI2c::new(SmbusMock::new(&[
        Call::Address(0x48),
        Call::WriteWord(CONFIG, 0x8385),
        Call::WriteWord(CONFIG, 0x3412),
    ]));
    // On the wire, after the command byte: 0x85 then 0x83 (MSB first).
    i2c.write(0x48, &[CONFIG, 0x85, 0x83]).unwrap();
    i2c.write(0x48, &[CONFIG, 0x12, 0x34]).unwrap();
    i2c.into_inner().done();
}

#[test]
fn smbus_register_read_swaps_the_bytes() {
    let mut i2c = SmbusI2c::new(SmbusMock::new(&[
        Call::Address(0x48),
        Call::ReadWord(CONVERSION, 0x3412),
    ]));
    let mut buf = [0u8; 2];
    i2c.write_read(0x48, &[CONVERSION], &mut buf).unwrap();
    // The first byte on the wire (SMBus low byte, 0x12) is the MSB.
    assert_eq!(buf, [0x12, 0x34]);
    i2c.into_inner().done();
}

#[test]
fn smbus_reselects_only_when_the_address_changes() {
    let mut i2c = SmbusI2c::new(SmbusMock::new(&[
        Call::Address(0x48),
        Call::WriteWord(CONFIG, 1),
        Call::WriteWord(CONFIG, 2),
        Call::Address(0x49),
        Call::WriteWord(CONFIG, 3),
    ]));
    i2c.write(0x48, &[CONFIG, 1, 0]).unwrap();
    i2c.write(0x48, &[CONFIG, 2, 0]).unwrap();
    i2c.write(0x49, &[CONFIG, 3, 0]).unwrap();
    i2c.into_inner().done();
}

#[test]
fn smbus_refuses_what_word_transfers_cannot_carry() {
    let mut i2c = SmbusI2c::new(SmbusMock::new(&[]));
    assert!(i2c.write(0x48, &[CONFIG, 1]).is_err());
    assert!(i2c.read(0x48, &mut [0u8; 2]).is_err());
    assert!(i2c.write_read(0x48, &[CONVERSION], &mut [0u8; 3]).is_err());
    i2c.into_inner().done();
}

#[test]
fn the_driver_runs_unchanged_over_smbus() {
    let pga = 0b001;
    let config = AdcConfig {
        transport: AdcTransport::Smbus,
        ..AdcConfig::default()
    };
    let mut calls = vec![Call::Address(0x48)];
    for word in [
        config_word(MUX_RESET, pga, false, DR_128),
        config_word(MUX_RESET, pga, false, DR_128),
        config_word(MUX_RESET, pga, true, DR_128),
        config_word(0b100, pga, true, DR_128),
    ] {
        calls.push(Call::WriteWord(CONFIG, smbus_word(word)));
    }
    calls.push(Call::ReadWord(CONVERSION, smbus_word(20_000)));
    calls.push(Call::ReadWord(CONVERSION, smbus_word((-3i16) as u16)));
    let mut adc = Ads1115Emg::new(SmbusI2c::new(SmbusMock::new(&calls)), &config).unwrap();
    assert_eq!(adc.read(0.0).unwrap(), 20_000);
    assert_eq!(adc.read(40.0).unwrap(), -3);
    adc.into_bus().expect("bus").into_inner().done();
}

/// Linux's i2c-stub as the VM tests use it: a register file of SMBus words.
/// A feeder sets the conversion register from outside with
/// `i2cset -y BUS 0x48 0x00 WORD w`, where WORD is the sample's two bytes
/// swapped (SMBus words travel low byte first, the ADS1115's MSB first).
struct StubRegisters {
    words: Vec<u16>,
    address: Option<u8>,
}

impl Default for StubRegisters {
    fn default() -> Self {
        StubRegisters {
            words: vec![0; 256],
            address: None,
        }
    }
}

impl SmbusWords for StubRegisters {
    type Error = std::io::Error;
    fn set_address(&mut self, address: u8) -> Result<(), Self::Error> {
        self.address = Some(address);
        Ok(())
    }
    fn read_word(&mut self, command: u8) -> Result<u16, Self::Error> {
        Ok(self.words[usize::from(command)])
    }
    fn write_word(&mut self, command: u8, word: u16) -> Result<(), Self::Error> {
        self.words[usize::from(command)] = word;
        Ok(())
    }
}

#[test]
fn a_feeder_writing_swapped_words_into_i2c_stub_is_read_back_exactly() {
    let config = AdcConfig {
        transport: AdcTransport::Smbus,
        ..AdcConfig::default()
    };
    let mut adc = Ads1115Emg::new(SmbusI2c::new(StubRegisters::default()), &config).unwrap();
    for sample in [0i16, 1, 255, 256, 12_345, -1, -12_345, i16::MAX, i16::MIN] {
        let mut regs = adc.into_bus().unwrap().into_inner();
        // What `i2cset -y 0 0x48 0x00 WORD w` does.
        regs.words[0] = (sample as u16).swap_bytes();
        // The chip's config as `i2cget -y 0 0x48 0x01 w` shows it: bytes swapped too.
        assert_eq!(
            regs.words[1].swap_bytes(),
            config_word(0b100, 0b001, true, DR_128)
        );
        let mut again = Ads1115Emg::new(SmbusI2c::new(regs), &config).unwrap();
        assert_eq!(again.read(0.0).unwrap(), i32::from(sample));
        adc = again;
    }
}

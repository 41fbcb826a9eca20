//! The ADS1115's register traffic carried by SMBus word transfers.
//!
//! The ads1x1x driver speaks plain I2C: a register write is one write of
//! `[register, MSB, LSB]`, a register read is a write of `[register]` followed
//! by a read of two bytes, MSB first (ADS111x datasheet SBAS444D, 9.5.3).
//! SMBus "write word" and "read word" put exactly the same bytes on the wire
//! (command byte, then two data bytes), except that SMBus names the first
//! data byte the LOW byte of its 16-bit word (SMBus 3.0, 6.5.4 and 6.5.5).
//! So the adapter swaps bytes: the word sent is `u16::from_le_bytes([MSB, LSB])`
//! and a word received is laid out into the read buffer little-endian.
//!
//! Why bother: some I2C adapters, and Linux's `i2c-stub` (which the VM tests
//! use as a stand-in ADS1115), speak SMBus only, and the same adapter works on
//! the Pi's own bus. So the very same driver code runs against both.

use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, Operation};

/// The SMBus word transfers the adapter needs. Implemented for rppal's bus;
/// tests implement it with a scripted mock.
pub trait SmbusWords {
    type Error: std::fmt::Debug;
    /// Selects the target for the following transfers.
    fn set_address(&mut self, address: u8) -> Result<(), Self::Error>;
    /// SMBus read word: the first byte on the wire is the word's low byte.
    fn read_word(&mut self, command: u8) -> Result<u16, Self::Error>;
    /// SMBus write word: the word's low byte goes on the wire first.
    fn write_word(&mut self, command: u8, word: u16) -> Result<(), Self::Error>;
}

/// An error of the SMBus transport.
#[derive(Debug)]
pub enum SmbusError<E> {
    /// The bus failed (NAK, timeout, device gone).
    Bus(E),
    /// The driver asked for a transfer that is not a register read or write
    /// of one 16-bit word; SMBus word transfers cannot carry it.
    Unsupported,
}

impl<E: std::fmt::Debug> embedded_hal::i2c::Error for SmbusError<E> {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// An `embedded_hal::i2c::I2c` made of SMBus word transfers.
pub struct SmbusI2c<B> {
    bus: B,
    /// The address last selected, so a steady stream of reads does not
    /// repeat the I2C_SLAVE ioctl.
    address: Option<u8>,
}

impl<B: SmbusWords> SmbusI2c<B> {
    pub fn new(bus: B) -> Self {
        SmbusI2c { bus, address: None }
    }

    /// Gives the bus back.
    pub fn into_inner(self) -> B {
        self.bus
    }

    fn select(&mut self, address: u8) -> Result<(), SmbusError<B::Error>> {
        if self.address != Some(address) {
            self.address = None;
            self.bus.set_address(address).map_err(SmbusError::Bus)?;
            self.address = Some(address);
        }
        Ok(())
    }
}

impl<B: SmbusWords> ErrorType for SmbusI2c<B> {
    type Error = SmbusError<B::Error>;
}

impl<B: SmbusWords> I2c for SmbusI2c<B> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        match operations {
            // Register write: [register, MSB, LSB].
            [Operation::Write(&[register, msb, lsb])] => {
                self.select(address)?;
                self.bus
                    .write_word(register, u16::from_le_bytes([msb, lsb]))
                    .map_err(SmbusError::Bus)
            }
            // Register read: write the pointer, read MSB then LSB.
            [Operation::Write(&[register]), Operation::Read(buf)] if buf.len() == 2 => {
                self.select(address)?;
                let word = self.bus.read_word(register).map_err(SmbusError::Bus)?;
                buf.copy_from_slice(&word.to_le_bytes());
                Ok(())
            }
            _ => Err(SmbusError::Unsupported),
        }
    }
}

/// rppal's bus: `smbus_read_word` / `smbus_write_word` are the SMBus
/// protocol as defined (low byte first), the adapter does the swapping.
impl SmbusWords for rppal::i2c::I2c {
    type Error = rppal::i2c::Error;

    fn set_address(&mut self, address: u8) -> Result<(), Self::Error> {
        self.set_slave_address(u16::from(address))
    }

    fn read_word(&mut self, command: u8) -> Result<u16, Self::Error> {
        self.smbus_read_word(command)
    }

    fn write_word(&mut self, command: u8, word: u16) -> Result<(), Self::Error> {
        self.smbus_write_word(command, word)
    }
}

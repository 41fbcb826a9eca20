//! Real devices on the Pi: ADS1115 over I2C, GPIO button and LED, V4L2 camera.
//!
//! Each module opens its device from its config section and maps the
//! system's errors onto [`DeviceError`](super::DeviceError) messages that
//! name the fix (a group to join, a line for `/boot/firmware/config.txt`).
//!
//! - [`adc`]: the ADS1115 (ads1x1x driver) in continuous mode, over plain
//!   I2C or over SMBus word transfers ([`smbus`]).
//! - [`gpio`]: the button (pull-up, both-edge interrupts) and the LED (rppal).
//! - [`camera`]: V4L2 capture with mmap streaming (v4l), MJPEG passed
//!   through, raw YUYV/YU12/NV12 otherwise.
//!
//! What runs where: the I2C and camera code run on any Linux with
//! `/dev/i2c-N` and `/dev/videoN` (the VM tests use `i2c-stub` and `vivid`);
//! the GPIO code only on a Raspberry Pi.

pub mod adc;
pub mod camera;
pub mod gpio;
pub mod smbus;

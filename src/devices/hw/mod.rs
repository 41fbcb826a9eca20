//! Real devices on the Pi: ADS1115 over I2C, GPIO button and LED, V4L2 camera.
//!
//! Placeholder: filled in by the hardware issue.

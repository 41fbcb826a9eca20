//! The hardware, behind small traits: EMG source (ADC), camera, LED, button,
//! and the power supply's low-battery warning.
//!
//! Each trait has a simulated implementation (in `sim`) and a real one on the
//! Pi (in `hw`, behind the `hw` feature). The appliance only sees the traits,
//! so the whole of it runs on a laptop on a virtual clock.
//!
//! Times are milliseconds since the session started, on the session clock
//! ([`crate::clock::Clock`]). Methods that read the world take the time the
//! caller reads it at, so simulated devices stay pure functions of time.

use std::fmt;
use std::sync::Arc;

pub mod config;
pub mod power;

/// Something a device could not do; the message says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The device is not there or cannot be opened (pad cable, camera, bus).
    #[error("{device}: not available: {message}")]
    Unavailable {
        device: &'static str,
        message: String,
    },
    /// One operation failed; trying again may work (I2C NAK, a lost frame).
    #[error("{device}: {message}")]
    Transient {
        device: &'static str,
        message: String,
    },
    /// The simulated source has nothing more to give (end of a trace).
    #[error("{device}: end of input")]
    EndOfInput { device: &'static str },
}

/// The EMG envelope's ADC.
pub trait EmgSource: Send {
    /// Reads one conversion (ADS1115 counts). `t_ms` is the time the sampler
    /// reads at; real devices ignore it, simulated ones replay at it.
    fn read(&mut self, t_ms: f64) -> Result<i32, DeviceError>;
}

/// Pixel layouts a camera may deliver besides JPEG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    /// Packed 4:2:2, Y0 U Y1 V.
    Yuyv,
    /// Planar 4:2:0 (I420 / YU12).
    Yuv420,
    /// Semi-planar 4:2:0, Y plane then interleaved UV.
    Nv12,
}

impl fmt::Display for RawFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RawFormat::Yuyv => "YUYV",
            RawFormat::Yuv420 => "YU12",
            RawFormat::Nv12 => "NV12",
        })
    }
}

/// A frame's bytes, as the camera delivered them.
///
/// The bytes are shared (`Arc`), so a clone costs nothing: while a closure is
/// not confirmed yet the recorder streams its frames to disk and also keeps
/// the newest ones, to give them back to the pre-roll if the detector takes
/// the onset back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameData {
    /// A complete JPEG image: kept as it is, never re-encoded.
    Jpeg(Arc<Vec<u8>>),
    /// Raw pixels, to be compressed off the capture path.
    Raw {
        format: RawFormat,
        width: u32,
        height: u32,
        data: Arc<Vec<u8>>,
    },
    /// A simulated picture not drawn yet. Its pixels are a pure function of
    /// the frame's time ([`sim::render_jpeg`]), so the simulation draws and
    /// JPEG-encodes only the frames the recorder keeps: encoding every frame
    /// would make a 10-minute session far slower than 50x real time. Real
    /// cameras never deliver this.
    Synthetic {
        width: u32,
        height: u32,
        /// What the JPEG will weigh, roughly (what the pre-roll budgets).
        approx_bytes: usize,
    },
}

impl FrameData {
    /// Bytes held (what the pre-roll buffer budgets).
    pub fn len(&self) -> usize {
        match self {
            FrameData::Jpeg(d) => d.len(),
            FrameData::Raw { data, .. } => data.len(),
            FrameData::Synthetic { approx_bytes, .. } => *approx_bytes,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Frame buffers handed out again once everyone has let go of them, as a
/// V4L2 driver queues its buffers again: a raw 640x480 frame is 614 kB, and
/// a fresh allocation each time costs the kernel a page fault every 4 kB of
/// it (a sixth of a simulated raw session's time went to that and to
/// copying).
#[derive(Debug, Clone, Default)]
pub struct FramePool {
    bufs: Vec<Arc<Vec<u8>>>,
}

/// At most this many buffers are kept for reuse: more than a pre-roll
/// of raw frames under its byte budget (`recording.preroll_max_bytes`) and
/// the writer's queue hold. Past it, buffers come and go as before.
const FRAME_POOL_MAX: usize = 128;

impl FramePool {
    /// A buffer no frame holds any more or a new one, filled by `fill`:
    /// it holds the bytes of the frame it last carried (or none), and
    /// `fill` sets all of them.
    pub fn fill<E>(
        &mut self,
        fill: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<Arc<Vec<u8>>, E> {
        for buf in &mut self.bufs {
            if let Some(v) = Arc::get_mut(buf) {
                fill(v)?;
                return Ok(Arc::clone(buf));
            }
        }
        let mut v = Vec::new();
        fill(&mut v)?;
        let buf = Arc::new(v);
        if self.bufs.len() < FRAME_POOL_MAX {
            self.bufs.push(Arc::clone(&buf));
        }
        Ok(buf)
    }

    /// Buffers kept for reuse, free or not.
    pub fn len(&self) -> usize {
        self.bufs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bufs.is_empty()
    }
}

/// One captured frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Capture time on the session clock.
    pub t_ms: f64,
    pub data: FrameData,
}

/// What a camera agreed to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraMode {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// `None` for JPEG, else the raw layout.
    pub raw: Option<RawFormat>,
}

/// A camera that streams all the time.
pub trait Camera: Send {
    /// The mode negotiated when the camera was opened.
    fn mode(&self) -> CameraMode;
    /// Waits for the next frame; simulated cameras return the next frame
    /// captured at or before `until_ms`, or `None` when there is none yet.
    fn next_frame(&mut self, until_ms: f64) -> Result<Option<Frame>, DeviceError>;
}

/// The LED the wearer trusts.
pub trait Led: Send {
    fn set(&mut self, on: bool, t_ms: f64) -> Result<(), DeviceError>;
}

/// The session button (raw level; debounced by [`crate::button`]).
pub trait Button: Send {
    /// True while pressed, as read at `t_ms`.
    fn is_pressed(&mut self, t_ms: f64) -> Result<bool, DeviceError>;
}

/// The power supply's warning that the battery is nearly flat (raw level;
/// held and cleared by [`crate::appliance::power::PowerWatch`]).
pub trait Power: Send {
    /// True while the supply reports low, as read at `t_ms`.
    fn is_low(&mut self, t_ms: f64) -> Result<bool, DeviceError>;
}

/// The appliance's hardware, handed to [`crate::appliance::run`] as a whole
/// (real ones on the glasses, simulated ones on a laptop).
pub struct Devices {
    pub emg: Box<dyn EmgSource>,
    pub camera: Box<dyn Camera>,
    pub led: Box<dyn Led>,
    pub button: Box<dyn Button>,
    pub power: Box<dyn Power>,
}

pub mod sim;

#[cfg(feature = "hw")]
pub mod hw;

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(pool: &mut FramePool, byte: u8) -> Arc<Vec<u8>> {
        pool.fill(|v| {
            v.clear();
            v.resize(1000, byte);
            Ok::<(), ()>(())
        })
        .unwrap()
    }

    #[test]
    fn a_frame_buffer_let_go_is_handed_out_again_and_one_held_is_not() {
        let mut pool = FramePool::default();
        let a = fill(&mut pool, 1);
        let first = a.as_ptr();
        drop(a);
        let b = fill(&mut pool, 2);
        assert_eq!(b.as_ptr(), first, "the same allocation again");
        assert_eq!(pool.len(), 1);
        // `b` is held (in the pre-roll, say): the next frame gets another
        // buffer, and `b`'s bytes stay as they were.
        let c = fill(&mut pool, 3);
        assert_ne!(c.as_ptr(), b.as_ptr());
        assert!(b.iter().all(|&x| x == 2) && c.iter().all(|&x| x == 3));
        assert_eq!(pool.len(), 2);
        // A failed fill hands nothing out and loses no buffer.
        drop(c);
        assert!(pool.fill(|_| Err("torn")).is_err());
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn the_pool_keeps_no_more_than_its_limit() {
        let mut pool = FramePool::default();
        let held: Vec<_> = (0..FRAME_POOL_MAX + 10)
            .map(|_| fill(&mut pool, 0))
            .collect();
        assert_eq!(held.len(), FRAME_POOL_MAX + 10);
        assert_eq!(pool.len(), FRAME_POOL_MAX);
    }
}

//! A synthetic camera: frames at a set size and rate, each stamped with its
//! capture time ([`crate::stamp`]) so a test can read back which moment a
//! frame of a film shows.
//!
//! In JPEG mode frames come as [`FrameData::Synthetic`]: drawing and
//! encoding is left to whoever keeps the frame ([`render_jpeg`]), because a
//! camera streams all the time and the recorder keeps only a small share.
//! In raw mode it delivers YUYV pixels like the Pi Camera under
//! `libcamerify`, and the writer compresses the kept ones.

use crate::devices::sim::GrayJpegEncoder;
use crate::devices::{Camera, CameraMode, DeviceError, Frame, FrameData, FramePool, RawFormat};
use crate::stamp;

/// A stretch of time during which the camera fails every frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimCameraFault {
    pub from_ms: f64,
    pub to_ms: f64,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct SimCamera {
    mode: CameraMode,
    next: u64,
    approx_bytes: usize,
    faults: Vec<SimCameraFault>,
    /// Raw mode: the frames' buffers, and the luma plane drawn first.
    pool: FramePool,
    luma: Vec<u8>,
}

/// JPEG quality of the simulated camera's frames (a typical MJPEG webcam's).
const QUALITY: u8 = 80;

impl SimCamera {
    /// A camera at `width`x`height` (even) and `fps`; `raw` for YUYV frames.
    pub fn new(width: u32, height: u32, fps: f64, raw: bool) -> Self {
        let approx_bytes = if raw {
            (width * height * 2) as usize
        } else {
            render_jpeg(0, width, height).len()
        };
        SimCamera {
            mode: CameraMode {
                width,
                height,
                fps,
                raw: raw.then_some(RawFormat::Yuyv),
            },
            next: 0,
            approx_bytes,
            faults: Vec::new(),
            pool: FramePool::default(),
            luma: Vec::new(),
        }
    }

    /// Makes the camera fail during the given stretches (for fault tests).
    pub fn with_faults(mut self, faults: Vec<SimCameraFault>) -> Self {
        self.faults = faults;
        self
    }

    /// Capture time of frame `i`: the nominal period plus a deterministic
    /// wobble of up to 3 ms, because real cameras' frame times are uneven.
    fn frame_time(&self, i: u64) -> f64 {
        let nominal = i as f64 * 1000.0 / self.mode.fps;
        let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61; // 0..=7
        ((nominal + h as f64 * 0.375) * 1000.0).round() / 1000.0
    }

    /// When the next frame will be captured.
    pub fn next_frame_ms(&self) -> f64 {
        self.frame_time(self.next)
    }
}

impl Camera for SimCamera {
    fn mode(&self) -> CameraMode {
        self.mode.clone()
    }

    fn next_frame(&mut self, until_ms: f64) -> Result<Option<Frame>, DeviceError> {
        let t_ms = self.frame_time(self.next);
        if t_ms > until_ms {
            return Ok(None);
        }
        self.next += 1;
        if self
            .faults
            .iter()
            .any(|f| t_ms >= f.from_ms && t_ms < f.to_ms)
        {
            return Err(DeviceError::Transient {
                device: "camera",
                message: format!("simulated capture failure at {t_ms} ms"),
            });
        }
        let (width, height) = (self.mode.width, self.mode.height);
        let data = if self.mode.raw.is_some() {
            let (w, h) = (width as usize, height as usize);
            self.luma.resize(w * h, 0);
            render_luma_into(t_ms, width, height, &mut self.luma);
            let luma = &self.luma;
            let filled = self.pool.fill(|data| {
                // YUYV: Y0 U Y1 V, the chroma grey.
                data.resize(w * h * 2, 0);
                for (out, px) in data.chunks_exact_mut(4).zip(luma.chunks_exact(2)) {
                    let pair = u32::from(px[0]) | u32::from(px[1]) << 16 | 0x8000_8000;
                    out.copy_from_slice(&pair.to_le_bytes());
                }
                Ok::<(), std::convert::Infallible>(())
            });
            let data = filled.unwrap_or_else(|never| match never {});
            FrameData::Raw {
                format: RawFormat::Yuyv,
                width,
                height,
                data,
            }
        } else {
            FrameData::Synthetic {
                width,
                height,
                approx_bytes: self.approx_bytes,
            }
        };
        Ok(Some(Frame { t_ms, data }))
    }
}

/// The simulated picture at `t_ms`: a grey scene with a bar sweeping across
/// it (so motion shows in a film) and the time stamp in the top band.
pub fn render_luma(t_ms: f64, width: u32, height: u32) -> Vec<u8> {
    let mut y = vec![0u8; width as usize * height as usize];
    render_luma_into(t_ms, width, height, &mut y);
    y
}

/// [`render_luma`] into `y` (`width` x `height` bytes).
fn render_luma_into(t_ms: f64, width: u32, height: u32, y: &mut [u8]) {
    let (w, h) = (width as usize, height as usize);
    // A gradient in steps of 8 rows: flat 8x8 blocks are cheap to encode.
    for (row, line) in y.chunks_exact_mut(w).enumerate() {
        line.fill(60 + ((row / 8 * 8) * 80 / h.max(1)) as u8);
    }
    let bar_x = ((t_ms / 4.0) as usize) % w.max(1);
    for line in y.chunks_exact_mut(w) {
        let end = (bar_x + w / 20 + 1).min(w);
        line[bar_x..end].fill(200);
    }
    let stamp_ms = t_ms.round().clamp(0.0, u32::MAX as f64) as u32;
    stamp::draw_luma(y, width, height, w, stamp_ms);
}

/// The simulated picture at `t_ms` as a (greyscale) JPEG, exactly as the
/// simulated camera "captured" it: the same time gives the same bytes.
pub fn render_jpeg(t_ms: impl Into<f64>, width: u32, height: u32) -> Vec<u8> {
    thread_local! {
        // One encoder per thread keeps its block cache across frames.
        static ENCODER: std::cell::RefCell<GrayJpegEncoder> =
            std::cell::RefCell::new(GrayJpegEncoder::new(QUALITY));
    }
    let y = render_luma(t_ms.into(), width, height);
    ENCODER.with(|e| e.borrow_mut().encode(&y, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_in_time_order_and_carry_their_stamp() {
        let mut cam = SimCamera::new(320, 240, 30.0, false);
        let mut last = -1.0;
        let mut n = 0;
        while let Some(f) = cam.next_frame(1000.0).unwrap() {
            assert!(f.t_ms > last);
            last = f.t_ms;
            n += 1;
        }
        assert_eq!(n, 30);
        let jpeg = render_jpeg(last, 320, 240);
        assert!(crate::session::mjpeg::is_complete(&jpeg));
        let img = image::load_from_memory(&jpeg).unwrap().to_luma8();
        assert_eq!(
            stamp::read_luma(img.as_raw(), 320, 240, 320),
            Some(last.round() as u32)
        );
    }

    #[test]
    fn raw_mode_delivers_yuyv() {
        let mut cam = SimCamera::new(64, 48, 10.0, true);
        let f = cam.next_frame(0.0).unwrap().unwrap();
        match f.data {
            FrameData::Raw { format, data, .. } => {
                assert_eq!(format, RawFormat::Yuyv);
                assert_eq!(data.len(), 64 * 48 * 2);
            }
            other => panic!("expected raw, got {other:?}"),
        }
        assert_eq!(cam.next_frame(50.0).unwrap(), None);
    }

    #[test]
    fn faults_fail_frames_in_their_window() {
        let mut cam = SimCamera::new(64, 48, 10.0, false).with_faults(vec![SimCameraFault {
            from_ms: 150.0,
            to_ms: 350.0,
        }]);
        let results: Vec<bool> = (0..5).map(|_| cam.next_frame(1e9).is_ok()).collect();
        assert_eq!(results, vec![true, true, false, false, true]);
    }
}

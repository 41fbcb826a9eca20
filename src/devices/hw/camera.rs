//! The camera through V4L2 (v4l crate): a USB webcam directly, or the Pi's
//! Camera Module through `libcamerify` on Raspberry Pi OS Bookworm.
//!
//! - Format: MJPEG where offered (frames pass through untouched: a Pi Zero
//!   cannot re-encode), else raw YUYV, YU12 (I420) or NV12, handed on as
//!   [`FrameData::Raw`] for the appliance to compress off the hot path. The
//!   Camera Module under libcamerify and the kernel's `vivid` test driver
//!   offer no MJPEG.
//! - The size and rate asked for are what VIDIOC_S_FMT and VIDIOC_S_PARM are
//!   given; the driver may grant something else, and [`Camera::mode`]
//!   reports what it granted.
//! - mmap streaming with a few buffers; each frame's bytes are copied out of
//!   the mapped buffer once (raw frames with padded lines are packed in that
//!   same copy) and the buffer goes straight back to the driver.
//! - Capture times come from the kernel's buffer timestamps, which are
//!   CLOCK_MONOTONIC when the buffer carries V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC
//!   (V4L2 spec, "struct v4l2_buffer", buffer flags). The session clock is
//!   CLOCK_MONOTONIC minus the session's start, so the mapping is a
//!   subtraction. Other timestamp kinds (unknown, copied from an output
//!   stream) fall back to the time the frame was dequeued.
//! - A camera that stops answering (USB cable, libcamera crash) is closed and
//!   reopened with a growing backoff; meanwhile `next_frame` returns
//!   [`DeviceError::Unavailable`] (the LED shows the fault) and the sampler,
//!   on its own thread, goes on.

use std::io;
use std::time::Duration;

use v4l::buffer::Type;
use v4l::format::FourCC;
use v4l::io::traits::CaptureStream;
use v4l::video::Capture;
use v4l::{Device, Format, Fraction};

use crate::devices::config::CameraConfig;
use crate::devices::{Camera, CameraMode, DeviceError, Frame, FrameData, FramePool, RawFormat};

const DEVICE: &str = "camera";
/// Buffers the driver fills while we copy one out: 133 ms of slack at 30 fps.
const BUFFERS: u32 = 4;
/// First wait after losing the camera, doubled up to [`BACKOFF_MAX_MS`].
const BACKOFF_START_MS: f64 = 500.0;
const BACKOFF_MAX_MS: f64 = 8000.0;
/// How long opening waits for the first frame.
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(5);
/// The least `next_frame` waits for a frame: the appliance's camera thread
/// asks with `until_ms` = now, and a real camera thread should sleep in
/// poll(2) until the driver has a frame rather than spin.
const MIN_WAIT_MS: f64 = 100.0;
/// A kernel timestamp further than this from the dequeue time is not trusted.
const TIMESTAMP_SLACK_MS: f64 = 2000.0;

const V4L2_BUF_FLAG_TIMESTAMP_MASK: u32 = 0x0000_e000;
const V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC: u32 = 0x0000_2000;

/// A pixel format the camera may offer, in the order "auto" prefers them.
const PREFERENCE: [(&[u8; 4], Option<RawFormat>); 5] = [
    (b"MJPG", None),
    (b"JPEG", None),
    (b"YUYV", Some(RawFormat::Yuyv)),
    (b"YU12", Some(RawFormat::Yuv420)),
    (b"NV12", Some(RawFormat::Nv12)),
];

/// The format chosen from what the camera offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatChoice {
    pub fourcc: [u8; 4],
    /// `None` for (M)JPEG.
    pub raw: Option<RawFormat>,
}

/// Picks the format to ask for. `want` is `camera.format`: "auto" (MJPEG
/// first, then raw), "mjpeg" (only MJPEG) or "raw" (only raw).
pub fn choose_format(offered: &[[u8; 4]], want: &str) -> Result<FormatChoice, String> {
    let allowed = |raw: Option<RawFormat>| match want {
        "mjpeg" => raw.is_none(),
        "raw" => raw.is_some(),
        _ => true,
    };
    for (fourcc, raw) in PREFERENCE {
        if allowed(raw) && offered.contains(fourcc) {
            return Ok(FormatChoice {
                fourcc: *fourcc,
                raw,
            });
        }
    }
    let names: Vec<String> = offered
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let offered = if names.is_empty() {
        "nothing".to_string()
    } else {
        names.join(", ")
    };
    Err(match want {
        "mjpeg" => format!(
            "the camera offers no MJPEG (it offers {offered}): set camera.format = \"auto\" to record raw frames"
        ),
        "raw" => format!(
            "the camera offers none of YUYV, YU12, NV12 (it offers {offered}): set camera.format = \"auto\""
        ),
        _ => format!(
            "the camera offers none of MJPEG, YUYV, YU12, NV12 (it offers {offered}); the Pi Camera Module needs `libcamerify` (README, hardware section)"
        ),
    })
}

/// Maps a buffer's kernel timestamp onto the session clock, or falls back
/// to the dequeue time `read_ms` when the timestamp is not CLOCK_MONOTONIC
/// or is implausibly far from it.
pub fn frame_time_ms(flags: u32, sec: i64, usec: i64, epoch_ns: i128, read_ms: f64) -> f64 {
    if flags & V4L2_BUF_FLAG_TIMESTAMP_MASK != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC {
        return read_ms;
    }
    let ns = i128::from(sec) * 1_000_000_000 + i128::from(usec) * 1_000;
    let t = (ns - epoch_ns) as f64 / 1e6;
    // A capture cannot lie after its dequeue, nor (with a handful of
    // buffers) seconds before it.
    if t > read_ms + 1.0 || t < read_ms - TIMESTAMP_SLACK_MS {
        return read_ms;
    }
    t
}

/// Bytes of one tightly packed raw frame.
pub fn packed_len(format: RawFormat, width: u32, height: u32) -> usize {
    let (w, h) = (width as usize, height as usize);
    match format {
        RawFormat::Yuyv => w * h * 2,
        RawFormat::Yuv420 | RawFormat::Nv12 => w * h + 2 * (w.div_ceil(2) * h.div_ceil(2)),
    }
}

/// Copies a raw frame out of its buffer, dropping line padding:
/// `stride` is the driver's bytesperline of the first plane.
pub fn pack_raw(
    format: RawFormat,
    width: u32,
    height: u32,
    stride: u32,
    data: &[u8],
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    pack_raw_into(format, width, height, stride, data, &mut out)?;
    Ok(out)
}

/// [`pack_raw`] into `out` (its old bytes replaced).
pub fn pack_raw_into(
    format: RawFormat,
    width: u32,
    height: u32,
    stride: u32,
    data: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let (w, h, stride) = (width as usize, height as usize, stride as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    // (row bytes, rows, source stride) of each plane.
    let planes: Vec<(usize, usize, usize)> = match format {
        RawFormat::Yuyv => vec![(w * 2, h, stride.max(w * 2))],
        RawFormat::Yuv420 => {
            let s = stride.max(w);
            vec![(w, h, s), (cw, ch, s / 2), (cw, ch, s / 2)]
        }
        RawFormat::Nv12 => {
            let s = stride.max(w);
            vec![(w, h, s), (cw * 2, ch, s)]
        }
    };
    // Every plane but the last is whole; the last may end after its last row.
    let last = planes.len() - 1;
    let needed: usize = planes
        .iter()
        .enumerate()
        .map(|(i, &(row, rows, s))| {
            if i == last {
                s * (rows - 1) + row
            } else {
                s * rows
            }
        })
        .sum();
    if data.len() < needed {
        return Err(format!(
            "{format} frame of {}x{} has {} bytes, needs {needed}",
            width,
            height,
            data.len()
        ));
    }
    out.clear();
    if planes.iter().all(|&(row, _, s)| row == s) {
        out.extend_from_slice(&data[..packed_len(format, width, height)]);
        return Ok(());
    }
    out.reserve(packed_len(format, width, height));
    let mut offset = 0;
    for (row, rows, s) in planes {
        for r in 0..rows {
            let start = offset + r * s;
            out.extend_from_slice(&data[start..start + row]);
        }
        offset += rows * s;
    }
    Ok(())
}

/// CLOCK_MONOTONIC now, in nanoseconds.
pub fn monotonic_ns() -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
}

/// What `open` found and was granted, for `check` and the session record.
#[derive(Debug, Clone, PartialEq)]
pub struct Negotiated {
    pub mode: CameraMode,
    pub fourcc: String,
    /// Bytes per line of the first plane.
    pub stride: u32,
    pub asked: String,
    pub offered: Vec<String>,
}

/// An open, streaming camera.
struct Open {
    // Declared first so it is dropped (STREAMOFF, unmap) before the device.
    stream: v4l::io::mmap::Stream<'static>,
    _device: Device,
    negotiated: Negotiated,
}

fn io_fix(path: &str, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!(
            "{path} does not exist: plug in the USB camera, or for the Camera Module check camera_auto_detect=1 in /boot/firmware/config.txt and run under libcamerify (README, hardware section)"
        ),
        io::ErrorKind::PermissionDenied => format!(
            "{path}: permission denied: add the user to the video group (`sudo usermod -aG video $USER`, then log in again)"
        ),
        _ if e.raw_os_error() == Some(libc::EBUSY) => {
            format!("{path} is busy: another program holds the camera (stop it, e.g. `sudo systemctl stop augenblick`)")
        }
        _ => format!("{path}: {e}"),
    }
}

fn unavailable(message: String) -> DeviceError {
    DeviceError::Unavailable {
        device: DEVICE,
        message,
    }
}

/// Opens the device, negotiates format, size and rate, and starts
/// streaming. Returns the first frame too (it proves the stream runs).
fn open(config: &CameraConfig) -> Result<(Open, Vec<u8>, v4l::buffer::Metadata), DeviceError> {
    let path = config.device.as_str();
    let device = Device::with_path(path).map_err(|e| unavailable(io_fix(path, &e)))?;
    let caps = device.query_caps().map_err(|e| {
        unavailable(format!(
            "{path} is not a V4L2 device ({e}): is camera.device right? (`v4l2-ctl --list-devices` lists the cameras)"
        ))
    })?;
    use v4l::capability::Flags;
    if !caps.capabilities.contains(Flags::VIDEO_CAPTURE)
        || !caps.capabilities.contains(Flags::STREAMING)
    {
        return Err(unavailable(format!(
            "{path} ({}, {}) is not a streaming capture device (a metadata or output node?): `v4l2-ctl --list-devices` lists the cameras",
            caps.card, caps.driver
        )));
    }
    let formats = device.enum_formats().map_err(|e| {
        unavailable(format!(
            "{path}: listing formats failed: {e} (is it a capture device?)"
        ))
    })?;
    let offered: Vec<[u8; 4]> = formats.iter().map(|f| f.fourcc.repr).collect();
    let choice =
        choose_format(&offered, &config.format).map_err(|e| unavailable(format!("{path}: {e}")))?;

    let asked = Format::new(config.width, config.height, FourCC::new(&choice.fourcc));
    let granted = device
        .set_format(&asked)
        .map_err(|e| unavailable(format!("{path}: setting the format failed: {e}")))?;
    if granted.fourcc.repr != choice.fourcc {
        return Err(unavailable(format!(
            "{path}: asked for {} but the driver granted {}",
            FourCC::new(&choice.fourcc),
            granted.fourcc
        )));
    }
    if (granted.width, granted.height) != (config.width, config.height) {
        log::warn!(
            "camera: asked for {}x{}, the driver granted {}x{}",
            config.width,
            config.height,
            granted.width,
            granted.height
        );
    }

    // Frame interval = 1/fps, in thousandths so 29.97 survives.
    let interval = Fraction::new(1000, (config.fps * 1000.0).round() as u32);
    let fps = match device.set_params(&v4l::video::capture::Parameters::new(interval)) {
        Ok(p) if p.interval.numerator > 0 && p.interval.denominator > 0 => {
            f64::from(p.interval.denominator) / f64::from(p.interval.numerator)
        }
        Ok(_) => config.fps,
        Err(e) => {
            log::warn!(
                "camera: the driver does not take a frame rate ({e}); asked for {} fps",
                config.fps
            );
            config.fps
        }
    };
    if (fps - config.fps).abs() > 0.01 {
        log::warn!(
            "camera: asked for {} fps, the driver granted {fps:.2}",
            config.fps
        );
    }

    let mut stream = v4l::io::mmap::Stream::with_buffers(&device, Type::VideoCapture, BUFFERS)
        .map_err(|e| unavailable(format!("{path}: mapping buffers failed: {e}")))?;
    stream.set_timeout(FIRST_FRAME_TIMEOUT);
    let (first, meta) = match stream.next() {
        Ok((buf, meta)) => {
            let used = (meta.bytesused as usize).min(buf.len());
            (buf[..used].to_vec(), *meta)
        }
        Err(e) => {
            return Err(unavailable(format!(
                "{path}: no frame within {} s of starting the stream: {e}",
                FIRST_FRAME_TIMEOUT.as_secs()
            )))
        }
    };
    // From here on `next_frame` polls with its own deadline first, so the
    // stream's poll inside `next` never waits long.
    stream.set_timeout(Duration::from_secs(1));

    let negotiated = Negotiated {
        mode: CameraMode {
            width: granted.width,
            height: granted.height,
            fps,
            raw: choice.raw,
        },
        fourcc: granted.fourcc.to_string(),
        stride: granted.stride,
        asked: format!(
            "{}x{} {} @ {} fps",
            config.width,
            config.height,
            FourCC::new(&choice.fourcc),
            config.fps
        ),
        offered: offered
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
    };
    log::info!(
        "camera: {path}: asked for {}, granted {}x{} {} @ {fps:.2} fps",
        negotiated.asked,
        granted.width,
        granted.height,
        negotiated.fourcc
    );
    Ok((
        Open {
            stream,
            _device: device,
            negotiated,
        },
        first,
        meta,
    ))
}

/// The V4L2 camera as a [`Camera`].
pub struct V4l2Camera {
    config: CameraConfig,
    /// CLOCK_MONOTONIC at the session's start: the session clock's zero.
    epoch_ns: i128,
    open: Option<Open>,
    /// The mode granted at the first open (reopening asks for the same).
    mode: CameraMode,
    /// The first frame, taken while opening, not yet handed out.
    pending: Option<Frame>,
    backoff_ms: f64,
    next_attempt_ms: f64,
    last_error: String,
    /// Frames handed out, and times the camera was lost.
    pub frames: u64,
    pub losses: u64,
    /// The frames' buffers, handed out again once let go.
    pool: FramePool,
}

/// Milliseconds of CLOCK_MONOTONIC since `epoch_ns` (the session clock).
fn ms_since(epoch_ns: i128) -> f64 {
    (monotonic_ns() - epoch_ns) as f64 / 1e6
}

/// Builds a frame from a buffer's bytes (in a buffer of `pool`): JPEG as it
/// is, raw packed.
fn make_frame(
    pool: &mut FramePool,
    epoch_ns: i128,
    negotiated: &Negotiated,
    bytes: &[u8],
    meta: &v4l::buffer::Metadata,
    read_ms: f64,
) -> Result<Frame, DeviceError> {
    #[allow(clippy::useless_conversion)]
    let t_ms = frame_time_ms(
        meta.flags.bits(),
        // time_t is 32 bits on ARMv6 (armhf), 64 on aarch64.
        i64::from(meta.timestamp.sec),
        i64::from(meta.timestamp.usec),
        epoch_ns,
        read_ms,
    );
    let mode = &negotiated.mode;
    let data = match mode.raw {
        None => FrameData::Jpeg(pool.fill(|v| {
            v.clear();
            v.extend_from_slice(bytes);
            Ok::<(), DeviceError>(())
        })?),
        Some(format) => FrameData::Raw {
            format,
            width: mode.width,
            height: mode.height,
            data: pool.fill(|v| {
                pack_raw_into(format, mode.width, mode.height, negotiated.stride, bytes, v).map_err(
                    |e| DeviceError::Transient {
                        device: DEVICE,
                        message: e,
                    },
                )
            })?,
        },
    };
    Ok(Frame { t_ms, data })
}

impl V4l2Camera {
    /// Opens the camera the config names. `epoch_ns` is CLOCK_MONOTONIC at
    /// the session's start, in nanoseconds.
    pub fn open(config: &CameraConfig, epoch_ns: i128) -> Result<Self, DeviceError> {
        config.validate().map_err(|e| unavailable(e.to_string()))?;
        let mut cam = V4l2Camera {
            config: config.clone(),
            epoch_ns,
            open: None,
            mode: CameraMode {
                width: config.width,
                height: config.height,
                fps: config.fps,
                raw: None,
            },
            pending: None,
            backoff_ms: BACKOFF_START_MS,
            next_attempt_ms: 0.0,
            last_error: String::new(),
            frames: 0,
            losses: 0,
            pool: FramePool::default(),
        };
        cam.reopen()?;
        Ok(cam)
    }

    /// What the driver granted at the last open.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.open.as_ref().map(|o| &o.negotiated)
    }

    fn now_ms(&self) -> f64 {
        ms_since(self.epoch_ns)
    }

    fn reopen(&mut self) -> Result<(), DeviceError> {
        let (open, first, meta) = open(&self.config)?;
        self.mode = open.negotiated.mode.clone();
        let read_ms = self.now_ms();
        let frame = make_frame(
            &mut self.pool,
            self.epoch_ns,
            &open.negotiated,
            &first,
            &meta,
            read_ms,
        )?;
        self.pending = Some(frame);
        self.open = Some(open);
        Ok(())
    }

    /// Closes the camera after a failure; the next calls reopen it with backoff.
    fn lose(&mut self, why: String) -> DeviceError {
        if let Some(open) = self.open.take() {
            // v4l's Stream panics in drop if STREAMOFF fails with anything
            // but ENODEV; a dying device must not take the process down.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(open)));
        }
        self.losses += 1;
        self.backoff_ms = BACKOFF_START_MS;
        self.next_attempt_ms = self.now_ms() + self.backoff_ms;
        log::error!("camera: lost ({why}); reopening");
        self.last_error = why.clone();
        unavailable(format!("{}: {why}; reopening", self.config.device))
    }

    fn sleep_until(&self, t_ms: f64) {
        let wait = t_ms - self.now_ms();
        if wait > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(wait / 1000.0));
        }
    }
}

impl Camera for V4l2Camera {
    fn mode(&self) -> CameraMode {
        self.mode.clone()
    }

    /// Waits until a frame arrives, up to `until_ms` but at least
    /// `MIN_WAIT_MS`; `None` if none came.
    fn next_frame(&mut self, until_ms: f64) -> Result<Option<Frame>, DeviceError> {
        if let Some(frame) = self.pending.take() {
            self.frames += 1;
            return Ok(Some(frame));
        }
        if self.open.is_none() {
            let now = self.now_ms();
            if now >= self.next_attempt_ms {
                match self.reopen() {
                    Ok(()) => {
                        log::warn!("camera: reopened (lost {} time(s) so far)", self.losses);
                        self.backoff_ms = BACKOFF_START_MS;
                        return self.next_frame(until_ms);
                    }
                    Err(e) => {
                        self.last_error = e.to_string();
                        self.next_attempt_ms = now + self.backoff_ms;
                        self.backoff_ms = (self.backoff_ms * 2.0).min(BACKOFF_MAX_MS);
                    }
                }
            }
            // Do not spin (the camera thread calls again at once): wait
            // as a frame would have, but no later than the next attempt.
            let wait_until = until_ms.max(now + MIN_WAIT_MS).min(self.next_attempt_ms);
            self.sleep_until(wait_until);
            return Err(unavailable(format!(
                "lost ({}); next try in {:.1} s",
                self.last_error,
                ((self.next_attempt_ms - self.now_ms()) / 1000.0).max(0.0)
            )));
        }
        let timeout_ms = (until_ms - self.now_ms())
            .clamp(MIN_WAIT_MS, 60_000.0)
            .ceil() as i32;
        let Some(open) = self.open.as_mut() else {
            return Ok(None);
        };
        match open.stream.handle().poll(libc::POLLIN, timeout_ms) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(None),
            Err(e) => return Err(self.lose(format!("poll failed: {e}"))),
        }
        // The frame is built straight from the driver's mapped buffer: one
        // copy, into a buffer of the pool.
        let (pool, epoch_ns) = (&mut self.pool, self.epoch_ns);
        let negotiated = &open.negotiated;
        let result = open.stream.next().map(|(buf, meta)| {
            let read_ms = ms_since(epoch_ns);
            if meta.flags.bits() & 0x40 != 0 {
                // V4L2_BUF_FLAG_ERROR: the driver says the data is bad.
                return Err(DeviceError::Transient {
                    device: DEVICE,
                    message: "the driver flagged a corrupt frame".into(),
                });
            }
            let used = (meta.bytesused as usize).min(buf.len());
            make_frame(pool, epoch_ns, negotiated, &buf[..used], meta, read_ms)
        });
        match result {
            Ok(frame) => {
                let frame = frame?;
                self.frames += 1;
                Ok(Some(frame))
            }
            Err(e) => Err(self.lose(format!("capture failed: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_prefers_mjpeg_then_yuyv_yu12_nv12() {
        let c = choose_format(&[*b"YUYV", *b"MJPG", *b"NV12"], "auto").unwrap();
        assert_eq!(c.raw, None);
        assert_eq!(&c.fourcc, b"MJPG");
        let c = choose_format(&[*b"NV12", *b"RGB3", *b"YU12"], "auto").unwrap();
        assert_eq!(c.raw, Some(RawFormat::Yuv420));
        let c = choose_format(&[*b"NV12"], "auto").unwrap();
        assert_eq!(c.raw, Some(RawFormat::Nv12));
    }

    #[test]
    fn a_forced_format_fails_with_the_fix() {
        let e = choose_format(&[*b"YUYV"], "mjpeg").unwrap_err();
        assert!(e.contains("camera.format = \"auto\""), "{e}");
        let c = choose_format(&[*b"MJPG", *b"YUYV"], "raw").unwrap();
        assert_eq!(c.raw, Some(RawFormat::Yuyv));
        let e = choose_format(&[*b"RGB3"], "auto").unwrap_err();
        assert!(e.contains("RGB3") && e.contains("libcamerify"), "{e}");
    }

    #[test]
    fn monotonic_timestamps_map_onto_the_session_clock() {
        let epoch = 5_000_000_000i128; // session started at 5 s
        let t = frame_time_ms(0x2000, 6, 250_000, epoch, 1260.0);
        assert!((t - 1250.0).abs() < 1e-9, "{t}");
    }

    #[test]
    fn other_timestamps_fall_back_to_read_time() {
        let epoch = 5_000_000_000i128;
        // Unknown and copied timestamps.
        assert_eq!(frame_time_ms(0x0000, 6, 0, epoch, 1003.0), 1003.0);
        assert_eq!(frame_time_ms(0x4000, 6, 0, epoch, 1003.0), 1003.0);
        // Monotonic but after the dequeue, or far before it.
        assert_eq!(frame_time_ms(0x2000, 7, 0, epoch, 1003.0), 1003.0);
        assert_eq!(frame_time_ms(0x2000, 1, 0, epoch, 1003.0), 1003.0);
    }

    #[test]
    fn packed_frames_are_copied_as_they_are() {
        let data: Vec<u8> = (0..4 * 2 * 2).map(|i| i as u8).collect();
        assert_eq!(pack_raw(RawFormat::Yuyv, 4, 2, 8, &data).unwrap(), data);
        let yu12: Vec<u8> = (0..(16 + 4 + 4)).map(|i| i as u8).collect();
        assert_eq!(pack_raw(RawFormat::Yuv420, 4, 4, 4, &yu12).unwrap(), yu12);
    }

    #[test]
    fn padded_lines_are_packed() {
        // NV12 2x2 with stride 4: Y rows [1,2,_,_][3,4,_,_], UV row [5,6,_,_].
        let data = [1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0, 0];
        assert_eq!(
            pack_raw(RawFormat::Nv12, 2, 2, 4, &data).unwrap(),
            vec![1, 2, 3, 4, 5, 6]
        );
        // YU12 2x2 with stride 4: chroma planes have stride 2.
        let data = [1, 2, 0, 0, 3, 4, 0, 0, 5, 0, 6, 0];
        assert_eq!(
            pack_raw(RawFormat::Yuv420, 2, 2, 4, &data).unwrap(),
            vec![1, 2, 3, 4, 5, 6]
        );
        // YUYV 2x2 with stride 6.
        let data = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0];
        assert_eq!(
            pack_raw(RawFormat::Yuyv, 2, 2, 6, &data).unwrap(),
            vec![1, 2, 3, 4, 5, 6, 7, 8]
        );
    }

    #[test]
    fn short_buffers_are_an_error_not_a_panic() {
        assert!(pack_raw(RawFormat::Yuyv, 640, 480, 1280, &[0; 100]).is_err());
        assert!(pack_raw(RawFormat::Nv12, 640, 480, 640, &[0; 640 * 480]).is_err());
        assert_eq!(packed_len(RawFormat::Nv12, 640, 480), 640 * 480 * 3 / 2);
    }
}

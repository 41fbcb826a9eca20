//! `augenblick check`: tests each part of the hardware and names the fix.
//!
//! One [`CheckLine`] per part: the I2C bus, the ADC on it, the button, the
//! LED, the camera, the battery's low warning, free space for sessions, and
//! the groups the user needs.
//! Each check opens its device the same way `augenblick run` does, so a pass
//! here means the appliance will find it too.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::PowerConfig;
use crate::devices::config::{AdcConfig, CameraConfig, GpioConfig};
use crate::devices::power::{self, WarningKind};

/// The parts `check` can test, in the order it tests them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Part {
    /// The I2C bus: /dev/i2c-N exists and opens.
    I2c,
    /// The ADS1115 answers at its address with a plausible reading.
    Adc,
    /// The button's pin reads (and its state).
    Button,
    /// The LED blinks three times.
    Led,
    /// The camera: formats, sizes, the granted mode and one test frame.
    Camera,
    /// The battery's low warning: the Pi's under-voltage alarm, the pin.
    Power,
    /// Free space in the sessions folder, and that it is writable.
    Disk,
    /// The user is in the gpio, i2c and video groups.
    Groups,
}

impl Part {
    pub const ALL: [Part; 8] = [
        Part::I2c,
        Part::Adc,
        Part::Button,
        Part::Led,
        Part::Camera,
        Part::Power,
        Part::Disk,
        Part::Groups,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Part::I2c => "i2c",
            Part::Adc => "adc",
            Part::Button => "button",
            Part::Led => "led",
            Part::Camera => "camera",
            Part::Power => "power",
            Part::Disk => "disk",
            Part::Groups => "groups",
        }
    }
}

/// The result of one check: what was found, and the fix when it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckLine {
    pub part: Part,
    pub ok: bool,
    pub detail: String,
}

impl CheckLine {
    fn ok(part: Part, detail: impl Into<String>) -> Self {
        CheckLine {
            part,
            ok: true,
            detail: detail.into(),
        }
    }

    fn fail(part: Part, detail: impl Into<String>) -> Self {
        CheckLine {
            part,
            ok: false,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for CheckLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "{verdict} {:<7}{}", self.part.name(), self.detail)
    }
}

/// What the checks need to know.
#[derive(Debug, Clone)]
pub struct CheckSetup {
    pub adc: AdcConfig,
    pub gpio: GpioConfig,
    pub camera: CameraConfig,
    pub power: PowerConfig,
    pub sessions_dir: PathBuf,
    /// Free space below which the disk check fails.
    pub min_free_bytes: u64,
}

/// Runs the chosen checks in order.
pub fn run_checks(setup: &CheckSetup, parts: &[Part]) -> Vec<CheckLine> {
    let mut parts = parts.to_vec();
    parts.sort();
    parts.dedup();
    parts
        .into_iter()
        .map(|part| match part {
            Part::I2c => check_i2c(setup.adc.bus),
            Part::Adc => check_adc(&setup.adc),
            Part::Button => check_button(&setup.gpio),
            Part::Led => check_led(&setup.gpio),
            Part::Camera => check_camera(&setup.camera),
            Part::Power => check_power(&setup.power, Path::new("/sys/class/hwmon")),
            Part::Disk => check_disk(&setup.sessions_dir, setup.min_free_bytes),
            Part::Groups => check_groups(&["gpio", "i2c", "video"]),
        })
        .collect()
}

/// `/dev/i2c-N` exists and opens for reading and writing.
pub fn check_i2c(bus: u8) -> CheckLine {
    let path = format!("/dev/i2c-{bus}");
    match std::fs::OpenOptions::new().read(true).write(true).open(&path) {
        Ok(_) => CheckLine::ok(Part::I2c, format!("{path} opens")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => CheckLine::fail(
            Part::I2c,
            format!("{path} does not exist: enable I2C with dtparam=i2c_arm=on in /boot/firmware/config.txt and load i2c-dev (scripts/install does both), then reboot"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => CheckLine::fail(
            Part::I2c,
            format!("{path}: permission denied: add the user to the i2c group (`sudo usermod -aG i2c $USER`, then log in again)"),
        ),
        Err(e) => CheckLine::fail(Part::I2c, format!("{path}: {e}")),
    }
}

/// Judges a few raw readings of a single-ended input: a railed or negative
/// signal means a wiring fault, not a muscle.
pub fn judge_adc_readings(readings: &[i32], full_scale_v: f64) -> Result<String, String> {
    let (Some(&min), Some(&max)) = (readings.iter().min(), readings.iter().max()) else {
        return Err("no readings".into());
    };
    let v = |c: i32| f64::from(c) * full_scale_v / 32768.0;
    let summary = format!(
        "{} readings, {:.3} V .. {:.3} V",
        readings.len(),
        v(min),
        v(max)
    );
    if min >= 32767 {
        return Err(format!(
            "{summary}: railed at full scale: the input is floating or above {full_scale_v} V; check the MyoWare SIG wire to the configured input and adc.full_scale_v"
        ));
    }
    // Single-ended inputs cannot go below GND by more than noise.
    if max < -200 {
        return Err(format!(
            "{summary}: negative: the input is below GND; is the sensor's GND joined to the ADS1115's GND?"
        ));
    }
    if min == max {
        return Ok(format!(
            "{summary} (flat: fine at rest; if it never moves, check the MyoWare's power)"
        ));
    }
    Ok(summary)
}

#[cfg(feature = "hw")]
fn check_adc(config: &AdcConfig) -> CheckLine {
    use crate::devices::config::AdcTransport;
    use crate::devices::hw::adc::{open_bus, Ads1115Emg};
    use crate::devices::hw::smbus::SmbusI2c;
    use crate::devices::EmgSource;

    let bus = match open_bus(config.bus) {
        Ok(b) => b,
        Err(e) => return CheckLine::fail(Part::Adc, e.to_string()),
    };
    let mut adc: Box<dyn EmgSource> = match config.transport {
        AdcTransport::I2c => match Ads1115Emg::new(bus, config) {
            Ok(a) => Box::new(a),
            Err(e) => return CheckLine::fail(Part::Adc, e.to_string()),
        },
        AdcTransport::Smbus => match Ads1115Emg::new(SmbusI2c::new(bus), config) {
            Ok(a) => Box::new(a),
            Err(e) => return CheckLine::fail(Part::Adc, e.to_string()),
        },
    };
    // Give the first continuous conversion time to land (1/DR + margin).
    let period = std::time::Duration::from_secs_f64(1.0 / f64::from(config.data_rate_sps));
    std::thread::sleep(period * 2);
    let mut readings = Vec::new();
    for i in 0..10 {
        match adc.read(f64::from(i)) {
            Ok(v) => readings.push(v),
            Err(e) => return CheckLine::fail(Part::Adc, e.to_string()),
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let at = format!(
        "ADS1115 at {:#04x} on /dev/i2c-{} ({:?}), A{}: ",
        config.address, config.bus, config.transport, config.channel
    );
    match judge_adc_readings(&readings, config.full_scale_v) {
        Ok(s) => CheckLine::ok(Part::Adc, at + &s),
        Err(s) => CheckLine::fail(Part::Adc, at + &s),
    }
}

#[cfg(feature = "hw")]
fn check_button(config: &GpioConfig) -> CheckLine {
    use crate::devices::hw::gpio::{open_gpio, GpioButton};
    use crate::devices::Button;
    let result = open_gpio()
        .and_then(|gpio| GpioButton::open(&gpio, config.button_pin))
        .and_then(|mut b| b.is_pressed(0.0));
    match result {
        Ok(pressed) => CheckLine::ok(
            Part::Button,
            format!(
                "BCM {} (pin {}): {}",
                config.button_pin,
                physical_pin(config.button_pin),
                if pressed {
                    "pressed (if you are not pressing it, it is wired to GND for good: check the wiring)"
                } else {
                    "released (press it while running `augenblick check --only button` to see it change)"
                }
            ),
        ),
        Err(e) => CheckLine::fail(Part::Button, e.to_string()),
    }
}

#[cfg(feature = "hw")]
fn check_led(config: &GpioConfig) -> CheckLine {
    use crate::devices::hw::gpio::{open_gpio, GpioLed};
    use crate::devices::Led;
    let result = open_gpio()
        .and_then(|gpio| GpioLed::open(&gpio, config.led_pin))
        .and_then(|mut led| {
            for _ in 0..3 {
                led.set(true, 0.0)?;
                std::thread::sleep(std::time::Duration::from_millis(250));
                led.set(false, 0.0)?;
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            Ok(())
        });
    match result {
        Ok(()) => CheckLine::ok(
            Part::Led,
            format!(
                "BCM {} (pin {}) blinked 3 times; if it stayed dark, check its polarity and the 330 ohm resistor",
                config.led_pin,
                physical_pin(config.led_pin)
            ),
        ),
        Err(e) => CheckLine::fail(Part::Led, e.to_string()),
    }
}

#[cfg(feature = "hw")]
fn check_camera(config: &CameraConfig) -> CheckLine {
    use crate::devices::hw::camera::{monotonic_ns, V4l2Camera};
    use crate::devices::{Camera, FrameData};
    let epoch = monotonic_ns();
    let mut cam = match V4l2Camera::open(config, epoch) {
        Ok(c) => c,
        Err(e) => return CheckLine::fail(Part::Camera, e.to_string()),
    };
    let negotiated = cam.negotiated().cloned();
    let sizes = camera_sizes(config);
    let frame = match cam.next_frame(2000.0) {
        Ok(Some(f)) => f,
        Ok(None) => return CheckLine::fail(Part::Camera, "no test frame within 2 s"),
        Err(e) => return CheckLine::fail(Part::Camera, e.to_string()),
    };
    let decoded = match &frame.data {
        FrameData::Jpeg(bytes) => {
            image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
                .map(|img| format!("JPEG {}x{} decodes", img.width(), img.height()))
                .map_err(|e| format!("the test frame is not a decodable JPEG: {e}"))
        }
        FrameData::Raw {
            format,
            width,
            height,
            data,
        } => {
            let want = crate::devices::hw::camera::packed_len(*format, *width, *height);
            if data.len() == want {
                Ok(format!("{format} {width}x{height}, {} bytes", data.len()))
            } else {
                Err(format!(
                    "{format} frame has {} bytes, expected {want}",
                    data.len()
                ))
            }
        }
        FrameData::Synthetic { .. } => Err("a simulated frame from a real camera".into()),
    };
    let Some(n) = negotiated else {
        return CheckLine::fail(Part::Camera, "closed right after opening");
    };
    let head = format!(
        "{}: offers {}{}; asked {}, granted {}x{} {} @ {:.2} fps",
        config.device,
        n.offered.join(" "),
        sizes,
        n.asked,
        n.mode.width,
        n.mode.height,
        n.fourcc,
        n.mode.fps
    );
    match decoded {
        Ok(d) => CheckLine::ok(
            Part::Camera,
            format!("{head}; test frame at {:.0} ms: {d}", frame.t_ms),
        ),
        Err(d) => CheckLine::fail(Part::Camera, format!("{head}; {d}")),
    }
}

/// The sizes the camera lists for its preferred format, briefly.
#[cfg(feature = "hw")]
fn camera_sizes(config: &CameraConfig) -> String {
    use v4l::video::Capture;
    let Ok(dev) = v4l::Device::with_path(&config.device) else {
        return String::new();
    };
    let Ok(formats) = dev.enum_formats() else {
        return String::new();
    };
    let offered: Vec<[u8; 4]> = formats.iter().map(|f| f.fourcc.repr).collect();
    let Ok(choice) = crate::devices::hw::camera::choose_format(&offered, &config.format) else {
        return String::new();
    };
    let Ok(sizes) = dev.enum_framesizes(v4l::FourCC::new(&choice.fourcc)) else {
        return String::new();
    };
    let mut list: Vec<String> = Vec::new();
    for s in sizes {
        match s.size {
            v4l::framesize::FrameSizeEnum::Discrete(d) => {
                list.push(format!("{}x{}", d.width, d.height))
            }
            v4l::framesize::FrameSizeEnum::Stepwise(st) => list.push(format!(
                "{}x{}..{}x{}",
                st.min_width, st.min_height, st.max_width, st.max_height
            )),
        }
    }
    if list.len() > 8 {
        let more = list.len() - 8;
        list.truncate(8);
        list.push(format!("+{more}"));
    }
    format!(
        " ({} sizes: {})",
        String::from_utf8_lossy(&choice.fourcc),
        list.join(" ")
    )
}

#[cfg(not(feature = "hw"))]
fn no_hw(part: Part) -> CheckLine {
    CheckLine::fail(
        part,
        "this build has no device support: build with `--features hw` (on by default)",
    )
}

#[cfg(not(feature = "hw"))]
fn check_adc(_: &AdcConfig) -> CheckLine {
    no_hw(Part::Adc)
}

#[cfg(not(feature = "hw"))]
fn check_button(_: &GpioConfig) -> CheckLine {
    no_hw(Part::Button)
}

#[cfg(not(feature = "hw"))]
fn check_led(_: &GpioConfig) -> CheckLine {
    no_hw(Part::Led)
}

#[cfg(not(feature = "hw"))]
fn check_camera(_: &CameraConfig) -> CheckLine {
    no_hw(Part::Camera)
}

/// The battery's warnings, as `run` finds them
/// ([`power::configured`]): the under-voltage alarm under `hwmon_dir`
/// (`/sys/class/hwmon`) and the low-battery pin. Fails if a warning is on
/// now, or a configured one cannot be read.
pub fn check_power(config: &PowerConfig, hwmon_dir: &Path) -> CheckLine {
    let warnings = match power::configured(config, hwmon_dir, Some(&open_low_battery)) {
        Ok(w) => w,
        Err(e) => return CheckLine::fail(Part::Power, e.to_string()),
    };
    let mut found = Vec::new();
    let mut low = Vec::new();
    if config.undervoltage && !warnings.iter().any(|w| w.kind == WarningKind::UnderVoltage) {
        found.push(format!(
            "no under-voltage alarm (no hwmon `rpi_volt` under {}: not a Pi, or its driver is not loaded)",
            hwmon_dir.display()
        ));
    }
    for mut w in warnings {
        match w.power.is_low(0.0) {
            Ok(false) => found.push(format!("{}: clear", w.what)),
            Ok(true) => low.push(format!(
                "{}: ON ({})",
                w.what,
                match w.kind {
                    WarningKind::UnderVoltage => "the 5 V supply dipped below about 4.63 V in the last 2 s: a flat battery, a weak supply or a thin cable",
                    WarningKind::LowBatteryPin => "charge the battery; if it is full, check the wiring and power.low_battery_active_low",
                }
            )),
            Err(e) => return CheckLine::fail(Part::Power, e.to_string()),
        }
    }
    if found.is_empty() && low.is_empty() {
        return CheckLine::ok(
            Part::Power,
            "no battery warning configured ([power] undervoltage = false, no low_battery_pin)",
        );
    }
    if low.is_empty() {
        CheckLine::ok(Part::Power, found.join("; "))
    } else {
        CheckLine::fail(
            Part::Power,
            low.into_iter().chain(found).collect::<Vec<_>>().join("; "),
        )
    }
}

#[cfg(feature = "hw")]
use crate::devices::hw::gpio::open_low_battery;

#[cfg(not(feature = "hw"))]
fn open_low_battery(
    _: u8,
    _: bool,
) -> Result<Box<dyn crate::devices::Power>, crate::devices::DeviceError> {
    Err(crate::devices::DeviceError::Unavailable {
        device: "power",
        message: "this build has no device support for the low-battery pin: build with `--features hw` (on by default)".into(),
    })
}

/// Physical header pin of a BCM GPIO on the 40-pin header (0 if none).
pub fn physical_pin(bcm: u8) -> u8 {
    const PINS: [(u8, u8); 26] = [
        (2, 3),
        (3, 5),
        (4, 7),
        (17, 11),
        (27, 13),
        (22, 15),
        (10, 19),
        (9, 21),
        (11, 23),
        (0, 27),
        (5, 29),
        (6, 31),
        (13, 33),
        (19, 35),
        (26, 37),
        (14, 8),
        (15, 10),
        (18, 12),
        (23, 16),
        (24, 18),
        (25, 22),
        (8, 24),
        (7, 26),
        (1, 28),
        (12, 32),
        (16, 36),
    ];
    const REST: [(u8, u8); 2] = [(20, 38), (21, 40)];
    PINS.iter()
        .chain(REST.iter())
        .find(|(b, _)| *b == bcm)
        .map(|(_, p)| *p)
        .unwrap_or(0)
}

/// Free space at `dir` (or its nearest existing ancestor), and whether a
/// file can be written there.
pub fn check_disk(dir: &Path, min_free_bytes: u64) -> CheckLine {
    let mut probe = dir.to_path_buf();
    while !probe.exists() {
        if !probe.pop() {
            return CheckLine::fail(Part::Disk, format!("{}: no such folder", dir.display()));
        }
    }
    let free = match free_bytes(&probe) {
        Ok(f) => f,
        Err(e) => return CheckLine::fail(Part::Disk, format!("{}: {e}", probe.display())),
    };
    let gib = free as f64 / (1u64 << 30) as f64;
    if free < min_free_bytes {
        return CheckLine::fail(
            Part::Disk,
            format!(
                "{}: only {gib:.2} GiB free (needs {:.2}): delete old sessions or use a larger SD card",
                dir.display(),
                min_free_bytes as f64 / (1u64 << 30) as f64
            ),
        );
    }
    if probe == dir {
        let test = dir.join(format!(".augenblick-check-{}", std::process::id()));
        let written = std::fs::write(&test, b"check");
        let _ = std::fs::remove_file(&test);
        if let Err(e) = written {
            return CheckLine::fail(
                Part::Disk,
                format!(
                    "{}: not writable ({e}): the service's user must own it (scripts/install sets /var/lib/augenblick/sessions up)",
                    dir.display()
                ),
            );
        }
        CheckLine::ok(
            Part::Disk,
            format!("{}: {gib:.2} GiB free, writable", dir.display()),
        )
    } else {
        CheckLine::ok(
            Part::Disk,
            format!(
                "{}: {gib:.2} GiB free (the folder is created at the first session)",
                dir.display()
            ),
        )
    }
}

fn free_bytes(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("path holds a NUL byte"))?;
    // SAFETY: statvfs fills the struct we own from a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

/// The group ids of this process.
fn my_groups() -> Vec<libc::gid_t> {
    // SAFETY: getgroups with a buffer of the size it reported.
    unsafe {
        let n = libc::getgroups(0, std::ptr::null_mut());
        if n < 0 {
            return vec![libc::getegid()];
        }
        let mut gids = vec![0 as libc::gid_t; n as usize];
        let n = libc::getgroups(n, gids.as_mut_ptr());
        gids.truncate(n.max(0) as usize);
        gids.push(libc::getegid());
        gids
    }
}

fn group_id(name: &str) -> Option<libc::gid_t> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam returns a pointer into static storage or NULL; we
    // read one field at once.
    unsafe {
        let g = libc::getgrnam(c.as_ptr());
        (!g.is_null()).then(|| (*g).gr_gid)
    }
}

/// Whether this user is in each group the devices need.
pub fn check_groups(needed: &[&str]) -> CheckLine {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return CheckLine::ok(
            Part::Groups,
            "running as root: every device opens (the service runs as `augenblick` with gpio, i2c, video)",
        );
    }
    let mine = my_groups();
    let mut missing = Vec::new();
    let mut absent = Vec::new();
    for name in needed {
        match group_id(name) {
            Some(gid) if mine.contains(&gid) => {}
            Some(_) => missing.push(*name),
            None => absent.push(*name),
        }
    }
    if missing.is_empty() && absent.is_empty() {
        return CheckLine::ok(Part::Groups, format!("in {}", needed.join(", ")));
    }
    let mut fixes = Vec::new();
    if !missing.is_empty() {
        fixes.push(format!(
            "not in {}: `sudo usermod -aG {} $USER`, then log in again",
            missing.join(", "),
            missing.join(",")
        ));
    }
    if !absent.is_empty() {
        fixes.push(format!(
            "no group {} on this system: run scripts/install (its sysusers entry creates them)",
            absent.join(", ")
        ));
    }
    CheckLine::fail(Part::Groups, fixes.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_readings_pass_and_wiring_faults_fail() {
        assert!(judge_adc_readings(&[1200, 1300, 2400], 4.096).is_ok());
        let flat = judge_adc_readings(&[0, 0, 0], 4.096).unwrap();
        assert!(flat.contains("flat"), "{flat}");
        let railed = judge_adc_readings(&[32767, 32767], 4.096).unwrap_err();
        assert!(railed.contains("floating"), "{railed}");
        let negative = judge_adc_readings(&[-5000, -4000], 4.096).unwrap_err();
        assert!(negative.contains("GND"), "{negative}");
        assert!(judge_adc_readings(&[], 4.096).is_err());
    }

    #[test]
    fn physical_pins_of_the_defaults() {
        assert_eq!(physical_pin(17), 11);
        assert_eq!(physical_pin(27), 13);
        assert_eq!(physical_pin(2), 3);
        assert_eq!(physical_pin(3), 5);
        assert_eq!(physical_pin(21), 40);
        assert_eq!(physical_pin(99), 0);
    }

    #[test]
    fn a_missing_bus_names_the_boot_config_line() {
        let line = check_i2c(250);
        assert!(!line.ok);
        assert!(
            line.detail.contains("dtparam=i2c_arm=on"),
            "{}",
            line.detail
        );
        assert!(line.to_string().starts_with("FAIL i2c"));
    }

    #[test]
    fn disk_check_writes_and_measures() {
        let dir = tempfile::tempdir().unwrap();
        let line = check_disk(dir.path(), 1);
        assert!(line.ok, "{line}");
        assert!(line.detail.contains("writable"));
        let line = check_disk(dir.path(), u64::MAX);
        assert!(!line.ok && line.detail.contains("free"), "{line}");
        let line = check_disk(&dir.path().join("not/yet"), 1);
        assert!(line.ok && line.detail.contains("created"), "{line}");
    }

    #[test]
    fn groups_that_do_not_exist_are_named() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            assert!(
                check_groups(&["no-such-group-xyz"]).ok,
                "root needs no groups"
            );
        } else {
            let line = check_groups(&["no-such-group-xyz"]);
            assert!(!line.ok && line.detail.contains("no-such-group-xyz"));
        }
    }

    #[test]
    fn the_power_check_reads_the_alarm_and_fails_while_it_is_on() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = PowerConfig::default();
        let line = check_power(&cfg, dir.path());
        assert!(
            line.ok && line.detail.contains("no under-voltage alarm"),
            "{line}"
        );
        let hwmon = dir.path().join("hwmon3");
        std::fs::create_dir_all(&hwmon).unwrap();
        std::fs::write(hwmon.join("name"), "rpi_volt\n").unwrap();
        std::fs::write(hwmon.join("in0_lcrit_alarm"), "0\n").unwrap();
        let line = check_power(&cfg, dir.path());
        assert!(line.ok && line.detail.contains("clear"), "{line}");
        std::fs::write(hwmon.join("in0_lcrit_alarm"), "1\n").unwrap();
        let line = check_power(&cfg, dir.path());
        assert!(!line.ok && line.detail.contains("ON"), "{line}");
        let off = PowerConfig {
            undervoltage: false,
            ..cfg
        };
        assert!(check_power(&off, dir.path())
            .detail
            .contains("no battery warning"));
    }

    #[test]
    fn checks_run_once_each_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let setup = CheckSetup {
            adc: AdcConfig {
                bus: 250,
                ..AdcConfig::default()
            },
            gpio: GpioConfig::default(),
            camera: CameraConfig::default(),
            power: PowerConfig::default(),
            sessions_dir: dir.path().to_path_buf(),
            min_free_bytes: 1,
        };
        let lines = run_checks(&setup, &[Part::Disk, Part::I2c, Part::Disk]);
        let parts: Vec<Part> = lines.iter().map(|l| l.part).collect();
        assert_eq!(parts, vec![Part::I2c, Part::Disk]);
    }
}

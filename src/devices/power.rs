//! Where the low-battery warning comes from.
//!
//! A Pi Zero on a battery has no fuel gauge of its own. Two warnings are
//! common, and the appliance takes either (see [`AnyLow`]):
//!
//! - **The Pi's under-voltage alarm** ([`HwmonAlarm`]): the kernel's
//!   `raspberrypi-hwmon` driver asks the firmware every 2 s whether the 5 V
//!   supply dipped below about 4.63 V since it last asked, and shows the
//!   answer as `in0_lcrit_alarm` of the hwmon device named `rpi_volt`
//!   (Documentation/hwmon/raspberrypi-hwmon.rst). A battery pack's boost
//!   converter holds 5 V until its cell is nearly empty, then sags: this is
//!   the last warning before the Pi browns out.
//! - **A charger's low-battery pin** (Adafruit PowerBoost's `LBO`, a LiPo
//!   SHIM's, ...): a GPIO input, low while the cell is below about 3.2 V
//!   (in `hw::gpio`, needs a Pi).
//!
//! Neither is read on the sampling path: the appliance polls the warning
//! from its main loop every `power.poll_ms`.

use std::path::{Path, PathBuf};

use super::{DeviceError, Power};
use crate::config::PowerConfig;

/// No warning to read (a mains supply, or none configured): never low.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPower;

impl Power for NoPower {
    fn is_low(&mut self, _t_ms: f64) -> Result<bool, DeviceError> {
        Ok(false)
    }
}

/// Where the kernel lists its hwmon devices.
pub const HWMON_CLASS: &str = "/sys/class/hwmon";

/// The Pi's under-voltage alarm: `in0_lcrit_alarm` of the hwmon device
/// named `rpi_volt`.
#[derive(Debug, Clone)]
pub struct HwmonAlarm {
    alarm: PathBuf,
}

impl HwmonAlarm {
    /// The hwmon device's name.
    pub const NAME: &'static str = "rpi_volt";
    /// The alarm's file in the device's folder.
    pub const FILE: &'static str = "in0_lcrit_alarm";

    /// Finds the alarm under `class_dir` (`/sys/class/hwmon` on a Pi; a
    /// test hands in its own tree). None if no hwmon device is `rpi_volt`
    /// (not a Pi, or the driver is not loaded).
    pub fn find_in(class_dir: &Path) -> Option<Self> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(class_dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        // hwmon0, hwmon1, ...: the same one every time if there were two.
        dirs.sort();
        dirs.into_iter()
            .find(|d| {
                std::fs::read_to_string(d.join("name")).is_ok_and(|n| n.trim() == Self::NAME)
                    && d.join(Self::FILE).is_file()
            })
            .map(|d| HwmonAlarm {
                alarm: d.join(Self::FILE),
            })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.alarm
    }
}

impl Power for HwmonAlarm {
    fn is_low(&mut self, _t_ms: f64) -> Result<bool, DeviceError> {
        let text = std::fs::read_to_string(&self.alarm).map_err(|e| DeviceError::Transient {
            device: "power",
            message: format!("{}: {e}", self.alarm.display()),
        })?;
        match text.trim() {
            "0" => Ok(false),
            "1" => Ok(true),
            other => Err(DeviceError::Transient {
                device: "power",
                message: format!("{}: `{other}` is not 0 or 1", self.alarm.display()),
            }),
        }
    }
}

/// Which kind a configured warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    UnderVoltage,
    LowBatteryPin,
}

/// One warning the config names, with what it is (for `session.toml` and
/// `check`).
pub struct Warning {
    pub kind: WarningKind,
    pub what: String,
    pub power: Box<dyn Power>,
}

/// Opens a charger's low-battery pin: `(bcm, active_low)`.
pub type PinOpener<'a> = &'a dyn Fn(u8, bool) -> Result<Box<dyn Power>, DeviceError>;

/// The warnings `config` names, as `run` and `check` both find them: the
/// Pi's under-voltage alarm under `hwmon_dir` (`/sys/class/hwmon`) if
/// `undervoltage` is on and the alarm is there, and the low-battery pin if
/// one is set, opened by `open_pin` (None: no GPIO, no pin).
pub fn configured(
    config: &PowerConfig,
    hwmon_dir: &Path,
    open_pin: Option<PinOpener>,
) -> Result<Vec<Warning>, DeviceError> {
    let mut out = Vec::new();
    if config.undervoltage {
        if let Some(alarm) = HwmonAlarm::find_in(hwmon_dir) {
            out.push(Warning {
                kind: WarningKind::UnderVoltage,
                what: format!("under-voltage alarm {}", alarm.path().display()),
                power: Box::new(alarm),
            });
        }
    }
    if let (Some(pin), Some(open)) = (config.pin(), open_pin) {
        let active_low = config.low_battery_active_low;
        out.push(Warning {
            kind: WarningKind::LowBatteryPin,
            what: format!(
                "low-battery pin BCM {pin} (pin {}, active {})",
                crate::check::physical_pin(pin),
                if active_low { "low" } else { "high" }
            ),
            power: open(pin, active_low)?,
        });
    }
    Ok(out)
}

/// Low when any of its warnings is; an error from one counts as "not low"
/// from it if another could be read, and is passed on only if none could.
pub struct AnyLow(pub Vec<Box<dyn Power>>);

impl Power for AnyLow {
    fn is_low(&mut self, t_ms: f64) -> Result<bool, DeviceError> {
        let mut error = None;
        let mut read = false;
        for p in &mut self.0 {
            match p.is_low(t_ms) {
                Ok(true) => return Ok(true),
                Ok(false) => read = true,
                Err(e) => error = Some(e),
            }
        }
        match error {
            Some(e) if !read => Err(e),
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sysfs-like hwmon class folder: (folder, name, alarm file contents).
    fn tree(devices: &[(&str, &str, Option<&str>)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (folder, name, alarm) in devices {
            let d = dir.path().join(folder);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("name"), format!("{name}\n")).unwrap();
            if let Some(a) = alarm {
                std::fs::write(d.join(HwmonAlarm::FILE), a).unwrap();
            }
        }
        dir
    }

    #[test]
    fn finds_the_pis_voltage_alarm_among_other_hwmon_devices() {
        let dir = tree(&[
            ("hwmon0", "cpu_thermal", None),
            ("hwmon1", "rpi_volt", Some("0\n")),
        ]);
        let mut alarm = HwmonAlarm::find_in(dir.path()).expect("found");
        assert_eq!(alarm.path(), dir.path().join("hwmon1/in0_lcrit_alarm"));
        assert!(!alarm.is_low(0.0).unwrap());
        std::fs::write(alarm.path(), "1\n").unwrap();
        assert!(alarm.is_low(0.0).unwrap());
    }

    #[test]
    fn no_alarm_where_no_device_is_rpi_volt() {
        let dir = tree(&[
            ("hwmon0", "cpu_thermal", None),
            ("hwmon1", "rpi_volt", None),
        ]);
        assert!(HwmonAlarm::find_in(dir.path()).is_none());
        assert!(HwmonAlarm::find_in(&dir.path().join("missing")).is_none());
    }

    #[test]
    fn an_unreadable_alarm_is_an_error_not_a_verdict() {
        let dir = tree(&[("hwmon0", "rpi_volt", Some("0\n"))]);
        let mut alarm = HwmonAlarm::find_in(dir.path()).unwrap();
        std::fs::write(alarm.path(), "banana").unwrap();
        let err = alarm.is_low(0.0).unwrap_err().to_string();
        assert!(err.contains("banana"), "{err}");
        std::fs::remove_file(alarm.path()).unwrap();
        assert!(alarm.is_low(0.0).is_err());
    }

    /// A warning that reads as scripted.
    struct Fixed(Result<bool, ()>);

    impl Power for Fixed {
        fn is_low(&mut self, _t_ms: f64) -> Result<bool, DeviceError> {
            self.0.map_err(|()| DeviceError::Transient {
                device: "power",
                message: "unreadable".into(),
            })
        }
    }

    #[test]
    fn the_configured_warnings_are_the_alarm_found_and_the_pin_opened() {
        let dir = tree(&[("hwmon1", "rpi_volt", Some("1\n"))]);
        let opener = |_: u8, _: bool| -> Result<Box<dyn Power>, DeviceError> {
            Ok(Box::new(Fixed(Ok(false))))
        };
        let cfg = PowerConfig {
            low_battery_pin: 22,
            ..PowerConfig::default()
        };
        let all = configured(&cfg, dir.path(), Some(&opener)).unwrap();
        let kinds: Vec<WarningKind> = all.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            [WarningKind::UnderVoltage, WarningKind::LowBatteryPin]
        );
        assert_eq!(all[1].what, "low-battery pin BCM 22 (pin 15, active low)");
        let mut any = AnyLow(all.into_iter().map(|w| w.power).collect());
        assert!(any.is_low(0.0).unwrap());
        // No GPIO: no pin; the alarm off: nothing.
        assert_eq!(configured(&cfg, dir.path(), None).unwrap().len(), 1);
        let off = PowerConfig {
            undervoltage: false,
            ..cfg
        };
        assert!(configured(&off, dir.path(), None).unwrap().is_empty());
    }

    #[test]
    fn any_low_is_low_if_one_is_and_fails_only_if_none_reads() {
        let any = |v: Vec<Result<bool, ()>>| {
            AnyLow(
                v.into_iter()
                    .map(|r| Box::new(Fixed(r)) as Box<dyn Power>)
                    .collect(),
            )
            .is_low(0.0)
            .map_err(|_| ())
        };
        assert_eq!(any(vec![]), Ok(false));
        assert_eq!(any(vec![Ok(false), Ok(true)]), Ok(true));
        assert_eq!(any(vec![Err(()), Ok(true)]), Ok(true));
        assert_eq!(any(vec![Err(()), Ok(false)]), Ok(false));
        assert_eq!(any(vec![Err(())]), Err(()));
        assert_eq!(any(vec![Ok(false), Ok(false)]), Ok(false));
    }
}

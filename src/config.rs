//! The appliance's config: one TOML file, every key with a default.
//!
//! Sections: `[detector]` ([`DetectorConfig`]), `[adc]`, `[gpio]`, `[camera]`
//! (from [`crate::devices::config`]), `[recording]`, `[button]`, `[led]`,
//! `[storage]` and `[power]`. A missing file section or key takes its default; an
//! unknown key or a value that cannot work is rejected at start, naming the
//! key (`recording.pre_roll_ms = -5: must be >= 0`).

use std::fmt::Display;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::detector::DetectorConfig;
use crate::devices::config::{AdcConfig, CameraConfig, GpioConfig};

/// The whole config file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub detector: DetectorConfig,
    pub adc: AdcConfig,
    pub gpio: GpioConfig,
    pub camera: CameraConfig,
    pub recording: RecordingConfig,
    pub button: ButtonConfig,
    pub led: LedConfig,
    pub storage: StorageConfig,
    pub power: PowerConfig,
}

/// `[recording]`: which frames are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingConfig {
    /// Frames kept before a closure's estimated onset: the burst can start
    /// after the lid moves, so the detector's onset can be late.
    /// 60 ms: swept on labelled `synth` traces (calm at 25/50/100 Hz, drift,
    /// talking, long closures) at 30 fps; see tests/appliance.rs.
    pub pre_roll_ms: f64,
    /// Frames kept after a closure's estimated offset. Reopening is passive
    /// (the burst ends while the eye is still shut), but the detector's
    /// offset already adds that reopening time (`detector.reopen_ms`), and
    /// every ms here films open eyes: 0 by default, from the same sweep.
    pub post_roll_ms: f64,
    /// Longest clip; a longer closure is cut there (and still listed).
    pub max_clip_ms: f64,
    /// How long after an onset the detector may take to decide. The pre-roll
    /// ring holds `pre_roll_ms + detection_latency_ms` of frames, and 3.7 s
    /// more: a closure that may have been the first chew of a meal waits for
    /// the bursts after it, and so do the events behind it
    /// (`detector::MAX_VERDICT_DELAY_MS`).
    pub detection_latency_ms: f64,
    /// The byte budget of the frames held back: the pre-roll ring and, while
    /// an onset waits to be confirmed, its newest frames (kept to give back
    /// if it is taken back) share it; the oldest frames go first. 32 MiB
    /// hold 54 raw 640x480 frames (1.8 s at 30 fps), hundreds of MJPEG ones.
    pub preroll_max_bytes: u64,
    /// Frames the writer may have queued before new ones are dropped
    /// (counted), so capture and sampling never wait for the disk.
    pub writer_queue_frames: usize,
    /// fsync emg.csv and the open clip at least this often.
    pub sync_interval_ms: f64,
    /// JPEG quality (1..=100) for raw camera frames, compressed by the writer.
    pub jpeg_quality: u8,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        RecordingConfig {
            pre_roll_ms: 60.0,
            post_roll_ms: 0.0,
            max_clip_ms: 10_000.0,
            detection_latency_ms: 300.0,
            preroll_max_bytes: 32 << 20,
            writer_queue_frames: 64,
            sync_interval_ms: 1000.0,
            jpeg_quality: 85,
        }
    }
}

/// `[button]`: the session button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ButtonConfig {
    /// The level must hold this long to count (contact bounce is < 10 ms).
    pub debounce_ms: f64,
    /// Holding this long shuts the appliance down cleanly.
    pub long_press_ms: f64,
    /// On the glasses, a long press also powers the Pi off once every
    /// session is closed, so the battery can be unplugged (needs the polkit
    /// rule `scripts/install` puts in /etc/polkit-1/rules.d). Simulations
    /// never power anything off.
    pub long_press_powers_off: bool,
}

impl Default for ButtonConfig {
    fn default() -> Self {
        ButtonConfig {
            debounce_ms: 30.0,
            long_press_ms: 3000.0,
            long_press_powers_off: true,
        }
    }
}

/// `[led]`: what the LED tells the wearer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LedConfig {
    /// At session start the LED follows muscle activity this long, so the
    /// wearer can see the pads pick up their blinks.
    pub placement_check_ms: f64,
    /// Then the good/poor placement pattern shows this long.
    pub placement_result_ms: f64,
    /// Placement score (0..1) from which placement counts as good.
    pub good_placement_score: f64,
}

impl Default for LedConfig {
    fn default() -> Self {
        LedConfig {
            placement_check_ms: 5000.0,
            placement_result_ms: 3000.0,
            good_placement_score: 0.5,
        }
    }
}

/// `[storage]`: where sessions go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// The sessions directory (`augenblick run --sessions` overrides it).
    pub sessions_dir: PathBuf,
    /// Below this much free space (MiB) no new clip starts.
    pub min_free_mb: u64,
    /// After a write failed (disk full), try again this often.
    pub retry_ms: f64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            sessions_dir: PathBuf::from("/var/lib/augenblick/sessions"),
            min_free_mb: 20,
            retry_ms: 1000.0,
        }
    }
}

/// `[power]`: the battery's low warning (see [`crate::devices::power`]).
/// When the battery runs low the session in progress ends cleanly (every
/// clip closed and synced), and the Pi powers off (`poweroff_when_low`) or
/// no new session starts until the battery is good again: a flat battery
/// then cuts nothing short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PowerConfig {
    /// Watch the Pi's under-voltage alarm (hwmon `rpi_volt`), where there is one.
    pub undervoltage: bool,
    /// BCM pin of a charger's low-battery output (PowerBoost `LBO`, ...),
    /// or -1 for none.
    pub low_battery_pin: i32,
    /// The pin reads low while the battery is low (as `LBO` does).
    pub low_battery_active_low: bool,
    /// How long the warning must add up before the battery counts as low
    /// (a warning that comes and goes takes longer; see
    /// [`crate::appliance::power`]). 10 s: a marginal supply that dips
    /// under the camera's load now and then must not power the glasses
    /// off; a cell that keeps the Pi under-volted for 10 s is going.
    pub low_ms: f64,
    /// Without a warning this long, the battery counts as good again.
    pub recover_ms: f64,
    /// Read the warning this often.
    pub poll_ms: f64,
    /// When the battery counts as low, power the Pi off once the session
    /// is closed (the SD card is safe before the cell gives out). Off, the
    /// appliance waits for the battery to be good again.
    pub poweroff_when_low: bool,
}

impl Default for PowerConfig {
    fn default() -> Self {
        PowerConfig {
            undervoltage: true,
            low_battery_pin: -1,
            low_battery_active_low: true,
            low_ms: 10_000.0,
            recover_ms: 30_000.0,
            poll_ms: 500.0,
            poweroff_when_low: true,
        }
    }
}

impl PowerConfig {
    /// The low-battery pin, if one is set.
    pub fn pin(&self) -> Option<u8> {
        u8::try_from(self.low_battery_pin).ok()
    }
}

/// Why a config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A value that cannot work; `key` is `section.name`.
    #[error("{key} = {value}: {why}")]
    Invalid {
        key: String,
        value: String,
        why: String,
    },
}

fn invalid(key: &str, value: impl Display, why: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        why: why.to_string(),
    }
}

fn check(key: &str, value: f64, ok: bool, why: &str) -> Result<(), ConfigError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(invalid(key, value, why))
    }
}

/// Where the glasses keep their config (`overlay/etc/augenblick/config.toml`).
pub const INSTALLED_CONFIG: &str = "/etc/augenblick/config.toml";

/// An environment variable naming another file to use in place of
/// [`INSTALLED_CONFIG`] (tests; a second install). Not a flag: `--config`
/// is what users pass.
pub const INSTALLED_CONFIG_ENV: &str = "AUGENBLICK_INSTALLED_CONFIG";

/// The installed config's path: [`INSTALLED_CONFIG`], or what
/// [`INSTALLED_CONFIG_ENV`] names.
pub fn installed_config() -> PathBuf {
    std::env::var_os(INSTALLED_CONFIG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(INSTALLED_CONFIG))
}

/// The config file a command uses: the one named by `--config`, else the
/// installed one (`installed`) if it exists, else none (built-in defaults:
/// a laptop).
pub fn config_path(flag: Option<&Path>, installed: &Path) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_path_buf()),
        None if installed.exists() => Some(installed.to_path_buf()),
        None => None,
    }
}

/// Loads the config a command uses (see [`config_path`], with
/// [`installed_config`]); returns it and the file it came from.
pub fn load_for_command(flag: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    match config_path(flag, &installed_config()) {
        Some(path) => Ok((Config::load(&path)?, Some(path))),
        None => Ok((Config::default(), None)),
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("<config>"),
            message: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The config as TOML (what a session's `session.toml` records).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Rejects values that cannot work, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.detector.validate().map_err(|e| match e {
            crate::detector::ConfigError::Invalid { name, value, why } => {
                invalid(&format!("detector.{name}"), value, why)
            }
            other => invalid("detector", "?", &other.to_string()),
        })?;
        let a = &self.adc;
        check(
            "adc.sample_rate_hz",
            a.sample_rate_hz,
            a.sample_rate_hz > 0.0 && a.sample_rate_hz <= 860.0,
            "must be above 0 and at most 860 (the ADS1115's fastest rate)",
        )?;
        if a.channel > 3 {
            return Err(invalid("adc.channel", a.channel, "must be 0..=3 (A0..A3)"));
        }
        if ![6.144, 4.096, 2.048, 1.024, 0.512, 0.256].contains(&a.full_scale_v) {
            return Err(invalid(
                "adc.full_scale_v",
                a.full_scale_v,
                "must be one of 6.144, 4.096, 2.048, 1.024, 0.512, 0.256",
            ));
        }
        if ![8, 16, 32, 64, 128, 250, 475, 860].contains(&a.data_rate_sps) {
            return Err(invalid(
                "adc.data_rate_sps",
                a.data_rate_sps,
                "must be one of 8, 16, 32, 64, 128, 250, 475, 860",
            ));
        }
        if (a.data_rate_sps as f64) < a.sample_rate_hz {
            return Err(invalid(
                "adc.data_rate_sps",
                a.data_rate_sps,
                "must be at least adc.sample_rate_hz",
            ));
        }
        let c = &self.camera;
        if c.width == 0 || c.width % 2 == 1 || c.width > 4096 {
            return Err(invalid("camera.width", c.width, "must be even, 2..=4096"));
        }
        if c.height == 0 || c.height % 2 == 1 || c.height > 4096 {
            return Err(invalid("camera.height", c.height, "must be even, 2..=4096"));
        }
        check(
            "camera.fps",
            c.fps,
            c.fps > 0.0 && c.fps <= 240.0,
            "must be above 0 and at most 240",
        )?;
        if !["auto", "mjpeg", "raw"].contains(&c.format.as_str()) {
            return Err(invalid(
                "camera.format",
                format!("{:?}", c.format),
                "must be \"auto\", \"mjpeg\" or \"raw\"",
            ));
        }
        let r = &self.recording;
        check(
            "recording.pre_roll_ms",
            r.pre_roll_ms,
            r.pre_roll_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "recording.post_roll_ms",
            r.post_roll_ms,
            r.post_roll_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "recording.max_clip_ms",
            r.max_clip_ms,
            r.max_clip_ms >= 100.0,
            "must be >= 100",
        )?;
        check(
            "recording.detection_latency_ms",
            r.detection_latency_ms,
            r.detection_latency_ms >= 0.0,
            "must be >= 0",
        )?;
        if r.preroll_max_bytes < 1 << 16 {
            return Err(invalid(
                "recording.preroll_max_bytes",
                r.preroll_max_bytes,
                "must be at least 65536",
            ));
        }
        if r.writer_queue_frames == 0 {
            return Err(invalid("recording.writer_queue_frames", 0, "must be >= 1"));
        }
        check(
            "recording.sync_interval_ms",
            r.sync_interval_ms,
            r.sync_interval_ms > 0.0 && r.sync_interval_ms <= 1000.0,
            "must be above 0 and at most 1000 (a power cut may lose at most a second)",
        )?;
        if !(1..=100).contains(&r.jpeg_quality) {
            return Err(invalid(
                "recording.jpeg_quality",
                r.jpeg_quality,
                "must be 1..=100",
            ));
        }
        let b = &self.button;
        check(
            "button.debounce_ms",
            b.debounce_ms,
            b.debounce_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "button.long_press_ms",
            b.long_press_ms,
            b.long_press_ms > b.debounce_ms,
            "must be above button.debounce_ms",
        )?;
        let l = &self.led;
        check(
            "led.placement_check_ms",
            l.placement_check_ms,
            l.placement_check_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "led.placement_result_ms",
            l.placement_result_ms,
            l.placement_result_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "led.good_placement_score",
            l.good_placement_score,
            (0.0..=1.0).contains(&l.good_placement_score),
            "must be between 0 and 1",
        )?;
        check(
            "storage.retry_ms",
            self.storage.retry_ms,
            self.storage.retry_ms > 0.0,
            "must be > 0",
        )?;
        if self.storage.sessions_dir.as_os_str().is_empty() {
            return Err(invalid("storage.sessions_dir", "\"\"", "must not be empty"));
        }
        let p = &self.power;
        if p.low_battery_pin != -1 {
            let pin = p.low_battery_pin;
            if !(4..=27).contains(&pin) {
                return Err(invalid(
                    "power.low_battery_pin",
                    pin,
                    "must be -1 (none) or a free header pin, BCM 4..=27 (2 and 3 are the I2C bus)",
                ));
            }
            if pin == i32::from(self.gpio.button_pin) || pin == i32::from(self.gpio.led_pin) {
                return Err(invalid(
                    "power.low_battery_pin",
                    pin,
                    "is already gpio.button_pin or gpio.led_pin",
                ));
            }
        }
        check("power.low_ms", p.low_ms, p.low_ms >= 0.0, "must be >= 0")?;
        check(
            "power.recover_ms",
            p.recover_ms,
            p.recover_ms >= 0.0,
            "must be >= 0",
        )?;
        check(
            "power.poll_ms",
            p.poll_ms,
            p.poll_ms >= 10.0 && p.poll_ms <= 10_000.0,
            "must be between 10 and 10000",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn the_defaults_round_trip_through_toml() {
        let cfg = Config::default();
        assert_eq!(Config::parse(&cfg.to_toml()).unwrap(), cfg);
    }

    #[test]
    fn bad_values_name_their_key() {
        let table: &[(&str, &str)] = &[
            (
                "[recording]\npre_roll_ms = -5",
                "recording.pre_roll_ms = -5: must be >= 0",
            ),
            (
                "[recording]\njpeg_quality = 0",
                "recording.jpeg_quality = 0",
            ),
            ("[button]\nlong_press_ms = 10", "button.long_press_ms = 10"),
            ("[adc]\nsample_rate_hz = 0", "adc.sample_rate_hz = 0"),
            ("[camera]\nformat = \"h264\"", "camera.format = \"h264\""),
            ("[camera]\nwidth = 641", "camera.width = 641"),
            ("[detector]\non_sigma = -1", "detector.on_sigma = -1"),
            (
                "[led]\ngood_placement_score = 2",
                "led.good_placement_score = 2",
            ),
            ("[power]\nlow_battery_pin = 3", "power.low_battery_pin = 3"),
            (
                "[power]\nlow_battery_pin = 17",
                "power.low_battery_pin = 17: is already",
            ),
            ("[power]\npoll_ms = 0", "power.poll_ms = 0"),
        ];
        for (text, want) in table {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: got {err:?}");
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Config::parse("[recording]\npreroll_ms = 5").unwrap_err();
        assert!(err.to_string().contains("preroll_ms"), "{err}");
    }
}

#[cfg(test)]
mod overlay_tests {
    use super::*;

    /// The documented config in overlay/ lists exactly the defaults, so
    /// what it says is what a missing key means.
    #[test]
    fn the_overlay_config_is_the_defaults() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/overlay/etc/augenblick/config.toml"
        );
        assert_eq!(Config::load(path).unwrap(), Config::default());
        // And every key is there: a table with the same keys as the defaults.
        let text = std::fs::read_to_string(path).unwrap();
        let written: toml::Table = text.parse().unwrap();
        let defaults: toml::Table = Config::default().to_toml().parse().unwrap();
        for (section, table) in &defaults {
            let keys: Vec<_> = table.as_table().unwrap().keys().collect();
            let have: Vec<_> = written[section].as_table().unwrap().keys().collect();
            assert_eq!(have, keys, "[{section}]");
        }
    }
}

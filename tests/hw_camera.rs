//! The V4L2 camera's failures name their fix. (Streaming itself is tested
//! against the kernel's vivid driver in the VM tests.)
#![cfg(feature = "hw")]

use augenblick::devices::config::CameraConfig;
use augenblick::devices::hw::camera::V4l2Camera;
use augenblick::devices::DeviceError;

fn open(device: &str, format: &str) -> DeviceError {
    let config = CameraConfig {
        device: device.into(),
        format: format.into(),
        ..CameraConfig::default()
    };
    V4l2Camera::open(&config, 0).err().expect("must not open")
}

#[test]
fn a_missing_device_says_what_to_plug_in() {
    let err = open("/dev/video-augenblick-missing", "auto");
    let msg = err.to_string();
    assert!(matches!(
        err,
        DeviceError::Unavailable {
            device: "camera",
            ..
        }
    ));
    assert!(
        msg.contains("does not exist") && msg.contains("camera_auto_detect=1"),
        "{msg}"
    );
}

#[test]
fn a_file_that_is_no_camera_is_refused() {
    let msg = open("/dev/null", "auto").to_string();
    assert!(
        msg.contains("/dev/null") && msg.contains("not a V4L2 device"),
        "{msg}"
    );
}

#[test]
fn an_invalid_format_key_is_named_before_opening() {
    let msg = open("/dev/null", "h264").to_string();
    assert!(msg.contains("camera.format"), "{msg}");
}

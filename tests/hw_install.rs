//! scripts/install onto a mounted SD card (two folders standing in for the
//! root and boot partitions): everything lands where the Pi expects it, and
//! running it again changes nothing.

use std::path::Path;
use std::process::Command;

fn install(root: &Path, boot: &Path, binary: &Path, extra: &[&str]) {
    let out = Command::new("scripts/install")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--root")
        .arg(root)
        .arg("--boot")
        .arg(boot)
        .arg("--binary")
        .arg(binary)
        .args(extra)
        .output()
        .expect("run scripts/install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn installs_onto_an_sd_card_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let (root, boot) = (dir.path().join("rootfs"), dir.path().join("bootfs"));
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(&boot).unwrap();
    let original = "# Raspberry Pi OS\ncamera_auto_detect=1\n[pi4]\narm_boost=1\n";
    std::fs::write(boot.join("config.txt"), original).unwrap();
    let binary = dir.path().join("augenblick");
    std::fs::write(&binary, b"#!/bin/sh\necho stand-in\n").unwrap();
    // The aarch64 build: the film program beside it goes along.
    std::fs::write(
        dir.path().join("augenblick-film"),
        b"#!/bin/sh\necho film\n",
    )
    .unwrap();

    install(&root, &boot, &binary, &[]);
    let first: Vec<u8> = std::fs::read(boot.join("config.txt")).unwrap();
    install(&root, &boot, &binary, &["--libcamerify"]);

    let config = std::fs::read_to_string(boot.join("config.txt")).unwrap();
    assert!(
        config.starts_with(original),
        "the user's lines stay first:\n{config}"
    );
    assert_eq!(
        config.matches("include augenblick.txt").count(),
        1,
        "{config}"
    );
    assert_eq!(first, config.as_bytes(), "a second run adds nothing");
    // The include comes under [all], not under the user's last [pi4] filter.
    let tail = &config[original.len()..];
    assert!(tail.find("[all]") < tail.find("include"), "{tail}");

    let snippet = std::fs::read_to_string(boot.join("augenblick.txt")).unwrap();
    assert!(snippet.contains("dtparam=i2c_arm=on") && snippet.contains("camera_auto_detect=1"));

    let bin = root.join("usr/local/bin/augenblick");
    use std::os::unix::fs::PermissionsExt;
    assert!(std::fs::metadata(&bin).unwrap().permissions().mode() & 0o111 != 0);
    let film = root.join("usr/local/bin/augenblick-film");
    assert_eq!(std::fs::read(&film).unwrap(), b"#!/bin/sh\necho film\n");
    assert!(std::fs::metadata(&film).unwrap().permissions().mode() & 0o111 != 0);
    for f in [
        "etc/systemd/system/augenblick.service",
        "etc/sysusers.d/augenblick.conf",
        "etc/tmpfiles.d/augenblick.conf",
        "etc/udev/rules.d/60-augenblick.rules",
        "etc/modules-load.d/augenblick.conf",
        "etc/polkit-1/rules.d/50-augenblick.rules",
        "etc/systemd/system/augenblick.service.d/libcamerify.conf",
    ] {
        assert!(root.join(f).is_file(), "{f} missing");
    }
    let unit = std::fs::read_to_string(root.join("etc/systemd/system/augenblick.service")).unwrap();
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("overlay/etc/systemd/system/augenblick.service"),
    )
    .unwrap();
    assert_eq!(unit, shipped);
    let wants = root.join("etc/systemd/system/multi-user.target.wants/augenblick.service");
    assert_eq!(
        std::fs::read_link(wants).unwrap(),
        Path::new("/etc/systemd/system/augenblick.service")
    );
}

#[test]
fn an_edited_config_is_kept() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("overlay/etc/augenblick/config.toml");
    if !shipped.exists() {
        eprintln!("skipped: overlay/etc/augenblick/config.toml is not there yet");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (root, boot) = (dir.path().join("rootfs"), dir.path().join("bootfs"));
    std::fs::create_dir_all(root.join("etc/augenblick")).unwrap();
    std::fs::create_dir_all(&boot).unwrap();
    std::fs::write(
        root.join("etc/augenblick/config.toml"),
        "[adc]\nchannel = 1\n",
    )
    .unwrap();
    let binary = dir.path().join("augenblick");
    std::fs::write(&binary, b"stand-in").unwrap();
    install(&root, &boot, &binary, &[]);
    assert_eq!(
        std::fs::read_to_string(root.join("etc/augenblick/config.toml")).unwrap(),
        "[adc]\nchannel = 1\n"
    );
    assert!(root.join("etc/augenblick/config.toml.new").is_file());
    // The ARMv6 capture build has no film program; none is installed.
    assert!(!root.join("usr/local/bin/augenblick-film").exists());
}

#[test]
fn refuses_without_a_target() {
    let out = Command::new("scripts/install")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--host"));
}

/// The polkit rule lets the service's user power off, and nothing else.
/// Run by node (polkit's rules are JavaScript) against a stand-in for
/// polkit's API, where node is installed; it says SKIPPED otherwise.
#[test]
fn the_polkit_rule_lets_only_augenblick_power_off() {
    let rule = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("overlay/etc/polkit-1/rules.d/50-augenblick.rules");
    let script = format!(
        r#"
const rules = [];
const polkit = {{ Result: {{ YES: "yes", NO: "no", NOT_HANDLED: null }}, addRule: (f) => rules.push(f) }};
{}
const ask = (id, user) => rules.map((f) => f({{ id }}, {{ user }})).find((r) => r != null) ?? "unhandled";
const out = [
  ask("org.freedesktop.login1.power-off", "augenblick"),
  ask("org.freedesktop.login1.power-off-multiple-sessions", "augenblick"),
  ask("org.freedesktop.login1.reboot", "augenblick"),
  ask("org.freedesktop.login1.suspend", "augenblick"),
  ask("org.freedesktop.login1.power-off", "pi"),
  ask("org.freedesktop.systemd1.manage-units", "augenblick"),
];
console.log(out.join(","));
"#,
        std::fs::read_to_string(&rule).unwrap()
    );
    let out = match Command::new("node").arg("-e").arg(&script).output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("SKIPPED: no node to run the polkit rule ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "yes,yes,unhandled,unhandled,unhandled,unhandled"
    );
}

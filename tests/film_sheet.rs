//! `augenblick sheet`: one thumbnail per blink, in a grid, showing the
//! blink's middle frame.

#![cfg(feature = "film")]

mod film_common;

use augenblick::stamp;
use film_common::*;

fn sheet(fx: &std::path::Path, out: &std::path::Path, columns: u32, width: u32) -> image::RgbImage {
    let o = augenblick([
        "sheet".as_ref(),
        fx.as_os_str(),
        "--columns".as_ref(),
        columns.to_string().as_ref(),
        "--thumb-width".as_ref(),
        width.to_string().as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    image::open(out).expect("a PNG").to_rgb8()
}

#[test]
fn one_thumbnail_per_blink_in_a_grid() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path()); // 6 clips, one torn, one with a corrupt frame
                                  // Clip 3 holds a second closure (a blink during the first one's post-roll).
    let blinks = fx.dir.join("blinks.csv");
    let mut csv = std::fs::read_to_string(&blinks).unwrap();
    let clip3: Vec<u64> = fx
        .frames
        .iter()
        .filter(|f| f.clip == 3)
        .map(|f| f.t_ms)
        .collect();
    let (a, b) = (clip3[clip3.len() - 3], clip3[clip3.len() - 1]);
    csv.push_str(&format!("{a},{b},{a},3,{},0.5\n", clip3.len()));
    std::fs::write(&blinks, csv).unwrap();
    let (w1, h1) = sheet(&fx.dir, &tmp.path().join("1.png"), 1, 200).dimensions();
    let (w2, h2) = sheet(&fx.dir, &tmp.path().join("2.png"), 2, 200).dimensions();
    let s3 = sheet(&fx.dir, &tmp.path().join("3.png"), 3, 200);
    let (w3, h3) = s3.dimensions();
    // Each column adds a thumbnail's width (and a gap).
    assert_eq!(w2 - w1, w3 - w2);
    assert!(w2 - w1 > 200 && w2 - w1 < 220, "{w1} {w2}");
    // 7 blinks: 7, 4 and 3 rows.
    let row = h2 - h3;
    assert!(row > 150, "thumbnails are 200x150 plus a label: {row}");
    assert_eq!(h1 - h2, 3 * row);
    // More columns than blinks: the grid is only as wide as the blinks.
    let (w9, _) = sheet(&fx.dir, &tmp.path().join("9.png"), 9, 200).dimensions();
    assert_eq!(w9 - w1, 6 * (w2 - w1));

    // The first thumbnail shows the first blink's middle frame: read its
    // stamp from the sheet's pixels.
    let gap = (w2 - w1) - 200;
    let luma: Vec<u8> = (0..150)
        .flat_map(|y| (0..200).map(move |x| (x, y)))
        .map(|(x, y)| s3.get_pixel(gap + x, gap + y).0[1])
        .collect();
    // The middle of the first blink, from blinks.csv.
    let csv = std::fs::read_to_string(&blinks).unwrap();
    let row: Vec<u64> = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .take(2)
        .map(|v| v.parse().unwrap())
        .collect();
    let mid = (row[0] + row[1]) / 2;
    let nearest = fx
        .frames
        .iter()
        .filter(|f| f.clip == 1)
        .min_by_key(|f| f.t_ms.abs_diff(mid))
        .unwrap();
    assert_eq!(
        stamp::read_luma(&luma, 200, 150, 200),
        Some(nearest.t_ms as u32)
    );
}

#[test]
fn a_folder_that_is_no_session_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let o = augenblick([
        "sheet".as_ref(),
        tmp.path().as_os_str(),
        "-o".as_ref(),
        tmp.path().join("s.png").as_os_str(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("frames.csv"), "{}", stderr(&o));
    assert!(!tmp.path().join("s.png").exists());
}

#[test]
fn a_sheet_named_other_than_png_is_a_png_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = session(tmp.path());
    let draw = |name: &str| {
        let out = tmp.path().join(name);
        let o = augenblick([
            "sheet".as_ref(),
            fx.dir.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        (
            stderr(&o).contains("will be a PNG"),
            std::fs::read(&out).unwrap(),
        )
    };
    let (warned, bytes) = draw("sheet.jpg");
    assert!(warned, "no warning for sheet.jpg");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    // Named .png (in any case): no warning.
    assert!(!draw("sheet.PNG").0, "a warning for sheet.PNG");
}

/// A session that kept no blink (a quiet face, pads off) has nothing to
/// draw, and says so in the sheet's words, not the film's.
#[test]
fn a_session_without_blinks_has_nothing_to_draw() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("quiet");
    std::fs::create_dir_all(dir.join("clips")).unwrap();
    std::fs::write(dir.join("frames.csv"), "t_ms,clip,index\n").unwrap();
    let out = tmp.path().join("s.png");
    let o = augenblick([
        "sheet".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nothing to draw"), "{}", stderr(&o));
    assert!(!out.exists());
}

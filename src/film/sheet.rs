//! The contact sheet: one thumbnail per blink (its middle frame), labelled
//! with the blink's time, in a grid. The artist's first look at a session.

use std::path::Path;

use image::{imageops, Rgb, RgbImage};

use super::{font, FilmError};
use crate::session::read::{self, Session};

/// Layout of the sheet.
#[derive(Debug, Clone, Copy)]
pub struct SheetOptions {
    pub columns: u32,
    pub thumb_width: u32,
}

impl Default for SheetOptions {
    fn default() -> Self {
        SheetOptions {
            columns: 6,
            thumb_width: 240,
        }
    }
}

const PAD: u32 = 8;
const LABEL_SCALE: u32 = 2;
const BACKGROUND: Rgb<u8> = Rgb([24, 24, 24]);

/// The sheet's size in pixels for `n` thumbnails of `tw`x`th`.
pub fn sheet_size(n: u32, columns: u32, tw: u32, th: u32) -> (u32, u32) {
    let cols = columns.clamp(1, n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let label = font::GLYPH_H * LABEL_SCALE + PAD;
    (cols * (tw + PAD) + PAD, rows * (th + label + PAD) + PAD)
}

/// Draws the sheet of `session` and writes it as PNG to `out` (beside, then
/// renamed). Returns the number of thumbnails.
pub fn write_sheet(session: &Session, out: &Path, opts: SheetOptions) -> Result<u32, FilmError> {
    for w in &session.warnings {
        log::warn!("{w}");
    }
    let mut thumbs: Vec<(u64, image::DynamicImage)> = Vec::new();
    for clip in &session.clips {
        let path = session.clip_path(clip.number);
        let data = match read::read_clip(&path) {
            Ok(d) => d,
            Err(e) => {
                log::warn!("{}: clip skipped: {e}", path.display());
                continue;
            }
        };
        // One thumbnail per closure: the frame nearest the middle of the
        // eye-closed time (or the clip's middle frame if blinks.csv lacks it),
        // or the nearest one to it that decodes.
        let middles: Vec<(u64, u64)> = if clip.blinks.is_empty() {
            let mid = clip.frames[clip.frames.len() / 2].t_ms;
            vec![(clip.time_ms(), mid)]
        } else {
            clip.blinks
                .iter()
                .map(|b| (b.onset_ms, (b.onset_ms + b.offset_ms.max(b.onset_ms)) / 2))
                .collect()
        };
        for (label_ms, mid) in middles {
            let mut order: Vec<usize> = (0..clip.frames.len()).collect();
            order.sort_by_key(|&i| clip.frames[i].t_ms.abs_diff(mid));
            let found = order.iter().find_map(|&i| {
                let f = clip.frames[i];
                let jpeg = data.frame(f.index)?;
                match image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg) {
                    Ok(img) => Some(img),
                    Err(e) => {
                        log::warn!(
                            "{}: frame {} is corrupt ({e}); skipped",
                            path.display(),
                            f.index
                        );
                        None
                    }
                }
            });
            match found {
                Some(img) => thumbs.push((label_ms, img)),
                None => log::warn!("{}: no frame decodes; blink left out", path.display()),
            }
        }
    }
    if thumbs.is_empty() {
        return Err(FilmError::NoThumbnails);
    }
    let tw = opts.thumb_width.max(16);
    let (w0, h0) = (thumbs[0].1.width(), thumbs[0].1.height());
    let th = ((tw as u64 * h0 as u64) / w0.max(1) as u64).max(1) as u32;
    let n = thumbs.len() as u32;
    let cols = opts.columns.clamp(1, n);
    let (sw, sh) = sheet_size(n, cols, tw, th);
    let mut sheet = RgbImage::from_pixel(sw, sh, BACKGROUND);
    let cell_h = th + font::GLYPH_H * LABEL_SCALE + 2 * PAD;
    for (i, (t_ms, img)) in thumbs.iter().enumerate() {
        let (col, row) = (i as u32 % cols, i as u32 / cols);
        let (x, y) = (PAD + col * (tw + PAD), PAD + row * cell_h);
        let small = img
            .resize_exact(tw, th, imageops::FilterType::Triangle)
            .to_rgb8();
        imageops::replace(&mut sheet, &small, x as i64, y as i64);
        let label = font::format_time(*t_ms);
        font::for_each_pixel(&label, LABEL_SCALE, |dx, dy| {
            let (px, py) = (x + dx, y + th + PAD / 2 + dy);
            if px < sw && py < sh {
                sheet.put_pixel(px, py, Rgb([235, 235, 235]));
            }
        });
    }
    let part = super::output::PartFile::beside(out);
    sheet
        .save_with_format(part.path(), image::ImageFormat::Png)
        .map_err(|e| FilmError::Io {
            path: out.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
    part.commit()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_size_follows_columns() {
        let label = font::GLYPH_H * LABEL_SCALE + PAD;
        assert_eq!(
            sheet_size(7, 3, 100, 75),
            (3 * 108 + 8, 3 * (75 + label + 8) + 8)
        );
        assert_eq!(sheet_size(2, 6, 100, 75).0, 2 * 108 + 8);
    }
}

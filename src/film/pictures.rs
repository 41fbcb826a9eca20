//! Pictures for the film, as yuv420p frames at the film's size: camera
//! JPEGs decoded (libavcodec's MJPEG decoder) and converted (swscale, one
//! context reused while the input format stays the same), and the plain
//! pictures (black, flash, a still).

use ffmpeg_next as ffmpeg;
use ffmpeg_next::format::Pixel;
use ffmpeg_next::software::scaling;
use ffmpeg_next::{codec, decoder, frame, Packet};

use super::font;

/// Decodes camera JPEGs and converts them to the film's size and format.
pub struct JpegPictures {
    decoder: decoder::Video,
    scaler: Option<(Pixel, u32, u32, scaling::Context)>,
    width: u32,
    height: u32,
    decoded: frame::Video,
}

impl JpegPictures {
    /// A converter to `width`x`height` yuv420p.
    pub fn new(width: u32, height: u32) -> Result<Self, ffmpeg::Error> {
        let codec = decoder::find(codec::Id::MJPEG).ok_or(ffmpeg::Error::DecoderNotFound)?;
        let ctx = codec::context::Context::new_with_codec(codec);
        let decoder = ctx.decoder().video()?;
        Ok(JpegPictures {
            decoder,
            scaler: None,
            width,
            height,
            decoded: frame::Video::empty(),
        })
    }

    /// Decodes one JPEG: its size and pixel format, without converting.
    pub fn probe(jpeg: &[u8]) -> Result<(u32, u32, Pixel), ffmpeg::Error> {
        let mut p = JpegPictures::new(2, 2)?;
        p.decode(jpeg)?;
        Ok((p.decoded.width(), p.decoded.height(), p.decoded.format()))
    }

    fn decode(&mut self, jpeg: &[u8]) -> Result<(), ffmpeg::Error> {
        self.decoder.send_packet(&Packet::borrow(jpeg))?;
        self.decoder.receive_frame(&mut self.decoded)?;
        if self.decoded.width() == 0 || self.decoded.height() == 0 {
            return Err(ffmpeg::Error::InvalidData);
        }
        Ok(())
    }

    /// Decodes a JPEG only to see that it decodes.
    pub fn check(&mut self, jpeg: &[u8]) -> Result<(), ffmpeg::Error> {
        self.decode(jpeg)
    }

    /// Decodes a JPEG into a new film picture.
    pub fn picture(&mut self, jpeg: &[u8]) -> Result<frame::Video, ffmpeg::Error> {
        self.decode(jpeg)?;
        let (fmt, w, h) = (
            self.decoded.format(),
            self.decoded.width(),
            self.decoded.height(),
        );
        let stale = !matches!(&self.scaler, Some((f, sw, sh, _)) if (*f, *sw, *sh) == (fmt, w, h));
        if stale {
            // At the camera's size only the chroma is resampled (4:4:4 or
            // 4:2:2 to 4:2:0, a 2:1 step bilinear does as well as bicubic,
            // for less work); a real resize gets bicubic.
            let flags = if (w, h) == (self.width, self.height) {
                scaling::Flags::BILINEAR
            } else {
                scaling::Flags::BICUBIC
            };
            let ctx =
                scaling::Context::get(fmt, w, h, Pixel::YUV420P, self.width, self.height, flags)?;
            self.scaler = Some((fmt, w, h, ctx));
        }
        let (.., scaler) = self.scaler.as_mut().expect("set above");
        let mut out = frame::Video::new(Pixel::YUV420P, self.width, self.height);
        scaler.run(&self.decoded, &mut out)?;
        Ok(out)
    }
}

/// A flat picture: luma `y`, neutral chroma.
pub fn flat(width: u32, height: u32, y: u8) -> frame::Video {
    let mut f = frame::Video::new(Pixel::YUV420P, width, height);
    f.data_mut(0).fill(y);
    f.data_mut(1).fill(128);
    f.data_mut(2).fill(128);
    f
}

/// Black in limited-range video.
pub fn black(width: u32, height: u32) -> frame::Video {
    flat(width, height, 16)
}

/// White, for a flash between blinks.
pub fn flash(width: u32, height: u32) -> frame::Video {
    flat(width, height, 235)
}

/// Any image file (PNG or JPEG) as a film picture, scaled to fit.
pub fn still(path: &std::path::Path, width: u32, height: u32) -> Result<frame::Video, String> {
    let img = image::open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .to_rgb8();
    let (w, h) = img.dimensions();
    let mut rgb = frame::Video::new(Pixel::RGB24, w, h);
    let stride = rgb.stride(0);
    let data = rgb.data_mut(0);
    for (y, row) in img.rows().enumerate() {
        for (x, px) in row.enumerate() {
            data[y * stride + x * 3..y * stride + x * 3 + 3].copy_from_slice(&px.0);
        }
    }
    let mut ctx = scaling::Context::get(
        Pixel::RGB24,
        w,
        h,
        Pixel::YUV420P,
        width,
        height,
        scaling::Flags::BICUBIC,
    )
    .map_err(|e| e.to_string())?;
    let mut out = frame::Video::new(Pixel::YUV420P, width, height);
    ctx.run(&rgb, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Draws a time label into the bottom-left corner of a yuv420p picture.
pub fn burn_in(f: &mut frame::Video, ms: u64) {
    let (w, h) = (f.width(), f.height());
    let scale = (h / 90).max(1);
    let text = font::format_time(ms);
    let (_, th) = font::text_size(&text, scale);
    let margin = 2 * scale;
    let y = h.saturating_sub(th + 2 * margin);
    let stride = f.stride(0);
    font::draw_luma(f.data_mut(0), stride, w, h, margin * 2, y, scale, &text);
    // Neutral chroma under the label, so it reads grey on any picture.
    let (tw, _) = font::text_size(&text, scale);
    for plane in 1..3 {
        let stride = f.stride(plane);
        let data = f.data_mut(plane);
        let (x0, x1) = (
            (margin * 2).saturating_sub(scale) / 2,
            (margin * 2 + tw + scale) / 2,
        );
        let (y0, y1) = (y.saturating_sub(scale) / 2, (y + th + scale) / 2);
        for row in y0..y1.min(h.div_ceil(2)) {
            for col in x0..x1.min(w.div_ceil(2)) {
                if let Some(p) = data.get_mut(row as usize * stride + col as usize) {
                    *p = 128;
                }
            }
        }
    }
}

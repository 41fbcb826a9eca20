//! Writing the film file: H.264 (or a fallback) re-encoded into MP4, or the
//! camera's JPEGs copied into Matroska. Always into a part file beside the
//! output, renamed over it only when the film is complete.

use std::path::{Path, PathBuf};

use ffmpeg_next as ffmpeg;
use ffmpeg_next::format::Pixel;
use ffmpeg_next::{codec, encoder, format, frame, Dictionary, Packet, Rational};

use super::FilmError;

/// A file being written beside its final name; removed unless committed.
pub struct PartFile {
    part: PathBuf,
    out: PathBuf,
    done: bool,
}

impl PartFile {
    /// `.NAME.PID.part` in the output's folder, so the final rename stays on
    /// one filesystem (atomic).
    pub fn beside(out: &Path) -> Self {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "film".into());
        let part = out.with_file_name(format!(".{name}.{}.part", std::process::id()));
        PartFile {
            part,
            out: out.to_path_buf(),
            done: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.part
    }

    /// Moves the finished file to its name.
    pub fn commit(mut self) -> Result<(), FilmError> {
        std::fs::rename(&self.part, &self.out).map_err(|source| FilmError::Io {
            path: self.out.clone(),
            source,
        })?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

fn ff(what: &'static str) -> impl Fn(ffmpeg::Error) -> FilmError {
    move |source| FilmError::Ffmpeg { what, source }
}

/// Encoder settings.
#[derive(Debug, Clone)]
pub struct EncoderSettings {
    /// An encoder by name (`libx264`, `mpeg4`...); `None` picks the best there is.
    pub name: Option<String>,
    /// x264 preset.
    pub preset: String,
    /// x264 constant rate factor (quality: lower is better).
    pub crf: u8,
}

/// Encoders tried in turn when none is named: H.264 for browsers and phones,
/// MPEG-4 part 2 as the last resort every libavcodec build has.
pub const FALLBACKS: [&str; 3] = ["libx264", "libopenh264", "mpeg4"];

/// A re-encoded film: constant frame rate, yuv420p.
pub struct EncodedFilm {
    octx: format::context::Output,
    encoder: encoder::Video,
    encoder_tb: Rational,
    stream_tb: Rational,
    next_pts: i64,
    packet: Packet,
    /// The encoder used.
    pub encoder_name: String,
}

impl EncodedFilm {
    /// Opens `path` with the muxer `muxer` ("mp4", "matroska"...).
    pub fn create(
        path: &Path,
        muxer: &str,
        width: u32,
        height: u32,
        fps: Rational,
        settings: &EncoderSettings,
    ) -> Result<Self, FilmError> {
        let mut octx = format::output_as(path, muxer).map_err(ff("opening the output file"))?;
        let candidates: Vec<&str> = match &settings.name {
            Some(n) => vec![n.as_str()],
            None => FALLBACKS.to_vec(),
        };
        let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let encoder_tb = fps.invert();
        for name in candidates {
            let Some(codec) = encoder::find_by_name(name) else {
                continue;
            };
            let mut ctx = codec::context::Context::new_with_codec(codec);
            // thread_count 0: the encoder picks (x264: 1.5 x cores), as the
            // ffmpeg command-line tool does.
            ctx.set_threading(codec::threading::Config {
                kind: codec::threading::Type::Frame,
                count: 0,
                ..Default::default()
            });
            let mut enc = ctx
                .encoder()
                .video()
                .map_err(ff("setting up the encoder"))?;
            enc.set_width(width);
            enc.set_height(height);
            enc.set_format(Pixel::YUV420P);
            enc.set_time_base(encoder_tb);
            enc.set_frame_rate(Some(fps));
            enc.set_color_range(ffmpeg::util::color::Range::MPEG);
            if global_header {
                enc.set_flags(codec::Flags::GLOBAL_HEADER);
            }
            let mut opts = Dictionary::new();
            match name {
                "libx264" => {
                    opts.set("preset", &settings.preset);
                    opts.set("crf", &settings.crf.to_string());
                }
                "mpeg4" => {
                    // Fixed quantiser ~ crf: 2 (best) .. 31.
                    let q = (settings.crf as i32 / 6).clamp(2, 31);
                    enc.set_flags(
                        codec::Flags::QSCALE
                            | if global_header {
                                codec::Flags::GLOBAL_HEADER
                            } else {
                                codec::Flags::empty()
                            },
                    );
                    enc.set_global_quality(q * 118);
                }
                _ => {}
            }
            match enc.open_with(opts) {
                Ok(opened) => {
                    if name != "libx264" {
                        log::warn!("libx264 not available: encoding with {name}");
                    } else {
                        log::info!(
                            "encoding with libx264, preset {}, crf {}",
                            settings.preset,
                            settings.crf
                        );
                    }
                    let mut st = octx.add_stream(codec).map_err(ff("adding the stream"))?;
                    st.set_parameters(&opened);
                    st.set_time_base(encoder_tb);
                    st.set_avg_frame_rate(fps);
                    let index = st.index();
                    let mut mux_opts = Dictionary::new();
                    if muxer == "mp4" {
                        // The index up front, so browsers play it while loading.
                        mux_opts.set("movflags", "+faststart");
                    }
                    octx.write_header_with(mux_opts)
                        .map_err(ff("writing the file header"))?;
                    let stream_tb = octx.stream(index).expect("added above").time_base();
                    return Ok(EncodedFilm {
                        octx,
                        encoder: opened,
                        encoder_tb,
                        stream_tb,
                        next_pts: 0,
                        packet: Packet::empty(),
                        encoder_name: name.to_string(),
                    });
                }
                // The first encoder present is the one: a refusal (a bad
                // preset, say) is the user's to fix, not a reason to fall back.
                Err(source) => {
                    return Err(FilmError::Encoder {
                        name: name.to_string(),
                        preset: settings.preset.clone(),
                        source,
                    })
                }
            }
        }
        Err(FilmError::NoEncoder)
    }

    /// Encodes one output frame (the next on the constant-rate grid).
    pub fn push(&mut self, pic: &mut frame::Video) -> Result<(), FilmError> {
        pic.set_pts(Some(self.next_pts));
        self.next_pts += 1;
        self.encoder
            .send_frame(pic)
            .map_err(ff("encoding a frame"))?;
        self.drain()
    }

    fn drain(&mut self) -> Result<(), FilmError> {
        while self.encoder.receive_packet(&mut self.packet).is_ok() {
            // Debian's FFmpeg 5.1 encoders leave durations at 0, and the MP4
            // muxer then drops the last frame: every packet is one frame long.
            self.packet.set_duration(1);
            self.packet.set_stream(0);
            self.packet.rescale_ts(self.encoder_tb, self.stream_tb);
            self.packet
                .write_interleaved(&mut self.octx)
                .map_err(ff("writing a packet"))?;
        }
        Ok(())
    }

    /// Flushes the encoder and writes the trailer; the file is then complete.
    pub fn finish(mut self) -> Result<u64, FilmError> {
        self.encoder
            .send_eof()
            .map_err(ff("flushing the encoder"))?;
        self.drain()?;
        self.octx
            .write_trailer()
            .map_err(ff("writing the file trailer"))?;
        Ok(self.next_pts as u64)
    }
}

/// The camera's JPEGs copied into Matroska with their real times.
pub struct CopiedFilm {
    octx: format::context::Output,
    stream_tb: Rational,
    packets: u64,
}

/// Matroska keeps times in ms.
const MS: Rational = Rational(1, 1000);

impl CopiedFilm {
    pub fn create(path: &Path, width: u32, height: u32, pix: Pixel) -> Result<Self, FilmError> {
        let mut octx =
            format::output_as(path, "matroska").map_err(ff("opening the output file"))?;
        let codec = encoder::find(codec::Id::MJPEG).ok_or(FilmError::NoEncoder)?;
        let mut params = codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(ff("describing the MJPEG stream"))?;
        params.set_width(width);
        params.set_height(height);
        params.set_format(pix);
        params.set_time_base(MS);
        let mut st = octx.add_stream(codec).map_err(ff("adding the stream"))?;
        st.set_parameters(&params);
        st.set_time_base(MS);
        octx.write_header().map_err(ff("writing the file header"))?;
        let stream_tb = octx.stream(0).expect("added above").time_base();
        Ok(CopiedFilm {
            octx,
            stream_tb,
            packets: 0,
        })
    }

    /// Writes one JPEG, untouched, shown from `start_ms` for `duration_ms`.
    pub fn push(&mut self, jpeg: &[u8], start_ms: i64, duration_ms: i64) -> Result<(), FilmError> {
        let mut p = Packet::copy(jpeg);
        p.set_pts(Some(start_ms));
        p.set_dts(Some(start_ms));
        p.set_duration(duration_ms.max(1));
        p.set_flags(codec::packet::Flags::KEY);
        p.set_stream(0);
        p.rescale_ts(MS, self.stream_tb);
        p.write_interleaved(&mut self.octx)
            .map_err(ff("writing a packet"))?;
        self.packets += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<u64, FilmError> {
        self.octx
            .write_trailer()
            .map_err(ff("writing the file trailer"))?;
        Ok(self.packets)
    }
}

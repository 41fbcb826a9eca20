//! Clip files: JPEG images back to back, exactly as the camera gave them.
//!
//! A clip is `clips/NNNNNN.mjpeg`, a plain concatenation of complete JPEG
//! images (each from SOI `FF D8` to EOI `FF D9`). Appending a frame is one
//! write, a power cut can only tear the last one, and the ffmpeg command-line
//! tool reads the file as it is (`-f mjpeg`, or by its `.mjpeg` name).
//!
//! [`split`] finds the frames by walking the JPEG marker segments (ITU T.81
//! B.1.1) rather than searching for `FF D9`, which an embedded thumbnail
//! could contain; inside entropy-coded data `FF` is always followed by `00`
//! (stuffing) or a restart marker `D0`..`D7` (T.81 B.1.1.5, F.1.2.3).

use std::ops::Range;

/// What stops a clip from being read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The file ends exactly after a complete frame.
    Clean,
    /// Bytes from `offset` on are not a complete JPEG (a torn write).
    Torn { offset: usize },
}

/// Finds the complete JPEG images in `data`, in order, and says where the
/// readable part ends. Never panics, whatever the bytes.
pub fn split(data: &[u8]) -> (Vec<Range<usize>>, Tail) {
    let mut frames = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        match frame_end(data, pos) {
            Some(end) => {
                frames.push(pos..end);
                pos = end;
            }
            None => return (frames, Tail::Torn { offset: pos }),
        }
    }
    (frames, Tail::Clean)
}

/// Checks that `data` is one complete JPEG image.
pub fn is_complete(data: &[u8]) -> bool {
    frame_end(data, 0) == Some(data.len())
}

/// The end (exclusive) of the JPEG image starting at `start`, if complete.
fn frame_end(data: &[u8], start: usize) -> Option<usize> {
    if data.get(start..start + 2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = start + 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes (B.1.1.2).
        if *data.get(i)? != 0xFF {
            return None;
        }
        while *data.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *data.get(i)?;
        i += 1;
        match marker {
            0xD9 => return Some(i),
            // Standalone markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            0x00 => return None,
            _ => {
                let len = u16::from_be_bytes([*data.get(i)?, *data.get(i + 1)?]) as usize;
                if len < 2 {
                    return None;
                }
                i = i.checked_add(len)?;
                if i > data.len() {
                    return None;
                }
                if marker == 0xDA {
                    i = skip_entropy_coded(data, i)?;
                }
            }
        }
    }
}

/// From the start of entropy-coded data, the index of the next real marker.
fn skip_entropy_coded(data: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let at = i + memchr_ff(&data[i..])?;
        match *data.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => i = at + 2,
            0xFF => i = at + 1,
            _ => return Some(at),
        }
    }
}

fn memchr_ff(data: &[u8]) -> Option<usize> {
    data.iter().position(|&b| b == 0xFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny real JPEG made by the image crate.
    fn jpeg(shade: u8) -> Vec<u8> {
        let img = image::GrayImage::from_fn(16, 8, |x, y| image::Luma([shade ^ (x * 8 + y) as u8]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn splits_concatenated_frames() {
        let (a, b, c) = (jpeg(0), jpeg(90), jpeg(200));
        let data = [a.clone(), b.clone(), c.clone()].concat();
        let (frames, tail) = split(&data);
        assert_eq!(tail, Tail::Clean);
        assert_eq!(frames.len(), 3);
        assert_eq!(&data[frames[1].clone()], &b[..]);
        assert!(is_complete(&a));
    }

    #[test]
    fn every_torn_tail_is_found() {
        let (a, b) = (jpeg(10), jpeg(20));
        let data = [a.clone(), b.clone()].concat();
        for cut in a.len()..data.len() {
            let (frames, tail) = split(&data[..cut]);
            assert_eq!(frames, vec![0..a.len()], "cut at {cut}");
            let want = if cut == a.len() {
                Tail::Clean
            } else {
                Tail::Torn { offset: a.len() }
            };
            assert_eq!(tail, want, "cut at {cut}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12345u64;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let b = (seed >> 33) as u8;
                    if b % 5 == 0 {
                        0xFF
                    } else {
                        b
                    }
                })
                .collect();
            let (frames, _) = split(&[&[0xFF, 0xD8][..], &bytes].concat());
            assert!(frames.len() <= 1);
        }
        assert_eq!(split(&[]), (vec![], Tail::Clean));
        assert_eq!(split(&[0x00, 0x01]).1, Tail::Torn { offset: 0 });
    }
}

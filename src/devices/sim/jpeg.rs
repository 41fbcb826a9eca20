//! A small greyscale baseline JPEG encoder for the simulated camera, with
//! a cache of transformed 8x8 blocks.
//!
//! Why not the image crate's encoder: a simulated 10-minute session at
//! 640x480 with a 1 s pre-roll keeps ~8000 frames, and a general encoder
//! (a full DCT of all 4800 blocks of each) took ~10 ms a frame here, far
//! from the 50x-real-time budget. The synthetic picture is made of few
//! distinct blocks (flat rows, the bar's edges, the stamp's cells), so this
//! encoder transforms each distinct block once and afterwards only
//! entropy-codes. The output is plain baseline JPEG (ITU T.81, standard
//! Annex K tables) that every decoder reads; tests decode it with the image
//! crate and the ffmpeg command-line tool.

use std::collections::HashMap;

/// Table K.1, natural order.
#[rustfmt::skip]
const LUMA_Q: [u16; 64] = [
    16, 11, 10, 16,  24,  40,  51,  61,
    12, 12, 14, 19,  26,  58,  60,  55,
    14, 13, 16, 24,  40,  57,  69,  56,
    14, 17, 22, 29,  51,  87,  80,  62,
    18, 22, 37, 56,  68, 109, 103,  77,
    24, 35, 55, 64,  81, 104, 113,  92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103,  99,
];

/// Natural-order index of each zigzag position (T.81 Figure A.6).
#[rustfmt::skip]
const ZIGZAG: [usize; 64] = [
     0,  1,  8, 16,  9,  2,  3, 10, 17, 24, 32, 25, 18, 11,  4,  5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13,  6,  7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Table K.3: DC code lengths (counts per length 1..16) and values.
const DC_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALS: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/// Table K.5: AC code lengths and values.
const AC_BITS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
#[rustfmt::skip]
const AC_VALS: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

/// (length, code) for each symbol, from a table's counts and values (T.81 Annex C).
fn huffman(bits: &[u8; 16], vals: &[u8]) -> [(u8, u16); 256] {
    let mut table = [(0u8, 0u16); 256];
    let mut code: u16 = 0;
    let mut k = 0;
    for (len, &n) in bits.iter().enumerate() {
        for _ in 0..n {
            table[vals[k] as usize] = (len as u8 + 1, code);
            code += 1;
            k += 1;
        }
        code <<= 1;
    }
    table
}

struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, len: u8, bits: u16) {
        let len = len as u32;
        self.acc = (self.acc << len) | (bits as u32 & ((1 << len) - 1));
        self.n += len;
        while self.n >= 8 {
            let byte = (self.acc >> (self.n - 8)) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0x00); // byte stuffing (T.81 F.1.2.3)
            }
            self.n -= 8;
        }
        self.acc &= (1 << self.n) - 1;
    }

    fn finish(&mut self) {
        if self.n > 0 {
            let pad = 8 - self.n;
            self.put(pad as u8, (1 << pad) - 1);
        }
    }
}

/// Bits needed for `v`'s magnitude, and the bits that encode it.
fn category(v: i32) -> (u8, u16) {
    let mag = v.unsigned_abs();
    let size = 32 - mag.leading_zeros();
    // Negative values are sent as v - 1 in `size` bits (T.81 F.1.2.1).
    let bits = (if v < 0 { v - 1 } else { v } as u32 & ((1u32 << size) - 1)) as u16;
    (size as u8, bits)
}

/// A greyscale encoder at one quality; reuse it to keep its block cache.
pub struct GrayJpegEncoder {
    /// Quantiser, natural order.
    q: [f32; 64],
    /// Quantiser bytes, zigzag order (for the DQT segment).
    q_zigzag: [u8; 64],
    dc: [(u8, u16); 256],
    ac: [(u8, u16); 256],
    /// cos((2x+1)uπ/16) * C(u) / 2
    basis: [[f32; 8]; 8],
    /// Quantised coefficients (zigzag order) of blocks seen before.
    cache: HashMap<[u8; 64], [i16; 64], BuildBlockHasher>,
}

/// A cheap hash for 64-byte blocks (the default SipHash costs more than
/// the rest of the encoder; no untrusted input reaches this map).
#[derive(Default, Clone, Copy)]
struct BuildBlockHasher;

#[derive(Default)]
struct BlockHasher(u64);

impl std::hash::BuildHasher for BuildBlockHasher {
    type Hasher = BlockHasher;
    fn build_hasher(&self) -> BlockHasher {
        BlockHasher(0)
    }
}

impl std::hash::Hasher for BlockHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

impl GrayJpegEncoder {
    pub fn new(quality: u8) -> Self {
        let quality = quality.clamp(1, 100) as u32;
        let scale = if quality < 50 {
            5000 / quality
        } else {
            200 - 2 * quality
        };
        let mut q = [0f32; 64];
        let mut q_zigzag = [0u8; 64];
        for i in 0..64 {
            let v = ((LUMA_Q[i] as u32 * scale + 50) / 100).clamp(1, 255);
            q[i] = v as f32;
        }
        for (k, &i) in ZIGZAG.iter().enumerate() {
            q_zigzag[k] = q[i] as u8;
        }
        let mut basis = [[0f32; 8]; 8];
        for (u, row) in basis.iter_mut().enumerate() {
            let c = if u == 0 {
                std::f32::consts::FRAC_1_SQRT_2
            } else {
                1.0
            };
            for (x, b) in row.iter_mut().enumerate() {
                *b =
                    c / 2.0 * (((2 * x + 1) as f32) * u as f32 * std::f32::consts::PI / 16.0).cos();
            }
        }
        GrayJpegEncoder {
            q,
            q_zigzag,
            dc: huffman(&DC_BITS, &DC_VALS),
            ac: huffman(&AC_BITS, &AC_VALS),
            basis,
            cache: HashMap::with_hasher(BuildBlockHasher),
        }
    }

    /// The quantised DCT of one block (T.81 A.3.3), zigzag order.
    fn transform(&self, px: &[u8; 64]) -> [i16; 64] {
        let mut tmp = [[0f32; 8]; 8]; // rows transformed: tmp[y][u]
        for (y, row) in tmp.iter_mut().enumerate() {
            for (u, t) in row.iter_mut().enumerate() {
                *t = (0..8)
                    .map(|x| (px[y * 8 + x] as f32 - 128.0) * self.basis[u][x])
                    .sum();
            }
        }
        let mut out = [0i16; 64];
        for (k, &i) in ZIGZAG.iter().enumerate() {
            let (v, u) = (i / 8, i % 8);
            let f: f32 = (0..8).map(|y| tmp[y][u] * self.basis[v][y]).sum();
            out[k] = (f / self.q[i]).round() as i16;
        }
        out
    }

    /// Encodes a `width`x`height` luma plane (`y.len() >= width * height`).
    pub fn encode(&mut self, y: &[u8], width: u32, height: u32) -> Vec<u8> {
        let (w, h) = (width as usize, height as usize);
        let mut out = Vec::with_capacity(16 << 10);
        out.extend_from_slice(&[0xFF, 0xD8]);
        // APP0 JFIF 1.1, no density, no thumbnail.
        out.extend_from_slice(&[
            0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
        ]);
        out.extend_from_slice(&[0xFF, 0xDB, 0, 67, 0]);
        out.extend_from_slice(&self.q_zigzag);
        out.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8]);
        out.extend_from_slice(&(height as u16).to_be_bytes());
        out.extend_from_slice(&(width as u16).to_be_bytes());
        out.extend_from_slice(&[1, 1, 0x11, 0]);
        let dht_len = 2 + 17 + DC_VALS.len() + 17 + AC_VALS.len();
        out.extend_from_slice(&[0xFF, 0xC4]);
        out.extend_from_slice(&(dht_len as u16).to_be_bytes());
        out.push(0x00);
        out.extend_from_slice(&DC_BITS);
        out.extend_from_slice(&DC_VALS);
        out.push(0x10);
        out.extend_from_slice(&AC_BITS);
        out.extend_from_slice(&AC_VALS);
        out.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 63, 0]);

        if self.cache.len() > 50_000 {
            self.cache.clear();
        }
        let mut bw = BitWriter { out, acc: 0, n: 0 };
        let mut prev_dc = 0i32;
        let mut px = [0u8; 64];
        for by in 0..h.div_ceil(8) {
            for bx in 0..w.div_ceil(8) {
                // Edge blocks repeat the last row and column (T.81 A.2.4 padding).
                for r in 0..8 {
                    let row = (by * 8 + r).min(h - 1) * w;
                    for c in 0..8 {
                        px[r * 8 + c] = y[row + (bx * 8 + c).min(w - 1)];
                    }
                }
                let flat = px.iter().all(|&p| p == px[0]);
                let coef = if flat {
                    // A flat block has only its DC term: 8 * (level - 128) / Q00.
                    let mut c = [0i16; 64];
                    c[0] = ((px[0] as f32 - 128.0) * 8.0 / self.q[0]).round() as i16;
                    c
                } else {
                    match self.cache.get(&px) {
                        Some(c) => *c,
                        None => {
                            let c = self.transform(&px);
                            self.cache.insert(px, c);
                            c
                        }
                    }
                };
                let dc = coef[0] as i32;
                let (size, bits) = category(dc - prev_dc);
                prev_dc = dc;
                let (len, code) = self.dc[size as usize];
                bw.put(len, code);
                if size > 0 {
                    bw.put(size, bits);
                }
                let mut run = 0u8;
                let last = (1..64).rev().find(|&k| coef[k] != 0).unwrap_or(0);
                for &c in &coef[1..=last] {
                    if c == 0 {
                        run += 1;
                        continue;
                    }
                    while run > 15 {
                        let (len, code) = self.ac[0xF0];
                        bw.put(len, code);
                        run -= 16;
                    }
                    let (size, bits) = category(c as i32);
                    let (len, code) = self.ac[((run << 4) | size) as usize];
                    bw.put(len, code);
                    bw.put(size, bits);
                    run = 0;
                }
                if last < 63 {
                    let (len, code) = self.ac[0x00];
                    bw.put(len, code);
                }
            }
        }
        bw.finish();
        let mut out = bw.out;
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_close_to_the_input() {
        let (w, h) = (50u32, 36u32); // not multiples of 8: edge padding
        let y: Vec<u8> = (0..w * h)
            .map(|i| {
                let (x, r) = (i % w, i / w);
                if (x / 7 + r / 5) % 2 == 0 {
                    30
                } else {
                    220
                }
            })
            .collect();
        let mut enc = GrayJpegEncoder::new(90);
        let jpeg = enc.encode(&y, w, h);
        assert_eq!(enc.encode(&y, w, h), jpeg, "the cache changes nothing");
        assert!(crate::session::mjpeg::is_complete(&jpeg));
        let img = image::load_from_memory(&jpeg).unwrap().to_luma8();
        assert_eq!(img.dimensions(), (w, h));
        let err: f64 = img
            .as_raw()
            .iter()
            .zip(&y)
            .map(|(a, b)| (*a as f64 - *b as f64).abs())
            .sum::<f64>()
            / y.len() as f64;
        assert!(err < 12.0, "mean error {err}");
    }

    #[test]
    fn categories() {
        assert_eq!(category(0), (0, 0));
        assert_eq!(category(1), (1, 1));
        assert_eq!(category(-1), (1, 0));
        assert_eq!(category(-3), (2, 0));
        assert_eq!(category(255), (8, 255));
    }
}

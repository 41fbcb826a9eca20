//! A frame's capture time, drawn into its pixels in a machine-readable way.
//!
//! The simulated camera stamps every frame, so a test can decode a finished
//! film and tell which moment each of its frames shows. The stamp survives
//! JPEG, H.264 and scaling: it is a row of 42 wide cells across the top band
//! of the picture (a tenth of its height), each either dark or light:
//!
//! ```text
//! | start (light) | 32 bits of t_ms, MSB first | 8-bit check | end (dark) |
//! ```
//!
//! Light is luma 235, dark luma 16. The check byte is the XOR of the four
//! bytes of `t_ms` with 0xA5, so a frame that is not stamped (black, or a
//! picture) reads as `None` rather than as a wrong time.

/// Cells across the band: start, 32 data bits, 8 check bits, end.
pub const CELLS: u32 = 42;
const LIGHT: u8 = 235;
const DARK: u8 = 16;

fn check_byte(t: u32) -> u8 {
    t.to_be_bytes().iter().fold(0xA5, |a, b| a ^ b)
}

fn bits(t: u32) -> [bool; CELLS as usize] {
    let mut cells = [false; CELLS as usize];
    cells[0] = true;
    for i in 0..32 {
        cells[1 + i] = (t >> (31 - i)) & 1 == 1;
    }
    let c = check_byte(t);
    for i in 0..8 {
        cells[33 + i] = (c >> (7 - i)) & 1 == 1;
    }
    cells[41] = false;
    cells
}

/// The height of the stamp band for a picture `height` rows tall.
pub fn band_height(height: u32) -> u32 {
    (height / 10).max(4).min(height)
}

/// Draws `t_ms` into a luma plane (`stride` bytes per row).
pub fn draw_luma(y: &mut [u8], width: u32, height: u32, stride: usize, t_ms: u32) {
    let band = band_height(height) as usize;
    let cells = bits(t_ms);
    let w = width as usize;
    if band == 0 {
        return;
    }
    let (first, rest) = y.split_at_mut(stride);
    for (x, px) in first[..w].iter_mut().enumerate() {
        let cell = (x as u64 * CELLS as u64 / width as u64) as usize;
        *px = if cells[cell] { LIGHT } else { DARK };
    }
    // Every row of the band is the same.
    for row in 1..band {
        rest[(row - 1) * stride..][..w].copy_from_slice(&first[..w]);
    }
}

/// Reads a stamp back from a luma plane; `None` if there is none.
pub fn read_luma(y: &[u8], width: u32, height: u32, stride: usize) -> Option<u32> {
    if width < CELLS * 2 || height < 4 || y.len() < stride * height as usize {
        return None;
    }
    let band = band_height(height) as usize;
    // Sample the middle half of each cell over the middle half of the band,
    // away from edges that compression and scaling blur.
    let rows = (band / 4)..(band - band / 4).max(band / 4 + 1);
    let mut means = [0f64; CELLS as usize];
    for (c, mean) in means.iter_mut().enumerate() {
        // Pixel x is in cell floor(x * CELLS / width), so cell c starts at
        // ceil(c * width / CELLS).
        let start = |c: u64| (c * width as u64).div_ceil(CELLS as u64) as usize;
        let (x0, x1) = (start(c as u64), start(c as u64 + 1));
        let w = x1 - x0;
        let (a, b) = (x0 + w / 4, (x1 - w / 4).max(x0 + w / 4 + 1));
        let mut sum = 0u64;
        let mut n = 0u64;
        for row in rows.clone() {
            for &px in &y[row * stride + a..row * stride + b] {
                sum += px as u64;
                n += 1;
            }
        }
        *mean = sum as f64 / n.max(1) as f64;
    }
    let (light, dark) = (means[0], means[CELLS as usize - 1]);
    if light - dark < 60.0 {
        return None;
    }
    let mid = (light + dark) / 2.0;
    let bit = |i: usize| means[i] > mid;
    let mut t = 0u32;
    for i in 0..32 {
        t = (t << 1) | bit(1 + i) as u32;
    }
    let mut c = 0u8;
    for i in 0..8 {
        c = (c << 1) | bit(33 + i) as u8;
    }
    (c == check_byte(t)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_several_sizes() {
        for &(w, h) in &[(640u32, 480u32), (320, 240), (1280, 720), (96, 64)] {
            for &t in &[0u32, 1, 40, 123_456, u32::MAX] {
                let mut y = vec![128u8; (w * h) as usize];
                draw_luma(&mut y, w, h, w as usize, t);
                assert_eq!(read_luma(&y, w, h, w as usize), Some(t), "{w}x{h} t={t}");
            }
        }
    }

    #[test]
    fn survives_noise_and_rejects_unstamped_frames() {
        let (w, h) = (320u32, 240u32);
        let mut y = vec![0u8; (w * h) as usize];
        draw_luma(&mut y, w, h, w as usize, 987_654);
        for (i, px) in y.iter_mut().enumerate() {
            let noise = ((i * 7919) % 41) as i32 - 20;
            *px = (*px as i32 + noise).clamp(0, 255) as u8;
        }
        assert_eq!(read_luma(&y, w, h, w as usize), Some(987_654));
        assert_eq!(
            read_luma(&vec![16u8; (w * h) as usize], w, h, w as usize),
            None
        );
        let gradient: Vec<u8> = (0..w * h).map(|i| (i % w * 255 / w) as u8).collect();
        assert_eq!(read_luma(&gradient, w, h, w as usize), None);
    }

    #[test]
    fn a_flipped_bit_is_caught() {
        let (w, h) = (420u32, 100u32);
        let mut y = vec![0u8; (w * h) as usize];
        draw_luma(&mut y, w, h, w as usize, 5000);
        // Invert cell 10 (a data bit).
        let x0 = (10 * w / CELLS) as usize;
        let x1 = (11 * w / CELLS) as usize;
        for row in 0..band_height(h) as usize {
            for px in &mut y[row * w as usize + x0..row * w as usize + x1] {
                *px = if *px == LIGHT { DARK } else { LIGHT };
            }
        }
        assert_eq!(read_luma(&y, w, h, w as usize), None);
    }
}

//! A tiny built-in bitmap font for times (`mm:ss.mmm`): digits, `:` and `.`.
//!
//! Built in so that labels never depend on fonts being installed. Each glyph
//! is 3x5 cells, drawn at any whole-number scale.

/// Glyph width and height in cells, and the gap between glyphs.
pub const GLYPH_W: u32 = 3;
pub const GLYPH_H: u32 = 5;
const GAP: u32 = 1;

/// Rows of each glyph, top to bottom, 3 bits each (MSB left).
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        ':' => [0b000, 0b010, 0b000, 0b010, 0b000],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        _ => [0; 5],
    }
}

/// The size in pixels of `text` drawn at `scale`.
pub fn text_size(text: &str, scale: u32) -> (u32, u32) {
    let n = text.chars().count() as u32;
    let w = if n == 0 { 0 } else { n * (GLYPH_W + GAP) - GAP };
    (w * scale, GLYPH_H * scale)
}

/// Calls `set(x, y)` for every lit pixel of `text` drawn at `scale` with its
/// top-left corner at the origin.
pub fn for_each_pixel(text: &str, scale: u32, mut set: impl FnMut(u32, u32)) {
    for (i, c) in text.chars().enumerate() {
        let x0 = i as u32 * (GLYPH_W + GAP) * scale;
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..GLYPH_W {
                if bits >> (GLYPH_W - 1 - col) & 1 == 1 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            set(x0 + col * scale + dx, row as u32 * scale + dy);
                        }
                    }
                }
            }
        }
    }
}

/// A time in ms as `mm:ss.mmm` (minutes go past 59 for long sessions).
pub fn format_time(ms: u64) -> String {
    format!("{:02}:{:02}.{:03}", ms / 60_000, ms / 1000 % 60, ms % 1000)
}

/// Draws `text` into a luma plane at `(x, y)`, light on a dark box, clipped
/// to the plane.
#[allow(clippy::too_many_arguments)]
pub fn draw_luma(
    plane: &mut [u8],
    stride: usize,
    width: u32,
    height: u32,
    x: u32,
    y: u32,
    scale: u32,
    text: &str,
) {
    let (tw, th) = text_size(text, scale);
    let pad = scale;
    let mut put = |px: u32, py: u32, v: u8| {
        if px < width && py < height {
            if let Some(p) = plane.get_mut(py as usize * stride + px as usize) {
                *p = v;
            }
        }
    };
    for py in y.saturating_sub(pad)..y + th + pad {
        for px in x.saturating_sub(pad)..x + tw + pad {
            put(px, py, 16);
        }
    }
    for_each_pixel(text, scale, |dx, dy| put(x + dx, y + dy, 235));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_minutes_seconds_millis() {
        assert_eq!(format_time(0), "00:00.000");
        assert_eq!(format_time(83_007), "01:23.007");
        assert_eq!(format_time(3_600_000), "60:00.000");
    }

    #[test]
    fn glyphs_differ_and_fit_their_box() {
        let (w, h) = text_size("12:34.567", 2);
        assert_eq!((w, h), ((9 * 4 - 1) * 2, 10));
        let mut lit = std::collections::HashSet::new();
        for_each_pixel("0123456789", 1, |x, y| {
            assert!(x < 39 && y < 5);
            lit.insert((x, y));
        });
        // Every digit has its own shape.
        let shapes: std::collections::HashSet<Vec<(u32, u32)>> = (0..10)
            .map(|d| {
                let mut v: Vec<_> = lit
                    .iter()
                    .filter(|(x, _)| x / 4 == d)
                    .map(|(x, y)| (x % 4, *y))
                    .collect();
                v.sort();
                v
            })
            .collect();
        assert_eq!(shapes.len(), 10);
    }

    #[test]
    fn drawing_is_clipped_to_the_plane() {
        let mut plane = vec![100u8; 20 * 10];
        draw_luma(&mut plane, 20, 20, 10, 15, 7, 2, "88");
        assert!(plane.contains(&235));
        assert!(plane.contains(&16));
        assert_eq!(plane[0], 100);
    }
}

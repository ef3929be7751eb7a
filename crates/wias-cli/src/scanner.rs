//! The virtual scanner: procedurally generated pages that look like what a flatbed or
//! feeder delivers, so `wias scan` exercises the whole transfer path without hardware.
//!
//! Pages come out in page-buffer form (`docs/driver-rules.md`, "The page buffer"): top-down
//! rows padded to a byte, RGB order, bilevel 0 = black MSB first, 16-bit samples
//! little-endian. Content is a pure function of (kind, size, pixel type, seed): the same
//! scan gives the same pixels.

use wias::PixelType;

/// What is on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// A typed letter: a heading and paragraphs of glyph-like strokes.
    Text,
    /// A photograph: soft gradients, shapes and sensor noise.
    Photo,
    /// A magazine page: a colour picture over a colour-patch strip.
    Colour,
    /// A halftoned photograph (1-bit, ordered dither).
    Halftone,
}

impl PageKind {
    pub fn name(self) -> &'static str {
        match self {
            PageKind::Text => "text",
            PageKind::Photo => "photo",
            PageKind::Colour => "colour",
            PageKind::Halftone => "halftone",
        }
    }
}

/// A small, fast, deterministic random source (xorshift32).
struct Rng(u32);

impl Rng {
    fn new(seed: u32) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9) | 1)
    }
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    /// Uniform in `lo..hi` (`hi > lo`).
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// Renders one page of `kind` as `pixel` rows, `width` × `lines` at `dpi`.
pub fn render(
    kind: PageKind,
    pixel: PixelType,
    width: u32,
    lines: u32,
    dpi: u32,
    seed: u32,
) -> Vec<u8> {
    match (kind, pixel) {
        (PageKind::Text, PixelType::Bilevel) => text(width, lines, dpi, seed),
        (_, PixelType::Bilevel) => halftone(width, lines, |emit| {
            tone(PageKind::Photo, width, lines, seed, 1, emit)
        }),
        (PageKind::Text, _) => {
            // A text page on a gray or colour scanner: the same strokes, anti-aliased
            // by nothing but still text.
            let bits = text(width, lines, dpi, seed);
            let row = (width as usize).div_ceil(8);
            let mut q = Quantiser::new(pixel, seed, width, lines);
            for y in 0..lines as usize {
                for x in 0..width as usize {
                    let white = bits[y * row + x / 8] & (0x80 >> (x % 8)) != 0;
                    let v = if white { 0.94 } else { 0.08 };
                    for _ in 0..pixel.samples_per_pixel() {
                        q.push(v);
                    }
                }
            }
            q.out
        }
        (kind, p) => {
            let mut q = Quantiser::new(p, seed, width, lines);
            tone(kind, width, lines, seed, p.samples_per_pixel(), &mut |v| {
                q.push(v)
            });
            q.out
        }
    }
}

/// A page of text: margins of an inch, a heading, paragraphs with indented first
/// lines and ragged last lines, words of glyphs made of stems, bowls and bars.
fn text(width: u32, lines: u32, dpi: u32, seed: u32) -> Vec<u8> {
    let row = (width as usize).div_ceil(8);
    let mut page = vec![0xFFu8; row * lines as usize]; // all white (1)
    let mut rng = Rng::new(seed);
    let dpi = dpi.max(20);
    let margin = dpi.min(width / 8).min(lines / 8);
    let (left, right) = (margin, width.saturating_sub(margin));
    let bottom = lines.saturating_sub(margin);
    let mut ink = |x0: u32, y0: u32, x1: u32, y1: u32| {
        for y in y0..y1.min(lines) {
            let r = &mut page[y as usize * row..(y as usize + 1) * row];
            for x in x0..x1.min(width) {
                r[x as usize / 8] &= !(0x80 >> (x % 8));
            }
        }
    };
    let mut y = margin;
    // Heading: one line of large glyphs.
    let big = (dpi / 4).max(4);
    let mut x = left;
    for _ in 0..rng.range(2, 4) {
        let word = rng.range(4, 9);
        for _ in 0..word {
            glyph(&mut ink, &mut rng, x, y, big, big / 6 + 1);
            x += big * 3 / 4;
        }
        x += big / 2;
    }
    y += big * 2;
    // Body text: 12 pt type, 6 lines to the inch.
    let xh = (dpi / 14).max(3); // x-height
    let pitch = (dpi / 6).max(xh * 2);
    let stroke = (dpi / 100).max(1);
    let advance = xh * 3 / 4 + stroke;
    while y + pitch < bottom {
        let para = rng.range(3, 9);
        for l in 0..para {
            if y + pitch >= bottom {
                break;
            }
            let last = l + 1 == para;
            let mut x = left + if l == 0 { xh * 3 } else { 0 };
            let end = if last {
                left + (right - left) * rng.range(20, 80) / 100
            } else {
                right
            };
            loop {
                let word = rng.range(1, 10);
                if x + word * advance > end {
                    break;
                }
                for _ in 0..word {
                    glyph(&mut ink, &mut rng, x, y, xh, stroke);
                    x += advance;
                }
                x += advance; // the space
            }
            y += pitch;
        }
        y += pitch / 2; // paragraph gap
    }
    page
}

/// One glyph-like shape in an `h`-high cell at (x, y): a stem with an optional
/// ascender or descender, and a bowl or bar.
fn glyph(ink: &mut impl FnMut(u32, u32, u32, u32), rng: &mut Rng, x: u32, y: u32, h: u32, s: u32) {
    let w = h * 3 / 5;
    let top = y + h / 2; // ascender line at y, x-height band from top to top + h
    let r = rng.next();
    let (stem_top, stem_bot) = match r % 7 {
        0 => (y, top + h),           // ascender
        1 => (top, top + h + h / 2), // descender
        _ => (top, top + h),
    };
    let stem_x = if r & 8 == 0 { x } else { x + w - s };
    ink(stem_x, stem_top, stem_x + s, stem_bot);
    match (r >> 4) % 4 {
        0 => {
            // a bowl: top, bottom and far side
            ink(x, top, x + w, top + s);
            ink(x, top + h - s, x + w, top + h);
            let far = if stem_x == x { x + w - s } else { x };
            ink(far, top, far + s, top + h);
        }
        1 => ink(x, top + h / 2, x + w, top + h / 2 + s), // a bar
        2 => ink(x, top, x + w, top + s),                 // a cap
        _ => {}                                           // a plain stem (l, i)
    }
}

/// A continuous-tone page, `channels` samples per pixel in 0..=1, handed to `emit` one
/// by one in file order (never held as a page of floats: that would be four times the
/// page, the largest allocation of a scan).
fn tone(
    kind: PageKind,
    width: u32,
    lines: u32,
    seed: u32,
    channels: u32,
    emit: &mut (impl FnMut(f32) + ?Sized),
) {
    let (w, h) = (width as f32, lines as f32);
    let mut rng = Rng::new(seed ^ 0x5EED);
    // A few soft discs: (cx, cy, radius, strength, hue)
    let discs: Vec<(f32, f32, f32, f32, usize)> = (0..6)
        .map(|_| {
            (
                rng.range(0, 1000) as f32 / 1000.0 * w,
                rng.range(0, 1000) as f32 / 1000.0 * h,
                (rng.range(60, 250) as f32 / 1000.0) * w,
                rng.range(20, 60) as f32 / 100.0 - 0.3,
                rng.range(0, 6) as usize,
            )
        })
        .collect();
    // Per-column and per-row waves, computed once (no trig per pixel).
    let colwave: Vec<f32> = (0..width)
        .map(|x| (x as f32 / w * std::f32::consts::TAU * 1.5).sin() * 0.08)
        .collect();
    let rowwave: Vec<f32> = (0..lines)
        .map(|y| (y as f32 / h * std::f32::consts::TAU * 0.7).cos() * 0.08)
        .collect();
    const HUES: [[f32; 3]; 6] = [
        [0.9, 0.2, 0.2],
        [0.2, 0.7, 0.2],
        [0.2, 0.3, 0.9],
        [0.9, 0.8, 0.1],
        [0.7, 0.2, 0.8],
        [0.1, 0.8, 0.8],
    ];
    let patch_top = (h * 0.82) as u32;
    let c = channels as usize;
    for y in 0..lines {
        let fy = y as f32 / h;
        for x in 0..width {
            let fx = x as f32 / w;
            let mut px = [0f32; 3];
            if kind == PageKind::Colour && y >= patch_top {
                // colour patches: 12 hues and a gray ramp below
                let k = (fx * 12.0) as usize;
                let v = if fy > 0.91 { fx } else { 1.0 };
                let hue = HUES[k % 6];
                let shade = if k >= 6 { 0.55 } else { 1.0 };
                for (ch, p) in px.iter_mut().enumerate() {
                    *p = if fy > 0.91 { v } else { hue[ch] * shade };
                }
            } else {
                let base = if kind == PageKind::Colour {
                    // sky over ground
                    if fy < 0.5 {
                        [0.35 + fy * 0.6, 0.55 + fy * 0.5, 0.95]
                    } else {
                        [0.25 + fx * 0.2, 0.55 - (fy - 0.5) * 0.5, 0.2]
                    }
                } else {
                    let g = 0.25 + 0.5 * fx * (1.0 - fy) + 0.2 * fy;
                    [g, g, g]
                };
                px = base;
                let wave = colwave[x as usize] + rowwave[y as usize];
                for (cx, cy, r, s, hue) in &discs {
                    let d2 = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)) / (r * r);
                    if d2 < 1.0 {
                        let f = (1.0 - d2) * s;
                        for (ch, p) in px.iter_mut().enumerate() {
                            let tint = if kind == PageKind::Colour {
                                HUES[*hue][ch]
                            } else {
                                1.0
                            };
                            *p += f * tint;
                        }
                    }
                }
                for p in px.iter_mut() {
                    *p += wave;
                }
            }
            if c == 1 {
                emit((px[0] * 0.3 + px[1] * 0.59 + px[2] * 0.11).clamp(0.0, 1.0));
            } else {
                for p in px {
                    emit(p.clamp(0.0, 1.0));
                }
            }
        }
    }
}

/// Quantises 0..=1 samples to a pixel type's depth as they come, adding sensor noise
/// (about ±1.5 %), into the page's rows.
struct Quantiser {
    out: Vec<u8>,
    rng: Rng,
    wide: bool,
}

impl Quantiser {
    fn new(pixel: PixelType, seed: u32, width: u32, lines: u32) -> Self {
        let wide = pixel.bits_per_sample() == 16;
        let n = width as usize * lines as usize * pixel.samples_per_pixel() as usize;
        Quantiser {
            out: Vec::with_capacity(if wide { n * 2 } else { n }),
            rng: Rng::new(seed ^ 0xA11CE),
            wide,
        }
    }

    fn push(&mut self, s: f32) {
        let noise = (self.rng.next() % 1024) as f32 / 1024.0 * 0.03 - 0.015;
        let v = (s + noise).clamp(0.0, 1.0);
        if self.wide {
            let q = (v * 65535.0).round() as u16;
            self.out.extend_from_slice(&q.to_le_bytes());
        } else {
            self.out.push((v * 255.0).round() as u8);
        }
    }
}

/// Ordered (Bayer 8×8) dither of a gray page to 1-bit rows, 1 = white.
/// `gray` hands its samples (top-down rows) to the closure it is given.
fn halftone(width: u32, lines: u32, gray: impl FnOnce(&mut dyn FnMut(f32))) -> Vec<u8> {
    let row = (width as usize).div_ceil(8);
    let mut out = vec![0u8; row * lines as usize];
    let (mut x, mut y) = (0usize, 0usize);
    gray(&mut |v| {
        let t = (bayer(x & 7, y & 7) as f32 + 0.5) / 64.0;
        if v > t {
            out[y * row + x / 8] |= 0x80 >> (x % 8);
        }
        x += 1;
        if x == width as usize {
            x = 0;
            y += 1;
        }
    });
    out
}

/// The 8×8 Bayer threshold matrix, by bit interleaving.
fn bayer(x: usize, y: usize) -> u32 {
    let mut v = 0;
    for bit in 0..3 {
        let xb = (x >> bit) & 1;
        let yb = (y >> bit) & 1;
        v |= (((xb ^ yb) << 1) | yb) << (2 * (2 - bit));
    }
    v as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_have_the_size_of_their_pixel_type() {
        for p in PixelType::ALL {
            for k in [
                PageKind::Text,
                PageKind::Photo,
                PageKind::Colour,
                PageKind::Halftone,
            ] {
                let rows = render(k, p, 37, 23, 50, 1);
                let row = (37 * p.depth() as usize).div_ceil(8);
                assert_eq!(rows.len(), row * 23, "{k:?} {p:?}");
            }
        }
    }

    #[test]
    fn text_pages_are_mostly_paper_with_some_ink() {
        let rows = render(PageKind::Text, PixelType::Bilevel, 1240, 1754, 150, 7);
        let black: u32 = rows.iter().map(|b| b.count_zeros()).sum();
        let share = black as f64 / (1240.0 * 1754.0);
        assert!((0.02..0.25).contains(&share), "ink share {share}");
    }

    #[test]
    fn bayer_matrix_uses_every_threshold_once() {
        let mut seen = [false; 64];
        for y in 0..8 {
            for x in 0..8 {
                seen[bayer(x, y) as usize] = true;
            }
        }
        assert!(seen.iter().all(|s| *s));
    }
}

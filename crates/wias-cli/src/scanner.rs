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

/// Renders one page of `kind` as `pixel` rows, `width` × `lines` at `dpi`, into
/// `page`, reusing its allocation (the buffer of the page written before: a scan
/// holds one page buffer, not one per page).
///
/// Continuous-tone pages are drawn row by row (a few rows of `f32` scratch, never a
/// page of them), in horizontal bands on every core: a scanner's page arrives at
/// the speed of its optics, and the virtual one should not be slower than the
/// writer it feeds. Each row's noise has its own seed, so the pixels do not depend
/// on how many threads drew them.
pub fn render_into(
    page: &mut Vec<u8>,
    kind: PageKind,
    pixel: PixelType,
    (width, lines): (u32, u32),
    dpi: u32,
    seed: u32,
) {
    draw(page, kind, pixel, (width, lines), (dpi, seed), threads());
}

/// [`render_into`] on up to `threads` threads.
fn draw(
    page: &mut Vec<u8>,
    kind: PageKind,
    pixel: PixelType,
    (width, lines): (u32, u32),
    (dpi, seed): (u32, u32),
    threads: usize,
) {
    let row = (width as usize * pixel.depth() as usize).div_ceil(8);
    let size = row * lines as usize;
    page.clear();
    match (kind, pixel) {
        (PageKind::Text, PixelType::Bilevel) => {
            page.resize(size, 0xFF);
            text(page, width, lines, dpi, seed);
        }
        (PageKind::Text, _) => {
            // A text page on a gray or colour scanner: the same strokes, anti-aliased
            // by nothing but still text.
            let mut bits = vec![0xFF; (width as usize).div_ceil(8) * lines as usize];
            text(&mut bits, width, lines, dpi, seed);
            let bit_row = (width as usize).div_ceil(8);
            page.resize(size, 0);
            let samples = pixel.samples_per_pixel() as usize;
            in_bands(page, row, threads, &|y0, band| {
                let mut mix = Vec::new();
                let mut noise = Vec::new();
                for (i, out) in band.chunks_exact_mut(row).enumerate() {
                    let y = y0 + i;
                    let ink = &bits[y * bit_row..(y + 1) * bit_row];
                    mix.clear();
                    mix.extend((0..width as usize).flat_map(|x| {
                        let white = ink[x / 8] & (0x80 >> (x % 8)) != 0;
                        std::iter::repeat_n(if white { 0.94 } else { 0.08 }, samples)
                    }));
                    quantise(&mix, &mut noise, Noise::for_row(seed, y), out);
                }
            });
        }
        (_, PixelType::Bilevel) => {
            page.resize(size, 0);
            let picture = Picture::new(PageKind::Photo, width, lines, seed);
            in_bands(page, row, threads, &|y0, band| {
                let mut planes = Planes::new(width);
                for (i, out) in band.chunks_exact_mut(row).enumerate() {
                    let y = y0 + i;
                    picture.row(y as u32, &mut planes);
                    halftone(&planes.0[0], y, out);
                }
            });
        }
        (kind, pixel) => {
            page.resize(size, 0);
            let picture = Picture::new(kind, width, lines, seed);
            let samples = pixel.samples_per_pixel() as usize;
            in_bands(page, row, threads, &|y0, band| {
                let mut planes = Planes::new(width);
                let mut mix = Vec::with_capacity(width as usize * samples);
                let mut noise = Vec::new();
                for (i, out) in band.chunks_exact_mut(row).enumerate() {
                    let y = y0 + i;
                    picture.row(y as u32, &mut planes);
                    planes.samples(picture.planes(), samples, &mut mix);
                    quantise(&mix, &mut noise, Noise::for_row(seed, y), out);
                }
            });
        }
    }
}

/// How many threads draw a page: one per core.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Splits `page` (rows of `row` bytes) into up to `threads` bands of whole rows and
/// calls `draw(first row, band)` for each, the bands on their own threads. Small
/// pages are drawn on the calling thread alone.
fn in_bands(page: &mut [u8], row: usize, threads: usize, draw: &(dyn Fn(usize, &mut [u8]) + Sync)) {
    if row == 0 {
        return;
    }
    let lines = page.len() / row;
    let threads = threads.min(lines / 64).max(1);
    if threads == 1 {
        draw(0, page);
        return;
    }
    let per = lines.div_ceil(threads);
    std::thread::scope(|scope| {
        let mut bands = page.chunks_mut(per * row).enumerate();
        let first = bands.next();
        for (i, band) in bands {
            scope.spawn(move || draw(i * per, band));
        }
        if let Some((_, band)) = first {
            draw(0, band);
        }
    });
}

/// A page of text: margins of an inch, a heading, paragraphs with indented first
/// lines and ragged last lines, words of glyphs made of stems, bowls and bars.
/// `page` is all white (1) on entry.
fn text(page: &mut [u8], width: u32, lines: u32, dpi: u32, seed: u32) {
    let row = (width as usize).div_ceil(8);
    let mut rng = Rng::new(seed);
    let dpi = dpi.max(20);
    let margin = dpi.min(width / 8).min(lines / 8);
    let (left, right) = (margin, width.saturating_sub(margin));
    let bottom = lines.saturating_sub(margin);
    let mut ink = |x0: u32, y0: u32, x1: u32, y1: u32| {
        for y in y0..y1.min(lines) {
            let r = &mut page[y as usize * row..(y as usize + 1) * row];
            clear_bits(r, x0 as usize, x1.min(width) as usize);
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

/// Sets bits `x0..x1` of a 1-bit row to 0 (ink), a byte at a time where it can.
fn clear_bits(row: &mut [u8], x0: usize, x1: usize) {
    let mut x = x0;
    while x < x1 {
        if x % 8 == 0 && x + 8 <= x1 {
            row[x / 8] = 0;
            x += 8;
        } else {
            row[x / 8] &= !(0x80 >> (x % 8));
            x += 1;
        }
    }
}

/// The colours of the discs and of the patch strip.
const HUES: [[f32; 3]; 6] = [
    [0.9, 0.2, 0.2],
    [0.2, 0.7, 0.2],
    [0.2, 0.3, 0.9],
    [0.9, 0.8, 0.1],
    [0.7, 0.2, 0.8],
    [0.1, 0.8, 0.8],
];

/// A soft disc: centre, radius, strength (negative: darker) and colour.
struct Disc {
    cx: f32,
    cy: f32,
    r: f32,
    s: f32,
    tint: [f32; 3],
}

/// A continuous-tone page, laid out once and drawn a row at a time: a photograph
/// (gray: a gradient, soft discs, waves) or a magazine page (colour: sky over ground
/// with tinted discs, then a strip of 12 colour patches over a gray ramp).
struct Picture {
    colour: bool,
    h: f32,
    fx: Vec<f32>,
    colwave: Vec<f32>,
    rowwave: Vec<f32>,
    discs: Vec<Disc>,
    patch_top: u32,
}

impl Picture {
    fn new(kind: PageKind, width: u32, lines: u32, seed: u32) -> Self {
        let (w, h) = (width as f32, lines as f32);
        let colour = kind == PageKind::Colour;
        let mut rng = Rng::new(seed ^ 0x5EED);
        let discs = (0..6)
            .map(|_| {
                let cx = rng.range(0, 1000) as f32 / 1000.0 * w;
                let cy = rng.range(0, 1000) as f32 / 1000.0 * h;
                let r = (rng.range(60, 250) as f32 / 1000.0) * w;
                let s = rng.range(20, 60) as f32 / 100.0 - 0.3;
                let hue = rng.range(0, 6) as usize;
                let tint = if colour { HUES[hue] } else { [1.0; 3] };
                Disc { cx, cy, r, s, tint }
            })
            .collect();
        // Per-column and per-row waves, computed once (no trig per pixel).
        Picture {
            colour,
            h,
            fx: (0..width).map(|x| x as f32 / w).collect(),
            colwave: (0..width)
                .map(|x| (x as f32 / w * std::f32::consts::TAU * 1.5).sin() * 0.08)
                .collect(),
            rowwave: (0..lines)
                .map(|y| (y as f32 / h * std::f32::consts::TAU * 0.7).cos() * 0.08)
                .collect(),
            discs,
            patch_top: (h * 0.82) as u32,
        }
    }

    /// Planes a row is drawn in: red, green and blue, or one gray.
    fn planes(&self) -> usize {
        if self.colour {
            3
        } else {
            1
        }
    }

    /// Draws row `y` into the first [`Picture::planes`] planes, samples around 0..=1
    /// (clamped later).
    fn row(&self, y: u32, planes: &mut Planes) {
        let fy = y as f32 / self.h;
        let fx = &self.fx[..];
        let [red, green, blue] = &mut planes.0;
        if self.colour && y >= self.patch_top {
            if fy > 0.91 {
                // a gray ramp
                for plane in [red, green, blue] {
                    plane.copy_from_slice(fx);
                }
            } else {
                // 12 patches: six hues, then the same darker
                for (x, &f) in fx.iter().enumerate() {
                    let k = (f * 12.0) as usize;
                    let shade = if k >= 6 { 0.55 } else { 1.0 };
                    let hue = HUES[k % 6];
                    (red[x], green[x], blue[x]) = (hue[0] * shade, hue[1] * shade, hue[2] * shade);
                }
            }
            return;
        }
        let wave = self.rowwave[y as usize];
        if self.colour {
            // sky over ground
            let (r, g, b) = if fy < 0.5 {
                ((0.35 + fy * 0.6, 0.0), 0.55 + fy * 0.5, 0.95)
            } else {
                ((0.25, 0.2), 0.55 - (fy - 0.5) * 0.5, 0.2)
            };
            for (x, (&f, &cw)) in fx.iter().zip(&self.colwave).enumerate() {
                red[x] = r.0 + r.1 * f + cw + wave;
                green[x] = g + cw + wave;
                blue[x] = b + cw + wave;
            }
        } else {
            let (a, b) = (0.5 * (1.0 - fy), 0.25 + 0.2 * fy + wave);
            for ((p, &f), &cw) in red.iter_mut().zip(fx).zip(&self.colwave) {
                *p = b + a * f + cw;
            }
        }
        let width = fx.len();
        for d in &self.discs {
            let dy = y as f32 - d.cy;
            let rest = d.r * d.r - dy * dy;
            if rest <= 0.0 {
                continue;
            }
            let half = rest.sqrt();
            let x0 = (d.cx - half).ceil().max(0.0) as usize;
            let x1 = ((d.cx + half).floor() + 1.0).max(0.0) as usize;
            let x1 = x1.min(width);
            if x0 >= x1 {
                continue;
            }
            let (inv, dy2) = (1.0 / (d.r * d.r), dy * dy);
            for (plane, tint) in planes.0.iter_mut().zip(d.tint).take(self.planes()) {
                let k = d.s * tint;
                for (i, p) in plane[x0..x1].iter_mut().enumerate() {
                    let dx = (x0 + i) as f32 - d.cx;
                    *p += (1.0 - (dx * dx + dy2) * inv).max(0.0) * k;
                }
            }
        }
    }
}

/// One row of a picture, plane by plane.
struct Planes([Vec<f32>; 3]);

impl Planes {
    fn new(width: u32) -> Self {
        let plane = vec![0.0; width as usize];
        Planes([plane.clone(), plane.clone(), plane])
    }

    /// The row's samples in file order, clamped to 0..=1: `samples` per pixel from
    /// the first `planes` planes (colour to gray by luminance, gray to colour by
    /// repeating).
    fn samples(&self, planes: usize, samples: usize, out: &mut Vec<f32>) {
        let [r, g, b] = &self.0;
        out.resize(r.len() * samples, 0.0);
        match (planes, samples) {
            (3, 3) => {
                for (((o, &r), &g), &b) in out.chunks_exact_mut(3).zip(r).zip(g).zip(b) {
                    o[0] = r.clamp(0.0, 1.0);
                    o[1] = g.clamp(0.0, 1.0);
                    o[2] = b.clamp(0.0, 1.0);
                }
            }
            (3, _) => {
                for (((o, &r), &g), &b) in out.iter_mut().zip(r).zip(g).zip(b) {
                    *o = (r * 0.3 + g * 0.59 + b * 0.11).clamp(0.0, 1.0);
                }
            }
            (_, 3) => {
                for (o, &v) in out.chunks_exact_mut(3).zip(r) {
                    o.fill(v.clamp(0.0, 1.0));
                }
            }
            _ => {
                for (o, &v) in out.iter_mut().zip(r) {
                    *o = v.clamp(0.0, 1.0);
                }
            }
        }
    }
}

/// Sensor noise: a row's own random stream (wyrand, 64 bits a step), seeded by the
/// page's seed and the row number.
struct Noise(u64);

impl Noise {
    fn for_row(seed: u32, y: usize) -> Self {
        let mut z =
            (u64::from(seed ^ 0xA11CE) << 32 | y as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        // splitmix64's finaliser: neighbouring rows get unrelated streams
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Noise(z ^ (z >> 31))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xA076_1D64_78BD_642F);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xE703_7ED1_A0B4_28DB);
        (t >> 64) as u64 ^ t as u64
    }

    /// Fills `out` with random bytes, eight from each step.
    fn fill(&mut self, out: &mut [u8]) {
        let mut eights = out.chunks_exact_mut(8);
        for eight in &mut eights {
            eight.copy_from_slice(&self.next().to_le_bytes());
        }
        let rest = eights.into_remainder();
        let last = self.next().to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

/// Quantises a row of 0..=1 samples to the depth of `out` (8 bits, or 16 bits
/// little-endian when `out` is twice as long), adding sensor noise of ±1.5 % (a
/// random byte per sample, 256 steps).
fn quantise(samples: &[f32], noise: &mut Vec<u8>, mut rng: Noise, out: &mut [u8]) {
    noise.resize(samples.len(), 0);
    rng.fill(noise);
    // Adding 2^23 to a float in 0..2^23 leaves it rounded to an integer in the low
    // bits of its mantissa: a rounding conversion the compiler vectorises (`as`
    // saturates sample by sample). The clamp keeps a sample pushed past 0 or 1 by
    // the noise black or white.
    const ROUND: f32 = 8_388_608.0;
    let step = 0.03 / 256.0;
    if out.len() == samples.len() {
        for ((o, &s), &n) in out.iter_mut().zip(samples).zip(noise.iter()) {
            let v = ((s + f32::from(n) * step - 0.015) * 255.0).clamp(0.0, 255.0);
            *o = (v + ROUND).to_bits() as u8;
        }
    } else {
        for ((o, &s), &n) in out.chunks_exact_mut(2).zip(samples).zip(noise.iter()) {
            let v = ((s + f32::from(n) * step - 0.015) * 65535.0).clamp(0.0, 65535.0);
            o.copy_from_slice(&((v + ROUND).to_bits() as u16).to_le_bytes());
        }
    }
}

/// Ordered (Bayer 8×8) dither of gray row `y` to 1-bit, 1 = white.
fn halftone(gray: &[f32], y: usize, out: &mut [u8]) {
    let t: [f32; 8] = std::array::from_fn(|x| (bayer(x, y & 7) as f32 + 0.5) / 64.0);
    for (byte, eight) in out.iter_mut().zip(gray.chunks(8)) {
        *byte = eight
            .iter()
            .zip(t)
            .enumerate()
            .fold(0, |b, (i, (&v, t))| if v > t { b | 0x80 >> i } else { b });
    }
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

    fn render(kind: PageKind, pixel: PixelType, w: u32, h: u32, dpi: u32, seed: u32) -> Vec<u8> {
        let mut page = Vec::new();
        render_into(&mut page, kind, pixel, (w, h), dpi, seed);
        page
    }

    #[test]
    fn pages_have_the_size_of_their_pixel_type() {
        for p in PixelType::ALL {
            for k in KINDS {
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

    const KINDS: [PageKind; 4] = [
        PageKind::Text,
        PageKind::Photo,
        PageKind::Colour,
        PageKind::Halftone,
    ];

    #[test]
    fn pages_do_not_depend_on_how_many_threads_draw_them() {
        // 700 lines: bands of 234, 350 or all rows; each row's noise has its own seed.
        for p in PixelType::ALL {
            for k in KINDS {
                let mut one = Vec::new();
                draw(&mut one, k, p, (301, 700), (60, 5), 1);
                for threads in [2, 3] {
                    let mut many = Vec::new();
                    draw(&mut many, k, p, (301, 700), (60, 5), threads);
                    assert!(one == many, "{k:?} {p:?} on {threads} threads");
                }
            }
        }
    }

    #[test]
    fn a_recycled_buffer_gives_the_same_page_as_a_new_one() {
        let fresh = render(PageKind::Photo, PixelType::Gray8, 400, 300, 60, 2);
        // The buffer last held a larger colour page, then a smaller text page.
        let mut buffer = render(PageKind::Colour, PixelType::Rgb24, 500, 400, 60, 1);
        render_into(
            &mut buffer,
            PageKind::Photo,
            PixelType::Gray8,
            (400, 300),
            60,
            2,
        );
        assert!(buffer == fresh);
        render_into(
            &mut buffer,
            PageKind::Text,
            PixelType::Bilevel,
            (90, 80),
            60,
            3,
        );
        render_into(
            &mut buffer,
            PageKind::Photo,
            PixelType::Gray8,
            (400, 300),
            60,
            2,
        );
        assert!(buffer == fresh);
    }

    #[test]
    fn pages_are_a_function_of_their_seed_with_noise_of_a_few_levels() {
        let a = render(PageKind::Photo, PixelType::Gray8, 600, 800, 70, 1);
        assert!(a == render(PageKind::Photo, PixelType::Gray8, 600, 800, 70, 1));
        assert!(a != render(PageKind::Photo, PixelType::Gray8, 600, 800, 70, 2));
        // Neighbouring pixels of a smooth photo differ by the noise: within ±8 levels
        // mostly, and not all equal.
        let diffs: Vec<i32> = a
            .chunks(600)
            .flat_map(|r| r.windows(2).map(|w| i32::from(w[1]) - i32::from(w[0])))
            .collect();
        let small = diffs.iter().filter(|d| d.abs() <= 8).count();
        assert!(small * 100 > diffs.len() * 99, "{small} of {}", diffs.len());
        assert!(diffs.iter().filter(|d| **d != 0).count() * 2 > diffs.len());
    }

    #[test]
    fn the_colour_page_ends_in_twelve_patches_over_a_gray_ramp() {
        let (w, h) = (1200u32, 1000u32);
        let page = render(PageKind::Colour, PixelType::Rgb24, w, h, 100, 4);
        let mean = |x0: u32, x1: u32, y0: u32, y1: u32, ch: usize| {
            let mut sum = 0u64;
            for y in y0..y1 {
                for x in x0..x1 {
                    sum += u64::from(page[((y * w + x) * 3) as usize + ch]);
                }
            }
            sum as f64 / f64::from((x1 - x0) * (y1 - y0))
        };
        // Patches between 82 % and 91 % of the height: six hues, then the same at 55 %.
        for k in 0..12 {
            let x0 = w * k / 12 + 20;
            let hue = HUES[(k % 6) as usize];
            let shade = if k >= 6 { 0.55 } else { 1.0 };
            for (ch, v) in hue.iter().enumerate() {
                let got = mean(x0, x0 + 50, 840, 890, ch);
                let want = f64::from(v * shade) * 255.0;
                assert!(
                    (got - want).abs() < 1.5,
                    "patch {k} channel {ch}: {got} vs {want}"
                );
            }
        }
        // The ramp below: gray, from black on the left to white on the right.
        let mut last = -20.0;
        for step in 0..10 {
            let x0 = w * step / 10;
            let (r, g, b) = (
                mean(x0, x0 + 40, 930, 990, 0),
                mean(x0, x0 + 40, 930, 990, 1),
                mean(x0, x0 + 40, 930, 990, 2),
            );
            assert!(
                (r - g).abs() < 1.5 && (g - b).abs() < 1.5,
                "ramp step {step}"
            );
            assert!(g > last + 15.0, "ramp step {step}: {g} after {last}");
            last = g;
        }
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

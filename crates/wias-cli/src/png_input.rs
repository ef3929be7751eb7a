//! PNG files as `wias write` inputs, decoded by the `png` crate into a page buffer:
//! 1-bit gray stays bilevel (PNG's 0 is black, as in the page buffer), 2- and 4-bit
//! gray and palettes are expanded (to 8-bit gray, to RGB), 16-bit samples turned
//! little-endian. The resolution is the file's pHYs chunk (pixels per metre) when it
//! states one. Transparency is refused rather than flattened onto a guessed
//! background: a page is opaque, and the user chooses how (as img2pdf does).

use std::io::Cursor;

use png::{BitDepth, ColorType, Decoder, Limits, Transformations, Unit};
use wias::{PageSpec, PixelType};

/// One PNG image as a page: its spec (resolution: the file's, else none) and rows.
pub struct PngPage {
    pub spec: PageSpec,
    /// The resolution the file states (pHYs in pixels per metre), in dpi.
    pub density: Option<(u32, u32)>,
    pub rows: Vec<u8>,
}

/// The most bytes a decoded PNG may take: a 1200-dpi A3 colour page is 0.6 GB.
const MAX_BYTES: usize = 4 << 30;

/// Decodes the PNG file `data` (the first image of an animated one is refused).
pub fn decode(data: &[u8]) -> Result<PngPage, String> {
    let limits = Limits { bytes: MAX_BYTES };
    let header = Decoder::new_with_limits(Cursor::new(data), limits)
        .read_info()
        .map_err(|e| format!("not a PNG wias can read: {e}"))?;
    let info = header.info();
    let (color, depth) = (info.color_type, info.bit_depth);
    if info.is_animated() {
        return Err("an animated PNG (APNG): give its frames as separate files".into());
    }
    let alpha = matches!(color, ColorType::GrayscaleAlpha | ColorType::Rgba) || info.trns.is_some();
    if alpha {
        return Err(
            "a PNG with transparency (alpha or tRNS): a page is opaque, so flatten it onto the background you want first (e.g. `convert in.png -background white -flatten out.png`)"
                .into(),
        );
    }
    let density = info.pixel_dims.and_then(|d| {
        let dpi = |ppm: u32| (f64::from(ppm) * 0.0254).round().clamp(1.0, 65535.0) as u32;
        (d.unit == Unit::Meter && d.xppu > 0 && d.yppu > 0).then(|| (dpi(d.xppu), dpi(d.yppu)))
    });
    drop(header);

    let bilevel = color == ColorType::Grayscale && depth == BitDepth::One;
    let mut dec = Decoder::new_with_limits(Cursor::new(data), limits);
    dec.set_transformations(if bilevel {
        Transformations::IDENTITY
    } else {
        Transformations::EXPAND
    });
    let mut reader = dec.read_info().map_err(|e| e.to_string())?;
    let size = reader
        .output_buffer_size()
        .ok_or("the image is too large for this machine")?;
    let mut rows = vec![0; size];
    let frame = reader
        .next_frame(&mut rows)
        .map_err(|e| format!("damaged PNG data: {e}"))?;
    rows.truncate(frame.line_size * frame.height as usize);
    let pixel = match (frame.color_type, frame.bit_depth) {
        (ColorType::Grayscale, BitDepth::One) => PixelType::Bilevel,
        (ColorType::Grayscale, BitDepth::Eight) => PixelType::Gray8,
        (ColorType::Grayscale, BitDepth::Sixteen) => PixelType::Gray16,
        (ColorType::Rgb, BitDepth::Eight) => PixelType::Rgb24,
        (ColorType::Rgb, BitDepth::Sixteen) => PixelType::Rgb48,
        (c, d) => {
            return Err(format!(
                "a PNG of {c:?} at {d:?} bits, which wias does not take"
            ))
        }
    };
    if pixel.bits_per_sample() == 16 {
        // PNG samples are big-endian; the page buffer's are little-endian.
        for pair in rows.chunks_exact_mut(2) {
            pair.swap(0, 1);
        }
    }
    Ok(PngPage {
        spec: PageSpec::new(frame.width, frame.height, pixel),
        density,
        rows,
    })
}

//! Second readers for compressed pages, sharing no code with wias or libtiff:
//! - `crate_pages`: the image-rs `tiff` crate parses every IFD, hands us the raw strips,
//!   and decodes the page where it supports the codec (none, PackBits, LZW, Deflate,
//!   predictor, G4, JPEG).
//! - `fax_decode`: the `fax` crate decodes G3 and G4 strips.
//! - `jpeg_decode`: `jpeg-decoder` decodes self-contained JPEG strips.
//!
//! Decoded pages are in page-buffer form (`docs/driver-rules.md`, "The page buffer"):
//! bilevel 0 = black, MSB first, rows padded to a byte, 16-bit samples little-endian, RGB
//! order.

use std::io::Cursor;
use std::path::Path;

use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;

/// One page as the `tiff` crate sees it.
pub struct CratePage {
    pub width: u32,
    pub height: u32,
    pub bits_per_sample: u16,
    pub samples_per_pixel: u16,
    pub photometric: u16,
    pub compression: u16,
    pub rows_per_strip: u32,
    /// Tags present, by number.
    pub tags: Vec<u16>,
    /// The strips' bytes as stored.
    pub strips: Vec<Vec<u8>>,
    /// The page decoded by the `tiff` crate, in page-buffer form.
    pub decoded: Result<Vec<u8>, String>,
}

fn num(d: &mut Decoder<Cursor<Vec<u8>>>, t: Tag, default: u64) -> u64 {
    d.find_tag(t)
        .ok()
        .flatten()
        .and_then(|v| v.into_u64().ok())
        .unwrap_or(default)
}

/// Every page of `path` through the `tiff` crate.
pub fn crate_pages(path: &Path) -> Result<Vec<CratePage>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut d = Decoder::new(Cursor::new(bytes.clone())).map_err(|e| e.to_string())?;
    let mut pages = Vec::new();
    loop {
        let (width, height) = d.dimensions().map_err(|e| e.to_string())?;
        let bps = num(&mut d, Tag::BitsPerSample, 1) as u16;
        let spp = num(&mut d, Tag::SamplesPerPixel, 1) as u16;
        let photometric = num(&mut d, Tag::PhotometricInterpretation, 99) as u16;
        let compression = num(&mut d, Tag::Compression, 1) as u16;
        let rps = num(&mut d, Tag::RowsPerStrip, u64::from(height)) as u32;
        let offs = d
            .find_tag(Tag::StripOffsets)
            .map_err(|e| e.to_string())?
            .ok_or("no StripOffsets")?
            .into_u64_vec()
            .map_err(|e| e.to_string())?;
        let lens = d
            .find_tag(Tag::StripByteCounts)
            .map_err(|e| e.to_string())?
            .ok_or("no StripByteCounts")?
            .into_u64_vec()
            .map_err(|e| e.to_string())?;
        let strips = offs
            .iter()
            .zip(&lens)
            .map(|(&o, &l)| {
                bytes
                    .get(o as usize..(o + l) as usize)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| format!("strip at {o}+{l} past the end"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tags = d
            .image_ifd()
            .directory()
            .iter()
            .map(|(t, _)| t.to_u16())
            .collect();
        let decoded = d.read_image().map_err(|e| e.to_string()).map(|r| match r {
            DecodingResult::U8(v) => v,
            DecodingResult::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            other => panic!(
                "unexpected sample type {:?}",
                std::mem::discriminant(&other)
            ),
        });
        pages.push(CratePage {
            width,
            height,
            bits_per_sample: bps,
            samples_per_pixel: spp,
            photometric,
            compression,
            rows_per_strip: rps,
            tags,
            strips,
            decoded,
        });
        if !d.more_images() {
            break;
        }
        d.next_image().map_err(|e| e.to_string())?;
    }
    Ok(pages)
}

/// Packs fax transitions (colour changes, starting white) into a page-buffer row.
fn pack_transitions(line: &[u32], width: u32, out: &mut Vec<u8>) {
    let rb = (width as usize).div_ceil(8);
    let start = out.len();
    out.resize(start + rb, 0);
    for (x, c) in fax::decoder::pels(line, width).enumerate() {
        if c == fax::Color::White {
            out[start + x / 8] |= 0x80 >> (x % 8);
        }
    }
}

/// Decodes the G3 (1-D, EOL per row) or G4 strips of a bilevel page with the `fax`
/// crate.
pub fn fax_decode(
    strips: &[Vec<u8>],
    g4: bool,
    width: u32,
    height: u32,
    rps: u32,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut left = height;
    for (i, s) in strips.iter().enumerate() {
        let rows = left.min(rps);
        let before = out.len();
        let mut n = 0u32;
        let ok = if g4 {
            fax::decoder::decode_g4(s.iter().copied(), width, Some(rows), |line| {
                pack_transitions(line, width, &mut out);
                n += 1;
            })
        } else {
            fax::decoder::decode_g3(s.iter().copied(), |line| {
                if n < rows {
                    pack_transitions(line, width, &mut out);
                }
                n += 1;
            })
        };
        if g4 && ok.is_none() {
            return Err(format!("fax: strip {i} does not decode"));
        }
        let got = (out.len() - before) / (width as usize).div_ceil(8);
        if got != rows as usize {
            return Err(format!("fax: strip {i} gave {got} rows, expected {rows}"));
        }
        left -= rows;
    }
    Ok(out)
}

/// Decodes self-contained JPEG strips with `jpeg-decoder` (converted to RGB or gray as
/// JFIF says) and stacks their rows.
pub fn jpeg_decode(strips: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (i, s) in strips.iter().enumerate() {
        let mut d = jpeg_decoder::Decoder::new(&s[..]);
        let px = d
            .decode()
            .map_err(|e| format!("jpeg-decoder: strip {i}: {e}"))?;
        out.extend_from_slice(&px);
    }
    Ok(out)
}

/// Peak signal-to-noise ratio of 8-bit samples `b` against `a`, in dB.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "sample counts differ");
    let se: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    if se == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64 * 255.0 * a.len() as f64 / se).log10()
}

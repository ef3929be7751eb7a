//! A page as a PDF image XObject: which filter holds its data as they are, and the data.
//!
//! - bilevel: CCITT Group 4 (`CCITTFaxDecode`, K −1) from the fax encoder, or Flate;
//! - 8-bit gray and RGB: Flate with PNG row filters chosen per row (Predictor 15,
//!   `predictor.rs`), or DCT with `jpeg`;
//! - 16-bit gray and RGB: 16 bits per component, Flate; PDF samples are big-endian, so
//!   the little-endian page-buffer samples are swapped;
//! - JPEG data (files, device pages): `DCTDecode`, byte for byte.

use std::borrow::Cow;

use super::{flate, predictor};
use crate::codec::{encoder_for, CodecChoice, CodecSettings, Compression, Container, StripLayout};
use crate::error::{Error, Result};
use crate::geometry::{to_usize, PageSpec};
use crate::pixel::PixelType;

/// How an image's data are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Uncompressed samples.
    None,
    /// zlib data; with `predictor`, each row was PNG-filtered first (`/Predictor 15`,
    /// the filter chosen per row).
    Flate { predictor: bool },
    /// CCITT Group 4, black and white runs, decoded with 0 = black.
    G4,
    /// A JPEG stream.
    Dct,
}

/// One page's image: what the XObject dictionary says, and its stream data.
pub(crate) struct Image<'a> {
    pub width: u32,
    pub height: u32,
    /// 1 (DeviceGray), 3 (DeviceRGB) or 4 (DeviceCMYK: JPEG files only).
    pub components: u8,
    pub bits: u8,
    /// The samples are stored inverted (Adobe's CMYK JPEGs): `/Decode [1 0 ...]`.
    pub inverted: bool,
    pub filter: Filter,
    pub data: Cow<'a, [u8]>,
}

/// The compressions a PDF page can be written with.
pub(crate) fn check(choice: CodecChoice, pixel: PixelType) -> Result<()> {
    match choice {
        CodecChoice::Auto => {}
        CodecChoice::Fixed(
            Compression::None | Compression::Deflate | Compression::G4 | Compression::Jpeg,
        ) => {}
        other => {
            return Err(Error::Unsupported(format!(
                "compression {} cannot be written to PDF (PDF pages take auto, none, deflate, g4 or jpeg)",
                other.name()
            )))
        }
    }
    choice.check(pixel)
}

/// Encodes one page of top-down rows in page-buffer form (bilevel 0 = black, 16-bit
/// samples little-endian) with `settings`.
pub(crate) fn encode<'a>(
    spec: &PageSpec,
    rows: &'a [u8],
    settings: &CodecSettings,
) -> Result<Image<'a>> {
    spec.validate()?;
    check(settings.compression, spec.pixel)?;
    let row_bytes = to_usize(spec.row_bytes(1)?, "row")?;
    let expected = spec.image_bytes(1)?;
    if rows.len() as u64 != expected {
        return Err(Error::WrongDataLength {
            expected,
            got: rows.len() as u64,
            detail: format!(
                "{} lines of {} bytes for {} pixels of {}",
                spec.lines, row_bytes, spec.width, spec.pixel
            ),
        });
    }
    // `auto` on a bilevel page: the smaller of G4 and Flate, decided as for a TIFF
    // page (a halftone is 3.2x its raw size in G4), not G4 always.
    let auto = settings.compression == CodecChoice::Auto;
    let compression = if auto && spec.pixel.is_bilevel() {
        crate::tiff::pick_bilevel(rows, spec.width, spec.lines, row_bytes, settings)?
    } else {
        settings.compression.resolve(spec.pixel)
    };
    let layout = StripLayout {
        width: spec.width,
        rows: spec.lines,
        pixel: spec.pixel,
        row_bytes,
    };
    let wide = spec.pixel.bits_per_sample() == 16;
    let (filter, data): (Filter, Cow<'a, [u8]>) = match compression {
        Compression::G4 => {
            // The fax encoder codes WhiteIsZero rows (1 = black); the runs it finds are
            // the page's black and white runs, which CCITTFaxDecode gives back with
            // its default BlackIs1 false (0 = black), our page-buffer convention.
            let inverted: Vec<u8> = rows.iter().map(|b| !b).collect();
            (
                Filter::G4,
                Cow::Owned(run(settings, spec.pixel, &inverted, &layout)?),
            )
        }
        Compression::Jpeg => (
            Filter::Dct,
            Cow::Owned(run(settings, spec.pixel, rows, &layout)?),
        ),
        Compression::Deflate => {
            let predictor = settings.predictor && !spec.pixel.is_bilevel();
            let mut samples = Cow::Borrowed(rows);
            if wide {
                swap16(samples.to_mut());
            }
            if predictor {
                let bpp =
                    (spec.pixel.samples_per_pixel() * spec.pixel.bits_per_sample() / 8) as usize;
                let filtered = predictor::filter_rows(&samples, row_bytes, bpp);
                (
                    Filter::Flate { predictor },
                    Cow::Owned(flate::compress(&filtered)?),
                )
            } else {
                let flate = CodecSettings::new(Compression::Deflate)
                    .predictor(false)
                    .deflate_level(settings.deflate_level);
                (
                    Filter::Flate { predictor },
                    Cow::Owned(run(&flate, spec.pixel, &samples, &layout)?),
                )
            }
        }
        _ if wide => {
            let mut samples = rows.to_vec();
            swap16(&mut samples);
            (Filter::None, Cow::Owned(samples))
        }
        _ => (Filter::None, Cow::Borrowed(rows)),
    };
    // `auto` never stores a bilevel page larger than its bits, as in TIFF.
    let small = auto && spec.pixel.is_bilevel() && data.len() >= rows.len();
    let (filter, data) = if small {
        (Filter::None, Cow::Borrowed(rows))
    } else {
        (filter, data)
    };
    Ok(Image {
        width: spec.width,
        height: spec.lines,
        components: spec.pixel.samples_per_pixel() as u8,
        bits: spec.pixel.bits_per_sample() as u8,
        inverted: false,
        filter,
        data,
    })
}

/// The page's data through the codec `settings` name, as one strip.
fn run(
    settings: &CodecSettings,
    pixel: PixelType,
    data: &[u8],
    layout: &StripLayout,
) -> Result<Vec<u8>> {
    let encoder = encoder_for(&settings.clone().predictor(false), pixel)?;
    let mut out = Vec::new();
    encoder.encode(data, layout, &mut out)?;
    Ok(out)
}

/// Little-endian 16-bit samples to big-endian, in place.
fn swap16(data: &mut [u8]) {
    for pair in data.chunks_exact_mut(2) {
        pair.swap(0, 1);
    }
}

/// A page a device already compressed (`G4` for bilevel pages, `Jpeg` for gray8 and
/// rgb24), stored without decoding it, once the check every container shares
/// (`codec::check::device_page`) has found it a whole image of `spec`.
pub(crate) fn passthrough<'a>(
    spec: &PageSpec,
    compression: Compression,
    data: &'a [u8],
) -> Result<Image<'a>> {
    let page = crate::codec::check::device_page(spec, compression, data, Container::Pdf)?;
    Ok(Image {
        width: spec.width,
        height: spec.lines,
        components: page
            .jpeg
            .map_or(spec.pixel.samples_per_pixel() as u8, |f| f.components),
        inverted: page.inverted_cmyk,
        bits: if compression == Compression::G4 { 1 } else { 8 },
        filter: if compression == Compression::G4 {
            Filter::G4
        } else {
            Filter::Dct
        },
        data: page.data,
    })
}

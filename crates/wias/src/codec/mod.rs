//! Strip codecs behind one small interface: encode one strip of rows into bytes.
//!
//! The container (TIFF) cuts a page into strips, asks a [`StripEncoder`] for each, and
//! writes the results in order. Bilevel strips arrive in TIFF WhiteIsZero form
//! (1 = black), multi-byte samples little-endian.

use crate::error::{Error, Result};
use crate::pixel::PixelType;
use crate::tiff::tags::{tag, Value};

/// How page data are compressed in the file.
///
/// ```
/// use wias::{Compression, PixelType};
/// assert!(Compression::None.check(PixelType::Rgb48).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Strips stored as they are (TIFF Compression 1).
    None,
}

impl Compression {
    /// The TIFF `Compression` tag value.
    pub fn tiff_code(self) -> u16 {
        match self {
            Compression::None => 1,
        }
    }

    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(Compression::None),
            _ => Err(Error::invalid("compression", s, "must be none")),
        }
    }

    /// Whether this compression can hold pages of `pixel` type; the error names both.
    pub fn check(self, pixel: PixelType) -> Result<()> {
        let _ = pixel;
        match self {
            Compression::None => Ok(()),
        }
    }
}

/// Everything a codec needs to know besides the bytes of a strip.
#[derive(Clone, Copy, Debug)]
pub struct StripLayout {
    /// Pixels per row.
    pub width: u32,
    /// Rows in this strip.
    pub rows: u32,
    /// Pixel type of the page.
    pub pixel: PixelType,
    /// Bytes per row (rows padded to whole bytes).
    pub row_bytes: usize,
}

/// Encodes one strip. Implementations are stateless between strips so that strips can
/// be encoded on several threads and the output stays the same.
pub trait StripEncoder: Send + Sync {
    /// Appends the encoded form of `strip` (`layout.rows` rows) to `out`.
    fn encode(&self, strip: &[u8], layout: &StripLayout, out: &mut Vec<u8>) -> Result<()>;

    /// Rows per strip must be a multiple of this (JPEG needs whole MCU rows).
    fn rows_multiple(&self) -> u32 {
        1
    }

    /// Tags this codec adds to each page's IFD (beyond Compression).
    fn tags(&self, pixel: PixelType) -> Vec<(u16, Value)> {
        let _ = pixel;
        Vec::new()
    }
}

/// Codec choice plus its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecSettings {
    pub compression: Compression,
}

impl Default for CodecSettings {
    fn default() -> Self {
        CodecSettings {
            compression: Compression::None,
        }
    }
}

/// Stores strips unchanged.
struct Uncompressed;

impl StripEncoder for Uncompressed {
    fn encode(&self, strip: &[u8], _layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(strip);
        Ok(())
    }
}

/// The encoder for `settings`, after checking it can hold `pixel` pages.
pub fn encoder_for(settings: &CodecSettings, pixel: PixelType) -> Result<Box<dyn StripEncoder>> {
    settings.compression.check(pixel)?;
    Ok(match settings.compression {
        Compression::None => Box::new(Uncompressed),
    })
}

/// The Compression tag for a page.
pub fn compression_tag(c: Compression) -> (u16, Value) {
    (tag::COMPRESSION, Value::Short(vec![c.tiff_code()]))
}

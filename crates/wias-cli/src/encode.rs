//! The encoding flags `write` and `scan` share, and the TIFF options they make.

use clap::{Args, ValueEnum};
use wias::tiff::Options;
use wias::{CodecSettings, Compression};

/// Container to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Multipage TIFF.
    Tiff,
    /// Windows bitmap: one page of 1, 8 or 24 bits.
    Bmp,
    /// WIA RAW: not supported yet, so not listed in --help (it says so when given).
    #[value(hide = true)]
    Raw,
}

/// Flags that decide how pages are encoded.
#[derive(Args, Debug, Clone)]
pub struct EncodeArgs {
    /// Output container; default: bmp when OUT ends in .bmp, else tiff.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// TIFF compression, any case: none, packbits, lzw, deflate (or zip), g3, g4, jpeg,
    /// or auto (bilevel pages: the smaller of G4 and Deflate; others: Deflate with the
    /// predictor; never larger than uncompressed).
    #[arg(long, default_value = "auto", value_parser = parse_compression)]
    pub compression: Compression,
    /// JPEG quality, 1 to 100 (with --compression jpeg).
    #[arg(long, default_value_t = wias::codec::DEFAULT_JPEG_QUALITY,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,
    /// Resolution, dots per inch (scanimage's --resolution is the same flag).
    #[arg(long, visible_alias = "resolution", value_name = "DPI",
          value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub dpi: Option<u32>,
}

impl EncodeArgs {
    /// The format asked for, or the one `out`'s extension names.
    pub fn format_for(&self, out: &str) -> Format {
        self.format.unwrap_or_else(|| {
            if out.to_ascii_lowercase().ends_with(".bmp") {
                Format::Bmp
            } else {
                Format::Tiff
            }
        })
    }

    /// The TIFF options these flags ask for. New codec settings (quality, predictor)
    /// go here, once, for both commands.
    pub fn tiff_options(&self) -> Result<Options, crate::Failure> {
        let codec = CodecSettings::new(self.compression).jpeg_quality(self.jpeg_quality);
        Ok(Options::default().codec(codec))
    }

    /// Whether a compression was asked for explicitly (BMP cannot hold one; `auto`
    /// means none there).
    pub fn compressed(&self) -> bool {
        !matches!(self.compression, Compression::None | Compression::Auto)
    }
}

/// `--compression`, parsed once into the library's codec type: every later check
/// compares codecs, never strings, so `NONE`, `Zip` and `deflate` behave alike.
fn parse_compression(s: &str) -> Result<Compression, String> {
    Compression::from_name(s).map_err(|_| {
        format!(
            "'{s}' is not a compression; use one of {} (any case; zip = deflate)",
            Compression::NAMES.join(", ")
        )
    })
}

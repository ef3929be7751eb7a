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
    /// WIA RAW (not supported yet).
    Raw,
}

/// Flags that decide how pages are encoded.
#[derive(Args, Debug, Clone)]
pub struct EncodeArgs {
    /// Output container; default: bmp when OUT ends in .bmp, else tiff.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// TIFF compression: none, packbits, lzw, deflate, g3, g4, jpeg, or auto (G4 for
    /// bilevel pages, Deflate with the predictor otherwise).
    #[arg(long, default_value = "auto")]
    pub compression: String,
    /// JPEG quality, 1 to 100 (with --compression jpeg).
    #[arg(long, default_value_t = wias::codec::DEFAULT_JPEG_QUALITY,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,
    /// Resolution, dots per inch [default: 300 for write (PNM has none), 150 for scan,
    /// the device's own for a SANE scan].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=65535))]
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
        let compression = Compression::from_name(&self.compression)
            .map_err(|e| crate::Failure::usage(format!("--compression: {e}")))?;
        let codec = CodecSettings::new(compression).jpeg_quality(self.jpeg_quality);
        Ok(Options::default().codec(codec))
    }

    /// Whether a compression was asked for explicitly (BMP cannot hold one; `auto`
    /// means none there).
    pub fn compressed(&self) -> bool {
        !matches!(self.compression.as_str(), "none" | "auto")
    }
}

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
    /// TIFF compression, by name (an unknown name is answered with the list of those
    /// this build has).
    #[arg(long, default_value = "none")]
    pub compression: String,
    /// Resolution, dots per inch [default: 300 for write (PNM has none), 150 for scan].
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
        // Other codec settings keep their defaults until flags for them exist.
        #[allow(clippy::needless_update)]
        let codec = CodecSettings {
            compression,
            ..CodecSettings::default()
        };
        Ok(Options::default().codec(codec))
    }

    /// Whether anything but uncompressed was asked for (BMP cannot hold it).
    pub fn compressed(&self) -> bool {
        self.compression != "none"
    }
}

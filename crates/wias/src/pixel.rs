//! The pixel types a scanner hands over, and what they mean in bits and samples.

use crate::error::{Error, Result};

/// One of the five pixel layouts WIA drivers use (`lDepth` 1, 8, 16, 24, 48).
///
/// Multi-byte samples (16 and 48 bit) are little-endian in page buffers; 1-bit rows are
/// packed MSB first with 0 = black.
///
/// ```
/// use wias::PixelType;
/// let p = PixelType::from_depth(24).unwrap();
/// assert_eq!(p, PixelType::Rgb24);
/// assert_eq!((p.samples_per_pixel(), p.bits_per_sample()), (3, 8));
/// assert!(PixelType::from_depth(7).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum PixelType {
    /// 1 bit per pixel, 0 = black, 1 = white.
    Bilevel,
    /// 8-bit gray, 0 = black.
    Gray8,
    /// 16-bit gray, little-endian, 0 = black.
    Gray16,
    /// 8 bits per sample, R G B.
    Rgb24,
    /// 16 bits per sample, little-endian, R G B.
    Rgb48,
}

impl PixelType {
    /// All pixel types, for tests and listings.
    pub const ALL: [PixelType; 5] = [
        PixelType::Bilevel,
        PixelType::Gray8,
        PixelType::Gray16,
        PixelType::Rgb24,
        PixelType::Rgb48,
    ];

    /// The pixel type for a WIA `lDepth` (bits per pixel).
    pub fn from_depth(depth: i64) -> Result<Self> {
        Ok(match depth {
            1 => PixelType::Bilevel,
            8 => PixelType::Gray8,
            16 => PixelType::Gray16,
            24 => PixelType::Rgb24,
            48 => PixelType::Rgb48,
            _ => {
                return Err(Error::invalid(
                    "lDepth",
                    depth,
                    "must be 1, 8, 16, 24 or 48 bits per pixel",
                ))
            }
        })
    }

    /// Bits per pixel (`lDepth`).
    pub fn depth(self) -> u32 {
        self.samples_per_pixel() * self.bits_per_sample()
    }

    /// Samples per pixel: 1 for bilevel and gray, 3 for RGB.
    pub fn samples_per_pixel(self) -> u32 {
        match self {
            PixelType::Rgb24 | PixelType::Rgb48 => 3,
            _ => 1,
        }
    }

    /// Bits per sample: 1, 8 or 16.
    pub fn bits_per_sample(self) -> u32 {
        match self {
            PixelType::Bilevel => 1,
            PixelType::Gray8 | PixelType::Rgb24 => 8,
            PixelType::Gray16 | PixelType::Rgb48 => 16,
        }
    }

    /// True for 1-bit pages.
    pub fn is_bilevel(self) -> bool {
        self == PixelType::Bilevel
    }

    /// A short name for messages: `bilevel`, `gray8`, `gray16`, `rgb24`, `rgb48`.
    pub fn name(self) -> &'static str {
        match self {
            PixelType::Bilevel => "bilevel",
            PixelType::Gray8 => "gray8",
            PixelType::Gray16 => "gray16",
            PixelType::Rgb24 => "rgb24",
            PixelType::Rgb48 => "rgb48",
        }
    }
}

impl std::fmt::Display for PixelType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

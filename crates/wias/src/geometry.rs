//! Page geometry: from a page description to line widths and byte counts, with every
//! multiplication checked so that a page whose size overflows is an error, never a wrap.

use crate::error::{Error, Result};
use crate::pixel::PixelType;

/// What one page is: its size in pixels, its pixel type and its resolution.
///
/// ```
/// use wias::{PageSpec, PixelType};
/// let spec = PageSpec::new(2481, 3508, PixelType::Gray8).dpi(300, 300);
/// assert_eq!(spec.row_bytes(1).unwrap(), 2481);
/// assert_eq!(spec.row_bytes(4).unwrap(), 2484); // BMP rows are padded to 4 bytes
/// assert_eq!(spec.image_bytes(1).unwrap(), 2481 * 3508);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSpec {
    /// Pixels per line.
    pub width: u32,
    /// Lines on the page.
    pub lines: u32,
    /// Layout of one pixel.
    pub pixel: PixelType,
    /// Horizontal resolution, dots per inch.
    pub xdpi: u32,
    /// Vertical resolution, dots per inch.
    pub ydpi: u32,
}

impl PageSpec {
    /// A page of `width` × `lines` pixels at 300 dpi.
    pub fn new(width: u32, lines: u32, pixel: PixelType) -> Self {
        PageSpec {
            width,
            lines,
            pixel,
            xdpi: 300,
            ydpi: 300,
        }
    }

    /// The same page at another resolution.
    pub fn dpi(mut self, x: u32, y: u32) -> Self {
        self.xdpi = x;
        self.ydpi = y;
        self
    }

    /// Checks what every container needs: at least one pixel and one line, and a
    /// non-zero resolution.
    pub fn validate(&self) -> Result<()> {
        if self.width == 0 {
            return Err(Error::invalid(
                "width",
                self.width,
                "a page needs at least one pixel per line",
            ));
        }
        if self.lines == 0 {
            return Err(Error::invalid(
                "lines",
                self.lines,
                "a page needs at least one line",
            ));
        }
        if self.xdpi == 0 {
            return Err(Error::invalid(
                "xdpi",
                self.xdpi,
                "resolution must be at least 1 dpi",
            ));
        }
        if self.ydpi == 0 {
            return Err(Error::invalid(
                "ydpi",
                self.ydpi,
                "resolution must be at least 1 dpi",
            ));
        }
        Ok(())
    }

    /// Bytes in one line, rows padded to a multiple of `align` bytes (1 for TIFF and RAW,
    /// 4 for BMP).
    pub fn row_bytes(&self, align: u32) -> Result<u64> {
        row_bytes(self.width, self.pixel, align)
    }

    /// Bytes of one uncompressed page with rows padded to `align`.
    pub fn image_bytes(&self, align: u32) -> Result<u64> {
        self.row_bytes(align)?
            .checked_mul(u64::from(self.lines))
            .ok_or_else(|| {
                overflow(
                    "image size",
                    format!("{} lines of {} pixels", self.lines, self.width),
                )
            })
    }
}

/// Bytes in one line of `width` pixels, padded to a multiple of `align` bytes.
pub(crate) fn row_bytes(width: u32, pixel: PixelType, align: u32) -> Result<u64> {
    let align = u64::from(align.max(1));
    let bits = u64::from(width) * u64::from(pixel.depth()); // u32 × 48 cannot overflow u64
    let bytes = bits.div_ceil(8);
    Ok(bytes.div_ceil(align) * align)
}

pub(crate) fn overflow(what: &'static str, detail: impl Into<String>) -> Error {
    Error::SizeOverflow {
        what,
        detail: detail.into(),
    }
}

/// Converts a size to `usize`, or says it does not fit in memory on this machine.
pub(crate) fn to_usize(v: u64, what: &'static str) -> Result<usize> {
    usize::try_from(v).map_err(|_| overflow(what, format!("{v} bytes do not fit in memory")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilevel_rows_round_up_to_whole_bytes() {
        assert_eq!(row_bytes(9, PixelType::Bilevel, 1).unwrap(), 2);
        assert_eq!(row_bytes(1728, PixelType::Bilevel, 1).unwrap(), 216);
        assert_eq!(row_bytes(9, PixelType::Bilevel, 4).unwrap(), 4);
        assert_eq!(row_bytes(7, PixelType::Rgb48, 1).unwrap(), 42);
        assert_eq!(row_bytes(7, PixelType::Rgb24, 4).unwrap(), 24);
    }

    #[test]
    fn huge_pages_are_errors_not_wraps() {
        let spec = PageSpec::new(u32::MAX, u32::MAX, PixelType::Rgb48);
        assert!(matches!(
            spec.image_bytes(1),
            Err(Error::SizeOverflow { .. })
        ));
    }

    #[test]
    fn empty_pages_are_rejected_by_name() {
        let e = PageSpec::new(0, 5, PixelType::Gray8)
            .validate()
            .unwrap_err();
        assert!(e.to_string().starts_with("width = 0"));
    }
}

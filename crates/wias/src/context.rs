//! The transfer context: the Rust form of `MINIDRV_TRANSFER_CONTEXT`, and
//! `wiasGetImageInformation` over it.

use crate::bmp;
use crate::error::{Error, Result};
use crate::format::{Guid, ImageFormat};
use crate::geometry::PageSpec;
use crate::pixel::PixelType;

/// `TYMED_*` values: how the data reach the application.
pub mod tymed {
    pub const FILE: i32 = 2;
    pub const CALLBACK: i32 = 128;
    pub const MULTIPAGE_FILE: i32 = 256;
    pub const MULTIPAGE_CALLBACK: i32 = 512;
}

/// `WIA_COMPRESSION_*` values: what form the device delivered the data in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceCompression {
    None,
    BiRle4,
    BiRle8,
    G3,
    G4,
    Jpeg,
    Jbig,
    Jpeg2k,
    Png,
}

impl DeviceCompression {
    /// From `lCompression`.
    pub fn from_wia(v: i32) -> Result<Self> {
        Ok(match v {
            0 => DeviceCompression::None,
            1 => DeviceCompression::BiRle4,
            2 => DeviceCompression::BiRle8,
            3 => DeviceCompression::G3,
            4 => DeviceCompression::G4,
            5 => DeviceCompression::Jpeg,
            6 => DeviceCompression::Jbig,
            7 => DeviceCompression::Jpeg2k,
            8 => DeviceCompression::Png,
            _ => {
                return Err(Error::invalid(
                    "lCompression",
                    v,
                    "is not a WIA_COMPRESSION_* value (0..8)",
                ))
            }
        })
    }

    /// The `WIA_COMPRESSION_*` value.
    pub fn to_wia(self) -> i32 {
        self as i32
    }
}

/// Everything `MINIDRV_TRANSFER_CONTEXT` carries about an image transfer, in Rust types.
/// Field names follow the C structure without their Hungarian prefixes; the buffers and
/// the file handle stay in the C layer, which hands the library slices and sinks.
///
/// ```
/// use wias::{TransferContext, guids, context::tymed};
/// let mut ctx = TransferContext::new(1728, 40, 1, guids::TIFF, tymed::MULTIPAGE_FILE);
/// let info = ctx.image_information().unwrap();
/// assert_eq!(ctx.width_in_bytes, 216);
/// assert_eq!(ctx.image_size, 216 * 40);
/// assert_eq!(ctx.item_size, 0); // multipage TIFF: unknown until written
/// assert!(info.header.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferContext {
    /// `lWidthInPixels`: pixels per line.
    pub width_in_pixels: i32,
    /// `lLines`: lines in the page; 0 when unknown when the scan starts (the data
    /// then say, see [`crate::transfer::page_data`]).
    pub lines: i32,
    /// `lDepth`: bits per pixel, 1, 8, 16, 24 or 48 ([`PixelType::from_depth`]).
    pub depth: i32,
    /// `lXRes`: horizontal resolution, dots per inch.
    pub xres: i32,
    /// `lYRes`: vertical resolution, dots per inch.
    pub yres: i32,
    /// `lCompression`: the `WIA_COMPRESSION_*` the page buffer is in (0 = none;
    /// [`DeviceCompression`]).
    pub compression: i32,
    /// `guidFormatID`: the file format to write ([`crate::guids`]).
    pub format: Guid,
    /// `tymed`: file or callback, single or multipage ([`tymed`]).
    pub tymed: i32,
    /// `lImageSize`: bytes of uncompressed image data in one page
    /// ([`TransferContext::image_information`] sets it).
    pub image_size: i32,
    /// `lHeaderSize`: bytes of header in front of the page data in the buffer.
    pub header_size: i32,
    /// `lItemSize`: header + data bytes; 0 when unknown before acquisition.
    pub item_size: i32,
    /// `cbWidthInBytes`: bytes per line of the page data.
    pub width_in_bytes: i32,
    /// `lPage`: the page of a multipage TIFF being written, from 0.
    pub page: i32,
    /// `lCurIfdOffset`: where the TIFF chain stands after the last page, carried from
    /// call to call (see [`crate::transfer::write_page_buf`]).
    pub cur_ifd_offset: i32,
    /// `lPrevIfdOffset`: the previous value of `cur_ifd_offset` (see
    /// [`crate::transfer::write_page_buf`]).
    pub prev_ifd_offset: i32,
}

/// What `wiasGetImageInformation` derives for a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub width_in_bytes: u64,
    pub image_size: u64,
    pub header_size: u64,
    pub item_size: u64,
    /// The header to put in front of the page data (BMP, MEMORYBMP), possibly empty.
    pub header: Vec<u8>,
}

impl TransferContext {
    /// A context for an uncompressed transfer at 300 dpi, page 0.
    pub fn new(width: i32, lines: i32, depth: i32, format: Guid, tymed: i32) -> Self {
        TransferContext {
            width_in_pixels: width,
            lines,
            depth,
            xres: 300,
            yres: 300,
            compression: 0,
            format,
            tymed,
            image_size: 0,
            header_size: 0,
            item_size: 0,
            width_in_bytes: 0,
            page: 0,
            cur_ifd_offset: 0,
            prev_ifd_offset: 0,
        }
    }

    /// The image format named by `format`.
    pub fn image_format(&self) -> ImageFormat {
        ImageFormat::from_guid(self.format)
    }

    /// The pixel type named by `depth`.
    pub fn pixel(&self) -> Result<PixelType> {
        PixelType::from_depth(i64::from(self.depth))
    }

    /// The device compression named by `compression`.
    pub fn device_compression(&self) -> Result<DeviceCompression> {
        DeviceCompression::from_wia(self.compression)
    }

    /// Checks the image fields and returns the page they describe. `lines` may be 0
    /// (length unknown when the scan started); the spec then has `lines == 0` and the
    /// caller derives it from the data.
    pub fn page_spec(&self) -> Result<PageSpec> {
        let pixel = self.pixel()?;
        if self.width_in_pixels <= 0 {
            return Err(Error::invalid(
                "lWidthInPixels",
                self.width_in_pixels,
                "must be at least 1",
            ));
        }
        if self.lines < 0 {
            return Err(Error::invalid(
                "lLines",
                self.lines,
                "must be 0 (unknown) or more",
            ));
        }
        if self.xres <= 0 {
            return Err(Error::invalid("lXRes", self.xres, "must be at least 1 dpi"));
        }
        if self.yres <= 0 {
            return Err(Error::invalid("lYRes", self.yres, "must be at least 1 dpi"));
        }
        Ok(
            PageSpec::new(self.width_in_pixels as u32, self.lines as u32, pixel)
                .dpi(self.xres as u32, self.yres as u32),
        )
    }

    /// `wiasGetImageInformation`: derives line width, image, header and item sizes for
    /// the format, stores them in the context and returns them with the header bytes.
    /// Every size must fit in the context's 32-bit fields; one that does not is an
    /// error and the context is left as it was.
    pub fn image_information(&mut self) -> Result<ImageInfo> {
        let spec = self.page_spec()?;
        let compression = self.device_compression()?;
        let format = self.image_format();
        let (align, header) = match format {
            ImageFormat::Tiff | ImageFormat::Raw | ImageFormat::Jpeg => (1, Vec::new()),
            ImageFormat::Bmp | ImageFormat::MemoryBmp => {
                bmp::check(spec.pixel)?;
                let with_file = format == ImageFormat::Bmp;
                let header = if spec.lines > 0 {
                    bmp::header(&spec, with_file)?
                } else {
                    // Height unknown: the header is written with the page.
                    vec![0; bmp::header_len(spec.pixel, with_file) as usize]
                };
                (4, header)
            }
            ImageFormat::Other(g) => {
                return Err(Error::invalid(
                    "guidFormatID",
                    g,
                    "is not a format wias writes (TIFF, BMP, MEMORYBMP, JPEG)",
                ))
            }
        };
        if format == ImageFormat::Raw {
            return Err(Error::Unsupported(
                "the WIA RAW format (WIA_RAW_HEADER) is not written yet".into(),
            ));
        }
        if format == ImageFormat::Jpeg && compression != DeviceCompression::Jpeg {
            return Err(Error::invalid(
                "lCompression",
                self.compression,
                "JPEG format needs WIA_COMPRESSION_JPEG (5): wias hands JPEG data over, it does not encode to a JPEG file",
            ));
        }
        let width_in_bytes = spec.row_bytes(align)?;
        let image_size = spec.image_bytes(align)?;
        let header_size = header.len() as u64;
        let multipage_tiff = format == ImageFormat::Tiff && self.tymed == tymed::MULTIPAGE_FILE;
        let item_size =
            if compression != DeviceCompression::None || multipage_tiff || spec.lines == 0 {
                0
            } else {
                image_size.saturating_add(header_size)
            };
        let fit = |v: u64, field: &'static str| {
            i32::try_from(v).map_err(|_| Error::SizeOverflow {
                what: field,
                detail: format!(
                    "{v} bytes do not fit in a 32-bit LONG ({} x {} at {} bits)",
                    self.width_in_pixels, self.lines, self.depth
                ),
            })
        };
        let (wb, is, hs, it) = (
            fit(width_in_bytes, "cbWidthInBytes")?,
            fit(image_size, "lImageSize")?,
            fit(header_size, "lHeaderSize")?,
            fit(item_size, "lItemSize")?,
        );
        self.width_in_bytes = wb;
        self.image_size = is;
        self.header_size = hs;
        self.item_size = it;
        Ok(ImageInfo {
            width_in_bytes,
            image_size,
            header_size,
            item_size,
            header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::guids;

    #[test]
    fn bmp_sizes_include_padding_header_and_palette() {
        let mut ctx = TransferContext::new(7, 3, 8, guids::BMP, tymed::FILE);
        let info = ctx.image_information().unwrap();
        assert_eq!(info.width_in_bytes, 8);
        assert_eq!(info.image_size, 24);
        assert_eq!(info.header_size, 14 + 40 + 1024);
        assert_eq!(info.item_size, 24 + 14 + 40 + 1024);
        let mut mem = TransferContext::new(7, 3, 24, guids::MEMORYBMP, tymed::CALLBACK);
        let info = mem.image_information().unwrap();
        assert_eq!((info.width_in_bytes, info.header_size), (24, 40));
    }

    #[test]
    fn sizes_that_overflow_a_long_are_errors() {
        let mut ctx = TransferContext::new(100_000, 100_000, 48, guids::TIFF, tymed::FILE);
        let before = ctx.clone();
        let e = ctx.image_information().unwrap_err();
        assert!(
            matches!(
                e,
                Error::SizeOverflow {
                    what: "lImageSize",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(ctx, before);
    }

    #[test]
    fn bad_fields_name_themselves() {
        let mut ctx = TransferContext::new(10, 10, 7, guids::TIFF, tymed::FILE);
        assert!(ctx
            .image_information()
            .unwrap_err()
            .to_string()
            .starts_with("lDepth = 7"));
        let mut ctx = TransferContext::new(10, 10, 8, guids::PDFA, tymed::FILE);
        assert!(ctx
            .image_information()
            .unwrap_err()
            .to_string()
            .starts_with("guidFormatID = {9980bd5b"));
        let mut ctx = TransferContext::new(10, 10, 16, guids::BMP, tymed::FILE);
        assert_eq!(
            ctx.image_information().unwrap_err().hresult(),
            crate::hresult::E_INVALIDARG
        );
    }
}

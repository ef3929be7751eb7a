//! The transfer context: the Rust form of `MINIDRV_TRANSFER_CONTEXT`, and
//! `wiasGetImageInformation` over it.

use crate::bmp;
use crate::error::{Error, Result};
use crate::format::{guids, Guid, ImageFormat};
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
/// `page`, `cur_ifd_offset` and `prev_ifd_offset` belong to the library, as they belong
/// to the WIA service on Windows: a caller leaves them as [`TransferContext::new`] set
/// them (0) and [`crate::transfer::write_page_buf`] advances them after every TIFF page
/// (`docs/driver-rules.md`, "The page fields").
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
    /// `bTransferDataCB`: a memory-callback transfer, whose TIFF header is a complete
    /// single-page TIFF (see [`TransferContext::image_information`]).
    pub transfer_data_cb: bool,
    /// `lImageSize`: bytes of uncompressed image data in one page
    /// ([`TransferContext::image_information`] sets it).
    pub image_size: i32,
    /// `lHeaderSize`: bytes of header in front of the page data in the buffer.
    pub header_size: i32,
    /// `lItemSize`: header + data bytes; 0 when unknown before acquisition.
    pub item_size: i32,
    /// `cbWidthInBytes`: bytes per line of the page data.
    pub width_in_bytes: i32,
    /// `lPage`: the page of a multipage TIFF being written, from 0 (the library's: see
    /// above).
    pub page: i32,
    /// `lCurIfdOffset`: where the TIFF chain stands after the last page, carried from
    /// call to call (the library's: see [`crate::transfer::write_page_buf`]).
    pub cur_ifd_offset: i32,
    /// `lPrevIfdOffset`: the library's, with `cur_ifd_offset` (see
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
    /// The header to put in front of the page data (BMP, MEMORYBMP, callback TIFF),
    /// possibly empty.
    pub header: Vec<u8>,
    /// False when `guidFormatID` is not a format wias knows: the sizes are those of raw
    /// rows (padded to a byte) and there is no header. `wiasGetImageInformation` then
    /// returns `S_FALSE`, as on Windows.
    pub known_format: bool,
}

/// Formats whose data a device delivers compressed, in their own file form: wias hands
/// them over as they are, so there are no rows and no header to size
/// (`cbWidthInBytes` and `lHeaderSize` are 0, `lItemSize` is known only at the end).
const COMPRESSED_FORMATS: [Guid; 13] = [
    guids::JPEG,
    guids::PNG,
    guids::GIF,
    guids::EXIF,
    guids::JPEG2K,
    guids::JPEG2KX,
    guids::JBIG,
    guids::JBIG2,
    guids::PDFA,
    guids::XPS,
    guids::FLASHPIX,
    guids::PHOTOCD,
    guids::CIFF,
];

/// How `wiasGetImageInformation` sizes a format.
enum Sizing {
    /// Rows padded to `align` bytes, after `header`.
    Rows { align: u32, header: Vec<u8> },
    /// The device's own compressed file form.
    Compressed,
    /// A GUID wias does not know: raw rows, no header, `S_FALSE`.
    Unknown,
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
            transfer_data_cb: false,
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
    ///
    /// - BMP / MEMORYBMP: rows padded to 4 bytes; the header (file header for BMP, info
    ///   header, palette) is complete also when `lines` is 0 (height 0, image size 0,
    ///   `item_size = header_size`): the driver writes height and sizes at the end.
    /// - TIFF: rows padded to a byte, no header, except for a memory-callback transfer
    ///   (`transfer_data_cb`) of an uncompressed page of known length, whose header is a
    ///   complete single-page TIFF ([`crate::tiff::single_page_header`]).
    /// - JPEG and the other compressed formats (PNG, GIF, JPEG 2000, JBIG, PDF/A, ...):
    ///   `width_in_bytes` and `header_size` 0, `item_size` 0, `image_size` the
    ///   uncompressed size of the page.
    /// - A GUID wias does not know: raw rows, no header, `known_format` false.
    ///
    /// ```
    /// use wias::{TransferContext, guids, context::tymed};
    /// let mut ctx = TransferContext::new(9, 0, 8, guids::BMP, tymed::FILE);
    /// let info = ctx.image_information()?; // length unknown when the scan starts
    /// assert_eq!(&info.header[..2], b"BM");
    /// assert_eq!(ctx.item_size, ctx.header_size);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn image_information(&mut self) -> Result<ImageInfo> {
        self.image_information_with(&crate::tiff::Options::default())
    }

    /// [`TransferContext::image_information`] with the TIFF options (Software,
    /// DateTime) of the header of a memory-callback TIFF.
    pub fn image_information_with(&mut self, options: &crate::tiff::Options) -> Result<ImageInfo> {
        let spec = self.page_spec()?;
        let compression = self.device_compression()?;
        let format = self.image_format();
        let sizing = match format {
            ImageFormat::Tiff => {
                let callback_page = self.transfer_data_cb
                    && compression == DeviceCompression::None
                    && spec.lines > 0;
                let header = if callback_page {
                    crate::tiff::single_page_header(&spec, options)?
                } else {
                    Vec::new()
                };
                Sizing::Rows { align: 1, header }
            }
            ImageFormat::Bmp | ImageFormat::MemoryBmp => {
                bmp::check(spec.pixel)?;
                // With lines = 0 this is the complete header with height 0.
                let header = bmp::header(&spec, format == ImageFormat::Bmp)?;
                Sizing::Rows { align: 4, header }
            }
            ImageFormat::Raw => {
                return Err(Error::Unsupported(
                    "the WIA RAW format (WIA_RAW_HEADER) is not written yet".into(),
                ))
            }
            ImageFormat::Jpeg => Sizing::Compressed,
            ImageFormat::Other(g) if COMPRESSED_FORMATS.contains(&g) => Sizing::Compressed,
            ImageFormat::Other(_) => Sizing::Unknown,
        };
        let known_format = !matches!(sizing, Sizing::Unknown);
        let raw_rows = spec.image_bytes(1)?;
        let (width_in_bytes, image_size, header, item_size) = match sizing {
            Sizing::Rows { align, header } => {
                let image_size = spec.image_bytes(align)?;
                let header_size = header.len() as u64;
                let multipage_tiff =
                    format == ImageFormat::Tiff && self.tymed == tymed::MULTIPAGE_FILE;
                let item_size = if compression != DeviceCompression::None || multipage_tiff {
                    0
                } else if spec.lines == 0 {
                    // BMP: the header, which the driver sends first; TIFF: nothing yet.
                    header_size
                } else {
                    image_size.saturating_add(header_size)
                };
                (spec.row_bytes(align)?, image_size, header, item_size)
            }
            Sizing::Compressed => (0, raw_rows, Vec::new(), 0),
            Sizing::Unknown => {
                let item = if compression == DeviceCompression::None {
                    raw_rows
                } else {
                    0
                };
                (spec.row_bytes(1)?, raw_rows, Vec::new(), item)
            }
        };
        let header_size = header.len() as u64;
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
            known_format,
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
        // An unknown format is not an error: raw rows, no header, S_FALSE in C.
        let odd = Guid::new(1, 2, 3, [4; 8]);
        let mut ctx = TransferContext::new(10, 10, 8, odd, tymed::FILE);
        let info = ctx.image_information().unwrap();
        assert!(!info.known_format);
        assert_eq!((ctx.width_in_bytes, ctx.header_size), (10, 0));
        let mut ctx = TransferContext::new(10, 10, 16, guids::BMP, tymed::FILE);
        assert_eq!(
            ctx.image_information().unwrap_err().hresult(),
            crate::hresult::E_INVALIDARG
        );
    }
}

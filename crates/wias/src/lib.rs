//! # wias
//!
//! The image-transfer half of the Windows Image Acquisition service as a portable
//! library: the helpers a scanner driver calls to turn acquired page buffers into
//! image files and streams (`wiasGetImageInformation`, `wiasWritePageBufToFile`,
//! `wiasWriteBufToFile`, `wiasWritePageBufToStream`).
//!
//! Data flow one way: transfer context → page geometry → codec → container → sink.
//!
//! ## Which writer for what
//!
//! | You have | Use |
//! |---|---|
//! | pages for a new or existing TIFF **file** | [`tiff::TiffWriter::create`] / [`tiff::TiffWriter::append`] (locked, crash-safe, grows to BigTIFF) |
//! | any `Write + Seek` sink (`Cursor`, your own type) | [`tiff::TiffWriter::new`] / [`tiff::TiffWriter::append_to`] |
//! | a sink that cannot seek (pipe, socket, stdout) | [`tiff::StreamWriter`] |
//! | a WIA transfer context and page buffers (a driver) | [`transfer::write_page_buf`], [`transfer::write_buf`] |
//! | one page as a BMP | [`bmp::write`] |
//! | PNM images (files, `pnmcat` streams) as pages | [`pnm::PnmStream`] (an `Iterator` of pages) |
//! | JPEG files as pages, stored without decoding | [`input::jpeg::JpegPage`] (size, density; EXIF orientation applied, the primary image only, progressive made baseline for TIFF), then `write_encoded_page` of the TIFF or PDF writer |
//! | pages for a multipage **PDF** (a file, or any `Write`) | [`pdf::PdfFile`] / [`pdf::PdfWriter`] (each page an incremental update; JPEG data embedded byte for byte) |
//! | the structure of an existing TIFF | [`tiff::TiffFile::read`] |
//!
//! Pages are described by a [`PageSpec`] (width, lines, [`PixelType`], dpi) and given in
//! page-buffer form: top-down rows, bilevel 0 = black, 16-bit samples little-endian.
//! Every error is one [`Error`], with [`Error::hresult`] the code a WIA driver expects.
//!
//! A multipage TIFF in memory (any `Write + Seek`):
//!
//! ```
//! use std::io::Cursor;
//! use wias::{PageSpec, PixelType, tiff::{Options, TiffWriter}};
//! let spec = PageSpec::new(16, 2, PixelType::Bilevel).dpi(200, 200);
//! let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
//! doc.write_page(&spec, &[0xFF, 0x00, 0x0F, 0xF0])?; // 0 = black
//! assert_eq!(doc.pages(), 1);
//! # Ok::<(), wias::Error>(())
//! ```
//!
//! A file, compressed, added to later:
//!
//! ```
//! use wias::{CodecSettings, Compression, PageSpec, PixelType, tiff::{Options, TiffWriter}};
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("scan.tif");
//! let opts = Options::default().codec(CodecSettings::new(Compression::Deflate));
//! let gray = PageSpec::new(4, 2, PixelType::Gray8);
//! let mut doc = TiffWriter::create(&path, opts.clone())?;
//! doc.write_page(&gray, &[0, 85, 170, 255, 255, 170, 85, 0])?;
//! doc.finish()?;
//! let mut doc = TiffWriter::append(&path, opts)?;
//! doc.write_page(&gray, &[9; 8])?;
//! assert_eq!(doc.pages(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A pipe (no seeking; the last page is completed by `finish`):
//!
//! ```
//! use wias::{PageSpec, PixelType, tiff::StreamWriter};
//! let mut doc = StreamWriter::new(Vec::new(), Default::default());
//! doc.write_page(&PageSpec::new(4, 1, PixelType::Gray8), &[0, 85, 170, 255])?;
//! let bytes: Vec<u8> = doc.finish()?;
//! assert_eq!(&bytes[..4], b"II*\0");
//! # Ok::<(), wias::Error>(())
//! ```
//!
//! The WIA way, through a transfer context:
//!
//! ```
//! use std::io::Cursor;
//! use wias::{context::tymed, guids, transfer, TransferContext};
//! let mut ctx = TransferContext::new(8, 2, 8, guids::TIFF, tymed::MULTIPAGE_FILE);
//! let info = ctx.image_information()?; // wiasGetImageInformation
//! let mut file = Cursor::new(Vec::new());
//! let buffer = vec![128; info.image_size as usize];
//! transfer::write_page_buf(&mut ctx, &mut file, &buffer)?; // wiasWritePageBufToFile
//! assert!(ctx.cur_ifd_offset > 0);
//! # Ok::<(), wias::Error>(())
//! ```
//!
//! A BMP page and PNM input:
//!
//! ```
//! use wias::{bmp, pnm::PnmStream, PixelType};
//! let input: &[u8] = b"P5 2 1 255\n\x00\xff";
//! for page in PnmStream::new(input) {
//!     let page = page?;
//!     assert_eq!(page.spec.pixel, PixelType::Gray8);
//!     let mut out = Vec::new();
//!     bmp::write(&mut out, &page.spec, &page.rows)?;
//!     assert_eq!(&out[..2], b"BM");
//! }
//! # Ok::<(), wias::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod bmp;
pub mod codec;
pub mod context;
mod error;
pub mod format;
pub mod geometry;
pub mod input;
pub mod lock;
pub mod pdf;
mod pixel;
/// PNM images as pages ([`input::pnm`], under its old path).
pub use input::pnm;
pub mod tiff;
pub mod transfer;

pub use codec::{ChromaSampling, CodecChoice, CodecSettings, Compression};
pub use context::{DeviceCompression, ImageInfo, TransferContext};
pub use error::{hresult, Error, Result};
pub use format::{guids, Guid, ImageFormat};
pub use geometry::PageSpec;
pub use pixel::PixelType;

/// The README's Rust examples, compiled and run with the doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

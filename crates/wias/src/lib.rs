//! # wias
//!
//! The image-transfer half of the Windows Image Acquisition service as a portable
//! library: the helpers a scanner driver calls to turn acquired page buffers into
//! image files and streams (`wiasGetImageInformation`, `wiasWritePageBufToFile`,
//! `wiasWriteBufToFile`, `wiasWritePageBufToStream`).
//!
//! Data flow one way: transfer context → page geometry → codec → container → sink.
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

pub mod bmp;
pub mod codec;
pub mod context;
mod error;
pub mod format;
pub mod geometry;
pub mod pdf;
mod pixel;
pub mod pnm;
pub mod tiff;
pub mod transfer;

pub use codec::{CodecSettings, Compression};
pub use context::{DeviceCompression, ImageInfo, TransferContext};
pub use error::{hresult, Error, Result};
pub use format::{guids, Guid, ImageFormat};
pub use geometry::PageSpec;
pub use pixel::PixelType;

/// The README's Rust examples, compiled and run with the doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

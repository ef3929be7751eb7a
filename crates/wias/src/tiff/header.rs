//! The header of a single-page TIFF whose pixels follow it as they are: what
//! `wiasGetImageInformation` puts in front of the data of a memory-callback transfer, so
//! that an application saving header and data back to back has a valid TIFF file.

use super::encode::base_ifd;
use super::ifd::{Ifd, Variant};
use super::layout::classic_header;
use super::options::Options;
use super::tags::{tag, Value};
use crate::error::{Error, Result};
use crate::geometry::PageSpec;
use crate::pixel::PixelType;

/// Where the IFD goes: right after the 8-byte classic header.
const IFD_AT: u64 = 8;

/// The bytes in front of `spec`'s uncompressed page-buffer rows (top-down, 1-bit 0 =
/// black, 16-bit samples little-endian) that make header + rows one classic TIFF: the
/// image file header, then one IFD with a single strip that starts right after it. The
/// length is even.
///
/// ```
/// use wias::{tiff, PageSpec, PixelType};
/// let spec = PageSpec::new(8, 2, PixelType::Gray8);
/// let h = tiff::single_page_header(&spec, &tiff::Options::default())?;
/// assert_eq!(&h[..4], b"II*\0");
/// assert_eq!(h.len() % 2, 0);
/// # Ok::<(), wias::Error>(())
/// ```
pub fn single_page_header(spec: &PageSpec, options: &Options) -> Result<Vec<u8>> {
    spec.validate()?;
    let image = spec.image_bytes(1)?;
    let image = u32::try_from(image).map_err(|_| Error::SizeOverflow {
        what: "TIFF strip",
        detail: format!("{image} bytes do not fit in a classic TIFF strip"),
    })?;
    let ifd_for = |data_at: u64| -> Ifd {
        let mut ifd = base_ifd(spec, 0, spec.lines, options);
        ifd.set(tag::NEW_SUBFILE_TYPE, Value::Long(vec![0]));
        ifd.set(tag::PAGE_NUMBER, Value::Short(vec![0, 1]));
        ifd.set(tag::COMPRESSION, Value::Short(vec![1]));
        if spec.pixel == PixelType::Bilevel {
            // The rows go out as the driver filled them: 0 = black.
            ifd.set(tag::PHOTOMETRIC, Value::Short(vec![1]));
        }
        ifd.set(tag::STRIP_OFFSETS, Value::Long(vec![data_at as u32]));
        ifd.set(tag::STRIP_BYTE_COUNTS, Value::Long(vec![image]));
        ifd
    };
    // The IFD's length does not depend on the strip offset (one strip: inline), so
    // place it once to learn where the data start, then write it with that offset.
    let len = ifd_for(0)
        .serialize(IFD_AT, 0, Variant::Classic)?
        .bytes
        .len() as u64;
    let data_at = IFD_AT + len + (len & 1);
    let ifd = ifd_for(data_at).serialize(IFD_AT, 0, Variant::Classic)?;
    let mut out = Vec::with_capacity(data_at as usize);
    out.extend_from_slice(&classic_header(IFD_AT as u32));
    out.extend_from_slice(&ifd.bytes);
    out.resize(data_at as usize, 0);
    Ok(out)
}

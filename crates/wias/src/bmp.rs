//! BMP container: single pages of 1, 8 or 24 bits, bottom-up rows padded to 4 bytes.

use std::io::Write;

use crate::error::{Error, Result};
use crate::geometry::{overflow, to_usize, PageSpec};
use crate::pixel::PixelType;

/// Bytes of `BITMAPFILEHEADER`.
pub const FILE_HEADER_LEN: u64 = 14;
/// Bytes of `BITMAPINFOHEADER`.
pub const INFO_HEADER_LEN: u64 = 40;

/// Checks that `pixel` can be stored in a BMP.
pub fn check(pixel: PixelType) -> Result<()> {
    match pixel {
        PixelType::Bilevel | PixelType::Gray8 | PixelType::Rgb24 => Ok(()),
        PixelType::Gray16 | PixelType::Rgb48 => Err(Error::Unsupported(format!(
            "BMP cannot hold {pixel} pages (only 1, 8 and 24 bits per pixel); write TIFF instead"
        ))),
    }
}

fn palette_entries(pixel: PixelType) -> u64 {
    match pixel {
        PixelType::Bilevel => 2,
        PixelType::Gray8 => 256,
        _ => 0,
    }
}

/// Bytes of header in front of the pixel rows: file header (for a BMP file, not for a
/// MEMORYBMP), info header and palette.
pub fn header_len(pixel: PixelType, file_header: bool) -> u64 {
    let file = if file_header { FILE_HEADER_LEN } else { 0 };
    file + INFO_HEADER_LEN + 4 * palette_entries(pixel)
}

/// The header bytes of a BMP (or, with `file_header` false, a MEMORYBMP) page.
///
/// ```
/// use wias::{bmp, PageSpec, PixelType};
/// let h = bmp::header(&PageSpec::new(9, 17, PixelType::Bilevel), true).unwrap();
/// assert_eq!(&h[0..2], b"BM");
/// assert_eq!(h.len(), 14 + 40 + 8);
/// ```
pub fn header(spec: &PageSpec, file_header: bool) -> Result<Vec<u8>> {
    check(spec.pixel)?;
    let image = spec.image_bytes(4)?;
    let hlen = header_len(spec.pixel, file_header);
    let too_big = || {
        overflow(
            "BMP file size",
            format!("{image} bytes of rows do not fit in a BMP's 32-bit size"),
        )
    };
    let total = image.checked_add(hlen).ok_or_else(too_big)?;
    // `image` and `hlen` are each at most `total`, so one check covers all three.
    let total = u32::try_from(total).map_err(|_| too_big())?;
    let image = u32::try_from(image).map_err(|_| too_big())?;
    let hlen = u32::try_from(hlen).map_err(|_| too_big())?;
    let height = i32::try_from(spec.lines)
        .map_err(|_| Error::invalid("lines", spec.lines, "BMP heights stop at 2147483647"))?;
    let width = i32::try_from(spec.width)
        .map_err(|_| Error::invalid("width", spec.width, "BMP widths stop at 2147483647"))?;
    let mut h = Vec::with_capacity(to_usize(u64::from(hlen), "BMP header")?);
    if file_header {
        h.extend_from_slice(b"BM");
        h.extend_from_slice(&total.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&hlen.to_le_bytes());
    }
    h.extend_from_slice(
        &u32::try_from(INFO_HEADER_LEN)
            .map_err(|_| too_big())?
            .to_le_bytes(),
    );
    h.extend_from_slice(&width.to_le_bytes());
    h.extend_from_slice(&height.to_le_bytes()); // positive: bottom-up rows
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(
        &u16::try_from(spec.pixel.depth())
            .map_err(|_| overflow("BMP bit count", spec.pixel.depth().to_string()))?
            .to_le_bytes(),
    );
    h.extend_from_slice(&0u32.to_le_bytes()); // BI_RGB
    h.extend_from_slice(&image.to_le_bytes());
    h.extend_from_slice(&ppm(spec.xdpi).to_le_bytes());
    h.extend_from_slice(&ppm(spec.ydpi).to_le_bytes());
    let colors = u32::try_from(palette_entries(spec.pixel)).map_err(|_| too_big())?;
    h.extend_from_slice(&colors.to_le_bytes());
    h.extend_from_slice(&colors.to_le_bytes());
    for i in 0..colors {
        // index 0 is black: 1-bit page buffers say 0 = black
        let v = (i * 255 / (colors - 1)) as u8;
        h.extend_from_slice(&[v, v, v, 0]);
    }
    debug_assert_eq!(u64::try_from(h.len()).ok(), Some(u64::from(hlen)));
    Ok(h)
}

/// Dots per inch to pixels per metre, rounded.
fn ppm(dpi: u32) -> u32 {
    ((u64::from(dpi) * 10_000 + 127) / 254).min(u64::from(u32::MAX)) as u32
}

/// Converts top-down rows (RGB order, rows padded to 1 byte) to BMP form: bottom-up,
/// BGR, rows padded to 4 bytes.
///
/// Public because it is what a caller that fills the transfer buffer itself needs for
/// a BMP or MEMORYBMP transfer: after the header [`TransferContext::image_information`]
/// returns, [`transfer::write_page_buf`] takes the page's data as DIB rows, as WIA
/// drivers send them (the `wias scan` command builds its BMP pages this way).
/// [`write()`] does both steps for a whole file.
///
/// ```
/// use wias::{bmp, PageSpec, PixelType};
/// let spec = PageSpec::new(2, 2, PixelType::Rgb24);
/// let top_down = [1, 2, 3, 4, 5, 6, /* row 2 */ 7, 8, 9, 10, 11, 12];
/// let dib = bmp::dib_rows(&spec, &top_down)?;
/// // Last row first, each pixel BGR, each row padded to 8 bytes.
/// assert_eq!(dib, [9, 8, 7, 12, 11, 10, 0, 0, 3, 2, 1, 6, 5, 4, 0, 0]);
/// # Ok::<(), wias::Error>(())
/// ```
///
/// [`TransferContext::image_information`]: crate::TransferContext::image_information
/// [`transfer::write_page_buf`]: crate::transfer::write_page_buf
pub fn dib_rows(spec: &PageSpec, rows: &[u8]) -> Result<Vec<u8>> {
    check(spec.pixel)?;
    let src_row = to_usize(spec.row_bytes(1)?, "row")?;
    let dst_row = to_usize(spec.row_bytes(4)?, "row")?;
    let expected = spec.image_bytes(1)?;
    if rows.len() as u64 != expected {
        return Err(Error::WrongDataLength {
            expected,
            got: rows.len() as u64,
            detail: format!("{} lines of {} bytes", spec.lines, src_row),
        });
    }
    let mut out = vec![0u8; to_usize(spec.image_bytes(4)?, "BMP image")?];
    for (src, dst) in rows
        .chunks_exact(src_row)
        .rev()
        .zip(out.chunks_exact_mut(dst_row))
    {
        if spec.pixel == PixelType::Rgb24 {
            for (s, d) in src.chunks_exact(3).zip(dst.chunks_exact_mut(3)) {
                d[0] = s[2];
                d[1] = s[1];
                d[2] = s[0];
            }
        } else {
            dst[..src_row].copy_from_slice(src);
        }
    }
    Ok(out)
}

/// Writes a complete BMP file of one page of top-down rows.
///
/// ```
/// use wias::{bmp, PageSpec, PixelType};
/// let mut out = Vec::new();
/// bmp::write(&mut out, &PageSpec::new(2, 1, PixelType::Rgb24), &[255, 0, 0, 0, 0, 255])?;
/// assert_eq!(out.len(), 54 + 8);
/// assert_eq!(&out[54..60], &[0, 0, 255, 255, 0, 0]); // BGR
/// # Ok::<(), wias::Error>(())
/// ```
pub fn write<W: Write>(sink: &mut W, spec: &PageSpec, rows: &[u8]) -> Result<()> {
    spec.validate()?;
    let h = header(spec, true)?;
    let body = dib_rows(spec, rows)?;
    sink.write_all(&h)
        .map_err(|e| Error::io("writing the BMP header", e))?;
    sink.write_all(&body)
        .map_err(|e| Error::io("writing BMP rows", e))?;
    sink.flush().map_err(|e| Error::io("flushing the BMP", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page whose rows pass 4 GiB cannot be described by a BMP's 32-bit size fields:
    /// a clear size error, not a header with the size cut to its low 32 bits.
    #[test]
    fn rows_past_4_gib_are_a_size_error() {
        // 65536 x 21846 x 3 bytes = 4_295_098_368 bytes of rows, just past u32::MAX.
        let spec = PageSpec::new(65536, 21846, PixelType::Rgb24);
        match header(&spec, true) {
            Err(Error::SizeOverflow { what, .. }) => assert_eq!(what, "BMP file size"),
            other => panic!("expected SizeOverflow, got {other:?}"),
        }
        // The same limit holds for a MEMORYBMP (no file header).
        assert!(matches!(
            header(&spec, false),
            Err(Error::SizeOverflow { .. })
        ));
    }

    /// The largest page that fits still gets sizes that read back exactly.
    #[test]
    fn sizes_just_under_4_gib_are_written_exactly() {
        // 65536 x 21845 x 3 = 4_294_901_760 bytes of rows; + 54 header bytes < u32::MAX.
        let spec = PageSpec::new(65536, 21845, PixelType::Rgb24);
        let h = header(&spec, true).unwrap();
        let le = |at: usize| u32::from_le_bytes(h[at..at + 4].try_into().unwrap());
        assert_eq!(le(2), 4_294_901_760 + 54); // bfSize
        assert_eq!(le(10), 54); // bfOffBits
        assert_eq!(le(14 + 20), 4_294_901_760); // biSizeImage
    }
}

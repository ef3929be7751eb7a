//! The three write operations of the WIA helpers, in Rust form, over a
//! [`TransferContext`] and a page buffer: `wiasWritePageBufToFile` /
//! `wiasWritePageBufToStream` ([`write_page_buf`]) and `wiasWriteBufToFile`
//! ([`write_buf`]). The C ABI is a thin shell over these.

use std::io::{Read, Seek, SeekFrom, Write};

use crate::bmp;
use crate::codec::Compression;
use crate::context::{DeviceCompression, TransferContext};
use crate::error::{Error, Result};
use crate::format::ImageFormat;
use crate::geometry::PageSpec;
use crate::tiff::{BigTiff, ChainEnd, Options, TiffWriter};

/// The largest value of a C `LONG`: IFD offsets go back to the driver in one.
const LONG_MAX: u64 = i32::MAX as u64;

/// The page's bytes in `buffer`: after `header_size` bytes of header, `item_size −
/// header_size` bytes when `item_size > 0`, else `image_size` bytes (DESIGN §2).
pub fn page_data<'a>(ctx: &TransferContext, buffer: &'a [u8]) -> Result<&'a [u8]> {
    if ctx.header_size < 0 {
        return Err(Error::invalid(
            "lHeaderSize",
            ctx.header_size,
            "must not be negative",
        ));
    }
    if ctx.item_size < 0 {
        return Err(Error::invalid(
            "lItemSize",
            ctx.item_size,
            "must not be negative",
        ));
    }
    if ctx.image_size < 0 {
        return Err(Error::invalid(
            "lImageSize",
            ctx.image_size,
            "must not be negative",
        ));
    }
    let header = ctx.header_size as usize;
    let len = if ctx.item_size > 0 {
        if ctx.item_size < ctx.header_size {
            return Err(Error::invalid(
                "lItemSize",
                ctx.item_size,
                format!("is smaller than lHeaderSize = {}", ctx.header_size),
            ));
        }
        (ctx.item_size - ctx.header_size) as usize
    } else if ctx.compression != 0 {
        return Err(Error::invalid(
            "lItemSize",
            ctx.item_size,
            "must give the length of a device-compressed page",
        ));
    } else if ctx.lines == 0 {
        return Err(Error::invalid(
            "lItemSize",
            ctx.item_size,
            "must give the page length when lLines is 0 (length unknown at scan start)",
        ));
    } else {
        ctx.image_size as usize
    };
    if len == 0 {
        return Err(Error::invalid(
            "lImageSize",
            ctx.image_size,
            "the page has no data",
        ));
    }
    let end = header + len;
    if buffer.len() < end {
        return Err(Error::WrongDataLength {
            expected: end as u64,
            got: buffer.len() as u64,
            detail: format!(
                "the transfer buffer is shorter than lHeaderSize {header} + page {len}"
            ),
        });
    }
    Ok(&buffer[header..end])
}

/// The page the context describes, with `lines` taken from the data when it is 0, after
/// checking an uncompressed page has exactly `row_bytes × lines` bytes.
fn uncompressed_spec(ctx: &TransferContext, data: &[u8], align: u32) -> Result<PageSpec> {
    let mut spec = ctx.page_spec()?;
    let row = spec.row_bytes(align)?;
    if ctx.width_in_bytes > 0 && ctx.width_in_bytes as u64 != row {
        return Err(Error::invalid(
            "cbWidthInBytes",
            ctx.width_in_bytes,
            format!(
                "{} pixels at {} bits need {row} bytes per line",
                spec.width,
                spec.pixel.depth()
            ),
        ));
    }
    if spec.lines == 0 {
        if data.len() as u64 % row != 0 {
            return Err(Error::WrongDataLength {
                expected: (data.len() as u64 / row + 1) * row,
                got: data.len() as u64,
                detail: format!(
                    "lLines is 0 and the data are not a whole number of {row}-byte lines"
                ),
            });
        }
        spec.lines = u32::try_from(data.len() as u64 / row)
            .map_err(|_| Error::invalid("lItemSize", ctx.item_size, "too many lines"))?;
    }
    let expected = spec.image_bytes(align)?;
    if data.len() as u64 != expected {
        return Err(Error::WrongDataLength {
            expected,
            got: data.len() as u64,
            detail: format!("{} lines of {row} bytes", spec.lines),
        });
    }
    Ok(spec)
}

/// The page a device-compressed buffer holds. A JPEG page with `lLines` 0 takes its
/// line count from the JPEG frame; G3/G4 data cannot be measured without decoding, so
/// they need `lLines`.
fn compressed_spec(ctx: &TransferContext, c: Compression, data: &[u8]) -> Result<PageSpec> {
    let mut spec = ctx.page_spec()?;
    if spec.lines == 0 {
        if c != Compression::Jpeg {
            return Err(Error::invalid(
                "lLines",
                0,
                format!("a {} page needs its line count", c.name()),
            ));
        }
        spec.lines = u32::from(crate::codec::jpeg_frame(data)?.height);
    }
    Ok(spec)
}

/// `wiasWritePageBufToFile` / `wiasWritePageBufToStream`: writes one page from
/// `buffer` (laid out as DESIGN §2 says) into `sink`.
///
/// For TIFF, `ctx.page == 0` starts the document at offset 0; later pages are appended
/// at the end of the sink and linked from the IFD at `ctx.cur_ifd_offset`, without
/// walking the chain. On success `prev_ifd_offset` takes the old `cur_ifd_offset` and
/// `cur_ifd_offset` the new page's IFD; the caller increments `page`.
///
/// ```
/// use std::io::Cursor;
/// use wias::{transfer, TransferContext, guids, context::tymed};
/// let mut ctx = TransferContext::new(8, 2, 8, guids::TIFF, tymed::MULTIPAGE_FILE);
/// ctx.image_information()?;
/// let mut file = Cursor::new(Vec::new());
/// for page in 0..3 {
///     ctx.page = page;
///     transfer::write_page_buf(&mut ctx, &mut file, &[page as u8; 16])?;
/// }
/// assert!(ctx.prev_ifd_offset > 0 && ctx.cur_ifd_offset > ctx.prev_ifd_offset);
/// # Ok::<(), wias::Error>(())
/// ```
pub fn write_page_buf<S: Read + Write + Seek>(
    ctx: &mut TransferContext,
    sink: &mut S,
    buffer: &[u8],
) -> Result<()> {
    write_page_buf_with(ctx, sink, buffer, Options::default())
}

/// [`write_page_buf`] with explicit TIFF options (codec, strip size, file size limit).
pub fn write_page_buf_with<S: Read + Write + Seek>(
    ctx: &mut TransferContext,
    sink: &mut S,
    buffer: &[u8],
    options: Options,
) -> Result<()> {
    if ctx.page < 0 {
        return Err(Error::invalid("lPage", ctx.page, "must be 0 or more"));
    }
    let compression = ctx.device_compression()?;
    let format = ctx.image_format();
    let data = page_data(ctx, buffer)?;
    match format {
        ImageFormat::Tiff => {
            let passthrough = match compression {
                DeviceCompression::None => None,
                DeviceCompression::G3 => Some(Compression::G3),
                DeviceCompression::G4 => Some(Compression::G4),
                DeviceCompression::Jpeg => Some(Compression::Jpeg),
                other => {
                    return Err(Error::Unsupported(format!(
                        "device-compressed TIFF pages with lCompression = {} ({other:?}) are not written; \
                         TIFF takes uncompressed (0), G3 (3), G4 (4) and JPEG (5) pages",
                        ctx.compression
                    )))
                }
            };
            let spec = match passthrough {
                None => uncompressed_spec(ctx, data, 1)?,
                Some(c) => compressed_spec(ctx, c, data)?,
            };
            // The next call reads the IFD at lCurIfdOffset in classic form: the transfer
            // context never promotes to BigTIFF (its LONG limit below comes first anyway).
            let options = match options.bigtiff_setting() {
                BigTiff::PromoteAt(_) => options.bigtiff(BigTiff::Never { limit: u64::MAX }),
                BigTiff::Never { .. } => options,
            };
            let mut writer = if ctx.page == 0 {
                // Nothing is written before the page is ready: a refused first page
                // leaves a document already in the file as it was.
                TiffWriter::new_deferred(&mut *sink, options)
                    .with_ifd_limit(LONG_MAX, "lCurIfdOffset")
            } else {
                let chain = chain_end_at(sink, ctx)?;
                let end = sink
                    .seek(SeekFrom::End(0))
                    .map_err(|e| Error::io("finding the end of the file", e))?;
                TiffWriter::resume(&mut *sink, chain, end, options)
                    .with_ifd_limit(LONG_MAX, "lCurIfdOffset")
            };
            let written = match passthrough {
                None => writer.write_page(&spec, data),
                Some(c) => writer.write_encoded_page(&spec, c, data),
            };
            let ifd = match written {
                Ok(ifd) => ifd,
                Err(e) => {
                    let link = writer.failed_link().map(|(at, l)| (at, l.to_vec()));
                    drop(writer);
                    match link {
                        Some((at, link)) => settle_link(sink, at, &link, e)?,
                        None => return Err(e),
                    }
                }
            };
            let ifd = i32::try_from(ifd).map_err(|_| Error::SizeOverflow {
                what: "lCurIfdOffset",
                detail: format!("the IFD at byte {ifd} is past what a 32-bit LONG holds"),
            })?;
            ctx.prev_ifd_offset = ctx.cur_ifd_offset;
            ctx.cur_ifd_offset = ifd;
            Ok(())
        }
        ImageFormat::Bmp | ImageFormat::MemoryBmp => {
            if ctx.page != 0 {
                return Err(Error::Unsupported(format!(
                    "a BMP holds one page; lPage = {} asks for another (write TIFF for multipage documents)",
                    ctx.page
                )));
            }
            if compression != DeviceCompression::None {
                return Err(Error::invalid(
                    "lCompression",
                    ctx.compression,
                    "BMP pages are written uncompressed (0)",
                ));
            }
            // The pixel type first: a 16-bit page is refused for what it is, not for
            // a length computed from a layout BMP cannot have.
            bmp::check(ctx.pixel()?)?;
            let spec = uncompressed_spec(ctx, data, 4)?;
            let header = bmp::header(&spec, format == ImageFormat::Bmp)?;
            let ctx_str = "writing the BMP";
            sink.seek(SeekFrom::Start(0))
                .map_err(|e| Error::io(ctx_str, e))?;
            sink.write_all(&header).map_err(|e| Error::io(ctx_str, e))?;
            sink.write_all(data).map_err(|e| Error::io(ctx_str, e))?;
            sink.flush().map_err(|e| Error::io(ctx_str, e))
        }
        ImageFormat::Jpeg => {
            if ctx.page != 0 {
                return Err(Error::Unsupported("a JPEG file holds one page".into()));
            }
            if compression != DeviceCompression::Jpeg {
                return Err(Error::invalid(
                    "lCompression",
                    ctx.compression,
                    "JPEG format needs WIA_COMPRESSION_JPEG (5)",
                ));
            }
            sink.seek(SeekFrom::Start(0))
                .map_err(|e| Error::io("writing the JPEG", e))?;
            sink.write_all(data)
                .map_err(|e| Error::io("writing the JPEG", e))?;
            sink.flush().map_err(|e| Error::io("writing the JPEG", e))
        }
        ImageFormat::Raw => Err(Error::Unsupported(
            "the WIA RAW format (WIA_RAW_HEADER) is not written yet".into(),
        )),
        ImageFormat::Other(g) => Err(Error::invalid(
            "guidFormatID",
            g,
            "is not a format wias writes (TIFF, BMP, MEMORYBMP, JPEG)",
        )),
    }
}

/// The chain end named by `ctx.cur_ifd_offset`: the IFD there must be the whole last
/// page a wias writer left (checked in O(1), `tiff::check_last_ifd`), so that a stale
/// or wrong offset is an error, not a link written into earlier pages.
fn chain_end_at<S: Read + Seek>(sink: &mut S, ctx: &TransferContext) -> Result<ChainEnd> {
    let cur = ctx.cur_ifd_offset;
    if cur < 8 {
        return Err(Error::invalid(
            "lCurIfdOffset",
            cur,
            format!(
                "page {} needs the IFD offset the previous call returned",
                ctx.page
            ),
        ));
    }
    let cur = cur as u64;
    let ifd = crate::tiff::check_last_ifd(sink, cur, None)
        .map_err(|why| Error::invalid("lCurIfdOffset", cur, why))?;
    Ok(ChainEnd {
        link_field: ifd.next_field,
        last_ifd: Some(cur),
        pages: ctx.page as u32,
    })
}

/// A page whose link write failed: a sink (an application's `IStream`) may have taken
/// all or part of the link although its `Write` failed, and refused the write that
/// undoes it too. What the field holds decides, so that a page is in the document
/// exactly when its call succeeds: the whole link (the page is in: success, its IFD
/// returned), 0 (it is not: the error), or a torn mix, which is written once more as
/// the whole link, then as 0, and read back again. A field still torn after that is
/// the error, and the next call, whose check of the previous IFD tells a torn field
/// from a link to a real page, writes over it.
fn settle_link<S: Read + Write + Seek>(
    sink: &mut S,
    at: u64,
    link: &[u8],
    err: Error,
) -> Result<u64> {
    let read = |sink: &mut S| -> Option<Vec<u8>> {
        let mut b = vec![0u8; link.len()];
        sink.seek(SeekFrom::Start(at)).ok()?;
        sink.read_exact(&mut b).ok()?;
        Some(b)
    };
    let whole = |b: &[u8]| -> u64 {
        let mut v = [0u8; 8];
        v[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(v)
    };
    let zeros = vec![0u8; link.len()];
    for attempt in [None, Some(link), Some(&zeros[..])] {
        if let Some(bytes) = attempt {
            let _ = sink
                .seek(SeekFrom::Start(at))
                .and_then(|_| sink.write_all(bytes))
                .and_then(|_| sink.flush());
        }
        match read(sink) {
            Some(b) if b == link => return Ok(whole(link)),
            Some(b) if b == zeros => return Err(err),
            _ => {}
        }
    }
    Err(err)
}

/// `wiasWriteBufToFile`: writes `lItemSize` bytes of `buffer` to `sink` at its current
/// position, as they are, whatever the format.
///
/// ```
/// use wias::{transfer, TransferContext, guids, context::tymed};
/// let mut ctx = TransferContext::new(4, 1, 8, guids::BMP, tymed::FILE);
/// ctx.item_size = 3;
/// let mut out = Vec::new();
/// transfer::write_buf(&ctx, &mut out, &[1, 2, 3, 4])?;
/// assert_eq!(out, [1, 2, 3]);
/// # Ok::<(), wias::Error>(())
/// ```
pub fn write_buf<W: Write>(ctx: &TransferContext, sink: &mut W, buffer: &[u8]) -> Result<()> {
    if ctx.item_size <= 0 {
        return Err(Error::invalid(
            "lItemSize",
            ctx.item_size,
            "must be the number of bytes to write (at least 1)",
        ));
    }
    let n = ctx.item_size as usize;
    if buffer.len() < n {
        return Err(Error::WrongDataLength {
            expected: n as u64,
            got: buffer.len() as u64,
            detail: "the transfer buffer is shorter than lItemSize".into(),
        });
    }
    sink.write_all(&buffer[..n])
        .map_err(|e| Error::io("writing the buffer", e))?;
    sink.flush().map_err(|e| Error::io("writing the buffer", e))
}

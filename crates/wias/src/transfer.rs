//! The three write operations of the WIA helpers, in Rust form, over a
//! [`TransferContext`] and a page buffer: `wiasWritePageBufToFile` /
//! `wiasWritePageBufToStream` ([`write_page_buf`]) and `wiasWriteBufToFile`
//! ([`write_buf`]). The C ABI is a thin shell over these. [`Document`] is the same page
//! path for a caller that keeps the document open and is not bound to the C `LONG`s
//! (the `wias scan` command): it grows into BigTIFF.
//!
//! The rules (who owns the page fields, what the buffer holds) are in
//! `docs/driver-rules.md`.

use std::io::{Read, Seek, SeekFrom, Write};

use crate::codec::Compression;
use crate::context::{DeviceCompression, TransferContext};
use crate::error::{Error, Result};
use crate::format::ImageFormat;
use crate::geometry::PageSpec;
use crate::tiff::tags::{field_type, tag};
use crate::tiff::{BigTiff, ChainEnd, Options, TiffWriter, Variant};

/// The largest value of a C `LONG`: IFD offsets go back to the driver in one.
const LONG_MAX: u64 = i32::MAX as u64;

/// The page's bytes in `buffer`: after `header_size` bytes of header, `item_size −
/// header_size` bytes when `item_size > 0`, else `image_size` bytes
/// (`docs/driver-rules.md`, "The page buffer").
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

/// What a TIFF call writes: the page, and the codec its data are already in (`None`:
/// uncompressed rows the library encodes).
fn tiff_page<'a>(
    ctx: &TransferContext,
    buffer: &'a [u8],
) -> Result<(PageSpec, Option<Compression>, &'a [u8])> {
    let compression = ctx.device_compression()?;
    let data = page_data(ctx, buffer)?;
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
    Ok((spec, passthrough, data))
}

/// Writes one page into a TIFF writer, encoded or passed through; returns its IFD.
fn put_page<W: Write + Seek>(
    writer: &mut TiffWriter<W>,
    (spec, passthrough, data): (PageSpec, Option<Compression>, &[u8]),
) -> Result<u64> {
    match passthrough {
        None => writer.write_page(&spec, data),
        Some(c) => writer.write_encoded_page(&spec, c, data),
    }
}

/// `wiasWritePageBufToFile` / `wiasWritePageBufToStream`: writes the buffer (laid out as
/// `docs/driver-rules.md` says) into `sink`.
///
/// **TIFF**: every call is one whole page. `ctx.page == 0` starts a new document at the
/// start of `sink`; any other value appends the page at the end of `sink` and links it
/// from the IFD at `ctx.prev_ifd_offset`, after checking in O(1) that this IFD is a
/// complete one that ends the chain (no chain walk, a wrong offset is an error). On
/// success the library advances the page fields, as the WIA service does: `page` by
/// one, `prev_ifd_offset` to the IFD just written, `cur_ifd_offset` to the end of the
/// file (where the next page goes). A caller never sets them; one that also sets
/// `page` to its own count (0, 1, 2, ...) still gets every page in order, because the
/// chain is continued from `prev_ifd_offset` and the page number from that IFD, not
/// from `page`. The file stops where the context's 32-bit offsets do (2 GiB): a page
/// that would end past it is refused before any byte is written ([`Document`] has no
/// such limit).
///
/// **Every other format** (BMP, MEMORYBMP, JPEG, GUID_NULL, ...): exactly
/// [`write_buf`], `item_size` bytes appended at the sink's position, so a driver can
/// send a BMP in bands; the page fields are not touched.
///
/// ```
/// use std::io::Cursor;
/// use wias::{transfer, TransferContext, guids, context::tymed};
/// let mut ctx = TransferContext::new(8, 2, 8, guids::TIFF, tymed::MULTIPAGE_FILE);
/// ctx.image_information()?;
/// let mut file = Cursor::new(Vec::new());
/// for page in 0..3u8 {
///     transfer::write_page_buf(&mut ctx, &mut file, &[page; 16])?; // page fields untouched
/// }
/// assert_eq!(ctx.page, 3);
/// assert_eq!(ctx.cur_ifd_offset as usize, file.get_ref().len());
/// assert!(ctx.prev_ifd_offset > 0 && ctx.prev_ifd_offset < ctx.cur_ifd_offset);
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
    if ctx.image_format() != ImageFormat::Tiff {
        return write_buf(ctx, sink, buffer);
    }
    if ctx.page < 0 {
        return Err(Error::invalid("lPage", ctx.page, "must be 0 or more"));
    }
    let next_page = ctx
        .page
        .checked_add(1)
        .ok_or_else(|| Error::invalid("lPage", ctx.page, "no page can follow it"))?;
    let page = tiff_page(ctx, buffer)?;
    // The next call reads the IFD at lPrevIfdOffset in classic form: the transfer
    // context never promotes to BigTIFF (its LONG limit below comes first anyway).
    let options = match options.bigtiff_setting() {
        BigTiff::PromoteAt(_) => options.bigtiff(BigTiff::Never { limit: u64::MAX }),
        BigTiff::Never { .. } => options,
    };
    let writer = if ctx.page == 0 {
        // Nothing is written before the page has passed every check: a refused first
        // page leaves a document already in the file as it was.
        TiffWriter::new_deferred(&mut *sink, options)?
    } else {
        check_readable(sink)?;
        let chain = chain_end_at(sink, ctx)?;
        let end = sink
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("finding the end of the file", e))?;
        TiffWriter::resume(&mut *sink, chain, end, options)?
    };
    let mut writer = writer.with_end_limit(LONG_MAX, "lCurIfdOffset");
    let ifd = match put_page(&mut writer, page) {
        Ok(ifd) => ifd,
        Err(e) => {
            let link: Option<(u64, Vec<u8>)> = writer.failed_link().map(|(at, l)| (at, l.to_vec()));
            let end = writer.end();
            drop(writer);
            match link {
                Some((at, link)) => {
                    let ifd = settle_link(sink, at, &link, e)?;
                    ctx.prev_ifd_offset = ifd.min(LONG_MAX) as i32;
                    ctx.cur_ifd_offset = end.min(LONG_MAX) as i32;
                    ctx.page = next_page;
                    return Ok(());
                }
                None => return Err(e),
            }
        }
    };
    // Both fit a LONG: the end limit refused any page that would end past LONG_MAX.
    ctx.prev_ifd_offset = ifd.min(LONG_MAX) as i32;
    ctx.cur_ifd_offset = writer.end().min(LONG_MAX) as i32;
    ctx.page = next_page;
    Ok(())
}

/// Page 2 onwards reads the previous page's IFD: a sink opened write-only
/// (`File::create`) cannot give it back. That is said as such (`E_ACCESSDENIED`, as the
/// C ABI says for a write-only `hFile`), not as a bad `lPrevIfdOffset`.
fn check_readable<S: Read + Seek>(sink: &mut S) -> Result<()> {
    let mut byte = [0u8; 1];
    match sink.seek(SeekFrom::Start(0)).and_then(|_| sink.read(&mut byte)) {
        // EBADF: the descriptor is not open for reading.
        Err(e) if e.raw_os_error() == Some(9) => Err(Error::io(
            "the file is open write-only; appending a TIFF page reads the previous page's IFD, open it read-write (OpenOptions::new().read(true).write(true))",
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, e),
        )),
        _ => Ok(()),
    }
}

/// The chain end named by `ctx.prev_ifd_offset`, checked in O(1) (`tiff::check_last_ifd`):
/// the IFD there must be the whole last page a wias writer left, ending exactly at
/// `ctx.cur_ifd_offset` (where that call left the file), its tags sorted and of their
/// types, its strips inside the file just before it, its next-IFD field 0, so that a
/// stale or wrong offset is an error, not a link written into earlier pages. The page
/// count comes from its PageNumber tag, so a caller's own `lPage` numbering does not
/// matter.
fn chain_end_at<S: Read + Seek>(sink: &mut S, ctx: &TransferContext) -> Result<ChainEnd> {
    let prev = ctx.prev_ifd_offset;
    if prev < 8 {
        return Err(Error::invalid(
            "lPrevIfdOffset",
            prev,
            format!(
                "lPage = {} continues a document, which needs the IFD offset the previous \
                 page's call left here; a new document starts with lPage = 0",
                ctx.page
            ),
        ));
    }
    let at = prev as u64;
    let ends_at = u64::try_from(ctx.cur_ifd_offset).map_err(|_| {
        Error::invalid(
            "lCurIfdOffset",
            ctx.cur_ifd_offset,
            "must be where the previous page's call left the file",
        )
    })?;
    let d = crate::tiff::check_last_ifd(sink, at, Some(ends_at))
        .map_err(|why| Error::invalid("lPrevIfdOffset", at, why))?;
    let page_number = d
        .get(tag::PAGE_NUMBER)
        .filter(|e| e.field_type == field_type::SHORT)
        .and_then(|e| e.first());
    Ok(ChainEnd {
        link_field: d.next_field,
        last_ifd: Some(at),
        pages: page_number.map_or(ctx.page as u32, |p| p as u32 + 1),
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

/// `wiasWriteBufToFile`: writes `item_size` bytes of `buffer` to `sink` at its current
/// position, as they are, whatever the format. `item_size` 0 writes nothing; a negative
/// one, or one larger than the buffer, is [`Error::ItemSize`] (`E_FAIL`).
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
    let n = usize::try_from(ctx.item_size).map_err(|_| Error::ItemSize {
        item_size: ctx.item_size,
        reason: "a byte count cannot be negative".into(),
    })?;
    if n == 0 {
        return Ok(());
    }
    if buffer.len() < n {
        return Err(Error::ItemSize {
            item_size: ctx.item_size,
            reason: format!(
                "more bytes than the transfer buffer holds (lBufferSize = {})",
                buffer.len()
            ),
        });
    }
    sink.write_all(&buffer[..n])
        .map_err(|e| Error::io("writing the buffer", e))?;
    sink.flush().map_err(|e| Error::io("writing the buffer", e))
}

/// A multipage TIFF written page by page through transfer contexts, kept open between
/// pages: the state the WIA service keeps for a driver, in full 64-bit width. Pages
/// take the same path as [`write_page_buf`]'s (the context's fields and buffer, checked
/// and sized the same way), but the document is not bound to the C `LONG`s: past 4 GiB
/// it becomes a BigTIFF, as [`TiffWriter`] does.
///
/// The context's page fields are advanced as [`write_page_buf`] advances them while the
/// offsets fit a `LONG`; past that, `prev_ifd_offset` and `cur_ifd_offset` are -1 (the
/// document knows them: [`Document::writer`]).
///
/// ```
/// use std::io::Cursor;
/// use wias::{transfer::Document, tiff::Options, TransferContext, guids, context::tymed};
/// let mut ctx = TransferContext::new(8, 2, 8, guids::TIFF, tymed::MULTIPAGE_FILE);
/// ctx.image_information()?;
/// let mut doc = Document::new(Cursor::new(Vec::new()), Options::default())?;
/// for page in 0..3u8 {
///     doc.write_page_buf(&mut ctx, &[page; 16])?;
/// }
/// assert_eq!((ctx.page, doc.writer().pages()), (3, 3));
/// # Ok::<(), wias::Error>(())
/// ```
pub struct Document<W: Write + Seek> {
    writer: TiffWriter<W>,
}

impl<W: Write + Seek> Document<W> {
    /// Starts a TIFF document at the start of `sink` (BigTIFF promotion as `options`
    /// say; by default past 4 GiB, when the chain is read back from `sink`).
    pub fn new(sink: W, options: Options) -> Result<Self>
    where
        W: Read,
    {
        Ok(Document {
            writer: TiffWriter::new(sink, options)?,
        })
    }

    /// Adds the page in `buffer` as `ctx` describes it (a TIFF context: `format` TIFF),
    /// then advances `ctx.page` by one and sets the offsets (see [`Document`]).
    pub fn write_page_buf(&mut self, ctx: &mut TransferContext, buffer: &[u8]) -> Result<()> {
        if ctx.image_format() != ImageFormat::Tiff {
            return Err(Error::invalid(
                "guidFormatID",
                ctx.format,
                "a transfer Document writes TIFF pages (use write_page_buf for other formats)",
            ));
        }
        let page = tiff_page(ctx, buffer)?;
        let ifd = put_page(&mut self.writer, page)?;
        let long = |v: u64| i32::try_from(v).unwrap_or(-1);
        ctx.prev_ifd_offset = long(ifd);
        ctx.cur_ifd_offset = long(self.writer.end());
        ctx.page = ctx.page.saturating_add(1);
        Ok(())
    }

    /// The TIFF writer underneath: pages so far, chain end, classic or BigTIFF.
    pub fn writer(&self) -> &TiffWriter<W> {
        &self.writer
    }

    /// Ends the document (every page is linked already) and gives the sink back.
    pub fn finish(self) -> Result<W> {
        self.writer.finish()
    }

    /// Whether the document is a classic TIFF or has become a BigTIFF.
    pub fn variant(&self) -> Variant {
        self.writer.variant()
    }
}

//! The multipage TIFF writer for seekable sinks: page data and IFD appended at the end,
//! then linked from the previous IFD in one small write. The protocol, and the tests
//! behind each of its failure cases, are in `docs/format.md`.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::byteorder::{ifd_to_big_endian, ByteOrder};
use super::encode::{
    encode_page, passthrough_page, raw_page, short_rows, stream_page, strip_count, worst_case_len,
    BilevelRows, EncoderCache, Rows, StripSink,
};
use super::ifd::{Ifd, Variant};
use super::layout::{
    align2, bigtiff_header, classic_header, place, ChainEnd, EncodedPage, Limits, PageData, Placed,
    Placement, HEADER_ROOM,
};
use super::options::{BigTiff, Durability, Options, CLASSIC_LIMIT};
use super::promote::{bigtiff_chain, promotable_chain};
use super::reader::{Directory, TiffFile};
use super::route::{plan, Facts, PageInput, Route};
use super::tail;
use super::validate::{check_link_field_is_free, check_strips_inside, sized_extents, Reach};
use crate::codec::Compression;
use crate::error::{Error, Result};
use crate::geometry::PageSpec;

/// A multipage TIFF being written into a seekable sink.
///
/// ```
/// use std::io::Cursor;
/// use wias::{PageSpec, PixelType, tiff::{Options, TiffWriter}};
/// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
/// let spec = PageSpec::new(4, 2, PixelType::Gray8);
/// doc.write_page(&spec, &[0, 64, 128, 255, 255, 128, 64, 0])?;
/// doc.write_page(&spec, &[9; 8])?;
/// assert_eq!(doc.pages(), 2);
/// let bytes = doc.finish()?.into_inner();
/// assert_eq!(&bytes[0..4], b"II*\0");
/// # Ok::<(), wias::Error>(())
/// ```
pub struct TiffWriter<W: Write + Seek> {
    sink: W,
    options: Options,
    encoder: EncoderCache,
    chain: ChainEnd,
    /// First byte past everything written or attempted: after a failed page the space
    /// it may have touched is abandoned, never reused, so a link that did reach the
    /// disk can never point at bytes we overwrite later.
    end: u64,
    /// Classic or BigTIFF, as the header says now, and whether a classic file may grow
    /// into a BigTIFF.
    growth: Growth<W>,
    /// After each linked page, write the chain tail of `tail` at the end of the file
    /// (documents started or appended to through the public API; not the transfer
    /// context's writer, whose file the service owns between calls).
    tail: bool,
    /// Makes written bytes durable, for [`Durability::Sync`].
    sync: Option<SyncFn<W>>,
    /// The classic header's first-IFD offset (0 with no page): what a failed switch
    /// to the BigTIFF header is undone to.
    first_ifd: u64,
    /// Largest end offset the caller can record, and the name of where it goes: the C
    /// transfer context keeps it (where the next page goes) in a 32-bit LONG.
    end_limit: Option<(u64, &'static str)>,
    /// The header is still to be written, with the first page's data (see
    /// [`TiffWriter::new_deferred`]).
    header_pending: bool,
    /// See [`TiffWriter::failed_link`].
    failed_link: Option<(u64, Vec<u8>)>,
    /// II for documents we start; an appended document keeps its own (MM too).
    byte_order: ByteOrder,
}

/// Reads a sink's whole chain again as IFDs to rewrite in BigTIFF form, or says why the
/// file cannot be promoted.
type RereadChain<W> = fn(&mut W) -> std::result::Result<Vec<Ifd>, String>;

/// What the file is, and what it may become. Nothing is kept per page: a promotion,
/// which happens at most once, reads the chain back from the sink (the writer's own
/// pages included), so memory stays flat whatever the page count.
enum Growth<W> {
    /// Classic; past the classic limit the chain is read back with this function and
    /// rewritten in BigTIFF form after the new page.
    Promotable(RereadChain<W>),
    /// Classic for good, and why: the reason becomes the error if a page would pass
    /// the classic limit (resumed without the chain, bytes 8..16 in use, sub-IFDs, ...).
    Classic(String),
    /// A BigTIFF.
    Big,
}

impl<W> Growth<W> {
    fn variant(&self) -> Variant {
        match self {
            Growth::Big => Variant::Big,
            _ => Variant::Classic,
        }
    }
}

impl<W: Write + Seek> TiffWriter<W> {
    /// [`TiffWriter::new`] that writes nothing until the first page has passed every
    /// check (pixel type, codec, data length, size limits): a first page refused
    /// leaves the sink as it was, even when it holds an older document. For the
    /// transfer context, whose `lPage = 0` call reuses a file that may hold one.
    pub(crate) fn new_deferred(sink: W, options: Options) -> Result<Self> {
        refuse_unsyncable(&options, false)?;
        let chain = ChainEnd {
            link_field: 4,
            last_ifd: None,
            pages: 0,
        };
        let mut w = Self::resumed(sink, chain, HEADER_ROOM, options, None);
        // The transfer context asks for BigTiff::Never: its lCurIfdOffset is a LONG.
        w.growth = Growth::Classic("a transfer context's document stays classic".into());
        w.header_pending = true;
        Ok(w)
    }

    /// Writes the header [`TiffWriter::new_deferred`] put off, once a page is ready.
    fn write_pending_header(&mut self) -> Result<()> {
        if self.header_pending {
            let mut header = classic_header(0).to_vec();
            header.resize(HEADER_ROOM as usize, 0);
            write_at(&mut self.sink, 0, &header, "writing the TIFF header")?;
            self.header_pending = false;
        }
        Ok(())
    }

    /// After a page failed while its link was being written: the link field's offset
    /// and the link that was being written there. Whether it reached the sink (or only
    /// part of it, if undoing it failed too) is for a caller that can read the sink to
    /// find out (the transfer path does).
    pub(crate) fn failed_link(&self) -> Option<(u64, &[u8])> {
        self.failed_link.as_ref().map(|(at, l)| (*at, &l[..]))
    }

    /// Continues a classic document whose chain ends as `chain` says, appending at
    /// `end` (the file length). Nothing is read: the caller (the transfer context,
    /// which carries the chain end between calls) vouches for `chain`. Such a writer
    /// cannot promote the file to BigTIFF (it does not know the chain): a page that
    /// would pass the classic limit is refused before anything is written.
    pub(crate) fn resume(sink: W, chain: ChainEnd, end: u64, options: Options) -> Result<Self> {
        refuse_unsyncable(&options, false)?;
        Ok(Self::resumed(sink, chain, end, options, None))
    }

    fn resumed(
        sink: W,
        chain: ChainEnd,
        end: u64,
        options: Options,
        sync: Option<SyncFn<W>>,
    ) -> Self {
        TiffWriter {
            sink,
            options,
            encoder: EncoderCache::default(),
            chain,
            end,
            end_limit: None,
            first_ifd: 0,
            growth: Growth::Classic("the writer was resumed from a chain end without the chain's directories (open the file with TiffWriter::append to let it grow to BigTIFF)".into()),
            tail: false,
            sync,
            header_pending: false,
            failed_link: None,
            byte_order: ByteOrder::Little,
        }
    }

    /// Classic TIFF, or BigTIFF once the file has been promoted.
    pub fn variant(&self) -> Variant {
        self.growth.variant()
    }

    /// Makes everything written so far durable, if a sync function is set.
    pub(super) fn sync(&mut self) -> Result<()> {
        match self.sync {
            Some(f) => f(&mut self.sink).map_err(|e| Error::io("syncing the file to disk", e)),
            None => Ok(()),
        }
    }

    fn durable(&self) -> bool {
        self.options.file.durability == Durability::Sync
    }

    /// Refuses, before writing anything, a page that would end past `max` (`what` names
    /// the field that has to hold the end offset, for the message).
    pub(crate) fn with_end_limit(mut self, max: u64, what: &'static str) -> Self {
        self.end_limit = Some((max, what));
        self
    }

    /// The first byte past everything written (or attempted): where the next page's
    /// data go.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Pages in the document so far.
    pub fn pages(&self) -> u32 {
        self.chain.pages
    }

    /// Where the chain ends now.
    pub fn chain_end(&self) -> ChainEnd {
        self.chain
    }

    /// The document's settings.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Encodes and appends one page of top-down rows (the page-buffer layout of
    /// `docs/driver-rules.md`: bilevel 0 = black, MSB first; 16-bit samples little-endian),
    /// then links it. Returns the offset of the page's IFD. On error the document still
    /// holds every earlier page.
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> Result<u64> {
        self.write(spec, PageInput::<std::io::Empty>::Rows(rows))
    }

    /// [`TiffWriter::write_page`] with the page's rows read from `rows` (exactly
    /// `spec`'s image bytes, in page-buffer form), so the page need not be in memory:
    ///
    /// - uncompressed pages that are stored as they come (8-bit, 16-bit in a
    ///   little-endian file; not bilevel, whose bits are inverted) are copied from
    ///   `rows` into the file with [`std::io::copy`], which between two files on Linux
    ///   copies in the kernel (`copy_file_range`);
    /// - encoded continuous-tone pages, and bilevel pages under any fixed codec (not
    ///   `auto`, which may need the rows twice), are read a strip at a time by the
    ///   threads that encode them (bilevel strips inverted as they are read), each
    ///   strip going to the file as soon as it and the ones before it are done;
    /// - any other page is read into memory and written as by `write_page`.
    ///
    /// Input that ends before the page does fails the page
    /// ([`Error::WrongDataLength`]), as does a failed read; either way every earlier
    /// page stays in the document, as for every failed page.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::{PageSpec, PixelType, tiff::{Options, TiffWriter}};
    /// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    /// let spec = PageSpec::new(4, 2, PixelType::Gray8);
    /// doc.write_page_from(&spec, &mut &[0u8, 64, 128, 255, 255, 128, 64, 0][..])?;
    /// assert!(doc.write_page_from(&spec, &mut &[1u8, 2, 3][..]).is_err()); // 3 of 8 bytes
    /// assert_eq!(doc.pages(), 1);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn write_page_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
    ) -> Result<u64> {
        self.write(spec, PageInput::Reader(rows, BilevelRows::BlackIsZero))
    }

    /// [`TiffWriter::write_page_from`] for a bilevel page whose rows are in the
    /// other convention: **1 = black**, as a PBM (P4) raster and the TIFF pages we
    /// write store them (page buffers, and `write_page_from`, say 0 = black). Each
    /// row is `(width + 7) / 8` bytes; the unused bits at the end of a row are
    /// ignored (stored white). With any fixed codec, uncompressed too, the rows are
    /// read a strip at a time and written as they are encoded, never inverted; with
    /// `auto` (which samples the whole page) or near a file size limit the page is
    /// read into memory first. A page that is not bilevel is an error.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::{PageSpec, PixelType, tiff::{Options, TiffWriter}};
    /// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    /// let spec = PageSpec::new(3, 2, PixelType::Bilevel);
    /// // Row 1: black, white, black (1 = black; the low 5 bits are padding).
    /// doc.write_bilevel_page_from(&spec, &mut &[0b1010_0111u8, 0b0000_0000][..])?;
    /// assert!(doc.write_bilevel_page_from(&spec, &mut &[0u8][..]).is_err()); // 1 of 2
    /// assert_eq!(doc.pages(), 1);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn write_bilevel_page_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
    ) -> Result<u64> {
        if !spec.pixel.is_bilevel() {
            return Err(Error::invalid(
                "pixel type",
                spec.pixel,
                "write_bilevel_page_from takes bilevel pages only",
            ));
        }
        self.write(spec, PageInput::Reader(rows, BilevelRows::BlackIsOne))
    }

    /// The one page path: [`route::plan`] picks the way from facts about the page and
    /// the file, then the page is copied, streamed, placed whole or passed through.
    fn write<R: Read + Send>(&mut self, spec: &PageSpec, input: PageInput<'_, R>) -> Result<u64> {
        let total = if let PageInput::Reader(..) = input {
            spec.validate()?;
            spec.image_bytes(1)?
        } else {
            0
        };
        let facts = Facts::of(
            &input,
            spec.pixel,
            self.options.codec.compression,
            self.byte_order == ByteOrder::Big,
            self.header_pending,
        );
        let route = plan(&facts, || {
            let multiple = self
                .encoder
                .get(&self.options.codec, spec.pixel)?
                .rows_multiple();
            Ok(self.fits_streamed(spec, multiple))
        })?;
        let index = self.chain.pages;
        match (route, input) {
            (Route::Passthrough, PageInput::Encoded(compression, data)) => {
                let page = passthrough_page(spec, compression, data, index, &self.options)?;
                self.append_encoded(page)
            }
            (Route::Copy, PageInput::Reader(rows, _)) => self.copy_page(spec, rows, total),
            (Route::Stream, PageInput::Rows(data)) => self.stream(spec, Rows::<R>::Memory(data)),
            (Route::Stream, PageInput::Reader(r, bilevel)) => {
                self.stream(spec, Rows::Reader(r, bilevel))
            }
            (Route::Whole, PageInput::Rows(data)) => {
                let encoder = self.encoder.get(&self.options.codec, spec.pixel)?;
                let page = encode_page(spec, data, index, &self.options, encoder)?;
                self.append_encoded(page)
            }
            (Route::ReadFirst, PageInput::Reader(rows, bilevel)) => {
                let data = read_page(rows, total, spec.pixel.is_bilevel(), bilevel)?;
                self.write_page(spec, &data)
            }
            (route, _) => unreachable!("route::plan gives {route:?} only for other input"),
        }
    }

    /// Whether a page of `spec` written a strip at a time (its size unknown until
    /// it is written) surely fits the file's limits where it would go, so that no limit
    /// can refuse it after its data are out, nor make the file a BigTIFF (pages that
    /// might are placed whole). Never for a deferred header's first page, which must
    /// leave the sink untouched when it fails.
    fn fits_streamed(&self, spec: &PageSpec, rows_multiple: u32) -> bool {
        if self.header_pending {
            return false;
        }
        let (Ok(raw), Ok(strips)) = (
            spec.image_bytes(1),
            strip_count(spec, &self.options, rows_multiple),
        ) else {
            return false; // the whole-page path reports what is wrong
        };
        let software = self.options.software.as_ref().map_or(0, |s| s.len() as u64);
        let ifd = 4096 + strips.saturating_mul(16) + software;
        let worst = align2(self.end.max(HEADER_ROOM))
            .saturating_add(worst_case_len(raw, strips))
            .saturating_add(ifd);
        let l = self.limits();
        let mut max = l.max_file_size;
        if let Some((m, _)) = l.end_limit {
            max = max.min(m);
        }
        if self.variant() == Variant::Classic {
            max = max.min(l.classic_end.min(Variant::Classic.max_offset()));
        }
        worst <= max
    }

    /// Places a page whose strips go to the end of the file as soon as each and the
    /// strips before it are encoded (see `route`), so the encoded page is never held
    /// whole; the IFD follows them and the link comes last, as for every page. A
    /// failure part way leaves strips past the chain's end, where no link points (and
    /// the space is not reused): every earlier page stays as it was.
    fn stream<R: Read + Send>(&mut self, spec: &PageSpec, rows: Rows<'_, R>) -> Result<u64> {
        let data_at = align2(self.end.max(HEADER_ROOM));
        let number = self.chain.pages + 1;
        let mut sink = FileStrips {
            sink: &mut self.sink,
            data_at,
            pos: data_at,
            touched: data_at,
            sought: false,
            number,
        };
        let encoder = self.encoder.get(&self.options.codec, spec.pixel)?;
        let page = stream_page(spec, rows, number - 1, &self.options, encoder, &mut sink);
        let touched = sink.touched;
        let result = page.and_then(|page| self.append_encoded(page));
        // Whatever happened, bytes up to `touched` may have been written.
        self.end = self.end.max(touched);
        result
    }

    /// Copies an uncompressed page's rows from `rows` to its place, then writes its IFD
    /// and link. The place is known before anything is written (the page's size is), so
    /// every limit is checked first, as for a page in memory.
    fn copy_page<R: Read>(&mut self, spec: &PageSpec, rows: &mut R, total: u64) -> Result<u64> {
        let number = self.chain.pages + 1;
        let page = raw_page(spec, number - 1, &self.options)?;
        let free = self.end.max(HEADER_ROOM);
        let placement = place(&page, free, self.variant(), &self.limits(), number)?;
        let data_at = match &placement {
            Placement::Here(p) => p.data_at,
            Placement::Promote { data_at } => *data_at,
        };
        let copied = self
            .sink
            .seek(SeekFrom::Start(data_at))
            .and_then(|_| io::copy(&mut rows.take(total), &mut self.sink));
        // Bytes up to the page's data end may have been written, whatever happened.
        self.end = self.end.max(data_at + total);
        let copied = copied.map_err(|e| page_write_error(number, "data (copying its rows)", e))?;
        if copied < total {
            return Err(short_rows(total, copied));
        }
        match placement {
            Placement::Here(p) => self.link_page(&page.data, p),
            Placement::Promote { data_at } => self.promote_with(page, data_at),
        }
    }

    /// Appends one page whose data a device already compressed, without decoding or
    /// re-encoding them: `compression` is [`Compression::G4`] or [`Compression::G3`]
    /// (1-D) for bilevel pages, [`Compression::Jpeg`] for gray8 and rgb24 pages (a
    /// baseline JPEG stream; its frame must match `spec`). The page is one strip.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::{Compression, PageSpec, PixelType, tiff::{Options, TiffWriter}};
    /// // Group 4 data of an all-white 8×2 page: two V0 codes, then EOFB.
    /// let g4 = [0b1100_0000, 0x04, 0x00, 0x40];
    /// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    /// doc.write_encoded_page(&PageSpec::new(8, 2, PixelType::Bilevel), Compression::G4, &g4)?;
    /// assert_eq!(doc.pages(), 1);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn write_encoded_page(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        data: &[u8],
    ) -> Result<u64> {
        self.write(
            spec,
            PageInput::<std::io::Empty>::Encoded(compression, data),
        )
    }

    /// The limits every page of this document is checked against.
    fn limits(&self) -> Limits {
        let (classic_end, promote) = match self.options.file.bigtiff {
            BigTiff::PromoteAt(t) => (t, true),
            BigTiff::Never { limit } => (limit, false),
        };
        Limits {
            classic_end: classic_end.min(CLASSIC_LIMIT),
            promote,
            max_file_size: self.options.max_file_size,
            end_limit: self.end_limit,
        }
    }

    /// Places an encoded page at the end of the file, writes its IFD after it, and
    /// links it: the one step that makes the page part of the document.
    pub(crate) fn append_encoded(&mut self, page: EncodedPage<'_>) -> Result<u64> {
        let number = self.chain.pages + 1;
        // Never inside the room a BigTIFF header needs, even in a shorter file.
        let free = self.end.max(HEADER_ROOM);
        match place(&page, free, self.variant(), &self.limits(), number)? {
            Placement::Here(p) => self.link_page(&page.data, p),
            Placement::Promote { data_at } => self.promote_with(page, data_at),
        }
    }

    /// Writes page data and IFD, makes them durable if asked, then writes the link.
    fn link_page(&mut self, data: &PageData<'_>, mut p: Placed) -> Result<u64> {
        self.write_pending_header()?;
        if self.byte_order == ByteOrder::Big {
            ifd_to_big_endian(&mut p.bytes.bytes, p.ifd_at, self.variant())?;
        }
        let result = self.place(p.data_at, data, p.ifd_at, &p.bytes.bytes);
        // Whatever happened, bytes up to the page's end may have been touched.
        self.end = self.end.max(p.end);
        result?;
        if self.durable() {
            self.sync()?;
        }
        let big_endian = self.byte_order == ByteOrder::Big;
        let link = match self.variant() {
            Variant::Classic => {
                let at = u32::try_from(p.ifd_at).map_err(|_| Error::SizeOverflow {
                    what: "TIFF offset",
                    detail: format!("IFD at byte {} in a classic TIFF", p.ifd_at),
                })?;
                if big_endian {
                    at.to_be_bytes()
                } else {
                    at.to_le_bytes()
                }
                .to_vec()
            }
            Variant::Big if big_endian => p.ifd_at.to_be_bytes().to_vec(),
            Variant::Big => p.ifd_at.to_le_bytes().to_vec(),
        };
        self.write_link(&link)?;
        if self.durable() {
            self.sync()?;
        }
        if self.chain.pages == 0 {
            self.first_ifd = p.ifd_at;
        }
        let linked_from = self.chain.link_field;
        self.chain = ChainEnd {
            link_field: p.ifd_at + p.bytes.next_field,
            last_ifd: Some(p.ifd_at),
            pages: self.chain.pages + 1,
        };
        self.write_tail(linked_from, &p.bytes.bytes);
        Ok(p.ifd_at)
    }

    /// Adds `page` and turns the classic file into a BigTIFF in place: the page's data
    /// go at the end as usual, then the whole chain (old pages and this one) is written
    /// once more in BigTIFF form after it, then the 16-byte header is switched in one
    /// write. Until that write the file is the classic document it was (the new bytes
    /// are unreferenced); after it, the BigTIFF chain with the new page. Strip data
    /// never move, so the old directories' offsets stay right.
    fn promote_with(&mut self, page: EncodedPage<'_>, data_at: u64) -> Result<u64> {
        let number = self.chain.pages + 1;
        let dirs = match &self.growth {
            // The whole chain as it is now, the pages this writer added included.
            Growth::Promotable(reread) => reread(&mut self.sink),
            Growth::Classic(why) => Err(why.clone()),
            Growth::Big => Err("the file is a BigTIFF already".into()),
        };
        let dirs = match dirs {
            Ok(d) => d,
            Err(why) => {
                let e = Error::SizeOverflow {
                    what: "TIFF file",
                    detail: format!(
                        "page {number} would pass the classic TIFF limit, and the file cannot become a BigTIFF: {why}; nothing of the page was written",
                    ),
                };
                // A chain that cannot be read back once will not be read the next time.
                self.growth = Growth::Classic(why);
                return Err(e);
            }
        };
        let new_ifd = page.ifd_at(data_at, Variant::Big)?;
        let chain = bigtiff_chain(&dirs, new_ifd, data_at + page.data.len())?;
        self.limits().check(number, chain.end)?;
        self.write_pending_header()?;
        let result = self.place(data_at, &page.data, chain.at, &chain.bytes);
        self.end = self.end.max(chain.end);
        result?;
        if self.durable() {
            self.sync()?;
        }
        let switched = write_at(
            &mut self.sink,
            0,
            &bigtiff_header(chain.at),
            "switching the header to BigTIFF",
        )
        .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        if switched.is_err() {
            // Part of the new header may be in the file: put the classic one back
            // (best effort; the first error is the one reported). first_ifd came from
            // a classic header, so it fits.
            let mut classic = classic_header(self.first_ifd as u32).to_vec();
            classic.resize(HEADER_ROOM as usize, 0);
            let _ = write_at(&mut self.sink, 0, &classic, "restoring the classic header")
                .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        }
        switched?;
        if self.durable() {
            self.sync()?;
        }
        self.growth = Growth::Big;
        self.chain = ChainEnd {
            link_field: chain.last_next_field,
            last_ifd: Some(chain.last),
            pages: number,
        };
        let last_ifd = &chain.bytes[(chain.last - chain.at) as usize..];
        self.write_tail(chain.last_linked_from, last_ifd);
        Ok(chain.last)
    }

    /// Writes the chain tail (see `tail`) after the page just linked, whose IFD block
    /// (table, then values) is `ifd_block` and whose IFD is linked from `linked_from`.
    /// Written after the link, at the end of the file, where the next page's data will
    /// overwrite it; `self.end` does not move. Best effort: a tail that did not reach
    /// the file (or only in part) fails its check on reopen, which then walks the
    /// chain, so a failure here does not fail the page, which is linked already.
    fn write_tail(&mut self, linked_from: u64, ifd_block: &[u8]) {
        if !self.tail || self.byte_order != ByteOrder::Little {
            return;
        }
        let Some(last) = self.chain.last_ifd else {
            return;
        };
        let Some(table) = tail::table(ifd_block, self.variant()) else {
            return;
        };
        let t = tail::encode(linked_from, last, self.chain.pages, self.end, table);
        let _ = write_at(&mut self.sink, self.end, &t, "writing the chain tail")
            .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
    }

    /// Writes `link` (the new page's IFD offset) into the chain's link field and
    /// flushes. On failure part of the link may have reached the file (with small
    /// offsets the low bytes alone make it whole), so the field is set back to 0, the
    /// chain's end mark: a page is in the document exactly when its call returned Ok.
    /// Best effort: if the sink refuses this too, the first error is the one reported.
    fn write_link(&mut self, link: &[u8]) -> Result<()> {
        let at = self.chain.link_field;
        let linked = write_at(
            &mut self.sink,
            at,
            link,
            "linking the page into the IFD chain",
        )
        .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        if linked.is_err() {
            self.failed_link = Some((at, link.to_vec()));
            let zeros = vec![0; link.len()];
            let _ = write_at(&mut self.sink, at, &zeros, "unlinking")
                .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        }
        linked
    }

    fn place(&mut self, data_at: u64, data: &PageData<'_>, ifd_at: u64, ifd: &[u8]) -> Result<()> {
        let page = self.chain.pages + 1;
        let err = |what: &str, e: io::Error| page_write_error(page, what, e);
        // Streamed strips are in the file already: what is left starts after them.
        let start = match data {
            PageData::Written(n) => data_at + n,
            _ => data_at,
        };
        self.sink
            .seek(SeekFrom::Start(start))
            .map_err(|e| err("data", e))?;
        for part in data.parts() {
            self.sink.write_all(part).map_err(|e| err("data", e))?;
        }
        let pad = ifd_at - (data_at + data.len());
        if pad > 0 {
            self.sink
                .write_all(&[0; 8][..pad as usize])
                .map_err(|e| err("data", e))?;
        }
        self.sink.write_all(ifd).map_err(|e| err("IFD", e))?;
        self.sink.flush().map_err(|e| err("data", e))
    }

    /// Ends the document and gives the sink back. Every page is already linked; this
    /// only flushes.
    pub fn finish(mut self) -> Result<W> {
        self.sink.flush().map_err(|e| Error::io("flushing", e))?;
        Ok(self.sink)
    }

    /// The sink, to look at. (There is no `get_mut`: moving the sink's position or
    /// contents under the writer would break the chain it keeps.)
    pub fn get_ref(&self) -> &W {
        &self.sink
    }
}

impl<W: Read + Write + Seek> TiffWriter<W> {
    /// Starts a new document in `sink` at offset 0, writing the 8-byte classic header
    /// and 8 bytes of room for the BigTIFF header it may grow into.
    ///
    /// The sink is read too, once, if the document grows past the classic limit: the
    /// chain is then read back to be rewritten in BigTIFF form (the writer keeps
    /// nothing per page, so its memory does not grow with the page count).
    ///
    /// [`Durability::Sync`] is refused here: this writer has no way to sync `sink`
    /// (use [`TiffWriter::create`] for files, or [`TiffWriter::new_synced`]).
    pub fn new(sink: W, options: Options) -> Result<Self> {
        Self::start(sink, options, None)
    }

    /// [`TiffWriter::new`] with `sync` to make written bytes durable (for a `File`,
    /// `File::sync_data`), called twice per page under [`Durability::Sync`].
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::tiff::{Durability, Options, TiffWriter};
    /// let opts = Options::default().durability(Durability::Sync);
    /// assert!(TiffWriter::new(Cursor::new(Vec::new()), opts.clone()).is_err());
    /// let doc = TiffWriter::new_synced(Cursor::new(Vec::new()), opts, |_| Ok(()))?;
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn new_synced(sink: W, options: Options, sync: SyncFn<W>) -> Result<Self> {
        Self::start(sink, options, Some(sync))
    }

    fn start(mut sink: W, options: Options, sync: Option<SyncFn<W>>) -> Result<Self> {
        refuse_unsyncable(&options, sync.is_some())?;
        let mut header = classic_header(0).to_vec();
        header.resize(HEADER_ROOM as usize, 0);
        write_at(&mut sink, 0, &header, "writing the TIFF header")?;
        Ok(TiffWriter {
            sink,
            options,
            encoder: EncoderCache::default(),
            chain: ChainEnd {
                link_field: 4,
                last_ifd: None,
                pages: 0,
            },
            end: HEADER_ROOM,
            growth: Growth::Promotable(reread_chain::<W>),
            tail: true,
            sync,
            first_ifd: 0,
            end_limit: None,
            header_pending: false,
            failed_link: None,
            byte_order: ByteOrder::Little,
        })
    }

    /// Opens an existing TIFF document in `sink` to add pages: walks and validates the
    /// chain once (and that every strip lies inside the file), then appends at the end
    /// of the sink.
    ///
    /// [`Durability::Sync`] is refused here, as in [`TiffWriter::new`]; see
    /// [`TiffWriter::append_to_synced`].
    pub fn append_to(sink: W, options: Options) -> Result<Self> {
        Self::open_chain(sink, options, None)
    }

    /// [`TiffWriter::append_to`] with `sync` to make written bytes durable.
    pub fn append_to_synced(sink: W, options: Options, sync: SyncFn<W>) -> Result<Self> {
        Self::open_chain(sink, options, Some(sync))
    }

    fn open_chain(mut sink: W, options: Options, sync: Option<SyncFn<W>>) -> Result<Self> {
        refuse_unsyncable(&options, sync.is_some())?;
        if let Some((chain, first_ifd, variant)) = tail::trusted_chain_end(&mut sink) {
            // A little-endian document of ours whose tail checked out in O(1): the
            // next page's data overwrite the tail.
            let end = sink
                .seek(SeekFrom::End(0))
                .map_err(|e| Error::io("finding the end of the file", e))?
                - tail::TAIL_LEN;
            let mut w = TiffWriter::resumed(sink, chain, end, options, sync);
            w.first_ifd = first_ifd;
            w.tail = true;
            // The chain is read (and checked) only if the file grows past 4 GiB.
            w.growth = match variant {
                Variant::Classic => Growth::Promotable(reread_chain::<W>),
                Variant::Big => Growth::Big,
            };
            return Ok(w);
        }
        // No usable tail: one walk, which reads each directory into the same buffers
        // and keeps none (a hostile file of dense IFDs would take many times its size
        // in memory if the chain were kept). It checks that every strip and tile lies
        // inside the file, and notes the span of each page's data (16 bytes a page,
        // less than the smallest IFD it stands for): the one field appending writes,
        // the last IFD's next-IFD field, is known only at the end, and only a page
        // whose span covers it has to be looked at again. Whether bytes 8..16 are
        // free for a BigTIFF header is asked only if the file grows past 4 GiB, when
        // the chain is read again anyway (`reread_chain`).
        let len = sink
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("finding the end of the file", e))?;
        let mut first_ifd = 0;
        let mut spans = Vec::new();
        let mut last = Directory::default();
        let mut p = 0;
        let walked = TiffFile::walk_into(&mut sink, &mut last, |d, _| {
            p += 1;
            if first_ifd == 0 {
                first_ifd = d.offset;
            }
            check_strips_inside(d, len, p)?;
            spans.push(data_span(d));
            Ok(())
        })?;
        let (variant, pages) = (walked.variant, walked.pages);
        let last = (pages > 0).then_some(last);
        if let Some(last) = &last {
            let width = if variant == Variant::Big { 8 } else { 4 };
            let field = last.next_field..last.next_field + width;
            check_link_field_is_free(field.start, variant, pages, true, last)?;
            // The IFD tables of the other pages count too (their spans hold them).
            let covered = spans[..pages - 1]
                .iter()
                .any(|&(lo, hi)| lo < field.end && hi > field.start);
            drop(spans);
            if covered {
                // A damaged or hostile file: the exact check, page by page.
                let mut p = 0;
                TiffFile::walk_into(&mut sink, &mut Directory::default(), |d, _| {
                    p += 1;
                    check_link_field_is_free(field.start, variant, p, p == pages, d)
                })?;
            }
        }
        let first_field = if variant == Variant::Big { 8 } else { 4 };
        let chain = ChainEnd {
            link_field: last.as_ref().map_or(first_field, |d| d.next_field),
            last_ifd: last.as_ref().map(|d| d.offset),
            pages: pages as u32,
        };
        let end = sink
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("finding the end of the file", e))?;
        let mut w = TiffWriter::resumed(sink, chain, end, options, sync);
        w.first_ifd = first_ifd;
        // New pages of an MM document are written big-endian (IFDs and links), so
        // every reader sees one byte order.
        w.byte_order = walked.byte_order;
        // The chain is read again, whole, only if the file grows past 4 GiB.
        w.growth = match (variant, walked.byte_order) {
            (Variant::Big, _) => Growth::Big,
            (Variant::Classic, ByteOrder::Big) => Growth::Classic(
                "growing a big-endian (MM) TIFF into a BigTIFF is not supported".into(),
            ),
            (Variant::Classic, ByteOrder::Little) => Growth::Promotable(reread_chain::<W>),
        };
        // Our pages in a little-endian file get a tail, so that the next append need
        // not walk; the file's own bytes are not touched by it (see `tail`).
        w.tail = walked.byte_order == ByteOrder::Little;
        Ok(w)
    }
}

/// The whole chain of the file in `sink` as IFDs to rewrite in BigTIFF form, for the
/// promotion of a file opened with [`TiffWriter::append_to`]. A file reopened through
/// its tail was not walked, so the strips and the link field are checked here too.
fn reread_chain<W: Read + Seek>(sink: &mut W) -> std::result::Result<Vec<Ifd>, String> {
    let room = read_room(sink).map_err(|e| format!("reading its header failed ({e})"))?;
    let file = TiffFile::read(sink).map_err(|e| format!("reading its chain again failed ({e})"))?;
    let n = file.directories.len();
    let last_field = file.directories.last().map_or(0, |d| d.next_field);
    for (i, d) in file.directories.iter().enumerate() {
        check_strips_inside(d, file.len, i + 1)
            .and_then(|_| check_link_field_is_free(last_field, file.variant, i + 1, i + 1 == n, d))
            .map_err(|e| format!("its chain is damaged ({e})"))?;
    }
    promotable_chain(&file, room)
}

/// The bytes directory `d` and the data of known size it points at span, from the
/// first to the last (what [`check_link_field_is_free`] looks at, as one range): a
/// field outside it overlaps none of them.
fn data_span(d: &Directory) -> (u64, u64) {
    let table = (d.offset, d.next_field.saturating_add(8));
    sized_extents(d)
        .filter_map(|x| match x.reach {
            Reach::Bytes(n) => Some((x.at, x.at.saturating_add(n.max(1)))),
            _ => None,
        })
        .fold(table, |(lo, hi), (a, b)| (lo.min(a), hi.max(b)))
}

/// Bytes 8..16 of the file: where a BigTIFF header would go (zeros past a short
/// file's end; the walk says what is wrong with such a file).
fn read_room<R: Read + Seek>(sink: &mut R) -> Result<[u8; 8]> {
    let mut room = Vec::with_capacity(8);
    sink.seek(SeekFrom::Start(8))
        .and_then(|_| sink.take(8).read_to_end(&mut room))
        .map_err(|e| Error::io("reading the TIFF header", e))?;
    room.resize(8, 0);
    Ok(room.try_into().expect("8 bytes"))
}

/// The strip sink of a streamed page: each strip goes right after the one before it
/// in the file, from `data_at` on (one seek for the page, unless it rewinds).
struct FileStrips<'s, W> {
    sink: &'s mut W,
    data_at: u64,
    pos: u64,
    /// The first byte past everything this page wrote or tried to.
    touched: u64,
    sought: bool,
    /// The page's number, for errors.
    number: u32,
}

impl<W: Write + Seek> StripSink for FileStrips<'_, W> {
    fn strip(&mut self, bytes: &[u8]) -> Result<()> {
        if !self.sought {
            self.sink
                .seek(SeekFrom::Start(self.pos))
                .map_err(|e| page_write_error(self.number, "data", e))?;
            self.sought = true;
        }
        self.pos += bytes.len() as u64;
        self.touched = self.touched.max(self.pos);
        self.sink
            .write_all(bytes)
            .map_err(|e| page_write_error(self.number, "data", e))
    }

    fn rewind(&mut self) -> Result<()> {
        (self.pos, self.sought) = (self.data_at, false);
        Ok(())
    }
}

/// A page's `total` bytes of rows read from `rows` into memory, in page-buffer form
/// (bilevel rows in `bilevel`'s convention turned to 0 = black).
fn read_page<R: Read>(
    rows: &mut R,
    total: u64,
    is_bilevel: bool,
    bilevel: BilevelRows,
) -> Result<Vec<u8>> {
    let len = usize::try_from(total).map_err(|_| Error::SizeOverflow {
        what: "page",
        detail: format!("{total} bytes"),
    })?;
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| {
        Error::io(
            format!("allocating {len} bytes for the page"),
            io::ErrorKind::OutOfMemory.into(),
        )
    })?;
    let got = rows
        .take(total)
        .read_to_end(&mut data)
        .map_err(|e| Error::io("reading the page's rows", e))?;
    if got < len {
        return Err(short_rows(total, got as u64));
    }
    if is_bilevel && bilevel == BilevelRows::BlackIsOne {
        // To page-buffer form, which `write_page` takes (and inverts back).
        data.iter_mut().for_each(|b| *b = !*b);
    }
    Ok(data)
}

/// How a sink's written bytes are made durable (for a `File`, `File::sync_data`).
pub type SyncFn<W> = fn(&mut W) -> io::Result<()>;

/// [`Durability::Sync`] promises what only a writer that can sync may keep.
fn refuse_unsyncable(options: &Options, can_sync: bool) -> Result<()> {
    if options.file.durability == Durability::Sync && !can_sync {
        return Err(Error::invalid(
            "durability",
            "Sync",
            "this writer cannot sync its sink: use TiffWriter::create or TiffWriter::append for files, or new_synced / append_to_synced with a sync function",
        ));
    }
    Ok(())
}

/// A failed write of page `page`'s `what` (data, IFD), saying what a full medium
/// leaves intact.
fn page_write_error(page: u32, what: &str, e: io::Error) -> Error {
    let full = crate::error::io_is_medium_full(&e);
    let hint = if full && page == 1 {
        " (the disk is full or a file-size limit was reached; the document has no page yet)"
            .to_string()
    } else if full {
        format!(
            " (the disk is full or a file-size limit was reached; pages 1..{} are intact)",
            page - 1
        )
    } else {
        String::new()
    };
    Error::io(format!("writing page {page}'s {what}{hint}"), e)
}

fn write_at<W: Write + Seek>(sink: &mut W, at: u64, bytes: &[u8], ctx: &str) -> Result<()> {
    sink.seek(SeekFrom::Start(at))
        .map_err(|e| Error::io(ctx, e))?;
    sink.write_all(bytes).map_err(|e| Error::io(ctx, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PageSpec, PixelType};
    use std::io::Cursor;

    fn gray_page() -> (PageSpec, Vec<u8>) {
        (
            PageSpec::new(13, 9, PixelType::Gray8),
            (0..117).map(|i| (i * 7) as u8).collect(),
        )
    }

    /// Moved from tests/bigtiff.rs when `resume` left the public API (the transfer
    /// context is its one caller).
    #[test]
    fn a_resumed_writer_cannot_promote_and_says_why() {
        let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default()).unwrap();
        let (spec, data) = gray_page();
        doc.write_page(&spec, &data).unwrap();
        let chain = doc.chain_end();
        let mut sink = doc.finish().unwrap();
        let before = sink.get_ref().clone();
        let end = before.len() as u64;
        let opts = Options::default().bigtiff(BigTiff::PromoteAt(end + 10));
        let mut doc = TiffWriter::resume(&mut sink, chain, end, opts).unwrap();
        let err = doc.write_page(&spec, &data).unwrap_err();
        assert!(err.to_string().contains("resumed"), "{err}");
        drop(doc);
        assert_eq!(sink.get_ref(), &before);
    }

    /// A sink that counts its syncs and records how many bytes had been written at each.
    #[derive(Default)]
    struct CountingSink {
        file: Cursor<Vec<u8>>,
        written: u64,
        syncs: Vec<u64>,
    }
    impl Write for CountingSink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.written += b.len() as u64;
            self.file.write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Read for CountingSink {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.file.read(b)
        }
    }
    impl Seek for CountingSink {
        fn seek(&mut self, p: SeekFrom) -> io::Result<u64> {
            self.file.seek(p)
        }
    }
    fn count_sync(s: &mut CountingSink) -> io::Result<()> {
        s.syncs.push(s.written);
        Ok(())
    }

    #[test]
    fn durability_sync_syncs_before_and_after_every_link_and_flush_never() {
        let (spec, data) = gray_page();
        let sync = Options::default().durability(Durability::Sync);
        let mut doc = TiffWriter::new_synced(CountingSink::default(), sync, count_sync).unwrap();
        for _ in 0..3 {
            doc.write_page(&spec, &data).unwrap();
        }
        let s = doc.finish().unwrap();
        assert_eq!(s.syncs.len(), 6, "two syncs per page: {:?}", s.syncs);
        // The second sync of a page comes after the link (4 or 8 bytes) was written.
        for pair in s.syncs.chunks(2) {
            assert_eq!(pair[1] - pair[0], 4, "{:?}", s.syncs);
        }
        let file = TiffFile::read(&mut Cursor::new(s.file.into_inner())).unwrap();
        assert_eq!(file.directories.len(), 3);

        let flush = Options::default();
        let mut doc = TiffWriter::new_synced(CountingSink::default(), flush, count_sync).unwrap();
        doc.write_page(&spec, &data).unwrap();
        assert!(doc.finish().unwrap().syncs.is_empty());
    }

    #[test]
    fn durability_sync_is_refused_by_a_writer_that_cannot_sync() {
        let sync = Options::default().durability(Durability::Sync);
        for e in [
            TiffWriter::new(Cursor::new(Vec::new()), sync.clone()).err(),
            TiffWriter::append_to(Cursor::new(Vec::new()), sync.clone()).err(),
            TiffWriter::resume(
                Cursor::new(Vec::new()),
                ChainEnd {
                    link_field: 4,
                    last_ifd: None,
                    pages: 0,
                },
                16,
                sync.clone(),
            )
            .err(),
        ] {
            let e = e.expect("refused");
            assert!(
                matches!(
                    e,
                    Error::InvalidArgument {
                        field: "durability",
                        ..
                    }
                ),
                "{e}"
            );
        }
    }
}

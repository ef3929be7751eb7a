//! The multipage TIFF writer for seekable sinks: page data and IFD appended at the end,
//! then linked from the previous IFD in one small write. The protocol, and the tests
//! behind each of its failure cases, are in `docs/format.md`.
//!
//! Here: the writer's state, its constructors and the link protocol (placing a page,
//! linking it, the tail). The page path is in `page`, opening an existing file in
//! `open`, growing into a BigTIFF in `grow`.

mod grow;
mod open;
mod page;

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::byteorder::{ifd_to_big_endian, ByteOrder};
use super::encode::EncoderCache;
use super::ifd::Variant;
use super::layout::{
    classic_header, place, ChainEnd, EncodedPage, Limits, PageData, Placed, Placement, HEADER_ROOM,
};
use super::options::{BigTiff, Durability, Options, CLASSIC_LIMIT};
use super::tail;
use crate::error::{Error, Result};
use grow::{reread_chain, Growth};

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
    use crate::tiff::TiffFile;
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

//! The multipage TIFF writer for seekable sinks: page data and IFD appended at the end,
//! then linked from the previous IFD in one small write. Appending never walks the chain.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::ifd::{Ifd, Variant};
use super::page::{encode_page, passthrough_page, EncodedPage, EncoderCache, Options};
use super::reader::TiffFile;
use super::tags::tag::{STRIP_BYTE_COUNTS, STRIP_OFFSETS};
use super::tags::Value;
use crate::codec::Compression;
use crate::error::{Error, Result};
use crate::geometry::PageSpec;

/// How far a page must have got before [`TiffWriter::write_page`] returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Page data, IFD and link are handed to the operating system before the call
    /// returns. A killed process loses nothing it acknowledged; a power loss or kernel
    /// crash may lose recent pages (never the file's structure: see below).
    #[default]
    Flush,
    /// Also `fdatasync` the page data and IFD before the link is written, and the link
    /// after: an acknowledged page survives a power loss. Costs two syncs per page; the
    /// sink must be able to sync (files from [`TiffWriter::create`] /
    /// [`TiffWriter::append`], or [`TiffWriter::sync_with`]).
    Sync,
}

/// What happens when a classic TIFF, whose offsets are 32-bit, would pass its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BigTiff {
    /// Promote the file to BigTIFF in place when a page would end past this byte
    /// (clamped to the 4 GiB classic limit, the default). Strip data never move: the IFD
    /// chain is rewritten once in BigTIFF form at the end, then the header is switched
    /// in one small write. A small threshold lets tests promote small files.
    PromoteAt(u64),
    /// Stay classic: a page that would end past `limit` bytes (clamped to 4 GiB) is
    /// refused with [`Error::SizeOverflow`] before a byte of it is written. For callers
    /// whose offsets are narrower still, like the C ABI's 32-bit signed `LONG`.
    Never { limit: u64 },
}

impl Default for BigTiff {
    fn default() -> Self {
        BigTiff::PromoteAt(CLASSIC_LIMIT)
    }
}

/// The largest end offset a classic TIFF page may have.
const CLASSIC_LIMIT: u64 = u32::MAX as u64;

/// The file-level settings of [`Options`]: how safely and how far a document grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FileSettings {
    pub durability: Durability,
    pub bigtiff: BigTiff,
}

impl Options {
    /// How far each page gets before `write_page` returns (default [`Durability::Flush`]).
    ///
    /// ```
    /// use wias::tiff::{Durability, Options};
    /// let opts = Options::default().durability(Durability::Sync);
    /// assert_eq!(opts.durability_setting(), Durability::Sync);
    /// ```
    pub fn durability(mut self, d: Durability) -> Self {
        self.file.durability = d;
        self
    }

    /// What to do at the classic TIFF's 4 GiB limit (default: promote to BigTIFF there).
    ///
    /// ```
    /// use wias::tiff::{BigTiff, Options};
    /// let opts = Options::default().bigtiff(BigTiff::PromoteAt(1 << 20));
    /// assert_eq!(opts.bigtiff_setting(), BigTiff::PromoteAt(1 << 20));
    /// ```
    pub fn bigtiff(mut self, b: BigTiff) -> Self {
        self.file.bigtiff = b;
        self
    }

    /// The durability set.
    pub fn durability_setting(&self) -> Durability {
        self.file.durability
    }

    /// The BigTIFF policy set.
    pub fn bigtiff_setting(&self) -> BigTiff {
        self.file.bigtiff
    }
}

/// Where the chain of a document ends: what a writer needs to add the next page.
///
/// This is the state the C transfer context carries between calls in `lCurIfdOffset`
/// and `lPage`; keeping it makes page N cost what page 1 costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainEnd {
    /// File offset of the field the next IFD's offset goes into (the header's first-IFD
    /// field for an empty document, else the last IFD's next-IFD field).
    pub link_field: u64,
    /// Offset of the last page's IFD, if there is a page.
    pub last_ifd: Option<u64>,
    /// Pages in the chain.
    pub pages: u32,
}

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
    /// Classic or BigTIFF, as the header says now.
    variant: Variant,
    /// While the file is classic: its chain as directories we can rewrite in BigTIFF
    /// form, or why that is impossible (resumed without the chain, bytes 8..16 in use,
    /// sub-IFDs, ...). The reason becomes the error if the file outgrows 4 GiB.
    promotable: std::result::Result<Vec<Ifd>, String>,
    /// Makes written bytes durable, for [`Durability::Sync`].
    sync: Option<fn(&mut W) -> io::Result<()>>,
    /// The classic header's first-IFD offset (0 with no page): what a failed switch
    /// to the BigTIFF header is undone to.
    first_ifd: u64,
    /// Largest end offset the caller can record, and the name of where it goes: the C
    /// transfer context keeps it (where the next page goes) in a 32-bit LONG.
    end_limit: Option<(u64, &'static str)>,
}

/// Bytes of a BigTIFF header; a classic header is 8. We write classic files with the
/// next 8 bytes left free, so the header can grow in place.
const HEADER_ROOM: u64 = 16;

impl TiffWriter<File> {
    /// Creates (or truncates) `path` and writes the TIFF header.
    ///
    /// The file is locked (an advisory lock, `flock` on Unix) for as long as the writer
    /// or the `File` it returns lives: a second `create` or `append` of the same file
    /// fails with [`Error::Locked`] and leaves it untouched, instead of interleaving
    /// pages. The file is truncated only once the lock is held.
    pub fn create(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        lock(&f, path)?;
        f.set_len(0)
            .map_err(|e| Error::io(format!("truncating {}", path.display()), e))?;
        let durable = options.file.durability == Durability::Sync;
        let mut w = TiffWriter::new(f, options)?;
        if durable {
            w = w.sync_with(sync_file);
            w.sync()?;
            sync_parent_dir(path)?;
        }
        Ok(w)
    }

    /// Opens an existing TIFF at `path` to add pages. The chain is walked once and
    /// validated; a file that is not a TIFF, or whose chain is broken, is an error and
    /// is left untouched.
    pub fn append(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        lock(&f, path)?;
        let durable = options.file.durability == Durability::Sync;
        let w = TiffWriter::append_to(f, options)?;
        Ok(if durable { w.sync_with(sync_file) } else { w })
    }
}

impl<W: Write + Seek> TiffWriter<W> {
    /// Starts a new document in `sink` at offset 0, writing the 8-byte classic header
    /// and 8 bytes of room for the BigTIFF header it may grow into.
    pub fn new(mut sink: W, options: Options) -> Result<Self> {
        let mut header = Vec::with_capacity(HEADER_ROOM as usize);
        header.extend_from_slice(b"II");
        header.extend_from_slice(&42u16.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
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
            variant: Variant::Classic,
            promotable: Ok(Vec::new()),
            sync: None,
            first_ifd: 0,
            end_limit: None,
        })
    }

    /// Continues a classic document whose chain ends as `chain` says, appending at
    /// `end` (the file length). Nothing is read: the caller vouches for `chain`. Such a
    /// writer cannot promote the file to BigTIFF (it does not know the chain): a page
    /// that would pass the classic limit is refused before anything is written.
    pub fn resume(sink: W, chain: ChainEnd, end: u64, options: Options) -> Self {
        TiffWriter {
            sink,
            options,
            encoder: EncoderCache::default(),
            chain,
            end,
            variant: Variant::Classic,
            end_limit: None,
            first_ifd: 0,
            promotable: Err("the writer was resumed from a chain end without the chain's directories (open the file with TiffWriter::append to let it grow to BigTIFF)".into()),
            sync: None,
        }
    }

    /// Sets how the sink's written bytes are made durable for [`Durability::Sync`]
    /// (for a `File`, `File::sync_data`). [`TiffWriter::create`] and
    /// [`TiffWriter::append`] set it themselves when the options ask for it.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::tiff::{Options, TiffWriter};
    /// let doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?
    ///     .sync_with(|_| Ok(()));
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn sync_with(mut self, f: fn(&mut W) -> io::Result<()>) -> Self {
        self.sync = Some(f);
        self
    }

    /// Classic TIFF, or BigTIFF once the file has been promoted.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Makes everything written so far durable, if a sync function is set.
    fn sync(&mut self) -> Result<()> {
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
        let index = self.chain.pages;
        let encoder = self.encoder.get(&self.options.codec, spec.pixel)?;
        let page = encode_page(spec, rows, index, &self.options, encoder)?;
        self.append_encoded(page)
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
        let page = passthrough_page(spec, compression, data, self.chain.pages, &self.options)?;
        self.append_encoded(page)
    }

    /// Places an encoded page at the end of the file, writes its IFD after it, and
    /// links it: the one step that makes the page part of the document.
    pub(crate) fn append_encoded(&mut self, page: EncodedPage<'_>) -> Result<u64> {
        // Never inside the room a BigTIFF header needs, even in a shorter file.
        let data_at = align2(self.end.max(HEADER_ROOM));
        let data_len = page.data.len() as u64;
        // The page's IFD gains StripOffsets and StripByteCounts when placed.
        let entries = page.ifd.len()
            + [STRIP_OFFSETS, STRIP_BYTE_COUNTS]
                .iter()
                .filter(|&&t| page.ifd.get(t).is_none())
                .count();
        let ifd_at = ifd_place(data_at + data_len, entries, self.variant);
        let big = self.variant == Variant::Big;
        if !big {
            let (limit, promote) = match self.options.file.bigtiff {
                BigTiff::PromoteAt(t) => (t.min(CLASSIC_LIMIT), true),
                BigTiff::Never { limit } => (limit.min(CLASSIC_LIMIT), false),
            };
            // The page in classic form, if its offsets fit in 32 bits at all (an IFD
            // starting past 4 GiB, or values pushed past it, cannot be serialised).
            let classic = if ifd_at <= CLASSIC_LIMIT {
                let ifd = page.ifd_at(data_at, false);
                ifd.serialize(ifd_at, 0, Variant::Classic)
                    .ok()
                    .map(|b| (ifd, b))
            } else {
                None
            };
            let fits = classic
                .as_ref()
                .map(|(_, b)| ifd_at + b.bytes.len() as u64)
                .filter(|&e| e <= limit);
            match (fits, classic) {
                (Some(new_end), Some((ifd, bytes))) => {
                    return self.link_page(data_at, &page.data, ifd_at, ifd, bytes, new_end)
                }
                _ if promote => return self.promote_with(page, data_at),
                _ => {
                    return Err(Error::SizeOverflow {
                        what: "TIFF file",
                        detail: format!(
                            "page {} would end past byte {limit}, the most this classic TIFF may hold; nothing of it was written",
                            self.chain.pages + 1
                        ),
                    })
                }
            }
        }
        let ifd = page.ifd_at(data_at, true);
        let bytes = ifd.serialize(ifd_at, 0, Variant::Big)?;
        let new_end = ifd_at + bytes.bytes.len() as u64;
        self.link_page(data_at, &page.data, ifd_at, ifd, bytes, new_end)
    }

    /// Refuses, before anything is written, a page whose bytes would end at `new_end`,
    /// if the caller's limits do not allow it.
    fn check_limits(&self, new_end: u64) -> Result<()> {
        if let Some((max, what)) = self.end_limit.filter(|(max, _)| new_end > *max) {
            // The caller cannot hold the offset (a C context's LONG): to it the file is
            // full, so say so in the form a full disk takes (STG_E_MEDIUMFULL).
            return Err(Error::io(
                format!("page {}", self.chain.pages + 1),
                std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!("it would end at byte {new_end}, past the limit of {max} that {what} can hold"),
                ),
            ));
        }
        if new_end > self.options.max_file_size {
            return Err(Error::io(
                format!("page {}", self.chain.pages + 1),
                std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!(
                        "it would end at byte {new_end}, past the file size limit of {} bytes",
                        self.options.max_file_size
                    ),
                ),
            ));
        }
        Ok(())
    }

    /// Writes page data and IFD, makes them durable if asked, then writes the link.
    fn link_page(
        &mut self,
        data_at: u64,
        data: &[u8],
        ifd_at: u64,
        ifd: Ifd,
        bytes: super::ifd::IfdBytes,
        new_end: u64,
    ) -> Result<u64> {
        self.check_limits(new_end)?;
        let result = self.place(data_at, data, ifd_at, &bytes.bytes);
        // Whatever happened, bytes up to new_end may have been touched.
        self.end = self.end.max(new_end);
        result?;
        if self.durable() {
            self.sync()?;
        }
        let link = match self.variant {
            Variant::Classic => (ifd_at as u32).to_le_bytes().to_vec(),
            Variant::Big => ifd_at.to_le_bytes().to_vec(),
        };
        self.write_link(&link)?;
        if self.durable() {
            self.sync()?;
        }
        if self.chain.pages == 0 {
            self.first_ifd = ifd_at;
        }
        self.chain = ChainEnd {
            link_field: ifd_at + bytes.next_field,
            last_ifd: Some(ifd_at),
            pages: self.chain.pages + 1,
        };
        if let Ok(dirs) = &mut self.promotable {
            dirs.push(ifd);
        }
        Ok(ifd_at)
    }

    /// Adds `page` and turns the classic file into a BigTIFF in place: the page's data
    /// go at the end as usual, then the whole chain (old pages and this one) is written
    /// once more in BigTIFF form after it, then the 16-byte header is switched in one
    /// write. Until that write the file is the classic document it was (the new bytes
    /// are unreferenced); after it, the BigTIFF chain with the new page. Strip data
    /// never move, so the old directories' offsets stay right.
    fn promote_with(&mut self, page: EncodedPage<'_>, data_at: u64) -> Result<u64> {
        let dirs = match &self.promotable {
            Ok(d) => d,
            Err(why) => {
                return Err(Error::SizeOverflow {
                    what: "TIFF file",
                    detail: format!(
                        "page {} would pass the classic TIFF limit, and the file cannot become a BigTIFF: {why}; nothing of the page was written",
                        self.chain.pages + 1
                    ),
                })
            }
        };
        let data_len = page.data.len() as u64;
        let new_ifd = page.ifd_at(data_at, true);
        let first = dirs.first().unwrap_or(&new_ifd);
        let chain_at = ifd_place(data_at + data_len, first.len(), Variant::Big);
        let mut chain = Vec::new();
        let mut at = chain_at;
        let mut placed: Vec<(u64, u64)> = Vec::with_capacity(dirs.len() + 1); // (ifd, next field)
        for ifd in dirs.iter().chain(std::iter::once(&new_ifd)) {
            at = ifd_place(at, ifd.len(), Variant::Big);
            chain.resize((at - chain_at) as usize, 0);
            let b = ifd.serialize(at, 0, Variant::Big)?;
            if let Some(&(_, prev_next)) = placed.last() {
                let k = (prev_next - chain_at) as usize;
                chain[k..k + 8].copy_from_slice(&at.to_le_bytes());
            }
            placed.push((at, at + b.next_field));
            chain.extend_from_slice(&b.bytes);
            at += b.bytes.len() as u64;
        }
        let &(last, last_next) = placed.last().expect("the new page is placed");
        self.check_limits(at)?;
        let result = self.place(data_at, &page.data, chain_at, &chain);
        self.end = self.end.max(at);
        result?;
        if self.durable() {
            self.sync()?;
        }
        let mut header = Vec::with_capacity(HEADER_ROOM as usize);
        header.extend_from_slice(b"II");
        header.extend_from_slice(&43u16.to_le_bytes());
        header.extend_from_slice(&8u16.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(&chain_at.to_le_bytes());
        let switched = write_at(
            &mut self.sink,
            0,
            &header,
            "switching the header to BigTIFF",
        )
        .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        if switched.is_err() {
            // Part of the new header may be in the file: put the classic one back
            // (best effort; the first error is the one reported).
            let mut classic = b"II*\0".to_vec();
            classic.extend_from_slice(&(self.first_ifd as u32).to_le_bytes());
            classic.resize(HEADER_ROOM as usize, 0);
            let _ = write_at(&mut self.sink, 0, &classic, "restoring the classic header")
                .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        }
        switched?;
        if self.durable() {
            self.sync()?;
        }
        self.variant = Variant::Big;
        self.promotable = Err("the file is a BigTIFF already".into());
        self.chain = ChainEnd {
            link_field: last_next,
            last_ifd: Some(last),
            pages: self.chain.pages + 1,
        };
        Ok(last)
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
            let zeros = vec![0; link.len()];
            let _ = write_at(&mut self.sink, at, &zeros, "unlinking")
                .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        }
        linked
    }

    fn place(&mut self, data_at: u64, data: &[u8], ifd_at: u64, ifd: &[u8]) -> Result<()> {
        let page = self.chain.pages + 1;
        let err = |what: &str, e: io::Error| {
            let hint = if full(&e) {
                format!(
                    " (the disk is full or a file-size limit was reached; pages 1..{} are intact)",
                    page - 1
                )
            } else {
                String::new()
            };
            Error::io(format!("writing page {page}'s {what}{hint}"), e)
        };
        self.sink
            .seek(SeekFrom::Start(data_at))
            .map_err(|e| err("data", e))?;
        self.sink.write_all(data).map_err(|e| err("data", e))?;
        let pad = ifd_at - (data_at + data.len() as u64);
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

    /// The sink, for callers that need to sync or inspect it.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.sink
    }
}

impl<W: Read + Write + Seek> TiffWriter<W> {
    /// Opens an existing TIFF document in `sink` to add pages: walks and validates the
    /// chain once (and that every strip lies inside the file), then appends at the end
    /// of the sink.
    pub fn append_to(mut sink: W, options: Options) -> Result<Self> {
        let file = TiffFile::read(&mut sink)?;
        file.check_strips_in_file()?;
        check_link_field_is_free(&file)?;
        let chain = file.chain_end();
        let end = sink
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("finding the end of the file", e))?;
        let mut w = TiffWriter::resume(sink, chain, end, options);
        w.variant = file.variant;
        w.first_ifd = file.directories.first().map_or(0, |d| d.offset);
        w.promotable = match file.variant {
            Variant::Big => Err("the file is a BigTIFF already".into()),
            Variant::Classic => promotable_chain(&file),
        };
        Ok(w)
    }
}

/// The directories of a classic file as IFDs we can rewrite in BigTIFF form, or why
/// the file cannot be promoted in place.
fn promotable_chain(file: &TiffFile) -> std::result::Result<Vec<Ifd>, String> {
    /// Tags whose values are offsets of further classic IFDs, which a BigTIFF reader
    /// would misread.
    const SUB_IFD_TAGS: [(u16, &str); 4] = [
        (330, "SubIFDs"),
        (34665, "ExifIFD"),
        (34853, "GPSInfo"),
        (40965, "InteroperabilityIFD"),
    ];
    let header_room = 8..HEADER_ROOM;
    let overlaps =
        |at: u64, len: u64| at < header_room.end && at.saturating_add(len) > header_room.start;
    let mut out = Vec::with_capacity(file.directories.len());
    for (i, d) in file.directories.iter().enumerate() {
        let p = i + 1;
        if overlaps(d.offset, d.next_field + 4 - d.offset) {
            return Err(format!(
                "page {p}'s IFD sits in bytes 8..16, where the BigTIFF header goes"
            ));
        }
        let mut ifd = Ifd::new();
        for e in &d.entries {
            if let Some((_, name)) = SUB_IFD_TAGS.iter().find(|(t, _)| *t == e.tag) {
                return Err(format!(
                    "page {p} has a {name} tag pointing at classic sub-directories"
                ));
            }
            let Some(raw) = &e.raw else {
                return Err(format!(
                    "page {p}: tag {} has a value of unknown type or too large to copy",
                    e.tag
                ));
            };
            if let Some(off) = e.value_offset {
                if overlaps(off, raw.len() as u64) {
                    return Err(format!("page {p}: the value of tag {} sits in bytes 8..16, where the BigTIFF header goes", e.tag));
                }
            }
            ifd.set(
                e.tag,
                Value::Raw {
                    field_type: e.field_type,
                    count: e.count,
                    bytes: raw.clone(),
                },
            );
        }
        if let Some((offs, counts)) = d.strips() {
            if offs.iter().zip(counts).any(|(&o, &c)| overlaps(o, c)) {
                return Err(format!("page {p}'s image data sit in bytes 8..16, where the BigTIFF header goes (the file was not written by wias)"));
            }
        }
        out.push(ifd);
    }
    Ok(out)
}

/// Appending writes one field of an existing file: the last IFD's next-IFD offset.
/// In a damaged or hostile file that field can lie inside another IFD, a tag value or
/// image data, which the write would corrupt; such a file is refused.
fn check_link_field_is_free(file: &TiffFile) -> Result<()> {
    let Some(last) = file.directories.last() else {
        return Ok(());
    };
    let width = if file.variant == Variant::Big { 8 } else { 4 };
    let field = last.next_field..last.next_field + width;
    let hits = |at: u64, len: u64| at < field.end && at.saturating_add(len) > field.start;
    let refuse = |what: String| {
        Err(Error::Corrupt(format!(
            "the last IFD's next-IFD field (bytes {}..{}) overlaps {what}; appending would damage it",
            field.start, field.end
        )))
    };
    let n = file.directories.len();
    for (i, d) in file.directories.iter().enumerate() {
        let p = i + 1;
        if i + 1 < n && hits(d.offset, d.next_field + width - d.offset) {
            return refuse(format!("the IFD of page {p} at byte {}", d.offset));
        }
        for e in &d.entries {
            if let Some(off) = e.value_offset {
                let size = super::tags::field_type::size(e.field_type).unwrap_or(1);
                if hits(off, size.saturating_mul(e.count).max(1)) {
                    return refuse(format!("the value of tag {} of page {p}", e.tag));
                }
            }
        }
        if let Some((offs, counts)) = d.strips() {
            if let Some(k) = offs.iter().zip(counts).position(|(&o, &c)| hits(o, c)) {
                return refuse(format!("strip {k} of page {p}"));
            }
        }
    }
    Ok(())
}

/// Takes the advisory lock on a file we are about to write, or says who holds it.
///
/// A `flock` lock belongs to the open file, and a process that forks (any thread
/// spawning a child) holds a copy of every open file until the child's `exec` closes
/// it: a lock just released can look held for a moment. So a busy lock is tried again
/// for a short while before it is reported.
fn lock(f: &File, path: &Path) -> Result<()> {
    const TRIES: u32 = 20;
    for attempt in 1..=TRIES {
        match fs4::FileExt::try_lock(f) {
            Ok(()) => return Ok(()),
            Err(fs4::TryLockError::WouldBlock) if attempt < TRIES => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(fs4::TryLockError::WouldBlock) => break,
            Err(fs4::TryLockError::Error(e)) => {
                return Err(Error::io(format!("locking {}", path.display()), e))
            }
        }
    }
    Err(Error::Locked(path.display().to_string()))
}

/// A full disk or a file-size limit (ENOSPC, EFBIG, EDQUOT), as `Error::is_medium_full`
/// sees it.
fn full(e: &io::Error) -> bool {
    Error::io("", io::Error::new(e.kind(), "")).is_medium_full()
        || e.raw_os_error()
            .is_some_and(|c| Error::io("", io::Error::from_raw_os_error(c)).is_medium_full())
}

fn sync_file(f: &mut File) -> io::Result<()> {
    f.sync_data()
}

/// Makes a new file's directory entry durable (Unix; elsewhere the file system does).
fn sync_parent_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(format!("syncing the directory {}", dir.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Where an IFD of `entries` entries goes at or after `x`: an even offset (TIFF's
/// rule) that puts its next-IFD field on a multiple of the field's size (4 or 8
/// bytes). Such a field never straddles a page or sector boundary, so the one write
/// that links the next page cannot be torn: the kernel stops a write interrupted by
/// SIGKILL only at page boundaries, and disks tear only at sector boundaries.
fn ifd_place(x: u64, entries: usize, variant: Variant) -> u64 {
    let (count_len, entry_len, next_len) = variant.sizes();
    let table = count_len + entries as u64 * entry_len;
    let mut at = align2(x);
    while (at + table) % next_len != 0 {
        at += 2;
    }
    at
}

fn align2(x: u64) -> u64 {
    x + (x & 1)
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

    /// The property the `tiff_reader` fuzz target checks, on every input it ever
    /// crashed on (`fuzz/regressions/tiff_reader`): reading gives a value or an error,
    /// and appending a page (with and without promotion) to a file we accept gives a
    /// file that reads back with one page more.
    #[test]
    fn fuzz_regressions_append_and_read_back() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/regressions/tiff_reader"
        );
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            seen += 1;
            let Ok(file) = TiffFile::read(&mut Cursor::new(&data[..])) else {
                continue;
            };
            let _ = file.problems();
            for opts in [
                Options::default(),
                Options::default().bigtiff(BigTiff::PromoteAt(0)),
            ] {
                let Ok(mut doc) = TiffWriter::append_to(Cursor::new(data.clone()), opts) else {
                    continue;
                };
                let spec = PageSpec::new(3, 2, PixelType::Gray8);
                if doc.write_page(&spec, &[1, 2, 3, 4, 5, 6]).is_err() {
                    continue;
                }
                let out = doc.finish().unwrap().into_inner();
                let again = TiffFile::read(&mut Cursor::new(&out[..]))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(again.directories.len(), file.directories.len() + 1);
            }
        }
        assert!(seen >= 2);
    }

    #[test]
    fn a_link_field_inside_another_ifd_is_refused() {
        // Two IFDs, at bytes 8 and 12, overlap: the second one's next-IFD field lies
        // in the first one's entries, and writing it would change them.
        let data = include_bytes!("../../../../fuzz/regressions/tiff_reader/overlapping-ifds.tif");
        let file = TiffFile::read(&mut Cursor::new(&data[..])).unwrap();
        assert_eq!(file.directories[1].offset, 12);
        let e = match TiffWriter::append_to(Cursor::new(data.to_vec()), Options::default()) {
            Err(e) => e,
            Ok(_) => panic!("appending to overlapping IFDs was allowed"),
        };
        assert!(matches!(e, Error::Corrupt(_)), "{e}");
        assert!(e.to_string().contains("the IFD of page 1 at byte 8"), "{e}");
        assert!(e.to_string().contains("appending would damage it"), "{e}");
    }
}

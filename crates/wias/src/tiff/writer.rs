//! The multipage TIFF writer for seekable sinks: page data and IFD appended at the end,
//! then linked from the previous IFD in one small write. Appending never walks the chain.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::ifd::Variant;
use super::page::{encode_page, passthrough_page, EncodedPage, Options};
use super::reader::TiffFile;
use crate::codec::{encoder_for, Compression, StripEncoder};
use crate::error::{Error, Result};
use crate::geometry::PageSpec;

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
    encoder: Option<(crate::PixelType, Box<dyn StripEncoder>)>,
    chain: ChainEnd,
    /// First byte past everything written or attempted: after a failed page the space
    /// it may have touched is abandoned, never reused, so a link that did reach the
    /// disk can never point at bytes we overwrite later.
    end: u64,
    /// Largest IFD offset the caller can record, and the name of where it goes: the C
    /// transfer context keeps it in a 32-bit LONG.
    ifd_limit: Option<(u64, &'static str)>,
}

impl TiffWriter<File> {
    /// Creates (or truncates) `path` and writes the TIFF header.
    pub fn create(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let f =
            File::create(path).map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        TiffWriter::new(f, options)
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
        TiffWriter::append_to(f, options)
    }
}

impl<W: Write + Seek> TiffWriter<W> {
    /// Starts a new document in `sink` at offset 0, writing the 8-byte header.
    pub fn new(mut sink: W, options: Options) -> Result<Self> {
        let mut header = Vec::with_capacity(8);
        header.extend_from_slice(b"II");
        header.extend_from_slice(&42u16.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        write_at(&mut sink, 0, &header, "writing the TIFF header")?;
        Ok(TiffWriter {
            sink,
            options,
            encoder: None,
            chain: ChainEnd {
                link_field: 4,
                last_ifd: None,
                pages: 0,
            },
            end: 8,
            ifd_limit: None,
        })
    }

    /// Continues a document whose chain ends as `chain` says, appending at `end`
    /// (the file length). Nothing is read: the caller vouches for `chain`.
    pub fn resume(sink: W, chain: ChainEnd, end: u64, options: Options) -> Self {
        TiffWriter {
            sink,
            options,
            encoder: None,
            chain,
            end,
            ifd_limit: None,
        }
    }

    /// Refuses, before writing anything, a page whose IFD would start past `max`
    /// (`what` names the field that has to hold the offset, for the message).
    pub(crate) fn with_ifd_limit(mut self, max: u64, what: &'static str) -> Self {
        self.ifd_limit = Some((max, what));
        self
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

    /// Encodes and appends one page of top-down rows (DESIGN §2 layout: bilevel 0 =
    /// black, MSB first; 16-bit samples little-endian), then links it. Returns the
    /// offset of the page's IFD. On error the document still holds every earlier page.
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> Result<u64> {
        let index = self.chain.pages;
        self.prepare_encoder(spec.pixel)?;
        let encoder = self
            .encoder
            .as_ref()
            .map(|(_, e)| e.as_ref())
            .expect("prepared");
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

    /// Builds the strip encoder for `pixel` pages unless the last page had the same type.
    fn prepare_encoder(&mut self, pixel: crate::PixelType) -> Result<()> {
        if !matches!(&self.encoder, Some((p, _)) if *p == pixel) {
            self.encoder = Some((pixel, encoder_for(&self.options.codec, pixel)?));
        }
        Ok(())
    }

    /// Places an encoded page at the end of the file, writes its IFD after it, and
    /// links it: the one step that makes the page part of the document.
    pub(crate) fn append_encoded(&mut self, page: EncodedPage<'_>) -> Result<u64> {
        let data_at = self.end + (self.end & 1);
        let data_len = page.data.len() as u64;
        let ifd_at = align2(data_at + data_len);
        let ifd = page.ifd_at(data_at, false);
        let bytes = ifd.serialize(ifd_at, 0, Variant::Classic)?;
        let new_end = ifd_at + bytes.bytes.len() as u64;
        if new_end > Variant::Classic.max_offset() {
            return Err(Error::SizeOverflow {
                what: "TIFF file",
                detail: format!("page {} would end at byte {new_end}, past the 4 GiB a classic TIFF can address", self.chain.pages + 1),
            });
        }
        if let Some((max, what)) = self.ifd_limit.filter(|(max, _)| ifd_at > *max) {
            // The caller cannot hold the offset (a C context's LONG): to it the file is
            // full, so say so in the form a full disk takes (STG_E_MEDIUMFULL).
            return Err(Error::io(
                format!("page {}", self.chain.pages + 1),
                std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!("its IFD would be at byte {ifd_at}, past the limit of {max} that {what} can hold"),
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
        let result = self.place(data_at, &page.data, ifd_at, &bytes.bytes);
        // Whatever happened, bytes up to new_end may have been touched.
        self.end = self.end.max(new_end);
        result?;
        self.write_link(&(ifd_at as u32).to_le_bytes())?;
        self.chain = ChainEnd {
            link_field: ifd_at + bytes.next_field,
            last_ifd: Some(ifd_at),
            pages: self.chain.pages + 1,
        };
        Ok(ifd_at)
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
        let ctx = "writing page data";
        self.sink
            .seek(SeekFrom::Start(data_at))
            .map_err(|e| Error::io(ctx, e))?;
        self.sink.write_all(data).map_err(|e| Error::io(ctx, e))?;
        if ifd_at != data_at + data.len() as u64 {
            self.sink.write_all(&[0]).map_err(|e| Error::io(ctx, e))?;
        }
        self.sink
            .write_all(ifd)
            .map_err(|e| Error::io("writing the page's IFD", e))?;
        self.sink.flush().map_err(|e| Error::io(ctx, e))
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
        if file.variant != Variant::Classic {
            return Err(Error::Unsupported(
                "appending to a BigTIFF file is not supported yet".into(),
            ));
        }
        file.check_strips_in_file()?;
        let chain = file.chain_end();
        let end = sink
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("finding the end of the file", e))?;
        Ok(TiffWriter::resume(sink, chain, end, options))
    }
}

fn align2(x: u64) -> u64 {
    x + (x & 1)
}

fn write_at<W: Write + Seek>(sink: &mut W, at: u64, bytes: &[u8], ctx: &str) -> Result<()> {
    sink.seek(SeekFrom::Start(at))
        .map_err(|e| Error::io(ctx, e))?;
    sink.write_all(bytes).map_err(|e| Error::io(ctx, e))
}

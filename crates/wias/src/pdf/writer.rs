//! The PDF writer for any `Write`: pages go out in order, each as a complete
//! incremental update, and the sink is flushed after each, so that a reader at the
//! other end of a pipe has a complete PDF after every page.

use std::io::Write;

use super::document::Document;
use super::image::{self, Image};
use super::text::Word;
use super::Options;
use crate::codec::Compression;
use crate::error::{Error, Result};
use crate::geometry::PageSpec;

/// A multipage PDF written to a sink that need not seek.
///
/// ```
/// use wias::{PageSpec, PixelType, pdf::{Options, PdfWriter}};
/// let mut doc = PdfWriter::new(Vec::new(), Options::default());
/// let gray = PageSpec::new(3, 2, PixelType::Gray8).dpi(72, 72);
/// doc.write_page(&gray, &[0, 128, 255, 255, 128, 0])?;
/// doc.write_page(&gray, &[9; 6])?;
/// assert_eq!(doc.pages(), 2);
/// let bytes = doc.finish()?;
/// // Two pages, two cross-reference sections: one per committed page.
/// assert_eq!(bytes.windows(9).filter(|w| w == b"startxref").count(), 2);
/// # Ok::<(), wias::Error>(())
/// ```
pub struct PdfWriter<W: Write> {
    sink: W,
    options: Options,
    doc: Document,
    /// Set when a write failed part way: the sink holds half an update, and nothing
    /// written after it could be found by a reader.
    broken: bool,
}

impl<W: Write> PdfWriter<W> {
    /// A new document into `sink`; nothing is written before the first page.
    pub fn new(sink: W, options: Options) -> Self {
        PdfWriter {
            sink,
            doc: Document::new(&options),
            options,
            broken: false,
        }
    }

    /// Pages written so far.
    pub fn pages(&self) -> u64 {
        self.doc.pages()
    }

    /// Encodes and writes one page of top-down rows in page-buffer form (bilevel
    /// 0 = black, MSB first; 16-bit samples little-endian).
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> Result<()> {
        let img = image::encode(spec, rows, &self.options.codec)?;
        let words = self.options.words(spec, rows)?;
        self.commit(&img, spec, &words)
    }

    /// [`write_page`](Self::write_page) with `words` as the page's text layer, found
    /// by the caller (an OCR engine run on another thread while the next page is
    /// scanned); the options' engine, if any, is not asked. The words go into the
    /// page's own update.
    pub fn write_page_with_words(
        &mut self,
        spec: &PageSpec,
        rows: &[u8],
        words: &[Word],
    ) -> Result<()> {
        let img = image::encode(spec, rows, &self.options.codec)?;
        self.commit(&img, spec, words)
    }

    /// Writes one page a device (or camera) already compressed, without decoding it:
    /// [`Compression::G4`] for bilevel pages, [`Compression::Jpeg`] (baseline or
    /// progressive) for gray8 and rgb24 pages (an rgb24 page may be a CMYK JPEG,
    /// embedded as DeviceCMYK). The data pass the check TIFF pages pass
    /// ([`crate::codec::Container`]); only the primary JPEG image is embedded.
    pub fn write_encoded_page(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        data: &[u8],
    ) -> Result<()> {
        self.options.check_encoded()?;
        let img = image::passthrough(spec, compression, data)?;
        self.commit(&img, spec, &[])
    }

    fn commit(&mut self, img: &Image, spec: &PageSpec, words: &[Word]) -> Result<()> {
        if self.broken {
            return Err(Error::Unsupported(
                "an earlier page failed to reach the stream; nothing more can be added".into(),
            ));
        }
        let p = self.doc.place_page(img, spec, words, false)?;
        self.broken = true;
        self.sink
            .write_all(&p.body)
            .and_then(|_| self.sink.write_all(&p.tail))
            .and_then(|_| self.sink.flush())
            .map_err(|e| Error::io(format!("writing page {}", self.pages() + 1), e))?;
        self.broken = false;
        let end = p.xref_at + p.tail.len() as u64;
        self.doc = Document::committed(p, end);
        Ok(())
    }

    /// Flushes and returns the sink. A document without pages is an error: no bytes
    /// were written, and an empty file is not a PDF.
    pub fn finish(mut self) -> Result<W> {
        if self.pages() == 0 {
            return Err(Error::NoPages("a PDF needs at least one page".into()));
        }
        self.sink
            .flush()
            .map_err(|e| Error::io("flushing the PDF", e))?;
        Ok(self.sink)
    }
}

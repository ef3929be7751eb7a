//! PDF output: scanned pages as a multipage PDF, each page committed as an incremental
//! update, so that a file cut short at any moment still opens with every page that was
//! committed, and a page can be added to a finished document at the cost of one page.
//!
//! - [`PdfWriter`] writes to any [`std::io::Write`] (a pipe, a socket, a `Vec`) without
//!   seeking: after each page the bytes so far are a complete PDF.
//! - [`PdfFile`] creates or appends to a file, locked against a second writer, and
//!   places each update so that a kill or a full disk at any moment leaves the file as
//!   it was after the last committed page (see [`PdfFile`]).
//!
//! Pages keep their data in the form PDF holds as it is: bilevel pages as CCITT
//! Group 4 (or Flate), 8-bit and 16-bit gray and RGB as Flate with PNG row filters
//! chosen per row (`/Predictor 15`; or JPEG with
//! [`Compression::Jpeg`](crate::Compression::Jpeg) for 8-bit pages), 16-bit samples
//! as 16 bits, JPEG data from a device or a file byte for byte.
//! Filtered rows are coded with zlib's RLE strategy (zlib-rs), not libdeflate:
//! `CodecSettings::deflate_level` applies to Flate pages without the predictor. The page size is the pixel size at the page's
//! resolution (pixels / dpi × 72 points).
//!
//! ```
//! use wias::{PageSpec, PixelType, pdf::{Options, PdfWriter}};
//! let mut doc = PdfWriter::new(Vec::new(), Options::default());
//! let spec = PageSpec::new(16, 2, PixelType::Bilevel).dpi(200, 200);
//! doc.write_page(&spec, &[0xFF, 0x00, 0x0F, 0xF0])?; // 0 = black, stored as G4
//! assert_eq!(doc.pages(), 1);
//! let pdf = doc.finish()?;
//! assert!(pdf.starts_with(b"%PDF-1.5") && pdf.ends_with(b"%%EOF\n"));
//! # Ok::<(), wias::Error>(())
//! ```

mod archive;
mod decode;
mod document;
mod file;
mod flate;
mod icc;
mod image;
mod lexer;
mod predictor;
mod reader;
mod resume;
mod text;
mod tree;
mod writer;

/// The JPEG header reader PDF pages use, shared with the TIFF path ([`crate::input::jpeg`]).
pub use crate::input::jpeg::{jpeg_info, JpegInfo};
pub use archive::Metadata;
pub use file::PdfFile;
pub use text::{Recognize, Word};
pub use writer::PdfWriter;

use std::sync::{Arc, Mutex};

/// The sRGB ICC profile wias builds (PDF/A output intents, TIFF ICC tags).
pub(crate) fn srgb_profile() -> Vec<u8> {
    icc::srgb()
}

use crate::codec::{CodecChoice, CodecSettings};

/// How pages are encoded and how durable each committed page is.
///
/// ```
/// use wias::{CodecChoice, CodecSettings, Compression, pdf::Options};
/// let o = Options::default().codec(CodecSettings::new(Compression::Jpeg)).sync(true);
/// assert_eq!(o.codec_setting().compression, CodecChoice::Fixed(Compression::Jpeg));
/// assert!(Options::default().codec_setting().compression == CodecChoice::Auto);
/// ```
#[derive(Clone)]
pub struct Options {
    codec: CodecSettings,
    sync: bool,
    pdfa: Option<PdfA>,
    metadata: Metadata,
    time: Option<i64>,
    ocr: Option<Arc<Mutex<dyn Recognize>>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("codec", &self.codec)
            .field("sync", &self.sync)
            .field("ocr", &self.ocr.is_some())
            .finish()
    }
}

impl Default for Options {
    /// [`CodecChoice::Auto`]: for bilevel pages the smaller of G4 and Flate (decided
    /// as for TIFF), Flate with PNG row filters otherwise; no sync.
    fn default() -> Self {
        Options {
            codec: CodecSettings::auto(),
            sync: false,
            pdfa: None,
            metadata: Metadata::default(),
            time: None,
            ocr: None,
        }
    }
}

impl Options {
    /// Encode pages with `codec` (auto, none, deflate, g4 or jpeg).
    pub fn codec(mut self, codec: CodecSettings) -> Self {
        self.codec = codec;
        self
    }

    /// With `true`, [`PdfFile`] also `fdatasync`s each page's objects before the
    /// cross-reference section that commits them, and that section after: a committed
    /// page survives a power loss, at the cost of two syncs a page.
    pub fn sync(mut self, on: bool) -> Self {
        self.sync = on;
        self
    }

    /// With `true`, a new document is PDF/A-2b (docs/pdfa.md): a trailer `/ID`, an
    /// XMP metadata stream naming the conformance, the producer and the dates, and an
    /// sRGB output intent, each update keeping the modify date true. Appending with
    /// `true` to a file that is not PDF/A is refused; appending to a PDF/A file keeps
    /// it PDF/A whatever this says. CMYK JPEG pages are refused in a PDF/A file.
    pub fn pdfa(mut self, on: bool) -> Self {
        self.pdfa = on.then_some(PdfA::Part2B);
        self
    }

    /// [`Options::pdfa`] with the part chosen: [`PdfA::Part1B`] writes a PDF 1.4
    /// header and refuses 16-bit pages (PDF 1.4 has none), in the file's first
    /// session and in every append after.
    pub fn pdfa_part(mut self, part: Option<PdfA>) -> Self {
        self.pdfa = part;
        self
    }

    /// The title, author, subject and keywords of a new document (information
    /// dictionary, and XMP in a PDF/A file). Appending with any set is refused: they
    /// describe a new document.
    pub fn metadata(mut self, m: Metadata) -> Self {
        self.metadata = m;
        self
    }

    /// Dates (creation, modification) at `secs` Unix seconds instead of the time of
    /// each page: reproducible files, as `SOURCE_DATE_EPOCH` asks
    /// ([`Options::time_from_env`]).
    pub fn time(mut self, secs: Option<i64>) -> Self {
        self.time = secs;
        self
    }

    /// [`Options::time`] of `SOURCE_DATE_EPOCH` when it holds whole seconds.
    pub fn time_from_env(self) -> Self {
        let t = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok());
        self.time(t)
    }

    /// The PDF/A part a new document conforms to, if any.
    pub fn pdfa_setting(&self) -> Option<PdfA> {
        self.pdfa
    }

    /// Give every page written from rows an invisible text layer: `engine`'s words,
    /// committed in the same update as the page's image (a page is never in the file
    /// without its text). Pages written already encoded
    /// ([`PdfFile::write_encoded_page`]) are refused then: the engine needs pixels.
    /// `wias-ocr` provides Tesseract as such an engine.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use wias::{PageSpec, PixelType, pdf::{Options, PdfWriter, Recognize, Word}};
    /// /// An engine that finds one word on every page.
    /// struct Hello;
    /// impl Recognize for Hello {
    ///     fn words(&mut self, _: &PageSpec, _: &[u8]) -> wias::Result<Vec<Word>> {
    ///         Ok(vec![Word { text: "Hello".into(), left: 1, top: 1, right: 9, bottom: 4, line: 0 }])
    ///     }
    /// }
    /// let options = Options::default().ocr(Arc::new(Mutex::new(Hello)));
    /// let mut doc = PdfWriter::new(Vec::new(), options);
    /// doc.write_page(&PageSpec::new(10, 5, PixelType::Gray8).dpi(72, 72), &[255; 50])?;
    /// let pdf = doc.finish()?;
    /// // The page names the text font, in the page's only update.
    /// assert!(pdf.windows(12).any(|w| w == b"/Font<</OCR "));
    /// assert!(pdf.windows(14).any(|w| w == b"/GlyphLessFont"));
    /// assert_eq!(pdf.windows(9).filter(|w| w == b"startxref").count(), 1);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn ocr(mut self, engine: Arc<Mutex<dyn Recognize>>) -> Self {
        self.ocr = Some(engine);
        self
    }

    /// The words of a page for its text layer: none without an OCR engine.
    pub(crate) fn words(&self, spec: &crate::PageSpec, rows: &[u8]) -> crate::Result<Vec<Word>> {
        match &self.ocr {
            None => Ok(Vec::new()),
            Some(e) => e
                .lock()
                .map_err(|_| {
                    crate::Error::Unsupported("the OCR engine failed on an earlier page".into())
                })?
                .words(spec, rows),
        }
    }

    /// Refuses an already-encoded page when pages get a text layer.
    pub(crate) fn check_encoded(&self) -> crate::Result<()> {
        if self.ocr.is_some() {
            return Err(crate::Error::Unsupported(
                "OCR reads pixels, and this page is stored encoded (a JPEG file or device page embedded as it is): convert it to PNM first (djpeg), or write it without OCR".into(),
            ));
        }
        Ok(())
    }

    /// The codec settings.
    pub fn codec_setting(&self) -> &CodecSettings {
        &self.codec
    }

    /// Whether pages are synced to disk.
    pub fn sync_setting(&self) -> bool {
        self.sync
    }
}

/// The PDF/A conformance a new document is written to (docs/pdfa.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfA {
    /// PDF/A-1b (ISO 19005-1): PDF 1.4, so no 16-bit pages.
    Part1B,
    /// PDF/A-2b (ISO 19005-2): every page wias writes but CMYK JPEGs.
    Part2B,
}

impl PdfA {
    /// The part number `pdfaid:part` declares.
    pub fn part(self) -> u8 {
        match self {
            PdfA::Part1B => 1,
            PdfA::Part2B => 2,
        }
    }
}

/// Whether pages of `pixel` type can be written to PDF with `compression` (a
/// [`Compression`](crate::Compression) or a [`CodecChoice`]).
///
/// ```
/// use wias::{CodecChoice, Compression, PixelType, pdf};
/// assert!(pdf::check(CodecChoice::Auto, PixelType::Gray16).is_ok());
/// assert!(pdf::check(Compression::G4, PixelType::Bilevel).is_ok());
/// assert!(pdf::check(Compression::Lzw, PixelType::Gray8).is_err());
/// assert!(pdf::check(Compression::Jpeg, PixelType::Gray16).is_err());
/// ```
pub fn check(compression: impl Into<CodecChoice>, pixel: crate::PixelType) -> crate::Result<()> {
    image::check(compression.into(), pixel)
}

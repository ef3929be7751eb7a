//! PDF files: create, or append to an existing PDF with an incremental update, and
//! commit each page so that the file opens at every moment.
//!
//! Readers find a PDF's newest cross-reference section from the `startxref` in the
//! file's last 1024 bytes. A page's objects are mostly image data, far longer than
//! that, so they are never written at the end of the file: each page is committed in
//! three writes,
//!
//! 1. a copy of the current `startxref … %%EOF` lines, placed just past where the
//!    page's objects will end (the file grows; the gap reads as zeros);
//! 2. the page's objects into that gap;
//! 3. the new cross-reference section and trailer, ending in a new `startxref`.
//!
//! Until write 3 completes, the file's last bytes still name the previous section,
//! whose objects are all intact: the file is the document as it was. Writes 1 and 3
//! are short and placed within one 4 KiB page of the page cache, so a kill (`SIGKILL`
//! is only acted on between page-sized copies) lands them whole or not at all. On an
//! error (a full disk) the file is cut back to its length before the page. With
//! [`Options::sync`] the objects are synced before write 3 and write 3 after it.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::document::Document;
use super::image::{self, Image};
use super::resume::resume;
use super::text::Word;
use super::Options;
use crate::codec::Compression;
use crate::error::{Error, Result};
use crate::geometry::PageSpec;
use crate::tiff::open_locked;

/// A PDF file being written, page by page, each page committed when its call returns.
///
/// ```
/// use wias::{PageSpec, PixelType, pdf::{Options, PdfFile}};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("scan.pdf");
/// let page = PageSpec::new(8, 1, PixelType::Bilevel);
/// let mut doc = PdfFile::create(&path, Options::default())?;
/// doc.write_page(&page, &[0b1010_1010])?;
/// doc.finish()?;
/// // Later, another page at the cost of one page:
/// let mut doc = PdfFile::append(&path, Options::default())?;
/// doc.write_page(&page, &[0x0F])?;
/// assert_eq!(doc.pages(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PdfFile {
    file: File,
    path: PathBuf,
    options: Options,
    doc: Document,
}

impl PdfFile {
    /// Creates (or truncates) `path` for a new document. The file is locked (an
    /// advisory `flock`) while the writer lives, and truncated only once the lock is
    /// held. Nothing is written before the first page.
    pub fn create(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let file = open_locked(
            path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            "creating",
        )?;
        // A device (/dev/null) has no length to cut.
        if file.metadata().map_or(true, |m| m.is_file()) {
            file.set_len(0)
                .map_err(|e| Error::io(format!("truncating {}", path.display()), e))?;
        }
        Ok(PdfFile {
            file,
            path: path.to_path_buf(),
            doc: Document::new(&options),
            options,
        })
    }

    /// Starts a new document in `file`: an empty file the caller opened read-write and
    /// locked, named `path` in messages. This is for a document written into a
    /// temporary file that takes its final name once page 1 is committed, so that a
    /// first page that fails leaves an existing document of that name as it was.
    /// Nothing is written before the first page.
    pub fn create_in(file: File, path: impl AsRef<Path>, options: Options) -> Self {
        PdfFile {
            file,
            path: path.as_ref().to_path_buf(),
            doc: Document::new(&options),
            options,
        }
    }

    /// Opens the PDF at `path` to add pages as incremental updates, each written the
    /// way the file keeps its cross-references (a classic table, or a cross-reference
    /// stream for a PDF 1.5 compressed file). Reading is strict: a file that is not a
    /// PDF, is damaged (no `%%EOF` at the end, offsets that lead nowhere, a page tree
    /// whose counts are wrong or that loops), holds something readers disagree on (a
    /// key named twice in a dictionary, a hybrid-reference section), or is encrypted
    /// is refused with an error and left untouched. Opening reads every
    /// cross-reference section and every page's dictionary (not its content): it
    /// costs O(pages) small reads, and memory in proportion to the objects, not the
    /// file's bytes. See docs/pdf-append.md.
    pub fn append(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let mut file = open_locked(path, OpenOptions::new().read(true).write(true), "opening")?;
        let mut doc = resume(&mut file)?;
        if options.pdfa.is_some() && doc.archive.is_none() {
            return Err(Error::Unsupported(format!(
                "appending as PDF/A to a PDF that is not one: {}; pages added to it would not make it PDF/A (write a new document, or append without PDF/A)",
                doc.not_archive.as_deref().unwrap_or("it declares no PDF/A conformance")
            )));
        }
        if !options.metadata.is_empty() {
            return Err(Error::Unsupported(
                "a title, author, subject or keywords describe a new document; wias does not change an existing PDF's (append without them)".into(),
            ));
        }
        doc.start.time = options.time;
        if let Some(a) = &mut doc.archive {
            a.time = options.time;
        }
        Ok(PdfFile {
            file,
            path: path.to_path_buf(),
            options,
            doc,
        })
    }

    /// Pages in the document.
    pub fn pages(&self) -> u64 {
        self.doc.pages()
    }

    /// Encodes and commits one page of top-down rows in page-buffer form (bilevel
    /// 0 = black, MSB first; 16-bit samples little-endian). When it returns, the page
    /// is in the file; on error the file is as it was before the call.
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

    /// Commits one page a device (or camera) already compressed, without decoding it:
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
        let p = self.doc.place_page(img, spec, words, true)?;
        let at = p.at;
        let result = (|| -> std::io::Result<()> {
            if let Some(old) = &p.old_end {
                write_at(&mut self.file, at + p.body.len() as u64, old)?;
            }
            write_at(&mut self.file, at, &p.body)?;
            if self.options.sync {
                self.file.sync_data()?;
            }
            write_at(&mut self.file, p.xref_at, &p.tail)?;
            if self.options.sync {
                self.file.sync_data()?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                let end = self
                    .file
                    .stream_position()
                    .map_err(|e| Error::io(format!("writing {}", self.path.display()), e))?;
                self.doc = Document::committed(p, end);
                Ok(())
            }
            Err(e) => {
                // Back to the committed document; if even that fails, the bytes past
                // it are unreferenced and the last startxref still names it.
                let _ = self.file.set_len(at);
                let done = self.doc.pages();
                let full = Error::io("", std::io::Error::new(e.kind(), "")).is_medium_full()
                    || e.raw_os_error().is_some_and(|c| {
                        Error::io("", std::io::Error::from_raw_os_error(c)).is_medium_full()
                    });
                let hint = match (full, done) {
                    (true, 0) => " (the disk is full or a file-size limit was reached)".into(),
                    (true, n) => format!(
                        " (the disk is full or a file-size limit was reached; pages 1..{n} are intact)"
                    ),
                    _ => String::new(),
                };
                Err(Error::io(
                    format!("writing page {} to {}{hint}", done + 1, self.path.display()),
                    e,
                ))
            }
        }
    }

    /// Ends the document (every page is already committed: nothing is left to write)
    /// and returns the file. A new document without pages is an error: its file is
    /// empty.
    pub fn finish(self) -> Result<File> {
        if self.pages() == 0 {
            return Err(Error::NoPages("a PDF needs at least one page".into()));
        }
        Ok(self.file)
    }
}

fn write_at(f: &mut File, at: u64, data: &[u8]) -> std::io::Result<()> {
    f.seek(SeekFrom::Start(at))?;
    f.write_all(data)
}

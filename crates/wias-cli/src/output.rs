//! Where pages go: a TIFF or PDF file (new or appended to), a TIFF or PDF stream on
//! stdout, or a one-page BMP. Each page is complete in the output when `write_page` returns, except
//! on a stream, where the last page is completed by `finish`.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::time::{Duration, Instant};

use wias::pdf::{PdfFile, PdfWriter};
use wias::tiff::{Options, StreamWriter, TiffWriter};
use wias::{bmp, CodecChoice, CodecSettings, Compression, PageSpec, PixelType};

use crate::encode::{Encoding, Format};
use crate::staged::{Publish, StagedFile, Unpublished};
use crate::Failure;

pub enum Output {
    /// A new TIFF, or an existing one reopened to add pages (locked against a second
    /// writer either way).
    TiffFile(TiffWriter<File>),
    /// A new TIFF not created yet: its first page goes into a temporary file beside
    /// `path`, which takes the name once the page is committed (see `staged`). A first
    /// page that fails leaves no file behind and an existing file as it was.
    TiffPending {
        path: String,
        options: Options,
        /// `--append` to a missing file: never replace a file that appeared meanwhile
        /// (another appender's), add the page to it instead.
        append: bool,
    },
    TiffStream(StreamWriter<BufWriter<RawStdout>>),
    /// A PDF file, new or appended to: every page is committed when written.
    PdfFile(PdfFile),
    /// A new PDF not created yet, for the same reason as `TiffPending`.
    PdfPending {
        path: String,
        options: wias::pdf::Options,
        /// As for `TiffPending`.
        append: bool,
    },
    /// A PDF on stdout, complete after every page.
    PdfStream(PdfWriter<BufWriter<RawStdout>>),
    /// A BMP file (`-` = stdout), created only once its one page is encoded, so a
    /// page that cannot be a BMP leaves no empty file behind.
    Bmp {
        path: String,
        written: bool,
    },
}

/// How long `--append` waits for another writer of the document to finish, TIFF and
/// PDF alike ([`waiting_for_lock`]): a service that runs one command per page, or two
/// runs that meet, take turns instead of failing. A writer that keeps the file longer
/// gets the "locked" error.
const APPEND_WAIT: Duration = Duration::from_secs(2);

impl Output {
    /// Opens `out` (`-` = stdout) for `format`. `append` adds to an existing TIFF.
    /// A FIFO or a device (`/dev/null`) is written as stdout is, as a stream.
    pub fn open(out: &str, enc: &Encoding, append: bool) -> Result<Self, Failure> {
        let (format, options) = (enc.format, enc.tiff.clone());
        let mut device = if format == Format::Bmp {
            None // one page, written whole, needs no stream (write_replacing)
        } else {
            open_device(out, append)?
        };
        let to_stdout = out == "-" || device.is_some();
        if out == "-" {
            refuse_terminal()?;
        }
        let mut stream = || match device.take() {
            Some(d) => Ok(d),
            None => raw_stdout().map_err(|e| Failure::new(out, e)),
        };
        match format {
            Format::Raw => Err(Failure::new(
                out,
                "--format raw: the WIA RAW format is not supported yet (use tiff, pdf or bmp)",
            )),
            Format::Bmp => {
                if append {
                    return Err(Failure::usage(
                        "--append needs a TIFF or PDF output (a BMP holds one page)",
                    ));
                }
                if to_stdout {
                    raw_stdout().map_err(|e| Failure::new(out, e))?;
                }
                Ok(Output::Bmp {
                    path: out.to_string(),
                    written: false,
                })
            }
            Format::Pdf => {
                let options = enc.pdf();
                if to_stdout {
                    if append {
                        return Err(Failure::usage(
                            "--append needs a file to add pages to, not -o -",
                        ));
                    }
                    return Ok(Output::PdfStream(PdfWriter::new(
                        BufWriter::with_capacity(1 << 20, stream()?),
                        options,
                    )));
                }
                if append && std::path::Path::new(out).exists() {
                    return waiting_for_lock(|| PdfFile::append(out, options.clone()))
                        .map(Output::PdfFile)
                        .map_err(|e| Failure::new(out, e));
                }
                Ok(Output::PdfPending {
                    path: out.to_string(),
                    options,
                    append,
                })
            }
            Format::Tiff if to_stdout => {
                if append {
                    return Err(Failure::usage(
                        "--append needs a file to add pages to, not -o -",
                    ));
                }
                Ok(Output::TiffStream(StreamWriter::new(
                    BufWriter::with_capacity(1 << 20, stream()?),
                    options,
                )))
            }
            // Appending to a file that does not exist yet starts it, so a service can
            // run the same command for every page, the first included.
            Format::Tiff if append && std::path::Path::new(out).exists() => {
                append_waiting(out, options)
                    .map(Output::TiffFile)
                    .map_err(|e| Failure::new(out, e))
            }
            Format::Tiff => Ok(Output::TiffPending {
                path: out.to_string(),
                options,
                append,
            }),
        }
    }

    /// Whether pages go into a PDF (which embeds any JPEG stream as it is).
    pub fn is_pdf(&self) -> bool {
        matches!(
            self,
            Output::PdfFile(_) | Output::PdfPending { .. } | Output::PdfStream(_)
        )
    }

    /// Starts a pending document with its first page; false, doing nothing, once
    /// the document exists.
    fn start(&mut self, spec: &PageSpec, page: Page) -> wias::Result<bool> {
        let choice = |codec: &CodecSettings| match page {
            Page::Rows(_) => codec.compression,
            Page::Encoded(c, _) => c.into(),
        };
        *self = match self {
            Output::TiffPending {
                path,
                options,
                append,
            } => Output::TiffFile(first_page(
                path,
                options,
                *append,
                spec,
                choice(options.codec_setting()),
                |w: &mut TiffWriter<File>| w.put(spec, page),
            )?),
            Output::PdfPending {
                path,
                options,
                append,
            } => Output::PdfFile(first_page(
                path,
                options,
                *append,
                spec,
                choice(options.codec_setting()),
                |w: &mut PdfFile| w.put(spec, page),
            )?),
            _ => return Ok(false),
        };
        Ok(true)
    }

    /// Adds one page of top-down rows in page-buffer form.
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> wias::Result<()> {
        if self.start(spec, Page::Rows(rows))? {
            return Ok(());
        }
        match self {
            Output::TiffPending { .. } | Output::PdfPending { .. } => {
                unreachable!("started above")
            }
            Output::TiffFile(w) => w.write_page(spec, rows).map(|_| ()),
            Output::TiffStream(w) => w.write_page(spec, rows),
            Output::PdfFile(w) => w.write_page(spec, rows),
            Output::PdfStream(w) => w.write_page(spec, rows),
            Output::Bmp { path, written } => {
                if *written {
                    return Err(wias::Error::Unsupported(
                        "a BMP holds one page and the input has more (write TIFF for multipage documents)".into(),
                    ));
                }
                let mut bytes = Vec::new();
                bmp::write(&mut bytes, spec, rows)?;
                let ctx = format!("writing {path}");
                if path == "-" {
                    let mut out = raw_stdout().map_err(|e| wias::Error::io(&ctx, e))?;
                    out.write_all(&bytes)
                        .and_then(|_| out.flush())
                        .map_err(|e| wias::Error::io(ctx, e))?;
                } else {
                    write_replacing(path, &bytes)?;
                }
                *written = true;
                Ok(())
            }
        }
    }

    /// Whether [`Output::write_page_from`] takes the rows from the reader as they are
    /// needed: a TIFF file, the first page of a new one included, except with
    /// `--append` to a missing file, whose first page may have to be written twice
    /// (into another appender's file that appeared meanwhile: see `first_page`), so is
    /// read whole. Elsewhere the page is read whole first, as `write_page` takes it.
    pub fn takes_rows_from_reader(&self) -> bool {
        matches!(
            self,
            Output::TiffFile(_) | Output::TiffPending { append: false, .. }
        )
    }

    /// Adds one page whose rows (page-buffer form) are read from `rows`: straight from
    /// the reader into a TIFF file ([`TiffWriter::write_page_from`]; for a new file,
    /// into the staged file that takes its name once the page is committed), read
    /// whole first anywhere else.
    pub fn write_page_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
    ) -> wias::Result<()> {
        self.rows_from(spec, rows, false)
    }

    /// [`Output::write_page_from`] for a bilevel page whose rows are 1 = black (a PBM
    /// raster), not page-buffer form: into a TIFF file as they are
    /// ([`TiffWriter::write_bilevel_page_from`]); read whole and inverted to
    /// page-buffer form anywhere else.
    pub fn write_bilevel_page_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
    ) -> wias::Result<()> {
        self.rows_from(spec, rows, true)
    }

    /// A page from `rows`: page-buffer form, or bilevel rows 1 = black if
    /// `black_is_one`.
    fn rows_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
        black_is_one: bool,
    ) -> wias::Result<()> {
        let write = |w: &mut TiffWriter<File>, rows: &mut R| {
            if black_is_one {
                w.write_bilevel_page_from(spec, rows).map(|_| ())
            } else {
                w.write_page_from(spec, rows).map(|_| ())
            }
        };
        match self {
            Output::TiffFile(w) => return write(w, rows),
            Output::TiffPending {
                path,
                options,
                append: false,
            } => {
                // Written once (`Publish::Replace` never reports `Exists`), so the
                // reader is read once.
                let w = first_page(
                    path,
                    options,
                    false,
                    spec,
                    options.codec_setting().compression,
                    |w: &mut TiffWriter<File>| write(w, rows),
                )?;
                *self = Output::TiffFile(w);
                return Ok(());
            }
            _ => {}
        }
        let total = spec.image_bytes(1)?;
        let mut data = Vec::new();
        let got = rows
            .take(total)
            .read_to_end(&mut data)
            .map_err(|e| wias::Error::io("reading the page", e))?;
        if (got as u64) < total {
            return Err(wias::Error::WrongDataLength {
                expected: total,
                got: got as u64,
                detail: "the input is truncated: it ended before the page did".into(),
            });
        }
        if black_is_one {
            data.iter_mut().for_each(|b| *b = !*b);
        }
        self.write_page(spec, &data)
    }

    /// Adds one page a device (or a camera) already compressed, without decoding it.
    pub fn write_encoded_page(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        data: &[u8],
    ) -> wias::Result<()> {
        if self.start(spec, Page::Encoded(compression, data))? {
            return Ok(());
        }
        match self {
            Output::TiffPending { .. } | Output::PdfPending { .. } => {
                unreachable!("started above")
            }
            Output::TiffFile(w) => w.write_encoded_page(spec, compression, data).map(|_| ()),
            Output::TiffStream(w) => w.write_encoded_page(spec, compression, data),
            Output::PdfFile(w) => w.write_encoded_page(spec, compression, data),
            Output::PdfStream(w) => w.write_encoded_page(spec, compression, data),
            Output::Bmp { .. } => Err(wias::Error::Unsupported(format!(
                "a {} page cannot go into a BMP without decoding it; write TIFF instead",
                compression.name()
            ))),
        }
    }

    /// Completes the document: every page accepted so far is in it afterwards.
    pub fn finish(self) -> wias::Result<()> {
        match self {
            Output::TiffFile(w) => w.finish().map(|_| ()),
            Output::TiffPending { .. } => Err(wias::Error::NoPages(
                "a TIFF needs at least one page".into(),
            )),
            Output::TiffStream(w) => w.finish().map(|_| ()),
            Output::PdfFile(w) => w.finish().map(|_| ()),
            Output::PdfStream(w) => w.finish().map(|_| ()),
            Output::PdfPending { .. } => {
                Err(wias::Error::NoPages("a PDF needs at least one page".into()))
            }
            Output::Bmp { written: true, .. } => Ok(()),
            Output::Bmp { .. } => Err(wias::Error::NoPages("a BMP needs one page".into())),
        }
    }
}

/// A write-protected OUT (a regular file without any write permission bit, as
/// `chmod a-w` or `chmod 0444` leaves it) is refused before anything is read or
/// written, as `rm` and `cp` users expect: without `--force`, wias neither replaces it
/// (a rename over it would succeed, since that needs only the folder's permission)
/// nor adds pages to it.
pub fn refuse_write_protected(out: &str, force: bool) -> Result<(), Failure> {
    if out == "-" || force {
        return Ok(());
    }
    match std::fs::metadata(out) {
        Ok(m) if m.is_file() && m.permissions().readonly() => Err(Failure::new(
            out,
            "the file is write-protected; wias leaves it as it is (give --force to replace it or add to it, or make it writable: chmod u+w)",
        )),
        _ => Ok(()),
    }
}

/// A missing directory in `-o` is named as such, before any input is read or any file
/// is made ("No such file or directory" alone does not say which part is missing).
pub fn check_directory(out: &str) -> Result<(), Failure> {
    if out == "-" {
        return Ok(());
    }
    let Some(dir) = std::path::Path::new(out).parent() else {
        return Ok(());
    };
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let why = if dir.exists() {
        "is not a directory"
    } else {
        "does not exist"
    };
    Err(Failure::new(
        out,
        format!("the directory {} {why}", dir.display()),
    ))
}

/// Standard output (or a FIFO or device) for binary data.
pub type RawStdout = Box<dyn Write + Send>;

/// `out` opened for writing when it names a FIFO or a device (`/dev/null`, a tape):
/// such a file is written as stdout is, as a stream (a FIFO cannot seek, and renaming
/// a staged file over a device node would replace the node). `None` for a regular
/// file, a missing one, or `-`. `--append` needs a regular file.
pub fn open_device(out: &str, append: bool) -> Result<Option<RawStdout>, Failure> {
    if out == "-" {
        return Ok(None);
    }
    match std::fs::metadata(out) {
        Ok(m) if !m.is_file() && !m.is_dir() => {
            if append {
                return Err(Failure::usage(format!(
                    "--append needs a regular file to add pages to; {out} is a FIFO or a device"
                )));
            }
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(out)
                .map_err(|e| Failure::new(out, e))?;
            Ok(Some(Box::new(f)))
        }
        _ => Ok(None),
    }
}

/// Standard output without Rust's line buffering: `io::Stdout` scans every write for
/// newlines and copies the tail into its own buffer, which on megabytes of pixels
/// costs more than the write. On Unix the descriptor is duplicated into a `File`; a
/// closed standard output is an error here (`io::Stdout` would swallow every write to
/// it and report success).
pub fn raw_stdout() -> io::Result<RawStdout> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "standard output is closed");
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|_| closed())?;
        let file = File::from(fd);
        if reopened_as_dev_null(&file) {
            return Err(closed());
        }
        Ok(Box::new(file))
    }
    #[cfg(not(unix))]
    Ok(Box::new(io::stdout()))
}

/// Whether standard output is the /dev/null that Rust's runtime puts on a descriptor
/// found closed at start-up: it opens it for reading and writing, where a shell's
/// `> /dev/null` opens it for writing only (a read of 0 bytes then fails).
#[cfg(unix)]
fn reopened_as_dev_null(mut f: &File) -> bool {
    use io::Read;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let (Ok(out), Ok(null)) = (f.metadata(), std::fs::metadata("/dev/null")) else {
        return false;
    };
    out.file_type().is_char_device() && out.rdev() == null.rdev() && f.read(&mut []).is_ok()
}

/// Writes a one-page file through a staged file, so a write that fails leaves the
/// file it would replace as it was.
fn write_replacing(path: &str, bytes: &[u8]) -> wias::Result<()> {
    let ctx = || format!("writing {path}");
    match StagedFile::new(path, Publish::Replace)? {
        Some(mut staged) => {
            staged
                .file_mut()
                .write_all(bytes)
                .map_err(|e| wias::Error::io(ctx(), e))?;
            staged.publish().map(|_| ()).map_err(|e| match e {
                Unpublished::Failed(e) => e,
                // Only Publish::CreateOnly reports this.
                Unpublished::Exists => wias::Error::Locked(path.to_string()),
            })
        }
        None => std::fs::write(path, bytes).map_err(|e| wias::Error::io(ctx(), e)),
    }
}

/// One page as it comes: rows in page-buffer form, or data a device compressed.
#[derive(Clone, Copy)]
enum Page<'a> {
    Rows(&'a [u8]),
    Encoded(Compression, &'a [u8]),
}

/// A document file that `Output` starts from a pending one: TIFF and PDF alike.
trait Document: Sized {
    type Options: Clone;
    /// Whether `choice` can write a page of `pixel` into this kind of document.
    fn check(choice: CodecChoice, pixel: PixelType) -> wias::Result<()>;
    /// Creates the document at `path` (not a regular file: no staging).
    fn create(path: &str, options: &Self::Options) -> wias::Result<Self>;
    /// Starts the document in `file`, the staged file that will take `path`'s name.
    fn create_in(file: File, path: &str, options: &Self::Options) -> wias::Result<Self>;
    /// Opens the existing document at `path` to add pages.
    fn append(path: &str, options: &Self::Options) -> wias::Result<Self>;
    fn put(&mut self, spec: &PageSpec, page: Page) -> wias::Result<()>;
}

impl Document for TiffWriter<File> {
    type Options = Options;
    fn check(choice: CodecChoice, pixel: PixelType) -> wias::Result<()> {
        choice.check(pixel)
    }
    fn create(path: &str, options: &Options) -> wias::Result<Self> {
        TiffWriter::create(path, options.clone())
    }
    fn create_in(file: File, _path: &str, options: &Options) -> wias::Result<Self> {
        TiffWriter::new(file, options.clone())
    }
    fn append(path: &str, options: &Options) -> wias::Result<Self> {
        append_waiting(path, options.clone())
    }
    fn put(&mut self, spec: &PageSpec, page: Page) -> wias::Result<()> {
        match page {
            Page::Rows(rows) => self.write_page(spec, rows),
            Page::Encoded(c, data) => self.write_encoded_page(spec, c, data),
        }
        .map(|_| ())
    }
}

impl Document for PdfFile {
    type Options = wias::pdf::Options;
    fn check(choice: CodecChoice, pixel: PixelType) -> wias::Result<()> {
        wias::pdf::check(choice, pixel)
    }
    fn create(path: &str, options: &Self::Options) -> wias::Result<Self> {
        PdfFile::create(path, options.clone())
    }
    fn create_in(file: File, path: &str, options: &Self::Options) -> wias::Result<Self> {
        Ok(PdfFile::create_in(file, path, options.clone()))
    }
    fn append(path: &str, options: &Self::Options) -> wias::Result<Self> {
        waiting_for_lock(|| PdfFile::append(path, options.clone()))
    }
    fn put(&mut self, spec: &PageSpec, page: Page) -> wias::Result<()> {
        match page {
            Page::Rows(rows) => self.write_page(spec, rows),
            Page::Encoded(c, data) => self.write_encoded_page(spec, c, data),
        }
    }
}

/// A new document at `path` with its first page: the checks that need no file first,
/// then the page into a staged file that takes the document's name once the page is
/// committed, so a first page that fails leaves no file behind and an existing
/// document of that name as it was. With `append`, a document that appeared meanwhile
/// (another appender's) is never replaced: the page is added to it, so `put` (which
/// writes the page, encoded with `choice`) is called a second time; without `append`
/// it is called once, so it may read the page from a reader as it goes.
fn first_page<D: Document>(
    path: &str,
    options: &D::Options,
    append: bool,
    spec: &PageSpec,
    choice: CodecChoice,
    mut put: impl FnMut(&mut D) -> wias::Result<()>,
) -> wias::Result<D> {
    spec.validate()?;
    D::check(choice, spec.pixel)?;
    let publish = if append {
        Publish::CreateOnly
    } else {
        Publish::Replace
    };
    let Some(staged) = StagedFile::new(path, publish)? else {
        let mut w = D::create(path, options)?;
        put(&mut w)?;
        return Ok(w);
    };
    let handle = staged
        .file()
        .try_clone()
        .map_err(|e| wias::Error::io(format!("opening {path}"), e))?;
    let mut w = D::create_in(handle, path, options)?;
    put(&mut w)?;
    match staged.publish() {
        Ok(_) => Ok(w),
        Err(Unpublished::Exists) => {
            // Another `--append` created the document first: add the page to it.
            drop(w);
            let mut w = D::append(path, options)?;
            put(&mut w)?;
            Ok(w)
        }
        Err(Unpublished::Failed(e)) => Err(e),
    }
}

/// `TiffWriter::append`, waiting up to [`APPEND_WAIT`] while another writer holds the
/// document.
pub fn append_waiting(path: &str, options: Options) -> wias::Result<TiffWriter<File>> {
    waiting_for_lock(|| TiffWriter::append(path, options.clone()))
}

/// Runs `open` (an append, which takes the document's lock) again while it fails with
/// [`wias::Error::Locked`], for up to [`APPEND_WAIT`]: the one wait of every
/// `--append`, TIFF and PDF.
pub fn waiting_for_lock<T>(mut open: impl FnMut() -> wias::Result<T>) -> wias::Result<T> {
    let start = Instant::now();
    loop {
        match open() {
            Err(wias::Error::Locked(_)) if start.elapsed() < APPEND_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

/// Binary output on a terminal helps nobody and can upset it: a usage error instead.
pub fn refuse_terminal() -> Result<(), Failure> {
    use std::io::IsTerminal;
    if io::stdout().is_terminal() {
        return Err(Failure::usage(
            "-o -: standard output is a terminal; redirect it to a file or a pipe",
        ));
    }
    Ok(())
}

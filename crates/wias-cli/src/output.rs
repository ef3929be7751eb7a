//! Where pages go: a TIFF or PDF file (new or appended to), a TIFF or PDF stream on
//! stdout, or a one-page BMP. Each page is complete in the output when `write_page` returns, except
//! on a stream, where the last page is completed by `finish`.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::time::{Duration, Instant};

use wias::pdf::{PdfFile, PdfWriter};
use wias::tiff::{Options, StreamWriter, TiffWriter};
use wias::{bmp, Compression, PageSpec};

use crate::encode::Format;
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

/// How long `--append` waits for another writer of the document to finish: a service
/// that runs one command per page, or two runs that meet, take turns instead of
/// failing. A writer that keeps the file longer gets the "locked" error.
const APPEND_WAIT: Duration = Duration::from_secs(2);

impl Output {
    /// Opens `out` (`-` = stdout) for `format`. `append` adds to an existing TIFF.
    pub fn open(
        out: &str,
        format: Format,
        options: Options,
        append: bool,
    ) -> Result<Self, Failure> {
        let to_stdout = out == "-";
        if to_stdout {
            refuse_terminal()?;
        }
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
                let options = wias::pdf::Options::default().codec(options.codec_setting().clone());
                if to_stdout {
                    if append {
                        return Err(Failure::usage(
                            "--append needs a file to add pages to, not -o -",
                        ));
                    }
                    return Ok(Output::PdfStream(PdfWriter::new(
                        BufWriter::with_capacity(
                            1 << 20,
                            raw_stdout().map_err(|e| Failure::new(out, e))?,
                        ),
                        options,
                    )));
                }
                if append && std::path::Path::new(out).exists() {
                    return PdfFile::append(out, options)
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
                let stdout = raw_stdout().map_err(|e| Failure::new(out, e))?;
                Ok(Output::TiffStream(StreamWriter::new(
                    BufWriter::with_capacity(1 << 20, stdout),
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

    /// Starts a pending PDF with its first page (of `spec`, in `compression`, written
    /// by `page`), as `start` does for a TIFF: the checks that need no file first,
    /// then the page into a staged file that takes the document's name once the page
    /// is committed, so a first page that fails leaves no file behind and an existing
    /// document of that name as it was.
    fn start_pdf(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        page: &mut dyn FnMut(&mut PdfFile) -> wias::Result<()>,
    ) -> wias::Result<()> {
        let Output::PdfPending {
            path,
            options,
            append,
        } = self
        else {
            return Ok(());
        };
        spec.validate()?;
        wias::pdf::check(compression, spec.pixel)?;
        let publish = if *append {
            Publish::CreateOnly
        } else {
            Publish::Replace
        };
        let Some(staged) = StagedFile::new(path, publish)? else {
            let mut w = PdfFile::create(&*path, options.clone())?;
            page(&mut w)?;
            *self = Output::PdfFile(w);
            return Ok(());
        };
        let handle = staged
            .file()
            .try_clone()
            .map_err(|e| wias::Error::io(format!("opening {path}"), e))?;
        let mut w = PdfFile::create_in(handle, &*path, options.clone());
        page(&mut w)?;
        w = match staged.publish() {
            Ok(_) => w,
            Err(Unpublished::Exists) => {
                // Another `--append` created the document first: add the page to it.
                drop(w);
                let mut w = PdfFile::append(&*path, options.clone())?;
                page(&mut w)?;
                w
            }
            Err(Unpublished::Failed(e)) => return Err(e),
        };
        *self = Output::PdfFile(w);
        Ok(())
    }

    /// Starts a pending TIFF with its first page (of `spec`, in `compression`, written
    /// by `page`): checks first what needs no file, then writes the page into a staged
    /// file and gives it the document's name. Does nothing once the document exists.
    fn start(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        page: &mut dyn FnMut(&mut TiffWriter<File>) -> wias::Result<u64>,
    ) -> wias::Result<()> {
        let Output::TiffPending {
            path,
            options,
            append,
        } = self
        else {
            return Ok(());
        };
        spec.validate()?;
        compression.check(spec.pixel)?;
        let publish = if *append {
            Publish::CreateOnly
        } else {
            Publish::Replace
        };
        let Some(staged) = StagedFile::new(path, publish)? else {
            let mut w = TiffWriter::create(&*path, options.clone())?;
            page(&mut w)?;
            *self = Output::TiffFile(w);
            return Ok(());
        };
        let handle = staged
            .file()
            .try_clone()
            .map_err(|e| wias::Error::io(format!("opening {path}"), e))?;
        let mut w = TiffWriter::new(handle, options.clone())?;
        page(&mut w)?;
        w = match staged.publish() {
            Ok(_) => w,
            Err(Unpublished::Exists) => {
                // Another `--append` created the document first: add the page to it.
                drop(w);
                let mut w = append_waiting(path, options.clone())?;
                page(&mut w)?;
                w
            }
            Err(Unpublished::Failed(e)) => return Err(e),
        };
        *self = Output::TiffFile(w);
        Ok(())
    }

    /// Adds one page of top-down rows in page-buffer form.
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> wias::Result<()> {
        if let Output::TiffPending { options, .. } = self {
            let c = options.codec_setting().compression;
            return self.start(spec, c, &mut |w| w.write_page(spec, rows));
        }
        if let Output::PdfPending { options, .. } = self {
            let c = options.codec_setting().compression;
            return self.start_pdf(spec, c, &mut |w| w.write_page(spec, rows));
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
    /// needed: a TIFF file (not the first page of `--append` to a missing file, which
    /// `start` may have to write twice); elsewhere the page is read whole first, as
    /// `write_page` takes it.
    pub fn takes_rows_from_reader(&self) -> bool {
        matches!(
            self,
            Output::TiffFile(_) | Output::TiffPending { append: false, .. }
        )
    }

    /// Adds one page whose rows (page-buffer form) are read from `rows`: straight from
    /// the reader into a TIFF file ([`TiffWriter::write_page_from`]), read whole first
    /// anywhere else.
    pub fn write_page_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
    ) -> wias::Result<()> {
        if let Output::TiffFile(w) = self {
            return w.write_page_from(spec, rows).map(|_| ());
        }
        if let Output::TiffPending {
            options,
            append: false,
            ..
        } = self
        {
            let c = options.codec_setting().compression;
            return self.start(spec, c, &mut |w| w.write_page_from(spec, &mut *rows));
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
        self.write_page(spec, &data)
    }

    /// Adds one page a device (or a camera) already compressed, without decoding it.
    pub fn write_encoded_page(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        data: &[u8],
    ) -> wias::Result<()> {
        if let Output::TiffPending { .. } = self {
            return self.start(spec, compression, &mut |w| {
                w.write_encoded_page(spec, compression, data)
            });
        }
        if let Output::PdfPending { .. } = self {
            return self.start_pdf(spec, compression, &mut |w| {
                w.write_encoded_page(spec, compression, data)
            });
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

/// Standard output for binary data.
pub type RawStdout = Box<dyn Write + Send>;

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

/// `TiffWriter::append`, waiting up to [`APPEND_WAIT`] while another writer holds the
/// document.
pub fn append_waiting(path: &str, options: Options) -> wias::Result<TiffWriter<File>> {
    let start = Instant::now();
    loop {
        match TiffWriter::append(path, options.clone()) {
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

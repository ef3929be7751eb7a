//! Where pages go: a TIFF or PDF file (new or appended to), a TIFF or PDF stream on
//! stdout, or a one-page BMP. Each page is complete in the output when `write_page` returns, except
//! on a stream, where the last page is completed by `finish`.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use wias::pdf::{PdfFile, PdfWriter};
use wias::tiff::{Options, StreamWriter, TiffWriter};
use wias::{bmp, Compression, PageSpec};

use crate::encode::Format;
use crate::Failure;

pub enum Output {
    /// A new TIFF, or an existing one reopened to add pages (locked against a second
    /// writer either way).
    TiffFile(TiffWriter<File>),
    /// A new TIFF not created yet: the file is made once the first page has passed the
    /// checks that do not need it, so a first page that cannot be written leaves no
    /// empty document behind, and an existing file of that name is not truncated.
    TiffPending {
        path: String,
        options: Options,
    },
    TiffStream(StreamWriter<BufWriter<RawStdout>>),
    /// A PDF file, new or appended to: every page is committed when written.
    PdfFile(PdfFile),
    /// A new PDF not created yet, for the same reason as `TiffPending`.
    PdfPending {
        path: String,
        options: wias::pdf::Options,
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
                        BufWriter::with_capacity(1 << 20, raw_stdout()),
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
                })
            }
            Format::Tiff if to_stdout => {
                if append {
                    return Err(Failure::usage(
                        "--append needs a file to add pages to, not -o -",
                    ));
                }
                Ok(Output::TiffStream(StreamWriter::new(
                    BufWriter::with_capacity(1 << 20, raw_stdout()),
                    options,
                )))
            }
            // Appending to a file that does not exist yet starts it, so a service can
            // run the same command for every page, the first included.
            Format::Tiff if append && std::path::Path::new(out).exists() => {
                TiffWriter::append(out, options)
                    .map(Output::TiffFile)
                    .map_err(|e| Failure::new(out, e))
            }
            Format::Tiff => Ok(Output::TiffPending {
                path: out.to_string(),
                options,
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

    /// Creates a pending TIFF once its first page (of `spec`, in `compression`) has
    /// passed the checks that need no file: a page the codec cannot hold, the likely
    /// failure, then leaves no file behind. (Rows from the PNM reader always have the
    /// length `spec` says.)
    fn create_pending(&mut self, spec: &PageSpec, compression: Compression) -> wias::Result<()> {
        if let Output::TiffPending { path, options } = self {
            spec.validate()?;
            compression.check(spec.pixel)?;
            let w = TiffWriter::create(&*path, options.clone())?;
            *self = Output::TiffFile(w);
        }
        if let Output::PdfPending { path, options } = self {
            spec.validate()?;
            wias::pdf::check(compression, spec.pixel)?;
            *self = Output::PdfFile(PdfFile::create(&*path, options.clone())?);
        }
        Ok(())
    }

    /// Adds one page of top-down rows in page-buffer form.
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> wias::Result<()> {
        if let Output::TiffPending { options, .. } = self {
            let c = options.codec_setting().compression;
            self.create_pending(spec, c)?;
        }
        if let Output::PdfPending { options, .. } = self {
            let c = options.codec_setting().compression;
            self.create_pending(spec, c)?;
        }
        match self {
            Output::TiffPending { .. } | Output::PdfPending { .. } => {
                unreachable!("created above")
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
                    let mut out = raw_stdout();
                    out.write_all(&bytes)
                        .and_then(|_| out.flush())
                        .map_err(|e| wias::Error::io(ctx, e))?;
                } else {
                    std::fs::write(&*path, &bytes).map_err(|e| wias::Error::io(ctx, e))?;
                }
                *written = true;
                Ok(())
            }
        }
    }

    /// Adds one page a device (or a camera) already compressed, without decoding it.
    pub fn write_encoded_page(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        data: &[u8],
    ) -> wias::Result<()> {
        self.create_pending(spec, compression)?;
        match self {
            Output::TiffPending { .. } | Output::PdfPending { .. } => {
                unreachable!("created above")
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
            Output::TiffPending { .. } => Err(wias::Error::Unsupported(
                "no page was written: a TIFF needs at least one page".into(),
            )),
            Output::TiffStream(w) => w.finish().map(|_| ()),
            Output::PdfFile(w) => w.finish().map(|_| ()),
            Output::PdfStream(w) => w.finish().map(|_| ()),
            Output::PdfPending { .. } => {
                Err(wias::Error::NoPages("a PDF needs at least one page".into()))
            }
            Output::Bmp { written: true, .. } => Ok(()),
            Output::Bmp { .. } => Err(wias::Error::Unsupported("no page to write".into())),
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
/// costs more than the write. On Unix the descriptor is duplicated into a `File`.
pub fn raw_stdout() -> RawStdout {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(File::from(fd));
        }
    }
    Box::new(io::stdout())
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

//! `wias scan`: pages from a device (the built-in virtual scanner, or a SANE scanner:
//! [`PageSource`]) through the transfer-context path a WIA driver uses: fill a `TransferContext`, ask
//! `image_information()` for the sizes, fill the transfer buffer, and hand it over
//! once per page, the page fields left to the library. A TIFF goes through
//! `transfer::Document` (the same page path as `transfer::write_page_buf`, kept open
//! and not bound to the C `LONG`s, so a long scan grows into BigTIFF past 4 GiB); a
//! BMP through `transfer::write_page_buf`; a PDF through `wias::pdf`, each page
//! committed as an incremental update.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, IsTerminal};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wias::context::tymed;
use wias::pdf::{PdfFile, PdfWriter, Word};
use wias::tiff::{BigTiff, StreamWriter};
use wias::transfer::{self, Document};
use wias::{bmp, guids, PageSpec, PixelType, TransferContext};

use crate::encode::{EncodeArgs, Encoding, Format};
use crate::output::{raw_stdout, RawStdout};
use crate::scanner::{render_into, PageKind};
use crate::staged::{Publish, StagedFile, Unpublished};
use crate::Failure;

/// A4 in inches.
const A4: (f64, f64) = (8.27, 11.69);
/// The default resolution: enough to look like a scan, small enough to run in a second.
const DEFAULT_DPI: u32 = 150;
/// Pages of the default job: one of each kind.
const DEFAULT_PAGES: u32 = 4;

/// The colour mode, with scanimage's spellings (`Lineart`, `Gray`, `Color`) and
/// British ones as aliases; any case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// 1-bit black and white (text and halftone pages).
    #[value(alias = "lineart", alias = "halftone", alias = "binary")]
    Bw,
    /// Grayscale (8 or 16 bits).
    #[value(alias = "grey")]
    Gray,
    /// RGB colour (8 or 16 bits per sample).
    #[value(alias = "colour")]
    Color,
}

/// `--depth`: bits per sample, parsed once (not a string parsed again later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Depth {
    #[value(name = "1")]
    One,
    #[value(name = "8")]
    Eight,
    #[value(name = "16")]
    Sixteen,
}

impl Depth {
    pub fn bits(self) -> u32 {
        match self {
            Depth::One => 1,
            Depth::Eight => 8,
            Depth::Sixteen => 16,
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  wias scan                                   4 mixed pages (text, photo, colour, halftone) into scan.tif
  wias scan --mode Gray --resolution 300 -o gray.tif
  wias scan --mode lineart --pages 10 --compression g4 -o fax.tif
  wias scan --format bmp -o page.bmp          one page as a Windows bitmap
  wias scan -o - | gzip > scan.tif.gz         a TIFF stream on a pipe (never seeks)
  wias scan -o doc.pdf --pages 10             a PDF: G4 or Flate for text (the smaller)
  wias scan --pdfa -o archive.pdf             PDF/A-2b as it is scanned
  wias scan -L                                SANE scanners, then -d NAME (or --device)
  wias scan -d test:0 -A                      a SANE device's options, as scanimage -A

scanimage spellings work: --resolution for --dpi, --mode Lineart/Gray/Color (any case),
--batch to scan until the source is empty, --batch-count N, -L, -d NAME (test:0 as
scanimage -L prints it), -A, -p, and -l -t -x -y for the scan area.";

#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("dpi", |a| a.help("Resolution, dots per inch; scanimage's --resolution is the same flag [default: 150; a SANE device's own]")))]
pub struct ScanArgs {
    /// Output file (.tif/.tiff, .bmp or .pdf); `-` writes the TIFF (or, with --format
    /// pdf, the PDF) to stdout without seeking, page by page, as a FIFO or a device
    /// gets it [default: scan.tif, or scan.pdf / scan.bmp with --format pdf / bmp].
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<String>,
    /// OUT once resolved: `-o`, or the default name for `--format` (set by [`run`]).
    #[arg(skip)]
    pub out: String,
    /// Pages to scan [default: 4, or 1 for BMP; SANE: 1 from a flatbed, every sheet
    /// from a document feeder, which N then limits].
    /// scanimage's --batch-count is the same flag.
    #[arg(long, visible_alias = "batch-count", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pages: Option<u32>,
    /// Colour mode of every page, any case (scanimage's Lineart, Gray, Color work)
    /// [default: a mix of text, photo, colour and halftone].
    #[arg(long, value_enum, ignore_case = true)]
    pub mode: Option<Mode>,
    /// Bits per sample: 1 (bw), 8 or 16 (gray, color).
    #[arg(long, value_enum)]
    pub depth: Option<Depth>,
    #[command(flatten)]
    pub encode: EncodeArgs,
    /// Device: `virtual` (built in) or a SANE device as `wias scan -L` prints it
    /// (`sane:epson2:libusb:001:004`) or as `scanimage -L` does (`epson2:libusb:001:004`:
    /// any name but `virtual` is a SANE name). scanimage's -d and --device-name work.
    #[arg(
        short = 'd',
        long,
        visible_alias = "device-name",
        default_value = "virtual"
    )]
    pub device: String,
    /// Scan until the source is empty (scanimage's --batch: the virtual scanner's 4
    /// sheets, a feeder's every sheet; the pages go into the one OUT document, so a
    /// file-name FORMAT is refused). With --pages, at most that many.
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "")]
    pub batch: Option<String>,
    /// Replace OUT even when it is write-protected (no write permission, e.g. chmod
    /// 0444); without it such a file is refused.
    #[arg(long)]
    pub force: bool,
    /// List the SANE devices and exit (scanimage's -L).
    #[arg(short = 'L', long)]
    pub list_devices: bool,
    /// SANE: list the device's options, their allowed and current values, and exit
    /// (scanimage's -A).
    #[arg(short = 'A', long)]
    pub all_options: bool,
    /// Accepted as scanimage takes it: the progress bar is shown whenever stderr is a
    /// terminal.
    #[arg(short = 'p', long)]
    pub progress: bool,
    /// SANE: left edge of the scan area, as scanimage's -l (mm unless a unit is given).
    #[arg(short = 'l', value_name = "LEFT", allow_hyphen_values = true)]
    pub left: Option<String>,
    /// SANE: top edge of the scan area, as scanimage's -t.
    #[arg(short = 't', value_name = "TOP", allow_hyphen_values = true)]
    pub top: Option<String>,
    /// SANE: width of the scan area, as scanimage's -x (from -l).
    #[arg(short = 'x', value_name = "WIDTH")]
    pub width: Option<String>,
    /// SANE: height of the scan area, as scanimage's -y (from -t).
    #[arg(short = 'y', value_name = "HEIGHT")]
    pub height: Option<String>,
    /// SANE: the document source, e.g. `Flatbed` or `ADF` (a feeder scans until it is
    /// empty; --pages is then a maximum).
    #[arg(long)]
    pub source: Option<String>,
    /// SANE: set a device option, as scanimage --NAME=VALUE does (repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    pub sane_option: Vec<String>,
    /// SANE: device options as scanimage takes them, e.g. -- --test-picture Grid -x 100.
    #[arg(last = true, value_name = "SCANIMAGE_OPTIONS")]
    pub sane_args: Vec<String>,
    /// Grow the TIFF into a BigTIFF once it would pass this many bytes instead of 4 GiB
    /// (for tests: a long scan's promotion without writing gigabytes).
    #[arg(long, hide = true, value_name = "BYTES")]
    pub bigtiff_at: Option<u64>,
}

/// What each page of the job is: its content and pixel type.
fn plan(args: &ScanArgs, pages: u32) -> Result<Vec<(PageKind, PixelType)>, Failure> {
    let depth = args.depth.map(Depth::bits);
    let mode = match (args.mode, depth) {
        (None, Some(1)) => Some(Mode::Bw),
        (m, _) => m,
    };
    let wide = depth == Some(16);
    let gray = if wide {
        PixelType::Gray16
    } else {
        PixelType::Gray8
    };
    let rgb = if wide {
        PixelType::Rgb48
    } else {
        PixelType::Rgb24
    };
    match (mode, depth) {
        (Some(Mode::Bw), Some(d)) if d != 1 => {
            return Err(Failure::usage(format!(
                "--depth {d}: --mode bw pages are 1-bit"
            )))
        }
        (Some(Mode::Gray | Mode::Color), Some(1)) => {
            return Err(Failure::usage(
                "--depth 1 needs --mode bw (gray and color are 8 or 16 bits)",
            ))
        }
        _ => {}
    }
    Ok((0..pages)
        .map(|i| match mode {
            Some(Mode::Bw) => {
                let k = if i % 2 == 0 {
                    PageKind::Text
                } else {
                    PageKind::Halftone
                };
                (k, PixelType::Bilevel)
            }
            Some(Mode::Gray) => (PageKind::Photo, gray),
            Some(Mode::Color) => (PageKind::Colour, rgb),
            None => match i % 4 {
                0 => (PageKind::Text, PixelType::Bilevel),
                1 => (PageKind::Photo, gray),
                2 => (PageKind::Colour, rgb),
                _ => (PageKind::Halftone, PixelType::Bilevel),
            },
        })
        .collect())
}

pub fn run(mut args: ScanArgs) -> Result<u8, Failure> {
    args.out = args.output.clone().unwrap_or_else(|| {
        // A PDF is not named scan.tif: the default name follows --format.
        match args.encode.format {
            Some(Format::Pdf) => "scan.pdf",
            Some(Format::Bmp) => "scan.bmp",
            _ => "scan.tif",
        }
        .to_string()
    });
    if args.list_devices {
        return crate::sane_source::list_devices();
    }
    // `scanimage -L` prints `test:0`; `wias scan -L` prints `sane:test:0`: both work.
    let sane = (args.device != "virtual")
        .then(|| args.device.strip_prefix("sane:").unwrap_or(&args.device));
    if sane.is_none() {
        let geometry = [&args.left, &args.top, &args.width, &args.height];
        if args.source.is_some()
            || !args.sane_option.is_empty()
            || !args.sane_args.is_empty()
            || args.all_options
            || geometry.iter().any(|g| g.is_some())
        {
            return Err(Failure::usage(
                "--source, --sane-option, -A, -l/-t/-x/-y and options after -- are for a SANE --device (see wias scan -L)",
            ));
        }
    }
    if let (Some(name), true) = (sane, args.all_options) {
        return crate::sane_source::all_options(name);
    }
    if let Some(pattern) = args.batch.as_deref().filter(|p| !p.is_empty()) {
        return Err(Failure::usage(format!(
            "--batch={pattern}: wias writes every page into the one document -o names (a multipage TIFF or PDF); give --batch without a file-name format"
        )));
    }
    let mut enc = args.encode.resolve(&args.out)?;
    let format = enc.format;
    // Without --pages a source is scanned until it is empty (as --batch asks), except
    // a flatbed and a BMP, which give one page.
    let default_pages = if format == Format::Bmp || sane.is_some() {
        1
    } else {
        DEFAULT_PAGES
    };
    let pages = args.pages.unwrap_or(default_pages);
    match format {
        Format::Raw => {
            return Err(Failure::new(
                &args.out,
                "--format raw: the WIA RAW format is not supported yet (use tiff, pdf or bmp)",
            ))
        }
        Format::Bmp if pages > 1 => {
            return Err(Failure::usage(format!(
                "--pages {pages}: a BMP holds one page (use --format tiff for more)"
            )))
        }
        Format::Bmp if args.encode.compressed() => {
            return Err(Failure::usage("BMP pages are written uncompressed"))
        }
        _ => {}
    }
    if let Some(at) = args.bigtiff_at {
        enc.tiff = enc.tiff.bigtiff(BigTiff::PromoteAt(at));
    }
    // packbits, lzw and g3 have no PDF form: refused before any device starts.
    args.encode.refuse_codec_pdf_lacks(format)?;
    crate::output::check_directory(&args.out)?;
    crate::output::refuse_write_protected(&args.out, args.force)?;
    if let Some(name) = sane {
        return crate::sane_source::run(name, &args, enc);
    }
    let job = plan(&args, pages)?;
    if format == Format::Bmp && matches!(job[0].1, PixelType::Gray16 | PixelType::Rgb48) {
        return Err(Failure::usage(
            "--depth 16: BMP holds 1, 8 or 24 bits per pixel (use --format tiff)",
        ));
    }
    // Every page's pixel type is known now: a codec that cannot hold one of them is
    // refused before the output file is created.
    for (_, pixel) in &job {
        check_codec(&enc, *pixel)?;
    }
    let dpi = args.encode.dpi.unwrap_or(DEFAULT_DPI);
    let mut source = VirtualScanner {
        job,
        width: (A4.0 * f64::from(dpi)).round() as u32,
        lines: (A4.1 * f64::from(dpi)).round() as u32,
        dpi,
        bar: progress(pages),
        spare: Vec::new(),
    };
    let done = write_pages(&mut source, pages, &args.out, &enc);
    source.bar.finish_and_clear();
    done
}

/// One page from a source, in page-buffer form (docs/driver-rules.md, "The page buffer").
pub struct SourcePage {
    pub pixel: PixelType,
    pub width: u32,
    pub lines: u32,
    /// False when the device did not know the length before the page ended (a hand
    /// scanner): the page is written through the `lLines = 0` path.
    pub length_known: bool,
    pub dpi: (u32, u32),
    pub rows: Vec<u8>,
}

/// Where `wias scan` gets its pages: the virtual scanner or a SANE device. Both go
/// through the same transfer-context path ([`write_pages`]).
pub trait PageSource {
    /// What to call the source in messages (`virtual`, `sane:test:0`).
    fn name(&self) -> String;
    /// Page `index` (from 0), or `None` when the source has no more (an empty
    /// feeder). The error is the message; its status is the exit status.
    fn next_page(&mut self, index: u32) -> Result<Option<SourcePage>, Failure>;
    /// Takes back the buffer of a page that has been written, to fill with the next.
    fn recycle(&mut self, _buffer: Vec<u8>) {}
    /// The job is over: a progress bar leaves the terminal line before the summary
    /// line is printed (else the summary lands on the bar's line and is cleared).
    fn done(&mut self) {}
}

/// The built-in virtual scanner: the planned pages, rendered one at a time.
struct VirtualScanner {
    job: Vec<(PageKind, PixelType)>,
    width: u32,
    lines: u32,
    dpi: u32,
    bar: ProgressBar,
    /// The buffer of the page written last, to draw the next one into.
    spare: Vec<u8>,
}

impl PageSource for VirtualScanner {
    fn name(&self) -> String {
        "virtual".into()
    }

    fn next_page(&mut self, index: u32) -> Result<Option<SourcePage>, Failure> {
        if index > 0 {
            self.bar.inc(1);
        }
        let Some(&(kind, pixel)) = self.job.get(index as usize) else {
            return Ok(None);
        };
        self.bar
            .set_message(format!("page {} ({}, {})", index + 1, kind.name(), pixel));
        let mut rows = std::mem::take(&mut self.spare);
        let size = (self.width, self.lines);
        render_into(&mut rows, kind, pixel, size, self.dpi, index + 1);
        Ok(Some(SourcePage {
            pixel,
            width: self.width,
            lines: self.lines,
            length_known: true,
            dpi: (self.dpi, self.dpi),
            rows,
        }))
    }

    fn recycle(&mut self, buffer: Vec<u8>) {
        self.spare = buffer;
    }

    fn done(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// [`Encoding::check`] as the flags' fault: a usage error.
fn check_codec(enc: &Encoding, pixel: PixelType) -> Result<(), Failure> {
    enc.check(pixel)
        .map_err(|e| Failure::usage(format!("--compression: {e}")))
}

/// Writes up to `pages` pages of `source` into `out`, each the way a driver does:
/// describe it in the transfer context, size the buffer, fill it, write it. The file
/// is created when the first page has arrived, so a scan that yields nothing leaves
/// no file; an error on page N keeps pages 1..N-1 complete and says so.
pub fn write_pages(
    source: &mut dyn PageSource,
    pages: u32,
    out: &str,
    enc: &Encoding,
) -> Result<u8, Failure> {
    let format = enc.format;
    let started = std::time::Instant::now();
    let mut written = 0u64;
    // A pipe is checked (not a terminal) before the device starts; a file is created
    // once there is a page for it.
    let mut sink = if out == "-" {
        Some(Sink::open(out, enc)?)
    } else {
        None
    };
    let mut ctx = TransferContext::new(1, 1, 1, format_guid(format), tymed::MULTIPAGE_FILE);
    let mut result = Ok(());
    // With --ocr into a PDF, page i+1 is scanned while Tesseract reads page i (on
    // another thread): `ahead` is that next page, taken at the top of the next turn
    // as if it were scanned then (its errors are reported there, after page i).
    let ocr = enc.ocr.as_ref().filter(|_| format == Format::Pdf);
    let mut ahead: Option<Result<Option<SourcePage>, Failure>> = None;
    for i in 0..pages {
        let next = match ahead.take() {
            Some(n) => n,
            None => source.next_page(i),
        };
        let mut page = match next {
            Ok(Some(p)) => p,
            Ok(None) if i == 0 => {
                result = Err(Failure::new(
                    source.name(),
                    "no page to scan (the document feeder is empty)",
                ));
                break;
            }
            Ok(None) => break,
            Err(f) => {
                result = Err(Failure {
                    message: format!(
                        "{} (page {}): {}; {}",
                        source.name(),
                        i + 1,
                        f.message,
                        kept(i, out)
                    ),
                    status: f.status,
                });
                break;
            }
        };
        if let Err(f) = check_codec(enc, page.pixel) {
            result = Err(if i == 0 {
                f
            } else {
                Failure::new(format!("{out} (page {})", i + 1), f.message)
            });
            break;
        }
        if format == Format::Bmp && matches!(page.pixel, PixelType::Gray16 | PixelType::Rgb48) {
            result = Err(Failure::usage(
                "--depth 16: BMP holds 1, 8 or 24 bits per pixel (use --format tiff)",
            ));
            break;
        }
        if sink.is_none() {
            match Sink::open(out, enc) {
                Ok(s) => sink = Some(s),
                Err(f) => return Err(f),
            }
        }
        let Some(sink) = sink.as_mut() else { break };
        let words = ocr.map(|engine| {
            let spec =
                PageSpec::new(page.width, page.lines, page.pixel).dpi(page.dpi.0, page.dpi.1);
            let rows = &page.rows;
            std::thread::scope(|scope| {
                let reading = scope.spawn(|| {
                    engine
                        .0
                        .lock()
                        .map_err(|_| {
                            wias::Error::Unsupported(
                                "the OCR engine failed on an earlier page".into(),
                            )
                        })?
                        .words(&spec, rows)
                });
                if i + 1 < pages {
                    ahead = Some(source.next_page(i + 1));
                }
                reading.join().unwrap_or_else(|_| {
                    Err(wias::Error::Unsupported("the OCR engine panicked".into()))
                })
            })
        });
        ctx.width_in_pixels = page.width as i32;
        // A page of unknown length goes through lLines = 0 with lItemSize giving the
        // bytes (TIFF); a BMP header needs the height, which is known by now.
        let unknown = !page.length_known && format == Format::Tiff;
        ctx.lines = if unknown { 0 } else { page.lines as i32 };
        ctx.depth = page.pixel.depth() as i32;
        ctx.xres = page.dpi.0 as i32;
        ctx.yres = page.dpi.1 as i32;
        let step = ctx
            .image_information()
            .and_then(|info| {
                let mut buffer = info.header;
                if format == Format::Bmp {
                    let spec = ctx.page_spec()?;
                    buffer.extend_from_slice(&bmp::dib_rows(&spec, &page.rows)?);
                } else if buffer.is_empty() {
                    // No header (TIFF): the page's rows are the transfer buffer, not a
                    // copy of them (a 300-dpi A4 colour page is 26 MB).
                    buffer = std::mem::take(&mut page.rows);
                } else {
                    buffer.extend_from_slice(&page.rows);
                }
                if unknown {
                    ctx.item_size =
                        i32::try_from(buffer.len()).map_err(|_| wias::Error::SizeOverflow {
                            what: "lItemSize",
                            detail: format!("a page of {} bytes", buffer.len()),
                        })?;
                }
                let words = words.transpose()?;
                sink.write(&mut ctx, &buffer, words.as_deref())?;
                Ok(buffer)
            })
            .map_err(|e| {
                Failure::new(
                    format!("{out} (page {})", i + 1),
                    format!("{e}; {}", kept(i, out)),
                )
            });
        match step {
            Ok(buffer) => {
                written += 1;
                source.recycle(buffer)
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let finished = match sink {
        Some(s) => s.finish().map_err(|e| Failure::new(out, e)),
        None => Ok(()),
    };
    source.done();
    result.and(finished)?;
    crate::summary("scanned", written, out, started);
    Ok(0)
}

/// What an error leaves behind, for its message.
fn kept(written: u32, out: &str) -> String {
    match written {
        0 => "no page was written".into(),
        1 => format!("page 1 is complete in {out}"),
        n => format!("pages 1-{n} are complete in {out}"),
    }
}

fn format_guid(f: Format) -> wias::Guid {
    match f {
        Format::Bmp => guids::BMP,
        _ => guids::TIFF,
    }
}

fn progress(pages: u32) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(u64::from(pages)), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("scanning {bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// Where the pages go: a TIFF document kept open (the service's side of a transfer),
/// a BMP file the transfer function appends to, stdout through the streaming writer,
/// or a PDF (file or stdout).
enum Sink {
    Tiff(Document<std::fs::File>),
    Bmp(std::fs::File),
    /// The document until its first page is in it: a temporary file beside the
    /// output's name, which it takes then (see `staged`).
    Staged(StagedFile, Encoding),
    Stream(StreamWriter<BufWriter<RawStdout>>),
    /// A PDF file: each page committed as an incremental update when written.
    Pdf(PdfFile),
    /// A PDF on stdout, complete after every page.
    PdfStream(PdfWriter<BufWriter<RawStdout>>),
    /// After the first page failed (before or while the staged file took its name):
    /// the temporary file is gone, nothing has the output's name, and no later page
    /// may go anywhere.
    Closed,
}

impl Sink {
    fn open(out: &str, enc: &Encoding) -> Result<Self, Failure> {
        let format = enc.format;
        // A FIFO or a device is written as stdout is: a stream (a BMP, one page
        // written whole, goes to it in place below).
        let mut device = if format == Format::Bmp {
            None
        } else {
            crate::output::open_device(out, false)?
        };
        let streamed = out == "-" || device.is_some();
        let mut stream = || match device.take() {
            Some(d) => Ok(d),
            None => raw_stdout().map_err(|e| Failure::new(out, e)),
        };
        if format == Format::Pdf {
            let pdf = enc.pdf();
            if streamed {
                if out == "-" {
                    crate::output::refuse_terminal()?;
                }
                return Ok(Sink::PdfStream(PdfWriter::new(
                    BufWriter::with_capacity(1 << 20, stream()?),
                    pdf,
                )));
            }
            return match StagedFile::new(out, Publish::Replace).map_err(|e| Failure::new(out, e))? {
                Some(staged) => Ok(Sink::Staged(staged, enc.clone())),
                // A folder that refuses new files: the existing OUT is written in
                // place (devices and FIFOs were streamed above).
                None => PdfFile::create(out, pdf)
                    .map(Sink::Pdf)
                    .map_err(|e| Failure::new(out, e)),
            };
        }
        if streamed {
            if out == "-" {
                crate::output::refuse_terminal()?;
            }
            if format == Format::Bmp {
                return Err(Failure::usage(
                    "-o - streams TIFF and PDF only (BMP needs a file)",
                ));
            }
            return Ok(Sink::Stream(StreamWriter::new(
                BufWriter::with_capacity(1 << 20, stream()?),
                enc.tiff.clone(),
            )));
        }
        match StagedFile::new(out, Publish::Replace).map_err(|e| Failure::new(out, e))? {
            Some(staged) => Ok(Sink::Staged(staged, enc.clone())),
            // A BMP to a device, or a folder that refuses new files: OUT is written in
            // place, once no other writer holds it.
            None => {
                let f = wias::tiff::open_locked(
                    std::path::Path::new(out),
                    OpenOptions::new().read(true).write(true).create(true),
                    "opening",
                )
                .map_err(|e| Failure::new(out, e))?;
                if format == Format::Bmp {
                    return Ok(Sink::Bmp(f));
                }
                Document::new(f, enc.tiff.clone())
                    .map(Sink::Tiff)
                    .map_err(|e| Failure::new(out, e))
            }
        }
    }

    /// Writes one page; `words` (found by --ocr while the next page was scanned) are a
    /// PDF page's text layer.
    fn write(
        &mut self,
        ctx: &mut TransferContext,
        buffer: &[u8],
        words: Option<&[Word]>,
    ) -> wias::Result<()> {
        match self {
            Sink::Tiff(doc) => doc.write_page_buf(ctx, buffer),
            Sink::Bmp(f) => transfer::write_page_buf(ctx, f, buffer),
            Sink::Staged(..) => {
                let Sink::Staged(mut staged, enc) =
                    std::mem::replace(self, Sink::Closed)
                else {
                    unreachable!("matched above")
                };
                let handle = || {
                    staged
                        .file()
                        .try_clone()
                        .map_err(|e| wias::Error::io("opening the output", e))
                };
                let next = match enc.format {
                    Format::Bmp => {
                        transfer::write_page_buf(ctx, staged.file_mut(), buffer)?;
                        None
                    }
                    Format::Pdf => {
                        let mut doc = PdfFile::create_in(handle()?, staged.target(), enc.pdf());
                        let (spec, data) = (ctx.page_spec()?, transfer::page_data(ctx, buffer)?);
                        match words {
                            Some(w) => doc.write_page_with_words(&spec, data, w)?,
                            None => doc.write_page(&spec, data)?,
                        }
                        Some(Sink::Pdf(doc))
                    }
                    _ => {
                        let mut doc = Document::new(handle()?, enc.tiff)?;
                        doc.write_page_buf(ctx, buffer)?;
                        Some(Sink::Tiff(doc))
                    }
                };
                let target = staged.target().display().to_string();
                let file = staged.publish().map_err(|e| match e {
                    Unpublished::Failed(e) => e,
                    // Only Publish::CreateOnly reports this.
                    Unpublished::Exists => wias::Error::Locked(target),
                })?;
                *self = next.unwrap_or(Sink::Bmp(file));
                Ok(())
            }
            Sink::Stream(w) => {
                let data = transfer::page_data(ctx, buffer)?;
                let mut spec = ctx.page_spec()?;
                if spec.lines == 0 {
                    // lLines = 0: the length is in the data (whole lines, checked by
                    // the writer).
                    spec.lines = (data.len() as u64 / spec.row_bytes(1)?) as u32;
                }
                w.write_page(&spec, data)
            }
            Sink::Pdf(w) => {
                let (spec, data) = (ctx.page_spec()?, transfer::page_data(ctx, buffer)?);
                match words {
                    Some(words) => w.write_page_with_words(&spec, data, words),
                    None => w.write_page(&spec, data),
                }
            }
            Sink::PdfStream(w) => {
                let (spec, data) = (ctx.page_spec()?, transfer::page_data(ctx, buffer)?);
                match words {
                    Some(words) => w.write_page_with_words(&spec, data, words),
                    None => w.write_page(&spec, data),
                }
            }
            Sink::Closed => Err(wias::Error::BrokenStream(
                "the first page could not be written, so no document was created and no later page can go into it".into(),
            )),
        }
    }

    fn finish(self) -> wias::Result<()> {
        // A device (/dev/null) has nothing to sync and says EINVAL.
        let sync = |f: std::fs::File| match f.metadata() {
            Ok(m) if !m.is_file() => Ok(()),
            _ => f
                .sync_all()
                .map_err(|e| wias::Error::io("syncing the output", e)),
        };
        match self {
            Sink::Tiff(doc) => sync(doc.finish()?),
            Sink::Bmp(f) => sync(f),
            // No page was written: the temporary file goes, the old file stays.
            Sink::Staged(..) | Sink::Closed => Ok(()),
            Sink::Stream(w) => w.finish().map(|_| ()),
            Sink::Pdf(w) => sync(w.finish()?),
            Sink::PdfStream(w) => w.finish().map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink whose first page failed refuses the next one as a broken output
    /// (a write fault to a driver), saying why, not as an unsupported request.
    #[test]
    fn a_closed_sink_says_the_first_page_failed() {
        let mut ctx = TransferContext::new(8, 1, 8, guids::TIFF, wias::context::tymed::FILE);
        let e = Sink::Closed.write(&mut ctx, &[0; 8], None).unwrap_err();
        assert!(matches!(e, wias::Error::BrokenStream(_)), "{e:?}");
        assert!(e.to_string().contains("first page"), "{e}");
        assert_eq!(
            e.hresult(),
            wias::hresult::from_win32(wias::hresult::ERROR_WRITE_FAULT)
        );
    }
}

#[cfg(test)]
mod ocr_tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::encode::Ocr;

    /// Pages of one gray value each: page i is all i + 1. It counts the pages asked for.
    struct Pages(Arc<AtomicU32>);

    impl PageSource for Pages {
        fn name(&self) -> String {
            "pages".into()
        }
        fn next_page(&mut self, index: u32) -> Result<Option<SourcePage>, Failure> {
            self.0.store(index + 1, Ordering::SeqCst);
            Ok((index < 3).then(|| SourcePage {
                pixel: PixelType::Gray8,
                width: 64,
                lines: 32,
                length_known: true,
                dpi: (72, 72),
                rows: vec![index as u8 + 1; 64 * 32],
            }))
        }
    }

    /// An engine that reads page N as the word "pageN" (its gray value), after waiting
    /// until the source was asked for page N+1: it returns only if the next page is
    /// scanned while this one is read.
    struct Reader(Arc<AtomicU32>);

    impl wias::pdf::Recognize for Reader {
        fn words(&mut self, _: &PageSpec, rows: &[u8]) -> wias::Result<Vec<Word>> {
            let n = u32::from(rows[0]);
            let since = Instant::now();
            while self.0.load(Ordering::SeqCst) < n + 1 {
                if since.elapsed() > Duration::from_secs(20) {
                    return Err(wias::Error::Unsupported(format!(
                        "page {} was not scanned while page {n} was read",
                        n + 1
                    )));
                }
                std::thread::yield_now();
            }
            Ok(vec![Word {
                text: format!("page{n}"),
                left: 4,
                top: 4,
                right: 60,
                bottom: 20,
                line: 0,
            }])
        }
    }

    /// With --ocr, page N+1 is scanned while page N is read, and each page gets its
    /// own words (not the next page's), as poppler reads them back.
    #[test]
    fn the_next_page_is_scanned_while_ocr_reads_this_one() {
        let dir = tempfile::TempDir::new().unwrap();
        let out = dir.path().join("x.pdf");
        let asked = Arc::new(AtomicU32::new(0));
        let enc = Encoding {
            format: Format::Pdf,
            tiff: wias::tiff::Options::default(),
            pdfa: None,
            metadata: Default::default(),
            ocr: Some(Ocr(Arc::new(Mutex::new(Reader(Arc::clone(&asked)))))),
        };
        let mut source = Pages(asked);
        write_pages(&mut source, 10, out.to_str().unwrap(), &enc).unwrap();
        for p in 1..=3 {
            let o = std::process::Command::new("pdftotext")
                .args(["-f", &p.to_string(), "-l", &p.to_string()])
                .arg(&out)
                .arg("-")
                .output()
                .expect("pdftotext (poppler-utils)");
            assert_eq!(
                String::from_utf8_lossy(&o.stdout).trim(),
                format!("page{p}")
            );
        }
    }
}

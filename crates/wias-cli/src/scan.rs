//! `wias scan`: pages from a device (the built-in virtual scanner) through the
//! transfer-context path a WIA driver uses: fill a `TransferContext`, ask
//! `image_information()` for the sizes, fill the transfer buffer, and hand it over
//! once per page, the page fields left to the library. A TIFF goes through
//! `transfer::Document` (the same page path as `transfer::write_page_buf`, kept open
//! and not bound to the C `LONG`s, so a long scan grows into BigTIFF past 4 GiB); a
//! BMP through `transfer::write_page_buf`.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, IsTerminal};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wias::context::tymed;
use wias::pdf::{PdfFile, PdfWriter};
use wias::tiff::{BigTiff, Options, StreamWriter};
use wias::transfer::{self, Document};
use wias::{bmp, guids, PixelType, TransferContext};

use crate::encode::{EncodeArgs, Format};
use crate::output::{raw_stdout, RawStdout};
use crate::scanner::{render, PageKind};
use crate::Failure;

/// A4 in inches.
const A4: (f64, f64) = (8.27, 11.69);
/// The default resolution: enough to look like a scan, small enough to run in a second.
const DEFAULT_DPI: u32 = 150;
/// Pages of the default job: one of each kind.
const DEFAULT_PAGES: u32 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// 1-bit black and white (text and halftone pages).
    Bw,
    /// Grayscale (8 or 16 bits).
    Gray,
    /// RGB colour (8 or 16 bits per sample).
    Color,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Output file (.tif/.tiff, .bmp or .pdf); `-` writes the TIFF (or, with --format
    /// pdf, the PDF) to stdout without seeking, page by page.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUT",
        default_value = "scan.tif"
    )]
    pub out: String,
    /// Pages to scan [default: 4, or 1 for BMP].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pages: Option<u32>,
    /// Colour mode of every page [default: a mix of text, photo, colour and halftone].
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Bits per sample: 1 (bw), 8 or 16 (gray, color).
    #[arg(long, value_parser = ["1", "8", "16"])]
    pub depth: Option<String>,
    #[command(flatten)]
    pub encode: EncodeArgs,
    /// Device: `virtual` (built in) or `sane:NAME`.
    #[arg(long, default_value = "virtual")]
    pub device: String,
    /// Grow the TIFF into a BigTIFF once it would pass this many bytes instead of 4 GiB
    /// (for tests: a long scan's promotion without writing gigabytes).
    #[arg(long, hide = true, value_name = "BYTES")]
    pub bigtiff_at: Option<u64>,
}

/// What each page of the job is: its content and pixel type.
fn plan(args: &ScanArgs, pages: u32) -> Result<Vec<(PageKind, PixelType)>, Failure> {
    let depth: Option<u32> = args
        .depth
        .as_deref()
        .map(|d| d.parse().expect("checked by clap"));
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

pub fn run(args: ScanArgs) -> Result<u8, Failure> {
    if let Some(name) = args.device.strip_prefix("sane:") {
        return Err(Failure::new(
            format!("--device sane:{name}"),
            "SANE devices are not available in this build (use --device virtual)",
        ));
    }
    if args.device != "virtual" {
        return Err(Failure::usage(format!(
            "--device {}: unknown device (virtual or sane:NAME)",
            args.device
        )));
    }
    let format = args.encode.format_for(&args.out)?;
    let pages = args.pages.unwrap_or(if format == Format::Bmp {
        1
    } else {
        DEFAULT_PAGES
    });
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
    let mut options = args.encode.tiff_options()?;
    if let Some(at) = args.bigtiff_at {
        options = options.bigtiff(BigTiff::PromoteAt(at));
    }
    let job = plan(&args, pages)?;
    if format == Format::Pdf {
        let pdf = args.encode.pdf_options()?;
        for (_, pixel) in &job {
            wias::pdf::check(pdf.codec_setting().compression, *pixel)
                .map_err(|e| Failure::usage(format!("--compression: {e}")))?;
        }
    }
    if format == Format::Bmp && matches!(job[0].1, PixelType::Gray16 | PixelType::Rgb48) {
        return Err(Failure::usage(
            "--depth 16: BMP holds 1, 8 or 24 bits per pixel (use --format tiff)",
        ));
    }
    // Every page's pixel type is known now: a codec that cannot hold one of them is
    // refused before the output file is created.
    if format == Format::Tiff {
        for (_, pixel) in &job {
            options
                .codec_setting()
                .compression
                .check(*pixel)
                .map_err(|e| Failure::usage(format!("--compression: {e}")))?;
        }
    }
    let dpi = args.encode.dpi.unwrap_or(DEFAULT_DPI);
    let width = (A4.0 * f64::from(dpi)).round() as i32;
    let lines = (A4.1 * f64::from(dpi)).round() as i32;
    let bar = progress(pages);
    let mut sink = Sink::open(&args.out, format, options, &args.encode)?;
    let mut ctx = TransferContext::new(width, lines, 1, format_guid(format), tymed::MULTIPAGE_FILE);
    ctx.xres = dpi as i32;
    ctx.yres = dpi as i32;
    let mut result = Ok(());
    for (i, (kind, pixel)) in job.iter().enumerate() {
        bar.set_message(format!("page {} ({}, {})", i + 1, kind.name(), pixel));
        // What a driver does per page: describe it, size the buffer, fill it, write it.
        ctx.depth = pixel.depth() as i32;
        let step = ctx
            .image_information()
            .and_then(|info| {
                let rows = render(*kind, *pixel, width as u32, lines as u32, dpi, i as u32 + 1);
                let mut buffer = info.header;
                if format == Format::Bmp {
                    let spec = ctx.page_spec()?;
                    buffer.extend_from_slice(&bmp::dib_rows(&spec, &rows)?);
                } else {
                    buffer.extend_from_slice(&rows);
                }
                sink.write(&mut ctx, &buffer)
            })
            .map_err(|e| Failure::new(format!("{} (page {})", args.out, i + 1), e));
        if let Err(e) = step {
            result = Err(e);
            break;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let finished = sink.finish().map_err(|e| Failure::new(&args.out, e));
    result.and(finished).map(|_| 0)
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
/// a BMP file the transfer function appends to, or stdout through the streaming writer.
enum Sink {
    Tiff(Document<std::fs::File>),
    Bmp(std::fs::File),
    Stream(StreamWriter<BufWriter<RawStdout>>),
    /// A PDF file: each page committed as an incremental update when written.
    Pdf(PdfFile),
    /// A PDF on stdout, complete after every page.
    PdfStream(PdfWriter<BufWriter<RawStdout>>),
}

impl Sink {
    fn open(
        out: &str,
        format: Format,
        options: Options,
        encode: &EncodeArgs,
    ) -> Result<Self, Failure> {
        if format == Format::Pdf {
            let pdf = encode.pdf_options()?;
            if out == "-" {
                crate::output::refuse_terminal()?;
                return Ok(Sink::PdfStream(PdfWriter::new(
                    BufWriter::with_capacity(1 << 20, raw_stdout()),
                    pdf,
                )));
            }
            return PdfFile::create(out, pdf)
                .map(Sink::Pdf)
                .map_err(|e| Failure::new(out, e));
        }
        if out == "-" {
            crate::output::refuse_terminal()?;
            if format == Format::Bmp {
                return Err(Failure::usage(
                    "-o - streams TIFF and PDF only (BMP needs a file)",
                ));
            }
            return Ok(Sink::Stream(StreamWriter::new(
                BufWriter::with_capacity(1 << 20, raw_stdout()),
                options,
            )));
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(out)
            .map_err(|e| Failure::new(out, e))?;
        if format == Format::Bmp {
            return Ok(Sink::Bmp(f));
        }
        Document::new(f, options)
            .map(Sink::Tiff)
            .map_err(|e| Failure::new(out, e))
    }

    fn write(&mut self, ctx: &mut TransferContext, buffer: &[u8]) -> wias::Result<()> {
        match self {
            Sink::Tiff(doc) => doc.write_page_buf(ctx, buffer),
            Sink::Bmp(f) => transfer::write_page_buf(ctx, f, buffer),
            Sink::Stream(w) => {
                let data = transfer::page_data(ctx, buffer)?;
                let spec = ctx.page_spec()?;
                w.write_page(&spec, data)
            }
            Sink::Pdf(w) => w.write_page(&ctx.page_spec()?, transfer::page_data(ctx, buffer)?),
            Sink::PdfStream(w) => {
                w.write_page(&ctx.page_spec()?, transfer::page_data(ctx, buffer)?)
            }
        }
    }

    fn finish(self) -> wias::Result<()> {
        let sync = |f: std::fs::File| {
            f.sync_all()
                .map_err(|e| wias::Error::io("syncing the output", e))
        };
        match self {
            Sink::Tiff(doc) => sync(doc.finish()?),
            Sink::Bmp(f) => sync(f),
            Sink::Stream(w) => w.finish().map(|_| ()),
            Sink::Pdf(w) => sync(w.finish()?),
            Sink::PdfStream(w) => w.finish().map(|_| ()),
        }
    }
}

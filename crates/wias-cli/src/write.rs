//! `wias write`: PNM images (and JPEG files) in, one TIFF, PDF or BMP out.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wias::input::jpeg::JpegPage;
use wias::pnm::PnmStream;
use wias::tiff::tags::tag;
use wias::tiff::TiffFile;
use wias::Compression;

use crate::encode::{EncodeArgs, Format};
use crate::filekind::FileKind;
use crate::output::Output;
use crate::staged::same_file;
use crate::Failure;

/// The resolution of a page whose input states none (PNM never does).
const DEFAULT_DPI: u32 = 300;

const EXAMPLES: &str = "\
Examples:
  wias write -o doc.tif page1.pgm page2.pbm photo.jpg
  wias write -o doc.tif --compression lzw --dpi 600 scans/*.pnm
  wias write --append -o doc.tif page3.pgm      keeps the document's resolution
  pdftoppm -gray in.pdf | wias write -o doc.tif -
  wias write -o page.bmp page.ppm               one page as a Windows bitmap
  wias write -o doc.pdf page1.pgm photo.jpg     a PDF (JPEG files embedded as they are)

Inputs: PNM (P1-P6, 8 or 16 bit; several images per file) and JPEG (stored without
decoding, turned upright by its EXIF orientation; for TIFF a progressive JPEG is made
baseline losslessly; CMYK JPEGs go into PDF only). Every input is checked before the
output is touched. PNG, GIF, TIFF...: convert them to PNM first (pngtopnm,
tifftopnm, or `convert in.png out.ppm`).";

#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("dpi", |a| a.help("Resolution, dots per inch; scanimage's --resolution is the same flag [default: a JPEG's own, else the document's with --append, else 300]")))]
pub struct WriteArgs {
    /// Output file (.tif/.tiff, .bmp or .pdf); `-` writes the TIFF (or, with --format
    /// pdf, the PDF) to stdout without seeking.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub out: String,
    #[command(flatten)]
    pub encode: EncodeArgs,
    /// Add the pages to an existing TIFF or PDF instead of replacing it (a missing file
    /// is created).
    #[arg(long)]
    pub append: bool,
    /// PNM files (P1–P6, 8 or 16 bit, one or more images each), JPEG files (stored as
    /// JPEG pages without decoding), or `-` for a PNM stream on stdin.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<String>,
}

pub fn run(args: WriteArgs) -> Result<u8, Failure> {
    let format = args.encode.format_for(&args.out)?;
    if format == Format::Bmp && args.encode.compressed() {
        return Err(Failure::usage(format!(
            "--compression {}: BMP pages are written uncompressed",
            args.encode.compression
        )));
    }
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        return Err(Failure::usage("stdin (-) can be read only once"));
    }
    let options = args.encode.tiff_options()?;
    if format == Format::Pdf {
        args.encode.pdf_options()?; // packbits, lzw, g3: refused before any file is touched
    }
    let started = std::time::Instant::now();
    crate::output::check_directory(&args.out)?;
    // Inputs are checked before the output is touched, so a typo in a file name or a
    // file wias cannot read does not truncate an existing document, and a bad JPEG
    // late in the list does not stop the job after earlier pages were written. The
    // same file under two names (a hard or symbolic link) is the same file.
    for input in args.inputs.iter().filter(|i| *i != "-") {
        std::fs::metadata(input).map_err(|e| Failure::new(input, e))?;
        if same_file(Path::new(input), Path::new(&args.out)) {
            return Err(Failure::usage(format!(
                "{input} is both an input and the output"
            )));
        }
        check_input(input, format)?;
    }
    // With --append and no --dpi, new pages take the document's resolution.
    let dpi = match args.encode.dpi {
        Some(d) => Some((d, d)),
        None if args.append => document_dpi(&args.out),
        None => None,
    };
    let mut output = Output::open(&args.out, format, options, args.append)?;
    let bar = progress(args.inputs.len());
    let result = copy_all(&args, dpi, &mut output, &bar);
    bar.finish_and_clear();
    // Whatever happened, complete the document with the pages that made it.
    let finished = output.finish().map_err(|e| Failure::new(&args.out, e));
    let pages = result.and_then(|n| finished.map(|_| n))?;
    let verb = if args.append { "added" } else { "wrote" };
    crate::summary(verb, pages, &args.out, started);
    Ok(0)
}

/// An input file is one wias reads (PNM or JPEG); a JPEG is checked as a page of the
/// output now, before anything is written ([`JpegPage::for_pdf`] and
/// [`JpegPage::for_tiff`]: a whole image, what the container takes). Anything else
/// is named, with what is accepted.
fn check_input(input: &str, format: Format) -> Result<(), Failure> {
    match FileKind::of_file(input).map_err(|e| Failure::new(input, e))? {
        FileKind::Pnm => Ok(()),
        FileKind::Jpeg => {
            let data = std::fs::read(input).map_err(|e| Failure::new(input, e))?;
            if format == Format::Pdf {
                JpegPage::for_pdf(data).map(|_| ())
            } else {
                JpegPage::for_tiff(data).map(|_| ())
            }
            .map_err(|e| Failure::new(input, e))
        }
        other => Err(Failure::new(
            input,
            format!(
                "{}, not an input wias write takes: it takes PNM (P1-P6) and JPEG files{}",
                other.describe(),
                match other {
                    FileKind::Png => " (convert with pngtopnm)",
                    FileKind::Tiff | FileKind::BigTiff => " (convert with tifftopnm)",
                    FileKind::Gif => " (convert with giftopnm)",
                    FileKind::Bmp => " (convert with bmptopnm)",
                    _ => "",
                }
            ),
        )),
    }
}

/// The resolution of the last page of an existing TIFF, in dpi (None when there is no
/// such file, it states none, or it is not a TIFF: a PDF states no resolution).
fn document_dpi(path: &str) -> Option<(u32, u32)> {
    let mut r = BufReader::new(File::open(path).ok()?);
    // O(1) for a document wias wrote (its chain tail), so `--append` stays O(1).
    let last = TiffFile::read_last_directory(&mut r).ok()??;
    let last = &last;
    let per_cm = last.int(tag::RESOLUTION_UNIT) == Some(3);
    let res = |t| match &last.get(t)?.value {
        wias::tiff::EntryValue::Rationals(v) => {
            let &(n, d) = v.first()?;
            let v = n as f64 / d as f64 * if per_cm { 2.54 } else { 1.0 };
            (d != 0 && v >= 0.5).then(|| v.round().min(65535.0) as u32)
        }
        _ => None,
    };
    Some((res(tag::X_RESOLUTION)?, res(tag::Y_RESOLUTION)?))
}

/// A bar on a terminal for jobs of several inputs, as `wias scan` has.
fn progress(inputs: usize) -> ProgressBar {
    if inputs < 2 || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(inputs as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("writing {bar:30} {pos}/{len} inputs {msg}") {
        bar.set_style(style);
    }
    bar
}

/// Copies every page of every input; returns how many pages were written.
fn copy_all(
    args: &WriteArgs,
    dpi: Option<(u32, u32)>,
    output: &mut Output,
    bar: &ProgressBar,
) -> Result<u64, Failure> {
    // One page buffer for the whole run, passed from file to file.
    let mut spare = Vec::new();
    let mut pages = 0;
    for (i, input) in args.inputs.iter().enumerate() {
        if i > 0 {
            bar.inc(1);
        }
        bar.set_message(format!("({pages} pages) {input}"));
        let name = if input == "-" {
            "stdin"
        } else {
            input.as_str()
        };
        if input == "-" {
            let stdin = BufReader::with_capacity(1 << 16, io::stdin());
            let mut stream = PnmStream::new(stdin);
            stream.recycle(std::mem::take(&mut spare));
            pages += copy_pnm(args, dpi, output, name, &mut stream)?;
            spare = stream.take_spare();
            continue;
        }
        let f = File::open(input).map_err(|e| Failure::new(input, e))?;
        // Big reads: a page is megabytes, read (or copied in the kernel) in few calls.
        let mut f = BufReader::with_capacity(1 << 16, f);
        if is_jpeg(&mut f).map_err(|e| Failure::new(input, e))? {
            copy_jpeg(args, dpi, output, input, f)?;
            pages += 1;
            continue;
        }
        let mut stream = PnmStream::new(f);
        stream.recycle(std::mem::take(&mut spare));
        pages += copy_pnm(args, dpi, output, name, &mut stream)?;
        spare = stream.take_spare();
    }
    Ok(pages)
}

/// Copies every image of one PNM input (`name` in messages); returns how many.
/// Rasters that are page buffers already (8-bit, maxval 255) go to a TIFF file
/// straight from the input ([`Output::write_page_from`]): copied in the kernel when
/// uncompressed, read a strip at a time by the encoder otherwise. Raw bitmaps (P4,
/// 1 = black) go the same way, never inverted ([`Output::write_bilevel_page_from`]).
/// Others are read, converted and written as pages in memory.
fn copy_pnm<R: BufRead + Send>(
    args: &WriteArgs,
    dpi: Option<(u32, u32)>,
    output: &mut Output,
    name: &str,
    stream: &mut PnmStream<R>,
) -> Result<u64, Failure> {
    let format = args.encode.format_for(&args.out)?;
    let codec = args.encode.tiff_options()?.codec_setting().compression;
    let (x, y) = dpi.unwrap_or((DEFAULT_DPI, DEFAULT_DPI));
    let out_err = |e| Failure::new(format!("{} ({name})", args.out), e);
    let mut pages = 0;
    while let Some(header) = stream.next_header().map_err(|e| Failure::new(name, e))? {
        let spec = header.spec.dpi(x, y);
        // A codec that cannot hold the page is the flags' fault, as in `wias
        // scan`: a usage error (exit 2) there and here.
        match format {
            Format::Tiff => codec.check(spec.pixel),
            Format::Pdf => wias::pdf::check(codec, spec.pixel),
            Format::Bmp | Format::Raw => Ok(()),
        }
        .map_err(|e| Failure::usage(format!("--compression: {e} ({name})")))?;
        if header.raster_is_black_is_one() && output.takes_rows_from_reader() {
            stream
                .with_raster(|r| output.write_bilevel_page_from(&spec, r))
                .map_err(|e| Failure::new(name, e))?
                .map_err(out_err)?;
        } else if header.raster_is_page_buffer() && output.takes_rows_from_reader() {
            stream
                .with_raster(|r| output.write_page_from(&spec, r))
                .map_err(|e| Failure::new(name, e))?
                .map_err(out_err)?;
        } else {
            let image = stream.read_rows().map_err(|e| Failure::new(name, e))?;
            output.write_page(&spec, &image.rows).map_err(out_err)?;
            stream.recycle(image.rows);
        }
        pages += 1;
    }
    Ok(pages)
}

/// Whether the stream starts with a JPEG SOI marker (FF D8), without consuming it.
fn is_jpeg(r: &mut impl BufRead) -> io::Result<bool> {
    Ok(r.fill_buf()?.starts_with(&[0xFF, 0xD8]))
}

/// A JPEG file becomes one JPEG-compressed TIFF page, its data stored as they are (a
/// progressive file rewritten as baseline, losslessly), or one PDF page embedding the
/// file's image byte for byte (progressive too: PDF's DCTDecode takes it); either way
/// turned upright first when its EXIF orientation says so (see [`JpegPage`]). Its resolution:
/// --dpi, else the density the file states (JFIF or EXIF), else the document's with
/// --append, else 300.
fn copy_jpeg(
    args: &WriteArgs,
    dpi: Option<(u32, u32)>,
    output: &mut Output,
    name: &str,
    mut r: impl Read,
) -> Result<(), Failure> {
    let mut data = Vec::new();
    r.read_to_end(&mut data)
        .map_err(|e| Failure::new(name, e))?;
    let page = if output.is_pdf() {
        JpegPage::for_pdf(data)
    } else {
        JpegPage::for_tiff(data)
    }
    .map_err(|e| Failure::new(name, e))?;
    let mut spec = page.spec(args.encode.dpi, DEFAULT_DPI);
    if let (None, None, Some((x, y))) = (args.encode.dpi, page.info.density, dpi) {
        spec = spec.dpi(x, y);
    }
    output
        .write_encoded_page(&spec, Compression::Jpeg, &page.data)
        .map_err(|e| Failure::new(format!("{} ({name})", args.out), e))
}

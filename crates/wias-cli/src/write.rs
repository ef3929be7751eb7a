//! `wias write`: PNM images (and PNG and JPEG files) in, one TIFF, PDF or BMP out.

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

use crate::encode::{EncodeArgs, Encoding, Format};
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
  scanimage --resolution 150 | wias write --dpi 150 -o doc.pdf -   PNM has no dpi: say it
  wias write -o page.bmp page.ppm               one page as a Windows bitmap
  wias write -o doc.pdf page1.pgm photo.jpg     a PDF (JPEG files embedded as they are)
  wias write --pdfa --title Minutes -o a.pdf page1.pgm   PDF/A-2b, kept so by --append

Inputs: PNM (P1-P6, 8 or 16 bit; several images per file) and JPEG (stored without
decoding, turned upright by its EXIF orientation; for TIFF a progressive JPEG is made
baseline losslessly; CMYK JPEGs go into PDF only). Every input file is checked (its
kind, each image's header and length) before the output is touched; --dpi applies to
every input (a PNM page states no resolution, so give the scan's: `wias scan -d
NAME` takes the device's own); stdin can be read
only once, so a stream cut short ends the job at its page. PNG (1-bit, gray,
palette, RGB; 8 or 16 bit; its pHYs dpi; no transparency) is decoded. GIF, TIFF...:
convert them to PNM first (giftopnm, tifftopnm, or `convert in.gif out.ppm`). A
write-protected OUT is refused unless --force.";

#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("dpi", |a| a.help("Resolution, dots per inch; scanimage's --resolution is the same flag [default: a JPEG's own, else the document's with --append, else 300]")))]
pub struct WriteArgs {
    /// Output file (.tif/.tiff, .bmp or .pdf); `-` writes the TIFF (or, with --format
    /// pdf, the PDF) to stdout without seeking, as a FIFO or a device gets it.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub out: String,
    #[command(flatten)]
    pub encode: EncodeArgs,
    /// Add the pages to an existing TIFF or PDF instead of replacing it (a missing file
    /// is created).
    #[arg(long)]
    pub append: bool,
    /// Replace (or, with --append, add to) OUT even when it is write-protected
    /// (no write permission, e.g. chmod 0444); without it such a file is refused.
    #[arg(long)]
    pub force: bool,
    /// PNM files (P1–P6, 8 or 16 bit, one or more images each), PNG files, JPEG files
    /// (stored as JPEG pages without decoding), or `-` for a PNM stream on stdin.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<String>,
}

pub fn run(args: WriteArgs) -> Result<u8, Failure> {
    let mut enc = args.encode.resolve(&args.out)?;
    let format = enc.format;
    if format == Format::Bmp && args.encode.compressed() {
        return Err(Failure::usage(format!(
            "--compression {}: BMP pages are written uncompressed",
            args.encode.compression
        )));
    }
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        return Err(Failure::usage("stdin (-) can be read only once"));
    }
    args.encode.refuse_codec_pdf_lacks(format)?;
    let started = std::time::Instant::now();
    crate::output::check_directory(&args.out)?;
    crate::output::refuse_write_protected(&args.out, args.force)?;
    // Inputs are checked before the output is touched, so a typo in a file name or a
    // file wias cannot read does not truncate an existing document, and a bad JPEG
    // late in the list does not stop the job after earlier pages were written. The
    // same file under two names (a hard or symbolic link) is the same file.
    let mut total = 0u64;
    for input in args.inputs.iter().filter(|i| *i != "-") {
        std::fs::metadata(input).map_err(|e| Failure::new(input, e))?;
        if same_file(Path::new(input), Path::new(&args.out)) {
            return Err(Failure::usage(format!(
                "{input} is both an input and the output"
            )));
        }
        total += check_input(input, format)?;
    }
    // A new TIFF of files only: its page count is known, so PageNumber says n/N.
    if format == Format::Tiff && !args.append && !args.inputs.iter().any(|i| i == "-") {
        enc.tiff = enc.tiff.page_count(u32::try_from(total).ok());
    }
    // With --append and no --dpi, new pages take the document's resolution.
    let dpi = match args.encode.dpi {
        Some(d) => Some((d, d)),
        None if args.append => document_dpi(&args.out),
        None => None,
    };
    let mut output = Output::open(&args.out, &enc, args.append)?;
    let bar = progress(args.inputs.len());
    let result = copy_all(&args, &enc, dpi, &mut output, &bar);
    bar.finish_and_clear();
    // Whatever happened, complete the document with the pages that made it.
    let finished = output.finish().map_err(|e| Failure::new(&args.out, e));
    let pages = result.and_then(|n| finished.map(|_| n))?;
    let verb = if args.append { "added" } else { "wrote" };
    crate::summary(verb, pages, &args.out, started);
    Ok(0)
}

/// An input file is one wias reads (PNM or JPEG), and how many pages it holds; a JPEG is checked as a page of the
/// output now, before anything is written ([`JpegPage::for_pdf`] and
/// [`JpegPage::for_tiff`]: a whole image, what the container takes). Anything else
/// is named, with what is accepted.
fn check_input(input: &str, format: Format) -> Result<u64, Failure> {
    match FileKind::of_file(input).map_err(|e| Failure::new(input, e))? {
        FileKind::Pnm => check_pnm(input),
        FileKind::Png => {
            let data = std::fs::read(input).map_err(|e| Failure::new(input, e))?;
            // Decoded whole now, so that damaged data stops the job before OUT is touched.
            crate::png_input::decode(&data)
                .map(|_| 1)
                .map_err(|e| Failure::new(input, e))
        }
        FileKind::Jpeg => {
            let data = std::fs::read(input).map_err(|e| Failure::new(input, e))?;
            if format == Format::Pdf {
                JpegPage::for_pdf(data).map(|_| 1)
            } else {
                JpegPage::for_tiff(data).map(|_| 1)
            }
            .map_err(|e| Failure::new(input, e))
        }
        other => Err(Failure::new(
            input,
            format!(
                "{}, not an input wias write takes: it takes PNM (P1-P6), PNG and JPEG files{}",
                other.describe(),
                match other {
                    FileKind::Tiff | FileKind::BigTiff => " (convert with tifftopnm)",
                    FileKind::Gif => " (convert with giftopnm)",
                    FileKind::Bmp => " (convert with bmptopnm)",
                    _ => "",
                }
            ),
        )),
    }
}

/// Every image of a PNM file has a sound header and all of its raster, so that a file
/// cut short (or with garbage after its last image) stops the job before the output
/// is touched, not after it replaced a document with the pages before it. Binary
/// rasters are skipped by their length (one seek each; the samples are checked as
/// they are written), plain (ASCII) ones are read. A stream on stdin can be read only
/// once, so it is not checked ahead.
fn check_pnm(input: &str) -> Result<u64, Failure> {
    use std::io::Seek;
    use wias::pnm::PnmKind;
    let fail = |e| Failure::new(input, e);
    let f = File::open(input).map_err(|e| fail(wias::Error::io("reading", e)))?;
    let len = f
        .metadata()
        .map_err(|e| fail(wias::Error::io("reading", e)))?
        .len();
    let mut stream = PnmStream::new(BufReader::with_capacity(1 << 16, f));
    let mut n = 0;
    while let Some(h) = stream.next_header().map_err(fail)? {
        n += 1;
        if matches!(
            h.kind,
            PnmKind::PlainBitmap | PnmKind::PlainGraymap | PnmKind::PlainPixmap
        ) {
            stream.read_rows().map_err(fail)?;
            continue;
        }
        let need = h.spec.image_bytes(1).map_err(fail)?;
        let have = stream
            .with_raster(|r| -> io::Result<u64> {
                let at = r.get_mut().stream_position()?;
                let have = len.saturating_sub(at).min(need);
                if have == need {
                    r.get_mut().seek_relative(need as i64)?;
                    r.set_limit(0);
                }
                Ok(have)
            })
            .map_err(fail)?
            .map_err(|e| fail(wias::Error::io("reading", e)))?;
        if have < need {
            return Err(fail(wias::Error::WrongDataLength {
                expected: need,
                got: have,
                detail: format!(
                    "the file is truncated in image {n} ({} {}x{}); nothing was written",
                    h.kind.magic(),
                    h.spec.width,
                    h.spec.lines
                ),
            }));
        }
    }
    Ok(n)
}

/// The resolution of the last page of an existing TIFF, in dpi (None when there is no
/// such file, it states none, or it is not a TIFF: a PDF states no resolution).
fn document_dpi(path: &str) -> Option<(u32, u32)> {
    // A FIFO would block the open until a writer came (and --append refuses it).
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
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
    enc: &Encoding,
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
            pages += copy_pnm(args, enc, dpi, output, name, &mut stream)?;
            spare = stream.take_spare();
            continue;
        }
        let f = File::open(input).map_err(|e| Failure::new(input, e))?;
        // Big reads: a page is megabytes, read (or copied in the kernel) in few calls.
        let mut f = BufReader::with_capacity(1 << 16, f);
        if f.fill_buf()
            .map_err(|e| Failure::new(input, e))?
            .starts_with(b"\x89PNG")
        {
            copy_png(args, enc, dpi, output, input, f)?;
            pages += 1;
            continue;
        }
        if is_jpeg(&mut f).map_err(|e| Failure::new(input, e))? {
            copy_jpeg(args, dpi, output, input, f)?;
            pages += 1;
            continue;
        }
        let mut stream = PnmStream::new(f);
        stream.recycle(std::mem::take(&mut spare));
        pages += copy_pnm(args, enc, dpi, output, name, &mut stream)?;
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
    enc: &Encoding,
    dpi: Option<(u32, u32)>,
    output: &mut Output,
    name: &str,
    stream: &mut PnmStream<R>,
) -> Result<u64, Failure> {
    let (x, y) = dpi.unwrap_or((DEFAULT_DPI, DEFAULT_DPI));
    let out_err = |e| Failure::new(format!("{} ({name})", args.out), e);
    let mut pages = 0;
    while let Some(header) = stream.next_header().map_err(|e| Failure::new(name, e))? {
        let spec = header.spec.dpi(x, y);
        // A codec that cannot hold the page is the flags' fault, as in `wias
        // scan`: a usage error (exit 2) there and here.
        enc.check(spec.pixel)
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
            // A raster that fails here (stdin cut short) is named as the writer
            // names one that fails under it: OUT (INPUT), TIFF and PDF alike.
            let image = stream.read_rows().map_err(out_err)?;
            output.write_page(&spec, &image.rows).map_err(out_err)?;
            stream.recycle(image.rows);
        }
        pages += 1;
    }
    Ok(pages)
}

/// A PNG file becomes one page ([`crate::png_input`]). Its resolution: --dpi, else
/// the file's pHYs, else the document's with --append, else 300.
fn copy_png(
    args: &WriteArgs,
    enc: &Encoding,
    dpi: Option<(u32, u32)>,
    output: &mut Output,
    name: &str,
    mut r: impl Read,
) -> Result<(), Failure> {
    let mut data = Vec::new();
    r.read_to_end(&mut data)
        .map_err(|e| Failure::new(name, e))?;
    let page = crate::png_input::decode(&data).map_err(|e| Failure::new(name, e))?;
    let (x, y) = args
        .encode
        .dpi
        .map(|d| (d, d))
        .or(page.density)
        .or(dpi)
        .unwrap_or((DEFAULT_DPI, DEFAULT_DPI));
    let spec = page.spec.dpi(x, y);
    enc.check(spec.pixel)
        .map_err(|e| Failure::usage(format!("--compression: {e} ({name})")))?;
    output
        .write_page(&spec, &page.rows)
        .map_err(|e| Failure::new(format!("{} ({name})", args.out), e))
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

//! `wias write`: PNM images (and JPEG files) in, one TIFF, PDF or BMP out.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use clap::Args;
use wias::pnm::PnmStream;
use wias::{Compression, PageSpec, PixelType};

use crate::encode::{EncodeArgs, Format};
use crate::output::Output;
use crate::Failure;

#[derive(Args, Debug)]
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
    // Inputs are checked to exist before the output is touched, so a typo in a
    // file name does not truncate an existing document.
    let out_path = std::fs::canonicalize(&args.out).ok();
    for input in args.inputs.iter().filter(|i| *i != "-") {
        let path = std::fs::canonicalize(input).map_err(|e| Failure::new(input, e))?;
        if Some(&path) == out_path.as_ref() {
            return Err(Failure::usage(format!(
                "{input} is both an input and the output"
            )));
        }
    }
    let mut output = Output::open(&args.out, format, options, args.append)?;
    let result = copy_all(&args, &mut output);
    // Whatever happened, complete the document with the pages that made it.
    let finished = output.finish().map_err(|e| Failure::new(&args.out, e));
    result.and(finished).map(|_| 0)
}

fn copy_all(args: &WriteArgs, output: &mut Output) -> Result<(), Failure> {
    // One page buffer for the whole run, passed from file to file.
    let mut spare = Vec::new();
    for input in &args.inputs {
        let reader: Box<dyn BufRead> = if input == "-" {
            Box::new(io::stdin().lock())
        } else {
            let f = File::open(input).map_err(|e| Failure::new(input, e))?;
            let mut f = BufReader::new(f);
            if is_jpeg(&mut f).map_err(|e| Failure::new(input, e))? {
                copy_jpeg(args, output, input, f)?;
                continue;
            }
            Box::new(f)
        };
        let name = if input == "-" {
            "stdin"
        } else {
            input.as_str()
        };
        let mut stream = PnmStream::new(reader);
        stream.recycle(std::mem::take(&mut spare));
        while let Some(mut image) = stream.next_image().map_err(|e| Failure::new(name, e))? {
            if let Some(dpi) = args.encode.dpi {
                image.spec = image.spec.dpi(dpi, dpi);
            }
            output
                .write_page(&image.spec, &image.rows)
                .map_err(|e| Failure::new(format!("{} ({name})", args.out), e))?;
            stream.recycle(image.rows);
        }
        spare = stream.take_spare();
    }
    Ok(())
}

/// Whether the stream starts with a JPEG SOI marker (FF D8), without consuming it.
fn is_jpeg(r: &mut impl BufRead) -> io::Result<bool> {
    Ok(r.fill_buf()?.starts_with(&[0xFF, 0xD8]))
}

/// A JPEG file becomes one JPEG-compressed TIFF page, its data stored as they are.
fn copy_jpeg(
    args: &WriteArgs,
    output: &mut Output,
    name: &str,
    mut r: impl Read,
) -> Result<(), Failure> {
    let mut data = Vec::new();
    r.read_to_end(&mut data)
        .map_err(|e| Failure::new(name, e))?;
    // Headers only: the data are stored as they are (baseline or progressive for PDF;
    // TIFF pages take baseline only, checked before the output file is created).
    let info = wias::pdf::jpeg_info(&data).map_err(|e| Failure::new(name, e))?;
    if args.encode.format_for(&args.out)? != Format::Pdf {
        wias::codec::jpeg_frame(&data).map_err(|e| Failure::new(name, e))?;
    }
    let pixel = if info.components == 1 {
        PixelType::Gray8
    } else {
        PixelType::Rgb24
    };
    // --dpi wins, then the density the file states (JFIF or EXIF), then 300.
    let dpi = match (args.encode.dpi, info.density) {
        (Some(d), _) => (d, d),
        (None, Some((x, y))) => (x.round().max(1.0) as u32, y.round().max(1.0) as u32),
        (None, None) => (300, 300),
    };
    let spec =
        PageSpec::new(u32::from(info.width), u32::from(info.height), pixel).dpi(dpi.0, dpi.1);
    output
        .write_encoded_page(&spec, Compression::Jpeg, &data)
        .map_err(|e| Failure::new(format!("{} ({name})", args.out), e))
}

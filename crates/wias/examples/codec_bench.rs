//! Development benchmark: writes PNM pages into one TIFF the way `wias write` will, so
//! that codecs can be timed beside libtiff's `tiffwrite` before the CLI exists.
//!
//! cargo run --release --example codec_bench -- -o OUT.tif -c deflate [-t THREADS]
//!     [-p 0|1] [-l LEVEL] [-q QUALITY] [-s STRIP_BYTES (default: the codec's)] PAGE.pnm...
//!
//! Prints one line: seconds spent reading, encoding and writing, output bytes.
//! Takes `wias write`'s arguments too, so `WIAS=target/release/examples/codec_bench
//! bench/compare.sh` runs before the CLI has `write`.

use std::time::Instant;

use wias::tiff::{Options, TiffWriter};
use wias::{CodecChoice, CodecSettings, PageSpec, PixelType};

fn token(data: &[u8], pos: &mut usize) -> usize {
    while data[*pos].is_ascii_whitespace() || data[*pos] == b'#' {
        if data[*pos] == b'#' {
            while data[*pos] != b'\n' {
                *pos += 1;
            }
        }
        *pos += 1;
    }
    let start = *pos;
    while data[*pos].is_ascii_digit() {
        *pos += 1;
    }
    std::str::from_utf8(&data[start..*pos])
        .unwrap()
        .parse()
        .unwrap()
}

/// A PNM page (P4, P5, P6; 8-bit) in page-buffer form.
fn read_pnm(path: &str) -> (PageSpec, Vec<u8>) {
    let data = std::fs::read(path).unwrap();
    let kind = data[1];
    let mut pos = 2;
    let w = token(&data, &mut pos);
    let h = token(&data, &mut pos);
    if kind != b'4' {
        let max = token(&data, &mut pos);
        assert_eq!(max, 255, "8-bit PNM only");
    }
    pos += 1;
    let pixel = match kind {
        b'4' => PixelType::Bilevel,
        b'5' => PixelType::Gray8,
        b'6' => PixelType::Rgb24,
        _ => panic!("{path}: not P4/P5/P6"),
    };
    let mut rows = data;
    rows.drain(..pos);
    if kind == b'4' {
        rows.iter_mut().for_each(|b| *b = !*b); // PBM 1 = black; page form 0 = black
    }
    (PageSpec::new(w as u32, h as u32, pixel), rows)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut out = String::from("out.tif");
    let mut settings = CodecSettings::auto();
    let mut strip_bytes = None;
    let mut pages = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-o" => out = args.next().unwrap(),
            "-c" | "--compression" => {
                settings.compression = CodecChoice::from_name(&args.next().unwrap()).unwrap()
            }
            "-t" | "--threads" => settings.threads = args.next().unwrap().parse().unwrap(),
            "-p" => settings.predictor = args.next().unwrap() == "1",
            "-l" => settings.deflate_level = args.next().unwrap().parse().unwrap(),
            "-q" | "--jpeg-quality" => {
                settings.jpeg_quality = args.next().unwrap().parse().unwrap()
            }
            "-s" => strip_bytes = Some(args.next().unwrap().parse().unwrap()),
            _ => pages.push(a),
        }
    }
    // One page in memory at a time, read as it is written, like tiffwrite and the CLI.
    let t = Instant::now();
    let mut opts = Options::default().codec(settings);
    if let Some(n) = strip_bytes {
        opts = opts.strip_bytes(n);
    }
    let mut doc = TiffWriter::create(&out, opts).unwrap();
    for p in &pages {
        let (spec, rows) = read_pnm(p);
        doc.write_page(&spec, &rows).unwrap();
    }
    doc.finish().unwrap();
    let secs = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&out).unwrap().len();
    println!("{secs:.3} {size}");
}

//! Every codec × every pixel type it supports × odd page sizes × 3 pages: libtiff
//! decodes each page pixel for pixel (JPEG: PSNR ≥ 30 dB at quality 90), and so does a
//! second reader (the `tiff` crate, `fax` for G3, `jpeg-decoder` for JPEG). Files
//! written on one thread and on two are byte-identical.

use wias_testsupport as support;
use wias_testsupport::codec_readers;

use std::path::Path;

use codec_readers::{crate_pages, fax_decode, jpeg_decode, psnr};
use support::{clear_row_padding, libtiff_pages, pattern, tiffinfo_clean};
use wias::tiff::{DateTime, Options, TiffWriter};
use wias::{CodecChoice, CodecSettings, Compression, PageSpec, PixelType};

/// Odd geometries, plus a fax width that is not a multiple of 8.
const SIZES: [(u32, u32); 6] = [(1, 1), (7, 3), (9, 17), (1728, 40), (2481, 91), (13, 29)];

/// Page `n` of a test document: random bits, text-like runs, or a smooth photo-like
/// ramp with ±3 noise (what JPEG is for).
fn page(w: u32, h: u32, pixel: PixelType, n: u32) -> Vec<u8> {
    let depth = pixel.depth();
    let row = (w as usize * depth as usize).div_ceil(8);
    match n % 3 {
        0 => pattern(w, h, depth, 7 + n),
        1 if pixel.is_bilevel() => {
            // Black bars of varying length (runs past 64 and 2560 pixels), white rows.
            let mut d = vec![0xFFu8; row * h as usize];
            for y in 0..h as usize {
                for x in 0..w as usize {
                    let period = 3 + (y * 37) % 2900;
                    if y % 5 != 4 && (x + y * 11) % period < period / 2 {
                        d[y * row + x / 8] &= !(0x80 >> (x % 8));
                    }
                }
            }
            clear_row_padding(&mut d, w as usize, row);
            d
        }
        _ => smooth(w, h, pixel, n),
    }
}

/// A smooth ramp (a triangle wave, no sharp wrap) with ±3 noise, per sample.
fn smooth(w: u32, h: u32, pixel: PixelType, seed: u32) -> Vec<u8> {
    let spp = pixel.samples_per_pixel() as usize;
    let mut noise = pattern(w.max(1), h, 8 * spp as u32, seed)
        .into_iter()
        .cycle();
    let mut out = Vec::new();
    if pixel.is_bilevel() {
        return pattern(w, h, 1, seed + 100);
    }
    for y in 0..h as usize {
        for x in 0..w as usize {
            for s in 0..spp {
                let t = (x * 2 + y * 3 + s * 50) % 510;
                let v = if t > 255 { 510 - t } else { t } as i32;
                let v = (v + i32::from(noise.next().unwrap() % 7) - 3).clamp(0, 255);
                match pixel.bits_per_sample() {
                    8 => out.push(v as u8),
                    _ => out.extend_from_slice(&((v as u16) * 256 + (x % 3) as u16).to_le_bytes()),
                }
            }
        }
    }
    out
}

fn options(settings: CodecSettings) -> Options {
    // Small strips, so that even the test pages have several and threads share them.
    Options::default()
        .codec(settings)
        .strip_bytes(8 * 1024)
        .date_time(DateTime::Omit)
}

/// Writes the 3 pages with `settings` on `threads` threads; returns the file's bytes.
fn write_doc(
    path: &Path,
    settings: &CodecSettings,
    threads: usize,
    pages: &[(PageSpec, Vec<u8>)],
) -> Vec<u8> {
    let mut doc = TiffWriter::create(path, options(settings.clone().threads(threads))).unwrap();
    for (spec, rows) in pages {
        doc.write_page(spec, rows)
            .unwrap_or_else(|e| panic!("{} {:?}: {e}", settings.compression, spec));
    }
    doc.finish().unwrap();
    std::fs::read(path).unwrap()
}

fn pages_for(pixel: PixelType, (w, h): (u32, u32)) -> Vec<(PageSpec, Vec<u8>)> {
    (0..3)
        .map(|n| {
            (
                PageSpec::new(w, h, pixel).dpi(300, 300),
                page(w, h, pixel, n),
            )
        })
        .collect()
}

/// The `tiff` crate's page in page form: it already turns WhiteIsZero bits into
/// 1 = white; only the padding bits of bilevel rows need clearing.
fn crate_rows(p: &codec_readers::CratePage) -> Vec<u8> {
    let mut d = p
        .decoded
        .clone()
        .unwrap_or_else(|e| panic!("tiff crate: {e}"));
    if p.bits_per_sample == 1 && p.photometric == 0 {
        clear_row_padding(&mut d, p.width as usize, (p.width as usize).div_ceil(8));
    }
    d
}

/// Checks a lossless codec on every pixel type and size.
fn lossless(settings: CodecSettings, pixels: &[PixelType]) {
    let dir = tempfile::tempdir().unwrap();
    let c = settings.compression;
    for &pixel in pixels {
        for size in SIZES {
            let what = format!("{c} {pixel} {}x{}", size.0, size.1);
            let pages = pages_for(pixel, size);
            let one = dir.path().join("one.tif");
            let two = dir.path().join("two.tif");
            let a = write_doc(&one, &settings, 1, &pages);
            let b = write_doc(&two, &settings, 2, &pages);
            assert!(a == b, "{what}: 1 and 2 threads wrote different bytes");
            tiffinfo_clean(&two).unwrap_or_else(|e| panic!("{what}: {e}"));
            let lt = libtiff_pages(&two).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(lt.len(), 3, "{what}");
            let cr = crate_pages(&two).unwrap_or_else(|e| panic!("{what}: tiff crate: {e}"));
            assert_eq!(cr.len(), 3, "{what}");
            for (i, (spec, rows)) in pages.iter().enumerate() {
                if c == CodecChoice::Auto {
                    // The smaller of G4 and Deflate for bilevel pages, Deflate for the
                    // rest, or none when that would be larger than the raw page.
                    let allowed: &[u16] = if pixel.is_bilevel() {
                        &[4, 8, 1]
                    } else {
                        &[8, 1]
                    };
                    assert!(allowed.contains(&lt[i].compression), "{what}");
                } else {
                    assert_eq!(lt[i].compression, c.resolve(pixel).tiff_code(), "{what}");
                }
                assert_eq!(
                    (lt[i].width, lt[i].height),
                    (spec.width, spec.lines),
                    "{what}"
                );
                assert!(
                    lt[i].data == *rows,
                    "{what} page {i}: libtiff pixels differ"
                );
                // What the page holds (auto decides per page).
                let code = lt[i].compression;
                let fax = matches!(code, 3 | 4);
                let g4 = code == 4;
                if fax {
                    let p = &cr[i];
                    let mut d = fax_decode(&p.strips, g4, p.width, p.height, p.rows_per_strip)
                        .unwrap_or_else(|e| panic!("{what} page {i}: {e}"));
                    clear_row_padding(&mut d, p.width as usize, (p.width as usize).div_ceil(8));
                    assert!(d == *rows, "{what} page {i}: fax crate pixels differ");
                    let tag = if g4 { 293 } else { 292 };
                    assert!(p.tags.contains(&tag), "{what}: no T4/T6Options");
                }
                if !fax || g4 {
                    assert!(
                        crate_rows(&cr[i]) == *rows,
                        "{what} page {i}: tiff crate pixels differ"
                    );
                }
                let has_predictor = cr[i].tags.contains(&317);
                assert_eq!(
                    has_predictor,
                    settings.uses_predictor(pixel) && code != 1,
                    "{what}: Predictor tag"
                );
            }
        }
    }
}

#[test]
fn uncompressed_pages_read_back() {
    lossless(CodecSettings::new(Compression::None), &PixelType::ALL);
}

#[test]
fn packbits_pages_read_back_pixel_exact() {
    lossless(CodecSettings::new(Compression::PackBits), &PixelType::ALL);
}

#[test]
fn lzw_pages_read_back_pixel_exact_with_and_without_predictor() {
    lossless(CodecSettings::new(Compression::Lzw), &PixelType::ALL);
    lossless(
        CodecSettings::new(Compression::Lzw).predictor(false),
        &PixelType::ALL,
    );
}

#[test]
fn deflate_pages_read_back_pixel_exact_with_and_without_predictor() {
    lossless(CodecSettings::new(Compression::Deflate), &PixelType::ALL);
    lossless(
        CodecSettings::new(Compression::Deflate)
            .predictor(false)
            .deflate_level(1),
        &PixelType::ALL,
    );
}

#[test]
fn g3_pages_read_back_pixel_exact() {
    lossless(CodecSettings::new(Compression::G3), &[PixelType::Bilevel]);
}

#[test]
fn g4_pages_read_back_pixel_exact() {
    lossless(CodecSettings::new(Compression::G4), &[PixelType::Bilevel]);
}

#[test]
fn auto_is_g4_for_bilevel_and_deflate_with_predictor_otherwise() {
    lossless(CodecSettings::auto(), &PixelType::ALL);
}

#[test]
fn fax_runs_longer_than_2560_pixels_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (6000, 4);
    let rb = (w as usize).div_ceil(8);
    let mut rows = vec![0u8; rb * h]; // all black
    rows[rb..2 * rb].fill(0xFF); // a white row
    rows[2 * rb + 400] = 0x0F; // a few white pixels in a black row
    let pages = vec![(PageSpec::new(w, h as u32, PixelType::Bilevel), rows.clone())];
    for c in [Compression::G3, Compression::G4] {
        let path = dir.path().join(format!("{c}.tif"));
        write_doc(&path, &CodecSettings::new(c), 2, &pages);
        let lt = libtiff_pages(&path).unwrap();
        assert!(lt[0].data == rows, "{c}: libtiff pixels differ");
        let cr = crate_pages(&path).unwrap();
        let p = &cr[0];
        let d = fax_decode(
            &p.strips,
            c == Compression::G4,
            p.width,
            p.height,
            p.rows_per_strip,
        )
        .unwrap();
        assert!(d == rows, "{c}: fax crate pixels differ");
    }
}

#[test]
fn jpeg_pages_keep_psnr_above_30_db_at_quality_90() {
    jpeg_pages(
        CodecSettings::new(Compression::Jpeg),
        &[PixelType::Gray8, PixelType::Rgb24],
    );
}

#[test]
fn jpeg_pages_with_subsampled_chroma_keep_psnr_above_30_db() {
    jpeg_pages(
        CodecSettings::new(Compression::Jpeg).jpeg_subsampling(true),
        &[PixelType::Rgb24],
    );
}

/// Below quality 90 RGB pages are 4:2:0 unless 4:4:4 is asked for (issue 27.3).
#[test]
fn jpeg_pages_below_quality_90_are_subsampled_by_default() {
    jpeg_pages(
        CodecSettings::new(Compression::Jpeg).jpeg_quality(75),
        &[PixelType::Rgb24],
    );
    jpeg_pages(
        CodecSettings::new(Compression::Jpeg)
            .jpeg_quality(75)
            .jpeg_chroma(wias::ChromaSampling::Full),
        &[PixelType::Rgb24],
    );
}

/// A 4:2:0 page whose strips would leave one line for the last: libtiff cannot
/// decode such a strip (`tiffinfo -D`: "application buffer not large enough"), so the
/// strips are taller; a one-line page is 4:4:4 (issue 28.6).
#[test]
fn subsampled_jpeg_pages_never_end_in_a_one_line_strip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("420.tif");
    let settings = CodecSettings::new(Compression::Jpeg).jpeg_subsampling(true);
    let mut doc = TiffWriter::create(&path, options(settings).strip_bytes(64 * 3 * 16)).unwrap();
    for lines in [33, 17, 1, 2] {
        let spec = PageSpec::new(64, lines, PixelType::Rgb24);
        doc.write_page(&spec, &smooth(64, lines, PixelType::Rgb24, 1))
            .unwrap();
    }
    doc.finish().unwrap();
    tiffinfo_clean(&path).unwrap();
    let lt = libtiff_pages(&path).unwrap();
    assert_eq!(
        lt.iter().map(|p| p.height).collect::<Vec<_>>(),
        [33, 17, 1, 2]
    );
}

fn jpeg_pages(settings: CodecSettings, pixels: &[PixelType]) {
    let dir = tempfile::tempdir().unwrap();
    for &pixel in pixels {
        for size in SIZES {
            let what = format!("jpeg {pixel} {}x{}", size.0, size.1);
            // Photo-like pages only: JPEG is not for random bits.
            let pages: Vec<_> = (0..3)
                .map(|n| {
                    (
                        PageSpec::new(size.0, size.1, pixel),
                        smooth(size.0, size.1, pixel, n),
                    )
                })
                .collect();
            let one = dir.path().join("one.tif");
            let two = dir.path().join("two.tif");
            let a = write_doc(&one, &settings, 1, &pages);
            let b = write_doc(&two, &settings, 2, &pages);
            assert!(a == b, "{what}: 1 and 2 threads wrote different bytes");
            // `tiffinfo -D`'s raw YCbCr read fails on a 4:2:0 strip of one line (even in
            // files libtiff wrote: tiffcp -c jpeg, "JPEGDecodeRaw: application buffer not
            // large enough"); wias writes none, so every page is held to it.
            tiffinfo_clean(&two).unwrap_or_else(|e| panic!("{what}: {e}"));
            let lt = libtiff_pages(&two).unwrap_or_else(|e| panic!("{what}: {e}"));
            let cr = crate_pages(&two).unwrap_or_else(|e| panic!("{what}: {e}"));
            for (i, (_, rows)) in pages.iter().enumerate() {
                assert_eq!(lt[i].compression, 7, "{what}");
                let want_pm = if pixel == PixelType::Rgb24 { 6 } else { 1 };
                assert_eq!(lt[i].photometric, want_pm, "{what}: Photometric");
                let db = psnr(rows, &lt[i].data);
                assert!(db >= 30.0, "{what} page {i}: libtiff PSNR {db:.1} dB");
                if pixel == PixelType::Rgb24 {
                    assert!(cr[i].tags.contains(&530), "{what}: no YCbCrSubSampling");
                }
                let frame = wias::codec::jpeg_frame(&cr[i].strips[0]).unwrap();
                let want_sub =
                    if settings.jpeg_subsampled() && pixel == PixelType::Rgb24 && size.1 > 1 {
                        (2, 2)
                    } else {
                        (1, 1)
                    };
                assert_eq!(frame.subsampling, want_sub, "{what}: JPEG sampling");
                let second = jpeg_decode(&cr[i].strips).unwrap_or_else(|e| panic!("{what}: {e}"));
                // Strips hold whole MCU rows; the last one may cover rows past the page.
                let second = &second[..rows.len()];
                let db = psnr(rows, second);
                assert!(db >= 30.0, "{what} page {i}: jpeg-decoder PSNR {db:.1} dB");
            }
        }
    }
}

#[test]
fn impossible_combinations_are_errors_naming_both_and_keep_earlier_pages() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (Compression::G4, PixelType::Gray8),
        (Compression::G3, PixelType::Rgb24),
        (Compression::Jpeg, PixelType::Gray16),
        (Compression::Jpeg, PixelType::Bilevel),
        (Compression::Jpeg, PixelType::Rgb48),
    ];
    for (c, pixel) in cases {
        let path = dir.path().join("bad.tif");
        let mut doc = TiffWriter::create(&path, options(CodecSettings::new(c))).unwrap();
        let ok = if c == Compression::Jpeg {
            PageSpec::new(16, 16, PixelType::Gray8)
        } else {
            PageSpec::new(16, 16, PixelType::Bilevel)
        };
        doc.write_page(&ok, &page(16, 16, ok.pixel, 2)).unwrap();
        let spec = PageSpec::new(8, 8, pixel);
        let rows = vec![0u8; spec.image_bytes(1).unwrap() as usize];
        let err = doc.write_page(&spec, &rows).unwrap_err().to_string();
        assert!(
            err.contains(c.name()) && err.contains(pixel.name()),
            "{c} on {pixel}: {err}"
        );
        doc.finish().unwrap();
        assert_eq!(libtiff_pages(&path).unwrap().len(), 1, "{c} on {pixel}");
    }
}

#[test]
fn every_name_parses_and_bad_names_say_which() {
    for name in CodecChoice::NAMES {
        assert_eq!(CodecChoice::from_name(name).unwrap().name(), name);
    }
    for name in Compression::NAMES {
        assert_eq!(Compression::from_name(name).unwrap().name(), name);
    }
    for bad in ["lzma", "auto"] {
        let e = Compression::from_name(bad).unwrap_err().to_string();
        assert!(e.contains(bad) && e.contains("compression"), "{e}");
    }
    let e = CodecChoice::from_name("lzma").unwrap_err().to_string();
    assert!(e.contains("lzma") && e.contains("compression"), "{e}");
    let e = wias::tiff::TiffWriter::new(
        std::io::Cursor::new(Vec::new()),
        options(CodecSettings::new(Compression::Jpeg).jpeg_quality(0)),
    )
    .unwrap()
    .write_page(&PageSpec::new(8, 8, PixelType::Gray8), &[0; 64])
    .unwrap_err()
    .to_string();
    assert!(e.contains("jpeg quality") && e.contains('0'), "{e}");
}

/// StripByteCounts must be the encoded strips' true lengths: read by tifffile (a
/// reader we did not write), every page's strips lie back to back (each count reaches
/// exactly the next strip's offset), the last one ends in the few alignment bytes before
/// the page's IFD, and uncompressed strips hold exactly their rows. A count one byte
/// long or short fails here even where decoders would shrug it off.
#[test]
fn strip_byte_counts_are_the_encoded_strip_lengths() {
    const SCRIPT: &str = "import sys, tifffile\n\
        for f in sys.argv[1:]:\n\
        \x20   with tifffile.TiffFile(f) as t:\n\
        \x20       for p in t.pages:\n\
        \x20           print(p.offset, ' '.join(map(str, p.dataoffsets)), '|', ' '.join(map(str, p.databytecounts)))\n";
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (37, 45);
    let mut written = Vec::new();
    for name in CodecChoice::NAMES {
        let c = CodecChoice::from_name(name).unwrap();
        for pixel in PixelType::ALL {
            if c.check(pixel).is_err() {
                continue;
            }
            let path = dir.path().join(format!("{name}-{pixel}.tif"));
            let opts = Options::default()
                .codec(CodecSettings::new(c))
                .strip_bytes(200);
            let mut doc = TiffWriter::create(&path, opts).unwrap();
            for n in 0..2 {
                doc.write_page(&PageSpec::new(w, h, pixel), &page(w, h, pixel, n))
                    .unwrap();
            }
            doc.finish().unwrap();
            written.push((c, pixel, path));
        }
    }
    let args: Vec<&std::ffi::OsStr> = written.iter().map(|(_, _, p)| p.as_os_str()).collect();
    let out = String::from_utf8(support::python(SCRIPT, &args).unwrap()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2 * written.len(), "{out}");
    for ((c, pixel, _), pages) in written.iter().zip(lines.chunks(2)) {
        let (c, name) = (*c, c.name());
        let row = (w as u64 * u64::from(pixel.depth())).div_ceil(8);
        for line in pages {
            let (head, counts) = line.split_once(" | ").unwrap();
            let mut head = head.split(' ').map(|v| v.parse::<u64>().unwrap());
            let ifd = head.next().unwrap();
            let offs: Vec<u64> = head.collect();
            let counts: Vec<u64> = counts.split(' ').map(|v| v.parse().unwrap()).collect();
            assert_eq!(offs.len(), counts.len(), "{name} {pixel}");
            assert!(offs.len() > 1, "{name} {pixel}: several strips wanted");
            for k in 1..offs.len() {
                assert_eq!(
                    offs[k - 1] + counts[k - 1],
                    offs[k],
                    "{name} {pixel}: strip {} does not end where strip {k} starts",
                    k - 1
                );
            }
            let end = offs.last().unwrap() + counts.last().unwrap();
            assert!(
                end <= ifd && ifd - end < 4,
                "{name} {pixel}: last strip ends at {end}, the IFD is at {ifd}"
            );
            if c == CodecChoice::Fixed(Compression::None) {
                let rps = counts[0] / row;
                assert_eq!(counts[0], rps * row, "{name} {pixel}");
                let last_rows = u64::from(h) - rps * (counts.len() as u64 - 1);
                assert_eq!(*counts.last().unwrap(), last_rows * row, "{name} {pixel}");
            }
        }
    }
}

/// RowsPerStrip of every page, as libtiff's `tiffinfo` reads it.
fn tiffinfo_rows_per_strip(path: &Path) -> Vec<u32> {
    let out = std::process::Command::new("tiffinfo")
        .arg(path)
        .output()
        .expect("run tiffinfo (apt-get install libtiff-tools)");
    assert!(out.status.success(), "tiffinfo {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Rows/Strip: "))
        .map(|v| v.trim().parse().unwrap())
        .collect()
}

/// When the caller sets no strip size, JPEG pages get strips of about 640 KiB (so that
/// the tables each self-contained strip carries cost less than libtiff's JPEGTables
/// and strip headers), gray and colour Deflate pages 512 KiB and the rest 64 KiB; a
/// size the caller sets is used for every codec. Rows per strip as tiffinfo reads them, pixels as
/// libtiff and a second decoder read them.
#[test]
fn strip_size_is_the_codecs_default_unless_set() {
    let dir = tempfile::tempdir().unwrap();
    let w = 2481; // an A4 page's width at 300 dpi: 2481-byte gray rows, 7443-byte RGB rows
    let h = 600;
    // (codec, pixel, strip bytes set or not, rows per strip expected)
    let cases = [
        (Compression::Jpeg, PixelType::Gray8, None, 264), // 640 KiB / 2481, whole MCU rows
        (Compression::Jpeg, PixelType::Rgb24, None, 88),  // 640 KiB / 7443
        (Compression::Deflate, PixelType::Gray8, None, 211), // 512 KiB / 2481
        (Compression::Deflate, PixelType::Rgb24, None, 70), // 512 KiB / 7443
        (Compression::Lzw, PixelType::Gray8, None, 26),   // 64 KiB / 2481
        (Compression::Lzw, PixelType::Rgb24, None, 8),    // 64 KiB / 7443
        (Compression::Deflate, PixelType::Bilevel, None, 210), // 64 KiB / 311, as G4 (auto)
        (Compression::Jpeg, PixelType::Gray8, Some(64 * 1024), 32), // 26 rounded up to 8
        (Compression::Jpeg, PixelType::Rgb24, Some(64 * 1024), 8),
        (
            Compression::Deflate,
            PixelType::Gray8,
            Some(640 * 1024),
            264,
        ),
    ];
    for (c, pixel, set, want_rps) in cases {
        let what = format!("{c} {pixel} strip bytes {set:?}");
        let rows = smooth(w, h, pixel, 5);
        let mut opts = Options::default().codec(CodecSettings::new(c));
        if let Some(n) = set {
            opts = opts.strip_bytes(n);
        }
        let path = dir.path().join("strips.tif");
        let mut doc = TiffWriter::create(&path, opts).unwrap();
        doc.write_page(&PageSpec::new(w, h, pixel), &rows).unwrap();
        doc.finish().unwrap();
        assert_eq!(tiffinfo_rows_per_strip(&path), [want_rps], "{what}");
        let lt = libtiff_pages(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        let cr = crate_pages(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(cr[0].strips.len(), h.div_ceil(want_rps) as usize, "{what}");
        if c == Compression::Jpeg {
            let db = psnr(&rows, &lt[0].data);
            assert!(db >= 30.0, "{what}: libtiff PSNR {db:.1} dB");
            let second = jpeg_decode(&cr[0].strips).unwrap_or_else(|e| panic!("{what}: {e}"));
            let db = psnr(&rows, &second[..rows.len()]);
            assert!(db >= 30.0, "{what}: jpeg-decoder PSNR {db:.1} dB");
        } else {
            assert!(lt[0].data == rows, "{what}: libtiff decodes other pixels");
            assert!(
                crate_rows(&cr[0]) == rows,
                "{what}: tiff crate decodes other pixels"
            );
        }
    }
}

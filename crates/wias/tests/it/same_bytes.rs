//! The bytes every writing path produces, pinned: a restructuring of the page path
//! (issue 20) must leave every file as it was. One document per path, codec and pixel
//! type (fixed DateTime, so two runs give the same bytes), each read by libtiff
//! (`tiffinfo -D` clean, pages as many as written) and its FNV-1a digest compared with
//! `tests/data/same_bytes.txt`.
//!
//! A change that is meant to change what is written regenerates the list:
//! `WIAS_BLESS=1 cargo test -p wias --test it -- same_bytes::` (and says why in its
//! commit message).

use std::io::Cursor;
use std::path::Path;

use wias_testsupport as support;

use wias::context::tymed;
use wias::tiff::Variant;
use wias::tiff::{BigTiff, DateTime, Options, StreamWriter, TiffWriter};
use wias::TransferContext;
use wias::{guids, transfer, CodecChoice, CodecSettings, Compression, PageSpec, PixelType};

const LIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/same_bytes.txt");

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn opts(codec: CodecChoice, threads: usize) -> Options {
    Options::default()
        .codec(CodecSettings::new(codec).threads(threads))
        .date_time(DateTime::Fixed("2026:12:07 12:00:00".into()))
        // Several strips per page, so the strip engine's order shows.
        .strip_bytes(1500)
}

/// Two pages of `pixel`, odd sizes, different content.
fn pages(pixel: PixelType) -> Vec<(PageSpec, Vec<u8>)> {
    [(301u32, 37u32, 1u32), (77, 50, 2)]
        .into_iter()
        .map(|(w, h, seed)| {
            let spec = PageSpec::new(w, h, pixel);
            (spec, support::pattern(w, h, pixel.depth(), seed))
        })
        .collect()
}

const PIXELS: [PixelType; 5] = [
    PixelType::Bilevel,
    PixelType::Gray8,
    PixelType::Gray16,
    PixelType::Rgb24,
    PixelType::Rgb48,
];

/// Every codec name that takes `pixel` pages.
fn codecs(pixel: PixelType) -> Vec<CodecChoice> {
    CodecChoice::NAMES
        .iter()
        .map(|n| CodecChoice::from_name(n).unwrap())
        .filter(|c| match c {
            CodecChoice::Auto => true,
            CodecChoice::Fixed(c) => c.check(pixel).is_ok(),
        })
        .collect()
}

fn page_in_form(spec: &PageSpec, rows: &[u8], black_is_one: bool) -> Vec<u8> {
    if black_is_one && spec.pixel.is_bilevel() {
        rows.iter().map(|b| !b).collect()
    } else {
        rows.to_vec()
    }
}

/// (name, bytes, pages) of every document.
fn documents() -> Vec<(String, Vec<u8>, usize)> {
    let mut docs = Vec::new();
    for pixel in PIXELS {
        for codec in codecs(pixel) {
            let name = match codec {
                CodecChoice::Auto => "auto".to_string(),
                CodecChoice::Fixed(c) => c.name().to_string(),
            };
            for threads in [1, 2] {
                // Rows in memory.
                let mut doc =
                    TiffWriter::new(Cursor::new(Vec::new()), opts(codec, threads)).unwrap();
                for (s, d) in pages(pixel) {
                    doc.write_page(&s, &d).unwrap();
                }
                let bytes = doc.finish().unwrap().into_inner();
                docs.push((format!("rows {pixel} {name} t{threads}"), bytes, 2));
            }
            // Rows from a reader (streamed, copied or read whole, as the route says).
            let mut doc = TiffWriter::new(Cursor::new(Vec::new()), opts(codec, 2)).unwrap();
            for (s, d) in pages(pixel) {
                doc.write_page_from(&s, &mut &d[..]).unwrap();
            }
            docs.push((
                format!("reader {pixel} {name}"),
                doc.finish().unwrap().into_inner(),
                2,
            ));
            if pixel.is_bilevel() {
                let mut doc = TiffWriter::new(Cursor::new(Vec::new()), opts(codec, 2)).unwrap();
                for (s, d) in pages(pixel) {
                    doc.write_bilevel_page_from(&s, &mut &page_in_form(&s, &d, true)[..])
                        .unwrap();
                }
                docs.push((
                    format!("pbm reader {name}"),
                    doc.finish().unwrap().into_inner(),
                    2,
                ));
            }
            // A pipe.
            let mut doc = StreamWriter::new(Vec::new(), opts(codec, 2));
            for (s, d) in pages(pixel) {
                doc.write_page(&s, &d).unwrap();
            }
            docs.push((format!("stream {pixel} {name}"), doc.finish().unwrap(), 2));
        }
    }
    // Device-encoded pages, in a file and in a pipe.
    let g4_spec = PageSpec::new(301, 37, PixelType::Bilevel);
    let g4 = super::passthrough::fax_g4(&support::pattern(301, 37, 1, 5), 301);
    let jpeg_spec = PageSpec::new(64, 40, PixelType::Rgb24);
    let jpeg = super::passthrough::device_jpeg(64, 40, true, jpeg_encoder::SamplingFactor::R_4_2_0);
    let o = opts(CodecChoice::Auto, 2);
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), o.clone()).unwrap();
    doc.write_encoded_page(&g4_spec, Compression::G4, &g4)
        .unwrap();
    doc.write_encoded_page(&jpeg_spec, Compression::Jpeg, &jpeg)
        .unwrap();
    docs.push(("encoded".into(), doc.finish().unwrap().into_inner(), 2));
    let mut doc = StreamWriter::new(Vec::new(), o.clone());
    doc.write_encoded_page(&g4_spec, Compression::G4, &g4)
        .unwrap();
    doc.write_encoded_page(&jpeg_spec, Compression::Jpeg, &jpeg)
        .unwrap();
    docs.push(("stream encoded".into(), doc.finish().unwrap(), 2));

    // Appending: through the tail, and by walking a file without one.
    let lzw = opts(CodecChoice::Fixed(Compression::Lzw), 2);
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), lzw.clone()).unwrap();
    let gray = pages(PixelType::Gray8);
    doc.write_page(&gray[0].0, &gray[0].1).unwrap();
    let first = doc.finish().unwrap().into_inner();
    let mut doc = TiffWriter::append_to(Cursor::new(first.clone()), lzw.clone()).unwrap();
    doc.write_page(&gray[1].0, &gray[1].1).unwrap();
    docs.push(("append tail".into(), doc.finish().unwrap().into_inner(), 2));
    let untailed = first[..first.len() - 32].to_vec();
    let mut doc = TiffWriter::append_to(Cursor::new(untailed), lzw.clone()).unwrap();
    doc.write_page(&gray[1].0, &gray[1].1).unwrap();
    docs.push((
        "append walked".into(),
        doc.finish().unwrap().into_inner(),
        2,
    ));

    // Growing into a BigTIFF, in a document started here and in one reopened.
    let small = lzw.clone().bigtiff(BigTiff::PromoteAt(3000));
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), small.clone()).unwrap();
    for (s, d) in pages(PixelType::Gray8)
        .iter()
        .chain(&pages(PixelType::Rgb24))
    {
        doc.write_page(s, d).unwrap();
    }
    assert_eq!(doc.variant(), Variant::Big);
    docs.push(("promoted".into(), doc.finish().unwrap().into_inner(), 4));
    let mut doc = TiffWriter::append_to(Cursor::new(first), small).unwrap();
    for (s, d) in pages(PixelType::Rgb24) {
        doc.write_page(&s, &d).unwrap();
    }
    assert_eq!(doc.variant(), Variant::Big);
    docs.push((
        "append promoted".into(),
        doc.finish().unwrap().into_inner(),
        3,
    ));

    // The C transfer path.
    let mut ctx = TransferContext::new(77, 50, 8, guids::TIFF, tymed::MULTIPAGE_FILE);
    ctx.image_information().unwrap();
    let mut file = Cursor::new(Vec::new());
    for seed in 0..3 {
        let buf = support::pattern(77, 50, 8, seed);
        transfer::write_page_buf_with(&mut ctx, &mut file, &buf, lzw.clone()).unwrap();
    }
    docs.push(("transfer".into(), file.into_inner(), 3));
    docs
}

#[test]
fn every_writing_path_writes_the_bytes_it_wrote_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut got = String::new();
    for (i, (name, bytes, pages)) in documents().into_iter().enumerate() {
        let path = dir.path().join(format!("{i}.tif"));
        std::fs::write(&path, &bytes).unwrap();
        let read = |p: &Path| -> Result<usize, String> {
            support::tiffinfo_clean(p)?;
            Ok(support::libtiff_page_count(p))
        };
        assert_eq!(read(&path), Ok(pages), "{name}");
        got.push_str(&format!(
            "{name}: {} bytes, {:016x}\n",
            bytes.len(),
            fnv1a(&bytes)
        ));
    }
    if std::env::var_os("WIAS_BLESS").is_some() {
        std::fs::write(LIST, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(LIST).unwrap();
    let differ: Vec<_> = want
        .lines()
        .zip(got.lines())
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("  was {w}\n  now {g}"))
        .collect();
    assert!(
        differ.is_empty() && want.lines().count() == got.lines().count(),
        "written bytes changed:\n{}",
        differ.join("\n")
    );
}

//! What `CodecChoice::Auto` writes for bilevel pages: never more than the raw bits,
//! and the smaller of G4 and Deflate. Pages made by netpbm (a 50% dither, a text page
//! from `pbmtext`) and by a seeded generator (noise, which no codec shrinks); every
//! file is decoded by libtiff pixel for pixel, and sizes are compared with the same
//! page written in G4, Deflate and uncompressed.

use wias_testsupport as support;

use std::path::Path;
use std::process::Command;

use support::{clear_row_padding, libtiff_pages, pattern, tiffinfo_clean};
use wias::tiff::{Options, TiffWriter};
use wias::{CodecChoice, CodecSettings, Compression, PageSpec, PixelType};

/// A PBM from a netpbm command line, in page-buffer form (0 = black).
fn netpbm(cmd: &str) -> (PageSpec, Vec<u8>) {
    let o = Command::new("sh").args(["-c", cmd]).output().expect("sh");
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut s = wias::pnm::PnmStream::new(&o.stdout[..]);
    let img = s.next_image().unwrap().unwrap();
    (img.spec, img.rows)
}

/// Writes the page in `c` and returns (file size, compression libtiff reads).
fn write(
    dir: &Path,
    name: &str,
    spec: &PageSpec,
    rows: &[u8],
    c: impl Into<CodecChoice>,
) -> (u64, u16) {
    let c: CodecChoice = c.into();
    let path = dir.join(format!("{name}-{}.tif", c.name()));
    let mut doc =
        TiffWriter::create(&path, Options::default().codec(CodecSettings::new(c))).unwrap();
    doc.write_page(spec, rows).unwrap();
    doc.finish().unwrap();
    tiffinfo_clean(&path).unwrap();
    let pages = libtiff_pages(&path).unwrap();
    let mut want = rows.to_vec();
    let rb = spec.row_bytes(1).unwrap() as usize;
    clear_row_padding(&mut want, spec.width as usize, rb);
    assert!(
        pages[0].data == want,
        "{name} in {}: pixels differ",
        c.name()
    );
    (
        std::fs::metadata(&path).unwrap().len(),
        pages[0].compression,
    )
}

#[test]
fn auto_writes_the_smaller_of_g4_and_deflate_and_never_more_than_raw_bits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let noise = {
        let spec = PageSpec::new(1700, 800, PixelType::Bilevel);
        (spec, pattern(1700, 800, 1, 11))
    };
    let pages = [
        ("dither", netpbm("pbmmake -gray 1700 2200")),
        (
            "text",
            netpbm("pbmtext -nomargins 'Auto picks the smaller codec, 0123456789' | pnmenlarge 3 | pnmpad -width 1700 -height 600"),
        ),
        ("noise", noise),
    ];
    for (name, (spec, rows)) in &pages {
        let (none, _) = write(d, name, spec, rows, Compression::None);
        let (g4, _) = write(d, name, spec, rows, Compression::G4);
        let (deflate, _) = write(d, name, spec, rows, Compression::Deflate);
        let (auto, code) = write(d, name, spec, rows, CodecChoice::Auto);
        let best = g4.min(deflate).min(none);
        assert_eq!(
            auto, best,
            "{name}: auto {auto}, none {none}, g4 {g4}, deflate {deflate}"
        );
        let want_code = if best == none {
            1
        } else if best == g4 {
            4
        } else {
            8
        };
        assert_eq!(code, want_code, "{name}");
    }
    // The cases that made the issue: a dither is far smaller in Deflate than in G4,
    // which is bigger than the raw bits; noise is stored uncompressed.
    let (spec, rows) = &pages[0].1;
    assert_eq!(write(d, "dither", spec, rows, CodecChoice::Auto).1, 8);
    let (spec, rows) = &pages[2].1;
    assert_eq!(write(d, "noise", spec, rows, CodecChoice::Auto).1, 1);
}

/// The choice is made per page: a document of a text page and a dither holds one G4
/// and one Deflate page when that is what each needs, each decoded exactly.
#[test]
fn auto_chooses_per_page() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.tif");
    let (dither, drows) = netpbm("pbmmake -gray 1728 1000");
    // Shapes whose edges wander a pixel left or right from row to row (a seeded random
    // walk), as the edges of scanned strokes do: G4 codes each edge in a few bits
    // (vertical mode), Deflate finds no repeated bytes to refer to.
    let bars = PageSpec::new(1728, 1000, PixelType::Bilevel);
    let mut edges: Vec<i64> = (0..40).map(|i| 20 + i * 42).collect();
    let mut seed = 0x2545_f491_u64;
    let mut brows = Vec::with_capacity(216 * 1000);
    for _ in 0..1000 {
        for e in edges.iter_mut() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *e += i64::from((seed >> 33) % 3 == 0) - i64::from((seed >> 33) % 3 == 1);
        }
        for byte in 0..216i64 {
            brows.push((0..8).fold(0u8, |acc, bit| {
                let x = byte * 8 + bit;
                // Black between edge 2k and 2k+1; each row in page-buffer form, 1 = white.
                let inside = edges.iter().filter(|&&e| e <= x).count() % 2 == 1;
                acc | (u8::from(!inside) << (7 - bit))
            }));
        }
    }
    let mut doc =
        TiffWriter::create(&path, Options::default().codec(CodecSettings::auto())).unwrap();
    doc.write_page(&bars, &brows).unwrap();
    doc.write_page(&dither, &drows).unwrap();
    doc.finish().unwrap();
    let pages = libtiff_pages(&path).unwrap();
    assert_eq!(
        pages.iter().map(|p| p.compression).collect::<Vec<_>>(),
        [4, 8]
    );
    assert!(pages[0].data == brows && pages[1].data == drows);
}

//! Continuous-tone pages written strip by strip as they are encoded (the seekable
//! writer's streamed path): many strips on two threads, in every lossless codec, each
//! page read back by libtiff pixel for pixel; an `auto` page that no codec shrinks is
//! stored uncompressed over the strips it first wrote, and the chain stays sound.

use wias_testsupport as support;

use support::{libtiff_pages, pattern, tiffinfo_clean};
use wias::tiff::{Options, TiffWriter};
use wias::{CodecSettings, Compression, PageSpec, PixelType};

/// Seeded noise, which no codec shrinks.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn streamed_pages_read_back_pixel_for_pixel() {
    let dir = tempfile::tempdir().unwrap();
    let pages: Vec<(PageSpec, Vec<u8>)> = [
        PageSpec::new(301, 97, PixelType::Gray8),
        PageSpec::new(123, 45, PixelType::Rgb24),
        PageSpec::new(77, 31, PixelType::Gray16),
        PageSpec::new(50, 20, PixelType::Rgb48),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, s)| {
        let d = pattern(s.width, s.lines, s.pixel.depth(), 7 + i as u32);
        (s, d)
    })
    .collect();
    for c in [
        Compression::Lzw,
        Compression::Deflate,
        Compression::PackBits,
    ] {
        let path = dir.path().join(format!("{}.tif", c.name()));
        // Strips of a few rows: dozens per page, encoded on two threads.
        let opts = Options::default()
            .strip_bytes(1024)
            .codec(CodecSettings::new(c).threads(2));
        let mut doc = TiffWriter::create(&path, opts).unwrap();
        for (s, d) in &pages {
            doc.write_page(s, d).unwrap();
        }
        doc.finish().unwrap();
        tiffinfo_clean(&path).unwrap();
        let got = libtiff_pages(&path).unwrap();
        assert_eq!(got.len(), pages.len(), "{}", c.name());
        for (i, (g, (s, d))) in got.iter().zip(&pages).enumerate() {
            assert_eq!(
                (g.width, g.height),
                (s.width, s.lines),
                "{} page {i}",
                c.name()
            );
            assert_eq!(g.compression, c.tiff_code(), "{} page {i}", c.name());
            assert!(&g.data == d, "{} page {i}: pixels differ", c.name());
        }
    }
}

#[test]
fn an_auto_page_no_codec_shrinks_is_stored_as_it_is_between_sound_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auto.tif");
    let spec = PageSpec::new(400, 300, PixelType::Gray8);
    let smooth: Vec<u8> = (0..400 * 300).map(|i| ((i % 400) / 2) as u8).collect();
    let rough = noise(400 * 300, 99);
    let opts = Options::default()
        .strip_bytes(4096)
        .codec(CodecSettings::new(Compression::Auto).threads(2));
    let mut doc = TiffWriter::create(&path, opts).unwrap();
    for d in [&smooth, &rough, &smooth] {
        doc.write_page(&spec, d).unwrap();
    }
    doc.finish().unwrap();
    tiffinfo_clean(&path).unwrap();
    let got = libtiff_pages(&path).unwrap();
    assert_eq!(got.len(), 3);
    // Deflate for the smooth pages; the noise page uncompressed (1), not larger.
    let codes: Vec<u16> = got.iter().map(|p| p.compression).collect();
    assert_eq!(codes, [8, 1, 8]);
    for (g, d) in got.iter().zip([&smooth, &rough, &smooth]) {
        assert!(&g.data == d, "pixels differ");
    }
}

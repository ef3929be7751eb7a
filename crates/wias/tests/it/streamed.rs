//! Continuous-tone pages written strip by strip as they are encoded (the seekable
//! writer's streamed path): many strips on two threads, in every lossless codec, each
//! page read back by libtiff pixel for pixel; an `auto` page that no codec shrinks is
//! stored uncompressed over the strips it first wrote, and the chain stays sound.

use wias_testsupport as support;

use support::{libtiff_pages, pattern, tiffinfo_clean};
use wias::tiff::{Options, TiffWriter};
use wias::{CodecChoice, CodecSettings, Compression, PageSpec, PixelType};

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
        .codec(CodecSettings::new(CodecChoice::Auto).threads(2));
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

/// Pages written with `write_page_from` from files (the rows of a page, as a PNM
/// raster would hold them): uncompressed 8-bit pages copied file to file, LZW pages
/// read a strip at a time, bilevel and `auto` pages read whole; between them pages
/// whose input ends early, which fail alone. libtiff reads every page that succeeded,
/// pixel for pixel, and nothing else.
#[test]
fn pages_read_from_files_and_pages_cut_short() {
    use std::fs::File;
    use std::io::{BufReader, Seek, SeekFrom};
    let dir = tempfile::tempdir().unwrap();
    let pages: Vec<(PageSpec, Vec<u8>)> = [
        PageSpec::new(301, 97, PixelType::Gray8),
        PageSpec::new(123, 45, PixelType::Rgb24),
        PageSpec::new(77, 31, PixelType::Gray16),
        PageSpec::new(203, 40, PixelType::Bilevel),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, s)| (s, pattern(s.width, s.lines, s.pixel.depth(), 30 + i as u32)))
    .collect();
    let input = dir.path().join("rows.bin");
    let all: Vec<u8> = pages.iter().flat_map(|(_, d)| d.clone()).collect();
    std::fs::write(&input, &all).unwrap();
    for c in [
        CodecChoice::Fixed(Compression::None),
        CodecChoice::Fixed(Compression::Lzw),
        CodecChoice::Auto,
    ] {
        let path = dir.path().join(format!("from-{}.tif", c.name()));
        let opts = Options::default()
            .strip_bytes(2048)
            .codec(CodecSettings::new(c).threads(2));
        let mut doc = TiffWriter::create(&path, opts).unwrap();
        let mut offset = 0u64;
        let mut want = Vec::new();
        for (s, d) in &pages {
            // The page from the file, then the same page from a copy cut short
            // (a third of it): that one fails, the document goes on.
            let mut r = BufReader::new(File::open(&input).unwrap());
            r.seek(SeekFrom::Start(offset)).unwrap();
            doc.write_page_from(s, &mut r).unwrap();
            want.push((s, d));
            let short = dir.path().join("short.bin");
            std::fs::write(&short, &d[..d.len() / 3]).unwrap();
            let mut r = BufReader::new(File::open(&short).unwrap());
            let e = doc.write_page_from(s, &mut r).unwrap_err();
            assert!(
                matches!(e, wias::Error::WrongDataLength { .. }),
                "{} {}: {e}",
                c.name(),
                s.pixel
            );
            assert_eq!(doc.pages() as usize, want.len());
            offset += d.len() as u64;
        }
        doc.finish().unwrap();
        tiffinfo_clean(&path).unwrap();
        let got = libtiff_pages(&path).unwrap();
        assert_eq!(got.len(), want.len(), "{}", c.name());
        for (i, (g, (s, d))) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                (g.width, g.height),
                (s.width, s.lines),
                "{} page {i}",
                c.name()
            );
            if c == CodecChoice::Fixed(Compression::None) {
                assert_eq!(g.compression, 1, "page {i}");
            }
            if c == CodecChoice::Fixed(Compression::Lzw) {
                assert_eq!(g.compression, 5, "page {i}");
            }
            assert!(&g.data == *d, "{} page {i}: pixels differ", c.name());
        }
    }
}

/// A reader that fails part way through a page fails that page only.
#[test]
fn a_failing_reader_fails_its_page_only() {
    struct Failing<'a>(&'a [u8]);
    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("the scanner went away"));
            }
            let n = buf.len().min(self.0.len()).min(1000);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = PageSpec::new(200, 150, PixelType::Rgb24);
    let d = pattern(200, 150, 24, 5);
    for c in [Compression::None, Compression::Deflate] {
        let path = dir.path().join(format!("fail-{}.tif", c.name()));
        let opts = Options::default()
            .strip_bytes(4096)
            .codec(CodecSettings::new(c).threads(2));
        let mut doc = TiffWriter::create(&path, opts).unwrap();
        doc.write_page_from(&spec, &mut &d[..]).unwrap();
        let e = doc
            .write_page_from(&spec, &mut Failing(&d[..d.len() / 2]))
            .unwrap_err();
        assert!(e.to_string().contains("went away"), "{e}");
        doc.write_page_from(&spec, &mut &d[..]).unwrap();
        doc.finish().unwrap();
        tiffinfo_clean(&path).unwrap();
        let got = libtiff_pages(&path).unwrap();
        assert_eq!(got.len(), 2, "{}", c.name());
        assert!(got.iter().all(|g| g.data == d), "{}", c.name());
    }
}

/// Bilevel pages from readers in both conventions: `write_page_from` (page-buffer
/// form, 0 = black) and `write_bilevel_page_from` (1 = black, as a PBM raster, with
/// garbage padding bits), in every fixed codec and under `auto` (read whole), many
/// strips on two threads, later pages too: libtiff reads the same pixels for both.
#[test]
fn bilevel_pages_from_readers_in_both_conventions() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (1001u32, 300u32);
    let rb = (w as usize).div_ceil(8);
    let spec = PageSpec::new(w, h, PixelType::Bilevel);
    // Page-buffer form, padding cleared (how libtiff_pages gives it back).
    let mut page = noise(rb * h as usize, 3);
    page.iter_mut().enumerate().for_each(|(i, b)| {
        if (i / rb / 20) % 2 == 0 {
            *b = 0xFF; // white bands: runs for PackBits
        }
    });
    support::clear_row_padding(&mut page, w as usize, rb);
    // The same rows 1 = black, every padding bit set.
    let mut pbm: Vec<u8> = page.iter().map(|b| !b).collect();
    for row in pbm.chunks_mut(rb) {
        row[rb - 1] |= 0xFF >> (w % 8);
    }
    let codecs = [
        CodecChoice::Fixed(Compression::None),
        CodecChoice::Fixed(Compression::PackBits),
        CodecChoice::Fixed(Compression::Lzw),
        CodecChoice::Fixed(Compression::Deflate),
        CodecChoice::Fixed(Compression::G3),
        CodecChoice::Fixed(Compression::G4),
        CodecChoice::Auto,
    ];
    for c in codecs {
        let path = dir.path().join("bw.tif");
        let opts = Options::default()
            .strip_bytes(4096)
            .codec(CodecSettings::new(c).threads(2));
        let mut doc = TiffWriter::create(&path, opts).unwrap();
        doc.write_bilevel_page_from(&spec, &mut &pbm[..]).unwrap();
        doc.write_page_from(&spec, &mut &page[..]).unwrap();
        doc.write_bilevel_page_from(&spec, &mut &pbm[..]).unwrap();
        let e = doc
            .write_bilevel_page_from(&spec, &mut &pbm[..pbm.len() - 1])
            .unwrap_err();
        assert!(e.to_string().contains("truncated"), "{c:?}: {e}");
        doc.finish().unwrap();
        tiffinfo_clean(&path).unwrap();
        let got = libtiff_pages(&path).unwrap();
        assert_eq!(got.len(), 3, "{c:?}");
        for (i, g) in got.iter().enumerate() {
            assert!(g.data == page, "{c:?}: page {} differs", i + 1);
        }
    }
}

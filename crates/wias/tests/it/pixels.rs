//! Every pixel type at awkward sizes, three pages per document, written by `TiffWriter`
//! and read back pixel for pixel by readers that share no code with us: libtiff (our
//! file, and a `tiffcp -c none` rewrite of it), the image-rs `tiff` crate, and for a
//! subset tifffile. Tags are checked against `docs/driver-rules.md`, "TIFF pages".
use wias_testsupport as support;

use std::path::Path;
use std::process::Command;

use support::Page;
use wias::tiff::{Options, TiffWriter};
use wias::{PageSpec, PixelType};

const GEOMETRIES: [(u32, u32); 5] = [(1, 1), (7, 3), (9, 17), (1728, 40), (2481, 91)];
const PAGES: u32 = 3;

/// Photometric values a reader must see: 1-bit pages are WhiteIsZero
/// (`docs/driver-rules.md`, "TIFF pages"; the fax convention), gray BlackIsZero, colour
/// RGB.
fn photometric(p: PixelType) -> u16 {
    match p {
        PixelType::Bilevel => 0,
        PixelType::Gray8 | PixelType::Gray16 => 1,
        PixelType::Rgb24 | PixelType::Rgb48 => 2,
    }
}

fn bits_samples(p: PixelType) -> (u16, u16) {
    match p {
        PixelType::Bilevel => (1, 1),
        PixelType::Gray8 => (8, 1),
        PixelType::Gray16 => (16, 1),
        PixelType::Rgb24 => (8, 3),
        PixelType::Rgb48 => (16, 3),
    }
}

/// Writes `pages` to `path`, one `write_page` per entry; returns the buffers written.
fn write_doc(path: &Path, pages: &[PageSpec], seed: u32) -> Vec<Vec<u8>> {
    let mut doc = TiffWriter::create(path, Options::default()).unwrap();
    let mut written = Vec::new();
    for (i, spec) in pages.iter().enumerate() {
        let data = support::pattern(spec.width, spec.lines, spec.pixel.depth(), seed + i as u32);
        doc.write_page(spec, &data).unwrap();
        written.push(data);
    }
    assert_eq!(doc.pages() as usize, pages.len());
    doc.finish().unwrap();
    written
}

fn assert_pages(reader: &str, got: &[Page], specs: &[PageSpec], want: &[Vec<u8>]) {
    assert_eq!(got.len(), want.len(), "{reader}: page count");
    for (i, ((page, spec), data)) in got.iter().zip(specs).zip(want).enumerate() {
        let what = format!(
            "{reader}: page {i} ({}x{} {})",
            spec.width, spec.lines, spec.pixel
        );
        let (bits, samples) = bits_samples(spec.pixel);
        assert_eq!(
            (page.width, page.height),
            (spec.width, spec.lines),
            "{what}"
        );
        assert_eq!(page.bits_per_sample, bits, "{what}");
        assert_eq!(page.samples_per_pixel, samples, "{what}");
        assert_eq!(page.photometric, photometric(spec.pixel), "{what}");
        assert_eq!(page.compression, 1, "{what}");
        assert_eq!(page.data.len(), data.len(), "{what}: decoded length");
        if let Some(k) = page.data.iter().zip(data).position(|(a, b)| a != b) {
            panic!(
                "{what}: first difference at byte {k}: read {:#04x}, wrote {:#04x}",
                page.data[k], data[k]
            );
        }
    }
}

fn assert_tags(path: &Path, specs: &[PageSpec]) {
    let tags = support::tiff_crate_tags(path).unwrap();
    assert_eq!(tags.len(), specs.len());
    for (i, (t, spec)) in tags.iter().zip(specs).enumerate() {
        let what = format!("page {i} of {}", path.display());
        let (bits, samples) = bits_samples(spec.pixel);
        assert_eq!(
            t.new_subfile_type, 2,
            "{what}: NewSubfileType (page of a document)"
        );
        assert_eq!((t.width, t.length), (spec.width, spec.lines), "{what}");
        assert_eq!(t.bits_per_sample, vec![bits; samples as usize], "{what}");
        assert_eq!(t.samples_per_pixel, samples, "{what}");
        assert_eq!(t.photometric, photometric(spec.pixel), "{what}");
        assert_eq!(t.planar_configuration, 1, "{what}");
        assert_eq!(t.x_resolution, vec![spec.xdpi, 1], "{what}: XResolution");
        assert_eq!(t.y_resolution, vec![spec.ydpi, 1], "{what}: YResolution");
        assert_eq!(t.resolution_unit, 2, "{what}: ResolutionUnit (inch)");
        assert_eq!(t.page_number.len(), 2, "{what}: PageNumber count");
        assert_eq!(t.page_number[0] as usize, i, "{what}: PageNumber");
        assert!(
            t.page_number[1] == 0 || t.page_number[1] as usize == specs.len(),
            "{what}: PageNumber total {} is neither 0 (unknown) nor {}",
            t.page_number[1],
            specs.len()
        );
    }
}

/// tiffcp's uncompressed rewrite of `src`: libtiff re-reads every strip and tag and
/// writes a file of its own.
fn tiffcp(src: &Path, dst: &Path) {
    let out = Command::new("tiffcp")
        .args(["-c", "none"])
        .arg(src)
        .arg(dst)
        .output()
        .expect("tiffcp is needed (apt-get install libtiff-tools)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "tiffcp {}: {}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_pixel_type(pixel: PixelType) {
    let dir = tempfile::tempdir().unwrap();
    for (g, &(w, h)) in GEOMETRIES.iter().enumerate() {
        let path = dir.path().join(format!("{pixel}-{w}x{h}.tif"));
        let specs = vec![PageSpec::new(w, h, pixel); PAGES as usize];
        let written = write_doc(&path, &specs, 100 * g as u32);
        support::tiffinfo_clean(&path).unwrap();
        let ours = support::libtiff_pages(&path).unwrap();
        assert_pages("libtiff", &ours, &specs, &written);
        let copy = dir.path().join(format!("{pixel}-{w}x{h}-tiffcp.tif"));
        tiffcp(&path, &copy);
        let theirs = support::libtiff_pages(&copy).unwrap();
        assert_pages("libtiff after tiffcp", &theirs, &specs, &written);
        let crate_pages = support::tiff_crate_pages(&path).unwrap();
        assert_pages("tiff crate", &crate_pages, &specs, &written);
        assert_tags(&path, &specs);
    }
}

#[test]
fn bilevel_pages_read_back_exactly() {
    check_pixel_type(PixelType::Bilevel);
}

#[test]
fn gray8_pages_read_back_exactly() {
    check_pixel_type(PixelType::Gray8);
}

#[test]
fn gray16_pages_read_back_exactly() {
    check_pixel_type(PixelType::Gray16);
}

#[test]
fn rgb24_pages_read_back_exactly() {
    check_pixel_type(PixelType::Rgb24);
}

#[test]
fn rgb48_pages_read_back_exactly() {
    check_pixel_type(PixelType::Rgb48);
}

/// A document whose pages change size and type from page to page, read by tifffile (no
/// libtiff inside) as a third reader.
#[test]
fn mixed_document_reads_back_through_tifffile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.tif");
    let mut specs = Vec::new();
    for (i, p) in PixelType::ALL.iter().enumerate() {
        let (w, h) = GEOMETRIES[(i + 2) % GEOMETRIES.len()];
        specs.push(PageSpec::new(w, h, *p));
        specs.push(PageSpec::new(2481, 91, *p));
    }
    let written = write_doc(&path, &specs, 7);
    support::tiffinfo_clean(&path).unwrap();
    let pages = support::tifffile_pages(&path).unwrap();
    assert_pages("tifffile", &pages, &specs, &written);
    assert_pages(
        "libtiff",
        &support::libtiff_pages(&path).unwrap(),
        &specs,
        &written,
    );
    assert_tags(&path, &specs);
}

/// Resolution is stored per page as given, in both directions.
#[test]
fn resolution_is_stored_per_page() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dpi.tif");
    let specs = [
        PageSpec::new(9, 17, PixelType::Bilevel).dpi(200, 100),
        PageSpec::new(9, 17, PixelType::Gray8).dpi(600, 600),
        PageSpec::new(9, 17, PixelType::Rgb24).dpi(75, 1200),
    ];
    let written = write_doc(&path, &specs, 3);
    support::tiffinfo_clean(&path).unwrap();
    assert_tags(&path, &specs);
    assert_pages(
        "tiff crate",
        &support::tiff_crate_pages(&path).unwrap(),
        &specs,
        &written,
    );
}

/// The streaming writer (no seeking: pipes, `-o -`) gives a file libtiff reads cleanly
/// and decodes pixel for pixel, for every pixel type, uncompressed and compressed.
#[test]
fn stream_writer_pages_read_back_in_libtiff() {
    /// A sink that can only be written, so a seek cannot sneak in.
    struct Pipe(Vec<u8>);
    impl std::io::Write for Pipe {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for c in [wias::Compression::None.into(), wias::CodecChoice::Auto] {
        let opts = wias::tiff::Options::default()
            .codec(wias::CodecSettings::new(c))
            .strip_bytes(300);
        let mut doc = wias::tiff::StreamWriter::new(Pipe(Vec::new()), opts);
        let mut want = Vec::new();
        for (i, pixel) in wias::PixelType::ALL.into_iter().enumerate() {
            let (w, h) = (29 + i as u32, 17 + 2 * i as u32);
            let rows = support::pattern(w, h, pixel.depth(), 60 + i as u32);
            doc.write_page(&wias::PageSpec::new(w, h, pixel), &rows)
                .unwrap();
            want.push((w, h, rows));
        }
        let path = dir.path().join(format!("stream-{c}.tif"));
        std::fs::write(&path, doc.finish().unwrap().0).unwrap();
        support::tiffinfo_clean(&path).unwrap();
        let got = support::libtiff_pages(&path).unwrap();
        assert_eq!(got.len(), want.len(), "{c}");
        for (g, (w, h, rows)) in got.iter().zip(&want) {
            assert_eq!((g.width, g.height), (*w, *h), "{c}");
            assert!(&g.data == rows, "{c}: a {w}x{h} page's pixels differ");
        }
    }
}

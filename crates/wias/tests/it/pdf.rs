//! PDF output as readers nobody here wrote see it: qpdf (`--check`, decoded streams),
//! poppler (`pdfinfo`, `pdfimages`), MuPDF (`mutool`) and pikepdf.
//!
//! - every pixel type, with every compression PDF takes, comes back pixel for pixel,
//!   with the filter, size, bits and page size the page asked for;
//! - JPEG data (baseline and progressive, from a device or a camera) come out byte for
//!   byte;
//! - appending adds pages at the cost of one page (bytes measured), to a wias PDF and
//!   to one from img2pdf; a damaged PDF, or one we cannot append to safely, is refused
//!   and left untouched;
//! - `kill -9` at random moments of a 100-page document leaves a file qpdf calls clean
//!   with every acknowledged page, pixel for pixel.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wias::pdf::{Options, PdfFile, PdfWriter};
use wias::{CodecChoice, CodecSettings, Compression, PageSpec, PixelType};
use wias_testsupport as support;
use wias_testsupport::pdf_readers::*;

/// Page `i`: every pixel type in turn, odd sizes, varied resolutions.
pub(crate) fn page(i: u32) -> (PageSpec, Vec<u8>) {
    let pixel = PixelType::ALL[i as usize % PixelType::ALL.len()];
    let (w, h) = (33 + i % 19, 17 + i % 13);
    let dpi = [72, 150, 300, 200][i as usize % 4];
    (
        PageSpec::new(w, h, pixel).dpi(dpi, dpi + 100 * (i % 2)),
        support::pattern(w, h, pixel.depth(), i),
    )
}

fn options(c: impl Into<CodecChoice>) -> Options {
    Options::default().codec(CodecSettings::new(c))
}

/// The filter `pdfimages -list` must show for a page of `pixel` written with `c`.
/// The filters pdfimages may name for a page of `pixel` written with `c`: `auto` on a
/// bilevel page takes the smaller of G4 and Flate (or none), as for TIFF.
fn expected_enc(c: CodecChoice, pixel: PixelType) -> &'static [&'static str] {
    if c == CodecChoice::Auto && pixel.is_bilevel() {
        return &["ccitt", "image"];
    }
    match c.resolve(pixel) {
        Compression::G4 => &["ccitt"],
        Compression::Jpeg => &["jpeg"],
        _ => &["image"],
    }
}

/// Checks `path` holds exactly `pages` (spec, rows, compression) with every reader.
pub(crate) fn check_pdf(path: &Path, pages: &[(PageSpec, Vec<u8>, CodecChoice)], what: &str) {
    qpdf_check(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    let sizes = pdfinfo_pages(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(sizes.len(), pages.len(), "{what}: pdfinfo page count");
    assert_eq!(mutool_pages(path).unwrap(), pages.len(), "{what}: mutool");
    for ((spec, _, _), (w, h)) in pages.iter().zip(&sizes) {
        let want = (
            f64::from(spec.width) / f64::from(spec.xdpi) * 72.0,
            f64::from(spec.lines) / f64::from(spec.ydpi) * 72.0,
        );
        assert!(
            (w - want.0).abs() < 0.01 && (h - want.1).abs() < 0.01,
            "{what}: page size {w}x{h}, want {want:?}"
        );
    }
    let list = pdfimages_list(path).unwrap();
    assert_eq!(list.len(), pages.len(), "{what}: one image per page");
    for (k, ((spec, _, c), row)) in pages.iter().zip(&list).enumerate() {
        assert_eq!(row.page, k + 1);
        assert_eq!((row.width, row.height), (spec.width, spec.lines), "{what}");
        assert_eq!(
            row.bpc,
            spec.pixel.bits_per_sample(),
            "{what}: page {}",
            k + 1
        );
        assert_eq!(row.comp, spec.pixel.samples_per_pixel(), "{what}");
        assert!(
            expected_enc(*c, spec.pixel).contains(&row.enc.as_str()),
            "{what}: page {}: {}",
            k + 1,
            row.enc
        );
    }
    let pixels = pdfimages_pixels(path).unwrap();
    let objects = image_objects(path).unwrap();
    for (k, (spec, rows, c)) in pages.iter().enumerate() {
        if c.resolve(spec.pixel) == Compression::Jpeg {
            continue; // lossy: checked byte for byte elsewhere
        }
        if spec.pixel.bits_per_sample() == 16 {
            // poppler hands out 16-bit images reduced to 8 bits: qpdf and MuPDF decode
            // the samples.
            let q = swap16(qpdf_samples(path, objects[k]).unwrap());
            assert!(&q == rows, "{what}: qpdf: page {} differs", k + 1);
            let m = swap16(mutool_samples(path, objects[k]).unwrap());
            assert!(&m == rows, "{what}: mutool: page {} differs", k + 1);
        } else {
            assert!(
                &pixels[k].data == rows,
                "{what}: poppler: page {} ({}) differs",
                k + 1,
                spec.pixel
            );
        }
    }
}

#[test]
fn every_pixel_type_comes_back_pixel_for_pixel() {
    let dir = tempfile::tempdir().unwrap();
    for c in [
        CodecChoice::Auto,
        Compression::Deflate.into(),
        Compression::None.into(),
    ] {
        for predictor in [true, false] {
            let path = dir.path().join(format!("{c}-{predictor}.pdf"));
            let opts = Options::default().codec(CodecSettings::new(c).predictor(predictor));
            let mut doc = PdfFile::create(&path, opts).unwrap();
            let mut pages = Vec::new();
            for i in 0..10 {
                let (spec, rows) = page(i);
                doc.write_page(&spec, &rows).unwrap();
                pages.push((spec, rows, c));
            }
            doc.finish().unwrap();
            check_pdf(&path, &pages, &format!("{c} predictor {predictor}"));
            assert_eq!(pikepdf_pages(&path).unwrap(), 10);
        }
    }
}

#[test]
fn a_pdf_streams_to_any_write_and_is_complete_after_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = PdfWriter::new(Vec::new(), options(CodecChoice::Auto));
    let mut pages = Vec::new();
    let mut lengths = Vec::new();
    for i in 0..6 {
        let (spec, rows) = page(i);
        doc.write_page(&spec, &rows).unwrap();
        pages.push((spec, rows, CodecChoice::Auto));
        lengths.push(doc.pages());
    }
    let bytes = doc.finish().unwrap();
    // Every prefix that ends a page's update is itself a complete PDF of those pages.
    let ends: Vec<usize> = bytes
        .windows(6)
        .enumerate()
        .filter(|(_, w)| w == b"%%EOF\n")
        .map(|(i, _)| i + 6)
        .collect();
    assert_eq!(ends.len(), 6);
    for (k, end) in ends.iter().enumerate() {
        let path = dir.path().join(format!("prefix{k}.pdf"));
        std::fs::write(&path, &bytes[..*end]).unwrap();
        check_pdf(&path, &pages[..=k], &format!("prefix of {} pages", k + 1));
    }
}

#[test]
fn bilevel_pages_as_g4_and_gray_and_rgb_as_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("codecs.pdf");
    let mut doc = PdfFile::create(&path, options(Compression::G4)).unwrap();
    let (spec, rows) = page(0);
    doc.write_page(&spec, &rows).unwrap();
    let e = doc
        .write_page(&page(1).0, &page(1).1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("g4") && e.contains("gray8"), "{e}");
    doc.finish().unwrap();
    check_pdf(&path, &[(spec, rows, Compression::G4.into())], "g4");

    jpeg_encoded_pages(dir.path());
    // PackBits, LZW and G3 have no PDF filter that holds them as they are.
    for c in [Compression::PackBits, Compression::Lzw, Compression::G3] {
        let mut doc = PdfWriter::new(Vec::new(), options(c));
        let e = doc.write_page(&page(0).0, &page(0).1).unwrap_err();
        assert!(e.to_string().contains("cannot be written to PDF"), "{e}");
    }
}

/// Gray and RGB pages through libjpeg-turbo, as DCT images close to the input.
#[cfg(feature = "jpeg")]
fn jpeg_encoded_pages(dir: &Path) {
    let path = dir.join("jpeg.pdf");
    let mut doc = PdfFile::create(&path, options(Compression::Jpeg)).unwrap();
    let mut pages = Vec::new();
    for i in [1, 3, 6, 8] {
        let (spec, rows) = page(i);
        doc.write_page(&spec, &rows).unwrap();
        pages.push((spec, rows, Compression::Jpeg.into()));
    }
    let e = doc.write_page(&page(2).0, &page(2).1).unwrap_err();
    assert!(e.to_string().contains("gray16"), "{e}");
    doc.finish().unwrap();
    check_pdf(&path, &pages, "jpeg");
    // Lossy, but close: poppler's decoding of each page is near the input.
    let pixels = pdfimages_pixels(&path).unwrap();
    for ((_, rows, _), got) in pages.iter().zip(&pixels) {
        let diff: f64 = rows
            .iter()
            .zip(&got.data)
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
            .sum::<f64>()
            / rows.len() as f64;
        assert!(diff < 40.0, "mean error {diff}");
    }
}

/// Without libjpeg-turbo, a JPEG-compressed PDF page is refused with a message saying
/// why, and nothing of it is written (JPEG data passed through still work:
/// `jpeg_data_are_embedded_byte_for_byte`).
#[cfg(not(feature = "jpeg"))]
fn jpeg_encoded_pages(dir: &Path) {
    let path = dir.join("jpeg.pdf");
    let mut doc = PdfFile::create(&path, options(Compression::Jpeg)).unwrap();
    let (spec, rows) = page(1);
    let e = doc.write_page(&spec, &rows).unwrap_err().to_string();
    assert!(
        e.contains("jpeg is off") && e.contains("`jpeg` feature"),
        "{e}"
    );
    assert_eq!(doc.pages(), 0);
    drop(doc);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

/// A baseline JPEG from an encoder that is not ours, and a progressive one from Pillow.
fn jpegs(dir: &Path) -> Vec<(PixelType, u32, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let (w, h) = (45u32, 30u32);
    let rgb = support::pattern(w, h, 24, 7);
    let mut baseline = Vec::new();
    jpeg_encoder::Encoder::new(&mut baseline, 85)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out.push((PixelType::Rgb24, w, h, baseline));
    let prog = dir.join("prog.jpg");
    support::python(
        "import sys\nfrom PIL import Image\nim = Image.linear_gradient('L').resize((40, 28))\nim.save(sys.argv[1], quality=80, progressive=True)",
        &[prog.as_os_str()],
    )
    .unwrap();
    let data = std::fs::read(&prog).unwrap();
    let info = wias::pdf::jpeg_info(&data).unwrap();
    assert!(info.progressive, "Pillow wrote a progressive JPEG");
    out.push((PixelType::Gray8, 40, 28, data));
    out
}

#[test]
fn jpeg_data_are_embedded_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jpegs.pdf");
    let mut doc = PdfFile::create(&path, Options::default()).unwrap();
    let inputs = jpegs(dir.path());
    for (pixel, w, h, data) in &inputs {
        let spec = PageSpec::new(*w, *h, *pixel).dpi(100, 100);
        doc.write_encoded_page(&spec, Compression::Jpeg, data)
            .unwrap();
    }
    // A frame that does not match the page is refused, and the document keeps its pages.
    let (_, w, h, data) = &inputs[0];
    let e = doc
        .write_encoded_page(
            &PageSpec::new(w + 1, *h, PixelType::Rgb24),
            Compression::Jpeg,
            data,
        )
        .unwrap_err();
    assert!(e.to_string().contains("frame"), "{e}");
    doc.finish().unwrap();
    qpdf_check(&path).unwrap();
    assert_eq!(pdfinfo_pages(&path).unwrap().len(), 2);
    let list = pdfimages_list(&path).unwrap();
    assert!(list.iter().all(|r| r.enc == "jpeg"), "{list:?}");
    let all = pdfimages_all(&path).unwrap();
    assert_eq!(all.len(), 2);
    for ((ext, got), (_, _, _, want)) in all.iter().zip(&inputs) {
        assert_eq!(ext, "jpg");
        assert!(got == want, "the JPEG came out changed");
    }
    assert_eq!(mutool_pages(&path).unwrap(), 2);
}

#[test]
fn device_g4_pages_are_embedded_as_they_are() {
    // G4 data of a 8×2 all-white page from the T.6 codes: V0 V0, EOFB.
    let g4 = [0b1100_0000, 0x04, 0x00, 0x40];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g4.pdf");
    let mut doc = PdfFile::create(&path, Options::default()).unwrap();
    let spec = PageSpec::new(8, 2, PixelType::Bilevel).dpi(200, 200);
    doc.write_encoded_page(&spec, Compression::G4, &g4).unwrap();
    doc.finish().unwrap();
    check_pdf(
        &path,
        &[(spec, vec![0xFF, 0xFF], Compression::G4.into())],
        "device g4",
    );
}

fn appended_bytes(path: &Path, i: u32) -> u64 {
    let before = std::fs::metadata(path).unwrap().len();
    let mut doc = PdfFile::append(path, Options::default()).unwrap();
    let (spec, rows) = page(i);
    doc.write_page(&spec, &rows).unwrap();
    doc.finish().unwrap();
    std::fs::metadata(path).unwrap().len() - before
}

#[test]
fn append_costs_one_page_at_page_1000() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.pdf");
    let mut doc = PdfFile::create(&path, Options::default()).unwrap();
    let mut pages = Vec::new();
    for i in 0..3 {
        let (spec, rows) = page(i);
        doc.write_page(&spec, &rows).unwrap();
        pages.push((spec, rows, CodecChoice::Auto));
    }
    doc.finish().unwrap();
    // Reopened for each page, as a service adding pages as they come does.
    for i in 3..8 {
        let before = std::fs::read(&path).unwrap();
        appended_bytes(&path, i);
        let after = std::fs::read(&path).unwrap();
        assert_eq!(
            &after[..before.len()],
            &before[..],
            "an append rewrote bytes"
        );
        let (spec, rows) = page(i);
        pages.push((spec, rows, CodecChoice::Auto));
    }
    check_pdf(&path, &pages, "appended");
    // Page 9 and page 1001 cost the same bytes (the same page content), beyond the
    // page itself only the right edge of the page tree and one xref section.
    let small = appended_bytes(&path, 1000);
    let mut doc = PdfFile::append(&path, Options::default()).unwrap();
    for i in 9..1000 {
        doc.write_page(&page(i).0, &page(i).1).unwrap();
    }
    doc.finish().unwrap();
    let large = appended_bytes(&path, 1000);
    assert!(
        large <= small + 600,
        "page 1001 cost {large} bytes, page 9 {small}"
    );
    assert_eq!(pdfinfo_pages(&path).unwrap().len(), 1001);
    qpdf_check(&path).unwrap();
    assert_eq!(pikepdf_pages(&path).unwrap(), 1001);
}

fn img2pdf(dir: &Path, engine: &str) -> std::path::PathBuf {
    let png = dir.join("in.png");
    let jpg = dir.join("in.jpg");
    support::python(
        "import sys\nfrom PIL import Image\nImage.linear_gradient('L').resize((30, 20)).save(sys.argv[1])\nImage.new('RGB', (20, 10), (200, 30, 10)).save(sys.argv[2], quality=90)",
        &[png.as_os_str(), jpg.as_os_str()],
    )
    .unwrap();
    let out = dir.join(format!("img2pdf-{engine}.pdf"));
    let st = Command::new("img2pdf")
        .args(["--engine", engine])
        .arg(&png)
        .arg(&jpg)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("img2pdf");
    assert!(st.success());
    out
}

#[test]
fn appending_to_an_img2pdf_file_keeps_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    for engine in ["internal", "pikepdf"] {
        let path = img2pdf(dir.path(), engine);
        let before = std::fs::read(&path).unwrap();
        let old_images = pdfimages_all(&path).unwrap();
        let mut doc = PdfFile::append(&path, Options::default()).unwrap();
        let mut added = Vec::new();
        for i in 0..40 {
            let (spec, rows) = page(i);
            doc.write_page(&spec, &rows).unwrap();
            added.push((spec, rows));
        }
        assert_eq!(doc.pages(), 42);
        doc.finish().unwrap();
        let after = std::fs::read(&path).unwrap();
        assert_eq!(
            &after[..before.len()],
            &before[..],
            "{engine}: bytes rewritten"
        );
        qpdf_check(&path).unwrap_or_else(|e| panic!("{engine}: {e}"));
        let sizes = pdfinfo_pages(&path).unwrap();
        assert_eq!(sizes.len(), 42, "{engine}");
        assert_eq!(mutool_pages(&path).unwrap(), 42);
        assert_eq!(pikepdf_pages(&path).unwrap(), 42);
        let images = pdfimages_all(&path).unwrap();
        assert_eq!(
            &images[..2],
            &old_images[..],
            "{engine}: img2pdf's pages changed"
        );
        let pixels = pdfimages_pixels(&path).unwrap();
        let objects = image_objects(&path).unwrap();
        for (k, (spec, rows)) in added.iter().enumerate() {
            let got = if spec.pixel.bits_per_sample() == 16 {
                swap16(qpdf_samples(&path, objects[k + 2]).unwrap())
            } else {
                pixels[k + 2].data.clone()
            };
            assert!(&got == rows, "{engine}: added page {}", k + 1);
        }
    }
}

#[test]
fn damaged_or_unsupported_pdfs_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.pdf");
    let mut doc = PdfFile::create(&good, Options::default()).unwrap();
    for i in 0..3 {
        doc.write_page(&page(i).0, &page(i).1).unwrap();
    }
    doc.finish().unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let xref = bytes.windows(6).rposition(|w| w == b"\nxref\n").unwrap();
    let mut wrong_offset = bytes.clone();
    let s = String::from_utf8_lossy(&bytes[bytes.len() - 30..]).into_owned();
    let off = s.split('\n').rev().nth(2).unwrap().to_string();
    let pos = bytes.len() - 30 + s.find(&off).unwrap();
    wrong_offset[pos] = if off.as_bytes()[0] == b'1' {
        b'2'
    } else {
        b'1'
    };
    let mut bad_tree = bytes.clone();
    let t = bad_tree
        .windows(11)
        .rposition(|w| w == b"/Type /Page")
        .unwrap();
    bad_tree[t + 6..t + 11].copy_from_slice(b"Xage ");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            bytes[..bytes.len() / 2].to_vec(),
            "damaged PDF",
        ),
        (
            "cut in the last xref",
            bytes[..xref + 30].to_vec(),
            "damaged PDF",
        ),
        (
            "data after %%EOF",
            [&bytes[..], &[b'x'; 40][..]].concat(),
            "damaged PDF",
        ),
        ("startxref off by", wrong_offset, "damaged PDF"),
        ("page tree", bad_tree, "damaged PDF"),
        ("not a PDF", b"P5\n1 1\n255\n\0".to_vec(), "not a PDF"),
        ("empty", Vec::new(), ""),
    ];
    for (what, data, want) in cases {
        let path = dir.path().join(format!("{what}.pdf"));
        std::fs::write(&path, &data).unwrap();
        let e = match PdfFile::append(&path, Options::default()) {
            Ok(_) => panic!("{what}: appended to"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(want), "{what}: {e}");
        assert_eq!(std::fs::read(&path).unwrap(), data, "{what}: file touched");
    }
    // A file qpdf encrypts (an owner password only: every viewer opens it) is
    // refused, and the message says why, not "damaged".
    let path = dir.path().join("enc.pdf");
    let st = Command::new("qpdf")
        .args(["--encrypt", "", "owner", "256", "--"])
        .arg(&good)
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success(), "qpdf --encrypt");
    let data = std::fs::read(&path).unwrap();
    let e = PdfFile::append(&path, Options::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("encrypted") && e.contains("key") && !e.contains("damaged"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        data,
        "encrypted: file touched"
    );
}

const KILL_PAGES: u32 = 100;

/// The child side of the kill test: runs only when the parent sets
/// `WIAS_PDF_KILL_OUT`. Ignored, so a plain test run lists it as a helper, not as a
/// test that passed.
#[test]
#[ignore = "helper process of the PDF kill test, run by it"]
fn pdf_kill_child() {
    let out = std::env::var("WIAS_PDF_KILL_OUT")
        .expect("run by the PDF kill test, which sets WIAS_PDF_KILL_OUT");
    let reopen = std::env::var("WIAS_PDF_KILL_REOPEN").is_ok();
    let mut stdout = std::io::stdout().lock();
    let mut doc = PdfFile::create(&out, Options::default()).unwrap();
    for i in 0..KILL_PAGES {
        if reopen && i % 10 == 0 && i > 0 {
            drop(doc);
            doc = PdfFile::append(&out, Options::default()).unwrap();
        }
        let (spec, rows) = kill_page(i);
        doc.write_page(&spec, &rows).unwrap();
        writeln!(stdout, "ACK {}", i + 1).unwrap();
        stdout.flush().unwrap();
    }
    doc.finish().unwrap();
    writeln!(stdout, "DONE").unwrap();
}

/// Pages of the kill test: large enough that a page's update spans several 4 KiB
/// pages of the page cache, so kills land inside page data too.
fn kill_page(i: u32) -> (PageSpec, Vec<u8>) {
    let pixel = [PixelType::Gray8, PixelType::Bilevel, PixelType::Rgb24][i as usize % 3];
    let (w, h) = (60 + i % 7, 40 + i % 5);
    (
        PageSpec::new(w, h, pixel),
        support::pattern(w, h, pixel.depth(), i),
    )
}

fn spawn(path: &Path, reopen: bool) -> std::process::Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "pdf::pdf_kill_child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("WIAS_PDF_KILL_OUT", path)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if reopen {
        c.env("WIAS_PDF_KILL_REOPEN", "1");
    }
    c.spawn().unwrap()
}

#[test]
fn kill_9_leaves_every_acknowledged_page() {
    let trials: u32 = crate::crash::env_number("WIAS_PDF_KILL_TRIALS").unwrap_or(16);
    let mut rng = crate::crash::Rng::from_env();
    eprintln!("pdf kill test: {trials} trials, WIAS_KILL_SEED={}", rng.0);
    let dir = tempfile::tempdir().unwrap();
    let full = {
        let path = dir.path().join("full.pdf");
        let t = Instant::now();
        let mut child = spawn(&path, false);
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(child.wait().unwrap().success() && text.contains("DONE"));
        t.elapsed()
    };
    for trial in 0..trials {
        let r = rng.next();
        let path = dir.path().join(format!("t{trial}.pdf"));
        let reopen = trial % 3 == 2;
        let mut child = spawn(&path, reopen);
        let at = Duration::from_micros(r % (full.as_micros() as u64 + 1));
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let _ = child.wait();
        let acked = text.matches("ACK ").count();
        let what = format!("trial {trial} (killed after {at:?}, {acked} acknowledged)");
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if acked == 0 && pdfinfo_pages(&path).is_err() {
            continue; // killed before the first page was committed
        }
        assert!(len > 0, "{what}: empty file");
        qpdf_check(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        let n = pdfinfo_pages(&path)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .len();
        assert!(n >= acked && n <= acked + 1, "{what}: {n} pages");
        let pixels = pdfimages_pixels(&path).unwrap();
        assert_eq!(pixels.len(), n, "{what}");
        for (k, got) in pixels.iter().enumerate() {
            assert!(got.data == kill_page(k as u32).1, "{what}: page {}", k + 1);
        }
        // The file goes on: appending to it works and keeps every page.
        let mut doc = PdfFile::append(&path, Options::default())
            .unwrap_or_else(|e| panic!("{what}: append: {e}"));
        let (spec, rows) = kill_page(n as u32);
        doc.write_page(&spec, &rows).unwrap();
        doc.finish().unwrap();
        qpdf_check(&path).unwrap_or_else(|e| panic!("{what}: after append: {e}"));
        assert_eq!(pdfinfo_pages(&path).unwrap().len(), n + 1, "{what}");
    }
}

/// qpdf writes its page trees flat: 300 kids under one node, in a file wias did not
/// write. Appending puts a new root above it once (the old root is written again with
/// its /Parent, its pages are not touched) and keeps every page.
#[test]
fn appending_to_a_flat_tree_from_qpdf() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.pdf");
    let mut doc = PdfFile::create(&ours, Options::default()).unwrap();
    for i in 0..300 {
        doc.write_page(&page(i % 5).0, &page(i % 5).1).unwrap();
    }
    doc.finish().unwrap();
    let flat = dir.path().join("flat.pdf");
    let st = Command::new("qpdf")
        .args(["--empty", "--pages"])
        .arg(&ours)
        .args(["--", "--object-streams=disable"])
        .arg(&flat)
        .status()
        .unwrap();
    assert!(st.success());
    let before = std::fs::read(&flat).unwrap();
    let mut doc = PdfFile::append(&flat, Options::default()).unwrap();
    assert_eq!(doc.pages(), 300);
    for i in 0..3 {
        doc.write_page(&page(i).0, &page(i).1).unwrap();
    }
    doc.finish().unwrap();
    let after = std::fs::read(&flat).unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    // Besides the pages: a new root and leaf, and the old root once more with its
    // new /Parent.
    assert!(
        after.len() - before.len() < 12_000,
        "{}",
        after.len() - before.len()
    );
    qpdf_check(&flat).unwrap();
    assert_eq!(pdfinfo_pages(&flat).unwrap().len(), 303);
    assert_eq!(mutool_pages(&flat).unwrap(), 303);
    let pixels = pdfimages_pixels(&flat).unwrap();
    for (k, i) in [(0, 0), (3, 3), (300, 0), (301, 1)] {
        assert!(pixels[k].data == page(i).1, "page {}", k + 1);
    }
}

/// Device pages go through the check every container shares: data the TIFF writer
/// refuses are refused for PDF too (before, three random byte strings were embedded as
/// G4 pages and a JPEG cut short as a DCT image), and what follows a JPEG's EOI (a
/// gain-map image, junk) is left out. Earlier pages stay as they were.
#[test]
fn device_pages_the_tiff_writer_refuses_are_refused_for_pdf_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.pdf");
    let mut doc = PdfFile::create(&path, Options::default()).unwrap();
    let inputs = jpegs(dir.path());
    let (pixel, w, h, jpeg) = &inputs[0];
    let spec = PageSpec::new(*w, *h, *pixel);
    let second = [&jpeg[..], &inputs[1].3].concat();
    doc.write_encoded_page(&spec, Compression::Jpeg, &second)
        .unwrap();
    let bilevel = PageSpec::new(1728, 100, PixelType::Bilevel);
    for seed in [1, 2, 3] {
        let noise = support::pattern(1728, 100, 1, seed);
        let mut tiff =
            wias::tiff::TiffWriter::new(std::io::Cursor::new(Vec::new()), Default::default())
                .unwrap();
        let t = tiff
            .write_encoded_page(&bilevel, Compression::G4, &noise)
            .unwrap_err();
        let p = doc
            .write_encoded_page(&bilevel, Compression::G4, &noise)
            .unwrap_err();
        assert!(p.to_string().contains("G4 page data"), "{p}");
        assert_eq!(p.to_string(), t.to_string());
    }
    let cut = &jpeg[..jpeg.len() - 40];
    let e = doc
        .write_encoded_page(&spec, Compression::Jpeg, cut)
        .unwrap_err();
    assert!(e.to_string().contains("no EOI"), "{e}");
    doc.finish().unwrap();
    qpdf_check(&path).unwrap();
    assert_eq!(pdfinfo_pages(&path).unwrap().len(), 1);
    let all = pdfimages_all(&path).unwrap();
    assert!(all[0].1 == *jpeg, "the primary image only, byte for byte");
}

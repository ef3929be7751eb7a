//! `--ocr LANG` (issue 23): the invisible text layer of PDF pages, read back by poppler
//! (`pdftotext`, `pdftotext -bbox`) and MuPDF (`mutool draw -F txt`), and compared with
//! what the `tesseract` command itself reads from the same image (its plain text and
//! its hOCR word boxes). The pages are real text rendered by Pillow in DejaVu Serif
//! (Debian's fonts-dejavu-core; the DejaVu fonts' licence is the Bitstream Vera one,
//! free to use and embed).

use super::*;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";

/// Renders lines of text, black on white, as `name`.pgm and `name`.png (300 dpi,
/// 40 px ≈ 9.6 pt type), in Pillow with a Debian font: not by the code under test.
fn text_page(dir: &Path, name: &str, lines: &[&str]) {
    let script = format!(
        r#"
from PIL import Image, ImageDraw, ImageFont
lines = {lines:?}
img = Image.new("L", (1300, 150 + 70 * len(lines)), 255)
d = ImageDraw.Draw(img)
f = ImageFont.truetype("{FONT}", 40)
for i, l in enumerate(lines):
    d.text((100, 100 + 70 * i), l, font=f, fill=0)
img.save("{name}.pgm"); img.save("{name}.png", dpi=(300, 300))
"#
    );
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("python3 with Pillow");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

const LINES: &[&str] = &[
    "The quick brown fox jumps over",
    "the lazy dog. Searchable pages",
    "are written as they are scanned,",
    "each with its own text layer.",
];

fn words(b: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(b)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// What `tesseract` itself reads from `png`.
fn tesseract_words(dir: &Path, png: &str) -> Vec<String> {
    words(&sh(dir, &format!("tesseract {png} - 2>/dev/null")))
}

/// poppler and MuPDF both extract from our PDF the words Tesseract reads from the
/// image, in the same order; the file passes qpdf --check.
#[test]
fn the_text_layer_is_what_tesseract_reads() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    text_page(d, "page", LINES);
    ok(&run(
        d,
        &["write", "--ocr", "eng", "-o", "x.pdf", "page.pgm"],
    ));
    support::pdf_readers::qpdf_check(&d.join("x.pdf")).unwrap();
    let want = tesseract_words(d, "page.png");
    assert!(want.len() >= 20, "tesseract read {want:?}");
    assert_eq!(words(&sh(d, "pdftotext x.pdf -")), want, "poppler");
    assert_eq!(
        words(&sh(d, "mutool draw -q -F txt -o - x.pdf 2>/dev/null")),
        want,
        "MuPDF"
    );
    // Without --ocr: no text at all (the test's own check that the text is ours).
    ok(&run(d, &["write", "-o", "plain.pdf", "page.pgm"]));
    assert!(words(&sh(d, "pdftotext plain.pdf -")).is_empty());
}

/// A word box: x min, y min, x max, y max in points from the page's top left.
type Box4 = [f64; 4];

/// `tesseract`'s hOCR word boxes (pixels at 300 dpi) in points.
fn hocr_boxes(dir: &Path, png: &str) -> Vec<(String, Box4)> {
    let hocr = String::from_utf8(sh(dir, &format!("tesseract {png} - hocr 2>/dev/null"))).unwrap();
    hocr.split("class='ocrx_word'")
        .skip(1)
        .map(|s| {
            let b = s.split("bbox ").nth(1).unwrap();
            let n: Vec<f64> = b
                .split(';')
                .next()
                .unwrap()
                .split_whitespace()
                .map(|v| v.parse::<f64>().unwrap() * 72.0 / 300.0)
                .collect();
            let text = s.split('>').nth(1).unwrap().split('<').next().unwrap();
            (text.to_string(), [n[0], n[1], n[2], n[3]])
        })
        .collect()
}

/// poppler's word boxes (`pdftotext -bbox`).
fn poppler_boxes(dir: &Path, pdf: &str) -> Vec<(String, Box4)> {
    let x = String::from_utf8(sh(dir, &format!("pdftotext -bbox {pdf} -"))).unwrap();
    x.lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| {
            let attr = |k: &str| -> f64 {
                l.split(&format!("{k}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            let text = l.split('>').nth(1).unwrap().split('<').next().unwrap();
            (
                text.to_string(),
                [attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax")],
            )
        })
        .collect()
}

/// Each word's box as poppler reads it from our PDF is Tesseract's hOCR box: left,
/// right and top within 0.5 pt; the bottom is the line's lowest (words of a line share
/// a baseline, or readers break the line), so within 3 pt (a descender at 9.6 pt).
#[test]
fn word_boxes_are_tesseracts() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    text_page(d, "page", LINES);
    ok(&run(
        d,
        &["write", "--ocr", "eng", "-o", "x.pdf", "page.pgm"],
    ));
    let ours = poppler_boxes(d, "x.pdf");
    let theirs = hocr_boxes(d, "page.png");
    assert_eq!(ours.len(), theirs.len(), "{ours:?}\n{theirs:?}");
    for ((tw, tb), (hw, hb)) in ours.iter().zip(&theirs) {
        let hw = hw
            .replace("&amp;", "&")
            .replace("&#39;", "'")
            .replace("&quot;", "\"");
        assert_eq!(tw, &hw);
        for (k, tol) in [(0, 0.5), (1, 0.5), (2, 0.5), (3, 3.0)] {
            assert!(
                (tb[k] - hb[k]).abs() <= tol,
                "{tw}: ours {tb:?}, hOCR {hb:?}"
            );
        }
    }
}

/// A blank page gets no text object and no font; the page with text after it gets
/// both, and the font is written once for the document.
#[test]
fn a_blank_page_gets_no_text_object() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    text_page(d, "page", LINES);
    sh(d, "pgmmake 1 1300 500 > blank.pgm");
    ok(&run(
        d,
        &[
            "write",
            "--ocr",
            "eng",
            "-o",
            "x.pdf",
            "blank.pgm",
            "page.pgm",
            "page.pgm",
        ],
    ));
    let script = r#"
import pikepdf
pdf = pikepdf.open("x.pdf")
for p in pdf.pages:
    fonts = p.Resources.get("/Font")
    print(b"BT" in p.Contents.read_bytes(), None if fonts is None else fonts.OCR.objgen)
"#;
    let o = String::from_utf8(sh(d, &format!("python3 -c '{script}'"))).unwrap();
    let rows: Vec<&str> = o.lines().collect();
    assert_eq!(rows[0], "False None", "{o}");
    assert!(rows[1].starts_with("True ("), "{o}");
    assert_eq!(rows[1], rows[2], "one font for the document: {o}");
    assert!(words(&sh(d, "pdftotext -f 1 -l 1 x.pdf -")).is_empty());
}

/// Pages in the PDF so far, counted from its bytes (our page objects are compact).
fn page_objects(path: &Path) -> usize {
    let b = fs::read(path).unwrap_or_default();
    b.windows(11).filter(|w| w == b"/Type/Page/").count()
}

/// kill -9 while an OCR job runs (after two pages are committed): every page in the
/// file has its text (the text goes in the page's own update, never after it).
#[test]
fn a_kill_during_ocr_leaves_only_pages_with_their_text() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    text_page(d, "page", LINES);
    let mut child = wias()
        .current_dir(d)
        .args(["write", "--ocr", "eng", "-o", "x.pdf"])
        .args(["page.pgm"; 12])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for a state, not a time: three page objects in the file. Updates are
    // written one after the other, so the third page's objects mean the second
    // page's update is complete: at least two committed pages.
    let x = d.join("x.pdf");
    while page_objects(&x) < 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "wias ended before the kill"
        );
        std::thread::yield_now();
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let pages = support::pdf_readers::pdfinfo_pages(&x).unwrap().len();
    assert!((2..12).contains(&pages), "{pages} pages");
    let want = tesseract_words(d, "page.png");
    for p in 1..=pages {
        let got = words(&sh(d, &format!("pdftotext -f {p} -l {p} x.pdf -")));
        assert_eq!(got, want, "page {p} of {pages}");
    }
}

/// A language Tesseract has no data for is named with its Debian package, before
/// anything is written; --ocr into a TIFF is a usage error.
#[test]
fn a_missing_language_names_its_debian_package() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    text_page(d, "page", &["x"]);
    let o = run(d, &["write", "--ocr", "eng+qqq", "-o", "x.pdf", "page.pgm"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("tesseract-ocr-qqq"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("tesseract-ocr-eng"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(!d.join("x.pdf").exists());
    let o = run(d, &["write", "--ocr", "eng", "-o", "x.tif", "page.pgm"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("PDF"), "{}", stderr(&o));
}

/// `--ocr --append` to another producer's PDF (img2pdf): the new page has the text
/// Tesseract reads, the old page stays without any, and the file stays clean.
#[test]
fn ocr_pages_append_to_another_producers_pdf() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    text_page(d, "page", LINES);
    sh(d, "img2pdf page.png -o doc.pdf");
    ok(&run(
        d,
        &[
            "write", "--append", "--ocr", "eng", "-o", "doc.pdf", "page.pgm",
        ],
    ));
    support::pdf_readers::qpdf_check(&d.join("doc.pdf")).unwrap();
    assert!(words(&sh(d, "pdftotext -f 1 -l 1 doc.pdf -")).is_empty());
    let want = tesseract_words(d, "page.png");
    assert_eq!(words(&sh(d, "pdftotext -f 2 -l 2 doc.pdf -")), want);
    assert_eq!(
        words(&sh(d, "mutool draw -q -F txt -o - doc.pdf 2 2>/dev/null")),
        want
    );
}

/// Bilevel, RGB and 16-bit gray pages (Pillow's PBM, PPM and a 16-bit PGM of the same
/// text) get the words `tesseract` reads from those very files.
#[test]
fn every_pixel_type_gets_its_text() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    text_page(d, "page", LINES);
    let script = r#"
from PIL import Image
import numpy as np
im = Image.open("page.png")
im.point(lambda v: 255 if v > 128 else 0).convert("1").save("page.pbm")
im.convert("RGB").save("page.ppm")
a = np.asarray(im).astype(">u2") * 257
open("page16.pgm", "wb").write(b"P5 %d %d 65535\n" % (im.width, im.height) + a.tobytes())
"#;
    sh(d, &format!("python3 -c '{script}'"));
    let files = ["page.pbm", "page.ppm", "page16.pgm"];
    ok(&run(
        d,
        &[&["write", "--ocr", "eng", "-o", "x.pdf"][..], &files].concat(),
    ));
    for (p, f) in files.iter().enumerate() {
        let want = words(&sh(d, &format!("tesseract {f} - --dpi 300 2>/dev/null")));
        assert!(want.len() >= 20, "{f}: {want:?}");
        let got = words(&sh(d, &format!("pdftotext -f {0} -l {0} x.pdf -", p + 1)));
        assert_eq!(got, want, "{f}");
    }
}

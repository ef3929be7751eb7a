//! PDF/A-2b written while scanning, as `pikepdf.pdfa` (the validator OCRmyPDF 17 uses)
//! and the usual readers see it:
//!
//! - every pixel type with every codec PDF takes, 1, 2 and 50 pages, new, appended to
//!   and streamed, passes with zero findings, and qpdf, poppler and MuPDF read the
//!   same pages (pixel for pixel) and render them exactly as the same pages written
//!   without PDF/A; the same file written without PDF/A fails;
//! - every prefix ending at an update's `%%EOF` (the file a kill leaves) passes;
//! - an append keeps the file PDF/A and moves its modify date (XMP and Info) in the
//!   same update as the page; an append asking for PDF/A to a plain PDF is refused
//!   and leaves the file untouched;
//! - the cost: at most 8 KB once and 2 KB a page.

use std::path::{Path, PathBuf};

use wias::pdf::{Metadata, Options, PdfA, PdfFile, PdfWriter};
use wias::{CodecChoice, CodecSettings, Compression, PageSpec, PixelType};
use wias_testsupport as support;
use wias_testsupport::pdf_readers::*;

use crate::pdf::{check_pdf, page};

const T0: i64 = 1_795_610_096; // 2026-11-25T12:34:56Z
const T1: i64 = T0 + 86_400 + 61; // 2026-11-26T12:35:57Z

fn opts(c: CodecChoice, pdfa: bool) -> Options {
    Options::default()
        .codec(CodecSettings::new(c))
        .pdfa(pdfa)
        .time(Some(T0))
}

/// Codecs a page of `pixel` can take in PDF.
fn codecs(pixel: PixelType) -> Vec<CodecChoice> {
    [
        CodecChoice::Auto,
        Compression::None.into(),
        Compression::Deflate.into(),
        Compression::G4.into(),
        Compression::Jpeg.into(),
    ]
    .into_iter()
    .filter(|c| wias::pdf::check(*c, pixel).is_ok())
    .collect()
}

type Pages = Vec<(PageSpec, Vec<u8>, CodecChoice)>;

/// Writes `pages` to `path` (with PDF/A or not); with `split`, the first page alone,
/// then the rest appended (without asking for PDF/A: the file keeps it).
fn write(path: &Path, pages: &Pages, pdfa: bool, split: bool) {
    let mut doc = PdfFile::create(path, opts(pages[0].2, pdfa)).unwrap();
    for (k, (spec, rows, c)) in pages.iter().enumerate() {
        if split && k == 1 {
            doc.finish().unwrap();
            doc = PdfFile::append(path, opts(*c, false).time(Some(T1))).unwrap();
        }
        doc.write_page(spec, rows).unwrap();
    }
    doc.finish().unwrap();
}

fn assert_passes(inputs: &[String]) {
    let found = pdfa_findings(inputs).unwrap();
    let failed: Vec<_> = inputs
        .iter()
        .zip(&found)
        .filter(|(_, f)| !f.is_empty())
        .collect();
    assert!(failed.is_empty(), "PDF/A-2b findings: {failed:#?}");
}

#[test]
fn every_pixel_type_and_codec_is_pdfa_new_appended_and_streamed_and_renders_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut jobs: Vec<(PathBuf, Pages)> = Vec::new();
    for (i, pixel) in PixelType::ALL.into_iter().enumerate() {
        for c in codecs(pixel) {
            for n in [1, 2] {
                let pages = (0..n)
                    .map(|k| {
                        let (w, h) = (40 + k * 7, 23 + i as u32);
                        let spec = PageSpec::new(w, h, pixel).dpi(150, 150);
                        (
                            spec,
                            support::pattern(w, h, pixel.depth(), k + 5 * i as u32),
                            c,
                        )
                    })
                    .collect();
                jobs.push((dir.path().join(format!("{pixel}-{c}-{n}.pdf")), pages));
            }
        }
    }
    // 50 pages of every pixel type in turn.
    let fifty: Pages = (0..50)
        .map(|i| {
            let (s, r) = page(i);
            (s, r, CodecChoice::Auto)
        })
        .collect();
    jobs.push((dir.path().join("fifty.pdf"), fifty));

    let mut inputs = Vec::new();
    for (path, pages) in &jobs {
        write(path, pages, true, false);
        let appended = path.with_extension("appended.pdf");
        write(&appended, pages, true, true);
        let plain = path.with_extension("plain.pdf");
        write(&plain, pages, false, false);
        for p in [path, &appended] {
            check_pdf(p, pages, &p.display().to_string());
            assert_eq!(
                rendered_pages(p, 36).unwrap(),
                rendered_pages(&plain, 36).unwrap(),
                "{}: poppler or MuPDF renders the pages differently from the plain PDF",
                p.display()
            );
            inputs.push(p.display().to_string());
        }
        // Streamed: PdfWriter into a Vec, as to a pipe.
        let mut w = PdfWriter::new(Vec::new(), opts(pages[0].2, true));
        for (spec, rows, _) in pages {
            w.write_page(spec, rows).unwrap();
        }
        let streamed = path.with_extension("streamed.pdf");
        std::fs::write(&streamed, w.finish().unwrap()).unwrap();
        qpdf_check(&streamed).unwrap();
        inputs.push(streamed.display().to_string());
    }
    assert_passes(&inputs);

    // The same pages without PDF/A fail: the check can fail.
    let plain: Vec<String> = jobs
        .iter()
        .map(|(p, _)| p.with_extension("plain.pdf").display().to_string())
        .collect();
    for (p, f) in plain.iter().zip(pdfa_findings(&plain).unwrap()) {
        assert!(
            f.iter().any(|f| f.contains("/ID")) && f.iter().any(|f| f.contains("/Metadata")),
            "{p}: a plain PDF must fail PDF/A-2b, found {f:?}"
        );
    }
}

/// The XMP packet and Info dictionary as pikepdf reads them:
/// (CreateDate, ModifyDate, MetadataDate, Info /CreationDate, Info /ModDate, ID[0]).
fn dates(path: &Path) -> Vec<String> {
    let out = support::python(
        "import sys, pikepdf\n\
         p = pikepdf.open(sys.argv[1])\n\
         m = p.open_metadata()\n\
         x = '{http://ns.adobe.com/xap/1.0/}'\n\
         print(m[x + 'CreateDate']); print(m[x + 'ModifyDate']); print(m[x + 'MetadataDate'])\n\
         print(p.docinfo['/CreationDate']); print(p.docinfo['/ModDate'])\n\
         print(bytes(p.trailer.ID[0]).hex())",
        &[path.as_os_str()],
    )
    .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_kill_after_any_update_leaves_a_pdfa_file_and_appends_move_the_modify_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    let mut doc = PdfFile::create(&path, opts(CodecChoice::Auto, true)).unwrap();
    for i in 0..3 {
        let (s, r) = page(i);
        doc.write_page(&s, &r).unwrap();
    }
    doc.finish().unwrap();
    let before = dates(&path);
    assert_eq!(
        before[..5],
        [
            "2026-11-25T12:34:56+00:00",
            "2026-11-25T12:34:56+00:00",
            "2026-11-25T12:34:56+00:00",
            "D:20261125123456+00'00'",
            "D:20261125123456+00'00'"
        ]
    );
    // Appended a day later, with PDF/A asked for (the file is one), and without.
    for pdfa in [true, false] {
        let mut doc = PdfFile::append(&path, opts(CodecChoice::Auto, pdfa).time(Some(T1))).unwrap();
        let (s, r) = page(3 + u32::from(pdfa));
        doc.write_page(&s, &r).unwrap();
        doc.finish().unwrap();
    }
    let after = dates(&path);
    assert_eq!(after[0], before[0], "the creation date stays");
    assert_eq!(after[1], "2026-11-26T12:35:57+00:00");
    assert_eq!(after[2], "2026-11-26T12:35:57+00:00");
    assert_eq!(after[3], before[3]);
    assert_eq!(after[4], "D:20261126123557+00'00'");
    assert_eq!(after[5], before[5], "the first /ID string stays");

    let bytes = std::fs::read(&path).unwrap();
    // Five updates; each but the first is preceded by a copy of the previous
    // `startxref … %%EOF` lines (the commit protocol), which a kill may leave last.
    let eofs = bytes.windows(6).filter(|w| w == b"%%EOF\n").count();
    assert_eq!(
        eofs, 9,
        "one update a page, and a copy of the old end before each"
    );
    let found = pdfa_findings(&[format!("prefixes:{}", path.display())]).unwrap();
    assert_eq!(found.len(), 9);
    for (k, f) in found.iter().enumerate() {
        assert!(f.is_empty(), "the file cut at %%EOF {}: {f:?}", k + 1);
    }
    // Each prefix is also a file qpdf calls clean, with the pages committed by then.
    let mut end = 0;
    for k in 0..9 {
        end += bytes[end..]
            .windows(6)
            .position(|w| w == b"%%EOF\n")
            .unwrap()
            + 6;
        let cut = dir.path().join(format!("cut{k}.pdf"));
        std::fs::write(&cut, &bytes[..end]).unwrap();
        qpdf_check(&cut).unwrap();
        assert_eq!(
            mutool_pages(&cut).unwrap(),
            k / 2 + 1,
            "cut at %%EOF {}",
            k + 1
        );
    }
}

#[test]
fn appending_as_pdfa_to_a_plain_pdf_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.pdf");
    let (s, r) = page(0);
    let mut doc = PdfFile::create(&path, opts(CodecChoice::Auto, false)).unwrap();
    doc.write_page(&s, &r).unwrap();
    doc.finish().unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = PdfFile::append(&path, opts(CodecChoice::Auto, true))
        .err()
        .expect("refused");
    let m = err.to_string();
    assert!(
        m.contains("not one") && m.contains("no XMP metadata"),
        "{m}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // Without PDF/A the append goes ahead, and the file stays plain.
    let mut doc = PdfFile::append(&path, opts(CodecChoice::Auto, false)).unwrap();
    doc.write_page(&s, &r).unwrap();
    doc.finish().unwrap();
    assert!(!pdfa_findings(&[path.display().to_string()]).unwrap()[0].is_empty());
}

#[test]
fn a_cmyk_jpeg_page_is_refused_in_a_pdfa_file() {
    let cmyk = {
        let mut v = Vec::new();
        jpeg_encoder::Encoder::new(&mut v, 90)
            .encode(&[10u8; 8 * 8 * 4], 8, 8, jpeg_encoder::ColorType::Cmyk)
            .unwrap();
        v
    };
    let spec = PageSpec::new(8, 8, PixelType::Rgb24).dpi(100, 100);
    let mut doc = PdfWriter::new(Vec::new(), opts(CodecChoice::Auto, true));
    let err = doc
        .write_encoded_page(&spec, Compression::Jpeg, &cmyk)
        .unwrap_err();
    assert!(err.to_string().contains("CMYK"), "{err}");
    assert_eq!(doc.pages(), 0);
}

#[test]
fn pdfa_costs_at_most_8_kb_once_and_2_kb_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let meta = Metadata::default()
        .title("Quarterly report, scanned")
        .author("A. Lovelace")
        .subject("Invoices")
        .keywords("scan, invoice");
    let mut sizes = Vec::new();
    for pdfa in [false, true] {
        let path = dir.path().join(format!("{pdfa}.pdf"));
        let mut len = Vec::new();
        for i in 0..10u32 {
            // Every page in a new session at a new second: the XMP is rewritten each time.
            let o = opts(CodecChoice::Auto, pdfa).time(Some(T0 + i64::from(i)));
            let mut doc = if i == 0 {
                PdfFile::create(&path, o.metadata(meta.clone())).unwrap()
            } else {
                PdfFile::append(&path, o).unwrap()
            };
            let (s, r) = page(i);
            doc.write_page(&s, &r).unwrap();
            doc.finish().unwrap();
            len.push(std::fs::metadata(&path).unwrap().len() as i64);
        }
        sizes.push(len);
    }
    let once = sizes[1][0] - sizes[0][0];
    let per_page: Vec<i64> = (1..10)
        .map(|i| (sizes[1][i] - sizes[1][i - 1]) - (sizes[0][i] - sizes[0][i - 1]))
        .collect();
    eprintln!("PDF/A cost: {once} bytes once, per page {per_page:?}");
    assert!(once <= 8192, "{once} bytes once");
    assert!(
        per_page.iter().all(|&b| b <= 2048),
        "{per_page:?} bytes a page"
    );
    assert_passes(&[dir.path().join("true.pdf").display().to_string()]);
}

#[test]
fn a_pdfa_file_from_another_producer_takes_pages_and_stays_pdfa() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theirs.pdf");
    // img2pdf makes the PDF, pikepdf.pdfa makes it PDF/A-2b (object and
    // cross-reference streams, its own sRGB profile, Flate everywhere).
    support::python(
        "import sys, img2pdf, pikepdf, pikepdf.pdfa as pa\n\
         from PIL import Image\n\
         import io\n\
         b = io.BytesIO(); Image.new('RGB', (30, 20), (10, 200, 30)).save(b, 'PNG')\n\
         raw = img2pdf.convert(b.getvalue())\n\
         pa.save(pikepdf.open(io.BytesIO(raw)), sys.argv[1], '2b')",
        &[path.as_os_str()],
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    assert_passes(&[path.display().to_string()]);
    let mut doc = PdfFile::append(&path, opts(CodecChoice::Auto, true).time(Some(T1))).unwrap();
    for i in 0..5 {
        let (s, r) = page(i);
        doc.write_page(&s, &r).unwrap();
    }
    doc.finish().unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..before.len()], &before[..], "their bytes stay");
    qpdf_check(&path).unwrap();
    assert_eq!(mutool_pages(&path).unwrap(), 6);
    assert_passes(&[
        path.display().to_string(),
        format!("prefixes:{}", path.display()),
    ]);
    let d = dates(&path);
    assert_eq!(
        d[1], "2026-11-26T12:35:57+00:00",
        "the XMP modify date moved"
    );
    assert_eq!(d[4], "D:20261126123557+00'00'", "and the Info /ModDate");
}

#[test]
fn the_output_intent_profile_is_srgb_to_littlecms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pdf");
    let (s, r) = page(3);
    let mut doc = PdfFile::create(&path, opts(CodecChoice::Auto, true)).unwrap();
    doc.write_page(&s, &r).unwrap();
    doc.finish().unwrap();
    // Every 8-bit colour of a 17-step cube, through our profile into LittleCMS's own
    // sRGB: unchanged within one code value.
    let out = support::python(
        "import sys, io, pikepdf\n\
         from PIL import Image, ImageCms\n\
         p = pikepdf.open(sys.argv[1])\n\
         icc = p.Root.OutputIntents[0].DestOutputProfile.read_bytes()\n\
         ours = ImageCms.ImageCmsProfile(io.BytesIO(icc))\n\
         t = ImageCms.buildTransform(ours, ImageCms.createProfile('sRGB'), 'RGB', 'RGB')\n\
         v = [min(255, 16 * i) for i in range(17)]\n\
         cols = [(r, g, b) for r in v for g in v for b in v]\n\
         im = Image.new('RGB', (len(cols), 1)); im.putdata(cols)\n\
         got = list(ImageCms.applyTransform(im, t).tobytes())\n\
         want = [c for col in cols for c in col]\n\
         print(max(abs(a - b) for a, b in zip(got, want)), ImageCms.getProfileDescription(ours).strip())",
        &[path.as_os_str()],
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    let (diff, desc) = out.trim().split_once(' ').unwrap();
    assert!(diff.parse::<u32>().unwrap() <= 1, "{out}");
    assert_eq!(desc, "sRGB IEC61966-2.1 (wias)");
}

#[test]
fn pdfa_1b_takes_every_8_bit_page_and_refuses_16_bit_ones() {
    let dir = tempfile::tempdir().unwrap();
    let o = |c: CodecChoice| opts(c, false).pdfa_part(Some(PdfA::Part1B));
    let mut inputs = Vec::new();
    for pixel in [PixelType::Bilevel, PixelType::Gray8, PixelType::Rgb24] {
        for c in codecs(pixel) {
            let path = dir.path().join(format!("{pixel}-{c}.pdf"));
            let mut pages: Pages = Vec::new();
            let mut doc = PdfFile::create(&path, o(c)).unwrap();
            for k in 0..3u32 {
                if k == 2 {
                    doc.finish().unwrap();
                    // Appended without asking: the file stays PDF/A-1b.
                    doc = PdfFile::append(&path, opts(c, false).time(Some(T1))).unwrap();
                }
                let spec = PageSpec::new(30 + k, 20, pixel).dpi(100, 100);
                let rows = support::pattern(30 + k, 20, pixel.depth(), k);
                doc.write_page(&spec, &rows).unwrap();
                pages.push((spec, rows, c));
            }
            doc.finish().unwrap();
            assert!(std::fs::read(&path).unwrap().starts_with(b"%PDF-1.4\n"));
            check_pdf(&path, &pages, &path.display().to_string());
            inputs.push(path.display().to_string());
            inputs.push(format!("prefixes:{}", path.display()));
        }
    }
    let found = pdfa_findings_as("1b", &inputs).unwrap();
    assert!(
        found.iter().all(|f| f.is_empty()),
        "PDF/A-1b findings: {found:?}"
    );
    // PDF 1.4 has no 16-bit samples: refused, in a new file and in an append.
    let (spec, rows) = (
        PageSpec::new(4, 2, PixelType::Gray16),
        support::pattern(4, 2, 16, 0),
    );
    let mut w = PdfWriter::new(Vec::new(), o(CodecChoice::Auto));
    let e = w.write_page(&spec, &rows).unwrap_err().to_string();
    assert!(e.contains("16-bit") && e.contains("PDF/A-1"), "{e}");
    let path = std::path::PathBuf::from(&inputs[0]);
    let before = std::fs::read(&path).unwrap();
    let mut doc = PdfFile::append(&path, opts(CodecChoice::Auto, false)).unwrap();
    assert!(doc.write_page(&spec, &rows).is_err());
    drop(doc);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

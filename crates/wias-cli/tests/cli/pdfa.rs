//! `wias write --pdfa` and `wias scan --pdfa` as a user runs them, checked with
//! `pikepdf.pdfa` (PDF/A-2b, zero findings) and qpdf; the metadata flags read back by
//! pikepdf (PDF Info and XMP) and libtiff (TIFF ImageDescription, Artist); TIFF for
//! archives: PageNumber n/N, the ICC profile tag, checkit_tiff's baseline profile.

use std::fs;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;
use wias_testsupport as support;

use super::{ok, run, sh, stderr, wias, EPOCH};
use wias_testsupport::pdf_readers::*;

fn findings(d: &Path, names: &[&str]) -> Vec<Vec<String>> {
    let inputs: Vec<String> = names
        .iter()
        .map(|n| d.join(n).display().to_string())
        .collect();
    pdfa_findings(&inputs).unwrap()
}

/// Info /Title, /Author, /Subject, /Keywords, then XMP dc:title, dc:creator,
/// dc:description, pdf:Keywords, one a line, as pikepdf reads them.
fn metadata(path: &Path) -> Vec<String> {
    let out = support::python(
        "import sys, pikepdf\n\
         p = pikepdf.open(sys.argv[1])\n\
         for k in ['/Title', '/Author', '/Subject', '/Keywords']: print(p.docinfo.get(k))\n\
         m = p.open_metadata()\n\
         for k in ['dc:title', 'dc:creator', 'dc:description', 'pdf:Keywords']: print(m.get(k))",
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
fn pdfa_from_write_and_scan_passes_and_plain_output_fails() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pgmramp -lr 60 40 > g.pgm && pbmmake -gray 64 30 > b.pbm && ppmpat -g2 50 30 > c.ppm",
    );
    sh(d, "python3 -c \"from PIL import Image; Image.new('RGB', (40, 24), (200, 30, 60)).save('c.jpg', quality=80)\"");
    let meta = [
        "--title",
        "Rechnung (März)",
        "--author",
        "A. Lovelace",
        "--subject",
        "Invoices",
        "--keywords",
        "scan, 2026",
    ];
    let mut args = vec![
        "write", "--pdfa", "-o", "w.pdf", "g.pgm", "b.pbm", "c.ppm", "c.jpg",
    ];
    args.extend(meta);
    ok(&run(d, &args));
    ok(&run(
        d,
        &[
            "write",
            "--pdfa",
            "--compression",
            "jpeg",
            "-o",
            "j.pdf",
            "g.pgm",
            "c.ppm",
        ],
    ));
    ok(&run(
        d,
        &[
            "write",
            "--pdfa",
            "--compression",
            "none",
            "-o",
            "n.pdf",
            "b.pbm",
            "g.pgm",
        ],
    ));
    ok(&run(
        d,
        &[
            "scan", "--pdfa", "--pages", "3", "--dpi", "30", "-o", "s.pdf",
        ],
    ));
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} scan --pdfa --format pdf -o - --pages 2 --dpi 30 | cat > p.pdf",
            env!("CARGO_BIN_EXE_wias")
        ))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // Appended to, with and without --pdfa: still PDF/A.
    ok(&run(d, &["write", "--append", "-o", "w.pdf", "c.ppm"]));
    ok(&run(
        d,
        &["write", "--append", "--pdfa", "-o", "w.pdf", "b.pbm"],
    ));
    ok(&run(d, &["write", "--append", "-o", "s.pdf", "g.pgm"]));
    // --append to a file not there yet starts a PDF/A file.
    ok(&run(
        d,
        &["write", "--append", "--pdfa", "-o", "new.pdf", "g.pgm"],
    ));
    ok(&run(d, &["write", "-o", "plain.pdf", "g.pgm", "b.pbm"]));

    let names = [
        "w.pdf",
        "j.pdf",
        "n.pdf",
        "s.pdf",
        "p.pdf",
        "new.pdf",
        "plain.pdf",
    ];
    for n in names {
        qpdf_check(&d.join(n)).unwrap();
    }
    let found = findings(d, &names);
    for (n, f) in names.iter().zip(&found).take(6) {
        assert!(f.is_empty(), "{n}: {f:?}");
    }
    assert!(
        !found[6].is_empty(),
        "a PDF written without --pdfa must fail PDF/A-2b"
    );
    assert_eq!(pdfinfo_pages(&d.join("w.pdf")).unwrap().len(), 6);
    assert_eq!(mutool_pages(&d.join("s.pdf")).unwrap(), 4);

    assert_eq!(
        metadata(&d.join("w.pdf")),
        [
            "Rechnung (März)",
            "A. Lovelace",
            "Invoices",
            "scan, 2026",
            "Rechnung (März)",
            "['A. Lovelace']",
            "Invoices",
            "scan, 2026",
        ]
    );
}

#[test]
fn pdfa_refusals_name_the_reason_and_touch_nothing() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 20 10 > a.pgm");
    let o = run(d, &["write", "--pdfa", "-o", "a.tif", "a.pgm"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--pdfa needs a PDF output"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("a.tif").exists());

    ok(&run(d, &["write", "-o", "plain.pdf", "a.pgm"]));
    let before = fs::read(d.join("plain.pdf")).unwrap();
    let o = run(
        d,
        &["write", "--append", "--pdfa", "-o", "plain.pdf", "a.pgm"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let m = stderr(&o);
    assert!(
        m.contains("plain.pdf") && m.contains("not one") && m.contains("no XMP metadata"),
        "{m}"
    );
    let o = run(
        d,
        &[
            "write",
            "--append",
            "--title",
            "x",
            "-o",
            "plain.pdf",
            "a.pgm",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("describe a new document"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(d.join("plain.pdf")).unwrap(), before);

    let o = run(
        d,
        &["write", "--title", "bell\u{7}", "-o", "t.pdf", "a.pgm"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!d.join("t.pdf").exists());
}

#[test]
fn title_and_author_go_into_tiff_image_description_and_artist() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 20 10 > a.pgm");
    ok(&run(
        d,
        &[
            "write", "--title", "Scan 7", "--author", "Ada", "-o", "a.tif", "a.pgm", "a.pgm",
        ],
    ));
    let info = String::from_utf8(sh(d, "tiffinfo a.tif 2>&1")).unwrap();
    assert_eq!(
        info.matches("ImageDescription: Scan 7").count(),
        2,
        "{info}"
    );
    assert_eq!(info.matches("Artist: Ada").count(), 2, "{info}");
}

#[test]
fn a_new_tiff_of_files_numbers_its_pages_n_of_n() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 20 10 > a.pgm && cat a.pgm a.pgm > two.pgm");
    ok(&run(d, &["write", "-o", "t.tif", "a.pgm", "two.pgm"]));
    ok(&run(d, &["write", "--append", "-o", "t.tif", "a.pgm"]));
    let info = String::from_utf8(sh(d, "tiffinfo t.tif 2>&1")).unwrap();
    let numbers: Vec<&str> = info
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Page Number: "))
        .collect();
    // The count is known for the three pages of the new file; an appended page's is not.
    assert_eq!(numbers, ["0-3", "1-3", "2-3", "3-0"], "{info}");
    let o = wias()
        .current_dir(d)
        .args(["write", "-o", "s.tif", "-"])
        .stdin(fs::File::open(d.join("two.pgm")).unwrap())
        .output()
        .unwrap();
    ok(&o);
    let info = String::from_utf8(sh(d, "tiffinfo s.tif 2>&1")).unwrap();
    assert_eq!(info.matches("Page Number: ").count(), 2);
    assert!(
        !info.contains("-2\n"),
        "a stream's count is not known: {info}"
    );
}

/// checkit_tiff's errors for `file` against its TIFF 6.0 baseline profile (SLUB).
fn checkit(d: &Path, file: &str) -> Vec<String> {
    let cfg = "/usr/share/checkit_tiff/example_configs/cit_tiff6_baseline_SLUB.cfg";
    let out = Command::new("checkit_tiff")
        .args(["-q", cfg, file])
        .current_dir(d)
        .output()
        .expect("checkit_tiff (Debian package checkit-tiff, installed by .ci/run)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter(|l| l.contains("(EE)\t"))
        .map(str::to_string)
        .collect()
}

#[test]
fn checkit_tiff_baseline_passes_single_uncompressed_pages_and_names_what_we_do_by_design() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pgmramp -lr 20 10 > g.pgm && ppmpat -g2 20 10 > c.ppm && pbmmake -gray 24 8 > b.pbm",
    );
    ok(&run(
        d,
        &["write", "--compression", "none", "-o", "g.tif", "g.pgm"],
    ));
    ok(&run(
        d,
        &["write", "--compression", "none", "-o", "b.tif", "b.pbm"],
    ));
    ok(&run(
        d,
        &[
            "write",
            "--compression",
            "none",
            "--icc",
            "-o",
            "c.tif",
            "c.ppm",
        ],
    ));
    ok(&run(
        d,
        &["write", "--compression", "none", "-o", "noicc.tif", "c.ppm"],
    ));
    ok(&run(
        d,
        &[
            "write",
            "--compression",
            "none",
            "--icc",
            "-o",
            "multi.tif",
            "g.pgm",
            "c.ppm",
        ],
    ));
    ok(&run(d, &["write", "-o", "deflate.tif", "g.pgm"]));
    for f in ["g.tif", "b.tif", "c.tif"] {
        assert_eq!(checkit(d, f), Vec::<String>::new(), "{f}");
    }
    // An RGB page without --icc lacks the profile the baseline asks for.
    assert!(checkit(d, "noicc.tif").iter().any(|e| e.contains("34675")));
    // By design: several pages (one IFD, PageNumber 0/1 in the profile) and Deflate.
    let multi = checkit(d, "multi.tif");
    assert_eq!(multi.len(), 2, "{multi:?}");
    assert!(multi.iter().any(|e| e.contains("one IFD")), "{multi:?}");
    assert!(multi.iter().any(|e| e.contains("297")), "{multi:?}");
    let deflate = checkit(d, "deflate.tif");
    assert!(
        deflate
            .iter()
            .all(|e| e.contains("259") || e.contains("317")),
        "{deflate:?}"
    );
    assert!(!deflate.is_empty());
}

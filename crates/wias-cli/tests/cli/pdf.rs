//! `wias write` and `wias scan` into PDF as a user runs them. Inputs come from netpbm
//! and Pillow; outputs are read by qpdf, poppler (`pdfinfo`, `pdfimages`), MuPDF and
//! pikepdf, and compared pixel for pixel with Pillow's decoding of the inputs.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use wias_testsupport as support;

use super::{four_pages_past_a_file_size_limit, ok, run, sh, stderr, wias};
use wias_testsupport::pdf_readers::*;

/// What the PDF tests read their files with (poppler, qpdf, MuPDF, Python).
const PDF_TOOLS: [&str; 5] = ["qpdf", "pdfinfo", "pdfimages", "mutool", "python3"];

/// Pillow's decoding of `path` in page-buffer form (1-bit rows MSB first with
/// 1 = white, 16-bit samples little-endian).
fn pillow(path: &Path) -> Vec<u8> {
    support::python(
        "import sys, numpy as np\nfrom PIL import Image\nim = Image.open(sys.argv[1])\nb = np.asarray(im).astype('<u2').tobytes() if im.mode.startswith('I') else im.tobytes()\nsys.stdout.buffer.write(b)",
        &[path.as_os_str()],
    )
    .unwrap()
}

/// The raster of a binary PNM file: what follows the magic, width, height, maxval and
/// one whitespace byte.
fn pnm_raster(path: &Path) -> Vec<u8> {
    let data = fs::read(path).unwrap();
    let mut i = 0;
    for _ in 0..4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
    }
    data[i + 1..].to_vec()
}

#[test]
fn the_output_extension_chooses_the_container_and_unknown_ones_are_refused() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 20 10 > a.pgm");
    ok(&run(d, &["write", "-o", "a.pdf", "a.pgm"]));
    assert!(fs::read(d.join("a.pdf")).unwrap().starts_with(b"%PDF-"));
    ok(&run(d, &["write", "-o", "B.PDF", "a.pgm"]));
    qpdf_check(&d.join("B.PDF")).unwrap();
    ok(&run(d, &["write", "-o", "plain", "a.pgm"]));
    assert!(fs::read(d.join("plain")).unwrap().starts_with(b"II*\0"));
    ok(&run(
        d,
        &["write", "--format", "pdf", "-o", "x.dat", "a.pgm"],
    ));
    qpdf_check(&d.join("x.dat")).unwrap();
    fs::write(d.join("keep.png"), b"not ours").unwrap();
    for out in ["out.png", "out.jpg", "keep.png", "x.tiff.gz"] {
        let o = run(d, &["write", "-o", out, "a.pgm"]);
        assert_eq!(o.status.code(), Some(2), "{out}");
        let ext = out.rsplit('.').next().unwrap();
        assert!(
            stderr(&o).contains(&format!("does not write .{ext} files")),
            "{}",
            stderr(&o)
        );
    }
    assert!(!d.join("out.png").exists() && !d.join("out.jpg").exists());
    assert_eq!(fs::read(d.join("keep.png")).unwrap(), b"not ours");
    let o = run(d, &["scan", "-o", "scan.png", "--pages", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!d.join("scan.png").exists());
}

#[test]
fn pnm_and_jpeg_inputs_become_pdf_pages_as_they_are() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pbmmake -gray 37 19 > bw.pbm");
    sh(d, "pgmramp -diagonal 41 23 > ramp.pgm");
    sh(d, "pgmramp -maxval 65535 -rectangle 29 17 > ramp16.pgm");
    sh(d, "ppmpat -camo -randomseed 3 31 27 > pat.ppm");
    sh(
        d,
        "ppmpat -madras -randomseed 5 19 7 | pamdepth 65535 > pat16.ppm",
    );
    // A baseline JPEG at 150 dpi and a progressive one at 72 dpi (JFIF densities).
    let made = Command::new("python3")
        .current_dir(d)
        .arg("-c")
        .arg("from PIL import Image\nImage.linear_gradient('L').resize((48, 32)).convert('RGB').save('base.jpg', quality=90, dpi=(150, 150))\nImage.radial_gradient('L').resize((40, 24)).save('prog.jpg', quality=85, progressive=True, dpi=(72, 72))")
        .status()
        .unwrap();
    assert!(made.success());
    let inputs = [
        "bw.pbm",
        "ramp.pgm",
        "ramp16.pgm",
        "pat.ppm",
        "pat16.ppm",
        "base.jpg",
        "prog.jpg",
    ];
    let mut args = vec!["write", "-o", "doc.pdf", "--dpi", "200"];
    args.extend(inputs);
    // --dpi applies to every input, JPEG too; without it JPEGs keep their density.
    ok(&run(d, &args));
    ok(&run(
        d,
        &[
            "write",
            "-o",
            "jpegs.pdf",
            "base.jpg",
            "prog.jpg",
            "ramp.pgm",
        ],
    ));
    let sizes = pdfinfo_pages(&d.join("jpegs.pdf")).unwrap();
    assert_eq!(sizes[0], (48.0 * 72.0 / 150.0, 32.0 * 72.0 / 150.0));
    assert_eq!(sizes[1], (40.0, 24.0));
    assert_eq!(sizes[2], (41.0 * 72.0 / 300.0, 23.0 * 72.0 / 300.0));

    let path = d.join("doc.pdf");
    qpdf_check(&path).unwrap();
    assert_eq!(mutool_pages(&path).unwrap(), 7);
    assert_eq!(pikepdf_pages(&path).unwrap(), 7);
    let sizes = pdfinfo_pages(&path).unwrap();
    let list = pdfimages_list(&path).unwrap();
    let encs: Vec<&str> = list.iter().map(|r| r.enc.as_str()).collect();
    // bw.pbm is a 50% dither, smaller in Flate than in G4: `auto` stores it so.
    assert_eq!(
        encs,
        ["image", "image", "image", "image", "image", "jpeg", "jpeg"]
    );
    let bpc: Vec<u32> = list.iter().map(|r| r.bpc).collect();
    assert_eq!(bpc, [1, 8, 16, 8, 16, 8, 8]);
    for (row, (w, h)) in list.iter().zip(&sizes) {
        let want = (f64::from(row.width) * 0.36, f64::from(row.height) * 0.36);
        assert!((w - want.0).abs() < 0.01 && (h - want.1).abs() < 0.01);
    }
    let pixels = pdfimages_pixels(&path).unwrap();
    let objects = image_objects(&path).unwrap();
    for (k, input) in inputs[..5].iter().enumerate() {
        // Pillow reads 16-bit PPM as 8 bits: that raster is taken from the file as
        // netpbm wrote it (big-endian samples after the header).
        let want = if *input == "pat16.ppm" {
            swap16(pnm_raster(&d.join(input)))
        } else {
            pillow(&d.join(input))
        };
        let got = if list[k].bpc == 16 {
            let q = swap16(qpdf_samples(&path, objects[k]).unwrap());
            assert!(q == swap16(mutool_samples(&path, objects[k]).unwrap()));
            q
        } else {
            pixels[k].data.clone()
        };
        assert!(got == want, "{input}: pixels differ");
    }
    let all = pdfimages_all(&path).unwrap();
    for (k, input) in ["base.jpg", "prog.jpg"].iter().enumerate() {
        assert_eq!(all[5 + k].0, "jpg");
        assert!(
            all[5 + k].1 == fs::read(d.join(input)).unwrap(),
            "{input} changed"
        );
    }
}

#[test]
fn compression_flags_for_pdf() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 40 24 > g.pgm");
    sh(d, "ppmpat -camo -randomseed 3 32 24 > c.ppm");
    sh(d, "pbmmake -gray 16 8 > b.pbm");
    ok(&run(
        d,
        &[
            "write",
            "-o",
            "j.pdf",
            "--compression",
            "jpeg",
            "g.pgm",
            "c.ppm",
        ],
    ));
    let list = pdfimages_list(&d.join("j.pdf")).unwrap();
    assert!(list.iter().all(|r| r.enc == "jpeg"), "{list:?}");
    ok(&run(
        d,
        &["write", "-o", "f.pdf", "--compression", "deflate", "b.pbm"],
    ));
    assert_eq!(pdfimages_list(&d.join("f.pdf")).unwrap()[0].enc, "image");
    for (c, input) in [("lzw", "g.pgm"), ("packbits", "g.pgm"), ("g3", "b.pbm")] {
        let o = run(d, &["write", "-o", "no.pdf", "--compression", c, input]);
        assert_eq!(o.status.code(), Some(2), "{c}");
        assert!(
            stderr(&o).contains("cannot be written to PDF"),
            "{}",
            stderr(&o)
        );
    }
    let o = run(
        d,
        &["write", "-o", "no.pdf", "--compression", "g4", "g.pgm"],
    );
    // The flags' fault, as for TIFF: a usage error, and no file.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!d.join("no.pdf").exists());
    let o = run(
        d,
        &[
            "scan",
            "-o",
            "no.pdf",
            "--mode",
            "gray",
            "--compression",
            "g4",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!d.join("no.pdf").exists());
}

/// Reads from `r` until the bytes end with `%%EOF\n` (one more committed page).
fn read_update(r: &mut impl Read, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    loop {
        let n = r.read(&mut chunk).unwrap();
        assert!(n > 0, "the stream ended before the page's update did");
        buf.extend_from_slice(&chunk[..n]);
        if buf.ends_with(b"%%EOF\n") {
            return;
        }
    }
}

#[test]
fn stdout_carries_a_complete_pdf_after_every_page() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 60 40 > a.pgm");
    sh(d, "ppmpat -camo -randomseed 4 50 30 > b.ppm");
    let pages = [
        fs::read(d.join("a.pgm")).unwrap(),
        fs::read(d.join("b.ppm")).unwrap(),
    ];
    let mut child = wias()
        .args(["write", "--format", "pdf", "-o", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut got = Vec::new();
    for (k, page) in pages.iter().chain(pages.iter()).enumerate() {
        // The next page is fed only once the previous one has come out whole: the
        // stream is a PDF of k + 1 pages while wias still waits for more input.
        stdin.write_all(page).unwrap();
        stdin.flush().unwrap();
        read_update(&mut stdout, &mut got);
        let snap = d.join(format!("snap{k}.pdf"));
        fs::write(&snap, &got).unwrap();
        qpdf_check(&snap).unwrap();
        assert_eq!(pdfinfo_pages(&snap).unwrap().len(), k + 1);
    }
    drop(stdin);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(child.wait().unwrap().success());
    let pixels = pdfimages_pixels(&d.join("snap3.pdf")).unwrap();
    assert!(pixels[0].data == pillow(&d.join("a.pgm")));
    assert!(pixels[3].data == pillow(&d.join("b.ppm")));

    // wias scan streams too.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} scan --format pdf -o - --pages 3 --dpi 30 > s.pdf",
            env!("CARGO_BIN_EXE_wias")
        ))
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    qpdf_check(&d.join("s.pdf")).unwrap();
    assert_eq!(pdfinfo_pages(&d.join("s.pdf")).unwrap().len(), 3);
}

#[test]
fn append_adds_pages_or_refuses_untouched() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 30 20 > a.pgm");
    sh(d, "pbmmake -gray 24 16 > b.pbm");
    // --append on a missing file starts it.
    ok(&run(d, &["write", "--append", "-o", "doc.pdf", "a.pgm"]));
    ok(&run(d, &["write", "--append", "-o", "doc.pdf", "b.pbm"]));
    ok(&run(
        d,
        &["scan", "--pages", "1", "--dpi", "20", "-o", "scan.pdf"],
    ));
    let path = d.join("doc.pdf");
    qpdf_check(&path).unwrap();
    let pixels = pdfimages_pixels(&path).unwrap();
    assert_eq!(pixels.len(), 2);
    assert!(pixels[0].data == pillow(&d.join("a.pgm")));
    assert!(pixels[1].data == pillow(&d.join("b.pbm")));

    // A PDF from img2pdf: its pages stay, ours follow.
    sh(d, "img2pdf a.pgm -o other.pdf 2>/dev/null || (pnmtopng a.pgm > a.png && img2pdf a.png -o other.pdf)");
    let before = fs::read(d.join("other.pdf")).unwrap();
    ok(&run(d, &["write", "--append", "-o", "other.pdf", "b.pbm"]));
    let after = fs::read(d.join("other.pdf")).unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    qpdf_check(&d.join("other.pdf")).unwrap();
    assert_eq!(pdfinfo_pages(&d.join("other.pdf")).unwrap().len(), 2);
    assert_eq!(mutool_pages(&d.join("other.pdf")).unwrap(), 2);

    // A damaged PDF (cut short), and a file that is no PDF: refused, untouched.
    let cut = &fs::read(&path).unwrap()[..200];
    fs::write(d.join("cut.pdf"), cut).unwrap();
    let o = run(d, &["write", "--append", "-o", "cut.pdf", "a.pgm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cut.pdf: damaged PDF"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(d.join("cut.pdf")).unwrap(), cut);
    fs::copy(d.join("a.pgm"), d.join("fake.pdf")).unwrap();
    let o = run(d, &["write", "--append", "-o", "fake.pdf", "a.pgm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a PDF file"), "{}", stderr(&o));
    assert_eq!(
        fs::read(d.join("fake.pdf")).unwrap(),
        fs::read(d.join("a.pgm")).unwrap()
    );
}

#[test]
fn a_full_disk_keeps_every_committed_page() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 400 400 > a.pgm");
    four_pages_past_a_file_size_limit(d, "lim.pdf", 400_000);
    let path = d.join("lim.pdf");
    qpdf_check(&path).unwrap();
    let want = pillow(&d.join("a.pgm"));
    let pixels = pdfimages_pixels(&path).unwrap();
    assert_eq!(pixels.len(), 2);
    assert!(pixels.iter().all(|p| p.data == want));
}

/// Pages in `path` as a reader sees them now (0 when it is no PDF yet).
fn committed_pages(path: &Path, snap: &Path) -> usize {
    match fs::copy(path, snap) {
        Ok(_) => pdfinfo_pages(snap).map_or(0, |p| p.len()),
        Err(_) => 0,
    }
}

/// `kill -9` at random moments of a 100-page `wias scan -o doc.pdf`. Before each kill,
/// a copy of the file is taken: the pages a reader saw committed then must all be in
/// the file after the kill, which qpdf must call clean, pixel for pixel as in an
/// uninterrupted run.
#[test]
fn scan_killed_at_random_moments_keeps_every_committed_page() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let scan = ["scan", "--pages", "100", "--dpi", "12", "-o"];
    let t = Instant::now();
    let mut args = scan.to_vec();
    args.push("ref.pdf");
    ok(&run(d, &args));
    let full = t.elapsed();
    let reference = pdfimages_pixels(&d.join("ref.pdf")).unwrap();
    assert_eq!(reference.len(), 100);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    for trial in 0..6 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = Duration::from_micros(seed % (full.as_micros() as u64 + 1));
        let out = d.join(format!("k{trial}.pdf"));
        let mut child = wias()
            .current_dir(d)
            .args(scan)
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let seen = committed_pages(&out, &d.join("snap.pdf"));
        let _ = child.kill();
        let _ = child.wait();
        let what = format!("trial {trial}: killed after {at:?}, {seen} pages seen");
        let n = committed_pages(&out, &d.join("snap.pdf"));
        assert!(n >= seen, "{what}: {n} pages after the kill");
        if n == 0 {
            continue;
        }
        qpdf_check(&out).unwrap_or_else(|e| panic!("{what}: {e}"));
        let pixels = pdfimages_pixels(&out).unwrap();
        assert_eq!(pixels.len(), n);
        for (k, p) in pixels.iter().enumerate() {
            assert!(p.data == reference[k].data, "{what}: page {}", k + 1);
        }
    }
}

/// Appending to a 60 MB PDF another producer wrote with cross-reference and object
/// streams (issue 19): the page goes in as an xref-stream update, the old pages stay,
/// and wias's peak memory is far below the file's size (it reads windows of the file,
/// never the file). Measured as the child's peak RSS (`wait4`, through python3). Before,
/// the file was refused ("cross-reference table in a stream"); a classic file of that
/// size peaked at 26 times its size when its catalog was large.
#[test]
fn appending_to_a_large_modern_pdf_holds_little_memory() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 30 20 > a.pgm");
    support::python(
        "import os, sys, img2pdf\nfrom PIL import Image\nfiles = []\nfor i in range(6):\n    f = os.path.join(sys.argv[1], f'n{i}.png')\n    Image.frombytes('L', (3200, 3200), os.urandom(3200 * 3200)).save(f, compress_level=0)\n    files.append(f)\nopen(os.path.join(sys.argv[1], 'plain.pdf'), 'wb').write(img2pdf.convert(files))",
        &[d.as_os_str()],
    )
    .unwrap();
    sh(d, "qpdf --object-streams=generate plain.pdf big.pdf");
    let big = d.join("big.pdf");
    let before = fs::read(&big).unwrap();
    assert!(before.len() > 60_000_000);
    let args: Vec<std::ffi::OsString> = vec![
        "write".into(),
        "--append".into(),
        "-o".into(),
        big.clone().into(),
        d.join("a.pgm").into(),
    ];
    let peak = super::peak_rss(&args);
    let after = fs::read(&big).unwrap();
    assert!(after[..before.len()] == before[..], "old bytes changed");
    let added = &after[before.len()..];
    assert!(added.len() < 4000, "{} bytes added", added.len());
    assert!(added.windows(11).any(|w| w == b"/Type /XRef"));
    qpdf_check(&big).unwrap();
    assert_eq!(pdfinfo_pages(&big).unwrap().len(), 7);
    assert_eq!(mutool_pages(&big).unwrap(), 7);
    assert!(peak < 16 << 20, "peak RSS {} MiB", peak >> 20);
}

/// An encrypted PDF (an owner password only, which every viewer opens) is refused with
/// a message that says it is encrypted and why, not that it is damaged.
#[test]
fn an_encrypted_pdf_is_refused_saying_why() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 30 20 > a.pgm");
    ok(&run(d, &["write", "-o", "doc.pdf", "a.pgm"]));
    sh(d, "qpdf --encrypt '' owner 256 -- doc.pdf enc.pdf");
    let before = fs::read(d.join("enc.pdf")).unwrap();
    let o = run(d, &["write", "--append", "-o", "enc.pdf", "a.pgm"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("encrypted") && e.contains("key") && !e.contains("damaged"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert_eq!(fs::read(d.join("enc.pdf")).unwrap(), before);
}

/// `wias scan --format pdf` without `-o` names its PDF scan.pdf, not scan.tif (issue
/// 24 item 1); `--format bmp` likewise names its bitmap scan.bmp.
#[test]
fn scan_without_output_names_the_file_after_its_format() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    ok(&run(
        d,
        &["scan", "--format", "pdf", "--dpi", "30", "--pages", "2"],
    ));
    assert!(!d.join("scan.tif").exists(), "a PDF named scan.tif");
    qpdf_check(&d.join("scan.pdf")).unwrap();
    ok(&run(d, &["scan", "--format", "bmp", "--dpi", "30"]));
    assert!(!d.join("scan.tif").exists(), "a BMP named scan.tif");
    assert!(fs::read(d.join("scan.bmp")).unwrap().starts_with(b"BM"));
    ok(&run(d, &["scan", "--dpi", "30", "--pages", "1"]));
    assert!(fs::read(d.join("scan.tif")).unwrap().starts_with(b"II*\0"));
}

/// `auto` is one policy for both containers (issue 24 item 4): a text page goes into
/// G4 and a halftone (2.3 times its raw size in G4) into Flate, in a PDF as in a
/// TIFF; poppler's pixels equal libtiff's, and the PDF is smaller than the raw bits.
/// The virtual scanner's bilevel pages get the same codec in both containers too.
#[test]
fn pdf_auto_picks_the_smaller_codec_for_bilevel_pages_as_tiff_does() {
    if !support::require(&PDF_TOOLS) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pbmmake -white 850 1100 > blank.pbm && pbmtext -builtin fixed 'Hello world' > hw.pbm \
         && pnmpaste hw.pbm 100 100 blank.pbm > text.pbm \
         && pgmramp -lr 800 600 | pgmtopbm -fs > halftone.pbm",
    );
    let write = ["write", "text.pbm", "halftone.pbm", "-o"];
    let scan = ["scan", "--mode", "bw", "--pages", "2", "--dpi", "100", "-o"];
    for (job, name, expected) in [
        (&write[..], "w", Some(["ccitt", "image"])),
        (&scan[..], "s", None),
    ] {
        let (tif, pdf) = (format!("{name}.tif"), format!("{name}.pdf"));
        for out in [&tif, &pdf] {
            let mut args = job.to_vec();
            args.push(out);
            ok(&run(d, &args));
        }
        let tiff = support::libtiff_pages(&d.join(&tif)).unwrap();
        let pdf = d.join(&pdf);
        qpdf_check(&pdf).unwrap();
        let enc: Vec<String> = pdfimages_list(&pdf)
            .unwrap()
            .into_iter()
            .map(|r| r.enc)
            .collect();
        // The TIFF's codec per page, as PDF names its filter.
        let tiff_enc: Vec<&str> = tiff
            .iter()
            .map(|p| if p.compression == 4 { "ccitt" } else { "image" })
            .collect();
        assert_eq!(enc, tiff_enc, "{name}: PDF filters vs the TIFF's codecs");
        if let Some(expected) = expected {
            assert_eq!(enc, expected, "text in G4, halftone in Flate");
        }
        let pixels = pdfimages_pixels(&pdf).unwrap();
        for (i, (p, t)) in pixels.iter().zip(&tiff).enumerate() {
            assert_eq!((p.width, p.height), (t.width, t.height), "page {}", i + 1);
            // The bits past a row's last pixel are no pixels (the virtual scanner's
            // inversion leaves them set).
            let (w, row) = (p.width as usize, p.width.div_ceil(8) as usize);
            let (mut a, mut b) = (p.data.clone(), t.data.clone());
            support::clear_row_padding(&mut a, w, row);
            support::clear_row_padding(&mut b, w, row);
            assert!(a == b, "{name} page {}: poppler vs libtiff pixels", i + 1);
        }
        let raw: u64 = tiff
            .iter()
            .map(|p| u64::from(p.width.div_ceil(8)) * u64::from(p.height))
            .sum();
        let size = fs::metadata(&pdf).unwrap().len();
        assert!(
            size < raw,
            "{name}: PDF {size} bytes vs {raw} bytes of raw bits"
        );
    }
}

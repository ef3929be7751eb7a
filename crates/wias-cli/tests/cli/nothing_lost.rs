//! The ways a page the CLI acknowledged, or a document that existed before it ran,
//! could be lost (issue 9), each run as a user would, the files read back by libtiff.
//!
//! `WIAS_CLI_BIN=/path/to/wias cargo test -p wias-cli --test cli nothing_lost` runs
//! these tests against another build (an older one, to see them fail there).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;
use wias_testsupport as support;

use super::{ok, sh, stderr};

/// The `wias` under test: this build's, or `WIAS_CLI_BIN`'s.
fn bin() -> std::ffi::OsString {
    std::env::var_os("WIAS_CLI_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_wias").into())
}

/// `super::run`, with [`bin`].
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .env("SOURCE_DATE_EPOCH", super::EPOCH)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run wias")
}

/// Runs `args` under `prlimit --fsize=limit` (util-linux).
fn run_limited(dir: &Path, limit: u64, args: &[&str]) -> Output {
    Command::new("prlimit")
        .arg(format!("--fsize={limit}"))
        .arg(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("prlimit (util-linux)")
}

/// A gray PGM of `w`×`h` pixels, all `v`.
fn pgm(dir: &Path, name: &str, w: usize, h: usize, v: u8) -> Vec<u8> {
    let mut b = format!("P5 {w} {h} 255\n").into_bytes();
    b.extend(std::iter::repeat_n(v, w * h));
    fs::write(dir.join(name), &b).unwrap();
    vec![v; w * h]
}

/// Pages of `path` as libtiff decodes them (no warning allowed, the same pixels from
/// the `tiff` crate).
fn pages(path: &Path) -> Vec<Vec<u8>> {
    super::libtiff(path).into_iter().map(|p| p.data).collect()
}

/// Files a staged write could leave behind.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wias-partial"))
        .collect()
}

/// Item 1: two `--append`s on a file that does not exist yet, started together, both
/// succeed and both pages are in the file (before the fix, one truncated the other's
/// page in about 1 run of 7).
/// `wias write --append -o out INPUT` for each input at the same moment; each must
/// succeed.
fn appends_at_once(d: &Path, out: &str, inputs: [&str; 2]) {
    let outputs: Vec<Output> = std::thread::scope(|s| {
        let runs: Vec<_> = inputs
            .map(|input| s.spawn(move || run(d, &["write", "--append", "-o", out, input])))
            .into();
        runs.into_iter().map(|t| t.join().unwrap()).collect()
    });
    outputs.iter().for_each(ok);
}

#[test]
fn two_appends_to_a_missing_file_keep_both_pages() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let a = pgm(d, "a.pgm", 1000, 1000, 10);
    let b = pgm(d, "b.pgm", 1000, 1000, 200);
    let rounds = 40;
    for r in 0..rounds {
        let out = format!("doc{r}.tif");
        appends_at_once(d, &out, ["a.pgm", "b.pgm"]);
        let mut got = pages(&d.join(&out));
        got.sort();
        assert_eq!(
            got,
            vec![a.clone(), b.clone()],
            "round {r}: a page was lost"
        );
    }
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

/// Item 2: while another writer holds the document's lock (an appender; `flock(1)`
/// takes the same lock), `wias scan -o` and `wias write -o` without `--append` fail
/// with "locked" and leave the file byte for byte as it was.
#[test]
fn scan_and_write_never_replace_a_file_another_writer_holds() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let a = pgm(d, "a.pgm", 40, 30, 77);
    ok(&run(d, &["write", "-o", "doc.tif", "a.pgm"]));
    let before = fs::read(d.join("doc.tif")).unwrap();
    let mut holder = support::hold_lock(d, "doc.tif", 6);
    let attempts = [
        run(d, &["scan", "-o", "doc.tif", "--pages", "1", "--dpi", "20"]),
        run(d, &["write", "-o", "doc.tif", "a.pgm"]),
    ];
    let after = fs::read(d.join("doc.tif")).unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();
    for o in &attempts {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
        assert!(
            stderr(o).contains("is locked by another writer"),
            "{}",
            stderr(o)
        );
    }
    assert_eq!(after, before, "the held file was changed");
    assert_eq!(pages(&d.join("doc.tif")), vec![a]);
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

/// Item 3: with a file-size limit that page 1 of the new document passes, `write`
/// (TIFF and BMP) and `scan` fail, say no page was written, and the existing 2-page
/// document is left byte for byte as it was (before the fix it became a 0-page TIFF
/// libtiff could not open). No temporary file is left behind.
#[test]
fn a_first_page_that_fails_leaves_the_existing_document_as_it_was() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let small = pgm(d, "small.pgm", 40, 30, 5);
    pgm(d, "big.pgm", 1000, 1000, 99);
    ok(&run(
        d,
        &["write", "-o", "doc.tif", "small.pgm", "small.pgm"],
    ));
    ok(&run(d, &["write", "-o", "doc.bmp", "small.pgm"]));
    let before = fs::read(d.join("doc.tif")).unwrap();
    let before_bmp = fs::read(d.join("doc.bmp")).unwrap();
    for args in [
        &["write", "-o", "doc.tif", "--compression", "none", "big.pgm"][..],
        &[
            "scan",
            "-o",
            "doc.tif",
            "--compression",
            "none",
            "--pages",
            "2",
        ],
        &["write", "-o", "doc.bmp", "big.pgm"],
    ] {
        let o = run_limited(d, 200_000, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let msg = stderr(&o);
        assert!(!msg.contains("1..0"), "{args:?}: {msg}");
        assert_eq!(fs::read(d.join("doc.tif")).unwrap(), before, "{args:?}");
        assert_eq!(fs::read(d.join("doc.bmp")).unwrap(), before_bmp, "{args:?}");
        assert!(leftovers(d).is_empty(), "{args:?}: {:?}", leftovers(d));
    }
    assert_eq!(pages(&d.join("doc.tif")), vec![small.clone(), small]);
}

/// A replaced document keeps the old file's permissions, a symbolic link to it stays a
/// link, and the new document is complete (libtiff) whatever happens later.
#[cfg(unix)]
#[test]
fn a_replaced_document_keeps_its_permissions_and_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let a = pgm(d, "a.pgm", 8, 2, 1);
    let b = pgm(d, "b.pgm", 8, 2, 2);
    ok(&run(d, &["write", "-o", "doc.tif", "a.pgm", "a.pgm"]));
    fs::set_permissions(d.join("doc.tif"), fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("doc.tif", d.join("link.tif")).unwrap();
    ok(&run(d, &["write", "-o", "link.tif", "b.pgm"]));
    assert!(fs::symlink_metadata(d.join("link.tif"))
        .unwrap()
        .file_type()
        .is_symlink());
    let mode = fs::metadata(d.join("doc.tif"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    assert_eq!(pages(&d.join("doc.tif")), vec![b]);
    // A new file gets the usual permissions (0666 less the umask), not a temporary
    // file's 0600.
    ok(&run(d, &["write", "-o", "new.tif", "a.pgm"]));
    let mode = fs::metadata(d.join("new.tif"))
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(mode & 0o044, 0, "mode {mode:o}");
    assert_eq!(pages(&d.join("new.tif")), vec![a]);
}

/// A PGM whose maxval is followed directly by a comment, which netpbm reads: accepted,
/// with the pixels netpbm decodes.
#[test]
fn a_comment_right_after_maxval_is_read_as_netpbm_reads_it() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let mut b = b"P5 3 2 255# made by a scanner\n".to_vec();
    b.extend([0, 50, 100, 150, 200, 250]);
    fs::write(d.join("c.pgm"), &b).unwrap();
    let netpbm = sh(d, "pamtopnm < c.pgm | tail -c 6");
    ok(&run(d, &["write", "-o", "c.tif", "c.pgm"]));
    assert_eq!(pages(&d.join("c.tif")), vec![netpbm]);
}

/// `-o -` with standard output closed is an error (exit 1), not a silent success.
#[test]
fn a_closed_stdout_is_an_error() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pgm(d, "a.pgm", 8, 2, 1);
    let w = bin();
    let w = w.to_string_lossy();
    for cmd in [
        format!("'{w}' write -o - a.pgm >&-"),
        format!("'{w}' scan -o - --pages 1 --dpi 20 >&-"),
        format!("'{w}' write -o - --format bmp a.pgm >&-"),
    ] {
        let o = Command::new("sh")
            .args(["-c", &cmd])
            .current_dir(d)
            .output()
            .expect("sh");
        assert_eq!(o.status.code(), Some(1), "{cmd}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("standard output is closed"),
            "{cmd}: {}",
            stderr(&o)
        );
    }
}

/// The output given as a hard link to an input is the input: refused as a usage error
/// before anything is written, and the input stays as it was.
#[test]
fn a_hard_link_to_an_input_as_the_output_is_refused() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pgm(d, "a.pgm", 8, 2, 1);
    let before = fs::read(d.join("a.pgm")).unwrap();
    fs::hard_link(d.join("a.pgm"), d.join("same.tif")).unwrap();
    for args in [
        &["write", "-o", "same.tif", "a.pgm"][..],
        &["write", "--append", "-o", "same.tif", "a.pgm"],
    ] {
        let o = run(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("both an input and the output"),
            "{}",
            stderr(&o)
        );
        assert_eq!(fs::read(d.join("a.pgm")).unwrap(), before);
    }
}

/// A codec that cannot hold the pages is the same usage error (exit 2) in `write` and
/// in `scan`, and no file is created.
#[test]
fn the_same_bad_codec_gives_the_same_exit_status_in_write_and_scan() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pgm(d, "gray.pgm", 8, 2, 1);
    let w = run(
        d,
        &["write", "-o", "w.tif", "--compression", "g4", "gray.pgm"],
    );
    let s = run(
        d,
        &[
            "scan",
            "-o",
            "s.tif",
            "--compression",
            "g4",
            "--mode",
            "gray",
        ],
    );
    assert_eq!(w.status.code(), Some(2), "{}", stderr(&w));
    assert_eq!(s.status.code(), w.status.code(), "{}", stderr(&s));
    for o in [&w, &s] {
        assert!(stderr(o).contains("--compression"), "{}", stderr(o));
    }
    assert!(!d.join("w.tif").exists() && !d.join("s.tif").exists());
}

/// The IFDs of a classic little-endian TIFF: (offset, entry count).
fn classic_ifds(b: &[u8]) -> Vec<(usize, usize)> {
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
    let mut out = Vec::new();
    let mut off = u32_at(4);
    while off != 0 {
        let n = u16_at(off);
        out.push((off, n));
        off = u32_at(off + 2 + 12 * n);
    }
    out
}

/// `wias inspect` never calls "sound" a file libtiff refuses to read (`tiffinfo` fails):
/// every entry of every page of a 3-page document (bilevel, gray, RGB) given each
/// field type 0..=19, 99 and 65535, the counts 0, 2, 1000 and 2^32-1, and (for
/// one-value SHORT/LONG entries) the values 0, 2, 3, 5, 7, 16, 999 and 65535. Before
/// the fix, 455 of the 562 that libtiff refuses were "sound" (an ImageWidth of type 99 on page 2
/// among them).
#[test]
fn inspect_never_calls_sound_a_file_libtiff_refuses() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pbmmake -gray 64 20 > a.pbm && pgmramp -lr 30 20 > b.pgm && ppmmake rgb:20/80/f0 16 12 > c.ppm",
    );
    ok(&run(
        d,
        &["write", "-o", "base.tif", "a.pbm", "b.pgm", "c.ppm"],
    ));
    let base = fs::read(d.join("base.tif")).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (page, (off, n)) in classic_ifds(&base).into_iter().enumerate() {
        for e in 0..n {
            let p = off + 2 + 12 * e;
            let tag = u16::from_le_bytes([base[p], base[p + 1]]);
            let ty = u16::from_le_bytes([base[p + 2], base[p + 3]]);
            let count = u32::from_le_bytes(base[p + 4..p + 8].try_into().unwrap());
            let name = |what: String| format!("page {} tag {tag}: {what}", page + 1);
            for t in (0..20).chain([99, 65535]) {
                let mut b = base.clone();
                b[p + 2..p + 4].copy_from_slice(&(t as u16).to_le_bytes());
                files.push((name(format!("type {t}")), b));
            }
            for c in [0u32, 2, 1000, u32::MAX] {
                let mut b = base.clone();
                b[p + 4..p + 8].copy_from_slice(&c.to_le_bytes());
                files.push((name(format!("count {c}")), b));
            }
            if count == 1 && (ty == 3 || ty == 4) {
                for v in [0u32, 2, 3, 5, 7, 16, 999, 65535] {
                    let mut b = base.clone();
                    if ty == 3 {
                        b[p + 8..p + 10].copy_from_slice(&(v as u16).to_le_bytes());
                    } else {
                        b[p + 8..p + 12].copy_from_slice(&v.to_le_bytes());
                    }
                    files.push((name(format!("value {v}")), b));
                }
            }
        }
    }
    assert!(files.len() > 1500, "{}", files.len());
    // The case issue 9 names.
    let (off2, _) = classic_ifds(&base)[1];
    let mut width99 = base.clone();
    let p = off2 + 2 + 12; // entry 1 of page 2: ImageWidth
    assert_eq!(u16::from_le_bytes([width99[p], width99[p + 1]]), 256);
    width99[p + 2..p + 4].copy_from_slice(&99u16.to_le_bytes());
    files.push(("page 2 ImageWidth of type 99".into(), width99));
    let mut refused = 0;
    let mut wrong = Vec::new();
    for (name, b) in &files {
        let path = d.join("m.tif");
        fs::write(&path, b).unwrap();
        let libtiff = Command::new("tiffinfo")
            .arg(&path)
            .output()
            .expect("tiffinfo");
        if libtiff.status.success() {
            continue;
        }
        refused += 1;
        let inspect = run(d, &["inspect", "m.tif"]);
        let said = String::from_utf8_lossy(&inspect.stdout);
        if said.contains("verdict: sound") || inspect.status.success() {
            wrong.push(name.clone());
        }
    }
    eprintln!(
        "{} mutations, {refused} refused by libtiff, {} called sound",
        files.len(),
        wrong.len()
    );
    assert!(refused > 300, "{refused}");
    assert!(
        wrong.is_empty(),
        "{} of {refused} libtiff refuses are \"sound\": {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
}

/// A classic TIFF of about `mb` MiB that is nothing but IFDs of 4096 one-SHORT entries
/// each (the hostile shape: many entries per byte of file). Each IFD is a sound 1 x 1
/// gray page (its one pixel is byte 8) with 4087 private tags, so that appending goes
/// all the way (a page with a problem is refused).
fn dense_ifds(path: &Path, mb: usize) -> u64 {
    const N: usize = 4096;
    // ImageWidth, ImageLength, BitsPerSample, Compression, Photometric, StripOffsets,
    // SamplesPerPixel, RowsPerStrip, StripByteCounts.
    const PAGE: [(u16, u16); 9] = [
        (256, 1),
        (257, 1),
        (258, 8),
        (259, 1),
        (262, 1),
        (273, 8),
        (277, 1),
        (278, 1),
        (279, 1),
    ];
    let ifd_len = 2 + 12 * N + 4;
    let count = (mb << 20) / ifd_len;
    let mut b = b"II*\0".to_vec();
    b.extend(16u32.to_le_bytes());
    b.extend([0u8; 8]);
    for i in 0..count {
        let at = b.len();
        b.extend((N as u16).to_le_bytes());
        for e in 0..N {
            let (tag, value) = PAGE.get(e).copied().unwrap_or((40000 + e as u16, 1));
            b.extend(tag.to_le_bytes());
            b.extend(3u16.to_le_bytes());
            b.extend(1u32.to_le_bytes());
            b.extend(u32::from(value).to_le_bytes());
        }
        let next = if i + 1 < count { at + ifd_len } else { 0 };
        b.extend((next as u32).to_le_bytes());
    }
    fs::write(path, &b).unwrap();
    b.len() as u64
}

/// Peak resident memory (bytes) of `wias ARGS` in `dir`, measured by the kernel
/// (getrusage of the child, through Python's resource module), and its output.
pub(super) fn peak_rss(dir: &Path, args: &[&str]) -> (u64, Output) {
    const SCRIPT: &str = "import resource, subprocess, sys\n\
        p = subprocess.run(sys.argv[1:], capture_output=True)\n\
        sys.stderr.write(p.stderr.decode(errors='replace'))\n\
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n\
        print(p.returncode)\n";
    let o = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let rss = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("rss");
    (rss, o)
}

/// Memory on a hostile TIFF of dense IFDs stays far below twice the file's size for
/// `wias inspect` and `wias write --append` (before the fix, 17 and 12.5 times it: the
/// whole chain was kept in memory, several times over).
#[test]
fn dense_ifds_do_not_take_memory_in_proportion_to_their_entries() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let len = dense_ifds(&d.join("dense.tif"), 8);
    pgm(d, "t.pgm", 8, 2, 1);
    let limit = 2 * len;
    let (inspect, o) = peak_rss(d, &["inspect", "dense.tif"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).lines().count() >= 2,
        "{}",
        stderr(&o)
    );
    let (append, o) = peak_rss(d, &["write", "--append", "-o", "dense.tif", "t.pgm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).ends_with("0\n"),
        "append failed: {}",
        stderr(&o)
    );
    eprintln!("{len}-byte file: inspect peak {inspect} bytes, append peak {append} bytes");
    assert!(
        inspect < limit,
        "inspect: {inspect} bytes at peak for a {len}-byte file"
    );
    assert!(
        append < limit,
        "append: {append} bytes at peak for a {len}-byte file"
    );
}

/// A device is written in place, not replaced by a rename (which would put a regular
/// file where /dev/null is).
#[cfg(unix)]
#[test]
fn a_device_as_the_output_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pgm(d, "a.pgm", 8, 2, 1);
    ok(&run(d, &["write", "-o", "/dev/null", "a.pgm"]));
    ok(&run(
        d,
        &["scan", "-o", "/dev/null", "--pages", "1", "--dpi", "10"],
    ));
    let t = fs::metadata("/dev/null").unwrap().file_type();
    assert!(t.is_char_device());
}

/// A gray PGM of `w`×`h` pixels of noise (Flate cannot shrink it much).
fn noise_pgm(dir: &Path, name: &str, w: u32, h: u32, seed: u32) {
    let mut b = format!("P5 {w} {h} 255\n").into_bytes();
    b.extend(support::pattern(w, h, 8, seed));
    fs::write(dir.join(name), &b).unwrap();
}

/// Pages of a PDF as poppler counts them, after a clean `qpdf --check`.
fn pdf_pages(path: &Path) -> usize {
    support::pdf_readers::qpdf_check(path).unwrap();
    support::pdf_readers::pdfinfo_pages(path).unwrap().len()
}

/// Items 1–3 for PDF output: a new PDF is staged beside its name like a TIFF, so two
/// `--append`s on a missing PDF keep both pages, a PDF another writer holds is never
/// replaced, and a first page that fails leaves the existing PDF byte for byte as it
/// was (before, `PdfFile::create` truncated it first).
#[test]
fn pdf_documents_are_staged_like_tiff_ones() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pgm(d, "a.pgm", 300, 200, 10);
    pgm(d, "b.pgm", 300, 200, 200);
    for r in 0..10 {
        let out = format!("race{r}.pdf");
        appends_at_once(d, &out, ["a.pgm", "b.pgm"]);
        assert_eq!(pdf_pages(&d.join(&out)), 2, "round {r}: a page was lost");
    }

    ok(&run(d, &["write", "-o", "doc.pdf", "a.pgm", "b.pgm"]));
    let before = fs::read(d.join("doc.pdf")).unwrap();
    noise_pgm(d, "big.pgm", 1000, 1000, 7);
    for args in [
        &["write", "-o", "doc.pdf", "big.pgm"][..],
        &["scan", "-o", "doc.pdf", "--mode", "gray", "--pages", "2"],
    ] {
        let o = run_limited(d, 200_000, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert_eq!(fs::read(d.join("doc.pdf")).unwrap(), before, "{args:?}");
        assert!(leftovers(d).is_empty(), "{args:?}: {:?}", leftovers(d));
    }

    let mut holder = support::hold_lock(d, "doc.pdf", 6);
    let attempts = [
        run(d, &["scan", "-o", "doc.pdf", "--pages", "1", "--dpi", "20"]),
        run(d, &["write", "-o", "doc.pdf", "a.pgm"]),
    ];
    let after = fs::read(d.join("doc.pdf")).unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();
    for o in &attempts {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
        assert!(stderr(o).contains("locked"), "{}", stderr(o));
    }
    assert_eq!(after, before, "the held PDF was changed");
    assert_eq!(pdf_pages(&d.join("doc.pdf")), 2);
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

/// A new document's first page streams from the PNM input (`-o` without `--append`),
/// into the staged file: a first page cut short partway through its raster, after
/// strips of it are in the staged file, fails ("truncated"), leaves the existing
/// document byte for byte as it was, no new document where there was none and no
/// temporary file, for every codec that streams (none is copied in the kernel, lzw and
/// deflate encoded strip by strip), gray and colour, from stdin (a file cut short is
/// refused before the output is touched, with the same outcome). A
/// whole first page replaces the document and equals its PNM raster as libtiff reads
/// it.
#[test]
fn a_streamed_first_page_cut_short_leaves_the_document_as_it_was() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let small = pgm(d, "small.pgm", 40, 30, 5);
    noise_pgm(d, "gray.pgm", 1000, 800, 7);
    let mut ppm = b"P6 600 500 255\n".to_vec();
    ppm.extend(support::pattern(600 * 3, 500, 8, 9));
    fs::write(d.join("rgb.ppm"), &ppm).unwrap();
    let raster = |name: &str, len: usize| {
        let b = fs::read(d.join(name)).unwrap();
        b[b.len() - len..].to_vec()
    };
    let gray = raster("gray.pgm", 1000 * 800);
    let rgb = raster("rgb.ppm", 600 * 500 * 3);
    for (whole, cut, len) in [
        ("gray.pgm", "gray-cut.pgm", 1000 * 800),
        ("rgb.ppm", "rgb-cut.ppm", 600 * 500 * 3),
    ] {
        let b = fs::read(d.join(whole)).unwrap();
        fs::write(d.join(cut), &b[..b.len() - len / 3]).unwrap();
    }
    ok(&run(
        d,
        &["write", "-o", "doc.tif", "small.pgm", "small.pgm"],
    ));
    let before = fs::read(d.join("doc.tif")).unwrap();
    for c in ["none", "lzw", "deflate"] {
        for cut in ["gray-cut.pgm", "rgb-cut.ppm"] {
            for out in ["doc.tif", "new.tif"] {
                let o = run(d, &["write", "--compression", c, "-o", out, cut]);
                let stdin = Command::new(bin())
                    .current_dir(d)
                    .args(["write", "--compression", c, "-o", out, "-"])
                    .stdin(fs::File::open(d.join(cut)).unwrap())
                    .output()
                    .unwrap();
                for (o, from) in [(o, cut), (stdin, "stdin")] {
                    let what = format!("{c} {cut} -o {out} from {from}");
                    assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
                    assert!(stderr(&o).contains("truncated"), "{what}: {}", stderr(&o));
                    assert_eq!(fs::read(d.join("doc.tif")).unwrap(), before, "{what}");
                    assert!(!d.join("new.tif").exists(), "{what}");
                    assert!(leftovers(d).is_empty(), "{what}: {:?}", leftovers(d));
                }
            }
        }
    }
    assert_eq!(pages(&d.join("doc.tif")), vec![small.clone(), small]);
    for c in ["none", "lzw", "deflate"] {
        ok(&run(
            d,
            &["write", "--compression", c, "-o", "doc.tif", "rgb.ppm"],
        ));
        assert!(
            pages(&d.join("doc.tif")) == vec![rgb.clone()],
            "{c}: colour page differs"
        );
        ok(&run(
            d,
            &[
                "write",
                "--compression",
                c,
                "-o",
                "doc.tif",
                "gray.pgm",
                "rgb.ppm",
            ],
        ));
        assert!(
            pages(&d.join("doc.tif")) == vec![gray.clone(), rgb.clone()],
            "{c}: pages differ"
        );
        assert!(leftovers(d).is_empty(), "{c}: {:?}", leftovers(d));
    }
}

/// The user the permission tests watch the staged file as: made (a system user with
/// no home) when the tests run as root; `None`, with a message, otherwise.
fn peer_user() -> Option<String> {
    let root = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        eprintln!(
            "skipped: needs root, to make a second user (useradd) that watches the staged file"
        );
        return None;
    }
    const PEER: &str = "wias-peer";
    let known = Command::new("id")
        .arg(PEER)
        .output()
        .unwrap()
        .status
        .success();
    if !known {
        let st = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                PEER,
            ])
            .status()
            .expect("useradd (passwd)");
        // Another test process may have made it meanwhile.
        assert!(
            st.success() || Command::new("id").arg(PEER).status().unwrap().success(),
            "useradd {PEER} failed"
        );
    }
    Some(PEER.into())
}

/// Watches `dir` as `user` with inotify: every staged file created there is opened
/// for reading at once. Prints "ready" once watching, and on a file named `stop`
/// the number of staged files created and how many of them it could read.
const WATCHER: &str = r#"
import ctypes, os, struct, sys
d = sys.argv[1]
libc = ctypes.CDLL("libc.so.6", use_errno=True)
fd = libc.inotify_init()
assert fd >= 0 and libc.inotify_add_watch(fd, d.encode(), 0x100) >= 0  # IN_CREATE
print("ready", flush=True)
created = readable = 0
while True:
    buf = os.read(fd, 1 << 16)
    at = 0
    while at < len(buf):
        wd, mask, cookie, n = struct.unpack_from("iIII", buf, at)
        name = buf[at + 16 : at + 16 + n].rstrip(b"\0").decode()
        at += 16 + n
        if name == "stop":
            print(created, readable, flush=True)
            sys.exit(0)
        if name.endswith(".wias-partial"):
            created += 1
            try:
                with open(os.path.join(d, name), "rb") as f:
                    f.read(1)
                readable += 1
            except OSError:
                pass
"#;

/// Item 5 (a): replacing a 0600 document (TIFF, then PDF) 40 times each while
/// another user watches the folder: every staged file is created 0600 (the document's
/// permissions) from the start, so the other user reads none of the 80 (before: about
/// half, in the moment between the file's creation at 0644 and its chmod), and the
/// documents stay 0600. Needs root (it makes the user); skipped otherwise.
#[test]
fn another_user_never_reads_the_staged_replacement_of_a_private_document() {
    use std::io::BufRead;
    use std::os::unix::fs::PermissionsExt;
    let Some(peer) = peer_user() else { return };
    // In /tmp, which the other user can reach whatever TMPDIR says.
    let dir = tempfile::Builder::new().tempdir_in("/tmp").unwrap();
    let d = dir.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    pgm(d, "a.pgm", 300, 200, 99);
    for doc in ["doc.tif", "doc.pdf"] {
        ok(&run(d, &["write", "-o", doc, "a.pgm"]));
        fs::set_permissions(d.join(doc), fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut watcher = Command::new("setpriv")
        .args(["--reuid", &peer, "--regid", &peer, "--clear-groups"])
        .args(["/usr/bin/python3", "-c", WATCHER])
        .arg(d)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("setpriv (util-linux) and /usr/bin/python3");
    let mut out = std::io::BufReader::new(watcher.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the watcher did not start");
    for _ in 0..40 {
        for doc in ["doc.tif", "doc.pdf"] {
            ok(&run(d, &["write", "-o", doc, "a.pgm"]));
        }
    }
    fs::write(d.join("stop"), b"").unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    watcher.wait().unwrap();
    let counts: Vec<u32> = line
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(
        counts[0], 80,
        "staged files the watcher saw created: {line}"
    );
    assert_eq!(counts[1], 0, "staged files another user could read: {line}");
    for doc in ["doc.tif", "doc.pdf"] {
        let mode = fs::metadata(d.join(doc)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{doc}");
    }
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

/// Item 5 (d): documents whose names are 234 to 255 bytes long (NAME_MAX) are
/// written and replaced, TIFF, PDF and BMP: the staged name is cut to fit. (Before,
/// names of 235 bytes and more failed: the staged name adds 21 bytes.)
#[test]
fn file_names_up_to_name_max_are_written_and_replaced() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let a = pgm(d, "a.pgm", 30, 20, 44);
    pgm(d, "b.pgm", 30, 20, 45);
    for len in [234, 235, 236, 250, 254, 255] {
        for ext in ["tif", "pdf", "bmp"] {
            let name = format!("{}.{ext}", "n".repeat(len - 4));
            assert_eq!(name.len(), len);
            ok(&run(d, &["write", "-o", &name, "a.pgm"]));
            let o = run(d, &["write", "-o", &name, "b.pgm"]);
            assert!(o.status.success(), "{len} bytes, {ext}: {}", stderr(&o));
            if ext == "tif" {
                assert_eq!(pages(&d.join(&name)), vec![vec![45; 600]]);
                ok(&run(d, &["write", "--append", "-o", &name, "a.pgm"]));
                assert_eq!(pages(&d.join(&name)), vec![vec![45; 600], a.clone()]);
            }
            if ext == "pdf" {
                support::pdf_readers::qpdf_check(&d.join(&name)).unwrap();
            }
        }
    }
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

/// Item 5 (f): `--append` waits the same 2 s for another writer's lock on a PDF as on
/// a TIFF: held for 1 s by `flock`, both appends succeed with the page added. (Before,
/// the PDF append gave up after 100 ms: "locked", 10 of 10 rounds.)
#[test]
fn append_waits_the_same_for_a_pdf_as_for_a_tiff() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pgm(d, "a.pgm", 30, 20, 44);
    for doc in ["doc.tif", "doc.pdf"] {
        ok(&run(d, &["write", "-o", doc, "a.pgm"]));
        let mut holder = support::hold_lock(d, doc, 1);
        let o = run(d, &["write", "--append", "-o", doc, "a.pgm"]);
        holder.wait().unwrap();
        assert!(o.status.success(), "{doc}: {}", stderr(&o));
    }
    assert_eq!(support::libtiff_page_count(&d.join("doc.tif")), 2);
    let pdf = d.join("doc.pdf");
    support::pdf_readers::qpdf_check(&pdf).unwrap();
    assert_eq!(support::pdf_readers::pdfinfo_pages(&pdf).unwrap().len(), 2);
}

/// Item 5 (b): a write-protected document (0444) is refused by `write`, `write
/// --append` and `scan`, TIFF and PDF, and left byte for byte as it was, the message
/// naming `--force`; with `--force` it is replaced (keeping its 0444) or added to.
/// (Before, it was replaced silently.)
#[test]
fn a_write_protected_document_is_refused_unless_forced() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let a = pgm(d, "a.pgm", 30, 20, 44);
    let b = pgm(d, "b.pgm", 30, 20, 45);
    for doc in ["doc.tif", "doc.pdf"] {
        ok(&run(d, &["write", "-o", doc, "a.pgm"]));
        fs::set_permissions(d.join(doc), fs::Permissions::from_mode(0o444)).unwrap();
        let before = fs::read(d.join(doc)).unwrap();
        let attempts: [&[&str]; 3] = [
            &["write", "-o", doc, "b.pgm"],
            &["write", "--append", "-o", doc, "b.pgm"],
            &["scan", "--pages", "1", "--dpi", "20", "-o", doc],
        ];
        for args in attempts {
            let o = run(d, args);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
            assert!(
                e.starts_with(&format!("wias: {doc}: the file is write-protected")),
                "{e}"
            );
            assert!(e.contains("--force"), "{e}");
            assert_eq!(fs::read(d.join(doc)).unwrap(), before, "{args:?}");
        }
        ok(&run(d, &["write", "--force", "-o", doc, "b.pgm"]));
        ok(&run(
            d,
            &["write", "--force", "--append", "-o", doc, "a.pgm"],
        ));
        let mode = fs::metadata(d.join(doc)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o444, "{doc} keeps its permissions");
    }
    assert_eq!(pages(&d.join("doc.tif")), vec![b, a]);
    assert_eq!(
        support::pdf_readers::pdfinfo_pages(&d.join("doc.pdf"))
            .unwrap()
            .len(),
        2
    );
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

/// Writes `args` (whose `-o` is the FIFO `fifo` in `dir`) while a reader drains the
/// FIFO; returns wias's outcome and what came out of the FIFO.
fn through_fifo(dir: &Path, fifo: &str, args: &[&str]) -> (Output, Vec<u8>) {
    let path = dir.join(fifo);
    // Opening a FIFO for reading waits for its writer, and wias's open for writing
    // waits for its reader: each side waits for the other, never for a guessed time.
    let reader = std::thread::spawn(move || fs::read(path).unwrap());
    let o = run(dir, args);
    if !o.status.success() {
        // wias may have failed before opening the FIFO: open its write side without
        // waiting (O_NONBLOCK; ENXIO when the reader is gone already), so that the
        // reader's open returns.
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000; // Linux
        drop(
            fs::OpenOptions::new()
                .write(true)
                .custom_flags(O_NONBLOCK)
                .open(dir.join(fifo)),
        );
    }
    (o, reader.join().unwrap())
}

/// Item 5 (c): `-o FIFO` gives the TIFF or PDF as a stream (as `-o -` does), for
/// `write` and `scan`; PDF and TIFF to /dev/null succeed; `--append` to a FIFO is a
/// usage error that does not wait for a reader. (Before, TIFF and PDF into a FIFO
/// failed "Illegal seek", and PDF to /dev/null failed truncating it.)
#[test]
fn fifos_and_devices_take_tiff_and_pdf_streams() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let a = pgm(d, "a.pgm", 30, 20, 44);
    let b = pgm(d, "b.pgm", 30, 20, 45);
    let st = Command::new("mkfifo").arg(d.join("pipe")).status().unwrap();
    assert!(st.success(), "mkfifo (coreutils)");
    let (o, tiff) = through_fifo(d, "pipe", &["write", "-o", "pipe", "a.pgm", "b.pgm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    fs::write(d.join("got.tif"), tiff).unwrap();
    assert_eq!(pages(&d.join("got.tif")), vec![a.clone(), b.clone()]);
    let (o, pdf) = through_fifo(
        d,
        "pipe",
        &["write", "--format", "pdf", "-o", "pipe", "a.pgm", "b.pgm"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    fs::write(d.join("got.pdf"), pdf).unwrap();
    support::pdf_readers::qpdf_check(&d.join("got.pdf")).unwrap();
    let images: Vec<Vec<u8>> = support::pdf_readers::pdfimages_pixels(&d.join("got.pdf"))
        .unwrap()
        .into_iter()
        .map(|p| p.data)
        .collect();
    assert_eq!(images, vec![a.clone(), b.clone()]);
    for format in ["tiff", "pdf"] {
        let scan = ["scan", "--pages", "2", "--dpi", "20", "--format", format];
        let (o, doc) = through_fifo(d, "pipe", &[&scan[..], &["-o", "pipe"]].concat());
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        let name = format!("scan.{format}");
        fs::write(d.join(&name), doc).unwrap();
        if format == "tiff" {
            assert_eq!(support::libtiff_page_count(&d.join(&name)), 2);
        } else {
            support::pdf_readers::qpdf_check(&d.join(&name)).unwrap();
            assert_eq!(
                support::pdf_readers::pdfinfo_pages(&d.join(&name))
                    .unwrap()
                    .len(),
                2
            );
        }
        ok(&run(d, &[&scan[..], &["-o", "/dev/null"]].concat()));
        ok(&run(
            d,
            &[
                "write",
                "--format",
                format,
                "-o",
                "/dev/null",
                "a.pgm",
                "b.pgm",
            ],
        ));
    }
    let o = run(d, &["write", "--append", "-o", "pipe", "a.pgm"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--append needs a regular file"),
        "{}",
        stderr(&o)
    );
}

/// Item 5 (e): `wias write -o existing a.pgm CUT` where CUT is cut short (P5, P4, a
/// 16-bit P6, the second image of a two-image file) is refused before the output is
/// touched: the 3-page TIFF or PDF stays byte for byte, exit 1, the message naming the
/// input. A stream on stdin cannot be checked ahead: cut short, it fails at its page,
/// and the PDF message names the output as the TIFF one does. (Before, the 3-page
/// document was replaced by a 1-page one.)
#[test]
fn an_input_cut_short_is_refused_before_the_output_is_touched() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pgm(d, "a.pgm", 30, 20, 44);
    let whole: [(&str, Vec<u8>); 4] = [
        ("p5.pgm", [&b"P5 30 20 255\n"[..], &[7; 600]].concat()),
        ("p4.pbm", [&b"P4 30 20\n"[..], &[0x55; 80]].concat()),
        ("p6.ppm", [&b"P6 5 4 65535\n"[..], &[9; 120]].concat()),
        (
            "two.pgm",
            [
                &b"P5 30 20 255\n"[..],
                &[7; 600],
                b"P5 30 20 255\n",
                &[8; 600],
            ]
            .concat(),
        ),
    ];
    for (name, bytes) in &whole {
        fs::write(d.join(name), &bytes[..bytes.len() - 1]).unwrap();
    }
    for doc in ["doc.tif", "doc.pdf"] {
        ok(&run(d, &["write", "-o", doc, "a.pgm", "a.pgm", "a.pgm"]));
        let before = fs::read(d.join(doc)).unwrap();
        for (name, _) in &whole {
            let o = run(d, &["write", "-o", doc, "a.pgm", name]);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{doc} {name}: {e}");
            assert!(e.starts_with(&format!("wias: {name}: ")), "{e}");
            assert!(e.contains("the file is truncated in image"), "{e}");
            assert!(e.contains("nothing was written"), "{e}");
            assert_eq!(fs::read(d.join(doc)).unwrap(), before, "{doc} {name}");
        }
        // stdin: a.pgm, then p5.pgm cut short.
        let mut input = fs::read(d.join("a.pgm")).unwrap();
        input.extend(fs::read(d.join("p5.pgm")).unwrap());
        let o = super::run_stdin(d, &["write", "-o", doc, "-"], &input);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(e.starts_with(&format!("wias: {doc} (stdin): ")), "{e}");
    }
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

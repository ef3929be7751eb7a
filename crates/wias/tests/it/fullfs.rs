//! A full disk or a file-size limit: the write of page N fails with an error that
//! `Error::is_medium_full()` recognises and `Error::hresult()` turns into
//! `STG_E_MEDIUMFULL`, and pages 1..N-1 are intact.
//!
//! The limit is real: a child process (this test binary, re-run as `fullfs_child`) runs
//! under `RLIMIT_FSIZE` (set with `prlimit`) with SIGXFSZ ignored (by `sh`'s `trap`,
//! inherited across exec), so the kernel fails the write with EFBIG. ENOSPC comes from
//! `/dev/full`.
use wias_testsupport as support;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use wias::tiff::{Options, TiffFile, TiffWriter};
use wias::{hresult, PageSpec, PixelType};

fn page(i: u32) -> (PageSpec, Vec<u8>) {
    let pixel = PixelType::ALL[i as usize % PixelType::ALL.len()];
    let (w, h) = (60 + i % 9, 30 + i % 7);
    (
        PageSpec::new(w, h, pixel),
        support::pattern(w, h, pixel.depth(), i),
    )
}

/// The child: writes pages into `WIAS_FULL_OUT` until a write fails, acknowledging each
/// page, then reports the error.
/// Ignored, so a plain test run lists it as a helper, not as a test that passed.
/// The child's line for an error: whether it is a full medium, its HRESULT, the text.
fn report(out: &mut impl Write, e: &wias::Error) {
    writeln!(out, "\nERR {} {:#x} {e}", e.is_medium_full(), e.hresult()).unwrap();
}

#[test]
#[ignore = "helper process of the full-medium tests, run by them"]
fn fullfs_child() {
    let out = std::env::var("WIAS_FULL_OUT")
        .expect("run by the full-medium tests, which set WIAS_FULL_OUT");
    let mut stdout = std::io::stdout().lock();
    let mut doc = match TiffWriter::create(&out, Options::default()) {
        Ok(d) => d,
        Err(e) => return report(&mut stdout, &e),
    };
    for i in 0..10_000 {
        let (spec, data) = page(i);
        match doc.write_page(&spec, &data) {
            Ok(_) => writeln!(stdout, "\nACK {}", i + 1).unwrap(),
            Err(e) => {
                report(&mut stdout, &e);
                // A second try fails the same way and still harms nothing.
                let again = doc.write_page(&spec, &data).unwrap_err();
                writeln!(stdout, "\nAGAIN {}", again.is_medium_full()).unwrap();
                return;
            }
        }
    }
}

/// Runs the child with a file-size limit of `limit` bytes; returns (acknowledged
/// pages, the error line, the repeat line).
fn run_limited(path: &Path, limit: u64) -> (u32, String, String) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; exec prlimit --fsize="$WIAS_FSIZE" "$0" "$@""#)
        .arg(&exe)
        .args([
            "fullfs::fullfs_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WIAS_FULL_OUT", path)
        .env("WIAS_FSIZE", limit.to_string())
        .output()
        .expect("sh and prlimit (util-linux)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child died: {:?}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let acked = text.matches("\nACK ").count() as u32;
    let line = |p: &str| {
        text.lines()
            .find(|l| l.starts_with(p))
            .unwrap_or_else(|| panic!("no {p} line in {text}"))
            .to_string()
    };
    let again = if acked > 0 || text.contains("AGAIN") {
        line("AGAIN")
    } else {
        String::new()
    };
    (acked, line("ERR"), again)
}

#[test]
fn a_file_size_limit_fails_page_n_with_medium_full_and_keeps_pages_before_it() {
    let dir = tempfile::tempdir().unwrap();
    for limit in [30_000u64, 100_001, 257_000] {
        let path = dir.path().join(format!("limit{limit}.tif"));
        let (acked, err, again) = run_limited(&path, limit);
        assert!(acked >= 2, "limit {limit}: only {acked} pages fit");
        // "ERR <is_medium_full> <hresult> <message>"
        let want = format!("ERR true {:#x} ", hresult::STG_E_MEDIUMFULL as u32);
        assert!(err.starts_with(&want), "limit {limit}: {err}");
        assert!(
            err.contains(&format!("writing page {}'s", acked + 1)),
            "the message names the page: {err}"
        );
        assert!(
            err.contains("the disk is full or a file-size limit was reached"),
            "{err}"
        );
        assert!(
            err.contains(&format!("pages 1..{acked} are intact")),
            "{err}"
        );
        assert_eq!(again, "AGAIN true");
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len <= limit, "the file ({len}) is within the limit");
        // Pages 1..N-1 are intact: libtiff reads exactly them, pixel for pixel.
        let file = TiffFile::read(&mut std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(file.directories.len() as u32, acked);
        assert!(file.problems().is_empty(), "{:?}", file.problems());
        support::tiffinfo_clean(&path).unwrap();
        let pages = support::libtiff_pages(&path).unwrap();
        assert_eq!(pages.len() as u32, acked);
        for (i, got) in pages.iter().enumerate() {
            assert_eq!(got.data, page(i as u32).1, "limit {limit}: page {}", i + 1);
        }
        let pages = support::tiff_crate_pages(&path).unwrap();
        assert_eq!(pages.len() as u32, acked);
        for (i, got) in pages.iter().enumerate() {
            assert_eq!(
                got.data,
                page(i as u32).1,
                "tiff crate, limit {limit}: page {}",
                i + 1
            );
        }
    }
}

#[test]
fn a_limit_smaller_than_the_header_fails_create_with_medium_full() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.tif");
    let (acked, err, _) = run_limited(&path, 10);
    assert_eq!(acked, 0);
    let want = format!("ERR true {:#x} ", hresult::STG_E_MEDIUMFULL as u32);
    assert!(err.starts_with(&want), "{err}");
    assert!(err.contains("TIFF header"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_device_fails_with_medium_full() {
    // /dev/full fails every write with ENOSPC.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let err = match TiffWriter::new(f, Options::default()) {
        Err(e) => e,
        Ok(_) => panic!("writing to /dev/full succeeded"),
    };
    assert!(err.is_medium_full(), "{err}");
    assert_eq!(err.hresult(), hresult::STG_E_MEDIUMFULL);
    assert!(err.to_string().contains("No space left on device"), "{err}");
}

#[test]
fn a_file_size_quota_refuses_the_page_before_writing_it() {
    // Options::max_file_size: a quota the library keeps itself, reported as a full
    // medium, and checked before a byte of the page is written.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quota.tif");
    let mut doc = TiffWriter::create(&path, Options::default().max_file_size(20_000)).unwrap();
    let mut n = 0;
    let err = loop {
        let (spec, data) = page(n);
        match doc.write_page(&spec, &data) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(n >= 2 && len <= 20_000, "{n} pages, {len} bytes");
    assert!(err.is_medium_full(), "{err}");
    assert_eq!(err.hresult(), hresult::STG_E_MEDIUMFULL);
    assert!(
        err.to_string().contains("file size limit of 20000 bytes"),
        "{err}"
    );
    drop(doc);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        len,
        "nothing written"
    );
    let pages = support::libtiff_pages(&path).unwrap();
    assert_eq!(pages.len() as u32, n);
    for (i, got) in pages.iter().enumerate() {
        assert_eq!(got.data, page(i as u32).1);
    }
}

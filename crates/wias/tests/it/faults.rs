//! Crash safety: a sink that fails its k-th write (cleanly, or after part of the bytes
//! reached the file) at every k of a three-page document. After each failure the file
//! holds exactly the pages whose call returned Ok, pixel for pixel, as libtiff reads
//! it; going on writing after the failure still gives a sound file with every page that
//! succeeded, before and after. The same for the transfer-context path.
use wias_testsupport as support;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use wias::context::tymed;
use wias::tiff::{Options, TiffWriter};
use wias::{guids, transfer, PageSpec, PixelType, TransferContext};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// The write returns an error, nothing written.
    Clean,
    /// Half of the bytes reach the file, then the error.
    Half,
    /// All bytes but the last reach the file, then the error.
    AllButOne,
    /// The disk is full from this write on: this and every later write fails (ENOSPC).
    Full,
}

/// The failed call's error is the injected one, reported as it should be.
fn assert_injected(e: &wias::Error, fault: Fault, when: &str) {
    if fault == Fault::Full {
        assert!(e.is_medium_full(), "{when}: {e}");
        assert_eq!(e.hresult(), wias::hresult::STG_E_MEDIUMFULL, "{when}: {e}");
    } else {
        assert!(e.to_string().contains("injected fault"), "{when}: {e}");
    }
}

/// A file that fails its `fail_at`-th write call (1-based) as `fault` says; every other
/// call goes through. Counts calls so a clean run tells how many there are.
struct FaultyFile {
    file: File,
    writes: usize,
    fail_at: usize,
    fault: Fault,
    /// The length of the write the fault struck, once it has.
    faulted: Option<usize>,
}

impl FaultyFile {
    fn create(path: &Path, fail_at: usize, fault: Fault) -> Self {
        let file = support::new_rw_file(path);
        FaultyFile {
            file,
            writes: 0,
            fail_at,
            fault,
            faulted: None,
        }
    }
}

impl Write for FaultyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        if self.fault == Fault::Full && self.writes >= self.fail_at {
            self.faulted.get_or_insert(buf.len());
            return Err(io::Error::from_raw_os_error(28));
        }
        if self.writes != self.fail_at {
            return self.file.write(buf);
        }
        self.faulted = Some(buf.len());
        let part = match self.fault {
            Fault::Clean => 0,
            Fault::Half => buf.len() / 2,
            Fault::AllButOne => buf.len().saturating_sub(1),
            Fault::Full => unreachable!(),
        };
        self.file.write_all(&buf[..part])?;
        Err(io::Error::other(format!(
            "injected fault at write {} after {part} of {} bytes",
            self.writes,
            buf.len()
        )))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Read for FaultyFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Seek for FaultyFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

fn pages() -> Vec<(PageSpec, Vec<u8>)> {
    [
        PageSpec::new(1728, 40, PixelType::Bilevel),
        PageSpec::new(9, 17, PixelType::Gray16),
        PageSpec::new(13, 5, PixelType::Rgb24),
        PageSpec::new(7, 3, PixelType::Gray8),
        PageSpec::new(2481, 3, PixelType::Rgb48),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, s)| {
        let d = support::pattern(s.width, s.lines, s.pixel.depth(), 40 + i as u32);
        (s, d)
    })
    .collect()
}

/// libtiff reads exactly `want` from `path` (no page when `want` is empty).
fn holds_exactly(path: &Path, want: &[&(PageSpec, Vec<u8>)], when: &str) {
    if want.is_empty() {
        // No page: the file may have stopped inside its 8-byte header (libtiff then
        // cannot read one, which is right); a whole header lists no directory.
        let len = std::fs::metadata(path).unwrap().len();
        if len >= 8 {
            assert_eq!(support::libtiff_page_count(path), 0, "{when}");
        }
        return;
    }
    assert_eq!(
        support::libtiff_page_count(path),
        want.len(),
        "{when}: page count"
    );
    support::tiffinfo_clean(path).unwrap_or_else(|e| panic!("{when}: {e}"));
    let got = support::libtiff_pages(path).unwrap_or_else(|e| panic!("{when}: {e}"));
    assert_eq!(got.len(), want.len(), "{when}");
    for (i, (g, (s, d))) in got.iter().zip(want).enumerate() {
        assert_eq!((g.width, g.height), (s.width, s.lines), "{when}: page {i}");
        assert!(&g.data == d, "{when}: page {i} pixels differ");
    }
}

/// Write calls a fault-free `TiffWriter` run of the first three pages makes: the range
/// of k to try.
fn count_writes(dir: &Path, options: &Options) -> usize {
    let path = dir.join("count.tif");
    let sink = FaultyFile::create(&path, usize::MAX, Fault::Clean);
    let mut doc = TiffWriter::new(sink, options.clone()).unwrap();
    for (s, d) in &pages()[..3] {
        doc.write_page(s, d).unwrap();
    }
    doc.get_ref().writes
}

/// Runs one fault scenario through `TiffWriter` on the first three pages, checking
/// the file after the failure; then writes the two remaining pages. Returns which of
/// the five calls succeeded, and the length of the write the fault struck.
fn writer_run(
    path: &Path,
    fail_at: usize,
    fault: Fault,
    options: &Options,
) -> (Vec<bool>, Option<usize>) {
    let pages = pages();
    let when = format!("write {fail_at} failing ({fault:?})");
    let mut doc = match TiffWriter::new(FaultyFile::create(path, fail_at, fault), options.clone()) {
        Ok(d) => d,
        Err(e) => {
            assert_injected(&e, fault, &when);
            return (vec![false], Some(16));
        }
    };
    let mut ok = Vec::new();
    let mut checked = false;
    for (i, (s, d)) in pages.iter().enumerate() {
        let r = doc.write_page(s, d);
        ok.push(r.is_ok());
        if let Err(e) = r {
            assert_injected(&e, fault, &when);
            if checked {
                continue; // a full disk fails every later page too
            }
            checked = true;
            let good: Vec<_> = pages
                .iter()
                .zip(&ok)
                .filter(|(_, &k)| k)
                .map(|(p, _)| p)
                .collect();
            assert_eq!(
                doc.pages() as usize,
                good.len(),
                "{when}: pages() after the failure"
            );
            holds_exactly(path, &good, &format!("{when}, right after page {i} failed"));
        }
    }
    let faulted = doc.get_ref().faulted;
    doc.finish().unwrap();
    let good: Vec<_> = pages
        .iter()
        .zip(&ok)
        .filter(|(_, &k)| k)
        .map(|(p, _)| p)
        .collect();
    holds_exactly(path, &good, &format!("{when}, after writing on"));
    (ok, faulted)
}

/// Bytes of the chain tail written after each linked page (`tiff/tail.rs`).
const TAIL_LEN: usize = 32;

/// A fault in a chain tail, which is written after its page is linked and only as a
/// help for the next reopen, fails no page (the run checked all five are there); the
/// torn tail fails its check on reopen, which then walks the chain: the next append
/// adds a page that libtiff reads after the others.
fn a_torn_tail_is_walked_past(path: &Path, options: &Options, k: usize) {
    let (s, d) = &pages()[3];
    let mut doc = TiffWriter::append(path, options.clone())
        .unwrap_or_else(|e| panic!("write {k}: reopening after a torn tail: {e}"));
    doc.write_page(s, d).unwrap();
    doc.finish().unwrap();
    assert_eq!(support::libtiff_page_count(path), 6, "write {k}");
}

/// A passing fault fails one call; a full disk fails that call and every later one.
fn failed_as_expected(ok: &[bool], fault: Fault, k: usize) {
    let first = ok.iter().position(|&x| !x);
    let first = first.unwrap_or_else(|| panic!("write {k}: no call failed"));
    let failed = ok.iter().filter(|&&x| !x).count();
    if fault == Fault::Full {
        assert_eq!(failed, ok.len() - first, "write {k}: {ok:?}");
    } else {
        assert_eq!(failed, 1, "write {k}: exactly one page fails: {ok:?}");
    }
}

fn writer_faults(fault: Fault) {
    writer_faults_with(fault, &Options::default());
}

fn writer_faults_with(fault: Fault, options: &Options) {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        writer_run(&dir.path().join("clean.tif"), usize::MAX, fault, options)
            .0
            .iter()
            .all(|&x| x)
    );
    let total = count_writes(dir.path(), options);
    assert!(total >= 7, "only {total} writes for three pages?");
    for k in 1..=total {
        let path = dir.path().join(format!("k{k}.tif"));
        let (ok, faulted) = writer_run(&path, k, fault, options);
        if k > 1 {
            if ok.iter().all(|&x| x) && faulted == Some(TAIL_LEN) && fault != Fault::Full {
                a_torn_tail_is_walked_past(&path, options, k);
                continue;
            }
            failed_as_expected(&ok, fault, k);
        }
    }
}

#[test]
fn writer_survives_a_failed_write_at_every_point() {
    writer_faults(Fault::Clean);
}

#[test]
fn writer_survives_a_half_done_write_at_every_point() {
    writer_faults(Fault::Half);
}

#[test]
fn writer_survives_an_all_but_one_byte_write_at_every_point() {
    writer_faults(Fault::AllButOne);
}

/// Pages of many small strips encoded on two threads: continuous-tone pages go to the
/// file strip by strip as they are encoded (`write_page_streamed`), so a fault can
/// strike between two strips of a page; that page fails and every other one is whole.
fn streamed() -> Options {
    Options::default()
        .strip_bytes(64)
        .codec(wias::CodecSettings::new(wias::Compression::Deflate).threads(2))
}

#[test]
fn streamed_pages_survive_a_half_done_write_at_every_point() {
    writer_faults_with(Fault::Half, &streamed());
}

#[test]
fn streamed_pages_survive_a_full_disk_at_every_point() {
    writer_faults_with(Fault::Full, &streamed());
}

/// The context path: pages through `write_page_buf`, each page with a context whose
/// page fields are those the library left after the last page that succeeded.
fn context_run(path: &Path, fail_at: usize, fault: Fault) -> Vec<bool> {
    let pages = pages();
    let when = format!("context, write {fail_at} failing ({fault:?})");
    let mut sink = FaultyFile::create(path, fail_at, fault);
    let mut ok = Vec::new();
    for (i, (s, d)) in pages.iter().enumerate() {
        let mut ctx = TransferContext::new(
            s.width as i32,
            s.lines as i32,
            s.pixel.depth() as i32,
            guids::TIFF,
            tymed::MULTIPAGE_FILE,
        );
        ctx.image_information().unwrap();
        if i > 0 {
            let (cur, prev, page) = state(&ok);
            ctx.cur_ifd_offset = cur;
            ctx.prev_ifd_offset = prev;
            ctx.page = page;
        }
        let before = (ctx.cur_ifd_offset, ctx.prev_ifd_offset);
        let page_before = ctx.page;
        let r = transfer::write_page_buf(&mut ctx, &mut sink, d);
        match r {
            Ok(()) => {
                ok.push(Some((ctx.cur_ifd_offset, ctx.prev_ifd_offset)));
            }
            Err(e) => {
                assert_injected(&e, fault, &when);
                assert_eq!(
                    (ctx.cur_ifd_offset, ctx.prev_ifd_offset),
                    before,
                    "{when}: context changed"
                );
                assert_eq!(ctx.page, page_before, "{when}: lPage changed");
                ok.push(None);
                let good: Vec<_> = pages
                    .iter()
                    .zip(&ok)
                    .filter(|(_, k)| k.is_some())
                    .map(|(p, _)| p)
                    .collect();
                holds_exactly(path, &good, &format!("{when}, right after page {i} failed"));
            }
        }
    }
    let good: Vec<_> = pages
        .iter()
        .zip(&ok)
        .filter(|(_, k)| k.is_some())
        .map(|(p, _)| p)
        .collect();
    holds_exactly(path, &good, &format!("{when}, after writing on"));
    ok.iter().map(Option::is_some).collect()
}

/// lCurIfdOffset, lPrevIfdOffset and lPage for the next call, from the last success.
fn state(ok: &[Option<(i32, i32)>]) -> (i32, i32, i32) {
    let n = ok.iter().filter(|k| k.is_some()).count() as i32;
    match ok.iter().rev().flatten().next() {
        Some(&(cur, prev)) => (cur, prev, n),
        None => (0, 0, 0),
    }
}

fn context_faults(fault: Fault) {
    let dir = tempfile::tempdir().unwrap();
    let ok = context_run(&dir.path().join("clean.tif"), usize::MAX, Fault::Clean);
    assert!(ok.iter().all(|&x| x));
    // Count the write calls of the first three pages.
    let path: PathBuf = dir.path().join("count.tif");
    let mut sink = FaultyFile::create(&path, usize::MAX, Fault::Clean);
    let mut fields = (0, 0, 0); // lPage, lCurIfdOffset, lPrevIfdOffset, as the library left them
    for (s, d) in pages()[..3].iter() {
        let mut ctx = TransferContext::new(
            s.width as i32,
            s.lines as i32,
            s.pixel.depth() as i32,
            guids::TIFF,
            tymed::MULTIPAGE_FILE,
        );
        ctx.image_information().unwrap();
        (ctx.page, ctx.cur_ifd_offset, ctx.prev_ifd_offset) = fields;
        transfer::write_page_buf(&mut ctx, &mut sink, d).unwrap();
        fields = (ctx.page, ctx.cur_ifd_offset, ctx.prev_ifd_offset);
    }
    let total = sink.writes;
    assert!(total >= 7, "only {total} writes for three pages?");
    for k in 1..=total {
        let ok = context_run(&dir.path().join(format!("k{k}.tif")), k, fault);
        failed_as_expected(&ok, fault, k);
    }
}

#[test]
fn context_path_survives_a_failed_write_at_every_point() {
    context_faults(Fault::Clean);
}

#[test]
fn context_path_survives_a_half_done_write_at_every_point() {
    context_faults(Fault::Half);
}

#[test]
fn context_path_survives_an_all_but_one_byte_write_at_every_point() {
    context_faults(Fault::AllButOne);
}

#[test]
fn writer_keeps_every_page_before_a_full_disk() {
    writer_faults(Fault::Full);
}

#[test]
fn context_path_keeps_every_page_before_a_full_disk() {
    context_faults(Fault::Full);
}

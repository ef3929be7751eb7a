//! The TIFF writer keeps nothing per page: its resident memory after 21,000 pages is
//! what it was after 1,000 (issue 27 item 1; it kept every page's directory for a
//! BigTIFF promotion, about 1 KiB a page, 20+ MiB here). A test binary of its own, so
//! that no other test's allocations move the process's RSS while it measures.
#![cfg(target_os = "linux")]

use wias::tiff::{BigTiff, DateTime, Options, TiffWriter, Variant};
use wias::{CodecSettings, Compression, PageSpec, PixelType};
use wias_testsupport as support;

/// Resident set size of this process in bytes (/proc/self/statm, second field).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn the_writer_memory_does_not_grow_with_the_page_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.tif");
    let opts = Options::default()
        .codec(CodecSettings::new(Compression::None).threads(1))
        .date_time(DateTime::Omit)
        // Promotable (the default): the directories were kept for that.
        .bigtiff(BigTiff::PromoteAt(u64::from(u32::MAX)));
    let mut doc = TiffWriter::create(&path, opts).unwrap();
    let spec = PageSpec::new(16, 4, PixelType::Gray8);
    let rows: Vec<u8> = (0..64).collect();
    for _ in 0..1000 {
        doc.write_page(&spec, &rows).unwrap();
    }
    let after_1000 = rss();
    for _ in 0..20_000 {
        doc.write_page(&spec, &rows).unwrap();
    }
    let after_21000 = rss();
    assert_eq!(doc.variant(), Variant::Classic);
    drop(doc.finish().unwrap());
    let grown = after_21000.saturating_sub(after_1000);
    assert!(
        grown < 4 << 20,
        "resident memory grew by {grown} bytes over 20,000 pages ({} a page)",
        grown / 20_000
    );
    // And every page is there, for libtiff.
    assert_eq!(support::libtiff_page_count(&path), 21_000);
}

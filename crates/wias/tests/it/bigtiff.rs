//! BigTIFF past the classic limit: a file that would outgrow its 32-bit offsets is
//! promoted to BigTIFF in place (strip data never move), BigTIFF files read and append,
//! and where promotion is impossible or refused the page is rejected before a byte is
//! written. The threshold is a setting, so small files exercise the real code path; the
//! run past 4 GiB is in `bench/bigtiff.sh`.
use wias_testsupport as support;

use std::path::Path;

use wias::tiff::{BigTiff, Options, TiffFile, TiffWriter, Variant};
use wias::{Error, PageSpec, PixelType};

/// Page `i` of a test document: its spec and data (types cycle, sizes vary).
fn page(i: u32) -> (PageSpec, Vec<u8>) {
    let pixel = PixelType::ALL[i as usize % PixelType::ALL.len()];
    let (w, h) = (13 + i % 7, 9 + i % 5);
    (
        PageSpec::new(w, h, pixel),
        support::pattern(w, h, pixel.depth(), i),
    )
}

fn read(path: &Path) -> TiffFile {
    TiffFile::read(&mut std::fs::File::open(path).unwrap()).unwrap()
}

/// libtiff, tiffinfo and the tiff crate read every page, pixel for pixel, and our
/// reader finds no fault.
fn check_pages(path: &Path, expected: &[Vec<u8>]) {
    support::tiffinfo_clean(path).unwrap();
    let pages = support::libtiff_pages(path).unwrap();
    assert_eq!(pages.len(), expected.len(), "libtiff page count");
    for (k, (got, want)) in pages.iter().zip(expected).enumerate() {
        assert_eq!(&got.data, want, "page {} differs", k + 1);
    }
    // A second reader that shares no code with libtiff or with us.
    let pages = support::tiff_crate_pages(path).unwrap();
    assert_eq!(pages.len(), expected.len(), "tiff crate page count");
    for (k, (got, want)) in pages.iter().zip(expected).enumerate() {
        assert_eq!(&got.data, want, "tiff crate: page {} differs", k + 1);
    }
    let file = read(path);
    assert_eq!(file.directories.len(), expected.len());
    assert!(file.problems().is_empty(), "{:?}", file.problems());
}

fn strip_offsets(f: &TiffFile) -> Vec<Vec<u64>> {
    f.directories
        .iter()
        .map(|d| d.get(273).unwrap().ints().unwrap().to_vec())
        .collect()
}

#[test]
fn a_file_outgrowing_the_threshold_becomes_bigtiff_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grow.tif");
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(3000));
    let mut doc = TiffWriter::create(&path, opts).unwrap();
    let mut expected = Vec::new();
    let mut before = None;
    for i in 0..12 {
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        expected.push(data);
        if doc.variant() == Variant::Classic {
            before = Some(read(&path));
        }
    }
    assert_eq!(doc.variant(), Variant::Big, "12 pages pass 3000 bytes");
    drop(doc);
    let before = before.expect("the first page stays classic");
    assert!(!before.directories.is_empty());
    let header = std::fs::read(&path).unwrap();
    assert_eq!(&header[0..8], b"II\x2b\x00\x08\x00\x00\x00");
    check_pages(&path, &expected);
    // Strip data never moved: the classic pages' strips are where they were.
    let after = read(&path);
    assert_eq!(after.variant, Variant::Big);
    let (old, new) = (strip_offsets(&before), strip_offsets(&after));
    assert_eq!(&new[..old.len()], &old[..]);
}

#[test]
fn a_bigtiff_appends_and_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("append.tif");
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(1));
    let mut expected = Vec::new();
    let mut doc = TiffWriter::create(&path, opts.clone()).unwrap();
    for i in 0..3 {
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        expected.push(data);
    }
    assert_eq!(doc.variant(), Variant::Big, "the first page is promoted");
    drop(doc);
    let mut doc = TiffWriter::append(&path, Options::default()).unwrap();
    assert_eq!((doc.variant(), doc.pages()), (Variant::Big, 3));
    for i in 3..7 {
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        expected.push(data);
    }
    drop(doc);
    check_pages(&path, &expected);
}

#[test]
fn an_appended_classic_file_is_promoted_when_it_outgrows_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("classic.tif");
    let mut expected = Vec::new();
    let mut doc = TiffWriter::create(&path, Options::default()).unwrap();
    for i in 0..4 {
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        expected.push(data);
    }
    drop(doc);
    let len = std::fs::metadata(&path).unwrap().len();
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(len + 600));
    let mut doc = TiffWriter::append(&path, opts).unwrap();
    assert_eq!(doc.variant(), Variant::Classic);
    for i in 4..10 {
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        expected.push(data);
    }
    assert_eq!(doc.variant(), Variant::Big);
    drop(doc);
    check_pages(&path, &expected);
}

#[test]
fn a_file_whose_header_room_holds_data_is_refused_before_writing() {
    // tiffcp (libtiff) puts the first strip right after the 8-byte header, where the
    // BigTIFF header would go: promotion would destroy it, so the page is refused.
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.tif");
    let theirs = dir.path().join("theirs.tif");
    let (spec, data) = page(1);
    let mut doc = TiffWriter::create(&ours, Options::default()).unwrap();
    doc.write_page(&spec, &data).unwrap();
    drop(doc);
    let st = std::process::Command::new("tiffcp")
        .arg(&ours)
        .arg(&theirs)
        .status()
        .expect("tiffcp (libtiff-tools)");
    assert!(st.success());
    let before = std::fs::read(&theirs).unwrap();
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(before.len() as u64 + 10));
    let mut doc = TiffWriter::append(&theirs, opts).unwrap();
    let (spec2, data2) = page(2);
    let err = doc.write_page(&spec2, &data2).unwrap_err();
    assert!(matches!(err, Error::SizeOverflow { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("bytes 8..16"), "{msg}");
    assert!(msg.contains("nothing of the page was written"), "{msg}");
    drop(doc);
    assert_eq!(std::fs::read(&theirs).unwrap(), before, "file untouched");
    check_pages(&theirs, &[data]);
}

#[test]
fn a_classic_only_writer_refuses_the_page_that_would_pass_its_limit() {
    // What the C ABI asks for: its lCurIfdOffset is a 32-bit LONG.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("limit.tif");
    let opts = Options::default().bigtiff(BigTiff::Never { limit: 2000 });
    let mut doc = TiffWriter::create(&path, opts).unwrap();
    let mut expected = Vec::new();
    let err = loop {
        let (spec, data) = page(expected.len() as u32);
        match doc.write_page(&spec, &data) {
            Ok(_) => expected.push(data),
            Err(e) => break e,
        }
    };
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len <= 2000, "{len}");
    assert!(!expected.is_empty());
    assert_eq!(err.hresult(), wias::hresult::E_INVALIDARG);
    assert!(err.to_string().contains("past byte 2000"), "{err}");
    assert!(
        err.to_string().contains("nothing of it was written"),
        "{err}"
    );
    drop(doc);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    check_pages(&path, &expected);
}

#[test]
fn a_header_only_file_promoted_on_its_first_page_keeps_the_page() {
    // Found by fuzzing (tests/data/fuzz/tiff_reader/header-only-promoted.tif): an
    // 8-byte classic file with no pages; the first page went to byte 8, inside the
    // room the BigTIFF header then took, and was overwritten.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.tif");
    std::fs::write(&path, b"II*\0\0\0\0\0").unwrap();
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(0));
    let mut doc = TiffWriter::append(&path, opts).unwrap();
    let (spec, data) = page(3);
    doc.write_page(&spec, &data).unwrap();
    assert_eq!(doc.variant(), Variant::Big);
    drop(doc);
    check_pages(&path, &[data]);
}

#[test]
fn a_file_with_sub_ifds_is_not_promoted() {
    // An Exif IFD pointer would be misread by a BigTIFF reader after promotion.
    let entries: [(u16, u16, u32); 10] = [
        (256, 4, 1),     // ImageWidth
        (257, 4, 1),     // ImageLength
        (258, 3, 8),     // BitsPerSample
        (259, 3, 1),     // Compression
        (262, 3, 1),     // Photometric
        (273, 4, 200),   // StripOffsets
        (277, 3, 1),     // SamplesPerPixel
        (278, 4, 1),     // RowsPerStrip
        (279, 4, 1),     // StripByteCounts
        (34665, 4, 210), // ExifIFD
    ];
    let mut f = b"II*\0".to_vec();
    f.extend_from_slice(&16u32.to_le_bytes());
    f.resize(16, 0);
    f.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, ty, v) in entries {
        f.extend_from_slice(&tag.to_le_bytes());
        f.extend_from_slice(&ty.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&0u32.to_le_bytes());
    f.resize(200, 0);
    f.push(0x80); // the one pixel
    f.resize(210, 0);
    // The Exif IFD: one entry (ExifVersion "0230"), so that libtiff reads the file.
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&0x9000u16.to_le_bytes());
    f.extend_from_slice(&7u16.to_le_bytes());
    f.extend_from_slice(&4u32.to_le_bytes());
    f.extend_from_slice(b"0230");
    f.extend_from_slice(&0u32.to_le_bytes());
    f.resize(230, 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exif.tif");
    std::fs::write(&path, &f).unwrap();
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(0));
    let mut doc = TiffWriter::append(&path, opts).unwrap();
    let (spec, data) = page(0);
    let err = doc.write_page(&spec, &data).unwrap_err();
    assert!(err.to_string().contains("ExifIFD"), "{err}");
    assert!(
        err.to_string().contains("nothing of the page was written"),
        "{err}"
    );
    drop(doc);
    assert_eq!(std::fs::read(&path).unwrap(), f);
    assert_eq!(support::libtiff_page_count(&path), 1);
}

#[test]
fn the_transfer_context_path_refuses_before_writing_instead_of_promoting() {
    // wiasWritePageBufToFile keeps IFD offsets in a 32-bit LONG, so it never promotes:
    // asked to promote, it still refuses the page that would pass its limit (here a
    // small one; by default 2^31 - 1), and the file is as it was.
    use wias::{context::tymed, guids, transfer, TransferContext};
    let mut ctx = TransferContext::new(40, 10, 24, guids::TIFF, tymed::MULTIPAGE_FILE);
    ctx.image_information().unwrap();
    let mut file = std::io::Cursor::new(Vec::new());
    let data = support::pattern(40, 10, 24, 5);
    let opts = || Options::default().bigtiff(BigTiff::Never { limit: 5000 });
    let mut pages = 0;
    let err = loop {
        ctx.page = pages;
        match transfer::write_page_buf_with(&mut ctx, &mut file, &data, opts()) {
            Ok(()) => pages += 1,
            Err(e) => break e,
        }
    };
    // Three 1200-byte pages and their IFDs fit in 5000 bytes, four do not.
    assert_eq!(pages, 3);
    assert!(err.to_string().contains("past byte 5000"), "{err}");
    assert!(
        err.to_string().contains("nothing of it was written"),
        "{err}"
    );
    assert!(file.get_ref().len() <= 5000);
    ctx.page = pages;
    let promote = Options::default().bigtiff(BigTiff::PromoteAt(0));
    transfer::write_page_buf_with(&mut ctx, &mut file, &data, promote).unwrap();
    let after = TiffFile::read(&mut std::io::Cursor::new(file.get_ref())).unwrap();
    assert_eq!(after.variant, Variant::Classic, "the C path never promotes");
    assert_eq!(after.directories.len(), 4);
    assert!(after.problems().is_empty(), "{:?}", after.problems());
}

/// An in-memory file whose next write at offset 0 (after `arm`) lands only in part and
/// then fails, like an I/O error in the middle of the header switch.
struct FailHeaderOnce {
    file: std::io::Cursor<Vec<u8>>,
    armed: std::cell::Cell<bool>,
}

impl std::io::Write for FailHeaderOnce {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.armed.get() && self.file.position() == 0 {
            self.armed.set(false);
            self.file.write_all(&buf[..6])?;
            return Err(std::io::Error::other("injected write fault"));
        }
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Read: a promotion reads the chain back.
impl std::io::Read for FailHeaderOnce {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read(buf)
    }
}

impl std::io::Seek for FailHeaderOnce {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

#[test]
fn a_failed_header_switch_leaves_the_classic_document() {
    let sink = FailHeaderOnce {
        file: std::io::Cursor::new(Vec::new()),
        armed: std::cell::Cell::new(false),
    };
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(2500));
    let mut doc = TiffWriter::new(sink, opts).unwrap();
    let mut expected = Vec::new();
    let mut i = 0;
    // Pages until the next one would promote, then the fault is armed.
    let err = loop {
        let (spec, data) = page(i);
        if !expected.is_empty() {
            doc.get_ref().armed.set(true);
        }
        match doc.write_page(&spec, &data) {
            Ok(_) if doc.variant() == Variant::Classic => {
                doc.get_ref().armed.set(false);
                expected.push(data);
                i += 1;
            }
            Ok(_) => panic!("the promotion succeeded through a failing write"),
            Err(e) => break e,
        }
    };
    assert!(
        err.to_string().contains("switching the header to BigTIFF"),
        "{err}"
    );
    assert!(expected.len() >= 2);
    let bytes = doc.finish().unwrap().file.into_inner();
    assert_eq!(&bytes[0..4], b"II*\0", "the classic header is back");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fault.tif");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(read(&path).variant, Variant::Classic);
    check_pages(&path, &expected);
}

/// `transfer::Document`, the transfer-context path for callers not bound to the C
/// `LONG`s (the `wias scan` command), grows into a BigTIFF like `TiffWriter` does: pages
/// fed through contexts past the (lowered) promotion threshold all read back in libtiff,
/// pixel for pixel, and the context's page fields advance as the document does.
#[test]
fn the_transfer_document_grows_into_bigtiff() {
    use wias::{context::tymed, guids, transfer, TransferContext};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.tif");
    let f = support::new_rw_file(&path);
    let mut doc =
        transfer::Document::new(f, Options::default().bigtiff(BigTiff::PromoteAt(3000))).unwrap();
    let mut ctx = TransferContext::new(40, 10, 24, guids::TIFF, tymed::MULTIPAGE_FILE);
    ctx.image_information().unwrap();
    let mut want = Vec::new();
    for p in 0..5u32 {
        let data = support::pattern(40, 10, 24, 20 + p);
        doc.write_page_buf(&mut ctx, &data).unwrap();
        assert_eq!(ctx.page, p as i32 + 1);
        assert_eq!(
            ctx.prev_ifd_offset as u64,
            doc.writer().chain_end().last_ifd.unwrap()
        );
        assert_eq!(ctx.cur_ifd_offset as u64, doc.writer().end());
        want.push(data);
    }
    assert_eq!(doc.variant(), Variant::Big);
    drop(doc.finish().unwrap());
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], b"II+\0", "a BigTIFF header");
    support::tiffinfo_clean(&path).unwrap();
    let pages = support::libtiff_pages(&path).unwrap();
    assert_eq!(pages.len(), 5);
    for (page, w) in pages.iter().zip(&want) {
        assert_eq!(&page.data, w);
    }
}

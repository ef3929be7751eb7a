//! `TransferContext::image_information` (wiasGetImageInformation) and the `transfer`
//! operations at their edges: unknown length, short buffers, inconsistent or negative
//! sizes, bad depth and format, BMP sizes against values worked out here from the BMP
//! specification, the HRESULT of every error, and `write_buf`.
use wias_testsupport as support;

use std::io::{self, Cursor, Seek, SeekFrom, Write};

use wias::context::tymed;
use wias::{guids, transfer, Error, Guid, TransferContext};

const E_INVALIDARG: u32 = 0x8007_0057;

fn tiff_ctx(w: i32, lines: i32, depth: i32) -> TransferContext {
    TransferContext::new(w, lines, depth, guids::TIFF, tymed::MULTIPAGE_FILE)
}

/// `err` is E_INVALIDARG and its message starts with `field = value`.
fn names(err: &Error, field_value: &str) {
    let msg = err.to_string();
    assert!(
        msg.starts_with(field_value),
        "{msg:?} does not start with {field_value:?}"
    );
    assert_eq!(err.hresult() as u32, E_INVALIDARG, "{msg}");
}

/// A page-0 TIFF write of `buffer` with `ctx` fails, says `field_value`, and writes
/// nothing.
fn refused(ctx: &TransferContext, buffer: &[u8], field_value: &str) -> Error {
    let mut c = ctx.clone();
    let mut sink = Cursor::new(Vec::new());
    let e = transfer::write_page_buf(&mut c, &mut sink, buffer).unwrap_err();
    names(&e, field_value);
    assert!(sink.get_ref().is_empty(), "{e}: bytes written");
    assert_eq!(&c, ctx, "{e}: the context changed");
    e
}

#[test]
fn unknown_length_takes_its_lines_from_item_size() {
    let dir = tempfile::tempdir().unwrap();
    for depth in [1, 8, 16, 24, 48] {
        let (w, real_lines) = (13u32, 29u32);
        let mut ctx = tiff_ctx(w as i32, 0, depth);
        let info = ctx.image_information().unwrap();
        let row = (13 * depth as u64).div_ceil(8);
        assert_eq!(info.width_in_bytes, row);
        assert_eq!((info.image_size, info.item_size), (0, 0));
        let data = support::pattern(w, real_lines, depth as u32, depth as u32);
        ctx.item_size = data.len() as i32;
        let path = dir.path().join(format!("unknown-{depth}.tif"));
        let mut f = support::new_rw_file(&path);
        transfer::write_page_buf(&mut ctx, &mut f, &data).unwrap();
        drop(f);
        let pages = support::libtiff_pages(&path).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!((pages[0].width, pages[0].height), (w, real_lines));
        assert_eq!(pages[0].data, data, "depth {depth}");

        // A length that is not a whole number of lines is refused.
        let mut c = tiff_ctx(w as i32, 0, depth);
        c.image_information().unwrap();
        c.item_size = data.len() as i32 - 1;
        let e = refused(&c, &data, "page data is");
        assert!(e.to_string().contains("whole number"), "{e}");
    }
    // lLines = 0 and no lItemSize: nothing says how long the page is.
    let mut c = tiff_ctx(8, 0, 8);
    c.image_information().unwrap();
    refused(&c, &[0; 64], "lItemSize = 0");
}

#[test]
fn a_short_buffer_is_refused_with_both_lengths() {
    let mut ctx = tiff_ctx(9, 17, 8);
    ctx.image_information().unwrap();
    assert_eq!(ctx.image_size, 153);
    let e = refused(&ctx, &[0; 152], "page data is 152 bytes");
    assert!(e.to_string().contains("153"), "{e}");
    // With a header in front, the header counts.
    ctx.header_size = 10;
    let e = refused(&ctx, &[0; 160], "page data is 160 bytes");
    assert!(e.to_string().contains("163"), "{e}");
    // A longer buffer is fine: the page is the first lImageSize bytes after the header.
    let mut c = ctx.clone();
    let mut buf = vec![0xEE; 10];
    buf.extend(support::pattern(9, 17, 8, 1));
    buf.extend([0xAB; 100]);
    let mut sink = Cursor::new(Vec::new());
    transfer::write_page_buf(&mut c, &mut sink, &buf).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.tif");
    std::fs::write(&path, sink.into_inner()).unwrap();
    assert_eq!(
        support::libtiff_pages(&path).unwrap()[0].data,
        buf[10..163].to_vec()
    );
}

#[test]
fn item_size_below_header_size_is_refused() {
    let mut ctx = tiff_ctx(4, 2, 8);
    ctx.image_information().unwrap();
    ctx.header_size = 16;
    ctx.item_size = 8;
    let e = refused(&ctx, &[0; 64], "lItemSize = 8");
    assert!(e.to_string().contains("lHeaderSize = 16"), "{e}");
}

/// One field of a context set to a bad value.
type Change = fn(&mut TransferContext);

#[test]
fn negative_and_zero_fields_are_refused_by_name() {
    let mut base = tiff_ctx(4, 2, 8);
    base.image_information().unwrap();
    let buf = [0u8; 64];
    let cases: [(Change, &str); 12] = [
        (|c| c.header_size = -1, "lHeaderSize = -1"),
        (|c| c.item_size = -5, "lItemSize = -5"),
        (|c| c.image_size = -8, "lImageSize = -8"),
        (|c| c.width_in_pixels = -3, "lWidthInPixels = -3"),
        (|c| c.width_in_pixels = 0, "lWidthInPixels = 0"),
        (|c| c.lines = -2, "lLines = -2"),
        (|c| c.xres = 0, "lXRes = 0"),
        (|c| c.yres = -300, "lYRes = -300"),
        (|c| c.page = -1, "lPage = -1"),
        (|c| c.compression = 99, "lCompression = 99"),
        (|c| c.width_in_bytes = 5, "cbWidthInBytes = 5"),
        (|c| c.image_size = 0, "lImageSize = 0"),
    ];
    for (change, says) in cases {
        let mut c = base.clone();
        change(&mut c);
        refused(&c, &buf, says);
        if !says.starts_with("lPage")
            && !says.starts_with("lHeader")
            && !says.starts_with("lItem")
            && !says.starts_with("lImage")
            && !says.starts_with("cbWidth")
        {
            // The image fields are checked by wiasGetImageInformation too, which then
            // leaves the context as it was.
            let before = c.clone();
            names(&c.image_information().unwrap_err(), says);
            assert_eq!(c, before);
        }
    }
}

#[test]
fn depth_7_is_refused_everywhere() {
    for format in [guids::TIFF, guids::BMP, guids::MEMORYBMP] {
        let mut ctx = TransferContext::new(8, 2, 7, format, tymed::FILE);
        let before = ctx.clone();
        names(&ctx.image_information().unwrap_err(), "lDepth = 7");
        assert_eq!(ctx, before);
        ctx.image_size = 14;
        if format == guids::TIFF {
            refused(&ctx, &[0; 14], "lDepth = 7");
        } else {
            // BMP pages are appended as they are: nothing reads lDepth there.
            ctx.item_size = 14;
            let mut sink = Cursor::new(Vec::new());
            transfer::write_page_buf(&mut ctx, &mut sink, &[3; 14]).unwrap();
            assert_eq!(sink.get_ref(), &[3; 14]);
        }
    }
    for depth in [0, 2, 4, 12, 32, 64, -1] {
        let mut ctx = tiff_ctx(8, 2, depth);
        names(
            &ctx.image_information().unwrap_err(),
            &format!("lDepth = {depth}"),
        );
    }
}

/// A GUID wias does not know is not an error (`S_FALSE` in C): the sizes are those of
/// raw rows, with no header, and the page is appended as it is. Known compressed
/// formats (PNG, GIF, PDF/A, ...) have no rows to size.
#[test]
fn unknown_format_guids_get_raw_sizes_and_compressed_formats_none() {
    let made_up = Guid::new(0x1234_5678, 0x9abc, 0xdef0, [1, 2, 3, 4, 5, 6, 7, 8]);
    for g in [made_up, guids::UNDEFINED, Guid::default()] {
        let mut ctx = TransferContext::new(9, 2, 24, g, tymed::FILE);
        let info = ctx.image_information().unwrap();
        assert!(!info.known_format, "{g}");
        assert!(info.header.is_empty());
        assert_eq!(
            (
                ctx.width_in_bytes,
                ctx.image_size,
                ctx.header_size,
                ctx.item_size
            ),
            (27, 54, 0, 54),
            "{g}: raw rows"
        );
        let mut sink = Cursor::new(Vec::new());
        transfer::write_page_buf(&mut ctx, &mut sink, &[7; 60]).unwrap();
        assert_eq!(sink.get_ref(), &[7; 54], "{g}: appended as it is");
    }
    for g in [
        guids::JPEG,
        guids::PNG,
        guids::GIF,
        guids::PDFA,
        guids::JPEG2K,
    ] {
        for compression in [0, 5] {
            let mut ctx = TransferContext::new(9, 2, 24, g, tymed::FILE);
            ctx.compression = compression;
            let info = ctx.image_information().unwrap();
            assert!(info.known_format, "{g}");
            assert_eq!(
                (ctx.width_in_bytes, ctx.header_size, ctx.item_size),
                (0, 0, 0),
                "{g}: compressed, no rows"
            );
            assert_eq!(ctx.image_size, 54, "{g}: the uncompressed size of the page");
        }
    }
    assert_eq!(
        made_up.to_string(),
        "{12345678-9abc-def0-0102-030405060708}"
    );
}

/// A memory-callback TIFF transfer: the header is a complete single-page TIFF, so
/// header + rows saved as they are is a file libtiff reads pixel for pixel.
#[test]
fn callback_tiff_header_plus_rows_is_a_tiff() {
    let dir = tempfile::tempdir().unwrap();
    for depth in [1, 8, 16, 24, 48] {
        let (w, h) = (13u32, 7u32);
        let mut ctx = TransferContext::new(w as i32, h as i32, depth, guids::TIFF, tymed::CALLBACK);
        ctx.transfer_data_cb = true;
        let info = ctx.image_information().unwrap();
        assert!(info.header_size > 8 && info.header_size % 2 == 0, "{depth}");
        assert_eq!(ctx.item_size as u64, info.header_size + info.image_size);
        let rows = support::pattern(w, h, depth as u32, depth as u32);
        let mut file = info.header.clone();
        file.extend_from_slice(&rows);
        let path = dir.path().join(format!("cb-{depth}.tif"));
        std::fs::write(&path, &file).unwrap();
        support::tiffinfo_clean(&path).unwrap();
        let pages = support::libtiff_pages(&path).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!((pages[0].width, pages[0].height), (w, h));
        assert_eq!(pages[0].data, rows, "{depth}-bit pixels");
        // Without bTransferDataCB (a file transfer) there is no header.
        let mut file_ctx =
            TransferContext::new(w as i32, h as i32, depth, guids::TIFF, tymed::FILE);
        assert!(file_ctx.image_information().unwrap().header.is_empty());
    }
    // Length unknown, or device-compressed: no complete header can be made.
    let mut ctx = TransferContext::new(8, 0, 8, guids::TIFF, tymed::CALLBACK);
    ctx.transfer_data_cb = true;
    assert_eq!(ctx.image_information().unwrap().header_size, 0);
}

/// Sizes worked out from the BMP specification: rows are `((w × bpp + 31) / 32) × 4`
/// bytes; BITMAPFILEHEADER is 14 bytes, BITMAPINFOHEADER 40, and the colour table has
/// 2^bpp four-byte entries for 1 and 8 bits, none for 24.
#[test]
fn bmp_sizes_match_the_specification() {
    // (width, depth, cbWidthInBytes, palette bytes)
    let cases = [
        (1, 1, 4, 8),
        (31, 1, 4, 8),
        (32, 1, 4, 8),
        (33, 1, 8, 8),
        (1728, 1, 216, 8),
        (1, 8, 4, 1024),
        (5, 8, 8, 1024),
        (2481, 8, 2484, 1024),
        (1, 24, 4, 0),
        (3, 24, 12, 0),
        (5, 24, 16, 0),
        (2481, 24, 7444, 0),
    ];
    for (w, depth, stride, palette) in cases {
        for lines in [0, 1, 3, 3508] {
            let mut ctx = TransferContext::new(w, lines, depth, guids::BMP, tymed::FILE);
            let info = ctx.image_information().unwrap();
            let what = format!("BMP {w}x{lines} at {depth} bits");
            assert_eq!(info.width_in_bytes, stride, "{what}: cbWidthInBytes");
            assert_eq!(info.image_size, stride * lines as u64, "{what}: lImageSize");
            assert_eq!(info.header_size, 14 + 40 + palette, "{what}: lHeaderSize");
            // Unknown length: the header alone, which the driver sends first.
            let item = 14 + 40 + palette + stride * lines as u64;
            assert_eq!(info.item_size, item, "{what}: lItemSize");
            assert_eq!(info.header.len() as u64, info.header_size, "{what}");
            assert_eq!(
                (
                    ctx.width_in_bytes,
                    ctx.image_size,
                    ctx.header_size,
                    ctx.item_size
                ),
                (
                    stride as i32,
                    (stride * lines as u64) as i32,
                    (14 + 40 + palette) as i32,
                    item as i32
                ),
                "{what}: the context fields"
            );
            {
                // Complete also for lines = 0 (height 0): only height and sizes change.
                let h = &info.header;
                assert_eq!(&h[0..2], b"BM");
                assert_eq!(u32::from_le_bytes(h[2..6].try_into().unwrap()) as u64, item);
                assert_eq!(
                    u32::from_le_bytes(h[10..14].try_into().unwrap()) as u64,
                    14 + 40 + palette
                );
                assert_eq!(i32::from_le_bytes(h[18..22].try_into().unwrap()), w);
                assert_eq!(i32::from_le_bytes(h[22..26].try_into().unwrap()), lines);
                assert_eq!(
                    u16::from_le_bytes(h[28..30].try_into().unwrap()),
                    depth as u16
                );
            }
            let mut mem = TransferContext::new(w, lines, depth, guids::MEMORYBMP, tymed::CALLBACK);
            let info = mem.image_information().unwrap();
            assert_eq!(info.width_in_bytes, stride, "MEMORY{what}");
            assert_eq!(
                info.header_size,
                40 + palette,
                "MEMORY{what}: no file header"
            );
            {
                assert_eq!(
                    info.item_size,
                    40 + palette + stride * lines as u64,
                    "MEMORY{what}"
                );
                assert_eq!(
                    u32::from_le_bytes(info.header[0..4].try_into().unwrap()),
                    40
                );
            }
        }
    }
}

#[test]
fn tiff_sizes_and_item_size() {
    // TIFF rows are padded to a byte only.
    for (w, depth, row) in [
        (1, 1, 1),
        (9, 1, 2),
        (1728, 1, 216),
        (7, 16, 14),
        (7, 48, 42),
        (3, 24, 9),
    ] {
        let mut ctx = TransferContext::new(w, 10, depth, guids::TIFF, tymed::FILE);
        let info = ctx.image_information().unwrap();
        assert_eq!(info.width_in_bytes, row);
        assert_eq!(info.image_size, row * 10);
        assert_eq!(info.header_size, 0);
        assert!(info.header.is_empty());
        assert_eq!(info.item_size, row * 10, "single-page uncompressed TIFF");
        // Multipage TIFF and device-compressed data: lItemSize unknown (0).
        let mut mp = tiff_ctx(w, 10, depth);
        assert_eq!(mp.image_information().unwrap().item_size, 0);
        let mut g4 = TransferContext::new(w, 10, depth, guids::TIFF, tymed::FILE);
        g4.compression = 4;
        let info = g4.image_information().unwrap();
        assert_eq!((info.item_size, info.image_size), (0, row * 10));
    }
}

#[test]
fn sizes_past_a_long_are_refused_and_leave_the_context() {
    for (w, lines, depth, format) in [
        (100_000, 100_000, 48, guids::TIFF),
        (i32::MAX, 1, 48, guids::TIFF),
        (46_341, 46_341, 8, guids::BMP),
    ] {
        let mut ctx = TransferContext::new(w, lines, depth, format, tymed::FILE);
        let before = ctx.clone();
        let e = ctx.image_information().unwrap_err();
        assert!(matches!(e, Error::SizeOverflow { .. }), "{e:?}");
        assert!(e.to_string().contains("overflows"), "{e}");
        assert_eq!(e.hresult() as u32, E_INVALIDARG);
        assert_eq!(ctx, before);
    }
}

#[test]
fn other_formats_and_compressions() {
    // WIA RAW is not written yet: a failure that says so.
    let mut raw = TransferContext::new(8, 8, 24, guids::RAW, tymed::FILE);
    let e = raw.image_information().unwrap_err();
    assert!(e.hresult() < 0 && e.to_string().contains("RAW"), "{e}");
    // Device-compressed pages must say how long they are: lItemSize.
    let mut g4 = tiff_ctx(8, 8, 1);
    g4.compression = 4;
    g4.image_information().unwrap();
    refused(&g4, &[0; 8], "lItemSize = 0");
    // JBIG data cannot go into a TIFF page: refused, saying which lCompression.
    let mut jbig = tiff_ctx(8, 8, 1);
    jbig.compression = 6;
    jbig.image_information().unwrap();
    jbig.item_size = 8;
    let mut sink = Cursor::new(Vec::new());
    let e = transfer::write_page_buf(&mut jbig, &mut sink, &[0; 8]).unwrap_err();
    assert!(
        e.hresult() < 0 && e.to_string().contains("lCompression = 6"),
        "{e}"
    );
    assert!(sink.get_ref().is_empty());
}

#[test]
fn write_buf_writes_item_size_bytes_at_the_current_position() {
    let mut ctx = TransferContext::new(4, 1, 8, guids::BMP, tymed::FILE);
    ctx.item_size = 5;
    let mut sink = Cursor::new(b"HEAD".to_vec());
    sink.seek(SeekFrom::End(0)).unwrap();
    transfer::write_buf(&ctx, &mut sink, &[1, 2, 3, 4, 5, 6, 7]).unwrap();
    transfer::write_buf(&ctx, &mut sink, &[9; 5]).unwrap();
    assert_eq!(
        sink.get_ref(),
        b"HEAD\x01\x02\x03\x04\x05\x09\x09\x09\x09\x09"
    );
    // In the middle of a file it overwrites in place, as a WriteFile would.
    sink.seek(SeekFrom::Start(1)).unwrap();
    ctx.item_size = 2;
    transfer::write_buf(&ctx, &mut sink, b"ea").unwrap();
    assert_eq!(&sink.get_ref()[..5], b"HeaD\x01");

    // Any format: the bytes go through untouched (here, a TIFF context with no header).
    let mut t = tiff_ctx(2, 2, 8);
    t.item_size = 3;
    let mut out = Vec::new();
    transfer::write_buf(&t, &mut out, b"abc").unwrap();
    assert_eq!(out, b"abc");

    // lItemSize 0: nothing to write, and that is fine (as on Windows).
    ctx.item_size = 0;
    let mut out = Vec::new();
    transfer::write_buf(&ctx, &mut out, &[7; 4]).unwrap();
    assert!(out.is_empty());
    // Negative, or more than the buffer holds: E_FAIL, nothing written.
    for (item, buf_len, says) in [
        (-1, 4, "lItemSize = -1"),
        (i32::MIN, 4, "negative"),
        (5, 4, "lBufferSize = 4"),
        (1, 0, "lBufferSize = 0"),
    ] {
        ctx.item_size = item;
        let mut out = Vec::new();
        let e = transfer::write_buf(&ctx, &mut out, &vec![7; buf_len]).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
        assert!(e.to_string().starts_with("lItemSize = "), "{e}");
        assert_eq!(e.hresult(), wias::hresult::E_FAIL, "{e}");
        assert!(out.is_empty());
    }
}

/// A sink that fails every write with the given OS error.
struct Failing(i32);
impl Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(self.0))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_carry_the_documented_hresults() {
    let mut ctx = TransferContext::new(4, 1, 8, guids::BMP, tymed::FILE);
    ctx.item_size = 4;
    for (errno, hr) in [
        (28, 0x8003_0070u32), // ENOSPC → STG_E_MEDIUMFULL
        (27, 0x8003_0070),    // EFBIG → STG_E_MEDIUMFULL
        (5, 0x8007_001D),     // EIO → HRESULT_FROM_WIN32(ERROR_WRITE_FAULT)
        (9, 0x8007_0006),     // EBADF → HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)
        (13, 0x8007_0005),    // EACCES → E_ACCESSDENIED
    ] {
        let e = transfer::write_buf(&ctx, &mut Failing(errno), &[0; 4]).unwrap_err();
        assert_eq!(e.hresult() as u32, hr, "errno {errno}: {e}");
        assert!(e.to_string().starts_with("writing the buffer"), "{e}");
    }
}

/// `lCurIfdOffset` is a 32-bit LONG: a page whose IFD would land past 2 GiB cannot be
/// reported to the driver, so it must not be written (nor linked) either. The file is
/// made large by a hole, so the test writes a few kilobytes, not gigabytes.
#[test]
fn a_page_whose_ifd_offset_does_not_fit_a_long_is_refused_before_it_is_linked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tif");
    let mut f = support::new_rw_file(&path);
    let mut ctx = tiff_ctx(9, 17, 8);
    ctx.image_information().unwrap();
    let first = support::pattern(9, 17, 8, 1);
    transfer::write_page_buf(&mut ctx, &mut f, &first).unwrap();
    let cur = ctx.cur_ifd_offset;
    f.set_len(i32::MAX as u64 - 100).unwrap(); // sparse: a hole up to just below 2 GiB
    let before_len = f.metadata().unwrap().len();
    ctx.page = 1;
    let before = ctx.clone();
    let e = transfer::write_page_buf(&mut ctx, &mut f, &support::pattern(9, 17, 8, 2)).unwrap_err();
    assert!(e.is_medium_full(), "{e:?}");
    assert_eq!(e.hresult(), wias::hresult::STG_E_MEDIUMFULL);
    assert!(e.to_string().contains("lCurIfdOffset"), "{e}");
    assert_eq!(ctx, before, "the context keeps pointing at the last page");
    assert_eq!(ctx.cur_ifd_offset, cur);
    assert_eq!(f.metadata().unwrap().len(), before_len, "nothing appended");
    drop(f);
    assert_eq!(
        support::libtiff_page_count(&path),
        1,
        "the refused page is not linked"
    );
}

/// Page 2 into a file opened write-only (`File::create`) cannot read the previous IFD:
/// the error says to open the file read-write (as the C ABI says for a write-only
/// `hFile`), not that the page fields are wrong, and page 1 stays readable.
#[test]
fn page_two_to_a_write_only_file_says_open_it_read_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wo.tif");
    let mut file = std::fs::File::create(&path).unwrap();
    let mut ctx = tiff_ctx(8, 2, 8);
    ctx.image_information().unwrap();
    transfer::write_page_buf(&mut ctx, &mut file, &[9; 16]).unwrap();
    assert_eq!(ctx.page, 1, "the library advances lPage");
    let e = transfer::write_page_buf(&mut ctx, &mut file, &[7; 16]).unwrap_err();
    assert!(e.to_string().contains("open it read-write"), "{e}");
    assert!(!e.to_string().contains("IfdOffset"), "{e}");
    assert_eq!(e.hresult(), wias::hresult::E_ACCESSDENIED, "{e}");
    drop(file);
    let pages = support::libtiff_pages(&path).unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].data, [9; 16]);
}

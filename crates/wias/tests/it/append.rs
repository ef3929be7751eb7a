//! Appending pages to existing documents — ours, libtiff's (`tiffcp`) and Pillow's —
//! checked page by page with libtiff; damaged or foreign files refused with a message
//! that says what is wrong, the file left byte for byte as it was. Also the C-style
//! chaining of `transfer::write_page_buf` through the library-owned page fields.
use wias_testsupport as support;

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use wias::context::tymed;
use wias::tiff::{Options, TiffWriter};
use wias::{guids, hresult, transfer, Error, PageSpec, PixelType, TransferContext};

fn write_doc(path: &Path, specs: &[PageSpec], seed: u32) -> Vec<Vec<u8>> {
    let mut doc = TiffWriter::create(path, Options::default()).unwrap();
    let out = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let d = support::pattern(s.width, s.lines, s.pixel.depth(), seed + i as u32);
            doc.write_page(s, &d).unwrap();
            d
        })
        .collect();
    doc.finish().unwrap();
    out
}

fn append_pages(path: &Path, specs: &[PageSpec], seed: u32) -> Vec<Vec<u8>> {
    let mut doc = TiffWriter::append(path, Options::default()).unwrap();
    let before = doc.pages();
    let out: Vec<Vec<u8>> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let d = support::pattern(s.width, s.lines, s.pixel.depth(), seed + i as u32);
            doc.write_page(s, &d).unwrap();
            d
        })
        .collect();
    assert_eq!(doc.pages(), before + specs.len() as u32);
    doc.finish().unwrap();
    out
}

/// libtiff and the tiff crate both read exactly `want` (size, type, pixels).
fn check_all(path: &Path, specs: &[PageSpec], want: &[Vec<u8>]) {
    support::tiffinfo_clean(path).unwrap();
    for (reader, pages) in [
        ("libtiff", support::libtiff_pages(path).unwrap()),
        ("tiff crate", support::tiff_crate_pages(path).unwrap()),
    ] {
        assert_eq!(
            pages.len(),
            want.len(),
            "{reader}: pages in {}",
            path.display()
        );
        for (i, ((p, s), w)) in pages.iter().zip(specs).zip(want).enumerate() {
            assert_eq!((p.width, p.height), (s.width, s.lines), "{reader} page {i}");
            assert_eq!(
                u32::from(p.bits_per_sample) * u32::from(p.samples_per_pixel),
                s.pixel.depth(),
                "{reader} page {i}"
            );
            assert!(&p.data == w, "{reader}: page {i} pixels differ");
        }
    }
}

fn tool(cmd: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new(cmd).args(args).output().expect(cmd);
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn append_to_our_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ours.tif");
    let mut specs = vec![
        PageSpec::new(1728, 40, PixelType::Bilevel),
        PageSpec::new(9, 17, PixelType::Rgb48),
    ];
    let mut want = write_doc(&path, &specs, 1);
    for round in 0..2 {
        let more = [
            PageSpec::new(7, 3, PixelType::Gray16),
            PageSpec::new(2481, 91, PixelType::Rgb24),
            PageSpec::new(1, 1, PixelType::Bilevel),
        ];
        want.extend(append_pages(&path, &more, 10 + 10 * round));
        specs.extend(more);
        check_all(&path, &specs, &want);
    }
    assert_eq!(support::libtiff_page_count(&path), 8);
}

/// libtiff lays its files out its own way (IFD placement, strip sizes, LZW pages).
#[test]
fn append_to_a_file_libtiff_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("src.tif");
    let mut specs = vec![
        PageSpec::new(9, 17, PixelType::Gray8),
        PageSpec::new(2481, 91, PixelType::Bilevel),
    ];
    let mut want = write_doc(&ours, &specs, 3);
    for comp in ["none", "lzw"] {
        let path = dir.path().join(format!("tiffcp-{comp}.tif"));
        tool(
            "tiffcp",
            &[
                "-c".as_ref(),
                comp.as_ref(),
                ours.as_os_str(),
                path.as_os_str(),
            ],
        );
        let more = [PageSpec::new(13, 5, PixelType::Rgb24)];
        let mut w = want.clone();
        w.extend(append_pages(&path, &more, 20));
        let mut s = specs.clone();
        s.extend(more);
        check_all(&path, &s, &w);
    }
    // And libtiff can go on appending after us (tiffcp -a), the file stays sound.
    let path = dir.path().join("tiffcp-none.tif");
    let extra = dir.path().join("extra.tif");
    let extra_spec = [PageSpec::new(7, 3, PixelType::Gray16)];
    let extra_data = write_doc(&extra, &extra_spec, 30);
    tool(
        "tiffcp",
        &["-a".as_ref(), extra.as_os_str(), path.as_os_str()],
    );
    specs.push(PageSpec::new(13, 5, PixelType::Rgb24));
    want.push(support::pattern(13, 5, 24, 20));
    specs.extend(extra_spec);
    want.extend(extra_data);
    let more = [PageSpec::new(1, 1, PixelType::Rgb48)];
    want.extend(append_pages(&path, &more, 40));
    specs.extend(more);
    check_all(&path, &specs, &want);
}

/// Pillow writes its TIFF files itself (IFD before the data, its own tag set).
#[test]
fn append_to_a_file_pillow_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pillow.tif");
    let gray = support::pattern(9, 17, 8, 50);
    let rgb = support::pattern(7, 3, 24, 51);
    let g = dir.path().join("g.raw");
    let c = dir.path().join("c.raw");
    std::fs::write(&g, &gray).unwrap();
    std::fs::write(&c, &rgb).unwrap();
    const SCRIPT: &str = r#"
import sys
from PIL import Image
g = Image.frombytes("L", (9, 17), open(sys.argv[2], "rb").read())
c = Image.frombytes("RGB", (7, 3), open(sys.argv[3], "rb").read())
g.save(sys.argv[1], format="TIFF", save_all=True, append_images=[c])
"#;
    support::python(SCRIPT, &[path.as_os_str(), g.as_os_str(), c.as_os_str()]).unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[..2], b"II");
    let mut specs = vec![
        PageSpec::new(9, 17, PixelType::Gray8),
        PageSpec::new(7, 3, PixelType::Rgb24),
    ];
    let mut want = vec![gray, rgb];
    let more = [
        PageSpec::new(1728, 40, PixelType::Bilevel),
        PageSpec::new(9, 17, PixelType::Gray16),
    ];
    want.extend(append_pages(&path, &more, 60));
    specs.extend(more);
    check_all(&path, &specs, &want);
}

/// A small sound two-page file of ours, as bytes.
fn small_doc() -> Vec<u8> {
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default()).unwrap();
    for (i, p) in [PixelType::Gray8, PixelType::Rgb24].into_iter().enumerate() {
        let d = support::pattern(3, 2, p.depth(), i as u32);
        doc.write_page(&PageSpec::new(3, 2, p), &d).unwrap();
    }
    doc.finish().unwrap().into_inner()
}

/// Offset of the last IFD and of its next-IFD field, found by walking the chain here.
fn last_ifd(bytes: &[u8]) -> (usize, usize) {
    let rd32 = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut ifd = rd32(4);
    loop {
        let n = u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]) as usize;
        let next_field = ifd + 2 + 12 * n;
        let next = rd32(next_field);
        if next == 0 {
            return (ifd, next_field);
        }
        ifd = next;
    }
}

/// Appending to `bytes` on disk fails, the message contains every word of `says`, and
/// the file is byte for byte what it was.
fn refused(name: &str, bytes: &[u8], says: &[&str]) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let e = match TiffWriter::append(&path, Options::default()) {
        Ok(mut doc) => {
            let r = doc.write_page(&PageSpec::new(3, 2, PixelType::Gray8), &[0; 6]);
            panic!("{name}: appending was accepted (write_page: {r:?})")
        }
        Err(e) => e,
    };
    let msg = e.to_string();
    for w in says {
        assert!(
            msg.contains(w),
            "{name}: message {msg:?} does not say {w:?}"
        );
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "{name}: the file was changed"
    );
    // The same through any Read + Write + Seek sink.
    let mut cur = Cursor::new(bytes.to_vec());
    assert!(TiffWriter::append_to(&mut cur, Options::default()).is_err());
    assert_eq!(cur.get_ref(), bytes, "{name}: the sink was changed");
    e
}

#[test]
fn appending_to_a_file_that_is_not_a_tiff_is_refused() {
    let e = refused(
        "page.pnm",
        b"P5\n3 2\n255\n\x01\x02\x03\x04\x05\x06",
        &["not a TIFF"],
    );
    assert!(matches!(e, Error::NotTiff(_)));
    assert_eq!(
        e.hresult() as u32,
        0x8007_000D,
        "HRESULT_FROM_WIN32(ERROR_INVALID_DATA)"
    );
    refused("empty.tif", b"", &["not a TIFF", "0 bytes"]);
    refused("short.tif", b"II*\0", &["not a TIFF", "too short"]);
    refused(
        "version.tif",
        b"II\x2b\x01\x08\0\0\0",
        &["not a TIFF", "299"],
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\0\0\0\0";
    refused("image.png", png, &["not a TIFF", "89 50"]);
}

#[test]
fn appending_to_a_truncated_tiff_is_refused_at_every_cut() {
    let doc = small_doc();
    // Cutting the file anywhere before the tail loses part of the last IFD or its
    // values. (Cutting into the 32-byte tail leaves the whole document: it is walked.)
    let tiff_end = doc.len() - 32;
    for cut in tiff_end..doc.len() {
        let (found, _) = append_one_to(doc[..cut].to_vec());
        assert_eq!(found, 2, "cut {cut} in the tail");
    }
    for cut in 8..tiff_end {
        let bytes = &doc[..cut];
        let mut cur = Cursor::new(bytes.to_vec());
        match TiffWriter::append_to(&mut cur, Options::default()) {
            Ok(_) => panic!("a TIFF cut at byte {cut} of {} was accepted", doc.len()),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("damaged TIFF"), "cut {cut}: {msg}");
                assert!(msg.contains("past the end"), "cut {cut}: {msg}");
                assert!(
                    msg.contains(&format!("{cut}-byte file")),
                    "cut {cut}: {msg}"
                );
            }
        }
        assert_eq!(cur.get_ref(), bytes);
    }
    let cut = tiff_end - 5;
    refused("cut.tif", &doc[..cut], &["damaged TIFF", "past the end"]);
}

/// A file whose last page's strip runs past the end (its IFD is intact, placed before
/// the data as Pillow does) is damaged too: a new page written at the end would
/// become the tail of the old page.
#[test]
fn appending_to_a_tiff_whose_strip_runs_past_the_end_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pillow.tif");
    const SCRIPT: &str = r#"
import sys
from PIL import Image
Image.new("L", (64, 64), 128).save(sys.argv[1], format="TIFF")
"#;
    support::python(SCRIPT, &[path.as_os_str()]).unwrap();
    let full = std::fs::read(&path).unwrap();
    let cut = &full[..full.len() - 100];
    refused(
        "strip-cut.tif",
        cut,
        &["damaged TIFF", "strip", "past the end"],
    );
}

/// Another page's strip covering the one field appending writes (the last IFD's
/// next-IFD field) is found by the single walk's span check and refused, whatever the
/// page: here page 1 of 2, in a file without our tail (so the chain is walked).
#[test]
fn appending_to_a_tiff_whose_earlier_strip_covers_the_link_field_is_refused() {
    let doc = small_doc();
    let mut doc = doc[..doc.len() - 32].to_vec(); // no tail: the chain is walked
    let (_, field) = last_ifd(&doc);
    let rd32 = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let first = rd32(&doc, 4) as usize;
    let n = u16::from_le_bytes([doc[first], doc[first + 1]]) as usize;
    for i in 0..n {
        let e = first + 2 + 12 * i;
        let value = match u16::from_le_bytes([doc[e], doc[e + 1]]) {
            273 => field as u32 - 2, // StripOffsets: 2 bytes before the field
            279 => 6,                // StripByteCounts: 6 bytes, over it
            _ => continue,
        };
        assert_eq!(rd32(&doc, e + 4), 1, "one strip");
        doc[e + 8..e + 12].copy_from_slice(&value.to_le_bytes());
    }
    refused(
        "strip-over-link.tif",
        &doc,
        &[
            "damaged TIFF",
            "overlaps strip 0 of page 1",
            "appending would damage it",
        ],
    );
}

#[test]
fn appending_to_a_tiff_whose_chain_loops_is_refused() {
    let mut doc = small_doc();
    let (_, field) = last_ifd(&doc);
    let first = doc[4..8].to_vec();
    doc[field..field + 4].copy_from_slice(&first);
    let first = u32::from_le_bytes(first.try_into().unwrap());
    let e = refused(
        "loop.tif",
        &doc,
        &["damaged TIFF", "loops", &first.to_string()],
    );
    assert_eq!(e.hresult() as u32, 0x8007_000D);
    // An IFD that points to itself.
    let mut doc = small_doc();
    let (ifd, field) = last_ifd(&doc);
    doc[field..field + 4].copy_from_slice(&(ifd as u32).to_le_bytes());
    refused("self.tif", &doc, &["loops"]);
}

#[test]
fn appending_to_a_tiff_whose_ifd_offset_points_past_the_end_is_refused() {
    let mut doc = small_doc();
    let (_, field) = last_ifd(&doc);
    let past = doc.len() as u32 + 1000;
    doc[field..field + 4].copy_from_slice(&past.to_le_bytes());
    refused(
        "past.tif",
        &doc,
        &["damaged TIFF", "past the end", &past.to_string()],
    );
    // The header's first-IFD offset, too.
    let mut doc = small_doc();
    doc[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    refused("header.tif", &doc, &["past the end", &u32::MAX.to_string()]);
}

/// Big-endian files (libtiff's `tiffcp -B` of a document of ours) are appended to in
/// their byte order: libtiff reads the old and the new pages pixel for pixel, in the
/// codecs asked for, and the file stays MM. A 16-bit page is refused, the file untouched.
#[test]
fn big_endian_files_are_appended_to_in_their_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.tif");
    let old = write_doc(&ours, &[PageSpec::new(9, 17, PixelType::Gray8)], 1);
    let path = dir.path().join("mm.tif");
    tool(
        "tiffcp",
        &["-B".as_ref(), ours.as_os_str(), path.as_os_str()],
    );
    let new = [
        (
            PageSpec::new(1728, 30, PixelType::Bilevel),
            wias::Compression::G4,
        ),
        (
            PageSpec::new(33, 7, PixelType::Rgb24),
            wias::Compression::Lzw,
        ),
        (
            PageSpec::new(12, 5, PixelType::Gray8),
            wias::Compression::Deflate,
        ),
    ];
    let mut want = old;
    for (i, (spec, c)) in new.iter().enumerate() {
        let opts = Options::default().codec(wias::CodecSettings::new(*c));
        let mut doc = TiffWriter::append(&path, opts).unwrap();
        let d = support::pattern(spec.width, spec.lines, spec.pixel.depth(), 40 + i as u32);
        doc.write_page(spec, &d).unwrap();
        doc.finish().unwrap();
        want.push(d);
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], b"MM\0\x2a");
    support::tiffinfo_clean(&path).unwrap();
    let pages = support::libtiff_pages(&path).unwrap();
    assert_eq!(
        pages.iter().map(|p| p.compression).collect::<Vec<_>>(),
        [1, 4, 5, 8]
    );
    for (i, (p, w)) in pages.iter().zip(&want).enumerate() {
        assert!(p.data == *w, "page {}: pixels differ", i + 1);
    }
    let e = refused_16_bit(&path);
    assert!(e.to_string().contains("big-endian (MM)"), "{e}");
    assert_eq!(e.hresult(), hresult::E_INVALIDARG);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

fn refused_16_bit(path: &Path) -> Error {
    let mut doc = TiffWriter::append(path, Options::default()).unwrap();
    doc.write_page(&PageSpec::new(3, 2, PixelType::Gray16), &[0; 12])
        .unwrap_err()
}

/// The C-style path: pages 0, 1, 2 through `write_page_buf` with the page fields left
/// to the library, as a driver written for Windows leaves them; and the same pages from
/// a driver that also sets `lPage` to its own count before each call. After each page
/// `lPage` has gone up by one, `lPrevIfdOffset` is the page's IFD (where libtiff finds
/// it) and `lCurIfdOffset` the end of the file.
#[test]
fn context_pages_chain_through_the_library_owned_page_fields() {
    let dir = tempfile::tempdir().unwrap();
    for depth in [1, 8, 24] {
        for driver_counts in [false, true] {
            let path = dir.path().join(format!("ctx-{depth}-{driver_counts}.tif"));
            let mut file = support::new_rw_file(&path);
            let (w, h) = (1728 + depth as u32 % 7, 40);
            let mut ctx = TransferContext::new(
                w as i32,
                h as i32,
                depth,
                guids::TIFF,
                tymed::MULTIPAGE_FILE,
            );
            let info = ctx.image_information().unwrap();
            assert!(info.header.is_empty());
            let mut want = Vec::new();
            let mut offsets = Vec::new();
            for page in 0..3 {
                if driver_counts {
                    ctx.page = page;
                }
                let data = support::pattern(w, h, depth as u32, page as u32 + depth as u32);
                let end_before = file.metadata().unwrap().len() as i32;
                transfer::write_page_buf(&mut ctx, &mut file, &data).unwrap();
                assert_eq!(ctx.page, page + 1, "lPage goes up by one");
                assert!(ctx.prev_ifd_offset > end_before, "the new page's IFD");
                assert_eq!(
                    ctx.cur_ifd_offset as u64,
                    file.metadata().unwrap().len(),
                    "lCurIfdOffset is the end of the file"
                );
                offsets.push(ctx.prev_ifd_offset);
                want.push(data);
            }
            drop(file);
            let spec = PageSpec::new(w, h, wias::PixelType::from_depth(depth.into()).unwrap());
            check_all(&path, &[spec; 3], &want);
            // lPrevIfdOffset is where libtiff finds each page's directory.
            let out = Command::new("tiffinfo").arg(&path).output().unwrap();
            let listing = String::from_utf8_lossy(&out.stdout);
            for off in offsets {
                assert!(
                    listing.contains(&format!("TIFF Directory at offset {off:#x} ({off})")),
                    "IFD {off} not listed by tiffinfo:\n{listing}"
                );
            }
        }
    }
}

/// A driver that counts `lPage` itself and also increments it after each call (so
/// `lPage` runs ahead of the pages): the chain continues from the library's own
/// `lPrevIfdOffset`, and the PageNumber tags still count 0, 1, 2.
#[test]
fn a_driver_whose_lpage_runs_ahead_still_gets_every_page_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ahead.tif");
    let mut file = support::new_rw_file(&path);
    let mut ctx = TransferContext::new(9, 17, 8, guids::TIFF, tymed::MULTIPAGE_FILE);
    ctx.image_information().unwrap();
    let mut want = Vec::new();
    for page in 0..4u32 {
        let data = support::pattern(9, 17, 8, 40 + page);
        transfer::write_page_buf(&mut ctx, &mut file, &data).unwrap();
        ctx.page += 1; // the driver's own increment, on top of the library's
        want.push(data);
    }
    drop(file);
    check_all(&path, &[PageSpec::new(9, 17, PixelType::Gray8); 4], &want);
    let out = Command::new("tiffinfo").arg(&path).output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    for n in 0..4 {
        assert!(
            listing.contains(&format!("Page Number: {n}-0")),
            "page {n}:\n{listing}"
        );
    }
}

#[test]
fn a_wrong_prev_ifd_offset_is_an_error_that_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ctx.tif");
    let (w, h) = (9, 17);
    let mut file = support::new_rw_file(&path);
    let mut ctx = TransferContext::new(w, h, 8, guids::TIFF, tymed::MULTIPAGE_FILE);
    ctx.image_information().unwrap();
    let mut want = Vec::new();
    let mut ifds = Vec::new();
    for page in 0..2 {
        let data = support::pattern(w as u32, h as u32, 8, page as u32);
        transfer::write_page_buf(&mut ctx, &mut file, &data).unwrap();
        ifds.push(ctx.prev_ifd_offset);
        want.push(data);
    }
    let before = std::fs::read(&path).unwrap();
    let len = before.len() as i32;
    let third = support::pattern(w as u32, h as u32, 8, 9);
    for (wrong, says) in [
        (ifds[0], "not the last page"),
        (0, "lPrevIfdOffset = 0"),
        (-8, "lPrevIfdOffset = -8"),
        (len + 100, "lPrevIfdOffset"),
        (len - 1, "lPrevIfdOffset"),
        (8, "lPrevIfdOffset"),            // the first page's pixel data
        (16, "lPrevIfdOffset"),           // the first page's pixel data
        (ifds[1] + 1, "lPrevIfdOffset"),  // inside the last IFD
        (ifds[1] + 2, "lPrevIfdOffset"),  // inside the last IFD, on an entry
        (ifds[1] - 10, "lPrevIfdOffset"), // inside the last page's data
    ] {
        let mut c = ctx.clone();
        c.prev_ifd_offset = wrong;
        let e = match transfer::write_page_buf(&mut c, &mut file, &third) {
            Ok(()) => panic!("lPrevIfdOffset {wrong} (IFDs at {ifds:?}) was accepted"),
            Err(e) => e,
        };
        assert!(e.to_string().contains(says), "{wrong}: {e}");
        assert_eq!(e.hresult(), hresult::E_INVALIDARG, "{wrong}: {e}");
        assert_eq!(
            (c.page, c.cur_ifd_offset, c.prev_ifd_offset),
            (2, ctx.cur_ifd_offset, wrong),
            "a refused page changes no field"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "lPrevIfdOffset {wrong} changed the file"
        );
    }
    // The context the library left still works after all that.
    transfer::write_page_buf(&mut ctx, &mut file, &third).unwrap();
    want.push(third);
    drop(file);
    check_all(&path, &[PageSpec::new(9, 17, PixelType::Gray8); 3], &want);
}

/// A classic TIFF addresses 4 GiB. A page that would end past that is either refused
/// before a byte is written (the document keeps its pages) or, where the writer grows
/// the file into a BigTIFF, added so that every page reads back. Never half of either.
/// The size comes from a hole, so little is written.
#[test]
fn a_page_past_4_gib_is_refused_or_fully_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tif");
    let spec = PageSpec::new(9, 17, PixelType::Gray8);
    let mut want = write_doc(&path, &[spec], 1);
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_len(u32::MAX as u64 - 100).unwrap(); // sparse
    drop(f);
    let len = std::fs::metadata(&path).unwrap().len();
    let second = support::pattern(9, 17, 8, 2);
    let mut doc = TiffWriter::append(&path, Options::default()).unwrap();
    match doc.write_page(&spec, &second) {
        Err(e) => {
            assert!(matches!(e, Error::SizeOverflow { .. }), "{e:?}");
            assert!(e.to_string().contains("classic TIFF"), "{e}");
            assert_eq!(doc.pages(), 1);
            drop(doc);
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                len,
                "nothing appended"
            );
        }
        Ok(_) => {
            assert_eq!(doc.pages(), 2);
            doc.finish().unwrap();
            want.push(second);
        }
    }
    let pages = support::libtiff_pages(&path).unwrap();
    assert_eq!(pages.len(), want.len());
    for (p, w) in pages.iter().zip(&want) {
        assert!(&p.data == w, "page pixels differ");
    }
}

/// A header with no page yet (what a failed first page leaves) takes pages.
#[test]
fn append_to_a_document_with_no_page_yet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty-doc.tif");
    std::fs::write(&path, b"II*\0\0\0\0\0").unwrap();
    let specs = [
        PageSpec::new(9, 17, PixelType::Bilevel),
        PageSpec::new(7, 3, PixelType::Rgb24),
    ];
    let want = append_pages(&path, &specs, 90);
    check_all(&path, &specs, &want);
}

/// Damage inside the last IFD: no entries, an absurd entry count, a tag value that
/// lies past the end of the file.
#[test]
fn appending_to_a_tiff_with_a_damaged_ifd_is_refused() {
    let doc = small_doc();
    let (ifd, _) = last_ifd(&doc);

    let mut zero = doc.clone();
    zero[ifd..ifd + 2].copy_from_slice(&0u16.to_le_bytes());
    refused(
        "zero-entries.tif",
        &zero,
        &["damaged TIFF", "0 entries", &ifd.to_string()],
    );

    let mut huge = doc.clone();
    huge[ifd..ifd + 2].copy_from_slice(&60_000u16.to_le_bytes());
    refused("huge-count.tif", &huge, &["damaged TIFF", &ifd.to_string()]);

    // BitsPerSample of the RGB page (3 SHORTs, stored out of line) moved past the end.
    let n = u16::from_le_bytes([doc[ifd], doc[ifd + 1]]) as usize;
    let entry = (0..n)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes([doc[e], doc[e + 1]]) == 258)
        .expect("a BitsPerSample entry");
    let mut far = doc.clone();
    let past = doc.len() as u32 + 64;
    far[entry + 8..entry + 12].copy_from_slice(&past.to_le_bytes());
    refused(
        "tag-past-end.tif",
        &far,
        &["damaged TIFF", "BitsPerSample", "past the end"],
    );
}

/// A `Cursor` that counts the bytes read through it.
struct CountingReads {
    inner: Cursor<Vec<u8>>,
    read: u64,
}
impl std::io::Read for CountingReads {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}
impl std::io::Write for CountingReads {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl std::io::Seek for CountingReads {
    fn seek(&mut self, p: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(p)
    }
}

/// A document of ours with `n` small gray pages, as bytes.
fn gray_doc(n: usize) -> Vec<u8> {
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default()).unwrap();
    for i in 0..n {
        let d = support::pattern(3, 2, 8, i as u32);
        doc.write_page(&PageSpec::new(3, 2, PixelType::Gray8), &d)
            .unwrap();
    }
    doc.finish().unwrap().into_inner()
}

/// Every IFD's offset and next-IFD field, walking the chain here.
fn ifds(bytes: &[u8]) -> Vec<(usize, usize)> {
    let rd32 = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut out = Vec::new();
    let mut ifd = rd32(4);
    while ifd != 0 {
        let n = u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]) as usize;
        out.push((ifd, ifd + 2 + 12 * n));
        ifd = rd32(ifd + 2 + 12 * n);
    }
    out
}

/// Appends one gray page through `append_to`: the page count it found and the bytes.
fn append_one_to(bytes: Vec<u8>) -> (u32, Vec<u8>) {
    let (found, _, out) = append_one(bytes);
    (found, out)
}

/// Appends one gray page through `append_to`; the page count it found and the bytes
/// it read to open the document.
fn append_one(bytes: Vec<u8>) -> (u32, u64, Vec<u8>) {
    let mut sink = CountingReads {
        inner: Cursor::new(bytes),
        read: 0,
    };
    let mut doc = TiffWriter::append_to(&mut sink, Options::default()).unwrap();
    let found = doc.pages();
    let d = support::pattern(3, 2, 8, 99);
    doc.write_page(&PageSpec::new(3, 2, PixelType::Gray8), &d)
        .unwrap();
    doc.finish().unwrap();
    let read = sink.read;
    (found, read, sink.inner.into_inner())
}

/// Reopening a document of ours reads a few hundred bytes whatever its length (the
/// chain tail at its end, checked in O(1)); libtiff reads every page of the result.
#[test]
fn reopening_our_document_reads_the_same_bytes_at_any_page_count() {
    let (found_short, read_short, _) = append_one(gray_doc(2));
    let (found_long, read_long, bytes) = append_one(gray_doc(400));
    assert_eq!((found_short, found_long), (2, 400));
    assert!(
        read_short <= 4096,
        "{read_short} bytes read to reopen 2 pages"
    );
    assert!(
        read_long <= 4096,
        "{read_long} bytes read to reopen 400 pages"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.tif");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(support::libtiff_page_count(&path), 401);
    // Without the tail the chain is walked (every IFD read); that append writes a
    // tail, so the next reopen is O(1) again.
    let mut stale = gray_doc(400);
    stale.truncate(stale.len() - 32);
    let (found, read_walk, bytes) = append_one(stale);
    assert_eq!(found, 400);
    assert!(
        read_walk > 20 * read_long,
        "the walk read {read_walk} bytes"
    );
    let (found, read_again, _) = append_one(bytes);
    assert_eq!(found, 401);
    assert!(
        read_again <= 4096,
        "{read_again} bytes after the walk's append"
    );
}

/// The trade-off of the O(1) reopen, documented in `tail::trusted_chain_end`: a chain
/// broken in the middle of a document whose first and last pages check out is not seen
/// (the walk of `wias inspect` or a reopen without the tail sees it), and appending
/// then writes only the last IFD's next-IFD field and from the old tail on.
#[test]
fn a_chain_broken_in_the_middle_is_left_to_the_walk_and_appending_damages_nothing() {
    let mut doc = gray_doc(4);
    let chain = ifds(&doc);
    let past = doc.len() as u32 + 1000;
    doc[chain[1].1..chain[1].1 + 4].copy_from_slice(&past.to_le_bytes());
    let (found, _, out) = append_one(doc.clone());
    assert_eq!(found, 4);
    let last_field = chain[3].1..chain[3].1 + 4;
    for (i, (a, b)) in doc.iter().zip(&out).enumerate() {
        if a != b {
            assert!(
                i >= doc.len() - 32 || last_field.contains(&i),
                "byte {i} of the old file changed"
            );
        }
    }
    let e = wias::tiff::TiffFile::read(&mut Cursor::new(out)).unwrap_err();
    assert!(e.to_string().contains("past the end"), "{e}");
    // Without the tail the walk refuses the file, untouched.
    doc.truncate(doc.len() - 32);
    refused("broken.tif", &doc, &["damaged TIFF", "past the end"]);
}

/// Sets the value of the one-value entry `tag` of the IFD at `ifd` (an inline SHORT or
/// LONG of a little-endian classic file) to `value`.
fn set_entry(bytes: &mut [u8], ifd: usize, tag: u16, value: u32) {
    let n = u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]) as usize;
    let e = (0..n)
        .map(|k| ifd + 2 + 12 * k)
        .find(|&e| u16::from_le_bytes([bytes[e], bytes[e + 1]]) == tag)
        .unwrap_or_else(|| panic!("no tag {tag}"));
    match u16::from_le_bytes([bytes[e + 2], bytes[e + 3]]) {
        3 => bytes[e + 8..e + 10].copy_from_slice(&(value as u16).to_le_bytes()),
        _ => bytes[e + 8..e + 12].copy_from_slice(&value.to_le_bytes()),
    }
}

/// A file `wias inspect` finds a problem in is refused, untouched, with that problem
/// (issue 26 item 2, issue 28 item 3): page 1 of a document of ours with a strip of 0
/// bytes (its chain tail still checks out, so this is the O(1) reopen's check of page
/// 1), and a last page with PlanarConfiguration 3 (the tail no longer checks out: the
/// walk's). libtiff refuses both. Before the fix both were appended to.
#[test]
fn a_file_inspect_calls_unsound_is_refused_with_its_problem() {
    let base = small_doc();
    let first = u32::from_le_bytes(base[4..8].try_into().unwrap()) as usize;
    let mut empty_strip = base.clone();
    set_entry(&mut empty_strip, first, 279, 0);
    let mut planar3 = base.clone();
    set_entry(&mut planar3, last_ifd(&base).0, 284, 3);
    for (name, bytes, problem) in [
        (
            "empty-strip.tif",
            &empty_strip,
            "page 1: strip 0 has 0 bytes",
        ),
        ("planar3.tif", &planar3, "page 2: PlanarConfiguration is 3"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        assert!(
            support::tiffinfo_clean(&path).is_err() || support::libtiff_pages(&path).is_err(),
            "{name}: libtiff reads it"
        );
        let e = refused(name, bytes, &["not sound", problem]);
        assert!(matches!(e, Error::Corrupt(_)), "{name}: {e:?}");
    }
}

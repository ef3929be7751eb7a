//! The chain tail (`crates/wias/src/tiff/tail.rs`): what makes reopening a document of
//! ours O(1), and why it can never make an append write where the full check would
//! refuse to, nor touch a byte of another program's file but the one link field.
//! Files are checked with libtiff (tiffcp, tiffpixels), not with our reader.

use wias_testsupport as support;

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use wias::tiff::{BigTiff, Options, TiffWriter};
use wias::{PageSpec, PixelType};

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

fn rd32(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

/// Every IFD's offset, next-IFD field and the field that links it, walking the chain
/// here (classic little-endian).
fn chain(b: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let (mut ifd, mut from) = (rd32(b, 4), 4);
    while ifd != 0 {
        let n = u16::from_le_bytes([b[ifd], b[ifd + 1]]) as usize;
        let next = ifd + 2 + 12 * n;
        out.push((ifd, next, from));
        from = next;
        ifd = rd32(b, next);
    }
    out
}

/// A tail as the writer makes it (the record is documented in `tail.rs`; the CRC is
/// computed here with libdeflate's CRC-32, as a forger would).
fn forged_tail(b: &[u8], link_field: usize, ifd: usize, pages: u32, tail_at: usize) -> [u8; 32] {
    let n = u16::from_le_bytes([b[ifd], b[ifd + 1]]) as usize;
    let table = &b[ifd..ifd + 2 + 12 * n + 4];
    let mut t = [0u8; 32];
    t[..8].copy_from_slice(b"wias-end");
    t[8..16].copy_from_slice(&(link_field as u64).to_le_bytes());
    t[16..24].copy_from_slice(&(ifd as u64).to_le_bytes());
    t[24..28].copy_from_slice(&pages.to_le_bytes());
    let mut crc = libdeflater::Crc::new();
    crc.update(&t[..28]);
    crc.update(&(tail_at as u64).to_le_bytes());
    crc.update(table);
    t[28..].copy_from_slice(&crc.sum().to_le_bytes());
    t
}

/// Appends one gray page; the pages found on opening and the bytes after.
fn append_one(bytes: Vec<u8>) -> (u32, Vec<u8>) {
    let mut cur = Cursor::new(bytes);
    let mut doc = TiffWriter::append_to(&mut cur, Options::default()).unwrap();
    let found = doc.pages();
    let d = support::pattern(3, 2, 8, 99);
    doc.write_page(&PageSpec::new(3, 2, PixelType::Gray8), &d)
        .unwrap();
    doc.finish().unwrap();
    (found, cur.into_inner())
}

/// libtiff's page count of `bytes`, written to a temporary file.
fn libtiff_count(bytes: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.tif");
    std::fs::write(&p, bytes).unwrap();
    support::libtiff_page_count(&p)
}

/// Bytes of `old` that `new` changed (`new` may be longer).
fn changed(old: &[u8], new: &[u8]) -> Vec<usize> {
    (0..old.len()).filter(|&i| old[i] != new[i]).collect()
}

#[test]
fn our_documents_end_with_a_tail_that_names_the_last_ifd() {
    let doc = gray_doc(3);
    let c = chain(&doc);
    let (ifd, _, from) = c[2];
    let at = doc.len() - 32;
    assert_eq!(&doc[at..], &forged_tail(&doc, from, ifd, 3, at));
    // Appending overwrites the old tail with the page and writes a new one: bytes
    // before the old tail are unchanged but the last link field.
    let (found, out) = append_one(doc.clone());
    assert_eq!(found, 3);
    let touched = changed(&doc[..at], &out);
    assert!(
        touched.iter().all(|&i| (c[2].1..c[2].1 + 4).contains(&i)),
        "{touched:?}"
    );
    assert_eq!(libtiff_count(&out), 4);
    let c = chain(&out);
    let at = out.len() - 32;
    assert_eq!(&out[at..], &forged_tail(&out, c[3].2, c[3].0, 4, at));
}

/// Tails that do not check out are ignored and the chain is walked: a damaged record,
/// a tail naming an earlier page (with a valid CRC), an orphan IFD after the last page
/// (a valid CRC: the forger knows the format), bytes after the tail, a page added by
/// tiffcp -a, a file cut short.
#[test]
fn a_tail_that_does_not_check_out_falls_back_to_the_walk() {
    let doc = gray_doc(4);
    let c = chain(&doc);
    let at = doc.len() - 32;
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for k in [8, 16, 24, 28] {
        let mut b = doc.clone();
        b[at + k] ^= 1;
        cases.push(("damaged record", b));
    }
    let mut earlier = doc.clone();
    let t = forged_tail(&doc, c[2].2, c[2].0, 3, at);
    earlier[at..].copy_from_slice(&t);
    cases.push(("earlier page", earlier));
    // An orphan copy of the last IFD (its strip offsets still right) after the tail.
    let mut orphan = doc.clone();
    let n = 2 + 12 * u16::from_le_bytes([doc[c[3].0], doc[c[3].0 + 1]]) as usize + 4;
    let o = orphan.len();
    let table = doc[c[3].0..c[3].0 + n].to_vec();
    orphan.extend_from_slice(&table);
    for link in [c[3].1, 4] {
        let mut b = orphan.clone();
        let tail_at = b.len();
        let pages = if link == 4 { 1 } else { 5 };
        let t = forged_tail(&b, link, o, pages, tail_at);
        b.extend_from_slice(&t);
        cases.push(("orphan IFD", b));
    }
    let mut trailing = doc.clone();
    trailing.extend_from_slice(&[0; 7]);
    cases.push(("bytes after the tail", trailing));
    for (name, bytes) in cases {
        let (found, out) = append_one(bytes.clone());
        assert_eq!(found, 4, "{name}: the walk finds the 4 pages");
        assert_eq!(libtiff_count(&out), 5, "{name}");
        // The walk appends after everything: only the last link field changes.
        let touched = changed(&bytes, &out);
        assert!(
            touched.iter().all(|&i| (c[3].1..c[3].1 + 4).contains(&i)),
            "{name}: {touched:?}"
        );
    }
    // tiffcp -a added pages after ours: the file no longer ends with our tail.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ours.tif");
    std::fs::write(&path, &doc).unwrap();
    let extra = dir.path().join("extra.tif");
    std::fs::write(&extra, gray_doc(2)).unwrap();
    tool(
        "tiffcp",
        &["-a".as_ref(), extra.as_os_str(), path.as_os_str()],
    );
    let (found, _) = append_one(std::fs::read(&path).unwrap());
    assert_eq!(found, 6);
}

/// Issue 18 item 4 (a): page 1's strip covers the last IFD's link field. The tail
/// still checks out (it binds the last IFD, which is unchanged), but the O(1) reopen
/// also checks page 1, so the append is refused as the walk refuses it, untouched.
#[test]
fn a_strip_of_page_one_over_the_last_link_field_is_refused_with_or_without_a_tail() {
    let doc = gray_doc(3);
    let c = chain(&doc);
    let mut bad = doc.clone();
    let (ifd1, _, _) = c[0];
    let n = u16::from_le_bytes([bad[ifd1], bad[ifd1 + 1]]) as usize;
    let entry = |t: u16| {
        (0..n)
            .map(|i| ifd1 + 2 + 12 * i)
            .find(|&e| u16::from_le_bytes([bad[e], bad[e + 1]]) == t)
            .unwrap()
    };
    let (off_e, count_e) = (entry(273), entry(279));
    let strip = rd32(&bad, off_e + 8);
    let reach = (c[2].1 + 4 - strip) as u32;
    // StripByteCounts as one LONG, inline.
    bad[count_e + 2..count_e + 4].copy_from_slice(&4u16.to_le_bytes());
    bad[count_e + 4..count_e + 8].copy_from_slice(&1u32.to_le_bytes());
    bad[count_e + 8..count_e + 12].copy_from_slice(&reach.to_le_bytes());
    for (name, bytes) in [
        ("with the tail", bad.clone()),
        ("without the tail", bad[..bad.len() - 32].to_vec()),
    ] {
        let mut cur = Cursor::new(bytes.clone());
        let e = TiffWriter::append_to(&mut cur, Options::default())
            .err()
            .unwrap_or_else(|| panic!("{name}: the append was accepted"));
        assert!(e.to_string().contains("overlaps"), "{name}: {e}");
        assert_eq!(cur.into_inner(), bytes, "{name}: the file changed");
    }
}

/// Issue 18 item 4 (b): a file of another writer whose last 32 bytes are pixels that
/// spell a tail with a valid CRC for its one IFD. The IFD does not end where the tail
/// starts, so the tail is not trusted; the pixels are never written over.
#[test]
fn pixels_that_spell_a_tail_are_never_overwritten() {
    // header | IFD at 8 | strip of 64 pixels at the end, the last 32 spelling a tail.
    let (w, h) = (8u32, 8u32);
    let entries: [(u16, u16, u32, u32); 8] = [
        (256, 4, 1, w),
        (257, 4, 1, h),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 0), // set below
        (278, 4, 1, h),
        (279, 4, 1, w * h),
    ];
    let ifd_len = 2 + 12 * entries.len() + 4;
    let strip_at = 8 + ifd_len;
    let mut b = b"II*\0\x08\0\0\0".to_vec();
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (t, ty, n, v) in entries {
        let v = if t == 273 { strip_at as u32 } else { v };
        b.extend_from_slice(&t.to_le_bytes());
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&n.to_le_bytes());
        if ty == 3 {
            b.extend_from_slice(&(v as u16).to_le_bytes());
            b.extend_from_slice(&[0, 0]);
        } else {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    b.extend_from_slice(&[0; 4]);
    b.extend((0..32).map(|i| i as u8 * 7));
    let tail_at = b.len();
    let t = forged_tail(&b, 4, 8, 1, tail_at);
    b.extend_from_slice(&t);
    assert_eq!(b.len(), strip_at + 64);
    let before = support::libtiff_pages(&write_tmp(&b)).unwrap();
    let (found, out) = append_one(b.clone());
    assert_eq!(found, 1);
    let touched = changed(&b, &out);
    let link = 8 + 2 + 12 * entries.len();
    assert!(
        touched.iter().all(|&i| (link..link + 4).contains(&i)),
        "{touched:?}"
    );
    let after = support::libtiff_pages(&write_tmp(&out)).unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].data, before[0].data);
}

fn write_tmp(bytes: &[u8]) -> std::path::PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    let p = dir.join("x.tif");
    std::fs::write(&p, bytes).unwrap();
    p
}

fn tool(cmd: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new(cmd).args(args).output().expect(cmd);
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Page `k` of `path` as libtiff decodes it: tiffcp turns it into one uncompressed
/// stripped page (decoding tiles and JPEG), read with TIFFReadScanline.
fn libtiff_page(path: &Path, k: usize, scratch: &Path) -> Vec<u8> {
    let out = scratch.join(format!("page{k}.tif"));
    let _ = std::fs::remove_file(&out);
    let src = format!("{},{k}", path.display());
    tool(
        "tiffcp",
        &[
            "-c".as_ref(),
            "none".as_ref(),
            "-s".as_ref(),
            src.as_ref(),
            out.as_os_str(),
        ],
    );
    let pages = support::libtiff_pages(&out).unwrap();
    assert_eq!(pages.len(), 1);
    pages.into_iter().next().unwrap().data
}

/// Issue 26 item 1: tiled TIFFs from tiffcp and ImageMagick, whose first tile starts at
/// byte 8, appended to (gray, 16-bit, RGB pages): every earlier page decodes in libtiff
/// as before, and no byte of the old file changes but the last link field.
#[test]
fn appending_to_tiled_tiffs_keeps_every_earlier_page() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Sources: 8-bit gray, 16-bit gray, RGB and CMYK, two pages each, by tifffile.
    support::python(
        r#"
import sys, numpy as np, tifffile
out = sys.argv[1]
rng = np.random.default_rng(7)
def img(shape, dt):
    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    base = (x * 3 + y * 5) % 251
    noise = rng.integers(0, 4, size=shape[:2])
    a = (base + noise).astype(np.uint32)
    if dt == np.uint16:
        a = a * 257
    a = a.astype(dt)
    if len(shape) == 3:
        a = np.stack([(a + 40 * i).astype(dt) for i in range(shape[2])], axis=-1)
    return a
for name, shape, dt, pm in [("gray8", (150, 130), np.uint8, "minisblack"),
                            ("gray16", (150, 130), np.uint16, "minisblack"),
                            ("rgb", (150, 130, 3), np.uint8, "rgb"),
                            ("cmyk", (150, 130, 4), np.uint8, "separated")]:
    with tifffile.TiffWriter(f"{out}/{name}.tif") as w:
        for k in range(2):
            w.write(img(shape, dt) + k, photometric=pm)
"#,
        &[d.as_os_str()],
    )
    .unwrap();
    let mut files = Vec::new();
    for src in ["gray8", "gray16", "rgb", "cmyk"] {
        let input = d.join(format!("{src}.tif"));
        for comp in ["none", "zip", "lzw", "jpeg"] {
            if comp == "jpeg" && src == "gray16" {
                continue; // libtiff's JPEG codec takes 8-bit samples
            }
            let out = d.join(format!("tiffcp-{src}-{comp}.tif"));
            tool(
                "tiffcp",
                &[
                    "-t".as_ref(),
                    "-w".as_ref(),
                    "64".as_ref(),
                    "-l".as_ref(),
                    "64".as_ref(),
                    "-c".as_ref(),
                    comp.as_ref(),
                    input.as_os_str(),
                    out.as_os_str(),
                ],
            );
            files.push(out);
        }
        for comp in ["None", "Zip", "LZW", "JPEG"] {
            if comp == "JPEG" && src == "gray16" {
                continue;
            }
            let out = d.join(format!("im-{src}-{comp}.tif"));
            tool(
                "convert",
                &[
                    input.as_os_str(),
                    "-define".as_ref(),
                    "tiff:tile-geometry=64x64".as_ref(),
                    "-compress".as_ref(),
                    comp.as_ref(),
                    out.as_os_str(),
                ],
            );
            files.push(out);
        }
    }
    let mut at_byte_8 = 0;
    for path in &files {
        let old = std::fs::read(path).unwrap();
        if first_tile_offset(path) == 8 {
            at_byte_8 += 1;
        }
        let pages = support::libtiff_page_count(path);
        let before: Vec<_> = (0..pages).map(|k| libtiff_page(path, k, d)).collect();
        for (spec, depth) in [
            (PageSpec::new(5, 3, PixelType::Gray8), 8),
            (PageSpec::new(5, 3, PixelType::Gray16), 16),
            (PageSpec::new(5, 3, PixelType::Rgb24), 24),
        ] {
            let mut doc = TiffWriter::append(path, Options::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            doc.write_page(&spec, &support::pattern(5, 3, depth, 1))
                .unwrap();
            doc.finish().unwrap();
        }
        let new = std::fs::read(path).unwrap();
        let touched = changed(&old, &new);
        assert!(
            touched.len() <= 8,
            "{}: bytes {touched:?} of the old file changed",
            path.display()
        );
        assert_eq!(support::libtiff_page_count(path), pages + 3);
        for (k, want) in before.iter().enumerate() {
            assert_eq!(
                &libtiff_page(path, k, d),
                want,
                "{}: page {} changed",
                path.display(),
                k + 1
            );
        }
    }
    // The case of the issue is covered: tiles that start at byte 8.
    assert!(
        at_byte_8 >= 8,
        "only {at_byte_8} files have a tile at byte 8"
    );
}

/// TileOffsets[0] of the first page, read here from the IFD.
fn first_tile_offset(path: &Path) -> u64 {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..2], b"II");
    let ifd = rd32(&b, 4);
    let n = u16::from_le_bytes([b[ifd], b[ifd + 1]]) as usize;
    for i in 0..n {
        let e = ifd + 2 + 12 * i;
        if u16::from_le_bytes([b[e], b[e + 1]]) == 324 {
            let ty = u16::from_le_bytes([b[e + 2], b[e + 3]]);
            let count = rd32(&b, e + 4);
            let size = if ty == 3 { 2 } else { 4 };
            let at = if count * size <= 4 {
                e + 8
            } else {
                rd32(&b, e + 8)
            };
            return if ty == 3 {
                u16::from_le_bytes([b[at], b[at + 1]]) as u64
            } else {
                rd32(&b, at) as u64
            };
        }
    }
    panic!("{}: no TileOffsets", path.display())
}

/// Issue 26 item 1: a foreign file with an offset in each offset-bearing tag (and one
/// of unknown reach) pointing at bytes 8..16, or bytes 8..16 not zero: appending writes
/// only the link field, and growing the file into a BigTIFF (whose header would go
/// there) is refused, the file untouched.
#[test]
fn offsets_into_bytes_8_to_16_keep_the_file_classic_and_untouched() {
    // (tag, type, count): each points at byte 8.
    type Case = (&'static str, Option<(u16, u16, u32)>, [u8; 8]);
    let cases: [Case; 9] = [
        ("SubIFDs", Some((330, 4, 1)), [0; 8]),
        ("ExifIFD", Some((34665, 4, 1)), [0; 8]),
        ("GPSInfo", Some((34853, 4, 1)), [0; 8]),
        ("InteroperabilityIFD", Some((40965, 13, 1)), [0; 8]),
        ("JPEGInterchangeFormat", Some((513, 4, 1)), [0; 8]),
        ("FreeOffsets", Some((288, 4, 1)), [0; 8]),
        ("an unknown LONG tag", Some((65000, 4, 1)), [0; 8]),
        ("an ASCII value", Some((270, 2, 8)), *b"scanner\0"),
        ("nothing names them", None, *b"GDALghst"),
    ];
    for (name, extra, room) in cases {
        let file = foreign_with(extra, room);
        let pages_before = support::libtiff_pages(&write_tmp(&file)).map(|p| p.len());
        // A plain append: only the link field changes.
        let (found, out) = append_one(file.clone());
        assert_eq!(found, 1, "{name}");
        let touched = changed(&file, &out);
        assert!(
            touched.len() <= 4 && touched.iter().all(|&i| i >= 16),
            "{name}: {touched:?}"
        );
        let pages_after = support::libtiff_pages(&write_tmp(&out)).map(|p| p.len());
        assert_eq!(pages_after, pages_before.map(|n| n + 1), "{name}");
        // Growing into a BigTIFF is refused and says why.
        let mut cur = Cursor::new(file.clone());
        let opts = Options::default().bigtiff(BigTiff::PromoteAt(file.len() as u64 + 8));
        let mut doc = TiffWriter::append_to(&mut cur, opts).unwrap();
        let e = doc
            .write_page(&PageSpec::new(3, 2, PixelType::Gray8), &[1; 6])
            .unwrap_err();
        assert!(
            e.to_string().contains("cannot become a BigTIFF"),
            "{name}: {e}"
        );
        drop(doc);
        assert_eq!(cur.into_inner(), file, "{name}: the file changed");
    }
}

/// A one-page 3×2 gray TIFF: header, bytes 8..16 = `room`, strip at 16, IFD after it,
/// with `extra` (tag, type, count) pointing at byte 8 (inline values hold 8).
fn foreign_with(extra: Option<(u16, u16, u32)>, room: [u8; 8]) -> Vec<u8> {
    let mut entries: Vec<(u16, u16, u32, u32)> = vec![
        (256, 4, 1, 3),
        (257, 4, 1, 2),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 16),
        (278, 4, 1, 2),
        (279, 4, 1, 6),
    ];
    if let Some((t, ty, n)) = extra {
        entries.push((t, ty, n, 8));
    }
    entries.sort_by_key(|e| e.0);
    let mut b = b"II*\0".to_vec();
    b.extend_from_slice(&24u32.to_le_bytes());
    b.extend_from_slice(&room);
    b.extend_from_slice(&[10, 20, 30, 40, 50, 60, 0, 0]); // strip, padded to 24
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (t, ty, n, v) in entries {
        b.extend_from_slice(&t.to_le_bytes());
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&n.to_le_bytes());
        if ty == 3 {
            b.extend_from_slice(&(v as u16).to_le_bytes());
            b.extend_from_slice(&[0, 0]);
        } else {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    b.extend_from_slice(&[0; 4]);
    b
}

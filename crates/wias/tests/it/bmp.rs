//! BMP pages of 1, 8 and 24 bits at odd widths (so the 4-byte row padding matters),
//! through `bmp::write` and through `transfer::write_page_buf` with a BMP or MEMORYBMP
//! transfer context, read back by Pillow pixel for pixel. Header fields are checked
//! against values computed here from the BMP specification.
use wias_testsupport as support;

use std::fs::File;
use std::io::Write;
use std::path::Path;

use wias::context::tymed;
use wias::{bmp, guids, hresult, transfer, Error, PageSpec, PixelType, TransferContext};

const GEOMETRIES: [(u32, u32); 5] = [(1, 1), (7, 3), (9, 17), (13, 5), (2481, 91)];
const TYPES: [PixelType; 3] = [PixelType::Bilevel, PixelType::Gray8, PixelType::Rgb24];

/// BMP row stride from the specification: `((width × bpp + 31) / 32) × 4`.
#[allow(clippy::manual_div_ceil)] // the specification's formula, as written there
fn stride(width: u32, bpp: u32) -> usize {
    ((width as usize * bpp as usize + 31) / 32) * 4
}

/// Palette entries a BMP of `bpp` bits carries (1 → 2, 8 → 256, 24 → none).
fn palette_len(bpp: u32) -> usize {
    match bpp {
        1 => 2,
        8 => 256,
        _ => 0,
    }
}

/// Top-down page-buffer rows → bottom-up BGR rows padded to 4 bytes, written here
/// independently of `bmp::dib_rows`.
fn dib(width: u32, lines: u32, bpp: u32, rows: &[u8]) -> Vec<u8> {
    let src = (width as usize * bpp as usize).div_ceil(8);
    let dst = stride(width, bpp);
    let mut out = Vec::with_capacity(dst * lines as usize);
    for y in (0..lines as usize).rev() {
        let row = &rows[y * src..(y + 1) * src];
        if bpp == 24 {
            for px in row.chunks(3) {
                out.extend_from_slice(&[px[2], px[1], px[0]]);
            }
        } else {
            out.extend_from_slice(row);
        }
        out.resize(out.len() + dst - src, 0);
    }
    out
}

/// What Pillow must see: the page as 8-bit L (1-bit: 0 → 0, 1 → 255) or RGB samples.
fn as_pillow(width: u32, lines: u32, bpp: u32, rows: &[u8]) -> Vec<u8> {
    if bpp != 1 {
        return rows.to_vec();
    }
    let rb = (width as usize).div_ceil(8);
    let mut out = Vec::with_capacity((width * lines) as usize);
    for y in 0..lines as usize {
        for x in 0..width as usize {
            let bit = rows[y * rb + x / 8] & (0x80 >> (x % 8));
            out.push(if bit != 0 { 255 } else { 0 });
        }
    }
    out
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}

/// Checks a BMP file's headers field by field against the specification.
fn check_bmp_headers(path: &Path, spec: &PageSpec, rows: &[u8]) {
    let bpp = spec.pixel.depth();
    let (w, h) = (spec.width, spec.lines);
    let what = format!("{}x{} {} in {}", w, h, spec.pixel, path.display());
    let bytes = std::fs::read(path).unwrap();
    let pal = palette_len(bpp);
    let off = 14 + 40 + 4 * pal;
    let image = stride(w, bpp) * h as usize;
    assert_eq!(bytes.len(), off + image, "{what}: file length");
    assert_eq!(&bytes[0..2], b"BM", "{what}");
    assert_eq!(le32(&bytes, 2) as usize, off + image, "{what}: bfSize");
    assert_eq!(le32(&bytes, 10) as usize, off, "{what}: bfOffBits");
    assert_eq!(le32(&bytes, 14), 40, "{what}: biSize");
    assert_eq!(le32(&bytes, 18), w, "{what}: biWidth");
    assert_eq!(
        le32(&bytes, 22),
        h,
        "{what}: biHeight (positive: bottom-up)"
    );
    assert_eq!(le16(&bytes, 26), 1, "{what}: biPlanes");
    assert_eq!(u32::from(le16(&bytes, 28)), bpp, "{what}: biBitCount");
    assert_eq!(le32(&bytes, 30), 0, "{what}: biCompression BI_RGB");
    assert_eq!(le32(&bytes, 34) as usize, image, "{what}: biSizeImage");
    // 300 dpi = 300 / 0.0254 m = 11811.02 pixels per metre.
    assert_eq!(le32(&bytes, 38), 11811, "{what}: biXPelsPerMeter");
    assert_eq!(le32(&bytes, 42), 11811, "{what}: biYPelsPerMeter");
    assert_eq!(le32(&bytes, 46) as usize, pal, "{what}: biClrUsed");
    for i in 0..pal {
        let v = if pal == 2 { (i * 255) as u8 } else { i as u8 };
        assert_eq!(
            &bytes[54 + 4 * i..58 + 4 * i],
            &[v, v, v, 0],
            "{what}: palette entry {i} (gray ramp, 0 = black)"
        );
    }
    assert_eq!(&bytes[off..], &dib(w, h, bpp, rows)[..], "{what}: DIB rows");
}

/// BMP files written, with what they should hold.
#[derive(Default)]
struct Written(Vec<(std::path::PathBuf, PageSpec, Vec<u8>)>);

impl Written {
    /// Checks `path`'s headers now and remembers it for Pillow.
    fn add(&mut self, path: &Path, spec: PageSpec, rows: Vec<u8>) {
        check_bmp_headers(path, &spec, &rows);
        self.0.push((path.to_path_buf(), spec, rows));
    }

    /// Pillow reads every file (in one Python process) pixel for pixel.
    fn check_with_pillow(&self) {
        let paths: Vec<&Path> = self.0.iter().map(|(p, _, _)| p.as_path()).collect();
        let images = support::pillow_images(&paths).unwrap();
        for ((path, spec, rows), img) in self.0.iter().zip(images) {
            let (w, h) = (spec.width, spec.lines);
            let what = format!("{}x{} {} in {}", w, h, spec.pixel, path.display());
            assert_eq!((img.width, img.height), (w, h), "{what}: Pillow size");
            let want = as_pillow(w, h, spec.pixel.depth(), rows);
            assert_eq!(img.data.len(), want.len(), "{what}: Pillow data length");
            if let Some(k) = img.data.iter().zip(&want).position(|(a, b)| a != b) {
                panic!(
                    "{what}: Pillow ({} mode) differs at sample {k}: {} vs {}",
                    img.mode, img.data[k], want[k]
                );
            }
        }
    }
}

#[test]
fn bmp_write_pages_read_back_through_pillow() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Written::default();
    for pixel in TYPES {
        for (g, &(w, h)) in GEOMETRIES.iter().enumerate() {
            let spec = PageSpec::new(w, h, pixel);
            let rows = support::pattern(w, h, pixel.depth(), g as u32);
            let path = dir.path().join(format!("{pixel}-{w}x{h}.bmp"));
            let mut f = File::create(&path).unwrap();
            bmp::write(&mut f, &spec, &rows).unwrap();
            drop(f);
            written.add(&path, spec, rows.clone());
        }
    }
    written.check_with_pillow();
}

/// The C-style path: `image_information` gives the header, the driver puts the header
/// and bottom-up DIB rows in the buffer, `write_page_buf` writes the file.
#[test]
fn context_bmp_pages_read_back_through_pillow() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Written::default();
    for pixel in TYPES {
        for (g, &(w, h)) in GEOMETRIES.iter().enumerate() {
            let bpp = pixel.depth();
            let rows = support::pattern(w, h, bpp, 10 + g as u32);
            let mut ctx =
                TransferContext::new(w as i32, h as i32, bpp as i32, guids::BMP, tymed::FILE);
            let info = ctx.image_information().unwrap();
            let mut buffer = info.header.clone();
            buffer.extend_from_slice(&dib(w, h, bpp, &rows));
            let path = dir.path().join(format!("ctx-{pixel}-{w}x{h}.bmp"));
            let mut f = support::new_rw_file(&path);
            transfer::write_page_buf(&mut ctx, &mut f, &buffer).unwrap();
            drop(f);
            written.add(&path, PageSpec::new(w, h, pixel), rows.clone());
            assert_eq!(
                std::fs::read(&path).unwrap().len() as i32,
                ctx.item_size,
                "lItemSize is the whole file"
            );
        }
    }
    written.check_with_pillow();
}

/// `lLines = 0` (length unknown when the scan began): `image_information` gives the
/// complete header with height 0 and `lItemSize = lHeaderSize`; the driver sends the
/// header with the first band, further bands without it (each band through
/// `write_page_buf`, as bytes appended as they are), and at the end writes biHeight,
/// bfSize and biSizeImage into the file itself. The result is the BMP of the page.
#[test]
fn context_bmp_of_unknown_length_is_sent_in_bands_and_patched_by_the_driver() {
    use std::io::{Seek, SeekFrom};
    let dir = tempfile::tempdir().unwrap();
    let mut written = Written::default();
    for pixel in TYPES {
        let (w, h) = (13, 29);
        let bpp = pixel.depth();
        let rows = support::pattern(w, h, bpp, 77);
        let mut ctx = TransferContext::new(w as i32, 0, bpp as i32, guids::BMP, tymed::FILE);
        let info = ctx.image_information().unwrap();
        let pal = palette_len(bpp);
        let off = 14 + 40 + 4 * pal;
        assert_eq!(info.header.len(), off);
        assert_eq!(
            ctx.item_size, ctx.header_size,
            "unknown length: the header alone"
        );
        let hd = &info.header;
        assert_eq!(&hd[0..2], b"BM");
        assert_eq!((le32(hd, 2) as usize, le32(hd, 10) as usize), (off, off));
        assert_eq!((le32(hd, 14), le32(hd, 18), le32(hd, 22)), (40, w, 0));
        assert_eq!((u32::from(le16(hd, 28)), le32(hd, 34)), (bpp, 0));
        let body = dib(w, h, bpp, &rows);
        let path = dir.path().join(format!("unknown-{pixel}.bmp"));
        let mut f = support::new_rw_file(&path);
        // Bands of 5 rows; the first after the header.
        let band = stride(w, bpp) * 5;
        for (i, chunk) in body.chunks(band).enumerate() {
            let mut buffer = if i == 0 {
                info.header.clone()
            } else {
                Vec::new()
            };
            buffer.extend_from_slice(chunk);
            buffer.extend_from_slice(&[0xEE; 7]); // a buffer larger than the band
            ctx.item_size = (buffer.len() - 7) as i32;
            transfer::write_page_buf(&mut ctx, &mut f, &buffer).unwrap();
        }
        assert_eq!(
            (ctx.page, ctx.cur_ifd_offset),
            (0, 0),
            "BMP: no page fields"
        );
        // The driver's end of page: height and sizes into the header.
        for (at, v) in [(2, off + body.len()), (22, h as usize), (34, body.len())] {
            f.seek(SeekFrom::Start(at)).unwrap();
            f.write_all(&(v as u32).to_le_bytes()).unwrap();
        }
        drop(f);
        written.add(&path, PageSpec::new(w, h, pixel), rows.clone());
    }
    written.check_with_pillow();
}

/// MEMORYBMP: the sink receives a DIB (info header, palette, rows) without the file
/// header. We put a file header in front, computed here, and let Pillow read it.
#[test]
fn context_memorybmp_is_a_dib_without_file_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Written::default();
    for pixel in TYPES {
        let (w, h) = (9, 17);
        let bpp = pixel.depth();
        let rows = support::pattern(w, h, bpp, 5);
        let mut ctx = TransferContext::new(
            w as i32,
            h as i32,
            bpp as i32,
            guids::MEMORYBMP,
            tymed::CALLBACK,
        );
        let info = ctx.image_information().unwrap();
        let pal = palette_len(bpp);
        assert_eq!(info.header_size as usize, 40 + 4 * pal);
        let mut buffer = info.header.clone();
        buffer.extend_from_slice(&dib(w, h, bpp, &rows));
        let mut sink = std::io::Cursor::new(Vec::new());
        transfer::write_page_buf(&mut ctx, &mut sink, &buffer).unwrap();
        let dib_bytes = sink.into_inner();
        assert_eq!(dib_bytes.len(), 40 + 4 * pal + stride(w, bpp) * h as usize);
        assert_eq!(le32(&dib_bytes, 0), 40, "biSize first: no BITMAPFILEHEADER");
        let mut file = Vec::new();
        file.extend_from_slice(b"BM");
        file.extend_from_slice(&((14 + dib_bytes.len()) as u32).to_le_bytes());
        file.extend_from_slice(&0u32.to_le_bytes());
        file.extend_from_slice(&((14 + 40 + 4 * pal) as u32).to_le_bytes());
        file.extend_from_slice(&dib_bytes);
        let path = dir.path().join(format!("mem-{pixel}.bmp"));
        std::fs::write(&path, &file).unwrap();
        written.add(&path, PageSpec::new(w, h, pixel), rows.clone());
    }
    written.check_with_pillow();
}

#[test]
fn sixteen_and_48_bit_bmp_are_clear_errors() {
    for pixel in [PixelType::Gray16, PixelType::Rgb48] {
        let spec = PageSpec::new(7, 3, pixel);
        let rows = support::pattern(7, 3, pixel.depth(), 1);
        let mut out = Vec::new();
        let e = bmp::write(&mut out, &spec, &rows).unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains(pixel.name()) && msg.contains("BMP"), "{msg}");
        assert_eq!(e.hresult(), hresult::E_INVALIDARG);
        assert!(out.is_empty(), "nothing written on error");

        let depth = pixel.depth() as i32;
        for format in [guids::BMP, guids::MEMORYBMP] {
            let mut ctx = TransferContext::new(7, 3, depth, format, tymed::FILE);
            let e = ctx.image_information().unwrap_err();
            assert_eq!(e.hresult(), hresult::E_INVALIDARG, "{e}");
            assert!(e.to_string().contains("BMP"), "{e}");
            // A driver that fills the sizes in itself writes its own bytes: a BMP page
            // is appended as it is (the library does not read it), as on Windows.
            ctx.item_size = 21;
            let buffer = vec![0x55; 30];
            let mut sink = std::io::Cursor::new(Vec::new());
            transfer::write_page_buf(&mut ctx, &mut sink, &buffer).unwrap();
            assert_eq!(sink.get_ref(), &buffer[..21]);
        }
    }
}

/// A BMP page through `write_page_buf` is appended at the file's position, the same
/// bytes `write_buf` writes: a second call adds to the file instead of replacing it
/// (the driver decides what goes where), and the page fields stay as they are.
#[test]
fn bmp_pages_are_appended_like_write_buf_and_leave_the_page_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Written::default();
    let (w, h) = (9, 5);
    let rows = support::pattern(w, h, 8, 3);
    let mut ctx = TransferContext::new(w as i32, h as i32, 8, guids::BMP, tymed::FILE);
    let info = ctx.image_information().unwrap();
    let mut buffer = info.header.clone();
    buffer.extend_from_slice(&dib(w, h, 8, &rows));
    let page_path = dir.path().join("page.bmp");
    let buf_path = dir.path().join("buf.bmp");
    let mut f = support::new_rw_file(&page_path);
    transfer::write_page_buf(&mut ctx, &mut f, &buffer).unwrap();
    let mut g = support::new_rw_file(&buf_path);
    transfer::write_buf(&ctx, &mut g, &buffer).unwrap();
    drop(g);
    assert_eq!(
        std::fs::read(&page_path).unwrap(),
        std::fs::read(&buf_path).unwrap()
    );
    assert_eq!(
        (ctx.page, ctx.prev_ifd_offset, ctx.cur_ifd_offset),
        (0, 0, 0)
    );
    // A second call appends; it does not start the file again.
    ctx.item_size = 4;
    transfer::write_page_buf(&mut ctx, &mut f, b"tail").unwrap();
    drop(f);
    let bytes = std::fs::read(&page_path).unwrap();
    assert_eq!(&bytes[..buffer.len()], &buffer[..]);
    assert_eq!(&bytes[buffer.len()..], b"tail");
    written.add(
        &buf_path,
        PageSpec::new(w, h, PixelType::Gray8),
        rows.clone(),
    );
    written.check_with_pillow();
}

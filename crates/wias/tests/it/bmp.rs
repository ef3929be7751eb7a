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

/// `lLines = 0` (length unknown when the scan began): the header slot is zeros, the
/// length comes from `lItemSize`, and the file's header carries the real height.
#[test]
fn context_bmp_of_unknown_length_takes_lines_from_item_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Written::default();
    for pixel in TYPES {
        let (w, h) = (13, 29);
        let bpp = pixel.depth();
        let rows = support::pattern(w, h, bpp, 77);
        let mut ctx = TransferContext::new(w as i32, 0, bpp as i32, guids::BMP, tymed::FILE);
        let info = ctx.image_information().unwrap();
        assert_eq!(info.item_size, 0, "unknown length: lItemSize 0");
        let body = dib(w, h, bpp, &rows);
        ctx.item_size = (info.header.len() + body.len()) as i32;
        let mut buffer = info.header.clone();
        buffer.extend_from_slice(&body);
        let path = dir.path().join(format!("unknown-{pixel}.bmp"));
        let mut f = support::new_rw_file(&path);
        transfer::write_page_buf(&mut ctx, &mut f, &buffer).unwrap();
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
            // A driver that fills the sizes in itself still gets the error.
            // Whether the rows are padded to 4 bytes or not, the reason given is the
            // pixel type, not the length.
            for row_bytes in [7 * depth / 8, (7 * depth / 8 + 3) / 4 * 4] {
                ctx.image_size = 3 * row_bytes;
                let buffer = vec![0x55; ctx.image_size as usize];
                let mut sink = std::io::Cursor::new(Vec::new());
                let e = transfer::write_page_buf(&mut ctx, &mut sink, &buffer).unwrap_err();
                assert_eq!(e.hresult(), hresult::E_INVALIDARG, "{e}");
                assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
                assert!(e.to_string().contains("BMP"), "{e}");
                assert!(sink.get_ref().is_empty(), "nothing written on error");
            }
        }
    }
}

#[test]
fn a_second_bmp_page_is_a_clear_error_and_keeps_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Written::default();
    let path = dir.path().join("one.bmp");
    let (w, h) = (9, 5);
    let rows = support::pattern(w, h, 8, 3);
    let mut ctx = TransferContext::new(w as i32, h as i32, 8, guids::BMP, tymed::FILE);
    let info = ctx.image_information().unwrap();
    let mut buffer = info.header.clone();
    buffer.extend_from_slice(&dib(w, h, 8, &rows));
    let mut f = support::new_rw_file(&path);
    transfer::write_page_buf(&mut ctx, &mut f, &buffer).unwrap();
    f.flush().unwrap();
    let before = std::fs::read(&path).unwrap();
    ctx.page = 1;
    let other = {
        let mut b = info.header.clone();
        b.extend_from_slice(&dib(w, h, 8, &support::pattern(w, h, 8, 4)));
        b
    };
    let e = transfer::write_page_buf(&mut ctx, &mut f, &other).unwrap_err();
    assert_eq!(e.hresult(), hresult::E_INVALIDARG, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("lPage = 1") && msg.contains("one page"),
        "{msg}"
    );
    drop(f);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the first page is untouched"
    );
    written.add(&path, PageSpec::new(w, h, PixelType::Gray8), rows.clone());
    written.check_with_pillow();
}

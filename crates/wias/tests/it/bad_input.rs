//! Every bad input the library rejects, one case each: the error names the field (or
//! the place in the file) and the value, maps to the HRESULT a driver expects, and is
//! never a panic. `docs/bad-input.md` is this table in prose; run
//! `WIAS_PRINT_BAD_INPUT=1 cargo test -p wias --test it bad_input -- --nocapture` to print the
//! messages as users see them.

use std::io::Cursor;

use wias::context::tymed;
use wias::tiff::{Options, TiffFile, TiffWriter};
use wias::{guids, hresult, transfer, Error, PageSpec, PixelType, TransferContext};

type Run = Box<dyn Fn() -> wias::Result<()>>;

struct Case {
    id: &'static str,
    input: &'static str,
    run: Run,
    /// Substrings the message must hold (field and value, reason).
    want: &'static [&'static str],
    hresult: i32,
}

fn case(
    id: &'static str,
    input: &'static str,
    want: &'static [&'static str],
    hresult: i32,
    run: impl Fn() -> wias::Result<()> + 'static,
) -> Case {
    Case {
        id,
        input,
        run: Box::new(run),
        want,
        hresult,
    }
}

fn ctx(w: i32, l: i32, depth: i32, format: wias::Guid) -> TransferContext {
    TransferContext::new(w, l, depth, format, tymed::MULTIPAGE_FILE)
}

/// `image_information` on a context changed by `f`.
fn info(f: impl Fn(&mut TransferContext) + 'static) -> impl Fn() -> wias::Result<()> {
    move || {
        let mut c = ctx(16, 4, 8, guids::TIFF);
        f(&mut c);
        c.image_information().map(|_| ())
    }
}

/// Page 1 of a TIFF written through the transfer context, which `f` then changes
/// before page 2 is written to the same file.
fn second_page(f: impl Fn(&mut TransferContext) + 'static) -> impl Fn() -> wias::Result<()> {
    move || {
        let mut c = ctx(16, 4, 8, guids::TIFF);
        c.image_information()?;
        let mut file = Cursor::new(Vec::new());
        transfer::write_page_buf(&mut c, &mut file, &[1; 64])?;
        f(&mut c);
        transfer::write_page_buf(&mut c, &mut file, &[1; 64])
    }
}

/// A page write of `buffer` with a context prepared by `image_information`, then
/// changed by `f`.
fn page_write(
    format: wias::Guid,
    depth: i32,
    buffer: Vec<u8>,
    f: impl Fn(&mut TransferContext) + 'static,
) -> impl Fn() -> wias::Result<()> {
    move || {
        let mut c = ctx(16, 4, depth, format);
        c.image_information().unwrap();
        f(&mut c);
        transfer::write_page_buf(&mut c, &mut Cursor::new(Vec::new()), &buffer)
    }
}

/// Reads `bytes` as a TIFF.
fn read(bytes: Vec<u8>) -> impl Fn() -> wias::Result<()> {
    move || TiffFile::read(&mut Cursor::new(&bytes[..])).map(|_| ())
}

/// Appending a page to `bytes`, as `TiffWriter::append` opens a file.
fn append(bytes: Vec<u8>) -> impl Fn() -> wias::Result<()> {
    move || TiffWriter::append_to(Cursor::new(bytes.clone()), Options::default()).map(|_| ())
}

fn classic_header(first_ifd: u32) -> Vec<u8> {
    let mut h = b"II*\0".to_vec();
    h.extend_from_slice(&first_ifd.to_le_bytes());
    h
}

/// A one-page TIFF written by us, then damaged by `f`.
fn damaged(f: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default()).unwrap();
    doc.write_page(&PageSpec::new(4, 2, PixelType::Gray8), &[7; 8])
        .unwrap();
    let mut bytes = doc.finish().unwrap().into_inner();
    f(&mut bytes);
    bytes
}

fn first_ifd(bytes: &[u8]) -> usize {
    u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize
}

fn cases() -> Vec<Case> {
    use hresult::*;
    let data_err = from_win32(ERROR_INVALID_DATA);
    vec![
        // --- the transfer context (wiasGetImageInformation) ---
        case(
            "depth",
            "lDepth = 7",
            &["lDepth = 7", "1, 8, 16, 24 or 48"],
            E_INVALIDARG,
            info(|c| c.depth = 7),
        ),
        case(
            "width",
            "lWidthInPixels = 0",
            &["lWidthInPixels = 0", "at least 1"],
            E_INVALIDARG,
            info(|c| c.width_in_pixels = 0),
        ),
        case(
            "lines",
            "lLines = -5",
            &["lLines = -5", "0 (unknown) or more"],
            E_INVALIDARG,
            info(|c| c.lines = -5),
        ),
        case(
            "xres",
            "lXRes = 0",
            &["lXRes = 0", "at least 1 dpi"],
            E_INVALIDARG,
            info(|c| c.xres = 0),
        ),
        case(
            "yres",
            "lYRes = -300",
            &["lYRes = -300", "at least 1 dpi"],
            E_INVALIDARG,
            info(|c| c.yres = -300),
        ),
        case(
            "compression",
            "lCompression = 9",
            &["lCompression = 9", "WIA_COMPRESSION_"],
            E_INVALIDARG,
            info(|c| c.compression = 9),
        ),
        case(
            "lpage-max",
            "lPage = 2147483647",
            &["lPage = 2147483647", "no page can follow it"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.page = i32::MAX),
        ),
        case(
            "long-overflow",
            "100000 x 100000 pixels at 48 bits",
            &["lImageSize overflows", "32-bit LONG"],
            E_INVALIDARG,
            info(|c| {
                c.width_in_pixels = 100_000;
                c.lines = 100_000;
                c.depth = 48;
            }),
        ),
        case(
            "bmp-16",
            "BMP with lDepth = 16",
            &["BMP cannot hold", "TIFF"],
            E_INVALIDARG,
            info(|c| {
                c.format = guids::BMP;
                c.depth = 16;
            }),
        ),
        case(
            "raw",
            "WiaImgFmt_RAW",
            &["WIA RAW format"],
            E_INVALIDARG,
            info(|c| c.format = guids::RAW),
        ),
        case(
            "document-bmp",
            "a transfer Document given a BMP context",
            &["guidFormatID = {b96b3cab", "writes TIFF pages"],
            E_INVALIDARG,
            || {
                let mut c = ctx(16, 4, 8, guids::BMP);
                c.image_information()?;
                let mut doc = transfer::Document::new(Cursor::new(Vec::new()), Options::default())?;
                doc.write_page_buf(&mut c, &[0; 2000])
            },
        ),
        // --- the page buffer and sizes (wiasWritePageBufToFile / ToStream) ---
        case(
            "page-negative",
            "lPage = -1",
            &["lPage = -1", "0 or more"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.page = -1),
        ),
        case(
            "header-negative",
            "lHeaderSize = -1",
            &["lHeaderSize = -1", "negative"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.header_size = -1),
        ),
        case(
            "item-negative",
            "lItemSize = -1",
            &["lItemSize = -1", "negative"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.item_size = -1),
        ),
        case(
            "image-negative",
            "lImageSize = -64",
            &["lImageSize = -64", "negative"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.image_size = -64),
        ),
        case(
            "item-below-header",
            "lItemSize = 10 < lHeaderSize = 20",
            &["lItemSize = 10", "smaller than lHeaderSize = 20"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| {
                c.item_size = 10;
                c.header_size = 20;
            }),
        ),
        case(
            "compressed-no-length",
            "lCompression = 5 (JPEG), lItemSize = 0",
            &["lItemSize = 0", "device-compressed"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.compression = 5),
        ),
        case(
            "unknown-lines-no-length",
            "lLines = 0, lItemSize = 0",
            &["lItemSize = 0", "lLines is 0"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.lines = 0),
        ),
        case(
            "empty-page",
            "lImageSize = 0",
            &["lImageSize = 0", "no data"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.image_size = 0),
        ),
        case(
            "short-buffer",
            "a 40-byte buffer for a 64-byte page",
            &["page data is 40 bytes, but 64 are needed", "shorter than"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 40], |_| {}),
        ),
        case(
            "width-in-bytes",
            "cbWidthInBytes = 15 for 16 gray pixels",
            &["cbWidthInBytes = 15", "need 16 bytes per line"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.width_in_bytes = 15),
        ),
        case(
            "lines-from-length",
            "lLines = 0, lItemSize = 70 (not whole lines of 16)",
            &["70 bytes", "whole number of 16-byte lines"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 70], |c| {
                c.lines = 0;
                c.item_size = 70;
            }),
        ),
        case(
            "wrong-length",
            "lItemSize = 48 for 4 lines of 16 bytes",
            &["page data is 48 bytes, but 64 are needed"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.item_size = 48),
        ),
        case(
            "tiff-device-compressed",
            "TIFF, lCompression = 6 (JBIG), lItemSize = 10",
            &[
                "lCompression = 6",
                "TIFF takes uncompressed (0), G3 (3), G4 (4) and JPEG (5)",
            ],
            E_INVALIDARG,
            page_write(guids::TIFF, 1, vec![0; 64], |c| {
                c.compression = 6;
                c.item_size = 10;
            }),
        ),
        case(
            "prev-ifd-pixels",
            "lPage = 1, lPrevIfdOffset = 16 (pixel data)",
            &["lPrevIfdOffset = 16", "no IFD there"],
            E_INVALIDARG,
            second_page(|c| c.prev_ifd_offset = 16),
        ),
        case(
            "ifd-in-data",
            "lPrevIfdOffset pointing into page 1's pixels (a stale or wrong offset)",
            &["lPrevIfdOffset = 20", "which no page has"],
            E_INVALIDARG,
            || {
                let mut c = ctx(16, 4, 8, guids::TIFF);
                c.compression = 0;
                c.image_information()?;
                let mut file = Cursor::new(Vec::new());
                // Page data of zeros, then (past byte 16) an entry count of 1 and a
                // next-IFD field of 0 wherever one looks: what a one-field check took
                // for an IFD.
                transfer::write_page_buf_with(
                    &mut c,
                    &mut file,
                    &[1; 64],
                    Options::default().codec(wias::CodecSettings::new(wias::Compression::None)),
                )?;
                let mut bytes = file.into_inner();
                bytes[20..22].copy_from_slice(&1u16.to_le_bytes());
                bytes[22..38].fill(0);
                let mut file = Cursor::new(bytes);
                c.prev_ifd_offset = 20;
                transfer::write_page_buf(&mut c, &mut file, &[1; 64])
            },
        ),
        case(
            "jpeg-no-scan",
            "a device JPEG page of 17 bytes: SOI, frame header, EOI, no scan",
            &["JPEG page data = 17 bytes", "before any scan"],
            E_INVALIDARG,
            || {
                let jpeg = [
                    0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xFF, 0xD9,
                ];
                let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
                doc.write_encoded_page(
                    &PageSpec::new(3, 2, PixelType::Gray8),
                    wias::Compression::Jpeg,
                    &jpeg,
                )
                .map(|_| ())
            },
        ),
        case(
            "g3-noise",
            "bytes that are not G3 data, declared G3 (a 1728 x 100 bilevel page)",
            &[
                "G3 page data = ",
                "do not decode to 100 lines of 1728 pixels",
            ],
            E_INVALIDARG,
            || {
                let noise: Vec<u8> = (0u32..4000)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                    .collect();
                let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
                doc.write_encoded_page(
                    &PageSpec::new(1728, 100, PixelType::Bilevel),
                    wias::Compression::G3,
                    &noise,
                )
                .map(|_| ())
            },
        ),
        case(
            "prev-ifd-cut",
            "lPrevIfdOffset = the last IFD's offset + 2 (inside it)",
            &["lPrevIfdOffset = ", "no IFD there"],
            E_INVALIDARG,
            second_page(|c| c.prev_ifd_offset += 2),
        ),
        case(
            "write-buf-min",
            "wiasWriteBufToFile with lItemSize = -2147483648",
            &["lItemSize = -2147483648", "negative"],
            E_FAIL,
            || {
                let mut c = ctx(16, 4, 8, guids::BMP);
                c.item_size = i32::MIN;
                transfer::write_buf(&c, &mut Vec::new(), &[1; 8])
            },
        ),
        case(
            "stale-ifd",
            "lPage = 1, lPrevIfdOffset = 0",
            &["lPrevIfdOffset = 0", "lPage = 1 continues a document"],
            E_INVALIDARG,
            page_write(guids::TIFF, 8, vec![0; 64], |c| c.page = 1),
        ),
        case(
            "ifd-not-last",
            "lPrevIfdOffset of an IFD that is not the last",
            &["lPrevIfdOffset = ", "is not the last page"],
            E_INVALIDARG,
            || {
                let mut c = ctx(16, 4, 8, guids::TIFF);
                c.image_information()?;
                let mut file = Cursor::new(Vec::new());
                transfer::write_page_buf(&mut c, &mut file, &[1; 64])?;
                let first = c.prev_ifd_offset;
                transfer::write_page_buf(&mut c, &mut file, &[1; 64])?;
                c.prev_ifd_offset = first;
                transfer::write_page_buf(&mut c, &mut file, &[1; 64])
            },
        ),
        case(
            "ifd-past-end",
            "lPrevIfdOffset = 999999",
            &["lPrevIfdOffset = 999999", "cannot read an IFD there"],
            E_INVALIDARG,
            second_page(|c| c.prev_ifd_offset = 999_999),
        ),
        case(
            "write-buf-negative",
            "wiasWriteBufToFile with lItemSize = -1",
            &["lItemSize = -1", "negative"],
            E_FAIL,
            || {
                let mut c = ctx(16, 4, 8, guids::BMP);
                c.item_size = -1;
                transfer::write_buf(&c, &mut Vec::new(), &[1; 8])
            },
        ),
        case(
            "write-buf-short",
            "wiasWriteBufToFile, lItemSize = 9, 8-byte buffer",
            &["lItemSize = 9", "more bytes than the transfer buffer holds"],
            E_FAIL,
            || {
                let mut c = ctx(16, 4, 8, guids::BMP);
                c.item_size = 9;
                transfer::write_buf(&c, &mut Vec::new(), &[1; 8])
            },
        ),
        // --- the Rust API's pages ---
        case(
            "api-zero-width",
            "PageSpec width 0",
            &["width = 0", "at least one pixel"],
            E_INVALIDARG,
            || api_page(PageSpec::new(0, 4, PixelType::Gray8), &[]),
        ),
        case(
            "api-zero-lines",
            "PageSpec lines 0",
            &["lines = 0", "at least one line"],
            E_INVALIDARG,
            || api_page(PageSpec::new(4, 0, PixelType::Gray8), &[]),
        ),
        case(
            "api-zero-dpi",
            "PageSpec 0 dpi",
            &["xdpi = 0", "at least 1 dpi"],
            E_INVALIDARG,
            || api_page(PageSpec::new(4, 1, PixelType::Gray8).dpi(0, 300), &[0; 4]),
        ),
        case(
            "api-wrong-length",
            "3 bytes for a 4 x 1 Gray16 page",
            &["page data is 3 bytes, but 8 are needed"],
            E_INVALIDARG,
            || api_page(PageSpec::new(4, 1, PixelType::Gray16), &[0; 3]),
        ),
        case(
            "api-huge",
            "u32::MAX x u32::MAX RGB48 page",
            &["overflows"],
            E_INVALIDARG,
            || api_page(PageSpec::new(u32::MAX, u32::MAX, PixelType::Rgb48), &[]),
        ),
        // --- a file given to append or inspect ---
        case(
            "not-tiff",
            "a PNM file",
            &["not a TIFF file", "50 35", "not II or MM"],
            data_err,
            read(b"P5 1 1 255\n\0".to_vec()),
        ),
        case(
            "too-short",
            "a 5-byte file",
            &["not a TIFF file", "5 bytes is too short"],
            data_err,
            read(b"II*\0\0".to_vec()),
        ),
        case(
            "big-endian-16-bit",
            "a gray16 page appended to an MM (big-endian) TIFF",
            &["gray16", "big-endian (MM)", "tiffcp -L"],
            E_INVALIDARG,
            big_endian_gray16,
        ),
        case(
            "version",
            "version 44 in the header",
            &["version 44", "not 42 or 43"],
            data_err,
            read(b"II\x2c\0\0\0\0\0".to_vec()),
        ),
        case(
            "bigtiff-offset-size",
            "BigTIFF header with offset size 4",
            &["BigTIFF header with offset size 4", "must be 8"],
            data_err,
            read(b"II\x2b\0\x04\0\0\0\x10\0\0\0\0\0\0\0".to_vec()),
        ),
        case(
            "ifd-beyond-file",
            "first IFD at byte 4096 of a 8-byte file",
            &[
                "byte 4",
                "IFD at byte 4096",
                "past the end of the 8-byte file",
            ],
            data_err,
            read(classic_header(4096)),
        ),
        case(
            "ifd-loop",
            "the IFD's next field points at itself",
            &["the IFD chain loops"],
            data_err,
            read(damaged(|b| {
                let at = first_ifd(b);
                let n = u16::from_le_bytes([b[at], b[at + 1]]) as usize;
                let next = at + 2 + 12 * n;
                b[next..next + 4].copy_from_slice(&(at as u32).to_le_bytes());
            })),
        ),
        case(
            "ifd-no-entries",
            "an IFD with 0 entries",
            &["IFD at byte", "claims 0 entries"],
            data_err,
            read(damaged(|b| {
                let at = first_ifd(b);
                b[at] = 0;
                b[at + 1] = 0;
            })),
        ),
        case(
            "ifd-too-many",
            "an IFD claiming 60000 entries",
            &["claims 60000 entries", "1 to 4096"],
            data_err,
            read(damaged(|b| {
                let at = first_ifd(b);
                b[at..at + 2].copy_from_slice(&60000u16.to_le_bytes());
            })),
        ),
        case(
            "value-beyond-file",
            "a tag value offset past the end",
            &["Software (305)", "run past the end of the"],
            data_err,
            read(damaged(|b| {
                // The Software entry's value offset.
                let at = first_ifd(b);
                let n = u16::from_le_bytes([b[at], b[at + 1]]) as usize;
                let e = (0..n)
                    .map(|k| at + 2 + 12 * k)
                    .find(|&e| u16::from_le_bytes([b[e], b[e + 1]]) == 305)
                    .unwrap();
                b[e + 8..e + 12].copy_from_slice(&0x00ff_0000u32.to_le_bytes());
            })),
        ),
        case(
            "append-not-sound",
            "append to a TIFF whose page 1 has a strip of 0 bytes",
            &["the file is not sound", "page 1: strip 0 has 0 bytes"],
            data_err,
            append(damaged(|b| {
                let at = first_ifd(b);
                let n = u16::from_le_bytes([b[at], b[at + 1]]) as usize;
                let e = (0..n)
                    .map(|k| at + 2 + 12 * k)
                    .find(|&e| u16::from_le_bytes([b[e], b[e + 1]]) == 279)
                    .unwrap();
                b[e + 8..e + 12].copy_from_slice(&0u32.to_le_bytes());
            })),
        ),
        case(
            "append-not-tiff",
            "append to a PNM file",
            &["not a TIFF file"],
            data_err,
            || {
                TiffWriter::append_to(Cursor::new(b"P5 1 1 255\n\0".to_vec()), Options::default())
                    .map(|_| ())
            },
        ),
    ]
}

/// A one-page document of ours turned big-endian by libtiff (`tiffcp -B`), and a
/// 16-bit page appended to it.
fn big_endian_gray16() -> wias::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let (le, be) = (dir.path().join("le.tif"), dir.path().join("be.tif"));
    let mut doc = TiffWriter::create(&le, Options::default())?;
    doc.write_page(&PageSpec::new(4, 1, PixelType::Gray8), &[0; 4])?;
    doc.finish()?;
    let st = std::process::Command::new("tiffcp")
        .arg("-B")
        .args([&le, &be])
        .status()
        .expect("tiffcp");
    assert!(st.success());
    let mut doc = TiffWriter::append(&be, Options::default())?;
    doc.write_page(&PageSpec::new(4, 1, PixelType::Gray16), &[0; 8])
        .map(|_| ())
}

fn api_page(spec: PageSpec, data: &[u8]) -> wias::Result<()> {
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    doc.write_page(&spec, data).map(|_| ())
}

#[test]
fn every_bad_input_gives_a_clear_error_and_the_right_hresult() {
    let print = std::env::var_os("WIAS_PRINT_BAD_INPUT").is_some();
    let cases = cases();
    let mut ids = std::collections::HashSet::new();
    for c in &cases {
        assert!(ids.insert(c.id), "duplicate case {}", c.id);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (c.run)()));
        let err: Error = match result {
            Err(_) => panic!("{}: panicked", c.id),
            Ok(Ok(())) => panic!("{} ({}): accepted", c.id, c.input),
            Ok(Err(e)) => e,
        };
        let msg = err.to_string();
        for w in c.want {
            assert!(msg.contains(w), "{}: {msg:?} lacks {w:?}", c.id);
        }
        assert_eq!(
            err.hresult() as u32,
            c.hresult as u32,
            "{}: {msg} has the wrong HRESULT",
            c.id
        );
        if print {
            println!(
                "| `{}` | {} | `{}` | `{:#010x}` |",
                c.id,
                c.input,
                msg.replace('|', "\\|"),
                err.hresult() as u32
            );
        }
    }
    assert!(cases.len() >= 45, "{} cases", cases.len());
}

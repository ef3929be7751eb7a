//! Device-compressed pages (G4 and JPEG data a scanner made, `lCompression` 4 and 5) go
//! into the TIFF as they are: the strip holds the very bytes the device sent, and
//! libtiff decodes them to the pixels of the source data.

use wias_testsupport as support;
use wias_testsupport::codec_readers;

use codec_readers::{crate_pages, fax_decode, psnr};
use support::{libtiff_pages, pattern};
use wias::context::tymed;
use wias::tiff::{Options, TiffWriter};
use wias::{guids, transfer, Compression, PageSpec, PixelType, TransferContext};

/// G4 data for page-form rows (0 = black), made by the `fax` crate's encoder: a
/// device's encoder, not ours.
pub(crate) fn fax_g4(rows: &[u8], width: u32) -> Vec<u8> {
    let rb = (width as usize).div_ceil(8);
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for row in rows.chunks(rb) {
        let pels = (0..width as usize).map(|x| {
            if row[x / 8] & (0x80 >> (x % 8)) == 0 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        enc.encode_line(pels, width).unwrap();
    }
    enc.finish().unwrap().finish()
}

/// A photo-like page and its JPEG (a device's encoder) at `sampling`.
pub(crate) fn device_jpeg(
    w: u16,
    h: u16,
    rgb: bool,
    sampling: jpeg_encoder::SamplingFactor,
) -> Vec<u8> {
    let spp = if rgb { 3 } else { 1 };
    let px: Vec<u8> = (0..h as usize * w as usize * spp)
        .map(|i| ((i % (w as usize * spp)) / 3 + i / (w as usize * spp)) as u8)
        .collect();
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
    enc.set_sampling_factor(sampling);
    let ct = if rgb {
        jpeg_encoder::ColorType::Rgb
    } else {
        jpeg_encoder::ColorType::Luma
    };
    enc.encode(&px, w, h, ct).unwrap();
    out
}

/// Writes `pages` (depth, width, lines as the context says, data) through the transfer
/// context with `lCompression` = `comp`, as a driver does.
fn write_via_context(path: &std::path::Path, comp: i32, pages: &[(i32, i32, i32, Vec<u8>)]) {
    let mut file = support::new_rw_file(path);
    let mut fields = (0, 0, 0); // lPage, lCurIfdOffset, lPrevIfdOffset, as the library left them
    for (n, (depth, w, lines, data)) in pages.iter().enumerate() {
        let mut ctx = TransferContext::new(*w, *lines, *depth, guids::TIFF, tymed::MULTIPAGE_FILE);
        ctx.compression = comp;
        ctx.header_size = 0;
        ctx.item_size = data.len() as i32;
        (ctx.page, ctx.cur_ifd_offset, ctx.prev_ifd_offset) = fields;
        transfer::write_page_buf(&mut ctx, &mut file, data)
            .unwrap_or_else(|e| panic!("page {n}: {e}"));
        fields = (ctx.page, ctx.cur_ifd_offset, ctx.prev_ifd_offset);
    }
}

#[test]
fn g4_pages_from_the_device_are_stored_unchanged_and_decode_to_the_source_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g4.tif");
    let sizes = [(1728u32, 40u32), (13, 29), (2481, 91)];
    let mut pages = Vec::new();
    let mut rows_all = Vec::new();
    for (i, &(w, h)) in sizes.iter().enumerate() {
        let rows = pattern(w, h, 1, i as u32);
        pages.push((1, w as i32, h as i32, fax_g4(&rows, w)));
        rows_all.push(rows);
    }
    write_via_context(&path, 4, &pages);
    let lt = libtiff_pages(&path).unwrap();
    let cr = crate_pages(&path).unwrap();
    assert_eq!(lt.len(), 3);
    for i in 0..3 {
        assert_eq!(lt[i].compression, 4);
        assert!(
            lt[i].data == rows_all[i],
            "page {i}: libtiff pixels differ from the source"
        );
        assert_eq!(
            cr[i].strips,
            std::slice::from_ref(&pages[i].3),
            "page {i}: data were re-encoded"
        );
        assert!(cr[i].tags.contains(&293), "page {i}: no T6Options");
    }
}

/// G3 (1-D, EOL per row) data for page-form rows, made by libtiff (`tiffcp -c g3:1d`
/// from an uncompressed page, one strip): a device's encoder, not ours.
fn libtiff_g3(dir: &std::path::Path, rows: &[u8], width: u32, lines: u32) -> Vec<u8> {
    let raw = dir.join(format!("raw-{width}x{lines}.tif"));
    let g3 = dir.join(format!("g3-{width}x{lines}.tif"));
    let mut doc = TiffWriter::create(&raw, Options::default()).unwrap();
    doc.write_page(&PageSpec::new(width, lines, PixelType::Bilevel), rows)
        .unwrap();
    doc.finish().unwrap();
    let st = std::process::Command::new("tiffcp")
        .args(["-c", "g3:1d", "-r", &lines.to_string()])
        .arg(&raw)
        .arg(&g3)
        .status()
        .expect("tiffcp (libtiff-tools)");
    assert!(st.success());
    let mut page = crate_pages(&g3).unwrap().remove(0);
    assert_eq!((page.compression, page.strips.len()), (3, 1));
    page.strips.remove(0)
}

#[test]
fn g3_pages_from_the_device_are_stored_unchanged_and_two_readers_decode_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g3.tif");
    let sizes = [(1728u32, 40u32), (13, 29), (2481, 91)];
    let mut pages = Vec::new();
    let mut rows_all = Vec::new();
    for (i, &(w, h)) in sizes.iter().enumerate() {
        let rows = pattern(w, h, 1, 10 + i as u32);
        pages.push((1, w as i32, h as i32, libtiff_g3(dir.path(), &rows, w, h)));
        rows_all.push(rows);
    }
    write_via_context(&path, 3, &pages);
    let lt = libtiff_pages(&path).unwrap();
    let cr = crate_pages(&path).unwrap();
    assert_eq!((lt.len(), cr.len()), (3, 3));
    for (i, &(w, h)) in sizes.iter().enumerate() {
        assert_eq!(lt[i].compression, 3);
        assert!(lt[i].data == rows_all[i], "page {i}: libtiff pixels differ");
        assert_eq!(
            cr[i].strips,
            std::slice::from_ref(&pages[i].3),
            "page {i}: data were re-encoded"
        );
        assert!(cr[i].tags.contains(&292), "page {i}: no T4Options");
        // A second decoder that shares no code with libtiff. It emits a row when the
        // next EOL arrives, and libtiff's stream ends without one (no RTC, which T.4
        // leaves optional in TIFF), so an EOL (zero fill + 000000000001) is added to its
        // copy.
        let mut strip = cr[i].strips[0].clone();
        strip.extend_from_slice(&[0x00, 0x01]);
        let fax = fax_decode(&[strip], false, w, h, cr[i].rows_per_strip).unwrap();
        assert!(
            fax == rows_all[i],
            "page {i}: the fax crate's pixels differ"
        );
    }
}

#[test]
fn jpeg_pages_from_the_device_are_stored_unchanged_and_decode_to_the_source_pixels() {
    use jpeg_encoder::SamplingFactor as S;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jpeg.tif");
    let sources = [
        (8, 64u16, 40u16, device_jpeg(64, 40, false, S::F_1_1)),
        (24, 123, 77, device_jpeg(123, 77, true, S::F_2_2)),
        (24, 50, 33, device_jpeg(50, 33, true, S::F_1_1)),
    ];
    // The last page says lLines = 0: its length comes from the JPEG frame.
    let pages: Vec<_> = sources
        .iter()
        .enumerate()
        .map(|(i, (d, w, h, j))| {
            (
                *d,
                i32::from(*w),
                if i == 2 { 0 } else { i32::from(*h) },
                j.clone(),
            )
        })
        .collect();
    write_via_context(&path, 5, &pages);
    let lt = libtiff_pages(&path).unwrap();
    let cr = crate_pages(&path).unwrap();
    for (i, (depth, w, h, jpeg)) in sources.iter().enumerate() {
        assert_eq!((lt[i].width, lt[i].height), (u32::from(*w), u32::from(*h)));
        assert_eq!(
            lt[i].photometric,
            if *depth == 8 { 1 } else { 6 },
            "page {i}"
        );
        assert_eq!(
            cr[i].strips,
            std::slice::from_ref(jpeg),
            "page {i}: data were re-encoded"
        );
        let source = jpeg_decoder::Decoder::new(&jpeg[..]).decode().unwrap();
        // Two different JPEG decoders (libjpeg, jpeg-decoder) may round differently.
        let db = psnr(&source, &lt[i].data);
        assert!(
            db > 40.0,
            "page {i}: libtiff decodes to other pixels ({db:.1} dB)"
        );
    }
}

#[test]
fn jpeg_data_that_do_not_match_the_page_are_refused_and_earlier_pages_stay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.tif");
    let jpeg = device_jpeg(64, 40, true, jpeg_encoder::SamplingFactor::F_2_2);
    let mut doc = TiffWriter::create(&path, Options::default()).unwrap();
    doc.write_encoded_page(
        &PageSpec::new(64, 40, PixelType::Rgb24),
        Compression::Jpeg,
        &jpeg,
    )
    .unwrap();
    let e = doc
        .write_encoded_page(
            &PageSpec::new(65, 40, PixelType::Rgb24),
            Compression::Jpeg,
            &jpeg,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("64x40") && e.contains("65x40"), "{e}");
    let e = doc
        .write_encoded_page(
            &PageSpec::new(64, 40, PixelType::Gray16),
            Compression::Jpeg,
            &jpeg,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("jpeg") && e.contains("gray16"), "{e}");
    let e = doc
        .write_encoded_page(
            &PageSpec::new(64, 40, PixelType::Rgb24),
            Compression::Jpeg,
            b"not a jpeg",
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("SOI"), "{e}");
    doc.finish().unwrap();
    assert_eq!(libtiff_pages(&path).unwrap().len(), 1);
}

//! JPEG files as users have them (cameras, phones, other programs), made in the test
//! by Pillow (libjpeg) and edited where a producer writes something Pillow does not:
//! EXIF orientation 1–8, padded XMP, an APP1 without a known prefix, junk between
//! segments, trailing data and a second image after the EOI (an Ultra HDR gain map),
//! a 2 MB ICC profile, 1×1 and 2×1 images; and the ones that must be refused: cut
//! short, CMYK, sizes the data cannot hold. Every TIFF page is read by libtiff
//! (`tiffinfo -D`, `tiffpixels`) and Pillow, every PDF page by poppler (`pdfimages`)
//! and MuPDF (`mutool show -b`), and compared with Pillow's decode of the JPEG, made
//! upright with `ImageOps.exif_transpose` (issues 18.6, 24.5, 26.3, 28.6).

use std::fs;

use tempfile::TempDir;
use wias_testsupport as support;

use super::{ok, run, stderr};

/// Writes the inputs into the current directory.
const MAKE: &str = r#"
import io, struct
import numpy as np
from PIL import Image

def photo(w, h, mode="RGB"):
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 3 % 256], -1)
    im = Image.fromarray(a.astype(np.uint8), "RGB")
    return im if mode == "RGB" else im.convert(mode)

def jpeg(im, **kw):
    b = io.BytesIO()
    im.save(b, "JPEG", quality=90, **kw)
    return b.getvalue()

def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

for o in range(1, 9):
    ex = Image.Exif()
    ex[0x0112] = o
    # 61x43 is no whole number of MCUs (decoded, turned, encoded again); 64x48 is
    # (turned losslessly); the gray one is turned losslessly at any size but 180.
    open(f"orient{o}.jpg", "wb").write(jpeg(photo(61, 43), exif=ex.tobytes(), dpi=(150, 100)))
    open(f"orient{o}_mcu.jpg", "wb").write(jpeg(photo(64, 48), exif=ex.tobytes()))
    open(f"orient{o}_gray.jpg", "wb").write(jpeg(photo(40, 24, "L"), exif=ex.tobytes()))
plain = jpeg(photo(61, 43))
xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>" + b" " * 4000
open("xmp_padded.jpg", "wb").write(plain[:2] + segment(0xE1, xmp) + plain[2:])
open("app1_no_prefix.jpg", "wb").write(plain[:2] + segment(0xE1, b"<x:xmpmeta/>" + b"\0" * 99) + plain[2:])
dqt = plain.index(b"\xff\xdb")
open("junk_between_segments.jpg", "wb").write(plain[:dqt] + b"\x00\x12junk" + plain[dqt:])
open("trailing_data.jpg", "wb").write(plain + b"trailing junk\0\1" * 10)
open("gain_map_after_eoi.jpg", "wb").write(plain + jpeg(photo(30, 20)))
open("one_by_one.jpg", "wb").write(jpeg(photo(1, 1)))
open("two_by_one.jpg", "wb").write(jpeg(photo(2, 1)))
icc = bytearray(2 << 20)
icc[0:4] = struct.pack(">I", len(icc))
icc[36:40] = b"acsp"
open("big_icc.jpg", "wb").write(jpeg(photo(300, 200), icc_profile=bytes(icc)))

# To be refused.
open("truncated.jpg", "wb").write(plain[: len(plain) * 2 // 3])
open("cmyk.jpg", "wb").write(jpeg(photo(61, 43).convert("CMYK")))
def resized(data, sof, w, h):
    k = data.index(sof)
    b = bytearray(data)
    b[k + 5 : k + 9] = struct.pack(">HH", h, w)
    return bytes(b)
small = photo(16, 16, "L")
open("huge_progressive.jpg", "wb").write(resized(jpeg(small, progressive=True), b"\xff\xc2", 40000, 40000))
open("past_libjpeg.jpg", "wb").write(resized(jpeg(small), b"\xff\xc0", 65535, 65535))
"#;

/// Pillow's decode of each file, made upright with `exif_transpose`, as 8-bit `L` or
/// `RGB` samples.
const UPRIGHT: &str = r#"
import sys
from PIL import Image, ImageOps
for path in sys.argv[1:]:
    im = ImageOps.exif_transpose(Image.open(path))
    im = im.convert("L" if im.mode == "L" else "RGB")
    data = im.tobytes()
    sys.stdout.buffer.write(("%s %d %d %d\n" % (im.mode, im.width, im.height, len(data))).encode())
    sys.stdout.buffer.write(data)
"#;

/// The inputs that must become pages.
const PAGES: &[&str] = &[
    "orient1.jpg",
    "orient2.jpg",
    "orient3.jpg",
    "orient4.jpg",
    "orient5.jpg",
    "orient6.jpg",
    "orient7.jpg",
    "orient8.jpg",
    "orient1_mcu.jpg",
    "orient2_mcu.jpg",
    "orient3_mcu.jpg",
    "orient4_mcu.jpg",
    "orient5_mcu.jpg",
    "orient6_mcu.jpg",
    "orient7_mcu.jpg",
    "orient8_mcu.jpg",
    "orient1_gray.jpg",
    "orient2_gray.jpg",
    "orient3_gray.jpg",
    "orient4_gray.jpg",
    "orient5_gray.jpg",
    "orient6_gray.jpg",
    "orient7_gray.jpg",
    "orient8_gray.jpg",
    "xmp_padded.jpg",
    "app1_no_prefix.jpg",
    "junk_between_segments.jpg",
    "trailing_data.jpg",
    "gain_map_after_eoi.jpg",
    "one_by_one.jpg",
    "two_by_one.jpg",
    "big_icc.jpg",
];

fn corpus() -> TempDir {
    let dir = TempDir::new().unwrap();
    let o = std::process::Command::new("python3")
        .args(["-c", MAKE])
        .current_dir(dir.path())
        .output()
        .expect("python3 with Pillow and numpy (.ci/run installs them)");
    assert!(o.status.success(), "{}", stderr(&o));
    dir
}

/// Two decodes of the same page agree: different JPEG decoders (and a page turned by
/// decoding and encoding again at quality 95) differ by a few levels, a wrong turn or
/// a broken page by far more.
fn assert_close(what: &str, got: &[u8], want: &[u8]) {
    assert_eq!(got.len(), want.len(), "{what}: sample count");
    let diff: Vec<u32> = got
        .iter()
        .zip(want)
        .map(|(a, b)| u32::from(a.abs_diff(*b)))
        .collect();
    let mean = f64::from(diff.iter().sum::<u32>()) / diff.len() as f64;
    let max = diff.iter().copied().max().unwrap_or(0);
    assert!(
        mean <= 2.0 && max <= 40,
        "{what}: differs from Pillow's upright decode (mean {mean:.2}, max {max})"
    );
}

#[test]
fn jpegs_from_cameras_and_other_programs_become_upright_pages_in_tiff_and_pdf() {
    let dir = corpus();
    let d = dir.path();
    let paths: Vec<_> = PAGES.iter().map(|n| d.join(n)).collect();
    let args: Vec<&std::ffi::OsStr> = paths.iter().map(|p| p.as_os_str()).collect();
    let want = support::python(UPRIGHT, &args).unwrap();
    let want = support::parse_py_images(&want).unwrap();
    for (name, want) in PAGES.iter().zip(&want) {
        let stem = name.trim_end_matches(".jpg");
        // TIFF: libtiff decodes the page cleanly, and libtiff and Pillow see the
        // upright image.
        let tif = format!("{stem}.tif");
        ok(&run(d, &["write", "-o", &tif, name]));
        let tif = d.join(&tif);
        support::tiffinfo_clean(&tif).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lt = &support::libtiff_pages(&tif).unwrap()[0];
        assert_eq!((lt.width, lt.height), (want.width, want.height), "{name}");
        assert_close(&format!("{name} (libtiff)"), &lt.data, &want.data);
        let pil = &support::pillow_images(&[&tif]).unwrap()[0];
        assert_close(&format!("{name} (Pillow)"), &pil.data, &want.data);
        let report = run(d, &["inspect", tif.to_str().unwrap()]);
        let report = String::from_utf8_lossy(&report.stdout);
        assert!(report.contains("verdict: sound"), "{name}: {report}");

        // PDF: poppler and MuPDF decode the embedded image to the upright one, and
        // the page has its shape.
        let pdf = format!("{stem}.pdf");
        ok(&run(d, &["write", "-o", &pdf, name]));
        let pdf = d.join(&pdf);
        support::pdf_readers::qpdf_check(&pdf).unwrap_or_else(|e| panic!("{name}: {e}"));
        let pp = &support::pdf_readers::pdfimages_pixels(&pdf).unwrap()[0];
        assert_eq!((pp.width, pp.height), (want.width, want.height), "{name}");
        assert_close(&format!("{name} (poppler)"), &pp.data, &want.data);
        let num = support::pdf_readers::image_objects(&pdf).unwrap()[0];
        let mu = support::pdf_readers::mutool_samples(&pdf, num).unwrap();
        assert_close(&format!("{name} (MuPDF)"), &mu, &want.data);
        // The 61×43 orientation files say 150 dpi across, 100 down (turned a
        // quarter, 100 across); the others state no density (300 dpi).
        let (xdpi, ydpi) = match name
            .strip_prefix("orient")
            .and_then(|r| r.strip_suffix(".jpg"))
        {
            Some("1" | "2" | "3" | "4") => (150.0, 100.0),
            Some("5" | "6" | "7" | "8") => (100.0, 150.0),
            _ => (300.0, 300.0),
        };
        let (w, h) = support::pdf_readers::pdfinfo_pages(&pdf).unwrap()[0];
        let want_pt = (
            f64::from(want.width) / xdpi * 72.0,
            f64::from(want.height) / ydpi * 72.0,
        );
        assert!(
            (w - want_pt.0).abs() < 0.5 && (h - want_pt.1).abs() < 0.5,
            "{name}: a {w}×{h} pt page for a {}×{} image at {xdpi}×{ydpi} dpi",
            want.width,
            want.height
        );
    }
}

/// A turned page keeps its resolution along the right axis: 150 dpi across and
/// 100 dpi down in the file are 100 across and 150 down once turned a quarter.
#[test]
fn a_turned_jpeg_keeps_its_resolution_on_the_right_axes() {
    let dir = corpus();
    let d = dir.path();
    ok(&run(d, &["write", "-o", "six.tif", "orient6.jpg"]));
    let tags = &support::tiff_crate_tags(&d.join("six.tif")).unwrap()[0];
    assert_eq!((tags.width, tags.length), (43, 61));
    assert_eq!(tags.x_resolution[0] / tags.x_resolution[1], 100);
    assert_eq!(tags.y_resolution[0] / tags.y_resolution[1], 150);
    ok(&run(d, &["write", "-o", "six.pdf", "orient6.jpg"]));
    let (w, h) = support::pdf_readers::pdfinfo_pages(&d.join("six.pdf")).unwrap()[0];
    assert_eq!(
        (w.round(), h.round()),
        (31.0, 29.0),
        "43 px at 100 dpi, 61 at 150"
    );
}

/// What cannot be a page is refused before the output is touched, with a reason,
/// in TIFF and PDF alike (before, PDF embedded the cut and the oversized ones, and
/// TIFF found the cut one only after the output was opened); a CMYK JPEG, which PDF
/// takes, is refused for TIFF with the way out.
#[test]
fn jpegs_that_cannot_be_pages_are_refused_the_same_way_for_tiff_and_pdf() {
    let dir = corpus();
    let d = dir.path();
    for (name, says, outs) in [
        ("truncated.jpg", "cut short", &["out.tif", "out.pdf"][..]),
        ("cmyk.jpg", "CMYK", &["out.tif"]),
        (
            "huge_progressive.jpg",
            "too few for the 40000×40000 frame",
            &["out.tif", "out.pdf"],
        ),
        ("past_libjpeg.jpg", "at most 65500", &["out.tif", "out.pdf"]),
    ] {
        for &out in outs {
            fs::write(d.join(out), b"keep me").unwrap();
            let o = run(d, &["write", "-o", out, name]);
            assert_eq!(o.status.code(), Some(1), "{name} -> {out}: {}", stderr(&o));
            let e = stderr(&o);
            assert!(e.contains(name) && e.contains(says), "{name} -> {out}: {e}");
            assert!(
                !e.contains(out),
                "{name}: refused before {out} is touched: {e}"
            );
            assert_eq!(
                fs::read(d.join(out)).unwrap(),
                b"keep me",
                "{name} -> {out}"
            );
        }
    }
}

/// A 1,656-byte kind of file: a small progressive JPEG whose frame says 40000×40000.
/// Before, making it baseline took 3.16 GB before libjpeg-turbo gave up; it is
/// refused from its headers and scan lengths, in the memory of any small job.
#[test]
fn a_tiny_jpeg_declaring_40000_squared_is_refused_in_little_memory() {
    let dir = corpus();
    let d = dir.path();
    for out in ["big.tif", "big.pdf"] {
        let (rss, o) =
            super::nothing_lost::peak_rss(d, &["write", "-o", out, "huge_progressive.jpg"]);
        assert!(rss < 64 << 20, "{out}: peak RSS {} MiB", rss >> 20);
        // The helper prints the peak, then wias's exit code.
        let code = String::from_utf8_lossy(&o.stdout)
            .lines()
            .nth(1)
            .map(str::to_owned);
        assert_eq!(code.as_deref(), Some("1"), "{}", stderr(&o));
        assert!(stderr(&o).contains("too few"), "{}", stderr(&o));
        assert!(!d.join(out).exists());
    }
}

/// `wias inspect` agrees with libtiff about a strip libtiff cuts short: a TIFF whose
/// one JPEG strip holds a 2 MB ICC profile for a 300×200 page (what wias itself wrote
/// before) is not sound, and libtiff fails on it.
#[test]
fn inspect_calls_a_strip_libtiff_cuts_short_unsound() {
    let dir = corpus();
    let d = dir.path();
    // A classic TIFF by hand: 300×200 YCbCr JPEG, the whole file as its one strip.
    const TIFF: &str = r#"
import struct, sys
jpeg = open("big_icc.jpg", "rb").read()
tags = [(256, 3, 1, 300), (257, 3, 1, 200), (258, 3, 3, None), (259, 3, 1, 7),
        (262, 3, 1, 6), (273, 4, 1, None), (277, 3, 1, 3), (278, 3, 1, 200),
        (279, 4, 1, len(jpeg)), (530, 3, 2, None)]
ifd_at = 8
extra_at = ifd_at + 2 + 12 * len(tags) + 4
bps_at, strip_at = extra_at, extra_at + 6
out = bytearray(b"II*\0" + struct.pack("<I", ifd_at))
out += struct.pack("<H", len(tags))
for tag, typ, count, value in tags:
    if tag == 258: field = struct.pack("<I", bps_at)
    elif tag == 273: field = struct.pack("<I", strip_at)
    elif tag == 530: field = struct.pack("<HH", 2, 2)
    elif typ == 3: field = struct.pack("<HH", value, 0)
    else: field = struct.pack("<I", value)
    out += struct.pack("<HHI", tag, typ, count) + field
out += struct.pack("<I", 0) + struct.pack("<HHH", 8, 8, 8) + jpeg
open("icc_strip.tif", "wb").write(out)
"#;
    let o = std::process::Command::new("python3")
        .args(["-c", TIFF])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let path = d.join("icc_strip.tif");
    assert!(support::tiffinfo_clean(&path).is_err(), "libtiff reads it");
    let o = run(d, &["inspect", "icc_strip.tif"]);
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        !report.contains("verdict: sound") && report.contains("libtiff reads only"),
        "{report}"
    );
    // The same JPEG written by wias is a page libtiff reads (its metadata dropped).
    ok(&run(d, &["write", "-o", "ok.tif", "big_icc.jpg"]));
    support::tiffinfo_clean(&d.join("ok.tif")).unwrap();
    assert!(fs::metadata(d.join("ok.tif")).unwrap().len() < 100_000);
}

/// A CMYK JPEG (Pillow writes Adobe's inverted CMYK, as Photoshop does) becomes a
/// DeviceCMYK PDF page, its data unchanged, with the inversion stated: MuPDF renders
/// Pillow's own RGB conversion of it, and poppler (another CMYK model) keeps white
/// white and ink dark, which an unstated inversion would swap.
#[test]
fn a_cmyk_jpeg_becomes_a_devicecmyk_pdf_page_with_adobes_inversion() {
    let dir = corpus();
    let d = dir.path();
    const MAKE_CMYK: &str = "import numpy as np\nfrom PIL import Image\n\
        a = np.zeros((40, 64, 3), np.uint8); a[:, :32] = 255; a[10:20, 40:60] = (200, 30, 30)\n\
        Image.fromarray(a).convert('CMYK').save('ink.jpg', quality=95)\n\
        Image.open('ink.jpg').convert('RGB').save('want.ppm')\n";
    let o = std::process::Command::new("python3")
        .args(["-c", MAKE_CMYK])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    ok(&run(d, &["write", "-o", "ink.pdf", "ink.jpg"]));
    let pdf = d.join("ink.pdf");
    support::pdf_readers::qpdf_check(&pdf).unwrap();
    let list = support::pdf_readers::pdfimages_list(&pdf).unwrap();
    assert_eq!(
        (list[0].color.as_str(), list[0].comp),
        ("cmyk", 4),
        "{list:?}"
    );
    let all = support::pdf_readers::pdfimages_all(&pdf).unwrap();
    assert!(
        all[0].1 == fs::read(d.join("ink.jpg")).unwrap(),
        "stored unchanged"
    );
    let render = |cmd: &str| {
        let o = std::process::Command::new("sh")
            .args(["-c", cmd])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(o.status.success(), "{cmd}: {}", stderr(&o));
    };
    render("mutool draw -q -r 300 -o mu.png ink.pdf");
    render("pdftoppm -r 300 -png -singlefile ink.pdf pp");
    let got = support::pillow_images(&[&d.join("mu.png"), &d.join("pp.png"), &d.join("want.ppm")])
        .unwrap();
    assert_eq!((got[0].width, got[0].height), (64, 40));
    let mean = |a: &[u8], b: &[u8]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(x.abs_diff(*y)))
            .sum::<f64>()
            / a.len() as f64
    };
    let m = mean(&got[0].data, &got[2].data);
    assert!(m < 3.0, "MuPDF differs from Pillow by {m:.1} on average");
    let px = |img: &support::PyImage, x: usize, y: usize| {
        let i = (y * 64 + x) * 3;
        img.data[i..i + 3].to_vec()
    };
    let pp = &got[1];
    assert!(
        px(pp, 5, 30).iter().all(|&v| v >= 250),
        "white: {:?}",
        px(pp, 5, 30)
    );
    assert!(
        px(pp, 50, 30).iter().all(|&v| v <= 130),
        "ink: {:?}",
        px(pp, 50, 30)
    );
}

//! Raw PBM (P4) pages through `wias write`, whose rows go to the TIFF encoder as the
//! PBM holds them (1 = black, never inverted; issue 14). Inputs are made by Python
//! (garbage in every row's padding bits) and netpbm's `pbmtext`; the files are read
//! back by libtiff and Pillow and compared with the PBM rasters pixel for pixel.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use super::{libtiff_codec, ok, pillow_pages, run, run_stdin, sh, stderr, support};

/// Writes P4 images `(width, lines, kind)` (kind: "random", "black", "white") into
/// `name`, one after another, with every row's unused low bits set; returns each
/// image's raster in page-buffer form (0 = black, padding cleared).
fn python_pbm(dir: &Path, name: &str, images: &[(u32, u32, &str)]) -> Vec<Vec<u8>> {
    const SCRIPT: &str = r#"
import sys, random
out, images = sys.argv[1], sys.argv[2:]
rnd = random.Random(14)
with open(out, "wb") as f:
    for spec in images:
        w, h, kind = spec.split(",")
        w, h = int(w), int(h)
        rb = (w + 7) // 8
        pad = (1 << (rb * 8 - w)) - 1
        f.write(b"P4\n%d %d\n" % (w, h))
        for _ in range(h):
            if kind == "black":
                row = bytearray([0xFF] * rb)
            elif kind == "white":
                row = bytearray(rb)
            else:
                row = bytearray(rnd.getrandbits(8) for _ in range(rb))
            row[-1] |= pad
            f.write(bytes(row))
"#;
    let args: Vec<String> = images
        .iter()
        .map(|(w, h, k)| format!("{w},{h},{k}"))
        .collect();
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c").arg(SCRIPT).arg(dir.join(name)).args(&args);
    let o = cmd.output().expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    page_buffers(&fs::read(dir.join(name)).unwrap(), images)
}

/// The rasters of the P4 images in `bytes` (headers as [`python_pbm`] writes them),
/// in page-buffer form with the padding cleared.
fn page_buffers(bytes: &[u8], images: &[(u32, u32, &str)]) -> Vec<Vec<u8>> {
    let mut rest = bytes;
    let mut out = Vec::new();
    for &(w, h, _) in images {
        let head = format!("P4\n{w} {h}\n");
        assert!(rest.starts_with(head.as_bytes()));
        let rb = (w as usize).div_ceil(8);
        let n = rb * h as usize;
        let mut data: Vec<u8> = rest[head.len()..head.len() + n]
            .iter()
            .map(|b| !b)
            .collect();
        support::clear_row_padding(&mut data, w as usize, rb);
        out.push(data);
        rest = &rest[head.len() + n..];
    }
    out
}

/// Pillow's pages with the padding bits cleared.
fn pillow_cleared(path: &Path, widths: &[u32]) -> Vec<Vec<u8>> {
    pillow_pages(path)
        .into_iter()
        .zip(widths)
        .map(|(mut p, &w)| {
            support::clear_row_padding(&mut p, w as usize, (w as usize).div_ceil(8));
            p
        })
        .collect()
}

const FIXED: [(&str, u16); 6] = [
    ("none", 1),
    ("packbits", 32773),
    ("lzw", 5),
    ("deflate", 8),
    ("g3", 3),
    ("g4", 4),
];

#[test]
fn pbm_pages_in_every_fixed_codec_read_back_pixel_exact() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // Several strips (a 1237-pixel row is 155 bytes), a 1-pixel column, pages all
    // black and all white, widths not a multiple of 8 with garbage padding.
    let images = [
        (1237, 1500, "random"),
        (1, 300, "random"),
        (13, 7, "black"),
        (37, 900, "white"),
        (2000, 40, "black"),
    ];
    let mut expected = python_pbm(d, "doc.pbm", &images);
    sh(
        d,
        "pbmtext -builtin fixed 'Bilevel pages, streamed.' > text.pbm",
    );
    let text = fs::read(d.join("text.pbm")).unwrap();
    let head = std::str::from_utf8(&text[..20.min(text.len())]).unwrap_or("");
    assert!(head.starts_with("P4"), "pbmtext writes raw PBM");
    let spec: Vec<u32> = String::from_utf8_lossy(&text[2..])
        .split_whitespace()
        .take(2)
        .map(|x| x.parse().unwrap())
        .collect();
    let (tw, th) = (spec[0], spec[1]);
    let rb = (tw as usize).div_ceil(8);
    let mut tp: Vec<u8> = text[text.len() - rb * th as usize..]
        .iter()
        .map(|b| !b)
        .collect();
    support::clear_row_padding(&mut tp, tw as usize, rb);
    expected.push(tp);
    let mut widths: Vec<u32> = images.iter().map(|i| i.0).collect();
    widths.push(tw);
    // The same document with clean padding bits: the padding must not reach the
    // file (it would break PackBits runs, cost LZW and Deflate bytes).
    let mut clean = fs::read(d.join("doc.pbm")).unwrap();
    let mut at = 0;
    for &(w, h, _) in &images {
        at += format!("P4\n{w} {h}\n").len();
        let rb = (w as usize).div_ceil(8);
        support::clear_row_padding(&mut clean[at..at + rb * h as usize], w as usize, rb);
        at += rb * h as usize;
    }
    fs::write(d.join("clean.pbm"), &clean).unwrap();
    for (c, code) in FIXED {
        let o = run(
            d,
            &["write", "--compression", c, "-o", "clean.tif", "clean.pbm"],
        );
        ok(&o);
        let o = run(
            d,
            &["write", "--compression", c, "-o", "dirty.tif", "doc.pbm"],
        );
        ok(&o);
        assert!(
            fs::read(d.join("clean.tif")).unwrap() == fs::read(d.join("dirty.tif")).unwrap(),
            "{c}: padding bits reached the file"
        );
        let out = d.join(format!("{c}.tif"));
        let o = run(
            d,
            &[
                "write",
                "--compression",
                c,
                "-o",
                out.to_str().unwrap(),
                "doc.pbm",
                "text.pbm",
            ],
        );
        ok(&o);
        let pages = libtiff_codec(&out);
        assert_eq!(pages.len(), expected.len(), "{c}");
        for (i, (p, e)) in pages.iter().zip(&expected).enumerate() {
            assert_eq!((p.width, p.compression), (widths[i], code), "{c} page {i}");
            assert!(p.data == *e, "{c}: libtiff page {} differs", i + 1);
        }
        let pil = pillow_cleared(&out, &widths);
        assert_eq!(pil.len(), expected.len(), "{c}");
        for (i, (p, e)) in pil.iter().zip(&expected).enumerate() {
            assert!(p == e, "{c}: Pillow page {} differs", i + 1);
        }
    }
}

#[test]
fn a_pbm_cut_short_fails_only_its_page() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let images = [(1237, 1500, "random"), (333, 2000, "random")];
    let expected = python_pbm(d, "two.pbm", &images);
    let whole = fs::read(d.join("two.pbm")).unwrap();
    let cut = &whole[..whole.len() - 5000];
    fs::write(d.join("cut.pbm"), cut).unwrap();
    // As a file it is refused before anything is written.
    let o = run(d, &["write", "-o", "out.tif", "two.pbm", "cut.pbm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("wias: cut.pbm: "), "{}", stderr(&o));
    assert!(!d.join("out.tif").exists());
    for (c, code) in FIXED {
        // On stdin: the cut page first in the stream, and after good pages.
        for (inputs, good) in [(vec!["-"], 1), (vec!["two.pbm", "-"], 3)] {
            let mut args = vec!["write", "--compression", c, "-o", "out.tif"];
            args.extend(&inputs);
            let _ = fs::remove_file(d.join("out.tif"));
            let o = run_stdin(d, &args, cut);
            assert_eq!(o.status.code(), Some(1), "{c} {inputs:?}");
            let err = stderr(&o);
            assert!(
                err.contains("stdin") && err.contains("truncated"),
                "{c}: {err}"
            );
            let pages = libtiff_codec(&d.join("out.tif"));
            assert_eq!(pages.len(), good, "{c} {inputs:?}");
            let want = [&expected[..], &expected[..1]].concat();
            for (i, p) in pages.iter().enumerate() {
                assert_eq!(p.compression, code, "{c}");
                assert!(p.data == want[i], "{c} {inputs:?}: page {} differs", i + 1);
            }
        }
    }
}

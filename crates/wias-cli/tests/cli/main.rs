//! The `wias` binary as a user runs it. Inputs come from netpbm, Pillow or numpy;
//! outputs are read back by libtiff (`tiffpixels`, `tiffinfo -D`) and Pillow, and
//! compared pixel for pixel with what those independent tools decode from the inputs.

use wias_testsupport as support;

/// Raw PBM pages, streamed without inversion (issue 14).
mod bilevel;
/// JPEG files from cameras and other programs as TIFF and PDF pages.
mod jpeg_inputs;
/// The ways a page or an existing document could be lost (issue 9).
mod nothing_lost;
/// `--ocr`: the text layer of PDF pages (issue 23).
mod ocr;
/// `wias write` and `wias scan` into PDF.
mod pdf;
mod pdfa;
/// PNG files as `wias write` inputs.
mod png_inputs;
/// TIFFs from tiffcp, ImageMagick, tifffile and Pillow: inspect and append agree with
/// libtiff (issues 26 and 28).
mod producers;
/// `wias scan --device sane:test:0`, compared with `scanimage`.
mod sane;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// The binary under test, with `SOURCE_DATE_EPOCH` pinned: a test that compares the
/// bytes of two runs must not see DateTime change between them (issue 18 item 2).
fn wias() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wias"));
    c.env("SOURCE_DATE_EPOCH", EPOCH);
    c
}

/// `SOURCE_DATE_EPOCH` of the tests: 2026:11:25 12:34:56 UTC.
const EPOCH: &str = "1795610096";

fn run(dir: &Path, args: &[&str]) -> Output {
    wias()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run wias")
}

/// `wias write -o out --compression none` of four copies of `a.pgm` under
/// `prlimit --fsize=limit` (util-linux), which lets two pages in: checks that it
/// exits 1 saying the limit was reached and pages 1..2 are intact, in one line.
fn four_pages_past_a_file_size_limit(dir: &Path, out: &str, limit: u64) {
    let o = Command::new("prlimit")
        .arg(format!("--fsize={limit}"))
        .arg(env!("CARGO_BIN_EXE_wias"))
        .args(["write", "-o", out, "--compression", "none"])
        .args(["a.pgm", "a.pgm", "a.pgm", "a.pgm"])
        .current_dir(dir)
        .output()
        .expect("prlimit (util-linux)");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(
        msg.contains("file-size limit") && msg.contains("pages 1..2 are intact"),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1, "{msg}");
}

fn run_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = wias()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wias");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "wias failed: {:?}: {}",
        o.status,
        stderr(o)
    );
}

/// Runs a shell command (netpbm tools) in `dir`, returning its stdout.
fn sh(dir: &Path, cmd: &str) -> Vec<u8> {
    let o = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .output()
        .expect("sh");
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Pillow's decoding of every frame of `path`, in page-buffer form: 1-bit rows packed
/// MSB first with 1 = white, 16-bit samples little-endian.
fn pillow_pages(path: &Path) -> Vec<Vec<u8>> {
    const SCRIPT: &str = r#"
import sys, numpy as np
from PIL import Image, ImageSequence
out = sys.stdout.buffer
for im in ImageSequence.Iterator(Image.open(sys.argv[1])):
    if im.mode in ("1", "L", "RGB"):
        b = im.tobytes()
    elif im.mode == "P":
        b = im.convert("RGB").tobytes()
    elif im.mode.startswith("I"):
        b = np.asarray(im).astype("<u2").tobytes()
    else:
        raise SystemExit("mode " + im.mode)
    out.write(b"%d\n" % len(b)); out.write(b)
"#;
    let o = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .output()
        .expect("python3 with Pillow and numpy");
    assert!(
        o.status.success(),
        "Pillow: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut rest = &o.stdout[..];
    let mut pages = Vec::new();
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap();
        let n: usize = std::str::from_utf8(&rest[..nl]).unwrap().parse().unwrap();
        pages.push(rest[nl + 1..nl + 1 + n].to_vec());
        rest = &rest[nl + 1 + n..];
    }
    pages
}

/// Every page of `path` as libtiff decodes it, after checking that `tiffinfo -D` reads
/// the file without a word and that the image-rs `tiff` crate, a second reader sharing
/// no code with libtiff or wias, decodes the same pixels.
fn libtiff(path: &Path) -> Vec<support::Page> {
    support::tiffinfo_clean(path).unwrap();
    let pages = support::libtiff_pages(path).unwrap();
    let second = support::tiff_crate_pages(path).unwrap();
    assert_eq!(second.len(), pages.len(), "{}", path.display());
    for (i, (a, b)) in pages.iter().zip(&second).enumerate() {
        assert!(
            a == b,
            "{} page {}: libtiff and the tiff crate differ",
            path.display(),
            i + 1
        );
    }
    pages
}

/// Every page of `path` as libtiff decodes it, after a clean `tiffinfo -D`. For the
/// codec tests, whose pages the `tiff` crate cannot all read (G3, YCbCr JPEG); the
/// library's `tests/codecs.rs` decodes every codec with second readers.
fn libtiff_codec(path: &Path) -> Vec<support::Page> {
    support::tiffinfo_clean(path).unwrap();
    support::libtiff_pages(path).unwrap()
}

/// Bilevel rows with the padding bits cleared, for comparison.
fn cleared(mut data: Vec<u8>, width: u32) -> Vec<u8> {
    let row = (width as usize).div_ceil(8);
    support::clear_row_padding(&mut data, width as usize, row);
    data
}

/// Netpbm-made inputs of every kind the reader takes, with odd sizes.
fn netpbm_inputs(dir: &Path) -> Vec<PathBuf> {
    let names = [
        ("bw.pbm", "pbmmake -gray 37 19 > bw.pbm"),
        (
            "bwplain.pbm",
            "pbmmake -gray 13 5 | pnmtoplainpnm > bwplain.pbm",
        ),
        ("ramp.pgm", "pgmramp -diagonal 41 23 > ramp.pgm"),
        (
            "ramp16.pgm",
            "pgmramp -maxval 65535 -rectangle 29 17 > ramp16.pgm",
        ),
        ("pat.ppm", "ppmpat -camo -randomseed 3 31 27 > pat.ppm"),
        (
            "plain.ppm",
            "ppmpat -madras -randomseed 5 9 7 | pnmtoplainpnm > plain.ppm",
        ),
    ];
    names
        .iter()
        .map(|(n, cmd)| {
            sh(dir, cmd);
            dir.join(n)
        })
        .collect()
}

/// A 48-bit PPM written by numpy, with its expected page-buffer rows.
fn numpy_ppm48(dir: &Path) -> (PathBuf, Vec<u8>) {
    let script = r#"
import numpy as np, sys
a = (np.arange(11 * 6 * 3, dtype=np.uint32) * 1237 % 65536).astype(">u2").reshape(6, 11, 3)
open(sys.argv[1], "wb").write(b"P6\n11 6\n65535\n" + a.tobytes())
sys.stdout.buffer.write(a.astype("<u2").tobytes())
"#;
    let path = dir.join("rgb48.ppm");
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success());
    (path, o.stdout)
}

#[test]
fn write_netpbm_pages_read_back_pixel_exact_by_libtiff() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let inputs = netpbm_inputs(d);
    let (ppm48, rows48) = numpy_ppm48(d);
    let mut args = vec!["write", "-o", "out.tif", "--dpi", "200"];
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let p48 = ppm48.display().to_string();
    args.push(&p48);
    let o = run(d, &args);
    ok(&o);
    let pages = libtiff(&d.join("out.tif"));
    assert_eq!(pages.len(), inputs.len() + 1);
    for (page, input) in pages.iter().zip(&inputs) {
        let want = &pillow_pages(input)[0];
        let got = if page.bits_per_sample == 1 {
            cleared(page.data.clone(), page.width)
        } else {
            page.data.clone()
        };
        let want = if page.bits_per_sample == 1 {
            cleared(want.clone(), page.width)
        } else {
            want.clone()
        };
        assert_eq!(got, want, "{}", input.display());
    }
    let last = pages.last().unwrap();
    assert_eq!((last.bits_per_sample, last.samples_per_pixel), (16, 3));
    assert_eq!(last.data, rows48);
    // The resolution given on the command line is in every page.
    let info = sh(d, "tiffinfo out.tif");
    let info = String::from_utf8_lossy(&info);
    assert_eq!(
        info.matches("Resolution: 200, 200 pixels/inch").count(),
        7,
        "{info}"
    );
}

#[test]
fn a_pnm_stream_on_stdin_gives_the_same_pages_as_the_files() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let inputs = netpbm_inputs(d);
    let mut stream = Vec::new();
    for p in &inputs {
        stream.extend(fs::read(p).unwrap());
    }
    let o = run_stdin(d, &["write", "-o", "stdin.tif", "-"], &stream);
    ok(&o);
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["write", "-o", "files.tif"];
    args.extend(names.iter().map(String::as_str));
    ok(&run(d, &args));
    let a = libtiff(&d.join("stdin.tif"));
    let b = libtiff(&d.join("files.tif"));
    assert_eq!(a.len(), inputs.len());
    assert_eq!(a, b);
}

#[test]
fn output_to_a_pipe_is_a_multipage_tiff_libtiff_reads() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let inputs = netpbm_inputs(d);
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["write", "-o", "-"];
    args.extend(names.iter().map(String::as_str));
    // stdout is a pipe here: a seek on it would fail.
    let o = run_stdin(d, &args, b"");
    ok(&o);
    fs::write(d.join("piped.tif"), &o.stdout).unwrap();
    let mut args = vec!["write", "-o", "file.tif"];
    args.extend(names.iter().map(String::as_str));
    ok(&run(d, &args));
    let piped = libtiff(&d.join("piped.tif"));
    assert_eq!(piped.len(), inputs.len());
    assert_eq!(piped, libtiff(&d.join("file.tif")));
    // And through a real shell pipe into libtiff's own copy tool.
    let bin = env!("CARGO_BIN_EXE_wias");
    sh(
        d,
        &format!("{bin} write -o - ramp.pgm pat.ppm | cat > cat.tif && tiffcp cat.tif copy.tif"),
    );
    assert_eq!(support::libtiff_page_count(&d.join("copy.tif")), 2);
}

#[test]
fn append_adds_pages_to_an_existing_tiff() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    netpbm_inputs(d);
    // --append on a missing file starts it.
    ok(&run(d, &["write", "--append", "-o", "doc.tif", "ramp.pgm"]));
    ok(&run(d, &["write", "--append", "-o", "doc.tif", "bw.pbm"]));
    ok(&run(d, &["write", "--append", "-o", "doc.tif", "pat.ppm"]));
    ok(&run(
        d,
        &["write", "--append", "-o", "doc.tif", "ramp16.pgm"],
    ));
    let pages = libtiff(&d.join("doc.tif"));
    assert_eq!(pages.len(), 4);
    assert_eq!(pages[2].data, pillow_pages(&d.join("pat.ppm"))[0]);
    assert_eq!(pages[3].data, pillow_pages(&d.join("ramp16.pgm"))[0]);
    // Appending to something that is not a TIFF changes nothing.
    fs::copy(d.join("ramp.pgm"), d.join("pgm.tif")).unwrap();
    let before = fs::read(d.join("pgm.tif")).unwrap();
    let o = run(d, &["write", "--append", "-o", "pgm.tif", "pat.ppm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("pgm.tif: not a TIFF file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(d.join("pgm.tif")).unwrap(), before);
    // Nor does naming it as the output under its own extension: wias writes no PNM.
    let before = fs::read(d.join("ramp.pgm")).unwrap();
    let o = run(d, &["write", "--append", "-o", "ramp.pgm", "pat.ppm"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("does not write .pgm files"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(d.join("ramp.pgm")).unwrap(), before);
    // Nor does appending to a TIFF cut short in its last page's strips.
    let doc = fs::read(d.join("doc.tif")).unwrap();
    let first_ifd = u32::from_le_bytes(doc[4..8].try_into().unwrap()) as usize;
    let cut = doc[..first_ifd + 400].to_vec(); // page 1 whole, page 2 data cut
    fs::write(d.join("cut.tif"), &cut).unwrap();
    let o = run(d, &["write", "--append", "-o", "cut.tif", "pat.ppm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("wias: cut.tif: "), "{}", stderr(&o));
    assert_eq!(fs::read(d.join("cut.tif")).unwrap(), cut);
}

#[test]
fn bmp_output_reads_back_pixel_exact_in_pillow() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    netpbm_inputs(d);
    for (input, out) in [
        ("bw.pbm", "bw.bmp"),
        ("ramp.pgm", "gray.bmp"),
        ("pat.ppm", "rgb.bmp"),
    ] {
        ok(&run(d, &["write", "-o", out, input]));
        let got = pillow_pages(&d.join(out));
        let want = pillow_pages(&d.join(input));
        assert_eq!(got.len(), 1);
        let width = if input == "bw.pbm" { 37 } else { 0 };
        if width > 0 {
            assert_eq!(
                cleared(got[0].clone(), width),
                cleared(want[0].clone(), width)
            );
        } else {
            assert_eq!(got, want, "{out}");
        }
    }
    // 16-bit pages and second pages are clear errors; no empty file is left.
    let o = run(
        d,
        &["write", "--format", "bmp", "-o", "deep.bmp", "ramp16.pgm"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("BMP cannot hold gray16"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("deep.bmp").exists());
    let o = run(d, &["write", "-o", "two.bmp", "ramp.pgm", "pat.ppm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("a BMP holds one page"),
        "{}",
        stderr(&o)
    );
    assert_eq!(pillow_pages(&d.join("two.bmp")).len(), 1);
}

/// 8-bit PNM rasters go into the TIFF straight from the input file (copied in the
/// kernel uncompressed, read a strip at a time by the encoder otherwise): each page
/// equals its PNM raster as libtiff reads it, and a second image cut short inside a
/// file fails alone, every page before it kept.
#[test]
fn pnm_rasters_copied_from_the_input_and_one_cut_short() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    netpbm_inputs(d);
    sh(
        d,
        "pgmramp -diagonal 700 300 > big.pgm; ppmpat -camo -randomseed 4 500 200 > big.ppm",
    );
    // The raster of a binary maxval-255 PNM is its last width × height × spp bytes.
    let raster = |name: &str, len: usize| {
        let b = fs::read(d.join(name)).unwrap();
        b[b.len() - len..].to_vec()
    };
    let ramp = raster("big.pgm", 700 * 300);
    let pat = raster("big.ppm", 500 * 200 * 3);
    let whole = fs::read(d.join("big.ppm")).unwrap();
    let mut two = whole.clone();
    two.extend_from_slice(&whole[..whole.len() - 1000]);
    fs::write(d.join("two.ppm"), &two).unwrap();
    for c in ["none", "lzw", "deflate"] {
        // On stdin (a file cut short is refused before anything is written).
        let o = run_stdin(
            d,
            &["write", "--compression", c, "-o", "out.tif", "big.pgm", "-"],
            &two,
        );
        assert_eq!(o.status.code(), Some(1), "{c}");
        let err = stderr(&o);
        assert!(
            err.contains("stdin") && err.contains("truncated"),
            "{c}: {err}"
        );
        let pages = libtiff(&d.join("out.tif"));
        assert_eq!(pages.len(), 2, "{c}");
        assert!(pages[0].data == ramp, "{c}: gray page differs");
        assert!(pages[1].data == pat, "{c}: colour page differs");
        let code = match c {
            "none" => 1,
            "lzw" => 5,
            _ => 8,
        };
        assert!(pages.iter().all(|p| p.compression == code), "{c}");
    }
}

#[test]
fn a_bad_input_keeps_every_page_before_it() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    netpbm_inputs(d);
    let ramp = fs::read(d.join("ramp.pgm")).unwrap();
    fs::write(d.join("cut.pgm"), &ramp[..ramp.len() - 100]).unwrap();
    let cut = &ramp[..ramp.len() - 100];
    // A file cut short is refused before anything is written (it could be checked);
    // a stream on stdin fails at its page, after the pages before it.
    let args = [
        "write", "-o", "out.tif", "ramp.pgm", "pat.ppm", "cut.pgm", "bw.pbm",
    ];
    let o = run(d, &args);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("wias: cut.pgm: ") && err.contains("truncated"),
        "{err}"
    );
    assert!(!d.join("out.tif").exists());
    let o = run_stdin(
        d,
        &[
            "write", "-o", "out.tif", "ramp.pgm", "pat.ppm", "-", "bw.pbm",
        ],
        cut,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("stdin") && err.contains("truncated"), "{err}");
    assert_eq!(libtiff(&d.join("out.tif")).len(), 2);
    // The same on a pipe: the stream is completed with the pages that made it.
    let o = run_stdin(d, &["write", "-o", "-", "ramp.pgm", "-"], cut);
    assert_eq!(o.status.code(), Some(1));
    fs::write(d.join("piped.tif"), &o.stdout).unwrap();
    assert_eq!(libtiff(&d.join("piped.tif")).len(), 1);
    // A missing input is reported before the output is touched.
    let o = run(d, &["write", "-o", "out.tif", "nosuch.pgm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("wias: nosuch.pgm: "),
        "{}",
        stderr(&o)
    );
    assert_eq!(libtiff(&d.join("out.tif")).len(), 2);
    // Writing over an input is refused before anything is touched.
    let o = run(d, &["write", "-o", "ramp.pgm", "pat.ppm", "ramp.pgm"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::read(d.join("ramp.pgm")).unwrap(), ramp);
}

#[test]
fn usage_errors_exit_with_status_2() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    for args in [
        &["write", "-o", "x.tif"][..],
        &["write", "-o", "x.tif", "--compression", "zstd", "a.pgm"],
        &["write", "-o", "x.tif", "--jpeg-quality", "0", "a.pgm"],
        &["write", "-o", "x.tif", "--dpi", "0", "a.pgm"],
        &["scan", "--mode", "bw", "--depth", "8"],
        &["scan", "--format", "bmp", "--pages", "2"],
        &["scan", "--mode", "gray", "--compression", "g4"],
        &[
            "scan",
            "--mode",
            "color",
            "--depth",
            "16",
            "--compression",
            "jpeg",
        ],
        &["inspect"],
        &["frobnicate"],
    ] {
        let o = run(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty());
    }
    assert!(
        !d.join("scan.tif").exists(),
        "a refused scan creates no output file"
    );
    let o = run(
        d,
        &["write", "-o", "x.tif", "--compression", "zstd", "a.pgm"],
    );
    assert!(stderr(&o).contains("zstd"), "{}", stderr(&o));
    assert!(!d.join("x.tif").exists());
}

#[test]
fn raw_format_and_unknown_devices_are_clear_errors() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(d, &["scan", "--format", "raw", "-o", "x.raw"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not supported yet"), "{}", stderr(&o));
    sh(d, "pgmramp -lr 8 8 > a.pgm");
    let o = run(d, &["write", "--format", "raw", "-o", "x.raw", "a.pgm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not supported yet"), "{}", stderr(&o));
    // Any name but `virtual` is a SANE name, as `scanimage -L` prints it (issue 24
    // item 2): one SANE does not have is named with the devices it has (more: sane.rs).
    // (Not a bare backend name such as `epson2`: SANE's dll then loads that backend,
    // which now and then crashes the process at exit on a loaded machine.)
    let o = wias()
        .current_dir(d)
        .env("SANE_CONFIG_DIR", support::sane::config_dir())
        .args(["scan", "--device", "nosuch:0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no SANE device \"nosuch:0\"; devices: test:0, test:1"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("scan.tif").exists());
}

#[test]
fn scan_with_no_options_makes_a_multipage_tiff_of_realistic_pages() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(d, &["scan"]);
    ok(&o);
    assert!(o.stdout.is_empty());
    let path = d.join("scan.tif");
    let pages = libtiff(&path);
    let kinds: Vec<(u16, u16)> = pages
        .iter()
        .map(|p| (p.bits_per_sample, p.samples_per_pixel))
        .collect();
    assert_eq!(kinds, [(1, 1), (8, 1), (8, 3), (1, 1)]);
    for p in &pages {
        // A4 at 150 dpi.
        assert_eq!((p.width, p.height), (1241, 1754));
    }
    // The text page is paper with ink on it, neither blank nor black.
    let text = &pages[0];
    let black: u64 = cleared(text.data.clone(), text.width)
        .iter()
        .map(|b| u64::from(b.count_zeros()))
        .sum::<u64>()
        - u64::from(text.height) * u64::from(text.width.next_multiple_of(8) - text.width);
    let share = black as f64 / (f64::from(text.width) * f64::from(text.height));
    assert!((0.02..0.3).contains(&share), "ink share {share}");
    // The photo uses many gray levels; the colour page is not gray.
    let mut levels = [false; 256];
    pages[1]
        .data
        .iter()
        .for_each(|&v| levels[v as usize] = true);
    assert!(levels.iter().filter(|l| **l).count() > 100);
    let rgb = &pages[2].data;
    assert!(
        rgb.chunks(3)
            .filter(|p| p[0] != p[1] || p[1] != p[2])
            .count()
            > rgb.len() / 6
    );
    // A second reader agrees with libtiff.
    let pil = pillow_pages(&path);
    assert_eq!(pil.len(), 4);
    assert_eq!(pil[1], pages[1].data);
    assert_eq!(pil[2], pages[2].data);
}

#[test]
fn scan_modes_depths_formats_and_pipes() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    ok(&run(
        d,
        &[
            "scan", "-o", "g16.tif", "--mode", "gray", "--depth", "16", "--pages", "2", "--dpi",
            "40",
        ],
    ));
    let pages = libtiff(&d.join("g16.tif"));
    assert_eq!(pages.len(), 2);
    assert!(pages
        .iter()
        .all(|p| p.bits_per_sample == 16 && p.samples_per_pixel == 1));
    assert_eq!(pillow_pages(&d.join("g16.tif"))[0], pages[0].data);
    ok(&run(
        d,
        &[
            "scan", "-o", "c48.tif", "--mode", "color", "--depth", "16", "--pages", "1", "--dpi",
            "30",
        ],
    ));
    let p = &libtiff(&d.join("c48.tif"))[0];
    assert_eq!((p.bits_per_sample, p.samples_per_pixel), (16, 3));
    ok(&run(
        d,
        &[
            "scan", "-o", "bw.tif", "--mode", "bw", "--pages", "3", "--dpi", "60",
        ],
    ));
    assert_eq!(libtiff(&d.join("bw.tif")).len(), 3);
    // BMP through the same transfer path: one page, Pillow agrees with the TIFF page.
    ok(&run(
        d,
        &["scan", "-o", "one.bmp", "--mode", "color", "--dpi", "40"],
    ));
    ok(&run(
        d,
        &[
            "scan", "-o", "one.tif", "--mode", "color", "--pages", "1", "--dpi", "40",
        ],
    ));
    assert_eq!(
        pillow_pages(&d.join("one.bmp")),
        vec![libtiff(&d.join("one.tif"))[0].data.clone()]
    );
    // To a pipe: same pages as the file.
    let o = run_stdin(d, &["scan", "-o", "-", "--dpi", "40", "--pages", "5"], b"");
    ok(&o);
    fs::write(d.join("piped.tif"), &o.stdout).unwrap();
    ok(&run(
        d,
        &["scan", "-o", "file.tif", "--dpi", "40", "--pages", "5"],
    ));
    let piped = libtiff(&d.join("piped.tif"));
    assert_eq!(piped.len(), 5);
    assert_eq!(piped, libtiff(&d.join("file.tif")));
}

/// A long scan grows into a BigTIFF instead of stopping at the C `LONG`'s 2 GiB: with
/// the promotion threshold lowered (hidden `--bigtiff-at`), the same scan as a classic
/// file comes out as a BigTIFF whose pages libtiff, the `tiff` crate and
/// `wias inspect` read, pixel for pixel the classic file's.
#[test]
fn a_long_scan_grows_into_bigtiff_with_the_same_pages() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let args = ["--mode", "color", "--pages", "6", "--dpi", "30"];
    let mut big = vec!["scan", "-o", "big.tif", "--bigtiff-at", "20000"];
    big.extend(args);
    ok(&run(d, &big));
    let mut classic = vec!["scan", "-o", "classic.tif"];
    classic.extend(args);
    ok(&run(d, &classic));
    let bytes = fs::read(d.join("big.tif")).unwrap();
    assert_eq!(&bytes[..4], b"II+\0", "a BigTIFF header");
    assert_eq!(&fs::read(d.join("classic.tif")).unwrap()[..4], b"II*\0");
    assert!(bytes.len() > 20000, "the file passed the threshold");
    let pages = libtiff(&d.join("big.tif"));
    assert_eq!(pages.len(), 6);
    assert_eq!(pages, libtiff(&d.join("classic.tif")));
    let o = run(d, &["inspect", "big.tif"]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("BigTIFF") && text.contains("verdict: sound"),
        "{text}"
    );
}

#[test]
fn inspect_shows_pages_tags_offsets_and_a_verdict() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pgmramp -lr 300 2000 > a.pgm && pbmmake -gray 64 48 > b.pbm",
    );
    ok(&run(
        d,
        &[
            "write",
            "-o",
            "doc.tif",
            "--compression",
            "none",
            "a.pgm",
            "b.pbm",
        ],
    ));
    let o = run(d, &["inspect", "doc.tif"]);
    ok(&o);
    let text = String::from_utf8(o.stdout).unwrap();
    // Offsets as libtiff sees them.
    let info = String::from_utf8(sh(d, "tiffinfo doc.tif")).unwrap();
    for line in info
        .lines()
        .filter(|l| l.starts_with("TIFF Directory at offset"))
    {
        // "TIFF Directory at offset 0x16020 (90144)"
        let dec = line.rsplit('(').next().unwrap().trim_end_matches(')');
        let off: u64 = dec.parse().unwrap();
        assert!(
            text.contains(&format!("IFD at byte {off},")),
            "{off}\n{text}"
        );
    }
    assert!(text.contains("2 page(s)"), "{text}");
    assert!(text.contains("compression: none (1)"), "{text}");
    for tag in [
        "ImageWidth",
        "StripOffsets",
        "StripByteCounts",
        "XResolution",
        "PageNumber",
    ] {
        assert_eq!(text.matches(tag).count(), 2, "{tag}\n{text}");
    }
    // 300 x 2000 gray in 64 KiB strips: 10 strips, shown abbreviated.
    assert!(text.contains(", ... (10 values)"), "{text}");
    assert!(text.trim_end().ends_with("verdict: sound"), "{text}");

    // A file cut in the middle of the first page's strips: problems, exit 1.
    let bytes = fs::read(d.join("doc.tif")).unwrap();
    let mut cut = bytes.clone();
    // Keep the IFDs (they sit after the data) but claim a strip runs past the end: move
    // the first strip offset far out.
    let first_ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes([bytes[first_ifd], bytes[first_ifd + 1]]) as usize;
    for i in 0..n {
        let e = first_ifd + 2 + 12 * i;
        if u16::from_le_bytes([bytes[e], bytes[e + 1]]) == 273 {
            let at = u32::from_le_bytes(bytes[e + 8..e + 12].try_into().unwrap()) as usize;
            cut[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        }
    }
    fs::write(d.join("bad.tif"), &cut).unwrap();
    let o = run(d, &["inspect", "bad.tif"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("problem(s)") && text.contains("runs past the end"),
        "{text}"
    );

    // Not a TIFF at all.
    let o = run(d, &["inspect", "a.pgm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a TIFF file"), "{}", stderr(&o));
}

#[test]
fn inspect_names_the_compression_of_files_written_by_libtiff() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 64 64 > a.pgm && pnmtotiff -lzw a.pgm > lzw.tif && pnmtotiff -packbits a.pgm > pb.tif");
    let o = run(d, &["inspect", "lzw.tif"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("compression: lzw (5)"));
    let o = run(d, &["inspect", "pb.tif"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("compression: packbits (32773)"));
}

#[test]
fn every_compression_name_gives_pages_libtiff_decodes_pixel_exact() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pbmmake -gray 37 19 > bw.pbm && pgmramp -diagonal 41 23 > g.pgm && ppmpat -camo -randomseed 3 31 27 > c.ppm",
    );
    let want_bw = cleared(pillow_pages(&d.join("bw.pbm")).remove(0), 37);
    let want_g = pillow_pages(&d.join("g.pgm")).remove(0);
    let want_c = pillow_pages(&d.join("c.ppm")).remove(0);
    // (name, TIFF code for bilevel, for gray/colour; 0 = refused)
    for (name, bw_code, other_code) in [
        ("none", 1, 1),
        ("packbits", 32773, 32773),
        ("lzw", 5, 5),
        ("deflate", 8, 8),
        ("g3", 3, 0),
        ("g4", 4, 0),
        // A dither: Deflate is smaller than G4 there (BENCHMARKS.md, "auto").
        ("auto", 8, 8),
    ] {
        let out = format!("{name}.tif");
        ok(&run(
            d,
            &["write", "-o", &out, "--compression", name, "bw.pbm"],
        ));
        let pages = libtiff_codec(&d.join(&out));
        assert_eq!(pages[0].compression, bw_code, "{name}");
        assert_eq!(cleared(pages[0].data.clone(), 37), want_bw, "{name}");
        let out = format!("{name}-gc.tif");
        let o = run(
            d,
            &["write", "-o", &out, "--compression", name, "g.pgm", "c.ppm"],
        );
        if other_code == 0 {
            // A usage error, as the same flag with `wias scan --mode gray` is.
            assert_eq!(o.status.code(), Some(2), "{name} on gray must be refused");
            assert!(
                stderr(&o).contains(name) && stderr(&o).contains("gray8"),
                "{}",
                stderr(&o)
            );
            continue;
        }
        ok(&o);
        let pages = libtiff_codec(&d.join(&out));
        assert_eq!(
            (pages[0].compression, pages[1].compression),
            (other_code, other_code)
        );
        assert_eq!(pages[0].data, want_g, "{name}");
        assert_eq!(pages[1].data, want_c, "{name}");
    }
}

#[test]
fn jpeg_compression_and_jpeg_inputs_stored_without_decoding() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "ppmpat -camo -randomseed 7 64 48 > c.ppm");
    // An independent encoder (Pillow/libjpeg) makes the JPEG page.
    let o = Command::new("python3")
        .args([
            "-c",
            "import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2], quality=85)",
        ])
        .arg(d.join("c.ppm"))
        .arg(d.join("photo.jpg"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&run(
        d,
        &["write", "-o", "j.tif", "--dpi", "150", "photo.jpg", "c.ppm"],
    ));
    let jpeg = fs::read(d.join("photo.jpg")).unwrap();
    let tif = fs::read(d.join("j.tif")).unwrap();
    assert!(
        tif.windows(jpeg.len()).any(|w| w == jpeg),
        "the JPEG data are stored byte for byte"
    );
    let pages = libtiff_codec(&d.join("j.tif"));
    assert_eq!(pages.len(), 2);
    assert_eq!(
        (pages[0].width, pages[0].height, pages[0].compression),
        (64, 48, 7)
    );
    // libtiff's decode of the stored page is Pillow's decode of the source JPEG.
    let source = pillow_pages(&d.join("photo.jpg")).remove(0);
    let diff = pages[0]
        .data
        .iter()
        .zip(&source)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(diff <= 2, "decoders differ by at most rounding, got {diff}");

    // --compression jpeg on PNM pages: PSNR at quality 90 >= 30 dB against the source.
    ok(&run(
        d,
        &["write", "-o", "q.tif", "--compression", "jpeg", "c.ppm"],
    ));
    let page = libtiff_codec(&d.join("q.tif")).remove(0);
    let src = pillow_pages(&d.join("c.ppm")).remove(0);
    let mse: f64 = page
        .data
        .iter()
        .zip(&src)
        .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
        .sum::<f64>()
        / src.len() as f64;
    let psnr = 10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10();
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB");
}

/// `--jpeg-chroma`: colour JPEG pages are 4:2:0 below quality 90 (as scanimage's and
/// libjpeg's), 4:4:4 from 90 or when asked; libtiff decodes each cleanly, and 4:2:0 is
/// the smaller file (issue 27.3).
#[test]
fn jpeg_chroma_is_subsampled_below_quality_90_unless_asked() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "ppmpat -camo -randomseed 7 301 203 > c.ppm");
    let mut sizes = Vec::new();
    for (args, want) in [
        (&["--jpeg-quality", "75"][..], "2, 2"),
        (&["--jpeg-quality", "75", "--jpeg-chroma", "444"], "1, 1"),
        (&["--jpeg-quality", "90"], "1, 1"),
        (&["--jpeg-quality", "95", "--jpeg-chroma", "4:2:0"], "2, 2"),
    ] {
        let mut a = vec!["write", "-o", "j.tif", "--compression", "jpeg"];
        a.extend_from_slice(args);
        a.push("c.ppm");
        ok(&run(d, &a));
        let path = d.join("j.tif");
        support::tiffinfo_clean(&path).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let info = Command::new("tiffinfo").arg(&path).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.contains(&format!("YCbCr Subsampling: {want}")),
            "{args:?}: {info}"
        );
        sizes.push(fs::metadata(&path).unwrap().len());
    }
    assert!(sizes[0] < sizes[1], "4:2:0 is smaller: {sizes:?}");
    let o = run(
        d,
        &["write", "-o", "x.tif", "--jpeg-chroma", "422", "c.ppm"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("auto, 444, 420"), "{}", stderr(&o));
}

/// At a file-size limit the CLI is not killed by SIGXFSZ: it says the medium is full,
/// names the pages that are intact, exits 1, and libtiff reads exactly those pages.
#[test]
fn a_file_size_limit_is_a_clear_error_and_earlier_pages_stay() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 1000 1000 > a.pgm");
    four_pages_past_a_file_size_limit(d, "lim.tif", 2_500_000);
    let want = pillow_pages(&d.join("a.pgm")).remove(0);
    let pages = libtiff(&d.join("lim.tif"));
    assert_eq!(pages.len(), 2);
    assert!(pages.iter().all(|p| p.data == want));
}

/// `--append` takes the document's advisory lock: while another process holds it, the
/// command fails with a clear "locked" error and the file is left as it was.
#[test]
fn append_to_a_locked_document_is_refused_and_leaves_it_untouched() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 40 30 > a.pgm");
    ok(&run(d, &["write", "-o", "doc.tif", "a.pgm"]));
    let before = fs::read(d.join("doc.tif")).unwrap();
    let mut holder = support::hold_lock(d, "doc.tif", 10);
    let o = run(d, &["write", "--append", "-o", "doc.tif", "a.pgm"]);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("doc.tif").count(), 1, "{}", stderr(&o));
    assert_eq!(fs::read(d.join("doc.tif")).unwrap(), before);
    // Once the other writer is gone, appending works.
    ok(&run(d, &["write", "--append", "-o", "doc.tif", "a.pgm"]));
    assert_eq!(libtiff(&d.join("doc.tif")).len(), 2);
}

/// A document whose first page cannot be written is not created, and an existing file
/// of that name keeps its pages: nothing is truncated before a page is ready.
#[test]
fn a_first_page_that_fails_leaves_no_file_and_truncates_nothing() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pgmramp -lr 40 30 > a.pgm && printf 'P5 40 30 255\\n' > cut.pgm",
    );
    let o = run(d, &["write", "-o", "new.tif", "cut.pgm"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!d.join("new.tif").exists(), "no empty document is left");

    ok(&run(d, &["write", "-o", "doc.tif", "a.pgm", "a.pgm"]));
    let before = fs::read(d.join("doc.tif")).unwrap();
    for (args, status) in [
        // G4 cannot hold a gray page: a usage error, as in `wias scan`.
        (
            &["write", "-o", "doc.tif", "--compression", "g4", "a.pgm"][..],
            2,
        ),
        (&["write", "-o", "doc.tif", "cut.pgm"], 1),
    ] {
        let o = run(d, args);
        assert_eq!(o.status.code(), Some(status), "{args:?}: {}", stderr(&o));
        assert_eq!(fs::read(d.join("doc.tif")).unwrap(), before, "{args:?}");
    }
    assert_eq!(libtiff(&d.join("doc.tif")).len(), 2);
}

// ---- What a new user trips on (issue 13) ----

/// Each page's resolution as the `tiff` crate reads the tags (dpi, rounded).
fn page_dpis(path: &Path) -> Vec<(u32, u32)> {
    support::tiff_crate_tags(path)
        .unwrap()
        .iter()
        .map(|t| {
            let r = |v: &[u32]| (f64::from(v[0]) / f64::from(v[1])).round() as u32;
            assert_eq!(t.resolution_unit, 2, "inches");
            (r(&t.x_resolution), r(&t.y_resolution))
        })
        .collect()
}

/// Runs Pillow code with `d` as the working directory.
fn pillow(d: &Path, code: &str) {
    let o = Command::new("python3")
        .args(["-c", &format!("from PIL import Image\n{code}")])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn scanimage_spellings_are_accepted() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // (flags, samples per pixel, bits per sample) of the pages libtiff reads back.
    for (mode, spp, bps) in [
        ("Color", 3, 8),
        ("colour", 3, 8),
        ("GRAY", 1, 8),
        ("grey", 1, 8),
        ("Lineart", 1, 1),
    ] {
        let o = run(
            d,
            &[
                "scan",
                "--mode",
                mode,
                "--resolution",
                "50",
                "--pages",
                "1",
                "-o",
                "m.tif",
            ],
        );
        ok(&o);
        let p = libtiff_codec(&d.join("m.tif"));
        assert_eq!(
            (p.len(), p[0].samples_per_pixel, p[0].bits_per_sample),
            (1, spp, bps),
            "--mode {mode}"
        );
        assert_eq!(page_dpis(&d.join("m.tif")), vec![(50, 50)], "--resolution");
    }
    // --batch: until the virtual feeder (4 sheets) is empty.
    ok(&run(d, &["scan", "--batch", "--dpi", "50", "-o", "b.tif"]));
    assert_eq!(libtiff_codec(&d.join("b.tif")).len(), 4);
    // A scanimage file-name pattern has no meaning for one document: usage error.
    let o = run(d, &["scan", "--batch=p%02d.pnm", "-o", "p.tif"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--batch"), "{}", stderr(&o));
    assert!(!d.join("p.tif").exists());
}

#[test]
fn compression_names_in_any_case_mean_the_same_codec_everywhere() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 64 40 > a.pgm");
    for (name, code) in [
        ("NONE", 1),
        ("None", 1),
        ("zip", 8),
        ("ZIP", 8),
        ("Deflate", 8),
        ("LZW", 5),
    ] {
        ok(&run(
            d,
            &["write", "-o", "c.tif", "--compression", name, "a.pgm"],
        ));
        let p = libtiff(&d.join("c.tif"));
        assert_eq!(p[0].compression, code, "--compression {name}");
        ok(&run(
            d,
            &[
                "scan",
                "--mode",
                "gray",
                "--dpi",
                "40",
                "--pages",
                "1",
                "--compression",
                name,
                "-o",
                "s.tif",
            ],
        ));
        assert_eq!(libtiff_codec(&d.join("s.tif"))[0].compression, code);
    }
    // `NONE` is "none" for BMP too (a BMP cannot be compressed).
    ok(&run(
        d,
        &["write", "-o", "p.bmp", "--compression", "NONE", "a.pgm"],
    ));
    ok(&run(
        d,
        &[
            "scan",
            "-o",
            "s.bmp",
            "--compression",
            "NONE",
            "--dpi",
            "30",
        ],
    ));
    let o = run(
        d,
        &["write", "-o", "q.bmp", "--compression", "ZIP", "a.pgm"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn scan_and_write_end_with_one_summary_line() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(d, &["scan", "--dpi", "50"]);
    ok(&o);
    let size = fs::metadata(d.join("scan.tif")).unwrap().len();
    let line = stderr(&o);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("wias: scanned 4 pages into scan.tif, ")
            && line.trim_end().ends_with(" s"),
        "{line}"
    );
    // The size is the file's: "N bytes" or "N.N KB/MB" (1 KB = 1000 bytes).
    let shown = line.split(", ").nth(1).unwrap();
    let (n, unit) = shown.split_once(' ').unwrap();
    let scale = match unit {
        "bytes" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        u => panic!("unit {u}"),
    };
    let n: f64 = n.parse().unwrap();
    assert!(
        (n * scale - size as f64).abs() <= 0.05 * scale,
        "{line} vs {size}"
    );

    sh(d, "pgmramp -lr 64 40 > a.pgm");
    let o = run(d, &["write", "-o", "w.tif", "a.pgm", "a.pgm"]);
    ok(&o);
    assert!(
        stderr(&o).starts_with("wias: wrote 2 pages into w.tif, "),
        "{}",
        stderr(&o)
    );
    let o = run(d, &["write", "--append", "-o", "w.tif", "a.pgm"]);
    assert!(
        stderr(&o).starts_with("wias: added 1 page to w.tif, "),
        "{}",
        stderr(&o)
    );
    // -q: nothing on stderr; a pipe's summary names stdout.
    let o = run(d, &["-q", "write", "-o", "w.tif", "a.pgm"]);
    ok(&o);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let o = run(d, &["write", "-o", "-", "a.pgm"]);
    assert!(
        stderr(&o).starts_with("wias: wrote 1 page into stdout, "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_shows_examples_and_each_commands_own_defaults() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let text = |args: &[&str]| {
        let o = run(d, args);
        ok(&o);
        String::from_utf8(o.stdout).unwrap()
    };
    let top = text(&["--help"]);
    assert!(
        top.contains("Examples:") && top.contains("wias scan -o scan.tif"),
        "{top}"
    );
    let scan = text(&["scan", "--help"]);
    let write = text(&["write", "--help"]);
    assert!(scan.contains("Examples:") && write.contains("Examples:"));
    // --dpi: 150 for scan; 300 (or the JPEG's / the document's) for write.
    let dpi_help = |h: &str| {
        let at = h.find("--dpi <DPI>").unwrap();
        h[at..at + 300].to_string()
    };
    assert!(
        dpi_help(&scan).contains("[default: 150; a SANE device's own]"),
        "{}",
        dpi_help(&scan)
    );
    assert!(
        dpi_help(&write).contains("else 300]"),
        "{}",
        dpi_help(&write)
    );
    assert!(dpi_help(&scan).contains("--resolution"));
    // WIA RAW is not written yet: not offered.
    for h in [&scan, &write] {
        assert!(!h.contains("raw"), "--format raw is hidden");
        assert!(h.contains("zip"), "the zip alias is listed");
    }
}

#[test]
fn a_missing_output_directory_is_named() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 8 8 > a.pgm");
    for args in [
        &["write", "-o", "nodir/x.tif", "a.pgm"][..],
        &["scan", "-o", "nodir/x.tif"],
        &["write", "-o", "a.pgm/x.tif", "a.pgm"],
    ] {
        let o = run(d, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let e = stderr(&o);
        assert!(
            e.contains("the directory nodir does not exist")
                || e.contains("the directory a.pgm is not a directory"),
            "{e}"
        );
    }
}

#[test]
fn inputs_wias_cannot_read_are_named_before_anything_is_written() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 16 8 > a.pgm");
    pillow(d, "Image.new('RGBA', (9, 7)).save('a.png'); Image.new('L', (9, 7)).save('a.gif')\nImage.new('CMYK', (9, 7)).save('cmyk.jpg'); Image.new('RGB', (9, 7)).save('a.bmp')");
    ok(&run(d, &["write", "-o", "doc.tif", "a.pgm"]));
    let before = fs::read(d.join("doc.tif")).unwrap();
    for (bad, says) in [
        ("a.bmp", "a BMP image"),
        ("a.gif", "a GIF image"),
        ("doc.tif", ""),
    ] {
        let o = run(d, &["write", "-o", "new.tif", "a.pgm", bad]);
        assert_eq!(o.status.code(), Some(1), "{bad}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(says) && e.contains("PNM") && e.contains("JPEG"),
            "{e}"
        );
        assert!(!d.join("new.tif").exists(), "{bad}: nothing written");
    }
    // A JPEG a TIFF page cannot hold (4 components) or a PNG with transparency fails
    // before page 1 of the list is appended: the document is as it was.
    for bad in ["a.png", "cmyk.jpg"] {
        let o = run(d, &["write", "--append", "-o", "doc.tif", "a.pgm", bad]);
        assert_eq!(o.status.code(), Some(1), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains(bad), "{}", stderr(&o));
        assert_eq!(fs::read(d.join("doc.tif")).unwrap(), before, "{bad}");
    }
}

#[test]
fn inspect_says_what_a_file_that_is_not_a_tiff_is() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    pillow(
        d,
        "im = Image.new('RGB', (9, 7))\nfor f in ['a.jpg', 'a.bmp', 'a.png', 'a.pdf']: im.save(f)",
    );
    for (f, says) in [
        ("a.jpg", "a JPEG image"),
        ("a.bmp", "a BMP image"),
        ("a.png", "a PNG image"),
        ("a.pdf", "a PDF document"),
    ] {
        let o = run(d, &["inspect", f]);
        assert_eq!(o.status.code(), Some(1), "{f}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(says) && out.contains("not a TIFF"), "{out}");
        assert!(!out.contains("damaged"), "{out}");
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
}

#[test]
fn jpeg_inputs_keep_their_resolution_and_progressive_ones_become_baseline() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -ellipse 96 64 > g.pgm");
    // Pillow (libjpeg) writes: a progressive gray JPEG at 150 dpi (JFIF), a baseline
    // colour one whose only resolution is EXIF (200 dpi), and one with neither.
    pillow(
        d,
        "g = Image.open('g.pgm')\n\
         g.save('prog.jpg', progressive=True, dpi=(150, 150), quality=90)\n\
         e = Image.Exif(); e[282] = 200.0; e[283] = 200.0; e[296] = 2\n\
         g.convert('RGB').save('exif.jpg', exif=e.tobytes())\n\
         g.save('plain.jpg')",
    );
    assert!(fs::read(d.join("prog.jpg"))
        .unwrap()
        .windows(2)
        .any(|w| w == [0xFF, 0xC2]));
    ok(&run(
        d,
        &[
            "write",
            "-o",
            "j.tif",
            "prog.jpg",
            "exif.jpg",
            "plain.jpg",
            "g.pgm",
        ],
    ));
    let tif = d.join("j.tif");
    assert_eq!(
        page_dpis(&tif),
        vec![(150, 150), (200, 200), (300, 300), (300, 300)]
    );
    let pages = libtiff_codec(&tif);
    assert_eq!(
        pages.iter().map(|p| p.compression).collect::<Vec<_>>(),
        [7, 7, 7, 8]
    );
    // The progressive file was rewritten as baseline: no SOF2 is stored, and libtiff's
    // decode of page 1 is Pillow's decode of the progressive source, pixel for pixel
    // (the same DCT coefficients; nothing was decoded and encoded again).
    assert!(!fs::read(&tif)
        .unwrap()
        .windows(2)
        .any(|w| w == [0xFF, 0xC2]));
    assert_eq!(pages[0].data, pillow_pages(&d.join("prog.jpg")).remove(0));
    // --dpi still wins over the file's own density.
    ok(&run(
        d,
        &["write", "--dpi", "72", "-o", "k.tif", "prog.jpg"],
    ));
    assert_eq!(page_dpis(&d.join("k.tif")), vec![(72, 72)]);
}

#[test]
fn append_without_dpi_keeps_the_documents_resolution() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 16 8 > a.pgm");
    pillow(d, "Image.open('a.pgm').save('plain.jpg')");
    ok(&run(
        d,
        &["write", "--dpi", "200", "-o", "doc.tif", "a.pgm"],
    ));
    ok(&run(
        d,
        &["write", "--append", "-o", "doc.tif", "a.pgm", "plain.jpg"],
    ));
    ok(&run(
        d,
        &[
            "write", "--append", "--dpi", "600", "-o", "doc.tif", "a.pgm",
        ],
    ));
    // libtiff's resolution unit may be centimetres in a file another program made.
    ok(&run(
        d,
        &["write", "--dpi", "200", "-o", "one.tif", "a.pgm"],
    ));
    sh(d, "tiffcp -c none one.tif cm.tif && tiffset -s 296 3 cm.tif && tiffset -s 282 78.74 cm.tif && tiffset -s 283 78.74 cm.tif");
    ok(&run(d, &["write", "--append", "-o", "cm.tif", "a.pgm"]));
    assert_eq!(
        page_dpis(&d.join("doc.tif")),
        vec![(200, 200), (200, 200), (200, 200), (600, 600)]
    );
    assert_eq!(libtiff_codec(&d.join("doc.tif")).len(), 4);
    // The page added to a document in dots per centimetre is at 200 dpi too.
    let cm = support::tiff_crate_tags(&d.join("cm.tif")).unwrap();
    let last = cm.last().unwrap();
    assert_eq!(
        (cm.len(), cm[0].resolution_unit, last.resolution_unit),
        (2, 3, 2)
    );
    assert_eq!(last.x_resolution[0] / last.x_resolution[1], 200);
}

/// The virtual scanner's halftone page, which G4 made 3 times its raw size, is written
/// by `auto` (the default) in Deflate, smaller than raw; its text page too, and both
/// read back exactly as the uncompressed scan's pages.
#[test]
fn auto_keeps_the_virtual_halftone_page_small() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    for c in ["auto", "none", "g4"] {
        ok(&run(
            d,
            &[
                "scan",
                "--mode",
                "bw",
                "--pages",
                "2",
                "--compression",
                c,
                "-o",
                &format!("{c}.tif"),
            ],
        ));
    }
    let size = |c: &str| fs::metadata(d.join(format!("{c}.tif"))).unwrap().len();
    assert!(
        size("g4") > size("none"),
        "the case of the issue: G4 larger than raw"
    );
    assert!(
        size("auto") * 10 < size("none"),
        "auto {} none {}",
        size("auto"),
        size("none")
    );
    let auto = libtiff_codec(&d.join("auto.tif"));
    let none = libtiff_codec(&d.join("none.tif"));
    assert_eq!(auto[1].compression, 8, "the halftone page in Deflate");
    for (a, n) in auto.iter().zip(&none) {
        assert!(a.data == n.data, "same pixels");
    }
}

/// Big-endian (MM) TIFFs, as `tiffcp -B` and tifffile (byteorder '>', the layout
/// ImageMagick's `-define tiff:endian=msb` gives) write them, classic and BigTIFF, are
/// read by `wias inspect` like their little-endian twins, and pages are added to them
/// in their byte order: libtiff and tifffile read every page, pixel for pixel.
#[test]
fn big_endian_tiffs_are_inspected_and_appended_to_in_their_byte_order() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pgmramp -lr 50 40 > r.pgm && pbmmake -gray 30 20 > b.pbm",
    );
    ok(&run(
        d,
        &[
            "write",
            "-o",
            "le.tif",
            "--compression",
            "lzw",
            "r.pgm",
            "b.pbm",
        ],
    ));
    sh(d, "tiffcp -B le.tif be.tif");
    let o = Command::new("python3")
        .args([
            "-c",
            "import numpy as np, tifffile\n\
             a = (np.arange(30 * 20, dtype=np.uint16) * 97).reshape(20, 30)\n\
             tifffile.imwrite('tf.tif', np.stack([a, a[::-1]]), byteorder='>', resolution=(150, 150), photometric='minisblack')\n\
             tifffile.imwrite('tfbig.tif', a, byteorder='>', bigtiff=True, photometric='minisblack')",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let inspect = |f: &str| {
        let o = run(d, &["inspect", f]);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let (le, be) = (inspect("le.tif"), inspect("be.tif"));
    assert!(be.contains("big-endian (MM)") && le.contains("little-endian (II)"));
    for want in [
        "2 page(s)",
        "image: 50 x 40, 8 bits per sample",
        "image: 30 x 20, 1 bits per sample",
        "compression: lzw (5)",
        "XResolution                RATIONAL       1",
        "= \"wias 0.1.0\"",
        "verdict: sound",
    ] {
        assert!(be.contains(want) && le.contains(want), "{want}:\n{be}");
    }
    let tf = inspect("tf.tif");
    assert!(
        tf.contains("big-endian (MM)") && tf.contains("2 page(s)"),
        "{tf}"
    );
    assert!(tf.contains("image: 30 x 20, 16 bits per sample"), "{tf}");
    assert!(tf.contains("= 150/1"), "resolution read in MM order:\n{tf}");
    let big = inspect("tfbig.tif");
    assert!(big.contains("BigTIFF, big-endian (MM)"), "{big}");

    // Append the same pages to the LE and the MM copy: the documents hold the same
    // pixels page for page, and the MM one is MM throughout.
    pillow(d, "Image.open('r.pgm').convert('RGB').save('c.jpg')");
    for doc in ["le.tif", "be.tif", "tf.tif"] {
        ok(&run(
            d,
            &["write", "--append", "-o", doc, "r.pgm", "b.pbm", "c.jpg"],
        ));
        ok(&run(
            d,
            &[
                "write",
                "--append",
                "-o",
                doc,
                "--compression",
                "g4",
                "b.pbm",
            ],
        ));
    }
    let (le, be) = (
        libtiff_codec(&d.join("le.tif")),
        libtiff_codec(&d.join("be.tif")),
    );
    assert_eq!(be.len(), 6);
    for (i, (a, b)) in le.iter().zip(&be).enumerate() {
        assert!(a == b, "page {}: LE and MM documents differ", i + 1);
    }
    assert_eq!(
        be.iter().map(|p| p.compression).collect::<Vec<_>>(),
        [5, 5, 8, 8, 7, 4]
    );
    let tf = libtiff_codec(&d.join("tf.tif"));
    assert_eq!(tf.len(), 6);
    assert!(
        tf[2] == le[2] && tf[5] == le[5],
        "pages added to tifffile's MM file"
    );
    for doc in ["be.tif", "tf.tif"] {
        let text = inspect(doc);
        assert!(
            text.contains("big-endian (MM)") && text.contains("6 page(s)"),
            "{text}"
        );
        let o = Command::new("python3")
            .args([
                "-c",
                "import sys, tifffile; t = tifffile.TiffFile(sys.argv[1]); print(t.byteorder, len(t.pages))",
                doc,
            ])
            .current_dir(d)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "> 6", "{doc}");
    }
    // 16-bit samples would need the file's byte order: refused, the file untouched.
    sh(d, "pgmramp -lr 20 10 | pnmdepth 65535 > w.pgm");
    let before = fs::read(d.join("be.tif")).unwrap();
    let o = run(d, &["write", "--append", "-o", "be.tif", "w.pgm"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("big-endian (MM)") && stderr(&o).contains("tiffcp -L"));
    assert_eq!(fs::read(d.join("be.tif")).unwrap(), before);
}

/// `wias write` shows a progress bar on a terminal (here a pseudo-terminal from
/// `script`), as `wias scan` does, and none when stderr is a file or a pipe.
#[test]
fn write_shows_a_progress_bar_on_a_terminal_only() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 1500 1500 > a.pgm");
    let cmd = format!(
        "{} write --compression lzw -o t.tif a.pgm a.pgm a.pgm",
        env!("CARGO_BIN_EXE_wias")
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(d)
        .output()
        .expect("script (util-linux)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(
        tty.contains("writing") && tty.contains("/3 inputs"),
        "{tty:?}"
    );
    assert!(tty.contains("wias: wrote 3 pages into t.tif"), "{tty:?}");
    let o = run(
        d,
        &[
            "write",
            "--compression",
            "lzw",
            "-o",
            "p.tif",
            "a.pgm",
            "a.pgm",
        ],
    );
    ok(&o);
    assert!(!stderr(&o).contains("writing"), "{}", stderr(&o));
    assert_eq!(libtiff(&d.join("t.tif")).len(), 3);
}

/// `wias write` holds one page, not the page and its compressed form (issue 14, round
/// 3): three A4 300 dpi RGB pages of noise (26 MB each; Deflate cannot shrink noise, so
/// a held compressed page would be another 26 MB) peak under one page + 4 MiB of RSS
/// (6 MiB more on machines of more than two cores: the strips in flight are capped at
/// 6 MiB of raw strips whatever the core count, `tiff/encode.rs` IN_FLIGHT_BYTES, of
/// which two cores use 4 MiB). Measured as the child's peak RSS (`wait4`, through python3), not timed.
/// Before the strips went to the file as they were encoded this peaked at two pages +
/// 5 MiB; with the first page read whole (pages 2.. streamed) at one page + 5.6 MiB;
/// now every page streams from the input: 13.7 MiB on two cores, about half a page.
#[test]
fn writing_rgb_pages_holds_about_one_page_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (2481usize, 3508usize);
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    ppm.extend((0..w * h * 3).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 32) as u8
    }));
    let input = dir.path().join("noise.ppm");
    std::fs::write(&input, &ppm).unwrap();
    drop(ppm);
    let out = dir.path().join("doc.tif");
    let mut args: Vec<std::ffi::OsString> = ["write", "--compression", "deflate", "-o"]
        .map(Into::into)
        .into();
    args.push(out.clone().into());
    args.extend([&input, &input, &input].map(|p| p.clone().into_os_string()));
    let peak = peak_rss(&args);
    assert_eq!(support::libtiff_page_count(&out), 3);
    let page = (w * h * 3) as u64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let bound = page + (4 << 20) + if cores > 2 { 6 << 20 } else { 0 };
    assert!(
        peak < bound,
        "peak RSS {} MiB for {} MiB pages",
        peak >> 20,
        page >> 20
    );
}

/// Memory stays at about one page whatever the page count (issue 14): a colour scan of
/// five 150 dpi pages (6.5 MB each) peaks under one page + 16 MiB. Measured as the
/// child's peak RSS (`wait4`, through python3), not timed. Before the scanner stopped
/// building pages as floats this peaked at one page + 33 MiB.
#[test]
fn a_colour_scan_holds_about_one_page_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scan.tif");
    let mut args: Vec<std::ffi::OsString> = [
        "scan", "--mode", "color", "--dpi", "150", "--pages", "5", "-o",
    ]
    .map(Into::into)
    .into();
    args.push(out.clone().into());
    let peak = peak_rss(&args);
    assert_eq!(support::libtiff_page_count(&out), 5);
    let page = 1240 * 1754 * 3;
    assert!(
        peak < page + (16 << 20),
        "peak RSS {} MiB for 6.5 MB pages",
        peak >> 20
    );
}

/// Runs `wias args` and returns its peak RSS in bytes (`wait4`'s ru_maxrss, through
/// python3), asserting that it succeeded.
fn peak_rss(args: &[std::ffi::OsString]) -> u64 {
    const SCRIPT: &str = r#"
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
print(status, ru.ru_maxrss * 1024)
"#;
    let run = Command::new("python3")
        .args(["-c", SCRIPT, env!("CARGO_BIN_EXE_wias")])
        .args(args)
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&run.stdout);
    let v: Vec<u64> = text
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(
        v[0],
        0,
        "wias {:?} failed: {}",
        args.first(),
        String::from_utf8_lossy(&run.stderr)
    );
    v[1]
}

/// `SOURCE_DATE_EPOCH` fixes every page's DateTime (tiffinfo reads it), so runs at
/// any time write the same bytes; without it DateTime is the time of writing.
/// (Before, the CLI ignored it and wrote the clock's second, so the byte-comparing
/// bilevel test failed about 1 run in 6.)
#[test]
fn source_date_epoch_fixes_datetime_and_the_bytes() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 40 30 > a.pgm");
    ok(&run(d, &["write", "-o", "one.tif", "a.pgm", "a.pgm"]));
    let info = sh(d, "tiffinfo one.tif");
    let info = String::from_utf8_lossy(&info);
    assert_eq!(
        info.matches("DateTime: 2026:11:25 12:34:56").count(),
        2,
        "{info}"
    );
    // Unset, DateTime is the time of writing (this year or later).
    let o = Command::new(env!("CARGO_BIN_EXE_wias"))
        .env_remove("SOURCE_DATE_EPOCH")
        .current_dir(d)
        .args(["write", "-o", "now.tif", "a.pgm"])
        .output()
        .unwrap();
    ok(&o);
    let info = sh(d, "tiffinfo now.tif");
    let info = String::from_utf8_lossy(&info);
    assert!(!info.contains("2026:11:25 12:34:56"), "{info}");
    assert!(info.contains("DateTime: 20"), "{info}");
}

/// On a terminal (a pty from util-linux `script`) the progress bar leaves its line
/// before the summary line is printed, so the summary stays on the screen on a line
/// of its own (issue 24 item 6): the bar's clearing sequence comes before it, not
/// after, and nothing follows it.
#[test]
fn on_a_terminal_the_summary_line_is_not_drawn_over_by_the_bar() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let cmd = format!("{} scan --dpi 60 -o t.tif", env!("CARGO_BIN_EXE_wias"));
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("TERM", "xterm")
        .current_dir(d)
        .output()
        .expect("script (util-linux)");
    assert!(o.status.success(), "{}", stderr(&o));
    let screen = String::from_utf8_lossy(&o.stdout).into_owned();
    let at = screen
        .find("wias: scanned 4 pages into t.tif")
        .expect(&screen);
    // The bar was drawn, then cleared (CR, erase line) before the summary.
    assert!(screen[..at].contains("scanning"), "{screen:?}");
    let before = &screen[..at];
    assert!(
        before.ends_with("\r\u{1b}[2K") || before.ends_with('\n'),
        "the summary starts mid-line: {screen:?}"
    );
    let after = &screen[at..];
    assert!(
        !after.contains('\u{1b}') && after.trim_end().ends_with(" s"),
        "something is drawn over the summary: {after:?}"
    );
}

/// `--json` prints the summary as one JSON object (read by Python's json module)
/// with the same facts as the line: pages, output, its size in bytes, seconds.
#[test]
fn json_gives_the_summary_line_as_an_object() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(d, "pgmramp -lr 64 40 > a.pgm");
    let o = run(
        d,
        &["--json", "write", "-o", "q\"uote.tif", "a.pgm", "a.pgm"],
    );
    ok(&o);
    let size = fs::metadata(d.join("q\"uote.tif")).unwrap().len();
    let check = |text: &str, verb: &str, pages: u64, output: &str, bytes: Option<u64>| {
        let bytes = bytes.map_or("None".to_string(), |b| b.to_string());
        let script = format!(
            "import json, sys\no = json.loads(sys.argv[1])\nassert o['verb'] == {verb:?}, o\nassert o['pages'] == {pages}, o\nassert o['output'] == sys.argv[2], o\nassert o['bytes'] == {bytes}, o\nassert isinstance(o['seconds'], float), o\nassert sorted(o) == ['bytes', 'output', 'pages', 'seconds', 'verb'], o"
        );
        assert_eq!(text.lines().count(), 1, "{text}");
        support::python(&script, &[text.trim().as_ref(), output.as_ref()]).unwrap();
    };
    check(&stderr(&o), "wrote", 2, "q\"uote.tif", Some(size));
    let o = run(d, &["scan", "--json", "--dpi", "30", "-o", "-"]);
    ok(&o);
    check(&stderr(&o), "scanned", 4, "-", None);
    let o = run(
        d,
        &["write", "--append", "--json", "-o", "q\"uote.tif", "a.pgm"],
    );
    ok(&o);
    let size = fs::metadata(d.join("q\"uote.tif")).unwrap().len();
    check(&stderr(&o), "added", 1, "q\"uote.tif", Some(size));
}

/// Every example line of `wias --help` and `wias help COMMAND` runs as written and
/// exits 0 (issue 24 item 7: `wias scan -o - | tiffinfo /dev/stdin` did not, libtiff
/// cannot read a pipe), in bash with pipefail so a failing `wias` inside a pipe counts;
/// each file an example names with `-o` is there afterwards, and a TIFF is sound to
/// libtiff. SANE examples use SANE's test backend.
#[test]
fn every_example_in_the_help_texts_runs() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    sh(
        d,
        "pgmramp -lr 64 40 > page1.pgm && pbmmake -gray 64 40 > page2.pbm && cp page1.pgm page3.pgm \
         && ppmpat -camo -randomseed 3 31 27 > page.ppm && mkdir scans \
         && cp page1.pgm scans/a.pnm && cp page.ppm scans/b.pnm",
    );
    support::python(
        "import sys\nfrom PIL import Image\nImage.linear_gradient('L').resize((48, 32)).convert('RGB').save(sys.argv[1] + '/photo.jpg')",
        &[d.as_os_str()],
    )
    .unwrap();
    ok(&run(d, &["write", "-o", "in.pdf", "page1.pgm"]));
    let bin = Path::new(env!("CARGO_BIN_EXE_wias")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut examples = Vec::new();
    for help in [
        &["--help"][..],
        &["help", "write"],
        &["help", "scan"],
        &["help", "inspect"],
    ] {
        let o = run(d, help);
        ok(&o);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let Some(block) = text.split("Examples:\n").nth(1) else {
            continue;
        };
        for line in block.lines().take_while(|l| l.starts_with("  ")) {
            // The command, then (after two spaces or more) what it does.
            let command = line.trim().split("  ").next().unwrap().to_string();
            examples.push(command);
        }
    }
    assert!(examples.len() >= 15, "{examples:?}");
    for command in &examples {
        let o = Command::new("bash")
            .args(["-o", "pipefail", "-c", command])
            .current_dir(d)
            .env("PATH", &path)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .env("SANE_CONFIG_DIR", support::sane::config_dir())
            .output()
            .expect("bash");
        assert!(o.status.success(), "{command}: {}", stderr(&o));
        let words: Vec<&str> = command.split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "-o") {
            let out = words[i + 1];
            if out != "-" {
                assert!(d.join(out).is_file(), "{command}: no {out}");
                if out.ends_with(".tif") {
                    support::tiffinfo_clean(&d.join(out))
                        .unwrap_or_else(|e| panic!("{command}: {e}"));
                }
            }
        }
    }
}

/// `wias completions SHELL` and `wias man` (issue 24 item 8): bash sources the
/// completion script and completes `wias sc` to `scan` and `wias scan --dev` to the
/// device flags; zsh and fish scripts are printed; groff renders the man page with no
/// warning, naming every command.
#[test]
fn completions_and_the_man_page_are_generated_and_work() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let bin = env!("CARGO_BIN_EXE_wias");
    let complete = |words: &str, cword: usize| -> String {
        let script = format!(
            "source <({bin} completions bash) || exit 3\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}\n_wias wias \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"\necho \"${{COMPREPLY[*]}}\""
        );
        let o = Command::new("bash")
            .args(["-c", &script])
            .output()
            .expect("bash");
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let got = complete("wias sc", 1);
    assert_eq!(
        got.split_whitespace().collect::<Vec<_>>(),
        ["scan"],
        "{got}"
    );
    let got = complete("wias scan --dev", 2);
    let mut flags: Vec<&str> = got.split_whitespace().collect();
    flags.sort();
    assert_eq!(flags, ["--device", "--device-name"], "{got}");
    for (shell, says) in [("zsh", "#compdef wias"), ("fish", "complete -c wias")] {
        let o = run(d, &["completions", shell]);
        ok(&o);
        assert!(String::from_utf8_lossy(&o.stdout).contains(says), "{shell}");
    }
    let o = run(d, &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));

    let o = run(d, &["man"]);
    ok(&o);
    std::fs::write(d.join("wias.1"), &o.stdout).unwrap();
    let r = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou", "wias.1"])
        .current_dir(d)
        .output()
        .expect("groff (.ci/run installs it)");
    assert!(
        r.status.success() && r.stderr.is_empty(),
        "groff: {}",
        stderr(&r)
    );
    let page = String::from_utf8_lossy(&r.stdout);
    for word in [
        "NAME",
        "SYNOPSIS",
        "write",
        "inspect",
        "scan",
        "completions",
    ] {
        assert!(page.contains(word), "man page without {word}: {page}");
    }
}

/// The README's install block runs as written (issue 24 item 8), with the binary under
/// test in place of `cargo install` and a fresh HOME: the man page it installs is
/// one `man -l` renders, the completion script one bash sources.
#[test]
fn the_readmes_install_block_runs() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let install = readme
        .split("## Install\n")
        .nth(1)
        .expect("an Install section");
    let block = install
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("an sh block in Install");
    assert!(
        block.contains("cargo install --path crates/wias-cli"),
        "{block}"
    );
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("cargo install"))
        .map(|l| format!("{l}\n"))
        .collect();
    let home = TempDir::new().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_wias")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let o = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("HOME", home.path())
        .env("PATH", &path)
        .output()
        .expect("bash");
    assert!(o.status.success(), "{script}: {}", stderr(&o));
    let man = home.path().join(".local/share/man/man1/wias.1");
    let o = Command::new("man")
        .arg("-l")
        .arg(&man)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .expect("man");
    assert!(o.status.success(), "man -l: {}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("wias"));
    let completion = home
        .path()
        .join(".local/share/bash-completion/completions/wias");
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p wias",
            completion.display()
        ))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("-F _wias wias"),
        "{}",
        stderr(&o)
    );
}

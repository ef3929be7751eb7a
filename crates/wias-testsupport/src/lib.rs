//! Test support: independent readers for the files we write.
//!
//! - `libtiff_pages`: libtiff decodes every page (a small C program, `tiffpixels.c`,
//!   compiled once per test run with the system `cc` against libtiff-dev).
//! - `tiffinfo_clean`: `tiffinfo -D` reads every directory and strip without a word on
//!   stderr.
//! - `tiff_crate_pages` / `tiff_crate_tags`: the image-rs `tiff` decoder, a second
//!   reader that shares no code with libtiff or with us.
//! - `tifffile_pages` (tifffile: Python and numpy, no libtiff) and `pillow_images`
//!   (Pillow's own BMP and TIFF decoders): Python readers, installed by `.ci/run`.
//! - `pdf_readers`: qpdf, poppler, MuPDF and pikepdf for the PDF files.
//! - `sane`: SANE's `test` backend as the scanner and `scanimage` as the reference
//!   (whole-page scans run with a deadline: the backend now and then deadlocks in a
//!   page's last read), and a fake libsane for faults the test backend cannot make.
//!
//! Pages come back in the page-buffer form of `docs/driver-rules.md` (top-down rows padded
//! to a byte, bilevel 0 = black, 16-bit samples little-endian), so a test compares them
//! directly with the buffer it wrote.

pub mod codec_readers;
pub mod pdf_readers;
pub mod sane;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Whether every program in `tools` is on PATH, for a test that needs them (call it
/// first: `if !support::require(&["qpdf"]) { return; }`). A missing one fails the test,
/// naming it and `.ci/run` (which installs every tool the tests use), so a CI machine
/// missing a tool never passes by skipping; with `WIAS_ALLOW_SKIP=1` (a developer's
/// machine without, say, SANE) the test is skipped instead, saying so on stderr.
pub fn require(tools: &[&str]) -> bool {
    require_with(
        tools,
        std::env::var("WIAS_ALLOW_SKIP").as_deref() == Ok("1"),
    )
}

/// [`require`] with `WIAS_ALLOW_SKIP=1` given as `allow_skip`.
pub fn require_with(tools: &[&str], allow_skip: bool) -> bool {
    let on_path = |t: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
    };
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    if allow_skip {
        eprintln!(
            "SKIPPED {test}: {} not installed (WIAS_ALLOW_SKIP=1)",
            missing.join(", ")
        );
        return false;
    }
    panic!(
        "{test} needs {}, not installed: .ci/run installs every tool the tests use (or set WIAS_ALLOW_SKIP=1 to skip the tests that need a missing one)",
        missing.join(", ")
    );
}

/// One decoded page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub width: u32,
    pub height: u32,
    pub bits_per_sample: u16,
    pub samples_per_pixel: u16,
    pub photometric: u16,
    pub compression: u16,
    /// Rows in page-buffer form.
    pub data: Vec<u8>,
}

fn build_dir() -> PathBuf {
    // In the target directory, beside the test binary that uses it.
    let exe = std::env::current_exe().expect("the test binary's path");
    let d = exe
        .parent()
        .expect("the test binary's directory")
        .join("wias-testsupport");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Path of the compiled libtiff decoder (built on first use).
pub fn tiffpixels() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tiffpixels.c");
        let out = build_dir().join(format!("tiffpixels-{}", std::process::id()));
        let flags = Command::new("pkg-config")
            .args(["--cflags", "--libs", "libtiff-4"])
            .output()
            .expect("pkg-config is needed (apt-get install pkg-config libtiff-dev)");
        assert!(
            flags.status.success(),
            "pkg-config libtiff-4 failed: install libtiff-dev"
        );
        let flags = String::from_utf8(flags.stdout).unwrap();
        let st = Command::new("cc")
            .arg("-O2")
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .args(flags.split_whitespace())
            .status()
            .expect("cc");
        assert!(st.success(), "compiling tiffpixels.c failed");
        out
    })
}

/// Every page of `path` as libtiff decodes it. Err holds libtiff's stderr when it
/// fails; warnings on stderr are also an error, so a page libtiff complains about
/// never passes.
pub fn libtiff_pages(path: &Path) -> Result<Vec<Page>, String> {
    let out = Command::new(tiffpixels())
        .arg(path)
        .output()
        .expect("run tiffpixels");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() || !stderr.trim().is_empty() {
        return Err(format!("libtiff: status {:?}: {stderr}", out.status.code()));
    }
    let mut pages = Vec::new();
    let mut rest = &out.stdout[..];
    while !rest.is_empty() {
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("no header line")?;
        let head = std::str::from_utf8(&rest[..nl]).map_err(|e| e.to_string())?;
        let f: Vec<u64> = head
            .strip_prefix("PAGE ")
            .ok_or_else(|| format!("bad header {head:?}"))?
            .split(' ')
            .map(|x| x.parse().unwrap())
            .collect();
        let (w, h, bps, spp, pm, comp, rb) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
        rest = &rest[nl + 1..];
        let n = (h * rb) as usize;
        let mut data = rest[..n].to_vec();
        rest = &rest[n..];
        if bps == 1 && pm == 0 {
            data.iter_mut().for_each(|b| *b = !*b);
            clear_row_padding(&mut data, w as usize, rb as usize);
        }
        pages.push(Page {
            width: w as u32,
            height: h as u32,
            bits_per_sample: bps as u16,
            samples_per_pixel: spp as u16,
            photometric: pm as u16,
            compression: comp as u16,
            data,
        });
    }
    Ok(pages)
}

/// Sets the unused low bits at the end of each bilevel row to 0, so rows compare
/// equal whatever padding a writer or an inversion left there.
pub fn clear_row_padding(data: &mut [u8], width: usize, row_bytes: usize) {
    let rem = width % 8;
    if rem == 0 || row_bytes == 0 {
        return;
    }
    let mask = !(0xFFu8 >> rem);
    for row in data.chunks_mut(row_bytes) {
        if let Some(last) = row.get_mut(width.div_ceil(8) - 1) {
            *last &= mask;
        }
    }
}

/// `tiffinfo -D` reads every directory and its data without errors or warnings.
pub fn tiffinfo_clean(path: &Path) -> Result<(), String> {
    let out = Command::new("tiffinfo")
        .arg("-D")
        .arg(path)
        .output()
        .expect("tiffinfo is needed: .ci/run installs it (libtiff-tools)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && stderr.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("tiffinfo -D: {:?}: {stderr}", out.status.code()))
    }
}

/// Number of pages libtiff's `tiffinfo` lists. Panics when `tiffinfo` fails: a file
/// it cannot read is not a file with no pages (a header without a directory, which it
/// reads, lists 0).
pub fn libtiff_page_count(path: &Path) -> usize {
    let out = Command::new("tiffinfo")
        .arg(path)
        .output()
        .expect("tiffinfo");
    assert!(
        out.status.success(),
        "tiffinfo {} failed ({:?}): {}",
        path.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    // tiffinfo lists an Exif or GPS sub-directory as a directory too, after a
    // "--- EXIF directory within directory N" line: those are not pages.
    let text = String::from_utf8_lossy(&out.stdout);
    text.matches("TIFF Directory at offset").count()
        - text.matches("directory within directory").count()
}

/// Holds the advisory lock on `file` (in `dir`) as another writer would: `flock(1)`
/// (util-linux) takes the same kind of lock (`flock(2)`) as wias, `-o` so that only
/// flock itself holds it, and its command prints a line once the lock is taken, so
/// this returns when the file is held (no guessed delay). It stays held for `secs`
/// seconds or until the returned process is killed.
pub fn hold_lock(dir: &Path, file: &str, secs: u32) -> std::process::Child {
    use std::io::BufRead;
    let mut holder = Command::new("flock")
        .args(["-o", file, "sh", "-c"])
        .arg(format!("echo locked; exec sleep {secs}"))
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("flock (util-linux)");
    let mut ready = String::new();
    std::io::BufReader::new(holder.stdout.as_mut().expect("piped"))
        .read_line(&mut ready)
        .expect("reading flock's signal");
    assert_eq!(
        ready.trim(),
        "locked",
        "flock did not take the lock on {file}"
    );
    holder
}

/// A new (or truncated) file opened for reading and writing, as a driver's service
/// opens the file it hands to `wiasWritePageBufToFile`.
pub fn new_rw_file(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap()
}

/// A test page of `spec`'s size with varied, position-dependent content (no two rows
/// alike, every bit pattern used), in page-buffer form.
pub fn pattern(width: u32, lines: u32, depth: u32, seed: u32) -> Vec<u8> {
    let row = (width as usize * depth as usize).div_ceil(8);
    let mut data = vec![0u8; row * lines as usize];
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    if depth == 1 {
        clear_row_padding(&mut data, width as usize, row);
    }
    data
}

fn tiff_err(e: tiff::TiffError) -> String {
    format!("tiff crate: {e}")
}

/// Every page of `path` as the image-rs `tiff` crate decodes it, in page-buffer form.
///
/// The crate already inverts WhiteIsZero pages (so 1-bit rows come back 0 = black),
/// packs 1-bit rows MSB first to whole bytes, and hands 16-bit samples back as `u16`,
/// which we lay out little-endian.
pub fn tiff_crate_pages(path: &Path) -> Result<Vec<Page>, String> {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;
    use tiff::ColorType;
    let f = std::fs::File::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut dec = Decoder::new(std::io::BufReader::new(f)).map_err(tiff_err)?;
    let mut pages = Vec::new();
    loop {
        let (width, height) = dec.dimensions().map_err(tiff_err)?;
        let (bps, spp) = match dec.colortype().map_err(tiff_err)? {
            ColorType::Gray(b) => (b, 1u16),
            ColorType::RGB(b) => (b, 3u16),
            other => return Err(format!("tiff crate: unexpected colour type {other:?}")),
        };
        let photometric = dec
            .get_tag_unsigned::<u16>(Tag::PhotometricInterpretation)
            .map_err(tiff_err)?;
        let compression = dec
            .find_tag_unsigned::<u16>(Tag::Compression)
            .map_err(tiff_err)?
            .unwrap_or(1);
        let mut data = match dec.read_image().map_err(tiff_err)? {
            DecodingResult::U8(v) => v,
            DecodingResult::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            _ => return Err("tiff crate: unexpected sample format".into()),
        };
        if bps == 1 {
            let rb = (width as usize).div_ceil(8);
            clear_row_padding(&mut data, width as usize, rb);
        }
        pages.push(Page {
            width,
            height,
            bits_per_sample: u16::from(bps),
            samples_per_pixel: spp,
            photometric,
            compression,
            data,
        });
        if !dec.more_images() {
            break;
        }
        dec.next_image().map_err(tiff_err)?;
    }
    Ok(pages)
}

/// The tags of one page that every page we write must carry (`docs/driver-rules.md`, "TIFF
/// pages"), as the `tiff` crate reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageTags {
    pub new_subfile_type: u32,
    pub width: u32,
    pub length: u32,
    pub bits_per_sample: Vec<u16>,
    pub samples_per_pixel: u16,
    pub photometric: u16,
    pub planar_configuration: u16,
    /// Numerator and denominator.
    pub x_resolution: Vec<u32>,
    pub y_resolution: Vec<u32>,
    pub resolution_unit: u16,
    pub page_number: Vec<u16>,
}

/// The [`PageTags`] of every page of `path`, read by the `tiff` crate.
pub fn tiff_crate_tags(path: &Path) -> Result<Vec<PageTags>, String> {
    use tiff::decoder::Decoder;
    use tiff::tags::Tag;
    let f = std::fs::File::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut dec = Decoder::new(std::io::BufReader::new(f)).map_err(tiff_err)?;
    let mut out = Vec::new();
    loop {
        let mut u16_of = |t: Tag| dec.get_tag_unsigned::<u16>(t).map_err(tiff_err);
        let samples_per_pixel = u16_of(Tag::SamplesPerPixel)?;
        let photometric = u16_of(Tag::PhotometricInterpretation)?;
        let planar_configuration = u16_of(Tag::PlanarConfiguration)?;
        let resolution_unit = u16_of(Tag::ResolutionUnit)?;
        out.push(PageTags {
            new_subfile_type: dec.get_tag_u32(Tag::NewSubfileType).map_err(tiff_err)?,
            width: dec.get_tag_u32(Tag::ImageWidth).map_err(tiff_err)?,
            length: dec.get_tag_u32(Tag::ImageLength).map_err(tiff_err)?,
            bits_per_sample: dec.get_tag_u16_vec(Tag::BitsPerSample).map_err(tiff_err)?,
            samples_per_pixel,
            photometric,
            planar_configuration,
            x_resolution: dec.get_tag_u32_vec(Tag::XResolution).map_err(tiff_err)?,
            y_resolution: dec.get_tag_u32_vec(Tag::YResolution).map_err(tiff_err)?,
            resolution_unit,
            page_number: dec.get_tag_u16_vec(Tag::Unknown(297)).map_err(tiff_err)?,
        });
        if !dec.more_images() {
            break;
        }
        dec.next_image().map_err(tiff_err)?;
    }
    Ok(out)
}

/// Runs `python3 -c script args...` and returns its stdout; Err holds stderr. Python
/// with Pillow, tifffile and numpy is installed by `.ci/run`.
pub fn python(script: &str, args: &[&std::ffi::OsStr]) -> Result<Vec<u8>, String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .map_err(|e| format!("python3 is needed (.ci/run installs it): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python3: {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// One image as an independent Python reader saw it: a header line `mode w h`, then
/// `w × h × channels` bytes of 8-bit samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyImage {
    pub mode: String,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// Parses what a Python reader script wrote: per image a header line
/// `mode width height bytes`, then the bytes.
pub fn parse_py_images(mut rest: &[u8]) -> Result<Vec<PyImage>, String> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').ok_or("no header")?;
        let head = std::str::from_utf8(&rest[..nl]).map_err(|e| e.to_string())?;
        let f: Vec<&str> = head.split(' ').collect();
        let (mode, width, height, len) = (
            f[0].to_string(),
            f[1].parse::<u32>().unwrap(),
            f[2].parse::<u32>().unwrap(),
            f[3].parse::<usize>().unwrap(),
        );
        rest = &rest[nl + 1..];
        out.push(PyImage {
            mode,
            width,
            height,
            data: rest[..len].to_vec(),
        });
        rest = &rest[len..];
    }
    Ok(out)
}

/// Images (BMP, or the first page of anything Pillow opens) as Pillow decodes them,
/// converted to 8-bit `L` (1- and 8-bit images through their palette) or `RGB`: one
/// byte per sample, top-down. `mode` is the mode Pillow opened the file in. One Python
/// process reads all of `paths`.
pub fn pillow_images(paths: &[&Path]) -> Result<Vec<PyImage>, String> {
    const SCRIPT: &str = r#"
import sys
from PIL import Image
for path in sys.argv[1:]:
    im = Image.open(path)
    im.load()
    mode = im.mode
    conv = im.convert("RGB" if mode in ("RGB", "RGBA", "RGBX") else "L")
    data = conv.tobytes()
    sys.stdout.buffer.write(("%s %d %d %d\n" % (mode, im.width, im.height, len(data))).encode())
    sys.stdout.buffer.write(data)
"#;
    let args: Vec<&std::ffi::OsStr> = paths.iter().map(|p| p.as_os_str()).collect();
    let out = python(SCRIPT, &args)?;
    let v = parse_py_images(&out)?;
    if v.len() != paths.len() {
        return Err(format!(
            "Pillow returned {} images for {} files",
            v.len(),
            paths.len()
        ));
    }
    Ok(v)
}

/// Every page of a TIFF as tifffile (pure Python and numpy, no libtiff) decodes it, in
/// page-buffer form. tifffile returns stored values: 1-bit WhiteIsZero pages come back
/// with 1 = black, one value per pixel, which we pack and invert here.
pub fn tifffile_pages(path: &Path) -> Result<Vec<Page>, String> {
    const SCRIPT: &str = r#"
import sys
import numpy as np
import tifffile
with tifffile.TiffFile(sys.argv[1]) as tf:
    for p in tf.pages:
        a = p.asarray()
        bps = p.bitspersample
        if bps == 1:
            a = a.astype(np.uint8)
        elif bps == 16:
            a = a.astype("<u2")
        data = a.tobytes()
        head = "%d/%d/%d/%d %d %d %d\n" % (bps, p.samplesperpixel, int(p.photometric), int(p.compression), p.imagewidth, p.imagelength, len(data))
        sys.stdout.buffer.write(head.encode())
        sys.stdout.buffer.write(data)
"#;
    let out = python(SCRIPT, &[path.as_os_str()])?;
    let mut pages = Vec::new();
    for img in parse_py_images(&out)? {
        let f: Vec<u16> = img.mode.split('/').map(|x| x.parse().unwrap()).collect();
        let (bps, spp, pm, comp) = (f[0], f[1], f[2], f[3]);
        let data = if bps == 1 {
            let rb = (img.width as usize).div_ceil(8);
            let mut packed = vec![0u8; rb * img.height as usize];
            for (y, row) in img.data.chunks(img.width as usize).enumerate() {
                for (x, &v) in row.iter().enumerate() {
                    let white = if pm == 0 { v == 0 } else { v != 0 };
                    if white {
                        packed[y * rb + x / 8] |= 0x80 >> (x % 8);
                    }
                }
            }
            packed
        } else {
            img.data
        };
        pages.push(Page {
            width: img.width,
            height: img.height,
            bits_per_sample: bps,
            samples_per_pixel: spp,
            photometric: pm,
            compression: comp,
            data,
        });
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::require_with;

    /// A missing tool fails the test naming it and `.ci/run` (so CI cannot pass by
    /// skipping); only with WIAS_ALLOW_SKIP=1 is the test skipped (issue 24 item 12).
    #[test]
    fn a_missing_tool_fails_unless_skipping_is_allowed() {
        assert!(require_with(&["sh"], false));
        let e = std::panic::catch_unwind(|| require_with(&["sh", "no-such-tool-wias"], false))
            .expect_err("a missing tool must fail the test");
        let m = e.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            m.contains("no-such-tool-wias") && m.contains(".ci/run"),
            "{m}"
        );
        assert!(!m.contains("needs sh,"), "{m}");
        assert!(!require_with(&["no-such-tool-wias"], true));
    }
}

//! Test support: independent readers for the files we write.
//!
//! - `libtiff_pages`: libtiff decodes every page (a small C program, `tiffpixels.c`,
//!   compiled once per test run with the system `cc` against libtiff-dev).
//! - `tiffinfo_clean`: `tiffinfo -D` reads every directory and strip without a word on
//!   stderr.
//! - `tiff_crate_pages`: the image-rs `tiff` decoder, a second reader that shares no
//!   code with libtiff or with us.
//!
//! Pages come back in the page-buffer form of DESIGN §2 (top-down rows padded to a
//! byte, bilevel 0 = black, 16-bit samples little-endian), so a test compares them
//! directly with the buffer it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("support");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Path of the compiled libtiff decoder (built on first use).
pub fn tiffpixels() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/tiffpixels.c");
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
        .expect("tiffinfo is needed (apt-get install libtiff-tools)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && stderr.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("tiffinfo -D: {:?}: {stderr}", out.status.code()))
    }
}

/// Number of pages libtiff's `tiffinfo` lists (0 when it cannot read the file).
pub fn libtiff_page_count(path: &Path) -> usize {
    let out = Command::new("tiffinfo")
        .arg(path)
        .output()
        .expect("tiffinfo");
    String::from_utf8_lossy(&out.stdout)
        .matches("TIFF Directory at offset")
        .count()
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

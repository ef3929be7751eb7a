//! An OCR text layer for wias's PDF pages: Tesseract 5, loaded at run time through its
//! C API (`libtesseract.so.5`), finds the words of each page, which the PDF writer
//! draws as invisible text over the image in the same incremental update
//! ([`wias::pdf::Options::ocr`]).
//!
//! Building needs no Tesseract; [`Tesseract::new`] says which Debian packages to
//! install when the library or a language's data are missing.
//!
//! Threads: Tesseract's Debian build uses OpenMP, which by default starts a thread per
//! core for each page and spins them; on a small machine that costs more than it gains
//! (BENCHMARKS.md, "OCR"). [`limit_threads`] sets `OMP_THREAD_LIMIT=1` unless the user
//! set it, and must run before the library is loaded.

// Unsafe code only in the FFI module, each block with why it is sound.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

#[allow(unsafe_code)]
mod ffi;

use std::sync::{Arc, Mutex};

use wias::pdf::{Recognize, Word};
use wias::{PageSpec, PixelType};

/// The Debian packages that hold Tesseract's library.
pub const LIBRARY_PACKAGES: &str = "tesseract-ocr (or libtesseract5)";

/// A Tesseract engine for one language (or several: `eng+deu`).
pub struct Tesseract {
    api: ffi::Engine,
}

impl std::fmt::Debug for Tesseract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tesseract")
    }
}

/// Sets `OMP_THREAD_LIMIT=1` when the environment does not set it, for the reason in
/// the crate's documentation; call it at start-up, before any thread is started and
/// before [`Tesseract::new`] (OpenMP reads it once, when the library loads).
/// Returns whether it set it.
pub fn limit_threads() -> bool {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return false;
    }
    // Called while the process has one thread (see above), so no other thread reads
    // the environment meanwhile.
    std::env::set_var("OMP_THREAD_LIMIT", "1");
    true
}

/// Whether `lang` is a Tesseract language list: codes of letters, digits and `_`
/// joined by `+` (`eng`, `eng+deu`, `chi_sim`).
fn valid_language(lang: &str) -> bool {
    !lang.is_empty()
        && lang
            .split('+')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// The Debian package of a language's data (`eng` → `tesseract-ocr-eng`,
/// `chi_sim` → `tesseract-ocr-chi-sim`).
fn language_package(lang: &str) -> String {
    format!("tesseract-ocr-{}", lang.to_lowercase().replace('_', "-"))
}

impl Tesseract {
    /// Loads libtesseract and starts an engine for `lang` (`eng`, `eng+deu`) with the
    /// data in Tesseract's default place (or `TESSDATA_PREFIX`).
    pub fn new(lang: &str) -> wias::Result<Tesseract> {
        if !valid_language(lang) {
            return Err(wias::Error::invalid(
                "OCR language",
                lang,
                "is not a Tesseract language list (codes such as eng or deu, joined by +: eng+deu)",
            ));
        }
        let first = lang.split('+').next().unwrap_or("eng");
        let lib = ffi::Api::load().map_err(|detail| {
            wias::Error::Unsupported(format!(
                "OCR needs Tesseract 5, which is not available ({}: {detail}); install the Debian packages {LIBRARY_PACKAGES} and {}",
                ffi::LIBRARY,
                language_package(first)
            ))
        })?;
        let api = lib.engine(lang).map_err(|missing| {
            let packages: Vec<String> = missing.iter().map(|l| language_package(l)).collect();
            wias::Error::Unsupported(format!(
                "Tesseract has no data for {} (OCR language {lang}); install the Debian package{} {}",
                missing.join(", "),
                if packages.len() > 1 { "s" } else { "" },
                packages.join(" ")
            ))
        })?;
        Ok(Tesseract { api })
    }

    /// The engine as the PDF writer's [`Options::ocr`](wias::pdf::Options::ocr) takes it.
    pub fn shared(self) -> Arc<Mutex<dyn Recognize>> {
        Arc::new(Mutex::new(self))
    }
}

/// A page in a form Tesseract takes: 8-bit gray or RGB samples, and bytes per pixel.
fn tesseract_image<'a>(spec: &PageSpec, rows: &'a [u8]) -> (std::borrow::Cow<'a, [u8]>, u32) {
    use std::borrow::Cow;
    let w = spec.width as usize;
    match spec.pixel {
        PixelType::Gray8 => (Cow::Borrowed(rows), 1),
        PixelType::Rgb24 => (Cow::Borrowed(rows), 3),
        // Little-endian 16-bit samples: the high byte of each.
        PixelType::Gray16 => (Cow::Owned(rows.chunks_exact(2).map(|s| s[1]).collect()), 1),
        PixelType::Rgb48 => (Cow::Owned(rows.chunks_exact(2).map(|s| s[1]).collect()), 3),
        // Bilevel, 0 = black, MSB first, rows padded to whole bytes: 0 or 255 a pixel.
        _ => {
            let row_bytes = w.div_ceil(8);
            let mut out = Vec::with_capacity(w * spec.lines as usize);
            for row in rows.chunks_exact(row_bytes) {
                out.extend((0..w).map(|x| {
                    if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                        255
                    } else {
                        0
                    }
                }));
            }
            (Cow::Owned(out), 1)
        }
    }
}

impl Recognize for Tesseract {
    fn words(&mut self, spec: &PageSpec, rows: &[u8]) -> wias::Result<Vec<Word>> {
        let (data, bpp) = tesseract_image(spec, rows);
        let bytes_per_line = spec.width as usize * bpp as usize;
        if spec.width == 0
            || spec.lines == 0
            || data.len() < bytes_per_line * spec.lines as usize
            || spec.width > i32::MAX as u32 / 4
            || spec.lines > i32::MAX as u32
        {
            return Err(wias::Error::invalid(
                "page",
                format!("{}×{}", spec.width, spec.lines),
                "cannot be read by OCR (no pixels, or the data are short)",
            ));
        }
        self.api
            .recognize(&data, spec.width, spec.lines, bpp, spec.xdpi)
            .map_err(|detail| {
                wias::Error::Unsupported(format!("Tesseract failed on the page: {detail}"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_lists() {
        assert!(valid_language("eng"));
        assert!(valid_language("eng+deu"));
        assert!(valid_language("chi_sim"));
        for bad in ["", "eng+", "+eng", "../x", "eng deu", "e;g"] {
            assert!(!valid_language(bad), "{bad}");
        }
        assert_eq!(language_package("chi_sim"), "tesseract-ocr-chi-sim");
        assert_eq!(language_package("eng"), "tesseract-ocr-eng");
    }

    /// Bilevel rows (0 = black) become 0/255 gray for Tesseract, padding dropped.
    #[test]
    fn bilevel_pages_become_gray() {
        let spec = PageSpec::new(10, 2, PixelType::Bilevel);
        let (data, bpp) = tesseract_image(&spec, &[0b1000_0000, 0b0100_0000, 0xFF, 0xC0]);
        assert_eq!(bpp, 1);
        let mut want = vec![255, 0, 0, 0, 0, 0, 0, 0, 0, 255];
        want.extend([255; 10]);
        assert_eq!(&*data, &want[..]);
    }
}

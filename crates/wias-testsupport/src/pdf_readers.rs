//! Independent PDF readers for the behaviour tests: qpdf (structure, and decoded
//! stream data), poppler (`pdfinfo` pages and sizes, `pdfimages` filters and pixels),
//! MuPDF (`mutool`) and pikepdf. None shares code with wias.
//!
//! Pixels come back in page-buffer form (top-down rows, bilevel 0 = black, 16-bit
//! samples little-endian), so tests compare them with the buffers they wrote.

use std::path::Path;
use std::process::Command;

fn run(cmd: &str, args: &[&str], path: &Path) -> Result<(Vec<u8>, String), String> {
    let out = Command::new(cmd)
        .args(args)
        .arg(path)
        .output()
        .map_err(|e| format!("{cmd}: {e} (.ci/run installs every tool the tests use)"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!(
            "{cmd} {args:?} {}: status {:?}: {stderr}{}",
            path.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok((out.stdout, stderr))
}

/// `qpdf --check` finds no error and no warning (exit 0, nothing on stderr).
pub fn qpdf_check(path: &Path) -> Result<(), String> {
    let (out, err) = run("qpdf", &["--check"], path)?;
    let text = String::from_utf8_lossy(&out);
    if !err.trim().is_empty() || !text.contains("No syntax or stream encoding errors found") {
        return Err(format!("qpdf --check: {err}{text}"));
    }
    Ok(())
}

/// Page count and every page's size in points (width, height), from `pdfinfo`.
pub fn pdfinfo_pages(path: &Path) -> Result<Vec<(f64, f64)>, String> {
    let (out, err) = run("pdfinfo", &["-f", "1", "-l", "1000000"], path)?;
    if !err.trim().is_empty() {
        return Err(format!("pdfinfo: {err}"));
    }
    let text = String::from_utf8_lossy(&out);
    let count: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .ok_or("pdfinfo: no Pages line")?
        .trim()
        .parse()
        .map_err(|e| format!("pdfinfo pages: {e}"))?;
    let sizes: Vec<(f64, f64)> = text
        .lines()
        .filter(|l| l.starts_with("Page ") && l.contains(" size: "))
        .map(|l| {
            let f: Vec<&str> = l
                .split(" size: ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .collect();
            (f[0].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    if sizes.len() != count {
        return Err(format!("pdfinfo: {count} pages but {} sizes", sizes.len()));
    }
    Ok(sizes)
}

/// One row of `pdfimages -list`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    pub page: usize,
    pub width: u32,
    pub height: u32,
    pub color: String,
    pub comp: u32,
    pub bpc: u32,
    /// `ccitt`, `jpeg`, `image` (Flate or none), ...
    pub enc: String,
}

/// `pdfimages -list`: every image and the filter poppler sees.
pub fn pdfimages_list(path: &Path) -> Result<Vec<ImageRow>, String> {
    let (out, err) = run("pdfimages", &["-list"], path)?;
    if !err.trim().is_empty() {
        return Err(format!("pdfimages: {err}"));
    }
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .skip(2)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            ImageRow {
                page: f[0].parse().unwrap(),
                width: f[3].parse().unwrap(),
                height: f[4].parse().unwrap(),
                color: f[5].into(),
                comp: f[6].parse().unwrap(),
                bpc: f[7].parse().unwrap(),
                enc: f[8].into(),
            }
        })
        .collect())
}

/// Every image as poppler decodes it (`pdfimages -tiff`), read back with libtiff.
/// poppler writes 16-bit gray images as 8-bit files: use [`qpdf_samples`] for those.
pub fn pdfimages_pixels(path: &Path) -> Result<Vec<crate::Page>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path().join("img");
    let out = Command::new("pdfimages")
        .arg("-tiff")
        .arg(path)
        .arg(&root)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() || !out.stderr.is_empty() {
        return Err(format!(
            "pdfimages -tiff: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut pages = Vec::new();
    for f in files {
        pages.extend(crate::libtiff_pages(&f)?);
    }
    Ok(pages)
}

/// Every image extracted in its stored form (`pdfimages -all`): JPEG images come out
/// as the `.jpg` bytes that are in the file, CCITT ones as `.ccitt` (their `.params`
/// files are left out). Returns (extension, bytes) in image order.
pub fn pdfimages_all(path: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = Command::new("pdfimages")
        .arg("-all")
        .arg(path)
        .arg(dir.path().join("img"))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "pdfimages -all: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "params"))
        .collect();
    files.sort();
    Ok(files
        .iter()
        .map(|f| {
            (
                f.extension().unwrap().to_string_lossy().into_owned(),
                std::fs::read(f).unwrap(),
            )
        })
        .collect())
}

/// Decoded stream data of object `num` as qpdf decodes it (Flate and predictors):
/// raw samples, 16-bit ones big-endian as PDF stores them.
pub fn qpdf_samples(path: &Path, num: u32) -> Result<Vec<u8>, String> {
    let obj = format!("--show-object={num}");
    let (out, err) = run("qpdf", &[&obj, "--filtered-stream-data"], path)?;
    if !err.trim().is_empty() {
        return Err(format!("qpdf: {err}"));
    }
    Ok(out)
}

/// Decoded stream data of object `num` as MuPDF decodes it.
pub fn mutool_samples(path: &Path, num: u32) -> Result<Vec<u8>, String> {
    let out = Command::new("mutool")
        .args(["show", "-b"])
        .arg(path)
        .arg(num.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("mutool: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(out.stdout)
}

/// Object numbers of each page's image, in page order (from `pdfimages -list`).
pub fn image_objects(path: &Path) -> Result<Vec<u32>, String> {
    let (out, _) = run("pdfimages", &["-list"], path)?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().nth(10).unwrap().parse().unwrap())
        .collect())
}

/// Pages MuPDF counts (`mutool info`), with nothing on stderr.
pub fn mutool_pages(path: &Path) -> Result<usize, String> {
    let (out, err) = run("mutool", &["info"], path)?;
    if err.to_lowercase().contains("error") || err.to_lowercase().contains("warning") {
        return Err(format!("mutool info: {err}"));
    }
    String::from_utf8_lossy(&out)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .ok_or_else(|| "mutool info: no Pages line".to_string())?
        .trim()
        .parse()
        .map_err(|e| format!("mutool pages: {e}"))
}

/// Pages pikepdf (qpdf's library through Python) counts.
pub fn pikepdf_pages(path: &Path) -> Result<usize, String> {
    let out = crate::python(
        "import sys, pikepdf\nprint(len(pikepdf.open(sys.argv[1]).pages))",
        &[path.as_os_str()],
    )?;
    String::from_utf8_lossy(&out)
        .trim()
        .parse()
        .map_err(|e| format!("pikepdf: {e}"))
}

/// 16-bit samples from big-endian (PDF) to little-endian (page buffer).
pub fn swap16(mut v: Vec<u8>) -> Vec<u8> {
    for p in v.chunks_exact_mut(2) {
        p.swap(0, 1);
    }
    v
}

/// What `pikepdf.pdfa` (the PDF/A validator OCRmyPDF 17 uses) finds in each PDF
/// against PDF/A-2b ([`pdfa_findings_as`] for another flavour): one list of findings per input, empty when the file passes. An
/// input named `prefixes:PATH` stands for every prefix of PATH that ends in
/// `%%EOF\n` (the file as a kill after each committed update leaves it), in order:
/// one list per prefix. One Python run for all (importing the validator takes a
/// second).
pub fn pdfa_findings(inputs: &[String]) -> Result<Vec<Vec<String>>, String> {
    pdfa_findings_as("2b", inputs)
}

/// [`pdfa_findings`] against `flavour` (`1b`, `2b`, `3b`).
pub fn pdfa_findings_as(flavour: &str, inputs: &[String]) -> Result<Vec<Vec<String>>, String> {
    const SCRIPT: &str = r#"
import io, json, sys
import pikepdf.pdfa as pa
def check(src):
    r = pa.validate_written(src, sys.argv[1])
    f = [str(x) for x in r.findings]
    if r.verdict != 'pass' and not f:
        f = ['verdict ' + r.verdict]
    return f
out = []
for a in sys.argv[2:]:
    if a.startswith('prefixes:'):
        data = open(a[len('prefixes:'):], 'rb').read()
        end = 0
        while True:
            i = data.find(b'%%EOF\n', end)
            if i < 0:
                break
            end = i + 6
            out.append(check(io.BytesIO(data[:end])))
    else:
        out.append(check(a))
print(json.dumps(out))
"#;
    let mut args: Vec<&std::ffi::OsStr> = vec![std::ffi::OsStr::new(flavour)];
    args.extend(inputs.iter().map(std::ffi::OsStr::new));
    let out = crate::python(SCRIPT, &args)?;
    parse_json_lists(&String::from_utf8_lossy(&out))
}

/// Parses `[["a", "b"], []]` as printed by `json.dumps` of lists of strings.
fn parse_json_lists(s: &str) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    let mut chars = s.trim().chars().peekable();
    if chars.next() != Some('[') {
        return Err(format!("pikepdf.pdfa: unexpected output {s}"));
    }
    while let Some(c) = chars.next() {
        match c {
            '[' => cur = Some(Vec::new()),
            ']' => match cur.take() {
                Some(l) => out.push(l),
                None => return Ok(out),
            },
            '"' => {
                let mut t = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => t.push('\n'),
                            Some('u') => {
                                let h: String = chars.by_ref().take(4).collect();
                                t.push(
                                    char::from_u32(u32::from_str_radix(&h, 16).unwrap_or(63))
                                        .unwrap_or('?'),
                                );
                            }
                            Some(c) => t.push(c),
                            None => break,
                        },
                        c => t.push(c),
                    }
                }
                cur.as_mut()
                    .ok_or_else(|| format!("pikepdf.pdfa: unexpected output {s}"))?
                    .push(t);
            }
            _ => {}
        }
    }
    Err(format!("pikepdf.pdfa: unterminated output {s}"))
}

/// Every page rendered by poppler (`pdftoppm`) and by MuPDF (`mutool draw`) at `dpi`,
/// as the PNM files they write: to compare two PDFs' pages as a viewer shows them.
pub fn rendered_pages(path: &Path, dpi: u32) -> Result<Vec<Vec<u8>>, String> {
    let dir = std::env::temp_dir().join(format!(
        "wias-render-{}-{}",
        std::process::id(),
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let r = dpi.to_string();
    let p = dir.join("p");
    run("pdftoppm", &["-r", &r, path.to_str().unwrap()], &p)?;
    let m = dir.join("m%04d.pnm");
    let out = Command::new("mutool")
        .args(["draw", "-q", "-r", &r, "-o"])
        .arg(&m)
        .arg(path)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "mutool draw: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let pages = names
        .iter()
        .map(|n| std::fs::read(n).map_err(|e| e.to_string()))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    pages
}

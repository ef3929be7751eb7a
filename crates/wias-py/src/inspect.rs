//! `wias.inspect`: the pages of a TIFF as dicts, from the library's structure reader
//! (the one `wias inspect` prints), with each page's problems.

use std::fs::File;
use std::io::BufReader;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use wias::tiff::tags::tag;
use wias::tiff::{page_problems, Directory, EntryValue, TiffFile};

use crate::errors::from_wias;
use crate::sink::{Cause, PyFile};

/// The pages of the TIFF ``file`` (a path, or a binary file object read from its
/// current position) as a list of dicts, one a page, in order:
///
/// ``page`` (1-based), ``ifd_offset``, ``width``, ``height``, ``bits_per_sample``
/// (a tuple), ``samples_per_pixel``, ``photometric``, ``compression`` (a name: ``"g4"``,
/// ``"deflate"``, ...; ``"unknown"``) and ``compression_code``, ``dpi`` (an (x, y)
/// pair of floats, or ``None`` without a resolution unit), ``strips``,
/// ``data_bytes``, ``problems`` (a list of what is wrong with the page, empty for a
/// sound one) and ``tags`` (every entry, by name or ``"tag N"``: an int, a tuple of
/// ints, a float or tuple of floats for rationals, a str, or ``None`` for values not
/// loaded). A missing tag's fact is ``None``. A file that is not a TIFF, or whose
/// chain of pages is broken, raises ``FormatError``; PDF files are not read.
///
/// >>> import io, numpy as np, wias
/// >>> buf = io.BytesIO()
/// >>> with wias.TiffWriter(buf, compression="g4") as doc:
/// ...     doc.write_page(np.ones((4, 16), dtype=bool), dpi=(200, 100))
/// >>> _ = buf.seek(0)
/// >>> page, = wias.inspect(buf)
/// >>> page["width"], page["height"], page["compression"], page["dpi"], page["problems"]
/// (16, 4, 'g4', (200.0, 100.0), [])
#[pyfunction]
pub fn inspect<'py>(py: Python<'py>, file: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    let cause = Cause::default();
    let read = if file.is_instance_of::<PyString>() || file.hasattr("__fspath__")? {
        let path: std::path::PathBuf = file.extract()?;
        py.detach(|| {
            let f = File::open(&path)
                .map_err(|e| wias::Error::io(format!("opening {}", path.display()), e))?;
            TiffFile::read(&mut BufReader::new(f))
        })
    } else {
        let (mut sink, _) = PyFile::new(py, file, cause.clone(), "read")?;
        py.detach(|| TiffFile::read(&mut sink))
    };
    let tiff = read.map_err(|e| from_wias(py, e, cause.take()))?;
    let pages = PyList::empty(py);
    for (i, d) in tiff.directories.iter().enumerate() {
        pages.append(page(py, i + 1, d, &tiff)?)?;
    }
    Ok(pages)
}

fn page<'py>(
    py: Python<'py>,
    n: usize,
    d: &Directory,
    tiff: &TiffFile,
) -> PyResult<Bound<'py, PyDict>> {
    let p = PyDict::new(py);
    p.set_item("page", n)?;
    p.set_item("ifd_offset", d.offset)?;
    p.set_item("width", d.int(tag::IMAGE_WIDTH))?;
    p.set_item("height", d.int(tag::IMAGE_LENGTH))?;
    let bps: Vec<u64> = d
        .get(tag::BITS_PER_SAMPLE)
        .and_then(|e| e.ints())
        .map_or_else(|| vec![1], <[u64]>::to_vec);
    p.set_item("bits_per_sample", PyTuple::new(py, bps)?)?;
    p.set_item(
        "samples_per_pixel",
        d.int(tag::SAMPLES_PER_PIXEL).unwrap_or(1),
    )?;
    p.set_item("photometric", d.int(tag::PHOTOMETRIC))?;
    let code = d.int(tag::COMPRESSION).unwrap_or(1);
    let name = u16::try_from(code).map_or("unknown", wias::codec::tiff_compression_name);
    p.set_item("compression", name)?;
    p.set_item("compression_code", code)?;
    p.set_item("dpi", dpi(d))?;
    let (strips, bytes) = d.strips().map_or((0, 0), |(offs, lens)| {
        (offs.len(), lens.iter().sum::<u64>())
    });
    p.set_item("strips", strips)?;
    p.set_item("data_bytes", bytes)?;
    p.set_item("problems", page_problems(n, d, tiff.len, tiff.variant))?;
    let tags = PyDict::new(py);
    for e in &d.entries {
        let key = e
            .name()
            .map_or_else(|| format!("tag {}", e.tag), str::to_string);
        let value: Bound<'py, PyAny> = match &e.value {
            EntryValue::Ints(v) if v.len() == 1 => v[0].into_pyobject(py)?.into_any(),
            EntryValue::Ints(v) => PyTuple::new(py, v)?.into_any(),
            EntryValue::Rationals(v) => {
                let f: Vec<f64> = v.iter().map(|&(a, b)| ratio(a, b)).collect();
                if f.len() == 1 {
                    f[0].into_pyobject(py)?.into_any()
                } else {
                    PyTuple::new(py, f)?.into_any()
                }
            }
            EntryValue::Ascii(s) => PyString::new(py, s).into_any(),
            _ => py.None().into_bound(py),
        };
        tags.set_item(key, value)?;
    }
    p.set_item("tags", tags)?;
    Ok(p)
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// XResolution / YResolution in dots per inch (ResolutionUnit 2 = inch, the default;
/// 3 = centimetre), or None without a unit or a resolution.
fn dpi(d: &Directory) -> Option<(f64, f64)> {
    let per_inch = match d.int(tag::RESOLUTION_UNIT).unwrap_or(2) {
        2 => 1.0,
        3 => 2.54,
        _ => return None,
    };
    let get = |t| match d.get(t).map(|e| &e.value) {
        Some(EntryValue::Rationals(v)) => v.first().map(|&(a, b)| ratio(a, b) * per_inch),
        _ => None,
    };
    Some((get(tag::X_RESOLUTION)?, get(tag::Y_RESOLUTION)?))
}

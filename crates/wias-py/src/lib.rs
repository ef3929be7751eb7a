//! `wias._wias`, the extension module behind the Python package `wias` (python/wias):
//! crash-safe multipage TIFF and PDF writers that take NumPy arrays and Pillow images,
//! and `inspect`. The Python side adds the exception classes (python/wias/_errors.py),
//! the stubs and the docs; everything that touches pixels or files is here.
//!
//! Data flow one way: a Python object → [`page`] (its pixels as page-buffer rows, a
//! slice of the array where the layout allows) → [`writer`] (the GIL released while
//! the library encodes and writes) → a file, or a Python file object through [`sink`].
//! Errors become Python exceptions in one place, [`errors`].

#![forbid(unsafe_code)]

mod errors;
mod inspect;
mod page;
mod sink;
mod writer;

use pyo3::prelude::*;

#[pymodule]
fn _wias(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<writer::TiffWriter>()?;
    m.add_class::<writer::PdfWriter>()?;
    m.add_function(wrap_pyfunction!(inspect::inspect, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

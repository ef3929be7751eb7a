//! A Python file object (`io.BytesIO`, an open file, a socket's `makefile`, anything
//! with `write`, and `seek`/`tell`/`read` where it can) as the `Write + Seek + Read`
//! sink the library's writers take.
//!
//! The library calls it with the GIL released; each call takes the GIL for as long as
//! the Python method runs. A method that raises becomes an `io::Error` for the library
//! (whose message then names the page), and the Python exception is kept in
//! [`Cause`] to become the `__cause__` of the exception the caller sees.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The last Python exception a file object raised, shared by the sink (inside the
/// library's writer) and the binding that reports the library's error.
#[derive(Clone, Default)]
pub struct Cause(Arc<Mutex<Option<PyErr>>>);

impl Cause {
    /// Takes the exception kept, if any.
    pub fn take(&self) -> Option<PyErr> {
        self.0.lock().map_or(None, |mut g| g.take())
    }

    /// Keeps `e` and gives the library an `io::Error` for it: the OS error itself
    /// when `e` is an `OSError` with an errno (so that a full disk is `STG_E_MEDIUMFULL`,
    /// as from a file), else one with `e`'s text.
    fn keep(&self, e: PyErr) -> io::Error {
        let (msg, errno) = Python::attach(|py| {
            let errno = e
                .is_instance_of::<pyo3::exceptions::PyOSError>(py)
                .then(|| e.value(py).getattr("errno").ok()?.extract::<i32>().ok())
                .flatten();
            (e.to_string_lossy(py), errno)
        });
        if let Ok(mut g) = self.0.lock() {
            *g = Some(e);
        }
        match errno {
            Some(n) => io::Error::from_raw_os_error(n),
            None => io::Error::other(msg),
        }
    }
}

trait Lossy {
    fn to_string_lossy(&self, py: Python<'_>) -> String;
}

impl Lossy for PyErr {
    /// `TypeName: message`, as Python prints it.
    fn to_string_lossy(&self, py: Python<'_>) -> String {
        let name = self
            .get_type(py)
            .qualname()
            .map_or_else(|_| "exception".to_string(), |n| n.to_string());
        let value = self
            .value(py)
            .str()
            .map_or_else(|_| String::new(), |s| s.to_string());
        if value.is_empty() {
            name
        } else {
            format!("{name}: {value}")
        }
    }
}

/// A Python file object seen from offset `base` (its position when the writer or
/// reader was made), so that a document written after other bytes still has its offsets counted
/// from its own start.
pub struct PyFile {
    obj: Py<PyAny>,
    base: u64,
    cause: Cause,
}

impl PyFile {
    /// `obj` as a sink whose offset 0 is its current position (`tell()`) when it can
    /// seek, and `None` for the position when it cannot.
    pub fn new(
        py: Python<'_>,
        obj: &Bound<'_, PyAny>,
        cause: Cause,
        needs: &str,
    ) -> PyResult<(Self, bool)> {
        if !obj.hasattr(needs)? {
            return Err(crate::errors::invalid(
                py,
                format!(
                    "expected a path or a binary file object with {needs}(), got {}",
                    obj.get_type().qualname()?
                ),
            ));
        }
        let seekable = obj.hasattr("seekable")?
            && obj.call_method0("seekable")?.is_truthy()?
            && obj.hasattr("tell")?;
        let base = if seekable {
            obj.call_method0("tell")?.extract::<u64>()?
        } else {
            0
        };
        Ok((
            PyFile {
                obj: obj.clone().unbind(),
                base,
                cause,
            },
            seekable,
        ))
    }

    fn call<T>(&self, f: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<T>) -> io::Result<T> {
        Python::attach(|py| f(self.obj.bind(py))).map_err(|e| self.cause.keep(e))
    }
}

impl Write for PyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.call(|f| {
            let n = f.call_method1("write", (PyBytes::new(f.py(), buf),))?;
            // Buffered and text-free files return the count; some return None, meaning all.
            if n.is_none() {
                Ok(buf.len())
            } else {
                n.extract::<usize>()
            }
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.call(|f| {
            if f.hasattr("flush")? {
                f.call_method0("flush")?;
            }
            Ok(())
        })
    }
}

impl Seek for PyFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (offset, whence) = match pos {
            SeekFrom::Start(n) => (i128::from(self.base) + i128::from(n), 0),
            SeekFrom::Current(d) => (i128::from(d), 1),
            SeekFrom::End(d) => (i128::from(d), 2),
        };
        let at = self.call(|f| f.call_method1("seek", (offset, whence))?.extract::<u64>())?;
        at.checked_sub(self.base).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the document",
            )
        })
    }
}

impl Read for PyFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.call(|f| {
            let got = f.call_method1("read", (buf.len(),))?;
            let bytes = got.cast::<PyBytes>()?.as_bytes();
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            Ok(n)
        })
    }
}

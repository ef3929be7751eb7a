//! The one place a [`wias::Error`] (or a refusal of the binding's own) becomes a Python
//! exception: an instance of one of the classes of python/wias/_errors.py, with the
//! library's message, its HRESULT, and the Python exception that caused it (a file
//! object's `write` that raised) as `__cause__`.

use pyo3::prelude::*;
use wias::{hresult, Error};

/// The exception classes of python/wias/_errors.py, by name.
#[derive(Clone, Copy, Debug)]
pub enum Class {
    /// A page, argument or option the library cannot use (also a `ValueError` and a
    /// `TypeError`).
    InvalidInput,
    /// A file that is not a TIFF or PDF, or a damaged one (also a `ValueError`).
    Format,
    /// Another writer holds the file.
    Locked,
    /// Reading or writing the file or stream failed.
    Storage,
    /// A second thread used the writer while a call was running.
    Busy,
    /// The writer was closed.
    Closed,
    /// Anything else (a codec failure).
    Other,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::InvalidInput => "InvalidInputError",
            Class::Format => "FormatError",
            Class::Locked => "LockedError",
            Class::Storage => "StorageError",
            Class::Busy => "BusyError",
            Class::Closed => "ClosedError",
            Class::Other => "Error",
        }
    }
}

/// The class each library error is raised as.
fn class_of(e: &Error) -> Class {
    match e {
        Error::InvalidArgument { .. }
        | Error::SizeOverflow { .. }
        | Error::WrongDataLength { .. }
        | Error::Unsupported(_)
        | Error::NoPages(_)
        | Error::BufferTooSmall { .. }
        | Error::ItemSize { .. } => Class::InvalidInput,
        Error::NotTiff(_) | Error::Corrupt(_) | Error::NotPdf(_) | Error::CorruptPdf(_) => {
            Class::Format
        }
        Error::Locked(_) => Class::Locked,
        Error::Io { .. } | Error::BrokenStream(_) | Error::Limit { .. } => Class::Storage,
        _ => Class::Other,
    }
}

/// An exception of `class` with `message` and `hresult` (as the unsigned 32-bit
/// value, `0x80070057` rather than a negative number).
pub fn raise(py: Python<'_>, class: Class, message: String, hresult: i32) -> PyErr {
    let made = py
        .import("wias._errors")
        .and_then(|m| m.getattr(class.name()))
        .and_then(|c| c.call1((message.clone(), hresult as u32)));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        // The package is broken (the module imported without its Python half): still
        // say what went wrong.
        Err(_) => pyo3::exceptions::PyRuntimeError::new_err(message),
    }
}

/// A refusal of the binding's own (a wrong dtype or shape, a bad argument).
pub fn invalid(py: Python<'_>, message: impl Into<String>) -> PyErr {
    raise(
        py,
        Class::InvalidInput,
        message.into(),
        hresult::E_INVALIDARG,
    )
}

/// A library error as its exception; `cause` (what a Python file object raised)
/// becomes its `__cause__`, and an I/O error's errno its `errno`.
pub fn from_wias(py: Python<'_>, e: Error, cause: Option<PyErr>) -> PyErr {
    let errno = match &e {
        Error::Io { source, .. } => source.raw_os_error(),
        _ => None,
    };
    let err = raise(py, class_of(&e), e.to_string(), e.hresult());
    if let Some(n) = errno {
        let _ = err.value(py).setattr("errno", n);
    }
    if let Some(c) = cause {
        err.set_cause(py, Some(c));
    }
    err
}

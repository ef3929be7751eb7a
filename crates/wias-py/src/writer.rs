//! `wias.TiffWriter` and `wias.PdfWriter`: one document each, written page by page,
//! every page committed (in the file, linked, readable) when `write_page` returns.
//!
//! A writer is for one thread at a time. Its document sits behind a mutex that each
//! call tries, never waits for: a second thread calling while a page is being written
//! (the GIL is released then, so it can) gets `wias.BusyError` at once, instead of
//! pages interleaving or a deadlock against the GIL.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, TryLockError};

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyString, PyTuple};
use wias::input::jpeg::{jpeg_info, JpegPage};
use wias::{hresult, pdf, tiff, CodecChoice, CodecSettings, Compression, PageSpec, PixelType};

use crate::errors::{self, from_wias, invalid, Class};
use crate::page::{to_dpi, Page};
use crate::sink::{Cause, PyFile};

/// The resolution of a page when neither the caller nor the image gives one.
const DEFAULT_DPI: u32 = 300;

/// What both writers do with their document, whatever it is written into.
trait Document: Send + Sized {
    fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> wias::Result<()>;
    fn write_encoded(&mut self, spec: &PageSpec, c: Compression, data: &[u8]) -> wias::Result<()>;
    fn pages(&self) -> u64;
    fn finish(self) -> wias::Result<()>;
}

/// A TIFF document: a file (locked, crash-safe), a seekable Python file object, or an
/// unseekable one (a pipe: the last page's directory goes out when it is closed).
enum Tiff {
    File(tiff::TiffWriter<File>),
    Seekable(tiff::TiffWriter<PyFile>),
    Stream(tiff::StreamWriter<PyFile>),
}

impl Document for Tiff {
    fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> wias::Result<()> {
        match self {
            Tiff::File(w) => w.write_page(spec, rows).map(drop),
            Tiff::Seekable(w) => w.write_page(spec, rows).map(drop),
            Tiff::Stream(w) => w.write_page(spec, rows),
        }
    }

    fn write_encoded(&mut self, spec: &PageSpec, c: Compression, data: &[u8]) -> wias::Result<()> {
        // TIFF readers take baseline JPEG only: a progressive stream is rewritten
        // losslessly first (the library's JPEG page, as `wias write` does).
        let baseline;
        let data = if c == Compression::Jpeg {
            baseline = JpegPage::for_tiff(data.to_vec())?;
            &baseline.data[..]
        } else {
            data
        };
        match self {
            Tiff::File(w) => w.write_encoded_page(spec, c, data).map(drop),
            Tiff::Seekable(w) => w.write_encoded_page(spec, c, data).map(drop),
            Tiff::Stream(w) => w.write_encoded_page(spec, c, data),
        }
    }

    fn pages(&self) -> u64 {
        u64::from(match self {
            Tiff::File(w) => w.pages(),
            Tiff::Seekable(w) => w.pages(),
            Tiff::Stream(w) => w.pages(),
        })
    }

    fn finish(self) -> wias::Result<()> {
        match self {
            Tiff::File(w) => w.finish().map(drop),
            Tiff::Seekable(w) => w.finish().map(drop),
            Tiff::Stream(w) => w.finish().map(drop),
        }
    }
}

/// A PDF document: a file (locked, each page an incremental update placed so that a
/// kill leaves the last committed page), or any Python file object (no seeking).
enum Pdf {
    File(pdf::PdfFile),
    Stream(pdf::PdfWriter<PyFile>),
}

impl Document for Pdf {
    fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> wias::Result<()> {
        match self {
            Pdf::File(w) => w.write_page(spec, rows),
            Pdf::Stream(w) => w.write_page(spec, rows),
        }
    }

    fn write_encoded(&mut self, spec: &PageSpec, c: Compression, data: &[u8]) -> wias::Result<()> {
        match self {
            Pdf::File(w) => w.write_encoded_page(spec, c, data),
            Pdf::Stream(w) => w.write_encoded_page(spec, c, data),
        }
    }

    fn pages(&self) -> u64 {
        match self {
            Pdf::File(w) => w.pages(),
            Pdf::Stream(w) => w.pages(),
        }
    }

    fn finish(self) -> wias::Result<()> {
        match self {
            Pdf::File(w) => w.finish().map(drop),
            Pdf::Stream(w) => w.finish().map(drop),
        }
    }
}

enum State<D> {
    Open(D),
    /// Closed with this many pages.
    Closed(u64),
}

/// The part both Python classes share: the document behind its one-thread-at-a-time
/// mutex, and where a Python file object's exception is kept.
struct Core<D> {
    state: Mutex<State<D>>,
    cause: Cause,
    kind: &'static str,
}

impl<D: Document> Core<D> {
    fn new(doc: D, cause: Cause, kind: &'static str) -> Self {
        Core {
            state: Mutex::new(State::Open(doc)),
            cause,
            kind,
        }
    }

    /// The state, or `BusyError` when another thread is in a call on this writer.
    fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, State<D>>> {
        match self.state.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::WouldBlock) => Err(errors::raise(
                py,
                Class::Busy,
                format!(
                    "the {} is in use by another thread: a writer is for one thread at a time \
                     (give each thread its own document, or a lock around the calls)",
                    self.kind
                ),
                hresult::from_win32(170), // ERROR_BUSY
            )),
            // A panic in the library part way through a page: the document may be
            // anywhere in that page, so it takes no more.
            Err(TryLockError::Poisoned(_)) => Err(errors::raise(
                py,
                Class::Closed,
                format!(
                    "the {} failed with an internal error earlier and is closed",
                    self.kind
                ),
                hresult::E_UNEXPECTED,
            )),
        }
    }

    /// Runs `f` on the open document with the GIL released; a library error becomes
    /// its exception (with a file object's exception as its cause).
    fn run<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut D) -> wias::Result<R> + Send,
    ) -> PyResult<R> {
        let mut guard = self.lock(py)?;
        let State::Open(doc) = &mut *guard else {
            return Err(self.closed(py));
        };
        self.cause.take();
        py.detach(|| f(doc))
            .map_err(|e| from_wias(py, e, self.cause.take()))
    }

    fn closed(&self, py: Python<'_>) -> PyErr {
        errors::raise(
            py,
            Class::Closed,
            format!("the {} is closed", self.kind),
            hresult::E_UNEXPECTED,
        )
    }

    fn write_page(
        &self,
        py: Python<'_>,
        page: &Bound<'_, PyAny>,
        dpi: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let page = Page::from_object(page)?;
        let (x, y) = match parse_dpi(py, dpi)? {
            Some(d) => d,
            None => page.own_dpi.unwrap_or((DEFAULT_DPI, DEFAULT_DPI)),
        };
        let spec = page.spec.dpi(x, y);
        let rows = page.rows()?;
        self.run(py, |doc| rows.with(|b| doc.write_page(&spec, b)))
    }

    fn write_encoded_page(
        &self,
        py: Python<'_>,
        data: &PyBackedBytes,
        compression: &str,
        width: Option<u32>,
        height: Option<u32>,
        dpi: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let c = Compression::from_name(compression).map_err(|e| from_wias(py, e, None))?;
        let dpi = parse_dpi(py, dpi)?;
        let spec = match c {
            Compression::Jpeg => {
                let info = jpeg_info(data).map_err(|e| from_wias(py, e, None))?;
                let (w, h) = (u32::from(info.width), u32::from(info.height));
                for (given, own, name) in [(width, w, "width"), (height, h, "height")] {
                    if given.is_some_and(|g| g != own) {
                        return Err(invalid(
                            py,
                            format!(
                                "{name} = {}: the JPEG data's frame is {w} x {h}",
                                given.unwrap_or(0)
                            ),
                        ));
                    }
                }
                let pixel = if info.components == 1 {
                    PixelType::Gray8
                } else {
                    PixelType::Rgb24
                };
                let own = info
                    .density
                    .and_then(|(x, y)| Some((to_dpi(x)?, to_dpi(y)?)));
                let (x, y) = dpi.or(own).unwrap_or((DEFAULT_DPI, DEFAULT_DPI));
                PageSpec::new(w, h, pixel).dpi(x, y)
            }
            Compression::G4 | Compression::G3 => {
                let (Some(w), Some(h)) = (width, height) else {
                    return Err(invalid(
                        py,
                        format!(
                            "{} data do not say the page's size: give width= and height=",
                            c.name()
                        ),
                    ));
                };
                let (x, y) = dpi.unwrap_or((DEFAULT_DPI, DEFAULT_DPI));
                PageSpec::new(w, h, PixelType::Bilevel).dpi(x, y)
            }
            other => {
                return Err(invalid(
                    py,
                    format!(
                        "compression = {}: encoded pages are jpeg, g4 or g3 data (g3: TIFF only)",
                        other.name()
                    ),
                ))
            }
        };
        let bytes: &[u8] = data;
        self.run(py, |doc| doc.write_encoded(&spec, c, bytes))
    }

    fn pages(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(match &*self.lock(py)? {
            State::Open(d) => d.pages(),
            State::Closed(n) => *n,
        })
    }

    fn closed_now(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(matches!(&*self.lock(py)?, State::Closed(_)))
    }

    /// Finishes the document (every page is already committed; this flushes, and for
    /// a TIFF into a pipe writes the last directory). Closing twice is a no-op.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let mut guard = self.lock(py)?;
        let pages = match &*guard {
            State::Open(doc) => doc.pages(),
            State::Closed(_) => return Ok(()),
        };
        let State::Open(doc) = std::mem::replace(&mut *guard, State::Closed(pages)) else {
            unreachable!("matched Open above, under the same lock");
        };
        self.cause.take();
        py.detach(|| doc.finish())
            .map_err(|e| from_wias(py, e, self.cause.take()))
    }
}

/// `dpi=`: a number for both directions, or an (x, y) pair.
fn parse_dpi(py: Python<'_>, dpi: Option<&Bound<'_, PyAny>>) -> PyResult<Option<(u32, u32)>> {
    let Some(d) = dpi.filter(|d| !d.is_none()) else {
        return Ok(None);
    };
    let bad = || {
        invalid(
            py,
            format!(
                "dpi = {d}: give a positive number of dots per inch, or an (x, y) pair of them"
            ),
        )
    };
    let one = |v: &Bound<'_, PyAny>| {
        if v.is_instance_of::<pyo3::types::PyBool>() {
            return None;
        }
        v.extract::<f64>().ok().and_then(to_dpi)
    };
    if let Ok(t) = d.cast::<PyTuple>() {
        if t.len() != 2 {
            return Err(bad());
        }
        let (x, y) = (one(&t.get_item(0)?), one(&t.get_item(1)?));
        return match (x, y) {
            (Some(x), Some(y)) => Ok(Some((x, y))),
            _ => Err(bad()),
        };
    }
    one(d).map(|v| Some((v, v))).ok_or_else(bad)
}

fn target(file: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    if file.is_instance_of::<PyString>() || file.hasattr("__fspath__")? {
        return Ok(Some(file.extract::<PathBuf>()?));
    }
    Ok(None)
}

fn codec(py: Python<'_>, compression: &str, jpeg_quality: Option<u8>) -> PyResult<CodecSettings> {
    let choice = CodecChoice::from_name(compression).map_err(|e| from_wias(py, e, None))?;
    let mut s = CodecSettings::new(choice);
    if let Some(q) = jpeg_quality {
        if !(1..=100).contains(&q) {
            return Err(invalid(py, format!("jpeg_quality = {q}: must be 1..=100")));
        }
        s = s.jpeg_quality(q);
    }
    Ok(s)
}

/// A multipage TIFF written page by page.
///
/// ``TiffWriter(file, compression="auto", append=False, *, jpeg_quality=None, sync=False)``
///
/// ``file`` is a path (``str`` or ``os.PathLike``) or a binary file object. A path is
/// locked against a second writer while the document is open, and every page is in
/// the file, linked, when ``write_page`` returns: a killed process loses no page it
/// was told was written. ``append=True`` adds pages to an existing TIFF (any
/// producer's) without rewriting it. A seekable file object (``io.BytesIO``) is written
/// like a file, from its current position; an unseekable one (a pipe) gets a
/// streamed TIFF whose last page is completed by ``close()``.
///
/// ``compression``: ``"auto"`` (G4 or Deflate for bilevel pages, whichever is smaller;
/// Deflate with the predictor otherwise), ``"none"``, ``"packbits"``, ``"lzw"``,
/// ``"deflate"``, ``"g3"``, ``"g4"`` (bilevel pages) or ``"jpeg"`` (8-bit gray and RGB).
/// ``sync=True`` makes each page survive a power loss too (two fsyncs a page; paths
/// only).
///
/// A writer is for one thread at a time: a call from a second thread while one runs
/// raises ``BusyError``. The GIL is released while a page is encoded and written.
///
/// >>> import io, numpy as np, wias
/// >>> buf = io.BytesIO()
/// >>> with wias.TiffWriter(buf, compression="deflate") as doc:
/// ...     doc.write_page(np.full((2, 4), 200, dtype=np.uint8), dpi=150)
/// ...     doc.write_page(np.zeros((3, 5, 3), dtype=np.uint8))
/// ...     doc.pages
/// 2
/// >>> _ = buf.seek(0)
/// >>> [p["photometric"] for p in wias.inspect(buf)]
/// [1, 2]
#[pyclass(module = "wias", frozen)]
pub struct TiffWriter {
    core: Core<Tiff>,
}

#[pymethods]
impl TiffWriter {
    #[new]
    #[pyo3(signature = (file, compression = "auto", append = false, *, jpeg_quality = None, sync = false))]
    fn new(
        py: Python<'_>,
        file: &Bound<'_, PyAny>,
        compression: &str,
        append: bool,
        jpeg_quality: Option<u8>,
        sync: bool,
    ) -> PyResult<Self> {
        let mut opts = tiff::Options::default().codec(codec(py, compression, jpeg_quality)?);
        if sync {
            opts = opts.durability(tiff::Durability::Sync);
        }
        let cause = Cause::default();
        let wias_err = |e| from_wias(py, e, cause.take());
        let doc = if let Some(path) = target(file)? {
            let doc = py.detach(|| {
                if append {
                    tiff::TiffWriter::append(&path, opts)
                } else {
                    tiff::TiffWriter::create(&path, opts)
                }
            });
            Tiff::File(doc.map_err(wias_err)?)
        } else {
            let (sink, seekable) = PyFile::new(py, file, cause.clone(), "write")?;
            if sync {
                return Err(invalid(
                    py,
                    "sync = True: a file object cannot be synced; give a path",
                ));
            }
            match (seekable, append) {
                (true, false) => Tiff::Seekable(
                    py.detach(|| tiff::TiffWriter::new(sink, opts))
                        .map_err(wias_err)?,
                ),
                (true, true) => Tiff::Seekable(
                    py.detach(|| tiff::TiffWriter::append_to(sink, opts))
                        .map_err(wias_err)?,
                ),
                (false, false) => Tiff::Stream(tiff::StreamWriter::new(sink, opts)),
                (false, true) => return Err(invalid(
                    py,
                    "append = True: the file object cannot seek, and appending reads the document",
                )),
            }
        };
        Ok(TiffWriter {
            core: Core::new(doc, cause, "TiffWriter"),
        })
    }

    /// Encodes and writes one page, committed when the call returns.
    ///
    /// ``page`` is a NumPy array — ``bool`` (H, W) for bilevel (``True`` = white),
    /// ``uint8`` (H, W) gray or (H, W, 3) RGB, ``uint16`` likewise — or a PIL image of
    /// mode ``1``, ``L``, ``I;16`` or ``RGB``. A C-contiguous ``uint8``/``uint16`` array is
    /// encoded where it lies, without a copy (so no other thread may change it until
    /// the call returns: the GIL is released meanwhile). ``dpi`` is a number or an (x, y) pair;
    /// by default the image's own (PIL ``info["dpi"]``), else 300. On error no part
    /// of the page is in the document and every earlier page still is.
    ///
    /// >>> import io, numpy as np, wias
    /// >>> doc = wias.TiffWriter(io.BytesIO())
    /// >>> doc.write_page(np.ones((8, 8), dtype=bool))        # bilevel, all white
    /// >>> doc.write_page(np.zeros((8, 8), dtype=np.float32))
    /// Traceback (most recent call last):
    /// ...
    /// wias.InvalidInputError: array of dtype float32: a page is bool (bilevel), uint8 or uint16; convert it first (a.astype(numpy.uint8))
    /// >>> doc.pages
    /// 1
    #[pyo3(signature = (page, dpi = None))]
    fn write_page(
        &self,
        py: Python<'_>,
        page: &Bound<'_, PyAny>,
        dpi: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.core.write_page(py, page, dpi)
    }

    /// Writes one page a device or a file already compressed, without decoding it:
    /// ``compression="jpeg"`` (size, colour and dpi from the JPEG headers; a
    /// progressive JPEG is rewritten as baseline losslessly), or ``"g4"`` / ``"g3"``
    /// (CCITT data of a bilevel page: give ``width`` and ``height``).
    ///
    /// >>> import io, wias
    /// >>> g4 = bytes([0b1100_0000, 0x04, 0x00, 0x40])   # an all-white 8 x 2 page
    /// >>> with wias.TiffWriter(io.BytesIO()) as doc:
    /// ...     doc.write_encoded_page(g4, "g4", width=8, height=2, dpi=200)
    /// ...     doc.pages
    /// 1
    #[pyo3(signature = (data, compression, *, width = None, height = None, dpi = None))]
    fn write_encoded_page(
        &self,
        py: Python<'_>,
        data: PyBackedBytes,
        compression: &str,
        width: Option<u32>,
        height: Option<u32>,
        dpi: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.core
            .write_encoded_page(py, &data, compression, width, height, dpi)
    }

    /// Pages in the document (for ``append=True``, the existing ones too).
    #[getter]
    fn pages(&self, py: Python<'_>) -> PyResult<u64> {
        self.core.pages(py)
    }

    /// Whether ``close()`` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        self.core.closed_now(py)
    }

    /// Ends the document and releases the file (its lock). Every page is already
    /// committed; a second ``close()`` does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.core.close(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the document. When the ``with`` body raised, that exception is the one
    /// that propagates (every page written before it is in the document).
    #[pyo3(signature = (exc_type = None, _exc = None, _tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        exit(py, self.core.close(py), exc_type)
    }
}

fn exit(
    py: Python<'_>,
    closed: PyResult<()>,
    exc_type: Option<&Bound<'_, PyAny>>,
) -> PyResult<bool> {
    let _ = py;
    match (closed, exc_type.filter(|t| !t.is_none())) {
        (Err(e), None) => Err(e),
        _ => Ok(false),
    }
}

/// A multipage PDF written page by page, each page an incremental update.
///
/// ``PdfWriter(file, compression="auto", append=False, *, jpeg_quality=None, sync=False, pdfa=None, ocr=None)``
///
/// ``file`` is a path (``str`` or ``os.PathLike``) or a binary file object (which
/// need not seek: after every page the bytes so far are a complete PDF). A path is
/// locked while the document is open, and each page is committed so that a killed
/// process leaves the file as it was after the last page ``write_page`` returned
/// from; ``append=True`` adds pages to an existing PDF at the cost of one page (paths
/// only).
///
/// ``compression``: ``"auto"`` (bilevel pages: the smaller of G4 and Flate, as for
/// TIFF; Flate with PNG row filters otherwise), ``"none"``, ``"deflate"``, ``"g4"`` or ``"jpeg"`` (8-bit gray and RGB).
/// ``sync=True`` also fsyncs each page (paths only).
///
/// ``pdfa=`` (PDF/A-2b output, issue 22) and ``ocr=`` (a text layer, issue 23) are not
/// built yet: giving either raises ``NotImplementedError``.
///
/// One thread at a time, as for ``TiffWriter``; the GIL is released while a page is
/// encoded and written.
///
/// >>> import io, numpy as np, wias
/// >>> buf = io.BytesIO()
/// >>> with wias.PdfWriter(buf) as doc:
/// ...     doc.write_page(np.ones((100, 80), dtype=bool), dpi=200)    # G4
/// ...     doc.write_page(np.full((50, 40, 3), 255, dtype=np.uint8))  # Flate
/// >>> buf.getvalue()[:8], buf.getvalue().count(b"startxref")
/// (b'%PDF-1.5', 2)
#[pyclass(module = "wias", frozen)]
pub struct PdfWriter {
    core: Core<Pdf>,
}

#[pymethods]
impl PdfWriter {
    #[new]
    #[pyo3(signature = (file, compression = "auto", append = false, *, jpeg_quality = None, sync = false, pdfa = None, ocr = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        file: &Bound<'_, PyAny>,
        compression: &str,
        append: bool,
        jpeg_quality: Option<u8>,
        sync: bool,
        pdfa: Option<&Bound<'_, PyAny>>,
        ocr: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        use pyo3::exceptions::PyNotImplementedError;
        if pdfa.is_some_and(|v| !v.is_none()) {
            return Err(PyNotImplementedError::new_err(
                "pdfa=: PDF/A output is not built yet (wias issue 22); leave pdfa unset",
            ));
        }
        if ocr.is_some_and(|v| !v.is_none()) {
            return Err(PyNotImplementedError::new_err(
                "ocr=: an OCR text layer is not built yet (wias issue 23); leave ocr unset",
            ));
        }
        let settings = codec(py, compression, jpeg_quality)?;
        // Refuse a codec PDF has no filter for now, not at the first page.
        let choice = settings.compression;
        if let (Err(e), Err(_)) = (
            pdf::check(choice, PixelType::Bilevel),
            pdf::check(choice, PixelType::Gray8),
        ) {
            return Err(from_wias(py, e, None));
        }
        let opts = pdf::Options::default().codec(settings).sync(sync);
        let cause = Cause::default();
        let doc = if let Some(path) = target(file)? {
            let doc = py.detach(|| {
                if append {
                    pdf::PdfFile::append(&path, opts)
                } else {
                    pdf::PdfFile::create(&path, opts)
                }
            });
            Pdf::File(doc.map_err(|e| from_wias(py, e, None))?)
        } else {
            if append {
                return Err(invalid(
                    py,
                    "append = True: appending to a PDF needs a path (the file is read and locked)",
                ));
            }
            if sync {
                return Err(invalid(
                    py,
                    "sync = True: a file object cannot be synced; give a path",
                ));
            }
            let (sink, _) = PyFile::new(py, file, cause.clone(), "write")?;
            Pdf::Stream(pdf::PdfWriter::new(sink, opts))
        };
        Ok(PdfWriter {
            core: Core::new(doc, cause, "PdfWriter"),
        })
    }

    /// Encodes and commits one page; takes what ``TiffWriter.write_page`` takes.
    /// On error the document is as it was before the call.
    ///
    /// >>> import io, numpy as np, wias
    /// >>> doc = wias.PdfWriter(io.BytesIO())
    /// >>> doc.write_page(np.zeros((10, 10, 4), dtype=np.uint8))
    /// Traceback (most recent call last):
    /// ...
    /// wias.InvalidInputError: array of shape (10, 10, 4): a colour page has 3 samples a pixel (R, G, B), not 4 (drop alpha: a[..., :3])
    #[pyo3(signature = (page, dpi = None))]
    fn write_page(
        &self,
        py: Python<'_>,
        page: &Bound<'_, PyAny>,
        dpi: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.core.write_page(py, page, dpi)
    }

    /// Embeds one page a device or a file already compressed, byte for byte:
    /// ``compression="jpeg"`` (baseline or progressive; size, colour and dpi from its
    /// headers) or ``"g4"`` (give ``width`` and ``height``).
    #[pyo3(signature = (data, compression, *, width = None, height = None, dpi = None))]
    fn write_encoded_page(
        &self,
        py: Python<'_>,
        data: PyBackedBytes,
        compression: &str,
        width: Option<u32>,
        height: Option<u32>,
        dpi: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.core
            .write_encoded_page(py, &data, compression, width, height, dpi)
    }

    /// Pages in the document (for ``append=True``, the existing ones too).
    #[getter]
    fn pages(&self, py: Python<'_>) -> PyResult<u64> {
        self.core.pages(py)
    }

    /// Whether ``close()`` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        self.core.closed_now(py)
    }

    /// Ends the document and releases the file. A new PDF without a page is an error
    /// (an empty file is not a PDF); a second ``close()`` does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.core.close(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the document. When the ``with`` body raised, that exception is the one
    /// that propagates (every page written before it is in the document).
    #[pyo3(signature = (exc_type = None, _exc = None, _tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        exit(py, self.core.close(py), exc_type)
    }
}

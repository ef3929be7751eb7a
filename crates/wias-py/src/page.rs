//! A Python page (a NumPy array or a Pillow image) as what the library's writers take:
//! a [`PageSpec`] and top-down rows in page-buffer form (bilevel MSB first with
//! 0 = black, 16-bit samples little-endian).
//!
//! | Python | page | rows |
//! |---|---|---|
//! | C-contiguous `uint8` (H, W) / (H, W, 3) | gray8 / rgb24 | the array's own memory |
//! | C-contiguous `uint16` (H, W) / (H, W, 3), native order | gray16 / rgb48 | the array's own memory (little-endian host) |
//! | `bool` (H, W), `True` = white | bilevel | packed 8 pixels a byte, with the GIL released |
//! | any other layout of those dtypes (a slice, Fortran order, big-endian) | as above | one contiguous copy (`numpy.ascontiguousarray`) |
//! | PIL `1`, `L`, `I;16`, `RGB` | bilevel, gray8, gray16, rgb24 | `Image.tobytes()`: one copy, already in page-buffer form |
//!
//! Anything else is refused with an `InvalidInputError` naming what was given and
//! what is taken.

use numpy::{
    PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use wias::{PageSpec, PixelType};

use crate::errors::invalid;

/// Where a page's pixels are, kept alive (and borrowed read-only) while it is written.
pub enum Held<'py> {
    U8(PyReadonlyArrayDyn<'py, u8>),
    U16(PyReadonlyArrayDyn<'py, u16>),
    Bool(PyReadonlyArrayDyn<'py, bool>),
    Bytes(Bound<'py, PyBytes>),
}

/// A page ready to be written: its description and its pixels.
pub struct Page<'py> {
    pub spec: PageSpec,
    held: Held<'py>,
    /// The dpi the image itself states (Pillow's `info["dpi"]`), used when the caller
    /// gives none.
    pub own_dpi: Option<(u32, u32)>,
}

/// The pixels of a page as the library's writers take them, sendable to the thread
/// that runs with the GIL released.
pub enum Rows<'a> {
    /// Already in page-buffer form.
    Ready(&'a [u8]),
    /// One bool per pixel, row by row, to be packed.
    Bools { pixels: &'a [bool], width: usize },
    /// 16-bit samples in the host's order (converted on a big-endian host).
    #[cfg_attr(target_endian = "little", allow(dead_code))]
    Native16(&'a [u16]),
}

impl Rows<'_> {
    /// Runs `f` on the rows in page-buffer form, packing or converting them first when
    /// needed (called with the GIL released).
    pub fn with<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Rows::Ready(b) => f(b),
            Rows::Bools { pixels, width } => f(&pack_bits(pixels, *width)),
            Rows::Native16(s) => {
                let le: Vec<u8> = s.iter().flat_map(|v| v.to_le_bytes()).collect();
                f(&le)
            }
        }
    }
}

/// Packs rows of `width` bools (`true` = white = bit 1) MSB first, each row padded
/// to a whole byte: the bilevel page-buffer form.
fn pack_bits(pixels: &[bool], width: usize) -> Vec<u8> {
    let row_bytes = width.div_ceil(8);
    let rows = pixels.len().checked_div(width).unwrap_or(0);
    let mut out = vec![0u8; row_bytes * rows];
    for (src, dst) in pixels
        .chunks_exact(width)
        .zip(out.chunks_exact_mut(row_bytes))
    {
        for (byte, eight) in dst.iter_mut().zip(src.chunks(8)) {
            let mut b = 0u8;
            for (i, &white) in eight.iter().enumerate() {
                b |= u8::from(white) << (7 - i);
            }
            *byte = b;
        }
    }
    out
}

impl<'py> Page<'py> {
    /// The rows to hand to the library.
    pub fn rows(&self) -> PyResult<Rows<'_>> {
        let slice_err = |e: numpy::AsSliceError| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("array data: {e}"))
        };
        Ok(match &self.held {
            Held::U8(a) => Rows::Ready(a.as_slice().map_err(slice_err)?),
            Held::Bool(a) => Rows::Bools {
                pixels: a.as_slice().map_err(slice_err)?,
                width: self.spec.width as usize,
            },
            Held::U16(a) => {
                let s: &[u16] = a.as_slice().map_err(slice_err)?;
                if cfg!(target_endian = "little") {
                    Rows::Ready(bytemuck::cast_slice(s))
                } else {
                    Rows::Native16(s)
                }
            }
            Held::Bytes(b) => Rows::Ready(b.as_bytes()),
        })
    }

    /// The page `obj` is, or an `InvalidInputError` saying why it is not one.
    pub fn from_object(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        if let Ok(arr) = obj.cast::<PyUntypedArray>() {
            return from_array(arr);
        }
        if is_pil_image(obj)? {
            return from_pil(obj);
        }
        Err(invalid(
            py,
            format!(
                "a page is a NumPy array (bool, uint8 or uint16; (height, width) or \
                 (height, width, 3)) or a PIL image (mode 1, L, I;16 or RGB), not {}",
                obj.get_type().qualname()?
            ),
        ))
    }
}

/// Whether `obj` is a `PIL.Image.Image`; without importing Pillow (if it is not
/// imported, `obj` cannot be one of its images).
fn is_pil_image(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    let modules = py.import("sys")?.getattr("modules")?;
    match modules.get_item("PIL.Image") {
        Ok(m) => obj.is_instance(&m.getattr("Image")?),
        Err(_) => Ok(false),
    }
}

fn dim(py: Python<'_>, n: usize, what: &str) -> PyResult<u32> {
    u32::try_from(n).map_err(|_| invalid(py, format!("{what} = {n}: too large for a page")))
}

fn from_array<'py>(arr: &Bound<'py, PyUntypedArray>) -> PyResult<Page<'py>> {
    let py = arr.py();
    let dtype = arr.dtype();
    let (kind, size) = (dtype.kind(), dtype.itemsize());
    let shape = arr.shape().to_vec();
    let shown = format!(
        "({})",
        shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let dname = dtype.str()?.to_string();
    let rgb = match (shape.len(), shape.get(2)) {
        (2, _) => false,
        (3, Some(3)) => true,
        (3, Some(c)) => {
            return Err(invalid(
                py,
                format!(
                "array of shape {shown}: a colour page has 3 samples a pixel (R, G, B), not {c}{}",
                if *c == 4 {
                    " (drop alpha: a[..., :3])"
                } else {
                    ""
                }
            ),
            ))
        }
        _ => {
            return Err(invalid(
                py,
                format!(
                    "array of shape {shown}: a page is (height, width) for bilevel and gray, \
                     or (height, width, 3) for RGB"
                ),
            ))
        }
    };
    let pixel = match (kind, size, rgb) {
        (b'b', 1, false) => PixelType::Bilevel,
        (b'b', 1, true) => {
            return Err(invalid(
                py,
                format!("bool array of shape {shown}: a bilevel page is (height, width)"),
            ))
        }
        (b'u', 1, false) => PixelType::Gray8,
        (b'u', 1, true) => PixelType::Rgb24,
        (b'u', 2, false) => PixelType::Gray16,
        (b'u', 2, true) => PixelType::Rgb48,
        _ => {
            return Err(invalid(
                py,
                format!(
                    "array of dtype {dname}: a page is bool (bilevel), uint8 or uint16; \
                     convert it first (a.astype(numpy.uint8))"
                ),
            ))
        }
    };
    let spec = PageSpec::new(
        dim(py, shape[1], "width")?,
        dim(py, shape[0], "height")?,
        pixel,
    );
    // The array as it is when it is C-contiguous in the host's byte order, else one
    // contiguous copy in that order.
    let native = dtype.is_native_byteorder().unwrap_or(true);
    let arr = if arr.is_c_contiguous() && native {
        arr.clone().into_any()
    } else {
        let np = py.import("numpy")?;
        let target = match size {
            1 if kind == b'b' => np.getattr("bool_")?,
            1 => np.getattr("uint8")?,
            _ => np.getattr("uint16")?,
        };
        np.call_method1("ascontiguousarray", (arr, target))?
    };
    let borrow_err = |e: numpy::BorrowError| invalid(py, format!("array: {e}"));
    let held = match pixel {
        PixelType::Bilevel => Held::Bool(
            arr.cast::<PyArrayDyn<bool>>()?
                .try_readonly()
                .map_err(borrow_err)?,
        ),
        PixelType::Gray8 | PixelType::Rgb24 => Held::U8(
            arr.cast::<PyArrayDyn<u8>>()?
                .try_readonly()
                .map_err(borrow_err)?,
        ),
        PixelType::Gray16 | PixelType::Rgb48 => Held::U16(
            arr.cast::<PyArrayDyn<u16>>()?
                .try_readonly()
                .map_err(borrow_err)?,
        ),
    };
    Ok(Page {
        spec,
        held,
        own_dpi: None,
    })
}

fn from_pil<'py>(img: &Bound<'py, PyAny>) -> PyResult<Page<'py>> {
    let py = img.py();
    let mode: String = img.getattr("mode")?.extract()?;
    let pixel = match mode.as_str() {
        "1" => PixelType::Bilevel,
        "L" => PixelType::Gray8,
        "I;16" | "I;16L" => PixelType::Gray16,
        "RGB" => PixelType::Rgb24,
        other => {
            let hint = match other {
                "RGBA" | "P" | "CMYK" | "YCbCr" | "LAB" | "HSV" | "RGBX" => {
                    " (img.convert(\"RGB\"))"
                }
                "LA" | "I" | "F" | "I;16B" => " (img.convert(\"L\"), or a uint16 NumPy array)",
                _ => "",
            };
            return Err(invalid(
                py,
                format!("PIL image of mode {other}: a page is mode 1, L, I;16 or RGB{hint}"),
            ));
        }
    };
    let (w, h): (usize, usize) = img.getattr("size")?.extract()?;
    let spec = PageSpec::new(dim(py, w, "width")?, dim(py, h, "height")?, pixel);
    // Mode 1 packs 8 pixels a byte MSB first with 1 = white, L and RGB are 8-bit
    // samples, I;16 little-endian 16-bit ones: page-buffer form as it comes.
    let bytes = img.call_method0("tobytes")?.cast_into::<PyBytes>()?;
    let own_dpi = pil_dpi(img)?;
    Ok(Page {
        spec,
        held: Held::Bytes(bytes),
        own_dpi,
    })
}

/// `info["dpi"]` of a Pillow image, rounded, when it is two positive numbers.
fn pil_dpi(img: &Bound<'_, PyAny>) -> PyResult<Option<(u32, u32)>> {
    let Ok(d) = img.getattr("info")?.get_item("dpi") else {
        return Ok(None);
    };
    let Ok(t) = d.cast::<PyTuple>() else {
        return Ok(None);
    };
    let (Ok(x), Ok(y)) = (
        t.get_item(0).and_then(|v| v.extract::<f64>()),
        t.get_item(1).and_then(|v| v.extract::<f64>()),
    ) else {
        return Ok(None);
    };
    Ok(match (to_dpi(x), to_dpi(y)) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => None,
    })
}

/// A resolution as the whole number of dots per inch a page holds, or None when it
/// is not a positive finite number of at most 65535.
pub fn to_dpi(v: f64) -> Option<u32> {
    (0.5..65535.5).contains(&v).then(|| v.round() as u32)
}

//! JPEG files as pages: what a page needs to know about a JPEG stream it stores
//! unchanged (the frame's size and components, whether it is progressive, and the
//! density the file states in JFIF APP0 or EXIF APP1), read from the headers only, and
//! the form a TIFF page takes (baseline: a progressive stream is rewritten losslessly).
//! One place for every container: TIFF pages take [`JpegPage`]; PDF pages embed the
//! stream byte for byte (progressive too) and need only [`jpeg_info`].

use crate::error::{Error, Result};
use crate::geometry::PageSpec;
use crate::pixel::PixelType;

/// The headers of a JPEG stream, as far as a page that stores it needs them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JpegInfo {
    pub width: u16,
    pub height: u16,
    /// 1 (gray) or 3 (colour).
    pub components: u8,
    /// Progressive (SOF2) rather than baseline or extended sequential (SOF0/SOF1).
    pub progressive: bool,
    /// Pixels per inch (horizontal, vertical) when the file states them (JFIF units 1
    /// or 2, or EXIF XResolution/YResolution); `None` when it gives only an aspect
    /// ratio or nothing.
    pub density: Option<(f64, f64)>,
}

/// Reads the headers of a baseline, extended or progressive JPEG stream up to its frame
/// header. Lossless, hierarchical and arithmetic-coded frames, and frames of other than
/// 8 bits or of 2 or 4 components, are errors: PDF readers do not take them reliably.
///
/// ```
/// // SOI, JFIF APP0 at 200 dpi, SOF2 (progressive) of a 3×2 gray frame, EOI.
/// let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 1, 0, 200, 0,
///             200, 0, 0, 0xFF, 0xC2, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xFF, 0xD9];
/// let info = wias::input::jpeg::jpeg_info(&jpeg)?;
/// assert_eq!((info.width, info.height, info.components), (3, 2, 1));
/// assert!(info.progressive);
/// assert_eq!(info.density, Some((200.0, 200.0)));
/// # Ok::<(), wias::Error>(())
/// ```
pub fn jpeg_info(data: &[u8]) -> Result<JpegInfo> {
    read_headers(data, "JPEG data").map(|h| h.info)
}

/// What the headers of a JPEG stream say up to its frame header. The one reader of
/// them: [`jpeg_info`] (PDF pages, JPEG files) and
/// [`jpeg_frame`](crate::codec::jpeg_frame) (TIFF passthrough pages) each add the
/// checks of their container.
pub(crate) struct Headers {
    pub info: JpegInfo,
    /// Sampling factors (horizontal, vertical) of the first three components;
    /// (1, 1) for the ones a gray frame lacks.
    pub sampling: [(u8, u8); 3],
    /// An Adobe APP14 marker says the components are RGB, not YCbCr.
    pub adobe_rgb: bool,
}

/// Reads the headers of a baseline, extended or progressive JPEG stream up to its
/// frame header; errors name the data as `what`.
pub(crate) fn read_headers(data: &[u8], what: &'static str) -> Result<Headers> {
    let bad = |why: String| Error::invalid(what, format!("{} bytes", data.len()), why);
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return Err(bad("do not start with a JPEG SOI marker (FF D8)".into()));
    }
    let mut i = 2;
    let mut jfif: Option<(f64, f64)> = None;
    let mut exif: Option<(f64, f64)> = None;
    let mut adobe_rgb = false;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return Err(bad(format!("no marker at byte {i}")));
        }
        let m = data[i + 1];
        if m == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        if len < 2 {
            return Err(bad(format!(
                "marker FF {m:02X} at byte {i} has length {len}"
            )));
        }
        let seg = data
            .get(i + 4..i + 2 + len)
            .ok_or_else(|| bad(format!("marker FF {m:02X} at byte {i} runs past the end")))?;
        match m {
            0xE0 if seg.len() >= 12 && &seg[..5] == b"JFIF\0" => {
                let x = f64::from(u16::from_be_bytes([seg[8], seg[9]]));
                let y = f64::from(u16::from_be_bytes([seg[10], seg[11]]));
                jfif = match seg[7] {
                    1 if x > 0.0 && y > 0.0 => Some((x, y)),
                    2 if x > 0.0 && y > 0.0 => Some((x * 2.54, y * 2.54)),
                    _ => None,
                };
            }
            0xE1 if seg.len() > 6 && &seg[..6] == b"Exif\0\0" => exif = exif_density(&seg[6..]),
            0xEE if seg.len() >= 12 && &seg[..5] == b"Adobe" => adobe_rgb = seg[11] == 0,
            0xC0..=0xC2 => {
                if seg.len() < 6 || seg[0] != 8 {
                    return Err(bad("the frame is not 8 bits per sample".into()));
                }
                let height = u16::from_be_bytes([seg[1], seg[2]]);
                let width = u16::from_be_bytes([seg[3], seg[4]]);
                let components = seg[5];
                if !(components == 1 || components == 3) || seg.len() < 6 + 3 * components as usize
                {
                    return Err(bad(format!(
                        "the frame has {components} components; pages take 1 (gray) or 3 (colour)"
                    )));
                }
                if height == 0 || width == 0 {
                    return Err(bad(format!(
                        "the frame is {width}×{height} pixels (a height given later by DNL is not supported)"
                    )));
                }
                let mut sampling = [(1, 1); 3];
                for (k, s) in sampling.iter_mut().take(components.into()).enumerate() {
                    *s = (seg[7 + 3 * k] >> 4, seg[7 + 3 * k] & 15);
                }
                return Ok(Headers {
                    info: JpegInfo {
                        width,
                        height,
                        components,
                        progressive: m == 0xC2,
                        density: jfif.or(exif),
                    },
                    sampling,
                    adobe_rgb,
                });
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(bad(format!(
                    "frame type FF {m:02X} is lossless, hierarchical or arithmetic-coded JPEG"
                )))
            }
            0xDA | 0xD9 => break,
            _ => {}
        }
        i += 2 + len;
    }
    Err(bad(
        "no frame header (SOF0/SOF1/SOF2) before the scan".into()
    ))
}

/// A JPEG file made ready to be a TIFF page: its headers, and the data to store.
#[derive(Clone, Debug)]
pub struct JpegPage {
    pub info: JpegInfo,
    /// Baseline JPEG data: the file's own bytes, or for a progressive file the same
    /// coefficients rewritten as a baseline stream (no decoding, no quality lost).
    pub data: Vec<u8>,
    /// Whether `data` was rewritten from a progressive file.
    pub made_baseline: bool,
}

impl JpegPage {
    /// Checks a JPEG file as a TIFF page before anything is written: headers, and a
    /// progressive stream rewritten as baseline (TIFF readers take baseline only) the
    /// way `jpegtran` does, by libjpeg-turbo's lossless transform. What cannot be a
    /// TIFF page (lossless or arithmetic JPEG, 4 components, chroma sampling TIFF has no
    /// tag for) is an error here.
    ///
    /// ```
    /// // SOI, JFIF APP0 at 150 dpi, SOF0 of a 3×2 gray frame, EOI.
    /// let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 1, 0,
    ///     150, 0, 150, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xFF, 0xD9];
    /// let page = wias::input::jpeg::JpegPage::for_tiff(jpeg)?;
    /// let spec = page.spec(None, 300);
    /// assert_eq!((spec.width, spec.lines, spec.xdpi, spec.ydpi), (3, 2, 150, 150));
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn for_tiff(data: Vec<u8>) -> Result<JpegPage> {
        let info = jpeg_info(&data)?;
        let (data, made_baseline) = if info.progressive {
            (to_baseline(&data)?, true)
        } else {
            (data, false)
        };
        // What a TIFF page needs of the (baseline) frame: subsampling with a tag, etc.
        crate::codec::jpeg_frame(&data)?;
        Ok(JpegPage {
            info,
            data,
            made_baseline,
        })
    }

    /// The page's spec: `dpi` when given (the user's flag), else the density the file
    /// states, else `fallback`.
    pub fn spec(&self, dpi: Option<u32>, fallback: u32) -> PageSpec {
        let (x, y) = match (dpi, self.info.density) {
            (Some(d), _) => (d, d),
            (None, Some((x, y))) => (to_dpi(x), to_dpi(y)),
            (None, None) => (fallback, fallback),
        };
        let pixel = if self.info.components == 1 {
            PixelType::Gray8
        } else {
            PixelType::Rgb24
        };
        PageSpec::new(
            u32::from(self.info.width),
            u32::from(self.info.height),
            pixel,
        )
        .dpi(x, y)
    }
}

fn to_dpi(v: f64) -> u32 {
    v.round().clamp(1.0, 65535.0) as u32
}

/// A progressive JPEG rewritten as a baseline one from the same DCT coefficients
/// (libjpeg-turbo's `tjTransform` with no operation, as `jpegtran` without
/// `-progressive`): lossless, and much faster than decoding and encoding again.
#[cfg(feature = "jpeg")]
fn to_baseline(data: &[u8]) -> Result<Vec<u8>> {
    let transform = turbojpeg::Transform::op(turbojpeg::TransformOp::None);
    turbojpeg::Transformer::new()
        .and_then(|mut t| t.transform_to_vec(&transform, data))
        .map_err(|e| {
            Error::invalid(
                "JPEG data",
                format!("{} bytes", data.len()),
                format!("progressive JPEG could not be rewritten as baseline: {e}"),
            )
        })
}

/// Without libjpeg-turbo (the `jpeg` feature off) a progressive JPEG cannot be made
/// baseline: refused, with the way out.
#[cfg(not(feature = "jpeg"))]
fn to_baseline(data: &[u8]) -> Result<Vec<u8>> {
    Err(Error::invalid(
        "JPEG data",
        format!("{} bytes", data.len()),
        "a progressive JPEG is made baseline by libjpeg-turbo, which this wias was built without (its `jpeg` feature); `jpegtran` makes a baseline copy",
    ))
}

/// XResolution and YResolution (in dpi) from the first IFD of an EXIF block (a TIFF
/// structure), or `None` when absent, zero or in an unknown unit.
fn exif_density(tiff: &[u8]) -> Option<(f64, f64)> {
    let le = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b = tiff.get(o..o + 2)?;
        Some(if le {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(o..o + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let n = usize::from(u16_at(ifd)?);
    let (mut x, mut y, mut unit) = (None, None, 2u16);
    for k in 0..n {
        let e = ifd + 2 + 12 * k;
        let (tag, typ) = (u16_at(e)?, u16_at(e + 2)?);
        let rational = || -> Option<f64> {
            let at = u32_at(e + 8)? as usize;
            let (num, den) = (u32_at(at)?, u32_at(at + 4)?);
            (den != 0 && num != 0).then(|| f64::from(num) / f64::from(den))
        };
        match (tag, typ) {
            (exif::X_RESOLUTION, exif::RATIONAL) => x = rational(),
            (exif::Y_RESOLUTION, exif::RATIONAL) => y = rational(),
            (exif::RESOLUTION_UNIT, exif::SHORT) => unit = u16_at(e + 8)?,
            _ => {}
        }
    }
    let scale = match unit {
        2 => 1.0,
        3 => 2.54,
        _ => return None,
    };
    Some((x? * scale, y? * scale))
}

/// The TIFF tag numbers and field types an EXIF segment's IFD0 (a TIFF IFD) states the
/// resolution with. They are `crate::tiff::tags`' (a unit test there checks they
/// agree), named here rather than imported so that `input` stays below `tiff`.
pub(crate) mod exif {
    pub const X_RESOLUTION: u16 = 282;
    pub const Y_RESOLUTION: u16 = 283;
    pub const RESOLUTION_UNIT: u16 = 296;
    pub const SHORT: u16 = 3;
    pub const RATIONAL: u16 = 5;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, marker];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8, 0, 4, 0, 5, 3]);
        v.extend_from_slice(&[1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    #[test]
    fn exif_density_in_dots_per_centimetre_becomes_dpi() {
        // Big-endian TIFF: IFD at 8 with XResolution, YResolution (rationals at 50, 58)
        // and ResolutionUnit 3 (centimetres).
        let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
        t.extend_from_slice(&3u16.to_be_bytes());
        for (tag, typ, val) in [(0x011Au16, 5u16, 50u32), (0x011B, 5, 58), (0x0128, 3, 0)] {
            t.extend_from_slice(&tag.to_be_bytes());
            t.extend_from_slice(&typ.to_be_bytes());
            t.extend_from_slice(&1u32.to_be_bytes());
            if typ == 3 {
                t.extend_from_slice(&[0, 3, 0, 0]);
            } else {
                t.extend_from_slice(&val.to_be_bytes());
            }
        }
        t.extend_from_slice(&[0, 0, 0, 0]);
        for (n, d) in [(100u32, 1u32), (200, 2)] {
            t.extend_from_slice(&n.to_be_bytes());
            t.extend_from_slice(&d.to_be_bytes());
        }
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&t);
        let info = jpeg_info(&with_segment(0xE1, &payload)).unwrap();
        assert_eq!((info.width, info.height, info.components), (5, 4, 3));
        assert_eq!(info.density, Some((254.0, 254.0)));
    }

    #[test]
    fn jfif_aspect_ratio_only_is_no_density() {
        let p = [b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
        assert_eq!(jpeg_info(&with_segment(0xE0, &p)).unwrap().density, None);
    }

    /// One reader, two containers: PDF takes what TIFF passthrough refuses
    /// (progressive), and both see the same frame, sampling and Adobe transform.
    #[test]
    fn jpeg_info_and_jpeg_frame_read_the_same_headers() {
        // Adobe APP14 with transform 0 (RGB), then a 4:2:0 frame (luma 2×2).
        let adobe = [b'A', b'd', b'o', b'b', b'e', 0, 100, 0, 0, 0, 0, 0];
        let mut v = with_segment(0xEE, &adobe);
        let sof = v.len() - 21;
        assert_eq!(&v[sof..sof + 2], &[0xFF, 0xC0]);
        v[sof + 11] = 0x22;
        let f = crate::codec::jpeg_frame(&v).unwrap();
        let i = jpeg_info(&v).unwrap();
        assert_eq!((f.width, f.height, f.components), (i.width, i.height, 3));
        assert_eq!((f.subsampling, f.rgb, i.progressive), ((2, 2), true, false));
        v[sof + 1] = 0xC2;
        assert!(jpeg_info(&v).unwrap().progressive);
        let e = crate::codec::jpeg_frame(&v).unwrap_err().to_string();
        assert!(
            e.contains("JPEG page data") && e.contains("progressive"),
            "{e}"
        );
        // Chroma sampled finer than luma has no TIFF tag.
        v[sof + 1] = 0xC0;
        v[sof + 14] = 0x22;
        let e = crate::codec::jpeg_frame(&v).unwrap_err().to_string();
        assert!(e.contains("YCbCrSubSampling"), "{e}");
        assert!(jpeg_info(&v).is_ok());
    }

    #[test]
    fn four_component_frames_are_refused() {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 20, 8, 0, 4, 0, 5, 4];
        v.extend_from_slice(&[1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
        let e = jpeg_info(&v).unwrap_err().to_string();
        assert!(e.contains("4 components"), "{e}");
    }
}

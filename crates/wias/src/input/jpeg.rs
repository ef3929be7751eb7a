//! JPEG files as pages: what a page needs to know about a JPEG file (the frame's size
//! and components, the density and orientation the file states), and the stream a
//! container stores, made ready from the file's own bytes:
//!
//! - EXIF orientation 2–8 is applied to the pixels, so every reader shows the page
//!   upright: by libjpeg-turbo's lossless transform (rotation and mirroring of the DCT
//!   blocks, as `jpegtran -perfect`) when the frame is whole MCUs in the directions
//!   that move, else by decoding, turning and encoding again at quality 95, 4:4:4.
//!   Why not the TIFF Orientation tag or PDF /Rotate: libtiff's tools, Pillow's
//!   `open` and most viewers ignore the tag, and /Rotate cannot mirror (orientations
//!   2, 4, 5, 7); pixels turned are what every reader shows. The stored EXIF then says
//!   orientation 1.
//! - TIFF pages are baseline (a progressive file is rewritten losslessly by the same
//!   transform), and a one-line 4:2:0 file, which libtiff cannot decode as a page, is
//!   encoded again 4:4:4.
//! - What is stored is checked by the container's own check (`codec::check`): the
//!   primary image only, bytes between segments and after the EOI left out.
//!
//! Memory: the transform and a decode hold the whole image (coefficients or pixels);
//! their size is known from the frame header and refused past [`WORK_LIMIT`] before
//! libjpeg-turbo allocates, and a stream too short for the size it states is refused
//! by the structure check first.

use crate::codec::jpeg_stream::{self, Depth, Stream};
use crate::codec::{Compression, Container};
use crate::error::{Error, Result};
use crate::geometry::PageSpec;
use crate::pixel::PixelType;

/// The most memory the lossless transform (its DCT coefficients) or a decode (its
/// pixels, twice) may take for one JPEG file: 1 GiB, a 178-megapixel colour image.
pub const WORK_LIMIT: u64 = 1 << 30;

/// The headers of a JPEG stream, as far as a page that stores it needs them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JpegInfo {
    pub width: u16,
    pub height: u16,
    /// 1 (gray), 3 (colour) or 4 (CMYK or YCCK: PDF pages only).
    pub components: u8,
    /// Progressive (SOF2) rather than baseline or extended sequential (SOF0/SOF1).
    pub progressive: bool,
    /// Pixels per inch (horizontal, vertical) when the file states them (JFIF units 1
    /// or 2, or EXIF XResolution/YResolution); `None` when it gives only an aspect
    /// ratio or nothing.
    pub density: Option<(f64, f64)>,
    /// EXIF orientation, 1 (upright, also when the file states none) to 8.
    pub orientation: u8,
}

/// Reads the headers of a baseline, extended or progressive JPEG stream up to its frame
/// header. Lossless, hierarchical and arithmetic-coded frames, and frames of other than
/// 8 bits or of 2 components, are errors: PDF readers do not take them reliably.
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
    let s = jpeg_stream::parse(data, Depth::Headers).map_err(|why| bad(data, why))?;
    info(data, &s)
}

fn bad(data: &[u8], why: impl Into<String>) -> Error {
    Error::invalid("JPEG data", format!("{} bytes", data.len()), why.into())
}

fn info(_data: &[u8], s: &Stream) -> Result<JpegInfo> {
    let components = s.frame.components.len() as u8;
    let exif = s.exif.unwrap_or_default();
    Ok(JpegInfo {
        width: s.frame.width,
        height: s.frame.height,
        components,
        progressive: s.frame.progressive,
        density: s.jfif_density.or(exif.density),
        orientation: exif.orientation.map_or(1, |(o, _)| o as u8),
    })
}

/// A JPEG file made ready to be a page: its headers (as the stored stream has them:
/// upright), and the data to store.
#[derive(Clone, Debug)]
pub struct JpegPage {
    pub info: JpegInfo,
    /// The JPEG stream to store: the file's primary image, made upright and (for TIFF)
    /// baseline.
    pub data: Vec<u8>,
    /// Whether `data` was rewritten from a progressive file (losslessly).
    pub made_baseline: bool,
    /// Whether `data` was decoded and encoded again (quality 95, 4:4:4): a turn the
    /// lossless transform cannot make, or a one-line 4:2:0 TIFF page.
    pub reencoded: bool,
}

impl JpegPage {
    /// Checks a JPEG file as a TIFF page before anything is written, and makes the
    /// stream to store (see the module doc). What cannot be a TIFF page (lossless or
    /// arithmetic JPEG, 4 components, chroma sampling TIFF has no tag for, a stream
    /// cut short) is an error here.
    ///
    /// ```
    /// // SOI, JFIF APP0 at 150 dpi, DQT, SOF0 of a 3×2 gray frame, a scan, EOI.
    /// let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 1,
    ///     0, 150, 0, 150, 0, 0, 0xFF, 0xDB, 0, 67, 0];
    /// jpeg.extend([1; 64]);
    /// jpeg.extend([0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0]);
    /// jpeg.extend([0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0xFF, 0xD9]);
    /// let page = wias::input::jpeg::JpegPage::for_tiff(jpeg)?;
    /// let spec = page.spec(None, 300);
    /// assert_eq!((spec.width, spec.lines, spec.xdpi, spec.ydpi), (3, 2, 150, 150));
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn for_tiff(data: Vec<u8>) -> Result<JpegPage> {
        JpegPage::new(data, Container::Tiff)
    }

    /// Checks a JPEG file as a PDF page (any baseline or progressive JPEG, embedded
    /// with `DCTDecode`) and makes the stream to store: upright, the primary image only.
    pub fn for_pdf(data: Vec<u8>) -> Result<JpegPage> {
        JpegPage::new(data, Container::Pdf)
    }

    fn new(data: Vec<u8>, container: Container) -> Result<JpegPage> {
        let s = jpeg_stream::parse(&data, Depth::Whole).map_err(|why| bad(&data, why))?;
        let mut info = info(&data, &s)?;
        if info.components == 4 && container == Container::Tiff {
            return Err(bad(&data, crate::codec::check::CMYK_IN_TIFF));
        }
        let source = info;
        let mut work = s.clean(&data).into_owned();
        let (mut made_baseline, mut reencoded) = (false, false);
        let turn = Turn::of(info.orientation);
        let want_baseline = container == Container::Tiff && info.progressive;
        if turn != Turn::None || want_baseline {
            check_limit(&data, "rewritten", s.frame.coefficient_bytes())?;
            if turn.is_perfect(&s) {
                work = transform(&work, turn)?;
                made_baseline = info.progressive;
            } else if info.components == 4 {
                return Err(bad(
                    &data,
                    format!("EXIF orientation {} asks for a turn that a CMYK JPEG of {}×{} pixels (not whole MCUs) cannot take losslessly; turn it first (`jpegtran -rotate 90 -trim`, or `convert -auto-orient`)", source.orientation, source.width, source.height),
                ));
            } else {
                check_limit(&data, "decoded", pixel_bytes(&info) * 2)?;
                work = reencode(&work, &info, turn)?;
                reencoded = true;
            }
            if turn.transposes() {
                info.width = source.height;
                info.height = source.width;
                info.density = source.density.map(|(x, y)| (y, x));
            }
            info.progressive = false;
            set_upright(&mut work);
        }
        if container == Container::Tiff && !reencoded && one_line_subsampled(&work) {
            check_limit(&data, "decoded", pixel_bytes(&info) * 2)?;
            work = reencode(&work, &info, Turn::None)?;
            reencoded = true;
        }
        info.orientation = 1;
        let mut page = JpegPage {
            info,
            data: Vec::new(),
            made_baseline,
            reencoded,
        };
        let spec = page.spec(None, 300);
        page.data = crate::codec::check::device_page(&spec, Compression::Jpeg, &work, container)
            .map_err(|e| match e {
                Error::InvalidArgument { reason, .. } => bad(&data, reason),
                e => e,
            })?
            .data
            .into_owned();
        Ok(page)
    }

    /// The page's spec: `dpi` when given (the user's flag), else the density the file
    /// states, else `fallback`.
    pub fn spec(&self, dpi: Option<u32>, fallback: u32) -> PageSpec {
        let (x, y) = match (dpi, self.info.density) {
            (Some(d), _) => (d, d),
            (None, Some((x, y))) => (to_dpi(x), to_dpi(y)),
            (None, None) => (fallback, fallback),
        };
        // A CMYK JPEG is a colour page (PDF embeds it as DeviceCMYK).
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

fn pixel_bytes(info: &JpegInfo) -> u64 {
    u64::from(info.width) * u64::from(info.height) * u64::from(info.components)
}

/// Refuses work on a file that would take more than [`WORK_LIMIT`] bytes, before
/// libjpeg-turbo allocates them.
fn check_limit(data: &[u8], how: &str, bytes: u64) -> Result<()> {
    if bytes <= WORK_LIMIT {
        return Ok(());
    }
    Err(bad(
        data,
        format!(
            "the image would take {} MiB to be {how} (more than the {} MiB wias allows a JPEG file); make it baseline and upright first (`jpegtran -rotate`/`-flip`), or split it",
            bytes >> 20,
            WORK_LIMIT >> 20
        ),
    ))
}

/// Whether the stream is YCbCr with chroma sampled every two (or four) lines but
/// fewer lines than that: libtiff cannot decode such a TIFF page.
fn one_line_subsampled(data: &[u8]) -> bool {
    jpeg_stream::parse(data, Depth::Headers).is_ok_and(|s| {
        s.frame.components.len() == 3
            && s.adobe_transform != Some(0)
            && u16::from(s.frame.max_sampling().1) > s.frame.height
    })
}

/// What EXIF orientation 1–8 asks for to make the image upright.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    None,
    MirrorX,
    Rotate180,
    MirrorY,
    Transpose,
    Rotate90,
    Transverse,
    Rotate270,
}

impl Turn {
    fn of(orientation: u8) -> Turn {
        match orientation {
            2 => Turn::MirrorX,
            3 => Turn::Rotate180,
            4 => Turn::MirrorY,
            5 => Turn::Transpose,
            6 => Turn::Rotate90,
            7 => Turn::Transverse,
            8 => Turn::Rotate270,
            _ => Turn::None,
        }
    }

    /// Whether width and height swap.
    fn transposes(self) -> bool {
        matches!(
            self,
            Turn::Transpose | Turn::Rotate90 | Turn::Transverse | Turn::Rotate270
        )
    }

    /// Whether the lossless transform can make this turn exactly: a partial MCU at the
    /// right (bottom) edge cannot move to the left (top).
    fn is_perfect(self, s: &Stream) -> bool {
        let (h, v) = s.frame.max_sampling();
        let x = s.frame.width % (8 * u16::from(h)) == 0;
        let y = s.frame.height % (8 * u16::from(v)) == 0;
        match self {
            Turn::None | Turn::Transpose => true,
            Turn::MirrorX | Turn::Rotate270 => x,
            Turn::MirrorY | Turn::Rotate90 => y,
            Turn::Rotate180 | Turn::Transverse => x && y,
        }
    }

    /// The source pixel (x, y) the upright image's pixel (dx, dy) comes from, for a
    /// source of `w` × `h`.
    fn source(self, dx: usize, dy: usize, w: usize, h: usize) -> (usize, usize) {
        match self {
            Turn::None => (dx, dy),
            Turn::MirrorX => (w - 1 - dx, dy),
            Turn::Rotate180 => (w - 1 - dx, h - 1 - dy),
            Turn::MirrorY => (dx, h - 1 - dy),
            Turn::Transpose => (dy, dx),
            Turn::Rotate90 => (dy, h - 1 - dx),
            Turn::Transverse => (w - 1 - dy, h - 1 - dx),
            Turn::Rotate270 => (w - 1 - dy, dx),
        }
    }
}

/// Rewrites the orientation of the stream's EXIF block to 1, once its pixels are
/// upright (readers that honour EXIF would turn them again).
fn set_upright(data: &mut [u8]) {
    let Ok(s) = jpeg_stream::parse(data, Depth::Headers) else {
        return;
    };
    if let Some(exif) = s.exif {
        if let Some((_, at)) = exif.orientation {
            let one = if exif.little_endian {
                1u16.to_le_bytes()
            } else {
                1u16.to_be_bytes()
            };
            data[at..at + 2].copy_from_slice(&one);
        }
    }
}

/// The stream turned (and made baseline) by libjpeg-turbo's lossless transform, its
/// markers (EXIF, ICC) copied.
#[cfg(feature = "jpeg")]
fn transform(data: &[u8], turn: Turn) -> Result<Vec<u8>> {
    use turbojpeg::TransformOp as Op;
    let op = match turn {
        Turn::None => Op::None,
        Turn::MirrorX => Op::Hflip,
        Turn::Rotate180 => Op::Rot180,
        Turn::MirrorY => Op::Vflip,
        Turn::Transpose => Op::Transpose,
        Turn::Rotate90 => Op::Rot90,
        Turn::Transverse => Op::Transverse,
        Turn::Rotate270 => Op::Rot270,
    };
    let mut t = turbojpeg::Transform::op(op);
    t.perfect = true;
    turbojpeg::Transformer::new()
        .and_then(|mut tr| tr.transform_to_vec(&t, data))
        .map_err(|e| {
            bad(
                data,
                format!("the JPEG could not be rewritten losslessly: {e}"),
            )
        })
}

/// The stream decoded, turned and encoded again (quality 95, chroma not subsampled).
#[cfg(feature = "jpeg")]
fn reencode(data: &[u8], info: &JpegInfo, turn: Turn) -> Result<Vec<u8>> {
    use turbojpeg::{Compressor, Decompressor, Image, PixelFormat, Subsamp};
    let err = |e: turbojpeg::Error| bad(data, format!("the JPEG could not be decoded: {e}"));
    let (format, subsamp) = if info.components == 1 {
        (PixelFormat::GRAY, Subsamp::Gray)
    } else {
        (PixelFormat::RGB, Subsamp::None)
    };
    let n = format.size();
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    let mut d = Decompressor::new().map_err(err)?;
    // A bound on progressive scans, so that a stream of thousands of tiny scans does
    // not take the CPU for minutes (libjpeg-turbo's TJPARAM_SCANLIMIT).
    d.set_scan_limit(500).map_err(err)?;
    let mut pixels = vec![0u8; w * h * n];
    d.decompress(
        data,
        Image {
            pixels: &mut pixels[..],
            width: w,
            pitch: w * n,
            height: h,
            format,
        },
    )
    .map_err(err)?;
    let (ow, oh) = if turn.transposes() { (h, w) } else { (w, h) };
    let turned = if turn == Turn::None {
        pixels
    } else {
        let mut out = vec![0u8; w * h * n];
        for dy in 0..oh {
            for dx in 0..ow {
                let (sx, sy) = turn.source(dx, dy, w, h);
                let (o, i) = ((dy * ow + dx) * n, (sy * w + sx) * n);
                out[o..o + n].copy_from_slice(&pixels[i..i + n]);
            }
        }
        out
    };
    let mut c = Compressor::new().map_err(err)?;
    c.set_quality(95).map_err(err)?;
    c.set_subsamp(subsamp).map_err(err)?;
    c.compress_to_vec(Image {
        pixels: &turned[..],
        width: ow,
        pitch: ow * n,
        height: oh,
        format,
    })
    .map_err(err)
}

/// Without libjpeg-turbo (the `jpeg` feature off) a JPEG cannot be turned or made
/// baseline: refused, with the way out.
#[cfg(not(feature = "jpeg"))]
fn transform(data: &[u8], _turn: Turn) -> Result<Vec<u8>> {
    Err(bad(
        data,
        "a progressive or rotated JPEG is rewritten by libjpeg-turbo, which this wias was built without (its `jpeg` feature); `jpegtran` makes a baseline, upright copy",
    ))
}

#[cfg(not(feature = "jpeg"))]
fn reencode(data: &[u8], _info: &JpegInfo, turn: Turn) -> Result<Vec<u8>> {
    transform(data, turn)
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

    /// A whole, valid progressive JPEG of 23170×23170 pixels (one DC scan, every block
    /// coded in the one bit its Huffman table allows: a 1 MB file): making it baseline
    /// would hold 1 GiB of coefficients, so it is refused from its frame header before
    /// libjpeg-turbo allocates anything. PDF takes it as it is.
    #[test]
    #[cfg(feature = "jpeg")] // without libjpeg-turbo, JPEG is refused before this check
    fn a_rewrite_past_the_work_limit_is_refused_before_decoding() {
        let side = 23170u16;
        let blocks = usize::from(side).div_ceil(8).pow(2);
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xDB, 0, 67, 0];
        v.extend([1u8; 64]);
        v.extend([0xFF, 0xC2, 0, 11, 8]);
        v.extend(side.to_be_bytes());
        v.extend(side.to_be_bytes());
        v.extend([1, 1, 0x11, 0]);
        // DC table 0: one code of one bit, for category 0.
        v.extend([0xFF, 0xC4, 0, 20, 0x00, 1]);
        v.extend([0u8; 15]);
        v.push(0);
        v.extend([0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 0, 0]);
        v.extend(std::iter::repeat_n(0u8, blocks.div_ceil(8)));
        v.extend([0xFF, 0xD9]);
        let e = JpegPage::for_tiff(v.clone()).unwrap_err().to_string();
        assert!(e.contains("MiB to be rewritten"), "{e}");
        let page = JpegPage::for_pdf(v.clone()).unwrap();
        assert!(page.data == v && !page.made_baseline);
    }

    /// Four components (CMYK) are a PDF page's, not a TIFF page's: the headers read,
    /// and `jpeg_frame` (TIFF) refuses them with the way out.
    #[test]
    fn four_component_frames_are_for_pdf_only() {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 20, 8, 0, 4, 0, 5, 4];
        v.extend_from_slice(&[1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
        assert_eq!(jpeg_info(&v).unwrap().components, 4);
        let e = crate::codec::jpeg_frame(&v).unwrap_err().to_string();
        assert!(
            e.contains("4 components (CMYK)") && e.contains("PDF"),
            "{e}"
        );
        v[11] = 2;
        let e = jpeg_info(&v).unwrap_err().to_string();
        assert!(e.contains("2 components"), "{e}");
    }
}

//! The structure of a JPEG stream, read once for every user: the frame header, the
//! density and orientation the file states (JFIF APP0, EXIF APP1), the Adobe APP14
//! transform, where the primary image ends, and whether its scans are whole.
//!
//! One walk over the segments serves the passthrough pages of every container
//! ([`super::check`]), JPEG files as pages (`input::jpeg`) and
//! [`jpeg_frame`](super::jpeg_frame). It reads as libjpeg does where libjpeg is
//! lenient and readers agree: bytes between segments that are not a marker are
//! skipped (libjpeg and Pillow warn "extraneous bytes before marker" and decode), fill
//! bytes (FF FF) are skipped, and the image ends at the first EOI after a scan: what
//! follows (trailing junk, the gain-map image of an Ultra HDR file) is no part of it.

use std::ops::Range;

/// Largest frame side libjpeg accepts (`JPEG_MAX_DIMENSION`); a frame header can say
/// up to 65535.
pub(crate) const MAX_SIDE: u16 = 65500;

/// One component of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Component {
    /// The id scans name it by.
    pub id: u8,
    /// Horizontal and vertical sampling factors (1..=4).
    pub h: u8,
    pub v: u8,
    /// Quantisation table (0..=3).
    pub tq: u8,
}

/// The frame header (SOF0, SOF1 or SOF2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub width: u16,
    pub height: u16,
    pub progressive: bool,
    /// 1 (gray), 3 (YCbCr or RGB) or 4 (CMYK or YCCK).
    pub components: Vec<Component>,
}

impl Frame {
    /// The largest sampling factors, (horizontal, vertical): the MCU is 8× these.
    pub fn max_sampling(&self) -> (u8, u8) {
        self.components
            .iter()
            .fold((1, 1), |(h, v), c| (h.max(c.h), v.max(c.v)))
    }

    /// 8×8 blocks of component `c` (as a non-interleaved scan codes them).
    fn blocks(&self, c: &Component) -> u64 {
        let (hmax, vmax) = self.max_sampling();
        let side = |len: u16, s: u8, max: u8| {
            (u64::from(len) * u64::from(s))
                .div_ceil(u64::from(max))
                .div_ceil(8)
        };
        side(self.width, c.h, hmax) * side(self.height, c.v, vmax)
    }

    /// Bytes of DCT coefficients a decoder buffers for the whole image (a progressive
    /// decode, a lossless transform): 64 two-byte coefficients per block.
    pub fn coefficient_bytes(&self) -> u64 {
        self.components.iter().map(|c| self.blocks(c) * 128).sum()
    }
}

/// What the EXIF block (APP1 "Exif") says that a page uses.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Exif {
    /// XResolution/YResolution in dpi.
    pub density: Option<(f64, f64)>,
    /// Orientation (1..=8) and where its SHORT value lies in the stream, so that a
    /// stream made upright can say 1.
    pub orientation: Option<(u16, usize)>,
    /// Whether the block is little-endian (for rewriting the orientation).
    pub little_endian: bool,
}

/// A JPEG stream's structure.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    pub frame: Frame,
    /// Pixels per inch from JFIF APP0 (units 1 or 2).
    pub jfif_density: Option<(f64, f64)>,
    pub exif: Option<Exif>,
    /// The Adobe APP14 transform flag (0: RGB or CMYK, 1: YCbCr, 2: YCCK).
    pub adobe_transform: Option<u8>,
    /// Bytes of the primary image: just past its EOI (for a headers-only read, just
    /// past the frame header).
    pub end: usize,
    /// Bytes between segments that are no marker (libjpeg skips them with a warning).
    pub junk: Vec<Range<usize>>,
    /// Segments no page needs (APP1..APP13, APP15, COM: EXIF, XMP, ICC profiles,
    /// comments), whole, marker included.
    pub metadata: Vec<Range<usize>>,
}

impl Stream {
    /// The primary image without the bytes between segments libjpeg would skip: the
    /// stream readers decode without a warning.
    pub fn clean<'a>(&self, data: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        self.without(data, &self.junk)
    }

    /// The primary image without the junk and the metadata segments.
    pub fn without_metadata(&self, data: &[u8]) -> Vec<u8> {
        let mut drop = [&self.junk[..], &self.metadata[..]].concat();
        drop.sort_by_key(|r| r.start);
        self.without(data, &drop).into_owned()
    }

    fn without<'a>(&self, data: &'a [u8], drop: &[Range<usize>]) -> std::borrow::Cow<'a, [u8]> {
        let image = &data[..self.end];
        if drop.is_empty() {
            return std::borrow::Cow::Borrowed(image);
        }
        let mut out = Vec::with_capacity(image.len());
        let mut at = 0;
        for r in drop {
            out.extend_from_slice(&image[at..r.start]);
            at = r.end;
        }
        out.extend_from_slice(&image[at..]);
        std::borrow::Cow::Owned(out)
    }
}

/// How far [`parse`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Up to the frame header: size, components, and what segments before it say
    /// (density, orientation, Adobe transform), as every encoder writes them.
    Headers,
    /// Every scan to the EOI, checking that the image is whole.
    Whole,
}

/// Reads a baseline, extended or progressive JPEG stream. Lossless, hierarchical and
/// arithmetic-coded frames, frames of other than 8 bits or of 2 components, and a
/// height given later by DNL are errors (readers of TIFF and PDF pages do not take
/// them reliably). With [`Depth::Whole`], the scans must be whole: quantisation tables
/// for every component, entropy-coded data in each scan, enough of it for the frame's
/// size (a DC scan codes every block in at least one bit, so a stream too short for
/// its stated size is cut or lying, and is refused before anyone allocates for it),
/// and an EOI.
pub(crate) fn parse(data: &[u8], depth: Depth) -> Result<Stream, String> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return Err("do not start with a JPEG SOI marker (FF D8)".into());
    }
    let mut s = Stream {
        frame: Frame {
            width: 0,
            height: 0,
            progressive: false,
            components: Vec::new(),
        },
        jfif_density: None,
        exif: None,
        adobe_transform: None,
        end: 0,
        junk: Vec::new(),
        metadata: Vec::new(),
    };
    let mut have_frame = false;
    let mut quant_defined = [false; 4];
    let mut scans = 0u32;
    let mut i = 2;
    loop {
        // Junk before a marker: skipped, as libjpeg does.
        if data.get(i).is_some_and(|&b| b != 0xFF) {
            let start = i;
            while data.get(i).is_some_and(|&b| b != 0xFF) {
                i += 1;
            }
            s.junk.push(start..i);
        }
        let Some(&m) = data.get(i + 1) else {
            return Err(if scans == 0 && !have_frame {
                "no frame header (SOF0/SOF1/SOF2) before the end".into()
            } else {
                "the data end without an EOI marker (FF D9)".into()
            });
        };
        match m {
            0xFF => {
                i += 1; // fill byte
                continue;
            }
            0xD9 if scans == 0 => {
                return Err(if have_frame {
                    "the EOI marker comes before any scan (SOS)".into()
                } else {
                    "no frame header (SOF0/SOF1/SOF2) before the scan".into()
                })
            }
            0xD9 => {
                s.end = i + 2;
                return Ok(s);
            }
            0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            0xD8 => return Err(format!("a second SOI marker at byte {i}")),
            _ => {}
        }
        let len = match data.get(i + 2..i + 4) {
            Some(b) => usize::from(u16::from_be_bytes([b[0], b[1]])),
            None => return Err(format!("marker FF {m:02X} at byte {i} is cut short")),
        };
        if len < 2 {
            return Err(format!("marker FF {m:02X} at byte {i} has length {len}"));
        }
        let seg = data
            .get(i + 4..i + 2 + len)
            .ok_or_else(|| format!("marker FF {m:02X} at byte {i} runs past the end"))?;
        match m {
            0xE0 if seg.len() >= 12 && &seg[..5] == b"JFIF\0" => {
                let x = f64::from(u16::from_be_bytes([seg[8], seg[9]]));
                let y = f64::from(u16::from_be_bytes([seg[10], seg[11]]));
                s.jfif_density = match seg[7] {
                    1 if x > 0.0 && y > 0.0 => Some((x, y)),
                    2 if x > 0.0 && y > 0.0 => Some((x * 2.54, y * 2.54)),
                    _ => None,
                };
            }
            0xE1 if s.exif.is_none() && seg.len() > 6 && &seg[..6] == b"Exif\0\0" => {
                s.exif = Some(exif(&seg[6..], i + 4 + 6));
                s.metadata.push(i..i + 2 + len);
            }
            0xEE if seg.len() >= 12 && &seg[..5] == b"Adobe" => s.adobe_transform = Some(seg[11]),
            0xE1..=0xED | 0xEF | 0xFE => s.metadata.push(i..i + 2 + len),
            0xC0..=0xC2 => {
                if have_frame {
                    return Err(format!("a second frame header at byte {i}"));
                }
                s.frame = frame(seg, m == 0xC2)?;
                have_frame = true;
                if depth == Depth::Headers {
                    s.end = i + 2 + len;
                    return Ok(s);
                }
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(format!(
                    "frame type FF {m:02X} is lossless, hierarchical or arithmetic-coded JPEG"
                ))
            }
            0xDB => {
                let mut k = 0;
                while k < seg.len() {
                    let (precision, id) = (seg[k] >> 4, seg[k] & 15);
                    quant_defined[usize::from(id & 3)] = true;
                    k += 1 + if precision == 0 { 64 } else { 128 };
                }
            }
            0xDA => {
                if !have_frame {
                    return Err("no frame header (SOF0/SOF1/SOF2) before the scan".into());
                }
                if let Some(c) = s
                    .frame
                    .components
                    .iter()
                    .find(|c| !quant_defined[usize::from(c.tq & 3)])
                {
                    return Err(format!(
                        "the scan at byte {i} uses quantisation table {}, which no DQT defines",
                        c.tq
                    ));
                }
                let start = i + 2 + len;
                let end = scan_end(data, start).ok_or_else(|| {
                    format!("the scan at byte {i} is cut short: no EOI marker after it")
                })?;
                if end == start {
                    return Err(format!("the scan at byte {i} holds no data"));
                }
                let blocks = scan_min_bits(&s.frame, seg);
                let bytes = (end - start) as u64;
                if bytes.saturating_mul(8) < blocks {
                    return Err(format!(
                        "the scan at byte {i} holds {bytes} bytes, too few for the {}×{} frame it codes (at least one bit for each of its {blocks} blocks): the data are cut short or the size is false",
                        s.frame.width, s.frame.height
                    ));
                }
                scans += 1;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 2 + len;
    }
}

/// Where the entropy-coded data starting at `start` end: at the next marker other than
/// a stuffed FF 00, a fill byte or a restart marker; `None` when the data end first.
fn scan_end(data: &[u8], start: usize) -> Option<usize> {
    let mut j = start;
    loop {
        let at = j + data.get(j..)?.iter().position(|&b| b == 0xFF)?;
        match *data.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => j = at + 2,
            0xFF => j = at + 1,
            _ => return Some(at),
        }
    }
}

/// The least number of bits a scan's data take: one per block when it codes DC
/// coefficients (a first DC scan or a baseline scan codes each block in at least one
/// bit, a DC refinement scan in exactly one); AC-only scans can code runs of blocks
/// in one code, so they set no bound.
fn scan_min_bits(frame: &Frame, sos: &[u8]) -> u64 {
    let ns = usize::from(*sos.first().unwrap_or(&0));
    let Some(&ss) = sos.get(1 + 2 * ns) else {
        return 0;
    };
    if ss != 0 || ns == 0 {
        return 0;
    }
    (0..ns)
        .filter_map(|j| sos.get(1 + 2 * j))
        .filter_map(|id| frame.components.iter().find(|c| c.id == *id))
        .map(|c| frame.blocks(c))
        .sum()
}

fn frame(seg: &[u8], progressive: bool) -> Result<Frame, String> {
    if seg.len() < 6 || seg[0] != 8 {
        return Err("the frame is not 8 bits per sample".into());
    }
    let height = u16::from_be_bytes([seg[1], seg[2]]);
    let width = u16::from_be_bytes([seg[3], seg[4]]);
    let n = seg[5];
    if !matches!(n, 1 | 3 | 4) || seg.len() < 6 + 3 * usize::from(n) {
        return Err(format!(
            "the frame has {n} components; pages take 1 (gray), 3 (colour) or 4 (CMYK, PDF only)"
        ));
    }
    if height == 0 || width == 0 {
        return Err(format!(
            "the frame is {width}×{height} pixels (a height given later by DNL is not supported)"
        ));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "the frame is {width}×{height} pixels; libjpeg, which most readers decode with, takes at most {MAX_SIDE} a side"
        ));
    }
    let components: Vec<Component> = (0..usize::from(n))
        .map(|k| Component {
            id: seg[6 + 3 * k],
            h: seg[7 + 3 * k] >> 4,
            v: seg[7 + 3 * k] & 15,
            tq: seg[8 + 3 * k],
        })
        .collect();
    if let Some(c) = components
        .iter()
        .find(|c| !(1..=4).contains(&c.h) || !(1..=4).contains(&c.v))
    {
        return Err(format!(
            "the frame has a component sampled {}×{} (1 to 4 each)",
            c.h, c.v
        ));
    }
    Ok(Frame {
        width,
        height,
        progressive,
        components,
    })
}

/// The fields of an EXIF block (a TIFF structure whose first byte is at `at` in the
/// stream) that a page uses.
fn exif(tiff: &[u8], at: usize) -> Exif {
    let mut out = Exif::default();
    let le = match tiff.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return out,
    };
    out.little_endian = le;
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
    let Some(ifd) = u32_at(4).map(|v| v as usize) else {
        return out;
    };
    let n = usize::from(u16_at(ifd).unwrap_or(0));
    let (mut x, mut y, mut unit) = (None, None, 2u16);
    for k in 0..n {
        let e = ifd + 2 + 12 * k;
        let (Some(tag), Some(typ)) = (u16_at(e), u16_at(e + 2)) else {
            break;
        };
        let rational = || -> Option<f64> {
            let at = u32_at(e + 8)? as usize;
            let (num, den) = (u32_at(at)?, u32_at(at + 4)?);
            (den != 0 && num != 0).then(|| f64::from(num) / f64::from(den))
        };
        match (tag, typ) {
            (0x011A, 5) => x = rational(),
            (0x011B, 5) => y = rational(),
            (0x0128, 3) => unit = u16_at(e + 8).unwrap_or(0),
            (0x0112, 3) => {
                out.orientation = u16_at(e + 8)
                    .filter(|o| (1..=8).contains(o))
                    .map(|o| (o, at + e + 8));
            }
            _ => {}
        }
    }
    let scale = match unit {
        2 => Some(1.0),
        3 => Some(2.54),
        _ => None,
    };
    out.density = match (x, y, scale) {
        (Some(x), Some(y), Some(s)) => Some((x * s, y * s)),
        _ => None,
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DQT, SOF0 of a `w`×`h` gray frame, a scan of `scan` bytes, EOI.
    fn gray(w: u16, h: u16, scan: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xDB, 0, 67, 0];
        v.extend([1u8; 64]);
        v.extend([0xFF, 0xC0, 0, 11, 8]);
        v.extend(h.to_be_bytes());
        v.extend(w.to_be_bytes());
        v.extend([1, 1, 0x11, 0]);
        v.extend([0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
        v.extend(scan);
        v.extend([0xFF, 0xD9]);
        v
    }

    #[test]
    fn a_stream_too_short_for_its_size_is_refused_before_any_decoding() {
        // 16×16: four blocks, one byte of data is enough bits.
        assert!(parse(&gray(16, 16, &[0x12]), Depth::Whole).is_ok());
        // 40000×40000: 25 million blocks cannot be coded in one byte.
        let e = parse(&gray(40000, 40000, &[0x12]), Depth::Whole).unwrap_err();
        assert!(
            e.contains("too few") && e.contains("25000000 blocks"),
            "{e}"
        );
        // The headers alone are still readable (size, for messages).
        assert!(parse(&gray(40000, 40000, &[0x12]), Depth::Headers).is_ok());
    }

    #[test]
    fn junk_between_segments_is_skipped_and_the_image_ends_at_its_eoi() {
        let whole = gray(16, 16, &[0x12, 0xFF, 0x00, 0x34]);
        let mut v = whole[..2].to_vec();
        v.extend(b"\0junk");
        v.extend(&whole[2..]);
        v.extend(b"trailing data, or a second image");
        let s = parse(&v, Depth::Whole).unwrap();
        assert_eq!(s.junk, vec![2..7]);
        assert_eq!(s.end, whole.len() + 5);
        assert_eq!(&s.clean(&v)[..], &whole[..]);
    }

    #[test]
    fn exif_orientation_is_found_where_it_can_be_rewritten() {
        // Little-endian TIFF: IFD at 8 with Orientation 6.
        let mut t = b"II\x2a\0\x08\0\0\0\x01\0".to_vec();
        t.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        let e = exif(&t, 100);
        assert_eq!(e.orientation, Some((6, 100 + 18)));
        assert!(e.little_endian);
    }
}

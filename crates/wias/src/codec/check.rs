//! The one check of page data a device compressed, run before any container stores
//! them ([`device_page`]): the TIFF and the PDF writers both call it, so a page one
//! container refuses is not embedded by the other.
//!
//! A passthrough page is stored as it came; if it is not a whole image of the page's
//! size, readers fail on it (libtiff's `tiffcp` refuses the whole document for one bad
//! JPEG strip, PDF viewers show a grey page) and `wias inspect` cannot tell. So before
//! storing:
//! - JPEG ([`super::jpeg_stream`]): the frame matches the page (size, components, at
//!   most libjpeg's 65500 pixels a side), quantisation tables for every component,
//!   every scan holds data, enough for the frame's size, and the EOI marker follows.
//!   What is stored is the primary image only: bytes between segments (which libjpeg
//!   skips with a warning) and anything after the EOI (trailing junk, the gain-map
//!   image of an Ultra HDR file) are left out. TIFF adds its own limits: baseline or
//!   sequential frames only, chroma sampling a YCbCrSubSampling tag can state, and a
//!   strip libtiff reads whole (metadata segments are dropped to get there).
//! - G3 (1-D) and G4: a run-length decode of the whole stream that must give exactly
//!   the page's lines, each ending exactly at the page's width (G3 runs add up to it;
//!   G4 codes most changes relative to the line above and ends a line at whatever
//!   width it has, so there only a run or a change past the width is caught). Only run
//!   lengths are followed; no pixels are produced, so it costs less than decoding.

use std::borrow::Cow;
use std::sync::OnceLock;

use super::fax_tables::{BLACK, WHITE};
use super::jpeg_stream::{self, Depth, Stream};
use super::{Compression, JpegFrame};
use crate::error::{Error, Result};
use crate::geometry::PageSpec;

/// Where a device-encoded page goes: what each container takes differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// A TIFF page: G3, G4, or baseline/sequential JPEG.
    Tiff,
    /// A PDF image: G4 (`CCITTFaxDecode`) or any baseline or progressive JPEG
    /// (`DCTDecode`).
    Pdf,
}

/// A device-encoded page that passed [`device_page`]: the bytes to store (the data as
/// they came, or the primary JPEG image cut out of them) and what a JPEG frame says.
#[derive(Debug)]
pub(crate) struct DevicePage<'a> {
    pub data: Cow<'a, [u8]>,
    pub jpeg: Option<JpegFrame>,
    /// A CMYK (or YCCK) JPEG with an Adobe APP14 marker, whose samples are stored
    /// inverted (0 = full ink), as Photoshop, libjpeg and Pillow write them: a PDF
    /// says so with `/Decode [1 0 1 0 1 0 1 0]`, as img2pdf does.
    pub inverted_cmyk: bool,
}

/// Checks page data a device compressed as a page of `spec` in `container`, and
/// returns what the container stores. Every container calls this, once per page.
pub(crate) fn device_page<'a>(
    spec: &PageSpec,
    compression: Compression,
    data: &'a [u8],
    container: Container,
) -> Result<DevicePage<'a>> {
    spec.validate()?;
    let takes = match container {
        Container::Tiff => matches!(
            compression,
            Compression::G3 | Compression::G4 | Compression::Jpeg
        ),
        Container::Pdf => matches!(compression, Compression::G4 | Compression::Jpeg),
    };
    if !takes {
        return Err(Error::Unsupported(match container {
            Container::Tiff => format!(
                "compression {} cannot be passed through; only g3, g4 and jpeg data are",
                compression.name()
            ),
            Container::Pdf => format!(
                "a device-compressed {} {} page cannot go into a PDF as it is (G4 bilevel and JPEG gray8/rgb24 pages can)",
                compression.name(),
                spec.pixel
            ),
        }));
    }
    compression.check(spec.pixel)?;
    if data.is_empty() {
        return Err(Error::invalid(
            "page data",
            "0 bytes",
            format!("a {} page needs its compressed data", compression.name()),
        ));
    }
    let bad = |why: String| {
        Error::invalid(
            match compression {
                Compression::G3 => "G3 page data",
                Compression::G4 => "G4 page data",
                _ => "JPEG page data",
            },
            format!("{} bytes", data.len()),
            why,
        )
    };
    if compression != Compression::Jpeg {
        let g4 = compression == Compression::G4;
        fax_complete(data, spec.width, spec.lines, g4).map_err(|why| {
            bad(format!(
                "do not decode to {} lines of {} pixels: {why}",
                spec.lines, spec.width
            ))
        })?;
        return Ok(DevicePage {
            data: Cow::Borrowed(data),
            jpeg: None,
            inverted_cmyk: false,
        });
    }
    let s = jpeg_stream::parse(data, Depth::Whole).map_err(bad)?;
    let frame = match container {
        Container::Tiff => tiff_frame(&s).map_err(bad)?,
        Container::Pdf => any_frame(&s).map_err(bad)?,
    };
    // A colour page may be CMYK in a PDF (DeviceCMYK); TIFF refused it above.
    let components = match (spec.pixel.samples_per_pixel(), frame.components) {
        (3, 4) => 4,
        (n, _) => n,
    };
    if (
        u32::from(frame.width),
        u32::from(frame.height),
        u32::from(frame.components),
    ) != (spec.width, spec.lines, components)
    {
        return Err(Error::invalid(
            "JPEG page data",
            format!(
                "a {}x{} frame of {} components",
                frame.width, frame.height, frame.components
            ),
            format!(
                "do not match the page: {}x{} {} ({components} components)",
                spec.width, spec.lines, spec.pixel
            ),
        ));
    }
    let mut stored = s.clean(data);
    if container == Container::Tiff {
        // libtiff cannot decode a YCbCr page with fewer lines than luma rows per
        // chroma row (a 4:2:0 page one line high: "application buffer not large
        // enough for all data").
        if frame.components == 3 && !frame.rgb && u16::from(frame.subsampling.1) > frame.height {
            return Err(bad(format!(
                "a {}-line page with chroma sampled every {} lines: libtiff cannot decode it as a TIFF page",
                frame.height, frame.subsampling.1
            )));
        }
        let limit = libtiff_strip_limit(&frame);
        if stored.len() as u64 > limit {
            // EXIF, XMP, an ICC profile, comments: libtiff would cut the strip short.
            stored = Cow::Owned(s.without_metadata(data));
        }
        if stored.len() as u64 > limit {
            return Err(bad(format!(
                "the {}×{} image takes {} bytes, more than libtiff reads of a strip that size ({limit} bytes: ten times the page's samples, plus 4096)",
                frame.width,
                frame.height,
                stored.len()
            )));
        }
    }
    Ok(DevicePage {
        data: stored,
        inverted_cmyk: frame.components == 4 && s.adobe_transform.is_some(),
        jpeg: Some(frame),
    })
}

/// What libtiff cuts a strip of more than 1 MiB to: ten times the strip's decoded
/// size plus 4096 (`TIFFFillStrip`: "Too large strip byte count ... Limiting to"); the
/// decoder then fails on the cut data. The decoded size is libtiff's: for YCbCr
/// (`ycbcr` subsampling given) chroma counts subsampled, as `tiffinfo -D` reads it.
/// `wias inspect` and the TIFF passthrough check share it.
pub(crate) fn libtiff_strip_cut(
    width: u64,
    rows: u64,
    samples: u64,
    bits: u64,
    ycbcr: Option<(u64, u64)>,
) -> u64 {
    let size = match ycbcr {
        Some((h, v)) if h > 0 && v > 0 => {
            let block = (h * v + 2).saturating_mul(bits).div_ceil(8);
            width
                .div_ceil(h)
                .saturating_mul(rows.div_ceil(v))
                .saturating_mul(block)
        }
        _ => width
            .saturating_mul(samples)
            .saturating_mul(bits)
            .div_ceil(8)
            .saturating_mul(rows),
    };
    size.saturating_mul(10).saturating_add(4096)
}

/// The most bytes a one-strip JPEG page of `frame` may take for libtiff to read it.
fn libtiff_strip_limit(frame: &JpegFrame) -> u64 {
    let sub = (frame.components == 3 && !frame.rgb).then_some((
        u64::from(frame.subsampling.0),
        u64::from(frame.subsampling.1),
    ));
    let (w, h, n) = (frame.width, frame.height, frame.components);
    libtiff_strip_cut(w.into(), h.into(), n.into(), 8, sub).max(1 << 20)
}

/// The frame as a PDF image takes it: 1, 3 or 4 (CMYK, YCCK) components, any
/// sampling, progressive too (at most 65500 pixels a side, as every frame
/// `jpeg_stream` reads).
fn any_frame(s: &Stream) -> std::result::Result<JpegFrame, String> {
    let f = &s.frame;
    let n = f.components.len() as u8;
    let y = f.components[0];
    Ok(JpegFrame {
        width: f.width,
        height: f.height,
        components: n,
        subsampling: (y.h, y.v),
        rgb: s.adobe_transform == Some(0),
    })
}

/// Why a CMYK JPEG is no TIFF page, and the ways out.
pub(crate) const CMYK_IN_TIFF: &str = "the frame has 4 components (CMYK): wias stores those in PDF only (as DeviceCMYK, unchanged); for TIFF convert it to RGB first (`convert in.jpg -colorspace sRGB out.jpg`)";

/// The frame as a TIFF page takes it (TIFF Compression 7): what [`any_frame`] takes,
/// baseline or sequential only, with chroma sampling a YCbCrSubSampling tag can
/// state.
pub(crate) fn tiff_frame(s: &Stream) -> std::result::Result<JpegFrame, String> {
    let mut f = any_frame(s)?;
    if f.components == 4 {
        return Err(CMYK_IN_TIFF.into());
    }
    if s.frame.progressive {
        return Err("frame type FF C2 (progressive) is not baseline or sequential JPEG".into());
    }
    if f.components == 3 {
        let [y, cb, cr] = [0, 1, 2].map(|k| s.frame.components[k]);
        let one = |c: jpeg_stream::Component| (c.h, c.v) == (1, 1);
        if !one(cb) || !one(cr) || ![1, 2, 4].contains(&y.h) || ![1, 2, 4].contains(&y.v) {
            return Err(format!(
                "chroma sampling {:?}/{:?} under luma {:?} has no TIFF YCbCrSubSampling",
                (cb.h, cb.v),
                (cr.h, cr.v),
                (y.h, y.v)
            ));
        }
    } else {
        f.subsampling = (1, 1);
    }
    Ok(f)
}

/// Why a Group 3 (1-D, `g4 = false`) or Group 4 stream does not decode to exactly
/// `lines` lines of `width` pixels.
pub(crate) fn fax_complete(data: &[u8], width: u32, lines: u32, g4: bool) -> Result<(), String> {
    let mut bits = Bits { data, pos: 0 };
    let mut reference: Vec<u32> = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    for line in 0..lines {
        let done = if g4 {
            g4_line(&mut bits, width, &reference, &mut current)
        } else {
            g3_line(&mut bits, width)
        };
        let cut = |why: String| format!("line {} of {lines}: {why}", line + 1);
        done.map_err(cut)?;
        if bits.pos > data.len() * 8 {
            return Err(cut("the data end in the middle of the line".into()));
        }
        std::mem::swap(&mut reference, &mut current);
    }
    Ok(())
}

/// Bits of a byte slice, most significant first; reads past the end give zeros (the
/// caller checks the position against the length).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    /// The next `n` (1..=24) bits.
    fn peek(&self, n: u32) -> u32 {
        let i = self.pos / 8;
        let mut w = 0u64;
        for k in 0..4 {
            w = (w << 8) | u64::from(self.data.get(i + k).copied().unwrap_or(0));
        }
        let w = w << (32 + self.pos % 8);
        (w >> (64 - n)) as u32
    }

    fn consume(&mut self, n: u32) -> Result<(), String> {
        self.pos += n as usize;
        if self.pos > self.data.len() * 8 {
            return Err("the data end in the middle of a code".into());
        }
        Ok(())
    }

    /// Skips an EOL (eleven or more zeros, then a one) if one is next.
    fn skip_eol(&mut self) -> Result<bool, String> {
        if self.peek(11) != 0 {
            return Ok(false);
        }
        while self.peek(1) == 0 {
            self.consume(1)?;
        }
        self.consume(1)?;
        Ok(true)
    }
}

/// For each colour, the run and code length of every 13-bit prefix (0 = no code).
fn run_table(black: bool) -> &'static [u32] {
    static TABLES: OnceLock<[Vec<u32>; 2]> = OnceLock::new();
    let t = TABLES.get_or_init(|| {
        [WHITE, BLACK].map(|codes| {
            let mut t = vec![0u32; 1 << 13];
            for (i, &(code, len)) in codes.iter().enumerate() {
                let run = if i < 64 {
                    i as u32
                } else {
                    (i as u32 - 63) * 64
                };
                let shift = 13 - u32::from(len);
                let first = (u32::from(code) << shift) as usize;
                for e in &mut t[first..first + (1 << shift)] {
                    *e = (run << 8) | u32::from(len);
                }
            }
            t
        })
    });
    &t[usize::from(black)]
}

/// One run of `black` or white pixels: make-up codes, then a terminating code.
fn run(bits: &mut Bits<'_>, black: bool) -> Result<u32, String> {
    let table = run_table(black);
    let mut total = 0u32;
    loop {
        let e = table[bits.peek(13) as usize];
        if e == 0 {
            return Err(format!(
                "no {} run code at bit {}",
                if black { "black" } else { "white" },
                bits.pos
            ));
        }
        bits.consume(e & 0xFF)?;
        let r = e >> 8;
        total = total.saturating_add(r);
        if r < 64 {
            return Ok(total);
        }
    }
}

/// A T.4 1-D line: an optional EOL, then alternating white and black runs that add up
/// to exactly `width`.
fn g3_line(bits: &mut Bits<'_>, width: u32) -> Result<(), String> {
    bits.skip_eol()?;
    let mut a0 = 0u32;
    let mut black = false;
    while a0 < width {
        a0 = a0.saturating_add(run(bits, black)?);
        black = !black;
    }
    if a0 > width {
        return Err(format!("its runs add up to {a0} pixels, not {width}"));
    }
    Ok(())
}

/// T.6 coding modes.
enum Mode {
    Pass,
    Horizontal,
    Vertical(i64),
}

fn mode(bits: &mut Bits<'_>) -> Result<Mode, String> {
    let p = bits.peek(7);
    let (m, len) = if p >> 6 == 1 {
        (Mode::Vertical(0), 1)
    } else if p >> 4 == 0b011 {
        (Mode::Vertical(1), 3)
    } else if p >> 4 == 0b010 {
        (Mode::Vertical(-1), 3)
    } else if p >> 4 == 0b001 {
        (Mode::Horizontal, 3)
    } else if p >> 3 == 0b0001 {
        (Mode::Pass, 4)
    } else if p >> 1 == 0b000011 {
        (Mode::Vertical(2), 6)
    } else if p >> 1 == 0b000010 {
        (Mode::Vertical(-2), 6)
    } else if p == 0b0000011 {
        (Mode::Vertical(3), 7)
    } else if p == 0b0000010 {
        (Mode::Vertical(-3), 7)
    } else if bits.peek(12) == 1 {
        return Err("the data end (EOFB) before the page's last line".into());
    } else {
        return Err(format!("no T.6 mode code at bit {}", bits.pos));
    };
    bits.consume(len)?;
    Ok(m)
}

/// A T.6 line coded against `reference` (its changing elements); its own changing
/// elements go to `current`.
fn g4_line(
    bits: &mut Bits<'_>,
    width: u32,
    reference: &[u32],
    current: &mut Vec<u32>,
) -> Result<(), String> {
    current.clear();
    let w = i64::from(width);
    let mut a0: i64 = -1;
    let mut black = false;
    while a0 < w {
        // b1: the first changing element on the reference line right of a0 whose
        // colour is opposite to a0's (changes to black have even indexes).
        let mut k = reference.partition_point(|&x| i64::from(x) <= a0);
        if k % 2 != usize::from(black) {
            k += 1;
        }
        let b1 = reference.get(k).map_or(w, |&x| i64::from(x));
        let b2 = reference.get(k + 1).map_or(w, |&x| i64::from(x));
        match mode(bits)? {
            Mode::Pass => a0 = b2,
            Mode::Horizontal => {
                let start = a0.max(0);
                let a1 = start + i64::from(run(bits, black)?);
                let a2 = a1 + i64::from(run(bits, !black)?);
                if a2 > w {
                    return Err(format!("a horizontal run ends at pixel {a2}, past {width}"));
                }
                if a1 < w {
                    current.push(a1 as u32);
                }
                if a2 < w {
                    current.push(a2 as u32);
                }
                a0 = a2;
            }
            Mode::Vertical(d) => {
                let a1 = b1 + d;
                if a1 < a0.max(0) || a1 > w || (a1 == a0 && a0 >= 0) {
                    return Err(format!(
                        "a vertical code puts a change at pixel {a1} (after {a0}, width {width})"
                    ));
                }
                if a1 < w {
                    current.push(a1 as u32);
                }
                black = !black;
                a0 = a1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{CodecSettings, Compression};
    use crate::tiff::{Options, TiffFile, TiffWriter};
    use crate::PixelType;
    use std::io::Cursor;

    /// Strips our own fax encoders wrote, for text-like rows of odd widths.
    fn encoded(c: Compression, width: u32, lines: u32) -> Vec<u8> {
        let spec = PageSpec::new(width, lines, PixelType::Bilevel);
        let row = width.div_ceil(8) as usize;
        let mut rows = vec![0xFFu8; row * lines as usize];
        for (i, b) in rows.iter_mut().enumerate() {
            if (i * 7 + i / row) % 11 < 3 {
                *b = (i * 37) as u8;
            }
        }
        let opts = Options::default()
            .codec(CodecSettings::new(c))
            .strip_bytes(usize::MAX);
        let mut doc = TiffWriter::new(Cursor::new(Vec::new()), opts).unwrap();
        doc.write_page(&spec, &rows).unwrap();
        let bytes = doc.finish().unwrap().into_inner();
        let f = TiffFile::read(&mut Cursor::new(&bytes[..])).unwrap();
        let (offs, counts) = f.directories[0].strips().unwrap();
        assert_eq!(offs.len(), 1);
        bytes[offs[0] as usize..(offs[0] + counts[0]) as usize].to_vec()
    }

    #[test]
    fn fax_streams_of_the_page_size_pass_and_others_fail() {
        for (c, g4) in [(Compression::G3, false), (Compression::G4, true)] {
            for (w, h) in [(2, 1), (37, 5), (1728, 40), (2481, 3)] {
                let data = encoded(c, w, h);
                assert_eq!(fax_complete(&data, w, h, g4), Ok(()), "{c:?} {w}x{h}");
                assert!(
                    fax_complete(&data, w, h + 1, g4).is_err(),
                    "{c:?} {w}x{h} +1 line"
                );
                // G3 runs add up to the width; G4's vertical codes are relative to the
                // line above, so only its horizontal runs pin the width down.
                if !g4 {
                    assert!(
                        fax_complete(&data, w + 1, h, g4).is_err(),
                        "{c:?} {w}x{h} +1"
                    );
                    assert!(
                        fax_complete(&data, w - 1, h, g4).is_err(),
                        "{c:?} {w}x{h} -1"
                    );
                }
                let cut = &data[..data.len() / 2];
                if h > 1 {
                    assert!(fax_complete(cut, w, h, g4).is_err(), "{c:?} {w}x{h} cut");
                }
            }
        }
        // Random bytes are not a G3 or G4 page.
        let mut x = 1u32;
        let noise: Vec<u8> = (0..4000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert!(fax_complete(&noise, 1728, 100, false).is_err());
        assert!(fax_complete(&noise, 1728, 100, true).is_err());
    }

    fn jpeg_page(data: &[u8], container: Container) -> Result<DevicePage<'_>> {
        let spec = PageSpec::new(3, 2, PixelType::Gray8);
        device_page(&spec, Compression::Jpeg, data, container)
    }

    #[test]
    #[cfg(feature = "jpeg")] // without libjpeg-turbo, JPEG is refused before this check
    fn a_jpeg_without_a_whole_scan_fails_in_every_container() {
        // SOI, SOF (1 component, table 0), EOI: the 17-byte stream of issue 9.
        let no_scan = [
            0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xFF, 0xD9,
        ];
        let mut dqt = vec![0xFF, 0xD8, 0xFF, 0xDB, 0, 67, 0];
        dqt.extend([1u8; 64]);
        let sof = [0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0];
        let sos = [0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0];
        let whole = [
            &dqt[..],
            &sof,
            &sos,
            &[0x12, 0xFF, 0x00, 0x34],
            &[0xFF, 0xD9],
        ]
        .concat();
        let empty = [&dqt[..], &sof, &sos, &[0xFF, 0xD9]].concat();
        let no_dqt = [&[0xFF, 0xD8][..], &sof, &sos, &[0x12, 0xFF, 0xD9]].concat();
        for c in [Container::Tiff, Container::Pdf] {
            let e = |d: &[u8]| jpeg_page(d, c).unwrap_err().to_string();
            assert!(e(&no_scan).contains("before any scan"));
            assert_eq!(&jpeg_page(&whole, c).unwrap().data[..], &whole[..]);
            assert!(e(&whole[..whole.len() - 2]).contains("cut short"));
            assert!(e(&empty).contains("no data"));
            assert!(e(&no_dqt).contains("quantisation table 0"));
            // Trailing data are no part of the page.
            let trailing = [&whole[..], b"junk"].concat();
            assert_eq!(&jpeg_page(&trailing, c).unwrap().data[..], &whole[..]);
        }
    }

    #[test]
    fn garbage_g4_data_fail_in_every_container() {
        let spec = PageSpec::new(1728, 100, PixelType::Bilevel);
        let noise = crate::codec::test_rows::xorshift(4000, 7, 256);
        for c in [Container::Tiff, Container::Pdf] {
            let e = device_page(&spec, Compression::G4, &noise, c).unwrap_err();
            assert!(e.to_string().contains("G4 page data"), "{e}");
        }
        let e = device_page(&spec, Compression::G3, &noise, Container::Pdf).unwrap_err();
        assert!(e.to_string().contains("cannot go into a PDF"), "{e}");
    }
}

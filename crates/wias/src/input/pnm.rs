//! Reading PNM images (netpbm's PBM, PGM and PPM, P1–P6) into page-buffer form, so that
//! pages produced by any netpbm-speaking tool can be fed to the writers.
//!
//! What comes out is what a driver would hand over (`docs/driver-rules.md`, "The page
//! buffer"): top-down rows padded to a byte, RGB order, bilevel MSB first with 0 = black,
//! 16-bit samples little-endian. PNM says the opposite in two places, so the reader
//! converts: a PBM 1 is black (the bits are inverted), and 16-bit PNM samples are
//! big-endian (the bytes are swapped).
//!
//! **Maxval.** 1..=255 gives 8-bit pages, 256..=65535 16-bit pages. A maxval other than
//! 255 or 65535 is scaled to the full range (`v × 255 / maxval`, rounded to nearest;
//! likewise for 65535), because page buffers have no maxval field and a 0..=100 sample
//! written as-is would come out nearly black. A sample above maxval is an error, not
//! clamped: the file is wrong and the user should know.
//!
//! **Hostile input.** The header is only a claim: the raster is read incrementally and
//! memory grows with the bytes that actually arrive, so a 60000 × 60000 header in a
//! 20-byte file costs nothing but an error. Pages whose raster would exceed
//! [`MAX_IMAGE_BYTES`] are refused before reading. No input panics.
//!
//! ```
//! use wias::{pnm::PnmStream, PixelType};
//! // Two images back to back, as `pnmcat`-style streams and `wias write -` take them.
//! let input: &[u8] = b"P5\n# a comment\n2 1\n255\n\x00\xffP4 3 1\n\xa0";
//! let mut stream = PnmStream::new(input);
//! let gray = stream.next_image()?.unwrap();
//! assert_eq!((gray.spec.width, gray.spec.pixel), (2, PixelType::Gray8));
//! assert_eq!(gray.rows, [0x00, 0xff]);
//! let bw = stream.next_image()?.unwrap();
//! assert_eq!(bw.spec.pixel, PixelType::Bilevel);
//! assert_eq!(bw.rows, [0b0100_0000]); // PBM 1 = black became 0 = black; padding 0
//! assert!(stream.next_image()?.is_none());
//! # Ok::<(), wias::Error>(())
//! ```

use std::io::{BufRead, ErrorKind, Read};

use crate::error::{Error, Result};
use crate::geometry::{to_usize, PageSpec};
use crate::pixel::PixelType;

/// Largest raster one image may have: what a classic TIFF page can address (4 GiB).
/// A header asking for more is refused before any data are read.
pub const MAX_IMAGE_BYTES: u64 = u32::MAX as u64;

/// Most digits a header number may have; longer is garbage, not a number.
const MAX_DIGITS: usize = 10;

/// Bytes reserved up front for a raster; beyond this the buffer grows as data arrive.
const INITIAL_RESERVE: u64 = 16 << 20;

/// The six PNM variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PnmKind {
    /// P1: PBM, ASCII digits.
    PlainBitmap,
    /// P2: PGM, ASCII numbers.
    PlainGraymap,
    /// P3: PPM, ASCII numbers.
    PlainPixmap,
    /// P4: PBM, packed bits.
    RawBitmap,
    /// P5: PGM, binary samples.
    RawGraymap,
    /// P6: PPM, binary samples.
    RawPixmap,
}

impl PnmKind {
    fn from_magic(b: u8) -> Option<Self> {
        Some(match b {
            b'1' => PnmKind::PlainBitmap,
            b'2' => PnmKind::PlainGraymap,
            b'3' => PnmKind::PlainPixmap,
            b'4' => PnmKind::RawBitmap,
            b'5' => PnmKind::RawGraymap,
            b'6' => PnmKind::RawPixmap,
            _ => return None,
        })
    }

    /// The magic number, `P1` … `P6`.
    pub fn magic(self) -> &'static str {
        match self {
            PnmKind::PlainBitmap => "P1",
            PnmKind::PlainGraymap => "P2",
            PnmKind::PlainPixmap => "P3",
            PnmKind::RawBitmap => "P4",
            PnmKind::RawGraymap => "P5",
            PnmKind::RawPixmap => "P6",
        }
    }

    fn is_bitmap(self) -> bool {
        matches!(self, PnmKind::PlainBitmap | PnmKind::RawBitmap)
    }

    fn is_plain(self) -> bool {
        matches!(
            self,
            PnmKind::PlainBitmap | PnmKind::PlainGraymap | PnmKind::PlainPixmap
        )
    }

    fn samples(self) -> u32 {
        match self {
            PnmKind::PlainPixmap | PnmKind::RawPixmap => 3,
            _ => 1,
        }
    }
}

/// One image read from a PNM stream, in page-buffer form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PnmImage {
    /// Size and pixel type (resolution is the [`PageSpec::new`] default: PNM has none).
    pub spec: PageSpec,
    /// Which PNM variant it was.
    pub kind: PnmKind,
    /// The maxval of the header (1 for bitmaps).
    pub maxval: u16,
    /// Top-down rows, the page-buffer layout of `docs/driver-rules.md`.
    pub rows: Vec<u8>,
}

/// Reads one image after another from a stream of PNM images (a single file is a stream
/// of one). After an error the stream yields nothing more.
pub struct PnmStream<R> {
    src: Source<R>,
    index: u32,
    failed: bool,
    /// The header whose raster is next in the input, not read yet.
    pending: Option<PnmHeader>,
}

/// An image's header, its raster not read yet ([`PnmStream::next_header`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PnmHeader {
    /// Size and pixel type (resolution is the [`PageSpec::new`] default).
    pub spec: PageSpec,
    /// Which PNM variant it is.
    pub kind: PnmKind,
    /// The maxval of the header (1 for bitmaps).
    pub maxval: u16,
    /// "image N (Pk WxH)", for messages.
    what: String,
}

impl PnmHeader {
    /// Whether the raster, as the input holds it, is the page buffer already: binary
    /// 8-bit samples with maxval 255 (P5, P6). Bitmaps are inverted, 16-bit samples
    /// byte-swapped, other maxvals scaled; those are read with
    /// [`PnmStream::read_rows`].
    pub fn raster_is_page_buffer(&self) -> bool {
        matches!(self.kind, PnmKind::RawGraymap | PnmKind::RawPixmap) && self.maxval == 255
    }

    /// Whether the raster is packed bilevel rows, 1 = black (P4): the rows
    /// [`crate::tiff::TiffWriter::write_bilevel_page_from`] takes as they are, the
    /// inverse of the page-buffer form [`PnmStream::read_rows`] gives.
    pub fn raster_is_black_is_one(&self) -> bool {
        self.kind == PnmKind::RawBitmap
    }
}

/// A buffer handed back with [`PnmStream::recycle`], reused for the next raster.
#[derive(Default)]
struct Spare(Vec<u8>);

impl<R: BufRead> PnmStream<R> {
    /// A stream reading from `r` (wrap files and stdin in a `BufReader`).
    pub fn new(r: R) -> Self {
        PnmStream {
            src: Source {
                r,
                pos: 0,
                spare: Spare::default(),
            },
            index: 0,
            failed: false,
            pending: None,
        }
    }

    /// Images read so far.
    pub fn images_read(&self) -> u32 {
        self.index
    }

    /// Hands back the rows of an image that has been written, so the next raw raster
    /// is read into memory that is already mapped: page after page of the same size
    /// then costs no allocation and no page faults.
    ///
    /// ```
    /// let mut s = wias::pnm::PnmStream::new(&b"P5 2 1 255\n\x01\x02P5 2 1 255\n\x03\x04"[..]);
    /// let first = s.next_image()?.unwrap();
    /// let ptr = first.rows.as_ptr();
    /// s.recycle(first.rows);
    /// let second = s.next_image()?.unwrap();
    /// assert_eq!((second.rows.as_ptr(), &second.rows[..]), (ptr, &[3u8, 4][..]));
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn recycle(&mut self, rows: Vec<u8>) {
        if rows.capacity() > self.src.spare.0.capacity() {
            self.src.spare.0 = rows;
        }
    }

    /// Takes the recycled buffer back (to hand to the stream of the next file).
    pub fn take_spare(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.src.spare.0)
    }

    /// The next image, or `None` at the end of the stream (only whitespace left).
    pub fn next_image(&mut self) -> Result<Option<PnmImage>> {
        match self.next_header()? {
            Some(_) => self.read_rows().map(Some),
            None => Ok(None),
        }
    }

    /// The next image's header, or `None` at the end of the stream; its raster comes
    /// next, with [`PnmStream::read_rows`] or [`PnmStream::with_raster`]. (A raster
    /// left unread is read and dropped first.)
    ///
    /// ```
    /// use std::io::Read;
    /// let mut s = wias::pnm::PnmStream::new(&b"P5 2 1 255\n\x01\x02P2 1 1 4 2"[..]);
    /// let h = s.next_header()?.unwrap();
    /// assert!(h.raster_is_page_buffer());
    /// let mut rows = Vec::new();
    /// s.with_raster(|r| r.read_to_end(&mut rows))?.unwrap();
    /// assert_eq!(rows, [1, 2]);
    /// let h = s.next_header()?.unwrap();
    /// assert!(!h.raster_is_page_buffer()); // plain, maxval 4
    /// assert_eq!(s.read_rows()?.rows, [128]);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn next_header(&mut self) -> Result<Option<PnmHeader>> {
        if self.pending.is_some() {
            self.read_rows()?;
        }
        if self.failed {
            return Ok(None);
        }
        let r = self.read_next();
        if r.is_err() {
            self.failed = true;
        }
        self.pending = r.as_ref().ok().cloned().flatten();
        r
    }

    /// The raster of the image [`PnmStream::next_header`] returned, in page-buffer
    /// form. An error (no header pending, a truncated raster, a sample above maxval)
    /// ends the stream.
    pub fn read_rows(&mut self) -> Result<PnmImage> {
        let Some(h) = self.pending.take() else {
            return Err(no_header());
        };
        let r = read_rows(&mut self.src, h);
        if r.is_err() {
            self.failed = true;
        } else {
            self.index += 1;
        }
        r
    }

    /// Gives `use_it` the raster of the image [`PnmStream::next_header`] returned, as
    /// the input holds it (for a header whose [`PnmHeader::raster_is_page_buffer`]
    /// these are the page's rows): a reader of exactly the raster's bytes, to copy it
    /// without a buffer of its size. If `use_it` leaves bytes of it unread (the input
    /// ended early, or it stopped), the stream ends.
    pub fn with_raster<T>(
        &mut self,
        use_it: impl FnOnce(&mut std::io::Take<&mut R>) -> T,
    ) -> Result<T> {
        let Some(h) = self.pending.take() else {
            return Err(no_header());
        };
        let total = h.spec.image_bytes(1)?;
        let mut raster = (&mut self.src.r).take(total);
        let out = use_it(&mut raster);
        let left = raster.limit();
        self.src.pos += total - left;
        if left > 0 {
            self.failed = true;
        } else {
            self.index += 1;
        }
        Ok(out)
    }

    fn read_next(&mut self) -> Result<Option<PnmHeader>> {
        // Whitespace between images is tolerated, whitespace at the end is the end.
        self.src.skip_whitespace()?;
        if self.src.peek()?.is_none() {
            if self.index == 0 {
                return Err(Error::invalid(
                    "PNM magic number",
                    "(empty input)",
                    "expected an image starting with P1..P6",
                ));
            }
            return Ok(None);
        }
        read_header(&mut self.src, self.index + 1).map(Some)
    }
}

impl<R: BufRead> Iterator for PnmStream<R> {
    type Item = Result<PnmImage>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_image().transpose()
    }
}

/// Reads exactly one image; anything but whitespace after it is an error (use
/// [`PnmStream`] for several).
///
/// ```
/// let img = wias::pnm::read_one(&b"P2 2 1 100 0 100\n"[..])?;
/// assert_eq!(img.rows, [0, 255]); // maxval 100 scaled to 255
/// assert!(wias::pnm::read_one(&b"P2 2 1 100 0 101\n"[..]).is_err());
/// # Ok::<(), wias::Error>(())
/// ```
pub fn read_one<R: BufRead>(r: R) -> Result<PnmImage> {
    let mut s = PnmStream::new(r);
    let img = s.next_image()?.expect("an empty stream is an error");
    s.src.skip_whitespace()?;
    if let Some(b) = s.src.peek()? {
        return Err(Error::invalid(
            "PNM data",
            format!("byte {:#04x} at offset {}", b, s.src.pos),
            "unexpected data after the image (several images? read them as a stream)",
        ));
    }
    Ok(img)
}

fn no_header() -> Error {
    Error::invalid(
        "PNM stream",
        "no header read",
        "a raster is read after its header (next_header)",
    )
}

/// A byte source that knows its offset, for messages.
struct Source<R> {
    r: R,
    pos: u64,
    spare: Spare,
}

impl<R: BufRead> Source<R> {
    fn peek(&mut self) -> Result<Option<u8>> {
        loop {
            match self.r.fill_buf() {
                Ok(b) => return Ok(b.first().copied()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("reading PNM input", e)),
            }
        }
    }

    fn bump(&mut self) {
        self.r.consume(1);
        self.pos += 1;
    }

    fn next_byte(&mut self) -> Result<Option<u8>> {
        let b = self.peek()?;
        if b.is_some() {
            self.bump();
        }
        Ok(b)
    }

    fn skip_whitespace(&mut self) -> Result<()> {
        while let Some(b) = self.peek()? {
            if !b.is_ascii_whitespace() {
                break;
            }
            self.bump();
        }
        Ok(())
    }

    /// Skips whitespace and `#` comments (to the end of the line).
    fn skip_separators(&mut self) -> Result<()> {
        loop {
            match self.peek()? {
                Some(b) if b.is_ascii_whitespace() => self.bump(),
                Some(b'#') => {
                    while let Some(b) = self.next_byte()? {
                        if b == b'\n' || b == b'\r' {
                            break;
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// A decimal number after whitespace and comments; `field` names it in errors.
    fn number(&mut self, field: &'static str, image: u32) -> Result<u32> {
        self.skip_separators()?;
        let start = self.pos;
        let mut v: u64 = 0;
        let mut digits = 0;
        while let Some(b) = self.peek()? {
            if !b.is_ascii_digit() {
                if digits > 0 && !b.is_ascii_whitespace() && b != b'#' {
                    return Err(Error::invalid(
                        field,
                        format!("byte {:#04x} at offset {}", b, self.pos),
                        format!("image {image}: garbage in the header where a number ends"),
                    ));
                }
                break;
            }
            digits += 1;
            if digits > MAX_DIGITS {
                return Err(Error::invalid(
                    field,
                    format!("a number of more than {MAX_DIGITS} digits at offset {start}"),
                    format!("image {image}: too large"),
                ));
            }
            v = v * 10 + u64::from(b - b'0');
            self.bump();
        }
        if digits == 0 {
            let found = match self.peek()? {
                None => "end of input".to_string(),
                Some(b) => format!("byte {:#04x} at offset {}", b, self.pos),
            };
            return Err(Error::invalid(
                field,
                found,
                format!("image {image}: expected a decimal number in the header"),
            ));
        }
        u32::try_from(v).map_err(|_| {
            Error::invalid(field, v, format!("image {image}: does not fit in 32 bits"))
        })
    }

    /// Reads exactly `n` bytes, growing the buffer only as data arrive: at most
    /// [`INITIAL_RESERVE`] bytes beyond what has been read are ever allocated.
    fn raster(&mut self, n: u64, what: &str) -> Result<Vec<u8>> {
        let mut buf = std::mem::take(&mut self.spare.0);
        buf.clear();
        let mut got = 0u64;
        while got < n {
            let chunk = (n - got).min(INITIAL_RESERVE);
            buf.try_reserve(to_usize(chunk, "PNM raster")?)
                .map_err(|_| Error::io(what.to_string(), ErrorKind::OutOfMemory.into()))?;
            // Into the reserved room, without zeroing it first (a recycled page
            // buffer would otherwise be cleared for every page).
            let k = (&mut self.r)
                .take(chunk)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(what.to_string(), e))? as u64;
            got += k;
            if k < chunk {
                break;
            }
        }
        self.pos += got;
        if got != n {
            return Err(Error::invalid(
                "PNM raster",
                format!("{got} bytes"),
                format!("{what}: truncated, {n} bytes needed"),
            ));
        }
        Ok(buf)
    }
}

/// Reads one image's header: magic number, size, maxval, and the byte that ends it.
fn read_header<R: BufRead>(src: &mut Source<R>, image: u32) -> Result<PnmHeader> {
    let kind = read_magic(src, image)?;
    let width = src.number("PNM width", image)?;
    let height = src.number("PNM height", image)?;
    positive(width, "PNM width", image)?;
    positive(height, "PNM height", image)?;
    let maxval = if kind.is_bitmap() {
        1
    } else {
        let m = src.number("PNM maxval", image)?;
        if m == 0 || m > 65535 {
            return Err(Error::invalid(
                "PNM maxval",
                m,
                format!("image {image}: must be 1..=65535"),
            ));
        }
        m
    };
    if !kind.is_plain() {
        end_of_raw_header(src, image)?;
    }
    header(kind, width, height, maxval, image)
}

/// The magic number (`P1`..`P6`) and the separator after it.
fn read_magic<R: BufRead>(src: &mut Source<R>, image: u32) -> Result<PnmKind> {
    let at = src.pos;
    let p = src.next_byte()?;
    let d = src.next_byte()?;
    let kind = match (p, d) {
        (Some(b'P'), Some(d)) => PnmKind::from_magic(d),
        _ => None,
    };
    let Some(kind) = kind else {
        let shown: Vec<String> = [p, d]
            .iter()
            .flatten()
            .map(|b| {
                if b.is_ascii_graphic() {
                    (*b as char).to_string()
                } else {
                    format!("\\x{b:02x}")
                }
            })
            .collect();
        return Err(Error::invalid(
            "PNM magic number",
            format!("{:?} at offset {at}", shown.concat()),
            format!("image {image}: not a PNM image (expected P1..P6)"),
        ));
    };
    match src.peek()? {
        Some(b) if b.is_ascii_whitespace() || b == b'#' => Ok(kind),
        other => Err(Error::invalid(
            "PNM magic number",
            format!(
                "{} followed by {}",
                kind.magic(),
                other.map_or("end of input".into(), |b| format!("byte {b:#04x}"))
            ),
            format!("image {image}: the magic number must be followed by whitespace"),
        )),
    }
}

/// A width or height, which must be at least 1.
fn positive(v: u32, field: &'static str, image: u32) -> Result<()> {
    if v == 0 {
        return Err(Error::invalid(
            field,
            0,
            format!("image {image}: must be at least 1"),
        ));
    }
    Ok(())
}

/// Exactly one whitespace byte ends the header of a raw image. A comment may take
/// its place, as netpbm's reader allows: `255# made by a scanner\n` ends at the
/// comment's end of line.
fn end_of_raw_header<R: BufRead>(src: &mut Source<R>, image: u32) -> Result<()> {
    match src.next_byte()? {
        Some(b) if b.is_ascii_whitespace() => Ok(()),
        Some(b'#') => {
            while let Some(b) = src.next_byte()? {
                if b == b'\n' || b == b'\r' {
                    break;
                }
            }
            Ok(())
        }
        other => Err(Error::invalid(
            "PNM header",
            other.map_or("end of input".into(), |b| {
                format!("byte {b:#04x} at offset {}", src.pos - 1)
            }),
            format!("image {image}: expected one whitespace byte before the raster"),
        )),
    }
}

/// The header of an image of `kind`, `width` × `height` at `maxval`: its page spec
/// (refused past [`MAX_IMAGE_BYTES`]).
fn header(kind: PnmKind, width: u32, height: u32, maxval: u32, image: u32) -> Result<PnmHeader> {
    let wide = maxval > 255;
    let pixel = match (kind.is_bitmap(), kind.samples(), wide) {
        (true, _, _) => PixelType::Bilevel,
        (false, 1, false) => PixelType::Gray8,
        (false, 1, true) => PixelType::Gray16,
        (false, _, false) => PixelType::Rgb24,
        (false, _, true) => PixelType::Rgb48,
    };
    let spec = PageSpec::new(width, height, pixel);
    let total = spec.image_bytes(1)?;
    if total > MAX_IMAGE_BYTES {
        return Err(Error::invalid(
            "PNM width x height",
            format!("{width} x {height}"),
            format!(
                "image {image}: a {pixel} raster of {total} bytes is more than the {MAX_IMAGE_BYTES} a page may have"
            ),
        ));
    }
    let what = format!("image {image} ({} {width}x{height})", kind.magic());
    Ok(PnmHeader {
        spec,
        kind,
        maxval: maxval as u16,
        what,
    })
}

/// Reads the raster of the image whose header is `h`, in page-buffer form.
fn read_rows<R: BufRead>(src: &mut Source<R>, h: PnmHeader) -> Result<PnmImage> {
    let (spec, maxval, what) = (h.spec, u32::from(h.maxval), &h.what);
    let rows = if h.kind.is_plain() {
        plain_raster(src, &spec, maxval, what)?
    } else {
        let mut data = src.raster(spec.image_bytes(1)?, what)?;
        match spec.pixel {
            PixelType::Bilevel => {
                for b in data.iter_mut() {
                    *b = !*b;
                }
                clear_padding(&mut data, spec.width, spec.row_bytes(1)? as usize);
            }
            PixelType::Gray8 | PixelType::Rgb24 => scale8(&mut data, maxval, what)?,
            PixelType::Gray16 | PixelType::Rgb48 => swap_scale16(&mut data, maxval, what)?,
        }
        data
    };
    Ok(PnmImage {
        spec,
        kind: h.kind,
        maxval: h.maxval,
        rows,
    })
}

/// Zeroes the bits past `width` at the end of each bilevel row.
fn clear_padding(data: &mut [u8], width: u32, row_bytes: usize) {
    let rem = width % 8;
    if rem == 0 {
        return;
    }
    let mask = !(0xFFu8 >> rem);
    for row in data.chunks_exact_mut(row_bytes) {
        row[row_bytes - 1] &= mask;
    }
}

fn too_big(v: u32, maxval: u32, what: &str) -> Error {
    Error::invalid("PNM sample", v, format!("{what}: exceeds maxval {maxval}"))
}

/// Scales 8-bit samples from 0..=maxval to 0..=255 (nothing to do for 255).
fn scale8(data: &mut [u8], maxval: u32, what: &str) -> Result<()> {
    if maxval == 255 {
        return Ok(());
    }
    let mut table = [0u8; 256];
    for (v, t) in table.iter_mut().enumerate().take(maxval as usize + 1) {
        *t = scale(v as u32, maxval, 255) as u8;
    }
    for b in data.iter_mut() {
        if u32::from(*b) > maxval {
            return Err(too_big(u32::from(*b), maxval, what));
        }
        *b = table[*b as usize];
    }
    Ok(())
}

/// Big-endian samples to little-endian, scaled from 0..=maxval to 0..=65535.
fn swap_scale16(data: &mut [u8], maxval: u32, what: &str) -> Result<()> {
    for s in data.chunks_exact_mut(2) {
        let v = u32::from(u16::from_be_bytes([s[0], s[1]]));
        if v > maxval {
            return Err(too_big(v, maxval, what));
        }
        let v = if maxval == 65535 {
            v
        } else {
            scale(v, maxval, 65535)
        };
        s.copy_from_slice(&(v as u16).to_le_bytes());
    }
    Ok(())
}

/// `v × full / maxval`, rounded to nearest.
fn scale(v: u32, maxval: u32, full: u32) -> u32 {
    ((u64::from(v) * u64::from(full) + u64::from(maxval) / 2) / u64::from(maxval)) as u32
}

/// Reads the ASCII raster of P1, P2 and P3 images, straight into page-buffer form.
fn plain_raster<R: BufRead>(
    src: &mut Source<R>,
    spec: &PageSpec,
    maxval: u32,
    what: &str,
) -> Result<Vec<u8>> {
    let total = spec.image_bytes(1)?;
    let mut out = Vec::new();
    out.try_reserve_exact(to_usize(total.min(INITIAL_RESERVE), "PNM raster")?)
        .map_err(|_| Error::io(what.to_string(), ErrorKind::OutOfMemory.into()))?;
    let truncated = |got: u64, need: u64| {
        Error::invalid(
            "PNM raster",
            format!("{got} samples"),
            format!("{what}: truncated, {need} samples needed"),
        )
    };
    let width = u64::from(spec.width);
    let lines = u64::from(spec.lines);
    if spec.pixel == PixelType::Bilevel {
        // P1 digits need no separator: "0110" is four pixels. Each row byte is pushed
        // only when its first pixel has arrived, so a header claiming a huge width
        // costs memory only for the digits that really follow.
        let need = width * lines;
        let mut got = 0u64;
        for _ in 0..lines {
            let row_start = out.len();
            for x in 0..spec.width as usize {
                src.skip_separators()?;
                let white = match src.next_byte()? {
                    Some(b'0') => true, // PBM 0 = white = buffer 1
                    Some(b'1') => false,
                    Some(b) => {
                        return Err(Error::invalid(
                            "PNM raster",
                            format!("byte {:#04x} at offset {}", b, src.pos - 1),
                            format!("{what}: a P1 pixel must be 0 or 1"),
                        ))
                    }
                    None => return Err(truncated(got, need)),
                };
                if x % 8 == 0 {
                    out.push(0);
                }
                if white {
                    out[row_start + x / 8] |= 0x80 >> (x % 8);
                }
                got += 1;
            }
        }
        return Ok(out);
    }
    let samples = width * u64::from(spec.pixel.samples_per_pixel()) * lines;
    let wide = spec.pixel.bits_per_sample() == 16;
    let full = if wide { 65535 } else { 255 };
    for got in 0..samples {
        src.skip_separators()?;
        if src.peek()?.is_none() {
            return Err(truncated(got, samples));
        }
        let v = src.number("PNM sample", 0).map_err(|e| match e {
            Error::InvalidArgument { value, .. } => Error::invalid(
                "PNM sample",
                value,
                format!("{what}: expected a decimal sample value"),
            ),
            e => e,
        })?;
        if v > maxval {
            return Err(too_big(v, maxval, what));
        }
        let v = if maxval == full {
            v
        } else {
            scale(v, maxval, full)
        };
        if wide {
            out.extend_from_slice(&(v as u16).to_le_bytes());
        } else {
            out.push(v as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(b: &[u8]) -> Result<PnmImage> {
        read_one(b)
    }

    fn err(b: &[u8]) -> String {
        one(b).unwrap_err().to_string()
    }

    #[test]
    fn p4_inverts_to_zero_is_black_and_clears_padding() {
        // 10 pixels: black, white x8, black; PBM 1 = black.
        let img = one(b"P4\n10 1\n\x80\x40").unwrap();
        assert_eq!(img.spec.pixel, PixelType::Bilevel);
        assert_eq!(img.rows, [0b0111_1111, 0b1000_0000]);
    }

    #[test]
    fn p1_matches_p4() {
        let plain = one(b"P1\n# c\n10 2\n1000000001\n0 1 0 0 0 0 0 0 0 0").unwrap();
        let raw = one(b"P4 10 2\n\x80\x40\x40\x00").unwrap();
        assert_eq!(plain.rows, raw.rows);
    }

    #[test]
    fn p2_p3_match_p5_p6() {
        let p2 = one(b"P2 3 1 255\n0 128 255\n").unwrap();
        let p5 = one(b"P5 3 1 255\n\x00\x80\xff").unwrap();
        assert_eq!(p2.rows, p5.rows);
        let p3 = one(b"P3 1 2 255 1 2 3 4 5 6").unwrap();
        let p6 = one(b"P6 1 2 255\n\x01\x02\x03\x04\x05\x06").unwrap();
        assert_eq!((p3.rows, p3.spec.pixel), (p6.rows, PixelType::Rgb24));
    }

    #[test]
    fn sixteen_bit_is_swapped_to_little_endian() {
        let img = one(b"P5 2 1 65535\n\x12\x34\xab\xcd").unwrap();
        assert_eq!(img.spec.pixel, PixelType::Gray16);
        assert_eq!(img.rows, [0x34, 0x12, 0xcd, 0xab]);
        let p3 = one(b"P3 1 1 65535 1 256 65535").unwrap();
        assert_eq!(p3.spec.pixel, PixelType::Rgb48);
        assert_eq!(p3.rows, [1, 0, 0, 1, 0xff, 0xff]);
    }

    #[test]
    fn odd_maxvals_are_scaled_to_full_range() {
        assert_eq!(one(b"P5 3 1 15\n\x00\x07\x0f").unwrap().rows, [0, 119, 255]);
        let img = one(b"P5 2 1 1023\n\x03\xff\x02\x00").unwrap();
        assert_eq!(img.spec.pixel, PixelType::Gray16);
        assert_eq!(img.rows, [0xff, 0xff, 0x20, 0x80]); // 1023 -> 65535, 512 -> 32800
    }

    #[test]
    fn samples_above_maxval_are_errors() {
        let e = err(b"P5 2 1 15\n\x00\x10");
        assert!(
            e.contains("PNM sample = 16") && e.contains("maxval 15"),
            "{e}"
        );
        assert!(err(b"P2 1 1 9 10").contains("exceeds maxval 9"));
    }

    #[test]
    fn several_images_back_to_back() {
        let data = b"P5 1 1 255\n\x07P6 1 1 255\n\x01\x02\x03\nP1 2 1 01\n";
        let imgs: Vec<_> = PnmStream::new(&data[..]).collect::<Result<_>>().unwrap();
        assert_eq!(imgs.len(), 3);
        assert_eq!(imgs[0].rows, [7]);
        assert_eq!(imgs[1].rows, [1, 2, 3]);
        assert_eq!(imgs[2].rows, [0b1000_0000]);
        assert!(err(b"P5 1 1 255\n\x07P5 1 1 255\n\x08").contains("after the image"));
    }

    #[test]
    fn truncated_raster_is_named() {
        let e = err(b"P5 4 4 255\n\x00\x01");
        assert!(e.starts_with("PNM raster = 2 bytes"), "{e}");
        assert!(e.contains("truncated, 16 bytes needed"), "{e}");
        assert!(err(b"P2 2 2 255 1 2 3").contains("truncated, 4 samples needed"));
        assert!(err(b"P1 3 1 0 1").contains("truncated"));
        assert!(err(b"P5 4 4").contains("PNM maxval = end of input"));
        assert!(err(b"P5 4 4 255").contains("PNM header = end of input"));
    }

    #[test]
    fn bad_magic_is_named() {
        assert!(err(b"GIF89a").starts_with("PNM magic number = \"GI\" at offset 0"));
        assert!(err(b"P7 1 1 255\n").starts_with("PNM magic number"));
        assert!(err(b"P5x 1 1").contains("followed by byte 0x78"));
        assert!(err(b"").contains("empty input"));
        assert!(err(b"P").starts_with("PNM magic number"));
    }

    #[test]
    fn a_huge_p1_width_costs_memory_only_for_the_digits_that_came() {
        // Found by fuzzing: this 16-byte file made the reader allocate a 500 MB row.
        let e = err(b"P1 3999999999 1\n0");
        assert!(e.contains("truncated"), "{e}");
        let img = one(b"P1 11 2\n0101010101 1\n00000000000").unwrap();
        assert_eq!(img.rows, [0b1010_1010, 0b1000_0000, 0xFF, 0b1110_0000]);
    }

    #[test]
    fn zero_and_huge_dimensions_are_refused_without_allocating() {
        assert!(err(b"P5 0 5 255\n").starts_with("PNM width = 0"));
        assert!(err(b"P5 5 0 255\n").starts_with("PNM height = 0"));
        // 4 GiB + : refused from the header alone.
        let e = err(b"P6 65535 65535 255\n\x00");
        assert!(e.starts_with("PNM width x height = 65535 x 65535"), "{e}");
        assert!(err(b"P5 99999999999 1 255\n").contains("more than 10 digits"));
        assert!(err(b"P5 4294967296 1 255\n").contains("does not fit in 32 bits"));
        // Under the cap but far beyond the data: memory follows the data, not the header.
        let e = err(b"P5 60000 60000 255\n\x00\x01\x02");
        assert!(e.contains("3 bytes") && e.contains("truncated"), "{e}");
    }

    #[test]
    fn maxval_out_of_range() {
        assert!(err(b"P5 1 1 0\n\x00").starts_with("PNM maxval = 0"));
        assert!(err(b"P5 1 1 65536\n\x00").starts_with("PNM maxval = 65536"));
    }

    #[test]
    fn garbage_in_headers() {
        assert!(err(b"P5 12x 1 255\n").starts_with("PNM width = byte 0x78"));
        assert!(err(b"P5 -1 1 255\n").starts_with("PNM width = byte 0x2d"));
        assert!(err(b"P5 1 1 255x").starts_with("PNM maxval = byte 0x78"));
        assert!(err(b"P5 1 1 255").contains("PNM header"));
        assert!(err(b"P2 2 1 255 1 z").contains("expected a decimal sample"));
        assert!(err(b"P1 2 1 0 2").contains("must be 0 or 1"));
    }

    #[test]
    fn comments_anywhere_in_the_header() {
        let img = one(b"P5#a\n#b\n 2 # w\n1#h\n255\n\x01\x02").unwrap();
        assert_eq!((img.spec.width, img.spec.lines), (2, 1));
        assert_eq!(img.rows, [1, 2]);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x = 0x1234_5678u32;
        for len in 0..400usize {
            let mut data = b"P5 3 2 255\n".to_vec();
            for i in 0..len % 40 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                data.push(x as u8);
                if i == 0 {
                    data[1] = b'1' + (x % 6) as u8;
                }
            }
            if len % 3 == 0 {
                let k = len % data.len();
                data[k] = (x >> 8) as u8;
            }
            let _ = PnmStream::new(&data[..]).take(5).count();
        }
    }
}

//! From page rows to the pieces of one TIFF page: encoded strips (in parallel) and the
//! page's tags. Shared by the seekable and the streaming writers, which differ only in
//! where the pieces go.

use std::borrow::Cow;
use std::io::Read;
use std::sync::{Mutex, PoisonError};

use super::ifd::Ifd;
use super::layout::{EncodedPage, PageData};
use super::options::{DateTime, Options};
use super::tags::{tag, Photometric, PlanarConfiguration, ResolutionUnit, Value};
use crate::codec::strips::{encode_chunks, encode_chunks_each, encode_strips_each, StripSource};
use crate::codec::{CodecChoice, CodecSettings, Compression, StripEncoder, StripForm, StripLayout};
use crate::error::{Error, Result};
use crate::geometry::{to_usize, PageSpec};
use crate::pixel::PixelType;

/// The strip encoder of the last page's pixel type, kept so that a document of pages
/// alike builds its encoder (tables, per-thread state) once.
#[derive(Default)]
pub(crate) struct EncoderCache(Option<((PixelType, bool), Box<dyn StripEncoder>)>);

impl EncoderCache {
    /// The encoder for `spec`'s pages under `codec`, built unless the last page had the
    /// same pixel type (and was as tall). A one-line page is never chroma-subsampled:
    /// libtiff cannot decode a 4:2:0 JPEG strip of one line ("application buffer not
    /// large enough for all data").
    pub fn get(&mut self, codec: &CodecSettings, spec: &PageSpec) -> Result<&dyn StripEncoder> {
        let key = (spec.pixel, spec.lines < 2);
        if !matches!(&self.0, Some((k, _)) if *k == key) {
            let one_line;
            let codec = if key.1 && codec.jpeg_subsampled() {
                one_line = codec.clone().jpeg_subsampling(false);
                &one_line
            } else {
                codec
            };
            self.0 = Some((key, crate::codec::encoder_for(codec, spec.pixel)?));
        }
        Ok(self.0.as_ref().map(|(_, e)| e.as_ref()).expect("set above"))
    }
}

/// The codec `auto` stores a bilevel page of page-buffer rows (0 = black) in when the
/// page is one stream (a PDF image): the same decision as for a TIFF page, from the
/// same sample of the strips a TIFF page would have, so `auto` means one thing in
/// both containers (issue 24 item 4).
pub(crate) fn pick_bilevel(
    rows: &[u8],
    width: u32,
    lines: u32,
    row_bytes: usize,
    codec: &CodecSettings,
) -> Result<Compression> {
    let options = Options::default().codec(codec.clone());
    let rps = rows_per_strip(
        row_bytes as u64,
        lines,
        options.page_strip_bytes(PixelType::Bilevel),
        1,
    );
    // The sample is coded as TIFF stores bilevel rows: WhiteIsZero.
    let white_is_zero: Vec<u8> = rows.iter().map(|b| !b).collect();
    let chunks: Vec<&[u8]> = white_is_zero
        .chunks((rps as usize * row_bytes).max(1))
        .collect();
    let layout = StripLayout {
        width,
        rows: rps,
        pixel: PixelType::Bilevel,
        row_bytes,
    };
    super::auto::pick_from_strips(&chunks, layout, codec)
}

/// Rows per strip for `row_bytes`-byte rows: about `target` bytes, a multiple of
/// `multiple`, at least `multiple` (and, for 4:2:0 JPEG, no last strip of one line).
pub(crate) fn rows_per_strip(row_bytes: u64, lines: u32, target: usize, multiple: u32) -> u32 {
    let m = multiple.max(1);
    let rows = (target as u64 / row_bytes.max(1)).max(1);
    let rows = rows.div_ceil(u64::from(m)) * u64::from(m);
    let mut rows = rows
        .min(u64::from(lines).div_ceil(u64::from(m)) * u64::from(m))
        .max(1);
    // Strips of 4:2:0 JPEG (16-row multiples) never end the page with a strip of one
    // line, which libtiff cannot decode: such a page takes a taller strip.
    while m % 16 == 0 && u64::from(lines) > rows && u64::from(lines) % rows == 1 {
        rows += u64::from(m);
    }
    // At most `lines` rounded up to a multiple of m: a u32 unless that rounding passes it.
    u32::try_from(rows).unwrap_or(u32::MAX / m * m)
}

/// Inverts bilevel rows: page buffers say 0 = black, TIFF pages we write are
/// WhiteIsZero (1 = black), the form fax codecs and most readers expect. The unused
/// bits at the end of each row are cleared (white): whatever the buffer held there,
/// runs then stay unbroken and PackBits/LZW/Deflate strips stay as small as they can.
fn invert(data: &[u8], width: u32, row_len: usize) -> Result<Vec<u8>> {
    let mut out = page_buffer(data.len(), "the inverted bilevel page")?;
    out.extend(data.iter().map(|b| !b));
    let rem = width % 8;
    if rem != 0 && row_len > 0 {
        let keep = !(0xFFu8 >> rem);
        for row in out.chunks_exact_mut(row_len) {
            row[row_len - 1] &= keep;
        }
    }
    Ok(out)
}

/// Brings bilevel rows to the form TIFF pages store (1 = black, as [`invert`]):
/// inverted unless they are in that form already, the unused bits at the end of
/// each row cleared (white) either way.
fn stored_bilevel(rows: &mut [u8], form: BilevelRows, width: u32, row_len: usize) {
    if form == BilevelRows::BlackIsZero {
        rows.iter_mut().for_each(|b| *b = !*b);
    }
    let rem = width % 8;
    if rem != 0 && row_len > 0 {
        let keep = !(0xFFu8 >> rem);
        for row in rows.chunks_exact_mut(row_len) {
            row[row_len - 1] &= keep;
        }
    }
}

/// An empty buffer with room for `len` bytes, or an out-of-memory error (mapped to
/// `E_OUTOFMEMORY`) instead of the abort a failed page-sized allocation would be.
fn page_buffer(len: usize, what: &str) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        Error::io(
            format!("allocating {len} bytes for {what}"),
            std::io::ErrorKind::OutOfMemory.into(),
        )
    })?;
    Ok(v)
}

/// What every way of encoding a page starts from: the checked rows in the form the
/// file stores (bilevel inverted), cut into strips, and the codec that will take them.
struct PagePlan<'a> {
    source: Cow<'a, [u8]>,
    strip_len: usize,
    layout: StripLayout,
    auto: bool,
    resolved: Compression,
}

impl PagePlan<'_> {
    fn chunks(&self) -> Vec<&[u8]> {
        self.source.chunks(self.strip_len).collect()
    }
}

/// Checks `data` against `spec` and plans its strips.
fn plan_page<'a>(
    spec: &PageSpec,
    data: &'a [u8],
    options: &Options,
    encoder: &dyn StripEncoder,
) -> Result<PagePlan<'a>> {
    spec.validate()?;
    let row_bytes = spec.row_bytes(1)?;
    let expected = spec.image_bytes(1)?;
    if data.len() as u64 != expected {
        return Err(Error::WrongDataLength {
            expected,
            got: data.len() as u64,
            detail: format!(
                "{} lines of {} bytes for {} pixels of {}",
                spec.lines, row_bytes, spec.width, spec.pixel
            ),
        });
    }
    let row_len = to_usize(row_bytes, "row")?;
    let source: Cow<'a, [u8]> = if spec.pixel.is_bilevel() {
        Cow::Owned(invert(data, spec.width, row_len)?)
    } else {
        Cow::Borrowed(data)
    };
    let (layout, strip_len) = plan_layout(spec, options, encoder.rows_multiple())?;
    Ok(PagePlan {
        source,
        strip_len,
        layout,
        auto: is_auto(options),
        resolved: options.codec.compression.resolve(spec.pixel),
    })
}

/// Whether pages are compressed as `auto` picks.
fn is_auto(options: &Options) -> bool {
    options.codec.compression == CodecChoice::Auto
}

/// The strip layout of `spec`'s pages and the bytes of a whole strip.
fn plan_layout(
    spec: &PageSpec,
    options: &Options,
    rows_multiple: u32,
) -> Result<(StripLayout, usize)> {
    let row_bytes = spec.row_bytes(1)?;
    let row_len = to_usize(row_bytes, "row")?;
    let rps = rows_per_strip(
        row_bytes,
        spec.lines,
        options.page_strip_bytes(spec.pixel),
        rows_multiple,
    );
    let layout = StripLayout {
        width: spec.width,
        rows: rps,
        pixel: spec.pixel,
        row_bytes: row_len,
    };
    let strip_len = row_len
        .checked_mul(rps as usize)
        .ok_or_else(|| Error::SizeOverflow {
            what: "strip",
            detail: format!("{rps} rows of {row_len} bytes"),
        })?;
    Ok((layout, strip_len))
}

/// The page's IFD (every tag but the strip offsets and lengths) for strips coded
/// with `compression`.
fn page_ifd(
    spec: &PageSpec,
    index: u32,
    options: &Options,
    encoder: &dyn StripEncoder,
    plan: &PagePlan<'_>,
    compression: Compression,
) -> Ifd {
    let mut ifd = base_ifd(spec, index, plan.layout.rows, options);
    // The encoder's strip form (Predictor) only when its codec was used: `auto` may
    // have stored the page another way.
    let form = if compression == plan.resolved {
        encoder.form(spec.pixel)
    } else {
        StripForm::default()
    };
    for (t, v) in codec_tags(compression, form) {
        ifd.set(t, v);
    }
    ifd
}

/// Encodes page `index` (0-based) of `spec` from top-down rows `data`.
pub(crate) fn encode_page<'a>(
    spec: &PageSpec,
    data: &'a [u8],
    index: u32,
    options: &Options,
    encoder: &dyn StripEncoder,
) -> Result<EncodedPage<'a>> {
    let plan = plan_page(spec, data, options, encoder)?;
    let mut compression = plan.resolved;
    let (layout, auto) = (plan.layout, plan.auto);
    let chunks = plan.chunks();
    let raw = |chunks: &[&[u8]]| chunks.iter().map(|c| c.len() as u64).collect();
    let (strip_lens, strips) = if compression == Compression::None {
        (raw(&chunks), None)
    } else {
        let strips = if auto && spec.pixel.is_bilevel() {
            let many =
                |c: &[&[u8]], e: &dyn StripEncoder| encode_chunks(c, layout, &options.codec, e);
            let (picked, strips) =
                super::auto::encode_bilevel(&chunks, layout, &options.codec, encoder, &many)?;
            compression = picked;
            strips
        } else {
            encode_chunks(&chunks, layout, &options.codec, encoder)?
        };
        let total: usize = strips.iter().map(Vec::len).sum();
        if auto && total >= plan.source.len() {
            // `auto` never writes a page larger than its uncompressed form (a halftone
            // in G4, noise in Deflate): such a page is stored as it is.
            compression = Compression::None;
            (raw(&chunks), None)
        } else {
            (
                strips.iter().map(|s| s.len() as u64).collect(),
                Some(strips),
            )
        }
    };
    let ifd = page_ifd(spec, index, options, encoder, &plan, compression);
    let data = match strips {
        Some(s) => PageData::Strips(s),
        None => PageData::One(plan.source),
    };
    Ok(EncodedPage {
        data,
        strip_lens,
        ifd,
    })
}

/// Where [`stream_page`] hands a page's strips, in order, as they are encoded: the
/// writer's file, right after the strips before them.
pub(crate) trait StripSink {
    /// The next strip's bytes, to go right after the ones before it.
    fn strip(&mut self, bytes: &[u8]) -> Result<()>;
    /// Start again where the page's data began: `auto` found the encoded page no
    /// smaller than the raw one, whose strips follow.
    fn rewind(&mut self) -> Result<()>;
}

/// The rows of a page [`stream_page`] encodes: in memory (page-buffer form), or read
/// from a reader a strip at a time.
pub(crate) enum Rows<'a, R> {
    Memory(&'a [u8]),
    Reader(&'a mut R, BilevelRows),
}

/// The most bytes [`stream_page`] writes for a page of `raw` bytes in `strips`
/// strips: no codec we have grows a strip to three times its size (JPEG at quality
/// 100 on noise comes closest, about twice), plus room for each strip's codec headers.
pub(crate) fn worst_case_len(raw: u64, strips: u64) -> u64 {
    raw.saturating_mul(3)
        .saturating_add(strips.saturating_mul(1024))
        .saturating_add(64 * 1024)
}

/// Strips of `spec`'s page `index` (rows per strip as [`encode_page`] has them).
pub(crate) fn strip_count(spec: &PageSpec, options: &Options, rows_multiple: u32) -> Result<u64> {
    let row_bytes = spec.row_bytes(1)?;
    let rps = rows_per_strip(
        row_bytes,
        spec.lines,
        options.page_strip_bytes(spec.pixel),
        rows_multiple,
    );
    Ok(u64::from(spec.lines.div_ceil(rps.max(1))))
}

/// [`encode_page`] for a page the writer streams (see `route`), handing each strip to
/// `sink` as soon as it and every strip before it are encoded (a few strips wait at
/// most, whatever the page's size), instead of holding the encoded page. Rows in
/// memory are checked against `spec` before any strip goes out; rows from a reader
/// are read a strip at a time by the thread that encodes the strip (while the others
/// encode theirs), so the page is never in memory and reading overlaps encoding, and
/// an input that ends early fails the page ([`Error::WrongDataLength`]), as does a
/// failing read. Returns the page as placed data: [`PageData::Written`] with the
/// strips' lengths and the tags.
pub(crate) fn stream_page<R: Read + Send>(
    spec: &PageSpec,
    rows: Rows<'_, R>,
    index: u32,
    options: &Options,
    encoder: &dyn StripEncoder,
    sink: &mut dyn StripSink,
) -> Result<EncodedPage<'static>> {
    let mut lens = Vec::new();
    let mut each = |s: &mut Vec<u8>| {
        lens.push(s.len() as u64);
        sink.strip(s)
    };
    let (rows_per_strip, compression) = match rows {
        Rows::Memory(data) => {
            let plan = plan_page(spec, data, options, encoder)?;
            let chunks = plan.chunks();
            encode_chunks_each(&chunks, plan.layout, &options.codec, encoder, &mut each)?;
            let mut compression = plan.resolved;
            if plan.auto && lens.iter().sum::<u64>() >= plan.source.len() as u64 {
                // As in `encode_page`: such a page is stored as it is, over the
                // strips just written (no link points at them).
                sink.rewind()?;
                lens.clear();
                for c in &chunks {
                    sink.strip(c)?;
                    lens.push(c.len() as u64);
                }
                compression = Compression::None;
            }
            // The encoder's strip form (Predictor) only when its codec was used.
            (
                plan.layout.rows,
                (compression, compression == plan.resolved),
            )
        }
        Rows::Reader(r, bilevel) => {
            spec.validate()?;
            let total = spec.image_bytes(1)?;
            let (layout, strip_len) = plan_layout(spec, options, encoder.rows_multiple())?;
            let source = ReaderStrips {
                r: Mutex::new(r),
                total,
                strip_len: strip_len as u64,
                count: to_usize(total.div_ceil(strip_len.max(1) as u64), "strips")?,
                bilevel: spec.pixel.is_bilevel().then_some((
                    bilevel,
                    spec.width,
                    to_usize(spec.row_bytes(1)?, "row")?,
                )),
            };
            encode_strips_each(&source, layout, &options.codec, encoder, &mut each)?;
            let resolved = options.codec.compression.resolve(spec.pixel);
            (layout.rows, (resolved, true))
        }
    };
    let (compression, own_form) = compression;
    let form = if own_form {
        encoder.form(spec.pixel)
    } else {
        StripForm::default()
    };
    let mut ifd = base_ifd(spec, index, rows_per_strip, options);
    for (t, v) in codec_tags(compression, form) {
        ifd.set(t, v);
    }
    Ok(EncodedPage {
        data: PageData::Written(lens.iter().sum()),
        strip_lens: lens,
        ifd,
    })
}

/// The convention of bilevel rows read from a reader ([`Rows::Reader`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BilevelRows {
    /// Page-buffer form, 0 = black: inverted as read.
    BlackIsZero,
    /// 1 = black (a PBM raster, TIFF WhiteIsZero): stored as read.
    BlackIsOne,
}

/// The rows of a page read from a reader, a strip at a time.
struct ReaderStrips<'r, R> {
    r: Mutex<&'r mut R>,
    total: u64,
    strip_len: u64,
    count: usize,
    /// For a bilevel page: the rows' convention, the width and the row length, to
    /// bring each strip to the stored form (1 = black, padding bits white).
    bilevel: Option<(BilevelRows, u32, usize)>,
}

impl<R: Read + Send> StripSource for ReaderStrips<'_, R> {
    fn count(&self) -> usize {
        self.count
    }
    fn strip(&self, i: usize, mut buf: Vec<u8>) -> Result<Cow<'_, [u8]>> {
        let at = i as u64 * self.strip_len;
        let len = to_usize(self.strip_len.min(self.total - at), "strip")?;
        buf.clear();
        buf.try_reserve_exact(len).map_err(|_| {
            Error::io(
                format!("allocating {len} bytes for a strip"),
                std::io::ErrorKind::OutOfMemory.into(),
            )
        })?;
        buf.resize(len, 0);
        let mut r = self.r.lock().unwrap_or_else(PoisonError::into_inner);
        let got =
            read_full(&mut **r, &mut buf).map_err(|e| Error::io("reading the page's rows", e))?;
        if got < len {
            return Err(short_rows(self.total, at + got as u64));
        }
        if let Some((form, width, row_len)) = self.bilevel {
            stored_bilevel(&mut buf, form, width, row_len);
        }
        Ok(Cow::Owned(buf))
    }
}

/// A page's rows that ended after `got` of `total` bytes.
pub(crate) fn short_rows(total: u64, got: u64) -> Error {
    Error::WrongDataLength {
        expected: total,
        got,
        detail: "the input is truncated: it ended before the page did".into(),
    }
}

/// Fills `buf` from `r`, stopping early only at the end of the input.
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// An uncompressed page of `spec` whose rows are stored as they come (no bilevel
/// inversion): its tags and strip lengths, with [`PageData::Written`] for the rows
/// the caller puts in place.
pub(crate) fn raw_page(
    spec: &PageSpec,
    index: u32,
    options: &Options,
) -> Result<EncodedPage<'static>> {
    spec.validate()?;
    let total = spec.image_bytes(1)?;
    let (layout, strip_len) = plan_layout(spec, options, 1)?;
    let strip_len = strip_len.max(1) as u64;
    let strip_lens = (0..total.div_ceil(strip_len))
        .map(|i| strip_len.min(total - i * strip_len))
        .collect();
    let mut ifd = base_ifd(spec, index, layout.rows, options);
    for (t, v) in codec_tags(Compression::None, StripForm::default()) {
        ifd.set(t, v);
    }
    Ok(EncodedPage {
        data: PageData::Written(total),
        strip_lens,
        ifd,
    })
}

/// The tags that say how a page's strips are coded: Compression, the fax options,
/// Predictor, and for YCbCr JPEG data Photometric YCbCr (replacing the base RGB) with
/// its subsampling.
pub(super) fn codec_tags(compression: Compression, form: StripForm) -> Vec<(u16, Value)> {
    let mut tags = vec![(
        tag::COMPRESSION,
        Value::Short(vec![compression.tiff_code()]),
    )];
    match compression {
        // 1-D coding, no uncompressed mode, no fill bits.
        Compression::G3 => tags.push((tag::T4_OPTIONS, Value::Long(vec![0]))),
        Compression::G4 => tags.push((tag::T6_OPTIONS, Value::Long(vec![0]))),
        _ => {}
    }
    if form.predictor {
        tags.push((tag::PREDICTOR, Value::Short(vec![2])));
    }
    if let Some(sub) = form.ycbcr {
        tags.extend(ycbcr_tags(sub));
    }
    tags
}

/// Photometric YCbCr with its subsampling and the full-range reference (what JFIF data
/// hold), for pages whose JPEG data are YCbCr.
fn ycbcr_tags(sub: (u16, u16)) -> Vec<(u16, Value)> {
    vec![
        (tag::PHOTOMETRIC, Value::code(Photometric::YCbCr)),
        (tag::YCBCR_SUBSAMPLING, Value::Short(vec![sub.0, sub.1])),
        (
            tag::REFERENCE_BLACK_WHITE,
            Value::Rational(vec![
                (0, 1),
                (255, 1),
                (128, 1),
                (255, 1),
                (128, 1),
                (255, 1),
            ]),
        ),
    ]
}

/// The tags every page has (`docs/driver-rules.md`, "TIFF pages"), without strip offsets
/// and compression.
pub(crate) fn base_ifd(spec: &PageSpec, index: u32, rows_per_strip: u32, options: &Options) -> Ifd {
    let mut ifd = Ifd::new();
    let spp = spec.pixel.samples_per_pixel();
    ifd.set(tag::NEW_SUBFILE_TYPE, Value::Long(vec![2]));
    ifd.set(tag::IMAGE_WIDTH, Value::Long(vec![spec.width]));
    ifd.set(tag::IMAGE_LENGTH, Value::Long(vec![spec.lines]));
    ifd.set(
        tag::BITS_PER_SAMPLE,
        Value::Short(vec![spec.pixel.bits_per_sample() as u16; spp as usize]),
    );
    let photometric = match spec.pixel {
        PixelType::Bilevel => Photometric::WhiteIsZero,
        PixelType::Gray8 | PixelType::Gray16 => Photometric::BlackIsZero,
        PixelType::Rgb24 | PixelType::Rgb48 => Photometric::Rgb,
    };
    ifd.set(tag::PHOTOMETRIC, Value::code(photometric));
    ifd.set(tag::SAMPLES_PER_PIXEL, Value::Short(vec![spp as u16]));
    ifd.set(tag::ROWS_PER_STRIP, Value::Long(vec![rows_per_strip]));
    ifd.set(tag::X_RESOLUTION, Value::Rational(vec![(spec.xdpi, 1)]));
    ifd.set(tag::Y_RESOLUTION, Value::Rational(vec![(spec.ydpi, 1)]));
    ifd.set(
        tag::PLANAR_CONFIGURATION,
        Value::code(PlanarConfiguration::Chunky),
    );
    ifd.set(tag::RESOLUTION_UNIT, Value::code(ResolutionUnit::Inch));
    ifd.set(
        tag::PAGE_NUMBER,
        Value::Short(vec![
            index.min(65535) as u16,
            options
                .page_count
                .filter(|&n| n <= 65535 && index < n)
                .map_or(0, |n| n as u16),
        ]),
    );
    if let Some(s) = &options.software {
        ifd.set(tag::SOFTWARE, Value::Ascii(s.clone()));
    }
    if options.icc && spp == 3 {
        let icc = crate::pdf::srgb_profile();
        ifd.set(
            tag::ICC_PROFILE,
            Value::Raw {
                field_type: super::tags::field_type::UNDEFINED,
                count: icc.len() as u64,
                bytes: icc,
            },
        );
    }
    if let Some(s) = &options.description {
        ifd.set(tag::IMAGE_DESCRIPTION, Value::Ascii(s.clone()));
    }
    if let Some(s) = &options.artist {
        ifd.set(tag::ARTIST, Value::Ascii(s.clone()));
    }
    match &options.date_time {
        DateTime::Now => ifd.set(tag::DATE_TIME, Value::Ascii(super::options::now_tiff())),
        DateTime::Fixed(s) => ifd.set(tag::DATE_TIME, Value::Ascii(s.clone())),
        DateTime::Omit => {}
    }
    ifd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilevel_row_padding_is_written_white_whatever_the_buffer_holds() {
        // 3 pixels: black, white, black; the 5 padding bits 0 (black) in the buffer.
        let spec = PageSpec::new(3, 2, PixelType::Bilevel);
        let encoder = crate::codec::encoder_for(&CodecSettings::default(), spec.pixel).unwrap();
        let page = encode_page(
            &spec,
            &[0b0100_0000, 0b0100_0000],
            0,
            &Options::default(),
            encoder.as_ref(),
        )
        .unwrap();
        // WhiteIsZero: black = 1; padding cleared to 0 (white).
        assert_eq!(page.data.to_vec(), [0b1010_0000, 0b1010_0000]);
    }

    #[test]
    fn strips_aim_for_the_target_size() {
        assert_eq!(rows_per_strip(2481, 3508, 65536, 1), 26);
        assert_eq!(rows_per_strip(100_000, 10, 65536, 1), 1);
        assert_eq!(rows_per_strip(10, 3, 65536, 1), 3);
        assert_eq!(rows_per_strip(2481 * 3, 3508, 65536, 8), 8);
        assert_eq!(rows_per_strip(2481 * 3, 3508, 65536, 16), 16);
        // 4:2:0 JPEG: no last strip of one line (33 = 2×16 + 1; 32 leaves 1 too).
        assert_eq!(rows_per_strip(64 * 3, 33, 64 * 3 * 16, 16), 48);
        assert_eq!(rows_per_strip(64 * 3, 49, 64 * 3 * 16, 16), 32);
        assert_eq!(rows_per_strip(64 * 3, 33, 64 * 3 * 8, 8), 8);
    }
}

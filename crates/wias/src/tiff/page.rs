//! From page rows to the pieces of one TIFF page: encoded strips and the page's tags.
//! Shared by the seekable and the streaming writers, which differ only in where the
//! pieces go.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ifd::Ifd;
use super::tags::{tag, Value};
use crate::codec::{compression_tag, CodecSettings, Compression, StripEncoder, StripLayout};
use crate::error::{Error, Result};
use crate::geometry::{to_usize, PageSpec};
use crate::pixel::PixelType;

/// How `DateTime` is filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateTime {
    /// The time of writing, UTC.
    Now,
    /// A fixed string, `YYYY:MM:DD HH:MM:SS` (reproducible output).
    Fixed(String),
    /// No DateTime tag.
    Omit,
}

impl DateTime {
    /// A fixed time given in Unix seconds (UTC), e.g. from `SOURCE_DATE_EPOCH`, so that
    /// two runs over the same pages give the same bytes.
    ///
    /// ```
    /// use wias::tiff::DateTime;
    /// assert_eq!(DateTime::at_unix(0), DateTime::Fixed("1970:01:01 00:00:00".into()));
    /// ```
    pub fn at_unix(secs: i64) -> Self {
        DateTime::Fixed(tiff_time(secs))
    }
}

/// Settings of a TIFF document, shared by all its pages.
///
/// ```
/// use wias::tiff::Options;
/// let opts = Options::default().strip_bytes(128 * 1024).software(None);
/// assert_eq!(opts.strip_target(), 128 * 1024);
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    pub(crate) codec: CodecSettings,
    pub(crate) strip_bytes: usize,
    pub(crate) software: Option<String>,
    pub(crate) date_time: DateTime,
    pub(crate) max_file_size: u64,
    /// Durability, BigTIFF promotion: what the file writer does (see `writer.rs`).
    pub(crate) file: super::writer::FileSettings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            codec: CodecSettings::default(),
            strip_bytes: 64 * 1024,
            software: Some(format!("wias {}", env!("CARGO_PKG_VERSION"))),
            date_time: DateTime::Now,
            max_file_size: u64::MAX,
            file: super::writer::FileSettings::default(),
        }
    }
}

impl Options {
    /// Codec and codec settings for every page.
    pub fn codec(mut self, codec: CodecSettings) -> Self {
        self.codec = codec;
        self
    }

    /// Uncompressed bytes per strip to aim for (at least one row per strip).
    pub fn strip_bytes(mut self, n: usize) -> Self {
        self.strip_bytes = n.max(1);
        self
    }

    /// The Software tag; `None` leaves it out.
    pub fn software(mut self, s: Option<String>) -> Self {
        self.software = s;
        self
    }

    /// How DateTime is written.
    pub fn date_time(mut self, d: DateTime) -> Self {
        self.date_time = d;
        self
    }

    /// The largest file the document may grow to. A page that would end past it fails
    /// before any of its bytes are written, as a full medium (`STG_E_MEDIUMFULL`); the C
    /// ABI sets `i32::MAX` because its `LONG` IFD offsets stop there.
    pub fn max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    /// The file size limit set by [`Options::max_file_size`].
    pub fn file_size_limit(&self) -> u64 {
        self.max_file_size
    }

    /// The uncompressed strip size aimed for.
    pub fn strip_target(&self) -> usize {
        self.strip_bytes
    }

    /// The codec settings.
    pub fn codec_settings(&self) -> &CodecSettings {
        &self.codec
    }
}

/// One page, encoded, before it has a place in the file.
pub(crate) struct EncodedPage<'a> {
    /// All strips, back to back.
    pub data: Cow<'a, [u8]>,
    /// Length of each strip in `data`.
    pub strip_lens: Vec<u64>,
    /// Every tag except StripOffsets (and with StripByteCounts set).
    pub ifd: Ifd,
}

impl EncodedPage<'_> {
    /// The page's IFD with StripOffsets for data placed at `data_at`.
    pub fn ifd_at(&self, data_at: u64, big: bool) -> Ifd {
        let mut offs = Vec::with_capacity(self.strip_lens.len());
        let mut pos = data_at;
        for len in &self.strip_lens {
            offs.push(pos);
            pos += len;
        }
        let mut ifd = self.ifd.clone();
        if big {
            ifd.set(tag::STRIP_OFFSETS, Value::Long8(offs));
            ifd.set(
                tag::STRIP_BYTE_COUNTS,
                Value::Long8(self.strip_lens.clone()),
            );
        } else {
            // Callers check the file stays under 4 GiB before asking for a classic IFD.
            ifd.set(
                tag::STRIP_OFFSETS,
                Value::Long(offs.iter().map(|&o| o as u32).collect()),
            );
            ifd.set(
                tag::STRIP_BYTE_COUNTS,
                Value::Long(self.strip_lens.iter().map(|&o| o as u32).collect()),
            );
        }
        ifd
    }
}

/// The strip encoder of the last page's pixel type, kept so that a document of pages
/// alike builds its encoder (tables, per-thread state) once.
#[derive(Default)]
pub(crate) struct EncoderCache(Option<(PixelType, Box<dyn StripEncoder>)>);

impl EncoderCache {
    /// The encoder for `pixel` pages under `codec`, built unless the last page had the
    /// same pixel type.
    pub fn get(&mut self, codec: &CodecSettings, pixel: PixelType) -> Result<&dyn StripEncoder> {
        if !matches!(&self.0, Some((p, _)) if *p == pixel) {
            self.0 = Some((pixel, crate::codec::encoder_for(codec, pixel)?));
        }
        Ok(self.0.as_ref().map(|(_, e)| e.as_ref()).expect("set above"))
    }
}

/// Rows per strip for `row_bytes`-byte rows: about `target` bytes, a multiple of
/// `multiple`, at least `multiple`.
pub(crate) fn rows_per_strip(row_bytes: u64, lines: u32, target: usize, multiple: u32) -> u32 {
    let m = multiple.max(1);
    let rows = (target as u64 / row_bytes.max(1)).max(1);
    let rows = rows.div_ceil(u64::from(m)) * u64::from(m);
    rows.min(u64::from(lines).div_ceil(u64::from(m)) * u64::from(m))
        .max(1) as u32
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

/// Encodes page `index` (0-based) of `spec` from top-down rows `data`.
pub(crate) fn encode_page<'a>(
    spec: &PageSpec,
    data: &'a [u8],
    index: u32,
    options: &Options,
    encoder: &dyn StripEncoder,
) -> Result<EncodedPage<'a>> {
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
    let rps = rows_per_strip(
        row_bytes,
        spec.lines,
        options.strip_bytes,
        encoder.rows_multiple(),
    );
    let strip_len = row_len * rps as usize;
    let compression = options.codec.compression.resolve(spec.pixel);
    let (data, strip_lens) = if compression == Compression::None {
        let lens = source.chunks(strip_len).map(|c| c.len() as u64).collect();
        (source, lens)
    } else {
        let layout = StripLayout {
            width: spec.width,
            rows: rps,
            pixel: spec.pixel,
            row_bytes: row_len,
        };
        let strips = encode_strips(&source, strip_len, layout, &options.codec, encoder)?;
        let lens: Vec<u64> = strips.iter().map(|s| s.len() as u64).collect();
        let mut page = page_buffer(strips.iter().map(Vec::len).sum(), "the encoded page")?;
        strips.iter().for_each(|s| page.extend_from_slice(s));
        (Cow::Owned(page), lens)
    };
    let mut ifd = base_ifd(spec, index, rps, options);
    let (t, v) = compression_tag(compression);
    ifd.set(t, v);
    for (t, v) in encoder.tags(spec.pixel) {
        ifd.set(t, v);
    }
    Ok(EncodedPage {
        data,
        strip_lens,
        ifd,
    })
}

/// A page whose data a device already compressed (`compression` G3, G4 or JPEG), as
/// one strip, with the tags that say how to read it; the data are not decoded.
/// JPEG data are checked against `spec` (size, components) and decide Photometric.
pub(crate) fn passthrough_page<'a>(
    spec: &PageSpec,
    compression: Compression,
    data: &'a [u8],
    index: u32,
    options: &Options,
) -> Result<EncodedPage<'a>> {
    spec.validate()?;
    compression.check(spec.pixel)?;
    if data.is_empty() {
        return Err(Error::invalid(
            "page data",
            "0 bytes",
            format!("a {} page needs its compressed data", compression.name()),
        ));
    }
    let mut extra: Vec<(u16, Value)> = Vec::new();
    match compression {
        Compression::G3 => extra.push((tag::T4_OPTIONS, Value::Long(vec![0]))),
        Compression::G4 => extra.push((tag::T6_OPTIONS, Value::Long(vec![0]))),
        Compression::Jpeg => {
            let f = crate::codec::jpeg_frame(data)?;
            let components = spec.pixel.samples_per_pixel();
            if (
                u32::from(f.width),
                u32::from(f.height),
                u32::from(f.components),
            ) != (spec.width, spec.lines, components)
            {
                return Err(Error::invalid(
                    "JPEG page data",
                    format!("{}x{} with {} components", f.width, f.height, f.components),
                    format!(
                        "do not match the page: {}x{} {} ({components} components)",
                        spec.width, spec.lines, spec.pixel
                    ),
                ));
            }
            if f.components == 3 {
                if f.rgb {
                    extra.push((tag::PHOTOMETRIC, Value::Short(vec![2])));
                } else {
                    let sub = (u16::from(f.subsampling.0), u16::from(f.subsampling.1));
                    extra.extend(crate::codec::ycbcr_tags(sub));
                }
            }
        }
        other => {
            return Err(Error::Unsupported(format!(
                "compression {} cannot be passed through; only g3, g4 and jpeg data are",
                other.name()
            )))
        }
    }
    let mut ifd = base_ifd(spec, index, spec.lines, options);
    let (t, v) = compression_tag(compression);
    ifd.set(t, v);
    for (t, v) in extra {
        ifd.set(t, v);
    }
    Ok(EncodedPage {
        data: Cow::Borrowed(data),
        strip_lens: vec![data.len() as u64],
        ifd,
    })
}

/// Encodes the strips of `source` (each `strip_len` bytes, the last one shorter) on
/// up to `codec.thread_count` threads. Each strip is encoded on its own and put back in
/// page order, so the bytes do not depend on the number of threads.
fn encode_strips(
    source: &[u8],
    strip_len: usize,
    layout: StripLayout,
    codec: &CodecSettings,
    encoder: &dyn StripEncoder,
) -> Result<Vec<Vec<u8>>> {
    let chunks: Vec<&[u8]> = source.chunks(strip_len).collect();
    let encode_one = |chunk: &[u8]| -> Result<Vec<u8>> {
        let layout = StripLayout {
            rows: (chunk.len() / layout.row_bytes.max(1)) as u32,
            ..layout
        };
        let mut out = Vec::with_capacity(chunk.len() / 2 + 64);
        encoder.encode(chunk, &layout, &mut out)?;
        Ok(out)
    };
    let threads = codec.thread_count(chunks.len());
    if threads <= 1 {
        return chunks.iter().map(|c| encode_one(c)).collect();
    }
    // Workers take the next strip from a shared counter (strips differ in cost) and
    // keep (index, bytes); the results are put back in order afterwards.
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<Vec<u8>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(i) else { break };
                        let r = encode_one(chunk);
                        let failed = r.is_err();
                        mine.push((i, r));
                        if failed {
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    let mut out = Vec::with_capacity(chunks.len());
    for (i, r) in done {
        if i != out.len() {
            // A worker stopped at an error before this strip: report that error.
            break;
        }
        out.push(r?);
    }
    if out.len() != chunks.len() {
        return Err(crate::Error::Codec {
            codec: "strip encoder",
            detail: format!("only {} of {} strips were encoded", out.len(), chunks.len()),
        });
    }
    Ok(out)
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
        PixelType::Bilevel => 0,
        PixelType::Gray8 | PixelType::Gray16 => 1,
        PixelType::Rgb24 | PixelType::Rgb48 => 2,
    };
    ifd.set(tag::PHOTOMETRIC, Value::Short(vec![photometric]));
    ifd.set(tag::SAMPLES_PER_PIXEL, Value::Short(vec![spp as u16]));
    ifd.set(tag::ROWS_PER_STRIP, Value::Long(vec![rows_per_strip]));
    ifd.set(tag::X_RESOLUTION, Value::Rational(vec![(spec.xdpi, 1)]));
    ifd.set(tag::Y_RESOLUTION, Value::Rational(vec![(spec.ydpi, 1)]));
    ifd.set(tag::PLANAR_CONFIGURATION, Value::Short(vec![1]));
    ifd.set(tag::RESOLUTION_UNIT, Value::Short(vec![2]));
    ifd.set(
        tag::PAGE_NUMBER,
        Value::Short(vec![index.min(65535) as u16, 0]),
    );
    if let Some(s) = &options.software {
        ifd.set(tag::SOFTWARE, Value::Ascii(s.clone()));
    }
    match &options.date_time {
        DateTime::Now => ifd.set(tag::DATE_TIME, Value::Ascii(now_tiff())),
        DateTime::Fixed(s) => ifd.set(tag::DATE_TIME, Value::Ascii(s.clone())),
        DateTime::Omit => {}
    }
    ifd
}

/// The current UTC time as TIFF's `YYYY:MM:DD HH:MM:SS`.
fn now_tiff() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    tiff_time(secs)
}

/// Unix seconds to `YYYY:MM:DD HH:MM:SS` (proleptic Gregorian, UTC), by the
/// days-to-civil algorithm of H. Hinnant.
pub(crate) fn tiff_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
        y,
        m,
        d,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
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
        assert_eq!(&page.data[..], &[0b1010_0000, 0b1010_0000]);
    }

    #[test]
    fn tiff_time_matches_known_dates() {
        assert_eq!(tiff_time(0), "1970:01:01 00:00:00");
        assert_eq!(tiff_time(951_782_400), "2000:02:29 00:00:00");
        assert_eq!(tiff_time(1_795_610_096), "2026:11:25 12:34:56");
    }

    #[test]
    fn strips_aim_for_the_target_size() {
        assert_eq!(rows_per_strip(2481, 3508, 65536, 1), 26);
        assert_eq!(rows_per_strip(100_000, 10, 65536, 1), 1);
        assert_eq!(rows_per_strip(10, 3, 65536, 1), 3);
        assert_eq!(rows_per_strip(2481 * 3, 3508, 65536, 8), 8);
        assert_eq!(rows_per_strip(2481 * 3, 3508, 65536, 16), 16);
    }
}

//! From page rows to the pieces of one TIFF page: encoded strips (in parallel) and the
//! page's tags. Shared by the seekable and the streaming writers, which differ only in
//! where the pieces go.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ifd::Ifd;
use super::layout::{EncodedPage, PageData};
use super::options::{DateTime, Options};
use super::tags::{tag, Photometric, PlanarConfiguration, ResolutionUnit, Value};
use crate::codec::{CodecChoice, CodecSettings, Compression, StripEncoder, StripForm, StripLayout};
use crate::error::{Error, Result};
use crate::geometry::{to_usize, PageSpec};
use crate::pixel::PixelType;

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
    let rows = rows
        .min(u64::from(lines).div_ceil(u64::from(m)) * u64::from(m))
        .max(1);
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
    let auto = options.codec.compression == CodecChoice::Auto;
    let resolved = options.codec.compression.resolve(spec.pixel);
    let rps = rows_per_strip(
        row_bytes,
        spec.lines,
        options.strip_bytes_for(resolved),
        encoder.rows_multiple(),
    );
    let strip_len = row_len * rps as usize;
    let mut compression = resolved;
    let (data, strip_lens) = if compression == Compression::None {
        let lens = source.chunks(strip_len).map(|c| c.len() as u64).collect();
        (PageData::One(source), lens)
    } else {
        let layout = StripLayout {
            width: spec.width,
            rows: rps,
            pixel: spec.pixel,
            row_bytes: row_len,
        };
        let chunks: Vec<&[u8]> = source.chunks(strip_len).collect();
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
        if auto && total >= source.len() {
            // `auto` never writes a page larger than its uncompressed form (a halftone
            // in G4, noise in Deflate): such a page is stored as it is.
            compression = Compression::None;
            let lens = chunks.iter().map(|c| c.len() as u64).collect();
            (PageData::One(source), lens)
        } else {
            let lens: Vec<u64> = strips.iter().map(|s| s.len() as u64).collect();
            (PageData::Strips(strips), lens)
        }
    };
    let mut ifd = base_ifd(spec, index, rps, options);
    // The encoder's strip form (Predictor) only when its codec was used: `auto` may
    // have stored the page another way.
    let form = if compression == resolved {
        encoder.form(spec.pixel)
    } else {
        StripForm::default()
    };
    for (t, v) in codec_tags(compression, form) {
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
    let mut form = StripForm::default();
    // The stream must be a whole image of this page (codec::check).
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
    match compression {
        Compression::G3 | Compression::G4 => {
            let g4 = compression == Compression::G4;
            crate::codec::check::fax_complete(data, spec.width, spec.lines, g4).map_err(|why| {
                bad(format!(
                    "do not decode to {} lines of {} pixels: {why}",
                    spec.lines, spec.width
                ))
            })?;
        }
        Compression::Jpeg => {
            let f = crate::codec::jpeg_frame(data)?;
            crate::codec::check::jpeg_complete(data).map_err(bad)?;
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
            // RGB frames (Adobe transform 0) stay Photometric RGB, as the page says.
            if f.components == 3 && !f.rgb {
                let sub = (u16::from(f.subsampling.0), u16::from(f.subsampling.1));
                form.ycbcr = Some(sub);
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
    for (t, v) in codec_tags(compression, form) {
        ifd.set(t, v);
    }
    Ok(EncodedPage {
        data: PageData::One(Cow::Borrowed(data)),
        strip_lens: vec![data.len() as u64],
        ifd,
    })
}

/// Encodes strips `chunks` (rows of `layout`, each strip on its own) on up to
/// `codec.thread_count` threads. Each strip is put back in order, so the bytes do not
/// depend on the number of threads.
pub(crate) fn encode_chunks(
    chunks: &[&[u8]],
    layout: StripLayout,
    codec: &CodecSettings,
    encoder: &dyn StripEncoder,
) -> Result<Vec<Vec<u8>>> {
    let encode_one = |chunk: &[u8]| -> Result<Vec<u8>> {
        let layout = StripLayout {
            // A strip holds at most rows-per-strip rows, a u32.
            rows: u32::try_from(chunk.len() / layout.row_bytes.max(1)).unwrap_or(layout.rows),
            ..layout
        };
        let mut out = Vec::with_capacity(chunk.len() / 2 + 64);
        encoder.encode(chunk, &layout, &mut out)?;
        // The page's strips are kept until it is written: at their size, not at the
        // guess (half the raw strip) that saved regrowing while encoding.
        out.shrink_to_fit();
        Ok(out)
    };
    let threads = codec.thread_count(chunks.len());
    if threads <= 1 {
        return chunks.iter().map(|c| encode_one(c)).collect();
    }
    // Workers take the next strip from a shared counter (strips differ in cost) and
    // keep (index, bytes); the results are put back in order afterwards.
    let next = AtomicUsize::new(0);
    let work = || {
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
    };
    let work = &work;
    let mut done: Vec<(usize, Result<Vec<u8>>)> = std::thread::scope(|scope| {
        // This thread works too, beside threads - 1 helpers. A helper that cannot be
        // started (out of memory, a thread limit) is simply not there: the page is
        // encoded by fewer threads, never refused or aborted for it.
        let helpers: Vec<_> = (1..threads)
            .map_while(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(v) => all.extend(v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
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

/// The tags that say how a page's strips are coded: Compression, the fax options,
/// Predictor, and for YCbCr JPEG data Photometric YCbCr (replacing the base RGB) with
/// its subsampling.
fn codec_tags(compression: Compression, form: StripForm) -> Vec<(u16, Value)> {
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
        Value::Short(vec![index.min(65535) as u16, 0]),
    );
    if let Some(s) = &options.software {
        ifd.set(tag::SOFTWARE, Value::Ascii(s.clone()));
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
    }
}

//! Baseline JPEG (TIFF Compression 7) through libjpeg-turbo (the `turbojpeg` crate, which
//! builds the library from its bundled source), one self-contained JPEG stream per strip
//! (no JPEGTables), and the frame-header parser that passthrough pages use to check what
//! a scanner sent.
//!
//! RGB pages are converted to YCbCr by the encoder, so they are written Photometric
//! YCbCr (6) with the YCbCrSubSampling the frames really use: a TIFF that says RGB over
//! YCbCr JPEG data renders with wrong colours.
//!
//! Why libjpeg-turbo and not a pure-Rust encoder: `jpeg-encoder` (SIMD feature) ran at
//! ≈0.5× libjpeg-turbo's speed on one core, so even both cores left wias at 1.2–2×
//! libtiff's time; numbers in BENCHMARKS.md ("Compression").

use crate::error::{Error, Result};

/// The encoder, built only with the `jpeg` feature (the default): libjpeg-turbo needs
/// cmake and nasm to build.
#[cfg(feature = "jpeg")]
mod encoder {
    use std::cell::RefCell;

    use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

    use super::super::{StripEncoder, StripForm, StripLayout};
    use crate::error::{Error, Result};
    use crate::pixel::PixelType;

    /// Largest frame side libjpeg accepts (`JPEG_MAX_DIMENSION`).
    pub(super) const MAX_SIDE: u32 = super::super::jpeg_stream::MAX_SIDE as u32;

    /// The JPEG codec at one quality.
    ///
    /// RGB chroma is subsampled 2×2 or not as the settings say
    /// ([`crate::codec::ChromaSampling`]: by default 4:2:0 below quality 90, 4:4:4
    /// from 90, where 2×2 subsampling would cap PSNR on scanned pages with coloured
    /// text; BENCHMARKS.md).
    pub(in crate::codec) struct Jpeg {
        quality: u8,
        /// Luma samples per chroma sample, (horizontal, vertical).
        sub: (u16, u16),
        pixel: PixelType,
    }

    impl Jpeg {
        pub(in crate::codec) fn new(
            quality: u8,
            subsample: bool,
            pixel: PixelType,
        ) -> Result<Self> {
            if !(1..=100).contains(&quality) {
                return Err(Error::invalid(
                    "jpeg quality",
                    quality,
                    "must be 1 (smallest) to 100 (best)",
                ));
            }
            let sub = if subsample { (2, 2) } else { (1, 1) };
            Ok(Jpeg {
                quality,
                sub,
                pixel,
            })
        }

        /// The TurboJPEG sampling for pages of `pixel` type.
        fn subsamp(&self, pixel: PixelType) -> Subsamp {
            match (pixel, self.sub) {
                (PixelType::Gray8, _) => Subsamp::Gray,
                (_, (2, 2)) => Subsamp::Sub2x2,
                _ => Subsamp::None,
            }
        }
    }

    thread_local! {
        /// One TurboJPEG compressor per thread, kept between strips: making one allocates
        /// libjpeg's whole compressor state, and strips are small.
        static COMPRESSOR: RefCell<Option<Compressor>> = const { RefCell::new(None) };
    }

    fn codec_error(e: turbojpeg::Error) -> Error {
        Error::Codec {
            codec: "jpeg",
            detail: e.to_string(),
        }
    }

    impl StripEncoder for Jpeg {
        fn encode(&self, strip: &[u8], layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
            let too_big = |what: &'static str, v: u32| {
                Error::invalid(
                    what,
                    v,
                    format!("a JPEG frame holds at most {MAX_SIDE} pixels a side"),
                )
            };
            if layout.width > MAX_SIDE {
                return Err(too_big("width", layout.width));
            }
            if layout.rows > MAX_SIDE {
                return Err(too_big("rows per strip", layout.rows));
            }
            let format = match layout.pixel {
                PixelType::Gray8 => PixelFormat::GRAY,
                PixelType::Rgb24 => PixelFormat::RGB,
                other => {
                    return Err(Error::Unsupported(format!(
                        "compression jpeg cannot hold a {} page",
                        other.name()
                    )))
                }
            };
            let width = layout.width as usize;
            let height = layout.rows as usize;
            let need = layout.row_bytes * height;
            if layout.row_bytes < width * format.size() || strip.len() < need {
                return Err(Error::invalid(
                    "strip",
                    format!("{} bytes", strip.len()),
                    format!(
                        "{height} rows of {} bytes for {width} {} pixels",
                        layout.row_bytes, layout.pixel
                    ),
                ));
            }
            let image = Image {
                pixels: &strip[..need],
                width,
                pitch: layout.row_bytes,
                height,
                format,
            };
            COMPRESSOR.with(|cell| {
                let mut slot = cell.borrow_mut();
                let c = match &mut *slot {
                    Some(c) => c,
                    empty => empty.insert(Compressor::new().map_err(codec_error)?),
                };
                c.set_quality(i32::from(self.quality))
                    .map_err(codec_error)?;
                c.set_subsamp(self.subsamp(layout.pixel))
                    .map_err(codec_error)?;
                let jpeg = c.compress_to_owned(image).map_err(codec_error)?;
                out.extend_from_slice(&jpeg);
                Ok(())
            })
        }

        fn rows_multiple(&self) -> u32 {
            match self.pixel {
                PixelType::Gray8 => 8,
                _ => 8 * u32::from(self.sub.1),
            }
        }

        fn form(&self, pixel: PixelType) -> StripForm {
            StripForm {
                predictor: false,
                ycbcr: (pixel == PixelType::Rgb24).then_some(self.sub),
            }
        }
    }
}
#[cfg(feature = "jpeg")]
pub(super) use encoder::Jpeg;

/// What the frame header of a JPEG stream says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpegFrame {
    pub width: u16,
    pub height: u16,
    /// 1 (gray) or 3 (colour).
    pub components: u8,
    /// Luma sampling over chroma sampling, (horizontal, vertical); (1, 1) for gray.
    pub subsampling: (u8, u8),
    /// An Adobe APP14 marker says the components are RGB, not YCbCr.
    pub rgb: bool,
}

/// Reads the frame header of a baseline or extended sequential JPEG stream, as a
/// passthrough page needs it: size, components, subsampling. Progressive, lossless and
/// arithmetic-coded JPEG, which TIFF readers do not take, are errors. (Whether the
/// stream is whole is checked when a page is stored.)
///
/// ```
/// // SOI, SOF0 of a 3×2 gray frame, EOI.
/// let jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xFF, 0xD9];
/// let f = wias::codec::jpeg_frame(&jpeg)?;
/// assert_eq!((f.width, f.height, f.components), (3, 2, 1));
/// # Ok::<(), wias::Error>(())
/// ```
pub fn jpeg_frame(data: &[u8]) -> Result<JpegFrame> {
    let bad = |why: String| Error::invalid("JPEG page data", format!("{} bytes", data.len()), why);
    let s = super::jpeg_stream::parse(data, super::jpeg_stream::Depth::Headers).map_err(bad)?;
    super::check::tiff_frame(&s).map_err(bad)
}

#[cfg(all(test, feature = "jpeg"))]
mod tests {
    use super::encoder::*;
    use super::*;
    use crate::codec::{StripEncoder, StripLayout};
    use crate::pixel::PixelType;

    fn gray_strip(width: u32, rows: u32) -> (Vec<u8>, StripLayout) {
        let layout = StripLayout {
            width,
            rows,
            pixel: PixelType::Gray8,
            row_bytes: width as usize,
        };
        let data = (0..width as usize * rows as usize)
            .map(|i| (i % 251) as u8)
            .collect();
        (data, layout)
    }

    /// libjpeg's limit is 65500, not the 65535 a JPEG frame header could say: one pixel
    /// more is our error naming the width, not a failure inside the library.
    #[test]
    fn widest_frame_libjpeg_takes_is_the_limit() {
        let jpeg = Jpeg::new(90, false, PixelType::Gray8).unwrap();
        let (data, layout) = gray_strip(MAX_SIDE, 8);
        let mut out = Vec::new();
        jpeg.encode(&data, &layout, &mut out).unwrap();
        let f = jpeg_frame(&out).unwrap();
        assert_eq!(
            (u32::from(f.width), f.height, f.components),
            (MAX_SIDE, 8, 1)
        );

        let (data, layout) = gray_strip(MAX_SIDE + 1, 8);
        let e = jpeg
            .encode(&data, &layout, &mut out)
            .unwrap_err()
            .to_string();
        assert!(e.contains("width") && e.contains("65501"), "{e}");
    }

    /// A strip shorter than its layout says is an error, not a read past its end.
    #[test]
    fn short_strip_is_an_error() {
        let jpeg = Jpeg::new(90, false, PixelType::Gray8).unwrap();
        let (data, layout) = gray_strip(64, 16);
        let e = jpeg
            .encode(&data[..64 * 15], &layout, &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("strip") && e.contains("960 bytes"), "{e}");
    }
}

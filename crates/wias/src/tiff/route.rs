//! Which way a page goes into a seekable TIFF, decided from facts about the page and
//! the file alone (no I/O): the one place the writer's routes are chosen, so each can
//! be tested without a sink.

use std::io::Read;

use super::encode::BilevelRows;
use crate::codec::Compression;
use crate::error::{Error, Result};
use crate::pixel::PixelType;

/// One page as a caller hands it to [`TiffWriter`](super::TiffWriter): rows in memory,
/// rows to read, or data a device already compressed.
pub(crate) enum PageInput<'a, R> {
    /// Top-down rows in page-buffer form (bilevel 0 = black).
    Rows(&'a [u8]),
    /// The same rows read from a reader, bilevel rows in the convention given.
    Reader(&'a mut R, BilevelRows),
    /// A G3, G4 or JPEG stream of the whole page, stored as it is.
    Encoded(Compression, &'a [u8]),
}

impl<R> PageInput<'_, R> {
    fn kind(&self) -> Kind {
        match self {
            PageInput::Rows(_) => Kind::Rows,
            PageInput::Reader(..) => Kind::Reader,
            PageInput::Encoded(..) => Kind::Encoded,
        }
    }
}

/// What [`plan`] looks at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    pub kind: Kind,
    pub pixel: PixelType,
    /// The codec the page would be written with (`auto` resolved for its pixel type).
    pub compression: Compression,
    /// The codec is `auto`, which may store the page raw after encoding it (and so
    /// needs its rows twice), or samples a bilevel page before choosing.
    pub auto: bool,
    /// The file is big-endian (MM): 16-bit samples would need swapping.
    pub big_endian: bool,
    /// The header is still to be written with this page (the transfer context's
    /// first page): a refused page must leave the sink untouched, so nothing is
    /// written before every check has passed.
    pub header_pending: bool,
}

/// The kind of [`PageInput`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Rows,
    Reader,
    Encoded,
}

impl Facts {
    pub fn of<R: Read>(
        input: &PageInput<'_, R>,
        pixel: PixelType,
        codec: crate::codec::CodecChoice,
        big_endian: bool,
        header_pending: bool,
    ) -> Self {
        Facts {
            kind: input.kind(),
            pixel,
            compression: codec.resolve(pixel),
            auto: codec == crate::codec::CodecChoice::Auto,
            big_endian,
            header_pending,
        }
    }

    fn sixteen_bit(&self) -> bool {
        self.pixel.depth() % 16 == 0
    }
}

/// How a page goes into the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// Device data, placed whole with its IFD.
    Passthrough,
    /// Uncompressed rows stored as they come: copied from the reader to their place,
    /// which the page's known size fixes before anything is written.
    Copy,
    /// Strips to the file as they are encoded (from memory or read a strip at a
    /// time), the IFD after them: the encoded page is never held whole.
    Stream,
    /// Encoded whole in memory, then placed: pages that might pass a limit or make
    /// the file a BigTIFF once their size is known, bilevel pages, uncompressed rows
    /// in memory, and a pending header's first page.
    Whole,
    /// Read into memory first, then written as rows in memory (`auto`, which needs
    /// the rows twice; near a limit; 16-bit rows for a big-endian file).
    ReadFirst,
}

/// The route of a page, given `facts` and `fits`, which says whether the page, written
/// a strip at a time (its size unknown until then), surely fits every limit of the
/// file (the writer builds the page's encoder to answer, so its errors come first, as
/// they always did).
pub(crate) fn plan(f: &Facts, fits: impl FnOnce() -> Result<bool>) -> Result<Route> {
    match f.kind {
        Kind::Encoded => Ok(Route::Passthrough),
        Kind::Rows => {
            if f.big_endian && f.sixteen_bit() {
                // Samples of 16 bits are stored in the file's byte order, and the
                // predictor and codecs work on little-endian ones.
                return Err(Error::Unsupported(format!(
                    "a {} page cannot be added to a big-endian (MM) TIFF yet (1- and 8-bit pages can): tiffcp -L makes a little-endian copy",
                    f.pixel
                )));
            }
            let fits = fits()?;
            // Encoded continuous-tone pages: uncompressed ones are the caller's rows
            // already (nothing held twice); bilevel pages are small, and `auto`
            // samples them before choosing.
            let streams = !f.pixel.is_bilevel() && f.compression != Compression::None;
            Ok(if streams && fits && !f.header_pending {
                Route::Stream
            } else {
                Route::Whole
            })
        }
        Kind::Reader => {
            let stored_as_is = !f.pixel.is_bilevel() && (!f.big_endian || !f.sixteen_bit());
            if !f.header_pending && f.compression == Compression::None && stored_as_is {
                return Ok(Route::Copy);
            }
            let fits = fits()? && !f.header_pending;
            let streams = if f.pixel.is_bilevel() {
                // Any fixed codec, uncompressed too (each strip inverted or its
                // padding cleared as it is read); not `auto`, which samples the page.
                !f.auto && fits
            } else {
                f.compression != Compression::None
                    && !f.auto
                    && fits
                    && !(f.big_endian && f.sixteen_bit())
            };
            Ok(if streams {
                Route::Stream
            } else {
                Route::ReadFirst
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: Kind, pixel: PixelType, compression: Compression) -> Facts {
        Facts {
            kind,
            pixel,
            compression,
            auto: false,
            big_endian: false,
            header_pending: false,
        }
    }

    fn route(f: Facts, fits: bool) -> Route {
        plan(&f, || Ok(fits)).unwrap()
    }

    #[test]
    fn rows_in_memory_stream_when_encoded_continuous_tone_and_within_limits() {
        use Compression::*;
        let gray = |c| facts(Kind::Rows, PixelType::Gray8, c);
        assert_eq!(route(gray(Deflate), true), Route::Stream);
        assert_eq!(route(gray(Deflate), false), Route::Whole, "near a limit");
        assert_eq!(
            route(gray(None), true),
            Route::Whole,
            "the rows are the data"
        );
        let bw = facts(Kind::Rows, PixelType::Bilevel, G4);
        assert_eq!(route(bw, true), Route::Whole, "bilevel pages are small");
        let pending = Facts {
            header_pending: true,
            ..gray(Deflate)
        };
        assert_eq!(route(pending, true), Route::Whole);
        // `auto` streams from memory (the rows are there for a raw rewrite).
        let auto = Facts {
            auto: true,
            ..gray(Deflate)
        };
        assert_eq!(route(auto, true), Route::Stream);
    }

    #[test]
    fn rows_from_a_reader_are_copied_streamed_or_read_first() {
        use Compression::*;
        let reader = |p, c| facts(Kind::Reader, p, c);
        assert_eq!(route(reader(PixelType::Gray8, None), false), Route::Copy);
        assert_eq!(route(reader(PixelType::Rgb48, None), false), Route::Copy);
        // Bilevel rows are inverted or cleared as they are read: streamed, any codec.
        assert_eq!(route(reader(PixelType::Bilevel, None), true), Route::Stream);
        assert_eq!(route(reader(PixelType::Bilevel, G4), true), Route::Stream);
        assert_eq!(route(reader(PixelType::Gray8, Lzw), true), Route::Stream);
        assert_eq!(
            route(reader(PixelType::Gray8, Lzw), false),
            Route::ReadFirst
        );
        let auto = Facts {
            auto: true,
            ..reader(PixelType::Gray8, Deflate)
        };
        assert_eq!(
            route(auto, true),
            Route::ReadFirst,
            "auto needs the rows twice"
        );
        let mm16 = Facts {
            big_endian: true,
            ..reader(PixelType::Gray16, None)
        };
        assert_eq!(route(mm16, true), Route::ReadFirst, "16-bit rows to swap");
        let mm8 = Facts {
            big_endian: true,
            ..reader(PixelType::Gray8, None)
        };
        assert_eq!(route(mm8, true), Route::Copy);
        let pending = Facts {
            header_pending: true,
            ..reader(PixelType::Gray8, None)
        };
        assert_eq!(route(pending, true), Route::ReadFirst);
    }

    #[test]
    fn device_data_pass_through_and_mm_16_bit_rows_are_refused() {
        let enc = facts(Kind::Encoded, PixelType::Bilevel, Compression::G4);
        assert_eq!(
            plan(&enc, || panic!("no limit asked")).unwrap(),
            Route::Passthrough
        );
        let mm16 = Facts {
            big_endian: true,
            ..facts(Kind::Rows, PixelType::Gray16, Compression::Lzw)
        };
        let e = plan(&mm16, || panic!("refused first")).unwrap_err();
        assert!(e.to_string().contains("big-endian"), "{e}");
    }

    #[test]
    fn the_encoder_error_comes_before_any_route_but_copy() {
        let refuse = || Err(Error::Unsupported("no such codec".into()));
        let reader = facts(Kind::Reader, PixelType::Gray8, Compression::None);
        assert_eq!(plan(&reader, refuse).unwrap(), Route::Copy);
        let reader = facts(Kind::Reader, PixelType::Gray8, Compression::G4);
        assert!(plan(&reader, refuse).is_err());
        let rows = facts(Kind::Rows, PixelType::Gray8, Compression::None);
        assert!(plan(&rows, refuse).is_err());
    }
}

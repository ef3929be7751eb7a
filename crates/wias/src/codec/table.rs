//! Every codec as one row of data: its name, its TIFF `Compression` code, which pixel
//! types it holds (and why not the others), and how its strip encoder is built. The
//! methods of [`Compression`] and [`encoder_for`](super::encoder_for) read this table
//! instead of each matching on the codecs (libtiff's `tif_codec.c` is the model).

#[cfg(feature = "jpeg")]
use super::jpeg;
use super::{deflate, fax, lzw, packbits, CodecSettings, Compression, StripEncoder};
use crate::error::Result;
use crate::pixel::PixelType;

/// One codec.
pub(crate) struct CodecInfo {
    pub compression: Compression,
    /// The name on the command line and in messages.
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
    /// The TIFF `Compression` tag value written.
    pub tiff_code: u16,
    /// Other tag values read as this codec.
    pub read_codes: &'static [u16],
    /// Whether pages of a pixel type can be written with it.
    pub holds: fn(PixelType) -> bool,
    /// Why not, for the pixel types it does not hold.
    pub why_not: &'static str,
    /// Its strip encoder for pages of a pixel type it holds.
    pub encoder: fn(&CodecSettings, PixelType) -> Result<Box<dyn StripEncoder>>,
}

fn any(_: PixelType) -> bool {
    true
}

fn bilevel(p: PixelType) -> bool {
    p.is_bilevel()
}

fn eight_bit(p: PixelType) -> bool {
    matches!(p, PixelType::Gray8 | PixelType::Rgb24)
}

/// Why JPEG pages cannot be encoded in a build without libjpeg-turbo.
#[cfg(not(feature = "jpeg"))]
pub(crate) fn jpeg_off() -> crate::Error {
    crate::Error::Unsupported(
        "compression jpeg is off: this wias was built without its `jpeg` feature (libjpeg-turbo); every other codec, and JPEG data passed through from a device, still work".into(),
    )
}

const FAX_ONLY: &str = "CCITT fax compression holds only bilevel (1-bit) pages";

/// The codecs, in the order the CLI lists them.
pub(crate) const CODECS: [CodecInfo; 7] = [
    CodecInfo {
        compression: Compression::None,
        name: "none",
        aliases: &[],
        tiff_code: 1,
        read_codes: &[],
        holds: any,
        why_not: "",
        encoder: |_, _| Ok(Box::new(super::Uncompressed)),
    },
    CodecInfo {
        compression: Compression::PackBits,
        name: "packbits",
        aliases: &[],
        tiff_code: 32773,
        read_codes: &[],
        holds: any,
        why_not: "",
        encoder: |_, _| Ok(Box::new(packbits::PackBits)),
    },
    CodecInfo {
        compression: Compression::Lzw,
        name: "lzw",
        aliases: &[],
        tiff_code: 5,
        read_codes: &[],
        holds: any,
        why_not: "",
        encoder: |_, _| Ok(Box::new(lzw::Lzw)),
    },
    CodecInfo {
        compression: Compression::Deflate,
        name: "deflate",
        aliases: &["zip"],
        tiff_code: 8,
        // The old, pre-TIFF-6 Deflate code.
        read_codes: &[32946],
        holds: any,
        why_not: "",
        encoder: |s, _| Ok(Box::new(deflate::Deflate::new(s.deflate_level)?)),
    },
    CodecInfo {
        compression: Compression::G3,
        name: "g3",
        aliases: &[],
        tiff_code: 3,
        read_codes: &[],
        holds: bilevel,
        why_not: FAX_ONLY,
        encoder: |_, _| Ok(Box::new(fax::Fax::G3)),
    },
    CodecInfo {
        compression: Compression::G4,
        name: "g4",
        aliases: &[],
        tiff_code: 4,
        read_codes: &[],
        holds: bilevel,
        why_not: FAX_ONLY,
        encoder: |_, _| Ok(Box::new(fax::Fax::G4)),
    },
    CodecInfo {
        compression: Compression::Jpeg,
        name: "jpeg",
        aliases: &[],
        tiff_code: 7,
        read_codes: &[],
        holds: eight_bit,
        why_not: "baseline JPEG holds only 8-bit gray (gray8) and 8-bit RGB (rgb24) pages",
        #[cfg(feature = "jpeg")]
        encoder: |s, p| {
            Ok(Box::new(jpeg::Jpeg::new(
                s.jpeg_quality,
                s.jpeg_subsampled(),
                p,
            )?))
        },
        #[cfg(not(feature = "jpeg"))]
        encoder: |_, _| Err(jpeg_off()),
    },
];

/// The row of a codec (every codec has one: the unit test below checks it).
pub(crate) fn info(c: Compression) -> &'static CodecInfo {
    CODECS
        .iter()
        .find(|i| i.compression == c)
        .expect("every codec has a row in CODECS")
}

/// The name of a TIFF `Compression` code, for files written by any program: ours by
/// the names `--compression` uses, others by their usual names.
///
/// ```
/// assert_eq!(wias::codec::tiff_compression_name(4), "g4");
/// assert_eq!(wias::codec::tiff_compression_name(32946), "deflate");
/// assert_eq!(wias::codec::tiff_compression_name(34712), "jpeg2000");
/// assert_eq!(wias::codec::tiff_compression_name(9999), "unknown");
/// ```
pub fn tiff_compression_name(code: u16) -> &'static str {
    if let Some(i) = CODECS
        .iter()
        .find(|i| i.tiff_code == code || i.read_codes.contains(&code))
    {
        return i.name;
    }
    match code {
        2 => "ccitt-rle",
        6 => "old-jpeg",
        34712 => "jpeg2000",
        50000 => "zstd",
        50001 => "webp",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_has_one_row_and_distinct_names_and_codes() {
        for (k, row) in CODECS.iter().enumerate() {
            assert_eq!(info(row.compression).name, row.name);
            for other in &CODECS[k + 1..] {
                assert_ne!(row.name, other.name);
                assert_ne!(row.tiff_code, other.tiff_code);
            }
        }
        use Compression::*;
        for c in [None, PackBits, Lzw, Deflate, G3, G4, Jpeg] {
            // A new variant fails to compile here until it is listed, and then fails
            // `info` until it has its row.
            match c {
                None | PackBits | Lzw | Deflate | G3 | G4 | Jpeg => {
                    assert_eq!(info(c).compression, c)
                }
            }
        }
        let names: Vec<&str> = CODECS.iter().map(|i| i.name).collect();
        assert_eq!(names, Compression::NAMES);
        let choices: Vec<&str> = names.iter().copied().chain(["auto"]).collect();
        assert_eq!(choices, super::super::CodecChoice::NAMES);
    }

    /// `cargo test -p wias --no-default-features --lib` (run by .ci/run).
    #[cfg(not(feature = "jpeg"))]
    #[test]
    fn without_the_jpeg_feature_jpeg_is_refused_and_says_so_and_the_rest_works() {
        let e = Compression::Jpeg.check(PixelType::Gray8).unwrap_err();
        assert!(e.to_string().contains("`jpeg` feature"), "{e}");
        let s = CodecSettings::new(Compression::Jpeg);
        assert!(super::super::encoder_for(&s, PixelType::Rgb24).is_err());
        for c in CODECS.iter().filter(|c| c.compression != Compression::Jpeg) {
            let s = CodecSettings::new(c.compression);
            assert!(
                super::super::encoder_for(&s, PixelType::Bilevel).is_ok(),
                "{}",
                c.name
            );
        }
    }
}

//! TIFF tags as data: numbers, names and typed values, serialised by one function.

/// Tag numbers we write or read (TIFF 6.0 and its technical notes).
pub mod tag {
    pub const NEW_SUBFILE_TYPE: u16 = 254;
    pub const SUBFILE_TYPE: u16 = 255;
    pub const IMAGE_WIDTH: u16 = 256;
    pub const IMAGE_LENGTH: u16 = 257;
    pub const BITS_PER_SAMPLE: u16 = 258;
    pub const COMPRESSION: u16 = 259;
    pub const PHOTOMETRIC: u16 = 262;
    pub const FILL_ORDER: u16 = 266;
    pub const STRIP_OFFSETS: u16 = 273;
    pub const ORIENTATION: u16 = 274;
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    pub const ROWS_PER_STRIP: u16 = 278;
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    pub const X_RESOLUTION: u16 = 282;
    pub const Y_RESOLUTION: u16 = 283;
    pub const PLANAR_CONFIGURATION: u16 = 284;
    pub const FREE_OFFSETS: u16 = 288;
    pub const FREE_BYTE_COUNTS: u16 = 289;
    pub const T4_OPTIONS: u16 = 292;
    pub const T6_OPTIONS: u16 = 293;
    pub const RESOLUTION_UNIT: u16 = 296;
    pub const PAGE_NUMBER: u16 = 297;
    pub const IMAGE_DESCRIPTION: u16 = 270;
    pub const SOFTWARE: u16 = 305;
    pub const ARTIST: u16 = 315;
    pub const DATE_TIME: u16 = 306;
    pub const PREDICTOR: u16 = 317;
    pub const COLOR_MAP: u16 = 320;
    pub const TILE_WIDTH: u16 = 322;
    pub const TILE_LENGTH: u16 = 323;
    pub const TILE_OFFSETS: u16 = 324;
    pub const TILE_BYTE_COUNTS: u16 = 325;
    pub const SUB_IFDS: u16 = 330;
    pub const EXTRA_SAMPLES: u16 = 338;
    pub const SAMPLE_FORMAT: u16 = 339;
    pub const JPEG_TABLES: u16 = 347;
    pub const GLOBAL_PARAMETERS_IFD: u16 = 400;
    pub const JPEG_INTERCHANGE_FORMAT: u16 = 513;
    pub const JPEG_INTERCHANGE_FORMAT_LENGTH: u16 = 514;
    pub const JPEG_Q_TABLES: u16 = 519;
    pub const JPEG_DC_TABLES: u16 = 520;
    pub const JPEG_AC_TABLES: u16 = 521;
    pub const YCBCR_SUBSAMPLING: u16 = 530;
    pub const REFERENCE_BLACK_WHITE: u16 = 532;
    pub const EXIF_IFD: u16 = 34665;
    pub const ICC_PROFILE: u16 = 34675;
    pub const GPS_IFD: u16 = 34853;
    pub const INTEROPERABILITY_IFD: u16 = 40965;
}

/// What a tag's values are, as far as where they point is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// Numbers, text or bytes, never offsets, whatever their type.
    Plain,
    /// Offsets of data whose lengths tag `counts` holds (`what`: "strip", "tile").
    Offsets { counts: u16, what: &'static str },
    /// The lengths of the data another tag's [`Data::Offsets`] point at.
    Counts,
    /// Offsets of further IFDs (SubIFDs, EXIF, GPS, ...).
    SubIfds,
    /// Offsets of data with no length beside them (TIFF 6.0 §22's old-style JPEG tables).
    UnsizedOffsets,
}

/// How many values a tag has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    Any,
    Exactly(u64),
    /// One value, or one per sample, all the same (as libtiff reads BitsPerSample and
    /// Compression: its `TIFFReadDirEntryPersampleShort`).
    PerSample,
}

/// What readers accept for a tag: the field types libtiff converts for it
/// (`TIFFReadDirEntry*`: others are "incompatible type") and the count it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRule {
    pub types: &'static [u16],
    pub count: Count,
    /// Whether the page's pixels depend on the tag: a reader that cannot use it fails
    /// or guesses (a problem), where for other tags it drops the value (a note).
    pub pixels: bool,
    /// Values readers hold (libtiff: 0 to 65535 for a `uint16_t` field, to 2^32-1 for
    /// a `uint32_t` one; no negative number): others are "out of range".
    pub range: std::ops::RangeInclusive<i128>,
}

/// One tag: its number, name, what readers accept, what TIFF 6.0 gives it, and
/// whether its values point into the file. The one place these facts are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagInfo {
    pub number: u16,
    pub name: &'static str,
    /// None: readers take the tag in any type and count.
    pub read: Option<ReadRule>,
    /// The field types TIFF 6.0 gives the tag (what a wias IFD uses for it).
    pub spec: &'static [u16],
    pub data: Data,
}

use field_type::{
    ASCII, BYTE, DOUBLE, FLOAT, IFD, LONG, LONG8, RATIONAL, SBYTE, SHORT, SLONG, SLONG8, SRATIONAL,
    SSHORT, UNDEFINED,
};
/// Integer types libtiff converts to an integer tag's value.
const INTS: &[u16] = &[BYTE, SHORT, LONG, SBYTE, SSHORT, SLONG, LONG8, SLONG8];
/// Types of offsets and byte counts libtiff takes without a warning.
const OFFSETS: &[u16] = &[SHORT, LONG, LONG8];
/// Numeric types libtiff converts to a floating-point value.
const NUMBERS: &[u16] = &[
    BYTE, SBYTE, SHORT, SSHORT, LONG, SLONG, LONG8, SLONG8, RATIONAL, SRATIONAL, FLOAT, DOUBLE,
];
/// Types libtiff reads as text.
const BYTES: &[u16] = &[ASCII, BYTE, SBYTE, UNDEFINED];
/// Every classic TIFF field type: what TIFF 6.0 allows a tag it gives no type.
pub const CLASSIC_TYPES: &[u16] = &[
    BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE,
    IFD,
];
const SHORT_OR_LONG: &[u16] = &[SHORT, LONG];

/// What a `uint16_t` and a `uint32_t` field of libtiff hold.
const U16: std::ops::RangeInclusive<i128> = 0..=0xFFFF;
const U32: std::ops::RangeInclusive<i128> = 0..=0xFFFF_FFFF;
/// A value that is not negative (resolutions, offsets).
const NOT_NEGATIVE: std::ops::RangeInclusive<i128> = 0..=i128::MAX;

const fn rule(
    types: &'static [u16],
    count: Count,
    pixels: bool,
    range: std::ops::RangeInclusive<i128>,
) -> Option<ReadRule> {
    Some(ReadRule {
        types,
        count,
        pixels,
        range,
    })
}
/// One integer readers hold in 16 bits, or in 32.
const ONE_U16: Option<ReadRule> = rule(INTS, Count::Exactly(1), true, U16);
const ONE_U32: Option<ReadRule> = rule(INTS, Count::Exactly(1), true, U32);
/// Text.
const TEXT: Option<ReadRule> = rule(BYTES, Count::Any, false, NOT_NEGATIVE);
/// Offsets and byte counts, which libtiff holds in 64 bits.
const RUN: Option<ReadRule> = rule(OFFSETS, Count::Any, true, NOT_NEGATIVE);

const fn t(
    number: u16,
    name: &'static str,
    read: Option<ReadRule>,
    spec: &'static [u16],
) -> TagInfo {
    TagInfo {
        number,
        name,
        read,
        spec,
        data: Data::Plain,
    }
}

const fn with(info: TagInfo, data: Data) -> TagInfo {
    TagInfo { data, ..info }
}

/// Every tag we know, in ascending order.
pub const TAGS: &[TagInfo] = {
    use tag::*;
    use Count::*;
    const ANY: &[u16] = CLASSIC_TYPES;
    &[
        t(NEW_SUBFILE_TYPE, "NewSubfileType", ONE_U32, &[LONG]),
        t(SUBFILE_TYPE, "SubfileType", ONE_U16, ANY),
        t(IMAGE_WIDTH, "ImageWidth", ONE_U32, SHORT_OR_LONG),
        t(IMAGE_LENGTH, "ImageLength", ONE_U32, SHORT_OR_LONG),
        t(
            BITS_PER_SAMPLE,
            "BitsPerSample",
            rule(INTS, Any, true, U16),
            &[SHORT],
        ),
        t(
            COMPRESSION,
            "Compression",
            rule(INTS, PerSample, true, U16),
            &[SHORT],
        ),
        t(PHOTOMETRIC, "PhotometricInterpretation", ONE_U16, &[SHORT]),
        t(263, "Threshholding", None, ANY),
        t(264, "CellWidth", None, ANY),
        t(265, "CellLength", None, ANY),
        t(FILL_ORDER, "FillOrder", ONE_U16, &[SHORT]),
        t(269, "DocumentName", TEXT, ANY),
        t(IMAGE_DESCRIPTION, "ImageDescription", TEXT, ANY),
        t(271, "Make", TEXT, ANY),
        t(272, "Model", TEXT, ANY),
        with(
            t(STRIP_OFFSETS, "StripOffsets", RUN, SHORT_OR_LONG),
            Data::Offsets {
                counts: STRIP_BYTE_COUNTS,
                what: "strip",
            },
        ),
        t(ORIENTATION, "Orientation", ONE_U16, ANY),
        t(SAMPLES_PER_PIXEL, "SamplesPerPixel", ONE_U16, &[SHORT]),
        t(ROWS_PER_STRIP, "RowsPerStrip", ONE_U32, SHORT_OR_LONG),
        with(
            t(STRIP_BYTE_COUNTS, "StripByteCounts", RUN, SHORT_OR_LONG),
            Data::Counts,
        ),
        t(280, "MinSampleValue", None, ANY),
        t(281, "MaxSampleValue", None, ANY),
        t(
            X_RESOLUTION,
            "XResolution",
            rule(NUMBERS, Exactly(1), false, NOT_NEGATIVE),
            &[RATIONAL],
        ),
        t(
            Y_RESOLUTION,
            "YResolution",
            rule(NUMBERS, Exactly(1), false, NOT_NEGATIVE),
            &[RATIONAL],
        ),
        t(
            PLANAR_CONFIGURATION,
            "PlanarConfiguration",
            ONE_U16,
            &[SHORT],
        ),
        with(
            t(FREE_OFFSETS, "FreeOffsets", None, ANY),
            Data::Offsets {
                counts: FREE_BYTE_COUNTS,
                what: "free block",
            },
        ),
        with(
            t(FREE_BYTE_COUNTS, "FreeByteCounts", None, ANY),
            Data::Counts,
        ),
        t(290, "GrayResponseUnit", None, ANY),
        t(291, "GrayResponseCurve", None, ANY),
        t(T4_OPTIONS, "T4Options", ONE_U32, &[LONG]),
        t(T6_OPTIONS, "T6Options", ONE_U32, &[LONG]),
        t(RESOLUTION_UNIT, "ResolutionUnit", ONE_U16, &[SHORT]),
        t(
            PAGE_NUMBER,
            "PageNumber",
            rule(INTS, Exactly(2), false, U16),
            &[SHORT],
        ),
        t(SOFTWARE, "Software", TEXT, &[ASCII]),
        t(DATE_TIME, "DateTime", TEXT, &[ASCII]),
        t(ARTIST, "Artist", TEXT, ANY),
        t(316, "HostComputer", TEXT, ANY),
        t(PREDICTOR, "Predictor", ONE_U16, &[SHORT]),
        t(COLOR_MAP, "ColorMap", None, ANY),
        t(TILE_WIDTH, "TileWidth", ONE_U32, ANY),
        t(TILE_LENGTH, "TileLength", ONE_U32, ANY),
        with(
            t(TILE_OFFSETS, "TileOffsets", RUN, ANY),
            Data::Offsets {
                counts: TILE_BYTE_COUNTS,
                what: "tile",
            },
        ),
        with(
            t(TILE_BYTE_COUNTS, "TileByteCounts", RUN, ANY),
            Data::Counts,
        ),
        with(t(SUB_IFDS, "SubIFDs", None, ANY), Data::SubIfds),
        t(EXTRA_SAMPLES, "ExtraSamples", None, ANY),
        t(SAMPLE_FORMAT, "SampleFormat", None, ANY),
        t(JPEG_TABLES, "JPEGTables", None, &[UNDEFINED]),
        with(
            t(GLOBAL_PARAMETERS_IFD, "GlobalParametersIFD", None, ANY),
            Data::SubIfds,
        ),
        with(
            t(JPEG_INTERCHANGE_FORMAT, "JPEGInterchangeFormat", None, ANY),
            Data::Offsets {
                counts: JPEG_INTERCHANGE_FORMAT_LENGTH,
                what: "JPEG interchange stream",
            },
        ),
        with(
            t(
                JPEG_INTERCHANGE_FORMAT_LENGTH,
                "JPEGInterchangeFormatLength",
                None,
                ANY,
            ),
            Data::Counts,
        ),
        with(
            t(JPEG_Q_TABLES, "JPEGQTables", None, ANY),
            Data::UnsizedOffsets,
        ),
        with(
            t(JPEG_DC_TABLES, "JPEGDCTables", None, ANY),
            Data::UnsizedOffsets,
        ),
        with(
            t(JPEG_AC_TABLES, "JPEGACTables", None, ANY),
            Data::UnsizedOffsets,
        ),
        t(529, "YCbCrCoefficients", None, ANY),
        t(
            YCBCR_SUBSAMPLING,
            "YCbCrSubSampling",
            rule(INTS, Exactly(2), true, U16),
            &[SHORT],
        ),
        t(531, "YCbCrPositioning", None, ANY),
        t(
            REFERENCE_BLACK_WHITE,
            "ReferenceBlackWhite",
            rule(NUMBERS, Exactly(6), true, NOT_NEGATIVE),
            &[RATIONAL],
        ),
        with(t(EXIF_IFD, "ExifIFD", None, ANY), Data::SubIfds),
        t(ICC_PROFILE, "ICCProfile", None, &[UNDEFINED]),
        with(t(GPS_IFD, "GPSInfo", None, ANY), Data::SubIfds),
        with(
            t(INTEROPERABILITY_IFD, "InteroperabilityIFD", None, ANY),
            Data::SubIfds,
        ),
    ]
};

/// What we know of tag `number`, if it is one we know.
///
/// ```
/// use wias::tiff::tags::{info, tag, Data};
/// assert_eq!(info(tag::TILE_OFFSETS).unwrap().name, "TileOffsets");
/// assert!(matches!(info(tag::TILE_OFFSETS).unwrap().data, Data::Offsets { what: "tile", .. }));
/// assert!(info(65000).is_none());
/// ```
pub fn info(number: u16) -> Option<&'static TagInfo> {
    TAGS.binary_search_by_key(&number, |t| t.number)
        .ok()
        .map(|i| &TAGS[i])
}

/// The name of a tag number, if we know it.
pub fn tag_name(t: u16) -> Option<&'static str> {
    info(t).map(|i| i.name)
}

/// A tag as messages name it: `ImageWidth (256)`, or the bare number of one we do not
/// know.
pub fn tag_label(t: u16) -> String {
    match tag_name(t) {
        Some(n) => format!("{n} ({t})"),
        None => t.to_string(),
    }
}

/// TIFF field types (TIFF 6.0 §2, BigTIFF's LONG8).
pub mod field_type {
    pub const BYTE: u16 = 1;
    pub const ASCII: u16 = 2;
    pub const SHORT: u16 = 3;
    pub const LONG: u16 = 4;
    pub const RATIONAL: u16 = 5;
    pub const SBYTE: u16 = 6;
    pub const UNDEFINED: u16 = 7;
    pub const SSHORT: u16 = 8;
    pub const SLONG: u16 = 9;
    pub const SRATIONAL: u16 = 10;
    pub const FLOAT: u16 = 11;
    pub const DOUBLE: u16 = 12;
    pub const IFD: u16 = 13;
    pub const LONG8: u16 = 16;
    pub const SLONG8: u16 = 17;
    pub const IFD8: u16 = 18;

    /// (code, name, bytes per value) of every field type we know.
    const TABLE: [(u16, &str, u64); 16] = [
        (BYTE, "BYTE", 1),
        (ASCII, "ASCII", 1),
        (SHORT, "SHORT", 2),
        (LONG, "LONG", 4),
        (RATIONAL, "RATIONAL", 8),
        (SBYTE, "SBYTE", 1),
        (UNDEFINED, "UNDEFINED", 1),
        (SSHORT, "SSHORT", 2),
        (SLONG, "SLONG", 4),
        (SRATIONAL, "SRATIONAL", 8),
        (FLOAT, "FLOAT", 4),
        (DOUBLE, "DOUBLE", 8),
        (IFD, "IFD", 4),
        (LONG8, "LONG8", 8),
        (SLONG8, "SLONG8", 8),
        (IFD8, "IFD8", 8),
    ];

    /// Bytes one value of a type takes, or None for a type we do not know.
    pub fn size(t: u16) -> Option<u64> {
        TABLE.iter().find(|r| r.0 == t).map(|r| r.2)
    }

    /// The name of a type (`"SHORT"`), or None for a type we do not know.
    ///
    /// ```
    /// use wias::tiff::tags::field_type;
    /// assert_eq!(field_type::name(field_type::LONG8), Some("LONG8"));
    /// assert_eq!(field_type::name(99), None);
    /// ```
    pub fn name(t: u16) -> Option<&'static str> {
        TABLE.iter().find(|r| r.0 == t).map(|r| r.1)
    }
}

/// A tag value with named codes: the SHORT it is written as, and back.
pub trait Code: Sized + Copy {
    /// The value written in the file.
    fn code(self) -> u16;
    /// The value a file's code stands for, if it is one we know.
    fn from_code(code: u16) -> Option<Self>;
}

macro_rules! coded {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $c:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl Code for $name {
            fn code(self) -> u16 {
                match self { $($name::$v => $c),* }
            }
            fn from_code(code: u16) -> Option<Self> {
                match code { $($c => Some($name::$v),)* _ => None }
            }
        }
    };
}

coded!(
    /// PhotometricInterpretation (262): how sample values become colours.
    Photometric {
        /// Bilevel and gray pages, 0 = white (the form fax codecs expect).
        WhiteIsZero = 0,
        /// Gray pages, 0 = black.
        BlackIsZero = 1,
        Rgb = 2,
        /// JPEG pages stored as luma and chroma.
        YCbCr = 6,
    }
);

coded!(
    /// ResolutionUnit (296): what XResolution and YResolution count per.
    ResolutionUnit {
        None = 1,
        Inch = 2,
        Centimeter = 3,
    }
);

coded!(
    /// PlanarConfiguration (284): samples of a pixel together, or in planes.
    PlanarConfiguration {
        /// RGBRGB... (what we write).
        Chunky = 1,
        Planar = 2,
    }
);

/// A typed tag value, as we write it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Short(Vec<u16>),
    Long(Vec<u32>),
    Long8(Vec<u64>),
    Rational(Vec<(u32, u32)>),
    /// Written NUL-terminated.
    Ascii(String),
    /// A value copied from an existing file as it was: any field type, `count` values,
    /// little-endian `bytes`. Used when an appended file's directories are rewritten
    /// (BigTIFF promotion) without our having to understand every tag.
    Raw {
        field_type: u16,
        count: u64,
        bytes: Vec<u8>,
    },
}

impl Value {
    /// The TIFF field type code.
    pub fn field_type(&self) -> u16 {
        match self {
            Value::Short(_) => field_type::SHORT,
            Value::Long(_) => field_type::LONG,
            Value::Long8(_) => field_type::LONG8,
            Value::Rational(_) => field_type::RATIONAL,
            Value::Ascii(_) => field_type::ASCII,
            Value::Raw { field_type, .. } => *field_type,
        }
    }

    /// A SHORT holding a named code ([`Photometric`], [`ResolutionUnit`], ...).
    pub fn code(c: impl Code) -> Value {
        Value::Short(vec![c.code()])
    }

    /// The value count as the IFD entry states it.
    pub fn count(&self) -> u64 {
        match self {
            Value::Short(v) => v.len() as u64,
            Value::Long(v) => v.len() as u64,
            Value::Long8(v) => v.len() as u64,
            Value::Rational(v) => v.len() as u64,
            Value::Ascii(s) => s.len() as u64 + 1,
            Value::Raw { count, .. } => *count,
        }
    }

    /// Appends the little-endian bytes of the value.
    pub fn write_le(&self, out: &mut Vec<u8>) {
        match self {
            Value::Short(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Value::Long(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Value::Long8(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Value::Rational(v) => v.iter().for_each(|(n, d)| {
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(&d.to_le_bytes());
            }),
            Value::Ascii(s) => {
                out.extend_from_slice(s.as_bytes());
                out.push(0);
            }
            Value::Raw { bytes, .. } => out.extend_from_slice(bytes),
        }
    }

    /// Size of the serialised value in bytes.
    pub fn byte_len(&self) -> u64 {
        if let Value::Raw { bytes, .. } = self {
            return bytes.len() as u64;
        }
        self.count() * field_type::size(self.field_type()).unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `info` searches the table by halves: it must ascend, with no tag twice.
    #[test]
    fn the_tag_table_ascends_and_every_count_tag_follows_its_offsets() {
        for w in TAGS.windows(2) {
            assert!(
                w[0].number < w[1].number,
                "{} then {}",
                w[0].name,
                w[1].name
            );
        }
        for t in TAGS {
            assert_eq!(info(t.number), Some(t));
            if let Data::Offsets { counts, .. } = t.data {
                assert_eq!(
                    info(counts).map(|c| c.data),
                    Some(Data::Counts),
                    "{}",
                    t.name
                );
            }
        }
    }
}

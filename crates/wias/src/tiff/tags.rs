//! TIFF tags as data: numbers, names and typed values, serialised by one function.

/// Tag numbers we write or read (TIFF 6.0 and its technical notes).
pub mod tag {
    pub const NEW_SUBFILE_TYPE: u16 = 254;
    pub const IMAGE_WIDTH: u16 = 256;
    pub const IMAGE_LENGTH: u16 = 257;
    pub const BITS_PER_SAMPLE: u16 = 258;
    pub const COMPRESSION: u16 = 259;
    pub const PHOTOMETRIC: u16 = 262;
    pub const FILL_ORDER: u16 = 266;
    pub const STRIP_OFFSETS: u16 = 273;
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    pub const ROWS_PER_STRIP: u16 = 278;
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    pub const X_RESOLUTION: u16 = 282;
    pub const Y_RESOLUTION: u16 = 283;
    pub const PLANAR_CONFIGURATION: u16 = 284;
    pub const T4_OPTIONS: u16 = 292;
    pub const T6_OPTIONS: u16 = 293;
    pub const RESOLUTION_UNIT: u16 = 296;
    pub const PAGE_NUMBER: u16 = 297;
    pub const SOFTWARE: u16 = 305;
    pub const DATE_TIME: u16 = 306;
    pub const PREDICTOR: u16 = 317;
    pub const TILE_OFFSETS: u16 = 324;
    pub const TILE_BYTE_COUNTS: u16 = 325;
    pub const JPEG_TABLES: u16 = 347;
    pub const YCBCR_SUBSAMPLING: u16 = 530;
    pub const REFERENCE_BLACK_WHITE: u16 = 532;
}

/// (number, name) of every tag `wias inspect` names; others print as numbers.
pub const TAG_NAMES: &[(u16, &str)] = &[
    (254, "NewSubfileType"),
    (255, "SubfileType"),
    (256, "ImageWidth"),
    (257, "ImageLength"),
    (258, "BitsPerSample"),
    (259, "Compression"),
    (262, "PhotometricInterpretation"),
    (266, "FillOrder"),
    (269, "DocumentName"),
    (270, "ImageDescription"),
    (271, "Make"),
    (272, "Model"),
    (273, "StripOffsets"),
    (274, "Orientation"),
    (277, "SamplesPerPixel"),
    (278, "RowsPerStrip"),
    (279, "StripByteCounts"),
    (282, "XResolution"),
    (283, "YResolution"),
    (284, "PlanarConfiguration"),
    (292, "T4Options"),
    (293, "T6Options"),
    (296, "ResolutionUnit"),
    (297, "PageNumber"),
    (305, "Software"),
    (306, "DateTime"),
    (315, "Artist"),
    (317, "Predictor"),
    (320, "ColorMap"),
    (322, "TileWidth"),
    (323, "TileLength"),
    (324, "TileOffsets"),
    (325, "TileByteCounts"),
    (338, "ExtraSamples"),
    (339, "SampleFormat"),
    (347, "JPEGTables"),
    (529, "YCbCrCoefficients"),
    (530, "YCbCrSubSampling"),
    (531, "YCbCrPositioning"),
    (532, "ReferenceBlackWhite"),
];

/// The name of a tag number, if we know it.
pub fn tag_name(t: u16) -> Option<&'static str> {
    TAG_NAMES.iter().find(|(n, _)| *n == t).map(|(_, s)| *s)
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

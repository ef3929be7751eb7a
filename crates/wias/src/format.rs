//! WIA format GUIDs (`WiaImgFmt_*`, from `wiadef.h`) and the image formats they name.

use std::fmt;

/// A COM `GUID`, field for field as the C struct lays it out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guid {
    pub data1: u32,
    pub data2: u16,
    pub data3: u16,
    pub data4: [u8; 8],
}

impl Guid {
    /// A GUID from its four parts, as `DEFINE_GUID` writes them.
    pub const fn new(data1: u32, data2: u16, data3: u16, data4: [u8; 8]) -> Self {
        Guid {
            data1,
            data2,
            data3,
            data4,
        }
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data4;
        write!(
            f,
            "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `{b96b3cXX-0728-11d3-9d7b-0000f81ef32e}`: the GDI+ image-format GUID family.
const fn gdiplus(last: u32) -> Guid {
    Guid::new(
        0xb96b_3c00 | last,
        0x0728,
        0x11d3,
        [0x9d, 0x7b, 0x00, 0x00, 0xf8, 0x1e, 0xf3, 0x2e],
    )
}

/// The `WiaImgFmt_*` GUIDs, named as in `wiadef.h`.
pub mod guids {
    use super::{gdiplus, Guid};
    pub const UNDEFINED: Guid = gdiplus(0xa9);
    pub const MEMORYBMP: Guid = gdiplus(0xaa);
    pub const BMP: Guid = gdiplus(0xab);
    pub const EMF: Guid = gdiplus(0xac);
    pub const WMF: Guid = gdiplus(0xad);
    pub const JPEG: Guid = gdiplus(0xae);
    pub const PNG: Guid = gdiplus(0xaf);
    pub const GIF: Guid = gdiplus(0xb0);
    pub const TIFF: Guid = gdiplus(0xb1);
    pub const EXIF: Guid = gdiplus(0xb2);
    pub const PHOTOCD: Guid = gdiplus(0xb3);
    pub const FLASHPIX: Guid = gdiplus(0xb4);
    pub const ICO: Guid = gdiplus(0xb5);
    pub const RAWRGB: Guid = Guid::new(
        0xbca48b55,
        0xf272,
        0x4371,
        [0xb0, 0xf1, 0x4a, 0x15, 0x0d, 0x05, 0x7b, 0xb4],
    );
    pub const CIFF: Guid = Guid::new(
        0x9821a8ab,
        0x3a7e,
        0x4215,
        [0x94, 0xe0, 0xd2, 0x7a, 0x46, 0x0c, 0x03, 0xb2],
    );
    pub const PICT: Guid = Guid::new(
        0xa6bc85d8,
        0x6b3e,
        0x40ee,
        [0xa9, 0x5c, 0x25, 0xd4, 0x82, 0xe4, 0x1a, 0xdc],
    );
    pub const JPEG2K: Guid = Guid::new(
        0x344ee2b2,
        0x39db,
        0x4dde,
        [0x81, 0x73, 0xc4, 0xb7, 0x5f, 0x8f, 0x1e, 0x49],
    );
    pub const JPEG2KX: Guid = Guid::new(
        0x43e14614,
        0xc80a,
        0x4850,
        [0xba, 0xf3, 0x4b, 0x15, 0x2d, 0xc8, 0xda, 0x27],
    );
    pub const RAW: Guid = Guid::new(
        0x6f120719,
        0xf1a8,
        0x4e07,
        [0x9a, 0xde, 0x9b, 0x64, 0xc6, 0x3a, 0x3d, 0xcc],
    );
    pub const JBIG: Guid = Guid::new(
        0x41e8dd92,
        0x2f0a,
        0x43d4,
        [0x86, 0x36, 0xf1, 0x61, 0x4b, 0xa1, 0x1e, 0x46],
    );
    pub const JBIG2: Guid = Guid::new(
        0xbb8e7e67,
        0x283c,
        0x4235,
        [0x9e, 0x59, 0x0b, 0x9b, 0xf9, 0x4c, 0xa6, 0x87],
    );
    pub const RTF: Guid = Guid::new(
        0x573dd6a3,
        0x4834,
        0x432d,
        [0xa9, 0xb5, 0xe1, 0x98, 0xdd, 0x9e, 0x89, 0x0d],
    );
    pub const XML: Guid = Guid::new(
        0xb9171457,
        0xdac8,
        0x4884,
        [0xb3, 0x93, 0x15, 0xb4, 0x71, 0xd5, 0xf0, 0x7e],
    );
    pub const HTML: Guid = Guid::new(
        0xc99a4e62,
        0x99de,
        0x4a94,
        [0xac, 0xca, 0x71, 0x95, 0x6a, 0xc2, 0x97, 0x7d],
    );
    pub const TXT: Guid = Guid::new(
        0xfafd4d82,
        0x723f,
        0x421f,
        [0x93, 0x18, 0x30, 0x50, 0x1a, 0xc4, 0x4b, 0x59],
    );
    pub const PDFA: Guid = Guid::new(
        0x9980bd5b,
        0x3463,
        0x43c7,
        [0xbd, 0xca, 0x3c, 0xaa, 0x14, 0x6f, 0x22, 0x9f],
    );
    pub const XPS: Guid = Guid::new(
        0x700b4a0f,
        0x2011,
        0x411c,
        [0xb4, 0x30, 0xd1, 0xe0, 0xb2, 0xe1, 0x0b, 0x28],
    );
    pub const CSV: Guid = Guid::new(
        0x355bda24,
        0x5a9f,
        0x4494,
        [0x80, 0xdc, 0xbe, 0x75, 0x2c, 0xec, 0xbc, 0x8c],
    );
}

/// The image format a transfer asks for (`guidFormatID`).
///
/// Formats wias writes have their own variant; every other GUID is kept as it came, so
/// a caller can see which one it was in the error that rejects it.
///
/// ```
/// use wias::{ImageFormat, guids};
/// assert_eq!(ImageFormat::from_guid(guids::TIFF), ImageFormat::Tiff);
/// assert_eq!(ImageFormat::Tiff.guid(), guids::TIFF);
/// let odd = ImageFormat::from_guid(guids::PDFA);
/// assert_eq!(odd, ImageFormat::Other(guids::PDFA));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum ImageFormat {
    /// `WiaImgFmt_TIFF`: single or multipage TIFF.
    Tiff,
    /// `WiaImgFmt_BMP`: a BMP file (file header, info header, palette, bottom-up rows).
    Bmp,
    /// `WiaImgFmt_MEMORYBMP`: a DIB without the file header.
    MemoryBmp,
    /// `WiaImgFmt_JPEG`: JPEG data handed over as the device produced it.
    Jpeg,
    /// `WiaImgFmt_RAW`: the WIA raw format.
    Raw,
    /// Any other GUID, kept as it came.
    Other(Guid),
}

impl ImageFormat {
    /// Classifies a `guidFormatID`.
    pub fn from_guid(g: Guid) -> Self {
        match g {
            guids::TIFF => ImageFormat::Tiff,
            guids::BMP => ImageFormat::Bmp,
            guids::MEMORYBMP => ImageFormat::MemoryBmp,
            guids::JPEG => ImageFormat::Jpeg,
            guids::RAW => ImageFormat::Raw,
            other => ImageFormat::Other(other),
        }
    }

    /// The GUID that names this format.
    pub fn guid(self) -> Guid {
        match self {
            ImageFormat::Tiff => guids::TIFF,
            ImageFormat::Bmp => guids::BMP,
            ImageFormat::MemoryBmp => guids::MEMORYBMP,
            ImageFormat::Jpeg => guids::JPEG,
            ImageFormat::Raw => guids::RAW,
            ImageFormat::Other(g) => g,
        }
    }

    /// A short name for messages (`tiff`, `bmp`, or the GUID).
    pub fn name(self) -> String {
        match self {
            ImageFormat::Tiff => "tiff".into(),
            ImageFormat::Bmp => "bmp".into(),
            ImageFormat::MemoryBmp => "memorybmp".into(),
            ImageFormat::Jpeg => "jpeg".into(),
            ImageFormat::Raw => "raw".into(),
            ImageFormat::Other(g) => g.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_print_as_the_registry_does() {
        assert_eq!(
            guids::TIFF.to_string(),
            "{b96b3cb1-0728-11d3-9d7b-0000f81ef32e}"
        );
        assert_eq!(
            guids::RAW.to_string(),
            "{6f120719-f1a8-4e07-9ade-9b64c63a3dcc}"
        );
    }
}

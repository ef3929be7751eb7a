//! What a file is, from its first bytes: so that `wias write` can say a PNG is not an
//! input it takes (and which are), and `wias inspect` can say a JPEG is a JPEG rather
//! than a damaged TIFF.

/// The kinds of file people hand to wias, by their magic numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Pnm,
    Jpeg,
    Tiff,
    BigTiff,
    Png,
    Gif,
    Bmp,
    Pdf,
    WebP,
    Jpeg2000,
    Empty,
    Unknown,
}

impl FileKind {
    /// Reads the magic number at the start of `head` (the first 16 bytes suffice).
    pub fn sniff(head: &[u8]) -> FileKind {
        match head {
            [] => FileKind::Empty,
            [b'P', b'1'..=b'6', ..] => FileKind::Pnm,
            [0xFF, 0xD8, ..] => FileKind::Jpeg,
            [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => FileKind::Tiff,
            [b'I', b'I', 43, 0, ..] | [b'M', b'M', 0, 43, ..] => FileKind::BigTiff,
            [0x89, b'P', b'N', b'G', ..] => FileKind::Png,
            [b'G', b'I', b'F', b'8', ..] => FileKind::Gif,
            [b'B', b'M', ..] => FileKind::Bmp,
            [b'%', b'P', b'D', b'F', ..] => FileKind::Pdf,
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => FileKind::WebP,
            [0, 0, 0, 12, b'j', b'P', ..] | [0xFF, 0x4F, 0xFF, 0x51, ..] => FileKind::Jpeg2000,
            _ => FileKind::Unknown,
        }
    }

    /// Reads the first bytes of the file at `path`.
    pub fn of_file(path: &str) -> std::io::Result<FileKind> {
        use std::io::Read;
        let mut head = Vec::with_capacity(16);
        std::fs::File::open(path)?.take(16).read_to_end(&mut head)?;
        Ok(FileKind::sniff(&head))
    }

    /// The kind as a reader would name it ("a PNG image").
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Pnm => "a PNM image (netpbm)",
            FileKind::Jpeg => "a JPEG image",
            FileKind::Tiff => "a TIFF file",
            FileKind::BigTiff => "a BigTIFF file",
            FileKind::Png => "a PNG image",
            FileKind::Gif => "a GIF image",
            FileKind::Bmp => "a BMP image (Windows bitmap)",
            FileKind::Pdf => "a PDF document",
            FileKind::WebP => "a WebP image",
            FileKind::Jpeg2000 => "a JPEG 2000 image",
            FileKind::Empty => "an empty file",
            FileKind::Unknown => "not an image format wias knows",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FileKind;

    #[test]
    fn magic_numbers() {
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n"), FileKind::Png);
        assert_eq!(FileKind::sniff(b"P5\n3 2\n255\n"), FileKind::Pnm);
        assert_eq!(FileKind::sniff(b"MM\0\x2a\0\0\0\x08"), FileKind::Tiff);
        assert_eq!(FileKind::sniff(b"BM6\0\0\0"), FileKind::Bmp);
        assert_eq!(FileKind::sniff(b"P7\n"), FileKind::Unknown);
        assert_eq!(FileKind::sniff(b""), FileKind::Empty);
    }
}

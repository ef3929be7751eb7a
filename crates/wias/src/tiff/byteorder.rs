//! The two byte orders a TIFF can be in: "II" (little-endian, what wias writes) and
//! "MM" (big-endian: Macs, ImageMagick's `-define tiff:endian=msb`, `tiffcp -B`). The
//! header says which; every number in the file, offsets and tag values alike, is then
//! read in that order.

/// A TIFF's byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ByteOrder {
    /// "II": least significant byte first.
    #[default]
    Little,
    /// "MM": most significant byte first.
    Big,
}

impl ByteOrder {
    /// The byte order a header's first two bytes name, if they name one.
    pub fn from_mark(mark: &[u8]) -> Option<ByteOrder> {
        match mark.get(..2)? {
            b"II" => Some(ByteOrder::Little),
            b"MM" => Some(ByteOrder::Big),
            _ => None,
        }
    }

    /// How `wias inspect` names it.
    pub fn describe(self) -> &'static str {
        match self {
            ByteOrder::Little => "little-endian (II)",
            ByteOrder::Big => "big-endian (MM)",
        }
    }

    /// A 16-bit number from the first 2 bytes of `b`.
    pub fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        match self {
            ByteOrder::Little => u16::from_le_bytes(a),
            ByteOrder::Big => u16::from_be_bytes(a),
        }
    }

    /// A 32-bit number from the first 4 bytes of `b`.
    pub fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        match self {
            ByteOrder::Little => u32::from_le_bytes(a),
            ByteOrder::Big => u32::from_be_bytes(a),
        }
    }

    /// A 64-bit number from the first 8 bytes of `b`.
    pub fn u64(self, b: &[u8]) -> u64 {
        let a: [u8; 8] = b[..8].try_into().expect("8 bytes");
        match self {
            ByteOrder::Little => u64::from_le_bytes(a),
            ByteOrder::Big => u64::from_be_bytes(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteOrder;

    #[test]
    fn both_orders() {
        let b = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0];
        assert_eq!(ByteOrder::Little.u16(&b), 0x3412);
        assert_eq!(ByteOrder::Big.u16(&b), 0x1234);
        assert_eq!(ByteOrder::Big.u32(&b), 0x1234_5678);
        assert_eq!(ByteOrder::Little.u64(&b), 0xF0DE_BC9A_7856_3412);
        assert_eq!(ByteOrder::from_mark(b"MM\0*"), Some(ByteOrder::Big));
        assert_eq!(ByteOrder::from_mark(b"BM"), None);
    }
}

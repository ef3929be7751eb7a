//! The two byte orders a TIFF can be in: "II" (little-endian, what wias writes) and
//! "MM" (big-endian: Macs, ImageMagick's `-define tiff:endian=msb`, `tiffcp -B`). The
//! header says which; every number in the file, offsets and tag values alike, is then
//! read in that order.

use super::ifd::Variant;
use crate::error::{Error, Result};

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

/// The unit whose bytes swap between the orders for values of field type `t`: a
/// RATIONAL is two LONGs, ASCII and BYTE do not swap. None for a type we do not know.
fn swap_unit(t: u16) -> Option<usize> {
    use super::tags::field_type::*;
    Some(match t {
        BYTE | ASCII | SBYTE | UNDEFINED => 1,
        SHORT | SSHORT => 2,
        LONG | SLONG | FLOAT | IFD | RATIONAL | SRATIONAL => 4,
        DOUBLE | LONG8 | SLONG8 | IFD8 => 8,
        _ => return None,
    })
}

fn swap_each(bytes: &mut [u8], unit: usize) {
    if unit > 1 {
        bytes.chunks_exact_mut(unit).for_each(<[u8]>::reverse);
    }
}

/// Rewrites in place, big-endian, an IFD that `Ifd::serialize` wrote little-endian to
/// sit at file offset `at`: the entry count, each entry's tag, type, count and inline
/// value or value offset, the values stored after the table, and the next-IFD field.
/// The serialised IFD describes itself (types and counts), so pages for an MM document
/// are built exactly as for II ones and turned around at the end, in one place.
pub(crate) fn ifd_to_big_endian(bytes: &mut [u8], at: u64, variant: Variant) -> Result<()> {
    let bad = |why: String| Error::Corrupt(format!("IFD for a big-endian file: {why}"));
    let (count_len, entry_len, next_len) = variant.sizes();
    let (count_len, entry_len, next_len) =
        (count_len as usize, entry_len as usize, next_len as usize);
    let inline = variant.inline_len() as usize;
    let word = inline; // offsets and counts past the tag and type: 4 or 8 bytes
    let le = ByteOrder::Little;
    let read = |b: &[u8], len: usize| {
        if len == 2 {
            u64::from(le.u16(b))
        } else if len == 4 {
            u64::from(le.u32(b))
        } else {
            le.u64(b)
        }
    };
    if bytes.len() < count_len {
        return Err(bad(format!("{} bytes", bytes.len())));
    }
    let n = read(bytes, count_len) as usize;
    let table_end = count_len + n * entry_len + next_len;
    if bytes.len() < table_end {
        return Err(bad(format!("{n} entries in {} bytes", bytes.len())));
    }
    bytes[..count_len].reverse();
    for i in 0..n {
        let e = count_len + i * entry_len;
        let ft = le.u16(&bytes[e + 2..]);
        let count = read(&bytes[e + 4..], word);
        let unit = swap_unit(ft).ok_or_else(|| bad(format!("field type {ft}")))?;
        let size = super::tags::field_type::size(ft).expect("known above");
        let total = size
            .checked_mul(count)
            .and_then(|t| usize::try_from(t).ok())
            .ok_or_else(|| bad(format!("{count} values")))?;
        bytes[e..e + 2].reverse();
        bytes[e + 2..e + 4].reverse();
        bytes[e + 4..e + 4 + word].reverse();
        let field = e + 4 + word;
        if total <= inline {
            swap_each(&mut bytes[field..field + total], unit);
        } else {
            let off = read(&bytes[field..], word);
            let rel = off
                .checked_sub(at)
                .and_then(|r| usize::try_from(r).ok())
                .filter(|r| r.checked_add(total).is_some_and(|end| end <= bytes.len()))
                .ok_or_else(|| bad(format!("values at byte {off} outside the IFD at {at}")))?;
            swap_each(&mut bytes[rel..rel + total], unit);
            bytes[field..field + word].reverse();
        }
    }
    let next = count_len + n * entry_len;
    bytes[next..next + next_len].reverse();
    Ok(())
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

#[cfg(test)]
mod ifd_tests {
    use std::io::Cursor;

    use super::ifd_to_big_endian;
    use crate::tiff::ifd::Ifd;
    use crate::tiff::tags::Value;
    use crate::tiff::{ByteOrder, EntryValue, TiffFile, Variant};

    /// An IFD serialised for II and turned to MM reads back, in an MM file, with every
    /// value as set: inline and out-of-line, each field type we write, both variants.
    #[test]
    fn a_turned_ifd_reads_back_in_an_mm_file() {
        for variant in [Variant::Classic, Variant::Big] {
            let mut ifd = Ifd::new();
            ifd.set(256, Value::Long(vec![1728]));
            ifd.set(258, Value::Short(vec![8, 8, 8]));
            ifd.set(259, Value::Short(vec![4]));
            ifd.set(273, Value::Long(vec![16, 70000, 140000]));
            ifd.set(282, Value::Rational(vec![(300, 1)]));
            ifd.set(305, Value::Ascii("wias".into()));
            ifd.set(324, Value::Long8(vec![1 << 40]));
            let (head, at): (Vec<u8>, u64) = match variant {
                Variant::Classic => (b"MM\0\x2a\0\0\0\x08".to_vec(), 8),
                Variant::Big => (b"MM\0\x2b\0\x08\0\0\0\0\0\0\0\0\0\x10".to_vec(), 16),
            };
            let mut b = ifd.serialize(at, 0, variant).unwrap().bytes;
            ifd_to_big_endian(&mut b, at, variant).unwrap();
            let mut file = head;
            file.extend_from_slice(&b);
            let f = TiffFile::read(&mut Cursor::new(file)).unwrap();
            assert_eq!(f.byte_order, ByteOrder::Big);
            let d = &f.directories[0];
            let ints = |t| d.get(t).unwrap().ints().unwrap().to_vec();
            assert_eq!(ints(256), [1728]);
            assert_eq!(ints(258), [8, 8, 8]);
            assert_eq!(ints(259), [4]);
            assert_eq!(ints(273), [16, 70000, 140000]);
            assert_eq!(ints(324), [1 << 40]);
            assert_eq!(
                d.get(282).unwrap().value,
                EntryValue::Rationals(vec![(300, 1)])
            );
            assert_eq!(d.get(305).unwrap().value, EntryValue::Ascii("wias".into()));
        }
    }
}

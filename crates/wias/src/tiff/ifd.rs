//! One image file directory: a sorted set of tags, serialised in classic or BigTIFF form
//! together with the values that do not fit in an entry.

use super::tags::Value;
use crate::error::{Error, Result};

/// Classic TIFF (32-bit offsets) or BigTIFF (64-bit offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Classic,
    Big,
}

impl Variant {
    /// Bytes of an entry count, one entry, and the next-IFD offset.
    pub fn sizes(self) -> (u64, u64, u64) {
        match self {
            Variant::Classic => (2, 12, 4),
            Variant::Big => (8, 20, 8),
        }
    }

    /// Bytes an entry holds inline.
    pub fn inline_len(self) -> u64 {
        match self {
            Variant::Classic => 4,
            Variant::Big => 8,
        }
    }

    /// The largest offset this variant can store.
    pub const fn max_offset(self) -> u64 {
        match self {
            Variant::Classic => u32::MAX as u64,
            Variant::Big => u64::MAX,
        }
    }
}

/// The tags of one page, kept sorted by tag number as TIFF requires.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Ifd {
    entries: Vec<(u16, Value)>,
}

/// A serialised IFD: its bytes, and where in them the next-IFD offset lives.
pub(crate) struct IfdBytes {
    pub bytes: Vec<u8>,
    /// Offset of the next-IFD field relative to the start of `bytes`.
    pub next_field: u64,
}

impl Ifd {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a tag, replacing an earlier value of the same tag.
    pub fn set(&mut self, tag: u16, value: Value) {
        match self.entries.binary_search_by_key(&tag, |(t, _)| *t) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (tag, value)),
        }
    }

    /// The value of a tag, if set.
    pub fn get(&self, tag: u16) -> Option<&Value> {
        self.entries
            .binary_search_by_key(&tag, |(t, _)| *t)
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Serialises the directory to sit at file offset `at` (which must be even), with
    /// next-IFD offset `next`. Long values follow the entries, each at an even offset.
    pub fn serialize(&self, at: u64, next: u64, variant: Variant) -> Result<IfdBytes> {
        if at % 2 != 0 {
            return Err(Error::Corrupt(format!("IFD offset {at} is odd")));
        }
        let (count_len, entry_len, next_len) = variant.sizes();
        let n = self.entries.len() as u64;
        let table_len = count_len + n * entry_len + next_len;
        let mut extra: Vec<u8> = Vec::new();
        let mut out = Vec::with_capacity(table_len as usize + 64);
        match variant {
            Variant::Classic => {
                let n16 = u16::try_from(n).map_err(|_| Error::SizeOverflow {
                    what: "TIFF IFD",
                    detail: format!("{n} entries do not fit a classic IFD's 16-bit count"),
                })?;
                out.extend_from_slice(&n16.to_le_bytes())
            }
            Variant::Big => out.extend_from_slice(&n.to_le_bytes()),
        }
        let max = variant.max_offset();
        for (tag, value) in &self.entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&value.field_type().to_le_bytes());
            let count = value.count();
            let mut data = Vec::with_capacity(value.byte_len() as usize);
            value.write_le(&mut data);
            match variant {
                Variant::Classic => {
                    let c = u32::try_from(count).map_err(|_| too_far(*tag, count))?;
                    out.extend_from_slice(&c.to_le_bytes());
                }
                Variant::Big => out.extend_from_slice(&count.to_le_bytes()),
            }
            let inline = variant.inline_len() as usize;
            if data.len() <= inline {
                data.resize(inline, 0);
                out.extend_from_slice(&data);
            } else {
                let off = at + table_len + extra.len() as u64;
                if off > max {
                    return Err(too_far(*tag, off));
                }
                match variant {
                    Variant::Classic => {
                        let off32 = u32::try_from(off).map_err(|_| too_far(*tag, off))?;
                        out.extend_from_slice(&off32.to_le_bytes())
                    }
                    Variant::Big => out.extend_from_slice(&off.to_le_bytes()),
                }
                extra.extend_from_slice(&data);
                if extra.len() % 2 == 1 {
                    extra.push(0);
                }
            }
        }
        let next_field = out.len() as u64;
        match variant {
            Variant::Classic => {
                let n32 = u32::try_from(next).map_err(|_| too_far(0, next))?;
                out.extend_from_slice(&n32.to_le_bytes())
            }
            Variant::Big => out.extend_from_slice(&next.to_le_bytes()),
        }
        if at + table_len + extra.len() as u64 > max.saturating_add(1) {
            return Err(too_far(0, at + table_len + extra.len() as u64));
        }
        out.extend_from_slice(&extra);
        Ok(IfdBytes {
            bytes: out,
            next_field,
        })
    }
}

fn too_far(tag: u16, value: u64) -> Error {
    Error::SizeOverflow {
        what: "TIFF offset",
        detail: format!("tag {tag}: {value} does not fit in a classic TIFF's 32-bit fields (the file would pass 4 GiB)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stay_sorted_and_long_values_go_out_of_line() {
        let mut ifd = Ifd::new();
        ifd.set(305, Value::Ascii("wias test".into()));
        ifd.set(256, Value::Long(vec![7]));
        let b = ifd.serialize(8, 0, Variant::Classic).unwrap();
        assert_eq!(&b.bytes[0..2], &2u16.to_le_bytes());
        assert_eq!(u16::from_le_bytes([b.bytes[2], b.bytes[3]]), 256);
        assert_eq!(u16::from_le_bytes([b.bytes[14], b.bytes[15]]), 305);
        // the string lives right after the table: 8 + 2 + 24 + 4 = 38
        assert_eq!(u32::from_le_bytes(b.bytes[22..26].try_into().unwrap()), 38);
        assert_eq!(b.next_field, 2 + 24);
        assert_eq!(&b.bytes[30..40], b"wias test\0");
    }
}

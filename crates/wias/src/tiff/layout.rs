//! Where things go in a TIFF file: the header, the end of the IFD chain, and where a
//! page's data and IFD are placed. Pure bookkeeping over offsets; nothing here does I/O.

use std::borrow::Cow;

use super::ifd::{Ifd, Variant};
use super::tags::{tag, Value};

/// Where the chain of a document ends: what a writer needs to add the next page.
///
/// This is the state the C transfer context carries between calls in `lCurIfdOffset`
/// and `lPage`; keeping it makes page N cost what page 1 costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainEnd {
    /// File offset of the field the next IFD's offset goes into (the header's first-IFD
    /// field for an empty document, else the last IFD's next-IFD field).
    pub link_field: u64,
    /// Offset of the last page's IFD, if there is a page.
    pub last_ifd: Option<u64>,
    /// Pages in the chain.
    pub pages: u32,
}

/// Bytes of a BigTIFF header; a classic header is 8. We write classic files with the
/// next 8 bytes left free, so the header can grow in place.
pub(crate) const HEADER_ROOM: u64 = 16;

/// One page, encoded, before it has a place in the file.
pub(crate) struct EncodedPage<'a> {
    /// All strips, back to back.
    pub data: Cow<'a, [u8]>,
    /// Length of each strip in `data`.
    pub strip_lens: Vec<u64>,
    /// Every tag except StripOffsets (and with StripByteCounts set).
    pub ifd: Ifd,
}

impl EncodedPage<'_> {
    /// The page's IFD with StripOffsets for data placed at `data_at`.
    pub fn ifd_at(&self, data_at: u64, big: bool) -> Ifd {
        let mut offs = Vec::with_capacity(self.strip_lens.len());
        let mut pos = data_at;
        for len in &self.strip_lens {
            offs.push(pos);
            pos += len;
        }
        let mut ifd = self.ifd.clone();
        if big {
            ifd.set(tag::STRIP_OFFSETS, Value::Long8(offs));
            ifd.set(
                tag::STRIP_BYTE_COUNTS,
                Value::Long8(self.strip_lens.clone()),
            );
        } else {
            // Callers check the file stays under 4 GiB before asking for a classic IFD.
            ifd.set(
                tag::STRIP_OFFSETS,
                Value::Long(offs.iter().map(|&o| o as u32).collect()),
            );
            ifd.set(
                tag::STRIP_BYTE_COUNTS,
                Value::Long(self.strip_lens.iter().map(|&o| o as u32).collect()),
            );
        }
        ifd
    }
}

/// Where an IFD of `entries` entries goes at or after `x`: an even offset (TIFF's
/// rule) that puts its next-IFD field on a multiple of the field's size (4 or 8
/// bytes). Such a field never straddles a page or sector boundary, so the one write
/// that links the next page cannot be torn: the kernel stops a write interrupted by
/// SIGKILL only at page boundaries, and disks tear only at sector boundaries.
pub(crate) fn ifd_place(x: u64, entries: usize, variant: Variant) -> u64 {
    let (count_len, entry_len, next_len) = variant.sizes();
    let table = count_len + entries as u64 * entry_len;
    let mut at = align2(x);
    while (at + table) % next_len != 0 {
        at += 2;
    }
    at
}

pub(crate) fn align2(x: u64) -> u64 {
    x + (x & 1)
}

//! Where things go in a TIFF file: the header, the end of the IFD chain, and where a
//! page's data and IFD are placed. Pure bookkeeping over offsets; nothing here does I/O.

use std::borrow::Cow;

use super::ifd::{Ifd, IfdBytes, Variant};
use super::tags::{tag, Value};
use crate::error::{Error, Result};

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
    pub data: PageData<'a>,
    /// Length of each strip in `data`.
    pub strip_lens: Vec<u64>,
    /// Every tag except StripOffsets (and with StripByteCounts set).
    pub ifd: Ifd,
}

/// A page's strips, back to back in the file: one buffer (uncompressed rows, device
/// data), or the encoder's strips as they came. These are written one after another,
/// never first copied into one page-sized buffer: that copy held the compressed page
/// twice.
pub(crate) enum PageData<'a> {
    One(Cow<'a, [u8]>),
    Strips(Vec<Vec<u8>>),
    /// This many bytes, already in the file where the page's data go (a page whose
    /// strips were written as they were encoded): nothing left to write.
    Written(u64),
}

impl PageData<'_> {
    /// Bytes in all strips.
    pub fn len(&self) -> u64 {
        match self {
            PageData::One(d) => d.len() as u64,
            PageData::Strips(s) => s.iter().map(|s| s.len() as u64).sum(),
            PageData::Written(n) => *n,
        }
    }

    /// The pieces to write, in order.
    pub fn parts(&self) -> impl Iterator<Item = &[u8]> {
        let (one, many): (Option<&[u8]>, &[Vec<u8>]) = match self {
            PageData::One(d) => (Some(d), &[]),
            PageData::Strips(s) => (None, s),
            PageData::Written(_) => (None, &[]),
        };
        one.into_iter().chain(many.iter().map(Vec::as_slice))
    }

    /// All strips in one buffer (for tests).
    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<u8> {
        self.parts().flatten().copied().collect()
    }
}

impl EncodedPage<'_> {
    /// The page's IFD with StripOffsets for data placed at `data_at`, in the form of
    /// `variant`; an error when a classic page would need an offset past 4 GiB.
    pub fn ifd_at(&self, data_at: u64, variant: Variant) -> Result<Ifd> {
        let mut offs = Vec::with_capacity(self.strip_lens.len());
        let mut pos = data_at;
        for len in &self.strip_lens {
            offs.push(pos);
            pos = pos.checked_add(*len).ok_or_else(|| too_far(pos))?;
        }
        let mut ifd = self.ifd.clone();
        match variant {
            Variant::Big => {
                ifd.set(tag::STRIP_OFFSETS, Value::Long8(offs));
                ifd.set(
                    tag::STRIP_BYTE_COUNTS,
                    Value::Long8(self.strip_lens.clone()),
                );
            }
            Variant::Classic => {
                let long = |v: &[u64]| -> Result<Vec<u32>> {
                    v.iter()
                        .map(|&x| u32::try_from(x).map_err(|_| too_far(x)))
                        .collect()
                };
                ifd.set(tag::STRIP_OFFSETS, Value::Long(long(&offs)?));
                ifd.set(tag::STRIP_BYTE_COUNTS, Value::Long(long(&self.strip_lens)?));
            }
        }
        Ok(ifd)
    }

    /// Entries the IFD will have once placed (it gains StripOffsets and StripByteCounts).
    fn placed_entries(&self) -> usize {
        self.ifd.len()
            + [tag::STRIP_OFFSETS, tag::STRIP_BYTE_COUNTS]
                .iter()
                .filter(|&&t| self.ifd.get(t).is_none())
                .count()
    }
}

fn too_far(x: u64) -> Error {
    Error::SizeOverflow {
        what: "TIFF offset",
        detail: format!("{x} does not fit in a classic TIFF's 32-bit fields"),
    }
}

/// What a page may not pass, checked before any of its bytes is written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The last byte a page of a classic file may end at (at most 4 GiB).
    pub classic_end: u64,
    /// Past `classic_end`, promote the file to BigTIFF (true) or refuse the page.
    pub promote: bool,
    /// The size the file may not grow past ([`Options::max_file_size`](super::Options::max_file_size)).
    pub max_file_size: u64,
    /// The largest end offset the caller can record, and the name of where it goes (the
    /// C transfer context keeps where the next page goes in a 32-bit `LONG`).
    pub end_limit: Option<(u64, &'static str)>,
}

impl Limits {
    /// Refuses page `page` (1-based) if its end at `end` passes a limit the caller set:
    /// to that caller the medium is full.
    pub fn check(&self, page: u32, end: u64) -> Result<()> {
        if let Some((max, what)) = self.end_limit.filter(|(max, _)| end > *max) {
            return Err(Error::Limit {
                page,
                detail: format!(
                    "it would end at byte {end}, past the limit of {max} that {what} can hold"
                ),
            });
        }
        if end > self.max_file_size {
            return Err(Error::Limit {
                page,
                detail: format!(
                    "it would end at byte {end}, past the file size limit of {} bytes",
                    self.max_file_size
                ),
            });
        }
        Ok(())
    }
}

/// A page with its place in the file.
pub(crate) struct Placed {
    /// Where the strip data start (they are written back to back).
    pub data_at: u64,
    /// Where the IFD starts; the bytes between the data and it are zero padding.
    pub ifd_at: u64,
    /// The IFD serialised at `ifd_at` with a next-IFD offset of 0.
    pub bytes: IfdBytes,
    /// First byte after the page.
    pub end: u64,
}

/// Where a page goes.
pub(crate) enum Placement {
    /// At the end of the file, in the file's present form.
    Here(Placed),
    /// Nowhere in classic form: the file must become a BigTIFF first (data at `data_at`).
    Promote { data_at: u64 },
}

/// Places page `number` (1-based) of a `variant` file whose first free byte is `free`:
/// data at the next even offset, the IFD after them with its next-IFD field aligned
/// ([`ifd_place`]), checked against `limits` before anything is written. The one
/// placement rule of both writers.
pub(crate) fn place(
    page: &EncodedPage<'_>,
    free: u64,
    variant: Variant,
    limits: &Limits,
    number: u32,
) -> Result<Placement> {
    let data_at = align2(free);
    let data_end = data_at
        .checked_add(page.data.len())
        .ok_or_else(|| too_far(data_at))?;
    let ifd_at = ifd_place(data_end, page.placed_entries(), variant);
    let placed = if variant == Variant::Classic {
        // The page in classic form, if its offsets fit in 32 bits at all (an IFD
        // starting past 4 GiB, or values pushed past it, cannot be serialised).
        let classic = if ifd_at <= Variant::Classic.max_offset() {
            page.ifd_at(data_at, variant)
                .ok()
                .and_then(|ifd| ifd.serialize(ifd_at, 0, variant).ok())
        } else {
            None
        };
        let limit = limits.classic_end.min(Variant::Classic.max_offset());
        match classic {
            Some(bytes) if ifd_at + bytes.bytes.len() as u64 <= limit => {
                let end = ifd_at + bytes.bytes.len() as u64;
                Placed {
                    data_at,
                    ifd_at,
                    bytes,
                    end,
                }
            }
            _ if limits.promote => return Ok(Placement::Promote { data_at }),
            _ => {
                return Err(Error::SizeOverflow {
                    what: "TIFF file",
                    detail: format!(
                        "page {number} would end past byte {limit}, the most this classic TIFF may hold; nothing of it was written"
                    ),
                })
            }
        }
    } else {
        let ifd = page.ifd_at(data_at, variant)?;
        let bytes = ifd.serialize(ifd_at, 0, variant)?;
        let end = ifd_at + bytes.bytes.len() as u64;
        Placed {
            data_at,
            ifd_at,
            bytes,
            end,
        }
    };
    limits.check(number, placed.end)?;
    Ok(Placement::Here(placed))
}

/// The classic little-endian header with its first-IFD offset.
pub(crate) fn classic_header(first_ifd: u32) -> [u8; 8] {
    let mut h = [0; 8];
    h[0..2].copy_from_slice(b"II");
    h[2..4].copy_from_slice(&42u16.to_le_bytes());
    h[4..8].copy_from_slice(&first_ifd.to_le_bytes());
    h
}

/// The BigTIFF header (8-byte offsets) with its first-IFD offset.
pub(crate) fn bigtiff_header(first_ifd: u64) -> [u8; 16] {
    let mut h = [0; 16];
    h[0..2].copy_from_slice(b"II");
    h[2..4].copy_from_slice(&43u16.to_le_bytes());
    h[4..6].copy_from_slice(&8u16.to_le_bytes());
    h[8..16].copy_from_slice(&first_ifd.to_le_bytes());
    h
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page(len: usize) -> EncodedPage<'static> {
        let mut ifd = Ifd::new();
        ifd.set(tag::IMAGE_WIDTH, Value::Long(vec![1]));
        EncodedPage {
            data: PageData::One(Cow::Owned(vec![1; len])),
            strip_lens: vec![len as u64],
            ifd,
        }
    }

    fn limits() -> Limits {
        Limits {
            classic_end: Variant::Classic.max_offset(),
            promote: false,
            max_file_size: u64::MAX,
            end_limit: None,
        }
    }

    #[test]
    fn data_even_ifd_after_them_with_an_aligned_next_field() {
        let Placement::Here(p) = place(&page(5), 9, Variant::Classic, &limits(), 1).unwrap() else {
            panic!("not placed")
        };
        assert_eq!(p.data_at, 10);
        assert!(p.ifd_at >= 15 && p.ifd_at % 2 == 0);
        assert_eq!((p.ifd_at + p.bytes.next_field) % 4, 0);
        assert_eq!(p.end, p.ifd_at + p.bytes.bytes.len() as u64);
        // Three entries: ImageWidth plus the strip tags placement adds.
        assert_eq!(&p.bytes.bytes[..2], &3u16.to_le_bytes());
    }

    #[test]
    fn limits_refuse_or_promote() {
        let small = Limits {
            classic_end: 100,
            ..limits()
        };
        let e = place(&page(200), 16, Variant::Classic, &small, 3)
            .err()
            .unwrap();
        assert!(matches!(e, Error::SizeOverflow { .. }), "{e}");
        assert!(e.to_string().contains("page 3"), "{e}");
        let promote = Limits {
            promote: true,
            ..small
        };
        assert!(matches!(
            place(&page(200), 16, Variant::Classic, &promote, 3).unwrap(),
            Placement::Promote { data_at: 16 }
        ));
        let capped = Limits {
            max_file_size: 100,
            ..limits()
        };
        let e = place(&page(200), 16, Variant::Big, &capped, 2)
            .err()
            .unwrap();
        assert!(matches!(e, Error::Limit { page: 2, .. }), "{e}");
        let end_cap = Limits {
            end_limit: Some((100, "lCurIfdOffset")),
            ..limits()
        };
        let e = place(&page(200), 16, Variant::Classic, &end_cap, 2)
            .err()
            .unwrap();
        assert!(e.to_string().contains("lCurIfdOffset"), "{e}");
        assert!(e.is_medium_full());
    }
}

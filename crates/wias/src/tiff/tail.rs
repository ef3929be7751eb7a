//! The chain tail: 32 bytes a wias writer puts at the very end of a document after
//! every linked page, so that the next append finds the end of the IFD chain in O(1)
//! instead of walking it. (Its place in the append protocol: `docs/format.md`.)
//!
//! Why at the end, and not in the file's bytes 8..16 (where wias kept a "chain hint"
//! before): bytes near the start of a file another program wrote may be that program's
//! data — a tile or strip at byte 8, GDAL's COG ghost header — which no check of the
//! file's offsets can prove free. The end of the file is where an append writes
//! anyway; a tail is written only after a page of ours, so the only byte of another
//! program's file an append ever changes is the one next-IFD field that links our page.
//!
//! The record (all numbers little-endian):
//!
//! | bytes  | what |
//! |--------|------|
//! | 0..8   | `wias-end` |
//! | 8..16  | the field that links the last IFD: the header's first-IFD field (4, or 8 in a BigTIFF) or the previous IFD's next-IFD field |
//! | 16..24 | the last IFD's offset |
//! | 24..28 | the number of pages |
//! | 28..32 | CRC-32 of bytes 0..28, of the tail's own offset (u64) and of the last IFD's entry table through its next-IFD field |
//!
//! Nothing in the file points at the tail, so every TIFF reader ignores it. The CRC
//! binds the record to the file's length and to the IFD it names: pixel data that
//! happen to end a foreign file cannot pass for a tail (one chance in 2^32, and then
//! every structural check below must hold as well), and any edit by another program
//! (tiffcp -a, tiffset rewriting a directory at the end) moves the end or changes the
//! IFD, so the tail no longer checks out and the chain is walked once, as for any file
//! without one. The next page's data start where the tail starts: a tail is dead the
//! moment a later page is written, and a page that fails part way leaves a file
//! without a valid tail, which is walked.

use std::io::{Read, Seek, SeekFrom};

use super::extents::{data_extents, Reach};
use super::ifd::Variant;
use super::layout::{ChainEnd, HEADER_ROOM};
use super::lint::page_problems;
use super::reader::{read_directory_at, Directory, TiffFile};
use crate::error::{Error, Result};

/// Length of the tail record.
pub(crate) const TAIL_LEN: u64 = 32;
const MAGIC: &[u8; 8] = b"wias-end";
/// Most entries of an IFD the tail names (a larger one is not ours: walk).
const MAX_ENTRIES: u64 = 4096;

/// The tail for a document whose last IFD is at `last_ifd`, linked from `link_field`,
/// with `pages` pages, written at `tail_at`; `ifd` is that IFD's bytes from its entry
/// count through its next-IFD field.
pub(crate) fn encode(
    link_field: u64,
    last_ifd: u64,
    pages: u32,
    tail_at: u64,
    ifd: &[u8],
) -> [u8; 32] {
    let mut t = [0u8; 32];
    t[..8].copy_from_slice(MAGIC);
    t[8..16].copy_from_slice(&link_field.to_le_bytes());
    t[16..24].copy_from_slice(&last_ifd.to_le_bytes());
    t[24..28].copy_from_slice(&pages.to_le_bytes());
    let crc = checksum(&t[..28], tail_at, ifd);
    t[28..].copy_from_slice(&crc.to_le_bytes());
    t
}

fn checksum(record: &[u8], tail_at: u64, ifd: &[u8]) -> u32 {
    let mut crc = libdeflater::Crc::new();
    crc.update(record);
    crc.update(&tail_at.to_le_bytes());
    crc.update(ifd);
    crc.sum()
}

/// The IFD table (entry count, entries, next-IFD field) at the start of `block`, an
/// IFD serialised little-endian with its values after the table.
pub(crate) fn table(block: &[u8], variant: Variant) -> Option<&[u8]> {
    let (count_len, entry_len, next_len) = shape(variant);
    let mut b = [0u8; 8];
    b[..count_len as usize].copy_from_slice(block.get(..count_len as usize)?);
    let n = u64::from_le_bytes(b);
    block.get(..usize::try_from(count_len + n.checked_mul(entry_len)? + next_len).ok()?)
}

/// Bytes of an IFD's entry count, of one entry and of its next-IFD field.
fn shape(variant: Variant) -> (u64, u64, u64) {
    match variant {
        Variant::Classic => (2, 12, 4),
        Variant::Big => (8, 20, 8),
    }
}

/// The length of the IFD table at `at` (entry count, entries, next-IFD field) as
/// stored, read from its entry count; `None` past `limit` or for an absurd count.
fn table_len<R: Read + Seek>(r: &mut R, at: u64, variant: Variant, limit: u64) -> Option<u64> {
    let (count_len, entry_len, next_len) = shape(variant);
    let mut b = [0u8; 8];
    r.seek(SeekFrom::Start(at)).ok()?;
    r.read_exact(&mut b[..count_len as usize]).ok()?;
    let n = u64::from_le_bytes(b);
    if n == 0 || n > MAX_ENTRIES {
        return None;
    }
    let len = count_len + n * entry_len + next_len;
    (at.checked_add(len)? <= limit).then_some(len)
}

/// What appending needs, found in O(1) from the tail of a little-endian document wias
/// wrote: the chain's end, the header's first-IFD offset and the variant. `None` when
/// there is no tail, or it is stale or does not check out: the caller then walks the
/// whole chain.
///
/// Checked, in a constant number of reads whatever the page count:
/// - the tail's magic and CRC (record, its offset = file length − 32, the named IFD);
/// - the header is II, classic or BigTIFF; the link field the tail names holds the
///   last IFD's offset (for one page: the header's field), so the IFD is linked;
/// - the last IFD parses, its next-IFD offset is 0, its table and values end where
///   the tail starts, nothing of its own (values, strips, tiles) overlaps its next-IFD
///   field (the one field appending writes) and every strip lies inside the file;
/// - with more than one page, the header's first IFD parses, links on, and nothing of
///   page 1 (IFD, values, strips, tiles) reaches that next-IFD field or the tail;
/// - both pages are sound as `wias inspect` sees them ([`super::lint`]).
///
/// Left to the walk of `wias inspect`: damage made in place to pages 2..N-1 (bytes
/// changed without moving the end, the last IFD unchanged). The O(1) reopen cannot see
/// it without reading those pages; such a file was edited by hand, since every program
/// that rewrites a directory moves the file's end.
pub(crate) fn trusted_chain_end<R: Read + Seek>(r: &mut R) -> Option<(ChainEnd, u64, Variant)> {
    let len = r.seek(SeekFrom::End(0)).ok()?;
    let tail_at = len.checked_sub(TAIL_LEN)?;
    if tail_at < HEADER_ROOM {
        return None;
    }
    let mut t = [0u8; 32];
    r.seek(SeekFrom::Start(tail_at)).ok()?;
    r.read_exact(&mut t).ok()?;
    if &t[..8] != MAGIC {
        return None;
    }
    let word = |b: &[u8]| u64::from_le_bytes(b[..8].try_into().unwrap());
    let (link_field, last) = (word(&t[8..]), word(&t[16..]));
    let pages = u32::from_le_bytes(t[24..28].try_into().unwrap());
    let crc = u32::from_le_bytes(t[28..].try_into().unwrap());

    let mut head = [0u8; 16];
    r.seek(SeekFrom::Start(0)).ok()?;
    r.read_exact(&mut head).ok()?;
    let (variant, first, first_field, width) = match &head[..4] {
        b"II*\0" => (
            Variant::Classic,
            u64::from(u32::from_le_bytes(head[4..8].try_into().unwrap())),
            4,
            4,
        ),
        b"II+\0" if head[4..8] == [8, 0, 0, 0] => (Variant::Big, word(&head[8..]), 8, 8),
        _ => return None,
    };
    if pages == 0 || last < HEADER_ROOM || last >= tail_at || first < HEADER_ROOM {
        return None;
    }
    let ifd_len = table_len(r, last, variant, tail_at)?;
    let mut ifd = vec![0u8; ifd_len as usize];
    r.seek(SeekFrom::Start(last)).ok()?;
    r.read_exact(&mut ifd).ok()?;
    if checksum(&t[..28], tail_at, &ifd) != crc {
        return None;
    }
    // The link field names the last IFD.
    let linked = if link_field == first_field {
        first
    } else {
        if link_field < HEADER_ROOM || link_field.checked_add(width)? > tail_at {
            return None;
        }
        let mut b = [0u8; 8];
        r.seek(SeekFrom::Start(link_field)).ok()?;
        r.read_exact(&mut b[..width as usize]).ok()?;
        word(&b)
    };
    if linked != last || (pages == 1) != (link_field == first_field) {
        return None;
    }
    let (dir, next) = read_directory_at(r, len, last, variant).ok()?;
    if next != 0 {
        return None;
    }
    let field = dir.next_field..dir.next_field + width;
    let mut block_end = field.end;
    for x in data_extents(&dir) {
        let end = clear_of(&x, &field, tail_at)?;
        if x.is_value() {
            if x.at < field.end {
                return None; // values are placed after the table
            }
            block_end = block_end.max(end);
        }
    }
    if tail_at != block_end && tail_at != block_end + block_end % 2 {
        return None;
    }
    // The pages read are sound as `wias inspect` sees them (else the walk says why).
    if !page_problems(pages as usize, &dir, len, variant).is_empty() {
        return None;
    }
    if pages > 1 {
        // Page 1 as well (a constant cost): it links on, and nothing of it reaches
        // the field appending writes or the bytes past the tail's start.
        let (d1, after_first) = read_directory_at(r, len, first, variant).ok()?;
        if after_first == 0
            || after_first >= len
            || d1.offset < field.end && d1.next_field + width > field.start
        {
            return None;
        }
        if !page_problems(1, &d1, len, variant).is_empty() {
            return None;
        }
        for x in data_extents(&d1) {
            clear_of(&x, &field, tail_at)?;
        }
    }
    let chain = ChainEnd {
        link_field: dir.next_field,
        last_ifd: Some(last),
        pages,
    };
    Some((chain, first, variant))
}

impl TiffFile {
    /// The last page's directory: in O(1) from the chain tail of a document wias
    /// wrote (checked as [`crate::tiff::TiffWriter::append_to`] checks it), else by
    /// following the chain's links. `None` for a file without pages.
    pub fn read_last_directory<R: Read + Seek>(r: &mut R) -> Result<Option<Directory>> {
        if let Some((
            ChainEnd {
                last_ifd: Some(at), ..
            },
            _,
            variant,
        )) = trusted_chain_end(r)
        {
            let len = r
                .seek(SeekFrom::End(0))
                .map_err(|e| Error::io("reading the file length", e))?;
            return Ok(Some(read_directory_at(r, len, at, variant)?.0));
        }
        // No usable tail: follow the links to the last IFD, then read that one.
        TiffFile::last_directory_by_links(r)
    }
}

/// The end of data `x` when they are of known size, end before the tail at `tail_at`
/// and stay off `field` (the next-IFD field appending writes); `None` otherwise, for
/// sub-directories and offsets of unknown reach too: the caller then walks the chain.
fn clear_of(x: &super::extents::Extent, field: &std::ops::Range<u64>, tail_at: u64) -> Option<u64> {
    let Reach::Bytes(n) = x.reach else {
        return None;
    };
    let end = x.at.checked_add(n)?;
    (end <= tail_at && !(x.at < field.end && end > field.start)).then_some(end)
}

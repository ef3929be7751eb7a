//! Checks an existing file must pass before we write into it.

use std::io::{Read, Seek, SeekFrom};

use super::ifd::Variant;
use super::layout::{ChainEnd, HEADER_ROOM};
use super::reader::{read_directory_at, Directory, EntryValue};
use super::tags::tag;
use crate::error::{Error, Result};

/// Appending writes one field of an existing file: the last IFD's next-IFD offset.
/// In a damaged or hostile file that field can lie inside another IFD, a tag value or
/// image data, which the write would corrupt; such a file is refused.
pub(crate) fn check_link_field_is_free(
    field_at: u64,
    variant: Variant,
    p: usize,
    is_last: bool,
    d: &Directory,
) -> Result<()> {
    let width = if variant == Variant::Big { 8 } else { 4 };
    let field = field_at..field_at + width;
    let hits = |at: u64, len: u64| at < field.end && at.saturating_add(len) > field.start;
    let refuse = |what: String| {
        Err(Error::Corrupt(format!(
            "the last IFD's next-IFD field (bytes {}..{}) overlaps {what}; appending would damage it",
            field.start, field.end
        )))
    };
    if !is_last && hits(d.offset, d.next_field + width - d.offset) {
        return refuse(format!("the IFD of page {p} at byte {}", d.offset));
    }
    for e in &d.entries {
        if let Some(off) = e.value_offset {
            let size = super::tags::field_type::size(e.field_type).unwrap_or(1);
            if hits(off, size.saturating_mul(e.count).max(1)) {
                return refuse(format!("the value of tag {} of page {p}", e.tag));
            }
        }
    }
    if let Some((offs, counts)) = d.strips() {
        if let Some(k) = offs.iter().zip(counts).position(|(&o, &c)| hits(o, c)) {
            return refuse(format!("strip {k} of page {p}"));
        }
    }
    Ok(())
}

/// Every strip of page `p` (directory `d`) lies inside a file of `file_len` bytes: a
/// page whose data run past the end was cut short, and a page appended at the end
/// would become its tail.
pub(crate) fn check_strips_inside(d: &Directory, file_len: u64, p: usize) -> Result<()> {
    let Some((offs, counts)) = d.strips() else {
        return Ok(());
    };
    for (k, (o, c)) in offs.iter().zip(counts).enumerate() {
        if o.checked_add(*c).is_none_or(|e| e > file_len) {
            return Err(Error::Corrupt(format!(
                "page {p}: strip {k} ({c} bytes at byte {o}) runs past the end of the {file_len}-byte file"
            )));
        }
    }
    Ok(())
}

/// Bytes 8..16 of a classic file we write: the hint of where the chain ends.
///
/// A classic header is 8 bytes; we keep the next 8 free so the file can grow into a
/// BigTIFF in place (`layout::HEADER_ROOM`). While the file is classic the writer puts
/// there, with every page, the offset of the field that links the page's IFD (the
/// header's first-IFD field or the previous IFD's next-IFD field; bytes 8..12) and the
/// IFD's offset (12..16), both little-endian u32. Nothing in the file points at these
/// bytes, so every TIFF reader ignores them; [`trusted_chain_end`] uses them to reopen
/// a long document without walking its chain.
pub(crate) fn chain_hint(link_field: u64, last_ifd: u64) -> Option<[u8; 8]> {
    let field = u32::try_from(link_field).ok()?;
    let last = u32::try_from(last_ifd).ok()?;
    let mut h = [0; 8];
    h[..4].copy_from_slice(&field.to_le_bytes());
    h[4..].copy_from_slice(&last.to_le_bytes());
    Some(h)
}

/// What appending needs, found in O(1) from the chain hint of a classic file we wrote:
/// the chain end and the offset of the first IFD. `None` when the hint is missing,
/// stale or does not check out: the caller then walks the whole chain as before.
///
/// Checked, in a constant number of reads whatever the page count:
/// - the header is a classic little-endian one; the hinted link field holds the hinted
///   IFD's offset (so the IFD is linked: a page whose link failed, or a hint from before
///   the last page, does not pass);
/// - the hinted IFD parses (entry count, every value inside the file), its next-IFD
///   offset is 0, its strips lie inside the file, and neither its values nor its
///   strips overlap its next-IFD field (the one field appending writes);
/// - the file ends where that IFD's table and values end, as our writer leaves it (a
///   tool that appended, a page we failed to write, or a cut changed that);
/// - its PageNumber tag gives the page count (no tag, or 65535 and more: walk), and the
///   header agrees: the hinted link field is the header's exactly when the count is 1,
///   else the header's first IFD parses too and links on inside the file.
///
/// Left to the walk of `wias inspect`: damage to pages 2..N-1 of a file whose last page
/// checks out (bytes changed in place), e.g. a chain broken in the middle. Appending
/// then still only writes past the end and into the last IFD's next-IFD field, which
/// the checks above show is free in that IFD; the new page is as reachable as the old
/// last one.
pub(crate) fn trusted_chain_end<R: Read + Seek>(r: &mut R) -> Option<(ChainEnd, u64)> {
    let len = r.seek(SeekFrom::End(0)).ok()?;
    let mut head = [0u8; 16];
    r.seek(SeekFrom::Start(0)).ok()?;
    r.read_exact(&mut head).ok()?;
    let word = |b: &[u8]| u64::from(u32::from_le_bytes(b[..4].try_into().unwrap()));
    let (first, link_field, last) = (word(&head[4..]), word(&head[8..]), word(&head[12..]));
    if &head[..4] != b"II*\0" || first < HEADER_ROOM || last < HEADER_ROOM || last >= len {
        return None;
    }
    let linked = if link_field == 4 {
        first
    } else {
        if link_field < HEADER_ROOM || link_field.checked_add(4)? > len {
            return None;
        }
        let mut b = [0u8; 4];
        r.seek(SeekFrom::Start(link_field)).ok()?;
        r.read_exact(&mut b).ok()?;
        word(&b)
    };
    if linked != last {
        return None;
    }
    let (dir, next) = read_directory_at(r, len, last, Variant::Classic).ok()?;
    if next != 0 {
        return None;
    }
    let field = dir.next_field..dir.next_field + 4;
    let hits = |at: u64, n: u64| at < field.end && at.saturating_add(n) > field.start;
    let mut block_end = field.end;
    for e in &dir.entries {
        if let Some(off) = e.value_offset {
            let size = super::tags::field_type::size(e.field_type).unwrap_or(1);
            let n = size.saturating_mul(e.count).max(1);
            if hits(off, n) || off < field.end {
                return None;
            }
            block_end = block_end.max(off.saturating_add(n));
        }
    }
    if len != block_end && len != block_end + block_end % 2 {
        return None;
    }
    if let Some((offs, counts)) = dir.strips() {
        let outside = |(&o, &c): (&u64, &u64)| o.checked_add(c).is_none_or(|e| e > len);
        if offs
            .iter()
            .zip(counts)
            .any(|s| outside(s) || hits(*s.0, *s.1))
        {
            return None;
        }
    }
    let index = match dir.get(tag::PAGE_NUMBER).map(|e| &e.value) {
        Some(EntryValue::Ints(v)) if !v.is_empty() && v[0] < 65535 => v[0],
        _ => return None,
    };
    let pages = u32::try_from(index + 1).ok()?;
    if (pages == 1) != (link_field == 4) {
        return None;
    }
    if pages > 1 {
        let (_, after_first) = read_directory_at(r, len, first, Variant::Classic).ok()?;
        if after_first == 0 || after_first >= len {
            return None;
        }
    }
    let chain = ChainEnd {
        link_field: dir.next_field,
        last_ifd: Some(last),
        pages,
    };
    Some((chain, first))
}

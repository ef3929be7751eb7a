//! Growing a classic TIFF into a BigTIFF in place: which existing files can be
//! promoted, and their directories in a form that can be rewritten with 64-bit offsets.

use super::ifd::{Ifd, Variant};
use super::layout::{ifd_place, HEADER_ROOM};
use super::reader::{Directory, TiffFile};
use super::tags::Value;
use crate::error::Result;

/// The directories of a classic file as IFDs we can rewrite in BigTIFF form, or why
/// the file cannot be promoted in place.
pub(crate) fn promotable_chain(file: &TiffFile) -> std::result::Result<Vec<Ifd>, String> {
    /// Tags whose values are offsets of further classic IFDs, which a BigTIFF reader
    /// would misread.
    const SUB_IFD_TAGS: [(u16, &str); 4] = [
        (330, "SubIFDs"),
        (34665, "ExifIFD"),
        (34853, "GPSInfo"),
        (40965, "InteroperabilityIFD"),
    ];
    let mut out = Vec::with_capacity(file.directories.len());
    for (i, d) in file.directories.iter().enumerate() {
        let p = i + 1;
        if let Some(why) = header_room_conflict(d, p) {
            return Err(why);
        }
        let mut ifd = Ifd::new();
        for e in &d.entries {
            if let Some((_, name)) = SUB_IFD_TAGS.iter().find(|(t, _)| *t == e.tag) {
                return Err(format!(
                    "page {p} has a {name} tag pointing at classic sub-directories"
                ));
            }
            let Some(raw) = &e.raw else {
                return Err(format!(
                    "page {p}: tag {} has a value of unknown type or too large to copy",
                    e.tag
                ));
            };
            ifd.set(
                e.tag,
                Value::Raw {
                    field_type: e.field_type,
                    count: e.count,
                    bytes: raw.clone(),
                },
            );
        }
        out.push(ifd);
    }
    Ok(out)
}

/// Why page `p` (directory `d`) keeps a classic file from using bytes 8..16, where a
/// BigTIFF header goes when the file grows and where a classic file we write keeps its
/// chain hint: its IFD, a tag value or its image data lie there (None: they are free).
pub(crate) fn header_room_conflict(d: &Directory, p: usize) -> Option<String> {
    let header_room = 8..HEADER_ROOM;
    let overlaps =
        |at: u64, len: u64| at < header_room.end && at.saturating_add(len) > header_room.start;
    if overlaps(d.offset, d.next_field + 4 - d.offset) {
        return Some(format!(
            "page {p}'s IFD sits in bytes 8..16, where the BigTIFF header goes"
        ));
    }
    for e in &d.entries {
        if let Some(off) = e.value_offset {
            let size = super::tags::field_type::size(e.field_type).unwrap_or(1);
            if overlaps(off, size.saturating_mul(e.count).max(1)) {
                return Some(format!("page {p}: the value of tag {} sits in bytes 8..16, where the BigTIFF header goes", e.tag));
            }
        }
    }
    if let Some((offs, counts)) = d.strips() {
        if offs.iter().zip(counts).any(|(&o, &c)| overlaps(o, c)) {
            return Some(format!("page {p}'s image data sit in bytes 8..16, where the BigTIFF header goes (the file was not written by wias)"));
        }
    }
    None
}

/// A whole chain serialised in BigTIFF form, to be written after the new page's data.
pub(crate) struct BigChain {
    /// Where the chain starts (the new header's first-IFD offset).
    pub at: u64,
    /// The directories back to back, each linked to the next, the last one to 0.
    pub bytes: Vec<u8>,
    /// Offset of the last (the new page's) IFD, and of its next-IFD field.
    pub last: u64,
    pub last_next_field: u64,
    /// First byte after the chain.
    pub end: u64,
}

/// The directories `dirs` of a classic file and the new page's `new_ifd`, laid out in
/// BigTIFF form from the first free byte `free` on.
pub(crate) fn bigtiff_chain(dirs: &[Ifd], new_ifd: Ifd, free: u64) -> Result<BigChain> {
    let first = dirs.first().unwrap_or(&new_ifd);
    let chain_at = ifd_place(free, first.len(), Variant::Big);
    let mut chain = Vec::new();
    let mut at = chain_at;
    let mut placed: Vec<(u64, u64)> = Vec::with_capacity(dirs.len() + 1); // (ifd, next field)
    for ifd in dirs.iter().chain(std::iter::once(&new_ifd)) {
        at = ifd_place(at, ifd.len(), Variant::Big);
        chain.resize((at - chain_at) as usize, 0);
        let b = ifd.serialize(at, 0, Variant::Big)?;
        if let Some(&(_, prev_next)) = placed.last() {
            let k = (prev_next - chain_at) as usize;
            chain[k..k + 8].copy_from_slice(&at.to_le_bytes());
        }
        placed.push((at, at + b.next_field));
        chain.extend_from_slice(&b.bytes);
        at += b.bytes.len() as u64;
    }
    let &(last, last_next_field) = placed.last().expect("the new page is placed");
    Ok(BigChain {
        at: chain_at,
        bytes: chain,
        last,
        last_next_field,
        end: at,
    })
}

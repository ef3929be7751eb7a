//! Growing a classic TIFF into a BigTIFF in place: which existing files can be
//! promoted, and their directories in a form that can be rewritten with 64-bit offsets.
//! The order of the writes, and why a failure at any of them loses nothing:
//! `docs/format.md`, "growing into a BigTIFF in place".

use super::extents::data_extents;
use super::ifd::{Ifd, Variant};
use super::layout::{ifd_place, HEADER_ROOM};
use super::reader::{Directory, TiffFile};
use super::tags::{info, Data, Value};
use crate::error::Result;

/// The directories of a classic file as IFDs we can rewrite in BigTIFF form, or why
/// the file cannot be promoted in place. `room` is the file's bytes 8..16. Sub-IFD
/// tags (whose values are offsets of classic IFDs, which a BigTIFF reader would
/// misread) keep a file classic.
pub(crate) fn promotable_chain(
    file: &TiffFile,
    room: [u8; 8],
) -> std::result::Result<Vec<Ifd>, String> {
    let mut linked_from = 4;
    let links = file.directories.iter().map(|d| {
        let l = (d.offset, linked_from);
        linked_from = d.next_field;
        l
    });
    if let Some(why) = header_room_bytes_conflict(room, links) {
        return Err(why);
    }
    let mut out = Vec::with_capacity(file.directories.len());
    for (i, d) in file.directories.iter().enumerate() {
        let p = i + 1;
        if let Some(why) = header_room_conflict(d, p) {
            return Err(why);
        }
        let mut ifd = Ifd::new();
        for e in &d.entries {
            if let Some(t) = info(e.tag).filter(|t| t.data == Data::SubIfds) {
                return Err(format!(
                    "page {p} has a {} tag pointing at classic sub-directories",
                    t.name
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
/// BigTIFF header goes when the file grows: its IFD, a tag value, image data (strips,
/// tiles, JPEG streams, free blocks) lie there, or a sub-directory or an offset whose
/// reach nobody knows starts before byte 16 (None: nothing of the page can be there).
pub(crate) fn header_room_conflict(d: &Directory, p: usize) -> Option<String> {
    let room = 8..HEADER_ROOM;
    if d.offset < room.end && d.next_field + 4 > room.start {
        return Some(format!(
            "page {p}'s IFD sits in bytes 8..16, where the BigTIFF header goes"
        ));
    }
    data_extents(d).find(|x| x.may_reach(&room)).map(|x| {
        format!(
            "page {p}: {x} may lie in bytes 8..16, where the BigTIFF header goes (the file was not written by wias)"
        )
    })
}

/// Why bytes 8..16 of a classic file, as `room` holds them, cannot take a BigTIFF
/// header: they are not zero, so another program may keep something there that no
/// offset names (GDAL's COG ghost header does), unless they are the chain hint an
/// earlier wias wrote there: the offset of the field that links an IFD of the chain
/// (bytes 8..12) and that IFD's offset (12..16). `chain` gives each IFD's offset with
/// the offset of the field that links it.
pub(crate) fn header_room_bytes_conflict(
    room: [u8; 8],
    mut chain: impl Iterator<Item = (u64, u64)>,
) -> Option<String> {
    if room == [0; 8] {
        return None;
    }
    let field = u64::from(u32::from_le_bytes(room[..4].try_into().unwrap()));
    let ifd = u64::from(u32::from_le_bytes(room[4..].try_into().unwrap()));
    if chain.any(|(at, linked_from)| (at, linked_from) == (ifd, field)) {
        return None;
    }
    Some("bytes 8..16, where the BigTIFF header goes, hold data of another program".into())
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
    /// The field that links the last IFD: the previous IFD's next-IFD field, or the
    /// BigTIFF header's first-IFD field (8) for a one-page chain.
    pub last_linked_from: u64,
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
    let last_linked_from = placed.iter().rev().nth(1).map_or(8, |&(_, next)| next);
    Ok(BigChain {
        at: chain_at,
        bytes: chain,
        last,
        last_next_field,
        last_linked_from,
        end: at,
    })
}

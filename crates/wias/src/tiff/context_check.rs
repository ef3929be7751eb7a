//! The transfer-context check: in O(1), that an IFD a caller names (the offset a
//! transfer context carries from call to call) is the last page a wias writer left
//! there, before a link is written into it.
//!
//! Checking only "an entry count, then a next-IFD field of 0" accepts about one byte
//! offset in seventy of a bilevel document (zeros are common in G4 data): the link then
//! lands in an earlier page's pixels. A wias IFD has a shape that pixel data almost
//! never has, and all of it is checked, without walking the chain: the entry table
//! and its values packed right after it as [`Ifd::serialize`](super::Ifd) places them,
//! ending where the writer left the file; tags sorted, each of a type TIFF allows for
//! it; one or more strips, back to back, inside the file, ending just before the IFD;
//! a next-IFD field of 0.

use std::io::{Read, Seek, SeekFrom};

use super::ifd::Variant;
use super::reader::{read_one_ifd, Directory};
use super::tags::{field_type as ft, info, tag, CLASSIC_TYPES};

/// Why the IFD at an offset is not the last page a wias writer left, in words for
/// the message ("lCurIfdOffset = X: <why>").
pub(crate) type Refusal = String;

/// Checks that a wias classic IFD at `at` is whole and ends the chain. `ends_at` is
/// where the writer left the file after it (the IFD and its values end exactly
/// there); without it they must end inside the file. Returns the IFD.
pub(crate) fn check_last_ifd<R: Read + Seek>(
    r: &mut R,
    at: u64,
    ends_at: Option<u64>,
) -> Result<Directory, Refusal> {
    let file_len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| format!("cannot read the file length ({e})"))?;
    // The header and the room for a BigTIFF header come first, then page data.
    if at >= file_len {
        return Err(format!(
            "cannot read an IFD there (the file has {file_len} bytes)"
        ));
    }
    if at % 2 != 0 || at <= 16 {
        return Err("no IFD there (wias puts IFDs at even offsets past byte 16)".into());
    }
    let (d, next) =
        read_one_ifd(r, at, Variant::Classic).map_err(|e| format!("no IFD there ({e})"))?;
    let no_ifd = |why: String| format!("no IFD there ({why})");
    let end = packed_end(&d).map_err(no_ifd)?;
    if end > file_len {
        return Err(no_ifd(format!(
            "one there would end at byte {end}, past the end of the {file_len}-byte file"
        )));
    }
    check_types(&d).map_err(no_ifd)?;
    check_strips(&d, file_len).map_err(no_ifd)?;
    // A next-IFD field that is not 0 links a later page, unless a call failed while
    // writing it and could not undo it (a torn link into nothing): that one the next
    // page overwrites.
    if next != 0 && names_whole_ifd(r, next) {
        return Err(format!(
            "is not the last page: its next-IFD field already points to byte {next}"
        ));
    }
    if let Some(e) = ends_at.filter(|&e| e != end) {
        return Err(no_ifd(format!(
            "one there would end at byte {end}, not at {e} where the previous page ended"
        )));
    }
    Ok(d)
}

/// Whether a whole page's IFD, as a wias writer leaves it, is at `at`.
fn names_whole_ifd<R: Read + Seek>(r: &mut R, at: u64) -> bool {
    let Ok(file_len) = r.seek(SeekFrom::End(0)) else {
        return true;
    };
    if at >= file_len || at % 2 != 0 || at <= 16 {
        return false;
    }
    match read_one_ifd(r, at, Variant::Classic) {
        Ok((d, _)) => {
            packed_end(&d).is_ok_and(|end| end <= file_len)
                && check_types(&d).is_ok()
                && check_strips(&d, file_len).is_ok()
        }
        Err(_) => false,
    }
}

/// Where the IFD's bytes end if its long values follow the table in entry order,
/// each at an even offset, as the writer places them; an error if they do not.
fn packed_end(d: &Directory) -> Result<u64, Refusal> {
    let mut cursor = d.next_field + 4;
    for e in &d.entries {
        let Some(off) = e.value_offset else { continue };
        if off != cursor {
            return Err(format!(
                "tag {}'s value is at byte {off}, not right after the IFD's table and earlier values (byte {cursor})",
                e.tag
            ));
        }
        let len = ft::size(e.field_type).unwrap_or(0) * e.count;
        cursor = off + len + (len & 1);
    }
    Ok(cursor)
}

/// The field types TIFF 6.0 allows for a tag (the tag table's `spec`); a tag we do
/// not know may have any classic type.
fn allowed_types(t: u16) -> &'static [u16] {
    info(t).map_or(CLASSIC_TYPES, |i| i.spec)
}

/// Tags in ascending order, each of an allowed type, the page's required tags there
/// with one value each.
fn check_types(d: &Directory) -> Result<(), Refusal> {
    for w in d.entries.windows(2) {
        if w[0].tag >= w[1].tag {
            return Err(format!(
                "the IFD there has tag {} after tag {} (tags must ascend)",
                w[1].tag, w[0].tag
            ));
        }
    }
    for e in &d.entries {
        if !allowed_types(e.tag).contains(&e.field_type) || e.count == 0 {
            return Err(format!(
                "the IFD there has tag {} of type {} with {} values, which no page has",
                e.tag, e.field_type, e.count
            ));
        }
    }
    for t in [
        tag::IMAGE_WIDTH,
        tag::IMAGE_LENGTH,
        tag::COMPRESSION,
        tag::PHOTOMETRIC,
    ] {
        match d.get(t) {
            Some(e)
                if e.count == 1 && e.first().is_some_and(|v| v > 0 || t == tag::PHOTOMETRIC) => {}
            _ => {
                return Err(format!(
                    "the IFD there has no valid tag {t}, which every page has"
                ))
            }
        }
    }
    Ok(())
}

/// One or more strips, as many as the page's lines need, back to back from past the
/// header to just before the IFD (at most 3 bytes of alignment between), inside the
/// file.
fn check_strips(d: &Directory, file_len: u64) -> Result<(), Refusal> {
    let Some((offs, counts)) = d.strips() else {
        return Err("the IFD there has no strips".into());
    };
    let lines = d.int(tag::IMAGE_LENGTH).unwrap_or(0);
    let rps = d
        .int(tag::ROWS_PER_STRIP)
        .unwrap_or(lines)
        .clamp(1, lines.max(1));
    let want = lines.div_ceil(rps);
    if offs.is_empty() || offs.len() != counts.len() || offs.len() as u64 != want {
        return Err(format!(
            "the IFD there lists {} strip offsets and {} byte counts for {lines} lines at {rps} rows per strip",
            offs.len(),
            counts.len()
        ));
    }
    let mut pos = offs[0];
    if pos < 16 {
        return Err(format!(
            "the IFD there has a strip at byte {pos}, inside the header"
        ));
    }
    for (&o, &c) in offs.iter().zip(counts) {
        if o != pos || c == 0 {
            return Err(format!(
                "the IFD there has a strip of {c} bytes at byte {o}, not right after the one before (byte {pos})"
            ));
        }
        pos = o.checked_add(c).filter(|&e| e <= file_len).ok_or_else(|| {
            format!("the IFD there has a strip ({c} bytes at byte {o}) past the end of the {file_len}-byte file")
        })?;
    }
    if pos > d.offset || d.offset - pos > 3 {
        return Err(format!(
            "the IFD there does not follow its page's data (they end at byte {pos})"
        ));
    }
    Ok(())
}

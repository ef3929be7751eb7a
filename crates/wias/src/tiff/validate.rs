//! Checks an existing file must pass before we write into it.

use super::ifd::Variant;
use super::reader::TiffFile;
use crate::error::{Error, Result};

/// Appending writes one field of an existing file: the last IFD's next-IFD offset.
/// In a damaged or hostile file that field can lie inside another IFD, a tag value or
/// image data, which the write would corrupt; such a file is refused.
pub(crate) fn check_link_field_is_free(file: &TiffFile) -> Result<()> {
    let Some(last) = file.directories.last() else {
        return Ok(());
    };
    let width = if file.variant == Variant::Big { 8 } else { 4 };
    let field = last.next_field..last.next_field + width;
    let hits = |at: u64, len: u64| at < field.end && at.saturating_add(len) > field.start;
    let refuse = |what: String| {
        Err(Error::Corrupt(format!(
            "the last IFD's next-IFD field (bytes {}..{}) overlaps {what}; appending would damage it",
            field.start, field.end
        )))
    };
    let n = file.directories.len();
    for (i, d) in file.directories.iter().enumerate() {
        let p = i + 1;
        if i + 1 < n && hits(d.offset, d.next_field + width - d.offset) {
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
    }
    Ok(())
}

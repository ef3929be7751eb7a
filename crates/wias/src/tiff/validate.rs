//! Checks an existing file must pass before we write into it.

use super::ifd::Variant;
use super::reader::Directory;
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

//! The checks an existing file must pass before appending writes into it: the page is
//! sound (what `wias inspect` calls sound, [`super::lint`]), its strips and tiles lie
//! inside the file, and nothing of it lies under the one field appending writes.
//! A file that fails is refused, untouched, with the reason.

use super::extents::{data_extents, image_offsets_tag, runs_of, Reach};
use super::ifd::Variant;
use super::lint::page_problems;
use super::reader::Directory;
use crate::error::{Error, Result};

/// Everything appending checks of page `p` (directory `d`) of a file of `file_len`
/// bytes whose last IFD's next-IFD field is at `link_field` (the field appending
/// writes); `is_last` for the last page. Checks in this order, so that the first
/// reason given is the most direct one: data past the end, the link field taken, then
/// the lint.
pub(crate) fn check_page(
    d: &Directory,
    p: usize,
    file_len: u64,
    variant: Variant,
    link_field: u64,
    is_last: bool,
) -> Result<()> {
    check_strips_inside(d, file_len, p)?;
    check_link_field_is_free(link_field, variant, p, is_last, d)?;
    check_sound(d, p, file_len, variant)
}

/// A page readers cannot read as it stands (the problems `wias inspect` lists) is not
/// a document to add pages to: libtiff would refuse the file, or read the earlier pages
/// wrong, with or without ours.
pub(crate) fn check_sound(d: &Directory, p: usize, file_len: u64, variant: Variant) -> Result<()> {
    let problems = page_problems(p, d, file_len, variant);
    match problems.first() {
        None => Ok(()),
        Some(first) => {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            Err(Error::Corrupt(format!(
                "the file is not sound: {first}{more}; readers cannot read it as it stands, so no page is added (wias inspect lists every problem)"
            )))
        }
    }
}

/// Every strip or tile of page `p` (directory `d`) that readers take its image from
/// lies inside a file of `file_len` bytes: a page whose data run past the end was cut
/// short, and a page appended at the end would become its tail.
pub(crate) fn check_strips_inside(d: &Directory, file_len: u64, p: usize) -> Result<()> {
    for x in runs_of(d, image_offsets_tag(d)) {
        let Reach::Bytes(c) = x.reach else {
            continue;
        };
        if x.at.checked_add(c).is_none_or(|e| e > file_len) {
            return Err(Error::Corrupt(format!(
                "page {p}: {x} ({c} bytes at byte {}) runs past the end of the {file_len}-byte file",
                x.at
            )));
        }
    }
    Ok(())
}

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
    if !is_last && d.offset < field.end && d.next_field + width > field.start {
        return Err(link_field_taken(
            &field,
            format!("the IFD of page {p} at byte {}", d.offset),
        ));
    }
    match data_extents(d).find(|x| x.overlaps(&field)) {
        Some(x) => Err(link_field_taken(&field, format!("{x} of page {p}"))),
        None => Ok(()),
    }
}

fn link_field_taken(field: &std::ops::Range<u64>, what: String) -> Error {
    Error::Corrupt(format!(
        "the last IFD's next-IFD field (bytes {}..{}) overlaps {what}; appending would damage it",
        field.start, field.end
    ))
}

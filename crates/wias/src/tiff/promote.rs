//! Growing a classic TIFF into a BigTIFF in place: which existing files can be
//! promoted, and their directories in a form that can be rewritten with 64-bit offsets.

use super::ifd::Ifd;
use super::layout::HEADER_ROOM;
use super::reader::TiffFile;
use super::tags::Value;

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
    let header_room = 8..HEADER_ROOM;
    let overlaps =
        |at: u64, len: u64| at < header_room.end && at.saturating_add(len) > header_room.start;
    let mut out = Vec::with_capacity(file.directories.len());
    for (i, d) in file.directories.iter().enumerate() {
        let p = i + 1;
        if overlaps(d.offset, d.next_field + 4 - d.offset) {
            return Err(format!(
                "page {p}'s IFD sits in bytes 8..16, where the BigTIFF header goes"
            ));
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
            if let Some(off) = e.value_offset {
                if overlaps(off, raw.len() as u64) {
                    return Err(format!("page {p}: the value of tag {} sits in bytes 8..16, where the BigTIFF header goes", e.tag));
                }
            }
            ifd.set(
                e.tag,
                Value::Raw {
                    field_type: e.field_type,
                    count: e.count,
                    bytes: raw.clone(),
                },
            );
        }
        if let Some((offs, counts)) = d.strips() {
            if offs.iter().zip(counts).any(|(&o, &c)| overlaps(o, c)) {
                return Err(format!("page {p}'s image data sit in bytes 8..16, where the BigTIFF header goes (the file was not written by wias)"));
            }
        }
        out.push(ifd);
    }
    Ok(out)
}

//! Checks an existing file must pass before we write into it.

use super::ifd::Variant;
use super::layout::HEADER_ROOM;
/// The per-page strip check lives with the directory model in `reader`, which
/// [`TiffFile::check_strips_in_file`](super::reader::TiffFile::check_strips_in_file)
/// also uses; re-exported here for the writer's chain checks.
pub(crate) use super::reader::check_strips_inside;
use super::reader::Directory;
use super::tags::{field_type as ft, tag};
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
    if !is_last && d.offset < field.end && d.next_field + width > field.start {
        return Err(link_field_taken(
            &field,
            format!("the IFD of page {p} at byte {}", d.offset),
        ));
    }
    match data_extents(d, variant).find(|x| x.overlaps(&field)) {
        Some(x) => Err(link_field_taken(&field, format!("{} of page {p}", x.what))),
        None => Ok(()),
    }
}

fn link_field_taken(field: &std::ops::Range<u64>, what: String) -> Error {
    Error::Corrupt(format!(
        "the last IFD's next-IFD field (bytes {}..{}) overlaps {what}; appending would damage it",
        field.start, field.end
    ))
}

/// How far the data an offset points at reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// This many bytes (a strip, a tile, a tag value of known size).
    Bytes(u64),
    /// An IFD (SubIFDs, EXIF, GPS, Interoperability, GlobalParameters): its table and
    /// whatever it points at in turn.
    Directory,
    /// Unknown: an offset tag without a length (old-style JPEG tables, a
    /// JPEGInterchangeFormat without its length), or a LONG/IFD value of a tag we do
    /// not know, which may be an offset. Reaches from `at` on, as far as anyone knows.
    Unknown,
}

/// A place in the file that one directory's data reach.
#[derive(Clone, Debug)]
pub(crate) struct Extent {
    pub at: u64,
    pub reach: Reach,
    /// Whether this is an out-of-line tag value (placed after the IFD table by writers
    /// like ours) rather than data the value points at.
    pub value: bool,
    /// What lies there, for messages ("strip 3", "the value of tag 270").
    pub what: What,
}

/// What an [`Extent`] holds, put into words only when a message needs it (a walk
/// over a long chain makes millions of extents, nearly all of them fine).
#[derive(Clone, Copy, Debug)]
pub(crate) enum What {
    /// The out-of-line value of this tag.
    Value(u16),
    /// Item `k` of a run ("strip", "tile", ...).
    Run(&'static str, usize),
    /// The data a tag's value points at (at this byte).
    Pointer(u16, u64),
}

impl std::fmt::Display for What {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Value(tag) => write!(f, "the value of tag {tag}"),
            What::Run(what, k) => write!(f, "{what} {k}"),
            What::Pointer(tag, at) => write!(f, "the data tag {tag} points at (byte {at})"),
        }
    }
}

impl Extent {
    /// Whether these data surely touch `range` (data of a known size only).
    pub(crate) fn overlaps(&self, range: &std::ops::Range<u64>) -> bool {
        match self.reach {
            Reach::Bytes(n) => {
                self.at < range.end && self.at.saturating_add(n.max(1)) > range.start
            }
            Reach::Directory | Reach::Unknown => false,
        }
    }

    /// Whether these data may touch `range`: [`Extent::overlaps`], or data of unknown
    /// size (a sub-directory, an unsized offset) that start before its end.
    pub(crate) fn may_reach(&self, range: &std::ops::Range<u64>) -> bool {
        self.overlaps(range) || (!matches!(self.reach, Reach::Bytes(_)) && self.at < range.end)
    }
}

/// Tags whose values are offsets of further IFDs.
pub(crate) const SUB_IFD_TAGS: [(u16, &str); 5] = [
    (330, "SubIFDs"),
    (400, "GlobalParametersIFD"),
    (34665, "ExifIFD"),
    (34853, "GPSInfo"),
    (40965, "InteroperabilityIFD"),
];

/// (offsets tag, byte-counts tag, what) of data that come as offset/length pairs.
const RUNS: [(u16, u16, &str); 4] = [
    (tag::STRIP_OFFSETS, tag::STRIP_BYTE_COUNTS, "strip"),
    (tag::TILE_OFFSETS, tag::TILE_BYTE_COUNTS, "tile"),
    (288, 289, "free block"),
    (513, 514, "JPEG interchange stream"),
];

/// Offset tags with no length beside them (TIFF 6.0 §22's old-style JPEG tables).
const UNSIZED_OFFSET_TAGS: [u16; 3] = [519, 520, 521];

/// Tags we know carry no offsets, whatever their type: a LONG value of any other tag
/// we do not know might be one.
const NOT_OFFSETS: [u16; 28] = [
    254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 274, 277, 278, 280, 281, 284, 290, 291,
    292, 293, 296, 297, 317, 322, 323, 338, 339,
];

/// Every place in the file the data of directory `d` reach (its own table excepted):
/// out-of-line tag values, strips, tiles, free blocks, JPEG streams, sub-directories
/// and offsets of unknown reach. A write into an existing file must touch none of
/// them (`overlaps`).
pub(crate) fn data_extents(d: &Directory, _variant: Variant) -> impl Iterator<Item = Extent> + '_ {
    sized_extents(d).chain(pointer_extents(d))
}

/// The extents of [`data_extents`] whose size is known, or may be: out-of-line tag
/// values and the offset/length runs (strips, tiles, free blocks, JPEG streams). The
/// rest, pointers, reach as far as nobody knows, and [`Extent::overlaps`] takes none.
pub(crate) fn sized_extents(d: &Directory) -> impl Iterator<Item = Extent> + '_ {
    let values = d.entries.iter().filter_map(|e| {
        let off = e.value_offset?;
        let size = super::tags::field_type::size(e.field_type).unwrap_or(1);
        Some(Extent {
            at: off,
            reach: Reach::Bytes(size.saturating_mul(e.count).max(1)),
            value: true,
            what: What::Value(e.tag),
        })
    });
    let runs = RUNS.iter().flat_map(move |&(offs_tag, counts_tag, what)| {
        let offs = d.get(offs_tag).and_then(|e| e.ints()).unwrap_or(&[]);
        let counts = d.get(counts_tag).and_then(|e| e.ints());
        offs.iter().enumerate().filter_map(move |(k, &at)| {
            let reach = match counts.and_then(|c| c.get(k)) {
                Some(&n) => Reach::Bytes(n),
                None if at == 0 => return None,
                None => Reach::Unknown,
            };
            Some(Extent {
                at,
                reach,
                value: false,
                what: What::Run(what, k),
            })
        })
    });
    values.chain(runs)
}

/// The extents of [`data_extents`] that offsets of unknown reach point at.
fn pointer_extents(d: &Directory) -> impl Iterator<Item = Extent> + '_ {
    d.entries.iter().flat_map(|e| {
        let (reach, any_value) = if SUB_IFD_TAGS.iter().any(|(t, _)| *t == e.tag) {
            (Some(Reach::Directory), true)
        } else if UNSIZED_OFFSET_TAGS.contains(&e.tag) {
            (Some(Reach::Unknown), true)
        } else if matches!(e.field_type, ft::LONG | ft::IFD | ft::LONG8 | ft::IFD8)
            && !NOT_OFFSETS.contains(&e.tag)
            && !RUNS.iter().any(|r| r.0 == e.tag || r.1 == e.tag)
        {
            // A LONG of a tag we do not know may be an offset. Only the header
            // room's check can use so vague a fact (nothing else is written before
            // the data such an offset would point at), so only values that could
            // point into it are kept.
            (Some(Reach::Unknown), false)
        } else {
            (None, false)
        };
        let ints = reach.and_then(|_| e.ints()).unwrap_or(&[]);
        let tag = e.tag;
        ints.iter()
            .filter(move |&&at| at != 0 && (any_value || at < HEADER_ROOM))
            .filter_map(move |&at| {
                Some(Extent {
                    at,
                    reach: reach?,
                    value: false,
                    what: What::Pointer(tag, at),
                })
            })
    })
}

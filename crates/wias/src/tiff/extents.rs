//! Where one directory's data lie: every place in the file its entries reach, as one
//! iterator. Every check that asks "does anything of this page lie there?" (the append
//! check's link field, the chain tail's O(1) checks, the BigTIFF header room, the lint's
//! "runs past the end") walks this one list, so an offset-bearing tag taught here is
//! known to all of them.

use std::fmt;

use super::layout::HEADER_ROOM;
use super::reader::Directory;
use super::tags::{field_type, info, tag, Data, TAGS};

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

/// What lies at an [`Extent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The out-of-line value of `tag` (placed after the IFD table by writers like ours).
    Value { tag: u16 },
    /// Item `index` of a run of offset/length pairs: a strip, a tile, a free block, a
    /// JPEG stream; `offsets` is the tag holding the offsets.
    Run {
        offsets: u16,
        what: &'static str,
        index: usize,
    },
    /// Data `tag` points at: a sub-directory, an unsized offset, or a value of a tag we
    /// do not know that may be an offset.
    Pointer { tag: u16 },
}

/// A place in the file that one directory's data reach.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extent {
    pub at: u64,
    pub reach: Reach,
    pub kind: Kind,
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

    /// Whether this is an out-of-line tag value rather than data a value points at.
    pub(crate) fn is_value(&self) -> bool {
        matches!(self.kind, Kind::Value { .. })
    }
}

/// What lies there, for messages: "strip 3", "the value of tag 270".
impl fmt::Display for Extent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Value { tag } => write!(f, "the value of tag {tag}"),
            Kind::Run { what, index, .. } => write!(f, "{what} {index}"),
            Kind::Pointer { tag } => write!(f, "the data tag {tag} points at (byte {})", self.at),
        }
    }
}

/// The tag holding the offsets of the page's image data: TileOffsets when the page has
/// tile dimensions (libtiff reads a page as tiled when either TileWidth or TileLength is
/// there), else StripOffsets. Strip tags beside tiles are ignored by readers.
pub(crate) fn image_offsets_tag(d: &Directory) -> u16 {
    if d.get(tag::TILE_WIDTH).is_some() || d.get(tag::TILE_LENGTH).is_some() {
        tag::TILE_OFFSETS
    } else {
        tag::STRIP_OFFSETS
    }
}

/// Every place in the file the data of directory `d` reach (its own table excepted):
/// out-of-line tag values, strips, tiles, free blocks, JPEG streams, sub-directories
/// and offsets of unknown reach. A write into an existing file must touch none of
/// them (`overlaps`).
pub(crate) fn data_extents(d: &Directory) -> impl Iterator<Item = Extent> + '_ {
    let values = d.entries.iter().filter_map(|e| {
        let off = e.value_offset?;
        let size = field_type::size(e.field_type).unwrap_or(1);
        Some(Extent {
            at: off,
            reach: Reach::Bytes(size.saturating_mul(e.count).max(1)),
            kind: Kind::Value { tag: e.tag },
        })
    });
    let runs = TAGS.iter().flat_map(move |t| match t.data {
        Data::Offsets { .. } => Some(runs_of(d, t.number)),
        _ => None,
    });
    let pointers = d.entries.iter().flat_map(|e| {
        let data = info(e.tag).map(|i| i.data);
        let (reach, any_value) = match data {
            Some(Data::SubIfds) => (Some(Reach::Directory), true),
            Some(Data::UnsizedOffsets) => (Some(Reach::Unknown), true),
            // A LONG of a tag we do not know may be an offset. Only the header
            // room's check can use so vague a fact (nothing else is written before
            // the data such an offset would point at), so only values that could
            // point into it are kept.
            None if matches!(
                e.field_type,
                field_type::LONG | field_type::IFD | field_type::LONG8 | field_type::IFD8
            ) =>
            {
                (Some(Reach::Unknown), false)
            }
            _ => (None, false),
        };
        let ints = reach.and_then(|_| e.ints()).unwrap_or(&[]);
        let tag = e.tag;
        ints.iter()
            .filter(move |&&at| at != 0 && (any_value || at < HEADER_ROOM))
            .filter_map(move |&at| {
                Some(Extent {
                    at,
                    reach: reach?,
                    kind: Kind::Pointer { tag },
                })
            })
    });
    values.chain(runs.flatten()).chain(pointers)
}

/// The runs (strips, tiles, ...) whose offsets tag `offsets` holds: the part of
/// [`data_extents`] one offsets tag gives. With [`image_offsets_tag`], the strips or
/// tiles a reader takes the page's image from.
pub(crate) fn runs_of(d: &Directory, offsets: u16) -> impl Iterator<Item = Extent> + '_ {
    let (counts, what) = match info(offsets).map(|t| t.data) {
        Some(Data::Offsets { counts, what }) => (counts, what),
        _ => (0, ""),
    };
    let offs = d.get(offsets).and_then(|e| e.ints()).unwrap_or(&[]);
    let counts = d.get(counts).and_then(|e| e.ints());
    offs.iter().enumerate().filter_map(move |(index, &at)| {
        let reach = match counts.and_then(|c| c.get(index)) {
            Some(&n) => Reach::Bytes(n),
            None if at == 0 => return None,
            None => Reach::Unknown,
        };
        Some(Extent {
            at,
            reach,
            kind: Kind::Run {
                offsets,
                what,
                index,
            },
        })
    })
}

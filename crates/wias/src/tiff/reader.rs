//! Reading the structure of a TIFF: header, IFD chain, tags. Used to append to an
//! existing file (walk the chain once) and by `wias inspect`; what the directories
//! must hold is checked elsewhere (`lint`, `append_check`, `context_check`).
//!
//! Every offset is checked against the file length before it is followed, loops in the
//! chain are caught, and nothing is allocated from a count the file states without
//! bounding it first: a hostile file gives an error, never a panic or a huge allocation.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use super::byteorder::ByteOrder;
use super::ifd::Variant;
use super::layout::ChainEnd;
use super::tags::{field_type, tag, tag_label, tag_name};
use crate::error::{Error, Result};

/// Most IFDs we follow; a longer chain is treated as damage rather than walked forever.
pub const MAX_PAGES: usize = 1 << 20;
/// Most entries one IFD may have.
const MAX_ENTRIES: u64 = 4096;
/// Largest tag value we load into memory (bigger ones are described, not read).
const MAX_VALUE_BYTES: u64 = 16 << 20;

/// The values of one entry, as far as we load them.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryValue {
    /// Integer types (BYTE, SHORT, LONG, LONG8, IFD, signed ones as their bits).
    Ints(Vec<u64>),
    /// RATIONAL / SRATIONAL numerator, denominator pairs.
    Rationals(Vec<(u32, u32)>),
    /// ASCII, up to the first NUL.
    Ascii(String),
    /// UNDEFINED, FLOAT, DOUBLE and too-large values: only where they are.
    Opaque,
}

/// One IFD entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub tag: u16,
    pub field_type: u16,
    pub count: u64,
    /// Where the value lives when it does not fit in the entry.
    pub value_offset: Option<u64>,
    pub value: EntryValue,
    /// The value's bytes as stored (in the file's byte order), or None for an unknown field type
    /// or a value too large to load. Lets a writer copy tags it does not understand.
    pub raw: Option<Vec<u8>>,
}

impl Entry {
    /// The tag's name, if it is one we know.
    pub fn name(&self) -> Option<&'static str> {
        tag_name(self.tag)
    }

    /// The first integer value.
    pub fn first(&self) -> Option<u64> {
        match &self.value {
            EntryValue::Ints(v) => v.first().copied(),
            _ => None,
        }
    }

    /// All integer values.
    pub fn ints(&self) -> Option<&[u64]> {
        match &self.value {
            EntryValue::Ints(v) => Some(v),
            _ => None,
        }
    }
}

/// One page's directory.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Directory {
    /// File offset of the IFD.
    pub offset: u64,
    /// File offset of its next-IFD field.
    pub next_field: u64,
    pub entries: Vec<Entry>,
}

impl Directory {
    /// The entry for `tag`.
    pub fn get(&self, t: u16) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == t)
    }

    /// The first integer value of `tag`.
    pub fn int(&self, t: u16) -> Option<u64> {
        self.get(t).and_then(Entry::first)
    }

    /// StripOffsets and StripByteCounts, when both are there as integers.
    pub fn strips(&self) -> Option<(&[u64], &[u64])> {
        let offs = self.get(tag::STRIP_OFFSETS).and_then(Entry::ints)?;
        let counts = self.get(tag::STRIP_BYTE_COUNTS).and_then(Entry::ints)?;
        Some((offs, counts))
    }
}

/// What [`TiffFile::walk`] learns of a file besides its directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walked {
    pub variant: Variant,
    /// II or MM.
    pub byte_order: ByteOrder,
    pub len: u64,
    pub pages: usize,
}

/// The structure of a TIFF file.
#[derive(Clone, Debug)]
pub struct TiffFile {
    pub variant: Variant,
    /// II or MM: the order every number in the file is in.
    pub byte_order: ByteOrder,
    pub len: u64,
    pub directories: Vec<Directory>,
}

impl TiffFile {
    /// Reads the header and walks the whole IFD chain, validating each link.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::tiff::TiffFile;
    /// let err = TiffFile::read(&mut Cursor::new(b"P5 1 1 255\n\0".to_vec())).unwrap_err();
    /// assert!(err.to_string().starts_with("not a TIFF file"));
    /// ```
    pub fn read<R: Read + Seek>(r: &mut R) -> Result<Self> {
        let mut directories = Vec::new();
        let walked = TiffFile::walk(r, |d, _| {
            directories.push(d);
            Ok(())
        })?;
        Ok(TiffFile {
            variant: walked.variant,
            byte_order: walked.byte_order,
            len: walked.len,
            directories,
        })
    }

    /// Walks the chain as [`TiffFile::read`] does, handing each directory and the
    /// offset of the next one (0 after the last) to `visit` instead of keeping it, so
    /// that memory stays that of one directory however many pages a file claims (a
    /// hostile file of dense IFDs would otherwise take many times its size). Returns
    /// what it learnt of the file: variant, byte order, length and number of pages.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::{PageSpec, PixelType, tiff::{Options, TiffFile, TiffWriter}};
    /// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    /// for _ in 0..3 {
    ///     doc.write_page(&PageSpec::new(2, 1, PixelType::Gray8), &[1, 2])?;
    /// }
    /// let mut widths = Vec::new();
    /// let pages = TiffFile::walk(&mut doc.finish()?, |d, _next| {
    ///     widths.push(d.int(256));
    ///     Ok(())
    /// })?
    /// .pages;
    /// assert_eq!((pages, widths), (3, vec![Some(2); 3]));
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn walk<R: Read + Seek>(
        r: &mut R,
        mut visit: impl FnMut(Directory, u64) -> Result<()>,
    ) -> Result<Walked> {
        let mut dir = Directory::default();
        TiffFile::walk_into(r, &mut dir, |d, next| visit(d.clone(), next))
    }

    /// [`TiffFile::walk`] that reads every directory into `dir`, reusing its
    /// buffers, and hands it on by reference: no allocation per page once the
    /// directories are alike, for walks that look at each directory and keep nothing
    /// (the append checks). After the walk `dir` holds the last directory.
    pub(crate) fn walk_into<R: Read + Seek>(
        r: &mut R,
        dir: &mut Directory,
        mut visit: impl FnMut(&Directory, u64) -> Result<()>,
    ) -> Result<Walked> {
        let mut pages = 0;
        let mut scratch = Vec::new();
        let walked = walk_links(r, |window, at, variant, order, budget| {
            let following = read_ifd(window, at, variant, order, budget, dir, &mut scratch)?;
            pages += 1;
            visit(dir, following)?;
            Ok((dir.next_field, following))
        })?;
        debug_assert_eq!(walked.pages, pages);
        Ok(walked)
    }

    /// The offset of the last IFD in the chain (None for a file without pages),
    /// following the links only: each IFD's entry count and next-IFD field are read,
    /// its entries not, as libtiff's walk to the end of a chain does.
    pub(crate) fn last_ifd_offset<R: Read + Seek>(r: &mut R) -> Result<(Walked, Option<u64>)> {
        let mut last = None;
        let walked = walk_links(r, |window, at, variant, order, _| {
            let (count_len, entry_len, next_len) = variant.sizes();
            let n = entry_count(window, at, variant, order)?;
            let next_field = at + count_len + n * entry_len;
            let nf = window.bytes(next_field, next_len, "IFD")?;
            let following = match variant {
                Variant::Classic => u64::from(order.u32(nf)),
                Variant::Big => order.u64(nf),
            };
            last = Some(at);
            Ok((next_field, following))
        })?;
        Ok((walked, last))
    }

    /// The last page's directory, following the chain's links (no entries read but
    /// the last IFD's). `None` for a file without pages. The O(1) path through the
    /// chain tail is `TiffFile::read_last_directory` (in `tail`).
    pub(crate) fn last_directory_by_links<R: Read + Seek>(r: &mut R) -> Result<Option<Directory>> {
        let (walked, last) = TiffFile::last_ifd_offset(r)?;
        let Some(at) = last else {
            return Ok(None);
        };
        let mut window = Window::new(r, walked.len);
        let mut budget = Budget::new(walked.len, walked.variant);
        let mut dir = Directory::default();
        let order = walked.byte_order;
        read_ifd(
            &mut window,
            at,
            walked.variant,
            order,
            &mut budget,
            &mut dir,
            &mut Vec::new(),
        )?;
        Ok(Some(dir))
    }

    /// Where the chain ends, for appending.
    pub fn chain_end(&self) -> ChainEnd {
        let first_field = if self.variant == Variant::Big { 8 } else { 4 };
        ChainEnd {
            link_field: self
                .directories
                .last()
                .map_or(first_field, |d| d.next_field),
            last_ifd: self.directories.last().map(|d| d.offset),
            // At most MAX_PAGES directories are read.
            pages: u32::try_from(self.directories.len()).unwrap_or(u32::MAX),
        }
    }
}

/// Reads the one IFD at `at` of a `len`-byte file (no chain walk): the directory and
/// its next-IFD offset, little-endian. For the O(1) append check of
/// `tail::trusted_chain_end`.
pub(crate) fn read_directory_at<R: Read + Seek>(
    r: &mut R,
    len: u64,
    at: u64,
    variant: Variant,
) -> Result<(Directory, u64)> {
    let mut window = Window::new(r, len);
    let mut budget = Budget::new(len, variant);
    let mut dir = Directory::default();
    let order = ByteOrder::Little;
    let next = read_ifd(
        &mut window,
        at,
        variant,
        order,
        &mut budget,
        &mut dir,
        &mut Vec::new(),
    )?;
    Ok((dir, next))
}

fn read_up_to<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> Result<usize> {
    r.seek(SeekFrom::Start(at))
        .map_err(|e| Error::io("reading the TIFF", e))?;
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("reading the TIFF", e)),
        }
    }
    Ok(n)
}

/// Bytes read from the file per refill of a [`Window`], at first (1 KiB): an IFD and
/// the values written right after it (as wias and most writers place them) come in one
/// read.
const WINDOW: u64 = 1 << 10;
/// The most a [`Window`] reads at once (64 KiB), after it has grown.
const MAX_WINDOW: u64 = 64 << 10;

/// A read cache over the file for the chain walk: a walk of N pages costs at most
/// about N reads instead of one seek and read per entry count, table and value. When
/// the chain runs forward in small steps (the IFDs of a document of small pages lie a
/// few KiB apart) a refill reads [`MAX_WINDOW`], which brings 8 IFDs or more at once;
/// a jump back or far ahead reads [`WINDOW`] again, so a document of large pages
/// reads 1 KiB an IFD.
struct Window<'r, R> {
    r: &'r mut R,
    file_len: u64,
    base: u64,
    /// The bytes read at `base`: `buf[..filled]` (the buffer is not cut down, so
    /// that refilling does not clear it again).
    buf: Vec<u8>,
    filled: usize,
}

impl<'r, R: Read + Seek> Window<'r, R> {
    fn new(r: &'r mut R, file_len: u64) -> Self {
        Window {
            r,
            file_len,
            base: 0,
            buf: Vec::new(),
            filled: 0,
        }
    }

    /// `len` bytes at `at`, which must lie inside the file.
    fn bytes(&mut self, at: u64, len: u64, what: &str) -> Result<&[u8]> {
        let file_len = self.file_len;
        let end = at
            .checked_add(len)
            .filter(|e| *e <= file_len)
            .ok_or_else(|| {
                Error::Corrupt(format!(
                    "{what}: {len} bytes at byte {at} run past the end of the {file_len}-byte file"
                ))
            })?;
        let cached = at >= self.base && end <= self.base + self.filled as u64;
        if !cached {
            // At most an eighth of the largest window past what we hold: the chain
            // runs forward in small steps, and one large read brings 8 IFDs or more.
            let held_end = self.base + self.filled as u64;
            let small_step =
                self.filled > 0 && at >= self.base && at - held_end.min(at) <= MAX_WINDOW / 8;
            let span = if small_step { MAX_WINDOW } else { WINDOW };
            let want = len.max(span.min(file_len - at)) as usize;
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
            self.filled = 0;
            let n = read_up_to(self.r, at, &mut self.buf[..want])?;
            self.filled = n;
            self.base = at;
            if (n as u64) < len {
                return Err(Error::Corrupt(format!("{what}: short read at byte {at}")));
            }
        }
        let from = (at - self.base) as usize;
        Ok(&self.buf[from..from + len as usize])
    }
}

/// What one file may make us hold in memory. In a sound file IFD tables and values do
/// not overlap, so their total size is bounded by the file's; a hostile file whose
/// IFDs overlap could otherwise make a small file claim gigabytes of entries.
struct Budget {
    /// Entries the file still has room for.
    entries: u64,
    /// Bytes of out-of-line values we still load (beyond it values stay unread).
    value_bytes: u64,
}

impl Budget {
    fn new(file_len: u64, variant: Variant) -> Self {
        let (_, entry_len, _) = variant.sizes();
        Budget {
            entries: file_len / entry_len,
            value_bytes: file_len.saturating_mul(2).saturating_add(1 << 20),
        }
    }
}

/// The one IFD at `at` (and its next-IFD offset), read as a chain walk reads it, for
/// checks that must not walk the chain. Little-endian: these checks are of documents
/// the transfer path started itself, which are always II.
pub(crate) fn read_one_ifd<R: Read + Seek>(
    r: &mut R,
    at: u64,
    variant: Variant,
) -> Result<(Directory, u64)> {
    let len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| Error::io("reading the file length", e))?;
    read_directory_at(r, len, at, variant)
}

/// Reads the header and follows the IFD chain, validating each link (inside the file,
/// no loop, at most [`MAX_PAGES`]); `step` reads the IFD at an offset and returns its
/// next-IFD field's offset and the next IFD's offset (0 at the end).
fn walk_links<R: Read + Seek>(
    r: &mut R,
    mut step: impl FnMut(&mut Window<'_, R>, u64, Variant, ByteOrder, &mut Budget) -> Result<(u64, u64)>,
) -> Result<Walked> {
    let len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| Error::io("reading the file length", e))?;
    let mut head = [0u8; 16];
    let n = read_up_to(r, 0, &mut head)?;
    if n < 8 {
        return Err(Error::NotTiff(format!(
            "{len} bytes is too short for a TIFF header"
        )));
    }
    let Some(order) = ByteOrder::from_mark(&head) else {
        return Err(Error::NotTiff(format!(
            "the file starts with {:02x} {:02x}, not II or MM",
            head[0], head[1]
        )));
    };
    let magic = order.u16(&head[2..]);
    let (variant, first, first_field) = match magic {
        42 => (Variant::Classic, u64::from(order.u32(&head[4..])), 4),
        43 => {
            let size = order.u16(&head[4..]);
            if n < 16 || size != 8 {
                return Err(Error::NotTiff(format!(
                    "BigTIFF header with offset size {size} (must be 8) in a {len}-byte file"
                )));
            }
            (Variant::Big, order.u64(&head[8..]), 8)
        }
        m => {
            return Err(Error::NotTiff(format!(
                "version {m} in the header, not 42 or 43"
            )))
        }
    };
    let mut pages = 0;
    let mut window = Window::new(r, len);
    let mut budget = Budget::new(len, variant);
    let mut seen = Seen::default();
    let mut next = first;
    let mut from_field = first_field;
    while next != 0 {
        if !seen.insert(next) {
            return Err(Error::Corrupt(format!(
                "the IFD chain loops: the field at byte {from_field} points back to the IFD at byte {next}"
            )));
        }
        if pages >= MAX_PAGES {
            return Err(Error::Corrupt(format!(
                "more than {MAX_PAGES} IFDs in the chain"
            )));
        }
        if next >= len {
            return Err(Error::Corrupt(format!(
                "the field at byte {from_field} points to an IFD at byte {next}, past the end of the {len}-byte file"
            )));
        }
        let (field, following) = step(&mut window, next, variant, order, &mut budget)?;
        from_field = field;
        pages += 1;
        next = following;
    }
    Ok(Walked {
        variant,
        byte_order: order,
        len,
        pages,
    })
}

/// The IFD offsets a walk has passed, to catch a chain that loops. Chains nearly
/// always run forward (wias, libtiff and most writers put each IFD after the ones
/// before it): an offset past every one seen is new without a look-up, and the
/// offsets are only listed; the first step back builds the hash set, used from then
/// on.
#[derive(Default)]
struct Seen {
    max: Option<u64>,
    list: Vec<u64>,
    set: Option<HashSet<u64>>,
}

impl Seen {
    /// Adds `at`; false if it was there already.
    fn insert(&mut self, at: u64) -> bool {
        if let Some(set) = &mut self.set {
            return set.insert(at);
        }
        if self.max.is_none_or(|m| at > m) {
            self.max = Some(at);
            self.list.push(at);
            return true;
        }
        let mut set: HashSet<u64> = std::mem::take(&mut self.list).into_iter().collect();
        let new = set.insert(at);
        self.set = Some(set);
        new
    }
}

/// The entry count of the IFD at `at`, checked (1 to [`MAX_ENTRIES`]).
fn entry_count<R: Read + Seek>(
    window: &mut Window<'_, R>,
    at: u64,
    variant: Variant,
    order: ByteOrder,
) -> Result<u64> {
    let (count_len, _, _) = variant.sizes();
    let head = window.bytes(at, count_len, "IFD entry count")?;
    let n = match variant {
        Variant::Classic => u64::from(order.u16(head)),
        Variant::Big => order.u64(head),
    };
    if n == 0 || n > MAX_ENTRIES {
        return Err(Error::Corrupt(format!(
            "the IFD at byte {at} claims {n} entries (1 to {MAX_ENTRIES} allowed)"
        )));
    }
    Ok(n)
}

/// Reads the IFD at `at` into `dir`, reusing the buffers `dir` (and `table`, scratch
/// space for the entry table) hold from an earlier directory, and returns the next
/// IFD's offset.
fn read_ifd<R: Read + Seek>(
    window: &mut Window<'_, R>,
    at: u64,
    variant: Variant,
    order: ByteOrder,
    budget: &mut Budget,
    dir: &mut Directory,
    table: &mut Vec<u8>,
) -> Result<u64> {
    let file_len = window.file_len;
    let (count_len, entry_len, next_len) = variant.sizes();
    let n = entry_count(window, at, variant, order)?;
    table.clear();
    table.extend_from_slice(window.bytes(at + count_len, n * entry_len + next_len, "IFD")?);
    if n > budget.entries {
        return Err(Error::Corrupt(format!(
            "the IFD at byte {at} claims {n} entries, more than the rest of the {file_len}-byte file can hold besides the IFDs before it (IFDs overlap)"
        )));
    }
    budget.entries -= n;
    let entries = &mut dir.entries;
    entries.truncate(n as usize);
    let inline = variant.inline_len();
    for i in 0..n as usize {
        let e = &table[i * entry_len as usize..(i + 1) * entry_len as usize];
        let t = order.u16(e);
        let ft = order.u16(&e[2..]);
        let (count, field) = match variant {
            Variant::Classic => (u64::from(order.u32(&e[4..])), &e[8..12]),
            Variant::Big => (order.u64(&e[4..]), &e[12..20]),
        };
        if entries.len() == i {
            entries.push(Entry {
                tag: 0,
                field_type: 0,
                count: 0,
                value_offset: None,
                value: EntryValue::Opaque,
                raw: None,
            });
        }
        let entry = &mut entries[i];
        let size = field_type::size(ft);
        let total = size.and_then(|s| s.checked_mul(count));
        let (value_offset, bytes): (Option<u64>, Option<&[u8]>) = match total {
            Some(total) if total <= inline => (None, Some(&field[..total as usize])),
            Some(total) => {
                let off = match variant {
                    Variant::Classic => u64::from(order.u32(field)),
                    Variant::Big => order.u64(field),
                };
                if off.checked_add(total).is_none_or(|end| end > file_len) {
                    return Err(Error::Corrupt(format!(
                        "tag {} of the IFD at byte {at}: {total} bytes of values at byte {off} run past the end of the {file_len}-byte file",
                        tag_label(t)
                    )));
                }
                let bytes = if total <= MAX_VALUE_BYTES && total <= budget.value_bytes {
                    budget.value_bytes -= total;
                    Some(window.bytes(off, total, "tag value")?)
                } else {
                    None
                };
                (Some(off), bytes)
            }
            None => (None, None),
        };
        entry.tag = t;
        entry.field_type = ft;
        entry.count = count;
        entry.value_offset = value_offset;
        match bytes {
            Some(b) => {
                decode_into(ft, b, order, &mut entry.value);
                let raw = entry.raw.get_or_insert_with(Vec::new);
                raw.clear();
                raw.extend_from_slice(b);
            }
            None => {
                entry.value = EntryValue::Opaque;
                entry.raw = None;
            }
        }
    }
    let nf = &table[(n * entry_len) as usize..];
    let next = match variant {
        Variant::Classic => u64::from(order.u32(nf)),
        Variant::Big => order.u64(nf),
    };
    dir.offset = at;
    dir.next_field = at + count_len + n * entry_len;
    Ok(next)
}

/// Decodes the value bytes `b` of field type `ft` into `value`, reusing its buffer
/// when it already holds a value of the same kind.
fn decode_into(ft: u16, b: &[u8], order: ByteOrder, value: &mut EntryValue) {
    use field_type::*;
    fn ints(value: &mut EntryValue) -> &mut Vec<u64> {
        if !matches!(value, EntryValue::Ints(_)) {
            *value = EntryValue::Ints(Vec::new());
        }
        match value {
            EntryValue::Ints(v) => {
                v.clear();
                v
            }
            _ => unreachable!("set above"),
        }
    }
    match ft {
        BYTE | SBYTE => ints(value).extend(b.iter().map(|&x| u64::from(x))),
        SHORT | SSHORT => ints(value).extend(b.chunks_exact(2).map(|c| u64::from(order.u16(c)))),
        LONG | SLONG | IFD => {
            ints(value).extend(b.chunks_exact(4).map(|c| u64::from(order.u32(c))))
        }
        LONG8 | SLONG8 | IFD8 => ints(value).extend(b.chunks_exact(8).map(|c| order.u64(c))),
        RATIONAL | SRATIONAL => {
            if !matches!(value, EntryValue::Rationals(_)) {
                *value = EntryValue::Rationals(Vec::new());
            }
            if let EntryValue::Rationals(v) = value {
                v.clear();
                v.extend(
                    b.chunks_exact(8)
                        .map(|c| (order.u32(c), order.u32(&c[4..]))),
                );
            }
        }
        ASCII => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            let text = String::from_utf8_lossy(&b[..end]);
            match value {
                EntryValue::Ascii(s) => {
                    s.clear();
                    s.push_str(&text);
                }
                _ => *value = EntryValue::Ascii(text.into_owned()),
            }
        }
        _ => *value = EntryValue::Opaque,
    }
}

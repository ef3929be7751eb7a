//! The little of an existing PDF that appending needs, read strictly: the last
//! `startxref`, every cross-reference section it chains to through `/Prev` (classic
//! tables and PDF 1.5 cross-reference streams alike), the newest trailer, and objects
//! by number, in the file or inside object streams.
//!
//! Every section of the history is read, not just the newest, because a new object's
//! number must be past every number any section uses (a trailer's `/Size` is not
//! trusted: pdfunite writes `/Size 14` for objects up to 28), and because a file whose
//! history holds something readers disagree on is refused as a whole:
//! - a hybrid-reference section (`/XRefStm`): readers that use the stream and readers
//!   that ignore it can see different objects;
//! - an object given two different places in one section;
//! - a dictionary naming a key twice (see [`super::lexer`]);
//! - an encrypted file (its new objects would need the file's key).
//!
//! Memory stays bounded: the file is read in windows (an object at most
//! [`MAX_OBJECT`] bytes, a classic section at most [`MAX_SECTION`]), streams decode
//! into at most [`super::decode::MAX_DECODED`] bytes, and what is kept is one entry
//! per object number and the one object stream read last.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use super::decode::{self, DecodeError};
use super::lexer::{is_ws, Lexer, Parse, Parsed, Stop, Val};
use crate::error::{Error, Result};

/// An object number and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ObjRef {
    pub num: u32,
    pub gen: u16,
}

/// The largest object (dictionary, stream dictionary) read.
pub(crate) const MAX_OBJECT: u64 = 8 << 20;
/// The largest classic cross-reference section read (20 bytes an object).
pub(crate) const MAX_SECTION: u64 = 32 << 20;
/// The most object numbers a PDF may use (readers' limit, PDF 32000 Annex C).
pub(crate) const MAX_OBJECTS: u32 = 8_388_607;

/// How the newest cross-reference section is stored: an update is written the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XrefKind {
    Table,
    Stream,
}

/// Where an object is, as the newest section that lists it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Free,
    InFile { off: u64, gen: u16 },
    InStream { stm: u32, idx: u32 },
}

/// Offsets past this (1 TiB) are refused: an entry is kept in 64 bits.
const MAX_OFFSET: u64 = 1 << 40;

impl Entry {
    /// The entry in 64 bits (a tag in the top two): a file of a million objects keeps
    /// 16 MB of entries, not the 50 a map of enums would take.
    fn pack(self) -> u64 {
        match self {
            Entry::Free => 0,
            Entry::InFile { off, gen } => 1 << 62 | off << 16 | u64::from(gen),
            Entry::InStream { stm, idx } => 2 << 62 | u64::from(stm) << 32 | u64::from(idx),
        }
    }

    fn unpack(v: u64) -> Entry {
        match v >> 62 {
            1 => Entry::InFile {
                off: (v >> 16) & (MAX_OFFSET - 1),
                gen: v as u16,
            },
            2 => Entry::InStream {
                stm: ((v >> 32) as u32) & 0x3FFF_FFFF,
                idx: v as u32,
            },
            _ => Entry::Free,
        }
    }
}

/// An existing PDF opened for appending.
pub(crate) struct ExistingPdf<'f, F: Read + Seek> {
    file: &'f mut F,
    pub len: u64,
    /// The offset the last `startxref` names.
    pub last_xref: u64,
    /// How the newest section is stored.
    pub kind: XrefKind,
    /// The largest object number any section lists (or any xref stream is), and the
    /// largest `/Size` any trailer gives.
    pub max_num: u32,
    pub max_size: u32,
    /// Every object number any section lists, sorted, with its newest entry packed
    /// ([`Entry::pack`]) and the index of the section that gave it.
    entries: Vec<(u32, u32, u64)>,
    trailer: Parsed,
    trailer_bytes: Vec<u8>,
    /// The object stream read last: its number, decoded data, and (number, offset)
    /// pairs with offsets from the data's start.
    objstm: Option<ObjStm>,
}

/// A decoded object stream: its number, data, and (object number, offset) pairs with
/// offsets from the data's start.
struct ObjStm {
    num: u32,
    data: Vec<u8>,
    pairs: Vec<(u32, usize)>,
}

/// A stream object as read: its number and generation, its dictionary (spans relative
/// to `dict_bytes`), and its raw data.
struct StreamObj {
    num: u32,
    gen: u16,
    dict: Parsed,
    dict_bytes: Vec<u8>,
    data: Vec<u8>,
}

/// An object read from the file: its value, and its bytes for copying entries.
pub(crate) struct ReadObject {
    pub value: Parsed,
    pub bytes: Vec<u8>,
}

fn damaged(why: impl Into<String>) -> Error {
    Error::CorruptPdf(why.into())
}

fn decode_err(what: &str, e: DecodeError) -> Error {
    match e {
        DecodeError::Unsupported(m) => Error::Unsupported(format!(
            "the PDF's {what} is {m}; wias does not append to it"
        )),
        DecodeError::Bad(m) => damaged(format!("{what}: {m}")),
    }
}

/// A section as read: its kind, its entries, its trailer (the stream dictionary for a
/// cross-reference stream) and the trailer's bytes.
struct Section {
    kind: XrefKind,
    entries: Vec<(u32, u64)>,
    trailer: Parsed,
    trailer_bytes: Vec<u8>,
}

impl<'f, F: Read + Seek> ExistingPdf<'f, F> {
    /// Reads the header, the last `startxref` and every cross-reference section.
    pub fn open(file: &'f mut F) -> Result<Self> {
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("reading the PDF", e))?;
        let mut head = [0u8; 8];
        if len < 8 {
            return Err(Error::NotPdf("it does not start with %PDF-".into()));
        }
        read_at(file, 0, &mut head)?;
        if &head[..5] != b"%PDF-" {
            return Err(Error::NotPdf("it does not start with %PDF-".into()));
        }
        let tail_len = len.min(1024);
        let mut tail = vec![0u8; tail_len as usize];
        read_at(file, len - tail_len, &mut tail)?;
        let trimmed = tail
            .iter()
            .rposition(|b| !is_ws(*b))
            .map_or(&tail[..0], |p| &tail[..=p]);
        if !trimmed.ends_with(b"%%EOF") {
            return Err(damaged(
                "it does not end with %%EOF (a truncated file, or data after the end)",
            ));
        }
        let at = find_last(trimmed, b"startxref")
            .ok_or_else(|| damaged("no startxref in its last 1024 bytes"))?;
        let mut lx = Lexer::new(&trimmed[at + 9..], true);
        let last_xref = lx
            .uint()
            .map_err(|_| damaged("startxref is not followed by an offset"))?;
        if last_xref >= len {
            return Err(damaged(format!(
                "startxref {last_xref} points past the end ({len} bytes)"
            )));
        }
        let mut pdf = ExistingPdf {
            file,
            len,
            last_xref,
            kind: XrefKind::Table,
            max_num: 0,
            max_size: 0,
            entries: Vec::new(),
            trailer: Parsed {
                val: Val::Null,
                span: 0..0,
            },
            trailer_bytes: Vec::new(),
            objstm: None,
        };
        pdf.load_history()?;
        Ok(pdf)
    }

    /// Reads every section from the newest back through `/Prev`, newest entries
    /// winning.
    fn load_history(&mut self) -> Result<()> {
        let mut at = self.last_xref;
        let mut seen = HashSet::new();
        let mut newest = true;
        loop {
            if !seen.insert(at) {
                return Err(damaged(format!(
                    "its cross-reference sections loop back to byte {at}"
                )));
            }
            if seen.len() > 100_000 {
                return Err(damaged("more than 100000 cross-reference sections"));
            }
            let s = self.read_section(at)?;
            let t = &s.trailer;
            if t.get(b"Encrypt").is_some() {
                return Err(Error::Unsupported(
                    "the PDF is encrypted (its trailer has /Encrypt, even if only an owner password is set): every object an append adds would have to be encrypted with the file's key, which wias does not do, so it does not append to encrypted files".into(),
                ));
            }
            if t.get(b"XRefStm").is_some() {
                return Err(Error::Unsupported(format!(
                    "the PDF is a hybrid-reference file (the cross-reference section at byte {at} also names a stream, /XRefStm): readers that use the stream and readers that ignore it can see different objects, so wias does not append to it"
                )));
            }
            match t.get(b"Size").map(|p| &p.val) {
                Some(Val::Int(n)) if *n > 0 && *n <= i64::from(MAX_OBJECTS) => {
                    self.max_size = self.max_size.max(*n as u32)
                }
                _ => {
                    return Err(damaged(format!(
                        "the trailer of the section at byte {at} has no valid /Size"
                    )))
                }
            }
            let order = seen.len() as u32;
            for (num, e) in &s.entries {
                // Free numbers count too: an old reference to a freed object must
                // not come to name a new one.
                self.max_num = self.max_num.max(*num);
                self.entries.push((*num, order, *e));
            }
            let prev = match t.get(b"Prev").map(|p| &p.val) {
                None => None,
                Some(Val::Int(p)) if *p >= 0 && (*p as u64) < self.len => Some(*p as u64),
                Some(_) => {
                    return Err(damaged(format!(
                        "the /Prev of the section at byte {at} is not an offset in the file"
                    )))
                }
            };
            if newest {
                self.kind = s.kind;
                self.trailer = s.trailer;
                self.trailer_bytes = s.trailer_bytes;
                newest = false;
            }
            match prev {
                Some(p) => at = p,
                None => break,
            }
        }
        // Newest first for each number, then one entry a number.
        self.entries.sort_unstable_by_key(|e| (e.0, e.1));
        self.entries.dedup_by_key(|e| e.0);
        self.entries.shrink_to_fit();
        if self.max_num >= MAX_OBJECTS {
            return Err(Error::Unsupported(format!(
                "the PDF uses object number {}, past the {MAX_OBJECTS} readers take",
                self.max_num
            )));
        }
        Ok(())
    }

    /// The newest entry of object number `num`.
    fn entry(&self, num: u32) -> Option<Entry> {
        self.entries
            .binary_search_by_key(&num, |e| e.0)
            .ok()
            .map(|i| Entry::unpack(self.entries[i].2))
    }

    /// The newest trailer (a cross-reference stream's dictionary, for such a file).
    pub fn trailer(&self) -> &Parsed {
        &self.trailer
    }

    /// The bytes of the newest trailer's value `p`.
    pub fn trailer_raw(&self, p: &Parsed) -> &[u8] {
        &self.trailer_bytes[p.span.clone()]
    }

    /// Reads bytes from `at`, `len` of them or to the end of the file.
    fn window(&mut self, at: u64, len: u64) -> Result<(Vec<u8>, bool)> {
        let n = len.min(self.len - at);
        let mut buf = vec![0u8; n as usize];
        read_at(self.file, at, &mut buf)?;
        Ok((buf, at + n >= self.len))
    }

    /// Parses with `f` at `at`, reading a bigger window while the bytes run out, up
    /// to `max` bytes.
    fn parse_at<T>(
        &mut self,
        at: u64,
        max: u64,
        what: &str,
        f: impl Fn(&mut Lexer) -> Parse<T>,
    ) -> Result<(T, Vec<u8>)> {
        if at >= self.len {
            return Err(damaged(format!(
                "{what} at {at} is past the end of the file"
            )));
        }
        let mut size = 2048u64;
        loop {
            let (buf, at_eof) = self.window(at, size)?;
            let mut lx = Lexer::new(&buf, at_eof);
            match f(&mut lx) {
                Ok(v) => return Ok((v, buf)),
                Err(Stop::More) if size >= max => {
                    return Err(Error::Unsupported(format!(
                        "{what} at byte {at} is larger than {} MiB, more than wias reads to append",
                        max >> 20
                    )))
                }
                Err(Stop::More) => size = (size * 4).min(max),
                Err(Stop::Bad(why)) => return Err(damaged(format!("{what} at byte {at}: {why}"))),
            }
        }
    }

    fn read_section(&mut self, at: u64) -> Result<Section> {
        // A classic table starts with `xref`, a stream with `n g obj`.
        let (is_table, _) = self.parse_at(at, MAX_OBJECT, "the cross-reference section", |lx| {
            lx.skip_ws()?;
            Ok(lx.buf[lx.pos..].starts_with(b"xref"))
        })?;
        if is_table {
            self.read_table(at)
        } else {
            self.read_xref_stream(at)
        }
    }

    fn read_table(&mut self, at: u64) -> Result<Section> {
        let ((entries, trailer, tstart), buf) =
            self.parse_at(at, MAX_SECTION, "the cross-reference section", |lx| {
                lx.keyword(b"xref")?;
                let mut entries: Vec<(u32, u64)> = Vec::new();
                loop {
                    lx.skip_ws()?;
                    let save = lx.pos;
                    if lx.word()? == b"trailer" {
                        break;
                    }
                    lx.pos = save;
                    let first = lx.uint()?;
                    let count = lx.uint()?;
                    if first.saturating_add(count) > u64::from(MAX_OBJECTS) + 1 {
                        return Err(Stop::Bad(format!(
                            "a subsection {first} {count} past object {MAX_OBJECTS}"
                        )));
                    }
                    for k in 0..count {
                        let off = lx.uint()?;
                        let gen = lx.uint()?;
                        let kind = lx.word()?;
                        let num = (first + k) as u32;
                        let e = match kind {
                            b"n" if off >= MAX_OFFSET => {
                                return Err(Stop::Bad(format!("object {num} at offset {off}")))
                            }
                            b"n" => Entry::InFile {
                                off,
                                gen: u16::try_from(gen).map_err(|_| {
                                    Stop::Bad(format!("object {num} in use with generation {gen}"))
                                })?,
                            },
                            // A free entry's generation is only the one a reuse would
                            // take: entry 0 reads `65536 f` in Pillow's and mutool's
                            // files, which qpdf, poppler and MuPDF accept.
                            b"f" => Entry::Free,
                            _ => {
                                return Err(Stop::Bad(
                                    "a cross-reference entry that is neither n nor f".into(),
                                ))
                            }
                        };
                        entries.push((num, e.pack()));
                    }
                }
                let tstart = lx.pos;
                let trailer = lx.value(0)?;
                if !matches!(trailer.val, Val::Dict(_)) {
                    return Err(Stop::Bad("the trailer is not a dictionary".into()));
                }
                Ok((entries, trailer, tstart))
            })?;
        let entries = unique(entries, at)?;
        let trailer_bytes = buf[tstart..trailer.span.end].to_vec();
        let trailer = trailer.rebase(tstart);
        Ok(Section {
            kind: XrefKind::Table,
            entries,
            trailer,
            trailer_bytes,
        })
    }

    fn read_xref_stream(&mut self, at: u64) -> Result<Section> {
        let what = "the cross-reference stream";
        let StreamObj {
            num,
            dict,
            dict_bytes,
            data,
            ..
        } = self.read_stream(at, what)?;
        match dict.get(b"Type").map(|p| &p.val) {
            Some(Val::Name(n)) if n == b"XRef" => {}
            _ => {
                return Err(damaged(format!(
                    "startxref or /Prev points at byte {at}, which is neither `xref` nor a cross-reference stream"
                )))
            }
        }
        let data = decode::decode(&dict, &data).map_err(|e| decode_err(what, e))?;
        let w: Vec<usize> = match dict.get(b"W").map(|p| &p.val) {
            Some(Val::Array(items)) if items.len() == 3 => items
                .iter()
                .map(|i| match i.val {
                    Val::Int(n) if (0..=8).contains(&n) => Ok(n as usize),
                    _ => Err(damaged(format!("{what} at byte {at}: a bad /W"))),
                })
                .collect::<Result<_>>()?,
            _ => {
                return Err(damaged(format!(
                    "{what} at byte {at}: no /W of three widths"
                )))
            }
        };
        let size = match dict.get(b"Size").map(|p| &p.val) {
            Some(Val::Int(n)) if *n >= 0 && *n <= i64::from(MAX_OBJECTS) + 1 => *n as u64,
            _ => return Err(damaged(format!("{what} at byte {at}: no valid /Size"))),
        };
        let index: Vec<(u64, u64)> = match dict.get(b"Index").map(|p| &p.val) {
            None => vec![(0, size)],
            Some(Val::Array(items)) if items.len() % 2 == 0 => {
                let mut v = Vec::new();
                for pair in items.chunks_exact(2) {
                    match (&pair[0].val, &pair[1].val) {
                        (Val::Int(a), Val::Int(n))
                            if *a >= 0
                                && *n >= 0
                                && (*a as u64).saturating_add(*n as u64)
                                    <= u64::from(MAX_OBJECTS) + 1 =>
                        {
                            v.push((*a as u64, *n as u64))
                        }
                        _ => return Err(damaged(format!("{what} at byte {at}: a bad /Index"))),
                    }
                }
                v
            }
            _ => return Err(damaged(format!("{what} at byte {at}: a bad /Index"))),
        };
        let row: usize = w.iter().sum();
        let rows: u64 = index.iter().map(|(_, n)| n).sum();
        if row == 0 || (data.len() as u64) < rows * row as u64 {
            return Err(damaged(format!(
                "{what} at byte {at} holds {} bytes, fewer than its /Index and /W need",
                data.len()
            )));
        }
        let field = |r: &[u8], k: usize| -> u64 {
            let start: usize = w[..k].iter().sum();
            r[start..start + w[k]]
                .iter()
                .fold(0u64, |a, b| (a << 8) | u64::from(*b))
        };
        let mut entries = Vec::with_capacity(rows as usize);
        let mut rows_iter = data.chunks_exact(row);
        for (first, n) in index {
            for k in 0..n {
                let r = rows_iter.next().expect("length checked");
                let num = (first + k) as u32;
                let kind = if w[0] == 0 { 1 } else { field(r, 0) };
                let e = match kind {
                    1 if field(r, 1) >= MAX_OFFSET => {
                        return Err(damaged(format!(
                            "{what} at byte {at}: object {num} at offset {}",
                            field(r, 1)
                        )))
                    }
                    1 => Entry::InFile {
                        off: field(r, 1),
                        gen: u16::try_from(field(r, 2)).map_err(|_| {
                            damaged(format!(
                                "{what} at byte {at}: object {num} has a generation past 65535"
                            ))
                        })?,
                    },
                    2 if field(r, 1) >= u64::from(MAX_OBJECTS) => {
                        return Err(damaged(format!(
                            "{what} at byte {at}: object {num} in a stream past the object numbers"
                        )))
                    }
                    2 => Entry::InStream {
                        stm: field(r, 1) as u32,
                        idx: u32::try_from(field(r, 2)).unwrap_or(u32::MAX),
                    },
                    // Type 0 is free; other types are references to the null object.
                    _ => Entry::Free,
                };
                entries.push((num, e.pack()));
            }
        }
        // The stream is an object of the file too: its number is taken.
        entries.push((num, Entry::InFile { off: at, gen: 0 }.pack()));
        let entries = unique(entries, at)?;
        Ok(Section {
            kind: XrefKind::Stream,
            entries,
            trailer: dict,
            trailer_bytes: dict_bytes,
        })
    }

    /// Reads the stream object at `at`: its number, generation, dictionary (spans
    /// relative to the returned bytes), the dictionary's bytes and its raw data.
    fn read_stream(&mut self, at: u64, what: &str) -> Result<StreamObj> {
        let ((num, gen, dict, data_at), buf) = self.parse_at(at, MAX_OBJECT, what, |lx| {
            let num = lx.uint()?;
            let gen = lx.uint()?;
            lx.keyword(b"obj")?;
            let (Ok(num), Ok(gen)) = (u32::try_from(num), u16::try_from(gen)) else {
                return Err(Stop::Bad("an object number out of range".into()));
            };
            let dict = lx.value(0)?;
            if !matches!(dict.val, Val::Dict(_)) {
                return Err(Stop::Bad("not a stream".into()));
            }
            lx.keyword(b"stream")?;
            // `stream` is followed by CRLF or LF, then the data.
            match lx.buf.get(lx.pos..lx.pos + 2) {
                Some([b'\r', b'\n']) => lx.pos += 2,
                Some([b'\n', _]) => lx.pos += 1,
                None if !lx.at_eof => return Err(Stop::More),
                _ => return Err(Stop::Bad("`stream` not followed by an end of line".into())),
            }
            Ok((num, gen, dict, lx.pos))
        })?;
        let dict_bytes = buf[..dict.span.end].to_vec();
        let len = match dict.get(b"Length").map(|p| &p.val) {
            Some(Val::Int(n)) if *n >= 0 => *n as u64,
            Some(Val::Ref(r)) => {
                let r = *r;
                self.int_object(r)?
            }
            _ => return Err(damaged(format!("{what} at byte {at}: no /Length"))),
        };
        if len > MAX_OBJECT {
            return Err(Error::Unsupported(format!(
                "{what} at byte {at} is larger than {} MiB, more than wias reads to append",
                MAX_OBJECT >> 20
            )));
        }
        let start = at + data_at as u64;
        if start + len > self.len {
            return Err(damaged(format!(
                "{what} at byte {at} runs past the end of the file"
            )));
        }
        let (data, _) = self.window(start, len)?;
        let (_, _) = self.parse_at(start + len, MAX_OBJECT, what, |lx| {
            lx.keyword(b"endstream")
                .map_err(|_| Stop::Bad("its /Length does not end at `endstream`".into()))
        })?;
        Ok(StreamObj {
            num,
            gen,
            dict,
            dict_bytes,
            data,
        })
    }

    /// The value of an indirect integer (a stream's `/Length`), which must be in the
    /// file, not in an object stream.
    fn int_object(&mut self, r: ObjRef) -> Result<u64> {
        let at = match self.entry(r.num) {
            Some(Entry::InFile { off, gen }) if gen == r.gen => off,
            _ => {
                return Err(damaged(format!(
                    "a stream's /Length {} {} R names no object in the file",
                    r.num, r.gen
                )))
            }
        };
        let what = format!("object {} {}", r.num, r.gen);
        let (n, _) = self.parse_at(at, MAX_OBJECT, &what, |lx| {
            header(lx, r)?;
            let v = lx.value(0)?;
            lx.keyword(b"endobj")?;
            match v.val {
                Val::Int(n) if n >= 0 => Ok(n as u64),
                _ => Err(Stop::Bad("a stream length that is not a number".into())),
            }
        })?;
        Ok(n)
    }

    /// The decoded data of stream object `r`, which must be in the file (not in an
    /// object stream, where no stream can be), unfiltered or Flate.
    pub fn stream(&mut self, r: ObjRef) -> Result<Vec<u8>> {
        let what = format!("object {} {}", r.num, r.gen);
        let at = match self.entry(r.num) {
            Some(Entry::InFile { off, gen }) if gen == r.gen => off,
            _ => return Err(damaged(format!("{what} is not a stream in the file"))),
        };
        let s = self.read_stream(at, &what)?;
        if (s.num, s.gen) != (r.num, r.gen) {
            return Err(damaged(format!(
                "the cross-reference entry of {what} points at object {} {}",
                s.num, s.gen
            )));
        }
        decode::decode(&s.dict, &s.data).map_err(|e| decode_err(&what, e))
    }

    /// Whether `r` names an object the file holds (neither free nor missing).
    pub fn exists(&self, r: ObjRef) -> bool {
        match self.entry(r.num) {
            Some(Entry::InFile { gen, .. }) => gen == r.gen,
            Some(Entry::InStream { .. }) => r.gen == 0,
            _ => false,
        }
    }

    /// Reads object `r`, which must be a dictionary (not a stream).
    pub fn dict(&mut self, r: ObjRef) -> Result<ReadObject> {
        let what = format!("object {} {}", r.num, r.gen);
        match self.entry(r.num) {
            Some(Entry::InFile { off, gen }) if gen == r.gen => {
                let (value, mut bytes) = self.parse_at(off, MAX_OBJECT, &what, |lx| {
                    header(lx, r)?;
                    let v = lx.value(0)?;
                    lx.keyword(b"endobj").map_err(|_| {
                        Stop::Bad("not a plain dictionary object (a stream, or no endobj)".into())
                    })?;
                    if !matches!(v.val, Val::Dict(_)) {
                        return Err(Stop::Bad("not a dictionary".into()));
                    }
                    Ok(v)
                })?;
                bytes.truncate(value.span.end);
                Ok(ReadObject { value, bytes })
            }
            Some(Entry::InStream { stm, idx }) if r.gen == 0 => self.compressed(r, stm, idx),
            _ => Err(damaged(format!(
                "{what} is referenced but free, missing, or of another generation"
            ))),
        }
    }

    /// Object `r`, number `idx` of object stream `stm`.
    fn compressed(&mut self, r: ObjRef, stm: u32, idx: u32) -> Result<ReadObject> {
        let what = format!("object {} {} (in object stream {stm})", r.num, r.gen);
        if self.objstm.as_ref().map(|s| s.num) != Some(stm) {
            let loaded = self.load_objstm(stm)?;
            self.objstm = Some(loaded);
        }
        let ObjStm { data, pairs, .. } = self.objstm.as_ref().expect("loaded");
        let &(num, start) = pairs
            .get(idx as usize)
            .ok_or_else(|| damaged(format!("{what}: the stream holds {} objects", pairs.len())))?;
        if num != r.num {
            return Err(damaged(format!(
                "{what}: the stream has object {num} in that place"
            )));
        }
        let end = pairs
            .get(idx as usize + 1)
            .map_or(data.len(), |p| p.1)
            .max(start);
        let slice = &data[start..end.min(data.len())];
        let mut lx = Lexer::new(slice, true);
        let value = match lx.value(0) {
            Ok(v) => v,
            Err(Stop::Bad(why)) => return Err(damaged(format!("{what}: {why}"))),
            Err(Stop::More) => unreachable!("the lexer is at the end"),
        };
        if !matches!(value.val, Val::Dict(_)) {
            return Err(damaged(format!("{what}: not a dictionary")));
        }
        let bytes = slice[..value.span.end].to_vec();
        Ok(ReadObject { value, bytes })
    }

    fn load_objstm(&mut self, stm: u32) -> Result<ObjStm> {
        let what = format!("object stream {stm}");
        let at = match self.entry(stm) {
            Some(Entry::InFile { off, gen: 0 }) => off,
            _ => return Err(damaged(format!("{what} is not an object in the file"))),
        };
        let StreamObj {
            num,
            gen,
            dict,
            data,
            ..
        } = self.read_stream(at, &what)?;
        if (num, gen) != (stm, 0) {
            return Err(damaged(format!(
                "the cross-reference entry of {what} points at object {num} {gen}"
            )));
        }
        match dict.get(b"Type").map(|p| &p.val) {
            Some(Val::Name(n)) if n == b"ObjStm" => {}
            _ => return Err(damaged(format!("{what} is not of /Type /ObjStm"))),
        }
        if dict.get(b"Extends").is_some() {
            return Err(Error::Unsupported(format!(
                "the PDF's {what} extends another (/Extends); wias does not append to it"
            )));
        }
        let int = |k: &[u8]| match dict.get(k).map(|p| &p.val) {
            Some(Val::Int(n)) if *n >= 0 => Ok(*n as usize),
            _ => Err(damaged(format!(
                "{what} has no /{}",
                String::from_utf8_lossy(k)
            ))),
        };
        let (n, first) = (int(b"N")?, int(b"First")?);
        let data = decode::decode(&dict, &data).map_err(|e| decode_err(&what, e))?;
        if first > data.len() || n > data.len() {
            return Err(damaged(format!("{what}: /First or /N past its data")));
        }
        let mut lx = Lexer::new(&data[..first], true);
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            let (Ok(num), Ok(off)) = (lx.uint(), lx.uint()) else {
                return Err(damaged(format!("{what}: a bad header")));
            };
            let num = u32::try_from(num).map_err(|_| damaged(format!("{what}: a bad header")))?;
            let off = first + off as usize;
            if off > data.len() {
                return Err(damaged(format!("{what}: an offset past its data")));
            }
            pairs.push((num, off));
        }
        Ok(ObjStm {
            num: stm,
            data,
            pairs,
        })
    }
}

/// `n g obj` for `r`.
fn header(lx: &mut Lexer, r: ObjRef) -> Parse<()> {
    let num = lx.uint()?;
    let gen = lx.uint()?;
    lx.keyword(b"obj")?;
    if (num, gen) != (u64::from(r.num), u64::from(r.gen)) {
        return Err(Stop::Bad(format!(
            "the cross-reference entry points at object {num} {gen} instead"
        )));
    }
    Ok(())
}

/// A section's entries, refusing an object given two different places in it (readers
/// differ on which they take).
fn unique(mut entries: Vec<(u32, u64)>, at: u64) -> Result<Vec<(u32, u64)>> {
    entries.sort_by_key(|e| e.0);
    for w in entries.windows(2) {
        if w[0].0 == w[1].0 && w[0].1 != w[1].1 {
            return Err(damaged(format!(
                "the cross-reference section at byte {at} lists object {} twice, at different places",
                w[0].0
            )));
        }
    }
    entries.dedup_by_key(|e| e.0);
    Ok(entries)
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn read_at<F: Read + Seek>(f: &mut F, at: u64, buf: &mut [u8]) -> Result<()> {
    f.seek(SeekFrom::Start(at))
        .and_then(|_| f.read_exact(buf))
        .map_err(|e| Error::io(format!("reading the PDF at byte {at}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_pack_into_64_bits_and_back() {
        for e in [
            Entry::Free,
            Entry::InFile { off: 0, gen: 0 },
            Entry::InFile {
                off: MAX_OFFSET - 1,
                gen: u16::MAX,
            },
            Entry::InStream {
                stm: MAX_OBJECTS,
                idx: u32::MAX,
            },
            Entry::InStream { stm: 7, idx: 0 },
        ] {
            assert_eq!(Entry::unpack(e.pack()), e);
        }
    }
}

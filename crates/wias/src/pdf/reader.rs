//! The little of an existing PDF that appending needs, read strictly: the last
//! `startxref`, the classic cross-reference sections it chains to, the trailer, the
//! catalog, and the page-tree nodes on the right edge of the tree.
//!
//! Anything this reader does not understand it refuses, so that an append never
//! writes into a file it might damage: cross-reference streams (PDF 1.5 compressed
//! files), encrypted files, trailing data after `%%EOF`, offsets that do not lead to
//! the objects they should.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use crate::error::{Error, Result};

/// An object number and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ObjRef {
    pub num: u32,
    pub gen: u16,
}

/// A parsed value; `span` in [`Parsed`] says where its bytes are.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool,
    Int(i64),
    Real,
    Name(Vec<u8>),
    Str,
    Array(Vec<Parsed>),
    Dict(Vec<(Vec<u8>, Parsed)>),
    Ref(ObjRef),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Parsed {
    pub val: Val,
    pub span: Range<usize>,
}

impl Parsed {
    pub fn get(&self, key: &[u8]) -> Option<&Parsed> {
        match &self.val {
            Val::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why a parse stopped: the bytes ran out (read more), or they are wrong.
enum Stop {
    More,
    Bad(String),
}

type Parse<T> = std::result::Result<T, Stop>;

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A cursor over a window of the file.
struct Lexer<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The window reaches the end of the file: running out is an error, not a reason
    /// to read more.
    at_eof: bool,
}

impl<'a> Lexer<'a> {
    fn more(&self) -> Stop {
        if self.at_eof {
            Stop::Bad("the file ends inside an object".into())
        } else {
            Stop::More
        }
    }

    fn skip_ws(&mut self) -> Parse<()> {
        loop {
            match self.buf.get(self.pos) {
                None => return Err(self.more()),
                Some(b) if is_ws(*b) => self.pos += 1,
                Some(b'%') => {
                    while !matches!(self.buf.get(self.pos), Some(b'\n' | b'\r')) {
                        if self.pos >= self.buf.len() {
                            return Err(self.more());
                        }
                        self.pos += 1;
                    }
                }
                Some(_) => return Ok(()),
            }
        }
    }

    /// A run of regular characters (a number or keyword) after any white space.
    fn word(&mut self) -> Parse<&'a [u8]> {
        self.skip_ws()?;
        self.regular_run()
    }

    fn keyword(&mut self, kw: &[u8]) -> Parse<()> {
        let at = self.pos;
        let w = self.word()?;
        if w != kw {
            return Err(Stop::Bad(format!(
                "expected `{}` at byte {at} of the window, found `{}`",
                String::from_utf8_lossy(kw),
                String::from_utf8_lossy(&w[..w.len().min(20)])
            )));
        }
        Ok(())
    }

    fn uint(&mut self) -> Parse<u64> {
        let w = self.word()?;
        std::str::from_utf8(w)
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                Stop::Bad(format!(
                    "expected a number, found `{}`",
                    String::from_utf8_lossy(&w[..w.len().min(20)])
                ))
            })
    }

    fn value(&mut self, depth: u32) -> Parse<Parsed> {
        if depth > 32 {
            return Err(Stop::Bad("objects nested more than 32 deep".into()));
        }
        self.skip_ws()?;
        let start = self.pos;
        let b = self.buf[self.pos];
        let peek = |l: &Self, k: usize| l.buf.get(l.pos + k).copied();
        let val = match b {
            b'<' if peek(self, 1).is_none() => return Err(self.more()),
            b'<' if peek(self, 1) == Some(b'<') => {
                self.pos += 2;
                let mut entries = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.buf[self.pos] == b'>' {
                        match peek(self, 1) {
                            Some(b'>') => break,
                            None => return Err(self.more()),
                            _ => return Err(Stop::Bad("`>` inside a dictionary".into())),
                        }
                    }
                    let key = self.value(depth + 1)?;
                    let Val::Name(k) = key.val else {
                        return Err(Stop::Bad("a dictionary key that is not a name".into()));
                    };
                    let v = self.value(depth + 1)?;
                    entries.push((k, v));
                }
                self.pos += 2;
                Val::Dict(entries)
            }
            b'<' => {
                self.pos += 1;
                loop {
                    match self.buf.get(self.pos) {
                        None => return Err(self.more()),
                        Some(b'>') => break,
                        Some(c) if c.is_ascii_hexdigit() || is_ws(*c) => self.pos += 1,
                        Some(_) => return Err(Stop::Bad("a bad hex string".into())),
                    }
                }
                self.pos += 1;
                Val::Str
            }
            b'(' => {
                self.pos += 1;
                let mut open = 1;
                while open > 0 {
                    match self.buf.get(self.pos) {
                        None => return Err(self.more()),
                        Some(b'\\') => self.pos += 1,
                        Some(b'(') => open += 1,
                        Some(b')') => open -= 1,
                        Some(_) => {}
                    }
                    self.pos += 1;
                }
                Val::Str
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.buf[self.pos] == b']' {
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Val::Array(items)
            }
            b'/' => {
                self.pos += 1;
                let w = self.regular_run()?;
                Val::Name(w.to_vec())
            }
            _ if is_delim(b) => {
                return Err(Stop::Bad(format!("unexpected `{}`", b as char)));
            }
            _ => {
                let w = self.word()?;
                match w {
                    b"true" | b"false" => Val::Bool,
                    b"null" => Val::Null,
                    _ => self.number(w)?,
                }
            }
        };
        Ok(Parsed {
            val,
            span: start..self.pos,
        })
    }

    /// The regular characters from here to the next white space or delimiter (a
    /// name's, after its slash, or a word's).
    fn regular_run(&mut self) -> Parse<&'a [u8]> {
        let start = self.pos;
        while let Some(&b) = self.buf.get(self.pos) {
            if is_ws(b) || is_delim(b) {
                return Ok(&self.buf[start..self.pos]);
            }
            self.pos += 1;
        }
        Err(self.more())
    }

    /// A number, or `num gen R`.
    fn number(&mut self, w: &[u8]) -> Parse<Val> {
        let s = std::str::from_utf8(w).unwrap_or("");
        let Ok(n) = s.parse::<i64>() else {
            if s.parse::<f64>().is_ok() {
                return Ok(Val::Real);
            }
            return Err(Stop::Bad(format!(
                "unexpected `{}`",
                String::from_utf8_lossy(&w[..w.len().min(20)])
            )));
        };
        // `n g R`: look ahead without consuming unless it matches.
        // A window that ends inside `n g R` must be read further, not taken for `n`.
        let save = self.pos;
        match self.uint() {
            Ok(g) => match self.word() {
                Ok(b"R") => {
                    if let (Ok(num), Ok(gen)) = (u32::try_from(n), u16::try_from(g)) {
                        return Ok(Val::Ref(ObjRef { num, gen }));
                    }
                }
                Err(Stop::More) => return Err(Stop::More),
                _ => {}
            },
            Err(Stop::More) => return Err(Stop::More),
            Err(_) => {}
        }
        self.pos = save;
        Ok(Val::Int(n))
    }
}

/// One cross-reference section and its trailer.
struct Section {
    entries: HashMap<u32, (u64, u16, bool)>,
    trailer: Parsed,
    /// The trailer's bytes, for copying its entries.
    trailer_bytes: Vec<u8>,
}

/// An existing PDF opened for appending: its last trailer and a way to look objects up.
pub(crate) struct ExistingPdf<'f, F: Read + Seek> {
    file: &'f mut F,
    pub len: u64,
    /// The offset the last `startxref` names.
    pub last_xref: u64,
    sections: Vec<(u64, Section)>,
}

/// An object read from the file: its value, and its bytes for copying entries.
pub(crate) struct ReadObject {
    pub value: Parsed,
    pub bytes: Vec<u8>,
}

impl ReadObject {
    /// The bytes of entry `key`'s value.
    pub fn raw(&self, p: &Parsed) -> &[u8] {
        &self.bytes[p.span.clone()]
    }
}

fn damaged(why: impl Into<String>) -> Error {
    Error::CorruptPdf(why.into())
}

impl<'f, F: Read + Seek> ExistingPdf<'f, F> {
    /// Reads the header, the last `startxref` and the newest cross-reference section.
    pub fn open(file: &'f mut F) -> Result<Self> {
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("reading the PDF", e))?;
        let mut head = [0u8; 8];
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
        let mut lx = Lexer {
            buf: &trimmed[at + 9..],
            pos: 0,
            at_eof: true,
        };
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
            sections: Vec::new(),
        };
        pdf.load_section(last_xref)?;
        let t = &pdf.sections[0].1.trailer;
        if t.get(b"Encrypt").is_some() {
            return Err(Error::Unsupported(
                "the PDF is encrypted; wias does not append to encrypted files".into(),
            ));
        }
        if t.get(b"XRefStm").is_some() {
            return Err(Error::Unsupported(
                "the PDF is a hybrid file (its objects are partly in cross-reference streams); wias appends only to files with classic cross-reference tables".into(),
            ));
        }
        Ok(pdf)
    }

    /// The newest trailer.
    pub fn trailer(&self) -> &Parsed {
        &self.sections[0].1.trailer
    }

    /// The bytes of the newest trailer's value `p`.
    pub fn trailer_raw(&self, p: &Parsed) -> &[u8] {
        &self.sections[0].1.trailer_bytes[p.span.clone()]
    }

    /// Reads bytes from `at`, `len` of them or to the end of the file.
    fn window(&mut self, at: u64, len: u64) -> Result<(Vec<u8>, bool)> {
        let n = len.min(self.len - at);
        let mut buf = vec![0u8; n as usize];
        read_at(self.file, at, &mut buf)?;
        Ok((buf, at + n >= self.len))
    }

    /// Parses with `f` at `at`, reading a bigger window while the bytes run out.
    fn parse_at<T>(
        &mut self,
        at: u64,
        what: &str,
        f: impl Fn(&mut Lexer) -> Parse<T>,
    ) -> Result<(T, Vec<u8>)> {
        if at >= self.len {
            return Err(damaged(format!(
                "{what} at {at} is past the end of the file"
            )));
        }
        let mut size = 4096u64;
        loop {
            let (buf, at_eof) = self.window(at, size)?;
            let mut lx = Lexer {
                buf: &buf,
                pos: 0,
                at_eof,
            };
            match f(&mut lx) {
                Ok(v) => return Ok((v, buf)),
                Err(Stop::More) => size *= 4,
                Err(Stop::Bad(why)) => return Err(damaged(format!("{what} at byte {at}: {why}"))),
            }
        }
    }

    fn load_section(&mut self, at: u64) -> Result<()> {
        if self.sections.iter().any(|(o, _)| *o == at) {
            return Err(damaged(format!(
                "its cross-reference sections loop back to byte {at}"
            )));
        }
        let ((entries, trailer, tstart), buf) =
            self.parse_at(at, "the cross-reference section", |lx| {
                lx.skip_ws()?;
                let save = lx.pos;
                if lx.word()? != b"xref" {
                    lx.pos = save;
                    // `n g obj` here is a cross-reference stream.
                    if lx.uint().is_ok() && lx.uint().is_ok() && lx.word().ok() == Some(b"obj") {
                        return Err(Stop::Bad("XREFSTREAM".into()));
                    }
                    return Err(Stop::Bad("no `xref` keyword where startxref points".into()));
                }
                let mut entries = HashMap::new();
                loop {
                    lx.skip_ws()?;
                    let save = lx.pos;
                    if lx.word()? == b"trailer" {
                        break;
                    }
                    lx.pos = save;
                    let first = lx.uint()?;
                    let count = lx.uint()?;
                    for k in 0..count {
                        let off = lx.uint()?;
                        let gen = lx.uint()?;
                        let kind = lx.word()?;
                        let used = match kind {
                            b"n" => true,
                            b"f" => false,
                            _ => return Err(Stop::Bad("a cross-reference entry that is neither n nor f".into())),
                        };
                        let num = u32::try_from(first + k)
                            .map_err(|_| Stop::Bad("object number too large".into()))?;
                        let gen = u16::try_from(gen)
                            .map_err(|_| Stop::Bad("generation too large".into()))?;
                        entries.entry(num).or_insert((off, gen, used));
                    }
                }
                let tstart = lx.pos;
                let trailer = lx.value(0)?;
                if !matches!(trailer.val, Val::Dict(_)) {
                    return Err(Stop::Bad("the trailer is not a dictionary".into()));
                }
                Ok((entries, trailer, tstart))
            })
            .map_err(|e| match e {
                Error::CorruptPdf(m) if m.ends_with("XREFSTREAM") => Error::Unsupported(
                    "the PDF keeps its cross-reference table in a stream (PDF 1.5 compressed cross-references); wias appends only to files with classic cross-reference tables".into(),
                ),
                e => e,
            })?;
        let trailer_bytes = buf[tstart..trailer.span.end].to_vec();
        let trailer = rebase(&trailer, tstart);
        self.sections.push((
            at,
            Section {
                entries,
                trailer,
                trailer_bytes,
            },
        ));
        Ok(())
    }

    /// Where object `r` is, looking through the sections newest first (reading older
    /// ones through `/Prev` only as far as needed).
    fn locate(&mut self, r: ObjRef) -> Result<u64> {
        let mut i = 0;
        loop {
            if i == self.sections.len() {
                let prev = match self.sections[i - 1].1.trailer.get(b"Prev").map(|p| &p.val) {
                    Some(Val::Int(p)) if *p >= 0 => *p as u64,
                    Some(_) => return Err(damaged("a trailer's /Prev is not an offset")),
                    None => {
                        return Err(damaged(format!(
                            "object {} {} is in no cross-reference section",
                            r.num, r.gen
                        )))
                    }
                };
                if self.sections.len() > 100_000 {
                    return Err(damaged("more than 100000 cross-reference sections"));
                }
                self.load_section(prev)?;
            }
            if let Some(&(off, gen, used)) = self.sections[i].1.entries.get(&r.num) {
                if !used || gen != r.gen {
                    return Err(damaged(format!(
                        "object {} {} is referenced but free or of another generation",
                        r.num, r.gen
                    )));
                }
                return Ok(off);
            }
            i += 1;
        }
    }

    /// Reads object `r`, which must be a dictionary (not a stream).
    pub fn dict(&mut self, r: ObjRef) -> Result<ReadObject> {
        let at = self.locate(r)?;
        let what = format!("object {} {}", r.num, r.gen);
        let (value, mut bytes) = self.parse_at(at, &what, |lx| {
            let num = lx.uint()?;
            let gen = lx.uint()?;
            lx.keyword(b"obj")?;
            if (num, gen) != (u64::from(r.num), u64::from(r.gen)) {
                return Err(Stop::Bad(format!(
                    "the cross-reference table points at object {num} {gen} instead"
                )));
            }
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
}

/// `p` with every span moved `by` bytes earlier.
fn rebase(p: &Parsed, by: usize) -> Parsed {
    let val = match &p.val {
        Val::Array(items) => Val::Array(items.iter().map(|i| rebase(i, by)).collect()),
        Val::Dict(e) => Val::Dict(e.iter().map(|(k, v)| (k.clone(), rebase(v, by))).collect()),
        v => v.clone(),
    };
    Parsed {
        val,
        span: p.span.start - by..p.span.end - by,
    }
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

    fn parse(s: &str) -> Parsed {
        let mut lx = Lexer {
            buf: s.as_bytes(),
            pos: 0,
            at_eof: true,
        };
        match lx.value(0) {
            Ok(v) => v,
            Err(Stop::Bad(w)) => panic!("{w}"),
            Err(Stop::More) => panic!("more"),
        }
    }

    #[test]
    fn dictionaries_keep_the_spans_of_their_values() {
        let s = "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /X (a\\)b(c)) /H <0A 1b> /R 1.5 >>";
        let d = parse(s);
        let kids = d.get(b"Kids").unwrap();
        let Val::Array(items) = &kids.val else {
            panic!()
        };
        assert_eq!(items[1].val, Val::Ref(ObjRef { num: 4, gen: 0 }));
        assert_eq!(&s[d.get(b"X").unwrap().span.clone()], "(a\\)b(c))");
        assert_eq!(&s[d.get(b"H").unwrap().span.clone()], "<0A 1b>");
        assert_eq!(d.get(b"Count").unwrap().val, Val::Int(2));
        assert_eq!(d.get(b"R").unwrap().val, Val::Real);
    }

    #[test]
    fn a_cut_dictionary_asks_for_more_bytes() {
        for cut in [
            "<< /Kids [1 0 R",
            "<< /Kids [1 0 R 2",
            "<< /Kids [1 0 R 2 0",
            "<< /Count 2",
        ] {
            let mut lx = Lexer {
                buf: cut.as_bytes(),
                pos: 0,
                at_eof: false,
            };
            assert!(matches!(lx.value(0), Err(Stop::More)), "{cut}");
        }
    }
}

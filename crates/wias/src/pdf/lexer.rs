//! PDF's object syntax over a window of bytes, as strictly as appending needs.
//!
//! Values are built only as deep as the structures appending reads (a trailer's `/ID`
//! strings, a node's `/Kids` references, an xref stream's `/DecodeParms`): anything
//! nested deeper is skipped and kept only as its byte span, so that a huge catalog or
//! page dictionary costs its bytes, not a tree of values many times their size.
//!
//! Names are compared decoded (`/Ro#6Ft` is `/Root`), and a dictionary that names a key
//! twice is an error: qpdf, poppler and MuPDF take the last entry, other readers the
//! first, so whichever wias took some reader would show a different document.

use std::ops::Range;

use super::reader::ObjRef;

/// A parsed value; `span` in [`Parsed`] says where its bytes are.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool,
    Int(i64),
    Real,
    /// A name, `#xx` escapes decoded.
    Name(Vec<u8>),
    Str,
    Array(Vec<Parsed>),
    /// Entries: the decoded key, where the key's `/` is, and the value.
    Dict(Vec<(Vec<u8>, usize, Parsed)>),
    Ref(ObjRef),
    /// An array or dictionary nested deeper than appending reads: only its span.
    Skipped,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Parsed {
    pub val: Val,
    pub span: Range<usize>,
}

impl Parsed {
    /// The value of `key` in a dictionary (keys are unique: see [`Lexer::value`]).
    pub fn get(&self, key: &[u8]) -> Option<&Parsed> {
        match &self.val {
            Val::Dict(entries) => entries.iter().find(|(k, _, _)| k == key).map(|e| &e.2),
            _ => None,
        }
    }

    /// `self` with every span moved `by` bytes earlier.
    pub fn rebase(&self, by: usize) -> Parsed {
        let val = match &self.val {
            Val::Array(items) => Val::Array(items.iter().map(|i| i.rebase(by)).collect()),
            Val::Dict(e) => Val::Dict(
                e.iter()
                    .map(|(k, at, v)| (k.clone(), at - by, v.rebase(by)))
                    .collect(),
            ),
            v => v.clone(),
        };
        Parsed {
            val,
            span: self.span.start - by..self.span.end - by,
        }
    }
}

/// Why a parse stopped: the bytes ran out (read more), or they are wrong.
pub(crate) enum Stop {
    More,
    Bad(String),
}

pub(crate) type Parse<T> = std::result::Result<T, Stop>;

/// Arrays and dictionaries deeper than this are skipped, not built.
const BUILD_DEPTH: u32 = 2;

/// The keys of the dictionaries appending reads (trailers, cross-reference and object
/// stream dictionaries, the catalog, page-tree nodes, pages) whose values are built;
/// the values of other keys (a catalog's outlines, a page's annotations) are skipped.
const STRUCTURAL: &[&[u8]] = &[
    b"Type",
    b"Root",
    b"Info",
    b"ID",
    b"Size",
    b"Prev",
    b"XRefStm",
    b"Encrypt",
    b"W",
    b"Index",
    b"Filter",
    b"DecodeParms",
    b"Length",
    b"N",
    b"First",
    b"Extends",
    b"Pages",
    b"Kids",
    b"Count",
    // A PDF/A file's catalog: what keeping it PDF/A reads.
    b"Metadata",
    b"OutputIntents",
    b"Parent",
];

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A cursor over a window of the file.
pub(crate) struct Lexer<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
    /// The window reaches the end of the file (or of the decoded stream): running out
    /// is an error, not a reason to read more.
    pub at_eof: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(buf: &'a [u8], at_eof: bool) -> Self {
        Lexer {
            buf,
            pos: 0,
            at_eof,
        }
    }

    fn more(&self) -> Stop {
        if self.at_eof {
            Stop::Bad("the file ends inside an object".into())
        } else {
            Stop::More
        }
    }

    pub fn skip_ws(&mut self) -> Parse<()> {
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
    pub fn word(&mut self) -> Parse<&'a [u8]> {
        self.skip_ws()?;
        self.regular_run()
    }

    pub fn keyword(&mut self, kw: &[u8]) -> Parse<()> {
        let w = self.word()?;
        if w != kw {
            return Err(Stop::Bad(format!(
                "expected `{}`, found `{}`",
                String::from_utf8_lossy(kw),
                String::from_utf8_lossy(&w[..w.len().min(20)])
            )));
        }
        Ok(())
    }

    pub fn uint(&mut self) -> Parse<u64> {
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

    /// One value. Dictionaries that are built and name a key twice (after decoding
    /// `#xx`) are refused; arrays and dictionaries below [`BUILD_DEPTH`], and the values
    /// of a top-level dictionary's keys that are not [`STRUCTURAL`], are skipped.
    pub fn value(&mut self, depth: u32) -> Parse<Parsed> {
        self.value_in(depth, true)
    }

    fn value_in(&mut self, depth: u32, build: bool) -> Parse<Parsed> {
        if depth > 64 {
            return Err(Stop::Bad("objects nested more than 64 deep".into()));
        }
        self.skip_ws()?;
        let start = self.pos;
        let b = self.buf[self.pos];
        let peek = |l: &Self, k: usize| l.buf.get(l.pos + k).copied();
        let build = build && depth <= BUILD_DEPTH;
        let val = match b {
            b'<' if peek(self, 1).is_none() => return Err(self.more()),
            b'<' if peek(self, 1) == Some(b'<') => {
                self.pos += 2;
                let mut entries: Vec<(Vec<u8>, usize, Parsed)> = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.buf[self.pos] == b'>' {
                        match peek(self, 1) {
                            Some(b'>') => break,
                            None => return Err(self.more()),
                            _ => return Err(Stop::Bad("`>` inside a dictionary".into())),
                        }
                    }
                    let key_at = self.pos;
                    let key = self.value_in(depth + 1, build)?;
                    let Val::Name(k) = key.val else {
                        return Err(Stop::Bad("a dictionary key that is not a name".into()));
                    };
                    let deep = build && (depth > 0 || STRUCTURAL.contains(&k.as_slice()));
                    let v = self.value_in(depth + 1, deep)?;
                    if build {
                        if entries.iter().any(|e| e.0 == k) {
                            return Err(Stop::Bad(format!(
                                "a dictionary names /{} twice (readers disagree on which entry counts)",
                                String::from_utf8_lossy(&k)
                            )));
                        }
                        entries.push((k, key_at, v));
                    }
                }
                self.pos += 2;
                if build {
                    Val::Dict(entries)
                } else {
                    Val::Skipped
                }
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
                if self.pos > self.buf.len() {
                    return Err(self.more());
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
                    let v = self.value_in(depth + 1, build)?;
                    if build {
                        items.push(v);
                    }
                }
                self.pos += 1;
                if build {
                    Val::Array(items)
                } else {
                    Val::Skipped
                }
            }
            b'/' => {
                self.pos += 1;
                let w = self.regular_run()?;
                Val::Name(decode_name(w)?)
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
                    return Err(Stop::Bad(format!("a reference {n} {g} R out of range")));
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

/// A name's characters with `#xx` escapes decoded.
fn decode_name(raw: &[u8]) -> Parse<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#' {
            let hex = raw
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Stop::Bad("a name with a bad # escape".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Parsed {
        let mut lx = Lexer::new(s.as_bytes(), true);
        match lx.value(0) {
            Ok(v) => v,
            Err(Stop::Bad(w)) => panic!("{w}"),
            Err(Stop::More) => panic!("more"),
        }
    }

    fn bad(s: &str) -> String {
        match Lexer::new(s.as_bytes(), true).value(0) {
            Err(Stop::Bad(w)) => w,
            _ => panic!("{s} parsed"),
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
    fn escaped_names_are_the_names_they_spell_and_a_second_spelling_is_a_duplicate() {
        let d = parse("<< /Ro#6Ft 1 0 R >>");
        assert_eq!(
            d.get(b"Root").unwrap().val,
            Val::Ref(ObjRef { num: 1, gen: 0 })
        );
        for s in [
            "<< /Root 1 0 R /Root 2 0 R >>",
            "<< /Root 1 0 R /R#6fot 2 0 R >>",
            "<< /Kids << /A 1 /A 2 >> >>",
        ] {
            assert!(bad(s).contains("twice"), "{s}");
        }
    }

    #[test]
    fn deep_values_are_skipped_with_their_spans() {
        let s = "<< /Kids << /B << /C [1 2 [3]] >> >> /Names [(a) (b)] >>";
        let d = parse(s);
        let c = d
            .get(b"Kids")
            .unwrap()
            .get(b"B")
            .unwrap()
            .get(b"C")
            .unwrap();
        assert_eq!(c.val, Val::Skipped);
        assert_eq!(&s[c.span.clone()], "[1 2 [3]]");
        // Not a key appending reads: kept as its bytes only.
        let names = d.get(b"Names").unwrap();
        assert_eq!(
            (&names.val, &s[names.span.clone()]),
            (&Val::Skipped, "[(a) (b)]")
        );
    }

    #[test]
    fn a_cut_dictionary_asks_for_more_bytes() {
        for cut in [
            "<< /Kids [1 0 R",
            "<< /Kids [1 0 R 2",
            "<< /Kids [1 0 R 2 0",
            "<< /Count 2",
            "<< /S (abc",
        ] {
            let mut lx = Lexer::new(cut.as_bytes(), false);
            assert!(matches!(lx.value(0), Err(Stop::More)), "{cut}");
        }
    }
}

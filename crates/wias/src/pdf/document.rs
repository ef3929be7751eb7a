//! A PDF document as a sequence of incremental updates, one per page, without I/O.
//!
//! Each page becomes one update: its image XObject, content stream and page object,
//! the page-tree nodes on the right edge of the tree ([`super::tree`]), the catalog
//! when the tree's root changed (so another producer's catalog is not copied into
//! every update), then a cross-reference section listing exactly those objects (a
//! classic table and trailer, or a cross-reference stream for a file that keeps its
//! cross-references in streams) whose `/Prev` points at the previous section. The first update also carries the header
//! and the document information dictionary. [`Document::place_page`] lays an update
//! out after the document's end (for a file written in place, with the previous
//! `startxref` kept between body and section); the writers only write those bytes, in
//! the order their sink needs. Offsets are tracked here, so no sink needs to seek.
//!
//! Objects wias authors (image, content, page) are written with `pdf-writer`; the
//! page-tree nodes, the catalog and the information dictionary are written here by
//! hand because, in a file another producer started, they carry that producer's
//! entries byte for byte. The PDF/A objects (XMP stream, ICC profile, output intent)
//! come from [`super::archive`] and [`super::icc`], also by hand: a stream of given
//! bytes and a few entries.
//!
//! Why `pdf-writer`: it is made for this low-level job (typed writers for each kind of
//! object into a byte buffer, correct names and strings, no I/O, no document model),
//! and it leaves the cross-reference table to the caller when objects are written as a
//! `Chunk`, which is what one incremental update per page needs. `lopdf` loads and
//! saves whole documents in memory: appending page N would cost O(N), and a stream
//! could not be written as pages arrive. Writing the objects by hand would repeat what
//! `pdf-writer` already gets right.

use std::fmt::Write as _;

use pdf_writer::{Chunk, Content, Filter as PdfFilter, Name, Rect, Ref, Settings};

use super::archive::{self, Metadata, Stamp};
use super::image::{Filter, Image};
use super::reader::{ObjRef, XrefKind};
use super::text::{self, Word};
use super::tree::{Node, PageTree};
use crate::error::{Error, Result};

/// The header of a new document: version 1.5 (16-bit samples), then a comment of
/// high bytes that marks the file as binary for transfer programs.
pub(crate) const HEADER: &[u8] = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n";

/// The header of a new PDF/A-1 document: PDF 1.4, which PDF/A-1 is based on.
const HEADER_1_4: &[u8] = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";

/// The state a document needs to take its next page.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    /// Bytes in the file: where the next update starts.
    pub end: u64,
    /// The first unused object number (the trailer's `/Size`).
    pub next_num: u32,
    pub tree: PageTree,
    pub catalog: ObjRef,
    /// The page-tree root the committed catalog names: the catalog is written again
    /// only when the root changes (the tree grows a level), so a foreign catalog is
    /// not copied into every update.
    pub catalog_root: Option<ObjRef>,
    /// Entries of the catalog besides `/Type` and `/Pages`, as their bytes (another
    /// producer's outlines, metadata, ...); empty for ours.
    pub catalog_extra: Vec<u8>,
    pub info: Option<ObjRef>,
    /// Trailer entries copied from the file we append to (`/ID`), as their bytes.
    pub trailer_extra: Vec<u8>,
    /// Offset of the newest cross-reference section, once there is one.
    pub prev_xref: Option<u64>,
    /// How cross-references are written: the way the file we append to keeps them.
    pub xref_kind: XrefKind,
    /// What the first update of a new document writes besides its page.
    pub start: Start,
    /// The PDF/A state every update keeps true, for a PDF/A document.
    pub archive: Option<Archive>,
    /// Why an existing file is not a PDF/A file wias can keep one, when it is not.
    pub not_archive: Option<String>,
    /// The OCR text layer's font, once a committed update of this session holds it:
    /// later pages name it instead of writing it again (a document appended to gets
    /// its own the first time, since another producer's fonts are not ours to reuse).
    pub font: Option<ObjRef>,
}

/// The settings of a new document's first update.
#[derive(Clone, Debug, Default)]
pub(crate) struct Start {
    pub pdfa: Option<super::PdfA>,
    pub meta: Metadata,
    /// Fixed time (Unix seconds, `SOURCE_DATE_EPOCH`), or `None` for the time now.
    pub time: Option<i64>,
}

/// A PDF/A document's metadata stream and information dictionary, rewritten (same
/// object numbers) by the update that first falls in a new second.
#[derive(Clone, Debug)]
pub(crate) struct Archive {
    pub metadata: ObjRef,
    pub xmp: String,
    /// The modify date (XMP form) the file's newest packet holds.
    pub modified: Option<String>,
    /// The information dictionary's entries but `/ModDate`, as bytes.
    pub info_entries: Vec<u8>,
    /// Whether the output intent is RGB (DeviceRGB pages may be added).
    pub rgb: bool,
    /// The PDF/A part the file declares (1: no 16-bit pages).
    pub part: u8,
    pub time: Option<i64>,
}

/// One page's update laid out after the document's end: `body` at `at`, then (for a
/// file appended to in place) the previous `startxref … %%EOF` lines again in
/// `old_end`, then `tail`, the cross-reference section and trailer, at `xref_at`.
pub(crate) struct Placed {
    pub at: u64,
    pub body: Vec<u8>,
    pub old_end: Option<Vec<u8>>,
    pub xref_at: u64,
    pub tail: Vec<u8>,
    next: Document,
}

/// One page's update: its body (objects, and the header for a new document) and what
/// its cross-reference section will list.
pub(crate) struct Update {
    pub body: Vec<u8>,
    /// Objects in the body and their offsets from the body's start.
    objects: Vec<(ObjRef, u64)>,
    /// The number of the cross-reference stream, for a file that keeps its
    /// cross-references in streams.
    xref_obj: Option<ObjRef>,
    /// The document after this update is committed.
    next: Document,
}

fn pdf_ref(r: ObjRef) -> Ref {
    debug_assert_eq!(r.gen, 0, "our objects are generation 0");
    Ref::new(r.num as i32)
}

impl Document {
    /// An empty document with the settings of `options`: nothing written yet.
    pub fn new(options: &super::Options) -> Document {
        Document {
            end: 0,
            next_num: 3,
            tree: PageTree::default(),
            catalog: ObjRef { num: 1, gen: 0 },
            catalog_root: None,
            catalog_extra: Vec::new(),
            info: Some(ObjRef { num: 2, gen: 0 }),
            trailer_extra: Vec::new(),
            prev_xref: None,
            xref_kind: XrefKind::Table,
            start: Start {
                pdfa: options.pdfa,
                meta: options.metadata.clone(),
                time: options.time,
            },
            archive: None,
            not_archive: None,
            font: None,
        }
    }

    /// Pages in the document.
    pub fn pages(&self) -> u64 {
        self.tree.count()
    }

    /// The update that adds `image` as the next page, shown at `dpi` (x, y), with
    /// `words` as its invisible text layer (none: no text object, no font).
    pub fn page_update(&self, image: &Image, dpi: (f64, f64), words: &[Word]) -> Result<Update> {
        let too_big = |what: &'static str, v: u64| {
            Error::invalid(
                what,
                v,
                "does not fit in a PDF integer (at most 2147483647)",
            )
        };
        for (what, v) in [
            ("width", u64::from(image.width)),
            ("lines", u64::from(image.height)),
            ("page data", image.data.len() as u64),
        ] {
            if v > i32::MAX as u64 {
                return Err(too_big(what, v));
            }
        }
        if self.end == 0 {
            self.start.meta.check()?;
        }
        let new_part = self.start.pdfa.filter(|_| self.end == 0);
        let pdfa = self.archive.is_some() || new_part.is_some();
        let part =
            new_part.map_or_else(|| self.archive.as_ref().map_or(0, |a| a.part), |p| p.part());
        if part == 1 && image.bits == 16 {
            return Err(Error::Unsupported(
                "a 16-bit page cannot go into a PDF/A-1 file: PDF 1.4, which PDF/A-1 is based on, has no 16-bit samples (reduce it to 8 bits, or use PDF/A-2)".into(),
            ));
        }
        if pdfa && image.components == 4 {
            return Err(Error::Unsupported(
                "a CMYK JPEG page cannot go into a PDF/A file: its output intent is sRGB (convert the page to RGB, or write without --pdfa)".into(),
            ));
        }
        if image.components == 3 && self.archive.as_ref().is_some_and(|a| !a.rgb) {
            return Err(Error::Unsupported(
                "an RGB page cannot go into this PDF/A file: its output intent is not an RGB profile".into(),
            ));
        }
        let mut next = self.clone();
        let mut num = self.next_num;
        let mut alloc = || {
            let r = ObjRef { num, gen: 0 };
            num += 1;
            r
        };
        let (img, content, page) = (alloc(), alloc(), alloc());
        let has_text = text::usable(words).next().is_some();
        // The font's objects, in this update if no committed one holds them yet.
        let new_font = (has_text && self.font.is_none()).then(|| [(); 6].map(|_| alloc()));
        let font = match new_font {
            Some(refs) => Some(refs[0]),
            None => self.font.filter(|_| has_text),
        };
        next.font = self.font.or(font);
        let (parent, nodes) = next.tree.add(page, &mut alloc);
        let fresh_archive = new_part.map(|_| (alloc(), alloc()));
        let xref_obj = (self.xref_kind == XrefKind::Stream).then(|| {
            num += 1;
            ObjRef {
                num: num - 1,
                gen: 0,
            }
        });
        next.next_num = num;
        if next.next_num > super::reader::MAX_OBJECTS {
            return Err(Error::Unsupported(
                "the PDF would pass 8388607 objects, the most readers take".into(),
            ));
        }

        // Compact objects: the pretty form costs bytes on every page.
        let mut chunk =
            Chunk::with_settings_and_capacity(Settings { pretty: false }, image.data.len() + 4096);
        let mut objects = Vec::new();
        let header = if part == 1 { HEADER_1_4 } else { HEADER };
        let base = if self.end == 0 {
            header.len() as u64
        } else {
            0
        };
        let mut mark = |chunk: &Chunk, r: ObjRef| objects.push((r, base + chunk.len() as u64));

        mark(&chunk, img);
        let mut x = chunk.image_xobject(pdf_ref(img), &image.data);
        x.width(image.width as i32);
        x.height(image.height as i32);
        x.color_space_name(Name(match image.components {
            4 => b"DeviceCMYK",
            3 => b"DeviceRGB",
            _ => b"DeviceGray",
        }));
        if image.inverted {
            x.decode((0..image.components).flat_map(|_| [1.0, 0.0]));
        }
        x.bits_per_component(i32::from(image.bits));
        match image.filter {
            Filter::None => {}
            Filter::Flate { predictor } => {
                x.filter(PdfFilter::FlateDecode);
                if predictor {
                    x.decode_parms()
                        .predictor(pdf_writer::types::Predictor::PngOptimum)
                        .colors(i32::from(image.components))
                        .bits_per_component(i32::from(image.bits))
                        .columns(image.width as i32);
                }
            }
            Filter::G4 => {
                x.filter(PdfFilter::CcittFaxDecode);
                x.decode_parms()
                    .k(-1)
                    .columns(image.width as i32)
                    .rows(image.height as i32);
            }
            Filter::Dct => {
                x.filter(PdfFilter::DctDecode);
            }
        }
        drop(x);

        // Page size: pixels / dpi inches of 72 points.
        let w = (f64::from(image.width) / dpi.0 * 72.0) as f32;
        let h = (f64::from(image.height) / dpi.1 * 72.0) as f32;
        let mut ops = Content::new();
        ops.save_state();
        ops.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
        ops.x_object(Name(b"Im0"));
        ops.restore_state();
        text::draw(&mut ops, words, dpi, h);
        let ops = ops.finish();
        mark(&chunk, content);
        if has_text {
            // A text layer is ~80 bytes a word as written, ~15 deflated.
            let packed = super::flate::compress_best(ops.as_slice())?;
            chunk
                .stream(pdf_ref(content), &packed)
                .filter(PdfFilter::FlateDecode);
        } else {
            chunk.stream(pdf_ref(content), ops.as_slice());
        }

        mark(&chunk, page);
        let mut p = chunk.page(pdf_ref(page));
        p.media_box(Rect::new(0.0, 0.0, w, h));
        p.parent(pdf_ref(parent));
        p.contents(pdf_ref(content));
        let mut res = p.resources();
        res.x_objects().pair(Name(b"Im0"), pdf_ref(img));
        if let Some(f) = font {
            res.fonts().pair(Name(text::FONT_NAME), pdf_ref(f));
        }
        drop(res);
        drop(p);
        if let Some(refs) = new_font {
            text::write_font(&mut chunk, refs.map(pdf_ref), |c, r| {
                mark(
                    c,
                    ObjRef {
                        num: r.get() as u32,
                        gen: 0,
                    },
                )
            })?;
        }

        let mut body = Vec::with_capacity(base as usize + chunk.len() + 2048);
        if self.end == 0 {
            body.extend_from_slice(header);
        }
        body.extend_from_slice(chunk.as_bytes());
        let stamp = pdfa.then(|| {
            Stamp::now_or(
                self.start
                    .time
                    .or(self.archive.as_ref().and_then(|a| a.time)),
            )
        });
        if let Some((meta, icc)) = fresh_archive {
            let created = stamp.clone().expect("a PDF/A document has a time");
            next.trailer_extra = archive::id_entry(&archive::first_id(
                &created,
                self.start.time.is_some(),
                &image.data,
            ));
            next.catalog_extra = format!(
                "/Metadata {} 0 R /OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 \
                 /OutputConditionIdentifier (sRGB) /RegistryName (http://www.color.org) \
                 /Info {} /DestOutputProfile {} 0 R >>] ",
                meta.num,
                archive::pdf_text(super::icc::DESCRIPTION),
                icc.num
            )
            .into_bytes();
            let profile = super::icc::srgb();
            objects.push((icc, body.len() as u64));
            write_stream(&mut body, icc, "/N 3", &profile);
            next.archive = Some(Archive {
                metadata: meta,
                xmp: archive::xmp(part, &self.start.meta, &created, &created),
                modified: None,
                info_entries: archive::info_entries(&self.start.meta, Some(&created)),
                rgb: true,
                part,
                time: self.start.time,
            });
        } else if self.end == 0 {
            if let Some(info) = self.info {
                objects.push((info, body.len() as u64));
                write_obj(&mut body, info, |s| s.push_str("<< "));
                body.extend_from_slice(&archive::info_entries(&self.start.meta, None));
                body.extend_from_slice(b">>\nendobj\n");
            }
        }
        if let (Some(a), Some(stamp)) = (next.archive.as_mut(), &stamp) {
            if a.modified.as_deref() != Some(stamp.xmp.as_str()) {
                archive::set_property(&mut a.xmp, "xmp:ModifyDate", &stamp.xmp);
                archive::set_property(&mut a.xmp, "xmp:MetadataDate", &stamp.xmp);
                a.modified = Some(stamp.xmp.clone());
                objects.push((a.metadata, body.len() as u64));
                write_stream(
                    &mut body,
                    a.metadata,
                    "/Type /Metadata /Subtype /XML",
                    a.xmp.as_bytes(),
                );
                if let Some(info) = next.info {
                    objects.push((info, body.len() as u64));
                    write_obj(&mut body, info, |s| s.push_str("<< "));
                    body.extend_from_slice(&a.info_entries);
                    body.extend_from_slice(
                        format!("/ModDate {} >>\nendobj\n", archive::pdf_text(&stamp.pdf))
                            .as_bytes(),
                    );
                }
            }
        }
        for n in &nodes {
            objects.push((n.id, body.len() as u64));
            write_node(&mut body, n);
        }
        if let Some(root) = next.tree.root().filter(|r| Some(*r) != self.catalog_root) {
            next.catalog_root = Some(root);
            objects.push((next.catalog, body.len() as u64));
            write_obj(&mut body, next.catalog, |s| {
                let _ = write!(s, "<< /Type /Catalog /Pages {} {} R ", root.num, root.gen);
            });
            body.extend_from_slice(&next.catalog_extra);
            body.extend_from_slice(b" >>\nendobj\n");
        }
        Ok(Update {
            body,
            objects,
            xref_obj,
            next,
        })
    }

    /// The next page, `image` shown at `spec`'s resolution, laid out after the end
    /// (see [`Placed`]). With `keep_old_end` the previous `startxref` lines follow the
    /// body, placed within one 4 KiB page, so that a file written in place still ends
    /// in them until the tail lands (see [`super::file`]).
    pub fn place_page(
        &self,
        image: &Image,
        spec: &crate::geometry::PageSpec,
        words: &[Word],
        keep_old_end: bool,
    ) -> Result<Placed> {
        let dpi = (f64::from(spec.xdpi), f64::from(spec.ydpi));
        let mut u = self.page_update(image, dpi, words)?;
        let at = self.end;
        let mut body = std::mem::take(&mut u.body);
        let old_end = self.prev_xref.filter(|_| keep_old_end).map(startxref);
        if let Some(old) = &old_end {
            pad_to_fit(&mut body, at, old.len());
        }
        let xref_at = at + body.len() as u64 + old_end.as_ref().map_or(0, |o| o.len() as u64);
        let tail = self.tail(&u, at, xref_at);
        Ok(Placed {
            at,
            body,
            old_end,
            xref_at,
            tail,
            next: u.next,
        })
    }

    /// The cross-reference section and trailer of `u`, with its body at `body_at` and
    /// the section at `xref_at`. The `startxref` lines are placed so that they do not
    /// cross a 4 KiB boundary of the file (see [`super::file`]).
    pub fn tail(&self, u: &Update, body_at: u64, xref_at: u64) -> Vec<u8> {
        let mut entries: Vec<(u32, u64, u16)> = u
            .objects
            .iter()
            .map(|(r, off)| (r.num, body_at + off, r.gen))
            .collect();
        if let Some(x) = u.xref_obj {
            entries.push((x.num, xref_at, 0));
        }
        entries.sort_unstable_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        // Runs of consecutive numbers: the subsections.
        let mut runs = Vec::new();
        let mut i = 0;
        while i < entries.len() {
            let mut j = i + 1;
            while j < entries.len() && entries[j].0 == entries[j - 1].0 + 1 {
                j += 1;
            }
            runs.push(i..j);
            i = j;
        }
        // The trailer's entries (a cross-reference stream's dictionary holds them too).
        let c = u.next.catalog;
        let mut t = format!("/Size {} /Root {} {} R", u.next.next_num, c.num, c.gen);
        if let Some(info) = u.next.info {
            let _ = write!(t, " /Info {} {} R", info.num, info.gen);
        }
        if let Some(prev) = self.prev_xref {
            let _ = write!(t, " /Prev {prev}");
        }
        let mut out = Vec::new();
        match u.xref_obj {
            None => {
                let mut s = String::from("xref\n");
                if self.prev_xref.is_none() {
                    s.push_str("0 1\n0000000000 65535 f\r\n");
                }
                for r in &runs {
                    let _ = writeln!(s, "{} {}", entries[r.start].0, r.len());
                    for (_, off, gen) in &entries[r.clone()] {
                        let _ = write!(s, "{off:010} {gen:05} n\r\n");
                    }
                }
                let _ = write!(s, "trailer\n<< {t}");
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(&u.next.trailer_extra);
                out.extend_from_slice(b" >>\n");
            }
            Some(x) => {
                // Type 1 entries: a type byte, the offset and the generation, big-endian,
                // uncompressed (a few objects: nothing to gain).
                let w = if xref_at >> 32 == 0 { 4 } else { 8 };
                let mut data = Vec::with_capacity(entries.len() * (3 + w));
                for (_, off, gen) in &entries {
                    data.push(1);
                    data.extend_from_slice(&off.to_be_bytes()[8 - w..]);
                    data.extend_from_slice(&gen.to_be_bytes());
                }
                let mut s = format!("{} 0 obj\n<< /Type /XRef {t} /W [1 {w} 2] /Index [", x.num);
                for (k, r) in runs.iter().enumerate() {
                    let sep = if k > 0 { " " } else { "" };
                    let _ = write!(s, "{sep}{} {}", entries[r.start].0, r.len());
                }
                let _ = write!(s, "] /Length {}", data.len());
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(&u.next.trailer_extra);
                out.extend_from_slice(b" >>\nstream\n");
                out.extend_from_slice(&data);
                out.extend_from_slice(b"\nendstream\nendobj\n");
            }
        }
        let last = startxref(xref_at);
        pad_to_fit(&mut out, xref_at, last.len());
        out.extend_from_slice(&last);
        out
    }

    /// The document once `p` is in the file, which ends at `end`.
    pub fn committed(p: Placed, end: u64) -> Document {
        let mut next = p.next;
        next.prev_xref = Some(p.xref_at);
        next.end = end;
        next
    }
}

/// `startxref` and the offset of the newest section: what readers look for at the end.
pub(crate) fn startxref(xref_at: u64) -> Vec<u8> {
    format!("startxref\n{xref_at}\n%%EOF\n").into_bytes()
}

/// Appends newlines to `buf` (which will sit at `at` in the file) so that `len` bytes
/// written after it do not cross a 4 KiB boundary: a write within one page of the page
/// cache lands whole or not at all when the process is killed.
pub(crate) fn pad_to_fit(buf: &mut Vec<u8>, at: u64, len: usize) {
    const PAGE: u64 = 4096;
    let pos = at + buf.len() as u64;
    let len = len as u64;
    if len <= PAGE && pos / PAGE != (pos + len - 1) / PAGE {
        let pad = PAGE - pos % PAGE;
        buf.resize(buf.len() + pad as usize, b'\n');
    }
}

/// A stream object of `data`, unfiltered, with `entries` besides `/Length`.
fn write_stream(out: &mut Vec<u8>, r: ObjRef, entries: &str, data: &[u8]) {
    write_obj(out, r, |s| {
        let _ = write!(s, "<< {entries} /Length {} >>\nstream\n", data.len());
    });
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
}

fn write_obj(out: &mut Vec<u8>, r: ObjRef, f: impl FnOnce(&mut String)) {
    let mut s = format!("{} {} obj\n", r.num, r.gen);
    f(&mut s);
    out.extend_from_slice(s.as_bytes());
}

/// A `/Pages` node: ours, or another producer's with its other entries copied.
fn write_node(out: &mut Vec<u8>, n: &Node) {
    write_obj(out, n.id, |s| {
        s.push_str("<< /Type /Pages /Kids [");
        for (i, k) in n.kids.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let _ = write!(s, "{} {} R", k.num, k.gen);
        }
        let _ = write!(s, "] /Count {}", n.count);
        if let Some(p) = n.parent {
            let _ = write!(s, " /Parent {} {} R", p.num, p.gen);
        }
        s.push(' ');
    });
    if let Some(extra) = &n.foreign {
        out.extend_from_slice(extra);
    }
    out.extend_from_slice(b" >>\nendobj\n");
}

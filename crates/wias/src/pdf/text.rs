//! A page's invisible text layer: the words an OCR engine found, drawn over the image
//! in text rendering mode 3 (neither filled nor stroked), so that viewers search and
//! copy the text while the page looks exactly like the scan.
//!
//! The font is a glyphless CIDFontType2 font with Identity-H encoding, as Tesseract's
//! own PDF renderer and OCRmyPDF write it: every character code is the UTF-16 code
//! unit of the character, a ToUnicode CMap maps each code to itself, and each code
//! draws the one empty glyph of a 572-byte TrueType (`glyphless.ttf`: Tesseract's
//! `pdf.ttf`, Apache-2.0, Copyright Google Inc.). Why this and not a Type3 font: a
//! Type3 font is a simple font (one byte a code, 256 codes), so any page with more
//! than 256 distinct characters would need several fonts and per-page encodings,
//! while Identity-H takes the whole Basic Multilingual Plane with one font written
//! once per document; and this exact construction is what poppler, MuPDF, pdf.js and
//! Acrobat have extracted text from for years (Tesseract's and OCRmyPDF's output). The
//! font program is embedded (PDF/A requires that even for invisible text).
//!
//! Each word is placed on its own: baseline at the lowest bottom of its line's boxes
//! (readers join words into a line only when their baselines agree: a word without
//! descenders on its own box's bottom starts a new line in poppler), font size from
//! there to the top of its box (the font's ascent is 1 em and its descent 1/1000 em: poppler takes a
//! descent of 0 as unknown and uses 0.35 em; so a reader's box for the word is the OCR
//! box), and horizontally scaled (`Tz`) so that its advance (half
//! an em a character) spans the box's width.

use std::fmt::Write as _;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode};
use pdf_writer::{Chunk, Content, Filter, Name, Rect, Ref, Str};

use crate::error::Result;
use crate::geometry::PageSpec;

/// The glyphless TrueType font (Tesseract's `pdf.ttf`, Apache-2.0): glyph 0
/// `.notdef` and glyph 1, both empty, half an em wide; ascent 1 em, descent 0.
const GLYPHLESS_TTF: &[u8] = include_bytes!("glyphless.ttf");

/// The font's resource name in a page's `/Resources`.
pub(crate) const FONT_NAME: &[u8] = b"OCR";

/// One recognised word: its text, its box in pixels of the page, from the page's
/// top-left corner (`right` and `bottom` exclusive), as Tesseract's word iterator gives
/// it, and the number of its text line (words of a line share a baseline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub line: u32,
}

/// Something that finds the words on a page (an OCR engine: `wias-ocr`'s Tesseract).
/// A PDF writer given one in its [`Options`](super::Options) asks it for every page's
/// words before the page is written, and writes them in the same update as the image.
pub trait Recognize: Send {
    /// The words on a page of top-down rows in page-buffer form (bilevel 0 = black,
    /// MSB first; 16-bit samples little-endian), in reading order.
    fn words(&mut self, spec: &PageSpec, rows: &[u8]) -> Result<Vec<Word>>;
}

/// The words worth a text object: some text, a box with an area.
pub(crate) fn usable(words: &[Word]) -> impl Iterator<Item = &Word> {
    words
        .iter()
        .filter(|w| !w.text.trim().is_empty() && w.right > w.left && w.bottom > w.top)
}

/// The text's UTF-16 code units, big-endian, as Identity-H codes. Characters past the
/// Basic Multilingual Plane (a surrogate pair would be two codes a reader maps to two
/// lone surrogates) become U+FFFD.
fn codes(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| u16::try_from(u32::from(c)).unwrap_or(0xFFFD))
        .flat_map(u16::to_be_bytes)
        .collect()
}

/// Appends the text objects of `words` to `ops`: a page `height` points tall whose
/// pixels are `dpi` (x, y) a inch.
pub(crate) fn draw(ops: &mut Content, words: &[Word], dpi: (f64, f64), height: f32) {
    let (sx, sy) = (72.0 / dpi.0, 72.0 / dpi.1);
    let mut open = false;
    let words: Vec<&Word> = usable(words).collect();
    for (i, w) in words.iter().enumerate() {
        let s = codes(&w.text);
        if s.is_empty() {
            continue;
        }
        // The line's baseline: the lowest bottom of its words (readers put words on
        // one line only if their baselines agree, so a word without descenders
        // cannot sit on its own box's bottom).
        let bottom = line_bottom(&words, i);
        let size = (f64::from(bottom - w.top) * sy) as f32;
        let width = (f64::from(w.right - w.left) * sx) as f32;
        // Half an em a character (the font's width, /DW 500).
        let natural = (s.len() / 2) as f32 * 0.5 * size;
        if !open {
            ops.begin_text();
            ops.set_text_rendering_mode(TextRenderingMode::Invisible);
            open = true;
        }
        ops.set_font(Name(FONT_NAME), size);
        ops.set_horizontal_scaling(100.0 * width / natural);
        let x = (f64::from(w.left) * sx) as f32;
        let y = height - (f64::from(bottom) * sy) as f32;
        ops.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]);
        ops.show(Str(&s));
    }
    if open {
        ops.end_text();
    }
}

/// The lowest bottom of the words of `words[i]`'s line (consecutive words with its
/// line number).
fn line_bottom(words: &[&Word], i: usize) -> u32 {
    let line = words[i].line;
    let before = words[..i].iter().rev().take_while(|w| w.line == line);
    let after = words[i..].iter().take_while(|w| w.line == line);
    before
        .chain(after)
        .map(|w| w.bottom)
        .max()
        .unwrap_or(words[i].bottom)
}

/// The ToUnicode CMap: each two-byte code is the UTF-16 code unit of its character.
/// One range per high byte (a range may not cross one), the surrogates left out.
fn to_unicode() -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let highs: Vec<u8> = (0..=255u8).filter(|h| !(0xD8..=0xDF).contains(h)).collect();
    // At most 100 ranges a block (the CMap format's limit).
    for block in highs.chunks(100) {
        let _ = writeln!(s, "{} beginbfrange", block.len());
        for h in block {
            let _ = writeln!(s, "<{h:02X}00> <{h:02X}FF> <{h:02X}00>");
        }
        s.push_str("endbfrange\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

/// The objects of the font, numbered `refs` (Type0 font first, then the CIDFont,
/// its descriptor, the font program, the CID-to-glyph map and the ToUnicode CMap).
pub(crate) fn write_font(
    chunk: &mut Chunk,
    refs: [Ref; 6],
    mut mark: impl FnMut(&Chunk, Ref),
) -> Result<()> {
    let [type0, cid, descriptor, program, gid_map, cmap] = refs;
    mark(chunk, type0);
    chunk
        .type0_font(type0)
        .base_font(Name(b"GlyphLessFont"))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    mark(chunk, cid);
    let mut f = chunk.cid_font(cid);
    f.subtype(CidFontType::Type2)
        .base_font(Name(b"GlyphLessFont"))
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        })
        .font_descriptor(descriptor)
        .default_width(500.0)
        .cid_to_gid_map_stream(gid_map);
    drop(f);
    mark(chunk, descriptor);
    chunk
        .font_descriptor(descriptor)
        .name(Name(b"GlyphLessFont"))
        .flags(FontFlags::FIXED_PITCH | FontFlags::SYMBOLIC)
        .bbox(Rect::new(0.0, 0.0, 500.0, 1000.0))
        .italic_angle(0.0)
        .ascent(1000.0)
        .descent(-1.0)
        .cap_height(1000.0)
        .stem_v(80.0)
        .font_file2(program);
    mark(chunk, program);
    let ttf = super::flate::compress_best(GLYPHLESS_TTF)?;
    chunk
        .stream(program, &ttf)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), GLYPHLESS_TTF.len() as i32);
    // Every CID draws glyph 1 (two bytes a CID).
    mark(chunk, gid_map);
    let map: Vec<u8> = std::iter::repeat_n([0u8, 1u8], 65536).flatten().collect();
    chunk
        .stream(gid_map, &super::flate::compress_best(&map)?)
        .filter(Filter::FlateDecode);
    mark(chunk, cmap);
    let data = super::flate::compress_best(&to_unicode())?;
    let mut c = chunk.cmap(cmap, &data);
    c.filter(Filter::FlateDecode);
    c.name(Name(b"Adobe-Identity-UCS")).system_info(SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"UCS"),
        supplement: 0,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, left: u32, top: u32, right: u32, bottom: u32) -> Word {
        Word {
            text: text.into(),
            left,
            top,
            right,
            bottom,
            line: 0,
        }
    }

    /// A word at 72 dpi: size its height, baseline its bottom, scaled to its width.
    #[test]
    fn a_word_is_placed_on_its_box() {
        let mut ops = Content::new();
        draw(&mut ops, &[word("Hi", 10, 20, 30, 40)], (72.0, 72.0), 100.0);
        let s = String::from_utf8_lossy(&ops.finish().into_vec()).into_owned();
        assert!(s.contains("3 Tr"), "{s}");
        assert!(s.contains("/OCR 20 Tf"), "{s}");
        // 2 characters × 0.5 em × 20 pt = 20 pt natural width, 20 pt box: 100 %.
        assert!(s.contains("100 Tz"), "{s}");
        assert!(s.contains("1 0 0 1 10 60 Tm"), "{s}");
    }

    /// No words (a blank page), or only empty ones: no text object at all.
    #[test]
    fn no_words_no_text_object() {
        for words in [vec![], vec![word(" ", 1, 1, 5, 5), word("x", 3, 3, 3, 9)]] {
            let mut ops = Content::new();
            draw(&mut ops, &words, (300.0, 300.0), 100.0);
            assert!(ops.finish().is_empty());
        }
    }
}

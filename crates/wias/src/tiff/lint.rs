//! `wias inspect`'s lint, also the verdict appending goes by: what in a page's
//! directory would make a reader fail or guess (a problem: the file is not sound), and
//! what readers warn about but read through (a note).
//!
//! The line between the two is libtiff's (4.5): a problem is what it reports as an
//! error, or a warning after which it guesses or drops something the pixels need (strip
//! lengths it estimates, a count it cannot use); a note is a warning about metadata or
//! form only (tags out of order, a PageNumber with three values, a tile width that is
//! not a multiple of 16). Tiles and separate planes (PlanarConfiguration 2) are TIFF 6.0
//! layouts like strips and are checked as such. Compressed data are not decoded: a page
//! can be sound here and still fail a decoder.

use super::extents::{image_offsets_tag, runs_of, Kind, Reach};
use super::ifd::Variant;
use super::reader::{Directory, Entry, EntryValue, TiffFile};
use super::tags::{field_type, info, tag, tag_label, tag_name, Count, ReadRule};
use crate::codec::tiff_compression_name;

/// What [`page_findings`] finds on one page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// What makes the page unreadable or read wrong: the file is not sound.
    pub problems: Vec<String>,
    /// What readers warn about and read through.
    pub notes: Vec<String>,
}

impl Findings {
    fn problem(&mut self, p: usize, why: impl std::fmt::Display) {
        self.problems.push(format!("page {p}: {why}"));
    }

    fn note(&mut self, p: usize, why: impl std::fmt::Display) {
        self.notes.push(format!("page {p}: {why}"));
    }

    /// A problem when the page's pixels depend on it, else a note.
    fn finding(&mut self, pixels: bool, p: usize, why: impl std::fmt::Display) {
        if pixels {
            self.problem(p, why)
        } else {
            self.note(p, why)
        }
    }
}

impl TiffFile {
    /// Problems a reader would trip on: missing required tags, strips or tiles outside
    /// the file, counts that do not match the image. Empty means the file is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.directories.is_empty() {
            out.push("the file has no pages".to_string());
        }
        for (i, d) in self.directories.iter().enumerate() {
            out.extend(page_problems(i + 1, d, self.len, self.variant));
        }
        out
    }
}

/// The problems [`page_findings`] finds on page `p`: for callers that
/// [`TiffFile::walk`] a file page by page.
pub fn page_problems(p: usize, d: &Directory, file_len: u64, variant: Variant) -> Vec<String> {
    page_findings(p, d, file_len, variant).problems
}

/// What is wrong with page `p` (directory `d`) of a file of `file_len` bytes, as
/// readers see it.
///
/// ```
/// use std::io::Cursor;
/// use wias::{PageSpec, PixelType, tiff::{page_findings, Options, TiffFile, TiffWriter}};
/// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
/// doc.write_page(&PageSpec::new(2, 1, PixelType::Gray8), &[1, 2])?;
/// let file = TiffFile::read(&mut doc.finish()?)?;
/// let found = page_findings(1, &file.directories[0], file.len, file.variant);
/// assert!(found.problems.is_empty() && found.notes.is_empty());
/// # Ok::<(), wias::Error>(())
/// ```
pub fn page_findings(p: usize, d: &Directory, file_len: u64, _variant: Variant) -> Findings {
    let mut f = Findings::default();
    entries(&mut f, p, d);
    values(&mut f, p, d);
    image_data(&mut f, p, d, file_len);
    f
}

/// Each entry on its own: a type and count readers can use for its tag, tags in order.
fn entries(f: &mut Findings, p: usize, d: &Directory) {
    let ascending = d.entries.windows(2).all(|w| w[0].tag < w[1].tag);
    if let Some(w) = d.entries.windows(2).find(|w| w[0].tag > w[1].tag) {
        f.note(
            p,
            format!(
                "tag {} comes after tag {}: TIFF 6.0 wants tags in ascending order (libtiff warns and sorts them)",
                w[1].tag, w[0].tag
            ),
        );
    }
    let mut tags: Vec<u16> = Vec::new();
    if !ascending {
        tags = d.entries.iter().map(|e| e.tag).collect();
        tags.sort_unstable();
    }
    if let Some(w) = tags.windows(2).find(|w| w[0] == w[1]) {
        f.note(
            p,
            format!(
                "{} appears more than once: readers take the first",
                tag_label(w[0])
            ),
        );
    }
    let spp = d.int(tag::SAMPLES_PER_PIXEL).unwrap_or(1);
    for e in &d.entries {
        let rule = info(e.tag).and_then(|i| i.read.as_ref());
        let pixels = rule.is_some_and(|r| r.pixels);
        let label = || tag_label(e.tag);
        if field_type::size(e.field_type).is_none() {
            f.finding(
                pixels,
                p,
                format!(
                    "{} has type {}, which TIFF does not define (readers skip the entry)",
                    label(),
                    e.field_type
                ),
            );
        } else if e.count == 0 {
            f.finding(pixels, p, format!("{} has no values (count 0)", label()));
        } else if let Some((why, fails)) = rule.and_then(|r| broken_rule(e, r, spp)) {
            f.finding(pixels || fails, p, format!("{} {why}", label()));
        }
    }
}

/// The first number of an integer or rational entry, as readers see it (signed types
/// sign-extended; a rational by the sign of its quotient), outside `range`.
fn out_of_range(e: &Entry, range: &std::ops::RangeInclusive<i128>) -> Option<i128> {
    use field_type::*;
    match &e.value {
        EntryValue::Ints(v) => v
            .iter()
            .map(|&x| match e.field_type {
                SBYTE => i128::from(x as u8 as i8),
                SSHORT => i128::from(x as u16 as i16),
                SLONG => i128::from(x as u32 as i32),
                SLONG8 => i128::from(x as i64),
                _ => i128::from(x),
            })
            .find(|v| !range.contains(v)),
        EntryValue::Rationals(v) if e.field_type == SRATIONAL => v
            .iter()
            .map(|&(n, d)| {
                let (n, d) = (i128::from(n as i32), i128::from(d as i32));
                if (n < 0) != (d < 0) && n != 0 {
                    -n.abs()
                } else {
                    n.abs()
                }
            })
            .find(|v| !range.contains(v)),
        _ => None,
    }
}

/// How entry `e` breaks its tag's rule, if it does, and whether readers fail on it
/// whatever the tag (a value out of range: libtiff refuses the directory).
fn broken_rule(e: &Entry, rule: &ReadRule, spp: u64) -> Option<(String, bool)> {
    if !rule.types.contains(&e.field_type) {
        return Some((
            format!(
                "has type {}, which readers cannot use for it (libtiff: incompatible type)",
                field_type::name(e.field_type).unwrap_or("?")
            ),
            false,
        ));
    }
    match rule.count {
        Count::Exactly(c) if e.count != c => {
            return Some((format!("has {} values, not {c}", e.count), false))
        }
        Count::PerSample if e.count != 1 && e.count < spp => {
            return Some((
                format!(
                    "has {} values for {spp} samples per pixel (one, or one per sample)",
                    e.count
                ),
                false,
            ))
        }
        _ => {}
    }
    out_of_range(e, &rule.range).map(|v| {
        (
            format!("has the value {v}, which readers cannot hold (libtiff: out of range)"),
            true,
        )
    })
}

/// Values readers refuse (libtiff's `_TIFFVSetField` "bad value" errors, and what
/// leaves it nothing to show).
fn values(f: &mut Findings, p: usize, d: &Directory) {
    for t in [tag::IMAGE_WIDTH, tag::IMAGE_LENGTH] {
        if d.get(t).is_none() {
            f.problem(p, format!("no {} tag", tag_name(t).unwrap_or("?")));
        }
    }
    for t in [
        tag::IMAGE_WIDTH,
        tag::IMAGE_LENGTH,
        tag::SAMPLES_PER_PIXEL,
        tag::ROWS_PER_STRIP,
    ] {
        if d.int(t) == Some(0) {
            f.problem(p, format!("{} is 0", tag_name(t).unwrap_or("?")));
        }
    }
    match d.int(tag::PHOTOMETRIC) {
        None => f.note(
            p,
            "no PhotometricInterpretation tag: TIFF 6.0 requires one, readers guess the colours",
        ),
        Some(3) => match d.get(tag::COLOR_MAP) {
            None => f.problem(
                p,
                "PhotometricInterpretation 3 (palette) without a ColorMap: readers cannot show the colours",
            ),
            Some(map) => {
                // Three SHORTs (red, green, blue) for each of the 2^bits values.
                let bits = d.int(tag::BITS_PER_SAMPLE).unwrap_or(1).min(16);
                let want = 3u64 << bits;
                if map.count != want || map.field_type != field_type::SHORT {
                    f.problem(
                        p,
                        format!(
                            "ColorMap has {} values of type {}; a palette of {bits}-bit samples needs {want} SHORTs (readers ignore it)",
                            map.count,
                            field_type::name(map.field_type).unwrap_or("?")
                        ),
                    );
                }
            }
        },
        Some(_) => {}
    }
    let spp = d.int(tag::SAMPLES_PER_PIXEL).unwrap_or(1);
    if let Some(bits) = d.get(tag::BITS_PER_SAMPLE).and_then(Entry::ints) {
        if bits.len() > 1 && (bits.len() as u64) < spp {
            f.problem(
                p,
                format!(
                    "BitsPerSample has {} values for {spp} samples per pixel",
                    bits.len()
                ),
            );
        }
        if bits.iter().any(|&b| b == 0 || b > 64 || b != bits[0]) {
            f.problem(
                p,
                format!(
                    "BitsPerSample {bits:?}: readers take one size from 1 to 64 for every sample"
                ),
            );
        }
    }
    if let Some(extra) = d.get(tag::EXTRA_SAMPLES).filter(|e| e.count > spp) {
        f.problem(
            p,
            format!(
                "ExtraSamples lists {} samples, more than the {spp} a pixel has",
                extra.count
            ),
        );
    }
    for (t, range) in [
        (tag::PLANAR_CONFIGURATION, 1..=2),
        (tag::RESOLUTION_UNIT, 1..=3),
        (tag::FILL_ORDER, 1..=2),
        (tag::ORIENTATION, 1..=8),
    ] {
        if let Some(v) = d.int(t).filter(|v| !range.contains(v)) {
            f.problem(
                p,
                format!(
                    "{} is {v}, not {} to {}",
                    tag_name(t).unwrap_or("?"),
                    range.start(),
                    range.end()
                ),
            );
        }
    }
    let code = d.int(tag::COMPRESSION).unwrap_or(1);
    if u16::try_from(code).map_or(true, |c| tiff_compression_name(c) == "unknown") {
        f.note(
            p,
            format!(
                "Compression {code} is a scheme inspect does not know: readers may not decode it"
            ),
        );
    }
}

/// The strips or tiles: as many as the image needs (per plane when
/// PlanarConfiguration is 2), each inside the file, none empty, and, uncompressed,
/// each as long as its rows.
fn image_data(f: &mut Findings, p: usize, d: &Directory, file_len: u64) {
    let offsets = image_offsets_tag(d);
    let tiled = offsets == tag::TILE_OFFSETS;
    let (what, counts) = if tiled {
        ("tile", tag::TILE_BYTE_COUNTS)
    } else {
        ("strip", tag::STRIP_BYTE_COUNTS)
    };
    if tiled && d.get(tag::STRIP_OFFSETS).is_some() {
        f.note(
            p,
            "StripOffsets beside tiles: readers take the image from TileOffsets and ignore the strips",
        );
    }
    if !tiled && d.get(tag::TILE_OFFSETS).is_some() {
        f.note(
            p,
            "TileOffsets without TileWidth and TileLength: readers take the image from the strips",
        );
    }
    let name = |t: u16| tag_name(t).unwrap_or("?");
    let Some(offs) = d.get(offsets) else {
        f.problem(p, format!("no {} tag", name(offsets)));
        return;
    };
    let Some(lens) = d.get(counts) else {
        f.problem(
            p,
            format!(
                "no {} tag (readers guess the {what}s' lengths)",
                name(counts)
            ),
        );
        return;
    };
    let width = d.int(tag::IMAGE_WIDTH).unwrap_or(0);
    let lines = d.int(tag::IMAGE_LENGTH).unwrap_or(0);
    let spp = d.int(tag::SAMPLES_PER_PIXEL).unwrap_or(1).max(1);
    let planes = if d.int(tag::PLANAR_CONFIGURATION) == Some(2) {
        spp
    } else {
        1
    };
    let plane_note = || {
        if planes > 1 {
            format!(" in each of {planes} planes")
        } else {
            String::new()
        }
    };
    // (image data per plane, what the IFD says of their layout)
    let (per_plane, layout) = if tiled {
        let (tw, tl) = (
            d.int(tag::TILE_WIDTH).unwrap_or(0),
            d.int(tag::TILE_LENGTH).unwrap_or(0),
        );
        if tw == 0 || tl == 0 {
            f.problem(
                p,
                format!("tiles of {tw} x {tl} pixels: readers find no tiles (a TileWidth and a TileLength above 0 are needed)"),
            );
            return;
        }
        if tw % 16 != 0 || tl % 16 != 0 {
            f.note(
                p,
                format!(
                    "tiles of {tw} x {tl} pixels: TIFF 6.0 wants multiples of 16 (libtiff warns)"
                ),
            );
        }
        (
            width.div_ceil(tw).saturating_mul(lines.div_ceil(tl)),
            Layout::Tiles(tw, tl),
        )
    } else {
        let rps = d
            .int(tag::ROWS_PER_STRIP)
            .unwrap_or(u64::from(u32::MAX))
            .max(1);
        (lines.div_ceil(rps), Layout::Strips(rps))
    };
    let want = per_plane.saturating_mul(planes);
    let n_offs = offs.count;
    for (e, t) in [(offs, offsets), (lens, counts)] {
        if e.count < want {
            f.problem(
                p,
                format!(
                    "{} need {want} {what}s{}, {} lists {}",
                    layout.describe(width, lines),
                    plane_note(),
                    name(t),
                    e.count
                ),
            );
            return;
        }
    }
    if n_offs > want || lens.count > want {
        f.note(
            p,
            format!(
                "{} need {want} {what}s{}; the IFD lists more, readers use the first {want}",
                layout.describe(width, lines),
                plane_note()
            ),
        );
    }
    // Each of the first `want` strips or tiles, from the one list of the page's extents.
    let row_bytes = |samples: u64, pixels: u64| {
        let bits = d.int(tag::BITS_PER_SAMPLE).unwrap_or(1);
        pixels
            .saturating_mul(samples)
            .saturating_mul(bits)
            .div_ceil(8)
    };
    let uncompressed = d.int(tag::COMPRESSION).unwrap_or(1) == 1
        && d.int(tag::PHOTOMETRIC) != Some(6)
        && d.int(tag::BITS_PER_SAMPLE).is_some_and(|b| b <= 64);
    let samples = if planes > 1 { 1 } else { spp };
    // What libtiff cuts a strip of more than 1 MiB to (it then fails to decode it).
    let cut = (!tiled).then(|| {
        let rps = d.int(tag::ROWS_PER_STRIP).unwrap_or(u64::from(u32::MAX));
        libtiff_strip_cut(d, lines.min(rps))
    });
    for x in runs_of(d, offsets) {
        let (Kind::Run { index, .. }, Reach::Bytes(n)) = (x.kind, x.reach) else {
            continue;
        };
        let k = index as u64;
        if k >= want {
            break;
        }
        if x.at.checked_add(n).is_none_or(|e| e > file_len) {
            f.problem(
                p,
                format!(
                    "{x} ({n} bytes at byte {}) runs past the end of the {file_len}-byte file",
                    x.at
                ),
            );
            return;
        }
        if n == 0 {
            f.problem(
                p,
                format!("{x} has 0 bytes (libtiff: invalid {what} byte count)"),
            );
            return;
        }
        if let Some(cut) = cut.filter(|&c| n > c.max(1 << 20)) {
            f.problem(
                p,
                format!("{x} has {n} bytes; libtiff reads only {cut} of a strip that size (ten times its decoded bytes plus 4096) and fails to decode it"),
            );
            return;
        }
        if uncompressed {
            let need = if tiled {
                let (tw, tl) = (
                    d.int(tag::TILE_WIDTH).unwrap_or(0),
                    d.int(tag::TILE_LENGTH).unwrap_or(0),
                );
                row_bytes(samples, tw).saturating_mul(tl)
            } else {
                let rps = d
                    .int(tag::ROWS_PER_STRIP)
                    .unwrap_or(u64::from(u32::MAX))
                    .clamp(1, lines.max(1));
                let first_line = (k % per_plane.max(1)).saturating_mul(rps);
                let rows = rps.min(lines.saturating_sub(first_line));
                row_bytes(samples, width).saturating_mul(rows)
            };
            if n < need {
                f.problem(
                    p,
                    format!("{x} is uncompressed and has {n} bytes; its pixels need {need}"),
                );
                return;
            }
        }
    }
}

/// What libtiff cuts a strip of `rows` rows of this page to when it has more than
/// 1 MiB ([`crate::codec::check::libtiff_strip_cut`]).
fn libtiff_strip_cut(d: &Directory, rows: u64) -> u64 {
    let spp = d.int(tag::SAMPLES_PER_PIXEL).unwrap_or(1);
    let sub = d
        .get(tag::YCBCR_SUBSAMPLING)
        .and_then(Entry::ints)
        .and_then(|v| Some((*v.first()?, *v.get(1).or(v.first())?)))
        .unwrap_or((2, 2));
    let ycbcr = (d.int(tag::PHOTOMETRIC) == Some(6) && spp == 3).then_some(sub);
    crate::codec::check::libtiff_strip_cut(
        d.int(tag::IMAGE_WIDTH).unwrap_or(0),
        rows,
        spp,
        d.int(tag::BITS_PER_SAMPLE).unwrap_or(1),
        ycbcr,
    )
}

/// How a page's image is cut: in strips of so many rows, or in tiles.
enum Layout {
    Strips(u64),
    Tiles(u64, u64),
}

impl Layout {
    /// "150 lines at 13 rows per strip", "200 x 150 pixels in tiles of 64 x 64".
    fn describe(&self, width: u64, lines: u64) -> String {
        match self {
            Layout::Strips(rps) => format!("{lines} lines at {rps} rows per strip"),
            Layout::Tiles(tw, tl) => format!("{width} x {lines} pixels in tiles of {tw} x {tl}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of one-value SHORT entries, or LONG arrays where `(tag, values)`
    /// has more than one value.
    fn dir(entries: &[(u16, &[u64])]) -> Directory {
        let mut entries: Vec<Entry> = entries
            .iter()
            .map(|&(tag, v)| Entry {
                tag,
                field_type: if v.len() == 1 {
                    field_type::SHORT
                } else {
                    field_type::LONG
                },
                count: v.len() as u64,
                value_offset: None,
                value: EntryValue::Ints(v.to_vec()),
                raw: None,
            })
            .collect();
        entries.sort_by_key(|e| e.tag);
        Directory {
            offset: 100_000,
            next_field: 100_002,
            entries,
        }
    }

    fn found(d: &Directory) -> Findings {
        page_findings(1, d, 1 << 20, Variant::Classic)
    }

    /// 200 x 150 RGB in 64 x 64 tiles, one plane or three: 12 tiles, or 36.
    #[test]
    fn tiles_and_planes_are_counted_as_libtiff_counts_them() {
        let tiles = |n: u64, planar: u64| {
            let offs: Vec<u64> = (0..n).map(|k| 8 + k * 12_288).collect();
            let lens = vec![12_288; n as usize];
            let mut d = dir(&[
                (256, &[200]),
                (257, &[150]),
                (258, &[8]),
                (262, &[2]),
                (277, &[3]),
                (284, &[planar]),
                (322, &[64]),
                (323, &[64]),
            ]);
            d.entries.extend(dir(&[(324, &offs), (325, &lens)]).entries);
            d
        };
        assert_eq!(found(&tiles(12, 1)), Findings::default());
        assert_eq!(found(&tiles(36, 2)), Findings::default());
        let short = found(&tiles(12, 2)).problems;
        assert_eq!(
            short,
            ["page 1: 200 x 150 pixels in tiles of 64 x 64 need 36 tiles in each of 3 planes, TileOffsets lists 12"]
        );
    }

    /// What libtiff only warns about is a note; what it cannot read past is a problem.
    #[test]
    fn warnings_are_notes_and_errors_are_problems() {
        let page = |extra: &[(u16, &[u64])]| {
            let mut e: Vec<(u16, &[u64])> = vec![
                (256, &[16]),
                (257, &[8]),
                (258, &[8]),
                (273, &[8]),
                (278, &[8]),
                (279, &[128]),
            ];
            e.extend_from_slice(extra);
            dir(&e)
        };
        let f = found(&page(&[]));
        assert!(f.problems.is_empty(), "{f:?}");
        assert!(f.notes[0].contains("no PhotometricInterpretation"), "{f:?}");
        let f = found(&page(&[(262, &[1]), (297, &[0, 1, 2])]));
        assert!(
            f.problems.is_empty() && f.notes[0].contains("PageNumber"),
            "{f:?}"
        );
        let f = found(&page(&[(262, &[1]), (284, &[3])]));
        assert_eq!(f.problems, ["page 1: PlanarConfiguration is 3, not 1 to 2"]);
    }
}

//! `wias inspect`: the structure of a TIFF, page by page, and a verdict.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Write};

use clap::Args;
use wias::tiff::tags::{field_type, tag};
use wias::tiff::{page_findings, Directory, Entry, EntryValue, TiffFile, Variant};

use crate::filekind::FileKind;
use crate::Failure;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The TIFF file to inspect.
    pub file: String,
}

/// Values shown before an array is abbreviated.
const SHOWN: usize = 8;

/// Problems listed one by one; past this many only their number is given (a hostile
/// file can have thousands per page).
const LISTED: usize = 1000;

pub fn run(args: InspectArgs) -> Result<u8, Failure> {
    let f = File::open(&args.file).map_err(|e| Failure::new(&args.file, e))?;
    let mut r = BufReader::new(f);
    // Page by page, keeping one directory at a time: the first walk counts the pages
    // (and finds a broken chain before anything is printed), the second prints them.
    let counted = TiffFile::walk(&mut r, |_, _| Ok(()));
    let walked = match counted {
        Ok(v) => v,
        Err(e) => {
            // Not a TIFF at all: say what it is rather than call it a damaged TIFF.
            let kind = FileKind::of_file(&args.file).unwrap_or(FileKind::Unknown);
            if !matches!(kind, FileKind::Tiff | FileKind::BigTiff) {
                emit(&format!(
                    "{}: {}\nverdict: not a TIFF file (wias inspect reads TIFF and BigTIFF)\n",
                    args.file,
                    kind.describe()
                ));
                return Err(Failure::new(
                    &args.file,
                    format!("{}, not a TIFF file", kind.describe()),
                ));
            }
            emit(&format!(
                "{}: unreadable\nverdict: damaged: {e}\n",
                args.file
            ));
            return Err(Failure::new(&args.file, e));
        }
    };
    let (variant, len, pages) = (walked.variant, walked.len, walked.pages);
    let name = match variant {
        Variant::Classic => "classic TIFF",
        Variant::Big => "BigTIFF",
    };
    emit(&format!(
        "{}: {name}, {}, {len} bytes, {pages} page(s)\n",
        args.file,
        walked.byte_order.describe()
    ));
    let mut problems = Vec::new();
    let mut found = 0;
    if pages == 0 {
        problems.push("the file has no pages".to_string());
        found = 1;
    }
    let (mut notes, mut noted) = (Vec::new(), 0);
    let mut n = 0;
    TiffFile::walk(&mut r, |d, next| {
        n += 1;
        let mut out = String::new();
        page(&mut out, n, &d, (next != 0).then_some(next));
        emit(&out);
        let mine = page_findings(n, &d, len, variant);
        found += mine.problems.len();
        noted += mine.notes.len();
        problems.extend(
            mine.problems
                .into_iter()
                .take(LISTED.saturating_sub(problems.len())),
        );
        notes.extend(
            mine.notes
                .into_iter()
                .take(LISTED.saturating_sub(notes.len())),
        );
        Ok(())
    })
    .map_err(|e| Failure::new(&args.file, e))?;
    let mut out = String::new();
    if noted > 0 {
        let _ = writeln!(out, "notes: {noted} (readers warn, and read the file)");
        list(&mut out, &notes, noted);
    }
    // What "sound" covers: the structure, not the compressed data.
    let _ = writeln!(
        out,
        "checked: tags, strips, tiles and offsets; compressed data are not decoded (tiffinfo -D {} decodes them)",
        args.file
    );
    if found == 0 {
        out.push_str("verdict: sound\n");
    } else {
        let _ = writeln!(out, "verdict: {found} problem(s)");
        list(&mut out, &problems, found);
    }
    emit(&out);
    Ok(if found == 0 { 0 } else { 1 })
}

/// The first of `total` findings, one a line, and how many more there are.
fn list(out: &mut String, shown: &[String], total: usize) {
    for p in shown {
        let _ = writeln!(out, "  - {p}");
    }
    if total > shown.len() {
        let _ = writeln!(out, "  ... and {} more", total - shown.len());
    }
}

/// Prints to stdout; a closed pipe (`wias inspect f | head`) is not an error.
fn emit(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes()).and_then(|_| o.flush());
}

fn page(out: &mut String, n: usize, d: &Directory, next: Option<u64>) {
    let _ = writeln!(
        out,
        "page {n}: IFD at byte {}, {} entries, next-IFD field at byte {} -> {}",
        d.offset,
        d.entries.len(),
        d.next_field,
        next.map_or("0 (last page)".to_string(), |o| format!("byte {o}"))
    );
    if let (Some(w), Some(h)) = (d.int(tag::IMAGE_WIDTH), d.int(tag::IMAGE_LENGTH)) {
        let bps = d
            .get(tag::BITS_PER_SAMPLE)
            .and_then(Entry::ints)
            .map(|v| v.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
            .unwrap_or_else(|| "1".into());
        let _ = writeln!(out, "  image: {w} x {h}, {bps} bits per sample");
    }
    let code = d.int(tag::COMPRESSION).unwrap_or(1);
    let name = u16::try_from(code).map_or("unknown", wias::codec::tiff_compression_name);
    let _ = writeln!(out, "  compression: {name} ({code})");
    if d.int(tag::PLANAR_CONFIGURATION) == Some(2) {
        let _ = writeln!(
            out,
            "  planes: separate (PlanarConfiguration 2), one per sample"
        );
    }
    let runs = [
        ("strips", tag::STRIP_OFFSETS, tag::STRIP_BYTE_COUNTS),
        ("tiles", tag::TILE_OFFSETS, tag::TILE_BYTE_COUNTS),
    ];
    for (what, offsets, counts) in runs {
        let (Some(offs), Some(lens)) = (
            d.get(offsets).and_then(Entry::ints),
            d.get(counts).and_then(Entry::ints),
        ) else {
            continue;
        };
        let size = match (d.int(tag::TILE_WIDTH), d.int(tag::TILE_LENGTH)) {
            (Some(w), Some(l)) if offsets == tag::TILE_OFFSETS => format!(" of {w} x {l}"),
            _ => String::new(),
        };
        let total = lens.iter().fold(0u64, |a, &l| a.saturating_add(l));
        let _ = writeln!(
            out,
            "  {what}: {}{size}, {total} bytes, at bytes {}",
            offs.len(),
            abbreviate(offs.iter().zip(lens).map(|(o, l)| format!("{o}+{l}")))
        );
    }
    for e in &d.entries {
        entry(out, e);
    }
}

fn entry(out: &mut String, e: &Entry) {
    let name = e.name().map_or_else(|| "?".to_string(), str::to_string);
    let at = e
        .value_offset
        .map_or(String::new(), |o| format!(" @ byte {o}"));
    let value = match &e.value {
        EntryValue::Ints(v) => abbreviate(v.iter().map(u64::to_string)),
        EntryValue::Rationals(v) => abbreviate(v.iter().map(|(n, d)| format!("{n}/{d}"))),
        EntryValue::Ascii(s) => format!("{s:?}"),
        EntryValue::Opaque => "(not shown)".to_string(),
    };
    let _ = writeln!(
        out,
        "  {:>5} {:<26} {:<9} {:>6}{at} = {value}",
        e.tag,
        name,
        type_name(e.field_type),
        e.count
    );
}

/// The first [`SHOWN`] items, and how many there are when that is not all.
fn abbreviate(items: impl ExactSizeIterator<Item = String>) -> String {
    let n = items.len();
    let shown: Vec<String> = items.take(SHOWN).collect();
    if n > SHOWN {
        format!("{}, ... ({n} values)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn type_name(t: u16) -> String {
    field_type::name(t).map_or_else(|| format!("type{t}"), str::to_string)
}

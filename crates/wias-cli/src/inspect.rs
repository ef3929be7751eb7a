//! `wias inspect`: the structure of a TIFF, page by page, and a verdict.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Write};

use clap::Args;
use wias::tiff::tags::{field_type, tag};
use wias::tiff::{page_problems, Directory, Entry, EntryValue, TiffFile, Variant};

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
    let mut n = 0;
    TiffFile::walk(&mut r, |d, next| {
        n += 1;
        let mut out = String::new();
        page(&mut out, n, &d, (next != 0).then_some(next));
        emit(&out);
        let mine = page_problems(n, &d, len, variant);
        found += mine.len();
        problems.extend(mine.into_iter().take(LISTED.saturating_sub(problems.len())));
        Ok(())
    })
    .map_err(|e| Failure::new(&args.file, e))?;
    let mut out = String::new();
    if found == 0 {
        out.push_str("verdict: sound\n");
    } else {
        let _ = writeln!(out, "verdict: {found} problem(s)");
        for p in &problems {
            let _ = writeln!(out, "  - {p}");
        }
        if found > problems.len() {
            let _ = writeln!(out, "  ... and {} more", found - problems.len());
        }
    }
    emit(&out);
    Ok(if found == 0 { 0 } else { 1 })
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
    if let Some((offs, lens)) = d.strips() {
        let total: u64 = lens.iter().sum();
        let _ = writeln!(
            out,
            "  strips: {}, {total} bytes, at bytes {}",
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

//! Measurements behind the Durability section of BENCHMARKS.md (run by `bench/durability.sh` and
//! `bench/bigtiff.sh`; not a test):
//!
//! ```text
//! safety_bench durability DIR          time per page with Durability::Flush vs ::Sync
//! safety_bench bigtiff FILE [GIB]      write 300-dpi A4 colour pages past GIB GiB (4.2)
//! ```
//!
//! Page `i` of the bigtiff run holds byte `(x + 3*y + 7*i) % 256` at byte offset `x`
//! of row `y`, so an independent reader can check every pixel without the writer.

use std::time::Instant;

use wias::tiff::{DateTime, Durability, Options, TiffWriter, Variant};
use wias::{PageSpec, PixelType};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("durability") => durability(&args[2]),
        Some("bigtiff") => bigtiff(
            &args[2],
            args.get(3).map_or(4.2, |s| s.parse().expect("GiB")),
        ),
        _ => {
            eprintln!("usage: safety_bench durability DIR | bigtiff FILE [GIB]");
            std::process::exit(2);
        }
    }
}

fn page_bytes(row: usize, lines: usize, i: usize, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(row * lines);
    for y in 0..lines {
        let base = 3 * y + 7 * i;
        out.extend((0..row).map(|x| ((x + base) % 256) as u8));
    }
}

fn durability(dir: &str) {
    let cases = [
        (
            "small gray page, 256x256 (64 KiB)",
            256u32,
            256u32,
            PixelType::Gray8,
            1000usize,
        ),
        (
            "A4 bilevel 300 dpi (1.1 MB)",
            2480,
            3508,
            PixelType::Bilevel,
            100,
        ),
        ("A4 gray 300 dpi (8.7 MB)", 2480, 3508, PixelType::Gray8, 30),
    ];
    println!("| page | pages | Flush ms/page | Sync ms/page | Sync cost |");
    println!("|---|---|---|---|---|");
    for (name, w, h, pixel, pages) in cases {
        let spec = PageSpec::new(w, h, pixel).dpi(300, 300);
        let row = spec.row_bytes(1).unwrap() as usize;
        let mut data = Vec::new();
        page_bytes(row, h as usize, 1, &mut data);
        // Three rounds, alternating the modes; the median of each.
        let mut runs = [Vec::new(), Vec::new()];
        for _round in 0..3 {
            for (k, d) in [Durability::Flush, Durability::Sync]
                .into_iter()
                .enumerate()
            {
                let path = std::path::Path::new(dir).join(format!("durability-{k}.tif"));
                let opts = Options::default().durability(d).date_time(DateTime::Omit);
                let t = Instant::now();
                let mut doc = TiffWriter::create(&path, opts).unwrap();
                for _ in 0..pages {
                    doc.write_page(&spec, &data).unwrap();
                }
                drop(doc.finish().unwrap());
                runs[k].push(t.elapsed().as_secs_f64() * 1000.0 / pages as f64);
                std::fs::remove_file(&path).unwrap();
            }
        }
        let ms = runs.map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[1]
        });
        println!(
            "| {name} | {pages} | {:.2} | {:.2} | {:+.2} ms ({:.1}x) |",
            ms[0],
            ms[1],
            ms[1] - ms[0],
            ms[1] / ms[0]
        );
    }
}

fn bigtiff(path: &str, gib: f64) {
    let (w, h) = (2480u32, 3508u32);
    let spec = PageSpec::new(w, h, PixelType::Rgb24).dpi(300, 300);
    let row = spec.row_bytes(1).unwrap() as usize;
    let target = (gib * (1u64 << 30) as f64) as u64;
    let opts = Options::default().date_time(DateTime::Omit);
    let t = Instant::now();
    let mut doc = TiffWriter::create(path, opts).unwrap();
    let mut data = Vec::new();
    let mut written = 0u64;
    let mut i = 0usize;
    while written < target {
        page_bytes(row, h as usize, i, &mut data);
        let was = doc.variant();
        let p = Instant::now();
        doc.write_page(&spec, &data).unwrap();
        if was == Variant::Classic && doc.variant() == Variant::Big {
            println!(
                "page {} promoted the file to BigTIFF at byte {written} ({:.1} ms for that page)",
                i + 1,
                p.elapsed().as_secs_f64() * 1000.0
            );
        }
        written += data.len() as u64;
        i += 1;
    }
    let variant = doc.variant();
    let file = doc.finish().unwrap();
    let len = file.metadata().unwrap().len();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{i} pages of {w}x{h} RGB, {len} bytes ({:.2} GiB) in {s:.1} s ({:.0} MB/s), variant {:?}",
        len as f64 / (1u64 << 30) as f64,
        len as f64 / s / 1e6,
        variant
    );
    println!("PAGES {i} ROW {row} LINES {h}");
}

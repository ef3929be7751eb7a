//! Inner-loop figures of every compressing codec on one thread: one A4 300 dpi page per
//! pixel type (made by `bench/gen_pages.py`, the pages `bench/compare.sh` uses) written
//! into an in-memory TIFF, best of several runs. No file, no PNM parsing in the timed
//! part: what is left is the codec (and the strip bookkeeping around it). Times are the
//! thread's CPU time (Linux `/proc/thread-self/schedstat`, nanoseconds; wall time
//! elsewhere), so that other programs sharing the cores do not count.
//!
//!   python3 bench/gen_pages.py target/bench/pages 1
//!   cargo bench -p wias --bench codec_bench            # all
//!   cargo bench -p wias --bench codec_bench -- lzw     # codecs whose name contains "lzw"
//!
//! Environment: WIAS_BENCH_PAGES (the folder of `bilevel-00.pnm`, `gray8-00.pnm`,
//! `rgb24-00.pnm`; default `target/bench/pages`), WIAS_BENCH_RUNS (best of, 5; each run
//! repeats the page for at least 100 ms of CPU).
//! Not a test: figures depend on the machine and on what else runs on it (under
//! `cargo test` it does nothing). `examples/codec_bench.rs` is another thing: the
//! whole write path, wall time, with `wias write`'s arguments.

use std::io::{BufReader, Cursor};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use wias::tiff::{DateTime, Options, TiffWriter};
use wias::{CodecSettings, Compression};

/// Nanoseconds this thread has run (Linux), else wall nanoseconds since `start`.
fn cpu_ns(start: Instant) -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| start.elapsed().as_nanos() as u64)
}

fn main() {
    // `cargo test --all-targets` runs this binary too (unoptimised, without `--bench`):
    // there it only says how to run it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("codec_bench: run it with `cargo bench -p wias --bench codec_bench`");
        return;
    }
    let epoch = Instant::now();
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let dir = std::env::var_os("WIAS_BENCH_PAGES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/pages"),
        PathBuf::from,
    );
    let runs: usize = std::env::var("WIAS_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    println!(
        "{:<8} {:<9} {:>9} {:>9} {:>11}",
        "type", "codec", "ms/page", "MB/s", "bytes"
    );
    for (kind, codecs) in [
        ("bilevel", &["packbits", "lzw", "deflate", "g3", "g4"][..]),
        ("gray8", &["packbits", "lzw", "deflate", "jpeg"][..]),
        ("rgb24", &["packbits", "lzw", "deflate", "jpeg"][..]),
    ] {
        let path = dir.join(format!("{kind}-00.pnm"));
        let Ok(f) = std::fs::File::open(&path) else {
            eprintln!(
                "{} missing: run `python3 bench/gen_pages.py target/bench/pages 1`",
                path.display()
            );
            return;
        };
        let page = wias::pnm::read_one(BufReader::new(f)).expect("a PNM page");
        for &name in codecs {
            if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
                continue;
            }
            let settings = CodecSettings::new(Compression::from_name(name).unwrap()).threads(1);
            let options = Options::default().codec(settings).date_time(DateTime::Omit);
            let mut best = Duration::MAX;
            let mut size = 0;
            for _ in 0..runs {
                // Repeat the page for at least 100 ms of CPU: the thread's CPU time
                // advances in scheduler ticks.
                let t = cpu_ns(epoch);
                let mut pages = 0;
                while pages == 0 || cpu_ns(epoch) - t < 100_000_000 {
                    let sink = Cursor::new(Vec::with_capacity(page.rows.len() * 11 / 10));
                    let mut doc = TiffWriter::new(sink, options.clone()).unwrap();
                    doc.write_page(&page.spec, &page.rows).unwrap();
                    size = doc.finish().unwrap().into_inner().len();
                    pages += 1;
                }
                best = best.min(Duration::from_nanos((cpu_ns(epoch) - t) / pages));
            }
            let ms = best.as_secs_f64() * 1e3;
            println!(
                "{kind:<8} {name:<9} {ms:>9.2} {:>9.0} {size:>11}",
                page.rows.len() as f64 / 1e6 / best.as_secs_f64()
            );
        }
    }
}

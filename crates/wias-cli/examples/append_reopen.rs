//! Benchmark helper for `bench/foundation.sh`: appends the same PNM page N times to a
//! new TIFF, reopening the file for every page with `TiffWriter::append` (which walks
//! and validates the chain once per open), and prints each append's time in
//! microseconds, one per line. The in-process counterpart of a service that reopens
//! its document for every page.
//!
//! Usage: append_reopen OUT.tif PAGE.pnm N

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use wias::tiff::{Options, TiffWriter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, page, n] = &args[..] else {
        return Err("usage: append_reopen OUT.tif PAGE.pnm N".into());
    };
    let n: u32 = n.parse()?;
    let img = wias::pnm::read_one(BufReader::new(File::open(page)?))?;
    TiffWriter::create(out, Options::default())?.finish()?;
    for _ in 0..n {
        let t = Instant::now();
        let mut doc = TiffWriter::append(out, Options::default())?;
        doc.write_page(&img.spec, &img.rows)?;
        doc.finish()?;
        println!("{}", t.elapsed().as_micros());
    }
    Ok(())
}

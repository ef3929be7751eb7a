//! Benchmark helper for `bench/foundation.sh`: appends the same PNM page N times to a
//! new TIFF, reopening the file for every page, and prints each append's time in
//! microseconds, one per line: the in-process counterpart of a service that reopens
//! its document for every page.
//!
//! Usage: append_reopen OUT.tif PAGE.pnm N walk|carry
//!
//! - `walk`: `TiffWriter::append`, which walks and validates the chain on every open.
//! - `carry`: `transfer::write_page_buf` on a freshly opened file, the context (whose
//!   page fields the library advances) carried from call to call as a WIA driver's
//!   is: no walk.

use std::fs::{File, OpenOptions};
use std::io::BufReader;
use std::time::Instant;

use wias::context::tymed;
use wias::tiff::{Options, TiffWriter};
use wias::{guids, transfer, TransferContext};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, page, n, mode] = &args[..] else {
        return Err("usage: append_reopen OUT.tif PAGE.pnm N walk|carry".into());
    };
    let n: u32 = n.parse()?;
    let img = wias::pnm::read_one(BufReader::new(File::open(page)?))?;
    let spec = img.spec;
    let mut ctx = TransferContext::new(
        spec.width as i32,
        spec.lines as i32,
        spec.pixel.depth() as i32,
        guids::TIFF,
        tymed::MULTIPAGE_FILE,
    );
    ctx.image_information()?;
    match mode.as_str() {
        "walk" => TiffWriter::create(out, Options::default())?
            .finish()
            .map(drop)?,
        "carry" => drop(File::create(out)?),
        _ => return Err(format!("mode {mode}: walk or carry").into()),
    }
    for _ in 0..n {
        let t = Instant::now();
        if mode == "walk" {
            let mut doc = TiffWriter::append(out, Options::default())?;
            doc.write_page(&img.spec, &img.rows)?;
            doc.finish()?;
        } else {
            let mut f = OpenOptions::new().read(true).write(true).open(out)?;
            transfer::write_page_buf(&mut ctx, &mut f, &img.rows)?;
        }
        println!("{}", t.elapsed().as_micros());
    }
    Ok(())
}

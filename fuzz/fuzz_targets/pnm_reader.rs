//! The PNM reader behind `wias write` (P1–P6, 8 or 16 bit, several images in one
//! stream) on arbitrary bytes: images or an error, never a panic, and no allocation
//! the input does not pay for (the run's RSS limit catches that). Every image it
//! returns has exactly the rows its header describes, and becomes a TIFF page.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use wias::pnm::{read_one, PnmStream};
use wias::tiff::{Options, TiffWriter};

fuzz_target!(|data: &[u8]| {
    let _ = read_one(data);
    let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default()).unwrap();
    for img in PnmStream::new(data).take(64) {
        let Ok(img) = img else { break };
        let want = img.spec.image_bytes(1).expect("the reader checked the size");
        assert_eq!(img.rows.len() as u64, want, "{:?}", img.spec);
        doc.write_page(&img.spec, &img.rows)
            .expect("a PNM image the reader accepts is a page the writer accepts");
    }
});

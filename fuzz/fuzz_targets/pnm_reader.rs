//! The PNM reader behind `wias write` (P1–P6, 8 or 16 bit, several images in one
//! stream) on arbitrary bytes: pages or an error, never a panic or an allocation the
//! input does not pay for. Built only with `--features pnm`, once `wias::pnm` is in
//! (it lives in the CLI branch): adjust the call below to its final signature.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pages) = wias::pnm::read_pages(Cursor::new(data)) {
        for page in pages {
            let _ = page;
        }
    }
});

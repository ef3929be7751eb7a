//! The TIFF reader that `append` and `inspect` use, on arbitrary bytes: it must give a
//! value or an error, never panic, hang or allocate without bound. When it accepts a
//! file, appending a page to it (sometimes with a BigTIFF promotion) must give a file
//! it reads back with one page more.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use wias::tiff::{BigTiff, Options, TiffFile, TiffWriter};
use wias::{PageSpec, PixelType};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = TiffFile::read(&mut Cursor::new(data)) else {
        return;
    };
    let _ = file.problems();
    for d in &file.directories {
        for e in &d.entries {
            let _ = e.name();
        }
    }
    let promote = data.len() % 2 == 0;
    let opts = if promote {
        Options::default().bigtiff(BigTiff::PromoteAt(0))
    } else {
        Options::default()
    };
    let Ok(mut doc) = TiffWriter::append_to(Cursor::new(data.to_vec()), opts) else {
        return;
    };
    let spec = PageSpec::new(3, 2, PixelType::Gray8);
    if doc.write_page(&spec, &[1, 2, 3, 4, 5, 6]).is_err() {
        return;
    }
    let out = doc.finish().unwrap().into_inner();
    let again = TiffFile::read(&mut Cursor::new(&out[..]))
        .expect("a file we appended to must read back");
    assert_eq!(again.directories.len(), file.directories.len() + 1);
});

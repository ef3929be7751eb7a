//! Every input the `tiff_reader` fuzz target ever failed on (`tests/data/fuzz/tiff_reader`,
//! where `fuzz/run.sh` findings are copied), each with the outcome it must have: the
//! property the target checks (reading gives a value or an error; appending a page to
//! a file we accept, with and without promotion, gives a file one page longer that
//! libtiff reads), plus the specific verdict of each input. An input added without an
//! expectation fails the test.
use wias_testsupport as support;

use std::io::Cursor;
use std::path::Path;

use wias::tiff::{BigTiff, Options, TiffFile, TiffWriter, Variant};
use wias::{Error, PageSpec, PixelType};

/// What appending a page to an input must do.
enum Expect {
    /// Accepted: the file had `pages` pages and reads back with one more.
    Appends { pages: usize },
    /// Refused as damaged, before anything is written, with this in the message.
    Refused(&'static str),
}

const EXPECTED: &[(&str, Expect)] = &[
    ("header-only-promoted.tif", Expect::Appends { pages: 0 }),
    (
        "overlapping-ifds.tif",
        Expect::Refused("the IFD of page 1 at byte 8; appending would damage it"),
    ),
    (
        "overlapping-ifds-2.tif",
        Expect::Refused("appending would damage it"),
    ),
];

fn dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fuzz/tiff_reader"
    ))
}

#[test]
fn every_fuzz_regression_has_its_outcome() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut known: Vec<&str> = EXPECTED.iter().map(|(n, _)| *n).collect();
    known.sort();
    assert_eq!(names, known, "every input needs an expectation here");

    let work = tempfile::tempdir().unwrap();
    for (name, expect) in EXPECTED {
        let data = std::fs::read(dir().join(name)).unwrap();
        let file = TiffFile::read(&mut Cursor::new(&data[..]))
            .unwrap_or_else(|e| panic!("{name}: the reader refused it: {e}"));
        let _ = file.problems();
        for (k, opts) in [
            Options::default(),
            Options::default().bigtiff(BigTiff::PromoteAt(0)),
        ]
        .into_iter()
        .enumerate()
        {
            let result = TiffWriter::append_to(Cursor::new(data.clone()), opts);
            match (expect, result) {
                (Expect::Refused(text), Err(e)) => {
                    assert!(matches!(e, Error::Corrupt(_)), "{name}: {e:?}");
                    assert!(e.to_string().contains(text), "{name}: {e}");
                }
                (Expect::Refused(_), Ok(_)) => panic!("{name}: appending was allowed"),
                (Expect::Appends { .. }, Err(e)) => panic!("{name}: refused: {e}"),
                (Expect::Appends { pages }, Ok(mut doc)) => {
                    assert_eq!(file.directories.len(), *pages, "{name}");
                    let spec = PageSpec::new(3, 2, PixelType::Gray8);
                    let rows = [1, 2, 3, 4, 5, 6];
                    doc.write_page(&spec, &rows)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    let promoted = doc.variant() == Variant::Big;
                    assert_eq!(promoted, k == 1, "{name}: promoted only when asked");
                    let out = doc.finish().unwrap().into_inner();
                    let again = TiffFile::read(&mut Cursor::new(&out[..]))
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(again.directories.len(), pages + 1, "{name}");
                    // libtiff reads the new page back pixel for pixel.
                    let path = work.path().join(format!("{k}-{name}"));
                    std::fs::write(&path, &out).unwrap();
                    let read = support::libtiff_pages(&path).unwrap();
                    assert_eq!(read.last().unwrap().data, rows, "{name}");
                }
            }
        }
    }
}

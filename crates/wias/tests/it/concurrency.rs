//! Many documents written from many threads at once are each correct; a second writer
//! of the same file gets `Error::Locked` (an advisory lock) instead of interleaving its
//! pages with the first one's.
use wias_testsupport as support;

use std::sync::{Arc, Barrier};

use wias::tiff::{Options, TiffFile, TiffWriter};
use wias::{hresult, Error, PageSpec, PixelType};

fn page(doc: u32, i: u32) -> (PageSpec, Vec<u8>) {
    let pixel = PixelType::ALL[(doc + i) as usize % PixelType::ALL.len()];
    let (w, h) = (50 + doc % 13, 20 + i % 9);
    (
        PageSpec::new(w, h, pixel),
        support::pattern(w, h, pixel.depth(), doc * 1000 + i),
    )
}

#[test]
fn many_threads_write_many_documents_each_correct() {
    const THREADS: u32 = 8;
    const DOCS: u32 = 4;
    const PAGES: u32 = 25;
    let dir = tempfile::tempdir().unwrap();
    let start = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let dir = dir.path().to_path_buf();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                // Each thread keeps DOCS documents open and writes them page by page,
                // interleaved, so writers really run side by side.
                let ids: Vec<u32> = (0..DOCS).map(|d| t * DOCS + d).collect();
                let mut docs: Vec<_> = ids
                    .iter()
                    .map(|id| {
                        TiffWriter::create(dir.join(format!("doc{id}.tif")), Options::default())
                            .unwrap()
                    })
                    .collect();
                for i in 0..PAGES {
                    for (doc, id) in docs.iter_mut().zip(&ids) {
                        let (spec, data) = page(*id, i);
                        doc.write_page(&spec, &data).unwrap();
                    }
                }
                docs.into_iter().for_each(|d| drop(d.finish().unwrap()));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for id in 0..THREADS * DOCS {
        let path = dir.path().join(format!("doc{id}.tif"));
        support::tiffinfo_clean(&path).unwrap();
        let pages = support::libtiff_pages(&path).unwrap();
        assert_eq!(pages.len() as u32, PAGES, "doc {id}");
        for (i, got) in pages.iter().enumerate() {
            assert_eq!(got.data, page(id, i as u32).1, "doc {id} page {}", i + 1);
        }
        let pages = support::tiff_crate_pages(&path).unwrap();
        assert_eq!(pages.len() as u32, PAGES, "tiff crate, doc {id}");
        for (i, got) in pages.iter().enumerate() {
            assert_eq!(
                got.data,
                page(id, i as u32).1,
                "tiff crate: doc {id} page {}",
                i + 1
            );
        }
    }
}

#[test]
fn a_second_writer_of_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.tif");
    let mut first = TiffWriter::create(&path, Options::default()).unwrap();
    let (spec, data) = page(1, 0);
    first.write_page(&spec, &data).unwrap();

    // Appending while the first writer holds the file: refused, clearly.
    let err = match TiffWriter::append(&path, Options::default()) {
        Err(e) => e,
        Ok(_) => panic!("a second writer got the file"),
    };
    assert!(matches!(err, Error::Locked(_)), "{err}");
    assert_eq!(
        err.to_string(),
        format!("{} is locked by another writer", path.display())
    );
    assert_eq!(
        err.hresult(),
        hresult::from_win32(hresult::ERROR_SHARING_VIOLATION)
    );
    // Creating it anew is refused too, and does not truncate the first writer's pages.
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(
        TiffWriter::create(&path, Options::default()),
        Err(Error::Locked(_))
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // A writer in another thread is refused the same way.
    let p2 = path.clone();
    let other = std::thread::spawn(move || TiffWriter::append(&p2, Options::default()).is_err())
        .join()
        .unwrap();
    assert!(other);

    let mut expected = vec![data];
    for i in 1..4 {
        let (spec, data) = page(1, i);
        first.write_page(&spec, &data).unwrap();
        expected.push(data);
    }
    drop(first.finish().unwrap()); // closing the file releases the lock

    // Now a second writer may append.
    let mut second = TiffWriter::append(&path, Options::default()).unwrap();
    assert_eq!(second.pages(), 4);
    let (spec, data) = page(1, 4);
    second.write_page(&spec, &data).unwrap();
    expected.push(data);
    drop(second);

    let file = TiffFile::read(&mut std::fs::File::open(&path).unwrap()).unwrap();
    assert!(file.problems().is_empty());
    let pages = support::libtiff_pages(&path).unwrap();
    assert_eq!(pages.len(), expected.len());
    for (got, want) in pages.iter().zip(&expected) {
        assert_eq!(&got.data, want);
    }
}

#[test]
fn a_writer_in_another_process_is_refused() {
    // flock(1) from util-linux takes the same advisory lock from outside this process.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("held.tif");
    let mut doc = TiffWriter::create(&path, Options::default()).unwrap();
    let (spec, data) = page(2, 0);
    doc.write_page(&spec, &data).unwrap();
    let out = std::process::Command::new("flock")
        .args(["--nonblock", "--conflict-exit-code", "75"])
        .arg(&path)
        .arg("true")
        .status()
        .expect("flock (util-linux)");
    assert_eq!(out.code(), Some(75), "another process saw no lock");
    drop(doc);
    let out = std::process::Command::new("flock")
        .args(["--nonblock", "--conflict-exit-code", "75"])
        .arg(&path)
        .arg("true")
        .status()
        .unwrap();
    assert!(out.success(), "the lock outlived the writer");
}

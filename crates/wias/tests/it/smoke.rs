//! One page of each pixel type, read back by libtiff: the support readers work.
use wias_testsupport as support;

use wias::tiff::{Options, TiffWriter};
use wias::{PageSpec, PixelType};

#[test]
fn every_pixel_type_reads_back_through_libtiff() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smoke.tif");
    let mut doc = TiffWriter::create(&path, Options::default()).unwrap();
    let mut expected = Vec::new();
    for (i, p) in PixelType::ALL.iter().enumerate() {
        let spec = PageSpec::new(9, 17, *p);
        let data = support::pattern(9, 17, p.depth(), i as u32);
        doc.write_page(&spec, &data).unwrap();
        expected.push(data);
    }
    doc.finish().unwrap();
    support::tiffinfo_clean(&path).unwrap();
    let pages = support::libtiff_pages(&path).unwrap();
    assert_eq!(pages.len(), 5);
    for (page, want) in pages.iter().zip(&expected) {
        assert_eq!(&page.data, want);
    }
}

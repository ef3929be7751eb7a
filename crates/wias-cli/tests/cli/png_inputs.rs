//! PNG files as `wias write` inputs (issue 24 item 6): made by Pillow, written into TIFF
//! and PDF, read back by libtiff and poppler, pixel for pixel equal to Pillow's own
//! decoding of the PNG.

use std::path::Path;

use tempfile::TempDir;
use wias_testsupport as support;

use super::{ok, run, stderr};

/// Pillow's decoding of `path` in page-buffer form (palettes as RGB, 1-bit rows MSB
/// first with 1 = white, 16-bit samples little-endian).
fn pillow(path: &Path) -> Vec<u8> {
    support::python(
        "import sys, numpy as np\nfrom PIL import Image\nim = Image.open(sys.argv[1])\nim = im.convert('RGB') if im.mode == 'P' else im\nb = np.asarray(im).astype('<u2').tobytes() if im.mode.startswith('I') else im.tobytes()\nsys.stdout.buffer.write(b)",
        &[path.as_os_str()],
    )
    .unwrap()
}

#[test]
fn png_inputs_become_pages_pixel_for_pixel() {
    if !support::require(&["python3", "pdfimages"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    support::python(
        "import os, sys, numpy as np\nfrom PIL import Image\nos.chdir(sys.argv[1])\n\
         rgb = Image.fromarray((np.arange(41*29*3) % 251).astype('uint8').reshape(29, 41, 3))\n\
         rgb.save('rgb.png', dpi=(150, 150))\n\
         g16 = (np.arange(37*23) * 977 % 65536).astype('uint16').reshape(23, 37)\n\
         Image.fromarray(g16).save('g16.png')\n\
         rgb.convert('1').save('bw.png')\n\
         rgb.convert('L').save('gray.png')\n\
         rgb.convert('P').save('pal.png')\n\
         rgb.convert('RGBA').save('rgba.png')",
        &[d.as_os_str()],
    )
    .unwrap();
    let inputs = ["rgb.png", "g16.png", "bw.png", "gray.png", "pal.png"];
    for out in ["p.tif", "p.pdf"] {
        let mut args = vec!["write", "-o", out];
        args.extend(inputs);
        ok(&run(d, &args));
    }
    let tiff = support::libtiff_pages(&d.join("p.tif")).unwrap();
    assert_eq!(tiff.len(), inputs.len());
    for (page, input) in tiff.iter().zip(inputs) {
        assert!(
            page.data == pillow(&d.join(input)),
            "{input}: libtiff vs Pillow"
        );
    }
    // The resolution: pHYs (150 dpi) where the PNG states one, else 300.
    let tags = support::tiff_crate_tags(&d.join("p.tif")).unwrap();
    let dpi: Vec<u32> = tags
        .iter()
        .map(|t| t.x_resolution[0] / t.x_resolution[1])
        .collect();
    assert_eq!(dpi, [150, 300, 300, 300, 300]);
    // poppler gives 16-bit images as 8-bit: the 8-bit and 1-bit pages are compared.
    let pdf = support::pdf_readers::pdfimages_pixels(&d.join("p.pdf")).unwrap();
    for (i, input) in inputs.iter().enumerate().filter(|(_, i)| **i != "g16.png") {
        assert!(
            pdf[i].data == pillow(&d.join(input)),
            "{input}: poppler vs Pillow"
        );
    }
    // Transparency is refused before anything is written, saying what to do.
    let o = run(d, &["write", "-o", "t.tif", "rgb.png", "rgba.png"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("rgba.png: a PNG with transparency"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("t.tif").exists());
}

//! Pages a device already compressed (G3, G4, JPEG): checked to be a whole image of
//! the page (`codec::check`), then given the tags that say how to read them, as one
//! strip; the data are never decoded.

use super::encode::{base_ifd, codec_tags};
use super::layout::{EncodedPage, PageData};
use super::options::Options;
use crate::codec::{Compression, Container, StripForm};
use crate::error::Result;
use crate::geometry::PageSpec;

/// A page whose data a device already compressed (`compression` G3, G4 or JPEG), as
/// one strip, with the tags that say how to read it; the data are not decoded.
/// JPEG data are checked against `spec` (size, components) and decide Photometric.
pub(crate) fn passthrough_page<'a>(
    spec: &PageSpec,
    compression: Compression,
    data: &'a [u8],
    index: u32,
    options: &Options,
) -> Result<EncodedPage<'a>> {
    // The stream must be a whole image of this page (codec::check, as for PDF).
    let page = crate::codec::check::device_page(spec, compression, data, Container::Tiff)?;
    let mut form = StripForm::default();
    // RGB frames (Adobe transform 0) stay Photometric RGB, as the page says.
    if let Some(f) = page.jpeg.filter(|f| f.components == 3 && !f.rgb) {
        form.ycbcr = Some((u16::from(f.subsampling.0), u16::from(f.subsampling.1)));
    }
    let mut ifd = base_ifd(spec, index, spec.lines, options);
    for (t, v) in codec_tags(compression, form) {
        ifd.set(t, v);
    }
    Ok(EncodedPage {
        strip_lens: vec![page.data.len() as u64],
        data: PageData::One(page.data),
        ifd,
    })
}

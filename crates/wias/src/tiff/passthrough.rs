//! Pages a device already compressed (G3, G4, JPEG): checked to be a whole image of
//! the page (`codec::check`), then given the tags that say how to read them, as one
//! strip; the data are never decoded.

use std::borrow::Cow;

use super::encode::{base_ifd, codec_tags};
use super::layout::{EncodedPage, PageData};
use super::options::Options;
use crate::codec::{Compression, StripForm};
use crate::error::{Error, Result};
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
    spec.validate()?;
    compression.check(spec.pixel)?;
    if data.is_empty() {
        return Err(Error::invalid(
            "page data",
            "0 bytes",
            format!("a {} page needs its compressed data", compression.name()),
        ));
    }
    let mut form = StripForm::default();
    // The stream must be a whole image of this page (codec::check).
    let bad = |why: String| {
        Error::invalid(
            match compression {
                Compression::G3 => "G3 page data",
                Compression::G4 => "G4 page data",
                _ => "JPEG page data",
            },
            format!("{} bytes", data.len()),
            why,
        )
    };
    match compression {
        Compression::G3 | Compression::G4 => {
            let g4 = compression == Compression::G4;
            crate::codec::check::fax_complete(data, spec.width, spec.lines, g4).map_err(|why| {
                bad(format!(
                    "do not decode to {} lines of {} pixels: {why}",
                    spec.lines, spec.width
                ))
            })?;
        }
        Compression::Jpeg => {
            let f = crate::codec::jpeg_frame(data)?;
            crate::codec::check::jpeg_complete(data).map_err(bad)?;
            let components = spec.pixel.samples_per_pixel();
            if (
                u32::from(f.width),
                u32::from(f.height),
                u32::from(f.components),
            ) != (spec.width, spec.lines, components)
            {
                return Err(Error::invalid(
                    "JPEG page data",
                    format!("{}x{} with {} components", f.width, f.height, f.components),
                    format!(
                        "do not match the page: {}x{} {} ({components} components)",
                        spec.width, spec.lines, spec.pixel
                    ),
                ));
            }
            // RGB frames (Adobe transform 0) stay Photometric RGB, as the page says.
            if f.components == 3 && !f.rgb {
                let sub = (u16::from(f.subsampling.0), u16::from(f.subsampling.1));
                form.ycbcr = Some(sub);
            }
        }
        other => {
            return Err(Error::Unsupported(format!(
                "compression {} cannot be passed through; only g3, g4 and jpeg data are",
                other.name()
            )))
        }
    }
    let mut ifd = base_ifd(spec, index, spec.lines, options);
    for (t, v) in codec_tags(compression, form) {
        ifd.set(t, v);
    }
    Ok(EncodedPage {
        data: PageData::One(Cow::Borrowed(data)),
        strip_lens: vec![data.len() as u64],
        ifd,
    })
}

//! LZW (TIFF Compression 5) through `weezl`, whose TIFF mode switches code size one
//! code early, as libtiff and every TIFF reader expect.

use weezl::{encode::Encoder, BitOrder};

use super::{StripEncoder, StripLayout};
use crate::error::{Error, Result};

/// The LZW codec: one LZW stream (clear code first, EOI last) per strip.
pub(super) struct Lzw;

impl StripEncoder for Lzw {
    fn encode(&self, strip: &[u8], _layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        let mut enc = Encoder::with_tiff_size_switch(BitOrder::Msb, 8);
        let res = enc.into_vec(out).encode_all(strip);
        res.status.map(|_| ()).map_err(|e| Error::Codec {
            codec: "lzw",
            detail: e.to_string(),
        })
    }
}

//! Flate for PNG-filtered rows: zlib's run-length strategy (`Z_RLE`, through zlib-rs),
//! which codes the residuals with a Huffman code fitted to each block and only looks
//! for runs of one repeated byte. The residuals of a scanned page are sensor noise,
//! which string matching (libdeflate, zlib's default strategy) does not shrink but
//! spends time on; libpng chooses `Z_FILTERED` for filtered rows for the same reason.
//! Measured on A4 300 dpi gray pages: smaller than libpng's PNG at a fraction of its
//! time (BENCHMARKS.md, "PDF").

use zlib_rs::{compress_bound, compress_slice, DeflateConfig, ReturnCode, Strategy};

use crate::error::{Error, Result};

/// `data` as one zlib stream.
pub(crate) fn compress(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = vec![0u8; compress_bound(data.len())];
    let config = DeflateConfig {
        strategy: Strategy::Rle,
        ..DeflateConfig::new(1)
    };
    let (written, code) = compress_slice(&mut out, data, config);
    if code != ReturnCode::Ok {
        return Err(Error::Codec {
            codec: "deflate",
            detail: format!("zlib-rs: {code:?}"),
        });
    }
    let n = written.len();
    out.truncate(n);
    Ok(out)
}

/// `data` as one zlib stream at the best compression with zlib's default strategy
/// (string matching): for small repetitive objects written once (the OCR font's
/// tables), not page data.
pub(crate) fn compress_best(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = vec![0u8; compress_bound(data.len())];
    let (written, code) = compress_slice(&mut out, data, DeflateConfig::new(9));
    if code != ReturnCode::Ok {
        return Err(Error::Codec {
            codec: "deflate",
            detail: format!("zlib-rs: {code:?}"),
        });
    }
    let n = written.len();
    out.truncate(n);
    Ok(out)
}

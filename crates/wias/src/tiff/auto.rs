//! What `CodecChoice::Auto` writes for a bilevel page: the smaller of G4 and Deflate.
//!
//! G4 is the conventional codec for bilevel pages and the smallest for most scanned
//! text, but on halftones and dithers (a run per pixel) it writes more than the raw
//! bits: the virtual scanner's halftone page is 3.2 times its uncompressed size in G4
//! and 1/20 of it in Deflate. Which one wins is read from a sample, not guessed:
//! every eighth strip (at least one, centred in its band of the page) is encoded with
//! both, and the rest of the page with the codec whose sample is smaller (G4 on a tie).
//! The sample's strips are kept for the codec that wins, so the extra work is the
//! losing codec on an eighth of the page. G4 is not even tried when it cannot win: it
//! spends at least one bit on every colour change, and on a halftone the changes alone
//! outweigh Deflate's sample (counted a byte at a time, far cheaper than encoding);
//! and G4 on the sample stops as soon as it has passed Deflate's whole sample.

use crate::codec::{encoder_for, CodecSettings, Compression, StripEncoder, StripLayout};
use crate::error::Result;
use crate::pixel::PixelType;

/// One strip in this many is in the sample.
const SAMPLE_EVERY: usize = 8;

/// Encodes strips with an encoder (in parallel): `encode::encode_chunks`, passed in so
/// that this module does not import the one that calls it.
pub(crate) type EncodeMany<'a> = &'a dyn Fn(&[&[u8]], &dyn StripEncoder) -> Result<Vec<Vec<u8>>>;

/// The strips of a bilevel page (WhiteIsZero rows, split into `chunks`) in the codec
/// `auto` picks, with that codec: G4 (`g4` encodes it) or Deflate.
pub(crate) fn encode_bilevel(
    chunks: &[&[u8]],
    layout: StripLayout,
    codec: &CodecSettings,
    g4: &dyn StripEncoder,
    encode_chunks: EncodeMany<'_>,
) -> Result<(Compression, Vec<Vec<u8>>)> {
    let deflate = encoder_for(&deflate_settings(codec), PixelType::Bilevel)?;
    let Sampled {
        picks,
        winner,
        strips: sampled,
    } = sample(chunks, layout, g4, deflate.as_ref(), encode_chunks)?;
    let encoder = if winner == Compression::G4 {
        g4
    } else {
        deflate.as_ref()
    };
    let n = chunks.len();
    let rest: Vec<&[u8]> = (0..n)
        .filter(|i| picks.binary_search(i).is_err())
        .map(|i| chunks[i])
        .collect();
    let mut rest = encode_chunks(&rest, encoder)?.into_iter();
    let mut sampled = sampled.into_iter();
    let strips = (0..n)
        .map(|i| {
            if picks.binary_search(&i).is_ok() {
                sampled.next()
            } else {
                rest.next()
            }
            .expect("one encoded strip per chunk")
        })
        .collect();
    Ok((winner, strips))
}

/// The codec `auto` picks for a bilevel page of WhiteIsZero strips `chunks`, without
/// keeping the strips: for a page that is one stream (a PDF image), decided by the
/// same sample as a TIFF page's (`encode::pick_bilevel` splits the page as TIFF does).
pub(crate) fn pick_from_strips(
    chunks: &[&[u8]],
    layout: StripLayout,
    codec: &CodecSettings,
) -> Result<Compression> {
    if chunks.is_empty() {
        return Ok(Compression::G4);
    }
    let g4 = encoder_for(
        &CodecSettings {
            compression: Compression::G4.into(),
            ..codec.clone()
        },
        PixelType::Bilevel,
    )?;
    let deflate = encoder_for(&deflate_settings(codec), PixelType::Bilevel)?;
    let many = |c: &[&[u8]], e: &dyn StripEncoder| {
        crate::codec::strips::encode_chunks(c, layout, codec, e)
    };
    Ok(sample(chunks, layout, g4.as_ref(), deflate.as_ref(), &many)?.winner)
}

fn deflate_settings(codec: &CodecSettings) -> CodecSettings {
    CodecSettings {
        compression: Compression::Deflate.into(),
        ..codec.clone()
    }
}

/// The sample's strips (indices `picks`) in the codec that won on them.
struct Sampled {
    picks: Vec<usize>,
    winner: Compression,
    strips: Vec<Vec<u8>>,
}

/// Encodes the sample with Deflate and, while it can still win, G4: the smaller
/// wins (G4 on a tie).
fn sample(
    chunks: &[&[u8]],
    layout: StripLayout,
    g4: &dyn StripEncoder,
    deflate: &dyn StripEncoder,
    encode_chunks: EncodeMany<'_>,
) -> Result<Sampled> {
    let n = chunks.len();
    let k = n.div_ceil(SAMPLE_EVERY).clamp(1, n.max(1));
    let picks: Vec<usize> = (0..k).map(|j| (2 * j + 1) * n / (2 * k)).collect();
    let sample: Vec<&[u8]> = picks.iter().map(|&i| chunks[i]).collect();

    let d = encode_chunks(&sample, deflate)?;
    let d_total: usize = d.iter().map(Vec::len).sum();

    let g4_at_least: usize = sample
        .iter()
        .map(|s| changes(s, layout.row_bytes))
        .sum::<usize>()
        / 8;
    let mut g = Vec::with_capacity(k);
    let mut g_total = 0;
    for s in sample
        .iter()
        .take(if g4_at_least > d_total { 0 } else { k })
    {
        if g_total > d_total {
            break; // G4 cannot win any more: the rest of its sample is not needed
        }
        let rows = u32::try_from(s.len() / layout.row_bytes.max(1)).unwrap_or(layout.rows);
        let mut out = Vec::with_capacity(s.len() / 4 + 64);
        g4.encode(s, &StripLayout { rows, ..layout }, &mut out)?;
        g_total += out.len();
        g.push(out);
    }
    let (winner, strips) = if g.len() == k && g_total <= d_total {
        (Compression::G4, g)
    } else {
        (Compression::Deflate, d)
    };
    Ok(Sampled {
        picks,
        winner,
        strips,
    })
}

/// The colour changes along the rows of a WhiteIsZero strip (0 = white; each row
/// starts after an imaginary white pixel, as in T.6): the changing elements G4 codes,
/// each in one bit at least.
fn changes(strip: &[u8], row_bytes: usize) -> usize {
    strip
        .chunks(row_bytes.max(1))
        .map(|row| {
            let mut prev = 0u8;
            row.iter()
                .map(|&b| {
                    let shifted = (b >> 1) | (prev << 7);
                    prev = b & 1;
                    (b ^ shifted).count_ones() as usize
                })
                .sum::<usize>()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::changes;

    #[test]
    fn changes_count_colour_changes_from_an_imaginary_white_pixel() {
        assert_eq!(changes(&[0x00, 0x00], 2), 0);
        assert_eq!(changes(&[0x80, 0x00], 2), 2); // one black pixel: in and out
        assert_eq!(changes(&[0x01, 0x80], 2), 2); // a run across the byte boundary
        assert_eq!(changes(&[0xAA], 1), 8);
        assert_eq!(changes(&[0x01, 0x01], 1), 2); // each row starts white again
    }
}

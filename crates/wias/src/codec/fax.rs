//! CCITT Group 3 (1-D Modified Huffman, T.4) and Group 4 (T.6) for bilevel strips.
//!
//! Our own, for speed: runs are found 64 bits at a time with `leading_zeros` on the
//! packed row instead of pixel by pixel (the `fax` crate walks a per-pixel iterator and
//! has no Group 3 encoder). Rows arrive WhiteIsZero, MSB first; bits past `width` in the
//! last byte of a row are ignored.

use super::bits::BitWriter;
use super::fax_tables::{BLACK, WHITE};
use super::{StripEncoder, StripLayout};
use crate::error::Result;

/// Which fax coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fax {
    /// T.4 1-D: EOL, then white/black runs, for every row.
    G3,
    /// T.6: every row coded against the one above; EOFB at the end of the strip.
    G4,
}

impl StripEncoder for Fax {
    fn encode(&self, strip: &[u8], layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        let width = layout.width;
        let rb = layout.row_bytes.max(1);
        let mut w = BitWriter::new(out);
        if *self == Fax::G3 {
            for row in strip.chunks(rb) {
                w.put(1, 12); // EOL
                code_runs(&mut w, row, width);
            }
        } else {
            // At most one change per pixel, plus the sentinels: no reallocation.
            let mut reference: Vec<u32> = Vec::with_capacity(width as usize + 3);
            let mut current: Vec<u32> = Vec::with_capacity(width as usize + 3);
            push_sentinels(&mut reference, width);
            for row in strip.chunks(rb) {
                changes(row, width, &mut current);
                code_2d(&mut w, &reference, &current, width);
                push_sentinels(&mut current, width);
                std::mem::swap(&mut reference, &mut current);
            }
        }
        // G4 ends with EOFB (two EOLs); G3 with RTC (six), which T.4 decoders need to
        // see the last row end (libtiff stops at the row count either way).
        let eols = if *self == Fax::G4 { 2 } else { 6 };
        for _ in 0..eols {
            w.put(1, 12);
        }
        w.finish();
        Ok(())
    }
}

/// Three `width` sentinels so that b1, b2 (and a1, a2) past the last change read as
/// `width`, the imaginary changing element after the row.
fn push_sentinels(v: &mut Vec<u32>, width: u32) {
    v.extend_from_slice(&[width, width, width]);
}

/// 64 bits of `row` starting at byte `i`, big-endian; bytes past the row read as 0.
#[inline]
fn load(row: &[u8], i: usize) -> u64 {
    if let Some(b) = row.get(i..i + 8) {
        u64::from_be_bytes(b.try_into().expect("8 bytes"))
    } else {
        let mut buf = [0u8; 8];
        let tail = &row[i.min(row.len())..];
        buf[..tail.len()].copy_from_slice(tail);
        u64::from_be_bytes(buf)
    }
}

/// The changing elements of `row`: positions where the colour differs from the pixel
/// before (the row starts after an imaginary white pixel). Even entries turn black,
/// odd ones white.
fn changes(row: &[u8], width: u32, out: &mut Vec<u32>) {
    out.clear();
    for_each_change(row, width, |p| out.push(p));
}

/// Calls `f` with each changing element of `row` in order (see [`changes`]).
///
/// A word at a time: `word ^ (word >> 1)`, with the last pixel of the word before
/// shifted in, has a 1 exactly where a pixel differs from its left neighbour, so each
/// change costs one `leading_zeros` and an all-white (or all-black) word costs nothing.
#[inline(always)]
fn for_each_change(row: &[u8], width: u32, mut f: impl FnMut(u32)) {
    let w = width as usize;
    let mut prev = 0u64; // the pixel left of this word: white before the row
    let mut base = 0;
    while base < w {
        let word = load(row, base / 8);
        let mut d = word ^ ((word >> 1) | (prev << 63));
        let valid = w - base;
        if valid < 64 {
            d &= !(u64::MAX >> valid); // pixels past the width are no changes
        }
        while d != 0 {
            let lz = d.leading_zeros();
            f((base + lz as usize) as u32);
            d ^= (1 << 63) >> lz;
        }
        prev = word & 1;
        base += 64;
    }
}

/// One run of `n` pixels of one colour: make-up codes for the multiples of 64, then the
/// terminating code.
#[inline]
fn put_run(w: &mut BitWriter<'_>, black: bool, mut n: u32) {
    let table = if black { &BLACK } else { &WHITE };
    while n >= 2560 {
        let (c, l) = table[103];
        w.put(u32::from(c), u32::from(l));
        n -= 2560;
    }
    if n >= 64 {
        let (c, l) = table[63 + (n / 64) as usize];
        w.put(u32::from(c), u32::from(l));
        n %= 64;
    }
    let (c, l) = table[n as usize];
    w.put(u32::from(c), u32::from(l));
}

/// One row in 1-D Modified Huffman: alternating white and black runs, white first,
/// coded as the scan finds them.
fn code_runs(w: &mut BitWriter<'_>, row: &[u8], width: u32) {
    let mut pos = 0;
    let mut black = false;
    for_each_change(row, width, |c| {
        put_run(w, black, c - pos);
        pos = c;
        black = !black;
    });
    put_run(w, black, width - pos);
}

/// Vertical mode codes for a1 − b1 = −3..=3: (code, length).
const VERTICAL: [(u32, u32); 7] = [
    (0b0000010, 7),
    (0b000010, 6),
    (0b010, 3),
    (0b1, 1),
    (0b011, 3),
    (0b000011, 6),
    (0b0000011, 7),
];

/// One row in T.6 2-D coding against `reference` (both with sentinels appended; the
/// current one is read only up to its real changes, sentinels included).
fn code_2d(w: &mut BitWriter<'_>, reference: &[u32], current: &[u32], width: u32) {
    // a0 is "before the row" (-1) at the start: then changes at 0 count as after it.
    let mut a0: u32 = 0;
    let mut start = true;
    let mut black = false; // colour of a0
    let mut ia = 0; // index of a1 in `current`
    let mut jb = 0; // first reference change after a0
    let cur = |i: usize| current.get(i).copied().unwrap_or(width);
    loop {
        // a1: first change on the coding line after a0.
        while ia < current.len() && !(current[ia] > a0 || (start && current[ia] >= a0)) {
            ia += 1;
        }
        let a1 = cur(ia);
        // b1: first reference change after a0 whose new colour is opposite to a0's,
        // i.e. turning black (even index) when a0 is white.
        while reference[jb] < width && !(reference[jb] > a0 || (start && reference[jb] >= a0)) {
            jb += 1;
        }
        let mut j = jb;
        if (j % 2 == 1) != black && reference[j] < width {
            j += 1;
        }
        let b1 = reference[j];
        let b2 = reference[j + 1];
        if b2 < a1 {
            w.put(0b0001, 4); // pass
            a0 = b2;
            start = false;
            continue;
        }
        let d = i64::from(a1) - i64::from(b1);
        if (-3..=3).contains(&d) {
            let (c, l) = VERTICAL[(d + 3) as usize];
            w.put(c, l);
            a0 = a1;
            black = !black;
        } else {
            let a2 = cur(ia + 1);
            w.put(0b001, 3); // horizontal
            put_run(w, black, a1 - a0);
            put_run(w, !black, a2 - a1);
            a0 = a2;
        }
        start = false;
        if a0 >= width {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_rows::xorshift;

    #[test]
    fn changes_found_across_words() {
        let mut row = vec![0u8; 20];
        row[0] = 0b1000_0000; // black at 0
        row[9] = 0b0000_0001; // black at 79
        row[10] = 0xFF; // black 80..88
        row[19] = 0xFF; // black 152..160, clipped at width 155
        let mut out = Vec::new();
        changes(&row, 155, &mut out);
        assert_eq!(out, [0, 1, 79, 88, 152]);
    }

    /// The changes of `row` found pixel by pixel, as a reference.
    fn changes_pixel_by_pixel(row: &[u8], width: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut prev = 0;
        for x in 0..width as usize {
            let px = (row[x / 8] >> (7 - x % 8)) & 1;
            if px != prev {
                out.push(x as u32);
                prev = px;
            }
        }
        out
    }

    /// Edge rows of `width` pixels, padding bits set where a row has them (they must
    /// be ignored): all white, all black, alternating, random, sparse random, and
    /// black runs that start or end on either side of 64-bit word boundaries.
    fn edge_rows(width: u32, seed: u32) -> Vec<Vec<u8>> {
        let rb = (width as usize).div_ceil(8);
        let pad = if width % 8 == 0 {
            0
        } else {
            0xFFu8 >> (width % 8)
        };
        let mut rows = vec![
            vec![0; rb],
            vec![0xFF; rb],
            vec![0xAA; rb],
            vec![0x55; rb],
            xorshift(rb, seed, 256),
        ];
        let sparse: Vec<u8> = xorshift(rb, seed + 1, 256)
            .iter()
            .zip(xorshift(rb, seed + 2, 256))
            .map(|(a, b)| a & b & xorshift(1, u32::from(b) + seed, 256)[0])
            .collect();
        rows.push(sparse);
        for (from, to) in [(60, 70), (63, 64), (64, 128), (127, 129), (0, 1), (1, 200)] {
            let mut r = vec![0u8; rb];
            for x in from..to.min(width as usize) {
                r[x / 8] |= 0x80 >> (x % 8);
            }
            rows.push(r);
        }
        for r in &mut rows {
            if pad != 0 {
                if let Some(last) = r.last_mut() {
                    *last |= pad;
                }
            }
        }
        rows
    }

    const WIDTHS: [u32; 13] = [1, 2, 7, 8, 9, 63, 64, 65, 127, 128, 129, 1728, 2481];

    #[test]
    fn changes_match_a_pixel_by_pixel_scan() {
        let mut out = Vec::new();
        for width in WIDTHS {
            for (i, row) in edge_rows(width, width).iter().enumerate() {
                changes(row, width, &mut out);
                assert_eq!(
                    out,
                    changes_pixel_by_pixel(row, width),
                    "width {width} row {i}"
                );
            }
        }
    }

    /// Strips of edge rows decode with the `fax` crate (an independent decoder) to the
    /// rows we encoded, in G3 and G4.
    #[test]
    fn strips_of_edge_rows_decode_with_the_fax_crate() {
        for fax in [Fax::G3, Fax::G4] {
            for width in WIDTHS {
                let rows = edge_rows(width, 7 * width);
                let rb = (width as usize).div_ceil(8);
                // Each edge row, then each again under every other (G4 codes against
                // the row above).
                let mut strip: Vec<u8> = rows.concat();
                for r in &rows {
                    strip.extend_from_slice(r);
                    strip.extend_from_slice(&rows[4]);
                }
                let lines = (strip.len() / rb) as u32;
                let layout = StripLayout {
                    width,
                    rows: lines,
                    pixel: crate::pixel::PixelType::Bilevel,
                    row_bytes: rb,
                };
                let mut out = Vec::new();
                fax.encode(&strip, &layout, &mut out).unwrap();
                let back = wias_testsupport::codec_readers::fax_decode(
                    &[out],
                    fax == Fax::G4,
                    width,
                    lines,
                    lines,
                )
                .unwrap_or_else(|e| panic!("{fax:?} width {width}: {e}"));
                // The decoder says 1 = white; ours 1 = black, padding ignored.
                let mut want: Vec<u8> = strip.iter().map(|b| !b).collect();
                wias_testsupport::clear_row_padding(&mut want, width as usize, rb);
                let mut back = back;
                wias_testsupport::clear_row_padding(&mut back, width as usize, rb);
                assert!(back == want, "{fax:?} width {width}: pixels differ");
            }
        }
    }

    #[test]
    fn run_codes_are_prefix_free_tables() {
        assert_eq!(WHITE[0], (0b00110101, 8));
        assert_eq!(BLACK[0], (0b0000110111, 10));
        assert_eq!(WHITE[63 + 1], (0b11011, 5)); // 64
        assert_eq!(WHITE[103].1, 12); // 2560
    }
}

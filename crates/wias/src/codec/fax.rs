//! CCITT Group 3 (1-D Modified Huffman, T.4) and Group 4 (T.6) for bilevel strips.
//!
//! Our own, for speed: runs are found 64 bits at a time with `leading_zeros` on the
//! packed row instead of pixel by pixel (the `fax` crate walks a per-pixel iterator and
//! has no Group 3 encoder). Rows arrive WhiteIsZero, MSB first; bits past `width` in the
//! last byte of a row are ignored.

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
        let mut reference: Vec<u32> = Vec::with_capacity(64);
        let mut current: Vec<u32> = Vec::with_capacity(64);
        push_sentinels(&mut reference, width);
        for row in strip.chunks(rb) {
            changes(row, width, &mut current);
            match self {
                Fax::G3 => {
                    w.put(1, 12); // EOL
                    code_runs(&mut w, &current, width);
                }
                Fax::G4 => code_2d(&mut w, &reference, &current, width),
            }
            push_sentinels(&mut current, width);
            std::mem::swap(&mut reference, &mut current);
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

/// First position `>= p` whose pixel is black (`black`) or white (`!black`), or `width`.
#[inline]
fn find(row: &[u8], mut p: usize, width: usize, black: bool) -> usize {
    let flip = if black { 0 } else { u64::MAX };
    while p < width {
        let bit = p % 8;
        let w = (load(row, p / 8) ^ flip) << bit;
        let valid = 64 - bit;
        if w != 0 {
            let lz = w.leading_zeros() as usize;
            if lz < valid {
                return (p + lz).min(width);
            }
        }
        p += valid;
    }
    width
}

/// The changing elements of `row`: positions where the colour differs from the pixel
/// before (the row starts after an imaginary white pixel). Even entries turn black,
/// odd ones white.
fn changes(row: &[u8], width: u32, out: &mut Vec<u32>) {
    out.clear();
    let w = width as usize;
    let mut p = 0;
    let mut black = true;
    loop {
        p = find(row, p, w, black);
        if p >= w {
            break;
        }
        out.push(p as u32);
        black = !black;
    }
}

/// Writes bits MSB first into a byte vector, 64 bits buffered.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    /// Bits in `acc`, at its low end.
    n: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, n: 0 }
    }

    /// Appends the low `len` (≤ 32) bits of `code`.
    #[inline]
    fn put(&mut self, code: u32, len: u32) {
        if self.n + len > 64 {
            self.flush_bytes();
        }
        self.acc = (self.acc << len) | u64::from(code);
        self.n += len;
    }

    #[inline]
    fn flush_bytes(&mut self) {
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
    }

    /// Writes what is left, the last byte padded with 0 bits.
    fn finish(mut self) {
        self.flush_bytes();
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
            self.n = 0;
        }
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

/// One row in 1-D Modified Huffman: alternating white and black runs, white first.
fn code_runs(w: &mut BitWriter<'_>, changes: &[u32], width: u32) {
    let mut pos = 0;
    let mut black = false;
    for &c in changes {
        put_run(w, black, c - pos);
        pos = c;
        black = !black;
    }
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

    #[test]
    fn run_codes_are_prefix_free_tables() {
        assert_eq!(WHITE[0], (0b00110101, 8));
        assert_eq!(BLACK[0], (0b0000110111, 10));
        assert_eq!(WHITE[63 + 1], (0b11011, 5)); // 64
        assert_eq!(WHITE[103].1, 12); // 2560
    }
}

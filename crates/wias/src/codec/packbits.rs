//! PackBits (TIFF Compression 32773): our own, because it is twenty lines and no crate
//! does it row by row as TIFF requires ("do not compress across row boundaries").

use super::{StripEncoder, StripLayout};
use crate::error::Result;

/// The PackBits codec.
pub(super) struct PackBits;

impl StripEncoder for PackBits {
    fn encode(&self, strip: &[u8], layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        out.reserve(strip.len() + strip.len() / 128 + layout.rows as usize);
        for row in strip.chunks(layout.row_bytes.max(1)) {
            pack_row(row, out);
        }
        Ok(())
    }
}

/// 8 bytes of `s` from `i`, little-endian (byte `i` lowest); `None` near the end.
#[inline]
fn word(s: &[u8], i: usize) -> Option<u64> {
    s.get(i..i + 8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Length of the run of equal bytes at the start of `s`, at most 128; eight bytes
/// compared at a time.
#[inline]
fn run_len(s: &[u8]) -> usize {
    let max = s.len().min(128);
    let first = s[0];
    let splat = u64::from(first) * 0x0101_0101_0101_0101;
    let mut i = 1;
    while i + 8 <= max {
        let x = word(s, i).expect("inside s") ^ splat;
        if x != 0 {
            return i + (x.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + s[i..max]
        .iter()
        .position(|&b| b != first)
        .unwrap_or(max - i)
}

/// A 0x80 in each byte of the result where that byte of `x` is zero, nothing else
/// (exact: no borrow between bytes).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The first `i` in `from..limit` where `row[i..i + 3]` are three equal bytes, or
/// `limit`. Six starting positions per 8-byte load: byte k of `w ^ (w >> 8)` is zero
/// where bytes k and k + 1 are equal, so two zero neighbours mark a triple.
#[inline]
fn next_triple(row: &[u8], from: usize, limit: usize) -> usize {
    let mut i = from;
    while i < limit {
        let Some(w) = word(row, i) else { break };
        let z = zero_bytes(w ^ (w >> 8));
        let t = z & (z >> 8) & 0x0000_8080_8080_8080;
        if t != 0 {
            return (i + (t.trailing_zeros() / 8) as usize).min(limit);
        }
        i += 6;
    }
    // The last few bytes of the row, one at a time.
    let n = row.len();
    while i < limit {
        if i + 2 < n && row[i] == row[i + 1] && row[i] == row[i + 2] {
            return i;
        }
        i += 1;
    }
    limit
}

/// Packs one row: runs of 3 or more equal bytes as repeats, everything else as
/// literals of up to 128 bytes. A 2-byte run inside a literal stays literal (a repeat
/// would cost as much and break the literal).
pub(super) fn pack_row(row: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    let n = row.len();
    while i < n {
        let run = run_len(&row[i..]);
        if run >= 3 || (run == 2 && i + 2 == n) {
            out.push((1 - run as i32) as u8);
            out.push(row[i]);
            i += run;
            continue;
        }
        // A literal: up to the next run of 3 or the 128-byte limit.
        let start = i;
        let limit = (start + 128).min(n);
        let end = next_triple(row, (i + run).min(limit), limit);
        i = end;
        out.push((end - start - 1) as u8);
        out.extend_from_slice(&row[start..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_rows::xorshift;

    fn unpack(mut s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some((&h, rest)) = s.split_first() {
            let h = h as i8;
            if h >= 0 {
                let n = h as usize + 1;
                out.extend_from_slice(&rest[..n]);
                s = &rest[n..];
            } else if h != -128 {
                out.extend(std::iter::repeat_n(rest[0], (1 - h as isize) as usize));
                s = &rest[1..];
            } else {
                s = rest;
            }
        }
        out
    }

    #[test]
    fn rows_round_trip() {
        let rows: [&[u8]; 6] = [
            &[1],
            &[7, 7],
            &[1, 2, 2, 3, 3, 3, 4],
            &[0; 300],
            &[5, 5, 1, 2, 3, 9, 9, 9, 9, 9, 9, 1],
            &(0..=255u8).chain(0..=255).collect::<Vec<_>>(),
        ];
        for row in rows {
            let mut out = Vec::new();
            pack_row(row, &mut out);
            assert_eq!(unpack(&out), row, "{row:?} packed as {out:?}");
        }
    }

    /// The encoder as it was before word-at-a-time scanning, byte by byte: the new one
    /// must write exactly its bytes (same sizes, same choices).
    fn pack_row_bytewise(row: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        let n = row.len();
        while i < n {
            let first = row[i];
            let max = (n - i).min(128);
            let run = row[i..i + max]
                .iter()
                .position(|&b| b != first)
                .unwrap_or(max);
            if run >= 3 || (run == 2 && i + 2 == n) {
                out.push((1 - run as i32) as u8);
                out.push(row[i]);
                i += run;
                continue;
            }
            let start = i;
            let limit = (start + 128).min(n);
            i += run;
            while i < limit {
                if i + 2 < n && row[i] == row[i + 1] && row[i] == row[i + 2] {
                    break;
                }
                i += 1;
            }
            let end = i.min(limit);
            i = end;
            out.push((end - start - 1) as u8);
            out.extend_from_slice(&row[start..end]);
        }
    }

    /// Random rows of few and many byte values (runs of every length, triples across
    /// 8-byte words), edge rows, and every length from 1 to 300: same bytes as the
    /// byte-by-byte encoder, and they unpack to the row.
    #[test]
    fn word_scanning_writes_what_byte_scanning_wrote() {
        let mut rows: Vec<Vec<u8>> = vec![
            vec![0; 311],
            vec![0xFF; 311],
            [0xAA, 0x55].repeat(200),
            [1, 1, 2, 2].repeat(100),
            [7, 7, 7, 1].repeat(100),
        ];
        for (n, m) in [(1000, 2), (1000, 3), (5000, 256), (311, 2), (2481, 4)] {
            for seed in 1..20 {
                rows.push(xorshift(n, seed * n as u32, m));
            }
        }
        for n in 1..300 {
            rows.push(xorshift(n, n as u32, 2));
            rows.push(xorshift(n, n as u32, 256));
        }
        // Three equal bytes starting at every offset of a literal.
        for at in 0..140 {
            let mut r: Vec<u8> = (0..200).map(|i| i as u8).collect();
            r[at..at + 3].fill(0xEE);
            rows.push(r);
        }
        for row in &rows {
            let (mut new, mut old) = (Vec::new(), Vec::new());
            pack_row(row, &mut new);
            pack_row_bytewise(row, &mut old);
            assert_eq!(new, old, "{} bytes: {row:?}", row.len());
            assert_eq!(unpack(&new), *row);
        }
    }

    #[test]
    fn long_runs_are_short() {
        let mut out = Vec::new();
        pack_row(&[0; 256], &mut out);
        assert_eq!(out, [0x81, 0, 0x81, 0]);
    }
}

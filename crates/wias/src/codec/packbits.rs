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

/// Length of the run of equal bytes at the start of `s`, at most 128.
fn run_len(s: &[u8]) -> usize {
    let first = s[0];
    let max = s.len().min(128);
    s[..max].iter().position(|&b| b != first).unwrap_or(max)
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn long_runs_are_short() {
        let mut out = Vec::new();
        pack_row(&[0; 256], &mut out);
        assert_eq!(out, [0x81, 0, 0x81, 0]);
    }
}

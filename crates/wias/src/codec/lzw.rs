//! LZW (TIFF Compression 5), TIFF's variant: MSB-first codes, clear code first, code
//! width growing one code early (the "off by one" of TIFF 6.0 §13 that every TIFF
//! reader expects), EOI last.
//!
//! Our own: `weezl` (a good general LZW crate) walks a tree per byte and measured
//! ≈1.6× slower than libtiff here; this encoder keeps the string table in a small
//! open-addressed hash table, as libtiff does, and writes codes through a 64-bit
//! buffer. Until the table fills, its output is bit-for-bit what `weezl` writes (tested
//! below); at 4094 codes it writes Clear as libtiff does, where `weezl` goes on to 4095.

use super::bits::BitWriter;
use super::{StripEncoder, StripLayout};
use crate::error::Result;

/// The LZW codec: one LZW stream per strip.
pub(super) struct Lzw;

impl StripEncoder for Lzw {
    fn encode(&self, strip: &[u8], layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        // The run shortcut pays on bilevel pages (long white runs: 30 % less time) and
        // costs on gray and RGB ones (short runs of 0 after the predictor: 35 % more).
        if layout.pixel.is_bilevel() {
            encode_with::<true>(strip, out);
        } else {
            encode(strip, out);
        }
        Ok(())
    }
}

const CLEAR: u32 = 256;
const EOI: u32 = 257;
const FIRST: u32 = 258;
/// After this many codes the table is full: emit Clear and start again (12-bit codes).
const MAX_CODES: u32 = 4094;
const SLOTS: usize = 1 << 14;
const EMPTY: u32 = u32::MAX;

#[inline]
fn slot(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> (32 - 14)) as usize
}

/// Codes of the strings made of one byte repeated, for the bytes 0x00 and 0xFF (white
/// and black bilevel runs): `codes[k][j]` is the code of byte 0x00 (k = 0) or 0xFF
/// (k = 1) repeated `j + 2` times. LZW adds such a string only by
/// extending the one a byte shorter, so the lengths known are always 2..=len + 1.
struct Runs {
    codes: [Vec<u16>; 2],
}

impl Runs {
    /// Which list tracks runs of `b`, if any.
    #[inline]
    fn index(b: u8) -> Option<usize> {
        match b {
            0x00 => Some(0),
            0xFF => Some(1),
            _ => None,
        }
    }
}

/// Appends the LZW stream of `data` to `out`, one table lookup per byte.
pub(super) fn encode(data: &[u8], out: &mut Vec<u8>) {
    encode_with::<false>(data, out);
}

/// Appends the LZW stream of `data` to `out`. With `RUNS`, inside a run of 0x00 or
/// 0xFF bytes whose longer strings are already in the table, the string is extended to
/// the longest one the run allows in one step (a byte compare each) instead of one
/// table lookup per byte: the codes written are the same.
fn encode_with<const RUNS: bool>(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() / 2 + 16);
    let mut w = BitWriter::new(out);
    // Entry: key (prefix code << 8 | byte, 20 bits) << 12 | code.
    let mut table = vec![EMPTY; SLOTS];
    let mut runs = Runs {
        codes: [Vec::new(), Vec::new()],
    };
    let mut bits = 9;
    let mut next = FIRST;
    w.put(CLEAR, bits);
    let Some(&first) = data.first() else {
        w.put(EOI, bits);
        w.finish();
        return;
    };
    let mut prefix = u32::from(first);
    // When `prefix` is the string of byte `run_byte` repeated `run_len` times (and
    // `run_byte` is tracked), `run_len`; 0 otherwise.
    let mut run_byte = first;
    let mut run_len = usize::from(RUNS && Runs::index(first).is_some());
    let mut i = 1;
    'bytes: while i < data.len() {
        let b = data[i];
        if RUNS && run_len > 0 && b == run_byte {
            let known = &runs.codes[Runs::index(b).expect("tracked")];
            let longest = known.len() + 1;
            if run_len < longest {
                let room = (longest - run_len).min(data.len() - i);
                let k = data[i..i + room]
                    .iter()
                    .position(|&x| x != b)
                    .unwrap_or(room);
                run_len += k;
                prefix = u32::from(known[run_len - 2]);
                i += k;
                continue;
            }
        }
        let key = (prefix << 8) | u32::from(b);
        let mut h = slot(key);
        loop {
            let e = table[h];
            if e == EMPTY {
                break;
            }
            if e >> 12 == key {
                prefix = e & 0xFFF;
                // A run string found here would have been taken above.
                run_len = 0;
                i += 1;
                continue 'bytes;
            }
            h = (h + 1) & (SLOTS - 1);
        }
        w.put(prefix, bits);
        table[h] = (key << 12) | next;
        if RUNS && run_len > 0 && b == run_byte {
            // The run one byte longer than any known so far.
            runs.codes[Runs::index(b).expect("tracked")].push(next as u16);
        }
        next += 1;
        if next + 1 > (1 << bits) && bits < 12 {
            bits += 1;
        }
        if next >= MAX_CODES {
            w.put(CLEAR, bits);
            table.fill(EMPTY);
            runs.codes.iter_mut().for_each(Vec::clear);
            next = FIRST;
            bits = 9;
        }
        prefix = u32::from(b);
        run_byte = b;
        run_len = usize::from(RUNS && Runs::index(b).is_some());
        i += 1;
    }
    w.put(prefix, bits);
    // The decoder adds an entry on this last code too: its width may grow before EOI.
    if next + 2 > (1 << bits) && bits < 12 {
        bits += 1;
    }
    w.put(EOI, bits);
    w.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_rows::xorshift;

    fn weezl(data: &[u8]) -> Vec<u8> {
        weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(data)
            .unwrap()
    }

    #[test]
    fn streams_match_weezl_bit_for_bit_until_the_table_fills() {
        let mut cases: Vec<Vec<u8>> = vec![vec![], vec![7], vec![1, 2], vec![0; 30_000]];
        for (n, m) in [(300, 256), (3000, 4), (3000, 256), (20_000, 2)] {
            cases.push(xorshift(n, n as u32, m));
        }
        // Lengths around the code-width switches at 9, 10 and 11 bits.
        for n in (250..800).chain(1000..1100).chain(2000..2100) {
            cases.push(xorshift(n, 3, 256));
        }
        for c in &cases {
            let mut ours = Vec::new();
            encode(c, &mut ours);
            assert!(ours == weezl(c), "{} bytes: streams differ", c.len());
        }
    }

    #[test]
    fn full_tables_clear_and_decode_with_weezl() {
        for (n, m) in [(70_000, 256), (200_000, 7), (65_536, 2), (100_000, 1)] {
            let data = xorshift(n, n as u32, m);
            let mut ours = Vec::new();
            encode(&data, &mut ours);
            let back = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .decode(&ours)
                .unwrap();
            assert!(back == data, "{n} bytes mod {m}");
        }
    }

    /// Bilevel-like data: runs of 0x00 and 0xFF of every length between random bytes
    /// and between other byte values.
    fn runs_between_noise(n: usize, seed: u32) -> Vec<u8> {
        let noise = xorshift(n, seed, 256);
        let mut out = Vec::with_capacity(n);
        let mut k = 0;
        while out.len() < n {
            let len = 1 + (noise[k % n] as usize * 7 + k) % 700;
            let fill = match noise[(k + 1) % n] % 4 {
                0 => 0x00,
                1 => 0xFF,
                2 => 0x7F,
                _ => 1,
            };
            out.extend(std::iter::repeat_n(fill, len.min(n - out.len())));
            let lit = (noise[(k + 2) % n] % 9) as usize;
            out.extend_from_slice(&noise[k % n..(k % n + lit).min(n)]);
            k += 3;
        }
        out.truncate(n);
        out
    }

    /// The run shortcut writes what a lookup per byte writes: same stream as `weezl`
    /// while the table has room, and streams past many table clears decode to the data.
    #[test]
    fn runs_of_white_and_black_bytes_code_as_lookups_would() {
        let mut cases: Vec<Vec<u8>> = vec![vec![0xFF; 40_000], vec![0; 1], vec![0xFF, 0xFF]];
        for n in [10, 100, 1000, 3000] {
            for seed in 1..8 {
                cases.push(runs_between_noise(n, seed));
            }
        }
        let mut alternating = Vec::new();
        for len in 1..300 {
            alternating.extend(std::iter::repeat_n(0u8, len));
            alternating.extend(std::iter::repeat_n(0xFFu8, 301 - len));
        }
        cases.push(alternating);
        for c in &cases {
            let mut ours = Vec::new();
            encode_with::<true>(c, &mut ours);
            let theirs = weezl(c);
            // Equal up to where weezl goes on to code 4095 instead of clearing.
            let back = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .decode(&ours)
                .unwrap();
            assert!(back == *c, "{} bytes: does not decode", c.len());
            if c.len() <= 3000 {
                assert!(ours == theirs, "{} bytes: streams differ", c.len());
            }
        }
        for (n, seed) in [(300_000, 1), (1_000_000, 2), (200_000, 3)] {
            let data = runs_between_noise(n, seed);
            let mut ours = Vec::new();
            encode_with::<true>(&data, &mut ours);
            let back = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .decode(&ours)
                .unwrap();
            assert!(back == data, "{n} bytes of runs");
            let mut lookups = Vec::new();
            encode(&data, &mut lookups);
            assert!(
                ours == lookups,
                "{n} bytes: not what a lookup per byte writes"
            );
        }
    }

    #[test]
    fn streams_decode_with_weezl() {
        let data = xorshift(300_000, 11, 50);
        let mut ours = Vec::new();
        encode(&data, &mut ours);
        let back = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .decode(&ours)
            .unwrap();
        assert!(back == data);
    }
}

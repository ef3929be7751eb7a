//! LZW (TIFF Compression 5), TIFF's variant: MSB-first codes, clear code first, code
//! width growing one code early (the "off by one" of TIFF 6.0 §13 that every TIFF
//! reader expects), EOI last.
//!
//! Our own: `weezl` (a good general LZW crate) walks a tree per byte and measured
//! ≈1.6× slower than libtiff here; this encoder keeps the string table in a small
//! open-addressed hash table, as libtiff does, and writes codes through a 64-bit
//! buffer. Until the table fills, its output is bit-for-bit what `weezl` writes (tested
//! below); at 4094 codes it writes Clear as libtiff does, where `weezl` goes on to 4095.

use super::{StripEncoder, StripLayout};
use crate::error::Result;

/// The LZW codec: one LZW stream per strip.
pub(super) struct Lzw;

impl StripEncoder for Lzw {
    fn encode(&self, strip: &[u8], _layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        encode(strip, out);
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

/// Codes MSB first through a 64-bit buffer.
struct CodeWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl CodeWriter<'_> {
    #[inline]
    fn put(&mut self, code: u32, bits: u32) {
        self.acc = (self.acc << bits) | u64::from(code);
        self.n += bits;
        if self.n >= 32 {
            self.n -= 32;
            self.out
                .extend_from_slice(&((self.acc >> self.n) as u32).to_be_bytes());
        }
    }

    fn finish(self) {
        let mut n = self.n;
        while n >= 8 {
            n -= 8;
            self.out.push((self.acc >> n) as u8);
        }
        if n > 0 {
            self.out.push((self.acc << (8 - n)) as u8);
        }
    }
}

/// Appends the LZW stream of `data` to `out`.
pub(super) fn encode(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() / 2 + 16);
    let mut w = CodeWriter { out, acc: 0, n: 0 };
    // Entry: key (prefix code << 8 | byte, 20 bits) << 12 | code.
    let mut table = vec![EMPTY; SLOTS];
    let mut bits = 9;
    let mut next = FIRST;
    w.put(CLEAR, bits);
    let Some((&first, rest)) = data.split_first() else {
        w.put(EOI, bits);
        w.finish();
        return;
    };
    let mut prefix = u32::from(first);
    'bytes: for &b in rest {
        let key = (prefix << 8) | u32::from(b);
        let mut h = slot(key);
        loop {
            let e = table[h];
            if e == EMPTY {
                break;
            }
            if e >> 12 == key {
                prefix = e & 0xFFF;
                continue 'bytes;
            }
            h = (h + 1) & (SLOTS - 1);
        }
        w.put(prefix, bits);
        table[h] = (key << 12) | next;
        next += 1;
        if next + 1 > (1 << bits) && bits < 12 {
            bits += 1;
        }
        if next >= MAX_CODES {
            w.put(CLEAR, bits);
            table.fill(EMPTY);
            next = FIRST;
            bits = 9;
        }
        prefix = u32::from(b);
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

    fn weezl(data: &[u8]) -> Vec<u8> {
        weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(data)
            .unwrap()
    }

    fn xorshift(n: usize, seed: u32, modulo: u32) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % modulo) as u8
            })
            .collect()
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

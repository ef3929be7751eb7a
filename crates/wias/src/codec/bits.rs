//! The MSB-first bit writer the fax (G3/G4) and LZW encoders share: both emit codes of
//! up to 32 bits, the first bit in the high bit of each byte (TIFF FillOrder 1).

/// Writes bits MSB first into a byte vector through a 64-bit buffer.
pub(super) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    /// Bits in `acc` not yet written, at its low end (always < 32 between calls).
    n: u32,
}

impl<'a> BitWriter<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, n: 0 }
    }

    /// Appends the low `len` (≤ 32) bits of `code`; whole 32-bit words go out at once.
    #[inline]
    pub(super) fn put(&mut self, code: u32, len: u32) {
        self.acc = (self.acc << len) | u64::from(code);
        self.n += len;
        if self.n >= 32 {
            self.n -= 32;
            self.out
                .extend_from_slice(&((self.acc >> self.n) as u32).to_be_bytes());
        }
    }

    /// Writes what is left, the last byte padded with 0 bits.
    pub(super) fn finish(self) {
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

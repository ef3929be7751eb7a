//! Structure checks for page data a device compressed, run before the page is stored.
//!
//! A passthrough page is stored as it came; if it is not a whole image of the page's
//! size, readers fail on it (libtiff's `tiffcp` refuses the whole document for one bad
//! JPEG strip) and `wias inspect` cannot tell. So before storing:
//! - JPEG: SOI, the frame header (its size and components are matched against the
//!   page by `jpeg_frame`'s caller), quantisation tables for every component, at least
//!   one scan with entropy-coded data, and the EOI marker after it.
//! - G3 (1-D) and G4: a run-length decode of the whole stream that must give exactly
//!   the page's lines, each ending exactly at the page's width (G3 runs add up to it;
//!   G4 codes most changes relative to the line above and ends a line at whatever
//!   width it has, so there only a run or a change past the width is caught). Only run lengths are followed; no
//!   pixels are produced, so it costs less than decoding.

use std::sync::OnceLock;

use super::fax_tables::{BLACK, WHITE};

/// Why a JPEG stream is not a whole image: missing scan, tables or EOI.
pub(crate) fn jpeg_complete(data: &[u8]) -> Result<(), String> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err("do not start with a JPEG SOI marker (FF D8)".into());
    }
    let mut quant_defined = [false; 4];
    let mut quant_needed: Vec<u8> = Vec::new();
    let mut scans = 0;
    let mut i = 2;
    while i + 1 < data.len() {
        if data[i] != 0xFF {
            return Err(format!("no marker at byte {i}"));
        }
        let m = data[i + 1];
        match m {
            0xFF => {
                i += 1; // fill byte
                continue;
            }
            0xD9 if scans == 0 => return Err("the EOI marker comes before any scan (SOS)".into()),
            0xD9 => return Ok(()),
            0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            0xD8 => return Err(format!("a second SOI marker at byte {i}")),
            _ => {}
        }
        let Some(len) = data
            .get(i + 2..i + 4)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
        else {
            return Err(format!("marker FF {m:02X} at byte {i} is cut short"));
        };
        let seg = data
            .get(i + 4..i + 2 + usize::from(len))
            .filter(|_| len >= 2)
            .ok_or_else(|| format!("marker FF {m:02X} at byte {i} runs past the end"))?;
        match m {
            0xDB => {
                let mut k = 0;
                while k < seg.len() {
                    let (precision, id) = (seg[k] >> 4, seg[k] & 15);
                    quant_defined[usize::from(id & 3)] = true;
                    k += 1 + if precision == 0 { 64 } else { 128 };
                }
            }
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                let n = usize::from(*seg.get(5).unwrap_or(&0));
                quant_needed = (0..n)
                    .filter_map(|c| seg.get(8 + 3 * c).map(|q| q & 3))
                    .collect();
            }
            0xDA => {
                if let Some(q) = quant_needed
                    .iter()
                    .find(|&&q| !quant_defined[usize::from(q)])
                {
                    return Err(format!(
                        "the scan at byte {i} uses quantisation table {q}, which no DQT defines"
                    ));
                }
                // Entropy-coded data run to the next marker other than a stuffed
                // FF 00 or a restart marker.
                let start = i + 2 + usize::from(len);
                let mut j = start;
                loop {
                    match data.get(j..j + 2) {
                        None => {
                            return Err(format!(
                                "the scan at byte {i} is cut short: no EOI marker after it"
                            ))
                        }
                        Some([0xFF, n]) if *n != 0 && !(0xD0..=0xD7).contains(n) => break,
                        _ => j += 1,
                    }
                }
                if j == start {
                    return Err(format!("the scan at byte {i} holds no data"));
                }
                scans += 1;
                i = j;
                continue;
            }
            _ => {}
        }
        i += 2 + usize::from(len);
    }
    Err("the data end without an EOI marker (FF D9)".into())
}

/// Why a Group 3 (1-D, `g4 = false`) or Group 4 stream does not decode to exactly
/// `lines` lines of `width` pixels.
pub(crate) fn fax_complete(data: &[u8], width: u32, lines: u32, g4: bool) -> Result<(), String> {
    let mut bits = Bits { data, pos: 0 };
    let mut reference: Vec<u32> = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    for line in 0..lines {
        let done = if g4 {
            g4_line(&mut bits, width, &reference, &mut current)
        } else {
            g3_line(&mut bits, width)
        };
        let cut = |why: String| format!("line {} of {lines}: {why}", line + 1);
        done.map_err(cut)?;
        if bits.pos > data.len() * 8 {
            return Err(cut("the data end in the middle of the line".into()));
        }
        std::mem::swap(&mut reference, &mut current);
    }
    Ok(())
}

/// Bits of a byte slice, most significant first; reads past the end give zeros (the
/// caller checks the position against the length).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    /// The next `n` (1..=24) bits.
    fn peek(&self, n: u32) -> u32 {
        let i = self.pos / 8;
        let mut w = 0u64;
        for k in 0..4 {
            w = (w << 8) | u64::from(self.data.get(i + k).copied().unwrap_or(0));
        }
        let w = w << (32 + self.pos % 8);
        (w >> (64 - n)) as u32
    }

    fn consume(&mut self, n: u32) -> Result<(), String> {
        self.pos += n as usize;
        if self.pos > self.data.len() * 8 {
            return Err("the data end in the middle of a code".into());
        }
        Ok(())
    }

    /// Skips an EOL (eleven or more zeros, then a one) if one is next.
    fn skip_eol(&mut self) -> Result<bool, String> {
        if self.peek(11) != 0 {
            return Ok(false);
        }
        while self.peek(1) == 0 {
            self.consume(1)?;
        }
        self.consume(1)?;
        Ok(true)
    }
}

/// For each colour, the run and code length of every 13-bit prefix (0 = no code).
fn run_table(black: bool) -> &'static [u32] {
    static TABLES: OnceLock<[Vec<u32>; 2]> = OnceLock::new();
    let t = TABLES.get_or_init(|| {
        [WHITE, BLACK].map(|codes| {
            let mut t = vec![0u32; 1 << 13];
            for (i, &(code, len)) in codes.iter().enumerate() {
                let run = if i < 64 {
                    i as u32
                } else {
                    (i as u32 - 63) * 64
                };
                let shift = 13 - u32::from(len);
                let first = (u32::from(code) << shift) as usize;
                for e in &mut t[first..first + (1 << shift)] {
                    *e = (run << 8) | u32::from(len);
                }
            }
            t
        })
    });
    &t[usize::from(black)]
}

/// One run of `black` or white pixels: make-up codes, then a terminating code.
fn run(bits: &mut Bits<'_>, black: bool) -> Result<u32, String> {
    let table = run_table(black);
    let mut total = 0u32;
    loop {
        let e = table[bits.peek(13) as usize];
        if e == 0 {
            return Err(format!(
                "no {} run code at bit {}",
                if black { "black" } else { "white" },
                bits.pos
            ));
        }
        bits.consume(e & 0xFF)?;
        let r = e >> 8;
        total = total.saturating_add(r);
        if r < 64 {
            return Ok(total);
        }
    }
}

/// A T.4 1-D line: an optional EOL, then alternating white and black runs that add up
/// to exactly `width`.
fn g3_line(bits: &mut Bits<'_>, width: u32) -> Result<(), String> {
    bits.skip_eol()?;
    let mut a0 = 0u32;
    let mut black = false;
    while a0 < width {
        a0 = a0.saturating_add(run(bits, black)?);
        black = !black;
    }
    if a0 > width {
        return Err(format!("its runs add up to {a0} pixels, not {width}"));
    }
    Ok(())
}

/// T.6 coding modes.
enum Mode {
    Pass,
    Horizontal,
    Vertical(i64),
}

fn mode(bits: &mut Bits<'_>) -> Result<Mode, String> {
    let p = bits.peek(7);
    let (m, len) = if p >> 6 == 1 {
        (Mode::Vertical(0), 1)
    } else if p >> 4 == 0b011 {
        (Mode::Vertical(1), 3)
    } else if p >> 4 == 0b010 {
        (Mode::Vertical(-1), 3)
    } else if p >> 4 == 0b001 {
        (Mode::Horizontal, 3)
    } else if p >> 3 == 0b0001 {
        (Mode::Pass, 4)
    } else if p >> 1 == 0b000011 {
        (Mode::Vertical(2), 6)
    } else if p >> 1 == 0b000010 {
        (Mode::Vertical(-2), 6)
    } else if p == 0b0000011 {
        (Mode::Vertical(3), 7)
    } else if p == 0b0000010 {
        (Mode::Vertical(-3), 7)
    } else if bits.peek(12) == 1 {
        return Err("the data end (EOFB) before the page's last line".into());
    } else {
        return Err(format!("no T.6 mode code at bit {}", bits.pos));
    };
    bits.consume(len)?;
    Ok(m)
}

/// A T.6 line coded against `reference` (its changing elements); its own changing
/// elements go to `current`.
fn g4_line(
    bits: &mut Bits<'_>,
    width: u32,
    reference: &[u32],
    current: &mut Vec<u32>,
) -> Result<(), String> {
    current.clear();
    let w = i64::from(width);
    let mut a0: i64 = -1;
    let mut black = false;
    while a0 < w {
        // b1: the first changing element on the reference line right of a0 whose
        // colour is opposite to a0's (changes to black have even indexes).
        let mut k = reference.partition_point(|&x| i64::from(x) <= a0);
        if k % 2 != usize::from(black) {
            k += 1;
        }
        let b1 = reference.get(k).map_or(w, |&x| i64::from(x));
        let b2 = reference.get(k + 1).map_or(w, |&x| i64::from(x));
        match mode(bits)? {
            Mode::Pass => a0 = b2,
            Mode::Horizontal => {
                let start = a0.max(0);
                let a1 = start + i64::from(run(bits, black)?);
                let a2 = a1 + i64::from(run(bits, !black)?);
                if a2 > w {
                    return Err(format!("a horizontal run ends at pixel {a2}, past {width}"));
                }
                if a1 < w {
                    current.push(a1 as u32);
                }
                if a2 < w {
                    current.push(a2 as u32);
                }
                a0 = a2;
            }
            Mode::Vertical(d) => {
                let a1 = b1 + d;
                if a1 < a0.max(0) || a1 > w || (a1 == a0 && a0 >= 0) {
                    return Err(format!(
                        "a vertical code puts a change at pixel {a1} (after {a0}, width {width})"
                    ));
                }
                if a1 < w {
                    current.push(a1 as u32);
                }
                black = !black;
                a0 = a1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{CodecSettings, Compression};
    use crate::tiff::{Options, TiffFile, TiffWriter};
    use crate::{PageSpec, PixelType};
    use std::io::Cursor;

    /// Strips our own fax encoders wrote, for text-like rows of odd widths.
    fn encoded(c: Compression, width: u32, lines: u32) -> Vec<u8> {
        let spec = PageSpec::new(width, lines, PixelType::Bilevel);
        let row = width.div_ceil(8) as usize;
        let mut rows = vec![0xFFu8; row * lines as usize];
        for (i, b) in rows.iter_mut().enumerate() {
            if (i * 7 + i / row) % 11 < 3 {
                *b = (i * 37) as u8;
            }
        }
        let opts = Options::default()
            .codec(CodecSettings::new(c))
            .strip_bytes(usize::MAX);
        let mut doc = TiffWriter::new(Cursor::new(Vec::new()), opts).unwrap();
        doc.write_page(&spec, &rows).unwrap();
        let bytes = doc.finish().unwrap().into_inner();
        let f = TiffFile::read(&mut Cursor::new(&bytes[..])).unwrap();
        let (offs, counts) = f.directories[0].strips().unwrap();
        assert_eq!(offs.len(), 1);
        bytes[offs[0] as usize..(offs[0] + counts[0]) as usize].to_vec()
    }

    #[test]
    fn fax_streams_of_the_page_size_pass_and_others_fail() {
        for (c, g4) in [(Compression::G3, false), (Compression::G4, true)] {
            for (w, h) in [(2, 1), (37, 5), (1728, 40), (2481, 3)] {
                let data = encoded(c, w, h);
                assert_eq!(fax_complete(&data, w, h, g4), Ok(()), "{c:?} {w}x{h}");
                assert!(
                    fax_complete(&data, w, h + 1, g4).is_err(),
                    "{c:?} {w}x{h} +1 line"
                );
                // G3 runs add up to the width; G4's vertical codes are relative to the
                // line above, so only its horizontal runs pin the width down.
                if !g4 {
                    assert!(
                        fax_complete(&data, w + 1, h, g4).is_err(),
                        "{c:?} {w}x{h} +1"
                    );
                    assert!(
                        fax_complete(&data, w - 1, h, g4).is_err(),
                        "{c:?} {w}x{h} -1"
                    );
                }
                let cut = &data[..data.len() / 2];
                if h > 1 {
                    assert!(fax_complete(cut, w, h, g4).is_err(), "{c:?} {w}x{h} cut");
                }
            }
        }
        // Random bytes are not a G3 or G4 page.
        let mut x = 1u32;
        let noise: Vec<u8> = (0..4000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert!(fax_complete(&noise, 1728, 100, false).is_err());
        assert!(fax_complete(&noise, 1728, 100, true).is_err());
    }

    #[test]
    fn a_jpeg_without_a_whole_scan_fails() {
        // SOI, SOF (1 component, table 0), EOI: the 17-byte stream of issue 9.
        let no_scan = [
            0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xFF, 0xD9,
        ];
        assert!(jpeg_complete(&no_scan)
            .unwrap_err()
            .contains("before any scan"));
        let mut dqt = vec![0xFF, 0xD8, 0xFF, 0xDB, 0, 67, 0];
        dqt.extend([1u8; 64]);
        let sof = [0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0];
        let sos = [0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0];
        let whole = [
            &dqt[..],
            &sof,
            &sos,
            &[0x12, 0xFF, 0x00, 0x34],
            &[0xFF, 0xD9],
        ]
        .concat();
        assert_eq!(jpeg_complete(&whole), Ok(()));
        let cut = &whole[..whole.len() - 2];
        assert!(jpeg_complete(cut).unwrap_err().contains("cut short"));
        let empty = [&dqt[..], &sof, &sos, &[0xFF, 0xD9]].concat();
        assert!(jpeg_complete(&empty).unwrap_err().contains("no data"));
        let no_dqt = [&[0xFF, 0xD8][..], &sof, &sos, &[0x12, 0xFF, 0xD9]].concat();
        assert!(jpeg_complete(&no_dqt)
            .unwrap_err()
            .contains("quantisation table 0"));
    }
}

//! PNG row filters for Flate images (PDF `/Predictor 15`): each row is stored with the
//! one of PNG's five filters (None, Sub, Up, Average, Paeth) that leaves the smallest
//! residuals, chosen by libpng's heuristic (least sum of absolute values, bytes read as
//! signed), and a leading byte naming the filter. On scanned photo-like pages this
//! gives Flate 10–15 % less to store than TIFF's horizontal differencing alone, for a
//! few passes over the row (BENCHMARKS.md, "PDF").
//!
//! PNG filters work on bytes, with `bpp` bytes per pixel; 16-bit samples must already
//! be big-endian, as PDF stores them.

/// `rows` (top-down, `row_bytes` each) with every row filtered and prefixed by its
/// filter type; `bpp` is bytes per pixel (at least 1). The cost of a filtered row is
/// libpng's: the sum of its bytes read as signed values, in absolute value (small
/// residuals either way are cheap to code).
pub(crate) fn filter_rows(rows: &[u8], row_bytes: usize, bpp: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() + rows.len() / row_bytes.max(1));
    let zero = vec![0u8; row_bytes];
    let mut cand: [Vec<u8>; 5] = std::array::from_fn(|_| vec![0u8; row_bytes]);
    let mut prev: &[u8] = &zero;
    let lead = bpp.min(row_bytes);
    for row in rows.chunks_exact(row_bytes) {
        let [none, sub, up, avg, paeth] = &mut cand;
        none.copy_from_slice(row);
        // The first pixel has no left neighbour (a = c = 0).
        for i in 0..lead {
            let (b, x) = (prev[i], row[i]);
            sub[i] = x;
            up[i] = x.wrapping_sub(b);
            avg[i] = x.wrapping_sub(b / 2);
            paeth[i] = x.wrapping_sub(b);
        }
        // The rest as whole-slice passes, which the compiler vectorises.
        let (x, a) = (&row[lead..], &row[..row_bytes - lead]);
        let (b, c) = (&prev[lead..], &prev[..row_bytes - lead]);
        for ((o, &x), &a) in sub[lead..].iter_mut().zip(x).zip(a) {
            *o = x.wrapping_sub(a);
        }
        for ((o, &x), &b) in up[lead..].iter_mut().zip(x).zip(b) {
            *o = x.wrapping_sub(b);
        }
        for (((o, &x), &a), &b) in avg[lead..].iter_mut().zip(x).zip(a).zip(b) {
            *o = x.wrapping_sub(((u16::from(a) + u16::from(b)) / 2) as u8);
        }
        for ((((o, &x), &a), &b), &c) in paeth[lead..].iter_mut().zip(x).zip(a).zip(b).zip(c) {
            *o = x.wrapping_sub(paeth_predictor(a, b, c));
        }
        // The first filter of least cost, in PNG's order 0..=4 (None, Sub, Up, Average,
        // Paeth; None wins ties).
        let best = (0..5)
            .min_by_key(|&t| cost(&cand[t]))
            .expect("five candidates");
        out.push(best as u8);
        out.extend_from_slice(&cand[best]);
        prev = row;
    }
    out
}

/// The sum of a filtered row's bytes read as signed values, in absolute value.
fn cost(row: &[u8]) -> u64 {
    // 32-bit sums vectorise better; 2^24 bytes of at most 128 cannot overflow them.
    row.chunks(1 << 24)
        .map(|c| {
            let sum: u32 = c.iter().map(|&v| u32::from((v as i8).unsigned_abs())).sum();
            u64::from(sum)
        })
        .sum()
}

/// The Paeth predictor of PNG: whichever of left, above, upper-left is nearest to
/// left + above − upper-left.
fn paeth_predictor(a: u8, b: u8, c: u8) -> u8 {
    let (a16, b16, c16) = (i16::from(a), i16::from(b), i16::from(c));
    let pa = (b16 - c16).abs(); // |p − a| with p = a + b − c
    let pb = (a16 - c16).abs(); // |p − b|
    let pc = (a16 + b16 - 2 * c16).abs(); // |p − c|
    let b_or_c = if pb <= pc { b } else { c };
    if pa <= pb && pa <= pc {
        a
    } else {
        b_or_c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Filter types, as the leading byte of each row names them.
    const NONE: u8 = 0;
    const SUB: u8 = 1;
    const UP: u8 = 2;
    const AVERAGE: u8 = 3;
    const PAETH: u8 = 4;

    /// PNG's unfiltering (RFC 2083, 6.3–6.6), written from the specification, undoes
    /// every row whichever filter was chosen.
    fn unfilter(data: &[u8], row_bytes: usize, bpp: usize) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for (r, chunk) in data.chunks_exact(row_bytes + 1).enumerate() {
            let start = out.len();
            for i in 0..row_bytes {
                let a = if i >= bpp { out[start + i - bpp] } else { 0 };
                let b = if r > 0 { out[start - row_bytes + i] } else { 0 };
                let c = if r > 0 && i >= bpp {
                    out[start - row_bytes + i - bpp]
                } else {
                    0
                };
                let pred = match chunk[0] {
                    NONE => 0,
                    SUB => a,
                    UP => b,
                    AVERAGE => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    PAETH => paeth_predictor(a, b, c),
                    t => panic!("filter type {t}"),
                };
                out.push(chunk[1 + i].wrapping_add(pred));
            }
        }
        out
    }

    #[test]
    fn every_row_comes_back_and_each_filter_is_chosen_somewhere() {
        let (w, h, bpp) = (37usize, 40usize, 3usize);
        let row_bytes = w * bpp;
        let mut rows = vec![0u8; row_bytes * h];
        for (k, v) in rows.iter_mut().enumerate() {
            let (y, x) = (k / row_bytes, k % row_bytes);
            *v = match y % 5 {
                0 => (x * 7) as u8,                           // ramps along the row: Sub
                1 => ((x * 7) as u8).wrapping_add(3),         // the row above plus 3: Up
                2 => ((x * 31 + y * 17) % 251) as u8,         // noise-like
                3 => (x as u8).wrapping_mul(y as u8),         // products
                _ => ((x / bpp) as u8).wrapping_add(y as u8), // a gradient: Paeth
            };
        }
        let filtered = filter_rows(&rows, row_bytes, bpp);
        assert_eq!(filtered.len(), h * (row_bytes + 1));
        assert_eq!(unfilter(&filtered, row_bytes, bpp), rows);
        let used: std::collections::BTreeSet<u8> =
            filtered.chunks(row_bytes + 1).map(|c| c[0]).collect();
        assert!(used.len() >= 3, "filters used: {used:?}");
    }

    #[test]
    fn a_flat_page_stays_unfiltered_and_a_vertical_pattern_uses_up() {
        let flat = vec![0u8; 8 * 4];
        let f = filter_rows(&flat, 8, 1);
        assert!(f.chunks(9).all(|c| c[0] == NONE));
        let stripes: Vec<u8> = (0..4)
            .flat_map(|_| [0u8, 200, 7, 99, 0, 200, 7, 99])
            .collect();
        let f = filter_rows(&stripes, 8, 1);
        assert!(f
            .chunks(9)
            .skip(1)
            .all(|c| c[0] == UP && c[1..].iter().all(|&v| v == 0)));
    }
}

//! Decoding the streams appending must read in a PDF 1.5+ file: cross-reference
//! streams and object streams, Flate-compressed (zlib-rs's inflate) with or without a
//! PNG predictor, decoded into a buffer of bounded size.

use zlib_rs::{Inflate, InflateFlush, Status};

use super::lexer::{Parsed, Val};

/// The most bytes one decoded stream may take: a cross-reference stream of a million
/// objects at 7 bytes each fits.
pub(crate) const MAX_DECODED: usize = 16 << 20;

/// Why a stream could not be decoded: `Unsupported` for valid data wias does not read
/// (another filter), `Bad` for data that is wrong.
pub(crate) enum DecodeError {
    Unsupported(String),
    Bad(String),
}

/// `data` decoded as the stream dictionary `dict` says (`/Filter`, `/DecodeParms`).
pub(crate) fn decode(dict: &Parsed, data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let filter = match dict.get(b"Filter").map(|p| &p.val) {
        None => None,
        Some(Val::Name(n)) => Some(n.clone()),
        Some(Val::Array(items)) if items.len() == 1 => match &items[0].val {
            Val::Name(n) => Some(n.clone()),
            _ => return Err(DecodeError::Bad("a /Filter that is not a name".into())),
        },
        Some(Val::Array(items)) if items.is_empty() => None,
        _ => {
            return Err(DecodeError::Unsupported(
                "a stream with a chain of filters".into(),
            ))
        }
    };
    let parms = match dict.get(b"DecodeParms").map(|p| &p.val) {
        Some(Val::Array(items)) if items.len() == 1 => Some(&items[0]),
        Some(Val::Dict(_)) => dict.get(b"DecodeParms"),
        None | Some(Val::Null) => None,
        Some(Val::Array(items)) if items.is_empty() => None,
        _ => return Err(DecodeError::Bad("a bad /DecodeParms".into())),
    };
    let raw = match filter.as_deref() {
        None => {
            if parms.is_some() {
                return Err(DecodeError::Bad("/DecodeParms without a filter".into()));
            }
            return Ok(data.to_vec());
        }
        Some(b"FlateDecode") => inflate(data)?,
        Some(f) => {
            return Err(DecodeError::Unsupported(format!(
                "a stream compressed with /{} (wias reads /FlateDecode)",
                String::from_utf8_lossy(f)
            )))
        }
    };
    let int = |k: &[u8], default: i64| -> Result<i64, DecodeError> {
        match parms.and_then(|p| p.get(k)).map(|p| &p.val) {
            None => Ok(default),
            Some(Val::Int(n)) => Ok(*n),
            _ => Err(DecodeError::Bad(format!(
                "/DecodeParms /{} is not an integer",
                String::from_utf8_lossy(k)
            ))),
        }
    };
    match int(b"Predictor", 1)? {
        1 => Ok(raw),
        10..=15 => {
            let (colors, bpc, columns) = (
                int(b"Colors", 1)?,
                int(b"BitsPerComponent", 8)?,
                int(b"Columns", 1)?,
            );
            if !(1..=32).contains(&colors)
                || ![1, 2, 4, 8, 16].contains(&bpc)
                || !(1..=1 << 20).contains(&columns)
            {
                return Err(DecodeError::Bad(
                    "PNG predictor parameters out of range".into(),
                ));
            }
            let bits = (colors * bpc * columns) as usize;
            let bpp = ((colors * bpc) as usize).div_ceil(8);
            unpredict_png(&raw, bits.div_ceil(8), bpp)
        }
        p => Err(DecodeError::Unsupported(format!(
            "a stream with /Predictor {p} (wias reads PNG predictors)"
        ))),
    }
}

/// A zlib stream inflated, refusing more than [`MAX_DECODED`] bytes.
fn inflate(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut z = Inflate::new(true, 15);
    let mut out = Vec::with_capacity((data.len() * 4).min(MAX_DECODED));
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let (in0, out0) = (z.total_in(), z.total_out());
        let input = &data[in0 as usize..];
        let st = z
            .decompress(input, &mut chunk, InflateFlush::NoFlush)
            .map_err(|e| DecodeError::Bad(format!("bad Flate data ({})", e.as_str())))?;
        let produced = (z.total_out() - out0) as usize;
        out.extend_from_slice(&chunk[..produced]);
        if out.len() > MAX_DECODED {
            return Err(DecodeError::Unsupported(format!(
                "a cross-reference or object stream that decodes to more than {} MiB",
                MAX_DECODED >> 20
            )));
        }
        match st {
            Status::StreamEnd => return Ok(out),
            _ if produced == 0 && z.total_in() == in0 => {
                return Err(DecodeError::Bad("Flate data cut short".into()))
            }
            _ => {}
        }
    }
}

/// Rows of `row` bytes, each after a PNG filter-type byte, with the filters undone.
fn unpredict_png(data: &[u8], row: usize, bpp: usize) -> Result<Vec<u8>, DecodeError> {
    if data.len() % (row + 1) != 0 {
        return Err(DecodeError::Bad(
            "PNG-predicted data that is not a whole number of rows".into(),
        ));
    }
    let mut out = Vec::with_capacity(data.len() / (row + 1) * row);
    let mut prev = vec![0u8; row];
    for r in data.chunks_exact(row + 1) {
        let (kind, x) = (r[0], &r[1..]);
        let mut cur = vec![0u8; row];
        for i in 0..row {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            let pred = match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                k => return Err(DecodeError::Bad(format!("PNG filter type {k}"))),
            };
            cur[i] = x[i].wrapping_add(pred);
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_up_rows_come_back() {
        // Two rows of 3 bytes with the Up filter: the second is the difference.
        let data = [2, 1, 2, 3, 2, 1, 1, 1];
        assert_eq!(
            unpredict_png(&data, 3, 1).ok().unwrap(),
            vec![1, 2, 3, 2, 3, 4]
        );
    }

    #[test]
    fn flate_round_trips_through_inflate() {
        let raw: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let z = super::super::flate::compress(&raw).unwrap();
        assert_eq!(inflate(&z).ok().unwrap(), raw);
        assert!(inflate(&z[..z.len() / 2]).is_err());
    }
}

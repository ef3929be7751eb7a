//! TIFF Predictor 2 (horizontal differencing): a stage in front of any codec, as in
//! libtiff, so that LZW and Deflate see small differences instead of photo-like values.

use super::{StripEncoder, StripForm, StripLayout};
use crate::error::Result;
use crate::pixel::PixelType;

/// `inner` fed with horizontally differenced rows.
pub struct Predicted(pub Box<dyn StripEncoder>);

impl StripEncoder for Predicted {
    fn encode(&self, strip: &[u8], layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        let mut diff = strip.to_vec();
        difference(&mut diff, layout.row_bytes, layout.pixel);
        self.0.encode(&diff, layout, out)
    }

    fn rows_multiple(&self) -> u32 {
        self.0.rows_multiple()
    }

    fn form(&self, pixel: PixelType) -> StripForm {
        StripForm {
            predictor: true,
            ..self.0.form(pixel)
        }
    }
}

/// Replaces each sample of each row by its difference from the same sample of the
/// pixel to its left (mod 2^bits). 16-bit samples are little-endian, as we write them.
pub fn difference(data: &mut [u8], row_bytes: usize, pixel: PixelType) {
    let spp = pixel.samples_per_pixel() as usize;
    match pixel.bits_per_sample() {
        8 => {
            for row in data.chunks_mut(row_bytes) {
                for i in (spp..row.len()).rev() {
                    row[i] = row[i].wrapping_sub(row[i - spp]);
                }
            }
        }
        16 => {
            let step = 2 * spp;
            for row in data.chunks_mut(row_bytes) {
                let mut i = row.len() - row.len() % 2;
                while i >= step + 2 {
                    i -= 2;
                    let cur = u16::from_le_bytes([row[i], row[i + 1]]);
                    let left = u16::from_le_bytes([row[i - step], row[i - step + 1]]);
                    row[i..i + 2].copy_from_slice(&cur.wrapping_sub(left).to_le_bytes());
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_rows_difference_per_sample() {
        let mut d = vec![10, 20, 30, 11, 19, 35, 0, 0, 0];
        difference(&mut d, 9, PixelType::Rgb24);
        assert_eq!(d, [10, 20, 30, 1, 255, 5, 245, 237, 221]);
    }

    #[test]
    fn gray16_rows_difference_little_endian() {
        // Two rows of two samples: 0x0102, 0x0100 | 0x0001, 0x0003.
        let mut d = vec![0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x03, 0x00];
        difference(&mut d, 4, PixelType::Gray16);
        assert_eq!(d, [0x02, 0x01, 0xFE, 0xFF, 0x01, 0x00, 0x02, 0x00]);
    }
}

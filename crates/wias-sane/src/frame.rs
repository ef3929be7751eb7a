//! SANE frames → one page in WIA page-buffer form (docs/driver-rules.md): top-down rows
//! padded to a byte, RGB order, bilevel 0 = black, 16-bit samples little-endian.
//!
//! What SANE sends differs in four ways, each undone here line by line as the bytes
//! arrive: lineart is 1 = black (inverted); 16-bit samples are in host byte order
//! (made little-endian); a line may carry padding past its pixels (`bytes_per_line` is
//! longer than the pixels need: dropped); and a three-pass scanner sends red, green and
//! blue as separate frames (merged into RGB). `sane_read` returns any number of bytes,
//! so a line may arrive in pieces.

use wias::PixelType;

use crate::error::{Error, Result};
use crate::ffi::Parameters;

/// `SANE_Frame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Gray,
    Rgb,
    /// One colour of a three-pass scan: 0 red, 1 green, 2 blue.
    Channel(usize),
}

/// The shape of one frame, from `sane_get_parameters` after `sane_start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameLayout {
    pub kind: FrameKind,
    pub width: u32,
    pub depth: u32,
    /// Bytes per line as sent (may include padding).
    pub bytes_per_line: usize,
    /// Lines, or `None` for a hand scanner (height −1: known at the end).
    pub lines: Option<u32>,
}

impl FrameLayout {
    pub fn from_parameters(p: &Parameters) -> Result<FrameLayout> {
        let kind = match p.format {
            0 => FrameKind::Gray,
            1 => FrameKind::Rgb,
            2..=4 => FrameKind::Channel((p.format - 2) as usize),
            f => {
                return Err(Error::Frame(format!(
                    "a frame of format {f}, which SANE 1.0 does not define"
                )))
            }
        };
        let width = u32::try_from(p.pixels_per_line)
            .ok()
            .filter(|&w| w > 0)
            .ok_or_else(|| Error::Frame(format!("{} pixels per line", p.pixels_per_line)))?;
        let depth = match (kind, p.depth) {
            (FrameKind::Gray, 1 | 8 | 16) => p.depth as u32,
            (FrameKind::Rgb | FrameKind::Channel(_), 8 | 16) => p.depth as u32,
            (_, d) => {
                return Err(Error::Frame(format!(
                    "{d}-bit {} frames; pages are 1, 8 or 16-bit gray or 8 or 16-bit colour \
                     (choose another --depth or --mode)",
                    if kind == FrameKind::Gray {
                        "gray"
                    } else {
                        "colour"
                    }
                )))
            }
        };
        let layout = FrameLayout {
            kind,
            width,
            depth,
            bytes_per_line: usize::try_from(p.bytes_per_line).unwrap_or(0),
            lines: match p.lines {
                -1 => None,
                l if l > 0 => Some(l as u32),
                l => return Err(Error::Frame(format!("a frame of {l} lines"))),
            },
        };
        if layout.bytes_per_line < layout.line_bytes() {
            return Err(Error::Frame(format!(
                "{} bytes per line, fewer than {} pixels at {} bits need ({})",
                p.bytes_per_line,
                width,
                depth * layout.samples() as u32,
                layout.line_bytes()
            )));
        }
        Ok(layout)
    }

    fn samples(&self) -> usize {
        if self.kind == FrameKind::Rgb {
            3
        } else {
            1
        }
    }

    /// Bytes of pixels in one line (without padding).
    fn line_bytes(&self) -> usize {
        (self.width as usize * self.samples() * self.depth as usize).div_ceil(8)
    }

    /// The pixel type of the page this frame belongs to.
    pub fn pixel(&self) -> PixelType {
        match (self.kind, self.depth) {
            (FrameKind::Gray, 1) => PixelType::Bilevel,
            (FrameKind::Gray, 8) => PixelType::Gray8,
            (FrameKind::Gray, _) => PixelType::Gray16,
            (_, 8) => PixelType::Rgb24,
            _ => PixelType::Rgb48,
        }
    }

    /// Bytes the whole page will take as sent (all frames), when the length is known.
    pub fn page_bytes(&self) -> Option<u64> {
        let frames = if matches!(self.kind, FrameKind::Channel(_)) {
            3
        } else {
            1
        };
        self.lines
            .map(|l| u64::from(l) * self.bytes_per_line as u64 * frames)
    }
}

/// One scanned page in page-buffer form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub pixel: PixelType,
    pub width: u32,
    pub lines: u32,
    /// False for a hand scanner: the device did not know the length before the end.
    pub length_known: bool,
    /// Lines the device announced but did not send (0 normally).
    pub missing_lines: u32,
    pub data: Vec<u8>,
}

/// The most bytes reserved for a page before its lines arrive: more than an A4 page
/// of 48-bit colour at 600 dpi (200 MB), far less than a declared length a device can
/// get wrong (2^31-1 lines of a 10,000-pixel line is 21 TB).
pub const RESERVE_AT_MOST: usize = 256 << 20;

/// Collects the frames of one page.
pub struct PageBuilder {
    first: FrameLayout,
    frame: FrameLayout,
    pixel: PixelType,
    row: usize,
    data: Vec<u8>,
    /// Complete lines of the current frame.
    y: u32,
    /// Line counts of finished frames.
    done: Vec<u32>,
    /// The start of a line that arrived in pieces.
    carry: Vec<u8>,
}

impl PageBuilder {
    /// A page whose first frame is `first`, collected in `data` (emptied first; pass
    /// the previous page's buffer to save allocating and faulting in a new one).
    ///
    /// The length the device declares is a hint, never an allocation: memory for up to
    /// [`RESERVE_AT_MOST`] bytes of it is asked for (when the system has it), and the
    /// page grows as its lines arrive, so a device that declares 2^31-1 lines costs
    /// what it sends, and one that sends more than memory holds gets
    /// [`Error::PageTooLarge`] instead of an abort.
    pub fn new(first: FrameLayout, mut data: Vec<u8>) -> PageBuilder {
        let pixel = first.pixel();
        let row = (first.width as usize * pixel.depth() as usize).div_ceil(8);
        let lines = first.lines.unwrap_or(0) as usize;
        data.clear();
        // A failed reservation is no error: the lines may still fit as they come.
        let _ = data.try_reserve(row.saturating_mul(lines).min(RESERVE_AT_MOST));
        PageBuilder {
            first,
            frame: first,
            pixel,
            row,
            data,
            y: 0,
            done: Vec::new(),
            carry: Vec::with_capacity(first.bytes_per_line),
        }
    }

    /// Starts the next frame of a three-pass page; it must match the first.
    pub fn next_frame(&mut self, f: FrameLayout) -> Result<()> {
        let same = matches!(f.kind, FrameKind::Channel(_))
            && matches!(self.first.kind, FrameKind::Channel(_))
            && f.width == self.first.width
            && f.depth == self.first.depth;
        if !same {
            return Err(Error::Frame(format!(
                "a {:?} frame of {} pixels at {} bits after a {:?} frame of {} at {}",
                f.kind, f.width, f.depth, self.first.kind, self.first.width, self.first.depth
            )));
        }
        self.frame = f;
        self.y = 0;
        self.carry.clear();
        Ok(())
    }

    /// Bytes from `sane_read`. [`Error::PageTooLarge`] when the page's lines no
    /// longer fit in memory (the lines before are kept, but the page is not whole).
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<()> {
        let bpl = self.frame.bytes_per_line;
        if !self.carry.is_empty() {
            let take = (bpl - self.carry.len()).min(bytes.len());
            self.carry.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.carry.len() < bpl {
                return Ok(());
            }
            let line = std::mem::take(&mut self.carry);
            let done = self.line(&line);
            self.carry = line;
            self.carry.clear();
            done?;
        }
        let mut lines = bytes.chunks_exact(bpl);
        for line in &mut lines {
            self.line(line)?;
        }
        self.carry.extend_from_slice(lines.remainder());
        Ok(())
    }

    /// Room for one more line of the page (at `end` bytes), or the error that says
    /// the page does not fit in memory.
    fn room(&mut self, end: usize) -> Result<()> {
        let more = end.saturating_sub(self.data.len());
        self.data
            .try_reserve(more)
            .map_err(|_| Error::PageTooLarge {
                bytes: end as u64,
                lines: self.y,
                declared: self.first.lines,
            })
    }

    /// One line as sent (with its padding).
    fn line(&mut self, line: &[u8]) -> Result<()> {
        let f = self.frame;
        let src = &line[..f.line_bytes()];
        let at = self.y as usize * self.row;
        let end = match f.kind {
            FrameKind::Channel(_) => at + self.row,
            _ => self.data.len() + self.row,
        };
        self.room(end)?;
        match f.kind {
            FrameKind::Channel(c) => {
                if self.data.len() < at + self.row {
                    self.data.resize(at + self.row, 0);
                }
                let out = &mut self.data[at..at + self.row];
                if f.depth == 8 {
                    for (x, &v) in src.iter().enumerate() {
                        out[x * 3 + c] = v;
                    }
                } else {
                    for (x, s) in src.chunks_exact(2).enumerate() {
                        let v = u16::from_ne_bytes([s[0], s[1]]).to_le_bytes();
                        out[x * 6 + c * 2..x * 6 + c * 2 + 2].copy_from_slice(&v);
                    }
                }
            }
            _ if f.depth == 1 => self.data.extend(src.iter().map(|b| !b)),
            _ if f.depth == 16 => self.data.extend(
                src.chunks_exact(2)
                    .flat_map(|s| u16::from_ne_bytes([s[0], s[1]]).to_le_bytes()),
            ),
            _ => self.data.extend_from_slice(src),
        }
        self.y += 1;
        Ok(())
    }

    /// Ends the current frame (`SANE_STATUS_EOF`); a partial last line is dropped.
    pub fn end_frame(&mut self) {
        self.done.push(self.y);
        self.carry.clear();
    }

    /// The page, once every frame has ended.
    pub fn finish(mut self) -> Result<Page> {
        let three = matches!(self.first.kind, FrameKind::Channel(_));
        if three && self.done.len() != 3 {
            return Err(Error::Frame(format!(
                "{} colour frames for a three-pass page (3 expected)",
                self.done.len()
            )));
        }
        let lines = self.done.iter().copied().min().unwrap_or(0);
        if lines == 0 {
            return Err(Error::Frame("a page without a single complete line".into()));
        }
        self.data.truncate(lines as usize * self.row);
        Ok(Page {
            pixel: self.pixel,
            width: self.first.width,
            lines,
            length_known: self.first.lines.is_some(),
            missing_lines: self.first.lines.map_or(0, |l| l.saturating_sub(lines)),
            data: self.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(format: i32, ppl: i32, bpl: i32, lines: i32, depth: i32) -> FrameLayout {
        FrameLayout::from_parameters(&Parameters {
            format,
            last_frame: true,
            bytes_per_line: bpl,
            pixels_per_line: ppl,
            lines,
            depth,
        })
        .unwrap()
    }

    /// Feeds `bytes` in pieces of every size from 1 to 7, as read limits would.
    fn feed_pieces(b: &mut PageBuilder, bytes: &[u8]) {
        let mut rest = bytes;
        let mut n = 1;
        while !rest.is_empty() {
            let k = n.min(rest.len());
            b.feed(&rest[..k]).unwrap();
            rest = &rest[k..];
            n = n % 7 + 1;
        }
    }

    #[test]
    fn lineart_is_inverted_and_padding_dropped() {
        // 10 pixels need 2 bytes; the device pads lines to 3.
        let f = params(0, 10, 3, 2, 1);
        let mut b = PageBuilder::new(f, vec![9; 100]);
        feed_pieces(&mut b, &[0xF0, 0x40, 0xEE, 0x0F, 0x80, 0xEE]);
        b.end_frame();
        let p = b.finish().unwrap();
        assert_eq!(p.pixel, PixelType::Bilevel);
        assert_eq!(p.data, [0x0F, 0xBF, 0xF0, 0x7F]);
    }

    #[test]
    fn sixteen_bit_samples_become_little_endian() {
        let f = params(1, 1, 6, 1, 16);
        let mut b = PageBuilder::new(f, vec![9; 100]);
        let host: Vec<u8> = [0x1234u16, 0xABCD, 0x00FF]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        b.feed(&host).unwrap();
        b.end_frame();
        let p = b.finish().unwrap();
        assert_eq!(p.pixel, PixelType::Rgb48);
        assert_eq!(p.data, [0x34, 0x12, 0xCD, 0xAB, 0xFF, 0x00]);
    }

    #[test]
    fn three_frames_merge_into_rgb_in_any_order() {
        let mut b = PageBuilder::new(params(4, 2, 2, 2, 8), Vec::new());
        b.feed(&[31, 32, 33, 34]).unwrap(); // blue
        b.end_frame();
        b.next_frame(params(2, 2, 2, 2, 8)).unwrap();
        feed_pieces(&mut b, &[11, 12, 13, 14]); // red
        b.end_frame();
        b.next_frame(params(3, 2, 2, 2, 8)).unwrap();
        b.feed(&[21, 22, 23, 24]).unwrap(); // green
        b.end_frame();
        let p = b.finish().unwrap();
        assert_eq!(p.pixel, PixelType::Rgb24);
        assert_eq!(p.data, [11, 21, 31, 12, 22, 32, 13, 23, 33, 14, 24, 34]);
        // A gray frame cannot join a three-pass page.
        let mut b = PageBuilder::new(params(2, 2, 2, 2, 8), Vec::new());
        assert!(b.next_frame(params(0, 2, 2, 2, 8)).is_err());
    }

    #[test]
    fn hand_scanner_and_short_pages_take_the_lines_sent() {
        let mut b = PageBuilder::new(params(0, 3, 3, -1, 8), Vec::new());
        feed_pieces(&mut b, &[1, 2, 3, 4, 5, 6, 7, 8]); // 2 lines and a piece
        b.end_frame();
        let p = b.finish().unwrap();
        assert_eq!((p.lines, p.length_known, p.missing_lines), (2, false, 0));
        assert_eq!(p.data, [1, 2, 3, 4, 5, 6]);
        let mut b = PageBuilder::new(params(0, 3, 3, 5, 8), Vec::new());
        b.feed(&[1, 2, 3]).unwrap();
        b.end_frame();
        let p = b.finish().unwrap();
        assert_eq!((p.lines, p.missing_lines), (1, 4));
        let mut b = PageBuilder::new(params(0, 3, 3, 5, 8), Vec::new());
        b.end_frame();
        assert!(b.finish().is_err(), "an empty page is an error");
    }

    /// A declared length is no allocation: 2^31-1 lines of 10,000 pixels (21 TB)
    /// reserve at most [`RESERVE_AT_MOST`] and the lines sent are the page (this
    /// aborted the process, "memory allocation of ... bytes failed", before).
    #[test]
    fn an_absurd_declared_length_allocates_what_is_sent() {
        for kind in [0, 2] {
            let f = params(kind, 10_000, 10_000, i32::MAX, 8);
            let mut b = PageBuilder::new(f, Vec::new());
            assert!(b.data.capacity() <= RESERVE_AT_MOST);
            b.feed(&vec![7; 30_000]).unwrap();
            b.end_frame();
            if kind == 2 {
                for c in [3, 4] {
                    b.next_frame(params(c, 10_000, 10_000, i32::MAX, 8))
                        .unwrap();
                    b.feed(&vec![7; 30_000]).unwrap();
                    b.end_frame();
                }
            }
            let p = b.finish().unwrap();
            assert_eq!(p.lines, 3);
            assert_eq!(p.missing_lines, i32::MAX as u32 - 3);
            assert!(p.data.iter().all(|&v| v == 7));
        }
    }

    #[test]
    fn impossible_frames_are_refused() {
        let bad = |format, ppl, bpl, lines, depth| {
            FrameLayout::from_parameters(&Parameters {
                format,
                last_frame: true,
                bytes_per_line: bpl,
                pixels_per_line: ppl,
                lines,
                depth,
            })
            .unwrap_err()
            .to_string()
        };
        assert!(bad(1, 8, 3, 1, 1).contains("1-bit colour"));
        assert!(bad(0, 8, 7, 1, 8).contains("7 bytes per line"));
        assert!(bad(9, 8, 8, 1, 8).contains("format 9"));
        assert!(bad(0, 0, 8, 1, 8).contains("0 pixels"));
    }
}

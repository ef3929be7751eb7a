//! The multipage TIFF writer for sinks that cannot seek (pipes, sockets, `-o -`).
//!
//! Every byte is written once, in file order. The one thing a page's IFD needs that is
//! not known when the page arrives is its next-IFD offset: 0 if it is the last page, or
//! where the next page's IFD will be. So each page's strip data go out at once, and
//! only its IFD (a few hundred bytes) is held back until the next page has been encoded
//! (its data length then fixes where its IFD lands) or the document is finished.
//!
//! Layout, with every piece placed by the same rule as in the seekable writer
//! ([`place`]: data at an even offset, the IFD after them with its next-IFD field
//! aligned), under the same limits (classic TIFF's 4 GiB, `Options::max_file_size`):
//!
//! ```text
//! header (first IFD = IFD 1) | data 1 | IFD 1 (next = IFD 2) | data 2 | IFD 2 (next = 0)
//! ```
//!
//! A serialised IFD's length does not depend on its next-IFD value, so where IFD k ends
//! is known before the next page comes; when it comes, only IFD k's next-IFD field is
//! filled in. A stream cut short shows the pages up to the last IFD written; the last
//! page becomes part of the file only in [`StreamWriter::finish`].

use std::io::Write;

use super::encode::{encode_page, EncoderCache};
use super::ifd::{IfdBytes, Variant};
use super::layout::{classic_header, place, EncodedPage, Limits, Placement};
use super::options::{Options, CLASSIC_LIMIT};
use super::passthrough::passthrough_page;
use crate::codec::Compression;
use crate::error::{Error, Result};
use crate::geometry::PageSpec;

/// A multipage TIFF written to a plain [`Write`] sink, without seeking.
///
/// ```
/// use std::io::Cursor;
/// use wias::{PageSpec, PixelType, tiff::{Options, StreamWriter, TiffFile}};
/// let mut doc = StreamWriter::new(Vec::new(), Options::default());
/// doc.write_page(&PageSpec::new(4, 1, PixelType::Gray8), &[0, 85, 170, 255])?;
/// doc.write_page(&PageSpec::new(8, 1, PixelType::Bilevel), &[0x0F])?;
/// let bytes = doc.finish()?;
/// let file = TiffFile::read(&mut Cursor::new(bytes))?;
/// assert_eq!(file.directories.len(), 2);
/// assert!(file.problems().is_empty());
/// # Ok::<(), wias::Error>(())
/// ```
pub struct StreamWriter<W: Write> {
    sink: W,
    options: Options,
    encoder: EncoderCache,
    /// Bytes written so far: the file offset of the next byte.
    pos: u64,
    /// The last page's IFD (serialised with next = 0) and where it goes, written when
    /// its successor is known.
    held: Option<(IfdBytes, u64)>,
    pages: u32,
    /// Set after a failed write: the stream is then in an unknown state.
    broken: bool,
}

impl<W: Write> StreamWriter<W> {
    /// A document that will be written to `sink`. Nothing is written until the first
    /// page, whose data length decides the header's first-IFD offset.
    pub fn new(sink: W, options: Options) -> Self {
        StreamWriter {
            sink,
            options,
            encoder: EncoderCache::default(),
            pos: 0,
            held: None,
            pages: 0,
            broken: false,
        }
    }

    /// Pages accepted so far (the last of them is written out by [`finish`](Self::finish)).
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Encodes one page of top-down rows (the page-buffer layout of `docs/driver-rules.md`)
    /// and writes its strip data, together with the previous page's IFD, now that its
    /// next-IFD offset is known. A page that fails to encode writes nothing, so the
    /// document stays usable.
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> Result<()> {
        self.check_usable()?;
        let index = self.pages;
        let encoder = self.encoder.get(&self.options.codec, spec)?;
        let page = encode_page(spec, rows, index, &self.options, encoder)?;
        self.append_encoded(page)
    }

    /// Writes a page a device already compressed (G3, G4 or JPEG data) without
    /// decoding it, as [`TiffWriter::write_encoded_page`](super::TiffWriter::write_encoded_page) does.
    pub fn write_encoded_page(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        data: &[u8],
    ) -> Result<()> {
        self.check_usable()?;
        let page = passthrough_page(spec, compression, data, self.pages, &self.options)?;
        self.append_encoded(page)
    }

    /// After a failed write the stream's offsets no longer match what went out.
    fn check_usable(&self) -> Result<()> {
        if self.broken {
            return Err(Error::BrokenStream(
                "no more pages can be written to it".into(),
            ));
        }
        Ok(())
    }

    fn append_encoded(&mut self, page: EncodedPage<'_>) -> Result<()> {
        let number = self.pages + 1;
        // Where everything goes, before a byte is written.
        let free = match &self.held {
            Some((ifd, at)) => at + ifd.bytes.len() as u64,
            None => classic_header(0).len() as u64,
        };
        let limits = Limits {
            classic_end: CLASSIC_LIMIT,
            promote: false,
            max_file_size: self.options.max_file_size,
            end_limit: None,
        };
        let Placement::Here(p) = place(&page, free, Variant::Classic, &limits, number)? else {
            unreachable!("a stream never promotes");
        };
        let ifd_at = u32::try_from(p.ifd_at).map_err(|_| Error::SizeOverflow {
            what: "TIFF offset",
            detail: format!("IFD at byte {} in a classic TIFF", p.ifd_at),
        })?;
        let (prefix_at, prefix) = match self.held.take() {
            Some((mut prev, at)) => {
                let k = prev.next_field as usize;
                prev.bytes[k..k + 4].copy_from_slice(&ifd_at.to_le_bytes());
                (at, prev.bytes)
            }
            None => (0, classic_header(ifd_at).to_vec()),
        };
        let r = self
            .pad_to(prefix_at)
            .and_then(|_| self.put(&prefix))
            .and_then(|_| self.pad_to(p.data_at))
            .and_then(|_| page.data.parts().try_for_each(|d| self.put(d)));
        if let Err(e) = r {
            // Some bytes may be out: the offsets no longer match the stream.
            self.broken = true;
            return Err(e);
        }
        // The previous IFD is out (linked to this page); this page's waits.
        self.held = Some((p.bytes, p.ifd_at));
        self.pages = number;
        Ok(())
    }

    /// Writes the last page's IFD (next = 0), flushes, and gives the sink back. A
    /// document without pages is an error ([`Error::NoPages`]): a TIFF must have at
    /// least one IFD.
    pub fn finish(mut self) -> Result<W> {
        if self.broken {
            return Err(Error::BrokenStream(
                "the document cannot be finished".into(),
            ));
        }
        let Some((ifd, at)) = self.held.take() else {
            return Err(Error::NoPages("a TIFF needs at least one page".into()));
        };
        self.pad_to(at)?;
        self.put(&ifd.bytes)?;
        self.sink
            .flush()
            .map_err(|e| Error::io("flushing the TIFF stream", e))?;
        Ok(self.sink)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.sink
            .write_all(bytes)
            .map_err(|e| Error::io("writing the TIFF stream", e))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Writes zero bytes up to offset `at` (a few at most: the padding that aligns a
    /// piece).
    fn pad_to(&mut self, at: u64) -> Result<()> {
        debug_assert!(at >= self.pos && at - self.pos < 8);
        if at > self.pos {
            let pad = [0; 8];
            self.put(&pad[..(at - self.pos) as usize])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiff::{DateTime, TiffFile, TiffWriter};
    use crate::PixelType;
    use std::io::{Cursor, Read, Seek};

    fn opts() -> Options {
        Options::default()
            .date_time(DateTime::Fixed("2026:01:01 00:00:00".into()))
            .strip_bytes(64)
    }

    /// A sink that is `Write` only, so a seek cannot sneak in.
    struct Pipe(Vec<u8>);
    impl Write for Pipe {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn pages() -> Vec<(PageSpec, Vec<u8>)> {
        // Odd lengths everywhere, so the alignment padding is exercised.
        vec![
            (PageSpec::new(7, 3, PixelType::Gray8), (0..21).collect()),
            (PageSpec::new(9, 5, PixelType::Bilevel), vec![0xA5; 10]),
            (
                PageSpec::new(3, 31, PixelType::Rgb24),
                (0..=255).cycle().take(279).collect(),
            ),
        ]
    }

    #[test]
    fn chain_is_sound_and_strips_hold_the_rows() {
        let mut doc = StreamWriter::new(Pipe(Vec::new()), opts());
        for (s, d) in pages() {
            doc.write_page(&s, &d).unwrap();
        }
        let bytes = doc.finish().unwrap().0;
        let mut c = Cursor::new(bytes);
        let file = TiffFile::read(&mut c).unwrap();
        assert!(file.problems().is_empty(), "{:?}", file.problems());
        assert_eq!(file.directories.len(), 3);
        for (dir, (spec, rows)) in file.directories.iter().zip(pages()) {
            assert_eq!(dir.offset % 2, 0);
            let offs = dir
                .get(crate::tiff::tags::tag::STRIP_OFFSETS)
                .unwrap()
                .ints()
                .unwrap()
                .to_vec();
            let lens = dir
                .get(crate::tiff::tags::tag::STRIP_BYTE_COUNTS)
                .unwrap()
                .ints()
                .unwrap()
                .to_vec();
            let mut got = Vec::new();
            for (o, l) in offs.iter().zip(&lens) {
                let mut buf = vec![0; *l as usize];
                c.seek(std::io::SeekFrom::Start(*o)).unwrap();
                c.read_exact(&mut buf).unwrap();
                got.extend(buf);
            }
            let mut rows = rows;
            if spec.pixel == PixelType::Bilevel {
                got.iter_mut().for_each(|b| *b = !*b); // WhiteIsZero on disk
                                                       // Row padding is written white (0 on disk); compare pixels only.
                let row = spec.row_bytes(1).unwrap() as usize;
                let keep = !(0xFFu8 >> (spec.width % 8));
                if spec.width % 8 != 0 {
                    for r in got.chunks_exact_mut(row).chain(rows.chunks_exact_mut(row)) {
                        r[row - 1] &= keep;
                    }
                }
            }
            assert_eq!(got, rows);
        }
    }

    #[test]
    fn same_pages_same_tags_as_the_seekable_writer() {
        let mut s = StreamWriter::new(Vec::new(), opts());
        let mut w = TiffWriter::new(Cursor::new(Vec::new()), opts()).unwrap();
        for (spec, d) in pages() {
            s.write_page(&spec, &d).unwrap();
            w.write_page(&spec, &d).unwrap();
        }
        let a = TiffFile::read(&mut Cursor::new(s.finish().unwrap())).unwrap();
        let b = TiffFile::read(&mut Cursor::new(w.finish().unwrap().into_inner())).unwrap();
        for (x, y) in a.directories.iter().zip(&b.directories) {
            let strip = |e: &&crate::tiff::Entry| e.tag != crate::tiff::tags::tag::STRIP_OFFSETS;
            let xs: Vec<_> = x
                .entries
                .iter()
                .filter(strip)
                .map(|e| (e.tag, &e.value))
                .collect();
            let ys: Vec<_> = y
                .entries
                .iter()
                .filter(strip)
                .map(|e| (e.tag, &e.value))
                .collect();
            assert_eq!(xs, ys);
        }
    }

    #[test]
    fn a_bad_page_writes_nothing_and_the_document_goes_on() {
        let mut doc = StreamWriter::new(Vec::new(), opts());
        doc.write_page(&PageSpec::new(2, 2, PixelType::Gray8), &[1, 2, 3, 4])
            .unwrap();
        let e = doc
            .write_page(&PageSpec::new(2, 2, PixelType::Gray8), &[1, 2, 3])
            .unwrap_err();
        assert!(matches!(e, Error::WrongDataLength { .. }));
        let bytes = doc.finish().unwrap();
        let file = TiffFile::read(&mut Cursor::new(bytes)).unwrap();
        assert_eq!(file.directories.len(), 1);
        assert!(file.problems().is_empty());
    }

    #[test]
    fn no_pages_is_an_error() {
        let doc = StreamWriter::new(Vec::new(), opts());
        assert!(doc
            .finish()
            .unwrap_err()
            .to_string()
            .contains("at least one page"));
    }

    #[test]
    fn max_file_size_is_honoured_before_a_byte_of_the_page_goes_out() {
        let spec = PageSpec::new(16, 16, PixelType::Gray8);
        let rows = vec![7; 256];
        let mut one = StreamWriter::new(Vec::new(), opts());
        one.write_page(&spec, &rows).unwrap();
        let one_page = one.finish().unwrap().len() as u64;
        // Room for one page, not two.
        let mut doc = StreamWriter::new(Vec::new(), opts().max_file_size(one_page + 100));
        doc.write_page(&spec, &rows).unwrap();
        let written = doc.sink.len();
        let e = doc.write_page(&spec, &rows).unwrap_err();
        assert!(matches!(e, Error::Limit { page: 2, .. }), "{e:?}");
        assert!(e.is_medium_full());
        assert_eq!(doc.sink.len(), written, "nothing of page 2 went out");
        let bytes = doc.finish().unwrap();
        assert!(bytes.len() as u64 <= one_page + 100);
        let file = TiffFile::read(&mut Cursor::new(bytes)).unwrap();
        assert_eq!(file.directories.len(), 1);
        assert!(file.problems().is_empty());
    }
}

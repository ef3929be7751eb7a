//! The one page path of [`TiffWriter`]: the public `write_page*` calls are thin
//! wrappers over [`TiffWriter::write`], which asks `route::plan` how the page goes
//! and copies, streams, encodes whole or passes it through; every way ends in the
//! same placement and link (`append_encoded`, in the parent module).

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::{page_write_error, TiffWriter};
use crate::codec::Compression;
use crate::error::{Error, Result};
use crate::geometry::PageSpec;
use crate::tiff::byteorder::ByteOrder;
use crate::tiff::encode::{
    encode_page, raw_page, short_rows, stream_page, strip_count, worst_case_len, BilevelRows, Rows,
    StripSink,
};
use crate::tiff::ifd::Variant;
use crate::tiff::layout::{align2, place, Placement, HEADER_ROOM};
use crate::tiff::passthrough::passthrough_page;
use crate::tiff::route::{plan, Facts, PageInput, Route};

impl<W: Write + Seek> TiffWriter<W> {
    /// Encodes and appends one page of top-down rows (the page-buffer layout of
    /// `docs/driver-rules.md`: bilevel 0 = black, MSB first; 16-bit samples little-endian),
    /// then links it. Returns the offset of the page's IFD. On error the document still
    /// holds every earlier page.
    pub fn write_page(&mut self, spec: &PageSpec, rows: &[u8]) -> Result<u64> {
        self.write(spec, PageInput::<std::io::Empty>::Rows(rows))
    }

    /// [`TiffWriter::write_page`] with the page's rows read from `rows` (exactly
    /// `spec`'s image bytes, in page-buffer form), so the page need not be in memory:
    ///
    /// - uncompressed pages that are stored as they come (8-bit, 16-bit in a
    ///   little-endian file; not bilevel, whose bits are inverted) are copied from
    ///   `rows` into the file with [`std::io::copy`], which between two files on Linux
    ///   copies in the kernel (`copy_file_range`);
    /// - encoded continuous-tone pages, and bilevel pages under any fixed codec (not
    ///   `auto`, which may need the rows twice), are read a strip at a time by the
    ///   threads that encode them (bilevel strips inverted as they are read), each
    ///   strip going to the file as soon as it and the ones before it are done;
    /// - any other page is read into memory and written as by `write_page`.
    ///
    /// Input that ends before the page does fails the page
    /// ([`Error::WrongDataLength`]), as does a failed read; either way every earlier
    /// page stays in the document, as for every failed page.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::{PageSpec, PixelType, tiff::{Options, TiffWriter}};
    /// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    /// let spec = PageSpec::new(4, 2, PixelType::Gray8);
    /// doc.write_page_from(&spec, &mut &[0u8, 64, 128, 255, 255, 128, 64, 0][..])?;
    /// assert!(doc.write_page_from(&spec, &mut &[1u8, 2, 3][..]).is_err()); // 3 of 8 bytes
    /// assert_eq!(doc.pages(), 1);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn write_page_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
    ) -> Result<u64> {
        self.write(spec, PageInput::Reader(rows, BilevelRows::BlackIsZero))
    }

    /// [`TiffWriter::write_page_from`] for a bilevel page whose rows are in the
    /// other convention: **1 = black**, as a PBM (P4) raster and the TIFF pages we
    /// write store them (page buffers, and `write_page_from`, say 0 = black). Each
    /// row is `(width + 7) / 8` bytes; the unused bits at the end of a row are
    /// ignored (stored white). With any fixed codec, uncompressed too, the rows are
    /// read a strip at a time and written as they are encoded, never inverted; with
    /// `auto` (which samples the whole page) or near a file size limit the page is
    /// read into memory first. A page that is not bilevel is an error.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::{PageSpec, PixelType, tiff::{Options, TiffWriter}};
    /// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    /// let spec = PageSpec::new(3, 2, PixelType::Bilevel);
    /// // Row 1: black, white, black (1 = black; the low 5 bits are padding).
    /// doc.write_bilevel_page_from(&spec, &mut &[0b1010_0111u8, 0b0000_0000][..])?;
    /// assert!(doc.write_bilevel_page_from(&spec, &mut &[0u8][..]).is_err()); // 1 of 2
    /// assert_eq!(doc.pages(), 1);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn write_bilevel_page_from<R: Read + Send>(
        &mut self,
        spec: &PageSpec,
        rows: &mut R,
    ) -> Result<u64> {
        if !spec.pixel.is_bilevel() {
            return Err(Error::invalid(
                "pixel type",
                spec.pixel,
                "write_bilevel_page_from takes bilevel pages only",
            ));
        }
        self.write(spec, PageInput::Reader(rows, BilevelRows::BlackIsOne))
    }

    /// The one page path: [`route::plan`] picks the way from facts about the page and
    /// the file, then the page is copied, streamed, placed whole or passed through.
    fn write<R: Read + Send>(&mut self, spec: &PageSpec, input: PageInput<'_, R>) -> Result<u64> {
        let total = if let PageInput::Reader(..) = input {
            spec.validate()?;
            spec.image_bytes(1)?
        } else {
            0
        };
        let facts = Facts::of(
            &input,
            spec.pixel,
            self.options.codec.compression,
            self.byte_order == ByteOrder::Big,
            self.header_pending,
        );
        let route = plan(&facts, || {
            let multiple = self.encoder.get(&self.options.codec, spec)?.rows_multiple();
            Ok(self.fits_streamed(spec, multiple))
        })?;
        let index = self.chain.pages;
        match (route, input) {
            (Route::Passthrough, PageInput::Encoded(compression, data)) => {
                let page = passthrough_page(spec, compression, data, index, &self.options)?;
                self.append_encoded(page)
            }
            (Route::Copy, PageInput::Reader(rows, _)) => self.copy_page(spec, rows, total),
            (Route::Stream, PageInput::Rows(data)) => self.stream(spec, Rows::<R>::Memory(data)),
            (Route::Stream, PageInput::Reader(r, bilevel)) => {
                self.stream(spec, Rows::Reader(r, bilevel))
            }
            (Route::Whole, PageInput::Rows(data)) => {
                let encoder = self.encoder.get(&self.options.codec, spec)?;
                let page = encode_page(spec, data, index, &self.options, encoder)?;
                self.append_encoded(page)
            }
            (Route::ReadFirst, PageInput::Reader(rows, bilevel)) => {
                let data = read_page(rows, total, spec.pixel.is_bilevel(), bilevel)?;
                self.write_page(spec, &data)
            }
            (route, _) => unreachable!("route::plan gives {route:?} only for other input"),
        }
    }

    /// Whether a page of `spec` written a strip at a time (its size unknown until
    /// it is written) surely fits the file's limits where it would go, so that no limit
    /// can refuse it after its data are out, nor make the file a BigTIFF (pages that
    /// might are placed whole). Never for a deferred header's first page, which must
    /// leave the sink untouched when it fails.
    fn fits_streamed(&self, spec: &PageSpec, rows_multiple: u32) -> bool {
        if self.header_pending {
            return false;
        }
        let (Ok(raw), Ok(strips)) = (
            spec.image_bytes(1),
            strip_count(spec, &self.options, rows_multiple),
        ) else {
            return false; // the whole-page path reports what is wrong
        };
        let software = self.options.software.as_ref().map_or(0, |s| s.len() as u64);
        let ifd = 4096 + strips.saturating_mul(16) + software;
        let worst = align2(self.end.max(HEADER_ROOM))
            .saturating_add(worst_case_len(raw, strips))
            .saturating_add(ifd);
        let l = self.limits();
        let mut max = l.max_file_size;
        if let Some((m, _)) = l.end_limit {
            max = max.min(m);
        }
        if self.variant() == Variant::Classic {
            max = max.min(l.classic_end.min(Variant::Classic.max_offset()));
        }
        worst <= max
    }

    /// Places a page whose strips go to the end of the file as soon as each and the
    /// strips before it are encoded (see `route`), so the encoded page is never held
    /// whole; the IFD follows them and the link comes last, as for every page. A
    /// failure part way leaves strips past the chain's end, where no link points (and
    /// the space is not reused): every earlier page stays as it was.
    fn stream<R: Read + Send>(&mut self, spec: &PageSpec, rows: Rows<'_, R>) -> Result<u64> {
        let data_at = align2(self.end.max(HEADER_ROOM));
        let number = self.chain.pages + 1;
        let mut sink = FileStrips {
            sink: &mut self.sink,
            data_at,
            pos: data_at,
            touched: data_at,
            sought: false,
            number,
        };
        let encoder = self.encoder.get(&self.options.codec, spec)?;
        let page = stream_page(spec, rows, number - 1, &self.options, encoder, &mut sink);
        let touched = sink.touched;
        let result = page.and_then(|page| self.append_encoded(page));
        // Whatever happened, bytes up to `touched` may have been written.
        self.end = self.end.max(touched);
        result
    }

    /// Copies an uncompressed page's rows from `rows` to its place, then writes its IFD
    /// and link. The place is known before anything is written (the page's size is), so
    /// every limit is checked first, as for a page in memory.
    fn copy_page<R: Read>(&mut self, spec: &PageSpec, rows: &mut R, total: u64) -> Result<u64> {
        let number = self.chain.pages + 1;
        let page = raw_page(spec, number - 1, &self.options)?;
        let free = self.end.max(HEADER_ROOM);
        let placement = place(&page, free, self.variant(), &self.limits(), number)?;
        let data_at = match &placement {
            Placement::Here(p) => p.data_at,
            Placement::Promote { data_at } => *data_at,
        };
        let copied = self
            .sink
            .seek(SeekFrom::Start(data_at))
            .and_then(|_| io::copy(&mut rows.take(total), &mut self.sink));
        // Bytes up to the page's data end may have been written, whatever happened.
        self.end = self.end.max(data_at + total);
        let copied = copied.map_err(|e| page_write_error(number, "data (copying its rows)", e))?;
        if copied < total {
            return Err(short_rows(total, copied));
        }
        match placement {
            Placement::Here(p) => self.link_page(&page.data, p),
            Placement::Promote { data_at } => self.promote_with(page, data_at),
        }
    }

    /// Appends one page whose data a device already compressed, without decoding or
    /// re-encoding them: `compression` is [`Compression::G4`] or [`Compression::G3`]
    /// (1-D) for bilevel pages, [`Compression::Jpeg`] for gray8 and rgb24 pages (a
    /// baseline JPEG stream; its frame must match `spec`). The page is one strip.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use wias::{Compression, PageSpec, PixelType, tiff::{Options, TiffWriter}};
    /// // Group 4 data of an all-white 8×2 page: two V0 codes, then EOFB.
    /// let g4 = [0b1100_0000, 0x04, 0x00, 0x40];
    /// let mut doc = TiffWriter::new(Cursor::new(Vec::new()), Options::default())?;
    /// doc.write_encoded_page(&PageSpec::new(8, 2, PixelType::Bilevel), Compression::G4, &g4)?;
    /// assert_eq!(doc.pages(), 1);
    /// # Ok::<(), wias::Error>(())
    /// ```
    pub fn write_encoded_page(
        &mut self,
        spec: &PageSpec,
        compression: Compression,
        data: &[u8],
    ) -> Result<u64> {
        self.write(
            spec,
            PageInput::<std::io::Empty>::Encoded(compression, data),
        )
    }
}

/// The strip sink of a streamed page: each strip goes right after the one before it
/// in the file, from `data_at` on (one seek for the page, unless it rewinds).
struct FileStrips<'s, W> {
    sink: &'s mut W,
    data_at: u64,
    pos: u64,
    /// The first byte past everything this page wrote or tried to.
    touched: u64,
    sought: bool,
    /// The page's number, for errors.
    number: u32,
}

impl<W: Write + Seek> StripSink for FileStrips<'_, W> {
    fn strip(&mut self, bytes: &[u8]) -> Result<()> {
        if !self.sought {
            self.sink
                .seek(SeekFrom::Start(self.pos))
                .map_err(|e| page_write_error(self.number, "data", e))?;
            self.sought = true;
        }
        self.pos += bytes.len() as u64;
        self.touched = self.touched.max(self.pos);
        self.sink
            .write_all(bytes)
            .map_err(|e| page_write_error(self.number, "data", e))
    }

    fn rewind(&mut self) -> Result<()> {
        (self.pos, self.sought) = (self.data_at, false);
        Ok(())
    }
}

/// A page's `total` bytes of rows read from `rows` into memory, in page-buffer form
/// (bilevel rows in `bilevel`'s convention turned to 0 = black).
fn read_page<R: Read>(
    rows: &mut R,
    total: u64,
    is_bilevel: bool,
    bilevel: BilevelRows,
) -> Result<Vec<u8>> {
    let len = usize::try_from(total).map_err(|_| Error::SizeOverflow {
        what: "page",
        detail: format!("{total} bytes"),
    })?;
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| {
        Error::io(
            format!("allocating {len} bytes for the page"),
            io::ErrorKind::OutOfMemory.into(),
        )
    })?;
    let got = rows
        .take(total)
        .read_to_end(&mut data)
        .map_err(|e| Error::io("reading the page's rows", e))?;
    if got < len {
        return Err(short_rows(total, got as u64));
    }
    if is_bilevel && bilevel == BilevelRows::BlackIsOne {
        // To page-buffer form, which `write_page` takes (and inverts back).
        data.iter_mut().for_each(|b| *b = !*b);
    }
    Ok(data)
}

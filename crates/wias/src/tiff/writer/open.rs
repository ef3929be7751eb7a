//! Opening an existing document to add pages: in O(1) through the chain tail of a
//! document wias wrote, else by one walk of the chain that checks what appending
//! relies on (`docs/format.md`, "another program's file").

use std::io::{Read, Seek, SeekFrom, Write};

use super::grow::{reread_chain, Growth};
use super::{refuse_unsyncable, SyncFn, TiffWriter};
use crate::error::{Error, Result};
use crate::tiff::append_check::{check_link_field_is_free, check_sound, check_strips_inside};
use crate::tiff::byteorder::ByteOrder;
use crate::tiff::extents::{data_extents, Reach};
use crate::tiff::ifd::Variant;
use crate::tiff::layout::ChainEnd;
use crate::tiff::options::Options;
use crate::tiff::reader::{Directory, TiffFile};
use crate::tiff::tail;

impl<W: Read + Write + Seek> TiffWriter<W> {
    /// Opens an existing TIFF document in `sink` to add pages: walks and validates the
    /// chain once (and that every strip lies inside the file), then appends at the end
    /// of the sink.
    ///
    /// [`Durability::Sync`](crate::tiff::Durability::Sync) is refused here, as in
    /// [`TiffWriter::new`]; see
    /// [`TiffWriter::append_to_synced`].
    pub fn append_to(sink: W, options: Options) -> Result<Self> {
        Self::open_chain(sink, options, None)
    }

    /// [`TiffWriter::append_to`] with `sync` to make written bytes durable.
    pub fn append_to_synced(sink: W, options: Options, sync: SyncFn<W>) -> Result<Self> {
        Self::open_chain(sink, options, Some(sync))
    }

    fn open_chain(mut sink: W, options: Options, sync: Option<SyncFn<W>>) -> Result<Self> {
        refuse_unsyncable(&options, sync.is_some())?;
        if let Some((chain, first_ifd, variant)) = tail::trusted_chain_end(&mut sink) {
            // A little-endian document of ours whose tail checked out in O(1): the
            // next page's data overwrite the tail.
            let end = sink
                .seek(SeekFrom::End(0))
                .map_err(|e| Error::io("finding the end of the file", e))?
                - tail::TAIL_LEN;
            let mut w = TiffWriter::resumed(sink, chain, end, options, sync);
            w.first_ifd = first_ifd;
            w.tail = true;
            // The chain is read (and checked) only if the file grows past 4 GiB.
            w.growth = match variant {
                Variant::Classic => Growth::Promotable(reread_chain::<W>),
                Variant::Big => Growth::Big,
            };
            return Ok(w);
        }
        // No usable tail: one walk, which reads each directory into the same buffers
        // and keeps none (a hostile file of dense IFDs would take many times its size
        // in memory if the chain were kept). It checks that every strip and tile lies
        // inside the file, and notes the span of each page's data (16 bytes a page,
        // less than the smallest IFD it stands for): the one field appending writes,
        // the last IFD's next-IFD field, is known only at the end, and only a page
        // whose span covers it has to be looked at again. Whether bytes 8..16 are
        // free for a BigTIFF header is asked only if the file grows past 4 GiB, when
        // the chain is read again anyway (`reread_chain`).
        let len = sink
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("finding the end of the file", e))?;
        let mut first_ifd = 0;
        let mut spans = Vec::new();
        let mut last = Directory::default();
        let mut p = 0;
        // The lint needs the variant before the walk reports it (a header the walk
        // refuses never reaches the closure).
        let variant = header_variant(&mut sink)?;
        let mut unsound = None;
        let walked = TiffFile::walk_into(&mut sink, &mut last, |d, _| {
            p += 1;
            if first_ifd == 0 {
                first_ifd = d.offset;
            }
            check_strips_inside(d, len, p)?;
            // A page readers cannot read as it stands is no document to add to; said
            // after the link-field check, the more direct reason (`check_page`'s order).
            if unsound.is_none() {
                unsound = check_sound(d, p, len, variant).err();
            }
            spans.push(data_span(d));
            Ok(())
        })?;
        let (variant, pages) = (walked.variant, walked.pages);
        let last = (pages > 0).then_some(last);
        if let Some(last) = &last {
            let width = if variant == Variant::Big { 8 } else { 4 };
            let field = last.next_field..last.next_field + width;
            check_link_field_is_free(field.start, variant, pages, true, last)?;
            // The IFD tables of the other pages count too (their spans hold them).
            let covered = spans[..pages - 1]
                .iter()
                .any(|&(lo, hi)| lo < field.end && hi > field.start);
            drop(spans);
            if covered {
                // A damaged or hostile file: the exact check, page by page.
                let mut p = 0;
                TiffFile::walk_into(&mut sink, &mut Directory::default(), |d, _| {
                    p += 1;
                    check_link_field_is_free(field.start, variant, p, p == pages, d)
                })?;
            }
        }
        if let Some(e) = unsound {
            return Err(e);
        }
        let first_field = if variant == Variant::Big { 8 } else { 4 };
        let chain = ChainEnd {
            link_field: last.as_ref().map_or(first_field, |d| d.next_field),
            last_ifd: last.as_ref().map(|d| d.offset),
            pages: pages as u32,
        };
        let end = sink
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("finding the end of the file", e))?;
        let mut w = TiffWriter::resumed(sink, chain, end, options, sync);
        w.first_ifd = first_ifd;
        // New pages of an MM document are written big-endian (IFDs and links), so
        // every reader sees one byte order.
        w.byte_order = walked.byte_order;
        // The chain is read again, whole, only if the file grows past 4 GiB.
        w.growth = match (variant, walked.byte_order) {
            (Variant::Big, _) => Growth::Big,
            (Variant::Classic, ByteOrder::Big) => Growth::Classic(
                "growing a big-endian (MM) TIFF into a BigTIFF is not supported".into(),
            ),
            (Variant::Classic, ByteOrder::Little) => Growth::Promotable(reread_chain::<W>),
        };
        // Our pages in a little-endian file get a tail, so that the next append need
        // not walk; the file's own bytes are not touched by it (see `tail`).
        w.tail = walked.byte_order == ByteOrder::Little;
        Ok(w)
    }
}

/// The bytes directory `d` and the data of known size it points at span, from the
/// first to the last (what [`check_link_field_is_free`] looks at, as one range): a
/// field outside it overlaps none of them.
fn data_span(d: &Directory) -> (u64, u64) {
    let table = (d.offset, d.next_field.saturating_add(8));
    data_extents(d)
        .filter_map(|x| match x.reach {
            Reach::Bytes(n) => Some((x.at, x.at.saturating_add(n.max(1)))),
            _ => None,
        })
        .fold(table, |(lo, hi), (a, b)| (lo.min(a), hi.max(b)))
}

/// Classic or BigTIFF, as the header's version field says (42 or 43, either byte
/// order); Classic for anything else, which the walk then refuses.
fn header_variant<R: Read + Seek>(sink: &mut R) -> Result<Variant> {
    let mut head = Vec::with_capacity(4);
    sink.seek(SeekFrom::Start(0))
        .and_then(|_| sink.take(4).read_to_end(&mut head))
        .map_err(|e| Error::io("reading the TIFF header", e))?;
    Ok(match head.get(2..4) {
        Some([0, 43]) | Some([43, 0]) => Variant::Big,
        _ => Variant::Classic,
    })
}

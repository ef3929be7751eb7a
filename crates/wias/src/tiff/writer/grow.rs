//! Growing the document into a BigTIFF in place when a page would pass the classic
//! limit: what the file may become ([`Growth`]), and the promotion itself
//! (`docs/format.md`, "growing into a BigTIFF in place").

use std::io::{Read, Seek, SeekFrom, Write};

use super::{write_at, TiffWriter};
use crate::error::{Error, Result};
use crate::tiff::append_check::check_page;
use crate::tiff::ifd::{Ifd, Variant};
use crate::tiff::layout::{bigtiff_header, classic_header, ChainEnd, EncodedPage, HEADER_ROOM};
use crate::tiff::promote::{bigtiff_chain, promotable_chain};
use crate::tiff::reader::TiffFile;

/// Reads a sink's whole chain again as IFDs to rewrite in BigTIFF form, or says why the
/// file cannot be promoted.
pub(super) type RereadChain<W> = fn(&mut W) -> std::result::Result<Vec<Ifd>, String>;

/// What the file is, and what it may become. Nothing is kept per page: a promotion,
/// which happens at most once, reads the chain back from the sink (the writer's own
/// pages included), so memory stays flat whatever the page count.
pub(super) enum Growth<W> {
    /// Classic; past the classic limit the chain is read back with this function and
    /// rewritten in BigTIFF form after the new page.
    Promotable(RereadChain<W>),
    /// Classic for good, and why: the reason becomes the error if a page would pass
    /// the classic limit (resumed without the chain, bytes 8..16 in use, sub-IFDs, ...).
    Classic(String),
    /// A BigTIFF.
    Big,
}

impl<W> Growth<W> {
    pub(super) fn variant(&self) -> Variant {
        match self {
            Growth::Big => Variant::Big,
            _ => Variant::Classic,
        }
    }
}

/// The whole chain of the file in `sink` as IFDs to rewrite in BigTIFF form, for the
/// promotion of a file opened with [`TiffWriter::append_to`]. A file reopened through
/// its tail was not walked, so the strips and the link field are checked here too.
pub(super) fn reread_chain<W: Read + Seek>(sink: &mut W) -> std::result::Result<Vec<Ifd>, String> {
    let room = read_room(sink).map_err(|e| format!("reading its header failed ({e})"))?;
    let file = TiffFile::read(sink).map_err(|e| format!("reading its chain again failed ({e})"))?;
    let n = file.directories.len();
    let last_field = file.directories.last().map_or(0, |d| d.next_field);
    for (i, d) in file.directories.iter().enumerate() {
        check_page(d, i + 1, file.len, file.variant, last_field, i + 1 == n)
            .map_err(|e| format!("its chain is damaged ({e})"))?;
    }
    promotable_chain(&file, room)
}

/// Bytes 8..16 of the file: where a BigTIFF header would go (zeros past a short
/// file's end; the walk says what is wrong with such a file).
fn read_room<R: Read + Seek>(sink: &mut R) -> Result<[u8; 8]> {
    let mut room = Vec::with_capacity(8);
    sink.seek(SeekFrom::Start(8))
        .and_then(|_| sink.take(8).read_to_end(&mut room))
        .map_err(|e| Error::io("reading the TIFF header", e))?;
    room.resize(8, 0);
    Ok(room.try_into().expect("8 bytes"))
}

impl<W: Write + Seek> TiffWriter<W> {
    /// Adds `page` and turns the classic file into a BigTIFF in place: the page's data
    /// go at the end as usual, then the whole chain (old pages and this one) is written
    /// once more in BigTIFF form after it, then the 16-byte header is switched in one
    /// write. Until that write the file is the classic document it was (the new bytes
    /// are unreferenced); after it, the BigTIFF chain with the new page. Strip data
    /// never move, so the old directories' offsets stay right.
    pub(super) fn promote_with(&mut self, page: EncodedPage<'_>, data_at: u64) -> Result<u64> {
        let number = self.chain.pages + 1;
        let dirs = match &self.growth {
            // The whole chain as it is now, the pages this writer added included.
            Growth::Promotable(reread) => reread(&mut self.sink),
            Growth::Classic(why) => Err(why.clone()),
            Growth::Big => Err("the file is a BigTIFF already".into()),
        };
        let dirs = match dirs {
            Ok(d) => d,
            Err(why) => {
                let e = Error::SizeOverflow {
                    what: "TIFF file",
                    detail: format!(
                        "page {number} would pass the classic TIFF limit, and the file cannot become a BigTIFF: {why}; nothing of the page was written",
                    ),
                };
                // A chain that cannot be read back once will not be read the next time.
                self.growth = Growth::Classic(why);
                return Err(e);
            }
        };
        let new_ifd = page.ifd_at(data_at, Variant::Big)?;
        let chain = bigtiff_chain(&dirs, new_ifd, data_at + page.data.len())?;
        self.limits().check(number, chain.end)?;
        self.write_pending_header()?;
        let result = self.place(data_at, &page.data, chain.at, &chain.bytes);
        self.end = self.end.max(chain.end);
        result?;
        if self.durable() {
            self.sync()?;
        }
        let switched = write_at(
            &mut self.sink,
            0,
            &bigtiff_header(chain.at),
            "switching the header to BigTIFF",
        )
        .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        if switched.is_err() {
            // Part of the new header may be in the file: put the classic one back
            // (best effort; the first error is the one reported). first_ifd came from
            // a classic header, so it fits.
            let mut classic = classic_header(self.first_ifd as u32).to_vec();
            classic.resize(HEADER_ROOM as usize, 0);
            let _ = write_at(&mut self.sink, 0, &classic, "restoring the classic header")
                .and_then(|()| self.sink.flush().map_err(|e| Error::io("flushing", e)));
        }
        switched?;
        if self.durable() {
            self.sync()?;
        }
        self.growth = Growth::Big;
        self.chain = ChainEnd {
            link_field: chain.last_next_field,
            last_ifd: Some(chain.last),
            pages: number,
        };
        let last_ifd = &chain.bytes[(chain.last - chain.at) as usize..];
        self.write_tail(chain.last_linked_from, last_ifd);
        Ok(chain.last)
    }
}

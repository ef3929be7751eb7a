//! TIFF container: tags, IFDs, the seekable multipage writer and the structure reader.
//!
//! How a page joins a document so that nothing is lost (the link protocol, the chain
//! tail, BigTIFF promotion, the transfer-context check), with the test behind each
//! failure case: `docs/format.md`.
//!
//! Modules, each importing only those listed before it:
//! `tags` (the tag table: numbers, names, types, what points where; typed values) →
//! `ifd` (one directory, serialised) → `byteorder` (II or MM; an IFD turned big-endian) →
//! `options` (document settings) → `layout` (where pieces go; chain end) →
//! `auto` (what `auto` writes for a bilevel page) →
//! `encode` (page → strips + tags, the strips encoded by `codec::strips`) →
//! `passthrough` (device-compressed pages, checked, not decoded) →
//! `route` (which way a page goes: the writer's one decision) →
//! `reader` (structure of an existing file) →
//! `extents` (every place one directory's data reach) →
//! `lint` (`wias inspect`'s verdict: problems and notes) →
//! `append_check` (what appending checks of an existing file) /
//! `promote` (BigTIFF rewrite of an existing chain) →
//! `tail` (the 32-byte record at the end that makes reopening O(1)) →
//! `context_check` (the O(1) check of the IFD a transfer context names) →
//! `writer` (seekable writer, link protocol; its `page` path, `open` for existing
//! files, `grow` into a BigTIFF) → `file` (create/append/sync) →
//! `stream` (the writer for pipes); `header` (the single-page header of a callback
//! transfer) uses `encode` and `layout`. The writer lock is `crate::lock`'s.

mod append_check;
mod auto;
pub(crate) use encode::pick_bilevel;
mod byteorder;
mod context_check;
mod encode;
mod extents;
mod file;
mod header;
mod ifd;
mod layout;
mod lint;
mod options;
mod passthrough;
pub(crate) use options::tiff_time;
mod promote;
mod reader;
mod route;
mod stream;
pub mod tags;
mod tail;
mod writer;

/// The writer lock, kept here for callers of the time it lived under `tiff`; it is
/// [`crate::lock`]'s, for every container.
pub use crate::lock::{lock_file, open_locked};
pub use byteorder::ByteOrder;
pub(crate) use context_check::check_last_ifd;
pub use header::single_page_header;
pub use ifd::Variant;
pub use layout::ChainEnd;
pub use lint::{page_findings, page_problems, Findings};
pub use options::{
    BigTiff, DateTime, Durability, Options, DEFAULT_DEFLATE_STRIP_BYTES, DEFAULT_JPEG_STRIP_BYTES,
    DEFAULT_STRIP_BYTES,
};
pub use reader::{Directory, Entry, EntryValue, TiffFile, Walked};
pub use stream::StreamWriter;
pub use writer::{SyncFn, TiffWriter};

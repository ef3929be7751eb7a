//! TIFF container: tags, IFDs, the seekable multipage writer and the structure reader.

mod header;
mod ifd;
mod page;
mod reader;
mod resume;
mod stream;
pub mod tags;
mod writer;

pub use header::single_page_header;
pub use ifd::{Ifd, Variant};
pub use page::{DateTime, Options};
pub use reader::{page_problems, Directory, Entry, EntryValue, TiffFile};
pub(crate) use resume::check_last_ifd;
pub use stream::StreamWriter;
pub use writer::{lock_file, open_locked, BigTiff, ChainEnd, Durability, TiffWriter};

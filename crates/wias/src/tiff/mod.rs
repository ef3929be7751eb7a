//! TIFF container: tags, IFDs, the seekable multipage writer and the structure reader.

mod header;
mod ifd;
mod page;
mod reader;
mod stream;
pub mod tags;
mod writer;

pub use header::single_page_header;
pub use ifd::{Ifd, Variant};
pub use page::{DateTime, Options};
pub use reader::{Directory, Entry, EntryValue, TiffFile};
pub use stream::StreamWriter;
pub use writer::{BigTiff, ChainEnd, Durability, TiffWriter};

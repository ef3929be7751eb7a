//! The settings of a TIFF document: codec, strips, tags every page carries, how safely
//! and how far the file grows. Plain data: nothing here writes.

use super::ifd::Variant;
use crate::codec::{CodecSettings, Compression};
use crate::pixel::PixelType;
#[cfg(doc)]
use {super::TiffWriter, crate::Error};

/// How `DateTime` is filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateTime {
    /// The time of writing, UTC.
    Now,
    /// A fixed string, `YYYY:MM:DD HH:MM:SS` (reproducible output).
    Fixed(String),
    /// No DateTime tag.
    Omit,
}

impl DateTime {
    /// A fixed time given in Unix seconds (UTC), e.g. from `SOURCE_DATE_EPOCH`, so that
    /// two runs over the same pages give the same bytes.
    ///
    /// ```
    /// use wias::tiff::DateTime;
    /// assert_eq!(DateTime::at_unix(0), DateTime::Fixed("1970:01:01 00:00:00".into()));
    /// ```
    pub fn at_unix(secs: i64) -> Self {
        DateTime::Fixed(tiff_time(secs))
    }

    /// [`DateTime::at_unix`] of `SOURCE_DATE_EPOCH` when it is set to whole seconds
    /// (the reproducible-builds convention, which the C ABI and the CLI both honour),
    /// else [`DateTime::Now`]. A value that is not a number is ignored, as other tools
    /// that honour the variable do not refuse to run over it.
    pub fn from_env() -> Self {
        match std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
        {
            Some(secs) => DateTime::at_unix(secs),
            None => DateTime::Now,
        }
    }
}

/// Uncompressed bytes per strip when [`Options::strip_bytes`] is not set, for every
/// codec but JPEG, and Deflate on gray and colour pages: small enough that a page's
/// strips keep every core busy and a reader can fetch part of a page, large enough that
/// per-strip costs (two offsets, a codec restart) do not show.
pub const DEFAULT_STRIP_BYTES: usize = 64 * 1024;

/// Uncompressed bytes per strip of gray and colour Deflate pages when
/// [`Options::strip_bytes`] is not set. Each strip is a zlib stream of its own: its first rows find no match in the rows
/// above, and libdeflate's fast level ends Huffman blocks there. At 512 KiB (211 rows of
/// an A4 300 dpi gray page, 17 strips) files are 1–2 % smaller than at 64 KiB for the same
/// time (BENCHMARKS.md, "Sizes, round 3"). Bilevel pages keep [`DEFAULT_STRIP_BYTES`]
/// in Deflate too: `auto` weighs G4 against Deflate on the same strips.
pub const DEFAULT_DEFLATE_STRIP_BYTES: usize = 512 * 1024;

/// Uncompressed bytes per strip of JPEG pages when [`Options::strip_bytes`] is not set.
/// Every JPEG strip is a self-contained JPEG stream carrying its own quantisation and
/// Huffman tables (≈330 bytes for gray, ≈600 for YCbCr), where libtiff writes them once
/// per page (JPEGTables); at 64 KiB strips that made gray pages 1.2 % larger than
/// libtiff's. At this size (264 rows of an A4 300 dpi gray page, 14 strips, still
/// enough for two or more cores) the tables cost less than libtiff's JPEGTables and
/// strip headers together: gray files 0.1 % smaller than libtiff's at the same quality
/// (BENCHMARKS.md, "Sizes, round 3").
pub const DEFAULT_JPEG_STRIP_BYTES: usize = 640 * 1024;

/// Settings of a TIFF document, shared by all its pages.
///
/// ```
/// use wias::tiff::Options;
/// let opts = Options::default().strip_bytes(128 * 1024).software(None);
/// assert_eq!(opts.strip_bytes_setting(), Some(128 * 1024));
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    pub(crate) codec: CodecSettings,
    /// `None`: the codec's default ([`Options::strip_bytes_for`]).
    pub(crate) strip_bytes: Option<usize>,
    pub(crate) software: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) artist: Option<String>,
    pub(crate) page_count: Option<u32>,
    pub(crate) icc: bool,
    pub(crate) date_time: DateTime,
    pub(crate) max_file_size: u64,
    /// Durability, BigTIFF promotion: what the file writer does.
    pub(crate) file: FileSettings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            codec: CodecSettings::default(),
            strip_bytes: None,
            software: Some(format!("wias {}", env!("CARGO_PKG_VERSION"))),
            description: None,
            artist: None,
            page_count: None,
            icc: false,
            date_time: DateTime::Now,
            max_file_size: u64::MAX,
            file: FileSettings::default(),
        }
    }
}

impl Options {
    /// Codec and codec settings for every page.
    pub fn codec(mut self, codec: CodecSettings) -> Self {
        self.codec = codec;
        self
    }

    /// Uncompressed bytes per strip to aim for (at least one row per strip), for every
    /// codec. Unset, each codec has its own ([`Options::strip_bytes_for`]).
    pub fn strip_bytes(mut self, n: usize) -> Self {
        self.strip_bytes = Some(n.max(1));
        self
    }

    /// The Software tag; `None` leaves it out.
    pub fn software(mut self, s: Option<String>) -> Self {
        self.software = s;
        self
    }

    /// The ImageDescription tag of every page (a document title); `None` leaves it out.
    pub fn description(mut self, s: Option<String>) -> Self {
        self.description = s;
        self
    }

    /// The Artist tag of every page (the document's author); `None` leaves it out.
    pub fn artist(mut self, s: Option<String>) -> Self {
        self.artist = s;
        self
    }

    /// The document's page count when it is known before the first page (`wias write`
    /// of files): PageNumber becomes n/N instead of n/0 ("unknown", as TIFF 6.0
    /// allows). Counts past 65535 are written as 0.
    pub fn page_count(mut self, n: Option<u32>) -> Self {
        self.page_count = n;
        self
    }

    /// With `true`, RGB pages carry an ICC profile tag (34675): the sRGB profile wias
    /// builds (the one PDF/A files use, 996 bytes), which archival profiles such as
    /// checkit_tiff's TIFF 6.0 baseline ask of RGB pages.
    pub fn icc_profile(mut self, on: bool) -> Self {
        self.icc = on;
        self
    }

    /// How DateTime is written.
    pub fn date_time(mut self, d: DateTime) -> Self {
        self.date_time = d;
        self
    }

    /// The largest file the document may grow to. A page that would end past it fails
    /// before any of its bytes are written, as a full medium (`STG_E_MEDIUMFULL`); the C
    /// ABI sets `i32::MAX` because its `LONG` IFD offsets stop there.
    pub fn max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    /// The file size limit set by [`Options::max_file_size`].
    pub fn max_file_size_setting(&self) -> u64 {
        self.max_file_size
    }

    /// The uncompressed strip size set by [`Options::strip_bytes`]; `None` when each
    /// codec's default applies.
    pub fn strip_bytes_setting(&self) -> Option<usize> {
        self.strip_bytes
    }

    /// The uncompressed strip size aimed for on `pixel` pages written with
    /// `compression`: the size set by [`Options::strip_bytes`], otherwise
    /// [`DEFAULT_STRIP_BYTES`], [`DEFAULT_DEFLATE_STRIP_BYTES`] for Deflate on gray and
    /// colour pages, or [`DEFAULT_JPEG_STRIP_BYTES`] for JPEG.
    ///
    /// ```
    /// use wias::tiff::{Options, DEFAULT_DEFLATE_STRIP_BYTES, DEFAULT_JPEG_STRIP_BYTES};
    /// use wias::tiff::DEFAULT_STRIP_BYTES;
    /// use wias::{Compression, PixelType};
    /// let unset = Options::default();
    /// let gray = PixelType::Gray8;
    /// assert_eq!(unset.strip_bytes_for(Compression::Lzw, gray), DEFAULT_STRIP_BYTES);
    /// assert_eq!(unset.strip_bytes_for(Compression::Deflate, gray), DEFAULT_DEFLATE_STRIP_BYTES);
    /// assert_eq!(unset.strip_bytes_for(Compression::Deflate, PixelType::Bilevel), DEFAULT_STRIP_BYTES);
    /// assert_eq!(unset.strip_bytes_for(Compression::Jpeg, gray), DEFAULT_JPEG_STRIP_BYTES);
    /// let set = Options::default().strip_bytes(8192);
    /// assert_eq!(set.strip_bytes_for(Compression::Jpeg, gray), 8192);
    /// ```
    pub fn strip_bytes_for(&self, compression: Compression, pixel: PixelType) -> usize {
        self.strip_bytes.unwrap_or(match compression {
            Compression::Deflate if !pixel.is_bilevel() => DEFAULT_DEFLATE_STRIP_BYTES,
            Compression::Jpeg => DEFAULT_JPEG_STRIP_BYTES,
            _ => DEFAULT_STRIP_BYTES,
        })
    }

    /// The strip size aimed for on a page of `pixel` type, with the codec this
    /// document's [`CodecChoice`](crate::CodecChoice) starts from for it.
    pub(crate) fn page_strip_bytes(&self, pixel: PixelType) -> usize {
        self.strip_bytes_for(self.codec.compression.resolve(pixel), pixel)
    }

    /// The codec settings set by [`Options::codec`].
    pub fn codec_setting(&self) -> &CodecSettings {
        &self.codec
    }

    /// The Software tag set by [`Options::software`].
    pub fn software_setting(&self) -> Option<&str> {
        self.software.as_deref()
    }

    /// How DateTime is written, as set by [`Options::date_time`].
    pub fn date_time_setting(&self) -> &DateTime {
        &self.date_time
    }
}

/// How far a page must have got before [`TiffWriter::write_page`] returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Page data, IFD and link are handed to the operating system before the call
    /// returns. A killed process loses nothing it acknowledged; a power loss or kernel
    /// crash may lose recent pages (never the file's structure: see below).
    #[default]
    Flush,
    /// Also `fdatasync` the page data and IFD before the link is written, and the link
    /// after: an acknowledged page survives a power loss. Costs two syncs per page; the
    /// writer must be able to sync its sink (files from [`TiffWriter::create`] /
    /// [`TiffWriter::append`], or [`TiffWriter::new_synced`]); any other is refused
    /// when it is made.
    Sync,
}

/// What happens when a classic TIFF, whose offsets are 32-bit, would pass its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BigTiff {
    /// Promote the file to BigTIFF in place when a page would end past this byte
    /// (clamped to the 4 GiB classic limit, the default). Strip data never move: the IFD
    /// chain is rewritten once in BigTIFF form at the end, then the header is switched
    /// in one small write. A small threshold lets tests promote small files.
    PromoteAt(u64),
    /// Stay classic: a page that would end past `limit` bytes (clamped to 4 GiB) is
    /// refused with [`Error::SizeOverflow`] before a byte of it is written. For callers
    /// whose offsets are narrower still, like the C ABI's 32-bit signed `LONG`.
    Never { limit: u64 },
}

impl Default for BigTiff {
    fn default() -> Self {
        BigTiff::PromoteAt(CLASSIC_LIMIT)
    }
}

/// The largest end offset a classic TIFF page may have.
pub(crate) const CLASSIC_LIMIT: u64 = Variant::Classic.max_offset();

/// The file-level settings of [`Options`]: how safely and how far a document grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FileSettings {
    pub durability: Durability,
    pub bigtiff: BigTiff,
}

impl Options {
    /// How far each page gets before `write_page` returns (default [`Durability::Flush`]).
    ///
    /// ```
    /// use wias::tiff::{Durability, Options};
    /// let opts = Options::default().durability(Durability::Sync);
    /// assert_eq!(opts.durability_setting(), Durability::Sync);
    /// ```
    pub fn durability(mut self, d: Durability) -> Self {
        self.file.durability = d;
        self
    }

    /// What to do at the classic TIFF's 4 GiB limit (default: promote to BigTIFF there).
    ///
    /// ```
    /// use wias::tiff::{BigTiff, Options};
    /// let opts = Options::default().bigtiff(BigTiff::PromoteAt(1 << 20));
    /// assert_eq!(opts.bigtiff_setting(), BigTiff::PromoteAt(1 << 20));
    /// ```
    pub fn bigtiff(mut self, b: BigTiff) -> Self {
        self.file.bigtiff = b;
        self
    }

    /// The durability set.
    pub fn durability_setting(&self) -> Durability {
        self.file.durability
    }

    /// The BigTIFF policy set.
    pub fn bigtiff_setting(&self) -> BigTiff {
        self.file.bigtiff
    }
}

/// The current UTC time as TIFF's `YYYY:MM:DD HH:MM:SS`.
pub(crate) fn now_tiff() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    tiff_time(secs)
}

/// Unix seconds to `YYYY:MM:DD HH:MM:SS` (proleptic Gregorian, UTC), by the
/// days-to-civil algorithm of H. Hinnant.
pub(crate) fn tiff_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
        y,
        m,
        d,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiff_time_matches_known_dates() {
        assert_eq!(tiff_time(0), "1970:01:01 00:00:00");
        assert_eq!(tiff_time(951_782_400), "2000:02:29 00:00:00");
        assert_eq!(tiff_time(1_795_610_096), "2026:11:25 12:34:56");
    }
}

//! Strip codecs behind one small interface: encode one strip of rows into bytes.
//!
//! The container (TIFF) cuts a page into strips, asks a strip encoder for each, and
//! writes the results in order. Bilevel strips arrive in TIFF WhiteIsZero form
//! (1 = black), multi-byte samples little-endian. The horizontal-differencing
//! predictor is a stage in front of any codec (`predictor::Predicted`), as in
//! libtiff, not code inside each codec.
//!
//! Which implementation sits behind each codec, and the measurements behind the
//! choice, are in `BENCHMARKS.md` ("Compression").

use crate::error::{Error, Result};
use crate::pixel::PixelType;

mod bits;
pub(crate) mod check;
mod deflate;
mod fax;
mod fax_tables;
mod jpeg;
pub(crate) mod jpeg_stream;
mod lzw;
mod packbits;
mod predictor;
pub(crate) mod strips;
mod table;

/// Test rows shared by the encoders' unit tests.
#[cfg(test)]
mod test_rows {
    /// `n` pseudo-random bytes (xorshift32 from `seed`), each `% modulo`: few values
    /// give long runs, 256 gives noise.
    pub(super) fn xorshift(n: usize, seed: u32, modulo: u32) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % modulo) as u8
            })
            .collect()
    }
}

pub use check::Container;
pub use jpeg::{jpeg_frame, JpegFrame};
pub use table::tiff_compression_name;

/// A TIFF codec: how one page's data are compressed in the file.
///
/// Every variant is a codec with its own TIFF `Compression` code; choosing one per
/// page is a policy, [`CodecChoice::Auto`], not a codec.
///
/// ```
/// use wias::{Compression, PixelType};
/// assert!(Compression::None.check(PixelType::Rgb48).is_ok());
/// let g4 = Compression::from_name("g4")?;
/// assert_eq!(g4.tiff_code(), 4);
/// let err = g4.check(PixelType::Gray8).unwrap_err().to_string();
/// assert!(err.contains("g4") && err.contains("gray8"));
/// assert!(Compression::from_name("auto").is_err()); // a policy: see CodecChoice
/// # Ok::<(), wias::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Strips stored as they are (TIFF Compression 1).
    None,
    /// Apple PackBits run lengths, row by row (Compression 32773); any pixel type.
    PackBits,
    /// TIFF's LZW with the early code-size change (Compression 5); any pixel type.
    Lzw,
    /// zlib-wrapped Deflate (Compression 8, "Adobe Deflate"); any pixel type.
    Deflate,
    /// CCITT Group 3, 1-D Modified Huffman with an EOL before each row (Compression 3,
    /// T4Options 0); bilevel only.
    G3,
    /// CCITT Group 4 (T.6, Compression 4, T6Options 0); bilevel only.
    G4,
    /// Baseline JPEG, self-contained strips (Compression 7); 8-bit gray and RGB only.
    Jpeg,
}

impl Compression {
    /// Every name [`Compression::from_name`] accepts (besides aliases such as `zip`),
    /// in the order the CLI lists them.
    pub const NAMES: [&'static str; 7] = ["none", "packbits", "lzw", "deflate", "g3", "g4", "jpeg"];

    /// The TIFF `Compression` tag value.
    pub fn tiff_code(self) -> u16 {
        table::info(self).tiff_code
    }

    /// The compression a TIFF `Compression` tag value names, for the codes we write
    /// (32946, the old Deflate code, reads as Deflate).
    pub fn from_tiff_code(code: u16) -> Option<Self> {
        table::CODECS
            .iter()
            .find(|i| i.tiff_code == code || i.read_codes.contains(&code))
            .map(|i| i.compression)
    }

    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        table::info(self).name
    }

    /// Parses a codec name (one of [`Compression::NAMES`] or an alias, any case).
    /// `auto` is not a codec: [`CodecChoice::from_name`] takes it.
    pub fn from_name(s: &str) -> Result<Self> {
        Self::find_name(s).ok_or_else(|| {
            Error::invalid(
                "compression",
                s,
                "must be none, packbits, lzw, deflate, g3, g4 or jpeg",
            )
        })
    }

    fn find_name(s: &str) -> Option<Self> {
        let lower = s.to_ascii_lowercase();
        table::CODECS
            .iter()
            .find(|i| i.name == lower || i.aliases.contains(&lower.as_str()))
            .map(|i| i.compression)
    }

    /// Whether this codec can hold pages of `pixel` type; the error names both.
    pub fn check(self, pixel: PixelType) -> Result<()> {
        let row = table::info(self);
        #[cfg(not(feature = "jpeg"))]
        if row.compression == Compression::Jpeg {
            return Err(table::jpeg_off());
        }
        if (row.holds)(pixel) {
            return Ok(());
        }
        Err(Error::Unsupported(format!(
            "compression {} cannot hold a {} page: {}",
            self.name(),
            pixel.name(),
            row.why_not
        )))
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which codec a writer uses for each page: one codec for every page, or one chosen
/// per page. This is the policy the CLI's `--compression` names; the codec written
/// for a page is always a [`Compression`].
///
/// ```
/// use wias::{CodecChoice, Compression, PixelType};
/// let auto = CodecChoice::from_name("auto")?;
/// assert_eq!(auto, CodecChoice::Auto);
/// assert_eq!(auto.resolve(PixelType::Gray8), Compression::Deflate);
/// assert_eq!(CodecChoice::from_name("Zip")?, CodecChoice::Fixed(Compression::Deflate));
/// assert_eq!(CodecChoice::from(Compression::G4).resolve(PixelType::Bilevel), Compression::G4);
/// # Ok::<(), wias::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodecChoice {
    /// Chosen per page: for bilevel pages the smaller of G4 and Deflate (judged on a
    /// sample of strips), Deflate with the predictor otherwise, and no compression when
    /// that would be larger than the page's raw bytes.
    Auto,
    /// This codec for every page.
    Fixed(Compression),
}

impl CodecChoice {
    /// Every name [`CodecChoice::from_name`] accepts (besides aliases such as `zip`),
    /// in the order the CLI lists them: the codecs, then `auto`.
    pub const NAMES: [&'static str; 8] = [
        "none", "packbits", "lzw", "deflate", "g3", "g4", "jpeg", "auto",
    ];

    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            CodecChoice::Auto => "auto",
            CodecChoice::Fixed(c) => c.name(),
        }
    }

    /// Parses a command-line name (one of [`CodecChoice::NAMES`] or an alias, any
    /// case).
    pub fn from_name(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(CodecChoice::Auto);
        }
        Compression::find_name(s)
            .map(CodecChoice::Fixed)
            .ok_or_else(|| {
                Error::invalid(
                    "compression",
                    s,
                    "must be none, packbits, lzw, deflate, g3, g4, jpeg or auto",
                )
            })
    }

    /// The codec this choice starts from for a page of `pixel` type. A fixed codec is
    /// itself; `Auto` is G4 for bilevel pages (which the TIFF and PDF writers weigh
    /// against Deflate on a sample of the page's strips) and Deflate with the predictor for
    /// the rest (stored uncompressed when that is smaller).
    pub fn resolve(self, pixel: PixelType) -> Compression {
        match self {
            CodecChoice::Fixed(c) => c,
            CodecChoice::Auto if pixel.is_bilevel() => Compression::G4,
            CodecChoice::Auto => Compression::Deflate,
        }
    }

    /// Whether pages of `pixel` type can be written with this choice (`Auto` always
    /// can); the error names the codec and the pixel type.
    pub fn check(self, pixel: PixelType) -> Result<()> {
        self.resolve(pixel).check(pixel)
    }
}

impl From<Compression> for CodecChoice {
    fn from(c: Compression) -> Self {
        CodecChoice::Fixed(c)
    }
}

impl std::fmt::Display for CodecChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a codec needs to know besides the bytes of a strip.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StripLayout {
    /// Pixels per row.
    pub width: u32,
    /// Rows in this strip.
    pub rows: u32,
    /// Pixel type of the page.
    pub pixel: PixelType,
    /// Bytes per row (rows padded to whole bytes).
    pub row_bytes: usize,
}

/// Encodes one strip. Implementations are stateless between strips so that strips can
/// be encoded on several threads and the output stays the same.
pub(crate) trait StripEncoder: Send + Sync {
    /// Appends the encoded form of `strip` (`layout.rows` rows) to `out`.
    fn encode(&self, strip: &[u8], layout: &StripLayout, out: &mut Vec<u8>) -> Result<()>;

    /// Rows per strip must be a multiple of this (JPEG needs whole MCU rows).
    fn rows_multiple(&self) -> u32 {
        1
    }

    /// What a reader must know about this codec's strips of `pixel` pages besides the
    /// codec itself; the container says it in its own terms (TIFF tags, PDF filter
    /// parameters).
    fn form(&self, pixel: PixelType) -> StripForm {
        let _ = pixel;
        StripForm::default()
    }
}

/// How encoded strips are to be read, beyond which codec made them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StripForm {
    /// Rows were horizontally differenced before the codec (TIFF Predictor 2).
    pub predictor: bool,
    /// Colour samples are stored as YCbCr with this chroma subsampling (luma samples
    /// per chroma sample, horizontal and vertical), as JPEG stores RGB pages.
    pub ycbcr: Option<(u16, u16)>,
}

/// Codec choice plus its settings.
///
/// ```
/// use wias::{CodecChoice, CodecSettings, Compression};
/// let s = CodecSettings::new(Compression::Jpeg).jpeg_quality(75).threads(1);
/// assert_eq!((s.jpeg_quality, s.threads), (75, 1));
/// assert_eq!(s.compression, CodecChoice::Fixed(Compression::Jpeg));
/// assert!(CodecSettings::auto().predictor);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecSettings {
    /// The codec, or [`CodecChoice::Auto`] to choose one per page.
    pub compression: CodecChoice,
    /// Horizontal differencing (TIFF Predictor 2) in front of LZW and Deflate on 8- and
    /// 16-bit samples; ignored for other codecs and for bilevel pages.
    pub predictor: bool,
    /// JPEG quality 1..=100.
    pub jpeg_quality: u8,
    /// Chroma sampling of RGB JPEG pages: by default 4:2:0 below quality 90 and 4:4:4
    /// from 90 on (BENCHMARKS.md, "JPEG at equal PSNR").
    pub jpeg_chroma: ChromaSampling,
    /// Deflate effort 1..=12 (libdeflate levels).
    pub deflate_level: u8,
    /// Threads that encode the strips of a page; 0 = one per core. The output does not
    /// depend on it. The calling thread is one; the others come from a pool kept for
    /// the process (rayon's global pool: one thread per core unless
    /// `RAYON_NUM_THREADS` says otherwise), so at most that many more run at once.
    pub threads: usize,
}

/// How the chroma of RGB JPEG pages is sampled.
///
/// ```
/// use wias::codec::ChromaSampling;
/// assert!(ChromaSampling::Auto.subsamples(75)); // 4:2:0, as scanners and libjpeg
/// assert!(!ChromaSampling::Auto.subsamples(90)); // 4:4:4 for near-lossless pages
/// assert_eq!(ChromaSampling::from_name("4:4:4")?, ChromaSampling::Full);
/// # Ok::<(), wias::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ChromaSampling {
    /// 4:2:0 below quality [`AUTO_FULL_CHROMA_FROM`] (90), 4:4:4 from it on, as
    /// ImageMagick chooses: at low quality chroma detail is lost to quantisation
    /// anyway and subsampling halves the chroma data; at high quality 2×2 subsampling
    /// caps PSNR near 35 dB on scanned pages (coloured text), which 4:4:4 passes.
    #[default]
    Auto,
    /// 4:4:4: chroma at full resolution (YCbCrSubSampling 1 1).
    Full,
    /// 4:2:0: one chroma sample per 2×2 pixels (YCbCrSubSampling 2 2).
    Half,
}

/// The quality from which [`ChromaSampling::Auto`] keeps full chroma.
pub const AUTO_FULL_CHROMA_FROM: u8 = 90;

impl ChromaSampling {
    /// Every name [`ChromaSampling::from_name`] accepts.
    pub const NAMES: [&'static str; 3] = ["auto", "444", "420"];

    /// Whether RGB pages at `quality` are subsampled 2×2.
    pub fn subsamples(self, quality: u8) -> bool {
        match self {
            ChromaSampling::Auto => quality < AUTO_FULL_CHROMA_FROM,
            ChromaSampling::Full => false,
            ChromaSampling::Half => true,
        }
    }

    /// Parses `auto`, `444` (or `4:4:4`) or `420` (or `4:2:0`).
    pub fn from_name(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(ChromaSampling::Auto),
            "444" | "4:4:4" => Ok(ChromaSampling::Full),
            "420" | "4:2:0" => Ok(ChromaSampling::Half),
            _ => Err(Error::invalid(
                "jpeg chroma",
                s,
                "must be auto (4:2:0 below quality 90, else 4:4:4), 444 or 420",
            )),
        }
    }
}

/// JPEG quality when none is given: visually lossless for scanned pages.
pub const DEFAULT_JPEG_QUALITY: u8 = 90;
/// Deflate level when none is given; see BENCHMARKS.md for why this one.
pub const DEFAULT_DEFLATE_LEVEL: u8 = 1;

impl Default for CodecSettings {
    fn default() -> Self {
        CodecSettings::new(Compression::None)
    }
}

impl CodecSettings {
    /// `compression` (a [`Compression`] or a [`CodecChoice`]) with the default settings
    /// (predictor on, JPEG quality 90, all cores).
    pub fn new(compression: impl Into<CodecChoice>) -> Self {
        CodecSettings {
            compression: compression.into(),
            predictor: true,
            jpeg_quality: DEFAULT_JPEG_QUALITY,
            jpeg_chroma: ChromaSampling::Auto,
            deflate_level: DEFAULT_DEFLATE_LEVEL,
            threads: 0,
        }
    }

    /// The CLI's default: [`CodecChoice::Auto`].
    pub fn auto() -> Self {
        CodecSettings::new(CodecChoice::Auto)
    }

    /// With or without the predictor.
    pub fn predictor(mut self, on: bool) -> Self {
        self.predictor = on;
        self
    }

    /// With JPEG quality `q` (checked when a page is encoded).
    pub fn jpeg_quality(mut self, q: u8) -> Self {
        self.jpeg_quality = q;
        self
    }

    /// With (4:2:0) or without (4:4:4) 2×2 chroma subsampling of RGB JPEG pages,
    /// whatever the quality.
    pub fn jpeg_subsampling(mut self, on: bool) -> Self {
        self.jpeg_chroma = if on {
            ChromaSampling::Half
        } else {
            ChromaSampling::Full
        };
        self
    }

    /// With chroma sampling `chroma` for RGB JPEG pages.
    pub fn jpeg_chroma(mut self, chroma: ChromaSampling) -> Self {
        self.jpeg_chroma = chroma;
        self
    }

    /// Whether RGB JPEG pages are subsampled 2×2 under these settings.
    pub fn jpeg_subsampled(&self) -> bool {
        self.jpeg_chroma.subsamples(self.jpeg_quality)
    }

    /// With Deflate level `level` (checked when a page is encoded).
    pub fn deflate_level(mut self, level: u8) -> Self {
        self.deflate_level = level;
        self
    }

    /// With `n` encoding threads (0 = one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }

    /// Threads to use for a page of `strips` strips.
    pub fn thread_count(&self, strips: usize) -> usize {
        let n = if self.threads == 0 {
            cores()
        } else {
            self.threads
        };
        n.clamp(1, strips.max(1))
    }

    /// Whether the predictor is applied to pages of `pixel` type.
    pub fn uses_predictor(&self, pixel: PixelType) -> bool {
        self.predictor
            && !pixel.is_bilevel()
            && matches!(
                self.compression.resolve(pixel),
                Compression::Lzw | Compression::Deflate
            )
    }
}

/// Cores this process may use, asked once: `available_parallelism` reads cgroup and
/// affinity files on every call (≈0.25 ms, 2.5 % of writing 10 bilevel pages).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Stores strips unchanged.
struct Uncompressed;

impl StripEncoder for Uncompressed {
    fn encode(&self, strip: &[u8], _layout: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(strip);
        Ok(())
    }
}

/// The encoder for `settings`, after checking it can hold `pixel` pages
/// ([`CodecChoice::Auto`] resolved for `pixel`).
pub(crate) fn encoder_for(
    settings: &CodecSettings,
    pixel: PixelType,
) -> Result<Box<dyn StripEncoder>> {
    let compression = settings.compression.resolve(pixel);
    compression.check(pixel)?;
    let row = table::info(compression);
    let inner = (row.encoder)(settings, pixel)?;
    Ok(if settings.uses_predictor(pixel) {
        Box::new(predictor::Predicted(inner))
    } else {
        inner
    })
}

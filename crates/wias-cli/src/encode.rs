//! The encoding flags `write` and `scan` share, and the TIFF options they make.

use std::sync::{Arc, Mutex};

use clap::{Args, ValueEnum};
use wias::tiff::Options;
use wias::{ChromaSampling, CodecChoice, CodecSettings, Compression};

/// Container to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Multipage TIFF.
    Tiff,
    /// Windows bitmap: one page of 1, 8 or 24 bits.
    Bmp,
    /// WIA RAW: not supported yet, so not listed in --help (it says so when given).
    #[value(hide = true)]
    Raw,
    /// Multipage PDF, each page committed as an incremental update.
    Pdf,
}

/// Flags that decide how pages are encoded.
#[derive(Args, Debug, Clone)]
pub struct EncodeArgs {
    /// Output container; default: from OUT's extension (.tif/.tiff: tiff, .bmp: bmp,
    /// .pdf: pdf; no extension or `-`: tiff; any other extension is an error).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Compression, any case: none, packbits, lzw, deflate (or zip), g3, g4, jpeg, or
    /// auto (TIFF bilevel pages: the smaller of G4 and Deflate; others: Deflate with the
    /// predictor; never larger than uncompressed). PDF takes none, deflate, g4, jpeg and
    /// auto (as for TIFF: bilevel pages the smaller of G4 and Flate, never larger than
    /// uncompressed; others Flate with PNG row filters).
    #[arg(long, default_value = "auto", value_parser = parse_compression)]
    pub compression: CodecChoice,
    /// JPEG quality, 1 to 100 (with --compression jpeg).
    #[arg(long, default_value_t = wias::codec::DEFAULT_JPEG_QUALITY,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,
    /// Chroma sampling of colour JPEG pages: auto (4:2:0 below --jpeg-quality 90, as
    /// scanners and libjpeg write them; 4:4:4 from 90), 444 or 420.
    #[arg(long, default_value = "auto", value_parser = parse_chroma)]
    pub jpeg_chroma: ChromaSampling,
    /// Resolution, dots per inch (scanimage's --resolution is the same flag).
    #[arg(long, visible_alias = "resolution", value_name = "DPI",
          value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub dpi: Option<u32>,
    /// PDF/A-2b (PDF output only; --pdfa=1b for PDF/A-1b, which refuses 16-bit
    /// pages): a trailer /ID, XMP metadata (conformance, producer, dates;
    /// SOURCE_DATE_EPOCH fixes them) and an sRGB output intent, kept true by every page
    /// committed. With --append the file must already be PDF/A (a PDF/A file stays
    /// PDF/A when appended to, with or without this flag). CMYK JPEG pages are refused.
    #[arg(long, value_name = "PART", num_args = 0..=1, require_equals = true,
          default_missing_value = "2b", value_parser = parse_pdfa)]
    pub pdfa: Option<wias::pdf::PdfA>,
    /// TIFF: an sRGB ICC profile tag on RGB pages (archival checkers such as
    /// checkit_tiff ask for one); the profile is the one --pdfa's output intent uses.
    #[arg(long)]
    pub icc: bool,
    /// Document title: PDF /Title (and dc:title with --pdfa); TIFF ImageDescription.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Document author: PDF /Author (and dc:creator with --pdfa); TIFF Artist.
    #[arg(long, value_name = "TEXT")]
    pub author: Option<String>,
    /// Document subject: PDF /Subject (and dc:description with --pdfa).
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Document keywords: PDF /Keywords (and pdf:Keywords with --pdfa).
    #[arg(long, value_name = "TEXT")]
    pub keywords: Option<String>,
    /// Make PDF pages searchable: Tesseract reads each page in language LANG (eng,
    /// deu, eng+deu: Debian packages tesseract-ocr and tesseract-ocr-LANG) and its
    /// words go in as an invisible text layer, committed with the page's image.
    /// Threads: OMP_THREAD_LIMIT=1 unless set (faster on small machines).
    #[arg(long, value_name = "LANG")]
    pub ocr: Option<String>,
}

/// The OCR engine pages share (cloned with the [`Encoding`], one engine).
#[derive(Clone)]
pub struct Ocr(pub Arc<Mutex<dyn wias::pdf::Recognize>>);

impl std::fmt::Debug for Ocr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ocr")
    }
}

/// The encoding flags resolved once, before anything is read or written: the
/// container, and the TIFF and PDF settings every page of the job uses. `write` and
/// `scan` take their decisions from here instead of deriving them again per input.
#[derive(Clone, Debug)]
pub struct Encoding {
    pub format: Format,
    /// Codec settings and tags (DateTime from `SOURCE_DATE_EPOCH`) of TIFF pages.
    pub tiff: Options,
    /// The PDF/A part asked for (PDF only).
    pub pdfa: Option<wias::pdf::PdfA>,
    /// Title, author, subject, keywords.
    pub metadata: wias::pdf::Metadata,
    /// `--ocr`: the engine that gives PDF pages their text layer.
    pub ocr: Option<Ocr>,
}

impl Encoding {
    /// The PDF settings: the same codec settings as for TIFF (whether PDF can hold
    /// them is checked by [`EncodeArgs::refuse_codec_pdf_lacks`]).
    pub fn pdf(&self) -> wias::pdf::Options {
        let o = pdf_options(&self.tiff)
            .pdfa_part(self.pdfa)
            .metadata(self.metadata.clone())
            .time_from_env();
        match &self.ocr {
            Some(Ocr(engine)) => o.ocr(Arc::clone(engine)),
            None => o,
        }
    }

    /// The codec asked for.
    pub fn codec(&self) -> CodecChoice {
        self.tiff.codec_setting().compression
    }

    /// Whether the codec asked for can hold a page of `pixel` in this container: the
    /// one such check (BMP pages are uncompressed, checked by `write` and `scan`).
    pub fn check(&self, pixel: wias::PixelType) -> wias::Result<()> {
        match self.format {
            Format::Tiff => self.codec().check(pixel),
            Format::Pdf => wias::pdf::check(self.codec(), pixel),
            Format::Bmp | Format::Raw => Ok(()),
        }
    }
}

/// PDF settings with the codec settings of the TIFF `options`.
pub fn pdf_options(options: &Options) -> wias::pdf::Options {
    wias::pdf::Options::default().codec(options.codec_setting().clone())
}

impl EncodeArgs {
    /// The container for `out` and the settings of every page, resolved once.
    pub fn resolve(&self, out: &str) -> Result<Encoding, crate::Failure> {
        let format = self.format_for(out)?;
        if self.pdfa.is_some() && format != Format::Pdf {
            return Err(crate::Failure::usage(
                "--pdfa needs a PDF output (-o NAME.pdf or --format pdf)",
            ));
        }
        let metadata = self.metadata();
        metadata.check().map_err(|e| {
            crate::Failure::usage(format!("--title/--author/--subject/--keywords: {e}"))
        })?;
        if !metadata.is_empty() && format == Format::Bmp {
            return Err(crate::Failure::usage(
                "--title, --author, --subject and --keywords need a PDF or TIFF output",
            ));
        }
        if self.icc && format != Format::Tiff {
            return Err(crate::Failure::usage(
                "--icc needs a TIFF output (a PDF/A file's output intent holds the profile: --pdfa)",
            ));
        }
        let mut tiff = self.tiff_options()?;
        if format == Format::Tiff {
            tiff = tiff
                .description(metadata.title.clone())
                .artist(metadata.author.clone())
                .icc_profile(self.icc);
        }
        let ocr =
            match &self.ocr {
                None => None,
                Some(_) if format != Format::Pdf => return Err(crate::Failure::usage(
                    "--ocr writes a text layer into PDF pages: give -o FILE.pdf (or --format pdf)",
                )),
                // Started now, before any input is read or the output touched, so a
                // missing Tesseract or language costs nothing.
                Some(lang) => Some(Ocr(wias_ocr::Tesseract::new(lang)
                    .map_err(|e| crate::Failure::new("--ocr", e))?
                    .shared())),
            };
        Ok(Encoding {
            format,
            tiff,
            pdfa: self.pdfa,
            metadata,
            ocr,
        })
    }

    /// A codec PDF has no form for (packbits, lzw, g3) refused for a PDF job, before
    /// any file is touched or any device started.
    pub fn refuse_codec_pdf_lacks(&self, format: Format) -> Result<(), crate::Failure> {
        if format == Format::Pdf {
            self.pdf_options()?;
        }
        Ok(())
    }

    /// The metadata flags.
    pub fn metadata(&self) -> wias::pdf::Metadata {
        wias::pdf::Metadata {
            title: self.title.clone(),
            author: self.author.clone(),
            subject: self.subject.clone(),
            keywords: self.keywords.clone(),
        }
    }

    /// The format asked for, or the one `out`'s extension names: `.tif`/`.tiff` TIFF,
    /// `.bmp` BMP, `.pdf` PDF, no extension (or `-`) TIFF. Any other extension is a
    /// usage error rather than a TIFF under a name that says otherwise.
    pub fn format_for(&self, out: &str) -> Result<Format, crate::Failure> {
        if let Some(f) = self.format {
            return Ok(f);
        }
        if out == "-" {
            return Ok(Format::Tiff);
        }
        let ext = std::path::Path::new(out)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            None | Some("tif" | "tiff") => Ok(Format::Tiff),
            Some("bmp") => Ok(Format::Bmp),
            Some("pdf") => Ok(Format::Pdf),
            Some(other) => Err(crate::Failure::usage(format!(
                "-o {out}: wias does not write .{other} files (it writes .tif/.tiff, .bmp and .pdf); give --format tiff, bmp or pdf to write one under this name"
            ))),
        }
    }

    /// The PDF options these flags ask for: the same codec settings as for TIFF,
    /// refused up front when PDF cannot hold them (packbits, lzw, g3).
    pub fn pdf_options(&self) -> Result<wias::pdf::Options, crate::Failure> {
        let tiff = self.tiff_options()?;
        let codec = tiff.codec_setting().compression;
        wias::pdf::check(codec, wias::PixelType::Bilevel)
            .or_else(|_| wias::pdf::check(codec, wias::PixelType::Gray8))
            .map_err(|e| crate::Failure::usage(format!("--compression: {e}")))?;
        Ok(pdf_options(&tiff))
    }

    /// The TIFF options these flags ask for. New codec settings (quality, predictor)
    /// go here, once, for both commands. `SOURCE_DATE_EPOCH` fixes the DateTime tag
    /// (reproducible files, as the C ABI makes them).
    pub fn tiff_options(&self) -> Result<Options, crate::Failure> {
        let codec = CodecSettings::new(self.compression)
            .jpeg_quality(self.jpeg_quality)
            .jpeg_chroma(self.jpeg_chroma);
        Ok(Options::default()
            .codec(codec)
            .date_time(wias::tiff::DateTime::from_env()))
    }

    /// Whether a compression was asked for explicitly (BMP cannot hold one; `auto`
    /// means none there).
    pub fn compressed(&self) -> bool {
        !matches!(
            self.compression,
            CodecChoice::Auto | CodecChoice::Fixed(Compression::None)
        )
    }
}

/// `--compression`, parsed once into the library's codec policy type: every later
/// check compares codecs, never strings, so `NONE`, `Zip` and `deflate` behave alike.
fn parse_chroma(s: &str) -> Result<ChromaSampling, String> {
    ChromaSampling::from_name(s).map_err(|_| {
        format!(
            "'{s}' is not a chroma sampling; use one of {}",
            ChromaSampling::NAMES.join(", ")
        )
    })
}

fn parse_pdfa(s: &str) -> Result<wias::pdf::PdfA, String> {
    match s.to_ascii_lowercase().as_str() {
        "2b" | "2" => Ok(wias::pdf::PdfA::Part2B),
        "1b" | "1" => Ok(wias::pdf::PdfA::Part1B),
        _ => Err(format!(
            "'{s}' is not a PDF/A part wias writes; use 2b or 1b"
        )),
    }
}

fn parse_compression(s: &str) -> Result<CodecChoice, String> {
    CodecChoice::from_name(s).map_err(|_| {
        format!(
            "'{s}' is not a compression; use one of {} (any case; zip = deflate)",
            CodecChoice::NAMES.join(", ")
        )
    })
}

//! PDF/A-2b and document metadata: what the catalog, the information dictionary, the
//! XMP metadata stream and the trailer's `/ID` hold, and how each update keeps them
//! true (docs/pdfa.md).
//!
//! PDF/A-2b asks three things of a file of image pages beyond what every wias PDF
//! has: a trailer `/ID`, an XMP metadata stream that names the conformance, and an
//! output intent for the device colour spaces the pages use. The catalog names the
//! metadata stream and the output intent once; the metadata stream keeps its object
//! number, so an update that changes the modify date rewrites the stream (and the
//! information dictionary, whose `/ModDate` says the same) but never the catalog.
//! An update in the same second as the last one rewrites nothing: the dates are
//! whole seconds.

use std::fmt::Write as _;

use crate::error::{Error, Result};

/// Title, author, subject and keywords of a document: the information dictionary's
/// `/Title`, `/Author`, `/Subject` and `/Keywords`, and (in a PDF/A file) the XMP's
/// `dc:title`, `dc:creator`, `dc:description` and `pdf:Keywords`.
///
/// ```
/// use wias::pdf::Metadata;
/// let m = Metadata::default().title("Invoice 17").author("Ada");
/// assert_eq!(m.title.as_deref(), Some("Invoice 17"));
/// assert!(m.check().is_ok());
/// assert!(Metadata::default().title("a\u{7}bell").check().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub keywords: Option<String>,
}

impl Metadata {
    /// With `/Title` (and `dc:title`) `s`.
    pub fn title(mut self, s: impl Into<String>) -> Self {
        self.title = Some(s.into());
        self
    }
    /// With `/Author` (and `dc:creator`) `s`.
    pub fn author(mut self, s: impl Into<String>) -> Self {
        self.author = Some(s.into());
        self
    }
    /// With `/Subject` (and `dc:description`) `s`.
    pub fn subject(mut self, s: impl Into<String>) -> Self {
        self.subject = Some(s.into());
        self
    }
    /// With `/Keywords` (and `pdf:Keywords`) `s`.
    pub fn keywords(mut self, s: impl Into<String>) -> Self {
        self.keywords = Some(s.into());
        self
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.fields().all(|(_, v)| v.is_none())
    }

    fn fields(&self) -> impl Iterator<Item = (&'static str, Option<&str>)> {
        [
            ("title", self.title.as_deref()),
            ("author", self.author.as_deref()),
            ("subject", self.subject.as_deref()),
            ("keywords", self.keywords.as_deref()),
        ]
        .into_iter()
    }

    /// Refuses control characters (XML cannot hold most of them, and a reader shows
    /// none of them) and values over 32767 bytes (a PDF string's portable limit).
    pub fn check(&self) -> Result<()> {
        for (what, v) in self.fields() {
            let Some(v) = v else { continue };
            if let Some(c) = v.chars().find(|c| c.is_control()) {
                return Err(Error::invalid(
                    what,
                    u64::from(u32::from(c)),
                    "is a control character, which document metadata cannot hold",
                ));
            }
            if v.len() > 32767 {
                return Err(Error::invalid(
                    what,
                    v.len() as u64,
                    "bytes is longer than a PDF string may be (32767)",
                ));
            }
        }
        Ok(())
    }
}

/// A moment as PDF and XMP write it, to the second, UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// `D:YYYYMMDDHHmmSS+00'00'`
    pub pdf: String,
    /// `YYYY-MM-DDTHH:mm:SS+00:00`
    pub xmp: String,
}

impl Stamp {
    pub fn at(secs: i64) -> Stamp {
        // "YYYY:MM:DD HH:MM:SS"
        let t = crate::tiff::tiff_time(secs);
        let (y, mo, d, h, mi, s) = (
            &t[0..4],
            &t[5..7],
            &t[8..10],
            &t[11..13],
            &t[14..16],
            &t[17..19],
        );
        Stamp {
            pdf: format!("D:{y}{mo}{d}{h}{mi}{s}+00'00'"),
            xmp: format!("{y}-{mo}-{d}T{h}:{mi}:{s}+00:00"),
        }
    }

    /// `fixed` (Unix seconds), or the time now.
    pub fn now_or(fixed: Option<i64>) -> Stamp {
        Stamp::at(fixed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        }))
    }
}

/// The trailer's `/ID`: two 16-byte strings; the first names the document for
/// good (it is copied into every update), the second this version of it. Reproducible
/// under `SOURCE_DATE_EPOCH` (made from the date and the first page's data), else also
/// from the time to the nanosecond and the process id, so two documents started from
/// the same page differ.
pub(crate) fn first_id(created: &Stamp, fixed: bool, page: &[u8]) -> [u8; 16] {
    let mut h = Fnv128::new();
    h.update(created.pdf.as_bytes());
    h.update(&(page.len() as u64).to_le_bytes());
    h.update(&page[..page.len().min(1 << 16)]);
    if !fixed {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.update(&nanos.to_le_bytes());
        h.update(&std::process::id().to_le_bytes());
    }
    h.finish()
}

/// The trailer entry `/ID [<first> <first>]` of a new document.
pub(crate) fn id_entry(first: &[u8; 16]) -> Vec<u8> {
    let hex: String = first.iter().map(|b| format!("{b:02X}")).collect();
    format!(" /ID [<{hex}> <{hex}>]").into_bytes()
}

/// FNV-1a, 128 bits: a document identifier needs to differ, not to resist attack.
struct Fnv128(u128);

impl Fnv128 {
    fn new() -> Self {
        Fnv128(0x6c62272e07bb014262b821756295c58d)
    }
    fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013B);
        }
    }
    fn finish(&self) -> [u8; 16] {
        self.0.to_be_bytes()
    }
}

/// `s` as a PDF text string: a literal string for printable ASCII, else UTF-16BE
/// with a byte-order mark, in hex.
pub(crate) fn pdf_text(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('(');
        for c in s.chars() {
            if matches!(c, '(' | ')' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push(')');
        out
    } else {
        let mut out = String::from("<FEFF");
        for u in s.encode_utf16() {
            let _ = write!(out, "{u:04X}");
        }
        out.push('>');
        out
    }
}

/// The information dictionary's entries but `/ModDate`, as bytes: the producer, the
/// metadata, and (for PDF/A) the creation date.
pub(crate) fn info_entries(meta: &Metadata, created: Option<&Stamp>) -> Vec<u8> {
    let mut s = format!(
        "/Producer {}",
        pdf_text(&format!("wias {}", env!("CARGO_PKG_VERSION")))
    );
    for (key, v) in [
        ("Title", &meta.title),
        ("Author", &meta.author),
        ("Subject", &meta.subject),
        ("Keywords", &meta.keywords),
    ] {
        if let Some(v) = v {
            let _ = write!(s, " /{key} {}", pdf_text(v));
        }
    }
    if let Some(c) = created {
        let _ = write!(s, " /CreationDate {}", pdf_text(&c.pdf));
    }
    s.push(' ');
    s.into_bytes()
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The XMP packet of a new PDF/A-`part`b document: identification, producer, dates, and
/// the metadata, with no padding (an update writes a new stream, never edits in
/// place).
pub(crate) fn xmp(part: u8, meta: &Metadata, created: &Stamp, modified: &Stamp) -> String {
    let producer = format!("wias {}", env!("CARGO_PKG_VERSION"));
    let mut s = String::from(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\" \
         xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
    );
    let _ = write!(s, " pdfaid:part=\"{part}\" pdfaid:conformance=\"B\"");
    let _ = write!(
        s,
        " pdf:Producer=\"{p}\" xmp:CreatorTool=\"{p}\" xmp:CreateDate=\"{}\" \
         xmp:ModifyDate=\"{}\" xmp:MetadataDate=\"{}\"",
        created.xmp,
        modified.xmp,
        modified.xmp,
        p = xml_escape(&producer)
    );
    if let Some(k) = &meta.keywords {
        let _ = write!(s, " pdf:Keywords=\"{}\"", xml_escape(k));
    }
    s.push_str(">\n<dc:format>application/pdf</dc:format>\n");
    for (el, v) in [("title", &meta.title), ("description", &meta.subject)] {
        if let Some(v) = v {
            let _ = writeln!(
                s,
                "<dc:{el}><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:{el}>",
                xml_escape(v)
            );
        }
    }
    if let Some(a) = &meta.author {
        let _ = writeln!(
            s,
            "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>",
            xml_escape(a)
        );
    }
    s.push_str("</rdf:Description>\n</rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>");
    s
}

/// Sets the XMP property `prop` (`xmp:ModifyDate`) to `value` in `packet`, written as
/// an attribute or as an element; false if the packet has neither form.
pub(crate) fn set_property(packet: &mut String, prop: &str, value: &str) -> bool {
    let attr = format!("{prop}=\"");
    if let Some(i) = packet.find(&attr) {
        let start = i + attr.len();
        if let Some(len) = packet[start..].find('"') {
            packet.replace_range(start..start + len, value);
            return true;
        }
    }
    let (open, close) = (format!("<{prop}>"), format!("</{prop}>"));
    if let Some(i) = packet.find(&open) {
        let start = i + open.len();
        if let Some(len) = packet[start..].find(&close) {
            packet.replace_range(start..start + len, value);
            return true;
        }
    }
    false
}

/// The PDF/A part and conformance a packet declares (`pdfaid:part`,
/// `pdfaid:conformance`), as attributes or elements.
pub(crate) fn identification(packet: &str) -> Option<(String, String)> {
    let get = |prop: &str| -> Option<String> {
        let mut p = packet.to_string();
        // Read by setting: the same two forms set_property knows.
        let attr = format!("{prop}=\"");
        if let Some(i) = p.find(&attr) {
            let start = i + attr.len();
            let len = p[start..].find('"')?;
            return Some(p[start..start + len].to_string());
        }
        let attr1 = format!("{prop}='");
        if let Some(i) = p.find(&attr1) {
            let start = i + attr1.len();
            let len = p[start..].find('\'')?;
            return Some(p[start..start + len].to_string());
        }
        let (open, close) = (format!("<{prop}>"), format!("</{prop}>"));
        let i = p.find(&open)?;
        let start = i + open.len();
        let len = p[start..].find(&close)?;
        p.truncate(start + len);
        Some(p[start..].trim().to_string())
    };
    Some((get("pdfaid:part")?, get("pdfaid:conformance")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_pdf_and_xmp_dates() {
        let s = Stamp::at(1_795_610_096);
        assert_eq!(s.pdf, "D:20261125123456+00'00'");
        assert_eq!(s.xmp, "2026-11-25T12:34:56+00:00");
    }

    #[test]
    fn text_strings_escape_and_go_utf16_past_ascii() {
        assert_eq!(pdf_text("a(b)\\"), "(a\\(b\\)\\\\)");
        assert_eq!(pdf_text("é"), "<FEFF00E9>");
    }

    #[test]
    fn properties_are_set_and_read_in_both_forms() {
        let mut a =
            String::from("<x xmp:ModifyDate=\"1\" pdfaid:part=\"2\" pdfaid:conformance=\"B\"/>");
        assert!(set_property(&mut a, "xmp:ModifyDate", "22"));
        assert!(a.contains("xmp:ModifyDate=\"22\""));
        assert_eq!(identification(&a), Some(("2".into(), "B".into())));
        let mut e = String::from("<pdfaid:part>3</pdfaid:part><pdfaid:conformance>U</pdfaid:conformance><xmp:ModifyDate>x</xmp:ModifyDate>");
        assert!(set_property(&mut e, "xmp:ModifyDate", "y"));
        assert!(e.contains("<xmp:ModifyDate>y</xmp:ModifyDate>"));
        assert_eq!(identification(&e), Some(("3".into(), "U".into())));
        assert!(!set_property(&mut e, "xmp:MetadataDate", "y"));
    }
}

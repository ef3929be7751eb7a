//! `wias scan --device sane:NAME`: a SANE scanner (crate `wias-sane`) as a
//! [`PageSource`], our flags mapped to its standard options, and `--list-devices`.

use std::io::{self, IsTerminal};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wias_sane::options::match_choice;
use wias_sane::{Device, Error, Sane};

use crate::encode::{Encoding, Format};
use crate::scan::{write_pages, Mode, PageSource, ScanArgs, SourcePage};
use crate::Failure;

/// The most pages one job takes from a feeder when `--pages` does not say.
const FEEDER_PAGES: u32 = 100_000;

/// Exit status after Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

/// `wias scan --list-devices`: one line per device, `sane:NAME` first so that it can
/// be pasted after `--device`.
pub fn list_devices() -> Result<u8, Failure> {
    let sane = Sane::init().map_err(|e| Failure::new("--list-devices", e))?;
    let devices = sane
        .devices()
        .map_err(|e| Failure::new("--list-devices", e))?;
    if devices.is_empty() {
        eprintln!("wias: no SANE devices found (is the scanner on, and its backend in dll.conf?)");
    }
    for d in devices {
        println!("sane:{}\t{} {} ({})", d.name, d.vendor, d.model, d.kind);
    }
    Ok(0)
}

/// `wias scan -d NAME -A`: the device's options as scanimage's `-A` lists them, one a
/// line: `--NAME ALLOWED [CURRENT]` (inactive ones marked), then its title.
pub fn all_options(name: &str) -> Result<u8, Failure> {
    let what = format!("sane:{name}");
    let sane = Sane::init().map_err(|e| Failure::new(&what, e))?;
    let dev = sane.open(name).map_err(|e| Failure::new(&what, e))?;
    use std::fmt::Write as _;
    let mut text = format!("Options of {what}:\n");
    for o in dev.options() {
        if !o.is_named() {
            if !o.title.is_empty() {
                let _ = writeln!(text, "  {}:", o.title);
            }
            continue;
        }
        let current = if o.is_active() {
            dev.get(&o.name).unwrap_or_default()
        } else {
            "inactive".into()
        };
        let _ = writeln!(text, "    --{} {} [{current}]", o.name, o.allowed());
        if !o.title.is_empty() {
            let _ = writeln!(text, "        {}", o.title);
        }
    }
    // A reader that stops early (`| head`) is not an error.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    Ok(0)
}

/// Scans from SANE device `name` into `args.out`.
pub fn run(name: &str, args: &ScanArgs, enc: Encoding) -> Result<u8, Failure> {
    let what = format!("sane:{name}");
    let sane = Sane::init().map_err(|e| Failure::new(&what, e))?;
    let mut dev = sane.open(name).map_err(|e| Failure::new(&what, e))?;
    configure(&mut dev, args).map_err(|e| Failure::new(&what, e))?;
    let pages = args
        .pages
        .unwrap_or(if dev.is_feeder() && enc.format != Format::Bmp {
            FEEDER_PAGES
        } else {
            1
        });
    let mut source = SaneSource {
        dev,
        name: what,
        cancel: interrupt_flag(),
        spare: Vec::new(),
    };
    write_pages(&mut source, pages, &args.out, &enc)
}

/// Sets the device's options from our flags, then `--sane-option`s, then the
/// scanimage-style options after `--`, in that order (later ones win). Source and mode
/// come first because they change which other options exist.
pub fn configure(dev: &mut Device<'_>, args: &ScanArgs) -> Result<(), Error> {
    if let Some(source) = &args.source {
        let named = source_entry(dev, source).unwrap_or_else(|| source.clone());
        dev.set("source", &named)?;
    }
    if let Some(mode) = args.mode {
        set_mode(dev, mode)?;
    }
    if let Some(depth) = args.depth {
        dev.set("depth", &depth.bits().to_string())?;
    }
    if let Some(dpi) = args.encode.dpi {
        if dev.option("resolution").is_none() && dev.option("x-resolution").is_some() {
            dev.set("x-resolution", &dpi.to_string())?;
            dev.set("y-resolution", &dpi.to_string())?;
        } else {
            dev.set("resolution", &dpi.to_string())?;
        }
    }
    for o in &args.sane_option {
        let (name, value) = o.split_once('=').unwrap_or((o.as_str(), ""));
        dev.set(name.trim_start_matches("--"), value)?;
    }
    // -l -t -x -y given as wias flags go first; options after `--` may override them.
    let mut geometry = Vec::new();
    for (letter, value) in [
        ("-l", &args.left),
        ("-t", &args.top),
        ("-x", &args.width),
        ("-y", &args.height),
    ] {
        if let Some(v) = value {
            geometry.extend([letter.to_string(), v.clone()]);
        }
    }
    dev.apply_scanimage_args(&geometry)?;
    dev.apply_scanimage_args(&args.sane_args)
}

/// The device's `source` entry `text` means: its own name or prefix, or the common
/// short words (`ADF`, `feeder`, `duplex`, `flatbed`) found inside the device's longer
/// names ("Automatic Document Feeder", "ADF Duplex").
fn source_entry(dev: &Device<'_>, text: &str) -> Option<String> {
    let list = dev.option("source")?.choices();
    if let Some(m) = match_choice(&list, text) {
        return Some(m);
    }
    let t = text.to_ascii_lowercase();
    let words: &[&str] = match t.as_str() {
        "adf" | "feeder" => &["adf", "feeder"],
        _ => &[t.as_str()],
    };
    let mut hits = list.iter().filter(|e| {
        let e = e.to_ascii_lowercase();
        words.iter().any(|w| e.contains(w)) && !(t == "adf" && e.contains("duplex"))
    });
    match (hits.next(), hits.next()) {
        (Some(e), None) => Some(e.clone()),
        _ => None,
    }
}

/// `--mode bw|gray|color` → the device's `mode` entry for it (SANE's standard names
/// are Lineart, Gray, Color; backends vary: Binary, Black & White, Grayscale, 24bit
/// Color). A device with no lineart mode but 1-bit gray (the `test` backend) gets
/// gray at depth 1.
fn set_mode(dev: &mut Device<'_>, mode: Mode) -> Result<(), Error> {
    let Some(o) = dev.option("mode") else {
        return dev.set("mode", "");
    };
    let list = o.choices();
    let words: &[&str] = match mode {
        Mode::Bw => &["lineart", "binary", "black", "bw", "halftone"],
        Mode::Gray => &["gray", "grey"],
        Mode::Color => &["color", "colour", "rgb"],
    };
    let find = |words: &[&str]| {
        list.iter()
            .find(|m| {
                let m = m.to_ascii_lowercase();
                words.iter().any(|w| m.contains(w))
            })
            .cloned()
    };
    if let Some(m) = find(words) {
        return dev.set("mode", &m);
    }
    if mode == Mode::Bw {
        let one_bit = dev.option("depth").is_some_and(|d| d.encode("1").is_ok());
        if let (Some(gray), true) = (find(&["gray", "grey"]), one_bit) {
            dev.set("mode", &gray)?;
            return dev.set("depth", "1");
        }
    }
    let name = format!("{mode:?}").to_ascii_lowercase();
    Err(Error::BadValue {
        option: "mode".into(),
        value: match_choice(&list, &name).unwrap_or(name),
        why: format!("the device has no such mode; its modes: {}", list.join("|")),
    })
}

/// True once Ctrl-C (or SIGTERM) arrives; a second Ctrl-C ends the process at once,
/// for a device that does not answer.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(
            sig,
            i32::from(INTERRUPTED),
            Arc::clone(&flag),
        );
        let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
    }
    flag
}

/// An open SANE device, page by page.
pub struct SaneSource<'a> {
    pub dev: Device<'a>,
    pub name: String,
    pub cancel: Arc<AtomicBool>,
    /// The last written page's buffer, for the next page.
    pub spare: Vec<u8>,
}

impl PageSource for SaneSource<'_> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn next_page(&mut self, index: u32) -> Result<Option<SourcePage>, Failure> {
        let bar = page_bar(index);
        let buffer = std::mem::take(&mut self.spare);
        let scanned = self
            .dev
            .scan_page_into(buffer, &self.cancel, &mut |done, total| {
                match total {
                    Some(t) => bar.set_length(t),
                    None if bar.length().is_some() => {
                        // A hand scanner: the length is unknown until the page ends.
                        bar.unset_length();
                        let template = format!("page {} {{spinner}} {{bytes}}", index + 1);
                        if let Ok(style) = ProgressStyle::with_template(&template) {
                            bar.set_style(style);
                        }
                    }
                    None => {}
                }
                bar.set_position(done);
            });
        bar.finish_and_clear();
        let page = match scanned {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(Error::Cancelled) => {
                return Err(Failure {
                    message: "interrupted: the scan was cancelled".into(),
                    status: INTERRUPTED,
                })
            }
            Err(e) => {
                let mut message = e.to_string();
                if self.dev.is_unresponsive() && !matches!(e, Error::Unresponsive { .. }) {
                    // The device error is the news; that the device then did not
                    // stop is why wias ended without it.
                    let secs = self.dev.cancel_wait().as_secs_f64();
                    let call = "sane_cancel";
                    message += &format!("; {}", Error::Unresponsive { call, secs });
                }
                return Err(Failure { message, status: 1 });
            }
        };
        if self.dev.is_unresponsive() {
            eprintln!(
                "wias: {} (page {}): every line of the page arrived, but the device did not end it within {} s; the page is kept, and the device is not used again",
                self.name,
                index + 1,
                self.dev.cancel_wait().as_secs_f64()
            );
        }
        if page.missing_lines > 0 {
            eprintln!(
                "wias: {} (page {}): the device ended the page {} lines early; {} lines kept",
                self.name,
                index + 1,
                page.missing_lines,
                page.lines
            );
        }
        Ok(Some(SourcePage {
            pixel: page.pixel,
            width: page.width,
            lines: page.lines,
            length_known: page.length_known,
            dpi: self.dev.resolution(),
            rows: page.data,
        }))
    }

    fn recycle(&mut self, buffer: Vec<u8>) {
        self.spare = buffer;
    }
}

/// The progress bar of one page: bytes received of the page's size (a spinner with the
/// byte count when the length is unknown). Hidden when stderr is not a terminal.
fn page_bar(index: u32) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let template = format!("page {} {{bar:30}} {{bytes}}/{{total_bytes}}", index + 1);
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    //! Errors on a later sheet of a feeder job. The test backend's error injection
    //! (`read-return-value`) applies from the moment it is set, so these tests set it
    //! between two pages of one job, which only code inside the CLI can do; the pages
    //! then go through the same `write_pages` the command uses.
    use super::*;
    use wias::tiff::Options;
    use wias_testsupport::sane as sane_support;

    /// The SANE source, with `read-return-value` set to `status` before page `at`.
    struct FaultAt<'a> {
        inner: SaneSource<'a>,
        at: u32,
        status: String,
    }

    impl PageSource for FaultAt<'_> {
        fn name(&self) -> String {
            self.inner.name()
        }

        fn next_page(&mut self, index: u32) -> Result<Option<SourcePage>, Failure> {
            if index == self.at {
                self.inner
                    .dev
                    .set("read-return-value", &self.status)
                    .expect("set read-return-value between pages");
            }
            self.inner.next_page(index)
        }
    }

    /// Runs the job below in a child process (this test binary, filtered to the
    /// ignored helper) for each fault: one `Sane` per process, and a test backend that
    /// deadlocks inside `sane_cancel` (about once in 30) leaves SANE unusable in its
    /// process after the cancel wait, as it should. The pages before the fault are
    /// whole scans, hence the deadline (`run_with_deadline` says why).
    #[test]
    fn an_error_on_a_later_sheet_keeps_every_earlier_page() {
        let exe = std::env::current_exe().unwrap();
        for (status, at) in [("SANE_STATUS_JAMMED", "3"), ("SANE_STATUS_IO_ERROR", "1")] {
            let out = sane_support::run_with_deadline(
                std::process::Command::new(&exe)
                    .args([
                        "--ignored",
                        "--exact",
                        "sane_source::tests::later_sheet_errors_in_this_process",
                        "--nocapture",
                    ])
                    .env("WIAS_TEST_FAULT", format!("{status}@{at}"))
                    .env("WIAS_SANE_CANCEL_WAIT_MS", "2000"),
            );
            let log = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{status}: {log}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // The filter matched the helper, so its assertions ran.
            assert!(log.contains("1 passed"), "{log}");
        }
    }

    /// The helper process of the test above (not a test of its own): the fault
    /// `WIAS_TEST_FAULT` (`STATUS@SHEET`) on a colour feeder job.
    #[test]
    #[ignore = "helper process of an_error_on_a_later_sheet_keeps_every_earlier_page"]
    fn later_sheet_errors_in_this_process() {
        std::env::set_var("SANE_CONFIG_DIR", sane_support::config_dir());
        let fault = std::env::var("WIAS_TEST_FAULT").expect("WIAS_TEST_FAULT");
        let (status, at) = fault.split_once('@').unwrap();
        let at: u32 = at.parse().unwrap();
        {
            let dir = tempfile::TempDir::new().unwrap();
            let out = dir.path().join("out.tif");
            let err = {
                let sane = Sane::init().expect("libsane1 is needed for this test");
                let mut dev = sane.open("test:0").unwrap();
                dev.set("source", "Automatic Document Feeder").unwrap();
                dev.set("mode", "Color").unwrap();
                dev.set("test-picture", "Color pattern").unwrap();
                let mut source = FaultAt {
                    inner: SaneSource {
                        dev,
                        name: "sane:test:0".into(),
                        cancel: Arc::new(AtomicBool::new(false)),
                        spare: Vec::new(),
                    },
                    at,
                    status: status.to_string(),
                };
                let out = out.to_str().unwrap();
                let enc = Encoding {
                    format: Format::Tiff,
                    tiff: Options::default(),
                    pdfa: None,
                    metadata: Default::default(),
                    ocr: None,
                };
                write_pages(&mut source, FEEDER_PAGES, out, &enc).unwrap_err()
            };
            assert_eq!(err.status, 1, "{}", err.message);
            let m = &err.message;
            assert!(m.contains(&format!("sane:test:0 (page {})", at + 1)), "{m}");
            assert!(m.contains(status), "{m}");
            let kept = if at == 1 {
                "page 1 is complete in".to_string()
            } else {
                format!("pages 1-{at} are complete in")
            };
            assert!(m.contains(&kept), "{m}");
            let mut reference = sane_support::scanimage(
                dir.path(),
                &[
                    "--source",
                    "Automatic Document Feeder",
                    "--mode",
                    "Color",
                    "--test-picture",
                    "Color pattern",
                ],
                true,
            );
            reference.truncate(at as usize);
            sane_support::assert_same_pages(&out, &reference);
        }
    }
}

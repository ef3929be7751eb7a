//! `wias`: write scanned pages to multipage TIFF, PDF and BMP, inspect TIFF files, and run
//! the built-in virtual scanner through the same transfer path a driver uses.
//!
//! A thin layer: parse arguments (clap), call the library, turn its errors into one
//! line on stderr and an exit status (0 success, 1 failure, 2 usage error).

#![forbid(unsafe_code)]

mod encode;
mod filekind;
mod inspect;
mod output;
mod png_input;
mod sane_source;
mod scan;
mod scanner;
mod staged;
mod write;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Write scanned pages into multipage TIFF, PDF and BMP files, the way the Windows Image
/// Acquisition helpers do.
#[derive(Parser, Debug)]
#[command(name = "wias", version, about, propagate_version = true, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No summary line after a scan or write (errors are still printed).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// The summary line as one JSON object on stderr, for scripts: {"verb": "scanned",
    /// "pages": 4, "output": "scan.tif", "bytes": 812 (null for stdout, a FIFO or a
    /// device), "seconds": 0.52}.
    #[arg(long, global = true)]
    json: bool,
}

/// Set once from `--quiet` before any command runs.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Set once from `--json` before any command runs.
static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The one line a finished `scan` or `write` prints on stderr (stdout may carry the
/// document): pages, file, its size and the time taken.
pub fn summary(verb: &str, pages: u64, out: &str, started: std::time::Instant) {
    if QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let secs = started.elapsed().as_secs_f64();
    if JSON.load(std::sync::atomic::Ordering::Relaxed) {
        let bytes = match std::fs::metadata(out) {
            Ok(m) if m.is_file() && out != "-" => m.len().to_string(),
            _ => "null".into(),
        };
        eprintln!(
            "{{\"verb\": {}, \"pages\": {pages}, \"output\": {}, \"bytes\": {bytes}, \"seconds\": {secs:.3}}}",
            json_string(verb),
            json_string(out)
        );
        return;
    }
    let plural = if pages == 1 { "" } else { "s" };
    let (place, size) = if out == "-" {
        ("stdout".to_string(), String::new())
    } else {
        // A FIFO or a device has no size to tell.
        let size = match std::fs::metadata(out) {
            Ok(m) if m.is_file() => format!(", {}", human_size(m.len())),
            _ => String::new(),
        };
        (out.to_string(), size)
    };
    let to = if verb == "added" { "to" } else { "into" };
    eprintln!("wias: {verb} {pages} page{plural} {to} {place}{size}, {secs:.2} s");
}

/// `s` as a JSON string: quoted, with `"`, `\\` and control characters escaped.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Bytes as people read them: 812 bytes, 272.1 KB, 13.9 MB (1 KB = 1000 bytes).
fn human_size(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} bytes"),
        10_000..=999_999 => format!("{:.1} KB", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

const EXAMPLES: &str = "\
Examples:
  wias scan -o scan.tif                         four pages from the virtual scanner
  wias write -o doc.tif page1.pgm page2.pbm     PNM, PNG and JPEG files into a TIFF
  wias write --append -o doc.tif page3.pgm      add a page, keeping the document's dpi
  wias inspect doc.tif                          every page, tag and offset, and a verdict

`wias help COMMAND` shows a command's flags with its own defaults and examples.";

#[derive(Subcommand, Debug)]
enum Command {
    /// Write PNM images (files, or `-` for a PNM stream on stdin) and PNG and JPEG files into a
    /// TIFF, PDF or BMP.
    Write(write::WriteArgs),
    /// Show every page, tag, strip and tile of a TIFF, and whether the file is sound (its
    /// structure, as libtiff reads it; compressed data are not decoded).
    Inspect(inspect::InspectArgs),
    /// Scan pages from the virtual scanner into a file (default: a multipage scan.tif).
    Scan(Box<scan::ScanArgs>),
    /// Print a shell completion script, e.g. `wias completions bash >
    /// ~/.local/share/bash-completion/completions/wias`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `wias man > ~/.local/share/man/man1/wias.1` or
    /// `wias man | man -l -`.
    Man,
}

/// Why a command failed: the one line for stderr and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub status: u8,
}

impl Failure {
    /// A runtime failure (exit status 1) about `what` (a file name, `-`, or a flag).
    /// A message that already starts with `what` (the library's "doc.tif is locked by
    /// another writer") is not prefixed again.
    pub fn new(what: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        let (what, err) = (what.to_string(), err.to_string());
        let message = if !what.is_empty() && err.starts_with(&what) {
            err
        } else {
            format!("{what}: {err}")
        };
        Failure { message, status: 1 }
    }

    /// A usage error (exit status 2): flags that cannot go together.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            status: 2,
        }
    }
}

fn main() -> ExitCode {
    survive_file_size_limit();
    let cli = Cli::parse();
    let ocr = match &cli.command {
        Command::Write(a) => a.encode.ocr.is_some(),
        Command::Scan(a) => a.encode.ocr.is_some(),
        _ => false,
    };
    if ocr {
        // Before Tesseract (and its OpenMP) loads, while this is the only thread.
        wias_ocr::limit_threads();
    }
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    JSON.store(cli.json, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Write(a) => write::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Scan(a) => scan::run(*a),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "wias", &mut out);
            print_out(&out)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Failure::new("man", e))
                .and_then(|()| print_out(&out))
        }
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(f) => {
            // One line: newlines inside a library message would break log parsers.
            eprintln!("wias: {}", f.message.replace('\n', " "));
            ExitCode::from(f.status)
        }
    }
}

/// Writes generated text to stdout; a reader that stops early (`| head`) is no error.
fn print_out(text: &[u8]) -> Result<u8, Failure> {
    use std::io::Write;
    match std::io::stdout().write_all(text) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new("stdout", e)),
        _ => Ok(0),
    }
}

/// At a file-size limit (`RLIMIT_FSIZE`) the kernel sends SIGXFSZ, whose default action
/// ends the process before it can say what happened. With a handler installed the
/// write fails with EFBIG instead, and the user reads which pages are intact.
fn survive_file_size_limit() {
    #[cfg(unix)]
    {
        use std::sync::atomic::AtomicBool;
        use std::sync::Arc;
        // The flag is never read: the handler's only job is to replace the default.
        let _ = signal_hook::flag::register(
            signal_hook::consts::SIGXFSZ,
            Arc::new(AtomicBool::new(false)),
        );
    }
}

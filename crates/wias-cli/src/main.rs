//! `wias`: write scanned pages to multipage TIFF, PDF and BMP, inspect TIFF files, and run
//! the built-in virtual scanner through the same transfer path a driver uses.
//!
//! A thin layer: parse arguments (clap), call the library, turn its errors into one
//! line on stderr and an exit status (0 success, 1 failure, 2 usage error).

#![forbid(unsafe_code)]

mod encode;
mod inspect;
mod output;
mod scan;
mod scanner;
mod write;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Write scanned pages into multipage TIFF, PDF and BMP files, the way the Windows Image
/// Acquisition helpers do.
#[derive(Parser, Debug)]
#[command(name = "wias", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write PNM images (files, or `-` for a PNM stream on stdin) and JPEG files into a
    /// TIFF, PDF or BMP.
    Write(write::WriteArgs),
    /// Show every page, tag and offset of a TIFF, and whether the file is sound.
    Inspect(inspect::InspectArgs),
    /// Scan pages from the virtual scanner into a file (default: a multipage scan.tif).
    Scan(scan::ScanArgs),
}

/// Why a command failed: the one line for stderr and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub status: u8,
}

impl Failure {
    /// A runtime failure (exit status 1) about `what` (a file name, `-`, or a flag).
    pub fn new(what: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        Failure {
            message: format!("{what}: {err}"),
            status: 1,
        }
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
    let result = match cli.command {
        Command::Write(a) => write::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Scan(a) => scan::run(a),
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

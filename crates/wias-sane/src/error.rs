//! What went wrong talking to SANE, worded for the person at the scanner.

use crate::status::Status;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// libsane could not be loaded (not installed, or too old).
    #[error(
        "SANE is not available ({library}: {detail}); install the Debian package libsane1 \
         (and sane-utils for `scanimage -L`)"
    )]
    Missing { library: String, detail: String },
    /// A SANE call answered with an error status.
    #[error("{during}: {message} ({})", status.name())]
    Status {
        during: &'static str,
        status: Status,
        message: String,
    },
    /// No device of that name.
    #[error("no SANE device {name:?}; devices: {available}")]
    NoDevice { name: String, available: String },
    /// The device has no option of that name.
    #[error("the device has no option {option:?}; its options: {available}")]
    NoOption { option: String, available: String },
    /// A value the option cannot take.
    #[error("option {option}: {value:?}: {why}")]
    BadValue {
        option: String,
        value: String,
        why: String,
    },
    /// A frame the page buffer has no form for, or inconsistent parameters.
    #[error("the device sent {0}")]
    Frame(String),
    /// A page whose lines no longer fit in memory (a device that declares or sends
    /// more lines than any page has).
    #[error(
        "the page does not fit in memory: {bytes} bytes after {lines} lines{}",
        declared.map_or(String::new(), |d| format!(" (the device declared {d} lines)"))
    )]
    PageTooLarge {
        bytes: u64,
        lines: u32,
        declared: Option<u32>,
    },
    /// A call that must return promptly did not within the wait (`sane_cancel`, or
    /// the `sane_read` that ends a page whose every byte has arrived): the backend is
    /// stuck (a deadlocked reader thread), and wias no longer waits for it.
    #[error("the device did not return from {call} within {secs} s; wias stopped waiting for it (unplug or power-cycle the scanner if it stays busy)")]
    Unresponsive { call: &'static str, secs: f64 },
    /// The scan was cancelled (Ctrl-C).
    #[error("cancelled")]
    Cancelled,
    /// Another `Sane` is alive in this process (libsane has global state).
    #[error("SANE is already in use in this process")]
    Busy,
}

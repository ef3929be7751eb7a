//! The one error type of the library, and the one place it becomes an HRESULT.
//!
//! Every message names the field (or file position) and the value that was wrong, so
//! that a driver author reading a log line knows what to fix without a debugger.

use std::io;

/// `S_OK` and the failure codes the library can return, as the Windows headers define them.
pub mod hresult {
    pub const S_OK: i32 = 0;
    pub const S_FALSE: i32 = 1;
    pub const E_NOTIMPL: i32 = 0x8000_4001_u32 as i32;
    pub const E_POINTER: i32 = 0x8000_4003_u32 as i32;
    pub const E_FAIL: i32 = 0x8000_4005_u32 as i32;
    pub const E_UNEXPECTED: i32 = 0x8000_FFFF_u32 as i32;
    pub const E_OUTOFMEMORY: i32 = 0x8007_000E_u32 as i32;
    pub const E_INVALIDARG: i32 = 0x8007_0057_u32 as i32;
    pub const E_ACCESSDENIED: i32 = 0x8007_0005_u32 as i32;
    pub const STG_E_ACCESSDENIED: i32 = 0x8003_0005_u32 as i32;
    pub const STG_E_WRITEFAULT: i32 = 0x8003_001D_u32 as i32;
    pub const STG_E_MEDIUMFULL: i32 = 0x8003_0070_u32 as i32;

    /// `HRESULT_FROM_WIN32(e)` for a Win32 error code `e` (0 stays 0).
    pub const fn from_win32(e: u32) -> i32 {
        if e == 0 {
            0
        } else {
            (0x8007_0000 | (e & 0xFFFF)) as i32
        }
    }
    pub const ERROR_INVALID_HANDLE: u32 = 6;
    pub const ERROR_INVALID_DATA: u32 = 13;
    pub const ERROR_WRITE_FAULT: u32 = 29;
    pub const ERROR_READ_FAULT: u32 = 30;
    pub const ERROR_SHARING_VIOLATION: u32 = 32;
    pub const ERROR_HANDLE_EOF: u32 = 38;
    pub const ERROR_DISK_FULL: u32 = 112;
    pub const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
    pub const ERROR_FILE_TOO_LARGE: u32 = 223;
    pub const ERROR_ARITHMETIC_OVERFLOW: u32 = 534;

    /// `MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, n)`: the `WIA_ERROR_*` values.
    pub const fn wia_error(n: u32) -> i32 {
        (0x8021_0000 | n) as i32
    }
    pub const WIA_ERROR_GENERAL_ERROR: i32 = wia_error(1);
    pub const WIA_ERROR_PAPER_JAM: i32 = wia_error(2);
    pub const WIA_ERROR_PAPER_EMPTY: i32 = wia_error(3);
    pub const WIA_ERROR_PAPER_PROBLEM: i32 = wia_error(4);
    pub const WIA_ERROR_OFFLINE: i32 = wia_error(5);
    pub const WIA_ERROR_BUSY: i32 = wia_error(6);
    pub const WIA_ERROR_WARMING_UP: i32 = wia_error(7);
    pub const WIA_ERROR_USER_INTERVENTION: i32 = wia_error(8);
    pub const WIA_ERROR_ITEM_DELETED: i32 = wia_error(9);
    pub const WIA_ERROR_DEVICE_COMMUNICATION: i32 = wia_error(10);
    pub const WIA_ERROR_INVALID_COMMAND: i32 = wia_error(11);
    pub const WIA_ERROR_INCORRECT_HARDWARE_SETTING: i32 = wia_error(12);
    pub const WIA_ERROR_DEVICE_LOCKED: i32 = wia_error(13);
    pub const WIA_ERROR_EXCEPTION_IN_DRIVER: i32 = wia_error(14);
    pub const WIA_ERROR_INVALID_DRIVER_RESPONSE: i32 = wia_error(15);
    pub const WIA_ERROR_COVER_OPEN: i32 = wia_error(16);
    pub const WIA_ERROR_LAMP_OFF: i32 = wia_error(17);
    pub const WIA_ERROR_DESTINATION: i32 = wia_error(18);
    pub const WIA_ERROR_NETWORK_RESERVATION_FAILED: i32 = wia_error(19);
    pub const WIA_ERROR_MULTI_FEED: i32 = wia_error(20);
    pub const WIA_ERROR_MAXIMUM_PRINTER_ENDORSER_COUNTER: i32 = wia_error(21);
}

/// Everything that can go wrong in wias.
///
/// [`Error::hresult`] maps each variant to the code a WIA driver expects.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field of the page description or transfer context has a value we cannot use.
    #[error("{field} = {value}: {reason}")]
    InvalidArgument {
        field: &'static str,
        value: String,
        reason: String,
    },
    /// A size computed from the page description does not fit (in `u64`, in memory, or in
    /// the 32-bit `LONG` fields of the C transfer context).
    #[error("{what} overflows: {detail}")]
    SizeOverflow { what: &'static str, detail: String },
    /// The page buffer is not as long as the page description says it must be.
    #[error("page data is {got} bytes, but {expected} are needed ({detail})")]
    WrongDataLength {
        expected: u64,
        got: u64,
        detail: String,
    },
    /// The combination asked for cannot be written (16-bit BMP, a second BMP page,
    /// G4 on a gray page, ...).
    #[error("{0}")]
    Unsupported(String),
    /// A document was finished without a page (a TIFF needs at least one).
    #[error("no page was written: {0}")]
    NoPages(String),
    /// A stream failed earlier: some bytes of a page may have gone out, so no further
    /// page can be written after them.
    #[error("the stream failed earlier: {0}")]
    BrokenStream(String),
    /// A buffer the caller gave is too small for what must be copied into it
    /// (`HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)`, as Windows reports it).
    #[error("{what} is {got} bytes, but {needed} are needed")]
    BufferTooSmall {
        what: &'static str,
        needed: u64,
        got: i64,
    },
    /// `lItemSize` names a byte count that cannot be written from the buffer: negative,
    /// or more than the buffer holds. `E_FAIL`, the code `wiasWriteBufToFile` gives on
    /// Windows for it.
    #[error("lItemSize = {item_size}: {reason}")]
    ItemSize { item_size: i32, reason: String },
    /// A file we were asked to read or append to is not a TIFF.
    #[error("not a TIFF file: {0}")]
    NotTiff(String),
    /// A TIFF whose IFD chain or tags are damaged (loop, offset past the end, ...).
    #[error("damaged TIFF: {0}")]
    Corrupt(String),
    /// A file we were asked to append to as a PDF is not one.
    #[error("not a PDF file: {0}")]
    NotPdf(String),
    /// A PDF whose structure (trailer, cross-references, page tree) is damaged: it is
    /// refused, never appended to.
    #[error("damaged PDF: {0}")]
    CorruptPdf(String),
    /// Another writer holds the file.
    #[error("{0} is locked by another writer")]
    Locked(String),
    /// A page would pass a limit the caller set ([`Options::max_file_size`], or the
    /// largest IFD offset the C transfer context's `LONG` can hold). Nothing of the page
    /// was written; to the caller the medium is full (`STG_E_MEDIUMFULL`).
    ///
    /// [`Options::max_file_size`]: crate::tiff::Options::max_file_size
    #[error("page {page}: {detail}")]
    Limit { page: u32, detail: String },
    /// A codec failed on the data it was given.
    #[error("{codec} encoder: {detail}")]
    Codec { codec: &'static str, detail: String },
    /// Reading or writing the file or stream failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(
        field: &'static str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidArgument {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Wraps an I/O error with what we were doing when it happened.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// True when the error is a full disk or a file-size limit.
    pub fn is_medium_full(&self) -> bool {
        match self {
            Error::Limit { .. } => true,
            Error::Io { source, .. } => io_is_medium_full(source),
            _ => false,
        }
    }

    /// The HRESULT (or `WIA_ERROR_*`) a WIA driver expects for this error.
    ///
    /// ```
    /// use wias::{Error, hresult};
    /// let e = Error::invalid("lDepth", 7, "must be 1, 8, 16, 24 or 48");
    /// assert_eq!(e.hresult(), hresult::E_INVALIDARG);
    /// ```
    pub fn hresult(&self) -> i32 {
        use hresult::*;
        match self {
            Error::InvalidArgument { .. }
            | Error::WrongDataLength { .. }
            | Error::Unsupported(_)
            | Error::NoPages(_) => E_INVALIDARG,
            Error::BrokenStream(_) => from_win32(ERROR_WRITE_FAULT),
            Error::SizeOverflow { .. } => E_INVALIDARG,
            Error::NotTiff(_) | Error::Corrupt(_) | Error::NotPdf(_) | Error::CorruptPdf(_) => {
                from_win32(ERROR_INVALID_DATA)
            }
            Error::Locked(_) => from_win32(ERROR_SHARING_VIOLATION),
            Error::Limit { .. } => STG_E_MEDIUMFULL,
            Error::Codec { .. } | Error::ItemSize { .. } => E_FAIL,
            Error::BufferTooSmall { .. } => from_win32(ERROR_INSUFFICIENT_BUFFER),
            Error::Io { source, .. } => io_hresult(source),
        }
    }
}

/// A full disk or a file-size limit (ENOSPC, EFBIG, EDQUOT).
pub(crate) fn io_is_medium_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge
    ) || matches!(e.raw_os_error(), Some(28) | Some(27) | Some(122)) // ENOSPC, EFBIG, EDQUOT
}

fn io_hresult(e: &io::Error) -> i32 {
    use hresult::*;
    if io_is_medium_full(e) {
        return STG_E_MEDIUMFULL;
    }
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => E_ACCESSDENIED,
        io::ErrorKind::OutOfMemory => E_OUTOFMEMORY,
        io::ErrorKind::UnexpectedEof => from_win32(ERROR_HANDLE_EOF),
        io::ErrorKind::InvalidInput => E_INVALIDARG,
        _ => match e.raw_os_error() {
            Some(9) => from_win32(ERROR_INVALID_HANDLE), // EBADF: not open, or not for writing
            _ => from_win32(ERROR_WRITE_FAULT),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wia_errors_are_decimal_in_facility_33() {
        assert_eq!(hresult::WIA_ERROR_COVER_OPEN as u32, 0x8021_0010);
        assert_eq!(hresult::WIA_ERROR_GENERAL_ERROR as u32, 0x8021_0001);
        assert_eq!(
            hresult::WIA_ERROR_MAXIMUM_PRINTER_ENDORSER_COUNTER as u32,
            0x8021_0015
        );
    }

    #[test]
    fn io_errors_map_to_the_documented_codes() {
        let full = Error::io("write", io::Error::from_raw_os_error(28));
        assert_eq!(full.hresult(), hresult::STG_E_MEDIUMFULL);
        assert!(full.is_medium_full());
        let fbig = Error::io("write", io::Error::from_raw_os_error(27));
        assert_eq!(fbig.hresult(), hresult::STG_E_MEDIUMFULL);
        let badf = Error::io("write", io::Error::from_raw_os_error(9));
        assert_eq!(badf.hresult() as u32, 0x8007_0006);
        let perm = Error::io("open", io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(perm.hresult(), hresult::E_ACCESSDENIED);
        assert_eq!(
            hresult::from_win32(hresult::ERROR_DISK_FULL) as u32,
            0x8007_0070
        );
        assert_eq!(
            hresult::from_win32(hresult::ERROR_FILE_TOO_LARGE) as u32,
            0x8007_00DF
        );
    }

    #[test]
    fn messages_name_field_and_value() {
        let e = Error::invalid("lWidthInPixels", -3, "must be at least 1");
        assert_eq!(e.to_string(), "lWidthInPixels = -3: must be at least 1");
    }
}

//! The C ABI of wias: `libwias.so` / `libwias.a` with `include/wias.h`.
//!
//! A thin shell over the `wias` library: each exported function checks its pointers,
//! turns the C `MINIDRV_TRANSFER_CONTEXT` into a [`wias_core::TransferContext`], hands
//! the library a slice of the transfer buffer and a sink (the caller's file descriptor
//! or `IStream`), and copies the sizes and IFD offsets back. All `unsafe` of the
//! library's C ABI lives in this crate (the only other is `wias-sane`'s FFI to
//! libsane); the `wias` library itself forbids it; no panic crosses the ABI (it becomes `E_FAIL`).
//!
//! Rules a C caller relies on (`docs/driver-rules.md`, `docs/c-api.md`):
//! - `pWiasContext` may be NULL; a non-NULL one is accepted and ignored (there is no
//!   item tree: the fields already in `*pmdtc` are the input).
//! - `lPage`, `lCurIfdOffset` and `lPrevIfdOffset` belong to the library, as they
//!   belong to the WIA service on Windows: every successful TIFF page advances them.
//! - `hFile` is a POSIX file descriptor the caller opened and keeps: it is never
//!   closed. Appending TIFF pages (`lPage > 0`) reads the previous IFD, so it must be
//!   open for reading and writing. Every other format is appended as it is.
//! - TIFF offsets travel in 32-bit `LONG`s: a page that would end past `i32::MAX`
//!   bytes fails with `STG_E_MEDIUMFULL` before any byte is written.
//! - `SOURCE_DATE_EPOCH`, when set, fixes the TIFF DateTime tag (reproducible files).
//! - `wiasLastErrorMessage()` says, in words, why the last call on this thread failed.
#![allow(non_snake_case)]

mod guids;
mod stream;
mod types;

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};
use std::panic::{self, AssertUnwindSafe};

use wias_core::hresult::{
    from_win32, ERROR_INVALID_HANDLE, E_ACCESSDENIED, E_FAIL, E_POINTER, S_FALSE, S_OK,
};
use wias_core::tiff::{DateTime, Options};
use wias_core::{transfer, Error, ImageFormat};

use stream::ComStream;
use types::{IStream, BYTE, HRESULT, LONG, MINIDRV_TRANSFER_CONTEXT};

/// `wiasGetImageInformation`'s one flag: initialise the context from the item.
const WIAS_INIT_CONTEXT: LONG = 1;

/// Why a call failed: the HRESULT the caller gets and the sentence it can log.
struct Failure {
    hr: HRESULT,
    message: String,
}

impl Failure {
    fn new(hr: HRESULT, message: impl Into<String>) -> Self {
        Failure {
            hr,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(e.hresult(), e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: String) {
    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // try_with: during thread teardown there is nowhere to keep it, and that is fine.
    let _ = LAST_ERROR.try_with(|m| *m.borrow_mut() = message);
}

/// Runs one exported call: catches panics, turns the outcome into an HRESULT and
/// records the message for `wiasLastErrorMessage`.
fn run(name: &str, call: impl FnOnce() -> Result<(), Failure>) -> HRESULT {
    let (hr, message) = match panic::catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(())) => (S_OK, String::new()),
        Ok(Err(f)) => (f.hr, format!("{name}: {}", f.message)),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            (E_FAIL, format!("{name}: internal error ({what})"))
        }
    };
    set_last_error(message);
    hr
}

/// The caller's transfer context, or `E_POINTER`.
///
/// # Safety
/// A non-NULL `p` must point to a `MINIDRV_TRANSFER_CONTEXT` that nothing else uses
/// during the call.
unsafe fn context<'a>(
    p: *mut MINIDRV_TRANSFER_CONTEXT,
) -> Result<&'a mut MINIDRV_TRANSFER_CONTEXT, Failure> {
    if p.is_null() {
        return Err(Failure::new(E_POINTER, "pmdtc is NULL"));
    }
    if !p.is_aligned() {
        return Err(Failure::new(
            E_POINTER,
            format!("pmdtc = {p:p} is not aligned for MINIDRV_TRANSFER_CONTEXT"),
        ));
    }
    // SAFETY: non-NULL and aligned; the caller vouches it is a live, unshared context.
    Ok(unsafe { &mut *p })
}

/// The `lBufferSize` bytes at `pTransferBuffer`, for a TIFF page: a NULL pointer is
/// `E_POINTER`, `lBufferSize <= 0` is `E_INVALIDARG`.
///
/// # Safety
/// A non-NULL `pTransferBuffer` must be readable for `lBufferSize` bytes during the
/// call and not overlap the context.
unsafe fn transfer_buffer<'a>(c: &MINIDRV_TRANSFER_CONTEXT) -> Result<&'a [u8], Failure> {
    if c.pTransferBuffer.is_null() {
        return Err(Failure::new(E_POINTER, "pTransferBuffer is NULL"));
    }
    if c.lBufferSize <= 0 {
        return Err(Error::invalid(
            "lBufferSize",
            c.lBufferSize,
            "must be the size of the transfer buffer (at least 1 byte)",
        )
        .into());
    }
    // SAFETY: non-NULL, length positive; the caller vouches that lBufferSize bytes are
    // readable there for the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts(c.pTransferBuffer, c.lBufferSize as usize) })
}

/// The bytes an append (`wiasWriteBufToFile`, a non-TIFF page) may read: the
/// `lBufferSize` bytes at `pTransferBuffer`, none when `lBufferSize <= 0` (so that
/// `transfer::write_buf` refuses any `lItemSize > 0` with `E_FAIL`). Only called with
/// `lItemSize > 0`; a NULL pointer is then `E_POINTER`.
///
/// # Safety
/// As for [`transfer_buffer`].
unsafe fn append_buffer<'a>(c: &MINIDRV_TRANSFER_CONTEXT) -> Result<&'a [u8], Failure> {
    if c.pTransferBuffer.is_null() {
        return Err(Failure::new(E_POINTER, "pTransferBuffer is NULL"));
    }
    if c.lBufferSize <= 0 {
        return Ok(&[]);
    }
    // SAFETY: as in transfer_buffer.
    Ok(unsafe { std::slice::from_raw_parts(c.pTransferBuffer, c.lBufferSize as usize) })
}

/// Writes `lItemSize` bytes of the transfer buffer at `hFile`'s position, as they are:
/// `wiasWriteBufToFile`, and `wiasWritePageBufToFile` for every format but TIFF.
/// `lItemSize` 0 succeeds without touching anything; negative, or more than
/// `lBufferSize`, is `E_FAIL`.
///
/// # Safety
/// As for [`transfer_buffer`].
unsafe fn append_to_file(c: &MINIDRV_TRANSFER_CONTEXT) -> Result<(), Failure> {
    let ctx = c.transfer_context();
    if ctx.item_size <= 0 {
        return Ok(transfer::write_buf(&ctx, &mut std::io::sink(), &[])?);
    }
    // SAFETY: the caller's contract above.
    let buffer = unsafe { append_buffer(c) }?;
    if buffer.len() < ctx.item_size as usize {
        // Refused before the descriptor is looked at, as Windows does.
        return Ok(transfer::write_buf(&ctx, &mut std::io::sink(), buffer)?);
    }
    let mut file = borrow_file(c.hFile, false)?;
    Ok(transfer::write_buf(&ctx, &mut *file, buffer)?)
}

/// The caller's file descriptor as a `File` that is never closed. A descriptor that is
/// not open, or not open for writing (or for reading when `need_read`), is refused
/// before any byte is written.
fn borrow_file(h_file: isize, need_read: bool) -> Result<ManuallyDrop<File>, Failure> {
    let fd = RawFd::try_from(h_file)
        .ok()
        .filter(|fd| *fd >= 0)
        .ok_or_else(|| {
            Failure::new(
                from_win32(ERROR_INVALID_HANDLE),
                format!("hFile = {h_file} is not a file descriptor"),
            )
        })?;
    // SAFETY: F_GETFL only reads the descriptor's status flags; on a descriptor that is
    // not open it fails with EBADF and changes nothing.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(Failure::new(
            from_win32(ERROR_INVALID_HANDLE),
            format!(
                "hFile = {fd} is not an open file descriptor ({})",
                std::io::Error::last_os_error()
            ),
        ));
    }
    match flags & libc::O_ACCMODE {
        libc::O_RDONLY => {
            return Err(Failure::new(
                E_ACCESSDENIED,
                format!("hFile = {fd} is open read-only; open it O_RDWR"),
            ))
        }
        libc::O_WRONLY if need_read => {
            return Err(Failure::new(
                E_ACCESSDENIED,
                format!(
                    "hFile = {fd} is open write-only; appending a TIFF page reads the previous IFD, open it O_RDWR"
                ),
            ))
        }
        _ => {}
    }
    // SAFETY: fd is open (F_GETFL succeeded) and the caller keeps it open for the whole
    // call; ManuallyDrop means this File never closes it, even if a panic unwinds.
    Ok(ManuallyDrop::new(unsafe { File::from_raw_fd(fd) }))
}

/// A TIFF page writes at offsets (the header, the link in the previous IFD); on a
/// descriptor opened with `O_APPEND` every write lands at the end of the file instead,
/// so pages would be reported written that no chain reaches. Such a descriptor is
/// refused before any byte is written (as Windows refuses a write at an offset through
/// a handle with append-only access: access denied).
fn refuse_append_mode(h_file: isize) -> Result<(), Failure> {
    let Ok(fd) = RawFd::try_from(h_file) else {
        return Ok(()); // borrow_file has refused it already
    };
    // SAFETY: F_GETFL only reads the descriptor's status flags (borrow_file checked
    // it is open).
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags >= 0 && flags & libc::O_APPEND != 0 {
        return Err(Failure::new(
            E_ACCESSDENIED,
            format!(
                "hFile = {fd} is open with O_APPEND: every write would go to the end of the file, where a TIFF page's link cannot be; open it O_RDWR without O_APPEND"
            ),
        ));
    }
    Ok(())
}

/// TIFF settings of the C ABI: `SOURCE_DATE_EPOCH` fixes the DateTime tag when set.
/// (That IFD offsets fit the context's `LONG` fields, `wias::transfer` enforces.)
fn tiff_options() -> Options {
    Options::default().date_time(DateTime::from_env())
}

/// `wiasGetImageInformation`: sets `cbWidthInBytes`, `lImageSize`, `lHeaderSize` and
/// `lItemSize` from the image fields of `*pmdtc`, and copies the header (BMP,
/// MEMORYBMP, memory-callback TIFF) to `pTransferBuffer` when that is not NULL.
/// `S_FALSE` for a format GUID wias does not know (raw row sizes, no header);
/// `HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)` when the header does not fit in
/// `lBufferSize` bytes (the sizes are set, so `lHeaderSize` says what is needed).
///
/// # Safety
/// `pmdtc` is NULL or a valid context; a non-NULL `pTransferBuffer` in it is writable
/// for `lBufferSize` bytes. `pWiasContext` is not used.
#[no_mangle]
pub unsafe extern "system" fn wiasGetImageInformation(
    pWiasContext: *mut BYTE,
    lFlags: LONG,
    pmdtc: *mut MINIDRV_TRANSFER_CONTEXT,
) -> HRESULT {
    let _ = pWiasContext; // no item tree: *pmdtc is the input
    run("wiasGetImageInformation", || {
        // SAFETY: the caller's contract above.
        let c = unsafe { context(pmdtc) }?;
        if lFlags & !WIAS_INIT_CONTEXT != 0 {
            return Err(
                Error::invalid("lFlags", lFlags, "must be 0 or WIAS_INIT_CONTEXT (1)").into(),
            );
        }
        let mut ctx = c.transfer_context();
        let info = ctx.image_information_with(&tiff_options())?;
        c.set_sizes(&ctx);
        if !c.pTransferBuffer.is_null() && !info.header.is_empty() {
            let len = info.header.len();
            if i64::from(c.lBufferSize) < len as i64 {
                return Err(Error::BufferTooSmall {
                    what: "the transfer buffer (lBufferSize)",
                    needed: len as u64,
                    got: i64::from(c.lBufferSize),
                }
                .into());
            }
            // SAFETY: pTransferBuffer is non-NULL and, by the caller's contract,
            // writable for lBufferSize >= len bytes; the header is our own Vec.
            unsafe { std::ptr::copy_nonoverlapping(info.header.as_ptr(), c.pTransferBuffer, len) };
        }
        if !info.known_format {
            // Not a failure: run() returns S_FALSE and keeps this note as the message.
            return Err(Failure::new(
                S_FALSE,
                format!(
                    "guidFormatID = {}: not a format wias knows; the sizes are those of raw rows, with no header",
                    ctx.format
                ),
            ));
        }
        Ok(())
    })
}

/// `wiasWritePageBufToFile`: writes the transfer buffer to `hFile`. TIFF: one whole
/// page, appended to the document and linked, then `lPage`, `lPrevIfdOffset` and
/// `lCurIfdOffset` advanced. Every other format: as [`wiasWriteBufToFile`].
///
/// # Safety
/// `pmdtc` is NULL or a valid context whose non-NULL `pTransferBuffer` is readable for
/// `lBufferSize` bytes; `hFile` is a descriptor the caller owns.
#[no_mangle]
pub unsafe extern "system" fn wiasWritePageBufToFile(
    pmdtc: *mut MINIDRV_TRANSFER_CONTEXT,
) -> HRESULT {
    run("wiasWritePageBufToFile", || {
        // SAFETY: the caller's contract above.
        let c = unsafe { context(pmdtc) }?;
        if c.transfer_context().image_format() != ImageFormat::Tiff {
            // SAFETY: the caller's contract above.
            return unsafe { append_to_file(c) };
        }
        // SAFETY: the caller's contract above.
        let buffer = unsafe { transfer_buffer(c) }?;
        let mut ctx = c.transfer_context();
        let need_read = ctx.page > 0;
        let mut file = borrow_file(c.hFile, need_read)?;
        if ctx.image_format() == ImageFormat::Tiff {
            refuse_append_mode(c.hFile)?;
        }
        transfer::write_page_buf_with(&mut ctx, &mut *file, buffer, tiff_options())?;
        c.set_chain(&ctx);
        Ok(())
    })
}

/// `wiasWriteBufToFile`: writes `lItemSize` bytes of the transfer buffer to `hFile` at
/// its current position, as they are. `lFlags` is ignored (as on Windows); `lItemSize`
/// 0 writes nothing and succeeds; negative, or larger than `lBufferSize`, is `E_FAIL`.
///
/// # Safety
/// As for [`wiasWritePageBufToFile`].
#[no_mangle]
pub unsafe extern "system" fn wiasWriteBufToFile(
    lFlags: LONG,
    pmdtc: *mut MINIDRV_TRANSFER_CONTEXT,
) -> HRESULT {
    let _ = lFlags; // reserved; Windows ignores it too
    run("wiasWriteBufToFile", || {
        // SAFETY: the caller's contract above.
        let c = unsafe { context(pmdtc) }?;
        // SAFETY: the caller's contract above.
        unsafe { append_to_file(c) }
    })
}

/// `wiasWritePageBufToStream`: [`wiasWritePageBufToFile`] into the caller's `IStream`
/// (through its Write, Seek and, for TIFF pages after the first, Read). A failing
/// stream method's HRESULT is returned as it is.
///
/// # Safety
/// As for [`wiasWritePageBufToFile`]; `pstream` is NULL or a live COM `IStream`.
#[no_mangle]
pub unsafe extern "system" fn wiasWritePageBufToStream(
    pmdtc: *mut MINIDRV_TRANSFER_CONTEXT,
    pstream: *mut IStream,
) -> HRESULT {
    run("wiasWritePageBufToStream", || {
        // SAFETY: the caller's contract above.
        let c = unsafe { context(pmdtc) }?;
        if pstream.is_null() {
            return Err(Failure::new(E_POINTER, "pstream is NULL"));
        }
        if !pstream.is_aligned() {
            return Err(Failure::new(
                E_POINTER,
                format!("pstream = {pstream:p} is not aligned"),
            ));
        }
        let tiff = c.transfer_context().image_format() == ImageFormat::Tiff;
        if !tiff && c.lItemSize <= 0 {
            return Ok(transfer::write_buf(
                &c.transfer_context(),
                &mut std::io::sink(),
                &[],
            )?);
        }
        // SAFETY: the caller's contract above.
        let buffer = unsafe {
            if tiff {
                transfer_buffer(c)
            } else {
                append_buffer(c)
            }
        }?;
        // SAFETY: pstream is non-NULL, aligned, and by the caller's contract a live
        // IStream for the duration of the call.
        let mut stream = unsafe { ComStream::new(pstream) }
            .ok_or_else(|| Failure::new(E_POINTER, "pstream->lpVtbl is NULL"))?;
        let mut ctx = c.transfer_context();
        match transfer::write_page_buf_with(&mut ctx, &mut stream, buffer, tiff_options()) {
            Ok(()) => {
                c.set_chain(&ctx);
                Ok(())
            }
            Err(e) => Err(Failure::new(
                stream.failure().unwrap_or_else(|| e.hresult()),
                e.to_string(),
            )),
        }
    })
}

/// Why the last `wias*` call on this thread failed, in one sentence naming the field
/// and value (empty after a success). Valid until the next `wias*` call on the thread.
#[no_mangle]
pub extern "system" fn wiasLastErrorMessage() -> *const c_char {
    let fallback = c"".as_ptr();
    panic::catch_unwind(|| {
        LAST_ERROR
            .try_with(|m| m.borrow().as_ptr())
            .unwrap_or(fallback)
    })
    .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last_message() -> String {
        // SAFETY: wiasLastErrorMessage returns a NUL-terminated string owned by this
        // thread, valid until the next wias* call; it is copied at once.
        unsafe { CStr::from_ptr(wiasLastErrorMessage()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_e_fail_with_its_message() {
        let hr = run("wiasTest", || panic!("boom at page 3"));
        assert_eq!(hr, E_FAIL);
        assert_eq!(last_message(), "wiasTest: internal error (boom at page 3)");
        assert_eq!(run("wiasTest", || Ok(())), S_OK);
        assert_eq!(last_message(), "");
    }

    #[test]
    fn library_errors_keep_their_hresult_and_message() {
        let hr = run(
            "wiasTest",
            || Err(Error::invalid("lDepth", 7, "bad").into()),
        );
        assert_eq!(hr, wias_core::hresult::E_INVALIDARG);
        assert_eq!(last_message(), "wiasTest: lDepth = 7: bad");
    }
}

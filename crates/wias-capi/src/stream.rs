//! `Read + Write + Seek` over a caller's COM `IStream`, so that the library writes
//! into it exactly as into a file.

use std::ffi::c_void;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::types::{
    IStream, IStreamVtbl, HRESULT, LARGE_INTEGER, STREAM_SEEK_CUR, STREAM_SEEK_END,
    STREAM_SEEK_SET, ULARGE_INTEGER,
};
use wias_core::hresult::E_POINTER;

/// A borrowed `IStream`. Remembers the HRESULT of the first failed stream call, which
/// is what the caller gets back (its own `STG_E_MEDIUMFULL` stays `STG_E_MEDIUMFULL`).
pub struct ComStream<'a> {
    this: *mut IStream,
    vtbl: &'a IStreamVtbl,
    failed: Option<HRESULT>,
}

impl<'a> ComStream<'a> {
    /// # Safety
    /// `this` must point to a live `IStream` whose vtable pointer is valid for `'a`, and
    /// whose non-NULL entries are functions with the COM signatures.
    pub unsafe fn new(this: *mut IStream) -> Option<Self> {
        // SAFETY: the caller vouches that `this` is a live IStream; we only read its
        // vtable pointer, and a NULL one is refused.
        let vtbl = unsafe { (*this).lpVtbl.as_ref()? };
        Some(ComStream {
            this,
            vtbl,
            failed: None,
        })
    }

    /// The HRESULT of the first stream call that failed, if any.
    pub fn failure(&self) -> Option<HRESULT> {
        self.failed
    }

    fn fail(&mut self, method: &str, hr: HRESULT) -> io::Error {
        self.failed.get_or_insert(hr);
        io::Error::other(format!("IStream::{method} returned 0x{:08X}", hr as u32))
    }

    fn missing(&mut self, method: &str) -> io::Error {
        self.fail(method, E_POINTER);
        io::Error::other(format!("the IStream vtable has no {method} (NULL entry)"))
    }
}

impl Write for ComStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(write) = self.vtbl.Write else {
            return Err(self.missing("Write"));
        };
        let n = buf.len().min(u32::MAX as usize) as u32;
        let mut written = 0u32;
        // SAFETY: `this` is the live stream `new` was given; `buf` is valid for `n`
        // bytes and `written` for one ULONG during the call.
        let hr = unsafe { write(self.this, buf.as_ptr().cast::<c_void>(), n, &mut written) };
        if hr < 0 {
            return Err(self.fail("Write", hr));
        }
        if written > n {
            return Err(io::Error::other(format!(
                "IStream::Write reports {written} bytes written of {n}"
            )));
        }
        Ok(written as usize)
    }

    fn flush(&mut self) -> io::Result<()> {
        // IStream::Commit is for transacted storages; a plain stream has nothing to flush.
        Ok(())
    }
}

impl Read for ComStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(read) = self.vtbl.Read else {
            return Err(self.missing("Read"));
        };
        let n = buf.len().min(u32::MAX as usize) as u32;
        let mut got = 0u32;
        // SAFETY: as in `write`; `buf` is valid for writes of `n` bytes.
        let hr = unsafe { read(self.this, buf.as_mut_ptr().cast::<c_void>(), n, &mut got) };
        if hr < 0 {
            return Err(self.fail("Read", hr));
        }
        if got > n {
            return Err(io::Error::other(format!(
                "IStream::Read reports {got} bytes read of {n}"
            )));
        }
        Ok(got as usize)
    }
}

impl Seek for ComStream<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let Some(seek) = self.vtbl.Seek else {
            return Err(self.missing("Seek"));
        };
        let (mv, origin) = match pos {
            SeekFrom::Start(n) => (
                i64::try_from(n).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
                STREAM_SEEK_SET,
            ),
            SeekFrom::Current(d) => (d, STREAM_SEEK_CUR),
            SeekFrom::End(d) => (d, STREAM_SEEK_END),
        };
        let mut new_pos = ULARGE_INTEGER { QuadPart: 0 };
        // SAFETY: as in `write`; `new_pos` is valid for one ULARGE_INTEGER.
        let hr = unsafe {
            seek(
                self.this,
                LARGE_INTEGER { QuadPart: mv },
                origin,
                &mut new_pos,
            )
        };
        if hr < 0 {
            return Err(self.fail("Seek", hr));
        }
        // SAFETY: both union fields are plain integers covering the same 8 bytes.
        Ok(unsafe { new_pos.QuadPart })
    }
}

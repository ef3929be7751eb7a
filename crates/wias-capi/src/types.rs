//! The C types of `include/wias.h`, field for field, in `#[repr(C)]` form.
//!
//! The layout is the Windows x64 one (`LONG` 32-bit, `LONG_PTR` and pointers 64-bit):
//! the `const` assertions below fail the build if a field moves, and the C test
//! `layout.c` checks the header against the same table, so the header and these
//! definitions cannot drift apart unnoticed.
#![allow(non_snake_case, non_camel_case_types, clippy::upper_case_acronyms)]

use std::ffi::c_void;

pub type LONG = i32;
pub type ULONG = u32;
pub type DWORD = u32;
pub type LONG_PTR = isize;
pub type BOOL = i32;
pub type BYTE = u8;
pub type HRESULT = i32;

/// `GUID`: `{uint32_t; uint16_t; uint16_t; uint8_t[8]}`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GUID {
    pub Data1: u32,
    pub Data2: u16,
    pub Data3: u16,
    pub Data4: [u8; 8],
}

impl From<wias_core::Guid> for GUID {
    fn from(g: wias_core::Guid) -> Self {
        GUID {
            Data1: g.data1,
            Data2: g.data2,
            Data3: g.data3,
            Data4: g.data4,
        }
    }
}

impl From<GUID> for wias_core::Guid {
    fn from(g: GUID) -> Self {
        wias_core::Guid::new(g.Data1, g.Data2, g.Data3, g.Data4)
    }
}

/// Opaque: the library never calls the minidriver callback.
#[repr(C)]
pub struct IWiaMiniDrvCallBack {
    _private: [u8; 0],
}

/// `MINIDRV_TRANSFER_CONTEXT` with the 27 fields of `wiamindr_lh.h`, in their order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MINIDRV_TRANSFER_CONTEXT {
    pub lSize: LONG,
    pub lWidthInPixels: LONG,
    pub lLines: LONG,
    pub lDepth: LONG,
    pub lXRes: LONG,
    pub lYRes: LONG,
    pub lCompression: LONG,
    pub guidFormatID: GUID,
    pub tymed: LONG,
    pub hFile: LONG_PTR,
    pub cbOffset: LONG,
    pub lBufferSize: LONG,
    pub lActiveBuffer: LONG,
    pub lNumBuffers: LONG,
    pub pBaseBuffer: *mut BYTE,
    pub pTransferBuffer: *mut BYTE,
    pub bTransferDataCB: BOOL,
    pub bClassDrvAllocBuf: BOOL,
    pub lClientAddress: LONG_PTR,
    pub pIWiaMiniDrvCallBack: *mut IWiaMiniDrvCallBack,
    pub lImageSize: LONG,
    pub lHeaderSize: LONG,
    pub lItemSize: LONG,
    pub cbWidthInBytes: LONG,
    pub lPage: LONG,
    pub lCurIfdOffset: LONG,
    pub lPrevIfdOffset: LONG,
}

impl MINIDRV_TRANSFER_CONTEXT {
    /// The image fields, in the library's form.
    pub fn transfer_context(&self) -> wias_core::TransferContext {
        wias_core::TransferContext {
            width_in_pixels: self.lWidthInPixels,
            lines: self.lLines,
            depth: self.lDepth,
            xres: self.lXRes,
            yres: self.lYRes,
            compression: self.lCompression,
            format: self.guidFormatID.into(),
            tymed: self.tymed,
            transfer_data_cb: self.bTransferDataCB != 0,
            image_size: self.lImageSize,
            header_size: self.lHeaderSize,
            item_size: self.lItemSize,
            width_in_bytes: self.cbWidthInBytes,
            page: self.lPage,
            cur_ifd_offset: self.lCurIfdOffset,
            prev_ifd_offset: self.lPrevIfdOffset,
        }
    }

    /// What `wiasGetImageInformation` sets.
    pub fn set_sizes(&mut self, ctx: &wias_core::TransferContext) {
        self.cbWidthInBytes = ctx.width_in_bytes;
        self.lImageSize = ctx.image_size;
        self.lHeaderSize = ctx.header_size;
        self.lItemSize = ctx.item_size;
    }

    /// What a page write sets: the page fields the library owns (lPage, and where the
    /// chain stands for the next call).
    pub fn set_chain(&mut self, ctx: &wias_core::TransferContext) {
        self.lPage = ctx.page;
        self.lCurIfdOffset = ctx.cur_ifd_offset;
        self.lPrevIfdOffset = ctx.prev_ifd_offset;
    }
}

/// `LARGE_INTEGER`: passed by value to `IStream::Seek`, so it must be the union the
/// Windows headers declare (same size and class as `int64_t`).
#[repr(C)]
#[derive(Clone, Copy)]
pub union LARGE_INTEGER {
    pub parts: LargeParts,
    pub QuadPart: i64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LargeParts {
    pub LowPart: DWORD,
    pub HighPart: LONG,
}

/// `ULARGE_INTEGER`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union ULARGE_INTEGER {
    pub parts: ULargeParts,
    pub QuadPart: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ULargeParts {
    pub LowPart: DWORD,
    pub HighPart: DWORD,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FILETIME {
    pub dwLowDateTime: DWORD,
    pub dwHighDateTime: DWORD,
}

/// `STATSTG`, for the `Stat` entry's signature (the library does not call it).
#[repr(C)]
pub struct STATSTG {
    pub pwcsName: *mut u16,
    pub type_: DWORD,
    pub cbSize: ULARGE_INTEGER,
    pub mtime: FILETIME,
    pub ctime: FILETIME,
    pub atime: FILETIME,
    pub grfMode: DWORD,
    pub grfLocksSupported: DWORD,
    pub clsid: GUID,
    pub grfStateBits: DWORD,
    pub reserved: DWORD,
}

pub const STREAM_SEEK_SET: DWORD = 0;
pub const STREAM_SEEK_CUR: DWORD = 1;
pub const STREAM_SEEK_END: DWORD = 2;

/// A COM `IStream`: a pointer to its vtable.
#[repr(C)]
pub struct IStream {
    pub lpVtbl: *const IStreamVtbl,
}

/// The 14 entries of the `IStream` vtable in COM order. Entries are `Option` so that a
/// stream that leaves one NULL is told so instead of crashing.
#[repr(C)]
pub struct IStreamVtbl {
    pub QueryInterface:
        Option<unsafe extern "system" fn(*mut IStream, *const GUID, *mut *mut c_void) -> HRESULT>,
    pub AddRef: Option<unsafe extern "system" fn(*mut IStream) -> ULONG>,
    pub Release: Option<unsafe extern "system" fn(*mut IStream) -> ULONG>,
    pub Read:
        Option<unsafe extern "system" fn(*mut IStream, *mut c_void, ULONG, *mut ULONG) -> HRESULT>,
    pub Write: Option<
        unsafe extern "system" fn(*mut IStream, *const c_void, ULONG, *mut ULONG) -> HRESULT,
    >,
    pub Seek: Option<
        unsafe extern "system" fn(
            *mut IStream,
            LARGE_INTEGER,
            DWORD,
            *mut ULARGE_INTEGER,
        ) -> HRESULT,
    >,
    pub SetSize: Option<unsafe extern "system" fn(*mut IStream, ULARGE_INTEGER) -> HRESULT>,
    pub CopyTo: Option<
        unsafe extern "system" fn(
            *mut IStream,
            *mut IStream,
            ULARGE_INTEGER,
            *mut ULARGE_INTEGER,
            *mut ULARGE_INTEGER,
        ) -> HRESULT,
    >,
    pub Commit: Option<unsafe extern "system" fn(*mut IStream, DWORD) -> HRESULT>,
    pub Revert: Option<unsafe extern "system" fn(*mut IStream) -> HRESULT>,
    pub LockRegion: Option<
        unsafe extern "system" fn(*mut IStream, ULARGE_INTEGER, ULARGE_INTEGER, DWORD) -> HRESULT,
    >,
    pub UnlockRegion: Option<
        unsafe extern "system" fn(*mut IStream, ULARGE_INTEGER, ULARGE_INTEGER, DWORD) -> HRESULT,
    >,
    pub Stat: Option<unsafe extern "system" fn(*mut IStream, *mut STATSTG, DWORD) -> HRESULT>,
    pub Clone: Option<unsafe extern "system" fn(*mut IStream, *mut *mut IStream) -> HRESULT>,
}

// The Windows x64 layout of wiamindr_lh.h's structure (docs/c-api.md), checked at
// compile time.
#[cfg(target_pointer_width = "64")]
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    type M = MINIDRV_TRANSFER_CONTEXT;
    assert!(size_of::<M>() == 144 && align_of::<M>() == 8);
    assert!(size_of::<GUID>() == 16);
    assert!(offset_of!(M, lSize) == 0);
    assert!(offset_of!(M, lWidthInPixels) == 4);
    assert!(offset_of!(M, lLines) == 8);
    assert!(offset_of!(M, lDepth) == 12);
    assert!(offset_of!(M, lXRes) == 16);
    assert!(offset_of!(M, lYRes) == 20);
    assert!(offset_of!(M, lCompression) == 24);
    assert!(offset_of!(M, guidFormatID) == 28);
    assert!(offset_of!(M, tymed) == 44);
    assert!(offset_of!(M, hFile) == 48);
    assert!(offset_of!(M, cbOffset) == 56);
    assert!(offset_of!(M, lBufferSize) == 60);
    assert!(offset_of!(M, lActiveBuffer) == 64);
    assert!(offset_of!(M, lNumBuffers) == 68);
    assert!(offset_of!(M, pBaseBuffer) == 72);
    assert!(offset_of!(M, pTransferBuffer) == 80);
    assert!(offset_of!(M, bTransferDataCB) == 88);
    assert!(offset_of!(M, bClassDrvAllocBuf) == 92);
    assert!(offset_of!(M, lClientAddress) == 96);
    assert!(offset_of!(M, pIWiaMiniDrvCallBack) == 104);
    assert!(offset_of!(M, lImageSize) == 112);
    assert!(offset_of!(M, lHeaderSize) == 116);
    assert!(offset_of!(M, lItemSize) == 120);
    assert!(offset_of!(M, cbWidthInBytes) == 124);
    assert!(offset_of!(M, lPage) == 128);
    assert!(offset_of!(M, lCurIfdOffset) == 132);
    assert!(offset_of!(M, lPrevIfdOffset) == 136);
    assert!(size_of::<IStreamVtbl>() == 14 * 8);
    assert!(offset_of!(IStreamVtbl, Read) == 3 * 8);
    assert!(offset_of!(IStreamVtbl, Write) == 4 * 8);
    assert!(offset_of!(IStreamVtbl, Seek) == 5 * 8);
    assert!(offset_of!(IStreamVtbl, Stat) == 12 * 8);
    assert!(size_of::<LARGE_INTEGER>() == 8 && size_of::<ULARGE_INTEGER>() == 8);
    assert!(size_of::<STATSTG>() == 80);
};

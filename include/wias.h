/*
 * wias.h - the WIA image-transfer helpers (wiasGetImageInformation,
 * wiasWritePageBufToFile, wiasWriteBufToFile, wiasWritePageBufToStream) for
 * POSIX systems. Link with -lwias (pkg-config --cflags --libs wias).
 *
 * Names, types and layout follow the Windows headers (wiamindr_lh.h, wiadef.h,
 * objidl.h) so that minidriver code ports without edits; values are those of the
 * Windows SDK. Differences from Windows, all deliberate:
 *   - hFile is a POSIX file descriptor, opened and closed by the caller. It must be
 *     open for writing; appending TIFF pages (lPage > 0) also reads it, so open it
 *     O_RDWR. The library never closes it.
 *   - pWiasContext may be NULL and is ignored: there is no item tree, the image
 *     fields already in *pmdtc are the input (also with WIAS_INIT_CONTEXT).
 *   - lCurIfdOffset is a 32-bit LONG, so a TIFF file stops at 2 GiB: a page that
 *     would end past 2^31 - 1 bytes fails with STG_E_MEDIUMFULL, nothing written.
 *   - wiasLastErrorMessage() says in words why the last call on the thread failed.
 * As on Windows, lPage, lCurIfdOffset and lPrevIfdOffset belong to the library: a
 * driver leaves them as the zeroed context has them, and every TIFF page advances them.
 * See docs/driver-rules.md for the rules of each call, docs/c-api.md for C specifics.
 *
 * This header is written by hand; crates/wias-capi/tests/c_abi.rs fails when it and
 * the library disagree (sizes, offsets, constants, GUIDs).
 */
#ifndef WIAS_H
#define WIAS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Windows base types ------------------------------------------------ */

typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef uint16_t WORD;
typedef intptr_t LONG_PTR;
typedef int32_t BOOL;
typedef uint8_t BYTE;
typedef int32_t HRESULT;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef uint16_t OLECHAR; /* UTF-16, as on Windows */
typedef OLECHAR *LPOLESTR;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#ifndef STDMETHODCALLTYPE
#define STDMETHODCALLTYPE
#endif

typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
typedef GUID IID;
typedef GUID CLSID;
#ifdef __cplusplus
typedef const GUID &REFGUID;
typedef const IID &REFIID;
#else
typedef const GUID *REFGUID;
typedef const IID *REFIID;
#endif

/* IsEqualGUID(&a, &b) as in C code for Windows. */
#define IsEqualGUID(rguid1, rguid2) (!memcmp((rguid1), (rguid2), sizeof(GUID)))

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        DWORD LowPart;
        DWORD HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER;

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME;

/* ---- HRESULTs ----------------------------------------------------------- */

#define SEVERITY_SUCCESS 0
#define SEVERITY_ERROR 1
#define FACILITY_WIN32 7
#define FACILITY_WIA 33
#define MAKE_HRESULT(sev, fac, code) \
    ((HRESULT)(((uint32_t)(sev) << 31) | ((uint32_t)(fac) << 16) | ((uint32_t)(code))))
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define HRESULT_FROM_WIN32(x)                                                           \
    ((HRESULT)(x) <= 0 ? ((HRESULT)(x))                                                 \
                       : ((HRESULT)(((uint32_t)(x) & 0x0000FFFFu) | (FACILITY_WIN32 << 16) \
                                    | 0x80000000u)))

#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL ((HRESULT)0x80004001u)
#define E_NOINTERFACE ((HRESULT)0x80004002u)
#define E_POINTER ((HRESULT)0x80004003u)
#define E_FAIL ((HRESULT)0x80004005u)
#define E_UNEXPECTED ((HRESULT)0x8000FFFFu)
#define E_ACCESSDENIED ((HRESULT)0x80070005u)
#define E_OUTOFMEMORY ((HRESULT)0x8007000Eu)
#define E_INVALIDARG ((HRESULT)0x80070057u)
#define STG_E_ACCESSDENIED ((HRESULT)0x80030005u)
#define STG_E_WRITEFAULT ((HRESULT)0x8003001Du)
#define STG_E_MEDIUMFULL ((HRESULT)0x80030070u)

/* Win32 errors the library reports through HRESULT_FROM_WIN32. */
#define ERROR_ACCESS_DENIED 5L
#define ERROR_INVALID_HANDLE 6L
#define ERROR_INVALID_DATA 13L
#define ERROR_WRITE_FAULT 29L
#define ERROR_SHARING_VIOLATION 32L
#define ERROR_HANDLE_EOF 38L
#define ERROR_DISK_FULL 112L
#define ERROR_INSUFFICIENT_BUFFER 122L
#define ERROR_FILE_TOO_LARGE 223L

/* wiadef.h: MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, n), n decimal. */
#define WIA_ERROR_GENERAL_ERROR MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 1)
#define WIA_ERROR_PAPER_JAM MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 2)
#define WIA_ERROR_PAPER_EMPTY MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 3)
#define WIA_ERROR_PAPER_PROBLEM MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 4)
#define WIA_ERROR_OFFLINE MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 5)
#define WIA_ERROR_BUSY MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 6)
#define WIA_ERROR_WARMING_UP MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 7)
#define WIA_ERROR_USER_INTERVENTION MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 8)
#define WIA_ERROR_ITEM_DELETED MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 9)
#define WIA_ERROR_DEVICE_COMMUNICATION MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 10)
#define WIA_ERROR_INVALID_COMMAND MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 11)
#define WIA_ERROR_INCORRECT_HARDWARE_SETTING MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 12)
#define WIA_ERROR_DEVICE_LOCKED MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 13)
#define WIA_ERROR_EXCEPTION_IN_DRIVER MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 14)
#define WIA_ERROR_INVALID_DRIVER_RESPONSE MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 15)
#define WIA_ERROR_COVER_OPEN MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 16)
#define WIA_ERROR_LAMP_OFF MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 17)
#define WIA_ERROR_DESTINATION MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 18)
#define WIA_ERROR_NETWORK_RESERVATION_FAILED MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 19)
#define WIA_ERROR_MULTI_FEED MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 20)
#define WIA_ERROR_MAXIMUM_PRINTER_ENDORSER_COUNTER MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 21)
#define WIA_S_NO_DEVICE_AVAILABLE MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIA, 21)

#define WIA_STATUS_END_OF_MEDIA MAKE_HRESULT(SEVERITY_SUCCESS, FACILITY_WIA, 1)
#define WIA_STATUS_WARMING_UP MAKE_HRESULT(SEVERITY_SUCCESS, FACILITY_WIA, 2)
#define WIA_STATUS_CALIBRATING MAKE_HRESULT(SEVERITY_SUCCESS, FACILITY_WIA, 3)
#define WIA_STATUS_RESERVING_NETWORK_DEVICE MAKE_HRESULT(SEVERITY_SUCCESS, FACILITY_WIA, 6)
#define WIA_STATUS_NETWORK_DEVICE_RESERVED MAKE_HRESULT(SEVERITY_SUCCESS, FACILITY_WIA, 7)

/* ---- Transfer constants --------------------------------------------------- */

#define TYMED_FILE 2
#define TYMED_CALLBACK 128
#define TYMED_MULTIPAGE_FILE 256
#define TYMED_MULTIPAGE_CALLBACK 512

#define WIA_COMPRESSION_NONE 0
#define WIA_COMPRESSION_BI_RLE4 1
#define WIA_COMPRESSION_BI_RLE8 2
#define WIA_COMPRESSION_G3 3
#define WIA_COMPRESSION_G4 4
#define WIA_COMPRESSION_JPEG 5
#define WIA_COMPRESSION_JBIG 6
#define WIA_COMPRESSION_JPEG2K 7
#define WIA_COMPRESSION_PNG 8

/* wiasGetImageInformation flag. */
#define WIAS_INIT_CONTEXT 1

/* ---- Format GUIDs (wiadef.h), defined in the library ---------------------- */

extern const GUID WiaImgFmt_UNDEFINED;
extern const GUID WiaImgFmt_RAWRGB;
extern const GUID WiaImgFmt_MEMORYBMP;
extern const GUID WiaImgFmt_BMP;
extern const GUID WiaImgFmt_EMF;
extern const GUID WiaImgFmt_WMF;
extern const GUID WiaImgFmt_JPEG;
extern const GUID WiaImgFmt_PNG;
extern const GUID WiaImgFmt_GIF;
extern const GUID WiaImgFmt_TIFF;
extern const GUID WiaImgFmt_EXIF;
extern const GUID WiaImgFmt_PHOTOCD;
extern const GUID WiaImgFmt_FLASHPIX;
extern const GUID WiaImgFmt_ICO;
extern const GUID WiaImgFmt_CIFF;
extern const GUID WiaImgFmt_PICT;
extern const GUID WiaImgFmt_JPEG2K;
extern const GUID WiaImgFmt_JPEG2KX;
extern const GUID WiaImgFmt_RAW;
extern const GUID WiaImgFmt_JBIG;
extern const GUID WiaImgFmt_JBIG2;
extern const GUID WiaImgFmt_RTF;
extern const GUID WiaImgFmt_XML;
extern const GUID WiaImgFmt_HTML;
extern const GUID WiaImgFmt_TXT;
extern const GUID WiaImgFmt_PDFA;
extern const GUID WiaImgFmt_XPS;
extern const GUID WiaImgFmt_CSV;

/* ---- IStream (objidl.h), COM layout ------------------------------------- */

#define STREAM_SEEK_SET 0
#define STREAM_SEEK_CUR 1
#define STREAM_SEEK_END 2
#define STGTY_STREAM 2
#define STATFLAG_DEFAULT 0
#define STATFLAG_NONAME 1

typedef struct tagSTATSTG {
    LPOLESTR pwcsName;
    DWORD type;
    ULARGE_INTEGER cbSize;
    FILETIME mtime;
    FILETIME ctime;
    FILETIME atime;
    DWORD grfMode;
    DWORD grfLocksSupported;
    CLSID clsid;
    DWORD grfStateBits;
    DWORD reserved;
} STATSTG;

typedef struct IStream IStream;

/* The 14 entries in COM order. The library calls Write and Seek, and Read for TIFF
 * pages after the first; the others may be NULL. */
typedef struct IStreamVtbl {
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(IStream *This, REFIID riid, void **ppvObject);
    ULONG(STDMETHODCALLTYPE *AddRef)(IStream *This);
    ULONG(STDMETHODCALLTYPE *Release)(IStream *This);
    HRESULT(STDMETHODCALLTYPE *Read)(IStream *This, void *pv, ULONG cb, ULONG *pcbRead);
    HRESULT(STDMETHODCALLTYPE *Write)(IStream *This, const void *pv, ULONG cb, ULONG *pcbWritten);
    HRESULT(STDMETHODCALLTYPE *Seek)(IStream *This, LARGE_INTEGER dlibMove, DWORD dwOrigin,
                                     ULARGE_INTEGER *plibNewPosition);
    HRESULT(STDMETHODCALLTYPE *SetSize)(IStream *This, ULARGE_INTEGER libNewSize);
    HRESULT(STDMETHODCALLTYPE *CopyTo)(IStream *This, IStream *pstm, ULARGE_INTEGER cb,
                                       ULARGE_INTEGER *pcbRead, ULARGE_INTEGER *pcbWritten);
    HRESULT(STDMETHODCALLTYPE *Commit)(IStream *This, DWORD grfCommitFlags);
    HRESULT(STDMETHODCALLTYPE *Revert)(IStream *This);
    HRESULT(STDMETHODCALLTYPE *LockRegion)(IStream *This, ULARGE_INTEGER libOffset,
                                           ULARGE_INTEGER cb, DWORD dwLockType);
    HRESULT(STDMETHODCALLTYPE *UnlockRegion)(IStream *This, ULARGE_INTEGER libOffset,
                                             ULARGE_INTEGER cb, DWORD dwLockType);
    HRESULT(STDMETHODCALLTYPE *Stat)(IStream *This, STATSTG *pstatstg, DWORD grfStatFlag);
    HRESULT(STDMETHODCALLTYPE *Clone)(IStream *This, IStream **ppstm);
} IStreamVtbl;

struct IStream {
    const IStreamVtbl *lpVtbl;
};

/* ---- MINIDRV_TRANSFER_CONTEXT (wiamindr_lh.h) ----------------------------- */

/* Never dereferenced by the library. */
typedef struct IWiaMiniDrvCallBack IWiaMiniDrvCallBack;

/* The 27 fields of the Windows structure in their order; 144 bytes on x86-64. */
typedef struct _MINIDRV_TRANSFER_CONTEXT {
    LONG lSize;
    LONG lWidthInPixels;
    LONG lLines;
    LONG lDepth;
    LONG lXRes;
    LONG lYRes;
    LONG lCompression;
    GUID guidFormatID;
    LONG tymed;
    LONG_PTR hFile;
    LONG cbOffset;
    LONG lBufferSize;
    LONG lActiveBuffer;
    LONG lNumBuffers;
    BYTE *pBaseBuffer;
    BYTE *pTransferBuffer;
    BOOL bTransferDataCB;
    BOOL bClassDrvAllocBuf;
    LONG_PTR lClientAddress;
    IWiaMiniDrvCallBack *pIWiaMiniDrvCallBack;
    LONG lImageSize;
    LONG lHeaderSize;
    LONG lItemSize;
    LONG cbWidthInBytes;
    LONG lPage;
    LONG lCurIfdOffset;
    LONG lPrevIfdOffset;
} MINIDRV_TRANSFER_CONTEXT, *PMINIDRV_TRANSFER_CONTEXT;

/* ---- The helpers ----------------------------------------------------------
 * Every call returns S_OK or: E_POINTER (NULL pmdtc, pTransferBuffer or pstream),
 * E_INVALIDARG (a field that is wrong or inconsistent: depth, sizes, format GUID,
 * a short buffer, lItemSize missing for a compressed page), E_ACCESSDENIED (hFile
 * not open for writing), HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE) (hFile not an
 * open descriptor), STG_E_MEDIUMFULL (disk full, file-size limit, the 2 GiB TIFF
 * limit), E_OUTOFMEMORY, HRESULT_FROM_WIN32(...) for other I/O errors, the stream's
 * own HRESULT when an IStream method fails, and E_FAIL for an internal error. A
 * failed call leaves every page written before it intact.
 */

/* Sets cbWidthInBytes, lImageSize, lHeaderSize, lItemSize from lWidthInPixels,
 * lLines, lDepth, lXRes, lYRes, lCompression, guidFormatID, tymed and bTransferDataCB,
 * and copies the header (BMP, MEMORYBMP: complete also with lLines = 0; a
 * memory-callback TIFF: a whole single-page TIFF header) to pTransferBuffer when that
 * is not NULL; HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) if lBufferSize is smaller
 * than the header. JPEG and other compressed formats: lHeaderSize and cbWidthInBytes 0.
 * S_FALSE for a format GUID it does not know (raw row sizes, no header).
 * lFlags: 0 or WIAS_INIT_CONTEXT. */
HRESULT wiasGetImageInformation(BYTE *pWiasContext, LONG lFlags, MINIDRV_TRANSFER_CONTEXT *pmdtc);

/* TIFF: writes the page in pTransferBuffer (lHeaderSize bytes of header, then the
 * page; lItemSize = header + page bytes) to hFile. lPage 0 starts the file; every later
 * page is appended and linked from the IFD at lPrevIfdOffset. On success lPage goes up
 * by one, lPrevIfdOffset is this page's IFD and lCurIfdOffset the end of the file.
 * Every other format: as wiasWriteBufToFile (bands appended as they are). */
HRESULT wiasWritePageBufToFile(MINIDRV_TRANSFER_CONTEXT *pmdtc);

/* Writes lItemSize bytes of pTransferBuffer to hFile at its current position. lFlags
 * is ignored; lItemSize 0 writes nothing (S_OK); negative or larger than lBufferSize
 * is E_FAIL. */
HRESULT wiasWriteBufToFile(LONG lFlags, MINIDRV_TRANSFER_CONTEXT *pmdtc);

/* wiasWritePageBufToFile into an IStream (Write, Seek; Read for TIFF pages after the
 * first). The stream is neither AddRef'd nor Released. */
HRESULT wiasWritePageBufToStream(MINIDRV_TRANSFER_CONTEXT *pmdtc, IStream *pstream);

/* Why the last wias* call on this thread failed, naming the field and value ("" after
 * a success). The string stays valid until the next wias* call on the thread. */
const char *wiasLastErrorMessage(void);

#ifdef __cplusplus
}
#endif

#endif /* WIAS_H */

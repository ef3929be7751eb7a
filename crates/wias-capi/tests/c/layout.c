/*
 * Prints what include/wias.h says, one "name value" line each: the size and every
 * field offset of MINIDRV_TRANSFER_CONTEXT and the COM types, every constant, and
 * every exported WiaImgFmt_* GUID as the library defines it. The Rust test compares
 * the lines with the Windows x64 layout, the library's constants and wiadef.h.
 * Usage: layout
 */
#include <stdalign.h>

#include "check.h"

#define SIZE(t) printf("sizeof.%s %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof.%s.%s %zu\n", #t, #f, offsetof(t, f))
#define CONST(c) printf("%s %lld\n", #c, (long long)(c))
#define FMT(g)                                                                              \
    printf("%s {%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}\n", #g, (g).Data1,         \
           (g).Data2, (g).Data3, (g).Data4[0], (g).Data4[1], (g).Data4[2], (g).Data4[3],     \
           (g).Data4[4], (g).Data4[5], (g).Data4[6], (g).Data4[7])

int main(void) {
    typedef MINIDRV_TRANSFER_CONTEXT M;
    SIZE(M);
    printf("alignof.M %zu\n", alignof(M));
    SIZE(PMINIDRV_TRANSFER_CONTEXT);
    OFF(M, lSize); OFF(M, lWidthInPixels); OFF(M, lLines); OFF(M, lDepth);
    OFF(M, lXRes); OFF(M, lYRes); OFF(M, lCompression); OFF(M, guidFormatID);
    OFF(M, tymed); OFF(M, hFile); OFF(M, cbOffset); OFF(M, lBufferSize);
    OFF(M, lActiveBuffer); OFF(M, lNumBuffers); OFF(M, pBaseBuffer);
    OFF(M, pTransferBuffer); OFF(M, bTransferDataCB); OFF(M, bClassDrvAllocBuf);
    OFF(M, lClientAddress); OFF(M, pIWiaMiniDrvCallBack); OFF(M, lImageSize);
    OFF(M, lHeaderSize); OFF(M, lItemSize); OFF(M, cbWidthInBytes); OFF(M, lPage);
    OFF(M, lCurIfdOffset); OFF(M, lPrevIfdOffset);

    SIZE(GUID); SIZE(LONG); SIZE(LONG_PTR); SIZE(BOOL); SIZE(BYTE); SIZE(HRESULT);
    SIZE(ULONG); SIZE(DWORD); SIZE(LARGE_INTEGER); SIZE(ULARGE_INTEGER); SIZE(STATSTG);
    SIZE(IStreamVtbl); SIZE(IStream);
    OFF(IStreamVtbl, QueryInterface); OFF(IStreamVtbl, AddRef); OFF(IStreamVtbl, Release);
    OFF(IStreamVtbl, Read); OFF(IStreamVtbl, Write); OFF(IStreamVtbl, Seek);
    OFF(IStreamVtbl, SetSize); OFF(IStreamVtbl, CopyTo); OFF(IStreamVtbl, Commit);
    OFF(IStreamVtbl, Revert); OFF(IStreamVtbl, LockRegion); OFF(IStreamVtbl, UnlockRegion);
    OFF(IStreamVtbl, Stat); OFF(IStreamVtbl, Clone);
    OFF(STATSTG, cbSize); OFF(STATSTG, clsid); OFF(STATSTG, reserved);

    CONST(S_OK); CONST(S_FALSE); CONST(E_NOTIMPL); CONST(E_NOINTERFACE); CONST(E_POINTER);
    CONST(E_FAIL); CONST(E_UNEXPECTED); CONST(E_ACCESSDENIED); CONST(E_OUTOFMEMORY);
    CONST(E_INVALIDARG); CONST(STG_E_ACCESSDENIED); CONST(STG_E_WRITEFAULT);
    CONST(STG_E_MEDIUMFULL);
    CONST(HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)); CONST(HRESULT_FROM_WIN32(ERROR_DISK_FULL));
    CONST(HRESULT_FROM_WIN32(ERROR_FILE_TOO_LARGE)); CONST(HRESULT_FROM_WIN32(0));
    CONST(HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED));
    CONST(WIA_ERROR_GENERAL_ERROR); CONST(WIA_ERROR_PAPER_JAM); CONST(WIA_ERROR_PAPER_EMPTY);
    CONST(WIA_ERROR_PAPER_PROBLEM); CONST(WIA_ERROR_OFFLINE); CONST(WIA_ERROR_BUSY);
    CONST(WIA_ERROR_WARMING_UP); CONST(WIA_ERROR_USER_INTERVENTION);
    CONST(WIA_ERROR_ITEM_DELETED); CONST(WIA_ERROR_DEVICE_COMMUNICATION);
    CONST(WIA_ERROR_INVALID_COMMAND); CONST(WIA_ERROR_INCORRECT_HARDWARE_SETTING);
    CONST(WIA_ERROR_DEVICE_LOCKED); CONST(WIA_ERROR_EXCEPTION_IN_DRIVER);
    CONST(WIA_ERROR_INVALID_DRIVER_RESPONSE); CONST(WIA_ERROR_COVER_OPEN);
    CONST(WIA_ERROR_LAMP_OFF); CONST(WIA_ERROR_DESTINATION);
    CONST(WIA_ERROR_NETWORK_RESERVATION_FAILED); CONST(WIA_ERROR_MULTI_FEED);
    CONST(WIA_ERROR_MAXIMUM_PRINTER_ENDORSER_COUNTER); CONST(WIA_S_NO_DEVICE_AVAILABLE);
    CONST(WIA_STATUS_END_OF_MEDIA); CONST(WIA_STATUS_WARMING_UP); CONST(WIA_STATUS_CALIBRATING);
    CONST(WIA_STATUS_RESERVING_NETWORK_DEVICE); CONST(WIA_STATUS_NETWORK_DEVICE_RESERVED);
    CONST(TYMED_FILE); CONST(TYMED_CALLBACK); CONST(TYMED_MULTIPAGE_FILE);
    CONST(TYMED_MULTIPAGE_CALLBACK);
    CONST(WIA_COMPRESSION_NONE); CONST(WIA_COMPRESSION_BI_RLE4); CONST(WIA_COMPRESSION_BI_RLE8);
    CONST(WIA_COMPRESSION_G3); CONST(WIA_COMPRESSION_G4); CONST(WIA_COMPRESSION_JPEG);
    CONST(WIA_COMPRESSION_JBIG); CONST(WIA_COMPRESSION_JPEG2K); CONST(WIA_COMPRESSION_PNG);
    CONST(WIAS_INIT_CONTEXT);
    CONST(STREAM_SEEK_SET); CONST(STREAM_SEEK_CUR); CONST(STREAM_SEEK_END);

    FMT(WiaImgFmt_UNDEFINED); FMT(WiaImgFmt_RAWRGB); FMT(WiaImgFmt_MEMORYBMP);
    FMT(WiaImgFmt_BMP); FMT(WiaImgFmt_EMF); FMT(WiaImgFmt_WMF); FMT(WiaImgFmt_JPEG);
    FMT(WiaImgFmt_PNG); FMT(WiaImgFmt_GIF); FMT(WiaImgFmt_TIFF); FMT(WiaImgFmt_EXIF);
    FMT(WiaImgFmt_PHOTOCD); FMT(WiaImgFmt_FLASHPIX); FMT(WiaImgFmt_ICO); FMT(WiaImgFmt_CIFF);
    FMT(WiaImgFmt_PICT); FMT(WiaImgFmt_JPEG2K); FMT(WiaImgFmt_JPEG2KX); FMT(WiaImgFmt_RAW);
    FMT(WiaImgFmt_JBIG); FMT(WiaImgFmt_JBIG2); FMT(WiaImgFmt_RTF); FMT(WiaImgFmt_XML);
    FMT(WiaImgFmt_HTML); FMT(WiaImgFmt_TXT); FMT(WiaImgFmt_PDFA); FMT(WiaImgFmt_XPS);
    FMT(WiaImgFmt_CSV);

    /* the GUIDs work the way driver code uses them */
    MINIDRV_TRANSFER_CONTEXT c;
    init_context(&c, 1, 1, 8, &WiaImgFmt_TIFF, TYMED_FILE);
    CHECK(IsEqualGUID(&c.guidFormatID, &WiaImgFmt_TIFF));
    CHECK(!IsEqualGUID(&c.guidFormatID, &WiaImgFmt_BMP));
    CHECK(SUCCEEDED(S_FALSE) && FAILED(E_FAIL) && !FAILED(WIA_STATUS_END_OF_MEDIA));
    return 0;
}

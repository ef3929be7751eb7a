/*
 * A minidriver written the way drivers for the Windows WIA service are written (the
 * public driver documentation, "Allocating memory for data" and "File transfers", and
 * the sample scanner's banded acquisition loop): it never touches lPage,
 * lCurIfdOffset or lPrevIfdOffset, which belong to the service; it allocates its own
 * transfer buffer when bClassDrvAllocBuf is FALSE; it asks wiasGetImageInformation for
 * the sizes (and the header, which lands at the start of the buffer); it reads the
 * device in bands of whole lines into the buffer after the header; and it hands each
 * page over with lItemSize = header + bytes received.
 *
 * The "device" is a memory block the test fills: one page at a time, delivered in bands.
 */
#ifndef WIAS_TEST_DRIVER_H
#define WIAS_TEST_DRIVER_H

#include "check.h"

/* Most bytes the device delivers per read (the sample's m_MaxBufferSize). */
#define MAX_BAND 4096

typedef struct Device {
    const BYTE *data; /* the page as the device delivers it */
    LONG len, pos;
    LONG line;        /* bytes per line: reads are whole lines */
} Device;

/* The device's read: up to cbSize bytes (whole lines) into out; 0 at the end of page. */
static inline HRESULT device_scan(Device *d, BYTE *out, LONG cbSize, LONG *cbWritten) {
    LONG n = d->len - d->pos;
    LONG max = cbSize / d->line * d->line;
    if (n > max) n = max;
    memcpy(out, d->data + d->pos, (size_t)n);
    d->pos += n;
    *cbWritten = n;
    return S_OK;
}

/* How the driver hands a page over: wiasWritePageBufToFile, or to the stream. */
typedef HRESULT (*write_page_fn)(MINIDRV_TRANSFER_CONTEXT *pmdtc, void *arg);

static inline HRESULT write_to_file(MINIDRV_TRANSFER_CONTEXT *pmdtc, void *arg) {
    (void)arg;
    return wiasWritePageBufToFile(pmdtc);
}

static inline HRESULT write_to_stream(MINIDRV_TRANSFER_CONTEXT *pmdtc, void *arg) {
    return wiasWritePageBufToStream(pmdtc, (IStream *)arg);
}

/* drvAcquireItemData's set-up: sizes from the service library, and the driver's own
 * buffer when the service did not allocate one. */
static inline HRESULT driver_begin(MINIDRV_TRANSFER_CONTEXT *pmdtc) {
    HRESULT hr = wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, pmdtc);
    if (FAILED(hr)) return hr;
    if (!pmdtc->bClassDrvAllocBuf) {
        LONG size = pmdtc->lHeaderSize + pmdtc->lImageSize;
        pmdtc->pTransferBuffer = malloc((size_t)size);
        if (!pmdtc->pTransferBuffer) return E_OUTOFMEMORY;
        pmdtc->pBaseBuffer = pmdtc->pTransferBuffer;
        pmdtc->lBufferSize = size;
        /* wiasGetImageInformation copies the header into the buffer: call it again now
         * that there is one. */
        hr = wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, pmdtc);
    }
    return hr;
}

/* One page: the device's bands into the buffer after the header, then one call. */
static inline HRESULT driver_page(MINIDRV_TRANSFER_CONTEXT *pmdtc, Device *dev,
                                  write_page_fn write_page, void *arg) {
    BYTE *pBuf = pmdtc->pTransferBuffer + pmdtc->lHeaderSize;
    LONG lItemSize = pmdtc->lHeaderSize;
    LONG cbRemaining = pmdtc->lBufferSize - pmdtc->lHeaderSize;
    LONG cbWritten = 0;
    int first = 1;
    while (first || cbWritten) {
        first = 0;
        LONG band = MAX_BAND < pmdtc->cbWidthInBytes ? pmdtc->cbWidthInBytes : MAX_BAND;
        LONG cbSize = cbRemaining > band ? band : cbRemaining;
        HRESULT hr = device_scan(dev, pBuf, cbSize, &cbWritten);
        if (FAILED(hr)) return hr;
        lItemSize += cbWritten;
        pBuf += cbWritten;
        cbRemaining -= cbWritten;
    }
    pmdtc->lItemSize = lItemSize; /* now that the true size is known */
    return write_page(pmdtc, arg);
}

static inline void driver_end(MINIDRV_TRANSFER_CONTEXT *pmdtc) {
    if (!pmdtc->bClassDrvAllocBuf) {
        free(pmdtc->pTransferBuffer);
        pmdtc->pTransferBuffer = pmdtc->pBaseBuffer = NULL;
        pmdtc->lBufferSize = 0;
    }
}

#endif

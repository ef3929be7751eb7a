/*
 * Shared by the C tests of the wias C ABI: checks that stop the program with a
 * message, a deterministic page pattern, a minidriver-style context setup, and an
 * IStream over a growable memory block.
 */
#ifndef WIAS_TEST_CHECK_H
#define WIAS_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wias.h"

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* The call must return `want`; on a mismatch, say what came back and why. */
#define CHECK_HR(call, want)                                                      \
    do {                                                                          \
        HRESULT hr_ = (call);                                                     \
        if (hr_ != (want)) {                                                      \
            fprintf(stderr, "%s:%d: %s returned 0x%08X, expected 0x%08X (%s)\n",  \
                    __FILE__, __LINE__, #call, (unsigned)hr_, (unsigned)(want),   \
                    wiasLastErrorMessage());                                      \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

/* The last failure's message must mention `word` (the field it names). */
#define CHECK_MESSAGE(word)                                                        \
    do {                                                                           \
        const char *m_ = wiasLastErrorMessage();                                   \
        if (!strstr(m_, (word))) {                                                 \
            fprintf(stderr, "%s:%d: message \"%s\" does not name %s\n", __FILE__,  \
                    __LINE__, m_, (word));                                         \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

/* Deterministic bytes, different for every page and position (xorshift32). */
static inline void fill_pattern(BYTE *p, size_t n, unsigned seed) {
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (BYTE)x;
    }
}

/* Pixel (x, y) of a BMP test page whose pattern byte is v: its DIB form into the row
 * `dib_row` (BGR; gray; or 1 bit, MSB first, palette 0 black and 1 white, the row
 * zeroed beforehand) and the RGB a reader must decode it to into rgb_px[0..3]. */
static inline void put_bmp_pixel(BYTE *dib_row, BYTE *rgb_px, LONG depth, LONG x, LONG y, BYTE v) {
    if (depth == 24) {
        rgb_px[0] = v; rgb_px[1] = (BYTE)(v * 7); rgb_px[2] = (BYTE)(x * 5 + y);
        dib_row[x * 3 + 0] = rgb_px[2]; dib_row[x * 3 + 1] = rgb_px[1]; dib_row[x * 3 + 2] = rgb_px[0];
    } else if (depth == 8) {
        rgb_px[0] = rgb_px[1] = rgb_px[2] = v;
        dib_row[x] = v;
    } else {
        int white = v & 1;
        rgb_px[0] = rgb_px[1] = rgb_px[2] = white ? 255 : 0;
        if (white) dib_row[x / 8] |= (BYTE)(0x80 >> (x % 8));
    }
}

/* Zeroes the unused bits at the end of each 1-bit row. */
static inline void clear_bilevel_padding(BYTE *p, LONG width, LONG lines, LONG row_bytes) {
    if (width % 8 == 0) return;
    BYTE mask = (BYTE)(0xFFu << (8 - width % 8));
    for (LONG y = 0; y < lines; y++) p[(size_t)y * row_bytes + row_bytes - 1] &= mask;
}

/* A context as the service hands it to a driver, before wiasGetImageInformation. */
static inline void init_context(MINIDRV_TRANSFER_CONTEXT *c, LONG width, LONG lines, LONG depth,
                         const GUID *format, LONG tymed) {
    memset(c, 0, sizeof *c);
    c->lSize = sizeof *c;
    c->lWidthInPixels = width;
    c->lLines = lines;
    c->lDepth = depth;
    c->lXRes = 300;
    c->lYRes = 300;
    c->lCompression = WIA_COMPRESSION_NONE;
    c->guidFormatID = *format;
    c->tymed = tymed;
    c->hFile = -1;
    c->lNumBuffers = 1;
    c->lActiveBuffer = 1;
}

static inline void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

/* ---- An IStream over memory ---------------------------------------------- */

typedef struct MemStream {
    IStream iface; /* first: an IStream* is a MemStream* */
    BYTE *data;
    size_t len, cap, pos;
    ULONG refs;
    HRESULT fail_write; /* S_OK, or what Write returns once len would pass limit */
    size_t limit;
} MemStream;

static inline HRESULT STDMETHODCALLTYPE ms_query(IStream *This, REFIID riid, void **ppv) {
    (void)This; (void)riid;
    *ppv = NULL;
    return E_NOINTERFACE;
}
static inline ULONG STDMETHODCALLTYPE ms_addref(IStream *This) { return ++((MemStream *)This)->refs; }
static inline ULONG STDMETHODCALLTYPE ms_release(IStream *This) { return --((MemStream *)This)->refs; }
static inline HRESULT STDMETHODCALLTYPE ms_read(IStream *This, void *pv, ULONG cb, ULONG *pcbRead) {
    MemStream *s = (MemStream *)This;
    size_t n = s->pos < s->len ? s->len - s->pos : 0;
    if (n > cb) n = cb;
    memcpy(pv, s->data + s->pos, n);
    s->pos += n;
    if (pcbRead) *pcbRead = (ULONG)n;
    return n < cb ? S_FALSE : S_OK;
}
static inline HRESULT STDMETHODCALLTYPE ms_write(IStream *This, const void *pv, ULONG cb, ULONG *pcbWritten) {
    MemStream *s = (MemStream *)This;
    if (pcbWritten) *pcbWritten = 0;
    size_t end = s->pos + cb;
    if (s->fail_write != S_OK && end > s->limit) return s->fail_write;
    if (end > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < end) cap *= 2;
        BYTE *d = realloc(s->data, cap);
        if (!d) return E_OUTOFMEMORY;
        s->data = d;
        s->cap = cap;
    }
    if (s->pos > s->len) memset(s->data + s->len, 0, s->pos - s->len);
    memcpy(s->data + s->pos, pv, cb);
    s->pos = end;
    if (end > s->len) s->len = end;
    if (pcbWritten) *pcbWritten = cb;
    return S_OK;
}
static inline HRESULT STDMETHODCALLTYPE ms_seek(IStream *This, LARGE_INTEGER move, DWORD origin,
                                         ULARGE_INTEGER *newpos) {
    MemStream *s = (MemStream *)This;
    LONGLONG base = origin == STREAM_SEEK_SET ? 0
                    : origin == STREAM_SEEK_CUR ? (LONGLONG)s->pos
                    : origin == STREAM_SEEK_END ? (LONGLONG)s->len
                                                : -1;
    if (base < 0 || base + move.QuadPart < 0) return E_INVALIDARG;
    s->pos = (size_t)(base + move.QuadPart);
    if (newpos) newpos->QuadPart = s->pos;
    return S_OK;
}
static inline HRESULT STDMETHODCALLTYPE ms_stat(IStream *This, STATSTG *st, DWORD flag) {
    (void)flag;
    memset(st, 0, sizeof *st);
    st->type = STGTY_STREAM;
    st->cbSize.QuadPart = ((MemStream *)This)->len;
    return S_OK;
}

static const IStreamVtbl mem_stream_vtbl = {
    ms_query, ms_addref, ms_release, ms_read, ms_write, ms_seek,
    NULL, NULL, NULL, NULL, NULL, NULL, ms_stat, NULL,
};

static inline void mem_stream_init(MemStream *s) {
    memset(s, 0, sizeof *s);
    s->iface.lpVtbl = &mem_stream_vtbl;
    s->refs = 1;
}

#endif

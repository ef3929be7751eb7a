/*
 * Issue 9's losses through the C ABI, each of which returned S_OK (or wiped a file)
 * before the fix:
 *   offsets  every byte offset of a 3-page document (bilevel text, gray, RGB) given
 *            as lPrevIfdOffset (the previous page's IFD), then as lCurIfdOffset (where
 *            it ended), for page 4: only the right one is accepted, and a refused
 *            call leaves the file byte for byte as it was
 *   append   hFile opened O_RDWR | O_APPEND: refused with E_ACCESSDENIED before any
 *            byte is written
 *   page0    a failing lPage = 0 call (G4 data declared on an 8-bit page, a wrong
 *            length) leaves the document already in hFile as it was
 *   device   device-compressed data that are not a whole page (random bytes declared
 *            G3 or G4, a JPEG with no scan) are refused, the document left as it was
 *   stream   an IStream whose Write fails on in-place overwrites (a third of them,
 *            after taking a random part of the bytes): in 4,000 documents of 4 pages,
 *            retried until each page succeeds, no page is in the chain before its call
 *            succeeds, a retry is never refused, and every document ends whole
 * Files for the checker, in DIR: offsets.tif (the 3-page document + page 4 linked at
 * the right offset), page0.tif (the 2-page document the failed calls left alone).
 * Usage: nothing_lost DIR [offsets|append|page0]   (one part only)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[4000];

static int create(const char *name, int flags) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | flags, 0644);
    CHECK(fd >= 0);
    return fd;
}

static size_t file_size(int fd) {
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    return (size_t)st.st_size;
}

static BYTE *read_all(int fd, size_t *len) {
    *len = file_size(fd);
    BYTE *b = malloc(*len + 1);
    CHECK(b != NULL);
    CHECK(pread(fd, b, *len, 0) == (ssize_t)*len);
    return b;
}

static void restore(int fd, const BYTE *orig, size_t len) {
    CHECK(ftruncate(fd, (off_t)len) == 0);
    CHECK(pwrite(fd, orig, len, 0) == (ssize_t)len);
}

/* Writes page `page` of `width` x `lines` at `depth` bits into `fd`, the way a driver
 * does: describe, size, fill, write. Returns the call's HRESULT. */
static HRESULT write_page(MINIDRV_TRANSFER_CONTEXT *c, int fd, LONG width, LONG lines,
                          LONG depth, LONG page, BYTE **buf) {
    c->lWidthInPixels = width;
    c->lLines = lines;
    c->lDepth = depth;
    c->lCompression = WIA_COMPRESSION_NONE;
    c->lItemSize = 0;
    CHECK_HR(wiasGetImageInformation(NULL, 0, c), S_OK);
    free(*buf);
    *buf = malloc((size_t)c->lImageSize);
    CHECK(*buf != NULL);
    if (depth == 1) {
        /* Text: white paper (1 bits), lines of black glyph boxes. */
        memset(*buf, 0xFF, (size_t)c->lImageSize);
        BYTE noise[64];
        for (LONG y = 8; y + 12 < lines; y += 20) {
            fill_pattern(noise, sizeof noise, (unsigned)(y * 7 + page));
            for (int g = 0; g < 60; g++) {
                LONG x0 = 16 + g * (width - 32) / 60, w = 2 + noise[g] % 9;
                for (LONG yy = y; yy < y + 4 + noise[g] % 9; yy++)
                    for (LONG x = x0; x < x0 + w && x < width; x++)
                        (*buf)[yy * c->cbWidthInBytes + x / 8] &= (BYTE) ~(0x80u >> (x % 8));
            }
        }
    } else {
        fill_pattern(*buf, (size_t)c->lImageSize, (unsigned)(page + 1));
    }
    c->pTransferBuffer = *buf;
    c->lBufferSize = c->lImageSize;
    c->hFile = fd;
    c->lPage = page;
    return wiasWritePageBufToFile(c);
}

static void offsets(void) {
    MINIDRV_TRANSFER_CONTEXT c;
    BYTE *buf = NULL;
    init_context(&c, 8, 8, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    int fd = create("offsets.tif", 0);
    CHECK_HR(write_page(&c, fd, 1200, 400, 1, 0, &buf), S_OK);
    CHECK_HR(write_page(&c, fd, 160, 120, 8, 1, &buf), S_OK);
    CHECK_HR(write_page(&c, fd, 100, 80, 24, 2, &buf), S_OK);
    MINIDRV_TRANSFER_CONTEXT after3 = c;
    size_t len;
    BYTE *orig = read_all(fd, &len);
    long accepted = 0, tried = 0;
    /* Every offset as lPrevIfdOffset (the previous page's IFD), then as lCurIfdOffset
     * (where the previous page ended), the other field right. */
    for (int field = 0; field < 2; field++) {
        LONG right = field == 0 ? after3.lPrevIfdOffset : after3.lCurIfdOffset;
        for (LONG x = 0; x <= (LONG)len + 16; x++) {
            if (x == right) continue;
            c = after3;
            if (field == 0) c.lPrevIfdOffset = x;
            else c.lCurIfdOffset = x;
            HRESULT hr = write_page(&c, fd, 16, 8, 8, 3, &buf);
            tried++;
            if (hr == S_OK) {
                if (accepted < 5)
                    fprintf(stdout, "accepted wrong %s %ld\n",
                            field == 0 ? "lPrevIfdOffset" : "lCurIfdOffset", (long)x);
                accepted++;
                restore(fd, orig, len);
                continue;
            }
            CHECK(hr == E_INVALIDARG);
            /* Refused before a byte was written. */
            size_t now_len;
            BYTE *now = read_all(fd, &now_len);
            CHECK(now_len == len && memcmp(now, orig, len) == 0);
            free(now);
        }
    }
    fprintf(stdout, "offsets: %ld of %ld wrong offsets accepted\n", accepted, tried);
    CHECK(accepted == 0);
    /* The right one is accepted: the checker reads 4 pages. */
    c = after3;
    CHECK_HR(write_page(&c, fd, 16, 8, 8, 3, &buf), S_OK);
    free(orig);
    free(buf);
    CHECK(close(fd) == 0);
}

static void append_mode(void) {
    MINIDRV_TRANSFER_CONTEXT c;
    BYTE *buf = NULL;
    init_context(&c, 8, 8, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    int fd = create("append.tif", O_APPEND);
    CHECK_HR(write_page(&c, fd, 40, 9, 8, 0, &buf), E_ACCESSDENIED);
    CHECK_MESSAGE("O_APPEND");
    CHECK(file_size(fd) == 0);
    free(buf);
    CHECK(close(fd) == 0);
}

static void page0(void) {
    MINIDRV_TRANSFER_CONTEXT c;
    BYTE *buf = NULL;
    init_context(&c, 8, 8, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    int fd = create("page0.tif", 0);
    CHECK_HR(write_page(&c, fd, 40, 9, 8, 0, &buf), S_OK);
    CHECK_HR(write_page(&c, fd, 40, 9, 8, 1, &buf), S_OK);
    size_t len;
    BYTE *orig = read_all(fd, &len);
    MINIDRV_TRANSFER_CONTEXT before = c;

    /* G4 data declared on an 8-bit page. */
    BYTE g4[] = {0x26, 0xA0, 0x00, 0x10, 0x01};
    c = before;
    c.lPage = 0;
    c.lCompression = WIA_COMPRESSION_G4;
    c.pTransferBuffer = g4;
    c.lBufferSize = sizeof g4;
    c.lItemSize = sizeof g4;
    CHECK(wiasWritePageBufToFile(&c) != S_OK);
    size_t now_len;
    BYTE *now = read_all(fd, &now_len);
    CHECK(now_len == len && memcmp(now, orig, len) == 0);
    free(now);

    /* An uncompressed page one byte short. */
    c = before;
    c.lPage = 0;
    c.lItemSize = c.lImageSize - 1;
    CHECK(wiasWritePageBufToFile(&c) == E_INVALIDARG);
    now = read_all(fd, &now_len);
    CHECK(now_len == len && memcmp(now, orig, len) == 0);
    free(now);
    free(orig);
    free(buf);
    CHECK(close(fd) == 0);
}

/* One device-compressed page of `width` x `lines` in `comp`: the call's HRESULT. */
static HRESULT write_device_page(MINIDRV_TRANSFER_CONTEXT *c, LONG width, LONG lines, LONG depth,
                                 LONG comp, BYTE *data, LONG len) {
    c->lWidthInPixels = width;
    c->lLines = lines;
    c->lDepth = depth;
    c->lCompression = comp;
    c->pTransferBuffer = data;
    c->lBufferSize = len;
    c->lHeaderSize = 0;
    c->lItemSize = len;
    return wiasWritePageBufToFile(c);
}

static void device(void) {
    MINIDRV_TRANSFER_CONTEXT c;
    BYTE *buf = NULL;
    init_context(&c, 8, 8, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    int fd = create("device.tif", 0);
    CHECK_HR(write_page(&c, fd, 40, 9, 8, 0, &buf), S_OK);
    size_t len;
    BYTE *orig = read_all(fd, &len);
    MINIDRV_TRANSFER_CONTEXT before = c;
    BYTE noise[4000];
    /* The 17-byte JPEG of issue 9: SOI, a 3x2 gray frame, EOI, no scan. */
    BYTE no_scan[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xFF, 0xD9};
    for (unsigned seed = 1; seed <= 200; seed++) {
        fill_pattern(noise, sizeof noise, seed);
        LONG comp = seed % 2 ? WIA_COMPRESSION_G3 : WIA_COMPRESSION_G4;
        c = before;
        c.lPage = 1;
        CHECK_HR(write_device_page(&c, 1728, 100, 1, comp, noise, sizeof noise), E_INVALIDARG);
        CHECK_MESSAGE("page data");
    }
    c = before;
    c.lPage = 1;
    CHECK_HR(write_device_page(&c, 3, 2, 8, WIA_COMPRESSION_JPEG, no_scan, sizeof no_scan),
             E_INVALIDARG);
    CHECK_MESSAGE("scan");
    size_t now_len;
    BYTE *now = read_all(fd, &now_len);
    CHECK(now_len == len && memcmp(now, orig, len) == 0);
    free(now);
    free(orig);
    free(buf);
    CHECK(close(fd) == 0);
}

/* ---- An IStream that fails in-place overwrites ----------------------------- */

static uint32_t flaky_rng;
static long flaky_failures;

static uint32_t next_rand(void) {
    flaky_rng ^= flaky_rng << 13;
    flaky_rng ^= flaky_rng >> 17;
    flaky_rng ^= flaky_rng << 5;
    return flaky_rng;
}

/* Write that, for a write over bytes the stream already holds, fails one time in
 * three after copying a random prefix of the bytes (what a torn write leaves). */
static HRESULT STDMETHODCALLTYPE flaky_write(IStream *This, const void *pv, ULONG cb, ULONG *pcbWritten) {
    MemStream *s = (MemStream *)This;
    if (s->pos < s->len && next_rand() % 3 == 0) {
        ULONG k = next_rand() % (cb + 1);
        if (s->pos + k > s->len) k = (ULONG)(s->len - s->pos);
        memcpy(s->data + s->pos, pv, k);
        s->pos += k;
        if (pcbWritten) *pcbWritten = 0;
        flaky_failures++;
        return STG_E_WRITEFAULT;
    }
    return ms_write(This, pv, cb, pcbWritten);
}

static const IStreamVtbl flaky_vtbl = {
    ms_query, ms_addref, ms_release, ms_read, flaky_write, ms_seek,
    NULL, NULL, NULL, NULL, NULL, NULL, ms_stat, NULL,
};

static uint32_t rd32(const BYTE *p) { return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const BYTE *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Walks the chain of a classic TIFF in memory: the number of pages, their widths in
 * `widths`, or -1 if a link points at something that is not an IFD (a torn link). */
static int walk(const BYTE *d, size_t len, LONG *widths) {
    if (len < 8) return 0;
    uint32_t off = rd32(d + 4);
    int pages = 0;
    while (off != 0) {
        if (pages >= 16 || off % 2 || (size_t)off + 2 > len) return -1;
        uint16_t n = rd16(d + off);
        if (n == 0 || n > 64 || (size_t)off + 2 + 12u * n + 4 > len) return -1;
        LONG w = -1;
        for (uint16_t e = 0; e < n; e++) {
            const BYTE *ent = d + off + 2 + 12 * e;
            if (rd16(ent) == 256) w = (LONG)rd32(ent + 8);
        }
        if (w < 0) return -1;
        widths[pages++] = w;
        off = rd32(d + off + 2 + 12u * n);
    }
    return pages;
}

static void stream(void) {
    long trials = 4000, torn_between = 0, retries = 0;
    BYTE buf[64 * 3];
    for (long t = 0; t < trials; t++) {
        MemStream s;
        mem_stream_init(&s);
        s.iface.lpVtbl = &flaky_vtbl;
        flaky_rng = (uint32_t)(t * 2654435761u + 12345u);
        MINIDRV_TRANSFER_CONTEXT c;
        init_context(&c, 8, 3, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
        for (LONG page = 0; page < 4; page++) {
            c.lWidthInPixels = 8 + page;
            CHECK_HR(wiasGetImageInformation(NULL, 0, &c), S_OK);
            fill_pattern(buf, (size_t)c.lImageSize, (unsigned)(t * 4 + page));
            c.pTransferBuffer = buf;
            c.lBufferSize = c.lImageSize;
            c.lPage = page;
            int attempt = 0;
            for (;;) {
                HRESULT hr = wiasWritePageBufToStream(&c, &s.iface);
                LONG widths[16];
                int n = walk(s.data, s.len, widths);
                if (hr == S_OK) {
                    /* Exactly the pages acknowledged, this one included. */
                    CHECK(n == page + 1);
                    for (int i = 0; i <= page; i++) CHECK(widths[i] == 8 + i);
                    break;
                }
                CHECK(hr == STG_E_WRITEFAULT);
                /* Never a page in the chain whose call failed. */
                if (n < 0) torn_between++;
                else CHECK(n == page);
                retries++;
                if (++attempt == 200) {
                    fprintf(stderr, "trial %ld page %ld: 200 retries refused (%s)\n", t, (long)page,
                            wiasLastErrorMessage());
                    exit(1);
                }
            }
        }
        free(s.data);
    }
    fprintf(stdout, "stream: %ld documents, %ld failed writes, %ld retries, %ld torn links left by a refused repair (each fixed by the retry), 0 pages present after a failed call\n",
            trials, flaky_failures, retries, torn_between);
}

int main(int argc, char **argv) {
    CHECK(argc == 2 || argc == 3);
    snprintf(dir, sizeof dir, "%s", argv[1]);
    const char *only = argc == 3 ? argv[2] : "";
    if (!*only || !strcmp(only, "offsets")) offsets();
    if (!*only || !strcmp(only, "append")) append_mode();
    if (!*only || !strcmp(only, "page0")) page0();
    if (!*only || !strcmp(only, "device")) device();
    if (!*only || !strcmp(only, "stream")) stream();
    printf("ok\n");
    return 0;
}

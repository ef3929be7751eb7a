/*
 * Issue 9's losses through the C ABI, each of which returned S_OK (or wiped a file)
 * before the fix:
 *   offsets  every byte offset of a 3-page document (bilevel text, gray, RGB) given
 *            as the previous page's IFD for page 4: only the right one is accepted,
 *            and a refused call leaves the file byte for byte as it was
 *   append   hFile opened O_RDWR | O_APPEND: refused with E_ACCESSDENIED before any
 *            byte is written
 *   page0    a failing lPage = 0 call (G4 data declared on an 8-bit page, a wrong
 *            length) leaves the document already in hFile as it was
 *   device   device-compressed data that are not a whole page (random bytes declared
 *            G3 or G4, a JPEG with no scan) are refused, the document left as it was
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
    LONG right = after3.lCurIfdOffset;
    long accepted = 0, tried = 0;
    for (LONG x = 0; x <= (LONG)len + 16; x++) {
        if (x == right) continue;
        c = after3;
        c.lCurIfdOffset = x;
        HRESULT hr = write_page(&c, fd, 16, 8, 8, 3, &buf);
        tried++;
        if (hr == S_OK) {
            if (accepted < 5) fprintf(stdout, "accepted wrong offset %ld\n", (long)x);
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

int main(int argc, char **argv) {
    CHECK(argc == 2 || argc == 3);
    snprintf(dir, sizeof dir, "%s", argv[1]);
    const char *only = argc == 3 ? argv[2] : "";
    if (!*only || !strcmp(only, "offsets")) offsets();
    if (!*only || !strcmp(only, "append")) append_mode();
    if (!*only || !strcmp(only, "page0")) page0();
    if (!*only || !strcmp(only, "device")) device();
    printf("ok\n");
    return 0;
}

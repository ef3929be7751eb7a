/*
 * Device-compressed pages: a scanner that delivers CCITT G4 hands the data over as
 * they are (lCompression = WIA_COMPRESSION_G4, lItemSize = header + data). The G4
 * data come from libtiff, an encoder independent of wias: each page is encoded into
 * a one-strip TIFF, and the raw strip is what the "device" delivers. Writes DIR/g4.tif
 * (two pages) and DIR/g4.raw (the pages in page-buffer form, 0 = black).
 * Usage: g4_passthrough DIR
 */
#include <fcntl.h>
#include <tiffio.h>
#include <unistd.h>

#include "check.h"

#define W 203
#define H 61
#define ROW ((W + 7) / 8)

/* What the device delivers for `page` (page-buffer form): its G4 encoding. */
static BYTE *g4_encode(const char *dir, const BYTE *page, LONG *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/g4-libtiff.tif", dir);
    TIFF *t = TIFFOpen(path, "w");
    CHECK(t != NULL);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)W);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)H);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)H);
    BYTE row[ROW];
    for (int y = 0; y < H; y++) {
        for (int i = 0; i < ROW; i++) row[i] = (BYTE)~page[y * ROW + i]; /* 1 = black */
        CHECK(TIFFWriteScanline(t, row, (uint32_t)y, 0) == 1);
    }
    TIFFClose(t);
    t = TIFFOpen(path, "r");
    CHECK(t != NULL);
    tmsize_t n = TIFFRawStripSize(t, 0);
    CHECK(n > 0);
    BYTE *data = malloc((size_t)n);
    CHECK(data != NULL);
    CHECK(TIFFReadRawStrip(t, 0, data, n) == n);
    TIFFClose(t);
    *len = (LONG)n;
    return data;
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    char path[4096];
    MINIDRV_TRANSFER_CONTEXT ctx;
    init_context(&ctx, W, H, 1, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    ctx.lCompression = WIA_COMPRESSION_G4;
    CHECK_HR(wiasGetImageInformation(NULL, 0, &ctx), S_OK);
    CHECK(ctx.lItemSize == 0);      /* compressed: unknown until the device is done */
    CHECK(ctx.lImageSize == ROW * H); /* still the uncompressed size of a page */

    snprintf(path, sizeof path, "%s/g4.raw", argv[1]);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    snprintf(path, sizeof path, "%s/g4.tif", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ctx.hFile = fd;
    BYTE page[ROW * H];
    for (LONG p = 0; p < 2; p++) {
        fill_pattern(page, sizeof page, 800u + (unsigned)p);
        for (int i = 0; i < ROW * H / 2; i++) page[i] |= 0xF0; /* some long white runs */
        clear_bilevel_padding(page, W, H, ROW);
        CHECK(fwrite(page, 1, sizeof page, expect) == sizeof page);
        LONG len = 0;
        BYTE *g4 = g4_encode(argv[1], page, &len);
        ctx.pTransferBuffer = g4;
        ctx.lBufferSize = len;
        ctx.lItemSize = ctx.lHeaderSize + len;
        ctx.lPage = p;
        CHECK_HR(wiasWritePageBufToFile(&ctx), S_OK);
        free(g4);
    }
    CHECK(fclose(expect) == 0);
    CHECK(close(fd) == 0);
    puts("ok");
    return 0;
}

/*
 * BMP in bands, as drivers for the Windows service send it: the first band after the
 * header that wiasGetImageInformation put at the start of the buffer, later bands
 * without it, each through wiasWritePageBufToFile or wiasWriteBufToFile(0, ...), the
 * bytes appended as they are. 1-, 8- and 24-bit, with the length known at the start
 * (lLines set: the device delivers bottom-up rows) and unknown (lLines = 0: the
 * complete header with height 0; the device delivers top-down rows and at the end the
 * driver writes biHeight = -lines, bfSize and biSizeImage into the file through hFile).
 * Writes DIR/D-FN-LEN.bmp (FN page or buf, LEN known or unknown) and DIR/D.rgb (the
 * picture as top-down RGB triples, what a BMP reader must show).
 * Usage: driver_bmp DIR
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define W 37
#define H 23
#define BAND_LINES 5

static HRESULT write_buf(MINIDRV_TRANSFER_CONTEXT *pmdtc) { return wiasWriteBufToFile(0, pmdtc); }

static void put32(int fd, off_t at, uint32_t v) {
    BYTE b[4] = {(BYTE)v, (BYTE)(v >> 8), (BYTE)(v >> 16), (BYTE)(v >> 24)};
    CHECK(lseek(fd, at, SEEK_SET) == at);
    CHECK(write(fd, b, 4) == 4);
}

static uint32_t get32(const BYTE *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The picture: top-down RGB (what a reader shows) and its DIB rows, top-down. */
static void picture(LONG depth, LONG stride, BYTE *rgb, BYTE *dib_td) {
    BYTE bits[W * H];
    fill_pattern(bits, sizeof bits, 90u + (unsigned)depth);
    memset(dib_td, 0, (size_t)(stride * H));
    for (LONG y = 0; y < H; y++) {
        BYTE *out = dib_td + (size_t)y * stride;
        for (LONG x = 0; x < W; x++) {
            put_bmp_pixel(out, rgb + (size_t)(y * W + x) * 3, depth, x, y, bits[y * W + x]);
        }
    }
}

static void transfer(const char *dir, LONG depth, int use_page_fn, int known) {
    char path[4096];
    MINIDRV_TRANSFER_CONTEXT ctx;
    init_context(&ctx, W, known ? H : 0, depth, &WiaImgFmt_BMP, TYMED_FILE);
    snprintf(path, sizeof path, "%s/%d-%s-%s.bmp", dir, (int)depth, use_page_fn ? "page" : "buf",
             known ? "known" : "unknown");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ctx.hFile = fd;

    /* Sizes first, then the driver's buffer (header + one band), then the header. */
    CHECK_HR(wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, &ctx), S_OK);
    LONG stride = ((W * depth + 31) / 32) * 4;
    LONG palette = depth == 1 ? 8 : depth == 8 ? 1024 : 0;
    CHECK(ctx.cbWidthInBytes == stride);
    CHECK(ctx.lHeaderSize == 14 + 40 + palette);
    CHECK(ctx.lImageSize == (known ? stride * H : 0));
    CHECK(ctx.lItemSize == ctx.lHeaderSize + ctx.lImageSize);
    ctx.lBufferSize = ctx.lHeaderSize + BAND_LINES * stride;
    ctx.pTransferBuffer = ctx.pBaseBuffer = malloc((size_t)ctx.lBufferSize);
    CHECK(ctx.pTransferBuffer != NULL);
    CHECK_HR(wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, &ctx), S_OK);
    BYTE *hdr = ctx.pTransferBuffer;
    CHECK(hdr[0] == 'B' && hdr[1] == 'M');
    CHECK(get32(hdr + 14) == 40 && get32(hdr + 18) == W);
    CHECK(get32(hdr + 22) == (uint32_t)(known ? H : 0));
    CHECK(hdr[28] == depth);

    BYTE rgb[W * H * 3], dib_td[4 * ((W * 24 + 31) / 32) * H], device[sizeof dib_td];
    picture(depth, stride, rgb, dib_td);
    snprintf(path, sizeof path, "%s/%d.rgb", dir, (int)depth);
    write_file(path, rgb, sizeof rgb);
    /* What the device delivers: bottom-up rows when the height is known, else top-down. */
    for (LONG y = 0; y < H; y++)
        memcpy(device + (size_t)y * stride, dib_td + (size_t)(known ? H - 1 - y : y) * stride,
               (size_t)stride);

    /* The banded loop. */
    LONG delivered = 0, header = ctx.lHeaderSize;
    while (delivered < stride * H) {
        LONG n = stride * H - delivered;
        if (n > BAND_LINES * stride) n = BAND_LINES * stride;
        memcpy(ctx.pTransferBuffer + header, device + delivered, (size_t)n);
        delivered += n;
        ctx.lItemSize = header + n;
        CHECK_HR(use_page_fn ? wiasWritePageBufToFile(&ctx) : write_buf(&ctx), S_OK);
        header = 0; /* later bands start at the start of the buffer */
    }
    CHECK(ctx.lPage == 0 && ctx.lCurIfdOffset == 0 && ctx.lPrevIfdOffset == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK(st.st_size == ctx.lHeaderSize + stride * H);
    if (!known) {
        /* End of page: the length is known now. */
        put32(fd, 2, (uint32_t)(ctx.lHeaderSize + stride * H)); /* bfSize */
        put32(fd, 22, (uint32_t)-H);                             /* biHeight: top-down */
        put32(fd, 34, (uint32_t)(stride * H));                   /* biSizeImage */
    }
    CHECK(close(fd) == 0);
    free(ctx.pTransferBuffer);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    LONG depths[3] = {1, 8, 24};
    for (int d = 0; d < 3; d++)
        for (int fn = 0; fn < 2; fn++)
            for (int known = 0; known < 2; known++) transfer(argv[1], depths[d], fn, known);
    puts("ok");
    return 0;
}

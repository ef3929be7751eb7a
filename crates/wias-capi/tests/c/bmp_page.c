/*
 * One BMP page, 1-, 8- and 24-bit, written twice: by wiasWritePageBufToFile and by
 * wiasWriteBufToFile (the driver's header from wiasGetImageInformation plus its DIB
 * rows, written as they are). Writes DIR/page-D.bmp, DIR/buf-D.bmp and DIR/page-D.rgb
 * (the image as top-down RGB triples, what a BMP reader must show).
 * Usage: bmp_page DIR
 */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"

static void page(const char *dir, LONG depth) {
    const LONG width = 37, lines = 23;
    char path[4096];
    MINIDRV_TRANSFER_CONTEXT ctx;
    init_context(&ctx, width, lines, depth, &WiaImgFmt_BMP, TYMED_FILE);
    /* first call: sizes only (no buffer yet) */
    CHECK_HR(wiasGetImageInformation(NULL, 0, &ctx), S_OK);
    LONG row = ((width * depth + 31) / 32) * 4; /* DIB rows: 4-byte padded */
    LONG palette = depth == 1 ? 2 * 4 : depth == 8 ? 256 * 4 : 0;
    CHECK(ctx.cbWidthInBytes == row);
    CHECK(ctx.lImageSize == row * lines);
    CHECK(ctx.lHeaderSize == 14 + 40 + palette);
    CHECK(ctx.lItemSize == ctx.lHeaderSize + ctx.lImageSize);

    BYTE *buffer = calloc(1, (size_t)ctx.lItemSize);
    CHECK(buffer != NULL);
    ctx.pTransferBuffer = buffer;
    ctx.lBufferSize = ctx.lItemSize;
    /* second call: the header lands at the start of the buffer */
    CHECK_HR(wiasGetImageInformation(NULL, 0, &ctx), S_OK);
    CHECK(buffer[0] == 'B' && buffer[1] == 'M');

    /* the picture, top-down RGB, and its DIB form after the header */
    BYTE *rgb = malloc((size_t)(width * lines * 3));
    BYTE *bits = malloc((size_t)(width * lines));
    CHECK(rgb && bits);
    fill_pattern(bits, (size_t)(width * lines), 70u + (unsigned)depth);
    BYTE *dib = buffer + ctx.lHeaderSize;
    for (LONG y = 0; y < lines; y++) {
        BYTE *out = dib + (size_t)(lines - 1 - y) * row; /* bottom-up */
        for (LONG x = 0; x < width; x++) {
            put_bmp_pixel(out, rgb + (size_t)(y * width + x) * 3, depth, x, y, bits[y * width + x]);
        }
    }
    snprintf(path, sizeof path, "%s/page-%d.rgb", dir, (int)depth);
    write_file(path, rgb, (size_t)(width * lines * 3));

    snprintf(path, sizeof path, "%s/page-%d.bmp", dir, (int)depth);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ctx.hFile = fd;
    CHECK_HR(wiasWritePageBufToFile(&ctx), S_OK);
    CHECK(close(fd) == 0);

    /* wiasWriteBufToFile writes at the current position: put something first */
    snprintf(path, sizeof path, "%s/buf-%d.bmp", dir, (int)depth);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ctx.hFile = fd;
    CHECK_HR(wiasWriteBufToFile(0, &ctx), S_OK);
    CHECK(lseek(fd, 0, SEEK_CUR) == ctx.lItemSize);
    CHECK(close(fd) == 0);

    free(rgb);
    free(bits);
    free(buffer);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    page(argv[1], 1);
    page(argv[1], 8);
    page(argv[1], 24);
    puts("ok");
    return 0;
}

/*
 * A three-page ADF scan by a minidriver that numbers its pages itself: fill the
 * context, call wiasGetImageInformation, fill the buffer, set lPage = n and call
 * wiasWritePageBufToFile per page (the library advances lPage, lPrevIfdOffset and
 * lCurIfdOffset after each page, and the driver's own lPage agrees with it); for 1-,
 * 8-, 16-, 24- and 48-bit pages. The same pages also go
 * through wiasWritePageBufToStream into a memory IStream. Then two pages whose length was
 * unknown at scan start (lLines = 0, lItemSize set after the scan).
 *
 * Writes into DIR: adf-D.tif (file), adf-D-stream.tif (the stream's bytes) and
 * adf-D.raw (the page buffers, for the checker); unknown-lines.tif and .raw.
 * Usage: adf_scan DIR
 */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"

static void scan(const char *dir, LONG depth, LONG width, LONG lines) {
    char path[4096];
    MINIDRV_TRANSFER_CONTEXT ctx;
    init_context(&ctx, width, lines, depth, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    CHECK_HR(wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, &ctx), S_OK);
    LONG row = (width * depth + 7) / 8;
    CHECK(ctx.cbWidthInBytes == row);
    CHECK(ctx.lImageSize == row * lines);
    CHECK(ctx.lHeaderSize == 0);
    CHECK(ctx.lItemSize == 0); /* multipage TIFF: unknown until written */

    BYTE *buffer = malloc((size_t)ctx.lImageSize);
    CHECK(buffer != NULL);
    ctx.pBaseBuffer = ctx.pTransferBuffer = buffer;
    ctx.lBufferSize = ctx.lImageSize;
    ctx.bClassDrvAllocBuf = TRUE;

    snprintf(path, sizeof path, "%s/adf-%d.tif", dir, (int)depth);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ctx.hFile = fd;

    MINIDRV_TRANSFER_CONTEXT sctx = ctx; /* the same scan, into a stream */
    sctx.hFile = -1;
    MemStream stream;
    mem_stream_init(&stream);

    snprintf(path, sizeof path, "%s/adf-%d.raw", dir, (int)depth);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);

    LONG end = 0;
    for (LONG page = 0; page < 3; page++) {
        fill_pattern(buffer, (size_t)ctx.lImageSize, (unsigned)(depth * 10 + page));
        if (depth == 1) clear_bilevel_padding(buffer, width, lines, row);
        CHECK(fwrite(buffer, 1, (size_t)ctx.lImageSize, expect) == (size_t)ctx.lImageSize);

        ctx.lPage = page;
        CHECK_HR(wiasWritePageBufToFile(&ctx), S_OK);
        CHECK(ctx.lPage == page + 1);
        CHECK(ctx.lPrevIfdOffset > end);             /* this page's IFD, */
        CHECK(ctx.lPrevIfdOffset % 2 == 0);          /* on a word boundary, */
        CHECK(ctx.lCurIfdOffset > ctx.lPrevIfdOffset); /* then the end of the file */
        CHECK(lseek(fd, 0, SEEK_END) == ctx.lCurIfdOffset);
        end = ctx.lCurIfdOffset;

        sctx.lPage = page;
        CHECK_HR(wiasWritePageBufToStream(&sctx, &stream.iface), S_OK);
        CHECK(sctx.lCurIfdOffset == ctx.lCurIfdOffset);
        CHECK(sctx.lPrevIfdOffset == ctx.lPrevIfdOffset);
    }
    /* the library borrows the descriptor and the stream: both are still ours */
    CHECK(fcntl(fd, F_GETFD) != -1);
    CHECK(close(fd) == 0);
    CHECK(stream.refs == 1);
    CHECK(fclose(expect) == 0);
    snprintf(path, sizeof path, "%s/adf-%d-stream.tif", dir, (int)depth);
    write_file(path, stream.data, stream.len);
    free(stream.data);
    free(buffer);
}

/* Pages whose length the driver learns only at the end of the page. */
static void unknown_lines(const char *dir) {
    char path[4096];
    const LONG width = 90, page_lines[2] = {30, 45};
    MINIDRV_TRANSFER_CONTEXT ctx;
    init_context(&ctx, width, 0, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    CHECK_HR(wiasGetImageInformation(NULL, 0, &ctx), S_OK);
    CHECK(ctx.cbWidthInBytes == width);
    CHECK(ctx.lItemSize == 0);
    BYTE *buffer = malloc(64 * 1024);
    CHECK(buffer != NULL);
    ctx.pTransferBuffer = buffer;
    ctx.lBufferSize = 64 * 1024;
    snprintf(path, sizeof path, "%s/unknown-lines.tif", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ctx.hFile = fd;
    snprintf(path, sizeof path, "%s/unknown-lines.raw", dir);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    for (LONG page = 0; page < 2; page++) {
        size_t n = (size_t)(width * page_lines[page]);
        fill_pattern(buffer, n, 500u + (unsigned)page);
        CHECK(fwrite(buffer, 1, n, expect) == n);
        ctx.lPage = page;
        ctx.lItemSize = ctx.lHeaderSize + (LONG)n; /* known now */
        CHECK_HR(wiasWritePageBufToFile(&ctx), S_OK);
    }
    CHECK(close(fd) == 0);
    CHECK(fclose(expect) == 0);
    free(buffer);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    scan(argv[1], 1, 203, 47);
    scan(argv[1], 8, 101, 47);
    scan(argv[1], 24, 67, 47);
    scan(argv[1], 16, 45, 47); /* little-endian samples */
    scan(argv[1], 48, 33, 47);
    unknown_lines(argv[1]);
    puts("ok");
    return 0;
}

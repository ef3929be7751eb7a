/*
 * Multipage TIFF from a driver written for the Windows service (driver.h): one
 * wiasWritePageBufToFile per page, four pages, 1-, 8-, 16-, 24- and 48-bit; the same
 * pages through wiasWritePageBufToStream into a memory IStream.
 *   driver_tiff DIR windows    the driver never touches lPage, lCurIfdOffset or
 *                              lPrevIfdOffset (as on Windows)
 *   driver_tiff DIR counting   the driver also sets lPage = n before page n
 * After every page: lPage has gone up by one, lPrevIfdOffset is the new page's IFD and
 * lCurIfdOffset the end of the file. Writes DIR/MODE-D.tif, DIR/MODE-D-stream.tif and
 * DIR/MODE-D.raw (the pages as the device delivered them).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"

#define PAGES 4

static void scan(const char *dir, const char *mode, LONG depth, LONG width, LONG lines) {
    int counting = strcmp(mode, "counting") == 0;
    char path[4096];
    /* The service: a zeroed context with the item's properties and the file it opened. */
    MINIDRV_TRANSFER_CONTEXT ctx, sctx;
    init_context(&ctx, width, lines, depth, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    snprintf(path, sizeof path, "%s/%s-%d.tif", dir, mode, (int)depth);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ctx.hFile = fd;
    sctx = ctx;
    sctx.hFile = -1;
    MemStream stream;
    mem_stream_init(&stream);

    CHECK_HR(driver_begin(&ctx), S_OK);
    CHECK_HR(driver_begin(&sctx), S_OK);
    LONG row = (width * depth + 7) / 8;
    CHECK(ctx.cbWidthInBytes == row && ctx.lImageSize == row * lines);
    CHECK(ctx.lHeaderSize == 0 && ctx.lItemSize == 0);

    BYTE *page = malloc((size_t)ctx.lImageSize);
    CHECK(page != NULL);
    snprintf(path, sizeof path, "%s/%s-%d.raw", dir, mode, (int)depth);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    LONG end = 0;
    for (LONG n = 0; n < PAGES; n++) {
        fill_pattern(page, (size_t)ctx.lImageSize, (unsigned)(depth * 10 + n));
        if (depth == 1) clear_bilevel_padding(page, width, lines, row);
        CHECK(fwrite(page, 1, (size_t)ctx.lImageSize, expect) == (size_t)ctx.lImageSize);
        if (counting) {
            ctx.lPage = n;
            sctx.lPage = n;
        }
        Device dev = {page, ctx.lImageSize, 0, row};
        CHECK_HR(driver_page(&ctx, &dev, write_to_file, NULL), S_OK);
        struct stat st;
        CHECK(fstat(fd, &st) == 0);
        CHECK(ctx.lPage == n + 1);
        CHECK(ctx.lCurIfdOffset == st.st_size);          /* where the next page goes */
        CHECK(ctx.lPrevIfdOffset > end);                  /* this page's IFD, after the */
        CHECK(ctx.lPrevIfdOffset < ctx.lCurIfdOffset);    /* previous page's bytes */
        CHECK(ctx.lPrevIfdOffset % 2 == 0);
        end = ctx.lCurIfdOffset;

        Device again = {page, ctx.lImageSize, 0, row};
        CHECK_HR(driver_page(&sctx, &again, write_to_stream, &stream.iface), S_OK);
        CHECK(sctx.lPage == ctx.lPage);
        CHECK(sctx.lCurIfdOffset == ctx.lCurIfdOffset);
        CHECK(sctx.lPrevIfdOffset == ctx.lPrevIfdOffset);
        CHECK((size_t)sctx.lCurIfdOffset == stream.len);
    }
    CHECK(fclose(expect) == 0);
    /* the library borrows the descriptor and the stream: both are still ours */
    CHECK(fcntl(fd, F_GETFD) != -1);
    CHECK(close(fd) == 0);
    CHECK(stream.refs == 1);
    snprintf(path, sizeof path, "%s/%s-%d-stream.tif", dir, mode, (int)depth);
    write_file(path, stream.data, stream.len);
    free(stream.data);
    free(page);
    driver_end(&ctx);
    driver_end(&sctx);
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    CHECK(strcmp(argv[2], "windows") == 0 || strcmp(argv[2], "counting") == 0);
    scan(argv[1], argv[2], 1, 203, 47);
    scan(argv[1], argv[2], 8, 101, 47);
    scan(argv[1], argv[2], 16, 45, 47); /* little-endian samples */
    scan(argv[1], argv[2], 24, 67, 47);
    scan(argv[1], argv[2], 48, 33, 47);
    puts("ok");
    return 0;
}

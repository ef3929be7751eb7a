/*
 * A memory-callback transfer of a TIFF (bTransferDataCB = TRUE, TYMED_CALLBACK), as a
 * driver for the Windows service does it: the service allocated the buffer;
 * wiasGetImageInformation puts the header at its start; the driver hands the
 * application the header, then the page's rows band by band (MiniDrvCallback with
 * IT_MSG_DATA on Windows). The application saves what it receives, as it receives it:
 * that is a complete single-page TIFF. 1-, 8-, 16-, 24- and 48-bit.
 * Writes DIR/cb-D.tif (what the application saved) and DIR/cb-D.raw (the rows).
 * Usage: callback_tiff DIR
 */
#include "check.h"

#define SERVICE_BUFFER 4096 /* what the service allocated */

/* The application's side: every byte it is handed, appended. */
typedef struct App {
    FILE *out;
    LONG received;
} App;

static HRESULT app_data(App *app, const BYTE *data, LONG len) {
    CHECK(fwrite(data, 1, (size_t)len, app->out) == (size_t)len);
    app->received += len;
    return S_OK;
}

static void transfer(const char *dir, LONG depth, LONG width, LONG lines) {
    char path[4096];
    MINIDRV_TRANSFER_CONTEXT ctx;
    init_context(&ctx, width, lines, depth, &WiaImgFmt_TIFF, TYMED_CALLBACK);
    ctx.bTransferDataCB = TRUE;
    ctx.bClassDrvAllocBuf = TRUE;
    BYTE *service_buffer = malloc(SERVICE_BUFFER);
    CHECK(service_buffer != NULL);
    ctx.pTransferBuffer = ctx.pBaseBuffer = service_buffer;
    ctx.lBufferSize = SERVICE_BUFFER;

    CHECK_HR(wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, &ctx), S_OK);
    LONG row = (width * depth + 7) / 8;
    CHECK(ctx.cbWidthInBytes == row);
    CHECK(ctx.lImageSize == row * lines);
    CHECK(ctx.lHeaderSize > 8 && ctx.lHeaderSize < SERVICE_BUFFER);
    CHECK(ctx.lItemSize == ctx.lHeaderSize + ctx.lImageSize);
    CHECK(memcmp(service_buffer, "II*\0", 4) == 0);

    snprintf(path, sizeof path, "%s/cb-%d.tif", dir, (int)depth);
    App app = {fopen(path, "wb"), 0};
    CHECK(app.out != NULL);
    BYTE *page = malloc((size_t)ctx.lImageSize);
    CHECK(page != NULL);
    fill_pattern(page, (size_t)ctx.lImageSize, 700u + (unsigned)depth);
    if (depth == 1) clear_bilevel_padding(page, width, lines, row);
    snprintf(path, sizeof path, "%s/cb-%d.raw", dir, (int)depth);
    write_file(path, page, (size_t)ctx.lImageSize);

    /* The header first, then bands of whole lines through the same buffer. */
    CHECK_HR(app_data(&app, ctx.pTransferBuffer, ctx.lHeaderSize), S_OK);
    LONG band = SERVICE_BUFFER / row * row, sent = 0;
    while (sent < ctx.lImageSize) {
        LONG n = ctx.lImageSize - sent < band ? ctx.lImageSize - sent : band;
        memcpy(ctx.pTransferBuffer, page + sent, (size_t)n); /* the device's band */
        ctx.cbOffset = ctx.lHeaderSize + sent;
        CHECK_HR(app_data(&app, ctx.pTransferBuffer, n), S_OK);
        sent += n;
    }
    CHECK(app.received == ctx.lItemSize);
    CHECK(fclose(app.out) == 0);
    free(page);
    free(service_buffer);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    transfer(argv[1], 1, 203, 47);
    transfer(argv[1], 8, 101, 47);
    transfer(argv[1], 16, 45, 47);
    transfer(argv[1], 24, 67, 47);
    transfer(argv[1], 48, 33, 47);
    puts("ok");
    return 0;
}

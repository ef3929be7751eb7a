/*
 * Benchmark of the C ABI: N A4 pages at 300 dpi (2481 x 3508), 8-bit gray, through
 * wiasWritePageBufToFile into one multipage TIFF, timing each call. Prints the mean
 * time per page for the first and the last tenth of the document (they should agree:
 * appending never walks the IFD chain) and the throughput.
 *
 *   cargo build --release -p wias-capi
 *   cc -O2 -Iinclude -o /tmp/a4_pages crates/wias-capi/bench/a4_pages.c \
 *      target/release/libwias.a -lpthread -ldl -lm
 *   /tmp/a4_pages /tmp/a4.tif 100
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "wias.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s OUT.tif PAGES\n", argv[0]);
        return 2;
    }
    int pages = atoi(argv[2]);
    if (pages < 10) pages = 10;
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    MINIDRV_TRANSFER_CONTEXT c = {0};
    c.lSize = sizeof c;
    c.lWidthInPixels = 2481;
    c.lLines = 3508;
    c.lDepth = 8;
    c.lXRes = c.lYRes = 300;
    c.guidFormatID = WiaImgFmt_TIFF;
    c.tymed = TYMED_MULTIPAGE_FILE;
    c.hFile = fd;
    if (FAILED(wiasGetImageInformation(NULL, 0, &c))) return 1;
    c.lBufferSize = c.lImageSize;
    c.pTransferBuffer = malloc((size_t)c.lBufferSize);
    for (LONG i = 0; i < c.lBufferSize; i++) c.pTransferBuffer[i] = (BYTE)(i * 7);
    double *t = calloc((size_t)pages, sizeof *t);
    for (c.lPage = 0; c.lPage < pages; c.lPage++) {
        double t0 = now();
        HRESULT hr = wiasWritePageBufToFile(&c);
        t[c.lPage] = now() - t0;
        if (FAILED(hr)) {
            fprintf(stderr, "page %d: %s\n", (int)c.lPage, wiasLastErrorMessage());
            break;
        }
    }
    int tenth = c.lPage / 10, n = c.lPage;
    double first = 0, last = 0, all = 0;
    for (int i = 0; i < n; i++) all += t[i];
    for (int i = 0; i < tenth; i++) first += t[i], last += t[n - 1 - i];
    printf("%d pages of %d bytes: first tenth %.2f ms/page, last tenth %.2f ms/page, %.0f MB/s\n",
           n, (int)c.lImageSize, 1e3 * first / tenth, 1e3 * last / tenth,
           n * (double)c.lImageSize / all / 1e6);
    free(t);
    free(c.pTransferBuffer);
    close(fd);
    return 0;
}

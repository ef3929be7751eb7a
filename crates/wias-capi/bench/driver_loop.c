/*
 * Benchmark of the C ABI as a driver for the Windows service uses it: N A4 gray pages
 * (2480 x 3508 at 300 dpi, 8-bit) into one multipage TIFF, one wiasWritePageBufToFile
 * per page, the page fields never touched (the library advances them). Each call is
 * timed. Prints the mean time of the first and of the last ten pages and their ratio:
 * appending never walks the IFD chain, so page N should cost what page 1 costs.
 *
 *   jpeg  the device delivers JPEG pages (lCompression = WIA_COMPRESSION_JPEG, encoded
 *         once by libjpeg), passed through: 1000 pages fit the C ABI's 2 GiB
 *   raw   uncompressed pages (8.7 MB each): at most 245 fit in 2 GiB
 *   plain the peer: the same uncompressed bytes per page written with write(2) into a
 *         plain file, no TIFF at all: what the disk and page cache cost as a file grows
 *
 * bench/dropin.sh builds and runs both.
 * Usage: driver_loop OUT PAGES jpeg|raw|plain TIMES.txt
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>

#include "wias.h"

#define W 2480
#define H 3508

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A page that looks scanned: a paper gradient with dark strokes. */
static void render(BYTE *page) {
    uint32_t x = 2463534242u;
    for (long y = 0; y < H; y++)
        for (long i = 0; i < W; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            int ink = (y / 40) % 2 == 0 && y % 40 > 12 && (i / 13 + y / 40) % 5 != 0 &&
                      i % 13 < 9 && i > 200 && i < W - 200;
            page[y * W + i] = (BYTE)(ink ? 30 + (x >> 30) : 235 - y / 200 + (x >> 31));
        }
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n times (n <= 10), less swayed by one page the disk stalled on. */
static double median(const double *t, int n) {
    double v[10];
    memcpy(v, t, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static unsigned char *jpeg_of(const BYTE *page, unsigned long *len) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    jpeg_mem_dest(&c, &out, len);
    c.image_width = W;
    c.image_height = H;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 85, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < H) {
        JSAMPROW row = (JSAMPROW)(page + (size_t)c.next_scanline * W);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return out;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[3], "jpeg") && strcmp(argv[3], "raw") &&
                      strcmp(argv[3], "plain"))) {
        fprintf(stderr, "usage: %s OUT.tif PAGES jpeg|raw|plain TIMES.txt\n", argv[0]);
        return 2;
    }
    int pages = atoi(argv[2]), jpeg = strcmp(argv[3], "jpeg") == 0;
    int plain = strcmp(argv[3], "plain") == 0;
    if (pages < 20) pages = 20;
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;

    /* The service: a zeroed context with the item's properties. */
    MINIDRV_TRANSFER_CONTEXT c;
    memset(&c, 0, sizeof c);
    c.lSize = sizeof c;
    c.lWidthInPixels = W;
    c.lLines = H;
    c.lDepth = 8;
    c.lXRes = c.lYRes = 300;
    c.lCompression = jpeg ? WIA_COMPRESSION_JPEG : WIA_COMPRESSION_NONE;
    c.guidFormatID = WiaImgFmt_TIFF;
    c.tymed = TYMED_MULTIPAGE_FILE;
    c.hFile = fd;
    if (FAILED(wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, &c))) return 1;

    BYTE *page = malloc((size_t)W * H);
    if (!page) return 1;
    render(page);
    unsigned long jlen = 0;
    unsigned char *jdata = jpeg ? jpeg_of(page, &jlen) : NULL;
    /* The driver's buffer: header (none for TIFF) + the page as the device gives it. */
    LONG bytes = jpeg ? (LONG)jlen : c.lImageSize;
    c.lBufferSize = c.lHeaderSize + bytes;
    c.pTransferBuffer = c.pBaseBuffer = malloc((size_t)c.lBufferSize);
    if (!c.pTransferBuffer) return 1;
    memcpy(c.pTransferBuffer + c.lHeaderSize, jpeg ? jdata : page, (size_t)bytes);

    double *t = calloc((size_t)pages, sizeof *t);
    int done = 0;
    for (int n = 0; n < pages; n++) {
        if (!jpeg) c.pTransferBuffer[c.lHeaderSize + n % W] ^= 0xFF; /* a page of its own */
        c.lItemSize = c.lHeaderSize + bytes;
        double t0 = now();
        HRESULT hr = S_OK;
        if (plain) {
            if (write(fd, c.pTransferBuffer, (size_t)c.lItemSize) != (ssize_t)c.lItemSize) hr = E_FAIL;
            c.lPage++;
            c.lCurIfdOffset += c.lItemSize;
        } else {
            hr = wiasWritePageBufToFile(&c);
        }
        t[n] = now() - t0;
        if (FAILED(hr)) {
            fprintf(stderr, "page %d: 0x%08X %s\n", n + 1, (unsigned)hr, wiasLastErrorMessage());
            break;
        }
        done++;
    }
    FILE *times = fopen(argv[4], "w");
    double first = 0, last = 0, all = 0;
    for (int i = 0; i < done; i++) {
        all += t[i];
        if (times) fprintf(times, "%d %.6f\n", i + 1, t[i] * 1e3);
    }
    if (times) fclose(times);
    for (int i = 0; i < 10 && i < done; i++) first += t[i], last += t[done - 1 - i];
    int k = done < 10 ? done : 10;
    double m1 = median(t, k), m2 = median(t + done - k, k);
    printf("%s: %d pages (lPage %d), %ld bytes, %ld-byte pages: mean of the first 10 "
           "%.3f ms/page, of the last 10 %.3f ms/page, ratio %.2f (medians %.3f, %.3f: "
           "%.2f), mean of all %.3f ms/page\n",
           argv[3], done, (int)c.lPage, (long)c.lCurIfdOffset, (long)bytes, first * 100,
           last * 100, last / first, m1 * 1e3, m2 * 1e3, m2 / m1, all / done * 1e3);
    free(t);
    free(page);
    free(c.pTransferBuffer);
    if (jdata) free(jdata);
    close(fd);
    return done == pages ? 0 : 1;
}

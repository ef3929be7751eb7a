/*
 * Out of memory: with the address space limited (RLIMIT_AS), page 2 of a multipage
 * TIFF is a 128 MB bilevel page whose inverted copy cannot be allocated. The call
 * returns E_OUTOFMEMORY instead of aborting the process, and once memory is back the
 * next page is written after page 1. Writes DIR/oom.tif (2 small pages) and
 * DIR/oom.raw (their rows). Not run under valgrind (it needs the address space).
 * Usage: oom DIR
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

#define W 64
#define H 50
#define BIG 32768 /* pixels a side: 4096 bytes a row, 128 MiB a page */

/* Bytes of address space the process uses now (first field of /proc/self/statm). */
static unsigned long long address_space(void) {
    unsigned long long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f != NULL);
    CHECK(fscanf(f, "%llu", &pages) == 1);
    fclose(f);
    return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    char path[4096];
    BYTE small[(W + 7) / 8 * H];
    MINIDRV_TRANSFER_CONTEXT c;
    init_context(&c, W, H, 1, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    CHECK_HR(wiasGetImageInformation(NULL, 0, &c), S_OK);
    c.pTransferBuffer = small;
    c.lBufferSize = sizeof small;
    snprintf(path, sizeof path, "%s/oom.raw", argv[1]);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    snprintf(path, sizeof path, "%s/oom.tif", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    c.hFile = fd;

    fill_pattern(small, sizeof small, 1);
    CHECK(fwrite(small, 1, sizeof small, expect) == sizeof small);
    c.lPage = 0;
    CHECK_HR(wiasWritePageBufToFile(&c), S_OK);

    /* The big page, then a limit that leaves 32 MB of room: not enough for a copy. */
    MINIDRV_TRANSFER_CONTEXT big = c;
    big.lWidthInPixels = BIG;
    big.lLines = BIG;
    CHECK_HR(wiasGetImageInformation(NULL, 0, &big), S_OK);
    BYTE *pixels = calloc((size_t)big.lImageSize, 1);
    CHECK(pixels != NULL);
    big.pTransferBuffer = pixels;
    big.lBufferSize = big.lImageSize;
    big.lPage = 1;
    struct rlimit old, tight;
    CHECK(getrlimit(RLIMIT_AS, &old) == 0);
    tight = old;
    tight.rlim_cur = address_space() + (32u << 20);
    CHECK(setrlimit(RLIMIT_AS, &tight) == 0);
    CHECK_HR(wiasWritePageBufToFile(&big), E_OUTOFMEMORY);
    CHECK_MESSAGE("allocating");
    CHECK(setrlimit(RLIMIT_AS, &old) == 0);
    free(pixels);
    CHECK(big.lCurIfdOffset == c.lCurIfdOffset); /* the context still names page 1 */

    /* Memory is back: the next page goes after page 1. */
    fill_pattern(small, sizeof small, 2);
    CHECK(fwrite(small, 1, sizeof small, expect) == sizeof small);
    c.lPage = 1;
    CHECK_HR(wiasWritePageBufToFile(&c), S_OK);
    CHECK(fclose(expect) == 0);
    CHECK(close(fd) == 0);
    puts("ok");
    return 0;
}

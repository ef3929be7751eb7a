/*
 * A full medium: the process's file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) is
 * reached during page 2 of a multipage TIFF. The call returns STG_E_MEDIUMFULL and
 * pages 0-1 stay readable. Writes DIR/fsize.tif and DIR/fsize.raw (pages 0-1).
 * Usage: fsize DIR
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define W 64
#define H 50

int main(int argc, char **argv) {
    CHECK(argc == 2);
    char path[4096];
    BYTE buf[W * H];
    MINIDRV_TRANSFER_CONTEXT c;
    init_context(&c, W, H, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    CHECK_HR(wiasGetImageInformation(NULL, 0, &c), S_OK);
    c.pTransferBuffer = buf;
    c.lBufferSize = sizeof buf;

    snprintf(path, sizeof path, "%s/fsize.raw", argv[1]);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    snprintf(path, sizeof path, "%s/fsize.tif", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    c.hFile = fd;
    for (LONG page = 0; page < 2; page++) {
        fill_pattern(buf, sizeof buf, 600u + (unsigned)page);
        CHECK(fwrite(buf, 1, sizeof buf, expect) == sizeof buf);
        c.lPage = page;
        CHECK_HR(wiasWritePageBufToFile(&c), S_OK);
    }
    CHECK(fclose(expect) == 0);

    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {(rlim_t)st.st_size + 1000, RLIM_INFINITY};
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);

    c.lPage = 2;
    fill_pattern(buf, sizeof buf, 602u);
    LONG cur = c.lCurIfdOffset;
    CHECK_HR(wiasWritePageBufToFile(&c), STG_E_MEDIUMFULL);
    CHECK(c.lCurIfdOffset == cur);
    CHECK(close(fd) == 0);
    puts("ok");
    return 0;
}

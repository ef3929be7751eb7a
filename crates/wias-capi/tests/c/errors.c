/*
 * Every error path of the C ABI (docs/driver-rules.md): the documented HRESULT, a
 * message that names the field, the context left as it was, and the pages written
 * before the failure intact. (The results of wiasGetImageInformation and
 * wiasWriteBufToFile at their edges are in edges.c.) Files for the checker, in DIR:
 *   readonly.tif/.raw    pages 0-1, then page 2 through a read-only descriptor
 *   recover.tif/.raw     page 1 refused four ways, then pages 1-2 written
 *   stream-full.tif/.raw pages 0-1, then the IStream reports STG_E_MEDIUMFULL
 *   big.tif/.raw         page 0, then a page past the 2 GiB LONG limit (sparse file)
 * Usage: errors DIR
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define W 40
#define H 9
#define PAGE (W * H)


static char dir[4000];

static int create(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    return fd;
}

static int reopen(const char *name, int flags) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, flags);
    CHECK(fd >= 0);
    return fd;
}

/* An 8-bit multipage TIFF context over `buf`, as after wiasGetImageInformation. */
static MINIDRV_TRANSFER_CONTEXT tiff_context(BYTE *buf, int fd) {
    MINIDRV_TRANSFER_CONTEXT c;
    init_context(&c, W, H, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    CHECK_HR(wiasGetImageInformation(NULL, 0, &c), S_OK);
    CHECK(c.lImageSize == PAGE);
    c.pTransferBuffer = buf;
    c.lBufferSize = PAGE;
    c.hFile = fd;
    return c;
}

static off_t file_size(int fd) {
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    return st.st_size;
}

static void null_pointers(void) {
    BYTE buf[PAGE] = {0};
    MemStream s;
    mem_stream_init(&s);
    CHECK_HR(wiasGetImageInformation(NULL, 0, NULL), E_POINTER);
    CHECK_MESSAGE("pmdtc");
    CHECK_HR(wiasWritePageBufToFile(NULL), E_POINTER);
    CHECK_HR(wiasWriteBufToFile(0, NULL), E_POINTER);
    CHECK_HR(wiasWritePageBufToStream(NULL, &s.iface), E_POINTER);

    int fd = create("null.tif");
    MINIDRV_TRANSFER_CONTEXT c = tiff_context(buf, fd);
    c.pTransferBuffer = NULL;
    CHECK_HR(wiasWritePageBufToFile(&c), E_POINTER);
    CHECK_MESSAGE("pTransferBuffer");
    c.lItemSize = 10;
    CHECK_HR(wiasWriteBufToFile(0, &c), E_POINTER);
    CHECK_HR(wiasWritePageBufToStream(&c, &s.iface), E_POINTER);
    c.pTransferBuffer = buf;
    c.lItemSize = 0;
    CHECK_HR(wiasWritePageBufToStream(&c, NULL), E_POINTER);
    CHECK_MESSAGE("pstream");
    IStream no_vtbl = {NULL};
    CHECK_HR(wiasWritePageBufToStream(&c, &no_vtbl), E_POINTER);
    CHECK(file_size(fd) == 0 && s.len == 0);
    CHECK(close(fd) == 0);
    /* pWiasContext is accepted and ignored */
    BYTE item[16] = {0};
    CHECK_HR(wiasGetImageInformation(item, 0, &c), S_OK);
}

/* A field whose value wiasGetImageInformation must refuse, naming it, changing
 * nothing. */
#define REFUSE_INFO(field, value, word)                                   \
    do {                                                                  \
        MINIDRV_TRANSFER_CONTEXT c_;                                      \
        init_context(&c_, W, H, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE); \
        c_.cbWidthInBytes = -77;                                          \
        c_.field = value;                                                 \
        MINIDRV_TRANSFER_CONTEXT before_ = c_;                            \
        CHECK_HR(wiasGetImageInformation(NULL, 0, &c_), E_INVALIDARG);    \
        CHECK_MESSAGE(word);                                              \
        CHECK(memcmp(&c_, &before_, sizeof c_) == 0);                     \
    } while (0)

static void bad_fields(void) {
    REFUSE_INFO(lWidthInPixels, 0, "lWidthInPixels");
    REFUSE_INFO(lWidthInPixels, -5, "lWidthInPixels");
    REFUSE_INFO(lLines, -1, "lLines");
    REFUSE_INFO(lXRes, 0, "lXRes");
    REFUSE_INFO(lYRes, -300, "lYRes");
    REFUSE_INFO(lDepth, 7, "lDepth = 7");
    REFUSE_INFO(lDepth, 0, "lDepth");
    REFUSE_INFO(lCompression, 99, "lCompression");

    MINIDRV_TRANSFER_CONTEXT c;
    init_context(&c, W, H, 8, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
    CHECK_HR(wiasGetImageInformation(NULL, 2, &c), E_INVALIDARG);
    CHECK_MESSAGE("lFlags");
}

/* A page the writers must refuse before writing anything. */
static void refuse_page(MINIDRV_TRANSFER_CONTEXT c, int fd, const char *word) {
    off_t size = file_size(fd);
    LONG page = c.lPage, cur = c.lCurIfdOffset, prev = c.lPrevIfdOffset;
    CHECK_HR(wiasWritePageBufToFile(&c), E_INVALIDARG);
    CHECK_MESSAGE(word);
    CHECK(c.lPage == page && c.lCurIfdOffset == cur && c.lPrevIfdOffset == prev);
    CHECK(file_size(fd) == size);
}

static void bad_pages(void) {
    BYTE buf[PAGE + 8];
    fill_pattern(buf, sizeof buf, 1);
    int fd = create("bad.tif");
    MINIDRV_TRANSFER_CONTEXT c = tiff_context(buf, fd), d;

    d = c; d.lBufferSize = 0; refuse_page(d, fd, "lBufferSize");
    d = c; d.lBufferSize = -5; refuse_page(d, fd, "lBufferSize");
    d = c; d.lBufferSize = PAGE - 1; refuse_page(d, fd, "shorter"); /* a short buffer */
    d = c; d.lDepth = 7; refuse_page(d, fd, "lDepth = 7");
    d = c; d.lWidthInPixels = 0; refuse_page(d, fd, "lWidthInPixels");
    d = c; d.lItemSize = -1; refuse_page(d, fd, "lItemSize");
    d = c; d.lHeaderSize = -1; refuse_page(d, fd, "lHeaderSize");
    d = c; d.lImageSize = 0; refuse_page(d, fd, "lImageSize");
    d = c; d.lImageSize = PAGE - W; refuse_page(d, fd, "page data"); /* not W x H */
    d = c; d.lPage = -1; refuse_page(d, fd, "lPage");
    d = c; d.lPage = 0x7FFFFFFF; refuse_page(d, fd, "lPage");
    /* a device-compressed page must say how long it is */
    d = c; d.lCompression = WIA_COMPRESSION_G4; d.lDepth = 1; refuse_page(d, fd, "lItemSize");
    /* page 1 of a document that has no page 0 */
    d = c; d.lPage = 1; refuse_page(d, fd, "lPrevIfdOffset");

    d = c;
    d.lItemSize = PAGE + 9;
    CHECK_HR(wiasWriteBufToFile(0, &d), E_FAIL); /* more than the buffer holds */
    CHECK_MESSAGE("lItemSize");
    CHECK(file_size(fd) == 0);
    CHECK(close(fd) == 0);
}

static void bad_descriptors(void) {
    BYTE buf[PAGE];
    fill_pattern(buf, sizeof buf, 2);
    const HRESULT invalid_handle = HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
    CHECK(invalid_handle == (HRESULT)0x80070006u);
    MINIDRV_TRANSFER_CONTEXT c = tiff_context(buf, -1);
    CHECK_HR(wiasWritePageBufToFile(&c), invalid_handle);
    CHECK_MESSAGE("hFile");
    c.hFile = (LONG_PTR)1 << 40;
    CHECK_HR(wiasWritePageBufToFile(&c), invalid_handle);
    int fd = create("closed.tif");
    CHECK(close(fd) == 0);
    c.hFile = fd; /* closed now */
    CHECK_HR(wiasWritePageBufToFile(&c), invalid_handle);
    c.lItemSize = PAGE;
    CHECK_HR(wiasWriteBufToFile(0, &c), invalid_handle);

    /* write-only: fine for page 0, refused (clearly) for page 1, which must read */
    fd = create("writeonly.tif");
    CHECK(close(fd) == 0);
    fd = reopen("writeonly.tif", O_WRONLY);
    c = tiff_context(buf, fd);
    CHECK_HR(wiasWritePageBufToFile(&c), S_OK);
    CHECK(c.lPage == 1);
    CHECK_HR(wiasWritePageBufToFile(&c), E_ACCESSDENIED);
    CHECK_MESSAGE("O_RDWR");
    CHECK(close(fd) == 0);
}

/* Pages 0 and 1, then page 2 through a read-only descriptor of the same file. */
static void read_only_at_page_2(void) {
    BYTE buf[PAGE];
    char path[4096];
    snprintf(path, sizeof path, "%s/readonly.raw", dir);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    int fd = create("readonly.tif");
    MINIDRV_TRANSFER_CONTEXT c = tiff_context(buf, fd);
    for (LONG page = 0; page < 2; page++) {
        fill_pattern(buf, PAGE, 100u + (unsigned)page);
        CHECK(fwrite(buf, 1, PAGE, expect) == PAGE);
        c.lPage = page;
        CHECK_HR(wiasWritePageBufToFile(&c), S_OK);
    }
    CHECK(fclose(expect) == 0);
    off_t size = file_size(fd);
    int ro = reopen("readonly.tif", O_RDONLY);
    c.hFile = ro;
    c.lPage = 2;
    fill_pattern(buf, PAGE, 102u);
    LONG cur = c.lCurIfdOffset;
    CHECK_HR(wiasWritePageBufToFile(&c), E_ACCESSDENIED);
    CHECK_MESSAGE("read-only");
    CHECK(c.lCurIfdOffset == cur);
    CHECK(file_size(fd) == size);
    CHECK(close(ro) == 0);
    CHECK(close(fd) == 0);
}

/* Page 1 refused four ways, then written, then page 2: three good pages. */
static void recover(void) {
    BYTE buf[PAGE];
    char path[4096];
    snprintf(path, sizeof path, "%s/recover.raw", dir);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    int fd = create("recover.tif");
    MINIDRV_TRANSFER_CONTEXT c = tiff_context(buf, fd), d;
    LONG first_ifd = 0;
    for (LONG page = 0; page < 3; page++) {
        fill_pattern(buf, PAGE, 200u + (unsigned)page);
        if (page == 1) {
            d = c; d.lBufferSize = PAGE - 1; refuse_page(d, fd, "shorter");
            d = c; d.lDepth = 7; refuse_page(d, fd, "lDepth");
            d = c; d.lPrevIfdOffset = 12345; refuse_page(d, fd, "lPrevIfdOffset");
            d = c; d.lPrevIfdOffset = 0; refuse_page(d, fd, "lPrevIfdOffset");
        }
        CHECK_HR(wiasWritePageBufToFile(&c), S_OK);
        if (page == 0) first_ifd = c.lPrevIfdOffset;
        CHECK(fwrite(buf, 1, PAGE, expect) == PAGE);
    }
    /* a stale offset (page 1's IFD, no longer the last) is refused too */
    d = c; d.lPrevIfdOffset = first_ifd; refuse_page(d, fd, "not the last page");
    CHECK(fclose(expect) == 0);
    CHECK(close(fd) == 0);
}

/* The stream fills up at page 2: its own HRESULT comes back. */
static void stream_full(void) {
    BYTE buf[PAGE];
    char path[4096];
    snprintf(path, sizeof path, "%s/stream-full.raw", dir);
    FILE *expect = fopen(path, "wb");
    CHECK(expect != NULL);
    MemStream s;
    mem_stream_init(&s);
    MINIDRV_TRANSFER_CONTEXT c = tiff_context(buf, -1);
    for (LONG page = 0; page < 2; page++) {
        fill_pattern(buf, PAGE, 300u + (unsigned)page);
        CHECK(fwrite(buf, 1, PAGE, expect) == PAGE);
        c.lPage = page;
        CHECK_HR(wiasWritePageBufToStream(&c, &s.iface), S_OK);
    }
    CHECK(fclose(expect) == 0);
    s.fail_write = STG_E_MEDIUMFULL;
    s.limit = s.len + PAGE / 2;
    c.lPage = 2;
    LONG cur = c.lCurIfdOffset;
    CHECK_HR(wiasWritePageBufToStream(&c, &s.iface), STG_E_MEDIUMFULL);
    CHECK(c.lCurIfdOffset == cur);

    /* a stream without Read cannot append (it must read the previous IFD) */
    IStreamVtbl no_read = *s.iface.lpVtbl;
    no_read.Read = NULL;
    MemStream t = s;
    t.iface.lpVtbl = &no_read;
    t.fail_write = S_OK;
    CHECK_HR(wiasWritePageBufToStream(&c, &t.iface), E_POINTER);
    CHECK_MESSAGE("Read");

    snprintf(path, sizeof path, "%s/stream-full.tif", dir);
    write_file(path, s.data, s.len);
    CHECK(t.data == s.data); /* refused before any write */
    free(s.data);
}

/* Offsets are LONGs: a page that would end past 2^31 - 1 fails before writing. */
static void past_2_gib(void) {
    BYTE buf[PAGE];
    char path[4096];
    int fd = create("big.tif");
    MINIDRV_TRANSFER_CONTEXT c = tiff_context(buf, fd);
    fill_pattern(buf, PAGE, 400u);
    snprintf(path, sizeof path, "%s/big.raw", dir);
    write_file(path, buf, PAGE);
    CHECK_HR(wiasWritePageBufToFile(&c), S_OK);
    /* a driver far into a long scan: the file is just under 2 GiB (sparse) */
    const off_t near = 0x7FFFFFFF - 200;
    CHECK(ftruncate(fd, near) == 0);
    CHECK(c.lPage == 1);
    LONG cur = c.lCurIfdOffset;
    CHECK_HR(wiasWritePageBufToFile(&c), STG_E_MEDIUMFULL);
    CHECK_MESSAGE("limit");
    CHECK(c.lCurIfdOffset == cur && c.lPage == 1);
    CHECK(file_size(fd) == near);
    CHECK(close(fd) == 0);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    snprintf(dir, sizeof dir, "%s", argv[1]);
    null_pointers();
    bad_fields();
    bad_pages();
    bad_descriptors();
    read_only_at_page_2();
    recover();
    stream_full();
    past_2_gib();
    CHECK_HR(wiasWritePageBufToFile(NULL), E_POINTER);
    puts("ok");
    return 0;
}

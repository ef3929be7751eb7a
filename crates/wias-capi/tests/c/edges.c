/*
 * The results of wiasGetImageInformation and wiasWriteBufToFile at their edges, as a
 * driver written for the Windows service meets them (docs/driver-rules.md):
 *   - BMP / MEMORYBMP with lLines = 0: the complete header, height 0, lItemSize =
 *     lHeaderSize;
 *   - a format GUID the library does not know: S_FALSE, raw row sizes, no header;
 *   - JPEG and other compressed formats: lHeaderSize and cbWidthInBytes 0;
 *   - a buffer too small for the header: HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER),
 *     the buffer untouched, lHeaderSize saying how much is needed;
 *   - wiasWriteBufToFile: any lFlags; lItemSize 0 writes nothing and succeeds;
 *     negative or larger than lBufferSize is E_FAIL; the same through
 *     wiasWritePageBufToFile and wiasWritePageBufToStream for every format but TIFF.
 * Usage: edges DIR
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[4000];

static const GUID made_up = {0x12345678, 0x9abc, 0xdef0, {1, 2, 3, 4, 5, 6, 7, 8}};
static const GUID guid_null = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};

static uint32_t get32(const BYTE *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static off_t file_size(int fd) {
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    return st.st_size;
}

static void bmp_of_unknown_length(void) {
    BYTE buf[2048];
    LONG depths[3] = {1, 8, 24};
    for (int i = 0; i < 3; i++) {
        LONG depth = depths[i];
        LONG palette = depth == 1 ? 2 : depth == 8 ? 256 : 0;
        for (int file = 1; file >= 0; file--) {
            MINIDRV_TRANSFER_CONTEXT c;
            init_context(&c, 37, 0, depth, file ? &WiaImgFmt_BMP : &WiaImgFmt_MEMORYBMP,
                         file ? TYMED_FILE : TYMED_CALLBACK);
            c.bTransferDataCB = !file;
            memset(buf, 0xEE, sizeof buf);
            c.pTransferBuffer = buf;
            c.lBufferSize = sizeof buf;
            CHECK_HR(wiasGetImageInformation(NULL, WIAS_INIT_CONTEXT, &c), S_OK);
            LONG fh = file ? 14 : 0;
            CHECK(c.lHeaderSize == fh + 40 + 4 * palette);
            CHECK(c.lItemSize == c.lHeaderSize); /* the header is what goes first */
            CHECK(c.lImageSize == 0);
            CHECK(c.cbWidthInBytes == ((37 * depth + 31) / 32) * 4);
            if (file) {
                CHECK(buf[0] == 'B' && buf[1] == 'M');
                CHECK(get32(buf + 2) == (uint32_t)c.lHeaderSize);  /* bfSize: header only */
                CHECK(get32(buf + 10) == (uint32_t)c.lHeaderSize); /* bfOffBits */
            }
            const BYTE *bi = buf + fh;
            CHECK(get32(bi) == 40 && get32(bi + 4) == 37 && get32(bi + 8) == 0); /* height 0 */
            CHECK(bi[12] == 1 && bi[14] == depth && get32(bi + 16) == 0);     /* BI_RGB */
            CHECK(get32(bi + 20) == 0);                                        /* biSizeImage */
            CHECK(get32(bi + 24) == 11811 && get32(bi + 28) == 11811);         /* 300 dpi */
            CHECK(get32(bi + 32) == (uint32_t)palette);
            if (palette) CHECK(memcmp(bi + 40 + 4 * (palette - 1), "\xFF\xFF\xFF\0", 4) == 0);
            CHECK(buf[c.lHeaderSize] == 0xEE); /* nothing past the header */
        }
    }
}

static void unknown_and_compressed_formats(void) {
    BYTE buf[64];
    const GUID *unknown[2] = {&made_up, &guid_null};
    for (int i = 0; i < 2; i++) {
        MINIDRV_TRANSFER_CONTEXT c;
        init_context(&c, 9, 2, 24, unknown[i], TYMED_FILE);
        memset(buf, 0xEE, sizeof buf);
        c.pTransferBuffer = buf;
        c.lBufferSize = sizeof buf;
        HRESULT hr = wiasGetImageInformation(NULL, 0, &c);
        CHECK_HR(hr, S_FALSE);
        CHECK(SUCCEEDED(hr));
        CHECK_MESSAGE("guidFormatID");
        CHECK(c.cbWidthInBytes == 27 && c.lImageSize == 54); /* raw rows */
        CHECK(c.lHeaderSize == 0 && c.lItemSize == 54);
        CHECK(buf[0] == 0xEE); /* no header */
    }
    const GUID *compressed[4] = {&WiaImgFmt_JPEG, &WiaImgFmt_PNG, &WiaImgFmt_GIF, &WiaImgFmt_JPEG2K};
    for (int i = 0; i < 4; i++) {
        for (LONG comp = 0; comp <= WIA_COMPRESSION_JPEG; comp += WIA_COMPRESSION_JPEG) {
            MINIDRV_TRANSFER_CONTEXT c;
            init_context(&c, 9, 2, 24, compressed[i], TYMED_FILE);
            c.lCompression = comp;
            c.cbWidthInBytes = 99;
            c.lHeaderSize = 99;
            CHECK_HR(wiasGetImageInformation(NULL, 0, &c), S_OK);
            CHECK(c.lHeaderSize == 0 && c.cbWidthInBytes == 0 && c.lItemSize == 0);
        }
    }
}

static void buffer_too_small(void) {
    const HRESULT insufficient = HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER);
    CHECK(insufficient == (HRESULT)0x8007007Au);
    BYTE small[40];
    /* a BMP header (54 + 1024 bytes), a callback TIFF header, an empty buffer */
    for (int k = 0; k < 3; k++) {
        MINIDRV_TRANSFER_CONTEXT c;
        if (k == 1) {
            init_context(&c, 40, 9, 8, &WiaImgFmt_TIFF, TYMED_CALLBACK);
            c.bTransferDataCB = TRUE;
        } else {
            init_context(&c, 40, 9, 8, &WiaImgFmt_BMP, TYMED_FILE);
        }
        memset(small, 0xEE, sizeof small);
        c.pTransferBuffer = small;
        c.lBufferSize = k == 2 ? 0 : (LONG)sizeof small;
        CHECK_HR(wiasGetImageInformation(NULL, 0, &c), insufficient);
        CHECK_MESSAGE("lBufferSize");
        CHECK(c.lHeaderSize > (LONG)sizeof small); /* how much is needed */
        for (size_t i = 0; i < sizeof small; i++) CHECK(small[i] == 0xEE);
        /* with room for it, the same call succeeds */
        BYTE *room = malloc((size_t)c.lHeaderSize);
        CHECK(room != NULL);
        c.pTransferBuffer = room;
        c.lBufferSize = c.lHeaderSize;
        CHECK_HR(wiasGetImageInformation(NULL, 0, &c), S_OK);
        free(room);
    }
}

static void write_buf_edges(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/edges.bin", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    BYTE buf[16];
    for (int i = 0; i < 16; i++) buf[i] = (BYTE)('a' + i);
    MINIDRV_TRANSFER_CONTEXT c;
    init_context(&c, 4, 4, 8, &WiaImgFmt_BMP, TYMED_FILE);
    c.hFile = fd;
    c.pTransferBuffer = buf;
    c.lBufferSize = sizeof buf;

    /* any lFlags: the bytes are written */
    LONG flags[4] = {0, 1, -1, 0x7FFFFFFF};
    for (int i = 0; i < 4; i++) {
        c.lItemSize = 2;
        CHECK_HR(wiasWriteBufToFile(flags[i], &c), S_OK);
    }
    CHECK(file_size(fd) == 8);
    /* lItemSize 0: S_OK, nothing written, not even with no buffer or no file */
    c.lItemSize = 0;
    CHECK_HR(wiasWriteBufToFile(0, &c), S_OK);
    MINIDRV_TRANSFER_CONTEXT nothing = c;
    nothing.pTransferBuffer = NULL;
    nothing.hFile = -1;
    CHECK_HR(wiasWriteBufToFile(0, &nothing), S_OK);
    CHECK_HR(wiasWritePageBufToFile(&nothing), S_OK);
    CHECK(file_size(fd) == 8 && lseek(fd, 0, SEEK_CUR) == 8);
    /* negative, or more than lBufferSize: E_FAIL, nothing written */
    LONG bad[4] = {-1, (LONG)0x80000000u, 17, 0x7FFFFFFF};
    for (int i = 0; i < 4; i++) {
        c.lItemSize = bad[i];
        CHECK_HR(wiasWriteBufToFile(0, &c), E_FAIL);
        CHECK_MESSAGE("lItemSize");
        CHECK_HR(wiasWritePageBufToFile(&c), E_FAIL); /* BMP: the same append */
        CHECK_MESSAGE("lItemSize");
    }
    c.lItemSize = 4;
    c.lBufferSize = 0;
    CHECK_HR(wiasWriteBufToFile(0, &c), E_FAIL);
    c.lBufferSize = 3;
    CHECK_HR(wiasWriteBufToFile(0, &c), E_FAIL);
    CHECK(file_size(fd) == 8);
    /* every format but TIFF is appended through wiasWritePageBufToFile */
    const GUID *formats[4] = {&WiaImgFmt_MEMORYBMP, &guid_null, &made_up, &WiaImgFmt_JPEG};
    c.lBufferSize = sizeof buf;
    for (int i = 0; i < 4; i++) {
        c.guidFormatID = *formats[i];
        c.lItemSize = 2;
        CHECK_HR(wiasWritePageBufToFile(&c), S_OK);
        CHECK(c.lPage == 0 && c.lCurIfdOffset == 0 && c.lPrevIfdOffset == 0);
    }
    CHECK(file_size(fd) == 16);
    /* and through the stream */
    MemStream s;
    mem_stream_init(&s);
    c.guidFormatID = WiaImgFmt_BMP;
    c.lItemSize = 5;
    CHECK_HR(wiasWritePageBufToStream(&c, &s.iface), S_OK);
    CHECK_HR(wiasWritePageBufToStream(&c, &s.iface), S_OK);
    c.lItemSize = 0;
    CHECK_HR(wiasWritePageBufToStream(&c, &s.iface), S_OK);
    c.lItemSize = -3;
    CHECK_HR(wiasWritePageBufToStream(&c, &s.iface), E_FAIL);
    CHECK(s.len == 10 && memcmp(s.data, "abcdeabcde", 10) == 0);
    free(s.data);
    CHECK(close(fd) == 0);
    /* what the file holds: four 2-byte writes, then four more */
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    BYTE got[16];
    CHECK(read(fd, got, 16) == 16);
    CHECK(memcmp(got, "abababababababab", 16) == 0);
    CHECK(close(fd) == 0);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    snprintf(dir, sizeof dir, "%s", argv[1]);
    bmp_of_unknown_length();
    unknown_and_compressed_formats();
    buffer_too_small();
    write_buf_edges();
    puts("ok");
    return 0;
}

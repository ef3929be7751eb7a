/*
 * JPEG pages handed over as the device compressed them (lCompression =
 * WIA_COMPRESSION_JPEG, lItemSize = header + data). The JPEG data come from libjpeg,
 * an encoder independent of wias (4:4:4, so that every decoder agrees to the pixel).
 *   jpeg_page DIR file   WiaImgFmt_JPEG: DIR/page.jpg by file and DIR/stream.jpg by
 *                        IStream must be DIR/device.jpg, byte for byte
 *   jpeg_page DIR tiff   two JPEG pages in a multipage TIFF, DIR/jpeg.tif, and
 *                        DIR/jpeg.rgb: the pages as libjpeg decodes the device data
 */
#include <fcntl.h>
#include <unistd.h>

#include "check.h" /* before jpeglib.h, which needs stdio.h and stddef.h first */

#include <jpeglib.h>

#define W 96
#define H 64

static unsigned char *encode(unsigned seed, unsigned long *len) {
    BYTE rgb[W * H * 3];
    BYTE noise[W * H];
    fill_pattern(noise, sizeof noise, seed);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            BYTE *p = rgb + (y * W + x) * 3;
            p[0] = (BYTE)(x * 2 + (noise[y * W + x] & 15));
            p[1] = (BYTE)(y * 3 + seed);
            p[2] = (BYTE)((x ^ y) * 4);
        }
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    jpeg_mem_dest(&c, &out, len);
    c.image_width = W;
    c.image_height = H;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    for (int i = 0; i < 3; i++) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < H) {
        JSAMPROW row = rgb + c.next_scanline * W * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return out;
}

static void decode(const unsigned char *data, unsigned long len, FILE *out) {
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, len);
    CHECK(jpeg_read_header(&d, TRUE) == JPEG_HEADER_OK);
    d.out_color_space = JCS_RGB;
    jpeg_start_decompress(&d);
    BYTE row[W * 3];
    while (d.output_scanline < d.output_height) {
        JSAMPROW r = row;
        jpeg_read_scanlines(&d, &r, 1);
        CHECK(fwrite(row, 1, sizeof row, out) == sizeof row);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
}

static void context(MINIDRV_TRANSFER_CONTEXT *ctx, const GUID *format, LONG tymed) {
    init_context(ctx, W, H, 24, format, tymed);
    ctx->lCompression = WIA_COMPRESSION_JPEG;
    CHECK_HR(wiasGetImageInformation(NULL, 0, ctx), S_OK);
    CHECK(ctx->lHeaderSize == 0); /* JPEG data carry their own header */
    CHECK(ctx->lItemSize == 0);   /* compressed: known only after the scan */
}

static int create(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    return fd;
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    const char *dir = argv[1];
    char path[4096];
    MINIDRV_TRANSFER_CONTEXT ctx;
    if (strcmp(argv[2], "file") == 0) {
        unsigned long len = 0;
        unsigned char *jpeg = encode(1, &len);
        snprintf(path, sizeof path, "%s/device.jpg", dir);
        write_file(path, jpeg, len);
        context(&ctx, &WiaImgFmt_JPEG, TYMED_FILE);
        ctx.pTransferBuffer = jpeg;
        ctx.lBufferSize = (LONG)len;
        ctx.lItemSize = (LONG)len;
        int fd = create(dir, "page.jpg");
        ctx.hFile = fd;
        CHECK_HR(wiasWritePageBufToFile(&ctx), S_OK);
        CHECK(close(fd) == 0);
        MemStream s;
        mem_stream_init(&s);
        CHECK_HR(wiasWritePageBufToStream(&ctx, &s.iface), S_OK);
        snprintf(path, sizeof path, "%s/stream.jpg", dir);
        write_file(path, s.data, s.len);
        free(s.data);
        free(jpeg);
    } else {
        CHECK(strcmp(argv[2], "tiff") == 0);
        context(&ctx, &WiaImgFmt_TIFF, TYMED_MULTIPAGE_FILE);
        int fd = create(dir, "jpeg.tif");
        ctx.hFile = fd;
        snprintf(path, sizeof path, "%s/jpeg.rgb", dir);
        FILE *expect = fopen(path, "wb");
        CHECK(expect != NULL);
        for (LONG page = 0; page < 2; page++) {
            unsigned long len = 0;
            unsigned char *jpeg = encode(10u + (unsigned)page, &len);
            decode(jpeg, len, expect);
            ctx.pTransferBuffer = jpeg;
            ctx.lBufferSize = (LONG)len;
            ctx.lItemSize = ctx.lHeaderSize + (LONG)len;
            ctx.lPage = page;
            CHECK_HR(wiasWritePageBufToFile(&ctx), S_OK);
            free(jpeg);
        }
        CHECK(fclose(expect) == 0);
        CHECK(close(fd) == 0);
    }
    puts("ok");
    return 0;
}

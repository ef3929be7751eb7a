/*
 * tiffpixels: decode every page of a TIFF with libtiff and print its pixels, so that
 * tests can compare what we wrote with what an independent reader sees.
 *
 * Output, per page: a text line "PAGE width height bps spp photometric compression
 * rowbytes\n" followed by height * rowbytes bytes of decoded rows (TIFFReadScanline;
 * JPEG pages are converted to RGB by libjpeg). Exit 1 with a message on any error;
 * libtiff warnings also go to stderr, so callers can insist on a clean decode.
 *
 * Build: cc -O2 -o tiffpixels tiffpixels.c $(pkg-config --cflags --libs libtiff-4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <tiffio.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: tiffpixels FILE.tif\n"); return 2; }
    TIFF *t = TIFFOpen(argv[1], "r");
    if (!t) return 1;
    do {
        uint32_t w = 0, h = 0;
        uint16_t bps = 1, spp = 1, photometric = 0, compression = 1;
        TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
        TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
        TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
        TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
        TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
        TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &compression);
        if (compression == COMPRESSION_JPEG && photometric == PHOTOMETRIC_YCBCR)
            TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        tmsize_t rb = TIFFScanlineSize(t);
        printf("PAGE %u %u %u %u %u %u %lld\n", w, h, bps, spp, photometric, compression, (long long)rb);
        unsigned char *row = malloc(rb > 0 ? rb : 1);
        for (uint32_t y = 0; y < h; y++) {
            if (TIFFReadScanline(t, row, y, 0) < 0) { fprintf(stderr, "row %u unreadable\n", y); return 1; }
            fwrite(row, 1, rb, stdout);
        }
        free(row);
    } while (TIFFReadDirectory(t));
    TIFFClose(t);
    return 0;
}

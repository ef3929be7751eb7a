/*
 * tiffappend_timed: libtiff's `tiffwrite -a` reopen mode, timed page by page.
 *
 * It compiles the peer program itself (its read_pnm and write_page, unchanged) and runs
 * the loop `tiffwrite -a` runs: for every page TIFFOpen(OUT, "a") (the first "w"),
 * write the page, TIFFClose, printing each iteration's time in microseconds.
 *
 *   tiffappend_timed OUT.tif PAGE.pnm N
 *
 * Build (bench/tiffwrite.sh does it):
 *   cc -O2 -DTIFFWRITE_C='"/path/to/tiffwrite.c"' -o tiffappend_timed tiffappend_timed.c \
 *      $(pkg-config --cflags --libs libtiff-4)
 */
#define main tiffwrite_main
#include TIFFWRITE_C
#undef main
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: tiffappend_timed OUT.tif PAGE.pnm N\n");
        return 2;
    }
    Page p;
    if (read_pnm(argv[2], &p)) return 1;
    int n = atoi(argv[3]);
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        TIFF *t = TIFFOpen(argv[1], i == 0 ? "w" : "a");
        if (!t) return 1;
        if (write_page(t, &p, COMPRESSION_NONE, 300, 1, 0, i)) return 1;
        TIFFClose(t);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000);
    }
    return 0;
}

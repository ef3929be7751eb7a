/* A fake libsane for the tests of `wias scan --device sane:fake`: one device whose
 * faults the SANE `test` backend cannot make on demand. Loaded through WIAS_LIBSANE;
 * compiled once per test run by `wias_testsupport::sane::fake_libsane`.
 *
 * Set by environment variables, read at sane_open:
 *   FAKE_SANE_PAGES      sheets in the feeder (default 1; then SANE_STATUS_NO_DOCS)
 *   FAKE_SANE_WIDTH      pixels per line, 8-bit gray (default 16)
 *   FAKE_SANE_LINES      lines each page sends (default 8)
 *   FAKE_SANE_ENDLESS_PAGE  the page (from 1) that sends lines without end
 *   FAKE_SANE_DECLARED   lines sane_get_parameters declares (default FAKE_SANE_LINES)
 *   FAKE_SANE_FAIL_PAGE  the page (from 1) whose first sane_read fails (default none)
 *   FAKE_SANE_FAIL_CODE  the status it fails with (default 6, SANE_STATUS_JAMMED)
 *   FAKE_SANE_CANCEL_HANGS  1: sane_cancel after that failure never returns, as a
 *                        backend whose reader thread deadlocked
 *   FAKE_SANE_EOF_HANGS  the page (from 1) whose sane_read after its last line never
 *                        returns (instead of saying EOF), as the test backend's
 *                        sane_read does now and then
 * Pixel (x, y) of page p (from 1) is (p * 37 + y * 7 + x) & 255.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int SANE_Int;
typedef int SANE_Word;
typedef void *SANE_Handle;

typedef struct {
    const char *name, *vendor, *model, *type;
} SANE_Device;

typedef struct {
    const char *name, *title, *desc;
    int type, unit;
    SANE_Int size, cap;
    int constraint_type;
    const void *constraint;
} SANE_Option_Descriptor;

typedef struct {
    int format;
    SANE_Word last_frame;
    SANE_Int bytes_per_line, pixels_per_line, lines, depth;
} SANE_Parameters;

enum { GOOD = 0, UNSUPPORTED = 1, CANCELLED = 2, INVAL = 4, EOF_ = 5, NO_DOCS = 7 };

static const SANE_Device device = {"fake", "wias", "fake scanner", "virtual device"};
static const SANE_Device *devices[] = {&device, NULL};

static const char *sources[] = {"Flatbed", "Automatic Document Feeder", NULL};
static char source[32] = "Automatic Document Feeder";
static SANE_Word option_count = 2;
static const SANE_Option_Descriptor options[] = {
    /* SANE_TYPE_INT, SANE_CAP_SOFT_DETECT */
    {"", "Number of options", "", 1, 0, sizeof(SANE_Word), 4, 0, NULL},
    /* SANE_TYPE_STRING, SOFT_SELECT | SOFT_DETECT, SANE_CONSTRAINT_STRING_LIST */
    {"source", "Source", "", 3, 0, sizeof source, 5, 3, sources},
};

static long pages = 1, width = 16, lines = 8, declared = 8, fail_page = 0, fail_code = 6;
static long endless_page = 0, eof_hangs = 0;
static int cancel_hangs = 0;
/* The page being scanned (from 1), the line and byte within it, and whether it failed. */
static long page = 0, line = 0, at = 0;
static int failed = 0, scanning = 0;

static long env(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

int sane_init(SANE_Int *version, void *auth) {
    (void)auth;
    if (version)
        *version = 1 << 24;
    return GOOD;
}

void sane_exit(void) {}

int sane_get_devices(const SANE_Device ***list, int local_only) {
    (void)local_only;
    *list = devices;
    return GOOD;
}

int sane_open(const char *name, SANE_Handle *h) {
    if (strcmp(name, "fake") != 0 && *name)
        return INVAL;
    pages = env("FAKE_SANE_PAGES", 1);
    width = env("FAKE_SANE_WIDTH", 16);
    lines = env("FAKE_SANE_LINES", 8);
    declared = env("FAKE_SANE_DECLARED", lines);
    fail_page = env("FAKE_SANE_FAIL_PAGE", 0);
    endless_page = env("FAKE_SANE_ENDLESS_PAGE", 0);
    eof_hangs = env("FAKE_SANE_EOF_HANGS", 0);
    fail_code = env("FAKE_SANE_FAIL_CODE", 6);
    cancel_hangs = env("FAKE_SANE_CANCEL_HANGS", 0) == 1;
    *h = (SANE_Handle)&device;
    return GOOD;
}

void sane_close(SANE_Handle h) { (void)h; }

const SANE_Option_Descriptor *sane_get_option_descriptor(SANE_Handle h, SANE_Int n) {
    (void)h;
    return n >= 0 && n < 2 ? &options[n] : NULL;
}

int sane_control_option(SANE_Handle h, SANE_Int n, int action, void *value, SANE_Int *info) {
    (void)h;
    if (info)
        *info = 0;
    if (n == 0 && action == 0) {
        memcpy(value, &option_count, sizeof option_count);
        return GOOD;
    }
    if (n != 1)
        return INVAL;
    if (action == 0) {
        memcpy(value, source, sizeof source);
        return GOOD;
    }
    if (action == 1) {
        for (int i = 0; sources[i]; i++)
            if (strcmp(value, sources[i]) == 0) {
                strcpy(source, sources[i]);
                return GOOD;
            }
    }
    return INVAL;
}

int sane_get_parameters(SANE_Handle h, SANE_Parameters *p) {
    (void)h;
    p->format = 0; /* SANE_FRAME_GRAY */
    p->last_frame = 1;
    p->bytes_per_line = (SANE_Int)width;
    p->pixels_per_line = (SANE_Int)width;
    p->lines = (SANE_Int)declared;
    p->depth = 8;
    return GOOD;
}

int sane_start(SANE_Handle h) {
    (void)h;
    if (page >= pages)
        return NO_DOCS;
    page++;
    line = 0;
    at = 0;
    failed = 0;
    scanning = 1;
    return GOOD;
}

int sane_read(SANE_Handle h, unsigned char *buf, SANE_Int max, SANE_Int *len) {
    (void)h;
    *len = 0;
    if (!scanning)
        return CANCELLED;
    if (page == fail_page) {
        failed = 1;
        return (int)fail_code;
    }
    int endless = page == endless_page;
    if (!endless && line >= lines) {
        if (page == eof_hangs)
            for (;;)
                pause();
        scanning = 0;
        return EOF_;
    }
    SANE_Int n = 0;
    while (n < max && (endless || line < lines)) {
        buf[n++] = (unsigned char)((page * 37 + line * 7 + at) & 255);
        if (++at == width) {
            at = 0;
            line++;
        }
    }
    *len = n;
    return GOOD;
}

void sane_cancel(SANE_Handle h) {
    (void)h;
    if (failed && cancel_hangs)
        for (;;)
            pause();
    scanning = 0;
}

const char *sane_strstatus(int status) {
    switch (status) {
    case 6:
        return "Document feeder jammed";
    case 8:
        return "Scanner cover is open";
    case 9:
        return "Error during device I/O";
    default:
        return "fake status";
    }
}

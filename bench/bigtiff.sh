#!/usr/bin/env bash
# One real run past 4 GiB: ~170 pages of 300-dpi A4 colour (26 MB each) written through
# the library, which promotes the file to BigTIFF in place when page data would cross
# the classic 4 GiB limit. Then libtiff checks it: tiffinfo -D reads every directory
# and strip without a warning, and crates/wias-testsupport/tiffpixels.c (libtiff) decodes every
# page, compared pixel for pixel with the formula the writer used. The file is deleted
# afterwards. Needs ~5 GiB free, libtiff-dev, pkg-config, cc, python3 with numpy.
#
#   bench/bigtiff.sh [GIB]        (default 4.2; BIGTIFF_DIR=... to choose the disk)
set -euo pipefail
cd "$(dirname "$0")/.."
gib=${1:-4.2}
dir=$(mktemp -d -p "${BIGTIFF_DIR:-${TMPDIR:-/tmp}}" wias-bigtiff.XXXXXX)
trap 'rm -rf "$dir"' EXIT
free_kb=$(df -Pk "$dir" | awk 'NR==2 {print $4}')
need_kb=$(python3 -c "print(int(($gib + 0.8) * 1024 * 1024))")
if [ "$free_kb" -lt "$need_kb" ]; then
    echo "bigtiff.sh: $dir has $((free_kb / 1024)) MiB free, needs $((need_kb / 1024))" >&2
    exit 1
fi
cargo build -q --release --example safety_bench
out="$dir/big.tif"
./target/release/examples/safety_bench bigtiff "$out" "$gib" | tee "$dir/log"
pages=$(awk '/^PAGES/ {print $2}' "$dir/log")
ls -l "$out"
magic=$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')
echo "header: $magic (49492b00 = little-endian BigTIFF)"
[ "$magic" = 49492b00 ]

t0=$(date +%s.%N)
tiffinfo -D "$out" > "$dir/tiffinfo.out" 2> "$dir/tiffinfo.err" || true
if [ -s "$dir/tiffinfo.err" ]; then
    echo "tiffinfo -D complained:"; head "$dir/tiffinfo.err"; exit 1
fi
dirs=$(grep -c "TIFF Directory at offset" "$dir/tiffinfo.out")
echo "tiffinfo -D: $dirs directories, no warnings ($(python3 -c "import time; print(f'{time.time() - $t0:.1f}')") s)"
[ "$dirs" = "$pages" ]
grep "TIFF Directory at offset" "$dir/tiffinfo.out" | tail -2

cc -O2 -o "$dir/tiffpixels" crates/wias-testsupport/tiffpixels.c $(pkg-config --cflags --libs libtiff-4)
"$dir/tiffpixels" "$out" | python3 -c '
import sys, numpy as np
f = sys.stdin.buffer
want_pages = int(sys.argv[1])
n = 0
while True:
    head = f.readline()
    if not head:
        break
    w, h, bps, spp, pm, comp, rb = map(int, head.split()[1:])
    data = np.frombuffer(f.read(h * rb), dtype=np.uint8).reshape(h, rb)
    x = np.arange(rb, dtype=np.int64)[None, :]
    y = np.arange(h, dtype=np.int64)[:, None]
    want = ((x + 3 * y + 7 * n) % 256).astype(np.uint8)
    if not np.array_equal(data, want):
        bad = np.argwhere(data != want)[0]
        sys.exit(f"page {n + 1}: pixel differs at row {bad[0]}, byte {bad[1]}")
    n += 1
assert n == want_pages, f"libtiff decoded {n} pages, {want_pages} were written"
print(f"libtiff decoded all {n} pages, every pixel as written")
' "$pages"
echo "bigtiff.sh: OK (file deleted)"

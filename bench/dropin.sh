#!/usr/bin/env bash
# The drop-in driver loop (BENCHMARKS.md, "Drop-in driver loop"): 1000 A4 gray pages
# through the C ABI as a driver for the Windows service writes them (page fields never
# touched), timing every wiasWritePageBufToFile; JPEG pages from the "device" (1000 fit
# the C ABI's 2 GiB), then uncompressed pages (240 of 8.7 MB), then the peer: the same
# uncompressed bytes written with write(2) to a plain file. Prints the mean of the
# first and last ten pages and their ratio, and checks each file with libtiff.
# Usage: bench/dropin.sh [PAGES] (default 1000)   Needs: cc, libjpeg-dev, libtiff-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-1000}
cargo build --release -q -p wias-capi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -Iinclude -o "$work/driver_loop" crates/wias-capi/bench/driver_loop.c \
    target/release/libwias.a -ljpeg -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
check() { # FILE PAGES: libtiff lists every page
    local n
    n=$(tiffinfo "$1" 2>/dev/null | grep -c '^TIFF Directory')
    [ "$n" = "$2" ] || { echo "libtiff sees $n pages in $1, not $2" >&2; exit 1; }
    echo "  libtiff: $n pages"
}
"$work/driver_loop" "$work/jpeg.tif" "$pages" jpeg "$work/jpeg.times"
check "$work/jpeg.tif" "$pages"
raw=$(( pages < 240 ? pages : 240 ))
"$work/driver_loop" "$work/raw.tif" "$raw" raw "$work/raw.times"
check "$work/raw.tif" "$raw"
rm -f "$work/raw.tif"
# The peer: the same bytes with write(2) into a plain file, to tell the disk's share.
"$work/driver_loop" "$work/plain.bin" "$raw" plain "$work/plain.times"
for kind in jpeg raw plain; do # per-hundred means, to see the whole curve
    awk -v k="$kind" '{ s[int(($1-1)/100)] += $2; c[int(($1-1)/100)]++ }
        END { printf "  %s per 100 pages (ms/page):", k; for (i = 0; i in c; i++) printf " %.2f", s[i]/c[i]; print "" }' \
        "$work/$kind.times"
done

#!/usr/bin/env bash
# Deflate level against libtiff (zlib level 6, tiffwrite in bench/peers) on the same
# pages, in one run: for each pixel type, libtiff once, then wias at each libdeflate
# level (the codec_bench example, which writes pages as `wias write` does, with -l).
# Prints wall and CPU time, both as ratios to libtiff's, and the file size ratio.
#
#   bench/deflate_levels.sh                       # 10 pages per type, levels 1..6
#   PAGES=5 LEVELS="1 2 6" TYPES=rgb24 bench/deflate_levels.sh
#
# Environment: PAGES (10), TYPES ("bilevel gray8 rgb24"), LEVELS ("1 2 3 4 5 6"),
# REPEAT (best of N runs by wall time, 3), WORK (target/bench), TIFFWRITE_SRC.
# Not a test: timings depend on the machine and on what else runs on it.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-10}
TYPES=${TYPES:-"bilevel gray8 rgb24"}
LEVELS=${LEVELS:-"1 2 3 4 5 6"}
REPEAT=${REPEAT:-3}
WORK=${WORK:-target/bench}
# The peer program is kept in the repository (bench/peers/); TIFFWRITE_SRC names another.
TIFFWRITE_SRC=${TIFFWRITE_SRC:-bench/peers/tiffwrite.c}
[ -f "$TIFFWRITE_SRC" ] || { echo "$TIFFWRITE_SRC not found: set TIFFWRITE_SRC" >&2; exit 1; }

mkdir -p "$WORK"
echo "building..." >&2
cargo build --release -q -p wias --example codec_bench
cc -O2 -o "$WORK/tiffwrite" "$TIFFWRITE_SRC" $(pkg-config --cflags --libs libtiff-4)
python3 bench/gen_pages.py "$WORK/pages" "$PAGES" "$(echo $TYPES | tr ' ' ,)" >/dev/null

best_time() {
    local best="" r
    for _ in $(seq "$REPEAT"); do
        r=$(python3 bench/timeit.py "$@")
        if [ -z "$best" ] || awk -v a="${r% *}" -v b="${best% *}" 'BEGIN { exit !(a < b) }'; then
            best=$r
        fi
    done
    echo "$best"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %-10s %8s %8s %6s %6s %12s %6s\n" type writer wall_s cpu_s wall cpu bytes size
for t in $TYPES; do
    pages=$(ls "$WORK"/pages/"$t"-*.pnm | head -n "$PAGES")
    pred=2 wpred=1
    [[ $t == bilevel ]] && pred=1 wpred=0
    lt=$WORK/levels-libtiff-$t.tif
    tl=$(best_time "$WORK/tiffwrite" -o "$lt" -c deflate -p "$pred" $pages)
    sl=$(stat -c %s "$lt")
    printf "%-8s %-10s %8s %8s %6s %6s %12d %6s\n" "$t" "libtiff z6" "${tl% *}" "${tl#* }" 1 1 "$sl" 1
    for l in $LEVELS; do
        wi=$WORK/levels-wias-$t-$l.tif
        tw=$(best_time target/release/examples/codec_bench -o "$wi" -c deflate -p "$wpred" -l "$l" $pages)
        sw=$(stat -c %s "$wi")
        awk -v t="$t" -v w="wias l$l" -v tl="${tl% *}" -v tw="${tw% *}" -v cl="${tl#* }" -v cw="${tw#* }" \
            -v sl="$sl" -v sw="$sw" 'BEGIN { printf "%-8s %-10s %8s %8s %6.2f %6.2f %12d %6.3f\n",
                t, w, tw, cw, tw / tl, cw / cl, sw, sw / sl }'
    done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Times `wias write` against libtiff (tiffwrite, the peer program in bench/peers) on the
# same PNM pages, in one run: 20 A4 300 dpi pages (2481 x 3508) per pixel type, made by
# bench/gen_pages.py. Prints, per pixel type and codec, both wall times, the time ratio
# wias/libtiff (wall clock, and CPU = user + system), both file sizes and the size ratio;
# for JPEG also the PSNR of page 1 (tifffile + imagecodecs decode it).
#
#   bench/compare.sh                 # everything, 20 pages per type
#   PAGES=5 TYPES=gray8 CODECS="lzw deflate" bench/compare.sh
#
# Environment: PAGES (20), TYPES ("bilevel gray8 rgb24"), CODECS (all that apply),
# REPEAT (best of N runs, 1), WORK (target/bench), TIFFWRITE_SRC (tiffwrite.c),
# WIAS (the command, "target/release/wias write"; takes -o OUT --compression C PAGES).
# Not a test: timings depend on the machine and on what else runs on it.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-20}
TYPES=${TYPES:-"bilevel gray8 rgb24"}
REPEAT=${REPEAT:-1}
WORK=${WORK:-target/bench}
WIAS=${WIAS:-"target/release/wias write"}
# The peer program is kept in the repository (bench/peers/); TIFFWRITE_SRC names another.
TIFFWRITE_SRC=${TIFFWRITE_SRC:-bench/peers/tiffwrite.c}
[ -f "$TIFFWRITE_SRC" ] || { echo "$TIFFWRITE_SRC not found: set TIFFWRITE_SRC" >&2; exit 1; }

mkdir -p "$WORK"
echo "building..." >&2
cargo build --release -q
cc -O2 -o "$WORK/tiffwrite" "$TIFFWRITE_SRC" $(pkg-config --cflags --libs libtiff-4)
python3 bench/gen_pages.py "$WORK/pages" "$PAGES" "$(echo $TYPES | tr ' ' ,)" >/dev/null

# "WALL CPU" seconds of the run of "$@" with the least wall time out of REPEAT.
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

codecs_for() {
    case $1 in
        bilevel) echo "${CODECS:-packbits lzw deflate g3 g4}" ;;
        *) echo "${CODECS:-packbits lzw deflate jpeg}" ;;
    esac
}

printf "%-8s %-9s %9s %9s %6s %9s %9s %6s %12s %12s %6s %s\n" type codec \
    "libtiff_s" "wias_s" ratio "lt_cpu_s" "wi_cpu_s" cpu "libtiff_B" "wias_B" size "psnr libtiff/wias"
for t in $TYPES; do
    pages=$(ls "$WORK"/pages/"$t"-*.pnm | head -n "$PAGES")
    for c in $(codecs_for "$t"); do
        case $t in
            bilevel) [[ $c == jpeg ]] && continue ;;
            *) [[ $c == g3 || $c == g4 ]] && continue ;;
        esac
        # libtiff with the predictor where wias uses it (LZW, Deflate on 8-bit samples).
        pred=1
        [[ $t != bilevel && ( $c == lzw || $c == deflate ) ]] && pred=2
        lt=$WORK/libtiff-$t-$c.tif
        wi=$WORK/wias-$t-$c.tif
        tl=$(best_time "$WORK/tiffwrite" -o "$lt" -c "$c" -p "$pred" $pages)
        tw=$(best_time $WIAS -o "$wi" --compression "$c" $pages)
        sl=$(stat -c %s "$lt")
        sw=$(stat -c %s "$wi")
        psnr=""
        if [[ $c == jpeg ]]; then
            first=$(echo "$pages" | head -n 1)
            psnr="$(python3 bench/psnr.py "$lt" 0 "$first" 2>/dev/null || echo n/a)/$(python3 bench/psnr.py "$wi" 0 "$first" 2>/dev/null || echo n/a)"
        fi
        awk -v t="$t" -v c="$c" -v tl="${tl% *}" -v tw="${tw% *}" -v cl="${tl#* }" -v cw="${tw#* }" \
            -v sl="$sl" -v sw="$sw" -v p="$psnr" 'BEGIN { printf "%-8s %-9s %9s %9s %6.2f %9s %9s %6.2f %12d %12d %6.3f %s\n",
                t, c, tl, tw, tw / tl, cl, cw, cw / cl, sl, sw, sw / sl, p }'
    done
done

#!/usr/bin/env bash
# What `--compression auto` writes for bilevel pages, beside none, g4 and deflate, and
# what it costs: per page, the file size of one page and the CPU time of writing it
# REPS times in one run (user + system, best of REPEAT), and libtiff's tiffcp -c g4 /
# -c zip on the same page as the peer. Pages: the virtual scanner's halftone page (150
# dpi, the default job's page 4), its 600 dpi halftone, its text page at 300 dpi, and
# README's `pbmmake -gray 1700 2200` (a 50% dither).
#
#   bench/auto.sh                    # REPS=10 REPEAT=3
# Not a test: timings depend on the machine and on what else runs on it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-10}
REPEAT=${REPEAT:-3}
WORK=${WORK:-target/bench/auto}
WIAS=${WIAS:-target/release/wias}
mkdir -p "$WORK"
[ -x "$WIAS" ] || cargo build --release -q -p wias-cli
# -q (no summary line) where the binary has it: the script also measures older builds.
Q=$("$WIAS" -q --version >/dev/null 2>&1 && echo -q || true)

page() { # NAME DPI PAGE-INDEX (of a --mode bw scan: 1 text, 2 halftone)
    "$WIAS" $Q scan --mode bw --dpi "$2" --pages 2 --compression none -o "$WORK/scan.tif"
    (cd "$WORK" && rm -f x*.tif && tiffsplit scan.tif x >/dev/null)
    local f; f=$(ls "$WORK"/x*.tif | sed -n "${3}p")
    tifftopnm "$f" 2>/dev/null >"$WORK/$1.pbm"
}
page halftone150 150 2
page halftone600 600 2
page text300 300 1
pbmmake -gray 1700 2200 >"$WORK/pbmgray.pbm"

cpu() { # best user+sys seconds of REPEAT runs of CMD...
    local best=""
    for _ in $(seq "$REPEAT"); do
        local t; t=$(python3 bench/timeit.py "$@" | cut -d' ' -f2)
        best=$(python3 -c "b='$best'; print(min(float(b), $t) if b else $t)")
    done
    echo "$best"
}

printf '%-12s %-8s %12s %10s %12s\n' page codec bytes "ms/page" "tiffcp bytes"
for p in halftone150 pbmgray halftone600 text300; do
    in="$WORK/$p.pbm"
    many=(); for _ in $(seq "$REPS"); do many+=("$in"); done
    "$WIAS" $Q write --compression none -o "$WORK/$p-none.tif" "$in"
    for c in none g4 deflate auto; do
        "$WIAS" $Q write --compression $c -o "$WORK/$p-$c.tif" "$in"
        size=$(stat -c %s "$WORK/$p-$c.tif")
        t=$(cpu "$WIAS" $Q write --compression $c -o "$WORK/many.tif" "${many[@]}")
        peer="-"
        case $c in
            g4) tiffcp -c g4 "$WORK/$p-none.tif" "$WORK/peer.tif"; peer=$(stat -c %s "$WORK/peer.tif") ;;
            deflate) tiffcp -c zip "$WORK/$p-none.tif" "$WORK/peer.tif"; peer=$(stat -c %s "$WORK/peer.tif") ;;
        esac
        printf '%-12s %-8s %12s %10.1f %12s\n' "$p" "$c" "$size" \
            "$(python3 -c "print($t * 1000 / $REPS)")" "$peer"
    done
done

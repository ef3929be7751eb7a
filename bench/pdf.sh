#!/usr/bin/env bash
# PDF output against img2pdf (PyPI) and libtiff's tiff2pdf, in one run, on the same A4
# 300 dpi pages (bench/gen_pages.py): bilevel text, gray photo-like pages, colour
# pages as JPEG. Each tool gets the input it takes best, made once and not timed:
#
#   bilevel  wias: PBM (wias encodes G4)   img2pdf: G4 TIFF per page (copied)   tiff2pdf: multipage G4 TIFF
#   gray     wias: PGM (Flate+predictor)   img2pdf: PNG per page (IDAT copied)  tiff2pdf -z: multipage TIFF
#   gray-pgm the same, img2pdf given the PGM files too (it decodes and compresses them)
#   jpeg     wias: JPEG files (copied)     img2pdf: the same JPEG files         tiff2pdf: multipage JPEG TIFF (libtiff q90)
#
# Prints wall and CPU seconds, the time ratios wias/img2pdf and wias/tiff2pdf, file
# sizes and size ratios. Then the append cost: `wias write --append` of one page to a
# 1-page and to a 1000-page PDF (best of REPEAT), which should cost the same.
#
#   bench/pdf.sh            PAGES=10 REPEAT=3 APPEND_REPEAT=10 by default
# Not a test: timings depend on the machine and on what else runs on it.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-10}
REPEAT=${REPEAT:-3}
APPEND_REPEAT=${APPEND_REPEAT:-10}
WORK=${WORK:-target/bench-pdf}
WIAS=target/release/wias

mkdir -p "$WORK/in"
echo "building and making inputs..." >&2
cargo build --release -q -p wias-cli
python3 bench/gen_pages.py "$WORK/pages" "$PAGES" bilevel,gray8,rgb24 >/dev/null
for t in bilevel gray8 rgb24; do ls "$WORK"/pages/$t-*.pnm | head -n "$PAGES" > "$WORK/in/$t.list"; done
mk() { [ -f "$1" ] || eval "$2"; }
n=0
while read -r p; do
    b=$(printf "%02d" $n)
    mk "$WORK/in/bw-$b.tif" "pamtotiff -g4 '$p' > '$WORK/in/bw-$b.tif'"
    n=$((n + 1))
done < "$WORK/in/bilevel.list"
n=0
while read -r p; do
    b=$(printf "%02d" $n)
    mk "$WORK/in/gray-$b.png" "pnmtopng '$p' > '$WORK/in/gray-$b.png' 2>/dev/null"
    mk "$WORK/in/gray-$b.tif" "pamtotiff '$p' > '$WORK/in/gray-$b.tif'"
    n=$((n + 1))
done < "$WORK/in/gray8.list"
n=0
while read -r p; do
    b=$(printf "%02d" $n)
    mk "$WORK/in/rgb-$b.jpg" "python3 -c 'import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2], quality=90, dpi=(300, 300))' '$p' '$WORK/in/rgb-$b.jpg'"
    mk "$WORK/in/rgb-$b.tif" "pamtotiff '$p' > '$WORK/in/rgb-raw-$b.tif' 2>/dev/null && tiffcp -c jpeg:90 -r 16 '$WORK/in/rgb-raw-$b.tif' '$WORK/in/rgb-$b.tif'"
    n=$((n + 1))
done < "$WORK/in/rgb24.list"
mk "$WORK/in/bw-all.tif" "tiffcp '$WORK'/in/bw-[0-9]*.tif '$WORK/in/bw-all.tif'"
mk "$WORK/in/gray-all.tif" "tiffcp '$WORK'/in/gray-[0-9]*.tif '$WORK/in/gray-all.tif'"
mk "$WORK/in/rgb-all.tif" "tiffcp '$WORK'/in/rgb-[0-9]*.tif '$WORK/in/rgb-all.tif'"

# "WALL CPU" seconds of the best (least wall time) of REPEAT runs of "$@".
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
size() { stat -c %s "$1"; }

echo "PDF: $PAGES A4 300 dpi pages per kind; best of $REPEAT; $(nproc) cores"
printf "%-8s %8s %8s %8s %6s %6s | %8s %8s %8s | %10s %10s %10s %6s %6s\n" kind \
    wias_s img2pdf_s t2p_s w/i w/t wias_cpu i2p_cpu t2p_cpu wias_B img2pdf_B t2p_B w/i w/t
for kind in bilevel gray gray-pgm jpeg; do
    case $kind in
        bilevel) wias_in=$(tr '\n' ' ' < "$WORK/in/bilevel.list"); i2p_in=$(ls "$WORK"/in/bw-[0-9]*.tif); t2p=(tiff2pdf -o "$WORK/t2p-$kind.pdf" "$WORK/in/bw-all.tif") ;;
        gray) wias_in=$(tr '\n' ' ' < "$WORK/in/gray8.list"); i2p_in=$(ls "$WORK"/in/gray-*.png); t2p=(tiff2pdf -z -o "$WORK/t2p-$kind.pdf" "$WORK/in/gray-all.tif") ;;
        gray-pgm) wias_in=$(tr '\n' ' ' < "$WORK/in/gray8.list"); i2p_in=$wias_in; t2p=(tiff2pdf -z -o "$WORK/t2p-$kind.pdf" "$WORK/in/gray-all.tif") ;;
        jpeg) wias_in=$(ls "$WORK"/in/rgb-*.jpg); i2p_in=$wias_in; t2p=(tiff2pdf -o "$WORK/t2p-$kind.pdf" "$WORK/in/rgb-all.tif") ;;
    esac
    # shellcheck disable=SC2086
    w=$(best_time $WIAS write -o "$WORK/wias-$kind.pdf" $wias_in)
    # shellcheck disable=SC2086
    i=$(best_time img2pdf -o "$WORK/img2pdf-$kind.pdf" $i2p_in)
    t=$(best_time "${t2p[@]}")
    ws=$(size "$WORK/wias-$kind.pdf"); is=$(size "$WORK/img2pdf-$kind.pdf"); ts=$(size "$WORK/t2p-$kind.pdf")
    printf "%-8s %8s %8s %8s %6s %6s | %8s %8s %8s | %10s %10s %10s %6s %6s\n" $kind \
        "${w% *}" "${i% *}" "${t% *}" "$(ratio "${w% *}" "${i% *}")" "$(ratio "${w% *}" "${t% *}")" \
        "${w#* }" "${i#* }" "${t#* }" "$ws" "$is" "$ts" "$(ratio "$ws" "$is")" "$(ratio "$ws" "$ts")"
done

# Append cost at page 1000: the same page appended to a 1-page and to a 1000-page PDF.
echo
echo "append: one page added with wias write --append (best of $APPEND_REPEAT)"
printf "%-28s %10s %10s %8s\n" page "to_1_page_s" "to_1000_s" ratio
pgmramp -diagonal 400 400 > "$WORK/in/small.pgm"
for kind in bilevel small; do
    case $kind in
        bilevel) page=$(head -n 1 "$WORK/in/bilevel.list"); name="A4 bilevel (G4)" ;;
        small) page="$WORK/in/small.pgm"; name="400x400 gray (Flate)" ;;
    esac
    one="$WORK/append-$kind-1.pdf"; big="$WORK/append-$kind-1000.pdf"
    base1="$WORK/base-$kind-1.pdf"; base1000="$WORK/base-$kind-1000.pdf"
    # shellcheck disable=SC2046
    [ -f "$base1000" ] || $WIAS write -o "$base1000" $(yes "$page" | head -n 1000 | tr '\n' ' ')
    [ -f "$base1" ] || $WIAS write -o "$base1" "$page"
    # The copy is synced first, so its write-back does not land in the timed run.
    a=$(for _ in $(seq "$APPEND_REPEAT"); do cp "$base1" "$one"; sync; python3 bench/timeit.py $WIAS write --append -o "$one" "$page"; done | sort -n | head -n 1)
    b=$(for _ in $(seq "$APPEND_REPEAT"); do cp "$base1000" "$big"; sync; python3 bench/timeit.py $WIAS write --append -o "$big" "$page"; done | sort -n | head -n 1)
    printf "%-28s %10s %10s %8s\n" "$name" "${a% *}" "${b% *}" "$(ratio "${b% *}" "${a% *}")"
done

#!/usr/bin/env bash
# An ADF job from a real SANE driver, SANE's `test` backend: 10 A4 colour sheets at
# 300 dpi (2480 x 3508 RGB, 26.1 MB each), until the feeder is empty.
#   wias:      one multipage TIFF (`wias scan --device sane:test:0 --source ADF`), with
#              the default compression (Deflate + predictor) and uncompressed;
#   scanimage: `scanimage --batch --format=tiff`, one uncompressed TIFF per sheet.
# Each is run RUNS times in turn in the same session; the medians of wall time and
# peak memory (/usr/bin/time -v, "Maximum resident set size") and their ratios are
# printed. Every page wias wrote is then compared with scanimage's (tifffile).
# Needs sane-utils, libsane1, GNU time (apt-get install time), python3 with tifffile.
#
#   bench/sane.sh [RUNS]        (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build -q --release -p wias-cli
wias=$PWD/target/release/wias
dir=$(mktemp -d "${TMPDIR:-/tmp}/wias-sane-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# SANE's test backend: its defaults, with room for A4 (bench/sane-test/).
cp -r "$(dirname "$0")/sane-test" "$dir/cfg"
export SANE_CONFIG_DIR=$dir/cfg
picture=(--test-picture "Color pattern")

# wall seconds and peak KiB of one command, from GNU time. scanimage sometimes hangs
# in a futex after its last page (seen with 1.2.1 and the test backend): a run that
# takes more than 5 minutes is killed and repeated.
measure() {
    local log=$dir/time.log try
    for try in 1 2 3; do
        if timeout 300 /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$dir/stderr"; then
            break
        fi
        echo "sane.sh: $1 failed or hung (try $try):" >&2
        tail -3 "$dir/stderr" >&2
        [ "$try" = 3 ] && exit 1
    done
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    echo "$wall $rss"
}

declare -A wall rss
for ((r = 1; r <= runs; r++)); do
    rm -rf "$dir/out" && mkdir "$dir/out" && cd "$dir/out"
    read -r w m < <(measure "$wias" scan --device sane:test:0 --source ADF --mode color \
        --dpi 300 -o deflate.tif -- "${picture[@]}")
    wall[wias]+="$w "; rss[wias]+="$m "
    read -r w m < <(measure "$wias" scan --device sane:test:0 --source ADF --mode color \
        --dpi 300 --compression none -o none.tif -- "${picture[@]}")
    wall[none]+="$w "; rss[none]+="$m "
    read -r w m < <(measure scanimage -d test:0 --source "Automatic Document Feeder" \
        --mode Color --resolution 300 "${picture[@]}" --batch=page-%02d.tif --format=tiff)
    wall[scanimage]+="$w "; rss[scanimage]+="$m "
    # wias ends with fsync of its document (it is on disk when wias exits);
    # scanimage does not: the time to fsync its ten files, for a like-for-like total.
    read -r w m < <(measure sync page-*.tif)
    wall[sync]+="$w "
    cd - >/dev/null
done

python3 - "$dir/out" "${wall[wias]}" "${rss[wias]}" "${wall[none]}" "${rss[none]}" \
    "${wall[scanimage]}" "${rss[scanimage]}" "${wall[sync]}" <<'EOF'
import glob, os, statistics as st, sys
import tifffile
out = sys.argv[1]
med = lambda s: st.median(float(x) for x in s.split())
rows = [("wias, one TIFF (Deflate)", "deflate.tif", 2),
        ("wias, one TIFF (none)", "none.tif", 4),
        ("scanimage --batch, 10 TIFFs", "page-*.tif", 6)]
base_t, base_m = med(sys.argv[6]), med(sys.argv[7])
print(f"{'':30} {'wall s':>8} {'peak MiB':>9} {'MB on disk':>11}  time/scanimage  memory/scanimage")
for name, pattern, i in rows:
    t, m = med(sys.argv[i]), med(sys.argv[i + 1])
    size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, pattern)))
    print(f"{name:30} {t:8.2f} {m / 1024:9.1f} {size / 1e6:11.1f}  {t / base_t:14.2f}  {m / base_m:16.2f}")
sync_t = med(sys.argv[8])
print(f"scanimage + fsync of its 10 files: {base_t + sync_t:.2f} s; "
      f"wias (Deflate) / that: {med(sys.argv[2]) / (base_t + sync_t):.2f}, "
      f"wias (none) / that: {med(sys.argv[4]) / (base_t + sync_t):.2f}")
ref = [tifffile.imread(p) for p in sorted(glob.glob(os.path.join(out, "page-*.tif")))]
for f in ("deflate.tif", "none.tif"):
    with tifffile.TiffFile(os.path.join(out, f)) as t:
        pages = [p.asarray() for p in t.pages]
    assert len(pages) == len(ref) == 10, (f, len(pages), len(ref))
    for n, (a, b) in enumerate(zip(pages, ref)):
        assert (a == b).all(), f"{f} page {n + 1} differs from scanimage's"
print(f"every page of deflate.tif and none.tif equals scanimage's ({len(ref)} pages, tifffile)")
EOF

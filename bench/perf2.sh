#!/usr/bin/env bash
# Performance round 2 (issue 14): every figure of BENCHMARKS.md "Performance round 2",
# peers in the same run. Needs netpbm, libtiff-dev, libtiff-tools, pkg-config, cc,
# python3 + numpy, util-linux (taskset).
#
#   bench/perf2.sh                  # full run (about 10 minutes on a quiet 2-core box)
#   APPEND_PAGES=200 MEM_PAGES=10 SCAN_PAGES=20 CODEC_PAGES=5 bench/perf2.sh   # shorter
#   SECTIONS=mem bench/perf2.sh     # some of append,mem,none,cores,scan,codecs
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p wias-cli --bin wias
peers="$(bench/tiffwrite.sh)"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work/pages"
python3 bench/gen_pages.py "$work/pages" 20 bilevel,gray8,rgb24 >/dev/null
echo "# perf2: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
export SECTIONS="${SECTIONS:-append,mem,none,cores,scan,codecs}"
python3 bench/perf2.py "$root/target/release/wias" "$peers/tiffwrite" "$work" "$work/pages"
export SECTIONS="${SECTIONS:-append,mem,none,cores,scan,codecs}"
[[ ",$SECTIONS," == *,codecs,* ]] || exit 0
echo "## (3) codecs: ${CODEC_PAGES:-20} A4 pages per kind, wias / libtiff (bench/compare.sh)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
PAGES="${CODEC_PAGES:-20}" WORK="$work/compare" bench/compare.sh

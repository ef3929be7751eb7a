#!/usr/bin/env bash
# Appending a page to a 10,000-page TIFF libtiff wrote: wias write --append vs tiffcp -a
# in the same run (issue 27 item 2; BENCHMARKS.md "Appending to another program's TIFF").
#
#   bench/append_foreign.sh              # 10,000 pages, 15 runs
#   bench/append_foreign.sh 1000 5       # N pages, runs
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p wias-cli --bin wias
work="${WORK:-$(mktemp -d)}"
python3 bench/append_foreign.py "${WIAS:-$root/target/release/wias}" "$work" "$@"

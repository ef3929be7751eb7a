#!/usr/bin/env bash
# Peak RSS of one document of 10 / 1,000 / 10,000 / 100,000 pages, wias write vs tiffcp
# (issue 27 item 1; BENCHMARKS.md "Flat memory for any page count").
#
#   bench/pages_rss.sh                 # 10 1000 10000 100000 pages
#   bench/pages_rss.sh 1000 10000      # some counts
#   CODEC=none bench/pages_rss.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p wias-cli --bin wias
work="${WORK:-$(mktemp -d)}"
python3 bench/pages_rss.py "$root/target/release/wias" "$work" "$@"

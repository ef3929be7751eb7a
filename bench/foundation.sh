#!/usr/bin/env bash
# Foundation benchmarks: append cost at page 1 vs page 1000 (wias fresh process, wias
# in process, libtiff tiffwrite -a) and uncompressed MB/s of wias write vs cat vs
# libtiff. Needs netpbm, libtiff-dev, libtiff-tools, pkg-config, cc, python3.
#
#   bench/foundation.sh            # full run (1000 pages), a minute or two
#   PAGES=200 bench/foundation.sh  # shorter
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p wias-cli --bin wias --example append_reopen
peers="$(bench/tiffwrite.sh)"
work="${WORK:-$(mktemp -d)}"
trap 'rm -rf "$work"' EXIT
python3 bench/foundation.py "$root/target/release/wias" "$root/target/release/examples/append_reopen" \
    "$peers" "$work"

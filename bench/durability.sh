#!/usr/bin/env bash
# Cost of Durability::Sync against the default Durability::Flush: milliseconds per page
# for three page sizes, median of three alternating rounds, on the disk holding DIR
# (default: a temporary directory under $TMPDIR or /tmp). See the Durability section of BENCHMARKS.md.
#
#   bench/durability.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d -p "${1:-${TMPDIR:-/tmp}}" wias-durability.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cargo build -q --release --example safety_bench
echo "disk: $(findmnt -n -T "$dir" -o SOURCE,FSTYPE)"
./target/release/examples/safety_bench durability "$dir"

#!/usr/bin/env bash
# Scanning throughput, round 3 (issue 14, goal 5): every figure of BENCHMARKS.md
# "Scanning throughput, round 3" (see bench/scan.py for what is measured).
# Needs sane-utils + libsane1 (SANE's test backend), util-linux (taskset), coreutils
# (timeout), python3 with tifffile.
#
#   bench/scan.sh                          # 100 pages per mode, writer, SANE ADF
#   REF=/path/to/older/wias bench/scan.sh  # the same scan rows for another build too
#   SCAN_PAGES=20 WRITE_PAGES=20 bench/scan.sh scan,write   # shorter, some sections
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p wias-cli --bin wias
work="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/wias-scan-bench.XXXXXX")}"
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
# SANE's test backend with room for A4 at 300 dpi (bench/sane-test/, as bench/sane.sh).
rm -rf "$work/cfg" && cp -r bench/sane-test "$work/cfg"
export SANE_CONFIG_DIR=$work/cfg
python3 bench/scan.py "$root/target/release/wias" "$work/out" "${1:-scan,write,sane}"

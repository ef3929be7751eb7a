#!/usr/bin/env bash
# JPEG output size at equal PSNR against scanimage and libtiff (BENCHMARKS.md, "JPEG
# chroma subsampling"). Needs sane-utils + libsane1 (SANE's test backend),
# libtiff-tools (ppm2tiff), python3 with Pillow and numpy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p wias-cli --bin wias
work="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/wias-jpeg-bench.XXXXXX")}"
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
rm -rf "$work/cfg" && cp -r bench/sane-test "$work/cfg"
export SANE_CONFIG_DIR=$work/cfg
python3 bench/jpeg_chroma.py "$root/target/release/wias" "$work"

#!/usr/bin/env bash
# Builds the libtiff peer program (bench/peers/tiffwrite.c, or $TIFFWRITE_SRC)
# and its per-page timed append loop into bench/.build/, and prints the directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${TIFFWRITE_SRC:-$here/peers/tiffwrite.c}"
out="$here/.build"
mkdir -p "$out"
flags="$(pkg-config --cflags --libs libtiff-4)"
if [ ! -x "$out/tiffwrite" ] || [ "$src" -nt "$out/tiffwrite" ]; then
    # shellcheck disable=SC2086
    cc -O2 -o "$out/tiffwrite" "$src" $flags
fi
if [ ! -x "$out/tiffappend_timed" ] || [ "$here/tiffappend_timed.c" -nt "$out/tiffappend_timed" ] \
    || [ "$src" -nt "$out/tiffappend_timed" ]; then
    # shellcheck disable=SC2086
    cc -O2 -DTIFFWRITE_C="\"$src\"" -o "$out/tiffappend_timed" "$here/tiffappend_timed.c" $flags
fi
echo "$out"

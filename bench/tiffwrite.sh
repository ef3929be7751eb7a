#!/usr/bin/env bash
# Builds the libtiff peer program (/work/shared/peers/tiffwrite.c, or $TIFFWRITE_SRC)
# into bench/.build/tiffwrite and prints its path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${TIFFWRITE_SRC:-/work/shared/peers/tiffwrite.c}"
out="$here/.build/tiffwrite"
mkdir -p "$here/.build"
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
    # shellcheck disable=SC2046
    cc -O2 -o "$out" "$src" $(pkg-config --cflags --libs libtiff-4)
fi
echo "$out"

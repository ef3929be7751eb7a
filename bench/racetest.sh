#!/usr/bin/env bash
# Two concurrent writers of one document, killed at random moments: two loops of
# `wias write --append` (one page each) on a document that does not exist yet, now and
# then a `wias write -o` / `wias scan -o` replacing it, and one command in seven killed
# with SIGKILL. After each trial libtiff (tiffinfo -D), Pillow and `wias inspect`
# check the document holds every acknowledged page, once and in order (see
# bench/racetest.py). The killtest's companion for concurrency (issue 9).
#
#   bench/racetest.sh [TRIALS]    (default 200; WIAS_RACE_SEED=... replays a run)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p wias-cli
python3 bench/racetest.py "$PWD/target/release/wias" "${1:-200}" ${WIAS_RACE_SEED:-}

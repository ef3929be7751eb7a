#!/usr/bin/env bash
# The kill -9 harness at full strength: 1000 trials (the test suite runs 50). Each
# trial starts a child that writes a 200-page TIFF through the library and reports
# every acknowledged page on a pipe, kills it with SIGKILL at a random moment, and
# checks with libtiff (every page, pixel for pixel) and with TiffFile::read +
# problems() and the real `wias inspect` ("verdict: sound") that no acknowledged page was lost. A third
# of the trials cross a BigTIFF promotion mid-run; one in eight use Durability::Sync;
# one in twelve reopen the file with TiffWriter::append every 20 pages.
#
#   bench/killtest.sh [TRIALS]    (WIAS_KILL_SEED=... replays a run)
set -euo pipefail
cd "$(dirname "$0")/.."
export WIAS_KILL_TRIALS=${1:-1000}
# Every file is also given to the real `wias inspect`, which must call it sound.
cargo build -q --release -p wias-cli
export WIAS_INSPECT_BIN="$PWD/target/release/wias"
cargo test -q --release -p wias --test it crash::kill_9_at_random_moments -- --nocapture 2>&1 \
    | grep -E "kill test|test result|panicked|trial"

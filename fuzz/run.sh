#!/usr/bin/env bash
# The long fuzz runs, one target at a time on one core: each until 10 million
# executions or an hour, whichever comes first. Logs go to fuzz/logs/<target>.log; the
# last line of each log says how many executions ran. Crashes land in
# fuzz/artifacts/<target>/ (copy them to crates/wias/tests/data/fuzz/<target>/ and add an expectation).
#
#   fuzz/run.sh [TARGET...]      (default: tiff_reader context pnm_reader)
set -euo pipefail
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tiff_reader context pnm_reader)
mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    [ -d "seeds/$t" ] && cp -n "seeds/$t"/* "corpus/$t/" 2>/dev/null || true
    echo "== $t: $(date -u +%H:%M:%S)"
    status=0
    RUSTC_BOOTSTRAP=1 cargo fuzz run -s none -O -a "$t" "corpus/$t" -- \
        -runs=10000000 -max_total_time=3600 -jobs=1 -rss_limit_mb=2048 \
        -print_final_stats=1 > "logs/$t.log" 2>&1 || status=$?
    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb|panicked|SUMMARY|Test unit written" "logs/$t.log" || true
    echo "== $t: exit $status, $(date -u +%H:%M:%S)"
done

#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time, each from a
# scratch copy of its committed seed corpus, and prints the executions per
# target. Fails on the first crash (its input is kept in fuzz/artifacts/).
#
# Usage: scripts/fuzz.sh [seconds-per-target]   (default 60)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

secs=${1:-60}
targets=(fmp4 blob csv_import device_bodies)

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "==> cargo install cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz passes instrumentation options that are unstable on paper;
# the stable toolchain takes them with RUSTC_BOOTSTRAP, without a sanitizer
# (Rust code is memory-safe already; panics, overflows and aborts are found).
export RUSTC_BOOTSTRAP=1
echo "==> cargo fuzz build (${targets[*]})"
cargo fuzz build -s none

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t"
    cp -r "corpus/$t/." "$scratch/$t/"
    echo "==> fuzz $t for ${secs}s"
    if ! cargo fuzz run -s none "$t" "$scratch/$t" -- \
        -max_total_time="$secs" -max_len=131072 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$scratch/$t.log" 2>&1; then
        tail -60 "$scratch/$t.log"
        echo "FAIL fuzz $t: see the input saved under fuzz/artifacts/$t/" >&2
        exit 1
    fi
    runs=$(grep -m1 'stat::number_of_executed_units' "$scratch/$t.log" | awk '{print $2}')
    echo "fuzz $t: ${runs:-?} executions in ${secs}s, no crash"
done

#!/usr/bin/env bash
# The one command that runs camvault's whole test suite:
#   lint (fmt + clippy), cargo tests on SQLite with blobs on local disk,
#   cargo tests on a throwaway PostgreSQL with blobs in S3 (a throwaway moto
#   server, also used by the S3 tests of both runs), the headless-Chromium
#   browser tests in e2e/, and a bounded run of every fuzz target.
#
# Usage: scripts/test.sh [--no-lint] [--sqlite-only] [--no-fuzz]
#   --no-lint      skip cargo fmt --check and clippy
#   --sqlite-only  skip the PostgreSQL run (and so the run with blobs in S3)
#   --no-fuzz      skip the fuzz targets
# With CI=true, a missing PostgreSQL, moto or Chromium/node is an error instead of a SKIP,
# and cargo-fuzz is installed when missing. Without moto locally, the PostgreSQL
# run keeps its blobs on local disk.
# Env: CHROMIUM (default /usr/bin/chromium), FUZZ_SECS (default 60 per target).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

lint=1
postgres=1
fuzz=1
for arg in "$@"; do
    case "$arg" in
    --no-lint) lint=0 ;;
    --sqlite-only) postgres=0 ;;
    --no-fuzz) fuzz=0 ;;
    -h | --help)
        sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "test.sh: unknown argument: $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

# cargo may live in ~/.cargo/bin without being on a non-login PATH.
if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
    export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi

in_ci=0
[[ "${CI:-}" == "true" ]] && in_ci=1

step() { echo "==> $*"; }

# Missing prerequisite: fatal in CI, a SKIP locally.
missing() {
    local what=$1 reason=$2
    if ((in_ci)); then
        echo "FAIL $what: $reason (required when CI=true)" >&2
        exit 1
    fi
    echo "SKIP $what: $reason"
}

pg_state=""
s3_state=""
cleanup() {
    if [[ -n "$pg_state" && -s "$pg_state" ]]; then
        scripts/pg-throwaway.sh stop "$pg_state" || true
    fi
    [[ -z "$pg_state" ]] || rm -f "$pg_state"
    if [[ -n "$s3_state" && -s "$s3_state" ]]; then
        scripts/s3-throwaway.sh stop "$s3_state" || true
    fi
    [[ -z "$s3_state" ]] || rm -f "$s3_state"
}
trap cleanup EXIT

# a, b: lint
if ((lint)); then
    step "cargo fmt --all -- --check"
    cargo fmt --all -- --check

    step "cargo clippy --workspace --all-targets -- -D warnings"
    cargo clippy --workspace --all-targets -- -D warnings

    step "crate layering (scripts/check-layers.sh)"
    scripts/check-layers.sh
else
    echo "SKIP lint: --no-lint"
fi

# An S3-compatible server (moto) for the blob-store tests of both runs, and
# for every blob of the PostgreSQL run.
step "S3-compatible test server (scripts/s3-throwaway.sh)"
if ! scripts/s3-throwaway.sh check >/dev/null; then
    missing s3 "moto_server not found (pip install 'moto[server]', or set MOTO_SERVER)"
else
    s3_state=$(mktemp "${TMPDIR:-/tmp}/camvault-s3state.XXXXXX")
    CAMVAULT_TEST_S3_ENDPOINT=$(scripts/s3-throwaway.sh start "$s3_state" | tail -n1)
    export CAMVAULT_TEST_S3_ENDPOINT
    echo "S3 endpoint: $CAMVAULT_TEST_S3_ENDPOINT"
fi

# c: SQLite, blobs on local disk
step "cargo test --workspace (SQLite, blobs on local disk)"
CAMVAULT_TEST_BLOBS=local cargo test --workspace

# d: PostgreSQL, blobs in S3: every test server keeps its blobs in a fresh
# bucket on moto (CAMVAULT_TEST_BLOBS=s3) when moto is up
step "cargo test --workspace (PostgreSQL, blobs in S3)"
if ((!postgres)); then
    echo "SKIP postgres: --sqlite-only"
elif ! pg_bin=$(scripts/pg-throwaway.sh check 2>/dev/null); then
    missing postgres "initdb/pg_ctl not found (apt-get install postgresql)"
else
    echo "using PostgreSQL binaries in $pg_bin"
    pg_state=$(mktemp "${TMPDIR:-/tmp}/camvault-pgstate.XXXXXX")
    pg_url=$(scripts/pg-throwaway.sh start "$pg_state" | tail -n1)
    echo "throwaway cluster: $pg_url"
    if [[ -n "${CAMVAULT_TEST_S3_ENDPOINT:-}" ]]; then
        blobs=s3
        echo "blobs in S3 buckets on $CAMVAULT_TEST_S3_ENDPOINT"
    else
        blobs=local
        echo "blobs on local disk: no S3 test server"
    fi
    CAMVAULT_TEST_DATABASE_URL="$pg_url" CAMVAULT_TEST_BLOBS="$blobs" cargo test --workspace
    scripts/pg-throwaway.sh stop "$pg_state"
    rm -f "$pg_state"
    pg_state=""
fi

# e: browser tests
step "browser tests (node --test e2e/)"
chromium_bin=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium_bin" ]]; then
    missing browser "$chromium_bin not found (apt-get install chromium, or set CHROMIUM)"
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing browser "node/npm not found (apt-get install nodejs npm)"
else
    cargo build -p camvault
    if [[ ! -d e2e/node_modules/playwright-core ]]; then
        echo "installing e2e dependencies"
        if [[ -f e2e/package-lock.json ]]; then
            (cd e2e && npm ci --no-audit --no-fund)
        else
            (cd e2e && npm install --no-audit --no-fund)
        fi
    fi
    CHROMIUM="$chromium_bin" CAMVAULT_BIN="$PWD/target/debug/camvault" node --test e2e/
fi

# f: fuzzing, bounded
step "fuzz targets (scripts/fuzz.sh, ${FUZZ_SECS:-60}s each)"
if ((!fuzz)); then
    echo "SKIP fuzzing: --no-fuzz"
elif ((in_ci)) || command -v cargo-fuzz >/dev/null 2>&1; then
    scripts/fuzz.sh "${FUZZ_SECS:-60}"
else
    echo "SKIP fuzzing: cargo-fuzz not installed (cargo install cargo-fuzz)"
fi

echo "==> all tests passed"

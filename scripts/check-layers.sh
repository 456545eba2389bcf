#!/usr/bin/env bash
# Fails if a crate depends on something its layer must not know:
# domain knows no HTTP, SQL or object storage; media and crypto know no I/O
# frameworks at all. Reads `cargo tree` (normal dependencies only).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
forbid() {
    local crate=$1
    shift
    local tree
    tree=$(cargo tree -p "$crate" -e normal --prefix none --offline 2>/dev/null || cargo tree -p "$crate" -e normal --prefix none)
    for banned in "$@"; do
        if grep -qE "^$banned v" <<<"$tree"; then
            echo "layering: $crate must not depend on $banned" >&2
            status=1
        fi
    done
}

forbid domain axum hyper sqlx object_store web store
forbid media axum hyper sqlx object_store domain
forbid crypto axum hyper sqlx object_store tokio domain
# store reaches S3 over HTTP (object_store uses reqwest, hence hyper): an HTTP
# client is fine there, a server framework is not.
forbid store axum web
forbid delivery axum sqlx web store
forbid identity axum sqlx web store

if ((status == 0)); then
    echo "layering: ok (domain, media, crypto, store, delivery, identity)"
fi
exit $status

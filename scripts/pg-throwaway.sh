#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   scripts/pg-throwaway.sh start [STATEFILE]  -> last stdout line: postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-throwaway.sh stop STATEFILE     -> stops the cluster and deletes its directory
#   scripts/pg-throwaway.sh check              -> prints the PostgreSQL bin dir, exit 1 if not installed
#
# The cluster lives in a fresh temp dir, listens only on 127.0.0.1 on a free
# port chosen by the kernel, uses trust auth and fsync=off. Everything except
# the final URL goes to stderr so callers can use `| tail -n1` or $(...).
set -euo pipefail

MARKER=.camvault-pg-throwaway

die() {
    echo "pg-throwaway: $*" >&2
    exit 1
}

# Newest /usr/lib/postgresql/<ver>/bin that has initdb, else initdb on PATH.
find_bin() {
    local best="" best_ver=-1 d ver
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
        ver=$(basename "$(dirname "$d")")
        ver=${ver%%.*}
        [[ "$ver" =~ ^[0-9]+$ ]] || ver=0
        if ((ver > best_ver)); then
            best_ver=$ver
            best=$d
        fi
    done
    if [[ -z "$best" ]] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        best=$(dirname "$(command -v initdb)")
    fi
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

require_bin() {
    BIN=$(find_bin) || die "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH; install them with: apt-get install postgresql"
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a shell command line as the postgres user when we are root (initdb
# refuses to run as root), directly otherwise. Runs from $dir so the postgres
# user never has to access the caller's working directory.
as_pg() {
    local dir=$1 cmd=$2
    if is_root; then
        (cd "$dir" && su postgres -s /bin/sh -c "$cmd")
    else
        (cd "$dir" && sh -c "$cmd")
    fi
}

free_port() {
    local py
    for py in python3 /usr/bin/python3 python; do
        if command -v "$py" >/dev/null 2>&1; then
            "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null && return 0
        fi
    done
    # No python: fall back to a random high port (start is retried on failure).
    echo $((20000 + RANDOM % 40000))
}

cmd_start() {
    local state=${1:-}
    require_bin

    local base=${TMPDIR:-/tmp}
    if is_root; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run initdb as (install the postgresql package)"
        base=/tmp # must be reachable by the postgres user
    fi
    local dir
    dir=$(mktemp -d "$base/camvault-pg.XXXXXX")
    touch "$dir/$MARKER"
    chmod 755 "$dir"
    if is_root; then
        chown postgres: "$dir"
    fi
    # Remove the dir if we fail before handing it over.
    trap 'rm -rf "$dir"' EXIT

    echo "pg-throwaway: initdb in $dir/db (bin: $BIN)" >&2
    if ! as_pg "$dir" "'$BIN/initdb' -D '$dir/db' -A trust -U postgres -E UTF8 --no-locale" >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    fi

    local attempt port="" started=0
    for attempt in 1 2 3; do
        port=$(free_port)
        echo "pg-throwaway: starting on 127.0.0.1:$port (attempt $attempt)" >&2
        if as_pg "$dir" "'$BIN/pg_ctl' -D '$dir/db' -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' -l '$dir/log' -w -t 60 start" >&2; then
            started=1
            break
        fi
        echo "pg-throwaway: start on port $port failed; log tail:" >&2
        tail -n 20 "$dir/log" >&2 2>/dev/null || true
        # Make sure a half-started server is gone before retrying.
        as_pg "$dir" "'$BIN/pg_ctl' -D '$dir/db' -m immediate stop" >/dev/null 2>&1 || true
    done
    ((started)) || die "could not start PostgreSQL after $attempt attempts (see above)"

    trap - EXIT
    if [[ -n "$state" ]]; then
        printf '%s\n' "$dir" >"$state"
    else
        echo "pg-throwaway: no state file given; stop with: pg_ctl -D $dir/db -m fast stop && rm -rf $dir" >&2
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
}

cmd_stop() {
    local state=${1:-}
    [[ -n "$state" ]] || die "usage: $0 stop STATEFILE"
    [[ -f "$state" ]] || die "state file $state not found"
    local dir
    dir=$(head -n1 "$state")
    [[ -n "$dir" && -d "$dir" ]] || {
        echo "pg-throwaway: $dir is already gone" >&2
        rm -f "$state"
        return 0
    }
    [[ -f "$dir/$MARKER" ]] || die "$dir does not look like a throwaway cluster (no $MARKER); refusing to delete it"
    if [[ -f "$dir/db/postmaster.pid" ]]; then
        require_bin
        as_pg "$dir" "'$BIN/pg_ctl' -D '$dir/db' -m fast -w stop" >&2 ||
            echo "pg-throwaway: pg_ctl stop failed; removing $dir anyway" >&2
    fi
    rm -rf "$dir"
    rm -f "$state"
    echo "pg-throwaway: stopped and removed $dir" >&2
}

case "${1:-}" in
start) cmd_start "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
check) require_bin && printf '%s\n' "$BIN" ;;
*)
    echo "usage: $0 start [STATEFILE] | stop STATEFILE | check" >&2
    exit 2
    ;;
esac

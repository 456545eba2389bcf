#!/usr/bin/env bash
# Throwaway S3-compatible server (moto) for tests.
#
#   scripts/s3-throwaway.sh start STATEFILE  -> last stdout line: http://127.0.0.1:PORT
#   scripts/s3-throwaway.sh stop STATEFILE   -> stops it
#   scripts/s3-throwaway.sh check            -> prints the moto_server it would run, exit 1 if none
#
# The server listens only on 127.0.0.1, on a free port, keeps everything in
# memory and accepts any credentials. MOTO_SERVER names the executable
# (default: moto_server on PATH). Everything except the URL goes to stderr.
set -euo pipefail

die() {
    echo "s3-throwaway: $*" >&2
    exit 1
}

find_moto() {
    local bin=${MOTO_SERVER:-moto_server}
    command -v "$bin" >/dev/null 2>&1 || return 1
    command -v "$bin"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
check)
    find_moto || exit 1
    ;;
start)
    state=${2:?usage: s3-throwaway.sh start STATEFILE}
    bin=$(find_moto) || die "moto_server not found (pip install 'moto[server]', or set MOTO_SERVER)"
    port=$(free_port)
    log=$(mktemp "${TMPDIR:-/tmp}/camvault-moto.XXXXXX")
    "$bin" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    pid=$!
    echo "$pid $log" >"$state"
    for _ in $(seq 1 100); do
        if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
            echo "moto (pid $pid) on port $port" >&2
            echo "http://127.0.0.1:$port"
            exit 0
        fi
        kill -0 "$pid" 2>/dev/null || die "moto exited: $(tail -n 5 "$log")"
        sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    die "moto did not answer within 20 s: $(tail -n 5 "$log")"
    ;;
stop)
    state=${2:?usage: s3-throwaway.sh stop STATEFILE}
    [[ -s "$state" ]] || exit 0
    read -r pid log <"$state"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$log"
    ;;
*)
    die "usage: s3-throwaway.sh start|stop STATEFILE, or check"
    ;;
esac

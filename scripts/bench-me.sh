#!/usr/bin/env bash
# Benchmark: authenticated GET /api/v1/me against GET /healthz, same server,
# same run, loopback only. Prints requests/s and p99 latency of each and the
# ratios (me / healthz), so figures compare across noisy machines.
#
# Usage: scripts/bench-me.sh [seconds per endpoint, default 10] [connections, default 64]
# Needs: wrk (apt-get install wrk), curl. Builds the release binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=${1:-10}
conns=${2:-64}
command -v wrk >/dev/null || { echo "bench-me: wrk not found (apt-get install wrk)" >&2; exit 1; }

cargo build --release -p camvault
dir=$(mktemp -d)
out="$dir/stdout"
./target/release/camvault serve --listen 127.0.0.1:0 --data-dir "$dir/data" >"$out" 2>"$dir/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

for _ in $(seq 100); do
    base=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$out" | sed 's/listening on //' || true)
    [[ -n "$base" ]] && break
    sleep 0.1
done
[[ -n "$base" ]] || { echo "bench-me: server did not start" >&2; cat "$dir/stderr" >&2; exit 1; }

jar="$dir/cookies"
curl -sf -c "$jar" -H 'content-type: application/json' \
    -d '{"username":"meter","password":"benchmark passphrase 42","email":"bench@example.com"}' \
    "$base/api/v1/accounts" >/dev/null
cookie=$(awk '$6 == "camvault_session" { print $7 }' "$jar")
curl -sf -b "camvault_session=$cookie" "$base/api/v1/me" >/dev/null

run() { # url [header]
    if [[ $# -gt 1 ]]; then
        wrk -t2 -c"$conns" -d"${secs}s" --latency -H "$2" "$1"
    else
        wrk -t2 -c"$conns" -d"${secs}s" --latency "$1"
    fi
}
rps() { awk '/^Requests\/sec/ { print $2 }'; }
p99() { # wrk prints e.g. "99%    3.21ms" or "99%  812.00us"
    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }'
}

echo "== GET /healthz (baseline), ${secs}s, $conns connections"
h=$(run "$base/healthz")
echo "$h" | grep -E 'Requests/sec|99%|Non-2xx' || true
echo "== GET /api/v1/me (cookie session), ${secs}s, $conns connections"
m=$(run "$base/api/v1/me" "Cookie: camvault_session=$cookie")
echo "$m" | grep -E 'Requests/sec|99%|Non-2xx' || true
if grep -q 'Non-2xx' <<<"$m"; then
    echo "bench-me: /api/v1/me answered errors during the run" >&2
    exit 1
fi

h_rps=$(rps <<<"$h"); m_rps=$(rps <<<"$m")
h_p99=$(p99 <<<"$h"); m_p99=$(p99 <<<"$m")
awk -v hr="$h_rps" -v mr="$m_rps" -v hp="$h_p99" -v mp="$m_p99" 'BEGIN {
    printf "\nresult: /healthz %.0f req/s p99 %.2f ms | /api/v1/me %.0f req/s p99 %.2f ms\n", hr, hp, mr, mp
    printf "ratio /me to /healthz: throughput %.2f, p99 latency %.2f\n", mr / hr, mp / hp
}'

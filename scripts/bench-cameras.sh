#!/usr/bin/env bash
# Benchmark the camera endpoints on SQLite, loopback only:
#   - POST /api/v1/cameras (binding; the owner re-binding their own camera,
#     which runs the whole check: throttle, lookup, keyed-hash compare)
#   - POST /api/v1/device/token (a device signing in with its secret)
# each against GET /healthz measured in the same run, and then a brute-force
# run of 10,000 wrong verification codes against one serial, counting how
# many got through (must be 0) and how many were even evaluated (must stay
# within the throttle: 5 per 15 minutes per person and per serial).
#
# Usage: scripts/bench-cameras.sh [seconds per endpoint, default 10] [connections, default 32]
# Needs: wrk, curl, python3. Builds the release binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=${1:-10}
conns=${2:-32}
command -v wrk >/dev/null || { echo "bench-cameras: wrk not found (apt-get install wrk)" >&2; exit 1; }

cargo build --release -p camvault
bin=./target/release/camvault
dir=$(mktemp -d)
printf 'serial,model,verification_code,device_secret\nBENCH-0001,Cube 2,CODE0001,secret-secret-0001\nBENCH-0002,Cube 2,CODE0002,secret-secret-0002\n' >"$dir/devices.csv"
"$bin" admin provision "$dir/devices.csv" --data-dir "$dir/data" >/dev/null
"$bin" serve --listen 127.0.0.1:0 --data-dir "$dir/data" >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
    base=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$dir/stdout" | sed 's/listening on //' || true)
    [[ -n "$base" ]] && break
    sleep 0.1
done
[[ -n "$base" ]] || { echo "bench-cameras: server did not start" >&2; cat "$dir/stderr" >&2; exit 1; }

signup() { # name -> "cookie csrf"
    local body
    body=$(curl -sf -c "$dir/$1.jar" -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"benchmark passphrase 42\",\"email\":\"$1@example.com\"}" \
        "$base/api/v1/accounts")
    local csrf cookie
    csrf=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])' <<<"$body")
    cookie=$(awk '$6 == "camvault_session" { print $7 }' "$dir/$1.jar")
    echo "$cookie $csrf"
}
read -r cookie csrf <<<"$(signup owner)"
curl -sf -b "camvault_session=$cookie" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
    -d '{"serial":"BENCH-0001","verification_code":"CODE0001"}' "$base/api/v1/cameras" >/dev/null

post_lua() { # file body [headers...]
    local file=$1 body=$2
    shift 2
    {
        echo 'wrk.method = "POST"'
        echo "wrk.body = '$body'"
        echo 'wrk.headers["Content-Type"] = "application/json"'
        for h in "$@"; do echo "wrk.headers[\"${h%%:*}\"] = \"${h#*: }\""; done
        echo 'done = function(summary, latency, requests) io.write(string.format("non2xx %d\n", summary.errors.status)) end'
    } >"$file"
}
post_lua "$dir/bind.lua" '{"serial":"BENCH-0001","verification_code":"CODE0001"}' \
    "Cookie: camvault_session=$cookie" "x-csrf-token: $csrf"
post_lua "$dir/token.lua" '{"serial":"BENCH-0002","secret":"secret-secret-0002"}'

run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$@"; }
rps() { awk '/^Requests\/sec/ { print $2 }'; }
p99() { awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }'; }
errors() { awk '/^non2xx/ { print $2 }'; }

echo "== GET /healthz (baseline)"
h=$(run "$base/healthz")
echo "== POST /api/v1/cameras (owner re-binds their camera)"
b=$(run -s "$dir/bind.lua" "$base/api/v1/cameras")
echo "== POST /api/v1/device/token"
t=$(run -s "$dir/token.lua" "$base/api/v1/device/token")
for name in b t; do
    n=$(errors <<<"${!name}")
    [[ "${n:-0}" == 0 ]] || { echo "bench-cameras: $name run had $n non-2xx answers" >&2; echo "${!name}" >&2; exit 1; }
done
awk -v hr="$(rps <<<"$h")" -v hp="$(p99 <<<"$h")" -v br="$(rps <<<"$b")" -v bp="$(p99 <<<"$b")" \
    -v tr="$(rps <<<"$t")" -v tp="$(p99 <<<"$t")" 'BEGIN {
    printf "result: /healthz %.0f req/s p99 %.2f ms\n", hr, hp
    printf "result: bind     %.0f req/s p99 %.2f ms  (ratio to /healthz: throughput %.3f, p99 %.2f)\n", br, bp, br / hr, bp / hp
    printf "result: token    %.0f req/s p99 %.2f ms  (ratio to /healthz: throughput %.3f, p99 %.2f)\n", tr, tp, tr / hr, tp / hp
}'

echo "== brute force: 10,000 wrong codes against BENCH-0002 from one account"
read -r acookie acsrf <<<"$(signup attacker)"
python3 - "$base" "$acookie" "$acsrf" <<'PY'
import http.client, json, sys, urllib.parse
base, cookie, csrf = sys.argv[1:4]
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
counts = {}
for i in range(10_000):
    code = f"W{i:05d}"
    body = json.dumps({"serial": "BENCH-0002", "verification_code": code})
    conn.request("POST", "/api/v1/cameras", body, {
        "content-type": "application/json",
        "cookie": f"camvault_session={cookie}",
        "x-csrf-token": csrf,
    })
    r = conn.getresponse()
    r.read()
    counts[r.status] = counts.get(r.status, 0) + 1
bound = counts.get(201, 0)
evaluated = counts.get(400, 0)
print(f"result: brute force 10000 tries -> bound {bound}, evaluated (400) {evaluated}, throttled (429) {counts.get(429, 0)}, other {sum(v for k, v in counts.items() if k not in (201, 400, 429))}")
if bound != 0 or evaluated > 5:
    sys.exit("brute force got through the throttle")
PY

#!/usr/bin/env bash
# Sign-in throughput, and reads while sign-ins run: the figures of docs/BENCHMARKS.md
# ("Logins"). Needs `wrk` (Debian: apt-get install wrk) and a release build
# (cargo build --release -p api). Usage: bash bench/auth.sh [runs] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
seconds="${2:-10}"
port=18080
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# A fresh SQLite database with the demo data; the login limit per address is lifted because
# every request comes from 127.0.0.1.
PORTAL_LISTEN="127.0.0.1:$port" DATABASE_URL="sqlite://$work/bench.db?mode=rwc" \
PORTAL_LOGIN_ATTEMPTS_PER_MINUTE=100000000 RUST_LOG=warn PORTAL_LOG_FORMAT=json \
    target/release/portal serve > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/ready" > /dev/null && break; sleep 0.2; done

cat > "$work/login.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"mutation { login(email: \\"staff@portal.example.tj\\", password: \\"Demo-Programme-Officer-2026\\") { accessToken } }"}'
LUA
cat > "$work/read.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ projects(first: 20) { edges { node { code title partners { role organisation { name } } events(first: 5) { edges { node { title startsOn } } } } } } }"}'
LUA

rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
p50() { awk '/ 50%/ { print $2 }' "$1"; }
p99() { awk '/ 99%/ { print $2 }' "$1"; }
url="http://127.0.0.1:$port/graphql"
printf 'run\treads alone (req/s, p50, p99)\tlogins alone (req/s, p50, p99)\treads during logins (req/s, p50, p99)\tlogins during reads (req/s)\n'
for run in $(seq 1 "$runs"); do
    wrk -t1 -c16 -d"${seconds}s" --latency -s "$work/read.lua" "$url" > "$work/reads.txt"
    wrk -t1 -c16 -d"${seconds}s" --latency -s "$work/login.lua" "$url" > "$work/logins.txt"
    wrk -t1 -c16 -d"${seconds}s" --latency -s "$work/login.lua" "$url" > "$work/storm.txt" &
    storm=$!
    wrk -t1 -c16 -d"${seconds}s" --latency -s "$work/read.lua" "$url" > "$work/mixed.txt"
    wait "$storm"
    printf '%s\t%s, %s, %s\t%s, %s, %s\t%s, %s, %s\t%s\n' "$run" \
        "$(rps "$work/reads.txt")" "$(p50 "$work/reads.txt")" "$(p99 "$work/reads.txt")" \
        "$(rps "$work/logins.txt")" "$(p50 "$work/logins.txt")" "$(p99 "$work/logins.txt")" \
        "$(rps "$work/mixed.txt")" "$(p50 "$work/mixed.txt")" "$(p99 "$work/mixed.txt")" \
        "$(rps "$work/storm.txt")"
done
grep -c '"level":"ERROR"' "$work/server.log" | sed 's/^/server errors logged: /' || true

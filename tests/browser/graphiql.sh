#!/usr/bin/env bash
# A manual end-to-end check of the development GraphiQL page in headless Chromium, with no
# network but the server: Chromium resolves no host name, and every request is recorded.
# Not part of CI (it needs Chromium and Node 20+).
#
#   cargo run                       # development, demo data on a fresh database
#   tests/browser/graphiql.sh       # BASE=http://127.0.0.1:8080 by default
set -uo pipefail
cd "$(dirname "$0")"
profile=$(mktemp -d)
chromium --headless=new --no-sandbox --disable-gpu --no-first-run --remote-debugging-port=9333 \
  --user-data-dir="$profile" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
  about:blank > "$profile/chromium.log" 2>&1 &
browser=$!
for _ in $(seq 1 60); do
  curl -sf http://127.0.0.1:9333/json/version > /dev/null && break
  sleep 1
done
timeout 120 node --experimental-websocket --no-warnings graphiql.mjs
status=$?
kill "$browser"
wait "$browser" 2> /dev/null
rm -rf "$profile"
exit $status

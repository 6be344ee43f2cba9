#!/usr/bin/env bash
# Peak memory of the server while it streams `GET /exports/events.csv` of N events, for several
# N: a streamed export holds one page (500 rows), so the peak should not grow with N.
#
#   bash bench/export_memory.sh [sizes...]        (default: 1000 10000 100000)
#
# Needs: the release build (`cargo build --release -p api`), PostgreSQL on 127.0.0.1:5432 with
# trust authentication (the machine's default here), curl. Each size gets a fresh database
# `portal_bench_export`: the demo data, then copies of its events up to N rows in one
# INSERT ... SELECT, then a fresh server; it reports the server's VmHWM (peak resident memory)
# after start and a small query, and after the download, with the download's size and time.
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB=portal_bench_export
URL="${PG%/*}/$DB"
PORT=18181
BIN=target/release/portal
CSV=$(mktemp)
trap 'rm -f "$CSV"' EXIT
[ -x "$BIN" ] || { echo "build first: cargo build --release -p api" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)

hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
graphql() {
    curl -sf -X POST "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
        ${TOKEN:+-H "Authorization: Bearer $TOKEN"} -d "$1"
}

printf '| events | peak RSS after start (MiB) | peak RSS after export (MiB) | growth (MiB) | CSV size (MiB) | download time (s) |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: |\n'
for n in "${sizes[@]}"; do
    psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -qc "CREATE DATABASE $DB" >/dev/null
    # Development mode loads the demo data and prints the demo logins.
    DATABASE_URL="$URL" PORTAL_LISTEN="127.0.0.1:$PORT" PORTAL_LOG_FORMAT=json RUST_LOG=warn \
        "$BIN" serve >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
    kill "$pid"; wait "$pid" || true
    have=$(psql "$URL" -Atc "SELECT count(*) FROM event")
    copies=$(( (n + have - 1) / have - 1 ))
    if [ "$copies" -gt 0 ]; then
        psql "$URL" -qc "INSERT INTO event (id, project_id, title, kind, starts_on, ends_on, region, district, venue,
                organiser_id, participants_female, participants_male, participants_undisclosed, summary, published,
                search_text, created_at, updated_at)
            SELECT gen_random_uuid(), project_id, title, kind, starts_on + (c % 365), ends_on + (c % 365), region,
                district, venue, organiser_id, participants_female, participants_male, participants_undisclosed,
                summary, published, search_text, created_at, updated_at
            FROM event, generate_series(1, $copies) AS c"
    fi
    psql "$URL" -qc "DELETE FROM event WHERE id IN (SELECT id FROM event ORDER BY id OFFSET $n)"
    psql "$URL" -qc "VACUUM ANALYZE event"
    rows=$(psql "$URL" -Atc "SELECT count(*) FROM event")

    DATABASE_URL="$URL" PORTAL_LISTEN="127.0.0.1:$PORT" PORTAL_DEMO_DATA=false RUST_LOG=warn \
        "$BIN" serve >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
    TOKEN=$(graphql '{"query":"mutation { login(email: \"staff@portal.example.tj\", password: \"Demo-Programme-Officer-2026\") { accessToken } }"}' |
        sed -E 's/.*"accessToken":"([^"]+)".*/\1/')
    graphql '{"query":"{ events(first: 20) { totalCount } }"}' >/dev/null
    before=$(hwm "$pid")
    start=$(date +%s.%N)
    curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/exports/events.csv" -o "$CSV"
    end=$(date +%s.%N)
    after=$(hwm "$pid")
    kill "$pid"; wait "$pid" || true
    bytes=$(stat -c %s "$CSV")
    lines=$(wc -l < "$CSV")
    [ "$lines" -eq $((rows + 1)) ] || { echo "the export has $lines lines for $rows events" >&2; exit 1; }
    awk -v n="$rows" -v b="$before" -v a="$after" -v s="$bytes" -v t0="$start" -v t1="$end" 'BEGIN {
        printf "| %d | %.1f | %.1f | %.1f | %.1f | %.2f |\n", n, b/1024, a/1024, (a-b)/1024, s/1048576, t1-t0 }'
done
psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"

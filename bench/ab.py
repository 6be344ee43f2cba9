#!/usr/bin/env python3
"""Two builds of the server side by side on one dataset: for each scenario of `bench run`, the
two binaries take turns (A, B, A, B, ...), each started fresh with `bench run`'s environment,
warmed with one request, then driven by oha for a fixed time while its CPU time is read from
/proc. Alternating makes what else the machine does fall on both alike, so the ratio B/A means
more than either figure. `bench run` measures one build; this compares two.

    python3 bench/ab.py --a OLD/portal --b NEW/portal --db postgres://…/portal_bench_small \
        [--rounds 3] [--seconds 10] [--concurrency 16] [--only nested,login]

The dataset is one of `bench generate`; oha is the one `bench install-oha` put in bench/.tools.
When B has migrations A does not know (A's server refuses a database with a migration it has
no file for), generate the dataset with B's `bench` and name them with `--b-only-migrations`:
their rows of `seaql_migrations` are taken out while A runs and put back for B (their tables
stay; A does not read them).
Prints a Markdown table (medians over the rounds; peak memory is the highest of the rounds;
"first" is the warm-up request's time, the one a cold cache pays, not in the other figures)
and writes every round's figures as JSON to bench/results/ab-<label>-<backend>.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OHA = os.path.join(ROOT, "bench", ".tools", "bin", "oha")
PASSWORD = "Bench-Partner-Dushanbe-2026"
STAFF = "staff@bench.example.tj"
PARTNER = "partner2@org2.bench.example.tj"

# The scenarios of bench/src/run.rs, with the same documents.
SCENARIOS = {
    "directory": (None, '{ resourceCentres(first: 20, filter: { kind: WOMENS_RESOURCE_CENTRE, region: KHATLON, service: LEGAL_CONSULTATION }) { totalCount edges { node { name district address phone openingHours services operator { name } } } pageInfo { hasNextPage endCursor } } }'),
    "nested": (None, "{ projects(first: 50, orderBy: CODE_ASC) { edges { node { code title partners { role organisation { name kind } } events(first: 20) { edges { node { title startsOn participants { total } } } } } } } }"),
    "incoming": (PARTNER, "{ referralCases(first: 20, filter: { direction: INCOMING }) { totalCount edges { node { code kind status risk region district referredAt responseDueAt overdue referringOrganisation { name } } } pageInfo { hasNextPage endCursor } } }"),
    "statistics": (None, "{ peopleServedStatistics(rows: REGION, columns: SEX) { rows { key cells { value suppressed } total { value suppressed } } total { value suppressed } } }"),
    "case-statistics": (STAFF, "{ caseStatistics(rows: KIND) { rows { key cells { value suppressed } total { value suppressed } } total { value suppressed } } }"),
    "login": (None, None),
}

LOGIN = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }"


def server_env(db, port):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db,
        "PORTAL_ENV": "production",
        "PORTAL_LISTEN": f"127.0.0.1:{port}",
        "PORTAL_DEMO_DATA": "never",
        "PORTAL_LOG_FORMAT": "json",
        "RUST_LOG": "warn",
        "PORTAL_JWT_SECRET": "bench-only-signing-key-never-used-in-production",
        "PORTAL_DATA_KEYS": "bench:YmVuY2gtb25seS1kYXRhLWtleS0zMi1ieXRlcy1vayE=",
        "PORTAL_TOTP_REQUIRED_FOR_ADMIN": "false",
        "PORTAL_LOGIN_ATTEMPTS_PER_MINUTE": "100000000",
        "PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE": "4000000000",
        "PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE": "4000000000",
    })
    return env


def post(base, body, token=None):
    request = urllib.request.Request(
        f"{base}/graphql", data=body.encode(), method="POST",
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15)


def peak_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_for_idle_database(db):
    """Statements of the previous measurement may still run in PostgreSQL after its server is
    stopped (a case-statistics statement takes seconds on the large dataset); measure only once
    they are done, or they would count against the next scenario."""
    if not db.startswith("postgres"):
        return
    for _ in range(120):
        active = subprocess.run(
            ["psql", db, "-Atc", "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
             "AND pid <> pg_backend_pid() AND datname = current_database()"],
            capture_output=True, text=True, check=True).stdout.strip()
        if active == "0":
            return
        time.sleep(0.5)


def sql(db, statement):
    if db.startswith("postgres"):
        subprocess.run(["psql", db, "-qAtc", statement], check=True, capture_output=True)
    else:
        import sqlite3
        path = db.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(path) as connection:
            connection.execute(statement)


def show_migrations(db, names, shown):
    """Takes the rows of the migrations `names` out of `seaql_migrations`, or puts them back."""
    for name in names:
        sql(db, f"DELETE FROM seaql_migrations WHERE version = '{name}'")
        if shown:
            sql(db, f"INSERT INTO seaql_migrations (version, applied_at) VALUES ('{name}', {int(time.time())})")


def measure(binary, db, port, scenario, seconds, concurrency):
    wait_for_idle_database(db)
    server = subprocess.Popen([binary, "serve"], env=server_env(db, port),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        who, query = SCENARIOS[scenario]
        if query is None:
            body = json.dumps({"query": LOGIN, "variables": {"email": STAFF, "password": PASSWORD}})
            token = None
        else:
            body = json.dumps({"query": query})
            token = None
            if who:
                login = post(base, json.dumps({"query": LOGIN, "variables": {"email": who, "password": PASSWORD}}))
                token = login["data"]["login"]["accessToken"]
        started = time.monotonic()
        warm = post(base, body, token)
        first_ms = (time.monotonic() - started) * 1000
        assert "errors" not in warm, f"{scenario}: {warm}"
        before = cpu_seconds(server.pid)
        command = [OHA, "-z", f"{seconds}s", "-c", str(concurrency), "--no-tui", "--output-format", "json",
                   "-m", "POST", "-H", "content-type: application/json", "-d", body]
        if token:
            command += ["-H", f"authorization: Bearer {token}"]
        result = json.loads(subprocess.run(command + [f"{base}/graphql"], capture_output=True, check=True).stdout)
        cpu = cpu_seconds(server.pid) - before
        ok = result["statusCodeDistribution"].get("200", 0)
        total = sum(result["statusCodeDistribution"].values()) or 1
        latency = result["latencyPercentiles"]
        return {
            "rps": result["summary"]["requestsPerSec"],
            "ok": ok,
            "requests": total,
            "cpu_ms": cpu * 1000 / total,
            "p50_ms": latency["p50"] * 1000,
            "p99_ms": latency["p99"] * 1000,
            "peak_mib": peak_mib(server.pid),
            "first_ms": first_ms,
        }
    finally:
        server.terminate()
        server.wait(timeout=40)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="the first binary (the baseline)")
    parser.add_argument("--b", required=True, help="the second binary")
    parser.add_argument("--db", required=True)
    parser.add_argument("--label", default="small")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=18490)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--b-only-migrations", default="", help="comma-separated migrations A does not know")
    args = parser.parse_args()
    if not os.path.exists(OHA):
        sys.exit(f"{OHA} is missing: run `target/release/bench install-oha` first")
    figures = {}
    for scenario in args.only.split(","):
        for round_ in range(args.rounds):
            order = [("a", args.a), ("b", args.b)] if round_ % 2 == 0 else [("b", args.b), ("a", args.a)]
            for side, binary in order:
                hidden = [name for name in args.b_only_migrations.split(",") if name]
                show_migrations(args.db, hidden, side == "b")
                figures.setdefault(scenario, {}).setdefault(side, []).append(
                    measure(binary, args.db, args.port, scenario, args.seconds, args.concurrency))
                print(scenario, side, figures[scenario][side][-1], file=sys.stderr, flush=True)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    backend = "postgresql" if args.db.startswith("postgres") else "sqlite"
    with open(os.path.join(ROOT, "bench", "results", f"ab-{args.label}-{backend}.json"), "w") as out:
        json.dump({"a": args.a, "b": args.b, "figures": figures}, out, indent=1)
    show_migrations(args.db, [name for name in args.b_only_migrations.split(",") if name], True)
    print(f"| scenario | A req/s | B req/s | B/A | A CPU ms/req | B CPU ms/req | A p50 ms | B p50 ms | A p99 ms | B p99 ms | A peak MiB | B peak MiB | A first ms | B first ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scenario, sides in figures.items():
        med = {side: {key: statistics.median(run[key] for run in runs) for key in runs[0]} for side, runs in sides.items()}
        a, b = med["a"], med["b"]
        print(f"| {scenario} | {a['rps']:.1f} | {b['rps']:.1f} | {b['rps'] / a['rps']:.2f} | {a['cpu_ms']:.2f} | {b['cpu_ms']:.2f} "
              f"| {a['p50_ms']:.0f} | {b['p50_ms']:.0f} | {a['p99_ms']:.0f} | {b['p99_ms']:.0f} "
              f"| {max(run['peak_mib'] for run in sides['a']):.0f} | {max(run['peak_mib'] for run in sides['b']):.0f} "
              f"| {a['first_ms']:.0f} | {b['first_ms']:.0f} |")


if __name__ == "__main__":
    main()

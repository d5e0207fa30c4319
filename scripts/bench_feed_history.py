#!/usr/bin/env python3
"""The change feed's deletions over a long history (``make bench-feed-history``).

Each page of the change feed (``directory/api/changes.py``, ``deletions``) asks, per type, for
the first deletions of published listings after its cursor, in (``history_date``, ``uuid``)
order. A history grows by a row with every save, and deletions are few among them. This script
measures that statement on PostgreSQL over a history of ``--history`` rows (one deletion in
20,000), with the partial index of deletions (migration 0027, ``ListingHistory``) and without it
(dropped inside a transaction that is rolled back), for a mirror's first full sync (since the
epoch), a month and a day. It writes ``benchmarks-feed-history.md`` and ``.json`` to ``--out``.

    python scripts/bench_feed_history.py --history 1000000 --out docs

A throwaway database (``--db``, created afresh, dropped at the end unless ``--keep-db``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench
from bench import PY, ROOT, log

INDEX = "initiati_hist_removed"
TABLE = "directory_historicalinitiative"
#: the feed's own statement for initiatives (``deletions``, without a cursor: a page's first),
#: compiled by the ORM for the benchmark's database; its ``since`` is the epoch, replaced per run
ORM_STATEMENT = """
import json, django; django.setup()
from directory.api.changes import EPOCH, TYPES, deletions
sql, params = deletions(TYPES["initiative"], "initiative", EPOCH, None, 101).query.sql_with_params()
print(json.dumps([sql, [p.isoformat() if p == EPOCH else p for p in params], EPOCH.isoformat()]))
"""
SINCE = {
    "a first full sync (since 1970)": "epoch",
    "the last 30 days": "now-30",
    "the last day": "now-1",
}


def feed_statement(env: dict) -> tuple[str, list, str]:
    """The SQL of ``deletions()``, its parameters and the value of ``since`` among them."""
    out = subprocess.run(
        [PY, "-c", ORM_STATEMENT], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    sql, params, epoch = json.loads(out.strip().splitlines()[-1])
    return sql, params, epoch


def fill(conn, rows: int) -> None:
    """``rows`` history rows of initiatives over the past year, one in 20,000 a deletion."""
    conn.execute(
        f"""INSERT INTO {TABLE} (id, uuid, slug, summary, description, website, city, state,
            postal_code, county, scope, status, source, is_demo, published_at, created_at,
            updated_at, title, welcomes_newcomers, get_involved, get_involved_url, history_date,
            history_type, classified_by)
        SELECT g %% 100000, md5(g::text)::uuid, 'bench-' || g, 'A summary', repeat('text ', 40),
            '', 'Boulder', 'CO', '80302', '', 'local', 'published', 'curator', false,
            now() - interval '400 days', now(), now(), 'Initiative ' || g, false, '', '',
            now() - interval '365 days' * random(),
            CASE WHEN g %% 20000 = 0 THEN '-' ELSE '~' END, 'curator'
        FROM generate_series(1, %s) g""",
        [rows],
    )
    conn.execute(f"ANALYZE {TABLE}")


def timings(conn, statement: tuple[str, list, str], since: str, repeat: int) -> dict:
    """Execution times (ms, from EXPLAIN ANALYZE) of ``repeat`` runs, and what reads the table."""
    sql, params, epoch = statement
    value = epoch
    if since.startswith("now-"):
        value = conn.execute(f"SELECT now() - interval '{int(since[4:])} days'").fetchone()[0]
    params = [value if param == epoch else param for param in params]
    times, plan = [], ""
    for _ in range(repeat):
        (result,) = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params
        ).fetchone()
        times.append(result[0]["Execution Time"])
        plan = _scan(result[0]["Plan"])
    return {"first_ms": times[0], "median_ms": statistics.median(times), "scan": plan}


def _scan(node: dict) -> str:
    """The plan's scan of the table (what reads it: which index, or the whole table)."""
    while node.get("Plans") and "Scan" not in node["Node Type"]:
        node = node["Plans"][0]
    if "Bitmap Heap" in node["Node Type"] and node.get("Plans"):
        node = node["Plans"][0]
    return node["Node Type"] + (f" on {node['Index Name']}" if node.get("Index Name") else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", default="mpdb_bench_feed_history")
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    machine = bench.machine()
    admin = psycopg.connect(f"{args.pg}/postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {args.db}")
    url = f"{args.pg}/{args.db}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1"}
    env["DJANGO_SETTINGS_MODULE"] = "mpdb.settings"
    try:
        log("migrate")
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        statement = feed_statement(env)
        with psycopg.connect(url, autocommit=True) as conn:
            log(f"filling {args.history:,} history rows")
            started = time.monotonic()
            fill(conn, args.history)
            log(f"filled in {time.monotonic() - started:.0f} s")
            counts = dict(
                conn.execute(f"SELECT history_type, count(*) FROM {TABLE} GROUP BY 1").fetchall()
            )
            results = {}
            for label, since in SINCE.items():
                with_index = timings(conn, statement, since, args.repeat)
                conn.execute("BEGIN")
                conn.execute(f"DROP INDEX {INDEX}")
                without = timings(conn, statement, since, args.repeat)
                conn.execute("ROLLBACK")
                results[label] = {"with_index": with_index, "without_index": without}
                log(f"{label}: {with_index} | without: {without}")
            server = conn.execute("SHOW server_version").fetchone()[0]
    finally:
        if not args.keep_db:
            admin.execute(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        admin.close()

    machine["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": machine["commit"],
        "command": f"python scripts/bench_feed_history.py --history {args.history} --out {args.out}",
        "machine": machine,
        "postgresql": server,
        "history_rows": counts,
        "statement": statement[0],
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks-feed-history.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / "benchmarks-feed-history.md").write_text(markdown(report))
    log(f"wrote {args.out / 'benchmarks-feed-history.md'}")
    return 0


def markdown(r: dict) -> str:
    m = r["machine"]
    total = sum(r["history_rows"].values())
    lines = [
        "# Benchmark: the change feed's deletions over a long history",
        "",
        "Generated by `scripts/bench_feed_history.py`; do not edit by hand. Raw figures:",
        "`docs/benchmarks-feed-history.json`.",
        "",
        f"- **Date**: {r['date']}; commit `{r['commit']}`",
        f"- **Command**: `{r['command']}`",
        f"- **Machine**: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; load average (1, 5, 15 min) {m['load_before']} before the run, "
        f"{m['load_after']} after (other work on the machine shows here); PostgreSQL "
        f"{r['postgresql']} on the same machine",
        f"- **History**: {total:,} rows of initiatives over a year, "
        f"{r['history_rows'].get('-', 0):,} of them deletions",
        "- **Statement** (each page of the change feed runs it once per type; as the ORM "
        f"compiles `deletions()` in `directory/api/changes.py`): `{r['statement']}`",
        "- **Method**: `EXPLAIN (ANALYZE, BUFFERS)`, the first run and the median of all runs; "
        "without the index = the partial index of deletions dropped in a transaction rolled back "
        "afterwards (only simple-history's index of every row by `history_date` left)",
        "",
        "| since | with the index: first / median ms | what reads the table | "
        "without: first / median ms | what reads the table |",
        "|---|---:|---|---:|---|",
    ]
    for label, row in r["results"].items():
        a, b = row["with_index"], row["without_index"]
        lines.append(
            f"| {label} | {a['first_ms']:.2f} / {a['median_ms']:.2f} | {a['scan']} | "
            f"{b['first_ms']:.1f} / {b['median_ms']:.1f} | {b['scan']} |"
        )
    lines += [
        "",
        "A mirror's first full sync asks for the deletions after each page's cursor, so without",
        "the index each page read most of the history again.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""PostgreSQL plans of the app's own statements, with the planner left one way to read them."""

from django.db import connection


def plan_with_only(index: str, sql: str, *off: str) -> str:
    """``EXPLAIN sql`` after every non-unique index of the initiatives but ``index`` is dropped
    (inside the caller's test transaction) and sequential scans are off, with ``off`` (planner
    methods such as ``"bitmapscan"``) off too: on a test's few rows the planner would otherwise
    prefer whatever is smallest."""
    with connection.cursor() as db:
        db.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'directory_initiative'"
            " AND indexname <> %s AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%%'",
            [index],
        )
        for (name,) in db.fetchall():
            db.execute(f"DROP INDEX {name}")
        for method in ("seqscan", *off):
            db.execute(f"SET LOCAL enable_{method} = off")
        db.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in db.fetchall())

"""``scripts/bench_cold.py --prewarm``: every table and index of the database read into
PostgreSQL's shared buffers before a cold run, and refused when the buffers cannot hold them
(the report would claim what is not so)."""

import importlib.util
import sys
from pathlib import Path

import pytest
from django.db import connection

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))  # bench_cold imports its helpers from bench.py
spec = importlib.util.spec_from_file_location("bench_cold", SCRIPTS / "bench_cold.py")
bench_cold = sys.modules.setdefault("bench_cold", importlib.util.module_from_spec(spec))
spec.loader.exec_module(bench_cold)


def config(db: str, pg: str = "postgres://unused"):
    return bench_cold.Config(
        db=db,
        initiatives=0,
        organizations=None,
        reuse=True,
        smoke=False,
        out=Path("."),
        duration=0,
        timeout=1,
        export_timeout=0,
        warmup=0,
        workers=1,
        pg=pg,
    )


def test_a_database_larger_than_the_buffers_is_refused_before_any_page_is_read(monkeypatch):
    asked = []

    def psql(cfg, sql, db="postgres"):
        asked.append(sql)
        return "901|1000" if "shared_buffers" in sql else ""  # pages | buffers

    monkeypatch.setattr(bench_cold, "psql", psql)
    with pytest.raises(SystemExit, match="do not fit in shared_buffers"):
        bench_cold.prewarm(config("mpdb_bench_x"))
    assert not [sql for sql in asked if "pg_prewarm(" in sql]
    asked.clear()
    monkeypatch.setattr(
        bench_cold,
        "psql",
        lambda cfg, sql, db="postgres": (
            asked.append(sql) or ("900|1000" if "shared_buffers" in sql else "7")
        ),
    )
    assert bench_cold.prewarm(config("mpdb_bench_x"))["pages"] == 7
    assert [sql for sql in asked if "pg_prewarm(" in sql]


@pytest.mark.django_db
def test_the_test_database_is_read_into_the_buffers(on_postgres):
    if not on_postgres:  # SQLite has no shared buffers: the benchmark is PostgreSQL's
        assert connection.vendor == "sqlite"
        return
    s = connection.settings_dict
    pg = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    done = bench_cold.prewarm(config(s["NAME"], pg))
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting::int FROM pg_settings WHERE name = 'shared_buffers'")
        buffers = cursor.fetchone()[0]
        cursor.execute(
            "SELECT sum(pg_relation_size(c.oid)) / current_setting('block_size')::int"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
        )
        tables_and_indexes = int(cursor.fetchone()[0])
    assert done["shared_buffers_pages"] == buffers
    # every table and index (and the TOAST tables and their indexes beside them)
    assert done["pages"] >= tables_and_indexes > 0

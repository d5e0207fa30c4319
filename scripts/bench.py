#!/usr/bin/env python3
"""Benchmark harness (``make bench``, ``make bench-smoke``): the app against two references.

On one PostgreSQL database filled by ``manage.py generate_synthetic`` it starts

- the app under gunicorn (production settings: ``DJANGO_DEBUG=0``),
- reference (a): ``scripts/bench_baseline.py`` under gunicorn, the same paths answered by the
  equivalent ``.values()`` query as JSON (the floor for this stack),
- reference (b): Datasette (from its own venv, ``.venv-bench``) serving the same published
  initiatives exported to SQLite with an FTS index, on the nearest equivalent URLs,

warms up, and for a fixed mix of URLs measures latency (p50/p95/p99) at concurrency 1, requests
per second at concurrency 8, SQL queries per request (in-process, Django's test client with
``CaptureQueriesContext``), response size, app-server RSS, and a bounded full CSV export. Every
request has a timeout and every phase a time limit; load stays on 127.0.0.1. Writes a markdown
report and the raw JSON.

    python scripts/bench.py --initiatives 1000000 --db mpdb_bench --out docs   # what make bench does
    python scripts/bench.py --reuse --db mpdb_bench --out docs                 # measure only
    python scripts/bench.py --smoke --initiatives 5000 --db mpdb_bench_smoke --out /tmp/x

Only the standard library here; Django runs in subprocesses with the project's venv.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import shlex
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BENCH_VENV = ROOT / ".venv-bench"
WORK = ROOT / ".bench"  # exports, logs (git-ignored)
HOST = "127.0.0.1"
PORTS = {"app": 8101, "baseline": 8102, "datasette": 8103}
TARGETS = ("app", "baseline", "datasette")
COMMON_WORD, RARE_WORD = "community", "marimba"
NEAR_ZIP = "80302"  # Boulder, CO

# ------------------------------------------------------------------------------------------
# settings


@dataclass
class Config:
    db: str
    initiatives: int
    organizations: int | None
    reuse: bool
    smoke: bool
    out: Path
    duration: float  # seconds per phase (c=1 and c=8) per URL and target
    timeout: float  # seconds per request
    export_timeout: float
    warmup: int
    workers: int
    concurrency: int = 8
    max_c1_requests: int = 200
    pg: str = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    redis_url: str = ""
    command: str = ""

    @property
    def database_url(self) -> str:
        return f"{self.pg}/{self.db}"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def django_env(cfg: Config, settings: str = "mpdb.settings") -> dict:
    """Production-like settings for the servers, with limits that do not throttle the load."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=cfg.database_url,
        DJANGO_SETTINGS_MODULE=settings,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=_SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        API_RATE_ANON="100000000/minute",
        API_RATE_PARTNER="100000000/minute",
        # A request can never keep the database busy for longer than the client waits.
        PGOPTIONS=f"-c statement_timeout={int(cfg.timeout * 1000)}",
        PYTHONPATH=os.pathsep.join([str(ROOT / "scripts"), str(ROOT)]),
    )
    if cfg.redis_url:
        env["REDIS_URL"] = cfg.redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


_SECRET = secrets.token_urlsafe(50)

# ------------------------------------------------------------------------------------------
# database


def psql(cfg: Config, sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", f"{cfg.pg}/{db}", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def prepare_database(cfg: Config) -> dict:
    """Create the database, migrate, seed, generate. Returns timings."""
    timings = {}
    if not cfg.db.startswith("mpdb_bench"):
        raise SystemExit(f"refusing to (re)create {cfg.db!r}: bench databases are mpdb_bench*")
    psql(cfg, f'DROP DATABASE IF EXISTS "{cfg.db}" WITH (FORCE)')
    psql(cfg, f'CREATE DATABASE "{cfg.db}"')
    env = django_env(cfg)
    env["DJANGO_DEBUG"] = "1"  # management commands need no production posture
    t = time.monotonic()
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    timings["migrate_s"] = time.monotonic() - t
    t = time.monotonic()
    run([PY, "manage.py", "seed"], env=env, stdout=subprocess.DEVNULL)
    timings["seed_s"] = time.monotonic() - t
    t = time.monotonic()
    cmd = [PY, "manage.py", "generate_synthetic", "--initiatives", str(cfg.initiatives)]
    if cfg.organizations is not None:
        cmd += ["--organizations", str(cfg.organizations)]
    if cfg.smoke:  # small chunks, so the smoke run exercises the parallel writers too
        cmd += ["--chunk", "1000"]
    log("$ " + " ".join(cmd[1:]))
    summary = ""
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:  # progress, as it comes
            print("    " + line.rstrip(), flush=True)
            if line.startswith("Done:"):
                summary = line.strip()
    if proc.returncode:
        raise SystemExit(f"generate_synthetic failed ({proc.returncode})")
    timings["generate_s"] = time.monotonic() - t
    timings["generate_summary"] = summary
    return timings


def data_facts(cfg: Config) -> dict:
    q = lambda sql: psql(cfg, sql, cfg.db)  # noqa: E731
    published = (
        "FROM directory_initiative i JOIN directory_organization o ON o.id = i.organization_id "
        "WHERE i.status = 'published' AND o.status = 'published'"
    )
    facts = {
        "initiatives": int(q("SELECT count(*) FROM directory_initiative")),
        "synthetic_initiatives": int(
            q("SELECT count(*) FROM directory_initiative WHERE is_demo AND slug LIKE 'synthetic-%'")
        ),
        "published_initiatives": int(q(f"SELECT count(*) {published}")),
        "organizations": int(q("SELECT count(*) FROM directory_organization")),
        "initiative_roles": int(q("SELECT count(*) FROM directory_initiative_roles")),
        "initiative_goals": int(q("SELECT count(*) FROM directory_initiative_goals")),
        "database_size": q(f"SELECT pg_size_pretty(pg_database_size('{cfg.db}'))"),
        "postgresql": q("SHOW server_version"),
        # Its own cache: at a million initiatives what a request reads is mostly outside the
        # 128 MB PostgreSQL is installed with (docs/deploy.md says how to size it).
        "shared_buffers": q("SHOW shared_buffers"),
        "fingerprint": q(
            "SELECT count(*) || '-' || coalesce(max(id), 0) || '-' || coalesce(max(updated_at)::text, '') "
            "FROM directory_initiative"
        ),
        "search_vector_missing": int(
            q("SELECT count(*) FROM directory_initiative WHERE search_vector IS NULL")
        ),
    }
    row = q(
        f"SELECT i.slug, i.uuid, i.id {published} AND i.id >= "
        "(SELECT (min(id) + max(id)) / 2 FROM directory_initiative) ORDER BY i.id LIMIT 1"
    )
    if not row:
        row = q(f"SELECT i.slug, i.uuid, i.id {published} ORDER BY i.id LIMIT 1")
    facts["detail_slug"], facts["detail_uuid"], facts["detail_id"] = row.split("|")
    facts["group"] = q('SELECT slug FROM roles_rolegroup ORDER BY "order" LIMIT 1 OFFSET 3')
    facts["goal"] = q("SELECT slug FROM goals_goal ORDER BY number LIMIT 1 OFFSET 4")
    facts["since"] = q(
        "SELECT to_char((max(updated_at) - interval '1 day') AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\') FROM directory_initiative'
    )
    return facts


# ------------------------------------------------------------------------------------------
# the SQLite export for Datasette


def export_sqlite(cfg: Config, facts: dict) -> Path:
    """The published initiatives as one SQLite table (roles, goals, groups as JSON arrays), with
    indexes on the filtered columns and an FTS5 index; reused while the data is unchanged."""
    folder = WORK / cfg.db
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"  # Datasette names the database after the file: /bench/…
    stamp = folder / "fingerprint"
    if path.exists() and stamp.exists() and stamp.read_text() == facts["fingerprint"]:
        log(f"SQLite export {path} is current; reusing it")
        return path
    path.unlink(missing_ok=True)
    t = time.monotonic()
    sql = """
      COPY (
        SELECT i.id, i.uuid, i.slug, i.title, i.summary, i.description, i.organization_id,
               o.name, o.slug, i.city, i.state, i.postal_code, i.county, i.latitude, i.longitude,
               i.scope, i.welcomes_newcomers::int, i.source, i.is_demo::int,
               to_char(i.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               to_char(i.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               coalesce((SELECT json_agg(r.slug ORDER BY r.number) FROM directory_initiative_roles x
                         JOIN roles_role r ON r.id = x.role_id WHERE x.initiative_id = i.id), '[]'),
               coalesce((SELECT json_agg(g.slug ORDER BY g.number) FROM directory_initiative_goals x
                         JOIN goals_goal g ON g.id = x.goal_id WHERE x.initiative_id = i.id), '[]'),
               coalesce((SELECT json_agg(DISTINCT rg.slug) FROM directory_initiative_roles x
                         JOIN roles_role r ON r.id = x.role_id JOIN roles_rolegroup rg ON rg.id = r.group_id
                         WHERE x.initiative_id = i.id), '[]')
        FROM directory_initiative i JOIN directory_organization o ON o.id = i.organization_id
        WHERE i.status = 'published' AND o.status = 'published'
      ) TO STDOUT WITH (FORMAT csv)
    """
    columns = (
        "id INTEGER PRIMARY KEY, uuid TEXT, slug TEXT, title TEXT, summary TEXT, description TEXT, "
        "organization_id INTEGER, organization_name TEXT, organization_slug TEXT, city TEXT, "
        "state TEXT, postal_code TEXT, county TEXT, latitude REAL, longitude REAL, scope TEXT, "
        "welcomes_newcomers INTEGER, source TEXT, is_demo INTEGER, published_at TEXT, "
        "updated_at TEXT, roles TEXT, goals TEXT, role_groups TEXT"
    )
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute(f"CREATE TABLE initiatives ({columns})")
    proc = subprocess.Popen(
        ["psql", cfg.database_url, "-v", "ON_ERROR_STOP=1", "-qc", " ".join(sql.split())],
        stdout=subprocess.PIPE,
        text=True,
    )
    import csv

    reader = csv.reader(proc.stdout)
    batch, n = [], 0
    for row in reader:
        batch.append([None if v == "" and i in (13, 14) else v for i, v in enumerate(row)])
        if len(batch) >= 20000:
            db.executemany(f"INSERT INTO initiatives VALUES ({','.join('?' * 24)})", batch)
            n += len(batch)
            batch = []
    if batch:
        db.executemany(f"INSERT INTO initiatives VALUES ({','.join('?' * 24)})", batch)
        n += len(batch)
    if proc.wait() != 0:
        raise SystemExit("exporting to SQLite failed")
    for cols in (
        "state",
        "scope",
        "published_at",
        "updated_at",
        "slug",
        "latitude, longitude",
        "welcomes_newcomers",
        "uuid",
    ):
        name = "idx_" + cols.replace(", ", "_")
        db.execute(f"CREATE INDEX {name} ON initiatives ({cols})")
    db.commit()
    db.close()
    log(f"exported {n:,} published initiatives to {path} in {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    run(
        [
            str(BENCH_VENV / "bin" / "sqlite-utils"),
            "enable-fts",
            str(path),
            "initiatives",
            "title",
            "summary",
            "description",
            "organization_name",
            "--fts5",
        ]
    )
    run([str(BENCH_VENV / "bin" / "sqlite-utils"), "analyze", str(path)])
    log(f"FTS5 index and ANALYZE in {time.monotonic() - t:.1f} s")
    stamp.write_text(facts["fingerprint"])
    return path


# ------------------------------------------------------------------------------------------
# servers


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    log_path: Path
    sqlite_path: Path | None = None
    restarts: int = 0


def wait_ready(server: Server, path: str = "/", limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise SystemExit(f"{server.name} exited; see {server.log_path}")
        try:
            conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{server.name} did not answer within {limit} s; see {server.log_path}")


def start_servers(cfg: Config, sqlite_path: Path | None) -> dict[str, Server]:
    WORK.mkdir(exist_ok=True)
    for name in TARGETS:
        _port_free(PORTS[name])
    servers: dict[str, Server] = {}
    try:
        _launch(cfg, sqlite_path, servers)
        for server in servers.values():
            _wait(server)
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def _launch(cfg: Config, sqlite_path: Path | None, servers: dict[str, Server]) -> None:
    for name in TARGETS:
        if name != "datasette" or sqlite_path is not None:
            servers[name] = _launch_one(cfg, name, sqlite_path)


def _launch_one(cfg: Config, name: str, sqlite_path: Path | None) -> Server:
    port = PORTS[name]
    log_path = WORK / f"{name}.log"
    if name == "datasette":
        limit = str(int(cfg.timeout * 1000))
        cmd = [
            str(BENCH_VENV / "bin" / "datasette"),
            "serve",
            "-i",
            str(sqlite_path),
            "--host",
            HOST,
            "--port",
            str(port),
            "--setting",
            "sql_time_limit_ms",
            limit,
            "--setting",
            "facet_time_limit_ms",
            limit,
            "--setting",
            "default_page_size",
            "20",
            "--setting",
            "suggest_facets",
            "off",
            "--setting",
            "max_csv_mb",
            "0",  # stream every row, as the app does
        ]
        env = None
    else:
        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "mpdb.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(cfg.workers),
            "--worker-class",
            "sync",
            "--timeout",
            str(int(max(cfg.timeout, cfg.export_timeout) + 30)),
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        env = django_env(cfg, "mpdb.settings" if name == "app" else "bench_baseline")
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=log_path.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Server(name, proc, port, log_path, sqlite_path)


def restart(cfg: Config, servers: dict[str, Server], name: str) -> None:
    """Stop one server and start it again: requests the client gave up on may still be
    running there (Datasette queues them on its SQL threads), and would slow down the next
    URL. Counted in the report."""
    old = servers[name]
    stop_servers({name: old})
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex((HOST, old.port)) != 0:
                break
        time.sleep(0.1)
    servers[name] = _launch_one(cfg, name, old.sqlite_path)
    servers[name].restarts = old.restarts + 1
    _wait(servers[name])


READY_PATHS = {
    "app": "/robots.txt",
    "baseline": "/api/v1/changes/?limit=1",
    "datasette": "/-/versions.json",
}


def _wait(server: Server) -> None:
    wait_ready(server, READY_PATHS[server.name])
    log(f"{server.name} is up on {HOST}:{server.port} (pid {server.proc.pid})")


def _port_free(port: int) -> None:
    with socket.socket() as s:
        if s.connect_ex((HOST, port)) == 0:
            raise SystemExit(f"port {port} is busy: another bench still running?")


def stop_servers(servers: dict[str, Server]) -> None:
    for server in servers.values():
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGTERM)
    for server in servers.values():
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return pids


def memory(pids: list[int]) -> dict:
    """VmRSS (now) and VmHWM (peak) of processes, in MiB."""
    rss, hwm = [], []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss.append(int(values.get("VmRSS", "0 kB").split()[0]) / 1024)
        hwm.append(int(values.get("VmHWM", "0 kB").split()[0]) / 1024)
    return {
        "processes": len(rss),
        "rss_total_mib": round(sum(rss), 1),
        "rss_max_mib": round(max(rss, default=0), 1),
        "peak_max_mib": round(max(hwm, default=0), 1),
    }


def server_pids(server: Server) -> list[int]:
    return worker_pids(server.proc.pid) if server.name != "datasette" else [server.proc.pid]


# ------------------------------------------------------------------------------------------
# the URL mix


def url_mix(cfg: Config, facts: dict, sqlite_path: Path | None) -> list[dict]:
    """Each URL of the mix with its app path (also served by the baseline) and its nearest
    Datasette equivalent (None where there is none)."""
    goal, state, group = facts["goal"], "CA", facts["group"]
    pages = max(1, -(-facts["published_initiatives"] // 20))
    deep = max(1, int(pages * 0.8))
    facets = "&_facet=state&_facet=scope&_facet_array=goals&_facet_array=role_groups"
    table = "/bench/initiatives"
    lat, lon = _zip_point(NEAR_ZIP)

    def box(miles: float) -> str:
        import math

        dlat = miles / 69.0
        dlon = miles / (69.172 * max(math.cos(math.radians(lat)), 0.01))
        return (
            f"latitude__gte={lat - dlat:.4f}&latitude__lte={lat + dlat:.4f}"
            f"&longitude__gte={lon - dlon:.4f}&longitude__lte={lon + dlon:.4f}"
        )

    deep_next = _datasette_next_token(sqlite_path, (deep - 1) * 20) if sqlite_path else None
    coverage_sql = urllib.parse.quote(
        "select r.value as role, g.value as goal, count(*) as n from initiatives, "
        "json_each(initiatives.roles) r, json_each(initiatives.goals) g group by 1, 2"
    )
    mix = [
        ("home", "/", "/"),
        ("list, unfiltered", "/initiatives/", f"{table}?_sort_desc=published_at{facets}"),
        (
            "goal + state",
            f"/initiatives/?goal={goal}&state={state}",
            f"{table}?goals__arraycontains={goal}&state={state}&_sort_desc=published_at{facets}",
        ),
        (
            "role group + scope",
            f"/initiatives/?group={group}&scope=local",
            f"{table}?role_groups__arraycontains={group}&scope=local&_sort_desc=published_at{facets}",
        ),
        (
            f"q, common word ({COMMON_WORD})",
            f"/initiatives/?q={COMMON_WORD}",
            f"{table}?_search={COMMON_WORD}{facets}",
        ),
        (
            f"q, rare word ({RARE_WORD})",
            f"/initiatives/?q={RARE_WORD}",
            f"{table}?_search={RARE_WORD}{facets}",
        ),
        (
            f"near {NEAR_ZIP}, 25 mi",
            f"/initiatives/?near={NEAR_ZIP}&radius=25",
            f"{table}?{box(25)}&_sort_desc=published_at{facets}",
        ),
        (
            f"near {NEAR_ZIP}, 100 mi",
            f"/initiatives/?near={NEAR_ZIP}&radius=100",
            f"{table}?{box(100)}&_sort_desc=published_at{facets}",
        ),
        (
            f"deep page ({deep:,} of {pages:,})",
            f"/initiatives/?page={deep}",
            f"{table}?_sort_desc=published_at&_next={deep_next}{facets}" if deep_next else None,
        ),
        ("detail", f"/initiatives/{facts['detail_slug']}/", f"{table}/{facts['detail_id']}"),
        (
            "API list, filtered",
            f"/api/v1/initiatives/?goal={goal}&state={state}&newcomers=true",
            f"{table}.json?goals__arraycontains={goal}&state={state}&welcomes_newcomers=1"
            "&_sort_desc=published_at&_shape=objects",
        ),
        (
            "API detail",
            f"/api/v1/initiatives/{facts['detail_uuid']}/",
            f"{table}/{facts['detail_id']}.json?_shape=objects",
        ),
        (
            "change feed",
            f"/api/v1/changes/?since={facts['since']}&limit=100",
            f"{table}.json?updated_at__gt={facts['since']}&_sort=updated_at&_size=100&_shape=objects",
        ),
        (
            "CSV export, filtered",
            f"/api/v1/initiatives/?format=csv&goal={goal}&state={state}",
            f"{table}.csv?goals__arraycontains={goal}&state={state}&_stream=on&_size=max",
        ),
        ("coverage", "/coverage/", f"/bench.json?sql={coverage_sql}&_shape=array"),
    ]
    return [
        {"name": name, "app": path, "baseline": path, "datasette": ds if sqlite_path else None}
        for name, path, ds in mix
    ]


def _zip_point(code: str) -> tuple[float, float]:
    out = subprocess.run(
        [
            PY,
            "-c",
            f"import zipcodes; z = zipcodes.matching('{code}')[0]; print(z['lat'], z['long'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    lat, lon = out.stdout.split()
    return float(lat), float(lon)


def _tilde(value: str) -> str:
    """Datasette's tilde-encoding of a value in a ``_next`` token."""
    safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "".join(c if c in safe else "".join(f"~{b:02X}" for b in c.encode()) for c in value)


def _datasette_next_token(sqlite_path: Path, offset: int) -> str | None:
    """The keyset token Datasette would hand out for the page after row ``offset``."""
    if offset <= 0:
        return None
    db = sqlite3.connect(sqlite_path)
    row = db.execute(
        "SELECT published_at, id FROM initiatives ORDER BY published_at DESC, id DESC "
        "LIMIT 1 OFFSET ?",
        (offset - 1,),
    ).fetchone()
    db.close()
    return f"{_tilde(row[0])},{row[1]}" if row else None


# ------------------------------------------------------------------------------------------
# load


@dataclass
class Sample:
    seconds: float
    status: int  # 0: timeout or connection error
    size: int


def fetch(port: int, path: str, timeout: float, conn: list) -> Sample:
    """One GET over a kept-alive connection (reopened when the server closed it)."""
    started = time.monotonic()
    for attempt in (0, 1):
        if not conn:
            conn.append(http.client.HTTPConnection(HOST, port, timeout=timeout))
        c = conn[0]
        try:
            c.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = c.getresponse()
            size = 0
            while True:
                chunk = response.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if time.monotonic() - started > timeout:
                    raise TimeoutError
            if response.will_close:
                c.close()
                conn.clear()
            return Sample(time.monotonic() - started, response.status, size)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            c.close()
            conn.clear()
            if attempt:
                return Sample(time.monotonic() - started, 0, 0)
        except (TimeoutError, OSError):
            c.close()
            conn.clear()
            return Sample(time.monotonic() - started, 0, 0)
    return Sample(time.monotonic() - started, 0, 0)


def phase(
    port: int,
    path: str,
    concurrency: int,
    duration: float,
    timeout: float,
    max_requests: int | None = None,
    min_requests: int = 0,
) -> dict:
    """Requests from ``concurrency`` threads for ``duration`` seconds (no new request starts
    after that; one already running may take up to ``timeout``), or until ``min_requests``
    were made if that comes later."""
    samples: list[Sample] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker():
        conn: list = []
        while True:
            with lock:
                if max_requests is not None and len(samples) >= max_requests:
                    break
                if time.monotonic() >= stop_at and len(samples) >= min_requests:
                    break
            sample = fetch(port, path, timeout, conn)
            with lock:
                samples.append(sample)
            if sample.status == 0:
                break  # a timed-out URL gets no further requests from this thread
        if conn:
            conn[0].close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout * (1 + min_requests) + 5)
    wall = time.monotonic() - started
    ok = [s for s in samples if s.status == 200]
    times = sorted(s.seconds * 1000 for s in ok)
    statuses: dict[str, int] = {}
    for s in samples:
        key = "timeout" if s.status == 0 else str(s.status)
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "requests": len(samples),
        "ok": len(ok),
        "statuses": statuses,
        "wall_s": round(wall, 3),
        "rps": round(len(ok) / wall, 2) if wall else 0,
        "p50_ms": _pct(times, 50),
        "p95_ms": _pct(times, 95),
        "p99_ms": _pct(times, 99),
        "mean_ms": round(statistics.fmean(times), 1) if times else None,
        "size_bytes": ok[-1].size if ok else None,
    }


def _pct(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return round(sorted_values[k], 1)


def measure(cfg: Config, servers: dict[str, Server], mix: list[dict]) -> None:
    for item in mix:
        item["results"] = {}
        for target in TARGETS:
            path = item.get(target)
            if target not in servers or not path:
                continue
            port = servers[target].port
            c1, c8 = _measure_one(cfg, port, path)
            if any("timeout" in r["statuses"] for r in (c1, c8)):
                restart(cfg, servers, target)
            item["results"][target] = {"c1": c1, "c8": c8}
            log(
                f"{item['name']:<32} {target:<9} p50 {_ms(c1['p50_ms']):>9}  "
                f"p95 {_ms(c1['p95_ms']):>9}  {_num(c8['rps']):>8} req/s  {c1['statuses']} {c8['statuses']}"
            )


def _measure_one(cfg: Config, port: int, path: str) -> tuple[dict, dict]:
    """Warm up, then the c=1 and c=8 phases. A URL whose first request fails (a timeout, say)
    is not loaded further: the result says so, and the run stays bounded."""
    first = phase(port, path, 1, 0, cfg.timeout, min_requests=1)
    if not first["ok"]:
        skipped = _skipped()
        return {**first, "note": "first warm-up request failed; not measured further"}, skipped
    if first["p50_ms"] < 2000:
        # Fast enough: every worker process serves it a few times before measuring.
        phase(port, path, cfg.workers, 0, cfg.timeout, min_requests=cfg.warmup * cfg.workers)
    c1 = phase(port, path, 1, cfg.duration, cfg.timeout, cfg.max_c1_requests)
    # The run starts with an empty cache: the first request shows what an uncached URL costs.
    c1["cold_ms"] = first["p50_ms"]
    c8 = phase(port, path, cfg.concurrency, cfg.duration, cfg.timeout) if c1["ok"] else _skipped()
    return c1, c8


def _skipped() -> dict:
    return {
        "requests": 0,
        "ok": 0,
        "statuses": {},
        "wall_s": 0,
        "rps": None,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "mean_ms": None,
        "size_bytes": None,
        "note": "not run: no request succeeded at concurrency 1",
    }


def _lat(result: dict | None, key: str, timeout: float) -> str:
    """A latency cell: the figure, or what happened instead."""
    if result is None:
        return "n/a"
    phase_ = result["c1"]
    if phase_["ok"]:
        return _ms(phase_[key])
    return f"timeout (> {timeout:g} s)" if "timeout" in phase_["statuses"] else "error"


def _p50_ratio(app: dict | None, ref: dict | None, timeout: float) -> str:
    if app is None or ref is None or not ref["c1"]["ok"]:
        return "n/a"
    a, b = app["c1"]["p50_ms"], ref["c1"]["p50_ms"]
    if not app["c1"]["ok"]:
        return f"> {timeout * 1000 / b:,.0f}×" if "timeout" in app["c1"]["statuses"] else "n/a"
    return _ratio(a, b)


def _ms(value) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


def full_export(cfg: Config, servers: dict[str, Server]) -> dict:
    """Every published initiative as CSV, read for at most ``export_timeout`` seconds, with
    the serving processes' memory sampled while it streams."""
    paths = {
        "app": "/api/v1/initiatives/?format=csv",
        "baseline": "/api/v1/initiatives/?format=csv",
        "datasette": "/bench/initiatives.csv?_stream=on&_size=max",
    }
    results = {}
    for target, path in paths.items():
        if target not in servers:
            continue
        server = servers[target]
        pids = server_pids(server)
        before = memory(pids)
        peak = [before["rss_max_mib"]]
        done = threading.Event()

        def sample(pids=pids, peak=peak, done=done):
            while not done.wait(0.25):
                peak.append(memory(pids)["rss_max_mib"])

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        rows = size = 0
        status = 0
        complete = False
        try:
            conn = http.client.HTTPConnection(HOST, server.port, timeout=cfg.export_timeout)
            conn.request("GET", path)
            response = conn.getresponse()
            status = response.status
            while time.monotonic() - started < cfg.export_timeout:
                chunk = response.read(1 << 16)
                if not chunk:
                    complete = True
                    break
                size += len(chunk)
                rows += chunk.count(b"\n")
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            log(f"full export from {target}: {exc!r}")
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
        rows = max(0, rows - 1)  # the header
        results[target] = {
            "status": status,
            "complete": complete,
            "rows": rows,
            "bytes": size,
            "seconds": round(elapsed, 2),
            "rows_per_s": round(rows / elapsed) if elapsed else 0,
            "rss_before_mib": before["rss_max_mib"],
            "rss_peak_mib": round(max(peak), 1),
        }
        log(f"full export {target}: {results[target]}")
        time.sleep(1)  # let an aborted stream's worker notice and recover
    return results


# ------------------------------------------------------------------------------------------
# SQL queries per request (in-process, the same database)

COUNT_SCRIPT = r"""
import json, sys, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
out = []
client = Client()
for path in json.loads(sys.argv[1]):
    try:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
            if response.streaming:
                b"".join(response.streaming_content)
        out.append({"queries": len(ctx.captured_queries), "status": response.status_code})
    except Exception as exc:  # a statement timeout, for instance
        out.append({"queries": None, "status": None, "error": repr(exc)[:200]})
print(json.dumps(out))
"""


def count_queries(cfg: Config, mix: list[dict]) -> None:
    for target, settings in (("app", "mpdb.settings"), ("baseline", "bench_baseline")):
        paths = [item[target] for item in mix]
        try:
            out = subprocess.run(
                [PY, "-c", COUNT_SCRIPT, json.dumps(paths)],
                cwd=ROOT,
                env=django_env(cfg, settings),
                capture_output=True,
                text=True,
                timeout=cfg.timeout * len(paths) + 60,
                check=True,
            )
            counts = json.loads(out.stdout.strip().splitlines()[-1])
        except (subprocess.SubprocessError, json.JSONDecodeError, IndexError) as exc:
            log(f"counting queries for {target} failed: {exc!r}")
            counts = [{"queries": None, "status": None}] * len(paths)
        for item, count in zip(mix, counts, strict=True):
            item.setdefault("queries", {})[target] = count


# ------------------------------------------------------------------------------------------
# report


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = subprocess.run(["free", "-m"], capture_output=True, text=True).stdout.splitlines()[1]
        mem = f"{int(mem.split()[1]):,} MiB"
    except (OSError, IndexError, ValueError):
        pass
    versions = {}
    for name, exe in (
        ("gunicorn", ROOT / ".venv/bin/gunicorn"),
        ("datasette", BENCH_VENV / "bin/datasette"),
    ):
        try:
            versions[name] = (
                subprocess.run([str(exe), "--version"], capture_output=True, text=True)
                .stdout.strip()
                .split()[-1]
                .strip("()")
            )
        except (OSError, IndexError):
            versions[name] = "?"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "kernel": platform.release(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "commit": commit + ("+changes" if dirty else ""),
        **versions,
    }


def _ratio(a, b) -> str:
    if a is None or b is None or not b:
        return "n/a"
    return f"{a / b:,.1f}×"


def _kb(size) -> str:
    if size is None:
        return "–"
    return f"{size / 1024:,.1f} KiB" if size < 1024 * 1024 else f"{size / 1048576:,.1f} MiB"


def _errors(result: dict) -> str:
    bad = {k: v for k, v in {**result["c1"]["statuses"]}.items() if k != "200"}
    for k, v in result["c8"]["statuses"].items():
        if k != "200":
            bad[k] = bad.get(k, 0) + v
    return ", ".join(f"{v}× {k}" for k, v in sorted(bad.items())) or "–"


def write_report(cfg: Config, results: dict, path: Path) -> None:
    m, d, mix = results["machine"], results["data"], results["mix"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench.py` (`make bench`); do not edit by hand. Raw figures: "
        f"`{results['json_name']}`.",
        "",
        "**Nearly every figure here is a cache hit**: one URL asked again and again, so after its "
        "first request the app answers from its cache. What most citizens get, the *first* "
        "request for a URL, is measured on distinct URLs of every kind against the floor view "
        "and Datasette in `benchmarks-cold-100k.md` and `benchmarks-cold-1m.md` (`make bench` "
        "writes the one of its size after this file; `make bench-cold` only that).",
        "",
        f"- **Date**: {results['date']}; commit `{m['commit']}`",
        f"- **Command**: `{results['command']}`",
        f"- **Machine**: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; load average (1, 5, 15 min) {m['load_before']} before the run, "
        f"{m.get('load_after', '?')} after (other work on the machine shows here)",
        f"- **Database**: PostgreSQL {d['postgresql']} on the same machine, `{cfg.db}` "
        f"({d['database_size']}): {d['initiatives']:,} initiatives "
        f"({d['synthetic_initiatives']:,} synthetic; {d['published_initiatives']:,} published "
        f"and visible), {d['organizations']:,} organizations, {d['initiative_roles']:,} "
        f"initiative–role and {d['initiative_goals']:,} initiative–goal links",
        f"- **App**: gunicorn {m.get('gunicorn', '?')}, {cfg.workers} sync workers, "
        f"`DJANGO_DEBUG=0`, cache: {'Redis' if cfg.redis_url else 'local memory'}; "
        f"PostgreSQL `statement_timeout` = request timeout = {cfg.timeout:g} s",
        f"- **References**: (a) baseline = `scripts/bench_baseline.py` under the same gunicorn "
        f"set-up (same paths, equivalent `.values()` query incl. the total count, JSON, no "
        f"middleware); (b) Datasette {m.get('datasette', '?')} (`-i`, limits raised to the "
        f"request timeout, facet suggestions off) on a SQLite export of the published "
        f"initiatives with FTS5",
        f"- **Method**: per URL and server: {cfg.warmup * cfg.workers} warm-up requests "
        f"({cfg.workers} at a time), then "
        f"{cfg.duration:g} s at concurrency 1 (at most {cfg.max_c1_requests} requests) for "
        f"latency, then {cfg.duration:g} s at concurrency {cfg.concurrency} for requests/s; "
        f"the load generator (Python threads, `http.client`) runs on the same 2 cores; a "
        f"request taking more than {cfg.timeout:g} s counts as a timeout, a URL whose first "
        f"request fails is not loaded further, and a server is restarted after a URL with "
        f"timeouts (abandoned requests keep running there and would slow the next URL): "
        + ", ".join(f"{k} {v}×" for k, v in results.get("restarts", {}).items()),
    ]
    if results.get("prepare"):
        p = results["prepare"]
        parts = [
            f"{label} {p[key]:.0f} s"
            for key, label in (("migrate_s", "migrate"), ("seed_s", "seed"))
            if p.get(key) is not None
        ]
        parts.append(
            f"`generate_synthetic --initiatives {p.get('initiatives', cfg.initiatives):,}` "
            f"{p['generate_s']:.0f} s ({p['generate_summary'].removeprefix('Done: ')})"
        )
        when = f" (when the data was generated, {p.get('date', '?')})" if cfg.reuse else ""
        lines.append(f"- **Set-up**{when}: " + ", ".join(parts))
    lines += [
        "",
        "## The app",
        "",
        "Latency at concurrency 1, throughput at concurrency 8; SQL queries counted in-process "
        "(Django test client, same database); size of the response body. The run starts with an "
        "empty cache, so *first request* is the URL uncached (counts, facets and pages are then "
        "cached until a listing changes); p50/p95/p99 are measured after the warm-up, warm.",
        "",
        "| URL | first request (cold cache) | p50 | p95 | p99 | req/s (c=8) | SQL queries | size "
        "| errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for item in mix:
        r = item["results"].get("app")
        q = item.get("queries", {}).get("app", {}).get("queries")
        if r is None:
            continue
        t = cfg.timeout
        lines.append(
            f"| {item['name']} `{_short(item['app'])}` | {_ms(r['c1'].get('cold_ms'))} | "
            f"{_lat(r, 'p50_ms', t)} | "
            f"{_lat(r, 'p95_ms', t)} | {_lat(r, 'p99_ms', t)} | {_rps(r)} | "
            f"{'?' if q is None else q} | {_kb(r['c1']['size_bytes'])} | {_errors(r)} |"
        )
    lines += [
        "",
        "## Against the references",
        "",
        "Ratios are app ÷ reference for p50 latency (higher = the app is slower) and "
        "reference ÷ app for requests/s (higher = the reference serves more). n/a: no "
        "equivalent URL, or no successful request.",
        "",
        "| URL | app p50 | baseline p50 | Datasette p50 | app req/s | baseline req/s | "
        "Datasette req/s | p50 vs baseline | p50 vs Datasette | req/s baseline÷app | "
        "req/s Datasette÷app |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for item in mix:
        r = item["results"]

        def get(target, ph, key, r=r):
            return r[target][ph][key] if target in r else None

        app, base, ds = (r.get(t) for t in TARGETS)
        ar, br, dr = (get(t, "c8", "rps") for t in TARGETS)
        t = cfg.timeout
        lines.append(
            f"| {item['name']} | {_lat(app, 'p50_ms', t)} | {_lat(base, 'p50_ms', t)} | "
            f"{_lat(ds, 'p50_ms', t)} | {_rps(app)} | {_rps(base)} | {_rps(ds)} | "
            f"{_p50_ratio(app, base, t)} | {_p50_ratio(app, ds, t)} | {_ratio(br, ar or None)} | "
            f"{_ratio(dr, ar or None)} |"
        )
    lines += [
        "",
        "Baseline SQL queries per request: "
        + ", ".join(
            f"{item['name']} {item.get('queries', {}).get('baseline', {}).get('queries', '?')}"
            for item in mix
        )
        + ".",
    ]
    lines += ["", "Datasette equivalents:", ""]
    for item in mix:
        lines.append(
            f"- {item['name']}: "
            + (f"`{_short(item['datasette'], 160)}`" if item.get("datasette") else "n/a")
        )
    e = results["export"]
    lines += [
        "",
        "## Full CSV export",
        "",
        f"Every published initiative as CSV, read for at most {cfg.export_timeout:g} s; "
        "memory is the serving process's resident set, sampled every 0.25 s.",
        "",
        "| server | complete | rows read | seconds | rows/s | MiB/s | RSS before | RSS peak |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for target, x in e.items():
        lines.append(
            f"| {target} | {_export_state(x)} "
            f"| {x['rows']:,} | {x['seconds']:,} | {x['rows_per_s']:,} | "
            f"{x['bytes'] / 1048576 / x['seconds'] if x['seconds'] else 0:,.1f} | "
            f"{x['rss_before_mib']:,} MiB | {x['rss_peak_mib']:,} MiB |"
        )
    mem = results["memory"]
    lines += [
        "",
        "## App server memory",
        "",
        'Of the gunicorn workers (sum and largest); "after" is after the full export, of the '
        "processes running then (see the restarts above).",
        "",
        "| | workers | RSS total | RSS largest worker | peak (VmHWM) largest worker |",
        "|---|---:|---:|---:|---:|",
    ]
    for when in ("before", "after"):
        x = mem["app"][when]
        lines.append(
            f"| {when} the run | {x['processes']} | {x['rss_total_mib']:,} MiB | "
            f"{x['rss_max_mib']:,} MiB | {x['peak_max_mib']:,} MiB |"
        )
    lines += [
        "",
        "## Reproducing",
        "",
        "- `make bench` recreates the database `mpdb_bench` (migrate, `manage.py seed`, "
        "`manage.py generate_synthetic --initiatives 1000000`), exports it for Datasette, runs "
        "everything above and rewrites this file and its JSON; then, on the same database, the "
        "cold mix (`scripts/bench_cold.py`: 40 distinct URLs of every kind, each asked once "
        "with the app's cache emptied) and rewrites `benchmarks-cold-1m.md` and its JSON. "
        "`BENCH_INITIATIVES=…` changes the size (and the cold report's name).",
        "- `make bench BENCH_REUSE=1` measures the existing `mpdb_bench` again without "
        "regenerating it (the SQLite export is reused while the data is unchanged).",
        "- `make bench-smoke` (CI) does the same on 5,000 initiatives with half-second phases, writes "
        "to a temporary folder and fails only if a URL does not answer 200.",
        "- `manage.py generate_synthetic --remove` deletes the synthetic rows (and only those).",
        "",
    ]
    path.write_text("\n".join(lines))


def _rps(result: dict | None) -> str:
    if result is None:
        return "n/a"
    c8 = result["c8"]
    if c8["rps"] is None:
        return "not run"
    if not c8["ok"]:
        return "0 (timeouts)" if "timeout" in c8["statuses"] else "0 (errors)"
    return f"{c8['rps']:,}"


def _export_state(x: dict) -> str:
    if x["status"] != 200:
        return f"HTTP {x['status'] or 'error'}"
    return "yes" if x["complete"] else "no (stopped at the limit)"


def _num(v) -> str:
    return "–" if v is None else f"{v:,}"


def _short(path: str, limit: int = 70) -> str:
    path = urllib.parse.unquote(path)
    return path if len(path) <= limit else path[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------


def redis_url(url: str | None = None) -> str:
    """``url`` (default ``$BENCH_REDIS_URL``, else Redis database 9), emptied, if Redis answers
    there; "" otherwise (the servers then use local memory)."""
    if url is None:
        url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    if url in ("", "none", "off"):
        return ""
    parsed = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as s:
            db = (parsed.path or "/0").lstrip("/") or "0"
            # The run's own Redis database starts empty: no cache or counters of earlier runs.
            s.sendall(
                f"*2\r\n$6\r\nSELECT\r\n${len(db)}\r\n{db}\r\n*1\r\n$7\r\nFLUSHDB\r\n".encode()
            )
            s.recv(64)
        return url
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "mpdb_bench"))
    parser.add_argument("--initiatives", type=int, default=1_000_000)
    parser.add_argument("--organizations", type=int, default=None)
    parser.add_argument("--reuse", action="store_true", help="Measure the existing database.")
    parser.add_argument("--smoke", action="store_true", help="Short phases; fail unless all 200.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--export-timeout", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--no-datasette", action="store_true")
    args = parser.parse_args(argv)
    # Stopped from outside: still stop the servers (the finally clauses run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cfg = Config(
        db=args.db,
        initiatives=args.initiatives,
        organizations=args.organizations,
        reuse=args.reuse,
        smoke=args.smoke,
        out=args.out,
        duration=args.duration or (0.5 if args.smoke else 5.0),
        timeout=args.timeout or 20.0,
        export_timeout=args.export_timeout or (10.0 if args.smoke else 60.0),
        warmup=1 if args.smoke else 2,
        workers=args.workers,
        max_c1_requests=20 if args.smoke else 200,
        redis_url=redis_url(),
        command=os.environ.get("BENCH_COMMAND")
        or " ".join(["scripts/bench.py", *(argv or sys.argv[1:])]),
    )
    if not cfg.db.startswith("mpdb_bench"):
        raise SystemExit("the bench database's name must start with mpdb_bench")
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": cfg.command,
        "machine": machine(),
    }
    if cfg.reuse:
        exists = psql(cfg, f"SELECT 1 FROM pg_database WHERE datname = '{cfg.db}'")
        if not exists:
            raise SystemExit(f"--reuse: there is no database {cfg.db}; run without it first")
        run(
            [PY, "manage.py", "migrate", "--noinput", "-v0"],
            env={**django_env(cfg), "DJANGO_DEBUG": "1"},
        )
        saved = WORK / cfg.db / "prepare.json"
        if saved.exists():
            results["prepare"] = json.loads(saved.read_text())
    else:
        results["prepare"] = prepare_database(cfg)
        results["prepare"].update(date=results["date"], initiatives=cfg.initiatives)
        (WORK / cfg.db).mkdir(parents=True, exist_ok=True)
        (WORK / cfg.db / "prepare.json").write_text(json.dumps(results["prepare"]))
    facts = data_facts(cfg)
    results["data"] = facts
    log(f"data: {facts['initiatives']:,} initiatives, {facts['published_initiatives']:,} published")
    if not facts["synthetic_initiatives"]:
        log("warning: the database has no synthetic initiatives (manage.py generate_synthetic)")
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env=django_env(cfg))
    use_datasette = not args.no_datasette
    sqlite_path = export_sqlite(cfg, facts) if use_datasette else None
    mix = url_mix(cfg, facts, sqlite_path)
    count_queries(cfg, mix)  # uncached counts; it fills the cache, so empty it again:
    if cfg.redis_url:
        redis_url(cfg.redis_url)  # each URL's first measured request is then truly cold
    servers = start_servers(cfg, sqlite_path)
    try:
        results["memory"] = {"app": {"before": memory(server_pids(servers["app"]))}}
        measure(cfg, servers, mix)
        results["export"] = full_export(cfg, servers)
        results["memory"]["app"]["after"] = memory(server_pids(servers["app"]))
        results["restarts"] = {name: server.restarts for name, server in servers.items()}
    finally:
        stop_servers(servers)
    results["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["mix"] = mix
    results["config"] = {k: str(v) for k, v in cfg.__dict__.items()}
    cfg.out.mkdir(parents=True, exist_ok=True)
    json_path = cfg.out / "benchmarks.json"
    results["json_name"] = (
        str(json_path.relative_to(ROOT)) if json_path.is_relative_to(ROOT) else str(json_path)
    )
    json_path.write_text(json.dumps(results, indent=1, default=str))
    md_path = cfg.out / "benchmarks.md"
    write_report(cfg, results, md_path)
    log(f"wrote {md_path} and {json_path}")
    print(md_path.read_text())
    failures = [
        f"{item['name']} [{target}]: {_errors(r)}"
        for item in mix
        for target, r in item["results"].items()
        if r["c1"]["ok"] == 0
        or r["c1"]["ok"] != r["c1"]["requests"]
        or r["c8"]["ok"] != r["c8"]["requests"]
    ]
    missing = [
        f"{item['name']} [{t}]"
        for item in mix
        for t in TARGETS
        if item.get(t) and t not in item["results"]
    ]
    if failures or missing:
        log("not every request answered 200: " + "; ".join(failures + missing))
        if cfg.smoke:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

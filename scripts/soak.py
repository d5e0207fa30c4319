#!/usr/bin/env python3
"""Load and soak run (``make soak``, ``make soak-smoke``): many clients for minutes, then checks.

Creates a throwaway PostgreSQL database (``mpdb_soak_<pid>``), migrates, seeds
(``manage.py seed`` and ``generate_synthetic``) or, with ``--template``, copies a benchmark
database that already holds all that (CI: the benchmark smoke's), issues one API key per client, starts the app
under gunicorn with production settings (``DJANGO_DEBUG=0``, Redis for cache and rate limits),
and runs ``--clients`` concurrent clients on 127.0.0.1 for ``--duration`` seconds. Each client
loops without pause over a weighted mix: home, lists with filters, search, detail pages, API
list and detail (with its key, or anonymous), the change feed, a small filtered CSV export,
API submissions (``POST /api/v1/submissions/``) and "Report a problem" (the HTML form: GET for
the CSRF token and cookie, then POST). Every write carries a unique marker in its title or
message. The RSS of the gunicorn master and workers is sampled every few seconds.

Afterwards the database is asked for the markers, and the run fails (exit status 1) on

- any 5xx answer, or any request without an answer (timeout, reset connection);
- any answer a valid request should never get (e.g. a 400 for a valid payload, a 403 CSRF
  failure); a ``429`` is counted apart and is neither a failure nor an accepted write;
- any lost write: an accepted write (201 submission, 302 report) that is not stored, a write
  stored twice, a refused one stored anyway, or a submission stored as anything but pending;
- memory growth of the app (master + workers) from the end of the warm-up to the end of the
  run above ``--max-growth-mib`` MiB or ``--max-growth-pct`` per cent.

Rate limits: all clients share one loopback address, which stands for 32 people here, so by
default the soak's own server gets limits that do not bind for the per-address and write limits
(``API_RATE_ANON``, ``API_RATE_SUBMISSIONS``, ``WRITE_RATE``); keyed reads keep the production
limit per key (each client has its own key). ``--limits production`` keeps the app's limits
as configured (its defaults, or ``API_RATE_*`` and ``WRITE_RATE`` from the environment): over
ten minutes most writes are then 429s, and the run shows the limits holding under load.

The database is dropped at the end (also on failure and on SIGTERM) unless ``--keep-db``.
Writes a JSON summary (``--json``) and prints a human one.

    python scripts/soak.py                               # 32 clients, 600 s (make soak)
    python scripts/soak.py --clients 16 --duration 40 --initiatives 2000   # make soak-smoke

Only the standard library; the database and server helpers come from scripts/bench.py.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # scripts/bench.py: the database, server and memory helpers

ROOT = bench.ROOT
PY = bench.PY
HOST = bench.HOST
WORK = bench.WORK / "soak"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"  # the soak's own Redis database (emptied)

# Relative weights of the client actions (one action is one request, except "report": two).
MIX = {
    "home": 8,
    "list": 14,
    "search": 8,
    "detail": 14,
    "organization": 4,
    "api_list": 9,
    "api_detail": 8,
    "changes": 5,
    "csv": 3,
    "submission": 4,
    "report": 4,
}
# What a valid request may be answered with; anything else is "unexpected". 429 is counted
# apart wherever a limit applies.
EXPECTED = {
    "home": {200},
    "list": {200},
    "search": {200},
    "detail": {200},
    "organization": {200},
    "api_list": {200, 429},
    "api_detail": {200, 429},
    "changes": {200, 429},
    "csv": {200, 429},
    "submission": {201, 429},
    "report_form": {200},
    "report": {302, 429},
}
ACCEPTED = {"submission": 201, "report": 302}
SEARCH_WORDS = ("community", "dialogue", "neighbors", "voting", "marimba", "library")
ZIPS = ("80302", "10001", "94110", "60614", "30303", "98101", "55401", "78701")
PRODUCTION_LIMITS_NOTE = (
    "production: the app's own (its defaults, or API_RATE_* and WRITE_RATE as set)"
)
RAISED_LIMITS = {
    # One loopback address stands for every client: a per-address limit would bind at once.
    "API_RATE_ANON": "1000000/minute",
    "WRITE_RATE": "1000000/hour",
    # Per key, but the production rate (60 an hour) would refuse nearly every soak write.
    "API_RATE_SUBMISSIONS": "1000000/hour",
    # API_RATE_PARTNER keeps the production value (1,200 a minute per key, one key a client).
}


def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------------------------------
# settings


@dataclass
class Config:
    db: str
    clients: int
    duration: float
    warmup: float
    workers: int
    initiatives: int
    timeout: float
    limits: str
    max_growth_mib: float
    max_growth_pct: float
    sample_every: float
    max_requests: int
    keep_db: bool
    json_path: Path
    seed: int
    template: str = ""  # copy this database instead of migrating, seeding and generating
    redis_url: str = ""
    pg: str = os.environ.get(
        "SOAK_PG", os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    command: str = ""

    @property
    def database_url(self) -> str:  # bench.django_env reads it
        return f"{self.pg}/{self.db}"


def server_env(cfg: Config) -> dict:
    env = bench.django_env(cfg)  # production posture: DEBUG off, statement timeout, Redis
    for name in ("API_RATE_ANON", "API_RATE_PARTNER"):  # bench.py lifts these; the soak does not
        if name in os.environ:
            env[name] = os.environ[name]
        else:
            env.pop(name, None)
    if cfg.limits == "raised":
        env.update(RAISED_LIMITS)
    return env


# ------------------------------------------------------------------------------------------
# database


def prepare(cfg: Config) -> dict:
    if not re.fullmatch(r"mpdb_soak_\w+", cfg.db):
        raise SystemExit(f"refusing to (re)create {cfg.db!r}: soak databases are mpdb_soak_*")
    bench.psql(cfg, f'DROP DATABASE IF EXISTS "{cfg.db}" WITH (FORCE)')
    env = {**server_env(cfg), "DJANGO_DEBUG": "1"}  # management commands need no production posture
    timings = {}
    t = time.monotonic()
    if cfg.template:
        # A copy of a database the benchmark smoke made (migrated, seeded, synthetic listings):
        # CI's soak smoke then spends its time on the load, not on loading the same data again.
        for attempt in range(10):  # the template must have no sessions: a closing one waits
            try:
                bench.psql(cfg, f'CREATE DATABASE "{cfg.db}" TEMPLATE "{cfg.template}"')
                break
            except subprocess.CalledProcessError as exc:
                if attempt == 9:
                    raise SystemExit(f"copying {cfg.template} failed: {exc.stderr}") from exc
                time.sleep(1)
        bench.run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env)
        timings["template"] = cfg.template
    else:
        bench.psql(cfg, f'CREATE DATABASE "{cfg.db}"')
        bench.run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env)
        bench.run([PY, "manage.py", "seed"], env=env, stdout=subprocess.DEVNULL)
    if cfg.initiatives and not cfg.template:
        bench.run(
            [
                PY,
                "manage.py",
                "generate_synthetic",
                "--initiatives",
                str(cfg.initiatives),
                "--seed",
                str(cfg.seed),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
    timings["prepare_s"] = round(time.monotonic() - t, 1)
    if static_is_current():
        log("staticfiles/ is newer than static/ and the venv: not collecting it again")
    else:  # about a minute: WhiteNoise compresses every file again
        bench.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env=server_env(cfg))
    return timings


def static_is_current() -> bool:
    """Whether ``collectstatic`` has run since anything it collects last changed (the
    project's static/ and the installed packages); a stale manifest would make pages 500."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [ROOT / ".venv" / ".installed", *(ROOT / "static").rglob("*")]
    newest = max((p.stat().st_mtime for p in sources if p.exists()), default=0)
    return manifest.stat().st_mtime > newest


KEYS_SCRIPT = r"""
import json, sys, django
django.setup()
from rest_framework_api_key.models import APIKey
run, n = sys.argv[1], int(sys.argv[2])
print(json.dumps([APIKey.objects.create_key(name=f"soak {run} client {i}")[1] for i in range(n)]))
"""


def issue_keys(cfg: Config, run_id: str) -> list[str]:
    """One partner API key per client (keyed limits count per key, as for real partners)."""
    out = subprocess.run(
        [PY, "-c", KEYS_SCRIPT, run_id, str(cfg.clients)],
        cwd=ROOT,
        env={**server_env(cfg), "DJANGO_DEBUG": "1"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def rows(cfg: Config, sql: str) -> list[list[str]]:
    out = bench.psql(cfg, sql, cfg.db)
    return [line.split("|") for line in out.splitlines() if line]


def facts(cfg: Config) -> dict:
    """What the clients pick from: published listings, taxonomy slugs, states in use."""
    published = (
        "FROM directory_initiative i JOIN directory_organization o ON o.id = i.organization_id "
        "WHERE i.status = 'published' AND o.status = 'published'"
    )
    states = f"{published} AND i.state <> '' ORDER BY 1 LIMIT 30"
    initiatives = rows(cfg, f"SELECT i.slug, i.uuid {published} ORDER BY i.id LIMIT 400")
    organizations = rows(
        cfg,
        "SELECT slug, uuid FROM directory_organization "
        "WHERE status = 'published' ORDER BY id LIMIT 200",
    )
    result = {
        "initiatives": [r[0] for r in initiatives],
        "initiative_ids": [r[1] for r in initiatives],
        "organizations": [r[0] for r in organizations],
        "organization_ids": [r[1] for r in organizations],
        "goals": [r[0] for r in rows(cfg, "SELECT slug FROM goals_goal ORDER BY number")],
        "roles": [r[0] for r in rows(cfg, "SELECT slug FROM roles_role ORDER BY number")],
        "groups": [r[0] for r in rows(cfg, 'SELECT slug FROM roles_rolegroup ORDER BY "order"')],
        "states": [r[0] for r in rows(cfg, f"SELECT DISTINCT i.state {states}")],
        "since": (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for name in ("initiatives", "organizations", "goals", "roles", "groups", "states"):
        if not result[name]:
            raise SystemExit(f"the soak database has no published {name}")
    counts = rows(
        cfg,
        "SELECT (SELECT count(*) FROM directory_initiative), "
        "(SELECT count(*) FROM directory_organization), "
        f"(SELECT count(*) {published}), "
        f"pg_size_pretty(pg_database_size('{cfg.db}')), "
        "(SELECT count(*) FROM directory_organization WHERE status = 'published')",
    )[0]
    result["size"] = {
        "initiatives": int(counts[0]),
        "organizations": int(counts[1]),
        "published_initiatives": int(counts[2]),
        "database": counts[3],
    }
    result["pages"] = {
        "initiatives": min(5, max(1, -(-int(counts[2]) // 20))),
        "organizations": min(5, max(1, -(-int(counts[4]) // 20))),
    }
    return result


def stored_markers(cfg: Config, run_id: str) -> dict:
    """The soak's writes as the database has them: marker → how many rows (and statuses)."""
    prefix = f"soak-{run_id}-"
    submissions = rows(
        cfg,
        "SELECT split_part(title, ' ', 1), status FROM directory_initiative "
        f"WHERE title LIKE '{prefix}%'",
    )
    reports = rows(
        cfg,
        f"SELECT split_part(message, ' ', 1) FROM directory_report WHERE message LIKE '{prefix}%'",
    )
    return {
        "submission": Counter(r[0] for r in submissions),
        "report": Counter(r[0] for r in reports),
        "submission_not_pending": sorted(r[0] for r in submissions if r[1] != "pending"),
    }


def drop_database(cfg: Config) -> None:
    try:
        bench.psql(cfg, f'DROP DATABASE IF EXISTS "{cfg.db}" WITH (FORCE)')
        log(f"dropped database {cfg.db}")
    except subprocess.CalledProcessError as exc:
        log(f"could not drop {cfg.db}: {exc.stderr}")


# ------------------------------------------------------------------------------------------
# the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(cfg: Config) -> bench.Server:
    WORK.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = WORK / f"{cfg.db}.gunicorn.log"
    log_path.unlink(missing_ok=True)
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
        str(int(cfg.timeout + 30)),
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    if cfg.max_requests:  # docs/deploy.md recycles workers; off by default, so leaks would show
        cmd += ["--max-requests", str(cfg.max_requests), "--max-requests-jitter", "50"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=server_env(cfg),
        stdout=log_path.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = bench.Server("app", proc, port, log_path)
    try:
        bench.wait_ready(server, "/robots.txt")
    except BaseException:
        bench.stop_servers({"app": server})
        raise
    log(f"gunicorn is up on {HOST}:{port} (pid {proc.pid}, {cfg.workers} workers)")
    return server


def log_problems(path: Path) -> dict:
    """Lines of the server log that say something went wrong (5xx, tracebacks, timeouts)."""
    counts = Counter()
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {}
    for line in text.splitlines():
        for word in ("Traceback", "ERROR", "CRITICAL", "WORKER TIMEOUT"):
            if word in line:
                counts[word] += 1
    return dict(counts)


# ------------------------------------------------------------------------------------------
# the clients


@dataclass
class Request:
    action: str
    status: int  # 0: no answer (timeout, reset connection)
    ms: float
    at: float  # seconds since the start of the load


@dataclass
class Write:
    kind: str  # "submission" or "report"
    marker: str
    status: int


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: list = field(default_factory=list)


class Client(threading.Thread):
    """One simulated visitor or partner: actions back to back until the time is up."""

    def __init__(
        self,
        index: int,
        key: str,
        run_id: str,
        port: int,
        data: dict,
        cfg: Config,
        start: float,
        stop_at: float,
        requests: list,
        writes: list,
        lock: threading.Lock,
    ):
        super().__init__(daemon=True, name=f"soak-client-{index}")
        self.index, self.key, self.run_id, self.port, self.data = index, key, run_id, port, data
        self.timeout, self.start_t, self.stop_at = cfg.timeout, start, stop_at
        self.requests, self.writes, self.lock = requests, writes, lock
        self.rng = random.Random(cfg.seed * 1000 + index)
        self.seq = 0
        self.actions = list(MIX)
        self.weights = [MIX[a] for a in self.actions]

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            action = self.rng.choices(self.actions, self.weights)[0]
            getattr(self, f"do_{action}")()

    def prewarm(self) -> None:
        for action in self.rng.sample(self.actions, len(self.actions)):
            getattr(self, f"do_{action}")()

    # -- plumbing

    def http(
        self,
        action: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
    ) -> Answer:
        started = time.monotonic()
        answer = Answer(0)
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            conn.request(
                method, path, body=body, headers={"Accept-Encoding": "identity", **(headers or {})}
            )
            response = conn.getresponse()
            answer = Answer(response.status, response.read(), response.getheaders())
        except (OSError, http.client.HTTPException):
            answer = Answer(0)
        finally:
            conn.close()
        with self.lock:
            self.requests.append(
                Request(
                    action,
                    answer.status,
                    (time.monotonic() - started) * 1000,
                    started - self.start_t,
                )
            )
        return answer

    def get(self, action: str, path: str, headers: dict | None = None) -> Answer:
        return self.http(action, "GET", path, headers=headers)

    def api_headers(self) -> dict:
        """Half of the API calls as the client's partner key, half anonymous."""
        return {"Authorization": f"Api-Key {self.key}"} if self.rng.random() < 0.5 else {}

    def marker(self) -> str:
        self.seq += 1
        return f"soak-{self.run_id}-{self.index:02d}-{self.seq:05d}"

    def pick(self, name: str) -> str:
        return self.rng.choice(self.data[name])

    def filters(self, kind: str = "initiatives") -> str:
        r, pick = self.rng.random(), self.pick
        if r < 0.3:
            return f"goal={pick('goals')}&state={pick('states')}"
        if r < 0.5:
            return f"group={pick('groups')}&scope={self.rng.choice(['local', 'state', 'national'])}"
        if r < 0.7:
            return f"near={self.rng.choice(ZIPS)}&radius={self.rng.choice([25, 100])}"
        if r < 0.85:
            return f"role={pick('roles')}&newcomers=true"
        return f"page={self.rng.randint(1, self.data['pages'][kind])}"  # pages that exist

    # -- reads

    def do_home(self) -> None:
        self.get("home", "/")

    def do_list(self) -> None:
        self.get("list", f"/initiatives/?{self.filters()}")

    def do_search(self) -> None:
        extra = f"&state={self.pick('states')}" if self.rng.random() < 0.3 else ""
        self.get("search", f"/initiatives/?q={self.rng.choice(SEARCH_WORDS)}{extra}")

    def do_detail(self) -> None:
        self.get("detail", f"/initiatives/{self.pick('initiatives')}/")

    def do_organization(self) -> None:
        self.get("organization", f"/organizations/{self.pick('organizations')}/")

    def do_api_list(self) -> None:
        kind = "initiatives" if self.rng.random() < 0.75 else "organizations"
        self.get("api_list", f"/api/v1/{kind}/?{self.filters(kind)}", self.api_headers())

    def do_api_detail(self) -> None:
        if self.rng.random() < 0.75:
            path = f"/api/v1/initiatives/{self.pick('initiative_ids')}/"
        else:
            path = f"/api/v1/organizations/{self.pick('organization_ids')}/"
        self.get("api_detail", path, self.api_headers())

    def do_changes(self) -> None:
        since = f"since={self.data['since']}&" if self.rng.random() < 0.7 else ""
        self.get("changes", f"/api/v1/changes/?{since}limit=100", self.api_headers())

    def do_csv(self) -> None:
        query = f"format=csv&goal={self.pick('goals')}&state={self.pick('states')}"
        self.get("csv", f"/api/v1/initiatives/?{query}", self.api_headers())

    # -- writes

    def do_submission(self) -> None:
        marker = self.marker()
        if self.rng.random() < 0.5:
            organization = {"id": self.pick("organization_ids")}
        else:
            organization = {"name": f"{marker} Collective", "summary": "A volunteer group."}
        payload = {
            "title": f"{marker} Neighbors for fair elections",
            "summary": "Trains volunteers to explain how local elections work.",
            "organization": organization,
            "roles": [self.pick("roles")],
            "goals": [self.pick("goals")],
            "postal_code": self.rng.choice(ZIPS),
            "welcomes_newcomers": self.rng.random() < 0.5,
        }
        answer = self.http(
            "submission",
            "POST",
            "/api/v1/submissions/",
            json.dumps(payload).encode(),
            {"Authorization": f"Api-Key {self.key}", "Content-Type": "application/json"},
        )
        self.record_write("submission", marker, answer.status)

    def do_report(self) -> None:
        """The public form, as a browser uses it: the page (CSRF token and cookie), then POST."""
        kind, slug = (
            ("initiatives", self.pick("initiatives"))
            if self.rng.random() < 0.75
            else ("organizations", self.pick("organizations"))
        )
        path = f"/report/{kind}/{slug}/"
        page = self.get("report_form", path)
        if page.status != 200:
            return
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        cookie = csrf_cookie(page.headers)
        marker = self.marker()
        form = {
            "csrfmiddlewaretoken": token.group(1).decode() if token else "",
            "kind": self.rng.choice(["outdated", "incorrect", "other"]),
            "message": f"{marker} The meeting place moved; see their website.",
            "email": "",
            "homepage": "",
        }
        answer = self.http(
            "report",
            "POST",
            path,
            urllib.parse.urlencode(form).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                **({"Cookie": f"csrftoken={cookie}"} if cookie else {}),
            },
        )
        self.record_write("report", marker, answer.status)

    def record_write(self, kind: str, marker: str, status: int) -> None:
        with self.lock:
            self.writes.append(Write(kind, marker, status))


def csrf_cookie(headers: list) -> str:
    """The csrftoken cookie's value. It is ``Secure`` in production, so a cookie jar would not
    send it back over plain HTTP on loopback; the client sends it as a browser on HTTPS would."""
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("csrftoken="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return ""


class Sampler(threading.Thread):
    """RSS of the gunicorn master and workers (and the load average) every few seconds."""

    def __init__(self, master: int, every: float, start: float):
        super().__init__(daemon=True, name="soak-sampler")
        self.master, self.every, self.start_t = master, every, start
        self.samples: list[dict] = []
        self.done = threading.Event()

    def sample(self) -> None:
        workers = bench.worker_pids(self.master)
        mem = bench.memory([self.master, *workers])
        self.samples.append(
            {
                "t": round(time.monotonic() - self.start_t, 1),
                "rss_mib": mem["rss_total_mib"],
                "rss_max_worker_mib": mem["rss_max_mib"],
                "workers": sorted(workers),
                "load1": round(os.getloadavg()[0], 2),
            }
        )

    def run(self) -> None:
        self.sample()
        while not self.done.wait(self.every):
            self.sample()


def run_load(
    cfg: Config, port: int, keys: list[str], data: dict, run_id: str, master: int
) -> tuple[list[Request], list[Write], list[dict], float]:
    requests: list[Request] = []
    writes: list[Write] = []
    lock = threading.Lock()
    # Every action a few times in every worker first (its requests are checked like the others,
    # at negative times), so modules and caches loaded on first use are not taken for growth.
    warm_start = time.monotonic()
    warmers = [
        Client(
            cfg.clients + i,
            keys[i % len(keys)],
            run_id,
            port,
            data,
            cfg,
            warm_start,
            warm_start,
            requests,
            writes,
            lock,
        )
        for i in range(2 * cfg.workers)
    ]
    threads = [threading.Thread(target=c.prewarm, daemon=True) for c in warmers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(len(MIX) * 2 * (cfg.timeout + 1))
    start = time.monotonic()
    with lock:
        for r in requests:
            r.at -= start - warm_start
    log(f"pre-warm: {len(requests)} requests in {start - warm_start:.1f} s")
    stop_at = start + cfg.duration
    sampler = Sampler(master, cfg.sample_every, start)
    sampler.start()
    clients = [
        Client(i, keys[i], run_id, port, data, cfg, start, stop_at, requests, writes, lock)
        for i in range(cfg.clients)
    ]
    for client in clients:
        client.start()
    next_note = start + min(60, cfg.duration / 4)
    while time.monotonic() < stop_at:
        time.sleep(0.5)
        if time.monotonic() >= next_note:
            next_note += min(60, cfg.duration / 4)
            with lock:
                n = len(requests)
                errors = sum(1 for r in requests if r.status == 0 or r.status >= 500)
            last = sampler.samples[-1] if sampler.samples else {}
            log(
                f"{time.monotonic() - start:5.0f} s: {n:,} requests, {errors} 5xx/no answer, "
                f"RSS {last.get('rss_mib', '?')} MiB, load {last.get('load1', '?')}"
            )
    for client in clients:
        client.join(cfg.timeout + 10)
    wall = time.monotonic() - start
    sampler.done.set()
    sampler.join()
    sampler.sample()  # the end, after the last request
    stuck = [c.name for c in clients if c.is_alive()]
    if stuck:
        log(f"warning: {len(stuck)} clients still waiting after the run")
    with lock:
        return list(requests), list(writes), sampler.samples, wall


# ------------------------------------------------------------------------------------------
# the summary and the verdict (pure functions: tests/operations/test_soak.py)


def status_key(status: int) -> str:
    return "no answer" if status == 0 else str(status)


def latency(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "p50_ms": bench._pct(values, 50),
        "p95_ms": bench._pct(values, 95),
        "p99_ms": bench._pct(values, 99),
        "max_ms": round(values[-1], 1) if values else None,
    }


def memory_summary(samples: list[dict], warmup: float) -> dict:
    """RSS (master + workers) from the end of the warm-up to the end: start and end are the
    median of three samples, so a single sample taken mid-request does not decide."""
    if not samples:
        return {"samples": 0}
    steady = [s for s in samples if s["t"] >= warmup] or samples[-1:]
    start = statistics.median(s["rss_mib"] for s in steady[:3])
    end = statistics.median(s["rss_mib"] for s in steady[-3:])
    slope = None
    if len(steady) >= 3 and steady[-1]["t"] > steady[0]["t"]:
        ts = [s["t"] / 60 for s in steady]
        ys = [s["rss_mib"] for s in steady]
        mt, my = statistics.fmean(ts), statistics.fmean(ys)
        var = sum((t - mt) ** 2 for t in ts)
        slope = (
            round(sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var, 2)
            if var
            else None
        )
    first_workers = set(samples[0]["workers"])
    seen = set().union(*(set(s["workers"]) for s in samples))
    loads = [s["load1"] for s in samples if "load1" in s]
    return {
        "samples": len(samples),
        "warmup_s": warmup,
        "first_mib": samples[0]["rss_mib"],
        "start_mib": round(start, 1),
        "peak_mib": max(s["rss_mib"] for s in samples),
        "end_mib": round(end, 1),
        "growth_mib": round(end - start, 1),
        "growth_pct": round((end - start) / start * 100, 1) if start else None,
        "slope_mib_per_min": slope,
        "largest_worker_end_mib": samples[-1].get("rss_max_worker_mib"),
        "worker_restarts": len(seen - first_workers),
        "load1_min": min(loads) if loads else None,
        "load1_max": max(loads) if loads else None,
    }


def write_summary(writes: list[Write], stored: dict) -> dict:
    out = {}
    for kind, accepted_status in ACCEPTED.items():
        mine = [w for w in writes if w.kind == kind]
        accepted = {w.marker for w in mine if w.status == accepted_status}
        refused = {w.marker for w in mine if 0 < w.status < 500 and w.status != accepted_status}
        in_db: Counter = stored.get(kind, Counter())
        lost = sorted(accepted - set(in_db))
        out[kind] = {
            "attempted": len(mine),
            "accepted": len(accepted),
            "stored": sum(in_db.values()),
            "rate_limited_429": sum(1 for w in mine if w.status == 429),
            "refused_other": sum(1 for w in mine if w.marker in refused and w.status != 429),
            "unanswered_or_5xx": sum(1 for w in mine if w.status == 0 or w.status >= 500),
            "lost": len(lost),
            "lost_examples": lost[:10],
            "stored_twice": sorted(m for m, n in in_db.items() if n > 1)[:10],
            "stored_despite_refusal": sorted(refused & set(in_db))[:10],
            # Stored although the client saw no answer (or a 5xx): not lost, but reported.
            "stored_unconfirmed": len(set(in_db) - accepted - refused),
        }
    out["submission"]["stored_not_pending"] = list(stored.get("submission_not_pending", []))[:10]
    return out


def summarize(
    requests: list[Request],
    writes: list[Write],
    stored: dict,
    samples: list[dict],
    wall_s: float,
    warmup_s: float,
) -> dict:
    statuses = Counter(status_key(r.status) for r in requests)  # the pre-warm's too
    timed = [r for r in requests if r.at >= 0]
    answered = [r.ms for r in timed if r.status]
    by_action = {}
    for action in sorted({r.action for r in timed}):
        mine = [r for r in timed if r.action == action]
        by_action[action] = {
            "requests": len(mine),
            "statuses": dict(sorted(Counter(status_key(r.status) for r in mine).items())),
            **latency([r.ms for r in mine if r.status]),
        }
    unexpected = Counter(
        f"{r.action} {r.status}"
        for r in requests
        if r.status and r.status < 500 and r.status not in EXPECTED.get(r.action, {200})
    )
    return {
        "requests": len(requests),
        "prewarm_requests": len(requests) - len(timed),
        "wall_s": round(wall_s, 1),
        "rps": round(len(timed) / wall_s, 1) if wall_s else 0,
        **latency(answered),
        "statuses": dict(sorted(statuses.items())),
        "5xx": sum(1 for r in requests if r.status >= 500),
        "no_answer": statuses.get("no answer", 0),
        "429": statuses.get("429", 0),
        "unexpected": dict(sorted(unexpected.items())),
        "by_action": by_action,
        "writes": write_summary(writes, stored),
        "memory": memory_summary(samples, warmup_s),
    }


def verdict(summary: dict, max_growth_mib: float = 50, max_growth_pct: float = 25) -> list[str]:
    """Why the run failed; empty when it passed."""
    problems = []
    if summary["5xx"]:
        problems.append(f"{summary['5xx']} answers were 5xx")
    if summary["no_answer"]:
        problems.append(f"{summary['no_answer']} requests got no answer (timeout or reset)")
    if summary["unexpected"]:
        problems.append(f"unexpected answers: {summary['unexpected']}")
    for kind, w in summary["writes"].items():
        if w["lost"]:
            problems.append(
                f"{w['lost']} accepted {kind}s are not stored, e.g. {w['lost_examples'][:3]}"
            )
        if w["stored_twice"]:
            problems.append(f"{kind}s stored twice: {w['stored_twice'][:3]}")
        if w["stored_despite_refusal"]:
            problems.append(f"refused {kind}s stored anyway: {w['stored_despite_refusal'][:3]}")
        if w.get("stored_not_pending"):
            problems.append(f"submissions stored as not pending: {w['stored_not_pending'][:3]}")
    mem = summary["memory"]
    if mem.get("samples"):
        if mem["growth_mib"] > max_growth_mib:
            problems.append(
                f"app memory grew {mem['growth_mib']} MiB after the warm-up (limit {max_growth_mib:g})"
            )
        elif mem["growth_pct"] is not None and mem["growth_pct"] > max_growth_pct:
            problems.append(
                f"app memory grew {mem['growth_pct']} % after the warm-up (limit {max_growth_pct:g} %)"
            )
    else:
        problems.append("no memory samples")
    if not summary["requests"]:
        problems.append("no requests were made")
    return problems


def human(summary: dict, problems: list[str], meta: dict) -> str:
    s, mem, w = summary, summary["memory"], summary["writes"]
    ms = lambda v: "–" if v is None else f"{v:,.0f} ms"  # noqa: E731
    lines = [
        f"soak: {meta['clients']} clients for {meta['duration']:g} s against gunicorn "
        f"({meta['workers']} workers) + PostgreSQL; limits: {meta['limits']}",
        f"data: {meta['data']['initiatives']:,} initiatives ({meta['data']['published_initiatives']:,} "
        f"published), {meta['data']['organizations']:,} organizations, {meta['data']['database']}",
        f"load average (1 min) during the run: {mem.get('load1_min')}–{mem.get('load1_max')}; "
        f"before {meta['machine']['load_before']}, after {meta.get('load_after', '?')}",
        f"requests {s['requests'] - s['prewarm_requests']:,} in {s['wall_s']:g} s (and "
        f"{s['prewarm_requests']} before, warming up) = {s['rps']:,} req/s; latency p50 "
        f"{ms(s['p50_ms'])}, p95 {ms(s['p95_ms'])}, p99 {ms(s['p99_ms'])}, max {ms(s['max_ms'])}",
        f"statuses {s['statuses']}; 5xx {s['5xx']}; no answer {s['no_answer']}; 429 {s['429']}",
    ]
    for kind in ("submission", "report"):
        x = w[kind]
        lines.append(
            f"{kind}s: attempted {x['attempted']:,}, accepted {x['accepted']:,}, stored "
            f"{x['stored']:,}, lost {x['lost']}, 429 {x['rate_limited_429']}, other refusals "
            f"{x['refused_other']}, unanswered/5xx {x['unanswered_or_5xx']}"
        )
    lines.append(
        f"RSS (master + workers): first {mem.get('first_mib')} MiB, after warm-up "
        f"{mem.get('start_mib')}, peak {mem.get('peak_mib')}, end {mem.get('end_mib')} MiB; "
        f"growth {mem.get('growth_mib')} MiB ({mem.get('growth_pct')} %), slope "
        f"{mem.get('slope_mib_per_min')} MiB/min; worker restarts {mem.get('worker_restarts')}"
    )
    lines.append(f"{'action':<13}{'requests':>10}{'p50':>10}{'p95':>10}{'p99':>10}  statuses")
    for action, x in s["by_action"].items():
        lines.append(
            f"{action:<13}{x['requests']:>10,}{ms(x['p50_ms']):>10}{ms(x['p95_ms']):>10}"
            f"{ms(x['p99_ms']):>10}  {x['statuses']}"
        )
    if meta.get("log_problems"):
        lines.append(f"server log: {meta['log_problems']}")
    lines.append("PASS" if not problems else "FAIL: " + "; ".join(problems))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds before the memory baseline (default 10 %% of the run, 10–60)",
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument(
        "--initiatives",
        type=int,
        default=10000,
        help="synthetic initiatives besides the seed (0: none)",
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request")
    parser.add_argument("--limits", choices=("raised", "production"), default="raised")
    parser.add_argument("--max-growth-mib", type=float, default=50)
    parser.add_argument("--max-growth-pct", type=float, default=25)
    parser.add_argument(
        "--sample-every", type=float, default=None, help="seconds between RSS samples"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="gunicorn --max-requests (0: workers are never recycled)",
    )
    parser.add_argument("--db", default=f"mpdb_soak_{os.getpid()}")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--template",
        default="",
        help="copy this bench database (mpdb_bench…) instead of migrating, seeding and "
        "generating listings; --initiatives is then ignored",
    )
    args = parser.parse_args(argv)
    if args.template and not args.template.startswith("mpdb_bench"):
        raise SystemExit("--template: a bench database (mpdb_bench…) is needed")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally clauses still run
    warmup = args.warmup if args.warmup is not None else min(60.0, max(10.0, args.duration / 10))
    cfg = Config(
        db=args.db,
        clients=args.clients,
        duration=args.duration,
        warmup=warmup,
        workers=args.workers,
        initiatives=args.initiatives,
        timeout=args.timeout,
        limits=args.limits,
        max_growth_mib=args.max_growth_mib,
        max_growth_pct=args.max_growth_pct,
        sample_every=args.sample_every or (1.0 if args.duration < 120 else 2.0),
        max_requests=args.max_requests,
        keep_db=args.keep_db,
        json_path=args.json or WORK / f"{args.db}.json",
        seed=args.seed,
        template=args.template,
        command=os.environ.get("SOAK_COMMAND")
        or " ".join(["scripts/soak.py", *(argv or sys.argv[1:])]),
    )
    if cfg.clients < 1 or cfg.duration <= 0:
        raise SystemExit("--clients and --duration must be positive")
    cfg.redis_url = bench.redis_url(os.environ.get("SOAK_REDIS_URL", DEFAULT_REDIS))
    if not cfg.redis_url:
        log("warning: no Redis; the workers count rate limits and cache each on their own")
    run_id = secrets.token_hex(3)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": cfg.command,
        "run_id": run_id,
        "machine": bench.machine(),
        "clients": cfg.clients,
        "duration": cfg.duration,
        "workers": cfg.workers,
        "db": cfg.db,
        "limits": (
            "raised for the soak server: " + ", ".join(f"{k}={v}" for k, v in RAISED_LIMITS.items())
            if cfg.limits == "raised"
            else PRODUCTION_LIMITS_NOTE
        ),
        "redis": cfg.redis_url or "none (local memory)",
        "max_requests": cfg.max_requests,
        "mix": MIX,
    }
    meta["machine"].pop("datasette", None)
    server = None
    try:
        meta["prepare"] = prepare(cfg)
        data = facts(cfg)
        meta["data"] = data["size"]
        log(f"data: {data['size']}")
        keys = issue_keys(cfg, run_id)
        server = start_server(cfg)
        log(
            f"load: {cfg.clients} clients for {cfg.duration:g} s (run {run_id}); "
            f"load average {meta['machine']['load_before']}"
        )
        load = run_load(cfg, server.port, keys, data, run_id, server.proc.pid)
        requests, writes, samples, wall = load
        meta["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        meta["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        stored = stored_markers(cfg, run_id)
    finally:
        if server is not None:
            bench.stop_servers({"app": server})
            meta["log_problems"] = log_problems(server.log_path)
        if not cfg.keep_db:
            drop_database(cfg)
    summary = summarize(requests, writes, stored, samples, wall, cfg.warmup)
    problems = verdict(summary, cfg.max_growth_mib, cfg.max_growth_pct)
    result = {
        **meta,
        "summary": summary,
        "problems": problems,
        "passed": not problems,
        "memory_samples": samples,
    }
    cfg.json_path.parent.mkdir(parents=True, exist_ok=True)
    cfg.json_path.write_text(json.dumps(result, indent=1, default=str))
    print(human(summary, problems, meta), flush=True)
    log(f"wrote {cfg.json_path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

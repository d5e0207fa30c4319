"""Faults, end to end: the app under gunicorn loses its database, then its Redis, mid-run.

The test starts its own throwaway PostgreSQL cluster (initdb + pg_ctl in a temporary folder, on a
free port; as the ``postgres`` user when run as root) and its own redis-server, migrates and seeds
the cluster, and runs two gunicorn workers on them. Nothing of the machine's shared PostgreSQL or
Redis is touched, so it runs the same in the SQLite and the PostgreSQL passes of the suite.

1. Database stopped (``pg_ctl stop -m fast``): pages answer the friendly 503 page, the API a JSON
   503, both with ``Retry-After``, without a traceback; a form sent meanwhile (anonymous, and by a
   signed-in member whose session lives in the database) gets the 503 too. The database is
   started again and the same requests answer as before, with the same gunicorn processes.
2. Redis killed: pages, the API and rate-limited forms still answer (no cache, limits open);
   Redis started again: the shared cache is used again within its retry interval.

Missing PostgreSQL server binaries or Redis is a failure, not a skip (.ci/run installs both).
"""

import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.operations.servers import Browser, free_port, wait_until_serving

# Its own PostgreSQL cluster and Redis, whatever the suite's database: CI runs it once.
pytestmark = pytest.mark.database_independent

PASSWORD = "a-Long-unusual-passphrase-42"
MEMBER = "member@example.org"
RETRY_AFTER = str(settings.DATABASE_RETRY_AFTER)
TALLY = {
    "faults injected": 0,
    "requests checked": 0,
    "503s while the database was down": 0,
    "cached answers served while the database was down": 0,
    "database recovery (s)": 0.0,
    "answered while Redis was down": 0,
    "redis recovery (s)": 0.0,
}


def pg_bindir() -> Path:
    """The newest installed PostgreSQL's server binaries (Debian keeps them off the PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found; .ci/run installs them")


class Cluster:
    """A throwaway PostgreSQL cluster: its own data folder, port and socket folder."""

    def __init__(self):
        self.bindir = pg_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="mpdb-faults-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root, and there is no 'postgres' user to run initdb as")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.as_user, str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            pytest.fail(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}\n{log[-2000:]}")

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=30"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, db: str = "mpdb") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *self.as_user,
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.fail("redis-server not found; .ci/run installs it")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while self.keys() is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)

    def keys(self) -> int | None:
        """How many keys Redis holds (None if it does not answer)."""
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=1).dbsize()
        except redis.exceptions.ConnectionError:
            return None

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


SETUP = f"""
import django
django.setup()
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("seed", verbosity=0)
user = get_user_model().objects.create_user(username={MEMBER!r}, email={MEMBER!r},
                                            password={PASSWORD!r})
EmailAddress.objects.create(user=user, email={MEMBER!r}, verified=True, primary=True)
"""


def clean_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_", "API_RATE", "WRITE_RATE"))
    }
    env.update(DJANGO_SETTINGS_MODULE="mpdb.settings", **extra)
    return env


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    """gunicorn (two workers) on a throwaway PostgreSQL cluster and a Redis of its own."""
    cluster, redis_server, server = Cluster(), RedisServer(), None
    logs = tmp_path_factory.mktemp("faults")
    try:
        cluster.init()
        cluster.start()
        import psycopg

        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE mpdb")
        env = clean_env(DATABASE_URL=cluster.url(), DJANGO_DEBUG="1", DJANGO_CONN_MAX_AGE="60")
        setup = subprocess.run(
            [sys.executable, "-c", SETUP],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        redis_server.start()
        port = free_port()
        log_path = logs / "gunicorn.log"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "mpdb.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            cwd=settings.BASE_DIR,
            env={**env, "REDIS_URL": redis_server.url()},
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, server, log_path.read_text)
        yield {"url": url, "cluster": cluster, "redis": redis_server, "log": log_path}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if redis_server.process is not None and redis_server.process.poll() is None:
            redis_server.kill()
        cluster.destroy()
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\nfaults (docs/reliability.md): {json.dumps(TALLY)}")


def fetch(browser: Browser, url: str, data: dict | None = None) -> tuple[int, dict, str]:
    """(status, headers, body) of a GET, or of a form POST when ``data`` is given."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    TALLY["requests checked"] += 1
    try:
        with browser.opener.open(url, body, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def assert_no_traceback(body: str) -> None:
    for leak in ("Traceback", "OperationalError", "psycopg", 'File "/'):
        assert leak not in body, f"{leak!r} in the answer:\n{body[:2000]}"


def test_database_stopped_mid_run_answers_503_and_recovers_by_itself(site):
    url, cluster = site["url"], site["cluster"]
    anonymous, member = Browser(), Browser()

    # Everything up: pages and API answer; a member signs in (the session is in the database).
    status, _, body = fetch(anonymous, f"{url}/api/v1/organizations/?page_size=1")
    assert status == 200, body[:500]
    slug = json.loads(body)["results"][0]["slug"]
    gets = {
        "about": "/about/",
        "home in Spanish": "/?lang=es",
        "list": "/initiatives/?state=CO",
        "detail": f"/organizations/{slug}/",
        "API list": "/api/v1/initiatives/?page_size=3",
    }
    # Public pages (the page store) and API answers cached (in Redis) before the outage are
    # still served during it; so the cacheable pages above are asked for the first time during
    # the outage, and these three now.
    cached = {"home": "/", "list": "/initiatives/", "API list": "/api/v1/initiatives/"}
    for path in cached.values():
        status, _, body = fetch(anonymous, url + path)
        assert status == 200, body[:500]
    for name, path in gets.items():
        if name != "about":  # the about page is never stored: it may be asked now
            continue
        status, _, body = fetch(anonymous, url + path)
        assert status == 200, (path, body[:500])
    status, _, report_form = fetch(anonymous, f"{url}/report/organizations/{slug}/")
    assert status == 200
    status, _, login = fetch(member, f"{url}/accounts/login/")
    status, _, _ = fetch(
        member,
        f"{url}/accounts/login/",
        {"csrfmiddlewaretoken": member.csrf_token(login), "login": MEMBER, "password": PASSWORD},
    )
    assert status == 302
    status, _, submit_form = fetch(member, f"{url}/submit/organization/")
    assert status == 200
    report = {
        "csrfmiddlewaretoken": anonymous.csrf_token(report_form),
        "kind": "outdated",
        "message": "The meeting moved to Thursdays.",
        "email": "",
        "homepage": "",
    }

    # The database goes away.
    cluster.stop("fast")
    TALLY["faults injected"] += 1
    answers = []
    try:
        for name, path in cached.items():
            status, _, body = fetch(anonymous, url + path)
            assert status == 200, (name, status, body[:1000])  # served from the cache
            TALLY["cached answers served while the database was down"] += 1
        for name, path in gets.items():
            answers.append((name, *fetch(anonymous, url + path)))
        answers.append(("member's dashboard", *fetch(member, f"{url}/dashboard/")))
        answers.append(
            ("anonymous report", *fetch(anonymous, f"{url}/report/organizations/{slug}/", report))
        )
        answers.append(
            (
                "member's submission",
                *fetch(
                    member,
                    f"{url}/submit/organization/",
                    {"csrfmiddlewaretoken": member.csrf_token(submit_form), "name": "New group"},
                ),
            )
        )
    finally:
        cluster.start()
    restarted = time.monotonic()

    for name, status, headers, body in answers:
        assert status == 503, (name, status, body[:1000])
        assert headers.get("Retry-After") == RETRY_AFTER, name
        assert "no-store" in headers.get("Cache-Control", ""), name
        assert_no_traceback(body)
        if name == "API list":
            assert headers["Content-Type"] == "application/json"
            assert "temporarily unavailable" in json.loads(body)["detail"]
        elif name == "home in Spanish":
            assert 'lang="es"' in body and "Volvemos enseguida" in body
        else:
            assert "Back in a moment" in body and "can’t reach its database" in body
    posted = [
        body for name, _, _, body in answers if name in ("anonymous report", "member's submission")
    ]
    assert all("has not been saved" in body for body in posted)

    TALLY["503s while the database was down"] += len(answers)

    # Back: the same gunicorn processes answer again, reconnecting by themselves.
    for name, path in gets.items():
        status, _, body = fetch(anonymous, url + path)
        assert status == 200, (name, body[:1000])
        TALLY["database recovery (s)"] = TALLY["database recovery (s)"] or round(
            time.monotonic() - restarted, 2
        )  # until the first answer after the restart
    status, _, body = fetch(member, f"{url}/dashboard/")
    assert status == 200, body[:500]  # still signed in: the session outlived the outage
    status, _, _ = fetch(anonymous, f"{url}/report/organizations/{slug}/", report)
    assert status == 302, status
    import psycopg

    with psycopg.connect(cluster.url()) as conn:
        saved = conn.execute(
            "SELECT count(*) FROM directory_report WHERE message = %s", [report["message"]]
        ).fetchone()[0]
    assert saved == 1  # the one sent during the outage was not saved; the one after was

    # Each 503 was logged once, as one line, without a traceback.
    log = site["log"].read_text()
    assert log.count("Database unavailable, answered 503") == len(answers), log[-3000:]
    assert "Traceback" not in log, log[-3000:]


def test_redis_killed_mid_run_serves_without_cache_then_uses_it_again(site):
    url, redis_server = site["url"], site["redis"]
    anonymous, member = Browser(), Browser()
    status, _, body = fetch(anonymous, f"{url}/api/v1/organizations/?page_size=1")
    assert status == 200
    slug = json.loads(body)["results"][0]["slug"]
    assert redis_server.keys() > 0  # counts and rate limits are in the shared cache
    _, _, report_form = fetch(anonymous, f"{url}/report/organizations/{slug}/")
    _, _, login = fetch(member, f"{url}/accounts/login/")

    redis_server.kill()
    TALLY["faults injected"] += 1
    try:
        for path in (
            "/",
            "/initiatives/?goal=compromise",
            f"/organizations/{slug}/",
            "/api/v1/initiatives/",
            "/api/v1/coverage/",
        ):
            status, _, body = fetch(anonymous, url + path)
            assert status == 200, (path, status, body[:1000])
            assert_no_traceback(body)
            TALLY["answered while Redis was down"] += 1
        # Rate-limited forms still work (limits fail open): a public report and a sign-in.
        status, _, body = fetch(
            anonymous,
            f"{url}/report/organizations/{slug}/",
            {
                "csrfmiddlewaretoken": anonymous.csrf_token(report_form),
                "kind": "other",
                "message": "Sent while Redis was down.",
                "email": "",
                "homepage": "",
            },
        )
        assert status == 302, (status, body[:1000])
        status, _, body = fetch(
            member,
            f"{url}/accounts/login/",
            {
                "csrfmiddlewaretoken": member.csrf_token(login),
                "login": MEMBER,
                "password": PASSWORD,
            },
        )
        assert status == 302, (status, body[:1000])
        status, _, body = fetch(member, f"{url}/dashboard/")
        assert status == 200, body[:1000]
        TALLY["answered while Redis was down"] += 3
    finally:
        redis_server.start()
    restarted = time.monotonic()

    # Back: within the retry interval (5 s) the app writes to Redis again.
    deadline = restarted + 60  # generous: CI machines are busy
    while not redis_server.keys():
        assert time.monotonic() < deadline, "the app did not use Redis again"
        status, _, _ = fetch(anonymous, f"{url}/api/v1/initiatives/?goal=compromise")
        assert status == 200
        time.sleep(0.5)
    TALLY["redis recovery (s)"] = round(time.monotonic() - restarted, 2)
    # The worker that saw Redis go logs the recovery at its first successful call after its
    # retry interval; requests reach either worker, so keep asking until it has been asked.
    deadline = time.monotonic() + 60
    while "reachable again" not in site["log"].read_text():
        assert time.monotonic() < deadline, site["log"].read_text()[-3000:]
        status, _, _ = fetch(anonymous, f"{url}/api/v1/initiatives/?goal=compromise")
        assert status == 200
        time.sleep(0.2)
    log = site["log"].read_text()
    assert "unreachable" in log and "reachable again" in log
    assert "Traceback" not in log, log[-3000:]

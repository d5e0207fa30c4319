"""Two app servers (two gunicorn processes) on one database and one Redis behave as one site:
a session made on one is valid on the other, a write through one is visible through the other
at once (cached counts included), and rate limits are counted across both.

Runs on the suite's own test database (SQLite file or PostgreSQL) and needs Redis at
``SCALE_OUT_REDIS_URL`` (default redis://127.0.0.1:6379/14, which the test empties).
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

from tests.browser.helpers import PASSWORD, make_user
from tests.factories import InitiativeFactory, OrganizationFactory
from tests.operations.servers import Browser, empty_redis, free_port, wait_until_serving

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/14")
API_LIMIT = 6  # anonymous API requests per minute, per client address, across all servers


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def redis():
    client = empty_redis(REDIS_URL)
    yield client
    client.flushdb()


@pytest.fixture
def servers(redis, tmp_path):
    """Two gunicorn processes, each its own app server, sharing the database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=REDIS_URL,
        API_RATE_ANON=f"{API_LIMIT}/minute",
        DJANGO_DEBUG="1",
    )
    processes, urls = [], []
    for name in ("a", "b"):
        port = free_port()
        log = (tmp_path / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "mpdb.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--timeout",
                    "60",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(
                url, process, lambda: "\n".join(p.read_text() for p in tmp_path.glob("*.log"))
            )
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def api_count(url: str) -> int:
    with urllib.request.urlopen(f"{url}/api/v1/initiatives/?state=CO", timeout=30) as response:
        return json.load(response)["count"]


def test_two_app_servers_share_sessions_writes_cached_counts_and_rate_limits(servers, redis):
    a, b = servers
    organization = OrganizationFactory(postal_code="80302")
    pending = InitiativeFactory(
        organization=organization,
        title="Front Range dialogue nights",
        postal_code="80302",
        status="pending",
        published_at=None,
    )
    make_user("curator@example.org", curator=True)

    # Server A counts (and caches) what is public in Colorado: nothing yet.   API request 1
    assert api_count(a) == 0

    # A curator signs in on A …
    curator = Browser()
    status, page = curator.get(f"{a}/accounts/login/")
    assert status == 200
    signed_in = curator.post(
        f"{a}/accounts/login/",
        {
            "csrfmiddlewaretoken": curator.csrf_token(page),
            "login": "curator@example.org",
            "password": PASSWORD,
        },
    )
    assert signed_in == 302
    # … and is signed in on B too: the session lives in the shared database.
    status, queue = curator.get(f"{b}/curate/queue/")
    assert status == 200, queue[:500]
    assert "Front Range dialogue nights" in queue

    # The curator approves the initiative through B.
    decided = curator.post(
        f"{b}/curate/decide/initiative/{pending.pk}/",
        {"csrfmiddlewaretoken": curator.csrf_token(queue), "action": "approve"},
    )
    assert decided == 302
    pending.refresh_from_db()
    assert pending.status == "published"

    # A sees the write at once: its cached count was invalidated through Redis.  API request 2
    assert api_count(a) == 1

    # Rate limits are counted across both servers: six requests pass, the 7th is refused,
    # although neither server alone has seen more than four. The counters are emptied first:
    # django-ratelimit counts in fixed windows of a minute, and the steps above may straddle
    # the end of one (CI once saw the 7th pass so, the first two requests counted in the
    # window before); seven requests in a row take a few milliseconds.
    redis.flushdb()
    answers = []
    for url in (b, a, b, a, b, a, b):
        try:
            with urllib.request.urlopen(f"{url}/api/v1/goals/", timeout=30) as response:
                answers.append(response.status)
        except urllib.error.HTTPError as error:
            answers.append(error.code)
    assert answers == [200, 200, 200, 200, 200, 200, 429]
